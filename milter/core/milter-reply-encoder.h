/*
 * milter-reply-encoder - append milter replies (milter to MTA) to a buffer
 *
 * SYNOPSIS
 *   void milter_reply_encode_negotiate (buffer, version, actions, steps,
 *                                               macro_lists, n_macro_lists);
 *   void milter_reply_encode_continue (buffer);
 *   ... accept, reject, temporary_failure, discard, skip, progress,
 *       shutdown, connection_failure (buffer);
 *   void milter_reply_encode_reply_code (buffer, text);
 *   void milter_reply_encode_add_header (buffer, name, value);
 *   void milter_reply_encode_insert_header (buffer, index, name, value);
 *   void milter_reply_encode_change_header (buffer, index, name, value);
 *   void milter_reply_encode_delete_header (buffer, index, name);
 *   void milter_reply_encode_add_recipient (buffer, recipient, args);
 *   void milter_reply_encode_delete_recipient (buffer, recipient);
 *   void milter_reply_encode_change_from (buffer, from, args);
 *   void milter_reply_encode_replace_body (buffer, data, size);
 *   void milter_reply_encode_quarantine (buffer, reason);
 *   void milter_reply_encode (buffer, reply);
 *
 * DESCRIPTION
 *   Each function appends complete packets to a GByteArray the caller owns
 *   and reuses, so that a group of replies goes out in one write. The
 *   buffer grows once per packet; nothing else is allocated.
 *
 *   replace_body splits data of any size into packets of at most
 *   MILTER_CHUNK_SIZE bytes; an empty body is one empty packet, so the MTA
 *   still learns that the body is replaced. milter_reply_encode()
 *   encodes a decoded MilterReply back into exactly one packet (a
 *   replace-body reply is one chunk as it was received); it is the inverse
 *   of milter_reply_parse().
 *
 *   Arguments are not judged: whether the peer negotiated an action, and
 *   whether reply-code text is valid (milter-reply-code.h), is the
 *   caller's to check first.
 *
 * DIAGNOSTICS
 *   None for valid arguments. A NULL string, a macro stage above 6 or a
 *   packet over 4 GiB is a programming error (g_return_if_fail).
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply.h>

G_BEGIN_DECLS

/* macro_lists may be NULL when n_macro_lists is 0; the lists are sent
 * only for protocol version 6 peers, so pass none for older versions. */
void milter_reply_encode_negotiate (GByteArray *buffer,
                                            guint32 version,
                                            MilterActionFlags actions,
                                            MilterStepFlags steps,
                                            const MilterReplyMacroList *macro_lists,
                                            gsize n_macro_lists);
void milter_reply_encode_continue (GByteArray *buffer);
void milter_reply_encode_accept (GByteArray *buffer);
void milter_reply_encode_reject (GByteArray *buffer);
void milter_reply_encode_temporary_failure (GByteArray *buffer);
void milter_reply_encode_discard (GByteArray *buffer);
void milter_reply_encode_skip (GByteArray *buffer);
void milter_reply_encode_progress (GByteArray *buffer);
void milter_reply_encode_shutdown (GByteArray *buffer);
void milter_reply_encode_connection_failure (GByteArray *buffer);
void milter_reply_encode_reply_code (GByteArray *buffer,
                                             const gchar *text);
void milter_reply_encode_add_header (GByteArray *buffer,
                                             const gchar *name,
                                             const gchar *value);
void milter_reply_encode_insert_header (GByteArray *buffer,
                                                guint32 index,
                                                const gchar *name,
                                                const gchar *value);
void milter_reply_encode_change_header (GByteArray *buffer,
                                                guint32 index,
                                                const gchar *name,
                                                const gchar *value);
/* A change-header with an empty value. */
void milter_reply_encode_delete_header (GByteArray *buffer,
                                                guint32 index,
                                                const gchar *name);
/* args NULL gives '+' (rcpt\0); otherwise '2' (rcpt\0 args\0). */
void milter_reply_encode_add_recipient (GByteArray *buffer,
                                                const gchar *recipient,
                                                const gchar *args);
void milter_reply_encode_delete_recipient (GByteArray *buffer,
                                                   const gchar *recipient);
/* args NULL omits the second string. */
void milter_reply_encode_change_from (GByteArray *buffer,
                                              const gchar *from,
                                              const gchar *args);
void milter_reply_encode_replace_body (GByteArray *buffer,
                                               const guint8 *data,
                                               gsize size);
void milter_reply_encode_quarantine (GByteArray *buffer,
                                             const gchar *reason);
/* One packet for one decoded reply. */
void milter_reply_encode (GByteArray *buffer, const MilterReply *reply);

G_END_DECLS

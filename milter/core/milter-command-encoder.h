/*
 * milter-command-encoder - append MTA-to-milter command packets to a buffer
 *
 * SYNOPSIS
 *   #include <milter/core/milter-command-encoder.h>
 *
 *   void milter_command_encode_negotiate (out, version, actions, steps);
 *   void milter_command_encode_define_macro (out, stage_command, names, values, n);
 *   void milter_command_encode_connect (out, host, family, port, address);
 *   void milter_command_encode_helo (out, fqdn);
 *   void milter_command_encode_envelope_from (out, address, esmtp_args);
 *   void milter_command_encode_envelope_recipient (out, address, esmtp_args);
 *   void milter_command_encode_data (out);
 *   void milter_command_encode_header (out, name, value);
 *   void milter_command_encode_end_of_header (out);
 *   gsize milter_command_encode_body (out, data, size);
 *   void milter_command_encode_end_of_message (out, data, size);
 *   void milter_command_encode_unknown (out, command);
 *   void milter_command_encode_abort (out);
 *   void milter_command_encode_quit (out);
 *   void milter_command_encode_quit_new_connection (out);
 *   void milter_command_encode (out, command);
 *
 * DESCRIPTION
 *   Each function appends one complete packet (4-byte big-endian length,
 *   command byte, payload) to out, a caller-owned buffer meant to be reused
 *   (set its size to 0 after writing it): several packets can be gathered
 *   and sent in one write. Nothing else is allocated.
 *
 *   milter_command_encode_body() takes at most MILTER_CHUNK_SIZE bytes and
 *   returns how many it took; call it in a loop for larger bodies.
 *   milter_command_encode_end_of_message() writes its optional chunk (size
 *   may be 0) as given: callers keep it within the negotiated chunk size.
 *   For family MILTER_FAMILY_UNKNOWN, connect writes neither port nor
 *   address (address may then be NULL).
 *
 *   milter_command_encode() writes back a MilterCommand as decoded; for a
 *   body longer than MILTER_CHUNK_SIZE it writes several body packets.
 *
 * DIAGNOSTICS
 *   Programming errors (NULL strings, a payload over 4 GiB, an invalid
 *   family or command type) are reported with g_return_if_fail and write
 *   nothing.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-command.h>

G_BEGIN_DECLS

void milter_command_encode_negotiate (GByteArray *out,
                                      guint32 version,
                                      MilterActionFlags actions,
                                      MilterStepFlags steps);
void milter_command_encode_define_macro (GByteArray *out,
                                         guint8 stage_command,
                                         const gchar *const *names,
                                         const gchar *const *values,
                                         guint n);
void milter_command_encode_connect (GByteArray *out,
                                    const gchar *host,
                                    MilterFamily family,
                                    guint16 port,
                                    const gchar *address);
void milter_command_encode_helo (GByteArray *out, const gchar *fqdn);
/* esmtp_args: NULL-terminated, or NULL for none. */
void milter_command_encode_envelope_from (GByteArray *out,
                                          const gchar *address,
                                          const gchar *const *esmtp_args);
void milter_command_encode_envelope_recipient (GByteArray *out,
                                               const gchar *address,
                                               const gchar *const *esmtp_args);
void milter_command_encode_data (GByteArray *out);
void milter_command_encode_header (GByteArray *out,
                                   const gchar *name,
                                   const gchar *value);
void milter_command_encode_end_of_header (GByteArray *out);
gsize milter_command_encode_body (GByteArray *out,
                                  const guint8 *data,
                                  gsize size);
void milter_command_encode_end_of_message (GByteArray *out,
                                           const guint8 *data,
                                           gsize size);
void milter_command_encode_unknown (GByteArray *out, const gchar *command);
void milter_command_encode_abort (GByteArray *out);
void milter_command_encode_quit (GByteArray *out);
void milter_command_encode_quit_new_connection (GByteArray *out);

void milter_command_encode (GByteArray *out, const MilterCommand *command);

G_END_DECLS

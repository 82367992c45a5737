/*
 * milter-reply-encoder - append milter replies (milter to MTA) to a buffer
 *
 * Packets are built by the shared packet writer (milter-packet-writer.h):
 * measure the payload, grow the buffer once, copy the fields into place.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/core/milter-packet-writer.h>

static void
append_empty (GByteArray *buffer, guint8 type)
{
  milter_packet_writer_empty (buffer, type);
}

void
milter_reply_encode_negotiate (GByteArray *buffer,
                                       guint32 version,
                                       MilterActionFlags actions,
                                       MilterStepFlags steps,
                                       const MilterReplyMacroList *macro_lists,
                                       gsize n_macro_lists)
{
  gsize payload_size = 12;
  guint8 *p;
  gsize i;

  g_return_if_fail (macro_lists != NULL || n_macro_lists == 0);
  for (i = 0; i < n_macro_lists; i++) {
    g_return_if_fail ((guint) macro_lists[i].stage < MILTER_MACRO_STAGE_COUNT);
    g_return_if_fail (macro_lists[i].names != NULL);
    payload_size += 4 + strlen (macro_lists[i].names) + 1;
  }
  p = milter_packet_writer_begin (buffer, MILTER_REPLY_NEGOTIATE, payload_size);
  if (!p)
    return;
  p = milter_packet_put_uint32 (p, version);
  p = milter_packet_put_uint32 (p, (guint32) actions);
  p = milter_packet_put_uint32 (p, (guint32) steps);
  for (i = 0; i < n_macro_lists; i++) {
    p = milter_packet_put_uint32 (p, (guint32) macro_lists[i].stage);
    p = milter_packet_put_string (p, macro_lists[i].names,
                                  strlen (macro_lists[i].names));
  }
}

void
milter_reply_encode_continue (GByteArray *buffer)
{
  append_empty (buffer, MILTER_REPLY_CONTINUE);
}

void
milter_reply_encode_accept (GByteArray *buffer)
{
  append_empty (buffer, MILTER_REPLY_ACCEPT);
}

void
milter_reply_encode_reject (GByteArray *buffer)
{
  append_empty (buffer, MILTER_REPLY_REJECT);
}

void
milter_reply_encode_temporary_failure (GByteArray *buffer)
{
  append_empty (buffer, MILTER_REPLY_TEMPORARY_FAILURE);
}

void
milter_reply_encode_discard (GByteArray *buffer)
{
  append_empty (buffer, MILTER_REPLY_DISCARD);
}

void
milter_reply_encode_skip (GByteArray *buffer)
{
  append_empty (buffer, MILTER_REPLY_SKIP);
}

void
milter_reply_encode_progress (GByteArray *buffer)
{
  append_empty (buffer, MILTER_REPLY_PROGRESS);
}

void
milter_reply_encode_shutdown (GByteArray *buffer)
{
  append_empty (buffer, MILTER_REPLY_SHUTDOWN);
}

void
milter_reply_encode_connection_failure (GByteArray *buffer)
{
  append_empty (buffer, MILTER_REPLY_CONNECTION_FAILURE);
}

/* Packets made of one or two strings, optionally after a uint32. */
static void
append_strings (GByteArray *buffer, guint8 type, gboolean with_index,
                guint32 index, const gchar *first, const gchar *second)
{
  const gchar *rest[] = {second, NULL};

  milter_packet_writer_strings (buffer, type, with_index ? &index : NULL,
                                first, rest);
}

void
milter_reply_encode_reply_code (GByteArray *buffer, const gchar *text)
{
  append_strings (buffer, MILTER_REPLY_REPLY_CODE, FALSE, 0, text, NULL);
}

void
milter_reply_encode_add_header (GByteArray *buffer,
                                        const gchar *name,
                                        const gchar *value)
{
  g_return_if_fail (value != NULL);
  append_strings (buffer, MILTER_REPLY_ADD_HEADER, FALSE, 0, name, value);
}

void
milter_reply_encode_insert_header (GByteArray *buffer,
                                           guint32 index,
                                           const gchar *name,
                                           const gchar *value)
{
  g_return_if_fail (value != NULL);
  append_strings (buffer, MILTER_REPLY_INSERT_HEADER, TRUE, index, name, value);
}

void
milter_reply_encode_change_header (GByteArray *buffer,
                                           guint32 index,
                                           const gchar *name,
                                           const gchar *value)
{
  g_return_if_fail (value != NULL);
  append_strings (buffer, MILTER_REPLY_CHANGE_HEADER, TRUE, index, name, value);
}

void
milter_reply_encode_delete_header (GByteArray *buffer,
                                           guint32 index,
                                           const gchar *name)
{
  append_strings (buffer, MILTER_REPLY_CHANGE_HEADER, TRUE, index, name, "");
}

void
milter_reply_encode_add_recipient (GByteArray *buffer,
                                           const gchar *recipient,
                                           const gchar *args)
{
  append_strings (buffer,
                  args ? MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS
                       : MILTER_REPLY_ADD_RECIPIENT,
                  FALSE, 0, recipient, args);
}

void
milter_reply_encode_delete_recipient (GByteArray *buffer,
                                              const gchar *recipient)
{
  append_strings (buffer, MILTER_REPLY_DELETE_RECIPIENT, FALSE, 0, recipient,
                  NULL);
}

void
milter_reply_encode_change_from (GByteArray *buffer,
                                         const gchar *from,
                                         const gchar *args)
{
  append_strings (buffer, MILTER_REPLY_CHANGE_FROM, FALSE, 0, from, args);
}

static void
append_body_chunk (GByteArray *buffer, const guint8 *data, gsize size)
{
  guint8 *p = milter_packet_writer_begin (buffer, MILTER_REPLY_REPLACE_BODY,
                                          size);

  if (p)
    milter_packet_put_bytes (p, data, size);
}

void
milter_reply_encode_replace_body (GByteArray *buffer,
                                          const guint8 *data,
                                          gsize size)
{
  gsize offset = 0;

  g_return_if_fail (data != NULL || size == 0);
  do {
    gsize chunk = MIN (size - offset, (gsize) MILTER_CHUNK_SIZE);

    append_body_chunk (buffer, data ? data + offset : data, chunk);
    offset += chunk;
  } while (offset < size);
}

void
milter_reply_encode_quarantine (GByteArray *buffer,
                                        const gchar *reason)
{
  append_strings (buffer, MILTER_REPLY_QUARANTINE, FALSE, 0, reason, NULL);
}

void
milter_reply_encode (GByteArray *buffer, const MilterReply *reply)
{
  g_return_if_fail (reply != NULL);

  if (milter_reply_type_is_bare ((guint8) reply->type)) {
    append_empty (buffer, (guint8) reply->type);
    return;
  }
  switch (reply->type) {
  case MILTER_REPLY_NEGOTIATE:
    milter_reply_encode_negotiate (buffer, reply->negotiate.version,
                                           (MilterActionFlags) reply->negotiate.actions,
                                           (MilterStepFlags) reply->negotiate.steps,
                                           reply->negotiate.macro_lists,
                                           reply->negotiate.n_macro_lists);
    break;
  case MILTER_REPLY_REPLY_CODE:
    milter_reply_encode_reply_code (buffer, reply->reply_code.text);
    break;
  case MILTER_REPLY_ADD_HEADER:
    milter_reply_encode_add_header (buffer, reply->header.name,
                                            reply->header.value);
    break;
  case MILTER_REPLY_INSERT_HEADER:
  case MILTER_REPLY_CHANGE_HEADER:
    g_return_if_fail (reply->header.value != NULL);
    append_strings (buffer, (guint8) reply->type, TRUE, reply->header.index,
                    reply->header.name, reply->header.value);
    break;
  case MILTER_REPLY_ADD_RECIPIENT:
  case MILTER_REPLY_DELETE_RECIPIENT:
    append_strings (buffer, (guint8) reply->type, FALSE, 0,
                    reply->recipient.recipient, NULL);
    break;
  case MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS:
    g_return_if_fail (reply->recipient.args != NULL);
    milter_reply_encode_add_recipient (buffer,
                                               reply->recipient.recipient,
                                               reply->recipient.args);
    break;
  case MILTER_REPLY_CHANGE_FROM:
    milter_reply_encode_change_from (buffer, reply->change_from.from,
                                             reply->change_from.args);
    break;
  case MILTER_REPLY_REPLACE_BODY:
    g_return_if_fail (reply->replace_body.data != NULL ||
                      reply->replace_body.size == 0);
    append_body_chunk (buffer, reply->replace_body.data,
                       reply->replace_body.size);
    break;
  case MILTER_REPLY_QUARANTINE:
    milter_reply_encode_quarantine (buffer, reply->quarantine.reason);
    break;
  default:
    g_return_if_reached ();
  }
}

/*
 * milter-reply-decoder - decode the replies a milter sends to the MTA
 *
 * The shared payload cursor (milter-payload-cursor.h) walks each payload;
 * every read checks the bytes left first, so a hostile payload can only
 * produce an error, never an over-read. Strings are returned in place.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-packet-decoder.h>
#include <milter/core/milter-payload-cursor.h>
#include <milter/core/milter-reply.h>
#include <milter/core/milter-reply-decoder.h>

/* Macro-list storage above this many entries is dropped after use: an
 * honest milter sends at most one entry per stage. */
#define MACRO_LISTS_KEPT (4 * MILTER_MACRO_STAGE_COUNT)

struct _MilterReplyDecoder {
  MilterPacketDecoder *packets;
  /* Storage behind MilterReply.negotiate.macro_lists; reused. */
  GArray *macro_lists;
};

/* One feed's callback, handed to the packet decoder on the stack. */
typedef struct {
  MilterReplyDecoder *decoder;
  MilterReplyFunc func;
  gpointer user_data;
} Feed;

/* The shared payload cursor, with what error messages need. */
typedef struct {
  MilterPayloadCursor bytes;
  const gchar *name;
  guint64 offset;
} Cursor;

/* Every decoder error says which reply and where its packet starts. */
G_GNUC_PRINTF (4, 5) static void
set_error (GError **error, MilterDecoderError code, const Cursor *cursor,
           const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  /* "negotiate-reply" already says it is a reply. */
  g_set_error (error, MILTER_DECODER_ERROR, code,
               "%s%s at byte offset %" G_GUINT64_FORMAT ": %s",
               cursor->name,
               g_str_has_suffix (cursor->name, "reply") ? "" : " reply",
               cursor->offset, what);
}

static gboolean
read_uint32 (Cursor *cursor, const gchar *field, guint32 *value,
             GError **error)
{
  if (milter_payload_cursor_read_uint32 (&cursor->bytes, value))
    return TRUE;
  set_error (error, MILTER_DECODER_ERROR_SHORT_PAYLOAD, cursor,
             "payload is %" G_GSIZE_FORMAT " bytes, too short for the "
             "4-byte %s at payload byte %" G_GSIZE_FORMAT,
             cursor->bytes.size, field, cursor->bytes.position);
  return FALSE;
}

static gboolean
read_string (Cursor *cursor, const gchar *field, const gchar **value,
             GError **error)
{
  if (milter_payload_cursor_read_string (&cursor->bytes, value))
    return TRUE;
  set_error (error, MILTER_DECODER_ERROR_MISSING_NUL, cursor,
             "no NUL ends the %s starting at payload byte %"
             G_GSIZE_FORMAT, field, cursor->bytes.position);
  return FALSE;
}

static gboolean
expect_end (const Cursor *cursor, const gchar *after, GError **error)
{
  gsize left = milter_payload_cursor_left (&cursor->bytes);

  if (left > 0) {
    set_error (error, MILTER_DECODER_ERROR_TRAILING_GARBAGE, cursor,
               "%" G_GSIZE_FORMAT " unexpected %s after the %s "
               "at payload byte %" G_GSIZE_FORMAT,
               left, left == 1 ? "byte" : "bytes",
               after, cursor->bytes.position);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_negotiate (Cursor *cursor, GArray *macro_lists, MilterReply *reply,
                 GError **error)
{
  if (cursor->bytes.size < 12) {
    set_error (error, MILTER_DECODER_ERROR_SHORT_PAYLOAD, cursor,
               "payload is %" G_GSIZE_FORMAT " bytes, needs at least 12 "
               "(version, actions, steps)", cursor->bytes.size);
    return FALSE;
  }
  read_uint32 (cursor, "version", &reply->negotiate.version, NULL);
  read_uint32 (cursor, "actions", &reply->negotiate.actions, NULL);
  read_uint32 (cursor, "steps", &reply->negotiate.steps, NULL);

  /* v6: (uint32 stage, "names"\0) until the end of the payload. */
  g_array_set_size (macro_lists, 0);
  while (milter_payload_cursor_left (&cursor->bytes) > 0) {
    MilterReplyMacroList list;
    gsize entry = cursor->bytes.position;
    guint32 stage;

    if (milter_payload_cursor_left (&cursor->bytes) < 4) {
      set_error (error, MILTER_DECODER_ERROR_TRAILING_GARBAGE, cursor,
                 "macro list entry at payload byte %" G_GSIZE_FORMAT
                 " is cut short: %" G_GSIZE_FORMAT " of the 4 bytes of "
                 "its stage", entry,
                 milter_payload_cursor_left (&cursor->bytes));
      return FALSE;
    }
    read_uint32 (cursor, "macro stage", &stage, NULL);
    if (stage >= MILTER_MACRO_STAGE_COUNT) {
      set_error (error, MILTER_DECODER_ERROR_INVALID_VALUE, cursor,
                 "macro stage %u at payload byte %" G_GSIZE_FORMAT
                 " is not 0 to %d", stage, entry, MILTER_MACRO_STAGE_COUNT - 1);
      return FALSE;
    }
    if (!read_string (cursor, "macro names", &list.names, error))
      return FALSE;
    list.stage = (MilterMacroStage) stage;
    g_array_append_val (macro_lists, list);
  }
  reply->negotiate.macro_lists =
    macro_lists->len > 0 ? &g_array_index (macro_lists, MilterReplyMacroList, 0)
                         : NULL;
  reply->negotiate.n_macro_lists = macro_lists->len;
  return TRUE;
}

gboolean
milter_reply_parse (guint8 type,
                    const guint8 *payload,
                    gsize payload_size,
                    guint64 offset,
                    GArray *macro_lists,
                    MilterReply *reply,
                    GError **error)
{
  Cursor cursor;

  g_return_val_if_fail (payload != NULL || payload_size == 0, FALSE);
  g_return_val_if_fail (macro_lists != NULL, FALSE);
  g_return_val_if_fail (reply != NULL, FALSE);

  memset (reply, 0, sizeof (*reply));
  milter_payload_cursor_init (&cursor.bytes, payload, payload_size);
  cursor.offset = offset;
  cursor.name = milter_reply_type_to_string (type);
  if (!cursor.name) {
    if (g_ascii_isgraph (type))
      g_set_error (error, MILTER_DECODER_ERROR,
                   MILTER_DECODER_ERROR_UNKNOWN_TYPE,
                   "unknown reply type 0x%02x ('%c') at byte offset %"
                   G_GUINT64_FORMAT, type, type, offset);
    else
      g_set_error (error, MILTER_DECODER_ERROR,
                   MILTER_DECODER_ERROR_UNKNOWN_TYPE,
                   "unknown reply type 0x%02x at byte offset %"
                   G_GUINT64_FORMAT, type, offset);
    return FALSE;
  }
  reply->type = (MilterReplyType) type;

  switch (type) {
  case MILTER_REPLY_NEGOTIATE:
    return parse_negotiate (&cursor, macro_lists, reply, error);
  case MILTER_REPLY_REPLY_CODE:
    return read_string (&cursor, "reply text", &reply->reply_code.text, error) &&
           expect_end (&cursor, "reply text", error);
  case MILTER_REPLY_INSERT_HEADER:
  case MILTER_REPLY_CHANGE_HEADER:
    if (!read_uint32 (&cursor, "header index", &reply->header.index, error))
      return FALSE;
    /* fall through */
  case MILTER_REPLY_ADD_HEADER:
    return read_string (&cursor, "header name", &reply->header.name, error) &&
           read_string (&cursor, "header value", &reply->header.value, error) &&
           expect_end (&cursor, "header value", error);
  case MILTER_REPLY_ADD_RECIPIENT:
  case MILTER_REPLY_DELETE_RECIPIENT:
    return read_string (&cursor, "recipient", &reply->recipient.recipient,
                        error) &&
           expect_end (&cursor, "recipient", error);
  case MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS:
    return read_string (&cursor, "recipient", &reply->recipient.recipient,
                        error) &&
           read_string (&cursor, "ESMTP arguments", &reply->recipient.args,
                        error) &&
           expect_end (&cursor, "ESMTP arguments", error);
  case MILTER_REPLY_CHANGE_FROM:
    if (!read_string (&cursor, "sender", &reply->change_from.from, error))
      return FALSE;
    /* The ESMTP arguments are optional: libmilter omits them for NULL. */
    if (milter_payload_cursor_left (&cursor.bytes) > 0 &&
        !read_string (&cursor, "ESMTP arguments", &reply->change_from.args,
                      error))
      return FALSE;
    return expect_end (&cursor, "ESMTP arguments", error);
  case MILTER_REPLY_REPLACE_BODY:
    reply->replace_body.data = payload;
    reply->replace_body.size = payload_size;
    return TRUE;
  case MILTER_REPLY_QUARANTINE:
    return read_string (&cursor, "reason", &reply->quarantine.reason, error) &&
           expect_end (&cursor, "reason", error);
  default:
    /* Every other named type is bare (milter_reply_type_is_bare()); one
     * switch, not a test before it, keeps continue at one jump. */
    return expect_end (&cursor, "type byte (this reply has no payload)", error);
  }
}

static GArray *
macro_lists_new (void)
{
  return g_array_sized_new (FALSE, FALSE, sizeof (MilterReplyMacroList),
                            MILTER_MACRO_STAGE_COUNT);
}

MilterReplyDecoder *
milter_reply_decoder_new (gsize max_packet_size)
{
  MilterReplyDecoder *decoder = g_new0 (MilterReplyDecoder, 1);

  decoder->packets = milter_packet_decoder_new (max_packet_size);
  decoder->macro_lists = macro_lists_new ();
  return decoder;
}

void
milter_reply_decoder_free (MilterReplyDecoder *decoder)
{
  if (!decoder)
    return;
  milter_packet_decoder_free (decoder->packets);
  g_array_unref (decoder->macro_lists);
  g_free (decoder);
}

void
milter_reply_decoder_reset (MilterReplyDecoder *decoder)
{
  milter_packet_decoder_reset (decoder->packets);
  g_array_set_size (decoder->macro_lists, 0);
}

static gboolean
on_packet (guint8 type, const guint8 *payload, gsize payload_size,
           gpointer user_data, GError **error)
{
  const Feed *feed = user_data;
  MilterReplyDecoder *decoder = feed->decoder;
  MilterReply reply;
  gboolean ok;

  ok = milter_reply_parse (type, payload, payload_size,
                           milter_packet_decoder_get_packet_offset (decoder->packets),
                           decoder->macro_lists, &reply, error) &&
       feed->func (&reply, feed->user_data, error);
  /* A hostile negotiate reply can hold ~200,000 empty entries; do not keep
   * their storage for the rest of the connection. */
  if (decoder->macro_lists->len > MACRO_LISTS_KEPT) {
    g_array_unref (decoder->macro_lists);
    decoder->macro_lists = macro_lists_new ();
  }
  return ok;
}

gboolean
milter_reply_decoder_feed (MilterReplyDecoder *decoder,
                           const guint8 *data,
                           gsize size,
                           MilterReplyFunc func,
                           gpointer user_data,
                           GError **error)
{
  Feed feed = {decoder, func, user_data};

  g_return_val_if_fail (decoder != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return milter_packet_decoder_feed (decoder->packets, data, size, on_packet,
                                     &feed, error);
}

gboolean
milter_reply_decoder_finish (MilterReplyDecoder *decoder, GError **error)
{
  return milter_packet_decoder_finish (decoder->packets, error);
}

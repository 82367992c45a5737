/*
 * milter-command-decoder - decode the MTA-to-milter command stream
 *
 * SYNOPSIS
 *   MilterCommandDecoder *milter_command_decoder_new (gsize max_packet_size);
 *   gboolean milter_command_decoder_feed (decoder, data, size, func, user_data, &error);
 *   gboolean milter_command_decoder_finish (decoder, &error);
 *   gboolean milter_command_decoder_parse (decoder, type, payload, size, &command, &error);
 *
 * DESCRIPTION
 *   Framing is the packet decoder's job; this file only checks and splits
 *   payloads. Every read goes through the shared bounds-checked cursor
 *   (milter-payload-cursor.h), so hostile input can at worst produce an
 *   error. Strings are never copied: a NUL found inside the payload ends
 *   each one in place.
 *
 * DIAGNOSTICS
 *   See milter-command-decoder.h. Messages are built only on failure.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-packet-decoder.h>
#include <milter/core/milter-payload-cursor.h>
#include <milter/core/milter-command.h>
#include <milter/core/milter-command-decoder.h>

/* A reused vector of views into the packet, NULL-terminated after a
 * parse. Room for a stage's usual macros is inline: no allocation per
 * session unless an MTA sends more. */
#define INLINE_VIEWS 24

typedef struct {
  const gchar **data;
  guint len;
  guint capacity;
  const gchar *inline_data[INLINE_VIEWS];
} Views;

struct _MilterCommandDecoder {
  MilterPacketDecoder *packets;
  Views argv;
  Views names;
  Views values;
};

static void
views_init (Views *views)
{
  views->data = views->inline_data;
  views->len = 0;
  views->capacity = INLINE_VIEWS;
}

static void
views_clear (Views *views)
{
  if (views->data != views->inline_data)
    g_free (views->data);
  views_init (views);
}

static void
views_add (Views *views, const gchar *string)
{
  if (views->len == views->capacity) {
    guint capacity = views->capacity * 2;
    const gchar **data = g_new (const gchar *, capacity);

    memcpy (data, views->data, views->len * sizeof (*data));
    if (views->data != views->inline_data)
      g_free (views->data);
    views->data = data;
    views->capacity = capacity;
  }
  views->data[views->len++] = string;
}

/* One feed's callback, handed to the packet decoder on the stack. */
typedef struct {
  MilterCommandDecoder *decoder;
  MilterCommandFunc func;
  gpointer user_data;
} Feed;

/* The shared payload cursor, with what this decoder's errors name. */
typedef struct {
  MilterPayloadCursor bytes;
  MilterCommandDecoder *decoder;
  const gchar *command_name;
} Cursor;

MilterCommandDecoder *
milter_command_decoder_new (gsize max_packet_size)
{
  MilterCommandDecoder *decoder = g_new0 (MilterCommandDecoder, 1);

  decoder->packets = milter_packet_decoder_new (max_packet_size);
  views_init (&decoder->argv);
  views_init (&decoder->names);
  views_init (&decoder->values);
  return decoder;
}

void
milter_command_decoder_free (MilterCommandDecoder *decoder)
{
  if (!decoder)
    return;
  milter_packet_decoder_free (decoder->packets);
  views_clear (&decoder->argv);
  views_clear (&decoder->names);
  views_clear (&decoder->values);
  g_free (decoder);
}

void
milter_command_decoder_reset (MilterCommandDecoder *decoder)
{
  milter_packet_decoder_reset (decoder->packets);
  decoder->argv.len = decoder->names.len = decoder->values.len = 0;
}

static gboolean G_GNUC_PRINTF (4, 5)
cursor_fail (Cursor *cursor, MilterDecoderError code, GError **error,
             const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, MILTER_DECODER_ERROR, code,
               "%s: %s in packet at byte offset %" G_GUINT64_FORMAT
               " (payload byte %" G_GSIZE_FORMAT ")",
               cursor->command_name, what,
               milter_packet_decoder_get_packet_offset (cursor->decoder->packets),
               cursor->bytes.position);
  return FALSE;
}

static gsize
cursor_left (const Cursor *cursor)
{
  return milter_payload_cursor_left (&cursor->bytes);
}

static gboolean
cursor_short (Cursor *cursor, const gchar *field, gsize n, GError **error)
{
  return cursor_fail (cursor, MILTER_DECODER_ERROR_SHORT_PAYLOAD, error,
                      "%s missing (need %" G_GSIZE_FORMAT " byte(s), %"
                      G_GSIZE_FORMAT " left)", field, n, cursor_left (cursor));
}

static gboolean
cursor_read_uint8 (Cursor *cursor, const gchar *field, guint8 *value,
                   GError **error)
{
  return milter_payload_cursor_read_uint8 (&cursor->bytes, value) ||
         cursor_short (cursor, field, 1, error);
}

static gboolean
cursor_read_uint16 (Cursor *cursor, const gchar *field, guint16 *value,
                    GError **error)
{
  return milter_payload_cursor_read_uint16 (&cursor->bytes, value) ||
         cursor_short (cursor, field, 2, error);
}

static gboolean
cursor_read_uint32 (Cursor *cursor, const gchar *field, guint32 *value,
                    GError **error)
{
  return milter_payload_cursor_read_uint32 (&cursor->bytes, value) ||
         cursor_short (cursor, field, 4, error);
}

static gboolean
cursor_read_string (Cursor *cursor, const gchar *field, const gchar **string,
                    GError **error)
{
  if (milter_payload_cursor_read_string (&cursor->bytes, string))
    return TRUE;
  if (cursor_left (cursor) == 0)
    return cursor_fail (cursor, MILTER_DECODER_ERROR_SHORT_PAYLOAD, error,
                        "%s missing", field);
  return cursor_fail (cursor, MILTER_DECODER_ERROR_MISSING_NUL, error,
                      "string without terminating NUL (%s)", field);
}

/*
 * Bytes after a command's last field are what libmilter (engine.c) makes
 * of them, so that a milter on this library accepts what one on libmilter
 * accepts: helo, header and connect's address are read up to the first
 * NUL after a check that the payload's last byte is a NUL, so trailing
 * bytes pass only when they end with one. Every other command is ignored
 * past its fields (callers just stop reading).
 */
static inline gboolean
cursor_end_after_string (Cursor *cursor, const gchar *after, GError **error)
{
  if (G_UNLIKELY (cursor_left (cursor) > 0) &&
      !milter_payload_cursor_ends_with_nul (&cursor->bytes))
    return cursor_fail (cursor, MILTER_DECODER_ERROR_TRAILING_GARBAGE, error,
                        "%" G_GSIZE_FORMAT " trailing byte(s) after %s",
                        cursor_left (cursor), after);
  return TRUE;
}

static gboolean
parse_negotiate (Cursor *cursor, MilterCommand *command, GError **error)
{
  guint32 version, actions, steps;

  if (!cursor_read_uint32 (cursor, "version", &version, error) ||
      !cursor_read_uint32 (cursor, "actions", &actions, error) ||
      !cursor_read_uint32 (cursor, "steps", &steps, error))
    return FALSE;
  command->negotiate.version = version;
  command->negotiate.actions = (MilterActionFlags) actions;
  command->negotiate.steps = (MilterStepFlags) steps;
  /* libmilter reads 12 bytes and ignores the rest: room for extensions. */
  return TRUE;
}

static gboolean
parse_define_macro (Cursor *cursor, MilterCommand *command, GError **error)
{
  MilterCommandDecoder *decoder = cursor->decoder;
  guint8 stage;
  guint n_strings = 0;

  if (!cursor_read_uint8 (cursor, "stage command byte", &stage, error))
    return FALSE;
  if (!milter_command_is_macro_stage (stage)) {
    cursor->bytes.position--;
    return cursor_fail (cursor, MILTER_DECODER_ERROR_INVALID_VALUE, error,
                        "invalid macro stage byte 0x%02x", stage);
  }
  decoder->names.len = decoder->values.len = 0;
  while (cursor_left (cursor) > 0) {
    const gchar *string;

    if (!cursor_read_string (cursor,
                             n_strings % 2 == 0 ? "macro name" : "macro value",
                             &string, error))
      return FALSE;
    views_add (n_strings % 2 == 0 ? &decoder->names : &decoder->values,
               string);
    n_strings++;
  }
  if (n_strings % 2 != 0)
    return cursor_fail (cursor, MILTER_DECODER_ERROR_INVALID_VALUE, error,
                        "odd number of strings (%u): macro %s has no value",
                        n_strings,
                        decoder->names.data[decoder->names.len - 1]);
  command->define_macro.stage_command = stage;
  command->define_macro.n_macros = decoder->names.len;
  views_add (&decoder->names, NULL);
  views_add (&decoder->values, NULL);
  command->define_macro.names = decoder->names.data;
  command->define_macro.values = decoder->values.data;
  return TRUE;
}

static gboolean
parse_connect (Cursor *cursor, MilterCommand *command, GError **error)
{
  guint8 family;

  if (!cursor_read_string (cursor, "host", &command->connect.host, error) ||
      !cursor_read_uint8 (cursor, "family", &family, error))
    return FALSE;
  command->connect.family = (MilterFamily) family;
  command->connect.port = 0;
  command->connect.address = NULL;
  switch (family) {
  case MILTER_FAMILY_UNKNOWN:
    /* Sendmail and Postfix send neither port nor address here; libmilter
     * reads nothing after the family then, so neither do we. */
    return TRUE;
  case MILTER_FAMILY_UNIX:
  case MILTER_FAMILY_INET:
  case MILTER_FAMILY_INET6:
    break;
  default:
    cursor->bytes.position--;
    return cursor_fail (cursor, MILTER_DECODER_ERROR_INVALID_VALUE, error,
                        "invalid family byte 0x%02x", family);
  }
  if (!cursor_read_uint16 (cursor, "port", &command->connect.port, error) ||
      !cursor_read_string (cursor, "address", &command->connect.address, error))
    return FALSE;
  return cursor_end_after_string (cursor, "address", error);
}

static gboolean
parse_envelope (Cursor *cursor, MilterCommand *command, GError **error)
{
  Views *argv = &cursor->decoder->argv;
  const gchar *string;

  argv->len = 0;
  if (!cursor_read_string (cursor, "address", &string, error))
    return FALSE;
  views_add (argv, string);
  /* libmilter splits at NULs and drops bytes after the last one. */
  while (milter_payload_cursor_read_string (&cursor->bytes, &string))
    views_add (argv, string);
  command->envelope.argc = argv->len;
  views_add (argv, NULL);
  command->envelope.argv = argv->data;
  return TRUE;
}

static gboolean
parse_payload (Cursor *cursor, MilterCommand *command, GError **error)
{
  switch (command->type) {
  case MILTER_COMMAND_NEGOTIATE:
    return parse_negotiate (cursor, command, error);
  case MILTER_COMMAND_DEFINE_MACRO:
    return parse_define_macro (cursor, command, error);
  case MILTER_COMMAND_CONNECT:
    return parse_connect (cursor, command, error);
  case MILTER_COMMAND_HELO:
    return cursor_read_string (cursor, "fqdn", &command->helo.fqdn, error) &&
           cursor_end_after_string (cursor, "fqdn", error);
  case MILTER_COMMAND_ENVELOPE_FROM:
  case MILTER_COMMAND_ENVELOPE_RECIPIENT:
    return parse_envelope (cursor, command, error);
  case MILTER_COMMAND_HEADER:
    return cursor_read_string (cursor, "header name", &command->header.name, error) &&
           cursor_read_string (cursor, "header value", &command->header.value, error) &&
           cursor_end_after_string (cursor, "header value", error);
  case MILTER_COMMAND_BODY:
  case MILTER_COMMAND_END_OF_MESSAGE:
    /* Raw bytes; the chunk-size limit is the packet decoder's maximum. */
    command->body.data = cursor->bytes.data;
    command->body.size = cursor->bytes.size;
    cursor->bytes.position = cursor->bytes.size;
    return TRUE;
  case MILTER_COMMAND_UNKNOWN:
    /* libmilter hands the payload over as one string, unchecked. */
    return cursor_read_string (cursor, "SMTP command", &command->unknown.command, error);
  default:
    /* The bare commands: libmilter does not look at their payloads. */
    g_return_val_if_fail (milter_command_type_is_bare (command->type), FALSE);
    return TRUE;
  }
}

gboolean
milter_command_decoder_parse (MilterCommandDecoder *decoder,
                              guint8 type,
                              const guint8 *payload,
                              gsize size,
                              MilterCommand *command,
                              GError **error)
{
  /* Body commands hand out a pointer even for an empty payload. */
  static const guint8 empty_payload[1] = {0};
  Cursor cursor;

  g_return_val_if_fail (decoder != NULL, FALSE);
  g_return_val_if_fail (payload != NULL || size == 0, FALSE);
  g_return_val_if_fail (command != NULL, FALSE);

  memset (command, 0, sizeof (*command));
  milter_payload_cursor_init (&cursor.bytes, payload ? payload : empty_payload,
                              size);
  cursor.decoder = decoder;
  cursor.command_name = milter_command_type_to_string (type);
  if (!cursor.command_name) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
                 "unknown command byte 0x%02x in packet at byte offset %"
                 G_GUINT64_FORMAT,
                 type, milter_packet_decoder_get_packet_offset (decoder->packets));
    return FALSE;
  }
  command->type = (MilterCommandType) type;
  return parse_payload (&cursor, command, error);
}

static gboolean
on_packet (guint8 type, const guint8 *payload, gsize payload_size,
           gpointer user_data, GError **error)
{
  const Feed *feed = user_data;
  MilterCommand command;

  return milter_command_decoder_parse (feed->decoder, type, payload,
                                       payload_size, &command, error) &&
         feed->func (&command, feed->user_data, error);
}

gboolean
milter_command_decoder_feed (MilterCommandDecoder *decoder,
                             const guint8 *data,
                             gsize size,
                             MilterCommandFunc func,
                             gpointer user_data,
                             GError **error)
{
  Feed feed = {decoder, func, user_data};

  g_return_val_if_fail (decoder != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return milter_packet_decoder_feed (decoder->packets, data, size,
                                     on_packet, &feed, error);
}

gboolean
milter_command_decoder_finish (MilterCommandDecoder *decoder, GError **error)
{
  g_return_val_if_fail (decoder != NULL, FALSE);

  return milter_packet_decoder_finish (decoder->packets, error);
}

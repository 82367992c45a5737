/*
 * test-packet-decoder - framing: splits, zero copy, bad lengths
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <gio/gio.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-packet-decoder.h>

typedef struct {
  GString *log;          /* "type:payload-size:payload-hex;" per packet */
  const guint8 *fed;     /* the buffer last fed, for the zero-copy check */
  gsize fed_size;
  guint n_in_place;
  guint fail_at;         /* fail on this packet number (1-based), 0: never */
  guint n_packets;
} Collector;

static gboolean
collect (guint8 type, const guint8 *payload, gsize size, gpointer user_data,
         GError **error)
{
  Collector *collector = user_data;
  gsize i;

  collector->n_packets++;
  if (collector->fail_at == collector->n_packets) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "handler refused");
    return FALSE;
  }
  g_string_append_printf (collector->log, "%c:%" G_GSIZE_FORMAT ":", type, size);
  for (i = 0; i < size; i++)
    g_string_append_printf (collector->log, "%02x", payload[i]);
  g_string_append_c (collector->log, ';');
  if (collector->fed && payload >= collector->fed &&
      payload + size <= collector->fed + collector->fed_size)
    collector->n_in_place++;
  return TRUE;
}

static void
append_packet (GByteArray *stream, guint8 type, const gchar *payload, gsize size)
{
  guint32 length = GUINT32_TO_BE ((guint32) size + 1);

  g_byte_array_append (stream, (const guint8 *) &length, 4);
  g_byte_array_append (stream, &type, 1);
  if (size > 0)
    g_byte_array_append (stream, (const guint8 *) payload, (guint) size);
}

static GByteArray *
sample_stream (void)
{
  GByteArray *stream = g_byte_array_new ();
  g_autofree gchar *big = g_malloc (70000);

  memset (big, 'x', 70000);
  append_packet (stream, 'O', "\0\0\0\6\0\0\1\xff\0\x1f\xff\xff", 12);
  append_packet (stream, 'H', "mx.example.org", 15);
  append_packet (stream, 'T', NULL, 0);
  append_packet (stream, 'B', big, 70000);
  append_packet (stream, 'Q', NULL, 0);
  return stream;
}

static gchar *
decode_in_chunks (const GByteArray *stream, const gsize *splits, guint n_splits)
{
  g_autoptr (MilterPacketDecoder) decoder = milter_packet_decoder_new (0);
  Collector collector = {g_string_new (NULL), NULL, 0, 0, 0, 0};
  g_autoptr (GError) error = NULL;
  gsize offset = 0;
  guint i = 0;

  while (offset < stream->len) {
    gsize size = i < n_splits ? splits[i++] : stream->len - offset;

    size = MIN (size, stream->len - offset);
    g_assert_true (milter_packet_decoder_feed (decoder, stream->data + offset,
                                               size, collect, &collector, &error));
    g_assert_no_error (error);
    offset += size;
  }
  g_assert_true (milter_packet_decoder_finish (decoder, &error));
  g_assert_cmpuint (milter_packet_decoder_get_offset (decoder), ==, stream->len);
  return g_string_free (collector.log, FALSE);
}

/* The same stream gives the same packets whatever the split. */
static void
test_splits (void)
{
  g_autoptr (GByteArray) stream = sample_stream ();
  g_autofree gchar *whole = decode_in_chunks (stream, NULL, 0);
  g_autofree gsize *ones = g_new (gsize, stream->len);
  g_autofree gchar *bytewise = NULL;
  guint round, i;

  g_assert_cmpint (strlen (whole), >, 140000);
  for (i = 0; i < stream->len; i++)
    ones[i] = 1;
  bytewise = decode_in_chunks (stream, ones, stream->len);
  g_assert_cmpstr (bytewise, ==, whole);

  g_test_rand_int ();  /* seeded by g_test_init: reproducible with --seed */
  for (round = 0; round < 50; round++) {
    gsize splits[64];
    g_autofree gchar *random_split = NULL;

    for (i = 0; i < G_N_ELEMENTS (splits); i++)
      splits[i] = (gsize) g_test_rand_int_range (1, 3000);
    random_split = decode_in_chunks (stream, splits, G_N_ELEMENTS (splits));
    g_assert_cmpstr (random_split, ==, whole);
  }
}

/* A packet whole in the fed buffer is handed out in place. */
static void
test_zero_copy (void)
{
  g_autoptr (GByteArray) stream = sample_stream ();
  g_autoptr (MilterPacketDecoder) decoder = milter_packet_decoder_new (0);
  Collector collector = {g_string_new (NULL), stream->data, stream->len, 0, 0, 0};
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_packet_decoder_feed (decoder, stream->data, stream->len,
                                             collect, &collector, &error));
  g_assert_cmpuint (collector.n_packets, ==, 5);
  g_assert_cmpuint (collector.n_in_place, ==, 5);
  g_string_free (collector.log, TRUE);
}

typedef struct {
  const gchar *name;
  const gchar *bytes;
  gsize size;
  gsize max_packet_size;
  gint code;
  const gchar *message_part;
} BadCase;

static const BadCase bad_cases[] = {
  {"zero-length", "\0\0\0\0", 4, 0, MILTER_DECODER_ERROR_ZERO_LENGTH,
   "packet length is 0 at byte offset 0"},
  {"zero-length-second", "\0\0\0\1T\0\0\0\0", 9, 0,
   MILTER_DECODER_ERROR_ZERO_LENGTH, "at byte offset 5"},
  {"too-large", "\0\0\1\0B", 5, 100, MILTER_DECODER_ERROR_TOO_LARGE,
   "packet length 256 exceeds the maximum 100 at byte offset 0"},
  {"huge", "\xff\xff\xff\xff", 4, 0, MILTER_DECODER_ERROR_TOO_LARGE,
   "packet length 4294967295 exceeds"},
  {"truncated-length", "\0\0", 2, 0, MILTER_DECODER_ERROR_TRUNCATED,
   "input ended inside the packet starting at byte offset 0 (2 bytes short)"},
  {"truncated-payload", "\0\0\0\1T\0\0\0\5Hab", 12, 0,
   MILTER_DECODER_ERROR_TRUNCATED,
   "packet starting at byte offset 5 (2 bytes short)"},
};

static void
test_bad_input (gconstpointer data)
{
  const BadCase *bad = data;
  g_autoptr (MilterPacketDecoder) decoder =
    milter_packet_decoder_new (bad->max_packet_size);
  Collector collector = {g_string_new (NULL), NULL, 0, 0, 0, 0};
  g_autoptr (GError) error = NULL;
  gboolean ok;
  gsize i;

  /* Byte by byte, so the split paths report errors too. */
  ok = TRUE;
  for (i = 0; ok && i < bad->size; i++)
    ok = milter_packet_decoder_feed (decoder, (const guint8 *) bad->bytes + i, 1,
                                     collect, &collector, &error);
  if (ok)
    ok = milter_packet_decoder_finish (decoder, &error);
  g_assert_false (ok);
  g_assert_error (error, MILTER_DECODER_ERROR, bad->code);
  g_assert_nonnull (strstr (error->message, bad->message_part));

  /* And all at once. */
  g_clear_error (&error);
  milter_packet_decoder_reset (decoder);
  ok = milter_packet_decoder_feed (decoder, (const guint8 *) bad->bytes,
                                   bad->size, collect, &collector, &error);
  if (ok)
    ok = milter_packet_decoder_finish (decoder, &error);
  g_assert_false (ok);
  g_assert_error (error, MILTER_DECODER_ERROR, bad->code);
  g_assert_nonnull (strstr (error->message, bad->message_part));
  g_string_free (collector.log, TRUE);
}

/* A handler's error stops decoding and reaches the caller unchanged. */
static void
test_handler_error (void)
{
  g_autoptr (GByteArray) stream = sample_stream ();
  g_autoptr (MilterPacketDecoder) decoder = milter_packet_decoder_new (0);
  Collector collector = {g_string_new (NULL), NULL, 0, 0, 2, 0};
  g_autoptr (GError) error = NULL;

  g_assert_false (milter_packet_decoder_feed (decoder, stream->data, stream->len,
                                              collect, &collector, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpuint (collector.n_packets, ==, 2);
  g_assert_cmpuint (milter_packet_decoder_get_packet_offset (decoder), ==, 17);
  g_string_free (collector.log, TRUE);
}

/* The gathering buffer never grows past the packet being gathered. */
static void
test_max_size_boundary (void)
{
  g_autoptr (MilterPacketDecoder) decoder = milter_packet_decoder_new (11);
  Collector collector = {g_string_new (NULL), NULL, 0, 0, 0, 0};
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GError) error = NULL;

  append_packet (stream, 'H', "0123456789", 10); /* length 11: allowed */
  g_assert_true (milter_packet_decoder_feed (decoder, stream->data, stream->len,
                                             collect, &collector, &error));
  g_assert_cmpstr (collector.log->str, ==,
                   "H:10:30313233343536373839;");
  g_byte_array_set_size (stream, 0);
  append_packet (stream, 'H', "0123456789a", 11); /* length 12: refused */
  g_assert_false (milter_packet_decoder_feed (decoder, stream->data, stream->len,
                                              collect, &collector, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TOO_LARGE);
  g_assert_cmpuint (milter_packet_decoder_get_max_packet_size (decoder), ==, 11);
  g_string_free (collector.log, TRUE);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/packet-decoder/splits", test_splits);
  g_test_add_func ("/core/packet-decoder/zero-copy", test_zero_copy);
  g_test_add_func ("/core/packet-decoder/handler-error", test_handler_error);
  g_test_add_func ("/core/packet-decoder/max-size-boundary", test_max_size_boundary);
  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/packet-decoder/bad/%s", bad_cases[i].name);
    g_test_add_data_func (path, &bad_cases[i], test_bad_input);
  }
  return g_test_run ();
}

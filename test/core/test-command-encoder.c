/*
 * test-command-encoder - every encoder against hand-written bytes, body
 * chunking, appending, and encode -> decode -> encode round trips
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-command.h>
#include <milter/core/milter-command-decoder.h>
#include <milter/core/milter-command-encoder.h>

#define BYTES(literal) (const guint8 *) (literal), sizeof (literal) - 1

static const gchar *const connect_macro_names[] = {"j", "{daemon_name}"};
static const gchar *const connect_macro_values[] = {"mx.example.org", "mta"};
static const gchar *const from_args[] = {"SIZE=1024", "BODY=8BITMIME", NULL};
static const gchar *const rcpt_args[] = {"NOTIFY=NEVER", NULL};
static const gchar *const no_args[] = {NULL};

static void
encode_negotiate (GByteArray *out)
{
  milter_command_encode_negotiate (out, 6, MILTER_ACTION_ALL, MILTER_STEP_ALL);
}

static void
encode_negotiate_v2 (GByteArray *out)
{
  milter_command_encode_negotiate (out, 2, MILTER_ACTION_NONE, MILTER_STEP_NONE);
}

static void
encode_define_macro (GByteArray *out)
{
  milter_command_encode_define_macro (out, 'C', connect_macro_names,
                                      connect_macro_values, 2);
}

static void
encode_define_macro_empty (GByteArray *out)
{
  milter_command_encode_define_macro (out, 'T', NULL, NULL, 0);
}

static void
encode_connect_unix (GByteArray *out)
{
  milter_command_encode_connect (out, "localhost", MILTER_FAMILY_UNIX, 0,
                                 "/run/milter.sock");
}

static void
encode_connect_inet (GByteArray *out)
{
  milter_command_encode_connect (out, "mx.example.net", MILTER_FAMILY_INET, 25,
                                 "192.0.2.1");
}

static void
encode_connect_inet6 (GByteArray *out)
{
  milter_command_encode_connect (out, "v6.example.net", MILTER_FAMILY_INET6, 587,
                                 "IPv6:2001:db8::1");
}

static void
encode_connect_unknown (GByteArray *out)
{
  /* Port and address are ignored for an unknown family. */
  milter_command_encode_connect (out, "somewhere", MILTER_FAMILY_UNKNOWN, 25, NULL);
}

static void
encode_helo (GByteArray *out)
{
  milter_command_encode_helo (out, "client.example.com");
}

static void
encode_envelope_from (GByteArray *out)
{
  milter_command_encode_envelope_from (out, "<a@example.org>", from_args);
}

static void
encode_envelope_from_no_args (GByteArray *out)
{
  milter_command_encode_envelope_from (out, "<>", NULL);
}

static void
encode_envelope_recipient (GByteArray *out)
{
  milter_command_encode_envelope_recipient (out, "<b@example.net>", rcpt_args);
}

static void
encode_envelope_recipient_empty_args (GByteArray *out)
{
  milter_command_encode_envelope_recipient (out, "<c@example.net>", no_args);
}

static void
encode_data (GByteArray *out)
{
  milter_command_encode_data (out);
}

static void
encode_header (GByteArray *out)
{
  milter_command_encode_header (out, "Subject", " Hello");
}

static void
encode_end_of_header (GByteArray *out)
{
  milter_command_encode_end_of_header (out);
}

static void
encode_body (GByteArray *out)
{
  g_assert_cmpuint (milter_command_encode_body (out, (const guint8 *) "Hello\r\nWorld\r\n", 14),
                    ==, 14);
}

static void
encode_body_empty (GByteArray *out)
{
  g_assert_cmpuint (milter_command_encode_body (out, NULL, 0), ==, 0);
}

static void
encode_end_of_message (GByteArray *out)
{
  milter_command_encode_end_of_message (out, NULL, 0);
}

static void
encode_end_of_message_with_chunk (GByteArray *out)
{
  milter_command_encode_end_of_message (out, (const guint8 *) "bye\r\n", 5);
}

static void
encode_unknown (GByteArray *out)
{
  milter_command_encode_unknown (out, "HELP");
}

static void
encode_abort (GByteArray *out)
{
  milter_command_encode_abort (out);
}

static void
encode_quit (GByteArray *out)
{
  milter_command_encode_quit (out);
}

static void
encode_quit_new_connection (GByteArray *out)
{
  milter_command_encode_quit_new_connection (out);
}

typedef struct {
  const gchar *name;
  void (*encode) (GByteArray *out);
  const guint8 *expected;
  gsize expected_size;
} EncodeCase;

static const EncodeCase encode_cases[] = {
  {"negotiate", encode_negotiate,
   BYTES ("\0\0\0\x0d" "O" "\0\0\0\x06" "\0\0\x01\xff" "\0\x1f\xff\xff")},
  {"negotiate-v2", encode_negotiate_v2,
   BYTES ("\0\0\0\x0d" "O" "\0\0\0\x02" "\0\0\0\0" "\0\0\0\0")},
  {"define-macro", encode_define_macro,
   BYTES ("\0\0\0\x25" "D" "C" "j\0" "mx.example.org\0" "{daemon_name}\0" "mta\0")},
  {"define-macro-empty", encode_define_macro_empty,
   BYTES ("\0\0\0\x02" "D" "T")},
  {"connect-unix", encode_connect_unix,
   BYTES ("\0\0\0\x1f" "C" "localhost\0" "L" "\0\0" "/run/milter.sock\0")},
  {"connect-inet", encode_connect_inet,
   BYTES ("\0\0\0\x1d" "C" "mx.example.net\0" "4" "\0\x19" "192.0.2.1\0")},
  {"connect-inet6", encode_connect_inet6,
   BYTES ("\0\0\0\x24" "C" "v6.example.net\0" "6" "\x02\x4b" "IPv6:2001:db8::1\0")},
  {"connect-unknown", encode_connect_unknown,
   BYTES ("\0\0\0\x0c" "C" "somewhere\0" "U")},
  {"helo", encode_helo,
   BYTES ("\0\0\0\x14" "H" "client.example.com\0")},
  {"envelope-from", encode_envelope_from,
   BYTES ("\0\0\0\x29" "M" "<a@example.org>\0" "SIZE=1024\0" "BODY=8BITMIME\0")},
  {"envelope-from-no-args", encode_envelope_from_no_args,
   BYTES ("\0\0\0\x04" "M" "<>\0")},
  {"envelope-recipient", encode_envelope_recipient,
   BYTES ("\0\0\0\x1e" "R" "<b@example.net>\0" "NOTIFY=NEVER\0")},
  {"envelope-recipient-empty-args", encode_envelope_recipient_empty_args,
   BYTES ("\0\0\0\x11" "R" "<c@example.net>\0")},
  {"data", encode_data, BYTES ("\0\0\0\x01" "T")},
  {"header", encode_header,
   BYTES ("\0\0\0\x10" "L" "Subject\0" " Hello\0")},
  {"end-of-header", encode_end_of_header, BYTES ("\0\0\0\x01" "N")},
  {"body", encode_body,
   BYTES ("\0\0\0\x0f" "B" "Hello\r\nWorld\r\n")},
  {"body-empty", encode_body_empty, BYTES ("\0\0\0\x01" "B")},
  {"end-of-message", encode_end_of_message, BYTES ("\0\0\0\x01" "E")},
  {"end-of-message-with-chunk", encode_end_of_message_with_chunk,
   BYTES ("\0\0\0\x06" "E" "bye\r\n")},
  {"unknown", encode_unknown, BYTES ("\0\0\0\x06" "U" "HELP\0")},
  {"abort", encode_abort, BYTES ("\0\0\0\x01" "A")},
  {"quit", encode_quit, BYTES ("\0\0\0\x01" "Q")},
  {"quit-new-connection", encode_quit_new_connection, BYTES ("\0\0\0\x01" "K")},
};

static void
assert_bytes_equal (const guint8 *actual, gsize actual_size,
                    const guint8 *expected, gsize expected_size)
{
  g_autofree gchar *actual_hex = NULL;
  g_autofree gchar *expected_hex = NULL;
  GString *hex;
  gsize i;

  if (actual_size == expected_size && memcmp (actual, expected, actual_size) == 0)
    return;
  hex = g_string_new (NULL);
  for (i = 0; i < actual_size; i++)
    g_string_append_printf (hex, "%02x", actual[i]);
  actual_hex = g_string_free (hex, FALSE);
  hex = g_string_new (NULL);
  for (i = 0; i < expected_size; i++)
    g_string_append_printf (hex, "%02x", expected[i]);
  expected_hex = g_string_free (hex, FALSE);
  g_assert_cmpstr (actual_hex, ==, expected_hex);
}

static void
test_encode (gconstpointer data)
{
  const EncodeCase *test_case = data;
  g_autoptr (GByteArray) out = g_byte_array_new ();

  test_case->encode (out);
  assert_bytes_equal (out->data, out->len, test_case->expected, test_case->expected_size);
}

/* Encoders append: what is already in the buffer stays, packets queue up. */
static void
test_append (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  g_byte_array_append (out, (const guint8 *) "xyz", 3);
  milter_command_encode_data (out);
  milter_command_encode_helo (out, "h");
  assert_bytes_equal (out->data, out->len,
                      BYTES ("xyz" "\0\0\0\x01" "T" "\0\0\0\x03" "H" "h\0"));
}

static void
test_body_chunking (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *body = g_malloc (70000);
  gsize taken;
  guint i;

  for (i = 0; i < 70000; i++)
    body[i] = (guint8) (i * 7);
  taken = milter_command_encode_body (out, body, 70000);
  g_assert_cmpuint (taken, ==, MILTER_CHUNK_SIZE);
  g_assert_cmpuint (out->len, ==, 4 + 1 + MILTER_CHUNK_SIZE);
  /* Length 65536 = command byte + 65535 bytes. */
  assert_bytes_equal (out->data, 5, BYTES ("\0\x01\0\0" "B"));
  g_assert_cmpint (memcmp (out->data + 5, body, MILTER_CHUNK_SIZE), ==, 0);

  g_byte_array_set_size (out, 0);
  taken = milter_command_encode_body (out, body + taken, 70000 - taken);
  g_assert_cmpuint (taken, ==, 70000 - MILTER_CHUNK_SIZE);
  assert_bytes_equal (out->data, 5, BYTES ("\0\0\x11\x72" "B"));
  g_assert_cmpint (memcmp (out->data + 5, body + MILTER_CHUNK_SIZE, taken), ==, 0);
}

typedef struct {
  GByteArray *reencoded;
  GPtrArray *lines;
} RoundTrip;

static gboolean
reencode (const MilterCommand *command, gpointer user_data, GError **error)
{
  RoundTrip *round_trip = user_data;

  milter_command_encode (round_trip->reencoded, command);
  g_ptr_array_add (round_trip->lines, milter_command_to_string (command));
  return TRUE;
}

/* Decodes stream, re-encodes every command; returns the decoded lines. */
static GPtrArray *
decode_and_reencode (const guint8 *stream, gsize size, GByteArray *reencoded)
{
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (0);
  g_autoptr (GError) error = NULL;
  RoundTrip round_trip = {reencoded, g_ptr_array_new_with_free_func (g_free)};

  g_assert_true (milter_command_decoder_feed (decoder, stream, size, reencode,
                                              &round_trip, &error));
  g_assert_no_error (error);
  g_assert_true (milter_command_decoder_finish (decoder, &error));
  g_assert_no_error (error);
  return round_trip.lines;
}

static void
assert_round_trip (const guint8 *stream, gsize size, guint expected_commands)
{
  g_autoptr (GByteArray) first = g_byte_array_new ();
  g_autoptr (GByteArray) second = g_byte_array_new ();
  g_autoptr (GPtrArray) first_lines = NULL;
  g_autoptr (GPtrArray) second_lines = NULL;
  guint i;

  first_lines = decode_and_reencode (stream, size, first);
  g_assert_cmpuint (first_lines->len, ==, expected_commands);
  assert_bytes_equal (first->data, first->len, stream, size);
  second_lines = decode_and_reencode (first->data, first->len, second);
  assert_bytes_equal (second->data, second->len, first->data, first->len);
  g_assert_cmpuint (second_lines->len, ==, first_lines->len);
  for (i = 0; i < first_lines->len; i++)
    g_assert_cmpstr (g_ptr_array_index (second_lines, i), ==,
                     g_ptr_array_index (first_lines, i));
}

static void
test_round_trip (gconstpointer data)
{
  const EncodeCase *test_case = data;
  g_autoptr (GByteArray) out = g_byte_array_new ();

  test_case->encode (out);
  assert_round_trip (out->data, out->len, 1);
}

static void
test_round_trip_session (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (encode_cases); i++)
    encode_cases[i].encode (out);
  assert_round_trip (out->data, out->len, G_N_ELEMENTS (encode_cases));
}

/* A decoded body larger than a chunk (a peer that negotiated bigger data
 * packets) is written back as several chunks carrying the same bytes. */
static void
test_encode_long_body (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *body = g_malloc0 (70000);
  MilterCommand command = {.type = MILTER_COMMAND_BODY, .body = {body, 70000}};

  body[69999] = 'z';
  milter_command_encode (out, &command);
  g_assert_cmpuint (out->len, ==, 2 * 5 + 70000);
  assert_bytes_equal (out->data + 5 + MILTER_CHUNK_SIZE, 5, BYTES ("\0\0\x11\x72" "B"));
  g_assert_cmpint (out->data[out->len - 1], ==, 'z');
}

static void
test_programming_error (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  g_test_expect_message ("milter-core", G_LOG_LEVEL_CRITICAL, "*host != NULL*");
  milter_command_encode_connect (out, NULL, MILTER_FAMILY_INET, 25, "192.0.2.1");
  g_test_assert_expected_messages ();
  g_test_expect_message ("milter-core", G_LOG_LEVEL_CRITICAL, "*address != NULL*");
  milter_command_encode_connect (out, "h", MILTER_FAMILY_INET, 25, NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (out->len, ==, 0);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (encode_cases); i++) {
    g_autofree gchar *encode_path =
      g_strdup_printf ("/core/command-encoder/encode/%s", encode_cases[i].name);
    g_autofree gchar *round_trip_path =
      g_strdup_printf ("/core/command-encoder/round-trip/%s", encode_cases[i].name);

    g_test_add_data_func (encode_path, &encode_cases[i], test_encode);
    g_test_add_data_func (round_trip_path, &encode_cases[i], test_round_trip);
  }
  g_test_add_func ("/core/command-encoder/append", test_append);
  g_test_add_func ("/core/command-encoder/body-chunking", test_body_chunking);
  g_test_add_func ("/core/command-encoder/round-trip-session", test_round_trip_session);
  g_test_add_func ("/core/command-encoder/encode-long-body", test_encode_long_body);
  g_test_add_func ("/core/command-encoder/programming-error", test_programming_error);
  return g_test_run ();
}

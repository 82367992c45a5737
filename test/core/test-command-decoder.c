/*
 * test-command-decoder - hand-written packets for every command, splits,
 * zero copy, array reuse, and a table of bad inputs
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-packet-decoder.h>
#include <milter/core/milter-command.h>
#include <milter/core/milter-command-decoder.h>

#define BYTES(literal) (const guint8 *) (literal), sizeof (literal) - 1

typedef struct {
  const gchar *name;
  const guint8 *data;
  gsize size;
  const gchar *expected;
} Vector;

/* Whole packets, length field included, written out by hand. */
static const Vector vectors[] = {
  {"negotiate",
   BYTES ("\0\0\0\x0d" "O" "\0\0\0\x06" "\0\0\x01\xff" "\0\x1f\xff\xff"),
   "negotiate version=6 actions=0x000001ff steps=0x001fffff"},
  {"negotiate-v2",
   BYTES ("\0\0\0\x0d" "O" "\0\0\0\x02" "\0\0\0\0" "\0\0\0\0"),
   "negotiate version=2 actions=0x00000000 steps=0x00000000"},
  {"define-macro-connect",
   BYTES ("\0\0\0\x25" "D" "C" "j\0" "mx.example.org\0" "{daemon_name}\0" "mta\0"),
   "define-macro stage='C' macros={\"j\"=\"mx.example.org\", \"{daemon_name}\"=\"mta\"}"},
  {"define-macro-end-of-message",
   BYTES ("\0\0\0\x0d" "D" "E" "i\0" "4A1B2C3D\0"),
   "define-macro stage='E' macros={\"i\"=\"4A1B2C3D\"}"},
  {"define-macro-empty",
   BYTES ("\0\0\0\x02" "D" "T"),
   "define-macro stage='T' macros={}"},
  {"connect-unix",
   BYTES ("\0\0\0\x1f" "C" "localhost\0" "L" "\0\0" "/run/milter.sock\0"),
   "connect host=\"localhost\" family=unix port=0 address=\"/run/milter.sock\""},
  {"connect-inet",
   BYTES ("\0\0\0\x1d" "C" "mx.example.net\0" "4" "\0\x19" "192.0.2.1\0"),
   "connect host=\"mx.example.net\" family=inet port=25 address=\"192.0.2.1\""},
  {"connect-inet6",
   BYTES ("\0\0\0\x24" "C" "v6.example.net\0" "6" "\x02\x4b" "IPv6:2001:db8::1\0"),
   "connect host=\"v6.example.net\" family=inet6 port=587 address=\"IPv6:2001:db8::1\""},
  {"connect-unknown",
   BYTES ("\0\0\0\x0c" "C" "somewhere\0" "U"),
   "connect host=\"somewhere\" family=unknown"},
  /* libmilter ignores what follows the fields it knows of these two. */
  {"negotiate-long",
   BYTES ("\0\0\0\x0e" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0\0" "x"),
   "negotiate version=6 actions=0x00000000 steps=0x00000000"},
  {"connect-unknown-with-port",
   BYTES ("\0\0\0\x09" "C" "host\0" "U" "\0\0"),
   "connect host=\"host\" family=unknown"},
  {"helo",
   BYTES ("\0\0\0\x14" "H" "client.example.com\0"),
   "helo fqdn=\"client.example.com\""},
  {"envelope-from-with-args",
   BYTES ("\0\0\0\x29" "M" "<a@example.org>\0" "SIZE=1024\0" "BODY=8BITMIME\0"),
   "envelope-from argv=[\"<a@example.org>\", \"SIZE=1024\", \"BODY=8BITMIME\"]"},
  {"envelope-from-null-sender",
   BYTES ("\0\0\0\x04" "M" "<>\0"),
   "envelope-from argv=[\"<>\"]"},
  {"envelope-recipient",
   BYTES ("\0\0\0\x1e" "R" "<b@example.net>\0" "NOTIFY=NEVER\0"),
   "envelope-recipient argv=[\"<b@example.net>\", \"NOTIFY=NEVER\"]"},
  {"data",
   BYTES ("\0\0\0\x01" "T"),
   "data"},
  {"header",
   BYTES ("\0\0\0\x10" "L" "Subject\0" " Hello\0"),
   "header name=\"Subject\" value=\" Hello\""},
  {"header-empty-value",
   BYTES ("\0\0\0\x06" "L" "X-A\0" "\0"),
   "header name=\"X-A\" value=\"\""},
  {"end-of-header",
   BYTES ("\0\0\0\x01" "N"),
   "end-of-header"},
  {"body",
   BYTES ("\0\0\0\x0f" "B" "Hello\r\nWorld\r\n"),
   "body size=14 fnv1a=@ data=\"Hello\\r\\nWorld\\r\\n\""},
  {"body-with-nul",
   BYTES ("\0\0\0\x04" "B" "a\0b"),
   "body size=3 fnv1a=@ data=\"a\\x00b\""},
  {"end-of-message",
   BYTES ("\0\0\0\x01" "E"),
   "end-of-message size=0"},
  {"end-of-message-with-chunk",
   BYTES ("\0\0\0\x06" "E" "bye\r\n"),
   "end-of-message size=5 fnv1a=@ data=\"bye\\r\\n\""},
  {"unknown",
   BYTES ("\0\0\0\x06" "U" "HELP\0"),
   "unknown command=\"HELP\""},
  {"abort",
   BYTES ("\0\0\0\x01" "A"),
   "abort"},
  {"quit",
   BYTES ("\0\0\0\x01" "Q"),
   "quit"},
  {"quit-new-connection",
   BYTES ("\0\0\0\x01" "K"),
   "quit-new-connection"},
};

typedef struct {
  GString *transcript;
  GPtrArray *lines;
  /* For the zero-copy and reuse checks. */
  const guint8 *last_body;
  const gchar *last_string;
  const gchar *const *last_argv;
  guint fail_at;   /* refuse this command (1-based); 0: never */
  gboolean fail_with_error;
  guint n_commands;
} Collector;

static void
collector_init (Collector *collector)
{
  memset (collector, 0, sizeof (*collector));
  collector->transcript = g_string_new (NULL);
  collector->lines = g_ptr_array_new_with_free_func (g_free);
}

static void
collector_clear (Collector *collector)
{
  g_string_free (collector->transcript, TRUE);
  g_ptr_array_unref (collector->lines);
}

static gboolean
collect (const MilterCommand *command, gpointer user_data, GError **error)
{
  Collector *collector = user_data;
  gchar *line;

  collector->n_commands++;
  if (collector->fail_at == collector->n_commands) {
    if (collector->fail_with_error)
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "handler refused");
    return FALSE;
  }
  line = milter_command_to_string (command);
  g_string_append (collector->transcript, line);
  g_string_append_c (collector->transcript, '\n');
  g_ptr_array_add (collector->lines, line);
  switch (command->type) {
  case MILTER_COMMAND_BODY:
  case MILTER_COMMAND_END_OF_MESSAGE:
    collector->last_body = command->body.data;
    break;
  case MILTER_COMMAND_HELO:
    collector->last_string = command->helo.fqdn;
    break;
  case MILTER_COMMAND_ENVELOPE_FROM:
  case MILTER_COMMAND_ENVELOPE_RECIPIENT:
    collector->last_argv = command->envelope.argv;
    g_assert_null (command->envelope.argv[command->envelope.argc]);
    break;
  case MILTER_COMMAND_DEFINE_MACRO:
    g_assert_null (command->define_macro.names[command->define_macro.n_macros]);
    g_assert_null (command->define_macro.values[command->define_macro.n_macros]);
    break;
  default:
    break;
  }
  return TRUE;
}

/* The expected line, with "@" standing for the body hash taken from the
 * decoded line (the hash itself is checked in test-command). */
static gchar *
expected_line (const Vector *vector, const gchar *actual)
{
  const gchar *mark = strstr (vector->expected, "fnv1a=@");
  const gchar *actual_hash;

  if (!mark || !actual || !(actual_hash = strstr (actual, "fnv1a=")))
    return g_strdup (vector->expected);
  return g_strdup_printf ("%.*sfnv1a=%.16s%s", (int) (mark - vector->expected),
                          vector->expected, actual_hash + strlen ("fnv1a="),
                          mark + strlen ("fnv1a=@"));
}

static void
test_vector (gconstpointer data)
{
  const Vector *vector = data;
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (0);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *expected = NULL;
  Collector collector;
  guint32 length;

  /* Guard against a miscounted hand-written length field. */
  length = ((guint32) vector->data[0] << 24) | ((guint32) vector->data[1] << 16) |
           ((guint32) vector->data[2] << 8) | vector->data[3];
  g_assert_cmpuint (length, ==, vector->size - 4);

  collector_init (&collector);
  g_assert_true (milter_command_decoder_feed (decoder, vector->data, vector->size,
                                              collect, &collector, &error));
  g_assert_no_error (error);
  g_assert_true (milter_command_decoder_finish (decoder, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (collector.lines->len, ==, 1);
  expected = expected_line (vector, g_ptr_array_index (collector.lines, 0));
  g_assert_cmpstr (g_ptr_array_index (collector.lines, 0), ==, expected);
  collector_clear (&collector);
}

static GByteArray *
all_vectors_stream (void)
{
  GByteArray *stream = g_byte_array_new ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (vectors); i++)
    g_byte_array_append (stream, vectors[i].data, (guint) vectors[i].size);
  return stream;
}

static gchar *
decode_in_pieces (const GByteArray *stream, GRand *rand, gsize piece)
{
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (0);
  g_autoptr (GError) error = NULL;
  Collector collector;
  gsize offset = 0;

  collector_init (&collector);
  while (offset < stream->len) {
    gsize size = rand ? (gsize) g_rand_int_range (rand, 0, 40) : piece;

    size = MIN (size, stream->len - offset);
    /* Feed from a private copy, so no piece can be read past its end
     * (valgrind / ASan see it) and nothing can keep pointing into it. */
    {
      g_autofree guint8 *copy = g_memdup2 (stream->data + offset, size);

      g_assert_true (milter_command_decoder_feed (decoder, copy, size,
                                                  collect, &collector, &error));
      g_assert_no_error (error);
    }
    offset += size;
  }
  g_assert_true (milter_command_decoder_finish (decoder, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (collector.lines->len, ==, G_N_ELEMENTS (vectors));
  {
    gchar *transcript = g_string_free (collector.transcript, FALSE);

    g_ptr_array_unref (collector.lines);
    return transcript;
  }
}

static void
test_splits (void)
{
  g_autoptr (GByteArray) stream = all_vectors_stream ();
  g_autofree gchar *whole = decode_in_pieces (stream, NULL, stream->len);
  g_autofree gchar *bytewise = decode_in_pieces (stream, NULL, 1);
  /* A fixed seed: the splits are the same on every run. */
  GRand *rand = g_rand_new_with_seed (0x6d696c74);
  guint round;

  g_assert_cmpstr (whole, ==, bytewise);
  for (round = 0; round < 200; round++) {
    g_autofree gchar *random = decode_in_pieces (stream, rand, 0);

    g_assert_cmpstr (whole, ==, random);
  }
  g_rand_free (rand);
}

static void
test_zero_copy (void)
{
  static const guint8 packets[] =
    "\0\0\0\x14" "H" "client.example.com\0"
    "\0\0\0\x0f" "B" "Hello\r\nWorld\r\n";
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (0);
  g_autoptr (GError) error = NULL;
  Collector collector;

  collector_init (&collector);
  g_assert_true (milter_command_decoder_feed (decoder, packets, sizeof (packets) - 1,
                                              collect, &collector, &error));
  g_assert_no_error (error);
  g_assert_true (collector.last_body == packets + 24 + 5);
  g_assert_true ((const guint8 *) collector.last_string == packets + 5);
  collector_clear (&collector);
}

static void
test_arrays_reused (void)
{
  static const guint8 packets[] =
    "\0\0\0\x29" "M" "<a@example.org>\0" "SIZE=1024\0" "BODY=8BITMIME\0"
    "\0\0\0\x1e" "R" "<b@example.net>\0" "NOTIFY=NEVER\0";
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (0);
  g_autoptr (GError) error = NULL;
  const gchar *const *first_argv;
  Collector collector;

  collector_init (&collector);
  g_assert_true (milter_command_decoder_feed (decoder, packets, 45,
                                              collect, &collector, &error));
  first_argv = collector.last_argv;
  g_assert_true (milter_command_decoder_feed (decoder, packets + 45,
                                              sizeof (packets) - 1 - 45,
                                              collect, &collector, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (collector.lines->len, ==, 2);
  /* The shorter second vector fits in the first one's array. */
  g_assert_true (collector.last_argv == first_argv);
  collector_clear (&collector);
}

/* More views than fit inline: the vectors grow and keep every string. */
static void
test_many_views (void)
{
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (0);
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  MilterCommand command;

  g_byte_array_append (payload, (const guint8 *) "C", 1);
  for (guint i = 0; i < 40; i++) {
    g_autofree gchar *name = g_strdup_printf ("{m%u}", i);
    g_autofree gchar *value = g_strdup_printf ("v%u", i);

    g_byte_array_append (payload, (const guint8 *) name, strlen (name) + 1);
    g_byte_array_append (payload, (const guint8 *) value, strlen (value) + 1);
  }
  g_assert_true (milter_command_decoder_parse (decoder, 'D', payload->data,
                                               payload->len, &command, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (command.define_macro.n_macros, ==, 40);
  for (guint i = 0; i < 40; i++) {
    g_autofree gchar *name = g_strdup_printf ("{m%u}", i);
    g_autofree gchar *value = g_strdup_printf ("v%u", i);

    g_assert_cmpstr (command.define_macro.names[i], ==, name);
    g_assert_cmpstr (command.define_macro.values[i], ==, value);
  }
  g_assert_null (command.define_macro.names[40]);
  g_assert_null (command.define_macro.values[40]);

  g_byte_array_set_size (payload, 0);
  g_byte_array_append (payload, (const guint8 *) "<a@example.org>", 16);
  for (guint i = 0; i < 60; i++) {
    g_autofree gchar *argument = g_strdup_printf ("X%u=1", i);

    g_byte_array_append (payload, (const guint8 *) argument,
                         strlen (argument) + 1);
  }
  g_assert_true (milter_command_decoder_parse (decoder, 'M', payload->data,
                                               payload->len, &command, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (command.envelope.argc, ==, 61);
  g_assert_cmpstr (command.envelope.argv[0], ==, "<a@example.org>");
  for (guint i = 0; i < 60; i++) {
    g_autofree gchar *argument = g_strdup_printf ("X%u=1", i);

    g_assert_cmpstr (command.envelope.argv[i + 1], ==, argument);
  }
  g_assert_null (command.envelope.argv[61]);
}

static void
test_parse (void)
{
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (0);
  g_autoptr (GError) error = NULL;
  MilterCommand command;
  static const guint8 helo[] = "mx\0";
  static const guint8 connect[] = "h\0" "4" "\x01\xbb" "198.51.100.7\0";

  g_assert_true (milter_command_decoder_parse (decoder, 'H', helo, 3, &command, &error));
  g_assert_no_error (error);
  g_assert_cmpint (command.type, ==, MILTER_COMMAND_HELO);
  g_assert_cmpstr (command.helo.fqdn, ==, "mx");

  g_assert_true (milter_command_decoder_parse (decoder, 'C', connect,
                                               sizeof (connect) - 1, &command, &error));
  g_assert_cmpint (command.connect.family, ==, MILTER_FAMILY_INET);
  g_assert_cmpuint (command.connect.port, ==, 443);
  g_assert_cmpstr (command.connect.address, ==, "198.51.100.7");

  g_assert_true (milter_command_decoder_parse (decoder, 'T', NULL, 0, &command, &error));
  g_assert_cmpint (command.type, ==, MILTER_COMMAND_DATA);
  g_assert_true (milter_command_decoder_parse (decoder, 'E', NULL, 0, &command, &error));
  g_assert_cmpuint (command.body.size, ==, 0);

  g_assert_false (milter_command_decoder_parse (decoder, 'z', helo, 3, &command, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_UNKNOWN_TYPE);
  g_assert_nonnull (strstr (error->message, "byte offset 0"));
}

/* Trailing bytes that Sendmail's libmilter ignores are ignored here too,
 * so a milter on our library accepts what one on libmilter accepts:
 * negotiate reads its 12 bytes; connect with family 'U', unknown, data,
 * end-of-header, abort and the quits look no further; helo, header and
 * connect's address need only a NUL at the payload's end; an envelope's
 * bytes after its last NUL are dropped. */
static const Vector tolerated[] = {
  {"negotiate-long",
   BYTES ("\0\0\0\x0e" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0\0" "x"),
   "negotiate version=6 actions=0x00000000 steps=0x00000000"},
  {"negotiate-v6-extension",
   BYTES ("\0\0\0\x15" "O" "\0\0\0\x06" "\0\0\x01\xff" "\0\x1f\xff\xff" "\0\0\0\x01" "abcd"),
   "negotiate version=6 actions=0x000001ff steps=0x001fffff"},
  {"connect-unknown-with-port",
   BYTES ("\0\0\0\x09" "C" "host\0" "U" "\0\0"),
   "connect host=\"host\" family=unknown"},
  {"connect-unknown-with-address",
   BYTES ("\0\0\0\x0f" "C" "host\0" "U" "\0\0" "1.2.3\0"),
   "connect host=\"host\" family=unknown"},
  {"connect-after-address",
   BYTES ("\0\0\0\x11" "C" "host\0" "4" "\0\x19" "1.2.3\0" "x\0"),
   "connect host=\"host\" family=inet port=25 address=\"1.2.3\""},
  {"helo-two-strings",
   BYTES ("\0\0\0\x05" "H" "a\0b\0"),
   "helo fqdn=\"a\""},
  {"envelope-from-arg-missing-nul",
   BYTES ("\0\0\0\x0b" "M" "<a>\0" "SIZE=1"),
   "envelope-from argv=[\"<a>\"]"},
  {"envelope-recipient-after-args",
   BYTES ("\0\0\0\x11" "R" "<b>\0" "NOTIFY=NEVER"),
   "envelope-recipient argv=[\"<b>\"]"},
  {"data-with-payload",
   BYTES ("\0\0\0\x02" "T" "x"),
   "data"},
  {"header-three-strings",
   BYTES ("\0\0\0\x07" "L" "A\0" "b\0" "c\0"),
   "header name=\"A\" value=\"b\""},
  {"end-of-header-with-payload",
   BYTES ("\0\0\0\x03" "N" "\r\n"),
   "end-of-header"},
  {"unknown-two-strings",
   BYTES ("\0\0\0\x08" "U" "HELP\0" "x\0"),
   "unknown command=\"HELP\""},
  {"unknown-unterminated-tail",
   BYTES ("\0\0\0\x07" "U" "HELP\0" "x"),
   "unknown command=\"HELP\""},
  {"abort-with-payload",
   BYTES ("\0\0\0\x02" "A" "\0"),
   "abort"},
  {"quit-with-payload",
   BYTES ("\0\0\0\x02" "Q" "x"),
   "quit"},
  {"quit-new-connection-with-payload",
   BYTES ("\0\0\0\x02" "K" "x"),
   "quit-new-connection"},
};

typedef struct {
  const gchar *name;
  const guint8 *data;
  gsize size;
  MilterDecoderError code;
  const gchar *needle;   /* must be in the message besides the offset */
} BadCase;

/* Each packet comes after a valid 17-byte negotiate, so the offset
 * reported must be 17. */
static const BadCase bad_cases[] = {
  {"unknown-type", BYTES ("\0\0\0\x01" "Z"),
   MILTER_DECODER_ERROR_UNKNOWN_TYPE, "unknown command byte 0x5a"},
  {"reply-byte-as-command", BYTES ("\0\0\0\x01" "c"),
   MILTER_DECODER_ERROR_UNKNOWN_TYPE, "unknown command byte 0x63"},
  {"negotiate-short", BYTES ("\0\0\0\x09" "O" "\0\0\0\x06" "\0\0\0\0"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "negotiate: steps missing"},
  {"negotiate-empty", BYTES ("\0\0\0\x01" "O"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "negotiate: version missing"},
  {"define-macro-empty", BYTES ("\0\0\0\x01" "D"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "define-macro: stage command byte missing"},
  {"define-macro-bad-stage", BYTES ("\0\0\0\x06" "D" "Q" "j\0x\0"),
   MILTER_DECODER_ERROR_INVALID_VALUE, "define-macro: invalid macro stage byte 0x51"},
  {"define-macro-odd", BYTES ("\0\0\0\x08" "D" "C" "j\0x\0i\0"),
   MILTER_DECODER_ERROR_INVALID_VALUE, "define-macro: odd number of strings (3)"},
  {"define-macro-missing-nul", BYTES ("\0\0\0\x07" "D" "C" "j\0abc"),
   MILTER_DECODER_ERROR_MISSING_NUL, "define-macro: string without terminating NUL"},
  {"connect-empty", BYTES ("\0\0\0\x01" "C"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "connect: host missing"},
  {"connect-host-missing-nul", BYTES ("\0\0\0\x05" "C" "host"),
   MILTER_DECODER_ERROR_MISSING_NUL, "connect: string without terminating NUL (host)"},
  {"connect-family-missing", BYTES ("\0\0\0\x06" "C" "host\0"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "connect: family missing"},
  {"connect-bad-family", BYTES ("\0\0\0\x07" "C" "host\0" "X"),
   MILTER_DECODER_ERROR_INVALID_VALUE, "connect: invalid family byte 0x58"},
  {"connect-port-missing", BYTES ("\0\0\0\x07" "C" "host\0" "4"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "connect: port missing"},
  {"connect-port-half", BYTES ("\0\0\0\x08" "C" "host\0" "4" "\0"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "connect: port missing"},
  {"connect-address-missing", BYTES ("\0\0\0\x09" "C" "host\0" "6" "\0\x19"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "connect: address missing"},
  {"connect-address-missing-nul", BYTES ("\0\0\0\x0d" "C" "host\0" "L" "\0\0" "/run"),
   MILTER_DECODER_ERROR_MISSING_NUL, "connect: string without terminating NUL (address)"},
  {"connect-trailing", BYTES ("\0\0\0\x10" "C" "host\0" "4" "\0\x19" "1.2.3\0" "x"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, "connect: 1 trailing byte(s) after address"},
  /* libmilter ignores bytes after these strings only when the payload
   * ends with a NUL. */
  {"helo-trailing-without-nul", BYTES ("\0\0\0\x04" "H" "a\0b"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, "helo: 1 trailing byte(s) after fqdn"},
  {"header-trailing-without-nul", BYTES ("\0\0\0\x06" "L" "A\0" "b\0" "c"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, "header: 1 trailing byte(s) after header value"},
  {"helo-empty", BYTES ("\0\0\0\x01" "H"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "helo: fqdn missing"},
  {"helo-missing-nul", BYTES ("\0\0\0\x05" "H" "host"),
   MILTER_DECODER_ERROR_MISSING_NUL, "helo: string without terminating NUL"},
  {"envelope-from-empty", BYTES ("\0\0\0\x01" "M"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "envelope-from: address missing"},
  {"envelope-recipient-missing-nul", BYTES ("\0\0\0\x04" "R" "<a>"),
   MILTER_DECODER_ERROR_MISSING_NUL, "envelope-recipient: string without terminating NUL (address)"},
  {"envelope-recipient-empty", BYTES ("\0\0\0\x01" "R"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "envelope-recipient: address missing"},
  {"header-empty", BYTES ("\0\0\0\x01" "L"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "header: header name missing"},
  {"header-value-missing", BYTES ("\0\0\0\x09" "L" "Subject\0"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "header: header value missing"},
  {"header-value-missing-nul", BYTES ("\0\0\0\x0b" "L" "Subject\0" "hi"),
   MILTER_DECODER_ERROR_MISSING_NUL, "header: string without terminating NUL (header value)"},
  {"unknown-empty", BYTES ("\0\0\0\x01" "U"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, "unknown: SMTP command missing"},
  {"unknown-missing-nul", BYTES ("\0\0\0\x05" "U" "HELP"),
   MILTER_DECODER_ERROR_MISSING_NUL, "unknown: string without terminating NUL"},
  /* Framing errors come from the packet decoder, through ours. */
  {"zero-length", BYTES ("\0\0\0\0"),
   MILTER_DECODER_ERROR_ZERO_LENGTH, "length is 0"},
  {"too-large", BYTES ("\0\x01\0\0" "B"),
   MILTER_DECODER_ERROR_TOO_LARGE, "exceeds the maximum"},
  {"truncated", BYTES ("\0\0\0\x10" "L" "Subject\0"),
   MILTER_DECODER_ERROR_TRUNCATED, "input ended inside"},
};

static void
test_bad_input (gconstpointer data)
{
  static const guint8 negotiate[] =
    "\0\0\0\x0d" "O" "\0\0\0\x06" "\0\0\x01\xff" "\0\x1f\xff\xff";
  const BadCase *bad = data;
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (1000);
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  Collector collector;
  gboolean ok;
  guint32 length;

  if (bad->size >= 4 && bad->code != MILTER_DECODER_ERROR_TRUNCATED &&
      bad->code != MILTER_DECODER_ERROR_TOO_LARGE) {
    length = ((guint32) bad->data[0] << 24) | ((guint32) bad->data[1] << 16) |
             ((guint32) bad->data[2] << 8) | bad->data[3];
    g_assert_cmpuint (length, ==, bad->size - 4);
  }
  g_byte_array_append (stream, negotiate, sizeof (negotiate) - 1);
  g_byte_array_append (stream, bad->data, (guint) bad->size);
  collector_init (&collector);
  ok = milter_command_decoder_feed (decoder, stream->data, stream->len,
                                    collect, &collector, &error);
  if (ok)
    ok = milter_command_decoder_finish (decoder, &error);
  g_assert_false (ok);
  g_assert_error (error, MILTER_DECODER_ERROR, (gint) bad->code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, bad->needle));
  g_assert_nonnull (strstr (error->message, "at byte offset 17"));
  /* The good packet before the bad one was delivered. */
  g_assert_cmpuint (collector.lines->len, ==, 1);
  collector_clear (&collector);
}

static void
test_error_then_reset (void)
{
  static const guint8 bad[] = "\0\0\0\x05" "H" "host";
  static const guint8 good[] = "\0\0\0\x06" "H" "host\0";
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (0);
  g_autoptr (GError) error = NULL;
  Collector collector;

  collector_init (&collector);
  g_assert_false (milter_command_decoder_feed (decoder, bad, sizeof (bad) - 1,
                                               collect, &collector, &error));
  g_clear_error (&error);
  milter_command_decoder_reset (decoder);
  g_assert_true (milter_command_decoder_feed (decoder, good, sizeof (good) - 1,
                                              collect, &collector, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (collector.transcript->str, ==, "helo fqdn=\"host\"\n");
  /* After a reset offsets count from 0 again. */
  g_assert_false (milter_command_decoder_feed (decoder, bad, sizeof (bad) - 1,
                                               collect, &collector, &error));
  g_assert_nonnull (strstr (error->message, "at byte offset 10"));
  collector_clear (&collector);
}

static void
test_handler_failure (void)
{
  static const guint8 packets[] =
    "\0\0\0\x01" "T" "\0\0\0\x01" "N" "\0\0\0\x01" "A";
  g_autoptr (MilterCommandDecoder) decoder = milter_command_decoder_new (0);
  g_autoptr (GError) error = NULL;
  Collector collector;

  collector_init (&collector);
  collector.fail_at = 2;
  collector.fail_with_error = TRUE;
  g_assert_false (milter_command_decoder_feed (decoder, packets, sizeof (packets) - 1,
                                               collect, &collector, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  g_assert_cmpuint (collector.n_commands, ==, 2);
  g_clear_error (&error);

  milter_command_decoder_reset (decoder);
  collector.n_commands = 0;
  collector.fail_with_error = FALSE;
  g_assert_false (milter_command_decoder_feed (decoder, packets, sizeof (packets) - 1,
                                               collect, &collector, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "byte offset 5"));
  collector_clear (&collector);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (vectors); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/command-decoder/vector/%s", vectors[i].name);

    g_test_add_data_func (path, &vectors[i], test_vector);
  }
  for (i = 0; i < G_N_ELEMENTS (tolerated); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/command-decoder/tolerated/%s", tolerated[i].name);

    g_test_add_data_func (path, &tolerated[i], test_vector);
  }
  g_test_add_func ("/core/command-decoder/splits", test_splits);
  g_test_add_func ("/core/command-decoder/zero-copy", test_zero_copy);
  g_test_add_func ("/core/command-decoder/arrays-reused", test_arrays_reused);
  g_test_add_func ("/core/command-decoder/many-views", test_many_views);
  g_test_add_func ("/core/command-decoder/parse", test_parse);
  g_test_add_func ("/core/command-decoder/error-then-reset", test_error_then_reset);
  g_test_add_func ("/core/command-decoder/handler-failure", test_handler_failure);
  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/command-decoder/bad/%s", bad_cases[i].name);

    g_test_add_data_func (path, &bad_cases[i], test_bad_input);
  }
  return g_test_run ();
}

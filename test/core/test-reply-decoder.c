/*
 * test-reply-decoder - hand-written reply packets through milter-reply-decoder
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-packet-decoder.h>
#include <milter/core/milter-reply.h>
#include <milter/core/milter-reply-decoder.h>
#include <milter/core/milter-reply-encoder.h>

/* A string literal with embedded NULs, and its size without the final NUL. */
#define BYTES(literal) (const guint8 *) (literal), sizeof (literal) - 1

typedef struct {
  const gchar *name;
  const guint8 *bytes;
  gsize size;
  const gchar *expected;
} Vector;

static const Vector vectors[] = {
  {"negotiate-v2",
   BYTES ("\0\0\0\x0d" "O" "\0\0\0\x02" "\0\0\0\x0f" "\0\0\0\x3f"),
   "negotiate-reply version=2 actions=0x0000000f steps=0x0000003f"},
  {"negotiate-v6",
   BYTES ("\0\0\0\x0d" "O" "\0\0\0\x06" "\0\0\x01\xff" "\0\x1f\xff\xff"),
   "negotiate-reply version=6 actions=0x000001ff steps=0x001fffff"},
  {"negotiate-v6-macros",
   BYTES ("\0\0\0\x49" "O" "\0\0\0\x06" "\0\0\x01\x00" "\0\0\x04\x00"
          "\0\0\0\x00" "j {daemon_name}\0"
          "\0\0\0\x01" "{tls_version}\0"
          "\0\0\0\x03" "{rcpt_addr}\0"
          "\0\0\0\x05" "i\0"),
   "negotiate-reply version=6 actions=0x00000100 steps=0x00000400 "
   "macros={connect:\"j {daemon_name}\" helo:\"{tls_version}\" "
   "envelope-recipient:\"{rcpt_addr}\" end-of-message:\"i\"}"},
  {"negotiate-v6-empty-macro-list",
   BYTES ("\0\0\0\x12" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0\0"
          "\0\0\0\x06" "\0"),
   "negotiate-reply version=6 actions=0x00000000 steps=0x00000000 "
   "macros={end-of-header:\"\"}"},
  {"continue", BYTES ("\0\0\0\x01" "c"), "continue"},
  {"accept", BYTES ("\0\0\0\x01" "a"), "accept"},
  {"reject", BYTES ("\0\0\0\x01" "r"), "reject"},
  {"temporary-failure", BYTES ("\0\0\0\x01" "t"), "temporary-failure"},
  {"discard", BYTES ("\0\0\0\x01" "d"), "discard"},
  {"skip", BYTES ("\0\0\0\x01" "s"), "skip"},
  {"progress", BYTES ("\0\0\0\x01" "p"), "progress"},
  {"shutdown", BYTES ("\0\0\0\x01" "4"), "shutdown"},
  {"connection-failure", BYTES ("\0\0\0\x01" "f"), "connection-failure"},
  {"reply-code",
   BYTES ("\0\0\0\x14" "y" "550 5.7.1 Rejected\0"),
   "reply-code text=\"550 5.7.1 Rejected\""},
  {"reply-code-multi-line",
   BYTES ("\0\0\0\x21" "y" "550-5.7.1 first\r\n550 5.7.1 last\0"),
   "reply-code text=\"550-5.7.1 first\\r\\n550 5.7.1 last\""},
  {"add-header",
   BYTES ("\0\0\0\x0c" "h" "X-Spam\0yes\0"),
   "add-header name=\"X-Spam\" value=\"yes\""},
  {"insert-header",
   BYTES ("\0\0\0\x0f" "i" "\0\0\0\0" "X-First\0v\0"),
   "insert-header index=0 name=\"X-First\" value=\"v\""},
  {"change-header",
   BYTES ("\0\0\0\x11" "m" "\0\0\0\x02" "Subject\0new\0"),
   "change-header index=2 name=\"Subject\" value=\"new\""},
  {"change-header-delete",
   BYTES ("\0\0\0\x0c" "m" "\0\0\0\x01" "X-Old\0\0"),
   "change-header index=1 name=\"X-Old\" value=\"\""},
  {"add-recipient",
   BYTES ("\0\0\0\x11" "+" "<a@example.org>\0"),
   "add-recipient recipient=\"<a@example.org>\""},
  {"add-recipient-with-args",
   BYTES ("\0\0\0\x1e" "2" "<b@example.org>\0NOTIFY=NEVER\0"),
   "add-recipient-with-arguments recipient=\"<b@example.org>\" "
   "args=\"NOTIFY=NEVER\""},
  {"delete-recipient",
   BYTES ("\0\0\0\x11" "-" "<c@example.org>\0"),
   "delete-recipient recipient=\"<c@example.org>\""},
  {"change-from",
   BYTES ("\0\0\0\x11" "e" "<s@example.org>\0"),
   "change-from from=\"<s@example.org>\""},
  {"change-from-with-args",
   BYTES ("\0\0\0\x1a" "e" "<s@example.org>\0SIZE=100\0"),
   "change-from from=\"<s@example.org>\" args=\"SIZE=100\""},
  {"replace-body",
   BYTES ("\0\0\0\x0b" "b" "new body\r\n"),
   "replace-body size=10 fnv1a=2712ffc8 data=\"new body\\r\\n\""},
  {"replace-body-binary",
   BYTES ("\0\0\0\x05" "b" "a\0b\xff"),
   "replace-body size=4 fnv1a=dc9677d7 data=\"a\\x00b\\xff\""},
  {"replace-body-empty",
   BYTES ("\0\0\0\x01" "b"),
   "replace-body size=0 fnv1a=811c9dc5 data=\"\""},
  {"quarantine",
   BYTES ("\0\0\0\x0d" "q" "virus found\0"),
   "quarantine reason=\"virus found\""},
};

static GPtrArray *
strings_new (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

static gboolean
collect (const MilterReply *reply, gpointer user_data, GError **error)
{
  g_ptr_array_add (user_data, milter_reply_to_string (reply));
  return TRUE;
}

static void
test_vector_length_fields (void)
{
  gsize i;

  /* Guards the hand-written vectors themselves. */
  for (i = 0; i < G_N_ELEMENTS (vectors); i++) {
    const guint8 *b = vectors[i].bytes;
    guint32 length = ((guint32) b[0] << 24) | ((guint32) b[1] << 16) |
                     ((guint32) b[2] << 8) | b[3];

    g_test_message ("%s", vectors[i].name);
    g_assert_cmpuint (length, ==, vectors[i].size - 4);
  }
}

static void
test_decode (gconstpointer data)
{
  const Vector *vector = data;
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GPtrArray) replies = strings_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_reply_decoder_feed (decoder, vector->bytes,
                                            vector->size, collect, replies,
                                            &error));
  g_assert_no_error (error);
  g_assert_true (milter_reply_decoder_finish (decoder, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (replies->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (replies, 0), ==, vector->expected);
}

static gboolean
reencode (const MilterReply *reply, gpointer user_data, GError **error)
{
  milter_reply_encode (user_data, reply);
  return TRUE;
}

/* Decoding then encoding gives back the very same bytes. */
static void
test_round_trip (gconstpointer data)
{
  const Vector *vector = data;
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GByteArray) encoded = g_byte_array_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_reply_decoder_feed (decoder, vector->bytes,
                                            vector->size, reencode, encoded,
                                            &error));
  g_assert_no_error (error);
  g_assert_cmpmem (encoded->data, encoded->len, vector->bytes, vector->size);
}

/* Every vector, one after another, as one stream. */
static GByteArray *
build_stream (void)
{
  GByteArray *stream = g_byte_array_new ();
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (vectors); i++)
    g_byte_array_append (stream, vectors[i].bytes, (guint) vectors[i].size);
  return stream;
}

static GPtrArray *
decode_in_pieces (const GByteArray *stream, GRand *rand, gsize piece_size)
{
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  GPtrArray *replies = strings_new ();
  g_autoptr (GError) error = NULL;
  gsize offset = 0;

  while (offset < stream->len) {
    gsize size = rand ? (gsize) g_rand_int_range (rand, 0, 40) : piece_size;

    size = MIN (size, stream->len - offset);
    g_assert_true (milter_reply_decoder_feed (decoder, stream->data + offset,
                                              size, collect, replies, &error));
    g_assert_no_error (error);
    offset += size;
  }
  g_assert_true (milter_reply_decoder_finish (decoder, &error));
  g_assert_no_error (error);
  return replies;
}

static void
assert_same_strings (GPtrArray *actual, GPtrArray *expected)
{
  guint i;

  g_assert_cmpuint (actual->len, ==, expected->len);
  for (i = 0; i < actual->len; i++)
    g_assert_cmpstr (g_ptr_array_index (actual, i), ==,
                     g_ptr_array_index (expected, i));
}

static void
test_incremental (void)
{
  g_autoptr (GByteArray) stream = build_stream ();
  g_autoptr (GPtrArray) whole = NULL;
  g_autoptr (GPtrArray) bytewise = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240601);
  guint i;
  guint round;

  whole = decode_in_pieces (stream, NULL, stream->len);
  g_assert_cmpuint (whole->len, ==, G_N_ELEMENTS (vectors));
  for (i = 0; i < whole->len; i++)
    g_assert_cmpstr (g_ptr_array_index (whole, i), ==, vectors[i].expected);

  bytewise = decode_in_pieces (stream, NULL, 1);
  assert_same_strings (bytewise, whole);

  for (round = 0; round < 50; round++) {
    g_autoptr (GPtrArray) random_split = decode_in_pieces (stream, rand, 0);

    assert_same_strings (random_split, whole);
  }
}

/* Bad input: the error code, and a message naming the reply and offset. */
typedef struct {
  const gchar *name;
  const guint8 *bytes;
  gsize size;
  gint code;
  const gchar *message_parts[3];
} BadInput;

/* Every bad packet follows a good continue (5 bytes), so it starts at 5. */
#define GOOD "\0\0\0\x01" "c"

static const BadInput bad_inputs[] = {
  {"unknown-type", BYTES (GOOD "\0\0\0\x01" "Z"),
   MILTER_DECODER_ERROR_UNKNOWN_TYPE, {"unknown reply type 0x5a", "('Z')", "byte offset 5"}},
  {"unknown-type-unprintable", BYTES (GOOD "\0\0\0\x01" "\x01"),
   MILTER_DECODER_ERROR_UNKNOWN_TYPE, {"0x01", "byte offset 5", NULL}},
  {"command-byte-as-reply", BYTES (GOOD "\0\0\0\x01" "B"),
   MILTER_DECODER_ERROR_UNKNOWN_TYPE, {"0x42", "byte offset 5", NULL}},
  {"negotiate-empty", BYTES (GOOD "\0\0\0\x01" "O"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, {"negotiate-reply", "byte offset 5", "needs at least 12"}},
  {"negotiate-8-bytes", BYTES (GOOD "\0\0\0\x09" "O" "\0\0\0\x06" "\0\0\0\0"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, {"negotiate-reply", "byte offset 5", "payload is 8 bytes"}},
  {"negotiate-11-bytes", BYTES (GOOD "\0\0\0\x0c" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, {"negotiate-reply", "byte offset 5", NULL}},
  {"negotiate-stage-cut-short",
   BYTES (GOOD "\0\0\0\x0f" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0\0" "\0\0"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"negotiate-reply", "byte offset 5", "payload byte 12"}},
  {"negotiate-second-stage-cut-short",
   BYTES (GOOD "\0\0\0\x14" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0\0"
          "\0\0\0\x01" "j\0" "\0"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"negotiate-reply", "byte offset 5", "payload byte 18"}},
  {"negotiate-stage-7",
   BYTES (GOOD "\0\0\0\x13" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0\0" "\0\0\0\x07" "j\0"),
   MILTER_DECODER_ERROR_INVALID_VALUE, {"negotiate-reply", "byte offset 5", "macro stage 7"}},
  {"negotiate-stage-huge",
   BYTES (GOOD "\0\0\0\x13" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0\0" "\xff\xff\xff\xff" "j\0"),
   MILTER_DECODER_ERROR_INVALID_VALUE, {"negotiate-reply", "macro stage 4294967295", NULL}},
  {"negotiate-names-without-nul",
   BYTES (GOOD "\0\0\0\x13" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0\0" "\0\0\0\x01" "jv"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"negotiate-reply", "byte offset 5", "macro names"}},
  {"negotiate-stage-without-names",
   BYTES (GOOD "\0\0\0\x11" "O" "\0\0\0\x06" "\0\0\0\0" "\0\0\0\0" "\0\0\0\x01"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"negotiate-reply", "byte offset 5", NULL}},
  {"continue-with-payload", BYTES (GOOD "\0\0\0\x02" "c" "x"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"continue reply", "byte offset 5", "1 unexpected byte after"}},
  {"accept-with-payload", BYTES (GOOD "\0\0\0\x03" "a" "\0\0"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"accept reply", "byte offset 5", NULL}},
  {"shutdown-with-payload", BYTES (GOOD "\0\0\0\x02" "4" "\0"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"shutdown reply", "byte offset 5", NULL}},
  {"reply-code-empty", BYTES (GOOD "\0\0\0\x01" "y"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"reply-code reply", "byte offset 5", "reply text"}},
  {"reply-code-without-nul", BYTES (GOOD "\0\0\0\x04" "y" "550"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"reply-code reply", "byte offset 5", "reply text"}},
  {"reply-code-two-strings", BYTES (GOOD "\0\0\0\x07" "y" "550\0x\0"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"reply-code reply", "byte offset 5", "payload byte 4"}},
  {"add-header-one-string", BYTES (GOOD "\0\0\0\x05" "h" "X-A\0"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"add-header reply", "byte offset 5", "header value"}},
  {"add-header-three-strings", BYTES (GOOD "\0\0\0\x07" "h" "A\0b\0c\0"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"add-header reply", "byte offset 5", NULL}},
  {"insert-header-empty", BYTES (GOOD "\0\0\0\x01" "i"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, {"insert-header reply", "byte offset 5", "header index"}},
  {"insert-header-without-index", BYTES (GOOD "\0\0\0\x04" "i" "A\0b"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, {"insert-header reply", "byte offset 5", "header index"}},
  {"insert-header-index-only", BYTES (GOOD "\0\0\0\x05" "i" "\0\0\0\0"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"insert-header reply", "byte offset 5", "header name"}},
  {"change-header-without-index", BYTES (GOOD "\0\0\0\x03" "m" "\0\0"),
   MILTER_DECODER_ERROR_SHORT_PAYLOAD, {"change-header reply", "byte offset 5", NULL}},
  {"change-header-value-without-nul",
   BYTES (GOOD "\0\0\0\x09" "m" "\0\0\0\x01" "A\0bc"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"change-header reply", "byte offset 5", "payload byte 6"}},
  {"add-recipient-without-nul", BYTES (GOOD "\0\0\0\x03" "+" "<a"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"add-recipient reply", "byte offset 5", "recipient"}},
  {"add-recipient-two-strings", BYTES (GOOD "\0\0\0\x05" "+" "a\0b\0"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"add-recipient reply", "byte offset 5", NULL}},
  {"add-recipient-with-args-one-string", BYTES (GOOD "\0\0\0\x03" "2" "a\0"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"add-recipient-with-arguments reply", "byte offset 5", "ESMTP arguments"}},
  {"delete-recipient-trailing", BYTES (GOOD "\0\0\0\x04" "-" "a\0x"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"delete-recipient reply", "byte offset 5", NULL}},
  {"change-from-empty", BYTES (GOOD "\0\0\0\x01" "e"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"change-from reply", "byte offset 5", "sender"}},
  {"change-from-args-without-nul", BYTES (GOOD "\0\0\0\x05" "e" "a\0bc"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"change-from reply", "byte offset 5", "ESMTP arguments"}},
  {"change-from-three-strings", BYTES (GOOD "\0\0\0\x07" "e" "a\0b\0c\0"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"change-from reply", "byte offset 5", NULL}},
  {"quarantine-two-strings", BYTES (GOOD "\0\0\0\x0c" "q" "virus\0spam\0"),
   MILTER_DECODER_ERROR_TRAILING_GARBAGE, {"quarantine reply", "byte offset 5", "payload byte 6"}},
  {"quarantine-without-nul", BYTES (GOOD "\0\0\0\x06" "q" "virus"),
   MILTER_DECODER_ERROR_MISSING_NUL, {"quarantine reply", "byte offset 5", "reason"}},
  {"zero-length", BYTES (GOOD "\0\0\0\0"),
   MILTER_DECODER_ERROR_ZERO_LENGTH, {"byte offset 5", NULL, NULL}},
  {"too-large", BYTES (GOOD "\0\x10\0\x42" "b"),
   MILTER_DECODER_ERROR_TOO_LARGE, {"byte offset 5", NULL, NULL}},
};

static void
test_bad_input (gconstpointer data)
{
  const BadInput *bad = data;
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GPtrArray) replies = strings_new ();
  g_autoptr (GError) error = NULL;
  guint i;

  /* Guards the hand-written length fields of packets meant to be whole. */
  if (bad->code != MILTER_DECODER_ERROR_ZERO_LENGTH &&
      bad->code != MILTER_DECODER_ERROR_TOO_LARGE) {
    const guint8 *b = bad->bytes + 5;

    g_assert_cmpuint (((guint32) b[0] << 24) | ((guint32) b[1] << 16) |
                      ((guint32) b[2] << 8) | b[3], ==, bad->size - 9);
  }
  g_assert_false (milter_reply_decoder_feed (decoder, bad->bytes, bad->size,
                                             collect, replies, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, bad->code);
  g_test_message ("%s", error->message);
  for (i = 0; i < G_N_ELEMENTS (bad->message_parts) && bad->message_parts[i]; i++)
    g_assert_nonnull (strstr (error->message, bad->message_parts[i]));
  /* The good reply before the bad one was delivered. */
  g_assert_cmpuint (replies->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (replies, 0), ==, "continue");
}

/* The same bad inputs, one byte at a time: same error, same offset. */
static void
test_bad_input_bytewise (gconstpointer data)
{
  const BadInput *bad = data;
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GPtrArray) replies = strings_new ();
  g_autoptr (GError) error = NULL;
  gsize i;

  for (i = 0; i < bad->size; i++) {
    if (!milter_reply_decoder_feed (decoder, bad->bytes + i, 1, collect,
                                    replies, &error))
      break;
  }
  if (!error)
    milter_reply_decoder_finish (decoder, &error);
  g_assert_error (error, MILTER_DECODER_ERROR, bad->code);
  g_assert_nonnull (strstr (error->message, "byte offset 5"));
}

static void
test_truncated (void)
{
  static const guint8 stream[] = "\0\0\0\x01" "c" "\0\0\0\x0c" "h" "X-Sp";
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GPtrArray) replies = strings_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_reply_decoder_feed (decoder, stream, sizeof (stream) - 1,
                                            collect, replies, &error));
  g_assert_no_error (error);
  g_assert_false (milter_reply_decoder_finish (decoder, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "byte offset 5"));
  g_assert_cmpuint (replies->len, ==, 1);
}

static void
test_max_packet_size (void)
{
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (70000);
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GPtrArray) replies = strings_new ();
  g_autoptr (GError) error = NULL;
  MilterReply reply = {.type = MILTER_REPLY_REPLACE_BODY};
  g_autofree guint8 *body = g_malloc0 (70000);

  /* 69999 payload bytes + the type byte: exactly the maximum. */
  reply.replace_body.data = body;
  reply.replace_body.size = 69999;
  milter_reply_encode (stream, &reply);
  g_assert_true (milter_reply_decoder_feed (decoder, stream->data, stream->len,
                                            collect, replies, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (replies->len, ==, 1);

  g_byte_array_set_size (stream, 0);
  reply.replace_body.size = 70000;
  milter_reply_encode (stream, &reply);
  g_assert_false (milter_reply_decoder_feed (decoder, stream->data, stream->len,
                                             collect, replies, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TOO_LARGE);
}

static gboolean
fail_on_second (const MilterReply *reply, gpointer user_data, GError **error)
{
  guint *count = user_data;

  if (++*count == 2) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "stop here");
    return FALSE;
  }
  return TRUE;
}

static void
test_callback_error (void)
{
  static const guint8 stream[] = "\0\0\0\x01" "c" "\0\0\0\x01" "a" "\0\0\0\x01" "r";
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GError) error = NULL;
  guint count = 0;

  g_assert_false (milter_reply_decoder_feed (decoder, stream, sizeof (stream) - 1,
                                             fail_on_second, &count, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED);
  g_assert_cmpuint (count, ==, 2);
}

static void
test_reset (void)
{
  static const guint8 partial[] = "\0\0\0\x0c" "h" "X-";
  static const guint8 whole[] = "\0\0\0\x01" "p";
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GPtrArray) replies = strings_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_reply_decoder_feed (decoder, partial, sizeof (partial) - 1,
                                            collect, replies, &error));
  milter_reply_decoder_reset (decoder);
  g_assert_true (milter_reply_decoder_feed (decoder, whole, sizeof (whole) - 1,
                                            collect, replies, &error));
  g_assert_no_error (error);
  g_assert_true (milter_reply_decoder_finish (decoder, &error));
  g_assert_cmpuint (replies->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (replies, 0), ==, "progress");
}

typedef struct {
  const guint8 *input;
  gsize input_size;
  guint calls;
  const void *macro_lists;
} ZeroCopy;

static gboolean
check_zero_copy (const MilterReply *reply, gpointer user_data, GError **error)
{
  ZeroCopy *state = user_data;
  const guint8 *end = state->input + state->input_size;

  state->calls++;
  switch (reply->type) {
  case MILTER_REPLY_REPLACE_BODY:
    g_assert_true (reply->replace_body.data >= state->input &&
                   reply->replace_body.data + reply->replace_body.size <= end);
    break;
  case MILTER_REPLY_INSERT_HEADER:
    g_assert_true ((const guint8 *) reply->header.name > state->input &&
                   (const guint8 *) reply->header.value < end);
    break;
  case MILTER_REPLY_NEGOTIATE:
    g_assert_true ((const guint8 *) reply->negotiate.macro_lists[0].names >
                   state->input &&
                   (const guint8 *) reply->negotiate.macro_lists[0].names < end);
    /* The macro-list storage is the decoder's, reused packet after packet. */
    if (state->macro_lists)
      g_assert_true (state->macro_lists == reply->negotiate.macro_lists);
    state->macro_lists = reply->negotiate.macro_lists;
    break;
  default:
    g_assert_not_reached ();
  }
  return TRUE;
}

static void
test_zero_copy (void)
{
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *body = g_malloc (MILTER_CHUNK_SIZE);
  const MilterReplyMacroList four[] = {
    {MILTER_MACRO_STAGE_CONNECT, "j"}, {MILTER_MACRO_STAGE_HELO, "{cipher}"},
    {MILTER_MACRO_STAGE_DATA, "i"}, {MILTER_MACRO_STAGE_END_OF_HEADER, "i"},
  };
  ZeroCopy state = {0};

  memset (body, 'x', MILTER_CHUNK_SIZE);
  milter_reply_encode_replace_body (stream, body, MILTER_CHUNK_SIZE);
  milter_reply_encode_insert_header (stream, 3, "X-A", "b");
  milter_reply_encode_negotiate (stream, 6, 0, 0, four, 4);
  milter_reply_encode_negotiate (stream, 6, 0, 0, four, 3);
  state.input = stream->data;
  state.input_size = stream->len;
  g_assert_true (milter_reply_decoder_feed (decoder, stream->data, stream->len,
                                            check_zero_copy, &state, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (state.calls, ==, 4);
}

/* milter_reply_parse works on a payload without framing. */
static void
test_parse_without_framing (void)
{
  static const guint8 payload[] = "\0\0\0\x06" "\0\0\0\x01" "\0\0\0\x02"
                                  "\0\0\0\x02" "{mail_addr}\0";
  g_autoptr (GArray) lists = g_array_new (FALSE, FALSE,
                                          sizeof (MilterReplyMacroList));
  g_autoptr (GError) error = NULL;
  g_autofree gchar *string = NULL;
  MilterReply reply;

  g_assert_true (milter_reply_parse ('O', payload, sizeof (payload) - 1, 0,
                                     lists, &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (reply.negotiate.version, ==, 6);
  g_assert_cmpuint (reply.negotiate.actions, ==, MILTER_ACTION_ADD_HEADERS);
  g_assert_cmpuint (reply.negotiate.steps, ==, MILTER_STEP_NO_HELO);
  g_assert_cmpuint (reply.negotiate.n_macro_lists, ==, 1);
  g_assert_cmpint (reply.negotiate.macro_lists[0].stage, ==,
                   MILTER_MACRO_STAGE_ENVELOPE_FROM);
  g_assert_cmpstr (reply.negotiate.macro_lists[0].names, ==, "{mail_addr}");
  string = milter_reply_to_string (&reply);
  g_assert_cmpstr (string, ==,
                   "negotiate-reply version=6 actions=0x00000001 "
                   "steps=0x00000002 macros={envelope-from:\"{mail_addr}\"}");

  g_assert_false (milter_reply_parse ('q', (const guint8 *) "x", 1, 1234,
                                      lists, &reply, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_MISSING_NUL);
  g_assert_nonnull (strstr (error->message, "quarantine reply at byte offset 1234"));
  g_clear_error (&error);

  /* An empty payload may be passed as NULL. */
  g_assert_true (milter_reply_parse ('c', NULL, 0, 0, lists, &reply, &error));
  g_assert_no_error (error);
  g_assert_cmpint (reply.type, ==, MILTER_REPLY_CONTINUE);
}

/* A replace-body packet split across feeds is gathered, then delivered. */
static void
test_split_body (void)
{
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GByteArray) encoded = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *body = g_malloc (1000);
  guint i;

  for (i = 0; i < 1000; i++)
    body[i] = (guint8) (i * 7);
  milter_reply_encode_replace_body (stream, body, 1000);
  g_assert_true (milter_reply_decoder_feed (decoder, stream->data, 300,
                                            reencode, encoded, &error));
  g_assert_cmpuint (encoded->len, ==, 0);
  g_assert_true (milter_reply_decoder_feed (decoder, stream->data + 300,
                                            stream->len - 300, reencode,
                                            encoded, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (encoded->data, encoded->len, stream->data, stream->len);
}

/* Many repeated stages are passed on as sent, and the decoder still works
 * after dropping their storage. */
static void
test_many_macro_lists (void)
{
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GByteArray) stream = g_byte_array_new ();
  g_autoptr (GByteArray) encoded = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  MilterReplyMacroList lists[1000];
  guint i;

  for (i = 0; i < G_N_ELEMENTS (lists); i++) {
    lists[i].stage = (MilterMacroStage) (i % MILTER_MACRO_STAGE_COUNT);
    lists[i].names = i % 2 ? "i" : "";
  }
  milter_reply_encode_negotiate (stream, 6, 0, 0, lists,
                                         G_N_ELEMENTS (lists));
  milter_reply_encode_negotiate (stream, 6, 0, 0, lists, 2);
  milter_reply_encode_negotiate (stream, 6, 0, 0, lists,
                                         G_N_ELEMENTS (lists));
  g_assert_true (milter_reply_decoder_feed (decoder, stream->data, stream->len,
                                            reencode, encoded, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (encoded->data, encoded->len, stream->data, stream->len);
}

int
main (int argc, char **argv)
{
  gsize i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/reply-decoder/vector-length-fields",
                   test_vector_length_fields);
  for (i = 0; i < G_N_ELEMENTS (vectors); i++) {
    g_autofree gchar *decode_path =
      g_strdup_printf ("/core/reply-decoder/decode/%s", vectors[i].name);
    g_autofree gchar *round_trip_path =
      g_strdup_printf ("/core/reply-decoder/round-trip/%s", vectors[i].name);

    g_test_add_data_func (decode_path, &vectors[i], test_decode);
    g_test_add_data_func (round_trip_path, &vectors[i], test_round_trip);
  }
  g_test_add_func ("/core/reply-decoder/incremental", test_incremental);
  for (i = 0; i < G_N_ELEMENTS (bad_inputs); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/reply-decoder/bad-input/%s", bad_inputs[i].name);
    g_autofree gchar *bytewise_path =
      g_strdup_printf ("/core/reply-decoder/bad-input-bytewise/%s",
                       bad_inputs[i].name);

    g_test_add_data_func (path, &bad_inputs[i], test_bad_input);
    g_test_add_data_func (bytewise_path, &bad_inputs[i], test_bad_input_bytewise);
  }
  g_test_add_func ("/core/reply-decoder/truncated", test_truncated);
  g_test_add_func ("/core/reply-decoder/max-packet-size", test_max_packet_size);
  g_test_add_func ("/core/reply-decoder/callback-error", test_callback_error);
  g_test_add_func ("/core/reply-decoder/reset", test_reset);
  g_test_add_func ("/core/reply-decoder/zero-copy", test_zero_copy);
  g_test_add_func ("/core/reply-decoder/parse-without-framing",
                   test_parse_without_framing);
  g_test_add_func ("/core/reply-decoder/split-body", test_split_body);
  g_test_add_func ("/core/reply-decoder/many-macro-lists", test_many_macro_lists);
  return g_test_run ();
}

/*
 * test-reply-encoder - milter-reply-encoder against hand-written packets
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply.h>
#include <milter/core/milter-reply-decoder.h>
#include <milter/core/milter-reply-encoder.h>

#define BYTES(literal) (const guint8 *) (literal), sizeof (literal) - 1

typedef struct {
  const gchar *name;
  void (*encode) (GByteArray *buffer);
  const guint8 *bytes;
  gsize size;
} EncodeCase;

static const MilterReplyMacroList postfix_like[] = {
  {MILTER_MACRO_STAGE_CONNECT, "j {daemon_name}"},
  {MILTER_MACRO_STAGE_HELO, "{tls_version}"},
  {MILTER_MACRO_STAGE_ENVELOPE_RECIPIENT, "{rcpt_addr}"},
  {MILTER_MACRO_STAGE_END_OF_MESSAGE, "i"},
};

static void
encode_negotiate_v2 (GByteArray *buffer)
{
  milter_reply_encode_negotiate (buffer, 2, MILTER_ACTION_VERSION2_DEFAULT,
                                         MILTER_STEP_VERSION2_DEFAULT, NULL, 0);
}

static void
encode_negotiate_v6_macros (GByteArray *buffer)
{
  milter_reply_encode_negotiate (buffer, 6, MILTER_ACTION_SET_SYMBOL_LIST,
                                         MILTER_STEP_SKIP, postfix_like,
                                         G_N_ELEMENTS (postfix_like));
}

static void
encode_negotiate_large_flags (GByteArray *buffer)
{
  milter_reply_encode_negotiate (buffer, 6, MILTER_ACTION_ALL,
                                         MILTER_STEP_ALL |
                                         MILTER_STEP_MAX_DATA_SIZE_1M, NULL, 0);
}

static void encode_continue (GByteArray *b) { milter_reply_encode_continue (b); }
static void encode_accept (GByteArray *b) { milter_reply_encode_accept (b); }
static void encode_reject (GByteArray *b) { milter_reply_encode_reject (b); }
static void encode_temporary_failure (GByteArray *b) { milter_reply_encode_temporary_failure (b); }
static void encode_discard (GByteArray *b) { milter_reply_encode_discard (b); }
static void encode_skip (GByteArray *b) { milter_reply_encode_skip (b); }
static void encode_progress (GByteArray *b) { milter_reply_encode_progress (b); }
static void encode_shutdown (GByteArray *b) { milter_reply_encode_shutdown (b); }
static void encode_connection_failure (GByteArray *b) { milter_reply_encode_connection_failure (b); }

static void
encode_reply_code (GByteArray *buffer)
{
  milter_reply_encode_reply_code (buffer, "451 4.7.1 Greylisted");
}

static void
encode_reply_code_multi_line (GByteArray *buffer)
{
  milter_reply_encode_reply_code (buffer,
                                          "550-5.7.1 first\r\n550 5.7.1 last");
}

static void
encode_add_header (GByteArray *buffer)
{
  milter_reply_encode_add_header (buffer, "X-Spam", "yes");
}

static void
encode_insert_header (GByteArray *buffer)
{
  milter_reply_encode_insert_header (buffer, 0, "X-First", "v");
}

static void
encode_insert_header_large_index (GByteArray *buffer)
{
  milter_reply_encode_insert_header (buffer, 0x01020304, "A", "");
}

static void
encode_change_header (GByteArray *buffer)
{
  milter_reply_encode_change_header (buffer, 2, "Subject", "new");
}

static void
encode_delete_header (GByteArray *buffer)
{
  milter_reply_encode_delete_header (buffer, 1, "X-Old");
}

static void
encode_add_recipient (GByteArray *buffer)
{
  milter_reply_encode_add_recipient (buffer, "<a@example.org>", NULL);
}

static void
encode_add_recipient_with_args (GByteArray *buffer)
{
  milter_reply_encode_add_recipient (buffer, "<b@example.org>",
                                             "NOTIFY=NEVER");
}

static void
encode_delete_recipient (GByteArray *buffer)
{
  milter_reply_encode_delete_recipient (buffer, "<c@example.org>");
}

static void
encode_change_from (GByteArray *buffer)
{
  milter_reply_encode_change_from (buffer, "<s@example.org>", NULL);
}

static void
encode_change_from_with_args (GByteArray *buffer)
{
  milter_reply_encode_change_from (buffer, "<s@example.org>", "SIZE=100");
}

static void
encode_replace_body (GByteArray *buffer)
{
  milter_reply_encode_replace_body (buffer, (const guint8 *) "a\0b\r\n", 5);
}

static void
encode_replace_body_empty (GByteArray *buffer)
{
  milter_reply_encode_replace_body (buffer, NULL, 0);
}

static void
encode_quarantine (GByteArray *buffer)
{
  milter_reply_encode_quarantine (buffer, "virus found");
}

static const EncodeCase encode_cases[] = {
  {"negotiate-v2", encode_negotiate_v2,
   BYTES ("\0\0\0\x0d" "O" "\0\0\0\x02" "\0\0\0\x0f" "\0\0\0\x3f")},
  {"negotiate-v6-macros", encode_negotiate_v6_macros,
   BYTES ("\0\0\0\x49" "O" "\0\0\0\x06" "\0\0\x01\x00" "\0\0\x04\x00"
          "\0\0\0\x00" "j {daemon_name}\0"
          "\0\0\0\x01" "{tls_version}\0"
          "\0\0\0\x03" "{rcpt_addr}\0"
          "\0\0\0\x05" "i\0")},
  {"negotiate-large-flags", encode_negotiate_large_flags,
   BYTES ("\0\0\0\x0d" "O" "\0\0\0\x06" "\0\0\x01\xff" "\x20\x1f\xff\xff")},
  {"continue", encode_continue, BYTES ("\0\0\0\x01" "c")},
  {"accept", encode_accept, BYTES ("\0\0\0\x01" "a")},
  {"reject", encode_reject, BYTES ("\0\0\0\x01" "r")},
  {"temporary-failure", encode_temporary_failure, BYTES ("\0\0\0\x01" "t")},
  {"discard", encode_discard, BYTES ("\0\0\0\x01" "d")},
  {"skip", encode_skip, BYTES ("\0\0\0\x01" "s")},
  {"progress", encode_progress, BYTES ("\0\0\0\x01" "p")},
  {"shutdown", encode_shutdown, BYTES ("\0\0\0\x01" "4")},
  {"connection-failure", encode_connection_failure, BYTES ("\0\0\0\x01" "f")},
  {"reply-code", encode_reply_code,
   BYTES ("\0\0\0\x16" "y" "451 4.7.1 Greylisted\0")},
  {"reply-code-multi-line", encode_reply_code_multi_line,
   BYTES ("\0\0\0\x21" "y" "550-5.7.1 first\r\n550 5.7.1 last\0")},
  {"add-header", encode_add_header, BYTES ("\0\0\0\x0c" "h" "X-Spam\0yes\0")},
  {"insert-header", encode_insert_header,
   BYTES ("\0\0\0\x0f" "i" "\0\0\0\0" "X-First\0v\0")},
  {"insert-header-large-index", encode_insert_header_large_index,
   BYTES ("\0\0\0\x08" "i" "\x01\x02\x03\x04" "A\0\0")},
  {"change-header", encode_change_header,
   BYTES ("\0\0\0\x11" "m" "\0\0\0\x02" "Subject\0new\0")},
  {"delete-header", encode_delete_header,
   BYTES ("\0\0\0\x0c" "m" "\0\0\0\x01" "X-Old\0\0")},
  {"add-recipient", encode_add_recipient,
   BYTES ("\0\0\0\x11" "+" "<a@example.org>\0")},
  {"add-recipient-with-args", encode_add_recipient_with_args,
   BYTES ("\0\0\0\x1e" "2" "<b@example.org>\0NOTIFY=NEVER\0")},
  {"delete-recipient", encode_delete_recipient,
   BYTES ("\0\0\0\x11" "-" "<c@example.org>\0")},
  {"change-from", encode_change_from,
   BYTES ("\0\0\0\x11" "e" "<s@example.org>\0")},
  {"change-from-with-args", encode_change_from_with_args,
   BYTES ("\0\0\0\x1a" "e" "<s@example.org>\0SIZE=100\0")},
  {"replace-body", encode_replace_body, BYTES ("\0\0\0\x06" "b" "a\0b\r\n")},
  {"replace-body-empty", encode_replace_body_empty, BYTES ("\0\0\0\x01" "b")},
  {"quarantine", encode_quarantine, BYTES ("\0\0\0\x0d" "q" "virus found\0")},
};

static void
test_encode (gconstpointer data)
{
  const EncodeCase *test_case = data;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();

  test_case->encode (buffer);
  g_assert_cmpmem (buffer->data, buffer->len, test_case->bytes, test_case->size);
}

/* Encoders append: what the buffer held before stays in front. */
static void
test_encode_appends (gconstpointer data)
{
  const EncodeCase *test_case = data;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();

  g_byte_array_append (buffer, (const guint8 *) "prefix", 6);
  test_case->encode (buffer);
  test_case->encode (buffer);
  g_assert_cmpuint (buffer->len, ==, 6 + 2 * test_case->size);
  g_assert_cmpmem (buffer->data, 6, "prefix", 6);
  g_assert_cmpmem (buffer->data + 6, test_case->size,
                   test_case->bytes, test_case->size);
  g_assert_cmpmem (buffer->data + 6 + test_case->size, test_case->size,
                   test_case->bytes, test_case->size);
}

static gboolean
reencode (const MilterReply *reply, gpointer user_data, GError **error)
{
  milter_reply_encode (user_data, reply);
  return TRUE;
}

/* Encode, decode, re-encode the decoded reply: the same bytes. */
static void
test_round_trip (gconstpointer data)
{
  const EncodeCase *test_case = data;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) again = g_byte_array_new ();
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GError) error = NULL;

  test_case->encode (buffer);
  g_assert_true (milter_reply_decoder_feed (decoder, buffer->data, buffer->len,
                                            reencode, again, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (again->data, again->len, buffer->data, buffer->len);
}

typedef struct {
  GByteArray *body;
  guint packets;
  gsize largest;
} BodyState;

static gboolean
gather_body (const MilterReply *reply, gpointer user_data, GError **error)
{
  BodyState *state = user_data;

  g_assert_cmpint (reply->type, ==, MILTER_REPLY_REPLACE_BODY);
  state->packets++;
  state->largest = MAX (state->largest, reply->replace_body.size);
  g_byte_array_append (state->body, reply->replace_body.data,
                       (guint) reply->replace_body.size);
  return TRUE;
}

typedef struct {
  gsize size;
  guint packets;
} BodySizeCase;

static const BodySizeCase body_size_cases[] = {
  {0, 1}, {1, 1}, {65534, 1}, {65535, 1}, {65536, 2}, {131070, 2},
  {131071, 3}, {200000, 4},
};

static void
test_replace_body_chunks (gconstpointer data)
{
  const BodySizeCase *test_case = data;
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *body = g_malloc (MAX (test_case->size, 1));
  BodyState state = {g_byte_array_new (), 0, 0};
  gsize i;

  for (i = 0; i < test_case->size; i++)
    body[i] = (guint8) (i % 251);
  milter_reply_encode_replace_body (buffer, body, test_case->size);
  g_assert_cmpuint (buffer->len, ==,
                    test_case->size + 5 * test_case->packets);
  g_assert_true (milter_reply_decoder_feed (decoder, buffer->data, buffer->len,
                                            gather_body, &state, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (state.packets, ==, test_case->packets);
  g_assert_cmpuint (state.largest, <=, MILTER_CHUNK_SIZE);
  g_assert_cmpmem (state.body->data, state.body->len, body, test_case->size);
  g_byte_array_unref (state.body);
}

/* The generic encoder keeps one reply in one packet, even a large chunk. */
static void
test_append_generic_body (void)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autofree guint8 *body = g_malloc0 (70000);
  MilterReply reply = {.type = MILTER_REPLY_REPLACE_BODY};

  reply.replace_body.data = body;
  reply.replace_body.size = 70000;
  milter_reply_encode (buffer, &reply);
  g_assert_cmpuint (buffer->len, ==, 70005);
  g_assert_cmpmem (buffer->data, 5, "\0\x01\x11\x71" "b", 5);
}

/* The replies of one event, appended together, decode in order. */
static void
test_reply_group (void)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autoptr (GByteArray) again = g_byte_array_new ();
  g_autoptr (MilterReplyDecoder) decoder = milter_reply_decoder_new (0);
  g_autoptr (GError) error = NULL;
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (encode_cases); i++)
    encode_cases[i].encode (buffer);
  g_assert_true (milter_reply_decoder_feed (decoder, buffer->data, buffer->len,
                                            reencode, again, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (again->data, again->len, buffer->data, buffer->len);
}

int
main (int argc, char **argv)
{
  gsize i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (encode_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/reply-encoder/encode/%s", encode_cases[i].name);
    g_autofree gchar *append_path =
      g_strdup_printf ("/core/reply-encoder/appends/%s", encode_cases[i].name);
    g_autofree gchar *round_trip_path =
      g_strdup_printf ("/core/reply-encoder/round-trip/%s", encode_cases[i].name);

    g_test_add_data_func (path, &encode_cases[i], test_encode);
    g_test_add_data_func (append_path, &encode_cases[i], test_encode_appends);
    g_test_add_data_func (round_trip_path, &encode_cases[i], test_round_trip);
  }
  for (i = 0; i < G_N_ELEMENTS (body_size_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/reply-encoder/replace-body/%" G_GSIZE_FORMAT,
                       body_size_cases[i].size);

    g_test_add_data_func (path, &body_size_cases[i], test_replace_body_chunks);
  }
  g_test_add_func ("/core/reply-encoder/append-generic-body",
                   test_append_generic_body);
  g_test_add_func ("/core/reply-encoder/reply-group", test_reply_group);
  return g_test_run ();
}

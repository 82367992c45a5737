/*
 * test-manager-launch-protocol - the launcher pipes' codec: encoded bytes,
 * request and reply parsing (tables of valid and malformed packets), and
 * the stream decoder over every split of a stream
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/manager/milter-manager-launch-protocol.h>

/* launcher.md §3's example, byte for byte. */
static void
test_encode_example (void)
{
  static const guint8 expected[] =
    "\x00\x00\x00\x2d" "launch\0/etc/init.d/clamav-milter start\0clamav";
  static const guint8 success[] = "\x00\x00\x00\x08" "success";
  g_autoptr (GByteArray) out = g_byte_array_new ();

  milter_manager_launch_request_encode (out, "/etc/init.d/clamav-milter start",
                                        "clamav");
  g_assert_cmpmem (out->data, out->len, expected, sizeof (expected) - 1);
  g_byte_array_set_size (out, 0);
  milter_manager_launch_reply_encode (out, MILTER_MANAGER_LAUNCH_REPLY_SUCCESS,
                                      "ignored");
  /* "success" NUL: the literal's own NUL is the word's. */
  g_assert_cmpmem (out->data, out->len, success, sizeof (success));
}

static void
test_encode_variants (void)
{
  static const struct {
    const gchar *command_line;
    const gchar *user;
    const gchar *bytes;
    gsize size;
  } requests[] = {
    { "a", NULL, "launch\0a\0", 9 },
    { "a", "", "launch\0a\0", 9 },
    { "run -x 'b c'", "u", "launch\0run -x 'b c'\0u", 21 },
  };
  static const struct {
    MilterManagerLaunchReplyType type;
    const gchar *message;
    const gchar *bytes;
    gsize size;
  } replies[] = {
    { MILTER_MANAGER_LAUNCH_REPLY_SUCCESS, NULL, "success\0", 8 },
    { MILTER_MANAGER_LAUNCH_REPLY_ERROR, "already launched: a", "error\0already launched: a", 25 },
    { MILTER_MANAGER_LAUNCH_REPLY_ERROR, NULL, "error\0", 6 },
    { MILTER_MANAGER_LAUNCH_REPLY_FAILURE, "x", "failure\0x", 9 },
  };
  g_autoptr (GByteArray) out = g_byte_array_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (requests); i++) {
    g_byte_array_set_size (out, 0);
    milter_manager_launch_request_encode (out, requests[i].command_line,
                                          requests[i].user);
    g_assert_cmpuint (out->len, ==, requests[i].size + 4);
    g_assert_cmpuint (out->data[3], ==, requests[i].size);
    g_assert_cmpmem (out->data + 4, out->len - 4, requests[i].bytes,
                     requests[i].size);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (replies); i++) {
    g_byte_array_set_size (out, 0);
    milter_manager_launch_reply_encode (out, replies[i].type,
                                        replies[i].message);
    g_assert_cmpuint (out->len, ==, replies[i].size + 4);
    g_assert_cmpmem (out->data + 4, out->len - 4, replies[i].bytes,
                     replies[i].size);
  }
}

static void
test_request_parse (void)
{
  static const struct {
    const gchar *packet;
    gsize size;
    const gchar *command_line;   /* NULL: an error */
    const gchar *user;
    gint code;
    const gchar *message;
  } cases[] = {
    { "launch\0/bin/true\0", 17, "/bin/true", NULL, 0, NULL },
    { "launch\0/bin/true\0nobody", 23, "/bin/true", "nobody", 0, NULL },
    /* A NUL-terminated user part is the same user. */
    { "launch\0/bin/true\0nobody\0", 24, "/bin/true", "nobody", 0, NULL },
    { "launch\0/bin/true\0\0", 18, "/bin/true", NULL, 0, NULL },
    { "launch", 6, NULL, NULL, MILTER_DECODER_ERROR_MISSING_NUL,
      "launch command isn't terminated by NULL" },
    { "\0/bin/true\0", 11, NULL, NULL, MILTER_DECODER_ERROR_INVALID_VALUE,
      "empty word" },
    { "launch\0/bin/true", 16, NULL, NULL, MILTER_DECODER_ERROR_MISSING_NUL,
      "Command line isn't terminated by NULL on spawn-child command" },
    { "launch\0", 7, NULL, NULL, MILTER_DECODER_ERROR_MISSING_NUL,
      "Command line isn't terminated by NULL on spawn-child command" },
    { "launch\0\0nobody", 14, NULL, NULL, MILTER_DECODER_ERROR_INVALID_VALUE,
      "empty command line on spawn-child command" },
    { "launch\0/bin/true\0no\0body", 25, NULL, NULL,
      MILTER_DECODER_ERROR_INVALID_VALUE, "user name contains a NUL byte" },
    { "spawn\0/bin/true\0", 16, NULL, NULL, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
      "unexpected command was received: spawn" },
    { "success\0", 8, NULL, NULL, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
      "unexpected command was received: success" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    MilterManagerLaunchRequest request;
    g_autoptr (GError) error = NULL;
    gboolean ok = milter_manager_launch_request_parse (
      (const guint8 *) cases[i].packet, cases[i].size, &request, &error);

    g_test_message ("case %" G_GSIZE_FORMAT, i);
    if (cases[i].command_line) {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpstr (request.command_line, ==, cases[i].command_line);
      g_assert_cmpstr (request.user_name, ==, cases[i].user);
      milter_manager_launch_request_clear (&request);
    } else {
      g_assert_false (ok);
      g_assert_error (error, MILTER_DECODER_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_assert_null (request.command_line);
      g_assert_null (request.user_name);
    }
  }
}

static void
test_reply_parse (void)
{
  static const struct {
    const gchar *packet;
    gsize size;
    gboolean ok;
    MilterManagerLaunchReplyType type;
    const gchar *text;   /* the message, or the error's */
    gint code;
  } cases[] = {
    { "success\0", 8, TRUE, MILTER_MANAGER_LAUNCH_REPLY_SUCCESS, NULL, 0 },
    { "error\0No password entry: x", 27, TRUE,
      MILTER_MANAGER_LAUNCH_REPLY_ERROR, "No password entry: x", 0 },
    { "error\0", 6, TRUE, MILTER_MANAGER_LAUNCH_REPLY_ERROR, "", 0 },
    { "failure\0bad\0", 12, TRUE, MILTER_MANAGER_LAUNCH_REPLY_FAILURE, "bad", 0 },
    { "success\0x", 9, FALSE, 0, "1 bytes after a success reply",
      MILTER_DECODER_ERROR_TRAILING_GARBAGE },
    { "error\0a\0b", 9, FALSE, 0, "reply message contains a NUL byte",
      MILTER_DECODER_ERROR_INVALID_VALUE },
    { "success", 7, FALSE, 0, "reply isn't terminated by NULL",
      MILTER_DECODER_ERROR_MISSING_NUL },
    { "launch\0a\0", 9, FALSE, 0, "unexpected reply was received: launch",
      MILTER_DECODER_ERROR_UNKNOWN_TYPE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    MilterManagerLaunchReply reply;
    g_autoptr (GError) error = NULL;
    gboolean ok = milter_manager_launch_reply_parse (
      (const guint8 *) cases[i].packet, cases[i].size, &reply, &error);

    g_test_message ("case %" G_GSIZE_FORMAT, i);
    g_assert_cmpint (ok, ==, cases[i].ok);
    if (ok) {
      g_assert_cmpint (reply.type, ==, cases[i].type);
      g_assert_cmpstr (reply.message, ==, cases[i].text);
      milter_manager_launch_reply_clear (&reply);
    } else {
      g_assert_error (error, MILTER_DECODER_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].text);
    }
  }
}

typedef struct {
  GPtrArray *seen;
} Collected;

static gboolean
collect (const MilterManagerLaunchRequest *request,
         const MilterManagerLaunchReply *reply,
         gpointer user_data, GError **error)
{
  Collected *collected = user_data;

  (void) error;
  if (request)
    g_ptr_array_add (collected->seen,
                     g_strdup_printf ("%s@%s", request->command_line,
                                      request->user_name ? request->user_name : "-"));
  else
    g_ptr_array_add (collected->seen,
                     g_strdup_printf ("%s:%s",
                                      milter_manager_launch_reply_type_to_string (reply->type),
                                      reply->message ? reply->message : "-"));
  return TRUE;
}

/* Every split point of a stream of three packets gives the same result. */
static void
test_decoder_splits (void)
{
  g_autoptr (GByteArray) requests = g_byte_array_new ();
  g_autoptr (GByteArray) replies = g_byte_array_new ();

  milter_manager_launch_request_encode (requests, "/bin/a -x", "nobody");
  milter_manager_launch_request_encode (requests, "/bin/b", NULL);
  milter_manager_launch_request_encode (requests, "'/bin/c d'", "root");
  milter_manager_launch_reply_encode (replies, MILTER_MANAGER_LAUNCH_REPLY_SUCCESS, NULL);
  milter_manager_launch_reply_encode (replies, MILTER_MANAGER_LAUNCH_REPLY_ERROR, "no");
  milter_manager_launch_reply_encode (replies, MILTER_MANAGER_LAUNCH_REPLY_FAILURE, "x y");

  for (gint direction = 0; direction < 2; direction++) {
    GByteArray *stream = direction == 0 ? requests : replies;
    const gchar *expected = direction == 0 ?
      "/bin/a -x@nobody|/bin/b@-|'/bin/c d'@root" : "success:-|error:no|failure:x y";

    for (guint cut = 0; cut <= stream->len; cut++) {
      g_autoptr (MilterManagerLaunchDecoder) decoder =
        milter_manager_launch_decoder_new (direction == 0 ?
                                           MILTER_MANAGER_LAUNCH_REQUESTS :
                                           MILTER_MANAGER_LAUNCH_REPLIES);
      g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
      Collected collected = { seen };
      g_autoptr (GError) error = NULL;
      g_autofree gchar *joined = NULL;

      g_assert_true (milter_manager_launch_decoder_feed (decoder, stream->data, cut,
                                                         collect, &collected, &error));
      g_assert_true (milter_manager_launch_decoder_feed (decoder, stream->data + cut,
                                                         stream->len - cut,
                                                         collect, &collected, &error));
      g_assert_no_error (error);
      g_assert_true (milter_manager_launch_decoder_finish (decoder, &error));
      g_ptr_array_add (seen, NULL);
      joined = g_strjoinv ("|", (gchar **) seen->pdata);
      g_assert_cmpstr (joined, ==, expected);
    }
  }
}

static void
test_decoder_errors (void)
{
  static const guint8 wrong_word[] = "\x00\x00\x00\x06" "stop\0x";
  static const guint8 too_large[] = "\x00\x01\x00\x01" "launch";
  static const guint8 truncated[] = "\x00\x00\x00\x09" "launch\0";
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  Collected collected = { seen };
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterManagerLaunchDecoder) decoder =
    milter_manager_launch_decoder_new (MILTER_MANAGER_LAUNCH_REQUESTS);
  g_autoptr (MilterManagerLaunchDecoder) large =
    milter_manager_launch_decoder_new (MILTER_MANAGER_LAUNCH_REQUESTS);
  g_autoptr (MilterManagerLaunchDecoder) short_one =
    milter_manager_launch_decoder_new (MILTER_MANAGER_LAUNCH_REQUESTS);

  g_assert_false (milter_manager_launch_decoder_feed (decoder, wrong_word,
                                                      sizeof (wrong_word) - 1,
                                                      collect, &collected, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_UNKNOWN_TYPE);
  g_assert_cmpstr (error->message, ==, "unexpected command was received: stop");
  g_clear_error (&error);
  g_assert_false (milter_manager_launch_decoder_feed (large, too_large,
                                                      sizeof (too_large) - 1,
                                                      collect, &collected, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_true (milter_manager_launch_decoder_feed (short_one, truncated,
                                                     sizeof (truncated) - 1,
                                                     collect, &collected, &error));
  g_assert_false (milter_manager_launch_decoder_finish (short_one, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TRUNCATED);
  g_assert_cmpuint (seen->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/launch-protocol/encode-example", test_encode_example);
  g_test_add_func ("/manager/launch-protocol/encode-variants", test_encode_variants);
  g_test_add_func ("/manager/launch-protocol/request-parse", test_request_parse);
  g_test_add_func ("/manager/launch-protocol/reply-parse", test_reply_parse);
  g_test_add_func ("/manager/launch-protocol/decoder-splits", test_decoder_splits);
  g_test_add_func ("/manager/launch-protocol/decoder-errors", test_decoder_errors);
  return g_test_run ();
}

/*
 * test-manager-control-codec - the controller's packets (controller.md
 * §2-§4): every word encoded and decoded, in both directions, the
 * payload rules, malformed packets, and streams split anywhere.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-packet-decoder.h>
#include <milter/manager/milter-manager-control-codec.h>

static void
test_reload_bytes (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  static const guint8 reload[] = { 0, 0, 0, 7, 'r', 'e', 'l', 'o', 'a', 'd', 0 };
  static const guint8 success[] = { 0, 0, 0, 8, 's', 'u', 'c', 'c', 'e', 's', 's', 0 };

  milter_manager_control_encode_command (out, MILTER_MANAGER_CONTROL_RELOAD, NULL, 0);
  g_assert_cmpmem (out->data, out->len, reload, sizeof (reload));
  g_byte_array_set_size (out, 0);
  milter_manager_control_encode_reply (out, MILTER_MANAGER_CONTROL_REPLY_SUCCESS, NULL, 0);
  g_assert_cmpmem (out->data, out->len, success, sizeof (success));
}

typedef struct {
  GArray *words;
  GPtrArray *payloads;
} Decoded;

static gboolean
collect (MilterManagerControlWord word, const guint8 *payload, gsize size, gpointer user_data,
         GError **error)
{
  Decoded *decoded = user_data;
  (void) error;
  g_array_append_val (decoded->words, word);
  g_ptr_array_add (decoded->payloads, g_bytes_new (payload, size));
  return TRUE;
}

static void
decoded_init (Decoded *decoded)
{
  decoded->words = g_array_new (FALSE, FALSE, sizeof (MilterManagerControlWord));
  decoded->payloads = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

static void
decoded_clear (Decoded *decoded)
{
  g_array_unref (decoded->words);
  g_ptr_array_unref (decoded->payloads);
}

/* Every word with a payload it allows: encode, decode in every split of
 * the stream into two pieces, same word and payload back. */
static void
test_round_trip (void)
{
  static const struct {
    MilterManagerControlWord word;
    const gchar *payload;
  } cases[] = {
    { MILTER_MANAGER_CONTROL_SET_CONFIGURATION, "<configuration/>" },
    { MILTER_MANAGER_CONTROL_SET_CONFIGURATION, "" },
    { MILTER_MANAGER_CONTROL_GET_CONFIGURATION, "" },
    { MILTER_MANAGER_CONTROL_RELOAD, "" },
    { MILTER_MANAGER_CONTROL_GET_STATUS, "" },
    { MILTER_MANAGER_CONTROL_STOP_CHILD, "clamav-milter" },
    { MILTER_MANAGER_CONTROL_REPLY_SUCCESS, "" },
    { MILTER_MANAGER_CONTROL_REPLY_FAILURE, "no" },
    { MILTER_MANAGER_CONTROL_REPLY_ERROR, "bad\0thing" },
    { MILTER_MANAGER_CONTROL_REPLY_CONFIGURATION, "<configuration>\n</configuration>\n" },
    { MILTER_MANAGER_CONTROL_REPLY_STATUS, "uptime: 1\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    gboolean command = milter_manager_control_word_is_command (cases[i].word);
    gsize size = cases[i].word == MILTER_MANAGER_CONTROL_REPLY_ERROR ? 9 :
      strlen (cases[i].payload);
    g_autoptr (GByteArray) out = g_byte_array_new ();
    if (command)
      milter_manager_control_encode_command (out, cases[i].word,
                                             (const guint8 *) cases[i].payload, size);
    else
      milter_manager_control_encode_reply (out, cases[i].word,
                                           (const guint8 *) cases[i].payload, size);
    for (guint split = 0; split <= out->len; split++) {
      g_autoptr (MilterManagerControlDecoder) decoder =
        milter_manager_control_decoder_new (command ? MILTER_MANAGER_CONTROL_DECODE_COMMANDS :
                                            MILTER_MANAGER_CONTROL_DECODE_REPLIES, 0);
      g_autoptr (GError) error = NULL;
      Decoded decoded;
      decoded_init (&decoded);
      g_assert_true (milter_manager_control_decoder_feed (decoder, out->data, split, collect,
                                                          &decoded, &error));
      g_assert_true (milter_manager_control_decoder_feed (decoder, out->data + split,
                                                          out->len - split, collect,
                                                          &decoded, &error));
      g_assert_no_error (error);
      g_assert_true (milter_manager_control_decoder_finish (decoder, &error));
      g_assert_cmpuint (decoded.words->len, ==, 1);
      g_assert_cmpint (g_array_index (decoded.words, MilterManagerControlWord, 0), ==,
                       cases[i].word);
      gsize got_size;
      const guint8 *got = g_bytes_get_data (decoded.payloads->pdata[0], &got_size);
      g_assert_cmpmem (got, got_size, cases[i].payload, size);
      decoded_clear (&decoded);
    }
  }
}

/* Several commands in one buffer: each one, in order. */
static void
test_several (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (MilterManagerControlDecoder) decoder =
    milter_manager_control_decoder_new (MILTER_MANAGER_CONTROL_DECODE_COMMANDS, 0);
  g_autoptr (GError) error = NULL;
  Decoded decoded;

  milter_manager_control_encode_command (out, MILTER_MANAGER_CONTROL_GET_STATUS, NULL, 0);
  milter_manager_control_encode_command (out, MILTER_MANAGER_CONTROL_STOP_CHILD,
                                         (const guint8 *) "a", 1);
  milter_manager_control_encode_command (out, MILTER_MANAGER_CONTROL_RELOAD, NULL, 0);
  decoded_init (&decoded);
  g_assert_true (milter_manager_control_decoder_feed (decoder, out->data, out->len, collect,
                                                      &decoded, &error));
  g_assert_cmpuint (decoded.words->len, ==, 3);
  g_assert_cmpint (g_array_index (decoded.words, MilterManagerControlWord, 0), ==,
                   MILTER_MANAGER_CONTROL_GET_STATUS);
  g_assert_cmpint (g_array_index (decoded.words, MilterManagerControlWord, 1), ==,
                   MILTER_MANAGER_CONTROL_STOP_CHILD);
  g_assert_cmpint (g_array_index (decoded.words, MilterManagerControlWord, 2), ==,
                   MILTER_MANAGER_CONTROL_RELOAD);
  decoded_clear (&decoded);
}

/* The packet rule: word, NUL, payload allowed by the word. */
static void
test_decode_packet (void)
{
  static const struct {
    MilterManagerControlDirection direction;
    const gchar *packet;   /* after the length field */
    gsize size;
    gint word;             /* -1: refused */
    gint code;
    const gchar *message;
    gsize payload_size;
  } cases[] = {
#define C MILTER_MANAGER_CONTROL_DECODE_COMMANDS
#define R MILTER_MANAGER_CONTROL_DECODE_REPLIES
    { C, "reload", 7, MILTER_MANAGER_CONTROL_RELOAD, 0, NULL, 0 },
    { C, "reload\0x", 8, -1, MILTER_DECODER_ERROR_TRAILING_GARBAGE,
      "reload takes no payload: 1 bytes", 0 },
    { C, "reload", 6, -1, MILTER_DECODER_ERROR_MISSING_NUL,
      "control command isn't terminated by NULL", 0 },
    { R, "success", 7, -1, MILTER_DECODER_ERROR_MISSING_NUL,
      "control reply isn't terminated by NULL", 0 },
    { C, "\0reload", 7, -1, MILTER_DECODER_ERROR_MISSING_NUL,
      "control command isn't terminated by NULL", 0 },
    { C, "relo", 5, -1, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
      "unexpected command was received: relo", 0 },
    { C, "reloadx", 8, -1, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
      "unexpected command was received: reloadx", 0 },
    { C, "success", 8, -1, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
      "unexpected command was received: success", 0 },
    { R, "reload", 7, -1, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
      "unexpected reply was received: reload", 0 },
    { C, "get-status\0", 11, MILTER_MANAGER_CONTROL_GET_STATUS, 0, NULL, 0 },
    { C, "get-configuration", 18, MILTER_MANAGER_CONTROL_GET_CONFIGURATION, 0, NULL, 0 },
    { C, "get-configuration\0<", 19, -1, MILTER_DECODER_ERROR_TRAILING_GARBAGE,
      "get-configuration takes no payload: 1 bytes", 0 },
    { C, "set-configuration\0<x/>", 22, MILTER_MANAGER_CONTROL_SET_CONFIGURATION, 0, NULL, 4 },
    { C, "stop-child\0a b", 14, MILTER_MANAGER_CONTROL_STOP_CHILD, 0, NULL, 3 },
    { C, "stop-child", 11, -1, MILTER_DECODER_ERROR_SHORT_PAYLOAD,
      "stop-child needs a payload", 0 },
    { R, "success\0", 8, MILTER_MANAGER_CONTROL_REPLY_SUCCESS, 0, NULL, 0 },
    { R, "success\0saved", 13, MILTER_MANAGER_CONTROL_REPLY_SUCCESS, 0, NULL, 5 },
    { R, "error\0why", 9, MILTER_MANAGER_CONTROL_REPLY_ERROR, 0, NULL, 3 },
    { R, "failure", 8, MILTER_MANAGER_CONTROL_REPLY_FAILURE, 0, NULL, 0 },
    { R, "configuration\0<c/>", 18, MILTER_MANAGER_CONTROL_REPLY_CONFIGURATION, 0, NULL, 4 },
    { R, "status\0x", 8, MILTER_MANAGER_CONTROL_REPLY_STATUS, 0, NULL, 1 },
    { C, "\x01\x02\0", 3, -1, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
      "unexpected command was received: ?\\002", 0 },
#undef C
#undef R
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    MilterManagerControlWord word;
    const guint8 *payload = NULL;
    gsize payload_size = 0;
    const guint8 *packet = (const guint8 *) cases[i].packet;
    gboolean ok = milter_manager_control_decode_packet (cases[i].direction, packet[0],
                                                        packet + 1, cases[i].size - 1,
                                                        &word, &payload, &payload_size,
                                                        &error);
    if (cases[i].word < 0) {
      g_assert_false (ok);
      g_assert_error (error, MILTER_DECODER_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    } else {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpint (word, ==, cases[i].word);
      g_assert_cmpuint (payload_size, ==, cases[i].payload_size);
    }
  }
}

static void
test_framing_errors (void)
{
  static const guint8 zero[] = { 0, 0, 0, 0 };
  static const guint8 huge[] = { 0x7f, 0, 0, 0, 'r' };
  static const guint8 cut[] = { 0, 0, 0, 7, 'r', 'e' };
  g_autoptr (GError) error = NULL;
  Decoded decoded;

  decoded_init (&decoded);
  g_autoptr (MilterManagerControlDecoder) decoder =
    milter_manager_control_decoder_new (MILTER_MANAGER_CONTROL_DECODE_COMMANDS, 0);
  g_assert_false (milter_manager_control_decoder_feed (decoder, zero, sizeof (zero), collect,
                                                       &decoded, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_ZERO_LENGTH);
  g_clear_error (&error);
  milter_manager_control_decoder_reset (decoder);
  g_assert_false (milter_manager_control_decoder_feed (decoder, huge, sizeof (huge), collect,
                                                       &decoded, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TOO_LARGE);
  g_clear_error (&error);
  milter_manager_control_decoder_reset (decoder);
  g_assert_true (milter_manager_control_decoder_feed (decoder, cut, sizeof (cut), collect,
                                                      &decoded, &error));
  g_assert_false (milter_manager_control_decoder_finish (decoder, &error));
  g_assert_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TRUNCATED);
  g_assert_cmpuint (decoded.words->len, ==, 0);
  decoded_clear (&decoded);
}

static void
test_word_names (void)
{
  static const gchar *const names[MILTER_MANAGER_CONTROL_N_WORDS] = {
    "set-configuration", "get-configuration", "reload", "get-status", "stop-child",
    "success", "failure", "error", "configuration", "status",
  };
  for (guint i = 0; i < MILTER_MANAGER_CONTROL_N_WORDS; i++) {
    g_assert_cmpstr (milter_manager_control_word_to_string (i), ==, names[i]);
    g_assert_cmpint (milter_manager_control_word_is_command (i), ==, i < 5);
  }
  g_assert_null (milter_manager_control_word_to_string (MILTER_MANAGER_CONTROL_N_WORDS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/control-codec/reload-bytes", test_reload_bytes);
  g_test_add_func ("/manager/control-codec/round-trip", test_round_trip);
  g_test_add_func ("/manager/control-codec/several", test_several);
  g_test_add_func ("/manager/control-codec/decode-packet", test_decode_packet);
  g_test_add_func ("/manager/control-codec/framing-errors", test_framing_errors);
  g_test_add_func ("/manager/control-codec/word-names", test_word_names);
  return g_test_run ();
}

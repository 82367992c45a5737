/*
 * milter-manager-launch-protocol.c - encoder, parser and stream decoder
 * of the launcher pipes. See milter-manager-launch-protocol.h.
 */
#include "config.h"

#include <string.h>

#include <milter/core/milter-packet-writer.h>
#include <milter/core/milter-protocol.h>
#include <milter/manager/milter-manager-launch-protocol.h>

#define WORD_LAUNCH "launch"

static const gchar *const reply_words[] = {
  [MILTER_MANAGER_LAUNCH_REPLY_SUCCESS] = "success",
  [MILTER_MANAGER_LAUNCH_REPLY_ERROR] = "error",
  [MILTER_MANAGER_LAUNCH_REPLY_FAILURE] = "failure",
};

const gchar *
milter_manager_launch_reply_type_to_string (MilterManagerLaunchReplyType type)
{
  if ((guint) type < G_N_ELEMENTS (reply_words))
    return reply_words[type];
  return "unknown";
}

/* WORD NUL then the parts as given (NUL-terminated or not by the caller). */
static void
encode (GByteArray *out, const gchar *word,
        const gchar *first, gsize first_size,
        const gchar *second, gsize second_size)
{
  gsize word_size = strlen (word);
  gsize size = word_size + 1 + first_size + second_size;
  guint8 *p;

  g_return_if_fail (size <= MILTER_MANAGER_LAUNCH_MAX_PACKET_SIZE);
  /* The packet writer counts the first byte as the "type". */
  p = milter_packet_writer_begin (out, (guint8) word[0], size - 1);
  if (!p)
    return;
  p = milter_packet_put_string (p, word + 1, word_size - 1);
  p = milter_packet_put_bytes (p, first, first_size);
  milter_packet_put_bytes (p, second, second_size);
}

void
milter_manager_launch_request_encode (GByteArray *out,
                                      const gchar *command_line,
                                      const gchar *user_name)
{
  g_return_if_fail (command_line && command_line[0]);
  /* The command line keeps its NUL; the user part has none. */
  encode (out, WORD_LAUNCH, command_line, strlen (command_line) + 1,
          user_name ? user_name : "", user_name ? strlen (user_name) : 0);
}

void
milter_manager_launch_reply_encode (GByteArray *out,
                                    MilterManagerLaunchReplyType type,
                                    const gchar *message)
{
  const gchar *word = milter_manager_launch_reply_type_to_string (type);

  g_return_if_fail ((guint) type < G_N_ELEMENTS (reply_words));
  if (type == MILTER_MANAGER_LAUNCH_REPLY_SUCCESS)
    message = NULL;
  encode (out, word, message ? message : "", message ? strlen (message) : 0,
          "", 0);
}

/* The word and where its payload starts. */
static gboolean
split_word (const guint8 *packet, gsize size, const gchar *missing_nul,
            const gchar **word, const guint8 **payload, gsize *payload_size,
            GError **error)
{
  const guint8 *nul = size > 0 ? memchr (packet, '\0', size) : NULL;

  if (!nul) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_MISSING_NUL,
                 "%s", missing_nul);
    return FALSE;
  }
  if (nul == packet) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_INVALID_VALUE,
                 "empty word");
    return FALSE;
  }
  *word = (const gchar *) packet;
  *payload = nul + 1;
  *payload_size = size - (gsize) (nul + 1 - packet);
  return TRUE;
}

/* A string that is not NUL-terminated on the wire; one trailing NUL is
 * tolerated, an inner one refused. */
static gboolean
copy_unterminated (const guint8 *data, gsize size, const gchar *what,
                   gchar **copy, GError **error)
{
  if (size > 0 && data[size - 1] == '\0')
    size--;
  if (size > 0 && memchr (data, '\0', size)) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_INVALID_VALUE,
                 "%s contains a NUL byte", what);
    return FALSE;
  }
  *copy = g_strndup ((const gchar *) data, size);
  return TRUE;
}

gboolean
milter_manager_launch_request_parse (const guint8 *packet,
                                     gsize size,
                                     MilterManagerLaunchRequest *request,
                                     GError **error)
{
  const gchar *word;
  const guint8 *payload;
  const guint8 *nul;
  gsize payload_size;
  gsize command_size;

  memset (request, 0, sizeof (*request));
  if (!split_word (packet, size, "launch command isn't terminated by NULL",
                   &word, &payload, &payload_size, error))
    return FALSE;
  if (!g_str_equal (word, WORD_LAUNCH)) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
                 "unexpected command was received: %s", word);
    return FALSE;
  }
  nul = payload_size > 0 ? memchr (payload, '\0', payload_size) : NULL;
  if (!nul) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_MISSING_NUL,
                 "Command line isn't terminated by NULL on spawn-child command");
    return FALSE;
  }
  if (nul == payload) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_INVALID_VALUE,
                 "empty command line on spawn-child command");
    return FALSE;
  }
  command_size = (gsize) (nul - payload);
  if (command_size + 1 < payload_size &&
      !copy_unterminated (nul + 1, payload_size - command_size - 1,
                          "user name", &request->user_name, error))
    return FALSE;
  /* A user part of one NUL only is no user, as an empty one is. */
  if (request->user_name && !request->user_name[0])
    g_clear_pointer (&request->user_name, g_free);
  request->command_line = g_strndup ((const gchar *) payload, command_size);
  return TRUE;
}

void
milter_manager_launch_request_clear (MilterManagerLaunchRequest *request)
{
  g_clear_pointer (&request->command_line, g_free);
  g_clear_pointer (&request->user_name, g_free);
}

gboolean
milter_manager_launch_reply_parse (const guint8 *packet,
                                   gsize size,
                                   MilterManagerLaunchReply *reply,
                                   GError **error)
{
  const gchar *word;
  const guint8 *payload;
  gsize payload_size;
  guint type;

  memset (reply, 0, sizeof (*reply));
  if (!split_word (packet, size, "reply isn't terminated by NULL",
                   &word, &payload, &payload_size, error))
    return FALSE;
  for (type = 0; type < G_N_ELEMENTS (reply_words); type++)
    if (g_str_equal (word, reply_words[type]))
      break;
  if (type == G_N_ELEMENTS (reply_words)) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
                 "unexpected reply was received: %s", word);
    return FALSE;
  }
  reply->type = (MilterManagerLaunchReplyType) type;
  if (reply->type == MILTER_MANAGER_LAUNCH_REPLY_SUCCESS) {
    if (payload_size > 0) {
      g_set_error (error, MILTER_DECODER_ERROR,
                   MILTER_DECODER_ERROR_TRAILING_GARBAGE,
                   "%" G_GSIZE_FORMAT " bytes after a success reply",
                   payload_size);
      return FALSE;
    }
    return TRUE;
  }
  return copy_unterminated (payload, payload_size, "reply message",
                            &reply->message, error);
}

void
milter_manager_launch_reply_clear (MilterManagerLaunchReply *reply)
{
  g_clear_pointer (&reply->message, g_free);
}

/* ---- stream decoder ------------------------------------------------------- */

struct _MilterManagerLaunchDecoder {
  MilterManagerLaunchDirection direction;
  MilterPacketDecoder *packets;
  MilterManagerLaunchFunc func;
  gpointer user_data;
  /* The whole packet (type byte and payload) of a split feed. */
  GByteArray *packet;
};

MilterManagerLaunchDecoder *
milter_manager_launch_decoder_new (MilterManagerLaunchDirection direction)
{
  MilterManagerLaunchDecoder *decoder = g_new0 (MilterManagerLaunchDecoder, 1);

  decoder->direction = direction;
  decoder->packets =
    milter_packet_decoder_new (MILTER_MANAGER_LAUNCH_MAX_PACKET_SIZE);
  decoder->packet = g_byte_array_new ();
  return decoder;
}

void
milter_manager_launch_decoder_free (MilterManagerLaunchDecoder *decoder)
{
  if (!decoder)
    return;
  milter_packet_decoder_free (decoder->packets);
  g_byte_array_unref (decoder->packet);
  g_free (decoder);
}

static gboolean
on_packet (guint8 type, const guint8 *payload, gsize payload_size,
           gpointer user_data, GError **error)
{
  MilterManagerLaunchDecoder *decoder = user_data;
  gboolean ok;

  /* The word's first byte came as the packet "type": put it back. */
  g_byte_array_set_size (decoder->packet, 0);
  g_byte_array_append (decoder->packet, &type, 1);
  g_byte_array_append (decoder->packet, payload, (guint) payload_size);
  if (decoder->direction == MILTER_MANAGER_LAUNCH_REQUESTS) {
    MilterManagerLaunchRequest request;

    if (!milter_manager_launch_request_parse (decoder->packet->data,
                                              decoder->packet->len,
                                              &request, error))
      return FALSE;
    ok = decoder->func (&request, NULL, decoder->user_data, error);
    milter_manager_launch_request_clear (&request);
  } else {
    MilterManagerLaunchReply reply;

    if (!milter_manager_launch_reply_parse (decoder->packet->data,
                                            decoder->packet->len,
                                            &reply, error))
      return FALSE;
    ok = decoder->func (NULL, &reply, decoder->user_data, error);
    milter_manager_launch_reply_clear (&reply);
  }
  return ok;
}

gboolean
milter_manager_launch_decoder_feed (MilterManagerLaunchDecoder *decoder,
                                    const guint8 *data,
                                    gsize size,
                                    MilterManagerLaunchFunc func,
                                    gpointer user_data,
                                    GError **error)
{
  decoder->func = func;
  decoder->user_data = user_data;
  return milter_packet_decoder_feed (decoder->packets, data, size, on_packet,
                                     decoder, error);
}

gboolean
milter_manager_launch_decoder_finish (MilterManagerLaunchDecoder *decoder,
                                      GError **error)
{
  return milter_packet_decoder_finish (decoder->packets, error);
}

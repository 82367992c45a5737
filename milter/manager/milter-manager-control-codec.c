/*
 * milter-manager-control-codec - the controller's packets, both
 * directions. See milter-manager-control-codec.h.
 */
#include "config.h"

#include <string.h>

#include <milter/core/milter-packet-decoder.h>
#include <milter/manager/milter-manager-control-codec.h>

static const struct {
  const gchar *name;
  gboolean command;
  /* What the payload may be. */
  enum { PAYLOAD_ANY, PAYLOAD_NONE, PAYLOAD_REQUIRED } payload;
} words[MILTER_MANAGER_CONTROL_N_WORDS] = {
  [MILTER_MANAGER_CONTROL_SET_CONFIGURATION] = { "set-configuration", TRUE, PAYLOAD_ANY },
  [MILTER_MANAGER_CONTROL_GET_CONFIGURATION] = { "get-configuration", TRUE, PAYLOAD_NONE },
  [MILTER_MANAGER_CONTROL_RELOAD] = { "reload", TRUE, PAYLOAD_NONE },
  [MILTER_MANAGER_CONTROL_GET_STATUS] = { "get-status", TRUE, PAYLOAD_NONE },
  [MILTER_MANAGER_CONTROL_STOP_CHILD] = { "stop-child", TRUE, PAYLOAD_REQUIRED },
  [MILTER_MANAGER_CONTROL_REPLY_SUCCESS] = { "success", FALSE, PAYLOAD_ANY },
  [MILTER_MANAGER_CONTROL_REPLY_FAILURE] = { "failure", FALSE, PAYLOAD_ANY },
  [MILTER_MANAGER_CONTROL_REPLY_ERROR] = { "error", FALSE, PAYLOAD_ANY },
  [MILTER_MANAGER_CONTROL_REPLY_CONFIGURATION] = { "configuration", FALSE, PAYLOAD_ANY },
  [MILTER_MANAGER_CONTROL_REPLY_STATUS] = { "status", FALSE, PAYLOAD_ANY },
};

const gchar *
milter_manager_control_word_to_string (MilterManagerControlWord word)
{
  if ((guint) word >= MILTER_MANAGER_CONTROL_N_WORDS)
    return NULL;
  return words[word].name;
}

gboolean
milter_manager_control_word_is_command (MilterManagerControlWord word)
{
  return (guint) word < MILTER_MANAGER_CONTROL_N_WORDS && words[word].command;
}

static void
encode (GByteArray *out, MilterManagerControlWord word, const guint8 *payload,
        gsize payload_size)
{
  gsize name_size = strlen (words[word].name) + 1;
  guint32 length = GUINT32_TO_BE ((guint32) (name_size + payload_size));

  g_byte_array_append (out, (const guint8 *) &length, sizeof (length));
  g_byte_array_append (out, (const guint8 *) words[word].name, (guint) name_size);
  if (payload_size > 0)
    g_byte_array_append (out, payload, (guint) payload_size);
}

void
milter_manager_control_encode_command (GByteArray *out, MilterManagerControlWord command,
                                       const guint8 *payload, gsize payload_size)
{
  g_return_if_fail (milter_manager_control_word_is_command (command));
  encode (out, command, payload, payload_size);
}

void
milter_manager_control_encode_reply (GByteArray *out, MilterManagerControlWord reply,
                                     const guint8 *payload, gsize payload_size)
{
  g_return_if_fail ((guint) reply < MILTER_MANAGER_CONTROL_N_WORDS &&
                    !words[reply].command);
  encode (out, reply, payload, payload_size);
}

/* The word of a packet is first, then rest up to its NUL. */
static gboolean
word_matches (const gchar *name, guint8 first, const guint8 *rest, gsize name_rest_size)
{
  gsize length = strlen (name);
  return length == name_rest_size + 1 && (guint8) name[0] == first &&
    memcmp (name + 1, rest, name_rest_size) == 0;
}

gboolean
milter_manager_control_decode_packet (MilterManagerControlDirection direction, guint8 first,
                                      const guint8 *rest, gsize rest_size,
                                      MilterManagerControlWord *word,
                                      const guint8 **payload, gsize *payload_size,
                                      GError **error)
{
  gboolean commands = direction == MILTER_MANAGER_CONTROL_DECODE_COMMANDS;
  const guint8 *nul = first == '\0' ? NULL : memchr (rest, '\0', rest_size);

  if (first == '\0' || !nul) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_MISSING_NUL,
                 commands ? "control command isn't terminated by NULL" :
                 "control reply isn't terminated by NULL");
    return FALSE;
  }
  gsize name_rest_size = (gsize) (nul - rest);
  for (guint i = 0; i < MILTER_MANAGER_CONTROL_N_WORDS; i++) {
    if (words[i].command != commands ||
        !word_matches (words[i].name, first, rest, name_rest_size))
      continue;
    gsize size = rest_size - name_rest_size - 1;
    if (words[i].payload == PAYLOAD_NONE && size > 0) {
      g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TRAILING_GARBAGE,
                   "%s takes no payload: %" G_GSIZE_FORMAT " bytes", words[i].name, size);
      return FALSE;
    }
    if (words[i].payload == PAYLOAD_REQUIRED && size == 0) {
      g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_SHORT_PAYLOAD,
                   "%s needs a payload", words[i].name);
      return FALSE;
    }
    *word = (MilterManagerControlWord) i;
    *payload = nul + 1;
    *payload_size = size;
    return TRUE;
  }
  /* The word may be anything: shown escaped and bounded. */
  g_autofree gchar *name = g_strndup ((const gchar *) rest, MIN (name_rest_size, 63));
  g_autofree gchar *escaped = g_strescape (name, NULL);
  g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_UNKNOWN_TYPE,
               commands ? "unexpected command was received: %c%s" :
               "unexpected reply was received: %c%s",
               g_ascii_isprint (first) ? first : '?', escaped);
  return FALSE;
}

struct _MilterManagerControlDecoder {
  MilterManagerControlDirection direction;
  MilterPacketDecoder *packets;
  MilterManagerControlFunc func;
  gpointer user_data;
};

MilterManagerControlDecoder *
milter_manager_control_decoder_new (MilterManagerControlDirection direction,
                                    gsize max_packet_size)
{
  MilterManagerControlDecoder *decoder = g_new0 (MilterManagerControlDecoder, 1);
  decoder->direction = direction;
  decoder->packets = milter_packet_decoder_new (max_packet_size ? max_packet_size :
                                                MILTER_MANAGER_CONTROL_DEFAULT_MAX_PACKET_SIZE);
  return decoder;
}

void
milter_manager_control_decoder_free (MilterManagerControlDecoder *decoder)
{
  if (!decoder)
    return;
  milter_packet_decoder_free (decoder->packets);
  g_free (decoder);
}

void
milter_manager_control_decoder_reset (MilterManagerControlDecoder *decoder)
{
  milter_packet_decoder_reset (decoder->packets);
}

static gboolean
on_packet (guint8 type, const guint8 *payload, gsize payload_size, gpointer user_data,
           GError **error)
{
  MilterManagerControlDecoder *decoder = user_data;
  MilterManagerControlWord word;
  const guint8 *data;
  gsize size;

  if (!milter_manager_control_decode_packet (decoder->direction, type, payload, payload_size,
                                             &word, &data, &size, error))
    return FALSE;
  return decoder->func (word, data, size, decoder->user_data, error);
}

gboolean
milter_manager_control_decoder_feed (MilterManagerControlDecoder *decoder,
                                     const guint8 *data, gsize size,
                                     MilterManagerControlFunc func, gpointer user_data,
                                     GError **error)
{
  decoder->func = func;
  decoder->user_data = user_data;
  return milter_packet_decoder_feed (decoder->packets, data, size, on_packet, decoder, error);
}

gboolean
milter_manager_control_decoder_finish (MilterManagerControlDecoder *decoder, GError **error)
{
  return milter_packet_decoder_finish (decoder->packets, error);
}

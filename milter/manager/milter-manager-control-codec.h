/*
 * milter-manager-control-codec - the controller's packets (controller.md
 * §2-§4): encoder and decoder for every command and every reply
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-control-codec.h>
 *
 *   GByteArray *out = g_byte_array_new ();
 *   milter_manager_control_encode_command (out, MILTER_MANAGER_CONTROL_RELOAD, NULL, 0);
 *   milter_manager_control_encode_reply (out, MILTER_MANAGER_CONTROL_REPLY_ERROR,
 *                                        (const guint8 *) text, strlen (text));
 *
 *   MilterManagerControlDecoder *decoder =
 *     milter_manager_control_decoder_new (MILTER_MANAGER_CONTROL_DECODE_COMMANDS, 0);
 *   milter_manager_control_decoder_feed (decoder, data, size, func, user_data, &error);
 *   milter_manager_control_decoder_free (decoder);
 *
 * DESCRIPTION
 *   A packet is a big-endian uint32 length, then the word, a NUL and the
 *   payload (raw bytes, no NUL at the end); the length counts word, NUL
 *   and payload. The same framing is used in both directions, with
 *   different words: commands (client to daemon) and replies (daemon to
 *   client). Our codec has both directions for every word (the
 *   original's was asymmetric, §7 #8).
 *
 *   The decoder splits the stream with core's MilterPacketDecoder (same
 *   length framing, same zero-copy rule: a packet that lies whole in the
 *   fed buffer is handed out in place; the payload pointer is valid only
 *   during the callback) and checks each packet with
 *   milter_manager_control_decode_packet(), the pure rule: a known word
 *   of the direction, NUL-terminated, and a payload the word allows
 *   (get-configuration, reload and get-status carry none; stop-child
 *   carries a non-empty milter name). A success reply may carry a note
 *   (set-configuration's "reload to apply"); the original's was always
 *   empty, and an empty one is still what reload sends.
 *
 * DIAGNOSTICS
 *   MILTER_DECODER_ERROR (core's decoder domain): ZERO_LENGTH,
 *   TOO_LARGE, TRUNCATED from the framing; MISSING_NUL ("control
 *   command isn't terminated by NULL"), UNKNOWN_TYPE ("unexpected
 *   command was received: WORD"), TRAILING_GARBAGE (a payload on a word
 *   that takes none), SHORT_PAYLOAD (stop-child without a name). After
 *   an error the decoder must be reset before reuse.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MILTER_MANAGER_CONTROL_SET_CONFIGURATION,
  MILTER_MANAGER_CONTROL_GET_CONFIGURATION,
  MILTER_MANAGER_CONTROL_RELOAD,
  MILTER_MANAGER_CONTROL_GET_STATUS,
  MILTER_MANAGER_CONTROL_STOP_CHILD,
  MILTER_MANAGER_CONTROL_REPLY_SUCCESS,
  MILTER_MANAGER_CONTROL_REPLY_FAILURE,
  MILTER_MANAGER_CONTROL_REPLY_ERROR,
  MILTER_MANAGER_CONTROL_REPLY_CONFIGURATION,
  MILTER_MANAGER_CONTROL_REPLY_STATUS
} MilterManagerControlWord;
#define MILTER_MANAGER_CONTROL_N_WORDS (MILTER_MANAGER_CONTROL_REPLY_STATUS + 1)

typedef enum {
  MILTER_MANAGER_CONTROL_DECODE_COMMANDS,
  MILTER_MANAGER_CONTROL_DECODE_REPLIES
} MilterManagerControlDirection;

/* The largest packet (length field) decoded: a custom configuration. */
#define MILTER_MANAGER_CONTROL_DEFAULT_MAX_PACKET_SIZE (4 * 1024 * 1024)

/* "reload", "success", ...; NULL for a value out of range. */
const gchar *milter_manager_control_word_to_string (MilterManagerControlWord word);
gboolean milter_manager_control_word_is_command (MilterManagerControlWord word);

/* Appends one packet to out (one reply group: append several, write
 * once). A command word with encode_reply (or the reverse) is a
 * programming error (g_return_if_fail). */
void milter_manager_control_encode_command (GByteArray *out,
                                            MilterManagerControlWord command,
                                            const guint8 *payload,
                                            gsize payload_size);
void milter_manager_control_encode_reply (GByteArray *out,
                                          MilterManagerControlWord reply,
                                          const guint8 *payload,
                                          gsize payload_size);

/* The rule for one framed packet: first is its first byte, rest the
 * remaining length - 1 bytes (MilterPacketDecoder's split). On success
 * *payload points into rest. */
gboolean milter_manager_control_decode_packet (MilterManagerControlDirection direction,
                                               guint8 first,
                                               const guint8 *rest,
                                               gsize rest_size,
                                               MilterManagerControlWord *word,
                                               const guint8 **payload,
                                               gsize *payload_size,
                                               GError **error);

typedef struct _MilterManagerControlDecoder MilterManagerControlDecoder;
/* Called once per packet; FALSE (with error set) stops decoding. */
typedef gboolean (*MilterManagerControlFunc) (MilterManagerControlWord word,
                                              const guint8 *payload,
                                              gsize payload_size,
                                              gpointer user_data,
                                              GError **error);

/* max_packet_size 0: MILTER_MANAGER_CONTROL_DEFAULT_MAX_PACKET_SIZE. */
MilterManagerControlDecoder *
milter_manager_control_decoder_new (MilterManagerControlDirection direction,
                                    gsize max_packet_size);
void milter_manager_control_decoder_free (MilterManagerControlDecoder *decoder);
void milter_manager_control_decoder_reset (MilterManagerControlDecoder *decoder);
gboolean milter_manager_control_decoder_feed (MilterManagerControlDecoder *decoder,
                                              const guint8 *data,
                                              gsize size,
                                              MilterManagerControlFunc func,
                                              gpointer user_data,
                                              GError **error);
/* End of input: fails if the stream stopped inside a packet. */
gboolean milter_manager_control_decoder_finish (MilterManagerControlDecoder *decoder,
                                                GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerControlDecoder, milter_manager_control_decoder_free)

G_END_DECLS

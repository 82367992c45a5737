/*
 * milter-packet-decoder - split a byte stream into milter packets
 *
 * SYNOPSIS
 *   MilterPacketDecoder *milter_packet_decoder_new (gsize max_packet_size);
 *   gboolean milter_packet_decoder_feed (decoder, data, size, func, user_data, &error);
 *   gboolean milter_packet_decoder_finish (decoder, &error);
 *
 * DESCRIPTION
 *   The framing layer under the command and reply decoders. It is fed bytes
 *   as they arrive, in any split, and calls func once per complete packet
 *   with the packet's type byte and payload. A packet that lies whole in the
 *   fed buffer is passed in place (no copy: body chunks cost nothing);
 *   only a packet split across feeds is gathered in a reused internal
 *   buffer, grown at most to the configured maximum.
 *
 *   The payload pointer is valid only during the callback. The callback
 *   must not free or reset the decoder.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_DECODER_ERROR and name the byte offset in the
 *   stream: a zero length, a length over the maximum, a stream that ends
 *   inside a packet. After an error the decoder must be reset before reuse.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MILTER_DECODER_ERROR (milter_decoder_error_quark ())
GQuark milter_decoder_error_quark (void);

typedef enum {
  MILTER_DECODER_ERROR_ZERO_LENGTH,
  MILTER_DECODER_ERROR_TOO_LARGE,
  MILTER_DECODER_ERROR_TRUNCATED,
  MILTER_DECODER_ERROR_UNKNOWN_TYPE,
  MILTER_DECODER_ERROR_SHORT_PAYLOAD,
  MILTER_DECODER_ERROR_MISSING_NUL,
  MILTER_DECODER_ERROR_TRAILING_GARBAGE,
  MILTER_DECODER_ERROR_INVALID_VALUE,
  MILTER_DECODER_ERROR_FAILED
} MilterDecoderError;

typedef struct _MilterPacketDecoder MilterPacketDecoder;

/* Called once per packet. Returning FALSE (with error set) stops decoding
 * and makes milter_packet_decoder_feed() fail with that error. */
typedef gboolean (*MilterPacketFunc) (guint8 type,
                                      const guint8 *payload,
                                      gsize payload_size,
                                      gpointer user_data,
                                      GError **error);

/* max_packet_size counts the type byte and payload, as the length field
 * does; 0 means MILTER_DEFAULT_MAX_PACKET_SIZE. */
MilterPacketDecoder *milter_packet_decoder_new (gsize max_packet_size);
void milter_packet_decoder_free (MilterPacketDecoder *decoder);
void milter_packet_decoder_reset (MilterPacketDecoder *decoder);
void milter_packet_decoder_set_max_packet_size (MilterPacketDecoder *decoder,
                                                gsize max_packet_size);
gsize milter_packet_decoder_get_max_packet_size (MilterPacketDecoder *decoder);

gboolean milter_packet_decoder_feed (MilterPacketDecoder *decoder,
                                     const guint8 *data,
                                     gsize size,
                                     MilterPacketFunc func,
                                     gpointer user_data,
                                     GError **error);
/* End of input: fails if the stream stopped inside a packet. */
gboolean milter_packet_decoder_finish (MilterPacketDecoder *decoder,
                                       GError **error);
/* Bytes consumed since creation or the last reset. */
guint64 milter_packet_decoder_get_offset (MilterPacketDecoder *decoder);
/* Offset of the first byte of the packet being decoded or last decoded. */
guint64 milter_packet_decoder_get_packet_offset (MilterPacketDecoder *decoder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterPacketDecoder, milter_packet_decoder_free)

G_END_DECLS

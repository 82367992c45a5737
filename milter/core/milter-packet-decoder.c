/*
 * milter-packet-decoder - split a byte stream into milter packets
 *
 * The decoder is a two-state machine: gathering the 4-byte length, then
 * gathering the packet body. The fast path hands out packets that sit
 * whole in the caller's buffer without touching them.
 */
#include "config.h"

#include <string.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-packet-decoder.h>
#include <milter/core/milter-byte-array-private.h>

G_DEFINE_QUARK (milter-decoder-error-quark, milter_decoder_error)

struct _MilterPacketDecoder {
  gsize max_packet_size;
  /* Partial length field and its fill level. */
  guint8 length_bytes[MILTER_PACKET_HEADER_SIZE];
  guint length_filled;
  /* Length of the packet being gathered, 0 while reading the length. */
  guint32 packet_size;
  /* Gathered bytes of a packet split across feeds; reused. */
  GByteArray *pending;
  gsize pending_peak;       /* the most pending held (for reset) */
  guint64 offset;
  guint64 packet_offset;
};

MilterPacketDecoder *
milter_packet_decoder_new (gsize max_packet_size)
{
  MilterPacketDecoder *decoder = g_new0 (MilterPacketDecoder, 1);

  decoder->pending = g_byte_array_new ();
  milter_packet_decoder_set_max_packet_size (decoder, max_packet_size);
  return decoder;
}

void
milter_packet_decoder_free (MilterPacketDecoder *decoder)
{
  if (!decoder)
    return;
  g_byte_array_unref (decoder->pending);
  g_free (decoder);
}

void
milter_packet_decoder_reset (MilterPacketDecoder *decoder)
{
  decoder->length_filled = 0;
  decoder->packet_size = 0;
  /* After an error or for a reused context: a big packet's memory goes. */
  _milter_byte_array_reuse (decoder->pending, &decoder->pending_peak);
  decoder->offset = 0;
  decoder->packet_offset = 0;
}

void
milter_packet_decoder_set_max_packet_size (MilterPacketDecoder *decoder,
                                           gsize max_packet_size)
{
  decoder->max_packet_size =
    max_packet_size > 0 ? max_packet_size : MILTER_DEFAULT_MAX_PACKET_SIZE;
}

gsize
milter_packet_decoder_get_max_packet_size (MilterPacketDecoder *decoder)
{
  return decoder->max_packet_size;
}

guint64
milter_packet_decoder_get_offset (MilterPacketDecoder *decoder)
{
  return decoder->offset;
}

guint64
milter_packet_decoder_get_packet_offset (MilterPacketDecoder *decoder)
{
  return decoder->packet_offset;
}

static gboolean
check_length (MilterPacketDecoder *decoder, guint32 length, GError **error)
{
  if (length == 0) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_ZERO_LENGTH,
                 "packet length is 0 at byte offset %" G_GUINT64_FORMAT,
                 decoder->packet_offset);
    return FALSE;
  }
  if (length > decoder->max_packet_size) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TOO_LARGE,
                 "packet length %u exceeds the maximum %" G_GSIZE_FORMAT
                 " at byte offset %" G_GUINT64_FORMAT,
                 length, decoder->max_packet_size, decoder->packet_offset);
    return FALSE;
  }
  return TRUE;
}

static gboolean
emit (MilterPacketDecoder *decoder, const guint8 *packet, guint32 size,
      MilterPacketFunc func, gpointer user_data, GError **error)
{
  gboolean ok = func (packet[0], packet + 1, size - 1, user_data, error);

  if (!ok && error && !*error)
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_FAILED,
                 "packet handler failed at byte offset %" G_GUINT64_FORMAT,
                 decoder->packet_offset);
  return ok;
}

gboolean
milter_packet_decoder_feed (MilterPacketDecoder *decoder,
                            const guint8 *data,
                            gsize size,
                            MilterPacketFunc func,
                            gpointer user_data,
                            GError **error)
{
  const guint8 *end = data + size;

  while (data < end) {
    gsize available = (gsize) (end - data);

    if (decoder->packet_size == 0) {
      guint32 length;

      if (decoder->length_filled == 0)
        decoder->packet_offset = decoder->offset;
      /* Fast path: length and whole packet in this buffer, nothing pending. */
      if (decoder->length_filled == 0 && available >= MILTER_PACKET_HEADER_SIZE) {
        length = ((guint32) data[0] << 24) | ((guint32) data[1] << 16) |
                 ((guint32) data[2] << 8) | (guint32) data[3];
        if (!check_length (decoder, length, error))
          return FALSE;
        if (available - MILTER_PACKET_HEADER_SIZE >= length) {
          decoder->offset += MILTER_PACKET_HEADER_SIZE + length;
          if (!emit (decoder, data + MILTER_PACKET_HEADER_SIZE, length,
                     func, user_data, error))
            return FALSE;
          data += MILTER_PACKET_HEADER_SIZE + length;
          continue;
        }
        decoder->packet_size = length;
        data += MILTER_PACKET_HEADER_SIZE;
        decoder->offset += MILTER_PACKET_HEADER_SIZE;
        g_byte_array_set_size (decoder->pending, 0);
        continue;
      }
      /* Slow path: the length field itself is split. */
      {
        guint want = MILTER_PACKET_HEADER_SIZE - decoder->length_filled;
        guint take = available < want ? (guint) available : want;

        memcpy (decoder->length_bytes + decoder->length_filled, data, take);
        decoder->length_filled += take;
        decoder->offset += take;
        data += take;
        if (decoder->length_filled < MILTER_PACKET_HEADER_SIZE)
          break;
        length = ((guint32) decoder->length_bytes[0] << 24) |
                 ((guint32) decoder->length_bytes[1] << 16) |
                 ((guint32) decoder->length_bytes[2] << 8) |
                 (guint32) decoder->length_bytes[3];
        decoder->length_filled = 0;
        if (!check_length (decoder, length, error))
          return FALSE;
        decoder->packet_size = length;
        g_byte_array_set_size (decoder->pending, 0);
      }
    } else {
      gsize want = decoder->packet_size - decoder->pending->len;
      gsize take = available < want ? available : want;

      g_byte_array_append (decoder->pending, data, (guint) take);
      decoder->pending_peak = MAX (decoder->pending_peak, decoder->pending->len);
      data += take;
      decoder->offset += take;
      if (decoder->pending->len == decoder->packet_size) {
        guint32 packet_size = decoder->packet_size;

        decoder->packet_size = 0;
        if (!emit (decoder, decoder->pending->data, packet_size,
                   func, user_data, error))
          return FALSE;
        g_byte_array_set_size (decoder->pending, 0);
      }
    }
  }
  return TRUE;
}

gboolean
milter_packet_decoder_finish (MilterPacketDecoder *decoder, GError **error)
{
  if (decoder->length_filled > 0 || decoder->packet_size > 0) {
    g_set_error (error, MILTER_DECODER_ERROR, MILTER_DECODER_ERROR_TRUNCATED,
                 "input ended inside the packet starting at byte offset %"
                 G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " bytes short)",
                 decoder->packet_offset,
                 decoder->length_filled > 0
                   ? (guint64) (MILTER_PACKET_HEADER_SIZE - decoder->length_filled)
                   : (guint64) (decoder->packet_size - decoder->pending->len));
    return FALSE;
  }
  return TRUE;
}

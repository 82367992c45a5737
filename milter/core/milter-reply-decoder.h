/*
 * milter-reply-decoder - decode the replies a milter sends to the MTA
 *
 * SYNOPSIS
 *   MilterReplyDecoder *milter_reply_decoder_new (gsize max_packet_size);
 *   void milter_reply_decoder_free (MilterReplyDecoder *decoder);
 *   void milter_reply_decoder_reset (MilterReplyDecoder *decoder);
 *   gboolean milter_reply_decoder_feed (decoder, data, size, func, user_data, &error);
 *   gboolean milter_reply_decoder_finish (decoder, &error);
 *   gboolean milter_reply_parse (type, payload, payload_size, offset,
 *                                macro_lists, &reply, &error);
 *
 * DESCRIPTION
 *   The decoder is fed the byte stream read from a milter, in any split,
 *   and calls func once per reply with a MilterReply that points into the
 *   packet (see milter-reply.h: valid only during the call). Framing is
 *   MilterPacketDecoder's; this module checks each payload's layout for
 *   protocol versions 2 to 6. It checks layout only, not meaning: whether a
 *   reply is allowed now, whether flags were negotiated and whether
 *   reply-code text is valid SMTP (milter-reply-code.h) are the caller's.
 *
 *   milter_reply_parse() decodes one payload without framing. The
 *   per-stage macro lists of a negotiate reply are stored in macro_lists,
 *   a GArray of MilterReplyMacroList that the caller reuses; the decoder
 *   keeps one, so after the first negotiate reply it allocates nothing per
 *   packet.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_DECODER_ERROR (codes in milter-packet-decoder.h)
 *   and name the reply and the byte offset of its packet in the stream:
 *   UNKNOWN_TYPE for an unknown reply byte, SHORT_PAYLOAD for a negotiate
 *   reply under 12 bytes or a header reply without its index, MISSING_NUL
 *   for a string without its NUL, TRAILING_GARBAGE for bytes after the
 *   last field (including a macro-list entry shorter than its 4-byte
 *   stage), INVALID_VALUE for a macro stage above 6. Framing errors are the
 *   packet decoder's. After an error, reset the decoder before reuse.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-packet-decoder.h>
#include <milter/core/milter-reply.h>

G_BEGIN_DECLS

typedef struct _MilterReplyDecoder MilterReplyDecoder;

/* Called once per reply. Returning FALSE (with error set) stops decoding
 * and makes milter_reply_decoder_feed() fail with that error. */
typedef gboolean (*MilterReplyFunc) (const MilterReply *reply,
                                     gpointer user_data,
                                     GError **error);

/* max_packet_size: as for milter_packet_decoder_new(); 0 = default. */
MilterReplyDecoder *milter_reply_decoder_new (gsize max_packet_size);
void milter_reply_decoder_free (MilterReplyDecoder *decoder);
void milter_reply_decoder_reset (MilterReplyDecoder *decoder);

gboolean milter_reply_decoder_feed (MilterReplyDecoder *decoder,
                                    const guint8 *data,
                                    gsize size,
                                    MilterReplyFunc func,
                                    gpointer user_data,
                                    GError **error);
/* End of input: fails if the stream stopped inside a packet. */
gboolean milter_reply_decoder_finish (MilterReplyDecoder *decoder,
                                      GError **error);

/**
 * milter_reply_parse:
 * @type: the packet's type byte
 * @payload: the bytes after the type byte
 * @payload_size: their number
 * @offset: byte offset of the packet in its stream, for error messages
 * @macro_lists: a GArray of MilterReplyMacroList, emptied and refilled for
 *   a negotiate reply, untouched otherwise
 * @reply: (out): the reply, pointing into @payload and @macro_lists
 * @error: return location for an error in MILTER_DECODER_ERROR
 *
 * Returns: TRUE if @payload is a well-formed reply of @type.
 */
gboolean milter_reply_parse (guint8 type,
                             const guint8 *payload,
                             gsize payload_size,
                             guint64 offset,
                             GArray *macro_lists,
                             MilterReply *reply,
                             GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterReplyDecoder, milter_reply_decoder_free)

G_END_DECLS

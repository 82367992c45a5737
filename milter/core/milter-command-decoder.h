/*
 * milter-command-decoder - decode the MTA-to-milter command stream
 *
 * SYNOPSIS
 *   #include <milter/core/milter-command-decoder.h>
 *
 *   MilterCommandDecoder *milter_command_decoder_new (gsize max_packet_size);
 *   void milter_command_decoder_free (MilterCommandDecoder *decoder);
 *   void milter_command_decoder_reset (MilterCommandDecoder *decoder);
 *   gboolean milter_command_decoder_feed (decoder, data, size, func, user_data, &error);
 *   gboolean milter_command_decoder_finish (decoder, &error);
 *   gboolean milter_command_decoder_parse (decoder, type, payload, size, &command, &error);
 *
 * DESCRIPTION
 *   Wraps a MilterPacketDecoder: bytes are fed in any split, and func is
 *   called once per complete command with a MilterCommand that points into
 *   the packet (zero copy; valid only during the call). Argument vectors
 *   and macro name/value arrays are arrays owned by the decoder and reused,
 *   so after the first packets of a kind nothing is allocated per packet.
 *
 *   milter_command_decoder_parse() checks and parses one payload without
 *   framing; it uses (and overwrites) the same reused arrays, so a command
 *   it fills is valid until the next parse or feed on that decoder and as
 *   long as payload lives.
 *
 *   Trailing bytes are judged as Sendmail's libmilter judges them, so that
 *   what an MTA can send a libmilter milter it can send ours: negotiate
 *   reads its 12 bytes, connect with family 'U', unknown, data,
 *   end-of-header, abort and the quits read nothing past their fields,
 *   an envelope drops bytes after its last NUL, and helo, header and
 *   connect's address accept trailing bytes that end with a NUL.
 *
 *   The callback may not free or reset the decoder. Returning FALSE stops
 *   decoding; feed then fails with the callback's error (or a
 *   MILTER_DECODER_ERROR_FAILED one if it set none).
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_DECODER_ERROR (see milter-packet-decoder.h). The
 *   message names the command and the stream byte offset at which its
 *   packet starts, e.g. "helo: string without terminating NUL in packet at
 *   byte offset 17 (payload byte 0)". Codes: UNKNOWN_TYPE (command byte),
 *   SHORT_PAYLOAD (a field is missing), MISSING_NUL (a string runs to the
 *   end of the packet), TRAILING_GARBAGE (bytes after helo's fqdn,
 *   header's value or connect's address that do not end with a NUL),
 *   INVALID_VALUE (family byte, define-macro stage byte or odd number of
 *   strings); framing errors come from the packet decoder. For parse()
 *   outside feed, offsets are those of the last fed packet (0 after new or
 *   reset). After an error the decoder must be reset before reuse.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-packet-decoder.h>
#include <milter/core/milter-command.h>

G_BEGIN_DECLS

typedef struct _MilterCommandDecoder MilterCommandDecoder;

typedef gboolean (*MilterCommandFunc) (const MilterCommand *command,
                                       gpointer user_data,
                                       GError **error);

/* max_packet_size as for milter_packet_decoder_new(): 0 means default. */
MilterCommandDecoder *milter_command_decoder_new (gsize max_packet_size);
void milter_command_decoder_free (MilterCommandDecoder *decoder);
void milter_command_decoder_reset (MilterCommandDecoder *decoder);

gboolean milter_command_decoder_feed (MilterCommandDecoder *decoder,
                                      const guint8 *data,
                                      gsize size,
                                      MilterCommandFunc func,
                                      gpointer user_data,
                                      GError **error);
/* End of input: fails if the stream stopped inside a packet. */
gboolean milter_command_decoder_finish (MilterCommandDecoder *decoder,
                                        GError **error);

gboolean milter_command_decoder_parse (MilterCommandDecoder *decoder,
                                       guint8 type,
                                       const guint8 *payload,
                                       gsize size,
                                       MilterCommand *command,
                                       GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterCommandDecoder, milter_command_decoder_free)

G_END_DECLS

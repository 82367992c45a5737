/*
 * fuzz-launch-decoder - libFuzzer target for milter-manager-launch-protocol
 *
 * SYNOPSIS
 *   int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
 *
 * DESCRIPTION
 *   The first input byte picks the direction (even: launch requests as
 *   the process launcher reads them, odd: replies as the daemon reads
 *   them); the rest is the pipe's stream, fed in two pieces split at a
 *   point derived from the input. Every decoded request or reply is
 *   encoded again and parsed again: the result must be the same values
 *   (and, for requests, re-encode to the same bytes).
 *
 * DIAGNOSTICS
 *   abort() on any mismatch; sanitizers report memory errors. Decoding
 *   errors are expected and ignored.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <milter/manager/milter-manager-launch-protocol.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
check (const MilterManagerLaunchRequest *request,
       const MilterManagerLaunchReply *reply,
       gpointer user_data, GError **error)
{
  g_autoptr (GByteArray) encoded = g_byte_array_new ();
  g_autoptr (GByteArray) again = g_byte_array_new ();

  (void) user_data;
  (void) error;
  if (request) {
    MilterManagerLaunchRequest decoded;

    if (!request->command_line || !request->command_line[0])
      abort ();
    milter_manager_launch_request_encode (encoded, request->command_line,
                                          request->user_name);
    if (!milter_manager_launch_request_parse (encoded->data + 4, encoded->len - 4,
                                              &decoded, NULL))
      abort ();
    if (strcmp (decoded.command_line, request->command_line) != 0 ||
        g_strcmp0 (decoded.user_name, request->user_name) != 0)
      abort ();
    milter_manager_launch_request_encode (again, decoded.command_line,
                                          decoded.user_name);
    milter_manager_launch_request_clear (&decoded);
    if (again->len != encoded->len || memcmp (again->data, encoded->data, again->len) != 0)
      abort ();
  } else {
    MilterManagerLaunchReply decoded;

    milter_manager_launch_reply_encode (encoded, reply->type, reply->message);
    if (!milter_manager_launch_reply_parse (encoded->data + 4, encoded->len - 4,
                                            &decoded, NULL))
      abort ();
    if (decoded.type != reply->type ||
        (reply->type != MILTER_MANAGER_LAUNCH_REPLY_SUCCESS &&
         g_strcmp0 (decoded.message, reply->message) != 0))
      abort ();
    milter_manager_launch_reply_clear (&decoded);
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (MilterManagerLaunchDecoder) decoder = NULL;
  size_t cut;

  if (size == 0)
    return 0;
  decoder = milter_manager_launch_decoder_new (data[0] % 2 == 0 ?
                                               MILTER_MANAGER_LAUNCH_REQUESTS :
                                               MILTER_MANAGER_LAUNCH_REPLIES);
  data++;
  size--;
  cut = size > 0 ? (data[size - 1] * 131u) % (size + 1) : 0;
  if (!milter_manager_launch_decoder_feed (decoder, data, cut, check, NULL, NULL))
    return 0;
  if (!milter_manager_launch_decoder_feed (decoder, data + cut, size - cut,
                                           check, NULL, NULL))
    return 0;
  milter_manager_launch_decoder_finish (decoder, NULL);
  return 0;
}

/*
 * fuzz-reply-decoder - libFuzzer target for milter-reply-decoder
 *
 * SYNOPSIS
 *   int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
 *
 * DESCRIPTION
 *   Feeds the input, as a stream of replies from a milter, into a reply
 *   decoder (max packet size 70000) in up to four pieces whose boundaries
 *   are derived from the input itself, so the fuzzer explores splits too.
 *   Every decoded reply is re-encoded and re-decoded; the second decoding
 *   must describe the same reply and re-encode to the same bytes. The text
 *   of a reply-code reply also goes through milter_reply_code_parse() and,
 *   when it parses, through format and parse again.
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

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-packet-decoder.h>
#include <milter/core/milter-reply.h>
#include <milter/core/milter-reply-code.h>
#include <milter/core/milter-reply-decoder.h>
#include <milter/core/milter-reply-encoder.h>

#define FUZZ_MAX_PACKET_SIZE 70000

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
  GByteArray *encoded;
  GByteArray *again;
  GArray *macro_lists;
} FuzzState;

static void
check_reply_code (const gchar *text)
{
  g_autoptr (MilterReplyCode) first = milter_reply_code_parse (text, NULL);
  g_autoptr (MilterReplyCode) second = NULL;
  g_autofree gchar *formatted = NULL;
  g_autofree gchar *reformatted = NULL;

  if (!first)
    return;
  if (first->code < 400 || first->code > 599 || !first->lines || !first->lines[0])
    abort ();
  formatted = milter_reply_code_format (first->code, first->extended_code,
                                        (const gchar * const *) first->lines,
                                        NULL);
  if (!formatted)
    abort ();
  /* A line of text that itself starts like "5.7.1 " would be read back as
   * an enhanced code; so compare formatted texts, which are canonical. */
  second = milter_reply_code_parse (formatted, NULL);
  if (!second)
    abort ();
  reformatted = milter_reply_code_format (second->code, second->extended_code,
                                          (const gchar * const *) second->lines,
                                          NULL);
  if (!reformatted || strcmp (formatted, reformatted) != 0)
    abort ();
}

static gboolean
on_reply (const MilterReply *reply, gpointer user_data, GError **error)
{
  FuzzState *state = user_data;
  g_autofree gchar *description = milter_reply_to_string (reply);
  g_autofree gchar *description_again = NULL;
  MilterReply decoded;
  guint32 length;

  (void) error;
  g_byte_array_set_size (state->encoded, 0);
  milter_reply_encode (state->encoded, reply);
  if (state->encoded->len < MILTER_PACKET_HEADER_SIZE + 1)
    abort ();
  length = ((guint32) state->encoded->data[0] << 24) |
           ((guint32) state->encoded->data[1] << 16) |
           ((guint32) state->encoded->data[2] << 8) |
           (guint32) state->encoded->data[3];
  if (length != state->encoded->len - MILTER_PACKET_HEADER_SIZE)
    abort ();
  if (!milter_reply_parse (state->encoded->data[4], state->encoded->data + 5,
                           state->encoded->len - 5, 0, state->macro_lists,
                           &decoded, NULL))
    abort ();
  description_again = milter_reply_to_string (&decoded);
  if (strcmp (description, description_again) != 0)
    abort ();
  g_byte_array_set_size (state->again, 0);
  milter_reply_encode (state->again, &decoded);
  if (state->again->len != state->encoded->len ||
      memcmp (state->again->data, state->encoded->data, state->again->len) != 0)
    abort ();
  if (reply->type == MILTER_REPLY_REPLY_CODE)
    check_reply_code (reply->reply_code.text);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static FuzzState state;
  g_autoptr (MilterReplyDecoder) decoder = NULL;
  size_t cuts[4];
  size_t n_cuts = 0;
  size_t start = 0;
  size_t i;
  guint32 hash = 2166136261u;

  if (!state.encoded) {
    state.encoded = g_byte_array_new ();
    state.again = g_byte_array_new ();
    state.macro_lists = g_array_new (FALSE, FALSE, sizeof (MilterReplyMacroList));
  }

  /* Split points from a hash of the input: any change moves them. */
  for (i = 0; i < size; i++) {
    hash ^= data[i];
    hash *= 16777619u;
  }
  if (size > 0) {
    n_cuts = hash % 4;
    for (i = 0; i < n_cuts; i++) {
      hash = hash * 1103515245u + 12345u;
      cuts[i] = (hash >> 8) % (size + 1);
    }
    /* Sort the few cut points. */
    for (i = 1; i < n_cuts; i++) {
      size_t j = i;

      while (j > 0 && cuts[j - 1] > cuts[j]) {
        size_t swap = cuts[j];

        cuts[j] = cuts[j - 1];
        cuts[j - 1] = swap;
        j--;
      }
    }
  }

  decoder = milter_reply_decoder_new (FUZZ_MAX_PACKET_SIZE);
  for (i = 0; i <= n_cuts; i++) {
    size_t end = i < n_cuts ? cuts[i] : size;

    if (!milter_reply_decoder_feed (decoder, data + start, end - start,
                                    on_reply, &state, NULL))
      return 0;
    start = end;
  }
  milter_reply_decoder_finish (decoder, NULL);
  return 0;
}

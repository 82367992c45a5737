/*
 * fuzz-control-decoder - libFuzzer target for the controller's codec
 * (milter/manager/milter-manager-control-codec.c)
 *
 * SYNOPSIS
 *   int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
 *
 * DESCRIPTION
 *   The first byte chooses the direction (commands or replies); the rest
 *   is fed to a control decoder (max packet size 70000) in up to four
 *   pieces whose boundaries come from the input itself. Every decoded
 *   packet is re-encoded and decoded again: same word, same payload, and
 *   the re-encoding is the packet's own bytes (there is one encoding).
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

#include <milter/manager/milter-manager-control-codec.h>

#define FUZZ_MAX_PACKET_SIZE 70000

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
  MilterManagerControlDirection direction;
  GByteArray *encoded;
  MilterManagerControlWord word;
  const guint8 *payload;
  gsize payload_size;
  gboolean seen;
} FuzzState;

static gboolean
on_again (MilterManagerControlWord word, const guint8 *payload, gsize size, gpointer user_data,
          GError **error)
{
  FuzzState *state = user_data;
  (void) error;
  if (state->seen || word != state->word || size != state->payload_size ||
      (size > 0 && memcmp (payload, state->payload, size) != 0))
    abort ();
  state->seen = TRUE;
  return TRUE;
}

static gboolean
on_packet (MilterManagerControlWord word, const guint8 *payload, gsize size, gpointer user_data,
           GError **error)
{
  FuzzState *state = user_data;
  gboolean command = milter_manager_control_word_is_command (word);

  (void) error;
  if (command != (state->direction == MILTER_MANAGER_CONTROL_DECODE_COMMANDS) ||
      !milter_manager_control_word_to_string (word))
    abort ();
  g_byte_array_set_size (state->encoded, 0);
  if (command)
    milter_manager_control_encode_command (state->encoded, word, payload, size);
  else
    milter_manager_control_encode_reply (state->encoded, word, payload, size);
  g_autoptr (MilterManagerControlDecoder) again =
    milter_manager_control_decoder_new (state->direction, FUZZ_MAX_PACKET_SIZE);
  state->word = word;
  state->payload = payload;
  state->payload_size = size;
  state->seen = FALSE;
  if (!milter_manager_control_decoder_feed (again, state->encoded->data, state->encoded->len,
                                            on_again, state, NULL) ||
      !milter_manager_control_decoder_finish (again, NULL) || !state->seen)
    abort ();
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static GByteArray *encoded;
  FuzzState state;
  size_t cuts[4];
  size_t n_cuts = 0;
  size_t start = 0;
  guint32 hash = 2166136261u;

  if (size < 1)
    return 0;
  if (!encoded)
    encoded = g_byte_array_new ();
  state.direction = (data[0] & 1) ? MILTER_MANAGER_CONTROL_DECODE_REPLIES :
    MILTER_MANAGER_CONTROL_DECODE_COMMANDS;
  state.encoded = encoded;
  data++;
  size--;
  for (size_t i = 0; i < size; i++) {
    hash ^= data[i];
    hash *= 16777619u;
  }
  if (size > 0) {
    n_cuts = hash % 4;
    for (size_t i = 0; i < n_cuts; i++) {
      hash = hash * 1103515245u + 12345u;
      cuts[i] = (hash >> 8) % (size + 1);
    }
    for (size_t i = 1; i < n_cuts; i++) {
      for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
        size_t t = cuts[j];
        cuts[j] = cuts[j - 1];
        cuts[j - 1] = t;
      }
    }
  }
  g_autoptr (MilterManagerControlDecoder) decoder =
    milter_manager_control_decoder_new (state.direction, FUZZ_MAX_PACKET_SIZE);
  for (size_t i = 0; i <= n_cuts; i++) {
    size_t end = i < n_cuts ? cuts[i] : size;
    if (!milter_manager_control_decoder_feed (decoder, data + start, end - start, on_packet,
                                              &state, NULL))
      return 0;
    start = end;
  }
  milter_manager_control_decoder_finish (decoder, NULL);
  return 0;
}

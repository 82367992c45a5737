/*
 * fuzz-command-decoder - libFuzzer target for the command decoder
 *
 * SYNOPSIS
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -IBUILDDIR \
 *     $(pkg-config --cflags glib-2.0) test/fuzz/fuzz-command-decoder.c \
 *     milter/core/milter-protocol.c milter/core/milter-packet-decoder.c \
 *     milter/core/milter-command*.c $(pkg-config --libs glib-2.0)
 *
 * DESCRIPTION
 *   The input is an MTA-to-milter byte stream. It is decoded whole, in
 *   pieces whose sizes come from a hash of the input, and (for inputs up to
 *   4 KiB) one byte at a time; the three transcripts (one line per command
 *   from milter_command_to_string(), then the error if any) must be equal.
 *   Every decoded command is re-encoded and the encoding decoded again: it
 *   must decode without error to the same command (a body longer than one
 *   chunk to chunks that carry the same bytes).
 *
 * DIAGNOSTICS
 *   abort() on any mismatch; GLib criticals and warnings are made fatal so
 *   a g_return_if_fail hit by decoded input is a finding too.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-packet-decoder.h>
#include <milter/core/milter-command.h>
#include <milter/core/milter-command-decoder.h>
#include <milter/core/milter-command-encoder.h>

#define FUZZ_MAX_PACKET_SIZE 70000
#define FUZZ_BYTEWISE_LIMIT 4096

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
  MilterCommandDecoder *decoder;
  MilterCommandDecoder *redecoder;
  GByteArray *encoded;
  GByteArray *body;
  GString *transcript;
  /* Of the command being checked. */
  const gchar *expected;
  guint n_redecoded;
} Fuzz;

static Fuzz fuzz;

static void
fail (const gchar *what, const gchar *expected, const gchar *actual)
{
  fprintf (stderr, "fuzz-command-decoder: %s\n  expected: %s\n  actual:   %s\n",
           what, expected ? expected : "(none)", actual ? actual : "(none)");
  abort ();
}

static gboolean
on_redecoded (const MilterCommand *command, gpointer user_data, GError **error)
{
  fuzz.n_redecoded++;
  if (command->type == MILTER_COMMAND_BODY) {
    if (command->body.size > MILTER_CHUNK_SIZE)
      fail ("re-encoded body chunk too large", NULL, NULL);
    g_byte_array_append (fuzz.body, command->body.data, (guint) command->body.size);
    return TRUE;
  }
  {
    g_autofree gchar *actual = milter_command_to_string (command);

    if (fuzz.n_redecoded != 1 || strcmp (actual, fuzz.expected) != 0)
      fail ("re-decoded command differs", fuzz.expected, actual);
  }
  return TRUE;
}

static void
check_round_trip (const MilterCommand *command, const gchar *expected)
{
  g_autoptr (GError) error = NULL;

  g_byte_array_set_size (fuzz.encoded, 0);
  g_byte_array_set_size (fuzz.body, 0);
  fuzz.expected = expected;
  fuzz.n_redecoded = 0;
  milter_command_encode (fuzz.encoded, command);
  milter_command_decoder_reset (fuzz.redecoder);
  if (!milter_command_decoder_feed (fuzz.redecoder, fuzz.encoded->data,
                                    fuzz.encoded->len, on_redecoded, NULL, &error) ||
      !milter_command_decoder_finish (fuzz.redecoder, &error))
    fail ("re-encoded command does not decode", expected, error->message);
  if (command->type == MILTER_COMMAND_BODY) {
    guint chunks = command->body.size == 0
      ? 1 : (guint) ((command->body.size + MILTER_CHUNK_SIZE - 1) / MILTER_CHUNK_SIZE);

    if (fuzz.n_redecoded != chunks || fuzz.body->len != command->body.size ||
        (command->body.size > 0 &&
         memcmp (fuzz.body->data, command->body.data, command->body.size) != 0))
      fail ("re-decoded body differs", expected, NULL);
  } else if (fuzz.n_redecoded != 1) {
    fail ("re-encoded command decodes to a different count", expected, NULL);
  }
}

static gboolean
on_command (const MilterCommand *command, gpointer user_data, GError **error)
{
  gboolean check = GPOINTER_TO_INT (user_data);
  gchar *line = milter_command_to_string (command);

  g_string_append (fuzz.transcript, line);
  g_string_append_c (fuzz.transcript, '\n');
  /* Once per command is enough: the other passes compare transcripts. */
  if (check)
    check_round_trip (command, line);
  g_free (line);
  return TRUE;
}

/* Feeds data in pieces; piece sizes from a xorshift generator seeded with
 * seed, or all of size bytes at once for seed 0, or 1 byte for seed 1. */
static gchar *
decode (const guint8 *data, gsize size, guint64 seed, gboolean check)
{
  g_autoptr (GError) error = NULL;
  guint64 state = seed;
  gsize offset = 0;
  gboolean ok = TRUE;

  milter_command_decoder_reset (fuzz.decoder);
  fuzz.transcript = g_string_new (NULL);
  while (ok && offset < size) {
    gsize piece;

    if (seed == 0) {
      piece = size;
    } else if (seed == 1) {
      piece = 1;
    } else {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      /* Mostly small pieces (they split length fields), some large. */
      piece = (state & 3) == 0 ? (gsize) (state >> 8) % 70000
                               : (gsize) (state >> 8) % 16;
    }
    piece = MIN (piece, size - offset);
    ok = milter_command_decoder_feed (fuzz.decoder, data + offset, piece,
                                      on_command, GINT_TO_POINTER (check), &error);
    offset += piece;
  }
  if (ok)
    ok = milter_command_decoder_finish (fuzz.decoder, &error);
  if (!ok)
    g_string_append_printf (fuzz.transcript, "error %s %d: %s\n",
                            g_quark_to_string (error->domain), error->code,
                            error->message);
  return g_string_free (g_steal_pointer (&fuzz.transcript), FALSE);
}

static guint64
hash_input (const guint8 *data, gsize size)
{
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  gsize i;

  for (i = 0; i < size; i++) {
    hash ^= data[i];
    hash *= G_GUINT64_CONSTANT (0x100000001b3);
  }
  /* 0 and 1 select the whole and bytewise modes. */
  return hash < 2 ? hash + 2 : hash;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *whole = NULL;
  g_autofree gchar *split = NULL;

  if (!fuzz.decoder) {
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    fuzz.decoder = milter_command_decoder_new (FUZZ_MAX_PACKET_SIZE);
    fuzz.redecoder = milter_command_decoder_new (FUZZ_MAX_PACKET_SIZE);
    fuzz.encoded = g_byte_array_new ();
    fuzz.body = g_byte_array_new ();
  }
  whole = decode (data, size, 0, TRUE);
  split = decode (data, size, hash_input (data, size), FALSE);
  if (strcmp (whole, split) != 0)
    fail ("split feeding changed the result", whole, split);
  if (size <= FUZZ_BYTEWISE_LIMIT) {
    g_autofree gchar *bytewise = decode (data, size, 1, FALSE);

    if (strcmp (whole, bytewise) != 0)
      fail ("bytewise feeding changed the result", whole, bytewise);
  }
  return 0;
}

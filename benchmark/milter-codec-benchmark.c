/*
 * milter-codec-benchmark - decode and encode rates of the protocol codec
 *
 * SYNOPSIS
 *   milter-codec-benchmark [--seconds S]
 *
 * DESCRIPTION
 *   Prints, for the command and reply codecs: small packets decoded and
 *   encoded per second, and body chunks (65535 bytes) decoded and encoded
 *   in MB/s beside memcpy of the same bytes in the same run, with the
 *   ratio. Body decoding is measured twice: the stream in one buffer (every
 *   packet whole, handed out in place) and fed in 256 KiB reads as a
 *   reader would (packets straddling two reads are gathered).
 *   A figure printer, not a test: it asserts nothing about speed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-command-decoder.h>
#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-reply-decoder.h>
#include <milter/core/milter-reply-encoder.h>

static gdouble seconds_per_measure = 1.0;

typedef struct {
  guint64 packets;
  guint64 bytes;
  guint64 checksum;   /* keeps the compiler from dropping the work */
} Counter;

static gboolean
count_command (const MilterCommand *command, gpointer user_data, GError **error)
{
  Counter *counter = user_data;

  counter->packets++;
  if (command->type == MILTER_COMMAND_BODY) {
    counter->bytes += command->body.size;
    counter->checksum += command->body.data[command->body.size - 1];
  }
  return TRUE;
}

static gboolean
count_reply (const MilterReply *reply, gpointer user_data, GError **error)
{
  Counter *counter = user_data;

  counter->packets++;
  counter->checksum += reply->type;
  return TRUE;
}

/* Runs body() repeatedly for about seconds_per_measure; returns rounds/s. */
typedef void (*RoundFunc) (gpointer data);

static gdouble
measure (RoundFunc round, gpointer data, guint *n_rounds)
{
  gint64 start = g_get_monotonic_time (), now;
  guint rounds = 0;

  do {
    round (data);
    rounds++;
    now = g_get_monotonic_time ();
  } while (now - start < (gint64) (seconds_per_measure * G_USEC_PER_SEC));
  *n_rounds = rounds;
  return rounds / ((now - start) / (gdouble) G_USEC_PER_SEC);
}

typedef struct {
  GByteArray *stream;
  gsize feed_size;          /* 0: all at once */
  MilterCommandDecoder *command_decoder;
  MilterReplyDecoder *reply_decoder;
  Counter counter;
} DecodeJob;

static void
feed (DecodeJob *job, gboolean commands)
{
  gsize offset = 0, step = job->feed_size ? job->feed_size : job->stream->len;
  GError *error = NULL;

  while (offset < job->stream->len) {
    gsize size = MIN (step, job->stream->len - offset);
    gboolean ok = commands
      ? milter_command_decoder_feed (job->command_decoder, job->stream->data + offset,
                                     size, count_command, &job->counter, &error)
      : milter_reply_decoder_feed (job->reply_decoder, job->stream->data + offset,
                                   size, count_reply, &job->counter, &error);
    if (!ok) {
      g_printerr ("decode failed: %s\n", error->message);
      exit (EXIT_FAILURE);
    }
    offset += size;
  }
}

static void
decode_commands_round (gpointer data)
{
  feed (data, TRUE);
}

static void
decode_replies_round (gpointer data)
{
  feed (data, FALSE);
}

typedef struct {
  GByteArray *source;
  guint8 *target;
} CopyJob;

static void
memcpy_round (gpointer data)
{
  CopyJob *job = data;

  memcpy (job->target, job->source->data, job->source->len);
  /* Make the copy observable. */
  job->target[0] ^= job->target[job->source->len - 1];
}

typedef struct {
  GByteArray *out;
  const guint8 *body;
  guint n;
} EncodeJob;

static void
encode_small_commands_round (gpointer data)
{
  EncodeJob *job = data;
  guint i;

  g_byte_array_set_size (job->out, 0);
  for (i = 0; i < job->n; i++)
    milter_command_encode_header (job->out, "Subject", "a small header value");
}

static void
encode_small_replies_round (gpointer data)
{
  EncodeJob *job = data;
  guint i;

  g_byte_array_set_size (job->out, 0);
  for (i = 0; i < job->n; i++)
    milter_reply_encode_continue (job->out);
}

static void
encode_body_round (gpointer data)
{
  EncodeJob *job = data;
  guint i;

  g_byte_array_set_size (job->out, 0);
  for (i = 0; i < job->n; i++)
    milter_command_encode_body (job->out, job->body, MILTER_CHUNK_SIZE);
}

#define N_SMALL 100000
#define N_CHUNKS 512   /* 32 MiB of body */

static GByteArray *
small_command_stream (void)
{
  GByteArray *stream = g_byte_array_new ();
  const gchar *args[] = {"SIZE=1024", NULL};
  guint i;

  /* The mix of a session's small packets: headers dominate real traffic. */
  for (i = 0; i < N_SMALL; i++) {
    switch (i % 4) {
    case 0: milter_command_encode_header (stream, "Subject", "a small header value"); break;
    case 1: milter_command_encode_header (stream, "Received", "from mx by relay; Mon, 23 Nov 2026"); break;
    case 2: milter_command_encode_envelope_recipient (stream, "<bob@example.net>", args); break;
    default: milter_command_encode_helo (stream, "mx.example.org"); break;
    }
  }
  return stream;
}

/* Every round must have decoded every packet: a figure of work not done
 * would be worse than none. */
static void
check_decoded (DecodeJob *job, guint rounds, guint64 packets_per_round)
{
  if (job->counter.packets != (guint64) rounds * packets_per_round) {
    g_printerr ("decoded %" G_GUINT64_FORMAT " packets, expected %" G_GUINT64_FORMAT "\n",
                job->counter.packets, (guint64) rounds * packets_per_round);
    exit (EXIT_FAILURE);
  }
  job->counter.packets = 0;
}

static void
report_decode (const gchar *what, RoundFunc round, DecodeJob *job, guint64 packets_per_round)
{
  guint rounds;
  gdouble rate = measure (round, job, &rounds);

  check_decoded (job, rounds, packets_per_round);
  g_print ("%-44s %12.0f packets/s  (%.1f ns/packet)\n", what,
           rate * packets_per_round, 1e9 / (rate * packets_per_round));
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new ("- milter codec rates");
  GOptionEntry entries[] = {
    {"seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds_per_measure,
     "time per measurement (default 1)", "S"},
    {NULL}
  };
  g_autoptr (GByteArray) small = NULL;
  g_autoptr (GByteArray) replies = g_byte_array_new ();
  g_autoptr (GByteArray) bodies = g_byte_array_new ();
  g_autofree guint8 *chunk = g_malloc (MILTER_CHUNK_SIZE);
  DecodeJob job = {0};
  CopyJob copy;
  EncodeJob encode = {g_byte_array_sized_new (8 * 1024 * 1024), NULL, N_SMALL};
  gdouble memcpy_rate, whole_rate, fed_rate, encode_rate, small_rate;
  guint rounds, i;
  gdouble megabytes = (gdouble) N_CHUNKS * MILTER_CHUNK_SIZE / 1e6;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return EXIT_FAILURE;
  }

  small = small_command_stream ();
  for (i = 0; i < N_SMALL; i++)
    milter_reply_encode_continue (replies);
  for (i = 0; i < MILTER_CHUNK_SIZE; i++)
    chunk[i] = (guint8) ('a' + i % 26);
  for (i = 0; i < N_CHUNKS; i++)
    milter_command_encode_body (bodies, chunk, MILTER_CHUNK_SIZE);

  job.command_decoder = milter_command_decoder_new (0);
  job.reply_decoder = milter_reply_decoder_new (0);

  g_print ("milter codec benchmark (%.1f s per figure)\n", seconds_per_measure);
  job.stream = small;
  report_decode ("decode small commands, one buffer", decode_commands_round, &job, N_SMALL);
  job.feed_size = 256 * 1024;
  report_decode ("decode small commands, 256 KiB reads", decode_commands_round, &job, N_SMALL);
  job.feed_size = 0;
  job.stream = replies;
  report_decode ("decode small replies (continue)", decode_replies_round, &job, N_SMALL);

  encode.n = N_SMALL;
  small_rate = measure (encode_small_commands_round, &encode, &rounds) * N_SMALL;
  g_print ("%-44s %12.0f packets/s\n", "encode small commands (header)", small_rate);
  small_rate = measure (encode_small_replies_round, &encode, &rounds) * N_SMALL;
  g_print ("%-44s %12.0f packets/s\n", "encode small replies (continue)", small_rate);

  copy.source = bodies;
  copy.target = g_malloc (bodies->len);
  memcpy_rate = measure (memcpy_round, &copy, &rounds) * megabytes;
  job.stream = bodies;
  job.feed_size = 0;
  job.counter.packets = 0;
  whole_rate = measure (decode_commands_round, &job, &rounds) * megabytes;
  check_decoded (&job, rounds, N_CHUNKS);
  job.feed_size = 256 * 1024;
  fed_rate = measure (decode_commands_round, &job, &rounds) * megabytes;
  check_decoded (&job, rounds, N_CHUNKS);
  encode.n = N_CHUNKS;
  encode.body = chunk;
  encode_rate = measure (encode_body_round, &encode, &rounds) * megabytes;
  g_print ("%-44s %12.0f MB/s\n", "memcpy of the same bytes", memcpy_rate);
  g_print ("%-44s %12.0f MB/s  (%.2fx memcpy)\n", "decode body chunks, one buffer",
           whole_rate, whole_rate / memcpy_rate);
  g_print ("%-44s %12.0f MB/s  (%.2fx memcpy)\n", "decode body chunks, 256 KiB reads",
           fed_rate, fed_rate / memcpy_rate);
  g_print ("%-44s %12.0f MB/s  (%.2fx memcpy)\n", "encode body chunks",
           encode_rate, encode_rate / memcpy_rate);
  if (job.counter.checksum == 42)  /* practically never; keeps the work alive */
    g_print ("checksum %" G_GUINT64_FORMAT "\n", job.counter.checksum);

  g_free (copy.target);
  g_byte_array_unref (encode.out);
  milter_command_decoder_free (job.command_decoder);
  milter_reply_decoder_free (job.reply_decoder);
  return EXIT_SUCCESS;
}

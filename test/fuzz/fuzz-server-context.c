/*
 * fuzz-server-context - libFuzzer target: random milter replies into a server context
 *
 * SYNOPSIS
 *   int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
 *
 * DESCRIPTION
 *   In memory, no sockets: a MilterServerContext whose writer goes to
 *   /dev/null is marked connected, offered protocol 6 with every action and
 *   step, and fed the input as the milter's side of the conversation, in up
 *   to four pieces cut where a hash of the input says, straight into its
 *   decode function. Whenever it waits for nothing, the next event of a
 *   whole session goes out (connect ... a 70000-byte body in two chunks,
 *   end-of-message, quit), so replies meet every state. The first input
 *   byte picks the held-size bound (0 to 255 KiB), so the bound is hit too.
 *
 *   Checked on every signal: a "reply-code" has a parsed 4xx/5xx code and
 *   no error, a "temporary-failure" after a malformed one has the error;
 *   a modification is never reported past the held-size bound.
 *
 * DIAGNOSTICS
 *   abort() on a broken invariant; sanitizers report memory errors.
 *   Session errors (the milter's fault) are expected and end the input.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-writer.h>
#include <milter/server/milter-server-context.h>
#include <milter/server/milter-server-context-private.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define PLAN "CHUMRTLNBEQ"

typedef struct {
  MilterServerContext *context;
  guint next;
  gsize held;
  gsize max_held;
} Run;

static guint8 body[70000];

static void
check (gboolean ok)
{
  if (!ok)
    abort ();
}

static void
on_reply_code (MilterServerContext *context, const gchar *text, Run *run)
{
  const MilterReplyCode *reply_code = milter_server_context_get_reply_code (context);

  check (reply_code != NULL && reply_code->code >= 400 && reply_code->code < 600);
  check (milter_server_context_get_reply_code_error (context) == NULL);
}

static void
on_temporary_failure (MilterServerContext *context, Run *run)
{
  check (milter_server_context_get_status (context) ==
         MILTER_STATUS_TEMPORARY_FAILURE);
}

/* Every modification signal: the bound holds for what was reported. */
static void
note_marshal (GClosure *closure, GValue *return_value, guint n_params,
              const GValue *params, gpointer hint, gpointer marshal_data)
{
  Run *run = closure->data;

  check (run->max_held == 0 ||
         PRIV (run->context)->held_size <= run->max_held);
}

static void
send_next (Run *run)
{
  MilterServerContext *context = run->context;
  g_autoptr (GError) error = NULL;

  if (run->next >= sizeof (PLAN) - 1)
    return;
  switch (PLAN[run->next++]) {
  case 'C':
    milter_server_context_connect (context, "mx.example.net", MILTER_FAMILY_INET,
                                   25, "192.0.2.1", &error);
    break;
  case 'H': milter_server_context_helo (context, "delian", &error); break;
  case 'U': milter_server_context_unknown (context, "HELP", &error); break;
  case 'M': milter_server_context_envelope_from (context, "<a@example.com>", NULL, &error); break;
  case 'R': milter_server_context_envelope_recipient (context, "<b@example.org>", NULL, &error); break;
  case 'T': milter_server_context_data (context, &error); break;
  case 'L': milter_server_context_header (context, "Subject", "fuzz", &error); break;
  case 'N': milter_server_context_end_of_header (context, &error); break;
  case 'B': milter_server_context_body (context, body, sizeof (body), &error); break;
  case 'E': milter_server_context_end_of_message (context, NULL, 0, &error); break;
  case 'Q': milter_server_context_quit (context, &error); break;
  default: break;
  }
}

/* Sends events while nothing is awaited; runs the idle "continue"s. */
static void
drive (Run *run)
{
  for (guint rounds = 0; rounds < 64; rounds++) {
    while (milter_event_loop_iterate (milter_agent_get_event_loop (MILTER_AGENT (run->context)), FALSE))
      ;
    if (PRIV (run->context)->ended || milter_server_context_is_waiting (run->context) ||
        run->next >= sizeof (PLAN) - 1)
      return;
    send_next (run);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const gchar *const notes[] = {
    "add-header", "insert-header", "change-header", "delete-header",
    "add-recipient", "delete-recipient", "change-from", "replace-body",
    "quarantine",
  };
  static MilterEventLoop *loop;
  g_autoptr (MilterWriter) writer = NULL;
  MilterAgent *agent;
  MilterOption offer;
  size_t cuts[4];
  size_t n_cuts = 0;
  size_t start = 0;
  guint32 hash = 2166136261u;
  gint null_fd;
  Run run = { 0 };

  if (!loop) {
    milter_logger_set_levels (0);
    memset (body, 'b', sizeof (body));
    loop = milter_event_loop_new_by_name (NULL, NULL);
    check (loop != NULL);
  }
  if (size == 0)
    return 0;
  for (size_t i = 0; i < size; i++) {
    hash ^= data[i];
    hash *= 16777619u;
  }
  n_cuts = hash % 4;
  for (size_t i = 0; i < n_cuts; i++) {
    hash = hash * 1103515245u + 12345u;
    cuts[i] = 1 + (hash >> 8) % size;
  }
  for (size_t i = 1; i < n_cuts; i++) {
    for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
      size_t swap = cuts[j];

      cuts[j] = cuts[j - 1];
      cuts[j - 1] = swap;
    }
  }

  run.context = milter_server_context_new ("fuzz");
  run.max_held = (gsize) data[0] * 1024;
  milter_server_context_set_max_held_size (run.context, run.max_held);
  agent = MILTER_AGENT (run.context);
  milter_agent_set_event_loop (agent, loop);
  null_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  check (null_fd >= 0);
  writer = milter_writer_new (milter_agent_get_event_loop (agent), null_fd);
  milter_stream_set_close_on_shutdown (MILTER_STREAM (writer), TRUE);
  milter_agent_set_writer (agent, writer);
  PRIV (run.context)->connected = TRUE;
  g_signal_connect (run.context, "reply-code", G_CALLBACK (on_reply_code), &run);
  g_signal_connect (run.context, "temporary-failure",
                    G_CALLBACK (on_temporary_failure), &run);
  for (gsize i = 0; i < G_N_ELEMENTS (notes); i++) {
    GClosure *closure = g_closure_new_simple (sizeof (GClosure), &run);

    g_closure_set_marshal (closure, note_marshal);
    g_signal_connect_closure (run.context, notes[i], closure, FALSE);
  }

  milter_option_init (&offer, 6, MILTER_ACTION_ALL, MILTER_STEP_ALL);
  if (milter_server_context_negotiate (run.context, &offer, NULL)) {
    /* The first byte chose the bound; the rest is the milter speaking. */
    start = 1;
    for (size_t i = 0; i <= n_cuts && !PRIV (run.context)->ended; i++) {
      size_t end = i < n_cuts ? MAX (cuts[i], start) : size;

      if (!milter_server_context_decode (agent, data + start, end - start, NULL))
        break;
      start = end;
      drive (&run);
    }
  }
  milter_agent_shutdown (agent);
  while (milter_event_loop_iterate (loop, FALSE))
    ;
  g_object_unref (run.context);
  return 0;
}

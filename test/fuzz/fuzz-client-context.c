/*
 * fuzz-client-context - libFuzzer target: a random command stream into a client context
 *
 * SYNOPSIS
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -IBUILDDIR \
 *     $(pkg-config --cflags glib-2.0 gobject-2.0 gio-unix-2.0) \
 *     test/fuzz/fuzz-client-context.c (every milter/core .c file) \
 *     milter/client/milter-client-state.c milter/client/milter-client-context*.c \
 *     $(pkg-config --libs glib-2.0 gobject-2.0 gio-unix-2.0) -lev
 *
 * DESCRIPTION
 *   In memory, no socket: the input's first byte chooses how the milter's
 *   handlers behave (which statuses they return, whether they defer their
 *   replies, whether end-of-message edits); the rest is an MTA-to-milter
 *   byte stream fed to the context's decode function in pieces whose sizes
 *   come from the input. The context writes its replies into a pipe that
 *   is drained after every piece.
 *
 *   Checked after every piece: the replies decode without error; there are
 *   never more final replies (statuses, negotiate) than events the
 *   handlers saw; a deferred reply to an event that was aborted since is
 *   refused and writes nothing; nothing is written once the session is
 *   shut down.
 *
 * DIAGNOSTICS
 *   abort() on a violated check; GLib criticals and warnings are fatal so
 *   a g_return_if_fail hit by the stream is a finding too.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-reply-decoder.h>
#include <milter/core/milter-writer.h>
#include <milter/client/milter-client-context.h>

#define FUZZ_MAX_PACKET_SIZE 70000

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct {
  MilterEventLoop *loop;
  MilterReplyDecoder *replies;
  MilterClientContext *context;
  gint pipe_fds[2];
  guint8 mode;
  guint n_events;
  guint n_final_replies;
  guint64 deferred_id;
  gboolean shut_down_seen;
} Fuzz;

static Fuzz fuzz;

static void
fail (const gchar *what)
{
  fprintf (stderr, "fuzz-client-context: %s\n", what);
  abort ();
}

/* The status a handler returns, from the mode and the event count. */
static MilterStatus
choose_status (void)
{
  static const MilterStatus statuses[] = {
    MILTER_STATUS_DEFAULT, MILTER_STATUS_CONTINUE, MILTER_STATUS_ACCEPT,
    MILTER_STATUS_REJECT, MILTER_STATUS_TEMPORARY_FAILURE,
    MILTER_STATUS_DISCARD, MILTER_STATUS_SKIP, MILTER_STATUS_NOT_CHANGE,
  };
  guint index = (fuzz.mode + fuzz.n_events * 3) % G_N_ELEMENTS (statuses);

  fuzz.n_events++;
  if (statuses[index] == MILTER_STATUS_NOT_CHANGE) {
    if (!(fuzz.mode & 0x80))
      return MILTER_STATUS_CONTINUE;
    fuzz.deferred_id = milter_client_context_get_event_id (fuzz.context);
  }
  if (statuses[index] == MILTER_STATUS_REJECT && (fuzz.mode & 0x40))
    milter_client_context_set_reply (fuzz.context, 550, "5.7.1", "no", NULL);
  return statuses[index];
}

static MilterStatus
on_negotiate (MilterClientContext *context, const MilterOption *offer,
              MilterOption *option, MilterMacrosRequests *requests,
              gpointer user_data)
{
  (void) context;
  (void) offer;
  (void) user_data;
  fuzz.n_events++;
  /* Wishes from the mode: actions, and no-reply steps that the MTA may
   * not offer. */
  option->actions = (MilterActionFlags) (fuzz.mode & 0x0F ? MILTER_ACTION_ALL : 0);
  option->steps = (MilterStepFlags) ((fuzz.mode & 0x10 ? MILTER_STEP_NO_REPLY_MASK : 0) |
                                     (fuzz.mode & 0x20 ? MILTER_STEP_SKIP : 0));
  if (fuzz.mode & 0x08)
    milter_macros_requests_set_from_string (requests,
                                            MILTER_MACRO_STAGE_CONNECT, "j _");
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
on_event (MilterClientContext *context, gpointer user_data)
{
  (void) context;
  (void) user_data;
  return choose_status ();
}

static MilterStatus
on_string (MilterClientContext *context, const gchar *string,
           gpointer user_data)
{
  (void) string;
  return on_event (context, user_data);
}

static MilterStatus
on_pair (MilterClientContext *context, gconstpointer a, gconstpointer b,
         gpointer user_data)
{
  (void) a;
  (void) b;
  return on_event (context, user_data);
}

static MilterStatus
on_connect (MilterClientContext *context, const gchar *host, gint family,
            guint port, const gchar *address, gpointer user_data)
{
  (void) host;
  (void) family;
  (void) port;
  (void) address;
  return on_event (context, user_data);
}

static MilterStatus
on_body (MilterClientContext *context, gconstpointer chunk, guint64 size,
         gpointer user_data)
{
  (void) chunk;
  (void) size;
  return on_event (context, user_data);
}

static MilterStatus
on_end_of_message (MilterClientContext *context, gconstpointer chunk,
                   guint64 size, gpointer user_data)
{
  (void) chunk;
  (void) size;
  /* Edits may be refused (not negotiated); they must never crash. */
  milter_client_context_add_header (context, "X-Fuzz", "1", NULL);
  milter_client_context_change_header (context, "Subject", 1, "", NULL);
  milter_client_context_add_recipient (context, "<r@example>", "A=B", NULL);
  milter_client_context_replace_body (context, (const guint8 *) "b\r\n", 3,
                                      NULL);
  if (fuzz.mode & 0x04)
    milter_client_context_progress (context, NULL);
  return on_event (context, user_data);
}

static void
on_finished (MilterAgent *agent, gpointer user_data)
{
  (void) agent;
  (void) user_data;
  fuzz.shut_down_seen = TRUE;
}

static gboolean
on_reply (const MilterReply *reply, gpointer user_data, GError **error)
{
  (void) user_data;
  (void) error;
  switch (reply->type) {
  case MILTER_REPLY_PROGRESS:
  case MILTER_REPLY_ADD_HEADER:
  case MILTER_REPLY_INSERT_HEADER:
  case MILTER_REPLY_CHANGE_HEADER:
  case MILTER_REPLY_ADD_RECIPIENT:
  case MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS:
  case MILTER_REPLY_DELETE_RECIPIENT:
  case MILTER_REPLY_CHANGE_FROM:
  case MILTER_REPLY_REPLACE_BODY:
  case MILTER_REPLY_QUARANTINE:
    break;
  default:
    fuzz.n_final_replies++;
    break;
  }
  return TRUE;
}

/* Reads what the context wrote and checks it. Returns the byte count. */
static gsize
drain (void)
{
  guint8 buffer[65536];
  gsize total = 0;
  gssize n;

  while (milter_event_loop_iterate (fuzz.loop, FALSE))
    ;
  while ((n = read (fuzz.pipe_fds[0], buffer, sizeof (buffer))) > 0) {
    g_autoptr (GError) error = NULL;

    total += (gsize) n;
    if (!milter_reply_decoder_feed (fuzz.replies, buffer, (gsize) n, on_reply,
                                    NULL, &error))
      fail (error->message);
    while (milter_event_loop_iterate (fuzz.loop, FALSE))
      ;
  }
  if (fuzz.n_final_replies > fuzz.n_events)
    fail ("more final replies than events");
  return total;
}

/* A deferred reply whose event is no longer the one waiting must be
 * refused without writing anything. */
static void
answer_deferred (guint64 stale_id)
{
  MilterClientContext *context = fuzz.context;

  if (milter_agent_is_shut_down (MILTER_AGENT (context)))
    return;
  if (stale_id && stale_id != fuzz.deferred_id) {
    if (milter_client_context_reply_to_event (context, stale_id,
                                              MILTER_STATUS_ACCEPT, NULL))
      fail ("a stale reply was accepted");
    if (drain () != 0)
      fail ("a stale reply wrote something");
  }
  if (fuzz.deferred_id && (fuzz.mode & 0x01))
    milter_client_context_reply_to_event (context, fuzz.deferred_id,
                                          MILTER_STATUS_CONTINUE, NULL);
}

static void
connect_handlers (MilterClientContext *context)
{
  g_signal_connect (context, "negotiate", G_CALLBACK (on_negotiate), NULL);
  g_signal_connect (context, "connect", G_CALLBACK (on_connect), NULL);
  g_signal_connect (context, "helo", G_CALLBACK (on_string), NULL);
  g_signal_connect (context, "envelope-from", G_CALLBACK (on_pair), NULL);
  g_signal_connect (context, "envelope-recipient", G_CALLBACK (on_pair), NULL);
  g_signal_connect (context, "data", G_CALLBACK (on_event), NULL);
  g_signal_connect (context, "unknown", G_CALLBACK (on_string), NULL);
  g_signal_connect (context, "header", G_CALLBACK (on_pair), NULL);
  g_signal_connect (context, "end-of-header", G_CALLBACK (on_event), NULL);
  g_signal_connect (context, "body", G_CALLBACK (on_body), NULL);
  g_signal_connect (context, "end-of-message",
                    G_CALLBACK (on_end_of_message), NULL);
  g_signal_connect (context, "finished", G_CALLBACK (on_finished), NULL);
}

static void
run (const guint8 *data, gsize size)
{
  MilterAgentClass *klass;
  MilterAgent *agent;
  g_autoptr (MilterWriter) writer = NULL;
  gsize offset = 0;
  gboolean ok = TRUE;

  if (!g_unix_open_pipe (fuzz.pipe_fds, FD_CLOEXEC, NULL))
    fail ("pipe");
  fcntl (fuzz.pipe_fds[0], F_SETFL, O_NONBLOCK);
  fcntl (fuzz.pipe_fds[1], F_SETFL, O_NONBLOCK);
  fuzz.context = milter_client_context_new ();
  agent = MILTER_AGENT (fuzz.context);
  klass = MILTER_AGENT_GET_CLASS (agent);
  milter_agent_set_event_loop (agent, fuzz.loop);
  writer = milter_writer_new (fuzz.loop, fuzz.pipe_fds[1]);
  milter_agent_set_writer (agent, writer);
  milter_client_context_set_timeout (fuzz.context, 0);
  connect_handlers (fuzz.context);
  milter_reply_decoder_reset (fuzz.replies);

  /* The agent stops reading at shutdown: so does the feeding. */
  while (ok && offset < size && !fuzz.shut_down_seen) {
    g_autoptr (GError) error = NULL;
    guint64 before = fuzz.deferred_id;
    /* Piece sizes from the data itself: mostly small, some large. */
    gsize piece = (data[offset] & 3) == 0 ? size - offset
                                          : (gsize) (data[offset] % 29) + 1;

    piece = MIN (piece, size - offset);
    ok = klass->decode (agent, data + offset, piece, &error);
    offset += piece;
    drain ();
    answer_deferred (before);
    drain ();
  }
  if (ok) {
    g_autoptr (GError) error = NULL;

    klass->decode_end (agent, &error);
  }
  milter_agent_shutdown (agent);
  drain ();
  /* A reply the milter's code still owes goes nowhere now. */
  if (fuzz.deferred_id)
    milter_client_context_reply_to_event (fuzz.context, fuzz.deferred_id,
                                          MILTER_STATUS_ACCEPT, NULL);
  if (drain () != 0)
    fail ("written after shutdown");
  g_clear_object (&fuzz.context);
  g_clear_object (&writer);
  close (fuzz.pipe_fds[0]);
  close (fuzz.pipe_fds[1]);
  while (milter_event_loop_iterate (fuzz.loop, FALSE))
    ;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (!fuzz.loop) {
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    milter_logger_set_levels (MILTER_LOG_LEVEL_NONE);
    fuzz.loop = milter_event_loop_new_by_name ("glib", NULL);
    fuzz.replies = milter_reply_decoder_new (FUZZ_MAX_PACKET_SIZE);
  }
  if (size == 0)
    return 0;
  fuzz.mode = data[0];
  fuzz.n_events = 0;
  fuzz.n_final_replies = 0;
  fuzz.deferred_id = 0;
  fuzz.shut_down_seen = FALSE;
  run (data + 1, size - 1);
  return 0;
}

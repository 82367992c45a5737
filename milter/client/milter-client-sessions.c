/*
 * milter-client-sessions - one MilterClientContext per accepted connection
 *
 * SYNOPSIS
 *   void _milter_client_start_session (MilterClient *client, gint fd);
 *   void _milter_client_end_sessions (MilterClient *client);
 *
 * DESCRIPTION
 *   The single-thread runner runs each session in the accepting thread's
 *   loop and counts it out on "finished". The multi-thread runner pushes
 *   the descriptor to the thread pool: the session runs in a pool thread
 *   with an event loop of its own, and the thread writes a byte to the
 *   notify pipe when it is done, so that counting, maintenance and the
 *   max-connections check stay in the accepting thread. Maintenance
 *   ("maintain") runs every maintenance-interval finished sessions and
 *   whenever the last running session finishes.
 *
 * DIAGNOSTICS
 *   [client][multi-thread][error] when the pool cannot take a session or
 *   a pool thread cannot make its event loop.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-glib-event-loop.h>
#include <milter/core/milter-logger.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>

static void
maybe_maintain (MilterClient *self)
{
  guint64 since = self->n_finished - self->n_finished_at_maintenance;

  if (milter_client_get_n_processing_sessions (self) == 0 ||
      (self->maintenance_interval > 0 &&
       since >= self->maintenance_interval)) {
    self->n_finished_at_maintenance = self->n_finished;
    _milter_client_emit_maintain (self);
  }
}

static void
session_finished (MilterClientContext *context, gpointer user_data)
{
  MilterClient *self = user_data;

  g_signal_handlers_disconnect_by_func (context, session_finished, self);
  g_atomic_int_add (&self->n_processing, -1);
  self->n_finished++;
  g_hash_table_remove (self->contexts, context);
  maybe_maintain (self);
  _milter_client_update_accept_watch (self);
}

static MilterClientContext *
new_context (MilterClient *self, MilterEventLoop *loop, gint fd)
{
  MilterClientContext *context = milter_client_context_new ();

  milter_agent_set_event_loop (MILTER_AGENT (context), loop);
  milter_agent_set_session_id (MILTER_AGENT (context),
                               milter_agent_next_session_id ());
  milter_agent_set_fd (MILTER_AGENT (context), fd);
  milter_client_context_set_packet_buffer_size (context,
                                                self->packet_buffer_size);
  milter_client_context_set_timeout (context, self->session_timeout);
  return context;
}

static void
start_context (MilterClient *self, MilterClientContext *context)
{
  g_autoptr (GError) error = NULL;
  /* A handler may shut the context down; "finished" then drops the
   * session's reference, so hold one until we are done with it. */
  g_autoptr (MilterClientContext) hold = g_object_ref (context);

  _milter_client_emit_connection_established (self, context);
  if (!milter_agent_is_shut_down (MILTER_AGENT (context)) &&
      !milter_agent_start (MILTER_AGENT (context), &error))
    milter_agent_shutdown (MILTER_AGENT (context));
}

static void
start_session_single (MilterClient *self, gint fd)
{
  MilterClientContext *context = new_context (self, self->loop, fd);

  g_atomic_int_inc (&self->n_processing);
  g_hash_table_add (self->contexts, context);
  g_signal_connect (context, "finished", G_CALLBACK (session_finished), self);
  start_context (self, context);
}

static void
session_thread_finished (MilterClientContext *context, gpointer user_data)
{
  milter_event_loop_quit (user_data);
}

/* One session in a pool thread, with an event loop of its own. */
void
_milter_client_session_thread (gpointer data, gpointer user_data)
{
  MilterClient *self = user_data;
  gint fd = GPOINTER_TO_INT (data) - 1;
  g_autoptr (MilterEventLoop) loop = NULL;
  g_autoptr (MilterClientContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const guint8 done = 1;

  if (g_strcmp0 (milter_client_get_event_loop_backend (self), "glib") == 0) {
    g_autoptr (GMainContext) main_context = g_main_context_new ();

    loop = MILTER_EVENT_LOOP (milter_glib_event_loop_new (main_context));
  } else {
    loop = milter_event_loop_new_by_name (self->backend, &error);
  }
  if (!loop) {
    milter_error (0, "[client][multi-thread][error] %s", error->message);
    close (fd);
  } else {
    context = new_context (self, loop, fd);
    g_signal_connect (context, "finished",
                      G_CALLBACK (session_thread_finished), loop);
    start_context (self, context);
    if (!milter_agent_is_shut_down (MILTER_AGENT (context)))
      milter_event_loop_run (loop);
    g_signal_handlers_disconnect_by_func (context, session_thread_finished,
                                          loop);
  }
  g_atomic_int_add (&self->n_processing, -1);
  /* Wake the accepting thread: statistics, maintenance, max-connections. */
  while (write (self->notify_pipe[1], &done, 1) == -1 && errno == EINTR)
    ;
}

gboolean
_milter_client_session_thread_done (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterClient *self = user_data;
  guint8 buffer[256];
  gssize n;

  (void) condition;
  while ((n = read (fd, buffer, sizeof (buffer))) > 0) {
    for (gssize i = 0; i < n; i++) {
      self->n_finished++;
      maybe_maintain (self);
    }
  }
  _milter_client_update_accept_watch (self);
  return G_SOURCE_CONTINUE;
}

static void
start_session_multi (MilterClient *self, gint fd)
{
  g_autoptr (GError) error = NULL;

  g_atomic_int_inc (&self->n_processing);
  /* On failure GLib keeps the session queued: the next thread that does
   * start serves it, so it is neither closed nor counted out here. */
  if (!g_thread_pool_push (self->pool, GINT_TO_POINTER (fd + 1), &error))
    milter_error (0, "[client][multi-thread][error] %s", error->message);
}

void
_milter_client_start_session (MilterClient *self, gint fd)
{
  if (self->pool)
    start_session_multi (self, fd);
  else
    start_session_single (self, fd);
}

/* Sessions still open end with the run. */
void
_milter_client_end_sessions (MilterClient *self)
{
  GList *contexts = g_hash_table_get_keys (self->contexts);

  for (GList *node = contexts; node; node = node->next)
    milter_agent_shutdown (node->data);
  g_list_free (contexts);
}

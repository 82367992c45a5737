/*
 * milter-client-sessions - one MilterClientContext per accepted connection
 *
 * SYNOPSIS
 *   void _milter_client_start_session (MilterClient *client, gint fd);
 *   void _milter_client_end_sessions (MilterClient *client);
 *
 * DESCRIPTION
 *   The single-thread runner runs each session in the accepting thread's
 *   loop and counts it out on "finished". The multi-thread runner gives
 *   each session a loop of the session pool (milter-client-pool.c): its
 *   context is made and "connection-established" emitted in the
 *   accepting thread (as the loop's first callback), its other callbacks
 *   run in the pool's threads, one at a time, and on "finished" a byte
 *   goes to the notify pipe, so that
 *   counting, maintenance and the max-connections check stay in the
 *   accepting thread (only when it must act at once: see
 *   milter_client_finished_needs_notice; otherwise it counts the
 *   session at its next wake-up). Maintenance
 *   ("maintain") runs every maintenance-interval finished sessions and
 *   whenever the last running session finishes.
 *
 * DIAGNOSTICS
 *   None here; the pool logs [client][multi-thread][error] when it
 *   cannot add a thread, and a session that finds no thread at all is
 *   closed.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>
#include <milter/client/milter-client-context-private.h>
#include <milter/client/milter-client-pool.h>

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

  _milter_client_context_set_finished_func (context, NULL, NULL);
  g_atomic_int_add (&self->n_processing, -1);
  self->n_finished++;
  g_hash_table_remove (self->contexts, context);
  maybe_maintain (self);
  _milter_client_update_accept_watch (self);
}

/* What every session's context gets, new or reused. */
static void
configure_context (MilterClient *self, MilterClientContext *context)
{
  milter_agent_set_session_id (MILTER_AGENT (context),
                               milter_agent_next_session_id ());
  milter_client_context_set_packet_buffer_size (context,
                                                self->packet_buffer_size);
  milter_client_context_set_timeout (context, self->session_timeout);
}

static MilterClientContext *
new_context (MilterClient *self, MilterEventLoop *loop, gint fd)
{
  MilterClientContext *context = milter_client_context_new ();

  milter_agent_set_event_loop (MILTER_AGENT (context), loop);
  milter_agent_set_fd (MILTER_AGENT (context), fd);
  configure_context (self, context);
  return context;
}

/* ---- spare contexts (milter_client_set_reuse_contexts) ---- */

/* In a pool thread, at "finished": keeps the session's reference. */
static gboolean
keep_spare (MilterClient *self, MilterClientContext *context)
{
  gboolean kept = FALSE;

  if (!self->reuse_contexts)
    return FALSE;
  g_mutex_lock (&self->spare_lock);
  if (!self->spares_closed &&
      self->n_spare_contexts < MILTER_CLIENT_MAX_SPARE_CONTEXTS) {
    self->spare_contexts[self->n_spare_contexts++] = context;
    kept = TRUE;
  }
  g_mutex_unlock (&self->spare_lock);
  return kept;
}

/* A spare is reusable once the thread that finished it is out of its
 * callbacks (the pool has let go of its loop) and nobody else holds it:
 * the newest that is, reset for fd; NULL when none. */
static MilterClientContext *
take_spare (MilterClient *self, gint fd)
{
  MilterClientContext *context = NULL;

  g_mutex_lock (&self->spare_lock);
  for (guint i = self->n_spare_contexts; i-- > 0;) {
    MilterClientContext *candidate = self->spare_contexts[i];
    MilterEventLoop *loop = milter_agent_get_event_loop (MILTER_AGENT (candidate));

    if (g_atomic_int_get (&G_OBJECT (candidate)->ref_count) == 1 &&
        _milter_client_pool_loop_is_idle (loop)) {
      self->spare_contexts[i] =
        self->spare_contexts[--self->n_spare_contexts];
      context = candidate;
      break;
    }
  }
  g_mutex_unlock (&self->spare_lock);
  if (context && !_milter_client_context_reuse (context, fd))
    g_clear_object (&context);
  return context;
}

void
_milter_client_drop_spare_contexts (MilterClient *self)
{
  MilterClientContext *spares[MILTER_CLIENT_MAX_SPARE_CONTEXTS];
  guint n;

  g_mutex_lock (&self->spare_lock);
  self->spares_closed = TRUE;
  n = self->n_spare_contexts;
  memcpy (spares, self->spare_contexts, n * sizeof (spares[0]));
  self->n_spare_contexts = 0;
  g_mutex_unlock (&self->spare_lock);
  for (guint i = 0; i < n; i++)
    g_object_unref (spares[i]);
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
  _milter_client_context_set_finished_func (context, session_finished, self);
  start_context (self, context);
}

/* A pooled session is over: count it out; the accepting thread
 * (statistics, maintenance, max-connections) is woken only when it must
 * act now, otherwise it counts the session at its next wake-up. */
static void
pooled_session_finished (MilterClientContext *context, gpointer user_data)
{
  MilterClient *self = user_data;
  const guint8 done = 1;
  guint processing, unreported;

  _milter_client_context_set_finished_func (context, NULL, NULL);
  /* In this order: the accepting thread that counts this session sees
   * it out of n_processing (the last session's maintenance). */
  processing = (guint) g_atomic_int_add (&self->n_processing, -1) - 1;
  unreported = (guint) g_atomic_int_add (&self->n_finished_unreported, 1) + 1;
  if (milter_client_finished_needs_notice (processing, unreported,
                                           self->max_connections,
                                           self->maintenance_interval,
                                           _milter_client_maintain_wanted (self))) {
    while (write (self->notify_pipe[1], &done, 1) == -1 && errno == EINTR)
      ;
  }
  /* The session's reference ("finished" holds one of its own): kept
   * with a spare context, dropped otherwise. */
  if (!keep_spare (self, context))
    g_object_unref (context);
}

typedef struct {
  MilterClient *client;
  MilterEventLoop *loop;
  MilterClientContext *spare;  /* reset for fd already, or NULL */
  gint fd;
} PooledStart;

/* The first callback of a pooled session, run in the accepting thread
 * as a callback of the session's loop: the context is made and
 * "connection-established" emitted at once, and the first command finds
 * a pool thread waiting in epoll_wait (no wake-up to hand the session
 * over). */
static gboolean
start_pooled_session (gpointer user_data)
{
  PooledStart *start = user_data;
  MilterClientContext *context = start->spare;

  if (context)
    configure_context (start->client, context);
  else
    context = new_context (start->client, start->loop, start->fd);

  _milter_client_context_set_finished_func (context, pooled_session_finished,
                                            start->client);
  start_context (start->client, context);
  return G_SOURCE_REMOVE;
}

gboolean
_milter_client_session_thread_done (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterClient *self = user_data;
  guint8 buffer[256];
  gint finished;

  (void) condition;
  while (read (fd, buffer, sizeof (buffer)) > 0)
    ;
  /* Those counted in since the last wake-up, at once: one maintenance
   * for them. */
  finished = g_atomic_int_exchange (&self->n_finished_unreported, 0);
  if (finished > 0) {
    self->n_finished += (guint64) finished;
    maybe_maintain (self);
  }
  _milter_client_update_accept_watch (self);
  return G_SOURCE_CONTINUE;
}

static void
start_session_multi (MilterClient *self, gint fd)
{
  PooledStart start;
  g_autoptr (MilterEventLoop) loop = NULL;

  /* No thread to serve it (logged): the MTA sees the connection close. */
  if (!_milter_client_pool_ensure_thread (self->pool)) {
    close (fd);
    return;
  }
  /* The loop lives as long as the session's objects hold it; a spare
   * context comes with its own. */
  start.spare = self->reuse_contexts ? take_spare (self, fd) : NULL;
  if (start.spare)
    loop = g_object_ref (milter_agent_get_event_loop (MILTER_AGENT (start.spare)));
  else
    loop = _milter_client_pool_new_loop (self->pool);
  g_atomic_int_inc (&self->n_processing);
  start.client = self;
  start.loop = loop;
  start.fd = fd;
  _milter_client_pool_run_first (loop, start_pooled_session, &start);
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
  _milter_client_drop_spare_contexts (self);
  GList *contexts = g_hash_table_get_keys (self->contexts);

  for (GList *node = contexts; node; node = node->next)
    milter_agent_shutdown (node->data);
  g_list_free (contexts);
}

/*
 * milter-client-context-timeout - close a session whose MTA went silent or stopped reading
 *
 * SYNOPSIS
 *   milter_client_context_set_timeout (context, seconds);
 *   gdouble milter_client_context_get_timeout (context);
 *   _milter_client_context_note_input (context);      (each read)
 *   _milter_client_context_note_written (context);    (each write)
 *   _milter_client_context_stop_timer (context);      (session over)
 *
 * DESCRIPTION
 *   libmilter bounds every read of a command and every write of a reply
 *   by one timeout (7210 s unless the milter sets another): an MTA that
 *   hangs must not keep a milter's connection, memory and thread for
 *   ever. Here one timer per session does the same without a system call
 *   per packet: reads and writes only note the time; the timer, armed for
 *   the moment the timeout would run out, checks what happened since.
 *
 *   The session is closed when, for the whole timeout, the MTA sent
 *   nothing while nothing waited to be written and the milter's code owed
 *   no deferred reply (then the MTA is waiting for us: that time does not
 *   count). A reply the MTA does not take is bounded by the writer's own
 *   timeout, set to the same value: one mechanism for stalled writes.
 *
 *   The timer needs the agent's event loop: it is armed by set_timeout()
 *   when the loop is set, and otherwise by the first input.
 *
 * DIAGNOSTICS
 *   [client][error][timeout]         nothing from the MTA for the timeout
 *   a stalled write fails with MILTER_WRITER_ERROR_TIMEOUT, logged by the
 *   writer and the agent with their catalogued rows.
 */
#include "config.h"

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/client/milter-client-context.h>
#include <milter/client/milter-client-context-private.h>

static gboolean on_timer (gpointer user_data);

static void
arm (MilterClientContext *self, gdouble seconds)
{
  MilterEventLoop *loop = milter_agent_get_event_loop (MILTER_AGENT (self));

  _milter_client_context_stop_timer (self);
  if (!loop || self->timeout <= 0 ||
      milter_agent_is_shut_down (MILTER_AGENT (self)))
    return;
  self->timer_id = milter_event_loop_add_timeout (loop, MAX (seconds, 0.001),
                                                  on_timer, self, NULL);
}

static gboolean
on_timer (gpointer user_data)
{
  MilterClientContext *self = user_data;
  MilterAgent *agent = MILTER_AGENT (self);
  MilterWriter *writer = milter_agent_get_writer (agent);
  gint64 now = g_get_monotonic_time ();
  gdouble idle;

  self->timer_id = 0;
  /* While output waits for the MTA, the writer's own timeout (set to the
   * same value) bounds the stall; while the milter's code owes a reply,
   * the MTA is not the one being slow. */
  if ((writer && milter_writer_get_pending_size (writer) > 0) ||
      self->reply_pending)
    self->last_activity = now;
  idle = (gdouble) (now - self->last_activity) / G_USEC_PER_SEC;
  if (idle < self->timeout) {
    arm (self, self->timeout - idle);
    return G_SOURCE_REMOVE;
  }
  milter_error (milter_agent_get_session_id (agent),
                "[client][error][timeout] nothing from the MTA for %g "
                "seconds", self->timeout);
  g_object_ref (self);
  milter_agent_shutdown (agent);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

void
_milter_client_context_stop_timer (MilterClientContext *self)
{
  MilterEventLoop *loop = milter_agent_get_event_loop (MILTER_AGENT (self));

  if (self->timer_id && loop)
    milter_event_loop_remove (loop, self->timer_id);
  self->timer_id = 0;
}

void
_milter_client_context_note_input (MilterClientContext *self)
{
  self->last_activity = g_get_monotonic_time ();
  if (!self->timer_id)
    arm (self, self->timeout);
}

void
_milter_client_context_note_written (MilterClientContext *self)
{
  self->last_activity = g_get_monotonic_time ();
}

void
milter_client_context_set_timeout (MilterClientContext *context,
                                   gdouble seconds)
{
  g_return_if_fail (MILTER_IS_CLIENT_CONTEXT (context));
  g_return_if_fail (seconds >= 0);

  context->timeout = seconds;
  context->last_activity = g_get_monotonic_time ();
  /* A stalled write is the writer's to time out (one mechanism). */
  milter_agent_set_writing_timeout (MILTER_AGENT (context), seconds);
  arm (context, seconds);
}

gdouble
milter_client_context_get_timeout (MilterClientContext *context)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), 0);
  return context->timeout;
}

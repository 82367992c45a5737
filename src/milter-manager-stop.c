/*
 * milter-manager-stop - the graceful stop on SIGTERM/SIGINT: no new
 * session starts (a connection accepted meanwhile is closed at once, so
 * the MTA applies its own default as if the manager were not there), the
 * sessions in flight finish, then the client's run ends (socket and PID
 * file removed, exit 0). Bounded: after MILTER_MANAGER_STOP_TIMEOUT
 * seconds, or at a second signal, the sessions still running are closed.
 *
 * DIAGNOSTICS
 *   info [manager][stop] ...                  the stop started
 *   warning [manager][stop][timeout] ...      sessions were still running
 *                                             when the bound was reached
 */
#include "config.h"

#include <milter/core/milter-logger.h>
#include "src/milter-manager-daemon.h"

MilterManagerStopAction
milter_manager_stop_decide (guint n_processing, gdouble elapsed, gdouble limit,
                            guint n_signals)
{
  if (n_processing == 0)
    return MILTER_MANAGER_STOP_NOW;
  if (n_signals > 1)
    return MILTER_MANAGER_STOP_NOW;
  if (elapsed >= limit)
    return MILTER_MANAGER_STOP_TIMED_OUT;
  return MILTER_MANAGER_STOP_WAIT;
}

/* TRUE when the run was ended. */
static gboolean
check (MilterManagerDaemon *daemon)
{
  guint n = milter_client_get_n_processing_sessions (daemon->client);
  gdouble elapsed = (gdouble) (g_get_monotonic_time () - daemon->stop_started) / G_USEC_PER_SEC;
  switch (milter_manager_stop_decide (n, elapsed, MILTER_MANAGER_STOP_TIMEOUT,
                                      daemon->n_stop_signals)) {
  case MILTER_MANAGER_STOP_WAIT:
    return FALSE;
  case MILTER_MANAGER_STOP_TIMED_OUT:
    milter_warning (0, "[manager][stop][timeout] %u sessions still running after %.0f s: "
                    "closing them", n, MILTER_MANAGER_STOP_TIMEOUT);
    break;
  case MILTER_MANAGER_STOP_NOW:
    break;
  }
  milter_client_shutdown (daemon->client);
  return TRUE;
}

static gboolean
stop_tick (gpointer data)
{
  MilterManagerDaemon *daemon = data;
  if (!check (daemon))
    return G_SOURCE_CONTINUE;
  daemon->stop_timer = 0;
  return G_SOURCE_REMOVE;
}

void
milter_manager_daemon_stop (MilterManagerDaemon *daemon)
{
  if (!daemon->client)
    return;
  daemon->n_stop_signals++;
  if (daemon->n_stop_signals == 1) {
    daemon->stop_started = g_get_monotonic_time ();
    milter_info (0, "[manager][stop] stopping: %u sessions in flight finish first (at most %.0f s)",
                 milter_client_get_n_processing_sessions (daemon->client),
                 MILTER_MANAGER_STOP_TIMEOUT);
  }
  if (check (daemon)) {
    if (daemon->stop_timer)
      milter_event_loop_remove (daemon->signal_loop, daemon->stop_timer);
    daemon->stop_timer = 0;
    return;
  }
  if (!daemon->stop_timer)
    daemon->stop_timer = milter_event_loop_add_timeout (daemon->signal_loop, 0.1, stop_tick,
                                                        daemon, NULL);
}

gboolean
milter_manager_daemon_is_stopping (MilterManagerDaemon *daemon)
{
  return daemon->n_stop_signals > 0;
}

/*
 * milter-client-daemon - the daemon steps of a run: PID file,
 * daemonizing, privilege drop
 *
 * SYNOPSIS
 *   gboolean _milter_client_become_daemon (MilterClient *client, &error);
 *   gboolean _milter_client_release_pid_file (MilterClient *client, &error);
 *   void _milter_client_abandon_pid_file (MilterClient *client);
 *
 * DESCRIPTION
 *   After listening, in this order: the PID file is acquired (locked,
 *   refused when another live process holds it), still as root so that
 *   the file is root's and the unprivileged process cannot rewrite what
 *   root's scripts trust, and before daemonizing so that a refusal is
 *   reported on the terminal; then daemonize (the PID is written again:
 *   the daemon is a new process); then switch user and group (an error
 *   when asked for without being root). The PID file is removed at
 *   cleanup only while it still holds our PID (release()); a forked
 *   worker just drops its copy of the lock (abandon()).
 *
 * DIAGNOSTICS
 *   [client][pid-file][save][error] when the PID file cannot be acquired
 *   or written; [client][pid-file][error][remove] when it cannot be
 *   removed. Errors keep the MILTER_CLIENT_PROCESS_ERROR domain and code.
 */
#include "config.h"

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>
#include <milter/client/milter-client-process.h>

static gboolean
pid_file_failed (GError **error, GError *cause)
{
  milter_error (0, "[client][pid-file][save][error] %s", cause->message);
  g_propagate_error (error, cause);
  return FALSE;
}

gboolean
_milter_client_become_daemon (MilterClient *self, GError **error)
{
  GError *local_error = NULL;

  if (self->pid_file && !self->held_pid_file) {
    self->held_pid_file = milter_client_pid_file_acquire (self->pid_file,
                                                          &local_error);
    if (!self->held_pid_file)
      return pid_file_failed (error, local_error);
  }
  if (self->daemon) {
    if (!milter_client_daemonize (error))
      return FALSE;
    if (self->held_pid_file &&
        !milter_client_pid_file_update (self->held_pid_file, &local_error))
      return pid_file_failed (error, local_error);
  }
  return milter_client_switch_user (self->user, self->group, error);
}

gboolean
_milter_client_release_pid_file (MilterClient *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!self->held_pid_file)
    return TRUE;
  if (!milter_client_pid_file_release (g_steal_pointer (&self->held_pid_file),
                                       &local_error)) {
    milter_error (0, "[client][pid-file][error][remove] %s",
                  local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  return TRUE;
}

void
_milter_client_abandon_pid_file (MilterClient *self)
{
  g_clear_pointer (&self->held_pid_file, milter_client_pid_file_abandon);
}

/*
 * milter-client-runner - milter_client_run(), run_worker(), shutdown()
 *
 * SYNOPSIS
 *   gboolean milter_client_run (MilterClient *client, GError **error);
 *   gboolean milter_client_run_worker (client, listen_fd, &error);
 *   void milter_client_shutdown (MilterClient *client);
 *
 * DESCRIPTION
 *   The order of a single-process run: the event loop, the listening
 *   socket (milter-client-listener.c), "listen-started", the daemon steps
 *   (milter-client-daemon.c: PID file, daemonize, privilege drop), then
 *   the accept loop until shutdown, in the calling thread (single-thread)
 *   or with the session pool of milter-client-pool.c (multi-thread). Whatever
 *   happened, the cleanup closes the socket and removes the socket file
 *   and the PID file while they are still ours. With n-workers > 0 run()
 *   is the master of milter-client-workers.c instead.
 *
 * DIAGNOSTICS
 *   [client][prepare][error], [client][single-thread][start][error],
 *   [client][multi-thread][start][error],
 *   [client][single-thread][accept][start][error],
 *   [client][multi-thread][accept][error], [client][multi-thread][error],
 *   [client][run][success][cleanup][error],
 *   [client][run][fail][cleanup][error], [client][main][error],
 *   [client][worker][run][listen][error], [client][worker][run][error].
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/core/milter-socket.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>

/* Creates the event loop of the accepting thread. */
gboolean
_milter_client_prepare_loop (MilterClient *self, GError **error)
{
  if (self->loop)
    return TRUE;
  self->loop = milter_event_loop_new_by_name (self->backend, error);
  return self->loop != NULL;
}

/* Closes the socket; the master and single processes also remove the
 * socket file and the PID file (each only while it is still ours). */
gboolean
_milter_client_cleanup (MilterClient *self, gboolean remove_files,
                        GError **error)
{
  g_autoptr (GError) first = NULL;
  g_autoptr (GError) pid_file_error = NULL;

  _milter_client_stop_accepting (self);
  _milter_client_close_listener (self, remove_files, &first);
  if (remove_files && !_milter_client_release_pid_file (self, &pid_file_error) &&
      !first)
    first = g_steal_pointer (&pid_file_error);
  if (first) {
    g_propagate_error (error, g_steal_pointer (&first));
    return FALSE;
  }
  return TRUE;
}

/* Runs the accept loop on self->listen_fd until shutdown. */
static gboolean
run_accept_loop (MilterClient *self, GError **error)
{
  MilterClientSignalState signal_state;
  g_autoptr (GError) local_error = NULL;
  guint notify_watch = 0;

  if (self->pool) {
    notify_watch = milter_event_loop_watch_io (self->loop,
                                               self->notify_pipe[0], G_IO_IN,
                                               _milter_client_session_thread_done,
                                               self,
                                               NULL);
  }

  self->accepting = TRUE;
  g_clear_error (&self->run_error);
  _milter_client_update_accept_watch (self);
  if (!self->accept_watch) {
    g_clear_error (&self->run_error);
    g_set_error (&local_error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_WATCH,
                 "cannot watch the listening socket %d", self->listen_fd);
    if (self->multi_thread)
      milter_error (0, "[client][multi-thread][accept][error] %s",
                    local_error->message);
    else
      milter_error (0, "[client][single-thread][accept][start][error] %s",
                    local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
  } else {
    _milter_client_signals_install (self, &signal_state);
    if (!self->quitting)
      milter_event_loop_run (self->loop);
    _milter_client_signals_uninstall (&signal_state);
    if (self->run_error)
      g_propagate_error (error, g_steal_pointer (&self->run_error));
  }
  self->accepting = FALSE;
  _milter_client_stop_accepting (self);
  _milter_client_end_sessions (self);
  if (self->pool) {
    /* Waits for the sessions still running. */
    _milter_client_pool_free (self->pool);
    self->pool = NULL;
    _milter_client_session_thread_done (self->notify_pipe[0], G_IO_IN, self);
    milter_event_loop_remove (self->loop, notify_watch);
  }
  return error == NULL || *error == NULL;
}

/* The session pool and the pipe by which its sessions report back.
 * Made before "listen-started" and before daemonizing: descriptors
 * survive fork, and the pool starts its threads only with the first
 * session. */
static gboolean
open_notify_pipe (MilterClient *self, GError **error)
{
  if (!self->multi_thread || self->notify_pipe[0] >= 0)
    return TRUE;
  if (pipe2 (self->notify_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_THREAD,
                 "cannot create a pipe: %s", g_strerror (errno));
    return FALSE;
  }
  self->pool = _milter_client_pool_new (error);
  self->spares_closed = FALSE;
  return self->pool != NULL;
}

static void
close_notify_pipe (MilterClient *self)
{
  if (self->pool) {
    _milter_client_pool_free (self->pool);
    self->pool = NULL;
  }
  if (self->notify_pipe[0] < 0)
    return;
  close (self->notify_pipe[0]);
  close (self->notify_pipe[1]);
  self->notify_pipe[0] = self->notify_pipe[1] = -1;
}

static void
log_start_error (MilterClient *self, const GError *error)
{
  if (self->multi_thread)
    milter_error (0, "[client][multi-thread][start][error] %s",
                  error->message);
  else
    milter_error (0, "[client][single-thread][start][error] %s",
                  error->message);
}

/* The end of a master's or a single process's run: the cleanup, its log
 * line, and the run's error (or else the cleanup's) passed up. */
gboolean
_milter_client_finish_run (MilterClient *self, GError *run_error,
                           GError **error)
{
  g_autoptr (GError) cleanup_error = NULL;
  gboolean cleaned = _milter_client_cleanup (self, TRUE, &cleanup_error);

  if (!cleaned) {
    if (!run_error)
      milter_error (0, "[client][run][success][cleanup][error] %s",
                    cleanup_error->message);
    else
      milter_error (0, "[client][run][fail][cleanup][error] %s",
                    cleanup_error->message);
  }
  if (run_error) {
    g_propagate_error (error, run_error);
    return FALSE;
  }
  if (!cleaned) {
    g_propagate_error (error, g_steal_pointer (&cleanup_error));
    return FALSE;
  }
  return TRUE;
}

static gboolean
run_single_process (MilterClient *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean success = FALSE;

  if (!_milter_client_prepare_loop (self, &local_error) ||
      !open_notify_pipe (self, &local_error)) {
    milter_error (0, "[client][prepare][error] %s", local_error->message);
  } else if (!_milter_client_listen (self, FALSE, &local_error)) {
    /* Logged by the listener with the tag of what failed. */
  } else {
    _milter_client_emit_listen_started (self);
    if (_milter_client_become_daemon (self, &local_error))
      success = TRUE;
  }
  if (!success) {
    log_start_error (self, local_error);
  } else {
    success = run_accept_loop (self, &local_error);
    if (!success && !g_error_matches (local_error, MILTER_CLIENT_ERROR,
                                      MILTER_CLIENT_ERROR_WATCH) &&
        !g_error_matches (local_error, MILTER_CLIENT_ERROR,
                          MILTER_CLIENT_ERROR_ACCEPT))
      log_start_error (self, local_error);
  }
  close_notify_pipe (self);
  return _milter_client_finish_run (self, success ? NULL :
                                    g_steal_pointer (&local_error), error);
}

gboolean
milter_client_run (MilterClient *client, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean success;

  g_return_val_if_fail (MILTER_IS_CLIENT (client), FALSE);

  client->quitting = FALSE;
  if (client->n_workers > 0)
    success = _milter_client_run_master (client, &local_error);
  else
    success = run_single_process (client, &local_error);
  if (!success) {
    milter_error (0, "[client][main][error] %s", local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
  }
  return success;
}

gboolean
milter_client_run_worker (MilterClient *client, gint listen_fd, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean success = FALSE;

  g_return_val_if_fail (MILTER_IS_CLIENT (client), FALSE);

  client->quitting = FALSE;
  if (listen (listen_fd, SOMAXCONN) == -1 ||
      !milter_socket_set_nonblocking (listen_fd, TRUE, NULL)) {
    g_set_error (&local_error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_LISTEN,
                 "listen(2) on descriptor %d: %s", listen_fd,
                 g_strerror (errno));
    milter_error (0, "[client][worker][run][listen][error] %s",
                  local_error->message);
  } else if (!_milter_client_prepare_loop (client, &local_error) ||
             !open_notify_pipe (client, &local_error)) {
    milter_error (0, "[client][prepare][error] %s", local_error->message);
  } else {
    client->listen_fd = listen_fd;
    client->nodelay_fd = -1;  /* another listener: learn again */
    _milter_client_emit_worker_started (client);
    success = run_accept_loop (client, &local_error);
    /* The descriptor is the caller's (or the master's): do not close it. */
    client->listen_fd = -1;
  }
  close_notify_pipe (client);
  if (!success) {
    milter_error (0, "[client][worker][run][error] %s", local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
  }
  return success;
}

void
milter_client_shutdown (MilterClient *client)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));

  client->quitting = TRUE;
  client->accepting = FALSE;
  if (client->accept_watch && client->loop)
    milter_event_loop_remove (client->loop, client->accept_watch);
  client->accept_watch = 0;
  if (client->loop)
    milter_event_loop_quit (client->loop);
}

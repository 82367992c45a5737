/*
 * milter-client-workers - the multi-worker master of MilterClient
 *
 * SYNOPSIS
 *   gboolean _milter_client_run_master (MilterClient *client, GError **error);
 *
 * DESCRIPTION
 *   With n-workers > 0, milter_client_run() listens once and forks that
 *   many workers; each inherits the listening socket and runs
 *   milter_client_run_worker() on it, so the kernel spreads connections
 *   over the workers. The master only watches: a worker that dies is
 *   restarted (after a second if it lived less than a second, so a worker
 *   that cannot start does not make the master spin); SIGTERM or SIGINT
 *   stops the workers (SIGTERM, then SIGKILL after 10 s) and the master
 *   removes the socket file and the PID file. SIGHUP and SIGUSR1 are
 *   passed on to every live worker (a reload, a log reopen: the workers
 *   hold the configuration and the log files); a worker ignores them
 *   until its owner installs handlers in "worker-started".
 *
 *   The master deliberately runs no event loop and starts no thread:
 *   workers are forked, not executed, and a fork of a threaded process
 *   may inherit a lock held by another thread. It sleeps in poll(2) on a
 *   self-pipe that the signal handlers write to.
 *
 * DIAGNOSTICS
 *   [client][workers][run][listen][error] the master could not listen;
 *   [client][master][run][error] the master could not start (listen,
 *   PID file, fork); cleanup failures as in milter-client-runner.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>

#define RESTART_DELAY_USEC G_USEC_PER_SEC
#define STOP_TIMEOUT_USEC (10 * G_USEC_PER_SEC)

typedef struct {
  pid_t pid;
  gint64 started_at;
  /* When > 0, the monotonic time at which to start this slot again. */
  gint64 restart_at;
} Worker;

static gint master_pipe_write_fd = -1;
static volatile sig_atomic_t master_stop_requested;
static volatile sig_atomic_t master_hup_requested;
static volatile sig_atomic_t master_usr1_requested;

static void
on_master_signal (gint signal_number)
{
  guint8 byte = (guint8) signal_number;
  gint saved_errno = errno;

  if (signal_number == SIGTERM || signal_number == SIGINT)
    master_stop_requested = 1;
  else if (signal_number == SIGHUP)
    master_hup_requested = 1;
  else if (signal_number == SIGUSR1)
    master_usr1_requested = 1;
  if (write (master_pipe_write_fd, &byte, 1) == -1) {
    /* A full pipe already holds a wake-up. */
  }
  errno = saved_errno;
}

static const gint master_signals[] = { SIGTERM, SIGINT, SIGCHLD, SIGHUP, SIGUSR1 };

static pid_t
spawn_worker (MilterClient *self, gint pipe_fds[2], Worker *workers,
              GError **error)
{
  pid_t pid = fork ();

  if (pid == -1) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_PROCESS,
                 "cannot fork a worker: %s", g_strerror (errno));
    return -1;
  }
  if (pid == 0) {
    gboolean success;

    for (guint i = 0; i < G_N_ELEMENTS (master_signals); i++)
      signal (master_signals[i], SIG_DFL);
    /* Until the owner's "worker-started" handler says otherwise, a
     * passed-on reload or reopen must not kill the worker. */
    signal (SIGHUP, SIG_IGN);
    signal (SIGUSR1, SIG_IGN);
    close (pipe_fds[0]);
    close (pipe_fds[1]);
    g_free (workers);
    master_pipe_write_fd = -1;
    self->n_workers = 0;
    /* The master holds the PID file's lock and removes the file. */
    _milter_client_abandon_pid_file (self);
    success = milter_client_run_worker (self, self->listen_fd, NULL);
    _exit (success ? 0 : 1);
  }
  return pid;
}

/* Waits (at most timeout_ms) for a signal: SIGCHLD wakes it. */
static void
wait_for_signal (gint pipe_fd, gint timeout_ms)
{
  struct pollfd poll_fd = { pipe_fd, POLLIN, 0 };
  guint8 buffer[64];

  poll (&poll_fd, 1, timeout_ms);
  while (read (pipe_fd, buffer, sizeof (buffer)) > 0)
    ;
}

static void
stop_workers (Worker *workers, guint n_workers, gint pipe_fd)
{
  gint64 deadline = g_get_monotonic_time () + STOP_TIMEOUT_USEC;
  guint alive = 0;

  for (guint i = 0; i < n_workers; i++) {
    if (workers[i].pid > 0) {
      kill (workers[i].pid, SIGTERM);
      alive++;
    }
  }
  while (alive > 0) {
    gint status;
    pid_t pid = waitpid (-1, &status, WNOHANG);

    if (pid > 0) {
      for (guint i = 0; i < n_workers; i++) {
        if (workers[i].pid == pid) {
          workers[i].pid = 0;
          alive--;
        }
      }
      continue;
    }
    if (pid == -1 && errno == ECHILD)
      break;
    if (g_get_monotonic_time () > deadline) {
      for (guint i = 0; i < n_workers; i++) {
        if (workers[i].pid > 0)
          kill (workers[i].pid, SIGKILL);
      }
      deadline = G_MAXINT64;
    }
    /* Bounded: a SIGCHLD lost between waitpid() and poll() costs 100 ms. */
    wait_for_signal (pipe_fd, 100);
  }
}

/* Passes a SIGHUP or SIGUSR1 the master got on to every live worker. */
static void
forward_signals (const Worker *workers, guint n_workers)
{
  gint forward[2];
  guint n = 0;

  if (master_hup_requested) {
    master_hup_requested = 0;
    forward[n++] = SIGHUP;
  }
  if (master_usr1_requested) {
    master_usr1_requested = 0;
    forward[n++] = SIGUSR1;
  }
  for (guint j = 0; j < n; j++) {
    for (guint i = 0; i < n_workers; i++) {
      if (workers[i].pid > 0)
        kill (workers[i].pid, forward[j]);
    }
  }
}

/* Reaps dead workers and schedules their restart. */
static void
reap_workers (Worker *workers, guint n_workers)
{
  gint status;
  pid_t pid;

  while ((pid = waitpid (-1, &status, WNOHANG)) > 0) {
    for (guint i = 0; i < n_workers; i++) {
      gint64 now;

      if (workers[i].pid != pid)
        continue;
      now = g_get_monotonic_time ();
      milter_info (0, "[client][worker][exit] worker %d (%u) ended with "
                   "status %d; restarting", (gint) pid, i, status);
      workers[i].pid = 0;
      workers[i].restart_at =
        now - workers[i].started_at < RESTART_DELAY_USEC ?
        now + RESTART_DELAY_USEC : now;
    }
  }
}

static gboolean
run_workers (MilterClient *self, GError **error)
{
  g_autofree Worker *workers = g_new0 (Worker, self->n_workers);
  struct sigaction action;
  struct sigaction old_actions[G_N_ELEMENTS (master_signals)];
  gint pipe_fds[2];
  gboolean success = TRUE;
  guint n_workers = self->n_workers;

  if (pipe2 (pipe_fds, O_CLOEXEC | O_NONBLOCK) == -1) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_PROCESS,
                 "cannot create a pipe: %s", g_strerror (errno));
    return FALSE;
  }
  master_pipe_write_fd = pipe_fds[1];
  master_stop_requested = 0;
  master_hup_requested = master_usr1_requested = 0;
  memset (&action, 0, sizeof (action));
  action.sa_handler = on_master_signal;
  action.sa_flags = SA_NOCLDSTOP;
  sigemptyset (&action.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (master_signals); i++)
    sigaction (master_signals[i], &action, &old_actions[i]);

  for (guint i = 0; i < n_workers && success; i++) {
    workers[i].pid = spawn_worker (self, pipe_fds, workers, error);
    workers[i].started_at = g_get_monotonic_time ();
    success = workers[i].pid > 0;
  }

  while (success && !master_stop_requested) {
    gint64 now = g_get_monotonic_time ();
    gint64 next = G_MAXINT64;

    for (guint i = 0; i < n_workers; i++) {
      if (workers[i].pid == 0 && workers[i].restart_at > 0) {
        if (workers[i].restart_at <= now) {
          g_autoptr (GError) fork_error = NULL;

          workers[i].pid = spawn_worker (self, pipe_fds, workers, &fork_error);
          workers[i].started_at = now;
          if (workers[i].pid > 0) {
            workers[i].restart_at = 0;
          } else {
            workers[i].pid = 0;
            workers[i].restart_at = now + RESTART_DELAY_USEC;
            milter_error (0, "[client][master][run][error] %s",
                          fork_error->message);
          }
        }
        if (workers[i].restart_at > 0)
          next = MIN (next, workers[i].restart_at);
      }
    }
    wait_for_signal (pipe_fds[0], next == G_MAXINT64 ? -1 :
                     (gint) MAX (1, (next - now) / 1000));
    reap_workers (workers, n_workers);
    forward_signals (workers, n_workers);
  }

  stop_workers (workers, n_workers, pipe_fds[0]);
  for (guint i = 0; i < G_N_ELEMENTS (master_signals); i++)
    sigaction (master_signals[i], &old_actions[i], NULL);
  master_pipe_write_fd = -1;
  close (pipe_fds[0]);
  close (pipe_fds[1]);
  return success;
}

gboolean
_milter_client_run_master (MilterClient *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean success = FALSE;

  if (!_milter_client_listen (self, TRUE, &local_error)) {
    /* Logged by the listener with the tag of what failed. */
  } else {
    _milter_client_emit_listen_started (self);
    success = _milter_client_become_daemon (self, &local_error) &&
              run_workers (self, &local_error);
  }
  if (!success)
    milter_error (0, "[client][master][run][error] %s", local_error->message);

  return _milter_client_finish_run (self, success ? NULL :
                                    g_steal_pointer (&local_error), error);
}

/*
 * milter-manager-signals - SIGHUP reloads, SIGUSR1 reopens the log file
 * (configuration.md §5). SIGTERM and SIGINT are the client library's
 * (milter/client/milter-client-signals.c): it stops accepting and ends
 * the run.
 *
 * The handler only writes the signal number to a self-pipe; the event
 * loop reads it and does the work in the main thread, where Ruby may run.
 *
 * DIAGNOSTICS
 *   error [manager][reload][signal][error] MESSAGE   a failed SIGHUP
 *         reload (the old configuration stays)
 *   error [manager][log][reopen][error] MESSAGE      SIGUSR1 could not
 *         reopen the log file
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <milter/core/milter-logger.h>
#include "src/milter-manager-daemon.h"

static gint signal_write_fd = -1;
static struct sigaction old_hup, old_usr1;

static void
on_signal (gint number)
{
  guint8 byte = (guint8) number;
  gint saved_errno = errno;
  if (signal_write_fd >= 0 && write (signal_write_fd, &byte, 1) == -1) {
    /* A full pipe already holds a wake-up. */
  }
  errno = saved_errno;
}

static gboolean
signal_received (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterManagerDaemon *daemon = user_data;
  guint8 numbers[16];
  gssize size;
  gboolean reload = FALSE, reopen = FALSE;

  (void) condition;
  while ((size = read (fd, numbers, sizeof (numbers))) > 0) {
    for (gssize i = 0; i < size; i++) {
      reload |= numbers[i] == SIGHUP;
      reopen |= numbers[i] == SIGUSR1;
    }
  }
  if (reopen) {
    g_autoptr (GError) error = NULL;
    if (!milter_logger_reopen (&error))
      milter_error (0, "[manager][log][reopen][error] %s", error->message);
  }
  if (reload) {
    g_autoptr (GError) error = NULL;
    if (!milter_manager_daemon_reload (daemon, &error))
      milter_error (0, "[manager][reload][signal][error] %s", error->message);
  }
  return G_SOURCE_CONTINUE;
}

void
milter_manager_daemon_signals_install (MilterManagerDaemon *daemon, MilterEventLoop *loop)
{
  struct sigaction action = { 0 };

  if (daemon->signal_pipe[0] >= 0 ||
      pipe2 (daemon->signal_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
    return;
  daemon->signal_loop = loop;
  daemon->signal_watch = milter_event_loop_watch_io (loop, daemon->signal_pipe[0], G_IO_IN,
                                                     signal_received, daemon, NULL);
  signal_write_fd = daemon->signal_pipe[1];
  action.sa_handler = on_signal;
  sigemptyset (&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction (SIGHUP, &action, &old_hup);
  sigaction (SIGUSR1, &action, &old_usr1);
}

void
milter_manager_daemon_signals_uninstall (MilterManagerDaemon *daemon)
{
  if (daemon->signal_pipe[0] < 0)
    return;
  sigaction (SIGHUP, &old_hup, NULL);
  sigaction (SIGUSR1, &old_usr1, NULL);
  signal_write_fd = -1;
  if (daemon->signal_watch)
    milter_event_loop_remove (daemon->signal_loop, daemon->signal_watch);
  daemon->signal_watch = 0;
  close (daemon->signal_pipe[0]);
  close (daemon->signal_pipe[1]);
  daemon->signal_pipe[0] = daemon->signal_pipe[1] = -1;
}

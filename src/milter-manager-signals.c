/*
 * milter-manager-signals - SIGHUP reloads, SIGUSR1 reopens the log file,
 * SIGTERM and SIGINT stop gracefully (configuration.md §5;
 * milter-manager-stop.c). With workers, the client library's master
 * handles SIGTERM and SIGINT itself and passes SIGHUP and SIGUSR1 on to
 * the workers, each of which watches them here (prepared in its
 * "worker-started").
 *
 * The handlers are set before the run (prepare), so a signal that comes
 * while the daemon starts is kept; the handler only writes the signal
 * number to a self-pipe, which the event loop watches once it exists
 * (watch) and reads in the main thread, where Ruby may run.
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
static const gint handled_signals[] = { SIGHUP, SIGUSR1, SIGTERM, SIGINT };
static struct sigaction old_actions[G_N_ELEMENTS (handled_signals)];
static gboolean installed[G_N_ELEMENTS (handled_signals)];

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
  guint stop = 0;

  (void) condition;
  while ((size = read (fd, numbers, sizeof (numbers))) > 0) {
    for (gssize i = 0; i < size; i++) {
      reload |= numbers[i] == SIGHUP;
      reopen |= numbers[i] == SIGUSR1;
      stop += numbers[i] == SIGTERM || numbers[i] == SIGINT;
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
  for (guint i = 0; i < stop; i++)
    milter_manager_daemon_stop (daemon);
  return G_SOURCE_CONTINUE;
}

void
milter_manager_daemon_signals_prepare (MilterManagerDaemon *daemon, gboolean stop_signals)
{
  struct sigaction action = { 0 };

  if (daemon->signal_pipe[0] >= 0 ||
      pipe2 (daemon->signal_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
    return;
  signal_write_fd = daemon->signal_pipe[1];
  action.sa_handler = on_signal;
  sigemptyset (&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (gsize i = 0; i < G_N_ELEMENTS (handled_signals); i++) {
    gint number = handled_signals[i];
    if (!stop_signals && (number == SIGTERM || number == SIGINT))
      continue;
    installed[i] = sigaction (number, &action, &old_actions[i]) == 0;
  }
}

void
milter_manager_daemon_signals_watch (MilterManagerDaemon *daemon, MilterEventLoop *loop)
{
  if (daemon->signal_pipe[0] < 0 || daemon->signal_watch)
    return;
  daemon->signal_loop = loop;
  daemon->signal_watch = milter_event_loop_watch_io (loop, daemon->signal_pipe[0], G_IO_IN,
                                                     signal_received, daemon, NULL);
}

void
milter_manager_daemon_signals_uninstall (MilterManagerDaemon *daemon)
{
  if (daemon->signal_pipe[0] < 0)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (handled_signals); i++) {
    if (installed[i])
      sigaction (handled_signals[i], &old_actions[i], NULL);
    installed[i] = FALSE;
  }
  signal_write_fd = -1;
  if (daemon->signal_watch)
    milter_event_loop_remove (daemon->signal_loop, daemon->signal_watch);
  daemon->signal_watch = 0;
  close (daemon->signal_pipe[0]);
  close (daemon->signal_pipe[1]);
  daemon->signal_pipe[0] = daemon->signal_pipe[1] = -1;
}

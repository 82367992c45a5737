/*
 * milter-manager-launcher-fork - fork the process launcher at start-up
 * (launcher.md §1)
 *
 * SYNOPSIS
 *   milter_manager_daemon_fork_launcher (&daemon, &error);   (startup.c)
 *   milter_manager_daemon_attach_launcher (&daemon, loop);   (listen-started)
 *
 * DESCRIPTION
 *   With security.privilege_mode at start-up, two pipes are created
 *   (command: daemon -> launcher, reply: launcher -> daemon; all four
 *   ends close-on-exec, so no launched milter holds them and the
 *   launcher's death shows as end of file) and the process launcher is
 *   forked, before the MTA socket is opened and before privileges are
 *   dropped: it keeps the identity the daemon started with for the
 *   daemon's whole life. It runs milter_manager_process_launcher_main()
 *   and exits with its status without running the daemon's exit
 *   handlers. The daemon's MilterManagerLauncher takes the other ends;
 *   it is attached to the loop once listening started, and every
 *   configuration loaded in privilege mode points to it (reload too).
 *
 *   Launching needs the sessions in the daemon's own process: with
 *   manager.n_workers > 0 the launcher is forked but not attached, and a
 *   warning says so (the workers would share one reply pipe).
 *
 * DIAGNOSTICS (log-catalogue.tsv, module manager)
 *   error failed to create pipe for launcher command: WHY
 *   error failed to create pipe for launcher reply: WHY
 *   error failed to fork process launcher process: WHY
 *         each fails the start-up (the error says the same)
 *   debug [manager][process-launcher][pipe] command:<R:W>, reply:<R:W>
 *   warning [manager][process-launcher][workers] ...   n_workers > 0
 *   warning [manager][process-launcher][unavailable] ...   a reload turned
 *         privilege mode on: it needs a restart
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-process-launcher.h>
#include "src/milter-manager-daemon.h"

G_DEFINE_QUARK (milter-manager-daemon-launcher-error-quark,
                milter_manager_daemon_launcher_error)

static gboolean
fork_failed (const gchar *what, gint error_number, gint fds[4], GError **error)
{
  milter_error (0, "%s: %s", what, g_strerror (error_number));
  g_set_error (error, MILTER_MANAGER_DAEMON_LAUNCHER_ERROR, 0, "%s: %s", what,
               g_strerror (error_number));
  for (gint i = 0; i < 4; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  return FALSE;
}

gboolean
milter_manager_daemon_fork_launcher (MilterManagerDaemon *daemon, GError **error)
{
  const MilterManagerDaemonSettings *settings = daemon->settings;
  /* command read, command write, reply read, reply write */
  gint fds[4] = { -1, -1, -1, -1 };
  pid_t pid;

  if (!settings->privilege_mode)
    return TRUE;
  if (pipe2 (fds, O_CLOEXEC) == -1)
    return fork_failed ("failed to create pipe for launcher command", errno, fds, error);
  if (pipe2 (fds + 2, O_CLOEXEC) == -1)
    return fork_failed ("failed to create pipe for launcher reply", errno, fds, error);
  milter_debug (0, "[manager][process-launcher][pipe] command:<%d:%d>, reply:<%d:%d>",
                fds[0], fds[1], fds[2], fds[3]);
  pid = fork ();
  if (pid == -1)
    return fork_failed ("failed to fork process launcher process", errno, fds, error);
  if (pid == 0) {
    close (fds[1]);
    close (fds[2]);
    /* Not exit(): the daemon's exit handlers (Ruby's) are not ours. */
    _exit (milter_manager_process_launcher_main (fds[0], fds[3], settings->daemon,
                                                 settings->use_syslog ?
                                                 settings->syslog_facility : NULL));
  }
  close (fds[0]);
  close (fds[3]);
  daemon->launcher = milter_manager_launcher_new (fds[1], fds[2]);
  daemon->launcher_pid = pid;
  milter_manager_daemon_share_launcher (daemon, daemon->settings, daemon->configuration);
  return TRUE;
}

void
milter_manager_daemon_share_launcher (MilterManagerDaemon *daemon,
                                      const MilterManagerDaemonSettings *settings,
                                      MilterManagerConfiguration *configuration)
{
  /* Privilege mode switched off by a reload stops new requests; switched
   * on, it cannot fork the launcher any more (privileges are dropped):
   * said at once rather than at each session (launcher.md §6 defect 6). */
  if (settings->privilege_mode && !daemon->launcher)
    milter_warning (0, "[manager][process-launcher][unavailable] security.privilege_mode "
                    "takes effect at start-up only: child milters are not launched");
  milter_manager_configuration_set_launcher (configuration,
                                             settings->privilege_mode ?
                                             daemon->launcher : NULL);
}

static void
launcher_exited (GPid pid, gint status, gpointer user_data)
{
  (void) user_data;
  milter_debug (0, "[manager][process-launcher][exited] %d: status %d", (gint) pid, status);
}

void
milter_manager_daemon_attach_launcher (MilterManagerDaemon *daemon, MilterEventLoop *loop)
{
  if (!daemon->launcher)
    return;
  if (daemon->settings->n_workers > 0) {
    milter_warning (0, "[manager][process-launcher][workers] child milters are not "
                    "launched with manager.n_workers > 0");
    return;
  }
  milter_manager_launcher_attach (daemon->launcher, loop);
  /* Reaped when it dies; its death is noticed on the reply pipe. */
  milter_event_loop_watch_child (loop, daemon->launcher_pid, launcher_exited, NULL, NULL);
}

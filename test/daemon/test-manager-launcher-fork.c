/*
 * test-manager-launcher-fork - the fork of the process launcher at
 * start-up (src/milter-manager-launcher-fork.c): only in privilege mode;
 * the launcher is shared with the configuration and exits when the
 * daemon's ends are closed; the three catalogued start-up failures
 * (no descriptor for either pipe, no process for the fork), each with
 * its level, nothing left open.
 */
#include "config.h"

#include <dirent.h>
#include <pwd.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include "src/milter-manager-daemon.h"
#include <test/lib/milter-test-log.h>

typedef struct {
  MilterManagerDaemon daemon;
  MilterTestLogCapture *capture;
} Fixture;

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
  (void) data;
  fixture->capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  milter_manager_daemon_init (&fixture->daemon);
  fixture->daemon.settings = milter_manager_daemon_settings_new ();
  fixture->daemon.settings->privilege_mode = TRUE;
  fixture->daemon.settings->use_syslog = FALSE;
  fixture->daemon.configuration = milter_manager_configuration_new ();
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
  (void) data;
  milter_manager_daemon_clear (&fixture->daemon);
  milter_test_log_capture_stop (fixture->capture);
}

static guint
n_open_fds (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

static void
test_forked (Fixture *fixture, gconstpointer data)
{
  gint status;
  GPid pid;

  (void) data;
  g_assert_true (milter_manager_daemon_fork_launcher (&fixture->daemon, NULL));
  g_assert_nonnull (fixture->daemon.launcher);
  g_assert_true (milter_manager_configuration_get_launcher (fixture->daemon.configuration) ==
                 fixture->daemon.launcher);
  pid = fixture->daemon.launcher_pid;
  g_assert_cmpint (pid, >, 0);
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_DEBUG, 0,
                             "[manager][process-launcher][pipe] command:<");
  /* The daemon's ends closed: the launcher ends with 0. */
  g_clear_object (&fixture->daemon.launcher);
  milter_manager_configuration_set_launcher (fixture->daemon.configuration, NULL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

static void
test_not_privileged (Fixture *fixture, gconstpointer data)
{
  (void) data;
  fixture->daemon.settings->privilege_mode = FALSE;
  g_assert_true (milter_manager_daemon_fork_launcher (&fixture->daemon, NULL));
  g_assert_null (fixture->daemon.launcher);
  g_assert_null (milter_manager_configuration_get_launcher (fixture->daemon.configuration));
}

/* A reload: the new configuration gets the launcher only in privilege
 * mode; privilege mode without a launcher is said at once. */
static void
test_share (Fixture *fixture, gconstpointer data)
{
  g_autoptr (MilterManagerConfiguration) reloaded = milter_manager_configuration_new ();
  g_autoptr (MilterManagerDaemonSettings) off = milter_manager_daemon_settings_new ();

  (void) data;
  milter_manager_daemon_share_launcher (&fixture->daemon, fixture->daemon.settings, reloaded);
  g_assert_null (milter_manager_configuration_get_launcher (reloaded));
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_WARNING, 0,
                             "[manager][process-launcher][unavailable] ");
  g_assert_true (milter_manager_daemon_fork_launcher (&fixture->daemon, NULL));
  milter_manager_daemon_share_launcher (&fixture->daemon, fixture->daemon.settings, reloaded);
  g_assert_true (milter_manager_configuration_get_launcher (reloaded) == fixture->daemon.launcher);
  off->privilege_mode = FALSE;
  milter_manager_daemon_share_launcher (&fixture->daemon, off, reloaded);
  g_assert_null (milter_manager_configuration_get_launcher (reloaded));
  g_assert_cmpuint (milter_test_log_capture_count (fixture->capture, MILTER_LOG_LEVEL_WARNING,
                                                   "[manager][process-launcher][unavailable]"),
                    ==, 1);
}

/* The lowest free descriptor after skipping n of them. */
static gint
free_fd_after (guint n)
{
  gint taken[8];
  gint fd;

  g_assert_cmpuint (n, <, G_N_ELEMENTS (taken));
  for (guint i = 0; i < n; i++)
    taken[i] = dup (0);
  fd = dup (0);
  close (fd);
  for (guint i = 0; i < n; i++)
    close (taken[i]);
  return fd;
}

static void
set_fd_limit (gint limit)
{
  struct rlimit rlimit;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rlimit), ==, 0);
  rlimit.rlim_cur = (rlim_t) limit;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &rlimit), ==, 0);
}

typedef struct {
  const gchar *line;
  void (*prepare) (void);
} FailureCase;

static void
no_fd_for_command (void)
{
  set_fd_limit (free_fd_after (0));
}

static void
no_fd_for_reply (void)
{
  /* Room for the command pipe's two ends only. */
  set_fd_limit (free_fd_after (1) + 1);
}

static void
no_process_for_fork (void)
{
  struct passwd *nobody = getpwnam ("nobody");
  struct rlimit none = { 0, 0 };

  /* RLIMIT_NPROC does not hold for root. */
  g_assert_nonnull (nobody);
  g_assert_cmpint (setgroups (0, NULL), ==, 0);
  g_assert_cmpint (setgid (nobody->pw_gid), ==, 0);
  g_assert_cmpint (setuid (nobody->pw_uid), ==, 0);
  g_assert_cmpint (setrlimit (RLIMIT_NPROC, &none), ==, 0);
}

static const FailureCase failure_cases[] = {
  { "failed to create pipe for launcher command: ", no_fd_for_command },
  { "failed to create pipe for launcher reply: ", no_fd_for_reply },
  { "failed to fork process launcher process: ", no_process_for_fork },
};

static void
test_failure (gconstpointer data)
{
  const FailureCase *c = data;

  if (c->prepare == no_process_for_fork && geteuid () != 0) {
    g_test_skip ("needs root to become nobody");
    return;
  }
  if (g_test_subprocess ()) {
    Fixture fixture = { 0 };
    g_autoptr (GError) error = NULL;
    struct rlimit saved;
    guint before;

    fixture_setup (&fixture, NULL);
    before = n_open_fds ();
    g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
    c->prepare ();
    g_assert_false (milter_manager_daemon_fork_launcher (&fixture.daemon, &error));
    g_assert_error (error, MILTER_MANAGER_DAEMON_LAUNCHER_ERROR, 0);
    g_assert_true (g_str_has_prefix (error->message, c->line));
    milter_test_assert_logged (fixture.capture, MILTER_LOG_LEVEL_ERROR, 0, c->line);
    g_assert_null (fixture.daemon.launcher);
    g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
    g_assert_cmpuint (n_open_fds (), ==, before);
    fixture_teardown (&fixture, NULL);
    return;
  }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/daemon/launcher-fork/forked", Fixture, NULL, fixture_setup, test_forked,
              fixture_teardown);
  g_test_add ("/daemon/launcher-fork/not-privileged", Fixture, NULL, fixture_setup,
              test_not_privileged, fixture_teardown);
  g_test_add ("/daemon/launcher-fork/share", Fixture, NULL, fixture_setup, test_share,
              fixture_teardown);
  g_test_add_data_func ("/daemon/launcher-fork/failure/command-pipe", &failure_cases[0],
                        test_failure);
  g_test_add_data_func ("/daemon/launcher-fork/failure/reply-pipe", &failure_cases[1],
                        test_failure);
  g_test_add_data_func ("/daemon/launcher-fork/failure/fork", &failure_cases[2],
                        test_failure);
  return g_test_run ();
}

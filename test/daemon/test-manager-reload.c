/*
 * test-manager-reload - the daemon's reload (src/milter-manager-reload.c)
 * in process: a good reload swaps in a new configuration while a session
 * holding the old one keeps it unchanged; a failed reload keeps the old
 * configuration and settings and logs why (a log file that cannot be
 * opened too); the command line stays over
 * the files after every reload; the log level follows the file (a
 * removed log.level line goes back to the default); a failing clear
 * (before a load) or dispose (of a replaced model) is logged and the
 * reload goes on.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "src/milter-manager-daemon.h"
#include "test/lib/milter-test-log.h"
#include "test/ruby/ruby-test-env.h"

typedef struct {
  gchar *dir;
  MilterManagerDaemon daemon;
} Fixture;

static void
write_conf (Fixture *fixture, const gchar *text)
{
  g_autofree gchar *path = g_build_filename (fixture->dir, "milter-manager.conf", NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
start (Fixture *fixture, const gchar *arguments)
{
  g_autofree gchar *line = g_strconcat ("milter-manager ", arguments, NULL);
  g_auto (GStrv) argv = NULL;
  gint argc = 0;
  g_assert_true (g_shell_parse_argv (line, &argc, &argv, NULL));
  gchar **copy = g_memdup2 (argv, sizeof (gchar *) * (gsize) (argc + 1));
  milter_manager_daemon_init (&fixture->daemon);
  milter_manager_command_line_init (&fixture->daemon.command_line);
  g_assert_true (milter_manager_command_line_parse (&fixture->daemon.command_line, &argc,
                                                    &copy, NULL));
  g_free (copy);
  fixture->daemon.load_path = g_new0 (gchar *, 2);
  fixture->daemon.load_path[0] = g_strdup (fixture->dir);
  g_autoptr (GError) error = NULL;
  gboolean reloaded = milter_manager_daemon_reload (&fixture->daemon, &error);
  g_assert_no_error (error);
  g_assert_true (reloaded);
}

static void
setup (Fixture *fixture, gconstpointer data)
{
  (void) data;
  fixture->dir = g_dir_make_tmp ("milter-reload-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
}

static void
teardown (Fixture *fixture, gconstpointer data)
{
  (void) data;
  milter_manager_daemon_clear (&fixture->daemon);
  g_autofree gchar *path = g_build_filename (fixture->dir, "milter-manager.conf", NULL);
  g_unlink (path);
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  milter_logger_reset ();
}

static const gchar *
first_egg_name (MilterManagerConfiguration *configuration)
{
  GPtrArray *eggs = milter_manager_configuration_get_eggs (configuration);
  return eggs->len ? milter_manager_egg_get_name (eggs->pdata[0]) : NULL;
}

#define MILTER(name) "define_milter(\"" name "\") do |m|\n" \
  "  m.connection_spec = \"inet:1@[127.0.0.1]\"\nend\n"

static void
test_swap_keeps_sessions (Fixture *fixture, gconstpointer data)
{
  (void) data;
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  write_conf (fixture, "log.use_syslog = false\nmanager.fallback_status = \"reject\"\n" MILTER ("old"));
  start (fixture, "");
  /* A session in flight holds the configuration it started with. */
  g_autoptr (MilterManagerConfiguration) session = g_object_ref (fixture->daemon.configuration);

  write_conf (fixture, "log.use_syslog = false\n" MILTER ("new") MILTER ("newer"));
  g_autoptr (GError) error = NULL;
  g_assert_true (milter_manager_daemon_reload (&fixture->daemon, &error));
  g_assert_no_error (error);

  g_assert_true (fixture->daemon.configuration != session);
  g_assert_cmpstr (first_egg_name (fixture->daemon.configuration), ==, "new");
  g_assert_cmpint (milter_manager_configuration_get_fallback_status (fixture->daemon.configuration),
                   ==, MILTER_STATUS_ACCEPT);
  g_assert_cmpstr (first_egg_name (session), ==, "old");
  g_assert_cmpuint (milter_manager_configuration_get_eggs (session)->len, ==, 1);
  g_assert_cmpint (milter_manager_configuration_get_fallback_status (session), ==,
                   MILTER_STATUS_REJECT);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_INFO, 0,
                             "[manager][reload][success] configuration reloaded: "
                             "milters: [new, newer]");
}

static void
test_failed_reload_keeps_old (Fixture *fixture, gconstpointer data)
{
  (void) data;
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  write_conf (fixture, "log.use_syslog = false\nmanager.max_connections = 5\n" MILTER ("kept"));
  start (fixture, "");
  MilterManagerConfiguration *before = fixture->daemon.configuration;
  MilterManagerDaemonSettings *settings_before = fixture->daemon.settings;

  write_conf (fixture, "manager.max_connections = 7\n" MILTER ("lost")
              "manager.fallback_status = \"perhaps\"\n");
  g_autoptr (GError) error = NULL;
  g_assert_false (milter_manager_daemon_reload (&fixture->daemon, &error));
  g_assert_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION);
  g_autofree gchar *where = g_strdup_printf ("%s/milter-manager.conf:5: ", fixture->dir);
  g_assert_true (g_str_has_prefix (error->message, where));

  g_assert_true (fixture->daemon.configuration == before);
  g_assert_true (fixture->daemon.settings == settings_before);
  g_assert_cmpuint (fixture->daemon.settings->max_connections, ==, 5);
  g_assert_cmpstr (first_egg_name (fixture->daemon.configuration), ==, "kept");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0, "[configuration][load][error]");
}

/* The new log file cannot be opened: the whole reload is refused. */
static void
test_unopenable_log_file (Fixture *fixture, gconstpointer data)
{
  (void) data;
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  write_conf (fixture, "log.use_syslog = false\n" MILTER ("kept"));
  start (fixture, "");
  MilterManagerConfiguration *before = fixture->daemon.configuration;
  write_conf (fixture, "log.use_syslog = false\nlog.path = \"/nonexistent-dir/mm.log\"\n"
              MILTER ("lost"));
  g_autoptr (GError) error = NULL;
  g_assert_false (milter_manager_daemon_reload (&fixture->daemon, &error));
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, "log.path: "));
  g_assert_true (fixture->daemon.configuration == before);
  g_assert_cmpstr (first_egg_name (fixture->daemon.configuration), ==, "kept");
}

static void
test_command_line_stays (Fixture *fixture, gconstpointer data)
{
  (void) data;
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  write_conf (fixture, "log.use_syslog = false\nmanager.n_workers = 1\n"
              "manager.packet_buffer_size = 10\n");
  start (fixture, "-s inet:3333@127.0.0.1 --n-workers=4 --packet-buffer-size=4096");
  write_conf (fixture, "log.use_syslog = false\nmanager.n_workers = 2\n"
              "manager.connection_spec = \"inet:4444@127.0.0.1\"\n"
              "manager.packet_buffer_size = 20\nmanager.max_connections = 3\n");
  g_assert_true (milter_manager_daemon_reload (&fixture->daemon, NULL));
  MilterManagerDaemonSettings *settings = fixture->daemon.settings;
  g_assert_cmpstr (settings->connection_spec, ==, "inet:3333@127.0.0.1");
  g_assert_cmpuint (settings->n_workers, ==, 4);
  g_assert_cmpuint (settings->max_connections, ==, 3);   /* not on the command line */
  g_assert_cmpuint (milter_manager_configuration_get_packet_buffer_size
                    (fixture->daemon.configuration), ==, 4096);
}

static void
test_log_level_follows_file (Fixture *fixture, gconstpointer data)
{
  (void) data;
  write_conf (fixture, "log.use_syslog = false\nlog.level = \"error\"\n");
  start (fixture, "");
  g_assert_cmphex (milter_logger_get_levels (), ==, MILTER_LOG_LEVEL_ERROR);
  /* The line removed: back to the default (configuration.md §6 quirk 4). */
  write_conf (fixture, "log.use_syslog = false\n");
  g_assert_true (milter_manager_daemon_reload (&fixture->daemon, NULL));
  g_assert_cmphex (milter_logger_get_levels (), ==, fixture->daemon.default_log_levels);
  g_assert_cmphex (milter_logger_get_levels (), !=, MILTER_LOG_LEVEL_ERROR);
}

/* Configuration files can reach into the Ruby library; these break (and
 * then mend) the two steps around a load, the only way a clear fails. */
#define BREAK_RESET \
  "module Milter::Manager::PendingFeatures\n" \
  "  class << self\n" \
  "    alias_method :reset_unbroken, :reset unless method_defined?(:reset_unbroken)\n" \
  "    def reset; raise 'no reset'; end\n" \
  "  end\nend\n"
#define MEND_RESET \
  "module Milter::Manager::PendingFeatures\n" \
  "  class << self\n    def reset; reset_unbroken; end\n  end\nend\n"
#define BREAK_RELEASE \
  "class Milter::Manager::DatabaseSection\n" \
  "  alias_method :release_unbroken, :release unless method_defined?(:release_unbroken)\n" \
  "  def release; raise 'no release'; end\nend\n"
#define MEND_RELEASE \
  "class Milter::Manager::DatabaseSection\n  def release; release_unbroken; end\nend\n"

static void
assert_reloads (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (milter_manager_daemon_reload (&fixture->daemon, &error));
  g_assert_no_error (error);
}

/* A clear that fails is logged (the Ruby side's row, then the phase's)
 * and the load goes on. */
static void
test_clear_errors (Fixture *fixture, gconstpointer data)
{
  (void) data;
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  write_conf (fixture, "log.use_syslog = false\n" BREAK_RESET MILTER ("a"));
  start (fixture, "");
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ERROR,
                                                   "[configuration]"), ==, 0);

  write_conf (fixture, "log.use_syslog = false\n" BREAK_RESET MILTER ("b"));
  assert_reloads (fixture);
  g_assert_cmpstr (first_egg_name (fixture->daemon.configuration), ==, "b");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[configuration][clear][custom][error] no reset (RuntimeError)");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[configuration][load][clear][error] no reset (RuntimeError)");

  /* A daemon's first load: the clear on creation. */
  milter_test_log_capture_clear (capture);
  milter_manager_daemon_clear (&fixture->daemon);
  write_conf (fixture, "log.use_syslog = false\n" MEND_RESET MILTER ("c"));
  start (fixture, "");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[configuration][new][clear][error] no reset (RuntimeError)");
  g_assert_cmpstr (first_egg_name (fixture->daemon.configuration), ==, "c");

  /* Mended by that load: the next clear succeeds. */
  milter_test_log_capture_clear (capture);
  assert_reloads (fixture);
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ERROR,
                                                   "[configuration]"), ==, 0);
}

/* The model a reload replaces is disposed of; a failure there is logged. */
static void
test_dispose_error (Fixture *fixture, gconstpointer data)
{
  (void) data;
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  write_conf (fixture, "log.use_syslog = false\n" BREAK_RELEASE MILTER ("a"));
  start (fixture, "");
  write_conf (fixture, "log.use_syslog = false\n" MEND_RELEASE MILTER ("b"));
  assert_reloads (fixture);
  /* Mended only once the second model's file ran, so the first one's
   * dispose after the swap... */
  milter_test_log_capture_clear (capture);
  write_conf (fixture, "log.use_syslog = false\n" BREAK_RELEASE MILTER ("c"));
  assert_reloads (fixture);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[configuration][clear][custom][error] no release (RuntimeError)");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[configuration][dispose][clear][error] no release (RuntimeError)");
  g_assert_cmpstr (first_egg_name (fixture->daemon.configuration), ==, "c");
  write_conf (fixture, "log.use_syslog = false\n" MEND_RELEASE);
  assert_reloads (fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  milter_test_use_tree_ruby_library ();
  g_unsetenv ("MILTER_MANAGER_CONFIG_DIR");
  g_test_add ("/daemon/reload/swap-keeps-sessions", Fixture, NULL, setup,
              test_swap_keeps_sessions, teardown);
  g_test_add ("/daemon/reload/failed-reload-keeps-old", Fixture, NULL, setup,
              test_failed_reload_keeps_old, teardown);
  g_test_add ("/daemon/reload/unopenable-log-file", Fixture, NULL, setup,
              test_unopenable_log_file, teardown);
  g_test_add ("/daemon/reload/command-line-stays", Fixture, NULL, setup,
              test_command_line_stays, teardown);
  g_test_add ("/daemon/reload/log-level-follows-file", Fixture, NULL, setup,
              test_log_level_follows_file, teardown);
  g_test_add ("/daemon/reload/clear-errors", Fixture, NULL, setup,
              test_clear_errors, teardown);
  g_test_add ("/daemon/reload/dispose-error", Fixture, NULL, setup,
              test_dispose_error, teardown);
  return g_test_run ();
}

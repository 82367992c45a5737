/*
 * test-manager-command-line - the options of milter-manager
 * (src/milter-manager-command-line.c): every option parsed into the
 * configuration item it overrides, bad values refused with a message naming
 * the option, and the start-up failure rows
 * (src/milter-manager-startup.c) chosen by error, and the load's row for
 * a failing custom file (src/milter-manager-daemon.c).
 */
#include "config.h"

#include <string.h>

#include <milter/client/milter-client-process.h>
#include <milter/core/milter-socket.h>
#include "src/milter-manager-command-line.h"
#include "src/milter-manager-daemon.h"
#include "test/lib/milter-test-log.h"

static gboolean
parse (MilterManagerCommandLine *command_line, const gchar *arguments, GError **error)
{
  g_autofree gchar *line = g_strconcat ("milter-manager ", arguments, NULL);
  gchar **argv = NULL;
  gint argc = 0;
  g_assert_true (g_shell_parse_argv (line, &argc, &argv, NULL));
  gchar **owned = argv;   /* GOption rearranges argv */
  gchar **copy = g_memdup2 (argv, sizeof (gchar *) * (gsize) (argc + 1));
  gboolean ok = milter_manager_command_line_parse (command_line, &argc, &copy, error);
  g_free (copy);
  g_strfreev (owned);
  return ok;
}

/* The override of KEY the command line gives, printed; "-" for none. */
static gchar *
override_of (const MilterManagerCommandLine *command_line, const gchar *key)
{
  g_autoptr (GVariant) overrides = milter_manager_command_line_overrides (command_line);
  g_autoptr (GVariant) value = g_variant_lookup_value (overrides, key, NULL);
  return value ? g_variant_print (value, FALSE) : g_strdup ("-");
}

static void
test_options (void)
{
  static const struct {
    const gchar *arguments, *key, *expected;
  } cases[] = {
    { "", "manager.connection_spec", "-" },   /* the configuration's */
    { "", "log.level", "-" },
    { "", "manager.daemon", "-" },
    { "", "manager.packet_buffer_size", "-" },
    { "", "manager.n_workers", "-" },
    { "-s unix:/tmp/a.sock", "manager.connection_spec", "'unix:/tmp/a.sock'" },
    { "--connection-spec=inet:2525", "manager.connection_spec", "'inet:2525'" },
    { "--log-level=error|statistics", "log.level", "'error|statistics'" },
    { "-v", "log.level", "'all'" },
    { "--verbose", "log.level", "'all'" },
    { "-q", "log.level", "'none'" },
    { "--quiet", "log.level", "'none'" },
    { "-v --log-level=error", "log.level", "'error'" },
    { "-q -v", "log.level", "'all'" },
    { "--log-path=/tmp/mm.log", "log.path", "'/tmp/mm.log'" },
    { "--log-path=-", "log.path", "nothing" },
    { "--syslog", "log.use_syslog", "true" },
    { "", "log.use_syslog", "-" },
    { "--syslog-facility=local3", "log.syslog_facility", "'local3'" },
    { "--daemon", "manager.daemon", "true" },
    { "--daemon --no-daemon", "manager.daemon", "false" },
    { "--no-daemon", "manager.daemon", "false" },
    { "-u nobody", "security.effective_user", "'nobody'" },
    { "--user=nobody", "security.effective_user", "'nobody'" },
    { "--user-name=nobody", "security.effective_user", "'nobody'" },
    { "--user-id=0", "security.effective_user", "'root'" },
    { "-u 0", "security.effective_user", "'root'" },
    { "-g nogroup", "security.effective_group", "'nogroup'" },
    { "--group=nogroup", "security.effective_group", "'nogroup'" },
    { "--group-name=nogroup", "security.effective_group", "'nogroup'" },
    { "--group-id=0", "security.effective_group", "'root'" },
    { "-g 0", "security.effective_group", "'root'" },
    { "--unix-socket-group=mail", "manager.unix_socket_group", "'mail'" },
    { "--socket-group-name=mail", "manager.unix_socket_group", "'mail'" },
    { "--unix-socket-mode=0600", "manager.unix_socket_mode", "384" },
    { "--unix-socket-mode=666", "manager.unix_socket_mode", "438" },
    { "--n-workers=4", "manager.n_workers", "4" },
    { "--n-workers=1000", "manager.n_workers", "1000" },
    { "--n-workers=0", "manager.n_workers", "0" },
    { "--event-loop-backend=libev", "manager.event_loop_backend", "'libev'" },
    { "--event-loop-backend=glib", "manager.event_loop_backend", "'glib'" },
    { "--packet-buffer-size=8192", "manager.packet_buffer_size", "8192" },
    { "--pid-file=/run/mm.pid", "manager.pid_file", "'/run/mm.pid'" },
    { "--max-connections=9", "manager.max_connections", "9" },
    { "--max-pending-finished-sessions=6", "manager.max_pending_finished_sessions", "6" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
    MilterManagerCommandLine command_line;
    g_autoptr (GError) error = NULL;
    milter_manager_command_line_init (&command_line);
    gboolean ok = parse (&command_line, cases[i].arguments, &error);
    g_assert_no_error (error);
    g_assert_true (ok);
    g_autofree gchar *value = override_of (&command_line, cases[i].key);
    if (g_strcmp0 (value, cases[i].expected) != 0)
      g_test_fail_printf ("'%s' %s: %s, expected %s", cases[i].arguments, cases[i].key, value,
                          cases[i].expected);
    milter_manager_command_line_clear (&command_line);
  }
}

static void
test_config_dir_and_show_config (void)
{
  MilterManagerCommandLine command_line;
  milter_manager_command_line_init (&command_line);
  g_assert_true (parse (&command_line, "-c /etc/mm --show-config", NULL));
  g_assert_cmpstr (command_line.config_dir, ==, "/etc/mm");
  g_assert_true (command_line.show_config);
  milter_manager_command_line_clear (&command_line);
  milter_manager_command_line_init (&command_line);
  g_assert_true (parse (&command_line, "--config-dir=/x", NULL));
  g_assert_cmpstr (command_line.config_dir, ==, "/x");
  g_assert_false (command_line.show_config);
  milter_manager_command_line_clear (&command_line);
}

static void
test_deprecated_socket_group_name (void)
{
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  MilterManagerCommandLine command_line;
  milter_manager_command_line_init (&command_line);
  g_assert_true (parse (&command_line, "--socket-group-name=mail", NULL));
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_WARNING, 0,
                             "[manager][option][deprecated] --socket-group-name is deprecated");
  milter_manager_command_line_clear (&command_line);
}

static void
test_refused (void)
{
  static const struct {
    const gchar *arguments, *message;
  } cases[] = {
    { "--connection-spec=nowhere:1", "--connection-spec: " },
    { "-s inet:", "--connection-spec: " },
    { "--log-level=loud", "--log-level: " },
    { "--syslog-facility=bogus", "--syslog-facility: " },
    { "--unix-socket-mode=0999", "--unix-socket-mode: not an octal mode: '0999'" },
    { "--unix-socket-mode=", "--unix-socket-mode: not an octal mode: ''" },
    { "--unix-socket-mode=77777", "--unix-socket-mode: not an octal mode: '77777'" },
    { "--event-loop-backend=epoll", "--event-loop-backend: 'epoll' is neither glib nor libev" },
    { "--n-workers=1001", "--n-workers: at most 1000, not 1001" },
    { "--n-workers=many", "Cannot parse integer value “many” for --n-workers" },
    { "--n-workers=-2", "counts (" },
    { "--max-pending-finished-sessions=-5", "counts (" },
    { "--user-id=abc", "--user-id: not a user id: 'abc'" },
    { "--user-id=4000000000", "--user-id: no user has the id 4000000000" },
    { "--group-id=4000000000", "--group-id: no group has the id 4000000000" },
    { "-u 4000000000", "--user: no user has the id 4000000000" },
    { "--no-such-option", "Unknown option --no-such-option" },
    { "--config-dir", "Missing argument for --config-dir" },
    { "extra", "unexpected argument: 'extra'" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    MilterManagerCommandLine command_line;
    g_autoptr (GError) error = NULL;
    milter_manager_command_line_init (&command_line);
    g_assert_false (parse (&command_line, cases[i].arguments, &error));
    g_assert_nonnull (error);
    g_assert_true (error->domain == G_OPTION_ERROR);
    if (!g_str_has_prefix (error->message, cases[i].message))
      g_test_fail_printf ("'%s': '%s' does not start with '%s'", cases[i].arguments,
                          error->message, cases[i].message);
    milter_manager_command_line_clear (&command_line);
  }
}

static void
test_startup_failure_rows (void)
{
  static const struct {
    GQuark (*domain) (void);
    gint code;
    MilterManagerStartupFailure expected;
  } cases[] = {
    { milter_client_error_quark, MILTER_CLIENT_ERROR_LISTEN, MILTER_MANAGER_STARTUP_FAILURE_LISTEN },
    { milter_client_error_quark, MILTER_CLIENT_ERROR_UNIX_SOCKET, MILTER_MANAGER_STARTUP_FAILURE_LISTEN },
    { milter_client_error_quark, MILTER_CLIENT_ERROR_SPEC, MILTER_MANAGER_STARTUP_FAILURE_LISTEN },
    { milter_client_error_quark, MILTER_CLIENT_ERROR_PREPARE, MILTER_MANAGER_STARTUP_FAILURE_OTHER },
    /* The listener passes milter_socket_bind()'s error up unchanged. */
    { milter_socket_error_quark, MILTER_SOCKET_ERROR_FAILED, MILTER_MANAGER_STARTUP_FAILURE_LISTEN },
    { milter_socket_error_quark, MILTER_SOCKET_ERROR_IN_USE, MILTER_MANAGER_STARTUP_FAILURE_LISTEN },
    { milter_client_error_quark, MILTER_CLIENT_ERROR_PROCESS, MILTER_MANAGER_STARTUP_FAILURE_OTHER },
    { milter_client_process_error_quark, MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_USER,
      MILTER_MANAGER_STARTUP_FAILURE_DROP_PRIVILEGE },
    { milter_client_process_error_quark, MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_GROUP,
      MILTER_MANAGER_STARTUP_FAILURE_DROP_PRIVILEGE },
    { milter_client_process_error_quark, MILTER_CLIENT_PROCESS_ERROR_PRIVILEGE,
      MILTER_MANAGER_STARTUP_FAILURE_DROP_PRIVILEGE },
    { milter_client_process_error_quark, MILTER_CLIENT_PROCESS_ERROR_DAEMON,
      MILTER_MANAGER_STARTUP_FAILURE_DAEMONIZE },
    { milter_client_process_error_quark, MILTER_CLIENT_PROCESS_ERROR_PID_FILE,
      MILTER_MANAGER_STARTUP_FAILURE_OTHER },
    { g_file_error_quark, G_FILE_ERROR_NOENT, MILTER_MANAGER_STARTUP_FAILURE_OTHER },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = g_error_new_literal (cases[i].domain (), cases[i].code, "x");
    g_assert_cmpint (milter_manager_startup_failure_classify (error), ==, cases[i].expected);
  }
}

static void
test_custom_file (void)
{
  static const struct {
    const gchar *path;
    gboolean custom;
  } cases[] = {
    { "/etc/milter-manager/milter-manager.custom.conf", TRUE },
    { "milter-manager.custom.conf", TRUE },
    { "/home/mm/.milter-manager/milter-manager.custom.conf", TRUE },
    { "/etc/milter-manager/milter-manager.conf", FALSE },
    { "/etc/milter-manager/milter-manager.custom.conf.orig", FALSE },
    { "/etc/milter-manager.custom.conf/milter-manager.conf", FALSE },
    { NULL, FALSE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_manager_daemon_is_custom_file (cases[i].path), ==, cases[i].custom);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon/command-line/options", test_options);
  g_test_add_func ("/daemon/command-line/config-dir-and-show-config",
                   test_config_dir_and_show_config);
  g_test_add_func ("/daemon/command-line/deprecated-socket-group-name",
                   test_deprecated_socket_group_name);
  g_test_add_func ("/daemon/command-line/refused", test_refused);
  g_test_add_func ("/daemon/startup/failure-rows", test_startup_failure_rows);
  g_test_add_func ("/daemon/load/custom-file", test_custom_file);
  return g_test_run ();
}

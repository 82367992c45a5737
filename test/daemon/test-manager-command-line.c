/*
 * test-manager-command-line - the options of milter-manager
 * (src/milter-manager-command-line.c): every option parsed and laid over
 * the configuration's settings, bad values refused with a message naming
 * the option, and the start-up failure rows
 * (src/milter-manager-startup.c) chosen by error, and the load's row for
 * a failing custom file (src/milter-manager-daemon.c).
 */
#include "config.h"

#include <string.h>

#include <milter/client/milter-client-process.h>
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

/* One settings value (or the packet buffer size) as text. */
static gchar *
describe (const MilterManagerCommandLine *command_line, MilterManagerDaemonSettings *s,
          MilterManagerConfiguration *c, const gchar *key)
{
  if (g_str_equal (key, "config_dir")) return g_strdup (command_line->config_dir);
  if (g_str_equal (key, "show_config")) return g_strdup (command_line->show_config ? "true" : "false");
  if (g_str_equal (key, "connection_spec")) return g_strdup (s->connection_spec);
  if (g_str_equal (key, "log_level"))
    return s->log_level_set ? milter_log_level_to_string (s->log_levels) : g_strdup ("default");
  if (g_str_equal (key, "log_path")) return g_strdup (s->log_path ? s->log_path : "nil");
  if (g_str_equal (key, "use_syslog")) return g_strdup (s->use_syslog ? "true" : "false");
  if (g_str_equal (key, "syslog_facility")) return g_strdup (s->syslog_facility);
  if (g_str_equal (key, "daemon")) return g_strdup (s->daemon ? "true" : "false");
  if (g_str_equal (key, "effective_user")) return g_strdup (s->effective_user ? s->effective_user : "nil");
  if (g_str_equal (key, "effective_group"))
    return g_strdup (s->effective_group ? s->effective_group : "nil");
  if (g_str_equal (key, "unix_socket_group"))
    return g_strdup (s->unix_socket_group ? s->unix_socket_group : "nil");
  if (g_str_equal (key, "unix_socket_mode")) return g_strdup_printf ("0%o", s->unix_socket_mode);
  if (g_str_equal (key, "n_workers")) return g_strdup_printf ("%u", s->n_workers);
  if (g_str_equal (key, "event_loop_backend")) return g_strdup (s->event_loop_backend);
  if (g_str_equal (key, "pid_file")) return g_strdup (s->pid_file ? s->pid_file : "nil");
  if (g_str_equal (key, "max_connections")) return g_strdup_printf ("%u", s->max_connections);
  if (g_str_equal (key, "max_pending_finished_sessions"))
    return g_strdup_printf ("%u", s->max_pending_finished_sessions);
  if (g_str_equal (key, "packet_buffer_size"))
    return g_strdup_printf ("%" G_GSIZE_FORMAT,
                            milter_manager_configuration_get_packet_buffer_size (c));
  g_error ("unknown key %s", key);
  return NULL;
}

static void
test_options (void)
{
  static const struct {
    const gchar *arguments, *key, *expected;
  } cases[] = {
    { "", "connection_spec", "inet:10025@[127.0.0.1]" },  /* the configuration's */
    { "", "log_level", "default" },
    { "", "daemon", "false" },
    { "-c /etc/mm", "config_dir", "/etc/mm" },
    { "--config-dir=/etc/mm", "config_dir", "/etc/mm" },
    { "--show-config", "show_config", "true" },
    { "-s unix:/tmp/a.sock", "connection_spec", "unix:/tmp/a.sock" },
    { "--connection-spec=inet:2525", "connection_spec", "inet:2525" },
    { "--log-level=error|statistics", "log_level", "error|statistics" },
    { "-v", "log_level", "critical|error|warning|info|debug|statistics|profile" },
    { "--verbose", "log_level", "critical|error|warning|info|debug|statistics|profile" },
    { "-q", "log_level", "none" },
    { "--quiet", "log_level", "none" },
    { "-v --log-level=error", "log_level", "error" },
    { "-q -v", "log_level", "critical|error|warning|info|debug|statistics|profile" },
    { "--log-path=/tmp/mm.log", "log_path", "/tmp/mm.log" },
    { "--log-path=-", "log_path", "nil" },
    { "--syslog", "use_syslog", "true" },
    { "--syslog-facility=local3", "syslog_facility", "local3" },
    { "--daemon", "daemon", "true" },
    { "--daemon --no-daemon", "daemon", "false" },
    { "--no-daemon", "daemon", "false" },
    { "-u nobody", "effective_user", "nobody" },
    { "--user=nobody", "effective_user", "nobody" },
    { "--user-name=nobody", "effective_user", "nobody" },
    { "--user-id=0", "effective_user", "root" },
    { "-u 0", "effective_user", "root" },
    { "-g nogroup", "effective_group", "nogroup" },
    { "--group=nogroup", "effective_group", "nogroup" },
    { "--group-name=nogroup", "effective_group", "nogroup" },
    { "--group-id=0", "effective_group", "root" },
    { "-g 0", "effective_group", "root" },
    { "--unix-socket-group=mail", "unix_socket_group", "mail" },
    { "--socket-group-name=mail", "unix_socket_group", "mail" },
    { "--unix-socket-mode=0600", "unix_socket_mode", "0600" },
    { "--unix-socket-mode=666", "unix_socket_mode", "0666" },
    { "--n-workers=4", "n_workers", "4" },
    { "--n-workers=1000", "n_workers", "1000" },
    { "--event-loop-backend=libev", "event_loop_backend", "libev" },
    { "--event-loop-backend=glib", "event_loop_backend", "glib" },
    { "--packet-buffer-size=8192", "packet_buffer_size", "8192" },
    { "", "packet_buffer_size", "0" },
    { "--pid-file=/run/mm.pid", "pid_file", "/run/mm.pid" },
    { "--max-connections=9", "max_connections", "9" },
    { "--max-pending-finished-sessions=6", "max_pending_finished_sessions", "6" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
    MilterManagerCommandLine command_line;
    g_autoptr (GError) error = NULL;
    milter_manager_command_line_init (&command_line);
    gboolean ok = parse (&command_line, cases[i].arguments, &error);
    g_assert_no_error (error);
    g_assert_true (ok);
    g_autoptr (MilterManagerDaemonSettings) settings = milter_manager_daemon_settings_new ();
    settings->connection_spec = g_strdup ("inet:10025@[127.0.0.1]");
    g_autoptr (MilterManagerConfiguration) configuration = milter_manager_configuration_new ();
    milter_manager_command_line_override (&command_line, settings, configuration);
    g_autofree gchar *value = describe (&command_line, settings, configuration, cases[i].key);
    if (g_strcmp0 (value, cases[i].expected) != 0)
      g_test_fail_printf ("'%s' %s: %s, expected %s", cases[i].arguments, cases[i].key, value,
                          cases[i].expected);
    milter_manager_command_line_clear (&command_line);
  }
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
  g_test_add_func ("/daemon/command-line/deprecated-socket-group-name",
                   test_deprecated_socket_group_name);
  g_test_add_func ("/daemon/command-line/refused", test_refused);
  g_test_add_func ("/daemon/startup/failure-rows", test_startup_failure_rows);
  g_test_add_func ("/daemon/load/custom-file", test_custom_file);
  return g_test_run ();
}

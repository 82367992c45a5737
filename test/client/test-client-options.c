/*
 * test-client-options - the common option group and its application
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/client/milter-client-options.h>

#include "../lib/milter-test-log.h"

typedef struct {
  MilterClientOptions options;
  GOptionContext *context;
  MilterClient *client;
  MilterTestLogCapture *capture;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  (void) data;
  f->capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  milter_client_options_init (&f->options, "test-milter", "1.2.3",
                              "inet:12345@[127.0.0.1]");
  f->context = g_option_context_new (NULL);
  g_option_context_add_group (f->context,
                              milter_client_options_group_new (&f->options));
  f->client = milter_client_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  g_option_context_free (f->context);
  milter_client_options_clear (&f->options);
  g_object_unref (f->client);
  milter_test_log_capture_stop (f->capture);
  milter_logger_reset ();
}

static gboolean
parse (Fixture *f, const gchar *command_line, GError **error)
{
  g_auto (GStrv) argv = NULL;
  gint argc;

  g_assert_true (g_shell_parse_argv (command_line, &argc, &argv, NULL));
  return g_option_context_parse_strv (f->context, &argv, error) &&
         milter_client_options_apply (&f->options, f->client, error);
}

static void
test_replacement (void)
{
  g_assert_cmpstr (milter_client_options_replacement ("--spec"), ==,
                   "--connection-spec");
  g_assert_cmpstr (milter_client_options_replacement ("--max-connection"), ==,
                   "--max-connections");
  g_assert_cmpstr (milter_client_options_replacement ("--n-worker"), ==,
                   "--n-workers");
  g_assert_null (milter_client_options_replacement ("--connection-spec"));
  g_assert_null (milter_client_options_replacement (NULL));
}

static void
test_all_options (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *log_path = g_build_filename (g_get_tmp_dir (),
                                                 "test-client-options.log",
                                                 NULL);
  g_autofree gchar *command_line =
    g_strdup_printf ("prog -s unix:/tmp/x.sock --log-level error|statistics "
                     "--log-path %s --no-daemon -u nobody -g nogroup "
                     "--unix-socket-mode 0660 --unix-socket-group mail "
                     "--n-workers 3 --event-loop-backend libev "
                     "--packet-buffer-size 4096 --pid-file /tmp/x.pid "
                     "--max-connections 7", log_path);

  (void) data;
  g_assert_true (parse (f, command_line, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (milter_client_get_connection_spec (f->client), ==,
                   "unix:/tmp/x.sock");
  g_assert_cmpuint (milter_client_get_n_workers (f->client), ==, 3);
  g_assert_cmpuint (milter_client_get_max_connections (f->client), ==, 7);
  g_assert_cmpstr (milter_client_get_event_loop_backend (f->client), ==,
                   "libev");
  g_assert_cmpint (milter_logger_get_levels (), ==,
                   MILTER_LOG_LEVEL_ERROR | MILTER_LOG_LEVEL_STATISTICS);
  g_assert_cmpstr (f->options.user, ==, "nobody");
  g_assert_cmpstr (f->options.group, ==, "nogroup");
  g_assert_true (f->options.no_daemon);
  g_unlink (log_path);
}

static void
test_synonyms_and_verbose (Fixture *f, gconstpointer data)
{
  (void) data;
  g_assert_true (parse (f, "prog --user-name mail --group-name mail -v", NULL));
  g_assert_cmpstr (f->options.user_name, ==, "mail");
  g_assert_cmpstr (f->options.group_name, ==, "mail");
  g_assert_cmpint (milter_logger_get_levels (), ==, MILTER_LOG_LEVEL_ALL);
  /* No -s: the program's default. */
  g_assert_cmpstr (milter_client_get_connection_spec (f->client), ==,
                   "inet:12345@[127.0.0.1]");
}

static void
test_deprecated (Fixture *f, gconstpointer data)
{
  (void) data;
  g_assert_true (parse (f, "prog --spec inet:2025 --max-connection 9 "
                           "--n-worker 2", NULL));
  g_assert_cmpstr (milter_client_get_connection_spec (f->client), ==,
                   "inet:2025");
  g_assert_cmpuint (milter_client_get_max_connections (f->client), ==, 9);
  g_assert_cmpuint (milter_client_get_n_workers (f->client), ==, 2);
  g_assert_cmpuint (milter_test_log_capture_count (f->capture,
                                                   MILTER_LOG_LEVEL_WARNING,
                                                   "[client][option][deprecated]"),
                    ==, 3);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_WARNING, 0,
                             "[client][option][deprecated] --spec is "
                             "deprecated: use --connection-spec");
}

static void
test_bad_values (Fixture *f, gconstpointer data)
{
  static const gchar *const command_lines[] = {
    "prog --event-loop-backend epoll",
    "prog --unix-socket-mode 0999",
    "prog --log-level loud",
    "prog -s bogus:1",
    "prog --syslog --syslog-facility nowhere",
    "prog --max-connection lots",
  };

  (void) data;
  for (guint i = 0; i < G_N_ELEMENTS (command_lines); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (parse (f, command_lines[i], &error));
    g_assert_nonnull (error);
  }
}

static void
test_bad_default_spec (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  g_free (f->options.default_connection_spec);
  f->options.default_connection_spec = g_strdup ("inet:notaport");
  g_assert_false (parse (f, "prog", &error));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][connection-spec][default][error]");
}

static void
test_version (void)
{
  if (g_test_subprocess ()) {
    Fixture f;
    setup (&f, NULL);
    parse (&f, "prog --version", NULL);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("test-milter 1.2.3\n");
}

static void
test_help_lists_options (void)
{
  MilterClientOptions options;
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autofree gchar *help = NULL;
  static const gchar *const names[] = {
    "--connection-spec", "--log-level", "--log-path", "--syslog",
    "--syslog-facility", "--daemon", "--no-daemon", "--user", "--group",
    "--user-name", "--group-name", "--unix-socket-mode",
    "--unix-socket-group", "--n-workers", "--event-loop-backend",
    "--packet-buffer-size", "--pid-file", "--max-connections", "--verbose",
    "--version",
  };
  GOptionGroup *group;

  milter_client_options_init (&options, "x", "1", NULL);
  group = milter_client_options_group_new (&options);
  g_option_context_add_group (context, group);
  help = g_option_context_get_help (context, FALSE, group);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_nonnull (strstr (help, names[i]));
  g_assert_null (strstr (help, "--spec "));
  milter_client_options_clear (&options);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/options/replacement", test_replacement);
  g_test_add_func ("/client/options/version", test_version);
  g_test_add_func ("/client/options/help", test_help_lists_options);
#define ADD(path, func) \
  g_test_add ("/client/options/" path, Fixture, NULL, setup, func, teardown)
  ADD ("all", test_all_options);
  ADD ("synonyms-and-verbose", test_synonyms_and_verbose);
  ADD ("deprecated", test_deprecated);
  ADD ("bad-values", test_bad_values);
  ADD ("bad-default-spec", test_bad_default_spec);
#undef ADD
  return g_test_run ();
}

/*
 * test-ruby-configuration - the C embedding of the Ruby configuration
 * (binding/ruby/milter-manager-ruby-configuration.c and friends): load
 * path, GErrors with FILE and LINE for broken files, Ruby exceptions that
 * must not crash the process, dump and the GVariant model.
 *
 * Each case writes its configuration files into a private temporary
 * directory. The Ruby library is taken from the source and build trees
 * ($top_srcdir, $top_builddir, set by make check).
 */
#include "config.h"

#include <glib/gstdio.h>

#include "binding/ruby/milter-manager-ruby-configuration.h"
#include "test/ruby/ruby-test-env.h"
#include "test/lib/milter-test-log.h"

static gchar *work_dir;

static void
write_file (const gchar *name, const gchar *content)
{
  g_autofree gchar *path = g_build_filename (work_dir, name, NULL);
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, content, -1, NULL));
}

static MilterManagerRubyConfiguration *
load (gchar **file, guint *line, GError **error)
{
  const gchar *path[] = { work_dir, NULL };
  return milter_manager_ruby_configuration_load (path, file, line, error);
}

static void
test_build_load_path (void)
{
  static const struct {
    const gchar *config_dir, *env_dir, *builtin, *expected;
  } cases[] = {
    { "/c", "/e", "/etc/mm", "/c:/e:/etc/mm" },
    { NULL, "/e", "/etc/mm", "/e:/etc/mm" },
    { "/c", NULL, "/etc/mm", "/c:/etc/mm" },
    { "/c", "", "/etc/mm", "/c:/etc/mm" },
    { NULL, NULL, "/etc/mm", "/etc/mm" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_auto (GStrv) path =
      milter_manager_ruby_configuration_build_load_path (cases[i].config_dir,
                                                         cases[i].env_dir,
                                                         cases[i].builtin);
    g_autofree gchar *joined = g_strjoinv (":", path);
    g_assert_cmpstr (joined, ==, cases[i].expected);
  }
}

static void
test_invalid_value_error (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *file = NULL;
  guint line = 0;
  write_file ("milter-manager.conf",
              "# comment\n"
              "load(\"local.conf\")\n");
  write_file ("local.conf",
              "manager.n_workers = 2\n"
              "manager.fallback_status = \"maybe\"\n");
  g_assert_null (load (&file, &line, &error));
  g_assert_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION);
  g_autofree gchar *expected_file = g_build_filename (work_dir, "local.conf", NULL);
  g_assert_cmpstr (file, ==, expected_file);
  g_assert_cmpuint (line, ==, 2);
  g_autofree gchar *expected = g_strdup_printf ("%s:2: manager.fallback_status should be one of "
                                                "[\"accept\", \"temporary-failure\", \"reject\", "
                                                "\"discard\"] but was \"maybe\"", expected_file);
  g_assert_cmpstr (error->message, ==, expected);
}

/* Ruby exceptions of every kind end as a GError naming the line. */
static void
test_ruby_exceptions (void)
{
  static const struct {
    const gchar *content;
    guint line;
    const gchar *fragment;
  } cases[] = {
    { "log.level = \"all\"\nraise \"boom\"\n", 2, "boom (RuntimeError)" },
    { "\n\nno_such_word(1)\n", 3, "NoMethodError" },
    { "define_milter(\"a\") do |m|\n  m.connection_spec = \n", 2, "syntax error" },
    { "exit 3\n", 1, "SystemExit" },
    { "load(\"missing.conf\")\n", 1, "missing.conf doesn't exist." },
    { "def f; f; end\nf\n", 1, "SystemStackError" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *file = NULL;
    guint line = 0;
    write_file ("milter-manager.conf", cases[i].content);
    g_assert_null (load (&file, &line, &error));
    g_assert_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION);
    g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, error->message);
    g_assert_nonnull (strstr (error->message, cases[i].fragment));
    g_assert_nonnull (file);
    g_assert_cmpuint (line, ==, cases[i].line);
  }
}

static void
test_missing_main_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *empty = g_build_filename (work_dir, "empty", NULL);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0700), ==, 0);
  const gchar *path[] = { empty, NULL };
  g_autofree gchar *file = NULL;
  g_assert_null (milter_manager_ruby_configuration_load (path, &file, NULL, &error));
  g_assert_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION);
  g_assert_nonnull (strstr (error->message, "milter-manager.conf doesn't exist in load path"));
  g_assert_null (file);
}

static void
test_dump_and_variant (void)
{
  g_autoptr (GError) error = NULL;
  write_file ("milter-manager.conf",
              "manager.connection_spec = \"inet:10025@[127.0.0.1]\"\n"
              "define_milter(\"clamav\") do |milter|\n"
              "  milter.connection_spec = \"unix:/run/clamav/clamav-milter.ctl\"\n"
              "  milter.writing_timeout = 12\n"
              "end\n");
  g_autoptr (MilterManagerRubyConfiguration) configuration = load (NULL, NULL, &error);
  g_assert_no_error (error);

  g_autofree gchar *text = milter_manager_ruby_configuration_dump (configuration, &error);
  g_assert_no_error (error);
  g_autofree gchar *location = g_strdup_printf ("# %s/milter-manager.conf:1\n"
                                                "manager.connection_spec = \"inet:10025@[127.0.0.1]\"\n",
                                                work_dir);
  g_assert_nonnull (strstr (text, location));
  g_assert_nonnull (strstr (text, "  milter.writing_timeout = 12.0\n"));

  g_autoptr (GVariant) model = milter_manager_ruby_configuration_to_variant (configuration, &error);
  g_assert_no_error (error);
  g_autoptr (GVariant) manager = g_variant_lookup_value (model, "manager", G_VARIANT_TYPE_VARDICT);
  const gchar *spec = NULL;
  gint64 mode = 0;
  g_assert_true (g_variant_lookup (manager, "connection_spec", "&s", &spec));
  g_assert_cmpstr (spec, ==, "inet:10025@[127.0.0.1]");
  g_assert_true (g_variant_lookup (manager, "unix_socket_mode", "x", &mode));
  g_assert_cmpint (mode, ==, 0660);
  g_autoptr (GVariant) pid_file = g_variant_lookup_value (manager, "pid_file", NULL);
  g_assert_cmpstr (g_variant_get_type_string (pid_file), ==, "mv");
  g_assert_null (g_variant_get_maybe (pid_file));

  g_autoptr (GVariant) milters = g_variant_lookup_value (model, "milters", G_VARIANT_TYPE ("av"));
  g_assert_cmpuint (g_variant_n_children (milters), ==, 1);
  g_autoptr (GVariant) boxed = g_variant_get_child_value (milters, 0);
  g_autoptr (GVariant) milter = g_variant_get_variant (boxed);
  const gchar *name = NULL;
  gdouble timeout = 0;
  g_assert_true (g_variant_lookup (milter, "name", "&s", &name));
  g_assert_cmpstr (name, ==, "clamav");
  g_assert_true (g_variant_lookup (milter, "writing_timeout", "d", &timeout));
  g_assert_cmpfloat (timeout, ==, 12.0);
}

/* Ruby's log lines reach the shared logger with their level. */
static void
test_log_bridge (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  write_file ("milter-manager.conf", "dnsbl.add_service(\"zen.example.org\")\n");
  g_autoptr (MilterManagerRubyConfiguration) configuration = load (NULL, NULL, &error);
  g_assert_no_error (error);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_WARNING, 0,
                             "[configuration][not-supported] dnsbl.add_service");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  milter_test_use_tree_ruby_library ();
  work_dir = g_dir_make_tmp ("milter-ruby-XXXXXX", NULL);
  g_assert_nonnull (work_dir);

  g_autoptr (GError) error = NULL;
  if (!milter_manager_ruby_init (&error))
    g_error ("%s", error->message);

  g_test_add_func ("/ruby/configuration/build-load-path", test_build_load_path);
  g_test_add_func ("/ruby/configuration/invalid-value-error", test_invalid_value_error);
  g_test_add_func ("/ruby/configuration/ruby-exceptions", test_ruby_exceptions);
  g_test_add_func ("/ruby/configuration/missing-main-file", test_missing_main_file);
  g_test_add_func ("/ruby/configuration/dump-and-variant", test_dump_and_variant);
  g_test_add_func ("/ruby/configuration/log-bridge", test_log_bridge);
  int status = g_test_run ();

  g_autofree gchar *command = g_strdup_printf ("rm -rf '%s'", work_dir);
  if (system (command) != 0)
    status = 1;
  g_free (work_dir);
  return status;
}

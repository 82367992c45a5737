/*
 * test-manager-custom-file - set-configuration's check and save
 * (src/milter-manager-custom-file.c): saved verbatim to the first
 * load-path directory that takes it; a directory that refuses it while
 * holding a custom file stops the search; documents that would not load,
 * that are not XML or that bring a new command are refused with the
 * reason (naming the document, not the temporary copy); the check
 * leaves the running configuration alone.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "src/milter-manager-daemon.h"
#include "test/ruby/ruby-test-env.h"

typedef struct {
  gchar *dir;         /* milter-manager.conf */
  gchar *custom_dir;  /* manager.custom_configuration_directory */
  gchar *missing;     /* a load-path entry that does not exist */
  MilterManagerDaemon daemon;
} Fixture;

#define CUSTOM "milter-manager.custom.conf"

static void
setup (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  fixture->dir = g_dir_make_tmp ("milter-custom-XXXXXX", NULL);
  fixture->custom_dir = g_dir_make_tmp ("milter-custom-dir-XXXXXX", NULL);
  fixture->missing = g_build_filename (fixture->dir, "no-such-directory", NULL);
  g_autofree gchar *conf = g_strdup_printf (
    "log.use_syslog = false\n"
    "manager.custom_configuration_directory = \"%s\"\n"
    "define_milter(\"launched\") do |m|\n"
    "  m.connection_spec = \"inet:1@[127.0.0.1]\"\n"
    "  m.command = \"/usr/bin/true\"\n"
    "  m.command_options = \"--start\"\n"
    "end\n", fixture->custom_dir);
  g_autofree gchar *path = g_build_filename (fixture->dir, "milter-manager.conf", NULL);
  g_assert_true (g_file_set_contents (path, conf, -1, NULL));
  milter_manager_daemon_init (&fixture->daemon);
  milter_manager_command_line_init (&fixture->daemon.command_line);
  fixture->daemon.load_path = g_new0 (gchar *, 3);
  fixture->daemon.load_path[0] = g_strdup (fixture->missing);
  fixture->daemon.load_path[1] = g_strdup (fixture->dir);
  g_assert_true (milter_manager_daemon_reload (&fixture->daemon, &error));
  g_assert_no_error (error);
}

static void
remove_tree (const gchar *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;
  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *child = g_build_filename (path, name, NULL);
    if (g_file_test (child, G_FILE_TEST_IS_DIR))
      remove_tree (child);
    else
      g_unlink (child);
  }
  g_rmdir (path);
}

static void
teardown (Fixture *fixture, gconstpointer data)
{
  (void) data;
  milter_manager_daemon_clear (&fixture->daemon);
  remove_tree (fixture->dir);
  remove_tree (fixture->custom_dir);
  g_free (fixture->dir);
  g_free (fixture->custom_dir);
  g_free (fixture->missing);
  milter_logger_reset ();
}

static gchar *
save (Fixture *fixture, const gchar *document, GError **error)
{
  return milter_manager_daemon_save_custom_file (&fixture->daemon, document, strlen (document),
                                                 error);
}

static void
test_first_that_takes_it (Fixture *fixture, gconstpointer data)
{
  static const gchar document[] =
    "<configuration>\n  <milters>\n    <milter>\n      <name>new</name>\n"
    "      <connection-spec>inet:2@[127.0.0.1]</connection-spec>\n"
    "    </milter>\n  </milters>\n</configuration>\n";
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = NULL;
  MilterManagerConfiguration *before = fixture->daemon.configuration;

  (void) data;
  g_assert_null (milter_manager_daemon_find_custom_file (&fixture->daemon));
  g_autofree gchar *path = save (fixture, document, &error);
  g_assert_no_error (error);
  g_autofree gchar *expected = g_build_filename (fixture->dir, CUSTOM, NULL);
  g_assert_cmpstr (path, ==, expected);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, document);
  g_assert_false (g_file_test (fixture->missing, G_FILE_TEST_EXISTS));
  g_autofree gchar *found = milter_manager_daemon_find_custom_file (&fixture->daemon);
  g_assert_cmpstr (found, ==, expected);
  /* Not applied: the same configuration, without the new milter. */
  g_assert_true (fixture->daemon.configuration == before);
  g_assert_null (milter_manager_configuration_find_egg (before, "new"));
}

static void
test_shadowed (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *in_the_way = g_build_filename (fixture->dir, CUSTOM, NULL);
  g_autofree gchar *further = g_build_filename (fixture->custom_dir, CUSTOM, NULL);

  (void) data;
  g_assert_cmpint (g_mkdir (in_the_way, 0700), ==, 0);
  g_autofree gchar *path = save (fixture, "<configuration/>\n", &error);
  g_assert_null (path);
  g_assert_error (error, MILTER_MANAGER_DAEMON_ERROR, MILTER_MANAGER_DAEMON_ERROR_SAVE);
  g_autofree gchar *start = g_strdup_printf (
    "failed to save custom configuration file: can't find writable custom configuration "
    "file in [\"%s/" CUSTOM "\"(", fixture->missing);
  g_assert_true (g_str_has_prefix (error->message, start));
  g_autofree gchar *second = g_strdup_printf ("\"%s\"(", in_the_way);
  g_assert_nonnull (strstr (error->message, second));
  g_assert_nonnull (strstr (error->message, "shadowed"));
  g_assert_false (g_file_test (further, G_FILE_TEST_EXISTS));
}

static void
test_refused (Fixture *fixture, gconstpointer data)
{
  static const struct {
    const gchar *document;
    const gchar *message;
  } cases[] = {
    { "", "invalid custom configuration: not XML (it must start with '<')" },
    { "manager.max_connections = 3\n", "invalid custom configuration: not XML" },
    { "<configuration>\n  <bogus/>\n</configuration>\n",
      "invalid custom configuration: " CUSTOM ": unexpected element: /configuration/bogus" },
    { "<other/>\n", "invalid custom configuration: " CUSTOM ": unexpected element: /other" },
    { "<configuration><milters><milter><name>launched</name>"
      "<command>/bin/sh</command></milter></milters></configuration>",
      "invalid custom configuration: milter 'launched': the controller does not take a "
      "new command" },
  };
  MilterManagerConfiguration *before = fixture->daemon.configuration;

  (void) data;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *path = save (fixture, cases[i].document, &error);
    g_assert_null (path);
    g_assert_error (error, MILTER_MANAGER_DAEMON_ERROR,
                    MILTER_MANAGER_DAEMON_ERROR_INVALID_CUSTOM);
    g_assert_true (g_str_has_prefix (error->message, cases[i].message));
    g_assert_null (strstr (error->message, "milter-manager-custom-"));
    g_assert_null (milter_manager_daemon_find_custom_file (&fixture->daemon));
  }
  g_assert_true (fixture->daemon.configuration == before);
  /* The same command line again (get-configuration's round trip): fine. */
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = save (fixture,
    "<configuration><milters><milter><name>launched</name>"
    "<command>/usr/bin/true</command><command-options>--start</command-options>"
    "</milter></milters></configuration>", &error);
  g_assert_no_error (error);
  g_assert_nonnull (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  milter_test_use_tree_ruby_library ();
  g_unsetenv ("MILTER_MANAGER_CONFIG_DIR");
  g_test_add ("/daemon/custom-file/first-that-takes-it", Fixture, NULL, setup,
              test_first_that_takes_it, teardown);
  g_test_add ("/daemon/custom-file/shadowed", Fixture, NULL, setup, test_shadowed, teardown);
  g_test_add ("/daemon/custom-file/refused", Fixture, NULL, setup, test_refused, teardown);
  return g_test_run ();
}

/*
 * test-client-process - PID file, daemonizing, user and group switch
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/client/milter-client-process.h>

typedef struct {
  gchar *directory;
  gchar *pid_file;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  (void) data;
  f->directory = g_dir_make_tmp ("test-client-process-XXXXXX", NULL);
  f->pid_file = g_build_filename (f->directory, "milter.pid", NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autofree gchar *command = g_strdup_printf ("rm -rf '%s'", f->directory);

  (void) data;
  g_assert_cmpint (system (command), ==, 0);
  g_free (f->directory);
  g_free (f->pid_file);
}

static void
test_pid_file (Fixture *f, gconstpointer data)
{
  g_autofree gchar *contents = NULL;
  g_autofree gchar *expected = g_strdup_printf ("%d\n", (gint) getpid ());

  (void) data;
  g_assert_true (milter_client_pid_file_save (f->pid_file, NULL));
  g_assert_true (g_file_get_contents (f->pid_file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, expected);
  g_assert_true (milter_client_pid_file_remove (f->pid_file, NULL));
  g_assert_false (g_file_test (f->pid_file, G_FILE_TEST_EXISTS));
  /* Already gone is fine. */
  g_assert_true (milter_client_pid_file_remove (f->pid_file, NULL));
}

static void
test_pid_file_errors (Fixture *f, gconstpointer data)
{
  g_autofree gchar *missing = g_build_filename (f->directory, "no", "x.pid",
                                                NULL);
  g_autofree gchar *inside = g_build_filename (f->pid_file, "keep", NULL);
  g_autoptr (GError) error = NULL;

  (void) data;
  g_assert_false (milter_client_pid_file_save (missing, &error));
  /* The file error itself, passed up with its domain and code. */
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir (f->pid_file, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "x", 1, NULL));
  g_assert_false (milter_client_pid_file_remove (f->pid_file, &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_PID_FILE);
}

static void
test_find_group (void)
{
  g_autoptr (GError) error = NULL;
  gid_t gid = 12345;

  g_assert_true (milter_client_find_group (getgrgid (getegid ())->gr_name,
                                           &gid, NULL));
  g_assert_cmpuint (gid, ==, getegid ());
  g_assert_false (milter_client_find_group ("no-such-group-xyzzy", &gid,
                                            &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_GROUP);
}

static void
test_switch_user (void)
{
  struct passwd *nobody = getpwnam ("nobody");

  if (geteuid () != 0 || !nobody) {
    g_test_skip ("needs root and the user nobody");
    return;
  }
  if (g_test_subprocess ()) {
    g_assert_true (milter_client_switch_user ("nobody", NULL, NULL));
    g_assert_cmpuint (getuid (), ==, nobody->pw_uid);
    g_assert_cmpuint (geteuid (), ==, nobody->pw_uid);
    g_assert_cmpuint (getgid (), ==, nobody->pw_gid);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_switch_group_only (void)
{
  struct group *group = getgrnam ("nogroup");

  if (geteuid () != 0 || !group) {
    g_test_skip ("needs root and the group nogroup");
    return;
  }
  if (g_test_subprocess ()) {
    g_assert_true (milter_client_switch_user (NULL, "nogroup", NULL));
    g_assert_cmpuint (getgid (), ==, group->gr_gid);
    g_assert_cmpuint (getuid (), ==, 0);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_switch_unknown_user (void)
{
  g_autoptr (GError) error = NULL;

  if (geteuid () != 0) {
    /* Not root: nothing to do, whatever the name. */
    g_assert_true (milter_client_switch_user ("no-such-user-xyzzy", NULL,
                                              NULL));
    return;
  }
  g_assert_false (milter_client_switch_user ("no-such-user-xyzzy", NULL,
                                             &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_USER);
  g_clear_error (&error);
  g_assert_false (milter_client_switch_user (NULL, "no-such-group-xyzzy",
                                             &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_GROUP);
  /* Nothing asked: nothing done. */
  g_assert_true (milter_client_switch_user (NULL, NULL, NULL));
}

static void
test_daemonize (Fixture *f, gconstpointer data)
{
  g_autofree gchar *contents = NULL;

  (void) data;
  if (g_test_subprocess ()) {
    const gchar *path = g_getenv ("TEST_PID_FILE");
    gchar cwd[64];

    /* This process leaves through _exit(): no teardown for its fixture. */
    g_rmdir (f->directory);

    g_assert_true (milter_client_daemonize (NULL));
    /* The daemon: a new session, in "/". */
    if (getsid (0) == getpid () && getcwd (cwd, sizeof (cwd)) &&
        strcmp (cwd, "/") == 0)
      milter_client_pid_file_save (path, NULL);
    _exit (0);
  }
  g_setenv ("TEST_PID_FILE", f->pid_file, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  for (guint i = 0; i < 200 && !g_file_test (f->pid_file, G_FILE_TEST_EXISTS);
       i++)
    g_usleep (10000);
  g_assert_true (g_file_get_contents (f->pid_file, &contents, NULL, NULL));
  g_assert_cmpint (atoi (contents), >, 0);
  g_assert_cmpint (atoi (contents), !=, getpid ());
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/client/process/pid-file", Fixture, NULL, setup, test_pid_file,
              teardown);
  g_test_add ("/client/process/pid-file-errors", Fixture, NULL, setup,
              test_pid_file_errors, teardown);
  g_test_add ("/client/process/daemonize", Fixture, NULL, setup,
              test_daemonize, teardown);
  g_test_add_func ("/client/process/find-group", test_find_group);
  g_test_add_func ("/client/process/switch-user", test_switch_user);
  g_test_add_func ("/client/process/switch-group-only",
                   test_switch_group_only);
  g_test_add_func ("/client/process/switch-unknown", test_switch_unknown_user);
  return g_test_run ();
}

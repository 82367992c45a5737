/*
 * test-client-process - PID file, daemonizing, user and group switch
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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
  MilterClientPidFile *pid_file;
  struct stat status;

  (void) data;
  pid_file = milter_client_pid_file_acquire (f->pid_file, NULL);
  g_assert_nonnull (pid_file);
  g_assert_cmpstr (milter_client_pid_file_get_path (pid_file), ==,
                   f->pid_file);
  g_assert_true (g_file_get_contents (f->pid_file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, expected);
  g_assert_cmpint (g_stat (f->pid_file, &status), ==, 0);
  g_assert_cmpint (status.st_mode & 0022, ==, 0);
  /* Rewriting (after daemonizing) keeps it ours. */
  g_assert_true (milter_client_pid_file_update (pid_file, NULL));
  g_assert_true (milter_client_pid_file_release (pid_file, NULL));
  g_assert_false (g_file_test (f->pid_file, G_FILE_TEST_EXISTS));

  /* Already gone is fine. */
  pid_file = milter_client_pid_file_acquire (f->pid_file, NULL);
  g_assert_cmpint (g_unlink (f->pid_file), ==, 0);
  g_assert_true (milter_client_pid_file_release (pid_file, NULL));

  /* Abandoned: the file stays, and the next one takes it over. */
  pid_file = milter_client_pid_file_acquire (f->pid_file, NULL);
  milter_client_pid_file_abandon (pid_file);
  g_assert_true (g_file_test (f->pid_file, G_FILE_TEST_EXISTS));
  pid_file = milter_client_pid_file_acquire (f->pid_file, NULL);
  g_assert_nonnull (pid_file);
  g_assert_true (milter_client_pid_file_release (pid_file, NULL));
}

/* Held (locked) by this process: a second acquire is refused. */
static void
test_pid_file_held (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  MilterClientPidFile *pid_file;

  (void) data;
  pid_file = milter_client_pid_file_acquire (f->pid_file, NULL);
  g_assert_null (milter_client_pid_file_acquire (f->pid_file, &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_PID_FILE);
  g_assert_nonnull (strstr (error->message, "locked"));
  g_assert_nonnull (strstr (error->message, f->pid_file));
  g_assert_true (milter_client_pid_file_release (pid_file, NULL));
}

/* Replaced by somebody else: release leaves the new file alone. */
static void
test_pid_file_replaced (Fixture *f, gconstpointer data)
{
  g_autofree gchar *contents = NULL;
  g_autofree gchar *ours = g_strdup_printf ("%d\n", (gint) getpid ());
  MilterClientPidFile *pid_file;
  gint fd;

  (void) data;
  /* Same file, other PID. */
  pid_file = milter_client_pid_file_acquire (f->pid_file, NULL);
  fd = open (f->pid_file, O_WRONLY | O_TRUNC);
  g_assert_cmpint (write (fd, "1\n", 2), ==, 2);
  close (fd);
  g_assert_true (milter_client_pid_file_release (pid_file, NULL));
  g_assert_true (g_file_get_contents (f->pid_file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "1\n");
  g_clear_pointer (&contents, g_free);
  g_unlink (f->pid_file);

  /* Other file, our PID (written by a copy of this process, say). */
  pid_file = milter_client_pid_file_acquire (f->pid_file, NULL);
  g_assert_true (g_file_set_contents (f->pid_file, ours, -1, NULL));
  g_assert_true (milter_client_pid_file_release (pid_file, NULL));
  g_assert_true (g_file_test (f->pid_file, G_FILE_TEST_EXISTS));
}

static void
test_pid_file_errors (Fixture *f, gconstpointer data)
{
  g_autofree gchar *missing = g_build_filename (f->directory, "no", "x.pid",
                                                NULL);
  g_autofree gchar *link = g_build_filename (f->directory, "link.pid", NULL);
  g_autoptr (GError) error = NULL;

  (void) data;
  g_assert_null (milter_client_pid_file_acquire (missing, &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_PID_FILE);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  /* A directory, a symbolic link: not followed, not replaced. */
  g_assert_cmpint (g_mkdir (f->pid_file, 0700), ==, 0);
  g_assert_null (milter_client_pid_file_acquire (f->pid_file, &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_PID_FILE);
  g_clear_error (&error);
  g_assert_cmpint (symlink (missing, link), ==, 0);
  g_assert_null (milter_client_pid_file_acquire (link, &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_PID_FILE);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

static void
test_pid_file_parse (void)
{
  static const struct {
    const gchar *contents;
    pid_t expected;
  } cases[] = {
    { "1234\n", 1234 },
    { "1234", 1234 },
    { "  42 \n\n", 42 },
    { "", 0 },
    { "\n", 0 },
    { "0\n", 0 },
    { "-5\n", 0 },
    { "12x\n", 0 },
    { "12 13\n", 0 },
    { "abc", 0 },
    { "99999999999999999999", 0 },
    { NULL, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_client_pid_file_parse (cases[i].contents), ==,
                     cases[i].expected);
}

static void
test_pid_file_may_take_over (void)
{
  static const struct {
    gboolean locked;
    pid_t holder, self;
    gboolean alive, expected;
  } cases[] = {
    /* A lock is proof of a live holder, whatever the file says. */
    { TRUE, 0, 10, FALSE, FALSE },
    { TRUE, 10, 10, TRUE, FALSE },
    /* Unlocked: empty or garbage, ours, or a dead process's. */
    { FALSE, 0, 10, FALSE, TRUE },
    { FALSE, 10, 10, TRUE, TRUE },
    { FALSE, 20, 10, FALSE, TRUE },
    /* Another live process wrote it without a lock. */
    { FALSE, 20, 10, TRUE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_client_pid_file_may_take_over (cases[i].locked,
                                                           cases[i].holder,
                                                           cases[i].self,
                                                           cases[i].alive),
                     ==, cases[i].expected);
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

/* Unknown names are errors for root and for anybody else alike. */
static void
test_switch_unknown_user (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (milter_client_switch_user ("no-such-user-xyzzy", NULL,
                                             &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_USER);
  g_assert_nonnull (strstr (error->message, "no-such-user-xyzzy"));
  g_clear_error (&error);
  g_assert_false (milter_client_switch_user (NULL, "no-such-group-xyzzy",
                                             &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_GROUP);
  /* Nothing asked: nothing done. */
  g_assert_true (milter_client_switch_user (NULL, NULL, NULL));
}

/* Not root (root first becomes nobody, in a child): asking for another
 * user or group is an error naming it; asking for what we are is not. */
static void
test_switch_not_root (void)
{
  g_autoptr (GError) error = NULL;
  struct passwd *self;
  struct group *own_group;
  g_autofree gchar *self_name = NULL;
  g_autofree gchar *group_name = NULL;

  if (!g_test_subprocess ()) {
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed ();
    return;
  }
  if (geteuid () == 0) {
    struct passwd *nobody = getpwnam ("nobody");

    g_assert_nonnull (nobody);
    g_assert_cmpint (setgid (nobody->pw_gid), ==, 0);
    g_assert_cmpint (setgroups (1, &nobody->pw_gid), ==, 0);
    g_assert_cmpint (setuid (nobody->pw_uid), ==, 0);
  }
  g_assert_cmpuint (geteuid (), !=, 0);

  g_assert_false (milter_client_switch_user ("root", NULL, &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_PRIVILEGE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "'root'"));
  g_clear_error (&error);
  g_assert_false (milter_client_switch_user (NULL, "root", &error));
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_PRIVILEGE);
  g_assert_nonnull (strstr (error->message, "'root'"));
  g_clear_error (&error);

  self = getpwuid (geteuid ());
  g_assert_nonnull (self);
  self_name = g_strdup (self->pw_name);
  if (self->pw_gid == getegid ()) {
    g_assert_true (milter_client_switch_user (self_name, NULL, &error));
    g_assert_no_error (error);
  }
  own_group = getgrgid (getegid ());
  g_assert_nonnull (own_group);
  group_name = g_strdup (own_group->gr_name);
  g_assert_true (milter_client_switch_user (NULL, group_name, &error));
  g_assert_no_error (error);
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
      milter_client_pid_file_abandon (milter_client_pid_file_acquire (path,
                                                                      NULL));
    _exit (0);
  }
  g_setenv ("TEST_PID_FILE", f->pid_file, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  /* Bounded poll: the daemon runs on its own after the trap returns, and
   * the file exists (empty) a moment before it holds the PID. */
  for (guint i = 0; i < 200; i++) {
    g_clear_pointer (&contents, g_free);
    if (g_file_get_contents (f->pid_file, &contents, NULL, NULL) &&
        milter_client_pid_file_parse (contents) > 0)
      break;
    g_usleep (10000);
  }
  g_assert_nonnull (contents);
  g_assert_cmpint (atoi (contents), >, 0);
  g_assert_cmpint (atoi (contents), !=, getpid ());
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/client/process/pid-file", Fixture, NULL, setup, test_pid_file,
              teardown);
  g_test_add ("/client/process/pid-file/held", Fixture, NULL, setup,
              test_pid_file_held, teardown);
  g_test_add ("/client/process/pid-file/replaced", Fixture, NULL, setup,
              test_pid_file_replaced, teardown);
  g_test_add ("/client/process/pid-file/errors", Fixture, NULL, setup,
              test_pid_file_errors, teardown);
  g_test_add_func ("/client/process/pid-file/parse", test_pid_file_parse);
  g_test_add_func ("/client/process/pid-file/may-take-over",
                   test_pid_file_may_take_over);
  g_test_add ("/client/process/daemonize", Fixture, NULL, setup,
              test_daemonize, teardown);
  g_test_add_func ("/client/process/find-group", test_find_group);
  g_test_add_func ("/client/process/switch-user", test_switch_user);
  g_test_add_func ("/client/process/switch-group-only",
                   test_switch_group_only);
  g_test_add_func ("/client/process/switch-unknown", test_switch_unknown_user);
  g_test_add_func ("/client/process/switch-not-root", test_switch_not_root);
  return g_test_run ();
}

/*
 * test-manager-process-launcher - the helper's side of the launcher
 * pipes with real programs: a script that records its uid, gid and
 * groups is launched as the current user and as nobody; an unknown
 * user, a bad command line, a missing program, a second launch of a
 * running command, and switches that fail (run in a subprocess that
 * gave up the privilege the switch needs) do NOT run the script and
 * reply why; the program's output is logged; undecodable input, end of
 * input and a reply pipe nobody reads.
 *
 * The switch tests need root (they are skipped otherwise). The launcher
 * runs in the test's own loop; requests are written to its command pipe
 * and replies read from its reply pipe, as the daemon does.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-launch-protocol.h>
#include <milter/manager/milter-manager-process-launcher.h>
#include <test/lib/milter-test-log.h>

#define WAIT_SECONDS 10

typedef struct {
  MilterEventLoop *loop;
  MilterManagerProcessLauncher *launcher;
  gint command_fd;   /* ours: write end */
  gint reply_fd;     /* ours: read end */
  MilterManagerLaunchDecoder *decoder;
  GPtrArray *replies; /* "success" or "error:MESSAGE" */
  gchar *directory;
  gchar *script;
  gchar *record;
  gboolean finished;
  MilterTestLogCapture *capture;
} Fixture;

static const gchar script_text[] =
  "#!/bin/sh\n"
  "# Records who it runs as, then the marker: the test waits for it.\n"
  "out=$1\n"
  "{ id -u; id -g; id -G; } > \"$out.tmp\"\n"
  "echo \"recorded $(id -u)\"\n"
  "echo \"to stderr\" >&2\n"
  "mv \"$out.tmp\" \"$out\"\n"
  "if [ -n \"$2\" ]; then echo $$ > \"$2\"; exec sleep 60; fi\n";

static void
on_finished (MilterManagerProcessLauncher *launcher, gpointer user_data)
{
  Fixture *fixture = user_data;

  (void) launcher;
  fixture->finished = TRUE;
}

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
  gint command[2], reply[2];

  (void) data;
  fixture->capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  fixture->loop = milter_event_loop_new_by_name ("glib", NULL);
  g_assert_cmpint (pipe (command), ==, 0);
  g_assert_cmpint (pipe (reply), ==, 0);
  fixture->launcher = milter_manager_process_launcher_new (fixture->loop,
                                                           command[0], reply[1]);
  milter_manager_process_launcher_set_finished_func (fixture->launcher,
                                                     on_finished, fixture);
  g_assert_true (milter_manager_process_launcher_start (fixture->launcher, NULL));
  fixture->command_fd = command[1];
  fixture->reply_fd = reply[0];
  fixture->decoder = milter_manager_launch_decoder_new (MILTER_MANAGER_LAUNCH_REPLIES);
  fixture->replies = g_ptr_array_new_with_free_func (g_free);
  fixture->directory = g_dir_make_tmp ("test-process-launcher-XXXXXX", NULL);
  g_assert_nonnull (fixture->directory);
  /* nobody must reach the script and write its record here. */
  g_assert_cmpint (g_chmod (fixture->directory, 0777), ==, 0);
  fixture->script = g_build_filename (fixture->directory, "record.sh", NULL);
  fixture->record = g_build_filename (fixture->directory, "record", NULL);
  g_assert_true (g_file_set_contents (fixture->script, script_text, -1, NULL));
  g_assert_cmpint (g_chmod (fixture->script, 0755), ==, 0);
}

static void
remove_directory (const gchar *directory)
{
  g_autoptr (GDir) dir = g_dir_open (directory, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_build_filename (directory, name, NULL);
    g_unlink (path);
  }
  g_rmdir (directory);
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
  (void) data;
  milter_manager_process_launcher_free (fixture->launcher);
  if (fixture->command_fd >= 0)
    close (fixture->command_fd);
  if (fixture->reply_fd >= 0)
    close (fixture->reply_fd);
  milter_manager_launch_decoder_free (fixture->decoder);
  g_ptr_array_unref (fixture->replies);
  remove_directory (fixture->directory);
  g_free (fixture->directory);
  g_free (fixture->script);
  g_free (fixture->record);
  g_object_unref (fixture->loop);
  milter_test_log_capture_stop (fixture->capture);
}

static gboolean
collect_reply (const MilterManagerLaunchRequest *request,
               const MilterManagerLaunchReply *reply,
               gpointer user_data, GError **error)
{
  Fixture *fixture = user_data;

  (void) request;
  (void) error;
  if (reply->type == MILTER_MANAGER_LAUNCH_REPLY_SUCCESS)
    g_ptr_array_add (fixture->replies, g_strdup ("success"));
  else
    g_ptr_array_add (fixture->replies, g_strdup_printf ("%s:%s",
      milter_manager_launch_reply_type_to_string (reply->type), reply->message));
  return TRUE;
}

/* Runs the loop until done() or the bound; the reply pipe is read
 * between iterations. */
static gboolean
run_until_deadline (Fixture *fixture, gboolean (*done) (Fixture *fixture, gpointer data),
                    gpointer data, gint64 deadline)
{
  while (!done (fixture, data)) {
    struct pollfd pfd = { fixture->reply_fd, POLLIN, 0 };

    if (g_get_monotonic_time () > deadline)
      return FALSE;
    while (milter_event_loop_iterate (fixture->loop, FALSE))
      ;
    if (fixture->reply_fd >= 0 && poll (&pfd, 1, 10) == 1 && (pfd.revents & POLLIN)) {
      guint8 buffer[4096];
      gssize n = read (fixture->reply_fd, buffer, sizeof (buffer));

      if (n > 0)
        g_assert_true (milter_manager_launch_decoder_feed (fixture->decoder, buffer,
                                                           (gsize) n, collect_reply,
                                                           fixture, NULL));
    } else if (fixture->reply_fd < 0) {
      g_usleep (10 * 1000);
    }
  }
  return TRUE;
}

static gboolean
run_until (Fixture *fixture, gboolean (*done) (Fixture *fixture, gpointer data),
           gpointer data)
{
  return run_until_deadline (fixture, done, data,
                             g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC);
}

static gboolean
never (Fixture *fixture, gpointer data)
{
  (void) fixture;
  (void) data;
  return FALSE;
}

/* For what must NOT happen: the loop runs for a while. */
static void
run_for (Fixture *fixture, guint milliseconds)
{
  gint64 end = g_get_monotonic_time () + milliseconds * 1000;

  while (g_get_monotonic_time () < end)
    run_until_deadline (fixture, never, NULL, end);
}

static gboolean
has_replies (Fixture *fixture, gpointer data)
{
  return fixture->replies->len >= GPOINTER_TO_UINT (data);
}

static void
send_request (Fixture *fixture, const gchar *command_line, const gchar *user)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  milter_manager_launch_request_encode (out, command_line, user);
  g_assert_cmpint (write (fixture->command_fd, out->data, out->len), ==, out->len);
}

/* One request, its reply. */
static const gchar *
request (Fixture *fixture, const gchar *command_line, const gchar *user)
{
  guint n = fixture->replies->len + 1;

  send_request (fixture, command_line, user);
  g_assert_true (run_until (fixture, has_replies, GUINT_TO_POINTER (n)));
  return g_ptr_array_index (fixture->replies, n - 1);
}

static gboolean
file_exists (Fixture *fixture, gpointer data)
{
  (void) fixture;
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static gboolean
logged (Fixture *fixture, gpointer data)
{
  return milter_test_log_capture_count (fixture->capture, MILTER_LOG_LEVEL_DEBUG,
                                        data) > 0;
}

static gchar *
script_command (Fixture *fixture, const gchar *extra)
{
  return g_strdup_printf ("%s %s%s%s", fixture->script, fixture->record,
                          extra ? " " : "", extra ? extra : "");
}

/* The record's three lines: uid, gid, groups. */
static gchar **
read_record (Fixture *fixture)
{
  g_autofree gchar *text = NULL;

  g_assert_true (run_until (fixture, file_exists, fixture->record));
  g_assert_true (g_file_get_contents (fixture->record, &text, NULL, NULL));
  g_strchomp (text);
  return g_strsplit (text, "\n", -1);
}

static void
test_current_user (Fixture *fixture, gconstpointer data)
{
  g_autofree gchar *command = script_command (fixture, NULL);
  g_autofree gchar *uid = g_strdup_printf ("%u", (guint) getuid ());
  g_auto (GStrv) record = NULL;

  (void) data;
  g_assert_cmpstr (request (fixture, command, NULL), ==, "success");
  record = read_record (fixture);
  g_assert_cmpstr (record[0], ==, uid);
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_DEBUG, 0,
                             "[launcher][child][authority][not-set]");
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_DEBUG, 0,
                             "[launcher][start]");
  /* Its output, with its PID as the session part, and its exit. */
  g_assert_true (run_until (fixture, logged, "[launcher][finish][success]"));
  g_assert_cmpuint (milter_test_log_capture_count (fixture->capture, MILTER_LOG_LEVEL_DEBUG,
                                                   "[launcher][output] recorded"), ==, 1);
  g_assert_cmpuint (milter_test_log_capture_count (fixture->capture, MILTER_LOG_LEVEL_DEBUG,
                                                   "[launcher][error] to stderr"), ==, 1);
  g_assert_cmpuint (milter_manager_process_launcher_get_n_running (fixture->launcher), ==, 0);
}

static gboolean
require_root (void)
{
  if (geteuid () == 0)
    return TRUE;
  g_test_skip ("needs root");
  return FALSE;
}

static void
test_switch_user (Fixture *fixture, gconstpointer data)
{
  g_autofree gchar *command = script_command (fixture, NULL);
  struct passwd *nobody = getpwnam ("nobody");
  g_autofree gchar *uid = NULL, *gid = NULL;
  g_auto (GStrv) record = NULL;

  (void) data;
  if (!require_root ())
    return;
  g_assert_nonnull (nobody);
  uid = g_strdup_printf ("%u", (guint) nobody->pw_uid);
  gid = g_strdup_printf ("%u", (guint) nobody->pw_gid);
  g_assert_cmpstr (request (fixture, command, "nobody"), ==, "success");
  record = read_record (fixture);
  g_assert_cmpstr (record[0], ==, uid);
  g_assert_cmpstr (record[1], ==, gid);
  /* Root's supplementary groups are gone: only nobody's own. */
  g_assert_cmpstr (record[2], ==, gid);
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_DEBUG, 0,
                             "[launcher][child][authority][group]");
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_DEBUG, 0,
                             "[launcher][child][authority][groups] nobody:");
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_DEBUG, 0,
                             "[launcher][child][authority][user]");
  g_assert_true (run_until (fixture, logged, "[launcher][finish][success]"));
}

/* A refused request: its reply, its log line, and no record. */
static void
assert_refused (Fixture *fixture, const gchar *reply, const gchar *expected,
                const gchar *logged_line)
{
  const gchar *line = milter_test_log_capture_find (fixture->capture,
                                                    MILTER_LOG_LEVEL_ERROR, 0,
                                                    "[launcher][error][launch]");

  g_assert_cmpstr (reply, ==, expected);
  g_assert_nonnull (line);
  g_assert_cmpstr (line, ==, logged_line);
  /* Nothing ran: give a wrongly started script the time to write. */
  run_for (fixture, 300);
  g_assert_false (g_file_test (fixture->record, G_FILE_TEST_EXISTS));
}

static void
test_unknown_user (Fixture *fixture, gconstpointer data)
{
  g_autofree gchar *command = script_command (fixture, NULL);
  g_autofree gchar *line =
    g_strdup_printf ("[launcher][error][launch] %s@no-such-user-42: "
                     "No password entry: no-such-user-42", command);

  (void) data;
  assert_refused (fixture, request (fixture, command, "no-such-user-42"),
                  "error:No password entry: no-such-user-42", line);
}

static void
test_invalid_command_line (Fixture *fixture, gconstpointer data)
{
  const gchar *reply = request (fixture, "/bin/sh -c 'unbalanced", NULL);

  (void) data;
  g_assert_true (g_str_has_prefix (reply, "error:Command string has invalid "
                                   "character(s): /bin/sh -c 'unbalanced: "));
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[launcher][error][launch] /bin/sh -c 'unbalanced@NULL: "
                             "Command string has invalid character(s)");
}

/* A bare name is searched in PATH; a missing program is a launch error. */
static void
test_program_lookup (Fixture *fixture, gconstpointer data)
{
  g_autofree gchar *found = g_strdup_printf ("sh -c 'echo $$ > %s'", fixture->record);

  (void) data;
  g_assert_cmpstr (request (fixture, "no-such-program-42 -x", NULL), ==,
                   "error:Couldn't start new process: no-such-program-42 -x: "
                   "no-such-program-42: not found in PATH");
  g_assert_cmpstr (request (fixture, found, NULL), ==, "success");
  g_assert_true (run_until (fixture, file_exists, fixture->record));
}

static gboolean
pid_exited (Fixture *fixture, gpointer data)
{
  (void) fixture;
  return kill (GPOINTER_TO_INT (data), 0) == -1 && errno == ESRCH;
}

static void
test_already_launched (Fixture *fixture, gconstpointer data)
{
  g_autofree gchar *pid_file = g_build_filename (fixture->directory, "pid", NULL);
  g_autofree gchar *command = script_command (fixture, pid_file);
  g_autofree gchar *expected = g_strdup_printf ("error:already launched: %s", command);
  g_autofree gchar *text = NULL;
  gint pid;

  (void) data;
  g_assert_cmpstr (request (fixture, command, NULL), ==, "success");
  g_assert_true (run_until (fixture, file_exists, pid_file));
  g_assert_true (g_file_get_contents (pid_file, &text, NULL, NULL));
  pid = atoi (text);
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpuint (milter_manager_process_launcher_get_n_running (fixture->launcher), ==, 1);
  g_assert_cmpstr (request (fixture, command, NULL), ==, expected);
  /* Once it exited (and was reaped), it may be launched again. */
  g_assert_cmpint (kill (pid, SIGTERM), ==, 0);
  g_assert_true (run_until (fixture, logged, "[launcher][finish][failure]"));
  g_assert_true (run_until (fixture, pid_exited, GINT_TO_POINTER (pid)));
  g_unlink (pid_file);
  g_unlink (fixture->record);
  g_assert_cmpstr (request (fixture, command, NULL), ==, "success");
  g_assert_true (run_until (fixture, file_exists, pid_file));
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (pid_file, &text, NULL, NULL));
  pid = atoi (text);
  g_assert_cmpint (kill (pid, SIGTERM), ==, 0);
  g_assert_true (run_until (fixture, pid_exited, GINT_TO_POINTER (pid)));
}

static void
test_decode_error (Fixture *fixture, gconstpointer data)
{
  static const guint8 garbage[] = "\x00\x00\x00\x05" "stop\0";
  g_autofree gchar *command = script_command (fixture, NULL);

  (void) data;
  g_assert_cmpint (write (fixture->command_fd, garbage, sizeof (garbage) - 1), ==,
                   sizeof (garbage) - 1);
  send_request (fixture, command, NULL);
  run_for (fixture, 300);
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[agent][error][decode] unexpected command was received: stop");
  /* Nothing after the bad packet is read: no reply, nothing run. */
  g_assert_cmpuint (fixture->replies->len, ==, 0);
  g_assert_false (g_file_test (fixture->record, G_FILE_TEST_EXISTS));
}

static gboolean
is_finished (Fixture *fixture, gpointer data)
{
  (void) data;
  return fixture->finished;
}

static void
test_end_of_input (Fixture *fixture, gconstpointer data)
{
  (void) data;
  close (fixture->command_fd);
  fixture->command_fd = -1;
  g_assert_true (run_until (fixture, is_finished, NULL));
}

static void
test_reply_not_read (Fixture *fixture, gconstpointer data)
{
  g_autofree gchar *command = script_command (fixture, NULL);
  g_autofree gchar *line = g_strdup_printf ("[launcher][error][write] %s@NULL: ", command);

  (void) data;
  close (fixture->reply_fd);
  fixture->reply_fd = -1;
  send_request (fixture, command, NULL);
  g_assert_true (run_until (fixture, logged, "[launcher][start]"));
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_ERROR, 0, line);
  g_strfreev (read_record (fixture));
}

/* ---- switches that fail: in a subprocess without the privilege ------------- */

static void
become_nobody (void)
{
  struct passwd *nobody = getpwnam ("nobody");

  g_assert_nonnull (nobody);
  g_assert_cmpint (setgroups (0, NULL), ==, 0);
  g_assert_cmpint (setgid (nobody->pw_gid), ==, 0);
  g_assert_cmpint (setuid (nobody->pw_uid), ==, 0);
}

/* Root without CAP_SETUID: the group switches work, the user one fails. */
static void
drop_setuid_capability (void)
{
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct caps[2];

  g_assert_cmpint (syscall (SYS_capget, &header, caps), ==, 0);
  caps[0].effective &= ~(1u << CAP_SETUID);
  caps[0].permitted &= ~(1u << CAP_SETUID);
  caps[0].inheritable &= ~(1u << CAP_SETUID);
  g_assert_cmpint (syscall (SYS_capset, &header, caps), ==, 0);
}

typedef struct {
  void (*drop) (void);
  const gchar *user;
  const gchar *tags;
  const gchar *reason;   /* after the command line in the reply */
} SwitchCase;

static void
run_switch_case (const SwitchCase *c)
{
  Fixture fixture = { 0 };
  g_autofree gchar *command = NULL;
  g_autofree gchar *expected = NULL;
  g_autofree gchar *logged_line = NULL;
  const gchar *reply;

  c->drop ();
  fixture_setup (&fixture, NULL);
  command = script_command (&fixture, NULL);
  reply = request (&fixture, command, c->user);
  expected = g_strdup_printf ("error:Couldn't start new process: %s: %s", command,
                              c->reason);
  logged_line = g_strdup_printf ("[launcher][error][launch] %s@%s: Couldn't start new "
                                 "process: %s: %s", command, c->user, command,
                                 c->reason);
  milter_test_assert_logged (fixture.capture, MILTER_LOG_LEVEL_ERROR, 0, c->tags);
  assert_refused (&fixture, reply, expected, logged_line);
  fixture_teardown (&fixture, NULL);
}

static void
test_switch_fails (gconstpointer data)
{
  const SwitchCase *c = data;

  if (!require_root ())
    return;
  if (g_test_subprocess ()) {
    run_switch_case (c);
    return;
  }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static SwitchCase group_case = {
  become_nobody, "daemon", "[launcher][error][child][authority][group] failed to change GID: ",
  NULL
};
static SwitchCase groups_case = {
  become_nobody, "nobody",
  "[launcher][error][child][authority][groups] failed to initialize group access: nobody:",
  NULL
};
static SwitchCase user_case = {
  drop_setuid_capability, "nobody",
  "[launcher][error][child][authority][user] failed to change UID: ", NULL
};

/* ---- the helper process's main ------------------------------------------------ */

static void
test_main_start_error (void)
{
  g_autoptr (MilterTestLogCapture) capture = NULL;

  capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ERROR);
  /* Descriptors that are not open cannot be watched. */
  g_assert_cmpint (milter_manager_process_launcher_main (900, 901, FALSE, NULL), ==, 1);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[process-launcher][error][start]");
}

static void
test_main_detach_error (void)
{
  if (g_test_subprocess ()) {
    g_autoptr (MilterTestLogCapture) capture =
      milter_test_log_capture_start (MILTER_LOG_LEVEL_ERROR);
    gint command[2], reply[2];
    struct rlimit limit;

    g_assert_cmpint (pipe (command), ==, 0);
    g_assert_cmpint (pipe (reply), ==, 0);
    /* No descriptor left for /dev/null. */
    getrlimit (RLIMIT_NOFILE, &limit);
    limit.rlim_cur = 3;
    g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);
    g_assert_cmpint (milter_manager_process_launcher_main (command[0], reply[1], TRUE,
                                                           NULL), ==, 1);
    milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                               "[process-launcher][error] failed to detach IO: ");
    return;
  }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* The whole helper: end of input ends it with 0. */
static void
test_main_runs_until_end (void)
{
  gint command[2], reply[2];
  g_autoptr (GByteArray) out = g_byte_array_new ();
  gchar buffer[64];
  gint status;
  pid_t pid;

  g_assert_cmpint (pipe (command), ==, 0);
  g_assert_cmpint (pipe (reply), ==, 0);
  pid = fork ();
  if (pid == 0) {
    close (command[1]);
    close (reply[0]);
    _exit (milter_manager_process_launcher_main (command[0], reply[1], FALSE, NULL));
  }
  close (command[0]);
  close (reply[1]);
  milter_manager_launch_request_encode (out, "/bin/true", NULL);
  g_assert_cmpint (write (command[1], out->data, out->len), ==, out->len);
  /* "success" NUL with its length. */
  g_assert_cmpint (read (reply[0], buffer, sizeof (buffer)), ==, 12);
  g_assert_cmpmem (buffer + 4, 8, "success", 8);
  close (command[1]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  close (reply[0]);
}

#define ADD(path, func) \
  g_test_add ("/manager/process-launcher/" path, Fixture, NULL, fixture_setup, func, \
              fixture_teardown)

int
main (int argc, char **argv)
{
  struct passwd *nobody;

  g_test_init (&argc, &argv, NULL);
  nobody = getpwnam ("nobody");
  if (nobody) {
    groups_case.reason = g_strdup_printf ("failed to initialize group access: nobody:%u: %s",
                                          (guint) nobody->pw_gid, g_strerror (EPERM));
    user_case.reason = g_strdup_printf ("failed to change UID: %u: %s",
                                        (guint) nobody->pw_uid, g_strerror (EPERM));
  }
  group_case.reason =
    g_strdup_printf ("failed to change GID: %u: %s",
                     getpwnam ("daemon") ? (guint) getpwnam ("daemon")->pw_gid : 1u,
                     g_strerror (EPERM));
  ADD ("current-user", test_current_user);
  ADD ("switch-user", test_switch_user);
  ADD ("unknown-user", test_unknown_user);
  ADD ("invalid-command-line", test_invalid_command_line);
  ADD ("program-lookup", test_program_lookup);
  ADD ("already-launched", test_already_launched);
  ADD ("decode-error", test_decode_error);
  ADD ("end-of-input", test_end_of_input);
  ADD ("reply-not-read", test_reply_not_read);
  g_test_add_data_func ("/manager/process-launcher/switch-fails/group", &group_case,
                        test_switch_fails);
  g_test_add_data_func ("/manager/process-launcher/switch-fails/groups", &groups_case,
                        test_switch_fails);
  g_test_add_data_func ("/manager/process-launcher/switch-fails/user", &user_case,
                        test_switch_fails);
  g_test_add_func ("/manager/process-launcher/main/start-error", test_main_start_error);
  g_test_add_func ("/manager/process-launcher/main/detach-error", test_main_detach_error);
  g_test_add_func ("/manager/process-launcher/main/runs-until-end", test_main_runs_until_end);
  return g_test_run ();
}

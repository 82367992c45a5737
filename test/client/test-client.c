/*
 * test-client - MilterClient: listening, sessions, runners, failures
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-command-encoder.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-process.h>

#include "../lib/milter-test-log.h"
#include "../lib/milter-test-net.h"
#include "client-test-mta.h"

#define ANY MILTER_TEST_LOG_ANY_SESSION

/* ---- helpers ---- */

typedef struct _Fixture Fixture;

struct _Fixture {
  gchar *directory;
  gchar *socket_path;
  gchar *spec;
  MilterClient *client;
  MilterTestLogCapture *capture;
  /* Set by the MTA thread when it is done; the stopper polls it. */
  gint mta_done;
  guint n_replies;
  gchar *replies;
  GThread *session_thread;
  guint n_maintain;
  /* For fork_client: when the child's client has done its work, and how
   * long it may take. */
  gboolean (*child_done) (Fixture *f);
  gdouble child_give_up;
};

static void
use_inet_spec (Fixture *f)
{
  g_free (f->spec);
  f->spec = milter_test_free_inet_spec ();
  milter_client_set_connection_spec (f->client, f->spec, NULL);
}

/* Sends the default negotiate and waits up to timeout_ms for its reply. */
static void
send_negotiate (ClientTestMta *mta, guint timeout_ms)
{
  milter_command_encode_negotiate (client_test_mta_output (mta), 6,
                                   MILTER_ACTION_ALL, MILTER_STEP_ALL);
  client_test_mta_pump (mta, NULL, 1, timeout_ms);
}

static void
setup (Fixture *f, gconstpointer data)
{
  (void) data;
  memset (f, 0, sizeof (*f));
  f->capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  f->directory = g_dir_make_tmp ("test-client-XXXXXX", NULL);
  f->socket_path = g_build_filename (f->directory, "milter.sock", NULL);
  f->spec = g_strdup_printf ("unix:%s", f->socket_path);
  f->client = milter_client_new ();
  milter_client_set_connection_spec (f->client, f->spec, NULL);
  milter_client_set_handle_signals (f->client, FALSE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autofree gchar *command = NULL;

  (void) data;
  g_clear_object (&f->client);
  command = g_strdup_printf ("rm -rf '%s'", f->directory);
  g_assert_cmpint (system (command), ==, 0);
  g_free (f->directory);
  g_free (f->socket_path);
  g_free (f->spec);
  g_free (f->replies);
  milter_test_log_capture_stop (f->capture);
}

/* An MTA in its own thread: negotiate, connect, helo, quit. */
static gpointer
mta_thread (gpointer data)
{
  Fixture *f = data;
  g_autoptr (ClientTestMta) mta = NULL;

  for (guint i = 0; i < 100 && !mta; i++) {
    mta = client_test_mta_connect (f->spec, NULL);
    if (!mta)
      g_usleep (10000);
  }
  if (mta) {
    GByteArray *out = client_test_mta_output (mta);

    milter_command_encode_negotiate (out, 6, MILTER_ACTION_ALL,
                                     MILTER_STEP_ALL);
    milter_command_encode_connect (out, "client", MILTER_FAMILY_INET, 25,
                                   "192.0.2.9");
    milter_command_encode_helo (out, "client");
    client_test_mta_pump (mta, NULL, 3, 5000);
    milter_command_encode_quit (out);
    client_test_mta_pump (mta, NULL, 4, 2000);
    f->n_replies = client_test_mta_n_replies (mta);
    f->replies = client_test_mta_dump (mta);
  }
  g_atomic_int_set (&f->mta_done, 1);
  return NULL;
}

static gboolean
stop_when_done (gpointer data)
{
  Fixture *f = data;

  if (g_atomic_int_get (&f->mta_done) &&
      milter_client_get_n_processing_sessions (f->client) == 0) {
    milter_client_shutdown (f->client);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
give_up (gpointer data)
{
  Fixture *f = data;

  milter_client_shutdown (f->client);
  return G_SOURCE_REMOVE;
}

/* Calls func(f) every interval seconds from the client's loop, and shuts
 * the client down after give_up_after seconds whatever happens. */
static void
add_check (MilterClient *client, gdouble interval, MilterEventLoopFunc func,
           gdouble give_up_after, Fixture *f)
{
  MilterEventLoop *loop = milter_client_get_event_loop (client);

  milter_event_loop_add_timeout (loop, interval, func, f, NULL);
  milter_event_loop_add_timeout (loop, give_up_after, give_up, f, NULL);
}

static void
start_stopper (MilterClient *client, gpointer data)
{
  add_check (client, 0.01, stop_when_done, 10, data);
}

static void
record_thread (MilterClient *client, MilterClientContext *context,
               gpointer data)
{
  Fixture *f = data;

  (void) client;
  (void) context;
  f->session_thread = g_thread_self ();
}

static void
count_maintain (MilterClient *client, gpointer data)
{
  Fixture *f = data;

  (void) client;
  f->n_maintain++;
}

static void
run_one_session (Fixture *f)
{
  GThread *thread;
  g_autoptr (GError) error = NULL;

  g_signal_connect (f->client, "listen-started", G_CALLBACK (start_stopper), f);
  g_signal_connect (f->client, "connection-established",
                    G_CALLBACK (record_thread), f);
  g_signal_connect (f->client, "maintain", G_CALLBACK (count_maintain), f);
  thread = g_thread_new ("mta", mta_thread, f);
  g_assert_true (milter_client_run (f->client, &error));
  g_assert_no_error (error);
  g_thread_join (thread);
  g_test_message ("replies:\n%s", f->replies);
  g_assert_cmpuint (f->n_replies, ==, 3);
  g_assert_true (g_str_has_prefix (f->replies, "negotiate-reply version=6"));
  g_assert_nonnull (strstr (f->replies, "\ncontinue\ncontinue"));
  g_assert_cmpuint (milter_client_get_n_finished_sessions (f->client), ==, 1);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_STATISTICS, 0,
                             "[sessions][finished] 1(+1) 0");
  g_assert_cmpuint (f->n_maintain, ==, 1);
}

/* ---- rules ---- */

static void
test_accept_allowed (void)
{
  static const struct {
    guint processing, max;
    gboolean suspended, allowed;
  } cases[] = {
    { 0, 0, FALSE, TRUE },
    { 1000, 0, FALSE, TRUE },
    { 0, 0, TRUE, FALSE },
    { 4, 5, FALSE, TRUE },
    { 5, 5, FALSE, FALSE },
    { 6, 5, FALSE, FALSE },
    { 4, 5, TRUE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_client_accept_allowed (cases[i].processing,
                                                   cases[i].max,
                                                   cases[i].suspended),
                     ==, cases[i].allowed);
}

static void
test_format_statistics (void)
{
  static const struct {
    guint64 total, previous;
    guint processing;
    const gchar *expected;
  } cases[] = {
    { 29, 27, 3, "29(+2) 3" },
    { 0, 0, 0, "0(+0) 0" },
    { 1, 0, 0, "1(+1) 0" },
    { 5, 9, 1, "5(+0) 1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *text =
      milter_client_format_statistics (cases[i].total, cases[i].previous,
                                       cases[i].processing);
    g_assert_cmpstr (text, ==, cases[i].expected);
  }
}

/* ---- sessions ---- */

static void
test_session_unix (Fixture *f, gconstpointer data)
{
  const gchar *backend = data;
  struct stat status;

  milter_client_set_event_loop_backend (f->client, backend);
  /* A stale socket file from an earlier run is replaced. */
  g_assert_true (g_file_set_contents (f->socket_path, "", 0, NULL));
  milter_client_set_unix_socket_mode (f->client, 0660);
  milter_client_set_unix_socket_group (f->client,
                                       getgrgid (getegid ())->gr_name);
  run_one_session (f);
  g_assert_true (f->session_thread == g_thread_self ());
  /* Removed on close. */
  g_assert_cmpint (g_stat (f->socket_path, &status), ==, -1);
}

static void
check_socket_mode (MilterClient *client, gpointer data)
{
  Fixture *f = data;
  struct stat status;

  (void) client;
  g_assert_cmpint (g_stat (f->socket_path, &status), ==, 0);
  g_assert_true (S_ISSOCK (status.st_mode));
  g_assert_cmpint (status.st_mode & 07777, ==, 0660);
  g_assert_cmpint (status.st_gid, ==, getegid ());
}

static void
test_unix_socket_mode (Fixture *f, gconstpointer data)
{
  (void) data;
  milter_client_set_unix_socket_mode (f->client, 0660);
  milter_client_set_unix_socket_group (f->client,
                                       getgrgid (getegid ())->gr_name);
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (check_socket_mode), f);
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (milter_client_shutdown), NULL);
  g_assert_true (milter_client_run (f->client, NULL));
}

static void
test_session_inet (Fixture *f, gconstpointer data)
{
  const gchar *backend = data;

  use_inet_spec (f);
  milter_client_set_event_loop_backend (f->client, backend);
  run_one_session (f);
}

static void
test_session_multi_thread (Fixture *f, gconstpointer data)
{
  const gchar *backend = data;

  milter_client_set_event_loop_backend (f->client, backend);
  milter_client_set_multi_thread (f->client, TRUE);
  run_one_session (f);
  g_assert_true (f->session_thread != NULL);
  g_assert_true (f->session_thread != g_thread_self ());
}

/* ---- max-connections ---- */

static gpointer
two_mtas (gpointer data)
{
  Fixture *f = data;
  g_autoptr (ClientTestMta) first = NULL;
  g_autoptr (ClientTestMta) second = NULL;

  while (!first)
    first = client_test_mta_connect (f->spec, NULL);
  second = client_test_mta_connect (f->spec, NULL);
  send_negotiate (first, 2000);
  /* The second waits in the backlog while the first runs. */
  send_negotiate (second, 300);
  f->n_replies = client_test_mta_n_replies (first) * 10 +
                 client_test_mta_n_replies (second);
  client_test_mta_close (first);
  client_test_mta_pump (second, NULL, 1, 2000);
  f->n_replies = f->n_replies * 10 + client_test_mta_n_replies (second);
  client_test_mta_close (second);
  g_atomic_int_set (&f->mta_done, 1);
  return NULL;
}

static void
test_max_connections (Fixture *f, gconstpointer data)
{
  GThread *thread;

  (void) data;
  milter_client_set_max_connections (f->client, 1);
  g_signal_connect (f->client, "listen-started", G_CALLBACK (start_stopper), f);
  thread = g_thread_new ("mta", two_mtas, f);
  g_assert_true (milter_client_run (f->client, NULL));
  g_thread_join (thread);
  /* first 1, second 0 while the first runs, then 1. */
  g_assert_cmpuint (f->n_replies, ==, 101);
}

/* ---- failures ---- */

static void
test_default_spec_error (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  g_assert_false (milter_client_set_default_connection_spec (f->client,
                                                             "bogus:1",
                                                             &error));
  g_assert_nonnull (error);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][connection-spec][default][error]");
  g_assert_true (milter_client_set_default_connection_spec (f->client,
                                                            "inet:2025",
                                                            NULL));
}

static void
run_second_and_stop (MilterClient *first, gpointer data)
{
  Fixture *f = data;

  /* The first client holds the port while the second tries it. */
  g_assert_false (milter_client_run (f->client, NULL));
  milter_client_shutdown (first);
}

static void
test_port_in_use (Fixture *f, gconstpointer data)
{
  gboolean multi_thread = GPOINTER_TO_INT (data);
  g_autoptr (MilterClient) first = milter_client_new ();
  g_autofree gchar *spec = milter_test_free_inet_spec ();

  milter_client_set_connection_spec (first, spec, NULL);
  milter_client_set_handle_signals (first, FALSE);
  milter_client_set_multi_thread (f->client, multi_thread);
  milter_client_set_connection_spec (f->client, spec, NULL);
  g_signal_connect (first, "listen-started",
                    G_CALLBACK (run_second_and_stop), f);
  g_assert_true (milter_client_run (first, NULL));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][prepare][listen][error]");
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             multi_thread ?
                             "[client][multi-thread][start][error]" :
                             "[client][single-thread][start][error]");
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][main][error]");
}

static void
test_unknown_backend (Fixture *f, gconstpointer data)
{
  (void) data;
  milter_client_set_event_loop_backend (f->client, "nonexistent");
  g_assert_false (milter_client_run (f->client, NULL));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][prepare][error]");
}

static void
test_unix_group_error (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  milter_client_set_unix_socket_group (f->client, "no-such-group-xyzzy");
  g_assert_false (milter_client_run (f->client, &error));
  /* The group lookup's error, passed up with its domain and code. */
  g_assert_error (error, MILTER_CLIENT_PROCESS_ERROR,
                  MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_GROUP);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][error][unix]");
  g_assert_false (g_file_test (f->socket_path, G_FILE_TEST_EXISTS));
}

/* Puts a non-empty directory where a file is: unlink(2) then fails even
 * for root. */
static void
block_path (const gchar *path)
{
  g_autofree gchar *inside = g_build_filename (path, "keep", NULL);

  g_unlink (path);
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "x", 1, NULL));
}

static void
block_socket_and_stop (MilterClient *client, gpointer data)
{
  Fixture *f = data;

  block_path (f->socket_path);
  milter_client_shutdown (client);
}

static void
test_unix_cleanup_error (Fixture *f, gconstpointer data)
{
  (void) data;
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (block_socket_and_stop), f);
  g_assert_false (milter_client_run (f->client, NULL));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][unix][error]");
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][run][success][cleanup][error]");
}

static void
test_fail_cleanup_error (Fixture *f, gconstpointer data)
{
  g_autofree gchar *pid_file = g_build_filename (f->directory, "missing",
                                                 "milter.pid", NULL);

  (void) data;
  milter_client_set_pid_file (f->client, pid_file);
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (block_socket_and_stop), f);
  g_assert_false (milter_client_run (f->client, NULL));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][pid-file][save][error]");
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][single-thread][start][error]");
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][run][fail][cleanup][error]");
}

static gboolean
check_pid_file_and_stop (gpointer data)
{
  Fixture *f = data;
  g_autofree gchar *pid_file = g_build_filename (f->directory, "milter.pid",
                                                 NULL);
  g_autofree gchar *contents = NULL;
  g_autofree gchar *expected = g_strdup_printf ("%d\n", (gint) getpid ());

  g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, expected);
  if (f->n_maintain == 1)
    block_path (pid_file);
  milter_client_shutdown (f->client);
  return G_SOURCE_REMOVE;
}

static void
start_pid_check (MilterClient *client, gpointer data)
{
  milter_event_loop_add_idle (milter_client_get_event_loop (client),
                              check_pid_file_and_stop, data, NULL);
}

static void
test_pid_file (Fixture *f, gconstpointer data)
{
  g_autofree gchar *pid_file = g_build_filename (f->directory, "milter.pid",
                                                 NULL);

  f->n_maintain = GPOINTER_TO_UINT (data);
  milter_client_set_pid_file (f->client, pid_file);
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (start_pid_check), f);
  if (f->n_maintain == 1) {
    g_assert_false (milter_client_run (f->client, NULL));
    milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                               "[client][pid-file][error][remove]");
    milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                               "[client][run][success][cleanup][error]");
  } else {
    g_assert_true (milter_client_run (f->client, NULL));
    g_assert_false (g_file_test (pid_file, G_FILE_TEST_EXISTS));
  }
}

static void
close_listen_fd (MilterClient *client, gpointer data)
{
  (void) data;
  close (milter_client_get_listen_fd (client));
}

static void
test_accept_start_error (Fixture *f, gconstpointer data)
{
  gboolean multi_thread = GPOINTER_TO_INT (data);

  milter_client_set_multi_thread (f->client, multi_thread);
  g_signal_connect (f->client, "listen-started", G_CALLBACK (close_listen_fd),
                    NULL);
  g_assert_false (milter_client_run (f->client, NULL));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             multi_thread ?
                             "[client][multi-thread][accept][error]" :
                             "[client][single-thread][accept][start][error]");
}

static gboolean
break_listen_fd (gpointer data)
{
  Fixture *f = data;
  gint fd = milter_client_get_listen_fd (f->client);

  if (f->n_maintain == 0) {
    /* Not a socket any more: accept(2) fails with ENOTSOCK. */
    gint null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2 (null_fd, fd);
    close (null_fd);
  } else {
    /* A shut-down listening socket reports a hang-up. */
    shutdown (fd, SHUT_RDWR);
  }
  return G_SOURCE_REMOVE;
}

static void
start_breaking (MilterClient *client, gpointer data)
{
  add_check (client, 0.05, break_listen_fd, 5, data);
}

static void
test_accept_error (Fixture *f, gconstpointer data)
{
  (void) data;
  g_signal_connect (f->client, "listen-started", G_CALLBACK (start_breaking),
                    f);
  g_assert_false (milter_client_run (f->client, NULL));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_WARNING, 0,
                             "[client][error][accept]");
}

static void
test_watch_error (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  f->n_maintain = 1;
  use_inet_spec (f);
  g_signal_connect (f->client, "listen-started", G_CALLBACK (start_breaking),
                    f);
  g_assert_false (milter_client_run (f->client, &error));
  g_test_message ("%s", error->message);
  g_assert_true (milter_test_log_capture_count (f->capture,
                                                MILTER_LOG_LEVEL_ERROR |
                                                MILTER_LOG_LEVEL_WARNING,
                                                "[client][watch][error]") +
                 milter_test_log_capture_count (f->capture,
                                                MILTER_LOG_LEVEL_WARNING,
                                                "[client][error][accept]") > 0);
}

/* ---- a client in a child process under resource limits ---- */

/* valgrind (it preloads itself) keeps descriptors and memory of its own
 * beyond the limits these tests set. */
static gboolean
skip_under_valgrind (void)
{
  const gchar *preload = g_getenv ("LD_PRELOAD");

  if (preload && g_strrstr (preload, "valgrind")) {
    g_test_skip ("not under valgrind");
    return TRUE;
  }
  return FALSE;
}

static gboolean
child_check_done (gpointer data)
{
  Fixture *f = data;

  if (f->child_done (f))
    milter_client_shutdown (f->client);
  return G_SOURCE_CONTINUE;
}

static void
child_start_checks (MilterClient *client, gpointer data)
{
  Fixture *f = data;

  add_check (client, 0.02, child_check_done, f->child_give_up, f);
}

/* Forks a child that calls prepare() and runs f->client until
 * f->child_done() holds (it exits 0 if it does); returns the child's pid
 * once the child listens. */
static pid_t
fork_client (Fixture *f, void (*prepare) (Fixture *f))
{
  pid_t pid;
  gint ready[2];
  gchar byte;

  g_assert_cmpint (pipe (ready), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0) {
    gboolean ok;

    close (ready[0]);
    g_signal_connect (f->client, "listen-started",
                      G_CALLBACK (child_start_checks), f);
    g_signal_connect_swapped (f->client, "listen-started",
                              G_CALLBACK (close), GINT_TO_POINTER (ready[1]));
    prepare (f);
    milter_client_run (f->client, NULL);
    ok = f->child_done (f);
    if (!ok) {
      g_autofree gchar *dump = milter_test_log_capture_dump (f->capture);
      g_printerr ("child log:\n%s\nfinished %" G_GUINT64_FORMAT "\n", dump,
                  milter_client_get_n_finished_sessions (f->client));
    }
    _exit (ok ? 0 : 1);
  }
  close (ready[1]);
  g_assert_cmpint (read (ready[0], &byte, 1), ==, 0);
  close (ready[0]);
  return pid;
}

static void
assert_child_passed (pid_t pid)
{
  gint status;

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

/* ---- suspend and resume (RLIMIT_NOFILE) ---- */

static gboolean
suspended_and_resumed (Fixture *f)
{
  return milter_test_log_capture_count (f->capture, MILTER_LOG_LEVEL_WARNING,
                                        "[client][accept][suspend]") > 0 &&
         milter_test_log_capture_count (f->capture, MILTER_LOG_LEVEL_WARNING,
                                        "[client][accept][resume]") > 0 &&
         milter_client_get_n_finished_sessions (f->client) >= 4;
}

static void
limit_descriptors (Fixture *f)
{
  struct rlimit limit;
  gint highest = 0;

  /* Plug the holes below the highest open descriptor, so that exactly
   * the descriptors above it are free under the new limit. */
  {
    g_autoptr (GDir) fds = g_dir_open ("/proc/self/fd", 0, NULL);
    const gchar *name;

    while ((name = g_dir_read_name (fds)))
      highest = MAX (highest, atoi (name));
  }
  for (gint fd = open ("/dev/null", O_RDONLY); fd >= 0 && fd < highest;
       fd = open ("/dev/null", O_RDONLY))
    ;
  getrlimit (RLIMIT_NOFILE, &limit);
  /* Room for the listening socket and one or two sessions. */
  limit.rlim_cur = (rlim_t) highest + 4;
  milter_client_set_event_loop_backend (f->client, "glib");
  milter_client_set_pid_file (f->client, NULL);
  /* Create the loop before lowering the limit: its descriptors are not
   * what this test is about. */
  milter_event_loop_new_by_name ("glib", NULL);
  if (setrlimit (RLIMIT_NOFILE, &limit) == -1)
    g_printerr ("setrlimit: %s\n", g_strerror (errno));
}

static void
test_suspend_resume (Fixture *f, gconstpointer data)
{
  pid_t pid;
  ClientTestMta *mtas[4] = { NULL };

  (void) data;
  if (skip_under_valgrind ())
    return;
  milter_client_set_suspend_time (f->client, 0.2);
  f->child_done = suspended_and_resumed;
  f->child_give_up = 8;
  pid = fork_client (f, limit_descriptors);
  for (guint i = 0; i < G_N_ELEMENTS (mtas); i++) {
    mtas[i] = client_test_mta_connect (f->spec, NULL);
    g_assert_nonnull (mtas[i]);
    send_negotiate (mtas[i], 300);
  }
  /* Let the sessions go one by one: each freed descriptor lets one more in. */
  for (guint i = 0; i < G_N_ELEMENTS (mtas); i++) {
    client_test_mta_pump (mtas[i], NULL, 1, 3000);
    g_assert_cmpuint (client_test_mta_n_replies (mtas[i]), ==, 1);
    client_test_mta_free (mtas[i]);
  }
  assert_child_passed (pid);
}

/* ---- multi-thread: the pool cannot start a thread (RLIMIT_AS) ---- */

static gboolean
pool_failed (Fixture *f)
{
  return milter_test_log_capture_count (f->capture, MILTER_LOG_LEVEL_ERROR,
                                        "[client][multi-thread][error]") > 0;
}

static void
limit_address_space (Fixture *f)
{
  struct rlimit limit;
  g_autofree gchar *statm = NULL;
  gulong pages = 0;

  milter_client_set_multi_thread (f->client, TRUE);
  milter_event_loop_new_by_name ("glib", NULL);
  /* No room for a thread stack: the pool fails to start a thread. */
  g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL);
  sscanf (statm, "%lu", &pages);
  limit.rlim_cur = pages * (gulong) sysconf (_SC_PAGESIZE) + 4 * 1024 * 1024;
  limit.rlim_max = RLIM_INFINITY;
  setrlimit (RLIMIT_AS, &limit);
}

static void
test_thread_pool_error (Fixture *f, gconstpointer data)
{
  pid_t pid;

  (void) data;
  if (skip_under_valgrind ())
    return;
  /* In a fresh process: idle pool threads and glibc's cache of thread
   * stacks left by earlier tests would let a thread start anyway. */
  if (!g_test_subprocess ()) {
    g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC,
                            G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed ();
    return;
  }
  f->child_done = pool_failed;
  f->child_give_up = 5;
  pid = fork_client (f, limit_address_space);
  {
    g_autoptr (ClientTestMta) mta = client_test_mta_connect (f->spec, NULL);
    g_assert_nonnull (mta);
    send_negotiate (mta, 1000);
    /* Closed without an answer. */
    g_assert_cmpuint (client_test_mta_n_replies (mta), ==, 0);
  }
  assert_child_passed (pid);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/client/rule/accept-allowed", test_accept_allowed);
  g_test_add_func ("/client/rule/format-statistics", test_format_statistics);
#define ADD(path, data, func) \
  g_test_add ("/client/" path, Fixture, data, setup, func, teardown)
  ADD ("session/unix/glib", "glib", test_session_unix);
  ADD ("session/unix/libev", "libev", test_session_unix);
  ADD ("session/inet/glib", "glib", test_session_inet);
  ADD ("session/inet/libev", "libev", test_session_inet);
  ADD ("session/multi-thread/glib", "glib", test_session_multi_thread);
  ADD ("session/multi-thread/libev", "libev", test_session_multi_thread);
  ADD ("unix-socket/mode-and-group", NULL, test_unix_socket_mode);
  ADD ("max-connections", NULL, test_max_connections);
  ADD ("pid-file/saved-and-removed", GUINT_TO_POINTER (0), test_pid_file);
  ADD ("error/default-spec", NULL, test_default_spec_error);
  ADD ("error/port-in-use/single-thread", GINT_TO_POINTER (0),
       test_port_in_use);
  ADD ("error/port-in-use/multi-thread", GINT_TO_POINTER (1),
       test_port_in_use);
  ADD ("error/unknown-backend", NULL, test_unknown_backend);
  ADD ("error/unix-group", NULL, test_unix_group_error);
  ADD ("error/unix-cleanup", NULL, test_unix_cleanup_error);
  ADD ("error/fail-cleanup", NULL, test_fail_cleanup_error);
  ADD ("error/pid-file-remove", GUINT_TO_POINTER (1), test_pid_file);
  ADD ("error/accept-start/single-thread", GINT_TO_POINTER (0),
       test_accept_start_error);
  ADD ("error/accept-start/multi-thread", GINT_TO_POINTER (1),
       test_accept_start_error);
  ADD ("error/accept", NULL, test_accept_error);
  ADD ("error/watch", NULL, test_watch_error);
  ADD ("error/thread-pool", NULL, test_thread_pool_error);
  ADD ("accept/suspend-resume", NULL, test_suspend_resume);
#undef ADD
  return g_test_run ();
}

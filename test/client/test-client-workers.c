/*
 * test-client-workers - multi-worker mode: master, workers, restarts
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-command-encoder.h>
#include <milter/client/milter-client.h>

#include "../lib/milter-test-log.h"
#include "../lib/milter-test-net.h"
#include "client-test-mta.h"

/* The live children of pid, from /proc. */
static GArray *
children_of (pid_t parent)
{
  GArray *children = g_array_new (FALSE, FALSE, sizeof (pid_t));
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const gchar *name;

  while ((name = g_dir_read_name (proc))) {
    g_autofree gchar *path = NULL;
    g_autofree gchar *stat = NULL;
    const gchar *after;
    gchar state;
    gint ppid;

    if (!g_ascii_isdigit (name[0]))
      continue;
    path = g_build_filename ("/proc", name, "stat", NULL);
    if (!g_file_get_contents (path, &stat, NULL, NULL))
      continue;
    after = strrchr (stat, ')');
    if (!after || sscanf (after + 2, "%c %d", &state, &ppid) != 2)
      continue;
    if (ppid == parent && state != 'Z') {
      pid_t pid = (pid_t) atoi (name);
      g_array_append_val (children, pid);
    }
  }
  return children;
}

static guint
wait_n_children (pid_t parent, guint n)
{
  guint found = 0;

  for (guint i = 0; i < 300; i++) {
    g_autoptr (GArray) children = children_of (parent);

    found = children->len;
    if (found == n)
      break;
    g_usleep (10000);
  }
  return found;
}

/* Each worker answers helo with a reply code naming its PID. */
static MilterStatus
reply_with_pid (MilterClientContext *context, const gchar *fqdn,
                gpointer data)
{
  g_autofree gchar *text = g_strdup_printf ("pid %d", (gint) getpid ());

  (void) fqdn;
  (void) data;
  milter_client_context_set_reply (context, 451, "4.7.1", text, NULL);
  return MILTER_STATUS_TEMPORARY_FAILURE;
}

static void
connect_reply_with_pid (MilterClient *client, MilterClientContext *context,
                        gpointer data)
{
  (void) client;
  (void) data;
  g_signal_connect (context, "helo", G_CALLBACK (reply_with_pid), NULL);
}

/* One session; returns the PID of the worker that served it, 0 if none. */
static pid_t
one_session (const gchar *spec)
{
  g_autoptr (ClientTestMta) mta = NULL;
  GByteArray *out;
  const gchar *reply;

  for (guint i = 0; i < 200 && !mta; i++) {
    mta = client_test_mta_connect (spec, NULL);
    if (!mta)
      g_usleep (10000);
  }
  if (!mta)
    return 0;
  out = client_test_mta_output (mta);
  milter_command_encode_negotiate (out, 6, MILTER_ACTION_ALL, MILTER_STEP_ALL);
  milter_command_encode_connect (out, "c", MILTER_FAMILY_INET, 25, "192.0.2.1");
  milter_command_encode_helo (out, "client.example");
  milter_command_encode_quit (out);
  if (!client_test_mta_pump (mta, NULL, 3, 3000))
    return 0;
  reply = strstr (client_test_mta_reply (mta, 2), "pid ");
  return reply ? (pid_t) atoi (reply + 4) : 0;
}

static gboolean
array_has (GArray *pids, pid_t pid)
{
  for (guint i = 0; i < pids->len; i++) {
    if (g_array_index (pids, pid_t, i) == pid)
      return TRUE;
  }
  return FALSE;
}

/* Polls (5 s at most) until pid no longer exists: reaped, not a zombie. */
static gboolean
wait_gone (pid_t pid)
{
  for (guint i = 0; i < 500; i++) {
    if (kill (pid, 0) == -1 && errno == ESRCH)
      return TRUE;
    g_usleep (10000);
  }
  return FALSE;
}

static void
test_workers (gconstpointer data)
{
  const gchar *backend = data;
  /* Static: the forked master leaves through _exit(). */
  static gchar directory[64], socket_path[128], pid_file[128], spec[160];
  g_autoptr (GArray) workers = NULL;
  g_autoptr (GArray) now = NULL;
  g_autofree gchar *contents = NULL;
  pid_t master;
  pid_t victim;
  pid_t served_by_new = 0;
  gint status;
  g_autofree gchar *made = g_dir_make_tmp ("test-workers-XXXXXX", NULL);

  g_snprintf (directory, sizeof (directory), "%s", made);
  g_snprintf (socket_path, sizeof (socket_path), "%s/m.sock", directory);
  g_snprintf (pid_file, sizeof (pid_file), "%s/m.pid", directory);
  g_snprintf (spec, sizeof (spec), "unix:%s", socket_path);
  master = fork ();
  g_assert_cmpint (master, >=, 0);
  if (master == 0) {
    MilterClient *client = milter_client_new ();
    gboolean success;

    milter_client_set_connection_spec (client, spec, NULL);
    milter_client_set_n_workers (client, 2);
    milter_client_set_event_loop_backend (client, backend);
    milter_client_set_pid_file (client, pid_file);
    g_signal_connect (client, "connection-established",
                      G_CALLBACK (connect_reply_with_pid), NULL);
    success = milter_client_run (client, NULL);
    g_object_unref (client);
    _exit (success ? 0 : 1);
  }
  g_assert_cmpuint (wait_n_children (master, 2), ==, 2);
  workers = children_of (master);
  for (guint i = 0; i < 10; i++) {
    pid_t worker = one_session (spec);

    g_assert_true (array_has (workers, worker));
  }
  g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
  g_assert_cmpint (atoi (contents), ==, master);

  /* A worker that dies is reaped and replaced by a new one. */
  victim = g_array_index (workers, pid_t, 0);
  g_assert_cmpint (kill (victim, SIGKILL), ==, 0);
  g_assert_true (wait_gone (victim));
  g_assert_cmpuint (wait_n_children (master, 2), ==, 2);
  now = children_of (master);
  g_assert_false (array_has (now, victim));
  /* The kernel picks the worker that accepts: ask until the new one
   * answers (a worker that only ever lost that race would fail here). */
  for (guint i = 0; i < 100 && !served_by_new; i++) {
    pid_t worker = one_session (spec);

    g_assert_true (array_has (now, worker));
    if (!array_has (workers, worker))
      served_by_new = worker;
  }
  g_assert_cmpint (served_by_new, >, 0);
  g_assert_cmpint (served_by_new, !=, victim);

  kill (master, SIGTERM);
  g_assert_cmpint (waitpid (master, &status, 0), ==, master);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (pid_file, G_FILE_TEST_EXISTS));
  {
    g_autoptr (GArray) left = children_of (master);
    g_assert_cmpuint (left->len, ==, 0);
  }
  for (guint i = 0; i < now->len; i++)
    g_assert_true (wait_gone (g_array_index (now, pid_t, i)));
  g_rmdir (directory);
}

static void
hold_port_and_run (MilterClient *first, gpointer data)
{
  g_assert_false (milter_client_run (data, NULL));
  milter_client_shutdown (first);
}

static void
test_master_listen_error (void)
{
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  g_autoptr (MilterClient) first = milter_client_new ();
  g_autoptr (MilterClient) second = milter_client_new ();
  g_autofree gchar *spec = milter_test_free_inet_spec ();

  milter_client_set_connection_spec (first, spec, NULL);
  milter_client_set_handle_signals (first, FALSE);
  milter_client_set_connection_spec (second, spec, NULL);
  milter_client_set_n_workers (second, 2);
  g_signal_connect (first, "listen-started", G_CALLBACK (hold_port_and_run),
                    second);
  g_assert_true (milter_client_run (first, NULL));
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][workers][run][listen][error]");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][master][run][error]");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][main][error]");
}

static void
test_worker_listen_error (void)
{
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  g_autoptr (MilterClient) client = milter_client_new ();
  g_autoptr (GError) error = NULL;
  gint fds[2];

  /* A pipe is no socket: listen(2) fails in the worker. */
  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_false (milter_client_run_worker (client, fds[0], &error));
  g_assert_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_LISTEN);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][worker][run][listen][error]");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][worker][run][error]");
  close (fds[0]);
  close (fds[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/client/workers/run/glib", "glib", test_workers);
  g_test_add_data_func ("/client/workers/run/libev", "libev", test_workers);
  g_test_add_func ("/client/workers/error/master-listen",
                   test_master_listen_error);
  g_test_add_func ("/client/workers/error/worker-listen",
                   test_worker_listen_error);
  return g_test_run ();
}

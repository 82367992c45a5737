/*
 * test-client - MilterClient: listening, sessions, runners, failures
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-socket.h>
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
  GThread *session_thread;   /* where connection-established ran */
  GThread *helo_thread;      /* where the session's helo handler ran */
  /* Whether the accepted socket had TCP_NODELAY (-1: not TCP). */
  gint session_nodelay;
  guint n_maintain;
  /* For fork_client: when the child's client has done its work, and how
   * long it may take. */
  gboolean (*child_done) (Fixture *f);
  gdouble child_give_up;
  /* An inotify descriptor on the directory, and whether a check ran. */
  gint watch_fd;
  gboolean checked;
  /* For start_idle_check: what to check once the loop runs. */
  void (*idle_check) (Fixture *f);
  /* For the reuse test: per session, what its helo handler saw. */
  MilterClientContext *helo_contexts[3];
  guint64 helo_session_ids[3];
  gchar *helo_macros[3];
  MilterClientState helo_states[3];
  guint helo_n_finalized[3];  /* contexts finalized before that helo */
  guint n_finalized;
  guint n_helos;
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
  f->watch_fd = -1;
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
  if (f->watch_fd >= 0)
    close (f->watch_fd);
  command = g_strdup_printf ("rm -rf '%s'", f->directory);
  g_assert_cmpint (system (command), ==, 0);
  g_free (f->directory);
  g_free (f->socket_path);
  g_free (f->spec);
  g_free (f->replies);
  for (guint i = 0; i < G_N_ELEMENTS (f->helo_macros); i++)
    g_free (f->helo_macros[i]);
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

static MilterStatus
record_helo_thread (MilterClientContext *context, const gchar *fqdn,
                    gpointer data)
{
  Fixture *f = data;

  (void) context;
  (void) fqdn;
  f->helo_thread = g_thread_self ();
  return MILTER_STATUS_CONTINUE;
}

static void
record_thread (MilterClient *client, MilterClientContext *context,
               gpointer data)
{
  Fixture *f = data;

  gint fd = milter_reader_get_fd (milter_agent_get_reader (MILTER_AGENT (context)));
  gint value = 0;
  socklen_t length = sizeof (value);

  (void) client;
  f->session_thread = g_thread_self ();
  g_signal_connect (context, "helo", G_CALLBACK (record_helo_thread), f);
  f->session_nodelay = -1;
  if (getsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) == 0)
    f->session_nodelay = value != 0;
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

static gboolean
idle_check_and_stop (gpointer data)
{
  Fixture *f = data;

  f->idle_check (f);
  milter_client_shutdown (f->client);
  return G_SOURCE_REMOVE;
}

/* A "listen-started" handler: f->idle_check() once the loop runs, then
 * the client stops. */
static void
start_idle_check (MilterClient *client, gpointer data)
{
  milter_event_loop_add_idle (milter_client_get_event_loop (client),
                              idle_check_and_stop, data, NULL);
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
test_finished_needs_notice (void)
{
  static const struct {
    guint processing, unreported, max, interval;
    gboolean wanted, notice;
  } cases[] = {
    /* The last session: maintenance. */
    { 0, 1, 0, 100, TRUE, TRUE },
    { 0, 1, 0, 0, TRUE, TRUE },
    /* Others running, nothing to do yet. */
    { 7, 1, 0, 100, TRUE, FALSE },
    { 7, 99, 0, 100, TRUE, FALSE },
    { 7, 5, 0, 0, TRUE, FALSE },
    /* Maintenance due. */
    { 7, 100, 0, 100, TRUE, TRUE },
    { 7, 101, 0, 100, TRUE, TRUE },
    /* A limit the accepting thread may have to lift. */
    { 7, 1, 10, 100, TRUE, TRUE },
    { 7, 1, 10, 0, TRUE, TRUE },
    /* "maintain" would do nothing: counted at the next wake-up. */
    { 0, 1, 0, 100, FALSE, FALSE },
    { 7, 100, 0, 100, FALSE, FALSE },
    /* ... but a limit still has to be lifted. */
    { 0, 1, 10, 100, FALSE, TRUE },
    { 7, 1, 10, 0, FALSE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_client_finished_needs_notice (cases[i].processing,
                                                          cases[i].unreported,
                                                          cases[i].max,
                                                          cases[i].interval,
                                                          cases[i].wanted),
                     ==, cases[i].notice);
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

/* A socket file nobody listens on, as a crashed milter leaves it. */
static void
make_stale_socket (const gchar *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  gint fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_strlcpy (address.sun_path, path, sizeof (address.sun_path));
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof (address)),
                   ==, 0);
  close (fd);
}

static void
test_session_unix (Fixture *f, gconstpointer data)
{
  const gchar *backend = data;
  struct stat status;

  milter_client_set_event_loop_backend (f->client, backend);
  /* A stale socket from an earlier run is replaced. */
  make_stale_socket (f->socket_path);
  milter_client_set_unix_socket_mode (f->client, 0660);
  milter_client_set_unix_socket_group (f->client,
                                       getgrgid (getegid ())->gr_name);
  run_one_session (f);
  g_assert_true (f->session_thread == g_thread_self ());
  g_assert_true (f->helo_thread == g_thread_self ());
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
  /* Every TCP connection, learnt once per listener. */
  g_assert_cmpint (f->session_nodelay, ==, 1);
}

static void
test_session_multi_thread (Fixture *f, gconstpointer data)
{
  const gchar *backend = data;

  milter_client_set_event_loop_backend (f->client, backend);
  milter_client_set_multi_thread (f->client, TRUE);
  run_one_session (f);
  /* The session starts in the accepting thread (no hand-off before the
   * first command); its handlers run in a pool thread. */
  g_assert_true (f->session_thread == g_thread_self ());
  g_assert_true (f->helo_thread != NULL);
  g_assert_true (f->helo_thread != g_thread_self ());
}


/* ---- reused contexts ---- */

static guint
count_substrings (const gchar *haystack, const gchar *needle)
{
  guint n = 0;

  for (const gchar *at = strstr (haystack, needle); at;
       at = strstr (at + 1, needle))
    n++;
  return n;
}

static void
count_finalized (gpointer data, GObject *gone)
{
  Fixture *f = data;

  (void) gone;
  g_atomic_int_inc (&f->n_finalized);
}

static MilterStatus
reuse_helo (MilterClientContext *context, const gchar *fqdn, gpointer data)
{
  Fixture *f = data;
  guint i = f->n_helos++;

  (void) fqdn;
  if (i < G_N_ELEMENTS (f->helo_contexts)) {
    f->helo_contexts[i] = context;
    f->helo_session_ids[i] = milter_agent_get_session_id (MILTER_AGENT (context));
    f->helo_macros[i] = g_strdup (milter_client_context_get_macro (context, "{x}"));
    f->helo_states[i] = milter_client_context_get_state (context);
    f->helo_n_finalized[i] = (guint) g_atomic_int_get (&f->n_finalized);
  }
  /* Tells when the first session's context goes. */
  if (i == 0)
    g_object_weak_ref (G_OBJECT (context), count_finalized, f);
  return MILTER_STATUS_CONTINUE;
}

static const MilterClientContextEvents reuse_events = { .helo = reuse_helo };

static void
reuse_established (MilterClient *client, MilterClientContext *context,
                   gpointer data)
{
  (void) client;
  milter_client_context_set_events (context, &reuse_events, data);
}

/* Three sessions one after the other; only the first defines {x} for
 * helo, and it leaves without quit in the middle of a message. */
static gpointer
reuse_mta_thread (gpointer data)
{
  Fixture *f = data;
  GString *replies = g_string_new (NULL);

  for (guint session = 0; session < 3; session++) {
    g_autoptr (ClientTestMta) mta = NULL;
    g_autofree gchar *dump = NULL;
    GByteArray *out;

    for (guint i = 0; i < 100 && !mta; i++) {
      mta = client_test_mta_connect (f->spec, NULL);
      if (!mta)
        g_usleep (10000);
    }
    if (!mta)
      break;
    out = client_test_mta_output (mta);
    milter_command_encode_negotiate (out, 6, MILTER_ACTION_ALL,
                                     MILTER_STEP_ALL);
    if (session == 0) {
      const gchar *names[] = {"{x}"}, *values[] = {"first"};

      milter_command_encode_define_macro (out, 'H', names, values, 1);
    }
    milter_command_encode_helo (out, "client");
    milter_command_encode_envelope_from (out, "<a@example.org>", NULL);
    client_test_mta_pump (mta, NULL, 3, 5000);
    if (session != 0)
      milter_command_encode_quit (out);
    else
      client_test_mta_close (mta);
    client_test_mta_pump (mta, NULL, 4, 2000);
    dump = client_test_mta_dump (mta);
    g_string_append_printf (replies, "%s\n--\n", dump);
    /* Until the session is counted out and its thread has let go. */
    for (guint i = 0; i < 500 &&
         milter_client_get_n_finished_sessions (f->client) < session + 1; i++)
      g_usleep (2000);
    g_usleep (50000);
  }
  f->replies = g_string_free (replies, FALSE);
  g_atomic_int_set (&f->mta_done, 1);
  return NULL;
}

static void
test_reuse_contexts (Fixture *f, gconstpointer data)
{
  GThread *thread;
  g_autoptr (GError) error = NULL;

  (void) data;
  milter_client_set_multi_thread (f->client, TRUE);
  milter_client_set_reuse_contexts (f->client, TRUE);
  g_signal_connect (f->client, "listen-started", G_CALLBACK (start_stopper), f);
  g_signal_connect (f->client, "connection-established",
                    G_CALLBACK (reuse_established), f);
  thread = g_thread_new ("mta", reuse_mta_thread, f);
  g_assert_true (milter_client_run (f->client, &error));
  g_assert_no_error (error);
  g_thread_join (thread);
  g_test_message ("replies:\n%s", f->replies);
  g_assert_cmpuint (f->n_helos, ==, 3);
  g_assert_cmpuint (milter_client_get_n_finished_sessions (f->client), ==, 3);
  /* One context served all three (not a new one at the same address)... */
  g_assert_true (f->helo_contexts[1] == f->helo_contexts[0]);
  g_assert_true (f->helo_contexts[2] == f->helo_contexts[0]);
  g_assert_cmpuint (f->helo_n_finalized[1], ==, 0);
  g_assert_cmpuint (f->helo_n_finalized[2], ==, 0);
  /* ... and went with the run. */
  g_assert_cmpuint (f->n_finalized, ==, 1);
  /* ... as three sessions: ids, macros and state start afresh. */
  g_assert_cmpuint (f->helo_session_ids[0], !=, f->helo_session_ids[1]);
  g_assert_cmpuint (f->helo_session_ids[1], !=, f->helo_session_ids[2]);
  g_assert_cmpstr (f->helo_macros[0], ==, "first");
  g_assert_null (f->helo_macros[1]);
  g_assert_null (f->helo_macros[2]);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (f->helo_states[i], ==, f->helo_states[0]);
  /* Each session got the full answer, the one cut short too. */
  g_assert_cmpuint (count_substrings (f->replies, "negotiate-reply"), ==, 3);
  g_assert_cmpuint (count_substrings (f->replies, "\ncontinue\ncontinue"), ==, 3);
}

/* ---- the unix socket path ---- */

typedef enum {
  PATH_REGULAR_FILE,
  PATH_DIRECTORY,
  PATH_SYMLINK
} PathKind;

/* What is at the socket path, and a check that it is still there. */
static void
put_at_path (const gchar *path, PathKind kind, const gchar *target)
{
  switch (kind) {
  case PATH_REGULAR_FILE:
    g_assert_true (g_file_set_contents (path, "precious", -1, NULL));
    break;
  case PATH_DIRECTORY:
    g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
    break;
  case PATH_SYMLINK:
    g_assert_true (g_file_set_contents (target, "precious", -1, NULL));
    g_assert_cmpint (symlink (target, path), ==, 0);
    break;
  }
}

static void
assert_still_at_path (const gchar *path, PathKind kind, const gchar *target)
{
  g_autofree gchar *contents = NULL;
  struct stat status;

  g_assert_cmpint (lstat (path, &status), ==, 0);
  switch (kind) {
  case PATH_REGULAR_FILE:
    g_assert_true (S_ISREG (status.st_mode));
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "precious");
    break;
  case PATH_DIRECTORY:
    g_assert_true (S_ISDIR (status.st_mode));
    break;
  case PATH_SYMLINK:
    g_assert_true (S_ISLNK (status.st_mode));
    g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, "precious");
    break;
  }
}

/* Only a socket may be replaced: anything else at the path is refused
 * with an error that names it, and left alone. */
static void
test_unix_not_a_socket (Fixture *f, gconstpointer data)
{
  PathKind kind = GPOINTER_TO_INT (data);
  g_autofree gchar *target = g_build_filename (f->directory, "target", NULL);
  g_autoptr (GError) error = NULL;

  put_at_path (f->socket_path, kind, target);
  /* Without the fix the client would listen: end at once then. */
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (milter_client_shutdown), NULL);
  g_assert_false (milter_client_run (f->client, &error));
  /* The socket layer's own error, passed up unchanged. */
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_NOT_SOCKET);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, f->socket_path));
  g_assert_nonnull (strstr (error->message, "not a socket"));
  assert_still_at_path (f->socket_path, kind, target);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][error][unix]");
}

static void
try_second_on_same_path (MilterClient *first, gpointer data)
{
  Fixture *f = data;
  g_autoptr (MilterClient) second = milter_client_new ();
  g_autoptr (ClientTestMta) mta = NULL;
  g_autoptr (GError) error = NULL;

  milter_client_set_connection_spec (second, f->spec, NULL);
  milter_client_set_handle_signals (second, FALSE);
  g_signal_connect (second, "listen-started",
                    G_CALLBACK (milter_client_shutdown), NULL);
  g_assert_false (milter_client_run (second, &error));
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_IN_USE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, f->socket_path));
  g_clear_error (&error);
  /* The path still leads to the first client. */
  mta = client_test_mta_connect (f->spec, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mta);
  f->checked = TRUE;
  milter_client_shutdown (first);
}

/* A socket somebody listens on is in use: not removed, start fails. */
static void
test_unix_live_socket (Fixture *f, gconstpointer data)
{
  (void) data;
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (try_second_on_same_path), f);
  g_assert_true (milter_client_run (f->client, NULL));
  g_assert_true (f->checked);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][error][unix]");
}

static void
stat_stale_replaced (MilterClient *client, gpointer data)
{
  Fixture *f = data;
  g_autoptr (ClientTestMta) mta = client_test_mta_connect (f->spec, NULL);

  (void) client;
  /* Connectable: the stale socket has been replaced by a listening one. */
  g_assert_nonnull (mta);
  f->checked = TRUE;
  milter_client_shutdown (f->client);
}

static void
test_unix_stale_socket (Fixture *f, gconstpointer data)
{
  (void) data;
  make_stale_socket (f->socket_path);
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (stat_stale_replaced), f);
  g_assert_true (milter_client_run (f->client, NULL));
  g_assert_true (f->checked);
  g_assert_false (g_file_test (f->socket_path, G_FILE_TEST_EXISTS));
}

/* The inotify events so far name the socket: created, and never changed
 * after (IN_ATTRIB would be a chmod or chown after bind(2)). */
static void
check_created_with_mode (MilterClient *client, gpointer data)
{
  Fixture *f = data;
  const gchar *name = "milter.sock";
  gchar buffer[4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  gboolean created = FALSE;
  gssize n;
  struct stat status;

  (void) client;
  g_assert_cmpint (lstat (f->socket_path, &status), ==, 0);
  g_assert_true (S_ISSOCK (status.st_mode));
  g_assert_cmpint (status.st_mode & 07777, ==, 0640);
  while ((n = read (f->watch_fd, buffer, sizeof (buffer))) > 0) {
    for (gchar *p = buffer; p < buffer + n;) {
      const struct inotify_event *event = (const struct inotify_event *) p;

      if (event->len > 0 && strcmp (event->name, name) == 0) {
        if (event->mask & IN_CREATE)
          created = TRUE;
        g_assert_false (event->mask & IN_ATTRIB);
      }
      p += sizeof (*event) + event->len;
    }
  }
  g_assert_true (created);
  f->checked = TRUE;
  milter_client_shutdown (client);
}

/* The mode is the socket's from bind(2) on: no moment with the umask's
 * permissions. The process umask is left as it was. */
static void
test_unix_mode_at_bind (Fixture *f, gconstpointer data)
{
  mode_t old_umask;

  (void) data;
  f->watch_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  g_assert_cmpint (f->watch_fd, >=, 0);
  g_assert_cmpint (inotify_add_watch (f->watch_fd, f->directory,
                                      IN_CREATE | IN_ATTRIB), >=, 0);
  milter_client_set_unix_socket_mode (f->client, 0640);
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (check_created_with_mode), f);
  /* A plain bind(2) would then make the socket 0777. */
  old_umask = umask (0);
  g_assert_true (milter_client_run (f->client, NULL));
  g_assert_cmpint (umask (old_umask), ==, 0);
  g_assert_true (f->checked);
}

static void
replace_socket_and_stop (MilterClient *client, gpointer data)
{
  Fixture *f = data;

  g_assert_cmpint (g_unlink (f->socket_path), ==, 0);
  g_assert_true (g_file_set_contents (f->socket_path, "precious", -1, NULL));
  milter_client_shutdown (client);
}

/* Removed on close only while the path is still the socket we made. */
static void
test_unix_replaced_kept (Fixture *f, gconstpointer data)
{
  (void) data;
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (replace_socket_and_stop), f);
  g_assert_false (milter_client_run (f->client, NULL));
  assert_still_at_path (f->socket_path, PATH_REGULAR_FILE, NULL);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][unix][error]");
}

/* ---- the PID file ---- */

static void
check_pid_file (Fixture *f)
{
  g_autofree gchar *pid_file = g_build_filename (f->directory, "milter.pid",
                                                 NULL);
  g_autofree gchar *contents = NULL;
  g_autofree gchar *expected = g_strdup_printf ("%d\n", (gint) getpid ());

  g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, expected);
  /* Not root: a directory we cannot write keeps the file (as root the
   * drop to nobody does, see test_pid_file). */
  if (f->n_maintain == 1 && !g_test_subprocess ())
    g_assert_cmpint (g_chmod (f->directory, 0500), ==, 0);
  f->checked = TRUE;
}

/* A child that lives until *release is closed. */
static pid_t
fork_sleeper (gint *release)
{
  gint fds[2];
  pid_t pid;
  gchar byte;

  g_assert_cmpint (pipe (fds), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0) {
    close (fds[1]);
    while (read (fds[0], &byte, 1) == -1 && errno == EINTR)
      ;
    _exit (0);
  }
  close (fds[0]);
  *release = fds[1];
  return pid;
}

static void
end_sleeper (pid_t pid, gint release)
{
  gint status;

  close (release);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
}

static gchar *
pid_file_path (Fixture *f)
{
  return g_build_filename (f->directory, "milter.pid", NULL);
}

/* Starting must fail, leaving the PID file as it was and no socket. */
static void
assert_start_refused (Fixture *f, const gchar *pid_file, const gchar *before)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *contents = NULL;

  milter_client_set_pid_file (f->client, pid_file);
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (milter_client_shutdown), NULL);
  g_assert_false (milter_client_run (f->client, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, pid_file));
  g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, before);
  g_assert_false (g_file_test (f->socket_path, G_FILE_TEST_EXISTS));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][pid-file][save][error]");
}

static void
test_pid_file_live_other (Fixture *f, gconstpointer data)
{
  g_autofree gchar *pid_file = pid_file_path (f);
  g_autofree gchar *before = NULL;
  gint release;
  pid_t other = fork_sleeper (&release);

  (void) data;
  before = g_strdup_printf ("%d\n", (gint) other);
  g_assert_true (g_file_set_contents (pid_file, before, -1, NULL));
  assert_start_refused (f, pid_file, before);
  end_sleeper (other, release);
}

/* Another process holds the lock (it may not have written its PID yet). */
static void
test_pid_file_locked (Fixture *f, gconstpointer data)
{
  g_autofree gchar *pid_file = pid_file_path (f);
  gint fd = open (pid_file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  gint release;
  pid_t other;

  (void) data;
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);
  /* The lock belongs to the open file, which the sleeper inherits: once
   * ours is closed, the sleeper alone holds it. */
  other = fork_sleeper (&release);
  close (fd);
  assert_start_refused (f, pid_file, "");
  end_sleeper (other, release);
}

/* A PID file left by a process that has ended is taken over. */
static void
test_pid_file_stale (Fixture *f, gconstpointer data)
{
  g_autofree gchar *pid_file = pid_file_path (f);
  g_autofree gchar *before = NULL;
  gint release;
  pid_t dead = fork_sleeper (&release);

  (void) data;
  end_sleeper (dead, release);
  before = g_strdup_printf ("%d\n", (gint) dead);
  g_assert_true (g_file_set_contents (pid_file, before, -1, NULL));
  milter_client_set_pid_file (f->client, pid_file);
  f->idle_check = check_pid_file;
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (start_idle_check), f);
  g_assert_true (milter_client_run (f->client, NULL));
  g_assert_true (f->checked);
  g_assert_false (g_file_test (pid_file, G_FILE_TEST_EXISTS));
}

static void
hand_pid_file_over (Fixture *f)
{
  g_autofree gchar *pid_file = pid_file_path (f);

  /* Another instance took the file over. */
  g_assert_true (g_file_set_contents (pid_file, "1\n", -1, NULL));
}

/* Removed on exit only while it holds our PID. */
static void
test_pid_file_not_ours (Fixture *f, gconstpointer data)
{
  g_autofree gchar *pid_file = pid_file_path (f);
  g_autofree gchar *contents = NULL;

  (void) data;
  milter_client_set_pid_file (f->client, pid_file);
  f->idle_check = hand_pid_file_over;
  g_signal_connect (f->client, "listen-started", G_CALLBACK (start_idle_check),
                    f);
  g_assert_true (milter_client_run (f->client, NULL));
  g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "1\n");
}

/* ---- privileges ---- */

/* Root: runs the rest of the test in a child whose client drops to
 * nobody (inet spec; nobody may enter the test's directory, not write in
 * it). FALSE in the parent, which has then checked the child. */
static gboolean
in_child_dropping_to_nobody (Fixture *f)
{
  if (!g_test_subprocess ()) {
    g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC,
                            G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed ();
    return FALSE;
  }
  g_assert_cmpint (g_chmod (f->directory, 0755), ==, 0);
  use_inet_spec (f);
  milter_client_set_user (f->client, "nobody");
  return TRUE;
}


static void
check_dropped (Fixture *f)
{
  g_autofree gchar *pid_file = pid_file_path (f);
  g_autofree gchar *contents = NULL;
  g_autofree gchar *expected = g_strdup_printf ("%d\n", (gint) getpid ());
  struct passwd *nobody = getpwnam ("nobody");
  struct stat status;

  g_assert_cmpuint (geteuid (), ==, nobody->pw_uid);
  g_assert_cmpuint (getuid (), ==, nobody->pw_uid);
  /* Written by root: the unprivileged process cannot rewrite it. */
  g_assert_cmpint (stat (pid_file, &status), ==, 0);
  g_assert_cmpuint (status.st_uid, ==, 0);
  g_assert_cmpint (status.st_mode & 0022, ==, 0);
  g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, expected);
  g_assert_false (g_file_set_contents (pid_file, "1\n", -1, NULL));
  f->checked = TRUE;
}

/* Root: the PID file is written before the switch to the user. */
static void
test_pid_file_before_drop (Fixture *f, gconstpointer data)
{
  g_autofree gchar *pid_file = pid_file_path (f);

  (void) data;
  if (geteuid () != 0 || !getpwnam ("nobody")) {
    g_test_skip ("needs root and the user nobody");
    return;
  }
  if (!in_child_dropping_to_nobody (f))
    return;
  milter_client_set_pid_file (f->client, pid_file);
  f->idle_check = check_dropped;
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (start_idle_check), f);
  /* Removing the file fails then: error/pid-file-remove checks that. */
  milter_client_run (f->client, NULL);
  g_assert_true (f->checked);
  /* nobody could not run the teardown: the parent's does. */
  _exit (0);
}

/* Not root: a user or group switch that is asked for is an error. */
static void
test_switch_user_not_root (Fixture *f, gconstpointer data)
{
  const gchar *what = data;
  g_autoptr (GError) error = NULL;

  if (!g_test_subprocess ()) {
    g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC,
                            G_TEST_SUBPROCESS_INHERIT_STDERR);
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
  use_inet_spec (f);
  if (strcmp (what, "user") == 0)
    milter_client_set_user (f->client, "root");
  else
    milter_client_set_group (f->client, "root");
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (milter_client_shutdown), NULL);
  g_assert_false (milter_client_run (f->client, &error));
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "root"));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[client][single-thread][start][error]");
  /* Perhaps nobody now, who could not run the teardown: the parent's does. */
  _exit (0);
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

/* An MTA that connects and never sends a byte. */
static gpointer
silent_mta (gpointer data)
{
  Fixture *f = data;
  g_autoptr (ClientTestMta) mta = NULL;
  gint64 start;

  for (guint i = 0; i < 100 && !mta; i++) {
    mta = client_test_mta_connect (f->spec, NULL);
    if (!mta)
      g_usleep (10000);
  }
  if (mta) {
    start = g_get_monotonic_time ();
    client_test_mta_pump (mta, NULL, 1, 5000);
    /* n_replies: tenths of a second until the milter closed, if it did. */
    if (client_test_mta_is_closed (mta))
      f->n_replies = (guint) ((g_get_monotonic_time () - start) / 100000);
    else
      f->n_replies = G_MAXUINT;
  }
  g_atomic_int_set (&f->mta_done, 1);
  return NULL;
}

static void
test_session_timeout (Fixture *f, gconstpointer data)
{
  GThread *thread;

  (void) data;
  g_assert_cmpfloat (milter_client_get_session_timeout (f->client), ==,
                     MILTER_CLIENT_CONTEXT_DEFAULT_TIMEOUT);
  g_assert_cmpfloat (MILTER_CLIENT_CONTEXT_DEFAULT_TIMEOUT, ==, 7210);
  milter_client_set_session_timeout (f->client, 0.3);
  g_signal_connect (f->client, "listen-started", G_CALLBACK (start_stopper), f);
  thread = g_thread_new ("mta", silent_mta, f);
  g_assert_true (milter_client_run (f->client, NULL));
  g_thread_join (thread);
  /* Closed by the milter after about 0.3 s, not left open. */
  g_assert_cmpuint (f->n_replies, <, 30);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, ANY,
                             "[client][error][timeout]");
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

static void
test_pid_file (Fixture *f, gconstpointer data)
{
  g_autofree gchar *pid_file = g_build_filename (f->directory, "milter.pid",
                                                 NULL);

  f->n_maintain = GPOINTER_TO_UINT (data);
  if (f->n_maintain == 1 && geteuid () == 0) {
    struct passwd *nobody = getpwnam ("nobody");

    /* Root may unlink anywhere: after the drop to nobody it may not. */
    if (!nobody) {
      g_test_skip ("needs the user nobody when run as root");
      return;
    }
    if (!in_child_dropping_to_nobody (f))
      return;
  }
  milter_client_set_pid_file (f->client, pid_file);
  f->idle_check = check_pid_file;
  g_signal_connect (f->client, "listen-started",
                    G_CALLBACK (start_idle_check), f);
  if (f->n_maintain == 1) {
    g_autofree gchar *contents = NULL;
    g_autofree gchar *expected = g_strdup_printf ("%d\n", (gint) getpid ());

    g_assert_false (milter_client_run (f->client, NULL));
    milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                               "[client][pid-file][error][remove]");
    milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, 0,
                               "[client][run][success][cleanup][error]");
    g_assert_true (g_file_get_contents (pid_file, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, expected);
    if (g_test_subprocess ())
      _exit (0);
    g_chmod (f->directory, 0700);
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
  g_test_add_func ("/client/rule/finished-needs-notice",
                   test_finished_needs_notice);
  g_test_add_func ("/client/rule/format-statistics", test_format_statistics);
#define ADD(path, data, func) \
  g_test_add ("/client/" path, Fixture, data, setup, func, teardown)
  ADD ("session/unix/glib", "glib", test_session_unix);
  ADD ("session/unix/libev", "libev", test_session_unix);
  ADD ("session/inet/glib", "glib", test_session_inet);
  ADD ("session/inet/libev", "libev", test_session_inet);
  ADD ("session/multi-thread/glib", "glib", test_session_multi_thread);
  ADD ("session/multi-thread/libev", "libev", test_session_multi_thread);
  ADD ("session/timeout", NULL, test_session_timeout);
  ADD ("session/reuse-contexts", NULL, test_reuse_contexts);
  ADD ("unix-socket/mode-and-group", NULL, test_unix_socket_mode);
  ADD ("unix-socket/not-a-socket/file", GINT_TO_POINTER (PATH_REGULAR_FILE),
       test_unix_not_a_socket);
  ADD ("unix-socket/not-a-socket/directory", GINT_TO_POINTER (PATH_DIRECTORY),
       test_unix_not_a_socket);
  ADD ("unix-socket/not-a-socket/symlink", GINT_TO_POINTER (PATH_SYMLINK),
       test_unix_not_a_socket);
  ADD ("unix-socket/live-socket-kept", NULL, test_unix_live_socket);
  ADD ("unix-socket/stale-socket-replaced", NULL, test_unix_stale_socket);
  ADD ("unix-socket/mode-at-bind", NULL, test_unix_mode_at_bind);
  ADD ("unix-socket/replaced-kept-on-close", NULL, test_unix_replaced_kept);
  ADD ("pid-file/live-other-refused", NULL, test_pid_file_live_other);
  ADD ("pid-file/locked-refused", NULL, test_pid_file_locked);
  ADD ("pid-file/stale-replaced", NULL, test_pid_file_stale);
  ADD ("pid-file/not-ours-kept", NULL, test_pid_file_not_ours);
  ADD ("privileges/pid-file-before-drop", NULL, test_pid_file_before_drop);
  ADD ("privileges/not-root/user", "user", test_switch_user_not_root);
  ADD ("privileges/not-root/group", "group", test_switch_user_not_root);
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

/*
 * test-server-context - the server context against scripted fake milters
 *
 * DESCRIPTION
 *   Each test scripts a fake milter (server-test-fake.c: a thread on a
 *   unix socket or TCP on loopback), drives the context through a plan of
 *   events with the runner, and compares the signals seen, the commands
 *   the fake received, and the log lines. Sessions that differ only in
 *   negotiation, answers and body are cases of one table (test_session).
 *   Every test runs on both event loop backends, glib and libev.
 */
#include "config.h"

#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/core/milter-reader.h>
#include <milter/core/milter-socket.h>
#include <milter/server/milter-server-context.h>

#include <test/lib/milter-test-log.h>
#include <test/lib/milter-test-net.h>
#include <test/server/server-test-fake.h>


/* A version-6 fake with add-headers that answers answers (if any), then
 * end-of-message with [progress,] add-header X-Test: yes and accept, and
 * expects quit. */
static void
start_eom_header_fake (ServerTestFake *fake, const gchar *answers,
                       gboolean progress)
{
  GByteArray *eom;

  server_test_fake_negotiate (fake, 6, MILTER_ACTION_ADD_HEADERS, 0);
  if (answers)
    server_test_fake_answers (fake, answers);
  server_test_fake_expect (fake, 'E');
  eom = server_test_fake_send_buffer (fake);
  if (progress)
    milter_reply_encode_progress (eom);
  milter_reply_encode_add_header (eom, "X-Test", "yes");
  milter_reply_encode_accept (eom);
  server_test_fake_expect_quit (fake);
  server_test_fake_start (fake);
}

static void
test_full_session (gconstpointer data)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  gsize body_size = MILTER_CHUNK_SIZE + 1000;
  g_autofree guint8 *body = g_malloc (body_size);
  const gchar *names[] = { "j", "{daemon_name}" };
  const gchar *values[] = { "mx.example.net", "test" };
  ServerTestRunner runner;

  memset (body, 'x', body_size);
  start_eom_header_fake (fake, "Cc Hc Mc Rc Tc Uc Lc Nc Bc Bc", TRUE);

  server_test_runner_init (&runner, data, fake->spec, "OCHMRTULNBEQ");
  runner.body = body;
  runner.body_size = body_size;
  milter_server_context_set_macros (runner.context, 'C', names, values, 2);
  server_test_runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) continue continue continue "
                   "continue continue continue continue continue continue "
                   "progress add-header(X-Test: yes) accept finished");
  server_test_fake_join (fake);
  /* Macros go right before their command; the body in two chunks. */
  g_assert_cmpstr (fake->commands->str, ==, "ODCHMRTULNBBEQ");
  g_assert_cmpuint (fake->body_bytes, ==, body_size);
  g_assert_cmpint (milter_server_context_get_status (runner.context), ==,
                   MILTER_STATUS_ACCEPT);
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_DEFAULT,
                                                   NULL), ==, 0);
  server_test_runner_clear (&runner);
}

/* An owner's table (milter_server_context_set_events): progress and
 * add-header go to its functions instead of the signals (which the runner
 * records), the verdicts it has no function for still to the signals. */
static void
table_progress (MilterServerContext *context, gpointer user_data)
{
  ServerTestRunner *runner = user_data;

  (void) context;
  g_string_append (runner->events, " table-progress");
}

static void
table_add_header (MilterServerContext *context, const gchar *name,
                  const gchar *value, gpointer user_data)
{
  ServerTestRunner *runner = user_data;

  (void) context;
  g_string_append_printf (runner->events, " table-add-header(%s: %s)", name,
                          value);
}

static const MilterServerContextEvents table_events = {
  .progress = table_progress,
  .add_header = table_add_header,
};

static void
test_events_table (gconstpointer data)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  ServerTestRunner runner;

  start_eom_header_fake (fake, "Cc", TRUE);

  server_test_runner_init (&runner, data, fake->spec, "OCEQ");
  milter_server_context_set_events (runner.context, &table_events, &runner);
  server_test_runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) continue table-progress "
                   "table-add-header(X-Test: yes) accept finished");
  server_test_fake_join (fake);
  server_test_runner_clear (&runner);
}

/* NULL gives the events back to the signals. */
static void
test_events_table_removed (gconstpointer data)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  ServerTestRunner runner;

  start_eom_header_fake (fake, NULL, FALSE);

  server_test_runner_init (&runner, data, fake->spec, "OEQ");
  milter_server_context_set_events (runner.context, &table_events, &runner);
  milter_server_context_set_events (runner.context, NULL, NULL);
  server_test_runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) add-header(X-Test: yes) accept "
                   "finished");
  server_test_fake_join (fake);
  server_test_runner_clear (&runner);
}

/* Sessions that differ only in what was negotiated, the milter's answers,
 * the plan and the body: what the caller saw, what the milter received. */
typedef struct {
  const gchar *name;
  guint32 version;
  MilterActionFlags actions;
  MilterStepFlags steps;
  const gchar *answers;      /* "Cc Ea": command, one-byte reply */
  const gchar *plan;
  gsize body_size;
  gboolean keep_going;       /* a verdict does not end the plan */
  gboolean eom_macro;        /* end-of-message macro i=Q1 */
  const gchar *events;
  const gchar *commands;
  gsize body_bytes;
  gsize eom_bytes;
  const gchar *macros;
} SessionCase;

static const SessionCase session_cases[] = {
  /* No helo, no headers; no reply expected to connect, data, body. */
  { "steps-honoured", 6, 0,
    MILTER_STEP_NO_HELO | MILTER_STEP_NO_HEADERS |
    MILTER_STEP_NO_REPLY_CONNECT | MILTER_STEP_NO_REPLY_DATA |
    MILTER_STEP_NO_REPLY_BODY,
    "Mc Rc Nc Ec", "OCHMRTLNBEQ", 10, FALSE, FALSE,
    "ready negotiate-reply(v6) continue continue continue "
    "continue continue continue continue continue continue finished",
    "OCMRTNBEQ", 10, 0, "" },
  /* No unknown (v3) nor data (v4) to a version-2 milter. */
  { "version2", 2, MILTER_ACTION_ADD_HEADERS, 0,
    "Cc Hc Mc Rc Nc Ec", "OCHUMRTNEQ", 0, FALSE, FALSE,
    "ready negotiate-reply(v2) continue continue continue "
    "continue continue continue continue continue finished",
    "OCHMRNEQ", 0, 0, "" },
  /* One chunk only: the rest was skipped, and nothing "remained". */
  { "skip", 6, 0, MILTER_STEP_SKIP,
    "Bs Ea", "OBEQ", 3 * MILTER_CHUNK_SIZE, TRUE, FALSE,
    "ready negotiate-reply(v6) skip accept finished",
    "OBEQ", MILTER_CHUNK_SIZE, 0, "" },
  { "quit-new-connection", 6, 0, 0,
    "Cc Ec Cc Er", "OCEKCEQ", 0, FALSE, FALSE,
    "ready negotiate-reply(v6) continue continue "
    "(quit-new-connection) continue reject finished",
    "OCEKCEQ", 0, 0, "" },
  /* An end-of-message chunk over 65535 bytes goes as body chunks, one per
   * "continue", then an empty end-of-message with its macros. One answer
   * for the caller: the continues to the chunks are ours. */
  { "end-of-message-large", 6, 0, 0,
    "Bc Bc Ea", "OeQ", MILTER_CHUNK_SIZE + 1000, FALSE, TRUE,
    "ready negotiate-reply(v6) accept finished",
    "OBBDEQ", MILTER_CHUNK_SIZE + 1000, 0, "E i=Q1;" },
  /* 65535 bytes still fit the end-of-message packet itself. */
  { "end-of-message-at-limit", 6, 0, 0,
    "Ea", "OeQ", MILTER_CHUNK_SIZE, FALSE, FALSE,
    "ready negotiate-reply(v6) accept finished",
    "OEQ", 0, MILTER_CHUNK_SIZE, "" },
  /* A milter that switched the body off gets no chunks: just
   * end-of-message. */
  { "end-of-message-large-no-body", 6, 0, MILTER_STEP_NO_BODY,
    "Ea", "OeQ", 2 * MILTER_CHUNK_SIZE + 1, FALSE, FALSE,
    "ready negotiate-reply(v6) accept finished",
    "OEQ", 0, 0, "" },
  /* No reply to body chunks: chunks and end-of-message leave together. */
  { "end-of-message-large-no-reply-body", 6, 0, MILTER_STEP_NO_REPLY_BODY,
    "Ea", "OeQ", 2 * MILTER_CHUNK_SIZE + 1, FALSE, FALSE,
    "ready negotiate-reply(v6) accept finished",
    "OBBBEQ", 2 * MILTER_CHUNK_SIZE + 1, 0, "" },
  /* skip to a chunk: the rest of the body is dropped and end-of-message
   * goes; the caller sees only the end-of-message answer. */
  { "end-of-message-large-skip", 6, 0, MILTER_STEP_SKIP,
    "Bs Ea", "OeQ", 3 * MILTER_CHUNK_SIZE, FALSE, FALSE,
    "ready negotiate-reply(v6) accept finished",
    "OBEQ", MILTER_CHUNK_SIZE, 0, "" },
  /* A verdict to a chunk decides the message: no end-of-message follows. */
  { "end-of-message-large-rejected", 6, 0, 0,
    "Br", "OeQ", 3 * MILTER_CHUNK_SIZE, FALSE, FALSE,
    "ready negotiate-reply(v6) reject finished",
    "OBQ", MILTER_CHUNK_SIZE, 0, "" },
};

static void
test_session (gconstpointer data)
{
  const ServerTestParam *param = data;
  const SessionCase *test = param->data;
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  g_autofree guint8 *body = g_malloc (MAX (test->body_size, 1));
  const gchar *names[] = { "i" };
  const gchar *values[] = { "Q1" };
  ServerTestRunner runner;

  memset (body, 'x', test->body_size);
  server_test_fake_negotiate (fake, test->version, test->actions, test->steps);
  server_test_fake_answers (fake, test->answers);
  server_test_fake_expect_quit (fake);
  server_test_fake_start (fake);

  server_test_runner_init (&runner, param->backend, fake->spec, test->plan);
  runner.stop_after_verdict = !test->keep_going;
  runner.body = body;
  runner.body_size = test->body_size;
  if (test->eom_macro)
    milter_server_context_set_macros (runner.context, 'E', names, values, 1);
  server_test_runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==, test->events);
  server_test_fake_join (fake);
  g_assert_cmpstr (fake->commands->str, ==, test->commands);
  g_assert_cmpuint (fake->body_bytes, ==, test->body_bytes);
  g_assert_cmpuint (fake->eom_bytes, ==, test->eom_bytes);
  g_assert_cmpstr (fake->macros->str, ==, test->macros);
  g_assert_cmpuint (milter_server_context_get_negotiated (runner.context)->version,
                    ==, test->version);
  g_assert_cmpuint (milter_server_context_get_body_remaining (runner.context),
                    ==, 0);
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_DEFAULT,
                                                   NULL), ==, 0);
  server_test_runner_clear (&runner);
}

/* ---- failures: a script, a plan, the error and the log lines --------- */

static void
script_add_header_to_connect (ServerTestFake *fake)
{
  server_test_fake_negotiate (fake, 6, MILTER_ACTION_ALL, 0);
  server_test_fake_expect (fake, 'C');
  milter_reply_encode_add_header (server_test_fake_send_buffer (fake),
                                  "X-Early", "1");
}

static void
script_quarantine_not_negotiated (ServerTestFake *fake)
{
  server_test_fake_negotiate (fake, 6, MILTER_ACTION_ADD_HEADERS, 0);
  server_test_fake_expect (fake, 'E');
  milter_reply_encode_quarantine (server_test_fake_send_buffer (fake), "no");
}

static void
script_asks_change_from (ServerTestFake *fake)
{
  server_test_fake_negotiate (fake, 6, MILTER_ACTION_CHANGE_FROM, 0);
}

static void
setup_offer_add_headers (ServerTestRunner *runner)
{
  milter_option_init (&runner->offer, 6, MILTER_ACTION_ADD_HEADERS, 0);
}

static void
script_silent_after_connect (ServerTestFake *fake)
{
  server_test_fake_negotiate (fake, 6, 0, 0);
  server_test_fake_answer (fake, 'C', 'c');
  server_test_fake_add (fake, SERVER_TEST_STEP_DRAIN, 0, NULL, 0);
}

static void
setup_reading_timeout (ServerTestRunner *runner)
{
  milter_server_context_set_reading_timeout (runner->context, 0.3);
}

/* Progress every 0.2 s keeps a 0.5 s timer alive past 0.5 s, and silence
 * ends it. */
static void
script_progress_then_silence (ServerTestFake *fake)
{
  server_test_fake_negotiate (fake, 6, 0, 0);
  server_test_fake_expect (fake, 'E');
  for (guint i = 0; i < 4; i++) {
    server_test_fake_add (fake, SERVER_TEST_STEP_SLEEP, 0, NULL, 200);
    milter_reply_encode_progress (server_test_fake_send_buffer (fake));
  }
  server_test_fake_add (fake, SERVER_TEST_STEP_DRAIN, 0, NULL, 0);
}

static void
setup_end_of_message_timeout (ServerTestRunner *runner)
{
  milter_server_context_set_reading_timeout (runner->context, 0.1);
  milter_server_context_set_end_of_message_timeout (runner->context, 0.5);
}

static void
script_close_mid_body (ServerTestFake *fake)
{
  server_test_fake_negotiate (fake, 6, 0, 0);
  server_test_fake_answer (fake, 'B', 'c');
  server_test_fake_expect (fake, 'B');
  server_test_fake_add (fake, SERVER_TEST_STEP_CLOSE, 0, NULL, 0);
}

/* The negotiate command is written before the fake shuts its side down
 * only if the loop is faster than the thread; the plan waits for the
 * negotiate reply instead, and the next write fails. */
static void
script_shut_read (ServerTestFake *fake)
{
  server_test_fake_add (fake, SERVER_TEST_STEP_SHUT_READ, 0, NULL, 0);
  milter_reply_encode_negotiate (server_test_fake_send_buffer (fake), 6, 0, 0,
                                 NULL, 0);
  server_test_fake_add (fake, SERVER_TEST_STEP_SLEEP, 0, NULL, 5000);
}

/* The fake answers end-of-message while our body is still queued in the
 * writer (no reply to body chunks: all of it went in one write). */
static void
script_accept_early (ServerTestFake *fake)
{
  guint8 accept[5] = { 0, 0, 0, 1, 'a' };

  server_test_fake_negotiate (fake, 6, 0, MILTER_STEP_NO_REPLY_BODY);
  server_test_fake_add (fake, SERVER_TEST_STEP_READ_BYTES, 0, NULL, 100000);
  server_test_fake_add (fake, SERVER_TEST_STEP_SLEEP, 0, NULL, 500);
  g_byte_array_append (server_test_fake_send_buffer (fake), accept,
                       sizeof (accept));
  server_test_fake_add (fake, SERVER_TEST_STEP_SLEEP, 0, NULL, 200);
  server_test_fake_add (fake, SERVER_TEST_STEP_DRAIN, 0, NULL, 0);
}

static void
script_reads_nothing (ServerTestFake *fake)
{
  server_test_fake_negotiate (fake, 6, 0, MILTER_STEP_NO_REPLY_BODY);
  server_test_fake_add (fake, SERVER_TEST_STEP_SLEEP, 0, NULL, 1500);
  server_test_fake_add (fake, SERVER_TEST_STEP_DRAIN, 0, NULL, 0);
}

static void
setup_writing_timeout (ServerTestRunner *runner)
{
  milter_server_context_set_writing_timeout (runner->context, 0.3);
}

#define ANY_ERROR (-1)

typedef struct {
  const gchar *name;
  void (*script) (ServerTestFake *fake);
  void (*setup) (ServerTestRunner *runner);   /* NULL: none */
  const gchar *plan;
  gsize body_size;
  gint code;                 /* MILTER_SERVER_CONTEXT_ERROR code, ANY_ERROR */
  const gchar *events;       /* NULL: not checked */
  gboolean events_suffix;    /* events is only the end of the signals */
  const gchar *logged[2];    /* error lines; NULL ends */
} FailureCase;

static const FailureCase failure_cases[] = {
  { "invalid-state", script_add_header_to_connect, NULL, "OCHQ", 0,
    MILTER_SERVER_CONTEXT_ERROR_INVALID_STATE,
    "ready negotiate-reply(v6) error finished", FALSE,
    { "[server][error][add-header][state][invalid][connect] "
      "[" SERVER_TEST_NAME "] expected: continue, accept, reject, "
      "temporary-failure, discard, reply-code, progress, "
      "shutdown, connection-failure" } },
  { "not-negotiated", script_quarantine_not_negotiated, NULL, "OEQ", 0,
    MILTER_SERVER_CONTEXT_ERROR_PROTOCOL, NULL, FALSE,
    { "[server][error] [" SERVER_TEST_NAME "] quarantine in state "
      "end-of-message was not negotiated" } },
  { "bad-negotiate-reply", script_asks_change_from, setup_offer_add_headers,
    "OCQ", 0, MILTER_SERVER_CONTEXT_ERROR_PROTOCOL, NULL, FALSE,
    { "[server][error] [" SERVER_TEST_NAME "] the milter asked for "
      "more than offered" } },
  { "reading-timeout", script_silent_after_connect, setup_reading_timeout,
    "OCHQ", 0, MILTER_SERVER_CONTEXT_ERROR_READING_TIMEOUT,
    "ready negotiate-reply(v6) continue reading-timeout error finished", FALSE,
    { "[server][error] [" SERVER_TEST_NAME "] no reply to helo" } },
  { "end-of-message-timeout", script_progress_then_silence,
    setup_end_of_message_timeout, "OEQ", 0,
    MILTER_SERVER_CONTEXT_ERROR_END_OF_MESSAGE_TIMEOUT,
    "ready negotiate-reply(v6) progress progress progress progress "
    "end-of-message-timeout error finished", FALSE,
    { "[server][error] [" SERVER_TEST_NAME "] no reply to end-of-message" } },
  { "closed-mid-body", script_close_mid_body, NULL, "OBEQ",
    4 * MILTER_CHUNK_SIZE, MILTER_SERVER_CONTEXT_ERROR_CLOSED, NULL, FALSE,
    { "[server][error] [" SERVER_TEST_NAME "] the milter closed the "
      "connection in state body before replying",
      "[server][dispose][body][remained] [" SERVER_TEST_NAME "] 131070 "
      "bytes of the body were not sent" } },
  { "write-error", script_shut_read, NULL, "OCQ", 0, ANY_ERROR, NULL, FALSE,
    { "[server][error][write] [" SERVER_TEST_NAME "]" } },
  { "replied-before-written", script_accept_early, NULL, "OBE",
    4 * 1024 * 1024, MILTER_SERVER_CONTEXT_ERROR_PROTOCOL,
    "ready negotiate-reply(v6) continue accept error finished", FALSE,
    { "[server][flushed][error][next-state][invalid] ["
      SERVER_TEST_NAME "] the milter answered end-of-message" } },
  { "writing-timeout", script_reads_nothing, setup_writing_timeout, "OBEQ",
    8 * 1024 * 1024, MILTER_SERVER_CONTEXT_ERROR_WRITING_TIMEOUT,
    "writing-timeout error finished", TRUE,
    { "[server][error] [" SERVER_TEST_NAME "] could not write" } },
};

static void
test_failure (gconstpointer data)
{
  const ServerTestParam *param = data;
  const FailureCase *test = param->data;
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  g_autofree guint8 *body = g_malloc0 (MAX (test->body_size, 1));
  ServerTestRunner runner;

  test->script (fake);
  server_test_fake_start (fake);

  server_test_runner_init (&runner, param->backend, fake->spec, test->plan);
  runner.body = body;
  runner.body_size = test->body_size;
  if (test->setup)
    test->setup (&runner);
  server_test_runner_run (&runner);
  if (test->code == ANY_ERROR)
    g_assert_nonnull (runner.error);
  else
    g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR, test->code);
  if (test->events && test->events_suffix)
    g_assert_true (g_str_has_suffix (runner.events->str, test->events));
  else if (test->events)
    g_assert_cmpstr (runner.events->str, ==, test->events);
  for (gsize i = 0; i < G_N_ELEMENTS (test->logged) && test->logged[i]; i++)
    milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR,
                               server_test_runner_session (&runner),
                               test->logged[i]);
  server_test_runner_clear (&runner);
}

static void
test_quitted (gconstpointer data)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  ServerTestRunner runner;

  server_test_fake_negotiate (fake, 6, 0, 0);
  server_test_fake_answers (fake, "Qc");
  server_test_fake_add (fake, SERVER_TEST_STEP_CLOSE, 0, NULL, 0);
  server_test_fake_start (fake);

  server_test_runner_init (&runner, data, fake->spec, "OQ");
  server_test_runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_WARNING, server_test_runner_session (&runner),
                             "[server][reply][quitted][quit][continue] [" SERVER_TEST_NAME "]");
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ERROR,
                                                   NULL), ==, 0);
  server_test_runner_clear (&runner);
}

static void
test_connect_refused_unix (gconstpointer data)
{
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  g_autofree gchar *dir = g_dir_make_tmp ("test-server-XXXXXX", NULL);
  g_autofree gchar *spec = g_strdup_printf ("unix:%s/none.sock", dir);
  ServerTestRunner runner;

  server_test_runner_init (&runner, data, spec, "OQ");
  server_test_runner_run (&runner);
  /* The socket's error, passed up with its domain and code. */
  g_assert_error (runner.error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_FAILED);
  g_assert_cmpstr (runner.events->str, ==, "establish-failed");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, server_test_runner_session (&runner),
                             "[server][error][connect] [" SERVER_TEST_NAME "]");
  server_test_runner_clear (&runner);
  g_rmdir (dir);
}

static void
test_connect_refused_inet (gconstpointer data)
{
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  /* Free a moment ago: nothing listens there. */
  g_autofree gchar *spec = milter_test_free_inet_spec ();
  ServerTestRunner runner;

  server_test_runner_init (&runner, data, spec, "OQ");
  server_test_runner_run (&runner);
  /* The socket's error, passed up with its domain and code. */
  g_assert_error (runner.error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_FAILED);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, server_test_runner_session (&runner),
                             "[server][error][connect] [" SERVER_TEST_NAME "]");
  server_test_runner_clear (&runner);
}

/* A listener whose accept queue is full: the kernel drops further SYNs,
 * so a connect stays in progress until its timeout. */
static void
test_connection_timeout (gconstpointer data)
{
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  struct sockaddr_in address = { 0 };
  socklen_t length = sizeof (address);
  gint listener = socket (AF_INET, SOCK_STREAM, 0);
  gint fillers[4];
  g_autofree gchar *spec = NULL;
  ServerTestRunner runner;

  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (listener, (struct sockaddr *) &address, sizeof (address)), ==, 0);
  g_assert_cmpint (listen (listener, 0), ==, 0);
  g_assert_cmpint (getsockname (listener, (struct sockaddr *) &address, &length), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (fillers); i++) {
    fillers[i] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect (fillers[i], (struct sockaddr *) &address, sizeof (address));
  }
  /* Bounded poll, not a sleep: the backlog is full once the first filler
   * is connected (the others stay in SYN-SENT). */
  {
    struct pollfd ready = { .fd = fillers[0], .events = POLLOUT };
    g_assert_cmpint (poll (&ready, 1, 2000), ==, 1);
  }
  spec = g_strdup_printf ("inet:%u@127.0.0.1", ntohs (address.sin_port));

  server_test_runner_init (&runner, data, spec, "OQ");
  milter_server_context_set_connection_timeout (runner.context, 0.3);
  server_test_runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_CONNECTION_TIMEOUT);
  g_assert_cmpstr (runner.events->str, ==, "connection-timeout error finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, server_test_runner_session (&runner),
                             "[server][timeout][connection] [" SERVER_TEST_NAME "]");
  server_test_runner_clear (&runner);
  for (gsize i = 0; i < G_N_ELEMENTS (fillers); i++)
    close (fillers[i]);
  close (listener);
}

/* Reading watches fail, writing ones work (see below). */
static guint
refusing_read_watch (MilterEventLoop *loop, gint fd, GIOCondition condition,
                     MilterEventLoopIOFunc func, gpointer user_data,
                     GDestroyNotify notify);

static void
test_connected_start_error (gconstpointer data)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  MilterEventLoopClass *klass;
  guint (*saved) (MilterEventLoop *, gint, GIOCondition, MilterEventLoopIOFunc,
                  gpointer, GDestroyNotify);
  ServerTestRunner runner;

  server_test_fake_start (fake);
  server_test_runner_init (&runner, data, fake->spec, "OQ");
  /* Patch the backend class for this test only: reading watches fail as
   * they would on a backend out of resources. */
  klass = MILTER_EVENT_LOOP_GET_CLASS (runner.loop);
  saved = klass->watch_io;
  g_object_set_data (G_OBJECT (runner.loop), "saved-watch-io", (gpointer) saved);
  klass->watch_io = refusing_read_watch;
  server_test_runner_run (&runner);
  klass->watch_io = saved;
  /* The reader's error, passed up with its domain and code. */
  g_assert_error (runner.error, MILTER_READER_ERROR, MILTER_READER_ERROR_WATCH);
  g_assert_cmpstr (runner.events->str, ==, "error finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, server_test_runner_session (&runner),
                             "[server][error][connected][start] [" SERVER_TEST_NAME "]");
  server_test_runner_clear (&runner);
}

static guint
refusing_read_watch (MilterEventLoop *loop, gint fd, GIOCondition condition,
                     MilterEventLoopIOFunc func, gpointer user_data,
                     GDestroyNotify notify)
{
  guint (*saved) (MilterEventLoop *, gint, GIOCondition, MilterEventLoopIOFunc,
                  gpointer, GDestroyNotify) =
    g_object_get_data (G_OBJECT (loop), "saved-watch-io");

  if (condition & G_IO_IN)
    return 0;
  return saved (loop, fd, condition, func, user_data, notify);
}

/* A version-6 milter with set-symbol-list gets only the macros its list
 * names for a stage; a stage it has no list for gets all of them. */
static void
test_macro_lists (gconstpointer data)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  static const MilterReplyMacroList lists[] = {
    { MILTER_MACRO_STAGE_CONNECT, "j {daemon_name}" },
    { MILTER_MACRO_STAGE_ENVELOPE_FROM, "auth_type" },
  };
  const gchar *connect_names[] = { "j", "_", "{daemon_name}", "v" };
  const gchar *connect_values[] = { "mx", "client", "test", "1.0" };
  const gchar *helo_names[] = { "{tls_version}" };
  const gchar *helo_values[] = { "TLSv1.3" };
  const gchar *from_names[] = { "i", "{auth_type}", "{mail_addr}" };
  const gchar *from_values[] = { "Q1", "PLAIN", "from@example.net" };
  ServerTestRunner runner;

  server_test_fake_negotiate_with_lists (fake, 0, lists, G_N_ELEMENTS (lists));
  server_test_fake_answers (fake, "Cc Hc Mc");
  server_test_fake_expect_quit (fake);
  server_test_fake_start (fake);

  server_test_runner_init (&runner, data, fake->spec, "OCHMQ");
  milter_server_context_set_macros (runner.context, 'C', connect_names,
                                    connect_values, 4);
  milter_server_context_set_macros (runner.context, 'H', helo_names,
                                    helo_values, 1);
  milter_server_context_set_macros (runner.context, 'M', from_names,
                                    from_values, 3);
  server_test_runner_run (&runner);
  g_assert_no_error (runner.error);
  server_test_fake_join (fake);
  g_assert_cmpstr (fake->commands->str, ==, "ODCDHDMQ");
  g_assert_cmpstr (fake->macros->str, ==,
                   "C j=mx {daemon_name}=test;"
                   "H {tls_version}=TLSv1.3;"
                   "M {auth_type}=PLAIN;");
  server_test_runner_clear (&runner);
}

/* Nothing the milter asked for: no define-macro packet at all. Without
 * set-symbol-list, lists in the reply do not filter. */
/* One connect with macros j and _ to a milter whose negotiate reply has
 * these actions and the lists below. */
static void
check_connect_macros (const gchar *backend, MilterActionFlags actions,
                      const gchar *commands, const gchar *macros)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  static const MilterReplyMacroList lists[] = {
    { MILTER_MACRO_STAGE_CONNECT, "{client_name}" },
    { MILTER_MACRO_STAGE_HELO, "{cipher}" },
  };
  const gchar *names[] = { "j", "_" };
  const gchar *values[] = { "mx", "client" };
  ServerTestRunner runner;

  server_test_fake_expect (fake, 'O');
  milter_reply_encode_negotiate (server_test_fake_send_buffer (fake), 6,
                                 actions, 0, lists, G_N_ELEMENTS (lists));
  server_test_fake_answer (fake, 'C', 'c');
  server_test_fake_expect_quit (fake);
  server_test_fake_start (fake);
  server_test_runner_init (&runner, backend, fake->spec, "OCQ");
  milter_server_context_set_macros (runner.context, 'C', names, values, 2);
  server_test_runner_run (&runner);
  g_assert_no_error (runner.error);
  server_test_fake_join (fake);
  g_assert_cmpstr (fake->commands->str, ==, commands);
  g_assert_cmpstr (fake->macros->str, ==, macros);
  server_test_runner_clear (&runner);
}

static void
test_macro_lists_none_wanted (gconstpointer data)
{
  check_connect_macros (data, MILTER_ACTION_SET_SYMBOL_LIST, "OCQ", "");
  check_connect_macros (data, MILTER_ACTION_ADD_HEADERS, "ODCQ",
                        "C j=mx _=client;");
}

/* ---- what the milter's replies mean (milter-server-reply-values.h) --- */

static void
on_insert_header_value (MilterServerContext *context, guint index,
                        const gchar *name, const gchar *value, GString *out)
{
  g_string_append_printf (out, "insert(%u %s=<%s>)", index, name, value);
}

static void
on_change_header_value (MilterServerContext *context, const gchar *name,
                        guint index, const gchar *value, GString *out)
{
  g_string_append_printf (out, "change(%s[%u]=<%s>)", name, index, value);
}

/* A milter that negotiated header-value-with-leading-space gets the value
 * with the space after the colon, and the values it sends back lose one
 * leading space; one that did not gets and gives values as they are. */
static void
check_leading_space (const gchar *backend, MilterStepFlags steps,
                     const gchar *sent, const gchar *seen)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  g_autoptr (GString) values = g_string_new (NULL);
  g_autofree gchar *events = NULL;
  ServerTestRunner runner;
  GByteArray *eom;

  server_test_fake_negotiate (fake, 6, MILTER_ACTION_ADD_HEADERS |
                              MILTER_ACTION_CHANGE_HEADERS, steps);
  server_test_fake_answers (fake, "Lc");
  server_test_fake_expect (fake, 'E');
  eom = server_test_fake_send_buffer (fake);
  milter_reply_encode_add_header (eom, "X-Added", " yes");
  milter_reply_encode_insert_header (eom, 0, "X-Inserted", " first");
  milter_reply_encode_change_header (eom, 1, "Subject", " changed");
  milter_reply_encode_accept (eom);
  server_test_fake_expect_quit (fake);
  server_test_fake_start (fake);

  server_test_runner_init (&runner, backend, fake->spec, "OLEQ");
  g_signal_connect (runner.context, "insert-header",
                    G_CALLBACK (on_insert_header_value), values);
  g_signal_connect (runner.context, "change-header",
                    G_CALLBACK (on_change_header_value), values);
  server_test_runner_run (&runner);
  g_assert_no_error (runner.error);
  server_test_fake_join (fake);
  g_assert_cmpstr (fake->headers->str, ==, sent);
  g_assert_cmpstr (values->str, ==, seen);
  events = g_strdup_printf ("ready negotiate-reply(v6) continue "
                            "add-header(X-Added: %s) insert-header "
                            "change-header accept finished",
                            steps ? "yes" : " yes");
  g_assert_cmpstr (runner.events->str, ==, events);
  server_test_runner_clear (&runner);
}

static void
test_header_leading_space (gconstpointer data)
{
  check_leading_space (data, MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE,
                       "Subject=< hello>;",
                       "insert(0 X-Inserted=<first>)"
                       "change(Subject[1]=<changed>)");
  check_leading_space (data, 0, "Subject=<hello>;",
                       "insert(0 X-Inserted=< first>)"
                       "change(Subject[1]=< changed>)");
}

typedef struct {
  const gchar *name;
  const gchar *text;
  const gchar *events;
  MilterStatus status;
  guint code;               /* 0: malformed */
} ReplyCodeCase;

static const ReplyCodeCase reply_code_cases[] = {
  { "reply-code-reject", "550 5.7.1 check says no",
    "ready negotiate-reply(v6) reply-code finished",
    MILTER_STATUS_REJECT, 550 },
  { "reply-code-temporary", "451 4.7.1 later",
    "ready negotiate-reply(v6) reply-code finished",
    MILTER_STATUS_TEMPORARY_FAILURE, 451 },
  /* Malformed: a temporary failure, logged, as Postfix does. */
  { "reply-code-not-4xx-5xx", "250 2.0.0 fine",
    "ready negotiate-reply(v6) temporary-failure finished",
    MILTER_STATUS_TEMPORARY_FAILURE, 0 },
  { "reply-code-class-mismatch", "550 4.7.1 no",
    "ready negotiate-reply(v6) temporary-failure finished",
    MILTER_STATUS_TEMPORARY_FAILURE, 0 },
  { "reply-code-garbage", "reject me",
    "ready negotiate-reply(v6) temporary-failure finished",
    MILTER_STATUS_TEMPORARY_FAILURE, 0 },
};

static void
test_reply_code (gconstpointer data)
{
  const ServerTestParam *param = data;
  const ReplyCodeCase *test = param->data;
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  ServerTestRunner runner;

  server_test_fake_negotiate (fake, 6, 0, 0);
  server_test_fake_expect (fake, 'C');
  milter_reply_encode_reply_code (server_test_fake_send_buffer (fake),
                                  test->text);
  server_test_fake_expect_quit (fake);
  server_test_fake_start (fake);

  server_test_runner_init (&runner, param->backend, fake->spec, "OCQ");
  server_test_runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==, test->events);
  g_assert_cmpint (milter_server_context_get_status (runner.context), ==,
                   test->status);
  if (test->code) {
    g_assert_nonnull (milter_server_context_get_reply_code (runner.context));
    g_assert_cmpuint (milter_server_context_get_reply_code (runner.context)->code,
                      ==, test->code);
    g_assert_null (milter_server_context_get_reply_code_error (runner.context));
    g_assert_cmpuint (milter_test_log_capture_count (capture,
                                                     MILTER_LOG_LEVEL_DEFAULT,
                                                     NULL), ==, 0);
  } else {
    g_assert_null (milter_server_context_get_reply_code (runner.context));
    g_assert_nonnull (milter_server_context_get_reply_code_error (runner.context));
    milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR,
                               server_test_runner_session (&runner),
                               "[server][error][reply-code][invalid] ["
                               SERVER_TEST_NAME "]");
  }
  server_test_fake_join (fake);
  server_test_runner_clear (&runner);
}

/* 'K' exists from protocol version 6 on: an older milter gets nothing and
 * the caller an error, so it can quit and connect again. */
static void
test_quit_new_connection_old_version (gconstpointer data)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  ServerTestRunner runner;

  server_test_fake_negotiate (fake, 4, 0, 0);
  server_test_fake_answers (fake, "Cc Ec");
  server_test_fake_expect_quit (fake);
  server_test_fake_start (fake);

  server_test_runner_init (&runner, data, fake->spec, "OCEKQ");
  server_test_runner_run (&runner);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v4) continue continue "
                   "(quit-new-connection) fake-milter: quit-new-connection "
                   "needs protocol version 6, negotiated 4 finished");
  server_test_fake_join (fake);
  g_assert_cmpstr (fake->commands->str, ==, "OCEQ");
  server_test_runner_clear (&runner);
}

/* What the milter's modifications make us hold is bounded; over the
 * bound the session ends, and what went over is not reported. */
static void
test_held_size_bound (gconstpointer data)
{
  g_autoptr (ServerTestFake) fake = server_test_fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  guint8 body[600];
  ServerTestRunner runner;
  GByteArray *eom;

  memset (body, 'b', sizeof (body));
  server_test_fake_negotiate (fake, 6, MILTER_ACTION_ALL, 0);
  server_test_fake_expect (fake, 'E');
  eom = server_test_fake_send_buffer (fake);
  milter_reply_encode_add_header (eom, "X-Small", "1");   /* 8 bytes */
  milter_reply_encode_replace_body (eom, body, 500);      /* 508 */
  milter_reply_encode_replace_body (eom, body, 600);      /* 1108: over */
  milter_reply_encode_accept (eom);
  server_test_fake_add (fake, SERVER_TEST_STEP_DRAIN, 0, NULL, 0);
  server_test_fake_start (fake);

  server_test_runner_init (&runner, data, fake->spec, "OEQ");
  g_assert_cmpuint (milter_server_context_get_max_held_size (runner.context),
                    ==, MILTER_SERVER_CONTEXT_DEFAULT_MAX_HELD_SIZE);
  milter_server_context_set_max_held_size (runner.context, 1000);
  server_test_runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_TOO_LARGE);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) add-header(X-Small: 1) "
                   "replace-body error finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR,
                             server_test_runner_session (&runner),
                             "[server][error][held][too-large] ["
                             SERVER_TEST_NAME "] replace-body");
  server_test_runner_clear (&runner);
}

static void
test_misuse (void)
{
  g_autoptr (MilterServerContext) context = milter_server_context_new (NULL);
  g_autoptr (GError) error = NULL;
  MilterOption option;

  g_assert_cmpstr (milter_server_context_get_name (context), ==, "milter");
  g_assert_false (milter_server_context_establish_connection (context, &error));
  g_assert_error (error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_NO_SPEC);
  g_clear_error (&error);
  milter_option_init (&option, 6, 0, 0);
  g_assert_false (milter_server_context_negotiate (context, &option, &error));
  g_assert_error (error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_false (milter_server_context_set_connection_spec (context, "bogus:1",
                                                             &error));
  g_assert_nonnull (error);
  g_assert_cmpint (milter_server_context_get_state (context), ==,
                   MILTER_SERVER_STATE_START);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/context/misuse", test_misuse);
  server_test_add_both ("full-session", test_full_session);
  server_test_add_both ("events-table", test_events_table);
  server_test_add_both ("events-table-removed", test_events_table_removed);
  for (gsize i = 0; i < G_N_ELEMENTS (session_cases); i++)
    server_test_add_both_data (session_cases[i].name, &session_cases[i],
                               test_session);
  for (gsize i = 0; i < G_N_ELEMENTS (failure_cases); i++)
    server_test_add_both_data (failure_cases[i].name, &failure_cases[i],
                               test_failure);
  server_test_add_both ("quitted", test_quitted);
  server_test_add_both ("connect-refused-unix", test_connect_refused_unix);
  server_test_add_both ("connect-refused-inet", test_connect_refused_inet);
  server_test_add_both ("connection-timeout", test_connection_timeout);
  server_test_add_both ("connected-start-error", test_connected_start_error);
  server_test_add_both ("macro-lists", test_macro_lists);
  server_test_add_both ("macro-lists-none-wanted", test_macro_lists_none_wanted);
  server_test_add_both ("header-leading-space", test_header_leading_space);
  for (gsize i = 0; i < G_N_ELEMENTS (reply_code_cases); i++)
    server_test_add_both_data (reply_code_cases[i].name, &reply_code_cases[i],
                               test_reply_code);
  server_test_add_both ("quit-new-connection-old-version",
                        test_quit_new_connection_old_version);
  server_test_add_both ("held-size-bound", test_held_size_bound);
  return g_test_run ();
}

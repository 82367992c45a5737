/*
 * test-server-context - the server context against scripted fake milters
 *
 * Each fake milter is a thread with blocking I/O on a unix socket (or a
 * TCP socket on loopback) that follows a script: expect a command, send
 * prepared reply bytes, close, hang. A runner drives the context through
 * a plan of events, one per "continue", and records every signal, so a
 * test compares the signals seen, the commands the fake received, and the
 * log lines.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <glib-object.h>

#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/core/milter-socket.h>
#include <milter/server/milter-server-context.h>

#include <test/lib/milter-test-log.h>

#define NAME "fake-milter"
#define GUARD_SECONDS 20.0

/* ---- fake milter ----------------------------------------------------- */

typedef enum {
  STEP_EXPECT,      /* read packets until one with this command */
  STEP_SEND,        /* write bytes */
  STEP_CLOSE,       /* close the connection */
  STEP_SHUT_READ,   /* shutdown(SHUT_RD): our writes then fail */
  STEP_DRAIN,       /* read and drop until end of input (a hang) */
  STEP_SLEEP,       /* milliseconds */
  STEP_READ_BYTES   /* read this many bytes, whatever they are */
} StepKind;

typedef struct {
  StepKind kind;
  guint8 command;
  GByteArray *bytes;
  gsize count;
} Step;

typedef struct {
  gchar *dir;
  gchar *path;
  gchar *spec;
  gint listen_fd;
  GArray *steps;
  GThread *thread;
  GString *commands;   /* command bytes received, in order */
  gsize body_bytes;    /* body payload received */
  gsize eom_bytes;     /* end-of-message payload received */
  GString *macros;     /* define-macro packets: "C j=v _=w;" per packet */
} Fake;

static void
step_clear (gpointer data)
{
  Step *step = data;

  g_clear_pointer (&step->bytes, g_byte_array_unref);
}

static Fake *
fake_new (void)
{
  Fake *fake = g_new0 (Fake, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterConnectionSpec) spec = NULL;

  fake->dir = g_dir_make_tmp ("test-server-XXXXXX", &error);
  g_assert_no_error (error);
  fake->path = g_build_filename (fake->dir, "milter.sock", NULL);
  fake->spec = g_strdup_printf ("unix:%s", fake->path);
  spec = milter_connection_spec_parse (fake->spec, &error);
  g_assert_no_error (error);
  fake->listen_fd = milter_socket_listen (spec, 16, &error);
  g_assert_no_error (error);
  g_assert_true (milter_socket_set_nonblocking (fake->listen_fd, FALSE, &error));
  fake->steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (fake->steps, step_clear);
  fake->commands = g_string_new (NULL);
  fake->macros = g_string_new (NULL);
  return fake;
}

static void
fake_add (Fake *fake, StepKind kind, guint8 command, GByteArray *bytes,
          gsize count)
{
  Step step = { kind, command, bytes, count };

  g_array_append_val (fake->steps, step);
}

static void
fake_expect (Fake *fake, guint8 command)
{
  fake_add (fake, STEP_EXPECT, command, NULL, 0);
}

static GByteArray *
fake_send_buffer (Fake *fake)
{
  GByteArray *bytes = g_byte_array_new ();

  fake_add (fake, STEP_SEND, 0, bytes, 0);
  return bytes;
}

static void
fake_negotiate (Fake *fake, guint32 version, MilterActionFlags actions,
                MilterStepFlags steps)
{
  fake_expect (fake, 'O');
  milter_reply_encode_negotiate (fake_send_buffer (fake), version, actions,
                                 steps, NULL, 0);
}

/* Expect command, answer with the one-byte reply. */
static void
fake_answer (Fake *fake, guint8 command, guint8 reply)
{
  GByteArray *bytes;
  guint8 packet[5] = { 0, 0, 0, 1, reply };

  fake_expect (fake, command);
  bytes = fake_send_buffer (fake);
  g_byte_array_append (bytes, packet, sizeof (packet));
}

static gboolean
read_full (gint fd, guint8 *buffer, gsize size)
{
  gsize done = 0;

  while (done < size) {
    ssize_t n = read (fd, buffer + done, size - done);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    done += (gsize) n;
  }
  return TRUE;
}

static gboolean
write_full (gint fd, const guint8 *data, gsize size)
{
  gsize done = 0;

  while (done < size) {
    ssize_t n = send (fd, data + done, size - done, MSG_NOSIGNAL);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    done += (gsize) n;
  }
  return TRUE;
}

/* "C j=v _=w;" from a define-macro payload: stage byte, name\0value\0... */
static void
record_macros (GString *out, const guint8 *payload, gsize size)
{
  gsize i = 1;
  gboolean name = TRUE;

  if (size == 0)
    return;
  g_string_append_c (out, (gchar) payload[0]);
  for (; i < size; i++) {
    if (payload[i] != '\0') {
      if (name && (i == 1 || payload[i - 1] == '\0'))
        g_string_append_c (out, ' ');
      g_string_append_c (out, (gchar) payload[i]);
    } else {
      if (name)
        g_string_append_c (out, '=');
      name = !name;
    }
  }
  g_string_append_c (out, ';');
}

/* Version 6 with set-symbol-list and macro lists per stage. */
static void
fake_negotiate_with_lists (Fake *fake, MilterStepFlags steps,
                           const MilterReplyMacroList *lists, gsize n_lists)
{
  fake_expect (fake, 'O');
  milter_reply_encode_negotiate (fake_send_buffer (fake), 6,
                                 MILTER_ACTION_SET_SYMBOL_LIST, steps,
                                 lists, n_lists);
}

static gpointer
fake_thread (gpointer user_data)
{
  Fake *fake = user_data;
  gint fd = accept (fake->listen_fd, NULL, NULL);
  g_autofree guint8 *payload = NULL;
  gsize payload_size = 0;

  if (fd < 0)
    return NULL;
  for (guint i = 0; i < fake->steps->len; i++) {
    Step *step = &g_array_index (fake->steps, Step, i);

    switch (step->kind) {
    case STEP_EXPECT:
      for (;;) {
        guint8 header[5];
        guint32 length;

        if (!read_full (fd, header, sizeof (header)))
          goto out;
        length = ((guint32) header[0] << 24) | ((guint32) header[1] << 16) |
          ((guint32) header[2] << 8) | header[3];
        if (length == 0)
          goto out;
        if (length - 1 > payload_size) {
          payload_size = length - 1;
          payload = g_realloc (payload, payload_size);
        }
        if (!read_full (fd, payload, length - 1))
          goto out;
        g_string_append_c (fake->commands, (gchar) header[4]);
        if (header[4] == 'B')
          fake->body_bytes += length - 1;
        if (header[4] == 'E')
          fake->eom_bytes += length - 1;
        if (header[4] == 'D')
          record_macros (fake->macros, payload, length - 1);
        if (header[4] == step->command)
          break;
      }
      break;
    case STEP_SEND:
      if (!write_full (fd, step->bytes->data, step->bytes->len))
        goto out;
      break;
    case STEP_CLOSE:
      goto out;
    case STEP_SHUT_READ:
      shutdown (fd, SHUT_RD);
      break;
    case STEP_DRAIN: {
      guint8 buffer[4096];

      while (read (fd, buffer, sizeof (buffer)) > 0)
        ;
      break;
    }
    case STEP_SLEEP:
      g_usleep (step->count * 1000);
      break;
    case STEP_READ_BYTES: {
      g_autofree guint8 *buffer = g_malloc (step->count);

      if (!read_full (fd, buffer, step->count))
        goto out;
      break;
    }
    default:
      break;
    }
  }
  /* End of script: wait for the other side to close. */
  {
    guint8 buffer[4096];

    while (read (fd, buffer, sizeof (buffer)) > 0)
      ;
  }
out:
  close (fd);
  return NULL;
}

static void
fake_start (Fake *fake)
{
  fake->thread = g_thread_new ("fake-milter", fake_thread, fake);
}

static void
fake_free (Fake *fake)
{
  if (fake->thread)
    g_thread_join (fake->thread);
  close (fake->listen_fd);
  g_unlink (fake->path);
  g_rmdir (fake->dir);
  g_free (fake->path);
  g_free (fake->dir);
  g_free (fake->spec);
  g_array_unref (fake->steps);
  g_string_free (fake->commands, TRUE);
  g_string_free (fake->macros, TRUE);
  g_free (fake);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fake, fake_free)

/* ---- runner ---------------------------------------------------------- */

typedef struct {
  MilterEventLoop *loop;
  MilterServerContext *context;
  const gchar *plan;   /* O C H M R T U L N B E A Q K, one per step; e:
                        * end-of-message carrying the body */
  guint next;
  GString *events;
  GError *error;
  gboolean finished;
  const guint8 *body;
  gsize body_size;
  MilterOption offer;
  gboolean stop_after_verdict;
} Runner;

static void runner_step (Runner *runner);

static void
record (Runner *runner, const gchar *event)
{
  if (runner->events->len > 0)
    g_string_append_c (runner->events, ' ');
  g_string_append (runner->events, event);
}

static void
runner_step (Runner *runner)
{
  g_autoptr (GError) error = NULL;
  MilterServerContext *context = runner->context;
  gboolean ok = TRUE;
  gchar step;

  for (;;) {
    step = runner->plan[runner->next];
    if (step == '\0')
      return;
    runner->next++;
    if (step == ' ')
      continue;
    switch (step) {
    case 'O': ok = milter_server_context_negotiate (context, &runner->offer, &error); break;
    case 'C': ok = milter_server_context_connect (context, "mx.example.net",
                                                  MILTER_FAMILY_INET, 2525,
                                                  "192.0.2.1", &error); break;
    case 'H': ok = milter_server_context_helo (context, "client.example.net", &error); break;
    case 'M': ok = milter_server_context_envelope_from (context, "<from@example.net>",
                                                        NULL, &error); break;
    case 'R': ok = milter_server_context_envelope_recipient (context, "<to@example.net>",
                                                             NULL, &error); break;
    case 'T': ok = milter_server_context_data (context, &error); break;
    case 'U': ok = milter_server_context_unknown (context, "XYZZY", &error); break;
    case 'L': ok = milter_server_context_header (context, "Subject", "hello", &error); break;
    case 'N': ok = milter_server_context_end_of_header (context, &error); break;
    case 'B': ok = milter_server_context_body (context, runner->body,
                                               runner->body_size, &error); break;
    case 'E': ok = milter_server_context_end_of_message (context, NULL, 0, &error); break;
    case 'e': ok = milter_server_context_end_of_message (context, runner->body,
                                                         runner->body_size, &error); break;
    case 'A':
      ok = milter_server_context_abort (context, &error);
      record (runner, "(abort)");
      continue;
    case 'K':
      ok = milter_server_context_quit_new_connection (context, &error);
      record (runner, "(quit-new-connection)");
      if (!ok)
        break;
      continue;
    case 'Q': ok = milter_server_context_quit (context, &error); break;
    default: g_assert_not_reached ();
    }
    break;
  }
  if (!ok)
    record (runner, error->message);
}

static void
on_ready (MilterServerContext *context, Runner *runner)
{
  record (runner, "ready");
  runner_step (runner);
}

static void
on_next (MilterServerContext *context, Runner *runner)
{
  const gchar *name = g_signal_name (g_signal_get_invocation_hint (context)->signal_id);

  record (runner, name);
  runner_step (runner);
}

static void
on_negotiate_reply (MilterServerContext *context, MilterOption *option,
                    MilterMacrosRequests *requests, Runner *runner)
{
  g_autofree gchar *text = g_strdup_printf ("negotiate-reply(v%u)", option->version);

  record (runner, text);
  runner_step (runner);
}

/* A verdict: stop the plan, go to quit if the plan has one. */
static void
on_verdict (MilterServerContext *context, Runner *runner)
{
  const gchar *name = g_signal_name (g_signal_get_invocation_hint (context)->signal_id);
  const gchar *quit = strchr (runner->plan + runner->next, 'Q');

  record (runner, name);
  if (runner->stop_after_verdict && quit)
    runner->next = (guint) (quit - runner->plan);
  runner_step (runner);
}

static void
on_note (MilterServerContext *context, Runner *runner)
{
  record (runner, g_signal_name (g_signal_get_invocation_hint (context)->signal_id));
}

static void
on_add_header (MilterServerContext *context, const gchar *name,
               const gchar *value, Runner *runner)
{
  g_autofree gchar *text = g_strdup_printf ("add-header(%s: %s)", name, value);

  record (runner, text);
}

static void
on_error (MilterServerContext *context, GError *error, Runner *runner)
{
  record (runner, "error");
  g_clear_error (&runner->error);
  runner->error = g_error_copy (error);
}

static void
on_finished (MilterServerContext *context, Runner *runner)
{
  record (runner, "finished");
  runner->finished = TRUE;
}

static gboolean
guard_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
runner_init (Runner *runner, const gchar *backend, const gchar *spec,
             const gchar *plan)
{
  g_autoptr (GError) error = NULL;
  static const gchar *verdicts[] = {
    "accept", "reject", "temporary-failure", "discard", "skip", "shutdown",
    "connection-failure"
  };
  static const gchar *notes[] = {
    "progress", "connection-timeout", "writing-timeout", "reading-timeout",
    "end-of-message-timeout", "quarantine", "replace-body", "delete-header",
    "change-header", "insert-header", "add-recipient", "delete-recipient",
    "change-from"
  };

  memset (runner, 0, sizeof (*runner));
  runner->loop = milter_event_loop_new_by_name (backend, &error);
  g_assert_no_error (error);
  runner->context = milter_server_context_new (NAME);
  milter_agent_set_event_loop (MILTER_AGENT (runner->context), runner->loop);
  if (spec) {
    g_assert_true (milter_server_context_set_connection_spec (runner->context,
                                                              spec, &error));
    g_assert_no_error (error);
  }
  runner->plan = plan;
  runner->events = g_string_new (NULL);
  runner->stop_after_verdict = TRUE;
  milter_option_init (&runner->offer, 6, MILTER_ACTION_ALL, MILTER_STEP_ALL);
  g_signal_connect (runner->context, "ready", G_CALLBACK (on_ready), runner);
  g_signal_connect (runner->context, "negotiate-reply",
                    G_CALLBACK (on_negotiate_reply), runner);
  g_signal_connect (runner->context, "continue", G_CALLBACK (on_next), runner);
  g_signal_connect (runner->context, "reply-code", G_CALLBACK (on_verdict), runner);
  for (gsize i = 0; i < G_N_ELEMENTS (verdicts); i++)
    g_signal_connect (runner->context, verdicts[i], G_CALLBACK (on_verdict), runner);
  for (gsize i = 0; i < G_N_ELEMENTS (notes); i++)
    g_signal_connect (runner->context, notes[i], G_CALLBACK (on_note), runner);
  g_signal_connect (runner->context, "add-header", G_CALLBACK (on_add_header), runner);
  g_signal_connect (runner->context, "error", G_CALLBACK (on_error), runner);
  g_signal_connect (runner->context, "finished", G_CALLBACK (on_finished), runner);
}

/* Connects and iterates until "finished". */
static void
runner_run (Runner *runner)
{
  g_autoptr (GError) error = NULL;
  gboolean timed_out = FALSE;
  guint guard;

  if (!milter_server_context_establish_connection (runner->context, &error)) {
    record (runner, "establish-failed");
    runner->error = g_steal_pointer (&error);
    return;
  }
  guard = milter_event_loop_add_timeout (runner->loop, GUARD_SECONDS, guard_cb,
                                         &timed_out, NULL);
  while (!runner->finished && !timed_out)
    milter_event_loop_iterate (runner->loop, TRUE);
  g_assert_false (timed_out);
  milter_event_loop_remove (runner->loop, guard);
}

static void
runner_clear (Runner *runner)
{
  g_clear_object (&runner->context);
  g_clear_object (&runner->loop);
  g_string_free (runner->events, TRUE);
  g_clear_error (&runner->error);
}

static guint64
session_of (Runner *runner)
{
  return milter_agent_get_session_id (MILTER_AGENT (runner->context));
}

/* ---- tests ----------------------------------------------------------- */

static void
test_full_session (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  gsize body_size = MILTER_CHUNK_SIZE + 1000;
  g_autofree guint8 *body = g_malloc (body_size);
  const gchar *names[] = { "j", "{daemon_name}" };
  const gchar *values[] = { "mx.example.net", "test" };
  Runner runner;
  GByteArray *eom;

  memset (body, 'x', body_size);
  fake_negotiate (fake, 6, MILTER_ACTION_ADD_HEADERS, 0);
  fake_answer (fake, 'C', 'c');
  fake_answer (fake, 'H', 'c');
  fake_answer (fake, 'M', 'c');
  fake_answer (fake, 'R', 'c');
  fake_answer (fake, 'T', 'c');
  fake_answer (fake, 'U', 'c');
  fake_answer (fake, 'L', 'c');
  fake_answer (fake, 'N', 'c');
  fake_answer (fake, 'B', 'c');
  fake_answer (fake, 'B', 'c');
  fake_expect (fake, 'E');
  eom = fake_send_buffer (fake);
  milter_reply_encode_progress (eom);
  milter_reply_encode_add_header (eom, "X-Test", "yes");
  milter_reply_encode_accept (eom);
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OCHMRTULNBEQ");
  runner.body = body;
  runner.body_size = body_size;
  milter_server_context_set_macros (runner.context, 'C', names, values, 2);
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) continue continue continue "
                   "continue continue continue continue continue continue "
                   "progress add-header(X-Test: yes) accept finished");
  g_clear_pointer (&fake->thread, g_thread_join);
  /* Macros go right before their command; the body in two chunks. */
  g_assert_cmpstr (fake->commands->str, ==, "ODCHMRTULNBBEQ");
  g_assert_cmpuint (fake->body_bytes, ==, body_size);
  g_assert_cmpint (milter_server_context_get_status (runner.context), ==,
                   MILTER_STATUS_ACCEPT);
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_DEFAULT,
                                                   NULL), ==, 0);
  runner_clear (&runner);
}

static void
test_steps_honoured (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  Runner runner;
  guint8 body[10] = "0123456789";

  /* No helo, no headers; no reply expected to connect, data, body. */
  fake_negotiate (fake, 6, 0,
                  MILTER_STEP_NO_HELO | MILTER_STEP_NO_HEADERS |
                  MILTER_STEP_NO_REPLY_CONNECT | MILTER_STEP_NO_REPLY_DATA |
                  MILTER_STEP_NO_REPLY_BODY);
  fake_answer (fake, 'M', 'c');
  fake_answer (fake, 'R', 'c');
  fake_answer (fake, 'N', 'c');
  fake_answer (fake, 'E', 'c');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OCHMRTLNBEQ");
  runner.body = body;
  runner.body_size = sizeof (body);
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) continue continue continue "
                   "continue continue continue continue continue continue "
                   "finished");
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "OCMRTNBEQ");
  runner_clear (&runner);
}

static void
test_version2 (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  Runner runner;

  fake_negotiate (fake, 2, MILTER_ACTION_ADD_HEADERS, 0);
  fake_answer (fake, 'C', 'c');
  fake_answer (fake, 'H', 'c');
  fake_answer (fake, 'M', 'c');
  fake_answer (fake, 'R', 'c');
  fake_answer (fake, 'N', 'c');
  fake_answer (fake, 'E', 'c');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OCHUMRTNEQ");
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_clear_pointer (&fake->thread, g_thread_join);
  /* No unknown (v3) nor data (v4) to a version-2 milter. */
  g_assert_cmpstr (fake->commands->str, ==, "OCHMRNEQ");
  g_assert_cmpuint (milter_server_context_get_negotiated (runner.context)->version,
                    ==, 2);
  runner_clear (&runner);
}

static void
test_skip (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  gsize body_size = 3 * MILTER_CHUNK_SIZE;
  g_autofree guint8 *body = g_malloc0 (body_size);
  Runner runner;

  fake_negotiate (fake, 6, 0, MILTER_STEP_SKIP);
  fake_answer (fake, 'B', 's');
  fake_answer (fake, 'E', 'a');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OBEQ");
  runner.stop_after_verdict = FALSE;
  runner.body = body;
  runner.body_size = body_size;
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) skip accept finished");
  g_clear_pointer (&fake->thread, g_thread_join);
  /* One chunk only: the rest was skipped, and nothing "remained". */
  g_assert_cmpstr (fake->commands->str, ==, "OBEQ");
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_DEFAULT,
                                                   NULL), ==, 0);
  runner_clear (&runner);
}

static void
test_quit_new_connection (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  Runner runner;

  fake_negotiate (fake, 6, 0, 0);
  fake_answer (fake, 'C', 'c');
  fake_answer (fake, 'E', 'c');
  fake_answer (fake, 'C', 'c');
  fake_answer (fake, 'E', 'r');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OCEKCEQ");
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) continue continue "
                   "(quit-new-connection) continue reject finished");
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "OCEKCEQ");
  runner_clear (&runner);
}

static void
test_invalid_state (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  Runner runner;

  fake_negotiate (fake, 6, MILTER_ACTION_ALL, 0);
  fake_expect (fake, 'C');
  milter_reply_encode_add_header (fake_send_buffer (fake), "X-Early", "1");
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OCHQ");
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_INVALID_STATE);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) error finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error][add-header][state][invalid][connect] "
                             "[" NAME "] expected: continue, accept, reject, "
                             "temporary-failure, discard, reply-code, progress, "
                             "shutdown, connection-failure");
  runner_clear (&runner);
}

static void
test_not_negotiated (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  Runner runner;

  fake_negotiate (fake, 6, MILTER_ACTION_ADD_HEADERS, 0);
  fake_expect (fake, 'E');
  milter_reply_encode_quarantine (fake_send_buffer (fake), "no");
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OEQ");
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_PROTOCOL);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error] [" NAME "] quarantine in state "
                             "end-of-message was not negotiated");
  runner_clear (&runner);
}

static void
test_bad_negotiate_reply (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  Runner runner;

  fake_negotiate (fake, 6, MILTER_ACTION_CHANGE_FROM, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OCQ");
  milter_option_init (&runner.offer, 6, MILTER_ACTION_ADD_HEADERS, 0);
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_PROTOCOL);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error] [" NAME "] the milter asked for "
                             "more than offered");
  runner_clear (&runner);
}

static void
test_quitted (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  Runner runner;

  fake_negotiate (fake, 6, 0, 0);
  fake_answer (fake, 'Q', 'c');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OQ");
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_WARNING, session_of (&runner),
                             "[server][reply][quitted][quit][continue] [" NAME "]");
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ERROR,
                                                   NULL), ==, 0);
  runner_clear (&runner);
}

static void
test_connect_refused_unix (gconstpointer data)
{
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  g_autofree gchar *dir = g_dir_make_tmp ("test-server-XXXXXX", NULL);
  g_autofree gchar *spec = g_strdup_printf ("unix:%s/none.sock", dir);
  Runner runner;

  runner_init (&runner, data, spec, "OQ");
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_CONNECTION_FAILURE);
  g_assert_cmpstr (runner.events->str, ==, "establish-failed");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error][connect] [" NAME "]");
  runner_clear (&runner);
  g_rmdir (dir);
}

/* A free loopback port: bound, then closed, so nothing listens there. */
static guint16
closed_port (void)
{
  struct sockaddr_in address = { 0 };
  socklen_t length = sizeof (address);
  gint fd = socket (AF_INET, SOCK_STREAM, 0);

  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof (address)), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &address, &length), ==, 0);
  close (fd);
  return ntohs (address.sin_port);
}

static void
test_connect_refused_inet (gconstpointer data)
{
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  g_autofree gchar *spec = g_strdup_printf ("inet:%u@127.0.0.1", closed_port ());
  Runner runner;

  runner_init (&runner, data, spec, "OQ");
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_CONNECTION_FAILURE);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error][connect] [" NAME "]");
  runner_clear (&runner);
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
  Runner runner;

  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (listener, (struct sockaddr *) &address, sizeof (address)), ==, 0);
  g_assert_cmpint (listen (listener, 0), ==, 0);
  g_assert_cmpint (getsockname (listener, (struct sockaddr *) &address, &length), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (fillers); i++) {
    fillers[i] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect (fillers[i], (struct sockaddr *) &address, sizeof (address));
  }
  g_usleep (100 * 1000);
  spec = g_strdup_printf ("inet:%u@127.0.0.1", ntohs (address.sin_port));

  runner_init (&runner, data, spec, "OQ");
  milter_server_context_set_connection_timeout (runner.context, 0.3);
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_CONNECTION_TIMEOUT);
  g_assert_cmpstr (runner.events->str, ==, "connection-timeout error finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][timeout][connection] [" NAME "]");
  runner_clear (&runner);
  for (gsize i = 0; i < G_N_ELEMENTS (fillers); i++)
    close (fillers[i]);
  close (listener);
}

static void
test_reading_timeout (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  Runner runner;

  fake_negotiate (fake, 6, 0, 0);
  fake_answer (fake, 'C', 'c');
  fake_add (fake, STEP_DRAIN, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OCHQ");
  milter_server_context_set_reading_timeout (runner.context, 0.3);
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_READING_TIMEOUT);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) continue reading-timeout error finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error] [" NAME "] no reply to helo");
  runner_clear (&runner);
}

static void
send_progress_every (Fake *fake, guint n, guint ms)
{
  for (guint i = 0; i < n; i++) {
    fake_add (fake, STEP_SLEEP, 0, NULL, ms);
    milter_reply_encode_progress (fake_send_buffer (fake));
  }
}

static void
test_end_of_message_timeout (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  Runner runner;

  /* Progress every 0.2 s keeps a 0.5 s timer alive past 0.5 s ... */
  fake_negotiate (fake, 6, 0, 0);
  fake_expect (fake, 'E');
  send_progress_every (fake, 4, 200);
  /* ... and silence ends it. */
  fake_add (fake, STEP_DRAIN, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OEQ");
  milter_server_context_set_reading_timeout (runner.context, 0.1);
  milter_server_context_set_end_of_message_timeout (runner.context, 0.5);
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_END_OF_MESSAGE_TIMEOUT);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) progress progress progress progress "
                   "end-of-message-timeout error finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error] [" NAME "] no reply to end-of-message");
  runner_clear (&runner);
}

static void
test_closed_mid_body (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  gsize body_size = 4 * MILTER_CHUNK_SIZE;
  g_autofree guint8 *body = g_malloc0 (body_size);
  Runner runner;

  fake_negotiate (fake, 6, 0, 0);
  fake_answer (fake, 'B', 'c');
  fake_expect (fake, 'B');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OBEQ");
  runner.body = body;
  runner.body_size = body_size;
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_CLOSED);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error] [" NAME "] the milter closed the "
                             "connection in state body before replying");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][dispose][body][remained] [" NAME "] 131070 "
                             "bytes of the body were not sent");
  runner_clear (&runner);
}

static void
test_write_error (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  Runner runner;

  fake_add (fake, STEP_SHUT_READ, 0, NULL, 0);
  milter_reply_encode_negotiate (fake_send_buffer (fake), 6, 0, 0, NULL, 0);
  fake_add (fake, STEP_SLEEP, 0, NULL, 5000);
  fake_start (fake);

  /* The negotiate command is written before the fake shuts its side down
   * only if the loop is faster than the thread; wait for it instead. */
  runner_init (&runner, data, fake->spec, "OCQ");
  runner_run (&runner);
  g_assert_nonnull (runner.error);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error][write] [" NAME "]");
  runner_clear (&runner);
}

/* Reading watches fail, writing ones work (see below). */
static guint
refusing_read_watch (MilterEventLoop *loop, gint fd, GIOCondition condition,
                     MilterEventLoopIOFunc func, gpointer user_data,
                     GDestroyNotify notify);

static void
test_connected_start_error (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  MilterEventLoopClass *klass;
  guint (*saved) (MilterEventLoop *, gint, GIOCondition, MilterEventLoopIOFunc,
                  gpointer, GDestroyNotify);
  Runner runner;

  fake_start (fake);
  runner_init (&runner, data, fake->spec, "OQ");
  /* Patch the backend class for this test only: reading watches fail as
   * they would on a backend out of resources. */
  klass = MILTER_EVENT_LOOP_GET_CLASS (runner.loop);
  saved = klass->watch_io;
  g_object_set_data (G_OBJECT (runner.loop), "saved-watch-io", (gpointer) saved);
  klass->watch_io = refusing_read_watch;
  runner_run (&runner);
  klass->watch_io = saved;
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_CONNECTION_FAILURE);
  g_assert_cmpstr (runner.events->str, ==, "error finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error][connected][start] [" NAME "]");
  runner_clear (&runner);
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

/* The fake answers end-of-message while our body is still queued in the
 * writer (no reply to body chunks: all of it went in one write). */
static void
test_replied_before_written (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  gsize body_size = 4 * 1024 * 1024;
  g_autofree guint8 *body = g_malloc0 (body_size);
  Runner runner;
  guint8 accept[5] = { 0, 0, 0, 1, 'a' };

  fake_negotiate (fake, 6, 0, MILTER_STEP_NO_REPLY_BODY);
  fake_add (fake, STEP_READ_BYTES, 0, NULL, 100000);
  fake_add (fake, STEP_SLEEP, 0, NULL, 500);
  g_byte_array_append (fake_send_buffer (fake), accept, sizeof (accept));
  fake_add (fake, STEP_SLEEP, 0, NULL, 200);
  fake_add (fake, STEP_DRAIN, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OBE");
  runner.body = body;
  runner.body_size = body_size;
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_PROTOCOL);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) continue accept error finished");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][flushed][error][next-state][invalid] ["
                             NAME "] the milter answered end-of-message");
  runner_clear (&runner);
}

static void
test_writing_timeout (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  gsize body_size = 8 * 1024 * 1024;
  g_autofree guint8 *body = g_malloc0 (body_size);
  Runner runner;

  fake_negotiate (fake, 6, 0, MILTER_STEP_NO_REPLY_BODY);
  fake_add (fake, STEP_SLEEP, 0, NULL, 1500);
  fake_add (fake, STEP_DRAIN, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OBEQ");
  runner.body = body;
  runner.body_size = body_size;
  milter_server_context_set_writing_timeout (runner.context, 0.3);
  runner_run (&runner);
  g_assert_error (runner.error, MILTER_SERVER_CONTEXT_ERROR,
                  MILTER_SERVER_CONTEXT_ERROR_WRITING_TIMEOUT);
  g_assert_true (g_str_has_suffix (runner.events->str,
                                   "writing-timeout error finished"));
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, session_of (&runner),
                             "[server][error] [" NAME "] could not write");
  runner_clear (&runner);
}

/* A version-6 milter with set-symbol-list gets only the macros its list
 * names for a stage; a stage it has no list for gets all of them. */
static void
test_macro_lists (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
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
  Runner runner;

  fake_negotiate_with_lists (fake, 0, lists, G_N_ELEMENTS (lists));
  fake_answer (fake, 'C', 'c');
  fake_answer (fake, 'H', 'c');
  fake_answer (fake, 'M', 'c');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OCHMQ");
  milter_server_context_set_macros (runner.context, 'C', connect_names,
                                    connect_values, 4);
  milter_server_context_set_macros (runner.context, 'H', helo_names,
                                    helo_values, 1);
  milter_server_context_set_macros (runner.context, 'M', from_names,
                                    from_values, 3);
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "ODCDHDMQ");
  g_assert_cmpstr (fake->macros->str, ==,
                   "C j=mx {daemon_name}=test;"
                   "H {tls_version}=TLSv1.3;"
                   "M {auth_type}=PLAIN;");
  runner_clear (&runner);
}

/* Nothing the milter asked for: no define-macro packet at all. Without
 * set-symbol-list, lists in the reply do not filter. */
static void
test_macro_lists_none_wanted (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  static const MilterReplyMacroList lists[] = {
    { MILTER_MACRO_STAGE_CONNECT, "{client_name}" },
    { MILTER_MACRO_STAGE_HELO, "{cipher}" },
  };
  const gchar *names[] = { "j", "_" };
  const gchar *values[] = { "mx", "client" };
  Runner runner;

  fake_negotiate_with_lists (fake, 0, lists, G_N_ELEMENTS (lists));
  fake_answer (fake, 'C', 'c');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);
  runner_init (&runner, data, fake->spec, "OCQ");
  milter_server_context_set_macros (runner.context, 'C', names, values, 2);
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "OCQ");
  g_assert_cmpstr (fake->macros->str, ==, "");
  runner_clear (&runner);

  fake_free (g_steal_pointer (&fake));
  fake = fake_new ();
  fake_expect (fake, 'O');
  milter_reply_encode_negotiate (fake_send_buffer (fake), 6,
                                 MILTER_ACTION_ADD_HEADERS, 0,
                                 lists, G_N_ELEMENTS (lists));
  fake_answer (fake, 'C', 'c');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);
  runner_init (&runner, data, fake->spec, "OCQ");
  milter_server_context_set_macros (runner.context, 'C', names, values, 2);
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "ODCQ");
  g_assert_cmpstr (fake->macros->str, ==, "C j=mx _=client;");
  runner_clear (&runner);
}

/* An end-of-message chunk over 65535 bytes goes as body chunks, one per
 * "continue", then an empty end-of-message with its macros. */
static void
test_end_of_message_large (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  gsize body_size = MILTER_CHUNK_SIZE + 1000;
  g_autofree guint8 *body = g_malloc (body_size);
  const gchar *names[] = { "i" };
  const gchar *values[] = { "Q1" };
  Runner runner;

  memset (body, 'x', body_size);
  fake_negotiate (fake, 6, 0, 0);
  fake_answer (fake, 'B', 'c');
  fake_answer (fake, 'B', 'c');
  fake_answer (fake, 'E', 'a');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OeQ");
  runner.body = body;
  runner.body_size = body_size;
  milter_server_context_set_macros (runner.context, 'E', names, values, 1);
  runner_run (&runner);
  g_assert_no_error (runner.error);
  /* One answer for the caller: the continues to the chunks are ours. */
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) accept finished");
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "OBBDEQ");
  g_assert_cmpuint (fake->body_bytes, ==, body_size);
  g_assert_cmpuint (fake->eom_bytes, ==, 0);
  g_assert_cmpstr (fake->macros->str, ==, "E i=Q1;");
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_DEFAULT,
                                                   NULL), ==, 0);
  runner_clear (&runner);
}

/* 65535 bytes still fit the end-of-message packet itself. */
static void
test_end_of_message_at_limit (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  gsize body_size = MILTER_CHUNK_SIZE;
  g_autofree guint8 *body = g_malloc0 (body_size);
  Runner runner;

  fake_negotiate (fake, 6, 0, 0);
  fake_answer (fake, 'E', 'a');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OeQ");
  runner.body = body;
  runner.body_size = body_size;
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "OEQ");
  g_assert_cmpuint (fake->eom_bytes, ==, body_size);
  runner_clear (&runner);
}

/* A milter that switched the body off gets no chunks: just end-of-message. */
static void
test_end_of_message_large_no_body (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  gsize body_size = 2 * MILTER_CHUNK_SIZE + 1;
  g_autofree guint8 *body = g_malloc0 (body_size);
  Runner runner;

  fake_negotiate (fake, 6, 0, MILTER_STEP_NO_BODY);
  fake_answer (fake, 'E', 'a');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OeQ");
  runner.body = body;
  runner.body_size = body_size;
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) accept finished");
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "OEQ");
  g_assert_cmpuint (fake->body_bytes, ==, 0);
  g_assert_cmpuint (fake->eom_bytes, ==, 0);
  runner_clear (&runner);
}

/* No reply to body chunks: chunks and end-of-message leave together. */
static void
test_end_of_message_large_no_reply_body (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  gsize body_size = 2 * MILTER_CHUNK_SIZE + 1;
  g_autofree guint8 *body = g_malloc0 (body_size);
  Runner runner;

  fake_negotiate (fake, 6, 0, MILTER_STEP_NO_REPLY_BODY);
  fake_answer (fake, 'E', 'a');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OeQ");
  runner.body = body;
  runner.body_size = body_size;
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) accept finished");
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "OBBBEQ");
  g_assert_cmpuint (fake->body_bytes, ==, body_size);
  g_assert_cmpuint (fake->eom_bytes, ==, 0);
  runner_clear (&runner);
}

/* skip to a chunk: the rest of the body is dropped and end-of-message
 * goes; the caller sees only the end-of-message answer. */
static void
test_end_of_message_large_skip (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_DEFAULT);
  gsize body_size = 3 * MILTER_CHUNK_SIZE;
  g_autofree guint8 *body = g_malloc0 (body_size);
  Runner runner;

  fake_negotiate (fake, 6, 0, MILTER_STEP_SKIP);
  fake_answer (fake, 'B', 's');
  fake_answer (fake, 'E', 'a');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OeQ");
  runner.body = body;
  runner.body_size = body_size;
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) accept finished");
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "OBEQ");
  g_assert_cmpuint (fake->body_bytes, ==, MILTER_CHUNK_SIZE);
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_DEFAULT,
                                                   NULL), ==, 0);
  runner_clear (&runner);
}

/* A verdict to a chunk decides the message: no end-of-message follows. */
static void
test_end_of_message_large_rejected (gconstpointer data)
{
  g_autoptr (Fake) fake = fake_new ();
  gsize body_size = 3 * MILTER_CHUNK_SIZE;
  g_autofree guint8 *body = g_malloc0 (body_size);
  Runner runner;

  fake_negotiate (fake, 6, 0, 0);
  fake_answer (fake, 'B', 'r');
  fake_expect (fake, 'Q');
  fake_add (fake, STEP_CLOSE, 0, NULL, 0);
  fake_start (fake);

  runner_init (&runner, data, fake->spec, "OeQ");
  runner.body = body;
  runner.body_size = body_size;
  runner_run (&runner);
  g_assert_no_error (runner.error);
  g_assert_cmpstr (runner.events->str, ==,
                   "ready negotiate-reply(v6) reject finished");
  g_clear_pointer (&fake->thread, g_thread_join);
  g_assert_cmpstr (fake->commands->str, ==, "OBQ");
  g_assert_cmpuint (milter_server_context_get_body_remaining (runner.context),
                    ==, 0);
  runner_clear (&runner);
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

static void
add_both (const gchar *name, GTestDataFunc func)
{
  static const gchar *backends[] = { "glib", "libev" };

  for (gsize i = 0; i < G_N_ELEMENTS (backends); i++) {
    g_autofree gchar *path = g_strdup_printf ("/server/context/%s/%s",
                                              backends[i], name);

    g_test_add_data_func (path, backends[i], func);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/context/misuse", test_misuse);
  add_both ("full-session", test_full_session);
  add_both ("steps-honoured", test_steps_honoured);
  add_both ("version2", test_version2);
  add_both ("skip", test_skip);
  add_both ("quit-new-connection", test_quit_new_connection);
  add_both ("invalid-state", test_invalid_state);
  add_both ("not-negotiated", test_not_negotiated);
  add_both ("bad-negotiate-reply", test_bad_negotiate_reply);
  add_both ("quitted", test_quitted);
  add_both ("connect-refused-unix", test_connect_refused_unix);
  add_both ("connect-refused-inet", test_connect_refused_inet);
  add_both ("connection-timeout", test_connection_timeout);
  add_both ("reading-timeout", test_reading_timeout);
  add_both ("end-of-message-timeout", test_end_of_message_timeout);
  add_both ("closed-mid-body", test_closed_mid_body);
  add_both ("write-error", test_write_error);
  add_both ("connected-start-error", test_connected_start_error);
  add_both ("replied-before-written", test_replied_before_written);
  add_both ("writing-timeout", test_writing_timeout);
  add_both ("macro-lists", test_macro_lists);
  add_both ("macro-lists-none-wanted", test_macro_lists_none_wanted);
  add_both ("end-of-message-large", test_end_of_message_large);
  add_both ("end-of-message-at-limit", test_end_of_message_at_limit);
  add_both ("end-of-message-large-no-body", test_end_of_message_large_no_body);
  add_both ("end-of-message-large-no-reply-body",
            test_end_of_message_large_no_reply_body);
  add_both ("end-of-message-large-skip", test_end_of_message_large_skip);
  add_both ("end-of-message-large-rejected", test_end_of_message_large_rejected);
  return g_test_run ();
}

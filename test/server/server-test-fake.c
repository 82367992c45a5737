/*
 * server-test-fake - a scripted fake milter and a runner for the server tests
 *
 * See server-test-fake.h for the SYNOPSIS and DESCRIPTION.
 *
 * The fake reads with blocking I/O in a thread of its own, so the event
 * loop under test never waits on it; a script is fixed before start, so
 * the thread only reads it.
 *
 * DIAGNOSTICS
 *   Setup failures fail the test; I/O errors in the fake end its script
 *   (the context then sees a closed connection).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/core/milter-socket.h>
#include <milter/server/milter-server-context.h>

#include <test/server/server-test-fake.h>

#define GUARD_SECONDS 20.0

/* ---- fake milter ----------------------------------------------------- */

typedef struct {
  ServerTestStepKind kind;
  guint8 command;
  GByteArray *bytes;
  gsize count;
} Step;

static void
step_clear (gpointer data)
{
  Step *step = data;

  g_clear_pointer (&step->bytes, g_byte_array_unref);
}

ServerTestFake *
server_test_fake_new (void)
{
  ServerTestFake *fake = g_new0 (ServerTestFake, 1);
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
  fake->headers = g_string_new (NULL);
  return fake;
}

void
server_test_fake_add (ServerTestFake *fake, ServerTestStepKind kind, guint8 command, GByteArray *bytes,
          gsize count)
{
  Step step = { kind, command, bytes, count };

  g_array_append_val (fake->steps, step);
}

void
server_test_fake_expect (ServerTestFake *fake, guint8 command)
{
  server_test_fake_add (fake, SERVER_TEST_STEP_EXPECT, command, NULL, 0);
}

GByteArray *
server_test_fake_send_buffer (ServerTestFake *fake)
{
  GByteArray *bytes = g_byte_array_new ();

  server_test_fake_add (fake, SERVER_TEST_STEP_SEND, 0, bytes, 0);
  return bytes;
}

void
server_test_fake_negotiate (ServerTestFake *fake, guint32 version, MilterActionFlags actions,
                MilterStepFlags steps)
{
  server_test_fake_expect (fake, 'O');
  milter_reply_encode_negotiate (server_test_fake_send_buffer (fake), version, actions,
                                 steps, NULL, 0);
}

/* Expect command, answer with the one-byte reply. */
void
server_test_fake_answer (ServerTestFake *fake, guint8 command, guint8 reply)
{
  GByteArray *bytes;
  guint8 packet[5] = { 0, 0, 0, 1, reply };

  server_test_fake_expect (fake, command);
  bytes = server_test_fake_send_buffer (fake);
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
/* "name=<value>;" per header packet, the value exactly as received. */
static void
record_header (GString *out, const guint8 *payload, gsize size)
{
  const gchar *name = (const gchar *) payload;
  gsize name_length = strnlen (name, size);
  const gchar *value = name + name_length + 1;

  if (name_length + 1 >= size)
    return;
  g_string_append_printf (out, "%s=<%.*s>;", name,
                          (gint) strnlen (value, size - name_length - 1),
                          value);
}

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
void
server_test_fake_negotiate_with_lists (ServerTestFake *fake, MilterStepFlags steps,
                           const MilterReplyMacroList *lists, gsize n_lists)
{
  server_test_fake_expect (fake, 'O');
  milter_reply_encode_negotiate (server_test_fake_send_buffer (fake), 6,
                                 MILTER_ACTION_SET_SYMBOL_LIST, steps,
                                 lists, n_lists);
}

static gpointer
fake_thread (gpointer user_data)
{
  ServerTestFake *fake = user_data;
  gint fd = accept (fake->listen_fd, NULL, NULL);
  g_autofree guint8 *payload = NULL;
  gsize payload_size = 0;

  if (fd < 0)
    return NULL;
  for (guint i = 0; i < fake->steps->len; i++) {
    Step *step = &g_array_index (fake->steps, Step, i);

    switch (step->kind) {
    case SERVER_TEST_STEP_EXPECT:
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
        if (header[4] == 'L')
          record_header (fake->headers, payload, length - 1);
        if (header[4] == step->command)
          break;
      }
      break;
    case SERVER_TEST_STEP_SEND:
      if (!write_full (fd, step->bytes->data, step->bytes->len))
        goto out;
      break;
    case SERVER_TEST_STEP_CLOSE:
      goto out;
    case SERVER_TEST_STEP_SHUT_READ:
      shutdown (fd, SHUT_RD);
      break;
    case SERVER_TEST_STEP_DRAIN: {
      guint8 buffer[4096];

      while (read (fd, buffer, sizeof (buffer)) > 0)
        ;
      break;
    }
    case SERVER_TEST_STEP_SLEEP:
      g_usleep (step->count * 1000);
      break;
    case SERVER_TEST_STEP_READ_BYTES: {
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

void
server_test_fake_start (ServerTestFake *fake)
{
  fake->thread = g_thread_new ("fake-milter", fake_thread, fake);
}

void
server_test_fake_free (ServerTestFake *fake)
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
  g_string_free (fake->headers, TRUE);
  g_free (fake);
}


/* ---- runner ---------------------------------------------------------- */

static void runner_step (ServerTestRunner *runner);

static void
record (ServerTestRunner *runner, const gchar *event)
{
  if (runner->events->len > 0)
    g_string_append_c (runner->events, ' ');
  g_string_append (runner->events, event);
}

static void
runner_step (ServerTestRunner *runner)
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
      /* Refused: the plan goes on (to its quit, say). */
      if (!ok) {
        record (runner, error->message);
        g_clear_error (&error);
        ok = TRUE;
      }
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
on_ready (MilterServerContext *context, ServerTestRunner *runner)
{
  record (runner, "ready");
  runner_step (runner);
}

static void
on_next (MilterServerContext *context, ServerTestRunner *runner)
{
  const gchar *name = g_signal_name (g_signal_get_invocation_hint (context)->signal_id);

  record (runner, name);
  runner_step (runner);
}

static void
on_negotiate_reply (MilterServerContext *context, MilterOption *option,
                    MilterMacrosRequests *requests, ServerTestRunner *runner)
{
  g_autofree gchar *text = g_strdup_printf ("negotiate-reply(v%u)", option->version);

  record (runner, text);
  runner_step (runner);
}

/* A verdict: stop the plan, go to quit if the plan has one. */
static void
on_verdict (MilterServerContext *context, ServerTestRunner *runner)
{
  const gchar *name = g_signal_name (g_signal_get_invocation_hint (context)->signal_id);
  const gchar *quit = strchr (runner->plan + runner->next, 'Q');

  record (runner, name);
  if (runner->stop_after_verdict && quit)
    runner->next = (guint) (quit - runner->plan);
  runner_step (runner);
}

static void
on_reply_code (MilterServerContext *context, const gchar *text,
               ServerTestRunner *runner)
{
  on_verdict (context, runner);
}

/* Notes have arguments of many types: a closure that looks only at the
 * signal's name serves them all. */
static void
note_marshal (GClosure *closure, GValue *return_value, guint n_params,
              const GValue *params, gpointer invocation_hint,
              gpointer marshal_data)
{
  const GSignalInvocationHint *hint = invocation_hint;

  record (closure->data, g_signal_name (hint->signal_id));
}

static void
on_add_header (MilterServerContext *context, const gchar *name,
               const gchar *value, ServerTestRunner *runner)
{
  g_autofree gchar *text = g_strdup_printf ("add-header(%s: %s)", name, value);

  record (runner, text);
}

static void
on_error (MilterServerContext *context, GError *error, ServerTestRunner *runner)
{
  record (runner, "error");
  g_clear_error (&runner->error);
  runner->error = g_error_copy (error);
}

static void
on_finished (MilterServerContext *context, ServerTestRunner *runner)
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

void
server_test_runner_init (ServerTestRunner *runner, const gchar *backend, const gchar *spec,
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
  runner->context = milter_server_context_new (SERVER_TEST_NAME);
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
  g_signal_connect (runner->context, "reply-code", G_CALLBACK (on_reply_code), runner);
  for (gsize i = 0; i < G_N_ELEMENTS (verdicts); i++)
    g_signal_connect (runner->context, verdicts[i], G_CALLBACK (on_verdict), runner);
  for (gsize i = 0; i < G_N_ELEMENTS (notes); i++)
  {
    GClosure *closure = g_closure_new_simple (sizeof (GClosure), runner);

    g_closure_set_marshal (closure, note_marshal);
    g_signal_connect_closure (runner->context, notes[i], closure, FALSE);
  }
  g_signal_connect (runner->context, "add-header", G_CALLBACK (on_add_header), runner);
  g_signal_connect (runner->context, "error", G_CALLBACK (on_error), runner);
  g_signal_connect (runner->context, "finished", G_CALLBACK (on_finished), runner);
}

/* Connects and iterates until "finished". */
void
server_test_runner_run (ServerTestRunner *runner)
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

void
server_test_runner_clear (ServerTestRunner *runner)
{
  g_clear_object (&runner->context);
  g_clear_object (&runner->loop);
  g_string_free (runner->events, TRUE);
  g_clear_error (&runner->error);
}

guint64
server_test_runner_session (ServerTestRunner *runner)
{
  return milter_agent_get_session_id (MILTER_AGENT (runner->context));
}

/* "Cc Hc Ea": expect each command, answer with its one-byte reply. */
void
server_test_fake_answers (ServerTestFake *fake, const gchar *pairs)
{
  for (const gchar *p = pairs; *p != '\0'; p++) {
    if (*p == ' ')
      continue;
    g_assert_true (p[1] != '\0');
    server_test_fake_answer (fake, (guint8) p[0], (guint8) p[1]);
    p++;
  }
}

/* The usual end of a script: wait for quit, then close. */
void
server_test_fake_expect_quit (ServerTestFake *fake)
{
  server_test_fake_expect (fake, 'Q');
  server_test_fake_add (fake, SERVER_TEST_STEP_CLOSE, 0, NULL, 0);
}

/* Waits for the script to end, so the fake's records are complete. */
void
server_test_fake_join (ServerTestFake *fake)
{
  g_clear_pointer (&fake->thread, g_thread_join);
}

/* ---- registration ---------------------------------------------------- */

static const gchar *backends[] = { "glib", "libev" };

void
server_test_add_both (const gchar *name, GTestDataFunc func)
{
  for (gsize i = 0; i < G_N_ELEMENTS (backends); i++) {
    g_autofree gchar *path = g_strdup_printf ("/server/context/%s/%s",
                                              backends[i], name);

    g_test_add_data_func (path, backends[i], func);
  }
}

void
server_test_add_both_data (const gchar *name, gconstpointer data,
                           GTestDataFunc func)
{
  for (gsize i = 0; i < G_N_ELEMENTS (backends); i++) {
    g_autofree gchar *path = g_strdup_printf ("/server/context/%s/%s",
                                              backends[i], name);
    ServerTestParam *param = g_new0 (ServerTestParam, 1);

    param->backend = backends[i];
    param->data = data;
    g_test_add_data_func_full (path, param, func, g_free);
  }
}

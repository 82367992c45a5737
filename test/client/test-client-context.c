/*
 * test-client-context - a client context driven by a scripted MTA
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-socket.h>
#include <milter/core/milter-writer.h>
#include <milter/client/milter-client-context.h>

#include "../lib/milter-test-log.h"
#include "client-test-mta.h"

#define SESSION 42
#define TIMEOUT 5000

typedef struct {
  MilterEventLoop *loop;
  MilterClientContext *context;
  ClientTestMta *mta;
  MilterTestLogCapture *capture;
  gboolean finished;
  GString *events;
  /* Per-test knobs. */
  MilterStepFlags steps;
  MilterActionFlags actions;
  MilterStatus status_at_rcpt;
  gboolean defer_eom;
  gboolean skip_body;
} Fixture;

static void
on_finished (MilterAgent *agent, gpointer user_data)
{
  Fixture *f = user_data;

  (void) agent;
  f->finished = TRUE;
}

static void
setup (Fixture *f, gconstpointer data)
{
  gint fds[2];

  (void) data;
  memset (f, 0, sizeof (*f));
  f->capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  g_assert_true (milter_socket_pair (fds, NULL));
  f->loop = milter_event_loop_new_by_name ("glib", NULL);
  f->context = milter_client_context_new ();
  milter_agent_set_event_loop (MILTER_AGENT (f->context), f->loop);
  milter_agent_set_session_id (MILTER_AGENT (f->context), SESSION);
  milter_agent_set_fd (MILTER_AGENT (f->context), fds[0]);
  g_signal_connect (f->context, "finished", G_CALLBACK (on_finished), f);
  g_assert_true (milter_agent_start (MILTER_AGENT (f->context), NULL));
  f->mta = client_test_mta_new (fds[1]);
  f->events = g_string_new (NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  g_clear_pointer (&f->mta, client_test_mta_free);
  milter_agent_shutdown (MILTER_AGENT (f->context));
  g_clear_object (&f->context);
  while (milter_event_loop_iterate (f->loop, FALSE))
    ;
  g_clear_object (&f->loop);
  g_string_free (f->events, TRUE);
  milter_test_log_capture_stop (f->capture);
}

static GByteArray *
out (Fixture *f)
{
  return client_test_mta_output (f->mta);
}

static void
pump (Fixture *f, guint n_replies)
{
  if (!client_test_mta_pump (f->mta, f->loop, n_replies, TIMEOUT)) {
    g_autofree gchar *dump = client_test_mta_dump (f->mta);
    g_test_message ("replies so far:\n%s", dump);
    g_assert_cmpuint (client_test_mta_n_replies (f->mta), >=, n_replies);
  }
}

static void
assert_reply (Fixture *f, guint index, const gchar *prefix)
{
  const gchar *reply = client_test_mta_reply (f->mta, index);

  if (!reply || !g_str_has_prefix (reply, prefix)) {
    g_autofree gchar *dump = client_test_mta_dump (f->mta);
    g_test_message ("replies:\n%s", dump);
    g_assert_cmpstr (reply, ==, prefix);
  }
}

static void
wait_finished (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT * 1000;

  while (!f->finished && g_get_monotonic_time () < deadline)
    milter_event_loop_iterate (f->loop, TRUE);
  g_assert_true (f->finished);
}

/* Sends what is queued (waiting up to timeout_ms for n_replies) and
 * asserts that the milter ends the session over a protocol error. */
static void
assert_protocol_error (Fixture *f, guint n_replies, guint timeout_ms)
{
  client_test_mta_pump (f->mta, f->loop, n_replies, timeout_ms);
  wait_finished (f);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, SESSION,
                             "[agent][error][decode]");
}

static void
negotiate (Fixture *f)
{
  milter_command_encode_negotiate (out (f), 6, MILTER_ACTION_ALL,
                                   MILTER_STEP_ALL);
}

/* ---- negotiate ---- */

static void
test_negotiate_default (Fixture *f, gconstpointer data)
{
  const MilterOption *option;

  (void) data;
  negotiate (f);
  pump (f, 1);
  assert_reply (f, 0, "negotiate-reply version=6 actions=0x000000ff steps=0x00000000");
  option = milter_client_context_get_option (f->context);
  g_assert_cmpuint (option->version, ==, 6);
  g_assert_cmpuint (milter_client_context_get_mta_option (f->context)->steps,
                    ==, MILTER_STEP_ALL);
}

static MilterStatus
negotiate_with_macros (MilterClientContext *context,
                       const MilterOption *offer,
                       MilterOption *option,
                       MilterMacrosRequests *requests,
                       gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  if (offer->version == 6)
    g_assert_cmpuint (offer->actions, ==, MILTER_ACTION_ALL);
  option->actions = f->actions;
  option->steps = f->steps;
  milter_macros_requests_set_from_string (requests,
                                          MILTER_MACRO_STAGE_CONNECT,
                                          "j {daemon_name}");
  milter_macros_requests_set_from_string (requests,
                                          MILTER_MACRO_STAGE_ENVELOPE_FROM,
                                          "{mail_addr} i");
  return MILTER_STATUS_CONTINUE;
}

/* The milter answers negotiate with these actions and steps (and the
 * macro requests of negotiate_with_macros). */
static void
request_option (Fixture *f, MilterActionFlags actions, MilterStepFlags steps)
{
  f->actions = actions;
  f->steps = steps;
  g_signal_connect (f->context, "negotiate",
                    G_CALLBACK (negotiate_with_macros), f);
}

static void
test_negotiate_macros (Fixture *f, gconstpointer data)
{
  (void) data;
  request_option (f, MILTER_ACTION_ADD_HEADERS,
                  MILTER_STEP_NO_REPLY_HEADER | MILTER_STEP_SKIP);
  negotiate (f);
  pump (f, 1);
  assert_reply (f, 0, "negotiate-reply version=6 actions=0x00000101 steps=0x00000480");
  g_assert_nonnull (strstr (client_test_mta_reply (f->mta, 0),
                            "\"j {daemon_name}\""));
  g_assert_nonnull (strstr (client_test_mta_reply (f->mta, 0),
                            "\"{mail_addr} i\""));
}

static void
test_negotiate_refused (Fixture *f, gconstpointer data)
{
  (void) data;
  request_option (f, MILTER_ACTION_CHANGE_FROM, 0);
  /* An MTA offering only the version-2 actions cannot satisfy change-from. */
  milter_command_encode_negotiate (out (f), 2, MILTER_ACTION_ADD_HEADERS, 0x3F);
  assert_protocol_error (f, 1, 1000);
  g_assert_cmpuint (client_test_mta_n_replies (f->mta), ==, 0);
}

/* ---- events ---- */

static MilterStatus
on_connect (MilterClientContext *context, const gchar *host, gint family,
            guint port, const gchar *address, gpointer user_data)
{
  Fixture *f = user_data;

  g_string_append_printf (f->events, "connect %s %c %u %s j=%s;", host,
                          family, port, address,
                          milter_client_context_get_macro (context, "j"));
  return MILTER_STATUS_DEFAULT;
}

static MilterStatus
on_helo (MilterClientContext *context, const gchar *fqdn, gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append_printf (f->events, "helo %s;", fqdn);
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
on_envelope (MilterClientContext *context, const gchar *address,
             const gchar *const *args, gpointer user_data)
{
  Fixture *f = user_data;
  g_autofree gchar *joined = g_strjoinv (",", (gchar **) args);

  g_string_append_printf (f->events, "%s %s [%s] mail_addr=%s;",
                          milter_client_context_get_current_event (context) ==
                          MILTER_COMMAND_ENVELOPE_FROM ? "from" : "rcpt",
                          address, joined,
                          milter_client_context_get_macro (context,
                                                           "{mail_addr}"));
  if (milter_client_context_get_current_event (context) ==
      MILTER_COMMAND_ENVELOPE_RECIPIENT && f->status_at_rcpt)
    return f->status_at_rcpt;
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
on_simple (MilterClientContext *context, gpointer user_data)
{
  Fixture *f = user_data;

  g_string_append_printf (f->events, "%s;",
                          milter_command_type_to_string (milter_client_context_get_current_event (context)));
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
on_unknown (MilterClientContext *context, const gchar *command,
            gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append_printf (f->events, "unknown %s;", command);
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
on_header (MilterClientContext *context, const gchar *name,
           const gchar *value, gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append_printf (f->events, "header %s=%s;", name, value);
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
on_body (MilterClientContext *context, gconstpointer chunk, guint64 size,
         gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append_printf (f->events, "body %.*s;", (gint) size,
                          (const gchar *) chunk);
  return f->skip_body ? MILTER_STATUS_SKIP : MILTER_STATUS_CONTINUE;
}

static MilterStatus
on_end_of_message (MilterClientContext *context, gconstpointer chunk,
                   guint64 size, gpointer user_data)
{
  Fixture *f = user_data;

  g_string_append_printf (f->events, "eom %" G_GUINT64_FORMAT " i=%s;", size,
                          milter_client_context_get_macro (context, "i"));
  (void) chunk;
  return f->defer_eom ? MILTER_STATUS_NOT_CHANGE : MILTER_STATUS_ACCEPT;
}

static void
on_abort (MilterClientContext *context, gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append (f->events, "abort;");
}

static void
connect_all (Fixture *f)
{
  g_signal_connect (f->context, "connect", G_CALLBACK (on_connect), f);
  g_signal_connect (f->context, "helo", G_CALLBACK (on_helo), f);
  g_signal_connect (f->context, "envelope-from", G_CALLBACK (on_envelope), f);
  g_signal_connect (f->context, "envelope-recipient",
                    G_CALLBACK (on_envelope), f);
  g_signal_connect (f->context, "data", G_CALLBACK (on_simple), f);
  g_signal_connect (f->context, "unknown", G_CALLBACK (on_unknown), f);
  g_signal_connect (f->context, "header", G_CALLBACK (on_header), f);
  g_signal_connect (f->context, "end-of-header", G_CALLBACK (on_simple), f);
  g_signal_connect (f->context, "body", G_CALLBACK (on_body), f);
  g_signal_connect (f->context, "end-of-message",
                    G_CALLBACK (on_end_of_message), f);
  g_signal_connect (f->context, "abort", G_CALLBACK (on_abort), f);
}

static void
encode_session_start (Fixture *f)
{
  const gchar *connect_names[] = { "j", "{daemon_name}" };
  const gchar *connect_values[] = { "mta.example", "smtpd" };
  const gchar *mail_names[] = { "{mail_addr}" };
  const gchar *mail_values[] = { "alice@example.test" };
  const gchar *from_args[] = { "SIZE=100", "BODY=8BITMIME", NULL };

  negotiate (f);
  milter_command_encode_define_macro (out (f), 'C', connect_names,
                                      connect_values, 2);
  milter_command_encode_connect (out (f), "client.example", MILTER_FAMILY_INET,
                                 2525, "192.0.2.1");
  milter_command_encode_helo (out (f), "client.example");
  milter_command_encode_define_macro (out (f), 'M', mail_names, mail_values, 1);
  milter_command_encode_envelope_from (out (f), "<alice@example.test>",
                                       from_args);
}

/* Opens a session through MAIL FROM and waits for its four replies
 * (negotiate, connect, helo, mail). */
static void
start_session (Fixture *f)
{
  encode_session_start (f);
  pump (f, 4);
}

/* As start_session, with every event recorded in f->events. */
static void
start_recorded_session (Fixture *f)
{
  connect_all (f);
  start_session (f);
}

/* Waits for reply number index (from 0) and checks it. */
static void
expect_reply (Fixture *f, guint index, const gchar *prefix)
{
  pump (f, index + 1);
  assert_reply (f, index, prefix);
}

/* Sends RCPT TO and checks its reply, number index. */
static void
expect_recipient_reply (Fixture *f, guint index, const gchar *address,
                        const gchar *prefix)
{
  milter_command_encode_envelope_recipient (out (f), address, NULL);
  expect_reply (f, index, prefix);
}

static void
test_events (Fixture *f, gconstpointer data)
{
  const gchar *eom_names[] = { "i" };
  const gchar *eom_values[] = { "QID1" };

  (void) data;
  start_recorded_session (f);
  milter_command_encode_envelope_recipient (out (f), "<bob@example.net>", NULL);
  pump (f, 5);
  milter_command_encode_unknown (out (f), "XFOO bar");
  pump (f, 6);
  milter_command_encode_data (out (f));
  pump (f, 7);
  milter_command_encode_header (out (f), "Subject", "hi");
  pump (f, 8);
  milter_command_encode_end_of_header (out (f));
  pump (f, 9);
  milter_command_encode_body (out (f), (const guint8 *) "hello", 5);
  pump (f, 10);
  milter_command_encode_define_macro (out (f), 'E', eom_names, eom_values, 1);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  pump (f, 11);
  for (guint i = 1; i <= 9; i++)
    assert_reply (f, i, "continue");
  assert_reply (f, 10, "accept");
  g_assert_cmpstr (f->events->str, ==,
                   "connect client.example 4 2525 192.0.2.1 j=mta.example;"
                   "helo client.example;"
                   "from <alice@example.test> [SIZE=100,BODY=8BITMIME] "
                   "mail_addr=alice@example.test;"
                   "rcpt <bob@example.net> [] mail_addr=alice@example.test;"
                   "unknown XFOO bar;data;header Subject=hi;end-of-header;"
                   "body hello;eom 0 i=QID1;");
  /* The message's macros are gone with it; the connection's stay. */
  g_assert_null (milter_client_context_get_stage_macros (f->context, 'E'));
  g_assert_null (milter_client_context_get_macro (f->context, "mail_addr"));
  g_assert_cmpstr (milter_client_context_get_macro (f->context, "daemon_name"),
                   ==, "smtpd");

  /* A second message in the same connection, then abort. */
  milter_command_encode_envelope_from (out (f), "<carol@example.test>", NULL);
  milter_command_encode_abort (out (f));
  milter_command_encode_quit (out (f));
  client_test_mta_pump (f->mta, f->loop, 13, 1000);
  wait_finished (f);
  g_assert_true (g_str_has_suffix (f->events->str,
                                   "from <carol@example.test> [] "
                                   "mail_addr=(null);abort;"));
  g_assert_cmpuint (client_test_mta_n_replies (f->mta), ==, 12);
}

static void
test_no_handler_continues (Fixture *f, gconstpointer data)
{
  (void) data;
  start_session (f);
  assert_reply (f, 1, "continue");
  assert_reply (f, 3, "continue");
}

static void
test_reply_code (Fixture *f, gconstpointer data)
{
  (void) data;
  f->status_at_rcpt = MILTER_STATUS_REJECT;
  start_recorded_session (f);
  g_assert_true (milter_client_context_set_reply (f->context, 550, "5.7.1",
                                                  "no such user", NULL));
  expect_recipient_reply (f, 4, "<x@example.net>",
                          "reply-code text=\"550 5.7.1 no such user\"");

  /* Multi-line. */
  {
    const gchar *lines[] = { "first", "second", NULL };
    g_assert_true (milter_client_context_set_multiline_reply (f->context, 550,
                                                              "5.7.1", lines,
                                                              NULL));
  }
  expect_recipient_reply (f, 5, "<y@example.net>",
                          "reply-code text=\"550-5.7.1 first\\r\\n"
                          "550 5.7.1 second\"");

  /* A 5xx code does not go with temporary-failure: plain 't'. */
  f->status_at_rcpt = MILTER_STATUS_TEMPORARY_FAILURE;
  g_assert_true (milter_client_context_set_reply (f->context, 550, NULL, "x",
                                                  NULL));
  expect_recipient_reply (f, 6, "<z@example.net>", "temporary-failure");
  /* Used once: the next reject is plain. */
  f->status_at_rcpt = MILTER_STATUS_REJECT;
  expect_recipient_reply (f, 7, "<w@example.net>", "reject");
  f->status_at_rcpt = MILTER_STATUS_DISCARD;
  expect_recipient_reply (f, 8, "<v@example.net>", "discard");

  g_assert_false (milter_client_context_set_reply (f->context, 250, NULL, "ok",
                                                   NULL));
}

static void
test_no_reply_steps (Fixture *f, gconstpointer data)
{
  (void) data;
  connect_all (f);
  request_option (f, MILTER_ACTION_ADD_HEADERS,
                  MILTER_STEP_NO_REPLY_HEADER | MILTER_STEP_NO_REPLY_CONNECT |
                  MILTER_STEP_NO_REPLY_BODY);
  encode_session_start (f);
  /* negotiate, helo, mail: connect has no reply. */
  pump (f, 3);
  milter_command_encode_envelope_recipient (out (f), "<bob@example.net>", NULL);
  milter_command_encode_data (out (f));
  pump (f, 5);
  for (guint i = 0; i < 3; i++)
    milter_command_encode_header (out (f), "X-H", "v");
  milter_command_encode_end_of_header (out (f));
  pump (f, 6);
  milter_command_encode_body (out (f), (const guint8 *) "a", 1);
  milter_command_encode_body (out (f), (const guint8 *) "b", 1);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  pump (f, 7);
  client_test_mta_pump (f->mta, f->loop, 8, 200);
  g_assert_cmpuint (client_test_mta_n_replies (f->mta), ==, 7);
  assert_reply (f, 5, "continue");
  assert_reply (f, 6, "accept");
  g_assert_nonnull (strstr (f->events->str, "header X-H=v;header X-H=v;"
                                            "header X-H=v;end-of-header;"
                                            "body a;body b;eom"));
}

/* A body chunk the milter's body handler answers with skip. */
static void
send_body_to_skip (Fixture *f)
{
  f->skip_body = TRUE;
  start_recorded_session (f);
  milter_command_encode_body (out (f), (const guint8 *) "a", 1);
}

static void
test_skip (Fixture *f, gconstpointer data)
{
  (void) data;
  request_option (f, MILTER_ACTION_ADD_HEADERS, MILTER_STEP_SKIP);
  send_body_to_skip (f);
  expect_reply (f, 4, "skip");
}

/* Without the skip step the MTA cannot take skip: continue instead. */
static void
test_skip_not_negotiated (Fixture *f, gconstpointer data)
{
  (void) data;
  send_body_to_skip (f);
  expect_reply (f, 4, "continue");
}

/* ---- end-of-message modifications ---- */

/* For the write-failure tests: the calls after the failure fail too. */
static MilterStatus
modify_all_unchecked (MilterClientContext *context, gconstpointer chunk,
                      guint64 size, gpointer user_data)
{
  static guint8 body[150000];

  (void) chunk;
  (void) size;
  (void) user_data;
  milter_client_context_add_header (context, "X-Add", "1", NULL);
  milter_client_context_change_from (context, "<new@example>", "SIZE=1", NULL);
  milter_client_context_add_recipient (context, "<r1@example>", NULL, NULL);
  milter_client_context_replace_body (context, body, sizeof (body), NULL);
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
modify_all (MilterClientContext *context, gconstpointer chunk, guint64 size,
            gpointer user_data)
{
  guint8 *body = g_malloc (150000);

  (void) chunk;
  (void) size;
  (void) user_data;
  memset (body, 'x', 150000);
  g_assert_true (milter_client_context_add_header (context, "X-Add", "1", NULL));
  g_assert_true (milter_client_context_insert_header (context, 0, "X-Ins", "2",
                                                      NULL));
  g_assert_true (milter_client_context_change_header (context, "Subject", 1,
                                                      "new", NULL));
  g_assert_true (milter_client_context_delete_header (context, "X-Old", 1,
                                                      NULL));
  g_assert_true (milter_client_context_change_from (context, "<new@example>",
                                                    "SIZE=1", NULL));
  g_assert_true (milter_client_context_add_recipient (context, "<r1@example>",
                                                      NULL, NULL));
  g_assert_true (milter_client_context_add_recipient (context, "<r2@example>",
                                                      "NOTIFY=NEVER", NULL));
  g_assert_true (milter_client_context_delete_recipient (context,
                                                         "<bob@example.net>",
                                                         NULL));
  g_assert_true (milter_client_context_replace_body (context, body, 150000,
                                                     NULL));
  g_assert_true (milter_client_context_quarantine (context, "suspicious",
                                                   NULL));
  g_free (body);
  return MILTER_STATUS_CONTINUE;
}

/* What modify_all's end-of-message sends, in order. */
static const gchar *const modify_all_replies[] = {
  "add-header", "insert-header index=0", "change-header index=1",
  "change-header index=1", "change-from",
  "add-recipient recipient=\"<r1@example>\"",
  "add-recipient-with-arguments", "delete-recipient", "replace-body size=65535",
  "replace-body size=65535", "replace-body size=18930", "quarantine",
  "continue",
};

/* Runs a session whose end-of-message calls modify_all, waits for all
 * its replies and returns how many write(2) calls they took. */
static guint64
run_modify_all (Fixture *f)
{
  MilterWriter *writer;
  guint64 n_syscalls;

  g_signal_connect (f->context, "end-of-message", G_CALLBACK (modify_all), f);
  start_session (f);
  writer = milter_agent_get_writer (MILTER_AGENT (f->context));
  n_syscalls = milter_writer_get_n_syscalls (writer);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  pump (f, 4 + G_N_ELEMENTS (modify_all_replies));
  return milter_writer_get_n_syscalls (writer) - n_syscalls;
}

static void
test_modifications (Fixture *f, gconstpointer data)
{
  guint64 n_writes;

  (void) data;
  n_writes = run_modify_all (f);
  for (guint i = 0; i < G_N_ELEMENTS (modify_all_replies); i++)
    assert_reply (f, 4 + i, modify_all_replies[i]);
  /* The whole group in one write (the socket pair takes 200 KB at once). */
  g_assert_cmpuint (n_writes, ==, 1);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_STATISTICS, SESSION,
                             "[reply][end-of-message][quarantine]");
}

static MilterStatus
modify_too_early (MilterClientContext *context, const gchar *fqdn,
                  gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  (void) fqdn;
  (void) user_data;
  g_assert_false (milter_client_context_add_header (context, "X", "1", &error));
  g_assert_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                  MILTER_CLIENT_CONTEXT_ERROR_INVALID_STATE);
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
modify_not_negotiated (MilterClientContext *context, gconstpointer chunk,
                       guint64 size, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  (void) chunk;
  (void) size;
  (void) user_data;
  g_assert_false (milter_client_context_change_from (context, "<a@b>", NULL,
                                                     &error));
  g_assert_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                  MILTER_CLIENT_CONTEXT_ERROR_NOT_NEGOTIATED);
  g_assert_true (milter_client_context_add_header (context, "X", "1", NULL));
  return MILTER_STATUS_CONTINUE;
}

static void
test_modification_rules (Fixture *f, gconstpointer data)
{
  (void) data;
  request_option (f, MILTER_ACTION_ADD_HEADERS, 0);
  g_signal_connect (f->context, "helo", G_CALLBACK (modify_too_early), f);
  g_signal_connect (f->context, "end-of-message",
                    G_CALLBACK (modify_not_negotiated), f);
  encode_session_start (f);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  pump (f, 6);
  assert_reply (f, 4, "add-header");
  assert_reply (f, 5, "continue");
}

/* ---- asynchronous replies and progress ---- */

static gboolean
reply_later (gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true (milter_client_context_progress (f->context, NULL));
  g_assert_true (milter_client_context_add_header (f->context, "X-Late", "1",
                                                   NULL));
  g_assert_true (milter_client_context_reply (f->context, MILTER_STATUS_ACCEPT,
                                              NULL));
  return G_SOURCE_REMOVE;
}

static MilterStatus
defer_end_of_message (MilterClientContext *context, gconstpointer chunk,
                      guint64 size, gpointer user_data)
{
  Fixture *f = user_data;

  (void) chunk;
  (void) size;
  milter_event_loop_add_timeout (f->loop, 0.05, reply_later, f, NULL);
  g_assert_true (milter_client_context_progress (context, NULL));
  return MILTER_STATUS_NOT_CHANGE;
}

static void
test_async_reply (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) data;
  g_signal_connect (f->context, "end-of-message",
                    G_CALLBACK (defer_end_of_message), f);
  start_session (f);
  g_assert_false (milter_client_context_reply (f->context,
                                               MILTER_STATUS_ACCEPT, &error));
  g_assert_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                  MILTER_CLIENT_CONTEXT_ERROR_NO_PENDING_REPLY);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  pump (f, 8);
  assert_reply (f, 4, "progress");
  assert_reply (f, 5, "progress");
  assert_reply (f, 6, "add-header");
  assert_reply (f, 7, "accept");
}

/* Sends end-of-message to a milter that leaves its reply pending. */
static void
send_deferred_end_of_message (Fixture *f)
{
  f->defer_eom = TRUE;
  start_recorded_session (f);
  milter_command_encode_end_of_message (out (f), NULL, 0);
}

static void
test_abort_while_pending (Fixture *f, gconstpointer data)
{
  (void) data;
  send_deferred_end_of_message (f);
  milter_command_encode_abort (out (f));
  milter_command_encode_envelope_from (out (f), "<next@example>", NULL);
  expect_reply (f, 4, "continue");
  g_assert_nonnull (strstr (f->events->str, "eom 0 i=(null);abort;from <next"));
  g_assert_false (milter_client_context_reply (f->context,
                                               MILTER_STATUS_ACCEPT, NULL));
}

static void
test_command_while_pending (Fixture *f, gconstpointer data)
{
  (void) data;
  send_deferred_end_of_message (f);
  milter_command_encode_helo (out (f), "again");
  assert_protocol_error (f, 5, 500);
}

static void
test_out_of_order (Fixture *f, gconstpointer data)
{
  (void) data;
  negotiate (f);
  milter_command_encode_header (out (f), "Subject", "x");
  milter_command_encode_connect (out (f), "late", MILTER_FAMILY_UNKNOWN, 0,
                                 NULL);
  assert_protocol_error (f, 3, 500);
}

static void
test_quit_new_connection (Fixture *f, gconstpointer data)
{
  (void) data;
  start_recorded_session (f);
  milter_command_encode_quit_new_connection (out (f));
  milter_command_encode_connect (out (f), "second", MILTER_FAMILY_UNIX, 0,
                                 "/tmp/x");
  expect_reply (f, 4, "continue");
  g_assert_nonnull (strstr (f->events->str, "connect second L 0 /tmp/x j=(null)"));
  g_assert_false (f->finished);
}

/* ---- write failures ---- */

static void
close_peer_and_wait (Fixture *f)
{
  client_test_mta_pump (f->mta, NULL, 0, 100);
  client_test_mta_close (f->mta);
  wait_finished (f);
}

static void
test_write_error (Fixture *f, gconstpointer data)
{
  (void) data;
  negotiate (f);
  close_peer_and_wait (f);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, SESSION,
                             "[client][error][write]");
}

/* The peer goes away while end-of-message writes its modifications:
 * where the write fails depends on the packet buffer. */
typedef struct {
  gsize packet_buffer_size;     /* 0: the default */
  const gchar *logged;
} ModifyErrorCase;

static const ModifyErrorCase end_of_message_flush_error = {
  0, "[client][error][reply-on-end-of-message][flush]",
};
static const ModifyErrorCase buffered_packets_error = {
  100, "[client][error][buffered-packets][write]",
};

static void
test_modify_error (Fixture *f, gconstpointer data)
{
  const ModifyErrorCase *test_case = data;

  if (test_case->packet_buffer_size > 0)
    milter_client_context_set_packet_buffer_size (f->context,
                                                  test_case->packet_buffer_size);
  g_signal_connect (f->context, "end-of-message",
                    G_CALLBACK (modify_all_unchecked), f);
  start_session (f);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  close_peer_and_wait (f);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, SESSION,
                             test_case->logged);
}

static void
test_packet_buffer_size (Fixture *f, gconstpointer data)
{
  guint64 n_writes;

  (void) data;
  milter_client_context_set_packet_buffer_size (f->context, 1000);
  n_writes = run_modify_all (f);
  assert_reply (f, 16, "continue");
  /* Written as the queue passed 1000 bytes: the body chunks went early. */
  g_assert_cmpuint (n_writes, >, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD_DATA(path, data, func) \
  g_test_add ("/client/context/" path, Fixture, data, setup, func, teardown)
#define ADD(path, func) ADD_DATA (path, NULL, func)
  ADD ("negotiate/default", test_negotiate_default);
  ADD ("negotiate/macros", test_negotiate_macros);
  ADD ("negotiate/refused", test_negotiate_refused);
  ADD ("events/all", test_events);
  ADD ("events/no-handler", test_no_handler_continues);
  ADD ("reply/code", test_reply_code);
  ADD ("reply/no-reply-steps", test_no_reply_steps);
  ADD ("reply/skip", test_skip);
  ADD ("reply/skip-not-negotiated", test_skip_not_negotiated);
  ADD ("reply/async", test_async_reply);
  ADD ("reply/abort-while-pending", test_abort_while_pending);
  ADD ("reply/command-while-pending", test_command_while_pending);
  ADD ("modifications/all-in-one-write", test_modifications);
  ADD ("modifications/rules", test_modification_rules);
  ADD ("modifications/packet-buffer-size", test_packet_buffer_size);
  ADD ("order/out-of-order", test_out_of_order);
  ADD ("order/quit-new-connection", test_quit_new_connection);
  ADD ("error/write", test_write_error);
  ADD_DATA ("error/end-of-message-flush", &end_of_message_flush_error,
            test_modify_error);
  ADD_DATA ("error/buffered-packets", &buffered_packets_error,
            test_modify_error);
#undef ADD_DATA
#undef ADD
  return g_test_run ();
}

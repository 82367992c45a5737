/*
 * client-test-session - a client context on a socket pair, driven by a scripted MTA
 *
 * See client-test-session.h.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-socket.h>
#include <milter/client/milter-client-context.h>

#include "client-test-session.h"

static void
on_finished (MilterAgent *agent, gpointer user_data)
{
  Fixture *f = user_data;

  (void) agent;
  f->finished = TRUE;
}

void
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

void
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

GByteArray *
out (Fixture *f)
{
  return client_test_mta_output (f->mta);
}

void
pump (Fixture *f, guint n_replies)
{
  if (!client_test_mta_pump (f->mta, f->loop, n_replies, TIMEOUT)) {
    g_autofree gchar *dump = client_test_mta_dump (f->mta);
    g_test_message ("replies so far:\n%s", dump);
    g_assert_cmpuint (client_test_mta_n_replies (f->mta), >=, n_replies);
  }
}

void
assert_reply (Fixture *f, guint index, const gchar *prefix)
{
  const gchar *reply = client_test_mta_reply (f->mta, index);

  if (!reply || !g_str_has_prefix (reply, prefix)) {
    g_autofree gchar *dump = client_test_mta_dump (f->mta);
    g_test_message ("replies:\n%s", dump);
    g_assert_cmpstr (reply, ==, prefix);
  }
}

void
wait_finished (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT * 1000;

  while (!f->finished && g_get_monotonic_time () < deadline)
    milter_event_loop_iterate (f->loop, TRUE);
  g_assert_true (f->finished);
}

/* Sends what is queued (waiting up to timeout_ms for n_replies) and
 * asserts that the milter ends the session over a protocol error. */
void
assert_protocol_error (Fixture *f, guint n_replies, guint timeout_ms)
{
  client_test_mta_pump (f->mta, f->loop, n_replies, timeout_ms);
  wait_finished (f);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, SESSION,
                             "[agent][error][decode]");
}

void
negotiate (Fixture *f)
{
  milter_command_encode_negotiate (out (f), 6, MILTER_ACTION_ALL,
                                   MILTER_STEP_ALL);
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
  (void) offer;
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
void
request_option (Fixture *f, MilterActionFlags actions, MilterStepFlags steps)
{
  f->actions = actions;
  f->steps = steps;
  g_signal_connect (f->context, "negotiate",
                    G_CALLBACK (negotiate_with_macros), f);
}

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
  if (milter_client_context_get_current_event (context) ==
      MILTER_COMMAND_ENVELOPE_FROM && f->defer_from) {
    f->deferred_id = milter_client_context_get_event_id (context);
    return MILTER_STATUS_NOT_CHANGE;
  }
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
  return f->status_at_header ? f->status_at_header : MILTER_STATUS_CONTINUE;
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
  if (!f->defer_eom)
    return MILTER_STATUS_ACCEPT;
  f->deferred_id = milter_client_context_get_event_id (context);
  return MILTER_STATUS_NOT_CHANGE;
}

static void
on_abort (MilterClientContext *context, gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append (f->events, "abort;");
}

static void
on_close (MilterClientContext *context, gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append (f->events, "close;");
}

void
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
  g_signal_connect (f->context, "close", G_CALLBACK (on_close), f);
}

void
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
void
start_session (Fixture *f)
{
  encode_session_start (f);
  pump (f, 4);
}

/* As start_session, with every event recorded in f->events. */
void
start_recorded_session (Fixture *f)
{
  connect_all (f);
  start_session (f);
}

/* Waits for reply number index (from 0) and checks it. */
void
expect_reply (Fixture *f, guint index, const gchar *prefix)
{
  pump (f, index + 1);
  assert_reply (f, index, prefix);
}

/* Sends RCPT TO and checks its reply, number index. */
void
expect_recipient_reply (Fixture *f, guint index, const gchar *address,
                        const gchar *prefix)
{
  milter_command_encode_envelope_recipient (out (f), address, NULL);
  expect_reply (f, index, prefix);
}

/* Sends end-of-message to a milter that leaves its reply pending. */
void
send_deferred_end_of_message (Fixture *f)
{
  f->defer_eom = TRUE;
  start_recorded_session (f);
  milter_command_encode_end_of_message (out (f), NULL, 0);
}

/* Runs the session until an event newer than old_id is deferred. */
void
wait_deferred (Fixture *f, guint64 old_id)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT * 1000;

  while (f->deferred_id == old_id && g_get_monotonic_time () < deadline)
    client_test_mta_pump (f->mta, f->loop, G_MAXUINT, 10);
  g_assert_cmpuint (f->deferred_id, >, old_id);
}

void
close_peer_and_wait (Fixture *f)
{
  client_test_mta_pump (f->mta, NULL, 0, 100);
  client_test_mta_close (f->mta);
  wait_finished (f);
}


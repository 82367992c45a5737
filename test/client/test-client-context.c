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
#include "client-test-session.h"

/* ---- negotiate ---- */

static void
test_negotiate_default (Fixture *f, gconstpointer data)
{
  const MilterOption *option;

  (void) data;
  negotiate (f);
  pump (f, 1);
  /* A milter asks for no action it did not declare. */
  assert_reply (f, 0, "negotiate-reply version=6 actions=0x00000000 steps=0x00000000");
  option = milter_client_context_get_option (f->context);
  g_assert_cmpuint (option->version, ==, 6);
  g_assert_cmpuint (milter_client_context_get_mta_option (f->context)->steps,
                    ==, MILTER_STEP_ALL);
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

/* What the milter gets when it wishes what the MTA may not offer. */
typedef struct {
  MilterOption offer;
  MilterActionFlags actions;   /* the milter's wishes */
  MilterStepFlags steps;
  const gchar *negotiated;     /* the reply's prefix */
  const gchar *header_reply;   /* to a header the milter rejects; NULL: none */
} NegotiateCase;

static const NegotiateCase no_reply_not_offered = {
  { 6, MILTER_ACTION_ALL, 0x7F }, 0, MILTER_STEP_NO_REPLY_HEADER,
  "negotiate-reply version=6 actions=0x00000000 steps=0x00000000",
  "continue",
};
static const NegotiateCase no_reply_offered = {
  { 6, MILTER_ACTION_ALL, MILTER_STEP_ALL }, 0, MILTER_STEP_NO_REPLY_HEADER,
  "negotiate-reply version=6 actions=0x00000000 steps=0x00000080", NULL,
};
static const NegotiateCase old_mta_no_data_no_unknown = {
  { 2, 0, 0 }, 0, MILTER_STEP_NO_DATA | MILTER_STEP_NO_UNKNOWN |
  MILTER_STEP_NO_CONNECT,
  "negotiate-reply version=2 actions=0x00000000 steps=0x00000001", "reject",
};
static const NegotiateCase undefined_actions = {
  { 6, 0xFFFFFFFF, MILTER_STEP_ALL },
  MILTER_ACTION_ADD_HEADERS | 0x80000000, 0,
  "negotiate-reply version=6 actions=0x00000001 steps=0x00000000", "reject",
};

static MilterStatus
negotiate_wishes (MilterClientContext *context, const MilterOption *offer,
                  MilterOption *option, MilterMacrosRequests *requests,
                  gpointer user_data)
{
  const NegotiateCase *c = user_data;

  (void) context;
  (void) offer;
  (void) requests;
  option->actions = c->actions;
  option->steps = c->steps;
  return MILTER_STATUS_CONTINUE;
}

static void
test_negotiate_lenient (Fixture *f, gconstpointer data)
{
  const NegotiateCase *c = data;

  g_signal_connect (f->context, "negotiate", G_CALLBACK (negotiate_wishes),
                    (gpointer) c);
  milter_command_encode_negotiate (out (f), c->offer.version,
                                   c->offer.actions, c->offer.steps);
  pump (f, 1);
  assert_reply (f, 0, c->negotiated);
  /* A header the milter's code rejects: if it wished no reply and the MTA
   * could not grant it, the library answers continue, as libmilter does. */
  f->status_at_header = MILTER_STATUS_REJECT;
  connect_all (f);
  milter_command_encode_header (out (f), "Subject", "x");
  milter_command_encode_end_of_message (out (f), NULL, 0);
  pump (f, c->header_reply ? 3 : 2);
  client_test_mta_pump (f->mta, f->loop, 4, 100);
  g_assert_cmpuint (client_test_mta_n_replies (f->mta), ==,
                    c->header_reply ? 3 : 2);
  if (c->header_reply) {
    assert_reply (f, 1, c->header_reply);
    assert_reply (f, 2, "accept");
  } else {
    assert_reply (f, 1, "accept");
  }
  g_assert_nonnull (strstr (f->events->str, "header Subject=x;"));
  g_assert_false (f->finished);
}

/* ---- events ---- */

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
                                   "mail_addr=(null);abort;close;"));
  g_assert_cmpuint (client_test_mta_n_replies (f->mta), ==, 12);
}

/* An owner's table of direct calls (milter_client_context_set_events). */
static MilterStatus
table_helo (MilterClientContext *context, const gchar *fqdn,
            gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append_printf (f->events, "table-helo %s;", fqdn);
  return MILTER_STATUS_TEMPORARY_FAILURE;
}

static void
table_abort (MilterClientContext *context, gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append (f->events, "table-abort;");
}

static void
table_close (MilterClientContext *context, gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append (f->events, "table-close;");
}

static void
table_finished (MilterClientContext *context, gpointer user_data)
{
  Fixture *f = user_data;

  (void) context;
  g_string_append (f->events, "table-finished;");
}

static const MilterClientContextEvents table_events = {
  .helo = table_helo,
  .abort = table_abort,
  .close = table_close,
  .finished = table_finished,
};

/* A function of the table takes its event instead of the signal and
 * decides the reply; events without one still go to the signal; abort and
 * close reach both, the table first; finished comes last. */
static void
test_events_table (Fixture *f, gconstpointer data)
{
  (void) data;
  connect_all (f);
  milter_client_context_set_events (f->context, &table_events, f);
  start_session (f);
  assert_reply (f, 1, "continue");
  assert_reply (f, 2, "temporary-failure");
  assert_reply (f, 3, "continue");
  milter_command_encode_abort (out (f));
  milter_command_encode_quit (out (f));
  client_test_mta_pump (f->mta, f->loop, 4, 1000);
  wait_finished (f);
  g_assert_cmpstr (f->events->str, ==,
                   "connect client.example 4 2525 192.0.2.1 j=mta.example;"
                   "table-helo client.example;"
                   "from <alice@example.test> [SIZE=100,BODY=8BITMIME] "
                   "mail_addr=alice@example.test;"
                   "table-abort;abort;table-close;close;table-finished;");
}

/* NULL gives every event back to the signals. */
static void
test_events_table_removed (Fixture *f, gconstpointer data)
{
  (void) data;
  milter_client_context_set_events (f->context, &table_events, f);
  milter_client_context_set_events (f->context, NULL, NULL);
  start_recorded_session (f);
  assert_reply (f, 2, "continue");
  g_assert_true (g_str_has_prefix (f->events->str,
                                   "connect client.example 4 2525 192.0.2.1 "
                                   "j=mta.example;helo client.example;"));
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
  request_option (f, MILTER_ACTION_ADD_HEADERS, 0);
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

/* A late reply to an aborted end-of-message must not answer the next
 * message's envelope-from, itself deferred. */
static void
test_stale_reply_dropped (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint64 aborted_id;

  (void) data;
  send_deferred_end_of_message (f);
  wait_deferred (f, 0);
  aborted_id = f->deferred_id;
  f->defer_from = TRUE;
  milter_command_encode_abort (out (f));
  milter_command_encode_envelope_from (out (f), "<next@example>", NULL);
  wait_deferred (f, aborted_id);

  g_assert_false (milter_client_context_reply_to_event (f->context, aborted_id,
                                                        MILTER_STATUS_ACCEPT,
                                                        &error));
  g_assert_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                  MILTER_CLIENT_CONTEXT_ERROR_STALE_REPLY);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_WARNING, SESSION,
                             "[client][reply][stale]");
  g_assert_true (milter_client_context_reply_to_event (f->context,
                                                       f->deferred_id,
                                                       MILTER_STATUS_CONTINUE,
                                                       NULL));
  expect_reply (f, 4, "continue");
  client_test_mta_pump (f->mta, f->loop, 6, 100);
  g_assert_cmpuint (client_test_mta_n_replies (f->mta), ==, 5);
}

static void
test_command_while_pending (Fixture *f, gconstpointer data)
{
  (void) data;
  send_deferred_end_of_message (f);
  milter_command_encode_helo (out (f), "again");
  assert_protocol_error (f, 5, 500);
}

/* A second envelope-from aborts the message and starts the next one. */
static void
test_second_envelope_from (Fixture *f, gconstpointer data)
{
  const gchar *names[] = { "{mail_addr}" };
  const gchar *values[] = { "second@example.test" };

  (void) data;
  start_recorded_session (f);
  milter_command_encode_define_macro (out (f), 'M', names, values, 1);
  milter_command_encode_envelope_from (out (f), "<second@example.test>", NULL);
  expect_reply (f, 4, "continue");
  /* The new message keeps the macros sent with its envelope-from. */
  g_assert_nonnull (strstr (f->events->str,
                            "abort;from <second@example.test> [] "
                            "mail_addr=second@example.test;"));
  expect_recipient_reply (f, 5, "<bob@example.net>", "continue");
  g_assert_false (f->finished);
}

/* A header after the body: the message is aborted, the header taken as
 * the start of a new one; the session goes on. */
static void
test_header_after_body (Fixture *f, gconstpointer data)
{
  (void) data;
  start_recorded_session (f);
  milter_command_encode_body (out (f), (const guint8 *) "a", 1);
  milter_command_encode_header (out (f), "Late", "1");
  expect_reply (f, 5, "continue");
  g_assert_true (g_str_has_suffix (f->events->str,
                                   "body a;abort;header Late=1;"));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_WARNING, SESSION,
                             "[client][order][resync]");
  g_assert_false (f->finished);
}

/* Connect again without quit-new-connection cannot be taken: dropped
 * unanswered, as libmilter drops it; the next command is answered. */
static void
test_connect_again_ignored (Fixture *f, gconstpointer data)
{
  (void) data;
  start_recorded_session (f);
  milter_command_encode_connect (out (f), "again", MILTER_FAMILY_UNKNOWN, 0,
                                 NULL);
  milter_command_encode_helo (out (f), "after");
  expect_reply (f, 4, "continue");
  client_test_mta_pump (f->mta, f->loop, 6, 100);
  g_assert_cmpuint (client_test_mta_n_replies (f->mta), ==, 5);
  g_assert_true (g_str_has_suffix (f->events->str, "abort;helo after;"));
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_WARNING, SESSION,
                             "[client][order][ignore]");
}

/* libmilter reads the 12 bytes it knows of a negotiate and ignores the
 * rest of a 'U' connect: so does the context. */
static void
test_trailing_bytes_tolerated (Fixture *f, gconstpointer data)
{
  static const guint8 long_negotiate[] =
    "\0\0\0\x11" "O" "\0\0\0\x06" "\0\0\x01\xff" "\0\x1f\xff\xff" "MORE";
  static const guint8 unknown_connect_with_port[] =
    "\0\0\0\x0a" "C" "host\0" "U" "\0\x19" "x";

  (void) data;
  connect_all (f);
  g_byte_array_append (out (f), long_negotiate, sizeof (long_negotiate) - 1);
  g_byte_array_append (out (f), unknown_connect_with_port,
                       sizeof (unknown_connect_with_port) - 1);
  expect_reply (f, 0, "negotiate-reply version=6");
  expect_reply (f, 1, "continue");
  g_assert_nonnull (strstr (f->events->str, "connect host U 0 (null)"));
  g_assert_false (f->finished);
}

/* Before negotiation nothing is known: the session ends. */
static void
test_event_before_negotiate (Fixture *f, gconstpointer data)
{
  (void) data;
  milter_command_encode_connect (out (f), "early", MILTER_FAMILY_UNKNOWN, 0,
                                 NULL);
  assert_protocol_error (f, 1, 500);
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
  /* The milter's code hears that the connection closed (after the abort
   * of the message in progress), then the next one. */
  g_assert_nonnull (strstr (f->events->str,
                            "abort;close;connect second L 0 /tmp/x j=(null)"));
  g_assert_false (f->finished);
}

/* Quit-new-connection while end-of-message is deferred drops what that
 * event had queued, and its late reply. */
static MilterStatus
queue_and_defer (MilterClientContext *context, gconstpointer chunk,
                 guint64 size, gpointer user_data)
{
  Fixture *f = user_data;

  (void) chunk;
  (void) size;
  g_assert_true (milter_client_context_add_header (context, "X-Queued", "1",
                                                   NULL));
  f->deferred_id = milter_client_context_get_event_id (context);
  return MILTER_STATUS_NOT_CHANGE;
}

static void
test_quit_new_connection_clears (Fixture *f, gconstpointer data)
{
  (void) data;
  request_option (f, MILTER_ACTION_ADD_HEADERS, 0);
  g_signal_connect (f->context, "end-of-message",
                    G_CALLBACK (queue_and_defer), f);
  start_session (f);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  milter_command_encode_quit_new_connection (out (f));
  milter_command_encode_connect (out (f), "second", MILTER_FAMILY_UNKNOWN, 0,
                                 NULL);
  expect_reply (f, 4, "continue");
  g_assert_false (milter_client_context_reply_to_event (f->context,
                                                        f->deferred_id,
                                                        MILTER_STATUS_ACCEPT,
                                                        NULL));
  milter_command_encode_helo (out (f), "next");
  expect_reply (f, 5, "continue");
  client_test_mta_pump (f->mta, f->loop, 7, 100);
  g_assert_cmpuint (client_test_mta_n_replies (f->mta), ==, 6);
}

/* ---- write failures ---- */

static void
test_write_error (Fixture *f, gconstpointer data)
{
  (void) data;
  negotiate (f);
  close_peer_and_wait (f);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, SESSION,
                             "[client][error][write]");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD_DATA CONTEXT_TEST_ADD
#define ADD(path, func) CONTEXT_TEST_ADD (path, NULL, func)
  ADD ("negotiate/default", test_negotiate_default);
  ADD ("negotiate/macros", test_negotiate_macros);
  ADD ("negotiate/refused", test_negotiate_refused);
  ADD_DATA ("negotiate/no-reply-not-offered", &no_reply_not_offered,
            test_negotiate_lenient);
  ADD_DATA ("negotiate/no-reply-offered", &no_reply_offered,
            test_negotiate_lenient);
  ADD_DATA ("negotiate/old-mta-no-data-no-unknown",
            &old_mta_no_data_no_unknown, test_negotiate_lenient);
  ADD_DATA ("negotiate/undefined-actions", &undefined_actions,
            test_negotiate_lenient);
  ADD ("events/all", test_events);
  ADD ("events/no-handler", test_no_handler_continues);
  ADD ("events/table", test_events_table);
  ADD ("events/table-removed", test_events_table_removed);
  ADD ("reply/code", test_reply_code);
  ADD ("reply/no-reply-steps", test_no_reply_steps);
  ADD ("reply/skip", test_skip);
  ADD ("reply/skip-not-negotiated", test_skip_not_negotiated);
  ADD ("reply/async", test_async_reply);
  ADD ("reply/abort-while-pending", test_abort_while_pending);
  ADD ("reply/stale-reply-dropped", test_stale_reply_dropped);
  ADD ("reply/command-while-pending", test_command_while_pending);
  ADD ("order/second-envelope-from", test_second_envelope_from);
  ADD ("order/header-after-body", test_header_after_body);
  ADD ("order/connect-again-ignored", test_connect_again_ignored);
  ADD ("order/event-before-negotiate", test_event_before_negotiate);
  ADD ("order/trailing-bytes-tolerated", test_trailing_bytes_tolerated);
  ADD ("order/quit-new-connection", test_quit_new_connection);
  ADD ("order/quit-new-connection-clears", test_quit_new_connection_clears);
  ADD ("error/write", test_write_error);
#undef ADD_DATA
#undef ADD
  return g_test_run ();
}

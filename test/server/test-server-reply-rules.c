/*
 * test-server-reply-rules - the reply x state rule, state names, expected lists
 */
#include "config.h"

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-option.h>
#include <milter/core/milter-protocol.h>
#include <milter/server/milter-server-reply-rules.h>

#define V MILTER_SERVER_REPLY_VALID
#define Q MILTER_SERVER_REPLY_QUITTED
#define I MILTER_SERVER_REPLY_INVALID_STATE
#define N MILTER_SERVER_REPLY_NOT_NEGOTIATED

#define ALL_ACTIONS MILTER_ACTION_ALL

typedef struct {
  MilterServerState state;
  gboolean waiting;
  guint8 reply;
  MilterActionFlags actions;
  MilterStepFlags steps;
  MilterServerReplyVerdict expected;
} RuleCase;

static const RuleCase rule_cases[] = {
  /* negotiate: only its reply. */
  { MILTER_SERVER_STATE_NEGOTIATE, TRUE, 'O', 0, 0, V },
  { MILTER_SERVER_STATE_NEGOTIATE, TRUE, 'c', 0, 0, I },
  { MILTER_SERVER_STATE_NEGOTIATE, TRUE, 'p', 0, 0, I },
  { MILTER_SERVER_STATE_NEGOTIATE, TRUE, 'r', 0, 0, I },
  { MILTER_SERVER_STATE_NEGOTIATE, FALSE, 'O', 0, 0, I },
  /* envelope events: verdicts, reply-code, progress, shutdown, failure. */
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'c', 0, 0, V },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'a', 0, 0, V },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'r', 0, 0, V },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 't', 0, 0, V },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'd', 0, 0, V },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'y', 0, 0, V },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'p', 0, 0, V },
  { MILTER_SERVER_STATE_CONNECT, TRUE, '4', 0, 0, V },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'f', 0, 0, V },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'O', 0, 0, I },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 's', 0, MILTER_STEP_SKIP, I },
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'h', ALL_ACTIONS, 0, I },
  { MILTER_SERVER_STATE_CONNECT, FALSE, 'c', 0, 0, I },
  { MILTER_SERVER_STATE_HELO, TRUE, 'c', 0, 0, V },
  { MILTER_SERVER_STATE_HELO, TRUE, 'b', ALL_ACTIONS, 0, I },
  { MILTER_SERVER_STATE_ENVELOPE_FROM, TRUE, 'r', 0, 0, V },
  { MILTER_SERVER_STATE_ENVELOPE_FROM, TRUE, 'e', ALL_ACTIONS, 0, I },
  { MILTER_SERVER_STATE_ENVELOPE_RECIPIENT, TRUE, 't', 0, 0, V },
  { MILTER_SERVER_STATE_ENVELOPE_RECIPIENT, TRUE, '+', ALL_ACTIONS, 0, I },
  { MILTER_SERVER_STATE_DATA, TRUE, 'c', 0, 0, V },
  { MILTER_SERVER_STATE_DATA, TRUE, 'q', ALL_ACTIONS, 0, I },
  { MILTER_SERVER_STATE_UNKNOWN, TRUE, 'y', 0, 0, V },
  { MILTER_SERVER_STATE_HEADER, TRUE, 'c', 0, 0, V },
  { MILTER_SERVER_STATE_HEADER, TRUE, 'i', ALL_ACTIONS, 0, I },
  { MILTER_SERVER_STATE_HEADER, TRUE, 's', 0, MILTER_STEP_SKIP, I },
  { MILTER_SERVER_STATE_END_OF_HEADER, TRUE, 'a', 0, 0, V },
  { MILTER_SERVER_STATE_END_OF_HEADER, TRUE, 'm', ALL_ACTIONS, 0, I },
  /* body: skip only when negotiated. */
  { MILTER_SERVER_STATE_BODY, TRUE, 'c', 0, 0, V },
  { MILTER_SERVER_STATE_BODY, TRUE, 's', 0, MILTER_STEP_SKIP, V },
  { MILTER_SERVER_STATE_BODY, TRUE, 's', 0, 0, N },
  { MILTER_SERVER_STATE_BODY, TRUE, 'p', 0, 0, V },
  { MILTER_SERVER_STATE_BODY, TRUE, 'b', ALL_ACTIONS, 0, I },
  { MILTER_SERVER_STATE_BODY, FALSE, 'c', 0, 0, I },
  /* end-of-message: modifications, each with its action. */
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'c', 0, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'a', 0, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'p', 0, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 's', 0, MILTER_STEP_SKIP, I },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'O', ALL_ACTIONS, 0, I },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'h', MILTER_ACTION_ADD_HEADERS, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'h', 0, 0, N },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'i', MILTER_ACTION_ADD_HEADERS, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'i', MILTER_ACTION_CHANGE_HEADERS, 0, N },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'm', MILTER_ACTION_CHANGE_HEADERS, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'm', MILTER_ACTION_ADD_HEADERS, 0, N },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, '+', MILTER_ACTION_ADD_RECIPIENT, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, '+', MILTER_ACTION_ADD_RECIPIENT_WITH_ARGS, 0, N },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, '2', MILTER_ACTION_ADD_RECIPIENT_WITH_ARGS, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, '2', MILTER_ACTION_ADD_RECIPIENT, 0, N },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, '-', MILTER_ACTION_DELETE_RECIPIENT, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, '-', 0, 0, N },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'e', MILTER_ACTION_CHANGE_FROM, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'e', 0, 0, N },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'b', MILTER_ACTION_CHANGE_BODY, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'b', 0, 0, N },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'q', MILTER_ACTION_QUARANTINE, 0, V },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 'q', 0, 0, N },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, FALSE, 'c', ALL_ACTIONS, 0, I },
  /* states that await nothing. */
  { MILTER_SERVER_STATE_START, TRUE, 'c', 0, 0, I },
  { MILTER_SERVER_STATE_START, FALSE, 'O', 0, 0, I },
  { MILTER_SERVER_STATE_DEFINE_MACRO, TRUE, 'c', 0, 0, I },
  { MILTER_SERVER_STATE_ABORT, TRUE, 'c', 0, 0, I },
  { MILTER_SERVER_STATE_ABORT, FALSE, 'a', 0, 0, I },
  { MILTER_SERVER_STATE_INVALID, TRUE, 'c', 0, 0, I },
  /* quit: whatever comes is "quitted". */
  { MILTER_SERVER_STATE_QUIT, FALSE, 'c', 0, 0, Q },
  { MILTER_SERVER_STATE_QUIT, TRUE, 'O', 0, 0, Q },
  { MILTER_SERVER_STATE_QUIT, FALSE, 'h', ALL_ACTIONS, 0, Q },
  /* a byte that is no reply at all. */
  { MILTER_SERVER_STATE_CONNECT, TRUE, 'Z', ALL_ACTIONS, MILTER_STEP_ALL, I },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE, 0, ALL_ACTIONS, MILTER_STEP_ALL, I },
};

static void
test_check (gconstpointer data)
{
  const RuleCase *c = data;
  MilterOption option;

  milter_option_init (&option, 6, c->actions, c->steps);
  g_assert_cmpint (milter_server_reply_check (c->state, c->waiting, c->reply,
                                              &option), ==, c->expected);
}

static void
test_check_without_negotiation (void)
{
  /* Before negotiation nothing is negotiated: modifications are refused. */
  g_assert_cmpint (milter_server_reply_check (MILTER_SERVER_STATE_NEGOTIATE,
                                              TRUE, 'O', NULL), ==, V);
  g_assert_cmpint (milter_server_reply_check (MILTER_SERVER_STATE_END_OF_MESSAGE,
                                              TRUE, 'h', NULL), ==, N);
  g_assert_cmpint (milter_server_reply_check (MILTER_SERVER_STATE_BODY,
                                              TRUE, 's', NULL), ==, N);
}

static void
test_state_names (void)
{
  static const struct {
    MilterServerState state;
    const gchar *name;
  } cases[] = {
    { MILTER_SERVER_STATE_INVALID, "invalid" },
    { MILTER_SERVER_STATE_START, "start" },
    { MILTER_SERVER_STATE_DEFINE_MACRO, "define-macro" },
    { MILTER_SERVER_STATE_NEGOTIATE, "negotiate" },
    { MILTER_SERVER_STATE_CONNECT, "connect" },
    { MILTER_SERVER_STATE_HELO, "helo" },
    { MILTER_SERVER_STATE_ENVELOPE_FROM, "envelope-from" },
    { MILTER_SERVER_STATE_ENVELOPE_RECIPIENT, "envelope-recipient" },
    { MILTER_SERVER_STATE_DATA, "data" },
    { MILTER_SERVER_STATE_UNKNOWN, "unknown" },
    { MILTER_SERVER_STATE_HEADER, "header" },
    { MILTER_SERVER_STATE_END_OF_HEADER, "end-of-header" },
    { MILTER_SERVER_STATE_BODY, "body" },
    { MILTER_SERVER_STATE_END_OF_MESSAGE, "end-of-message" },
    { MILTER_SERVER_STATE_QUIT, "quit" },
    { MILTER_SERVER_STATE_ABORT, "abort" },
    { (MilterServerState) 99, "invalid" },
  };
  GEnumClass *enum_class = g_type_class_ref (MILTER_TYPE_SERVER_STATE);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    GEnumValue *value = g_enum_get_value (enum_class, cases[i].state);

    g_assert_cmpstr (milter_server_state_to_string (cases[i].state), ==,
                     cases[i].name);
    if (value)
      g_assert_cmpstr (value->value_nick, ==, cases[i].name);
  }
  g_type_class_unref (enum_class);
}

static void
test_expected (void)
{
  static const struct {
    MilterServerState state;
    gboolean waiting;
    MilterActionFlags actions;
    MilterStepFlags steps;
    const gchar *expected;
  } cases[] = {
    { MILTER_SERVER_STATE_NEGOTIATE, TRUE, 0, 0, "negotiate-reply" },
    { MILTER_SERVER_STATE_CONNECT, TRUE, ALL_ACTIONS, MILTER_STEP_SKIP,
      "continue, accept, reject, temporary-failure, discard, reply-code, "
      "progress, shutdown, connection-failure" },
    { MILTER_SERVER_STATE_BODY, TRUE, 0, MILTER_STEP_SKIP,
      "continue, accept, reject, temporary-failure, discard, reply-code, "
      "skip, progress, shutdown, connection-failure" },
    { MILTER_SERVER_STATE_END_OF_MESSAGE, TRUE,
      MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_QUARANTINE, 0,
      "continue, accept, reject, temporary-failure, discard, reply-code, "
      "progress, shutdown, connection-failure, add-header, insert-header, "
      "quarantine" },
    { MILTER_SERVER_STATE_CONNECT, FALSE, 0, 0, "none" },
    { MILTER_SERVER_STATE_ABORT, TRUE, 0, 0, "none" },
    { MILTER_SERVER_STATE_QUIT, TRUE, 0, 0, "none" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    MilterOption option;
    g_autofree gchar *expected = NULL;

    milter_option_init (&option, 6, cases[i].actions, cases[i].steps);
    expected = milter_server_reply_expected (cases[i].state, cases[i].waiting,
                                             &option);
    g_assert_cmpstr (expected, ==, cases[i].expected);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (rule_cases); i++) {
    const RuleCase *c = &rule_cases[i];
    g_autofree gchar *path =
      g_strdup_printf ("/server/reply-rules/check/%02zu-%s-%s-%c", i,
                       milter_server_state_to_string (c->state),
                       c->waiting ? "waiting" : "idle",
                       c->reply >= 0x20 && c->reply < 0x7f ? c->reply : '?');

    g_test_add_data_func (path, c, test_check);
  }
  g_test_add_func ("/server/reply-rules/check-without-negotiation",
                   test_check_without_negotiation);
  g_test_add_func ("/server/reply-rules/state-names", test_state_names);
  g_test_add_func ("/server/reply-rules/expected", test_expected);
  return g_test_run ();
}

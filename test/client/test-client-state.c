/*
 * test-client-state - table tests of the command-order rule
 */
#include "config.h"

#include <glib.h>

#include <milter/client/milter-client-state.h>

#define S(name) MILTER_CLIENT_STATE_##name
#define C(name) MILTER_COMMAND_##name
#define OK MILTER_CLIENT_TRANSITION_ACCEPT
#define RESYNC MILTER_CLIENT_TRANSITION_RESYNC
#define IGNORE MILTER_CLIENT_TRANSITION_IGNORE
#define INVALID MILTER_CLIENT_TRANSITION_INVALID
#define NONE ((MilterClientState) 99)

typedef struct {
  MilterClientState state;
  MilterCommandType command;
  MilterClientTransition transition;
  MilterClientState next;   /* NONE: left untouched */
} Transition;

static const Transition transitions[] = {
  /* Negotiate first; a second one is dropped (after aborting a message). */
  { S (START), C (NEGOTIATE), OK, S (NEGOTIATED) },
  { S (START), C (CONNECT), INVALID, NONE },
  { S (START), C (HELO), INVALID, NONE },
  { S (START), C (ABORT), INVALID, NONE },
  { S (START), C (QUIT_NEW_CONNECTION), INVALID, NONE },
  { S (START), C (DEFINE_MACRO), OK, S (START) },
  { S (START), C (QUIT), OK, S (QUIT) },
  { S (NEGOTIATED), C (NEGOTIATE), IGNORE, S (NEGOTIATED) },
  { S (HELO), C (NEGOTIATE), IGNORE, S (HELO) },
  { S (BODY), C (NEGOTIATE), IGNORE, S (HELO) },
  /* The ordinary session. */
  { S (NEGOTIATED), C (CONNECT), OK, S (CONNECTED) },
  { S (CONNECTED), C (HELO), OK, S (HELO) },
  { S (HELO), C (ENVELOPE_FROM), OK, S (ENVELOPE_FROM) },
  { S (ENVELOPE_FROM), C (ENVELOPE_RECIPIENT), OK, S (ENVELOPE_RECIPIENT) },
  { S (ENVELOPE_RECIPIENT), C (ENVELOPE_RECIPIENT), OK, S (ENVELOPE_RECIPIENT) },
  { S (ENVELOPE_RECIPIENT), C (DATA), OK, S (DATA) },
  { S (DATA), C (HEADER), OK, S (HEADER) },
  { S (HEADER), C (HEADER), OK, S (HEADER) },
  { S (HEADER), C (END_OF_HEADER), OK, S (END_OF_HEADER) },
  { S (END_OF_HEADER), C (BODY), OK, S (BODY) },
  { S (BODY), C (BODY), OK, S (BODY) },
  { S (BODY), C (END_OF_MESSAGE), OK, S (HELO) },
  /* Skipping forward: events switched off, protocol 2 without data. */
  { S (NEGOTIATED), C (HELO), OK, S (HELO) },
  { S (NEGOTIATED), C (ENVELOPE_FROM), OK, S (ENVELOPE_FROM) },
  { S (CONNECTED), C (ENVELOPE_FROM), OK, S (ENVELOPE_FROM) },
  { S (HELO), C (ENVELOPE_RECIPIENT), OK, S (ENVELOPE_RECIPIENT) },
  { S (ENVELOPE_RECIPIENT), C (HEADER), OK, S (HEADER) },
  { S (ENVELOPE_RECIPIENT), C (END_OF_MESSAGE), OK, S (HELO) },
  { S (DATA), C (END_OF_MESSAGE), OK, S (HELO) },
  { S (NEGOTIATED), C (END_OF_MESSAGE), OK, S (NEGOTIATED) },
  /* Going back inside or out of a message: abort it and start afresh. */
  { S (ENVELOPE_FROM), C (ENVELOPE_FROM), RESYNC, S (ENVELOPE_FROM) },
  { S (ENVELOPE_RECIPIENT), C (ENVELOPE_FROM), RESYNC, S (ENVELOPE_FROM) },
  { S (BODY), C (ENVELOPE_FROM), RESYNC, S (ENVELOPE_FROM) },
  { S (ENVELOPE_FROM), C (HELO), RESYNC, S (HELO) },
  { S (DATA), C (ENVELOPE_RECIPIENT), RESYNC, S (ENVELOPE_RECIPIENT) },
  { S (DATA), C (DATA), RESYNC, S (DATA) },
  { S (HEADER), C (DATA), RESYNC, S (DATA) },
  { S (BODY), C (HEADER), RESYNC, S (HEADER) },
  { S (END_OF_HEADER), C (END_OF_HEADER), RESYNC, S (END_OF_HEADER) },
  /* Connect again cannot come even after helo: dropped. */
  { S (CONNECTED), C (CONNECT), IGNORE, S (CONNECTED) },
  { S (HELO), C (CONNECT), IGNORE, S (HELO) },
  { S (ENVELOPE_RECIPIENT), C (CONNECT), IGNORE, S (HELO) },
  /* Helo repeats (EHLO after STARTTLS); next message after the end. */
  { S (HELO), C (HELO), OK, S (HELO) },
  /* Abort ends the message and stays before helo if there was none. */
  { S (BODY), C (ABORT), OK, S (HELO) },
  { S (ENVELOPE_RECIPIENT), C (ABORT), OK, S (HELO) },
  { S (CONNECTED), C (ABORT), OK, S (CONNECTED) },
  { S (NEGOTIATED), C (ABORT), OK, S (NEGOTIATED) },
  /* Unknown SMTP commands until data; the state does not move. After
   * data the message is aborted first. */
  { S (NEGOTIATED), C (UNKNOWN), OK, S (NEGOTIATED) },
  { S (HELO), C (UNKNOWN), OK, S (HELO) },
  { S (ENVELOPE_RECIPIENT), C (UNKNOWN), OK, S (ENVELOPE_RECIPIENT) },
  { S (DATA), C (UNKNOWN), OK, S (DATA) },
  { S (HEADER), C (UNKNOWN), RESYNC, S (HELO) },
  { S (BODY), C (UNKNOWN), RESYNC, S (HELO) },
  /* Macros any time; quits. */
  { S (BODY), C (DEFINE_MACRO), OK, S (BODY) },
  { S (BODY), C (QUIT), OK, S (QUIT) },
  { S (BODY), C (QUIT_NEW_CONNECTION), OK, S (NEGOTIATED) },
  { S (HELO), C (QUIT_NEW_CONNECTION), OK, S (NEGOTIATED) },
  /* Nothing after quit. */
  { S (QUIT), C (DEFINE_MACRO), INVALID, NONE },
  { S (QUIT), C (QUIT), INVALID, NONE },
  { S (QUIT), C (CONNECT), INVALID, NONE },
  { S (QUIT), C (NEGOTIATE), INVALID, NONE },
  /* Not a command the MTA sends. */
  { S (HELO), (MilterCommandType) 'Z', INVALID, NONE },
};

static void
test_next (gconstpointer data)
{
  const Transition *t = data;
  MilterClientState next = NONE;
  MilterClientTransition transition =
    milter_client_state_next (t->state, t->command, &next);

  g_assert_cmpstr (milter_client_transition_to_string (transition), ==,
                   milter_client_transition_to_string (t->transition));
  if (t->next == NONE)
    g_assert_cmpint (next, ==, NONE);
  else
    g_assert_cmpstr (milter_client_state_to_string (next), ==,
                     milter_client_state_to_string (t->next));
}

typedef struct {
  MilterClientState state;
  gboolean in_message;
} InMessageCase;

static const InMessageCase in_message_cases[] = {
  { S (START), FALSE },
  { S (NEGOTIATED), FALSE },
  { S (CONNECTED), FALSE },
  { S (HELO), FALSE },
  { S (ENVELOPE_FROM), TRUE },
  { S (ENVELOPE_RECIPIENT), TRUE },
  { S (DATA), TRUE },
  { S (HEADER), TRUE },
  { S (END_OF_HEADER), TRUE },
  { S (BODY), TRUE },
  { S (QUIT), FALSE },
};

static void
test_in_message (gconstpointer data)
{
  const InMessageCase *c = data;

  g_assert_cmpint (milter_client_state_in_message (c->state), ==,
                   c->in_message);
}

typedef struct {
  MilterCommandType command;
  MilterStepFlags steps;
  gboolean expected;
} ReplyCase;

static const ReplyCase reply_cases[] = {
  { C (NEGOTIATE), MILTER_STEP_NO_REPLY_MASK, TRUE },
  { C (END_OF_MESSAGE), MILTER_STEP_NO_REPLY_MASK, TRUE },
  { C (DEFINE_MACRO), 0, FALSE },
  { C (ABORT), 0, FALSE },
  { C (QUIT), 0, FALSE },
  { C (QUIT_NEW_CONNECTION), 0, FALSE },
  { C (CONNECT), 0, TRUE },
  { C (CONNECT), MILTER_STEP_NO_REPLY_CONNECT, FALSE },
  { C (CONNECT), MILTER_STEP_NO_REPLY_HELO, TRUE },
  { C (HELO), MILTER_STEP_NO_REPLY_HELO, FALSE },
  { C (ENVELOPE_FROM), MILTER_STEP_NO_REPLY_ENVELOPE_FROM, FALSE },
  { C (ENVELOPE_RECIPIENT), MILTER_STEP_NO_REPLY_ENVELOPE_RECIPIENT, FALSE },
  { C (ENVELOPE_RECIPIENT), MILTER_STEP_NO_ENVELOPE_RECIPIENT, TRUE },
  { C (DATA), MILTER_STEP_NO_REPLY_DATA, FALSE },
  { C (UNKNOWN), MILTER_STEP_NO_REPLY_UNKNOWN, FALSE },
  { C (HEADER), MILTER_STEP_NO_REPLY_HEADER, FALSE },
  { C (HEADER), MILTER_STEP_NO_REPLY_BODY, TRUE },
  { C (END_OF_HEADER), MILTER_STEP_NO_REPLY_END_OF_HEADER, FALSE },
  { C (BODY), MILTER_STEP_NO_REPLY_BODY, FALSE },
  { C (BODY), MILTER_STEP_SKIP, TRUE },
};

static void
test_reply_expected (gconstpointer data)
{
  const ReplyCase *c = data;

  g_assert_cmpint (milter_client_state_reply_expected (c->command, c->steps),
                   ==, c->expected);
}

static void
test_to_string (void)
{
  g_assert_cmpstr (milter_client_state_to_string (S (ENVELOPE_RECIPIENT)), ==,
                   "envelope-recipient");
  g_assert_cmpstr (milter_client_state_to_string ((MilterClientState) 77), ==,
                   "invalid");
  g_assert_cmpstr (milter_client_transition_to_string (RESYNC), ==, "resync");
  g_assert_cmpstr (milter_client_transition_to_string ((MilterClientTransition) 9),
                   ==, "invalid");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (transitions); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/client/state/next/%s/%c/%u",
                       milter_client_state_to_string (transitions[i].state),
                       (gchar) transitions[i].command, i);
    g_test_add_data_func (path, &transitions[i], test_next);
  }
  for (guint i = 0; i < G_N_ELEMENTS (reply_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/client/state/reply-expected/%c/%u",
                       (gchar) reply_cases[i].command, i);
    g_test_add_data_func (path, &reply_cases[i], test_reply_expected);
  }
  for (guint i = 0; i < G_N_ELEMENTS (in_message_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/client/state/in-message/%s",
                       milter_client_state_to_string (in_message_cases[i].state));
    g_test_add_data_func (path, &in_message_cases[i], test_in_message);
  }
  g_test_add_func ("/client/state/to-string", test_to_string);
  return g_test_run ();
}

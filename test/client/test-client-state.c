/*
 * test-client-state - table tests of the command-order rule
 */
#include "config.h"

#include <glib.h>

#include <milter/client/milter-client-state.h>

#define S(name) MILTER_CLIENT_STATE_##name
#define C(name) MILTER_COMMAND_##name
#define INVALID ((MilterClientState) -1)

typedef struct {
  MilterClientState state;
  MilterCommandType command;
  MilterClientState next;   /* INVALID: refused */
} Transition;

static const Transition transitions[] = {
  /* Negotiate first and once. */
  { S (START), C (NEGOTIATE), S (NEGOTIATED) },
  { S (START), C (CONNECT), INVALID },
  { S (START), C (ABORT), INVALID },
  { S (START), C (DEFINE_MACRO), S (START) },
  { S (START), C (QUIT), S (QUIT) },
  { S (NEGOTIATED), C (NEGOTIATE), INVALID },
  { S (HELO), C (NEGOTIATE), INVALID },
  /* The ordinary session. */
  { S (NEGOTIATED), C (CONNECT), S (CONNECTED) },
  { S (CONNECTED), C (HELO), S (HELO) },
  { S (HELO), C (ENVELOPE_FROM), S (ENVELOPE_FROM) },
  { S (ENVELOPE_FROM), C (ENVELOPE_RECIPIENT), S (ENVELOPE_RECIPIENT) },
  { S (ENVELOPE_RECIPIENT), C (ENVELOPE_RECIPIENT), S (ENVELOPE_RECIPIENT) },
  { S (ENVELOPE_RECIPIENT), C (DATA), S (DATA) },
  { S (DATA), C (HEADER), S (HEADER) },
  { S (HEADER), C (HEADER), S (HEADER) },
  { S (HEADER), C (END_OF_HEADER), S (END_OF_HEADER) },
  { S (END_OF_HEADER), C (BODY), S (BODY) },
  { S (BODY), C (BODY), S (BODY) },
  { S (BODY), C (END_OF_MESSAGE), S (HELO) },
  /* Skipping forward: events switched off, protocol 2 without data. */
  { S (NEGOTIATED), C (HELO), S (HELO) },
  { S (NEGOTIATED), C (ENVELOPE_FROM), S (ENVELOPE_FROM) },
  { S (CONNECTED), C (ENVELOPE_FROM), S (ENVELOPE_FROM) },
  { S (ENVELOPE_RECIPIENT), C (HEADER), S (HEADER) },
  { S (ENVELOPE_RECIPIENT), C (END_OF_MESSAGE), S (HELO) },
  { S (DATA), C (END_OF_MESSAGE), S (HELO) },
  { S (NEGOTIATED), C (END_OF_MESSAGE), S (NEGOTIATED) },
  /* Going back is refused. */
  { S (CONNECTED), C (CONNECT), INVALID },
  { S (HELO), C (CONNECT), INVALID },
  { S (ENVELOPE_FROM), C (ENVELOPE_FROM), INVALID },
  { S (ENVELOPE_RECIPIENT), C (ENVELOPE_FROM), INVALID },
  { S (ENVELOPE_FROM), C (HELO), INVALID },
  { S (DATA), C (DATA), INVALID },
  { S (HEADER), C (DATA), INVALID },
  { S (BODY), C (HEADER), INVALID },
  { S (END_OF_HEADER), C (END_OF_HEADER), INVALID },
  /* Helo repeats (EHLO after STARTTLS); next message after the end. */
  { S (HELO), C (HELO), S (HELO) },
  { S (HELO), C (ENVELOPE_FROM), S (ENVELOPE_FROM) },
  /* Abort ends the message and stays before helo if there was none. */
  { S (BODY), C (ABORT), S (HELO) },
  { S (ENVELOPE_RECIPIENT), C (ABORT), S (HELO) },
  { S (CONNECTED), C (ABORT), S (CONNECTED) },
  { S (NEGOTIATED), C (ABORT), S (NEGOTIATED) },
  /* Unknown SMTP commands until data; the state does not move. */
  { S (NEGOTIATED), C (UNKNOWN), S (NEGOTIATED) },
  { S (HELO), C (UNKNOWN), S (HELO) },
  { S (ENVELOPE_RECIPIENT), C (UNKNOWN), S (ENVELOPE_RECIPIENT) },
  { S (DATA), C (UNKNOWN), S (DATA) },
  { S (HEADER), C (UNKNOWN), INVALID },
  { S (BODY), C (UNKNOWN), INVALID },
  /* Macros any time; quits. */
  { S (BODY), C (DEFINE_MACRO), S (BODY) },
  { S (BODY), C (QUIT), S (QUIT) },
  { S (BODY), C (QUIT_NEW_CONNECTION), S (NEGOTIATED) },
  { S (HELO), C (QUIT_NEW_CONNECTION), S (NEGOTIATED) },
  /* Nothing after quit. */
  { S (QUIT), C (DEFINE_MACRO), INVALID },
  { S (QUIT), C (QUIT), INVALID },
  { S (QUIT), C (CONNECT), INVALID },
};

static void
test_next (gconstpointer data)
{
  const Transition *t = data;
  MilterClientState next = (MilterClientState) 99;
  gboolean allowed = milter_client_state_next (t->state, t->command, &next);

  if (t->next == INVALID) {
    g_assert_false (allowed);
    g_assert_cmpint (next, ==, 99);
  } else {
    g_assert_true (allowed);
    g_assert_cmpstr (milter_client_state_to_string (next), ==,
                     milter_client_state_to_string (t->next));
  }
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
  g_test_add_func ("/client/state/to-string", test_to_string);
  return g_test_run ();
}

/*
 * milter-server-reply-rules - which milter reply is valid in which server state
 *
 * The rule is written as a few sets of reply bytes per kind of state
 * rather than a full state x reply table: the event states share one set,
 * so a new state or reply changes one line.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-option.h>
#include <milter/core/milter-protocol.h>
#include <milter/server/milter-server-reply-rules.h>

G_DEFINE_ENUM_TYPE (MilterServerState, milter_server_state,
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_INVALID, "invalid"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_START, "start"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_DEFINE_MACRO, "define-macro"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_NEGOTIATE, "negotiate"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_CONNECT, "connect"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_HELO, "helo"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_ENVELOPE_FROM, "envelope-from"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_ENVELOPE_RECIPIENT,
                       "envelope-recipient"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_DATA, "data"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_UNKNOWN, "unknown"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_HEADER, "header"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_END_OF_HEADER, "end-of-header"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_BODY, "body"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_END_OF_MESSAGE, "end-of-message"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_QUIT, "quit"),
  G_DEFINE_ENUM_VALUE (MILTER_SERVER_STATE_ABORT, "abort"))

static const gchar *state_names[MILTER_SERVER_STATE_COUNT] = {
  [MILTER_SERVER_STATE_INVALID] = "invalid",
  [MILTER_SERVER_STATE_START] = "start",
  [MILTER_SERVER_STATE_DEFINE_MACRO] = "define-macro",
  [MILTER_SERVER_STATE_NEGOTIATE] = "negotiate",
  [MILTER_SERVER_STATE_CONNECT] = "connect",
  [MILTER_SERVER_STATE_HELO] = "helo",
  [MILTER_SERVER_STATE_ENVELOPE_FROM] = "envelope-from",
  [MILTER_SERVER_STATE_ENVELOPE_RECIPIENT] = "envelope-recipient",
  [MILTER_SERVER_STATE_DATA] = "data",
  [MILTER_SERVER_STATE_UNKNOWN] = "unknown",
  [MILTER_SERVER_STATE_HEADER] = "header",
  [MILTER_SERVER_STATE_END_OF_HEADER] = "end-of-header",
  [MILTER_SERVER_STATE_BODY] = "body",
  [MILTER_SERVER_STATE_END_OF_MESSAGE] = "end-of-message",
  [MILTER_SERVER_STATE_QUIT] = "quit",
  [MILTER_SERVER_STATE_ABORT] = "abort",
};

/* Every reply byte, in the order the "expected" list shows them. */
static const guint8 all_replies[] = {
  MILTER_REPLY_NEGOTIATE,
  MILTER_REPLY_CONTINUE,
  MILTER_REPLY_ACCEPT,
  MILTER_REPLY_REJECT,
  MILTER_REPLY_TEMPORARY_FAILURE,
  MILTER_REPLY_DISCARD,
  MILTER_REPLY_REPLY_CODE,
  MILTER_REPLY_SKIP,
  MILTER_REPLY_PROGRESS,
  MILTER_REPLY_SHUTDOWN,
  MILTER_REPLY_CONNECTION_FAILURE,
  MILTER_REPLY_ADD_HEADER,
  MILTER_REPLY_INSERT_HEADER,
  MILTER_REPLY_CHANGE_HEADER,
  MILTER_REPLY_ADD_RECIPIENT,
  MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS,
  MILTER_REPLY_DELETE_RECIPIENT,
  MILTER_REPLY_CHANGE_FROM,
  MILTER_REPLY_REPLACE_BODY,
  MILTER_REPLY_QUARANTINE,
};

/* Replies that answer any event: a verdict, a custom SMTP reply, or
 * "still working". shutdown (421) and connection-failure end the session
 * as a temporary failure, which any event may do. */
static const gchar event_replies[] = {
  MILTER_REPLY_CONTINUE, MILTER_REPLY_ACCEPT, MILTER_REPLY_REJECT,
  MILTER_REPLY_TEMPORARY_FAILURE, MILTER_REPLY_DISCARD,
  MILTER_REPLY_REPLY_CODE, MILTER_REPLY_PROGRESS, MILTER_REPLY_SHUTDOWN,
  MILTER_REPLY_CONNECTION_FAILURE, 0
};

const gchar *
milter_server_state_to_string (MilterServerState state)
{
  if ((guint) state >= MILTER_SERVER_STATE_COUNT)
    return "invalid";
  return state_names[state];
}

/* The action a modification needs; 0 for a reply that is not one. */
static MilterActionFlags
modification_action (guint8 reply)
{
  switch (reply) {
  case MILTER_REPLY_ADD_HEADER:
  case MILTER_REPLY_INSERT_HEADER:
    return MILTER_ACTION_ADD_HEADERS;
  case MILTER_REPLY_CHANGE_HEADER:
    return MILTER_ACTION_CHANGE_HEADERS;
  case MILTER_REPLY_ADD_RECIPIENT:
    return MILTER_ACTION_ADD_RECIPIENT;
  case MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS:
    return MILTER_ACTION_ADD_RECIPIENT_WITH_ARGS;
  case MILTER_REPLY_DELETE_RECIPIENT:
    return MILTER_ACTION_DELETE_RECIPIENT;
  case MILTER_REPLY_CHANGE_FROM:
    return MILTER_ACTION_CHANGE_FROM;
  case MILTER_REPLY_REPLACE_BODY:
    return MILTER_ACTION_CHANGE_BODY;
  case MILTER_REPLY_QUARANTINE:
    return MILTER_ACTION_QUARANTINE;
  default:
    return MILTER_ACTION_NONE;
  }
}

static gboolean
is_event_reply (guint8 reply)
{
  return reply != 0 && strchr (event_replies, (gchar) reply) != NULL;
}

MilterServerReplyVerdict
milter_server_reply_check (MilterServerState state,
                           gboolean waiting,
                           guint8 reply,
                           const MilterOption *negotiated)
{
  MilterActionFlags actions = negotiated ? negotiated->actions : 0;
  MilterStepFlags steps = negotiated ? negotiated->steps : 0;

  if (state == MILTER_SERVER_STATE_QUIT)
    return MILTER_SERVER_REPLY_QUITTED;
  if (!waiting)
    return MILTER_SERVER_REPLY_INVALID_STATE;

  switch (state) {
  case MILTER_SERVER_STATE_NEGOTIATE:
    return reply == MILTER_REPLY_NEGOTIATE ?
      MILTER_SERVER_REPLY_VALID : MILTER_SERVER_REPLY_INVALID_STATE;
  case MILTER_SERVER_STATE_CONNECT:
  case MILTER_SERVER_STATE_HELO:
  case MILTER_SERVER_STATE_ENVELOPE_FROM:
  case MILTER_SERVER_STATE_ENVELOPE_RECIPIENT:
  case MILTER_SERVER_STATE_DATA:
  case MILTER_SERVER_STATE_UNKNOWN:
  case MILTER_SERVER_STATE_HEADER:
  case MILTER_SERVER_STATE_END_OF_HEADER:
    return is_event_reply (reply) ?
      MILTER_SERVER_REPLY_VALID : MILTER_SERVER_REPLY_INVALID_STATE;
  case MILTER_SERVER_STATE_BODY:
    if (reply == MILTER_REPLY_SKIP)
      return (steps & MILTER_STEP_SKIP) ?
        MILTER_SERVER_REPLY_VALID : MILTER_SERVER_REPLY_NOT_NEGOTIATED;
    return is_event_reply (reply) ?
      MILTER_SERVER_REPLY_VALID : MILTER_SERVER_REPLY_INVALID_STATE;
  case MILTER_SERVER_STATE_END_OF_MESSAGE: {
    MilterActionFlags needed = modification_action (reply);

    if (needed != MILTER_ACTION_NONE)
      return (actions & needed) ?
        MILTER_SERVER_REPLY_VALID : MILTER_SERVER_REPLY_NOT_NEGOTIATED;
    return is_event_reply (reply) ?
      MILTER_SERVER_REPLY_VALID : MILTER_SERVER_REPLY_INVALID_STATE;
  }
  case MILTER_SERVER_STATE_INVALID:
  case MILTER_SERVER_STATE_START:
  case MILTER_SERVER_STATE_DEFINE_MACRO:
  case MILTER_SERVER_STATE_ABORT:
  case MILTER_SERVER_STATE_QUIT:
  default:
    return MILTER_SERVER_REPLY_INVALID_STATE;
  }
}

gchar *
milter_server_reply_expected (MilterServerState state,
                              gboolean waiting,
                              const MilterOption *negotiated)
{
  GString *expected = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (all_replies); i++) {
    if (milter_server_reply_check (state, waiting, all_replies[i],
                                   negotiated) != MILTER_SERVER_REPLY_VALID)
      continue;
    if (expected->len > 0)
      g_string_append (expected, ", ");
    g_string_append (expected, milter_reply_type_to_string (all_replies[i]));
  }
  if (expected->len == 0)
    g_string_append (expected, "none");
  return g_string_free (expected, FALSE);
}

/*
 * milter-server-context-replies - the milter's replies, checked and reported
 *
 * SYNOPSIS
 *   gboolean milter_server_context_decode (agent, data, size, &error);
 *   gboolean milter_server_context_decode_end (agent, &error);
 *
 * DESCRIPTION
 *   Part of MilterServerContext (see milter-server-context.h), as its
 *   MilterAgent decode vfuncs: bytes from the milter are decoded into
 *   replies; each is checked against the state it arrives in
 *   (milter_server_reply_check() decides) and reported as one signal per
 *   reply kind. A "continue" to a body chunk sends the next chunk instead
 *   (and, after a body end_of_message() split, the end-of-message); the
 *   caller sees one "continue" per call. The end of input before quit
 *   ends the session.
 *
 * DIAGNOSTICS
 *   [server][error][RESPONSE][state][invalid][STATE]  a reply that does
 *                        not answer STATE, with the replies expected
 *   [server][reply][quitted][STATE][RESPONSE]  (warning) a reply after quit
 *   [server][error][reply-code][invalid]  a malformed reply code
 *   [server][error][held][too-large]  modifications over the held-size bound
 *   [server][error]      a bad negotiate reply, a reply not negotiated,
 *                        the milter closed the connection mid-session
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-reply-decoder.h>
#include <milter/core/milter-status-reply.h>
#include <milter/server/milter-server-context.h>
#include <milter/server/milter-server-context-private.h>
#include <milter/server/milter-server-reply-values.h>

static guint *const signals = milter_server_context_signals;

static void
protocol_error (MilterServerContext *self, const gchar *message)
{
  MilterServerContextPrivate *priv = PRIV (self);

  milter_error (SESSION (self), "[server][error] [%s] %s", priv->name, message);
  fail_session (self, g_error_new (MILTER_SERVER_CONTEXT_ERROR,
                                   MILTER_SERVER_CONTEXT_ERROR_PROTOCOL,
                                   "%s: %s", priv->name, message));
}

static void
handle_negotiate_reply (MilterServerContext *self, const MilterReply *reply)
{
  MilterServerContextPrivate *priv = PRIV (self);
  MilterOption answer;
  g_autoptr (MilterOption) boxed = NULL;

  milter_option_init (&answer, reply->negotiate.version,
                      reply->negotiate.actions, reply->negotiate.steps);
  if (answer.version < MILTER_PROTOCOL_VERSION_MIN ||
      answer.version > priv->offered.version) {
    g_autofree gchar *message =
      g_strdup_printf ("the milter answered protocol version %u to an offer "
                       "of %u", answer.version, priv->offered.version);
    protocol_error (self, message);
    return;
  }
  if ((answer.actions & ~priv->offered.actions) ||
      (answer.steps & ~priv->offered.steps)) {
    g_autofree gchar *asked = milter_option_to_string (&answer);
    g_autofree gchar *offer = milter_option_to_string (&priv->offered);
    g_autofree gchar *message =
      g_strdup_printf ("the milter asked for more than offered: %s; offer: %s",
                       asked, offer);
    protocol_error (self, message);
    return;
  }
  priv->negotiated = answer;
  priv->has_negotiated = TRUE;
  for (MilterMacroStage stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++)
    milter_macros_requests_set_from_string (priv->macros_requests, stage, NULL);
  for (gsize i = 0; i < reply->negotiate.n_macro_lists; i++)
    milter_macros_requests_set_from_string (priv->macros_requests,
                                            reply->negotiate.macro_lists[i].stage,
                                            reply->negotiate.macro_lists[i].names);
  set_waiting (self, FALSE);
  if (priv->events->negotiate_reply) {
    priv->events->negotiate_reply (self, &answer, priv->macros_requests,
                                   priv->events_data);
    return;
  }
  boxed = milter_option_copy (&answer);
  g_signal_emit (self, signals[SIGNAL_NEGOTIATE_REPLY], 0, boxed,
                 priv->macros_requests);
}

typedef void (*SimpleFunc) (MilterServerContext *context, gpointer user_data);

/* The table's function for an event without arguments, NULL if none. */
static SimpleFunc
simple_func (const MilterServerContextEvents *events, guint signal_index)
{
  switch (signal_index) {
  case SIGNAL_CONTINUE: return events->continue_;
  case SIGNAL_ACCEPT: return events->accept;
  case SIGNAL_REJECT: return events->reject;
  case SIGNAL_TEMPORARY_FAILURE: return events->temporary_failure;
  case SIGNAL_DISCARD: return events->discard;
  case SIGNAL_SKIP: return events->skip;
  case SIGNAL_PROGRESS: return events->progress;
  case SIGNAL_SHUTDOWN: return events->shutdown;
  case SIGNAL_CONNECTION_FAILURE: return events->connection_failure;
  case SIGNAL_CONNECTION_TIMEOUT: return events->connection_timeout;
  case SIGNAL_WRITING_TIMEOUT: return events->writing_timeout;
  case SIGNAL_READING_TIMEOUT: return events->reading_timeout;
  case SIGNAL_END_OF_MESSAGE_TIMEOUT: return events->end_of_message_timeout;
  default: return NULL;
  }
}

void
milter_server_context_emit_simple (MilterServerContext *self,
                                   guint signal_index)
{
  MilterServerContextPrivate *priv = PRIV (self);
  SimpleFunc func = simple_func (priv->events, signal_index);

  if (func)
    func (self, priv->events_data);
  else
    g_signal_emit (self, signals[signal_index], 0);
}

static const MilterServerContextEvents no_events;

void
milter_server_context_set_events (MilterServerContext *context,
                                  const MilterServerContextEvents *events,
                                  gpointer user_data)
{
  MilterServerContextPrivate *priv;

  g_return_if_fail (MILTER_IS_SERVER_CONTEXT (context));
  priv = PRIV (context);
  priv->events = events ? events : &no_events;
  priv->events_data = events ? user_data : NULL;
}

/* A verdict ends the wait for this event (and any body still unsent). */
static void
emit_verdict (MilterServerContext *self, guint signal_id, MilterStatus status)
{
  MilterServerContextPrivate *priv = PRIV (self);

  set_waiting (self, FALSE);
  priv->status = status;
  disarm_reply_timer (self);
  drop_body (self);
  milter_server_context_emit_simple (self, signal_id);
}

/* A malformed reply code counts as a temporary failure, as in Postfix;
 * the caller finds why in milter_server_context_get_reply_code_error(). */
static void
handle_reply_code (MilterServerContext *self, const gchar *text)
{
  MilterServerContextPrivate *priv = PRIV (self);
  MilterStatus status;

  g_clear_pointer (&priv->reply_code, milter_reply_code_free);
  g_clear_error (&priv->reply_code_error);
  g_free (priv->reply_code_text);
  priv->reply_code_text = g_strdup (text);
  status = milter_server_reply_code_status (text, &priv->reply_code,
                                            &priv->reply_code_error);
  if (priv->reply_code_error) {
    milter_error (SESSION (self),
                  "[server][error][reply-code][invalid] [%s] <%s>: %s; "
                  "taken as temporary-failure", priv->name, text,
                  priv->reply_code_error->message);
    emit_verdict (self, SIGNAL_TEMPORARY_FAILURE, status);
    return;
  }
  set_waiting (self, FALSE);
  priv->status = status;
  disarm_reply_timer (self);
  drop_body (self);
  EMIT_EVENT (self, reply_code, SIGNAL_REPLY_CODE, text);
}

/* Counts what a modification makes the caller hold; over the bound the
 * session ends (FALSE) before the caller sees it. */
static gboolean
hold (MilterServerContext *self, const gchar *what, gsize size)
{
  MilterServerContextPrivate *priv = PRIV (self);

  priv->held_size += size;
  if (priv->max_held_size == 0 || priv->held_size <= priv->max_held_size)
    return TRUE;
  milter_error (SESSION (self),
                "[server][error][held][too-large] [%s] %s: the milter's "
                "modifications of this message reach %" G_GSIZE_FORMAT
                " bytes, over the bound of %" G_GSIZE_FORMAT, priv->name,
                what, priv->held_size, priv->max_held_size);
  fail_session (self, g_error_new (MILTER_SERVER_CONTEXT_ERROR,
                                   MILTER_SERVER_CONTEXT_ERROR_TOO_LARGE,
                                   "%s: the milter's modifications of one "
                                   "message exceed %" G_GSIZE_FORMAT " bytes",
                                   priv->name, priv->max_held_size));
  return FALSE;
}

/* Header values reach the caller without the space after the colon,
 * whether or not the milter negotiated it (milter-server-reply-values.h).
 * An empty value in change-header deletes. */
static void
emit_header (MilterServerContext *self, const MilterReply *reply)
{
  MilterServerContextPrivate *priv = PRIV (self);
  const gchar *value =
    milter_server_header_value_from_milter (reply->header.value,
                                            priv->negotiated.steps);

  switch (reply->type) {
  case MILTER_REPLY_ADD_HEADER:
    EMIT_EVENT (self, add_header, SIGNAL_ADD_HEADER, reply->header.name,
                value);
    break;
  case MILTER_REPLY_INSERT_HEADER:
    EMIT_EVENT (self, insert_header, SIGNAL_INSERT_HEADER,
                reply->header.index, reply->header.name, value);
    break;
  default:
    if (reply->header.value[0] == '\0')
      EMIT_EVENT (self, delete_header, SIGNAL_DELETE_HEADER,
                  reply->header.name, reply->header.index);
    else
      EMIT_EVENT (self, change_header, SIGNAL_CHANGE_HEADER,
                  reply->header.name, reply->header.index, value);
    break;
  }
}

static gsize
strings_size (const gchar *a, const gchar *b)
{
  return (a ? strlen (a) : 0) + (b ? strlen (b) : 0);
}

static void
dispatch_reply (MilterServerContext *self, const MilterReply *reply)
{
  MilterServerContextPrivate *priv = PRIV (self);
  g_autoptr (GError) error = NULL;

  switch (reply->type) {
  case MILTER_REPLY_NEGOTIATE:
    disarm_reply_timer (self);
    handle_negotiate_reply (self, reply);
    break;
  case MILTER_REPLY_CONTINUE:
    if (milter_server_context_has_pending_body (self)) {
      if (!milter_server_context_send_pending_body (self, FALSE, &error))
        return;  /* the failed write has ended the session */
      break;
    }
    emit_verdict (self, SIGNAL_CONTINUE, MILTER_STATUS_CONTINUE);
    break;
  case MILTER_REPLY_ACCEPT:
    emit_verdict (self, SIGNAL_ACCEPT, MILTER_STATUS_ACCEPT);
    break;
  case MILTER_REPLY_REJECT:
    emit_verdict (self, SIGNAL_REJECT, MILTER_STATUS_REJECT);
    break;
  case MILTER_REPLY_TEMPORARY_FAILURE:
    emit_verdict (self, SIGNAL_TEMPORARY_FAILURE,
                  MILTER_STATUS_TEMPORARY_FAILURE);
    break;
  case MILTER_REPLY_DISCARD:
    emit_verdict (self, SIGNAL_DISCARD, MILTER_STATUS_DISCARD);
    break;
  case MILTER_REPLY_SKIP:
    /* The caller asked for end-of-message, not body: skip is ours. */
    if (priv->state == MILTER_SERVER_STATE_BODY &&
        priv->end_of_message_follows) {
      if (!milter_server_context_send_pending_body (self, TRUE, &error))
        return;
      break;
    }
    emit_verdict (self, SIGNAL_SKIP, MILTER_STATUS_SKIP);
    break;
  case MILTER_REPLY_SHUTDOWN:
    priv->peer_closing = TRUE;
    emit_verdict (self, SIGNAL_SHUTDOWN, MILTER_STATUS_TEMPORARY_FAILURE);
    break;
  case MILTER_REPLY_CONNECTION_FAILURE:
    priv->peer_closing = TRUE;
    emit_verdict (self, SIGNAL_CONNECTION_FAILURE,
                  MILTER_STATUS_TEMPORARY_FAILURE);
    break;
  case MILTER_REPLY_REPLY_CODE:
    handle_reply_code (self, reply->reply_code.text);
    break;
  case MILTER_REPLY_PROGRESS:
    arm_reply_timer (self);
    milter_server_context_emit_simple (self, SIGNAL_PROGRESS);
    break;
  case MILTER_REPLY_ADD_HEADER:
  case MILTER_REPLY_INSERT_HEADER:
  case MILTER_REPLY_CHANGE_HEADER:
    arm_reply_timer (self);
    if (hold (self, milter_reply_get_name (reply),
              strings_size (reply->header.name, reply->header.value)))
      emit_header (self, reply);
    break;
  case MILTER_REPLY_ADD_RECIPIENT:
  case MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS:
    arm_reply_timer (self);
    if (hold (self, milter_reply_get_name (reply),
              strings_size (reply->recipient.recipient, reply->recipient.args)))
      EMIT_EVENT (self, add_recipient, SIGNAL_ADD_RECIPIENT,
                  reply->recipient.recipient, reply->recipient.args);
    break;
  case MILTER_REPLY_DELETE_RECIPIENT:
    arm_reply_timer (self);
    if (hold (self, milter_reply_get_name (reply),
              strings_size (reply->recipient.recipient, NULL)))
      EMIT_EVENT (self, delete_recipient, SIGNAL_DELETE_RECIPIENT,
                  reply->recipient.recipient);
    break;
  case MILTER_REPLY_CHANGE_FROM:
    arm_reply_timer (self);
    if (hold (self, milter_reply_get_name (reply),
              strings_size (reply->change_from.from, reply->change_from.args)))
      EMIT_EVENT (self, change_from, SIGNAL_CHANGE_FROM,
                  reply->change_from.from, reply->change_from.args);
    break;
  case MILTER_REPLY_REPLACE_BODY:
    arm_reply_timer (self);
    if (hold (self, milter_reply_get_name (reply), reply->replace_body.size))
      EMIT_EVENT (self, replace_body, SIGNAL_REPLACE_BODY,
                  (gconstpointer) reply->replace_body.data,
                  (guint64) reply->replace_body.size);
    break;
  case MILTER_REPLY_QUARANTINE:
    arm_reply_timer (self);
    if (hold (self, milter_reply_get_name (reply),
              strings_size (reply->quarantine.reason, NULL)))
      EMIT_EVENT (self, quarantine, SIGNAL_QUARANTINE,
                  reply->quarantine.reason);
    break;
  default:
    break;
  }
}

static gboolean
handle_reply (const MilterReply *reply, gpointer user_data, GError **error)
{
  MilterServerContext *self = user_data;
  MilterServerContextPrivate *priv = PRIV (self);
  const gchar *response = milter_reply_get_name (reply);
  const gchar *state = milter_server_state_to_string (priv->state);
  MilterServerReplyVerdict verdict;

  /* Bytes after the end of the session are not looked at. */
  if (priv->ended)
    return TRUE;
  verdict = milter_server_reply_check (priv->state, priv->waiting,
                                       (guint8) reply->type,
                                       priv->has_negotiated ?
                                       &priv->negotiated : NULL);
  switch (verdict) {
  case MILTER_SERVER_REPLY_QUITTED:
    milter_warning (SESSION (self),
                    "[server][reply][quitted][%s][%s] [%s] a reply after quit "
                    "is ignored", state, response, priv->name);
    return TRUE;
  case MILTER_SERVER_REPLY_INVALID_STATE: {
    g_autofree gchar *expected =
      milter_server_reply_expected (priv->state, priv->waiting,
                                    priv->has_negotiated ?
                                    &priv->negotiated : NULL);

    milter_error (SESSION (self),
                  "[server][error][%s][state][invalid][%s] [%s] expected: %s",
                  response, state, priv->name, expected);
    fail_session (self, g_error_new (MILTER_SERVER_CONTEXT_ERROR,
                                     MILTER_SERVER_CONTEXT_ERROR_INVALID_STATE,
                                     "%s: unexpected %s in state %s "
                                     "(expected: %s)", priv->name, response,
                                     state, expected));
    return TRUE;
  }
  case MILTER_SERVER_REPLY_NOT_NEGOTIATED: {
    g_autofree gchar *message =
      g_strdup_printf ("%s in state %s was not negotiated", response, state);

    protocol_error (self, message);
    return TRUE;
  }
  case MILTER_SERVER_REPLY_VALID:
  default:
    break;
  }
  if (priv->write_pending && reply->type != MILTER_REPLY_PROGRESS)
    priv->replied_during_write = TRUE;
  dispatch_reply (self, reply);
  return TRUE;
}

gboolean
milter_server_context_decode (MilterAgent *agent, const guint8 *data,
                              gsize size, GError **error)
{
  MilterServerContext *self = MILTER_SERVER_CONTEXT (agent);

  return milter_reply_decoder_feed (PRIV (self)->decoder, data, size,
                                    handle_reply, self, error);
}

gboolean
milter_server_context_decode_end (MilterAgent *agent, GError **error)
{
  MilterServerContext *self = MILTER_SERVER_CONTEXT (agent);
  MilterServerContextPrivate *priv = PRIV (self);
  const gchar *state = milter_server_state_to_string (priv->state);

  if (!milter_reply_decoder_finish (priv->decoder, error))
    return FALSE;
  if (priv->ended || priv->peer_closing ||
      priv->state == MILTER_SERVER_STATE_QUIT)
    return TRUE;
  milter_error (SESSION (self),
                "[server][error] [%s] the milter closed the connection in "
                "state %s%s", priv->name, state,
                priv->waiting ? " before replying" : "");
  fail_session (self, g_error_new (MILTER_SERVER_CONTEXT_ERROR,
                                   MILTER_SERVER_CONTEXT_ERROR_CLOSED,
                                   "%s: the milter closed the connection in "
                                   "state %s", priv->name, state));
  return TRUE;
}

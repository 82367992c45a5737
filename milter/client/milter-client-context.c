/*
 * milter-client-context - one milter session facing an MTA
 *
 * SYNOPSIS
 *   MilterClientContext *milter_client_context_new (void);
 *   gboolean milter_client_context_reply (context, status, &error);
 *   ... the reply API, see milter-client-context.h.
 *
 * DESCRIPTION
 *   decode() feeds the command decoder; each command is checked against
 *   milter-client-state's rule (which also says how to resynchronise after
 *   a command out of order), dispatched to its signal, and answered
 *   according to the handler's status and the negotiated steps. All
 *   replies are encoded into the agent's reused output buffer and leave
 *   with milter_agent_send(), one write per event. A timer closes a
 *   session whose MTA went silent or stopped reading.
 *
 * DIAGNOSTICS
 *   See milter-client-context.h.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-command-decoder.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-reply-code.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/core/milter-status-reply.h>
#include <milter/core/milter-writer.h>
#include <milter/client/milter-client-context.h>
#include <milter/client/milter-client-context-private.h>
#include <milter/client/milter-client-marshal.h>

G_DEFINE_QUARK (milter-client-context-error-quark, milter_client_context_error)

/* Macro stages in the order the MTA sends them (core's table). */
#define N_STAGES MILTER_MACRO_COMMAND_COUNT

enum {
  SIGNAL_NEGOTIATE,
  SIGNAL_CONNECT,
  SIGNAL_HELO,
  SIGNAL_ENVELOPE_FROM,
  SIGNAL_ENVELOPE_RECIPIENT,
  SIGNAL_DATA,
  SIGNAL_UNKNOWN,
  SIGNAL_HEADER,
  SIGNAL_END_OF_HEADER,
  SIGNAL_BODY,
  SIGNAL_END_OF_MESSAGE,
  SIGNAL_ABORT,
  SIGNAL_CLOSE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];
/* The table of a context whose owner set none. */
static const MilterClientContextEvents no_events;

G_DEFINE_TYPE (MilterClientContext, milter_client_context, MILTER_TYPE_AGENT)

static gint
stage_index (guint8 command)
{
  gint index = milter_macro_command_index (command);

  return index < (gint) N_STAGES ? index : -1;
}

/* Forgets the macros of the stages from first_command to end-of-message,
 * except those of keep_command (the stage of a command that resynchronises
 * the session: its macros came just before it). */
static void
clear_stages (MilterClientContext *self, guint8 first_command,
              guint8 keep_command)
{
  _milter_client_context_clear_macros (self, stage_index (first_command),
                                       (gint) N_STAGES - 2,
                                       stage_index (keep_command));
}

gboolean
_milter_client_context_fail_io (MilterClientContext *self,
                                GError *cause,
                                GError **error)
{
  if (cause)
    g_propagate_error (error, g_error_copy (cause));
  else
    g_set_error_literal (error, MILTER_CLIENT_CONTEXT_ERROR,
                         MILTER_CLIENT_CONTEXT_ERROR_IO, "write failed");
  milter_agent_shutdown (MILTER_AGENT (self));
  return FALSE;
}

/* Writes the output buffer: the group of one event. */
static gboolean
send_group (MilterClientContext *self, gboolean end_of_message, GError **error)
{
  MilterAgent *agent = MILTER_AGENT (self);
  g_autoptr (GError) local_error = NULL;

  if (!milter_agent_send (agent, &local_error)) {
    guint64 session_id = milter_agent_get_session_id (agent);

    if (end_of_message)
      milter_error (session_id,
                    "[client][error][reply-on-end-of-message][flush] %s",
                    local_error->message);
    else
      milter_error (session_id, "[client][error][write] %s",
                    local_error->message);
    return _milter_client_context_fail_io (self, local_error, error);
  }
  _milter_client_context_note_written (self);
  return TRUE;
}

/* Appends one status reply for command to the output buffer. */
static void
encode_status (MilterClientContext *self,
               MilterCommandType command,
               MilterStatus status)
{
  milter_reply_encode_status (self->output, status, command,
                              self->option.steps, self->reply_code);
  g_clear_pointer (&self->reply_code, g_free);
}

static gboolean
send_negotiate_reply (MilterClientContext *self, GError **error)
{
  GByteArray *buffer = self->output;
  MilterReplyMacroList lists[MILTER_MACRO_STAGE_COUNT];
  gchar *names[MILTER_MACRO_STAGE_COUNT] = { NULL };
  gsize n_lists = 0;
  MilterOption wants = self->wants;
  gboolean send_lists;

  send_lists = self->macros_requests &&
               !milter_macros_requests_is_empty (self->macros_requests) &&
               self->mta_option.version >= 6 &&
               (self->mta_option.actions & MILTER_ACTION_SET_SYMBOL_LIST);
  if (send_lists)
    wants.actions |= MILTER_ACTION_SET_SYMBOL_LIST;
  if (!milter_option_negotiate (&self->mta_option, &wants, &self->option,
                                error)) {
    /* names are not allocated yet on this path. */
    g_prefix_error (error, "negotiation failed: ");
    milter_agent_shutdown (MILTER_AGENT (self));
    return FALSE;
  }
  self->faked_no_reply = wants.steps & MILTER_STEP_NO_REPLY_MASK &
                         ~self->option.steps;
  if (send_lists && self->option.version >= 6) {
    for (guint stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++) {
      names[stage] = milter_macros_requests_to_string (self->macros_requests,
                                                        stage);
      if (names[stage][0] == '\0')
        continue;
      lists[n_lists].stage = stage;
      lists[n_lists].names = names[stage];
      n_lists++;
    }
  }
  milter_reply_encode_negotiate (buffer, self->option.version,
                                 self->option.actions, self->option.steps,
                                 lists, n_lists);
  for (guint stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++)
    g_free (names[stage]);
  return send_group (self, FALSE, error);
}

/* Whether the milter's code answers command: not for a no-reply step it
 * asked for, whether the MTA granted it or the library fakes it. */
static gboolean
milter_replies (MilterClientContext *self, MilterCommandType command)
{
  return milter_client_state_reply_expected (command,
                                             self->option.steps |
                                             self->faked_no_reply);
}

/* The end of an event: reply (when the MTA waits for one) and tidy up. */
static gboolean
complete_event (MilterClientContext *self,
                MilterCommandType command,
                MilterStatus status,
                GError **error)
{
  gboolean success = TRUE;

  self->reply_pending = FALSE;
  self->current = 0;

  if (command == MILTER_COMMAND_NEGOTIATE) {
    if (status == MILTER_STATUS_REJECT ||
        status == MILTER_STATUS_TEMPORARY_FAILURE ||
        status == MILTER_STATUS_DISCARD) {
      g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                   MILTER_CLIENT_CONTEXT_ERROR_NEGOTIATION,
                   "the milter refused the negotiation (%s)",
                   milter_status_to_string (status));
      milter_agent_shutdown (MILTER_AGENT (self));
      return FALSE;
    }
    return send_negotiate_reply (self, error);
  }

  if (milter_client_state_reply_expected (command, self->option.steps)) {
    /* A no-reply wish the MTA lacks: answer for the milter, as libmilter
     * does, whatever its code returned. */
    if (!milter_replies (self, command))
      status = MILTER_STATUS_CONTINUE;
    encode_status (self, command, status);
    success = send_group (self, command == MILTER_COMMAND_END_OF_MESSAGE,
                          error);
  } else {
    g_clear_pointer (&self->reply_code, g_free);
  }
  if (command == MILTER_COMMAND_END_OF_MESSAGE) {
    self->in_end_of_message = FALSE;
    clear_stages (self, 'M', 0);
  }
  return success;
}

/* Forgets the event in progress and whatever it had queued: after abort,
 * quit-new-connection and resynchronisation. A reply the milter's code
 * still owes for it is dropped when it comes (see reply_to_event()). */
static void
forget_event (MilterClientContext *self)
{
  self->reply_pending = FALSE;
  self->in_end_of_message = FALSE;
  self->current = 0;
  g_clear_pointer (&self->reply_code, g_free);
  g_byte_array_set_size (self->output,
                         0);
}

/* The message is over without end-of-message: tell the milter's code.
 * keep_command: the stage whose macros belong to the command that comes
 * next (0 for none). */
static void
abort_message (MilterClientContext *self, guint8 keep_command)
{
  forget_event (self);
  if (self->events->abort)
    self->events->abort (self, self->events_data);
  g_signal_emit (self, signals[SIGNAL_ABORT], 0);
  clear_stages (self, 'M', keep_command);
}

/* The SMTP connection is over (quit or quit-new-connection): a message
 * in progress (in state before) is aborted first, then the milter's code
 * hears "close". */
static void
close_connection (MilterClientContext *self, MilterClientState before)
{
  if (milter_client_state_in_message (before))
    abort_message (self, 0);
  forget_event (self);
  if (self->events->close)
    self->events->close (self, self->events_data);
  g_signal_emit (self, signals[SIGNAL_CLOSE], 0);
  _milter_client_context_clear_macros (self, 0, (gint) N_STAGES - 1, -1);
}

/* Applies the command-order rule. FALSE with error set: the session
 * cannot go on. *handled: the command was dropped. */
static gboolean
follow_order (MilterClientContext *self,
              const MilterCommand *command,
              gboolean *handled,
              GError **error)
{
  MilterClientState next = self->state;
  MilterClientTransition transition;

  *handled = FALSE;
  transition = milter_client_state_next (self->state, command->type, &next);
  switch (transition) {
  case MILTER_CLIENT_TRANSITION_ACCEPT:
    break;
  case MILTER_CLIENT_TRANSITION_RESYNC:
  case MILTER_CLIENT_TRANSITION_IGNORE:
    /* MTAs differ and some lose track; libmilter aborts the message and
     * starts again after helo rather than dropping the connection. */
    milter_warning (milter_agent_get_session_id (MILTER_AGENT (self)),
                    "[client][order][%s] %s in state %s",
                    transition == MILTER_CLIENT_TRANSITION_RESYNC ?
                    "resync" : "ignore",
                    milter_command_type_to_string (command->type),
                    milter_client_state_to_string (self->state));
    if (milter_client_state_in_message (self->state))
      abort_message (self, (guint8) command->type);
    *handled = transition == MILTER_CLIENT_TRANSITION_IGNORE;
    break;
  case MILTER_CLIENT_TRANSITION_INVALID:
  default:
    g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                 MILTER_CLIENT_CONTEXT_ERROR_INVALID_STATE,
                 "unexpected %s in state %s",
                 milter_command_type_to_string (command->type),
                 milter_client_state_to_string (self->state));
    return FALSE;
  }
  self->state = next;
  return TRUE;
}

/* Commands that are not events; *handled says whether command was one.
 * before: the state before command. */
static void
dispatch_control (MilterClientContext *self,
                  const MilterCommand *command,
                  MilterClientState before,
                  gboolean *handled)
{
  *handled = TRUE;
  switch (command->type) {
  case MILTER_COMMAND_DEFINE_MACRO:
    _milter_client_context_define_macros (self, command);
    break;
  case MILTER_COMMAND_ABORT:
    abort_message (self, 0);
    break;
  case MILTER_COMMAND_QUIT:
    close_connection (self, before);
    milter_agent_shutdown (MILTER_AGENT (self));
    break;
  case MILTER_COMMAND_QUIT_NEW_CONNECTION:
    close_connection (self, before);
    break;
  default:
    *handled = FALSE;
    break;
  }
}

/* The owner's table (milter_client_context_set_events()) takes an event
 * it has a function for; the signal the others. FALSE for a command that
 * is no event. */
#define EVENT(field, id, ...) \
  G_STMT_START { \
    if (self->events->field) \
      *status = self->events->field (self, __VA_ARGS__, self->events_data); \
    else if (g_signal_has_handler_pending (self, signals[id], 0, FALSE)) \
      g_signal_emit (self, signals[id], 0, __VA_ARGS__, status); \
  } G_STMT_END
#define EVENT0(field, id) \
  G_STMT_START { \
    if (self->events->field) \
      *status = self->events->field (self, self->events_data); \
    else if (g_signal_has_handler_pending (self, signals[id], 0, FALSE)) \
      g_signal_emit (self, signals[id], 0, status); \
  } G_STMT_END

static gboolean
emit_event (MilterClientContext *self,
            const MilterCommand *command,
            MilterStatus *status)
{
  switch (command->type) {
  case MILTER_COMMAND_NEGOTIATE:
    milter_option_init (&self->mta_option, command->negotiate.version,
                        command->negotiate.actions, command->negotiate.steps);
    /* Like libmilter's xxfi_flags: the milter asks for the actions it
     * declares in its negotiate handler, nothing by default, so that a
     * manager merging its children does not ask the MTA for everything. */
    milter_option_init (&self->wants, MILTER_PROTOCOL_VERSION_MAX,
                        MILTER_ACTION_NONE, MILTER_STEP_NONE);
    if (self->events->negotiate ||
        g_signal_has_handler_pending (self, signals[SIGNAL_NEGOTIATE], 0,
                                      FALSE)) {
      if (!self->macros_requests)
        self->macros_requests = milter_macros_requests_new ();
      EVENT (negotiate, SIGNAL_NEGOTIATE, &self->mta_option, &self->wants,
             self->macros_requests);
    }
    return TRUE;
  case MILTER_COMMAND_CONNECT:
    EVENT (connect, SIGNAL_CONNECT, command->connect.host,
           (gint) command->connect.family, (guint) command->connect.port,
           command->connect.address);
    return TRUE;
  case MILTER_COMMAND_HELO:
    EVENT (helo, SIGNAL_HELO, command->helo.fqdn);
    return TRUE;
  case MILTER_COMMAND_ENVELOPE_FROM:
    clear_stages (self, 'R', 0);
    EVENT (envelope_from, SIGNAL_ENVELOPE_FROM, command->envelope.argv[0],
           (const gchar *const *) command->envelope.argv + 1);
    return TRUE;
  case MILTER_COMMAND_ENVELOPE_RECIPIENT:
    EVENT (envelope_recipient, SIGNAL_ENVELOPE_RECIPIENT,
           command->envelope.argv[0],
           (const gchar *const *) command->envelope.argv + 1);
    return TRUE;
  case MILTER_COMMAND_DATA:
    EVENT0 (data, SIGNAL_DATA);
    return TRUE;
  case MILTER_COMMAND_UNKNOWN:
    EVENT (unknown, SIGNAL_UNKNOWN, command->unknown.command);
    return TRUE;
  case MILTER_COMMAND_HEADER:
    EVENT (header, SIGNAL_HEADER, command->header.name, command->header.value);
    return TRUE;
  case MILTER_COMMAND_END_OF_HEADER:
    EVENT0 (end_of_header, SIGNAL_END_OF_HEADER);
    return TRUE;
  case MILTER_COMMAND_BODY:
    EVENT (body, SIGNAL_BODY, (gconstpointer) command->body.data,
           (guint64) command->body.size);
    return TRUE;
  case MILTER_COMMAND_END_OF_MESSAGE:
    self->in_end_of_message = TRUE;
    EVENT (end_of_message, SIGNAL_END_OF_MESSAGE,
           (gconstpointer) command->body.data, (guint64) command->body.size);
    return TRUE;
  default:
    return FALSE;
  }
}

#undef EVENT
#undef EVENT0

static gboolean
dispatch (const MilterCommand *command, gpointer user_data, GError **error)
{
  MilterClientContext *self = user_data;
  MilterClientState before = self->state;
  MilterStatus status = MILTER_STATUS_DEFAULT;
  gboolean handled;

  if (self->reply_pending &&
      command->type != MILTER_COMMAND_DEFINE_MACRO &&
      command->type != MILTER_COMMAND_ABORT &&
      command->type != MILTER_COMMAND_QUIT &&
      command->type != MILTER_COMMAND_QUIT_NEW_CONNECTION) {
    g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                 MILTER_CLIENT_CONTEXT_ERROR_INVALID_STATE,
                 "%s while the reply to %s is pending",
                 milter_command_type_to_string (command->type),
                 milter_command_type_to_string (self->current));
    return FALSE;
  }
  if (!follow_order (self, command, &handled, error))
    return FALSE;
  if (handled)
    return TRUE;
  dispatch_control (self, command, before, &handled);
  if (handled)
    return TRUE;

  self->current = command->type;
  self->event_id++;
  if (!emit_event (self, command, &status)) {
    g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                 MILTER_CLIENT_CONTEXT_ERROR_INVALID_STATE,
                 "unhandled command %s",
                 milter_command_type_to_string (command->type));
    return FALSE;
  }
  /* The agent may have been shut down by a handler (e.g. a write error
   * while sending progress): nothing more to say then. */
  if (milter_agent_is_shut_down (MILTER_AGENT (self)))
    return TRUE;

  if (status == MILTER_STATUS_NOT_CHANGE &&
      milter_replies (self, command->type)) {
    self->reply_pending = TRUE;
    return TRUE;
  }
  if (!complete_event (self, command->type, status, error)) {
    /* A write failure is already logged; the session is over. */
    if ((*error)->domain == MILTER_WRITER_ERROR ||
        g_error_matches (*error, MILTER_CLIENT_CONTEXT_ERROR,
                         MILTER_CLIENT_CONTEXT_ERROR_IO)) {
      g_clear_error (error);
      return TRUE;
    }
    return FALSE;
  }
  return TRUE;
}

static gboolean
milter_client_context_decode (MilterAgent *agent,
                              const guint8 *data,
                              gsize size,
                              GError **error)
{
  /* The agent holds a reference around decode(). */
  MilterClientContext *self = MILTER_CLIENT_CONTEXT (agent);

  _milter_client_context_note_input (self);
  return milter_command_decoder_feed (self->decoder, data, size, dispatch,
                                      self, error);
}

static gboolean
milter_client_context_decode_end (MilterAgent *agent, GError **error)
{
  MilterClientContext *self = MILTER_CLIENT_CONTEXT (agent);

  return milter_command_decoder_finish (self->decoder, error);
}

static void
milter_client_context_finished (MilterAgent *agent)
{
  MilterClientContext *self = MILTER_CLIENT_CONTEXT (agent);

  if (self->events->finished)
    self->events->finished (self, self->events_data);
  _milter_client_context_stop_timer (self);
  if (self->finished_func)
    self->finished_func (self, self->finished_data);
}

void
_milter_client_context_set_finished_func (MilterClientContext *context,
                                          void (*func) (MilterClientContext *,
                                                        gpointer),
                                          gpointer user_data)
{
  context->finished_func = func;
  context->finished_data = user_data;
}

gboolean
_milter_client_context_reuse (MilterClientContext *self, gint fd)
{
  if (self->timer_id || !milter_agent_reuse (MILTER_AGENT (self), fd))
    return FALSE;
  milter_command_decoder_reset (self->decoder);
  self->state = MILTER_CLIENT_STATE_START;
  memset (&self->mta_option, 0, sizeof (self->mta_option));
  memset (&self->option, 0, sizeof (self->option));
  memset (&self->wants, 0, sizeof (self->wants));
  self->faked_no_reply = 0;
  g_clear_pointer (&self->macros_requests, milter_macros_requests_free);
  /* The stages' buffers stay for the next session's macros. */
  _milter_client_context_clear_macros (self, 0,
                                       MILTER_CLIENT_CONTEXT_N_STAGES - 1, -1);
  _milter_client_context_trim_macros (self);
  self->current = 0;
  self->event_id = 0;
  self->reply_pending = FALSE;
  self->in_end_of_message = FALSE;
  g_clear_pointer (&self->reply_code, g_free);
  self->timeout = MILTER_CLIENT_CONTEXT_DEFAULT_TIMEOUT;
  self->last_activity = 0;
  self->finished_func = NULL;
  self->finished_data = NULL;
  milter_client_context_set_events (self, NULL, NULL);
  return TRUE;
}

static void
milter_client_context_dispose (GObject *object)
{
  MilterClientContext *self = MILTER_CLIENT_CONTEXT (object);

  _milter_client_context_stop_timer (self);
  G_OBJECT_CLASS (milter_client_context_parent_class)->dispose (object);
  /* When the signal handlers go: the owner's data may go next. */
  milter_client_context_set_events (self, NULL, NULL);
}

static void
milter_client_context_finalize (GObject *object)
{
  MilterClientContext *self = MILTER_CLIENT_CONTEXT (object);

  g_clear_pointer (&self->decoder, milter_command_decoder_free);
  g_clear_pointer (&self->macros_requests, milter_macros_requests_free);
  _milter_client_context_free_macros (self);
  g_clear_pointer (&self->reply_code, g_free);

  G_OBJECT_CLASS (milter_client_context_parent_class)->finalize (object);
}

/* The first handler that decides (anything but DEFAULT) wins. */
static gboolean
status_accumulator (GSignalInvocationHint *hint,
                    GValue *return_accu,
                    const GValue *handler_return,
                    gpointer data)
{
  MilterStatus status = g_value_get_enum (handler_return);

  (void) hint;
  (void) data;
  g_value_set_enum (return_accu, status);
  return status == MILTER_STATUS_DEFAULT;
}

/* Typed marshallers (milter-client-marshal.list): the generic one went
 * through libffi and cost ~3k instructions per emission. */
static guint
new_status_signal (const gchar *name, GSignalCMarshaller marshaller,
                   GSignalCVaMarshaller va_marshaller, guint n_params, ...)
{
  GType params[4];
  va_list args;
  guint signal_id;

  va_start (args, n_params);
  for (guint i = 0; i < n_params; i++)
    params[i] = va_arg (args, GType);
  va_end (args);
  signal_id = g_signal_newv (name, MILTER_TYPE_CLIENT_CONTEXT,
                             G_SIGNAL_RUN_LAST, NULL, status_accumulator,
                             NULL, marshaller, MILTER_TYPE_STATUS, n_params,
                             params);
  g_signal_set_va_marshaller (signal_id, MILTER_TYPE_CLIENT_CONTEXT,
                              va_marshaller);
  return signal_id;
}

#define MARSHAL(signature) \
  _milter_client_marshal_ENUM__##signature, \
  _milter_client_marshal_ENUM__##signature##v

static void
milter_client_context_class_init (MilterClientContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MilterAgentClass *agent_class = MILTER_AGENT_CLASS (klass);
  const GType string = G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE;
  const GType strv = G_TYPE_STRV | G_SIGNAL_TYPE_STATIC_SCOPE;

  object_class->dispose = milter_client_context_dispose;
  object_class->finalize = milter_client_context_finalize;
  agent_class->decode = milter_client_context_decode;
  agent_class->decode_end = milter_client_context_decode_end;
  agent_class->finished = milter_client_context_finished;

  signals[SIGNAL_NEGOTIATE] =
    new_status_signal ("negotiate", MARSHAL (POINTER_POINTER_POINTER), 3,
                       G_TYPE_POINTER, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[SIGNAL_CONNECT] =
    new_status_signal ("connect", MARSHAL (STRING_INT_UINT_STRING), 4,
                       string, G_TYPE_INT, G_TYPE_UINT, string);
  signals[SIGNAL_HELO] =
    new_status_signal ("helo", MARSHAL (STRING), 1, string);
  signals[SIGNAL_ENVELOPE_FROM] =
    new_status_signal ("envelope-from", MARSHAL (STRING_BOXED), 2,
                       string, strv);
  signals[SIGNAL_ENVELOPE_RECIPIENT] =
    new_status_signal ("envelope-recipient", MARSHAL (STRING_BOXED), 2,
                       string, strv);
  signals[SIGNAL_DATA] = new_status_signal ("data", MARSHAL (VOID), 0);
  signals[SIGNAL_UNKNOWN] =
    new_status_signal ("unknown", MARSHAL (STRING), 1, string);
  signals[SIGNAL_HEADER] =
    new_status_signal ("header", MARSHAL (STRING_STRING), 2, string, string);
  signals[SIGNAL_END_OF_HEADER] =
    new_status_signal ("end-of-header", MARSHAL (VOID), 0);
  signals[SIGNAL_BODY] =
    new_status_signal ("body", MARSHAL (POINTER_UINT64), 2,
                       G_TYPE_POINTER, G_TYPE_UINT64);
  signals[SIGNAL_END_OF_MESSAGE] =
    new_status_signal ("end-of-message", MARSHAL (POINTER_UINT64), 2,
                       G_TYPE_POINTER, G_TYPE_UINT64);
  signals[SIGNAL_ABORT] =
    g_signal_new ("abort", MILTER_TYPE_CLIENT_CONTEXT, G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CLOSE] =
    g_signal_new ("close", MILTER_TYPE_CLIENT_CONTEXT, G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
milter_client_context_init (MilterClientContext *self)
{
  self->decoder = milter_command_decoder_new (0);
  /* The agent's, made in its init; looked up once, not per reply. */
  self->output = milter_agent_get_output_buffer (MILTER_AGENT (self));
  self->state = MILTER_CLIENT_STATE_START;
  self->timeout = MILTER_CLIENT_CONTEXT_DEFAULT_TIMEOUT;
  self->events = &no_events;
  /* An MTA that sends without reading our replies is not read further. */
  milter_agent_set_max_pending_size (MILTER_AGENT (self),
                                     MILTER_AGENT_DEFAULT_MAX_PENDING_SIZE);
}

void
milter_client_context_set_events (MilterClientContext *context,
                                  const MilterClientContextEvents *events,
                                  gpointer user_data)
{
  g_return_if_fail (MILTER_IS_CLIENT_CONTEXT (context));
  context->events = events ? events : &no_events;
  context->events_data = events ? user_data : NULL;
}

MilterClientContext *
milter_client_context_new (void)
{
  return g_object_new (MILTER_TYPE_CLIENT_CONTEXT, NULL);
}

MilterClientState
milter_client_context_get_state (MilterClientContext *context)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context),
                        MILTER_CLIENT_STATE_START);
  return context->state;
}

MilterCommandType
milter_client_context_get_current_event (MilterClientContext *context)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), 0);
  return context->current;
}

guint64
milter_client_context_get_event_id (MilterClientContext *context)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), 0);
  return context->current ? context->event_id : 0;
}

const MilterOption *
milter_client_context_get_mta_option (MilterClientContext *context)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), NULL);
  return &context->mta_option;
}

const MilterOption *
milter_client_context_get_option (MilterClientContext *context)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), NULL);
  return &context->option;
}

void
milter_client_context_set_packet_buffer_size (MilterClientContext *context,
                                              gsize size)
{
  g_return_if_fail (MILTER_IS_CLIENT_CONTEXT (context));
  context->packet_buffer_size = size;
}

gboolean
milter_client_context_reply (MilterClientContext *context,
                             MilterStatus status,
                             GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);

  if (!context->reply_pending) {
    g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                 MILTER_CLIENT_CONTEXT_ERROR_NO_PENDING_REPLY,
                 "no event is waiting for a reply");
    return FALSE;
  }
  if (status == MILTER_STATUS_NOT_CHANGE)
    status = MILTER_STATUS_DEFAULT;
  return complete_event (context, context->current, status, error);
}

gboolean
milter_client_context_reply_to_event (MilterClientContext *context,
                                      guint64 event_id,
                                      MilterStatus status,
                                      GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);

  if (!context->reply_pending || event_id != context->event_id) {
    /* The event was aborted (or the connection closed) while the milter's
     * code worked on it: answering now would answer another event. */
    milter_warning (milter_agent_get_session_id (MILTER_AGENT (context)),
                    "[client][reply][stale] %s for event #%" G_GUINT64_FORMAT
                    " dropped: %s", milter_status_to_string (status),
                    event_id,
                    context->reply_pending ?
                    "another event waits for its reply" :
                    "no event waits for a reply");
    g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                 MILTER_CLIENT_CONTEXT_ERROR_STALE_REPLY,
                 "event #%" G_GUINT64_FORMAT " is no longer waiting for a "
                 "reply", event_id);
    return FALSE;
  }
  return milter_client_context_reply (context, status, error);
}

gboolean
milter_client_context_set_multiline_reply (MilterClientContext *context,
                                           guint code,
                                           const gchar *extended_code,
                                           const gchar *const *lines,
                                           GError **error)
{
  gchar *text;

  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);

  text = milter_reply_code_format (code, extended_code, lines, error);
  if (!text)
    return FALSE;
  g_free (context->reply_code);
  context->reply_code = text;
  return TRUE;
}

gboolean
milter_client_context_set_reply (MilterClientContext *context,
                                 guint code,
                                 const gchar *extended_code,
                                 const gchar *message,
                                 GError **error)
{
  const gchar *lines[] = { message, NULL };

  return milter_client_context_set_multiline_reply (context, code,
                                                    extended_code,
                                                    message ? lines : NULL,
                                                    error);
}

gboolean
milter_client_context_progress (MilterClientContext *context, GError **error)
{
  /* A progress packet is fixed: length 1, command 'p'. It bypasses the
   * output buffer so that queued modifications still leave together with
   * the final reply. */
  static const guint8 packet[] = { 0, 0, 0, 1, MILTER_REPLY_PROGRESS };
  MilterAgent *agent = MILTER_AGENT (context);
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);

  if (!context->current) {
    g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                 MILTER_CLIENT_CONTEXT_ERROR_INVALID_STATE,
                 "progress outside an event");
    return FALSE;
  }
  if (!milter_agent_write (agent, packet, sizeof (packet), &local_error) ||
      !milter_agent_flush (agent, &local_error)) {
    milter_error (milter_agent_get_session_id (agent),
                  "[client][error][write] %s", local_error->message);
    return _milter_client_context_fail_io (context, local_error, error);
  }
  _milter_client_context_note_written (context);
  return TRUE;
}

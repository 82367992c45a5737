/*
 * milter-server-context-events - the commands the MTA side sends to a milter
 *
 * SYNOPSIS
 *   gboolean milter_server_context_negotiate (context, option, &error);
 *   void milter_server_context_set_macros (context, command, names, values, n);
 *   gboolean milter_server_context_connect (context, host, family, port,
 *                                           address, &error);
 *   gboolean milter_server_context_helo (context, fqdn, &error);
 *   gboolean milter_server_context_envelope_from (context, from, args, &error);
 *   gboolean milter_server_context_envelope_recipient (context, to, args, &error);
 *   gboolean milter_server_context_data (context, &error);
 *   gboolean milter_server_context_unknown (context, command, &error);
 *   gboolean milter_server_context_header (context, name, value, &error);
 *   gboolean milter_server_context_end_of_header (context, &error);
 *   gboolean milter_server_context_body (context, data, size, &error);
 *   gboolean milter_server_context_end_of_message (context, data, size, &error);
 *   gboolean milter_server_context_abort (context, &error);
 *   gboolean milter_server_context_quit (context, &error);
 *   gboolean milter_server_context_quit_new_connection (context, &error);
 *
 * DESCRIPTION
 *   Part of MilterServerContext (see milter-server-context.h): each event
 *   method checks that it may send now, skips an event the milter switched
 *   off, writes the event's define-macro packet (only the macros the
 *   milter asked for, milter_server_macro_is_wanted()) and the command in
 *   one write, then waits for the reply unless the milter said it sends
 *   none. A body longer than one chunk is kept and sent a chunk per
 *   "continue"; so is an end-of-message chunk over 65535 bytes, which goes
 *   as body chunks followed by an empty end-of-message.
 *
 * DIAGNOSTICS
 *   Calls fail with MILTER_SERVER_CONTEXT_ERROR (BUSY, NOT_CONNECTED,
 *   NOT_NEGOTIATED, INVALID_ARGUMENT; UNSUPPORTED for quit-new-connection
 *   below protocol version 6); a failed write ends the session and
 *   is logged ([server][error][write]) by milter-server-context.c.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-writer.h>
#include <milter/server/milter-server-context.h>
#include <milter/server/milter-server-context-private.h>
#include <milter/server/milter-server-macro-filter.h>
#include <milter/server/milter-server-reply-values.h>

/* The protocol version that brought quit-new-connection ('K'). */
#define QUIT_NEW_CONNECTION_VERSION 6

/* The body bytes only, not whether an end-of-message follows them. */
static void
clear_body_bytes (MilterServerContextPrivate *priv)
{
  g_clear_pointer (&priv->body, g_bytes_unref);
  priv->body_offset = 0;
}

/* Also forgets an end-of-message that was to follow the body. */
void
milter_server_context_drop_body (MilterServerContext *self)
{
  MilterServerContextPrivate *priv = PRIV (self);

  clear_body_bytes (priv);
  priv->end_of_message_follows = FALSE;
}

/* ---- sending --------------------------------------------------------- */

static gboolean
check_can_send (MilterServerContext *self, gboolean need_negotiated,
                GError **error)
{
  MilterServerContextPrivate *priv = PRIV (self);

  if (!priv->connected || priv->ended ||
      (priv->state == MILTER_SERVER_STATE_QUIT && !priv->new_connection)) {
    g_set_error (error, MILTER_SERVER_CONTEXT_ERROR,
                 MILTER_SERVER_CONTEXT_ERROR_NOT_CONNECTED,
                 "%s: not connected", priv->name);
    return FALSE;
  }
  if (priv->waiting || priv->idle_id) {
    g_set_error (error, MILTER_SERVER_CONTEXT_ERROR,
                 MILTER_SERVER_CONTEXT_ERROR_BUSY,
                 "%s: still waiting for the reply to %s", priv->name,
                 milter_server_state_to_string (priv->state));
    return FALSE;
  }
  if (need_negotiated && !priv->has_negotiated) {
    g_set_error (error, MILTER_SERVER_CONTEXT_ERROR,
                 MILTER_SERVER_CONTEXT_ERROR_NOT_NEGOTIATED,
                 "%s: not negotiated", priv->name);
    return FALSE;
  }
  return TRUE;
}

static gboolean
idle_continue_cb (gpointer user_data)
{
  MilterServerContext *self = user_data;
  MilterServerContextPrivate *priv = PRIV (self);

  priv->idle_id = 0;
  if (priv->ended)
    return G_SOURCE_REMOVE;
  g_object_ref (self);
  priv->status = MILTER_STATUS_CONTINUE;
  milter_server_context_emit_simple (self, SIGNAL_CONTINUE);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* An event the milter does not answer: "continue" from the loop, so a
 * handler that sends the next event never recurses. */
static void
schedule_continue (MilterServerContext *self)
{
  MilterServerContextPrivate *priv = PRIV (self);
  MilterEventLoop *loop = milter_agent_get_event_loop (MILTER_AGENT (self));

  if (!priv->idle_id)
    priv->idle_id = milter_event_loop_add_idle (loop, idle_continue_cb, self,
                                                NULL);
}

typedef struct {
  MilterServerState state;
  guint8 command;
  MilterStepFlags no_event;
  MilterStepFlags no_reply;
  guint32 min_version;
} EventInfo;

static const EventInfo events[] = {
  { MILTER_SERVER_STATE_CONNECT, 'C', MILTER_STEP_NO_CONNECT,
    MILTER_STEP_NO_REPLY_CONNECT, 2 },
  { MILTER_SERVER_STATE_HELO, 'H', MILTER_STEP_NO_HELO,
    MILTER_STEP_NO_REPLY_HELO, 2 },
  { MILTER_SERVER_STATE_ENVELOPE_FROM, 'M', MILTER_STEP_NO_ENVELOPE_FROM,
    MILTER_STEP_NO_REPLY_ENVELOPE_FROM, 2 },
  { MILTER_SERVER_STATE_ENVELOPE_RECIPIENT, 'R',
    MILTER_STEP_NO_ENVELOPE_RECIPIENT,
    MILTER_STEP_NO_REPLY_ENVELOPE_RECIPIENT, 2 },
  /* data is a version-4 command, unknown a version-3 one. */
  { MILTER_SERVER_STATE_DATA, 'T', MILTER_STEP_NO_DATA,
    MILTER_STEP_NO_REPLY_DATA, 4 },
  { MILTER_SERVER_STATE_UNKNOWN, 'U', MILTER_STEP_NO_UNKNOWN,
    MILTER_STEP_NO_REPLY_UNKNOWN, 3 },
  { MILTER_SERVER_STATE_HEADER, 'L', MILTER_STEP_NO_HEADERS,
    MILTER_STEP_NO_REPLY_HEADER, 2 },
  { MILTER_SERVER_STATE_END_OF_HEADER, 'N', MILTER_STEP_NO_END_OF_HEADER,
    MILTER_STEP_NO_REPLY_END_OF_HEADER, 2 },
  { MILTER_SERVER_STATE_BODY, 'B', MILTER_STEP_NO_BODY,
    MILTER_STEP_NO_REPLY_BODY, 2 },
  { MILTER_SERVER_STATE_END_OF_MESSAGE, 'E', 0, 0, 2 },
};

static const EventInfo *
event_info (MilterServerState state)
{
  for (gsize i = 0; i < G_N_ELEMENTS (events); i++) {
    if (events[i].state == state)
      return &events[i];
  }
  g_return_val_if_reached (NULL);
}

static gboolean
event_is_off (MilterServerContext *self, const EventInfo *info)
{
  MilterServerContextPrivate *priv = PRIV (self);

  return (priv->negotiated.steps & info->no_event) ||
    priv->negotiated.version < info->min_version;
}

static gboolean
event_has_no_reply (MilterServerContext *self, const EventInfo *info)
{
  return (PRIV (self)->negotiated.steps & info->no_reply) != 0;
}

static gint
macro_index (guint8 command)
{
  return milter_macro_command_index (command);
}

void
milter_server_context_set_macros (MilterServerContext *context,
                                  guint8 command,
                                  const gchar *const *names,
                                  const gchar *const *values,
                                  guint n)
{
  MilterServerContextPrivate *priv;
  gint index = macro_index (command);
  gsize size;
  gchar *block;
  gchar **vectors;
  gchar *strings;

  g_return_if_fail (MILTER_IS_SERVER_CONTEXT (context));
  g_return_if_fail (index >= 0);
  priv = PRIV (context);
  /* One block per command: both vectors, then the strings. */
  g_clear_pointer (&priv->macro_names[index], g_free);
  priv->macro_values[index] = NULL;
  if (n == 0)
    return;
  size = 2 * (n + 1) * sizeof (gchar *);
  for (guint i = 0; i < n; i++)
    size += strlen (names[i]) + 1 + (values[i] ? strlen (values[i]) : 0) + 1;
  block = g_malloc (size);
  vectors = (gchar **) block;
  strings = block + 2 * (n + 1) * sizeof (gchar *);
  for (guint i = 0; i < n; i++) {
    vectors[i] = strings;
    strings = g_stpcpy (strings, names[i]) + 1;
    vectors[n + 1 + i] = strings;
    strings = g_stpcpy (strings, values[i] ? values[i] : "") + 1;
  }
  vectors[n] = NULL;
  vectors[2 * n + 1] = NULL;
  priv->macro_names[index] = vectors;
  priv->macro_values[index] = vectors + n + 1;
}

guint
milter_server_context_get_macros (MilterServerContext *context,
                                  guint8 command,
                                  const gchar *const **names,
                                  const gchar *const **values)
{
  MilterServerContextPrivate *priv;
  gint index = macro_index (command);

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), 0);
  priv = PRIV (context);
  *names = NULL;
  *values = NULL;
  if (index < 0 || !priv->macro_names[index])
    return 0;
  *names = (const gchar *const *) priv->macro_names[index];
  *values = (const gchar *const *) priv->macro_values[index];
  return g_strv_length (priv->macro_names[index]);
}

/* The define-macro packet for command, if macros were set for it: all of
 * them, or those the milter's protocol-6 list for the stage names. */
static void
append_macros (MilterServerContext *self, guint8 command)
{
  MilterServerContextPrivate *priv = PRIV (self);
  const MilterOption *negotiated =
    priv->has_negotiated ? &priv->negotiated : NULL;
  gint index = macro_index (command);
  GStrv names;
  GStrv values;
  guint n;
  guint wanted;

  if (index < 0 || !priv->macro_names[index])
    return;
  names = priv->macro_names[index];
  values = priv->macro_values[index];
  n = g_strv_length (names);
  for (wanted = 0; wanted < n; wanted++) {
    if (!milter_server_macro_is_wanted (negotiated, priv->macros_requests,
                                        command, names[wanted]))
      break;
  }
  /* Usually every macro is wanted: sent from the stored vectors. */
  if (wanted < n) {
    g_ptr_array_set_size (priv->wanted_names, 0);
    g_ptr_array_set_size (priv->wanted_values, 0);
    for (guint i = 0; i < n; i++) {
      if (i < wanted ||
          (i > wanted &&
           milter_server_macro_is_wanted (negotiated, priv->macros_requests,
                                          command, names[i]))) {
        g_ptr_array_add (priv->wanted_names, names[i]);
        g_ptr_array_add (priv->wanted_values, values[i]);
      }
    }
    /* Nothing asked for at this stage: no packet at all. */
    if (priv->wanted_names->len == 0)
      return;
    names = (GStrv) priv->wanted_names->pdata;
    values = (GStrv) priv->wanted_values->pdata;
    n = priv->wanted_names->len;
  }
  milter_command_encode_define_macro (
    milter_agent_get_output_buffer (MILTER_AGENT (self)), command,
    (const gchar *const *) names, (const gchar *const *) values, n);
}

/* Writes the output buffer; a failure has ended the session already. */
static gboolean
send_output (MilterServerContext *self, GError **error)
{
  MilterServerContextPrivate *priv = PRIV (self);
  MilterAgent *agent = MILTER_AGENT (self);
  MilterWriter *writer;

  if (!milter_agent_send (agent, error))
    return FALSE;
  writer = milter_agent_get_writer (agent);
  if (!priv->write_pending && writer &&
      milter_writer_get_pending_size (writer) > 0) {
    priv->write_pending = TRUE;
    milter_server_context_start_writing_timer (self);
  }
  return TRUE;
}

/* A new event: the last reply code is forgotten, and end-of-message
 * starts counting what the milter's modifications make us hold. */
static void
forget_last_reply (MilterServerContext *self, const EventInfo *info)
{
  MilterServerContextPrivate *priv = PRIV (self);

  g_clear_pointer (&priv->reply_code, milter_reply_code_free);
  g_clear_error (&priv->reply_code_error);
  g_clear_pointer (&priv->reply_code_text, g_free);
  if (info->state == MILTER_SERVER_STATE_END_OF_MESSAGE)
    priv->held_size = 0;
}

/* Checks and, unless the event is switched off, appends its macros.
 * *send is FALSE when "continue" was scheduled instead. */
static gboolean
begin_event (MilterServerContext *self, const EventInfo *info,
             gboolean *send, GError **error)
{
  MilterServerContextPrivate *priv = PRIV (self);

  *send = FALSE;
  forget_last_reply (self, info);
  if (info->state == MILTER_SERVER_STATE_CONNECT && priv->new_connection &&
      priv->state == MILTER_SERVER_STATE_QUIT && !priv->ended &&
      !priv->waiting && !priv->idle_id)
    priv->new_connection = FALSE;
  else if (!check_can_send (self, TRUE, error))
    return FALSE;
  if (event_is_off (self, info)) {
    priv->state = info->state;
    schedule_continue (self);
    return TRUE;
  }
  g_byte_array_set_size (milter_agent_get_output_buffer (MILTER_AGENT (self)), 0);
  append_macros (self, info->command);
  *send = TRUE;
  return TRUE;
}

static gboolean
finish_event (MilterServerContext *self, const EventInfo *info,
              GError **error)
{
  MilterServerContextPrivate *priv = PRIV (self);
  gboolean no_reply = event_has_no_reply (self, info);

  priv->state = info->state;
  set_waiting (self, !no_reply);
  if (!send_output (self, error))
    return FALSE;
  if (no_reply)
    schedule_continue (self);
  else
    arm_reply_timer (self);
  return TRUE;
}

gboolean
milter_server_context_negotiate (MilterServerContext *context,
                                 const MilterOption *option,
                                 GError **error)
{
  MilterServerContextPrivate *priv;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  g_return_val_if_fail (option != NULL, FALSE);
  priv = PRIV (context);
  if (!check_can_send (context, FALSE, error))
    return FALSE;
  if (option->version < MILTER_PROTOCOL_VERSION_MIN) {
    g_set_error (error, MILTER_SERVER_CONTEXT_ERROR,
                 MILTER_SERVER_CONTEXT_ERROR_INVALID_ARGUMENT,
                 "%s: protocol version %u is below %d", priv->name,
                 option->version, MILTER_PROTOCOL_VERSION_MIN);
    return FALSE;
  }
  priv->offered = *option;
  /* A milter is offered at most what this code speaks. */
  priv->offered.version = MIN (option->version, MILTER_PROTOCOL_VERSION_MAX);
  milter_command_encode_negotiate (milter_agent_get_output_buffer (MILTER_AGENT (context)),
                                   priv->offered.version, priv->offered.actions,
                                   priv->offered.steps);
  priv->state = MILTER_SERVER_STATE_NEGOTIATE;
  set_waiting (context, TRUE);
  if (!send_output (context, error))
    return FALSE;
  arm_reply_timer (context);
  return TRUE;
}

gboolean
milter_server_context_connect (MilterServerContext *context,
                               const gchar *host, MilterFamily family,
                               guint16 port, const gchar *address,
                               GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_CONNECT);
  gboolean send;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  g_return_val_if_fail (host != NULL, FALSE);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  if (!send)
    return TRUE;
  milter_command_encode_connect (milter_agent_get_output_buffer (MILTER_AGENT (context)),
                                 host, family, port,
                                 address ? address : "");
  return finish_event (context, info, error);
}

gboolean
milter_server_context_helo (MilterServerContext *context,
                            const gchar *fqdn, GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_HELO);
  gboolean send;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  g_return_val_if_fail (fqdn != NULL, FALSE);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  if (!send)
    return TRUE;
  milter_command_encode_helo (milter_agent_get_output_buffer (MILTER_AGENT (context)),
                              fqdn);
  return finish_event (context, info, error);
}

gboolean
milter_server_context_envelope_from (MilterServerContext *context,
                                     const gchar *from,
                                     const gchar *const *args,
                                     GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_ENVELOPE_FROM);
  gboolean send;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  g_return_val_if_fail (from != NULL, FALSE);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  if (!send)
    return TRUE;
  milter_command_encode_envelope_from (milter_agent_get_output_buffer (MILTER_AGENT (context)),
                                       from, args);
  return finish_event (context, info, error);
}

gboolean
milter_server_context_envelope_recipient (MilterServerContext *context,
                                          const gchar *recipient,
                                          const gchar *const *args,
                                          GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_ENVELOPE_RECIPIENT);
  gboolean send;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  g_return_val_if_fail (recipient != NULL, FALSE);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  if (!send)
    return TRUE;
  milter_command_encode_envelope_recipient (milter_agent_get_output_buffer (MILTER_AGENT (context)),
                                            recipient, args);
  return finish_event (context, info, error);
}

gboolean
milter_server_context_data (MilterServerContext *context, GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_DATA);
  gboolean send;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  if (!send)
    return TRUE;
  milter_command_encode_data (milter_agent_get_output_buffer (MILTER_AGENT (context)));
  return finish_event (context, info, error);
}

gboolean
milter_server_context_unknown (MilterServerContext *context,
                               const gchar *command, GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_UNKNOWN);
  gboolean send;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  g_return_val_if_fail (command != NULL, FALSE);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  if (!send)
    return TRUE;
  milter_command_encode_unknown (milter_agent_get_output_buffer (MILTER_AGENT (context)),
                                 command);
  return finish_event (context, info, error);
}

gboolean
milter_server_context_header (MilterServerContext *context,
                              const gchar *name, const gchar *value,
                              GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_HEADER);
  gboolean send;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  g_return_val_if_fail (name != NULL && value != NULL, FALSE);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  if (!send)
    return TRUE;
  milter_command_encode_header (milter_agent_get_output_buffer (MILTER_AGENT (context)),
                                name,
                                milter_server_header_value_to_milter (PRIV (context)->header_value,
                                                                      value,
                                                                      PRIV (context)->negotiated.steps));
  return finish_event (context, info, error);
}

gboolean
milter_server_context_end_of_header (MilterServerContext *context,
                                     GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_END_OF_HEADER);
  gboolean send;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  if (!send)
    return TRUE;
  milter_command_encode_end_of_header (milter_agent_get_output_buffer (MILTER_AGENT (context)));
  return finish_event (context, info, error);
}

gboolean
milter_server_context_body (MilterServerContext *context,
                            const guint8 *data, gsize size, GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_BODY);
  MilterServerContextPrivate *priv;
  GByteArray *out;
  gboolean send;
  gsize taken;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  priv = PRIV (context);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  if (!send)
    return TRUE;
  if (size == 0) {
    /* MTAs send no empty chunk; nothing to ask the milter. */
    g_byte_array_set_size (milter_agent_get_output_buffer (MILTER_AGENT (context)), 0);
    priv->state = info->state;
    schedule_continue (context);
    return TRUE;
  }
  out = milter_agent_get_output_buffer (MILTER_AGENT (context));
  drop_body (context);
  priv->body_remained_logged = FALSE;
  taken = milter_command_encode_body (out, data, size);
  if (event_has_no_reply (context, info)) {
    /* No replies to wait for: every chunk leaves in this one write. */
    while (taken < size)
      taken += milter_command_encode_body (out, data + taken, size - taken);
  } else if (taken < size) {
    priv->body = g_bytes_new (data + taken, size - taken);
  }
  return finish_event (context, info, error);
}

/* After "continue" to a chunk: the next one, still waiting. */
static gboolean
send_next_body_chunk (MilterServerContext *self, GError **error)
{
  MilterServerContextPrivate *priv = PRIV (self);
  GByteArray *out = milter_agent_get_output_buffer (MILTER_AGENT (self));
  gsize size;
  const guint8 *data = g_bytes_get_data (priv->body, &size);

  priv->body_offset += milter_command_encode_body (out, data + priv->body_offset,
                                                   size - priv->body_offset);
  if (priv->body_offset == size)
    clear_body_bytes (priv);
  if (!send_output (self, error))
    return FALSE;
  arm_reply_timer (self);
  return TRUE;
}

/* The empty end-of-message after the body end_of_message() split. */
static gboolean
send_end_of_message_after_body (MilterServerContext *self, GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_END_OF_MESSAGE);
  GByteArray *out = milter_agent_get_output_buffer (MILTER_AGENT (self));

  PRIV (self)->end_of_message_follows = FALSE;
  g_byte_array_set_size (out, 0);
  append_macros (self, MILTER_COMMAND_END_OF_MESSAGE);
  milter_command_encode_end_of_message (out, NULL, 0);
  return finish_event (self, info, error);
}

gboolean
milter_server_context_has_pending_body (MilterServerContext *context)
{
  MilterServerContextPrivate *priv = PRIV (context);

  return priv->state == MILTER_SERVER_STATE_BODY &&
    (priv->body || priv->end_of_message_follows);
}

gboolean
milter_server_context_send_pending_body (MilterServerContext *context,
                                         gboolean skipped,
                                         GError **error)
{
  MilterServerContextPrivate *priv = PRIV (context);

  if (skipped)
    clear_body_bytes (priv);
  if (priv->body)
    return send_next_body_chunk (context, error);
  return send_end_of_message_after_body (context, error);
}

/* An end-of-message chunk over MILTER_CHUNK_SIZE fits no packet. It goes
 * the way an MTA sends a body: as body chunks, one per "continue" (all in
 * one write when the milter sends no reply to them), then the
 * end-of-message, empty. A milter that switched the body off gets the
 * end-of-message alone, as it would from an MTA. */
static gboolean
end_of_message_with_body (MilterServerContext *self, const guint8 *data,
                          gsize size, GError **error)
{
  const EventInfo *body_info = event_info (MILTER_SERVER_STATE_BODY);
  const EventInfo *info = event_info (MILTER_SERVER_STATE_END_OF_MESSAGE);
  MilterServerContextPrivate *priv = PRIV (self);
  GByteArray *out = milter_agent_get_output_buffer (MILTER_AGENT (self));
  gboolean send;
  gsize taken;

  if (priv->has_negotiated && event_is_off (self, body_info)) {
    if (!begin_event (self, info, &send, error))
      return FALSE;
    milter_command_encode_end_of_message (out, NULL, 0);
    return finish_event (self, info, error);
  }
  /* Not switched off (or not negotiated: begin_event refuses). */
  if (!begin_event (self, body_info, &send, error))
    return FALSE;
  drop_body (self);
  priv->body_remained_logged = FALSE;
  taken = milter_command_encode_body (out, data, size);
  if (event_has_no_reply (self, body_info)) {
    while (taken < size)
      taken += milter_command_encode_body (out, data + taken, size - taken);
    append_macros (self, info->command);
    milter_command_encode_end_of_message (out, NULL, 0);
    return finish_event (self, info, error);
  }
  priv->body = g_bytes_new (data + taken, size - taken);
  priv->end_of_message_follows = TRUE;
  return finish_event (self, body_info, error);
}

gboolean
milter_server_context_end_of_message (MilterServerContext *context,
                                      const guint8 *data, gsize size,
                                      GError **error)
{
  const EventInfo *info = event_info (MILTER_SERVER_STATE_END_OF_MESSAGE);
  gboolean send;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  if (size > MILTER_CHUNK_SIZE)
    return end_of_message_with_body (context, data, size, error);
  if (!begin_event (context, info, &send, error))
    return FALSE;
  milter_command_encode_end_of_message (milter_agent_get_output_buffer (MILTER_AGENT (context)),
                                        data, size);
  return finish_event (context, info, error);
}

static gboolean
send_no_reply_command (MilterServerContext *self, MilterServerState state,
                       void (*encode) (GByteArray *out), GError **error)
{
  MilterServerContextPrivate *priv = PRIV (self);

  if (!check_can_send (self, FALSE, error))
    return FALSE;
  encode (milter_agent_get_output_buffer (MILTER_AGENT (self)));
  priv->state = state;
  set_waiting (self, FALSE);
  return send_output (self, error);
}

gboolean
milter_server_context_abort (MilterServerContext *context, GError **error)
{
  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  drop_body (context);
  return send_no_reply_command (context, MILTER_SERVER_STATE_ABORT,
                                milter_command_encode_abort, error);
}

gboolean
milter_server_context_quit (MilterServerContext *context, GError **error)
{
  MilterServerContextPrivate *priv;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  priv = PRIV (context);
  if (priv->state == MILTER_SERVER_STATE_QUIT && priv->new_connection)
    priv->new_connection = FALSE;
  if (!send_no_reply_command (context, MILTER_SERVER_STATE_QUIT,
                              milter_command_encode_quit, error))
    return FALSE;
  /* Read on until the milter closes, so a late reply is seen and logged;
   * the reading timeout bounds the wait. */
  priv->reply_deadline = 0;
  if (priv->reading_timeout > 0) {
    arm_reply_timer (context);
  }
  return TRUE;
}

gboolean
milter_server_context_quit_new_connection (MilterServerContext *context,
                                           GError **error)
{
  MilterServerContextPrivate *priv;

  g_return_val_if_fail (MILTER_IS_SERVER_CONTEXT (context), FALSE);
  priv = PRIV (context);
  /* 'K' is a protocol-6 command: an older milter would take it for an
   * unknown command and fail the session (libmilter does). */
  if (priv->has_negotiated &&
      priv->negotiated.version < QUIT_NEW_CONNECTION_VERSION) {
    g_set_error (error, MILTER_SERVER_CONTEXT_ERROR,
                 MILTER_SERVER_CONTEXT_ERROR_UNSUPPORTED,
                 "%s: quit-new-connection needs protocol version %d, "
                 "negotiated %u", priv->name,
                 QUIT_NEW_CONNECTION_VERSION,
                 priv->negotiated.version);
    return FALSE;
  }
  if (!send_no_reply_command (context, MILTER_SERVER_STATE_QUIT,
                              milter_command_encode_quit_new_connection,
                              error))
    return FALSE;
  priv->new_connection = TRUE;
  return TRUE;
}


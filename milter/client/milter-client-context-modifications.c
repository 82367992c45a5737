/*
 * milter-client-context-modifications - the end-of-message edits a milter sends
 *
 * SYNOPSIS
 *   milter_client_context_add_header (context, name, value, &error);
 *   milter_client_context_change_from (context, from, args, &error);
 *   ... (see milter-client-context.h)
 *
 * DESCRIPTION
 *   Each modification is checked (end-of-message only, its action
 *   negotiated, the session not over) and encoded into the agent's output
 *   buffer, where it waits for the final status so that the group leaves
 *   in one write; with a packet-buffer-size the queue is written whenever
 *   it reaches that size.
 *
 * DIAGNOSTICS
 *   [client][error][buffered-packets][write]  the queue could not be written
 *   [reply][end-of-message][quarantine]       (statistics) quarantine sent
 *   Misuse fails with MILTER_CLIENT_CONTEXT_ERROR.
 */
#include "config.h"

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/client/milter-client-context.h>
#include <milter/client/milter-client-context-private.h>

/* Checks that a modification may be sent now. */
static gboolean
check_modification (MilterClientContext *self,
                    MilterActionFlags action,
                    const gchar *what,
                    GError **error)
{
  if (milter_agent_is_shut_down (MILTER_AGENT (self))) {
    g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                 MILTER_CLIENT_CONTEXT_ERROR_IO,
                 "%s: the session is over", what);
    return FALSE;
  }
  if (!self->in_end_of_message) {
    g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                 MILTER_CLIENT_CONTEXT_ERROR_INVALID_STATE,
                 "%s is allowed only at end-of-message", what);
    return FALSE;
  }
  if (!(self->option.actions & action)) {
    g_autofree gchar *name = milter_action_flags_to_string (action);
    g_set_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                 MILTER_CLIENT_CONTEXT_ERROR_NOT_NEGOTIATED,
                 "%s needs the %s action, which was not negotiated", what,
                 name);
    return FALSE;
  }
  return TRUE;
}

/* Writes queued modifications early when they reach packet-buffer-size. */
static gboolean
queued (MilterClientContext *self, GError **error)
{
  MilterAgent *agent = MILTER_AGENT (self);
  g_autoptr (GError) local_error = NULL;

  if (self->packet_buffer_size == 0 ||
      milter_agent_get_output_buffer (agent)->len < self->packet_buffer_size)
    return TRUE;
  if (!milter_agent_send (agent, &local_error)) {
    milter_error (milter_agent_get_session_id (agent),
                  "[client][error][buffered-packets][write] %s",
                  local_error->message);
    return _milter_client_context_fail_io (self, local_error, error);
  }
  return TRUE;
}

#define OUTPUT(self) milter_agent_get_output_buffer (MILTER_AGENT (self))

gboolean
milter_client_context_add_header (MilterClientContext *context,
                                  const gchar *name,
                                  const gchar *value,
                                  GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);
  g_return_val_if_fail (name && value, FALSE);
  if (!check_modification (context, MILTER_ACTION_ADD_HEADERS, "add-header",
                           error))
    return FALSE;
  milter_reply_encode_add_header (OUTPUT (context), name, value);
  return queued (context, error);
}

gboolean
milter_client_context_insert_header (MilterClientContext *context,
                                     guint32 index,
                                     const gchar *name,
                                     const gchar *value,
                                     GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);
  g_return_val_if_fail (name && value, FALSE);
  if (!check_modification (context, MILTER_ACTION_ADD_HEADERS,
                           "insert-header", error))
    return FALSE;
  milter_reply_encode_insert_header (OUTPUT (context), index, name, value);
  return queued (context, error);
}

gboolean
milter_client_context_change_header (MilterClientContext *context,
                                     const gchar *name,
                                     guint32 index,
                                     const gchar *value,
                                     GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);
  g_return_val_if_fail (name && value, FALSE);
  if (!check_modification (context, MILTER_ACTION_CHANGE_HEADERS,
                           "change-header", error))
    return FALSE;
  milter_reply_encode_change_header (OUTPUT (context), index, name, value);
  return queued (context, error);
}

gboolean
milter_client_context_delete_header (MilterClientContext *context,
                                     const gchar *name,
                                     guint32 index,
                                     GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);
  g_return_val_if_fail (name, FALSE);
  if (!check_modification (context, MILTER_ACTION_CHANGE_HEADERS,
                           "delete-header", error))
    return FALSE;
  milter_reply_encode_delete_header (OUTPUT (context), index, name);
  return queued (context, error);
}

gboolean
milter_client_context_change_from (MilterClientContext *context,
                                   const gchar *from,
                                   const gchar *args,
                                   GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);
  g_return_val_if_fail (from, FALSE);
  if (!check_modification (context, MILTER_ACTION_CHANGE_FROM, "change-from",
                           error))
    return FALSE;
  milter_reply_encode_change_from (OUTPUT (context), from, args);
  return queued (context, error);
}

gboolean
milter_client_context_add_recipient (MilterClientContext *context,
                                     const gchar *recipient,
                                     const gchar *args,
                                     GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);
  g_return_val_if_fail (recipient, FALSE);
  if (!check_modification (context,
                           args ? MILTER_ACTION_ADD_RECIPIENT_WITH_ARGS :
                           MILTER_ACTION_ADD_RECIPIENT,
                           "add-recipient", error))
    return FALSE;
  milter_reply_encode_add_recipient (OUTPUT (context), recipient, args);
  return queued (context, error);
}

gboolean
milter_client_context_delete_recipient (MilterClientContext *context,
                                        const gchar *recipient,
                                        GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);
  g_return_val_if_fail (recipient, FALSE);
  if (!check_modification (context, MILTER_ACTION_DELETE_RECIPIENT,
                           "delete-recipient", error))
    return FALSE;
  milter_reply_encode_delete_recipient (OUTPUT (context), recipient);
  return queued (context, error);
}

gboolean
milter_client_context_replace_body (MilterClientContext *context,
                                    const guint8 *data,
                                    gsize size,
                                    GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);
  g_return_val_if_fail (data || size == 0, FALSE);
  if (!check_modification (context, MILTER_ACTION_CHANGE_BODY,
                           "replace-body", error))
    return FALSE;
  milter_reply_encode_replace_body (OUTPUT (context), data ? data :
                                    (const guint8 *) "", size);
  return queued (context, error);
}

gboolean
milter_client_context_quarantine (MilterClientContext *context,
                                  const gchar *reason,
                                  GError **error)
{
  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), FALSE);
  g_return_val_if_fail (reason, FALSE);
  if (!check_modification (context, MILTER_ACTION_QUARANTINE, "quarantine",
                           error))
    return FALSE;
  milter_reply_encode_quarantine (OUTPUT (context), reason);
  milter_statistics (milter_agent_get_session_id (MILTER_AGENT (context)),
                     "[reply][end-of-message][quarantine] %s", reason);
  return queued (context, error);
}

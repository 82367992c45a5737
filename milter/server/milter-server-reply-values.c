/*
 * milter-server-reply-values - what the text in a milter's reply means to the MTA side
 *
 * See milter-server-reply-values.h. The reply-code syntax itself is
 * milter-reply-code.c's; this file only maps it to a status.
 */
#include "config.h"

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply-code.h>
#include <milter/core/milter-status.h>
#include <milter/server/milter-server-reply-values.h>

MilterStatus
milter_server_reply_code_status (const gchar *text, MilterReplyCode **parsed,
                                 GError **error)
{
  g_autoptr (MilterReplyCode) reply_code = NULL;
  MilterStatus status;

  if (parsed)
    *parsed = NULL;
  g_return_val_if_fail (text != NULL, MILTER_STATUS_TEMPORARY_FAILURE);
  /* The parser rejects classes other than 4 and 5 and an enhanced code of
   * another class, as Postfix's "malformed reply" check does. */
  reply_code = milter_reply_code_parse (text, error);
  if (!reply_code)
    return MILTER_STATUS_TEMPORARY_FAILURE;
  status = reply_code->code >= 500 ? MILTER_STATUS_REJECT :
    MILTER_STATUS_TEMPORARY_FAILURE;
  if (parsed)
    *parsed = g_steal_pointer (&reply_code);
  return status;
}

const gchar *
milter_server_header_value_to_milter (GString *buffer, const gchar *value,
                                      MilterStepFlags steps)
{
  if (!(steps & MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE))
    return value;
  g_string_assign (buffer, " ");
  g_string_append (buffer, value);
  return buffer->str;
}

const gchar *
milter_server_header_value_from_milter (const gchar *value,
                                        MilterStepFlags steps)
{
  if ((steps & MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE) && value[0] == ' ')
    return value + 1;
  return value;
}

/*
 * milter-status-reply - the reply packet that answers an event with a status
 *
 * The rule is one switch over the status; encoding only appends the packet
 * the rule chose.
 */
#include "config.h"

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/core/milter-status.h>
#include <milter/core/milter-status-reply.h>

/* 'y' if the custom reply's class agrees with status, else plain. */
static MilterReplyType
refusal (MilterStatus status, const gchar *reply_code, MilterReplyType plain)
{
  if (reply_code &&
      milter_status_reply_code_matches (status,
                                        (guint) g_ascii_strtoull (reply_code,
                                                                  NULL, 10)))
    return MILTER_REPLY_REPLY_CODE;
  return plain;
}

MilterReplyType
milter_status_reply_type (MilterStatus status,
                          MilterCommandType command,
                          MilterStepFlags steps,
                          const gchar *reply_code)
{
  switch (status) {
  case MILTER_STATUS_ACCEPT:
  case MILTER_STATUS_PASS:
  case MILTER_STATUS_STOP:
    return MILTER_REPLY_ACCEPT;
  case MILTER_STATUS_REJECT:
    return refusal (status, reply_code, MILTER_REPLY_REJECT);
  case MILTER_STATUS_TEMPORARY_FAILURE:
  case MILTER_STATUS_ERROR:
    return refusal (MILTER_STATUS_TEMPORARY_FAILURE, reply_code,
                    MILTER_REPLY_TEMPORARY_FAILURE);
  case MILTER_STATUS_DISCARD:
    return MILTER_REPLY_DISCARD;
  case MILTER_STATUS_SKIP:
    return command == MILTER_COMMAND_BODY && (steps & MILTER_STEP_SKIP)
      ? MILTER_REPLY_SKIP : MILTER_REPLY_CONTINUE;
  default:
    return MILTER_REPLY_CONTINUE;
  }
}

void
milter_reply_encode_status (GByteArray *buffer,
                            MilterStatus status,
                            MilterCommandType command,
                            MilterStepFlags steps,
                            const gchar *reply_code)
{
  MilterReply reply = {0};

  reply.type = milter_status_reply_type (status, command, steps, reply_code);
  if (reply.type == MILTER_REPLY_REPLY_CODE)
    reply.reply_code.text = reply_code;
  milter_reply_encode (buffer, &reply);
}

MilterStatus
milter_status_from_reply_text (const gchar *text)
{
  if (text && text[0] == '4')
    return MILTER_STATUS_TEMPORARY_FAILURE;
  if (text && text[0] == '5')
    return MILTER_STATUS_REJECT;
  return MILTER_STATUS_ERROR;
}

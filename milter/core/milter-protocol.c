/*
 * milter-protocol - names of protocol bytes, for logs and error messages
 */
#include "config.h"

#include <milter/core/milter-protocol.h>

const gchar *
milter_command_type_to_string (guint8 command)
{
  switch (command) {
  case MILTER_COMMAND_NEGOTIATE: return "negotiate";
  case MILTER_COMMAND_DEFINE_MACRO: return "define-macro";
  case MILTER_COMMAND_CONNECT: return "connect";
  case MILTER_COMMAND_HELO: return "helo";
  case MILTER_COMMAND_ENVELOPE_FROM: return "envelope-from";
  case MILTER_COMMAND_ENVELOPE_RECIPIENT: return "envelope-recipient";
  case MILTER_COMMAND_DATA: return "data";
  case MILTER_COMMAND_HEADER: return "header";
  case MILTER_COMMAND_END_OF_HEADER: return "end-of-header";
  case MILTER_COMMAND_BODY: return "body";
  case MILTER_COMMAND_END_OF_MESSAGE: return "end-of-message";
  case MILTER_COMMAND_UNKNOWN: return "unknown";
  case MILTER_COMMAND_ABORT: return "abort";
  case MILTER_COMMAND_QUIT: return "quit";
  case MILTER_COMMAND_QUIT_NEW_CONNECTION: return "quit-new-connection";
  default: return NULL;
  }
}

const gchar *
milter_reply_type_to_string (guint8 reply)
{
  switch (reply) {
  case MILTER_REPLY_NEGOTIATE: return "negotiate-reply";
  case MILTER_REPLY_CONTINUE: return "continue";
  case MILTER_REPLY_ACCEPT: return "accept";
  case MILTER_REPLY_REJECT: return "reject";
  case MILTER_REPLY_TEMPORARY_FAILURE: return "temporary-failure";
  case MILTER_REPLY_DISCARD: return "discard";
  case MILTER_REPLY_REPLY_CODE: return "reply-code";
  case MILTER_REPLY_SKIP: return "skip";
  case MILTER_REPLY_PROGRESS: return "progress";
  case MILTER_REPLY_SHUTDOWN: return "shutdown";
  case MILTER_REPLY_CONNECTION_FAILURE: return "connection-failure";
  case MILTER_REPLY_ADD_HEADER: return "add-header";
  case MILTER_REPLY_INSERT_HEADER: return "insert-header";
  case MILTER_REPLY_CHANGE_HEADER: return "change-header";
  case MILTER_REPLY_ADD_RECIPIENT: return "add-recipient";
  case MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS: return "add-recipient-with-arguments";
  case MILTER_REPLY_DELETE_RECIPIENT: return "delete-recipient";
  case MILTER_REPLY_CHANGE_FROM: return "change-from";
  case MILTER_REPLY_REPLACE_BODY: return "replace-body";
  case MILTER_REPLY_QUARANTINE: return "quarantine";
  default: return NULL;
  }
}

gboolean
milter_command_type_is_valid (guint8 command)
{
  return milter_command_type_to_string (command) != NULL;
}

gboolean
milter_reply_type_is_valid (guint8 reply)
{
  return milter_reply_type_to_string (reply) != NULL;
}

static const struct {
  const gchar *name;
  guint8 command;
} macro_stages[MILTER_MACRO_STAGE_COUNT] = {
  [MILTER_MACRO_STAGE_CONNECT] = {"connect", MILTER_COMMAND_CONNECT},
  [MILTER_MACRO_STAGE_HELO] = {"helo", MILTER_COMMAND_HELO},
  [MILTER_MACRO_STAGE_ENVELOPE_FROM] = {"envelope-from", MILTER_COMMAND_ENVELOPE_FROM},
  [MILTER_MACRO_STAGE_ENVELOPE_RECIPIENT] = {"envelope-recipient", MILTER_COMMAND_ENVELOPE_RECIPIENT},
  [MILTER_MACRO_STAGE_DATA] = {"data", MILTER_COMMAND_DATA},
  [MILTER_MACRO_STAGE_END_OF_MESSAGE] = {"end-of-message", MILTER_COMMAND_END_OF_MESSAGE},
  [MILTER_MACRO_STAGE_END_OF_HEADER] = {"end-of-header", MILTER_COMMAND_END_OF_HEADER},
};

const gchar *
milter_macro_stage_to_string (MilterMacroStage stage)
{
  if ((guint) stage >= MILTER_MACRO_STAGE_COUNT)
    return NULL;
  return macro_stages[stage].name;
}

guint8
milter_macro_stage_to_command (MilterMacroStage stage)
{
  if ((guint) stage >= MILTER_MACRO_STAGE_COUNT)
    return 0;
  return macro_stages[stage].command;
}

gboolean
milter_macro_stage_from_command (guint8 command, MilterMacroStage *stage)
{
  guint i;

  for (i = 0; i < MILTER_MACRO_STAGE_COUNT; i++) {
    if (macro_stages[i].command == command) {
      if (stage)
        *stage = (MilterMacroStage) i;
      return TRUE;
    }
  }
  return FALSE;
}

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

/*
 * The one table of macro stages: the commands a define-macro packet may
 * name, in the order an MTA sends them, each with its stage in the v6
 * negotiate reply's macro lists (-1: none). The first
 * MILTER_MACRO_COMMAND_COUNT are the protocol's (C H M R T N E U); header
 * and body come last because they are only tolerated (see
 * milter_command_is_macro_stage()).
 */
static const struct {
  guint8 command;
  gint8 stage;
} macro_commands[MILTER_MACRO_COMMAND_COUNT_TOLERATED] = {
  {MILTER_COMMAND_CONNECT, MILTER_MACRO_STAGE_CONNECT},
  {MILTER_COMMAND_HELO, MILTER_MACRO_STAGE_HELO},
  {MILTER_COMMAND_ENVELOPE_FROM, MILTER_MACRO_STAGE_ENVELOPE_FROM},
  {MILTER_COMMAND_ENVELOPE_RECIPIENT, MILTER_MACRO_STAGE_ENVELOPE_RECIPIENT},
  {MILTER_COMMAND_DATA, MILTER_MACRO_STAGE_DATA},
  {MILTER_COMMAND_END_OF_HEADER, MILTER_MACRO_STAGE_END_OF_HEADER},
  {MILTER_COMMAND_END_OF_MESSAGE, MILTER_MACRO_STAGE_END_OF_MESSAGE},
  {MILTER_COMMAND_UNKNOWN, -1},
  {MILTER_COMMAND_HEADER, -1},
  {MILTER_COMMAND_BODY, -1},
};

gint
milter_macro_command_index (guint8 command)
{
  for (guint i = 0; i < MILTER_MACRO_COMMAND_COUNT_TOLERATED; i++) {
    if (macro_commands[i].command == command)
      return (gint) i;
  }
  return -1;
}

guint8
milter_macro_command_at (guint index)
{
  return index < MILTER_MACRO_COMMAND_COUNT_TOLERATED
    ? macro_commands[index].command : 0;
}

guint8
milter_macro_stage_to_command (MilterMacroStage stage)
{
  for (guint i = 0; i < MILTER_MACRO_COMMAND_COUNT_TOLERATED; i++) {
    if (macro_commands[i].stage >= 0 &&
        (guint) macro_commands[i].stage == (guint) stage)
      return macro_commands[i].command;
  }
  return 0;
}

/* A stage is named after its command: "connect", ..., "end-of-header". */
const gchar *
milter_macro_stage_to_string (MilterMacroStage stage)
{
  guint8 command = milter_macro_stage_to_command (stage);

  return command ? milter_command_type_to_string (command) : NULL;
}

gboolean
milter_macro_stage_from_command (guint8 command, MilterMacroStage *stage)
{
  gint index = milter_macro_command_index (command);

  if (index < 0 || macro_commands[index].stage < 0)
    return FALSE;
  if (stage)
    *stage = (MilterMacroStage) macro_commands[index].stage;
  return TRUE;
}

gboolean
milter_macro_stage_from_string (const gchar *name, MilterMacroStage *stage)
{
  for (guint i = 0; name && i < MILTER_MACRO_COMMAND_COUNT_TOLERATED; i++) {
    if (macro_commands[i].stage >= 0 &&
        g_strcmp0 (milter_command_type_to_string (macro_commands[i].command),
                   name) == 0) {
      if (stage)
        *stage = (MilterMacroStage) macro_commands[i].stage;
      return TRUE;
    }
  }
  return FALSE;
}

/*
 * milter-server-macro-filter - which macros the MTA side sends before a command
 *
 * See milter-server-macro-filter.h for the rule.
 */
#include "config.h"

#include <glib.h>

#include <milter/core/milter-macros-requests.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-protocol.h>
#include <milter/server/milter-server-macro-filter.h>

gboolean
milter_server_macro_is_wanted (const MilterOption *negotiated,
                               const MilterMacrosRequests *requests,
                               guint8 command,
                               const gchar *name)
{
  MilterMacroStage stage;
  const gchar *const *listed;

  if (!negotiated || !requests || !name)
    return TRUE;
  if (negotiated->version < 6 ||
      !(negotiated->actions & MILTER_ACTION_SET_SYMBOL_LIST))
    return TRUE;
  if (!milter_macro_stage_from_command (command, &stage))
    return TRUE;
  listed = milter_macros_requests_get (requests, stage);
  if (!listed || !listed[0])
    return TRUE;
  return milter_macros_requests_contains (requests, stage, name);
}

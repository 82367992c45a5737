/*
 * PLACEHOLDER - delete this file when the leader/children engine lands
 * in milter/manager (milter-manager-leader.c provides the real
 * milter_manager_leader_attach). Until then the daemon answers like a
 * milter that does nothing: negotiate with no actions and no steps
 * (the client context's default when no handler decides) and continue
 * to every event, so the daemon can be built, started and tested.
 *
 * It keeps a reference to the configuration the session started with
 * for the session's lifetime, as the real leader does: a reload never
 * changes a session in flight.
 */
#include "config.h"

#include <milter/core/milter-logger.h>
#include "src/milter-manager-leader-placeholder.h"

void
milter_manager_leader_attach (MilterManagerConfiguration *configuration,
                              MilterClientContext *context)
{
  GPtrArray *eggs = milter_manager_configuration_get_eggs (configuration);
  milter_debug (0, "[leader][placeholder] session with %u configured milters "
                "(engine not built yet: continue to everything)", eggs->len);
  g_object_set_data_full (G_OBJECT (context), "milter-manager-configuration",
                          g_object_ref (configuration), g_object_unref);
}

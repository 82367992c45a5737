/*
 * PLACEHOLDER - delete this file (and milter-manager-leader-placeholder.c)
 * when the leader/children engine lands in milter/manager; the daemon
 * then includes <milter/manager/milter-manager-leader.h> instead, which
 * declares the same function.
 *
 * milter_manager_leader_attach - make one MTA session (a client context)
 * a manager session driven by configuration's eggs.
 */
#pragma once

#include <milter/client/milter-client-context.h>
#include <milter/manager/milter-manager-configuration.h>

G_BEGIN_DECLS

void milter_manager_leader_attach (MilterManagerConfiguration *configuration,
                                   MilterClientContext *context);

G_END_DECLS

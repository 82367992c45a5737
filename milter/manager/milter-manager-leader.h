/*
 * milter-manager-leader - the MTA-facing side of one manager session
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-leader.h>
 *
 *   static void
 *   on_connection_established (MilterClient *client,
 *                              MilterClientContext *context, gpointer data)
 *   {
 *     milter_manager_leader_attach (configuration, context);
 *   }
 *
 * DESCRIPTION
 *   A leader takes one MilterClientContext (one MTA connection) and runs
 *   it through a MilterManagerChildren: each event of the MTA is handed
 *   to the children, and their combined answer goes back, later if the
 *   children need time (the client context's deferred replies, tied to
 *   their event). At end-of-message the final modifications go out before
 *   the reply. The negotiate reply waits for the children's negotiation;
 *   when no child negotiated, the MTA connection is closed (D1).
 *
 *   attach() creates a leader for context and ties it to the context's
 *   lifetime (object data); it is what a MilterClient's
 *   "connection-established" handler calls. The leader keeps a reference
 *   to configuration: a session in flight never sees a reload.
 *
 *   When the MTA quits, disconnects or sends quit-new-connection, the
 *   children are told to quit (after abort, mid-message); the children
 *   object lives on, detached, until every child connection has closed or
 *   a short grace period passed, so the quits are written.
 *
 * DIAGNOSTICS
 *   Statistics rows (manager-behaviour.md §8): [session][end][LAST]
 *   [STATUS][E](T) when the MTA connection finishes, and
 *   [session][disconnected][E](T) when the MTA went away while a child
 *   owed a reply. Errors: [leader][error][add-header|insert-header|
 *   delete-header|change-from|add-recipient|delete-recipient|
 *   replace-body] when the MTA did not grant a modification,
 *   [leader][error][reply-code], [leader][error][invalid-state].
 */
#pragma once

#include <milter/client/milter-client-context.h>
#include <milter/manager/milter-manager-configuration.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_TYPE_LEADER (milter_manager_leader_get_type ())
G_DECLARE_FINAL_TYPE (MilterManagerLeader, milter_manager_leader,
                      MILTER_MANAGER, LEADER, GObject)

/* Connects plain handlers to context's signals and does not keep a
 * reference to context: the context must keep the leader until it is
 * disposed (see attach()). */
MilterManagerLeader *milter_manager_leader_new (MilterManagerConfiguration *configuration,
                                                MilterClientContext *context);
void milter_manager_leader_attach (MilterManagerConfiguration *configuration,
                                   MilterClientContext *context);
/* (transfer none) */
MilterManagerConfiguration *
milter_manager_leader_get_configuration (MilterManagerLeader *leader);

G_END_DECLS

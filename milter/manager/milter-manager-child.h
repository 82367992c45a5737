/*
 * milter-manager-child - one child milter in one manager session
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-child.h>
 *
 *   child = milter_manager_child_new (egg, loop, session_id, &callbacks, data);
 *   milter_manager_child_start (child, &mta_offer);
 *   milter_manager_child_send (child)->... (see the milter_server_context_*
 *     calls: the children module drives milter_manager_child_get_context())
 *   milter_manager_child_sent (child);      after each successful command
 *   milter_manager_child_quit (child);
 *   milter_manager_child_drop (child);
 *   milter_manager_child_free (child);
 *
 * DESCRIPTION
 *   A child is the session's connection to one configured milter (egg),
 *   on a MilterServerContext with the egg's four timeouts, in the
 *   session's event loop. It connects, offers the MTA's offer capped at
 *   version 6 (reply rules), checks the negotiate reply and reports to
 *   its owner (the children module) through MilterManagerChildCallbacks:
 *
 *     negotiated (effective option, macro requests)
 *     reply      (status as it counts before evaluation: continue,
 *                 accept, reject, temporary-failure, discard, skip; for
 *                 a 'y', the status its first digit gives, and the text)
 *     progress, and each modification (MilterManagerModification)
 *     failed     (the child is out: error, any of the four timeouts, a
 *                 close while it owed a reply, a protocol violation, 'f'
 *                 or '4' (D17)); the owner counts its fallback status
 *
 *   The child logs its own failure rows ([children][timeout][...][STATE]
 *   [FB], [children][error][STATE][FB], [children][error][connection],
 *   [children][error][negotiate][FB]) and, once, its statistics row
 *   [milter][end][LAST][STATUS][E](CT): NAME when it is dropped or its
 *   connection ends. E is the time its timer ran: from each command's
 *   write to its reply.
 *
 *   A connect that fails at once is retried once after the
 *   configuration's connection_retry_interval (D19). With a launcher
 *   (privilege mode) and an egg with a command, a connect that fails -
 *   at once or in the loop - asks the launcher to start the milter
 *   instead, and the one retry comes when the launcher says so
 *   (milter-manager-launcher.h); meanwhile the child still counts as
 *   negotiating. A launch that failed fails the child with the reason.
 *
 * DIAGNOSTICS
 *   Everything asynchronous is reported through "failed"; calls on the
 *   context that fail synchronously should be passed to
 *   milter_manager_child_fail().
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-event-loop.h>
#include <milter/server/milter-server-context.h>
#include <milter/manager/milter-manager-egg.h>
#include <milter/manager/milter-manager-launcher.h>

G_BEGIN_DECLS

typedef struct _MilterManagerChild MilterManagerChild;

typedef enum {
  MILTER_MANAGER_MODIFICATION_ADD_HEADER,
  MILTER_MANAGER_MODIFICATION_INSERT_HEADER,
  MILTER_MANAGER_MODIFICATION_CHANGE_HEADER,
  MILTER_MANAGER_MODIFICATION_DELETE_HEADER,
  MILTER_MANAGER_MODIFICATION_ADD_RECIPIENT,
  MILTER_MANAGER_MODIFICATION_DELETE_RECIPIENT,
  MILTER_MANAGER_MODIFICATION_CHANGE_FROM,
  MILTER_MANAGER_MODIFICATION_REPLACE_BODY,
  MILTER_MANAGER_MODIFICATION_QUARANTINE
} MilterManagerModificationType;

/* Valid only during the callback. */
typedef struct {
  MilterManagerModificationType type;
  const gchar *name;    /* header name, recipient, sender, reason */
  const gchar *value;   /* header value, ESMTP args (nullable) */
  guint index;
  const gchar *data;    /* replace-body */
  gsize size;
} MilterManagerModification;

typedef struct {
  void (*negotiated) (MilterManagerChild *child, gpointer user_data);
  void (*reply) (MilterManagerChild *child, MilterStatus status,
                 const gchar *reply_code, gpointer user_data);
  void (*progress) (MilterManagerChild *child, gpointer user_data);
  void (*modification) (MilterManagerChild *child,
                        const MilterManagerModification *modification,
                        gpointer user_data);
  void (*failed) (MilterManagerChild *child, gpointer user_data);
} MilterManagerChildCallbacks;

MilterManagerChild *
milter_manager_child_new (MilterManagerEgg *egg,
                          MilterEventLoop *loop,
                          guint64 session_id,
                          gdouble retry_interval,
                          const MilterManagerChildCallbacks *callbacks,
                          gpointer user_data);
/* Starts connecting; negotiate follows "ready". FALSE: failed at once
 * and no retry is left (the child is dropped, "failed" not called). */
gboolean milter_manager_child_start (MilterManagerChild *child,
                                     const MilterOption *mta_offer);
void milter_manager_child_free (MilterManagerChild *child);

MilterServerContext *milter_manager_child_get_context (MilterManagerChild *child);
MilterManagerEgg *milter_manager_child_get_egg (MilterManagerChild *child);
const gchar *milter_manager_child_get_name (MilterManagerChild *child);
MilterStatus milter_manager_child_get_fallback_status (MilterManagerChild *child);
gboolean milter_manager_child_is_evaluation_mode (MilterManagerChild *child);
/* NULL before negotiation. */
const MilterOption *milter_manager_child_get_option (MilterManagerChild *child);
const MilterMacrosRequests *
milter_manager_child_get_macros_requests (MilterManagerChild *child);
MilterServerState milter_manager_child_get_state (MilterManagerChild *child);
/* Negotiated and not dropped. */
gboolean milter_manager_child_is_alive (MilterManagerChild *child);
/* Connected or connecting, not yet negotiated or dropped. */
gboolean milter_manager_child_is_negotiating (MilterManagerChild *child);
/* TRUE while it owes a reply to a command the owner sent. */
gboolean milter_manager_child_is_waiting (MilterManagerChild *child);

/* The owner sent a command through the context: start the timer, wait. */
void milter_manager_child_sent (MilterManagerChild *child);
/* A command the context refused synchronously: the child fails (logged,
 * "failed" called from here). */
void milter_manager_child_fail (MilterManagerChild *child, const GError *error);
/* The negotiation wait is over (D19): the child fails as a connection
 * timeout. */
void milter_manager_child_time_out (MilterManagerChild *child);
/* Records the child's last status for its [milter][end] row. */
void milter_manager_child_note_status (MilterManagerChild *child,
                                       MilterStatus status);
/* An applicable condition stopped it at stage (not sent). */
void milter_manager_child_note_stop (MilterManagerChild *child,
                                     MilterServerState stage);
/* Its last status (reply, STOP, fallback...), NOT_CHANGE before any. */
MilterStatus milter_manager_child_get_last_status (MilterManagerChild *child);
void milter_manager_child_abort (MilterManagerChild *child);
/* Sends quit; the child is out of the session ("failed" is not called). */
void milter_manager_child_quit (MilterManagerChild *child);
/* Out of the session without quit (negotiation fallback, failures). */
void milter_manager_child_drop (MilterManagerChild *child);

/* The daemon's launcher (NULL: none); set before start(). */
void milter_manager_child_set_launcher (MilterManagerChild *child,
                                        MilterManagerLauncher *launcher);

G_END_DECLS

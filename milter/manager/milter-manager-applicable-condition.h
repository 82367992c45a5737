/*
 * milter-manager-applicable-condition - a named per-session decision
 * whether a child milter takes part (applicable-conditions.md)
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-applicable-condition.h>
 *
 *   condition = milter_manager_applicable_condition_new ("S25R", stages,
 *                                                        stop, data, destroy);
 *   milter_manager_configuration_add_applicable_condition (configuration,
 *                                                          condition);
 *   ...
 *   gboolean stop = milter_manager_applicable_condition_stop (condition,
 *                                                             context,
 *                                                             &event);
 *
 *   name = milter_manager_condition_context_get_name (context);
 *   value = milter_manager_condition_context_get_macro (context, "{auth_type}");
 *   milter_manager_condition_context_set_macro (context, "{stress}", "yes");
 *   other = milter_manager_condition_context_find (context, "clamav");
 *   status = milter_manager_condition_context_get_status (other);
 *   n = milter_manager_condition_context_get_n_processing_sessions (context);
 *   milter_manager_condition_context_shelf_set (context, key, bytes);
 *
 * DESCRIPTION
 *   The engine knows a condition only as a name, the set of stages it
 *   has stoppers for (a bit per MilterServerState, see
 *   MILTER_MANAGER_CONDITION_STAGE) and one "stop" function that the
 *   language binding implements (binding/ruby); the engine never calls
 *   a language itself. The configuration holds the conditions and every
 *   session holds the configuration, so a condition outlives a reload
 *   for as long as the sessions that use it.
 *
 *   The stop function is called just before a stage's event would be
 *   sent to a child that carries the condition, after the MTA's macros
 *   for the stage are in the child's macro set, also when the child
 *   negotiated not to get that event. TRUE stops the child (what that
 *   means at each stage is milter_manager_reply_rules_child_effect with
 *   MILTER_STATUS_STOP). The event gives the stage's arguments.
 *
 *   A stop function that cannot answer at once (a DNS lookup, Ruby code
 *   run off the event loop) may, at any stage, call
 *   milter_manager_condition_context_defer() and return: the engine
 *   then holds that child's event, and only that session's reply, until
 *   milter_manager_condition_ticket_answer() is called from the event
 *   loop; the child's remaining conditions then run and, unless one
 *   stops it, the event is sent. At a message stage the child waits
 *   where it is, as for a reply; the children after it wait for it.
 *   The condition bounds its own wait. Answering a ticket whose session
 *   moved on (quit, abort, the child failed) is harmless.
 *
 *   A binding whose calls have a fixed cost (Ruby) can set a batch
 *   function: the engine then asks all of a child's consecutive
 *   conditions of that binding in one call per stage.
 *
 *   A MilterManagerConditionContext is one child of one session as a
 *   condition sees it, valid only during the stop call: its name, the
 *   macros it would be sent (get_macro looks at the current stage, then
 *   the earlier ones, with or without braces), set_macro (adds to the
 *   current stage's set: it goes out with the event, filtered by the
 *   child's macro lists; the MTA's next definition of the stage replaces
 *   it), the other children of the session (find), their last status and
 *   whether they have quit, the number of sessions of this process, and
 *   the session's mail-transaction shelf (a key -> bytes store shared by
 *   every child's conditions, emptied at each MAIL FROM and message end).
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-protocol.h>
#include <milter/core/milter-status.h>
#include <milter/server/milter-server-reply-rules.h>

G_BEGIN_DECLS

typedef struct _MilterManagerApplicableCondition MilterManagerApplicableCondition;
/* A slot of the children module, seen through the functions below. */
typedef struct _MilterManagerConditionContext MilterManagerConditionContext;

#define MILTER_MANAGER_CONDITION_STAGE(state) (1u << (state))

/* The arguments of a stage; unused fields are NULL/0. */
typedef struct {
  MilterServerState stage;
  const gchar *host;        /* connect: the name the MTA reports */
  MilterFamily family;      /* connect */
  guint16 port;             /* connect */
  const gchar *address;     /* connect: the client address (or path) */
  const gchar *text;        /* helo: fqdn; envelope-from/-recipient: the
                             * address as sent; header: the name */
  const gchar *value;       /* header: the value */
  const guint8 *chunk;      /* body: the chunk sent to the child */
  gsize size;
} MilterManagerStopperEvent;

typedef gboolean (*MilterManagerStopFunc) (MilterManagerApplicableCondition *condition,
                                           MilterManagerConditionContext *context,
                                           const MilterManagerStopperEvent *event,
                                           gpointer user_data);

/* stages: MILTER_MANAGER_CONDITION_STAGE bits; 0 (no stopper) means the
 * condition is never called. */
MilterManagerApplicableCondition *
milter_manager_applicable_condition_new (const gchar *name,
                                         guint stages,
                                         MilterManagerStopFunc stop,
                                         gpointer user_data,
                                         GDestroyNotify destroy);
MilterManagerApplicableCondition *
milter_manager_applicable_condition_ref (MilterManagerApplicableCondition *condition);
void milter_manager_applicable_condition_unref (MilterManagerApplicableCondition *condition);
const gchar *
milter_manager_applicable_condition_get_name (MilterManagerApplicableCondition *condition);
void milter_manager_applicable_condition_set_description (MilterManagerApplicableCondition *condition,
                                                          const gchar *description);
const gchar *
milter_manager_applicable_condition_get_description (MilterManagerApplicableCondition *condition);
gboolean milter_manager_applicable_condition_has_stopper (MilterManagerApplicableCondition *condition,
                                                          MilterServerState stage);
gboolean milter_manager_applicable_condition_stop (MilterManagerApplicableCondition *condition,
                                                   MilterManagerConditionContext *context,
                                                   const MilterManagerStopperEvent *event);
/* (transfer none): the user_data given to new(). */
gpointer milter_manager_applicable_condition_get_user_data (MilterManagerApplicableCondition *condition);

/* One call for several conditions of a binding: when a child's
 * consecutive conditions with stoppers for the stage share the same
 * batch function, the engine calls it once with all of them (in order)
 * instead of each stop function. Returns the index of the first one
 * that stops the child, or -1. A batch that defers answers with
 * milter_manager_condition_ticket_answer_batch(). */
typedef gint (*MilterManagerBatchStopFunc) (MilterManagerApplicableCondition *const *conditions,
                                            guint n_conditions,
                                            MilterManagerConditionContext *context,
                                            const MilterManagerStopperEvent *event);
void milter_manager_applicable_condition_set_batch (MilterManagerApplicableCondition *condition,
                                                    MilterManagerBatchStopFunc batch);
MilterManagerBatchStopFunc
milter_manager_applicable_condition_get_batch (MilterManagerApplicableCondition *condition);

/* The define-macro command whose set a stage's macros live in, or 0. */
guint8 milter_manager_condition_stage_macro_command (MilterServerState stage);
/* "auth_type" and "{auth_type}" name the same macro; single letters
 * stay bare. Returns the wire form (free it). */
gchar *milter_manager_condition_macro_wire_name (const gchar *name);

const gchar *milter_manager_condition_context_get_name (MilterManagerConditionContext *context);
/* The session's id, for its log lines. */
guint64 milter_manager_condition_context_get_session_id (MilterManagerConditionContext *context);
/* The session's event loop, for a condition that answers later. */
MilterEventLoop *
milter_manager_condition_context_get_event_loop (MilterManagerConditionContext *context);
/* The stage the session is at (the stopper's stage during a call). */
MilterServerState milter_manager_condition_context_get_stage (MilterManagerConditionContext *context);
/* (nullable) */
const gchar *milter_manager_condition_context_get_macro (MilterManagerConditionContext *context,
                                                         const gchar *name);
void milter_manager_condition_context_set_macro (MilterManagerConditionContext *context,
                                                 const gchar *name,
                                                 const gchar *value);
/* Another child of the same session by its milter name (nullable). */
MilterManagerConditionContext *
milter_manager_condition_context_find (MilterManagerConditionContext *context,
                                       const gchar *name);
/* The child's last status: its last reply, STOP when a condition stopped
 * it, NOT_CHANGE before any. */
MilterStatus milter_manager_condition_context_get_status (MilterManagerConditionContext *context);
gboolean milter_manager_condition_context_is_quitted (MilterManagerConditionContext *context);
guint milter_manager_condition_context_get_n_processing_sessions (MilterManagerConditionContext *context);
/* (nullable) (transfer none) */
GBytes *milter_manager_condition_context_shelf_get (MilterManagerConditionContext *context,
                                                    const gchar *key);
/* value NULL removes the key. */
void milter_manager_condition_context_shelf_set (MilterManagerConditionContext *context,
                                                 const gchar *key,
                                                 GBytes *value);
/* (transfer container): the keys, in no order. */
GPtrArray *milter_manager_condition_context_shelf_keys (MilterManagerConditionContext *context);

typedef struct _MilterManagerConditionTicket MilterManagerConditionTicket;
/* During a stop call: the answer comes later (the return value is then
 * ignored). (transfer full) (nullable): NULL outside a stop call. */
MilterManagerConditionTicket *
milter_manager_condition_context_defer (MilterManagerConditionContext *context);
/* From the event loop, once. */
void milter_manager_condition_ticket_answer (MilterManagerConditionTicket *ticket,
                                             gboolean stop);
/* A batch's late answer: the index in its group of the condition that
 * stops the child, or -1. */
void milter_manager_condition_ticket_answer_batch (MilterManagerConditionTicket *ticket,
                                                   gint stopper);
void milter_manager_condition_ticket_free (MilterManagerConditionTicket *ticket);
/* For code that runs the deferred call later (off the loop, while the
 * loop is not running): the context the ticket was taken for, as it was
 * during the stop call (its stage), or NULL once the ticket was
 * answered or its child left the session. */
MilterManagerConditionContext *
milter_manager_condition_ticket_enter (MilterManagerConditionTicket *ticket);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerConditionTicket,
                               milter_manager_condition_ticket_free)

G_END_DECLS

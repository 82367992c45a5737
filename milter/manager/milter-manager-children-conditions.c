/*
 * milter-manager-children-conditions.c - applicable conditions in one
 * session: which conditions each child carries, calling their stoppers
 * before an event goes to the child, what a stop does to it
 * (applicable-conditions.md §1.1, decided by
 * milter_manager_reply_rules_child_effect), and the context a stopper
 * sees (milter-manager-applicable-condition.h).
 */
#include "config.h"

#include <string.h>

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-children-private.h>

/* MTA sessions of this process: children objects still facing an MTA. */
static gint n_processing_sessions = 0;

void
_milter_manager_children_count_session (MilterManagerChildren *children,
                                        gboolean counted)
{
  if (children->counted_session == counted)
    return;
  children->counted_session = counted;
  if (counted)
    g_atomic_int_inc (&n_processing_sessions);
  else
    g_atomic_int_add (&n_processing_sessions, -1);
}

void
_milter_manager_children_attach_conditions (MilterManagerSlot *slot)
{
  MilterManagerEgg *egg = milter_manager_child_get_egg (slot->child);
  const gchar *const *names = milter_manager_egg_get_applicable_conditions (egg);

  for (guint i = 0; names[i]; i++) {
    MilterManagerApplicableCondition *condition =
      milter_manager_configuration_find_applicable_condition (slot->children->configuration,
                                                              names[i]);

    /* The language checks names when they are assigned; one that did
     * not reach the engine, or has no stopper, has nothing to do. */
    if (!condition)
      continue;
    if (!slot->conditions)
      slot->conditions = g_ptr_array_new ();
    g_ptr_array_add (slot->conditions, condition);
  }
}

static guint64
tag_of (MilterManagerSlot *slot)
{
  return milter_agent_get_session_id (
    MILTER_AGENT (milter_manager_child_get_context (slot->child)));
}

/* What the stop does to the child, as the reply rules say. */
static void
take_out (MilterManagerSlot *slot, MilterServerState stage)
{
  MilterManagerChildren *children = slot->children;
  MilterStatus counted =
    milter_manager_reply_rules_count (stage, MILTER_STATUS_STOP,
                                      milter_manager_child_get_fallback_status (slot->child),
                                      FALSE);

  milter_manager_child_note_stop (slot->child, stage);
  if (counted != MILTER_STATUS_NOT_CHANGE)
    g_array_append_val (children->counted, counted);
  switch (milter_manager_reply_rules_child_effect (stage, MILTER_STATUS_STOP,
                                                   FALSE)) {
  case MILTER_MANAGER_CHILD_EFFECT_QUITS:
    slot->in_connection = slot->in_message = FALSE;
    milter_manager_child_quit (slot->child);
    break;
  case MILTER_MANAGER_CHILD_EFFECT_LEAVES_MESSAGE:
    /* Stopped at MAIL FROM it was sent nothing of this message. */
    if (stage != MILTER_SERVER_STATE_ENVELOPE_FROM)
      milter_manager_child_abort (slot->child);
    slot->in_message = FALSE;
    break;
  case MILTER_MANAGER_CHILD_EFFECT_STAYS:
    /* A stopped recipient is not shown to the child, which keeps its
     * part in the message (§1.1, issue #145): it must not look like a
     * child that refused all of its recipients at DATA. */
    if (!children->rejected_recipient)
      slot->n_accepted++;
    break;
  case MILTER_MANAGER_CHILD_EFFECT_INVALID_STATE:
  default:
    milter_error (children->session_id,
                  "[children][error][invalid-state][stopped] [%" G_GUINT64_FORMAT "] %s: %s",
                  tag_of (slot), milter_manager_child_get_name (slot->child),
                  milter_server_state_to_string (stage));
    slot->in_connection = slot->in_message = FALSE;
    milter_manager_child_quit (slot->child);
    break;
  }
}

static void
log_start (MilterManagerSlot *slot, MilterServerState stage,
           MilterManagerApplicableCondition *condition)
{
  milter_debug (slot->children->session_id,
                "[server][stop-on-%s][start] [%" G_GUINT64_FORMAT "] %s: %s",
                milter_server_state_to_string (stage), tag_of (slot),
                milter_manager_child_get_name (slot->child),
                milter_manager_applicable_condition_get_name (condition));
}

static void
log_answer (MilterManagerSlot *slot, MilterServerState stage,
            MilterManagerApplicableCondition *condition, gboolean stop)
{
  milter_debug (slot->children->session_id,
                "[server][stop-on-%s][end] [%" G_GUINT64_FORMAT "] %s: %s: stop=%s",
                milter_server_state_to_string (stage), tag_of (slot),
                milter_manager_child_get_name (slot->child),
                milter_manager_applicable_condition_get_name (condition),
                stop ? "true" : "false");
}

static void
stopped (MilterManagerSlot *slot, MilterServerState stage)
{
  milter_debug (slot->children->session_id,
                "[server][stop][%s] [%" G_GUINT64_FORMAT "] %s",
                milter_server_state_to_string (stage), tag_of (slot),
                milter_manager_child_get_name (slot->child));
  take_out (slot, stage);
}

/* The conditions from the first-th on that share its batch function
 * and have a stopper for the stage, into group; returns where the
 * others start. */
static guint
batch_group (MilterManagerSlot *slot, MilterServerState stage, guint first,
             MilterManagerApplicableCondition **group, guint *n)
{
  MilterManagerApplicableCondition *head = g_ptr_array_index (slot->conditions, first);
  MilterManagerBatchStopFunc batch = milter_manager_applicable_condition_get_batch (head);
  guint i;

  *n = 0;
  for (i = first; i < slot->conditions->len; i++) {
    MilterManagerApplicableCondition *condition = g_ptr_array_index (slot->conditions, i);

    if (!milter_manager_applicable_condition_has_stopper (condition, stage))
      continue;
    if (milter_manager_applicable_condition_get_batch (condition) != batch)
      break;
    group[(*n)++] = condition;
  }
  return i;
}

/* The answer of the conditions first..next-1 (a batch, or one
 * condition: next = first + 1): stopper is the index in the group of
 * the one that stops the child, or -1. */
static void
log_answers (MilterManagerSlot *slot, MilterServerState stage, guint first,
             guint next, gint stopper)
{
  gint k = 0;

  for (guint i = first; i < next && (stopper < 0 || k <= stopper); i++) {
    MilterManagerApplicableCondition *condition = g_ptr_array_index (slot->conditions, i);

    if (next > first + 1 &&
        !milter_manager_applicable_condition_has_stopper (condition, stage))
      continue;
    log_answer (slot, stage, condition, k == stopper);
    k++;
  }
}

/* One call: the batch from first on, or the first-th condition alone.
 * Sets *next to where the remaining conditions start. Returns the
 * stopping index in the call's group, -1 for "don't stop", or -2 when
 * the answer comes later (a ticket is out). */
static gint
ask (MilterManagerSlot *slot, const MilterManagerStopperEvent *event,
     guint first, guint *next)
{
  MilterManagerApplicableCondition *condition = g_ptr_array_index (slot->conditions, first);
  MilterManagerBatchStopFunc batch = milter_manager_applicable_condition_get_batch (condition);
  gint stopper;

  slot->children->condition_stage = event->stage;
  slot->in_stop_call = TRUE;
  if (batch) {
    MilterManagerApplicableCondition **group =
      g_newa (MilterManagerApplicableCondition *, slot->conditions->len);
    guint n;

    *next = batch_group (slot, event->stage, first, group, &n);
    for (guint k = 0; k < n; k++)
      log_start (slot, event->stage, group[k]);
    stopper = batch (group, n, slot, event);
    if (stopper >= (gint) n)
      stopper = -1;
  } else {
    *next = first + 1;
    log_start (slot, event->stage, condition);
    stopper = milter_manager_applicable_condition_stop (condition, slot, event) ? 0 : -1;
  }
  slot->in_stop_call = FALSE;
  if (slot->ticket && !slot->early_answer) {
    slot->pending_condition = first;
    slot->pending_next = *next;
    return -2;
  }
  if (slot->early_answer) {
    stopper = slot->early_answer - 2;
    slot->early_answer = 0;
  }
  log_answers (slot, event->stage, first, *next, stopper);
  return stopper;
}

/* The slot's conditions from the first-th on, until one stops it or
 * defers its answer. */
static MilterManagerStopperOutcome
run_from (MilterManagerSlot *slot, const MilterManagerStopperEvent *event,
          guint first)
{
  guint next;

  for (guint i = first; i < slot->conditions->len; i = next) {
    MilterManagerApplicableCondition *condition =
      g_ptr_array_index (slot->conditions, i);
    gint stopper;

    next = i + 1;
    if (!milter_manager_applicable_condition_has_stopper (condition, event->stage))
      continue;
    stopper = ask (slot, event, i, &next);
    if (stopper == -2)
      return MILTER_MANAGER_STOPPER_PENDING;
    if (stopper >= 0) {
      stopped (slot, event->stage);
      return MILTER_MANAGER_STOPPER_STOPPED;
    }
  }
  return MILTER_MANAGER_STOPPER_GO;
}

MilterManagerStopperOutcome
_milter_manager_children_stop (MilterManagerSlot *slot,
                               const MilterManagerStopperEvent *event)
{
  guint first = slot->resume_from;

  if (!slot->conditions)
    return MILTER_MANAGER_STOPPER_GO;
  /* After a late "don't stop", the conditions after the one that
   * deferred: set only for the event it deferred. */
  slot->resume_from = 0;
  return run_from (slot, event, first);
}

/* ---- deferred answers ---------------------------------------------------- */

struct _MilterManagerConditionTicket {
  MilterManagerSlot *slot;   /* NULL once answered or the slot is gone */
  MilterServerState stage;
  guint serial;              /* of the event (envelope) or the message */
};

static guint
serial_of (MilterManagerChildren *children, MilterServerState stage)
{
  return _milter_manager_children_is_message_stage (stage) ?
    children->message_serial : children->event_serial;
}

MilterManagerConditionTicket *
milter_manager_condition_context_defer (MilterManagerConditionContext *context)
{
  MilterManagerConditionTicket *ticket;
  MilterServerState stage = context->children->condition_stage;

  if (!context->in_stop_call || context->ticket)
    return NULL;
  ticket = g_new0 (MilterManagerConditionTicket, 1);
  ticket->slot = context;
  ticket->stage = stage;
  ticket->serial = serial_of (context->children, stage);
  context->ticket = ticket;
  return ticket;
}

void
_milter_manager_children_forget_ticket (MilterManagerSlot *slot)
{
  if (slot->ticket)
    slot->ticket->slot = NULL;
  slot->ticket = NULL;
}

/* Is the session still where the ticket was taken, waiting for it? */
static gboolean
still_waited_for (MilterManagerConditionTicket *ticket)
{
  MilterManagerSlot *slot = ticket->slot;
  MilterManagerChildren *children = slot->children;

  if (ticket->serial != serial_of (children, ticket->stage))
    return FALSE;
  if (_milter_manager_children_is_message_stage (ticket->stage))
    return slot->in_message && milter_manager_child_is_alive (slot->child);
  return slot->in_fanout && children->stage == ticket->stage;
}

void
milter_manager_condition_ticket_answer_batch (MilterManagerConditionTicket *ticket,
                                              gint stopper)
{
  MilterManagerSlot *slot = ticket->slot;
  MilterServerState stage = ticket->stage;
  gboolean waited_for;

  if (!slot)
    return;
  waited_for = !slot->in_stop_call && still_waited_for (ticket);
  _milter_manager_children_forget_ticket (slot);
  if (slot->in_stop_call) {
    /* Answered before the stop function returned: as if returned. */
    slot->early_answer = MAX (stopper, -1) + 2;
    return;
  }
  /* The session moved on (quit, abort, the child failed): nobody waits. */
  if (!waited_for)
    return;
  log_answers (slot, stage, slot->pending_condition, slot->pending_next, stopper);
  if (stopper >= 0) {
    stopped (slot, stage);
  } else {
    slot->resume_from = slot->pending_next;
  }
  _milter_manager_children_resume (slot, stage, stopper >= 0);
}

void
milter_manager_condition_ticket_answer (MilterManagerConditionTicket *ticket,
                                        gboolean stop)
{
  milter_manager_condition_ticket_answer_batch (ticket, stop ? 0 : -1);
}

MilterManagerConditionContext *
milter_manager_condition_ticket_enter (MilterManagerConditionTicket *ticket)
{
  if (!ticket->slot)
    return NULL;
  ticket->slot->children->condition_stage = ticket->stage;
  return ticket->slot;
}

void
milter_manager_condition_ticket_free (MilterManagerConditionTicket *ticket)
{
  if (!ticket)
    return;
  /* Dropped unanswered: the child is not kept waiting for ever. */
  milter_manager_condition_ticket_answer (ticket, FALSE);
  g_free (ticket);
}

/* ---- the context a stopper sees ----------------------------------------- */

const gchar *
milter_manager_condition_context_get_name (MilterManagerConditionContext *context)
{
  return milter_manager_child_get_name (context->child);
}

guint64
milter_manager_condition_context_get_session_id (MilterManagerConditionContext *context)
{
  return context->children->session_id;
}

MilterEventLoop *
milter_manager_condition_context_get_event_loop (MilterManagerConditionContext *context)
{
  return context->children->loop;
}

MilterServerState
milter_manager_condition_context_get_stage (MilterManagerConditionContext *context)
{
  return context->children->condition_stage;
}

/* The define-macro commands in the order of a session's stages. */
static const guint8 stage_commands[] = {
  MILTER_COMMAND_CONNECT, MILTER_COMMAND_HELO, MILTER_COMMAND_ENVELOPE_FROM,
  MILTER_COMMAND_ENVELOPE_RECIPIENT, MILTER_COMMAND_DATA,
  MILTER_COMMAND_HEADER, MILTER_COMMAND_END_OF_HEADER, MILTER_COMMAND_BODY,
  MILTER_COMMAND_END_OF_MESSAGE
};

static const gchar *
lookup (MilterServerContext *server, guint8 command, const gchar *wire)
{
  const gchar *const *names;
  const gchar *const *values;
  guint n = milter_server_context_get_macros (server, command, &names, &values);

  for (guint i = 0; i < n; i++)
    if (strcmp (names[i], wire) == 0)
      return values[i];
  return NULL;
}

const gchar *
milter_manager_condition_context_get_macro (MilterManagerConditionContext *context,
                                            const gchar *name)
{
  MilterServerContext *server = milter_manager_child_get_context (context->child);
  guint8 current =
    milter_manager_condition_stage_macro_command (context->children->condition_stage);
  g_autofree gchar *wire = milter_manager_condition_macro_wire_name (name);
  gint last = (gint) G_N_ELEMENTS (stage_commands) - 1;

  /* The current stage first, then the earlier ones (unknown: all). */
  for (gint i = 0; i < (gint) G_N_ELEMENTS (stage_commands); i++)
    if (stage_commands[i] == current)
      last = i;
  if (current == MILTER_COMMAND_UNKNOWN) {
    const gchar *value = lookup (server, current, wire);
    if (value)
      return value;
  }
  for (gint i = last; i >= 0; i--) {
    const gchar *value = lookup (server, stage_commands[i], wire);
    if (value)
      return value;
  }
  return NULL;
}

void
milter_manager_condition_context_set_macro (MilterManagerConditionContext *context,
                                            const gchar *name,
                                            const gchar *value)
{
  MilterServerContext *server = milter_manager_child_get_context (context->child);
  guint8 command =
    milter_manager_condition_stage_macro_command (context->children->condition_stage);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *wire = milter_manager_condition_macro_wire_name (name);
  const gchar *const *old_names;
  const gchar *const *old_values;
  guint n;

  if (command == 0)
    return;
  /* Copied first: set_macros frees the vectors it replaces. */
  n = milter_server_context_get_macros (server, command, &old_names, &old_values);
  for (guint i = 0; i < n; i++) {
    if (strcmp (old_names[i], wire) == 0)
      continue;
    g_ptr_array_add (names, g_strdup (old_names[i]));
    g_ptr_array_add (values, g_strdup (old_values[i]));
  }
  g_ptr_array_add (names, g_steal_pointer (&wire));
  g_ptr_array_add (values, g_strdup (value ? value : ""));
  milter_server_context_set_macros (server, command,
                                    (const gchar *const *) names->pdata,
                                    (const gchar *const *) values->pdata,
                                    names->len);
}

MilterManagerConditionContext *
milter_manager_condition_context_find (MilterManagerConditionContext *context,
                                       const gchar *name)
{
  GPtrArray *slots = context->children->slots;

  for (guint i = 0; i < slots->len; i++) {
    MilterManagerSlot *slot = g_ptr_array_index (slots, i);

    if (g_str_equal (milter_manager_child_get_name (slot->child), name))
      return slot;
  }
  return NULL;
}

MilterStatus
milter_manager_condition_context_get_status (MilterManagerConditionContext *context)
{
  return milter_manager_child_get_last_status (context->child);
}

gboolean
milter_manager_condition_context_is_quitted (MilterManagerConditionContext *context)
{
  return !context->in_connection;
}

guint
milter_manager_condition_context_get_n_processing_sessions (MilterManagerConditionContext *context)
{
  (void) context;
  return (guint) g_atomic_int_get (&n_processing_sessions);
}

GBytes *
milter_manager_condition_context_shelf_get (MilterManagerConditionContext *context,
                                            const gchar *key)
{
  GHashTable *shelf = context->children->shelf;

  return shelf ? g_hash_table_lookup (shelf, key) : NULL;
}

void
milter_manager_condition_context_shelf_set (MilterManagerConditionContext *context,
                                            const gchar *key,
                                            GBytes *value)
{
  MilterManagerChildren *children = context->children;

  if (!value) {
    if (children->shelf)
      g_hash_table_remove (children->shelf, key);
    return;
  }
  if (!children->shelf)
    children->shelf = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) g_bytes_unref);
  g_hash_table_replace (children->shelf, g_strdup (key), g_bytes_ref (value));
}

GPtrArray *
milter_manager_condition_context_shelf_keys (MilterManagerConditionContext *context)
{
  GHashTable *shelf = context->children->shelf;
  GPtrArray *keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  if (!shelf)
    return keys;
  g_hash_table_iter_init (&iter, shelf);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  return keys;
}

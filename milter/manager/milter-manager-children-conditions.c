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

/* The conditions from the first-th on that share its batch function,
 * asked in one call; *next: where the others start. TRUE: one stopped. */
static gboolean
run_batch (MilterManagerSlot *slot, const MilterManagerStopperEvent *event,
           guint first, guint *next)
{
  MilterManagerApplicableCondition *head = g_ptr_array_index (slot->conditions, first);
  MilterManagerBatchStopFunc batch = milter_manager_applicable_condition_get_batch (head);
  MilterManagerApplicableCondition **group =
    g_newa (MilterManagerApplicableCondition *, slot->conditions->len);
  guint n = 0, i;
  gint stopper;

  for (i = first; i < slot->conditions->len; i++) {
    MilterManagerApplicableCondition *condition = g_ptr_array_index (slot->conditions, i);

    if (!milter_manager_applicable_condition_has_stopper (condition, event->stage))
      continue;
    if (milter_manager_applicable_condition_get_batch (condition) != batch)
      break;
    group[n++] = condition;
  }
  *next = i;
  slot->children->condition_stage = event->stage;
  slot->in_stop_call = TRUE;
  stopper = batch (group, n, slot, event);
  slot->in_stop_call = FALSE;
  /* A batch answers at once: a ticket taken anyway answers nobody. */
  _milter_manager_children_forget_ticket (slot);
  slot->early_answer = 0;
  for (guint k = 0; k < n && (stopper < 0 || k <= (guint) stopper); k++)
    log_answer (slot, event->stage, group[k], (gint) k == stopper);
  return stopper >= 0 && (guint) stopper < n;
}

/* The slot's conditions from the first-th on, until one stops it or
 * defers its answer. */
static MilterManagerStopperOutcome
run_from (MilterManagerSlot *slot, const MilterManagerStopperEvent *event,
          guint first)
{
  for (guint i = first; i < slot->conditions->len; i++) {
    MilterManagerApplicableCondition *condition =
      g_ptr_array_index (slot->conditions, i);
    gboolean stop;

    if (!milter_manager_applicable_condition_has_stopper (condition, event->stage))
      continue;
    if (milter_manager_applicable_condition_get_batch (condition)) {
      guint next;

      if (run_batch (slot, event, i, &next)) {
        stopped (slot, event->stage);
        return MILTER_MANAGER_STOPPER_STOPPED;
      }
      i = next - 1;
      continue;
    }
    slot->children->condition_stage = event->stage;
    slot->in_stop_call = TRUE;
    stop = milter_manager_applicable_condition_stop (condition, slot, event);
    slot->in_stop_call = FALSE;
    if (slot->ticket && !slot->early_answer) {
      slot->pending_condition = i;
      return MILTER_MANAGER_STOPPER_PENDING;
    }
    if (slot->early_answer) {
      stop = slot->early_answer == 2;
      slot->early_answer = 0;
    }
    log_answer (slot, event->stage, condition, stop);
    if (stop) {
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
  if (!slot->conditions)
    return MILTER_MANAGER_STOPPER_GO;
  return run_from (slot, event, 0);
}

/* ---- deferred answers (connect) ------------------------------------------ */

struct _MilterManagerConditionTicket {
  MilterManagerSlot *slot;   /* NULL once answered or the slot is gone */
};

MilterManagerConditionTicket *
milter_manager_condition_context_defer (MilterManagerConditionContext *context)
{
  MilterManagerConditionTicket *ticket;

  if (!context->in_stop_call || context->ticket ||
      context->children->condition_stage != MILTER_SERVER_STATE_CONNECT)
    return NULL;
  ticket = g_new0 (MilterManagerConditionTicket, 1);
  ticket->slot = context;
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

void
milter_manager_condition_ticket_answer (MilterManagerConditionTicket *ticket,
                                        gboolean stop)
{
  MilterManagerSlot *slot = ticket->slot;
  MilterManagerChildren *children;
  MilterManagerStopperEvent event = { .stage = MILTER_SERVER_STATE_CONNECT };
  MilterManagerStopperOutcome outcome;

  if (!slot)
    return;
  _milter_manager_children_forget_ticket (slot);
  if (slot->in_stop_call) {
    /* Answered before the stop function returned: as if returned. */
    slot->early_answer = stop ? 2 : 1;
    return;
  }
  children = slot->children;
  /* The session moved on (quit, the child failed): nobody waits. */
  if (!slot->in_fanout || children->stage != MILTER_SERVER_STATE_CONNECT)
    return;
  log_answer (slot, MILTER_SERVER_STATE_CONNECT,
              g_ptr_array_index (slot->conditions, slot->pending_condition), stop);
  if (stop) {
    stopped (slot, MILTER_SERVER_STATE_CONNECT);
    outcome = MILTER_MANAGER_STOPPER_STOPPED;
  } else {
    event.host = children->held_connect_host;
    event.family = children->held_connect_family;
    event.port = children->held_connect_port;
    event.address = children->held_connect_address;
    outcome = run_from (slot, &event, slot->pending_condition + 1);
    if (outcome == MILTER_MANAGER_STOPPER_PENDING)
      return;
  }
  _milter_manager_children_resume_connect (slot,
                                           outcome == MILTER_MANAGER_STOPPER_STOPPED);
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

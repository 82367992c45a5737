/*
 * milter-manager-children.c - one session's children: creation at
 * negotiate, the negotiate reply, envelope fan-out and its combined
 * reply, abort and quit. The message stages are in
 * milter-manager-children-message.c. See milter-manager-children.h.
 */
#include "config.h"

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-children-private.h>

static void slot_negotiated (MilterManagerChild *child, gpointer user_data);
static void slot_reply (MilterManagerChild *child, MilterStatus status,
                        const gchar *reply_code, gpointer user_data);
static void slot_progress (MilterManagerChild *child, gpointer user_data);
static void slot_modification (MilterManagerChild *child,
                               const MilterManagerModification *m,
                               gpointer user_data);
static void slot_failed (MilterManagerChild *child, gpointer user_data);
static void drop_held_event (MilterManagerChildren *children);

static const MilterManagerChildCallbacks child_callbacks = {
  slot_negotiated, slot_reply, slot_progress, slot_modification, slot_failed
};

static void
slot_free (gpointer data)
{
  MilterManagerSlot *slot = data;

  _milter_manager_children_forget_ticket (slot);
  milter_manager_child_free (slot->child);
  g_clear_pointer (&slot->conditions, g_ptr_array_unref);
  g_free (slot);
}

MilterManagerChildren *
milter_manager_children_new (MilterManagerConfiguration *configuration,
                             MilterEventLoop *loop,
                             guint64 session_id,
                             const MilterManagerChildrenCallbacks *callbacks,
                             gpointer user_data)
{
  MilterManagerChildren *children = g_new0 (MilterManagerChildren, 1);

  children->configuration = g_object_ref (configuration);
  children->loop = g_object_ref (loop);
  children->session_id = session_id;
  children->callbacks = callbacks;
  children->user_data = user_data;
  children->slots = g_ptr_array_new_with_free_func (slot_free);
  children->counted = g_array_new (FALSE, FALSE, sizeof (MilterStatus));
  children->negotiation_fallback = MILTER_STATUS_NOT_CHANGE;
  children->store = milter_manager_message_store_new (
    milter_manager_configuration_get_body_memory_threshold (configuration),
    milter_manager_configuration_get_temporary_directory (configuration));
  _milter_manager_children_count_session (children, TRUE);
  return children;
}

static void
stop_negotiation_timers (MilterManagerChildren *children)
{
  if (children->negotiation_timeout_id)
    milter_event_loop_remove (children->loop, children->negotiation_timeout_id);
  if (children->idle_id)
    milter_event_loop_remove (children->loop, children->idle_id);
  children->negotiation_timeout_id = children->idle_id = 0;
}

void
milter_manager_children_free (MilterManagerChildren *children)
{
  if (!children)
    return;
  stop_negotiation_timers (children);
  _milter_manager_children_count_session (children, FALSE);
  g_ptr_array_unref (children->slots);
  g_array_unref (children->counted);
  milter_manager_reply_codes_clear (&children->codes);
  /* Frees the body and closes its unlinked file, also after an error. */
  milter_manager_message_store_free (children->store);
  g_clear_pointer (&children->end_of_message_data, g_bytes_unref);
  g_free (children->change_from);
  g_free (children->change_from_args);
  g_free (children->quarantine);
  g_free (children->held_connect_host);
  g_free (children->held_connect_address);
  drop_held_event (children);
  g_free (children->call_reply_code);
  g_object_unref (children->loop);
  g_object_unref (children->configuration);
  g_free (children);
}

#define SLOT(children, i) \
  ((MilterManagerSlot *) g_ptr_array_index ((children)->slots, (i)))

/* ---- negotiation (manager-behaviour.md §1) ---------------------------- */

static MilterStatus envelope_connect (MilterManagerChildren *children);

static void
finish_negotiation (MilterManagerChildren *children)
{
  g_autofree MilterOption *options = NULL;
  g_autofree const MilterMacrosRequests **requests = NULL;
  g_autoptr (MilterMacrosRequests) macros = NULL;
  MilterOption reply;
  MilterStatus fallback = MILTER_STATUS_NOT_CHANGE;
  guint n = 0;

  if (!children->negotiating)
    return;
  for (guint i = 0; i < children->slots->len; i++)
    if (milter_manager_child_is_negotiating (SLOT (children, i)->child))
      return;
  children->negotiating = FALSE;
  stop_negotiation_timers (children);

  options = g_new0 (MilterOption, children->slots->len + 1);
  requests = g_new0 (const MilterMacrosRequests *, children->slots->len + 1);
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);
    MilterStatus child_fallback;

    if (slot->in_connection) {
      options[n] = *milter_manager_child_get_option (slot->child);
      requests[n] = milter_manager_child_get_macros_requests (slot->child);
      n++;
      continue;
    }
    /* The most severe fallback of the children that failed (D5). */
    child_fallback = milter_manager_child_get_fallback_status (slot->child);
    if (child_fallback != MILTER_STATUS_ACCEPT)
      fallback = milter_status_merge (fallback, child_fallback);
  }
  milter_manager_reply_rules_negotiate_reply (&children->mta_offer, options,
                                              n, &reply);
  macros = milter_manager_reply_rules_negotiate_macros (&reply, requests, n);
  if (fallback != MILTER_STATUS_NOT_CHANGE) {
    for (guint i = 0; i < children->slots->len; i++) {
      SLOT (children, i)->in_connection = FALSE;
      milter_manager_child_drop (SLOT (children, i)->child);
    }
    children->negotiation_fallback = fallback;
  }

  if (children->connect_held) {
    /* Children re-created after quit-new-connection: the held connect
     * goes out now and its answer is the reply. */
    MilterStatus status;

    children->connect_held = FALSE;
    children->in_call = TRUE;
    status = envelope_connect (children);
    children->in_call = FALSE;
    if (status != MILTER_STATUS_NOT_CHANGE)
      children->callbacks->reply (status, NULL, children->user_data);
    return;
  }
  if (n == 0 && children->slots->len > 0 &&
      fallback == MILTER_STATUS_NOT_CHANGE) {
    milter_error (children->session_id,
                  "[children][error][negotiate][no-response] "
                  "no child milter answered the negotiation");
  }
  children->callbacks->negotiated (&reply, macros,
                                   n == 0 && children->slots->len > 0 &&
                                   fallback == MILTER_STATUS_NOT_CHANGE,
                                   children->user_data);
}

static gboolean
negotiation_idle_cb (gpointer user_data)
{
  MilterManagerChildren *children = user_data;

  children->idle_id = 0;
  finish_negotiation (children);
  return FALSE;
}

/* D19: the reply never waits longer than negotiation_timeout. */
static gboolean
negotiation_timeout_cb (gpointer user_data)
{
  MilterManagerChildren *children = user_data;

  children->negotiation_timeout_id = 0;
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);

    if (milter_manager_child_is_negotiating (slot->child))
      milter_manager_child_time_out (slot->child);
  }
  finish_negotiation (children);
  return FALSE;
}

static void
hatch (MilterManagerChildren *children)
{
  GPtrArray *eggs =
    milter_manager_configuration_get_eggs (children->configuration);
  gdouble retry =
    milter_manager_configuration_get_connection_retry_interval (children->configuration);

  g_ptr_array_set_size (children->slots, 0);
  for (guint i = 0; i < eggs->len; i++) {
    MilterManagerEgg *egg = g_ptr_array_index (eggs, i);
    MilterManagerSlot *slot;
    g_autoptr (GError) error = NULL;

    if (!milter_manager_egg_is_enabled (egg) ||
        !milter_manager_egg_check_hatchable (egg, children->session_id, &error))
      continue;
    slot = g_new0 (MilterManagerSlot, 1);
    slot->children = children;
    slot->child = milter_manager_child_new (egg, children->loop,
                                            children->session_id, retry,
                                            &child_callbacks, slot);
    milter_manager_child_set_launcher (slot->child,
      milter_manager_configuration_get_launcher (children->configuration));
    _milter_manager_children_attach_conditions (slot);
    g_ptr_array_add (children->slots, slot);
  }
}

void
milter_manager_children_negotiate (MilterManagerChildren *children,
                                   const MilterOption *mta_offer)
{
  children->mta_offer = *mta_offer;
  children->negotiating = TRUE;
  children->negotiation_fallback = MILTER_STATUS_NOT_CHANGE;
  hatch (children);
  for (guint i = 0; i < children->slots->len; i++)
    milter_manager_child_start (SLOT (children, i)->child, mta_offer);
  children->negotiation_timeout_id =
    milter_event_loop_add_timeout (children->loop,
      milter_manager_configuration_get_negotiation_timeout (children->configuration),
      negotiation_timeout_cb, children, NULL);
  /* Also the "no child" case: the reply goes on the next loop turn. */
  children->idle_id = milter_event_loop_add_idle (children->loop,
                                                  negotiation_idle_cb,
                                                  children, NULL);
}

static void
slot_negotiated (MilterManagerChild *child, gpointer user_data)
{
  MilterManagerSlot *slot = user_data;

  /* Children start only inside a negotiation and a child that misses it
   * is dropped; a negotiate reply outside one is a bug of ours: told,
   * and the child is not taken in. */
  if (!slot->children->negotiating) {
    milter_error (slot->children->session_id,
                  "[children][error][negotiate][not-started] %s: "
                  "negotiate reply while no negotiation is in progress",
                  milter_manager_child_get_name (child));
    return;
  }
  slot->in_connection = TRUE;
  finish_negotiation (slot->children);
}

/* ---- macros (§3) -------------------------------------------------------- */

void
milter_manager_children_set_macros (MilterManagerChildren *children,
                                    guint8 command,
                                    GHashTable *macros)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) values = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  if (macros) {
    g_hash_table_iter_init (&iter, macros);
    while (g_hash_table_iter_next (&iter, &key, &value)) {
      const gchar *name = key;

      /* The client context keeps names without braces; on the wire a
       * long name has them. */
      g_ptr_array_add (names, strlen (name) > 1 ?
                       g_strdup_printf ("{%s}", name) : g_strdup (name));
      g_ptr_array_add (values, value);
    }
  }
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);

    if (!milter_manager_child_is_alive (slot->child))
      continue;
    milter_server_context_set_macros (milter_manager_child_get_context (slot->child),
                                      command,
                                      (const gchar *const *) names->pdata,
                                      (const gchar *const *) values->pdata,
                                      names->len);
  }
}

/* ---- answering the MTA --------------------------------------------------- */

/* Inside an event function the answer is its return value; later it goes
 * through the reply callback. Either way, exactly once. */
void
_milter_manager_children_answer (MilterManagerChildren *children,
                                 MilterStatus status,
                                 MilterStatus *result)
{
  const gchar *code = milter_manager_reply_codes_lookup (&children->codes,
                                                         status);
  g_autofree gchar *text = g_strdup (code);

  /* A code lives for one reply only (D7). */
  milter_manager_reply_codes_clear (&children->codes);
  if (!(children->in_call && result))
    children->answer_owed = FALSE;
  if (children->emulating_data && !(children->in_call && result) &&
      _milter_manager_children_resume_held (children, status))
    return;
  if (children->in_call && result) {
    g_free (children->call_reply_code);
    children->call_reply_code = g_steal_pointer (&text);
    *result = status;
    return;
  }
  if (result)
    *result = MILTER_STATUS_NOT_CHANGE;
  children->callbacks->reply (status, text, children->user_data);
}

/* §1.5 with D2: one fallback answer when nobody is left. */
MilterStatus
_milter_manager_children_no_child (MilterManagerChildren *children,
                                   gboolean message)
{
  if (message) {
    milter_error (children->session_id,
                  "[children][error][message-processing] "
                  "None of milters are processing message.");
    milter_error (children->session_id,
                  "[leader][error] None of milters are processing message.");
  } else {
    milter_error (children->session_id,
                  "[children][error][alive] All milters are no longer alive.");
    milter_error (children->session_id,
                  "[leader][error] All milters are no longer alive.");
  }
  return milter_manager_configuration_get_fallback_status (children->configuration);
}

void
_milter_manager_children_begin (MilterManagerChildren *children,
                                MilterServerState stage)
{
  children->stage = stage;
  g_array_set_size (children->counted, 0);
  children->n_waiting = 0;
  children->event_serial++;
  drop_held_event (children);
}

MilterStatus
_milter_manager_children_take_code (MilterManagerChildren *children,
                                    MilterManagerSlot *slot,
                                    MilterStatus status,
                                    const gchar *reply_code)
{
  g_autoptr (GError) error = NULL;

  if (!reply_code ||
      milter_manager_reply_rules_is_neutralised (status,
        milter_manager_child_is_evaluation_mode (slot->child)))
    return status;
  status = milter_manager_reply_codes_add (&children->codes, reply_code,
                                           &error);
  if (error) {
    /* D3: logged, and the plain status of its first digit is sent. */
    milter_error (children->session_id, "[leader][error][reply-code] %s: %s",
                  error->message, milter_manager_child_get_name (slot->child));
  }
  return status;
}

void
_milter_manager_children_log_invalid_state (MilterManagerChildren *children,
                                            MilterManagerSlot *slot,
                                            MilterServerState stage,
                                            MilterStatus status)
{
  const gchar *state = milter_server_state_to_string (stage);
  const gchar *name = milter_manager_child_get_name (slot->child);
  guint64 tag = milter_agent_get_session_id (
    MILTER_AGENT (milter_manager_child_get_context (slot->child)));

  switch (status) {
  case MILTER_STATUS_ACCEPT:
    milter_error (children->session_id,
                  "[children][error][invalid-state][accept][%s] [%" G_GUINT64_FORMAT "] %s",
                  state, tag, name);
    break;
  case MILTER_STATUS_REJECT:
    milter_error (children->session_id,
                  "[children][error][invalid-state][reject][%s] [%" G_GUINT64_FORMAT "] %s",
                  state, tag, name);
    break;
  case MILTER_STATUS_TEMPORARY_FAILURE:
    milter_error (children->session_id,
                  "[children][error][invalid-state][temporary-failure][%s] [%" G_GUINT64_FORMAT "] %s",
                  state, tag, name);
    break;
  case MILTER_STATUS_DISCARD:
    milter_error (children->session_id,
                  "[children][error][invalid-state][discard][%s] [%" G_GUINT64_FORMAT "] %s",
                  state, tag, name);
    break;
  default:
    milter_error (children->session_id,
                  "[children][error][invalid-state][%s][%s] [%" G_GUINT64_FORMAT "] %s",
                  milter_status_to_string (status), state, tag, name);
    break;
  }
}

/* ---- envelope fan-out (§2) ----------------------------------------------- */

typedef gboolean (*SendFunc) (MilterServerContext *context,
                              MilterManagerChildren *children,
                              const gchar *text, const gchar *const *args,
                              GError **error);

static void
finish_fanout (MilterManagerChildren *children, MilterStatus *result)
{
  MilterServerState stage = children->stage;
  MilterStatus merged;

  drop_held_event (children);
  merged = milter_manager_reply_rules_combine (stage,
                                               (MilterStatus *) children->counted->data,
                                               children->counted->len);
  if (merged == MILTER_STATUS_NOT_CHANGE)
    merged = milter_manager_configuration_get_fallback_status (children->configuration);
  if (milter_manager_reply_rules_aborts_all (stage, merged))
    _milter_manager_children_abort_message (children);
  _milter_manager_children_answer (children, merged, result);
}

static void
count (MilterManagerChildren *children, MilterManagerSlot *slot,
       MilterStatus status)
{
  MilterStatus counted =
    milter_manager_reply_rules_count (children->stage, status,
                                      milter_manager_child_get_fallback_status (slot->child),
                                      milter_manager_child_is_evaluation_mode (slot->child));

  if (counted != MILTER_STATUS_NOT_CHANGE)
    g_array_append_val (children->counted, counted);
}

/* Sends the event to the slot (it then owes the reply), or counts its
 * failure. held: the event was held for a condition's late answer. */
static void
send_to (MilterManagerChildren *children, MilterManagerSlot *slot,
         SendFunc send, const gchar *text, const gchar *const *args,
         gboolean held)
{
  g_autoptr (GError) error = NULL;

  if (!send (milter_manager_child_get_context (slot->child), children, text,
             args, &error)) {
    /* The event held for a condition's answer is the request the
     * manager kept back. */
    if (held)
      milter_error (children->session_id,
                    "[children][error][pending-message-request] %s: the held %s: %s",
                    milter_manager_child_get_name (slot->child),
                    milter_server_state_to_string (children->stage),
                    error->message);
    slot->in_connection = slot->in_message = FALSE;
    milter_manager_child_fail (slot->child, error);
    count (children, slot, MILTER_STATUS_ERROR);
    return;
  }
  milter_manager_child_sent (slot->child);
  slot->in_fanout = TRUE;
  children->n_waiting++;
}

/* A condition answers later: the event is kept for its "don't stop". */
static void
hold_event (MilterManagerChildren *children, SendFunc send,
            const gchar *text, const gchar *const *args)
{
  if (children->held_send)
    return;
  children->held_send = send;
  children->held_text = g_strdup (text);
  children->held_args = g_strdupv ((gchar **) args);
}

static void
drop_held_event (MilterManagerChildren *children)
{
  children->held_send = NULL;
  g_clear_pointer (&children->held_text, g_free);
  g_clear_pointer (&children->held_args, g_strfreev);
}

/* Sends to every slot that want() selects, all at once, unless one of
 * its conditions stops it before event (NULL: none can). */
static MilterStatus
fanout (MilterManagerChildren *children,
        MilterServerState stage,
        gboolean (*want) (MilterManagerSlot *slot),
        SendFunc send,
        const gchar *text,
        const gchar *const *args,
        const MilterManagerStopperEvent *event)
{
  MilterStatus result = MILTER_STATUS_NOT_CHANGE;
  guint n_targets = 0;

  _milter_manager_children_begin (children, stage);
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);

    if (!milter_manager_child_is_alive (slot->child) || !want (slot))
      continue;
    n_targets++;
    if (event && slot->conditions) {
      MilterManagerStopperOutcome outcome =
        _milter_manager_children_stop (slot, event);

      if (outcome == MILTER_MANAGER_STOPPER_STOPPED)
        continue;
      if (outcome == MILTER_MANAGER_STOPPER_PENDING) {
        /* Waited for like a reply; resume_fanout() goes on. */
        hold_event (children, send, text, args);
        slot->in_fanout = TRUE;
        children->n_waiting++;
        continue;
      }
    }
    send_to (children, slot, send, text, args, FALSE);
  }
  if (n_targets == 0)
    return _milter_manager_children_no_child (children,
                                              stage == MILTER_SERVER_STATE_ENVELOPE_RECIPIENT ||
                                              stage == MILTER_SERVER_STATE_DATA);
  if (children->n_waiting == 0) {
    children->in_call = TRUE;
    finish_fanout (children, &result);
    children->in_call = FALSE;
  }
  return result;
}

static void
fanout_reply (MilterManagerSlot *slot, MilterStatus status,
              const gchar *reply_code)
{
  MilterManagerChildren *children = slot->children;
  gboolean evaluation = milter_manager_child_is_evaluation_mode (slot->child);
  MilterServerState stage = children->stage;

  slot->in_fanout = FALSE;
  status = _milter_manager_children_take_code (children, slot, status,
                                               reply_code);
  if (milter_manager_reply_rules_is_neutralised (status, evaluation))
    milter_debug (children->session_id,
                  "[children][evaluation][%s][%s] [%" G_GUINT64_FORMAT "] %s",
                  milter_status_to_string (status),
                  milter_server_state_to_string (stage),
                  milter_agent_get_session_id (MILTER_AGENT (milter_manager_child_get_context (slot->child))),
                  milter_manager_child_get_name (slot->child));
  count (children, slot, status);
  switch (milter_manager_reply_rules_child_effect (stage, status, evaluation)) {
  case MILTER_MANAGER_CHILD_EFFECT_STAYS:
    if (stage == MILTER_SERVER_STATE_ENVELOPE_RECIPIENT &&
        status == MILTER_STATUS_CONTINUE && !children->rejected_recipient)
      slot->n_accepted++;
    break;
  case MILTER_MANAGER_CHILD_EFFECT_REJECTS_RECIPIENT:
  case MILTER_MANAGER_CHILD_EFFECT_SKIPS_BODY:
    break;
  case MILTER_MANAGER_CHILD_EFFECT_LEAVES_MESSAGE:
  case MILTER_MANAGER_CHILD_EFFECT_ENDS_MESSAGE:
    slot->in_message = FALSE;
    break;
  case MILTER_MANAGER_CHILD_EFFECT_INVALID_STATE:
    _milter_manager_children_log_invalid_state (children, slot, stage, status);
    /* fall through */
  case MILTER_MANAGER_CHILD_EFFECT_QUITS:
    slot->in_connection = slot->in_message = FALSE;
    milter_manager_child_quit (slot->child);
    break;
  case MILTER_MANAGER_CHILD_EFFECT_DROPPED:
    slot->in_connection = slot->in_message = FALSE;
    milter_manager_child_drop (slot->child);
    break;
  }
  if (--children->n_waiting == 0)
    finish_fanout (children, NULL);
}

static void
slot_reply (MilterManagerChild *child, MilterStatus status,
            const gchar *reply_code, gpointer user_data)
{
  MilterManagerSlot *slot = user_data;

  (void) child;
  if (slot->in_fanout)
    fanout_reply (slot, status, reply_code);
  else if (_milter_manager_children_is_message_stage (slot->children->stage))
    _milter_manager_children_message_reply (slot, status, reply_code);
  else
    milter_error (slot->children->session_id,
                  "[leader][error][invalid-state] invalid state to reply: %s: %s",
                  milter_server_state_to_string (slot->children->stage),
                  milter_status_to_string (status));
}

static void
slot_failed (MilterManagerChild *child, gpointer user_data)
{
  MilterManagerSlot *slot = user_data;
  MilterManagerChildren *children = slot->children;
  gboolean was_message = slot->in_message;

  (void) child;
  slot->in_connection = slot->in_message = FALSE;
  if (children->negotiating) {
    finish_negotiation (children);
    return;
  }
  if (slot->in_fanout) {
    slot->in_fanout = FALSE;
    count (children, slot, MILTER_STATUS_ERROR);
    if (--children->n_waiting == 0)
      finish_fanout (children, NULL);
    return;
  }
  if (was_message && _milter_manager_children_is_message_stage (children->stage))
    _milter_manager_children_message_failed (slot);
}

static void
slot_progress (MilterManagerChild *child, gpointer user_data)
{
  MilterManagerSlot *slot = user_data;

  (void) child;
  slot->children->callbacks->progress (slot->children->user_data);
}

static void
slot_modification (MilterManagerChild *child,
                   const MilterManagerModification *m,
                   gpointer user_data)
{
  (void) child;
  _milter_manager_children_message_modify (user_data, m);
}

/* ---- the envelope events ------------------------------------------------- */

static gboolean
want_connection (MilterManagerSlot *slot)
{
  return slot->in_connection;
}

static gboolean
want_message (MilterManagerSlot *slot)
{
  return slot->in_connection && slot->in_message;
}

/* D5: the negotiation's severe fallback answers the next event, once. */
static gboolean
take_negotiation_fallback (MilterManagerChildren *children,
                           MilterStatus *status)
{
  if (children->negotiation_fallback == MILTER_STATUS_NOT_CHANGE)
    return FALSE;
  *status = children->negotiation_fallback;
  children->negotiation_fallback = MILTER_STATUS_NOT_CHANGE;
  return TRUE;
}

static gboolean
send_connect (MilterServerContext *context, MilterManagerChildren *children,
              const gchar *text, const gchar *const *args, GError **error)
{
  (void) text;
  (void) args;
  return milter_server_context_connect (context, children->held_connect_host,
                                        children->held_connect_family,
                                        children->held_connect_port,
                                        children->held_connect_address, error);
}

/* The stopper event of the envelope event being fanned out. */
static MilterManagerStopperEvent
held_stopper_event (MilterManagerChildren *children)
{
  MilterManagerStopperEvent event = { .stage = children->stage };

  if (children->stage == MILTER_SERVER_STATE_CONNECT) {
    event.host = children->held_connect_host;
    event.family = children->held_connect_family;
    event.port = children->held_connect_port;
    event.address = children->held_connect_address;
  } else {
    event.text = children->held_text;
  }
  return event;
}

void
_milter_manager_children_resume_fanout (MilterManagerSlot *slot,
                                        gboolean stopped)
{
  MilterManagerChildren *children = slot->children;

  /* Not owing anything while it fails: its failure is counted here. */
  slot->in_fanout = FALSE;
  children->n_waiting--;
  if (!stopped) {
    MilterManagerStopperEvent event = held_stopper_event (children);

    /* The conditions after the one that answered late. */
    switch (_milter_manager_children_stop (slot, &event)) {
    case MILTER_MANAGER_STOPPER_PENDING:
      slot->in_fanout = TRUE;
      children->n_waiting++;
      return;
    case MILTER_MANAGER_STOPPER_STOPPED:
      break;
    case MILTER_MANAGER_STOPPER_GO:
      send_to (children, slot, children->held_send, children->held_text,
               (const gchar *const *) children->held_args, TRUE);
      if (slot->in_fanout)
        return;
      break;
    }
  }
  if (children->n_waiting == 0)
    finish_fanout (children, NULL);
}

void
_milter_manager_children_resume (MilterManagerSlot *slot,
                                 MilterServerState stage,
                                 gboolean stopped)
{
  if (_milter_manager_children_is_message_stage (stage))
    _milter_manager_children_resume_message (slot);
  else
    _milter_manager_children_resume_fanout (slot, stopped);
}

static MilterStatus
envelope_connect (MilterManagerChildren *children)
{
  MilterStatus status;
  MilterManagerStopperEvent event = { .stage = MILTER_SERVER_STATE_CONNECT };

  if (take_negotiation_fallback (children, &status))
    return status;
  event.host = children->held_connect_host;
  event.family = children->held_connect_family;
  event.port = children->held_connect_port;
  event.address = children->held_connect_address;
  return fanout (children, MILTER_SERVER_STATE_CONNECT, want_connection,
                 send_connect, NULL, NULL, &event);
}

MilterStatus
milter_manager_children_connect (MilterManagerChildren *children,
                                 const gchar *host,
                                 MilterFamily family,
                                 guint16 port,
                                 const gchar *address)
{
  MilterStatus status;

  g_free (children->held_connect_host);
  g_free (children->held_connect_address);
  children->held_connect_host = g_strdup (host);
  children->held_connect_address = g_strdup (address);
  children->held_connect_family = family;
  children->held_connect_port = port;
  if (children->recreate_at_connect) {
    /* D22: new children for the new SMTP connection; the connect waits
     * for their negotiation. */
    children->recreate_at_connect = FALSE;
    children->connect_held = TRUE;
    children->stage = MILTER_SERVER_STATE_CONNECT;
    milter_manager_children_negotiate (children, &children->mta_offer);
    return MILTER_STATUS_NOT_CHANGE;
  }
  children->in_call = TRUE;
  status = envelope_connect (children);
  children->in_call = FALSE;
  return status;
}

static gboolean
send_helo (MilterServerContext *context, MilterManagerChildren *children,
           const gchar *text, const gchar *const *args, GError **error)
{
  (void) children;
  (void) args;
  return milter_server_context_helo (context, text, error);
}

static gboolean
send_envelope_from (MilterServerContext *context,
                    MilterManagerChildren *children,
                    const gchar *text, const gchar *const *args,
                    GError **error)
{
  (void) children;
  return milter_server_context_envelope_from (context, text, args, error);
}

static gboolean
send_envelope_recipient (MilterServerContext *context,
                         MilterManagerChildren *children,
                         const gchar *text, const gchar *const *args,
                         GError **error)
{
  (void) children;
  return milter_server_context_envelope_recipient (context, text, args, error);
}

static gboolean
send_data (MilterServerContext *context, MilterManagerChildren *children,
           const gchar *text, const gchar *const *args, GError **error)
{
  (void) children;
  (void) text;
  (void) args;
  return milter_server_context_data (context, error);
}

static gboolean
send_unknown (MilterServerContext *context, MilterManagerChildren *children,
              const gchar *text, const gchar *const *args, GError **error)
{
  (void) children;
  (void) args;
  return milter_server_context_unknown (context, text, error);
}

/* text: the event's argument, also the stopper's (helo, envelope-from
 * and -recipient); args: the envelope's ESMTP arguments. */
static MilterStatus
call (MilterManagerChildren *children, MilterServerState stage,
      gboolean (*want) (MilterManagerSlot *slot), SendFunc send,
      const gchar *text, const gchar *const *args)
{
  MilterStatus status;
  MilterManagerStopperEvent event = { .stage = stage, .text = text };

  children->in_call = TRUE;
  status = fanout (children, stage, want, send, text, args,
                   stage == MILTER_SERVER_STATE_UNKNOWN ? NULL : &event);
  children->in_call = FALSE;
  return status;
}

MilterStatus
milter_manager_children_helo (MilterManagerChildren *children,
                              const gchar *fqdn)
{
  MilterStatus status;

  if (take_negotiation_fallback (children, &status))
    return status;
  return call (children, MILTER_SERVER_STATE_HELO, want_connection, send_helo,
               fqdn, NULL);
}

MilterStatus
milter_manager_children_envelope_from (MilterManagerChildren *children,
                                       const gchar *from,
                                       const gchar *const *args)
{
  MilterStatus status;

  if (take_negotiation_fallback (children, &status))
    return status;
  /* A new message: every child still in the connection takes part, and
   * nothing of the previous message carries over (D6, D7). */
  _milter_manager_children_reset_message (children);
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);

    slot->in_message = slot->in_connection;
    slot->n_accepted = 0;
  }
  return call (children, MILTER_SERVER_STATE_ENVELOPE_FROM, want_connection,
               send_envelope_from, from, args);
}

static gboolean
want_rejected_recipient (MilterManagerSlot *slot)
{
  const MilterOption *option = milter_manager_child_get_option (slot->child);

  return want_message (slot) && option &&
         (option->steps & MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED);
}

MilterStatus
milter_manager_children_envelope_recipient (MilterManagerChildren *children,
                                            const gchar *recipient,
                                            const gchar *const *args,
                                            gboolean rejected)
{
  gboolean wanted = FALSE;

  children->rejected_recipient = rejected;
  if (!rejected)
    return call (children, MILTER_SERVER_STATE_ENVELOPE_RECIPIENT,
                 want_message, send_envelope_recipient, recipient, args);
  /* D21: only the children that asked for rejected recipients. */
  for (guint i = 0; i < children->slots->len && !wanted; i++)
    wanted = milter_manager_child_is_alive (SLOT (children, i)->child) &&
             want_rejected_recipient (SLOT (children, i));
  if (!wanted) {
    _milter_manager_children_begin (children,
                                    MILTER_SERVER_STATE_ENVELOPE_RECIPIENT);
    return MILTER_STATUS_CONTINUE;
  }
  return call (children, MILTER_SERVER_STATE_ENVELOPE_RECIPIENT,
               want_rejected_recipient, send_envelope_recipient, recipient,
               args);
}

MilterStatus
milter_manager_children_data (MilterManagerChildren *children)
{
  /* A child that accepted none of its recipients gets abort instead
   * (§2.1). */
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);

    if (want_message (slot) && slot->n_accepted == 0) {
      milter_manager_child_abort (slot->child);
      slot->in_message = FALSE;
    }
  }
  return call (children, MILTER_SERVER_STATE_DATA, want_message, send_data,
               NULL, NULL);
}

MilterStatus
milter_manager_children_unknown (MilterManagerChildren *children,
                                 const gchar *command)
{
  MilterStatus status;

  if (take_negotiation_fallback (children, &status))
    return status;
  return call (children, MILTER_SERVER_STATE_UNKNOWN, want_connection,
               send_unknown, command, NULL);
}

/* ---- abort, quit ---------------------------------------------------------- */

void
_milter_manager_children_abort_message (MilterManagerChildren *children)
{
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);

    if (slot->in_message || (slot->in_connection &&
                             milter_manager_child_get_state (slot->child) ==
                             MILTER_SERVER_STATE_ENVELOPE_FROM))
      milter_manager_child_abort (slot->child);
    slot->in_message = FALSE;
  }
  _milter_manager_children_reset_message (children);
}

void
milter_manager_children_abort (MilterManagerChildren *children)
{
  _milter_manager_children_abort_message (children);
  _milter_manager_children_begin (children, MILTER_SERVER_STATE_ABORT);
}

void
milter_manager_children_abort_connection (MilterManagerChildren *children)
{
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);

    /* One that still owes a reply cannot be sent a command: the quit
     * that follows closes it. */
    if ((slot->in_connection || slot->in_message) &&
        !milter_manager_child_is_waiting (slot->child))
      milter_manager_child_abort (slot->child);
    slot->in_message = FALSE;
  }
  _milter_manager_children_reset_message (children);
  _milter_manager_children_begin (children, MILTER_SERVER_STATE_ABORT);
}

void
milter_manager_children_quit (MilterManagerChildren *children)
{
  stop_negotiation_timers (children);
  children->negotiating = FALSE;
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);

    slot->in_connection = slot->in_message = slot->in_fanout = FALSE;
    milter_manager_child_quit (slot->child);
  }
  children->n_waiting = 0;
  _milter_manager_children_reset_message (children);
  _milter_manager_children_begin (children, MILTER_SERVER_STATE_QUIT);
}

void
milter_manager_children_quit_new_connection (MilterManagerChildren *children)
{
  milter_manager_children_quit (children);
  children->recreate_at_connect = TRUE;
}

void
milter_manager_children_detach (MilterManagerChildren *children,
                                const MilterManagerChildrenCallbacks *callbacks)
{
  children->callbacks = callbacks;
  /* The leader is gone: no longer an MTA session of this process. */
  _milter_manager_children_count_session (children, FALSE);
}

gboolean
milter_manager_children_is_closing (MilterManagerChildren *children)
{
  for (guint i = 0; i < children->slots->len; i++) {
    MilterServerContext *context =
      milter_manager_child_get_context (SLOT (children, i)->child);

    if (!milter_agent_is_shut_down (MILTER_AGENT (context)))
      return TRUE;
  }
  return FALSE;
}

gchar *
milter_manager_children_take_reply_code (MilterManagerChildren *children)
{
  return g_steal_pointer (&children->call_reply_code);
}

gboolean
milter_manager_children_is_waiting (MilterManagerChildren *children)
{
  for (guint i = 0; i < children->slots->len; i++)
    if (milter_manager_child_is_waiting (SLOT (children, i)->child))
      return TRUE;
  return FALSE;
}

/*
 * milter-manager-children-message.c - the message stages of one session
 * (manager-behaviour.md §4): the MTA's header, end-of-header, body and
 * end-of-message go into the message store and to the live child; when
 * it finishes, the next child is replayed the stored message (with the
 * earlier children's edits) up to where the MTA is; at the end the MTA
 * gets the header diff, the replaced body, change-from and quarantine.
 */
#include "config.h"

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-children-private.h>
#include <milter/manager/milter-manager-error.h>
#include <milter/manager/milter-manager-header-diff.h>

#define SLOT(children, i) \
  ((MilterManagerSlot *) g_ptr_array_index ((children)->slots, (i)))

static guint64
tag_of (MilterManagerSlot *slot)
{
  return milter_agent_get_session_id (
    MILTER_AGENT (milter_manager_child_get_context (slot->child)));
}

gboolean
_milter_manager_children_is_message_stage (MilterServerState stage)
{
  return stage == MILTER_SERVER_STATE_HEADER ||
         stage == MILTER_SERVER_STATE_END_OF_HEADER ||
         stage == MILTER_SERVER_STATE_BODY ||
         stage == MILTER_SERVER_STATE_END_OF_MESSAGE;
}

void
_milter_manager_children_reset_message (MilterManagerChildren *children)
{
  milter_manager_message_store_reset (children->store);
  /* A condition's late answer about the old message answers nobody. */
  children->message_serial++;
  children->queue_built = FALSE;
  children->live = 0;
  children->mta_end_of_header = FALSE;
  children->mta_body = FALSE;
  children->mta_end_of_message = FALSE;
  g_clear_pointer (&children->end_of_message_data, g_bytes_unref);
  g_clear_pointer (&children->change_from, g_free);
  g_clear_pointer (&children->change_from_args, g_free);
  g_clear_pointer (&children->quarantine, g_free);
  milter_manager_reply_codes_clear (&children->codes);
  /* The mail transaction is over: so is its shelf. */
  g_clear_pointer (&children->shelf, g_hash_table_unref);
}

static gboolean
in_queue (MilterManagerSlot *slot)
{
  return slot->in_message && slot->n_accepted > 0 &&
         milter_manager_child_is_alive (slot->child);
}

static void
reset_cursor (MilterManagerSlot *slot)
{
  slot->cursor_header = 0;
  slot->cursor_end_of_header = FALSE;
  slot->cursor_body = 0;
  slot->body_skipped = FALSE;
  slot->cursor_end_of_message = FALSE;
  slot->body_replaced_by_it = FALSE;
}

/* The live child, or NULL when the queue is exhausted (§4.1). */
static MilterManagerSlot *
live_slot (MilterManagerChildren *children)
{
  for (; children->live < children->slots->len; children->live++) {
    MilterManagerSlot *slot = SLOT (children, children->live);

    if (in_queue (slot))
      return slot;
  }
  return NULL;
}

static void
modify (MilterManagerChildren *children, MilterManagerModificationType type,
        const gchar *name, const gchar *value, guint index,
        const gchar *data, gsize size)
{
  MilterManagerModification m = { type, name, value, index, data, size };

  children->callbacks->modify (&m, children->user_data);
}

/* §4.5: body, header diff, change-from, quarantine, then the reply. */
static void
final_answer (MilterManagerChildren *children, MilterStatus status,
              MilterStatus *result)
{
  MilterManagerMessageStore *store = children->store;
  guint chunk_size =
    milter_manager_configuration_get_chunk_size (children->configuration);
  g_autoptr (GPtrArray) edits = NULL;

  if (milter_manager_message_store_is_body_replaced (store)) {
    guint64 offset = 0;
    gsize size;
    const gchar *data;
    g_autoptr (GError) error = NULL;

    /* D16: an emptied body still goes out, as one empty chunk. */
    if (milter_manager_message_store_get_body_size (store) == 0)
      modify (children, MILTER_MANAGER_MODIFICATION_REPLACE_BODY, NULL, NULL,
              0, "", 0);
    while ((data = milter_manager_message_store_read_body (store, offset,
                                                           chunk_size, &size,
                                                           &error)) &&
           size > 0) {
      modify (children, MILTER_MANAGER_MODIFICATION_REPLACE_BODY, NULL, NULL,
              0, data, size);
      offset += size;
    }
    if (g_error_matches (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_BODY_SEEK))
      milter_error (children->session_id,
                    "[children][error][body][send][seek] %s", error->message);
    else if (error)
      milter_error (children->session_id,
                    "[children][error][body][send] %s", error->message);
  }
  if (milter_manager_message_store_get_original_headers (store)) {
    edits = milter_manager_header_diff (
      milter_manager_message_store_get_original_headers (store),
      milter_manager_message_store_get_headers (store));
    for (guint i = 0; i < edits->len; i++) {
      MilterManagerHeaderEdit *edit = g_ptr_array_index (edits, i);
      static const MilterManagerModificationType types[] = {
        [MILTER_MANAGER_HEADER_EDIT_CHANGE] = MILTER_MANAGER_MODIFICATION_CHANGE_HEADER,
        [MILTER_MANAGER_HEADER_EDIT_DELETE] = MILTER_MANAGER_MODIFICATION_DELETE_HEADER,
        [MILTER_MANAGER_HEADER_EDIT_INSERT] = MILTER_MANAGER_MODIFICATION_INSERT_HEADER,
        [MILTER_MANAGER_HEADER_EDIT_ADD] = MILTER_MANAGER_MODIFICATION_ADD_HEADER,
      };

      if (edit->type != MILTER_MANAGER_HEADER_EDIT_DELETE)
        milter_statistics (0, "[session][header][add](%" G_GUINT64_FORMAT
                           "): <%s>=<%s>", children->session_id, edit->name,
                           edit->value);
      modify (children, types[edit->type], edit->name, edit->value,
              edit->index, NULL, 0);
    }
  }
  if (children->change_from)
    modify (children, MILTER_MANAGER_MODIFICATION_CHANGE_FROM,
            children->change_from, children->change_from_args, 0, NULL, 0);
  if (children->quarantine)
    modify (children, MILTER_MANAGER_MODIFICATION_QUARANTINE,
            children->quarantine, NULL, 0, NULL, 0);
  /* The message is over: the later children waiting in the queue hear
   * of it no more. */
  for (guint i = 0; i < children->slots->len; i++) {
    MilterManagerSlot *slot = SLOT (children, i);

    if (slot->in_message && milter_manager_child_is_alive (slot->child) &&
        status != MILTER_STATUS_CONTINUE && status != MILTER_STATUS_ACCEPT)
      milter_manager_child_abort (slot->child);
    slot->in_message = FALSE;
  }
  _milter_manager_children_answer (children, status, result);
  _milter_manager_children_reset_message (children);
}

/* The queue is exhausted: the stage status of the finished children. */
static void
queue_exhausted (MilterManagerChildren *children, MilterStatus *result)
{
  MilterStatus status =
    milter_manager_reply_rules_combine (children->stage,
                                        (MilterStatus *) children->counted->data,
                                        children->counted->len);

  if (status == MILTER_STATUS_NOT_CHANGE)
    status = MILTER_STATUS_ACCEPT;
  if (children->stage == MILTER_SERVER_STATE_END_OF_MESSAGE) {
    final_answer (children, status, result);
    return;
  }
  if (status != MILTER_STATUS_CONTINUE) {
    _milter_manager_children_abort_message (children);
  }
  _milter_manager_children_answer (children, status, result);
}

typedef enum {
  SEND_CAUGHT_UP,   /* nothing more to send: it is where the MTA is */
  SEND_SENT,        /* it owes the reply */
  SEND_FAILED,      /* the write failed: it is out */
  SEND_STOPPED,     /* a condition stopped it before the item: it is out */
  SEND_PENDING      /* a condition answers later: it is where it was */
} SendOutcome;

/* The child's conditions on the item it is about to be sent. */
static MilterManagerStopperOutcome
ask_before (MilterManagerSlot *slot, MilterServerState stage,
            const gchar *name, const gchar *value,
            const guint8 *chunk, gsize size)
{
  MilterManagerStopperEvent event = {
    .stage = stage, .text = name, .value = value, .chunk = chunk, .size = size
  };

  if (!slot->conditions)
    return MILTER_MANAGER_STOPPER_GO;
  return _milter_manager_children_stop (slot, &event);
}

/* Sends the live child the next stored item it has not seen. */
static SendOutcome
send_next (MilterManagerChildren *children, MilterManagerSlot *slot)
{
  MilterServerContext *context = milter_manager_child_get_context (slot->child);
  MilterManagerMessageStore *store = children->store;
  MilterHeaders *headers = milter_manager_message_store_get_headers (store);
  g_autoptr (GError) error = NULL;
  gboolean sent = FALSE;

  if (slot->cursor_header < milter_headers_length (headers)) {
    const MilterHeader *header = milter_headers_get_nth (headers,
                                                         slot->cursor_header++);

    switch (ask_before (slot, MILTER_SERVER_STATE_HEADER, header->name,
                        header->value, NULL, 0)) {
    case MILTER_MANAGER_STOPPER_STOPPED:
      return SEND_STOPPED;
    case MILTER_MANAGER_STOPPER_PENDING:
      /* Asked again (from the next condition) when the answer comes. */
      slot->cursor_header--;
      return SEND_PENDING;
    case MILTER_MANAGER_STOPPER_GO:
      break;
    }
    sent = milter_server_context_header (context, header->name, header->value,
                                         &error);
  } else if (children->mta_end_of_header && !slot->cursor_end_of_header) {
    slot->cursor_end_of_header = TRUE;
    switch (ask_before (slot, MILTER_SERVER_STATE_END_OF_HEADER, NULL, NULL,
                        NULL, 0)) {
    case MILTER_MANAGER_STOPPER_STOPPED:
      return SEND_STOPPED;
    case MILTER_MANAGER_STOPPER_PENDING:
      slot->cursor_end_of_header = FALSE;
      return SEND_PENDING;
    case MILTER_MANAGER_STOPPER_GO:
      break;
    }
    sent = milter_server_context_end_of_header (context, &error);
  } else if (children->mta_body && !slot->body_skipped &&
             slot->cursor_body < milter_manager_message_store_get_body_size (store)) {
    gsize size = 0;
    const gchar *data =
      milter_manager_message_store_read_body (store, slot->cursor_body,
        milter_manager_configuration_get_chunk_size (children->configuration),
        &size, &error);

    if (data && size > 0) {
      slot->cursor_body += size;
      switch (ask_before (slot, MILTER_SERVER_STATE_BODY, NULL, NULL,
                          (const guint8 *) data, size)) {
      case MILTER_MANAGER_STOPPER_STOPPED:
        return SEND_STOPPED;
      case MILTER_MANAGER_STOPPER_PENDING:
        slot->cursor_body -= size;
        return SEND_PENDING;
      case MILTER_MANAGER_STOPPER_GO:
        break;
      }
      sent = milter_server_context_body (context, (const guint8 *) data, size,
                                         &error);
    } else if (!error) {
      slot->cursor_body = G_MAXUINT64;
      return send_next (children, slot);
    } else if (g_error_matches (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_BODY_SEEK)) {
      milter_error (children->session_id, "[children][error][body][read][seek] %s",
                    error->message);
    } else {
      milter_error (children->session_id, "[children][error][body][read] %s",
                    error->message);
    }
  } else if (children->mta_end_of_message && !slot->cursor_end_of_message) {
    gsize size = 0;
    const guint8 *data = children->end_of_message_data ?
      g_bytes_get_data (children->end_of_message_data, &size) : NULL;

    slot->cursor_end_of_message = TRUE;
    switch (ask_before (slot, MILTER_SERVER_STATE_END_OF_MESSAGE, NULL, NULL,
                        NULL, 0)) {
    case MILTER_MANAGER_STOPPER_STOPPED:
      return SEND_STOPPED;
    case MILTER_MANAGER_STOPPER_PENDING:
      slot->cursor_end_of_message = FALSE;
      return SEND_PENDING;
    case MILTER_MANAGER_STOPPER_GO:
      break;
    }
    sent = milter_server_context_end_of_message (context, data, size, &error);
  } else {
    return SEND_CAUGHT_UP;
  }
  if (!sent) {
    slot->in_message = FALSE;
    milter_manager_child_fail (slot->child, error);
    return SEND_FAILED;
  }
  milter_manager_child_sent (slot->child);
  return SEND_SENT;
}

/* Drives the live child until it waits for a reply, or answers the MTA. */
static void
pump (MilterManagerChildren *children, MilterStatus *result)
{
  if (result)
    *result = MILTER_STATUS_NOT_CHANGE;
  for (;;) {
    MilterManagerSlot *slot = live_slot (children);

    if (!slot) {
      queue_exhausted (children, result);
      return;
    }
    /* A child that took over while another command was in flight (its
     * predecessor failed between two MTA commands) may still owe the
     * reply to what it was sent: its reply pumps again. */
    if (milter_manager_child_is_waiting (slot->child) || slot->ticket)
      return;
    switch (send_next (children, slot)) {
    case SEND_SENT:
    case SEND_PENDING:
      /* Its reply, or its condition's answer, pumps again. */
      return;
    case SEND_STOPPED:
      /* Counted as the stop counts; the next child takes over. */
      continue;
    case SEND_FAILED:
      /* D10: a failed child counts its fallback and the next takes over. */
      {
        MilterStatus counted = milter_manager_child_get_fallback_status (slot->child);
        g_array_append_val (children->counted, counted);
      }
      continue;
    case SEND_CAUGHT_UP:
      break;
    }
    /* Caught up: the MTA's command, if one waits, is answered with
     * continue. A child that took over between two commands has nothing
     * to answer. */
    if (result || children->answer_owed)
      _milter_manager_children_answer (children, MILTER_STATUS_CONTINUE,
                                       result);
    return;
  }
}

static MilterStatus message_call (MilterManagerChildren *children,
                                  MilterServerState stage);

/* The emulated DATA was answered later (§2.6): on continue the held
 * command runs now and its answer is the reply; otherwise (FALSE) the
 * DATA answer is. */
gboolean
_milter_manager_children_resume_held (MilterManagerChildren *children,
                                      MilterStatus status)
{
  g_autofree gchar *code = NULL;

  children->emulating_data = FALSE;
  if (status != MILTER_STATUS_CONTINUE)
    return FALSE;
  status = message_call (children, children->held_stage);
  if (status == MILTER_STATUS_NOT_CHANGE)
    return TRUE;
  code = milter_manager_children_take_reply_code (children);
  children->callbacks->reply (status, code, children->user_data);
  return TRUE;
}

/* §2.6: the MTA negotiated DATA (version 4 or later) but sends a message
 * command while still at RCPT: the children get DATA first, and the
 * command is held until it is answered. */
static gboolean
needs_data (MilterManagerChildren *children)
{
  return !children->queue_built && children->mta_offer.version >= 4 &&
         children->stage == MILTER_SERVER_STATE_ENVELOPE_RECIPIENT;
}

static MilterStatus
emulate_data (MilterManagerChildren *children, MilterServerState stage)
{
  MilterStatus status;

  children->emulating_data = TRUE;
  children->held_stage = stage;
  status = milter_manager_children_data (children);
  if (status == MILTER_STATUS_NOT_CHANGE)
    return status;
  children->emulating_data = FALSE;
  if (status != MILTER_STATUS_CONTINUE)
    return status;
  g_clear_pointer (&children->call_reply_code, g_free);
  return message_call (children, stage);
}

static MilterStatus
message_call (MilterManagerChildren *children, MilterServerState stage)
{
  MilterStatus status;

  if (needs_data (children))
    return emulate_data (children, stage);
  _milter_manager_children_begin (children, stage);
  if (!children->queue_built) {
    children->queue_built = TRUE;
    children->live = 0;
    for (guint i = 0; i < children->slots->len; i++)
      reset_cursor (SLOT (children, i));
    if (!live_slot (children))
      return _milter_manager_children_no_child (children, TRUE);
  } else if (!live_slot (children)) {
    return _milter_manager_children_no_child (children, TRUE);
  }
  children->in_call = TRUE;
  pump (children, &status);
  children->in_call = FALSE;
  children->answer_owed = status == MILTER_STATUS_NOT_CHANGE;
  return status;
}

MilterStatus
milter_manager_children_header (MilterManagerChildren *children,
                                const gchar *name,
                                const gchar *value)
{
  g_autoptr (GError) error = NULL;

  if (!milter_headers_add (milter_manager_message_store_get_headers (children->store),
                           name, value, &error))
    milter_error (children->session_id, "[leader][error] %s", error->message);
  return message_call (children, MILTER_SERVER_STATE_HEADER);
}

MilterStatus
milter_manager_children_end_of_header (MilterManagerChildren *children)
{
  children->mta_end_of_header = TRUE;
  return message_call (children, MILTER_SERVER_STATE_END_OF_HEADER);
}

static gboolean
store_body (MilterManagerChildren *children, const guint8 *data, gsize size)
{
  g_autoptr (GError) error = NULL;

  if (milter_manager_message_store_append_body (children->store,
                                                (const gchar *) data, size,
                                                &error))
    return TRUE;
  if (g_error_matches (error, MILTER_MANAGER_ERROR,
                       MILTER_MANAGER_ERROR_BODY_OPEN))
    milter_error (children->session_id, "[children][error][body][open] %s",
                  error->message);
  else if (g_error_matches (error, MILTER_MANAGER_ERROR,
                            MILTER_MANAGER_ERROR_BODY_ENCODING))
    milter_error (children->session_id, "[children][error][body][encoding] %s",
                  error->message);
  else
    milter_error (children->session_id, "[children][error][body][write] %s",
                  error->message);
  return FALSE;
}

MilterStatus
milter_manager_children_body (MilterManagerChildren *children,
                              const guint8 *data,
                              gsize size)
{
  children->mta_body = TRUE;
  if (!store_body (children, data, size))
    return milter_manager_configuration_get_fallback_status (children->configuration);
  return message_call (children, MILTER_SERVER_STATE_BODY);
}

MilterStatus
milter_manager_children_end_of_message (MilterManagerChildren *children,
                                        const guint8 *data,
                                        gsize size)
{
  children->mta_end_of_message = TRUE;
  g_clear_pointer (&children->end_of_message_data, g_bytes_unref);
  if (size > 0)
    children->end_of_message_data = g_bytes_new (data, size);
  milter_manager_message_store_keep_original_headers (children->store);
  return message_call (children, MILTER_SERVER_STATE_END_OF_MESSAGE);
}

/* A reply of the live child to a stored item (§4.1, §4.3, §4.4). */
void
_milter_manager_children_message_reply (MilterManagerSlot *slot,
                                        MilterStatus status,
                                        const gchar *reply_code)
{
  MilterManagerChildren *children = slot->children;
  gboolean evaluation = milter_manager_child_is_evaluation_mode (slot->child);
  MilterServerState stage = milter_manager_child_get_state (slot->child);
  MilterStatus counted;

  if (live_slot (children) != slot) {
    milter_error (children->session_id,
                  "[leader][error][invalid-state] invalid state to reply: %s: %s",
                  milter_server_state_to_string (stage),
                  milter_status_to_string (status));
    return;
  }
  status = _milter_manager_children_take_code (children, slot, status,
                                               reply_code);
  if (milter_manager_reply_rules_is_neutralised (status, evaluation))
    milter_debug (children->session_id,
                  "[children][evaluation][%s][%s] [%" G_GUINT64_FORMAT "] %s",
                  milter_status_to_string (status),
                  milter_server_state_to_string (stage), tag_of (slot),
                  milter_manager_child_get_name (slot->child));
  counted = milter_manager_reply_rules_count (stage, status,
              milter_manager_child_get_fallback_status (slot->child),
              evaluation);
  switch (milter_manager_reply_rules_child_effect (stage, status, evaluation)) {
  case MILTER_MANAGER_CHILD_EFFECT_STAYS:
  case MILTER_MANAGER_CHILD_EFFECT_REJECTS_RECIPIENT:
    break;
  case MILTER_MANAGER_CHILD_EFFECT_SKIPS_BODY:
    slot->body_skipped = TRUE;
    break;
  case MILTER_MANAGER_CHILD_EFFECT_ENDS_MESSAGE:
    slot->in_message = FALSE;
    if (stage == MILTER_SERVER_STATE_END_OF_MESSAGE) {
      final_answer (children, counted, NULL);
    } else {
      _milter_manager_children_abort_message (children);
      _milter_manager_children_answer (children, counted, NULL);
    }
    return;
  case MILTER_MANAGER_CHILD_EFFECT_INVALID_STATE:
    _milter_manager_children_log_invalid_state (children, slot, stage, status);
    milter_manager_child_quit (slot->child);
    slot->in_connection = FALSE;
    /* fall through */
  case MILTER_MANAGER_CHILD_EFFECT_QUITS:
  case MILTER_MANAGER_CHILD_EFFECT_DROPPED:
  case MILTER_MANAGER_CHILD_EFFECT_LEAVES_MESSAGE:
    slot->in_message = FALSE;
    if (counted != MILTER_STATUS_NOT_CHANGE)
      g_array_append_val (children->counted, counted);
    break;
  }
  pump (children, NULL);
}

void
_milter_manager_children_resume_message (MilterManagerSlot *slot)
{
  MilterManagerChildren *children = slot->children;

  /* Stopped, it is out of the message and the next child takes over;
   * otherwise it is sent the item its condition was asked about. */
  if (children->queue_built)
    pump (children, NULL);
}

/* D10: the live child failed; its fallback counts and the next child
 * takes over with the modifications kept. */
void
_milter_manager_children_message_failed (MilterManagerSlot *slot)
{
  MilterManagerChildren *children = slot->children;
  MilterStatus fallback = milter_manager_child_get_fallback_status (slot->child);

  if (!children->queue_built || children->live >= children->slots->len ||
      SLOT (children, children->live) != slot)
    return;
  if (fallback != MILTER_STATUS_ACCEPT) {
    if (children->stage == MILTER_SERVER_STATE_END_OF_MESSAGE) {
      final_answer (children, fallback, NULL);
    } else {
      _milter_manager_children_abort_message (children);
      _milter_manager_children_answer (children, fallback, NULL);
    }
    return;
  }
  g_array_append_val (children->counted, fallback);
  pump (children, NULL);
}

/* The action's name in the [children][evaluation][ACTION] row (§7). */
static const gchar *
modification_name (MilterManagerModificationType type)
{
  static const gchar *const names[] = {
    [MILTER_MANAGER_MODIFICATION_ADD_HEADER] = "add-header",
    [MILTER_MANAGER_MODIFICATION_INSERT_HEADER] = "insert-header",
    [MILTER_MANAGER_MODIFICATION_CHANGE_HEADER] = "change-header",
    [MILTER_MANAGER_MODIFICATION_DELETE_HEADER] = "delete-header",
    [MILTER_MANAGER_MODIFICATION_ADD_RECIPIENT] = "add-recipient",
    [MILTER_MANAGER_MODIFICATION_DELETE_RECIPIENT] = "delete-recipient",
    [MILTER_MANAGER_MODIFICATION_CHANGE_FROM] = "change-from",
    [MILTER_MANAGER_MODIFICATION_REPLACE_BODY] = "replace-body",
    [MILTER_MANAGER_MODIFICATION_QUARANTINE] = "quarantine",
  };

  return names[type];
}

static void
log_header_add (MilterManagerSlot *slot, const MilterManagerModification *m)
{
  milter_statistics (0, "[milter][header][add](%" G_GUINT64_FORMAT
                     "): <%s>=<%s>: %s", tag_of (slot), m->name,
                     m->value ? m->value : "",
                     milter_manager_child_get_name (slot->child));
}

/* A modification from a child at end-of-message (§4.4, §7). */
void
_milter_manager_children_message_modify (MilterManagerSlot *slot,
                                         const MilterManagerModification *m)
{
  MilterManagerChildren *children = slot->children;
  MilterHeaders *headers =
    milter_manager_message_store_get_headers (children->store);
  g_autoptr (GError) error = NULL;

  if (m->type == MILTER_MANAGER_MODIFICATION_ADD_HEADER ||
      m->type == MILTER_MANAGER_MODIFICATION_INSERT_HEADER ||
      (m->type == MILTER_MANAGER_MODIFICATION_CHANGE_HEADER &&
       m->value && m->value[0]))
    log_header_add (slot, m);
  if (milter_manager_child_is_evaluation_mode (slot->child)) {
    milter_debug (children->session_id,
                  "[children][evaluation][%s] [%" G_GUINT64_FORMAT "] %s",
                  modification_name (m->type), tag_of (slot),
                  milter_manager_child_get_name (slot->child));
    return;
  }
  if (live_slot (children) != slot ||
      milter_manager_child_get_state (slot->child) !=
      MILTER_SERVER_STATE_END_OF_MESSAGE) {
    milter_error (children->session_id,
                  "[children][error][invalid-state][modification][%s] [%"
                  G_GUINT64_FORMAT "] only allowed in end of message session: %s",
                  milter_server_state_to_string (milter_manager_child_get_state (slot->child)),
                  tag_of (slot), milter_manager_child_get_name (slot->child));
    return;
  }
  switch (m->type) {
  case MILTER_MANAGER_MODIFICATION_ADD_HEADER:
    /* D11: an addition is appended, as MTAs do. */
    milter_headers_add (headers, m->name, m->value, &error);
    break;
  case MILTER_MANAGER_MODIFICATION_INSERT_HEADER:
    milter_headers_insert (headers, m->index, m->name, m->value, &error);
    break;
  case MILTER_MANAGER_MODIFICATION_CHANGE_HEADER:
    milter_headers_change (headers, m->name, m->index, m->value, &error);
    break;
  case MILTER_MANAGER_MODIFICATION_DELETE_HEADER:
    milter_headers_delete (headers, m->name, m->index, &error);
    break;
  case MILTER_MANAGER_MODIFICATION_ADD_RECIPIENT:
  case MILTER_MANAGER_MODIFICATION_DELETE_RECIPIENT:
    /* Not stored: they reach the MTA at once (§4.4). */
    children->callbacks->modify (m, children->user_data);
    break;
  case MILTER_MANAGER_MODIFICATION_CHANGE_FROM:
    g_free (children->change_from);
    g_free (children->change_from_args);
    children->change_from = g_strdup (m->name);
    children->change_from_args = g_strdup (m->value);
    break;
  case MILTER_MANAGER_MODIFICATION_REPLACE_BODY:
    /* The child's first replace-body drops the body; later ones append. */
    if (!slot->body_replaced_by_it) {
      slot->body_replaced_by_it = TRUE;
      milter_manager_message_store_replace_body (children->store);
    }
    store_body (children, (const guint8 *) m->data, m->size);
    break;
  case MILTER_MANAGER_MODIFICATION_QUARANTINE:
    g_free (children->quarantine);
    children->quarantine = g_strdup (m->name);
    break;
  }
  if (error)
    milter_error (children->session_id, "[leader][error] %s: %s",
                  error->message, milter_manager_child_get_name (slot->child));
}

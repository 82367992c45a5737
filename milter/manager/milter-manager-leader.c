/*
 * milter-manager-leader.c - one MTA session: client-context events to the
 * children, their answers back, statistics rows. See
 * milter-manager-leader.h.
 */
#include "config.h"

#include <milter/core/milter-logger.h>
#include <milter/core/milter-reply-code.h>
#include <milter/manager/milter-manager-children.h>
#include <milter/manager/milter-manager-leader.h>
#include <milter/manager/milter-manager-reply-rules.h>
#include <milter/manager/milter-manager-statistics.h>
#include <milter/server/milter-server-reply-values.h>

#define REAP_INTERVAL 0.05
#define REAP_LIMIT 40      /* checks before the children are freed anyway */

struct _MilterManagerLeader {
  GObject parent_instance;
  MilterManagerConfiguration *configuration;
  MilterClientContext *context;     /* not owned: it owns us */
  MilterEventLoop *loop;
  MilterManagerChildren *children;
  guint64 session_id;
  guint64 event_id;                 /* the deferred event */
  gboolean deferred;
  MilterOption *wants;              /* the negotiate handler's option */
  MilterStepFlags steps;            /* granted to the MTA */
  GString *header_value;            /* a value with its leading space */
  MilterMacrosRequests *requests;
  MilterServerState last_state;
  MilterStatus last_status;
  gboolean aborted;
  gboolean ended;
  gint64 started;
  guint check_id;                   /* the connection checker's timer */
};

G_DEFINE_FINAL_TYPE (MilterManagerLeader, milter_manager_leader, G_TYPE_OBJECT)

static void start_connection_check (MilterManagerLeader *leader);
static void stop_connection_check (MilterManagerLeader *leader);

/* ---- the children's answers ---------------------------------------------- */

static void
set_reply_code (MilterManagerLeader *leader, const gchar *text)
{
  g_autoptr (MilterReplyCode) code = NULL;
  g_autoptr (GError) error = NULL;

  if (!text)
    return;
  code = milter_reply_code_parse (text, &error);
  if (!code ||
      !milter_client_context_set_multiline_reply (leader->context, code->code,
                                                  code->extended_code,
                                                  (const gchar *const *) code->lines,
                                                  &error))
    milter_error (leader->session_id, "[leader][error][reply-code] %s",
                  error->message);
}

static void
note_reply (MilterManagerLeader *leader, MilterStatus status)
{
  leader->last_status = status;
  leader->aborted = FALSE;
}

static void
children_reply (MilterStatus status, const gchar *reply_code,
                gpointer user_data)
{
  MilterManagerLeader *leader = user_data;
  g_autoptr (GError) error = NULL;

  if (!leader->deferred) {
    milter_error (leader->session_id,
                  "[leader][error][invalid-state] invalid state to reply: %s: %s",
                  milter_server_state_to_string (leader->last_state),
                  milter_status_to_string (status));
    return;
  }
  leader->deferred = FALSE;
  set_reply_code (leader, reply_code);
  note_reply (leader, status);
  if (!milter_client_context_reply_to_event (leader->context, leader->event_id,
                                             status, &error))
    milter_debug (leader->session_id, "[leader][reply] %s", error->message);
}

static void
children_negotiated (const MilterOption *reply,
                     const MilterMacrosRequests *macros,
                     gboolean none_left,
                     gpointer user_data)
{
  MilterManagerLeader *leader = user_data;
  g_autoptr (GError) error = NULL;

  if (!leader->deferred)
    return;
  leader->deferred = FALSE;
  if (none_left) {
    /* D1: the MTA applies its own default action. */
    milter_error (leader->session_id,
                  "[leader][error] no child milter negotiated: closing");
    milter_agent_shutdown (MILTER_AGENT (leader->context));
    return;
  }
  *leader->wants = *reply;
  leader->steps = reply->steps;
  if (macros)
    milter_macros_requests_merge_union (leader->requests, macros);
  if (!milter_client_context_reply_to_event (leader->context, leader->event_id,
                                             MILTER_STATUS_DEFAULT, &error))
    milter_error (leader->session_id, "[leader][error] %s", error->message);
  start_connection_check (leader);
}

static void
children_progress (gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  milter_client_context_progress (leader->context, NULL);
}

/* With HDR_LEADSPC granted, the MTA's header values carry their leading
 * space and expect it back; the engine and the children module hold them
 * without it (the server library adds it per child that asked, §4.3). */
static const gchar *
to_mta_value (MilterManagerLeader *leader, const gchar *value)
{
  if (!value || !value[0])
    return value;
  return milter_server_header_value_to_milter (leader->header_value, value,
                                               leader->steps);
}

static void
children_modify (const MilterManagerModification *m, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;
  MilterClientContext *context = leader->context;
  g_autoptr (GError) error = NULL;
  MilterManagerModification spaced = *m;

  if (m->type == MILTER_MANAGER_MODIFICATION_ADD_HEADER ||
      m->type == MILTER_MANAGER_MODIFICATION_INSERT_HEADER ||
      m->type == MILTER_MANAGER_MODIFICATION_CHANGE_HEADER) {
    spaced.value = to_mta_value (leader, m->value);
    m = &spaced;
  }

  switch (m->type) {
  case MILTER_MANAGER_MODIFICATION_ADD_HEADER:
    if (!milter_client_context_add_header (context, m->name, m->value, &error))
      milter_error (leader->session_id, "[leader][error][add-header] %s",
                    error->message);
    break;
  case MILTER_MANAGER_MODIFICATION_INSERT_HEADER:
    if (!milter_client_context_insert_header (context, m->index, m->name,
                                              m->value, &error))
      milter_error (leader->session_id, "[leader][error][insert-header] %s",
                    error->message);
    break;
  case MILTER_MANAGER_MODIFICATION_CHANGE_HEADER:
    /* Change failures share the insert-header tag (§4.4). */
    if (!milter_client_context_change_header (context, m->name, m->index,
                                              m->value, &error))
      milter_error (leader->session_id, "[leader][error][insert-header] %s",
                    error->message);
    break;
  case MILTER_MANAGER_MODIFICATION_DELETE_HEADER:
    if (!milter_client_context_delete_header (context, m->name, m->index,
                                              &error))
      milter_error (leader->session_id, "[leader][error][delete-header] %s",
                    error->message);
    break;
  case MILTER_MANAGER_MODIFICATION_ADD_RECIPIENT:
    if (!milter_client_context_add_recipient (context, m->name, m->value,
                                              &error))
      milter_error (leader->session_id, "[leader][error][add-recipient] %s",
                    error->message);
    break;
  case MILTER_MANAGER_MODIFICATION_DELETE_RECIPIENT:
    if (!milter_client_context_delete_recipient (context, m->name, &error))
      milter_error (leader->session_id, "[leader][error][delete-recipient] %s",
                    error->message);
    break;
  case MILTER_MANAGER_MODIFICATION_CHANGE_FROM:
    if (!milter_client_context_change_from (context, m->name, m->value,
                                            &error))
      milter_error (leader->session_id, "[leader][error][change-from] %s",
                    error->message);
    break;
  case MILTER_MANAGER_MODIFICATION_REPLACE_BODY:
    if (!milter_client_context_replace_body (context, (const guint8 *) m->data,
                                             m->size, &error))
      milter_error (leader->session_id, "[leader][error][replace-body] %s",
                    error->message);
    break;
  case MILTER_MANAGER_MODIFICATION_QUARANTINE:
    if (!milter_client_context_quarantine (context, m->name, &error))
      milter_error (leader->session_id, "[leader][error] %s", error->message);
    break;
  }
}

static const MilterManagerChildrenCallbacks children_callbacks = {
  children_negotiated, children_reply, children_progress, children_modify
};

static void null_negotiated (const MilterOption *r, const MilterMacrosRequests *m,
                             gboolean n, gpointer d)
{ (void) r; (void) m; (void) n; (void) d; }
static void null_reply (MilterStatus s, const gchar *c, gpointer d)
{ (void) s; (void) c; (void) d; }
static void null_progress (gpointer d) { (void) d; }
static void null_modify (const MilterManagerModification *m, gpointer d)
{ (void) m; (void) d; }

/* For children that outlive their leader while their quits go out. */
static const MilterManagerChildrenCallbacks detached_callbacks = {
  null_negotiated, null_reply, null_progress, null_modify
};

/* ---- the end of the session ----------------------------------------------- */

typedef struct {
  MilterManagerChildren *children;
  MilterEventLoop *loop;
  guint checks;
} Reaper;

static gboolean
reap_cb (gpointer user_data)
{
  Reaper *reaper = user_data;

  if (milter_manager_children_is_closing (reaper->children) &&
      ++reaper->checks < REAP_LIMIT)
    return TRUE;
  milter_manager_children_free (reaper->children);
  g_object_unref (reaper->loop);
  g_free (reaper);
  return FALSE;
}

/* The children quit; they are freed once their connections closed. */
static void
release_children (MilterManagerLeader *leader)
{
  Reaper *reaper;

  if (!leader->children)
    return;
  milter_manager_children_detach (leader->children, &detached_callbacks);
  reaper = g_new0 (Reaper, 1);
  reaper->children = g_steal_pointer (&leader->children);
  reaper->loop = g_object_ref (leader->loop);
  milter_event_loop_add_timeout (reaper->loop, REAP_INTERVAL, reap_cb, reaper, NULL);
}

static const gchar *
last_status_name (MilterManagerLeader *leader)
{
  if (leader->aborted)
    return "abort";
  switch (leader->last_status) {
  case MILTER_STATUS_ACCEPT:
  case MILTER_STATUS_REJECT:
  case MILTER_STATUS_TEMPORARY_FAILURE:
  case MILTER_STATUS_DISCARD:
    return milter_status_to_string (leader->last_status);
  default:
    return "pass";
  }
}

static void
end_session (MilterManagerLeader *leader)
{
  if (leader->ended)
    return;
  leader->ended = TRUE;
  stop_connection_check (leader);
  milter_statistics (0, "[session][end][%s][%s][%g](%" G_GUINT64_FORMAT ")",
                     milter_server_state_to_string (leader->last_state),
                     last_status_name (leader),
                     (gdouble) (g_get_monotonic_time () - leader->started) /
                     G_USEC_PER_SEC,
                     leader->session_id);
  milter_manager_statistics_session_end (milter_manager_statistics_get_current (),
                                         last_status_name (leader));
  if (leader->children)
    milter_manager_children_quit (leader->children);
}

/* §5: the SMTP client is gone while a child owes a reply: the row, the
 * pending command's answer (if it still can be sent), and abort for the
 * children. */
static void
session_disconnected (MilterManagerLeader *leader)
{
  MilterStatus status =
    milter_manager_configuration_get_fallback_status_at_disconnect (leader->configuration);
  g_autoptr (GError) error = NULL;

  milter_statistics (0, "[session][disconnected][%g](%" G_GUINT64_FORMAT ")",
                     (gdouble) (g_get_monotonic_time () - leader->started) /
                     G_USEC_PER_SEC, leader->session_id);
  note_reply (leader, status);
  if (leader->deferred) {
    leader->deferred = FALSE;
    if (!milter_client_context_reply_to_event (leader->context,
                                               leader->event_id, status,
                                               &error))
      milter_debug (leader->session_id, "[leader][reply] %s", error->message);
  }
  milter_manager_children_abort (leader->children);
}

static void
stop_connection_check (MilterManagerLeader *leader)
{
  if (leader->check_id)
    milter_event_loop_remove (leader->loop, leader->check_id);
  leader->check_id = 0;
}

/* The connection checkers run only after the negotiate reply and only
 * while a child owes a reply (§5); after a "gone" the children are quit
 * and later commands get the no-child answer (§1.5). */
static gboolean
check_connection_cb (gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  if (leader->ended || !leader->children || !leader->deferred ||
      !milter_manager_children_is_waiting (leader->children) ||
      milter_manager_configuration_check_connection (leader->configuration,
                                                     leader->context))
    return G_SOURCE_CONTINUE;
  leader->check_id = 0;
  session_disconnected (leader);
  /* §5: abort, then quit, every child; not only those in a message. */
  milter_manager_children_abort_connection (leader->children);
  milter_manager_children_quit (leader->children);
  return G_SOURCE_REMOVE;
}

static void
start_connection_check (MilterManagerLeader *leader)
{
  guint interval =
    milter_manager_configuration_get_connection_check_interval (leader->configuration);

  if (interval > 0 && !leader->check_id)
    leader->check_id = milter_event_loop_add_timeout (leader->loop, interval,
                                                      check_connection_cb,
                                                      leader, NULL);
}

/* ---- the MTA's events ---------------------------------------------------- */

static MilterStatus
answer (MilterManagerLeader *leader, MilterServerState state,
        MilterStatus status)
{
  leader->last_state = state;
  if (status == MILTER_STATUS_NOT_CHANGE) {
    leader->event_id = milter_client_context_get_event_id (leader->context);
    leader->deferred = TRUE;
    return status;
  }
  {
    g_autofree gchar *code =
      milter_manager_children_take_reply_code (leader->children);

    set_reply_code (leader, code);
  }
  note_reply (leader, status);
  return status;
}

static void
forward_macros (MilterManagerLeader *leader, guint8 command)
{
  milter_manager_children_set_macros (leader->children, command,
    milter_client_context_get_stage_macros (leader->context, command));
}

static MilterStatus
on_negotiate (MilterClientContext *context, const MilterOption *offer,
              MilterOption *option, MilterMacrosRequests *requests,
              gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  leader->wants = option;
  leader->requests = requests;
  leader->last_state = MILTER_SERVER_STATE_NEGOTIATE;
  leader->event_id = milter_client_context_get_event_id (context);
  leader->deferred = TRUE;
  milter_manager_children_negotiate (leader->children, offer);
  return MILTER_STATUS_NOT_CHANGE;
}

static MilterStatus
on_connect (MilterClientContext *context, const gchar *host, gint family,
            guint port, const gchar *address, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  if (leader->ended) {
    /* A new SMTP connection after quit-new-connection. */
    leader->ended = FALSE;
    leader->started = g_get_monotonic_time ();
    start_connection_check (leader);
  }
  forward_macros (leader, 'C');
  return answer (leader, MILTER_SERVER_STATE_CONNECT,
                 milter_manager_children_connect (leader->children, host,
                                                  (MilterFamily) family,
                                                  (guint16) port, address));
}

static MilterStatus
on_helo (MilterClientContext *context, const gchar *fqdn, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  forward_macros (leader, 'H');
  return answer (leader, MILTER_SERVER_STATE_HELO,
                 milter_manager_children_helo (leader->children, fqdn));
}

static MilterStatus
on_envelope_from (MilterClientContext *context, const gchar *from,
                  const gchar *const *args, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  forward_macros (leader, 'M');
  return answer (leader, MILTER_SERVER_STATE_ENVELOPE_FROM,
                 milter_manager_children_envelope_from (leader->children,
                                                        from, args));
}

static MilterStatus
on_envelope_recipient (MilterClientContext *context, const gchar *to,
                       const gchar *const *args, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;
  GHashTable *macros = milter_client_context_get_stage_macros (context, 'R');
  gboolean rejected = milter_manager_reply_rules_is_rejected_recipient (
    leader->steps, macros ? g_hash_table_lookup (macros, "rcpt_mailer") : NULL);

  forward_macros (leader, 'R');
  return answer (leader, MILTER_SERVER_STATE_ENVELOPE_RECIPIENT,
                 milter_manager_children_envelope_recipient (leader->children,
                                                             to, args,
                                                             rejected));
}

static MilterStatus
on_data (MilterClientContext *context, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  forward_macros (leader, 'T');
  return answer (leader, MILTER_SERVER_STATE_DATA,
                 milter_manager_children_data (leader->children));
}

static MilterStatus
on_unknown (MilterClientContext *context, const gchar *command,
            gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  return answer (leader, MILTER_SERVER_STATE_UNKNOWN,
                 milter_manager_children_unknown (leader->children, command));
}

static MilterStatus
on_header (MilterClientContext *context, const gchar *name,
           const gchar *value, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  return answer (leader, MILTER_SERVER_STATE_HEADER,
                 milter_manager_children_header (leader->children, name,
                   milter_server_header_value_from_milter (value,
                                                           leader->steps)));
}

static MilterStatus
on_end_of_header (MilterClientContext *context, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  forward_macros (leader, 'N');
  return answer (leader, MILTER_SERVER_STATE_END_OF_HEADER,
                 milter_manager_children_end_of_header (leader->children));
}

static MilterStatus
on_body (MilterClientContext *context, gconstpointer chunk, guint64 size,
         gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  return answer (leader, MILTER_SERVER_STATE_BODY,
                 milter_manager_children_body (leader->children, chunk,
                                               (gsize) size));
}

static MilterStatus
on_end_of_message (MilterClientContext *context, gconstpointer chunk,
                   guint64 size, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  forward_macros (leader, 'E');
  return answer (leader, MILTER_SERVER_STATE_END_OF_MESSAGE,
                 milter_manager_children_end_of_message (leader->children,
                                                         chunk, (gsize) size));
}

static void
on_abort (MilterClientContext *context, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  leader->deferred = FALSE;
  if (leader->last_state != MILTER_SERVER_STATE_END_OF_MESSAGE &&
      (leader->last_status == MILTER_STATUS_CONTINUE ||
       leader->last_status == MILTER_STATUS_NOT_CHANGE))
    leader->aborted = TRUE;
  if (leader->children)
    milter_manager_children_abort (leader->children);
}

/* quit or quit-new-connection: the SMTP connection is over. */
static void
on_close (MilterClientContext *context, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  leader->deferred = FALSE;
  end_session (leader);
  /* D22: after quit-new-connection the next connect re-creates the
   * children; after quit, "finished" follows and releases them. */
  if (leader->children)
    milter_manager_children_quit_new_connection (leader->children);
}

static void
on_finished (MilterClientContext *context, gpointer user_data)
{
  MilterManagerLeader *leader = user_data;

  (void) context;
  if (leader->children && !leader->ended &&
      (leader->deferred || milter_manager_children_is_waiting (leader->children))) {
    /* The MTA went away while a child owed a reply (§5). */
    session_disconnected (leader);
  }
  leader->deferred = FALSE;
  if (leader->last_state != MILTER_SERVER_STATE_INVALID || leader->children)
    end_session (leader);
  release_children (leader);
}

/* ---- object ---------------------------------------------------------------- */

static void
milter_manager_leader_finalize (GObject *object)
{
  MilterManagerLeader *leader = MILTER_MANAGER_LEADER (object);

  stop_connection_check (leader);
  release_children (leader);
  g_string_free (leader->header_value, TRUE);
  g_clear_object (&leader->loop);
  g_clear_object (&leader->configuration);
  G_OBJECT_CLASS (milter_manager_leader_parent_class)->finalize (object);
}

static void
milter_manager_leader_class_init (MilterManagerLeaderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = milter_manager_leader_finalize;
}

static void
milter_manager_leader_init (MilterManagerLeader *leader)
{
  leader->last_state = MILTER_SERVER_STATE_INVALID;
  leader->last_status = MILTER_STATUS_NOT_CHANGE;
  leader->started = g_get_monotonic_time ();
  leader->header_value = g_string_new (NULL);
}

static const MilterClientContextEvents leader_events = {
  .negotiate = on_negotiate,
  .connect = on_connect,
  .helo = on_helo,
  .envelope_from = on_envelope_from,
  .envelope_recipient = on_envelope_recipient,
  .data = on_data,
  .unknown = on_unknown,
  .header = on_header,
  .end_of_header = on_end_of_header,
  .body = on_body,
  .end_of_message = on_end_of_message,
  .abort = on_abort,
  .close = on_close,
  .finished = on_finished,
};

MilterManagerLeader *
milter_manager_leader_new (MilterManagerConfiguration *configuration,
                           MilterClientContext *context)
{
  MilterManagerLeader *leader = g_object_new (MILTER_MANAGER_TYPE_LEADER, NULL);

  leader->configuration = g_object_ref (configuration);
  leader->context = context;
  leader->loop = g_object_ref (milter_agent_get_event_loop (MILTER_AGENT (context)));
  leader->session_id = milter_agent_get_session_id (MILTER_AGENT (context));
  leader->children = milter_manager_children_new (configuration, leader->loop,
                                                  leader->session_id,
                                                  &children_callbacks, leader);
  milter_client_context_set_packet_buffer_size (context,
    milter_manager_configuration_get_packet_buffer_size (configuration));
  /* The context owns the leader (milter_manager_leader_attach()) and
   * drops its table in dispose, before its data. Direct calls: 15 signal
   * connections per session cost ~40k instructions to make and undo. */
  milter_client_context_set_events (context, &leader_events, leader);
  return leader;
}

void
milter_manager_leader_attach (MilterManagerConfiguration *configuration,
                              MilterClientContext *context)
{
  MilterManagerLeader *leader = milter_manager_leader_new (configuration,
                                                           context);

  g_object_set_data_full (G_OBJECT (context), "milter-manager-leader", leader,
                          g_object_unref);
}

MilterManagerConfiguration *
milter_manager_leader_get_configuration (MilterManagerLeader *leader)
{
  return leader->configuration;
}

/*
 * milter-manager-child.c - one child milter in one session: its server
 * context, state, timer, failure reporting and statistics row. See
 * milter-manager-child.h.
 */
#include "config.h"

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-child.h>
#include <milter/manager/milter-manager-configuration.h>
#include <milter/manager/milter-manager-reply-rules.h>
#include <milter/manager/milter-manager-statistics.h>

typedef enum {
  CHILD_CONNECTING,
  CHILD_LAUNCHING,     /* waiting for the launcher before the one retry */
  CHILD_NEGOTIATING,
  CHILD_ALIVE,
  CHILD_QUITTING,
  CHILD_OUT
} ChildPhase;

struct _MilterManagerChild {
  MilterManagerEgg *egg;
  MilterServerContext *context;
  MilterEventLoop *loop;
  guint64 session_id;
  gdouble retry_interval;
  guint retry_id;
  gboolean retried;
  const MilterManagerChildCallbacks *callbacks;
  gpointer user_data;
  MilterManagerLauncher *launcher;
  guint launch_id;

  ChildPhase phase;
  MilterOption offer;
  MilterOption option;
  MilterMacrosRequests *requests;
  gboolean waiting;
  /* The last command whose write went out: the [milter][end] LAST. */
  MilterServerState last_state;
  MilterStatus last_status;
  const gchar *timeout_kind;   /* set by a timeout signal before "error" */
  gint64 timer_start;
  gint64 elapsed;              /* microseconds */
  gboolean ended;              /* [milter][end] logged */
  gboolean aborted;            /* aborted mid-message after a pass */
};

static guint64
child_tag (MilterManagerChild *child)
{
  return milter_agent_get_session_id (MILTER_AGENT (child->context));
}

static const gchar *
status_name (MilterStatus status)
{
  switch (status) {
  case MILTER_STATUS_NOT_CHANGE:
  case MILTER_STATUS_CONTINUE:
  case MILTER_STATUS_DEFAULT:
  case MILTER_STATUS_PROGRESS:
  case MILTER_STATUS_SKIP:
    return "pass";
  default:
    return milter_status_to_string (status);
  }
}

static void
stop_timer (MilterManagerChild *child)
{
  if (child->timer_start) {
    child->elapsed += g_get_monotonic_time () - child->timer_start;
    child->timer_start = 0;
  }
}

/* The statistics row, once per child (manager-behaviour.md §8). */
static void
log_end (MilterManagerChild *child)
{
  if (child->ended)
    return;
  child->ended = TRUE;
  stop_timer (child);
  milter_statistics (0, "[milter][end][%s][%s][%g](%" G_GUINT64_FORMAT "): %s",
                     milter_server_state_to_string (child->last_state),
                     child->aborted ? "abort" : status_name (child->last_status),
                     (gdouble) child->elapsed / G_USEC_PER_SEC,
                     child_tag (child),
                     milter_manager_egg_get_name (child->egg));
  milter_manager_statistics_child_end (milter_manager_statistics_get_current (),
                                       milter_manager_egg_get_name (child->egg),
                                       child->aborted ? "abort" : status_name (child->last_status));
}

/* The reply's latency, for get-status: before stop_timer. */
static void
note_latency (MilterManagerChild *child)
{
  if (child->timer_start)
    milter_manager_statistics_child_latency (milter_manager_statistics_get_current (),
                                             milter_manager_egg_get_name (child->egg),
                                             child->last_state,
                                             g_get_monotonic_time () - child->timer_start);
}

static void
cancel_launch (MilterManagerChild *child)
{
  if (child->launch_id)
    milter_manager_launcher_cancel (child->launcher, child->launch_id);
  child->launch_id = 0;
}

static void
go_out (MilterManagerChild *child)
{
  child->phase = CHILD_OUT;
  child->waiting = FALSE;
  cancel_launch (child);
  if (child->retry_id) {
    milter_event_loop_remove (child->loop, child->retry_id);
    child->retry_id = 0;
  }
  log_end (child);
  if (!milter_agent_is_shut_down (MILTER_AGENT (child->context)))
    milter_agent_shutdown (MILTER_AGENT (child->context));
}

static const gchar *
fallback_name (MilterManagerChild *child)
{
  return milter_status_to_string (milter_manager_egg_get_fallback_status (child->egg));
}

/* Logs the failure and tells the owner; the child is out afterwards. */
static void
fail (MilterManagerChild *child, const gchar *message)
{
  const gchar *name = milter_manager_egg_get_name (child->egg);
  const gchar *state = milter_server_state_to_string (child->last_state);
  gboolean was_negotiating = child->phase < CHILD_ALIVE;

  if (child->phase >= CHILD_QUITTING)
    return;
  milter_manager_statistics_child_failure (milter_manager_statistics_get_current (), name,
                                           child->timeout_kind != NULL);
  if (child->timeout_kind && g_str_equal (child->timeout_kind, "connection")) {
    milter_error (child->session_id,
                  "[children][timeout][connection] [%" G_GUINT64_FORMAT "] %s",
                  child_tag (child), name);
  } else if (child->timeout_kind && g_str_equal (child->timeout_kind, "writing")) {
    milter_error (child->session_id,
                  "[children][timeout][writing][%s][%s] [%" G_GUINT64_FORMAT "] %s",
                  state, fallback_name (child), child_tag (child), name);
  } else if (child->timeout_kind && g_str_equal (child->timeout_kind, "reading")) {
    milter_error (child->session_id,
                  "[children][timeout][reading][%s][%s] [%" G_GUINT64_FORMAT "] %s",
                  state, fallback_name (child), child_tag (child), name);
  } else if (child->timeout_kind) {
    milter_error (child->session_id,
                  "[children][timeout][end-of-message][%s][%s] [%" G_GUINT64_FORMAT "] %s",
                  state, fallback_name (child), child_tag (child), name);
  } else if (child->phase == CHILD_CONNECTING || child->phase == CHILD_LAUNCHING) {
    milter_error (child->session_id,
                  "[children][error][connection] [%" G_GUINT64_FORMAT "] %s: %s",
                  child_tag (child), message, name);
  } else if (child->phase == CHILD_NEGOTIATING) {
    milter_error (child->session_id,
                  "[children][error][negotiate][%s] [%" G_GUINT64_FORMAT "] %s: %s",
                  fallback_name (child), child_tag (child), message, name);
  } else {
    milter_error (child->session_id,
                  "[children][error][%s][%s] [%" G_GUINT64_FORMAT "] %s: %s",
                  state, fallback_name (child), child_tag (child), message, name);
  }
  go_out (child);
  (void) was_negotiating;
  child->callbacks->failed (child, child->user_data);
}

/* ---- signal handlers ------------------------------------------------- */

static void
on_ready (MilterServerContext *context, gpointer user_data)
{
  MilterManagerChild *child = user_data;
  g_autoptr (GError) error = NULL;

  child->phase = CHILD_NEGOTIATING;
  child->last_state = MILTER_SERVER_STATE_NEGOTIATE;
  if (!milter_server_context_negotiate (context, &child->offer, &error)) {
    fail (child, error->message);
    return;
  }
  milter_manager_child_sent (child);
}

static void
on_negotiate_reply (MilterServerContext *context,
                    const MilterOption *reply,
                    MilterMacrosRequests *requests,
                    gpointer user_data)
{
  MilterManagerChild *child = user_data;
  g_autoptr (GError) error = NULL;

  (void) context;
  note_latency (child);
  stop_timer (child);
  child->waiting = FALSE;
  if (!milter_manager_reply_rules_child_option (&child->offer, reply,
                                                &child->option, &error)) {
    fail (child, error->message);
    return;
  }
  if (requests && !milter_macros_requests_is_empty (requests))
    child->requests = milter_macros_requests_copy (requests);
  child->phase = CHILD_ALIVE;
  child->callbacks->negotiated (child, child->user_data);
}

static void
report (MilterManagerChild *child, MilterStatus status, const gchar *code)
{
  if (child->phase != CHILD_ALIVE)
    return;
  note_latency (child);
  stop_timer (child);
  child->waiting = FALSE;
  child->last_status = status;
  child->callbacks->reply (child, status, code, child->user_data);
}

#define VERDICT_HANDLER(fn, status)                                    \
  static void fn (MilterServerContext *context, gpointer user_data)    \
  {                                                                    \
    (void) context;                                                    \
    report (user_data, status, NULL);                                  \
  }
VERDICT_HANDLER (on_continue, MILTER_STATUS_CONTINUE)
VERDICT_HANDLER (on_accept, MILTER_STATUS_ACCEPT)
VERDICT_HANDLER (on_reject, MILTER_STATUS_REJECT)
VERDICT_HANDLER (on_discard, MILTER_STATUS_DISCARD)
VERDICT_HANDLER (on_skip, MILTER_STATUS_SKIP)

static void
on_reply_code (MilterServerContext *context, const gchar *text,
               gpointer user_data)
{
  (void) context;
  report (user_data, milter_manager_reply_code_status (text), text);
}

/* The server library takes a malformed 'y' as temporary-failure, as an
 * MTA does; the manager instead passes it up with its text, so that it is
 * logged and counted by its first digit (D3). */
static void
on_temporary_failure (MilterServerContext *context, gpointer user_data)
{
  const gchar *text = milter_server_context_get_reply_code_text (context);

  if (milter_server_context_get_reply_code_error (context) && text)
    on_reply_code (context, text, user_data);
  else
    report (user_data, MILTER_STATUS_TEMPORARY_FAILURE, NULL);
}

/* 'f' and '4' are errors (D17): the child counts its fallback and leaves. */
static void
on_connection_failure (MilterServerContext *context, gpointer user_data)
{
  MilterManagerChild *child = user_data;

  (void) context;
  child->last_status = MILTER_STATUS_ERROR;
  fail (child, "connection-failure ('f') received");
}

static void
on_shutdown (MilterServerContext *context, gpointer user_data)
{
  (void) context;
  fail (user_data, "shutdown ('4') received");
}

static void
on_progress (MilterServerContext *context, gpointer user_data)
{
  MilterManagerChild *child = user_data;

  (void) context;
  if (child->phase == CHILD_ALIVE)
    child->callbacks->progress (child, child->user_data);
}

static void
modification (MilterManagerChild *child, MilterManagerModification *m)
{
  if (child->phase == CHILD_ALIVE)
    child->callbacks->modification (child, m, child->user_data);
}

static void
on_add_header (MilterServerContext *c, const gchar *name, const gchar *value,
               gpointer user_data)
{
  MilterManagerModification m = { MILTER_MANAGER_MODIFICATION_ADD_HEADER,
                                  name, value, 0, NULL, 0 };
  (void) c;
  modification (user_data, &m);
}

static void
on_insert_header (MilterServerContext *c, guint index, const gchar *name,
                  const gchar *value, gpointer user_data)
{
  MilterManagerModification m = { MILTER_MANAGER_MODIFICATION_INSERT_HEADER,
                                  name, value, index, NULL, 0 };
  (void) c;
  modification (user_data, &m);
}

static void
on_change_header (MilterServerContext *c, const gchar *name, guint index,
                  const gchar *value, gpointer user_data)
{
  MilterManagerModification m = { MILTER_MANAGER_MODIFICATION_CHANGE_HEADER,
                                  name, value, index, NULL, 0 };
  (void) c;
  modification (user_data, &m);
}

static void
on_delete_header (MilterServerContext *c, const gchar *name, guint index,
                  gpointer user_data)
{
  MilterManagerModification m = { MILTER_MANAGER_MODIFICATION_DELETE_HEADER,
                                  name, NULL, index, NULL, 0 };
  (void) c;
  modification (user_data, &m);
}

static void
on_add_recipient (MilterServerContext *c, const gchar *recipient,
                  const gchar *args, gpointer user_data)
{
  MilterManagerModification m = { MILTER_MANAGER_MODIFICATION_ADD_RECIPIENT,
                                  recipient, args, 0, NULL, 0 };
  (void) c;
  modification (user_data, &m);
}

static void
on_delete_recipient (MilterServerContext *c, const gchar *recipient,
                     gpointer user_data)
{
  MilterManagerModification m = { MILTER_MANAGER_MODIFICATION_DELETE_RECIPIENT,
                                  recipient, NULL, 0, NULL, 0 };
  (void) c;
  modification (user_data, &m);
}

static void
on_change_from (MilterServerContext *c, const gchar *from, const gchar *args,
                gpointer user_data)
{
  MilterManagerModification m = { MILTER_MANAGER_MODIFICATION_CHANGE_FROM,
                                  from, args, 0, NULL, 0 };
  (void) c;
  modification (user_data, &m);
}

static void
on_replace_body (MilterServerContext *c, gconstpointer data, guint64 size,
                 gpointer user_data)
{
  MilterManagerModification m = { MILTER_MANAGER_MODIFICATION_REPLACE_BODY,
                                  NULL, NULL, 0, data, (gsize) size };
  (void) c;
  modification (user_data, &m);
}

static void
on_quarantine (MilterServerContext *c, const gchar *reason, gpointer user_data)
{
  MilterManagerModification m = { MILTER_MANAGER_MODIFICATION_QUARANTINE,
                                  reason, NULL, 0, NULL, 0 };
  MilterManagerChild *child = user_data;

  (void) c;
  child->last_status = MILTER_STATUS_NOT_CHANGE;
  modification (child, &m);
}

#define TIMEOUT_HANDLER(fn, kind)                                      \
  static void fn (MilterServerContext *context, gpointer user_data)    \
  {                                                                    \
    MilterManagerChild *child = user_data;                             \
    (void) context;                                                    \
    child->timeout_kind = kind;                                        \
  }
TIMEOUT_HANDLER (on_connection_timeout, "connection")
TIMEOUT_HANDLER (on_writing_timeout, "writing")
TIMEOUT_HANDLER (on_reading_timeout, "reading")
TIMEOUT_HANDLER (on_end_of_message_timeout, "end-of-message")

static gboolean
retry_cb (gpointer user_data)
{
  MilterManagerChild *child = user_data;
  g_autoptr (GError) error = NULL;

  child->retry_id = 0;
  if (!milter_server_context_establish_connection (child->context, &error))
    fail (child, error->message);
  return FALSE;
}

static void
log_connection_error (MilterManagerChild *child, const gchar *message)
{
  milter_error (child->session_id,
                "[children][error][connection] [%" G_GUINT64_FORMAT "] %s: %s",
                child_tag (child), message,
                milter_manager_egg_get_name (child->egg));
}

static gboolean start_launch (MilterManagerChild *child);

/* A connection that failed for good, its row already logged: counted
 * as the child's failure (the controller's status), then out. */
static void
give_up_connecting (MilterManagerChild *child)
{
  milter_manager_statistics_child_failure (milter_manager_statistics_get_current (),
                                           milter_manager_egg_get_name (child->egg), FALSE);
  go_out (child);
}

static void
on_error (MilterServerContext *context, GError *error, gpointer user_data)
{
  MilterManagerChild *child = user_data;

  (void) context;
  /* A connect that failed in the loop (TCP): the launcher may start it. */
  if (child->phase == CHILD_CONNECTING && !child->timeout_kind &&
      !child->retried) {
    log_connection_error (child, error ? error->message : "error");
    if (start_launch (child))
      return;
    give_up_connecting (child);
    child->callbacks->failed (child, child->user_data);
    return;
  }
  /* A close while it owed a reply shows as its fallback in [milter][end]
   * (manager-behaviour.md §8); other errors keep its last own status. */
  if (child->waiting && child->phase == CHILD_ALIVE &&
      g_error_matches (error, MILTER_SERVER_CONTEXT_ERROR,
                       MILTER_SERVER_CONTEXT_ERROR_CLOSED))
    child->last_status = milter_manager_egg_get_fallback_status (child->egg);
  fail (child, error ? error->message : "error");
}

static void
on_finished (MilterServerContext *context, gpointer user_data)
{
  MilterManagerChild *child = user_data;

  (void) context;
  /* The failed connect's context ends while the launch is awaited. */
  if (child->phase == CHILD_LAUNCHING)
    return;
  if (child->phase == CHILD_QUITTING) {
    child->phase = CHILD_OUT;
    log_end (child);
    return;
  }
  if (child->phase != CHILD_OUT) {
    /* Closed without an error: out, counting its fallback if it owed. */
    if (child->waiting)
      child->last_status = milter_manager_egg_get_fallback_status (child->egg);
    fail (child, "the milter closed the connection");
  }
}

/* ---- the context's events, bound without signals ------------------------ */

/* A child hatches and dies once per session; connecting its 27 handlers
 * to each new context (and disconnecting them) was about a third of the
 * engine's instructions per session, and overridden class closures still
 * took GLib's slow emission path. So the replies and timeouts come as
 * direct calls through a static table (milter_server_context_set_events),
 * and "ready", "error" and "finished" through the virtual functions of a
 * private subclass that points back to its child. A context whose child
 * was freed reaches nobody. */
typedef struct {
  MilterServerContext parent_instance;
  MilterManagerChild *child;
} MilterManagerChildContext;

typedef struct {
  MilterServerContextClass parent_class;
} MilterManagerChildContextClass;

static GType child_context_get_type (void);
G_DEFINE_TYPE (MilterManagerChildContext, child_context,
               MILTER_TYPE_SERVER_CONTEXT)
#define CHILD_TYPE_CONTEXT (child_context_get_type ())
#define CHILD_CONTEXT(o) ((MilterManagerChildContext *) (o))

/* The child's reply and timeout handlers: direct calls from the context,
 * with the child as user_data (milter_server_context_set_events()). */
static const MilterServerContextEvents child_events = {
  .negotiate_reply = on_negotiate_reply,
  .continue_ = on_continue,
  .accept = on_accept,
  .reject = on_reject,
  .temporary_failure = on_temporary_failure,
  .discard = on_discard,
  .skip = on_skip,
  .reply_code = on_reply_code,
  .progress = on_progress,
  .shutdown = on_shutdown,
  .connection_failure = on_connection_failure,
  .add_header = on_add_header,
  .insert_header = on_insert_header,
  .change_header = on_change_header,
  .delete_header = on_delete_header,
  .add_recipient = on_add_recipient,
  .delete_recipient = on_delete_recipient,
  .change_from = on_change_from,
  .replace_body = on_replace_body,
  .quarantine = on_quarantine,
  .connection_timeout = on_connection_timeout,
  .writing_timeout = on_writing_timeout,
  .reading_timeout = on_reading_timeout,
  .end_of_message_timeout = on_end_of_message_timeout,
};

/* The signals with a class handler already ("ready", "error",
 * "finished") are virtual functions: ours runs first, as a connected
 * handler did, then the parent's. */
static void
child_context_ready (MilterServerContext *context)
{
  if (CHILD_CONTEXT (context)->child)
    on_ready (context, CHILD_CONTEXT (context)->child);
  if (MILTER_SERVER_CONTEXT_CLASS (child_context_parent_class)->ready)
    MILTER_SERVER_CONTEXT_CLASS (child_context_parent_class)->ready (context);
}

static void
child_context_error (MilterAgent *agent, GError *error)
{
  if (CHILD_CONTEXT (agent)->child)
    on_error (MILTER_SERVER_CONTEXT (agent), error, CHILD_CONTEXT (agent)->child);
  MILTER_AGENT_CLASS (child_context_parent_class)->error (agent, error);
}

static void
child_context_finished (MilterAgent *agent)
{
  if (CHILD_CONTEXT (agent)->child)
    on_finished (MILTER_SERVER_CONTEXT (agent), CHILD_CONTEXT (agent)->child);
  MILTER_AGENT_CLASS (child_context_parent_class)->finished (agent);
}

static void
child_context_class_init (MilterManagerChildContextClass *klass)
{
  klass->parent_class.ready = child_context_ready;
  MILTER_AGENT_CLASS (klass)->error = child_context_error;
  MILTER_AGENT_CLASS (klass)->finished = child_context_finished;
}

static void
child_context_init (MilterManagerChildContext *context)
{
  (void) context;
}

/* ---- public ----------------------------------------------------------- */

static void new_context (MilterManagerChild *child);

MilterManagerChild *
milter_manager_child_new (MilterManagerEgg *egg,
                          MilterEventLoop *loop,
                          guint64 session_id,
                          gdouble retry_interval,
                          const MilterManagerChildCallbacks *callbacks,
                          gpointer user_data)
{
  MilterManagerChild *child = g_new0 (MilterManagerChild, 1);

  child->egg = g_object_ref (egg);
  child->loop = g_object_ref (loop);
  child->session_id = session_id;
  child->retry_interval = retry_interval;
  child->callbacks = callbacks;
  child->user_data = user_data;
  child->last_state = MILTER_SERVER_STATE_START;
  child->last_status = MILTER_STATUS_NOT_CHANGE;

  new_context (child);
  return child;
}

static void
new_context (MilterManagerChild *child)
{
  MilterManagerEgg *egg = child->egg;
  MilterEventLoop *loop = child->loop;
  MilterServerContext *context;

  context = child->context =
    g_object_new (CHILD_TYPE_CONTEXT, "name", milter_manager_egg_get_name (egg),
                  NULL);
  CHILD_CONTEXT (context)->child = child;
  milter_server_context_set_events (context, &child_events, child);
  milter_agent_set_event_loop (MILTER_AGENT (context), loop);
  milter_agent_set_session_id (MILTER_AGENT (context),
                               milter_agent_next_session_id ());
  milter_server_context_set_connection_timeout (context,
    milter_manager_egg_get_connection_timeout (egg));
  milter_server_context_set_writing_timeout (context,
    milter_manager_egg_get_writing_timeout (egg));
  milter_server_context_set_reading_timeout (context,
    milter_manager_egg_get_reading_timeout (egg));
  milter_server_context_set_end_of_message_timeout (context,
    milter_manager_egg_get_end_of_message_timeout (egg));
}

static void
drop_context (MilterManagerChild *child)
{
  CHILD_CONTEXT (child->context)->child = NULL;
  milter_server_context_set_events (child->context, NULL, NULL);
  if (!milter_agent_is_shut_down (MILTER_AGENT (child->context)))
    milter_agent_shutdown (MILTER_AGENT (child->context));
  g_clear_object (&child->context);
}

/* ---- the launch before the retry (launcher.md §2, defect 3: exactly one
 * retry after a launch request) -------------------------------------------- */

static void
on_launched (gboolean ready, const gchar *message, gpointer user_data)
{
  MilterManagerChild *child = user_data;
  g_autoptr (GError) error = NULL;
  const gchar *spec = milter_manager_egg_get_connection_spec (child->egg);

  child->launch_id = 0;
  if (!ready) {
    g_autofree gchar *reason = g_strdup_printf ("not launched: %s", message);
    fail (child, reason);
    return;
  }
  /* A context whose connect failed in the loop has ended: a new one. */
  if (milter_agent_is_shut_down (MILTER_AGENT (child->context))) {
    drop_context (child);
    new_context (child);
  }
  child->phase = CHILD_CONNECTING;
  if (!milter_server_context_set_connection_spec (child->context, spec, &error) ||
      !milter_server_context_establish_connection (child->context, &error))
    fail (child, error->message);
}

/* TRUE when a launch is awaited (one retry follows). */
static gboolean
start_launch (MilterManagerChild *child)
{
  const gchar *name = milter_manager_egg_get_name (child->egg);
  gdouble bound = child->retry_interval > 0 ? child->retry_interval :
    MILTER_MANAGER_CONFIGURATION_DEFAULT_CONNECTION_RETRY_INTERVAL;

  if (!child->launcher)
    return FALSE;
  if (!milter_manager_egg_get_command (child->egg)) {
    milter_debug (child->session_id,
                  "[children][start-child][skip] [%" G_GUINT64_FORMAT "] %s: command isn't set",
                  child_tag (child), name);
    return FALSE;
  }
  if (!milter_manager_launcher_is_available (child->launcher)) {
    milter_debug (child->session_id,
                  "[children][start-child][skip] [%" G_GUINT64_FORMAT "] %s: launcher isn't available",
                  child_tag (child), name);
    return FALSE;
  }
  bound = MIN (bound, milter_manager_egg_get_connection_timeout (child->egg));
  child->launch_id = milter_manager_launcher_launch (child->launcher, child->egg,
                                                     child->session_id, bound,
                                                     on_launched, child);
  if (!child->launch_id)
    return FALSE;
  child->retried = TRUE;
  child->phase = CHILD_LAUNCHING;
  return TRUE;
}

gboolean
milter_manager_child_start (MilterManagerChild *child,
                            const MilterOption *mta_offer)
{
  g_autoptr (GError) error = NULL;
  const gchar *spec = milter_manager_egg_get_connection_spec (child->egg);

  milter_manager_reply_rules_child_offer (mta_offer, &child->offer);
  child->phase = CHILD_CONNECTING;
  if (milter_server_context_set_connection_spec (child->context, spec, &error) &&
      milter_server_context_establish_connection (child->context, &error))
    return TRUE;
  log_connection_error (child, error->message);
  if (!child->retried && start_launch (child))
    return TRUE;
  if (!child->retried && child->retry_interval > 0) {
    /* One more attempt, as the original does, but after a configurable
     * delay (D19). */
    child->retried = TRUE;
    child->retry_id = milter_event_loop_add_timeout (child->loop,
                                                     child->retry_interval,
                                                     retry_cb, child, NULL);
    return TRUE;
  }
  give_up_connecting (child);
  return FALSE;
}

void
milter_manager_child_free (MilterManagerChild *child)
{
  if (!child)
    return;
  if (child->retry_id)
    milter_event_loop_remove (child->loop, child->retry_id);
  cancel_launch (child);
  log_end (child);
  drop_context (child);
  g_clear_object (&child->launcher);
  g_object_unref (child->loop);
  g_object_unref (child->egg);
  g_clear_pointer (&child->requests, milter_macros_requests_free);
  g_free (child);
}

MilterServerContext *
milter_manager_child_get_context (MilterManagerChild *child)
{
  return child->context;
}

MilterManagerEgg *
milter_manager_child_get_egg (MilterManagerChild *child)
{
  return child->egg;
}

const gchar *
milter_manager_child_get_name (MilterManagerChild *child)
{
  return milter_manager_egg_get_name (child->egg);
}

MilterStatus
milter_manager_child_get_fallback_status (MilterManagerChild *child)
{
  return milter_manager_egg_get_fallback_status (child->egg);
}

gboolean
milter_manager_child_is_evaluation_mode (MilterManagerChild *child)
{
  return milter_manager_egg_is_evaluation_mode (child->egg);
}

const MilterOption *
milter_manager_child_get_option (MilterManagerChild *child)
{
  return child->phase >= CHILD_ALIVE ? &child->option : NULL;
}

const MilterMacrosRequests *
milter_manager_child_get_macros_requests (MilterManagerChild *child)
{
  return child->requests;
}

MilterServerState
milter_manager_child_get_state (MilterManagerChild *child)
{
  return child->last_state;
}

gboolean
milter_manager_child_is_alive (MilterManagerChild *child)
{
  return child->phase == CHILD_ALIVE;
}

gboolean
milter_manager_child_is_negotiating (MilterManagerChild *child)
{
  return child->phase == CHILD_CONNECTING || child->phase == CHILD_LAUNCHING ||
         child->phase == CHILD_NEGOTIATING;
}

void
milter_manager_child_set_launcher (MilterManagerChild *child,
                                   MilterManagerLauncher *launcher)
{
  if (launcher)
    g_object_ref (launcher);
  g_clear_object (&child->launcher);
  child->launcher = launcher;
}

gboolean
milter_manager_child_is_waiting (MilterManagerChild *child)
{
  return child->waiting;
}

void
milter_manager_child_sent (MilterManagerChild *child)
{
  child->waiting = TRUE;
  child->aborted = FALSE;
  child->last_state = milter_server_context_get_state (child->context);
  if (!child->timer_start)
    child->timer_start = g_get_monotonic_time ();
}

void
milter_manager_child_fail (MilterManagerChild *child, const GError *error)
{
  fail (child, error->message);
}

void
milter_manager_child_time_out (MilterManagerChild *child)
{
  child->timeout_kind = "connection";
  fail (child, "not negotiated in time");
}

void
milter_manager_child_note_status (MilterManagerChild *child,
                                  MilterStatus status)
{
  child->last_status = status;
}

void
milter_manager_child_note_stop (MilterManagerChild *child,
                                MilterServerState stage)
{
  /* The stage it was stopped at is where it finished: the [milter][end]
   * row reads [STAGE][stop]. */
  child->last_state = stage;
  child->last_status = MILTER_STATUS_STOP;
}

MilterStatus
milter_manager_child_get_last_status (MilterManagerChild *child)
{
  return child->last_status;
}

void
milter_manager_child_abort (MilterManagerChild *child)
{
  g_autoptr (GError) error = NULL;

  if (child->phase != CHILD_ALIVE)
    return;
  /* Aborted after a pass: the statistics row says "abort". */
  if (child->last_status == MILTER_STATUS_NOT_CHANGE ||
      child->last_status == MILTER_STATUS_CONTINUE)
    child->aborted = TRUE;
  if (!milter_server_context_abort (child->context, &error))
    fail (child, error->message);
}

void
milter_manager_child_quit (MilterManagerChild *child)
{
  g_autoptr (GError) error = NULL;

  if (child->phase != CHILD_ALIVE) {
    if (child->phase < CHILD_ALIVE)
      go_out (child);
    return;
  }
  child->phase = CHILD_QUITTING;
  child->waiting = FALSE;
  if (!milter_server_context_quit (child->context, &error))
    go_out (child);
}

void
milter_manager_child_drop (MilterManagerChild *child)
{
  if (child->phase != CHILD_OUT)
    go_out (child);
}

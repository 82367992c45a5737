/*
 * milter-server-context-private - what the server context's files share
 *
 * SYNOPSIS
 *   #include <milter/server/milter-server-context-private.h>
 *
 *   MilterServerContextPrivate *milter_server_context_get_private (context);
 *   void milter_server_context_fail (context, error);
 *   void milter_server_context_arm_reply_timer (context);
 *   void milter_server_context_disarm_reply_timer (context);
 *   void milter_server_context_start_writing_timer (context);
 *   void milter_server_context_drop_body (context);
 *   gboolean milter_server_context_has_pending_body (context);
 *   gboolean milter_server_context_send_pending_body (context, skipped,
 *                                                     &error);
 *   gboolean milter_server_context_decode (agent, data, size, &error);
 *   gboolean milter_server_context_decode_end (agent, &error);
 *
 * DESCRIPTION
 *   Not installed. MilterServerContext lives in three files, one concept
 *   each: milter-server-context.c (the object, its lifecycle, timers and
 *   the connection), milter-server-context-events.c (the commands sent to
 *   the milter, body chunking, macros) and milter-server-context-replies.c
 *   (decoding and dispatching the milter's replies). This header holds the
 *   private state and the few functions they call across files; all are
 *   G_GNUC_INTERNAL, so none leaves the library.
 *
 *   milter_server_context_fail() ends the session with "error" then
 *   "finished", taking error. milter_server_context_send_pending_body()
 *   is called on "continue" in the body state while
 *   milter_server_context_has_pending_body(), and on skip while an
 *   end-of-message follows the body: it writes the next body chunk, or the
 *   end-of-message that follows a body end_of_message() had to split.
 *
 * DIAGNOSTICS
 *   As for milter-server-context.h.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-macros-requests.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-reply-code.h>
#include <milter/core/milter-reply-decoder.h>
#include <milter/server/milter-server-context.h>

G_BEGIN_DECLS

/* Commands that may carry macros, in the order of the macro table. */
#define MILTER_SERVER_CONTEXT_N_MACRO_COMMANDS MILTER_MACRO_COMMAND_COUNT_TOLERATED

typedef struct {
  gchar *name;
  MilterConnectionSpec *spec;
  gdouble connection_timeout;
  gdouble writing_timeout;
  gdouble reading_timeout;
  gdouble end_of_message_timeout;

  MilterReplyDecoder *decoder;
  MilterServerState state;
  /* Set through milter_server_context_set_waiting() only. */
  gboolean waiting;
  /* TCP: quick ACKs while a reply is awaited (see set_waiting). */
  gboolean quick_ack;
  MilterStatus status;
  MilterOption offered;
  MilterOption negotiated;
  gboolean has_negotiated;
  MilterMacrosRequests *macros_requests;

  gint connecting_fd;
  guint connect_watch_id;
  guint connection_timer_id;
  gboolean connected;
  gboolean ended;
  /* After shutdown or connection-failure the milter closes: not an error. */
  gboolean peer_closing;
  /* After quit-new-connection: connect may follow. */
  gboolean new_connection;

  /* Per command one block owned by macro_names[i]: macro_values[i]
   * points into it (milter_server_context_set_macros). */
  gchar **macro_names[MILTER_SERVER_CONTEXT_N_MACRO_COMMANDS];
  gchar **macro_values[MILTER_SERVER_CONTEXT_N_MACRO_COMMANDS];
  /* Reused for the macros a protocol-6 milter's lists let through. */
  GPtrArray *wanted_names;
  GPtrArray *wanted_values;

  /* Reused for a header value sent with its leading space. */
  GString *header_value;
  /* The last reply-code reply: parsed when valid, why not otherwise. */
  MilterReplyCode *reply_code;
  GError *reply_code_error;
  gchar *reply_code_text;      /* the last 'y' text as sent, valid or not */
  /* Bytes the milter's modifications of this message made us hold. */
  gsize held_size;
  gsize max_held_size;

  GBytes *body;
  gsize body_offset;
  gboolean body_remained_logged;
  /* end_of_message() sent its data as body chunks: once the milter has
   * taken them (or skipped), the end-of-message itself goes. */
  gboolean end_of_message_follows;

  guint reply_timer_id;
  gint64 reply_deadline;     /* monotonic µs; 0: no reply timer armed */
  gint64 reply_timer_fires;  /* when the armed source fires */
  guint writing_timer_id;
  gboolean write_pending;
  gboolean replied_during_write;
  guint idle_id;

  /* milter_server_context_set_events(): never NULL (an empty table). */
  const MilterServerContextEvents *events;
  gpointer events_data;
} MilterServerContextPrivate;

/* Private header: short names are safe here. */
enum {
  SIGNAL_READY,
  SIGNAL_NEGOTIATE_REPLY,
  SIGNAL_CONTINUE,
  SIGNAL_ACCEPT,
  SIGNAL_REJECT,
  SIGNAL_TEMPORARY_FAILURE,
  SIGNAL_DISCARD,
  SIGNAL_REPLY_CODE,
  SIGNAL_SKIP,
  SIGNAL_PROGRESS,
  SIGNAL_SHUTDOWN,
  SIGNAL_CONNECTION_FAILURE,
  SIGNAL_ADD_HEADER,
  SIGNAL_INSERT_HEADER,
  SIGNAL_CHANGE_HEADER,
  SIGNAL_DELETE_HEADER,
  SIGNAL_ADD_RECIPIENT,
  SIGNAL_DELETE_RECIPIENT,
  SIGNAL_CHANGE_FROM,
  SIGNAL_REPLACE_BODY,
  SIGNAL_QUARANTINE,
  SIGNAL_CONNECTION_TIMEOUT,
  SIGNAL_WRITING_TIMEOUT,
  SIGNAL_READING_TIMEOUT,
  SIGNAL_END_OF_MESSAGE_TIMEOUT,
  N_SIGNALS
};

/* Signal ids, indexed by the enum above; set in class_init. */
G_GNUC_INTERNAL extern guint
milter_server_context_signals[N_SIGNALS];

#define PRIV(self) milter_server_context_get_private (self)
#define SESSION(self) milter_agent_get_session_id (MILTER_AGENT (self))

G_GNUC_INTERNAL MilterServerContextPrivate *
milter_server_context_get_private (MilterServerContext *context);

/* milter-server-context.c */
G_GNUC_INTERNAL void milter_server_context_fail (MilterServerContext *context,
                                                 GError *error);
G_GNUC_INTERNAL void
milter_server_context_arm_reply_timer (MilterServerContext *context);
G_GNUC_INTERNAL void
milter_server_context_disarm_reply_timer (MilterServerContext *context);
G_GNUC_INTERNAL void
milter_server_context_start_writing_timer (MilterServerContext *context);
G_GNUC_INTERNAL void
milter_server_context_set_waiting (MilterServerContext *context,
                                   gboolean waiting);

/* Short names the context's files use. */
static inline void
fail_session (MilterServerContext *context, GError *error)
{
  milter_server_context_fail (context, error);
}

static inline void
arm_reply_timer (MilterServerContext *context)
{
  milter_server_context_arm_reply_timer (context);
}

static inline void
disarm_reply_timer (MilterServerContext *context)
{
  milter_server_context_disarm_reply_timer (context);
}

static inline void
set_waiting (MilterServerContext *context, gboolean waiting)
{
  milter_server_context_set_waiting (context, waiting);
}

/* milter-server-context-replies.c: the owner's table function for the
 * event, else the signal. */
G_GNUC_INTERNAL void
milter_server_context_emit_simple (MilterServerContext *context,
                                   guint signal_index);
#define EMIT_EVENT(self, field, id, ...)                                 \
  G_STMT_START {                                                        \
    MilterServerContextPrivate *emit_priv_ = PRIV (self);               \
    if (emit_priv_->events->field)                                      \
      emit_priv_->events->field (self, __VA_ARGS__,                     \
                                 emit_priv_->events_data);              \
    else                                                                \
      g_signal_emit (self, milter_server_context_signals[id], 0,         \
                     __VA_ARGS__);                                      \
  } G_STMT_END

/* milter-server-context-events.c */
G_GNUC_INTERNAL void milter_server_context_drop_body (MilterServerContext *context);
G_GNUC_INTERNAL gboolean
milter_server_context_has_pending_body (MilterServerContext *context);
/* skipped: the milter answered skip; the rest of the body is dropped. */
G_GNUC_INTERNAL gboolean
milter_server_context_send_pending_body (MilterServerContext *context,
                                         gboolean skipped,
                                         GError **error);

static inline void
drop_body (MilterServerContext *context)
{
  milter_server_context_drop_body (context);
}

/* milter-server-context-replies.c: MilterAgent's decode vfuncs. */
G_GNUC_INTERNAL gboolean milter_server_context_decode (MilterAgent *agent,
                                                       const guint8 *data,
                                                       gsize size,
                                                       GError **error);
G_GNUC_INTERNAL gboolean milter_server_context_decode_end (MilterAgent *agent,
                                                           GError **error);

G_END_DECLS

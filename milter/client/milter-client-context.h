/*
 * milter-client-context - one milter session facing an MTA
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-context.h>
 *
 *   MilterClientContext *milter_client_context_new (void);
 *   g_signal_connect (context, "envelope-recipient", G_CALLBACK (cb), data);
 *   milter_client_context_reply (context, MILTER_STATUS_REJECT, &error);
 *   milter_client_context_set_reply (context, 550, "5.7.1", "no", &error);
 *   milter_client_context_add_header (context, "X-Scanned", "yes", &error);
 *   milter_client_context_get_macro (context, "{mail_addr}");
 *
 * DESCRIPTION
 *   A MilterClientContext is a MilterAgent that decodes the MTA's commands
 *   and emits one signal per event. Handlers return a MilterStatus:
 *
 *     MILTER_STATUS_DEFAULT      (also: no handler) continue; at
 *                                negotiate, accept the default wishes
 *     CONTINUE, ACCEPT, REJECT, TEMPORARY_FAILURE, DISCARD
 *                                reply with it (REJECT and
 *                                TEMPORARY_FAILURE use the reply code set
 *                                with set_reply() when its class matches)
 *     SKIP                       skip the rest of the body (body only, when
 *                                SKIP was negotiated; otherwise continue)
 *     NOT_CHANGE                 reply later: keep get_event_id() and
 *                                call milter_client_context_reply_to_event()
 *
 *   The first handler returning something other than DEFAULT decides.
 *   Replies to one event leave in one write: at end-of-message, the
 *   modifications (add/insert/change/delete header, change-from, add/
 *   delete recipient, replace-body, quarantine) queue in the agent's
 *   output buffer and go out with the final status. With a
 *   packet-buffer-size > 0 the queue is written whenever it reaches that
 *   size (so a huge replaced body does not sit in memory twice).
 *   Progress is written at once.
 *
 *   A deferred reply is tied to its event: get_event_id() in the handler
 *   names the event, reply_to_event() answers it. If the event was aborted
 *   meanwhile (abort, quit-new-connection, a command out of order), the
 *   late reply is dropped with a warning and fails with STALE_REPLY; it
 *   never answers a later event. reply() answers whatever event waits.
 *
 *   Steps negotiated with NR_* ("no reply") flags are honoured: nothing is
 *   sent for those events and the handler's status is ignored. When the
 *   milter wished one the MTA did not offer, the wish is dropped from the
 *   reply and the library answers those events with continue itself (as
 *   libmilter does); the milter's code still sees its status ignored.
 *
 *   negotiate: the handler gets the MTA's offer and a MilterOption to fill
 *   with its wishes and a MilterMacrosRequests for the v6 macro lists. The
 *   wishes are preset to version 6, no action, no step (every event, every
 *   reply): like libmilter's xxfi_flags, a milter declares the actions it
 *   will use. The reply follows milter_option_negotiate() (undefined
 *   action bits are never echoed; unoffered no-reply, no-data and
 *   no-unknown wishes are dropped); a refusal (the milter needs actions or
 *   event switches the MTA did not offer, or the handler returned REJECT,
 *   TEMPORARY_FAILURE or DISCARD) ends the session.
 *
 *   Commands out of order follow milter-client-state's rule, as libmilter
 *   does: the message in progress is aborted ("abort") and the command is
 *   taken as if after helo, or dropped unanswered if it cannot come even
 *   then ([client][order][resync] / [client][order][ignore] warnings). The
 *   session ends only for a command before negotiate, or while a reply is
 *   pending (the MTA must wait for it).
 *
 *   quit and quit-new-connection tell the milter's code that the SMTP
 *   connection is over ("close", after "abort" if a message was in
 *   progress), forget the event in progress, its queued output and every
 *   macro; after quit-new-connection the next connect starts afresh.
 *
 *   Timeout (default MILTER_CLIENT_CONTEXT_DEFAULT_TIMEOUT, libmilter's
 *   7210 s; 0: none): a session whose MTA sends nothing, or reads none of
 *   a pending reply, for that long is closed. See
 *   milter-client-context-timeout.c.
 *
 *   Macros: the MTA's macro definitions are kept per stage. get_macro()
 *   looks in the current event's stage first, then in the others from
 *   end-of-message back to connect; "{name}" and "name" are the same.
 *   Message stages are cleared when a message ends.
 *
 * SIGNALS (handler return type MilterStatus unless said otherwise)
 *   "negotiate"          (const MilterOption *offer, MilterOption *option,
 *                         MilterMacrosRequests *requests)
 *   "connect"            (const gchar *host, gint family, guint port,
 *                         const gchar *address)  address NULL for 'U'
 *   "helo"               (const gchar *fqdn)
 *   "envelope-from"      (const gchar *from, const gchar *const *esmtp_args)
 *   "envelope-recipient" (const gchar *to, const gchar *const *esmtp_args)
 *   "data"               ()
 *   "unknown"            (const gchar *command)
 *   "header"             (const gchar *name, const gchar *value)
 *   "end-of-header"      ()
 *   "body"               (gconstpointer chunk, guint64 size)
 *   "end-of-message"     (gconstpointer chunk, guint64 size)
 *   "abort"              () returns nothing
 *   "close"              () returns nothing: the SMTP connection is over
 *   "finished"           () returns nothing (from MilterAgent)
 *   Strings and chunks are valid only during the emission.
 *
 * DIAGNOSTICS
 *   [client][error][write]                    a reply could not be written
 *   [client][error][buffered-packets][write]  queued modifications could
 *                                             not be written
 *   [client][error][reply-on-end-of-message][flush]
 *                                             the end-of-message group
 *                                             could not be written
 *   [reply][end-of-message][quarantine]       (statistics) quarantine sent
 *   [client][order][resync], [client][order][ignore]
 *                                             (warning) a command out of
 *                                             order
 *   [client][reply][stale]                    (warning) a late reply to an
 *                                             aborted event was dropped
 *   [client][error][timeout], [client][error][timeout][write]
 *                                             the timeout closed the session
 *   A write failure ends the session. A command before negotiate or while
 *   a reply is pending is a decode error (the agent logs
 *   [agent][error][decode] and ends the session). Reply API misuse fails
 *   with MILTER_CLIENT_CONTEXT_ERROR.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-macros-requests.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-status.h>
#include <milter/client/milter-client-state.h>

G_BEGIN_DECLS

#define MILTER_CLIENT_CONTEXT_ERROR (milter_client_context_error_quark ())
GQuark milter_client_context_error_quark (void);

typedef enum {
  /* A command out of order, or a reply where it is not allowed. */
  MILTER_CLIENT_CONTEXT_ERROR_INVALID_STATE,
  /* A modification whose action the MTA did not grant. */
  MILTER_CLIENT_CONTEXT_ERROR_NOT_NEGOTIATED,
  /* reply() with no deferred event. */
  MILTER_CLIENT_CONTEXT_ERROR_NO_PENDING_REPLY,
  /* The MTA's offer does not cover the milter's needs. */
  MILTER_CLIENT_CONTEXT_ERROR_NEGOTIATION,
  /* Writing failed (the session is over). */
  MILTER_CLIENT_CONTEXT_ERROR_IO,
  /* reply_to_event() for an event that no longer waits (aborted). */
  MILTER_CLIENT_CONTEXT_ERROR_STALE_REPLY
} MilterClientContextError;

/* libmilter's default: seconds a session may stay silent or stalled. */
#define MILTER_CLIENT_CONTEXT_DEFAULT_TIMEOUT 7210.0

#define MILTER_TYPE_CLIENT_CONTEXT (milter_client_context_get_type ())
G_DECLARE_FINAL_TYPE (MilterClientContext, milter_client_context,
                      MILTER, CLIENT_CONTEXT, MilterAgent)

MilterClientContext *milter_client_context_new (void);

MilterClientState milter_client_context_get_state (MilterClientContext *context);
/* The event being handled (or waiting for its deferred reply); 0 if none. */
MilterCommandType milter_client_context_get_current_event (MilterClientContext *context);
/* The number of that event in the session (increasing); 0 if none. */
guint64 milter_client_context_get_event_id (MilterClientContext *context);
/* What the MTA offered, and what was agreed (version 0 before). */
const MilterOption *milter_client_context_get_mta_option (MilterClientContext *context);
const MilterOption *milter_client_context_get_option (MilterClientContext *context);
/* 0: queue every end-of-message modification until the final reply. */
void milter_client_context_set_packet_buffer_size (MilterClientContext *context,
                                                  gsize size);
/* The event handlers of one owner as direct calls, for an owner that
 * makes a context per session and would otherwise connect a dozen
 * handlers to each (the manager's leader). Prototypes are those of the
 * signals. A non-NULL function takes its event instead of the signal
 * (which is then not emitted); abort and close call the function, then
 * emit the signal; finished is called after the agent's "finished"
 * handlers. events must outlive the context (a static table); NULL
 * removes it. */
typedef struct {
  MilterStatus (*negotiate) (MilterClientContext *context,
                             const MilterOption *offer, MilterOption *wants,
                             MilterMacrosRequests *requests,
                             gpointer user_data);
  MilterStatus (*connect) (MilterClientContext *context, const gchar *host,
                           gint family, guint port, const gchar *address,
                           gpointer user_data);
  MilterStatus (*helo) (MilterClientContext *context, const gchar *fqdn,
                        gpointer user_data);
  MilterStatus (*envelope_from) (MilterClientContext *context,
                                 const gchar *from, const gchar *const *args,
                                 gpointer user_data);
  MilterStatus (*envelope_recipient) (MilterClientContext *context,
                                      const gchar *to,
                                      const gchar *const *args,
                                      gpointer user_data);
  MilterStatus (*data) (MilterClientContext *context, gpointer user_data);
  MilterStatus (*unknown) (MilterClientContext *context, const gchar *command,
                           gpointer user_data);
  MilterStatus (*header) (MilterClientContext *context, const gchar *name,
                          const gchar *value, gpointer user_data);
  MilterStatus (*end_of_header) (MilterClientContext *context,
                                 gpointer user_data);
  MilterStatus (*body) (MilterClientContext *context, gconstpointer chunk,
                        guint64 size, gpointer user_data);
  MilterStatus (*end_of_message) (MilterClientContext *context,
                                  gconstpointer chunk, guint64 size,
                                  gpointer user_data);
  void (*abort) (MilterClientContext *context, gpointer user_data);
  void (*close) (MilterClientContext *context, gpointer user_data);
  void (*finished) (MilterClientContext *context, gpointer user_data);
} MilterClientContextEvents;

void milter_client_context_set_events (MilterClientContext *context,
                                       const MilterClientContextEvents *events,
                                       gpointer user_data);

/* Seconds (0: none); arms the timer when the event loop is set. */
void milter_client_context_set_timeout (MilterClientContext *context,
                                        gdouble seconds);
gdouble milter_client_context_get_timeout (MilterClientContext *context);

const gchar *milter_client_context_get_macro (MilterClientContext *context,
                                              const gchar *name);
/* The macros the MTA defined for a stage command byte ('C', 'H', 'M',
 * 'R', 'T', 'N', 'E', 'U'), names without braces; NULL if none. */
GHashTable *milter_client_context_get_stage_macros (MilterClientContext *context,
                                                   guint8 stage_command);

/* Completes a deferred event (handler returned NOT_CHANGE): the one now
 * waiting, whichever it is. */
gboolean milter_client_context_reply (MilterClientContext *context,
                                      MilterStatus status,
                                      GError **error);
/* Completes the deferred event event_id; a stale one is dropped (warning,
 * MILTER_CLIENT_CONTEXT_ERROR_STALE_REPLY). */
gboolean milter_client_context_reply_to_event (MilterClientContext *context,
                                               guint64 event_id,
                                               MilterStatus status,
                                               GError **error);
/* The SMTP reply used by the next REJECT (5xx) or TEMPORARY_FAILURE (4xx). */
gboolean milter_client_context_set_reply (MilterClientContext *context,
                                          guint code,
                                          const gchar *extended_code,
                                          const gchar *message,
                                          GError **error);
gboolean milter_client_context_set_multiline_reply (MilterClientContext *context,
                                                    guint code,
                                                    const gchar *extended_code,
                                                    const gchar *const *lines,
                                                    GError **error);
gboolean milter_client_context_progress (MilterClientContext *context,
                                         GError **error);

/* End-of-message only. */
gboolean milter_client_context_add_header (MilterClientContext *context,
                                           const gchar *name,
                                           const gchar *value,
                                           GError **error);
gboolean milter_client_context_insert_header (MilterClientContext *context,
                                              guint32 index,
                                              const gchar *name,
                                              const gchar *value,
                                              GError **error);
/* index: 1-based among the headers called name. */
gboolean milter_client_context_change_header (MilterClientContext *context,
                                              const gchar *name,
                                              guint32 index,
                                              const gchar *value,
                                              GError **error);
gboolean milter_client_context_delete_header (MilterClientContext *context,
                                              const gchar *name,
                                              guint32 index,
                                              GError **error);
/* args: ESMTP arguments "A=B C", or NULL. */
gboolean milter_client_context_change_from (MilterClientContext *context,
                                            const gchar *from,
                                            const gchar *args,
                                            GError **error);
gboolean milter_client_context_add_recipient (MilterClientContext *context,
                                              const gchar *recipient,
                                              const gchar *args,
                                              GError **error);
gboolean milter_client_context_delete_recipient (MilterClientContext *context,
                                                 const gchar *recipient,
                                                 GError **error);
gboolean milter_client_context_replace_body (MilterClientContext *context,
                                             const guint8 *data,
                                             gsize size,
                                             GError **error);
gboolean milter_client_context_quarantine (MilterClientContext *context,
                                           const gchar *reason,
                                           GError **error);

G_END_DECLS

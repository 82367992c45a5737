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
 *     NOT_CHANGE                 reply later with milter_client_context_reply()
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
 *   Steps negotiated with NR_* ("no reply") flags are honoured: nothing is
 *   sent for those events and the handler's status is ignored.
 *
 *   negotiate: the handler gets the MTA's offer and a MilterOption to fill
 *   with its wishes (preset to version 6, every offered action, no steps:
 *   every event, every reply) and a MilterMacrosRequests for the v6 macro
 *   lists. The reply follows milter_option_negotiate(); a refusal (the
 *   milter needs what the MTA did not offer, or the handler returned
 *   REJECT, TEMPORARY_FAILURE or DISCARD) ends the session.
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
 *   A write failure ends the session. Commands out of order are decode
 *   errors (the agent logs [agent][error][decode] and ends the session).
 *   Reply API misuse fails with MILTER_CLIENT_CONTEXT_ERROR.
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
  MILTER_CLIENT_CONTEXT_ERROR_IO
} MilterClientContextError;

#define MILTER_TYPE_CLIENT_CONTEXT (milter_client_context_get_type ())
G_DECLARE_FINAL_TYPE (MilterClientContext, milter_client_context,
                      MILTER, CLIENT_CONTEXT, MilterAgent)

MilterClientContext *milter_client_context_new (void);

MilterClientState milter_client_context_get_state (MilterClientContext *context);
/* The event being handled (or waiting for its deferred reply); 0 if none. */
MilterCommandType milter_client_context_get_current_event (MilterClientContext *context);
/* What the MTA offered, and what was agreed (version 0 before). */
const MilterOption *milter_client_context_get_mta_option (MilterClientContext *context);
const MilterOption *milter_client_context_get_option (MilterClientContext *context);
/* 0: queue every end-of-message modification until the final reply. */
void milter_client_context_set_packet_buffer_size (MilterClientContext *context,
                                                  gsize size);

const gchar *milter_client_context_get_macro (MilterClientContext *context,
                                              const gchar *name);
/* The macros the MTA defined for a stage command byte ('C', 'H', 'M',
 * 'R', 'T', 'N', 'E', 'U'), names without braces; NULL if none. */
GHashTable *milter_client_context_get_stage_macros (MilterClientContext *context,
                                                   guint8 stage_command);

/* Completes a deferred event (handler returned NOT_CHANGE). */
gboolean milter_client_context_reply (MilterClientContext *context,
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

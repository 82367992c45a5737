/*
 * milter-server-context - the MTA side of one session with one milter
 *
 * SYNOPSIS
 *   MilterServerContext *milter_server_context_new (const gchar *name);
 *   gboolean milter_server_context_set_connection_spec (context, spec, &error);
 *   void milter_server_context_set_*_timeout (context, seconds);
 *   gboolean milter_server_context_establish_connection (context, &error);
 *   gboolean milter_server_context_negotiate (context, option, &error);
 *   void milter_server_context_set_macros (context, command, names, values, n);
 *   gboolean milter_server_context_connect (context, host, family, port,
 *                                           address, &error);
 *   gboolean milter_server_context_helo (context, fqdn, &error);
 *   gboolean milter_server_context_envelope_from (context, from, args, &error);
 *   gboolean milter_server_context_envelope_recipient (context, to, args, &error);
 *   gboolean milter_server_context_data (context, &error);
 *   gboolean milter_server_context_unknown (context, command, &error);
 *   gboolean milter_server_context_header (context, name, value, &error);
 *   gboolean milter_server_context_end_of_header (context, &error);
 *   gboolean milter_server_context_body (context, data, size, &error);
 *   gboolean milter_server_context_end_of_message (context, data, size, &error);
 *   gboolean milter_server_context_abort (context, &error);
 *   gboolean milter_server_context_quit (context, &error);
 *   gboolean milter_server_context_quit_new_connection (context, &error);
 *
 * DESCRIPTION
 *   A MilterServerContext talks to a milter the way Postfix or Sendmail
 *   does. It is a MilterAgent: the agent moves the bytes, the context
 *   encodes commands, decodes replies and keeps the session's state.
 *
 *   establish_connection() starts a non-blocking connect to the
 *   connection spec; "ready" follows when it is connected. negotiate()
 *   offers a version (at most 6), actions and steps; "negotiate-reply"
 *   reports the milter's answer and its protocol-6 macro lists. Then each
 *   event method sends one command, preceded by its define-macro packet
 *   when macros were set for that command, in one write, and the reply
 *   arrives as one signal per reply kind. Only one event is outstanding at
 *   a time: an event method fails with BUSY while a reply is awaited.
 *
 *   The negotiated steps are honoured: an event the milter switched off
 *   (NO_*) is not sent, an event whose reply the milter will not send
 *   (NR_*) is sent without waiting, and in both cases "continue" is
 *   emitted from the event loop as if the milter had said so. data is
 *   not sent below protocol version 4, nor unknown below 3. A body is
 *   sent in chunks of at most 65535 bytes; "continue" comes once, after
 *   the last chunk; skip drops the rest. An end-of-message chunk over
 *   65535 bytes is sent the same way, as body chunks (none if the milter
 *   switched the body off), then an empty end-of-message; only its answer
 *   is emitted. progress resets the reply timer.
 *
 *   A protocol-6 milter that negotiated set-symbol-list with a macro list
 *   for a stage gets only the macros that list names at that stage
 *   (milter_server_macro_is_wanted()), as from Sendmail or Postfix.
 *
 *   Timeouts (seconds, <= 0 disables): connection (until connected),
 *   writing (while written data waits for the socket), reading (for a
 *   reply) and end-of-message (for the replies to end-of-message). Each
 *   emits its own signal, then "error" and "finished".
 *
 *   Header values are held without the space after the colon: a milter
 *   that negotiated header-value-with-leading-space gets it added to each
 *   header it is sent, and loses one leading space from the values of its
 *   add-header, insert-header and change-header replies
 *   (milter-server-reply-values.h). A reply-code reply is checked as
 *   Postfix does: 4xx is temporary-failure, 5xx reject ("reply-code"
 *   signal, milter_server_context_get_reply_code()); a malformed one is
 *   logged and emitted as "temporary-failure", with the reason in
 *   milter_server_context_get_reply_code_error().
 *
 *   What the milter's modifications of one message make the caller hold
 *   (replaced body, header names and values, addresses, reason) is
 *   bounded (set_max_held_size(), default 64 MiB): past the bound the
 *   session ends with TOO_LARGE before the modification is reported.
 *
 *   After quit the context reads until the milter closes; a reply in that
 *   time is logged as a warning and ignored. quit_new_connection keeps the
 *   connection and negotiation for a further message: connect is next. It
 *   needs protocol version 6 ('K' is a version-6 command) and fails with
 *   UNSUPPORTED, sending nothing, to an older milter.
 *
 * SIGNALS
 *   "ready" ()                               connected
 *   "negotiate-reply" (MilterOption *, MilterMacrosRequests *)
 *   "continue", "accept", "reject", "temporary-failure", "discard",
 *   "skip", "progress", "shutdown", "connection-failure" ()
 *   "reply-code" (const gchar *text)
 *   "add-header" (name, value), "insert-header" (guint index, name, value),
 *   "change-header" (name, guint index, value), "delete-header" (name,
 *   guint index), "add-recipient" (recipient, args or NULL),
 *   "delete-recipient" (recipient), "change-from" (from, args or NULL),
 *   "replace-body" (gpointer data, guint64 size; valid during the call),
 *   "quarantine" (reason)
 *   "connection-timeout", "writing-timeout", "reading-timeout",
 *   "end-of-message-timeout" ()
 *   "error" (GError *), "finished" ()         from MilterAgent
 *
 * DIAGNOSTICS
 *   Asynchronous failures end the session with "error" carrying a
 *   MILTER_SERVER_CONTEXT_ERROR (or a reader, writer or decoder error),
 *   then "finished". Calls fail with MILTER_SERVER_CONTEXT_ERROR for
 *   misuse (BUSY, NOT_CONNECTED, NOT_NEGOTIATED, INVALID_ARGUMENT) and
 *   for connection errors. Log lines, each with "[NAME]" after the tags:
 *     [server][error][connect]        connecting failed (refused, no socket)
 *     [server][timeout][connection]   not connected in time
 *     [server][error][connected][start]  connected, but reading could not start
 *     [server][error][write]          writing to the milter failed
 *     [server][error][RESPONSE][state][invalid][STATE]
 *                                     a reply that does not answer STATE,
 *                                     with the replies expected
 *     [server][reply][quitted][STATE][RESPONSE]  (warning) a reply after quit
 *     [server][flushed][error][next-state][invalid]  the milter answered a
 *                                     command before it was fully written
 *     [server][error][reply-code][invalid]  a malformed reply code, taken
 *                                     as temporary-failure
 *     [server][error][held][too-large]  modifications over the bound
 *     [server][dispose][body][remained]  the session ended with body data
 *                                     unsent (the milter closed mid-body)
 *     [server][error]                 anything else: the milter closed the
 *                                     connection mid-session, a modification
 *                                     or skip it did not negotiate, a bad
 *                                     negotiate reply, a timeout
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-macros-requests.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply-code.h>
#include <milter/core/milter-status.h>
#include <milter/server/milter-server-reply-rules.h>

G_BEGIN_DECLS

#define MILTER_SERVER_CONTEXT_ERROR (milter_server_context_error_quark ())
GQuark milter_server_context_error_quark (void);

typedef enum {
  MILTER_SERVER_CONTEXT_ERROR_NO_SPEC,
  MILTER_SERVER_CONTEXT_ERROR_CONNECTION_FAILURE,
  MILTER_SERVER_CONTEXT_ERROR_CONNECTION_TIMEOUT,
  MILTER_SERVER_CONTEXT_ERROR_WRITING_TIMEOUT,
  MILTER_SERVER_CONTEXT_ERROR_READING_TIMEOUT,
  MILTER_SERVER_CONTEXT_ERROR_END_OF_MESSAGE_TIMEOUT,
  /* A reply that does not answer the command sent (see reply rules). */
  MILTER_SERVER_CONTEXT_ERROR_INVALID_STATE,
  /* A reply needing an action or step the milter did not negotiate, a
   * reply before its command was written, a bad negotiate reply. */
  MILTER_SERVER_CONTEXT_ERROR_PROTOCOL,
  /* The milter closed the connection before quit. */
  MILTER_SERVER_CONTEXT_ERROR_CLOSED,
  MILTER_SERVER_CONTEXT_ERROR_BUSY,
  MILTER_SERVER_CONTEXT_ERROR_NOT_CONNECTED,
  MILTER_SERVER_CONTEXT_ERROR_NOT_NEGOTIATED,
  MILTER_SERVER_CONTEXT_ERROR_INVALID_ARGUMENT,
  /* The milter's modifications of one message exceed the held-size bound. */
  MILTER_SERVER_CONTEXT_ERROR_TOO_LARGE,
  /* A command the negotiated protocol version does not have. */
  MILTER_SERVER_CONTEXT_ERROR_UNSUPPORTED
} MilterServerContextError;

#define MILTER_SERVER_CONTEXT_DEFAULT_CONNECTION_TIMEOUT 30.0
#define MILTER_SERVER_CONTEXT_DEFAULT_WRITING_TIMEOUT 30.0
#define MILTER_SERVER_CONTEXT_DEFAULT_READING_TIMEOUT 30.0
#define MILTER_SERVER_CONTEXT_DEFAULT_END_OF_MESSAGE_TIMEOUT 300.0
/* What a milter's modifications of one message may make us hold: the
 * replaced body, header names and values, recipients, sender, reason. */
#define MILTER_SERVER_CONTEXT_DEFAULT_MAX_HELD_SIZE ((gsize) 64 * 1024 * 1024)

#define MILTER_TYPE_SERVER_CONTEXT (milter_server_context_get_type ())
G_DECLARE_DERIVABLE_TYPE (MilterServerContext, milter_server_context,
                          MILTER, SERVER_CONTEXT, MilterAgent)

struct _MilterServerContextClass {
  MilterAgentClass parent_class;

  void (*ready) (MilterServerContext *context);
  gpointer padding[8];
};

/* The reply and timeout handlers of one owner as direct calls, for an
 * owner that makes contexts per session (the manager's children): no
 * signal wiring per context and no signal emission per reply. Prototypes
 * are those of the signals ("continue" is continue_). A non-NULL function
 * takes its event instead of the signal (which is then not emitted).
 * events must outlive its use (a static table); NULL removes it. */
typedef struct {
  void (*negotiate_reply) (MilterServerContext *context,
                           const MilterOption *option,
                           MilterMacrosRequests *requests,
                           gpointer user_data);
  void (*continue_) (MilterServerContext *context, gpointer user_data);
  void (*accept) (MilterServerContext *context, gpointer user_data);
  void (*reject) (MilterServerContext *context, gpointer user_data);
  void (*temporary_failure) (MilterServerContext *context, gpointer user_data);
  void (*discard) (MilterServerContext *context, gpointer user_data);
  void (*skip) (MilterServerContext *context, gpointer user_data);
  void (*reply_code) (MilterServerContext *context, const gchar *code,
                      gpointer user_data);
  void (*progress) (MilterServerContext *context, gpointer user_data);
  void (*shutdown) (MilterServerContext *context, gpointer user_data);
  void (*connection_failure) (MilterServerContext *context,
                              gpointer user_data);
  void (*add_header) (MilterServerContext *context, const gchar *name,
                      const gchar *value, gpointer user_data);
  void (*insert_header) (MilterServerContext *context, guint index,
                         const gchar *name, const gchar *value,
                         gpointer user_data);
  void (*change_header) (MilterServerContext *context, const gchar *name,
                         guint index, const gchar *value, gpointer user_data);
  void (*delete_header) (MilterServerContext *context, const gchar *name,
                         guint index, gpointer user_data);
  void (*add_recipient) (MilterServerContext *context, const gchar *recipient,
                         const gchar *args, gpointer user_data);
  void (*delete_recipient) (MilterServerContext *context,
                            const gchar *recipient, gpointer user_data);
  void (*change_from) (MilterServerContext *context, const gchar *from,
                       const gchar *args, gpointer user_data);
  void (*replace_body) (MilterServerContext *context, gconstpointer data,
                        guint64 size, gpointer user_data);
  void (*quarantine) (MilterServerContext *context, const gchar *reason,
                      gpointer user_data);
  void (*connection_timeout) (MilterServerContext *context,
                              gpointer user_data);
  void (*writing_timeout) (MilterServerContext *context, gpointer user_data);
  void (*reading_timeout) (MilterServerContext *context, gpointer user_data);
  void (*end_of_message_timeout) (MilterServerContext *context,
                                  gpointer user_data);
} MilterServerContextEvents;

void milter_server_context_set_events (MilterServerContext *context,
                                       const MilterServerContextEvents *events,
                                       gpointer user_data);

/* name labels every log line ("[NAME]"); NULL means "milter". The event
 * loop defaults to a GLib loop on the thread-default main context. */
MilterServerContext *milter_server_context_new (const gchar *name);

const gchar *milter_server_context_get_name (MilterServerContext *context);
void milter_server_context_set_name (MilterServerContext *context,
                                     const gchar *name);

gboolean milter_server_context_set_connection_spec (MilterServerContext *context,
                                                    const gchar *spec,
                                                    GError **error);
const MilterConnectionSpec *
milter_server_context_get_connection_spec (MilterServerContext *context);

void milter_server_context_set_connection_timeout (MilterServerContext *context,
                                                   gdouble seconds);
void milter_server_context_set_writing_timeout (MilterServerContext *context,
                                                gdouble seconds);
void milter_server_context_set_reading_timeout (MilterServerContext *context,
                                                gdouble seconds);
void milter_server_context_set_end_of_message_timeout (MilterServerContext *context,
                                                       gdouble seconds);

/* The held-size bound (bytes, 0: none); exceeding it ends the session
 * with TOO_LARGE. Callers that keep the modifications (the manager, the
 * test server) rely on it instead of a bound of their own. */
void milter_server_context_set_max_held_size (MilterServerContext *context,
                                              gsize bytes);
gsize milter_server_context_get_max_held_size (MilterServerContext *context);

MilterServerState milter_server_context_get_state (MilterServerContext *context);
/* TRUE while a reply to the last command is awaited. */
gboolean milter_server_context_is_waiting (MilterServerContext *context);
/* The last verdict: continue, accept, reject, ... (not-change before). */
MilterStatus milter_server_context_get_status (MilterServerContext *context);
/* NULL before the negotiate reply. */
const MilterOption *milter_server_context_get_negotiated (MilterServerContext *context);
const MilterMacrosRequests *
milter_server_context_get_macros_requests (MilterServerContext *context);
/* The last reply-code reply, parsed (NULL unless it was valid), and why
 * it was not valid (NULL unless it was malformed); both until the next
 * event is sent. */
const MilterReplyCode *
milter_server_context_get_reply_code (MilterServerContext *context);
const GError *
milter_server_context_get_reply_code_error (MilterServerContext *context);
/* The last reply-code reply's text as the milter sent it, valid or not
 * (a manager passes a malformed one on by its first digit), until the
 * next event is sent. */
const gchar *
milter_server_context_get_reply_code_text (MilterServerContext *context);
/* Bytes of the current body not yet sent. */
gsize milter_server_context_get_body_remaining (MilterServerContext *context);

gboolean milter_server_context_establish_connection (MilterServerContext *context,
                                                     GError **error);
gboolean milter_server_context_negotiate (MilterServerContext *context,
                                          const MilterOption *option,
                                          GError **error);

/* Macros sent (as one define-macro packet) before each command of that
 * type until changed; n == 0 clears them. command: 'C', 'H', 'M', 'R',
 * 'T', 'U', 'L', 'N', 'E', 'B'. A protocol-6 milter's per-stage lists
 * filter them (none wanted: no packet). */
void milter_server_context_set_macros (MilterServerContext *context,
                                       guint8 command,
                                       const gchar *const *names,
                                       const gchar *const *values,
                                       guint n);

/* The macros set for command (NULL-terminated vectors, owned by the
 * context, valid until the next set_macros for it); 0 when none. */
guint milter_server_context_get_macros (MilterServerContext *context,
                                        guint8 command,
                                        const gchar *const **names,
                                        const gchar *const **values);

gboolean milter_server_context_connect (MilterServerContext *context,
                                        const gchar *host,
                                        MilterFamily family,
                                        guint16 port,
                                        const gchar *address,
                                        GError **error);
gboolean milter_server_context_helo (MilterServerContext *context,
                                     const gchar *fqdn,
                                     GError **error);
/* args: NULL-terminated ESMTP parameters, or NULL. */
gboolean milter_server_context_envelope_from (MilterServerContext *context,
                                              const gchar *from,
                                              const gchar *const *args,
                                              GError **error);
gboolean milter_server_context_envelope_recipient (MilterServerContext *context,
                                                   const gchar *recipient,
                                                   const gchar *const *args,
                                                   GError **error);
gboolean milter_server_context_data (MilterServerContext *context,
                                     GError **error);
gboolean milter_server_context_unknown (MilterServerContext *context,
                                        const gchar *command,
                                        GError **error);
gboolean milter_server_context_header (MilterServerContext *context,
                                       const gchar *name,
                                       const gchar *value,
                                       GError **error);
gboolean milter_server_context_end_of_header (MilterServerContext *context,
                                              GError **error);
/* data is copied when it needs more than one chunk. */
gboolean milter_server_context_body (MilterServerContext *context,
                                     const guint8 *data,
                                     gsize size,
                                     GError **error);
/* data: an optional last chunk; over 65535 bytes it goes as body chunks
 * (dropped if the milter switched the body off), then an empty
 * end-of-message. data is copied when it needs more than one packet. */
gboolean milter_server_context_end_of_message (MilterServerContext *context,
                                               const guint8 *data,
                                               gsize size,
                                               GError **error);
gboolean milter_server_context_abort (MilterServerContext *context,
                                      GError **error);
gboolean milter_server_context_quit (MilterServerContext *context,
                                     GError **error);
gboolean milter_server_context_quit_new_connection (MilterServerContext *context,
                                                    GError **error);

G_END_DECLS

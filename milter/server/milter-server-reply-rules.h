/*
 * milter-server-reply-rules - which milter reply is valid in which server state
 *
 * SYNOPSIS
 *   #include <milter/server/milter-server-reply-rules.h>
 *
 *   const gchar *milter_server_state_to_string (MilterServerState state);
 *   MilterServerReplyVerdict milter_server_reply_check (state, waiting,
 *                                                       reply, negotiated);
 *   gchar *milter_server_reply_expected (state, waiting, negotiated);
 *
 * DESCRIPTION
 *   MilterServerState is where the MTA side of a session stands: the last
 *   command it sent. Its names are the log catalogue's ("envelope-from",
 *   "end-of-message", ...).
 *
 *   milter_server_reply_check() is the one rule that decides whether a
 *   reply the milter sent is acceptable now. It is pure: the state, whether
 *   a reply to that state's command is still awaited, the reply byte, and
 *   the negotiated option (NULL before negotiation) decide.
 *
 *   - quit: any reply is QUITTED (the session is over; log and ignore).
 *   - nothing awaited (a command without a reply: abort, define-macro,
 *     a no-reply step; or the reply already came): INVALID_STATE.
 *   - negotiate: only negotiate-reply.
 *   - connect, helo, envelope-from, envelope-recipient, data, unknown,
 *     header, end-of-header, body: continue, accept, reject,
 *     temporary-failure, discard, reply-code, progress, shutdown and
 *     connection-failure; body also skip, which is NOT_NEGOTIATED unless
 *     the milter asked for the skip step.
 *   - end-of-message: the same verdicts and progress, plus the
 *     modifications (add-header, insert-header, change-header,
 *     add-recipient, add-recipient-with-arguments, delete-recipient,
 *     change-from, replace-body, quarantine), each NOT_NEGOTIATED unless
 *     its action flag was negotiated (insert-header needs add-headers, as
 *     in libmilter).
 *   - start, define-macro, abort, invalid: nothing.
 *
 *   milter_server_reply_expected() lists, comma-separated, the replies
 *   that check would find VALID, for the "expected" part of a log line.
 *
 * DIAGNOSTICS
 *   None: these functions only decide.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-option.h>
#include <milter/core/milter-protocol.h>

G_BEGIN_DECLS

typedef enum {
  MILTER_SERVER_STATE_INVALID,
  MILTER_SERVER_STATE_START,
  MILTER_SERVER_STATE_DEFINE_MACRO,
  MILTER_SERVER_STATE_NEGOTIATE,
  MILTER_SERVER_STATE_CONNECT,
  MILTER_SERVER_STATE_HELO,
  MILTER_SERVER_STATE_ENVELOPE_FROM,
  MILTER_SERVER_STATE_ENVELOPE_RECIPIENT,
  MILTER_SERVER_STATE_DATA,
  MILTER_SERVER_STATE_UNKNOWN,
  MILTER_SERVER_STATE_HEADER,
  MILTER_SERVER_STATE_END_OF_HEADER,
  MILTER_SERVER_STATE_BODY,
  MILTER_SERVER_STATE_END_OF_MESSAGE,
  MILTER_SERVER_STATE_QUIT,
  MILTER_SERVER_STATE_ABORT
} MilterServerState;
#define MILTER_SERVER_STATE_COUNT (MILTER_SERVER_STATE_ABORT + 1)

/* GEnum, for properties; nicks are the catalogue names. */
#define MILTER_TYPE_SERVER_STATE (milter_server_state_get_type ())
GType milter_server_state_get_type (void) G_GNUC_CONST;

typedef enum {
  MILTER_SERVER_REPLY_VALID,
  /* The session is over (quit was sent): log a warning and ignore it. */
  MILTER_SERVER_REPLY_QUITTED,
  /* Not a reply to what was sent: a protocol error. */
  MILTER_SERVER_REPLY_INVALID_STATE,
  /* Right place, but the milter did not negotiate the action or step. */
  MILTER_SERVER_REPLY_NOT_NEGOTIATED
} MilterServerReplyVerdict;

/* The catalogue name; "invalid" for a value outside the enum. */
const gchar *milter_server_state_to_string (MilterServerState state);

MilterServerReplyVerdict milter_server_reply_check (MilterServerState state,
                                                    gboolean waiting,
                                                    guint8 reply,
                                                    const MilterOption *negotiated);

/* "continue, accept, ..." or "none". */
gchar *milter_server_reply_expected (MilterServerState state,
                                     gboolean waiting,
                                     const MilterOption *negotiated);

G_END_DECLS

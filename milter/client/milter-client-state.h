/*
 * milter-client-state - the order of commands a milter accepts, as a rule
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-state.h>
 *
 *   MilterClientTransition milter_client_state_next (state, command, &next);
 *   gboolean milter_client_state_in_message (state);
 *   gboolean milter_client_state_reply_expected (command, steps);
 *   const gchar *milter_client_state_to_string (state);
 *
 * DESCRIPTION
 *   A client context tracks where the MTA is in its SMTP session. The
 *   states are ordered like the protocol's events: negotiated, connected,
 *   helo, envelope-from, envelope-recipient, data, header, end-of-header,
 *   body. milter_client_state_next() says what a command does in a state
 *   and which state follows.
 *
 *   The rule is lenient where MTAs legitimately differ. An event may skip
 *   forward over any number of states, because the milter may have
 *   switched events off (NO_* steps) and older protocol versions have no
 *   data or unknown events; helo, envelope-recipient, header and body
 *   repeat. End-of-message and abort end the message: the state returns to
 *   helo (or stays before it), so the next message starts with
 *   envelope-from. Unknown may come from negotiated to data and does not
 *   move the state. Macro definitions may come at any time before quit.
 *   Quit-new-connection returns to negotiated; quit ends.
 *
 *   A command out of order does not end the session; as libmilter does,
 *   the message in progress is aborted and the command is taken as if it
 *   came after helo (RESYNC: a second envelope-from, a helo or unknown in
 *   the middle of a message, a header after the body). A command that
 *   cannot come even after helo (connect again without
 *   quit-new-connection, negotiate again) is dropped unanswered after the
 *   abort (IGNORE), as libmilter ignores it. Only what makes the session
 *   meaningless ends it (INVALID): an event before negotiate, anything
 *   after quit.
 *
 *   milter_client_state_in_message() says whether a state is inside a
 *   message (from envelope-from to body): where an abort or a resync must
 *   tell the milter that the message is gone.
 *
 *   milter_client_state_reply_expected() says whether the MTA waits for a
 *   reply to a command given the negotiated steps: never for macro,
 *   abort and the quits; not for an event whose NR_* step is set.
 *
 * DIAGNOSTICS
 *   None: all are pure functions. next() leaves *next untouched for
 *   INVALID.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-protocol.h>

G_BEGIN_DECLS

typedef enum {
  MILTER_CLIENT_STATE_START,
  MILTER_CLIENT_STATE_NEGOTIATED,
  MILTER_CLIENT_STATE_CONNECTED,
  MILTER_CLIENT_STATE_HELO,
  MILTER_CLIENT_STATE_ENVELOPE_FROM,
  MILTER_CLIENT_STATE_ENVELOPE_RECIPIENT,
  MILTER_CLIENT_STATE_DATA,
  MILTER_CLIENT_STATE_HEADER,
  MILTER_CLIENT_STATE_END_OF_HEADER,
  MILTER_CLIENT_STATE_BODY,
  MILTER_CLIENT_STATE_QUIT
} MilterClientState;

typedef enum {
  /* In order: go to *next. */
  MILTER_CLIENT_TRANSITION_ACCEPT,
  /* Out of order: abort the message in progress, then go to *next. */
  MILTER_CLIENT_TRANSITION_RESYNC,
  /* Out of order even after helo: abort the message in progress, go to
   * *next (helo or before) and drop the command unanswered. */
  MILTER_CLIENT_TRANSITION_IGNORE,
  /* The session cannot go on. */
  MILTER_CLIENT_TRANSITION_INVALID
} MilterClientTransition;

MilterClientTransition milter_client_state_next (MilterClientState state,
                                                 MilterCommandType command,
                                                 MilterClientState *next);
gboolean milter_client_state_in_message (MilterClientState state);
const gchar *milter_client_transition_to_string (MilterClientTransition transition);
gboolean milter_client_state_reply_expected (MilterCommandType command,
                                             MilterStepFlags steps);
const gchar *milter_client_state_to_string (MilterClientState state);

G_END_DECLS

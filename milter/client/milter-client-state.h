/*
 * milter-client-state - the order of commands a milter accepts, as a rule
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-state.h>
 *
 *   gboolean milter_client_state_next (state, command, &next);
 *   gboolean milter_client_state_reply_expected (command, steps);
 *   const gchar *milter_client_state_to_string (state);
 *
 * DESCRIPTION
 *   A client context tracks where the MTA is in its SMTP session. The
 *   states are ordered like the protocol's events: negotiated, connected,
 *   helo, envelope-from, envelope-recipient, data, header, end-of-header,
 *   body. milter_client_state_next() says whether a command may come in a
 *   state and which state follows.
 *
 *   The rule is lenient where MTAs legitimately differ and strict where a
 *   command cannot make sense. An event may skip forward over any number of
 *   states, because the milter may have switched events off (NO_* steps)
 *   and older protocol versions have no data or unknown events. It may not
 *   go back, except that helo, envelope-recipient, header and body repeat.
 *   End-of-message and abort end the message: the state returns to helo
 *   (or stays before it), so the next message starts with envelope-from.
 *   Unknown may come from negotiated to data and does not move the state.
 *   Macro definitions may come at any time before quit. Negotiate comes
 *   first and once; quit-new-connection returns to negotiated; quit ends.
 *
 *   milter_client_state_reply_expected() says whether the MTA waits for a
 *   reply to a command given the negotiated steps: never for macro,
 *   abort and the quits; not for an event whose NR_* step is set.
 *
 * DIAGNOSTICS
 *   None: both are pure functions. next() returns FALSE for a command out
 *   of order and leaves *next untouched.
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

gboolean milter_client_state_next (MilterClientState state,
                                   MilterCommandType command,
                                   MilterClientState *next);
gboolean milter_client_state_reply_expected (MilterCommandType command,
                                             MilterStepFlags steps);
const gchar *milter_client_state_to_string (MilterClientState state);

G_END_DECLS

/*
 * milter-client-state - the order of commands a milter accepts, as a rule
 *
 * SYNOPSIS
 *   MilterClientTransition milter_client_state_next (state, command, &next);
 *   gboolean milter_client_state_in_message (state);
 *   gboolean milter_client_state_reply_expected (command, steps);
 *   const gchar *milter_client_state_to_string (state);
 *
 * DESCRIPTION
 *   See milter-client-state.h. The states are declared in event order, so
 *   "forward" is a comparison of enum values.
 *
 * DIAGNOSTICS
 *   None.
 */
#include "config.h"

#include <glib.h>

#include <milter/client/milter-client-state.h>

/* The state an event moves to, or START for commands that are not events. */
static MilterClientState
event_state (MilterCommandType command)
{
  switch (command) {
  case MILTER_COMMAND_CONNECT:
    return MILTER_CLIENT_STATE_CONNECTED;
  case MILTER_COMMAND_HELO:
    return MILTER_CLIENT_STATE_HELO;
  case MILTER_COMMAND_ENVELOPE_FROM:
    return MILTER_CLIENT_STATE_ENVELOPE_FROM;
  case MILTER_COMMAND_ENVELOPE_RECIPIENT:
    return MILTER_CLIENT_STATE_ENVELOPE_RECIPIENT;
  case MILTER_COMMAND_DATA:
    return MILTER_CLIENT_STATE_DATA;
  case MILTER_COMMAND_HEADER:
    return MILTER_CLIENT_STATE_HEADER;
  case MILTER_COMMAND_END_OF_HEADER:
    return MILTER_CLIENT_STATE_END_OF_HEADER;
  case MILTER_COMMAND_BODY:
    return MILTER_CLIENT_STATE_BODY;
  default:
    return MILTER_CLIENT_STATE_START;
  }
}

static gboolean
event_repeats (MilterCommandType command)
{
  return command == MILTER_COMMAND_HELO ||
         command == MILTER_COMMAND_ENVELOPE_RECIPIENT ||
         command == MILTER_COMMAND_HEADER ||
         command == MILTER_COMMAND_BODY;
}

/* Where an event may go from state when the order is kept. */
static gboolean
in_order (MilterClientState state, MilterCommandType command,
          MilterClientState target)
{
  return target > state || (target == state && event_repeats (command));
}

MilterClientTransition
milter_client_state_next (MilterClientState state,
                          MilterCommandType command,
                          MilterClientState *next)
{
  /* After an out-of-order command the message is over, as after abort. */
  const MilterClientState after_abort = MIN (state, MILTER_CLIENT_STATE_HELO);
  MilterClientState target;

  if (state == MILTER_CLIENT_STATE_QUIT)
    return MILTER_CLIENT_TRANSITION_INVALID;

  switch (command) {
  case MILTER_COMMAND_NEGOTIATE:
    if (state != MILTER_CLIENT_STATE_START) {
      *next = after_abort;
      return MILTER_CLIENT_TRANSITION_IGNORE;
    }
    *next = MILTER_CLIENT_STATE_NEGOTIATED;
    return MILTER_CLIENT_TRANSITION_ACCEPT;
  case MILTER_COMMAND_DEFINE_MACRO:
    *next = state;
    return MILTER_CLIENT_TRANSITION_ACCEPT;
  case MILTER_COMMAND_QUIT:
    *next = MILTER_CLIENT_STATE_QUIT;
    return MILTER_CLIENT_TRANSITION_ACCEPT;
  default:
    break;
  }

  /* Without negotiation nothing about the session is known. */
  if (state == MILTER_CLIENT_STATE_START)
    return MILTER_CLIENT_TRANSITION_INVALID;

  switch (command) {
  case MILTER_COMMAND_QUIT_NEW_CONNECTION:
    *next = MILTER_CLIENT_STATE_NEGOTIATED;
    return MILTER_CLIENT_TRANSITION_ACCEPT;
  case MILTER_COMMAND_ABORT:
  case MILTER_COMMAND_END_OF_MESSAGE:
    /* The message is over; a connection without helo stays before it. */
    *next = after_abort;
    return MILTER_CLIENT_TRANSITION_ACCEPT;
  case MILTER_COMMAND_UNKNOWN:
    /* Unknown does not move the state; after data it starts afresh. */
    if (state > MILTER_CLIENT_STATE_DATA) {
      *next = after_abort;
      return MILTER_CLIENT_TRANSITION_RESYNC;
    }
    *next = state;
    return MILTER_CLIENT_TRANSITION_ACCEPT;
  default:
    break;
  }

  target = event_state (command);
  if (target == MILTER_CLIENT_STATE_START)
    return MILTER_CLIENT_TRANSITION_INVALID;
  if (in_order (state, command, target)) {
    *next = target;
    return MILTER_CLIENT_TRANSITION_ACCEPT;
  }
  if (in_order (after_abort, command, target)) {
    *next = target;
    return MILTER_CLIENT_TRANSITION_RESYNC;
  }
  *next = after_abort;
  return MILTER_CLIENT_TRANSITION_IGNORE;
}

gboolean
milter_client_state_in_message (MilterClientState state)
{
  return state >= MILTER_CLIENT_STATE_ENVELOPE_FROM &&
         state <= MILTER_CLIENT_STATE_BODY;
}

gboolean
milter_client_state_reply_expected (MilterCommandType command,
                                    MilterStepFlags steps)
{
  MilterStepFlags no_reply;

  switch (command) {
  case MILTER_COMMAND_NEGOTIATE:
  case MILTER_COMMAND_END_OF_MESSAGE:
    return TRUE;
  case MILTER_COMMAND_CONNECT:
    no_reply = MILTER_STEP_NO_REPLY_CONNECT;
    break;
  case MILTER_COMMAND_HELO:
    no_reply = MILTER_STEP_NO_REPLY_HELO;
    break;
  case MILTER_COMMAND_ENVELOPE_FROM:
    no_reply = MILTER_STEP_NO_REPLY_ENVELOPE_FROM;
    break;
  case MILTER_COMMAND_ENVELOPE_RECIPIENT:
    no_reply = MILTER_STEP_NO_REPLY_ENVELOPE_RECIPIENT;
    break;
  case MILTER_COMMAND_DATA:
    no_reply = MILTER_STEP_NO_REPLY_DATA;
    break;
  case MILTER_COMMAND_UNKNOWN:
    no_reply = MILTER_STEP_NO_REPLY_UNKNOWN;
    break;
  case MILTER_COMMAND_HEADER:
    no_reply = MILTER_STEP_NO_REPLY_HEADER;
    break;
  case MILTER_COMMAND_END_OF_HEADER:
    no_reply = MILTER_STEP_NO_REPLY_END_OF_HEADER;
    break;
  case MILTER_COMMAND_BODY:
    no_reply = MILTER_STEP_NO_REPLY_BODY;
    break;
  default:
    return FALSE;
  }
  return (steps & no_reply) == 0;
}

const gchar *
milter_client_state_to_string (MilterClientState state)
{
  static const gchar *const names[] = {
    "start", "negotiated", "connected", "helo", "envelope-from",
    "envelope-recipient", "data", "header", "end-of-header", "body", "quit",
  };

  if ((guint) state >= G_N_ELEMENTS (names))
    return "invalid";
  return names[state];
}

const gchar *
milter_client_transition_to_string (MilterClientTransition transition)
{
  static const gchar *const names[] = {
    "accept", "resync", "ignore", "invalid",
  };

  if ((guint) transition >= G_N_ELEMENTS (names))
    return "invalid";
  return names[transition];
}

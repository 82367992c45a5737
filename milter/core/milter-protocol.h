/*
 * milter-protocol - constants of the milter protocol, versions 2 to 6
 *
 * SYNOPSIS
 *   #include <milter/core/milter-protocol.h>
 *
 * DESCRIPTION
 *   Command and reply bytes, action flags (SMFIF_*), step flags (SMFIP_*),
 *   macro-list stages and size limits, named for this project. Values are
 *   those of Sendmail's mfdef.h so that packets interoperate with every MTA
 *   and milter; names follow our conventions.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A packet: 4-byte big-endian length (command byte + data), command, data. */
#define MILTER_PACKET_HEADER_SIZE 4
/* The largest body chunk the MTA sends, and that we send a milter. */
#define MILTER_CHUNK_SIZE 65535
/* Default cap on one packet's length; anything larger is a protocol error.
 * 1 MiB leaves room for SMFIP_MDS_1M peers, replies with large bodies and
 * long recipient lists while bounding what a hostile peer can make us buffer. */
#define MILTER_DEFAULT_MAX_PACKET_SIZE (1024 * 1024 + 64)

#define MILTER_PROTOCOL_VERSION_MIN 2
#define MILTER_PROTOCOL_VERSION_MAX 6

/* Commands, MTA to milter. */
typedef enum {
  MILTER_COMMAND_NEGOTIATE = 'O',
  MILTER_COMMAND_DEFINE_MACRO = 'D',
  MILTER_COMMAND_CONNECT = 'C',
  MILTER_COMMAND_HELO = 'H',
  MILTER_COMMAND_ENVELOPE_FROM = 'M',
  MILTER_COMMAND_ENVELOPE_RECIPIENT = 'R',
  MILTER_COMMAND_DATA = 'T',
  MILTER_COMMAND_HEADER = 'L',
  MILTER_COMMAND_END_OF_HEADER = 'N',
  MILTER_COMMAND_BODY = 'B',
  MILTER_COMMAND_END_OF_MESSAGE = 'E',
  MILTER_COMMAND_UNKNOWN = 'U',
  MILTER_COMMAND_ABORT = 'A',
  MILTER_COMMAND_QUIT = 'Q',
  MILTER_COMMAND_QUIT_NEW_CONNECTION = 'K'
} MilterCommandType;

/* Replies, milter to MTA. */
typedef enum {
  MILTER_REPLY_NEGOTIATE = 'O',
  MILTER_REPLY_CONTINUE = 'c',
  MILTER_REPLY_ACCEPT = 'a',
  MILTER_REPLY_REJECT = 'r',
  MILTER_REPLY_TEMPORARY_FAILURE = 't',
  MILTER_REPLY_DISCARD = 'd',
  MILTER_REPLY_REPLY_CODE = 'y',
  MILTER_REPLY_SKIP = 's',
  MILTER_REPLY_PROGRESS = 'p',
  MILTER_REPLY_SHUTDOWN = '4',
  MILTER_REPLY_CONNECTION_FAILURE = 'f',
  MILTER_REPLY_ADD_HEADER = 'h',
  MILTER_REPLY_INSERT_HEADER = 'i',
  MILTER_REPLY_CHANGE_HEADER = 'm',
  MILTER_REPLY_ADD_RECIPIENT = '+',
  MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS = '2',
  MILTER_REPLY_DELETE_RECIPIENT = '-',
  MILTER_REPLY_CHANGE_FROM = 'e',
  MILTER_REPLY_REPLACE_BODY = 'b',
  MILTER_REPLY_QUARANTINE = 'q'
} MilterReplyType;

/* Address families in the connect command. */
typedef enum {
  MILTER_FAMILY_UNKNOWN = 'U',
  MILTER_FAMILY_UNIX = 'L',
  MILTER_FAMILY_INET = '4',
  MILTER_FAMILY_INET6 = '6'
} MilterFamily;

/* Actions a milter may take (SMFIF_*). */
typedef enum {
  MILTER_ACTION_NONE = 0,
  MILTER_ACTION_ADD_HEADERS = 1 << 0,
  MILTER_ACTION_CHANGE_BODY = 1 << 1,
  MILTER_ACTION_ADD_RECIPIENT = 1 << 2,
  MILTER_ACTION_DELETE_RECIPIENT = 1 << 3,
  MILTER_ACTION_CHANGE_HEADERS = 1 << 4,
  MILTER_ACTION_QUARANTINE = 1 << 5,
  MILTER_ACTION_CHANGE_FROM = 1 << 6,
  MILTER_ACTION_ADD_RECIPIENT_WITH_ARGS = 1 << 7,
  MILTER_ACTION_SET_SYMBOL_LIST = 1 << 8
} MilterActionFlags;
#define MILTER_ACTION_ALL ((MilterActionFlags) 0x1FF)
/* libmilter reads an MTA's 0 actions as the version-2 set. */
#define MILTER_ACTION_VERSION2_DEFAULT ((MilterActionFlags) 0x0F)

/* Protocol steps (SMFIP_*): events switched off, replies not expected. */
typedef enum {
  MILTER_STEP_NONE = 0,
  MILTER_STEP_NO_CONNECT = 1 << 0,
  MILTER_STEP_NO_HELO = 1 << 1,
  MILTER_STEP_NO_ENVELOPE_FROM = 1 << 2,
  MILTER_STEP_NO_ENVELOPE_RECIPIENT = 1 << 3,
  MILTER_STEP_NO_BODY = 1 << 4,
  MILTER_STEP_NO_HEADERS = 1 << 5,
  MILTER_STEP_NO_END_OF_HEADER = 1 << 6,
  MILTER_STEP_NO_REPLY_HEADER = 1 << 7,
  MILTER_STEP_NO_UNKNOWN = 1 << 8,
  MILTER_STEP_NO_DATA = 1 << 9,
  MILTER_STEP_SKIP = 1 << 10,
  MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED = 1 << 11,
  MILTER_STEP_NO_REPLY_CONNECT = 1 << 12,
  MILTER_STEP_NO_REPLY_HELO = 1 << 13,
  MILTER_STEP_NO_REPLY_ENVELOPE_FROM = 1 << 14,
  MILTER_STEP_NO_REPLY_ENVELOPE_RECIPIENT = 1 << 15,
  MILTER_STEP_NO_REPLY_DATA = 1 << 16,
  MILTER_STEP_NO_REPLY_UNKNOWN = 1 << 17,
  MILTER_STEP_NO_REPLY_END_OF_HEADER = 1 << 18,
  MILTER_STEP_NO_REPLY_BODY = 1 << 19,
  MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE = 1 << 20,
  /* Experimental: larger data packets (Sendmail 8.14+). */
  MILTER_STEP_MAX_DATA_SIZE_256K = 1 << 28,
  MILTER_STEP_MAX_DATA_SIZE_1M = 1 << 29
} MilterStepFlags;
#define MILTER_STEP_ALL ((MilterStepFlags) 0x1FFFFF)
/* libmilter reads an MTA's 0 steps as the version-2 set. */
#define MILTER_STEP_VERSION2_DEFAULT ((MilterStepFlags) 0x3F)
/* "Don't send" flags: kept by the manager only if every child asks (AND). */
#define MILTER_STEP_NO_EVENT_MASK \
  ((MilterStepFlags) (MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_HELO | \
                      MILTER_STEP_NO_ENVELOPE_FROM | MILTER_STEP_NO_ENVELOPE_RECIPIENT | \
                      MILTER_STEP_NO_BODY | MILTER_STEP_NO_HEADERS | \
                      MILTER_STEP_NO_END_OF_HEADER | MILTER_STEP_NO_UNKNOWN | \
                      MILTER_STEP_NO_DATA))
/* "Don't expect a reply" flags: also AND-merged. */
#define MILTER_STEP_NO_REPLY_MASK \
  ((MilterStepFlags) (MILTER_STEP_NO_REPLY_HEADER | MILTER_STEP_NO_REPLY_CONNECT | \
                      MILTER_STEP_NO_REPLY_HELO | MILTER_STEP_NO_REPLY_ENVELOPE_FROM | \
                      MILTER_STEP_NO_REPLY_ENVELOPE_RECIPIENT | MILTER_STEP_NO_REPLY_DATA | \
                      MILTER_STEP_NO_REPLY_UNKNOWN | MILTER_STEP_NO_REPLY_END_OF_HEADER | \
                      MILTER_STEP_NO_REPLY_BODY))
/* Positive flags: OR-merged. */
#define MILTER_STEP_POSITIVE_MASK \
  ((MilterStepFlags) (MILTER_STEP_SKIP | MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED | \
                      MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE))

/* Stages of the v6 per-stage macro list in the negotiate reply. */
typedef enum {
  MILTER_MACRO_STAGE_CONNECT = 0,
  MILTER_MACRO_STAGE_HELO = 1,
  MILTER_MACRO_STAGE_ENVELOPE_FROM = 2,
  MILTER_MACRO_STAGE_ENVELOPE_RECIPIENT = 3,
  MILTER_MACRO_STAGE_DATA = 4,
  MILTER_MACRO_STAGE_END_OF_MESSAGE = 5,
  MILTER_MACRO_STAGE_END_OF_HEADER = 6
} MilterMacroStage;
#define MILTER_MACRO_STAGE_COUNT 7

const gchar *milter_command_type_to_string (guint8 command);
const gchar *milter_reply_type_to_string (guint8 reply);
gboolean milter_command_type_is_valid (guint8 command);
gboolean milter_reply_type_is_valid (guint8 reply);
/* Packets that are their type byte alone: data, end-of-header, abort and
 * the quits; the status replies (c a r t d s p 4 f). Inline: both decoders
 * ask for every packet. */
static inline gboolean
milter_command_type_is_bare (guint8 command)
{
  switch (command) {
  case MILTER_COMMAND_DATA:
  case MILTER_COMMAND_END_OF_HEADER:
  case MILTER_COMMAND_ABORT:
  case MILTER_COMMAND_QUIT:
  case MILTER_COMMAND_QUIT_NEW_CONNECTION:
    return TRUE;
  default:
    return FALSE;
  }
}

static inline gboolean
milter_reply_type_is_bare (guint8 reply)
{
  switch (reply) {
  case MILTER_REPLY_CONTINUE:
  case MILTER_REPLY_ACCEPT:
  case MILTER_REPLY_REJECT:
  case MILTER_REPLY_TEMPORARY_FAILURE:
  case MILTER_REPLY_DISCARD:
  case MILTER_REPLY_SKIP:
  case MILTER_REPLY_PROGRESS:
  case MILTER_REPLY_SHUTDOWN:
  case MILTER_REPLY_CONNECTION_FAILURE:
    return TRUE;
  default:
    return FALSE;
  }
}
/* The commands a define-macro packet names, in the order an MTA sends
 * them: the protocol's C H M R T N E U, then header and body (L B), which
 * some MTAs send and which are tolerated. */
#define MILTER_MACRO_COMMAND_COUNT 8
#define MILTER_MACRO_COMMAND_COUNT_TOLERATED 10
/* Position of command in that order (0 for 'C'), -1 if none. */
gint milter_macro_command_index (guint8 command);
/* The command at a position, 0 past the end. */
guint8 milter_macro_command_at (guint index);
/* "connect", "helo", ...: the name of the stage's command. */
const gchar *milter_macro_stage_to_string (MilterMacroStage stage);
/* FALSE for a name that is not a stage's. */
gboolean milter_macro_stage_from_string (const gchar *name, MilterMacroStage *stage);
/* The command byte whose macros a stage lists ('C', 'H', ... ), 0 if none. */
guint8 milter_macro_stage_to_command (MilterMacroStage stage);
/* The stage of a macro-definition command byte; FALSE if it has none. */
gboolean milter_macro_stage_from_command (guint8 command, MilterMacroStage *stage);

G_END_DECLS

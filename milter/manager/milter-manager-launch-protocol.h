/*
 * milter-manager-launch-protocol - the codec of the pipes between the
 * daemon and the process launcher (launcher.md §3)
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-launch-protocol.h>
 *
 *   milter_manager_launch_request_encode (out, command_line, user_name);
 *   milter_manager_launch_reply_encode (out, type, message);
 *
 *   decoder = milter_manager_launch_decoder_new (MILTER_MANAGER_LAUNCH_REQUESTS);
 *   milter_manager_launch_decoder_feed (decoder, data, size, func, data, &error);
 *   milter_manager_launch_decoder_finish (decoder, &error);
 *
 *   milter_manager_launch_request_parse (packet, size, &request, &error);
 *   milter_manager_launch_reply_parse (packet, size, &reply, &error);
 *
 * DESCRIPTION
 *   Both directions share one framing: a 4-byte big-endian length N,
 *   then N bytes: an ASCII word, a NUL, and the word's payload.
 *
 *     daemon -> launcher  "launch"  COMMAND_LINE NUL [USER_NAME]
 *     launcher -> daemon  "success" (empty)
 *                         "error"   MESSAGE (not NUL-terminated)
 *                         "failure" MESSAGE (defined, not sent by ours)
 *
 *   A user part is present when any byte follows the command line's NUL;
 *   nothing means "no user switch". The encoders never write an empty
 *   user name for that reason: "" is encoded as no user.
 *
 *   The framing is that of the milter packets, so the decoder is core's
 *   MilterPacketDecoder underneath; its "type" byte is the first byte of
 *   the word. The parse functions are pure (one packet, framing removed)
 *   and copy the strings (the user part and a reply's message are not
 *   NUL-terminated on the wire); clear() frees them.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_DECODER_ERROR (the framing's domain), with the
 *   original's wording where launcher.md gives it:
 *     MISSING_NUL   "launch command isn't terminated by NULL" (word),
 *                   "Command line isn't terminated by NULL on spawn-child
 *                   command" (request), "reply isn't terminated by NULL"
 *     UNKNOWN_TYPE  "unexpected command was received: WORD",
 *                   "unexpected reply was received: WORD"
 *     INVALID_VALUE an empty command line; a NUL inside the user name
 *                   or a reply's message; a "success" with a payload
 *   and the framing's own (zero length, a packet over
 *   MILTER_MANAGER_LAUNCH_MAX_PACKET_SIZE, truncated input).
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-packet-decoder.h>

G_BEGIN_DECLS

/* A command line and a user name fit many times over. */
#define MILTER_MANAGER_LAUNCH_MAX_PACKET_SIZE (64 * 1024)

typedef struct {
  gchar *command_line;
  gchar *user_name;         /* NULL: run as the launcher's user */
} MilterManagerLaunchRequest;

typedef enum {
  MILTER_MANAGER_LAUNCH_REPLY_SUCCESS,
  MILTER_MANAGER_LAUNCH_REPLY_ERROR,
  MILTER_MANAGER_LAUNCH_REPLY_FAILURE
} MilterManagerLaunchReplyType;

typedef struct {
  MilterManagerLaunchReplyType type;
  gchar *message;           /* NULL for success */
} MilterManagerLaunchReply;

typedef enum {
  MILTER_MANAGER_LAUNCH_REQUESTS,   /* the launcher's side */
  MILTER_MANAGER_LAUNCH_REPLIES     /* the daemon's side */
} MilterManagerLaunchDirection;

const gchar *milter_manager_launch_reply_type_to_string (MilterManagerLaunchReplyType type);

/* Append one packet to out. */
void milter_manager_launch_request_encode (GByteArray *out,
                                           const gchar *command_line,
                                           const gchar *user_name);
void milter_manager_launch_reply_encode (GByteArray *out,
                                         MilterManagerLaunchReplyType type,
                                         const gchar *message);

/* One packet without its length field. */
gboolean milter_manager_launch_request_parse (const guint8 *packet,
                                              gsize size,
                                              MilterManagerLaunchRequest *request,
                                              GError **error);
gboolean milter_manager_launch_reply_parse (const guint8 *packet,
                                            gsize size,
                                            MilterManagerLaunchReply *reply,
                                            GError **error);
void milter_manager_launch_request_clear (MilterManagerLaunchRequest *request);
void milter_manager_launch_reply_clear (MilterManagerLaunchReply *reply);

typedef struct _MilterManagerLaunchDecoder MilterManagerLaunchDecoder;

/* Exactly one of request and reply is set, by the decoder's direction;
 * both are valid only during the call. Returning FALSE (with error set)
 * stops decoding, as with MilterPacketFunc. */
typedef gboolean (*MilterManagerLaunchFunc) (const MilterManagerLaunchRequest *request,
                                             const MilterManagerLaunchReply *reply,
                                             gpointer user_data,
                                             GError **error);

MilterManagerLaunchDecoder *milter_manager_launch_decoder_new (MilterManagerLaunchDirection direction);
void milter_manager_launch_decoder_free (MilterManagerLaunchDecoder *decoder);
gboolean milter_manager_launch_decoder_feed (MilterManagerLaunchDecoder *decoder,
                                             const guint8 *data,
                                             gsize size,
                                             MilterManagerLaunchFunc func,
                                             gpointer user_data,
                                             GError **error);
gboolean milter_manager_launch_decoder_finish (MilterManagerLaunchDecoder *decoder,
                                               GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerLaunchDecoder, milter_manager_launch_decoder_free)

G_END_DECLS

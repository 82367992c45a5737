/*
 * milter-status-reply - the reply packet that answers an event with a status
 *
 * SYNOPSIS
 *   #include <milter/core/milter-status-reply.h>
 *
 *   MilterReplyType milter_status_reply_type (status, command, steps, reply_code);
 *   void milter_reply_encode_status (buffer, status, command, steps, reply_code);
 *   MilterStatus milter_status_from_reply_text (text);
 *
 * DESCRIPTION
 *   milter_status_reply_type() is the milter side's rule, a pure function:
 *
 *     accept, pass, stop            'a' (accept)
 *     reject                        'y' with reply_code if its code is 5xx,
 *                                   else 'r'
 *     temporary-failure, error      'y' with reply_code if its code is 4xx,
 *                                   else 't' (an unresolved error is
 *                                   answered as a temporary failure, as
 *                                   libmilter does for a failed callback)
 *     discard                       'd'
 *     skip                          's' at body when SKIP was negotiated
 *                                   (steps), else 'c': an MTA that did not
 *                                   offer skip would take 's' as a protocol
 *                                   error
 *     anything else                 'c' (continue)
 *
 *   reply_code is the custom SMTP text set for this event, or NULL; its
 *   code is read with milter_status_reply_code_matches(), so a custom
 *   reply is sent only when its class agrees with the status (libmilter's
 *   rule too). milter_reply_encode_status() appends that reply.
 *
 *   milter_status_from_reply_text() is the MTA side's reading of a 'y'
 *   reply: its first character 4 is temporary-failure, 5 reject, anything
 *   else ERROR.
 *
 * DIAGNOSTICS
 *   None: every combination has an answer.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-status.h>

G_BEGIN_DECLS

MilterReplyType milter_status_reply_type (MilterStatus status,
                                          MilterCommandType command,
                                          MilterStepFlags steps,
                                          const gchar *reply_code);
void milter_reply_encode_status (GByteArray *buffer,
                                 MilterStatus status,
                                 MilterCommandType command,
                                 MilterStepFlags steps,
                                 const gchar *reply_code);
MilterStatus milter_status_from_reply_text (const gchar *text);

G_END_DECLS

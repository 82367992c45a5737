/*
 * milter-server-reply-values - what the text in a milter's reply means to the MTA side
 *
 * SYNOPSIS
 *   #include <milter/server/milter-server-reply-values.h>
 *
 *   MilterStatus milter_server_reply_code_status (text, &parsed, &error);
 *   const gchar *milter_server_header_value_to_milter (buffer, value, steps);
 *   const gchar *milter_server_header_value_from_milter (value, steps);
 *
 * DESCRIPTION
 *   Pure rules, one per kind of text, as Postfix applies them.
 *
 *   milter_server_reply_code_status() decides what a reply-code reply
 *   ('y') does: "NNN[ X.Y.Z] text" (possibly several lines, see
 *   milter-reply-code.h) is a reject when NNN is 5xx and a
 *   temporary-failure when it is 4xx; the enhanced code, when there is
 *   one, must have the same class. Anything else is malformed: Postfix
 *   then answers the client with a temporary failure, and so does this
 *   rule (TEMPORARY_FAILURE with error set). parsed receives the parsed
 *   reply when the text is valid (NULL otherwise); it may be NULL.
 *
 *   The header rules implement SMFIP_HDR_LEADSPC: we hold a header value
 *   without the space that follows the colon. A milter that negotiated
 *   header-value-with-leading-space wants the value exactly as it stands
 *   after the colon, so _to_milter() puts one space back (in buffer, which
 *   is reused; the result points into it or is value itself). The values
 *   such a milter sends back in add-header, insert-header and
 *   change-header carry that space too (Postfix inserts none for it), so
 *   _from_milter() drops one leading space. Without the flag both return
 *   value unchanged.
 *
 * DIAGNOSTICS
 *   milter_server_reply_code_status() sets error in
 *   MILTER_REPLY_CODE_ERROR (why the text is malformed, with the line).
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply-code.h>
#include <milter/core/milter-status.h>

G_BEGIN_DECLS

MilterStatus milter_server_reply_code_status (const gchar *text,
                                              MilterReplyCode **parsed,
                                              GError **error);

const gchar *milter_server_header_value_to_milter (GString *buffer,
                                                   const gchar *value,
                                                   MilterStepFlags steps);
const gchar *milter_server_header_value_from_milter (const gchar *value,
                                                     MilterStepFlags steps);

G_END_DECLS

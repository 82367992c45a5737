/*
 * milter-server-message-diff - a message before and after a milter, as milter-test-server shows it
 *
 * SYNOPSIS
 *   #include <milter/server/milter-server-message-diff.h>
 *
 *   void milter_server_message_diff (out, original, result, color);
 *
 * DESCRIPTION
 *   Appends to out the three sections ClearCode milter manager's
 *   milter-test-server prints with --output-message, line for line:
 *
 *     Envelope:------------------------------
 *       MAIL FROM:<sender@example.com>
 *     - RCPT TO:<old@example.org>
 *     + RCPT TO:<new@example.org>
 *     Header:--------------------------------
 *       From: <sender@example.com>
 *     + X-Added: yes
 *     Body:----------------------------------
 *     BODY
 *
 *   Each envelope and header line starts with "  " when unchanged, "+ "
 *   when the milter added it and "- " when it removed it; a changed
 *   sender or recipient is a "- " line then a "+ " line. A header value of several lines
 *   prints each further line after the prefix. The sender is compared as
 *   one item, recipients pairwise in order, and headers with this rule:
 *   equal headers are kept; a result header that no remaining original
 *   matches was added; an original that no remaining result matches was
 *   removed; two headers of the same name are a change ("- " then "+ ");
 *   otherwise the result header counts as added. What is left over on
 *   either side is removed or added. Names and values compare exactly.
 *   So a header whose value changed shows as the new one added in its
 *   place and the old one removed after the rest, as in the original.
 *
 *   The body is printed as it is (the replaced one if the milter sent a
 *   non-empty one), followed by a line end; when the message's
 *   Content-Type names a charset the body is converted from it to UTF-8,
 *   and a failed conversion prints an "Error:" block before the body.
 *
 *   color: "+ " lines green, "- " lines red (ANSI escapes), for a
 *   terminal.
 *
 * DIAGNOSTICS
 *   None: a pure function of its arguments.
 */
#pragma once

#include <glib.h>

#include <milter/server/milter-server-message.h>

G_BEGIN_DECLS

void milter_server_message_diff (GString *out,
                                 const MilterServerMessage *original,
                                 const MilterServerMessage *result,
                                 gboolean color);

G_END_DECLS

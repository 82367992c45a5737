/*
 * milter-server-message - a message as the MTA holds it, with milter edits applied
 *
 * SYNOPSIS
 *   MilterServerMessage *milter_server_message_new (void);
 *   MilterServerMessage *milter_server_message_parse (text, size, &error);
 *   void milter_server_message_free (MilterServerMessage *message);
 *   void milter_server_message_set_from (message, from);
 *   void milter_server_message_add_recipient (message, recipient);
 *   gboolean milter_server_message_delete_recipient (message, recipient);
 *   void milter_server_message_replace_body (message, data, size);
 *   void milter_server_message_set_quarantine (message, reason);
 *   gchar *milter_server_message_format (message);
 *
 * DESCRIPTION
 *   Envelope sender, recipients, header list (MilterHeaders: use its add,
 *   insert, change and delete for the header replies) and body, plus a
 *   quarantine reason. The MTA side keeps one to apply the modifications
 *   a milter asks for at end-of-message, as an MTA applies them.
 *
 *   Addresses are kept in angle brackets ("<a@example.net>"), whichever
 *   way they were given; delete_recipient matches after removing the
 *   brackets, exactly otherwise, and removes every match (Sendmail
 *   removes all recipients with that address).
 *
 *   replace_body: the first chunk after new() or parse() replaces the
 *   body, later chunks append, since a milter sends a long replacement
 *   in several replace-body replies.
 *
 *   parse() reads an RFC 5322 message: header fields up to the first
 *   empty line, continuation lines (starting with space or tab) joined to
 *   their field with "\n", the space after the colon dropped; then the
 *   body, whose line ends are made CRLF as on the wire.
 *
 *   format() writes "envelope-from: ", one "envelope-recipient: " line per
 *   recipient, "quarantine: " when set, a line of dashes, the headers as
 *   "Name: value", an empty line and the body with CRLF shown as LF.
 *
 * DIAGNOSTICS
 *   parse() fails with MILTER_SERVER_MESSAGE_ERROR_INVALID_HEADER for a
 *   header line without a colon, with the header list's own error
 *   (MILTER_HEADERS_ERROR) for an invalid name, both quoting the line
 *   number, and INVALID_CONTINUATION for a continuation line before any
 *   header.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-headers.h>

G_BEGIN_DECLS

#define MILTER_SERVER_MESSAGE_ERROR (milter_server_message_error_quark ())
GQuark milter_server_message_error_quark (void);

typedef enum {
  MILTER_SERVER_MESSAGE_ERROR_INVALID_HEADER,
  MILTER_SERVER_MESSAGE_ERROR_INVALID_CONTINUATION
} MilterServerMessageError;

typedef struct {
  gchar *from;
  GPtrArray *recipients;   /* gchar *, "<address>" */
  MilterHeaders *headers;
  GByteArray *body;
  gchar *quarantine_reason;
  gboolean body_replaced;
} MilterServerMessage;

MilterServerMessage *milter_server_message_new (void);
MilterServerMessage *milter_server_message_parse (const gchar *text,
                                                  gsize size,
                                                  GError **error);
void milter_server_message_free (MilterServerMessage *message);

void milter_server_message_set_from (MilterServerMessage *message,
                                     const gchar *from);
void milter_server_message_add_recipient (MilterServerMessage *message,
                                          const gchar *recipient);
/* TRUE if at least one recipient matched. */
gboolean milter_server_message_delete_recipient (MilterServerMessage *message,
                                                 const gchar *recipient);
void milter_server_message_replace_body (MilterServerMessage *message,
                                         const guint8 *data,
                                         gsize size);
void milter_server_message_set_quarantine (MilterServerMessage *message,
                                           const gchar *reason);
gchar *milter_server_message_format (const MilterServerMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterServerMessage, milter_server_message_free)

G_END_DECLS

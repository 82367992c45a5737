/*
 * milter-server-message - a message as the MTA holds it, with milter edits applied
 *
 * Pure data handling: no I/O. Header edits are MilterHeaders' own rules,
 * so the MTA side and the manager apply them identically.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-esmtp.h>
#include <milter/core/milter-headers.h>
#include <milter/server/milter-server-message.h>

G_DEFINE_QUARK (milter-server-message-error-quark, milter_server_message_error)

MilterServerMessage *
milter_server_message_new (void)
{
  MilterServerMessage *message = g_new0 (MilterServerMessage, 1);

  message->recipients = g_ptr_array_new_with_free_func (g_free);
  message->headers = milter_headers_new ();
  message->body = g_byte_array_new ();
  return message;
}

void
milter_server_message_free (MilterServerMessage *message)
{
  if (!message)
    return;
  g_free (message->from);
  g_ptr_array_unref (message->recipients);
  milter_headers_free (message->headers);
  g_byte_array_unref (message->body);
  g_free (message->quarantine_reason);
  g_free (message);
}

static gchar *
bracketed (const gchar *address)
{
  g_autofree gchar *bare = milter_esmtp_strip_address (address);

  return milter_esmtp_quote_address (bare);
}

void
milter_server_message_set_from (MilterServerMessage *message,
                                const gchar *from)
{
  g_free (message->from);
  message->from = bracketed (from);
}

void
milter_server_message_add_recipient (MilterServerMessage *message,
                                     const gchar *recipient)
{
  g_ptr_array_add (message->recipients, bracketed (recipient));
}

gboolean
milter_server_message_delete_recipient (MilterServerMessage *message,
                                        const gchar *recipient)
{
  g_autofree gchar *wanted = bracketed (recipient);
  gboolean found = FALSE;

  for (guint i = 0; i < message->recipients->len;) {
    if (strcmp (g_ptr_array_index (message->recipients, i), wanted) == 0) {
      g_ptr_array_remove_index (message->recipients, i);
      found = TRUE;
    } else {
      i++;
    }
  }
  return found;
}

void
milter_server_message_replace_body (MilterServerMessage *message,
                                    const guint8 *data, gsize size)
{
  if (!message->body_replaced) {
    g_byte_array_set_size (message->body, 0);
    message->body_replaced = TRUE;
  }
  g_byte_array_append (message->body, data, (guint) size);
}

void
milter_server_message_set_quarantine (MilterServerMessage *message,
                                      const gchar *reason)
{
  g_free (message->quarantine_reason);
  message->quarantine_reason = g_strdup (reason);
}

/* The next line of text[*offset..size), without its LF or CRLF. */
static gboolean
next_line (const gchar *text, gsize size, gsize *offset,
           const gchar **line, gsize *length)
{
  const gchar *start = text + *offset;
  const gchar *end;

  if (*offset >= size)
    return FALSE;
  end = memchr (start, '\n', size - *offset);
  *line = start;
  if (end) {
    *length = (gsize) (end - start);
    *offset += *length + 1;
  } else {
    *length = size - *offset;
    *offset = size;
  }
  if (*length > 0 && start[*length - 1] == '\r')
    (*length)--;
  return TRUE;
}

static gboolean
add_parsed_header (MilterServerMessage *message, const gchar *name,
                   GString *value, guint line_number, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!milter_headers_add (message->headers, name, value->str, &local_error)) {
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "line %u: ", line_number);
    return FALSE;
  }
  return TRUE;
}

MilterServerMessage *
milter_server_message_parse (const gchar *text, gsize size, GError **error)
{
  g_autoptr (MilterServerMessage) message = milter_server_message_new ();
  g_autofree gchar *name = NULL;
  g_autoptr (GString) value = g_string_new (NULL);
  guint line_number = 0;
  gsize offset = 0;
  const gchar *line;
  gsize length;

  while (next_line (text, size, &offset, &line, &length)) {
    const gchar *colon;

    line_number++;
    if (length == 0)
      break;
    if (line[0] == ' ' || line[0] == '\t') {
      if (!name) {
        g_set_error (error, MILTER_SERVER_MESSAGE_ERROR,
                     MILTER_SERVER_MESSAGE_ERROR_INVALID_CONTINUATION,
                     "line %u: a continuation line before any header",
                     line_number);
        return NULL;
      }
      g_string_append_c (value, '\n');
      g_string_append_len (value, line, (gssize) length);
      continue;
    }
    if (name && !add_parsed_header (message, name, value, line_number - 1, error))
      return NULL;
    colon = memchr (line, ':', length);
    if (!colon) {
      g_set_error (error, MILTER_SERVER_MESSAGE_ERROR,
                   MILTER_SERVER_MESSAGE_ERROR_INVALID_HEADER,
                   "line %u: a header line without ':'", line_number);
      return NULL;
    }
    g_free (name);
    name = g_strndup (line, (gsize) (colon - line));
    colon++;
    while (colon < line + length && (*colon == ' ' || *colon == '\t'))
      colon++;
    g_string_assign (value, "");
    g_string_append_len (value, colon, (gssize) (line + length - colon));
  }
  if (name && !add_parsed_header (message, name, value, line_number, error))
    return NULL;
  /* The body: every line end becomes CRLF, as the milter protocol sends it. */
  while (offset < size) {
    const gchar *start = text + offset;
    const gchar *end = memchr (start, '\n', size - offset);
    gsize n = end ? (gsize) (end - start) : size - offset;

    if (n > 0 && start[n - 1] == '\r')
      n--;
    g_byte_array_append (message->body, (const guint8 *) start, (guint) n);
    if (end) {
      g_byte_array_append (message->body, (const guint8 *) "\r\n", 2);
      offset = (gsize) (end - text) + 1;
    } else {
      offset = size;
    }
  }
  return g_steal_pointer (&message);
}

static void
append_header (const gchar *name, const gchar *value, gpointer user_data)
{
  g_string_append_printf (user_data, "%s: %s\n", name, value);
}

gchar *
milter_server_message_format (const MilterServerMessage *message)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "envelope-from: %s\n",
                          message->from ? message->from : "<>");
  for (guint i = 0; i < message->recipients->len; i++)
    g_string_append_printf (out, "envelope-recipient: %s\n",
                            (const gchar *) g_ptr_array_index (message->recipients, i));
  if (message->quarantine_reason)
    g_string_append_printf (out, "quarantine: %s\n", message->quarantine_reason);
  g_string_append (out, "------------------------------\n");
  milter_headers_foreach (message->headers, append_header, out);
  g_string_append_c (out, '\n');
  for (guint i = 0; i < message->body->len; i++) {
    guint8 c = message->body->data[i];

    if (c == '\r' && i + 1 < message->body->len && message->body->data[i + 1] == '\n')
      continue;
    g_string_append_c (out, (gchar) c);
  }
  return g_string_free (out, FALSE);
}

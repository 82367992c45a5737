/*
 * milter-server-message-diff - a message before and after a milter, as milter-test-server shows it
 *
 * See milter-server-message-diff.h. The output format is the original
 * tool's, which administrators' scripts read: keep it byte for byte.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-headers.h>
#include <milter/server/milter-server-message.h>
#include <milter/server/milter-server-message-diff.h>

#define GREEN "\033[01;32m"
#define RED "\033[01;31m"
#define NORMAL "\033[00m"

#define SAME "  "
#define ADDED "+ "
#define REMOVED "- "

static void
begin_line (GString *out, const gchar *prefix, gboolean color)
{
  if (color && prefix[0] == '+')
    g_string_append (out, GREEN);
  else if (color && prefix[0] == '-')
    g_string_append (out, RED);
  g_string_append (out, prefix);
}

static void
end_line (GString *out, const gchar *prefix, gboolean color)
{
  if (color && prefix[0] != ' ')
    g_string_append (out, NORMAL);
  g_string_append_c (out, '\n');
}

static void
envelope_line (GString *out, const gchar *prefix, const gchar *label,
               const gchar *address, gboolean color)
{
  begin_line (out, prefix, color);
  g_string_append_printf (out, "%s:%s", label, address ? address : "");
  end_line (out, prefix, color);
}

static void
diff_envelope (GString *out, const MilterServerMessage *original,
               const MilterServerMessage *result, gboolean color)
{
  const GPtrArray *before = original->recipients;
  const GPtrArray *after = result->recipients;
  guint i = 0;

  if (g_strcmp0 (original->from, result->from) == 0) {
    envelope_line (out, SAME, "MAIL FROM", original->from, color);
  } else {
    envelope_line (out, REMOVED, "MAIL FROM", original->from, color);
    envelope_line (out, ADDED, "MAIL FROM", result->from, color);
  }
  /* Recipients pairwise, as the original tool compares them. */
  for (; i < before->len && i < after->len; i++) {
    const gchar *old = g_ptr_array_index (before, i);
    const gchar *new = g_ptr_array_index (after, i);

    if (strcmp (old, new) == 0) {
      envelope_line (out, SAME, "RCPT TO", old, color);
    } else {
      envelope_line (out, REMOVED, "RCPT TO", old, color);
      envelope_line (out, ADDED, "RCPT TO", new, color);
    }
  }
  for (guint j = i; j < before->len; j++)
    envelope_line (out, REMOVED, "RCPT TO", g_ptr_array_index (before, j), color);
  for (guint j = i; j < after->len; j++)
    envelope_line (out, ADDED, "RCPT TO", g_ptr_array_index (after, j), color);
}

static void
header_lines (GString *out, const gchar *prefix, const MilterHeader *header,
              gboolean color)
{
  g_auto (GStrv) lines = g_strsplit (header->value, "\n", -1);

  begin_line (out, prefix, color);
  if (!lines[0]) {
    g_string_append_printf (out, "%s:", header->name);
    end_line (out, prefix, color);
    return;
  }
  g_string_append_printf (out, "%s: %s", header->name, lines[0]);
  end_line (out, prefix, color);
  for (gsize i = 1; lines[i]; i++) {
    begin_line (out, prefix, color);
    g_string_append (out, lines[i]);
    end_line (out, prefix, color);
  }
}

static gboolean
header_same (const MilterHeader *a, const MilterHeader *b)
{
  /* Names exactly, as the original tool compares them. */
  return strcmp (a->name, b->name) == 0 && strcmp (a->value, b->value) == 0;
}

/* Whether header matches one of headers from index start on. */
static gboolean
header_remains (const MilterHeaders *headers, guint start,
                const MilterHeader *header)
{
  for (guint i = start; i < milter_headers_length (headers); i++) {
    if (header_same (milter_headers_get_nth (headers, i), header))
      return TRUE;
  }
  return FALSE;
}

static void
diff_headers (GString *out, const MilterHeaders *before,
              const MilterHeaders *after, gboolean color)
{
  guint n_before = milter_headers_length (before);
  guint n_after = milter_headers_length (after);
  guint o = 0;
  guint r = 0;

  while (o < n_before && r < n_after) {
    const MilterHeader *old = milter_headers_get_nth (before, o);
    const MilterHeader *new = milter_headers_get_nth (after, r);

    if (header_same (old, new)) {
      header_lines (out, SAME, old, color);
      o++;
      r++;
    } else if (!header_remains (before, o, new)) {
      header_lines (out, ADDED, new, color);
      r++;
    } else if (!header_remains (after, r, old)) {
      header_lines (out, REMOVED, old, color);
      o++;
    } else if (strcmp (old->name, new->name) == 0) {
      header_lines (out, REMOVED, old, color);
      header_lines (out, ADDED, new, color);
      o++;
      r++;
    } else {
      header_lines (out, ADDED, new, color);
      r++;
    }
  }
  for (; o < n_before; o++)
    header_lines (out, REMOVED, milter_headers_get_nth (before, o), color);
  for (; r < n_after; r++)
    header_lines (out, ADDED, milter_headers_get_nth (after, r), color);
}

/* charset=NAME or charset="NAME" in a Content-Type value. */
static gchar *
content_charset (const MilterHeaders *headers)
{
  const gchar *value = milter_headers_find (headers, "Content-Type", 1);
  const gchar *start;
  const gchar *end;

  if (!value || !(start = strstr (value, "charset=")))
    return NULL;
  start += strlen ("charset=");
  if (start[0] == '"' || start[0] == '\'') {
    end = strchr (start + 1, start[0]);
    return end ? g_strndup (start + 1, (gsize) (end - start - 1)) : NULL;
  }
  end = strchr (start, ';');
  return end ? g_strndup (start, (gsize) (end - start)) : g_strdup (start);
}

static void
diff_body (GString *out, const MilterServerMessage *original,
           const MilterServerMessage *result)
{
  const GByteArray *body =
    result->body_replaced && result->body->len > 0 ? result->body :
    original->body;
  g_autofree gchar *charset = content_charset (result->headers);
  g_autofree gchar *converted = NULL;

  if (charset) {
    g_autoptr (GError) error = NULL;

    converted = g_convert ((const gchar *) body->data, (gssize) body->len,
                           "UTF-8", charset, NULL, NULL, &error);
    if (error) {
      g_string_append (out, "Error:---------------------------------\n");
      g_string_append_printf (out, "%s\n", error->message);
      g_string_append (out, "---------------------------------------\n");
    }
  }
  if (converted)
    g_string_append (out, converted);
  else
    g_string_append_len (out, (const gchar *) body->data, (gssize) body->len);
  g_string_append_c (out, '\n');
}

void
milter_server_message_diff (GString *out, const MilterServerMessage *original,
                            const MilterServerMessage *result, gboolean color)
{
  g_return_if_fail (out != NULL && original != NULL && result != NULL);
  g_string_append (out, "Envelope:------------------------------\n");
  diff_envelope (out, original, result, color);
  g_string_append (out, "Header:--------------------------------\n");
  diff_headers (out, original->headers, result->headers, color);
  g_string_append (out, "Body:----------------------------------\n");
  diff_body (out, original, result);
}

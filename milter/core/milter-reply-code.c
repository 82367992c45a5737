/*
 * milter-reply-code - parse and format the SMTP text of a reply-code reply
 *
 * Parsing works line by line: each line is split into code, separator,
 * optional enhanced code and text, then checked against the first line.
 * Nothing here looks at the network; the functions only judge text.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-reply-code.h>

G_DEFINE_QUARK (milter-reply-code-error-quark, milter_reply_code_error)

/* Length of the enhanced code "D.D{1,3}.D{1,3}" at the start of text when
 * it is followed by a space or the end; 0 when there is none. */
static gsize
extended_code_length (const gchar *text, gsize length)
{
  gsize pos = 0;
  guint part;

  if (length < 5 || !g_ascii_isdigit (text[0]) || text[1] != '.')
    return 0;
  pos = 2;
  for (part = 0; part < 2; part++) {
    gsize digits = 0;

    while (pos < length && g_ascii_isdigit (text[pos]) && digits < 3) {
      pos++;
      digits++;
    }
    if (digits == 0)
      return 0;
    if (part == 0) {
      if (pos >= length || text[pos] != '.')
        return 0;
      pos++;
    }
  }
  if (pos < length && text[pos] != ' ')
    return 0;
  return pos;
}

gboolean
milter_reply_code_is_extended_code (const gchar *text)
{
  gsize length;

  if (!text)
    return FALSE;
  length = strlen (text);
  return length > 0 && extended_code_length (text, length) == length;
}

/* One line split into its parts; pointers into the caller's text. */
typedef struct {
  guint code;
  gchar separator;              /* ' ', '-' or '\0' */
  const gchar *extended_code;   /* NULL if none */
  gsize extended_code_length;
  const gchar *text;
  gsize text_length;
} ParsedLine;

static gboolean
parse_line (const gchar *line, gsize length, guint number, ParsedLine *parsed,
            GError **error)
{
  gsize rest_length;
  const gchar *rest;
  gsize extended;

  if (length < 3 || !g_ascii_isdigit (line[0]) || !g_ascii_isdigit (line[1]) ||
      !g_ascii_isdigit (line[2]) ||
      (length > 3 && line[3] != ' ' && line[3] != '-')) {
    g_set_error (error, MILTER_REPLY_CODE_ERROR,
                 MILTER_REPLY_CODE_ERROR_INVALID_CODE,
                 "line %u does not start with a 3-digit code followed by "
                 "' ' or '-'", number);
    return FALSE;
  }
  parsed->code = (guint) (line[0] - '0') * 100 + (guint) (line[1] - '0') * 10 +
                 (guint) (line[2] - '0');
  parsed->separator = length > 3 ? line[3] : '\0';
  rest = length > 3 ? line + 4 : line + 3;
  rest_length = length > 3 ? length - 4 : 0;
  extended = extended_code_length (rest, rest_length);
  if (extended > 0) {
    parsed->extended_code = rest;
    parsed->extended_code_length = extended;
    rest += extended;
    rest_length -= extended;
    /* One space separates the enhanced code from the text. */
    if (rest_length > 0) {
      rest++;
      rest_length--;
    }
  } else {
    parsed->extended_code = NULL;
    parsed->extended_code_length = 0;
  }
  parsed->text = rest;
  parsed->text_length = rest_length;
  return TRUE;
}

static gboolean
check_line (const ParsedLine *parsed, const ParsedLine *first, guint number,
            gboolean last, GError **error)
{
  guint klass = parsed->code / 100;

  if (number == 1 && klass != 4 && klass != 5) {
    g_set_error (error, MILTER_REPLY_CODE_ERROR,
                 MILTER_REPLY_CODE_ERROR_INVALID_CLASS,
                 "line 1: code %03u is not of class 4 or 5", parsed->code);
    return FALSE;
  }
  if (parsed->code != first->code) {
    g_set_error (error, MILTER_REPLY_CODE_ERROR,
                 MILTER_REPLY_CODE_ERROR_CODE_MISMATCH,
                 "line %u: code %03u differs from line 1's %03u",
                 number, parsed->code, first->code);
    return FALSE;
  }
  if (!last && parsed->separator != '-') {
    g_set_error (error, MILTER_REPLY_CODE_ERROR,
                 MILTER_REPLY_CODE_ERROR_MISSING_CONTINUATION,
                 "line %u is followed by another line but has no '-' "
                 "after its code", number);
    return FALSE;
  }
  if (last && parsed->separator == '-') {
    g_set_error (error, MILTER_REPLY_CODE_ERROR,
                 MILTER_REPLY_CODE_ERROR_UNEXPECTED_CONTINUATION,
                 "line %u is the last line but has '-' after its code", number);
    return FALSE;
  }
  if (parsed->extended_code &&
      (guint) (parsed->extended_code[0] - '0') != klass) {
    g_set_error (error, MILTER_REPLY_CODE_ERROR,
                 MILTER_REPLY_CODE_ERROR_EXTENDED_CODE_MISMATCH,
                 "line %u: enhanced code %.*s is not of the class of code %03u",
                 number, (int) parsed->extended_code_length,
                 parsed->extended_code, parsed->code);
    return FALSE;
  }
  if (parsed->extended_code_length != first->extended_code_length ||
      (parsed->extended_code &&
       memcmp (parsed->extended_code, first->extended_code,
               parsed->extended_code_length) != 0)) {
    g_set_error (error, MILTER_REPLY_CODE_ERROR,
                 MILTER_REPLY_CODE_ERROR_EXTENDED_CODE_MISMATCH,
                 "line %u: enhanced code %.*s differs from line 1's %.*s",
                 number,
                 (int) parsed->extended_code_length,
                 parsed->extended_code ? parsed->extended_code : "",
                 (int) first->extended_code_length,
                 first->extended_code ? first->extended_code : "");
    return FALSE;
  }
  return TRUE;
}

MilterReplyCode *
milter_reply_code_parse (const gchar *text, GError **error)
{
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (MilterReplyCode) reply_code = NULL;
  ParsedLine first = {0};
  const gchar *p;
  const gchar *end;
  guint number = 0;

  g_return_val_if_fail (text != NULL, NULL);

  if (text[0] == '\0') {
    g_set_error (error, MILTER_REPLY_CODE_ERROR, MILTER_REPLY_CODE_ERROR_EMPTY,
                 "reply text is empty");
    return NULL;
  }
  end = text + strlen (text);
  lines = g_ptr_array_new_with_free_func (g_free);
  for (p = text; p < end;) {
    const gchar *newline = memchr (p, '\n', (gsize) (end - p));
    const gchar *line_end = newline ? newline : end;
    const gchar *next = newline ? newline + 1 : end;
    const gchar *cr;
    ParsedLine parsed;

    number++;
    if (line_end > p && line_end[-1] == '\r' && newline)
      line_end--;
    cr = memchr (p, '\r', (gsize) (line_end - p));
    if (cr) {
      g_set_error (error, MILTER_REPLY_CODE_ERROR,
                   MILTER_REPLY_CODE_ERROR_LINE_BREAK,
                   "line %u contains a CR that does not end the line", number);
      return NULL;
    }
    if (!parse_line (p, (gsize) (line_end - p), number, &parsed, error))
      return NULL;
    if (number == 1)
      first = parsed;
    /* The last line is the one with nothing after its line break. */
    if (!check_line (&parsed, &first, number, next >= end, error))
      return NULL;
    g_ptr_array_add (lines, g_strndup (parsed.text, parsed.text_length));
    p = next;
  }
  g_ptr_array_add (lines, NULL);

  reply_code = g_new0 (MilterReplyCode, 1);
  reply_code->code = first.code;
  if (first.extended_code)
    reply_code->extended_code =
      g_strndup (first.extended_code, first.extended_code_length);
  reply_code->lines = (gchar **) g_ptr_array_steal (lines, NULL);
  return g_steal_pointer (&reply_code);
}

void
milter_reply_code_free (MilterReplyCode *reply_code)
{
  if (!reply_code)
    return;
  g_free (reply_code->extended_code);
  g_strfreev (reply_code->lines);
  g_free (reply_code);
}

gchar *
milter_reply_code_format (guint code,
                          const gchar *extended_code,
                          const gchar * const *lines,
                          GError **error)
{
  static const gchar * const no_text[] = {"", NULL};
  g_autoptr (GString) text = NULL;
  guint klass = code / 100;
  guint n_lines;
  guint i;

  if (code < 100 || code > 999) {
    g_set_error (error, MILTER_REPLY_CODE_ERROR,
                 MILTER_REPLY_CODE_ERROR_INVALID_CODE,
                 "code %u is not 3 digits", code);
    return NULL;
  }
  if (klass != 4 && klass != 5) {
    g_set_error (error, MILTER_REPLY_CODE_ERROR,
                 MILTER_REPLY_CODE_ERROR_INVALID_CLASS,
                 "code %u is not of class 4 or 5", code);
    return NULL;
  }
  if (extended_code) {
    if (!milter_reply_code_is_extended_code (extended_code)) {
      g_set_error (error, MILTER_REPLY_CODE_ERROR,
                   MILTER_REPLY_CODE_ERROR_INVALID_EXTENDED_CODE,
                   "enhanced code \"%s\" is not of the form X.Y.Z",
                   extended_code);
      return NULL;
    }
    if ((guint) (extended_code[0] - '0') != klass) {
      g_set_error (error, MILTER_REPLY_CODE_ERROR,
                   MILTER_REPLY_CODE_ERROR_EXTENDED_CODE_MISMATCH,
                   "enhanced code %s is not of the class of code %u",
                   extended_code, code);
      return NULL;
    }
  }
  if (!lines || !lines[0])
    lines = no_text;
  n_lines = g_strv_length ((gchar **) lines);

  text = g_string_new (NULL);
  for (i = 0; i < n_lines; i++) {
    gboolean last = i + 1 == n_lines;

    if (strpbrk (lines[i], "\r\n")) {
      g_set_error (error, MILTER_REPLY_CODE_ERROR,
                   MILTER_REPLY_CODE_ERROR_LINE_BREAK,
                   "line %u contains CR or LF", i + 1);
      return NULL;
    }
    if (i > 0)
      g_string_append (text, "\r\n");
    g_string_append_printf (text, "%03u", code);
    /* A last line without text needs no separator: "550" is complete. */
    if (!last || extended_code || lines[i][0] != '\0')
      g_string_append_c (text, last ? ' ' : '-');
    if (extended_code) {
      g_string_append (text, extended_code);
      if (lines[i][0] != '\0')
        g_string_append_c (text, ' ');
    }
    g_string_append (text, lines[i]);
  }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

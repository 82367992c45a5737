/*
 * milter-esmtp - ESMTP parameters and envelope paths
 *
 * One checker (parse_argument) holds the grammar; the text and argv forms
 * only split and collect.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-esmtp.h>

G_DEFINE_QUARK (milter-esmtp-error-quark, milter_esmtp_error)

MilterEsmtpArgument *
milter_esmtp_argument_new (const gchar *keyword, const gchar *value)
{
  MilterEsmtpArgument *argument = g_new (MilterEsmtpArgument, 1);

  argument->keyword = g_strdup (keyword);
  argument->value = g_strdup (value);
  return argument;
}

void
milter_esmtp_argument_free (MilterEsmtpArgument *argument)
{
  if (!argument)
    return;
  g_free (argument->keyword);
  g_free (argument->value);
  g_free (argument);
}

static void
argument_free (gpointer data)
{
  milter_esmtp_argument_free (data);
}

static gboolean
is_keyword_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '-';
}

/* esmtp-value: %d33-60 / %d62-126, i.e. printable ASCII except '='. */
static gboolean
is_value_char (gchar c)
{
  guchar u = (guchar) c;

  return u >= 33 && u <= 126 && u != '=';
}

static void
set_error (GError **error, MilterEsmtpError code, const gchar *argument,
           gsize length, const gchar *format, ...) G_GNUC_PRINTF (5, 6);

/* The argument is escaped in the message: it came from the network. */
static void
set_error (GError **error, MilterEsmtpError code, const gchar *argument,
           gsize length, const gchar *format, ...)
{
  g_autofree gchar *raw = g_strndup (argument, length);
  g_autofree gchar *escaped = g_strescape (raw, NULL);
  g_autofree gchar *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, MILTER_ESMTP_ERROR, code,
               "invalid ESMTP argument '%s': %s", escaped, detail);
}

/* Parses argument[0..length); length lets the text form parse in place. */
static MilterEsmtpArgument *
parse_argument (const gchar *argument, gsize length, GError **error)
{
  const gchar *end = argument + length;
  const gchar *equal = memchr (argument, '=', length);
  const gchar *keyword_end = equal ? equal : end;
  const gchar *p;
  MilterEsmtpArgument *result;

  if (keyword_end == argument) {
    set_error (error, MILTER_ESMTP_ERROR_INVALID_KEYWORD, argument, length,
               "keyword is empty");
    return NULL;
  }
  if (!g_ascii_isalnum (argument[0])) {
    set_error (error, MILTER_ESMTP_ERROR_INVALID_KEYWORD, argument, length,
               "keyword must start with a letter or digit, not 0x%02x",
               (guchar) argument[0]);
    return NULL;
  }
  for (p = argument + 1; p < keyword_end; p++) {
    if (!is_keyword_char (*p)) {
      set_error (error, MILTER_ESMTP_ERROR_INVALID_KEYWORD, argument, length,
                 "byte 0x%02x at offset %u is not allowed in a keyword",
                 (guchar) *p, (guint) (p - argument));
      return NULL;
    }
  }
  if (equal) {
    if (equal + 1 == end) {
      set_error (error, MILTER_ESMTP_ERROR_INVALID_VALUE, argument, length,
                 "empty value after '='");
      return NULL;
    }
    for (p = equal + 1; p < end; p++) {
      if (!is_value_char (*p)) {
        set_error (error, MILTER_ESMTP_ERROR_INVALID_VALUE, argument, length,
                   "byte 0x%02x at offset %u is not allowed in a value",
                   (guchar) *p, (guint) (p - argument));
        return NULL;
      }
    }
  }
  result = g_new (MilterEsmtpArgument, 1);
  result->keyword = g_strndup (argument, (gsize) (keyword_end - argument));
  result->value = equal ? g_strndup (equal + 1, (gsize) (end - equal - 1))
                        : NULL;
  return result;
}

MilterEsmtpArgument *
milter_esmtp_parse_argument (const gchar *argument, GError **error)
{
  if (!argument || !argument[0]) {
    g_set_error (error, MILTER_ESMTP_ERROR, MILTER_ESMTP_ERROR_EMPTY_ARGUMENT,
                 "empty ESMTP argument");
    return NULL;
  }
  return parse_argument (argument, strlen (argument), error);
}

GPtrArray *
milter_esmtp_parse_arguments (const gchar *text, GError **error)
{
  g_autoptr (GPtrArray) arguments = g_ptr_array_new_with_free_func (argument_free);
  const gchar *p = text ? text : "";

  while (*p) {
    const gchar *start;
    MilterEsmtpArgument *argument;

    while (*p == ' ')
      p++;
    if (!*p)
      break;
    start = p;
    while (*p && *p != ' ')
      p++;
    argument = parse_argument (start, (gsize) (p - start), error);
    if (!argument)
      return NULL;
    g_ptr_array_add (arguments, argument);
  }
  return g_steal_pointer (&arguments);
}

GPtrArray *
milter_esmtp_parse_argv (const gchar * const *argv, GError **error)
{
  g_autoptr (GPtrArray) arguments = g_ptr_array_new_with_free_func (argument_free);
  guint i;

  for (i = 0; argv && argv[i]; i++) {
    MilterEsmtpArgument *argument;

    /* An empty string is not a parameter; dropping it silently would
     * hide a broken MTA or milter. */
    if (!argv[i][0]) {
      g_set_error (error, MILTER_ESMTP_ERROR,
                   MILTER_ESMTP_ERROR_EMPTY_ARGUMENT,
                   "empty ESMTP argument at position %u", i + 1);
      return NULL;
    }
    argument = parse_argument (argv[i], strlen (argv[i]), error);
    if (!argument)
      return NULL;
    g_ptr_array_add (arguments, argument);
  }
  return g_steal_pointer (&arguments);
}

const MilterEsmtpArgument *
milter_esmtp_arguments_lookup (const GPtrArray *arguments,
                               const gchar *keyword)
{
  guint i;

  if (!arguments || !keyword)
    return NULL;
  for (i = 0; i < arguments->len; i++) {
    const MilterEsmtpArgument *argument = g_ptr_array_index (arguments, i);

    if (g_ascii_strcasecmp (argument->keyword, keyword) == 0)
      return argument;
  }
  return NULL;
}

gchar *
milter_esmtp_arguments_to_string (const GPtrArray *arguments)
{
  GString *string = g_string_new (NULL);
  guint i;

  for (i = 0; arguments && i < arguments->len; i++) {
    const MilterEsmtpArgument *argument = g_ptr_array_index (arguments, i);

    if (i > 0)
      g_string_append_c (string, ' ');
    g_string_append (string, argument->keyword);
    if (argument->value) {
      g_string_append_c (string, '=');
      g_string_append (string, argument->value);
    }
  }
  return g_string_free (string, FALSE);
}

static gboolean
is_bracketed (const gchar *path, gsize length)
{
  return length >= 2 && path[0] == '<' && path[length - 1] == '>';
}

gchar *
milter_esmtp_strip_address (const gchar *path)
{
  gsize length;

  if (!path)
    return NULL;
  length = strlen (path);
  if (!is_bracketed (path, length))
    return g_strdup (path);
  return g_strndup (path + 1, length - 2);
}

gchar *
milter_esmtp_quote_address (const gchar *address)
{
  if (!address)
    return NULL;
  if (is_bracketed (address, strlen (address)))
    return g_strdup (address);
  return g_strconcat ("<", address, ">", NULL);
}

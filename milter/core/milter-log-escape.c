/*
 * milter-log-escape - keep one log call on one line
 *
 * DESCRIPTION
 *   One pass finds whether anything needs escaping and how much longer
 *   the text gets; then the buffer grows once and is rewritten from the
 *   end backwards, in place. See milter-log-escape.h.
 */
#include "config.h"

#include <milter/core/milter-log-escape.h>

static inline gboolean
is_control (guchar c)
{
  return c < 0x20 || c == 0x7f;
}

/* The escape of a control character: 'r', 'n', 't', or 0 for \xHH. */
static inline gchar
short_escape (guchar c)
{
  switch (c) {
  case '\r': return 'r';
  case '\n': return 'n';
  case '\t': return 't';
  default: return 0;
  }
}

void
milter_log_escape_controls (GString *buffer, gsize offset)
{
  static const gchar hex[] = "0123456789abcdef";
  gsize extra = 0;
  gsize old_len;
  gchar *out;

  g_return_if_fail (buffer != NULL);
  if (offset >= buffer->len)
    return;
  for (gsize i = offset; i < buffer->len; i++) {
    guchar c = (guchar) buffer->str[i];

    if (is_control (c))
      extra += short_escape (c) ? 1 : 3;
  }
  if (extra == 0)
    return;

  old_len = buffer->len;
  g_string_set_size (buffer, old_len + extra);
  out = buffer->str + buffer->len;
  for (gsize i = old_len; i > offset; i--) {
    guchar c = (guchar) buffer->str[i - 1];
    gchar escape;

    if (!is_control (c)) {
      *--out = (gchar) c;
      continue;
    }
    escape = short_escape (c);
    if (escape) {
      *--out = escape;
    } else {
      *--out = hex[c & 0xf];
      *--out = hex[c >> 4];
      *--out = 'x';
    }
    *--out = '\\';
  }
}

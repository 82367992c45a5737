/*
 * milter-escape - quote bytes unambiguously for one-line descriptions
 *
 * SYNOPSIS
 *   #include <milter/core/milter-escape.h>   (internal to core)
 *
 *   void milter_escape_append (GString *out, const guint8 *data, gsize size);
 *
 * DESCRIPTION
 *   Appends data in double quotes, with \" \\ \r \n \t and \xNN for the
 *   other bytes outside printable ASCII, so that the command and reply
 *   descriptions that tests compare show every byte of a field. One
 *   escaper for both, so their lines read alike.
 *
 *   static inline: internal to core and not part of any library's ABI.
 *
 * DIAGNOSTICS
 *   None.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

static inline void
milter_escape_append (GString *out, const guint8 *data, gsize size)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < size; i++) {
    guint8 c = data[i];

    switch (c) {
    case '\r': g_string_append (out, "\\r"); break;
    case '\n': g_string_append (out, "\\n"); break;
    case '\t': g_string_append (out, "\\t"); break;
    case '"': g_string_append (out, "\\\""); break;
    case '\\': g_string_append (out, "\\\\"); break;
    default:
      if (c >= 0x20 && c < 0x7f)
        g_string_append_c (out, (gchar) c);
      else
        g_string_append_printf (out, "\\x%02x", c);
      break;
    }
  }
  g_string_append_c (out, '"');
}

G_END_DECLS

/*
 * milter-log-escape - keep one log call on one line
 *
 * SYNOPSIS
 *   milter_log_escape_controls (buffer, offset);
 *
 * DESCRIPTION
 *   Log messages carry peer data (header values, addresses, macro
 *   values). A CR or LF in it would start what looks like a new log line,
 *   which a reader or a log parser would take for a line the program
 *   wrote. The logger passes each formatted message through this rule:
 *   from offset on, CR, LF and TAB become \r, \n and \t, every other C0
 *   control character and DEL become \xHH. Other bytes, UTF-8 included,
 *   are kept; a backslash is kept as is, so text without control
 *   characters is unchanged. Nothing is allocated unless something is
 *   escaped, and then only the buffer grows.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void milter_log_escape_controls (GString *buffer, gsize offset);

G_END_DECLS

/*
 * milter-server-macro-filter - which macros the MTA side sends before a command
 *
 * SYNOPSIS
 *   #include <milter/server/milter-server-macro-filter.h>
 *
 *   gboolean milter_server_macro_is_wanted (negotiated, requests, command,
 *                                           name);
 *
 * DESCRIPTION
 *   A protocol-6 milter that negotiated the set-symbol-list action may
 *   name, per stage, the macros it wants (see milter-macros-requests.h).
 *   Like Sendmail and Postfix, the MTA side then sends only those at that
 *   stage; otherwise it sends every macro it has.
 *
 *   milter_server_macro_is_wanted() is that rule, pure: it answers TRUE
 *   (send the macro) unless all of these hold, in which case the answer is
 *   whether the stage's list names the macro ("{name}" and "name" match):
 *   - negotiated is not NULL, its version is 6 or more and its actions
 *     include MILTER_ACTION_SET_SYMBOL_LIST;
 *   - command has a macro stage (C, H, M, R, T, N, E; header, body and
 *     unknown have none, so their macros always go);
 *   - the milter's list for that stage is not empty. An empty list is
 *     indistinguishable from no list in MilterMacrosRequests, and sending
 *     too much is harmless where sending nothing could break a milter.
 *
 * DIAGNOSTICS
 *   None: this function only decides.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-macros-requests.h>
#include <milter/core/milter-option.h>

G_BEGIN_DECLS

gboolean milter_server_macro_is_wanted (const MilterOption *negotiated,
                                        const MilterMacrosRequests *requests,
                                        guint8 command,
                                        const gchar *name);

G_END_DECLS

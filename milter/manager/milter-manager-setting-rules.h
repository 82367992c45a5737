/*
 * milter-manager-setting-rules - which values configuration items accept
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-setting-rules.h>
 *
 *   gboolean milter_manager_setting_check_fallback_status (item, status, &error);
 *   gboolean milter_manager_setting_check_seconds (item, seconds, &error);
 *
 * DESCRIPTION
 *   The checks shared by the egg's and the configuration's setters
 *   (configuration.md §3.4, §3.8), so both refuse the same values with
 *   the same words. item names the setting in the message
 *   ("milter.fallback_status").
 *
 *   A fallback status is one of accept, temporary-failure, reject and
 *   discard: what a child's failure or the manager's own counts as must
 *   be an answer the MTA understands. Seconds (timeouts, intervals) are
 *   a positive finite number.
 *
 * DIAGNOSTICS
 *   MILTER_MANAGER_ERROR_INVALID_VALUE, naming the item and the value.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-status.h>

G_BEGIN_DECLS

gboolean milter_manager_setting_check_fallback_status (const gchar *item,
                                                       MilterStatus status,
                                                       GError **error);
gboolean milter_manager_setting_check_seconds (const gchar *item,
                                               gdouble seconds,
                                               GError **error);

G_END_DECLS

/*
 * milter-manager-setting-rules - which values configuration items accept
 */
#include "config.h"

#include <math.h>

#include <glib.h>

#include <milter/core/milter-status.h>
#include <milter/manager/milter-manager-error.h>
#include <milter/manager/milter-manager-setting-rules.h>

gboolean
milter_manager_setting_check_fallback_status (const gchar *item,
                                              MilterStatus status,
                                              GError **error)
{
  const gchar *name;

  switch (status) {
  case MILTER_STATUS_ACCEPT:
  case MILTER_STATUS_TEMPORARY_FAILURE:
  case MILTER_STATUS_REJECT:
  case MILTER_STATUS_DISCARD:
    return TRUE;
  default:
    name = milter_status_to_string (status);
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE,
                 "%s must be accept, temporary-failure, reject or discard: %s",
                 item, name ? name : "(invalid)");
    return FALSE;
  }
}

gboolean
milter_manager_setting_check_seconds (const gchar *item,
                                      gdouble seconds,
                                      GError **error)
{
  if (isfinite (seconds) && seconds > 0)
    return TRUE;
  g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE,
               "%s must be a positive number of seconds: %g", item, seconds);
  return FALSE;
}

/*
 * test-manager-setting-rules - the values fallback statuses and seconds
 * accept (configuration.md §3.4, §3.8)
 */
#include "config.h"

#include <math.h>

#include <glib.h>

#include <milter/core/milter-status.h>
#include <milter/manager/milter-manager-error.h>
#include <milter/manager/milter-manager-setting-rules.h>

static void
test_fallback_status (void)
{
  static const struct {
    MilterStatus status;
    const gchar *message;  /* NULL: accepted */
  } cases[] = {
    {MILTER_STATUS_ACCEPT, NULL},
    {MILTER_STATUS_TEMPORARY_FAILURE, NULL},
    {MILTER_STATUS_REJECT, NULL},
    {MILTER_STATUS_DISCARD, NULL},
    {MILTER_STATUS_CONTINUE,
     "x.fallback_status must be accept, temporary-failure, reject or "
     "discard: continue"},
    {MILTER_STATUS_SKIP, "x.fallback_status must be accept, "
     "temporary-failure, reject or discard: skip"},
    {MILTER_STATUS_DEFAULT, "x.fallback_status must be accept, "
     "temporary-failure, reject or discard: default"},
    {(MilterStatus) 1000, "x.fallback_status must be accept, "
     "temporary-failure, reject or discard: (invalid)"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    gboolean ok = milter_manager_setting_check_fallback_status (
      "x.fallback_status", cases[i].status, &error);

    g_assert_cmpint (ok, ==, cases[i].message == NULL);
    if (cases[i].message) {
      g_assert_error (error, MILTER_MANAGER_ERROR,
                      MILTER_MANAGER_ERROR_INVALID_VALUE);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    } else {
      g_assert_no_error (error);
    }
  }
}

static void
test_seconds (void)
{
  static const struct {
    gdouble seconds;
    gboolean valid;
  } cases[] = {
    {0.001, TRUE}, {7.0, TRUE}, {297.0, TRUE}, {1e9, TRUE},
    {0.0, FALSE}, {-0.0, FALSE}, {-7.0, FALSE}, {NAN, FALSE},
    {INFINITY, FALSE}, {-INFINITY, FALSE},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_cmpint (milter_manager_setting_check_seconds ("milter.t",
                                                           cases[i].seconds,
                                                           &error),
                     ==, cases[i].valid);
    if (!cases[i].valid) {
      g_assert_error (error, MILTER_MANAGER_ERROR,
                      MILTER_MANAGER_ERROR_INVALID_VALUE);
      g_assert_true (g_str_has_prefix (error->message,
                                       "milter.t must be a positive number "
                                       "of seconds: "));
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/setting-rules/fallback-status",
                   test_fallback_status);
  g_test_add_func ("/manager/setting-rules/seconds", test_seconds);
  return g_test_run ();
}

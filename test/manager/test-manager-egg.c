/*
 * test-manager-egg - one configured child milter: defaults, validating
 * setters, conditions, and the [egg][error] log rows
 */
#include "config.h"

#include <math.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-status.h>
#include <milter/manager/milter-manager-egg.h>
#include <milter/manager/milter-manager-error.h>
#include <test/lib/milter-test-log.h>

static void
test_defaults (void)
{
  g_autoptr (MilterManagerEgg) egg = milter_manager_egg_new ("spamd");
  g_autofree gchar *name = NULL;

  g_assert_cmpstr (milter_manager_egg_get_name (egg), ==, "spamd");
  g_object_get (egg, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "spamd");
  g_assert_null (milter_manager_egg_get_description (egg));
  g_assert_true (milter_manager_egg_is_enabled (egg));
  g_assert_null (milter_manager_egg_get_connection_spec (egg));
  g_assert_null (milter_manager_egg_get_parsed_connection_spec (egg));
  g_assert_cmpint (milter_manager_egg_get_fallback_status (egg), ==,
                   MILTER_STATUS_ACCEPT);
  g_assert_false (milter_manager_egg_is_evaluation_mode (egg));
  g_assert_cmpfloat (milter_manager_egg_get_connection_timeout (egg), ==, 297.0);
  g_assert_cmpfloat (milter_manager_egg_get_writing_timeout (egg), ==, 7.0);
  g_assert_cmpfloat (milter_manager_egg_get_reading_timeout (egg), ==, 7.0);
  g_assert_cmpfloat (milter_manager_egg_get_end_of_message_timeout (egg), ==,
                     297.0);
  g_assert_nonnull (milter_manager_egg_get_applicable_conditions (egg));
  g_assert_null (milter_manager_egg_get_applicable_conditions (egg)[0]);
  g_assert_null (milter_manager_egg_get_command (egg));
  g_assert_null (milter_manager_egg_get_command_options (egg));
  g_assert_null (milter_manager_egg_get_user_name (egg));
}

static void
test_plain_setters (void)
{
  g_autoptr (MilterManagerEgg) egg = milter_manager_egg_new ("clamav");

  milter_manager_egg_set_description (egg, "virus scanner");
  milter_manager_egg_set_enabled (egg, FALSE);
  milter_manager_egg_set_evaluation_mode (egg, TRUE);
  milter_manager_egg_set_command (egg, "/usr/sbin/clamav-milter");
  milter_manager_egg_set_command_options (egg, "--config-file /etc/c.conf");
  milter_manager_egg_set_user_name (egg, "clamav");
  g_assert_cmpstr (milter_manager_egg_get_description (egg), ==,
                   "virus scanner");
  g_assert_false (milter_manager_egg_is_enabled (egg));
  g_assert_true (milter_manager_egg_is_evaluation_mode (egg));
  g_assert_cmpstr (milter_manager_egg_get_command (egg), ==,
                   "/usr/sbin/clamav-milter");
  g_assert_cmpstr (milter_manager_egg_get_command_options (egg), ==,
                   "--config-file /etc/c.conf");
  g_assert_cmpstr (milter_manager_egg_get_user_name (egg), ==, "clamav");
  milter_manager_egg_set_description (egg, NULL);
  milter_manager_egg_set_user_name (egg, NULL);
  g_assert_null (milter_manager_egg_get_description (egg));
  g_assert_null (milter_manager_egg_get_user_name (egg));
}

static void
test_applicable_conditions (void)
{
  g_autoptr (MilterManagerEgg) egg = milter_manager_egg_new ("greylist");
  const gchar *const names[] = {"S25R", "Remote Network", NULL};
  const gchar *const *got;

  milter_manager_egg_set_applicable_conditions (egg, names);
  milter_manager_egg_add_applicable_condition (egg, "Trust");
  got = milter_manager_egg_get_applicable_conditions (egg);
  g_assert_cmpuint (g_strv_length ((gchar **) got), ==, 3);
  g_assert_cmpstr (got[0], ==, "S25R");
  g_assert_cmpstr (got[1], ==, "Remote Network");
  g_assert_cmpstr (got[2], ==, "Trust");
  milter_manager_egg_set_applicable_conditions (egg, NULL);
  g_assert_null (milter_manager_egg_get_applicable_conditions (egg)[0]);
}

static void
test_connection_spec (void)
{
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  g_autoptr (MilterManagerEgg) egg = milter_manager_egg_new ("spamd");
  g_autoptr (GError) error = NULL;
  const MilterConnectionSpec *spec;

  g_assert_true (milter_manager_egg_set_connection_spec (
                   egg, "inet:7357@[127.0.0.1]", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (milter_manager_egg_get_connection_spec (egg), ==,
                   "inet:7357@127.0.0.1");
  spec = milter_manager_egg_get_parsed_connection_spec (egg);
  g_assert_cmpint (spec->type, ==, MILTER_CONNECTION_SPEC_TYPE_INET);
  g_assert_cmpuint (spec->port, ==, 7357);
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ALL,
                                                   NULL), ==, 0);

  /* refused: logged, reported, old value kept */
  g_assert_false (milter_manager_egg_set_connection_spec (egg, "inet:99999",
                                                          &error));
  g_assert_error (error, MILTER_MANAGER_ERROR,
                  MILTER_MANAGER_ERROR_INVALID_CONNECTION_SPEC);
  g_assert_nonnull (g_strstr_len (error->message, -1, "inet:99999"));
  g_assert_cmpstr (milter_manager_egg_get_connection_spec (egg), ==,
                   "inet:7357@127.0.0.1");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0,
                             "[egg][error][set-spec] ");
  g_assert_true (g_str_has_suffix (
                   milter_test_log_capture_find (capture, MILTER_LOG_LEVEL_ERROR,
                                                 0, "[egg][error][set-spec]"),
                   ": spamd"));
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ALL,
                                                   NULL), ==, 1);

  /* NULL unsets */
  g_assert_true (milter_manager_egg_set_connection_spec (egg, NULL, NULL));
  g_assert_null (milter_manager_egg_get_connection_spec (egg));
  g_assert_null (milter_manager_egg_get_parsed_connection_spec (egg));
}

static void
test_check_hatchable (void)
{
  g_autoptr (MilterTestLogCapture) capture =
    milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  g_autoptr (MilterManagerEgg) egg = milter_manager_egg_new ("no-spec");
  g_autoptr (GError) error = NULL;

  g_assert_false (milter_manager_egg_check_hatchable (egg, 42, &error));
  g_assert_error (error, MILTER_MANAGER_ERROR,
                  MILTER_MANAGER_ERROR_NO_CONNECTION_SPEC);
  g_assert_cmpstr (error->message, ==, "must set connection spec: no-spec");
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 42,
                             "[egg][error] must set connection spec");
  g_assert_cmpstr (milter_test_log_capture_find (capture, MILTER_LOG_LEVEL_ERROR,
                                                 42, "[egg][error]"),
                   ==, "[42] [egg][error] must set connection spec: no-spec");

  milter_test_log_capture_clear (capture);
  g_clear_error (&error);
  g_assert_true (milter_manager_egg_set_connection_spec (egg, "unix:/tmp/s",
                                                         NULL));
  g_assert_true (milter_manager_egg_check_hatchable (egg, 42, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ALL,
                                                   NULL), ==, 0);
}

static void
test_fallback_status (void)
{
  static const struct {
    MilterStatus status;
    gboolean valid;
  } cases[] = {
    {MILTER_STATUS_ACCEPT, TRUE},
    {MILTER_STATUS_TEMPORARY_FAILURE, TRUE},
    {MILTER_STATUS_REJECT, TRUE},
    {MILTER_STATUS_DISCARD, TRUE},
    {MILTER_STATUS_CONTINUE, FALSE},
    {MILTER_STATUS_SKIP, FALSE},
    {MILTER_STATUS_NOT_CHANGE, FALSE},
    {MILTER_STATUS_ERROR, FALSE},
    {MILTER_STATUS_PASS, FALSE},
    {(MilterStatus) 99, FALSE},
  };
  g_autoptr (MilterManagerEgg) egg = milter_manager_egg_new ("m");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    MilterStatus before = milter_manager_egg_get_fallback_status (egg);

    g_assert_cmpint (milter_manager_egg_set_fallback_status (egg,
                                                             cases[i].status,
                                                             &error),
                     ==, cases[i].valid);
    if (cases[i].valid) {
      g_assert_no_error (error);
      g_assert_cmpint (milter_manager_egg_get_fallback_status (egg), ==,
                       cases[i].status);
    } else {
      g_assert_error (error, MILTER_MANAGER_ERROR,
                      MILTER_MANAGER_ERROR_INVALID_VALUE);
      g_assert_true (g_str_has_prefix (error->message,
                                       "milter.fallback_status "));
      g_assert_cmpint (milter_manager_egg_get_fallback_status (egg), ==,
                       before);
    }
  }
}

typedef gboolean (*SetTimeout) (MilterManagerEgg *, gdouble, GError **);
typedef gdouble (*GetTimeout) (MilterManagerEgg *);

static void
test_timeouts (void)
{
  static const struct {
    const gchar *item;
    SetTimeout set;
    GetTimeout get;
  } timeouts[] = {
    {"milter.connection_timeout", milter_manager_egg_set_connection_timeout,
     milter_manager_egg_get_connection_timeout},
    {"milter.writing_timeout", milter_manager_egg_set_writing_timeout,
     milter_manager_egg_get_writing_timeout},
    {"milter.reading_timeout", milter_manager_egg_set_reading_timeout,
     milter_manager_egg_get_reading_timeout},
    {"milter.end_of_message_timeout",
     milter_manager_egg_set_end_of_message_timeout,
     milter_manager_egg_get_end_of_message_timeout},
  };
  const gdouble refused[] = {0.0, -1.0, NAN, INFINITY};
  g_autoptr (MilterManagerEgg) egg = milter_manager_egg_new ("m");

  for (guint i = 0; i < G_N_ELEMENTS (timeouts); i++) {
    g_assert_true (timeouts[i].set (egg, 0.5, NULL));
    g_assert_cmpfloat (timeouts[i].get (egg), ==, 0.5);
    for (guint j = 0; j < G_N_ELEMENTS (refused); j++) {
      g_autoptr (GError) error = NULL;

      g_assert_false (timeouts[i].set (egg, refused[j], &error));
      g_assert_error (error, MILTER_MANAGER_ERROR,
                      MILTER_MANAGER_ERROR_INVALID_VALUE);
      g_assert_true (g_str_has_prefix (error->message, timeouts[i].item));
      g_assert_cmpfloat (timeouts[i].get (egg), ==, 0.5);
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/egg/defaults", test_defaults);
  g_test_add_func ("/manager/egg/plain-setters", test_plain_setters);
  g_test_add_func ("/manager/egg/applicable-conditions",
                   test_applicable_conditions);
  g_test_add_func ("/manager/egg/connection-spec", test_connection_spec);
  g_test_add_func ("/manager/egg/check-hatchable", test_check_hatchable);
  g_test_add_func ("/manager/egg/fallback-status", test_fallback_status);
  g_test_add_func ("/manager/egg/timeouts", test_timeouts);
  return g_test_run ();
}

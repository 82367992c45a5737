/*
 * test-manager-configuration - the manager-level settings sessions read
 * (configuration.md §3.4): defaults, validation, clear; and the ordered
 * egg list
 */
#include "config.h"

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-status.h>
#include <milter/manager/milter-manager-configuration.h>
#include <milter/manager/milter-manager-egg.h>
#include <milter/manager/milter-manager-error.h>

static void
assert_defaults (MilterManagerConfiguration *configuration)
{
  g_assert_cmpint (milter_manager_configuration_get_fallback_status (configuration),
                   ==, MILTER_STATUS_ACCEPT);
  g_assert_cmpint (milter_manager_configuration_get_fallback_status_at_disconnect (configuration),
                   ==, MILTER_STATUS_TEMPORARY_FAILURE);
  g_assert_cmpuint (milter_manager_configuration_get_packet_buffer_size (configuration),
                    ==, 0);
  g_assert_cmpuint (milter_manager_configuration_get_chunk_size (configuration),
                    ==, 65535);
  g_assert_cmpuint (milter_manager_configuration_get_connection_check_interval (configuration),
                    ==, 0);
  g_assert_cmpuint (milter_manager_configuration_get_body_memory_threshold (configuration),
                    ==, 5242880);
  g_assert_null (milter_manager_configuration_get_temporary_directory (configuration));
  g_assert_cmpfloat (milter_manager_configuration_get_connection_retry_interval (configuration),
                     ==, 5.0);
  g_assert_cmpfloat (milter_manager_configuration_get_negotiation_timeout (configuration),
                     ==, 25.0);
  g_assert_cmpuint (milter_manager_configuration_get_eggs (configuration)->len,
                    ==, 0);
}

static gint destroyed;

static void
test_defaults (void)
{
  g_autoptr (MilterManagerConfiguration) configuration =
    milter_manager_configuration_new ();

  assert_defaults (configuration);
}

static void
test_setters_and_clear (void)
{
  g_autoptr (MilterManagerConfiguration) configuration =
    milter_manager_configuration_new ();
  g_autoptr (MilterManagerEgg) egg = milter_manager_egg_new ("a");
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_manager_configuration_set_fallback_status (
                   configuration, MILTER_STATUS_REJECT, &error));
  g_assert_true (milter_manager_configuration_set_fallback_status_at_disconnect (
                   configuration, MILTER_STATUS_DISCARD, &error));
  milter_manager_configuration_set_packet_buffer_size (configuration, 8192);
  g_assert_true (milter_manager_configuration_set_chunk_size (configuration,
                                                              1, &error));
  milter_manager_configuration_set_connection_check_interval (configuration, 5);
  milter_manager_configuration_set_body_memory_threshold (configuration, 0);
  milter_manager_configuration_set_temporary_directory (configuration,
                                                        "/var/tmp");
  g_assert_true (milter_manager_configuration_set_connection_retry_interval (
                   configuration, 0.5, &error));
  g_assert_true (milter_manager_configuration_set_negotiation_timeout (
                   configuration, 10.0, &error));
  g_assert_no_error (error);
  milter_manager_configuration_add_egg (configuration, egg);

  g_assert_cmpint (milter_manager_configuration_get_fallback_status (configuration),
                   ==, MILTER_STATUS_REJECT);
  g_assert_cmpint (milter_manager_configuration_get_fallback_status_at_disconnect (configuration),
                   ==, MILTER_STATUS_DISCARD);
  g_assert_cmpuint (milter_manager_configuration_get_packet_buffer_size (configuration),
                    ==, 8192);
  g_assert_cmpuint (milter_manager_configuration_get_chunk_size (configuration),
                    ==, 1);
  g_assert_cmpuint (milter_manager_configuration_get_connection_check_interval (configuration),
                    ==, 5);
  g_assert_cmpuint (milter_manager_configuration_get_body_memory_threshold (configuration),
                    ==, 0);
  g_assert_cmpstr (milter_manager_configuration_get_temporary_directory (configuration),
                   ==, "/var/tmp");
  g_assert_cmpfloat (milter_manager_configuration_get_connection_retry_interval (configuration),
                     ==, 0.5);
  g_assert_cmpfloat (milter_manager_configuration_get_negotiation_timeout (configuration),
                     ==, 10.0);

  /* 0 is the DSL's nil: the default */
  g_assert_true (milter_manager_configuration_set_chunk_size (configuration,
                                                              0, &error));
  g_assert_cmpuint (milter_manager_configuration_get_chunk_size (configuration),
                    ==, 65535);

  milter_manager_configuration_clear (configuration);
  assert_defaults (configuration);
}

static void
test_refused_values (void)
{
  g_autoptr (MilterManagerConfiguration) configuration =
    milter_manager_configuration_new ();
  const MilterStatus refused_statuses[] = {
    MILTER_STATUS_CONTINUE, MILTER_STATUS_SKIP, MILTER_STATUS_NOT_CHANGE,
    MILTER_STATUS_ERROR, MILTER_STATUS_STOP,
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused_statuses); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GError) error_at_disconnect = NULL;

    g_assert_false (milter_manager_configuration_set_fallback_status (
                      configuration, refused_statuses[i], &error));
    g_assert_error (error, MILTER_MANAGER_ERROR,
                    MILTER_MANAGER_ERROR_INVALID_VALUE);
    g_assert_true (g_str_has_prefix (error->message,
                                     "manager.fallback_status "));
    g_assert_false (milter_manager_configuration_set_fallback_status_at_disconnect (
                      configuration, refused_statuses[i], &error_at_disconnect));
    g_assert_error (error_at_disconnect, MILTER_MANAGER_ERROR,
                    MILTER_MANAGER_ERROR_INVALID_VALUE);
    g_assert_true (g_str_has_prefix (error_at_disconnect->message,
                                     "manager.fallback_status_at_disconnect "));
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (milter_manager_configuration_set_chunk_size (configuration,
                                                                 65536, &error));
    g_assert_error (error, MILTER_MANAGER_ERROR,
                    MILTER_MANAGER_ERROR_INVALID_VALUE);
    g_assert_cmpstr (error->message, ==,
                     "manager.chunk_size must be 1-65535: 65536");
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (milter_manager_configuration_set_connection_retry_interval (
                      configuration, -1.0, &error));
    g_assert_error (error, MILTER_MANAGER_ERROR,
                    MILTER_MANAGER_ERROR_INVALID_VALUE);
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (milter_manager_configuration_set_negotiation_timeout (
                      configuration, 0.0, &error));
    g_assert_error (error, MILTER_MANAGER_ERROR,
                    MILTER_MANAGER_ERROR_INVALID_VALUE);
  }
  /* nothing changed */
  assert_defaults (configuration);
}

static gchar *
egg_names (MilterManagerConfiguration *configuration)
{
  GPtrArray *eggs = milter_manager_configuration_get_eggs (configuration);
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < eggs->len; i++)
    g_string_append_printf (names, "%s%s", i ? " " : "",
                            milter_manager_egg_get_name (
                              g_ptr_array_index (eggs, i)));
  return g_string_free (names, FALSE);
}

static void
test_eggs (void)
{
  g_autoptr (MilterManagerConfiguration) configuration =
    milter_manager_configuration_new ();
  g_autoptr (MilterManagerEgg) a = milter_manager_egg_new ("a");
  g_autoptr (MilterManagerEgg) b = milter_manager_egg_new ("b");
  g_autoptr (MilterManagerEgg) c = milter_manager_egg_new ("c");
  g_autoptr (MilterManagerEgg) b2 = milter_manager_egg_new ("b");
  g_autofree gchar *names = NULL;

  milter_manager_configuration_add_egg (configuration, a);
  milter_manager_configuration_add_egg (configuration, b);
  milter_manager_configuration_add_egg (configuration, c);
  names = egg_names (configuration);
  g_assert_cmpstr (names, ==, "a b c");
  g_assert_true (milter_manager_configuration_find_egg (configuration, "b") == b);
  g_assert_null (milter_manager_configuration_find_egg (configuration, "x"));

  /* a redefinition replaces the egg where it stands */
  milter_manager_configuration_add_egg (configuration, b2);
  g_clear_pointer (&names, g_free);
  names = egg_names (configuration);
  g_assert_cmpstr (names, ==, "a b c");
  g_assert_true (milter_manager_configuration_find_egg (configuration, "b") == b2);
  /* adding the same object again changes nothing */
  milter_manager_configuration_add_egg (configuration, b2);
  g_assert_cmpuint (milter_manager_configuration_get_eggs (configuration)->len,
                    ==, 3);

  g_assert_true (milter_manager_configuration_remove_egg (configuration, "a"));
  g_assert_false (milter_manager_configuration_remove_egg (configuration, "a"));
  g_clear_pointer (&names, g_free);
  names = egg_names (configuration);
  g_assert_cmpstr (names, ==, "b c");

  milter_manager_configuration_clear (configuration);
  g_assert_cmpuint (milter_manager_configuration_get_eggs (configuration)->len,
                    ==, 0);
}

static gboolean
says (MilterClientContext *context, gpointer user_data)
{
  (void) context;
  return GPOINTER_TO_INT (user_data);
}

static void
count_destroy (gpointer user_data)
{
  (void) user_data;
  destroyed++;
}

/* Checkers: one FALSE is "gone"; a name redefined replaces the old one
 * (its data destroyed); clear() removes them all. */
static void
test_connection_checkers (void)
{
  g_autoptr (MilterManagerConfiguration) configuration =
    milter_manager_configuration_new ();

  destroyed = 0;
  g_assert_true (milter_manager_configuration_check_connection (configuration, NULL));
  milter_manager_configuration_set_connection_checker (configuration, "a", says,
                                                       GINT_TO_POINTER (TRUE),
                                                       count_destroy);
  g_assert_true (milter_manager_configuration_check_connection (configuration, NULL));
  milter_manager_configuration_set_connection_checker (configuration, "b", says,
                                                       GINT_TO_POINTER (FALSE),
                                                       count_destroy);
  g_assert_false (milter_manager_configuration_check_connection (configuration, NULL));
  milter_manager_configuration_set_connection_checker (configuration, "b", says,
                                                       GINT_TO_POINTER (TRUE),
                                                       count_destroy);
  g_assert_cmpint (destroyed, ==, 1);
  g_assert_true (milter_manager_configuration_check_connection (configuration, NULL));
  milter_manager_configuration_set_connection_checker (configuration, "c", says,
                                                       GINT_TO_POINTER (FALSE),
                                                       count_destroy);
  milter_manager_configuration_clear (configuration);
  g_assert_cmpint (destroyed, ==, 4);
  g_assert_true (milter_manager_configuration_check_connection (configuration, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/configuration/defaults", test_defaults);
  g_test_add_func ("/manager/configuration/setters-and-clear",
                   test_setters_and_clear);
  g_test_add_func ("/manager/configuration/refused-values",
                   test_refused_values);
  g_test_add_func ("/manager/configuration/eggs", test_eggs);
  g_test_add_func ("/manager/configuration/connection-checkers",
                   test_connection_checkers);
  return g_test_run ();
}

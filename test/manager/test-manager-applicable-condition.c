/*
 * test-manager-applicable-condition - the condition object (stages,
 * stop function, description, lifetime), the configuration's conditions
 * by name, and the two rules the context uses: a macro name's wire form
 * and the macro set of each stage
 */
#include "config.h"

#include <glib.h>

#include <milter/manager/milter-manager-applicable-condition.h>
#include <milter/manager/milter-manager-configuration.h>

static void
test_macro_wire_name (void)
{
  static const struct {
    const gchar *name;
    const gchar *wire;
  } cases[] = {
    {"auth_type", "{auth_type}"},
    {"{auth_type}", "{auth_type}"},
    {"i", "i"},
    {"{i}", "i"},
    {"j", "j"},
    {"{}", ""},
    {"", ""},
    {"{x", "{{x}"},
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *wire = milter_manager_condition_macro_wire_name (cases[i].name);

    g_assert_cmpstr (wire, ==, cases[i].wire);
  }
}

static void
test_stage_macro_command (void)
{
  static const struct {
    MilterServerState stage;
    guint8 command;
  } cases[] = {
    {MILTER_SERVER_STATE_CONNECT, 'C'},
    {MILTER_SERVER_STATE_HELO, 'H'},
    {MILTER_SERVER_STATE_ENVELOPE_FROM, 'M'},
    {MILTER_SERVER_STATE_ENVELOPE_RECIPIENT, 'R'},
    {MILTER_SERVER_STATE_DATA, 'T'},
    {MILTER_SERVER_STATE_UNKNOWN, 'U'},
    {MILTER_SERVER_STATE_HEADER, 'L'},
    {MILTER_SERVER_STATE_END_OF_HEADER, 'N'},
    {MILTER_SERVER_STATE_BODY, 'B'},
    {MILTER_SERVER_STATE_END_OF_MESSAGE, 'E'},
    {MILTER_SERVER_STATE_NEGOTIATE, 0},
    {MILTER_SERVER_STATE_QUIT, 0},
    {MILTER_SERVER_STATE_ABORT, 0},
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_manager_condition_stage_macro_command (cases[i].stage),
                     ==, cases[i].command);
}

typedef struct {
  guint n_calls;
  gboolean destroyed;
  MilterServerState last_stage;
} Probe;

static gboolean
probe_stop (MilterManagerApplicableCondition *condition,
            MilterManagerConditionContext *context,
            const MilterManagerStopperEvent *event, gpointer user_data)
{
  Probe *probe = user_data;

  (void) condition;
  (void) context;
  probe->n_calls++;
  probe->last_stage = event->stage;
  return event->stage == MILTER_SERVER_STATE_HELO;
}

static void
probe_destroy (gpointer user_data)
{
  ((Probe *) user_data)->destroyed = TRUE;
}

static void
test_stages_and_stop (void)
{
  Probe probe = { 0 };
  guint stages = MILTER_MANAGER_CONDITION_STAGE (MILTER_SERVER_STATE_HELO) |
                 MILTER_MANAGER_CONDITION_STAGE (MILTER_SERVER_STATE_BODY);
  MilterManagerApplicableCondition *condition =
    milter_manager_applicable_condition_new ("C", stages, probe_stop, &probe,
                                             probe_destroy);
  static const struct {
    MilterServerState stage;
    gboolean has;
    gboolean stop;
  } cases[] = {
    {MILTER_SERVER_STATE_CONNECT, FALSE, FALSE},
    {MILTER_SERVER_STATE_HELO, TRUE, TRUE},
    {MILTER_SERVER_STATE_ENVELOPE_FROM, FALSE, FALSE},
    {MILTER_SERVER_STATE_BODY, TRUE, FALSE},
    {MILTER_SERVER_STATE_END_OF_MESSAGE, FALSE, FALSE},
  };
  guint expected_calls = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    MilterManagerStopperEvent event = { .stage = cases[i].stage };

    g_assert_cmpint (milter_manager_applicable_condition_has_stopper (condition, cases[i].stage),
                     ==, cases[i].has);
    g_assert_cmpint (milter_manager_applicable_condition_stop (condition, NULL, &event),
                     ==, cases[i].stop);
    /* A stage without a stopper never reaches the function. */
    expected_calls += cases[i].has;
    g_assert_cmpuint (probe.n_calls, ==, expected_calls);
  }
  milter_manager_applicable_condition_ref (condition);
  milter_manager_applicable_condition_unref (condition);
  g_assert_false (probe.destroyed);
  milter_manager_applicable_condition_unref (condition);
  g_assert_true (probe.destroyed);
}

static void
test_no_function_means_no_stage (void)
{
  MilterManagerApplicableCondition *condition =
    milter_manager_applicable_condition_new ("C", ~0u, NULL, NULL, NULL);

  g_assert_false (milter_manager_applicable_condition_has_stopper (condition,
                                                                   MILTER_SERVER_STATE_CONNECT));
  milter_manager_applicable_condition_unref (condition);
}

static void
test_configuration_by_name (void)
{
  g_autoptr (MilterManagerConfiguration) configuration =
    milter_manager_configuration_new ();
  Probe first = { 0 }, second = { 0 };
  MilterManagerApplicableCondition *a =
    milter_manager_applicable_condition_new ("S25R", 0, probe_stop, &first,
                                             probe_destroy);
  MilterManagerApplicableCondition *b =
    milter_manager_applicable_condition_new ("S25R", 0, probe_stop, &second,
                                             probe_destroy);

  milter_manager_applicable_condition_set_description (a, "dynamic hosts");
  g_assert_cmpstr (milter_manager_applicable_condition_get_description (a), ==,
                   "dynamic hosts");
  milter_manager_configuration_add_applicable_condition (configuration, a);
  milter_manager_applicable_condition_unref (a);
  g_assert_true (milter_manager_configuration_find_applicable_condition (configuration,
                                                                         "S25R") == a);
  /* The same name replaces it; the old one is released. */
  milter_manager_configuration_add_applicable_condition (configuration, b);
  milter_manager_applicable_condition_unref (b);
  g_assert_true (first.destroyed);
  g_assert_true (milter_manager_configuration_find_applicable_condition (configuration,
                                                                         "S25R") == b);
  g_assert_null (milter_manager_configuration_find_applicable_condition (configuration,
                                                                         "Trust"));
  milter_manager_configuration_clear (configuration);
  g_assert_true (second.destroyed);
  g_assert_null (milter_manager_configuration_find_applicable_condition (configuration,
                                                                         "S25R"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/applicable-condition/macro-wire-name",
                   test_macro_wire_name);
  g_test_add_func ("/manager/applicable-condition/stage-macro-command",
                   test_stage_macro_command);
  g_test_add_func ("/manager/applicable-condition/stages-and-stop",
                   test_stages_and_stop);
  g_test_add_func ("/manager/applicable-condition/no-function-no-stage",
                   test_no_function_means_no_stage);
  g_test_add_func ("/manager/applicable-condition/configuration-by-name",
                   test_configuration_by_name);
  return g_test_run ();
}

/*
 * test-manager-stop - the rule of the graceful stop
 * (src/milter-manager-stop.c): wait while sessions run, stop when none
 * is left, at a second signal, or (closing them) at the bound.
 */
#include "config.h"

#include "src/milter-manager-daemon.h"

static void
test_decide (void)
{
  static const struct {
    guint n_processing;
    gdouble elapsed;
    guint n_signals;
    MilterManagerStopAction expected;
  } cases[] = {
    { 0, 0.0, 1, MILTER_MANAGER_STOP_NOW },
    { 0, 100.0, 1, MILTER_MANAGER_STOP_NOW },
    { 1, 0.0, 1, MILTER_MANAGER_STOP_WAIT },
    { 20, 29.9, 1, MILTER_MANAGER_STOP_WAIT },
    { 1, 30.0, 1, MILTER_MANAGER_STOP_TIMED_OUT },
    { 3, 45.0, 1, MILTER_MANAGER_STOP_TIMED_OUT },
    { 3, 0.5, 2, MILTER_MANAGER_STOP_NOW },
    { 0, 0.5, 2, MILTER_MANAGER_STOP_NOW },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_manager_stop_decide (cases[i].n_processing, cases[i].elapsed, 30.0,
                                                 cases[i].n_signals), ==, cases[i].expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon/stop/decide", test_decide);
  return g_test_run ();
}

/*
 * test-manager-statistics - the histogram's buckets and percentiles,
 * result names, the collector's counters and its text (doc/controller.md)
 */
#include "config.h"

#include <glib.h>

#include <milter/manager/milter-manager-statistics.h>

static void
test_bucket (void)
{
  static const struct { gint64 usec; guint bucket; } cases[] = {
    { -5, 0 }, { 0, 0 }, { 100, 0 }, { 101, 1 }, { 200, 1 }, { 201, 2 }, { 500, 2 },
    { 999, 3 }, { 1000, 3 }, { 1001, 4 }, { 1000000, 12 }, { 100000000, 18 },
    { 100000001, 19 }, { G_MAXINT64, 19 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpuint (milter_manager_histogram_bucket (cases[i].usec), ==, cases[i].bucket);
  g_assert_cmpint (milter_manager_histogram_bucket_bound (19), ==, G_MAXINT64);
}

static void
test_percentile (void)
{
  static const struct {
    gint64 values[12];
    guint n;
    gdouble fraction;
    gint64 expected;
  } cases[] = {
    { { 0 }, 0, 0.5, -1 },
    { { 50 }, 1, 0.5, 50 },                     /* capped at the maximum */
    { { 50 }, 1, 0.99, 50 },
    { { 150, 150, 150, 150, 150, 150, 150, 150, 150, 3000 }, 10, 0.5, 200 },
    { { 150, 150, 150, 150, 150, 150, 150, 150, 150, 3000 }, 10, 0.9, 200 },
    { { 150, 150, 150, 150, 150, 150, 150, 150, 150, 3000 }, 10, 0.99, 3000 },
    { { 10, 20, 30, 40, 1500 }, 5, 0.8, 100 },
    { { 10, 20, 30, 40, 1500 }, 5, 1.0, 1500 },
    { { 200000000, 300000000 }, 2, 0.5, 300000000 },   /* open bucket: the maximum */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    MilterManagerHistogram histogram = { { 0 }, 0, 0 };
    for (guint j = 0; j < cases[i].n; j++)
      milter_manager_histogram_add (&histogram, cases[i].values[j]);
    g_assert_cmpint (milter_manager_histogram_percentile (&histogram, cases[i].fraction), ==,
                     cases[i].expected);
  }
}

static void
test_result_names (void)
{
  static const struct { const gchar *name; MilterManagerResult result; } cases[] = {
    { "pass", MILTER_MANAGER_RESULT_PASS }, { "accept", MILTER_MANAGER_RESULT_ACCEPT },
    { "reject", MILTER_MANAGER_RESULT_REJECT },
    { "temporary-failure", MILTER_MANAGER_RESULT_TEMPORARY_FAILURE },
    { "discard", MILTER_MANAGER_RESULT_DISCARD }, { "abort", MILTER_MANAGER_RESULT_ABORT },
    { "continue", MILTER_MANAGER_RESULT_OTHER }, { NULL, MILTER_MANAGER_RESULT_OTHER },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_manager_result_from_string (cases[i].name), ==, cases[i].result);
  g_assert_cmpstr (milter_manager_result_to_string (MILTER_MANAGER_RESULT_OTHER), ==, "other");
}

static void
test_key (void)
{
  static const struct { const gchar *name; const gchar *key; } cases[] = {
    { "clamav-milter", "clamav-milter" }, { "a_b", "a_b" }, { "a.b", "a%2Eb" },
    { "a b:c", "a%20b%3Ac" }, { "%", "%25" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GString) out = g_string_new (NULL);
    milter_manager_statistics_append_key (out, cases[i].name);
    g_assert_cmpstr (out->str, ==, cases[i].key);
  }
}

static void
test_collector (void)
{
  g_autoptr (MilterManagerStatistics) statistics = milter_manager_statistics_new ();
  g_autoptr (GString) out = g_string_new (NULL);

  /* No collector: nothing happens, nothing crashes. */
  milter_manager_statistics_session_end (NULL, "accept");
  milter_manager_statistics_child_end (NULL, "x", "pass");
  milter_manager_statistics_child_failure (NULL, "x", TRUE);
  milter_manager_statistics_child_latency (NULL, "x", MILTER_SERVER_STATE_CONNECT, 5);

  milter_manager_statistics_child (statistics, "idle");
  milter_manager_statistics_session_end (statistics, "accept");
  milter_manager_statistics_session_end (statistics, "pass");
  milter_manager_statistics_session_end (statistics, "pass");
  milter_manager_statistics_child_end (statistics, "a.b", "pass");
  milter_manager_statistics_child_end (statistics, "a.b", "reject");
  milter_manager_statistics_child_failure (statistics, "a.b", TRUE);
  milter_manager_statistics_child_failure (statistics, "a.b", FALSE);
  milter_manager_statistics_child_failure (statistics, "a.b", FALSE);
  milter_manager_statistics_child_latency (statistics, "a.b", MILTER_SERVER_STATE_CONNECT, 150);
  milter_manager_statistics_child_latency (statistics, "a.b", MILTER_SERVER_STATE_CONNECT, 1500);
  milter_manager_statistics_child_latency (statistics, "a.b", MILTER_SERVER_STATE_COUNT, 1);
  g_assert_cmpuint (milter_manager_statistics_get_n_sessions (statistics,
                                                              MILTER_MANAGER_RESULT_PASS), ==, 2);
  milter_manager_statistics_format (statistics, out);
  g_assert_cmpstr (out->str, ==,
                   "sessions.results.pass: 2\n"
                   "sessions.results.accept: 1\n"
                   "sessions.results.reject: 0\n"
                   "sessions.results.temporary-failure: 0\n"
                   "sessions.results.discard: 0\n"
                   "sessions.results.abort: 0\n"
                   "sessions.results.other: 0\n"
                   "milters: 2\n"
                   "milter.idle.sessions: 0\n"
                   "milter.idle.results.pass: 0\n"
                   "milter.idle.results.accept: 0\n"
                   "milter.idle.results.reject: 0\n"
                   "milter.idle.results.temporary-failure: 0\n"
                   "milter.idle.results.discard: 0\n"
                   "milter.idle.results.abort: 0\n"
                   "milter.idle.results.other: 0\n"
                   "milter.idle.errors: 0\n"
                   "milter.idle.timeouts: 0\n"
                   "milter.a%2Eb.sessions: 2\n"
                   "milter.a%2Eb.results.pass: 1\n"
                   "milter.a%2Eb.results.accept: 0\n"
                   "milter.a%2Eb.results.reject: 1\n"
                   "milter.a%2Eb.results.temporary-failure: 0\n"
                   "milter.a%2Eb.results.discard: 0\n"
                   "milter.a%2Eb.results.abort: 0\n"
                   "milter.a%2Eb.results.other: 0\n"
                   "milter.a%2Eb.errors: 2\n"
                   "milter.a%2Eb.timeouts: 1\n"
                   "milter.a%2Eb.latency.connect.count: 2\n"
                   "milter.a%2Eb.latency.connect.p50: 0.000200\n"
                   "milter.a%2Eb.latency.connect.p90: 0.001500\n"
                   "milter.a%2Eb.latency.connect.p99: 0.001500\n");
}

static void
test_current (void)
{
  MilterManagerStatistics *statistics = milter_manager_statistics_new ();
  g_assert_null (milter_manager_statistics_get_current ());
  milter_manager_statistics_set_current (statistics);
  g_assert_true (milter_manager_statistics_get_current () == statistics);
  milter_manager_statistics_free (statistics);
  /* Freeing the current one unsets it: the engine never feeds freed memory. */
  g_assert_null (milter_manager_statistics_get_current ());
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/statistics/bucket", test_bucket);
  g_test_add_func ("/manager/statistics/percentile", test_percentile);
  g_test_add_func ("/manager/statistics/result-names", test_result_names);
  g_test_add_func ("/manager/statistics/key", test_key);
  g_test_add_func ("/manager/statistics/collector", test_collector);
  g_test_add_func ("/manager/statistics/current", test_current);
  return g_test_run ();
}

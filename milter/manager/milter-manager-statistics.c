/*
 * milter-manager-statistics - counts and latencies of sessions and of
 * each child milter. See milter-manager-statistics.h.
 */
#include "config.h"

#include <milter/manager/milter-manager-statistics.h>

/* Bucket upper bounds, microseconds: 1-2-5 from 100 us to 100 s. */
static const gint64 bounds[MILTER_MANAGER_HISTOGRAM_N_BUCKETS - 1] = {
  100, 200, 500,
  1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000,
  1000000, 2000000, 5000000, 10000000, 20000000, 50000000, 100000000,
};

guint
milter_manager_histogram_bucket (gint64 usec)
{
  for (guint i = 0; i < G_N_ELEMENTS (bounds); i++) {
    if (usec <= bounds[i])
      return i;
  }
  return MILTER_MANAGER_HISTOGRAM_N_BUCKETS - 1;
}

gint64
milter_manager_histogram_bucket_bound (guint bucket)
{
  return bucket < G_N_ELEMENTS (bounds) ? bounds[bucket] : G_MAXINT64;
}

void
milter_manager_histogram_add (MilterManagerHistogram *histogram, gint64 usec)
{
  if (usec < 0)
    usec = 0;
  histogram->counts[milter_manager_histogram_bucket (usec)]++;
  histogram->total++;
  if (usec > histogram->max)
    histogram->max = usec;
}

gint64
milter_manager_histogram_percentile (const MilterManagerHistogram *histogram,
                                     gdouble fraction)
{
  guint64 seen = 0;

  if (histogram->total == 0)
    return -1;
  /* The rank of the value wanted, at least the first. */
  gdouble rank = fraction * (gdouble) histogram->total;
  for (guint i = 0; i < MILTER_MANAGER_HISTOGRAM_N_BUCKETS; i++) {
    seen += histogram->counts[i];
    if (seen > 0 && (gdouble) seen >= rank)
      return MIN (milter_manager_histogram_bucket_bound (i), histogram->max);
  }
  return histogram->max;
}

static const gchar *const result_names[MILTER_MANAGER_N_RESULTS] = {
  "pass", "accept", "reject", "temporary-failure", "discard", "abort", "other",
};

MilterManagerResult
milter_manager_result_from_string (const gchar *name)
{
  for (guint i = 0; i < MILTER_MANAGER_RESULT_OTHER; i++) {
    if (g_strcmp0 (name, result_names[i]) == 0)
      return (MilterManagerResult) i;
  }
  return MILTER_MANAGER_RESULT_OTHER;
}

const gchar *
milter_manager_result_to_string (MilterManagerResult result)
{
  return (guint) result < MILTER_MANAGER_N_RESULTS ? result_names[result] : NULL;
}

struct _MilterManagerStatistics {
  guint64 sessions[MILTER_MANAGER_N_RESULTS];
  GHashTable *by_name;   /* name -> MilterManagerChildStatistics (in children) */
  GPtrArray *children;   /* first-seen order, owns them */
};

static MilterManagerStatistics *current;

static void
child_free (gpointer data)
{
  MilterManagerChildStatistics *child = data;
  g_free (child->name);
  g_free (child);
}

MilterManagerStatistics *
milter_manager_statistics_new (void)
{
  MilterManagerStatistics *statistics = g_new0 (MilterManagerStatistics, 1);
  statistics->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  statistics->children = g_ptr_array_new_with_free_func (child_free);
  return statistics;
}

void
milter_manager_statistics_free (MilterManagerStatistics *statistics)
{
  if (!statistics)
    return;
  if (current == statistics)
    current = NULL;
  g_hash_table_unref (statistics->by_name);
  g_ptr_array_unref (statistics->children);
  g_free (statistics);
}

void
milter_manager_statistics_set_current (MilterManagerStatistics *statistics)
{
  current = statistics;
}

MilterManagerStatistics *
milter_manager_statistics_get_current (void)
{
  return current;
}

MilterManagerChildStatistics *
milter_manager_statistics_child (MilterManagerStatistics *statistics, const gchar *name)
{
  MilterManagerChildStatistics *child = g_hash_table_lookup (statistics->by_name, name);
  if (child)
    return child;
  child = g_new0 (MilterManagerChildStatistics, 1);
  child->name = g_strdup (name);
  g_ptr_array_add (statistics->children, child);
  g_hash_table_insert (statistics->by_name, child->name, child);
  return child;
}

guint64
milter_manager_statistics_get_n_sessions (MilterManagerStatistics *statistics,
                                          MilterManagerResult result)
{
  return statistics->sessions[result];
}

void
milter_manager_statistics_session_end (MilterManagerStatistics *statistics,
                                       const gchar *result)
{
  if (statistics)
    statistics->sessions[milter_manager_result_from_string (result)]++;
}

void
milter_manager_statistics_child_end (MilterManagerStatistics *statistics,
                                     const gchar *name, const gchar *result)
{
  if (!statistics)
    return;
  MilterManagerChildStatistics *child = milter_manager_statistics_child (statistics, name);
  child->sessions++;
  child->results[milter_manager_result_from_string (result)]++;
}

void
milter_manager_statistics_child_failure (MilterManagerStatistics *statistics,
                                         const gchar *name, gboolean timeout)
{
  if (!statistics)
    return;
  MilterManagerChildStatistics *child = milter_manager_statistics_child (statistics, name);
  if (timeout)
    child->timeouts++;
  else
    child->errors++;
}

void
milter_manager_statistics_child_latency (MilterManagerStatistics *statistics,
                                         const gchar *name, MilterServerState stage,
                                         gint64 usec)
{
  if (!statistics || (guint) stage >= MILTER_SERVER_STATE_COUNT)
    return;
  MilterManagerChildStatistics *child = milter_manager_statistics_child (statistics, name);
  milter_manager_histogram_add (&child->latency[stage], usec);
}

void
milter_manager_statistics_append_key (GString *out, const gchar *name)
{
  for (const guchar *p = (const guchar *) name; *p; p++) {
    if (g_ascii_isalnum (*p) || *p == '_' || *p == '-')
      g_string_append_c (out, (gchar) *p);
    else
      g_string_append_printf (out, "%%%02X", *p);
  }
}

static const struct {
  const gchar *name;
  gdouble fraction;
} percentiles[] = { { "p50", 0.5 }, { "p90", 0.9 }, { "p99", 0.99 }, };

static void
format_child (const MilterManagerChildStatistics *child, GString *out)
{
  g_autoptr (GString) key = g_string_new ("milter.");
  milter_manager_statistics_append_key (key, child->name);

  g_string_append_printf (out, "%s.sessions: %" G_GUINT64_FORMAT "\n", key->str, child->sessions);
  for (guint i = 0; i < MILTER_MANAGER_N_RESULTS; i++)
    g_string_append_printf (out, "%s.results.%s: %" G_GUINT64_FORMAT "\n", key->str,
                            result_names[i], child->results[i]);
  g_string_append_printf (out, "%s.errors: %" G_GUINT64_FORMAT "\n", key->str, child->errors);
  g_string_append_printf (out, "%s.timeouts: %" G_GUINT64_FORMAT "\n", key->str, child->timeouts);
  for (guint stage = 0; stage < MILTER_SERVER_STATE_COUNT; stage++) {
    const MilterManagerHistogram *histogram = &child->latency[stage];
    const gchar *name = milter_server_state_to_string ((MilterServerState) stage);
    if (histogram->total == 0)
      continue;
    g_string_append_printf (out, "%s.latency.%s.count: %" G_GUINT64_FORMAT "\n", key->str,
                            name, histogram->total);
    for (guint i = 0; i < G_N_ELEMENTS (percentiles); i++)
      g_string_append_printf (out, "%s.latency.%s.%s: %.6f\n", key->str, name,
                              percentiles[i].name,
                              (gdouble) milter_manager_histogram_percentile
                              (histogram, percentiles[i].fraction) / G_USEC_PER_SEC);
  }
}

void
milter_manager_statistics_format (MilterManagerStatistics *statistics, GString *out)
{
  for (guint i = 0; i < MILTER_MANAGER_N_RESULTS; i++)
    g_string_append_printf (out, "sessions.results.%s: %" G_GUINT64_FORMAT "\n",
                            result_names[i], statistics->sessions[i]);
  g_string_append_printf (out, "milters: %u\n", statistics->children->len);
  for (guint i = 0; i < statistics->children->len; i++)
    format_child (statistics->children->pdata[i], out);
}

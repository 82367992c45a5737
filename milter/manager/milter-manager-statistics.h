/*
 * milter-manager-statistics - counts and latencies of sessions and of
 * each child milter, for the controller's get-status
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-statistics.h>
 *
 *   MilterManagerStatistics *statistics = milter_manager_statistics_new ();
 *   milter_manager_statistics_set_current (statistics);   (the daemon)
 *   ... the engine feeds milter_manager_statistics_get_current ():
 *   milter_manager_statistics_session_end (statistics, "accept");
 *   milter_manager_statistics_child_end (statistics, "clamav", "pass");
 *   milter_manager_statistics_child_failure (statistics, "clamav", TRUE);
 *   milter_manager_statistics_child_latency (statistics, "clamav",
 *                                            MILTER_SERVER_STATE_CONNECT, usec);
 *   milter_manager_statistics_format (statistics, out);
 *
 *   milter_manager_histogram_add (&histogram, usec);
 *   gint64 p90 = milter_manager_histogram_percentile (&histogram, 0.9);
 *
 * DESCRIPTION
 *   Plain counters, fed where the engine logs its statistics rows
 *   ([session][end], [milter][end]) and where a child's reply or failure
 *   arrives. Every feeding function accepts a NULL collector and does
 *   nothing then: only the daemon installs one (set_current), so the
 *   engine in tests and tools pays nothing. A child's counters are
 *   allocated when its name is first seen; later updates allocate
 *   nothing (a hash lookup on the name).
 *
 *   Latency is kept per child and per stage (the server state of the
 *   command the reply answers) in a fixed histogram: 1-2-5 bucket bounds
 *   from 100 microseconds to 100 seconds plus one open bucket. A
 *   percentile is the upper bound of the bucket where the cumulative
 *   count reaches it, but never more than the largest value seen: so it
 *   is an upper estimate within one bucket's width.
 *
 *   Results (of a session, of a child): pass, accept, reject,
 *   temporary-failure, discard, abort, other (anything else).
 *
 *   The text format (format()) is documented in doc/controller.md.
 */
#pragma once

#include <glib.h>

#include <milter/server/milter-server-reply-rules.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_HISTOGRAM_N_BUCKETS 20
typedef struct {
  guint64 counts[MILTER_MANAGER_HISTOGRAM_N_BUCKETS];
  guint64 total;
  gint64 max;
} MilterManagerHistogram;

/* The bucket of a value in microseconds (negative counts as 0). */
guint milter_manager_histogram_bucket (gint64 usec);
/* Upper bound of a bucket in microseconds; G_MAXINT64 for the last. */
gint64 milter_manager_histogram_bucket_bound (guint bucket);
void milter_manager_histogram_add (MilterManagerHistogram *histogram, gint64 usec);
/* fraction in (0, 1]; -1 for an empty histogram. */
gint64 milter_manager_histogram_percentile (const MilterManagerHistogram *histogram,
                                            gdouble fraction);

typedef enum {
  MILTER_MANAGER_RESULT_PASS,
  MILTER_MANAGER_RESULT_ACCEPT,
  MILTER_MANAGER_RESULT_REJECT,
  MILTER_MANAGER_RESULT_TEMPORARY_FAILURE,
  MILTER_MANAGER_RESULT_DISCARD,
  MILTER_MANAGER_RESULT_ABORT,
  MILTER_MANAGER_RESULT_OTHER
} MilterManagerResult;
#define MILTER_MANAGER_N_RESULTS (MILTER_MANAGER_RESULT_OTHER + 1)

/* The name of a statistics row's STATUS ("pass", "reject", ...). */
MilterManagerResult milter_manager_result_from_string (const gchar *name);
const gchar *milter_manager_result_to_string (MilterManagerResult result);

typedef struct {
  gchar *name;
  guint64 sessions;
  guint64 results[MILTER_MANAGER_N_RESULTS];
  guint64 errors;
  guint64 timeouts;
  MilterManagerHistogram latency[MILTER_SERVER_STATE_COUNT];
} MilterManagerChildStatistics;

typedef struct _MilterManagerStatistics MilterManagerStatistics;

MilterManagerStatistics *milter_manager_statistics_new (void);
void milter_manager_statistics_free (MilterManagerStatistics *statistics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerStatistics, milter_manager_statistics_free)

/* The collector the engine feeds (NULL: none). */
void milter_manager_statistics_set_current (MilterManagerStatistics *statistics);
MilterManagerStatistics *milter_manager_statistics_get_current (void);

/* The counters of name, created when missing (listed by format() even
 * when nothing happened yet). */
MilterManagerChildStatistics *
milter_manager_statistics_child (MilterManagerStatistics *statistics, const gchar *name);
guint64 milter_manager_statistics_get_n_sessions (MilterManagerStatistics *statistics,
                                                  MilterManagerResult result);

void milter_manager_statistics_session_end (MilterManagerStatistics *statistics,
                                            const gchar *result);
void milter_manager_statistics_child_end (MilterManagerStatistics *statistics,
                                          const gchar *name, const gchar *result);
void milter_manager_statistics_child_failure (MilterManagerStatistics *statistics,
                                              const gchar *name, gboolean timeout);
void milter_manager_statistics_child_latency (MilterManagerStatistics *statistics,
                                              const gchar *name, MilterServerState stage,
                                              gint64 usec);

/* A milter name as a key part: [A-Za-z0-9_-] kept, every other byte %XX. */
void milter_manager_statistics_append_key (GString *out, const gchar *name);
/* Appends the "sessions.results.*" and "milter.*" lines. */
void milter_manager_statistics_format (MilterManagerStatistics *statistics, GString *out);

G_END_DECLS

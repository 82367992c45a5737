/*
 * milter-test-log - capture log lines in tests and assert on them
 *
 * SYNOPSIS
 *   g_autoptr (MilterTestLogCapture) capture =
 *     milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
 *   ... code under test ...
 *   milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 29,
 *                              "[agent][error][decode]");
 *   milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ERROR,
 *                                  "[agent]");
 *   milter_test_log_capture_find (capture, level, session_id, "[agent]");
 *   milter_test_log_capture_clear (capture);
 *   milter_test_log_capture_stop (capture);
 *
 * DESCRIPTION
 *   Starting a capture enables the given levels, silences standard error
 *   and records every line through a logger handler; stopping it restores
 *   the previous levels and standard error setting. A capture records only
 *   lines of the levels it was started with. Captures nest (stop
 *   them in reverse order). Recording is thread safe, so code under test
 *   may log from any thread while the test inspects the capture.
 *
 *   level arguments are masks: a line matches when its level is in the
 *   mask. session_id matches exactly (0: lines without a session), or
 *   MILTER_TEST_LOG_ANY_SESSION matches any. tags_prefix is compared with
 *   the start of the line right after its "[SESSION] " part; NULL matches
 *   any line.
 *
 * DIAGNOSTICS
 *   When nothing matches, milter_test_assert_logged lists the captured
 *   lines with g_test_message, marks the test failed with
 *   g_test_fail_printf naming the expectation, and returns FALSE (the test
 *   goes on, as with g_test_fail).
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-logger.h>

G_BEGIN_DECLS

#define MILTER_TEST_LOG_ANY_SESSION G_MAXUINT64

typedef struct _MilterTestLogCapture MilterTestLogCapture;

MilterTestLogCapture *milter_test_log_capture_start (MilterLogLevelFlags levels);
void milter_test_log_capture_stop (MilterTestLogCapture *capture);
guint milter_test_log_capture_count (MilterTestLogCapture *capture,
                                     MilterLogLevelFlags level,
                                     const gchar *tags_prefix);
/* The line as given to handlers ("[SESSION] " part included); valid until
 * the capture is cleared or stopped. */
const gchar *milter_test_log_capture_find (MilterTestLogCapture *capture,
                                           MilterLogLevelFlags level,
                                           guint64 session_id,
                                           const gchar *tags_prefix);
/* Forgets the lines captured so far. */
void milter_test_log_capture_clear (MilterTestLogCapture *capture);
/* Every captured line as "level: line", joined by newlines, for messages. */
gchar *milter_test_log_capture_dump (MilterTestLogCapture *capture);

gboolean milter_test_log_capture_check_logged (MilterTestLogCapture *capture,
                                               MilterLogLevelFlags level,
                                               guint64 session_id,
                                               const gchar *tags_prefix,
                                               const gchar *file,
                                               gint line,
                                               const gchar *func);

#define milter_test_assert_logged(capture, level, session_id, tags_prefix) \
  milter_test_log_capture_check_logged ((capture), (level), (session_id), \
                                        (tags_prefix), __FILE__, __LINE__,  \
                                        G_STRFUNC)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterTestLogCapture,
                               milter_test_log_capture_stop)

G_END_DECLS

/*
 * milter-test-log - capture log lines in tests and assert on them
 *
 * SYNOPSIS
 *   See milter-test-log.h.
 *
 * DESCRIPTION
 *   A capture is a logger handler plus the records it collected, guarded
 *   by the capture's own mutex because the code under test may log from
 *   other threads. Records are only appended while the capture lives, so
 *   a line returned by find stays valid until clear or stop.
 *
 * DIAGNOSTICS
 *   None; assertion failures go through g_test_fail_printf.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-logger.h>

#include <test/lib/milter-test-log.h>

typedef struct {
  MilterLogLevelFlags level;
  guint64 session_id;
  gchar *line;
  /* Where the tags start: after the "[SESSION] " part. */
  gsize tags_offset;
} Record;

struct _MilterTestLogCapture {
  GMutex mutex;
  GPtrArray *records;
  guint handler_id;
  /* Lines of other levels are not recorded: an outer capture keeps only
   * what it asked for while an inner one enables more. */
  MilterLogLevelFlags levels;
  MilterLogLevelFlags saved_levels;
  gboolean saved_stderr;
};

static void
record_free (gpointer data)
{
  Record *record = data;

  g_free (record->line);
  g_free (record);
}

static void
capture_handler (MilterLogLevelFlags level,
                 guint64 session_id,
                 const gchar *line,
                 gpointer user_data)
{
  MilterTestLogCapture *capture = user_data;
  Record *record;

  if (!(level & capture->levels))
    return;
  record = g_new0 (Record, 1);

  record->level = level;
  record->session_id = session_id;
  record->line = g_strdup (line);
  if (session_id != 0) {
    const gchar *end = strstr (line, "] ");

    record->tags_offset = end ? (gsize) (end - line) + 2 : 0;
  }
  g_mutex_lock (&capture->mutex);
  g_ptr_array_add (capture->records, record);
  g_mutex_unlock (&capture->mutex);
}

MilterTestLogCapture *
milter_test_log_capture_start (MilterLogLevelFlags levels)
{
  MilterTestLogCapture *capture = g_new0 (MilterTestLogCapture, 1);

  g_mutex_init (&capture->mutex);
  capture->records = g_ptr_array_new_with_free_func (record_free);
  capture->levels = levels;
  capture->saved_levels = milter_logger_get_levels ();
  capture->saved_stderr = milter_logger_get_stderr ();
  milter_logger_set_stderr (FALSE);
  milter_logger_set_levels (levels);
  capture->handler_id = milter_logger_add_handler (capture_handler, capture,
                                                   NULL);
  return capture;
}

void
milter_test_log_capture_stop (MilterTestLogCapture *capture)
{
  if (!capture)
    return;
  /* After this returns the handler is no longer running anywhere. */
  milter_logger_remove_handler (capture->handler_id);
  milter_logger_set_levels (capture->saved_levels);
  milter_logger_set_stderr (capture->saved_stderr);
  g_ptr_array_unref (capture->records);
  g_mutex_clear (&capture->mutex);
  g_free (capture);
}

static gboolean
record_matches (const Record *record,
                MilterLogLevelFlags level,
                guint64 session_id,
                const gchar *tags_prefix)
{
  if (!(record->level & level))
    return FALSE;
  if (session_id != MILTER_TEST_LOG_ANY_SESSION &&
      record->session_id != session_id)
    return FALSE;
  if (tags_prefix &&
      !g_str_has_prefix (record->line + record->tags_offset, tags_prefix))
    return FALSE;
  return TRUE;
}

guint
milter_test_log_capture_count (MilterTestLogCapture *capture,
                               MilterLogLevelFlags level,
                               const gchar *tags_prefix)
{
  guint count = 0;

  g_mutex_lock (&capture->mutex);
  for (guint i = 0; i < capture->records->len; i++) {
    if (record_matches (g_ptr_array_index (capture->records, i), level,
                        MILTER_TEST_LOG_ANY_SESSION, tags_prefix))
      count++;
  }
  g_mutex_unlock (&capture->mutex);
  return count;
}

const gchar *
milter_test_log_capture_find (MilterTestLogCapture *capture,
                              MilterLogLevelFlags level,
                              guint64 session_id,
                              const gchar *tags_prefix)
{
  const gchar *found = NULL;

  g_mutex_lock (&capture->mutex);
  for (guint i = 0; i < capture->records->len; i++) {
    Record *record = g_ptr_array_index (capture->records, i);

    if (record_matches (record, level, session_id, tags_prefix)) {
      found = record->line;
      break;
    }
  }
  g_mutex_unlock (&capture->mutex);
  return found;
}

void
milter_test_log_capture_clear (MilterTestLogCapture *capture)
{
  g_mutex_lock (&capture->mutex);
  g_ptr_array_set_size (capture->records, 0);
  g_mutex_unlock (&capture->mutex);
}

gchar *
milter_test_log_capture_dump (MilterTestLogCapture *capture)
{
  GString *text = g_string_new (NULL);

  g_mutex_lock (&capture->mutex);
  for (guint i = 0; i < capture->records->len; i++) {
    Record *record = g_ptr_array_index (capture->records, i);
    const gchar *name = milter_log_level_name (record->level);

    if (text->len > 0)
      g_string_append_c (text, '\n');
    g_string_append_printf (text, "%s: %s", name ? name : "unknown",
                            record->line);
  }
  if (capture->records->len == 0)
    g_string_append (text, "(no lines captured)");
  g_mutex_unlock (&capture->mutex);
  return g_string_free (text, FALSE);
}

gboolean
milter_test_log_capture_check_logged (MilterTestLogCapture *capture,
                                      MilterLogLevelFlags level,
                                      guint64 session_id,
                                      const gchar *tags_prefix,
                                      const gchar *file,
                                      gint line,
                                      const gchar *func)
{
  g_autofree gchar *levels = NULL;
  g_autofree gchar *session = NULL;
  g_autofree gchar *dump = NULL;

  if (milter_test_log_capture_find (capture, level, session_id, tags_prefix))
    return TRUE;

  levels = milter_log_level_to_string (level);
  if (session_id == MILTER_TEST_LOG_ANY_SESSION)
    session = g_strdup ("any");
  else
    session = g_strdup_printf ("%" G_GUINT64_FORMAT, session_id);
  dump = milter_test_log_capture_dump (capture);
  /* The listing goes in a message (each line becomes a TAP comment); the
   * failure reason itself must stay on the one "not ok" line. */
  g_test_message ("captured log lines:\n%s", dump);
  g_test_fail_printf ("%s:%d: %s: no %s line for session %s starting with "
                      "\"%s\" (captured lines listed above)",
                      file, line, func, levels, session,
                      tags_prefix ? tags_prefix : "");
  return FALSE;
}

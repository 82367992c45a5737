/*
 * test-logger - tests for milter-logger and the log capture helper
 *
 * DESCRIPTION
 *   Level parsing and printing are table driven. Output tests write to
 *   files in a temporary directory, to handlers, or (in a subprocess) to
 *   standard error. The tags used here are made up ("[test][example]"):
 *   none of the catalogued lines is emitted by the logger itself.
 */
#include "config.h"

#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-logger.h>

#include <test/lib/milter-test-log.h>

#define LINE_PREFIX_PATTERN \
  "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z "

/* ---- level parsing ---- */

typedef struct {
  const gchar *text;
  MilterLogLevelFlags expected;
} ParseCase;

static const ParseCase parse_cases[] = {
  {"default", MILTER_LOG_LEVEL_DEFAULT},
  {"none", MILTER_LOG_LEVEL_NONE},
  {"all", MILTER_LOG_LEVEL_ALL},
  {"critical", MILTER_LOG_LEVEL_CRITICAL},
  {"error", MILTER_LOG_LEVEL_ERROR},
  {"warning", MILTER_LOG_LEVEL_WARNING},
  {"info", MILTER_LOG_LEVEL_INFO},
  {"debug", MILTER_LOG_LEVEL_DEBUG},
  {"statistics", MILTER_LOG_LEVEL_STATISTICS},
  {"profile", MILTER_LOG_LEVEL_PROFILE},
  {"ERROR", MILTER_LOG_LEVEL_ERROR},
  {"Statistics", MILTER_LOG_LEVEL_STATISTICS},
  {"error|statistics", MILTER_LOG_LEVEL_ERROR | MILTER_LOG_LEVEL_STATISTICS},
  {" error | info ", MILTER_LOG_LEVEL_ERROR | MILTER_LOG_LEVEL_INFO},
  {"default|debug", MILTER_LOG_LEVEL_DEFAULT | MILTER_LOG_LEVEL_DEBUG},
  {"none|profile", MILTER_LOG_LEVEL_PROFILE},
  {"error|error", MILTER_LOG_LEVEL_ERROR},
  {"critical|error|warning|info|debug|statistics|profile",
   MILTER_LOG_LEVEL_ALL},
  {"ALL|none", MILTER_LOG_LEVEL_ALL},
};

static void
test_level_parse_valid (gconstpointer data)
{
  const ParseCase *test_case = data;
  MilterLogLevelFlags levels = 0xFFFF;
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_log_level_parse (test_case->text, &levels, &error));
  g_assert_no_error (error);
  g_assert_cmphex (levels, ==, test_case->expected);
}

typedef struct {
  const gchar *text;
  const gchar *bad_word;
} InvalidParseCase;

static const InvalidParseCase invalid_parse_cases[] = {
  {"", "\"\""},
  {"   ", "\"\""},
  {"errors", "\"errors\""},
  {"error|bogus", "\"bogus\""},
  {"error|", "\"\""},
  {"|error", "\"\""},
  {"error,warning", "\"error,warning\""},
  {"+error", "\"+error\""},
  {"-debug", "\"-debug\""},
  {"err or", "\"err or\""},
  {"info||debug", "\"\""},
};

static void
test_level_parse_invalid (gconstpointer data)
{
  const InvalidParseCase *test_case = data;
  MilterLogLevelFlags levels = MILTER_LOG_LEVEL_WARNING;
  g_autoptr (GError) error = NULL;

  g_assert_false (milter_log_level_parse (test_case->text, &levels, &error));
  g_assert_error (error, MILTER_LOGGER_ERROR,
                  MILTER_LOGGER_ERROR_INVALID_LEVEL);
  g_assert_nonnull (strstr (error->message, test_case->bad_word));
  /* Output untouched on failure. */
  g_assert_cmphex (levels, ==, MILTER_LOG_LEVEL_WARNING);
}

static void
test_level_parse_null (void)
{
  g_autoptr (GError) error = NULL;
  MilterLogLevelFlags levels;

  g_assert_false (milter_log_level_parse (NULL, &levels, &error));
  g_assert_error (error, MILTER_LOGGER_ERROR,
                  MILTER_LOGGER_ERROR_INVALID_LEVEL);
}

typedef struct {
  MilterLogLevelFlags levels;
  const gchar *expected;
} ToStringCase;

static const ToStringCase to_string_cases[] = {
  {MILTER_LOG_LEVEL_NONE, "none"},
  {MILTER_LOG_LEVEL_ERROR, "error"},
  {MILTER_LOG_LEVEL_DEFAULT, "critical|error|warning"},
  {MILTER_LOG_LEVEL_STATISTICS | MILTER_LOG_LEVEL_ERROR, "error|statistics"},
  {MILTER_LOG_LEVEL_ALL,
   "critical|error|warning|info|debug|statistics|profile"},
  {MILTER_LOG_LEVEL_PROFILE | MILTER_LOG_LEVEL_INFO, "info|profile"},
};

static void
test_level_to_string (gconstpointer data)
{
  const ToStringCase *test_case = data;
  g_autofree gchar *text = milter_log_level_to_string (test_case->levels);

  g_assert_cmpstr (text, ==, test_case->expected);
}

static void
test_level_round_trip (void)
{
  for (guint levels = 0; levels <= (guint) MILTER_LOG_LEVEL_ALL; levels++) {
    g_autofree gchar *text = milter_log_level_to_string (levels);
    g_autoptr (GError) error = NULL;
    MilterLogLevelFlags parsed = 0xFFFF;

    g_assert_true (milter_log_level_parse (text, &parsed, &error));
    g_assert_no_error (error);
    g_assert_cmphex (parsed, ==, levels);
  }
}

static void
test_level_name (void)
{
  g_assert_cmpstr (milter_log_level_name (MILTER_LOG_LEVEL_CRITICAL), ==,
                   "critical");
  g_assert_cmpstr (milter_log_level_name (MILTER_LOG_LEVEL_STATISTICS), ==,
                   "statistics");
  g_assert_cmpstr (milter_log_level_name (MILTER_LOG_LEVEL_PROFILE), ==,
                   "profile");
  g_assert_null (milter_log_level_name (MILTER_LOG_LEVEL_NONE));
  g_assert_null (milter_log_level_name (MILTER_LOG_LEVEL_DEFAULT));
}

/* ---- syslog rules ---- */

typedef struct {
  const gchar *name;
  gboolean valid;
  gint facility;
} FacilityCase;

static const FacilityCase facility_cases[] = {
  {NULL, TRUE, LOG_MAIL},
  {"mail", TRUE, LOG_MAIL},
  {"MAIL", TRUE, LOG_MAIL},
  {"daemon", TRUE, LOG_DAEMON},
  {"user", TRUE, LOG_USER},
  {"local0", TRUE, LOG_LOCAL0},
  {"local3", TRUE, LOG_LOCAL3},
  {"local7", TRUE, LOG_LOCAL7},
  {"local8", FALSE, 0},
  {"kern", TRUE, LOG_KERN},
  {"authpriv", TRUE, LOG_AUTHPRIV},
  {"cron", TRUE, LOG_CRON},
  {"lpr", TRUE, LOG_LPR},
  {"news", TRUE, LOG_NEWS},
  {"uucp", TRUE, LOG_UUCP},
  {"auth", FALSE, 0},
  {"", FALSE, 0},
  {"mail ", FALSE, 0},
};

static void
test_syslog_facility_parse (gconstpointer data)
{
  const FacilityCase *test_case = data;
  g_autoptr (GError) error = NULL;
  gint facility = -1;
  gboolean ok;

  ok = milter_log_syslog_facility_parse (test_case->name, &facility, &error);
  if (test_case->valid) {
    g_assert_true (ok);
    g_assert_no_error (error);
    g_assert_cmpint (facility, ==, test_case->facility);
  } else {
    g_assert_false (ok);
    g_assert_error (error, MILTER_LOGGER_ERROR,
                    MILTER_LOGGER_ERROR_INVALID_FACILITY);
    g_assert_nonnull (strstr (error->message, test_case->name));
    g_assert_cmpint (facility, ==, -1);
  }
}

static void
test_syslog_priority (void)
{
  static const struct {
    MilterLogLevelFlags level;
    gint priority;
  } cases[] = {
    {MILTER_LOG_LEVEL_CRITICAL, LOG_CRIT},
    {MILTER_LOG_LEVEL_ERROR, LOG_ERR},
    {MILTER_LOG_LEVEL_WARNING, LOG_WARNING},
    {MILTER_LOG_LEVEL_INFO, LOG_INFO},
    {MILTER_LOG_LEVEL_DEBUG, LOG_DEBUG},
    {MILTER_LOG_LEVEL_STATISTICS, LOG_INFO},
    {MILTER_LOG_LEVEL_PROFILE, LOG_INFO},
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_log_level_syslog_priority (cases[i].level), ==,
                     cases[i].priority);
}

static void
test_set_syslog (void)
{
  g_autoptr (GError) error = NULL;

  milter_logger_reset ();
  g_assert_false (milter_logger_set_syslog ("test-logger", "bogus", &error));
  g_assert_error (error, MILTER_LOGGER_ERROR,
                  MILTER_LOGGER_ERROR_INVALID_FACILITY);
  g_clear_error (&error);
  /* Opening and closing must not disturb the other outputs; nothing is
   * logged while it is open so the test leaves no trace in the system log. */
  g_assert_true (milter_logger_set_syslog ("test-logger", "local7", &error));
  g_assert_no_error (error);
  g_assert_true (milter_logger_set_syslog (NULL, NULL, &error));
  g_assert_no_error (error);
  milter_logger_unset_syslog ();
  milter_logger_unset_syslog ();
  milter_logger_reset ();
}

/* ---- formatting and level checks ---- */

typedef struct {
  guint calls;
  MilterLogLevelFlags level;
  guint64 session_id;
  gchar *line;
} Collected;

static void
collect_handler (MilterLogLevelFlags level,
                 guint64 session_id,
                 const gchar *line,
                 gpointer user_data)
{
  Collected *collected = user_data;

  collected->calls++;
  collected->level = level;
  collected->session_id = session_id;
  g_free (collected->line);
  collected->line = g_strdup (line);
}

static void
collected_clear (Collected *collected)
{
  g_clear_pointer (&collected->line, g_free);
}

static void
test_format (void)
{
  Collected collected = {0};

  milter_logger_reset ();
  milter_logger_set_stderr (FALSE);
  milter_logger_set_levels (MILTER_LOG_LEVEL_ALL);
  milter_logger_add_handler (collect_handler, &collected, NULL);

  milter_error (42, "[test][example] value=%d %s", 7, "seven");
  g_assert_cmpuint (collected.calls, ==, 1);
  g_assert_cmphex (collected.level, ==, MILTER_LOG_LEVEL_ERROR);
  g_assert_cmpuint (collected.session_id, ==, 42);
  g_assert_cmpstr (collected.line, ==, "[42] [test][example] value=7 seven");

  milter_statistics (0, "[test][example] %u(+%u) %u", 10u, 2u, 3u);
  g_assert_cmpuint (collected.calls, ==, 2);
  g_assert_cmphex (collected.level, ==, MILTER_LOG_LEVEL_STATISTICS);
  g_assert_cmpuint (collected.session_id, ==, 0);
  g_assert_cmpstr (collected.line, ==, "[test][example] 10(+2) 3");

  milter_debug (G_MAXUINT64, "[test][example]");
  g_assert_cmpstr (collected.line, ==,
                   "[18446744073709551615] [test][example]");

  milter_logger_reset ();
  collected_clear (&collected);
}

static void
test_format_long_line (void)
{
  Collected collected = {0};
  g_autofree gchar *big = g_strnfill (100000, 'x');
  g_autofree gchar *expected = g_strconcat ("[5] [test][example] ", big, NULL);

  milter_logger_reset ();
  milter_logger_set_stderr (FALSE);
  milter_logger_add_handler (collect_handler, &collected, NULL);
  /* Past the initial buffer and past the size kept between lines. */
  for (gint i = 0; i < 2; i++) {
    milter_error (5, "[test][example] %s", big);
    g_assert_cmpstr (collected.line, ==, expected);
  }
  milter_error (5, "[test][example] short");
  g_assert_cmpstr (collected.line, ==, "[5] [test][example] short");
  milter_logger_reset ();
  collected_clear (&collected);
}

static guint side_effect_calls;

static gint
side_effect (void)
{
  side_effect_calls++;
  return 1;
}

static void
test_disabled_level_not_evaluated (void)
{
  Collected collected = {0};

  milter_logger_reset ();
  milter_logger_set_stderr (FALSE);
  milter_logger_set_levels (MILTER_LOG_LEVEL_ERROR);
  milter_logger_add_handler (collect_handler, &collected, NULL);
  side_effect_calls = 0;

  milter_debug (1, "[test][example] %d", side_effect ());
  milter_info (1, "[test][example] %d", side_effect ());
  milter_statistics (1, "[test][example] %d", side_effect ());
  g_assert_cmpuint (side_effect_calls, ==, 0);
  g_assert_cmpuint (collected.calls, ==, 0);

  /* A direct call with a disabled level writes nothing either. */
  milter_logger_log (MILTER_LOG_LEVEL_DEBUG, 1, "[test][example] direct");
  g_assert_cmpuint (collected.calls, ==, 0);

  milter_error (1, "[test][example] %d", side_effect ());
  g_assert_cmpuint (side_effect_calls, ==, 1);
  g_assert_cmpuint (collected.calls, ==, 1);

  milter_logger_set_levels (MILTER_LOG_LEVEL_NONE);
  milter_critical (1, "[test][example] %d", side_effect ());
  g_assert_cmpuint (side_effect_calls, ==, 1);
  g_assert_cmpuint (collected.calls, ==, 1);

  milter_logger_reset ();
  collected_clear (&collected);
}

static void
test_levels_set_get_reset (void)
{
  MilterLogLevelFlags start = MILTER_LOG_LEVEL_DEFAULT;
  const gchar *env = g_getenv ("MILTER_LOG_LEVEL");

  /* The start state honours MILTER_LOG_LEVEL when it is valid. */
  if (env && env[0] && !milter_log_level_parse (env, &start, NULL))
    start = MILTER_LOG_LEVEL_DEFAULT;
  milter_logger_reset ();
  g_assert_cmphex (milter_logger_get_levels (), ==, start);
  milter_logger_set_levels (MILTER_LOG_LEVEL_DEBUG | MILTER_LOG_LEVEL_INFO);
  g_assert_cmphex (milter_logger_get_levels (), ==,
                   MILTER_LOG_LEVEL_DEBUG | MILTER_LOG_LEVEL_INFO);
  g_assert_true (milter_log_is_enabled (MILTER_LOG_LEVEL_DEBUG));
  g_assert_false (milter_log_is_enabled (MILTER_LOG_LEVEL_ERROR));
  /* Unknown bits are dropped. */
  milter_logger_set_levels (0xFF00 | MILTER_LOG_LEVEL_ERROR);
  g_assert_cmphex (milter_logger_get_levels (), ==, MILTER_LOG_LEVEL_ERROR);
  milter_logger_set_stderr (FALSE);
  milter_logger_reset ();
  g_assert_cmphex (milter_logger_get_levels (), ==, start);
  g_assert_true (milter_logger_get_stderr ());
}

/* argv[0] of this program, to run it again as a child. */
static const gchar *program_path;

/* The outcome of running the current test again in a child process. */
typedef struct {
  gboolean passed;
  gchar *out;
  gchar *err;
} ChildResult;

static void
child_result_clear (ChildResult *result)
{
  g_clear_pointer (&result->out, g_free);
  g_clear_pointer (&result->err, g_free);
}

/* Like g_test_trap_subprocess, but spawned synchronously: that leaves no
 * child-watch thread behind (valgrind reports its stack as possibly lost)
 * and lets the child get MILTER_LOG_LEVEL without setenv in this process,
 * which GLib 2.74 has no per-subprocess way to do. log_level NULL leaves
 * the environment as it is. */
static void
run_child (const gchar *log_level, ChildResult *result)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  const gchar *argv[] = {program_path, "-q", "-p", g_test_get_path (),
                         "--GTestSubprocess", NULL};
  gint status = 0;

  if (log_level)
    envp = g_environ_setenv (envp, "MILTER_LOG_LEVEL", log_level, TRUE);
  else
    envp = g_environ_unsetenv (envp, "MILTER_LOG_LEVEL");
  g_assert_true (g_spawn_sync (NULL, (gchar **) argv, envp,
                               G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &result->out, &result->err, &status, &error));
  g_assert_no_error (error);
  result->passed = g_spawn_check_wait_status (status, NULL);
}

static void
test_environment (void)
{
  if (g_test_subprocess ()) {
    /* MILTER_LOG_LEVEL=debug|statistics was read at load time. */
    g_assert_cmphex (milter_logger_get_levels (), ==,
                     MILTER_LOG_LEVEL_DEBUG | MILTER_LOG_LEVEL_STATISTICS);
    milter_logger_set_levels (MILTER_LOG_LEVEL_NONE);
    milter_logger_reset ();
    g_assert_cmphex (milter_logger_get_levels (), ==,
                     MILTER_LOG_LEVEL_DEBUG | MILTER_LOG_LEVEL_STATISTICS);
    return;
  }
  {
    ChildResult child = {0};

    run_child (" Debug | statistics", &child);
    g_assert_true (child.passed);
    child_result_clear (&child);
  }
}

static void
test_environment_invalid (void)
{
  if (g_test_subprocess ()) {
    g_assert_cmphex (milter_logger_get_levels (), ==,
                     MILTER_LOG_LEVEL_DEFAULT);
    return;
  }
  {
    ChildResult child = {0};

    run_child ("loud", &child);
    g_assert_true (child.passed);
    g_assert_true (g_pattern_match_simple ("*MILTER_LOG_LEVEL*\"loud\"*",
                                           child.err));
    child_result_clear (&child);
  }
}

/* ---- outputs ---- */

static void
test_stderr_output (void)
{
  if (g_test_subprocess ()) {
    milter_logger_reset ();
    milter_logger_set_levels (MILTER_LOG_LEVEL_DEFAULT);
    milter_warning (7, "[test][example] to stderr %d", 1);
    milter_info (7, "[test][example] hidden");
    milter_logger_set_stderr (FALSE);
    milter_error (7, "[test][example] silenced");
    return;
  }
  {
    ChildResult child = {0};

    run_child (NULL, &child);
    g_assert_true (child.passed);
    /* Exactly one line: the disabled and the silenced ones are absent. */
    g_assert_true (g_regex_match_simple (
      LINE_PREFIX_PATTERN "warning: \\[7\\] \\[test\\]\\[example\\] "
      "to stderr 1\n$", child.err, G_REGEX_DOLLAR_ENDONLY, 0));
    child_result_clear (&child);
  }
}

static gchar **
read_lines (const gchar *path)
{
  g_autofree gchar *contents = NULL;
  g_autoptr (GError) error = NULL;
  gchar **lines;
  guint n;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (contents[0] == '\0' || g_str_has_suffix (contents, "\n"));
  lines = g_strsplit (contents, "\n", -1);
  /* Drop the empty string after the final newline. */
  n = g_strv_length (lines);
  if (n > 0) {
    g_free (lines[n - 1]);
    lines[n - 1] = NULL;
  }
  return lines;
}

static void
test_file_output (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("test-logger-XXXXXX", &error);
  g_autofree gchar *path = NULL;
  g_autofree gchar *rotated = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) new_lines = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "milter.log", NULL);
  rotated = g_build_filename (dir, "milter.log.1", NULL);

  milter_logger_reset ();
  g_assert_true (milter_logger_set_file (path, &error));
  g_assert_no_error (error);
  /* The file replaces standard error. */
  g_assert_false (milter_logger_get_stderr ());
  milter_logger_set_levels (MILTER_LOG_LEVEL_ALL);
  milter_error (42, "[test][example] first %s", "line");
  milter_statistics (0, "[test][example] second");

  lines = read_lines (path);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_true (g_regex_match_simple (
    LINE_PREFIX_PATTERN "error: \\[42\\] \\[test\\]\\[example\\] first line$",
    lines[0], 0, 0));
  g_assert_true (g_regex_match_simple (
    LINE_PREFIX_PATTERN "statistics: \\[test\\]\\[example\\] second$",
    lines[1], 0, 0));

  /* Rotation: rename, reopen, and the next line goes to a new file. */
  g_assert_cmpint (g_rename (path, rotated), ==, 0);
  milter_info (0, "[test][example] before reopen");
  g_assert_true (milter_logger_reopen (&error));
  g_assert_no_error (error);
  milter_info (0, "[test][example] after reopen");

  g_strfreev (lines);
  lines = read_lines (rotated);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_suffix (lines[2], "info: [test][example] before reopen"));
  new_lines = read_lines (path);
  g_assert_cmpuint (g_strv_length (new_lines), ==, 1);
  g_assert_true (g_str_has_suffix (new_lines[0],
                                   "info: [test][example] after reopen"));

  /* Setting the file again appends rather than truncating. */
  g_assert_true (milter_logger_set_file (path, &error));
  milter_info (0, "[test][example] appended");
  g_strfreev (new_lines);
  new_lines = read_lines (path);
  g_assert_cmpuint (g_strv_length (new_lines), ==, 2);

  /* NULL closes the file and returns to standard error. */
  g_assert_true (milter_logger_set_file (NULL, &error));
  g_assert_true (milter_logger_get_stderr ());

  milter_logger_reset ();
  g_assert_true (milter_logger_reopen (&error));
  g_assert_no_error (error);
  g_unlink (path);
  g_unlink (rotated);
  g_rmdir (dir);
}

static void
test_file_open_error (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("test-logger-XXXXXX", &error);
  g_autofree gchar *path = NULL;
  g_autofree gchar *missing = NULL;

  g_assert_no_error (error);
  path = g_build_filename (dir, "milter.log", NULL);
  missing = g_build_filename (dir, "no-such-dir", "milter.log", NULL);

  milter_logger_reset ();
  g_assert_false (milter_logger_set_file (missing, &error));
  g_assert_error (error, MILTER_LOGGER_ERROR, MILTER_LOGGER_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);
  /* A failed set keeps the previous outputs. */
  g_assert_true (milter_logger_get_stderr ());

  /* A failed reopen keeps writing to the old descriptor. */
  g_assert_true (milter_logger_set_file (path, &error));
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  g_assert_false (milter_logger_reopen (&error));
  g_assert_error (error, MILTER_LOGGER_ERROR, MILTER_LOGGER_ERROR_OPEN);
  milter_error (0, "[test][example] into the unlinked file");
  milter_logger_reset ();
}

/* ---- handlers ---- */

static guint destroy_calls;

static void
count_destroy (gpointer data)
{
  destroy_calls++;
}

static void
test_handlers (void)
{
  Collected first = {0};
  Collected second = {0};
  guint first_id;
  guint second_id;

  milter_logger_reset ();
  milter_logger_set_stderr (FALSE);
  destroy_calls = 0;
  first_id = milter_logger_add_handler (collect_handler, &first,
                                        count_destroy);
  second_id = milter_logger_add_handler (collect_handler, &second,
                                         count_destroy);
  g_assert_cmpuint (first_id, !=, 0);
  g_assert_cmpuint (second_id, !=, first_id);

  milter_error (3, "[test][example] both");
  g_assert_cmpuint (first.calls, ==, 1);
  g_assert_cmpuint (second.calls, ==, 1);

  milter_logger_remove_handler (first_id);
  g_assert_cmpuint (destroy_calls, ==, 1);
  milter_error (3, "[test][example] second only");
  g_assert_cmpuint (first.calls, ==, 1);
  g_assert_cmpuint (second.calls, ==, 2);
  g_assert_cmpstr (second.line, ==, "[3] [test][example] second only");

  /* Unknown or already removed ids are ignored. */
  milter_logger_remove_handler (first_id);
  milter_logger_remove_handler (9999);
  g_assert_cmpuint (destroy_calls, ==, 1);

  /* Reset drops the rest, calling their destroy notify. */
  milter_logger_reset ();
  g_assert_cmpuint (destroy_calls, ==, 2);
  milter_logger_set_stderr (FALSE);
  milter_error (3, "[test][example] none");
  g_assert_cmpuint (second.calls, ==, 2);
  milter_logger_reset ();
  collected_clear (&first);
  collected_clear (&second);
}

static void
relog_handler (MilterLogLevelFlags level,
               guint64 session_id,
               const gchar *line,
               gpointer user_data)
{
  if (level == MILTER_LOG_LEVEL_ERROR)
    milter_warning (session_id, "[test][nested] saw: %s", line);
}

static void
test_handler_logs (void)
{
  g_autoptr (MilterTestLogCapture) capture = NULL;

  milter_logger_reset ();
  milter_logger_add_handler (relog_handler, NULL, NULL);
  capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  milter_error (9, "[test][example] outer");
  /* The nested line is complete and the outer line was not clobbered. */
  g_assert_cmpstr (milter_test_log_capture_find (capture,
                                                 MILTER_LOG_LEVEL_WARNING, 9,
                                                 "[test][nested]"),
                   ==, "[9] [test][nested] saw: [9] [test][example] outer");
  g_assert_cmpstr (milter_test_log_capture_find (capture,
                                                 MILTER_LOG_LEVEL_ERROR, 9,
                                                 "[test][example]"),
                   ==, "[9] [test][example] outer");
  g_clear_pointer (&capture, milter_test_log_capture_stop);
  milter_logger_reset ();
}

/* ---- concurrency ---- */

#define N_THREADS 4
#define N_LINES 1000

static gpointer
log_lines_thread (gpointer data)
{
  guint thread_index = GPOINTER_TO_UINT (data);

  for (guint i = 0; i < N_LINES; i++)
    milter_info (thread_index + 1, "[test][example][thread-%u] line %u %s",
                 thread_index, i,
                 "padding-padding-padding-padding-padding-padding");
  return NULL;
}

static void
test_concurrent_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("test-logger-XXXXXX", &error);
  g_autofree gchar *path = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GRegex) regex = NULL;
  GThread *threads[N_THREADS];
  guint next_line[N_THREADS] = {0};

  g_assert_no_error (error);
  path = g_build_filename (dir, "milter.log", NULL);
  regex = g_regex_new (LINE_PREFIX_PATTERN
                       "info: \\[([0-9]+)\\] \\[test\\]\\[example\\]"
                       "\\[thread-([0-9]+)\\] line ([0-9]+) "
                       "padding-padding-padding-padding-padding-padding$",
                       0, 0, &error);
  g_assert_no_error (error);

  milter_logger_reset ();
  g_assert_true (milter_logger_set_file (path, &error));
  milter_logger_set_levels (MILTER_LOG_LEVEL_ALL);
  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("logger", log_lines_thread,
                               GUINT_TO_POINTER (i));
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
  milter_logger_reset ();

  lines = read_lines (path);
  g_assert_cmpuint (g_strv_length (lines), ==, N_THREADS * N_LINES);
  for (guint i = 0; lines[i]; i++) {
    g_autoptr (GMatchInfo) match = NULL;
    g_autofree gchar *session = NULL;
    g_autofree gchar *thread = NULL;
    g_autofree gchar *number = NULL;
    guint thread_index;

    if (!g_regex_match (regex, lines[i], 0, &match))
      g_error ("malformed line %u: %s", i, lines[i]);
    session = g_match_info_fetch (match, 1);
    thread = g_match_info_fetch (match, 2);
    number = g_match_info_fetch (match, 3);
    thread_index = (guint) g_ascii_strtoull (thread, NULL, 10);
    g_assert_cmpuint (thread_index, <, N_THREADS);
    g_assert_cmpuint (g_ascii_strtoull (session, NULL, 10), ==,
                      thread_index + 1);
    /* Each thread's lines arrive whole and in order. */
    g_assert_cmpuint (g_ascii_strtoull (number, NULL, 10), ==,
                      next_line[thread_index]);
    next_line[thread_index]++;
  }
  for (guint i = 0; i < N_THREADS; i++)
    g_assert_cmpuint (next_line[i], ==, N_LINES);
  g_unlink (path);
  g_rmdir (dir);
}

static gpointer
log_capture_thread (gpointer data)
{
  guint thread_index = GPOINTER_TO_UINT (data);

  for (guint i = 0; i < 250; i++)
    milter_debug (100 + thread_index, "[test][example] %u", i);
  return NULL;
}

static void
test_capture_threads (void)
{
  g_autoptr (MilterTestLogCapture) capture = NULL;
  GThread *threads[N_THREADS];

  milter_logger_reset ();
  capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_DEBUG);
  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("logger", log_capture_thread,
                               GUINT_TO_POINTER (i));
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);
  g_assert_cmpuint (milter_test_log_capture_count (capture,
                                                   MILTER_LOG_LEVEL_DEBUG,
                                                   "[test][example]"),
                    ==, N_THREADS * 250);
  for (guint i = 0; i < N_THREADS; i++)
    milter_test_assert_logged (capture, MILTER_LOG_LEVEL_DEBUG, 100 + i,
                               "[test][example] 249");
  g_clear_pointer (&capture, milter_test_log_capture_stop);
}

/* ---- capture helper ---- */

static void
test_capture (void)
{
  g_autoptr (MilterTestLogCapture) capture = NULL;

  milter_logger_reset ();
  milter_logger_set_levels (MILTER_LOG_LEVEL_CRITICAL);
  capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ERROR |
                                           MILTER_LOG_LEVEL_STATISTICS);
  g_assert_cmphex (milter_logger_get_levels (), ==,
                   MILTER_LOG_LEVEL_ERROR | MILTER_LOG_LEVEL_STATISTICS);
  g_assert_false (milter_logger_get_stderr ());

  milter_error (29, "[test][example][decode] bad %d", 1);
  milter_error (0, "[test][example][decode] no session");
  milter_statistics (0, "[test][counter] 1(+1) 0");
  milter_debug (29, "[test][example] disabled");

  g_assert_cmpuint (milter_test_log_capture_count (capture,
                                                   MILTER_LOG_LEVEL_ERROR,
                                                   "[test][example]"), ==, 2);
  g_assert_cmpuint (milter_test_log_capture_count (capture,
                                                   MILTER_LOG_LEVEL_ALL,
                                                   NULL), ==, 3);
  g_assert_cmpuint (milter_test_log_capture_count (capture,
                                                   MILTER_LOG_LEVEL_DEBUG,
                                                   NULL), ==, 0);
  g_assert_cmpuint (milter_test_log_capture_count (capture,
                                                   MILTER_LOG_LEVEL_STATISTICS,
                                                   "[test][counter]"), ==, 1);

  g_assert_cmpstr (milter_test_log_capture_find (capture,
                                                 MILTER_LOG_LEVEL_ERROR, 29,
                                                 "[test][example][decode]"),
                   ==, "[29] [test][example][decode] bad 1");
  g_assert_cmpstr (milter_test_log_capture_find (capture,
                                                 MILTER_LOG_LEVEL_ERROR, 0,
                                                 "[test][example][decode]"),
                   ==, "[test][example][decode] no session");
  g_assert_nonnull (milter_test_log_capture_find (
    capture, MILTER_LOG_LEVEL_ERROR, MILTER_TEST_LOG_ANY_SESSION,
    "[test][example][decode] no"));
  /* Wrong session, wrong level, tags not at the start. */
  g_assert_null (milter_test_log_capture_find (capture,
                                               MILTER_LOG_LEVEL_ERROR, 30,
                                               "[test][example]"));
  g_assert_null (milter_test_log_capture_find (capture,
                                               MILTER_LOG_LEVEL_WARNING, 29,
                                               "[test][example]"));
  g_assert_null (milter_test_log_capture_find (capture,
                                               MILTER_LOG_LEVEL_ERROR, 29,
                                               "[example]"));
  g_assert_null (milter_test_log_capture_find (capture,
                                               MILTER_LOG_LEVEL_ERROR, 29,
                                               "[29]"));

  g_assert_true (milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR,
                                            29, "[test][example][decode]"));
  g_assert_true (milter_test_assert_logged (capture,
                                            MILTER_LOG_LEVEL_STATISTICS, 0,
                                            "[test][counter]"));

  milter_test_log_capture_clear (capture);
  g_assert_cmpuint (milter_test_log_capture_count (capture,
                                                   MILTER_LOG_LEVEL_ALL,
                                                   NULL), ==, 0);

  g_clear_pointer (&capture, milter_test_log_capture_stop);
  /* Levels and standard error are restored. */
  g_assert_cmphex (milter_logger_get_levels (), ==, MILTER_LOG_LEVEL_CRITICAL);
  g_assert_true (milter_logger_get_stderr ());
  milter_logger_reset ();
}

static void
test_capture_nested (void)
{
  MilterTestLogCapture *outer;
  MilterTestLogCapture *inner;

  milter_logger_reset ();
  outer = milter_test_log_capture_start (MILTER_LOG_LEVEL_ERROR);
  inner = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  milter_debug (1, "[test][example] inner only");
  milter_error (1, "[test][example] both");
  g_assert_cmpuint (milter_test_log_capture_count (inner, MILTER_LOG_LEVEL_ALL,
                                                   NULL), ==, 2);
  milter_test_log_capture_stop (inner);
  g_assert_cmphex (milter_logger_get_levels (), ==, MILTER_LOG_LEVEL_ERROR);
  g_assert_false (milter_logger_get_stderr ());
  g_assert_cmpuint (milter_test_log_capture_count (outer, MILTER_LOG_LEVEL_ALL,
                                                   NULL), ==, 1);
  milter_test_log_capture_stop (outer);
  g_assert_true (milter_logger_get_stderr ());
  milter_logger_reset ();
}

static void
test_capture_dump (void)
{
  g_autoptr (MilterTestLogCapture) capture = NULL;
  g_autofree gchar *empty = NULL;
  g_autofree gchar *dump = NULL;

  milter_logger_reset ();
  capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  empty = milter_test_log_capture_dump (capture);
  g_assert_cmpstr (empty, ==, "(no lines captured)");
  milter_error (4, "[test][example] present");
  milter_profile (0, "[test][example] second");
  dump = milter_test_log_capture_dump (capture);
  g_assert_cmpstr (dump, ==,
                   "error: [4] [test][example] present\n"
                   "profile: [test][example] second");
  g_clear_pointer (&capture, milter_test_log_capture_stop);
  milter_logger_reset ();
}

static void
test_capture_assert_fails (void)
{
  if (g_test_subprocess ()) {
    g_autoptr (MilterTestLogCapture) capture =
      milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);

    milter_error (4, "[test][example] present");
    g_assert_true (milter_test_assert_logged (capture,
                                              MILTER_LOG_LEVEL_ERROR, 4,
                                              "[test][example]"));
    g_assert_false (g_test_failed ());
    g_print ("before\n");
    g_assert_false (milter_test_assert_logged (capture,
                                               MILTER_LOG_LEVEL_ERROR, 4,
                                               "[test][absent]"));
    if (g_test_failed ())
      g_print ("marked failed\n");
    return;
  }
  {
    ChildResult child = {0};

    run_child (NULL, &child);
    g_assert_false (child.passed);
    g_assert_nonnull (strstr (child.out, "before\nmarked failed\n"));
    child_result_clear (&child);
  }
}

int
main (int argc, char **argv)
{
  program_path = argv[0];
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (parse_cases); i++) {
    g_autofree gchar *name =
      g_strdup_printf ("/logger/level/parse/valid/%" G_GSIZE_FORMAT, i);
    g_test_add_data_func (name, &parse_cases[i], test_level_parse_valid);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (invalid_parse_cases); i++) {
    g_autofree gchar *name =
      g_strdup_printf ("/logger/level/parse/invalid/%" G_GSIZE_FORMAT, i);
    g_test_add_data_func (name, &invalid_parse_cases[i],
                          test_level_parse_invalid);
  }
  g_test_add_func ("/logger/level/parse/null", test_level_parse_null);
  for (gsize i = 0; i < G_N_ELEMENTS (to_string_cases); i++) {
    g_autofree gchar *name =
      g_strdup_printf ("/logger/level/to-string/%" G_GSIZE_FORMAT, i);
    g_test_add_data_func (name, &to_string_cases[i], test_level_to_string);
  }
  g_test_add_func ("/logger/level/round-trip", test_level_round_trip);
  g_test_add_func ("/logger/level/name", test_level_name);
  g_test_add_func ("/logger/level/set-get-reset", test_levels_set_get_reset);
  g_test_add_func ("/logger/level/environment", test_environment);
  g_test_add_func ("/logger/level/environment-invalid",
                   test_environment_invalid);
  for (gsize i = 0; i < G_N_ELEMENTS (facility_cases); i++) {
    g_autofree gchar *name =
      g_strdup_printf ("/logger/syslog/facility/%" G_GSIZE_FORMAT, i);
    g_test_add_data_func (name, &facility_cases[i],
                          test_syslog_facility_parse);
  }
  g_test_add_func ("/logger/syslog/priority", test_syslog_priority);
  g_test_add_func ("/logger/syslog/set", test_set_syslog);
  g_test_add_func ("/logger/format", test_format);
  g_test_add_func ("/logger/format/long-line", test_format_long_line);
  g_test_add_func ("/logger/disabled-not-evaluated",
                   test_disabled_level_not_evaluated);
  g_test_add_func ("/logger/output/stderr", test_stderr_output);
  g_test_add_func ("/logger/output/file", test_file_output);
  g_test_add_func ("/logger/output/file-open-error", test_file_open_error);
  g_test_add_func ("/logger/handlers", test_handlers);
  g_test_add_func ("/logger/handlers/nested-log", test_handler_logs);
  g_test_add_func ("/logger/concurrent/file", test_concurrent_file);
  g_test_add_func ("/logger/concurrent/capture", test_capture_threads);
  g_test_add_func ("/logger/capture", test_capture);
  g_test_add_func ("/logger/capture/nested", test_capture_nested);
  g_test_add_func ("/logger/capture/dump", test_capture_dump);
  g_test_add_func ("/logger/capture/assert-fails", test_capture_assert_fails);

  return g_test_run ();
}

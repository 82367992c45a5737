/*
 * test-log-escape - the escaping rule for control characters (a table),
 * and the logger applying it: one call is one line in a log file and for
 * handlers, whatever the peer data in it
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-log-escape.h>
#include <milter/core/milter-logger.h>

typedef struct {
  const gchar *name;
  const gchar *input;
  gsize input_len;     /* 0: strlen (input) */
  gsize offset;
  const gchar *expected;
} EscapeCase;

static const EscapeCase escape_cases[] = {
  { "plain", "Subject: hello", 0, 0, "Subject: hello" },
  { "empty", "", 0, 0, "" },
  { "crlf", "a\r\nb", 0, 0, "a\\r\\nb" },
  { "lf-only", "line1\nline2\n", 0, 0, "line1\\nline2\\n" },
  { "tab", "a\tb", 0, 0, "a\\tb" },
  { "other-controls", "\x01\x1b[31m\x7f", 0, 0, "\\x01\\x1b[31m\\x7f" },
  { "nul", "a\0b", 3, 0, "a\\x00b" },
  { "before-offset-kept", "x\ny\n", 0, 2, "x\ny\\n" },
  { "offset-at-end", "x\n", 0, 2, "x\n" },
  { "utf8-kept", "caf\xc3\xa9\n", 0, 0, "caf\xc3\xa9\\n" },
  { "backslash-kept", "C:\\path", 0, 0, "C:\\path" },
  { "forged-line", "v\n2026-01-01T00:00:00Z error: [1] [agent][error]", 0, 0,
    "v\\n2026-01-01T00:00:00Z error: [1] [agent][error]" },
};

static void
test_escape (gconstpointer data)
{
  const EscapeCase *test = data;
  gsize length = test->input_len ? test->input_len : strlen (test->input);
  g_autoptr (GString) buffer = g_string_new_len (test->input, (gssize) length);

  milter_log_escape_controls (buffer, test->offset);
  g_assert_cmpstr (buffer->str, ==, test->expected);
  g_assert_cmpuint (buffer->len, ==, strlen (test->expected));
}

typedef struct {
  guint calls;
  gchar *line;
} Collected;

static void
collect (MilterLogLevelFlags level, guint64 session_id, const gchar *line,
         gpointer user_data)
{
  Collected *collected = user_data;

  collected->calls++;
  g_free (collected->line);
  collected->line = g_strdup (line);
}

/* A header value with CR LF, as a peer may send it. */
#define HOSTILE "evil\r\n2026-01-01T00:00:00.000000Z error: [7] [forged]"
#define ESCAPED "evil\\r\\n2026-01-01T00:00:00.000000Z error: [7] [forged]"

static void
test_logger_one_line (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("test-log-escape-XXXXXX", &error);
  g_autofree gchar *path = g_build_filename (dir, "milter.log", NULL);
  g_autofree gchar *contents = NULL;
  g_auto (GStrv) lines = NULL;
  Collected collected = {0};

  g_assert_no_error (error);
  milter_logger_reset ();
  g_assert_true (milter_logger_set_file (path, &error));
  milter_logger_set_levels (MILTER_LOG_LEVEL_ALL);
  milter_logger_add_handler (collect, &collected, NULL);

  milter_info (7, "[test][header] Subject: %s", HOSTILE);
  milter_info (7, "[test][plain] untouched \\ text");

  g_assert_cmpuint (collected.calls, ==, 2);
  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  lines = g_strsplit (contents, "\n", -1);
  /* Two lines and the empty rest after the last newline. */
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_suffix (lines[0], "info: [7] [test][header] Subject: " ESCAPED));
  g_assert_true (g_str_has_suffix (lines[1], "info: [7] [test][plain] untouched \\ text"));
  g_assert_cmpstr (lines[2], ==, "");
  g_assert_cmpstr (collected.line, ==, "[7] [test][plain] untouched \\ text");

  milter_logger_reset ();
  g_free (collected.line);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (escape_cases); i++) {
    g_autofree gchar *name = g_strdup_printf ("/logger/escape/%s",
                                              escape_cases[i].name);

    g_test_add_data_func (name, &escape_cases[i], test_escape);
  }
  g_test_add_func ("/logger/escape/one-call-one-line", test_logger_one_line);
  return g_test_run ();
}

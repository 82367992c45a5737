/*
 * test-reply-code - tables of reply texts for milter-reply-code
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-reply-code.h>

#define NO_ERROR (-1)

typedef struct {
  const gchar *name;
  const gchar *text;
  gint error_code;
  guint code;
  const gchar *extended_code;
  /* Expected lines joined by '|'. */
  const gchar *lines;
} ParseCase;

static const ParseCase parse_cases[] = {
  {"simple", "550 5.7.1 Rejected by policy", NO_ERROR,
   550, "5.7.1", "Rejected by policy"},
  {"no-extended-code", "451 Try again later", NO_ERROR,
   451, NULL, "Try again later"},
  {"code-only", "550", NO_ERROR, 550, NULL, ""},
  {"code-and-space", "550 ", NO_ERROR, 550, NULL, ""},
  {"extended-code-only", "421 4.3.2", NO_ERROR, 421, "4.3.2", ""},
  {"long-extended-code", "550 5.123.456 text", NO_ERROR,
   550, "5.123.456", "text"},
  {"four-digit-subject-is-text", "550 5.1234.1 text", NO_ERROR,
   550, NULL, "5.1234.1 text"},
  {"dotted-text-without-space", "550 5.7.1x text", NO_ERROR,
   550, NULL, "5.7.1x text"},
  {"extra-spaces-kept", "550 5.7.1  two spaces", NO_ERROR,
   550, "5.7.1", " two spaces"},
  {"multi-line", "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 last",
   NO_ERROR, 550, "5.7.1", "first|second|last"},
  {"multi-line-no-extended", "452-one\r\n452 two", NO_ERROR,
   452, NULL, "one|two"},
  {"multi-line-bare-lf", "550-first\n550 last", NO_ERROR,
   550, NULL, "first|last"},
  {"trailing-crlf", "550 5.7.1 text\r\n", NO_ERROR, 550, "5.7.1", "text"},
  {"empty-continuation-line", "550-\r\n550 last", NO_ERROR,
   550, NULL, "|last"},
  {"empty", "", MILTER_REPLY_CODE_ERROR_EMPTY, 0, NULL, NULL},
  {"two-digits", "55 text", MILTER_REPLY_CODE_ERROR_INVALID_CODE, 0, NULL, NULL},
  {"four-digits", "5501 text", MILTER_REPLY_CODE_ERROR_INVALID_CODE, 0, NULL, NULL},
  {"letters", "abc text", MILTER_REPLY_CODE_ERROR_INVALID_CODE, 0, NULL, NULL},
  {"bad-separator", "550/text", MILTER_REPLY_CODE_ERROR_INVALID_CODE, 0, NULL, NULL},
  {"class-2", "250 ok", MILTER_REPLY_CODE_ERROR_INVALID_CLASS, 0, NULL, NULL},
  {"class-3", "354 go on", MILTER_REPLY_CODE_ERROR_INVALID_CLASS, 0, NULL, NULL},
  {"class-6", "600 what", MILTER_REPLY_CODE_ERROR_INVALID_CLASS, 0, NULL, NULL},
  {"code-mismatch", "550-first\r\n551 last",
   MILTER_REPLY_CODE_ERROR_CODE_MISMATCH, 0, NULL, NULL},
  {"missing-continuation", "550 first\r\n550 last",
   MILTER_REPLY_CODE_ERROR_MISSING_CONTINUATION, 0, NULL, NULL},
  {"missing-continuation-code-only", "550\r\n550 last",
   MILTER_REPLY_CODE_ERROR_MISSING_CONTINUATION, 0, NULL, NULL},
  {"dangling-continuation", "550-last",
   MILTER_REPLY_CODE_ERROR_UNEXPECTED_CONTINUATION, 0, NULL, NULL},
  {"extended-class-mismatch", "550 4.7.1 text",
   MILTER_REPLY_CODE_ERROR_EXTENDED_CODE_MISMATCH, 0, NULL, NULL},
  {"extended-class-mismatch-line-2", "450-4.7.1 a\r\n450 5.7.1 b",
   MILTER_REPLY_CODE_ERROR_EXTENDED_CODE_MISMATCH, 0, NULL, NULL},
  {"extended-differs-between-lines", "550-5.7.1 a\r\n550 5.7.2 b",
   MILTER_REPLY_CODE_ERROR_EXTENDED_CODE_MISMATCH, 0, NULL, NULL},
  {"extended-missing-on-line-2", "550-5.7.1 a\r\n550 b",
   MILTER_REPLY_CODE_ERROR_EXTENDED_CODE_MISMATCH, 0, NULL, NULL},
  {"blank-line-between", "550-a\r\n\r\n550 b",
   MILTER_REPLY_CODE_ERROR_INVALID_CODE, 0, NULL, NULL},
  {"lone-cr", "550 a\rb", MILTER_REPLY_CODE_ERROR_LINE_BREAK, 0, NULL, NULL},
  {"cr-at-end", "550 a\r", MILTER_REPLY_CODE_ERROR_LINE_BREAK, 0, NULL, NULL},
};

static void
test_parse (gconstpointer data)
{
  const ParseCase *test_case = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterReplyCode) reply_code = NULL;
  g_autofree gchar *lines = NULL;

  reply_code = milter_reply_code_parse (test_case->text, &error);
  if (test_case->error_code != NO_ERROR) {
    g_assert_error (error, MILTER_REPLY_CODE_ERROR, test_case->error_code);
    g_assert_null (reply_code);
    return;
  }
  g_assert_no_error (error);
  g_assert_nonnull (reply_code);
  g_assert_cmpuint (reply_code->code, ==, test_case->code);
  g_assert_cmpstr (reply_code->extended_code, ==, test_case->extended_code);
  lines = g_strjoinv ("|", reply_code->lines);
  g_assert_cmpstr (lines, ==, test_case->lines);
}

/* Error messages name the line at fault. */
static void
test_parse_error_names_line (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterReplyCode) reply_code = NULL;

  reply_code = milter_reply_code_parse ("550-a\r\n550-b\r\n551 c", &error);
  g_assert_error (error, MILTER_REPLY_CODE_ERROR,
                  MILTER_REPLY_CODE_ERROR_CODE_MISMATCH);
  g_assert_nonnull (strstr (error->message, "line 3"));
  g_assert_nonnull (strstr (error->message, "551"));
}

typedef struct {
  const gchar *name;
  guint code;
  const gchar *extended_code;
  const gchar *lines[4];
  gint error_code;
  const gchar *text;
} FormatCase;

static const FormatCase format_cases[] = {
  {"simple", 550, "5.7.1", {"Rejected", NULL}, NO_ERROR, "550 5.7.1 Rejected"},
  {"no-extended-code", 451, NULL, {"Try later", NULL}, NO_ERROR, "451 Try later"},
  {"no-lines", 550, NULL, {NULL}, NO_ERROR, "550"},
  {"no-lines-extended", 421, "4.3.2", {NULL}, NO_ERROR, "421 4.3.2"},
  {"empty-line", 550, NULL, {"", NULL}, NO_ERROR, "550"},
  {"multi-line", 550, "5.7.1", {"first", "second", "last", NULL}, NO_ERROR,
   "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 last"},
  {"multi-line-empty-first", 452, NULL, {"", "last", NULL}, NO_ERROR,
   "452-\r\n452 last"},
  {"code-too-small", 55, NULL, {"x", NULL},
   MILTER_REPLY_CODE_ERROR_INVALID_CODE, NULL},
  {"code-too-large", 5500, NULL, {"x", NULL},
   MILTER_REPLY_CODE_ERROR_INVALID_CODE, NULL},
  {"class-2", 250, NULL, {"ok", NULL}, MILTER_REPLY_CODE_ERROR_INVALID_CLASS, NULL},
  {"class-6", 600, NULL, {"x", NULL}, MILTER_REPLY_CODE_ERROR_INVALID_CLASS, NULL},
  {"extended-class-mismatch", 550, "4.7.1", {"x", NULL},
   MILTER_REPLY_CODE_ERROR_EXTENDED_CODE_MISMATCH, NULL},
  {"extended-malformed", 550, "5.7", {"x", NULL},
   MILTER_REPLY_CODE_ERROR_INVALID_EXTENDED_CODE, NULL},
  {"extended-with-space", 550, "5.7.1 ", {"x", NULL},
   MILTER_REPLY_CODE_ERROR_INVALID_EXTENDED_CODE, NULL},
  {"extended-empty", 550, "", {"x", NULL},
   MILTER_REPLY_CODE_ERROR_INVALID_EXTENDED_CODE, NULL},
  {"crlf-in-line", 550, NULL, {"a\r\nb", NULL},
   MILTER_REPLY_CODE_ERROR_LINE_BREAK, NULL},
  {"lf-in-second-line", 550, NULL, {"a", "b\nc", NULL},
   MILTER_REPLY_CODE_ERROR_LINE_BREAK, NULL},
  {"cr-in-line", 550, NULL, {"a\rb", NULL}, MILTER_REPLY_CODE_ERROR_LINE_BREAK, NULL},
};

static void
test_format (gconstpointer data)
{
  const FormatCase *test_case = data;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;

  text = milter_reply_code_format (test_case->code, test_case->extended_code,
                                   test_case->lines, &error);
  if (test_case->error_code != NO_ERROR) {
    g_assert_error (error, MILTER_REPLY_CODE_ERROR, test_case->error_code);
    g_assert_null (text);
    return;
  }
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, test_case->text);
}

static void
test_format_null_lines (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = milter_reply_code_format (450, "4.2.0", NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "450 4.2.0");
}

/* Canonical texts survive parse then format unchanged. */
static const gchar *round_trip_cases[] = {
  "550 5.7.1 Rejected by policy",
  "451 Try again later",
  "550",
  "421 4.3.2",
  "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 last",
  "452-\r\n452 last",
  "550 5.7.1  two spaces",
};

static void
test_round_trip (gconstpointer data)
{
  const gchar *original = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterReplyCode) reply_code = NULL;
  g_autofree gchar *text = NULL;

  reply_code = milter_reply_code_parse (original, &error);
  g_assert_no_error (error);
  text = milter_reply_code_format (reply_code->code, reply_code->extended_code,
                                   (const gchar * const *) reply_code->lines,
                                   &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, original);
}

typedef struct {
  const gchar *text;
  gboolean expected;
} ExtendedCodeCase;

static const ExtendedCodeCase extended_code_cases[] = {
  {"5.7.1", TRUE}, {"4.0.0", TRUE}, {"2.1.5", TRUE}, {"5.123.456", TRUE},
  {"5.7", FALSE}, {"5.7.", FALSE}, {".7.1", FALSE}, {"55.7.1", FALSE},
  {"5.1234.1", FALSE}, {"5.7.1 ", FALSE}, {"5.7.1x", FALSE}, {"", FALSE},
  {"a.b.c", FALSE},
};

static void
test_is_extended_code (void)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (extended_code_cases); i++) {
    g_test_message ("%s", extended_code_cases[i].text);
    g_assert_cmpint (milter_reply_code_is_extended_code (extended_code_cases[i].text),
                     ==, extended_code_cases[i].expected);
  }
  g_assert_false (milter_reply_code_is_extended_code (NULL));
}

int
main (int argc, char **argv)
{
  gsize i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (parse_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/reply-code/parse/%s", parse_cases[i].name);
    g_test_add_data_func (path, &parse_cases[i], test_parse);
  }
  g_test_add_func ("/core/reply-code/parse/error-names-line",
                   test_parse_error_names_line);
  for (i = 0; i < G_N_ELEMENTS (format_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/reply-code/format/%s", format_cases[i].name);
    g_test_add_data_func (path, &format_cases[i], test_format);
  }
  g_test_add_func ("/core/reply-code/format/null-lines", test_format_null_lines);
  for (i = 0; i < G_N_ELEMENTS (round_trip_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/reply-code/round-trip/%" G_GSIZE_FORMAT, i);
    g_test_add_data_func (path, round_trip_cases[i], test_round_trip);
  }
  g_test_add_func ("/core/reply-code/is-extended-code", test_is_extended_code);
  return g_test_run ();
}

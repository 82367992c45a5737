/*
 * test-server-reply-values - reply-code status and header leading-space rules
 */
#include "config.h"

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply-code.h>
#include <milter/server/milter-server-reply-values.h>

#define LEADSPC MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE

typedef struct {
  const gchar *text;
  MilterStatus status;
  gboolean valid;
  guint code;
  const gchar *extended_code;
} ReplyCodeCase;

static const ReplyCodeCase reply_code_cases[] = {
  { "550 5.7.1 check says no", MILTER_STATUS_REJECT, TRUE, 550, "5.7.1" },
  { "451 4.7.1 Greylisting", MILTER_STATUS_TEMPORARY_FAILURE, TRUE, 451, "4.7.1" },
  { "554 no enhanced code", MILTER_STATUS_REJECT, TRUE, 554, NULL },
  { "421", MILTER_STATUS_TEMPORARY_FAILURE, TRUE, 421, NULL },
  { "550-5.7.1 first\r\n550 5.7.1 last", MILTER_STATUS_REJECT, TRUE, 550, "5.7.1" },
  /* Malformed: a temporary failure, as Postfix's default. */
  { "250 ok", MILTER_STATUS_TEMPORARY_FAILURE, FALSE, 0, NULL },
  { "650 5.7.1 no", MILTER_STATUS_TEMPORARY_FAILURE, FALSE, 0, NULL },
  { "550 4.7.1 class differs", MILTER_STATUS_TEMPORARY_FAILURE, FALSE, 0, NULL },
  { "451 5.7.1 class differs", MILTER_STATUS_TEMPORARY_FAILURE, FALSE, 0, NULL },
  { "55 too short", MILTER_STATUS_TEMPORARY_FAILURE, FALSE, 0, NULL },
  { "550x", MILTER_STATUS_TEMPORARY_FAILURE, FALSE, 0, NULL },
  { "", MILTER_STATUS_TEMPORARY_FAILURE, FALSE, 0, NULL },
  { "550-5.7.1 first\r\n551 5.7.1 last", MILTER_STATUS_TEMPORARY_FAILURE, FALSE, 0, NULL },
  { "reject please", MILTER_STATUS_TEMPORARY_FAILURE, FALSE, 0, NULL },
};

static void
test_reply_code_status (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (reply_code_cases); i++) {
    const ReplyCodeCase *test = &reply_code_cases[i];
    g_autoptr (GError) error = NULL;
    g_autoptr (MilterReplyCode) parsed = NULL;
    MilterStatus status;

    g_test_message ("%s", test->text);
    status = milter_server_reply_code_status (test->text, &parsed, &error);
    g_assert_cmpint (status, ==, test->status);
    if (test->valid) {
      g_assert_no_error (error);
      g_assert_nonnull (parsed);
      g_assert_cmpuint (parsed->code, ==, test->code);
      g_assert_cmpstr (parsed->extended_code, ==, test->extended_code);
    } else {
      g_assert_nonnull (error);
      g_assert_true (error->domain == MILTER_REPLY_CODE_ERROR);
      g_assert_null (parsed);
    }
    /* parsed is optional. */
    g_clear_error (&error);
    g_assert_cmpint (milter_server_reply_code_status (test->text, NULL, NULL),
                     ==, test->status);
  }
}

typedef struct {
  const gchar *value;
  MilterStepFlags steps;
  const gchar *to_milter;
  const gchar *from_milter;
} HeaderCase;

static const HeaderCase header_cases[] = {
  { "hello", 0, "hello", "hello" },
  { "hello", LEADSPC, " hello", "hello" },
  { " hello", 0, " hello", " hello" },
  { " hello", LEADSPC, "  hello", "hello" },
  { "  two", LEADSPC, "   two", " two" },
  { "", LEADSPC, " ", "" },
  { "", 0, "", "" },
  { "\ttab", LEADSPC, " \ttab", "\ttab" },
  { "x", MILTER_STEP_ALL & ~LEADSPC, "x", "x" },
};

static void
test_header_values (void)
{
  g_autoptr (GString) buffer = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (header_cases); i++) {
    const HeaderCase *test = &header_cases[i];

    g_test_message ("'%s' steps 0x%x", test->value, test->steps);
    g_assert_cmpstr (milter_server_header_value_to_milter (buffer, test->value,
                                                           test->steps),
                     ==, test->to_milter);
    g_assert_cmpstr (milter_server_header_value_from_milter (test->value,
                                                             test->steps),
                     ==, test->from_milter);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/reply-values/reply-code-status",
                   test_reply_code_status);
  g_test_add_func ("/server/reply-values/header-values", test_header_values);
  return g_test_run ();
}

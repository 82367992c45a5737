/*
 * test-esmtp - ESMTP parameter parsing (text and argv forms) and
 * angle-bracket handling of envelope paths
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-esmtp.h>

#define NO_ERROR (-1)

/* "KEYWORD=VALUE;" per parameter, "KEYWORD;" when there is no value. */
static gchar *
describe (const GPtrArray *arguments)
{
  GString *string = g_string_new (NULL);
  guint i;

  for (i = 0; i < arguments->len; i++) {
    const MilterEsmtpArgument *argument = g_ptr_array_index (arguments, i);

    g_string_append (string, argument->keyword);
    if (argument->value)
      g_string_append_printf (string, "=%s", argument->value);
    g_string_append_c (string, ';');
  }
  return g_string_free (string, FALSE);
}

typedef struct {
  const gchar *text;
  const gchar *expected;     /* describe () of the result */
  gint error_code;           /* NO_ERROR or a MilterEsmtpError */
  const gchar *message;      /* substring of the error message */
} TextCase;

static const TextCase text_cases[] = {
  {"SIZE=1000 BODY=8BITMIME RET", "SIZE=1000;BODY=8BITMIME;RET;", NO_ERROR, NULL},
  {"", "", NO_ERROR, NULL},
  {NULL, "", NO_ERROR, NULL},
  {"   ", "", NO_ERROR, NULL},
  {"SMTPUTF8", "SMTPUTF8;", NO_ERROR, NULL},
  {"  SIZE=1   BODY=7BIT  ", "SIZE=1;BODY=7BIT;", NO_ERROR, NULL},
  {"size=1 Body=8bitmime", "size=1;Body=8bitmime;", NO_ERROR, NULL},
  {"X-FOO-BAR=x", "X-FOO-BAR=x;", NO_ERROR, NULL},
  {"8BIT-X=1", "8BIT-X=1;", NO_ERROR, NULL},
  {"X-=a", "X-=a;", NO_ERROR, NULL},
  {"ORCPT=rfc822;user+2Bx@example.com", "ORCPT=rfc822;user+2Bx@example.com;",
   NO_ERROR, NULL},
  {"ENVID=<abc>!~", "ENVID=<abc>!~;", NO_ERROR, NULL},
  {"NOTIFY=SUCCESS,FAILURE RET=HDRS", "NOTIFY=SUCCESS,FAILURE;RET=HDRS;",
   NO_ERROR, NULL},
  {"SIZE=1 SIZE=2", "SIZE=1;SIZE=2;", NO_ERROR, NULL},
  /* invalid keywords */
  {"=1000", NULL, MILTER_ESMTP_ERROR_INVALID_KEYWORD,
   "invalid ESMTP argument '=1000': keyword is empty"},
  {"SIZE=1 -X=1", NULL, MILTER_ESMTP_ERROR_INVALID_KEYWORD,
   "'-X=1': keyword must start with a letter or digit"},
  {"SI_ZE=1", NULL, MILTER_ESMTP_ERROR_INVALID_KEYWORD,
   "'SI_ZE=1': byte 0x5f at offset 2 is not allowed in a keyword"},
  {"S\xc3\xa9=1", NULL, MILTER_ESMTP_ERROR_INVALID_KEYWORD,
   "'S\\303\\251=1': byte 0xc3 at offset 1"},
  {"SIZE\t=1", NULL, MILTER_ESMTP_ERROR_INVALID_KEYWORD,
   "'SIZE\\t=1': byte 0x09 at offset 4"},
  {"SIZE=1\tBODY=7BIT", NULL, MILTER_ESMTP_ERROR_INVALID_VALUE,
   "'SIZE=1\\tBODY=7BIT': byte 0x09 at offset 6 is not allowed in a value"},
  /* invalid values */
  {"BODY=8BITMIME SIZE=", NULL, MILTER_ESMTP_ERROR_INVALID_VALUE,
   "invalid ESMTP argument 'SIZE=': empty value after '='"},
  {"A=b=c", NULL, MILTER_ESMTP_ERROR_INVALID_VALUE,
   "'A=b=c': byte 0x3d at offset 3 is not allowed in a value"},
  {"A==", NULL, MILTER_ESMTP_ERROR_INVALID_VALUE, "offset 2"},
  {"A=\x7f", NULL, MILTER_ESMTP_ERROR_INVALID_VALUE, "byte 0x7f"},
  {"A=caf\xc3\xa9", NULL, MILTER_ESMTP_ERROR_INVALID_VALUE, "byte 0xc3"},
  {"A=\r\n", NULL, MILTER_ESMTP_ERROR_INVALID_VALUE,
   "'A=\\r\\n': byte 0x0d"},
};

static void
check_result (GPtrArray *arguments, GError *error, const gchar *expected,
              gint error_code, const gchar *message)
{
  if (error_code == NO_ERROR) {
    g_autofree gchar *described = NULL;

    g_assert_no_error (error);
    g_assert_nonnull (arguments);
    described = describe (arguments);
    g_assert_cmpstr (described, ==, expected);
  } else {
    g_assert_null (arguments);
    g_assert_error (error, MILTER_ESMTP_ERROR, error_code);
    if (!strstr (error->message, message))
      g_error ("message '%s' lacks '%s'", error->message, message);
  }
}

static void
test_text (gconstpointer data)
{
  const TextCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) arguments = milter_esmtp_parse_arguments (c->text, &error);

  check_result (arguments, error, c->expected, c->error_code, c->message);
}

typedef struct {
  const gchar *label;
  const gchar *argv[5];      /* NULL-terminated */
  const gchar *expected;
  gint error_code;
  const gchar *message;
} ArgvCase;

static const ArgvCase argv_cases[] = {
  {"typical", {"SIZE=1000", "BODY=8BITMIME", "RET", NULL},
   "SIZE=1000;BODY=8BITMIME;RET;", NO_ERROR, NULL},
  {"none", {NULL}, "", NO_ERROR, NULL},
  {"one-flag", {"SMTPUTF8", NULL}, "SMTPUTF8;", NO_ERROR, NULL},
  /* the argv form never splits: a space inside one element is an error */
  {"space-inside-element", {"SIZE=1 BODY=7BIT", NULL}, NULL,
   MILTER_ESMTP_ERROR_INVALID_VALUE,
   "'SIZE=1 BODY=7BIT': byte 0x20 at offset 6"},
  {"leading-space", {" SIZE=1", NULL}, NULL,
   MILTER_ESMTP_ERROR_INVALID_KEYWORD, "keyword must start"},
  {"empty-element", {"SIZE=1", "", "RET", NULL}, NULL,
   MILTER_ESMTP_ERROR_EMPTY_ARGUMENT, "empty ESMTP argument at position 2"},
  {"bad-second", {"SIZE=1", "BODY=", NULL}, NULL,
   MILTER_ESMTP_ERROR_INVALID_VALUE, "'BODY=': empty value"},
  {"bad-keyword", {"X.Y=1", NULL}, NULL,
   MILTER_ESMTP_ERROR_INVALID_KEYWORD, "'X.Y=1': byte 0x2e"},
};

static void
test_argv (gconstpointer data)
{
  const ArgvCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) arguments = milter_esmtp_parse_argv (c->argv, &error);

  check_result (arguments, error, c->expected, c->error_code, c->message);
}

static void
test_argv_null (void)
{
  g_autoptr (GPtrArray) arguments = milter_esmtp_parse_argv (NULL, NULL);

  g_assert_nonnull (arguments);
  g_assert_cmpuint (arguments->len, ==, 0);
}

static void
test_single (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterEsmtpArgument) argument = NULL;

  argument = milter_esmtp_parse_argument ("BODY=8BITMIME", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (argument->keyword, ==, "BODY");
  g_assert_cmpstr (argument->value, ==, "8BITMIME");
  g_clear_pointer (&argument, milter_esmtp_argument_free);

  argument = milter_esmtp_parse_argument ("RET", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (argument->keyword, ==, "RET");
  g_assert_null (argument->value);
  g_clear_pointer (&argument, milter_esmtp_argument_free);

  g_assert_null (milter_esmtp_parse_argument ("", &error));
  g_assert_error (error, MILTER_ESMTP_ERROR, MILTER_ESMTP_ERROR_EMPTY_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (milter_esmtp_parse_argument (NULL, &error));
  g_assert_error (error, MILTER_ESMTP_ERROR, MILTER_ESMTP_ERROR_EMPTY_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (milter_esmtp_parse_argument ("RET SIZE", &error));
  g_assert_error (error, MILTER_ESMTP_ERROR, MILTER_ESMTP_ERROR_INVALID_KEYWORD);
}

static void
test_lookup_and_to_string (void)
{
  g_autoptr (GPtrArray) arguments =
    milter_esmtp_parse_arguments ("SIZE=1000 body=8BITMIME RET SIZE=2", NULL);
  g_autoptr (GPtrArray) empty = milter_esmtp_parse_arguments ("", NULL);
  g_autofree gchar *string = NULL;
  g_autofree gchar *empty_string = NULL;
  const MilterEsmtpArgument *found;

  found = milter_esmtp_arguments_lookup (arguments, "size");
  g_assert_nonnull (found);
  g_assert_cmpstr (found->value, ==, "1000");
  found = milter_esmtp_arguments_lookup (arguments, "BODY");
  g_assert_nonnull (found);
  g_assert_cmpstr (found->keyword, ==, "body");
  found = milter_esmtp_arguments_lookup (arguments, "ret");
  g_assert_nonnull (found);
  g_assert_null (found->value);
  g_assert_null (milter_esmtp_arguments_lookup (arguments, "RE"));
  g_assert_null (milter_esmtp_arguments_lookup (arguments, NULL));
  g_assert_null (milter_esmtp_arguments_lookup (NULL, "SIZE"));

  string = milter_esmtp_arguments_to_string (arguments);
  g_assert_cmpstr (string, ==, "SIZE=1000 body=8BITMIME RET SIZE=2");
  empty_string = milter_esmtp_arguments_to_string (empty);
  g_assert_cmpstr (empty_string, ==, "");
}

typedef struct {
  const gchar *input;
  const gchar *stripped;
  const gchar *quoted;
} AddressCase;

static const AddressCase address_cases[] = {
  {"<user@example.com>", "user@example.com", "<user@example.com>"},
  {"user@example.com", "user@example.com", "<user@example.com>"},
  {"<>", "", "<>"},
  {"", "", "<>"},
  {"<postmaster>", "postmaster", "<postmaster>"},
  {"<@relay.example:user@example.com>", "@relay.example:user@example.com",
   "<@relay.example:user@example.com>"},
  /* unbalanced: left as is, quoted as a whole */
  {"<user@example.com", "<user@example.com", "<<user@example.com>"},
  {"user@example.com>", "user@example.com>", "<user@example.com>>"},
  {"<", "<", "<<>"},
  {">", ">", "<>>"},
  /* only one pair is removed */
  {"<<a>>", "<a>", "<<a>>"},
  {"\"a b\"@example.com", "\"a b\"@example.com", "<\"a b\"@example.com>"},
  {NULL, NULL, NULL},
};

static void
test_address (gconstpointer data)
{
  const AddressCase *c = data;
  g_autofree gchar *stripped = milter_esmtp_strip_address (c->input);
  g_autofree gchar *quoted = milter_esmtp_quote_address (c->input);

  g_assert_cmpstr (stripped, ==, c->stripped);
  g_assert_cmpstr (quoted, ==, c->quoted);
}

static void
test_address_round_trip (void)
{
  static const gchar *const bare[] = {"a@example.com", "", "postmaster"};
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bare); i++) {
    g_autofree gchar *quoted = milter_esmtp_quote_address (bare[i]);
    g_autofree gchar *stripped = milter_esmtp_strip_address (quoted);

    g_assert_cmpstr (stripped, ==, bare[i]);
  }
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (text_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/esmtp/text/%u", i);
    g_test_add_data_func (path, &text_cases[i], test_text);
  }
  for (i = 0; i < G_N_ELEMENTS (argv_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/esmtp/argv/%s", argv_cases[i].label);
    g_test_add_data_func (path, &argv_cases[i], test_argv);
  }
  for (i = 0; i < G_N_ELEMENTS (address_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/esmtp/address/%u", i);
    g_test_add_data_func (path, &address_cases[i], test_address);
  }
  g_test_add_func ("/core/esmtp/argv-null", test_argv_null);
  g_test_add_func ("/core/esmtp/single", test_single);
  g_test_add_func ("/core/esmtp/lookup-and-to-string",
                   test_lookup_and_to_string);
  g_test_add_func ("/core/esmtp/address-round-trip", test_address_round_trip);
  return g_test_run ();
}

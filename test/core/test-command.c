/*
 * test-command - the macro-stage rule and the one-line command description
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-command.h>

typedef struct {
  guint8 stage_command;
  gboolean expected;
} StageCase;

static const StageCase stage_cases[] = {
  {'C', TRUE}, {'H', TRUE}, {'M', TRUE}, {'R', TRUE}, {'T', TRUE},
  {'N', TRUE}, {'E', TRUE}, {'U', TRUE},
  /* Tolerated: macros attached to header and body events. */
  {'L', TRUE}, {'B', TRUE},
  {'O', FALSE}, {'D', FALSE}, {'A', FALSE}, {'Q', FALSE}, {'K', FALSE},
  {'c', FALSE}, {'h', FALSE}, {0, FALSE}, {0xff, FALSE}, {'4', FALSE},
};

static void
test_macro_stage (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (stage_cases); i++) {
    g_test_message ("stage byte 0x%02x", stage_cases[i].stage_command);
    g_assert_cmpint (milter_command_is_macro_stage (stage_cases[i].stage_command),
                     ==, stage_cases[i].expected);
  }
}

static const gchar *const macro_names[] = {"j", "{daemon_name}", NULL};
static const gchar *const macro_values[] = {"mx.example.org", "say \"hi\"\\", NULL};
static const gchar *const from_argv[] = {"<a@example.org>", "SIZE=10", NULL};
static const gchar *const rcpt_argv[] = {"<b@example.net>", NULL};
static const guint8 body_bytes[] = "Hi\r\n\t\x01\xff";
static guint8 long_body[100];

typedef struct {
  const gchar *name;
  MilterCommand command;
  const gchar *expected;
} StringCase;

static StringCase string_cases[] = {
  {"negotiate",
   {.type = MILTER_COMMAND_NEGOTIATE,
    .negotiate = {6, MILTER_ACTION_ALL, MILTER_STEP_ALL}},
   "negotiate version=6 actions=0x000001ff steps=0x001fffff"},
  {"define-macro",
   {.type = MILTER_COMMAND_DEFINE_MACRO,
    .define_macro = {'C', 2, macro_names, macro_values}},
   "define-macro stage='C' macros={\"j\"=\"mx.example.org\", "
   "\"{daemon_name}\"=\"say \\\"hi\\\"\\\\\"}"},
  {"define-macro-empty",
   {.type = MILTER_COMMAND_DEFINE_MACRO,
    .define_macro = {'T', 0, macro_names, macro_values}},
   "define-macro stage='T' macros={}"},
  {"connect-inet",
   {.type = MILTER_COMMAND_CONNECT,
    .connect = {"mx.example.net", MILTER_FAMILY_INET, 25, "192.0.2.1"}},
   "connect host=\"mx.example.net\" family=inet port=25 address=\"192.0.2.1\""},
  {"connect-inet6",
   {.type = MILTER_COMMAND_CONNECT,
    .connect = {"v6.example.net", MILTER_FAMILY_INET6, 587, "IPv6:2001:db8::1"}},
   "connect host=\"v6.example.net\" family=inet6 port=587 address=\"IPv6:2001:db8::1\""},
  {"connect-unix",
   {.type = MILTER_COMMAND_CONNECT,
    .connect = {"localhost", MILTER_FAMILY_UNIX, 0, "/run/milter.sock"}},
   "connect host=\"localhost\" family=unix port=0 address=\"/run/milter.sock\""},
  {"connect-unknown",
   {.type = MILTER_COMMAND_CONNECT,
    .connect = {"somewhere", MILTER_FAMILY_UNKNOWN, 0, NULL}},
   "connect host=\"somewhere\" family=unknown"},
  {"helo",
   {.type = MILTER_COMMAND_HELO, .helo = {"client.example.com"}},
   "helo fqdn=\"client.example.com\""},
  {"envelope-from",
   {.type = MILTER_COMMAND_ENVELOPE_FROM, .envelope = {2, from_argv}},
   "envelope-from argv=[\"<a@example.org>\", \"SIZE=10\"]"},
  {"envelope-recipient",
   {.type = MILTER_COMMAND_ENVELOPE_RECIPIENT, .envelope = {1, rcpt_argv}},
   "envelope-recipient argv=[\"<b@example.net>\"]"},
  {"data", {.type = MILTER_COMMAND_DATA}, "data"},
  {"header",
   {.type = MILTER_COMMAND_HEADER, .header = {"Subject", " caf\xc3\xa9"}},
   "header name=\"Subject\" value=\" caf\\xc3\\xa9\""},
  {"end-of-header", {.type = MILTER_COMMAND_END_OF_HEADER}, "end-of-header"},
  {"body",
   {.type = MILTER_COMMAND_BODY, .body = {body_bytes, sizeof (body_bytes) - 1}},
   "body size=7 fnv1a=@HASH@ data=\"Hi\\r\\n\\t\\x01\\xff\""},
  {"body-long",
   {.type = MILTER_COMMAND_BODY, .body = {long_body, sizeof (long_body)}},
   "body size=100 fnv1a=@HASH@ data=\""
   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"..."},
  {"end-of-message-empty",
   {.type = MILTER_COMMAND_END_OF_MESSAGE, .body = {NULL, 0}},
   "end-of-message size=0"},
  {"unknown",
   {.type = MILTER_COMMAND_UNKNOWN, .unknown = {"HELP me"}},
   "unknown command=\"HELP me\""},
  {"abort", {.type = MILTER_COMMAND_ABORT}, "abort"},
  {"quit", {.type = MILTER_COMMAND_QUIT}, "quit"},
  {"quit-new-connection", {.type = MILTER_COMMAND_QUIT_NEW_CONNECTION},
   "quit-new-connection"},
};

/* FNV-1a 64, written out again here so the test does not trust the code. */
static guint64
reference_hash (const guint8 *data, gsize size)
{
  guint64 hash = G_GUINT64_CONSTANT (14695981039346656037);
  gsize i;

  for (i = 0; i < size; i++)
    hash = (hash ^ data[i]) * G_GUINT64_CONSTANT (1099511628211);
  return hash;
}

static void
test_to_string (gconstpointer data)
{
  const StringCase *test_case = data;
  g_autofree gchar *actual = milter_command_to_string (&test_case->command);
  g_autofree gchar *expected = NULL;

  const gchar *mark = strstr (test_case->expected, "@HASH@");

  if (mark)
    expected = g_strdup_printf ("%.*s%016" G_GINT64_MODIFIER "x%s",
                                (int) (mark - test_case->expected),
                                test_case->expected,
                                reference_hash (test_case->command.body.data,
                                                test_case->command.body.size),
                                mark + strlen ("@HASH@"));
  else
    expected = g_strdup (test_case->expected);
  g_assert_cmpstr (actual, ==, expected);
  g_assert_null (strchr (actual, '\n'));
}

static void
test_to_string_distinguishes_bodies (void)
{
  guint8 a[200], b[200];
  MilterCommand command = {.type = MILTER_COMMAND_BODY, .body = {a, sizeof (a)}};
  g_autofree gchar *string_a = NULL;
  g_autofree gchar *string_b = NULL;

  memset (a, 'x', sizeof (a));
  memcpy (b, a, sizeof (b));
  b[150] = 'y';  /* beyond the preview: only the hash tells them apart */
  string_a = milter_command_to_string (&command);
  command.body.data = b;
  string_b = milter_command_to_string (&command);
  g_assert_cmpstr (string_a, !=, string_b);
}

int
main (int argc, char **argv)
{
  guint i;

  memset (long_body, 'x', sizeof (long_body));
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/command/macro-stage", test_macro_stage);
  for (i = 0; i < G_N_ELEMENTS (string_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/command/to-string/%s", string_cases[i].name);

    g_test_add_data_func (path, &string_cases[i], test_to_string);
  }
  g_test_add_func ("/core/command/to-string-distinguishes-bodies",
                   test_to_string_distinguishes_bodies);
  return g_test_run ();
}

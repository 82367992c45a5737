/*
 * test-macros-requests - per-stage macro lists: parsing, matching, union
 */
#include "config.h"

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-macros-requests.h>

static void
assert_stage (const MilterMacrosRequests *requests,
              MilterMacroStage stage,
              const gchar *expected)
{
  g_autofree gchar *actual = milter_macros_requests_to_string (requests, stage);

  g_assert_cmpstr (actual, ==, expected);
}

static void
assert_other_stages_empty (const MilterMacrosRequests *requests,
                           MilterMacroStage stage)
{
  for (guint s = 0; s < MILTER_MACRO_STAGE_COUNT; s++) {
    if (s != stage)
      g_assert_null (milter_macros_requests_get (requests, s)[0]);
  }
}

/* --- the wire string ---------------------------------------------------- */

typedef struct {
  const gchar *input;
  const gchar *expected;
  guint n_names;
} ParseCase;

static const ParseCase parse_cases[] = {
  {"j {daemon_name} _", "j {daemon_name} _", 3},
  {"  j   {daemon_name}  _  ", "j {daemon_name} _", 3},
  {"i\t{auth_type}\t\t{auth_authen}", "i {auth_type} {auth_authen}", 3},
  {"", "", 0},
  {"   ", "", 0},
  {NULL, "", 0},
  {"i i {i}", "i", 1},
  {"{j} j", "{j}", 1},
  {"{daemon_name} daemon_name", "{daemon_name}", 1},
  {"i I", "i I", 2},
  {"{} {x x}", "{} {x x}", 3},
  {"{x x", "{x x", 2},
};

static void
test_parse (gconstpointer data)
{
  const ParseCase *c = data;
  g_autoptr (MilterMacrosRequests) requests = milter_macros_requests_new ();
  const gchar * const *names;

  /* Setting replaces what was there. */
  milter_macros_requests_set_from_string (requests, MILTER_MACRO_STAGE_HELO, "old");
  milter_macros_requests_set_from_string (requests, MILTER_MACRO_STAGE_HELO, c->input);
  names = milter_macros_requests_get (requests, MILTER_MACRO_STAGE_HELO);
  g_assert_nonnull (names);
  g_assert_cmpuint (g_strv_length ((gchar **) names), ==, c->n_names);
  assert_stage (requests, MILTER_MACRO_STAGE_HELO, c->expected);
  assert_other_stages_empty (requests, MILTER_MACRO_STAGE_HELO);
  g_assert_cmpint (milter_macros_requests_is_empty (requests), ==, c->n_names == 0);
}

static void
test_add_and_contains (void)
{
  g_autoptr (MilterMacrosRequests) requests = milter_macros_requests_new ();
  const MilterMacroStage stage = MILTER_MACRO_STAGE_ENVELOPE_FROM;
  const gchar * const *names;

  g_assert_true (milter_macros_requests_is_empty (requests));
  g_assert_null (milter_macros_requests_get (requests, stage)[0]);

  g_assert_true (milter_macros_requests_add (requests, stage, "{auth_type}"));
  g_assert_false (milter_macros_requests_add (requests, stage, "auth_type"));
  g_assert_false (milter_macros_requests_add (requests, stage, "{auth_type}"));
  g_assert_false (milter_macros_requests_add (requests, stage, ""));
  g_assert_true (milter_macros_requests_add (requests, stage, "i"));
  g_assert_false (milter_macros_requests_add (requests, stage, "{i}"));

  names = milter_macros_requests_get (requests, stage);
  g_assert_cmpstr (names[0], ==, "{auth_type}");
  g_assert_cmpstr (names[1], ==, "i");
  g_assert_null (names[2]);

  g_assert_true (milter_macros_requests_contains (requests, stage, "auth_type"));
  g_assert_true (milter_macros_requests_contains (requests, stage, "{i}"));
  g_assert_false (milter_macros_requests_contains (requests, stage, "I"));
  g_assert_false (milter_macros_requests_contains (requests, MILTER_MACRO_STAGE_DATA, "i"));
  g_assert_false (milter_macros_requests_is_empty (requests));

  /* Same name, another stage: independent lists. */
  g_assert_true (milter_macros_requests_add (requests, MILTER_MACRO_STAGE_DATA, "i"));
}

/* --- union merge --------------------------------------------------------- */

typedef struct {
  const gchar *name;
  MilterMacroStage stage;
  const gchar *dest;
  const gchar *src;
  const gchar *expected;
} UnionCase;

static const UnionCase union_cases[] = {
  {"both-empty", MILTER_MACRO_STAGE_CONNECT, "", "", ""},
  {"src-empty", MILTER_MACRO_STAGE_CONNECT, "j _", "", "j _"},
  {"dest-empty", MILTER_MACRO_STAGE_CONNECT, "", "j _", "j _"},
  {"dest-order-then-new", MILTER_MACRO_STAGE_CONNECT,
   "j {daemon_name}", "{daemon_addr} {daemon_name} v j", "j {daemon_name} {daemon_addr} v"},
  {"braces-match-dest-spelling-kept", MILTER_MACRO_STAGE_ENVELOPE_FROM,
   "{j} i", "j {i} k", "{j} i k"},
  {"bare-multi-char-matches-braced", MILTER_MACRO_STAGE_ENVELOPE_RECIPIENT,
   "daemon_name", "{daemon_name} {rcpt_addr}", "daemon_name {rcpt_addr}"},
  {"case-sensitive", MILTER_MACRO_STAGE_DATA, "i", "I", "i I"},
  {"same-lists", MILTER_MACRO_STAGE_END_OF_HEADER, "i {mail_addr}", "{mail_addr} i",
   "i {mail_addr}"},
  {"last-stage", MILTER_MACRO_STAGE_END_OF_MESSAGE, "i", "{msg_id} i", "i {msg_id}"},
};

static void
test_merge_union (gconstpointer data)
{
  const UnionCase *c = data;
  g_autoptr (MilterMacrosRequests) dest = milter_macros_requests_new ();
  g_autoptr (MilterMacrosRequests) src = milter_macros_requests_new ();
  g_autoptr (MilterMacrosRequests) src_before = NULL;
  g_autoptr (MilterMacrosRequests) merged_again = NULL;

  milter_macros_requests_set_from_string (dest, c->stage, c->dest);
  milter_macros_requests_set_from_string (src, c->stage, c->src);
  src_before = milter_macros_requests_copy (src);

  milter_macros_requests_merge_union (dest, src);
  assert_stage (dest, c->stage, c->expected);
  assert_other_stages_empty (dest, c->stage);
  g_assert_true (milter_macros_requests_equal (src, src_before));

  /* Idempotent: merging the same again changes nothing. */
  merged_again = milter_macros_requests_copy (dest);
  milter_macros_requests_merge_union (merged_again, src);
  milter_macros_requests_merge_union (merged_again, dest);
  g_assert_true (milter_macros_requests_equal (merged_again, dest));
}

/* Three children with Postfix-like requests at several stages at once. */
static void
test_merge_union_all_stages (void)
{
  g_autoptr (MilterMacrosRequests) merged = milter_macros_requests_new ();
  g_autoptr (MilterMacrosRequests) a = milter_macros_requests_new ();
  g_autoptr (MilterMacrosRequests) b = milter_macros_requests_new ();
  g_autoptr (MilterMacrosRequests) c = milter_macros_requests_new ();

  milter_macros_requests_set_from_string (a, MILTER_MACRO_STAGE_CONNECT, "j {daemon_name}");
  milter_macros_requests_set_from_string (a, MILTER_MACRO_STAGE_ENVELOPE_FROM, "i");
  milter_macros_requests_set_from_string (b, MILTER_MACRO_STAGE_CONNECT, "_ j");
  milter_macros_requests_set_from_string (b, MILTER_MACRO_STAGE_END_OF_MESSAGE, "i");
  milter_macros_requests_set_from_string (c, MILTER_MACRO_STAGE_ENVELOPE_FROM,
                                          "{auth_type} {i}");

  milter_macros_requests_merge_union (merged, a);
  milter_macros_requests_merge_union (merged, b);
  milter_macros_requests_merge_union (merged, c);

  assert_stage (merged, MILTER_MACRO_STAGE_CONNECT, "j {daemon_name} _");
  assert_stage (merged, MILTER_MACRO_STAGE_HELO, "");
  assert_stage (merged, MILTER_MACRO_STAGE_ENVELOPE_FROM, "i {auth_type}");
  assert_stage (merged, MILTER_MACRO_STAGE_ENVELOPE_RECIPIENT, "");
  assert_stage (merged, MILTER_MACRO_STAGE_DATA, "");
  assert_stage (merged, MILTER_MACRO_STAGE_END_OF_MESSAGE, "i");
  assert_stage (merged, MILTER_MACRO_STAGE_END_OF_HEADER, "");
}

/* --- value operations ---------------------------------------------------- */

typedef struct {
  const gchar *a;
  const gchar *b;
  gboolean equal;
} EqualCase;

static const EqualCase equal_cases[] = {
  {"", "", TRUE},
  {"i j", "i j", TRUE},
  {"{i} daemon_name", "i {daemon_name}", TRUE},
  {"i j", "j i", FALSE},
  {"i", "i j", FALSE},
  {"i", "", FALSE},
  {"i", "I", FALSE},
};

static void
test_equal (gconstpointer data)
{
  const EqualCase *c = data;
  g_autoptr (MilterMacrosRequests) a = milter_macros_requests_new ();
  g_autoptr (MilterMacrosRequests) b = milter_macros_requests_new ();

  milter_macros_requests_set_from_string (a, MILTER_MACRO_STAGE_DATA, c->a);
  milter_macros_requests_set_from_string (b, MILTER_MACRO_STAGE_DATA, c->b);
  g_assert_cmpint (milter_macros_requests_equal (a, b), ==, c->equal);
  g_assert_cmpint (milter_macros_requests_equal (b, a), ==, c->equal);

  /* The same list at another stage is not the same requests. */
  if (c->a[0] != '\0') {
    g_autoptr (MilterMacrosRequests) moved = milter_macros_requests_new ();

    milter_macros_requests_set_from_string (moved, MILTER_MACRO_STAGE_HELO, c->a);
    g_assert_false (milter_macros_requests_equal (a, moved));
  }
}

static void
test_copy_is_independent (void)
{
  g_autoptr (MilterMacrosRequests) original = milter_macros_requests_new ();
  g_autoptr (MilterMacrosRequests) copy = NULL;
  g_autoptr (MilterMacrosRequests) boxed = NULL;

  milter_macros_requests_set_from_string (original, MILTER_MACRO_STAGE_CONNECT, "j _");
  copy = milter_macros_requests_copy (original);
  g_assert_true (milter_macros_requests_equal (copy, original));

  milter_macros_requests_add (copy, MILTER_MACRO_STAGE_CONNECT, "v");
  assert_stage (original, MILTER_MACRO_STAGE_CONNECT, "j _");
  assert_stage (copy, MILTER_MACRO_STAGE_CONNECT, "j _ v");

  boxed = g_boxed_copy (MILTER_TYPE_MACROS_REQUESTS, original);
  g_assert_true (milter_macros_requests_equal (boxed, original));
}

static void
collect_stage (MilterMacroStage stage, const gchar * const *names, gpointer user_data)
{
  GString *log = user_data;
  g_autofree gchar *joined = g_strjoinv (",", (gchar **) names);

  g_string_append_printf (log, "[%d:%s]", stage, joined);
}

static void
test_foreach (void)
{
  g_autoptr (MilterMacrosRequests) requests = milter_macros_requests_new ();
  g_autoptr (GString) log = g_string_new (NULL);

  milter_macros_requests_foreach (requests, collect_stage, log);
  g_assert_cmpstr (log->str, ==, "");

  milter_macros_requests_set_from_string (requests, MILTER_MACRO_STAGE_END_OF_HEADER, "i");
  milter_macros_requests_set_from_string (requests, MILTER_MACRO_STAGE_CONNECT, "j _");
  milter_macros_requests_set_from_string (requests, MILTER_MACRO_STAGE_DATA, "  ");
  milter_macros_requests_foreach (requests, collect_stage, log);
  g_assert_cmpstr (log->str, ==, "[0:j,_][6:i]");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (parse_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/macros-requests/parse/%u", i);
    g_test_add_data_func (path, &parse_cases[i], test_parse);
  }
  g_test_add_func ("/core/macros-requests/add-and-contains", test_add_and_contains);
  for (guint i = 0; i < G_N_ELEMENTS (union_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/macros-requests/merge-union/%s",
                                              union_cases[i].name);
    g_test_add_data_func (path, &union_cases[i], test_merge_union);
  }
  g_test_add_func ("/core/macros-requests/merge-union-all-stages",
                   test_merge_union_all_stages);
  for (guint i = 0; i < G_N_ELEMENTS (equal_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/macros-requests/equal/%u", i);
    g_test_add_data_func (path, &equal_cases[i], test_equal);
  }
  g_test_add_func ("/core/macros-requests/copy", test_copy_is_independent);
  g_test_add_func ("/core/macros-requests/foreach", test_foreach);

  return g_test_run ();
}

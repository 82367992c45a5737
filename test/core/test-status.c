/*
 * test-status - names, reply mapping, finality, ranking and merge of statuses
 */
#include "config.h"

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-status.h>

/* The ranking as documented, most important first. The merge expectations
 * for every pair are read off this list. */
static const MilterStatus ranking[] = {
  MILTER_STATUS_DISCARD,
  MILTER_STATUS_REJECT,
  MILTER_STATUS_TEMPORARY_FAILURE,
  MILTER_STATUS_ERROR,
  MILTER_STATUS_CONTINUE,
  MILTER_STATUS_SKIP,
  MILTER_STATUS_ACCEPT,
  MILTER_STATUS_PASS,
  MILTER_STATUS_STOP,
  MILTER_STATUS_PROGRESS,
  MILTER_STATUS_DEFAULT,
  MILTER_STATUS_NOT_CHANGE,
};
G_STATIC_ASSERT (G_N_ELEMENTS (ranking) == MILTER_STATUS_COUNT);

static guint
position_in_ranking (MilterStatus status)
{
  for (guint i = 0; i < G_N_ELEMENTS (ranking); i++) {
    if (ranking[i] == status)
      return i;
  }
  g_assert_not_reached ();
  return 0;
}

/* --- names --------------------------------------------------------------- */

typedef struct {
  MilterStatus status;
  const gchar *name;
  gboolean final;
} StatusRow;

static const StatusRow status_rows[] = {
  {MILTER_STATUS_NOT_CHANGE, "not-change", FALSE},
  {MILTER_STATUS_CONTINUE, "continue", FALSE},
  {MILTER_STATUS_ACCEPT, "accept", TRUE},
  {MILTER_STATUS_REJECT, "reject", TRUE},
  {MILTER_STATUS_TEMPORARY_FAILURE, "temporary-failure", TRUE},
  {MILTER_STATUS_DISCARD, "discard", TRUE},
  {MILTER_STATUS_SKIP, "skip", FALSE},
  {MILTER_STATUS_PROGRESS, "progress", FALSE},
  {MILTER_STATUS_PASS, "pass", TRUE},
  {MILTER_STATUS_STOP, "stop", TRUE},
  {MILTER_STATUS_ERROR, "error", TRUE},
  {MILTER_STATUS_DEFAULT, "default", FALSE},
};
G_STATIC_ASSERT (G_N_ELEMENTS (status_rows) == MILTER_STATUS_COUNT);

static void
test_status_row (gconstpointer data)
{
  const StatusRow *row = data;
  g_autoptr (GError) error = NULL;
  MilterStatus parsed = MILTER_STATUS_COUNT;
  g_autoptr (GEnumClass) enum_class = g_type_class_ref (MILTER_TYPE_STATUS);
  GEnumValue *value;

  g_assert_cmpstr (milter_status_to_string (row->status), ==, row->name);
  g_assert_true (milter_status_from_string (row->name, &parsed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (parsed, ==, row->status);
  g_assert_cmpint (milter_status_is_final (row->status), ==, row->final);

  value = g_enum_get_value_by_nick (enum_class, row->name);
  g_assert_nonnull (value);
  g_assert_cmpint (value->value, ==, row->status);
}

typedef struct {
  const gchar *string;
  gboolean ok;
  MilterStatus expected;
} FromStringCase;

static const FromStringCase from_string_cases[] = {
  {"tempfail", TRUE, MILTER_STATUS_TEMPORARY_FAILURE},
  {"TempFail", TRUE, MILTER_STATUS_TEMPORARY_FAILURE},
  {"Temporary_Failure", TRUE, MILTER_STATUS_TEMPORARY_FAILURE},
  {" reject ", TRUE, MILTER_STATUS_REJECT},
  {"ACCEPT", TRUE, MILTER_STATUS_ACCEPT},
  {"bogus", FALSE, 0},
  {"", FALSE, 0},
  {"temp-fail", FALSE, 0},
  {"reject!", FALSE, 0},
};

static void
test_from_string (gconstpointer data)
{
  const FromStringCase *c = data;
  g_autoptr (GError) error = NULL;
  MilterStatus status = MILTER_STATUS_COUNT;
  gboolean ok = milter_status_from_string (c->string, &status, &error);

  g_assert_cmpint (ok, ==, c->ok);
  if (c->ok) {
    g_assert_no_error (error);
    g_assert_cmpint (status, ==, c->expected);
  } else {
    g_assert_error (error, MILTER_STATUS_PARSE_ERROR,
                    MILTER_STATUS_PARSE_ERROR_UNKNOWN_NAME);
    g_assert_cmpint (status, ==, MILTER_STATUS_COUNT);
  }
}

static void
test_out_of_range (void)
{
  MilterStatus bogus = (MilterStatus) MILTER_STATUS_COUNT;

  g_assert_null (milter_status_to_string (bogus));
  g_assert_cmpint (milter_status_rank (bogus), ==, -1);
  g_assert_false (milter_status_is_final (bogus));
  g_assert_cmpint (milter_status_merge (bogus, MILTER_STATUS_NOT_CHANGE), ==,
                   MILTER_STATUS_NOT_CHANGE);
  g_assert_cmpint (milter_status_merge (MILTER_STATUS_NOT_CHANGE, bogus), ==,
                   MILTER_STATUS_NOT_CHANGE);
}

/* --- reply bytes and codes ---------------------------------------------- */

typedef struct {
  guint8 reply;
  MilterStatus expected;
} ReplyTypeCase;

static const ReplyTypeCase reply_type_cases[] = {
  {'c', MILTER_STATUS_CONTINUE},
  {'a', MILTER_STATUS_ACCEPT},
  {'r', MILTER_STATUS_REJECT},
  {'t', MILTER_STATUS_TEMPORARY_FAILURE},
  {'d', MILTER_STATUS_DISCARD},
  {'s', MILTER_STATUS_SKIP},
  {'p', MILTER_STATUS_PROGRESS},
  {'4', MILTER_STATUS_TEMPORARY_FAILURE},
  {'f', MILTER_STATUS_TEMPORARY_FAILURE},
  {'y', MILTER_STATUS_NOT_CHANGE},
  {'O', MILTER_STATUS_NOT_CHANGE},
  {'h', MILTER_STATUS_NOT_CHANGE},
  {'i', MILTER_STATUS_NOT_CHANGE},
  {'m', MILTER_STATUS_NOT_CHANGE},
  {'+', MILTER_STATUS_NOT_CHANGE},
  {'2', MILTER_STATUS_NOT_CHANGE},
  {'-', MILTER_STATUS_NOT_CHANGE},
  {'e', MILTER_STATUS_NOT_CHANGE},
  {'b', MILTER_STATUS_NOT_CHANGE},
  {'q', MILTER_STATUS_NOT_CHANGE},
  {0, MILTER_STATUS_ERROR},
  {'C', MILTER_STATUS_ERROR},
  {'x', MILTER_STATUS_ERROR},
  {0xff, MILTER_STATUS_ERROR},
};

static void
test_from_reply_type (gconstpointer data)
{
  const ReplyTypeCase *c = data;

  g_assert_cmpint (milter_status_from_reply_type (c->reply), ==, c->expected);
}

typedef struct {
  guint code;
  MilterStatus from_code;
  gboolean matches_temporary_failure;
  gboolean matches_reject;
} ReplyCodeCase;

static const ReplyCodeCase reply_code_cases[] = {
  {0, MILTER_STATUS_ERROR, FALSE, FALSE},
  {250, MILTER_STATUS_ERROR, FALSE, FALSE},
  {399, MILTER_STATUS_ERROR, FALSE, FALSE},
  {400, MILTER_STATUS_TEMPORARY_FAILURE, TRUE, FALSE},
  {421, MILTER_STATUS_TEMPORARY_FAILURE, TRUE, FALSE},
  {451, MILTER_STATUS_TEMPORARY_FAILURE, TRUE, FALSE},
  {499, MILTER_STATUS_TEMPORARY_FAILURE, TRUE, FALSE},
  {500, MILTER_STATUS_REJECT, FALSE, TRUE},
  {550, MILTER_STATUS_REJECT, FALSE, TRUE},
  {599, MILTER_STATUS_REJECT, FALSE, TRUE},
  {600, MILTER_STATUS_ERROR, FALSE, FALSE},
  {4500, MILTER_STATUS_ERROR, FALSE, FALSE},
};

static void
test_reply_code (gconstpointer data)
{
  const ReplyCodeCase *c = data;

  g_assert_cmpint (milter_status_from_reply_code (c->code), ==, c->from_code);
  for (guint s = 0; s < MILTER_STATUS_COUNT; s++) {
    gboolean expected = FALSE;

    if (s == MILTER_STATUS_TEMPORARY_FAILURE)
      expected = c->matches_temporary_failure;
    else if (s == MILTER_STATUS_REJECT)
      expected = c->matches_reject;
    g_assert_cmpint (milter_status_reply_code_matches ((MilterStatus) s, c->code),
                     ==, expected);
  }
}

/* --- ranking and merge -------------------------------------------------- */

static void
test_rank_follows_ranking (void)
{
  for (guint i = 1; i < G_N_ELEMENTS (ranking); i++)
    g_assert_cmpint (milter_status_rank (ranking[i - 1]), >,
                     milter_status_rank (ranking[i]));
  g_assert_cmpint (milter_status_rank (MILTER_STATUS_NOT_CHANGE), >=, 0);
}

/* Every pair: commutative, and the winner is the higher in the ranking. */
static void
test_merge_every_pair (void)
{
  for (guint a = 0; a < MILTER_STATUS_COUNT; a++) {
    for (guint b = 0; b < MILTER_STATUS_COUNT; b++) {
      MilterStatus expected =
        position_in_ranking (a) <= position_in_ranking (b) ? (MilterStatus) a
                                                           : (MilterStatus) b;
      MilterStatus ab = milter_status_merge (a, b);
      MilterStatus ba = milter_status_merge (b, a);

      if (ab != expected || ba != expected) {
        g_test_message ("merge(%s, %s) = %s, merge(%s, %s) = %s, expected %s",
                        milter_status_to_string (a), milter_status_to_string (b),
                        milter_status_to_string (ab),
                        milter_status_to_string (b), milter_status_to_string (a),
                        milter_status_to_string (ba),
                        milter_status_to_string (expected));
        g_test_fail ();
      }
    }
  }
}

static void
test_merge_associative (void)
{
  for (guint a = 0; a < MILTER_STATUS_COUNT; a++)
    for (guint b = 0; b < MILTER_STATUS_COUNT; b++)
      for (guint c = 0; c < MILTER_STATUS_COUNT; c++)
        g_assert_cmpint (milter_status_merge (milter_status_merge (a, b), c), ==,
                         milter_status_merge (a, milter_status_merge (b, c)));
}

/* The pairs the architecture spells out, written literally so that a
 * wrong ranking list above cannot hide a wrong rule. */
typedef struct {
  MilterStatus a;
  MilterStatus b;
  MilterStatus expected;
} MergeCase;

static const MergeCase merge_cases[] = {
  {MILTER_STATUS_DISCARD, MILTER_STATUS_REJECT, MILTER_STATUS_DISCARD},
  {MILTER_STATUS_REJECT, MILTER_STATUS_TEMPORARY_FAILURE, MILTER_STATUS_REJECT},
  {MILTER_STATUS_TEMPORARY_FAILURE, MILTER_STATUS_CONTINUE, MILTER_STATUS_TEMPORARY_FAILURE},
  {MILTER_STATUS_CONTINUE, MILTER_STATUS_SKIP, MILTER_STATUS_CONTINUE},
  {MILTER_STATUS_SKIP, MILTER_STATUS_ACCEPT, MILTER_STATUS_SKIP},
  {MILTER_STATUS_ACCEPT, MILTER_STATUS_CONTINUE, MILTER_STATUS_CONTINUE},
  {MILTER_STATUS_ACCEPT, MILTER_STATUS_DISCARD, MILTER_STATUS_DISCARD},
  {MILTER_STATUS_PASS, MILTER_STATUS_ACCEPT, MILTER_STATUS_ACCEPT},
  {MILTER_STATUS_STOP, MILTER_STATUS_PASS, MILTER_STATUS_PASS},
  {MILTER_STATUS_ERROR, MILTER_STATUS_CONTINUE, MILTER_STATUS_ERROR},
  {MILTER_STATUS_ERROR, MILTER_STATUS_TEMPORARY_FAILURE, MILTER_STATUS_TEMPORARY_FAILURE},
  {MILTER_STATUS_PROGRESS, MILTER_STATUS_ACCEPT, MILTER_STATUS_ACCEPT},
  {MILTER_STATUS_PROGRESS, MILTER_STATUS_NOT_CHANGE, MILTER_STATUS_PROGRESS},
  {MILTER_STATUS_DEFAULT, MILTER_STATUS_NOT_CHANGE, MILTER_STATUS_DEFAULT},
  {MILTER_STATUS_NOT_CHANGE, MILTER_STATUS_ACCEPT, MILTER_STATUS_ACCEPT},
};

static void
test_merge_case (gconstpointer data)
{
  const MergeCase *c = data;

  g_assert_cmpint (milter_status_merge (c->a, c->b), ==, c->expected);
  g_assert_cmpint (milter_status_merge (c->b, c->a), ==, c->expected);
}

typedef struct {
  const gchar *name;
  guint n;
  MilterStatus statuses[4];
  MilterStatus expected;
} MergeAllCase;

static const MergeAllCase merge_all_cases[] = {
  {"empty", 0, {0}, MILTER_STATUS_NOT_CHANGE},
  {"one", 1, {MILTER_STATUS_SKIP}, MILTER_STATUS_SKIP},
  {"all-accept", 3,
   {MILTER_STATUS_ACCEPT, MILTER_STATUS_ACCEPT, MILTER_STATUS_ACCEPT},
   MILTER_STATUS_ACCEPT},
  {"one-continues", 3,
   {MILTER_STATUS_ACCEPT, MILTER_STATUS_CONTINUE, MILTER_STATUS_SKIP},
   MILTER_STATUS_CONTINUE},
  {"discard-wins", 4,
   {MILTER_STATUS_REJECT, MILTER_STATUS_ACCEPT, MILTER_STATUS_DISCARD,
    MILTER_STATUS_TEMPORARY_FAILURE},
   MILTER_STATUS_DISCARD},
  {"implicit-and-explicit-accept", 3,
   {MILTER_STATUS_PASS, MILTER_STATUS_STOP, MILTER_STATUS_ACCEPT},
   MILTER_STATUS_ACCEPT},
  {"nothing-decided", 2,
   {MILTER_STATUS_NOT_CHANGE, MILTER_STATUS_DEFAULT}, MILTER_STATUS_DEFAULT},
};

static void
test_merge_all (gconstpointer data)
{
  const MergeAllCase *c = data;

  g_assert_cmpint (milter_status_merge_all (c->statuses, c->n), ==, c->expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (status_rows); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/status/row/%s", status_rows[i].name);
    g_test_add_data_func (path, &status_rows[i], test_status_row);
  }
  for (guint i = 0; i < G_N_ELEMENTS (from_string_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/status/from-string/%u", i);
    g_test_add_data_func (path, &from_string_cases[i], test_from_string);
  }
  g_test_add_func ("/core/status/out-of-range", test_out_of_range);
  for (guint i = 0; i < G_N_ELEMENTS (reply_type_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/status/from-reply-type/0x%02x",
                                              reply_type_cases[i].reply);
    g_test_add_data_func (path, &reply_type_cases[i], test_from_reply_type);
  }
  for (guint i = 0; i < G_N_ELEMENTS (reply_code_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/status/reply-code/%u",
                                              reply_code_cases[i].code);
    g_test_add_data_func (path, &reply_code_cases[i], test_reply_code);
  }
  g_test_add_func ("/core/status/rank", test_rank_follows_ranking);
  g_test_add_func ("/core/status/merge/every-pair", test_merge_every_pair);
  g_test_add_func ("/core/status/merge/associative", test_merge_associative);
  for (guint i = 0; i < G_N_ELEMENTS (merge_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/status/merge/case/%u", i);
    g_test_add_data_func (path, &merge_cases[i], test_merge_case);
  }
  for (guint i = 0; i < G_N_ELEMENTS (merge_all_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/status/merge-all/%s",
                                              merge_all_cases[i].name);
    g_test_add_data_func (path, &merge_all_cases[i], test_merge_all);
  }

  return g_test_run ();
}

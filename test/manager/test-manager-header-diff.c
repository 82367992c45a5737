/*
 * test-manager-header-diff - the edits sent to the MTA at end-of-message
 * (manager-behaviour.md §4.6 with D11, D12 and D20 fixed): a table of
 * cases, edits applied by children through core's header operations,
 * and a property test over random original and final header lists
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-headers.h>
#include <milter/manager/milter-manager-header-diff.h>

/* "Name: value" strings to a header list. */
static MilterHeaders *
headers_from (const gchar *const *lines)
{
  MilterHeaders *headers = milter_headers_new ();

  for (; lines && *lines; lines++) {
    const gchar *colon = strchr (*lines, ':');
    g_autofree gchar *name = g_strndup (*lines, (gsize) (colon - *lines));
    const gchar *value = colon[1] == ' ' ? colon + 2 : colon + 1;

    g_assert_true (milter_headers_add (headers, name, value, NULL));
  }
  return headers;
}

/* What the MTA does with the edits, by the protocol's index semantics,
 * which core's header operations implement. */
static void
apply_edits (MilterHeaders *headers, GPtrArray *edits)
{
  for (guint i = 0; i < edits->len; i++) {
    const MilterManagerHeaderEdit *edit = g_ptr_array_index (edits, i);
    g_autoptr (GError) error = NULL;
    gboolean ok = FALSE;

    switch (edit->type) {
    case MILTER_MANAGER_HEADER_EDIT_CHANGE:
      g_assert_cmpstr (edit->value, !=, "");
      ok = milter_headers_change (headers, edit->name, edit->index,
                                  edit->value, &error);
      break;
    case MILTER_MANAGER_HEADER_EDIT_DELETE:
      g_assert_true (milter_headers_find (headers, edit->name, edit->index));
      ok = milter_headers_change (headers, edit->name, edit->index, "",
                                  &error);
      break;
    case MILTER_MANAGER_HEADER_EDIT_INSERT:
      g_assert_cmpuint (edit->index, <, milter_headers_length (headers));
      ok = milter_headers_insert (headers, edit->index, edit->name,
                                  edit->value, &error);
      break;
    case MILTER_MANAGER_HEADER_EDIT_ADD:
      ok = milter_headers_add (headers, edit->name, edit->value, &error);
      break;
    }
    g_assert_no_error (error);
    g_assert_true (ok);
  }
}

static gchar *
edits_to_string (GPtrArray *edits)
{
  GString *string = g_string_new (NULL);

  for (guint i = 0; i < edits->len; i++) {
    g_autofree gchar *edit =
      milter_manager_header_edit_to_string (g_ptr_array_index (edits, i));

    g_string_append_printf (string, "%s%s", i ? "; " : "", edit);
  }
  return g_string_free (string, FALSE);
}

/* Checks that the edits take original to final; returns them as text. */
static gchar *
diff_checked (const MilterHeaders *original, const MilterHeaders *final)
{
  g_autoptr (GPtrArray) edits = milter_manager_header_diff (original, final);
  g_autoptr (MilterHeaders) applied = milter_headers_copy (original);

  apply_edits (applied, edits);
  if (!milter_headers_equal (applied, final)) {
    g_autofree gchar *o = milter_headers_to_string (original);
    g_autofree gchar *f = milter_headers_to_string (final);
    g_autofree gchar *a = milter_headers_to_string (applied);
    g_autofree gchar *e = edits_to_string (edits);

    g_test_message ("original:\n%sfinal:\n%sapplied:\n%sedits: %s", o, f, a, e);
    g_test_fail ();
  }
  return edits_to_string (edits);
}

#define MAX_LINES 8
typedef struct {
  const gchar *name;
  const gchar *original[MAX_LINES];
  const gchar *final[MAX_LINES];
  const gchar *expected;
} DiffCase;

static const DiffCase diff_cases[] = {
  {"unchanged", {"From: a", "Subject: hi"}, {"From: a", "Subject: hi"}, ""},
  {"both empty", {NULL}, {NULL}, ""},
  /* worked example 1; X-Scan is appended with h (D20) */
  {"example 1", {"From: a", "Subject: hi"},
   {"From: a", "Subject: [ok] hi", "X-Scan: clean"},
   "m Subject 1 [ok] hi; h X-Scan: clean"},
  /* worked example 2: the original "no" is kept, "yes" inserted before */
  {"example 2", {"X-Spam: no"}, {"X-Spam: yes", "X-Spam: no"},
   "i 0 X-Spam: yes"},
  /* worked example 3: deletes last first, then the addition (D11) */
  {"example 3", {"X1: v1", "X1: v2", "X1: v3"}, {"X1: v3", "X2: x"},
   "d X1 2; d X1 1; h X2: x"},
  {"insert at 0", {"A: 1", "B: 2"}, {"N: 0", "A: 1", "B: 2"}, "i 0 N: 0"},
  {"insert in the middle", {"A: 1", "C: 3"}, {"A: 1", "B: 2", "C: 3"},
   "i 1 B: 2"},
  {"change of the second occurrence",
   {"Received: r1", "X: x", "Received: r2"},
   {"Received: r1", "X: x", "Received: r2 changed"},
   "m Received 2 r2 changed"},
  {"delete", {"A: 1", "B: 2", "C: 3"}, {"A: 1", "C: 3"}, "d B 1"},
  {"delete the second of duplicates", {"X: 1", "X: 2", "X: 3"},
   {"X: 1", "X: 3"}, "d X 2"},
  {"identical duplicates", {"X: 1", "X: 1", "X: 1"}, {"X: 1", "X: 1"},
   "d X 3"},
  {"duplicate added", {"X: 1"}, {"X: 1", "X: 1"}, "h X: 1"},
  /* D11: deletes before the insert, so the insert's position is final */
  {"deletes then insert", {"A: 1", "B: 2", "C: 3"}, {"N: new", "C: 3"},
   "d B 1; d A 1; i 0 N: new"},
  {"all replaced", {"A: 1"}, {"B: 2"}, "d A 1; h B: 2"},
  {"from nothing", {NULL}, {"A: 1", "B: 2"}, "h A: 1; h B: 2"},
  {"to nothing", {"A: 1", "B: 2"}, {NULL}, "d B 1; d A 1"},
  /* ranks count names case-insensitively, as MTAs do (D12) */
  {"case-insensitive rank", {"subject: a", "Subject: b"},
   {"subject: a", "Subject: B"}, "m Subject 2 B"},
  {"case-insensitive rank of delete", {"x-a: 1", "X-B: 2", "X-A: 3"},
   {"x-a: 1", "X-B: 2"}, "d X-A 2"},
  /* a change keeps the MTA's spelling: a respelt name is replaced */
  {"respelt name", {"subject: a"}, {"Subject: a"},
   "d subject 1; h Subject: a"},
  /* a change to "" would delete: delete and add instead */
  {"empty value", {"A: 1"}, {"A: "}, "d A 1; h A: "},
  {"empty value kept", {"A: ", "B: 1"}, {"A: ", "B: 2"}, "m B 1 2"},
  {"changes before deletes", {"A: 1", "B: 2", "A: 3"}, {"A: one", "A: 3"},
   "m A 1 one; d B 1"},
};

static void
test_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (diff_cases); i++) {
    const DiffCase *c = &diff_cases[i];
    g_autoptr (MilterHeaders) original = headers_from (c->original);
    g_autoptr (MilterHeaders) final = headers_from (c->final);
    g_autofree gchar *got = NULL;

    g_test_message ("case: %s", c->name);
    got = diff_checked (original, final);
    g_assert_cmpstr (got, ==, c->expected);
  }
}

/* Two children edit the store one after the other, as the manager
 * applies their end-of-message replies; the MTA gets one edit each. */
static void
test_two_children_edit_same_header (void)
{
  const gchar *lines[] = {"From: a", "Subject: hi", NULL};
  g_autoptr (MilterHeaders) original = headers_from (lines);
  g_autoptr (MilterHeaders) store = milter_headers_copy (original);
  g_autofree gchar *got = NULL;

  /* child 1 */
  g_assert_true (milter_headers_change (store, "Subject", 1, "[a] hi", NULL));
  g_assert_true (milter_headers_add (store, "X-Scan", "clean", NULL));
  /* child 2, spelling names differently */
  g_assert_true (milter_headers_change (store, "SUBJECT", 1, "[b] [a] hi",
                                        NULL));
  g_assert_true (milter_headers_change (store, "x-scan", 1, "checked", NULL));

  got = diff_checked (original, store);
  g_assert_cmpstr (got, ==, "m Subject 1 [b] [a] hi; h X-Scan: checked");
}

/* Child 2 deletes what child 1 added: nothing reaches the MTA. */
static void
test_added_then_deleted (void)
{
  const gchar *lines[] = {"From: a", NULL};
  g_autoptr (MilterHeaders) original = headers_from (lines);
  g_autoptr (MilterHeaders) store = milter_headers_copy (original);
  g_autofree gchar *got = NULL;

  g_assert_true (milter_headers_insert (store, 0, "X-Tmp", "1", NULL));
  g_assert_true (milter_headers_delete (store, "X-Tmp", 1, NULL));
  got = diff_checked (original, store);
  g_assert_cmpstr (got, ==, "");
}

static const gchar *const random_names[] = {
  "Subject", "subject", "X-A", "x-a", "Received", "From"
};
static const gchar *const random_values[] = {"1", "2", "3", ""};

static const gchar *
pick (const gchar *const *items, guint n)
{
  return items[g_test_rand_int_range (0, (gint32) n)];
}

static MilterHeaders *
random_headers (guint max)
{
  MilterHeaders *headers = milter_headers_new ();
  guint n = (guint) g_test_rand_int_range (0, (gint32) max + 1);

  for (guint i = 0; i < n; i++)
    milter_headers_add (headers,
                        pick (random_names, G_N_ELEMENTS (random_names)),
                        pick (random_values, G_N_ELEMENTS (random_values)),
                        NULL);
  return headers;
}

/* Children's edits, as the store applies them. */
static void
random_edits (MilterHeaders *store)
{
  guint n = (guint) g_test_rand_int_range (0, 6);

  for (guint i = 0; i < n; i++) {
    const gchar *name = pick (random_names, G_N_ELEMENTS (random_names));
    const gchar *value = pick (random_values, G_N_ELEMENTS (random_values));
    guint index = (guint) g_test_rand_int_range (0, 4);

    switch (g_test_rand_int_range (0, 4)) {
    case 0:
      milter_headers_add (store, name, value, NULL);
      break;
    case 1:
      milter_headers_insert (store, index, name, value, NULL);
      break;
    case 2:
      milter_headers_change (store, name, index, value, NULL);
      break;
    default:
      milter_headers_delete (store, name, index, NULL);
      break;
    }
  }
}

/* Property: applying the edits to O gives F, for F derived from O by
 * children's edits and for F unrelated to O. */
static void
test_property (void)
{
  for (guint round = 0; round < 3000; round++) {
    g_autoptr (MilterHeaders) original = random_headers (8);
    g_autoptr (MilterHeaders) final = NULL;
    g_autofree gchar *edits = NULL;

    if (round % 3 == 0) {
      final = random_headers (8);
    } else {
      final = milter_headers_copy (original);
      random_edits (final);
    }
    edits = diff_checked (original, final);
    if (g_test_failed ())
      return;
  }
}

static gchar *
large_diff (guint n)
{
  g_autoptr (MilterHeaders) original = milter_headers_new ();
  g_autoptr (MilterHeaders) final = NULL;

  for (guint i = 0; i < n; i++) {
    g_autofree gchar *value = g_strdup_printf ("%u", i);

    milter_headers_add (original, "Received", value, NULL);
  }
  final = milter_headers_copy (original);
  milter_headers_insert (final, 0, "X-First", "1", NULL);
  milter_headers_add (final, "X-Last", "1", NULL);
  milter_headers_change (final, "Received", n / 2, "changed", NULL);
  return diff_checked (original, final);
}

/* Many headers: paired through the table; above its limit nothing in
 * the middle is paired, which is still exact, only longer. */
static void
test_large (void)
{
  g_autofree gchar *paired = large_diff (1000);
  g_autofree gchar *unpaired = large_diff (2100);

  g_assert_cmpstr (paired, ==,
                   "m Received 500 changed; i 0 X-First: 1; h X-Last: 1");
  g_assert_true (g_str_has_prefix (unpaired, "d Received 2100; "));
  g_assert_true (g_str_has_suffix (unpaired, "; h X-Last: 1"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/header-diff/table", test_table);
  g_test_add_func ("/manager/header-diff/two-children-edit-same-header",
                   test_two_children_edit_same_header);
  g_test_add_func ("/manager/header-diff/added-then-deleted",
                   test_added_then_deleted);
  g_test_add_func ("/manager/header-diff/property", test_property);
  g_test_add_func ("/manager/header-diff/large", test_large);
  return g_test_run ();
}

/*
 * milter-manager-header-diff - the header edits that turn the MTA's
 * headers into the manager's final ones
 *
 * The pairing is a longest common subsequence weighted 2 for an
 * unchanged header and 1 for a changed one: with p pairs of which e are
 * unchanged, the edits sent number |O| + |F| - p - e, so maximising the
 * weight minimises the edits. Most messages differ from the MTA's
 * headers only at the top or the bottom, so the common prefix and suffix
 * are paired first and the table covers only what lies between.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-headers.h>
#include <milter/manager/milter-manager-header-diff.h>

/* Above this many table cells (about 2,000 x 2,000 headers) nothing in
 * the middle is paired: still exact, only more edits, and a hostile
 * child cannot make the manager allocate without bound. */
#define MAX_TABLE_CELLS (4u * 1024u * 1024u)

void
milter_manager_header_edit_free (MilterManagerHeaderEdit *edit)
{
  if (!edit)
    return;
  g_free (edit->name);
  g_free (edit->value);
  g_free (edit);
}

gchar *
milter_manager_header_edit_to_string (const MilterManagerHeaderEdit *edit)
{
  switch (edit->type) {
  case MILTER_MANAGER_HEADER_EDIT_CHANGE:
    return g_strdup_printf ("m %s %u %s", edit->name, edit->index, edit->value);
  case MILTER_MANAGER_HEADER_EDIT_DELETE:
    return g_strdup_printf ("d %s %u", edit->name, edit->index);
  case MILTER_MANAGER_HEADER_EDIT_INSERT:
    return g_strdup_printf ("i %u %s: %s", edit->index, edit->name,
                            edit->value);
  case MILTER_MANAGER_HEADER_EDIT_ADD:
  default:
    return g_strdup_printf ("h %s: %s", edit->name, edit->value);
  }
}

static void
add_edit (GPtrArray *edits,
          MilterManagerHeaderEditType type,
          guint index,
          const gchar *name,
          const gchar *value)
{
  MilterManagerHeaderEdit *edit = g_new (MilterManagerHeaderEdit, 1);

  edit->type = type;
  edit->index = index;
  edit->name = g_strdup (name);
  edit->value = g_strdup (value ? value : "");
  g_ptr_array_add (edits, edit);
}

static gboolean
same_header (const MilterHeader *a, const MilterHeader *b)
{
  return strcmp (a->name, b->name) == 0 && strcmp (a->value, b->value) == 0;
}

/* 2: kept as is; 1: reachable by a change; 0: cannot be paired. */
static guint
pair_weight (const MilterHeader *o, const MilterHeader *f)
{
  if (strcmp (o->name, f->name) != 0)
    return 0;
  if (strcmp (o->value, f->value) == 0)
    return 2;
  /* An empty value in a change-header deletes: not a change. */
  return f->value[0] ? 1 : 0;
}

/* Pairs O[start..start+n_o) with F[start..start+n_f): o_pair[i] = j or -1. */
static void
pair_middle (const MilterHeaders *original,
             const MilterHeaders *final,
             guint start,
             guint n_o,
             guint n_f,
             gint *o_pair)
{
  const guint width = n_f + 1;
  g_autofree guint *score = NULL;

  if (n_o == 0 || n_f == 0 || (gsize) (n_o + 1) * width > MAX_TABLE_CELLS)
    return;

  /* score[i * width + j]: best weight for O[i..] against F[j..]. */
  score = g_new0 (guint, (gsize) (n_o + 1) * width);
  for (guint i = n_o; i-- > 0;) {
    const MilterHeader *o = milter_headers_get_nth (original, start + i);

    for (guint j = n_f; j-- > 0;) {
      const MilterHeader *f = milter_headers_get_nth (final, start + j);
      guint w = pair_weight (o, f);
      guint best = MAX (score[(i + 1) * width + j], score[i * width + j + 1]);

      if (w > 0)
        best = MAX (best, w + score[(i + 1) * width + j + 1]);
      score[i * width + j] = best;
    }
  }

  for (guint i = 0, j = 0; i < n_o && j < n_f;) {
    const MilterHeader *o = milter_headers_get_nth (original, start + i);
    const MilterHeader *f = milter_headers_get_nth (final, start + j);
    guint w = pair_weight (o, f);
    guint here = score[i * width + j];

    if (w > 0 && here == w + score[(i + 1) * width + j + 1]) {
      o_pair[start + i] = (gint) (start + j);
      i++;
      j++;
    } else if (here == score[(i + 1) * width + j]) {
      i++;
    } else {
      j++;
    }
  }
}

/* ranks[i]: 1-based rank of headers[i] among the headers of its name,
 * compared case-insensitively as MTAs compare them (D12). */
static guint *
ranks_new (const MilterHeaders *headers)
{
  const guint n = milter_headers_length (headers);
  g_autoptr (GHashTable) counts =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint *ranks = g_new (guint, MAX (n, 1));

  for (guint i = 0; i < n; i++) {
    gchar *key = g_ascii_strdown (milter_headers_get_nth (headers, i)->name, -1);
    guint rank = GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1;

    g_hash_table_replace (counts, key, GUINT_TO_POINTER (rank));
    ranks[i] = rank;
  }
  return ranks;
}

GPtrArray *
milter_manager_header_diff (const MilterHeaders *original,
                            const MilterHeaders *final)
{
  const guint n_o = milter_headers_length (original);
  const guint n_f = milter_headers_length (final);
  GPtrArray *edits =
    g_ptr_array_new_with_free_func ((GDestroyNotify) milter_manager_header_edit_free);
  g_autofree gint *o_pair = g_new (gint, MAX (n_o, 1));
  g_autofree gboolean *f_paired = g_new0 (gboolean, MAX (n_f, 1));
  g_autofree guint *ranks = ranks_new (original);
  guint prefix = 0;
  guint suffix = 0;
  guint tail_start = 0;

  for (guint i = 0; i < n_o; i++)
    o_pair[i] = -1;
  while (prefix < n_o && prefix < n_f &&
         same_header (milter_headers_get_nth (original, prefix),
                      milter_headers_get_nth (final, prefix))) {
    o_pair[prefix] = (gint) prefix;
    prefix++;
  }
  while (suffix < n_o - prefix && suffix < n_f - prefix &&
         same_header (milter_headers_get_nth (original, n_o - 1 - suffix),
                      milter_headers_get_nth (final, n_f - 1 - suffix))) {
    o_pair[n_o - 1 - suffix] = (gint) (n_f - 1 - suffix);
    suffix++;
  }
  pair_middle (original, final, prefix, n_o - prefix - suffix,
               n_f - prefix - suffix, o_pair);

  /* Changes, in O's order: the MTA still holds O, so O's ranks hold. */
  for (guint i = 0; i < n_o; i++) {
    const MilterHeader *o = milter_headers_get_nth (original, i);
    const MilterHeader *f;

    if (o_pair[i] < 0)
      continue;
    f_paired[o_pair[i]] = TRUE;
    tail_start = MAX (tail_start, (guint) o_pair[i] + 1);
    f = milter_headers_get_nth (final, (guint) o_pair[i]);
    if (strcmp (o->value, f->value) != 0)
      add_edit (edits, MILTER_MANAGER_HEADER_EDIT_CHANGE, ranks[i],
                o->name, f->value);
  }
  /* Deletes, last first: removing a header leaves earlier ranks alone. */
  for (guint i = n_o; i-- > 0;) {
    if (o_pair[i] < 0)
      add_edit (edits, MILTER_MANAGER_HEADER_EDIT_DELETE, ranks[i],
                milter_headers_get_nth (original, i)->name, NULL);
  }
  /* New headers in ascending final position: each lands where F has it,
   * since everything before it is in place by then. */
  for (guint j = 0; j < n_f; j++) {
    const MilterHeader *f = milter_headers_get_nth (final, j);

    if (f_paired[j])
      continue;
    if (j >= tail_start)
      add_edit (edits, MILTER_MANAGER_HEADER_EDIT_ADD, 0, f->name, f->value);
    else
      add_edit (edits, MILTER_MANAGER_HEADER_EDIT_INSERT, j, f->name,
                f->value);
  }
  return edits;
}

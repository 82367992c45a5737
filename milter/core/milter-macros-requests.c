/*
 * milter-macros-requests - the macro names a milter asks for, per stage
 *
 * Lists are short (a handful of names per stage), so lookups are linear
 * scans over NULL-terminated pointer arrays that can be handed out as
 * they are. A stage's array is made on its first name: every server
 * context has a set, and most milters ask for few stages or none.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-macros-requests.h>

struct _MilterMacrosRequests {
  /* of gchar *, NULL-terminated; NULL while the stage has no name */
  GPtrArray *names[MILTER_MACRO_STAGE_COUNT];
};

G_DEFINE_BOXED_TYPE (MilterMacrosRequests, milter_macros_requests,
                     milter_macros_requests_copy, milter_macros_requests_free)

static const gchar * const empty_names[] = {NULL};

static gboolean
stage_is_valid (MilterMacroStage stage)
{
  return (guint) stage < MILTER_MACRO_STAGE_COUNT;
}

/* The name without one pair of enclosing braces, as a (start, length). */
static void
bare_name (const gchar *name, const gchar **start, gsize *length)
{
  gsize size = strlen (name);

  if (size > 2 && name[0] == '{' && name[size - 1] == '}') {
    *start = name + 1;
    *length = size - 2;
  } else {
    *start = name;
    *length = size;
  }
}

static gboolean
names_match (const gchar *a, const gchar *b)
{
  const gchar *a_start, *b_start;
  gsize a_length, b_length;

  bare_name (a, &a_start, &a_length);
  bare_name (b, &b_start, &b_length);
  return a_length == b_length && memcmp (a_start, b_start, a_length) == 0;
}

static guint
list_length (const GPtrArray *list)
{
  return list ? list->len : 0;
}

/* The stage's array, made if it has none yet. */
static GPtrArray *
stage_list (MilterMacrosRequests *requests, MilterMacroStage stage)
{
  if (!requests->names[stage])
    requests->names[stage] = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  return requests->names[stage];
}

static gboolean
list_contains (const GPtrArray *list, const gchar *name)
{
  for (guint i = 0; i < list_length (list); i++) {
    if (names_match (g_ptr_array_index (list, i), name))
      return TRUE;
  }
  return FALSE;
}

/* Takes a name of given length (not NUL-terminated) so that parsing the
 * wire string needs no temporary copies. */
static gboolean
list_add_len (GPtrArray *list, const gchar *name, gsize length)
{
  g_autofree gchar *copy = NULL;

  if (length == 0)
    return FALSE;
  copy = g_strndup (name, length);
  if (list_contains (list, copy))
    return FALSE;
  g_ptr_array_add (list, g_steal_pointer (&copy));
  return TRUE;
}

MilterMacrosRequests *
milter_macros_requests_new (void)
{
  return g_new0 (MilterMacrosRequests, 1);
}

MilterMacrosRequests *
milter_macros_requests_copy (const MilterMacrosRequests *requests)
{
  MilterMacrosRequests *copy = milter_macros_requests_new ();

  for (guint stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++) {
    const GPtrArray *list = requests->names[stage];

    for (guint i = 0; i < list_length (list); i++)
      g_ptr_array_add (stage_list (copy, (MilterMacroStage) stage),
                       g_strdup (g_ptr_array_index (list, i)));
  }
  return copy;
}

void
milter_macros_requests_free (MilterMacrosRequests *requests)
{
  if (!requests)
    return;
  for (guint stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++) {
    if (requests->names[stage])
      g_ptr_array_unref (requests->names[stage]);
  }
  g_free (requests);
}

gboolean
milter_macros_requests_add (MilterMacrosRequests *requests,
                            MilterMacroStage stage,
                            const gchar *name)
{
  g_return_val_if_fail (stage_is_valid (stage), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return list_add_len (stage_list (requests, stage), name, strlen (name));
}

void
milter_macros_requests_set_from_string (MilterMacrosRequests *requests,
                                        MilterMacroStage stage,
                                        const gchar *names)
{
  GPtrArray *list;
  const gchar *p;

  g_return_if_fail (stage_is_valid (stage));

  if (requests->names[stage])
    g_ptr_array_set_size (requests->names[stage], 0);
  if (!names || !*names)
    return;
  list = stage_list (requests, stage);

  p = names;
  while (*p) {
    const gchar *start;

    while (*p == ' ' || *p == '\t')
      p++;
    start = p;
    while (*p && *p != ' ' && *p != '\t')
      p++;
    list_add_len (list, start, (gsize) (p - start));
  }
}

const gchar * const *
milter_macros_requests_get (const MilterMacrosRequests *requests,
                            MilterMacroStage stage)
{
  const GPtrArray *list;

  g_return_val_if_fail (stage_is_valid (stage), empty_names);

  list = requests->names[stage];
  /* A NULL-terminated GPtrArray that never held anything has no pdata. */
  if (list_length (list) == 0 || !list->pdata)
    return empty_names;
  return (const gchar * const *) list->pdata;
}

gboolean
milter_macros_requests_contains (const MilterMacrosRequests *requests,
                                 MilterMacroStage stage,
                                 const gchar *name)
{
  g_return_val_if_fail (stage_is_valid (stage), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return list_contains (requests->names[stage], name);
}

gchar *
milter_macros_requests_to_string (const MilterMacrosRequests *requests,
                                  MilterMacroStage stage)
{
  g_return_val_if_fail (stage_is_valid (stage), g_strdup (""));

  return g_strjoinv (" ", (gchar **) milter_macros_requests_get (requests, stage));
}

void
milter_macros_requests_merge_union (MilterMacrosRequests *dest,
                                    const MilterMacrosRequests *src)
{
  for (guint stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++) {
    const GPtrArray *from = src->names[stage];

    for (guint i = 0; i < list_length (from); i++) {
      const gchar *name = g_ptr_array_index (from, i);

      list_add_len (stage_list (dest, (MilterMacroStage) stage), name,
                    strlen (name));
    }
  }
}

gboolean
milter_macros_requests_equal (const MilterMacrosRequests *a,
                              const MilterMacrosRequests *b)
{
  for (guint stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++) {
    const GPtrArray *a_list = a->names[stage];
    const GPtrArray *b_list = b->names[stage];

    if (list_length (a_list) != list_length (b_list))
      return FALSE;
    for (guint i = 0; i < list_length (a_list); i++) {
      if (!names_match (g_ptr_array_index (a_list, i),
                        g_ptr_array_index (b_list, i)))
        return FALSE;
    }
  }
  return TRUE;
}

gboolean
milter_macros_requests_is_empty (const MilterMacrosRequests *requests)
{
  for (guint stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++) {
    if (list_length (requests->names[stage]) > 0)
      return FALSE;
  }
  return TRUE;
}

void
milter_macros_requests_foreach (const MilterMacrosRequests *requests,
                                MilterMacrosRequestsForeachFunc func,
                                gpointer user_data)
{
  for (guint stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++) {
    if (list_length (requests->names[stage]) == 0)
      continue;
    func ((MilterMacroStage) stage,
          milter_macros_requests_get (requests, (MilterMacroStage) stage),
          user_data);
  }
}

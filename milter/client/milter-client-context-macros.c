/*
 * milter-client-context-macros - the macros the MTA defined, per stage, for a client context
 *
 * SYNOPSIS
 *   _milter_client_context_define_macros (context, command);  (define-macro)
 *   _milter_client_context_clear_macros (context, first, last, keep);
 *   _milter_client_context_free_macros (context);             (finalize)
 *   _milter_client_context_trim_macros (context);   (reuse: big blocks go)
 *   value = milter_client_context_get_macro (context, "{name}");
 *   table = milter_client_context_get_stage_macros (context, 'C');
 *
 * DESCRIPTION
 *   A stage's macros are kept as one reused buffer of "name\0value\0"
 *   pairs (names without braces), so a session's define-macro packets
 *   cost no allocation once the buffers have grown: the MTA sends one per
 *   event, and most milters read a few macros or none. A lookup scans the
 *   stage (a handful of names); when a name comes twice, the last value
 *   counts. The GHashTable of milter_client_context_get_stage_macros() is
 *   made only for a caller that asks, refilled when the stage changed,
 *   and kept (the same object) until the context goes.
 *
 * DIAGNOSTICS
 *   None.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/client/milter-client-context.h>
#include <milter/client/milter-client-context-private.h>

#define N_STAGES MILTER_CLIENT_CONTEXT_N_STAGES

static gint
stage_index (guint8 command)
{
  gint index = milter_macro_command_index (command);

  return index < (gint) N_STAGES ? index : -1;
}

/* "{name}" -> "name" (length into *length): both spellings name one
 * macro. */
static const gchar *
bare_name (const gchar *name, gsize *length)
{
  gsize size = strlen (name);

  if (size >= 2 && name[0] == '{' && name[size - 1] == '}') {
    *length = size - 2;
    return name + 1;
  }
  *length = size;
  return name;
}

static void
clear_stage (MilterClientContextMacros *stage)
{
  stage->size = 0;
  stage->n_macros = 0;
  stage->stale = TRUE;
}

void
_milter_client_context_define_macros (MilterClientContext *self,
                                      const MilterCommand *command)
{
  gint index = stage_index (command->define_macro.stage_command);
  guint n = command->define_macro.n_macros;
  MilterClientContextMacros *stage;
  gsize total = 0;
  guint8 *cursor;

  if (index < 0)
    return;
  stage = &self->macros[index];
  /* Sized once, filled once: no growth step per macro. */
  for (guint i = 0; i < n; i++)
    total += strlen (command->define_macro.names[i]) +
             strlen (command->define_macro.values[i]) + 2;
  clear_stage (stage);
  if (stage->capacity < total) {
    /* A plain block, not a GByteArray: this is per stage and session. */
    g_free (stage->data);
    stage->capacity = MAX (total, 64);
    stage->data = g_malloc (stage->capacity);
  }
  cursor = (guint8 *) stage->data;
  for (guint i = 0; i < n; i++) {
    const gchar *value = command->define_macro.values[i];
    gsize length, value_size = strlen (value) + 1;
    const gchar *name = bare_name (command->define_macro.names[i], &length);

    memcpy (cursor, name, length);
    cursor[length] = '\0';
    cursor += length + 1;
    memcpy (cursor, value, value_size);
    cursor += value_size;
  }
  /* Braces dropped from names: the buffer is that much shorter. */
  stage->size = (gsize) (cursor - (guint8 *) stage->data);
  stage->n_macros = n;
}

void
_milter_client_context_clear_macros (MilterClientContext *self,
                                     gint first, gint last, gint keep)
{
  for (gint i = MAX (first, 0); i <= last && i < (gint) N_STAGES; i++) {
    if (i != keep)
      clear_stage (&self->macros[i]);
  }
}

/* The stage's block goes (its table, if any, stays, marked stale). */
static void
free_stage_data (MilterClientContextMacros *stage)
{
  g_clear_pointer (&stage->data, g_free);
  stage->size = stage->capacity = 0;
  stage->n_macros = 0;
  stage->stale = TRUE;
}

void
_milter_client_context_free_macros (MilterClientContext *self)
{
  for (guint i = 0; i < N_STAGES; i++) {
    free_stage_data (&self->macros[i]);
    g_clear_pointer (&self->macros[i].table, g_hash_table_unref);
  }
}

void
_milter_client_context_trim_macros (MilterClientContext *self)
{
  for (guint i = 0; i < N_STAGES; i++) {
    if (self->macros[i].capacity > 4096)
      free_stage_data (&self->macros[i]);
  }
}

/* The stage's value of the bare name, the last if defined twice. */
static const gchar *
lookup (const MilterClientContextMacros *stage, const gchar *name,
        gsize length)
{
  const gchar *found = NULL;
  const gchar *cursor;

  if (!stage->data || stage->n_macros == 0)
    return NULL;
  cursor = stage->data;
  for (guint i = 0; i < stage->n_macros; i++) {
    gsize name_length = strlen (cursor);
    const gchar *value = cursor + name_length + 1;

    if (name_length == length && memcmp (cursor, name, length) == 0)
      found = value;
    cursor = value + strlen (value) + 1;
  }
  return found;
}

const gchar *
milter_client_context_get_macro (MilterClientContext *context,
                                 const gchar *name)
{
  const gchar *bare;
  const gchar *value;
  gsize length;
  gint current;

  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  bare = bare_name (name, &length);
  current = stage_index (context->in_end_of_message ? 'E' :
                         (guint8) context->current);
  if (current >= 0 &&
      (value = lookup (&context->macros[current], bare, length)))
    return value;
  for (gint i = N_STAGES - 1; i >= 0; i--) {
    if ((value = lookup (&context->macros[i], bare, length)))
      return value;
  }
  return NULL;
}

GHashTable *
milter_client_context_get_stage_macros (MilterClientContext *context,
                                        guint8 stage_command)
{
  gint index = stage_index (stage_command);
  MilterClientContextMacros *stage;
  const gchar *cursor;

  g_return_val_if_fail (MILTER_IS_CLIENT_CONTEXT (context), NULL);
  if (index < 0 || context->macros[index].n_macros == 0)
    return NULL;
  stage = &context->macros[index];
  if (!stage->table)
    stage->table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          g_free);
  if (stage->stale) {
    g_hash_table_remove_all (stage->table);
    cursor = stage->data;
    for (guint i = 0; i < stage->n_macros; i++) {
      const gchar *value = cursor + strlen (cursor) + 1;

      g_hash_table_insert (stage->table, g_strdup (cursor), g_strdup (value));
      cursor = value + strlen (value) + 1;
    }
    stage->stale = FALSE;
  }
  return stage->table;
}

/*
 * milter-manager-custom-commands - a custom document may not introduce
 * commands. See milter-manager-custom-commands.h.
 */
#include "config.h"

#include <string.h>

#include <milter/manager/milter-manager-custom-commands.h>
#include <milter/manager/milter-manager-egg.h>
#include <milter/manager/milter-manager-error.h>

typedef struct {
  MilterManagerConfiguration *configuration;
  guint depth;
  gboolean in_milter;         /* /configuration/milters/milter */
  const gchar *field;         /* name, command or command-options (depth 4) */
  GString *name;
  GString *command;
  GString *options;
  gboolean has_command;
  gboolean has_options;
} Scan;

static void
on_start (GMarkupParseContext *context, const gchar *element, const gchar **names,
          const gchar **values, gpointer user_data, GError **error)
{
  Scan *scan = user_data;
  const GSList *stack = g_markup_parse_context_get_element_stack (context);

  (void) names;
  (void) values;
  (void) error;
  scan->depth++;
  if (scan->depth == 3 && g_str_equal (element, "milter") && stack->next &&
      g_str_equal (stack->next->data, "milters")) {
    scan->in_milter = TRUE;
    g_string_truncate (scan->name, 0);
    g_string_truncate (scan->command, 0);
    g_string_truncate (scan->options, 0);
    scan->has_command = scan->has_options = FALSE;
  } else if (scan->depth == 4 && scan->in_milter) {
    if (g_str_equal (element, "name"))
      scan->field = "name";
    else if (g_str_equal (element, "command"))
      scan->field = "command", scan->has_command = TRUE;
    else if (g_str_equal (element, "command-options"))
      scan->field = "command-options", scan->has_options = TRUE;
  }
}

static void
on_text (GMarkupParseContext *context, const gchar *text, gsize size, gpointer user_data,
         GError **error)
{
  Scan *scan = user_data;

  (void) context;
  (void) error;
  if (!scan->field || scan->depth != 4)
    return;
  if (g_str_equal (scan->field, "name"))
    g_string_append_len (scan->name, text, (gssize) size);
  else if (g_str_equal (scan->field, "command"))
    g_string_append_len (scan->command, text, (gssize) size);
  else
    g_string_append_len (scan->options, text, (gssize) size);
}

/* The command line the milter would have after the load, against the
 * one it has: the loader keeps what an absent element does not set. */
static gboolean
check_milter (Scan *scan, GError **error)
{
  MilterManagerEgg *egg = milter_manager_configuration_find_egg (scan->configuration,
                                                                 scan->name->str);
  const gchar *command = egg ? milter_manager_egg_get_command (egg) : NULL;
  const gchar *options = egg ? milter_manager_egg_get_command_options (egg) : NULL;
  const gchar *new_command = scan->has_command ? scan->command->str : command;
  const gchar *new_options = scan->has_options ? scan->options->str : options;

  if (!scan->has_command && !scan->has_options)
    return TRUE;
  if (g_strcmp0 (command, new_command) == 0 && g_strcmp0 (options, new_options) == 0)
    return TRUE;
  g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE,
               "milter '%s': the controller does not take a new command or new command "
               "options (set them in milter-manager.conf)", scan->name->str);
  return FALSE;
}

static void
on_end (GMarkupParseContext *context, const gchar *element, gpointer user_data, GError **error)
{
  Scan *scan = user_data;

  (void) context;
  (void) element;
  if (scan->depth == 4)
    scan->field = NULL;
  if (scan->depth == 3 && scan->in_milter) {
    scan->in_milter = FALSE;
    check_milter (scan, error);
  }
  scan->depth--;
}

gboolean
milter_manager_custom_commands_check (const gchar *xml, gsize size,
                                      MilterManagerConfiguration *configuration,
                                      GError **error)
{
  static const GMarkupParser parser = { on_start, on_end, on_text, NULL, NULL };
  g_autoptr (GError) local_error = NULL;
  Scan scan = { configuration, 0, FALSE, NULL, g_string_new (NULL), g_string_new (NULL),
                g_string_new (NULL), FALSE, FALSE };
  GMarkupParseContext *context = g_markup_parse_context_new (&parser, 0, &scan, NULL);
  gboolean ok = g_markup_parse_context_parse (context, xml, (gssize) size, &local_error) &&
    g_markup_parse_context_end_parse (context, &local_error);

  g_markup_parse_context_free (context);
  g_string_free (scan.name, TRUE);
  g_string_free (scan.command, TRUE);
  g_string_free (scan.options, TRUE);
  if (ok)
    return TRUE;
  if (local_error->domain == G_MARKUP_ERROR)
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "cannot check the commands: ");
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/*
 * milter-manager-configuration-xml - the get-configuration document.
 * See milter-manager-configuration-xml.h.
 */
#include "config.h"

#include <milter/core/milter-status.h>
#include <milter/manager/milter-manager-configuration-xml.h>
#include <milter/manager/milter-manager-egg.h>

static void
element (GString *out, guint depth, const gchar *name, const gchar *text)
{
  g_autofree gchar *escaped = g_markup_escape_text (text, -1);
  for (guint i = 0; i < depth; i++)
    g_string_append (out, "  ");
  g_string_append_printf (out, "<%s>%s</%s>\n", name, escaped, name);
}

static void
tag (GString *out, guint depth, const gchar *name, gboolean open)
{
  for (guint i = 0; i < depth; i++)
    g_string_append (out, "  ");
  g_string_append_printf (out, open ? "<%s>\n" : "</%s>\n", name);
}

static void
optional (GString *out, guint depth, const gchar *name, const gchar *text)
{
  if (text)
    element (out, depth, name, text);
}

static void
egg_to_xml (GString *out, MilterManagerEgg *egg, GHashTable *stopped)
{
  const gchar *name = milter_manager_egg_get_name (egg);
  gboolean enabled = milter_manager_egg_is_enabled (egg) ||
    (stopped && g_hash_table_contains (stopped, name));
  const gchar *const *conditions = milter_manager_egg_get_applicable_conditions (egg);

  tag (out, 2, "milter", TRUE);
  element (out, 3, "name", name);
  optional (out, 3, "description", milter_manager_egg_get_description (egg));
  element (out, 3, "enabled", enabled ? "true" : "false");
  element (out, 3, "fallback-status",
           milter_status_to_string (milter_manager_egg_get_fallback_status (egg)));
  element (out, 3, "evaluation-mode",
           milter_manager_egg_is_evaluation_mode (egg) ? "true" : "false");
  optional (out, 3, "connection-spec", milter_manager_egg_get_connection_spec (egg));
  optional (out, 3, "command", milter_manager_egg_get_command (egg));
  optional (out, 3, "command-options", milter_manager_egg_get_command_options (egg));
  if (conditions[0]) {
    tag (out, 3, "applicable-conditions", TRUE);
    for (guint i = 0; conditions[i]; i++)
      element (out, 4, "applicable-condition", conditions[i]);
    tag (out, 3, "applicable-conditions", FALSE);
  }
  tag (out, 2, "milter", FALSE);
}

gchar *
milter_manager_configuration_to_xml (MilterManagerConfiguration *configuration,
                                     const MilterManagerXmlCondition *conditions,
                                     guint n_conditions, gint64 last_modified,
                                     GHashTable *stopped)
{
  GString *out = g_string_new ("<configuration>\n");
  GPtrArray *eggs = milter_manager_configuration_get_eggs (configuration);

  if (last_modified >= 0)
    g_string_append_printf (out, "  <last-modified>%" G_GINT64_FORMAT "</last-modified>\n",
                            last_modified);
  if (n_conditions > 0) {
    tag (out, 1, "applicable-conditions", TRUE);
    for (guint i = 0; i < n_conditions; i++) {
      tag (out, 2, "applicable-condition", TRUE);
      element (out, 3, "name", conditions[i].name);
      optional (out, 3, "description", conditions[i].description);
      tag (out, 2, "applicable-condition", FALSE);
    }
    tag (out, 1, "applicable-conditions", FALSE);
  }
  if (eggs->len > 0) {
    tag (out, 1, "milters", TRUE);
    for (guint i = 0; i < eggs->len; i++)
      egg_to_xml (out, eggs->pdata[i], stopped);
    tag (out, 1, "milters", FALSE);
  }
  g_string_append (out, "</configuration>\n");
  return g_string_free (out, FALSE);
}

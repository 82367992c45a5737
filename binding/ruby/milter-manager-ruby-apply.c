/*
 * milter-manager-ruby-apply - the configuration model (GVariant, see
 * milter-manager-ruby-configuration.h) into a MilterManagerConfiguration
 * with its eggs and a MilterManagerDaemonSettings.
 *
 * The daemon-level items are one table (section, item, kind, field), so
 * adding an item is one line; the configuration and egg items go through
 * their objects' validating setters, whose errors are passed up with the
 * item name in front.
 */
#include "config.h"

#include <string.h>

#include "binding/ruby/milter-manager-ruby-apply.h"
#include "binding/ruby/milter-manager-ruby-configuration.h"

typedef enum {
  KIND_STRING,
  KIND_UINT,
  KIND_BOOLEAN
} Kind;

#define FIELD(name) G_STRUCT_OFFSET (MilterManagerDaemonSettings, name)

static const struct {
  const gchar *section;
  const gchar *item;
  Kind kind;
  glong offset;
} daemon_items[] = {
  { "package", "platform", KIND_STRING, FIELD (package_platform) },
  { "package", "options", KIND_STRING, FIELD (package_options) },
  { "security", "privilege_mode", KIND_BOOLEAN, FIELD (privilege_mode) },
  { "security", "effective_user", KIND_STRING, FIELD (effective_user) },
  { "security", "effective_group", KIND_STRING, FIELD (effective_group) },
  { "log", "path", KIND_STRING, FIELD (log_path) },
  { "log", "use_syslog", KIND_BOOLEAN, FIELD (use_syslog) },
  { "log", "syslog_facility", KIND_STRING, FIELD (syslog_facility) },
  { "manager", "connection_spec", KIND_STRING, FIELD (connection_spec) },
  { "manager", "unix_socket_mode", KIND_UINT, FIELD (unix_socket_mode) },
  { "manager", "unix_socket_group", KIND_STRING, FIELD (unix_socket_group) },
  { "manager", "remove_unix_socket_on_create", KIND_BOOLEAN,
    FIELD (remove_unix_socket_on_create) },
  { "manager", "remove_unix_socket_on_close", KIND_BOOLEAN,
    FIELD (remove_unix_socket_on_close) },
  { "manager", "daemon", KIND_BOOLEAN, FIELD (daemon) },
  { "manager", "pid_file", KIND_STRING, FIELD (pid_file) },
  { "manager", "maintenance_interval", KIND_UINT, FIELD (maintenance_interval) },
  { "manager", "suspend_time_on_unacceptable", KIND_UINT,
    FIELD (suspend_time_on_unacceptable) },
  { "manager", "max_connections", KIND_UINT, FIELD (max_connections) },
  { "manager", "max_file_descriptors", KIND_UINT, FIELD (max_file_descriptors) },
  { "manager", "custom_configuration_directory", KIND_STRING,
    FIELD (custom_configuration_directory) },
  { "manager", "event_loop_backend", KIND_STRING, FIELD (event_loop_backend) },
  { "manager", "n_workers", KIND_UINT, FIELD (n_workers) },
  { "manager", "max_pending_finished_sessions", KIND_UINT,
    FIELD (max_pending_finished_sessions) },
  { "controller", "connection_spec", KIND_STRING, FIELD (controller_connection_spec) },
  { "controller", "unix_socket_mode", KIND_UINT, FIELD (controller_unix_socket_mode) },
  { "controller", "unix_socket_group", KIND_STRING,
    FIELD (controller_unix_socket_group) },
  { "controller", "remove_unix_socket_on_create", KIND_BOOLEAN,
    FIELD (controller_remove_unix_socket_on_create) },
  { "controller", "remove_unix_socket_on_close", KIND_BOOLEAN,
    FIELD (controller_remove_unix_socket_on_close) },
};

MilterManagerDaemonSettings *
milter_manager_daemon_settings_new (void)
{
  MilterManagerDaemonSettings *settings = g_new0 (MilterManagerDaemonSettings, 1);
  settings->log_levels = MILTER_LOG_LEVEL_DEFAULT;
  settings->use_syslog = TRUE;
  settings->syslog_facility = g_strdup ("mail");
  settings->unix_socket_mode = 0660;
  settings->remove_unix_socket_on_create = TRUE;
  settings->remove_unix_socket_on_close = TRUE;
  settings->maintenance_interval = 10;
  settings->suspend_time_on_unacceptable = 5;
  settings->event_loop_backend = g_strdup ("glib");
  settings->controller_unix_socket_mode = 0660;
  settings->controller_remove_unix_socket_on_create = TRUE;
  settings->controller_remove_unix_socket_on_close = TRUE;
  return settings;
}

void
milter_manager_daemon_settings_free (MilterManagerDaemonSettings *settings)
{
  if (!settings)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (daemon_items); i++) {
    if (daemon_items[i].kind == KIND_STRING)
      g_free (G_STRUCT_MEMBER (gchar *, settings, daemon_items[i].offset));
  }
  g_free (settings);
}

static gboolean
wrong_type (const gchar *section, const gchar *item, const gchar *expected,
            GVariant *value, GError **error)
{
  g_autofree gchar *text = g_variant_print (value, FALSE);
  g_set_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION,
               "%s.%s should be %s but was %s", section, item, expected, text);
  return FALSE;
}

static gboolean
is_nil (GVariant *value)
{
  return g_variant_is_of_type (value, G_VARIANT_TYPE_MAYBE) &&
         g_variant_n_children (value) == 0;
}

/* String or nil; *text untouched when the item is absent. */
static gboolean
read_string (GVariant *dict, const gchar *section, const gchar *item,
             gchar **text, gboolean *found, GError **error)
{
  g_autoptr (GVariant) value = g_variant_lookup_value (dict, item, NULL);
  *found = value != NULL;
  if (!value)
    return TRUE;
  if (is_nil (value)) {
    g_clear_pointer (text, g_free);
    return TRUE;
  }
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return wrong_type (section, item, "a string or nil", value, error);
  g_free (*text);
  *text = g_variant_dup_string (value, NULL);
  return TRUE;
}

static gboolean
read_uint (GVariant *dict, const gchar *section, const gchar *item,
           guint *number, gboolean *found, GError **error)
{
  g_autoptr (GVariant) value = g_variant_lookup_value (dict, item, NULL);
  *found = value != NULL;
  if (!value)
    return TRUE;
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_INT64) ||
      g_variant_get_int64 (value) < 0 || g_variant_get_int64 (value) > G_MAXUINT)
    return wrong_type (section, item, "an integer 0..4294967295", value, error);
  *number = (guint) g_variant_get_int64 (value);
  return TRUE;
}

static gboolean
read_boolean (GVariant *dict, const gchar *section, const gchar *item,
              gboolean *flag, gboolean *found, GError **error)
{
  g_autoptr (GVariant) value = g_variant_lookup_value (dict, item, NULL);
  *found = value != NULL;
  if (!value)
    return TRUE;
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return wrong_type (section, item, "true or false", value, error);
  *flag = g_variant_get_boolean (value);
  return TRUE;
}

static gboolean
read_seconds (GVariant *dict, const gchar *section, const gchar *item,
              gdouble *seconds, gboolean *found, GError **error)
{
  g_autoptr (GVariant) value = g_variant_lookup_value (dict, item, NULL);
  *found = value != NULL;
  if (!value)
    return TRUE;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    *seconds = g_variant_get_double (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    *seconds = (gdouble) g_variant_get_int64 (value);
  else
    return wrong_type (section, item, "a number of seconds", value, error);
  return TRUE;
}

static gboolean
read_status (GVariant *dict, const gchar *section, const gchar *item,
             MilterStatus *status, gboolean *found, GError **error)
{
  g_autofree gchar *text = NULL;
  if (!read_string (dict, section, item, &text, found, error))
    return FALSE;
  if (!*found)
    return TRUE;
  if (!text || !milter_status_from_string (text, status, NULL)) {
    g_set_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION,
                 "%s.%s should be a status but was %s", section, item,
                 text ? text : "nil");
    return FALSE;
  }
  return TRUE;
}

static gboolean
prefixed (GError *cause, const gchar *section, const gchar *item, GError **error)
{
  if (cause)
    g_propagate_prefixed_error (error, cause, "%s.%s: ", section, item);
  return cause == NULL;
}

gboolean
milter_manager_ruby_apply_log_levels (const gchar *text,
                                      MilterLogLevelFlags *levels,
                                      GError **error)
{
  g_auto (GStrv) names = g_strsplit (text, "|", -1);
  MilterLogLevelFlags result = 0;

  for (gsize i = 0; names[i]; i++) {
    const gchar *name = g_strstrip (names[i]);
    MilterLogLevelFlags one;
    /* Levels of the original our logger folds into its neighbours. */
    if (g_ascii_strcasecmp (name, "message") == 0)
      name = "info";
    else if (g_ascii_strcasecmp (name, "trace") == 0)
      name = "debug";
    if (!milter_log_level_parse (name, &one, error))
      return FALSE;
    result |= one;
  }
  *levels = result;
  return TRUE;
}

static gboolean
apply_daemon_items (GVariant *model, MilterManagerDaemonSettings *settings,
                    GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (daemon_items); i++) {
    g_autoptr (GVariant) section = g_variant_lookup_value (model, daemon_items[i].section,
                                                           G_VARIANT_TYPE_VARDICT);
    gpointer field = G_STRUCT_MEMBER_P (settings, daemon_items[i].offset);
    const gchar *name = daemon_items[i].section, *item = daemon_items[i].item;
    gboolean found, ok = TRUE;
    if (!section)
      continue;
    switch (daemon_items[i].kind) {
    case KIND_STRING:
      ok = read_string (section, name, item, field, &found, error);
      break;
    case KIND_UINT:
      ok = read_uint (section, name, item, field, &found, error);
      break;
    case KIND_BOOLEAN:
      ok = read_boolean (section, name, item, field, &found, error);
      break;
    }
    if (!ok)
      return FALSE;
  }

  g_autoptr (GVariant) log = g_variant_lookup_value (model, "log", G_VARIANT_TYPE_VARDICT);
  g_autofree gchar *level = NULL;
  gboolean found = FALSE;
  if (log && !read_string (log, "log", "level", &level, &found, error))
    return FALSE;
  if (level && strcmp (level, "default") != 0) {
    g_autoptr (GError) cause = NULL;
    if (!milter_manager_ruby_apply_log_levels (level, &settings->log_levels, &cause))
      return prefixed (g_steal_pointer (&cause), "log", "level", error);
    settings->log_level_set = TRUE;
  }
  return TRUE;
}

static gboolean
apply_manager_items (GVariant *model, MilterManagerConfiguration *configuration,
                     GError **error)
{
  g_autoptr (GVariant) manager = g_variant_lookup_value (model, "manager",
                                                         G_VARIANT_TYPE_VARDICT);
  g_autoptr (GError) cause = NULL;
  MilterStatus status;
  guint number;
  gboolean found;

  if (!manager)
    return TRUE;
  if (!read_status (manager, "manager", "fallback_status", &status, &found, error))
    return FALSE;
  if (found && !milter_manager_configuration_set_fallback_status (configuration, status, &cause))
    return prefixed (g_steal_pointer (&cause), "manager", "fallback_status", error);
  if (!read_status (manager, "manager", "fallback_status_at_disconnect", &status, &found, error))
    return FALSE;
  if (found &&
      !milter_manager_configuration_set_fallback_status_at_disconnect (configuration, status,
                                                                       &cause))
    return prefixed (g_steal_pointer (&cause), "manager", "fallback_status_at_disconnect",
                     error);
  if (!read_uint (manager, "manager", "packet_buffer_size", &number, &found, error))
    return FALSE;
  if (found)
    milter_manager_configuration_set_packet_buffer_size (configuration, number);
  if (!read_uint (manager, "manager", "chunk_size", &number, &found, error))
    return FALSE;
  if (found && !milter_manager_configuration_set_chunk_size (configuration, number, &cause))
    return prefixed (g_steal_pointer (&cause), "manager", "chunk_size", error);
  if (!read_uint (manager, "manager", "connection_check_interval", &number, &found, error))
    return FALSE;
  if (found)
    milter_manager_configuration_set_connection_check_interval (configuration, number);
  return TRUE;
}

typedef gboolean (*EggSecondsSetter) (MilterManagerEgg *egg, gdouble seconds, GError **error);
typedef void (*EggStringSetter) (MilterManagerEgg *egg, const gchar *text);

static const struct {
  const gchar *item;
  EggSecondsSetter set;
} egg_timeouts[] = {
  { "connection_timeout", milter_manager_egg_set_connection_timeout },
  { "writing_timeout", milter_manager_egg_set_writing_timeout },
  { "reading_timeout", milter_manager_egg_set_reading_timeout },
  { "end_of_message_timeout", milter_manager_egg_set_end_of_message_timeout },
};

static const struct {
  const gchar *item;
  EggStringSetter set;
} egg_strings[] = {
  { "description", milter_manager_egg_set_description },
  { "command", milter_manager_egg_set_command },
  { "command_options", milter_manager_egg_set_command_options },
  { "user_name", milter_manager_egg_set_user_name },
};

static gboolean
apply_conditions (GVariant *milter, MilterManagerEgg *egg, GError **error)
{
  g_autoptr (GVariant) list = g_variant_lookup_value (milter, "applicable_conditions", NULL);
  if (!list)
    return TRUE;
  if (!g_variant_is_of_type (list, G_VARIANT_TYPE ("av")))
    return wrong_type ("milter", "applicable_conditions", "an array of names", list, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; i < g_variant_n_children (list); i++) {
    g_autoptr (GVariant) boxed = g_variant_get_child_value (list, i);
    g_autoptr (GVariant) name = g_variant_get_variant (boxed);
    if (!g_variant_is_of_type (name, G_VARIANT_TYPE_STRING))
      return wrong_type ("milter", "applicable_conditions", "an array of names", list, error);
    g_ptr_array_add (names, g_variant_dup_string (name, NULL));
  }
  g_ptr_array_add (names, NULL);
  milter_manager_egg_set_applicable_conditions (egg, (const gchar *const *) names->pdata);
  return TRUE;
}

static MilterManagerEgg *
build_egg (GVariant *milter, GError **error)
{
  g_autofree gchar *name = NULL;
  g_autoptr (GError) cause = NULL;
  gboolean found, flag;
  MilterStatus status;

  if (!read_string (milter, "milter", "name", &name, &found, error))
    return NULL;
  if (!name) {
    g_set_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION,
                 "milter.name is missing");
    return NULL;
  }
  g_autoptr (MilterManagerEgg) egg = milter_manager_egg_new (name);
  g_autofree gchar *section = g_strdup_printf ("milter[%s]", name);

  g_autofree gchar *spec = NULL;
  if (!read_string (milter, section, "connection_spec", &spec, &found, error))
    return NULL;
  if (spec && !milter_manager_egg_set_connection_spec (egg, spec, &cause)) {
    prefixed (g_steal_pointer (&cause), section, "connection_spec", error);
    return NULL;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (egg_strings); i++) {
    g_autofree gchar *text = NULL;
    if (!read_string (milter, section, egg_strings[i].item, &text, &found, error))
      return NULL;
    if (found)
      egg_strings[i].set (egg, text);
  }
  if (!read_boolean (milter, section, "enabled", &flag, &found, error))
    return NULL;
  if (found)
    milter_manager_egg_set_enabled (egg, flag);
  if (!read_boolean (milter, section, "evaluation_mode", &flag, &found, error))
    return NULL;
  if (found)
    milter_manager_egg_set_evaluation_mode (egg, flag);
  if (!read_status (milter, section, "fallback_status", &status, &found, error))
    return NULL;
  if (found && !milter_manager_egg_set_fallback_status (egg, status, &cause)) {
    prefixed (g_steal_pointer (&cause), section, "fallback_status", error);
    return NULL;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (egg_timeouts); i++) {
    gdouble seconds;
    if (!read_seconds (milter, section, egg_timeouts[i].item, &seconds, &found, error))
      return NULL;
    if (found && !egg_timeouts[i].set (egg, seconds, &cause)) {
      prefixed (g_steal_pointer (&cause), section, egg_timeouts[i].item, error);
      return NULL;
    }
  }
  if (!apply_conditions (milter, egg, error))
    return NULL;
  return g_steal_pointer (&egg);
}

static gboolean
apply_milters (GVariant *model, MilterManagerConfiguration *configuration, GError **error)
{
  g_autoptr (GVariant) milters = g_variant_lookup_value (model, "milters", NULL);
  if (!milters)
    return TRUE;
  if (!g_variant_is_of_type (milters, G_VARIANT_TYPE ("av")))
    return wrong_type ("configuration", "milters", "an array", milters, error);
  for (gsize i = 0; i < g_variant_n_children (milters); i++) {
    g_autoptr (GVariant) boxed = g_variant_get_child_value (milters, i);
    g_autoptr (GVariant) milter = g_variant_get_variant (boxed);
    if (!g_variant_is_of_type (milter, G_VARIANT_TYPE_VARDICT))
      return wrong_type ("configuration", "milters", "an array of milters", milters, error);
    g_autoptr (MilterManagerEgg) egg = build_egg (milter, error);
    if (!egg)
      return FALSE;
    milter_manager_configuration_add_egg (configuration, egg);
  }
  return TRUE;
}

MilterManagerConfiguration *
milter_manager_ruby_apply (GVariant *model,
                           MilterManagerDaemonSettings **settings,
                           GError **error)
{
  g_return_val_if_fail (g_variant_is_of_type (model, G_VARIANT_TYPE_VARDICT), NULL);

  g_autoptr (MilterManagerDaemonSettings) daemon = milter_manager_daemon_settings_new ();
  g_autoptr (MilterManagerConfiguration) configuration = milter_manager_configuration_new ();
  if (!apply_daemon_items (model, daemon, error) ||
      !apply_manager_items (model, configuration, error) ||
      !apply_milters (model, configuration, error))
    return NULL;
  if (settings)
    *settings = g_steal_pointer (&daemon);
  return g_steal_pointer (&configuration);
}

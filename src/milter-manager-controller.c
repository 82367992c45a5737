/*
 * milter-manager-controller - the daemon's side of the controller
 * socket: what each command does (controller.md §3, §7)
 *
 * DESCRIPTION
 *   Started once the event loop exists (listen-started), with the socket
 *   settings of the configuration loaded at start-up (a reload never
 *   re-binds it); stopped when the run ends. The commands:
 *
 *   reload             milter_manager_daemon_reload(), the routine of
 *                      SIGHUP (syslog and command-line overrides
 *                      re-applied): success, or error with the reason
 *                      (the old configuration stays)
 *   get-configuration  configuration + the XML of §5.1 from the
 *                      configuration new sessions get
 *   set-configuration  checked by a load of the whole configuration with
 *                      it, then saved atomically (milter-manager-custom-
 *                      file.c): success + "reload to apply", or error
 *   get-status         status + the text of doc/controller.md
 *   stop-child NAME    the milter leaves new sessions until the next
 *                      reload: success, or error for an unknown name
 *
 * DIAGNOSTICS
 *   info  [controller][disabled] connection spec isn't specified
 *   error failed to listen controller socket: WHY   (the daemon goes on
 *         without a controller; the controller logged the step too)
 *   error [controller][reload][error] WHY
 *   error [controller][error][save] WHY
 *   info  [controller][stop-child] NAME
 */
#include "config.h"

#include <sys/stat.h>

#include <glib/gstdio.h>

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-configuration-xml.h>
#include "src/milter-manager-daemon.h"

static MilterManagerControlWord
reply_error (GString *reply, const GError *error)
{
  g_string_append (reply, error->message);
  return MILTER_MANAGER_CONTROL_REPLY_ERROR;
}

static MilterManagerControlWord
handle (MilterManagerControlWord command, const guint8 *payload, gsize payload_size,
        GString *reply, gpointer user_data)
{
  MilterManagerDaemon *daemon = user_data;
  g_autoptr (GError) error = NULL;

  switch (command) {
  case MILTER_MANAGER_CONTROL_RELOAD:
    if (!milter_manager_daemon_reload (daemon, &error)) {
      milter_error (0, "[controller][reload][error] %s", error->message);
      return reply_error (reply, error);
    }
    return MILTER_MANAGER_CONTROL_REPLY_SUCCESS;
  case MILTER_MANAGER_CONTROL_GET_CONFIGURATION: {
    g_autofree gchar *xml = milter_manager_daemon_configuration_xml (daemon);
    g_string_append (reply, xml);
    return MILTER_MANAGER_CONTROL_REPLY_CONFIGURATION;
  }
  case MILTER_MANAGER_CONTROL_SET_CONFIGURATION: {
    g_autofree gchar *path =
      milter_manager_daemon_save_custom_file (daemon, (const gchar *) payload, payload_size,
                                              &error);
    if (!path) {
      if (g_error_matches (error, MILTER_MANAGER_DAEMON_ERROR,
                           MILTER_MANAGER_DAEMON_ERROR_SAVE))
        milter_error (0, "[controller][error][save] %s", error->message);
      return reply_error (reply, error);
    }
    g_string_append_printf (reply, "saved to %s: reload to apply it", path);
    return MILTER_MANAGER_CONTROL_REPLY_SUCCESS;
  }
  case MILTER_MANAGER_CONTROL_GET_STATUS: {
    g_autofree gchar *status = milter_manager_daemon_status (daemon);
    g_string_append (reply, status);
    return MILTER_MANAGER_CONTROL_REPLY_STATUS;
  }
  case MILTER_MANAGER_CONTROL_STOP_CHILD: {
    g_autofree gchar *name = g_strndup ((const gchar *) payload, payload_size);
    if (!milter_manager_daemon_stop_child (daemon, name, &error))
      return reply_error (reply, error);
    g_string_append_printf (reply, "%s: out of new sessions until the next reload", name);
    return MILTER_MANAGER_CONTROL_REPLY_SUCCESS;
  }
  default:
    /* The decoder passes commands only. */
    g_string_append (reply, "not a command");
    return MILTER_MANAGER_CONTROL_REPLY_ERROR;
  }
}

void
milter_manager_daemon_controller_start (MilterManagerDaemon *daemon, MilterEventLoop *loop)
{
  const MilterManagerDaemonSettings *settings = daemon->settings;
  g_autoptr (GError) error = NULL;

  if (daemon->controller)
    return;
  if (!settings->controller_connection_spec) {
    milter_info (0, "[controller][disabled] connection spec isn't specified");
    return;
  }
  MilterManagerControllerSocket socket = {
    .connection_spec = settings->controller_connection_spec,
    .unix_socket_mode = settings->controller_unix_socket_mode,
    .unix_socket_group = settings->controller_unix_socket_group,
    .remove_unix_socket_on_create = settings->controller_remove_unix_socket_on_create,
    .remove_unix_socket_on_close = settings->controller_remove_unix_socket_on_close,
  };
  daemon->controller = milter_manager_controller_new (loop, handle, daemon);
  if (!milter_manager_controller_listen (daemon->controller, &socket, &error)) {
    milter_error (0, "failed to listen controller socket: %s", error->message);
    g_clear_pointer (&daemon->controller, milter_manager_controller_free);
  }
}

void
milter_manager_daemon_controller_stop (MilterManagerDaemon *daemon)
{
  g_clear_pointer (&daemon->controller, milter_manager_controller_free);
}

gboolean
milter_manager_daemon_stop_child (MilterManagerDaemon *daemon, const gchar *name,
                                  GError **error)
{
  MilterManagerEgg *egg = milter_manager_configuration_find_egg (daemon->configuration, name);

  if (!egg || (!milter_manager_egg_is_enabled (egg) &&
               !g_hash_table_contains (daemon->stopped_children, name))) {
    g_set_error (error, MILTER_MANAGER_DAEMON_ERROR, MILTER_MANAGER_DAEMON_ERROR_NO_SUCH_MILTER,
                 "no enabled milter named '%s'", name);
    return FALSE;
  }
  /* New sessions hatch enabled eggs only; sessions in flight already
   * have their children. A reload builds new eggs. */
  milter_manager_egg_set_enabled (egg, FALSE);
  g_hash_table_add (daemon->stopped_children, g_strdup (name));
  milter_info (0, "[controller][stop-child] %s", name);
  return TRUE;
}

/* The applicable conditions of the Ruby model: name and description. */
static GArray *
model_conditions (MilterManagerDaemon *daemon, GVariant **model)
{
  GArray *conditions = g_array_new (FALSE, FALSE, sizeof (MilterManagerXmlCondition));

  *model = daemon->ruby ? milter_manager_ruby_configuration_to_variant (daemon->ruby, NULL) : NULL;
  g_autoptr (GVariant) list = *model ?
    g_variant_lookup_value (*model, "applicable_conditions", G_VARIANT_TYPE ("aa{sv}")) : NULL;
  for (gsize i = 0; list && i < g_variant_n_children (list); i++) {
    g_autoptr (GVariant) entry = g_variant_get_child_value (list, i);
    MilterManagerXmlCondition condition = { NULL, NULL };
    /* Borrowed from the model, which outlives the array's use. */
    if (!g_variant_lookup (entry, "name", "&s", &condition.name))
      continue;
    g_variant_lookup (entry, "description", "&s", &condition.description);
    g_array_append_val (conditions, condition);
  }
  return conditions;
}

gchar *
milter_manager_daemon_configuration_xml (MilterManagerDaemon *daemon)
{
  g_autoptr (GVariant) model = NULL;
  g_autoptr (GArray) conditions = model_conditions (daemon, &model);
  g_autofree gchar *custom = milter_manager_daemon_find_custom_file (daemon);
  GStatBuf info;
  gint64 last_modified = -1;

  if (custom && g_stat (custom, &info) == 0)
    last_modified = (gint64) info.st_mtime;
  return milter_manager_configuration_to_xml (daemon->configuration,
                                              (const MilterManagerXmlCondition *) conditions->data,
                                              conditions->len, last_modified,
                                              daemon->stopped_children);
}

static void
append_time (GString *out, const gchar *key, gint64 real_time)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (real_time / G_USEC_PER_SEC);
  g_autofree gchar *text = g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
  g_string_append_printf (out, "%s: %s\n", key, text);
}

static const gchar *
reload_result_name (MilterManagerReloadResult result)
{
  switch (result) {
  case MILTER_MANAGER_RELOAD_SUCCESS:
    return "success";
  case MILTER_MANAGER_RELOAD_FAILURE:
    return "error";
  default:
    return "none";
  }
}

gchar *
milter_manager_daemon_status (MilterManagerDaemon *daemon)
{
  GString *out = g_string_new (NULL);
  GPtrArray *eggs = milter_manager_configuration_get_eggs (daemon->configuration);

  g_string_append_printf (out, "uptime: %.3f\n",
                          (gdouble) (g_get_monotonic_time () - daemon->started_monotonic) /
                          G_USEC_PER_SEC);
  append_time (out, "started-at", daemon->started_at);
  append_time (out, "configuration.loaded-at", daemon->loaded_at);
  g_string_append_printf (out, "configuration.last-reload: %s\n",
                          reload_result_name (daemon->last_reload));
  if (daemon->last_reload != MILTER_MANAGER_RELOAD_NONE)
    append_time (out, "configuration.last-reload-at", daemon->last_reload_at);
  if (daemon->last_reload_error) {
    /* One line: a value never holds a newline. */
    g_autofree gchar *message = g_strdup (daemon->last_reload_error);
    g_strdelimit (message, "\r\n", ' ');
    g_string_append_printf (out, "configuration.last-reload-error: %s\n", message);
  }
  g_string_append_printf (out, "sessions.in-progress: %u\n",
                          daemon->client ?
                          milter_client_get_n_processing_sessions (daemon->client) : 0);
  g_string_append_printf (out, "sessions.finished: %" G_GUINT64_FORMAT "\n",
                          daemon->client ?
                          milter_client_get_n_finished_sessions (daemon->client) : 0);
  /* The configured milters first, even before their first session. */
  for (guint i = 0; i < eggs->len; i++)
    milter_manager_statistics_child (daemon->statistics,
                                     milter_manager_egg_get_name (eggs->pdata[i]));
  milter_manager_statistics_format (daemon->statistics, out);
  for (guint i = 0; i < eggs->len; i++) {
    const gchar *name = milter_manager_egg_get_name (eggs->pdata[i]);
    const gchar *state = g_hash_table_contains (daemon->stopped_children, name) ? "stopped" :
      milter_manager_egg_is_enabled (eggs->pdata[i]) ? "enabled" : "disabled";
    g_string_append (out, "milter.");
    milter_manager_statistics_append_key (out, name);
    g_string_append_printf (out, ".state: %s\n", state);
  }
  return g_string_free (out, FALSE);
}

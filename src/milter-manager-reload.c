/*
 * milter-manager-reload - reload the configuration of a running daemon
 * (SIGHUP and the controller's "reload": one routine for both,
 * configuration.md §6 quirk 3; its result is kept for get-status).
 *
 * The new configuration is built beside the old one (Ruby load, model,
 * C objects, command-line overrides) and swapped in only when all of it
 * succeeded; otherwise the old one stays, untouched. The log level is
 * part of the new settings, so deleting a log.level line and reloading
 * goes back to the default (quirk 4). Sessions in flight keep the
 * configuration they started with: they hold a reference to it; only
 * new sessions see the new one. Items read only at start-up (sockets,
 * PID file, user, workers, event loop, descriptors limit) change what
 * the loaded model says, not the running daemon.
 */
#include "config.h"

#include <milter/core/milter-logger.h>
#include "src/milter-manager-daemon.h"

static gchar *
milter_names (MilterManagerConfiguration *configuration)
{
  GPtrArray *eggs = milter_manager_configuration_get_eggs (configuration);
  GString *names = g_string_new (NULL);
  for (guint i = 0; i < eggs->len; i++)
    g_string_append_printf (names, "%s%s", i ? ", " : "",
                            milter_manager_egg_get_name (eggs->pdata[i]));
  return g_string_free (names, FALSE);
}

static gboolean
reload (MilterManagerDaemon *daemon, GError **error)
{
  MilterManagerLoaded loaded;

  if (!milter_manager_daemon_load (daemon, &loaded, error))
    return FALSE;
  if (!milter_manager_daemon_apply_log (daemon, loaded.settings, error)) {
    /* Put the old log settings back: the new ones are refused whole. */
    if (daemon->settings)
      milter_manager_daemon_apply_log (daemon, daemon->settings, NULL);
    milter_manager_loaded_clear (&loaded);
    return FALSE;
  }
  if (daemon->client)
    milter_manager_daemon_apply_reloadable (daemon, loaded.settings, loaded.configuration);

  milter_manager_daemon_share_launcher (daemon, loaded.settings, loaded.configuration);
  g_clear_object (&daemon->configuration);
  daemon->configuration = g_steal_pointer (&loaded.configuration);
  g_clear_pointer (&daemon->settings, milter_manager_daemon_settings_free);
  daemon->settings = g_steal_pointer (&loaded.settings);
  g_clear_pointer (&daemon->ruby, milter_manager_ruby_configuration_free);
  daemon->ruby = g_steal_pointer (&loaded.ruby);
  milter_manager_loaded_clear (&loaded);
  daemon->loaded_at = g_get_real_time ();
  /* stop-child lasts until the next reload: new eggs, all in again. */
  g_hash_table_remove_all (daemon->stopped_children);

  g_autofree gchar *names = milter_names (daemon->configuration);
  milter_info (0, "[manager][reload][success] configuration reloaded: milters: [%s]", names);
  return TRUE;
}

gboolean
milter_manager_daemon_reload (MilterManagerDaemon *daemon, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean success = reload (daemon, &local_error);

  /* For get-status, whichever trigger it was. */
  daemon->last_reload = success ? MILTER_MANAGER_RELOAD_SUCCESS : MILTER_MANAGER_RELOAD_FAILURE;
  daemon->last_reload_at = g_get_real_time ();
  g_clear_pointer (&daemon->last_reload_error, g_free);
  if (success)
    return TRUE;
  daemon->last_reload_error = g_strdup (local_error->message);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/*
 * milter-manager-daemon - the daemon's state, its one load routine and
 * the application of the settings to the logger and the client. See
 * milter-manager-daemon.h.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <milter/core/milter-logger.h>
#include "src/milter-manager-daemon.h"

void
milter_manager_daemon_init (MilterManagerDaemon *daemon)
{
  daemon->load_path = NULL;
  daemon->configuration = NULL;
  daemon->ruby = NULL;
  daemon->settings = NULL;
  daemon->client = NULL;
  daemon->launcher = NULL;
  daemon->launcher_pid = 0;
  daemon->default_log_levels = milter_logger_get_levels ();
  daemon->is_root = geteuid () == 0;
  daemon->signal_pipe[0] = daemon->signal_pipe[1] = -1;
  daemon->signal_watch = 0;
  daemon->signal_loop = NULL;
  daemon->n_stop_signals = 0;
  daemon->stop_started = 0;
  daemon->stop_timer = 0;
  daemon->controller = NULL;
  daemon->statistics = milter_manager_statistics_new ();
  milter_manager_statistics_set_current (daemon->statistics);
  daemon->stopped_children = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  daemon->started_at = g_get_real_time ();
  daemon->started_monotonic = g_get_monotonic_time ();
  daemon->loaded_at = 0;
  daemon->last_reload = MILTER_MANAGER_RELOAD_NONE;
  daemon->last_reload_at = 0;
  daemon->last_reload_error = NULL;
}

void
milter_manager_daemon_clear (MilterManagerDaemon *daemon)
{
  if (daemon->stop_timer)
    milter_event_loop_remove (daemon->signal_loop, daemon->stop_timer);
  daemon->stop_timer = 0;
  milter_manager_daemon_signals_uninstall (daemon);
  milter_manager_daemon_controller_stop (daemon);
  g_clear_pointer (&daemon->statistics, milter_manager_statistics_free);
  g_clear_pointer (&daemon->stopped_children, g_hash_table_unref);
  g_clear_pointer (&daemon->last_reload_error, g_free);
  g_clear_object (&daemon->client);
  g_clear_object (&daemon->launcher);
  g_clear_object (&daemon->configuration);
  g_clear_pointer (&daemon->ruby, milter_manager_ruby_configuration_free);
  g_clear_pointer (&daemon->settings, milter_manager_daemon_settings_free);
  g_clear_pointer (&daemon->load_path, g_strfreev);
  milter_manager_command_line_clear (&daemon->command_line);
}

void
milter_manager_loaded_clear (MilterManagerLoaded *loaded)
{
  g_clear_pointer (&loaded->ruby, milter_manager_ruby_configuration_free);
  g_clear_object (&loaded->configuration);
  g_clear_pointer (&loaded->settings, milter_manager_daemon_settings_free);
}

static gboolean
load (MilterManagerDaemon *daemon, const gchar *const *load_path,
      MilterManagerLoaded *loaded, gchar **error_file, GError **error)
{
  loaded->ruby = milter_manager_ruby_configuration_load (load_path, error_file, NULL, error);
  if (!loaded->ruby)
    return FALSE;
  /* The command line over the files (milter-manager-command-line.h). */
  g_autoptr (GVariant) overrides = milter_manager_command_line_overrides (&daemon->command_line);
  if (!milter_manager_ruby_configuration_override (loaded->ruby, overrides, error)) {
    g_prefix_error (error, "command line: ");
    return FALSE;
  }
  g_autoptr (GVariant) model = milter_manager_ruby_configuration_to_variant (loaded->ruby, error);
  if (!model)
    return FALSE;
  loaded->configuration = milter_manager_ruby_apply (model, &loaded->settings, error);
  if (!loaded->configuration)
    return FALSE;
  /* The stoppers of the applicable conditions run in the sessions. */
  if (!milter_manager_ruby_configuration_add_conditions (loaded->ruby, loaded->configuration,
                                                         error))
    return FALSE;
  /* Privilege mode starts child milters as other users: root only. It is
   * switched off after loading, so a platform file cannot turn it back
   * on (configuration.md §6 quirk 5). */
  if (!daemon->is_root)
    loaded->settings->privilege_mode = FALSE;
  return TRUE;
}

gboolean
milter_manager_daemon_is_custom_file (const gchar *path)
{
  if (!path)
    return FALSE;
  g_autofree gchar *name = g_path_get_basename (path);
  return g_str_equal (name, "milter-manager.custom.conf");
}

gboolean
milter_manager_daemon_load (MilterManagerDaemon *daemon,
                            MilterManagerLoaded *loaded,
                            GError **error)
{
  g_autoptr (GError) local_error = NULL;

  g_autofree gchar *error_file = NULL;

  memset (loaded, 0, sizeof (*loaded));
  /* A failed clear is told and the load goes on: the new model is built
   * afresh anyway, only once-per-load reports may be missing. */
  if (!milter_manager_ruby_configuration_clear (&local_error)) {
    if (daemon->ruby)
      milter_error (0, "[configuration][load][clear][error] %s", local_error->message);
    else
      milter_error (0, "[configuration][new][clear][error] %s", local_error->message);
    g_clear_error (&local_error);
  }
  if (load (daemon, (const gchar *const *) daemon->load_path, loaded, &error_file, &local_error))
    return TRUE;
  if (milter_manager_daemon_is_custom_file (error_file))
    milter_error (0, "[configuration][load][custom][error] %s", local_error->message);
  else
    milter_error (0, "[configuration][load][error] %s", local_error->message);
  milter_manager_loaded_clear (loaded);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

gboolean
milter_manager_daemon_load_quietly (MilterManagerDaemon *daemon, const gchar *const *load_path,
                                    MilterManagerLoaded *loaded, GError **error)
{
  memset (loaded, 0, sizeof (*loaded));
  if (load (daemon, load_path, loaded, NULL, error))
    return TRUE;
  milter_manager_loaded_clear (loaded);
  return FALSE;
}

gboolean
milter_manager_daemon_apply_log (MilterManagerDaemon *daemon,
                                 const MilterManagerDaemonSettings *settings,
                                 GError **error)
{
  milter_logger_set_levels (settings->log_level_set ? settings->log_levels :
                            daemon->default_log_levels);
  /* NULL: back to the terminal output. */
  if (!milter_logger_set_file (settings->log_path, error)) {
    g_prefix_error (error, "log.path: ");
    return FALSE;
  }
  if (!settings->use_syslog) {
    milter_logger_unset_syslog ();
    return TRUE;
  }
  if (!milter_logger_set_syslog ("milter-manager", settings->syslog_facility, error)) {
    g_prefix_error (error, "log.syslog_facility: ");
    return FALSE;
  }
  return TRUE;
}

void
milter_manager_daemon_apply_reloadable (MilterManagerDaemon *daemon,
                                        const MilterManagerDaemonSettings *settings,
                                        MilterManagerConfiguration *configuration)
{
  MilterClient *client = daemon->client;

  milter_client_set_max_connections (client, settings->max_connections);
  milter_client_set_suspend_time (client, (gdouble) settings->suspend_time_on_unacceptable);
  milter_client_set_maintenance_interval (client, settings->maintenance_interval);
  milter_client_set_packet_buffer_size (client,
                                        milter_manager_configuration_get_packet_buffer_size
                                        (configuration));
}

void
milter_manager_daemon_run_hooks (MilterManagerDaemon *daemon, MilterManagerRubyHooks hooks)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) problems = NULL;

  if (!daemon->ruby)
    return;
  problems = milter_manager_ruby_configuration_run_hooks (daemon->ruby, hooks, &error);
  for (gsize i = 0; problems && problems[i]; i++) {
    if (hooks == MILTER_MANAGER_RUBY_HOOKS_MAINTAINED)
      milter_error (0, "[configuration][maintain][error] %s", problems[i]);
    else
      milter_error (0, "[configuration][event-loop-created][error] %s", problems[i]);
  }
  if (error && hooks == MILTER_MANAGER_RUBY_HOOKS_MAINTAINED)
    milter_error (0, "[configuration][maintain][error] %s", error->message);
  else if (error)
    milter_error (0, "[configuration][event-loop-created][error] %s", error->message);
}

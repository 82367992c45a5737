/*
 * milter-manager-ruby-apply - the loaded configuration model (GVariant)
 * into C objects: the sessions' MilterManagerConfiguration with its eggs,
 * and the daemon's own settings
 *
 * SYNOPSIS
 *   #include "binding/ruby/milter-manager-ruby-apply.h"
 *
 *   g_autoptr (GVariant) model = milter_manager_ruby_configuration_to_variant (ruby, &error);
 *   MilterManagerDaemonSettings *settings = NULL;
 *   MilterManagerConfiguration *configuration =
 *     milter_manager_ruby_apply (model, &settings, &error);
 *   ...
 *   milter_manager_daemon_settings_free (settings);
 *   MilterLogLevelFlags levels;
 *   milter_manager_ruby_apply_log_levels ("error|message", &levels, &error);
 *
 * DESCRIPTION
 *   milter_manager_ruby_apply() reads the model of
 *   milter_manager_ruby_configuration_to_variant() and builds a NEW
 *   configuration (manager.fallback_status, fallback_status_at_disconnect,
 *   packet_buffer_size, chunk_size, connection_check_interval) with one
 *   egg per define_milter entry, in list order, carrying every
 *   define_milter item (configuration.md §3.8). Everything the daemon
 *   itself reads (sockets, PID file, daemon, workers, event loop, limits,
 *   log, security, controller, package) goes into a
 *   MilterManagerDaemonSettings. Nothing global is touched: applying the
 *   settings (logger, client, privileges) is the daemon's business, so a
 *   reload can build the new objects beside the old ones and drop them if
 *   anything is wrong.
 *
 *   Missing items keep the C defaults (they are the DSL's defaults too),
 *   so a model from an older or newer Ruby library still applies.
 *
 *   log.level: the DSL's names; "message" counts as info and "trace" as
 *   debug (our logger has no such levels). "default" leaves
 *   log_level_set FALSE.
 *
 * DIAGNOSTICS
 *   MILTER_MANAGER_RUBY_ERROR_CONFIGURATION naming the item
 *   ("manager.n_workers", "milter[NAME].reading_timeout") when a value
 *   has the wrong type; a value the C setters refuse keeps their
 *   MILTER_MANAGER_ERROR code, prefixed with the item name.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-configuration.h>

G_BEGIN_DECLS

typedef struct {
  /* package */
  gchar *package_platform;
  gchar *package_options;
  /* security */
  gboolean privilege_mode;
  gchar *effective_user;
  gchar *effective_group;
  /* log */
  gboolean log_level_set;            /* FALSE: "default" */
  MilterLogLevelFlags log_levels;
  gchar *log_path;                   /* NULL: standard error */
  gboolean use_syslog;
  gchar *syslog_facility;
  /* manager */
  gchar *connection_spec;
  guint unix_socket_mode;
  gchar *unix_socket_group;
  gboolean remove_unix_socket_on_create;
  gboolean remove_unix_socket_on_close;
  gboolean daemon;
  gchar *pid_file;
  guint maintenance_interval;        /* 0: never */
  guint suspend_time_on_unacceptable;
  guint max_connections;
  guint max_file_descriptors;        /* 0: leave the system limit */
  gchar *custom_configuration_directory;
  gchar *event_loop_backend;
  guint n_workers;
  guint max_pending_finished_sessions;
  /* controller (kept for the controller) */
  gchar *controller_connection_spec;
  guint controller_unix_socket_mode;
  gchar *controller_unix_socket_group;
  gboolean controller_remove_unix_socket_on_create;
  gboolean controller_remove_unix_socket_on_close;
} MilterManagerDaemonSettings;

/* The DSL defaults (configuration.md §3). */
MilterManagerDaemonSettings *milter_manager_daemon_settings_new (void);
void milter_manager_daemon_settings_free (MilterManagerDaemonSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerDaemonSettings,
                               milter_manager_daemon_settings_free)

/* settings may be NULL. */
MilterManagerConfiguration *milter_manager_ruby_apply (GVariant *model,
                                                       MilterManagerDaemonSettings **settings,
                                                       GError **error);

/* The DSL's level text to our levels. */
gboolean milter_manager_ruby_apply_log_levels (const gchar *text,
                                               MilterLogLevelFlags *levels,
                                               GError **error);

G_END_DECLS

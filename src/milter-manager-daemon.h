/*
 * milter-manager-daemon - the state of the running milter-manager and
 * the steps its start-up, reload and signal handling share
 *
 * SYNOPSIS
 *   MilterManagerDaemon daemon;
 *   milter_manager_daemon_init (&daemon);      (after parsing the command line)
 *   milter_manager_daemon_load (&daemon, &loaded, &error);
 *   milter_manager_daemon_apply_log (&daemon, loaded.settings, &error);
 *   milter_manager_daemon_reload (&daemon, &error);         (milter-manager-reload.c)
 *   milter_manager_daemon_start (&daemon);                  (milter-manager-startup.c)
 *   milter_manager_daemon_signals_install (&daemon, loop);  (milter-manager-signals.c)
 *   milter_manager_daemon_clear (&daemon);
 *
 * DESCRIPTION
 *   One load routine for every trigger (start-up, SIGHUP, later the
 *   controller's reload; configuration.md §6 quirk 3): the Ruby
 *   configuration is loaded from the load path, the command line's
 *   items are set on it (so --show-config shows them too), and it is
 *   turned into a NEW MilterManagerConfiguration and daemon settings
 *   (binding/ruby/milter-manager-ruby-apply.h). Nothing of the running daemon changes until the
 *   whole load succeeded; the caller then swaps the result in.
 *
 *   daemon->configuration is what new sessions get (each session holds
 *   a reference to the one it started with).
 *
 * DIAGNOSTICS
 *   error [configuration][load][error] MESSAGE   a load that failed (the
 *   message starts with FILE:LINE when the place is known).
 *   error [configuration][load][custom][error] MESSAGE   the failure is
 *   in milter-manager.custom.conf (the controller's XML file).
 */
#pragma once

#include <glib.h>

#include <milter/client/milter-client.h>
#include "binding/ruby/milter-manager-ruby-apply.h"
#include "binding/ruby/milter-manager-ruby-configuration.h"
#include "src/milter-manager-command-line.h"

G_BEGIN_DECLS

typedef struct {
  MilterManagerCommandLine command_line;
  gchar **load_path;
  /* For new sessions. */
  MilterManagerConfiguration *configuration;
  MilterManagerDaemonSettings *settings;
  MilterClient *client;
  /* The levels "default" means: the logger's at start (MILTER_LOG_LEVEL). */
  MilterLogLevelFlags default_log_levels;
  gboolean is_root;
  /* Signal handling (milter-manager-signals.c). */
  gint signal_pipe[2];
  guint signal_watch;
  MilterEventLoop *signal_loop;
} MilterManagerDaemon;

typedef struct {
  MilterManagerRubyConfiguration *ruby;
  MilterManagerConfiguration *configuration;
  MilterManagerDaemonSettings *settings;
} MilterManagerLoaded;

void milter_manager_daemon_init (MilterManagerDaemon *daemon);
void milter_manager_daemon_clear (MilterManagerDaemon *daemon);
void milter_manager_loaded_clear (MilterManagerLoaded *loaded);

/* Whether a failing file is the custom (XML) one: which row to log. */
gboolean milter_manager_daemon_is_custom_file (const gchar *path);
gboolean milter_manager_daemon_load (MilterManagerDaemon *daemon,
                                     MilterManagerLoaded *loaded,
                                     GError **error);
/* Level, file, syslog and facility. */
gboolean milter_manager_daemon_apply_log (MilterManagerDaemon *daemon,
                                          const MilterManagerDaemonSettings *settings,
                                          GError **error);
/* The client settings a reload may change (configuration.md §3.4 "yes"). */
void milter_manager_daemon_apply_reloadable (MilterManagerDaemon *daemon,
                                             const MilterManagerDaemonSettings *settings,
                                             MilterManagerConfiguration *configuration);

/* milter-manager-reload.c: build the new configuration beside the old
 * and swap it in only when everything loaded; FALSE keeps the old. */
gboolean milter_manager_daemon_reload (MilterManagerDaemon *daemon, GError **error);

/* milter-manager-startup.c: the whole start-up sequence and the run;
 * the process's exit status. */
gint milter_manager_daemon_start (MilterManagerDaemon *daemon);
typedef enum {
  MILTER_MANAGER_STARTUP_FAILURE_LISTEN,
  MILTER_MANAGER_STARTUP_FAILURE_DROP_PRIVILEGE,
  MILTER_MANAGER_STARTUP_FAILURE_DAEMONIZE,
  MILTER_MANAGER_STARTUP_FAILURE_OTHER
} MilterManagerStartupFailure;
/* Which catalogued start-up row an error of milter_client_run is. */
MilterManagerStartupFailure milter_manager_startup_failure_classify (const GError *error);

/* milter-manager-signals.c */
void milter_manager_daemon_signals_install (MilterManagerDaemon *daemon,
                                            MilterEventLoop *loop);
void milter_manager_daemon_signals_uninstall (MilterManagerDaemon *daemon);

G_END_DECLS

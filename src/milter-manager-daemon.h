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
 *   milter_manager_daemon_signals_prepare (&daemon, TRUE);  (milter-manager-signals.c)
 *   milter_manager_daemon_stop (&daemon);                   (milter-manager-stop.c)
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
 *   error [configuration][maintain][error] MESSAGE   a manager.maintained
 *   hook raised.
 *   error [configuration][event-loop-created][error] MESSAGE   a
 *   manager.event_loop_created hook raised.
 */
#pragma once

#include <glib.h>

#include <milter/client/milter-client.h>
#include "binding/ruby/milter-manager-ruby-apply.h"
#include "binding/ruby/milter-manager-ruby-configuration.h"
#include <milter/manager/milter-manager-controller.h>
#include <milter/manager/milter-manager-statistics.h>
#include "src/milter-manager-command-line.h"

G_BEGIN_DECLS

#define MILTER_MANAGER_DAEMON_ERROR (milter_manager_daemon_error_quark ())
GQuark milter_manager_daemon_error_quark (void);

typedef enum {
  /* set-configuration: the document would not load. */
  MILTER_MANAGER_DAEMON_ERROR_INVALID_CUSTOM,
  /* set-configuration: no directory took the file. */
  MILTER_MANAGER_DAEMON_ERROR_SAVE,
  /* stop-child: no such (enabled) milter. */
  MILTER_MANAGER_DAEMON_ERROR_NO_SUCH_MILTER
} MilterManagerDaemonError;

typedef enum {
  MILTER_MANAGER_RELOAD_NONE,
  MILTER_MANAGER_RELOAD_SUCCESS,
  MILTER_MANAGER_RELOAD_FAILURE
} MilterManagerReloadResult;

typedef struct {
  MilterManagerCommandLine command_line;
  gchar **load_path;
  /* For new sessions, and the Ruby model they were built from (its
   * hooks run at maintenance and once the event loop exists). */
  MilterManagerConfiguration *configuration;
  MilterManagerRubyConfiguration *ruby;
  MilterManagerDaemonSettings *settings;
  MilterClient *client;
  /* Privilege mode: the process launcher (milter-manager-launcher-fork.c). */
  MilterManagerLauncher *launcher;
  GPid launcher_pid;
  /* The levels "default" means: the logger's at start (MILTER_LOG_LEVEL). */
  MilterLogLevelFlags default_log_levels;
  gboolean is_root;
  /* Signal handling (milter-manager-signals.c). */
  gint signal_pipe[2];
  guint signal_watch;
  MilterEventLoop *signal_loop;
  /* The graceful stop (milter-manager-stop.c). */
  guint n_stop_signals;
  gint64 stop_started;
  guint stop_timer;
  /* The controller socket (milter-manager-controller.c) and what its
   * get-status reports. */
  MilterManagerController *controller;
  MilterManagerStatistics *statistics;
  GHashTable *stopped_children;      /* names stop-child took out */
  gint64 started_at;                 /* g_get_real_time () */
  gint64 started_monotonic;
  gint64 loaded_at;                  /* of the configuration in use */
  MilterManagerReloadResult last_reload;
  gint64 last_reload_at;
  gchar *last_reload_error;
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
/* The same load from another load path, logging nothing (the
 * controller's check of a custom file before saving it). */
gboolean milter_manager_daemon_load_quietly (MilterManagerDaemon *daemon,
                                             const gchar *const *load_path,
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

/* The current model's maintained or event_loop_created hooks; each
 * failure is logged ([configuration][maintain][error],
 * [configuration][event-loop-created][error]). */
void milter_manager_daemon_run_hooks (MilterManagerDaemon *daemon, MilterManagerRubyHooks hooks);

/* milter-manager-reload.c: build the new configuration beside the old
 * and swap it in only when everything loaded; FALSE keeps the old. */
gboolean milter_manager_daemon_reload (MilterManagerDaemon *daemon, GError **error);

/* milter-manager-controller.c: the controller socket, once the loop
 * exists (nothing when controller.connection_spec is nil); stop closes
 * it and removes its unix socket file. */
void milter_manager_daemon_controller_start (MilterManagerDaemon *daemon,
                                             MilterEventLoop *loop);
void milter_manager_daemon_controller_stop (MilterManagerDaemon *daemon);
/* stop-child: name leaves new sessions until the next reload. */
gboolean milter_manager_daemon_stop_child (MilterManagerDaemon *daemon, const gchar *name,
                                           GError **error);
/* The get-status text (doc/controller.md). */
gchar *milter_manager_daemon_status (MilterManagerDaemon *daemon);
/* The get-configuration document. */
gchar *milter_manager_daemon_configuration_xml (MilterManagerDaemon *daemon);

/* milter-manager-custom-file.c: the custom file a load reads (NULL:
 * none), and set-configuration's check and atomic save; returns the
 * path saved to. */
gchar *milter_manager_daemon_find_custom_file (MilterManagerDaemon *daemon);
gchar *milter_manager_daemon_save_custom_file (MilterManagerDaemon *daemon,
                                               const gchar *content, gsize size,
                                               GError **error);

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

/* milter-manager-launcher-fork.c: the process launcher, forked at
 * start-up in privilege mode (FALSE: logged, start-up fails); shared
 * with each loaded configuration; attached once the loop exists. */
#define MILTER_MANAGER_DAEMON_LAUNCHER_ERROR (milter_manager_daemon_launcher_error_quark ())
GQuark milter_manager_daemon_launcher_error_quark (void);
gboolean milter_manager_daemon_fork_launcher (MilterManagerDaemon *daemon, GError **error);
void milter_manager_daemon_share_launcher (MilterManagerDaemon *daemon,
                                           const MilterManagerDaemonSettings *settings,
                                           MilterManagerConfiguration *configuration);
void milter_manager_daemon_attach_launcher (MilterManagerDaemon *daemon,
                                            MilterEventLoop *loop);

/* milter-manager-signals.c: handlers before the run (SIGTERM and SIGINT
 * too when stop_signals), the pipe watched once the loop exists. */
void milter_manager_daemon_signals_prepare (MilterManagerDaemon *daemon,
                                            gboolean stop_signals);
void milter_manager_daemon_signals_watch (MilterManagerDaemon *daemon,
                                          MilterEventLoop *loop);
void milter_manager_daemon_signals_uninstall (MilterManagerDaemon *daemon);

/* milter-manager-crash.c: the stack trace into the log on SIGSEGV/SIGABRT. */
void milter_manager_crash_handler_install (void);

/* milter-manager-stop.c: the graceful stop. */
#define MILTER_MANAGER_STOP_TIMEOUT 30.0
typedef enum {
  MILTER_MANAGER_STOP_WAIT,        /* sessions in flight: check again */
  MILTER_MANAGER_STOP_NOW,         /* none left, or a second signal */
  MILTER_MANAGER_STOP_TIMED_OUT    /* the bound is reached: close them */
} MilterManagerStopAction;
MilterManagerStopAction milter_manager_stop_decide (guint n_processing,
                                                    gdouble elapsed,
                                                    gdouble limit,
                                                    guint n_signals);
void milter_manager_daemon_stop (MilterManagerDaemon *daemon);
gboolean milter_manager_daemon_is_stopping (MilterManagerDaemon *daemon);

G_END_DECLS

/*
 * milter-manager-startup - the start-up sequence of milter-manager
 * (configuration.md §5) and its run
 *
 * DESCRIPTION
 *   Load path (--config-dir, $MILTER_MANAGER_CONFIG_DIR, the built-in
 *   directory, then the custom configuration directory of an effective
 *   user given on the command line) -> load -> --show-config prints the
 *   dump and ends here -> log settings -> RLIMIT_NOFILE from
 *   manager.max_file_descriptors -> in security.privilege_mode, fork the
 *   process launcher (milter-manager-launcher-fork.c) -> the client: listen, PID file (as
 *   root, before the drop), daemonize, switch user and group (root
 *   only; a non-root start keeps its user) -> SIGHUP/SIGUSR1 handlers
 *   (and, from the first load on, the crash handler: milter-manager-crash.c)
 *   and the controller socket (milter-manager-controller.c: once the
 *   loop exists, at listen-started; closed when the run ends) ->
 *   sessions until SIGTERM/SIGINT (a graceful stop, milter-manager-stop.c). The Ruby hooks manager.event_loop_created
 *   run once listening started, manager.maintained at each maintenance
 *   (the client's "maintain", every manager.maintenance_interval
 *   finished sessions).
 *
 * DIAGNOSTICS (log-catalogue.tsv, module manager)
 *   error [manager][configuration][reload][command-line-load-path][error]
 *         the load with a --config-dir failed
 *   error [manager][reload][custom-load-path][error]
 *         the load with the effective user's custom directory failed
 *   error failed to find password entry for effective user: NAME
 *   error failed to get password entry for effective user: NAME: WHY
 *   error failed to create custom configuration directory: DIR: WHY
 *   error failed to change owner and group of configuration directory: DIR: WHY
 *   error failed to get limit for RLIMIT_NOFILE: WHY
 *   error failed to set limit for RLIMIT_NOFILE: WHY
 *   error failed to listen: WHY
 *   error failed to drop privilege: WHY
 *   error failed to daemonize: WHY
 *   error failed to start milter-manager process: WHY
 *   error failed to listen controller socket: WHY  (milter-manager-controller.c)
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <milter/client/milter-client-process.h>
#include <milter/core/milter-agent.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-socket.h>
#include "src/milter-manager-daemon.h"
#include <milter/manager/milter-manager-leader.h>

MilterManagerStartupFailure
milter_manager_startup_failure_classify (const GError *error)
{
  if (error->domain == MILTER_CLIENT_ERROR &&
      (error->code == MILTER_CLIENT_ERROR_SPEC || error->code == MILTER_CLIENT_ERROR_LISTEN ||
       error->code == MILTER_CLIENT_ERROR_UNIX_SOCKET))
    return MILTER_MANAGER_STARTUP_FAILURE_LISTEN;
  /* The listener passes milter_socket_bind()'s error up unchanged. */
  if (error->domain == MILTER_SOCKET_ERROR)
    return MILTER_MANAGER_STARTUP_FAILURE_LISTEN;
  if (error->domain == MILTER_CLIENT_PROCESS_ERROR) {
    switch (error->code) {
    case MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_USER:
    case MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_GROUP:
    case MILTER_CLIENT_PROCESS_ERROR_PRIVILEGE:
      return MILTER_MANAGER_STARTUP_FAILURE_DROP_PRIVILEGE;
    case MILTER_CLIENT_PROCESS_ERROR_DAEMON:
      return MILTER_MANAGER_STARTUP_FAILURE_DAEMONIZE;
    default:
      break;
    }
  }
  return MILTER_MANAGER_STARTUP_FAILURE_OTHER;
}

static void
log_startup_failure (const GError *error)
{
  switch (milter_manager_startup_failure_classify (error)) {
  case MILTER_MANAGER_STARTUP_FAILURE_LISTEN:
    milter_error (0, "failed to listen: %s", error->message);
    break;
  case MILTER_MANAGER_STARTUP_FAILURE_DROP_PRIVILEGE:
    milter_error (0, "failed to drop privilege: %s", error->message);
    break;
  case MILTER_MANAGER_STARTUP_FAILURE_DAEMONIZE:
    milter_error (0, "failed to daemonize: %s", error->message);
    break;
  case MILTER_MANAGER_STARTUP_FAILURE_OTHER:
    milter_error (0, "failed to start milter-manager process: %s", error->message);
    break;
  }
}

/* The password entry of USER into *entry (strings in *buffer, to be
 * freed): TRUE when found; FALSE with *lookup_errno 0 when there is no
 * such user, or the lookup's error (an unreadable /etc/passwd, NSS). */
static gboolean
find_password_entry (const gchar *user, struct passwd *entry, gchar **buffer,
                     gint *lookup_errno)
{
  struct passwd *result = NULL;
  gsize size = 1024;
  gint rc;

  for (;;) {
    *buffer = g_malloc (size);
    rc = getpwnam_r (user, entry, *buffer, size, &result);
    if (rc != ERANGE || size >= 1024 * 1024)
      break;
    g_clear_pointer (buffer, g_free);
    size *= 4;
  }
  /* "Not found" comes back as 0 or as one of these (getpwnam_r(3)). */
  *lookup_errno = rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM ? 0 : rc;
  return result != NULL;
}

/* ~USER/.milter-manager, where the controller will save the custom
 * file: created (0700, owned by the user) when missing, then appended
 * to the load path. Only an effective user known before the load
 * counts (the command line's). TRUE when the directory was added. */
static gboolean
add_custom_configuration_directory (MilterManagerDaemon *daemon)
{
  const gchar *user = daemon->command_line.user;
  struct passwd entry;
  g_autofree gchar *buffer = NULL;
  gint lookup_errno;

  if (!user || !daemon->is_root)
    return FALSE;
  if (!find_password_entry (user, &entry, &buffer, &lookup_errno)) {
    if (lookup_errno)
      milter_error (0, "failed to get password entry for effective user: %s: %s",
                    user, g_strerror (lookup_errno));
    else
      milter_error (0, "failed to find password entry for effective user: %s", user);
    return FALSE;
  }
  g_autofree gchar *directory = g_build_filename (entry.pw_dir, ".milter-manager", NULL);
  if (!g_file_test (directory, G_FILE_TEST_IS_DIR)) {
    if (g_mkdir (directory, 0700) == -1) {
      milter_error (0, "failed to create custom configuration directory: %s: %s",
                    directory, g_strerror (errno));
      return FALSE;
    }
    if (chown (directory, entry.pw_uid, entry.pw_gid) == -1) {
      milter_error (0, "failed to change owner and group of configuration directory: %s: %s",
                    directory, g_strerror (errno));
      return FALSE;
    }
  }
  guint n = g_strv_length (daemon->load_path);
  daemon->load_path = g_renew (gchar *, daemon->load_path, n + 2);
  daemon->load_path[n] = g_steal_pointer (&directory);
  daemon->load_path[n + 1] = NULL;
  return TRUE;
}

static void
set_file_descriptor_limit (guint max)
{
  struct rlimit limit;
  if (max == 0)
    return;
  if (getrlimit (RLIMIT_NOFILE, &limit) == -1) {
    milter_error (0, "failed to get limit for RLIMIT_NOFILE: %s", g_strerror (errno));
    return;
  }
  limit.rlim_cur = limit.rlim_max = (rlim_t) max;
  if (setrlimit (RLIMIT_NOFILE, &limit) == -1)
    milter_error (0, "failed to set limit for RLIMIT_NOFILE: %s: %u", g_strerror (errno), max);
}

static void
on_connection_established (MilterClient *client, MilterClientContext *context, gpointer data)
{
  MilterManagerDaemon *daemon = data;
  (void) client;
  /* Stopping: no new session (milter-manager-stop.c). */
  if (milter_manager_daemon_is_stopping (daemon)) {
    milter_agent_shutdown (MILTER_AGENT (context));
    return;
  }
  milter_manager_leader_attach (daemon->configuration, context);
}

static void
on_maintain (MilterClient *client, gpointer data)
{
  (void) client;
  milter_manager_daemon_run_hooks (data, MILTER_MANAGER_RUBY_HOOKS_MAINTAINED);
}

static void
on_listen_started (MilterClient *client, gpointer data)
{
  MilterManagerDaemon *daemon = data;
  MilterEventLoop *loop = milter_client_get_event_loop (client);
  milter_manager_daemon_run_hooks (daemon, MILTER_MANAGER_RUBY_HOOKS_EVENT_LOOP_CREATED);
  if (loop)
    milter_manager_daemon_attach_launcher (daemon, loop);
  /* Ruby stoppers run off the loop: a slow one holds only its own child. */
  if (milter_client_get_n_workers (client) == 0 && loop)
    milter_manager_ruby_conditions_run_on (loop);
  /* A multi-worker master has no loop of its own: it passes SIGHUP and
   * SIGUSR1 on to its workers, which reload and reopen themselves. */
  if (milter_client_get_n_workers (client) == 0 && loop) {
    milter_manager_daemon_signals_watch (daemon, loop);
    /* Now that the loop exists (the original set its controller up
     * before: it never listened). */
    milter_manager_daemon_controller_start (daemon, loop);
  } else if (daemon->settings->controller_connection_spec) {
    milter_warning (0, "[controller][disabled] not available with manager.n_workers > 0");
  }
}

/* In each worker: its own configuration, so its own reload and reopen.
 * SIGTERM and SIGINT stay the client library's (the master stops the
 * workers). */
static void
on_worker_started (MilterClient *client, gpointer data)
{
  MilterManagerDaemon *daemon = data;
  milter_manager_daemon_signals_prepare (daemon, FALSE);
  milter_manager_daemon_signals_watch (daemon, milter_client_get_event_loop (client));
  /* Ruby stoppers stay on the worker's loop: Ruby's thread state does
   * not survive our fork(2) (a worker's first pool job was seen to hang),
   * so the pool is for the single-process daemon only. */
}

static gboolean
configure_client (MilterManagerDaemon *daemon, GError **error)
{
  const MilterManagerDaemonSettings *settings = daemon->settings;
  MilterClient *client = milter_client_new ();
  daemon->client = client;

  if (!milter_client_set_connection_spec (client, settings->connection_spec, error)) {
    g_prefix_error (error, "manager.connection_spec: ");
    return FALSE;
  }
  milter_client_set_unix_socket_mode (client, settings->unix_socket_mode);
  milter_client_set_unix_socket_group (client, settings->unix_socket_group);
  milter_client_set_remove_unix_socket_on_create (client, settings->remove_unix_socket_on_create);
  milter_client_set_remove_unix_socket_on_close (client, settings->remove_unix_socket_on_close);
  milter_client_set_event_loop_backend (client, settings->event_loop_backend);
  milter_client_set_n_workers (client, settings->n_workers);
  milter_client_set_pid_file (client, settings->pid_file);
  milter_client_set_daemon (client, settings->daemon);
  if (daemon->is_root) {
    milter_client_set_user (client, settings->effective_user);
    milter_client_set_group (client, settings->effective_group);
  } else if (settings->effective_user || settings->effective_group) {
    milter_info (0, "[manager][privilege][skip] not started as root: "
                 "effective user and group are not switched to");
  }
  milter_manager_daemon_apply_reloadable (daemon, settings, daemon->configuration);
  /* One process: our handlers stop it gracefully. A multi-worker master
   * is the client library's (it stops its workers). */
  if (settings->n_workers == 0) {
    milter_client_set_handle_signals (client, FALSE);
    milter_manager_daemon_signals_prepare (daemon, TRUE);
  }
  g_signal_connect (client, "connection-established",
                    G_CALLBACK (on_connection_established), daemon);
  g_signal_connect (client, "listen-started", G_CALLBACK (on_listen_started), daemon);
  g_signal_connect (client, "worker-started", G_CALLBACK (on_worker_started), daemon);
  g_signal_connect (client, "maintain", G_CALLBACK (on_maintain), daemon);
  return TRUE;
}

static gint
fail (const GError *error)
{
  g_printerr ("milter-manager: %s\n", error->message);
  return EXIT_FAILURE;
}

gint
milter_manager_daemon_start (MilterManagerDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  MilterManagerLoaded loaded;

  /* The command line's log settings hold for the load's own lines too. */
  if (daemon->command_line.log_levels_given)
    milter_logger_set_levels (daemon->command_line.log_levels);
  const gchar *log_path = daemon->command_line.client.log_path;
  if (log_path && g_strcmp0 (log_path, "-") != 0 && !milter_logger_set_file (log_path, &error))
    return fail (error);

  daemon->load_path =
    milter_manager_ruby_configuration_default_load_path (daemon->command_line.config_dir);
  gboolean custom_directory = add_custom_configuration_directory (daemon);
  if (!milter_manager_daemon_load (daemon, &loaded, &error)) {
    /* Which directory the failed load took in, as the original says it. */
    if (custom_directory)
      milter_error (0, "[manager][reload][custom-load-path][error] %s", error->message);
    else if (daemon->command_line.config_dir)
      milter_error (0, "[manager][configuration][reload][command-line-load-path][error] %s",
                    error->message);
    return fail (error);
  }
  if (daemon->command_line.show_config) {
    g_autofree gchar *dump = milter_manager_ruby_configuration_dump (loaded.ruby, &error);
    milter_manager_loaded_clear (&loaded);
    if (!dump)
      return fail (error);
    fputs (dump, stdout);
    return fflush (stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
  }
  daemon->configuration = g_steal_pointer (&loaded.configuration);
  daemon->settings = g_steal_pointer (&loaded.settings);
  daemon->ruby = g_steal_pointer (&loaded.ruby);
  /* After the load: Ruby's start-up sets a SIGSEGV handler of its own. */
  milter_manager_crash_handler_install ();
  daemon->loaded_at = g_get_real_time ();
  if (!milter_manager_daemon_apply_log (daemon, daemon->settings, &error))
    return fail (error);

  set_file_descriptor_limit (daemon->settings->max_file_descriptors);
  /* Before the MTA socket and the privilege drop: the launcher keeps
   * the identity the daemon started with (launcher.md §1). */
  if (!milter_manager_daemon_fork_launcher (daemon, &error))
    return fail (error);
  if (!configure_client (daemon, &error))
    return fail (error);
  gboolean ran = milter_client_run (daemon->client, &error);
  /* Its unix socket file goes with the MTA's. */
  milter_manager_daemon_controller_stop (daemon);
  if (!ran) {
    log_startup_failure (error);
    return fail (error);
  }
  return EXIT_SUCCESS;
}

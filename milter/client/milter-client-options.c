/*
 * milter-client-options - the command-line options every milter shares
 *
 * SYNOPSIS
 *   void milter_client_options_init (options, program, version, default_spec);
 *   GOptionGroup *milter_client_options_group_new (options);
 *   gboolean milter_client_options_apply (options, client, &error);
 *   void milter_client_options_clear (options);
 *   const gchar *milter_client_options_replacement (deprecated_name);
 *
 * DESCRIPTION
 *   See milter-client-options.h. Deprecated spellings are callback
 *   options: the callback logs and stores the value where the current
 *   spelling would.
 *
 * DIAGNOSTICS
 *   [client][option][deprecated] (warning); G_OPTION_ERROR from apply().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/client/milter-client-options.h>

static const struct {
  const gchar *deprecated;
  const gchar *current;
} replacements[] = {
  { "--spec", "--connection-spec" },
  { "--max-connection", "--max-connections" },
  { "--n-worker", "--n-workers" },
};

const gchar *
milter_client_options_replacement (const gchar *deprecated_name)
{
  if (!deprecated_name)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (replacements); i++) {
    if (strcmp (replacements[i].deprecated, deprecated_name) == 0)
      return replacements[i].current;
  }
  return NULL;
}

void
milter_client_options_init (MilterClientOptions *options,
                            const gchar *program_name,
                            const gchar *version,
                            const gchar *default_connection_spec)
{
  memset (options, 0, sizeof (*options));
  options->program_name = g_strdup (program_name);
  options->version = g_strdup (version);
  options->default_connection_spec = g_strdup (default_connection_spec);
  options->n_workers = -1;
  options->packet_buffer_size = -1;
  options->max_connections = -1;
}

void
milter_client_options_clear (MilterClientOptions *options)
{
  g_clear_pointer (&options->program_name, g_free);
  g_clear_pointer (&options->version, g_free);
  g_clear_pointer (&options->default_connection_spec, g_free);
  g_clear_pointer (&options->connection_spec, g_free);
  g_clear_pointer (&options->log_level, g_free);
  g_clear_pointer (&options->log_path, g_free);
  g_clear_pointer (&options->syslog_facility, g_free);
  g_clear_pointer (&options->user, g_free);
  g_clear_pointer (&options->user_name, g_free);
  g_clear_pointer (&options->group, g_free);
  g_clear_pointer (&options->group_name, g_free);
  g_clear_pointer (&options->unix_socket_mode, g_free);
  g_clear_pointer (&options->unix_socket_group, g_free);
  g_clear_pointer (&options->event_loop_backend, g_free);
  g_clear_pointer (&options->pid_file, g_free);
}

static gboolean
parse_count (const gchar *name, const gchar *value, gint *result,
             GError **error)
{
  gchar *end = NULL;
  gint64 number = g_ascii_strtoll (value, &end, 10);

  if (!value[0] || *end || number < 0 || number > G_MAXINT) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s: not a count: '%s'", name, value);
    return FALSE;
  }
  *result = (gint) number;
  return TRUE;
}

static gboolean
deprecated_option (const gchar *option_name,
                   const gchar *value,
                   gpointer data,
                   GError **error)
{
  MilterClientOptions *options = data;
  const gchar *current = milter_client_options_replacement (option_name);

  milter_warning (0, "[client][option][deprecated] %s is deprecated: use %s",
                  option_name, current ? current : "the current spelling");
  if (g_strcmp0 (current, "--connection-spec") == 0) {
    g_free (options->connection_spec);
    options->connection_spec = g_strdup (value);
    return TRUE;
  }
  if (g_strcmp0 (current, "--max-connections") == 0)
    return parse_count (current, value, &options->max_connections, error);
  if (g_strcmp0 (current, "--n-workers") == 0)
    return parse_count (current, value, &options->n_workers, error);
  return TRUE;
}

static gboolean
print_version (const gchar *option_name,
               const gchar *value,
               gpointer data,
               GError **error)
{
  MilterClientOptions *options = data;

  (void) option_name;
  (void) value;
  (void) error;
  printf ("%s %s\n", options->program_name ? options->program_name : "milter",
          options->version ? options->version : PACKAGE_VERSION);
  fflush (stdout);
  exit (EXIT_SUCCESS);
}

GOptionGroup *
milter_client_options_group_new (MilterClientOptions *options)
{
  const GOptionEntry entries[] = {
    { "connection-spec", 's', 0, G_OPTION_ARG_STRING,
      &options->connection_spec,
      "Listen on SPEC (unix:PATH, inet:PORT[@HOST], inet6:PORT[@HOST])",
      "SPEC" },
    { "log-level", 0, 0, G_OPTION_ARG_STRING, &options->log_level,
      "Log LEVEL: default, none, all, or critical|error|warning|info|debug|"
      "statistics|profile joined by |", "LEVEL" },
    { "log-path", 0, 0, G_OPTION_ARG_FILENAME, &options->log_path,
      "Log to PATH instead of standard error", "PATH" },
    { "syslog", 0, 0, G_OPTION_ARG_NONE, &options->syslog,
      "Log to syslog too", NULL },
    { "syslog-facility", 0, 0, G_OPTION_ARG_STRING,
      &options->syslog_facility,
      "Syslog FACILITY (mail, daemon, user, local0..local7)", "FACILITY" },
    { "daemon", 0, 0, G_OPTION_ARG_NONE, &options->daemon,
      "Run as a daemon", NULL },
    { "no-daemon", 0, 0, G_OPTION_ARG_NONE, &options->no_daemon,
      "Stay in the foreground (default)", NULL },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &options->user,
      "Run as USER when started as root", "USER" },
    { "user-name", 0, 0, G_OPTION_ARG_STRING, &options->user_name,
      "Same as --user", "USER" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &options->group,
      "Run as GROUP when started as root", "GROUP" },
    { "group-name", 0, 0, G_OPTION_ARG_STRING, &options->group_name,
      "Same as --group", "GROUP" },
    { "unix-socket-mode", 0, 0, G_OPTION_ARG_STRING,
      &options->unix_socket_mode, "Mode of the unix socket (octal)",
      "MODE" },
    { "unix-socket-group", 0, 0, G_OPTION_ARG_STRING,
      &options->unix_socket_group, "Group of the unix socket", "GROUP" },
    { "n-workers", 0, 0, G_OPTION_ARG_INT, &options->n_workers,
      "Fork N worker processes sharing the socket (0: none)", "N" },
    { "event-loop-backend", 0, 0, G_OPTION_ARG_STRING,
      &options->event_loop_backend, "Event loop: glib (default) or libev",
      "BACKEND" },
    { "packet-buffer-size", 0, 0, G_OPTION_ARG_INT,
      &options->packet_buffer_size,
      "Write queued end-of-message replies every SIZE bytes (0: at once at "
      "the end)", "SIZE" },
    { "pid-file", 0, 0, G_OPTION_ARG_FILENAME, &options->pid_file,
      "Save the process id to PATH", "PATH" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &options->max_connections,
      "Serve at most N sessions at once (0: no limit)", "N" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
      "Log everything (same as --log-level=all)", NULL },
    { "version", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
      (gpointer) print_version, "Show the version and exit", NULL },
    { "spec", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK,
      (gpointer) deprecated_option, "Deprecated: --connection-spec", "SPEC" },
    { "max-connection", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK,
      (gpointer) deprecated_option, "Deprecated: --max-connections", "N" },
    { "n-worker", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK,
      (gpointer) deprecated_option, "Deprecated: --n-workers", "N" },
    G_OPTION_ENTRY_NULL
  };
  GOptionGroup *group;

  group = g_option_group_new ("milter", "Milter options",
                              "Options of every milter", options, NULL);
  g_option_group_add_entries (group, entries);
  return group;
}

static gboolean
bad_value (GError **error, const gchar *option, const GError *cause)
{
  g_propagate_prefixed_error (error, g_error_copy (cause), "%s: ", option);
  return FALSE;
}

gboolean
milter_client_options_apply (MilterClientOptions *options,
                             MilterClient *client,
                             GError **error)
{
  g_autoptr (GError) local_error = NULL;
  const gchar *user = options->user ? options->user : options->user_name;
  const gchar *group = options->group ? options->group : options->group_name;

  if (options->log_level) {
    MilterLogLevelFlags levels;

    if (!milter_log_level_parse (options->log_level, &levels, &local_error))
      return bad_value (error, "--log-level", local_error);
    milter_logger_set_levels (levels);
  } else if (options->verbose) {
    milter_logger_set_levels (MILTER_LOG_LEVEL_ALL);
  }
  if (options->log_path &&
      !milter_logger_set_file (options->log_path, &local_error))
    return bad_value (error, "--log-path", local_error);
  if (options->syslog &&
      !milter_logger_set_syslog (options->program_name,
                                 options->syslog_facility, &local_error))
    return bad_value (error, "--syslog-facility", local_error);

  if (options->connection_spec) {
    if (!milter_client_set_connection_spec (client, options->connection_spec,
                                            &local_error))
      return bad_value (error, "--connection-spec", local_error);
  } else if (options->default_connection_spec) {
    if (!milter_client_set_default_connection_spec (client,
                                                    options->default_connection_spec,
                                                    &local_error))
      return bad_value (error, "default connection spec", local_error);
  }
  if (options->event_loop_backend) {
    if (g_strcmp0 (options->event_loop_backend, "glib") != 0 &&
        g_strcmp0 (options->event_loop_backend, "libev") != 0) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--event-loop-backend: '%s' is neither glib nor libev",
                   options->event_loop_backend);
      return FALSE;
    }
    milter_client_set_event_loop_backend (client,
                                          options->event_loop_backend);
  }
  if (options->unix_socket_mode) {
    gchar *end = NULL;
    guint64 mode = g_ascii_strtoull (options->unix_socket_mode, &end, 8);

    if (!options->unix_socket_mode[0] || *end || mode > 07777) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--unix-socket-mode: not an octal mode: '%s'",
                   options->unix_socket_mode);
      return FALSE;
    }
    milter_client_set_unix_socket_mode (client, (guint) mode);
  }
  if (options->unix_socket_group)
    milter_client_set_unix_socket_group (client, options->unix_socket_group);
  if (options->n_workers >= 0)
    milter_client_set_n_workers (client, (guint) options->n_workers);
  if (options->packet_buffer_size >= 0)
    milter_client_set_packet_buffer_size (client,
                                          (gsize) options->packet_buffer_size);
  if (options->max_connections >= 0)
    milter_client_set_max_connections (client,
                                       (guint) options->max_connections);
  if (options->pid_file)
    milter_client_set_pid_file (client, options->pid_file);
  if (user)
    milter_client_set_user (client, user);
  if (group)
    milter_client_set_group (client, group);
  if (options->daemon && !options->no_daemon)
    milter_client_set_daemon (client, TRUE);
  else if (options->no_daemon)
    milter_client_set_daemon (client, FALSE);
  return TRUE;
}

/*
 * milter-client-options - the command-line options every milter shares
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-options.h>
 *
 *   MilterClientOptions options;
 *   milter_client_options_init (&options, "my-milter", "1.0", "inet:10025");
 *   g_option_context_add_group (context,
 *                               milter_client_options_group_new (&options));
 *   ... g_option_context_parse ...
 *   milter_client_options_apply (&options, client, &error);
 *   milter_client_options_clear (&options);
 *   const gchar *milter_client_options_replacement (deprecated_name);
 *
 * DESCRIPTION
 *   One option group for every program built on libmilter-client (and for
 *   milter-manager): -s/--connection-spec, --log-level, --log-path,
 *   --syslog, --syslog-facility, --daemon/--no-daemon, -u/--user (also
 *   --user-name), -g/--group (also --group-name), --unix-socket-mode,
 *   --unix-socket-group, --n-workers, --event-loop-backend glib|libev,
 *   --packet-buffer-size, --pid-file, --max-connections, -v/--verbose,
 *   --version. --help comes from GOptionContext.
 *
 *   Older spellings still work, hidden from --help, and log
 *   [client][option][deprecated] naming the new one:
 *   milter_client_options_replacement() is that mapping (a pure function;
 *   NULL for a name that is not deprecated).
 *
 *   The group's parsing only records values; apply() checks them and sets
 *   the logger (level, file, syslog) and the client. -v means log level
 *   "all" unless --log-level says otherwise. When no connection spec was
 *   given, the program's default (from init) is set with
 *   milter_client_set_default_connection_spec().
 *
 *   --version prints "PROGRAM VERSION" and exits with status 0.
 *
 * DIAGNOSTICS
 *   apply() fails with G_OPTION_ERROR_BAD_VALUE naming the option (bad
 *   spec, level, facility, mode, backend, or a log file that cannot be
 *   opened). [client][option][deprecated] (warning) for old spellings.
 */
#pragma once

#include <glib.h>

#include <milter/client/milter-client.h>

G_BEGIN_DECLS

typedef struct {
  /* Set by init. */
  gchar *program_name;
  gchar *version;
  gchar *default_connection_spec;

  /* Parsed values; NULL/-1 when not given. */
  gchar *connection_spec;
  gchar *log_level;
  gchar *log_path;
  gboolean syslog;
  gchar *syslog_facility;
  gboolean daemon;
  gboolean no_daemon;
  gchar *user;
  gchar *user_name;
  gchar *group;
  gchar *group_name;
  gchar *unix_socket_mode;
  gchar *unix_socket_group;
  gint n_workers;
  gchar *event_loop_backend;
  gint packet_buffer_size;
  gchar *pid_file;
  gint max_connections;
  gboolean verbose;
} MilterClientOptions;

void milter_client_options_init (MilterClientOptions *options,
                                 const gchar *program_name,
                                 const gchar *version,
                                 const gchar *default_connection_spec);
void milter_client_options_clear (MilterClientOptions *options);
/* The group refers to options, which must outlive parsing. */
GOptionGroup *milter_client_options_group_new (MilterClientOptions *options);
gboolean milter_client_options_apply (MilterClientOptions *options,
                                      MilterClient *client,
                                      GError **error);
const gchar *milter_client_options_replacement (const gchar *deprecated_name);

G_END_DECLS

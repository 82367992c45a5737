/*
 * milter-manager-command-line - the options of milter-manager
 * (configuration.md §5) and how they override the configuration files
 *
 * SYNOPSIS
 *   MilterManagerCommandLine command_line;
 *   milter_manager_command_line_init (&command_line);
 *   if (!milter_manager_command_line_parse (&command_line, &argc, &argv, &error))
 *     ... print error->message, exit 2 ...
 *   g_autoptr (GVariant) overrides = milter_manager_command_line_overrides (&command_line);
 *   milter_manager_command_line_clear (&command_line);
 *
 * DESCRIPTION
 *   The main group holds -c/--config-dir, --show-config and --version
 *   (all --help shows). Every other option is in the group "milter"
 *   (--help-milter, --help-all): the options every milter shares
 *   (milter/client/milter-client-options.h, reused for parsing) plus
 *   -q/--quiet, --user-id, --group-id, --socket-group-name (a deprecated
 *   alias of --unix-socket-group that logs a warning) and
 *   --max-pending-finished-sessions.
 *
 *   parse() checks every value at once, so a typo fails before any file
 *   is read: the connection spec, the log level, the syslog facility,
 *   the socket mode (octal), the event loop backend, n-workers (at most
 *   1000), and users and groups given by number (looked up by id; names
 *   are checked when privileges are dropped). A -u/-g value made of
 *   digits that is no user or group name is taken as an id.
 *
 *   overrides() is the precedence rule, one pure function: the items
 *   every given option sets, as configuration items ("manager.n_workers"
 *   -> 4). The daemon sets them on the loaded model after every load
 *   (start-up and each reload) and before --show-config, so they win
 *   over the files, a reload never undoes the command line
 *   (configuration.md §6 quirks 3 and 6: --packet-buffer-size,
 *   --log-level, --verbose and --syslog-facility included), and the dump
 *   shows them (under "# default", as the original does). --log-level
 *   beats -v, -v beats -q; --no-daemon beats --daemon. --log-path=-
 *   means log.path = nil, the terminal (standard error).
 *
 * DIAGNOSTICS
 *   parse() fails with G_OPTION_ERROR (unknown option, missing or bad
 *   value) and a message naming the option.
 *   [manager][option][deprecated] (warning) for --socket-group-name.
 */
#pragma once

#include <glib.h>

#include <milter/client/milter-client-options.h>
#include <milter/core/milter-logger.h>

G_BEGIN_DECLS

typedef struct {
  /* First: the shared group's callbacks get this struct as theirs. */
  MilterClientOptions client;
  gchar *config_dir;
  gboolean show_config;
  gboolean quiet;
  gchar *user_id;
  gchar *group_id;
  gint max_pending_finished_sessions;
  /* Resolved by parse(). */
  MilterLogLevelFlags log_levels;
  gboolean log_levels_given;
  guint unix_socket_mode;
  gchar *user;
  gchar *group;
} MilterManagerCommandLine;

void milter_manager_command_line_init (MilterManagerCommandLine *command_line);
void milter_manager_command_line_clear (MilterManagerCommandLine *command_line);
GOptionContext *milter_manager_command_line_context_new (MilterManagerCommandLine *command_line);
gboolean milter_manager_command_line_parse (MilterManagerCommandLine *command_line,
                                            gint *argc,
                                            gchar ***argv,
                                            GError **error);
/* Checks the parsed values and resolves ids (part of parse()). */
gboolean milter_manager_command_line_check (MilterManagerCommandLine *command_line,
                                            GError **error);
/* a{sv} "section.item" -> value of every option given, for
 * milter_manager_ruby_configuration_override(). */
GVariant *milter_manager_command_line_overrides (const MilterManagerCommandLine *command_line);

G_END_DECLS

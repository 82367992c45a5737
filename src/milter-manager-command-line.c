/*
 * milter-manager-command-line - parse, check and apply the options of
 * milter-manager. See milter-manager-command-line.h.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-logger.h>
#include "src/milter-manager-command-line.h"

#define MAX_WORKERS 1000

void
milter_manager_command_line_init (MilterManagerCommandLine *command_line)
{
  memset (command_line, 0, sizeof (*command_line));
  /* No default spec: the configuration's manager.connection_spec is. */
  milter_client_options_init (&command_line->client, "milter-manager", PACKAGE_VERSION, NULL);
  command_line->max_pending_finished_sessions = -1;
}

void
milter_manager_command_line_clear (MilterManagerCommandLine *command_line)
{
  milter_client_options_clear (&command_line->client);
  g_clear_pointer (&command_line->config_dir, g_free);
  g_clear_pointer (&command_line->user_id, g_free);
  g_clear_pointer (&command_line->group_id, g_free);
  g_clear_pointer (&command_line->user, g_free);
  g_clear_pointer (&command_line->group, g_free);
}

static gboolean
print_version (const gchar *option_name, const gchar *value, gpointer data, GError **error)
{
  (void) option_name;
  (void) value;
  (void) data;
  (void) error;
  printf ("milter-manager %s\n", PACKAGE_VERSION);
  fflush (stdout);
  exit (EXIT_SUCCESS);
}

static gboolean
socket_group_name (const gchar *option_name, const gchar *value, gpointer data, GError **error)
{
  MilterManagerCommandLine *command_line = data;
  (void) error;
  milter_warning (0, "[manager][option][deprecated] %s is deprecated: use --unix-socket-group",
                  option_name);
  g_free (command_line->client.unix_socket_group);
  command_line->client.unix_socket_group = g_strdup (value);
  return TRUE;
}

GOptionContext *
milter_manager_command_line_context_new (MilterManagerCommandLine *command_line)
{
  const GOptionEntry main_entries[] = {
    { "config-dir", 'c', 0, G_OPTION_ARG_FILENAME, &command_line->config_dir,
      "Look for milter-manager.conf in DIR first", "DIR" },
    { "show-config", 0, 0, G_OPTION_ARG_NONE, &command_line->show_config,
      "Show the configuration and exit", NULL },
    { "version", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer) print_version,
      "Show the version and exit", NULL },
    G_OPTION_ENTRY_NULL
  };
  const GOptionEntry manager_entries[] = {
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &command_line->quiet,
      "Log nothing (same as --log-level=none)", NULL },
    { "user-id", 0, 0, G_OPTION_ARG_STRING, &command_line->user_id,
      "Run as the user of UID when started as root", "UID" },
    { "group-id", 0, 0, G_OPTION_ARG_STRING, &command_line->group_id,
      "Run as the group of GID when started as root", "GID" },
    { "socket-group-name", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_CALLBACK,
      (gpointer) socket_group_name, "Deprecated: --unix-socket-group", "GROUP" },
    { "max-pending-finished-sessions", 0, 0, G_OPTION_ARG_INT,
      &command_line->max_pending_finished_sessions,
      "Clean up finished sessions once N are pending (0: when idle)", "N" },
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *context = g_option_context_new (NULL);
  g_option_context_set_summary (context, "The milter manager daemon: one milter for the MTA, "
                                "many child milters behind it.");
  g_option_context_add_main_entries (context, main_entries, NULL);
  /* The shared group's callbacks are given &command_line->client, the
   * first member, so ours get the whole struct. */
  GOptionGroup *group = milter_client_options_group_new (&command_line->client);
  g_option_group_add_entries (group, manager_entries);
  g_option_context_add_group (context, group);
  return context;
}

static gboolean bad_value (GError **error, const gchar *option, const gchar *format, ...)
  G_GNUC_PRINTF (3, 4);

static gboolean
bad_value (GError **error, const gchar *option, const gchar *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree gchar *why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s", option, why);
  return FALSE;
}

static gboolean
parse_id (const gchar *text, guint *id)
{
  gchar *end = NULL;
  guint64 number = g_ascii_strtoull (text, &end, 10);
  if (!text[0] || *end || number > G_MAXUINT32)
    return FALSE;
  *id = (guint) number;
  return TRUE;
}

/* Users and groups alike: is there one of that name; the name of id. */
typedef struct {
  const gchar *kind;                       /* "user", "group" */
  gboolean (*name_exists) (const gchar *name);
  gchar *(*name_of_id) (guint id);
} Accounts;

static gboolean
user_exists (const gchar *name)
{
  return getpwnam (name) != NULL;
}

static gchar *
user_name_of (guint id)
{
  struct passwd *entry = getpwuid ((uid_t) id);
  return entry ? g_strdup (entry->pw_name) : NULL;
}

static gboolean
group_exists (const gchar *name)
{
  return getgrnam (name) != NULL;
}

static gchar *
group_name_of (guint id)
{
  struct group *entry = getgrgid ((gid_t) id);
  return entry ? g_strdup (entry->gr_name) : NULL;
}

static const Accounts users = { "user", user_exists, user_name_of };
static const Accounts groups = { "group", group_exists, group_name_of };

/* An account named TEXT, or given by number (by_id, or digits that are
 * no name): the name to switch to. */
static gboolean
resolve_account (const Accounts *accounts, const gchar *option, const gchar *text,
                 gboolean by_id, gchar **name, GError **error)
{
  guint id;
  if (!by_id && (!parse_id (text, &id) || accounts->name_exists (text))) {
    *name = g_strdup (text);
    return TRUE;
  }
  if (!parse_id (text, &id))
    return bad_value (error, option, "not a %s id: '%s'", accounts->kind, text);
  *name = accounts->name_of_id (id);
  if (!*name)
    return bad_value (error, option, "no %s has the id %s", accounts->kind, text);
  return TRUE;
}

gboolean
milter_manager_command_line_check (MilterManagerCommandLine *command_line, GError **error)
{
  MilterClientOptions *options = &command_line->client;
  g_autoptr (GError) cause = NULL;

  if (options->connection_spec) {
    MilterConnectionSpec *spec = milter_connection_spec_parse (options->connection_spec, &cause);
    if (!spec)
      return bad_value (error, "--connection-spec", "%s", cause->message);
    milter_connection_spec_free (spec);
  }
  if (options->log_level) {
    if (!milter_log_level_parse (options->log_level, &command_line->log_levels, &cause))
      return bad_value (error, "--log-level", "%s", cause->message);
    command_line->log_levels_given = TRUE;
  } else if (options->verbose) {
    command_line->log_levels = MILTER_LOG_LEVEL_ALL;
    command_line->log_levels_given = TRUE;
  } else if (command_line->quiet) {
    command_line->log_levels = MILTER_LOG_LEVEL_NONE;
    command_line->log_levels_given = TRUE;
  }
  gint facility;
  if (options->syslog_facility &&
      !milter_log_syslog_facility_parse (options->syslog_facility, &facility, &cause))
    return bad_value (error, "--syslog-facility", "%s", cause->message);
  if (options->unix_socket_mode) {
    gchar *end = NULL;
    guint64 mode = g_ascii_strtoull (options->unix_socket_mode, &end, 8);
    if (!options->unix_socket_mode[0] || *end || mode > 07777)
      return bad_value (error, "--unix-socket-mode", "not an octal mode: '%s'",
                        options->unix_socket_mode);
    command_line->unix_socket_mode = (guint) mode;
  }
  if (options->event_loop_backend &&
      g_strcmp0 (options->event_loop_backend, "glib") != 0 &&
      g_strcmp0 (options->event_loop_backend, "libev") != 0)
    return bad_value (error, "--event-loop-backend", "'%s' is neither glib nor libev",
                      options->event_loop_backend);
  if (options->n_workers > MAX_WORKERS) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--n-workers: at most %d, not %d", MAX_WORKERS, options->n_workers);
    return FALSE;
  }
  if (options->n_workers < -1 || options->packet_buffer_size < -1 ||
      options->max_connections < -1 || command_line->max_pending_finished_sessions < -1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "counts (--n-workers, --packet-buffer-size, --max-connections, "
                 "--max-pending-finished-sessions) must not be negative");
    return FALSE;
  }

  g_clear_pointer (&command_line->user, g_free);
  g_clear_pointer (&command_line->group, g_free);
  const gchar *user = options->user ? options->user : options->user_name;
  if (command_line->user_id &&
      !resolve_account (&users, "--user-id", command_line->user_id, TRUE, &command_line->user,
                       error))
    return FALSE;
  if (!command_line->user && user &&
      !resolve_account (&users, "--user", user, FALSE, &command_line->user, error))
    return FALSE;
  const gchar *group = options->group ? options->group : options->group_name;
  if (command_line->group_id &&
      !resolve_account (&groups, "--group-id", command_line->group_id, TRUE,
                       &command_line->group, error))
    return FALSE;
  if (!command_line->group && group &&
      !resolve_account (&groups, "--group", group, FALSE, &command_line->group, error))
    return FALSE;
  return TRUE;
}

gboolean
milter_manager_command_line_parse (MilterManagerCommandLine *command_line,
                                   gint *argc,
                                   gchar ***argv,
                                   GError **error)
{
  g_autoptr (GOptionContext) context = milter_manager_command_line_context_new (command_line);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                 "unexpected argument: '%s'", (*argv)[1]);
    return FALSE;
  }
  return milter_manager_command_line_check (command_line, error);
}

static void
add (GVariantBuilder *builder, const gchar *key, GVariant *value)
{
  g_variant_builder_add (builder, "{sv}", key, value);
}

static void
add_string (GVariantBuilder *builder, const gchar *key, const gchar *value)
{
  if (value)
    add (builder, key, g_variant_new_string (value));
}

static void
add_count (GVariantBuilder *builder, const gchar *key, gint value)
{
  if (value >= 0)
    add (builder, key, g_variant_new_int64 (value));
}

GVariant *
milter_manager_command_line_overrides (const MilterManagerCommandLine *command_line)
{
  const MilterClientOptions *options = &command_line->client;
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  add_string (&builder, "manager.connection_spec", options->connection_spec);
  if (options->log_level)
    add_string (&builder, "log.level", options->log_level);
  else if (options->verbose)
    add_string (&builder, "log.level", "all");
  else if (command_line->quiet)
    add_string (&builder, "log.level", "none");
  if (options->log_path && strcmp (options->log_path, "-") == 0)
    add (&builder, "log.path", g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL));
  else
    add_string (&builder, "log.path", options->log_path);
  if (options->syslog)
    add (&builder, "log.use_syslog", g_variant_new_boolean (TRUE));
  add_string (&builder, "log.syslog_facility", options->syslog_facility);
  if (options->no_daemon || options->daemon)
    add (&builder, "manager.daemon", g_variant_new_boolean (!options->no_daemon));
  add_string (&builder, "security.effective_user", command_line->user);
  add_string (&builder, "security.effective_group", command_line->group);
  add_string (&builder, "manager.unix_socket_group", options->unix_socket_group);
  if (options->unix_socket_mode)
    add (&builder, "manager.unix_socket_mode",
         g_variant_new_int64 (command_line->unix_socket_mode));
  add_count (&builder, "manager.n_workers", options->n_workers);
  add_string (&builder, "manager.event_loop_backend", options->event_loop_backend);
  add_count (&builder, "manager.packet_buffer_size", options->packet_buffer_size);
  add_string (&builder, "manager.pid_file", options->pid_file);
  add_count (&builder, "manager.max_connections", options->max_connections);
  add_count (&builder, "manager.max_pending_finished_sessions",
             command_line->max_pending_finished_sessions);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/*
 * milter-manager-engine-server - the manager engine behind a listening
 * socket, for scenario tests before the daemon exists
 *
 * SYNOPSIS
 *   milter-manager-engine-server -s SPEC --milter NAME=SPEC[,fallback=STATUS]
 *       [,evaluation][,connection-timeout=S][,writing-timeout=S]
 *       [,reading-timeout=S][,end-of-message-timeout=S] ...
 *       [--fallback-status=STATUS] [--retry-interval=S]
 *       [--negotiation-timeout=S] [--body-memory-threshold=BYTES]
 *       [--temporary-directory=DIR] [--event-loop-backend=glib|libev]
 *       [--log-level=LEVEL] [--log-path=PATH]
 *       [--connection-check-interval=S --client-gone] [--config-dir=DIR]
 *
 * DESCRIPTION
 *   A MilterClient listening on SPEC; each session goes through
 *   milter_manager_leader_attach() with a configuration built from the
 *   options. Runs until SIGTERM or SIGINT. --client-gone installs a
 *   connection checker that always reports the SMTP client gone, to
 *   drive manager-behaviour.md §5 (the real checkers are the daemon's
 *   configuration). --config-dir loads DIR/milter-manager.conf with the
 *   Ruby binding and gives the engine its applicable conditions; a
 *   --milter item conditions=A+B names those the child carries.
 *   --slow-condition=NAME:S[:STAGE[:stop]] defines a native condition
 *   NAME whose stopper for STAGE (default connect) defers its answer
 *   ("don't stop", or "stop") by S seconds at its first call (first
 *   session) and answers "don't stop" at once in the others (a slow
 *   lookup), logging info "[slow-condition][answer] SESSION-TAG".
 *   --ruby-stoppers-at-once keeps Ruby stoppers on the loop (as tools
 *   without a running daemon do); by default they run off it as in the
 *   daemon.
 *
 * DIAGNOSTICS
 *   Exit 1 with a message for a bad option or a failed start.
 */
#include "config.h"

#include <stdlib.h>

#include <milter/client/milter-client.h>
#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-leader.h>

#include "binding/ruby/milter-manager-ruby-configuration.h"

static gboolean
parse_status (const gchar *text, MilterStatus *status, GError **error)
{
  return milter_status_from_string (text, status, error);
}

static gboolean
add_milter (MilterManagerConfiguration *configuration, const gchar *text,
            GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  g_autofree gchar *name = NULL;
  const gchar *equal = strchr (parts[0], '=');
  g_autoptr (MilterManagerEgg) egg = NULL;

  if (!equal) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--milter wants NAME=SPEC: %s", text);
    return FALSE;
  }
  name = g_strndup (parts[0], equal - parts[0]);
  egg = milter_manager_egg_new (name);
  if (!milter_manager_egg_set_connection_spec (egg, equal + 1, error))
    return FALSE;
  for (guint i = 1; parts[i]; i++) {
    const gchar *p = parts[i];
    const gchar *value = strchr (p, '=');
    gdouble seconds = value ? g_ascii_strtod (value + 1, NULL) : 0;
    gboolean ok = TRUE;

    if (g_str_equal (p, "evaluation")) {
      milter_manager_egg_set_evaluation_mode (egg, TRUE);
    } else if (g_str_equal (p, "disabled")) {
      milter_manager_egg_set_enabled (egg, FALSE);
    } else if (g_str_has_prefix (p, "fallback=")) {
      MilterStatus status;

      ok = parse_status (value + 1, &status, error) &&
           milter_manager_egg_set_fallback_status (egg, status, error);
    } else if (g_str_has_prefix (p, "connection-timeout=")) {
      ok = milter_manager_egg_set_connection_timeout (egg, seconds, error);
    } else if (g_str_has_prefix (p, "writing-timeout=")) {
      ok = milter_manager_egg_set_writing_timeout (egg, seconds, error);
    } else if (g_str_has_prefix (p, "reading-timeout=")) {
      ok = milter_manager_egg_set_reading_timeout (egg, seconds, error);
    } else if (g_str_has_prefix (p, "conditions=")) {
      g_auto (GStrv) names = g_strsplit (value + 1, "+", -1);

      milter_manager_egg_set_applicable_conditions (egg, (const gchar *const *) names);
    } else if (g_str_has_prefix (p, "end-of-message-timeout=")) {
      ok = milter_manager_egg_set_end_of_message_timeout (egg, seconds, error);
    } else {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "unknown --milter item: %s", p);
      ok = FALSE;
    }
    if (!ok)
      return FALSE;
  }
  milter_manager_configuration_add_egg (configuration, egg);
  return TRUE;
}

static gboolean
client_gone (MilterClientContext *context, gpointer user_data)
{
  (void) context;
  (void) user_data;
  return FALSE;
}

/* The applicable conditions of DIR/milter-manager.conf (kept loaded:
 * their stoppers run in the sessions). */
static gboolean
load_conditions (const gchar *directory, MilterManagerConfiguration *configuration,
                 MilterManagerRubyConfiguration **ruby, GError **error)
{
  const gchar *path[] = { directory, NULL };

  *ruby = milter_manager_ruby_configuration_load (path, NULL, NULL, error);
  return *ruby &&
         milter_manager_ruby_configuration_add_conditions (*ruby, configuration, error);
}

typedef struct {
  MilterClient *client;
  gdouble seconds;
  gboolean stop;
  guint n_calls;
} Slow;

typedef struct {
  MilterManagerConditionTicket *ticket;
  gchar *name;
  gboolean stop;
} SlowAnswer;

static gboolean
slow_answer (gpointer data)
{
  SlowAnswer *answer = data;

  milter_info (0, "[slow-condition][answer] %s", answer->name);
  milter_manager_condition_ticket_answer (answer->ticket, answer->stop);
  milter_manager_condition_ticket_free (answer->ticket);
  g_free (answer->name);
  g_free (answer);
  return FALSE;
}

static gboolean
slow_stop (MilterManagerApplicableCondition *condition,
           MilterManagerConditionContext *context,
           const MilterManagerStopperEvent *event, gpointer user_data)
{
  Slow *slow = user_data;
  SlowAnswer *answer;

  (void) condition;
  (void) event;
  if (slow->n_calls++ > 0)
    return FALSE;
  answer = g_new0 (SlowAnswer, 1);
  answer->ticket = milter_manager_condition_context_defer (context);
  answer->name = g_strdup (milter_manager_condition_context_get_name (context));
  answer->stop = slow->stop;
  milter_event_loop_add_timeout (milter_client_get_event_loop (slow->client),
                                 slow->seconds, slow_answer, answer, NULL);
  return FALSE;
}

static void
on_listen_started (MilterClient *client, gpointer data)
{
  (void) data;
  milter_manager_ruby_conditions_run_on (milter_client_get_event_loop (client));
}

static gboolean
add_slow_condition (MilterManagerConfiguration *configuration,
                    MilterClient *client, const gchar *text, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ":", 4);
  guint n = g_strv_length (parts);
  MilterServerState stage = MILTER_SERVER_STATE_CONNECT;
  Slow *slow;
  MilterManagerApplicableCondition *condition;

  if (n > 2) {
    for (stage = MILTER_SERVER_STATE_CONNECT;
         stage <= MILTER_SERVER_STATE_END_OF_MESSAGE &&
         !g_str_equal (milter_server_state_to_string (stage), parts[2]);
         stage++)
      ;
  }
  if (n < 2 || stage > MILTER_SERVER_STATE_END_OF_MESSAGE ||
      (n > 3 && !g_str_equal (parts[3], "stop"))) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--slow-condition wants NAME:SECONDS[:STAGE[:stop]]: %s", text);
    return FALSE;
  }
  slow = g_new0 (Slow, 1);
  slow->client = client;
  slow->seconds = g_ascii_strtod (parts[1], NULL);
  slow->stop = n > 3;
  condition = milter_manager_applicable_condition_new (parts[0],
    MILTER_MANAGER_CONDITION_STAGE (stage), slow_stop, slow, g_free);
  milter_manager_configuration_add_applicable_condition (configuration, condition);
  milter_manager_applicable_condition_unref (condition);
  return TRUE;
}

static void
on_connection_established (MilterClient *client, MilterClientContext *context,
                           gpointer user_data)
{
  (void) client;
  milter_manager_leader_attach (user_data, context);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *spec = NULL;
  g_auto (GStrv) milters = NULL;
  g_autofree gchar *fallback = NULL;
  g_autofree gchar *backend = NULL;
  g_autofree gchar *log_level = NULL;
  g_autofree gchar *log_path = NULL;
  g_autofree gchar *temporary_directory = NULL;
  g_autofree gchar *config_dir = NULL;
  g_auto (GStrv) slow_conditions = NULL;
  g_autoptr (MilterManagerRubyConfiguration) ruby = NULL;
  gdouble retry = 0.2, negotiation_timeout = 25.0;
  gint64 threshold = -1;
  gint check_interval = 0;
  gboolean gone = FALSE;
  gboolean stoppers_at_once = FALSE;
  GOptionEntry entries[] = {
    { "connection-spec", 's', 0, G_OPTION_ARG_STRING, &spec, "Listen on SPEC", "SPEC" },
    { "milter", 0, 0, G_OPTION_ARG_STRING_ARRAY, &milters, "A child milter", "NAME=SPEC[,...]" },
    { "fallback-status", 0, 0, G_OPTION_ARG_STRING, &fallback, "manager.fallback_status", "STATUS" },
    { "retry-interval", 0, 0, G_OPTION_ARG_DOUBLE, &retry, "Seconds before the connect retry", "S" },
    { "negotiation-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &negotiation_timeout, "Bound on the negotiation wait", "S" },
    { "body-memory-threshold", 0, 0, G_OPTION_ARG_INT64, &threshold, "Body bytes kept in memory", "BYTES" },
    { "temporary-directory", 0, 0, G_OPTION_ARG_STRING, &temporary_directory, "Where a large body goes", "DIR" },
    { "event-loop-backend", 0, 0, G_OPTION_ARG_STRING, &backend, "glib or libev", "NAME" },
    { "log-level", 0, 0, G_OPTION_ARG_STRING, &log_level, "Log levels", "LEVEL" },
    { "log-path", 0, 0, G_OPTION_ARG_STRING, &log_path, "Log file", "PATH" },
    { "connection-check-interval", 0, 0, G_OPTION_ARG_INT, &check_interval, "manager.connection_check_interval", "S" },
    { "client-gone", 0, 0, G_OPTION_ARG_NONE, &gone, "A connection checker that reports the SMTP client gone", NULL },
    { "slow-condition", 0, 0, G_OPTION_ARG_STRING_ARRAY, &slow_conditions, "A condition that answers late", "NAME:S[:STAGE[:stop]]" },
    { "ruby-stoppers-at-once", 0, 0, G_OPTION_ARG_NONE, &stoppers_at_once, "Ruby stoppers run on the loop", NULL },
    { "config-dir", 0, 0, G_OPTION_ARG_STRING, &config_dir, "Applicable conditions from DIR/milter-manager.conf", "DIR" },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  g_autoptr (GOptionContext) option_context =
    g_option_context_new ("- the manager engine for scenario tests");
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterManagerConfiguration) configuration =
    milter_manager_configuration_new ();
  g_autoptr (MilterClient) client = NULL;

  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error))
    goto fail;
  if (log_level) {
    MilterLogLevelFlags levels;

    if (!milter_log_level_parse (log_level, &levels, &error))
      goto fail;
    milter_logger_set_levels (levels);
  }
  if (log_path && !milter_logger_set_file (log_path, &error))
    goto fail;
  if (config_dir && !load_conditions (config_dir, configuration, &ruby, &error))
    goto fail;
  for (guint i = 0; milters && milters[i]; i++)
    if (!add_milter (configuration, milters[i], &error))
      goto fail;
  if (fallback) {
    MilterStatus status;

    if (!parse_status (fallback, &status, &error) ||
        !milter_manager_configuration_set_fallback_status (configuration,
                                                           status, &error))
      goto fail;
  }
  if (!milter_manager_configuration_set_connection_retry_interval (configuration,
                                                                  retry, &error) ||
      !milter_manager_configuration_set_negotiation_timeout (configuration,
                                                             negotiation_timeout,
                                                             &error))
    goto fail;
  if (check_interval > 0)
    milter_manager_configuration_set_connection_check_interval (configuration,
                                                                (guint) check_interval);
  if (gone)
    milter_manager_configuration_set_connection_checker (configuration, "gone",
                                                         client_gone, NULL,
                                                         NULL);
  if (threshold >= 0)
    milter_manager_configuration_set_body_memory_threshold (configuration,
                                                            (gsize) threshold);
  if (temporary_directory)
    milter_manager_configuration_set_temporary_directory (configuration,
                                                          temporary_directory);

  client = milter_client_new ();
  for (guint i = 0; slow_conditions && slow_conditions[i]; i++)
    if (!add_slow_condition (configuration, client, slow_conditions[i], &error))
      goto fail;
  if (!milter_client_set_connection_spec (client,
                                          spec ? spec : "inet:10025@[127.0.0.1]",
                                          &error))
    goto fail;
  if (backend)
    milter_client_set_event_loop_backend (client, backend);
  milter_client_set_remove_unix_socket_on_create (client, TRUE);
  /* As the daemon: Ruby stoppers run off the loop, unless asked not to. */
  if (ruby && !stoppers_at_once)
    g_signal_connect (client, "listen-started", G_CALLBACK (on_listen_started), NULL);
  g_signal_connect (client, "connection-established",
                    G_CALLBACK (on_connection_established), configuration);
  if (!milter_client_run (client, &error))
    goto fail;
  return EXIT_SUCCESS;

fail:
  g_printerr ("milter-manager-engine-server: %s\n", error->message);
  return EXIT_FAILURE;
}

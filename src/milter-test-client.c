/*
 * milter-test-client - a scriptable milter that prints what it receives
 *
 * SYNOPSIS
 *   milter-test-client [-s SPEC] [--reply EVENT=STATUS] [--reply-code TEXT]
 *                      [--add-header NAME:VALUE] [--insert-header INDEX:NAME:VALUE]
 *                      [--change-header NAME:INDEX:VALUE]
 *                      [--delete-header NAME:INDEX] [--add-recipient "ADDR [ARGS]"]
 *                      [--delete-recipient ADDR] [--change-from "ADDR [ARGS]"]
 *                      [--replace-body TEXT] [--replace-body-size N]
 *                      [--quarantine REASON] [--progress] [--sleep EVENT=SECONDS]
 *                      [--steps FLAGS] [--request-macros STAGE=NAMES]
 *                      [--reply-recipient PATTERN=STATUS]
 *                      [--timeout SECONDS]
 *                      [--multi-thread] [--quiet] [common milter options]
 *
 * DESCRIPTION
 *   Prints each event on standard output in the format of ClearCode
 *   milter manager's milter-test-client ("negotiate: version=<6>,
 *   action=<...>, step=<...>", "connect: host=<H>, address=<SPEC>",
 *   "helo: <FQDN>", "header: <NAME: VALUE>", "body: <CHUNK>", ...), each
 *   followed by "macros:" and "  NAME=VALUE" lines when that event has
 *   macros, and continues (accepts at end-of-message). Options make it act, so tests and administrators can
 *   script a milter without writing one:
 *
 *   --reply EVENT=STATUS      answer EVENT (connect, helo, envelope-from,
 *                             envelope-recipient, data, unknown, header,
 *                             end-of-header, body, end-of-message) with
 *                             STATUS (continue, accept, reject,
 *                             temporary-failure, discard, skip); repeatable
 *   --reply-recipient PATTERN=STATUS
 *                             answer an envelope-recipient whose address
 *                             matches the glob PATTERN (* and ?, e.g.
 *                             "<bad*") with STATUS; the first matching
 *                             one wins over --reply; repeatable
 *   --reply-code TEXT         "550 5.7.1 text": the SMTP reply used with
 *                             reject (5xx) or temporary-failure (4xx)
 *   modifications             sent at end-of-message, in option order;
 *                             negotiation asks for the actions they need
 *                             and no others
 *   --progress                send progress at end-of-message first
 *   --sleep EVENT=SECONDS     reply to EVENT that much later (without
 *                             blocking other sessions); repeatable
 *   --steps FLAGS             step flags asked for in negotiation
 *                             (milter-option names joined by |)
 *   --request-macros STAGE=NAMES
 *                             v6 macro list for a stage (connect, helo,
 *                             envelope-from, envelope-recipient, data,
 *                             end-of-message, end-of-header); repeatable
 *   --timeout SECONDS         close a session whose MTA is silent or does
 *                             not read for that long (default 7210, 0:
 *                             never)
 *   --multi-thread            run sessions on a pool of threads (a callback
 *                             that blocks holds up its own session only)
 *   --quiet                   print nothing per event
 *
 * DIAGNOSTICS
 *   Exit status 0 after a clean stop (SIGTERM/SIGINT), 1 on a bad option
 *   or when the client cannot run (the library logs why).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-reply-code.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-options.h>

#include "milter-test-client-flags.h"

typedef enum {
  MOD_ADD_HEADER,
  MOD_INSERT_HEADER,
  MOD_CHANGE_HEADER,
  MOD_DELETE_HEADER,
  MOD_ADD_RECIPIENT,
  MOD_DELETE_RECIPIENT,
  MOD_CHANGE_FROM,
  MOD_REPLACE_BODY,
  MOD_QUARANTINE
} ModificationType;

typedef struct {
  ModificationType type;
  gchar *name;
  guint index;
  gchar *value;
} Modification;

/* Per event command byte: the status to answer and the delay. */
static MilterStatus replies[256];
static gdouble sleeps[256];
static GPtrArray *modifications;
static gchar *reply_code_text;
static guint reply_code;
static gchar *reply_extended_code;
static gchar *reply_message;
static gboolean send_progress;
static gboolean quiet;
static gboolean multi_thread;
static MilterStepFlags steps;
static gboolean steps_given;
static gchar *request_macros[MILTER_MACRO_STAGE_COUNT];
static gsize replace_body_size;
static MilterActionFlags declared_actions;
static gdouble timeout_seconds = MILTER_CLIENT_CONTEXT_DEFAULT_TIMEOUT;
/* --reply-recipient: glob patterns and their statuses, in option order. */
static GPtrArray *recipient_patterns;
static GArray *recipient_statuses;

static const struct {
  const gchar *name;
  guint8 command;
} events[] = {
  { "connect", 'C' }, { "helo", 'H' }, { "envelope-from", 'M' },
  { "envelope-recipient", 'R' }, { "data", 'T' }, { "unknown", 'U' },
  { "header", 'L' }, { "end-of-header", 'N' }, { "body", 'B' },
  { "end-of-message", 'E' },
};

static gboolean
event_from_name (const gchar *name, guint8 *command)
{
  for (guint i = 0; i < G_N_ELEMENTS (events); i++) {
    if (strcmp (events[i].name, name) == 0) {
      *command = events[i].command;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
split_pair (const gchar *option, const gchar *value, gchar separator,
            gchar **key, gchar **rest, GError **error)
{
  const gchar *at = strchr (value, separator);

  if (!at || at == value) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s: expected KEY%cVALUE, got '%s'", option, separator,
                 value);
    return FALSE;
  }
  *key = g_strndup (value, (gsize) (at - value));
  *rest = g_strdup (at + 1);
  return TRUE;
}

/* "EVENT=REST": the event's command byte and the text after '='. */
static gboolean
split_event_pair (const gchar *option, const gchar *value, guint8 *command,
                  gchar **rest, GError **error)
{
  g_autofree gchar *event = NULL;

  if (!split_pair (option, value, '=', &event, rest, error))
    return FALSE;
  if (!event_from_name (event, command)) {
    g_clear_pointer (rest, g_free);
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s: unknown event '%s'", option, event);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_reply (const gchar *option, const gchar *value, gpointer data,
             GError **error)
{
  g_autofree gchar *status_name = NULL;
  MilterStatus status;
  guint8 command;

  (void) data;
  if (!split_event_pair (option, value, &command, &status_name, error) ||
      !milter_status_from_string (status_name, &status, error))
    return FALSE;
  replies[command] = status;
  return TRUE;
}

static gboolean
parse_reply_recipient (const gchar *option, const gchar *value, gpointer data,
                       GError **error)
{
  const gchar *equal = value ? strrchr (value, '=') : NULL;
  MilterStatus status;

  (void) data;
  if (!equal || equal == value) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s: expected PATTERN=STATUS, got '%s'", option,
                 value ? value : "");
    return FALSE;
  }
  if (!milter_status_from_string (equal + 1, &status, error))
    return FALSE;
  if (!recipient_patterns) {
    recipient_patterns = g_ptr_array_new_with_free_func (g_free);
    recipient_statuses = g_array_new (FALSE, FALSE, sizeof (MilterStatus));
  }
  g_ptr_array_add (recipient_patterns, g_strndup (value, equal - value));
  g_array_append_val (recipient_statuses, status);
  return TRUE;
}

/* The --reply-recipient status for ADDRESS, or 0 when none matches. */
static MilterStatus
recipient_reply (const gchar *address)
{
  for (guint i = 0; recipient_patterns && i < recipient_patterns->len; i++)
    if (g_pattern_match_simple (g_ptr_array_index (recipient_patterns, i),
                                address))
      return g_array_index (recipient_statuses, MilterStatus, i);
  return 0;
}

static gboolean
parse_sleep (const gchar *option, const gchar *value, gpointer data,
             GError **error)
{
  g_autofree gchar *seconds = NULL;
  gchar *end = NULL;
  gdouble parsed;
  guint8 command;

  (void) data;
  if (!split_event_pair (option, value, &command, &seconds, error))
    return FALSE;
  parsed = g_ascii_strtod (seconds, &end);
  if (end == seconds || *end != '\0' || !(parsed >= 0.0) || parsed > 3600.0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "%s: '%s' is not a number of seconds from 0 to 3600",
                 option, seconds);
    return FALSE;
  }
  sleeps[command] = parsed;
  return TRUE;
}

static gboolean
parse_request_macros (const gchar *option, const gchar *value, gpointer data,
                      GError **error)
{
  g_autofree gchar *stage = NULL;
  g_autofree gchar *names = NULL;
  MilterMacroStage index;

  (void) data;
  if (!split_pair (option, value, '=', &stage, &names, error))
    return FALSE;
  if (milter_macro_stage_from_string (stage, &index)) {
    g_free (request_macros[index]);
    request_macros[index] = g_steal_pointer (&names);
    return TRUE;
  }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s: unknown stage '%s'", option, stage);
  return FALSE;
}

static gboolean
parse_steps (const gchar *option, const gchar *value, gpointer data,
             GError **error)
{
  (void) option;
  (void) data;
  steps_given = TRUE;
  return milter_step_flags_from_string (value, &steps, error);
}

static void
modification_free (gpointer data)
{
  Modification *modification = data;

  g_free (modification->name);
  g_free (modification->value);
  g_free (modification);
}

/* The action a modification needs the MTA to grant. */
static MilterActionFlags
modification_action (ModificationType type, const gchar *value)
{
  switch (type) {
  case MOD_ADD_HEADER:
  case MOD_INSERT_HEADER:
    return MILTER_ACTION_ADD_HEADERS;
  case MOD_CHANGE_HEADER:
  case MOD_DELETE_HEADER:
    return MILTER_ACTION_CHANGE_HEADERS;
  case MOD_ADD_RECIPIENT:
    return value ? MILTER_ACTION_ADD_RECIPIENT_WITH_ARGS :
                   MILTER_ACTION_ADD_RECIPIENT;
  case MOD_DELETE_RECIPIENT:
    return MILTER_ACTION_DELETE_RECIPIENT;
  case MOD_CHANGE_FROM:
    return MILTER_ACTION_CHANGE_FROM;
  case MOD_REPLACE_BODY:
    return MILTER_ACTION_CHANGE_BODY;
  case MOD_QUARANTINE:
    return MILTER_ACTION_QUARANTINE;
  default:
    return MILTER_ACTION_NONE;
  }
}

static void
add_modification (ModificationType type, gchar *name, guint index,
                  gchar *value)
{
  Modification *modification = g_new0 (Modification, 1);

  modification->type = type;
  modification->name = name;
  modification->index = index;
  modification->value = value;
  g_ptr_array_add (modifications, modification);
  declared_actions |= modification_action (type, value);
}

/* "ADDR ARGS" -> name ADDR, value ARGS or NULL. */
static void
add_address_modification (ModificationType type, const gchar *value)
{
  const gchar *space = strchr (value, ' ');

  if (space)
    add_modification (type, g_strndup (value, (gsize) (space - value)), 0,
                      g_strdup (space + 1));
  else
    add_modification (type, g_strdup (value), 0, NULL);
}

static gboolean
parse_modification (const gchar *option, const gchar *value, gpointer data,
                    GError **error)
{
  (void) data;
  if (strcmp (option, "--add-header") == 0) {
    gchar *name, *rest;
    if (!split_pair (option, value, ':', &name, &rest, error))
      return FALSE;
    add_modification (MOD_ADD_HEADER, name, 0, rest);
  } else if (strcmp (option, "--insert-header") == 0) {
    g_auto (GStrv) parts = g_strsplit (value, ":", 3);
    guint64 index;

    if (g_strv_length (parts) != 3 ||
        !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT32, &index,
                                     NULL)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: expected INDEX:NAME:VALUE, got '%s'", option, value);
      return FALSE;
    }
    add_modification (MOD_INSERT_HEADER, g_strdup (parts[1]), (guint) index,
                      g_strdup (parts[2]));
  } else if (strcmp (option, "--change-header") == 0 ||
             strcmp (option, "--delete-header") == 0) {
    gboolean change = strcmp (option, "--change-header") == 0;
    g_auto (GStrv) parts = g_strsplit (value, ":", change ? 3 : 2);
    guint64 index;

    if (g_strv_length (parts) != (change ? 3u : 2u) ||
        !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT32, &index,
                                     NULL)) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: expected NAME:INDEX%s, got '%s'", option,
                   change ? ":VALUE" : "", value);
      return FALSE;
    }
    add_modification (change ? MOD_CHANGE_HEADER : MOD_DELETE_HEADER,
                      g_strdup (parts[0]), (guint) index,
                      change ? g_strdup (parts[2]) : NULL);
  } else if (strcmp (option, "--add-recipient") == 0) {
    add_address_modification (MOD_ADD_RECIPIENT, value);
  } else if (strcmp (option, "--delete-recipient") == 0) {
    add_modification (MOD_DELETE_RECIPIENT, g_strdup (value), 0, NULL);
  } else if (strcmp (option, "--change-from") == 0) {
    add_address_modification (MOD_CHANGE_FROM, value);
  } else if (strcmp (option, "--replace-body") == 0) {
    add_modification (MOD_REPLACE_BODY, NULL, 0, g_strdup (value));
  } else if (strcmp (option, "--quarantine") == 0) {
    add_modification (MOD_QUARANTINE, NULL, 0, g_strdup (value));
  }
  return TRUE;
}

static gboolean
parse_replace_body_size (const gchar *option, const gchar *value,
                         gpointer data, GError **error)
{
  guint64 size;

  (void) data;
  if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &size, error)) {
    g_prefix_error (error, "%s: ", option);
    return FALSE;
  }
  replace_body_size = (gsize) size;
  add_modification (MOD_REPLACE_BODY, NULL, 0, NULL);
  return TRUE;
}

/* ---- printing ---- */

/* The original's output, which scripts read: one line per event, then
 * "macros:" and "  NAME=VALUE" lines for the macros of that event. Flag
 * names: milter-test-client-flags.c. */

/* Names as the MTA wrote them: one letter bare, longer ones in braces. */
static void
append_macros (GString *out, MilterClientContext *context, guint8 stage)
{
  GHashTable *macros = stage ?
    milter_client_context_get_stage_macros (context, stage) : NULL;
  g_autoptr (GList) keys = NULL;

  if (!macros)
    return;
  keys = g_list_sort (g_hash_table_get_keys (macros), (GCompareFunc) strcmp);
  g_string_append (out, "macros:\n");
  for (GList *node = keys; node; node = node->next) {
    const gchar *name = node->data;

    g_string_append_printf (out, strlen (name) == 1 ? "  %s=%s\n" : "  {%s}=%s\n",
                            name, (const gchar *) g_hash_table_lookup (macros, name));
  }
}

/* One event: its line (format, ...) and its macros, in one write so that
 * the lines of concurrent sessions do not mix. */
static void
print_event (MilterClientContext *context, guint8 stage, const gchar *format,
             ...) G_GNUC_PRINTF (3, 4);

static void
print_event (MilterClientContext *context, guint8 stage, const gchar *format,
             ...)
{
  g_autoptr (GString) text = NULL;
  va_list args;

  if (quiet)
    return;
  text = g_string_new (NULL);
  va_start (args, format);
  g_string_append_vprintf (text, format, args);
  va_end (args);
  g_string_append_c (text, '\n');
  append_macros (text, context, stage);
  fwrite (text->str, 1, text->len, stdout);
  fflush (stdout);
}

/* ---- replying ---- */

typedef struct {
  MilterClientContext *context;
  guint64 event_id;
  MilterStatus status;
} DelayedReply;

static void
prepare_reply_code (MilterClientContext *context, MilterStatus status)
{
  if (!reply_code_text ||
      (status != MILTER_STATUS_REJECT &&
       status != MILTER_STATUS_TEMPORARY_FAILURE))
    return;
  milter_client_context_set_reply (context, reply_code, reply_extended_code,
                                   reply_message, NULL);
}

static gboolean
reply_delayed (gpointer data)
{
  DelayedReply *delayed = data;
  g_autoptr (GError) error = NULL;

  prepare_reply_code (delayed->context, delayed->status);
  /* A stale reply (its event was aborted) is logged by the library. */
  if (!milter_agent_is_shut_down (MILTER_AGENT (delayed->context)) &&
      !milter_client_context_reply_to_event (delayed->context,
                                             delayed->event_id,
                                             delayed->status, &error) &&
      !g_error_matches (error, MILTER_CLIENT_CONTEXT_ERROR,
                        MILTER_CLIENT_CONTEXT_ERROR_STALE_REPLY))
    milter_error (milter_agent_get_session_id (MILTER_AGENT (delayed->context)),
                  "[test-client][reply][error] %s", error->message);
  return G_SOURCE_REMOVE;
}

static void
delayed_reply_free (gpointer data)
{
  DelayedReply *delayed = data;

  g_object_unref (delayed->context);
  g_free (delayed);
}

static MilterStatus
answer_status (MilterClientContext *context, guint8 command,
               MilterStatus status)
{

  if (sleeps[command] > 0) {
    DelayedReply *delayed = g_new0 (DelayedReply, 1);

    delayed->context = g_object_ref (context);
    delayed->event_id = milter_client_context_get_event_id (context);
    delayed->status = status;
    milter_event_loop_add_timeout (milter_agent_get_event_loop (MILTER_AGENT (context)),
                                   sleeps[command], reply_delayed, delayed,
                                   delayed_reply_free);
    return MILTER_STATUS_NOT_CHANGE;
  }
  prepare_reply_code (context, status);
  return status;
}

static MilterStatus
answer (MilterClientContext *context, guint8 command, MilterStatus fallback)
{
  return answer_status (context, command,
                        replies[command] ? replies[command] : fallback);
}

/* ---- events ---- */

static MilterStatus
cb_negotiate (MilterClientContext *context, const MilterOption *offer,
              MilterOption *option, MilterMacrosRequests *requests,
              gpointer data)
{
  g_autoptr (GString) actions = g_string_new (NULL);
  g_autoptr (GString) offered_steps = g_string_new (NULL);

  (void) data;
  option->actions = declared_actions;
  milter_test_client_append_actions (actions, offer->actions);
  milter_test_client_append_steps (offered_steps, offer->steps);
  if (steps_given)
    option->steps = steps;
  for (guint i = 0; i < MILTER_MACRO_STAGE_COUNT; i++) {
    if (request_macros[i])
      milter_macros_requests_set_from_string (requests, i, request_macros[i]);
  }
  print_event (context, 0, "negotiate: version=<%u>, action=<%s>, step=<%s>",
               offer->version, actions->str, offered_steps->str);
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
cb_connect (MilterClientContext *context, const gchar *host, gint family,
            guint port, const gchar *address, gpointer data)
{
  g_autofree gchar *spec = NULL;

  (void) data;
  /* The address as a connection spec, as the original prints it. */
  switch (family) {
  case 'L':
    spec = g_strdup_printf ("unix:%s", address ? address : "");
    break;
  case '4':
    spec = g_strdup_printf ("inet:%u@[%s]", port, address ? address : "");
    break;
  case '6':
    spec = g_strdup_printf ("inet6:%u@[%s]", port, address ? address : "");
    break;
  default:
    spec = g_strdup ("unknown");
    break;
  }
  print_event (context, 'C', "connect: host=<%s>, address=<%s>", host, spec);
  return answer (context, 'C', MILTER_STATUS_CONTINUE);
}

static MilterStatus
cb_helo (MilterClientContext *context, const gchar *fqdn, gpointer data)
{
  (void) data;
  print_event (context, 'H', "helo: <%s>", fqdn);
  return answer (context, 'H', MILTER_STATUS_CONTINUE);
}

static MilterStatus
cb_envelope (MilterClientContext *context, const gchar *address,
             const gchar *const *args, gpointer data)
{
  gboolean from = milter_client_context_get_current_event (context) ==
                  MILTER_COMMAND_ENVELOPE_FROM;

  (void) args;
  (void) data;
  print_event (context, from ? 'M' : 'R', "%s: <%s>",
               from ? "envelope-from" : "envelope-recipient", address);
  if (!from && recipient_reply (address))
    return answer_status (context, 'R', recipient_reply (address));
  return answer (context, from ? 'M' : 'R', MILTER_STATUS_CONTINUE);
}

static MilterStatus
cb_data (MilterClientContext *context, gpointer data)
{
  (void) data;
  print_event (context, 'T', "data");
  return answer (context, 'T', MILTER_STATUS_CONTINUE);
}

static MilterStatus
cb_unknown (MilterClientContext *context, const gchar *command, gpointer data)
{
  (void) data;
  print_event (context, 'U', "unknown: <%s>", command);
  return answer (context, 'U', MILTER_STATUS_CONTINUE);
}

static MilterStatus
cb_header (MilterClientContext *context, const gchar *name, const gchar *value,
           gpointer data)
{
  (void) data;
  print_event (context, 'L', "header: <%s: %s>", name, value);
  return answer (context, 'L', MILTER_STATUS_CONTINUE);
}

static MilterStatus
cb_end_of_header (MilterClientContext *context, gpointer data)
{
  (void) data;
  print_event (context, 'N', "end-of-header");
  return answer (context, 'N', MILTER_STATUS_CONTINUE);
}

static MilterStatus
cb_body (MilterClientContext *context, gconstpointer chunk, guint64 size,
         gpointer data)
{
  (void) data;
  print_event (context, 'B', "body: <%.*s>", (gint) size, (const gchar *) chunk);
  return answer (context, 'B', MILTER_STATUS_CONTINUE);
}

static gboolean
apply_modification (MilterClientContext *context, Modification *m,
                    GError **error)
{
  switch (m->type) {
  case MOD_ADD_HEADER:
    return milter_client_context_add_header (context, m->name, m->value,
                                             error);
  case MOD_INSERT_HEADER:
    return milter_client_context_insert_header (context, m->index, m->name,
                                                m->value, error);
  case MOD_CHANGE_HEADER:
    return milter_client_context_change_header (context, m->name, m->index,
                                                m->value, error);
  case MOD_DELETE_HEADER:
    return milter_client_context_delete_header (context, m->name, m->index,
                                                error);
  case MOD_ADD_RECIPIENT:
    return milter_client_context_add_recipient (context, m->name, m->value,
                                                error);
  case MOD_DELETE_RECIPIENT:
    return milter_client_context_delete_recipient (context, m->name, error);
  case MOD_CHANGE_FROM:
    return milter_client_context_change_from (context, m->name, m->value,
                                              error);
  case MOD_REPLACE_BODY:
    if (m->value)
      return milter_client_context_replace_body (context,
                                                 (const guint8 *) m->value,
                                                 strlen (m->value), error);
    else {
      g_autofree guint8 *body = g_malloc (replace_body_size + 1);
      /* Lines of 'x' so that the MTA gets a well-formed body. */
      for (gsize i = 0; i < replace_body_size; i++)
        body[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : 'x';
      return milter_client_context_replace_body (context, body,
                                                 replace_body_size, error);
    }
  case MOD_QUARANTINE:
    return milter_client_context_quarantine (context, m->value, error);
  default:
    return TRUE;
  }
}

static MilterStatus
cb_end_of_message (MilterClientContext *context, gconstpointer chunk,
                   guint64 size, gpointer data)
{
  (void) data;
  if (size > 0)
    print_event (context, 'E', "end-of-message: <%.*s>", (gint) size,
                 (const gchar *) chunk);
  else
    print_event (context, 'E', "end-of-message");
  if (send_progress)
    milter_client_context_progress (context, NULL);
  for (guint i = 0; i < modifications->len; i++) {
    g_autoptr (GError) error = NULL;

    if (!apply_modification (context, modifications->pdata[i], &error)) {
      milter_error (milter_agent_get_session_id (MILTER_AGENT (context)),
                    "[test-client][modification][error] %s", error->message);
    }
  }
  return answer (context, 'E', MILTER_STATUS_ACCEPT);
}

static void
cb_abort (MilterClientContext *context, gpointer data)
{
  (void) data;
  print_event (context, 0, "abort");
}

static void
cb_finished (MilterAgent *agent, gpointer data)
{
  (void) data;
  print_event (MILTER_CLIENT_CONTEXT (agent), 0, "finished");
}

static void
cb_connection_established (MilterClient *client, MilterClientContext *context,
                           gpointer data)
{
  (void) client;
  (void) data;
  g_signal_connect (context, "negotiate", G_CALLBACK (cb_negotiate), NULL);
  g_signal_connect (context, "connect", G_CALLBACK (cb_connect), NULL);
  g_signal_connect (context, "helo", G_CALLBACK (cb_helo), NULL);
  g_signal_connect (context, "envelope-from", G_CALLBACK (cb_envelope), NULL);
  g_signal_connect (context, "envelope-recipient", G_CALLBACK (cb_envelope),
                    NULL);
  g_signal_connect (context, "data", G_CALLBACK (cb_data), NULL);
  g_signal_connect (context, "unknown", G_CALLBACK (cb_unknown), NULL);
  g_signal_connect (context, "header", G_CALLBACK (cb_header), NULL);
  g_signal_connect (context, "end-of-header", G_CALLBACK (cb_end_of_header),
                    NULL);
  g_signal_connect (context, "body", G_CALLBACK (cb_body), NULL);
  g_signal_connect (context, "end-of-message", G_CALLBACK (cb_end_of_message),
                    NULL);
  g_signal_connect (context, "abort", G_CALLBACK (cb_abort), NULL);
  g_signal_connect (context, "finished", G_CALLBACK (cb_finished), NULL);
}

static gboolean
parse_reply_code (GError **error)
{
  g_auto (GStrv) parts = NULL;
  guint64 code;

  if (!reply_code_text)
    return TRUE;
  parts = g_strsplit (reply_code_text, " ", 3);
  if (!parts[0] || !g_ascii_string_to_unsigned (parts[0], 10, 400, 599, &code,
                                                NULL)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "--reply-code: expected \"CODE [X.Y.Z] TEXT\", got '%s'",
                 reply_code_text);
    return FALSE;
  }
  reply_code = (guint) code;
  if (parts[1] && milter_reply_code_is_extended_code (parts[1])) {
    reply_extended_code = g_strdup (parts[1]);
    reply_message = parts[2] ? g_strdup (parts[2]) : NULL;
  } else if (parts[1]) {
    reply_message = g_strdup (reply_code_text + strlen (parts[0]) + 1);
  }
  return TRUE;
}

static gboolean
check_timeout (GError **error)
{
  if (timeout_seconds >= 0)
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "--timeout: %g is not a number of seconds >= 0",
               timeout_seconds);
  return FALSE;
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "reply", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) parse_reply,
      "Answer EVENT with STATUS", "EVENT=STATUS" },
    { "reply-recipient", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_reply_recipient,
      "Answer a recipient matching the glob PATTERN with STATUS",
      "PATTERN=STATUS" },
    { "reply-code", 0, 0, G_OPTION_ARG_STRING, &reply_code_text,
      "SMTP reply for reject/temporary-failure", "\"CODE [X.Y.Z] TEXT\"" },
    { "add-header", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_modification, "Add a header", "NAME:VALUE" },
    { "insert-header", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_modification, "Insert a header at INDEX (0-based)",
      "INDEX:NAME:VALUE" },
    { "change-header", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_modification, "Change a header", "NAME:INDEX:VALUE" },
    { "delete-header", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_modification, "Delete a header", "NAME:INDEX" },
    { "add-recipient", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_modification, "Add a recipient", "\"ADDR [ARGS]\"" },
    { "delete-recipient", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_modification, "Delete a recipient", "ADDR" },
    { "change-from", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_modification, "Change the sender", "\"ADDR [ARGS]\"" },
    { "replace-body", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_modification, "Replace the body with TEXT", "TEXT" },
    { "replace-body-size", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_replace_body_size,
      "Replace the body with SIZE generated bytes", "SIZE" },
    { "quarantine", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_modification, "Quarantine the message", "REASON" },
    { "progress", 0, 0, G_OPTION_ARG_NONE, &send_progress,
      "Send progress at end-of-message", NULL },
    { "sleep", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) parse_sleep,
      "Reply to EVENT after SECONDS", "EVENT=SECONDS" },
    { "steps", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) parse_steps,
      "Step flags to negotiate", "FLAGS" },
    { "request-macros", 0, 0, G_OPTION_ARG_CALLBACK,
      (gpointer) parse_request_macros, "Macro list for a stage (v6)",
      "STAGE=NAMES" },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout_seconds,
      "Close a silent or stalled session after SECONDS (0: never)",
      "SECONDS" },
    { "multi-thread", 0, 0, G_OPTION_ARG_NONE, &multi_thread,
      "Sessions on a pool of threads", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      "Print nothing per event", NULL },
    { "no-report-request", 0, 0, G_OPTION_ARG_NONE, &quiet,
      "Print nothing per event (the original's name)", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) option_context = NULL;
  g_autoptr (MilterClient) client = NULL;
  g_autoptr (GError) error = NULL;
  MilterClientOptions options;
  gint status = EXIT_SUCCESS;

  modifications = g_ptr_array_new_with_free_func (modification_free);
  milter_client_options_init (&options, "milter-test-client", PACKAGE_VERSION,
                              "inet:10025@[127.0.0.1]");
  option_context = g_option_context_new ("- print and script milter events");
  g_option_context_add_main_entries (option_context, entries, NULL);
  g_option_context_add_group (option_context,
                              milter_client_options_group_new (&options));
  client = milter_client_new ();
  if (!g_option_context_parse (option_context, &argc, &argv, &error) ||
      !check_timeout (&error) ||
      !parse_reply_code (&error) ||
      !milter_client_options_apply (&options, client, &error)) {
    fprintf (stderr, "milter-test-client: %s\n", error->message);
    status = EXIT_FAILURE;
  } else {
    milter_client_set_multi_thread (client, multi_thread);
    milter_client_set_session_timeout (client, timeout_seconds);
    g_signal_connect (client, "connection-established",
                      G_CALLBACK (cb_connection_established), NULL);
    if (!milter_client_run (client, NULL))
      status = EXIT_FAILURE;
  }
  milter_client_options_clear (&options);
  g_ptr_array_unref (modifications);
  g_free (reply_code_text);
  g_free (reply_extended_code);
  g_free (reply_message);
  for (guint i = 0; i < MILTER_MACRO_STAGE_COUNT; i++)
    g_free (request_macros[i]);
  return status;
}

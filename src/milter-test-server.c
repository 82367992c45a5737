/*
 * milter-test-server - talk to a milter as an MTA would, and show the result
 *
 * SYNOPSIS
 *   milter-test-server -s SPEC [options]
 *   milter-test-server -s SPEC --n-sessions N --concurrency C [options]
 *
 * DESCRIPTION
 *   Runs one milter session through MilterServerContext: negotiate,
 *   connect, helo, (unknown), envelope-from, each envelope-recipient,
 *   data, each header, end-of-header, the body, end-of-message, quit.
 *   Prints "status: STATUS" and "elapsed-time: N seconds"; with
 *   --output-message also the envelope and the message as the milter left
 *   it (milter-server-message.h). A reject or temporary failure of one
 *   recipient removes that recipient (--output-message lists it as
 *   "refused-recipient: ADDRESS STATUS [REPLY]"); the session goes on
 *   while any recipient is left. A session the milter continued to the end is
 *   "pass".
 *
 *   Load mode (--n-sessions, --concurrency) runs N such sessions, C at a
 *   time, on one event loop, and prints sessions per second and latency
 *   percentiles. Each session is the same code as the single one.
 *
 * EXIT STATUS
 *   0 when every session reached a status, 1 when a session failed
 *   (connection, timeout, protocol error), 2 for bad input.
 *
 * DIAGNOSTICS
 *   Bad input (unknown option, malformed spec, macro or header, unreadable
 *   mail file) and session failures are reported as one line on standard
 *   error, "milter-test-server: ...".
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-headers.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-status.h>
#include <milter/server/milter-server-context.h>
#include <milter/server/milter-server-message.h>

#define PROGRAM "milter-test-server"

/* ---- options --------------------------------------------------------- */

static gchar *opt_spec = NULL;
static gchar *opt_name = NULL;
static gint opt_negotiate_version = 6;
static gchar *opt_connect_host = NULL;
static gchar *opt_connect_address = NULL;
static gchar *opt_helo_fqdn = NULL;
static gchar *opt_from = NULL;
static gchar **opt_recipients = NULL;
static gchar **opt_connect_macros = NULL;
static gchar **opt_helo_macros = NULL;
static gchar **opt_from_macros = NULL;
static gchar **opt_recipient_macros = NULL;
static gchar **opt_data_macros = NULL;
static gchar **opt_end_of_header_macros = NULL;
static gchar **opt_end_of_message_macros = NULL;
static gchar **opt_headers = NULL;
static gchar **opt_bodies = NULL;
static gchar *opt_mail_file = NULL;
static gchar *opt_unknown = NULL;
static gchar *opt_auth_name = NULL;
static gchar *opt_auth_type = NULL;
static gchar *opt_auth_author = NULL;
static gboolean opt_output_message = FALSE;
static gdouble opt_connection_timeout = -1;
static gdouble opt_reading_timeout = -1;
static gdouble opt_writing_timeout = -1;
static gdouble opt_end_of_message_timeout = -1;
static gdouble opt_all_timeouts = -1;
static gboolean opt_verbose = FALSE;
static gboolean opt_version = FALSE;
static gchar *opt_backend = NULL;
static gint opt_n_sessions = 0;
static gint opt_concurrency = 1;

static GOptionEntry entries[] = {
  { "connection-spec", 's', 0, G_OPTION_ARG_STRING, &opt_spec,
    "The milter's socket (default inet:10025@localhost)", "SPEC" },
  { "name", 0, 0, G_OPTION_ARG_STRING, &opt_name,
    "The milter's name in log lines", "NAME" },
  { "negotiate-version", 0, 0, G_OPTION_ARG_INT, &opt_negotiate_version,
    "Protocol version to offer, 2 to 6 (default 6)", "VERSION" },
  { "connect-host", 0, 0, G_OPTION_ARG_STRING, &opt_connect_host,
    "Client host name for connect (default mx.example.net)", "HOST" },
  { "connect-address", 0, 0, G_OPTION_ARG_STRING, &opt_connect_address,
    "Client address for connect as a spec (default inet:2525@[192.0.2.1])", "SPEC" },
  { "helo-fqdn", 0, 0, G_OPTION_ARG_STRING, &opt_helo_fqdn,
    "HELO name (default client.example.net)", "FQDN" },
  { "envelope-from", 'f', 0, G_OPTION_ARG_STRING, &opt_from,
    "MAIL FROM address (default <sender@example.com>)", "ADDRESS" },
  { "envelope-recipient", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &opt_recipients,
    "RCPT TO address; repeat for more (default <receiver@example.org>)", "ADDRESS" },
  { "connect-macro", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_connect_macros,
    "Macro sent with connect", "NAME:VALUE" },
  { "helo-macro", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_helo_macros,
    "Macro sent with helo", "NAME:VALUE" },
  { "envelope-from-macro", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_from_macros,
    "Macro sent with envelope-from", "NAME:VALUE" },
  { "envelope-recipient-macro", 0, 0, G_OPTION_ARG_STRING_ARRAY,
    &opt_recipient_macros, "Macro sent with envelope-recipient", "NAME:VALUE" },
  { "data-macro", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_data_macros,
    "Macro sent with data", "NAME:VALUE" },
  { "end-of-header-macro", 0, 0, G_OPTION_ARG_STRING_ARRAY,
    &opt_end_of_header_macros, "Macro sent with end-of-header", "NAME:VALUE" },
  { "end-of-message-macro", 0, 0, G_OPTION_ARG_STRING_ARRAY,
    &opt_end_of_message_macros, "Macro sent with end-of-message", "NAME:VALUE" },
  { "header", 'h', 0, G_OPTION_ARG_STRING_ARRAY, &opt_headers,
    "A header; repeat for more", "NAME:VALUE" },
  { "body", 'b', 0, G_OPTION_ARG_STRING_ARRAY, &opt_bodies,
    "A body chunk; repeat for more", "CHUNK" },
  { "mail-file", 'm', 0, G_OPTION_ARG_FILENAME, &opt_mail_file,
    "Read headers and body from FILE", "FILE" },
  { "unknown", 0, 0, G_OPTION_ARG_STRING, &opt_unknown,
    "Send an unknown SMTP command after helo", "COMMAND" },
  { "authenticated-name", 0, 0, G_OPTION_ARG_STRING, &opt_auth_name,
    "SMTP AUTH name ({auth_authen} with envelope-from)", "NAME" },
  { "authenticated-type", 0, 0, G_OPTION_ARG_STRING, &opt_auth_type,
    "SMTP AUTH mechanism ({auth_type})", "TYPE" },
  { "authenticated-author", 0, 0, G_OPTION_ARG_STRING, &opt_auth_author,
    "SMTP AUTH author ({auth_author})", "AUTHOR" },
  { "output-message", 0, 0, G_OPTION_ARG_NONE, &opt_output_message,
    "Show the envelope and message as the milter left them", NULL },
  { "connection-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_connection_timeout,
    "Seconds to wait for the connection (default 30)", "SECONDS" },
  { "reading-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_reading_timeout,
    "Seconds to wait for a reply (default 30)", "SECONDS" },
  { "writing-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_writing_timeout,
    "Seconds to wait for a write (default 30)", "SECONDS" },
  { "end-of-message-timeout", 0, 0, G_OPTION_ARG_DOUBLE,
    &opt_end_of_message_timeout,
    "Seconds to wait for end-of-message replies (default 300)", "SECONDS" },
  { "all-timeouts", 0, 0, G_OPTION_ARG_DOUBLE, &opt_all_timeouts,
    "Set all four timeouts", "SECONDS" },
  { "event-loop-backend", 0, 0, G_OPTION_ARG_STRING, &opt_backend,
    "glib (default) or libev", "BACKEND" },
  { "n-sessions", 0, 0, G_OPTION_ARG_INT, &opt_n_sessions,
    "Load mode: run N sessions", "N" },
  { "concurrency", 0, 0, G_OPTION_ARG_INT, &opt_concurrency,
    "Load mode: C sessions at a time (default 1)", "C" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    "Log everything to standard error", NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    "Show the version and exit", NULL },
  { NULL }
};

/* ---- the plan: what every session sends ------------------------------ */

typedef struct {
  guint8 command;
  GPtrArray *names;
  GPtrArray *values;
} MacroSet;

typedef struct {
  MilterOption offer;
  gchar *host;
  MilterFamily family;
  guint16 port;
  gchar *address;
  gchar *helo;
  gchar *unknown;
  gchar *from;
  GPtrArray *recipients;
  MilterServerMessage *message;  /* headers and body as given */
  GPtrArray *body_chunks;        /* GBytes, as given with -b */
  MacroSet macros[7];
  guint n_macros;
} Plan;

static void
plan_clear (Plan *plan)
{
  g_free (plan->host);
  g_free (plan->address);
  g_free (plan->helo);
  g_free (plan->unknown);
  g_free (plan->from);
  g_clear_pointer (&plan->recipients, g_ptr_array_unref);
  g_clear_pointer (&plan->message, milter_server_message_free);
  g_clear_pointer (&plan->body_chunks, g_ptr_array_unref);
  for (guint i = 0; i < plan->n_macros; i++) {
    g_ptr_array_unref (plan->macros[i].names);
    g_ptr_array_unref (plan->macros[i].values);
  }
}

static gboolean
split_pair (const gchar *text, const gchar *what, gchar **name, gchar **value,
            GError **error)
{
  const gchar *colon = strchr (text, ':');

  if (!colon || colon == text) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "invalid %s '%s': expected NAME:VALUE", what, text);
    return FALSE;
  }
  *name = g_strndup (text, (gsize) (colon - text));
  *value = g_strdup (colon + 1);
  return TRUE;
}

static MacroSet *
macro_set (Plan *plan, guint8 command)
{
  MacroSet *set;

  for (guint i = 0; i < plan->n_macros; i++) {
    if (plan->macros[i].command == command)
      return &plan->macros[i];
  }
  g_assert (plan->n_macros < G_N_ELEMENTS (plan->macros));
  set = &plan->macros[plan->n_macros++];
  set->command = command;
  set->names = g_ptr_array_new_with_free_func (g_free);
  set->values = g_ptr_array_new_with_free_func (g_free);
  return set;
}

static gboolean
add_macros (Plan *plan, guint8 command, gchar **pairs, GError **error)
{
  for (gsize i = 0; pairs && pairs[i]; i++) {
    gchar *name;
    gchar *value;
    MacroSet *set;

    if (!split_pair (pairs[i], "macro", &name, &value, error))
      return FALSE;
    set = macro_set (plan, command);
    g_ptr_array_add (set->names, name);
    g_ptr_array_add (set->values, value);
  }
  return TRUE;
}

static void
add_macro (Plan *plan, guint8 command, const gchar *name, const gchar *value)
{
  MacroSet *set;

  if (!value)
    return;
  set = macro_set (plan, command);
  g_ptr_array_add (set->names, g_strdup (name));
  g_ptr_array_add (set->values, g_strdup (value));
}

static gboolean
parse_connect_address (Plan *plan, const gchar *text, GError **error)
{
  g_autoptr (MilterConnectionSpec) spec = milter_connection_spec_parse (text, error);

  if (!spec)
    return FALSE;
  switch (spec->type) {
  case MILTER_CONNECTION_SPEC_TYPE_UNIX:
    plan->family = MILTER_FAMILY_UNIX;
    plan->port = 0;
    plan->address = g_strdup (spec->path);
    break;
  case MILTER_CONNECTION_SPEC_TYPE_INET:
    plan->family = MILTER_FAMILY_INET;
    plan->port = spec->port;
    plan->address = g_strdup (spec->host ? spec->host : "0.0.0.0");
    break;
  case MILTER_CONNECTION_SPEC_TYPE_INET6:
  default:
    plan->family = MILTER_FAMILY_INET6;
    plan->port = spec->port;
    plan->address = g_strdup (spec->host ? spec->host : "::");
    break;
  }
  return TRUE;
}

static gboolean
build_plan (Plan *plan, GError **error)
{
  static const gchar *default_recipients[] = { "<receiver@example.org>", NULL };
  const gchar *const *recipients =
    opt_recipients ? (const gchar *const *) opt_recipients : default_recipients;

  memset (plan, 0, sizeof (*plan));
  if (opt_negotiate_version < MILTER_PROTOCOL_VERSION_MIN ||
      opt_negotiate_version > MILTER_PROTOCOL_VERSION_MAX) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "invalid negotiate version %d: expected 2 to 6",
                 opt_negotiate_version);
    return FALSE;
  }
  milter_option_init (&plan->offer, (guint32) opt_negotiate_version,
                      MILTER_ACTION_ALL, MILTER_STEP_ALL);
  plan->host = g_strdup (opt_connect_host ? opt_connect_host : "mx.example.net");
  if (!parse_connect_address (plan, opt_connect_address ? opt_connect_address :
                              "inet:2525@[192.0.2.1]", error))
    return FALSE;
  plan->helo = g_strdup (opt_helo_fqdn ? opt_helo_fqdn : "client.example.net");
  plan->unknown = g_strdup (opt_unknown);
  plan->from = g_strdup (opt_from ? opt_from : "<sender@example.com>");
  plan->recipients = g_ptr_array_new_with_free_func (g_free);
  for (gsize i = 0; recipients[i]; i++)
    g_ptr_array_add (plan->recipients, g_strdup (recipients[i]));

  if (!add_macros (plan, 'C', opt_connect_macros, error) ||
      !add_macros (plan, 'H', opt_helo_macros, error) ||
      !add_macros (plan, 'M', opt_from_macros, error) ||
      !add_macros (plan, 'R', opt_recipient_macros, error) ||
      !add_macros (plan, 'T', opt_data_macros, error) ||
      !add_macros (plan, 'N', opt_end_of_header_macros, error) ||
      !add_macros (plan, 'E', opt_end_of_message_macros, error))
    return FALSE;
  add_macro (plan, 'M', "{auth_authen}", opt_auth_name);
  add_macro (plan, 'M', "{auth_type}", opt_auth_type);
  add_macro (plan, 'M', "{auth_author}", opt_auth_author);

  if (opt_mail_file) {
    g_autofree gchar *text = NULL;
    gsize size = 0;
    g_autoptr (GError) local_error = NULL;

    if (!g_file_get_contents (opt_mail_file, &text, &size, &local_error)) {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "cannot read mail file: ");
      return FALSE;
    }
    plan->message = milter_server_message_parse (text, size, &local_error);
    if (!plan->message) {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "invalid mail file '%s': ", opt_mail_file);
      return FALSE;
    }
  } else {
    plan->message = milter_server_message_new ();
  }
  for (gsize i = 0; opt_headers && opt_headers[i]; i++) {
    g_autofree gchar *name = NULL;
    g_autofree gchar *value = NULL;
    const gchar *start;

    if (!split_pair (opt_headers[i], "header", &name, &value, error))
      return FALSE;
    start = value;
    while (*start == ' ' || *start == '\t')
      start++;
    if (!milter_headers_add (plan->message->headers, name, start, error))
      return FALSE;
  }
  if (!opt_mail_file && !opt_headers) {
    milter_headers_add (plan->message->headers, "From", plan->from, NULL);
    milter_headers_add (plan->message->headers, "To",
                        g_ptr_array_index (plan->recipients, 0), NULL);
    milter_headers_add (plan->message->headers, "Subject", "test", NULL);
  }
  plan->body_chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (gsize i = 0; opt_bodies && opt_bodies[i]; i++)
    g_ptr_array_add (plan->body_chunks, g_bytes_new (opt_bodies[i],
                                                     strlen (opt_bodies[i])));
  if (plan->body_chunks->len == 0) {
    if (plan->message->body->len > 0 || opt_mail_file)
      g_ptr_array_add (plan->body_chunks,
                       g_bytes_new (plan->message->body->data,
                                    plan->message->body->len));
    else
      g_ptr_array_add (plan->body_chunks,
                       g_bytes_new_static ("This is a test.\r\n", 17));
  }
  /* The message as sent, for --output-message. */
  g_byte_array_set_size (plan->message->body, 0);
  for (guint i = 0; i < plan->body_chunks->len; i++) {
    gsize size;
    gconstpointer data = g_bytes_get_data (g_ptr_array_index (plan->body_chunks, i),
                                           &size);

    g_byte_array_append (plan->message->body, data, (guint) size);
  }
  milter_server_message_set_from (plan->message, plan->from);
  for (guint i = 0; i < plan->recipients->len; i++)
    milter_server_message_add_recipient (plan->message,
                                         g_ptr_array_index (plan->recipients, i));
  return TRUE;
}

/* ---- one session ----------------------------------------------------- */

typedef enum {
  STEP_NEGOTIATE,
  STEP_CONNECT,
  STEP_HELO,
  STEP_UNKNOWN,
  STEP_ENVELOPE_FROM,
  STEP_ENVELOPE_RECIPIENT,
  STEP_DATA,
  STEP_HEADER,
  STEP_END_OF_HEADER,
  STEP_BODY,
  STEP_END_OF_MESSAGE,
  STEP_QUIT,
  STEP_DONE
} Step;

typedef struct _Session Session;
typedef void (*SessionDone) (Session *session, gpointer user_data);

struct _Session {
  const Plan *plan;
  MilterServerContext *context;
  MilterServerMessage *message;
  Step step;
  guint index;           /* recipient, header or chunk */
  guint n_recipients;    /* recipients still accepted */
  MilterStatus status;
  gchar *reply_code;
  GPtrArray *refused;    /* "<address> STATUS [reply text]" per recipient */
  GError *error;
  gint64 started;
  gint64 ended;
  SessionDone done;
  gpointer done_data;
};

static void session_next (Session *session);

static void
session_fail (Session *session, GError *error)
{
  if (!session->error)
    session->error = g_error_copy (error);
}

/* Ends the message: quit, and the session finishes when the milter closes. */
static void
session_quit (Session *session)
{
  g_autoptr (GError) error = NULL;

  session->step = STEP_DONE;
  if (!milter_server_context_quit (session->context, &error)) {
    session_fail (session, error);
    milter_agent_shutdown (MILTER_AGENT (session->context));
  }
}

static void
session_send (Session *session)
{
  MilterServerContext *context = session->context;
  const Plan *plan = session->plan;
  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;

  switch (session->step) {
  case STEP_NEGOTIATE:
    ok = milter_server_context_negotiate (context, &plan->offer, &error);
    break;
  case STEP_CONNECT:
    ok = milter_server_context_connect (context, plan->host, plan->family,
                                        plan->port, plan->address, &error);
    break;
  case STEP_HELO:
    ok = milter_server_context_helo (context, plan->helo, &error);
    break;
  case STEP_UNKNOWN:
    ok = milter_server_context_unknown (context, plan->unknown, &error);
    break;
  case STEP_ENVELOPE_FROM:
    ok = milter_server_context_envelope_from (context, plan->from, NULL, &error);
    break;
  case STEP_ENVELOPE_RECIPIENT:
    ok = milter_server_context_envelope_recipient (context,
                                                   g_ptr_array_index (plan->recipients,
                                                                      session->index),
                                                   NULL, &error);
    break;
  case STEP_DATA:
    ok = milter_server_context_data (context, &error);
    break;
  case STEP_HEADER: {
    const MilterHeader *header =
      milter_headers_get_nth (plan->message->headers, session->index);
    const MilterOption *negotiated = milter_server_context_get_negotiated (context);
    g_autofree gchar *spaced = NULL;
    const gchar *value = header->value;

    /* A milter that asked for the leading space gets the value as it
     * stands after the colon in the message. */
    if (negotiated &&
        (negotiated->steps & MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE))
      value = spaced = g_strconcat (" ", header->value, NULL);
    ok = milter_server_context_header (context, header->name, value, &error);
    break;
  }
  case STEP_END_OF_HEADER:
    ok = milter_server_context_end_of_header (context, &error);
    break;
  case STEP_BODY: {
    gsize size;
    const guint8 *data = g_bytes_get_data (g_ptr_array_index (plan->body_chunks,
                                                              session->index),
                                           &size);

    ok = milter_server_context_body (context, data, size, &error);
    break;
  }
  case STEP_END_OF_MESSAGE:
    ok = milter_server_context_end_of_message (context, NULL, 0, &error);
    break;
  case STEP_QUIT:
    session_quit (session);
    return;
  case STEP_DONE:
  default:
    return;
  }
  if (!ok) {
    session_fail (session, error);
    milter_agent_shutdown (MILTER_AGENT (context));
  }
}

/* Moves to the next step after "continue" (or a per-recipient refusal). */
static void
session_next (Session *session)
{
  const Plan *plan = session->plan;

  switch (session->step) {
  case STEP_NEGOTIATE: session->step = STEP_CONNECT; break;
  case STEP_CONNECT: session->step = STEP_HELO; break;
  case STEP_HELO:
    session->step = plan->unknown ? STEP_UNKNOWN : STEP_ENVELOPE_FROM;
    break;
  case STEP_UNKNOWN: session->step = STEP_ENVELOPE_FROM; break;
  case STEP_ENVELOPE_FROM:
    session->step = STEP_ENVELOPE_RECIPIENT;
    session->index = 0;
    break;
  case STEP_ENVELOPE_RECIPIENT:
    if (++session->index < plan->recipients->len)
      break;
    if (session->n_recipients == 0) {
      /* Every recipient refused: the MTA would not go on to DATA. */
      session_quit (session);
      return;
    }
    session->step = STEP_DATA;
    break;
  case STEP_DATA:
    session->index = 0;
    session->step = milter_headers_length (plan->message->headers) > 0 ?
      STEP_HEADER : STEP_END_OF_HEADER;
    break;
  case STEP_HEADER:
    if (++session->index >= milter_headers_length (plan->message->headers))
      session->step = STEP_END_OF_HEADER;
    break;
  case STEP_END_OF_HEADER:
    session->index = 0;
    session->step = plan->body_chunks->len > 0 ? STEP_BODY : STEP_END_OF_MESSAGE;
    break;
  case STEP_BODY:
    if (++session->index >= plan->body_chunks->len)
      session->step = STEP_END_OF_MESSAGE;
    break;
  case STEP_END_OF_MESSAGE:
    session->status = MILTER_STATUS_PASS;
    session->step = STEP_QUIT;
    break;
  case STEP_QUIT:
  case STEP_DONE:
  default:
    return;
  }
  session_send (session);
}

static void
on_ready (MilterServerContext *context, Session *session)
{
  session->step = STEP_NEGOTIATE;
  session_send (session);
}

static void
on_negotiate_reply (MilterServerContext *context, MilterOption *option,
                    MilterMacrosRequests *requests, Session *session)
{
  session_next (session);
}

static void
on_continue (MilterServerContext *context, Session *session)
{
  session_next (session);
}

/* A refusal: for one recipient at envelope-recipient, else the message. */
static void
refuse (Session *session, MilterStatus status, const gchar *reply_code)
{
  if (session->step == STEP_ENVELOPE_RECIPIENT) {
    const gchar *recipient = g_ptr_array_index (session->plan->recipients,
                                                session->index);

    g_ptr_array_add (session->refused,
                     g_strdup_printf ("%s %s%s%s", recipient,
                                      milter_status_to_string (status),
                                      reply_code ? " " : "",
                                      reply_code ? reply_code : ""));
    milter_server_message_delete_recipient (session->message, recipient);
    session->n_recipients--;
    session->status = status;
    session_next (session);
    return;
  }
  session->status = status;
  g_free (session->reply_code);
  session->reply_code = g_strdup (reply_code);
  session_quit (session);
}

static void
on_reject (MilterServerContext *context, Session *session)
{
  refuse (session, MILTER_STATUS_REJECT, NULL);
}

static void
on_temporary_failure (MilterServerContext *context, Session *session)
{
  refuse (session, MILTER_STATUS_TEMPORARY_FAILURE, NULL);
}

static void
on_reply_code (MilterServerContext *context, const gchar *text,
               Session *session)
{
  refuse (session, milter_server_context_get_status (context), text);
}

static void
on_final (MilterServerContext *context, Session *session)
{
  session->status = milter_server_context_get_status (context);
  session_quit (session);
}

static void
on_skip (MilterServerContext *context, Session *session)
{
  session->step = STEP_END_OF_MESSAGE;
  session_send (session);
}

/* The milter is closing (421 or connection failure): nothing to quit. */
static void
on_closing (MilterServerContext *context, Session *session)
{
  session->status = MILTER_STATUS_TEMPORARY_FAILURE;
  session->step = STEP_DONE;
  milter_agent_shutdown (MILTER_AGENT (context));
}

/* Values are kept without the space after the colon; a milter that
 * negotiated the leading space sends it as part of the value. */
static const gchar *
header_value (MilterServerContext *context, const gchar *value)
{
  const MilterOption *negotiated = milter_server_context_get_negotiated (context);

  if (negotiated &&
      (negotiated->steps & MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE) &&
      value[0] == ' ')
    return value + 1;
  return value;
}

static void
on_add_header (MilterServerContext *context, const gchar *name,
               const gchar *value, Session *session)
{
  value = header_value (context, value);
  milter_headers_add (session->message->headers, name, value, NULL);
}

static void
on_insert_header (MilterServerContext *context, guint index,
                  const gchar *name, const gchar *value, Session *session)
{
  value = header_value (context, value);
  milter_headers_insert (session->message->headers, index, name, value, NULL);
}

static void
on_change_header (MilterServerContext *context, const gchar *name,
                  guint index, const gchar *value, Session *session)
{
  value = header_value (context, value);
  milter_headers_change (session->message->headers, name, index, value, NULL);
}

static void
on_delete_header (MilterServerContext *context, const gchar *name,
                  guint index, Session *session)
{
  milter_headers_delete (session->message->headers, name, index, NULL);
}

static void
on_add_recipient (MilterServerContext *context, const gchar *recipient,
                  const gchar *args, Session *session)
{
  milter_server_message_add_recipient (session->message, recipient);
}

static void
on_delete_recipient (MilterServerContext *context, const gchar *recipient,
                     Session *session)
{
  milter_server_message_delete_recipient (session->message, recipient);
}

static void
on_change_from (MilterServerContext *context, const gchar *from,
                const gchar *args, Session *session)
{
  milter_server_message_set_from (session->message, from);
}

static void
on_replace_body (MilterServerContext *context, gpointer data, guint64 size,
                 Session *session)
{
  milter_server_message_replace_body (session->message, data, (gsize) size);
}

static void
on_quarantine (MilterServerContext *context, const gchar *reason,
               Session *session)
{
  milter_server_message_set_quarantine (session->message, reason);
}

static void
on_error (MilterServerContext *context, GError *error, Session *session)
{
  session_fail (session, error);
}

static void
on_finished (MilterServerContext *context, Session *session)
{
  session->ended = g_get_monotonic_time ();
  /* A session that stopped before any status is a failure. */
  if (!session->error && session->status == MILTER_STATUS_NOT_CHANGE)
    session->error = g_error_new (MILTER_SERVER_CONTEXT_ERROR,
                                  MILTER_SERVER_CONTEXT_ERROR_CLOSED,
                                  "the session ended without a status");
  if (session->done)
    session->done (session, session->done_data);
}

/* What each signal of a session's context does. */
static const struct {
  const gchar *signal;
  GCallback handler;
} session_handlers[] = {
  {"ready", G_CALLBACK (on_ready)},
  {"negotiate-reply", G_CALLBACK (on_negotiate_reply)},
  {"continue", G_CALLBACK (on_continue)},
  {"accept", G_CALLBACK (on_final)},
  {"discard", G_CALLBACK (on_final)},
  {"reject", G_CALLBACK (on_reject)},
  {"temporary-failure", G_CALLBACK (on_temporary_failure)},
  {"reply-code", G_CALLBACK (on_reply_code)},
  {"skip", G_CALLBACK (on_skip)},
  {"shutdown", G_CALLBACK (on_closing)},
  {"connection-failure", G_CALLBACK (on_closing)},
  {"add-header", G_CALLBACK (on_add_header)},
  {"insert-header", G_CALLBACK (on_insert_header)},
  {"change-header", G_CALLBACK (on_change_header)},
  {"delete-header", G_CALLBACK (on_delete_header)},
  {"add-recipient", G_CALLBACK (on_add_recipient)},
  {"delete-recipient", G_CALLBACK (on_delete_recipient)},
  {"change-from", G_CALLBACK (on_change_from)},
  {"replace-body", G_CALLBACK (on_replace_body)},
  {"quarantine", G_CALLBACK (on_quarantine)},
  {"error", G_CALLBACK (on_error)},
  {"finished", G_CALLBACK (on_finished)},
};

static Session *
session_new (const Plan *plan, MilterEventLoop *loop, const gchar *spec,
             SessionDone done, gpointer done_data)
{
  Session *session = g_new0 (Session, 1);
  MilterServerContext *context =
    milter_server_context_new (opt_name ? opt_name : "milter");
  const MilterServerMessage *source = plan->message;

  session->plan = plan;
  session->context = context;
  session->done = done;
  session->done_data = done_data;
  session->status = MILTER_STATUS_NOT_CHANGE;
  session->n_recipients = plan->recipients->len;
  session->refused = g_ptr_array_new_with_free_func (g_free);
  session->message = milter_server_message_new ();
  milter_headers_free (session->message->headers);
  session->message->headers = milter_headers_copy (source->headers);
  g_byte_array_append (session->message->body, source->body->data,
                       source->body->len);
  milter_server_message_set_from (session->message, source->from);
  for (guint i = 0; i < source->recipients->len; i++)
    milter_server_message_add_recipient (session->message,
                                         g_ptr_array_index (source->recipients, i));

  milter_agent_set_event_loop (MILTER_AGENT (context), loop);
  milter_server_context_set_connection_spec (context, spec, NULL);
  if (opt_connection_timeout >= 0)
    milter_server_context_set_connection_timeout (context, opt_connection_timeout);
  if (opt_reading_timeout >= 0)
    milter_server_context_set_reading_timeout (context, opt_reading_timeout);
  if (opt_writing_timeout >= 0)
    milter_server_context_set_writing_timeout (context, opt_writing_timeout);
  if (opt_end_of_message_timeout >= 0)
    milter_server_context_set_end_of_message_timeout (context,
                                                      opt_end_of_message_timeout);
  for (guint i = 0; i < plan->n_macros; i++)
    milter_server_context_set_macros (context, plan->macros[i].command,
                                      (const gchar *const *) plan->macros[i].names->pdata,
                                      (const gchar *const *) plan->macros[i].values->pdata,
                                      plan->macros[i].names->len);

  /* One handler per signal the context reports. */
  for (guint i = 0; i < G_N_ELEMENTS (session_handlers); i++)
    g_signal_connect (context, session_handlers[i].signal,
                      session_handlers[i].handler, session);
  return session;
}

static gboolean
session_start (Session *session, GError **error)
{
  session->started = g_get_monotonic_time ();
  return milter_server_context_establish_connection (session->context, error);
}

static void
session_free (Session *session)
{
  g_signal_handlers_disconnect_by_data (session->context, session);
  g_object_unref (session->context);
  milter_server_message_free (session->message);
  g_free (session->reply_code);
  g_ptr_array_unref (session->refused);
  g_clear_error (&session->error);
  g_free (session);
}

static gdouble
session_elapsed (const Session *session)
{
  return (gdouble) (session->ended - session->started) / G_USEC_PER_SEC;
}

/* ---- single mode ----------------------------------------------------- */

static void
single_done (Session *session, gpointer user_data)
{
  milter_event_loop_quit (user_data);
}

static gint
run_single (const Plan *plan, MilterEventLoop *loop, const gchar *spec)
{
  Session *session = session_new (plan, loop, spec, single_done, loop);
  g_autoptr (GError) error = NULL;
  gint status = 0;

  if (!session_start (session, &error)) {
    g_printerr (PROGRAM ": %s\n", error->message);
    session_free (session);
    return 1;
  }
  milter_event_loop_run (loop);
  if (session->error) {
    g_printerr (PROGRAM ": %s\n", session->error->message);
    status = 1;
  } else {
    g_print ("status: %s\n", milter_status_to_string (session->status));
    if (session->reply_code)
      g_print ("reply-code: %s\n", session->reply_code);
    g_print ("elapsed-time: %.6f seconds\n", session_elapsed (session));
    if (opt_output_message) {
      g_autofree gchar *text = milter_server_message_format (session->message);

      for (guint i = 0; i < session->refused->len; i++)
        g_print ("refused-recipient: %s\n",
                 (const gchar *) g_ptr_array_index (session->refused, i));
      fputs (text, stdout);
    }
  }
  session_free (session);
  return status;
}

/* ---- load mode ------------------------------------------------------- */

typedef struct {
  const Plan *plan;
  MilterEventLoop *loop;
  const gchar *spec;
  guint n_sessions;
  guint started;
  guint done;
  guint failed;
  guint statuses[MILTER_STATUS_COUNT];
  GArray *latencies;  /* gdouble seconds */
  GPtrArray *finished_sessions;
  guint reap_id;
  gchar *first_error;
} Load;

static void load_start_one (Load *load);

/* Sessions are freed from the loop, not inside their own "finished". */
static gboolean
load_reap (gpointer user_data)
{
  Load *load = user_data;

  load->reap_id = 0;
  g_ptr_array_set_size (load->finished_sessions, 0);
  return G_SOURCE_REMOVE;
}

static void
load_done (Session *session, gpointer user_data)
{
  Load *load = user_data;

  load->done++;
  if (session->error) {
    load->failed++;
    if (!load->first_error)
      load->first_error = g_strdup (session->error->message);
  } else {
    gdouble latency = session_elapsed (session);

    load->statuses[session->status]++;
    g_array_append_val (load->latencies, latency);
  }
  g_ptr_array_add (load->finished_sessions, session);
  if (!load->reap_id)
    load->reap_id = milter_event_loop_add_idle (load->loop, load_reap, load, NULL);
  if (load->started < load->n_sessions)
    load_start_one (load);
  else if (load->done == load->n_sessions)
    milter_event_loop_quit (load->loop);
}

static void
load_start_one (Load *load)
{
  Session *session = session_new (load->plan, load->loop, load->spec,
                                  load_done, load);
  g_autoptr (GError) error = NULL;

  load->started++;
  if (!session_start (session, &error)) {
    session->error = g_steal_pointer (&error);
    session->ended = g_get_monotonic_time ();
    load_done (session, load);
  }
}

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a;
  gdouble y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

static gdouble
percentile (GArray *sorted, gdouble p)
{
  guint index;

  if (sorted->len == 0)
    return 0;
  index = (guint) (p * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, gdouble, index);
}

static gint
run_load (const Plan *plan, MilterEventLoop *loop, const gchar *spec)
{
  Load load = { 0 };
  gint64 started;
  gdouble elapsed;
  guint concurrency = (guint) MIN (opt_concurrency, opt_n_sessions);

  load.plan = plan;
  load.loop = loop;
  load.spec = spec;
  load.n_sessions = (guint) opt_n_sessions;
  load.latencies = g_array_sized_new (FALSE, FALSE, sizeof (gdouble),
                                      load.n_sessions);
  load.finished_sessions =
    g_ptr_array_new_with_free_func ((GDestroyNotify) session_free);
  started = g_get_monotonic_time ();
  for (guint i = 0; i < concurrency; i++)
    load_start_one (&load);
  if (load.done < load.n_sessions)
    milter_event_loop_run (loop);
  elapsed = (gdouble) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  if (load.reap_id)
    milter_event_loop_remove (loop, load.reap_id);
  g_ptr_array_unref (load.finished_sessions);

  g_array_sort (load.latencies, compare_doubles);
  g_print ("sessions: %u\n", load.n_sessions);
  g_print ("concurrency: %u\n", concurrency);
  g_print ("failed: %u\n", load.failed);
  for (guint i = 0; i < MILTER_STATUS_COUNT; i++) {
    if (load.statuses[i])
      g_print ("status-%s: %u\n", milter_status_to_string (i), load.statuses[i]);
  }
  g_print ("elapsed-time: %.6f seconds\n", elapsed);
  g_print ("sessions-per-second: %.1f\n",
           elapsed > 0 ? (load.done - load.failed) / elapsed : 0.0);
  g_print ("latency-p50: %.3f ms\n", percentile (load.latencies, 0.50) * 1000);
  g_print ("latency-p99: %.3f ms\n", percentile (load.latencies, 0.99) * 1000);
  if (load.first_error)
    g_printerr (PROGRAM ": %u sessions failed; first: %s\n", load.failed,
                load.first_error);
  g_free (load.first_error);
  g_array_unref (load.latencies);
  return load.failed ? 1 : 0;
}

/* ---- main ------------------------------------------------------------ */

static void
free_options (void)
{
  g_free (opt_spec);
  g_free (opt_name);
  g_free (opt_connect_host);
  g_free (opt_connect_address);
  g_free (opt_helo_fqdn);
  g_free (opt_from);
  g_strfreev (opt_recipients);
  g_strfreev (opt_connect_macros);
  g_strfreev (opt_helo_macros);
  g_strfreev (opt_from_macros);
  g_strfreev (opt_recipient_macros);
  g_strfreev (opt_data_macros);
  g_strfreev (opt_end_of_header_macros);
  g_strfreev (opt_end_of_message_macros);
  g_strfreev (opt_headers);
  g_strfreev (opt_bodies);
  g_free (opt_mail_file);
  g_free (opt_unknown);
  g_free (opt_auth_name);
  g_free (opt_auth_type);
  g_free (opt_auth_author);
  g_free (opt_backend);
}

static gboolean
check_timeouts (GError **error)
{
  const struct {
    const gchar *name;
    gdouble *value;
  } timeouts[] = {
    { "all-timeouts", &opt_all_timeouts },
    { "connection-timeout", &opt_connection_timeout },
    { "reading-timeout", &opt_reading_timeout },
    { "writing-timeout", &opt_writing_timeout },
    { "end-of-message-timeout", &opt_end_of_message_timeout },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (timeouts); i++) {
    /* -1 is "not given"; any other negative value is a mistake. */
    if (*timeouts[i].value < 0 && *timeouts[i].value != -1) {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "invalid --%s %g: must not be negative", timeouts[i].name,
                   *timeouts[i].value);
      return FALSE;
    }
  }
  if (opt_all_timeouts >= 0) {
    opt_connection_timeout = opt_reading_timeout = opt_writing_timeout =
      opt_end_of_message_timeout = opt_all_timeouts;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) option_context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterEventLoop) loop = NULL;
  g_autoptr (MilterConnectionSpec) spec = NULL;
  g_autofree gchar *spec_text = NULL;
  Plan plan;
  gint status;

  setlocale (LC_ALL, "");
  option_context = g_option_context_new ("- talk to a milter as an MTA would");
  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error)) {
    g_printerr (PROGRAM ": %s\n", error->message);
    free_options ();
    return 2;
  }
  if (opt_version) {
    g_print ("%s %s\n", PROGRAM, VERSION);
    free_options ();
    return 0;
  }
  if (argc > 1) {
    g_printerr (PROGRAM ": unexpected argument '%s'\n", argv[1]);
    free_options ();
    return 2;
  }
  if (opt_verbose)
    milter_logger_set_levels (MILTER_LOG_LEVEL_ALL);
  spec = milter_connection_spec_parse (opt_spec ? opt_spec : "inet:10025@localhost",
                                       &error);
  if (!spec || !check_timeouts (&error)) {
    g_printerr (PROGRAM ": %s\n", error->message);
    free_options ();
    return 2;
  }
  if (opt_n_sessions < 0 || opt_concurrency < 1) {
    g_printerr (PROGRAM ": --n-sessions must be at least 0 and --concurrency "
                "at least 1\n");
    free_options ();
    return 2;
  }
  loop = milter_event_loop_new_by_name (opt_backend, &error);
  if (!loop) {
    g_printerr (PROGRAM ": %s\n", error->message);
    free_options ();
    return 2;
  }
  if (!build_plan (&plan, &error)) {
    g_printerr (PROGRAM ": %s\n", error->message);
    plan_clear (&plan);
    free_options ();
    return 2;
  }
  spec_text = milter_connection_spec_to_string (spec);
  if (opt_n_sessions > 0)
    status = run_load (&plan, loop, spec_text);
  else
    status = run_single (&plan, loop, spec_text);
  plan_clear (&plan);
  free_options ();
  return status;
}

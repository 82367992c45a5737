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
 *   Prints what ClearCode milter manager's milter-test-server prints,
 *   colours aside:
 *
 *     status: STATUS[ [CODE]<EXTENDED>(MESSAGE)]
 *     elapsed-time: SECONDS seconds
 *     [Quarantine reason: <REASON>]
 *
 *   and with --output-message a blank line and the Envelope:, Header: and
 *   Body: sections (milter-server-message-diff.h), coloured when standard
 *   output is a colour terminal or --color says so. STATUS is "pass" when
 *   the milter only continued. A refused recipient does not end the
 *   session while any is left. Defaults are the original's: From: and To:
 *   headers from the envelope unless given, a four-line body, the
 *   original's macros. A session error prints only its message.
 *
 *   Load mode (--n-sessions, --concurrency) runs N such sessions, C at a
 *   time, on one event loop, and prints sessions per second and latency
 *   percentiles. Each session is the same code as the single one.
 *
 * EXIT STATUS
 *   0 when every session reached a status, 1 when a session failed
 *   (connection, timeout, protocol error, a malformed reply code), 2 for
 *   bad input.
 *
 * DIAGNOSTICS
 *   Bad input (unknown option, malformed spec, macro or header, unreadable
 *   mail file) is reported on standard error, "milter-test-server: ...";
 *   a session failure as its message alone on standard output.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
#include <milter/server/milter-server-message-diff.h>

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
static gchar *opt_color = NULL;
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

static gboolean
parse_color (const gchar *option, const gchar *value, gpointer data,
             GError **error)
{
  static const gchar *const known[] = { "yes", "true", "no", "false", "auto" };

  for (gsize i = 0; value && i < G_N_ELEMENTS (known); i++) {
    if (g_ascii_strcasecmp (value, known[i]) == 0) {
      g_free (opt_color);
      opt_color = g_ascii_strdown (value, -1);
      return TRUE;
    }
  }
  if (value) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "invalid --color '%s': expected yes, true, no, false or auto",
                 value);
    return FALSE;
  }
  g_free (opt_color);
  opt_color = g_strdup ("yes");
  return TRUE;
}

/* "auto": a terminal that shows colours, as the original guesses it. */
static gboolean
use_color (void)
{
  const gchar *term = g_getenv ("TERM");

  if (opt_color && (strcmp (opt_color, "yes") == 0 ||
                    strcmp (opt_color, "true") == 0))
    return TRUE;
  if (opt_color && (strcmp (opt_color, "no") == 0 ||
                    strcmp (opt_color, "false") == 0))
    return FALSE;
  return isatty (STDOUT_FILENO) && term &&
    (g_str_has_suffix (term, "term") || g_str_has_suffix (term, "color") ||
     g_str_has_prefix (term, "screen") || strcmp (term, "linux") == 0);
}

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
    "Client address for connect as a spec (default inet:50443@[192.168.123.123])", "SPEC" },
  { "helo-fqdn", 0, 0, G_OPTION_ARG_STRING, &opt_helo_fqdn,
    "HELO name (default delian)", "FQDN" },
  { "envelope-from", 'f', 0, G_OPTION_ARG_STRING, &opt_from,
    "MAIL FROM address (default <sender@example.com>)", "ADDRESS" },
  { "from", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_from, NULL, NULL },
  { "envelope-recipient", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &opt_recipients,
    "RCPT TO address; repeat for more (default <receiver@example.org>)", "ADDRESS" },
  { "recipient", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING_ARRAY,
    &opt_recipients, NULL, NULL },
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
  { "color", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK,
    (gpointer) parse_color, "Colour the changes: yes, no or auto (default)",
    "[yes|true|no|false|auto]" },
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

/* "<address>" whichever way it was given, as the original adds "<>". */
static gchar *
normalize_address (const gchar *address)
{
  if (address[0] == '<')
    return g_strdup (address);
  return g_strdup_printf ("<%s>", address);
}

/* The "<...>" part of a From: or To: value, else its first word. */
static gchar *
address_from_header (const gchar *value)
{
  const gchar *open = strchr (value, '<');
  const gchar *close = open ? strchr (open, '>') : NULL;
  g_autofree gchar *word = NULL;
  const gchar *end;

  if (open && close)
    return g_strndup (open, (gsize) (close - open + 1));
  while (*value == ' ' || *value == '\t')
    value++;
  for (end = value; *end && *end != ' ' && *end != '\t' && *end != '\n'; end++)
    ;
  word = g_strndup (value, (gsize) (end - value));
  return normalize_address (word);
}

/* The macros the original sends, before any given with options. */
static void
add_default_macros (Plan *plan)
{
  static const gchar *const defaults[][3] = {
    { "C", "{if_name}", "localhost" },
    { "C", "{if_addr}", "127.0.0.1" },
    { "C", "j", "mail.example.com" },
    { "H", "{tls_version}", "0" },
    { "H", "{cipher}", "0" },
    { "H", "{cipher_bits}", "0" },
    { "H", "{cert_subject}", "cert_subject" },
    { "H", "{cert_issuer}", "cert_issuer" },
    { "M", "{mail_mailer}", "mail_mailer" },
    { "M", "{mail_host}", "mail_host" },
    { "M", "{mail_addr}", "mail_addr" },
    { "R", "{rcpt_mailer}", "rcpt_mailer" },
    { "R", "{rcpt_host}", "rcpt_host" },
    { "T", "i", "i" },
    { "N", "i", "i" },
  };

  add_macro (plan, 'C', "{daemon_name}", opt_name ? opt_name : PROGRAM);
  for (gsize i = 0; i < G_N_ELEMENTS (defaults); i++)
    add_macro (plan, (guint8) defaults[i][0][0], defaults[i][1], defaults[i][2]);
}

static gboolean
read_mail_file (Plan *plan, GError **error)
{
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
  return TRUE;
}

/* Without -f and -r, a mail file's From: and To: headers give the
 * envelope, as in the original. */
static void
envelope_from_mail_file (Plan *plan)
{
  const MilterHeaders *headers = plan->message->headers;

  if (!opt_from && milter_headers_find (headers, "From", 1))
    plan->from = address_from_header (milter_headers_find (headers, "From", 1));
  if (!opt_recipients) {
    for (guint i = 1; milter_headers_find (headers, "To", i); i++)
      g_ptr_array_add (plan->recipients,
                       address_from_header (milter_headers_find (headers, "To", i)));
  }
}

static gboolean
build_plan (Plan *plan, GError **error)
{
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
                              "inet:50443@[192.168.123.123]", error))
    return FALSE;
  plan->helo = g_strdup (opt_helo_fqdn ? opt_helo_fqdn : "delian");
  plan->unknown = g_strdup (opt_unknown);
  plan->recipients = g_ptr_array_new_with_free_func (g_free);
  if (opt_mail_file) {
    if (!read_mail_file (plan, error))
      return FALSE;
    envelope_from_mail_file (plan);
  } else {
    plan->message = milter_server_message_new ();
  }
  if (!plan->from)
    plan->from = normalize_address (opt_from ? opt_from : "sender@example.com");
  for (gsize i = 0; opt_recipients && opt_recipients[i]; i++)
    g_ptr_array_add (plan->recipients, normalize_address (opt_recipients[i]));
  if (plan->recipients->len == 0)
    g_ptr_array_add (plan->recipients, g_strdup ("<receiver@example.org>"));

  add_default_macros (plan);
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
  /* From: and To: from the envelope unless given, after the others. */
  if (!milter_headers_find (plan->message->headers, "From", 1))
    milter_headers_add (plan->message->headers, "From", plan->from, NULL);
  if (!milter_headers_find (plan->message->headers, "To", 1))
    milter_headers_add (plan->message->headers, "To",
                        g_ptr_array_index (plan->recipients, 0), NULL);
  plan->body_chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (gsize i = 0; opt_bodies && opt_bodies[i]; i++)
    g_ptr_array_add (plan->body_chunks, g_bytes_new (opt_bodies[i],
                                                     strlen (opt_bodies[i])));
  if (plan->body_chunks->len == 0) {
    static const gchar default_body[] =
      "La de da de da 1.\nLa de da de da 2.\nLa de da de da 3.\nLa de da de da 4.";

    if (opt_mail_file)
      g_ptr_array_add (plan->body_chunks,
                       g_bytes_new (plan->message->body->data,
                                    plan->message->body->len));
    else
      g_ptr_array_add (plan->body_chunks,
                       g_bytes_new_static (default_body,
                                           sizeof (default_body) - 1));
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
  gchar *reply_code;     /* " [550]<5.7.1>(text)" for the status line */
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

/* Ends the message: quit, then close at once. A milter that keeps the
 * connection open after quit must not keep us waiting (the original tool
 * shuts down right after quit too). */
static void
session_quit (Session *session)
{
  g_autoptr (GError) error = NULL;

  session->step = STEP_DONE;
  if (!milter_server_context_quit (session->context, &error))
    session_fail (session, error);
  milter_agent_shutdown (MILTER_AGENT (session->context));
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

    ok = milter_server_context_header (context, header->name, header->value,
                                       &error);
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

/* The status line's reply part, " [CODE]<EXTENDED>(MESSAGE)", as the
 * original prints it ("(null)" for a missing part). */
static gchar *
reply_code_part (const MilterReplyCode *reply_code)
{
  g_autofree gchar *message = g_strjoinv ("\n", reply_code->lines);

  return g_strdup_printf (" [%u]<%s>(%s)", reply_code->code,
                          reply_code->extended_code ?
                          reply_code->extended_code : "(null)",
                          message[0] ? message : "(null)");
}

/* A refusal of one recipient goes on with the next (the recipient stays
 * in the envelope shown, as in the original); any other ends the
 * message. */
static void
refuse (Session *session, MilterStatus status)
{
  const MilterReplyCode *reply_code =
    milter_server_context_get_reply_code (session->context);

  session->status = status;
  if (reply_code) {
    g_free (session->reply_code);
    session->reply_code = reply_code_part (reply_code);
  }
  if (session->step == STEP_ENVELOPE_RECIPIENT) {
    session->n_recipients--;
    session_next (session);
    return;
  }
  session_quit (session);
}

static void
on_reject (MilterServerContext *context, Session *session)
{
  refuse (session, MILTER_STATUS_REJECT);
}

/* A malformed reply code comes as temporary-failure (the library's rule);
 * the tool says so and fails rather than print a status. */
static void
on_temporary_failure (MilterServerContext *context, Session *session)
{
  const GError *malformed = milter_server_context_get_reply_code_error (context);

  if (malformed) {
    g_autoptr (GError) error =
      g_error_new (MILTER_SERVER_CONTEXT_ERROR,
                   MILTER_SERVER_CONTEXT_ERROR_PROTOCOL,
                   "the milter sent a malformed reply code: %s",
                   malformed->message);

    session_fail (session, error);
    session_quit (session);
    return;
  }
  refuse (session, MILTER_STATUS_TEMPORARY_FAILURE);
}

static void
on_reply_code (MilterServerContext *context, const gchar *text,
               Session *session)
{
  refuse (session, milter_server_context_get_status (context));
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

static void
on_add_header (MilterServerContext *context, const gchar *name,
               const gchar *value, Session *session)
{
  milter_headers_add (session->message->headers, name, value, NULL);
}

static void
on_insert_header (MilterServerContext *context, guint index,
                  const gchar *name, const gchar *value, Session *session)
{
  milter_headers_insert (session->message->headers, index, name, value, NULL);
}

static void
on_change_header (MilterServerContext *context, const gchar *name,
                  guint index, const gchar *value, Session *session)
{
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
    /* Only the message, on standard output, as the original. */
    g_print ("%s\n", session->error->message);
    status = 1;
  } else {
    MilterStatus shown = session->status;

    g_print ("status: %s%s\n",
             shown == MILTER_STATUS_CONTINUE || shown == MILTER_STATUS_NOT_CHANGE ?
             "pass" : milter_status_to_string (shown),
             session->reply_code ? session->reply_code : "");
    g_print ("elapsed-time: %g seconds\n", session_elapsed (session));
    if (session->message->quarantine_reason)
      g_print ("Quarantine reason: <%s>\n", session->message->quarantine_reason);
    if (opt_output_message) {
      g_autoptr (GString) text = g_string_new ("\n");

      milter_server_message_diff (text, plan->message, session->message,
                                  use_color ());
      fputs (text->str, stdout);
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
  g_free (opt_color);
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

/*
 * milter-header-client - a small milter on libmilter-client for MTA tests
 *
 * SYNOPSIS
 *   milter-header-client -s SPEC [--header NAME:VALUE]
 *                        [--reject-recipient TEXT] [common milter options]
 *
 * DESCRIPTION
 *   Adds one header (default "X-Milter-Client: passed") to every message
 *   at end-of-message and accepts it. A recipient containing TEXT is
 *   rejected with "550 5.7.1 recipient rejected by milter-header-client",
 *   so an SMTP client sees a 5xx. It asks for the envelope-from macros
 *   "i {mail_addr}" through the v6 macro list and, like a real milter,
 *   negotiates only the add-headers action.
 *
 * DIAGNOSTICS
 *   Exit status 1 on a bad option or when the client cannot run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-options.h>

static gchar *header_name;
static gchar *header_value;
static gchar *reject_text;

static MilterStatus
negotiate (MilterClientContext *context, const MilterOption *offer,
           MilterOption *option, MilterMacrosRequests *requests, gpointer data)
{
  (void) context;
  (void) offer;
  (void) data;
  option->actions = MILTER_ACTION_ADD_HEADERS;
  milter_macros_requests_set_from_string (requests,
                                          MILTER_MACRO_STAGE_ENVELOPE_FROM,
                                          "i {mail_addr}");
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
envelope_recipient (MilterClientContext *context, const gchar *to,
                    const gchar *const *args, gpointer data)
{
  (void) args;
  (void) data;
  if (reject_text && strstr (to, reject_text)) {
    milter_client_context_set_reply (context, 550, "5.7.1",
                                     "recipient rejected by "
                                     "milter-header-client", NULL);
    return MILTER_STATUS_REJECT;
  }
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
end_of_message (MilterClientContext *context, gconstpointer chunk,
                guint64 size, gpointer data)
{
  g_autoptr (GError) error = NULL;

  (void) chunk;
  (void) size;
  (void) data;
  if (!milter_client_context_add_header (context, header_name, header_value,
                                         &error))
    milter_error (milter_agent_get_session_id (MILTER_AGENT (context)),
                  "[header-client][add-header][error] %s", error->message);
  return MILTER_STATUS_ACCEPT;
}

static void
established (MilterClient *client, MilterClientContext *context, gpointer data)
{
  (void) client;
  (void) data;
  g_signal_connect (context, "negotiate", G_CALLBACK (negotiate), NULL);
  g_signal_connect (context, "envelope-recipient",
                    G_CALLBACK (envelope_recipient), NULL);
  g_signal_connect (context, "end-of-message", G_CALLBACK (end_of_message),
                    NULL);
}

int
main (int argc, char **argv)
{
  gchar *header = NULL;
  gboolean multi_thread = FALSE;
  const GOptionEntry entries[] = {
    { "header", 0, 0, G_OPTION_ARG_STRING, &header,
      "Header to add (default X-Milter-Client:passed)", "NAME:VALUE" },
    { "reject-recipient", 0, 0, G_OPTION_ARG_STRING, &reject_text,
      "Reject recipients containing TEXT", "TEXT" },
    { "multi-thread", 0, 0, G_OPTION_ARG_NONE, &multi_thread,
      "Sessions on a pool of threads", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) option_context = NULL;
  g_autoptr (MilterClient) client = milter_client_new ();
  g_autoptr (GError) error = NULL;
  MilterClientOptions options;
  gint status = EXIT_SUCCESS;

  milter_client_options_init (&options, "milter-header-client",
                              PACKAGE_VERSION, "inet:10025@[127.0.0.1]");
  option_context = g_option_context_new ("- add a header, reject recipients");
  g_option_context_add_main_entries (option_context, entries, NULL);
  g_option_context_add_group (option_context,
                              milter_client_options_group_new (&options));
  if (!g_option_context_parse (option_context, &argc, &argv, &error) ||
      !milter_client_options_apply (&options, client, &error)) {
    fprintf (stderr, "milter-header-client: %s\n", error->message);
    status = EXIT_FAILURE;
  } else {
    const gchar *colon = header ? strchr (header, ':') : NULL;

    header_name = colon ? g_strndup (header, (gsize) (colon - header)) :
                  g_strdup ("X-Milter-Client");
    header_value = g_strdup (colon ? colon + 1 : "passed");
    milter_client_set_multi_thread (client, multi_thread);
    g_signal_connect (client, "connection-established",
                      G_CALLBACK (established), NULL);
    if (!milter_client_run (client, NULL))
      status = EXIT_FAILURE;
  }
  milter_client_options_clear (&options);
  g_free (header);
  g_free (header_name);
  g_free (header_value);
  g_free (reject_text);
  return status;
}

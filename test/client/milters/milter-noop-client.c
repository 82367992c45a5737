/*
 * milter-noop-client - a milter on libmilter-client that does nothing
 *
 * SYNOPSIS
 *   milter-noop-client -s SPEC [--multi-thread] [common milter options]
 *
 * DESCRIPTION
 *   The counterpart of test/integration/milters/libmilter-noop.c for the
 *   benchmark: every event is asked for with a reply and answered
 *   continue (the library's default), end-of-message with accept. No
 *   actions, no logging per message.
 *
 * DIAGNOSTICS
 *   Exit status 1 on a bad option or when the client cannot run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include <milter/client/milter-client.h>
#include <milter/client/milter-client-options.h>

static MilterStatus
accept_message (MilterClientContext *context, gconstpointer chunk,
                guint64 size, gpointer data)
{
  (void) context;
  (void) chunk;
  (void) size;
  (void) data;
  return MILTER_STATUS_ACCEPT;
}

static void
established (MilterClient *client, MilterClientContext *context, gpointer data)
{
  (void) client;
  (void) data;
  g_signal_connect (context, "end-of-message", G_CALLBACK (accept_message),
                    NULL);
}

int
main (int argc, char **argv)
{
  gboolean multi_thread = FALSE;
  const GOptionEntry entries[] = {
    { "multi-thread", 0, 0, G_OPTION_ARG_NONE, &multi_thread,
      "Sessions on a pool of threads", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) option_context = NULL;
  g_autoptr (MilterClient) client = milter_client_new ();
  g_autoptr (GError) error = NULL;
  MilterClientOptions options;
  gint status = EXIT_SUCCESS;

  milter_client_options_init (&options, "milter-noop-client", PACKAGE_VERSION,
                              "inet:10025@[127.0.0.1]");
  option_context = g_option_context_new ("- a milter that does nothing");
  g_option_context_add_main_entries (option_context, entries, NULL);
  g_option_context_add_group (option_context,
                              milter_client_options_group_new (&options));
  if (!g_option_context_parse (option_context, &argc, &argv, &error) ||
      !milter_client_options_apply (&options, client, &error)) {
    fprintf (stderr, "milter-noop-client: %s\n", error->message);
    status = EXIT_FAILURE;
  } else {
    milter_client_set_multi_thread (client, multi_thread);
    g_signal_connect (client, "connection-established",
                      G_CALLBACK (established), NULL);
    if (!milter_client_run (client, NULL))
      status = EXIT_FAILURE;
  }
  milter_client_options_clear (&options);
  return status;
}

/*
 * milter-packet-dump - print the packets of a captured milter byte stream
 *
 * SYNOPSIS
 *   milter-packet-dump [--replies] [--max-packet-size N] [FILE...]
 *
 * DESCRIPTION
 *   Reads one direction of a milter conversation (MTA to milter by
 *   default, milter to MTA with --replies) from each FILE, or standard
 *   input, and prints one line per packet saying what it
 *   carries. Useful to read a capture (e.g. tshark's "follow tcp" raw output)
 *   or to check what a program writes.
 *
 * DIAGNOSTICS
 *   A malformed stream ends the dump with one line naming what was wrong
 *   and at which byte offset, and exit status 1. Usage errors exit 2.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>

#include <milter/core/milter-command-decoder.h>
#include <milter/core/milter-reply-decoder.h>

typedef struct {
  guint64 n_packets;
} Dump;

static gboolean
print_command (const MilterCommand *command, gpointer user_data, GError **error)
{
  Dump *dump = user_data;
  g_autofree gchar *text = milter_command_to_string (command);

  dump->n_packets++;
  g_print ("%s\n", text);
  return TRUE;
}

static gboolean
print_reply (const MilterReply *reply, gpointer user_data, GError **error)
{
  Dump *dump = user_data;
  g_autofree gchar *text = milter_reply_to_string (reply);

  dump->n_packets++;
  g_print ("%s\n", text);
  return TRUE;
}

static gboolean
dump_stream (GInputStream *input, gboolean replies, gsize max_packet_size,
             Dump *dump, GError **error)
{
  g_autoptr (MilterCommandDecoder) commands = milter_command_decoder_new (max_packet_size);
  g_autoptr (MilterReplyDecoder) reply_decoder = milter_reply_decoder_new (max_packet_size);
  g_autofree guint8 *buffer = g_malloc (256 * 1024);

  for (;;) {
    gssize size = g_input_stream_read (input, buffer, 256 * 1024, NULL, error);

    if (size < 0)
      return FALSE;
    if (size == 0)
      break;
    if (replies
          ? !milter_reply_decoder_feed (reply_decoder, buffer, (gsize) size,
                                        print_reply, dump, error)
          : !milter_command_decoder_feed (commands, buffer, (gsize) size,
                                          print_command, dump, error))
      return FALSE;
  }
  return replies ? milter_reply_decoder_finish (reply_decoder, error)
                 : milter_command_decoder_finish (commands, error);
}

int
main (int argc, char **argv)
{
  gboolean replies = FALSE;
  gint64 max_packet_size = 0;
  g_auto (GStrv) files = NULL;
  GOptionEntry entries[] = {
    {"replies", 'r', 0, G_OPTION_ARG_NONE, &replies,
     "The stream is milter-to-MTA replies (default: MTA-to-milter commands)", NULL},
    {"max-packet-size", 0, 0, G_OPTION_ARG_INT64, &max_packet_size,
     "Refuse packets longer than N bytes (default 1 MiB)", "N"},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "[FILE...]"},
    {NULL}
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[FILE...]");
  g_autoptr (GError) error = NULL;
  Dump dump = {0};
  guint i;

  g_option_context_set_summary (context,
    "Print the packets of a captured milter byte stream, one line each.\n"
    "Reads standard input when no FILE is given.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("milter-packet-dump: %s (see --help)\n", error->message);
    return 2;
  }
  if (max_packet_size < 0 || max_packet_size > G_MAXUINT32) {
    g_printerr ("milter-packet-dump: --max-packet-size must be between 1 and %u\n",
                G_MAXUINT32);
    return 2;
  }
  for (i = 0; i == 0 || (files && files[i]); i++) {
    g_autoptr (GInputStream) input = NULL;
    const gchar *name = files && files[i] ? files[i] : "-";

    if (g_str_equal (name, "-")) {
      input = g_unix_input_stream_new (0, FALSE);
    } else {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (name);
      input = G_INPUT_STREAM (g_file_read (file, NULL, &error));
      if (!input) {
        g_printerr ("milter-packet-dump: %s\n", error->message);
        return 1;
      }
    }
    if (!dump_stream (input, replies, (gsize) max_packet_size, &dump, &error)) {
      g_printerr ("milter-packet-dump: %s: %s\n",
                  g_str_equal (name, "-") ? "standard input" : name, error->message);
      return 1;
    }
  }
  return 0;
}

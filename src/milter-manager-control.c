/*
 * milter-manager-control - talk to a running milter-manager through its
 * controller socket
 *
 * SYNOPSIS
 *   milter-manager-control [-s SPEC] [-c DIR] [-t SECONDS] COMMAND [ARG]
 *     COMMAND: reload | status | get-configuration |
 *              set-configuration FILE | stop-child NAME
 *
 * DESCRIPTION
 *   Sends one command (controller.md §3, with our codec) and prints the
 *   answer: status and get-configuration print the daemon's text on
 *   standard output; the others print a one-line confirmation. Without
 *   -s, the socket is controller.connection_spec of the configuration
 *   the daemon would load (-c DIR, $MILTER_MANAGER_CONFIG_DIR, the
 *   built-in directory); it has no default: a configuration without one
 *   has no controller. set-configuration reads FILE ("-": standard
 *   input). See milter-manager-control(1) and doc/controller.md.
 *
 * EXIT STATUS
 *   0 done; 1 the daemon refused (its reason on standard error); 2 bad
 *   command line; 3 the daemon could not be reached or did not answer
 *   properly (no controller socket configured, connect, time-out, a
 *   malformed reply).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-socket.h>
#include <milter/manager/milter-manager-control-codec.h>
#include "src/milter-manager-daemon.h"

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static gchar *spec_option = NULL;
static gchar *config_dir = NULL;
static gdouble timeout_seconds = 60.0;

static const GOptionEntry entries[] = {
  { "connection-spec", 's', 0, G_OPTION_ARG_STRING, &spec_option,
    "The controller socket (default: controller.connection_spec of the configuration)", "SPEC" },
  { "config-dir", 'c', 0, G_OPTION_ARG_FILENAME, &config_dir,
    "Read the configuration from DIR first (to find the socket)", "DIR" },
  { "timeout", 't', 0, G_OPTION_ARG_DOUBLE, &timeout_seconds,
    "Seconds to wait for the daemon (default 60)", "SECONDS" },
  { NULL }
};

static const struct {
  const gchar *name;
  MilterManagerControlWord word;
  const gchar *argument;     /* NULL: none */
} commands[] = {
  { "reload", MILTER_MANAGER_CONTROL_RELOAD, NULL },
  { "status", MILTER_MANAGER_CONTROL_GET_STATUS, NULL },
  { "get-configuration", MILTER_MANAGER_CONTROL_GET_CONFIGURATION, NULL },
  { "set-configuration", MILTER_MANAGER_CONTROL_SET_CONFIGURATION, "FILE" },
  { "stop-child", MILTER_MANAGER_CONTROL_STOP_CHILD, "NAME" },
};

static gint
fail (gint status, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gint
fail (gint status, const gchar *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree gchar *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("milter-manager-control: %s\n", message);
  return status;
}

/* controller.connection_spec of the configuration a daemon would load. */
static gchar *
configured_spec (GError **error)
{
  MilterManagerDaemon daemon;
  MilterManagerLoaded loaded;
  gchar *spec = NULL;

  milter_manager_daemon_init (&daemon);
  milter_manager_command_line_init (&daemon.command_line);
  daemon.load_path = milter_manager_ruby_configuration_default_load_path (config_dir);
  if (milter_manager_daemon_load_quietly (&daemon, (const gchar *const *) daemon.load_path,
                                          &loaded, error)) {
    spec = g_strdup (loaded.settings->controller_connection_spec);
    if (!spec)
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "the configuration has no controller (controller.connection_spec is nil): "
                   "set it, or give -s SPEC");
    milter_manager_loaded_clear (&loaded);
  }
  milter_manager_daemon_clear (&daemon);
  return spec;
}

static gboolean
wait_for (gint fd, gshort events, gint64 deadline, GError **error)
{
  for (;;) {
    gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
    struct pollfd item = { fd, events, 0 };
    if (left <= 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no answer in %g seconds",
                   timeout_seconds);
      return FALSE;
    }
    gint n = poll (&item, 1, (gint) MIN (left, G_MAXINT));
    if (n > 0)
      return TRUE;
    if (n < 0 && errno != EINTR) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "poll: %s",
                   g_strerror (errno));
      return FALSE;
    }
  }
}

typedef struct {
  gboolean done;
  MilterManagerControlWord word;
  GString *text;
} Reply;

static gboolean
on_reply (MilterManagerControlWord word, const guint8 *payload, gsize size, gpointer user_data,
          GError **error)
{
  Reply *reply = user_data;
  (void) error;
  if (reply->done)
    return TRUE;
  reply->done = TRUE;
  reply->word = word;
  g_string_append_len (reply->text, (const gchar *) payload, (gssize) size);
  return TRUE;
}

/* One command, its reply. */
static gboolean
exchange (const gchar *spec_text, GByteArray *packet, Reply *reply, GError **error)
{
  g_autoptr (MilterConnectionSpec) spec = milter_connection_spec_parse (spec_text, error);
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_seconds * G_USEC_PER_SEC);
  g_autoptr (MilterManagerControlDecoder) decoder =
    milter_manager_control_decoder_new (MILTER_MANAGER_CONTROL_DECODE_REPLIES, G_MAXUINT32);
  guint8 buffer[65536];
  gboolean ok = FALSE;

  if (!spec)
    return FALSE;
  gint fd = milter_socket_connect (spec, error);
  if (fd < 0)
    return FALSE;
  if (!wait_for (fd, POLLOUT, deadline, error) || !milter_socket_finish_connect (fd, error)) {
    close (fd);
    return FALSE;
  }
  for (gsize sent = 0; sent < packet->len;) {
    if (!wait_for (fd, POLLOUT, deadline, error))
      goto out;
    gssize n = send (fd, packet->data + sent, packet->len - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "send: %s",
                   g_strerror (errno));
      goto out;
    }
    if (n > 0)
      sent += (gsize) n;
  }
  while (!reply->done) {
    if (!wait_for (fd, POLLIN, deadline, error))
      goto out;
    gssize n = recv (fd, buffer, sizeof (buffer), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    if (n < 0) {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "recv: %s",
                   g_strerror (errno));
      goto out;
    }
    if (n == 0) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                   "the daemon closed the connection without a reply");
      goto out;
    }
    if (!milter_manager_control_decoder_feed (decoder, buffer, (gsize) n, on_reply, reply,
                                              error)) {
      g_prefix_error (error, "malformed reply: ");
      goto out;
    }
  }
  ok = TRUE;
out:
  close (fd);
  return ok;
}

static void
usage (GOptionContext *context)
{
  g_autofree gchar *help = g_option_context_get_help (context, TRUE, NULL);
  g_printerr ("%s", help);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context =
    g_option_context_new ("COMMAND [ARG] - control a running milter-manager");
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) packet = g_byte_array_new ();
  g_autofree gchar *content = NULL;
  gsize content_size = 0;
  Reply reply = { FALSE, 0, g_string_new (NULL) };
  gint status = EXIT_SUCCESS;
  guint which;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Commands:\n"
    "  reload                  reload the configuration (as SIGHUP does)\n"
    "  status                  print the daemon's status (key: value lines)\n"
    "  get-configuration       print the configuration as XML\n"
    "  set-configuration FILE  check FILE (XML; - for standard input) and save it as\n"
    "                          milter-manager.custom.conf; reload to apply it\n"
    "  stop-child NAME         take milter NAME out of new sessions until the next reload");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (EXIT_USAGE, "%s (see --help)", error->message);
  if (argc < 2)
    return fail (EXIT_USAGE, "a command is needed (see --help)");
  for (which = 0; which < G_N_ELEMENTS (commands); which++) {
    if (g_str_equal (argv[1], commands[which].name))
      break;
  }
  if (which == G_N_ELEMENTS (commands))
    return fail (EXIT_USAGE, "unknown command: %s (see --help)", argv[1]);
  if (argc != (commands[which].argument ? 3 : 2)) {
    usage (context);
    return fail (EXIT_USAGE, commands[which].argument ? "%s needs %s" : "%s takes no argument",
                 argv[1], commands[which].argument);
  }
  if (timeout_seconds <= 0)
    return fail (EXIT_USAGE, "--timeout must be positive");

  if (commands[which].word == MILTER_MANAGER_CONTROL_SET_CONFIGURATION) {
    gboolean ok;
    if (g_str_equal (argv[2], "-")) {
      g_autoptr (GIOChannel) in = g_io_channel_unix_new (STDIN_FILENO);
      g_io_channel_set_encoding (in, NULL, NULL);
      ok = g_io_channel_read_to_end (in, &content, &content_size, &error) == G_IO_STATUS_NORMAL;
    } else {
      ok = g_file_get_contents (argv[2], &content, &content_size, &error);
    }
    if (!ok)
      return fail (EXIT_USAGE, "%s: %s", argv[2], error->message);
  } else if (commands[which].word == MILTER_MANAGER_CONTROL_STOP_CHILD) {
    content = g_strdup (argv[2]);
    content_size = strlen (content);
    if (content_size == 0)
      return fail (EXIT_USAGE, "stop-child needs a milter name");
  }

  g_autofree gchar *spec = spec_option ? g_strdup (spec_option) : configured_spec (&error);
  if (!spec)
    return fail (EXIT_UNREACHABLE, "no controller socket: %s", error->message);
  milter_manager_control_encode_command (packet, commands[which].word, (const guint8 *) content,
                                         content_size);
  if (!exchange (spec, packet, &reply, &error)) {
    status = fail (EXIT_UNREACHABLE, "%s: %s", spec, error->message);
  } else {
    switch (reply.word) {
    case MILTER_MANAGER_CONTROL_REPLY_SUCCESS:
      if (reply.text->len > 0)
        g_print ("%s: %s\n", argv[1], reply.text->str);
      else
        g_print ("%s: done\n", argv[1]);
      break;
    case MILTER_MANAGER_CONTROL_REPLY_STATUS:
    case MILTER_MANAGER_CONTROL_REPLY_CONFIGURATION:
      fwrite (reply.text->str, 1, reply.text->len, stdout);
      break;
    default:
      status = fail (EXIT_REFUSED, "%s: %s: %s", argv[1],
                     milter_manager_control_word_to_string (reply.word), reply.text->str);
      break;
    }
  }
  g_string_free (reply.text, TRUE);
  g_free (spec_option);
  g_free (config_dir);
  if (fflush (stdout) != 0)
    return fail (EXIT_UNREACHABLE, "standard output: %s", g_strerror (errno));
  return status;
}

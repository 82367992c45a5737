/*
 * milter-io-benchmark - agent round trips and body throughput vs raw I/O
 *
 * SYNOPSIS
 *   milter-io-benchmark [--round-trips N] [--megabytes M]
 *
 * DESCRIPTION
 *   Two processes, as an MTA and a milter are: the parent sends a small
 *   command and waits for the reply before sending the next (one
 *   outstanding at a time, as the milter protocol works); the child
 *   answers each with continue. Measured for each event loop backend,
 *   over a socketpair and over loopback TCP (TCP_NODELAY):
 *     - agent: both ends are MilterAgents on a MilterEventLoop, with the
 *       real codecs;
 *     - raw: the same packets with blocking read(2)/write(2) and no
 *       decoding, the floor any implementation pays.
 *   Then the same with 65535-byte body chunks, in MB/s.
 *   Each figure is the best of --repeat runs, agent and raw interleaved, so
 *   that a burst of other load on the machine hits both alike.
 *   Prints figures and the ratio agent/raw; asserts nothing about speed.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-command-decoder.h>
#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-reply-decoder.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/core/milter-socket.h>

static gint n_round_trips = 100000;
static gint n_megabytes = 512;
static gint n_repeats = 3;
static gchar *only_backend = NULL;

/* ---- the milter side: answers every command with continue ---- */

#define ECHO_TYPE_AGENT (echo_agent_get_type ())
G_DECLARE_FINAL_TYPE (EchoAgent, echo_agent, ECHO, AGENT, MilterAgent)
struct _EchoAgent {
  MilterAgent parent;
  MilterCommandDecoder *decoder;
  MilterEventLoop *loop;
};
G_DEFINE_TYPE (EchoAgent, echo_agent, MILTER_TYPE_AGENT)

static gboolean
echo_command (const MilterCommand *command, gpointer user_data, GError **error)
{
  if (command->type == MILTER_COMMAND_QUIT) {
    milter_event_loop_quit (ECHO_AGENT (user_data)->loop);
    return TRUE;
  }
  milter_reply_encode_continue (milter_agent_get_output_buffer (user_data));
  return TRUE;
}

static gboolean
echo_decode (MilterAgent *agent, const guint8 *data, gsize size, GError **error)
{
  return milter_command_decoder_feed (ECHO_AGENT (agent)->decoder, data, size,
                                      echo_command, agent, error) &&
         milter_agent_send (agent, error);
}

static void
echo_agent_finalize (GObject *object)
{
  milter_command_decoder_free (ECHO_AGENT (object)->decoder);
  G_OBJECT_CLASS (echo_agent_parent_class)->finalize (object);
}

static void
echo_agent_init (EchoAgent *agent)
{
  agent->decoder = milter_command_decoder_new (0);
}

static void
echo_agent_class_init (EchoAgentClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = echo_agent_finalize;
  MILTER_AGENT_CLASS (klass)->decode = echo_decode;
}

/* ---- the MTA side: sends the next command when a reply arrives ---- */

#define DRIVER_TYPE_AGENT (driver_agent_get_type ())
G_DECLARE_FINAL_TYPE (DriverAgent, driver_agent, DRIVER, AGENT, MilterAgent)
struct _DriverAgent {
  MilterAgent parent;
  MilterReplyDecoder *decoder;
  MilterEventLoop *loop;
  const guint8 *body;
  guint remaining;
};
G_DEFINE_TYPE (DriverAgent, driver_agent, MILTER_TYPE_AGENT)

static void
driver_encode_next (DriverAgent *driver)
{
  GByteArray *out = milter_agent_get_output_buffer (MILTER_AGENT (driver));

  if (driver->body)
    milter_command_encode_body (out, driver->body, MILTER_CHUNK_SIZE);
  else
    milter_command_encode_header (out, "Subject", "a small header value");
}

static gboolean
driver_reply (const MilterReply *reply, gpointer user_data, GError **error)
{
  DriverAgent *driver = user_data;

  if (--driver->remaining == 0) {
    milter_event_loop_quit (driver->loop);
    return TRUE;
  }
  driver_encode_next (driver);
  return TRUE;
}

static gboolean
driver_decode (MilterAgent *agent, const guint8 *data, gsize size, GError **error)
{
  return milter_reply_decoder_feed (DRIVER_AGENT (agent)->decoder, data, size,
                                    driver_reply, agent, error) &&
         milter_agent_send (agent, error);
}

static void
driver_agent_finalize (GObject *object)
{
  milter_reply_decoder_free (DRIVER_AGENT (object)->decoder);
  G_OBJECT_CLASS (driver_agent_parent_class)->finalize (object);
}

static void
driver_agent_init (DriverAgent *agent)
{
  agent->decoder = milter_reply_decoder_new (0);
}

static void
driver_agent_class_init (DriverAgentClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = driver_agent_finalize;
  MILTER_AGENT_CLASS (klass)->decode = driver_decode;
}

/* ---- plumbing ---- */

static void
die (const gchar *what, GError *error)
{
  g_printerr ("milter-io-benchmark: %s: %s\n", what,
              error ? error->message : g_strerror (errno));
  exit (EXIT_FAILURE);
}

static void
make_pair (gboolean tcp, gint fds[2])
{
  struct sockaddr_in address = {0};
  socklen_t length = sizeof address;
  GError *error = NULL;
  gint listener;

  if (!tcp) {
    if (socketpair (AF_UNIX, SOCK_STREAM, 0, fds) != 0)
      die ("socketpair", NULL);
    return;
  }
  listener = socket (AF_INET, SOCK_STREAM, 0);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (listener < 0 || bind (listener, (struct sockaddr *) &address, sizeof address) != 0 ||
      listen (listener, 1) != 0 ||
      getsockname (listener, (struct sockaddr *) &address, &length) != 0)
    die ("listen on loopback", NULL);
  fds[0] = socket (AF_INET, SOCK_STREAM, 0);
  if (fds[0] < 0 || connect (fds[0], (struct sockaddr *) &address, sizeof address) != 0)
    die ("connect on loopback", NULL);
  fds[1] = accept (listener, NULL, NULL);
  if (fds[1] < 0)
    die ("accept on loopback", NULL);
  close (listener);
  if (!milter_socket_set_tcp_nodelay (fds[0], &error) ||
      !milter_socket_set_tcp_nodelay (fds[1], &error))
    die ("TCP_NODELAY", error);
}

static gboolean
read_exactly (gint fd, guint8 *buffer, gsize size)
{
  while (size > 0) {
    gssize n = read (fd, buffer, size);

    if (n <= 0) {
      if (n < 0 && errno == EINTR)
        continue;
      return FALSE;
    }
    buffer += n;
    size -= (gsize) n;
  }
  return TRUE;
}

static gboolean
write_all (gint fd, const guint8 *data, gsize size)
{
  while (size > 0) {
    gssize n = write (fd, data, size);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      return FALSE;
    }
    data += n;
    size -= (gsize) n;
  }
  return TRUE;
}

/* Raw milter side: reads what is there into one buffer, answers each whole
 * packet with continue; the fewest system calls a plain C peer can make. */
static void
raw_echo (gint fd)
{
  gsize capacity = 2 * MILTER_DEFAULT_MAX_PACKET_SIZE, filled = 0;
  g_autofree guint8 *buffer = g_malloc (capacity);
  g_autoptr (GByteArray) reply = g_byte_array_new ();

  milter_reply_encode_continue (reply);
  for (;;) {
    gssize n = read (fd, buffer + filled, capacity - filled);
    gsize offset = 0;

    if (n <= 0) {
      if (n < 0 && errno == EINTR)
        continue;
      return;
    }
    filled += (gsize) n;
    while (filled - offset >= 4) {
      guint32 length;

      memcpy (&length, buffer + offset, 4);
      length = GUINT32_FROM_BE (length);
      if (length == 0 || length > MILTER_DEFAULT_MAX_PACKET_SIZE)
        return;
      if (filled - offset < 4 + (gsize) length)
        break;
      if (buffer[offset + 4] == MILTER_COMMAND_QUIT)
        return;
      if (!write_all (fd, reply->data, reply->len))
        return;
      offset += 4 + length;
    }
    memmove (buffer, buffer + offset, filled - offset);
    filled -= offset;
  }
}

static gdouble
raw_drive (gint fd, GByteArray *packet, guint n)
{
  guint8 reply[5];
  gint64 start = g_get_monotonic_time ();
  guint i;

  for (i = 0; i < n; i++) {
    if (!write_all (fd, packet->data, packet->len) || !read_exactly (fd, reply, 5))
      die ("raw ping-pong", NULL);
  }
  return (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
}

static MilterEventLoop *
new_loop (const gchar *backend)
{
  GError *error = NULL;
  MilterEventLoop *loop = milter_event_loop_new_by_name (backend, &error);

  if (!loop)
    die ("event loop", error);
  return loop;
}

static void
agent_echo (const gchar *backend, gint fd)
{
  g_autoptr (MilterEventLoop) loop = new_loop (backend);
  g_autoptr (EchoAgent) echo = g_object_new (ECHO_TYPE_AGENT, NULL);
  GError *error = NULL;

  echo->loop = loop;
  if (!milter_socket_set_nonblocking (fd, TRUE, &error))
    die ("nonblocking", error);
  milter_agent_set_event_loop (MILTER_AGENT (echo), loop);
  milter_agent_set_fd (MILTER_AGENT (echo), fd);
  g_signal_connect_swapped (echo, "finished", G_CALLBACK (milter_event_loop_quit), loop);
  if (!milter_agent_start (MILTER_AGENT (echo), &error))
    die ("start echo agent", error);
  milter_event_loop_run (loop);
}

static gdouble
agent_drive (const gchar *backend, gint fd, const guint8 *body, guint n)
{
  g_autoptr (MilterEventLoop) loop = new_loop (backend);
  g_autoptr (DriverAgent) driver = g_object_new (DRIVER_TYPE_AGENT, NULL);
  GError *error = NULL;
  gint64 start;

  driver->loop = loop;
  driver->body = body;
  driver->remaining = n;
  if (!milter_socket_set_nonblocking (fd, TRUE, &error))
    die ("nonblocking", error);
  milter_agent_set_event_loop (MILTER_AGENT (driver), loop);
  milter_agent_set_fd (MILTER_AGENT (driver), fd);
  if (!milter_agent_start (MILTER_AGENT (driver), &error))
    die ("start driver agent", error);
  start = g_get_monotonic_time ();
  driver_encode_next (driver);
  if (!milter_agent_send (MILTER_AGENT (driver), &error))
    die ("send", error);
  milter_event_loop_run (loop);
  if (driver->remaining != 0)
    die ("the echo side ended early", NULL);
  /* Tell the echo side to stop; close follows when the agent goes. */
  milter_command_encode_quit (milter_agent_get_output_buffer (MILTER_AGENT (driver)));
  milter_agent_send (MILTER_AGENT (driver), NULL);
  return (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
}

/* Runs one measurement in two processes; returns the driver's seconds. */
static gdouble
run (const gchar *backend, gboolean tcp, gboolean raw, const guint8 *body, guint n)
{
  gint fds[2], status;
  gdouble seconds;
  pid_t pid;

  make_pair (tcp, fds);
  pid = fork ();
  if (pid < 0)
    die ("fork", NULL);
  if (pid == 0) {
    close (fds[0]);
    if (raw)
      raw_echo (fds[1]);
    else
      agent_echo (backend, fds[1]);
    _exit (EXIT_SUCCESS);
  }
  close (fds[1]);
  if (raw) {
    g_autoptr (GByteArray) packet = g_byte_array_new ();
    g_autoptr (GByteArray) quit = g_byte_array_new ();

    if (body)
      milter_command_encode_body (packet, body, MILTER_CHUNK_SIZE);
    else
      milter_command_encode_header (packet, "Subject", "a small header value");
    seconds = raw_drive (fds[0], packet, n);
    milter_command_encode_quit (quit);
    write_all (fds[0], quit->data, quit->len);
    close (fds[0]);
  } else {
    seconds = agent_drive (backend, fds[0], body, n);
  }
  if (waitpid (pid, &status, 0) != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    die ("the echo process failed", NULL);
  return seconds;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"round-trips", 0, 0, G_OPTION_ARG_INT, &n_round_trips,
     "small round trips per figure (default 100000)", "N"},
    {"megabytes", 0, 0, G_OPTION_ARG_INT, &n_megabytes,
     "megabytes of body per figure (default 512)", "M"},
    {"backend", 0, 0, G_OPTION_ARG_STRING, &only_backend,
     "measure only this event loop backend (glib or libev)", "NAME"},
    {"repeat", 0, 0, G_OPTION_ARG_INT, &n_repeats,
     "runs per figure, the best is shown (default 3)", "R"},
    {NULL}
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- milter I/O rates");
  g_autoptr (GError) error = NULL;
  const gchar *backends[] = {"glib", "libev"};
  g_autofree guint8 *body = g_malloc (MILTER_CHUNK_SIZE);
  guint n_chunks, b, kind;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      n_round_trips <= 0 || n_megabytes <= 0 || n_repeats <= 0) {
    g_printerr ("milter-io-benchmark: %s\n",
                error ? error->message : "counts must be positive");
    return EXIT_FAILURE;
  }
  memset (body, 'b', MILTER_CHUNK_SIZE);
  n_chunks = (guint) ((gint64) n_megabytes * 1000 * 1000 / MILTER_CHUNK_SIZE);
  signal (SIGPIPE, SIG_IGN);

  g_print ("milter I/O benchmark: %d round trips, %u body chunks of %d bytes per figure\n",
           n_round_trips, n_chunks, MILTER_CHUNK_SIZE);
  g_print ("%-8s %-11s %14s %14s %7s %11s %11s %7s\n", "backend", "socket",
           "agent rt/s", "raw rt/s", "ratio", "agent MB/s", "raw MB/s", "ratio");
  for (b = 0; b < G_N_ELEMENTS (backends); b++) {
    if (only_backend && !g_str_equal (only_backend, backends[b]))
      continue;
    for (kind = 0; kind < 2; kind++) {
      gboolean tcp = kind == 1;
      gdouble megabytes = (gdouble) n_chunks * MILTER_CHUNK_SIZE / 1e6;
      gdouble agent_rt = 0, raw_rt = 0, agent_mb = 0, raw_mb = 0;
      gint r;

      for (r = 0; r < n_repeats; r++) {
        agent_rt = MAX (agent_rt, n_round_trips / run (backends[b], tcp, FALSE, NULL, (guint) n_round_trips));
        raw_rt = MAX (raw_rt, n_round_trips / run (backends[b], tcp, TRUE, NULL, (guint) n_round_trips));
        agent_mb = MAX (agent_mb, megabytes / run (backends[b], tcp, FALSE, body, n_chunks));
        raw_mb = MAX (raw_mb, megabytes / run (backends[b], tcp, TRUE, body, n_chunks));
      }

      g_print ("%-8s %-11s %14.0f %14.0f %7.2f %11.0f %11.0f %7.2f\n",
               backends[b], tcp ? "tcp" : "socketpair", agent_rt, raw_rt,
               agent_rt / raw_rt, agent_mb, raw_mb, agent_mb / raw_mb);
    }
  }
  g_free (only_backend);
  return EXIT_SUCCESS;
}

/*
 * test-agent - the agent on both event loop backends: flow, one write per
 * send, and each catalogued [agent] line provoked by a misbehaving peer
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-command-decoder.h>
#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/core/milter-socket.h>

#include "test/lib/milter-test-log.h"
#include "test/core/io-test-loop.h"

/* A minimal agent: decodes commands and answers each with continue. */
#define TEST_TYPE_ECHO_AGENT (test_echo_agent_get_type ())
G_DECLARE_FINAL_TYPE (TestEchoAgent, test_echo_agent, TEST, ECHO_AGENT, MilterAgent)

struct _TestEchoAgent {
  MilterAgent parent;
  MilterCommandDecoder *decoder;
  GString *seen;
  guint n_errors;
  guint n_finished;
};

G_DEFINE_TYPE (TestEchoAgent, test_echo_agent, MILTER_TYPE_AGENT)

static gboolean
echo_command (const MilterCommand *command, gpointer user_data, GError **error)
{
  TestEchoAgent *agent = user_data;
  g_autofree gchar *text = milter_command_to_string (command);

  g_string_append_printf (agent->seen, "%s\n", text);
  if (command->type != MILTER_COMMAND_DEFINE_MACRO)
    milter_reply_encode_continue (milter_agent_get_output_buffer (MILTER_AGENT (agent)));
  return TRUE;
}

static gboolean
echo_decode (MilterAgent *agent, const guint8 *data, gsize size, GError **error)
{
  TestEchoAgent *self = TEST_ECHO_AGENT (agent);

  /* Replies to everything decoded from one read leave in one write. */
  return milter_command_decoder_feed (self->decoder, data, size, echo_command,
                                      self, error) &&
         milter_agent_send (agent, error);
}

static gboolean
echo_decode_end (MilterAgent *agent, GError **error)
{
  return milter_command_decoder_finish (TEST_ECHO_AGENT (agent)->decoder, error);
}

static void
echo_error (MilterAgent *agent, GError *error)
{
  TEST_ECHO_AGENT (agent)->n_errors++;
}

static void
echo_finished (MilterAgent *agent)
{
  TEST_ECHO_AGENT (agent)->n_finished++;
}

static void
test_echo_agent_finalize (GObject *object)
{
  TestEchoAgent *agent = TEST_ECHO_AGENT (object);

  milter_command_decoder_free (agent->decoder);
  g_string_free (agent->seen, TRUE);
  G_OBJECT_CLASS (test_echo_agent_parent_class)->finalize (object);
}

static void
test_echo_agent_init (TestEchoAgent *agent)
{
  agent->decoder = milter_command_decoder_new (0);
  agent->seen = g_string_new (NULL);
}

static void
test_echo_agent_class_init (TestEchoAgentClass *klass)
{
  MilterAgentClass *agent_class = MILTER_AGENT_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_echo_agent_finalize;
  agent_class->decode = echo_decode;
  agent_class->decode_end = echo_decode_end;
  agent_class->error = echo_error;
  agent_class->finished = echo_finished;
}

typedef struct {
  MilterEventLoop *loop;
  TestEchoAgent *agent;
  gint peer;
  guint64 session_id;
  MilterTestLogCapture *capture;
} Fixture;

static void
fixture_setup_with_fds (Fixture *fixture, const gchar *backend, gint ours, gint peer)
{
  g_autoptr (GError) error = NULL;

  fixture->capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  fixture->loop = io_test_loop_new (backend);
  fixture->agent = g_object_new (TEST_TYPE_ECHO_AGENT, NULL);
  fixture->session_id = milter_agent_next_session_id ();
  g_assert_true (milter_socket_set_nonblocking (ours, TRUE, &error));
  milter_agent_set_event_loop (MILTER_AGENT (fixture->agent), fixture->loop);
  milter_agent_set_session_id (MILTER_AGENT (fixture->agent), fixture->session_id);
  milter_agent_set_fd (MILTER_AGENT (fixture->agent), ours);
  g_assert_true (milter_agent_start (MILTER_AGENT (fixture->agent), &error));
  g_assert_no_error (error);
  fixture->peer = peer;
}

static void
fixture_setup (Fixture *fixture, const gchar *backend)
{
  gint fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  fixture_setup_with_fds (fixture, backend, fds[0], fds[1]);
}

static void
fixture_teardown (Fixture *fixture)
{
  g_clear_object (&fixture->agent);
  if (fixture->peer >= 0)
    close (fixture->peer);
  g_clear_object (&fixture->loop);
  milter_test_log_capture_stop (fixture->capture);
}

static gboolean
flag_when_finished (TestEchoAgent *agent)
{
  return agent->n_finished > 0;
}

static void
iterate_until_finished (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!flag_when_finished (fixture->agent) && g_get_monotonic_time () < deadline)
    milter_event_loop_iterate (fixture->loop, FALSE), g_usleep (1000);
  g_assert_cmpuint (fixture->agent->n_finished, ==, 1);
}

static void
write_all (gint fd, const guint8 *data, gsize size)
{
  while (size > 0) {
    gssize written = write (fd, data, size);

    g_assert_cmpint (written, >, 0);
    data += written;
    size -= (gsize) written;
  }
}

/* Reads exactly size bytes from the peer while the agent's loop runs. */
static void
read_exactly (Fixture *fixture, guint8 *buffer, gsize size)
{
  gsize got = 0;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (got < size && g_get_monotonic_time () < deadline) {
    gssize n;

    milter_event_loop_iterate (fixture->loop, FALSE);
    n = recv (fixture->peer, buffer + got, size - got, MSG_DONTWAIT);
    if (n > 0)
      got += (gsize) n;
    else
      g_usleep (1000);
  }
  g_assert_cmpuint (got, ==, size);
}

static void
test_flow (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GByteArray) commands = g_byte_array_new ();
  g_autoptr (GByteArray) expected = g_byte_array_new ();
  const gchar *names[] = {"j"}, *values[] = {"mx.example.org"};
  guint8 replies[64];
  MilterWriter *writer;

  fixture_setup (&fixture, backend);
  milter_command_encode_define_macro (commands, 'H', names, values, 1);
  milter_command_encode_helo (commands, "client.example.org");
  milter_command_encode_envelope_from (commands, "<a@example.org>", NULL);
  milter_command_encode_envelope_recipient (commands, "<b@example.org>", NULL);
  /* Three continues, one per command that is answered. */
  milter_reply_encode_continue (expected);
  milter_reply_encode_continue (expected);
  milter_reply_encode_continue (expected);
  write_all (fixture.peer, commands->data, commands->len);
  read_exactly (&fixture, replies, expected->len);
  g_assert_cmpmem (replies, expected->len, expected->data, expected->len);
  g_assert_nonnull (strstr (fixture.agent->seen->str, "client.example.org"));
  /* All commands arrived in one read: their replies left in one write. */
  writer = milter_agent_get_writer (MILTER_AGENT (fixture.agent));
  g_assert_cmpuint (milter_writer_get_n_syscalls (writer), ==, 1);

  /* The peer closes cleanly: finished, no error, nothing logged. */
  close (fixture.peer);
  fixture.peer = -1;
  iterate_until_finished (&fixture);
  g_assert_cmpuint (fixture.agent->n_errors, ==, 0);
  g_assert_cmpuint (milter_test_log_capture_count (fixture.capture,
                                                   MILTER_LOG_LEVEL_ERROR, NULL), ==, 0);
  fixture_teardown (&fixture);
}

static void
test_decode_error (gconstpointer backend)
{
  Fixture fixture;
  Fixture other;
  static const guint8 garbage[] = "\0\0\0\5Zjunk";
  g_autoptr (GByteArray) helo = g_byte_array_new ();
  guint8 reply[5], eof;

  fixture_setup (&fixture, backend);
  fixture_setup (&other, backend);
  write_all (fixture.peer, garbage, sizeof garbage - 1);
  iterate_until_finished (&fixture);
  g_assert_cmpuint (fixture.agent->n_errors, ==, 1);
  milter_test_assert_logged (fixture.capture, MILTER_LOG_LEVEL_ERROR,
                             fixture.session_id, "[agent][error][decode]");
  /* The agent closed its side: the peer reads end of file. */
  g_assert_cmpint (read (fixture.peer, &eof, 1), ==, 0);

  /* Another session on the same loop is unharmed. */
  milter_command_encode_helo (helo, "still.example.org");
  write_all (other.peer, helo->data, helo->len);
  read_exactly (&other, reply, sizeof reply);
  g_assert_cmpint (reply[4], ==, MILTER_REPLY_CONTINUE);
  g_assert_cmpuint (other.agent->n_errors, ==, 0);
  fixture_teardown (&other);
  fixture_teardown (&fixture);
}

static void
test_truncated_at_end (gconstpointer backend)
{
  Fixture fixture;
  static const guint8 partial[] = "\0\0\0\20Hcut";

  fixture_setup (&fixture, backend);
  write_all (fixture.peer, partial, sizeof partial - 1);
  shutdown (fixture.peer, SHUT_WR);
  iterate_until_finished (&fixture);
  g_assert_cmpuint (fixture.agent->n_errors, ==, 1);
  milter_test_assert_logged (fixture.capture, MILTER_LOG_LEVEL_ERROR,
                             fixture.session_id, "[agent][error][decode]");
  g_assert_nonnull (strstr (milter_test_log_capture_find (fixture.capture,
                                                          MILTER_LOG_LEVEL_ERROR,
                                                          fixture.session_id,
                                                          "[agent][error][decode]"),
                            "input ended inside the packet"));
  fixture_teardown (&fixture);
}

/* A TCP pair on loopback, so that the peer can reset the connection. */
static void
tcp_pair (gint *ours, gint *peer)
{
  struct sockaddr_in address = {0};
  socklen_t length = sizeof address;
  gint listener = socket (AF_INET, SOCK_STREAM, 0);

  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (listener, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (listen (listener, 1), ==, 0);
  g_assert_cmpint (getsockname (listener, (struct sockaddr *) &address, &length), ==, 0);
  *peer = socket (AF_INET, SOCK_STREAM, 0);
  g_assert_cmpint (connect (*peer, (struct sockaddr *) &address, sizeof address), ==, 0);
  *ours = accept (listener, NULL, NULL);
  g_assert_cmpint (*ours, >=, 0);
  close (listener);
}

static void
reset_peer (Fixture *fixture)
{
  struct linger linger = {1, 0};

  /* Closing with a zero linger time sends RST instead of FIN. */
  g_assert_cmpint (setsockopt (fixture->peer, SOL_SOCKET, SO_LINGER,
                               &linger, sizeof linger), ==, 0);
  close (fixture->peer);
  fixture->peer = -1;
}

static void
test_reader_error (gconstpointer backend)
{
  Fixture fixture;
  gint ours, peer;

  tcp_pair (&ours, &peer);
  fixture_setup_with_fds (&fixture, backend, ours, peer);
  reset_peer (&fixture);
  iterate_until_finished (&fixture);
  g_assert_cmpuint (fixture.agent->n_errors, ==, 1);
  milter_test_assert_logged (fixture.capture, MILTER_LOG_LEVEL_ERROR,
                             fixture.session_id, "[agent][error][reader]");
  fixture_teardown (&fixture);
}

static void
test_writer_error (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GError) error = NULL;
  MilterAgent *agent;

  fixture_setup (&fixture, backend);
  agent = MILTER_AGENT (fixture.agent);
  /* Stop reading so that the write, not the reader, meets the closed peer. */
  milter_agent_stop_reading (agent);
  close (fixture.peer);
  fixture.peer = -1;
  milter_reply_encode_continue (milter_agent_get_output_buffer (agent));
  g_assert_false (milter_agent_send (agent, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (fixture.agent->n_errors, ==, 1);
  g_assert_cmpuint (fixture.agent->n_finished, ==, 1);
  milter_test_assert_logged (fixture.capture, MILTER_LOG_LEVEL_ERROR,
                             fixture.session_id, "[agent][error][writer]");
  /* After the failure the agent refuses further output, without crashing. */
  g_clear_error (&error);
  g_assert_false (milter_agent_write (agent, (const guint8 *) "x", 1, &error));
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_CLOSED);
  fixture_teardown (&fixture);
}

static void
test_set_writer_auto_flush (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterWriter) replacement = NULL;
  MilterAgent *agent;
  gint spare[2];

  fixture_setup (&fixture, backend);
  agent = MILTER_AGENT (fixture.agent);
  milter_agent_stop_reading (agent);
  /* Buffer a packet in the current writer, then make its flush fail. */
  milter_writer_set_packet_buffer_size (milter_agent_get_writer (agent), 4096);
  milter_reply_encode_continue (milter_agent_get_output_buffer (agent));
  g_assert_true (milter_agent_send (agent, &error));
  g_assert_cmpuint (milter_writer_get_pending_size (milter_agent_get_writer (agent)), >, 0);
  close (fixture.peer);
  fixture.peer = -1;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, spare), ==, 0);
  g_assert_true (milter_socket_set_nonblocking (spare[0], TRUE, &error));
  replacement = milter_writer_new (fixture.loop, spare[0]);
  milter_writer_set_close_on_shutdown (replacement, TRUE);
  milter_agent_set_writer (agent, replacement);
  milter_test_assert_logged (fixture.capture, MILTER_LOG_LEVEL_ERROR,
                             fixture.session_id, "[agent][error][set-writer][auto-flush]");
  /* The new writer carries the session id and works. */
  g_assert_cmpuint (milter_writer_get_session_id (replacement), ==, fixture.session_id);
  g_assert_true (milter_agent_write (agent, (const guint8 *) "ok", 2, &error));
  g_assert_no_error (error);
  milter_writer_shutdown (replacement, NULL);
  close (spare[1]);
  fixture_teardown (&fixture);
}

static void
test_shutdown_once (gconstpointer backend)
{
  Fixture fixture;
  guint8 eof;

  fixture_setup (&fixture, backend);
  milter_agent_shutdown (MILTER_AGENT (fixture.agent));
  milter_agent_shutdown (MILTER_AGENT (fixture.agent));
  g_assert_true (milter_agent_is_shut_down (MILTER_AGENT (fixture.agent)));
  g_assert_cmpuint (fixture.agent->n_finished, ==, 1);
  g_assert_cmpint (read (fixture.peer, &eof, 1), ==, 0);
  fixture_teardown (&fixture);
}

static gpointer
take_ids (gpointer data)
{
  guint64 *ids = data;
  guint i;

  for (i = 0; i < 1000; i++)
    ids[i] = milter_agent_next_session_id ();
  return NULL;
}

static void
test_session_ids (void)
{
  guint64 ids[4][1000];
  GThread *threads[4];
  g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint t, i;

  for (t = 0; t < 4; t++)
    threads[t] = g_thread_new ("ids", take_ids, ids[t]);
  for (t = 0; t < 4; t++)
    g_thread_join (threads[t]);
  for (t = 0; t < 4; t++) {
    for (i = 0; i < 1000; i++) {
      g_assert_cmpuint (ids[t][i], !=, 0);
      g_assert_false (g_hash_table_contains (seen, &ids[t][i]));
      g_hash_table_add (seen, &ids[t][i]);
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  io_test_add ("/core/agent", "flow", test_flow);
  io_test_add ("/core/agent", "decode-error", test_decode_error);
  io_test_add ("/core/agent", "truncated-at-end", test_truncated_at_end);
  io_test_add ("/core/agent", "reader-error", test_reader_error);
  io_test_add ("/core/agent", "writer-error", test_writer_error);
  io_test_add ("/core/agent", "set-writer-auto-flush", test_set_writer_auto_flush);
  io_test_add ("/core/agent", "shutdown-once", test_shutdown_once);
  g_test_add_func ("/core/agent/session-ids", test_session_ids);
  return g_test_run ();
}

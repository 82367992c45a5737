/*
 * test-agent - the agent on both event loop backends: flow, one write per
 * send, each catalogued [agent] line provoked by a misbehaving peer, and
 * how its output ends: drained before closing at quit or end of input,
 * bounded by the writing timeout, and back-pressure on a peer that does
 * not read
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

/* A minimal agent: decodes commands and answers each with continue;
 * end-of-message first replaces the body with eom_size bytes, quit shuts
 * the agent down. */
#define TEST_TYPE_ECHO_AGENT (test_echo_agent_get_type ())
G_DECLARE_FINAL_TYPE (TestEchoAgent, test_echo_agent, TEST, ECHO_AGENT, MilterAgent)

struct _TestEchoAgent {
  MilterAgent parent;
  MilterCommandDecoder *decoder;
  GString *seen;
  gsize eom_size;
  guint n_errors;
  guint n_finished;
  guint n_flushed;
  GError *error;
};

G_DEFINE_TYPE (TestEchoAgent, test_echo_agent, MILTER_TYPE_AGENT)

static gboolean
echo_command (const MilterCommand *command, gpointer user_data, GError **error)
{
  TestEchoAgent *agent = user_data;
  g_autofree gchar *text = milter_command_to_string (command);

  GByteArray *output = milter_agent_get_output_buffer (MILTER_AGENT (agent));

  g_string_append_printf (agent->seen, "%s\n", text);
  if (command->type == MILTER_COMMAND_QUIT) {
    /* Like the client context: what was answered leaves first. */
    if (!milter_agent_send (MILTER_AGENT (agent), error))
      return FALSE;
    milter_agent_shutdown (MILTER_AGENT (agent));
    return TRUE;
  }
  if (command->type == MILTER_COMMAND_END_OF_MESSAGE && agent->eom_size > 0) {
    g_autofree guint8 *body = g_malloc (agent->eom_size);

    memset (body, 'x', agent->eom_size);
    milter_reply_encode_replace_body (output, body, agent->eom_size);
  }
  if (command->type != MILTER_COMMAND_DEFINE_MACRO)
    milter_reply_encode_continue (output);
  return TRUE;
}

static gboolean
echo_decode (MilterAgent *agent, const guint8 *data, gsize size, GError **error)
{
  TestEchoAgent *self = TEST_ECHO_AGENT (agent);

  /* Replies to everything decoded from one read leave in one write;
   * after quit the agent is shut down and there is nothing to send. */
  return milter_command_decoder_feed (self->decoder, data, size, echo_command,
                                      self, error) &&
         (milter_agent_is_shut_down (agent) || milter_agent_send (agent, error));
}

static gboolean
echo_decode_end (MilterAgent *agent, GError **error)
{
  return milter_command_decoder_finish (TEST_ECHO_AGENT (agent)->decoder, error);
}

static void
echo_error (MilterAgent *agent, GError *error)
{
  TestEchoAgent *self = TEST_ECHO_AGENT (agent);

  self->n_errors++;
  g_clear_error (&self->error);
  self->error = g_error_copy (error);
}

static void
echo_finished (MilterAgent *agent)
{
  TEST_ECHO_AGENT (agent)->n_finished++;
}

static void
echo_flushed (MilterAgent *agent)
{
  TEST_ECHO_AGENT (agent)->n_flushed++;
}

static void
test_echo_agent_finalize (GObject *object)
{
  TestEchoAgent *agent = TEST_ECHO_AGENT (object);

  milter_command_decoder_free (agent->decoder);
  g_string_free (agent->seen, TRUE);
  g_clear_error (&agent->error);
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
  agent_class->flushed = echo_flushed;
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

/* A connected pair for the agent's next session: fds[0] (non-blocking)
 * for the agent, fds[1] for the test's peer. */
static void
new_session_pair (gint fds[2])
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  g_assert_true (milter_socket_set_nonblocking (fds[0], TRUE, &error));
  g_assert_no_error (error);
}

/* A finished agent serves a second peer on another descriptor as a new
 * one would; one that has not finished is refused. */
static void
test_reuse (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GByteArray) commands = g_byte_array_new ();
  g_autoptr (GByteArray) expected = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  MilterReader *reader;
  MilterWriter *writer;
  guint8 replies[64];
  gint fds[2];

  fixture_setup (&fixture, backend);
  new_session_pair (fds);
  g_assert_false (milter_agent_reuse (MILTER_AGENT (fixture.agent), fds[0]));

  milter_command_encode_helo (commands, "first.example.org");
  milter_reply_encode_continue (expected);
  write_all (fixture.peer, commands->data, commands->len);
  read_exactly (&fixture, replies, expected->len);
  close (fixture.peer);
  fixture.peer = -1;
  iterate_until_finished (&fixture);
  reader = milter_agent_get_reader (MILTER_AGENT (fixture.agent));
  writer = milter_agent_get_writer (MILTER_AGENT (fixture.agent));

  g_assert_true (milter_agent_reuse (MILTER_AGENT (fixture.agent), fds[0]));
  fixture.peer = fds[1];
  /* A small session's output memory is kept for the next. */
  g_assert_nonnull (milter_agent_get_output_buffer (MILTER_AGENT (fixture.agent))->data);
  g_assert_false (milter_agent_is_finished (MILTER_AGENT (fixture.agent)));
  g_assert_false (milter_agent_is_shut_down (MILTER_AGENT (fixture.agent)));
  g_assert_cmpuint (milter_agent_get_session_id (MILTER_AGENT (fixture.agent)), ==, 0);
  /* The same reader and writer, on the new descriptor. */
  g_assert_true (milter_agent_get_reader (MILTER_AGENT (fixture.agent)) == reader);
  g_assert_true (milter_agent_get_writer (MILTER_AGENT (fixture.agent)) == writer);
  g_assert_cmpint (milter_reader_get_fd (reader), ==, fds[0]);
  g_assert_cmpint (milter_writer_get_fd (writer), ==, fds[0]);
  g_assert_cmpuint (milter_writer_get_n_syscalls (writer), ==, 0);
  g_assert_true (milter_agent_start (MILTER_AGENT (fixture.agent), &error));
  g_assert_no_error (error);

  g_byte_array_set_size (commands, 0);
  milter_command_encode_helo (commands, "second.example.org");
  write_all (fixture.peer, commands->data, commands->len);
  read_exactly (&fixture, replies, expected->len);
  g_assert_cmpmem (replies, expected->len, expected->data, expected->len);
  g_assert_nonnull (strstr (fixture.agent->seen->str, "second.example.org"));
  /* Its end is reported again, and the descriptor closed. */
  close (fixture.peer);
  fixture.peer = -1;
  fixture.agent->n_finished = 0;
  iterate_until_finished (&fixture);
  g_assert_cmpint (fcntl (fds[0], F_GETFD), ==, -1);
  g_assert_cmpuint (fixture.agent->n_errors, ==, 0);
  fixture_teardown (&fixture);
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

/* ---- how the output ends ------------------------------------------- */

#define BIG_BODY (8 * 1024 * 1024)

/* What the agent answers to end-of-message with a body of size. */
static GByteArray *
eom_replies (gsize size)
{
  GByteArray *replies = g_byte_array_new ();
  g_autofree guint8 *body = g_malloc (size);

  memset (body, 'x', size);
  milter_reply_encode_replace_body (replies, body, size);
  milter_reply_encode_continue (replies);
  return replies;
}

/* Iterates the agent's loop until cond (bounded). */
#define ITERATE_UNTIL(fixture, cond)                                      \
  G_STMT_START {                                                          \
    gint64 deadline_ = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;     \
    while (!(cond) && g_get_monotonic_time () < deadline_)                \
      milter_event_loop_iterate ((fixture)->loop, FALSE), g_usleep (500); \
    g_assert_true (cond);                                                 \
  } G_STMT_END

/* The peer reads only now, until the agent's end of stream. */
static void
read_until_eof (Fixture *fixture, GByteArray *into)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint8 buffer[65536];

  while (g_get_monotonic_time () < deadline) {
    gssize n;

    milter_event_loop_iterate (fixture->loop, FALSE);
    n = recv (fixture->peer, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0)
      return;
    if (n > 0)
      g_byte_array_append (into, buffer, (guint) n);
    else
      g_usleep (500);
  }
  g_assert_not_reached ();
}

/* The peer sends end-of-message and then ends the session (quit, or its
 * end of input) before reading anything, as an MTA may: every reply must
 * arrive, and "finished" only once it has. */
static void
check_drain (const gchar *backend, gboolean quit)
{
  Fixture fixture;
  g_autoptr (GByteArray) commands = g_byte_array_new ();
  g_autoptr (GByteArray) expected = eom_replies (BIG_BODY);
  g_autoptr (GByteArray) received = g_byte_array_new ();
  MilterAgent *agent;
  MilterWriter *writer;

  fixture_setup (&fixture, backend);
  agent = MILTER_AGENT (fixture.agent);
  writer = milter_agent_get_writer (agent);
  fixture.agent->eom_size = BIG_BODY;
  milter_command_encode_end_of_message (commands, NULL, 0);
  if (quit)
    milter_command_encode_quit (commands);
  write_all (fixture.peer, commands->data, commands->len);
  if (!quit)
    shutdown (fixture.peer, SHUT_WR);
  ITERATE_UNTIL (&fixture, milter_agent_is_shut_down (agent));
  /* Most of the replies wait for the peer; the agent waits for them,
   * bounded even without a writing timeout. */
  g_assert_cmpuint (milter_writer_get_pending_size (writer), >, 0);
  g_assert_cmpuint (fixture.agent->n_finished, ==, 0);
  g_assert_false (milter_agent_is_finished (agent));
  g_assert_cmpfloat (milter_writer_get_timeout (writer), ==,
                     MILTER_AGENT_DEFAULT_DRAIN_TIMEOUT);

  read_until_eof (&fixture, received);
  g_assert_cmpuint (received->len, ==, expected->len);
  g_assert_true (memcmp (received->data, expected->data, expected->len) == 0);
  g_assert_cmpuint (fixture.agent->n_finished, ==, 1);
  g_assert_true (milter_agent_is_finished (agent));
  g_assert_cmpuint (fixture.agent->n_errors, ==, 0);
  g_assert_cmpuint (milter_test_log_capture_count (fixture.capture,
                                                   MILTER_LOG_LEVEL_ERROR, NULL), ==, 0);
  fixture_teardown (&fixture);
}

static void
test_drain_at_quit (gconstpointer backend)
{
  check_drain (backend, TRUE);
}

static void
test_drain_at_end_of_input (gconstpointer backend)
{
  check_drain (backend, FALSE);
}

/* A peer that never reads: the writing timeout ends the wait. */
static void
test_drain_timeout (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GByteArray) commands = g_byte_array_new ();
  g_autoptr (GByteArray) received = g_byte_array_new ();
  MilterAgent *agent;

  fixture_setup (&fixture, backend);
  agent = MILTER_AGENT (fixture.agent);
  fixture.agent->eom_size = BIG_BODY;
  milter_agent_set_writing_timeout (agent, 0.2);
  g_assert_cmpfloat (milter_agent_get_writing_timeout (agent), ==, 0.2);
  g_assert_cmpfloat (milter_writer_get_timeout (milter_agent_get_writer (agent)),
                     ==, 0.2);
  milter_command_encode_end_of_message (commands, NULL, 0);
  milter_command_encode_quit (commands);
  write_all (fixture.peer, commands->data, commands->len);
  iterate_until_finished (&fixture);
  g_assert_cmpuint (fixture.agent->n_errors, ==, 1);
  g_assert_error (fixture.agent->error, MILTER_WRITER_ERROR,
                  MILTER_WRITER_ERROR_TIMEOUT);
  milter_test_assert_logged (fixture.capture, MILTER_LOG_LEVEL_ERROR,
                             fixture.session_id, "[agent][error][writer]");
  /* The descriptor is closed: the peer gets what had left, then EOF. */
  read_until_eof (&fixture, received);
  g_assert_cmpuint (received->len, <, BIG_BODY);
  fixture_teardown (&fixture);
}

/* The writing timeout holds during the session too, and for a writer
 * set later. */
static void
test_writing_timeout (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GByteArray) commands = g_byte_array_new ();
  MilterAgent *agent;

  fixture_setup (&fixture, backend);
  agent = MILTER_AGENT (fixture.agent);
  milter_agent_set_writing_timeout (agent, 0.2);
  milter_agent_set_fd (agent, dup (milter_writer_get_fd (milter_agent_get_writer (agent))));
  g_assert_cmpfloat (milter_writer_get_timeout (milter_agent_get_writer (agent)),
                     ==, 0.2);
  g_assert_true (milter_agent_start (agent, NULL));
  fixture.agent->eom_size = BIG_BODY;
  milter_command_encode_end_of_message (commands, NULL, 0);
  write_all (fixture.peer, commands->data, commands->len);
  iterate_until_finished (&fixture);
  g_assert_error (fixture.agent->error, MILTER_WRITER_ERROR,
                  MILTER_WRITER_ERROR_TIMEOUT);
  fixture_teardown (&fixture);
}

/* After an error nothing is waited for, and the abandoned writer does not
 * watch the closed descriptor. */
static void
test_no_drain_after_error (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GByteArray) commands = g_byte_array_new ();
  static const guint8 garbage[] = "\0\0\0\5Zjunk";
  MilterAgent *agent;

  fixture_setup (&fixture, backend);
  agent = MILTER_AGENT (fixture.agent);
  fixture.agent->eom_size = BIG_BODY;
  milter_command_encode_end_of_message (commands, NULL, 0);
  write_all (fixture.peer, commands->data, commands->len);
  ITERATE_UNTIL (&fixture, strstr (fixture.agent->seen->str, "end-of-message"));
  g_assert_cmpuint (milter_writer_get_pending_size (milter_agent_get_writer (agent)), >, 0);
  write_all (fixture.peer, garbage, sizeof garbage - 1);
  iterate_until_finished (&fixture);
  g_assert_cmpuint (fixture.agent->n_errors, ==, 1);
  g_assert_cmpuint (milter_writer_get_pending_size (milter_agent_get_writer (agent)), ==, 0);
  for (guint i = 0; i < 20; i++)
    milter_event_loop_iterate (fixture.loop, FALSE);
  g_assert_cmpuint (milter_test_log_capture_count (fixture.capture,
                                                   MILTER_LOG_LEVEL_ERROR,
                                                   "[writer]"), ==, 0);
  fixture_teardown (&fixture);
}

/* Writes end-of-message and waits until the agent has answered it. */
static void
send_big_end_of_message (Fixture *fixture, gsize size)
{
  g_autoptr (GByteArray) commands = g_byte_array_new ();

  fixture->agent->eom_size = size;
  milter_command_encode_end_of_message (commands, NULL, 0);
  write_all (fixture->peer, commands->data, commands->len);
  ITERATE_UNTIL (fixture, strstr (fixture->agent->seen->str, "end-of-message"));
}

static void
send_helo (Fixture *fixture)
{
  g_autoptr (GByteArray) commands = g_byte_array_new ();

  milter_command_encode_helo (commands, "late.example.org");
  write_all (fixture->peer, commands->data, commands->len);
}

/* Gives the agent every chance to read what the peer sent. */
static void
iterate_a_while (Fixture *fixture)
{
  for (guint i = 0; i < 50; i++) {
    milter_event_loop_iterate (fixture->loop, FALSE);
    g_usleep (1000);
  }
}

/* The peer sends while the agent holds more unsent than the bound: the
 * agent reads nothing more until its output has drained. */
static void
test_back_pressure (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GByteArray) expected = eom_replies (1024 * 1024);
  g_autofree guint8 *received = g_malloc (expected->len);
  guint8 reply[5];
  MilterAgent *agent;

  fixture_setup (&fixture, backend);
  agent = MILTER_AGENT (fixture.agent);
  g_assert_cmpuint (milter_agent_get_max_pending_size (agent), ==, 0);
  milter_agent_set_max_pending_size (agent, 64 * 1024);
  g_assert_cmpuint (milter_agent_get_max_pending_size (agent), ==, 64 * 1024);
  send_big_end_of_message (&fixture, 1024 * 1024);
  g_assert_true (milter_agent_is_reading_paused (agent));
  g_assert_cmpuint (fixture.agent->n_flushed, ==, 0);
  send_helo (&fixture);
  iterate_a_while (&fixture);
  g_assert_null (strstr (fixture.agent->seen->str, "late.example.org"));
  /* The owner's resume does not override the pause. */
  g_assert_true (milter_agent_resume_reading (agent, NULL));
  iterate_a_while (&fixture);
  g_assert_null (strstr (fixture.agent->seen->str, "late.example.org"));

  /* The peer reads: the output drains, reading resumes, helo is served. */
  read_exactly (&fixture, received, expected->len);
  g_assert_true (memcmp (received, expected->data, expected->len) == 0);
  read_exactly (&fixture, reply, sizeof reply);
  g_assert_cmpint (reply[4], ==, MILTER_REPLY_CONTINUE);
  g_assert_nonnull (strstr (fixture.agent->seen->str, "late.example.org"));
  g_assert_false (milter_agent_is_reading_paused (agent));
  /* The subclass heard of the drain (the "flushed" virtual function). */
  g_assert_cmpuint (fixture.agent->n_flushed, >=, 1);
  fixture_teardown (&fixture);
}

/* Without a bound (the default), the same peer is read at once. */
static void
test_no_back_pressure (gconstpointer backend)
{
  Fixture fixture;

  fixture_setup (&fixture, backend);
  send_big_end_of_message (&fixture, 1024 * 1024);
  g_assert_cmpuint (milter_writer_get_pending_size (milter_agent_get_writer (MILTER_AGENT (fixture.agent))),
                    >, 64 * 1024);
  send_helo (&fixture);
  ITERATE_UNTIL (&fixture, strstr (fixture.agent->seen->str, "late.example.org"));
  g_assert_false (milter_agent_is_reading_paused (MILTER_AGENT (fixture.agent)));
  fixture_teardown (&fixture);
}

/* An owner's stop during the pause holds after the drain. */
static void
test_back_pressure_owner_stop (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GByteArray) expected = eom_replies (1024 * 1024);
  g_autofree guint8 *received = g_malloc (expected->len);
  MilterAgent *agent;

  fixture_setup (&fixture, backend);
  agent = MILTER_AGENT (fixture.agent);
  milter_agent_set_max_pending_size (agent, 64 * 1024);
  send_big_end_of_message (&fixture, 1024 * 1024);
  g_assert_true (milter_agent_is_reading_paused (agent));
  milter_agent_stop_reading (agent);
  send_helo (&fixture);
  read_exactly (&fixture, received, expected->len);
  iterate_a_while (&fixture);
  g_assert_false (milter_agent_is_reading_paused (agent));
  g_assert_false (milter_reader_is_watching (milter_agent_get_reader (agent)));
  g_assert_null (strstr (fixture.agent->seen->str, "late.example.org"));
  g_assert_true (milter_agent_resume_reading (agent, NULL));
  ITERATE_UNTIL (&fixture, strstr (fixture.agent->seen->str, "late.example.org"));
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

/* After a session that sent 8 MiB, a reused agent starts small: the
 * output memory is freed and the drain's own timeout is gone. */
static void
test_reuse_after_big (gconstpointer backend)
{
  Fixture fixture;
  g_autoptr (GByteArray) commands = g_byte_array_new ();
  g_autoptr (GByteArray) received = g_byte_array_new ();
  MilterAgent *agent;
  gint fds[2];

  fixture_setup (&fixture, backend);
  agent = MILTER_AGENT (fixture.agent);
  fixture.agent->eom_size = BIG_BODY;
  milter_command_encode_end_of_message (commands, NULL, 0);
  milter_command_encode_quit (commands);
  write_all (fixture.peer, commands->data, commands->len);
  read_until_eof (&fixture, received);
  g_assert_cmpuint (received->len, >, BIG_BODY);
  g_assert_true (milter_agent_is_finished (agent));

  new_session_pair (fds);
  g_assert_true (milter_agent_reuse (agent, fds[0]));
  close (fixture.peer);
  fixture.peer = fds[1];
  g_assert_null (milter_agent_get_output_buffer (agent)->data);
  g_assert_cmpuint (milter_agent_get_output_buffer (agent)->len, ==, 0);
  g_assert_cmpfloat (milter_writer_get_timeout (milter_agent_get_writer (agent)),
                     ==, milter_agent_get_writing_timeout (agent));
  fixture_teardown (&fixture);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  io_test_add ("/core/agent", "flow", test_flow);
  io_test_add ("/core/agent", "reuse", test_reuse);
  io_test_add ("/core/agent", "reuse-after-big", test_reuse_after_big);
  io_test_add ("/core/agent", "decode-error", test_decode_error);
  io_test_add ("/core/agent", "truncated-at-end", test_truncated_at_end);
  io_test_add ("/core/agent", "reader-error", test_reader_error);
  io_test_add ("/core/agent", "writer-error", test_writer_error);
  io_test_add ("/core/agent", "set-writer-auto-flush", test_set_writer_auto_flush);
  io_test_add ("/core/agent", "shutdown-once", test_shutdown_once);
  io_test_add ("/core/agent", "drain-at-quit", test_drain_at_quit);
  io_test_add ("/core/agent", "drain-at-end-of-input", test_drain_at_end_of_input);
  io_test_add ("/core/agent", "drain-timeout", test_drain_timeout);
  io_test_add ("/core/agent", "writing-timeout", test_writing_timeout);
  io_test_add ("/core/agent", "no-drain-after-error", test_no_drain_after_error);
  io_test_add ("/core/agent", "back-pressure", test_back_pressure);
  io_test_add ("/core/agent", "no-back-pressure", test_no_back_pressure);
  io_test_add ("/core/agent", "back-pressure-owner-stop", test_back_pressure_owner_stop);
  g_test_add_func ("/core/agent/session-ids", test_session_ids);
  return g_test_run ();
}

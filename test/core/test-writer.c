/*
 * test-writer - MilterWriter over socket pairs and pipes, on both loops
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-socket.h>
#include <milter/core/milter-writer.h>
#include <test/lib/milter-test-log.h>

#include "io-test-loop.h"

#define SESSION_ID 29
#define LARGE_SIZE (1024 * 1024)

typedef struct {
  IOTestPair io;         /* the writer writes io.fds[0], or a pipe's fds[1] */
  MilterWriter *writer;
  guint8 *large;
  /* What the peer read, and whether it saw the end. */
  GByteArray *received;
  gboolean peer_eof;
  guint peer_watch;
  guint n_flushed;
  guint n_errors;
  gboolean errored;
  gboolean peer_progress;
  GError *error;
  /* The owner's hooks (milter_writer_set_event_funcs), and whether each
   * signal found its hook already called. */
  guint n_hook_flushed;
  guint n_hook_errors;
  gboolean hook_first;
} Fixture;

static void
flushed_cb (MilterWriter *writer, gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->n_flushed++;
  fixture->hook_first = fixture->n_hook_flushed == fixture->n_flushed;
}

static void
error_cb (MilterWriter *writer, GError *error, gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->n_errors++;
  fixture->hook_first = fixture->n_hook_errors == fixture->n_errors;
  fixture->errored = TRUE;
  g_clear_error (&fixture->error);
  fixture->error = g_error_copy (error);
}

static void
setup_writer (Fixture *fixture, int writer_fd)
{
  fixture->received = g_byte_array_new ();
  fixture->large = g_malloc (LARGE_SIZE);
  for (gsize i = 0; i < LARGE_SIZE; i++)
    fixture->large[i] = (guint8) ((i * 13 + i / 509) & 0xff);
  fixture->writer = milter_writer_new (fixture->io.loop, writer_fd);
  milter_writer_set_session_id (fixture->writer, SESSION_ID);
  milter_writer_set_tag (fixture->writer, "peer");
  g_signal_connect (fixture->writer, "flushed", G_CALLBACK (flushed_cb),
                    fixture);
  g_signal_connect (fixture->writer, "error", G_CALLBACK (error_cb), fixture);
}

static void
setup (Fixture *fixture, gconstpointer backend)
{
  io_test_pair_setup (&fixture->io, backend, FALSE);
  setup_writer (fixture, fixture->io.fds[0]);
}

/* On a loop that refuses to watch. */
static void
setup_refusing (Fixture *fixture, gconstpointer backend)
{
  io_test_pair_setup (&fixture->io, backend, TRUE);
  setup_writer (fixture, fixture->io.fds[0]);
}

/* The writer writes the pipe's write end, fds[1]. */
static void
setup_pipe (Fixture *fixture, gconstpointer backend)
{
  io_test_pair_setup_pipe (&fixture->io, backend);
  setup_writer (fixture, fixture->io.fds[1]);
}

static void
teardown (Fixture *fixture, gconstpointer backend)
{
  if (fixture->peer_watch)
    milter_event_loop_remove (fixture->io.loop, fixture->peer_watch);
  g_clear_object (&fixture->writer);
  io_test_pair_teardown (&fixture->io);
  g_byte_array_unref (fixture->received);
  g_free (fixture->large);
  g_clear_error (&fixture->error);
}

/* Reads everything the peer end has now, without the loop. */
static void
peer_read_now (Fixture *fixture)
{
  if (io_test_read_available (fixture->io.fds[1], fixture->received))
    fixture->peer_eof = TRUE;
}

static gboolean
peer_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  Fixture *fixture = user_data;

  peer_read_now (fixture);
  fixture->peer_progress = TRUE;
  if (fixture->peer_eof) {
    fixture->peer_watch = 0;
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
peer_start_reading (Fixture *fixture)
{
  fixture->peer_watch = milter_event_loop_watch_io (fixture->io.loop,
                                                    fixture->io.fds[1],
                                                    G_IO_IN, peer_cb, fixture,
                                                    NULL);
  g_assert_cmpuint (fixture->peer_watch, >, 0);
}

static gboolean
write_data (Fixture *fixture, const void *data, gsize size, GError **error)
{
  return milter_writer_write (fixture->writer, data, size, error);
}

static void
assert_received_large (Fixture *fixture)
{
  g_assert_cmpuint (fixture->received->len, ==, LARGE_SIZE);
  g_assert_true (memcmp (fixture->received->data, fixture->large,
                         LARGE_SIZE) == 0);
}

static void
test_write_immediate (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (write_data (fixture, "reply", 5, &error));
  g_assert_no_error (error);
  /* One system call, nothing left behind, no watch needed. */
  g_assert_cmpuint (milter_writer_get_n_syscalls (fixture->writer), ==, 1);
  g_assert_cmpuint (milter_writer_get_pending_size (fixture->writer), ==, 0);
  peer_read_now (fixture);
  g_assert_cmpmem (fixture->received->data, fixture->received->len,
                   "reply", 5);
  g_assert_cmpuint (milter_test_log_capture_count (fixture->io.capture,
                                                   MILTER_LOG_LEVEL_ERROR,
                                                   "[writer]"), ==, 0);
}

static void
test_transfer (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  g_assert_no_error (error);
  /* More than a socket buffer: the rest waits for the peer. */
  g_assert_cmpuint (milter_writer_get_pending_size (fixture->writer), >, 0);
  g_assert_true (write_data (fixture, "tail", 4, &error));
  peer_start_reading (fixture);
  while (fixture->received->len < LARGE_SIZE + 4) {
    fixture->peer_progress = FALSE;
    io_test_iterate_until (fixture->io.loop, &fixture->peer_progress);
  }
  io_test_iterate_pending (fixture->io.loop);
  g_assert_cmpuint (fixture->received->len, ==, LARGE_SIZE + 4);
  g_assert_true (memcmp (fixture->received->data, fixture->large,
                         LARGE_SIZE) == 0);
  g_assert_cmpmem (fixture->received->data + LARGE_SIZE, 4, "tail", 4);
  g_assert_cmpuint (fixture->n_flushed, ==, 1);
  g_assert_cmpuint (milter_writer_get_pending_size (fixture->writer), ==, 0);
  g_assert_cmpuint (fixture->n_errors, ==, 0);
}

static void
test_write_to_closed_peer (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  io_test_pair_close (&fixture->io, 1);
  g_assert_false (write_data (fixture, "reply", 5, &error));
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, g_strerror (EPIPE)));
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[writer][write][error]");
  /* A failed writer refuses further data. */
  g_clear_error (&error);
  g_assert_false (write_data (fixture, "more", 4, &error));
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_CLOSED);
}

/* Fills the socket, then closes the peer: the background write fails. */
static void
fail_in_background (Fixture *fixture)
{
  io_test_pair_close (&fixture->io, 1);
  io_test_iterate_until (fixture->io.loop, &fixture->errored);
}

static void
assert_background_error (Fixture *fixture, const gchar *tags)
{
  g_assert_cmpuint (fixture->n_errors, ==, 1);
  g_assert_error (fixture->error, MILTER_WRITER_ERROR,
                  MILTER_WRITER_ERROR_WRITE);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, tags);
  g_assert_cmpuint (milter_test_log_capture_count (fixture->io.capture,
                                                   MILTER_LOG_LEVEL_ERROR,
                                                   "[writer]"), ==, 1);
  g_assert_cmpuint (milter_writer_get_pending_size (fixture->writer), ==, 0);
}

static void
test_write_callback_error (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  fail_in_background (fixture);
  assert_background_error (fixture, "[writer][write-callback][error]");
}

static void
test_flush_callback_error (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  g_assert_true (milter_writer_flush (fixture->writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->n_flushed, ==, 0);
  fail_in_background (fixture);
  assert_background_error (fixture, "[writer][flush-callback][error]");
  g_assert_cmpuint (fixture->n_flushed, ==, 0);
}

static void
test_shutdown_flush_error (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  g_assert_true (milter_writer_shutdown (fixture->writer, &error));
  g_assert_no_error (error);
  g_assert_false (milter_writer_is_shut_down (fixture->writer));
  fail_in_background (fixture);
  assert_background_error (fixture,
                           "[writer][shutdown][flush-buffer][flush][error]");
}

static void
test_flush_error (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  milter_writer_set_packet_buffer_size (fixture->writer, 4096);
  g_assert_true (write_data (fixture, "gathered", 8, &error));
  io_test_pair_close (&fixture->io, 1);
  g_assert_false (milter_writer_flush (fixture->writer, &error));
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_WRITE);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[writer][flush][error]");
  g_assert_cmpuint (fixture->n_flushed, ==, 0);
}

static void
test_shutdown_write_error (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  milter_writer_set_packet_buffer_size (fixture->writer, 4096);
  g_assert_true (write_data (fixture, "gathered", 8, &error));
  io_test_pair_close (&fixture->io, 1);
  g_assert_false (milter_writer_shutdown (fixture->writer, &error));
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_WRITE);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID,
                             "[writer][shutdown][flush-buffer][write][error]");
  /* The descriptor is still shut down. */
  g_assert_true (milter_writer_is_shut_down (fixture->writer));
}

static void
test_packet_buffering (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) expected = g_string_new (NULL);

  milter_writer_set_packet_buffer_size (fixture->writer, 1024);
  for (guint i = 0; i < 10; i++) {
    gchar packet[20];

    memset (packet, 'a' + i, sizeof (packet));
    g_string_append_len (expected, packet, sizeof (packet));
    g_assert_true (write_data (fixture, packet, sizeof (packet), &error));
  }
  /* Gathered: nothing written yet. */
  g_assert_cmpuint (milter_writer_get_n_syscalls (fixture->writer), ==, 0);
  g_assert_cmpuint (milter_writer_get_pending_size (fixture->writer), ==, 200);
  peer_read_now (fixture);
  g_assert_cmpuint (fixture->received->len, ==, 0);
  g_assert_true (milter_writer_flush (fixture->writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (milter_writer_get_n_syscalls (fixture->writer), ==, 1);
  g_assert_cmpuint (fixture->n_flushed, ==, 1);

  /* Crossing the threshold writes at once; the rest waits for flush. */
  for (guint i = 0; i < 10; i++) {
    gchar packet[200];

    memset (packet, 'A' + i, sizeof (packet));
    g_string_append_len (expected, packet, sizeof (packet));
    g_assert_true (write_data (fixture, packet, sizeof (packet), &error));
    g_assert_cmpuint (milter_writer_get_n_syscalls (fixture->writer), ==,
                      i < 5 ? 1 : 2);
  }
  g_assert_cmpuint (milter_writer_get_pending_size (fixture->writer), ==, 800);
  g_assert_true (milter_writer_flush (fixture->writer, &error));
  g_assert_cmpuint (milter_writer_get_n_syscalls (fixture->writer), ==, 3);
  peer_read_now (fixture);
  g_assert_cmpmem (fixture->received->data, fixture->received->len,
                   expected->str, expected->len);
}

static void
test_flush_empty (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_writer_flush (fixture->writer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->n_flushed, ==, 1);
  g_assert_cmpuint (milter_writer_get_n_syscalls (fixture->writer), ==, 0);
}

static void
hook_flushed (MilterWriter *writer, gpointer user_data)
{
  ((Fixture *) user_data)->n_hook_flushed++;
}

static void
hook_error (MilterWriter *writer, GError *error, gpointer user_data)
{
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_WRITE);
  ((Fixture *) user_data)->n_hook_errors++;
}

/* The owner's hooks see "flushed" and a background error, before the
 * signals. */
static void
test_event_funcs (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  milter_writer_set_event_funcs (fixture->writer, hook_flushed, hook_error,
                                 fixture);
  g_assert_true (milter_writer_flush (fixture->writer, &error));
  g_assert_cmpuint (fixture->n_hook_flushed, ==, 1);
  g_assert_cmpuint (fixture->n_flushed, ==, 1);
  g_assert_true (fixture->hook_first);

  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  fail_in_background (fixture);
  assert_background_error (fixture, "[writer][write-callback][error]");
  g_assert_cmpuint (fixture->n_hook_errors, ==, 1);
  g_assert_true (fixture->hook_first);
}

static void
test_shutdown_flushes_first (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  milter_writer_set_packet_buffer_size (fixture->writer, 4096);
  g_assert_true (write_data (fixture, "a", 1, &error));
  g_assert_true (write_data (fixture, "b", 1, &error));
  g_assert_true (write_data (fixture, "c", 1, &error));
  g_assert_true (milter_writer_shutdown (fixture->writer, &error));
  g_assert_no_error (error);
  g_assert_true (milter_writer_is_shut_down (fixture->writer));
  g_assert_cmpuint (milter_writer_get_n_syscalls (fixture->writer), ==, 1);
  peer_read_now (fixture);
  g_assert_cmpmem (fixture->received->data, fixture->received->len, "abc", 3);
  g_assert_true (fixture->peer_eof);
  /* Idempotent; writing afterwards fails and is logged. */
  g_assert_true (milter_writer_shutdown (fixture->writer, &error));
  g_assert_false (write_data (fixture, "d", 1, &error));
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_CLOSED);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[writer][write][error]");
}

static void
test_shutdown_async (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  g_assert_true (milter_writer_shutdown (fixture->writer, &error));
  g_assert_false (milter_writer_is_shut_down (fixture->writer));
  peer_start_reading (fixture);
  io_test_iterate_until (fixture->io.loop, &fixture->peer_eof);
  /* Everything arrived before the end of the stream. */
  assert_received_large (fixture);
  g_assert_cmpuint (fixture->n_flushed, ==, 1);
  g_assert_true (milter_writer_is_shut_down (fixture->writer));
  g_assert_cmpuint (fixture->n_errors, ==, 0);
}

/* A "flushed" handler after a pending shutdown may close fd: the
 * half-close has happened by then (what the agent relies on). */
static void
closing_flushed_cb (MilterWriter *writer, gpointer user_data)
{
  Fixture *fixture = user_data;

  g_assert_true (milter_writer_is_shut_down (writer));
  io_test_pair_close (&fixture->io, 0);
}

static void
test_shutdown_then_flushed (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  g_assert_true (milter_writer_shutdown (fixture->writer, &error));
  g_signal_connect (fixture->writer, "flushed",
                    G_CALLBACK (closing_flushed_cb), fixture);
  peer_start_reading (fixture);
  io_test_iterate_until (fixture->io.loop, &fixture->peer_eof);
  assert_received_large (fixture);
  g_assert_cmpuint (fixture->n_flushed, ==, 1);
  g_assert_cmpuint (fixture->n_errors, ==, 0);
  g_assert_cmpuint (milter_test_log_capture_count (fixture->io.capture,
                                                   MILTER_LOG_LEVEL_ERROR,
                                                   "[writer]"), ==, 0);
}

/* A peer that takes nothing: the writer gives up after "timeout". */
static void
test_timeout (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  milter_writer_set_timeout (fixture->writer, 0.2);
  g_assert_cmpfloat (milter_writer_get_timeout (fixture->writer), ==, 0.2);
  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  io_test_iterate_until (fixture->io.loop, &fixture->errored);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC / 5);
  g_assert_error (fixture->error, MILTER_WRITER_ERROR,
                  MILTER_WRITER_ERROR_TIMEOUT);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[writer][write-callback][error]");
  /* What was left is dropped; nothing more is written. */
  g_assert_cmpuint (milter_writer_get_pending_size (fixture->writer), ==, 0);
  g_assert_false (write_data (fixture, "x", 1, NULL));
}

/* The timeout counts time without progress, not the whole transfer:
 * a peer that keeps reading slowly is served to the end. */
static gboolean
slow_peer_cb (gpointer user_data)
{
  Fixture *fixture = user_data;
  guint8 buffer[64 * 1024];
  gssize n = read (fixture->io.fds[1], buffer, sizeof (buffer));

  if (n > 0)
    g_byte_array_append (fixture->received, buffer, (guint) n);
  fixture->peer_eof = fixture->received->len >= LARGE_SIZE;
  return fixture->peer_eof ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
test_timeout_progress (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  milter_writer_set_timeout (fixture->writer, 0.25);
  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  milter_event_loop_add_timeout (fixture->io.loop, 0.05, slow_peer_cb,
                                 fixture, NULL);
  io_test_iterate_until (fixture->io.loop, &fixture->peer_eof);
  /* 16 reads 50 ms apart: longer than the timeout in all. */
  g_assert_cmpint (g_get_monotonic_time () - start, >, G_USEC_PER_SEC / 4);
  io_test_iterate_pending (fixture->io.loop);
  assert_received_large (fixture);
  g_assert_cmpuint (fixture->n_errors, ==, 0);
  g_assert_cmpuint (fixture->n_flushed, ==, 1);
}

static void
test_shutdown_closed_descriptor (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  io_test_pair_close (&fixture->io, 0);
  g_assert_false (milter_writer_shutdown (fixture->writer, &error));
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_SHUTDOWN);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[writer][error][shutdown]");
}

static void
test_watch_refused (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_WATCH);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[writer][watch][fail]");
  g_assert_cmpuint (milter_test_log_capture_count (fixture->io.capture,
                                                   MILTER_LOG_LEVEL_ERROR,
                                                   "[writer]"), ==, 1);
}

static void
test_closed_while_watching (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  if (!g_str_equal (backend, "glib")) {
    g_test_skip ("libev cannot see a descriptor closed behind its back");
    return;
  }
  g_assert_true (write_data (fixture, fixture->large, LARGE_SIZE, &error));
  io_test_pair_close (&fixture->io, 0);
  io_test_iterate_until (fixture->io.loop, &fixture->errored);
  g_assert_error (fixture->error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_IO);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[writer][error-callback][error]");
}

static void
test_pipe_without_sigpipe (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;
  sigset_t pending;

  io_test_pair_close (&fixture->io, 0);
  /* With SIGPIPE's default action this would kill the test. */
  g_assert_false (write_data (fixture, "x", 1, &error));
  g_assert_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, g_strerror (EPIPE)));
  sigpending (&pending);
  g_assert_false (sigismember (&pending, SIGPIPE));
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[writer][write][error]");
}

static void
test_pipe_close_on_shutdown (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;
  gchar buffer[8];

  milter_writer_set_close_on_shutdown (fixture->writer, TRUE);
  g_assert_true (write_data (fixture, "pipe", 4, &error));
  g_assert_true (milter_writer_shutdown (fixture->writer, &error));
  g_assert_no_error (error);
  fixture->io.fds[1] = -1;  /* the writer closed it */
  g_assert_cmpint (read (fixture->io.fds[0], buffer, sizeof (buffer)), ==, 4);
  g_assert_cmpint (read (fixture->io.fds[0], buffer, sizeof (buffer)), ==, 0);
}

#define ADD(name, setup_func, test) \
  IO_TEST_ADD ("/io/writer", name, Fixture, setup_func, test, teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("write-immediate", setup, test_write_immediate);
  ADD ("transfer-1mib", setup, test_transfer);
  ADD ("write-to-closed-peer", setup, test_write_to_closed_peer);
  ADD ("write-callback-error", setup, test_write_callback_error);
  ADD ("flush-callback-error", setup, test_flush_callback_error);
  ADD ("shutdown-flush-error", setup, test_shutdown_flush_error);
  ADD ("flush-error", setup, test_flush_error);
  ADD ("shutdown-write-error", setup, test_shutdown_write_error);
  ADD ("packet-buffering", setup, test_packet_buffering);
  ADD ("flush-empty", setup, test_flush_empty);
  ADD ("event-funcs", setup, test_event_funcs);
  ADD ("shutdown-flushes-first", setup, test_shutdown_flushes_first);
  ADD ("shutdown-async", setup, test_shutdown_async);
  ADD ("shutdown-closed-descriptor", setup, test_shutdown_closed_descriptor);
  ADD ("shutdown-then-flushed", setup, test_shutdown_then_flushed);
  ADD ("timeout", setup, test_timeout);
  ADD ("timeout-progress", setup, test_timeout_progress);
  ADD ("watch-refused", setup_refusing, test_watch_refused);
  ADD ("closed-while-watching", setup, test_closed_while_watching);
  ADD ("pipe-without-sigpipe", setup_pipe, test_pipe_without_sigpipe);
  ADD ("pipe-close-on-shutdown", setup_pipe, test_pipe_close_on_shutdown);

  return g_test_run ();
}

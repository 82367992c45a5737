/*
 * test-reader - MilterReader over socket pairs, on both event loops
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-reader.h>
#include <milter/core/milter-socket.h>
#include <test/lib/milter-test-log.h>

#include "io-test-loop.h"

#define SESSION_ID 42
#define TRANSFER_SIZE (1024 * 1024)

typedef struct {
  IOTestPair io;          /* io.fds[0] is read by the reader */
  MilterReader *reader;
  GByteArray *received;
  guint n_flows;
  guint n_signal_flows;
  gsize max_flow;
  guint n_finished;
  guint n_errors;
  GError *error;
  gboolean done;
  gboolean stop_in_flow;
  gboolean unref_in_flow;
  gboolean quick_ack_off_in_flow;
  /* The owner's hooks (milter_reader_set_event_funcs), and whether each
   * signal found its hook already called. */
  guint n_hook_finished;
  guint n_hook_errors;
  gboolean hook_first;
} Fixture;

static void
flow_func (MilterReader *reader, const guint8 *data, gsize size,
           gpointer user_data)
{
  Fixture *fixture = user_data;

  g_byte_array_append (fixture->received, data, (guint) size);
  fixture->n_flows++;
  fixture->max_flow = MAX (fixture->max_flow, size);
  fixture->done = TRUE;
  if (fixture->stop_in_flow)
    milter_reader_stop (reader);
  if (fixture->quick_ack_off_in_flow)
    milter_reader_set_quick_ack (reader, FALSE);
}

static void
flow_cb (MilterReader *reader, gpointer data, guint64 size,
         gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->n_signal_flows++;
  fixture->done = TRUE;
  if (fixture->unref_in_flow)
    g_clear_object (&fixture->reader);
}

static void
finished_cb (MilterReader *reader, gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->n_finished++;
  fixture->hook_first = fixture->n_hook_finished == fixture->n_finished;
  fixture->done = TRUE;
}

static void
error_cb (MilterReader *reader, GError *error, gpointer user_data)
{
  Fixture *fixture = user_data;

  fixture->n_errors++;
  fixture->hook_first = fixture->n_hook_errors == fixture->n_errors;
  g_clear_error (&fixture->error);
  fixture->error = g_error_copy (error);
  fixture->done = TRUE;
}

static void
setup_reader (Fixture *fixture)
{
  fixture->received = g_byte_array_new ();
  fixture->reader = milter_reader_new (fixture->io.loop, fixture->io.fds[0]);
  milter_reader_set_session_id (fixture->reader, SESSION_ID);
  milter_reader_set_tag (fixture->reader, "peer");
  milter_reader_set_flow_func (fixture->reader, flow_func, fixture, NULL);
  g_signal_connect (fixture->reader, "flow", G_CALLBACK (flow_cb), fixture);
  g_signal_connect (fixture->reader, "finished", G_CALLBACK (finished_cb),
                    fixture);
  g_signal_connect (fixture->reader, "error", G_CALLBACK (error_cb), fixture);
}

static void
setup (Fixture *fixture, gconstpointer backend)
{
  io_test_pair_setup (&fixture->io, backend, FALSE);
  setup_reader (fixture);
}

/* On a loop that refuses to watch. */
static void
setup_refusing (Fixture *fixture, gconstpointer backend)
{
  io_test_pair_setup (&fixture->io, backend, TRUE);
  setup_reader (fixture);
}

static void
start (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_reader_start (fixture->reader, &error));
  g_assert_no_error (error);
  g_assert_true (milter_reader_is_watching (fixture->reader));
}

static void
teardown (Fixture *fixture, gconstpointer backend)
{
  g_clear_object (&fixture->reader);
  io_test_pair_teardown (&fixture->io);
  g_byte_array_unref (fixture->received);
  g_clear_error (&fixture->error);
}

static void
test_flow (Fixture *fixture, gconstpointer backend)
{
  start (fixture);
  io_test_write_all (fixture->io.fds[1], "hello", 5);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_cmpmem (fixture->received->data, fixture->received->len,
                   "hello", 5);
  /* The function sees each read; the signal only while none is set. */
  g_assert_cmpuint (fixture->n_flows, ==, 1);
  g_assert_cmpuint (fixture->n_signal_flows, ==, 0);
  g_assert_cmpuint (fixture->n_finished, ==, 0);
  g_assert_true (milter_reader_is_watching (fixture->reader));

  milter_reader_set_flow_func (fixture->reader, NULL, NULL, NULL);
  fixture->done = FALSE;
  io_test_write_all (fixture->io.fds[1], "again", 5);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_cmpuint (fixture->n_flows, ==, 1);
  g_assert_cmpuint (fixture->n_signal_flows, ==, 1);
  g_assert_true (milter_reader_is_watching (fixture->reader));
  g_assert_cmpuint (milter_test_log_capture_count (fixture->io.capture,
                                                   MILTER_LOG_LEVEL_ERROR,
                                                   "[reader]"), ==, 0);
}

typedef struct {
  int fd;
  gsize sent;
} Feeder;

static guint8
pattern_byte (gsize offset)
{
  return (guint8) ((offset * 7 + offset / 251) & 0xff);
}

/* Peer side: writes TRANSFER_SIZE bytes whenever the socket takes them,
 * then ends its output. */
static gboolean
feed_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  Feeder *feeder = user_data;
  guint8 chunk[8192];

  while (feeder->sent < TRANSFER_SIZE) {
    gsize size = MIN (sizeof (chunk), TRANSFER_SIZE - feeder->sent);
    gssize written;

    for (gsize i = 0; i < size; i++)
      chunk[i] = pattern_byte (feeder->sent + i);
    written = write (fd, chunk, size);
    if (written <= 0)
      return G_SOURCE_CONTINUE;
    feeder->sent += (gsize) written;
  }
  shutdown (fd, SHUT_WR);
  return G_SOURCE_REMOVE;
}

static void
test_transfer (Fixture *fixture, gconstpointer backend)
{
  Feeder feeder = { 0 };
  gsize mismatch = G_MAXSIZE;

  g_signal_handlers_disconnect_by_func (fixture->reader, flow_cb, fixture);
  feeder.fd = fixture->io.fds[1];
  start (fixture);
  milter_event_loop_watch_io (fixture->io.loop, fixture->io.fds[1], G_IO_OUT,
                              feed_cb, &feeder, NULL);
  while (fixture->n_finished == 0 && fixture->n_errors == 0) {
    fixture->done = FALSE;
    io_test_iterate_until (fixture->io.loop, &fixture->done);
  }
  g_assert_cmpuint (fixture->n_errors, ==, 0);
  g_assert_cmpuint (fixture->n_finished, ==, 1);
  g_assert_cmpuint (fixture->received->len, ==, TRANSFER_SIZE);
  for (gsize i = 0; i < fixture->received->len; i++) {
    if (fixture->received->data[i] != pattern_byte (i)) {
      mismatch = i;
      break;
    }
  }
  g_assert_cmpuint (mismatch, ==, G_MAXSIZE);
  g_assert_cmpuint (fixture->max_flow, <=,
                    milter_reader_get_buffer_size (fixture->reader));
  g_assert_false (milter_reader_is_watching (fixture->reader));
}

static void
test_end_of_input (Fixture *fixture, gconstpointer backend)
{
  start (fixture);
  io_test_write_all (fixture->io.fds[1], "bye", 3);
  io_test_pair_close (&fixture->io, 1);
  while (fixture->n_finished == 0 && fixture->n_errors == 0) {
    fixture->done = FALSE;
    io_test_iterate_until (fixture->io.loop, &fixture->done);
  }
  /* The data before the end is not lost. */
  g_assert_cmpmem (fixture->received->data, fixture->received->len,
                   "bye", 3);
  g_assert_cmpuint (fixture->n_finished, ==, 1);
  g_assert_cmpuint (fixture->n_errors, ==, 0);
  g_assert_false (milter_reader_is_watching (fixture->reader));
}

static void
hook_finished (MilterReader *reader, gpointer user_data)
{
  ((Fixture *) user_data)->n_hook_finished++;
}

static void
hook_error (MilterReader *reader, GError *error, gpointer user_data)
{
  g_assert_error (error, MILTER_READER_ERROR, MILTER_READER_ERROR_READ);
  ((Fixture *) user_data)->n_hook_errors++;
}

/* The owner's hooks see end of input and errors, before the signals. */
static void
test_event_funcs (Fixture *fixture, gconstpointer backend)
{
  milter_reader_set_event_funcs (fixture->reader, hook_finished, hook_error,
                                 fixture);
  start (fixture);
  io_test_pair_close (&fixture->io, 1);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_cmpuint (fixture->n_hook_finished, ==, 1);
  g_assert_cmpuint (fixture->n_finished, ==, 1);
  g_assert_true (fixture->hook_first);
  g_assert_cmpuint (fixture->n_hook_errors, ==, 0);
}

static void
test_event_funcs_error (Fixture *fixture, gconstpointer backend)
{
  milter_reader_set_event_funcs (fixture->reader, hook_finished, hook_error,
                                 fixture);
  start (fixture);
  /* A unix socket closed with unread data resets its peer. */
  io_test_write_all (fixture->io.fds[0], "unread", 6);
  io_test_pair_close (&fixture->io, 1);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_cmpuint (fixture->n_hook_errors, ==, 1);
  g_assert_cmpuint (fixture->n_errors, ==, 1);
  g_assert_true (fixture->hook_first);
  g_assert_cmpuint (fixture->n_hook_finished, ==, 0);
}

static void
test_peer_reset (Fixture *fixture, gconstpointer backend)
{
  start (fixture);
  /* A unix socket closed with unread data resets its peer. */
  io_test_write_all (fixture->io.fds[0], "unread", 6);
  io_test_pair_close (&fixture->io, 1);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_cmpuint (fixture->n_errors, ==, 1);
  g_assert_cmpuint (fixture->n_finished, ==, 0);
  g_assert_error (fixture->error, MILTER_READER_ERROR,
                  MILTER_READER_ERROR_READ);
  g_assert_nonnull (strstr (fixture->error->message, "peer"));
  g_assert_nonnull (strstr (fixture->error->message,
                            g_strerror (ECONNRESET)));
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[reader][error][read]");
  g_assert_false (milter_reader_is_watching (fixture->reader));
}

/* A refused watch is both catalogued watch failures. */
static void
assert_start_refused (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (milter_reader_start (fixture->reader, &error));
  g_assert_error (error, MILTER_READER_ERROR, MILTER_READER_ERROR_WATCH);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[reader][watch][read][fail]");
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[reader][watch][error][fail]");
  g_assert_false (milter_reader_is_watching (fixture->reader));
}

static void
test_closed_descriptor (Fixture *fixture, gconstpointer backend)
{
  io_test_pair_close (&fixture->io, 0);
  assert_start_refused (fixture);
}

static void
test_watch_refused (Fixture *fixture, gconstpointer backend)
{
  assert_start_refused (fixture);
}

static void
test_closed_while_watching (Fixture *fixture, gconstpointer backend)
{
  if (!g_str_equal (backend, "glib")) {
    /* epoll silently forgets a closed descriptor, so libev never hears
     * of it: nothing to report. */
    g_test_skip ("libev cannot see a descriptor closed behind its back");
    return;
  }
  start (fixture);
  io_test_pair_close (&fixture->io, 0);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_cmpuint (fixture->n_errors, ==, 1);
  g_assert_error (fixture->error, MILTER_READER_ERROR,
                  MILTER_READER_ERROR_IO);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[reader][callback][error]");
  g_assert_false (milter_reader_is_watching (fixture->reader));
}

static void
test_shutdown (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  start (fixture);
  g_assert_true (milter_reader_shutdown (fixture->reader, &error));
  g_assert_no_error (error);
  g_assert_false (milter_reader_is_watching (fixture->reader));
  /* The peer can no longer send to us. */
  g_assert_cmpint (send (fixture->io.fds[1], "x", 1, MSG_NOSIGNAL), ==, -1);
  g_assert_cmpint (errno, ==, EPIPE);
  /* Idempotent, and a shut-down reader does not start again. */
  g_assert_true (milter_reader_shutdown (fixture->reader, &error));
  g_assert_false (milter_reader_start (fixture->reader, &error));
  g_assert_error (error, MILTER_READER_ERROR, MILTER_READER_ERROR_WATCH);
  g_assert_cmpuint (milter_test_log_capture_count (fixture->io.capture,
                                                   MILTER_LOG_LEVEL_ERROR,
                                                   "[reader]"), ==, 0);
}

static void
test_shutdown_closed_descriptor (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  io_test_pair_close (&fixture->io, 0);
  g_assert_false (milter_reader_shutdown (fixture->reader, &error));
  g_assert_error (error, MILTER_READER_ERROR, MILTER_READER_ERROR_SHUTDOWN);
  milter_test_assert_logged (fixture->io.capture, MILTER_LOG_LEVEL_ERROR,
                             SESSION_ID, "[reader][error][shutdown]");
}

static void
test_close_on_shutdown (Fixture *fixture, gconstpointer backend)
{
  g_autoptr (GError) error = NULL;

  milter_reader_set_close_on_shutdown (fixture->reader, TRUE);
  start (fixture);
  g_assert_true (milter_reader_shutdown (fixture->reader, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fcntl (fixture->io.fds[0], F_GETFD), ==, -1);
  fixture->io.fds[0] = -1;
}

static void
test_stop_in_flow (Fixture *fixture, gconstpointer backend)
{
  fixture->stop_in_flow = TRUE;
  start (fixture);
  io_test_write_all (fixture->io.fds[1], "one", 3);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_false (milter_reader_is_watching (fixture->reader));
  io_test_write_all (fixture->io.fds[1], "two", 3);
  io_test_iterate_pending (fixture->io.loop);
  g_assert_cmpuint (fixture->n_flows, ==, 1);
  /* Restarting picks up what waited in the kernel. */
  fixture->stop_in_flow = FALSE;
  fixture->done = FALSE;
  start (fixture);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_cmpmem (fixture->received->data, fixture->received->len,
                   "onetwo", 6);
}

/* Off by default; an owner may switch it off from its flow function (the
 * server context does once the reply it waited for is complete), and the
 * reader, which looks at it after the flow, leaves it off. */
static void
test_quick_ack_off_in_flow (Fixture *fixture, gconstpointer backend)
{
  g_assert_false (milter_reader_get_quick_ack (fixture->reader));
  milter_reader_set_quick_ack (fixture->reader, TRUE);
  g_assert_true (milter_reader_get_quick_ack (fixture->reader));
  fixture->quick_ack_off_in_flow = TRUE;
  start (fixture);
  io_test_write_all (fixture->io.fds[1], "one", 3);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_false (milter_reader_get_quick_ack (fixture->reader));
  g_assert_true (milter_reader_is_watching (fixture->reader));
  g_assert_cmpmem (fixture->received->data, fixture->received->len, "one", 3);
}

static void
test_unref_in_flow (Fixture *fixture, gconstpointer backend)
{
  /* A "flow" handler drops the last reference. */
  fixture->unref_in_flow = TRUE;
  milter_reader_set_flow_func (fixture->reader, NULL, NULL, NULL);
  start (fixture);
  io_test_write_all (fixture->io.fds[1], "x", 1);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_null (fixture->reader);
  io_test_write_all (fixture->io.fds[1], "y", 1);
  io_test_iterate_pending (fixture->io.loop);
  g_assert_cmpuint (fixture->n_signal_flows, ==, 1);
}

static void
test_buffer_size (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = io_test_loop_new (data);
  g_autoptr (MilterReader) reader = milter_reader_new (loop, 0);
  g_autoptr (MilterReader) small = g_object_new (MILTER_TYPE_READER,
                                                 "event-loop", loop,
                                                 "fd", 0,
                                                 "buffer-size", (guint64) 100,
                                                 NULL);
  g_autoptr (MilterReader) large = g_object_new (MILTER_TYPE_READER,
                                                 "event-loop", loop,
                                                 "fd", 0,
                                                 "buffer-size",
                                                 (guint64) 256 * 1024,
                                                 NULL);

  /* The default holds two whole body-chunk packets (4 + 1 + 65535 each). */
  g_assert_cmpuint (milter_reader_get_buffer_size (reader), ==,
                    MILTER_READER_DEFAULT_BUFFER_SIZE);
  g_assert_cmpuint (milter_reader_get_buffer_size (reader), >=, 2 * (4 + 1 + 65535));
  g_assert_cmpuint (milter_reader_get_buffer_size (small), ==, 64 * 1024);
  g_assert_cmpuint (milter_reader_get_buffer_size (large), ==, 256 * 1024);
}

/* A flow handler that iterates the loop, so that another reader of the
 * thread reads while the outer data is still in use: it must stay as it
 * was read. With inner_size above the outer reader's buffer the shared
 * buffer would grow, freeing the outer data (a use-after-free valgrind
 * and ASan see); with the same size it would be overwritten. */
typedef struct {
  MilterEventLoop *loop;
  int inner_fds[2];
  MilterReader *inner;
  gboolean inner_flowed;
  gboolean intact;
} Nested;

static void
inner_flow (MilterReader *reader, const guint8 *data, gsize size,
            gpointer user_data)
{
  Nested *nested = user_data;

  g_assert_cmpuint (size, ==, 100);
  for (gsize i = 0; i < size; i++)
    g_assert_cmpint (data[i], ==, 'B');
  nested->inner_flowed = TRUE;
}

static void
outer_flow (MilterReader *reader, const guint8 *data, gsize size,
            gpointer user_data)
{
  Nested *nested = user_data;
  guint8 inner_data[100];

  g_assert_cmpuint (size, ==, 100);
  memset (inner_data, 'B', sizeof inner_data);
  io_test_write_all (nested->inner_fds[1], inner_data, sizeof inner_data);
  io_test_iterate_until (nested->loop, &nested->inner_flowed);
  nested->intact = TRUE;
  for (gsize i = 0; i < size; i++)
    nested->intact = nested->intact && data[i] == 'A';
}

static void
check_nested_iteration (Fixture *fixture, gsize inner_size)
{
  g_autoptr (GError) error = NULL;
  Nested nested = {0};
  guint8 outer_data[100];

  /* The inner pair shares the outer loop: iterating it is iterating
   * the loop the outer flow was called from. */
  g_assert_true (milter_socket_pair (nested.inner_fds, &error));
  nested.loop = fixture->io.loop;
  nested.inner = g_object_new (MILTER_TYPE_READER, "event-loop", fixture->io.loop,
                               "fd", nested.inner_fds[0],
                               "buffer-size", (guint64) inner_size, NULL);
  milter_reader_set_flow_func (nested.inner, inner_flow, &nested, NULL);
  g_assert_true (milter_reader_start (nested.inner, &error));
  milter_reader_set_flow_func (fixture->reader, outer_flow, &nested, NULL);
  g_assert_true (milter_reader_start (fixture->reader, &error));

  memset (outer_data, 'A', sizeof outer_data);
  io_test_write_all (fixture->io.fds[1], outer_data, sizeof outer_data);
  while (!nested.inner_flowed)
    milter_event_loop_iterate (fixture->io.loop, TRUE);
  g_assert_true (nested.intact);

  /* The thread's buffer is free again: a plain read still works. */
  milter_reader_set_flow_func (fixture->reader, flow_func, fixture, NULL);
  io_test_write_all (fixture->io.fds[1], "again", 5);
  io_test_iterate_until (fixture->io.loop, &fixture->done);
  g_assert_cmpmem (fixture->received->data, fixture->received->len, "again", 5);

  g_clear_object (&nested.inner);
  close (nested.inner_fds[0]);
  close (nested.inner_fds[1]);
}

static void
test_nested_iteration (Fixture *fixture, gconstpointer backend)
{
  check_nested_iteration (fixture,
                          milter_reader_get_buffer_size (fixture->reader));
}

static void
test_nested_iteration_grows (Fixture *fixture, gconstpointer backend)
{
  check_nested_iteration (fixture,
                          4 * milter_reader_get_buffer_size (fixture->reader));
}

#define ADD(name, setup_func, test) \
  IO_TEST_ADD ("/io/reader", name, Fixture, setup_func, test, teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("flow", setup, test_flow);
  ADD ("transfer-1mib", setup, test_transfer);
  ADD ("end-of-input", setup, test_end_of_input);
  ADD ("peer-reset", setup, test_peer_reset);
  ADD ("event-funcs", setup, test_event_funcs);
  ADD ("event-funcs-error", setup, test_event_funcs_error);
  ADD ("closed-descriptor", setup, test_closed_descriptor);
  ADD ("watch-refused", setup_refusing, test_watch_refused);
  ADD ("closed-while-watching", setup, test_closed_while_watching);
  ADD ("shutdown", setup, test_shutdown);
  ADD ("shutdown-closed-descriptor", setup, test_shutdown_closed_descriptor);
  ADD ("close-on-shutdown", setup, test_close_on_shutdown);
  ADD ("stop-in-flow", setup, test_stop_in_flow);
  ADD ("unref-in-flow", setup, test_unref_in_flow);
  ADD ("quick-ack-off-in-flow", setup, test_quick_ack_off_in_flow);
  ADD ("nested-iteration", setup, test_nested_iteration);
  ADD ("nested-iteration-grows", setup, test_nested_iteration_grows);
  io_test_add ("/io/reader", "buffer-size", test_buffer_size);

  return g_test_run ();
}

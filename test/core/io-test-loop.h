/*
 * io-test-loop - shared helpers of the reader and writer tests
 *
 * SYNOPSIS
 *   MilterEventLoop *io_test_loop_new (const gchar *backend);
 *   MilterEventLoop *io_test_refusing_loop_new (const gchar *backend);
 *   void io_test_iterate_until (MilterEventLoop *loop, gboolean *flag);
 *   void io_test_iterate_pending (MilterEventLoop *loop);
 *   void io_test_add (const gchar *prefix, const gchar *name,
 *                     GTestDataFunc func);
 *   void io_test_add_fixture (prefix, name, fixture_size, setup, test,
 *                             teardown);
 *   IO_TEST_ADD (prefix, name, Fixture, setup, test, teardown);
 *   void io_test_pair_setup (IOTestPair *pair, const gchar *backend,
 *                            gboolean refusing);
 *   void io_test_pair_setup_pipe (IOTestPair *pair, const gchar *backend);
 *   void io_test_pair_close (IOTestPair *pair, guint end);
 *   void io_test_pair_teardown (IOTestPair *pair);
 *   gboolean io_test_read_available (int fd, GByteArray *into);
 *   void io_test_write_all (int fd, const void *data, gsize size);
 *
 * DESCRIPTION
 *   io_test_add() registers a test once per backend as
 *   PREFIX/BACKEND/NAME with the backend name as data;
 *   io_test_add_fixture() does the same for a GTest fixture test. The
 *   refusing loop wraps a real loop of the backend but refuses every I/O
 *   watch, as a backend that cannot watch a descriptor would: the only way
 *   to reach the "watch failed" paths for an open descriptor.
 *
 *   An IOTestPair is what every reader and writer test starts from: two
 *   connected descriptors (a socket pair, or a pipe), one for the object
 *   under test and one for the test as its peer, a loop of the backend,
 *   and log lines captured from setup to teardown. Header-only (static
 *   functions) because each test is its own program.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-socket.h>
#include <test/lib/milter-test-log.h>

static const gchar *io_test_backends[] = { "glib", "libev" };

#define IO_TEST_GUARD_SECONDS 10.0

static MilterEventLoop *
io_test_loop_new (const gchar *backend)
{
  g_autoptr (GError) error = NULL;
  MilterEventLoop *loop = milter_event_loop_new_by_name (backend, &error);

  g_assert_no_error (error);
  return loop;
}

static gboolean
io_test_guard_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates until *flag is set; fails the test instead of hanging. */
G_GNUC_UNUSED static void
io_test_iterate_until (MilterEventLoop *loop, gboolean *flag)
{
  gboolean timed_out = FALSE;
  guint guard = milter_event_loop_add_timeout (loop, IO_TEST_GUARD_SECONDS,
                                               io_test_guard_cb, &timed_out,
                                               NULL);

  while (!*flag && !timed_out)
    milter_event_loop_iterate (loop, TRUE);
  g_assert_false (timed_out);
  milter_event_loop_remove (loop, guard);
}

/* Runs every ready callback without blocking. */
G_GNUC_UNUSED static void
io_test_iterate_pending (MilterEventLoop *loop)
{
  while (milter_event_loop_iterate (loop, FALSE))
    ;
}

G_GNUC_UNUSED static void
io_test_add (const gchar *prefix, const gchar *name, GTestDataFunc func)
{
  for (gsize i = 0; i < G_N_ELEMENTS (io_test_backends); i++) {
    g_autofree gchar *path = g_strdup_printf ("%s/%s/%s", prefix,
                                              io_test_backends[i], name);

    g_test_add_data_func (path, io_test_backends[i], func);
  }
}

/* Each run gets a zeroed fixture of fixture_size bytes; setup, test and
 * teardown receive it and the backend name. */
G_GNUC_UNUSED static void
io_test_add_fixture (const gchar *prefix, const gchar *name,
                     gsize fixture_size, GTestFixtureFunc setup,
                     GTestFixtureFunc test, GTestFixtureFunc teardown)
{
  for (gsize i = 0; i < G_N_ELEMENTS (io_test_backends); i++) {
    g_autofree gchar *path = g_strdup_printf ("%s/%s/%s", prefix,
                                              io_test_backends[i], name);

    g_test_add_vtable (path, fixture_size, io_test_backends[i], setup, test,
                       teardown);
  }
}

/* io_test_add_fixture() for functions taking a Fixture *, checked against
 * that type as g_test_add() checks them. */
#define IO_TEST_ADD(prefix, name, Fixture, setup, test, teardown)         \
  G_STMT_START {                                                          \
    void (*io_test_setup_) (Fixture *, gconstpointer) = (setup);          \
    void (*io_test_test_) (Fixture *, gconstpointer) = (test);            \
    void (*io_test_teardown_) (Fixture *, gconstpointer) = (teardown);    \
                                                                          \
    io_test_add_fixture ((prefix), (name), sizeof (Fixture),              \
                         (GTestFixtureFunc) io_test_setup_,               \
                         (GTestFixtureFunc) io_test_test_,                \
                         (GTestFixtureFunc) io_test_teardown_);           \
  } G_STMT_END

#define IO_TEST_TYPE_REFUSING_LOOP (io_test_refusing_loop_get_type ())
G_DECLARE_FINAL_TYPE (IOTestRefusingLoop, io_test_refusing_loop,
                      IO_TEST, REFUSING_LOOP, MilterEventLoop)

struct _IOTestRefusingLoop {
  MilterEventLoop parent_instance;
  MilterEventLoop *inner;
};

G_DEFINE_FINAL_TYPE (IOTestRefusingLoop, io_test_refusing_loop,
                     MILTER_TYPE_EVENT_LOOP)

#define INNER(loop) (IO_TEST_REFUSING_LOOP (loop)->inner)

static guint
refusing_watch_io (MilterEventLoop *loop, gint fd, GIOCondition condition,
                   MilterEventLoopIOFunc func, gpointer user_data,
                   GDestroyNotify notify)
{
  return 0;
}

static guint
refusing_add_timeout (MilterEventLoop *loop, gdouble interval,
                      MilterEventLoopFunc func, gpointer user_data,
                      GDestroyNotify notify)
{
  return milter_event_loop_add_timeout (INNER (loop), interval, func,
                                        user_data, notify);
}

static guint
refusing_add_idle (MilterEventLoop *loop, MilterEventLoopFunc func,
                   gpointer user_data, GDestroyNotify notify)
{
  return milter_event_loop_add_idle (INNER (loop), func, user_data, notify);
}

static guint
refusing_watch_child (MilterEventLoop *loop, GPid pid,
                      MilterEventLoopChildFunc func, gpointer user_data,
                      GDestroyNotify notify)
{
  return milter_event_loop_watch_child (INNER (loop), pid, func, user_data,
                                        notify);
}

static gboolean
refusing_remove (MilterEventLoop *loop, guint id)
{
  return milter_event_loop_remove (INNER (loop), id);
}

static void
refusing_run (MilterEventLoop *loop)
{
  milter_event_loop_run (INNER (loop));
}

static gboolean
refusing_iterate (MilterEventLoop *loop, gboolean may_block)
{
  return milter_event_loop_iterate (INNER (loop), may_block);
}

static void
refusing_quit (MilterEventLoop *loop)
{
  milter_event_loop_quit (INNER (loop));
}

static void
io_test_refusing_loop_finalize (GObject *object)
{
  g_clear_object (&IO_TEST_REFUSING_LOOP (object)->inner);
  G_OBJECT_CLASS (io_test_refusing_loop_parent_class)->finalize (object);
}

static void
io_test_refusing_loop_class_init (IOTestRefusingLoopClass *klass)
{
  MilterEventLoopClass *loop_class = MILTER_EVENT_LOOP_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = io_test_refusing_loop_finalize;
  loop_class->watch_io = refusing_watch_io;
  loop_class->add_timeout = refusing_add_timeout;
  loop_class->add_idle = refusing_add_idle;
  loop_class->watch_child = refusing_watch_child;
  loop_class->remove = refusing_remove;
  loop_class->run = refusing_run;
  loop_class->iterate = refusing_iterate;
  loop_class->quit = refusing_quit;
}

static void
io_test_refusing_loop_init (IOTestRefusingLoop *self)
{
}

G_GNUC_UNUSED static MilterEventLoop *
io_test_refusing_loop_new (const gchar *backend)
{
  IOTestRefusingLoop *loop = g_object_new (IO_TEST_TYPE_REFUSING_LOOP, NULL);

  loop->inner = io_test_loop_new (backend);
  return MILTER_EVENT_LOOP (loop);
}

#undef INNER

/* fds[0] and fds[1] are connected both ways for a socket pair; for a pipe
 * fds[0] is the read end. A closed end is -1. */
typedef struct {
  MilterEventLoop *loop;
  int fds[2];
  MilterTestLogCapture *capture;
} IOTestPair;

static void
io_test_pair_start (IOTestPair *pair, const gchar *backend,
                    gboolean refusing)
{
  pair->capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  pair->loop = refusing ? io_test_refusing_loop_new (backend) :
    io_test_loop_new (backend);
}

/* A non-blocking unix socket pair, as milter_socket_pair() makes it. */
G_GNUC_UNUSED static void
io_test_pair_setup (IOTestPair *pair, const gchar *backend,
                    gboolean refusing)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (milter_socket_pair (pair->fds, &error));
  g_assert_no_error (error);
  io_test_pair_start (pair, backend, refusing);
}

/* A non-blocking pipe: what has no half-close and raises SIGPIPE. */
G_GNUC_UNUSED static void
io_test_pair_setup_pipe (IOTestPair *pair, const gchar *backend)
{
  g_assert_cmpint (pipe2 (pair->fds, O_NONBLOCK | O_CLOEXEC), ==, 0);
  io_test_pair_start (pair, backend, FALSE);
}

/* The peer leaving, or a descriptor closed behind its user's back. */
G_GNUC_UNUSED static void
io_test_pair_close (IOTestPair *pair, guint end)
{
  g_assert_cmpuint (end, <, 2);
  g_assert_cmpint (pair->fds[end], >=, 0);
  g_assert_cmpint (close (pair->fds[end]), ==, 0);
  pair->fds[end] = -1;
}

/* After the objects using the descriptors are gone. */
G_GNUC_UNUSED static void
io_test_pair_teardown (IOTestPair *pair)
{
  g_clear_object (&pair->loop);
  for (gsize i = 0; i < G_N_ELEMENTS (pair->fds); i++)
    if (pair->fds[i] >= 0)
      close (pair->fds[i]);
  milter_test_log_capture_stop (pair->capture);
}

/* Appends what the non-blocking fd holds now; TRUE at its end. */
G_GNUC_UNUSED static gboolean
io_test_read_available (int fd, GByteArray *into)
{
  guint8 buffer[65536];
  gssize size;

  while ((size = read (fd, buffer, sizeof (buffer))) > 0)
    g_byte_array_append (into, buffer, (guint) size);
  return size == 0;
}

/* Writes all of data to fd now: the kernel must take it without waiting,
 * which it does for the few bytes a test sends. */
G_GNUC_UNUSED static void
io_test_write_all (int fd, const void *data, gsize size)
{
  gsize done = 0;

  while (done < size) {
    gssize written = write (fd, (const guint8 *) data + done, size - done);

    if (written == -1 && errno == EINTR)
      continue;
    g_assert_cmpint (written, >, 0);
    done += (gsize) written;
  }
}

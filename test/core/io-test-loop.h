/*
 * io-test-loop - shared helpers of the reader and writer tests
 *
 * SYNOPSIS
 *   MilterEventLoop *io_test_loop_new (const gchar *backend);
 *   MilterEventLoop *io_test_refusing_loop_new (const gchar *backend);
 *   void io_test_iterate_until (MilterEventLoop *loop, gboolean *flag);
 *   void io_test_add (const gchar *prefix, const gchar *name,
 *                     GTestDataFunc func);
 *
 * DESCRIPTION
 *   io_test_add() registers a test once per backend as
 *   PREFIX/BACKEND/NAME with the backend name as data. The refusing loop
 *   wraps a real loop of the backend but refuses every I/O watch, as a
 *   backend that cannot watch a descriptor would: the only way to reach
 *   the "watch failed" paths for an open descriptor. Header-only (static
 *   functions) because each test is its own program.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>

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

static void
io_test_add (const gchar *prefix, const gchar *name, GTestDataFunc func)
{
  for (gsize i = 0; i < G_N_ELEMENTS (io_test_backends); i++) {
    g_autofree gchar *path = g_strdup_printf ("%s/%s/%s", prefix,
                                              io_test_backends[i], name);

    g_test_add_data_func (path, io_test_backends[i], func);
  }
}

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

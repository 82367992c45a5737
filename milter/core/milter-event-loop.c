/*
 * milter-event-loop - the event loop abstraction used by all I/O objects
 *
 * DESCRIPTION
 *   The public functions check their arguments and dispatch to the
 *   backend's virtual functions; milter_event_loop_new_by_name() maps a
 *   configured backend name to a class. See milter-event-loop.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>

#include <glib.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-glib-event-loop.h>
#include <milter/core/milter-libev-event-loop.h>

G_DEFINE_QUARK (milter-event-loop-error-quark, milter_event_loop_error)

G_DEFINE_ABSTRACT_TYPE (MilterEventLoop, milter_event_loop, G_TYPE_OBJECT)

static void
milter_event_loop_class_init (MilterEventLoopClass *klass)
{
}

static void
milter_event_loop_init (MilterEventLoop *loop)
{
}

MilterEventLoop *
milter_event_loop_new_by_name (const gchar *backend, GError **error)
{
  if (!backend || g_str_equal (backend, "glib"))
    return MILTER_EVENT_LOOP (milter_glib_event_loop_new (NULL));
  if (g_str_equal (backend, "libev"))
    return MILTER_EVENT_LOOP (milter_libev_event_loop_new (FALSE, error));
  g_set_error (error, MILTER_EVENT_LOOP_ERROR,
               MILTER_EVENT_LOOP_ERROR_UNKNOWN_BACKEND,
               "unknown event loop backend \"%s\": expected \"glib\" or \"libev\"",
               backend);
  return NULL;
}

/* A closed descriptor would make libev abort and GLib poll a stale
 * number, so it is refused up front on both backends. */
static gboolean
fd_is_open (gint fd)
{
  return fd >= 0 && (fcntl (fd, F_GETFD) != -1 || errno != EBADF);
}

guint
milter_event_loop_watch_io (MilterEventLoop *loop,
                            gint fd,
                            GIOCondition condition,
                            MilterEventLoopIOFunc func,
                            gpointer user_data,
                            GDestroyNotify notify)
{
  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), 0);
  g_return_val_if_fail (func != NULL, 0);
  g_return_val_if_fail (condition != 0, 0);

  if (!fd_is_open (fd))
    return 0;
  return MILTER_EVENT_LOOP_GET_CLASS (loop)->watch_io (loop, fd, condition,
                                                       func, user_data,
                                                       notify);
}

guint
milter_event_loop_add_timeout (MilterEventLoop *loop,
                               gdouble interval_seconds,
                               MilterEventLoopFunc func,
                               gpointer user_data,
                               GDestroyNotify notify)
{
  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), 0);
  g_return_val_if_fail (func != NULL, 0);

  if (interval_seconds < 0.0)
    interval_seconds = 0.0;
  return MILTER_EVENT_LOOP_GET_CLASS (loop)->add_timeout (loop,
                                                          interval_seconds,
                                                          func, user_data,
                                                          notify);
}

guint
milter_event_loop_add_idle (MilterEventLoop *loop,
                            MilterEventLoopFunc func,
                            gpointer user_data,
                            GDestroyNotify notify)
{
  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), 0);
  g_return_val_if_fail (func != NULL, 0);

  return MILTER_EVENT_LOOP_GET_CLASS (loop)->add_idle (loop, func, user_data,
                                                       notify);
}

guint
milter_event_loop_watch_child (MilterEventLoop *loop,
                               GPid pid,
                               MilterEventLoopChildFunc func,
                               gpointer user_data,
                               GDestroyNotify notify)
{
  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), 0);
  g_return_val_if_fail (func != NULL, 0);

  if (pid <= 0)
    return 0;
  return MILTER_EVENT_LOOP_GET_CLASS (loop)->watch_child (loop, pid, func,
                                                          user_data, notify);
}

gboolean
milter_event_loop_remove (MilterEventLoop *loop, guint id)
{
  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), FALSE);

  if (id == 0)
    return FALSE;
  return MILTER_EVENT_LOOP_GET_CLASS (loop)->remove (loop, id);
}

void
milter_event_loop_run (MilterEventLoop *loop)
{
  g_return_if_fail (MILTER_IS_EVENT_LOOP (loop));

  /* A callback may drop the last outside reference while we run. */
  g_object_ref (loop);
  MILTER_EVENT_LOOP_GET_CLASS (loop)->run (loop);
  g_object_unref (loop);
}

gboolean
milter_event_loop_iterate (MilterEventLoop *loop, gboolean may_block)
{
  gboolean dispatched;

  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), FALSE);

  g_object_ref (loop);
  dispatched = MILTER_EVENT_LOOP_GET_CLASS (loop)->iterate (loop, may_block);
  g_object_unref (loop);
  return dispatched;
}

void
milter_event_loop_set_lock (MilterEventLoop *loop,
                            MilterEventLoopCallWrapper unlocked,
                            MilterEventLoopCallWrapper locked,
                            gpointer user_data)
{
  g_return_if_fail (MILTER_IS_EVENT_LOOP (loop));
  g_return_if_fail ((unlocked == NULL) == (locked == NULL));

  MILTER_EVENT_LOOP_GET_CLASS (loop)->set_lock (loop, unlocked, locked,
                                                user_data);
}

void
milter_event_loop_quit (MilterEventLoop *loop)
{
  g_return_if_fail (MILTER_IS_EVENT_LOOP (loop));

  MILTER_EVENT_LOOP_GET_CLASS (loop)->quit (loop);
}

/*
 * milter-event-loop - the event loop abstraction used by all I/O objects
 *
 * SYNOPSIS
 *   MilterEventLoop *milter_event_loop_new_by_name (const gchar *backend,
 *                                                   GError **error);
 *   guint milter_event_loop_watch_io (loop, fd, condition, func, data, notify);
 *   guint milter_event_loop_add_timeout (loop, interval_seconds, func, data,
 *                                        notify);
 *   guint milter_event_loop_add_idle (loop, func, data, notify);
 *   guint milter_event_loop_watch_child (loop, pid, func, data, notify);
 *   gboolean milter_event_loop_remove (loop, id);
 *   void milter_event_loop_run (loop);
 *   gboolean milter_event_loop_iterate (loop, may_block);
 *   void milter_event_loop_quit (loop);
 *
 * DESCRIPTION
 *   MilterEventLoop is an abstract GObject; MilterGLibEventLoop (a
 *   GMainContext, the default) and MilterLibevEventLoop (libev) implement
 *   it. Every watch gets an id > 0 that milter_event_loop_remove() takes;
 *   a watch also ends when its callback returns FALSE (G_SOURCE_REMOVE).
 *   notify is called with user_data when a watch ends, never from inside
 *   the watch's own callback.
 *
 *   Removing any watch (the running one included) and quitting from inside
 *   a callback are safe on both backends. run() returns only after quit(),
 *   even when no watch is left (as GMainLoop does); quit() before run()
 *   has no effect. A loop object is used from one thread at a time.
 *
 *   I/O conditions: G_IO_IN/G_IO_PRI and G_IO_OUT are watched by every
 *   backend. The GLib backend also reports G_IO_HUP, G_IO_ERR and
 *   G_IO_NVAL (closed descriptor) as poll(2) does; libev cannot tell them
 *   apart from readability/writability (a hang-up is reported as G_IO_IN
 *   and/or G_IO_OUT, so read(2)/write(2) reveal it) and reports
 *   G_IO_ERR|G_IO_NVAL only when it finds the descriptor invalid itself.
 *
 *   The child watch gets the raw wait status (use WIFEXITED() etc. or
 *   g_spawn_check_wait_status()).
 *
 * DIAGNOSTICS
 *   The watch functions return 0 when the watch cannot be registered: a
 *   negative or closed descriptor, a pid <= 0, or a backend failure.
 *   milter_event_loop_new_by_name() fails with MILTER_EVENT_LOOP_ERROR:
 *   UNKNOWN_BACKEND for a name other than "glib" or "libev", BACKEND for
 *   a backend that cannot be set up.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MILTER_EVENT_LOOP_ERROR (milter_event_loop_error_quark ())
GQuark milter_event_loop_error_quark (void);

typedef enum {
  MILTER_EVENT_LOOP_ERROR_UNKNOWN_BACKEND,
  MILTER_EVENT_LOOP_ERROR_BACKEND
} MilterEventLoopError;

/* Returns TRUE to keep watching. condition is what fired. */
typedef gboolean (*MilterEventLoopIOFunc) (gint fd,
                                           GIOCondition condition,
                                           gpointer user_data);
/* Same signature as GSourceFunc: returns TRUE to keep the watch. */
typedef gboolean (*MilterEventLoopFunc) (gpointer user_data);
/* Same signature as GChildWatchFunc; status is the raw wait status. */
typedef void (*MilterEventLoopChildFunc) (GPid pid,
                                          gint status,
                                          gpointer user_data);
/* See milter_event_loop_set_lock(). */
typedef void (*MilterEventLoopCall) (gpointer data);
typedef void (*MilterEventLoopCallWrapper) (MilterEventLoopCall call,
                                            gpointer call_data,
                                            gpointer user_data);

#define MILTER_TYPE_EVENT_LOOP (milter_event_loop_get_type ())
G_DECLARE_DERIVABLE_TYPE (MilterEventLoop, milter_event_loop,
                          MILTER, EVENT_LOOP, GObject)

struct _MilterEventLoopClass {
  GObjectClass parent_class;

  /* The public wrappers check the arguments before calling these. */
  guint (*watch_io) (MilterEventLoop *loop,
                     gint fd,
                     GIOCondition condition,
                     MilterEventLoopIOFunc func,
                     gpointer user_data,
                     GDestroyNotify notify);
  guint (*add_timeout) (MilterEventLoop *loop,
                        gdouble interval_seconds,
                        MilterEventLoopFunc func,
                        gpointer user_data,
                        GDestroyNotify notify);
  guint (*add_idle) (MilterEventLoop *loop,
                     MilterEventLoopFunc func,
                     gpointer user_data,
                     GDestroyNotify notify);
  guint (*watch_child) (MilterEventLoop *loop,
                        GPid pid,
                        MilterEventLoopChildFunc func,
                        gpointer user_data,
                        GDestroyNotify notify);
  gboolean (*remove) (MilterEventLoop *loop, guint id);
  void (*run) (MilterEventLoop *loop);
  gboolean (*iterate) (MilterEventLoop *loop, gboolean may_block);
  void (*quit) (MilterEventLoop *loop);
  void (*set_lock) (MilterEventLoop *loop,
                    MilterEventLoopCallWrapper unlocked,
                    MilterEventLoopCallWrapper locked,
                    gpointer user_data);

  gpointer padding[7];
};

/* backend: "glib" (also for NULL) or "libev". The libev loop is a
 * private loop (ev_loop_new). */
MilterEventLoop *milter_event_loop_new_by_name (const gchar *backend,
                                                GError **error);

guint milter_event_loop_watch_io (MilterEventLoop *loop,
                                  gint fd,
                                  GIOCondition condition,
                                  MilterEventLoopIOFunc func,
                                  gpointer user_data,
                                  GDestroyNotify notify);
guint milter_event_loop_add_timeout (MilterEventLoop *loop,
                                     gdouble interval_seconds,
                                     MilterEventLoopFunc func,
                                     gpointer user_data,
                                     GDestroyNotify notify);
guint milter_event_loop_add_idle (MilterEventLoop *loop,
                                  MilterEventLoopFunc func,
                                  gpointer user_data,
                                  GDestroyNotify notify);
guint milter_event_loop_watch_child (MilterEventLoop *loop,
                                     GPid pid,
                                     MilterEventLoopChildFunc func,
                                     gpointer user_data,
                                     GDestroyNotify notify);
/* FALSE when id is 0 or names no live watch. */
gboolean milter_event_loop_remove (MilterEventLoop *loop, guint id);
void milter_event_loop_run (MilterEventLoop *loop);
/* Runs one iteration; TRUE if a callback was dispatched. */
gboolean milter_event_loop_iterate (MilterEventLoop *loop,
                                    gboolean may_block);
void milter_event_loop_quit (MilterEventLoop *loop);
/* For a loop run by a thread that holds a lock which other threads need
 * while the loop waits (an embedded interpreter's global lock): the
 * loop's blocking wait runs through unlocked, which must call
 * call (call_data) with the lock released; the callbacks of an
 * iteration run through locked, which must call it with the lock taken
 * back, where the backend cannot otherwise keep them inside (libev).
 * Set before the loop runs; NULL, NULL: none. */
void milter_event_loop_set_lock (MilterEventLoop *loop,
                                 MilterEventLoopCallWrapper unlocked,
                                 MilterEventLoopCallWrapper locked,
                                 gpointer user_data);

G_END_DECLS

/*
 * milter-libev-event-loop - MilterEventLoop on libev
 *
 * DESCRIPTION
 *   Every watch is a heap record holding the libev watcher, the callback
 *   and its data, kept in a table by id. A record that is removed while
 *   its callback runs is only marked; it is freed (and its notify called)
 *   when the callback returns, so removing the running watch, or any
 *   other, from a callback is safe. An ev_async watcher that never fires
 *   keeps ev_run() from returning when no watch is left, so run() returns
 *   only after quit(), as GMainLoop does.
 */
#include "config.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include <glib.h>
#include <gio/gio.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-libev-event-loop.h>

/* How often a child is polled when pidfd_open(2) is unavailable. */
#define CHILD_POLL_INTERVAL 0.05

typedef enum {
  WATCH_IO,
  WATCH_TIMER,
  WATCH_IDLE,
  WATCH_CHILD,        /* ev_child, default loop only */
  WATCH_CHILD_PIDFD,  /* ev_io on a pidfd */
  WATCH_CHILD_POLL    /* ev_timer polling waitpid() */
} WatchKind;

typedef struct {
  MilterLibevEventLoop *loop;
  guint id;
  WatchKind kind;
  union {
    ev_io io;
    ev_timer timer;
    ev_idle idle;
    ev_child child;
  } w;
  union {
    MilterEventLoopIOFunc io;
    MilterEventLoopFunc func;
    MilterEventLoopChildFunc child;
  } callback;
  gpointer user_data;
  GDestroyNotify notify;
  GPid pid;
  gint pidfd;
  guint dispatching;
  gboolean removed;
} Watch;

struct _MilterLibevEventLoop {
  MilterEventLoop parent_instance;
  gboolean default_loop;
  struct ev_loop *ev_loop;
  ev_async keep_alive;
  GHashTable *watches;    /* id -> Watch */
  guint last_id;
  guint64 dispatch_count; /* lets iterate() tell whether it dispatched */
  /* set_lock(): ev_run() goes through unlocked, its callbacks
   * (ev_invoke_pending) through locked. */
  MilterEventLoopCallWrapper unlocked;
  MilterEventLoopCallWrapper locked;
  gpointer lock_data;
};

enum {
  PROP_0,
  PROP_DEFAULT_LOOP,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

static void milter_libev_event_loop_initable_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MilterLibevEventLoop, milter_libev_event_loop,
                               MILTER_TYPE_EVENT_LOOP,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      milter_libev_event_loop_initable_init))

static Watch *
watch_new (MilterLibevEventLoop *self,
           WatchKind kind,
           gpointer user_data,
           GDestroyNotify notify)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->loop = self;
  watch->kind = kind;
  watch->user_data = user_data;
  watch->notify = notify;
  watch->pidfd = -1;
  do {
    watch->id = ++self->last_id;
  } while (watch->id == 0 ||
           g_hash_table_contains (self->watches, GUINT_TO_POINTER (watch->id)));
  g_hash_table_insert (self->watches, GUINT_TO_POINTER (watch->id), watch);
  return watch;
}

static void
watch_stop (Watch *watch)
{
  struct ev_loop *ev_loop = watch->loop->ev_loop;

  switch (watch->kind) {
  case WATCH_IO:
  case WATCH_CHILD_PIDFD:
    ev_io_stop (ev_loop, &watch->w.io);
    break;
  case WATCH_TIMER:
  case WATCH_CHILD_POLL:
    ev_timer_stop (ev_loop, &watch->w.timer);
    break;
  case WATCH_IDLE:
    ev_idle_stop (ev_loop, &watch->w.idle);
    break;
  case WATCH_CHILD:
    ev_child_stop (ev_loop, &watch->w.child);
    break;
  }
  if (watch->pidfd >= 0) {
    close (watch->pidfd);
    watch->pidfd = -1;
  }
}

static void
watch_free (Watch *watch)
{
  if (watch->notify)
    watch->notify (watch->user_data);
  g_free (watch);
}

static void
watch_remove (Watch *watch)
{
  watch_stop (watch);
  g_hash_table_remove (watch->loop->watches, GUINT_TO_POINTER (watch->id));
  watch->removed = TRUE;
  if (watch->dispatching == 0)
    watch_free (watch);
}

static void
dispatch_begin (Watch *watch)
{
  watch->dispatching++;
  watch->loop->dispatch_count++;
}

static void
dispatch_end (Watch *watch, gboolean keep)
{
  watch->dispatching--;
  if (!watch->removed) {
    if (!keep)
      watch_remove (watch);
  } else if (watch->dispatching == 0) {
    watch_free (watch);
  }
}

static void
io_cb (struct ev_loop *ev_loop, ev_io *w, int revents)
{
  Watch *watch = w->data;
  GIOCondition condition = 0;
  gboolean keep;

  if (revents & EV_READ)
    condition |= G_IO_IN;
  if (revents & EV_WRITE)
    condition |= G_IO_OUT;
  if (revents & EV_ERROR)
    condition |= G_IO_ERR | G_IO_NVAL;
  dispatch_begin (watch);
  keep = watch->callback.io (w->fd, condition, watch->user_data);
  dispatch_end (watch, keep);
}

static void
timer_cb (struct ev_loop *ev_loop, ev_timer *w, int revents)
{
  Watch *watch = w->data;
  gboolean keep;

  dispatch_begin (watch);
  keep = watch->callback.func (watch->user_data);
  /* A zero interval is a one-shot timer for libev; re-arm it. */
  if (keep && !watch->removed && !ev_is_active (w)) {
    ev_timer_set (w, w->repeat, w->repeat);
    ev_timer_start (ev_loop, w);
  }
  dispatch_end (watch, keep);
}

static void
idle_cb (struct ev_loop *ev_loop, ev_idle *w, int revents)
{
  Watch *watch = w->data;
  gboolean keep;

  dispatch_begin (watch);
  keep = watch->callback.func (watch->user_data);
  dispatch_end (watch, keep);
}

static void
child_exited (Watch *watch, gint status)
{
  dispatch_begin (watch);
  watch->callback.child (watch->pid, status, watch->user_data);
  dispatch_end (watch, FALSE);
}

static void
child_cb (struct ev_loop *ev_loop, ev_child *w, int revents)
{
  child_exited (w->data, w->rstatus);
}

/* Reaps the child if it has exited; FALSE while it still runs. */
static gboolean
child_try_reap (Watch *watch)
{
  gint status = 0;
  pid_t pid;

  do {
    pid = waitpid (watch->pid, &status, WNOHANG);
  } while (pid == -1 && errno == EINTR);
  if (pid == 0)
    return FALSE;
  child_exited (watch, pid == watch->pid ? status : -1);
  return TRUE;
}

static void
child_pidfd_cb (struct ev_loop *ev_loop, ev_io *w, int revents)
{
  child_try_reap (w->data);
}

static void
child_poll_cb (struct ev_loop *ev_loop, ev_timer *w, int revents)
{
  child_try_reap (w->data);
}

static guint
libev_watch_io (MilterEventLoop *loop,
                gint fd,
                GIOCondition condition,
                MilterEventLoopIOFunc func,
                gpointer user_data,
                GDestroyNotify notify)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (loop);
  Watch *watch = watch_new (self, WATCH_IO, user_data, notify);
  int events = 0;

  if (condition & (G_IO_IN | G_IO_PRI))
    events |= EV_READ;
  if (condition & G_IO_OUT)
    events |= EV_WRITE;
  watch->callback.io = func;
  ev_io_init (&watch->w.io, io_cb, fd, events);
  watch->w.io.data = watch;
  ev_io_start (self->ev_loop, &watch->w.io);
  return watch->id;
}

static guint
libev_add_timeout (MilterEventLoop *loop,
                   gdouble interval_seconds,
                   MilterEventLoopFunc func,
                   gpointer user_data,
                   GDestroyNotify notify)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (loop);
  Watch *watch = watch_new (self, WATCH_TIMER, user_data, notify);

  watch->callback.func = func;
  ev_timer_init (&watch->w.timer, timer_cb, interval_seconds, interval_seconds);
  watch->w.timer.data = watch;
  /* libev measures from its cached time, stale after an idle period. */
  ev_now_update (self->ev_loop);
  ev_timer_start (self->ev_loop, &watch->w.timer);
  return watch->id;
}

static guint
libev_add_idle (MilterEventLoop *loop,
                MilterEventLoopFunc func,
                gpointer user_data,
                GDestroyNotify notify)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (loop);
  Watch *watch = watch_new (self, WATCH_IDLE, user_data, notify);

  watch->callback.func = func;
  ev_idle_init (&watch->w.idle, idle_cb);
  watch->w.idle.data = watch;
  ev_idle_start (self->ev_loop, &watch->w.idle);
  return watch->id;
}

static guint
libev_watch_child (MilterEventLoop *loop,
                   GPid pid,
                   MilterEventLoopChildFunc func,
                   gpointer user_data,
                   GDestroyNotify notify)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (loop);
  Watch *watch;
  gint pidfd = -1;

  if (self->default_loop) {
    watch = watch_new (self, WATCH_CHILD, user_data, notify);
    ev_child_init (&watch->w.child, child_cb, pid, 0);
    ev_child_start (self->ev_loop, &watch->w.child);
  } else {
#ifdef SYS_pidfd_open
    pidfd = (gint) syscall (SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
#endif
    if (pidfd >= 0) {
      watch = watch_new (self, WATCH_CHILD_PIDFD, user_data, notify);
      watch->pidfd = pidfd;
      ev_io_init (&watch->w.io, child_pidfd_cb, pidfd, EV_READ);
      ev_io_start (self->ev_loop, &watch->w.io);
    } else if (errno == ESRCH) {
      /* No such process (already reaped, or not ours). */
      return 0;
    } else {
      watch = watch_new (self, WATCH_CHILD_POLL, user_data, notify);
      ev_timer_init (&watch->w.timer, child_poll_cb,
                     CHILD_POLL_INTERVAL, CHILD_POLL_INTERVAL);
      ev_timer_start (self->ev_loop, &watch->w.timer);
    }
  }
  watch->w.io.data = watch;  /* data sits at the same place in every type */
  watch->w.child.data = watch;
  watch->w.timer.data = watch;
  watch->pid = pid;
  watch->callback.child = func;
  return watch->id;
}

static gboolean
libev_remove (MilterEventLoop *loop, guint id)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (loop);
  Watch *watch = g_hash_table_lookup (self->watches, GUINT_TO_POINTER (id));

  if (!watch)
    return FALSE;
  watch_remove (watch);
  return TRUE;
}

typedef struct {
  struct ev_loop *ev_loop;
  int flags;
} Run;

static void
run_call (gpointer data)
{
  Run *run = data;

  ev_run (run->ev_loop, run->flags);
}

static void
run_unlocked (MilterLibevEventLoop *self, int flags)
{
  Run run = { self->ev_loop, flags };

  if (self->unlocked)
    self->unlocked (run_call, &run, self->lock_data);
  else
    run_call (&run);
}

static void
invoke_call (gpointer data)
{
  ev_invoke_pending (data);
}

static void
invoke_locked (struct ev_loop *ev_loop)
{
  MilterLibevEventLoop *self = ev_userdata (ev_loop);

  self->locked (invoke_call, ev_loop, self->lock_data);
}

static void
libev_set_lock (MilterEventLoop *loop,
                MilterEventLoopCallWrapper unlocked,
                MilterEventLoopCallWrapper locked,
                gpointer user_data)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (loop);

  self->unlocked = unlocked;
  self->locked = locked;
  self->lock_data = user_data;
  ev_set_userdata (self->ev_loop, self);
  ev_set_invoke_pending_cb (self->ev_loop,
                            locked ? invoke_locked : ev_invoke_pending);
}

static void
libev_run (MilterEventLoop *loop)
{
  run_unlocked (MILTER_LIBEV_EVENT_LOOP (loop), 0);
}

static gboolean
libev_iterate (MilterEventLoop *loop, gboolean may_block)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (loop);
  guint64 before = self->dispatch_count;

  run_unlocked (self, may_block ? EVRUN_ONCE : EVRUN_NOWAIT);
  return self->dispatch_count != before;
}

static void
libev_quit (MilterEventLoop *loop)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (loop);

  ev_break (self->ev_loop, EVBREAK_ONE);
}

static void
keep_alive_cb (struct ev_loop *ev_loop, ev_async *w, int revents)
{
}

static gboolean
milter_libev_event_loop_initable_init_impl (GInitable *initable,
                                            GCancellable *cancellable,
                                            GError **error)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (initable);

  if (self->ev_loop)
    return TRUE;
  if (self->default_loop)
    self->ev_loop = ev_default_loop (EVFLAG_AUTO);
  else
    self->ev_loop = ev_loop_new (EVFLAG_AUTO);
  if (!self->ev_loop) {
    g_set_error (error, MILTER_EVENT_LOOP_ERROR,
                 MILTER_EVENT_LOOP_ERROR_BACKEND,
                 "libev could not create %s loop: %s",
                 self->default_loop ? "the default" : "a",
                 g_strerror (errno));
    return FALSE;
  }
  ev_async_init (&self->keep_alive, keep_alive_cb);
  ev_async_start (self->ev_loop, &self->keep_alive);
  return TRUE;
}

static void
milter_libev_event_loop_initable_init (GInitableIface *iface)
{
  iface->init = milter_libev_event_loop_initable_init_impl;
}

static void
milter_libev_event_loop_set_property (GObject *object,
                                      guint prop_id,
                                      const GValue *value,
                                      GParamSpec *pspec)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (object);

  switch (prop_id) {
  case PROP_DEFAULT_LOOP:
    self->default_loop = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_libev_event_loop_get_property (GObject *object,
                                      guint prop_id,
                                      GValue *value,
                                      GParamSpec *pspec)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (object);

  switch (prop_id) {
  case PROP_DEFAULT_LOOP:
    g_value_set_boolean (value, self->default_loop);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_libev_event_loop_finalize (GObject *object)
{
  MilterLibevEventLoop *self = MILTER_LIBEV_EVENT_LOOP (object);
  GList *watches = g_hash_table_get_values (self->watches);

  /* Notifies may run arbitrary code: detach everything first. */
  g_hash_table_steal_all (self->watches);
  for (GList *node = watches; node; node = node->next) {
    Watch *watch = node->data;

    watch_stop (watch);
    watch_free (watch);
  }
  g_list_free (watches);
  g_hash_table_unref (self->watches);
  if (self->ev_loop) {
    ev_async_stop (self->ev_loop, &self->keep_alive);
    if (!self->default_loop)
      ev_loop_destroy (self->ev_loop);
  }
  G_OBJECT_CLASS (milter_libev_event_loop_parent_class)->finalize (object);
}

static void
milter_libev_event_loop_class_init (MilterLibevEventLoopClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MilterEventLoopClass *loop_class = MILTER_EVENT_LOOP_CLASS (klass);

  object_class->set_property = milter_libev_event_loop_set_property;
  object_class->get_property = milter_libev_event_loop_get_property;
  object_class->finalize = milter_libev_event_loop_finalize;

  loop_class->watch_io = libev_watch_io;
  loop_class->add_timeout = libev_add_timeout;
  loop_class->add_idle = libev_add_idle;
  loop_class->watch_child = libev_watch_child;
  loop_class->remove = libev_remove;
  loop_class->run = libev_run;
  loop_class->iterate = libev_iterate;
  loop_class->quit = libev_quit;
  loop_class->set_lock = libev_set_lock;

  /**
   * MilterLibevEventLoop:default-loop:
   *
   * Use libev's process-wide default loop instead of a private one.
   */
  properties[PROP_DEFAULT_LOOP] =
    g_param_spec_boolean ("default-loop", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPERTIES, properties);
}

static void
milter_libev_event_loop_init (MilterLibevEventLoop *self)
{
  self->watches = g_hash_table_new (g_direct_hash, g_direct_equal);
}

MilterLibevEventLoop *
milter_libev_event_loop_new (gboolean default_loop, GError **error)
{
  return g_initable_new (MILTER_TYPE_LIBEV_EVENT_LOOP, NULL, error,
                         "default-loop", default_loop, NULL);
}

/*
 * milter-client-pool - a few threads serving the event loops of many sessions
 *
 * DESCRIPTION
 *   See milter-client-pool.h. One mutex guards the whole pool (the
 *   loops' watch lists, the ready queue, the timers); callbacks and
 *   notify functions run without it. Loops are GObjects: references are
 *   taken under the lock but only ever dropped outside it, since the last
 *   one disposes the loop, which takes the lock.
 *
 *   A loop is "busy" while a thread dispatches it; an event for a busy
 *   loop only marks the watch ready, and the dispatching thread runs it
 *   before it lets go. A loop with ready watches and no thread is in the
 *   ready queue (holding a reference); a thread takes loops from there
 *   before it waits in epoll_wait, and the wake-up eventfd gets another
 *   thread out of epoll_wait when more is queued than the current thread
 *   takes.
 *
 *   A thread is started when every thread is dispatching (a thread that
 *   has just dispatched is on its way back to epoll_wait): counting the
 *   threads in epoll_wait instead would start one whenever an event beats
 *   the previous thread back there, which on a busy machine is often.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-pool.h>

/* A thread waits this long for an event before it ends (if another
 * thread still waits). */
#define IDLE_THREAD_MS 10000
/* epoll tokens of the pool's own descriptors; registrations count from
 * FIRST_TOKEN. */
#define WAKE_TOKEN 0
#define TIMER_TOKEN 1
#define FIRST_TOKEN 2

typedef enum {
  WATCH_IO,
  WATCH_TIMEOUT,
  WATCH_IDLE
} WatchKind;

typedef struct _MilterClientPoolLoop MilterClientPoolLoop;

/* One descriptor of a loop in the epoll set: the union of its I/O
 * watches' conditions, armed one-shot. */
typedef struct {
  gint fd;
  guint64 token;
  guint32 armed;     /* epoll events armed; 0 after an event until re-armed */
  guint n_watches;
  MilterClientPoolLoop *loop;
} Registration;

typedef struct {
  guint id;
  WatchKind kind;
  MilterClientPoolLoop *loop;
  gpointer func;
  gpointer user_data;
  GDestroyNotify notify;
  Registration *registration;  /* I/O */
  GIOCondition condition;      /* I/O: watched */
  GIOCondition revents;        /* I/O: fired, not yet dispatched */
  gint64 interval;             /* timeout, microseconds */
  gint64 deadline;             /* timeout, monotonic microseconds */
  GList *timer_link;           /* in pool->timers while scheduled */
  gboolean ready;
  gboolean removed;
  gboolean running;            /* its callback is on a stack */
} Watch;

struct _MilterClientPool {
  GMutex lock;
  GCond cond;          /* threads or loops gone, for free() */
  gint epoll_fd;
  gint wake_fd;
  gint timer_fd;
  gboolean wake_pending;
  /* Loops with ready watches and no thread, each with a reference;
   * linked through the loops (no allocation per event). */
  MilterClientPoolLoop *ready_head;
  MilterClientPoolLoop *ready_tail;
  GQueue timers;       /* Watch*, by deadline */
  gint64 timer_armed;  /* the timerfd's deadline; G_MAXINT64: none */
  GHashTable *registrations;  /* token -> Registration* */
  guint64 next_token;
  guint next_id;
  guint n_threads;
  guint n_idle;        /* in epoll_wait */
  guint n_busy;        /* dispatching a loop */
  guint n_loops;
  gboolean quitting;
};

struct _MilterClientPoolLoop {
  MilterEventLoop parent_instance;
  MilterClientPool *pool;
  GList *watches;           /* Watch* */
  GSList *registrations;    /* Registration* */
  guint n_ready;
  gboolean busy;
  gboolean queued;          /* in the pool's ready list */
  MilterClientPoolLoop *ready_prev;
  MilterClientPoolLoop *ready_next;
  gboolean disposed;
  guint n_running;          /* threads in run() */
  gboolean quit_requested;
};

#define MILTER_TYPE_CLIENT_POOL_LOOP (_milter_client_pool_loop_get_type ())
G_DECLARE_FINAL_TYPE (MilterClientPoolLoop, _milter_client_pool_loop,
                      MILTER, CLIENT_POOL_LOOP, MilterEventLoop)
G_DEFINE_FINAL_TYPE (MilterClientPoolLoop, _milter_client_pool_loop,
                     MILTER_TYPE_EVENT_LOOP)

/* Notify functions to call once the lock is released. */
typedef struct {
  GDestroyNotify notify;
  gpointer data;
} Notification;

static gpointer pool_thread (gpointer data);

/* ---- under the lock ---- */

static gboolean
epoll_set (MilterClientPool *pool, gint op, gint fd, guint32 events,
           guint64 token)
{
  struct epoll_event event = { .events = events, .data.u64 = token };

  return epoll_ctl (pool->epoll_fd, op, fd, &event) == 0;
}

static void
wake_one (MilterClientPool *pool)
{
  const guint64 one = 1;

  if (pool->wake_pending || pool->n_idle == 0 || !pool->ready_head)
    return;
  pool->wake_pending = TRUE;
  if (write (pool->wake_fd, &one, sizeof (one)) == -1) {
    /* The counter cannot overflow with one write pending. */
  }
}

static void
queue_loop (MilterClientPoolLoop *loop)
{
  MilterClientPool *pool = loop->pool;

  if (loop->busy || loop->queued || loop->disposed || loop->n_ready == 0)
    return;
  loop->queued = TRUE;
  g_object_ref (loop);
  loop->ready_next = NULL;
  loop->ready_prev = pool->ready_tail;
  if (pool->ready_tail)
    pool->ready_tail->ready_next = loop;
  else
    pool->ready_head = loop;
  pool->ready_tail = loop;
}

/* Takes the loop out of the ready list; its reference is the caller's. */
static void
unqueue_loop (MilterClientPoolLoop *loop)
{
  MilterClientPool *pool = loop->pool;

  if (loop->ready_prev)
    loop->ready_prev->ready_next = loop->ready_next;
  else
    pool->ready_head = loop->ready_next;
  if (loop->ready_next)
    loop->ready_next->ready_prev = loop->ready_prev;
  else
    pool->ready_tail = loop->ready_prev;
  loop->ready_prev = loop->ready_next = NULL;
  loop->queued = FALSE;
}

static void
mark_ready (Watch *watch)
{
  if (watch->ready || watch->removed)
    return;
  watch->ready = TRUE;
  watch->loop->n_ready++;
  queue_loop (watch->loop);
}

static GIOCondition
condition_from_epoll (guint32 events)
{
  GIOCondition condition = 0;

  if (events & EPOLLIN)
    condition |= G_IO_IN;
  if (events & EPOLLPRI)
    condition |= G_IO_PRI;
  if (events & EPOLLOUT)
    condition |= G_IO_OUT;
  if (events & EPOLLERR)
    condition |= G_IO_ERR;
  if (events & EPOLLHUP)
    condition |= G_IO_HUP;
  return condition;
}

static guint32
epoll_from_condition (GIOCondition condition)
{
  guint32 events = 0;

  if (condition & G_IO_IN)
    events |= EPOLLIN;
  if (condition & G_IO_PRI)
    events |= EPOLLPRI;
  if (condition & G_IO_OUT)
    events |= EPOLLOUT;
  return events;
}

static guint32
wanted_events (Registration *registration)
{
  guint32 events = 0;

  for (GList *node = registration->loop->watches; node; node = node->next) {
    Watch *watch = node->data;

    if (watch->registration == registration)
      events |= epoll_from_condition (watch->condition);
  }
  return events;
}

/* Arms the descriptor for what its watches want, unless it already is. */
static void
sync_registration (Registration *registration)
{
  guint32 wanted = wanted_events (registration);

  if (wanted == registration->armed)
    return;
  /* Even with no wanted event epoll reports errors and hang-ups; one-shot
   * then stays disarmed after the first. */
  if (epoll_set (registration->loop->pool, EPOLL_CTL_MOD, registration->fd,
                 wanted | EPOLLONESHOT, registration->token))
    registration->armed = wanted;
}

/* The pool's timerfd fires at the first deadline; a removed first timer
 * leaves it early, which only costs a look at the list. */
static void
arm_timer (MilterClientPool *pool, gint64 deadline)
{
  struct itimerspec spec = { { 0, 0 }, { 0, 0 } };

  /* 0 would disarm the timer. */
  deadline = MAX (deadline, 1);
  spec.it_value.tv_sec = deadline / G_USEC_PER_SEC;
  spec.it_value.tv_nsec = (deadline % G_USEC_PER_SEC) * 1000;
  if (timerfd_settime (pool->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL) == 0)
    pool->timer_armed = deadline;
}

static void
schedule (Watch *watch, gint64 deadline)
{
  MilterClientPool *pool = watch->loop->pool;
  GList *node;

  watch->deadline = deadline;
  /* Sessions add their timers in order: the place is near the tail. */
  for (node = pool->timers.tail; node; node = node->prev) {
    if (((Watch *) node->data)->deadline <= deadline)
      break;
  }
  if (node) {
    g_queue_insert_after (&pool->timers, node, watch);
    watch->timer_link = node->next;
  } else {
    g_queue_push_head (&pool->timers, watch);
    watch->timer_link = pool->timers.head;
  }
  if (deadline < pool->timer_armed)
    arm_timer (pool, deadline);
}

static void
fire_timers (MilterClientPool *pool)
{
  guint64 expirations;
  gint64 now = g_get_monotonic_time ();

  if (read (pool->timer_fd, &expirations, sizeof (expirations)) == -1) {
    /* Early (a removed first timer) or already read: nothing to do. */
  }
  pool->timer_armed = G_MAXINT64;
  while (pool->timers.head &&
         ((Watch *) pool->timers.head->data)->deadline <= now) {
    Watch *watch = g_queue_pop_head (&pool->timers);

    watch->timer_link = NULL;
    mark_ready (watch);
  }
  if (pool->timers.head)
    arm_timer (pool, ((Watch *) pool->timers.head->data)->deadline);
  epoll_set (pool, EPOLL_CTL_MOD, pool->timer_fd, EPOLLIN | EPOLLONESHOT,
             TIMER_TOKEN);
}

static void
handle_event (MilterClientPool *pool, const struct epoll_event *event)
{
  /* struct epoll_event is packed: copy the token before taking its
   * address. */
  guint64 token = event->data.u64;
  Registration *registration;
  GIOCondition condition;

  if (token == WAKE_TOKEN) {
    guint64 count;

    if (read (pool->wake_fd, &count, sizeof (count)) == -1) {
      /* Nothing pending. */
    }
    pool->wake_pending = FALSE;
    epoll_set (pool, EPOLL_CTL_MOD, pool->wake_fd, EPOLLIN | EPOLLONESHOT,
               WAKE_TOKEN);
    return;
  }
  if (token == TIMER_TOKEN) {
    fire_timers (pool);
    return;
  }
  /* Gone since the kernel reported it: nothing to tell. */
  registration = g_hash_table_lookup (pool->registrations, &token);
  if (!registration)
    return;
  registration->armed = 0;
  condition = condition_from_epoll (event->events);
  for (GList *node = registration->loop->watches; node; node = node->next) {
    Watch *watch = node->data;
    GIOCondition fired;

    if (watch->registration != registration)
      continue;
    fired = condition & (watch->condition | G_IO_ERR | G_IO_HUP);
    if (fired) {
      watch->revents |= fired;
      mark_ready (watch);
    }
  }
}

static void
drop_registration (Registration *registration)
{
  MilterClientPoolLoop *loop = registration->loop;

  epoll_set (loop->pool, EPOLL_CTL_DEL, registration->fd, 0, 0);
  g_hash_table_remove (loop->pool->registrations, &registration->token);
  loop->registrations = g_slist_remove (loop->registrations, registration);
  g_free (registration);
}

/* Unlinks the watch. It is freed here and its notify, to be called
 * without the lock, put in *notification (TRUE), unless its callback is
 * running: the dispatcher does both once the callback has returned. */
static gboolean
unlink_watch (Watch *watch, Notification *notification)
{
  MilterClientPoolLoop *loop = watch->loop;
  gboolean notify = FALSE;

  watch->removed = TRUE;
  loop->watches = g_list_remove (loop->watches, watch);
  if (watch->ready) {
    watch->ready = FALSE;
    loop->n_ready--;
  }
  if (watch->timer_link) {
    g_queue_delete_link (&loop->pool->timers, watch->timer_link);
    watch->timer_link = NULL;
  }
  if (watch->registration) {
    Registration *registration = watch->registration;

    watch->registration = NULL;
    if (--registration->n_watches == 0)
      drop_registration (registration);
    else if (registration->armed || !loop->busy)
      sync_registration (registration);
  }
  if (watch->running)
    return FALSE;
  if (watch->notify) {
    notification->notify = watch->notify;
    notification->data = watch->user_data;
    notify = TRUE;
  }
  g_free (watch);
  return notify;
}

static void
unlink_watch_to (Watch *watch, GArray *notifications)
{
  Notification notification;

  if (unlink_watch (watch, &notification))
    g_array_append_val (notifications, notification);
}

static Watch *
find_watch (MilterClientPoolLoop *loop, guint id)
{
  for (GList *node = loop->watches; node; node = node->next) {
    if (((Watch *) node->data)->id == id)
      return node->data;
  }
  return NULL;
}

static Watch *
new_watch (MilterClientPoolLoop *loop, WatchKind kind, gpointer func,
           gpointer user_data, GDestroyNotify notify)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->kind = kind;
  watch->loop = loop;
  watch->func = func;
  watch->user_data = user_data;
  watch->notify = notify;
  if (++loop->pool->next_id == 0)
    loop->pool->next_id = 1;
  watch->id = loop->pool->next_id;
  loop->watches = g_list_prepend (loop->watches, watch);
  return watch;
}

/* Called and returns with the lock held; creates the thread without it
 * (counted in advance, so that no other thread starts one too). */
static void
spawn_thread (MilterClientPool *pool)
{
  g_autoptr (GError) error = NULL;
  GThread *thread;

  pool->n_threads++;
  g_mutex_unlock (&pool->lock);
  thread = g_thread_try_new ("milter-pool", pool_thread, pool, &error);
  g_mutex_lock (&pool->lock);
  if (!thread) {
    pool->n_threads--;
    milter_error (0, "[client][multi-thread][error] %s", error->message);
    return;
  }
  g_thread_unref (thread);
}

static void
call_notifications (GArray *notifications)
{
  for (guint i = 0; i < notifications->len; i++) {
    Notification *notification = &g_array_index (notifications, Notification, i);

    notification->notify (notification->data);
  }
  g_array_set_size (notifications, 0);
}

/* ---- dispatching ---- */

static gboolean
call_watch (Watch *watch, GIOCondition condition)
{
  switch (watch->kind) {
  case WATCH_IO:
    return ((MilterEventLoopIOFunc) watch->func) (watch->registration ?
                                                  watch->registration->fd : -1,
                                                  condition, watch->user_data);
  case WATCH_TIMEOUT:
  case WATCH_IDLE:
  default:
    return ((MilterEventLoopFunc) watch->func) (watch->user_data);
  }
}

static Watch *
first_ready (MilterClientPoolLoop *loop)
{
  for (GList *node = loop->watches; node; node = node->next) {
    if (((Watch *) node->data)->ready)
      return node->data;
  }
  return NULL;
}

/* Runs the ready watches of a busy loop; called and returns with the
 * lock held, releases it around each callback. */
static void
dispatch (MilterClientPoolLoop *loop, GArray *notifications)
{
  MilterClientPool *pool = loop->pool;
  Watch *watch;

  while (!loop->disposed && (watch = first_ready (loop))) {
    GIOCondition condition = watch->revents;
    gboolean keep;

    watch->ready = FALSE;
    watch->revents = 0;
    loop->n_ready--;
    watch->running = TRUE;
    g_mutex_unlock (&pool->lock);
    call_notifications (notifications);
    keep = call_watch (watch, condition);
    g_mutex_lock (&pool->lock);
    watch->running = FALSE;
    if (watch->removed) {
      /* Removed by its own callback (or from elsewhere meanwhile). */
      if (watch->notify) {
        Notification notification = { watch->notify, watch->user_data };

        g_array_append_val (notifications, notification);
      }
      g_free (watch);
    } else if (!keep) {
      unlink_watch_to (watch, notifications);
    } else if (watch->kind == WATCH_TIMEOUT) {
      schedule (watch, g_get_monotonic_time () + watch->interval);
    } else if (watch->kind == WATCH_IDLE) {
      mark_ready (watch);
    }
  }
  /* The descriptors that fired are watched again. */
  for (GSList *node = loop->registrations; node; node = node->next)
    sync_registration (node->data);
  loop->busy = FALSE;
  queue_loop (loop);
}

static gpointer
pool_thread (gpointer data)
{
  MilterClientPool *pool = data;
  g_autoptr (GArray) notifications = g_array_new (FALSE, FALSE,
                                                  sizeof (Notification));

  g_mutex_lock (&pool->lock);
  for (;;) {
    MilterClientPoolLoop *loop = pool->ready_head;
    struct epoll_event event;
    gint n;

    if (loop) {
      unqueue_loop (loop);
      loop->busy = TRUE;
      wake_one (pool);
      /* What this thread runs now may block: when every thread is in a
       * callback, one more waits for the other sessions. */
      if (++pool->n_busy == pool->n_threads && !pool->quitting)
        spawn_thread (pool);
      dispatch (loop, notifications);
      pool->n_busy--;
      g_mutex_unlock (&pool->lock);
      call_notifications (notifications);
      g_object_unref (loop);
      g_mutex_lock (&pool->lock);
      continue;
    }
    if (pool->quitting)
      break;
    pool->n_idle++;
    g_mutex_unlock (&pool->lock);
    n = epoll_wait (pool->epoll_fd, &event, 1, IDLE_THREAD_MS);
    g_mutex_lock (&pool->lock);
    pool->n_idle--;
    if (n == 0 && pool->n_idle > 0)
      break;
    if (n == 1)
      handle_event (pool, &event);
  }
  pool->n_threads--;
  /* The others in epoll_wait must see the end too. */
  if (pool->quitting && pool->n_idle > 0) {
    const guint64 one = 1;

    if (write (pool->wake_fd, &one, sizeof (one)) == -1) {
      /* A wake-up is pending already. */
    }
  }
  g_cond_broadcast (&pool->cond);
  g_mutex_unlock (&pool->lock);
  return NULL;
}

/* ---- the loop class ---- */

static guint
pool_watch_io (MilterEventLoop *event_loop, gint fd, GIOCondition condition,
               MilterEventLoopIOFunc func, gpointer user_data,
               GDestroyNotify notify)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (event_loop);
  MilterClientPool *pool = loop->pool;
  Registration *registration = NULL;
  Watch *watch;
  guint id;

  g_mutex_lock (&pool->lock);
  for (GSList *node = loop->registrations; node; node = node->next) {
    if (((Registration *) node->data)->fd == fd)
      registration = node->data;
  }
  if (!registration) {
    registration = g_new0 (Registration, 1);
    registration->fd = fd;
    registration->loop = loop;
    registration->token = pool->next_token++;
    registration->armed = epoll_from_condition (condition);
    if (!epoll_set (pool, EPOLL_CTL_ADD, fd,
                    registration->armed | EPOLLONESHOT, registration->token)) {
      g_free (registration);
      g_mutex_unlock (&pool->lock);
      return 0;
    }
    g_hash_table_insert (pool->registrations, &registration->token,
                         registration);
    loop->registrations = g_slist_prepend (loop->registrations, registration);
  }
  watch = new_watch (loop, WATCH_IO, func, user_data, notify);
  watch->registration = registration;
  watch->condition = condition;
  registration->n_watches++;
  /* A disarmed descriptor of a busy loop is re-armed when the dispatch
   * is over. */
  if (registration->armed || !loop->busy)
    sync_registration (registration);
  id = watch->id;
  g_mutex_unlock (&pool->lock);
  return id;
}

static guint
pool_add_timeout (MilterEventLoop *event_loop, gdouble interval_seconds,
                  MilterEventLoopFunc func, gpointer user_data,
                  GDestroyNotify notify)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (event_loop);
  Watch *watch;
  guint id;

  g_mutex_lock (&loop->pool->lock);
  watch = new_watch (loop, WATCH_TIMEOUT, func, user_data, notify);
  /* Round up: a timeout must never fire early. */
  watch->interval = (gint64) (interval_seconds * G_USEC_PER_SEC + 0.999);
  schedule (watch, g_get_monotonic_time () + watch->interval);
  id = watch->id;
  g_mutex_unlock (&loop->pool->lock);
  return id;
}

static guint
pool_add_idle (MilterEventLoop *event_loop, MilterEventLoopFunc func,
               gpointer user_data, GDestroyNotify notify)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (event_loop);
  Watch *watch;
  guint id;

  g_mutex_lock (&loop->pool->lock);
  watch = new_watch (loop, WATCH_IDLE, func, user_data, notify);
  mark_ready (watch);
  /* From outside the pool (the accepting thread, smfi_stop) or another
   * loop's callback: a waiting thread takes it. */
  wake_one (loop->pool);
  id = watch->id;
  g_mutex_unlock (&loop->pool->lock);
  return id;
}

static guint
pool_watch_child (MilterEventLoop *event_loop, GPid pid,
                  MilterEventLoopChildFunc func, gpointer user_data,
                  GDestroyNotify notify)
{
  return 0;
}

static gboolean
pool_remove (MilterEventLoop *event_loop, guint id)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (event_loop);
  Notification notification;
  gboolean notify = FALSE;
  Watch *watch;

  g_mutex_lock (&loop->pool->lock);
  watch = find_watch (loop, id);
  if (watch)
    notify = unlink_watch (watch, &notification);
  g_mutex_unlock (&loop->pool->lock);
  if (notify)
    notification.notify (notification.data);
  return watch != NULL;
}

static void
pool_run (MilterEventLoop *event_loop)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (event_loop);

  g_mutex_lock (&loop->pool->lock);
  loop->n_running++;
  while (!loop->quit_requested)
    g_cond_wait (&loop->pool->cond, &loop->pool->lock);
  if (--loop->n_running == 0)
    loop->quit_requested = FALSE;
  g_mutex_unlock (&loop->pool->lock);
}

static gboolean
pool_iterate (MilterEventLoop *event_loop, gboolean may_block)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (event_loop);
  g_autoptr (GArray) notifications = g_array_new (FALSE, FALSE,
                                                  sizeof (Notification));
  gboolean dispatched = FALSE;

  (void) may_block;
  g_mutex_lock (&loop->pool->lock);
  if (!loop->busy && loop->n_ready > 0) {
    if (loop->queued) {
      unqueue_loop (loop);
      g_object_unref (loop);  /* not the last: the caller holds one */
    }
    loop->busy = TRUE;
    dispatch (loop, notifications);
    dispatched = TRUE;
  }
  g_mutex_unlock (&loop->pool->lock);
  call_notifications (notifications);
  return dispatched;
}

static void
pool_quit (MilterEventLoop *event_loop)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (event_loop);

  g_mutex_lock (&loop->pool->lock);
  if (loop->n_running > 0) {
    loop->quit_requested = TRUE;
    g_cond_broadcast (&loop->pool->cond);
  }
  g_mutex_unlock (&loop->pool->lock);
}

static void
_milter_client_pool_loop_dispose (GObject *object)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (object);

  g_mutex_lock (&loop->pool->lock);
  /* A thread may have taken a reference meanwhile (an event, the
   * queue): it finds nothing to run. */
  loop->disposed = TRUE;
  while (loop->watches) {
    Notification notification;

    if (unlink_watch (loop->watches->data, &notification)) {
      g_mutex_unlock (&loop->pool->lock);
      notification.notify (notification.data);
      g_mutex_lock (&loop->pool->lock);
    }
  }
  g_mutex_unlock (&loop->pool->lock);
  G_OBJECT_CLASS (_milter_client_pool_loop_parent_class)->dispose (object);
}

static void
_milter_client_pool_loop_finalize (GObject *object)
{
  MilterClientPool *pool = MILTER_CLIENT_POOL_LOOP (object)->pool;

  g_mutex_lock (&pool->lock);
  pool->n_loops--;
  g_cond_broadcast (&pool->cond);
  g_mutex_unlock (&pool->lock);
  G_OBJECT_CLASS (_milter_client_pool_loop_parent_class)->finalize (object);
}

static void
_milter_client_pool_loop_class_init (MilterClientPoolLoopClass *klass)
{
  MilterEventLoopClass *loop_class = MILTER_EVENT_LOOP_CLASS (klass);
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = _milter_client_pool_loop_dispose;
  object_class->finalize = _milter_client_pool_loop_finalize;
  loop_class->watch_io = pool_watch_io;
  loop_class->add_timeout = pool_add_timeout;
  loop_class->add_idle = pool_add_idle;
  loop_class->watch_child = pool_watch_child;
  loop_class->remove = pool_remove;
  loop_class->run = pool_run;
  loop_class->iterate = pool_iterate;
  loop_class->quit = pool_quit;
}

static void
_milter_client_pool_loop_init (MilterClientPoolLoop *loop)
{
}

/* ---- the pool ---- */

MilterEventLoop *
_milter_client_pool_new_loop (MilterClientPool *pool)
{
  MilterClientPoolLoop *loop = g_object_new (MILTER_TYPE_CLIENT_POOL_LOOP, NULL);

  loop->pool = pool;
  g_mutex_lock (&pool->lock);
  pool->n_loops++;
  /* The first thread comes with the first loop. */
  if (pool->n_threads == 0)
    spawn_thread (pool);
  g_mutex_unlock (&pool->lock);
  return MILTER_EVENT_LOOP (loop);
}

void
_milter_client_pool_run_first (MilterEventLoop *event_loop,
                               MilterEventLoopFunc func, gpointer user_data)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (event_loop);
  MilterClientPool *pool = loop->pool;

  g_mutex_lock (&pool->lock);
  g_return_if_fail (!loop->busy);
  loop->busy = TRUE;
  g_mutex_unlock (&pool->lock);
  func (user_data);
  g_mutex_lock (&pool->lock);
  /* As at the end of a dispatch: what fired meanwhile was only marked. */
  for (GSList *node = loop->registrations; node; node = node->next)
    sync_registration (node->data);
  loop->busy = FALSE;
  queue_loop (loop);
  wake_one (pool);
  g_mutex_unlock (&pool->lock);
}

gboolean
_milter_client_pool_loop_is_idle (MilterEventLoop *event_loop)
{
  MilterClientPoolLoop *loop = MILTER_CLIENT_POOL_LOOP (event_loop);
  gboolean idle;

  g_mutex_lock (&loop->pool->lock);
  idle = !loop->busy && !loop->queued && !loop->watches && !loop->disposed;
  g_mutex_unlock (&loop->pool->lock);
  return idle;
}

gboolean
_milter_client_pool_ensure_thread (MilterClientPool *pool)
{
  gboolean any;

  g_mutex_lock (&pool->lock);
  if (pool->n_threads == 0)
    spawn_thread (pool);
  any = pool->n_threads > 0;
  g_mutex_unlock (&pool->lock);
  return any;
}

guint
_milter_client_pool_get_n_threads (MilterClientPool *pool)
{
  guint n;

  g_mutex_lock (&pool->lock);
  n = pool->n_threads;
  g_mutex_unlock (&pool->lock);
  return n;
}

static void
close_fds (MilterClientPool *pool)
{
  if (pool->epoll_fd >= 0)
    close (pool->epoll_fd);
  if (pool->wake_fd >= 0)
    close (pool->wake_fd);
  if (pool->timer_fd >= 0)
    close (pool->timer_fd);
}

MilterClientPool *
_milter_client_pool_new (GError **error)
{
  MilterClientPool *pool = g_new0 (MilterClientPool, 1);

  g_mutex_init (&pool->lock);
  g_cond_init (&pool->cond);
  g_queue_init (&pool->timers);
  pool->timer_armed = G_MAXINT64;
  pool->next_token = FIRST_TOKEN;
  pool->registrations = g_hash_table_new (g_int64_hash, g_int64_equal);
  pool->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  pool->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  pool->timer_fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (pool->epoll_fd < 0 || pool->wake_fd < 0 || pool->timer_fd < 0 ||
      !epoll_set (pool, EPOLL_CTL_ADD, pool->wake_fd, EPOLLIN | EPOLLONESHOT,
                  WAKE_TOKEN) ||
      !epoll_set (pool, EPOLL_CTL_ADD, pool->timer_fd, EPOLLIN | EPOLLONESHOT,
                  TIMER_TOKEN)) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_THREAD,
                 "cannot set up the session pool: %s", g_strerror (errno));
  } else {
    return pool;
  }
  close_fds (pool);
  g_hash_table_unref (pool->registrations);
  g_mutex_clear (&pool->lock);
  g_cond_clear (&pool->cond);
  g_free (pool);
  return NULL;
}

void
_milter_client_pool_free (MilterClientPool *pool)
{
  const guint64 one = 1;

  g_mutex_lock (&pool->lock);
  while (pool->n_loops > 0)
    g_cond_wait (&pool->cond, &pool->lock);
  pool->quitting = TRUE;
  if (write (pool->wake_fd, &one, sizeof (one)) == -1) {
    /* A wake-up is pending already. */
  }
  while (pool->n_threads > 0)
    g_cond_wait (&pool->cond, &pool->lock);
  g_mutex_unlock (&pool->lock);
  close_fds (pool);
  g_hash_table_unref (pool->registrations);
  g_mutex_clear (&pool->lock);
  g_cond_clear (&pool->cond);
  g_free (pool);
}

/*
 * test-client-pool - the session pool: loops whose watches run on a few shared threads
 *
 * DESCRIPTION
 *   Watches of pool loops run in pool threads; the callbacks of one loop
 *   never overlap; a callback that blocks does not hold up another loop;
 *   idle loops take no thread; timeouts, idles and removal (also from
 *   another thread) keep the MilterEventLoop contract (notify once,
 *   after the callback).
 */
#include "config.h"

#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include <milter/client/milter-client-pool.h>

typedef struct {
  MilterClientPool *pool;
  GMutex lock;
  GCond cond;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  (void) data;
  f->pool = _milter_client_pool_new (NULL);
  g_assert_nonnull (f->pool);
  g_mutex_init (&f->lock);
  g_cond_init (&f->cond);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  _milter_client_pool_free (f->pool);
  g_mutex_clear (&f->lock);
  g_cond_clear (&f->cond);
}

/* Bounded wait until *flag (under f->lock) is at least value. */
static gboolean
wait_for (Fixture *f, gint *flag, gint value)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gboolean reached;

  g_mutex_lock (&f->lock);
  while (*flag < value && g_cond_wait_until (&f->cond, &f->lock, end))
    ;
  reached = *flag >= value;
  g_mutex_unlock (&f->lock);
  return reached;
}

static void
bump (Fixture *f, gint *flag)
{
  g_mutex_lock (&f->lock);
  (*flag)++;
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->lock);
}

/* ---- an I/O watch runs in a pool thread; notify after the callback ---- */

typedef struct {
  Fixture *f;
  GThread *thread;
  gint calls;
  gint notified;
  gint notified_during_call;
} IoState;

static gboolean
on_readable (gint fd, GIOCondition condition, gpointer data)
{
  IoState *state = data;
  gchar byte;

  g_assert_true (condition & G_IO_IN);
  g_assert_cmpint (read (fd, &byte, 1), ==, 1);
  state->thread = g_thread_self ();
  state->notified_during_call = state->notified;
  bump (state->f, &state->calls);
  return G_SOURCE_REMOVE;
}

static void
io_notify (gpointer data)
{
  IoState *state = data;

  bump (state->f, &state->notified);
}

static void
test_io (Fixture *f, gconstpointer data)
{
  IoState state = { f, NULL, 0, 0, 0 };
  MilterEventLoop *loop = _milter_client_pool_new_loop (f->pool);
  gint pair[2];

  (void) data;
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  g_assert_cmpuint (milter_event_loop_watch_io (loop, pair[0], G_IO_IN,
                                                on_readable, &state, io_notify),
                    >, 0);
  g_assert_cmpint (write (pair[1], "x", 1), ==, 1);
  g_assert_true (wait_for (f, &state.notified, 1));
  g_assert_cmpint (state.calls, ==, 1);
  g_assert_cmpint (state.notified_during_call, ==, 0);
  g_assert_true (state.thread != g_thread_self ());
  /* The watch is gone: a second byte is not read. */
  g_assert_cmpint (write (pair[1], "y", 1), ==, 1);
  g_usleep (50 * 1000);
  g_assert_cmpint (state.calls, ==, 1);
  g_object_unref (loop);
  close (pair[0]);
  close (pair[1]);
}

/* ---- one loop's callbacks never overlap; a blocked one holds up no
 * other loop ---- */

typedef struct {
  Fixture *f;
  gint inside;        /* callbacks of loop A running now */
  gint most_inside;
  gint a_calls;
  gint b_calls;
  gint release;       /* set once B has run */
} BlockState;

static gboolean
on_a (gint fd, GIOCondition condition, gpointer data)
{
  BlockState *state = data;
  gchar byte;

  (void) condition;
  g_assert_cmpint (read (fd, &byte, 1), ==, 1);
  g_mutex_lock (&state->f->lock);
  state->inside++;
  state->most_inside = MAX (state->most_inside, state->inside);
  g_mutex_unlock (&state->f->lock);
  /* Blocks until loop B's callback has run (bounded). */
  wait_for (state->f, &state->release, 1);
  g_mutex_lock (&state->f->lock);
  state->inside--;
  g_mutex_unlock (&state->f->lock);
  bump (state->f, &state->a_calls);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_b (gint fd, GIOCondition condition, gpointer data)
{
  BlockState *state = data;
  gchar byte;

  (void) condition;
  g_assert_cmpint (read (fd, &byte, 1), ==, 1);
  bump (state->f, &state->b_calls);
  bump (state->f, &state->release);
  return G_SOURCE_CONTINUE;
}

static void
test_blocking (Fixture *f, gconstpointer data)
{
  BlockState state = { f, 0, 0, 0, 0, 0 };
  MilterEventLoop *a = _milter_client_pool_new_loop (f->pool);
  MilterEventLoop *b = _milter_client_pool_new_loop (f->pool);
  gint a1[2], a2[2], b1[2];

  (void) data;
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a1), ==, 0);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a2), ==, 0);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b1), ==, 0);
  /* Two descriptors of loop A: both ready at once, run one after the
   * other. */
  milter_event_loop_watch_io (a, a1[0], G_IO_IN, on_a, &state, NULL);
  milter_event_loop_watch_io (a, a2[0], G_IO_IN, on_a, &state, NULL);
  milter_event_loop_watch_io (b, b1[0], G_IO_IN, on_b, &state, NULL);
  g_assert_cmpint (write (a1[1], "x", 1), ==, 1);
  g_assert_cmpint (write (a2[1], "x", 1), ==, 1);
  g_usleep (100 * 1000);
  /* A's first callback waits for B. */
  g_assert_cmpint (state.a_calls, ==, 0);
  g_assert_cmpint (write (b1[1], "x", 1), ==, 1);
  g_assert_true (wait_for (f, &state.b_calls, 1));
  g_assert_true (wait_for (f, &state.a_calls, 2));
  g_assert_cmpint (state.most_inside, ==, 1);
  g_object_unref (a);
  g_object_unref (b);
  for (guint i = 0; i < 2; i++) {
    close (a1[i]);
    close (a2[i]);
    close (b1[i]);
  }
}

/* ---- idle loops take no thread ---- */

static gboolean
never (gint fd, GIOCondition condition, gpointer data)
{
  (void) fd;
  (void) condition;
  (void) data;
  g_assert_not_reached ();
  return G_SOURCE_REMOVE;
}

static void
test_idle_loops (Fixture *f, gconstpointer data)
{
  enum { N = 100 };
  MilterEventLoop *loops[N];
  gint pairs[N][2];

  (void) data;
  g_assert_true (_milter_client_pool_ensure_thread (f->pool));
  for (guint i = 0; i < N; i++) {
    g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
                                 pairs[i]), ==, 0);
    loops[i] = _milter_client_pool_new_loop (f->pool);
    g_assert_cmpuint (milter_event_loop_watch_io (loops[i], pairs[i][0],
                                                  G_IO_IN, never, NULL, NULL),
                      >, 0);
  }
  g_usleep (50 * 1000);
  g_assert_cmpuint (_milter_client_pool_get_n_threads (f->pool), ==, 1);
  for (guint i = 0; i < N; i++) {
    g_object_unref (loops[i]);
    close (pairs[i][0]);
    close (pairs[i][1]);
  }
}

/* ---- timeouts, idles from another thread, removal from another thread ---- */

typedef struct {
  Fixture *f;
  gint calls;
  gint notified;
  gint64 started;
  gint64 fired;
} TimerState;

static gboolean
on_timeout (gpointer data)
{
  TimerState *state = data;

  if (state->calls == 0)
    state->fired = g_get_monotonic_time ();
  bump (state->f, &state->calls);
  return state->calls < 2 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
timer_notify (gpointer data)
{
  TimerState *state = data;

  bump (state->f, &state->notified);
}

static void
test_timeout (Fixture *f, gconstpointer data)
{
  TimerState state = { f, 0, 0, 0, 0 };
  TimerState later = { f, 0, 0, 0, 0 };
  MilterEventLoop *loop = _milter_client_pool_new_loop (f->pool);
  guint far;

  (void) data;
  g_assert_true (_milter_client_pool_ensure_thread (f->pool));
  /* A far timer first, a near one after it: the near one fires first. */
  far = milter_event_loop_add_timeout (loop, 100, on_timeout, &later,
                                       timer_notify);
  state.started = g_get_monotonic_time ();
  milter_event_loop_add_timeout (loop, 0.05, on_timeout, &state, timer_notify);
  g_assert_true (wait_for (f, &state.notified, 1));
  g_assert_cmpint (state.calls, ==, 2);
  g_assert_cmpint (state.fired - state.started, >=, 50 * 1000);
  /* Removed from this thread, not from a callback: notified once. */
  g_assert_true (milter_event_loop_remove (loop, far));
  g_assert_false (milter_event_loop_remove (loop, far));
  g_assert_cmpint (later.notified, ==, 1);
  g_assert_cmpint (later.calls, ==, 0);
  g_object_unref (loop);
}

typedef struct {
  Fixture *f;
  GThread *thread;
  gint calls;
} IdleState;

static gboolean
on_idle (gpointer data)
{
  IdleState *state = data;

  state->thread = g_thread_self ();
  bump (state->f, &state->calls);
  return G_SOURCE_REMOVE;
}

static void
test_idle (Fixture *f, gconstpointer data)
{
  IdleState state = { f, NULL, 0 };
  MilterEventLoop *loop = _milter_client_pool_new_loop (f->pool);

  (void) data;
  g_assert_true (_milter_client_pool_ensure_thread (f->pool));
  g_assert_cmpuint (milter_event_loop_add_idle (loop, on_idle, &state, NULL), >, 0);
  g_assert_true (wait_for (f, &state.calls, 1));
  g_assert_true (state.thread != g_thread_self ());
  g_usleep (20 * 1000);
  g_assert_cmpint (state.calls, ==, 1);
  g_object_unref (loop);
}

/* A callback that removes its own watch: notified after it returns. */
typedef struct {
  Fixture *f;
  MilterEventLoop *loop;
  guint id;
  gint notified;
  gint notified_inside;
  gint calls;
  gboolean removed;
} SelfState;

static gboolean
remove_self (gpointer data)
{
  SelfState *state = data;
  guint id;

  /* The id is stored under the lock once add_timeout has returned. */
  g_mutex_lock (&state->f->lock);
  id = state->id;
  g_mutex_unlock (&state->f->lock);
  state->removed = milter_event_loop_remove (state->loop, id);
  state->notified_inside = state->notified;
  bump (state->f, &state->calls);
  return G_SOURCE_CONTINUE;
}

static void
self_notify (gpointer data)
{
  SelfState *state = data;

  bump (state->f, &state->notified);
}

static void
test_remove_self (Fixture *f, gconstpointer data)
{
  SelfState state = { f, NULL, 0, 0, 0, 0, FALSE };

  (void) data;
  state.loop = _milter_client_pool_new_loop (f->pool);
  g_mutex_lock (&f->lock);
  state.id = milter_event_loop_add_timeout (state.loop, 0.01, remove_self,
                                            &state, self_notify);
  g_mutex_unlock (&f->lock);
  g_assert_true (wait_for (f, &state.notified, 1));
  g_assert_true (state.removed);
  g_assert_cmpint (state.notified_inside, ==, 0);
  g_usleep (50 * 1000);
  g_assert_cmpint (state.calls, ==, 1);
  g_assert_cmpint (state.notified, ==, 1);
  g_object_unref (state.loop);
}

/* A descriptor that is not open cannot be watched. */
static void
test_bad_fd (Fixture *f, gconstpointer data)
{
  MilterEventLoop *loop = _milter_client_pool_new_loop (f->pool);
  gint pair[2];

  (void) data;
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  close (pair[0]);
  g_assert_cmpuint (milter_event_loop_watch_io (loop, pair[0], G_IO_IN, never,
                                                NULL, NULL), ==, 0);
  close (pair[1]);
  g_object_unref (loop);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/client/pool/" path, Fixture, NULL, setup, func, teardown)
  ADD ("io", test_io);
  ADD ("blocking-callback", test_blocking);
  ADD ("idle-loops-take-no-thread", test_idle_loops);
  ADD ("timeout", test_timeout);
  ADD ("idle", test_idle);
  ADD ("remove-self", test_remove_self);
  ADD ("bad-descriptor", test_bad_fd);
#undef ADD
  return g_test_run ();
}

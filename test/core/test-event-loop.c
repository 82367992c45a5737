/*
 * test-event-loop - MilterEventLoop, every test on both backends
 *
 * Each test is registered once per backend (/io/event-loop/glib/...,
 * /io/event-loop/libev/...) with the backend name as test data.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-glib-event-loop.h>
#include <milter/core/milter-libev-event-loop.h>

/* Fails the test instead of hanging when an event never comes. */
#define GUARD_SECONDS 5.0

static MilterEventLoop *
new_loop (gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  MilterEventLoop *loop = milter_event_loop_new_by_name (data, &error);

  g_assert_no_error (error);
  g_assert_nonnull (loop);
  return loop;
}

static gboolean
guard_cb (gpointer user_data)
{
  gboolean *fired = user_data;

  *fired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates until *flag is set; fails after GUARD_SECONDS. */
static void
iterate_until (MilterEventLoop *loop, gboolean *flag)
{
  gboolean timed_out = FALSE;
  guint guard = milter_event_loop_add_timeout (loop, GUARD_SECONDS, guard_cb,
                                               &timed_out, NULL);

  while (!*flag && !timed_out)
    milter_event_loop_iterate (loop, TRUE);
  g_assert_false (timed_out);
  milter_event_loop_remove (loop, guard);
}

static void
socket_pair (int fds[2])
{
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
                               SOCK_CLOEXEC, 0, fds), ==, 0);
}


typedef struct {
  MilterEventLoop *loop;
  guint id;
  guint calls;
  GIOCondition condition;
  gssize read_size;
  gboolean done;
  gboolean keep;
  gboolean remove_self;
  guint other_id;
  guint notified;
} IOState;

static void
io_notify (gpointer user_data)
{
  ((IOState *) user_data)->notified++;
}

static gboolean
io_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  IOState *state = user_data;
  gchar buffer[16];

  state->calls++;
  state->condition = condition;
  state->read_size = read (fd, buffer, sizeof (buffer));
  state->done = TRUE;
  if (state->remove_self)
    g_assert_true (milter_event_loop_remove (state->loop, state->id));
  if (state->other_id)
    g_assert_true (milter_event_loop_remove (state->loop, state->other_id));
  return state->keep;
}

static void
test_io_readable (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  IOState state = { .loop = loop };
  int fds[2];

  socket_pair (fds);
  state.id = milter_event_loop_watch_io (loop, fds[0], G_IO_IN, io_cb, &state,
                                         io_notify);
  g_assert_cmpuint (state.id, >, 0);
  g_assert_false (milter_event_loop_iterate (loop, FALSE));
  g_assert_cmpint (write (fds[1], "abc", 3), ==, 3);
  iterate_until (loop, &state.done);
  g_assert_cmpuint (state.calls, ==, 1);
  g_assert_true (state.condition & G_IO_IN);
  g_assert_cmpint (state.read_size, ==, 3);
  /* Returning FALSE ended the watch and called notify once. */
  g_assert_cmpuint (state.notified, ==, 1);
  g_assert_false (milter_event_loop_remove (loop, state.id));
  close (fds[0]);
  close (fds[1]);
}

static void
test_io_writable (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  IOState state = { .loop = loop };
  int fds[2];

  socket_pair (fds);
  state.id = milter_event_loop_watch_io (loop, fds[0], G_IO_OUT, io_cb, &state,
                                         NULL);
  iterate_until (loop, &state.done);
  g_assert_true (state.condition & G_IO_OUT);
  close (fds[0]);
  close (fds[1]);
}

static void
test_io_hang_up (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  IOState state = { .loop = loop };
  int fds[2];

  socket_pair (fds);
  state.id = milter_event_loop_watch_io (loop, fds[0], G_IO_IN | G_IO_HUP,
                                         io_cb, &state, NULL);
  close (fds[1]);
  iterate_until (loop, &state.done);
  /* GLib reports the hang-up itself; libev reports readability. */
  if (g_str_equal (data, "glib"))
    g_assert_true (state.condition & G_IO_HUP);
  else
    g_assert_true (state.condition & G_IO_IN);
  g_assert_cmpint (state.read_size, ==, 0);
  close (fds[0]);
}

static void
test_io_invalid_fd (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  IOState state = { .loop = loop };
  int fds[2];

  g_assert_cmpuint (milter_event_loop_watch_io (loop, -1, G_IO_IN, io_cb,
                                                &state, io_notify), ==, 0);
  socket_pair (fds);
  close (fds[0]);
  close (fds[1]);
  g_assert_cmpuint (milter_event_loop_watch_io (loop, fds[0], G_IO_IN, io_cb,
                                                &state, io_notify), ==, 0);
  /* A refused watch keeps nothing: its notify is not called. */
  g_assert_cmpuint (state.notified, ==, 0);
}

typedef struct {
  MilterEventLoop *loop;
  GString *order;
  gchar name;
  guint remaining;
  gboolean quit;
  guint *notified;
} TimerState;

static void
timer_notify (gpointer user_data)
{
  (*((TimerState *) user_data)->notified)++;
}

static gboolean
timer_cb (gpointer user_data)
{
  TimerState *state = user_data;

  g_string_append_c (state->order, state->name);
  if (state->remaining > 0)
    state->remaining--;
  if (state->quit && state->remaining == 0)
    milter_event_loop_quit (state->loop);
  return state->remaining > 0;
}

static void
test_timeout_order (gconstpointer data)
{
  guint notified = 0;
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  g_autoptr (GString) order = g_string_new (NULL);
  TimerState c = { loop, order, 'c', 1, TRUE, &notified };
  TimerState a = { loop, order, 'a', 1, FALSE, &notified };
  TimerState b = { loop, order, 'b', 1, FALSE, &notified };
  gint64 start = g_get_monotonic_time ();

  milter_event_loop_add_timeout (loop, 0.06, timer_cb, &c, timer_notify);
  milter_event_loop_add_timeout (loop, 0.02, timer_cb, &a, timer_notify);
  milter_event_loop_add_timeout (loop, 0.04, timer_cb, &b, timer_notify);
  milter_event_loop_run (loop);
  g_assert_cmpstr (order->str, ==, "abc");
  g_assert_cmpuint (notified, ==, 3);
  /* Timeouts never fire early. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 60000);
}

static void
test_timeout_repeat (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  g_autoptr (GString) order = g_string_new (NULL);
  TimerState state = { loop, order, 't', 3, TRUE };

  g_assert_cmpuint (milter_event_loop_add_timeout (loop, 0.005, timer_cb,
                                                   &state, NULL), >, 0);
  milter_event_loop_run (loop);
  g_assert_cmpstr (order->str, ==, "ttt");
}

static void
test_timeout_zero_repeats (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  g_autoptr (GString) order = g_string_new (NULL);
  TimerState state = { loop, order, 'z', 3, TRUE };

  milter_event_loop_add_timeout (loop, 0.0, timer_cb, &state, NULL);
  milter_event_loop_run (loop);
  g_assert_cmpstr (order->str, ==, "zzz");
}

static void
test_idle (gconstpointer data)
{
  guint notified = 0;
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  g_autoptr (GString) order = g_string_new (NULL);
  TimerState state = { loop, order, 'i', 3, TRUE, &notified };

  g_assert_cmpuint (milter_event_loop_add_idle (loop, timer_cb, &state,
                                                timer_notify), >, 0);
  milter_event_loop_run (loop);
  g_assert_cmpstr (order->str, ==, "iii");
  g_assert_cmpuint (notified, ==, 1);
}

typedef struct {
  GPid pid;
  gint status;
  gboolean done;
  guint notified;
} ChildState;

static void
child_notify (gpointer user_data)
{
  ((ChildState *) user_data)->notified++;
}

static void
child_cb (GPid pid, gint status, gpointer user_data)
{
  ChildState *state = user_data;

  state->pid = pid;
  state->status = status;
  state->done = TRUE;
}

static void
test_child (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  ChildState state = { 0 };
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (7);
  g_assert_cmpuint (milter_event_loop_watch_child (loop, pid, child_cb, &state,
                                                   child_notify), >, 0);
  iterate_until (loop, &state.done);
  g_assert_cmpint (state.pid, ==, pid);
  g_assert_true (WIFEXITED (state.status));
  g_assert_cmpint (WEXITSTATUS (state.status), ==, 7);
  g_assert_cmpuint (state.notified, ==, 1);
  /* Reaped by the loop. */
  g_assert_cmpint (waitpid (pid, NULL, WNOHANG), ==, -1);
}

static void
test_child_invalid (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  ChildState state = { 0 };

  g_assert_cmpuint (milter_event_loop_watch_child (loop, 0, child_cb, &state,
                                                   NULL), ==, 0);
}

static void
test_remove_self_in_callback (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  IOState state = { .loop = loop, .keep = TRUE, .remove_self = TRUE };
  int fds[2];

  socket_pair (fds);
  g_assert_cmpint (write (fds[1], "abcdefghijklmnopqrstuvwxyz", 26), ==, 26);
  state.id = milter_event_loop_watch_io (loop, fds[0], G_IO_IN, io_cb, &state,
                                         io_notify);
  iterate_until (loop, &state.done);
  /* Data is still readable, yet the removed watch stays quiet. */
  while (milter_event_loop_iterate (loop, FALSE))
    ;
  g_assert_cmpuint (state.calls, ==, 1);
  g_assert_cmpuint (state.notified, ==, 1);
  g_assert_false (milter_event_loop_remove (loop, state.id));
  close (fds[0]);
  close (fds[1]);
}

static void
test_remove_other_in_callback (gconstpointer data)
{
  guint notified = 0;
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  g_autoptr (GString) order = g_string_new (NULL);
  TimerState timer = { loop, order, 'x', 1, FALSE, &notified };
  IOState state = { .loop = loop };
  int fds[2];

  socket_pair (fds);
  g_assert_cmpint (write (fds[1], "a", 1), ==, 1);
  state.other_id = milter_event_loop_add_timeout (loop, 0.05, timer_cb, &timer,
                                                  timer_notify);
  state.id = milter_event_loop_watch_io (loop, fds[0], G_IO_IN, io_cb, &state,
                                         NULL);
  /* The I/O callback removes the pending timeout, which never fires. */
  iterate_until (loop, &state.done);
  g_assert_cmpuint (notified, ==, 1);
  /* Not synchronisation: wait past the removed timeout's deadline, then
   * check that it does not fire. */
  g_usleep (100000);
  while (milter_event_loop_iterate (loop, FALSE))
    ;
  g_assert_cmpstr (order->str, ==, "");
  close (fds[0]);
  close (fds[1]);
}

static void
test_remove_before_dispatch (gconstpointer data)
{
  guint notified = 0;
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  g_autoptr (GString) order = g_string_new (NULL);
  TimerState state = { loop, order, 'r', 1, FALSE, &notified };
  guint id = milter_event_loop_add_idle (loop, timer_cb, &state, timer_notify);

  g_assert_true (milter_event_loop_remove (loop, id));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_false (milter_event_loop_remove (loop, id));
  g_assert_false (milter_event_loop_remove (loop, 0));
  g_assert_false (milter_event_loop_iterate (loop, FALSE));
  g_assert_cmpstr (order->str, ==, "");
}

static gboolean
quit_cb (gpointer user_data)
{
  milter_event_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_quit_from_callback (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);

  /* run() returns after quit even though no watch is left. */
  milter_event_loop_add_idle (loop, quit_cb, loop, NULL);
  milter_event_loop_run (loop);
  milter_event_loop_add_timeout (loop, 0.01, quit_cb, loop, NULL);
  milter_event_loop_run (loop);
}

static void
test_iterate_non_blocking (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  g_autoptr (GString) order = g_string_new (NULL);
  TimerState state = { loop, order, 'n', 1, FALSE };
  gint64 start = g_get_monotonic_time ();

  /* Nothing ready: returns at once without dispatching. */
  milter_event_loop_add_timeout (loop, 10.0, timer_cb, &state, NULL);
  g_assert_false (milter_event_loop_iterate (loop, FALSE));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 1000000);
  milter_event_loop_add_idle (loop, timer_cb, &state, NULL);
  g_assert_true (milter_event_loop_iterate (loop, FALSE));
  g_assert_cmpstr (order->str, ==, "n");
}

static void
test_finalize_notifies (gconstpointer data)
{
  guint notified = 0;
  MilterEventLoop *loop = new_loop (data);
  g_autoptr (GString) order = g_string_new (NULL);
  TimerState state = { loop, order, 'f', 1, FALSE, &notified };

  milter_event_loop_add_timeout (loop, 10.0, timer_cb, &state, timer_notify);
  milter_event_loop_add_idle (loop, timer_cb, &state, timer_notify);
  g_object_unref (loop);
  g_assert_cmpuint (notified, ==, 2);
  /* Nothing of it is left in a shared context. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpstr (order->str, ==, "");
}

static void
test_new_by_name (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterEventLoop) glib_loop = milter_event_loop_new_by_name (NULL,
                                                                        &error);
  g_autoptr (MilterEventLoop) libev_loop = NULL;
  MilterEventLoop *unknown;

  g_assert_no_error (error);
  g_assert_true (MILTER_IS_GLIB_EVENT_LOOP (glib_loop));
  libev_loop = milter_event_loop_new_by_name ("libev", &error);
  g_assert_no_error (error);
  g_assert_true (MILTER_IS_LIBEV_EVENT_LOOP (libev_loop));
  unknown = milter_event_loop_new_by_name ("epoll", &error);
  g_assert_null (unknown);
  g_assert_error (error, MILTER_EVENT_LOOP_ERROR,
                  MILTER_EVENT_LOOP_ERROR_UNKNOWN_BACKEND);
  g_assert_nonnull (strstr (error->message, "\"epoll\""));
}

static void
test_glib_context (void)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (MilterGLibEventLoop) loop = milter_glib_event_loop_new (context);
  g_autoptr (MilterGLibEventLoop) default_loop = milter_glib_event_loop_new (NULL);
  g_autoptr (GString) order = g_string_new (NULL);
  TimerState state = { MILTER_EVENT_LOOP (loop), order, 'g', 1, FALSE };

  g_assert_true (milter_glib_event_loop_get_context (loop) == context);
  g_assert_true (milter_glib_event_loop_get_context (default_loop) ==
                 g_main_context_default ());
  milter_event_loop_add_idle (MILTER_EVENT_LOOP (loop), timer_cb, &state, NULL);
  /* The watch lives in the given context only. */
  g_assert_false (g_main_context_iteration (NULL, FALSE));
  g_assert_true (g_main_context_iteration (context, FALSE));
  g_assert_cmpstr (order->str, ==, "g");
}

static void
test_libev_default_loop_child (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterLibevEventLoop) loop = milter_libev_event_loop_new (TRUE,
                                                                      &error);
  ChildState state = { 0 };
  pid_t pid;

  g_assert_no_error (error);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    _exit (3);
  milter_event_loop_watch_child (MILTER_EVENT_LOOP (loop), pid, child_cb,
                                 &state, NULL);
  iterate_until (MILTER_EVENT_LOOP (loop), &state.done);
  g_assert_cmpint (WEXITSTATUS (state.status), ==, 3);
}

/* set_lock(): a stand-in for an interpreter's lock, held except while
 * the loop waits; every callback must run with it held. */
typedef struct {
  gboolean held;
  guint waits;
  guint relocks;
  guint callbacks_held;
  guint callbacks;
  gboolean done;
} Lock;

static void
lock_unlocked (MilterEventLoopCall call, gpointer data, gpointer user_data)
{
  Lock *lock = user_data;

  g_assert_true (lock->held);
  lock->held = FALSE;
  lock->waits++;
  call (data);
  lock->held = TRUE;
}

static void
lock_locked (MilterEventLoopCall call, gpointer data, gpointer user_data)
{
  Lock *lock = user_data;
  gboolean was = lock->held;

  lock->held = TRUE;
  lock->relocks++;
  call (data);
  lock->held = was;
}

static gboolean
lock_tick (gpointer user_data)
{
  Lock *lock = user_data;

  lock->callbacks++;
  if (lock->held)
    lock->callbacks_held++;
  if (lock->callbacks == 3) {
    lock->done = TRUE;
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
test_lock (gconstpointer data)
{
  g_autoptr (MilterEventLoop) loop = new_loop (data);
  Lock lock = { .held = TRUE };
  guint waits;

  milter_event_loop_set_lock (loop, lock_unlocked, lock_locked, &lock);
  milter_event_loop_add_timeout (loop, 0.01, lock_tick, &lock, NULL);
  iterate_until (loop, &lock.done);
  g_assert_true (lock.held);
  /* Each timer wait went through the wrapper, each callback held it. */
  g_assert_cmpuint (lock.waits, >=, 3);
  g_assert_cmpuint (lock.callbacks_held, ==, 3);

  milter_event_loop_set_lock (loop, NULL, NULL, NULL);
  waits = lock.waits;
  lock.done = FALSE;
  lock.callbacks = 0;
  milter_event_loop_add_timeout (loop, 0.01, lock_tick, &lock, NULL);
  iterate_until (loop, &lock.done);
  g_assert_cmpuint (lock.waits, ==, waits);
}

static const gchar *backends[] = { "glib", "libev" };

static void
add_test (const gchar *name, GTestDataFunc func)
{
  for (gsize i = 0; i < G_N_ELEMENTS (backends); i++) {
    g_autofree gchar *path = g_strdup_printf ("/io/event-loop/%s/%s",
                                              backends[i], name);

    g_test_add_data_func (path, backends[i], func);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  add_test ("io/readable", test_io_readable);
  add_test ("io/writable", test_io_writable);
  add_test ("io/hang-up", test_io_hang_up);
  add_test ("io/invalid-fd", test_io_invalid_fd);
  add_test ("timeout/order", test_timeout_order);
  add_test ("timeout/repeat", test_timeout_repeat);
  add_test ("timeout/zero-repeats", test_timeout_zero_repeats);
  add_test ("idle", test_idle);
  add_test ("child", test_child);
  add_test ("child/invalid", test_child_invalid);
  add_test ("remove/self-in-callback", test_remove_self_in_callback);
  add_test ("remove/other-in-callback", test_remove_other_in_callback);
  add_test ("remove/before-dispatch", test_remove_before_dispatch);
  add_test ("quit/from-callback", test_quit_from_callback);
  add_test ("iterate/non-blocking", test_iterate_non_blocking);
  add_test ("finalize/notifies", test_finalize_notifies);
  add_test ("lock", test_lock);
  g_test_add_func ("/io/event-loop/new-by-name", test_new_by_name);
  g_test_add_func ("/io/event-loop/glib/context", test_glib_context);
  g_test_add_func ("/io/event-loop/libev/default-loop/child",
                   test_libev_default_loop_child);

  return g_test_run ();
}

/*
 * milter-client-pool - a few threads serving the event loops of many sessions
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-pool.h>
 *
 *   MilterClientPool *pool = _milter_client_pool_new (&error);
 *   MilterEventLoop *loop = _milter_client_pool_new_loop (pool);
 *   milter_event_loop_watch_io (loop, fd, G_IO_IN, func, data, NULL);
 *   milter_event_loop_add_idle (loop, func, data, NULL);  (any thread)
 *   _milter_client_pool_free (pool);  (waits until every loop is gone)
 *
 * DESCRIPTION
 *   The multi-thread runner's sessions, the way Sendmail's libmilter runs
 *   them with its worker pool: a session holds a thread only while one of
 *   its callbacks runs, so an idle connection costs its objects and no
 *   thread, stack or per-thread cache.
 *
 *   Each session gets a loop of its own (a MilterEventLoop, so the
 *   context, reader, writer and timers work on it unchanged) whose
 *   watches live in one epoll set shared by the pool's threads. The
 *   idle threads all wait in epoll_wait(2); the kernel wakes one of them
 *   per event (descriptors are armed one-shot), and that thread runs the
 *   session's callback itself: one wake-up per command, as with a thread
 *   per session. The callbacks of one loop never run at the same time
 *   (what arrives for a loop whose callback is running waits for it), so
 *   a session's state needs no lock. When every thread is running a
 *   callback, one more is started: a callback that blocks holds up its
 *   own session only. Threads idle for a while end, down to one.
 *
 *   A loop's watches: I/O (any descriptor, at most one registration per
 *   descriptor across the pool), timeouts (one timerfd for the pool) and
 *   idles; milter_event_loop_add_idle() and milter_event_loop_remove()
 *   may be called from any thread. Not supported: child watches (0).
 *   run() blocks until quit() (the loop's watches run on the pool);
 *   iterate() runs what is ready of the loop in the calling thread.
 *
 * DIAGNOSTICS
 *   _milter_client_pool_new() fails with MILTER_CLIENT_ERROR_THREAD when
 *   the epoll set cannot be made. A thread that cannot be started is
 *   logged as [client][multi-thread][error]; the runner closes a new
 *   session when the pool has no thread at all.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-event-loop.h>

G_BEGIN_DECLS

typedef struct _MilterClientPool MilterClientPool;

G_GNUC_INTERNAL MilterClientPool *_milter_client_pool_new (GError **error);
/* Waits until every loop of the pool is finalized, then ends the
 * threads. */
G_GNUC_INTERNAL void _milter_client_pool_free (MilterClientPool *pool);
/* A new loop on the pool (any thread); the pool's first thread starts
 * with its first loop. */
G_GNUC_INTERNAL MilterEventLoop *_milter_client_pool_new_loop (MilterClientPool *pool);
/* Starts the first thread if there is none; FALSE (logged) when none
 * can be started. */
G_GNUC_INTERNAL gboolean _milter_client_pool_ensure_thread (MilterClientPool *pool);
/* Runs func in the calling thread as one of the loop's callbacks (the
 * loop's other callbacks wait for it); what became ready meanwhile is
 * then left to the pool's threads. For a session's first callback in
 * the accepting thread: no thread hand-off before the first command. */
G_GNUC_INTERNAL void _milter_client_pool_run_first (MilterEventLoop *loop,
                                                    MilterEventLoopFunc func,
                                                    gpointer user_data);
/* No watch and no thread on it: nothing of the pool touches what its
 * callbacks used any more (so a finished session's objects may be
 * reused from another thread). */
G_GNUC_INTERNAL gboolean _milter_client_pool_loop_is_idle (MilterEventLoop *loop);
/* Threads alive now (for tests and statistics). */
G_GNUC_INTERNAL guint _milter_client_pool_get_n_threads (MilterClientPool *pool);

G_END_DECLS

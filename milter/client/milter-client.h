/*
 * milter-client - a milter server process: listen, accept, run sessions
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client.h>
 *
 *   MilterClient *client = milter_client_new ();
 *   milter_client_set_connection_spec (client, "inet:10025@[127.0.0.1]", &error);
 *   g_signal_connect (client, "connection-established", G_CALLBACK (cb), NULL);
 *   milter_client_run (client, &error);
 *
 * DESCRIPTION
 *   MilterClient listens on a connection spec (unix, inet, inet6), accepts
 *   connections and runs one MilterClientContext per session. The program
 *   connects its event handlers to each context in
 *   "connection-established".
 *
 *   run() does, in order: create the event loop (glib or libev), listen
 *   (an existing unix socket file is replaced only when it is a socket
 *   nobody listens on, and only with remove-unix-socket-on-create; a live
 *   socket or anything else at the path fails the start; the socket gets
 *   its mode at bind(2) and its group before listen(2)), emit
 *   "listen-started", acquire the PID file (locked; refused when another
 *   live process holds it), daemonize if asked (the PID file then names
 *   the daemon), switch user and group (an error when not root), then
 *   run the single-thread runner (everything in the event loop of the calling
 *   thread; the default) or the multi-thread runner (the calling thread
 *   accepts; each session gets an event loop of the session pool,
 *   milter-client-pool.c: its handlers run in whichever pool thread
 *   serves its event, one at a time, and an idle session takes no
 *   thread). With n-workers > 0, run() is a
 *   master that forks that many worker processes sharing the listening
 *   socket, restarts a worker that dies, stops them on SIGTERM/SIGINT, and
 *   passes SIGHUP and SIGUSR1 on to them (a worker ignores both until its
 *   owner installs handlers in "worker-started").
 *   SIGTERM and SIGINT end run() cleanly (socket file and PID file
 *   removed, each only while still ours: the socket we bound, the file
 *   holding our PID) when handle-signals is on (the default).
 *
 *   Accepting pauses while max-connections sessions run. When accept(2)
 *   fails for lack of descriptors (EMFILE, ENFILE), the client stops
 *   watching the listening socket and tries again after suspend-time
 *   seconds: it never spins on a socket it cannot serve.
 *
 *   Every maintenance-interval finished sessions, and whenever the last
 *   running session finishes, "maintain" is emitted; its default handler
 *   logs the statistics line "[sessions][finished] TOTAL(+DELTA) PROCESSING".
 *   In the multi-thread runner, when "maintain" has no handler of its own
 *   and that line is not logged, sessions are counted as they finish but
 *   "maintain" waits for the accepting thread's next wake-up.
 *
 * SIGNALS
 *   "connection-established" (MilterClientContext *context): a session
 *     starts; connect handlers to context here. Emitted in the accepting
 *     thread as soon as the connection is accepted (in the multi-thread
 *     runner too, where the session's other handlers then run in pool
 *     threads, one at a time): it must not block.
 *   "listen-started" (): the socket is listening (milter_client_get_listen_fd).
 *   "worker-started" (): in a worker process of a multi-worker master, its
 *     event loop exists (milter_client_get_event_loop) and accepting is
 *     about to start.
 *   "maintain" (): periodic maintenance, in the accepting thread.
 *
 * DIAGNOSTICS
 *   Logged with the catalogued tags: [client][prepare][error],
 *   [client][prepare][listen][error], [client][error][unix],
 *   [client][unix][error], [client][pid-file][save][error],
 *   [client][pid-file][error][remove], [client][single-thread][start][error],
 *   [client][single-thread][accept][start][error],
 *   [client][multi-thread][start][error], [client][multi-thread][accept][error],
 *   [client][multi-thread][error], [client][watch][error],
 *   [client][error][accept], [client][accept][suspend],
 *   [client][accept][resume], [client][run][success][cleanup][error],
 *   [client][run][fail][cleanup][error], [client][main][error],
 *   [client][connection-spec][default][error], [client][master][run][error],
 *   [client][worker][run][error], [client][worker][run][listen][error],
 *   [client][workers][run][listen][error], [sessions][finished].
 *   Errors are in MILTER_CLIENT_ERROR.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/client/milter-client-context.h>

G_BEGIN_DECLS

#define MILTER_CLIENT_ERROR (milter_client_error_quark ())
GQuark milter_client_error_quark (void);

typedef enum {
  MILTER_CLIENT_ERROR_SPEC,
  MILTER_CLIENT_ERROR_PREPARE,
  MILTER_CLIENT_ERROR_LISTEN,
  MILTER_CLIENT_ERROR_UNIX_SOCKET,
  MILTER_CLIENT_ERROR_ACCEPT,
  MILTER_CLIENT_ERROR_WATCH,
  MILTER_CLIENT_ERROR_THREAD,
  MILTER_CLIENT_ERROR_PROCESS,
  MILTER_CLIENT_ERROR_CLEANUP
} MilterClientErrorCode;

/* Seconds to wait before accepting again after EMFILE/ENFILE. */
#define MILTER_CLIENT_DEFAULT_SUSPEND_TIME 5.0
#define MILTER_CLIENT_DEFAULT_CONNECTION_SPEC "inet:10025@[127.0.0.1]"
#define MILTER_CLIENT_DEFAULT_MAINTENANCE_INTERVAL 100

#define MILTER_TYPE_CLIENT (milter_client_get_type ())
G_DECLARE_FINAL_TYPE (MilterClient, milter_client, MILTER, CLIENT, GObject)

MilterClient *milter_client_new (void);

gboolean milter_client_set_connection_spec (MilterClient *client,
                                            const gchar *spec,
                                            GError **error);
/* Used when no connection spec is set; a bad one is logged as
 * [client][connection-spec][default][error]. */
gboolean milter_client_set_default_connection_spec (MilterClient *client,
                                                    const gchar *spec,
                                                    GError **error);
const gchar *milter_client_get_connection_spec (MilterClient *client);

void milter_client_set_unix_socket_mode (MilterClient *client, guint mode);
void milter_client_set_unix_socket_group (MilterClient *client,
                                          const gchar *group);
void milter_client_set_remove_unix_socket_on_create (MilterClient *client,
                                                     gboolean remove);
void milter_client_set_remove_unix_socket_on_close (MilterClient *client,
                                                    gboolean remove);
/* 0: no limit. */
void milter_client_set_max_connections (MilterClient *client, guint max);
guint milter_client_get_max_connections (MilterClient *client);
/* "glib" (default) or "libev". */
void milter_client_set_event_loop_backend (MilterClient *client,
                                           const gchar *backend);
const gchar *milter_client_get_event_loop_backend (MilterClient *client);
void milter_client_set_packet_buffer_size (MilterClient *client, gsize size);
/* Each session's idle and write timeout in seconds (0: none); default
 * MILTER_CLIENT_CONTEXT_DEFAULT_TIMEOUT, libmilter's 7210 s. Set on every
 * new context before connection-established, which may still change it. */
void milter_client_set_session_timeout (MilterClient *client, gdouble seconds);
gdouble milter_client_get_session_timeout (MilterClient *client);
void milter_client_set_n_workers (MilterClient *client, guint n_workers);
guint milter_client_get_n_workers (MilterClient *client);
void milter_client_set_multi_thread (MilterClient *client,
                                     gboolean multi_thread);
/* Multi-thread runner: a finished session's context (with its reader,
 * writer and loop) is kept and reset for a later connection instead of
 * being made anew (about a fifth of a short session's work). Only for an
 * owner that attaches to contexts through milter_client_context_set_events()
 * alone (no signal handlers, no data, no reference kept after its
 * "finished" hook). Off by default. */
void milter_client_set_reuse_contexts (MilterClient *client, gboolean reuse);
void milter_client_set_pid_file (MilterClient *client, const gchar *path);
void milter_client_set_daemon (MilterClient *client, gboolean daemon);
void milter_client_set_user (MilterClient *client, const gchar *user);
void milter_client_set_group (MilterClient *client, const gchar *group);
void milter_client_set_suspend_time (MilterClient *client, gdouble seconds);
/* 0: only when the last session finishes. */
void milter_client_set_maintenance_interval (MilterClient *client,
                                             guint n_sessions);
void milter_client_set_handle_signals (MilterClient *client, gboolean handle);
/* The loop of the accepting thread, available from "listen-started" on. */
MilterEventLoop *milter_client_get_event_loop (MilterClient *client);
gint milter_client_get_listen_fd (MilterClient *client);
guint milter_client_get_n_processing_sessions (MilterClient *client);
guint64 milter_client_get_n_finished_sessions (MilterClient *client);
gboolean milter_client_is_accept_suspended (MilterClient *client);

/* Everything above, until shutdown() or a signal. */
gboolean milter_client_run (MilterClient *client, GError **error);
/* One worker on a descriptor already bound (inherited, or from a socket
 * activation): listen(2) on it and run the single- or multi-thread runner. */
gboolean milter_client_run_worker (MilterClient *client,
                                   gint listen_fd,
                                   GError **error);
/* Stops accepting and ends run(). Sessions in flight are closed by the
 * single-thread runner; the multi-thread runner waits for its sessions
 * to finish. Safe from any handler of the accepting thread. */
void milter_client_shutdown (MilterClient *client);

/* The rule for watching the listening socket. */
gboolean milter_client_accept_allowed (guint n_processing,
                                       guint max_connections,
                                       gboolean suspended);
/* The multi-thread runner's rule: whether a session that finished in a
 * pool thread wakes the accepting thread at once (a max-connections
 * limit to lift; maintenance due: after the last session or every
 * maintenance_interval, when maintain_wanted says "maintain" does
 * something) or is counted with a later wake-up. n_unreported counts
 * this session. */
gboolean milter_client_finished_needs_notice (guint n_processing,
                                              guint n_unreported,
                                              guint max_connections,
                                              guint maintenance_interval,
                                              gboolean maintain_wanted);
/* "TOTAL(+DELTA) PROCESSING" for [sessions][finished]. */
gchar *milter_client_format_statistics (guint64 total,
                                        guint64 previous_total,
                                        guint processing);

G_END_DECLS

/*
 * milter-client-private - MilterClient internals shared by its files
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-private.h>
 *
 * DESCRIPTION
 *   The instance struct of MilterClient and the internal functions by
 *   which its files work together. Not installed; every function here is
 *   G_GNUC_INTERNAL (not exported from the library). The files:
 *
 *     milter-client.c           the object: settings, signals, rules
 *     milter-client-listener.c  the listening socket and its file
 *     milter-client-accept.c    watching the socket, accept, suspension
 *     milter-client-sessions.c  one context per connection, in this
 *                               thread or in a pool thread; maintenance
 *     milter-client-signals.c   SIGTERM and SIGINT end the run
 *     milter-client-daemon.c    PID file, daemonizing, privilege drop
 *     milter-client-runner.c    run(), run_worker(), shutdown(), cleanup
 *     milter-client-workers.c   the multi-worker master
 *
 * DIAGNOSTICS
 *   None.
 */
#pragma once

#include <signal.h>

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-socket.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-process.h>
#include <milter/client/milter-client-pool.h>

G_BEGIN_DECLS

/* Accepted connections handled per wake-up before other events get a turn. */
#define MILTER_CLIENT_ACCEPT_BURST 64

/* Finished contexts kept for reuse at most (each a few kB). */
#define MILTER_CLIENT_MAX_SPARE_CONTEXTS 64

struct _MilterClient {
  GObject parent_instance;

  /* Settings. */
  gchar *spec_text;
  gchar *default_spec_text;
  guint unix_socket_mode;
  gchar *unix_group;
  gboolean remove_unix_socket_on_create;
  gboolean remove_unix_socket_on_close;
  guint max_connections;
  gchar *backend;
  gsize packet_buffer_size;
  gdouble session_timeout;
  guint n_workers;
  gboolean multi_thread;
  gchar *pid_file;
  gboolean daemon;
  gchar *user;
  gchar *group;
  gdouble suspend_time;
  guint maintenance_interval;
  gboolean handle_signals;

  /* Running state. */
  MilterEventLoop *loop;
  gint listen_fd;
  /* Whether connections accepted from nodelay_fd (the listener it was
   * learnt from; -1: not yet) need TCP_NODELAY set (TCP, not inherited). */
  gint nodelay_fd;
  gboolean nodelay_needed;
  /* The socket file we bound, to remove on close while still ours. */
  gchar *unix_path;
  MilterSocketFileId unix_id;
  /* Locked from the start until cleanup (master and single process). */
  MilterClientPidFile *held_pid_file;
  gboolean accepting;
  gboolean quitting;
  gboolean suspended;
  guint accept_watch;
  guint suspend_timer;
  GError *run_error;
  GHashTable *contexts;
  MilterClientPool *pool;
  gint notify_pipe[2];
  gint n_processing;
  /* Pooled sessions finished and not yet counted in n_finished by the
   * accepting thread (atomic). */
  gint n_finished_unreported;
  guint64 n_finished;
  guint64 n_finished_at_maintenance;
  guint64 n_finished_at_statistics;
  /* milter_client_set_reuse_contexts(): finished pooled contexts, each
   * with the session's reference, pushed by pool threads and taken by
   * the accepting thread. */
  gboolean reuse_contexts;
  GMutex spare_lock;
  gboolean spares_closed;   /* the run is ending: keep no more */
  guint n_spare_contexts;
  MilterClientContext *spare_contexts[MILTER_CLIENT_MAX_SPARE_CONTEXTS];
};

/* milter-client-sessions.c: the spare contexts are unreferenced and no
 * more are kept until the next run's pool. */
G_GNUC_INTERNAL void _milter_client_drop_spare_contexts (MilterClient *self);

/* milter-client.c */
G_GNUC_INTERNAL void _milter_client_emit_connection_established (MilterClient *self,
                                                                 MilterClientContext *context);
G_GNUC_INTERNAL void _milter_client_emit_listen_started (MilterClient *self);
G_GNUC_INTERNAL void _milter_client_emit_worker_started (MilterClient *self);
G_GNUC_INTERNAL void _milter_client_emit_maintain (MilterClient *self);
G_GNUC_INTERNAL gboolean _milter_client_maintain_wanted (MilterClient *self);

/* milter-client-listener.c */
G_GNUC_INTERNAL gboolean _milter_client_listen (MilterClient *self,
                                                gboolean master,
                                                GError **error);
G_GNUC_INTERNAL gboolean _milter_client_close_listener (MilterClient *self,
                                                        gboolean remove_file,
                                                        GError **error);

/* milter-client-accept.c */
G_GNUC_INTERNAL void _milter_client_update_accept_watch (MilterClient *self);
G_GNUC_INTERNAL void _milter_client_stop_accepting (MilterClient *self);
G_GNUC_INTERNAL void _milter_client_fail_run (MilterClient *self,
                                              const GError *error);

/* milter-client-sessions.c */
G_GNUC_INTERNAL void _milter_client_start_session (MilterClient *self,
                                                   gint fd);
G_GNUC_INTERNAL gboolean _milter_client_session_thread_done (gint fd,
                                                             GIOCondition condition,
                                                             gpointer user_data);
G_GNUC_INTERNAL void _milter_client_end_sessions (MilterClient *self);

/* milter-client-signals.c */
typedef struct {
  gint pipe[2];
  guint watch;
  struct sigaction old_term;
  struct sigaction old_int;
  MilterEventLoop *loop;
} MilterClientSignalState;

G_GNUC_INTERNAL void _milter_client_signals_install (MilterClient *self,
                                                     MilterClientSignalState *state);
G_GNUC_INTERNAL void _milter_client_signals_uninstall (MilterClientSignalState *state);

/* milter-client-daemon.c */
G_GNUC_INTERNAL gboolean _milter_client_become_daemon (MilterClient *self,
                                                       GError **error);
G_GNUC_INTERNAL gboolean _milter_client_release_pid_file (MilterClient *self,
                                                          GError **error);
G_GNUC_INTERNAL void _milter_client_abandon_pid_file (MilterClient *self);

/* milter-client-runner.c */
G_GNUC_INTERNAL gboolean _milter_client_prepare_loop (MilterClient *self,
                                                      GError **error);
G_GNUC_INTERNAL gboolean _milter_client_cleanup (MilterClient *self,
                                                 gboolean remove_files,
                                                 GError **error);
G_GNUC_INTERNAL gboolean _milter_client_finish_run (MilterClient *self,
                                                    GError *run_error,
                                                    GError **error);

/* milter-client-workers.c */
G_GNUC_INTERNAL gboolean _milter_client_run_master (MilterClient *self,
                                                    GError **error);

G_END_DECLS

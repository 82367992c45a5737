/*
 * milter-client-private - MilterClient internals shared by its files
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-private.h>
 *
 * DESCRIPTION
 *   The instance struct of MilterClient and the steps of run() that the
 *   multi-worker master (milter-client-workers.c) reuses. Not installed.
 *
 * DIAGNOSTICS
 *   None.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-process.h>

G_BEGIN_DECLS

/* A failure preparing the unix socket: its own code, or the group lookup
 * it made (passed up with that lookup's domain and code). */
static inline gboolean
_milter_client_error_is_unix_socket (const GError *error)
{
  return g_error_matches (error, MILTER_CLIENT_ERROR,
                          MILTER_CLIENT_ERROR_UNIX_SOCKET) ||
         g_error_matches (error, MILTER_CLIENT_PROCESS_ERROR,
                          MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_GROUP);
}

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
  gchar *unix_path;
  gboolean pid_file_saved;
  gboolean accepting;
  gboolean quitting;
  gboolean suspended;
  guint accept_watch;
  guint suspend_timer;
  GError *run_error;
  GHashTable *contexts;
  GThreadPool *pool;
  gint notify_pipe[2];
  gint n_processing;
  guint64 n_finished;
  guint64 n_finished_at_maintenance;
  guint64 n_finished_at_statistics;
};

/* Shared between the library's files only: not exported (see
 * test/check-exports.sh). */
G_GNUC_INTERNAL gboolean _milter_client_prepare_loop (MilterClient *self,
                                                      GError **error);
G_GNUC_INTERNAL gboolean _milter_client_listen (MilterClient *self,
                                                GError **error);
G_GNUC_INTERNAL gboolean _milter_client_become_daemon (MilterClient *self,
                                                       gboolean pid_file,
                                                       GError **error);
G_GNUC_INTERNAL gboolean _milter_client_cleanup (MilterClient *self,
                                                 gboolean remove_files,
                                                 GError **error);
G_GNUC_INTERNAL gboolean _milter_client_run_master (MilterClient *self,
                                                    GError **error);

G_END_DECLS

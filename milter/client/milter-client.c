/*
 * milter-client - a milter server process: listen, accept, run sessions
 *
 * SYNOPSIS
 *   MilterClient *milter_client_new (void);
 *   gboolean milter_client_run (client, &error);
 *   gboolean milter_client_run_worker (client, listen_fd, &error);
 *   void milter_client_shutdown (client);
 *   gboolean milter_client_accept_allowed (n_processing, max, suspended);
 *   gchar *milter_client_format_statistics (total, previous_total, processing);
 *
 * DESCRIPTION
 *   See milter-client.h. The accept callback only moves descriptors; the
 *   decision whether to watch the listening socket is
 *   milter_client_accept_allowed(), re-evaluated whenever a session starts
 *   or finishes and when a suspension ends. The multi-worker master lives
 *   in milter-client-workers.c.
 *
 * DIAGNOSTICS
 *   See milter-client.h; each catalogued tag list is written once below.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <glib-object.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-glib-event-loop.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-socket.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>
#include <milter/client/milter-client-process.h>

G_DEFINE_QUARK (milter-client-error-quark, milter_client_error)

enum {
  SIGNAL_CONNECTION_ESTABLISHED,
  SIGNAL_LISTEN_STARTED,
  SIGNAL_MAINTAIN,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* Accepted connections handled per wake-up before other events get a turn. */
#define ACCEPT_BURST 64

G_DEFINE_TYPE (MilterClient, milter_client, G_TYPE_OBJECT)

/* ---- rules ---- */

gboolean
milter_client_accept_allowed (guint n_processing,
                              guint max_connections,
                              gboolean suspended)
{
  if (suspended)
    return FALSE;
  return max_connections == 0 || n_processing < max_connections;
}

gchar *
milter_client_format_statistics (guint64 total,
                                 guint64 previous_total,
                                 guint processing)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT "(+%" G_GUINT64_FORMAT ") %u",
                          total,
                          total >= previous_total ? total - previous_total : 0,
                          processing);
}

/* ---- object ---- */

static void
milter_client_finalize (GObject *object)
{
  MilterClient *self = MILTER_CLIENT (object);

  g_free (self->spec_text);
  g_free (self->default_spec_text);
  g_free (self->unix_group);
  g_free (self->backend);
  g_free (self->pid_file);
  g_free (self->user);
  g_free (self->group);
  g_free (self->unix_path);
  g_clear_pointer (&self->contexts, g_hash_table_unref);
  g_clear_object (&self->loop);
  if (self->listen_fd >= 0)
    close (self->listen_fd);

  G_OBJECT_CLASS (milter_client_parent_class)->finalize (object);
}

static void
default_maintain (MilterClient *self)
{
  g_autofree gchar *figures = NULL;
  guint64 finished = self->n_finished;

  figures = milter_client_format_statistics (finished,
                                             self->n_finished_at_statistics,
                                             milter_client_get_n_processing_sessions (self));
  self->n_finished_at_statistics = finished;
  milter_statistics (0, "[sessions][finished] %s", figures);
}

static void
milter_client_class_init (MilterClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = milter_client_finalize;

  signals[SIGNAL_CONNECTION_ESTABLISHED] =
    g_signal_new ("connection-established", MILTER_TYPE_CLIENT,
                  G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  MILTER_TYPE_CLIENT_CONTEXT);
  signals[SIGNAL_LISTEN_STARTED] =
    g_signal_new ("listen-started", MILTER_TYPE_CLIENT, G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_MAINTAIN] =
    g_signal_new_class_handler ("maintain", MILTER_TYPE_CLIENT,
                                G_SIGNAL_RUN_LAST,
                                G_CALLBACK (default_maintain), NULL, NULL,
                                NULL, G_TYPE_NONE, 0);
}

static void
milter_client_init (MilterClient *self)
{
  self->listen_fd = -1;
  self->remove_unix_socket_on_create = TRUE;
  self->remove_unix_socket_on_close = TRUE;
  self->suspend_time = MILTER_CLIENT_DEFAULT_SUSPEND_TIME;
  self->maintenance_interval = MILTER_CLIENT_DEFAULT_MAINTENANCE_INTERVAL;
  self->handle_signals = TRUE;
  self->notify_pipe[0] = self->notify_pipe[1] = -1;
  self->contexts = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                          g_object_unref, NULL);
}

MilterClient *
milter_client_new (void)
{
  return g_object_new (MILTER_TYPE_CLIENT, NULL);
}

/* ---- settings ---- */

gboolean
milter_client_set_connection_spec (MilterClient *client,
                                   const gchar *spec,
                                   GError **error)
{
  g_autoptr (MilterConnectionSpec) parsed = NULL;

  g_return_val_if_fail (MILTER_IS_CLIENT (client), FALSE);
  if (spec) {
    parsed = milter_connection_spec_parse (spec, error);
    if (!parsed)
      return FALSE;
  }
  g_free (client->spec_text);
  client->spec_text = g_strdup (spec);
  return TRUE;
}

gboolean
milter_client_set_default_connection_spec (MilterClient *client,
                                           const gchar *spec,
                                           GError **error)
{
  g_autoptr (MilterConnectionSpec) parsed = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (MILTER_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  parsed = milter_connection_spec_parse (spec, &local_error);
  if (!parsed) {
    milter_error (0, "[client][connection-spec][default][error] %s",
                  local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  g_free (client->default_spec_text);
  client->default_spec_text = g_strdup (spec);
  return TRUE;
}

const gchar *
milter_client_get_connection_spec (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), NULL);
  if (client->spec_text)
    return client->spec_text;
  if (client->default_spec_text)
    return client->default_spec_text;
  return MILTER_CLIENT_DEFAULT_CONNECTION_SPEC;
}

void
milter_client_set_unix_socket_mode (MilterClient *client, guint mode)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->unix_socket_mode = mode;
}

void
milter_client_set_unix_socket_group (MilterClient *client, const gchar *group)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  g_free (client->unix_group);
  client->unix_group = g_strdup (group);
}

void
milter_client_set_remove_unix_socket_on_create (MilterClient *client,
                                                gboolean remove)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->remove_unix_socket_on_create = remove;
}

void
milter_client_set_remove_unix_socket_on_close (MilterClient *client,
                                               gboolean remove)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->remove_unix_socket_on_close = remove;
}

void
milter_client_set_max_connections (MilterClient *client, guint max)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->max_connections = max;
}

guint
milter_client_get_max_connections (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), 0);
  return client->max_connections;
}

void
milter_client_set_event_loop_backend (MilterClient *client,
                                      const gchar *backend)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  g_free (client->backend);
  client->backend = g_strdup (backend);
}

const gchar *
milter_client_get_event_loop_backend (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), NULL);
  return client->backend ? client->backend : "glib";
}

void
milter_client_set_packet_buffer_size (MilterClient *client, gsize size)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->packet_buffer_size = size;
}

void
milter_client_set_n_workers (MilterClient *client, guint n_workers)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->n_workers = n_workers;
}

guint
milter_client_get_n_workers (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), 0);
  return client->n_workers;
}

void
milter_client_set_multi_thread (MilterClient *client, gboolean multi_thread)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->multi_thread = multi_thread;
}

void
milter_client_set_pid_file (MilterClient *client, const gchar *path)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  g_free (client->pid_file);
  client->pid_file = path ? g_canonicalize_filename (path, NULL) : NULL;
}

void
milter_client_set_daemon (MilterClient *client, gboolean daemon)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->daemon = daemon;
}

void
milter_client_set_user (MilterClient *client, const gchar *user)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  g_free (client->user);
  client->user = g_strdup (user);
}

void
milter_client_set_group (MilterClient *client, const gchar *group)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  g_free (client->group);
  client->group = g_strdup (group);
}

void
milter_client_set_suspend_time (MilterClient *client, gdouble seconds)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->suspend_time = seconds > 0 ? seconds : 0.001;
}

void
milter_client_set_maintenance_interval (MilterClient *client,
                                        guint n_sessions)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->maintenance_interval = n_sessions;
}

void
milter_client_set_handle_signals (MilterClient *client, gboolean handle)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->handle_signals = handle;
}

MilterEventLoop *
milter_client_get_event_loop (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), NULL);
  return client->loop;
}

gint
milter_client_get_listen_fd (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), -1);
  return client->listen_fd;
}

guint
milter_client_get_n_processing_sessions (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), 0);
  return (guint) g_atomic_int_get (&client->n_processing);
}

guint64
milter_client_get_n_finished_sessions (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), 0);
  return client->n_finished;
}

gboolean
milter_client_is_accept_suspended (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), FALSE);
  return client->suspended;
}

/* ---- listening ---- */

/* Creates the event loop of the accepting thread. */
gboolean
_milter_client_prepare_loop (MilterClient *self, GError **error)
{
  if (self->loop)
    return TRUE;
  self->loop = milter_event_loop_new_by_name (self->backend, error);
  return self->loop != NULL;
}

static gboolean
prepare_unix_socket (MilterClient *self, const gchar *path, GError **error)
{
  gid_t gid;

  if (self->unix_socket_mode != 0 &&
      chmod (path, self->unix_socket_mode) == -1) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_UNIX_SOCKET,
                 "cannot change mode of '%s' to %04o: %s", path,
                 self->unix_socket_mode, g_strerror (errno));
    return FALSE;
  }
  if (self->unix_group) {
    g_autoptr (GError) local_error = NULL;

    if (!milter_client_find_group (self->unix_group, &gid, &local_error)) {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "cannot change group of '%s': ", path);
      return FALSE;
    }
    if (chown (path, (uid_t) -1, gid) == -1) {
      g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_UNIX_SOCKET,
                   "cannot change group of '%s' to %s: %s", path,
                   self->unix_group, g_strerror (errno));
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
_milter_client_listen (MilterClient *self, GError **error)
{
  g_autoptr (MilterConnectionSpec) spec = NULL;
  g_autoptr (GError) local_error = NULL;
  gint fd;

  if (self->listen_fd >= 0)
    return TRUE;
  spec = milter_connection_spec_parse (milter_client_get_connection_spec (self),
                                       &local_error);
  if (!spec) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  if (spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX &&
      self->remove_unix_socket_on_create &&
      g_unlink (spec->path) == -1 && errno != ENOENT) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_UNIX_SOCKET,
                 "cannot remove existing '%s': %s", spec->path,
                 g_strerror (errno));
    return FALSE;
  }
  fd = milter_socket_listen (spec, SOMAXCONN, &local_error);
  if (fd < 0) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  if (spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX) {
    if (!prepare_unix_socket (self, spec->path, error)) {
      close (fd);
      g_unlink (spec->path);
      return FALSE;
    }
    /* Absolute: daemonizing changes the working directory. */
    g_free (self->unix_path);
    self->unix_path = g_canonicalize_filename (spec->path, NULL);
  }
  self->listen_fd = fd;
  return TRUE;
}

/* Logs a listen failure with the tag of its kind. */
static void
log_listen_error (const GError *error)
{
  if (_milter_client_error_is_unix_socket (error))
    milter_error (0, "[client][error][unix] %s", error->message);
  else if (error->domain == MILTER_SOCKET_ERROR ||
           g_error_matches (error, MILTER_CLIENT_ERROR,
                            MILTER_CLIENT_ERROR_LISTEN))
    milter_error (0, "[client][prepare][listen][error] %s", error->message);
  else
    milter_error (0, "[client][prepare][error] %s", error->message);
}

/* Closes the socket; the master and single processes also remove the
 * socket file and the PID file. */
gboolean
_milter_client_cleanup (MilterClient *self, gboolean remove_files,
                        GError **error)
{
  g_autoptr (GError) first = NULL;

  if (self->suspend_timer && self->loop)
    milter_event_loop_remove (self->loop, self->suspend_timer);
  self->suspend_timer = 0;
  if (self->accept_watch && self->loop)
    milter_event_loop_remove (self->loop, self->accept_watch);
  self->accept_watch = 0;
  self->suspended = FALSE;
  if (self->listen_fd >= 0) {
    close (self->listen_fd);
    self->listen_fd = -1;
  }
  if (remove_files && self->unix_path && self->remove_unix_socket_on_close &&
      g_unlink (self->unix_path) == -1 && errno != ENOENT) {
    milter_error (0, "[client][unix][error] cannot remove '%s': %s",
                  self->unix_path, g_strerror (errno));
    g_set_error (&first, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_CLEANUP,
                 "cannot remove '%s': %s", self->unix_path,
                 g_strerror (errno));
  }
  g_clear_pointer (&self->unix_path, g_free);
  if (remove_files && self->pid_file_saved) {
    g_autoptr (GError) local_error = NULL;

    self->pid_file_saved = FALSE;
    if (!milter_client_pid_file_remove (self->pid_file, &local_error)) {
      milter_error (0, "[client][pid-file][error][remove] %s",
                    local_error->message);
      if (!first)
        first = g_steal_pointer (&local_error);
    }
  }
  if (first) {
    g_propagate_error (error, g_steal_pointer (&first));
    return FALSE;
  }
  return TRUE;
}

/* Root: switch user; daemonize; save the PID file. */
gboolean
_milter_client_become_daemon (MilterClient *self, gboolean pid_file,
                              GError **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!milter_client_switch_user (self->user, self->group, &local_error)) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  if (self->daemon && !milter_client_daemonize (&local_error)) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  if (pid_file && self->pid_file) {
    if (!milter_client_pid_file_save (self->pid_file, &local_error)) {
      milter_error (0, "[client][pid-file][save][error] %s",
                    local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
    self->pid_file_saved = TRUE;
  }
  return TRUE;
}

/* ---- sessions ---- */

static void update_accept_watch (MilterClient *self);

static void
maybe_maintain (MilterClient *self)
{
  guint64 since = self->n_finished - self->n_finished_at_maintenance;

  if (milter_client_get_n_processing_sessions (self) == 0 ||
      (self->maintenance_interval > 0 &&
       since >= self->maintenance_interval)) {
    self->n_finished_at_maintenance = self->n_finished;
    g_signal_emit (self, signals[SIGNAL_MAINTAIN], 0);
  }
}

static void
session_finished (MilterClientContext *context, gpointer user_data)
{
  MilterClient *self = user_data;

  g_signal_handlers_disconnect_by_func (context, session_finished, self);
  g_atomic_int_add (&self->n_processing, -1);
  self->n_finished++;
  g_hash_table_remove (self->contexts, context);
  maybe_maintain (self);
  update_accept_watch (self);
}

static MilterClientContext *
new_context (MilterClient *self, MilterEventLoop *loop, gint fd)
{
  MilterClientContext *context = milter_client_context_new ();

  milter_agent_set_event_loop (MILTER_AGENT (context), loop);
  milter_agent_set_session_id (MILTER_AGENT (context),
                               milter_agent_next_session_id ());
  milter_agent_set_fd (MILTER_AGENT (context), fd);
  milter_client_context_set_packet_buffer_size (context,
                                                self->packet_buffer_size);
  return context;
}

static void
start_context (MilterClient *self, MilterClientContext *context)
{
  g_autoptr (GError) error = NULL;

  g_signal_emit (self, signals[SIGNAL_CONNECTION_ESTABLISHED], 0, context);
  if (!milter_agent_is_shut_down (MILTER_AGENT (context)) &&
      !milter_agent_start (MILTER_AGENT (context), &error))
    milter_agent_shutdown (MILTER_AGENT (context));
}

static void
start_session_single (MilterClient *self, gint fd)
{
  MilterClientContext *context = new_context (self, self->loop, fd);

  g_atomic_int_inc (&self->n_processing);
  g_hash_table_add (self->contexts, context);
  g_signal_connect (context, "finished", G_CALLBACK (session_finished), self);
  start_context (self, context);
}

static void
session_thread_finished (MilterClientContext *context, gpointer user_data)
{
  milter_event_loop_quit (user_data);
}

/* One session in a pool thread, with an event loop of its own. */
static void
session_thread (gpointer data, gpointer user_data)
{
  MilterClient *self = user_data;
  gint fd = GPOINTER_TO_INT (data) - 1;
  g_autoptr (MilterEventLoop) loop = NULL;
  g_autoptr (MilterClientContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const guint8 done = 1;

  if (g_strcmp0 (milter_client_get_event_loop_backend (self), "glib") == 0) {
    g_autoptr (GMainContext) main_context = g_main_context_new ();

    loop = MILTER_EVENT_LOOP (milter_glib_event_loop_new (main_context));
  } else {
    loop = milter_event_loop_new_by_name (self->backend, &error);
  }
  if (!loop) {
    milter_error (0, "[client][multi-thread][error] %s", error->message);
    close (fd);
  } else {
    context = new_context (self, loop, fd);
    g_signal_connect (context, "finished",
                      G_CALLBACK (session_thread_finished), loop);
    start_context (self, context);
    if (!milter_agent_is_shut_down (MILTER_AGENT (context)))
      milter_event_loop_run (loop);
    g_signal_handlers_disconnect_by_func (context, session_thread_finished,
                                          loop);
  }
  g_atomic_int_add (&self->n_processing, -1);
  /* Wake the accepting thread: statistics, maintenance, max-connections. */
  while (write (self->notify_pipe[1], &done, 1) == -1 && errno == EINTR)
    ;
}

static gboolean
session_thread_done (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterClient *self = user_data;
  guint8 buffer[256];
  gssize n;

  (void) condition;
  while ((n = read (fd, buffer, sizeof (buffer))) > 0) {
    for (gssize i = 0; i < n; i++) {
      self->n_finished++;
      maybe_maintain (self);
    }
  }
  update_accept_watch (self);
  return G_SOURCE_CONTINUE;
}

static void
start_session_multi (MilterClient *self, gint fd)
{
  g_autoptr (GError) error = NULL;

  g_atomic_int_inc (&self->n_processing);
  /* On failure GLib keeps the session queued: the next thread that does
   * start serves it, so it is neither closed nor counted out here. */
  if (!g_thread_pool_push (self->pool, GINT_TO_POINTER (fd + 1), &error))
    milter_error (0, "[client][multi-thread][error] %s", error->message);
}

/* ---- accepting ---- */

static gboolean accept_ready (gint fd, GIOCondition condition,
                              gpointer user_data);

static void
fail_run (MilterClient *self, GError *error)
{
  if (!self->run_error)
    self->run_error = g_error_copy (error);
  milter_event_loop_quit (self->loop);
}

static gboolean
resume_accepting (gpointer user_data)
{
  MilterClient *self = user_data;

  self->suspend_timer = 0;
  self->suspended = FALSE;
  milter_warning (0, "[client][accept][resume] accepting connections again "
                  "(%u sessions running)",
                  milter_client_get_n_processing_sessions (self));
  update_accept_watch (self);
  return G_SOURCE_REMOVE;
}

static void
suspend_accepting (MilterClient *self, gint error_number)
{
  self->suspended = TRUE;
  milter_warning (0, "[client][accept][suspend] %s: not accepting for %.3gs "
                  "(%u sessions running)", g_strerror (error_number),
                  self->suspend_time,
                  milter_client_get_n_processing_sessions (self));
  self->suspend_timer = milter_event_loop_add_timeout (self->loop,
                                                       self->suspend_time,
                                                       resume_accepting,
                                                       self, NULL);
}

static void
update_accept_watch (MilterClient *self)
{
  gboolean wanted;

  if (!self->loop || self->listen_fd < 0 || !self->accepting)
    return;
  wanted = milter_client_accept_allowed (milter_client_get_n_processing_sessions (self),
                                         self->max_connections,
                                         self->suspended);
  if (wanted && !self->accept_watch) {
    self->accept_watch = milter_event_loop_watch_io (self->loop,
                                                     self->listen_fd,
                                                     G_IO_IN, accept_ready,
                                                     self, NULL);
    if (!self->accept_watch) {
      g_autoptr (GError) error =
        g_error_new (MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_WATCH,
                     "cannot watch the listening socket %d",
                     self->listen_fd);
      milter_error (0, "[client][watch][error] %s", error->message);
      fail_run (self, error);
    }
  } else if (!wanted && self->accept_watch) {
    milter_event_loop_remove (self->loop, self->accept_watch);
    self->accept_watch = 0;
  }
}

/* Errors of accept(2) that concern one connection, not the socket. */
static gboolean
accept_error_is_transient (gint error_number)
{
  switch (error_number) {
  case ECONNABORTED:
  case EPROTO:
  case EPERM:
  case ENETDOWN:
  case ENOPROTOOPT:
  case EHOSTDOWN:
  case ENONET:
  case EHOSTUNREACH:
  case EOPNOTSUPP:
  case ENETUNREACH:
  case ETIMEDOUT:
    return TRUE;
  default:
    return FALSE;
  }
}

static gboolean
accept_ready (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterClient *self = user_data;

  if (!(condition & G_IO_IN) &&
      (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))) {
    g_autoptr (GError) error =
      g_error_new (MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_WATCH,
                   "the listening socket %d reported %s%s%s", fd,
                   (condition & G_IO_ERR) ? "error " : "",
                   (condition & G_IO_HUP) ? "hang-up " : "",
                   (condition & G_IO_NVAL) ? "invalid-descriptor" : "");
    milter_error (0, "[client][watch][error] %s", error->message);
    self->accept_watch = 0;
    fail_run (self, error);
    return G_SOURCE_REMOVE;
  }

  for (guint i = 0; i < ACCEPT_BURST; i++) {
    gint client_fd;

    if (!milter_client_accept_allowed (milter_client_get_n_processing_sessions (self),
                                       self->max_connections,
                                       self->suspended)) {
      self->accept_watch = 0;
      return G_SOURCE_REMOVE;
    }
    client_fd = accept4 (fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client_fd == -1) {
      gint error_number = errno;

      if (error_number == EAGAIN || error_number == EWOULDBLOCK)
        return G_SOURCE_CONTINUE;
      if (error_number == EINTR)
        continue;
      if (error_number == EMFILE || error_number == ENFILE ||
          error_number == ENOBUFS || error_number == ENOMEM) {
        self->accept_watch = 0;
        suspend_accepting (self, error_number);
        return G_SOURCE_REMOVE;
      }
      milter_warning (0, "[client][error][accept] %s",
                      g_strerror (error_number));
      if (accept_error_is_transient (error_number))
        continue;
      {
        g_autoptr (GError) error =
          g_error_new (MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_ACCEPT,
                       "accept failed: %s", g_strerror (error_number));
        self->accept_watch = 0;
        fail_run (self, error);
      }
      return G_SOURCE_REMOVE;
    }
    milter_socket_set_tcp_nodelay (client_fd, NULL);
    if (self->pool)
      start_session_multi (self, client_fd);
    else
      start_session_single (self, client_fd);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- signals (SIGTERM, SIGINT) ---- */

static gint signal_pipe_write_fd = -1;

static void
on_signal (gint signal_number)
{
  guint8 byte = (guint8) signal_number;
  gint saved_errno = errno;

  if (signal_pipe_write_fd >= 0 &&
      write (signal_pipe_write_fd, &byte, 1) == -1) {
    /* Nothing to do: a full pipe already holds a wake-up. */
  }
  errno = saved_errno;
}

static gboolean
signal_received (gint fd, GIOCondition condition, gpointer user_data)
{
  guint8 buffer[16];

  (void) condition;
  while (read (fd, buffer, sizeof (buffer)) > 0)
    ;
  milter_client_shutdown (user_data);
  return G_SOURCE_CONTINUE;
}

typedef struct {
  gint pipe[2];
  guint watch;
  struct sigaction old_term;
  struct sigaction old_int;
  MilterEventLoop *loop;
} SignalState;

static void
signals_install (MilterClient *self, SignalState *state)
{
  struct sigaction action;

  state->pipe[0] = state->pipe[1] = -1;
  state->watch = 0;
  state->loop = NULL;
  if (!self->handle_signals || signal_pipe_write_fd >= 0 ||
      pipe2 (state->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
    return;
  state->loop = self->loop;
  state->watch = milter_event_loop_watch_io (self->loop, state->pipe[0],
                                             G_IO_IN, signal_received, self,
                                             NULL);
  signal_pipe_write_fd = state->pipe[1];
  memset (&action, 0, sizeof (action));
  action.sa_handler = on_signal;
  sigemptyset (&action.sa_mask);
  sigaction (SIGTERM, &action, &state->old_term);
  sigaction (SIGINT, &action, &state->old_int);
}

static void
signals_uninstall (SignalState *state)
{
  if (state->pipe[0] < 0)
    return;
  sigaction (SIGTERM, &state->old_term, NULL);
  sigaction (SIGINT, &state->old_int, NULL);
  signal_pipe_write_fd = -1;
  if (state->watch)
    milter_event_loop_remove (state->loop, state->watch);
  close (state->pipe[0]);
  close (state->pipe[1]);
}

/* ---- runners ---- */

/* Runs the accept loop on self->listen_fd until shutdown. */
static gboolean
run_accept_loop (MilterClient *self, GError **error)
{
  SignalState signal_state;
  g_autoptr (GError) local_error = NULL;
  guint notify_watch = 0;

  if (self->multi_thread) {
    self->pool = g_thread_pool_new (session_thread, self, -1, FALSE,
                                    &local_error);
    if (!self->pool) {
      milter_error (0, "[client][multi-thread][error] %s",
                    local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
    notify_watch = milter_event_loop_watch_io (self->loop,
                                               self->notify_pipe[0], G_IO_IN,
                                               session_thread_done, self,
                                               NULL);
  }

  self->accepting = TRUE;
  g_clear_error (&self->run_error);
  update_accept_watch (self);
  if (!self->accept_watch) {
    g_clear_error (&self->run_error);
    g_set_error (&local_error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_WATCH,
                 "cannot watch the listening socket %d", self->listen_fd);
    if (self->multi_thread)
      milter_error (0, "[client][multi-thread][accept][error] %s",
                    local_error->message);
    else
      milter_error (0, "[client][single-thread][accept][start][error] %s",
                    local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
  } else {
    signals_install (self, &signal_state);
    if (!self->quitting)
      milter_event_loop_run (self->loop);
    signals_uninstall (&signal_state);
    if (self->run_error)
      g_propagate_error (error, g_steal_pointer (&self->run_error));
  }
  self->accepting = FALSE;
  if (self->accept_watch)
    milter_event_loop_remove (self->loop, self->accept_watch);
  self->accept_watch = 0;
  if (self->suspend_timer)
    milter_event_loop_remove (self->loop, self->suspend_timer);
  self->suspend_timer = 0;
  self->suspended = FALSE;

  /* Sessions still open end with the run. */
  {
    GList *contexts = g_hash_table_get_keys (self->contexts);
    for (GList *node = contexts; node; node = node->next)
      milter_agent_shutdown (node->data);
    g_list_free (contexts);
  }
  if (self->pool) {
    /* Sessions queued while no thread could start would be waited for
     * forever: drop them (their descriptors go with the process). */
    gboolean stuck = g_thread_pool_get_num_threads (self->pool) == 0 &&
                     g_thread_pool_unprocessed (self->pool) > 0;

    if (stuck)
      g_atomic_int_add (&self->n_processing,
                        -(gint) g_thread_pool_unprocessed (self->pool));
    g_thread_pool_free (self->pool, stuck, TRUE);
    self->pool = NULL;
    session_thread_done (self->notify_pipe[0], G_IO_IN, self);
    milter_event_loop_remove (self->loop, notify_watch);
  }
  return error == NULL || *error == NULL;
}

/* The pipe by which session threads report back. Opened before
 * "listen-started" and before daemonizing (descriptors survive fork; the
 * pool's threads would not, so the pool is made later). */
static gboolean
open_notify_pipe (MilterClient *self, GError **error)
{
  if (!self->multi_thread || self->notify_pipe[0] >= 0)
    return TRUE;
  if (pipe2 (self->notify_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_THREAD,
                 "cannot create a pipe: %s", g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static void
close_notify_pipe (MilterClient *self)
{
  if (self->notify_pipe[0] < 0)
    return;
  close (self->notify_pipe[0]);
  close (self->notify_pipe[1]);
  self->notify_pipe[0] = self->notify_pipe[1] = -1;
}

static void
log_start_error (MilterClient *self, const GError *error)
{
  if (self->multi_thread)
    milter_error (0, "[client][multi-thread][start][error] %s",
                  error->message);
  else
    milter_error (0, "[client][single-thread][start][error] %s",
                  error->message);
}

static gboolean
log_cleanup (gboolean success, gboolean cleaned, const GError *error)
{
  if (cleaned)
    return TRUE;
  if (success)
    milter_error (0, "[client][run][success][cleanup][error] %s",
                  error->message);
  else
    milter_error (0, "[client][run][fail][cleanup][error] %s",
                  error->message);
  return FALSE;
}

static gboolean
run_single_process (MilterClient *self, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GError) cleanup_error = NULL;
  gboolean success = FALSE;
  gboolean cleaned;

  if (!_milter_client_prepare_loop (self, &local_error) ||
      !open_notify_pipe (self, &local_error)) {
    milter_error (0, "[client][prepare][error] %s", local_error->message);
  } else if (!_milter_client_listen (self, &local_error)) {
    log_listen_error (local_error);
  } else {
    g_signal_emit (self, signals[SIGNAL_LISTEN_STARTED], 0);
    if (_milter_client_become_daemon (self, TRUE, &local_error))
      success = TRUE;
  }
  if (!success) {
    log_start_error (self, local_error);
  } else {
    success = run_accept_loop (self, &local_error);
    if (!success && !g_error_matches (local_error, MILTER_CLIENT_ERROR,
                                      MILTER_CLIENT_ERROR_WATCH) &&
        !g_error_matches (local_error, MILTER_CLIENT_ERROR,
                          MILTER_CLIENT_ERROR_ACCEPT))
      log_start_error (self, local_error);
  }
  close_notify_pipe (self);
  cleaned = _milter_client_cleanup (self, TRUE, &cleanup_error);
  log_cleanup (success, cleaned, cleanup_error);
  if (!success) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  if (!cleaned) {
    g_propagate_error (error, g_steal_pointer (&cleanup_error));
    return FALSE;
  }
  return TRUE;
}

gboolean
milter_client_run (MilterClient *client, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean success;

  g_return_val_if_fail (MILTER_IS_CLIENT (client), FALSE);

  client->quitting = FALSE;
  if (client->n_workers > 0)
    success = _milter_client_run_master (client, &local_error);
  else
    success = run_single_process (client, &local_error);
  if (!success) {
    milter_error (0, "[client][main][error] %s", local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
  }
  return success;
}

gboolean
milter_client_run_worker (MilterClient *client, gint listen_fd, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean success = FALSE;

  g_return_val_if_fail (MILTER_IS_CLIENT (client), FALSE);

  client->quitting = FALSE;
  if (listen (listen_fd, SOMAXCONN) == -1 ||
      !milter_socket_set_nonblocking (listen_fd, TRUE, NULL)) {
    g_set_error (&local_error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_LISTEN,
                 "listen(2) on descriptor %d: %s", listen_fd,
                 g_strerror (errno));
    milter_error (0, "[client][worker][run][listen][error] %s",
                  local_error->message);
  } else if (!_milter_client_prepare_loop (client, &local_error) ||
             !open_notify_pipe (client, &local_error)) {
    milter_error (0, "[client][prepare][error] %s", local_error->message);
  } else {
    client->listen_fd = listen_fd;
    success = run_accept_loop (client, &local_error);
    /* The descriptor is the caller's (or the master's): do not close it. */
    client->listen_fd = -1;
  }
  close_notify_pipe (client);
  if (!success) {
    milter_error (0, "[client][worker][run][error] %s", local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
  }
  return success;
}

void
milter_client_shutdown (MilterClient *client)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));

  client->quitting = TRUE;
  client->accepting = FALSE;
  if (client->accept_watch && client->loop)
    milter_event_loop_remove (client->loop, client->accept_watch);
  client->accept_watch = 0;
  if (client->loop)
    milter_event_loop_quit (client->loop);
}

/*
 * milter-client - the MilterClient object: settings, signals, rules
 *
 * SYNOPSIS
 *   MilterClient *milter_client_new (void);
 *   milter_client_set_* / milter_client_get_* (see milter-client.h)
 *   gboolean milter_client_accept_allowed (n_processing, max, suspended);
 *   gchar *milter_client_format_statistics (total, previous_total, processing);
 *
 * DESCRIPTION
 *   See milter-client.h for what a MilterClient does. This file holds the
 *   object (its settings and its three signals) and the two pure rules;
 *   the work of run() is spread over the files listed in
 *   milter-client-private.h.
 *
 * DIAGNOSTICS
 *   [client][connection-spec][default][error] for a bad default spec;
 *   [sessions][finished] from the default "maintain" handler.
 */
#include "config.h"

#include <unistd.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-logger.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>

G_DEFINE_QUARK (milter-client-error-quark, milter_client_error)

enum {
  SIGNAL_CONNECTION_ESTABLISHED,
  SIGNAL_LISTEN_STARTED,
  SIGNAL_MAINTAIN,
  SIGNAL_WORKER_STARTED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

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

gboolean
milter_client_finished_needs_notice (guint n_processing,
                                     guint n_unreported,
                                     guint max_connections,
                                     guint maintenance_interval,
                                     gboolean maintain_wanted)
{
  if (max_connections > 0)
    return TRUE;
  if (!maintain_wanted)
    return FALSE;
  if (n_processing == 0)
    return TRUE;
  return maintenance_interval > 0 && n_unreported >= maintenance_interval;
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
  _milter_client_drop_spare_contexts (self);
  g_mutex_clear (&self->spare_lock);
  g_clear_object (&self->loop);
  g_clear_error (&self->run_error);
  if (self->listen_fd >= 0)
    close (self->listen_fd);
  _milter_client_abandon_pid_file (self);

  G_OBJECT_CLASS (milter_client_parent_class)->finalize (object);
}

static void
default_maintain (MilterClient *self)
{
  g_autofree gchar *figures = NULL;
  guint64 finished = self->n_finished;

  /* Runs after every session when sessions come one at a time: format
   * only for a log that takes the line. */
  if (!milter_log_is_enabled (MILTER_LOG_LEVEL_STATISTICS)) {
    self->n_finished_at_statistics = finished;
    return;
  }
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
  signals[SIGNAL_WORKER_STARTED] =
    g_signal_new ("worker-started", MILTER_TYPE_CLIENT, G_SIGNAL_RUN_LAST, 0,
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
  self->nodelay_fd = -1;
  self->remove_unix_socket_on_create = TRUE;
  self->remove_unix_socket_on_close = TRUE;
  self->suspend_time = MILTER_CLIENT_DEFAULT_SUSPEND_TIME;
  self->session_timeout = MILTER_CLIENT_CONTEXT_DEFAULT_TIMEOUT;
  self->maintenance_interval = MILTER_CLIENT_DEFAULT_MAINTENANCE_INTERVAL;
  self->handle_signals = TRUE;
  self->notify_pipe[0] = self->notify_pipe[1] = -1;
  self->contexts = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                          g_object_unref, NULL);
  g_mutex_init (&self->spare_lock);
}

MilterClient *
milter_client_new (void)
{
  return g_object_new (MILTER_TYPE_CLIENT, NULL);
}

/* ---- emitted by the other files ---- */

void
_milter_client_emit_connection_established (MilterClient *self,
                                            MilterClientContext *context)
{
  g_signal_emit (self, signals[SIGNAL_CONNECTION_ESTABLISHED], 0, context);
}

void
_milter_client_emit_listen_started (MilterClient *self)
{
  g_signal_emit (self, signals[SIGNAL_LISTEN_STARTED], 0);
}

void
_milter_client_emit_worker_started (MilterClient *self)
{
  g_signal_emit (self, signals[SIGNAL_WORKER_STARTED], 0);
}

/* Whether "maintain" does anything: a handler, or the default one's
 * statistics line. Sessions that end one at a time need not wake the
 * accepting thread otherwise. */
gboolean
_milter_client_maintain_wanted (MilterClient *self)
{
  return milter_log_is_enabled (MILTER_LOG_LEVEL_STATISTICS) ||
         g_signal_has_handler_pending (self, signals[SIGNAL_MAINTAIN], 0, TRUE);
}

void
_milter_client_emit_maintain (MilterClient *self)
{
  g_signal_emit (self, signals[SIGNAL_MAINTAIN], 0);
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
milter_client_set_session_timeout (MilterClient *client, gdouble seconds)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  g_return_if_fail (seconds >= 0);
  client->session_timeout = seconds;
}

gdouble
milter_client_get_session_timeout (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), 0);
  return client->session_timeout;
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
milter_client_set_reuse_contexts (MilterClient *client, gboolean reuse)
{
  g_return_if_fail (MILTER_IS_CLIENT (client));
  client->reuse_contexts = reuse;
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
  return client->n_finished +
         (guint64) g_atomic_int_get (&client->n_finished_unreported);
}

gboolean
milter_client_is_accept_suspended (MilterClient *client)
{
  g_return_val_if_fail (MILTER_IS_CLIENT (client), FALSE);
  return client->suspended;
}

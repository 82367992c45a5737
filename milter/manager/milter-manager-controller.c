/*
 * milter-manager-controller - the controller socket and its
 * connections. See milter-manager-controller.h.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-reader.h>
#include <milter/core/milter-socket.h>
#include <milter/core/milter-writer.h>
#include <milter/client/milter-client-process.h>
#include <milter/manager/milter-manager-controller.h>

G_DEFINE_QUARK (milter-manager-controller-error-quark, milter_manager_controller_error)

/* A client that stops reading its replies is dropped after this long. */
#define WRITE_TIMEOUT_SECONDS 60.0

/* How long accepting pauses after accept(2) failed (e.g. EMFILE): the
 * listener stays readable, so retrying at once would spin. */
#define ACCEPT_PAUSE_SECONDS 0.5

struct _MilterManagerController {
  MilterEventLoop *loop;
  MilterManagerControllerHandler handle;
  gpointer user_data;
  gchar *spec;
  gint listen_fd;
  guint listen_watch;
  guint accept_pause;
  gchar *unix_path;
  MilterSocketFileId unix_id;
  gboolean remove_on_close;
  GList *connections;
};

typedef struct {
  MilterManagerController *controller;
  GList *link;
  gint fd;
  MilterReader *reader;
  MilterWriter *writer;
  MilterManagerControlDecoder *decoder;
  GByteArray *out;          /* the replies of one read: one write */
  GString *reply;           /* one reply's payload, reused */
  MilterManagerControlWord last_reply;
  gboolean closing;
  guint free_id;
} Connection;

static void
log_write_error (MilterManagerControlWord reply, const gchar *message)
{
  switch (reply) {
  case MILTER_MANAGER_CONTROL_REPLY_SUCCESS:
    milter_error (0, "[controller][error][write][success] %s", message);
    break;
  case MILTER_MANAGER_CONTROL_REPLY_CONFIGURATION:
    milter_error (0, "[controller][error][write][configuration] %s", message);
    break;
  case MILTER_MANAGER_CONTROL_REPLY_STATUS:
    milter_error (0, "[controller][error][write][status] %s", message);
    break;
  default:
    milter_error (0, "[controller][error][write][error] %s", message);
    break;
  }
}

static void
log_decoded (MilterManagerControlWord command, gsize size)
{
  switch (command) {
  case MILTER_MANAGER_CONTROL_SET_CONFIGURATION:
    milter_debug (0, "[control-command-decoder][set-configuration] %" G_GSIZE_FORMAT, size);
    break;
  case MILTER_MANAGER_CONTROL_GET_CONFIGURATION:
    milter_debug (0, "[control-command-decoder][get-configuration]");
    break;
  case MILTER_MANAGER_CONTROL_RELOAD:
    milter_debug (0, "[control-command-decoder][reload]");
    break;
  case MILTER_MANAGER_CONTROL_GET_STATUS:
    milter_debug (0, "[control-command-decoder][get-status]");
    break;
  default:
    milter_debug (0, "[control-command-decoder][stop-child] %" G_GSIZE_FORMAT, size);
    break;
  }
}

static void
connection_free (Connection *connection)
{
  MilterManagerController *controller = connection->controller;

  if (connection->free_id)
    milter_event_loop_remove (controller->loop, connection->free_id);
  controller->connections = g_list_delete_link (controller->connections, connection->link);
  milter_reader_set_flow_func (connection->reader, NULL, NULL, NULL);
  milter_reader_set_event_funcs (connection->reader, NULL, NULL, NULL);
  milter_writer_set_event_funcs (connection->writer, NULL, NULL, NULL);
  milter_reader_stop (connection->reader);
  milter_writer_abandon (connection->writer);
  g_object_unref (connection->reader);
  g_object_unref (connection->writer);
  close (connection->fd);
  milter_manager_control_decoder_free (connection->decoder);
  g_byte_array_unref (connection->out);
  g_string_free (connection->reply, TRUE);
  g_free (connection);
}

static gboolean
free_cb (gpointer data)
{
  Connection *connection = data;
  connection->free_id = 0;
  connection_free (connection);
  return G_SOURCE_REMOVE;
}

/* Out of the callbacks of its reader and writer. */
static void
connection_drop (Connection *connection)
{
  connection->closing = TRUE;
  milter_reader_stop (connection->reader);
  if (!connection->free_id)
    connection->free_id = milter_event_loop_add_idle (connection->controller->loop, free_cb,
                                                      connection, NULL);
}

/* The replies owed are written, then the connection is freed. */
static void
connection_finish (Connection *connection)
{
  connection->closing = TRUE;
  milter_reader_stop (connection->reader);
  if (!milter_writer_shutdown (connection->writer, NULL)) {
    connection_drop (connection);
    return;
  }
  if (milter_writer_get_pending_size (connection->writer) == 0)
    connection_drop (connection);
  /* else: on "flushed" */
}

static gboolean
on_command (MilterManagerControlWord command, const guint8 *payload, gsize payload_size,
            gpointer user_data, GError **error)
{
  Connection *connection = user_data;
  MilterManagerController *controller = connection->controller;

  (void) error;
  log_decoded (command, payload_size);
  g_string_truncate (connection->reply, 0);
  MilterManagerControlWord reply = controller->handle (command, payload, payload_size,
                                                       connection->reply,
                                                       controller->user_data);
  milter_manager_control_encode_reply (connection->out, reply,
                                       (const guint8 *) connection->reply->str,
                                       connection->reply->len);
  connection->last_reply = reply;
  return TRUE;
}

static void
on_flow (MilterReader *reader, const guint8 *data, gsize size, gpointer user_data)
{
  Connection *connection = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) write_error = NULL;

  (void) reader;
  if (connection->closing)
    return;
  g_byte_array_set_size (connection->out, 0);
  if (!milter_manager_control_decoder_feed (connection->decoder, data, size, on_command,
                                            connection, &error)) {
    /* §7 #7: say what was wrong, then close; the replies before it stay. */
    milter_manager_control_encode_reply (connection->out, MILTER_MANAGER_CONTROL_REPLY_ERROR,
                                         (const guint8 *) error->message,
                                         strlen (error->message));
    connection->last_reply = MILTER_MANAGER_CONTROL_REPLY_ERROR;
    connection->closing = TRUE;
  }
  if (connection->out->len > 0 &&
      !milter_writer_write (connection->writer, connection->out->data, connection->out->len,
                            &write_error)) {
    log_write_error (connection->last_reply, write_error->message);
    connection_drop (connection);
    return;
  }
  if (connection->closing)
    connection_finish (connection);
}

static void
on_finished (MilterReader *reader, gpointer user_data)
{
  (void) reader;
  connection_finish (user_data);
}

static void
on_read_error (MilterReader *reader, GError *error, gpointer user_data)
{
  (void) reader;
  (void) error;   /* logged by the reader */
  connection_drop (user_data);
}

static void
on_flushed (MilterWriter *writer, gpointer user_data)
{
  Connection *connection = user_data;
  (void) writer;
  if (connection->closing)
    connection_drop (connection);
}

static void
on_write_error (MilterWriter *writer, GError *error, gpointer user_data)
{
  Connection *connection = user_data;
  (void) writer;
  log_write_error (connection->last_reply, error->message);
  connection_drop (connection);
}

static void
start_connection (MilterManagerController *controller, gint fd)
{
  g_autoptr (GError) error = NULL;
  Connection *connection = g_new0 (Connection, 1);

  connection->controller = controller;
  connection->fd = fd;
  connection->reader = milter_reader_new (controller->loop, fd);
  connection->writer = milter_writer_new (controller->loop, fd);
  milter_reader_set_tag (connection->reader, "controller");
  milter_writer_set_tag (connection->writer, "controller");
  milter_writer_set_timeout (connection->writer, WRITE_TIMEOUT_SECONDS);
  connection->decoder =
    milter_manager_control_decoder_new (MILTER_MANAGER_CONTROL_DECODE_COMMANDS, 0);
  connection->out = g_byte_array_new ();
  connection->reply = g_string_new (NULL);
  controller->connections = g_list_prepend (controller->connections, connection);
  connection->link = controller->connections;
  milter_reader_set_flow_func (connection->reader, on_flow, connection, NULL);
  milter_reader_set_event_funcs (connection->reader, on_finished, on_read_error, connection);
  milter_writer_set_event_funcs (connection->writer, on_flushed, on_write_error, connection);
  milter_debug (0, "[controller][accept] %d: %s", fd, controller->spec);
  if (!milter_reader_start (connection->reader, &error)) {
    milter_error (0, "[controller][error][start] %s", error->message);
    connection_free (connection);
  }
}

static void close_listener (MilterManagerController *controller, gboolean remove_file);
static gboolean on_listen (gint fd, GIOCondition condition, gpointer user_data);

static gboolean
resume_accept (gpointer user_data)
{
  MilterManagerController *controller = user_data;
  controller->accept_pause = 0;
  if (controller->listen_fd >= 0 && !controller->listen_watch)
    controller->listen_watch =
      milter_event_loop_watch_io (controller->loop, controller->listen_fd,
                                  G_IO_IN | G_IO_ERR | G_IO_HUP | G_IO_NVAL,
                                  on_listen, controller, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
is_listening (gint fd)
{
  gint listening = 0;
  socklen_t length = sizeof (listening);
  return getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening;
}

static gboolean
on_listen (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterManagerController *controller = user_data;

  if (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL)) {
    milter_error (0, "[controller][error][watch] %s: the listening socket failed (%s%s%s): "
                  "no more controller connections", controller->spec,
                  condition & G_IO_ERR ? "error" : "",
                  condition & G_IO_HUP ? " hang-up" : "",
                  condition & G_IO_NVAL ? " invalid" : "");
    controller->listen_watch = 0;
    close_listener (controller, TRUE);
    return G_SOURCE_REMOVE;
  }
  for (;;) {
    g_autoptr (GError) error = NULL;
    gint client = milter_socket_accept (fd, &error);
    if (client >= 0) {
      start_connection (controller, client);
      continue;
    }
    if (g_error_matches (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_AGAIN))
      return G_SOURCE_CONTINUE;
    milter_error (0, "[controller][error][accept] %s: %s", controller->spec, error->message);
    controller->listen_watch = 0;
    if (!is_listening (fd)) {
      /* Shut down under us: a backend that reports no hang-up on a
       * listening socket (libev) shows it only as readable. */
      milter_error (0, "[controller][error][watch] %s: the socket is no longer listening: "
                    "no more controller connections", controller->spec);
      close_listener (controller, TRUE);
      return G_SOURCE_REMOVE;
    }
    controller->accept_pause = milter_event_loop_add_timeout (controller->loop,
                                                              ACCEPT_PAUSE_SECONDS,
                                                              resume_accept, controller, NULL);
    return G_SOURCE_REMOVE;
  }
}

MilterManagerController *
milter_manager_controller_new (MilterEventLoop *loop, MilterManagerControllerHandler handle,
                               gpointer user_data)
{
  MilterManagerController *controller = g_new0 (MilterManagerController, 1);
  controller->loop = g_object_ref (loop);
  controller->handle = handle;
  controller->user_data = user_data;
  controller->listen_fd = -1;
  return controller;
}

/* The group of the new socket file (lchown: a link put there is not
 * followed), then its identity again: chown(2) changes it. */
static gboolean
set_unix_group (MilterManagerController *controller, const gchar *group, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gid_t gid;

  if (!group)
    return TRUE;
  if (!milter_client_find_group (group, &gid, &local_error)) {
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "cannot change group of '%s': ", controller->unix_path);
    return FALSE;
  }
  if (lchown (controller->unix_path, (uid_t) -1, gid) == -1) {
    g_set_error (error, MILTER_MANAGER_CONTROLLER_ERROR,
                 MILTER_MANAGER_CONTROLLER_ERROR_UNIX_SOCKET,
                 "cannot change group of '%s' to %s: %s", controller->unix_path, group,
                 g_strerror (errno));
    return FALSE;
  }
  return milter_socket_identify_unix_path (controller->unix_path, &controller->unix_id, error);
}

static gboolean
bind_and_listen (MilterManagerController *controller,
                 const MilterManagerControllerSocket *socket, gboolean *unix_failure,
                 GError **error)
{
  g_autoptr (MilterConnectionSpec) spec = milter_connection_spec_parse (socket->connection_spec,
                                                                         error);
  if (!spec)
    return FALSE;
  gboolean is_unix = spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX;
  if (is_unix) {
    g_autofree gchar *path = g_canonicalize_filename (spec->path, NULL);
    *unix_failure = TRUE;
    if (!milter_socket_clear_unix_path (path, socket->remove_unix_socket_on_create, error))
      return FALSE;
    *unix_failure = FALSE;
    controller->unix_path = g_steal_pointer (&path);
  }
  gint fd = milter_socket_bind (spec, is_unix ? socket->unix_socket_mode : 0, error);
  if (fd < 0) {
    g_clear_pointer (&controller->unix_path, g_free);
    return FALSE;
  }
  controller->listen_fd = fd;
  if (is_unix) {
    *unix_failure = TRUE;
    if (!milter_socket_identify_unix_path (controller->unix_path, &controller->unix_id, error)) {
      g_clear_pointer (&controller->unix_path, g_free);
      return FALSE;
    }
    if (!set_unix_group (controller, socket->unix_socket_group, error))
      return FALSE;
    *unix_failure = FALSE;
  }
  if (listen (fd, SOMAXCONN) == -1) {
    g_set_error (error, MILTER_MANAGER_CONTROLLER_ERROR, MILTER_MANAGER_CONTROLLER_ERROR_LISTEN,
                 "failed to listen on %s: %s", socket->connection_spec, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

gboolean
milter_manager_controller_listen (MilterManagerController *controller,
                                  const MilterManagerControllerSocket *socket, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean unix_failure = FALSE;

  g_return_val_if_fail (controller->listen_fd < 0, FALSE);
  controller->remove_on_close = socket->remove_unix_socket_on_close;
  g_free (controller->spec);
  controller->spec = g_strdup (socket->connection_spec);
  if (!bind_and_listen (controller, socket, &unix_failure, &local_error)) {
    /* A file bound here is ours to remove, whatever the setting. */
    controller->remove_on_close = TRUE;
    close_listener (controller, TRUE);
    if (unix_failure)
      milter_error (0, "[controller][error][unix] %s", local_error->message);
    else
      milter_error (0, "[controller][error][listen] %s", local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  controller->listen_watch =
    milter_event_loop_watch_io (controller->loop, controller->listen_fd,
                                G_IO_IN | G_IO_ERR | G_IO_HUP | G_IO_NVAL,
                                on_listen, controller, NULL);
  return TRUE;
}

gint
milter_manager_controller_get_listen_fd (MilterManagerController *controller)
{
  return controller->listen_fd;
}

guint
milter_manager_controller_get_n_connections (MilterManagerController *controller)
{
  return g_list_length (controller->connections);
}

static void
close_listener (MilterManagerController *controller, gboolean remove_file)
{
  g_autoptr (GError) error = NULL;

  if (controller->listen_watch)
    milter_event_loop_remove (controller->loop, controller->listen_watch);
  controller->listen_watch = 0;
  if (controller->accept_pause)
    milter_event_loop_remove (controller->loop, controller->accept_pause);
  controller->accept_pause = 0;
  if (controller->listen_fd >= 0)
    close (controller->listen_fd);
  controller->listen_fd = -1;
  if (remove_file && controller->unix_path && controller->remove_on_close &&
      !milter_socket_remove_unix_path (controller->unix_path, &controller->unix_id, &error))
    milter_error (0, "[controller][error][unix] %s", error->message);
  g_clear_pointer (&controller->unix_path, g_free);
}

void
milter_manager_controller_close (MilterManagerController *controller)
{
  close_listener (controller, TRUE);
  while (controller->connections)
    connection_free (controller->connections->data);
}

void
milter_manager_controller_free (MilterManagerController *controller)
{
  if (!controller)
    return;
  milter_manager_controller_close (controller);
  g_object_unref (controller->loop);
  g_free (controller->spec);
  g_free (controller);
}

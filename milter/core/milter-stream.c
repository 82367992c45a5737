/*
 * milter-stream - base of the reader and the writer: one descriptor
 *                 watched by a MilterEventLoop
 *
 * DESCRIPTION
 *   At most one I/O watch at a time. The watch callback holds a reference
 *   around the subclass's ready function, because a signal handler run
 *   from it may drop the last one, and keeps the watch only if the ready
 *   function left it in place. See milter-stream.h.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-stream.h>
#include <milter/core/milter-stream-private.h>

typedef struct {
  MilterEventLoop *loop;
  gint fd;
  guint64 session_id;
  gchar *tag;
  gboolean close_on_shutdown;
  gboolean shut_down;
  guint watch_id;
  MilterStreamReadyFunc ready_func;
} MilterStreamPrivate;

enum {
  PROP_0,
  PROP_EVENT_LOOP,
  PROP_FD,
  PROP_SESSION_ID,
  PROP_TAG,
  PROP_CLOSE_ON_SHUTDOWN,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (MilterStream, milter_stream,
                                     G_TYPE_OBJECT)

#define PRIVATE(stream) \
  ((MilterStreamPrivate *) milter_stream_get_instance_private (stream))

GError *
milter_stream_error_new (MilterStream *stream, gint code, const gchar *what,
                         const gchar *reason)
{
  MilterStreamPrivate *priv;
  GQuark domain;

  g_return_val_if_fail (MILTER_IS_STREAM (stream), NULL);

  priv = PRIVATE (stream);
  domain = MILTER_STREAM_GET_CLASS (stream)->error_domain;
  if (priv->tag)
    return g_error_new (domain, code, "%s fd %d (%s): %s", what, priv->fd,
                        priv->tag, reason);
  return g_error_new (domain, code, "%s fd %d: %s", what, priv->fd, reason);
}

GError *
milter_stream_condition_error_new (MilterStream *stream,
                                   GIOCondition condition,
                                   gint code,
                                   const gchar *what)
{
  const gchar *reason = "error condition on the descriptor";
  gint socket_error = 0;
  socklen_t length = sizeof (socket_error);

  g_return_val_if_fail (MILTER_IS_STREAM (stream), NULL);

  if (condition & G_IO_NVAL)
    reason = "the descriptor is not open (closed while being watched)";
  else if (getsockopt (PRIVATE (stream)->fd, SOL_SOCKET, SO_ERROR,
                       &socket_error, &length) == 0 && socket_error != 0)
    reason = g_strerror (socket_error);
  return milter_stream_error_new (stream, code, what, reason);
}

static gboolean
watch_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterStream *self = user_data;
  MilterStreamPrivate *priv = PRIVATE (self);
  guint watch_id = priv->watch_id;
  gboolean keep;

  /* A handler may drop the last reference. */
  g_object_ref (self);
  priv->ready_func (self, fd, condition);
  keep = priv->watch_id == watch_id;
  g_object_unref (self);
  return keep;
}

gboolean
milter_stream_watch (MilterStream *stream,
                     GIOCondition condition,
                     MilterStreamReadyFunc func,
                     gint code,
                     GError **error)
{
  MilterStreamPrivate *priv;

  g_return_val_if_fail (MILTER_IS_STREAM (stream), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  priv = PRIVATE (stream);
  if (priv->watch_id)
    return TRUE;
  priv->ready_func = func;
  priv->watch_id = milter_event_loop_watch_io (priv->loop, priv->fd,
                                               condition, watch_cb, stream,
                                               NULL);
  if (priv->watch_id)
    return TRUE;
  g_propagate_error (error,
                     milter_stream_error_new (stream, code, "failed to watch",
                                              "the event loop refused it "
                                              "(is the descriptor open?)"));
  return FALSE;
}

void
milter_stream_unwatch (MilterStream *stream)
{
  MilterStreamPrivate *priv;

  g_return_if_fail (MILTER_IS_STREAM (stream));

  priv = PRIVATE (stream);
  if (priv->watch_id) {
    milter_event_loop_remove (priv->loop, priv->watch_id);
    priv->watch_id = 0;
  }
}

guint
_milter_stream_watch_id (MilterStream *stream)
{
  return PRIVATE (stream)->watch_id;
}

gint
_milter_stream_fd (MilterStream *stream)
{
  return PRIVATE (stream)->fd;
}

void
_milter_stream_reuse (MilterStream *stream, gint fd)
{
  MilterStreamPrivate *priv = PRIVATE (stream);

  milter_stream_unwatch (stream);
  priv->fd = fd;
  priv->shut_down = FALSE;
}

guint
milter_stream_get_watch_id (MilterStream *stream)
{
  g_return_val_if_fail (MILTER_IS_STREAM (stream), 0);
  return PRIVATE (stream)->watch_id;
}

gboolean
milter_stream_is_watching (MilterStream *stream)
{
  g_return_val_if_fail (MILTER_IS_STREAM (stream), FALSE);
  return PRIVATE (stream)->watch_id != 0;
}

gboolean
milter_stream_release (MilterStream *stream, gint how, gint code,
                       GError **error)
{
  MilterStreamPrivate *priv;
  const gchar *what;
  gint result;

  g_return_val_if_fail (MILTER_IS_STREAM (stream), FALSE);
  g_return_val_if_fail (how == SHUT_RD || how == SHUT_WR, FALSE);

  priv = PRIVATE (stream);
  priv->shut_down = TRUE;
  if (priv->close_on_shutdown) {
    what = "failed to close";
    result = close (priv->fd);
  } else {
    what = how == SHUT_RD ? "failed to shut down input of" :
      "failed to shut down output of";
    result = shutdown (priv->fd, how);
    /* A peer that is gone needs no half-close. A pipe has none: harmless
     * for its read end, but its reader would never see the end of a write
     * end left open, so that is an error ("close-on-shutdown" is the way
     * for pipes). */
    if (result == -1 &&
        (errno == ENOTCONN || (errno == ENOTSOCK && how == SHUT_RD)))
      result = 0;
  }
  if (result == 0)
    return TRUE;
  g_propagate_error (error, milter_stream_error_new (stream, code, what,
                                                     g_strerror (errno)));
  return FALSE;
}

gboolean
milter_stream_is_shut_down (MilterStream *stream)
{
  g_return_val_if_fail (MILTER_IS_STREAM (stream), FALSE);
  return PRIVATE (stream)->shut_down;
}

MilterEventLoop *
milter_stream_get_event_loop (MilterStream *stream)
{
  g_return_val_if_fail (MILTER_IS_STREAM (stream), NULL);
  return PRIVATE (stream)->loop;
}

gint
milter_stream_get_fd (MilterStream *stream)
{
  g_return_val_if_fail (MILTER_IS_STREAM (stream), -1);
  return PRIVATE (stream)->fd;
}

void
milter_stream_set_session_id (MilterStream *stream, guint64 session_id)
{
  g_return_if_fail (MILTER_IS_STREAM (stream));
  PRIVATE (stream)->session_id = session_id;
}

guint64
milter_stream_get_session_id (MilterStream *stream)
{
  g_return_val_if_fail (MILTER_IS_STREAM (stream), 0);
  return PRIVATE (stream)->session_id;
}

void
milter_stream_set_tag (MilterStream *stream, const gchar *tag)
{
  MilterStreamPrivate *priv;

  g_return_if_fail (MILTER_IS_STREAM (stream));

  priv = PRIVATE (stream);
  g_free (priv->tag);
  priv->tag = g_strdup (tag);
}

const gchar *
milter_stream_get_tag (MilterStream *stream)
{
  g_return_val_if_fail (MILTER_IS_STREAM (stream), NULL);
  return PRIVATE (stream)->tag;
}

void
milter_stream_set_close_on_shutdown (MilterStream *stream,
                                     gboolean close_on_shutdown)
{
  g_return_if_fail (MILTER_IS_STREAM (stream));
  PRIVATE (stream)->close_on_shutdown = close_on_shutdown;
}

gboolean
milter_stream_get_close_on_shutdown (MilterStream *stream)
{
  g_return_val_if_fail (MILTER_IS_STREAM (stream), FALSE);
  return PRIVATE (stream)->close_on_shutdown;
}

void
milter_stream_set_io (MilterStream *stream, MilterEventLoop *loop, gint fd)
{
  MilterStreamPrivate *priv;

  g_return_if_fail (MILTER_IS_STREAM (stream));
  g_return_if_fail (MILTER_IS_EVENT_LOOP (loop));

  priv = PRIVATE (stream);
  g_return_if_fail (priv->loop == NULL);
  priv->loop = g_object_ref (loop);
  priv->fd = fd;
}

static void
milter_stream_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  MilterStream *self = MILTER_STREAM (object);
  MilterStreamPrivate *priv = PRIVATE (self);

  switch (prop_id) {
  /* Not construct-only: GObject would then set their defaults through
   * GValues at every construction, the cost of a command per session.
   * Either may be given once, before the stream watches. */
  case PROP_EVENT_LOOP:
    g_return_if_fail (priv->watch_id == 0);
    g_set_object (&priv->loop, g_value_get_object (value));
    break;
  case PROP_FD:
    g_return_if_fail (priv->watch_id == 0);
    priv->fd = g_value_get_int (value);
    break;
  case PROP_SESSION_ID:
    priv->session_id = g_value_get_uint64 (value);
    break;
  case PROP_TAG:
    milter_stream_set_tag (self, g_value_get_string (value));
    break;
  case PROP_CLOSE_ON_SHUTDOWN:
    priv->close_on_shutdown = g_value_get_boolean (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_stream_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  MilterStreamPrivate *priv = PRIVATE (MILTER_STREAM (object));

  switch (prop_id) {
  case PROP_EVENT_LOOP:
    g_value_set_object (value, priv->loop);
    break;
  case PROP_FD:
    g_value_set_int (value, priv->fd);
    break;
  case PROP_SESSION_ID:
    g_value_set_uint64 (value, priv->session_id);
    break;
  case PROP_TAG:
    g_value_set_string (value, priv->tag);
    break;
  case PROP_CLOSE_ON_SHUTDOWN:
    g_value_set_boolean (value, priv->close_on_shutdown);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_stream_dispose (GObject *object)
{
  MilterStream *self = MILTER_STREAM (object);

  if (PRIVATE (self)->loop)
    milter_stream_unwatch (self);
  g_clear_object (&PRIVATE (self)->loop);
  G_OBJECT_CLASS (milter_stream_parent_class)->dispose (object);
}

static void
milter_stream_finalize (GObject *object)
{
  g_free (PRIVATE (MILTER_STREAM (object))->tag);
  G_OBJECT_CLASS (milter_stream_parent_class)->finalize (object);
}

static void
milter_stream_class_init (MilterStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = milter_stream_set_property;
  object_class->get_property = milter_stream_get_property;
  object_class->dispose = milter_stream_dispose;
  object_class->finalize = milter_stream_finalize;

  /** MilterStream:event-loop: the loop that watches fd. */
  properties[PROP_EVENT_LOOP] =
    g_param_spec_object ("event-loop", NULL, NULL, MILTER_TYPE_EVENT_LOOP,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterStream:fd: the non-blocking descriptor read or written. */
  properties[PROP_FD] =
    g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterStream:session-id: put on log lines; 0 for none. */
  properties[PROP_SESSION_ID] =
    g_param_spec_uint64 ("session-id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterStream:tag: names the peer in log lines and errors. */
  properties[PROP_TAG] =
    g_param_spec_string ("tag", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterStream:close-on-shutdown: close fd instead of half-closing
   * it (SHUT_RD for a reader, SHUT_WR for a writer). */
  properties[PROP_CLOSE_ON_SHUTDOWN] =
    g_param_spec_boolean ("close-on-shutdown", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPERTIES, properties);
}

static void
milter_stream_init (MilterStream *self)
{
  PRIVATE (self)->fd = -1;
}

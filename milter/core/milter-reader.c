/*
 * milter-reader - read a non-blocking descriptor on a MilterEventLoop
 *
 * DESCRIPTION
 *   One I/O watch (input, hang-up and error conditions) while started.
 *   On each event the reader reads until the kernel has less than a full
 *   buffer for it (so a burst is drained without another poll), at most
 *   MAX_READS_PER_EVENT times so one busy peer cannot starve the others.
 *   See milter-reader.h.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-reader.h>

#define MAX_READS_PER_EVENT 8

G_DEFINE_QUARK (milter-reader-error-quark, milter_reader_error)

struct _MilterReader {
  GObject parent_instance;
  MilterEventLoop *loop;
  gint fd;
  guint64 session_id;
  gchar *tag;
  gboolean close_on_shutdown;
  gsize buffer_size;
  guint8 *buffer;
  guint watch_id;
  gboolean shut_down;
  MilterReaderFlowFunc flow_func;
  gpointer flow_data;
  GDestroyNotify flow_notify;
};

enum {
  PROP_0,
  PROP_EVENT_LOOP,
  PROP_FD,
  PROP_SESSION_ID,
  PROP_TAG,
  PROP_CLOSE_ON_SHUTDOWN,
  PROP_BUFFER_SIZE,
  N_PROPERTIES
};

enum {
  SIGNAL_FLOW,
  SIGNAL_FINISHED,
  SIGNAL_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPERTIES];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MilterReader, milter_reader, G_TYPE_OBJECT)

/* "fd 5 (milter-a)": names the descriptor in error messages. */
static gchar *
describe (MilterReader *self)
{
  if (self->tag)
    return g_strdup_printf ("fd %d (%s)", self->fd, self->tag);
  return g_strdup_printf ("fd %d", self->fd);
}

static GError *
error_new (MilterReader *self, MilterReaderError code, const gchar *what,
           const gchar *reason)
{
  g_autofree gchar *name = describe (self);

  return g_error_new (MILTER_READER_ERROR, code, "%s %s: %s", what, name,
                      reason);
}

static void
unwatch (MilterReader *self)
{
  if (self->watch_id) {
    milter_event_loop_remove (self->loop, self->watch_id);
    self->watch_id = 0;
  }
}

static void
fail (MilterReader *self, GError *error)
{
  unwatch (self);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
  g_error_free (error);
}

static void
flow (MilterReader *self, gsize size)
{
  if (self->flow_func)
    self->flow_func (self, self->buffer, size, self->flow_data);
  if (g_signal_has_handler_pending (self, signals[SIGNAL_FLOW], 0, FALSE))
    g_signal_emit (self, signals[SIGNAL_FLOW], 0, self->buffer,
                   (guint64) size);
}

/* An error condition with nothing for read(2) to report: the socket's
 * pending error tells what it was. */
static void
fail_condition (MilterReader *self, GIOCondition condition)
{
  const gchar *reason = "error condition on the descriptor";
  GError *error;
  gint socket_error = 0;
  socklen_t length = sizeof (socket_error);

  if (condition & G_IO_NVAL)
    reason = "the descriptor is not open (closed while being watched)";
  else if (getsockopt (self->fd, SOL_SOCKET, SO_ERROR, &socket_error,
                       &length) == 0 && socket_error != 0)
    reason = g_strerror (socket_error);
  error = error_new (self, MILTER_READER_ERROR_IO, "input error on", reason);
  milter_error (self->session_id, "[reader][callback][error] %s",
                error->message);
  fail (self, error);
}

static gboolean
watch_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterReader *self = user_data;
  guint watch_id = self->watch_id;
  gboolean keep;

  /* A handler may drop the last reference. */
  g_object_ref (self);
  if (condition & G_IO_NVAL) {
    /* Reading a closed number could steal a reused descriptor's data. */
    fail_condition (self, condition);
  } else {
    for (guint i = 0; i < MAX_READS_PER_EVENT; i++) {
      gssize size = read (fd, self->buffer, self->buffer_size);

      if (size > 0) {
        flow (self, (gsize) size);
        if (self->watch_id != watch_id || (gsize) size < self->buffer_size)
          break;
      } else if (size == 0) {
        unwatch (self);
        g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
        break;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (condition & G_IO_ERR)
          fail_condition (self, condition);
        break;
      } else {
        GError *error = error_new (self, MILTER_READER_ERROR_READ,
                                   "failed to read from", g_strerror (errno));

        milter_error (self->session_id, "[reader][error][read] %s",
                      error->message);
        fail (self, error);
        break;
      }
    }
  }
  keep = self->watch_id == watch_id;
  g_object_unref (self);
  return keep;
}

gboolean
milter_reader_start (MilterReader *reader, GError **error)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), FALSE);

  if (reader->watch_id)
    return TRUE;
  if (reader->shut_down) {
    g_set_error (error, MILTER_READER_ERROR, MILTER_READER_ERROR_WATCH,
                 "cannot start a reader that was shut down");
    return FALSE;
  }
  reader->watch_id =
    milter_event_loop_watch_io (reader->loop, reader->fd,
                                G_IO_IN | G_IO_PRI | G_IO_HUP | G_IO_ERR,
                                watch_cb, reader, NULL);
  if (!reader->watch_id) {
    GError *local_error =
      error_new (reader, MILTER_READER_ERROR_WATCH, "failed to watch",
                 "the event loop refused it (is the descriptor open?)");

    /* One watch detects both input and error conditions, so its failure
     * is both catalogued failures. */
    milter_error (reader->session_id, "[reader][watch][read][fail] %s",
                  local_error->message);
    milter_error (reader->session_id, "[reader][watch][error][fail] %s",
                  local_error->message);
    g_propagate_error (error, local_error);
    return FALSE;
  }
  return TRUE;
}

void
milter_reader_stop (MilterReader *reader)
{
  g_return_if_fail (MILTER_IS_READER (reader));
  unwatch (reader);
}

gboolean
milter_reader_is_watching (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), FALSE);
  return reader->watch_id != 0;
}

gboolean
milter_reader_shutdown (MilterReader *reader, GError **error)
{
  gint result;
  const gchar *what;

  g_return_val_if_fail (MILTER_IS_READER (reader), FALSE);

  unwatch (reader);
  if (reader->shut_down)
    return TRUE;
  reader->shut_down = TRUE;
  if (reader->close_on_shutdown) {
    what = "failed to close";
    result = close (reader->fd);
  } else {
    what = "failed to shut down input of";
    result = shutdown (reader->fd, SHUT_RD);
    /* A pipe has no half-close; a peer that is gone needs none. */
    if (result == -1 && (errno == ENOTSOCK || errno == ENOTCONN))
      result = 0;
  }
  if (result == -1) {
    GError *local_error = error_new (reader, MILTER_READER_ERROR_SHUTDOWN,
                                     what, g_strerror (errno));

    milter_error (reader->session_id, "[reader][error][shutdown] %s",
                  local_error->message);
    g_propagate_error (error, local_error);
    return FALSE;
  }
  return TRUE;
}

void
milter_reader_set_flow_func (MilterReader *reader,
                             MilterReaderFlowFunc func,
                             gpointer user_data,
                             GDestroyNotify notify)
{
  GDestroyNotify old_notify;
  gpointer old_data;

  g_return_if_fail (MILTER_IS_READER (reader));

  old_notify = reader->flow_notify;
  old_data = reader->flow_data;
  reader->flow_func = func;
  reader->flow_data = user_data;
  reader->flow_notify = notify;
  if (old_notify)
    old_notify (old_data);
}

MilterEventLoop *
milter_reader_get_event_loop (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), NULL);
  return reader->loop;
}

gint
milter_reader_get_fd (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), -1);
  return reader->fd;
}

void
milter_reader_set_session_id (MilterReader *reader, guint64 session_id)
{
  g_return_if_fail (MILTER_IS_READER (reader));
  reader->session_id = session_id;
}

guint64
milter_reader_get_session_id (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), 0);
  return reader->session_id;
}

void
milter_reader_set_tag (MilterReader *reader, const gchar *tag)
{
  g_return_if_fail (MILTER_IS_READER (reader));
  g_free (reader->tag);
  reader->tag = g_strdup (tag);
}

const gchar *
milter_reader_get_tag (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), NULL);
  return reader->tag;
}

void
milter_reader_set_close_on_shutdown (MilterReader *reader,
                                     gboolean close_on_shutdown)
{
  g_return_if_fail (MILTER_IS_READER (reader));
  reader->close_on_shutdown = close_on_shutdown;
}

gsize
milter_reader_get_buffer_size (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), 0);
  return reader->buffer_size;
}

static void
milter_reader_constructed (GObject *object)
{
  MilterReader *self = MILTER_READER (object);

  G_OBJECT_CLASS (milter_reader_parent_class)->constructed (object);
  self->buffer_size = MAX (self->buffer_size, MILTER_READER_MIN_BUFFER_SIZE);
  self->buffer = g_malloc (self->buffer_size);
}

static void
milter_reader_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  MilterReader *self = MILTER_READER (object);

  switch (prop_id) {
  case PROP_EVENT_LOOP:
    self->loop = g_value_dup_object (value);
    break;
  case PROP_FD:
    self->fd = g_value_get_int (value);
    break;
  case PROP_SESSION_ID:
    self->session_id = g_value_get_uint64 (value);
    break;
  case PROP_TAG:
    milter_reader_set_tag (self, g_value_get_string (value));
    break;
  case PROP_CLOSE_ON_SHUTDOWN:
    self->close_on_shutdown = g_value_get_boolean (value);
    break;
  case PROP_BUFFER_SIZE:
    self->buffer_size = g_value_get_uint64 (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_reader_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  MilterReader *self = MILTER_READER (object);

  switch (prop_id) {
  case PROP_EVENT_LOOP:
    g_value_set_object (value, self->loop);
    break;
  case PROP_FD:
    g_value_set_int (value, self->fd);
    break;
  case PROP_SESSION_ID:
    g_value_set_uint64 (value, self->session_id);
    break;
  case PROP_TAG:
    g_value_set_string (value, self->tag);
    break;
  case PROP_CLOSE_ON_SHUTDOWN:
    g_value_set_boolean (value, self->close_on_shutdown);
    break;
  case PROP_BUFFER_SIZE:
    g_value_set_uint64 (value, self->buffer_size);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_reader_dispose (GObject *object)
{
  MilterReader *self = MILTER_READER (object);

  if (self->loop)
    unwatch (self);
  milter_reader_set_flow_func (self, NULL, NULL, NULL);
  g_clear_object (&self->loop);
  G_OBJECT_CLASS (milter_reader_parent_class)->dispose (object);
}

static void
milter_reader_finalize (GObject *object)
{
  MilterReader *self = MILTER_READER (object);

  g_free (self->buffer);
  g_free (self->tag);
  G_OBJECT_CLASS (milter_reader_parent_class)->finalize (object);
}

static void
milter_reader_class_init (MilterReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = milter_reader_constructed;
  object_class->set_property = milter_reader_set_property;
  object_class->get_property = milter_reader_get_property;
  object_class->dispose = milter_reader_dispose;
  object_class->finalize = milter_reader_finalize;

  /** MilterReader:event-loop: the loop that watches fd. */
  properties[PROP_EVENT_LOOP] =
    g_param_spec_object ("event-loop", NULL, NULL, MILTER_TYPE_EVENT_LOOP,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  /** MilterReader:fd: the non-blocking descriptor to read. */
  properties[PROP_FD] =
    g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                      G_PARAM_STATIC_STRINGS);
  /** MilterReader:session-id: put on log lines; 0 for none. */
  properties[PROP_SESSION_ID] =
    g_param_spec_uint64 ("session-id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterReader:tag: names the peer in log lines and errors. */
  properties[PROP_TAG] =
    g_param_spec_string ("tag", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterReader:close-on-shutdown: close fd instead of SHUT_RD. */
  properties[PROP_CLOSE_ON_SHUTDOWN] =
    g_param_spec_boolean ("close-on-shutdown", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterReader:buffer-size: the read buffer; at least 64 KiB. */
  properties[PROP_BUFFER_SIZE] =
    g_param_spec_uint64 ("buffer-size", NULL, NULL, 0, G_MAXUINT32,
                         MILTER_READER_MIN_BUFFER_SIZE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPERTIES, properties);

  /**
   * MilterReader::flow:
   * @data: (type gpointer): the bytes read, valid during the emission
   * @size: their number
   */
  signals[SIGNAL_FLOW] =
    g_signal_new ("flow", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_POINTER, G_TYPE_UINT64);
  /** MilterReader::finished: end of input; the reader has stopped. */
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /** MilterReader::error: reading failed; the reader has stopped. */
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_ERROR);
}

static void
milter_reader_init (MilterReader *self)
{
  self->fd = -1;
  self->buffer_size = MILTER_READER_MIN_BUFFER_SIZE;
}

MilterReader *
milter_reader_new (MilterEventLoop *loop, gint fd)
{
  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), NULL);
  return g_object_new (MILTER_TYPE_READER, "event-loop", loop, "fd", fd,
                       NULL);
}

/*
 * milter-reader - read a non-blocking descriptor on a MilterEventLoop
 *
 * DESCRIPTION
 *   One I/O watch (input, hang-up and error conditions) while started.
 *   On each event the reader reads until the kernel has less than a full
 *   buffer for it (so a burst is drained without another poll), at most
 *   MAX_READS_PER_EVENT times so one busy peer cannot starve the others.
 *   The descriptor, its watch and its labels are MilterStream's. See
 *   milter-reader.h.
 *
 *   The read buffer belongs to the thread, not the reader: data is handed
 *   out only during the flow callback, so an idle connection costs no
 *   read buffer at all. A flow handler may iterate the loop (e.g. wait
 *   for something synchronously), which can run another reader of the
 *   thread, or this one, while the outer data is still in use: such a
 *   nested read gets a buffer of its own for that event, so the outer
 *   data is neither overwritten nor freed by a growing buffer.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-stream.h>
#include <milter/core/milter-stream-private.h>
#include <milter/core/milter-reader.h>

#define MAX_READS_PER_EVENT 8

G_DEFINE_QUARK (milter-reader-error-quark, milter_reader_error)

struct _MilterReader {
  MilterStream parent_instance;
  gsize buffer_size;
  gboolean quick_ack;
  MilterReaderFlowFunc flow_func;
  gpointer flow_data;
  GDestroyNotify flow_notify;
  MilterReaderFinishedFunc finished_func;
  MilterReaderErrorFunc error_func;
  gpointer event_data;
};

enum {
  PROP_0,
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

G_DEFINE_FINAL_TYPE (MilterReader, milter_reader, MILTER_TYPE_STREAM)

static void
fail (MilterReader *self, GError *error)
{
  milter_stream_unwatch (MILTER_STREAM (self));
  if (self->error_func)
    self->error_func (self, error, self->event_data);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
  g_error_free (error);
}

static void
emit_finished (MilterReader *self)
{
  if (self->finished_func)
    self->finished_func (self, self->event_data);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

typedef struct {
  guint8 *data;
  gsize size;
  gboolean busy;   /* handed out to a ready_cb further up the stack */
} ReadBuffer;

static void
read_buffer_free (gpointer data)
{
  ReadBuffer *buffer = data;

  g_free (buffer->data);
  g_free (buffer);
}

static GPrivate thread_read_buffer_key = G_PRIVATE_INIT (read_buffer_free);

/* The thread's buffer, at least size bytes, or (*own) one of the
 * caller's own while the thread's is in use further up the stack. */
static guint8 *
acquire_read_buffer (gsize size, gboolean *own)
{
  ReadBuffer *buffer = g_private_get (&thread_read_buffer_key);

  if (!buffer) {
    buffer = g_new0 (ReadBuffer, 1);
    g_private_set (&thread_read_buffer_key, buffer);
  }
  *own = buffer->busy;
  if (*own)
    return g_malloc (size);
  if (buffer->size < size) {
    g_free (buffer->data);
    buffer->data = g_malloc (size);
    buffer->size = size;
  }
  buffer->busy = TRUE;
  return buffer->data;
}

static void
release_read_buffer (guint8 *data, gboolean own)
{
  if (own)
    g_free (data);
  else
    ((ReadBuffer *) g_private_get (&thread_read_buffer_key))->busy = FALSE;
}

static void
flow (MilterReader *self, const guint8 *data, gsize size)
{
  /* The owner's function, or else the signal: looking for handlers
   * takes GObject's global signal lock, once per read. */
  if (self->flow_func)
    self->flow_func (self, data, size, self->flow_data);
  else if (g_signal_has_handler_pending (self, signals[SIGNAL_FLOW], 0, FALSE))
    g_signal_emit (self, signals[SIGNAL_FLOW], 0, data, (guint64) size);
}

static void
fail_condition (MilterReader *self, GIOCondition condition)
{
  MilterStream *stream = MILTER_STREAM (self);
  GError *error =
    milter_stream_condition_error_new (stream, condition,
                                       MILTER_READER_ERROR_IO,
                                       "input error on");

  milter_error (milter_stream_get_session_id (stream),
                "[reader][callback][error] %s", error->message);
  fail (self, error);
}

static void
ready_cb (MilterStream *stream, gint fd, GIOCondition condition)
{
  MilterReader *self = MILTER_READER (stream);
  guint watch_id = _milter_stream_watch_id (stream);
  gsize buffer_size = self->buffer_size;
  gboolean own;
  guint8 *buffer;

  if (condition & G_IO_NVAL) {
    /* Reading a closed number could steal a reused descriptor's data. */
    fail_condition (self, condition);
    return;
  }
  buffer = acquire_read_buffer (buffer_size, &own);
  for (guint i = 0; i < MAX_READS_PER_EVENT; i++) {
    gssize size = read (fd, buffer, buffer_size);

    if (size > 0) {
      flow (self, buffer, (gsize) size);
      /* A handler may have closed the descriptor: its number is not ours
       * to touch any more. */
      if (_milter_stream_watch_id (stream) != watch_id)
        break;
      /* After the flow, which may have switched it off (the owner has all
       * it waited for). Linux clears TCP_QUICKACK after each ACK: renew
       * it per read. */
      if (self->quick_ack) {
        gint on = 1;

        setsockopt (fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof (on));
      }
      if ((gsize) size < buffer_size)
        break;
    } else if (size == 0) {
      milter_stream_unwatch (stream);
      emit_finished (self);
      break;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (condition & G_IO_ERR)
        fail_condition (self, condition);
      break;
    } else {
      GError *error = milter_stream_error_new (stream,
                                               MILTER_READER_ERROR_READ,
                                               "failed to read from",
                                               g_strerror (errno));

      milter_error (milter_stream_get_session_id (stream),
                    "[reader][error][read] %s", error->message);
      fail (self, error);
      break;
    }
  }
  release_read_buffer (buffer, own);
}

gboolean
milter_reader_start (MilterReader *reader, GError **error)
{
  MilterStream *stream;
  GError *local_error = NULL;

  g_return_val_if_fail (MILTER_IS_READER (reader), FALSE);

  stream = MILTER_STREAM (reader);
  if (_milter_stream_watch_id (stream) != 0)
    return TRUE;
  if (milter_stream_is_shut_down (stream)) {
    g_set_error (error, MILTER_READER_ERROR, MILTER_READER_ERROR_WATCH,
                 "cannot start a reader that was shut down");
    return FALSE;
  }
  if (!milter_stream_watch (stream, G_IO_IN | G_IO_PRI | G_IO_HUP | G_IO_ERR,
                            ready_cb, MILTER_READER_ERROR_WATCH,
                            &local_error)) {
    guint64 session_id = milter_stream_get_session_id (stream);

    /* One watch detects both input and error conditions, so its failure
     * is both catalogued failures. */
    milter_error (session_id, "[reader][watch][read][fail] %s",
                  local_error->message);
    milter_error (session_id, "[reader][watch][error][fail] %s",
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
  milter_stream_unwatch (MILTER_STREAM (reader));
}

void
_milter_reader_reuse (MilterReader *reader, gint fd)
{
  _milter_stream_reuse (MILTER_STREAM (reader), fd);
  reader->quick_ack = FALSE;
}

gboolean
milter_reader_is_watching (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), FALSE);
  return _milter_stream_watch_id (MILTER_STREAM (reader)) != 0;
}

gboolean
milter_reader_shutdown (MilterReader *reader, GError **error)
{
  MilterStream *stream;
  GError *local_error = NULL;

  g_return_val_if_fail (MILTER_IS_READER (reader), FALSE);

  stream = MILTER_STREAM (reader);
  milter_stream_unwatch (stream);
  if (milter_stream_is_shut_down (stream))
    return TRUE;
  if (!milter_stream_release (stream, SHUT_RD, MILTER_READER_ERROR_SHUTDOWN,
                              &local_error)) {
    milter_error (milter_stream_get_session_id (stream),
                  "[reader][error][shutdown] %s", local_error->message);
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

void
milter_reader_set_event_funcs (MilterReader *reader,
                               MilterReaderFinishedFunc finished,
                               MilterReaderErrorFunc error,
                               gpointer user_data)
{
  g_return_if_fail (MILTER_IS_READER (reader));
  reader->finished_func = finished;
  reader->error_func = error;
  reader->event_data = user_data;
}

/* The accessors of MilterStream under the reader's names, for callers. */

MilterEventLoop *
milter_reader_get_event_loop (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), NULL);
  return milter_stream_get_event_loop (MILTER_STREAM (reader));
}

gint
milter_reader_get_fd (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), -1);
  return _milter_stream_fd (MILTER_STREAM (reader));
}

void
milter_reader_set_session_id (MilterReader *reader, guint64 session_id)
{
  g_return_if_fail (MILTER_IS_READER (reader));
  milter_stream_set_session_id (MILTER_STREAM (reader), session_id);
}

guint64
milter_reader_get_session_id (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), 0);
  return milter_stream_get_session_id (MILTER_STREAM (reader));
}

void
milter_reader_set_tag (MilterReader *reader, const gchar *tag)
{
  g_return_if_fail (MILTER_IS_READER (reader));
  milter_stream_set_tag (MILTER_STREAM (reader), tag);
}

const gchar *
milter_reader_get_tag (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), NULL);
  return milter_stream_get_tag (MILTER_STREAM (reader));
}

void
milter_reader_set_close_on_shutdown (MilterReader *reader,
                                     gboolean close_on_shutdown)
{
  g_return_if_fail (MILTER_IS_READER (reader));
  milter_stream_set_close_on_shutdown (MILTER_STREAM (reader),
                                       close_on_shutdown);
}

void
milter_reader_set_quick_ack (MilterReader *reader, gboolean quick_ack)
{
  g_return_if_fail (MILTER_IS_READER (reader));
  reader->quick_ack = quick_ack;
}

gboolean
milter_reader_get_quick_ack (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), FALSE);
  return reader->quick_ack;
}

gsize
milter_reader_get_buffer_size (MilterReader *reader)
{
  g_return_val_if_fail (MILTER_IS_READER (reader), 0);
  return reader->buffer_size;
}

static void
milter_reader_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  MilterReader *self = MILTER_READER (object);

  switch (prop_id) {
  case PROP_BUFFER_SIZE:
    self->buffer_size = MAX (g_value_get_uint64 (value),
                             MILTER_READER_MIN_BUFFER_SIZE);
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

  /* Stop reading before the flow function's data goes. */
  milter_stream_unwatch (MILTER_STREAM (self));
  milter_reader_set_flow_func (self, NULL, NULL, NULL);
  milter_reader_set_event_funcs (self, NULL, NULL, NULL);
  G_OBJECT_CLASS (milter_reader_parent_class)->dispose (object);
}


static void
milter_reader_class_init (MilterReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  MILTER_STREAM_CLASS (klass)->error_domain = MILTER_READER_ERROR;
  object_class->set_property = milter_reader_set_property;
  object_class->get_property = milter_reader_get_property;
  object_class->dispose = milter_reader_dispose;

  /* "event-loop", "fd", "session-id", "tag" and "close-on-shutdown"
   * (here: close fd instead of SHUT_RD) are MilterStream's. */

  /** MilterReader:buffer-size: the read buffer; at least 64 KiB. */
  properties[PROP_BUFFER_SIZE] =
    g_param_spec_uint64 ("buffer-size", NULL, NULL, 0, G_MAXUINT32,
                         MILTER_READER_DEFAULT_BUFFER_SIZE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPERTIES, properties);

  /**
   * MilterReader::flow:
   * @data: (type gpointer): the bytes read, valid during the emission
   * @size: their number
   *
   * Emitted only while no flow function is set.
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
  self->buffer_size = MILTER_READER_DEFAULT_BUFFER_SIZE;
}

MilterReader *
milter_reader_new (MilterEventLoop *loop, gint fd)
{
  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), NULL);
  MilterReader *reader = g_object_new (MILTER_TYPE_READER, NULL);

  /* Not as construct properties: this runs for every connection. */
  milter_stream_set_io (MILTER_STREAM (reader), loop, fd);
  return reader;
}

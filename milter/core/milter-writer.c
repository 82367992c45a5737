/*
 * milter-writer - write to a non-blocking descriptor on a MilterEventLoop
 *
 * DESCRIPTION
 *   The output buffer is a GByteArray plus the offset of the first byte
 *   not yet written, so a short write costs no memmove; the array is
 *   emptied (not freed) when everything is out. The writable watch exists
 *   only while data waits for the kernel. The descriptor, its watch and
 *   its labels are MilterStream's. See milter-writer.h.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-stream.h>
#include <milter/core/milter-stream-private.h>
#include <milter/core/milter-writer.h>

G_DEFINE_QUARK (milter-writer-error-quark, milter_writer_error)

struct _MilterWriter {
  MilterStream parent_instance;
  gsize packet_buffer_size;
  GByteArray *buffer;
  gsize buffer_peak;        /* the most buffer held (for reuse) */
  gsize offset;             /* bytes of buffer already written */
  gboolean flush_requested;
  gboolean shutdown_requested;
  gboolean failed;
  gboolean not_socket;      /* learnt from ENOTSOCK: use write(2) */
  guint64 n_syscalls;
  gdouble timeout;          /* seconds without progress; 0: none */
  guint timer_id;
  gint64 last_progress;     /* monotonic time of the last byte out */
  MilterWriterFlushedFunc flushed_func;
  MilterWriterErrorFunc error_func;
  gpointer event_data;
};

enum {
  PROP_0,
  PROP_PACKET_BUFFER_SIZE,
  PROP_TIMEOUT,
  N_PROPERTIES
};

enum {
  SIGNAL_FLUSHED,
  SIGNAL_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPERTIES];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MilterWriter, milter_writer, MILTER_TYPE_STREAM)

static inline guint64
session_id (MilterWriter *self)
{
  return milter_stream_get_session_id (MILTER_STREAM (self));
}

static GError *
error_new (MilterWriter *self, MilterWriterError code, const gchar *what,
           const gchar *reason)
{
  return milter_stream_error_new (MILTER_STREAM (self), code, what, reason);
}

static inline gsize
pending_size (MilterWriter *self)
{
  return self->buffer->len - self->offset;
}

static void
stop_timer (MilterWriter *self)
{
  if (self->timer_id) {
    milter_event_loop_remove (milter_stream_get_event_loop (MILTER_STREAM (self)),
                              self->timer_id);
    self->timer_id = 0;
  }
}

/* After an error nothing more can be written: drop the rest. */
static void
set_failed (MilterWriter *self)
{
  self->failed = TRUE;
  stop_timer (self);
  self->flush_requested = FALSE;
  milter_stream_unwatch (MILTER_STREAM (self));
  g_byte_array_set_size (self->buffer, 0);
  self->offset = 0;
}

/* write(2) to a pipe whose reader is gone raises SIGPIPE. Block it for
 * this thread during the call and consume the one we caused, unless one
 * was already pending (that one is not ours to take). */
static gssize
write_without_sigpipe (gint fd, const guint8 *data, gsize size)
{
  sigset_t pipe_set, old_set, pending;
  gboolean was_pending;
  gssize written;
  gint saved_errno;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigpending (&pending);
  was_pending = sigismember (&pending, SIGPIPE) == 1;
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_set);
  written = write (fd, data, size);
  saved_errno = errno;
  if (written == -1 && saved_errno == EPIPE && !was_pending) {
    const struct timespec zero = { 0, 0 };

    while (sigtimedwait (&pipe_set, NULL, &zero) == -1 && errno == EINTR)
      ;
  }
  pthread_sigmask (SIG_SETMASK, &old_set, NULL);
  errno = saved_errno;
  return written;
}

static gssize
raw_write (MilterWriter *self, const guint8 *data, gsize size)
{
  gint fd = _milter_stream_fd (MILTER_STREAM (self));
  gssize written;

  self->n_syscalls++;
  if (!self->not_socket) {
    written = send (fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written != -1 || errno != ENOTSOCK)
      return written;
    self->not_socket = TRUE;
    self->n_syscalls++;
  }
  return write_without_sigpipe (fd, data, size);
}

/* Writes from data as much as the kernel takes. Returns the number of
 * bytes written, or -1 with errno set. */
static gssize
write_some (MilterWriter *self, const guint8 *data, gsize size)
{
  gsize done = 0;

  while (done < size) {
    gssize written = raw_write (self, data + done, size - done);

    if (written > 0) {
      done += (gsize) written;
      /* A short write means the kernel buffer is full: another try
       * would only return EAGAIN. */
      if (done < size)
        break;
    } else if (written == -1 && errno == EINTR) {
      continue;
    } else if (written == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      if (written == 0)
        errno = EIO;
      return -1;
    }
  }
  return (gssize) done;
}

/* Writes the buffer; *progress tells whether any byte went out. */
static gboolean
write_buffer (MilterWriter *self, gboolean *progress, GError **error)
{
  gssize written;

  if (progress)
    *progress = FALSE;
  if (pending_size (self) == 0)
    return TRUE;
  written = write_some (self, self->buffer->data + self->offset,
                        pending_size (self));
  if (written == -1) {
    g_propagate_error (error, error_new (self, MILTER_WRITER_ERROR_WRITE,
                                         "failed to write to",
                                         g_strerror (errno)));
    return FALSE;
  }
  if (progress)
    *progress = written > 0;
  if (written > 0 && self->timer_id)
    self->last_progress = g_get_monotonic_time ();
  self->offset += (gsize) written;
  if (pending_size (self) == 0) {
    g_byte_array_set_size (self->buffer, 0);
    self->offset = 0;
  }
  return TRUE;
}

static gboolean finish_shutdown (MilterWriter *self, GError **error);
static void ready_cb (MilterStream *stream, gint fd, GIOCondition condition);
static void fail_in_callback (MilterWriter *self, GError *error);

/* Fires "timeout" seconds after the last progress; progress only moves
 * last_progress, so a peer that keeps reading costs no timer per write. */
static gboolean
timer_cb (gpointer user_data)
{
  MilterWriter *self = user_data;
  gint64 idle = g_get_monotonic_time () - self->last_progress;
  gint64 limit = (gint64) (self->timeout * G_USEC_PER_SEC);
  g_autofree gchar *reason = NULL;

  self->timer_id = 0;
  if (pending_size (self) == 0 || self->failed)
    return G_SOURCE_REMOVE;
  if (idle < limit) {
    self->timer_id =
      milter_event_loop_add_timeout (milter_stream_get_event_loop (MILTER_STREAM (self)),
                                     (gdouble) (limit - idle) / G_USEC_PER_SEC,
                                     timer_cb, self, NULL);
    return G_SOURCE_REMOVE;
  }
  reason = g_strdup_printf ("the peer took no data for %g seconds "
                            "(%" G_GSIZE_FORMAT " bytes unsent)",
                            self->timeout, pending_size (self));
  g_object_ref (self);
  /* A requested shutdown still happens, before "error" lets the owner
   * close fd; its own failure is logged. */
  if (self->shutdown_requested && !milter_stream_is_shut_down (MILTER_STREAM (self)))
    finish_shutdown (self, NULL);
  fail_in_callback (self, error_new (self, MILTER_WRITER_ERROR_TIMEOUT,
                                     "timed out writing to", reason));
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* While data waits for the kernel and a timeout is set. */
static void
ensure_timer (MilterWriter *self)
{
  if (self->timeout <= 0 || self->timer_id || self->failed ||
      pending_size (self) == 0)
    return;
  self->last_progress = g_get_monotonic_time ();
  self->timer_id =
    milter_event_loop_add_timeout (milter_stream_get_event_loop (MILTER_STREAM (self)),
                                   self->timeout, timer_cb, self, NULL);
}

/* Makes sure the buffer is written when fd becomes writable. */
static gboolean
ensure_watch (MilterWriter *self, GError **error)
{
  GError *local_error = NULL;

  if (milter_stream_watch (MILTER_STREAM (self),
                           G_IO_OUT | G_IO_ERR | G_IO_HUP, ready_cb,
                           MILTER_WRITER_ERROR_WATCH, &local_error)) {
    ensure_timer (self);
    return TRUE;
  }
  milter_error (session_id (self), "[writer][watch][fail] %s",
                local_error->message);
  set_failed (self);
  g_propagate_error (error, local_error);
  return FALSE;
}

static void
emit_error (MilterWriter *self, GError *error)
{
  if (self->error_func)
    self->error_func (self, error, self->event_data);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
  g_error_free (error);
}

static void
emit_flushed (MilterWriter *self)
{
  if (self->flushed_func)
    self->flushed_func (self, self->event_data);
  g_signal_emit (self, signals[SIGNAL_FLUSHED], 0);
}

/* A background write failed: log it under what was waiting on it. */
static void
fail_in_callback (MilterWriter *self, GError *error)
{
  if (self->shutdown_requested)
    milter_error (session_id (self),
                  "[writer][shutdown][flush-buffer][flush][error] %s",
                  error->message);
  else if (self->flush_requested)
    milter_error (session_id (self), "[writer][flush-callback][error] %s",
                  error->message);
  else
    milter_error (session_id (self), "[writer][write-callback][error] %s",
                  error->message);
  set_failed (self);
  emit_error (self, error);
}

/* An error condition with nothing for write(2) to report. */
static void
fail_condition (MilterWriter *self, GIOCondition condition)
{
  GError *error =
    milter_stream_condition_error_new (MILTER_STREAM (self), condition,
                                       MILTER_WRITER_ERROR_IO,
                                       "output error on");

  milter_error (session_id (self), "[writer][error-callback][error] %s",
                error->message);
  set_failed (self);
  emit_error (self, error);
}

static void
ready_cb (MilterStream *stream, gint fd, GIOCondition condition)
{
  MilterWriter *self = MILTER_WRITER (stream);
  GError *error = NULL;
  gboolean progress = FALSE;

  if (condition & G_IO_NVAL) {
    /* Writing to a closed number could hit a reused descriptor. */
    fail_condition (self, condition);
  } else if (!write_buffer (self, &progress, &error)) {
    fail_in_callback (self, error);
  } else if (pending_size (self) == 0) {
    gboolean released = TRUE;

    milter_stream_unwatch (stream);
    stop_timer (self);
    self->flush_requested = FALSE;
    /* Half-closed before "flushed", so that a handler may close fd. */
    if (self->shutdown_requested && !milter_stream_is_shut_down (stream))
      released = finish_shutdown (self, &error);
    emit_flushed (self);
    if (!released)
      emit_error (self, error);
  } else if (!progress && (condition & G_IO_ERR)) {
    fail_condition (self, condition);
  }
}

static gboolean
closed_error (MilterWriter *self, GError **error)
{
  g_propagate_error (error,
                     error_new (self, MILTER_WRITER_ERROR_CLOSED,
                                "cannot write to",
                                self->failed ? "an earlier write failed" :
                                "the writer is shut down"));
  return FALSE;
}

gboolean
milter_writer_write (MilterWriter *writer,
                     const guint8 *data,
                     gsize size,
                     GError **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (MILTER_IS_WRITER (writer), FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (writer->failed || writer->shutdown_requested) {
    closed_error (writer, &local_error);
    goto failed;
  }
  if (size == 0)
    return TRUE;

  if (pending_size (writer) == 0 &&
      (writer->packet_buffer_size == 0 || size >= writer->packet_buffer_size)) {
    /* The common case: straight from the caller's data, no copy. */
    gssize written = write_some (writer, data, size);

    if (written == -1) {
      local_error = error_new (writer, MILTER_WRITER_ERROR_WRITE,
                               "failed to write to", g_strerror (errno));
      set_failed (writer);
      goto failed;
    }
    if ((gsize) written == size)
      return TRUE;
    g_byte_array_append (writer->buffer, data + written,
                         (guint) (size - (gsize) written));
    writer->buffer_peak = MAX (writer->buffer_peak, writer->buffer->len);
    return ensure_watch (writer, error);
  }

  g_byte_array_append (writer->buffer, data, (guint) size);
  writer->buffer_peak = MAX (writer->buffer_peak, writer->buffer->len);
  if (_milter_stream_watch_id (MILTER_STREAM (writer)) != 0)
    return TRUE;  /* queued behind data waiting for the kernel */
  if (pending_size (writer) < writer->packet_buffer_size)
    return TRUE;  /* gathered */
  if (!write_buffer (writer, NULL, &local_error)) {
    set_failed (writer);
    goto failed;
  }
  if (pending_size (writer) > 0)
    return ensure_watch (writer, error);
  return TRUE;

failed:
  milter_error (session_id (writer), "[writer][write][error] %s",
                local_error->message);
  g_propagate_error (error, local_error);
  return FALSE;
}

gboolean
milter_writer_flush (MilterWriter *writer, GError **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (MILTER_IS_WRITER (writer), FALSE);

  if (writer->failed || writer->shutdown_requested) {
    closed_error (writer, &local_error);
    goto failed;
  }
  if (_milter_stream_watch_id (MILTER_STREAM (writer)) != 0) {
    writer->flush_requested = TRUE;
    return TRUE;
  }
  if (!write_buffer (writer, NULL, &local_error)) {
    set_failed (writer);
    goto failed;
  }
  if (pending_size (writer) > 0) {
    if (!ensure_watch (writer, error))
      return FALSE;
    writer->flush_requested = TRUE;
    return TRUE;
  }
  emit_flushed (writer);
  return TRUE;

failed:
  milter_error (session_id (writer), "[writer][flush][error] %s",
                local_error->message);
  g_propagate_error (error, local_error);
  return FALSE;
}

static gboolean
finish_shutdown (MilterWriter *self, GError **error)
{
  GError *local_error = NULL;

  if (milter_stream_release (MILTER_STREAM (self), SHUT_WR,
                             MILTER_WRITER_ERROR_SHUTDOWN, &local_error))
    return TRUE;
  milter_error (session_id (self), "[writer][error][shutdown] %s",
                local_error->message);
  g_propagate_error (error, local_error);
  return FALSE;
}

gboolean
milter_writer_shutdown (MilterWriter *writer, GError **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (MILTER_IS_WRITER (writer), FALSE);

  if (writer->shutdown_requested)
    return TRUE;
  writer->shutdown_requested = TRUE;
  if (writer->failed)
    return finish_shutdown (writer, error);
  if (_milter_stream_watch_id (MILTER_STREAM (writer)) != 0)
    return TRUE;  /* the watch finishes the shutdown once drained */
  if (!write_buffer (writer, NULL, &local_error)) {
    milter_error (session_id (writer),
                  "[writer][shutdown][flush-buffer][write][error] %s",
                  local_error->message);
    g_propagate_error (error, local_error);
    set_failed (writer);
    /* Still release the descriptor; its own failure is logged. */
    finish_shutdown (writer, NULL);
    return FALSE;
  }
  if (pending_size (writer) > 0)
    return ensure_watch (writer, error);
  return finish_shutdown (writer, error);
}

void
milter_writer_abandon (MilterWriter *writer)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  set_failed (writer);
}

gsize
milter_writer_get_pending_size (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), 0);
  return pending_size (writer);
}

guint64
milter_writer_get_n_syscalls (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), 0);
  return writer->n_syscalls;
}

gboolean
milter_writer_is_shut_down (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), FALSE);
  return milter_stream_is_shut_down (MILTER_STREAM (writer));
}

void
milter_writer_set_event_funcs (MilterWriter *writer,
                               MilterWriterFlushedFunc flushed,
                               MilterWriterErrorFunc error,
                               gpointer user_data)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  writer->flushed_func = flushed;
  writer->error_func = error;
  writer->event_data = user_data;
}

/* The accessors of MilterStream under the writer's names, for callers. */

MilterEventLoop *
milter_writer_get_event_loop (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), NULL);
  return milter_stream_get_event_loop (MILTER_STREAM (writer));
}

void
_milter_writer_reuse (MilterWriter *writer, gint fd)
{
  stop_timer (writer);
  _milter_stream_reuse (MILTER_STREAM (writer), fd);
  _milter_byte_array_reuse (writer->buffer, &writer->buffer_peak);
  writer->offset = 0;
  writer->flush_requested = FALSE;
  writer->shutdown_requested = FALSE;
  writer->failed = FALSE;
  writer->not_socket = FALSE;
  writer->n_syscalls = 0;
  writer->last_progress = 0;
}

gint
milter_writer_get_fd (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), -1);
  return _milter_stream_fd (MILTER_STREAM (writer));
}

void
milter_writer_set_session_id (MilterWriter *writer, guint64 session_id)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  milter_stream_set_session_id (MILTER_STREAM (writer), session_id);
}

guint64
milter_writer_get_session_id (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), 0);
  return milter_stream_get_session_id (MILTER_STREAM (writer));
}

void
milter_writer_set_tag (MilterWriter *writer, const gchar *tag)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  milter_stream_set_tag (MILTER_STREAM (writer), tag);
}

const gchar *
milter_writer_get_tag (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), NULL);
  return milter_stream_get_tag (MILTER_STREAM (writer));
}

void
milter_writer_set_close_on_shutdown (MilterWriter *writer,
                                     gboolean close_on_shutdown)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  milter_stream_set_close_on_shutdown (MILTER_STREAM (writer),
                                       close_on_shutdown);
}

void
milter_writer_set_packet_buffer_size (MilterWriter *writer, gsize size)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  writer->packet_buffer_size = size;
}

gsize
milter_writer_get_packet_buffer_size (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), 0);
  return writer->packet_buffer_size;
}

static void
milter_writer_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  MilterWriter *self = MILTER_WRITER (object);

  switch (prop_id) {
  case PROP_PACKET_BUFFER_SIZE:
    self->packet_buffer_size = g_value_get_uint64 (value);
    break;
  case PROP_TIMEOUT:
    milter_writer_set_timeout (self, g_value_get_double (value));
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_writer_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  MilterWriter *self = MILTER_WRITER (object);

  switch (prop_id) {
  case PROP_PACKET_BUFFER_SIZE:
    g_value_set_uint64 (value, self->packet_buffer_size);
    break;
  case PROP_TIMEOUT:
    g_value_set_double (value, self->timeout);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

void
milter_writer_set_timeout (MilterWriter *writer, gdouble seconds)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  g_return_if_fail (seconds >= 0);
  writer->timeout = seconds;
  stop_timer (writer);
  if (_milter_stream_watch_id (MILTER_STREAM (writer)) != 0)
    ensure_timer (writer);
}

gdouble
milter_writer_get_timeout (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), 0);
  return writer->timeout;
}

static void
milter_writer_dispose (GObject *object)
{
  /* Before MilterStream lets go of the loop the timer is on. */
  stop_timer (MILTER_WRITER (object));
  milter_writer_set_event_funcs (MILTER_WRITER (object), NULL, NULL, NULL);
  G_OBJECT_CLASS (milter_writer_parent_class)->dispose (object);
}

static void
milter_writer_finalize (GObject *object)
{
  g_byte_array_unref (MILTER_WRITER (object)->buffer);
  G_OBJECT_CLASS (milter_writer_parent_class)->finalize (object);
}

static void
milter_writer_class_init (MilterWriterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  MILTER_STREAM_CLASS (klass)->error_domain = MILTER_WRITER_ERROR;
  object_class->set_property = milter_writer_set_property;
  object_class->get_property = milter_writer_get_property;
  object_class->dispose = milter_writer_dispose;
  object_class->finalize = milter_writer_finalize;

  /* "event-loop", "fd", "session-id", "tag" and "close-on-shutdown"
   * (here: close fd instead of SHUT_WR) are MilterStream's. */

  /** MilterWriter:packet-buffer-size: gather writes up to this size. */
  properties[PROP_PACKET_BUFFER_SIZE] =
    g_param_spec_uint64 ("packet-buffer-size", NULL, NULL, 0, G_MAXUINT32, 0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterWriter:timeout: seconds queued data may wait without any
   * byte taken by the peer before the writer fails; 0: no limit. */
  properties[PROP_TIMEOUT] =
    g_param_spec_double ("timeout", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPERTIES, properties);

  /** MilterWriter::flushed: the buffered data has all been written. */
  signals[SIGNAL_FLUSHED] =
    g_signal_new ("flushed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /** MilterWriter::error: a background write failed; nothing more is
   * written. */
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
milter_writer_init (MilterWriter *self)
{
  self->buffer = g_byte_array_new ();
}

MilterWriter *
milter_writer_new (MilterEventLoop *loop, gint fd)
{
  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), NULL);
  MilterWriter *writer = g_object_new (MILTER_TYPE_WRITER, NULL);

  /* Not as construct properties: this runs for every connection. */
  milter_stream_set_io (MILTER_STREAM (writer), loop, fd);
  return writer;
}

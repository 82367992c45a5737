/*
 * milter-writer - write to a non-blocking descriptor on a MilterEventLoop
 *
 * DESCRIPTION
 *   The output buffer is a GByteArray plus the offset of the first byte
 *   not yet written, so a short write costs no memmove; the array is
 *   emptied (not freed) when everything is out. The writable watch exists
 *   only while data waits for the kernel. See milter-writer.h.
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
#include <milter/core/milter-writer.h>

G_DEFINE_QUARK (milter-writer-error-quark, milter_writer_error)

struct _MilterWriter {
  GObject parent_instance;
  MilterEventLoop *loop;
  gint fd;
  guint64 session_id;
  gchar *tag;
  gboolean close_on_shutdown;
  gsize packet_buffer_size;
  GByteArray *buffer;
  gsize offset;             /* bytes of buffer already written */
  guint watch_id;
  gboolean flush_requested;
  gboolean shutdown_requested;
  gboolean shut_down;
  gboolean failed;
  gboolean not_socket;      /* learnt from ENOTSOCK: use write(2) */
  guint64 n_syscalls;
};

enum {
  PROP_0,
  PROP_EVENT_LOOP,
  PROP_FD,
  PROP_SESSION_ID,
  PROP_TAG,
  PROP_CLOSE_ON_SHUTDOWN,
  PROP_PACKET_BUFFER_SIZE,
  N_PROPERTIES
};

enum {
  SIGNAL_FLUSHED,
  SIGNAL_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPERTIES];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MilterWriter, milter_writer, G_TYPE_OBJECT)

static GError *
error_new (MilterWriter *self, MilterWriterError code, const gchar *what,
           const gchar *reason)
{
  if (self->tag)
    return g_error_new (MILTER_WRITER_ERROR, code, "%s fd %d (%s): %s",
                        what, self->fd, self->tag, reason);
  return g_error_new (MILTER_WRITER_ERROR, code, "%s fd %d: %s",
                      what, self->fd, reason);
}

static inline gsize
pending_size (MilterWriter *self)
{
  return self->buffer->len - self->offset;
}

static void
unwatch (MilterWriter *self)
{
  if (self->watch_id) {
    milter_event_loop_remove (self->loop, self->watch_id);
    self->watch_id = 0;
  }
}

/* After an error nothing more can be written: drop the rest. */
static void
set_failed (MilterWriter *self)
{
  self->failed = TRUE;
  self->flush_requested = FALSE;
  unwatch (self);
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
  gssize written;

  self->n_syscalls++;
  if (!self->not_socket) {
    written = send (self->fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written != -1 || errno != ENOTSOCK)
      return written;
    self->not_socket = TRUE;
    self->n_syscalls++;
  }
  return write_without_sigpipe (self->fd, data, size);
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
  self->offset += (gsize) written;
  if (pending_size (self) == 0) {
    g_byte_array_set_size (self->buffer, 0);
    self->offset = 0;
  }
  return TRUE;
}

static gboolean finish_shutdown (MilterWriter *self, GError **error);
static gboolean watch_cb (gint fd, GIOCondition condition,
                          gpointer user_data);

/* Makes sure the buffer is written when fd becomes writable. */
static gboolean
ensure_watch (MilterWriter *self, GError **error)
{
  GError *local_error;

  if (self->watch_id)
    return TRUE;
  self->watch_id = milter_event_loop_watch_io (self->loop, self->fd,
                                               G_IO_OUT | G_IO_ERR | G_IO_HUP,
                                               watch_cb, self, NULL);
  if (self->watch_id)
    return TRUE;
  local_error = error_new (self, MILTER_WRITER_ERROR_WATCH, "failed to watch",
                           "the event loop refused it (is the descriptor open?)");
  milter_error (self->session_id, "[writer][watch][fail] %s",
                local_error->message);
  set_failed (self);
  g_propagate_error (error, local_error);
  return FALSE;
}

static void
emit_error (MilterWriter *self, GError *error)
{
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
  g_error_free (error);
}

/* A background write failed: log it under what was waiting on it. */
static void
fail_in_callback (MilterWriter *self, GError *error)
{
  if (self->shutdown_requested)
    milter_error (self->session_id,
                  "[writer][shutdown][flush-buffer][flush][error] %s",
                  error->message);
  else if (self->flush_requested)
    milter_error (self->session_id, "[writer][flush-callback][error] %s",
                  error->message);
  else
    milter_error (self->session_id, "[writer][write-callback][error] %s",
                  error->message);
  set_failed (self);
  emit_error (self, error);
}

/* An error condition with nothing for write(2) to report: the socket's
 * pending error tells what it was. */
static void
fail_condition (MilterWriter *self, GIOCondition condition)
{
  const gchar *reason = "error condition on the descriptor";
  gint socket_error = 0;
  socklen_t length = sizeof (socket_error);
  GError *error;

  if (condition & G_IO_NVAL)
    reason = "the descriptor is not open (closed while being watched)";
  else if (getsockopt (self->fd, SOL_SOCKET, SO_ERROR, &socket_error,
                       &length) == 0 && socket_error != 0)
    reason = g_strerror (socket_error);
  error = error_new (self, MILTER_WRITER_ERROR_IO, "output error on", reason);
  milter_error (self->session_id, "[writer][error-callback][error] %s",
                error->message);
  set_failed (self);
  emit_error (self, error);
}

static gboolean
watch_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterWriter *self = user_data;
  guint watch_id = self->watch_id;
  GError *error = NULL;
  gboolean progress = FALSE;
  gboolean keep;

  g_object_ref (self);
  if (condition & G_IO_NVAL) {
    /* Writing to a closed number could hit a reused descriptor. */
    fail_condition (self, condition);
  } else if (!write_buffer (self, &progress, &error)) {
    fail_in_callback (self, error);
  } else if (pending_size (self) == 0) {
    unwatch (self);
    self->flush_requested = FALSE;
    g_signal_emit (self, signals[SIGNAL_FLUSHED], 0);
    if (self->shutdown_requested && !self->shut_down && !self->failed &&
        !finish_shutdown (self, &error))
      emit_error (self, error);
  } else if (!progress && (condition & G_IO_ERR)) {
    fail_condition (self, condition);
  }
  keep = self->watch_id == watch_id;
  g_object_unref (self);
  return keep;
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
    return ensure_watch (writer, error);
  }

  g_byte_array_append (writer->buffer, data, (guint) size);
  if (writer->watch_id)
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
  milter_error (writer->session_id, "[writer][write][error] %s",
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
  if (writer->watch_id) {
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
  g_signal_emit (writer, signals[SIGNAL_FLUSHED], 0);
  return TRUE;

failed:
  milter_error (writer->session_id, "[writer][flush][error] %s",
                local_error->message);
  g_propagate_error (error, local_error);
  return FALSE;
}

static gboolean
finish_shutdown (MilterWriter *self, GError **error)
{
  const gchar *what;
  gint result;
  GError *local_error;

  self->shut_down = TRUE;
  if (self->close_on_shutdown) {
    what = "failed to close";
    result = close (self->fd);
  } else {
    what = "failed to shut down output of";
    result = shutdown (self->fd, SHUT_WR);
    /* A peer that is gone needs no half-close. */
    if (result == -1 && errno == ENOTCONN)
      result = 0;
  }
  if (result == 0)
    return TRUE;
  local_error = error_new (self, MILTER_WRITER_ERROR_SHUTDOWN, what,
                           g_strerror (errno));
  milter_error (self->session_id, "[writer][error][shutdown] %s",
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
  if (writer->watch_id)
    return TRUE;  /* the watch finishes the shutdown once drained */
  if (!write_buffer (writer, NULL, &local_error)) {
    milter_error (writer->session_id,
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
  return writer->shut_down;
}

MilterEventLoop *
milter_writer_get_event_loop (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), NULL);
  return writer->loop;
}

gint
milter_writer_get_fd (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), -1);
  return writer->fd;
}

void
milter_writer_set_session_id (MilterWriter *writer, guint64 session_id)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  writer->session_id = session_id;
}

guint64
milter_writer_get_session_id (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), 0);
  return writer->session_id;
}

void
milter_writer_set_tag (MilterWriter *writer, const gchar *tag)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  g_free (writer->tag);
  writer->tag = g_strdup (tag);
}

const gchar *
milter_writer_get_tag (MilterWriter *writer)
{
  g_return_val_if_fail (MILTER_IS_WRITER (writer), NULL);
  return writer->tag;
}

void
milter_writer_set_close_on_shutdown (MilterWriter *writer,
                                     gboolean close_on_shutdown)
{
  g_return_if_fail (MILTER_IS_WRITER (writer));
  writer->close_on_shutdown = close_on_shutdown;
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
    milter_writer_set_tag (self, g_value_get_string (value));
    break;
  case PROP_CLOSE_ON_SHUTDOWN:
    self->close_on_shutdown = g_value_get_boolean (value);
    break;
  case PROP_PACKET_BUFFER_SIZE:
    self->packet_buffer_size = g_value_get_uint64 (value);
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
  case PROP_PACKET_BUFFER_SIZE:
    g_value_set_uint64 (value, self->packet_buffer_size);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_writer_dispose (GObject *object)
{
  MilterWriter *self = MILTER_WRITER (object);

  if (self->loop)
    unwatch (self);
  g_clear_object (&self->loop);
  G_OBJECT_CLASS (milter_writer_parent_class)->dispose (object);
}

static void
milter_writer_finalize (GObject *object)
{
  MilterWriter *self = MILTER_WRITER (object);

  g_byte_array_unref (self->buffer);
  g_free (self->tag);
  G_OBJECT_CLASS (milter_writer_parent_class)->finalize (object);
}

static void
milter_writer_class_init (MilterWriterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = milter_writer_set_property;
  object_class->get_property = milter_writer_get_property;
  object_class->dispose = milter_writer_dispose;
  object_class->finalize = milter_writer_finalize;

  /** MilterWriter:event-loop: the loop that watches fd. */
  properties[PROP_EVENT_LOOP] =
    g_param_spec_object ("event-loop", NULL, NULL, MILTER_TYPE_EVENT_LOOP,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  /** MilterWriter:fd: the descriptor to write. */
  properties[PROP_FD] =
    g_param_spec_int ("fd", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                      G_PARAM_STATIC_STRINGS);
  /** MilterWriter:session-id: put on log lines; 0 for none. */
  properties[PROP_SESSION_ID] =
    g_param_spec_uint64 ("session-id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterWriter:tag: names the peer in log lines and errors. */
  properties[PROP_TAG] =
    g_param_spec_string ("tag", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterWriter:close-on-shutdown: close fd instead of SHUT_WR. */
  properties[PROP_CLOSE_ON_SHUTDOWN] =
    g_param_spec_boolean ("close-on-shutdown", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /** MilterWriter:packet-buffer-size: gather writes up to this size. */
  properties[PROP_PACKET_BUFFER_SIZE] =
    g_param_spec_uint64 ("packet-buffer-size", NULL, NULL, 0, G_MAXUINT32, 0,
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
  self->fd = -1;
  self->buffer = g_byte_array_new ();
}

MilterWriter *
milter_writer_new (MilterEventLoop *loop, gint fd)
{
  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop), NULL);
  return g_object_new (MILTER_TYPE_WRITER, "event-loop", loop, "fd", fd,
                       NULL);
}

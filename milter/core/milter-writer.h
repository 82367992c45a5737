/*
 * milter-writer - write to a non-blocking descriptor on a MilterEventLoop
 *
 * SYNOPSIS
 *   MilterWriter *milter_writer_new (MilterEventLoop *loop, gint fd);
 *   gboolean milter_writer_write (writer, const guint8 *data, gsize size,
 *                                 GError **error);
 *   gboolean milter_writer_flush (MilterWriter *writer, GError **error);
 *   void milter_writer_set_event_funcs (writer, flushed, error, user_data);
 *   gboolean milter_writer_shutdown (MilterWriter *writer, GError **error);
 *   gsize milter_writer_get_pending_size (MilterWriter *writer);
 *   void milter_writer_set_packet_buffer_size (MilterWriter *writer,
 *                                              gsize size);
 *   void milter_writer_set_timeout (MilterWriter *writer, gdouble seconds);
 *
 * DESCRIPTION
 *   write() tries to write at once, straight from the caller's data, so a
 *   reply normally leaves in the same call with one system call. What the
 *   kernel does not take is kept in an output buffer (reused) and written
 *   when fd becomes writable; data written meanwhile queues behind it.
 *   When the buffer drains that way, "flushed" is emitted.
 *
 *   With "packet-buffer-size" > 0, writes are gathered in the buffer and
 *   written only when it holds at least that many bytes, or on flush() or
 *   shutdown(): N small packets cost one system call.
 *
 *   flush() writes everything buffered; "flushed" is emitted when all of
 *   it has been written, at once or later. shutdown() writes what is
 *   buffered first, then half-closes fd with shutdown(fd, SHUT_WR), or
 *   closes it when "close-on-shutdown" is set (needed for pipes, which
 *   have no half-close); if data had to wait for fd to become writable,
 *   fd is shut down once it has all been written, and "flushed" is
 *   emitted after that (so a handler may close fd).
 *
 *   Sockets are written with send(MSG_NOSIGNAL); other descriptors (pipes)
 *   with write(2) while SIGPIPE is blocked for the calling thread, and a
 *   SIGPIPE raised by that write is consumed. The process's SIGPIPE
 *   disposition is never changed. fd must be non-blocking for pipes;
 *   sockets are written with MSG_DONTWAIT anyway.
 *
 *   With "timeout" > 0, data that waits for the kernel must make progress:
 *   when the peer has taken no byte for that many seconds, the writer
 *   fails as a background write would (MILTER_WRITER_ERROR_TIMEOUT,
 *   "error", logged under the tags of a background write below), so a
 *   peer that stops reading cannot hold a session forever.
 *
 *   The writer does not own fd except as "close-on-shutdown" says. After
 *   an error it writes nothing more and drops what is buffered. The
 *   descriptor, the labels and "close-on-shutdown" are those of the base
 *   class, MilterStream (milter-stream.h); the milter_writer_ accessors
 *   below are kept for callers.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_WRITER_ERROR. A failure in a call is returned
 *   through its GError; a failure while writing in the background is
 *   emitted as "error" (GError). Each is logged once, with the session id,
 *   where it is detected:
 *     [writer][write][error]          write(): the system call failed, or
 *                                     the writer is shut down or failed
 *     [writer][flush][error]          flush(): likewise
 *     [writer][shutdown][flush-buffer][write][error]
 *                                     shutdown(): writing the buffered
 *                                     data failed
 *     [writer][write-callback][error] background write failed
 *     [writer][flush-callback][error] background write failed while a
 *                                     flush() was pending
 *     [writer][shutdown][flush-buffer][flush][error]
 *                                     background write failed while a
 *                                     shutdown() was pending
 *     [writer][error-callback][error] the event loop reported an error
 *                                     condition that the write did not
 *                                     explain (G_IO_NVAL: fd was closed
 *                                     behind the writer's back; G_IO_ERR)
 *     [writer][watch][fail]           the event loop refused to watch fd
 *                                     for writability and errors
 *     [writer][error][shutdown]       shutdown(2)/close(2) failed
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-stream.h>

G_BEGIN_DECLS

#define MILTER_WRITER_ERROR (milter_writer_error_quark ())
GQuark milter_writer_error_quark (void);

typedef enum {
  MILTER_WRITER_ERROR_WRITE,
  MILTER_WRITER_ERROR_IO,
  MILTER_WRITER_ERROR_WATCH,
  MILTER_WRITER_ERROR_CLOSED,
  MILTER_WRITER_ERROR_SHUTDOWN,
  MILTER_WRITER_ERROR_TIMEOUT
} MilterWriterError;

#define MILTER_TYPE_WRITER (milter_writer_get_type ())
G_DECLARE_FINAL_TYPE (MilterWriter, milter_writer, MILTER, WRITER,
                      MilterStream)

typedef void (*MilterWriterFlushedFunc) (MilterWriter *writer,
                                         gpointer user_data);
typedef void (*MilterWriterErrorFunc) (MilterWriter *writer,
                                       GError *error,
                                       gpointer user_data);

MilterWriter *milter_writer_new (MilterEventLoop *loop, gint fd);

/* The owner's direct hooks for "flushed" and "error" (called before the
 * signals' handlers), so that the agent pays no signal connection per
 * session. Replaces any previous pair; NULL funcs unset them. */
void milter_writer_set_event_funcs (MilterWriter *writer,
                                    MilterWriterFlushedFunc flushed,
                                    MilterWriterErrorFunc error,
                                    gpointer user_data);

MilterEventLoop *milter_writer_get_event_loop (MilterWriter *writer);
gint milter_writer_get_fd (MilterWriter *writer);
void milter_writer_set_session_id (MilterWriter *writer, guint64 session_id);
guint64 milter_writer_get_session_id (MilterWriter *writer);
void milter_writer_set_tag (MilterWriter *writer, const gchar *tag);
const gchar *milter_writer_get_tag (MilterWriter *writer);
void milter_writer_set_close_on_shutdown (MilterWriter *writer,
                                          gboolean close_on_shutdown);
/* 0 (default): no gathering. */
void milter_writer_set_packet_buffer_size (MilterWriter *writer, gsize size);
gsize milter_writer_get_packet_buffer_size (MilterWriter *writer);
/* Seconds queued data may wait with no byte taken by the peer; then the
 * writer fails (MILTER_WRITER_ERROR_TIMEOUT). 0 (default): no limit. */
void milter_writer_set_timeout (MilterWriter *writer, gdouble seconds);
gdouble milter_writer_get_timeout (MilterWriter *writer);

gboolean milter_writer_write (MilterWriter *writer,
                              const guint8 *data,
                              gsize size,
                              GError **error);
gboolean milter_writer_flush (MilterWriter *writer, GError **error);
/* Idempotent. */
gboolean milter_writer_shutdown (MilterWriter *writer, GError **error);

/* Drops what is unsent and stops watching fd, e.g. before its owner
 * closes it after an error; later writes fail as after an error. */
void milter_writer_abandon (MilterWriter *writer);

/* Bytes accepted but not yet written. */
gsize milter_writer_get_pending_size (MilterWriter *writer);
/* send(2)/write(2) calls made so far. */
guint64 milter_writer_get_n_syscalls (MilterWriter *writer);
gboolean milter_writer_is_shut_down (MilterWriter *writer);

G_END_DECLS

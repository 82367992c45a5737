/*
 * milter-stream - base of the reader and the writer: one descriptor
 *                 watched by a MilterEventLoop
 *
 * SYNOPSIS
 *   MilterEventLoop *milter_stream_get_event_loop (MilterStream *stream);
 *   gint milter_stream_get_fd (MilterStream *stream);
 *   void milter_stream_set_session_id (MilterStream *stream, guint64 id);
 *   void milter_stream_set_tag (MilterStream *stream, const gchar *tag);
 *   void milter_stream_set_close_on_shutdown (MilterStream *stream,
 *                                             gboolean close_on_shutdown);
 *   gboolean milter_stream_is_watching (MilterStream *stream);
 *   gboolean milter_stream_is_shut_down (MilterStream *stream);
 *
 *   For subclasses:
 *   gboolean milter_stream_watch (stream, condition, func, code, error);
 *   void milter_stream_unwatch (MilterStream *stream);
 *   GError *milter_stream_error_new (stream, code, what, reason);
 *   GError *milter_stream_condition_error_new (stream, condition, code,
 *                                              what);
 *   gboolean milter_stream_release (stream, how, code, error);
 *
 * DESCRIPTION
 *   An abstract endpoint on a non-blocking descriptor ("fd") watched by a
 *   MilterEventLoop ("event-loop"), labelled for log lines and error
 *   messages by "session-id" and "tag", that half-closes the descriptor on
 *   shutdown, or closes it when "close-on-shutdown" is set. MilterReader
 *   and MilterWriter derive from it; what they share (the properties, the
 *   single I/O watch, the wording of their errors, releasing the
 *   descriptor) lives here once.
 *
 *   A subclass sets MilterStreamClass.error_domain in its class_init: the
 *   errors built here are in that domain, with the code the subclass
 *   passes, so callers keep seeing MILTER_READER_ERROR or
 *   MILTER_WRITER_ERROR.
 *
 * DIAGNOSTICS
 *   Nothing is logged here: each failure is logged by the subclass at the
 *   place it decides what the failure means, under its own catalogued
 *   tags (see milter-reader.h and milter-writer.h).
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>

G_BEGIN_DECLS

#define MILTER_TYPE_STREAM (milter_stream_get_type ())
G_DECLARE_DERIVABLE_TYPE (MilterStream, milter_stream, MILTER, STREAM, GObject)

struct _MilterStreamClass {
  GObjectClass parent_class;
  /* The domain of the errors milter_stream_*_error_new() build. */
  GQuark error_domain;
  gpointer padding[4];
};

/* Called while fd is ready; the stream is kept alive during the call. */
typedef void (*MilterStreamReadyFunc) (MilterStream *stream,
                                       gint fd,
                                       GIOCondition condition);

/* For a subclass's new(): sets the construct-only "event-loop" and "fd"
 * of a stream made by g_object_new() without them, which spares the
 * property machinery on every connection. Once, before any use. */
void milter_stream_set_io (MilterStream *stream, MilterEventLoop *loop,
                           gint fd);
MilterEventLoop *milter_stream_get_event_loop (MilterStream *stream);
gint milter_stream_get_fd (MilterStream *stream);
void milter_stream_set_session_id (MilterStream *stream, guint64 session_id);
guint64 milter_stream_get_session_id (MilterStream *stream);
void milter_stream_set_tag (MilterStream *stream, const gchar *tag);
const gchar *milter_stream_get_tag (MilterStream *stream);
void milter_stream_set_close_on_shutdown (MilterStream *stream,
                                          gboolean close_on_shutdown);
gboolean milter_stream_get_close_on_shutdown (MilterStream *stream);
gboolean milter_stream_is_watching (MilterStream *stream);
/* TRUE once milter_stream_release() has been called. */
gboolean milter_stream_is_shut_down (MilterStream *stream);

/* For subclasses. */

/* Watches fd for condition unless already watching. On refusal returns
 * FALSE with an error of the given code; the caller logs it. */
gboolean milter_stream_watch (MilterStream *stream,
                              GIOCondition condition,
                              MilterStreamReadyFunc func,
                              gint code,
                              GError **error);
void milter_stream_unwatch (MilterStream *stream);
/* Changes whenever the watch is removed or replaced (0: none), so a
 * ready function can tell whether a handler stopped or restarted it. */
guint milter_stream_get_watch_id (MilterStream *stream);

/* "WHAT fd 5 (TAG): REASON" */
GError *milter_stream_error_new (MilterStream *stream,
                                 gint code,
                                 const gchar *what,
                                 const gchar *reason);
/* For an error condition that the read or write did not explain: the
 * reason is the socket's pending error, or that fd was closed. */
GError *milter_stream_condition_error_new (MilterStream *stream,
                                           GIOCondition condition,
                                           gint code,
                                           const gchar *what);
/* Marks the stream shut down and closes fd ("close-on-shutdown") or
 * shuts down its direction how (SHUT_RD or SHUT_WR). Does not unwatch. */
gboolean milter_stream_release (MilterStream *stream,
                                gint how,
                                gint code,
                                GError **error);

G_END_DECLS

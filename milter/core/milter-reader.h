/*
 * milter-reader - read a non-blocking descriptor on a MilterEventLoop
 *
 * SYNOPSIS
 *   MilterReader *milter_reader_new (MilterEventLoop *loop, gint fd);
 *   void milter_reader_set_flow_func (reader, func, user_data, notify);
 *   void milter_reader_set_event_funcs (reader, finished, error, user_data);
 *   gboolean milter_reader_start (MilterReader *reader, GError **error);
 *   void milter_reader_stop (MilterReader *reader);
 *   gboolean milter_reader_shutdown (MilterReader *reader, GError **error);
 *   void milter_reader_set_session_id (MilterReader *reader, guint64 id);
 *   void milter_reader_set_tag (MilterReader *reader, const gchar *tag);
 *
 * DESCRIPTION
 *   While started, the reader watches fd and reads what arrives into one
 *   buffer of "buffer-size" bytes (at least 64 KiB) shared by the readers
 *   of one thread (so an idle connection holds none) and reused for every read.
 *   Each read is handed out as "flow" (data, size): to the flow function
 *   if one is set, otherwise to the "flow" signal handlers.
 *   The data is valid only during the call. A flow handler may iterate
 *   the loop (its data stays intact: a read nested that way gets a buffer
 *   of its own). End of input stops the reader
 *   and emits "finished"; an error stops it and emits "error" (GError).
 *   stop() may be called from any of these, as may g_object_unref().
 *
 *   fd must be non-blocking (see milter_socket_prepare()). The reader does
 *   not own fd: shutdown() stops reading and half-closes it with
 *   shutdown(fd, SHUT_RD), or closes it when "close-on-shutdown" is set.
 *   The session id and the tag (e.g. the peer's name) only label log lines
 *   and error messages. The descriptor, the labels and "close-on-shutdown"
 *   are those of the base class, MilterStream (milter-stream.h); the
 *   milter_reader_ accessors below are kept for callers.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_READER_ERROR, and each is logged at the place it
 *   is detected, with the reader's session id:
 *     [reader][watch][read][fail]   start(): the event loop refused to
 *                                   watch fd (closed descriptor) - WATCH
 *     [reader][error][read]         read(2) failed (e.g. ECONNRESET) - READ
 *     [reader][callback][error]     the event loop reported an error
 *                                   condition that read(2) did not explain
 *                                   (G_IO_NVAL: fd was closed behind the
 *                                   reader's back; G_IO_ERR) - IO
 *     [reader][error][shutdown]     shutdown(2)/close(2) failed - SHUTDOWN
 *     [reader][watch][error][fail]  logged with [reader][watch][read][fail]:
 *                                   one watch detects both input and error
 *                                   conditions, so refusing it is both.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-stream.h>

G_BEGIN_DECLS

#define MILTER_READER_ERROR (milter_reader_error_quark ())
GQuark milter_reader_error_quark (void);

typedef enum {
  MILTER_READER_ERROR_WATCH,
  MILTER_READER_ERROR_READ,
  MILTER_READER_ERROR_IO,
  MILTER_READER_ERROR_SHUTDOWN
} MilterReaderError;

/* The smallest "buffer-size". */
#define MILTER_READER_MIN_BUFFER_SIZE (64 * 1024)
/* The default: two whole body-chunk packets (65540 bytes each) fit, so a
 * chunk normally arrives in one read and is decoded in place. */
#define MILTER_READER_DEFAULT_BUFFER_SIZE (132 * 1024)

#define MILTER_TYPE_READER (milter_reader_get_type ())
G_DECLARE_FINAL_TYPE (MilterReader, milter_reader, MILTER, READER,
                      MilterStream)

typedef void (*MilterReaderFlowFunc) (MilterReader *reader,
                                      const guint8 *data,
                                      gsize size,
                                      gpointer user_data);
typedef void (*MilterReaderFinishedFunc) (MilterReader *reader,
                                          gpointer user_data);
typedef void (*MilterReaderErrorFunc) (MilterReader *reader,
                                       GError *error,
                                       gpointer user_data);

MilterReader *milter_reader_new (MilterEventLoop *loop, gint fd);

MilterEventLoop *milter_reader_get_event_loop (MilterReader *reader);
gint milter_reader_get_fd (MilterReader *reader);
void milter_reader_set_session_id (MilterReader *reader, guint64 session_id);
guint64 milter_reader_get_session_id (MilterReader *reader);
void milter_reader_set_tag (MilterReader *reader, const gchar *tag);
const gchar *milter_reader_get_tag (MilterReader *reader);
void milter_reader_set_close_on_shutdown (MilterReader *reader,
                                          gboolean close_on_shutdown);
gsize milter_reader_get_buffer_size (MilterReader *reader);
/* On a TCP socket, ask for an immediate ACK after each read. A peer that
 * writes one reply in several small writes without TCP_NODELAY (libmilter
 * at end-of-message, Sendmail::PMilter always) otherwise has its later
 * writes held by Nagle until our delayed ACK, ~40 ms on loopback. Costs
 * one setsockopt per read; off by default. Read after the flow function
 * and the flow signal ran, so an owner that switches it off there once it
 * has all it waited for saves the call for that read. */
void milter_reader_set_quick_ack (MilterReader *reader, gboolean quick_ack);
gboolean milter_reader_get_quick_ack (MilterReader *reader);

/* Replaces (and notifies) any previous function; func may be NULL. */
void milter_reader_set_flow_func (MilterReader *reader,
                                  MilterReaderFlowFunc func,
                                  gpointer user_data,
                                  GDestroyNotify notify);

/* The owner's direct hooks for "finished" and "error" (called before
 * the signals' handlers), so that the agent pays no signal connection
 * per session. Replaces any previous pair; NULL funcs unset them. */
void milter_reader_set_event_funcs (MilterReader *reader,
                                    MilterReaderFinishedFunc finished,
                                    MilterReaderErrorFunc error,
                                    gpointer user_data);

/* Starting a started reader does nothing; a shut-down one cannot start. */
gboolean milter_reader_start (MilterReader *reader, GError **error);
void milter_reader_stop (MilterReader *reader);
gboolean milter_reader_is_watching (MilterReader *reader);
/* Idempotent. */
gboolean milter_reader_shutdown (MilterReader *reader, GError **error);

G_END_DECLS

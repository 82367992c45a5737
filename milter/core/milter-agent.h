/*
 * milter-agent - one peer of a milter conversation: reader, writer, codec
 *
 * SYNOPSIS
 *   G_DECLARE_DERIVABLE_TYPE (MilterAgent, milter_agent, MILTER, AGENT, GObject)
 *
 *   milter_agent_set_reader (agent, reader);
 *   milter_agent_set_writer (agent, writer);
 *   milter_agent_start (agent, &error);
 *   buffer = milter_agent_get_output_buffer (agent);
 *   milter_reply_encode_continue (buffer);
 *   milter_agent_send (agent, &error);
 *   milter_agent_shutdown (agent);
 *   milter_agent_set_writing_timeout (agent, seconds);
 *   milter_agent_set_max_pending_size (agent, bytes);
 *
 * DESCRIPTION
 *   The base of the client context (which decodes commands from an MTA)
 *   and the server context (which decodes replies from a milter). The
 *   agent moves bytes: the reader's data goes to the subclass's decode
 *   virtual function; what the subclass encodes into the reused output
 *   buffer goes to the writer in one write per milter_agent_send(), so a
 *   group of replies leaves in one segment.
 *
 *   Every log line about the agent, its reader and its writer carries the
 *   agent's session id. A process-wide unique id comes from
 *   milter_agent_next_session_id().
 *
 *   On a decode error the agent logs it, emits "error", stops reading and
 *   shuts down: one bad peer ends its own session, nothing else.
 *
 *   Shutting down (quit, the peer's end of input, an error, or the owner)
 *   stops reading at once but lets queued output drain: a peer may send
 *   its last commands in one go and read the replies only afterwards.
 *   The descriptor is half-closed and closed, and "finished" emitted,
 *   once the writer has emptied or given up, at the latest after the
 *   writing timeout (MILTER_AGENT_DEFAULT_DRAIN_TIMEOUT when none is
 *   set). The owner keeps its reference until "finished"; dropping it
 *   earlier closes the descriptor and drops what was still queued.
 *
 *   Back-pressure: while the writer holds more than "max pending size"
 *   bytes that the peer has not taken, the agent stops reading from it,
 *   and resumes once the writer has drained, so a peer that sends but
 *   does not read cannot make the session's output grow without bound.
 *   Pausing this way is independent of milter_agent_stop_reading(). Off
 *   by default; the client context sets MILTER_AGENT_DEFAULT_MAX_PENDING_SIZE.
 *
 *   The writing timeout (0: none, the default) is the writer's: queued
 *   output that the peer takes no byte of for that long ends the session
 *   with a MILTER_WRITER_ERROR_TIMEOUT "error".
 *
 * SIGNALS
 *   "error" (MilterAgent *agent, GError *error): reading, writing or decoding
 *   failed; the session is over.
 *   "finished" (MilterAgent *agent): the peer closed its side cleanly (end of
 *   input with no partial packet) or the agent was shut down.
 *
 * DIAGNOSTICS
 *   [agent][error][decode], [agent][error][reader], [agent][error][writer],
 *   [agent][error][set-writer][auto-flush], as catalogued.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-reader.h>
#include <milter/core/milter-writer.h>

G_BEGIN_DECLS

#define MILTER_TYPE_AGENT (milter_agent_get_type ())
G_DECLARE_DERIVABLE_TYPE (MilterAgent, milter_agent, MILTER, AGENT, GObject)

struct _MilterAgentClass {
  GObjectClass parent_class;

  /* Decode bytes read from the peer. FALSE with error set on bad input.
   * Called with a reference held on the agent. */
  gboolean (*decode) (MilterAgent *agent,
                      const guint8 *data,
                      gsize size,
                      GError **error);
  /* End of input: FALSE with error set if it ended inside a packet. */
  gboolean (*decode_end) (MilterAgent *agent, GError **error);

  /* Signals. */
  void (*error) (MilterAgent *agent, GError *error);
  void (*finished) (MilterAgent *agent);

  /* The writer has written out everything queued, after the agent's own
   * handling of that (a drain finished, paused reading resumed): a
   * subclass needs no signal connection per writer. */
  void (*flushed) (MilterAgent *agent);

  gpointer padding[7];
};

/* The back-pressure bound for an agent that answers requests (the
 * client context sets it): 1 MiB unsent. */
#define MILTER_AGENT_DEFAULT_MAX_PENDING_SIZE (1024 * 1024)
/* How long a shut-down agent waits for its output to drain when no
 * writing timeout is set. */
#define MILTER_AGENT_DEFAULT_DRAIN_TIMEOUT 30.0

/* A new id for a session, unique within the process, never 0. */
guint64 milter_agent_next_session_id (void);

void milter_agent_set_event_loop (MilterAgent *agent, MilterEventLoop *loop);
MilterEventLoop *milter_agent_get_event_loop (MilterAgent *agent);

/* Also sets the id on the reader and the writer. */
void milter_agent_set_session_id (MilterAgent *agent, guint64 session_id);
guint64 milter_agent_get_session_id (MilterAgent *agent);

/* Takes a reference. Replacing a running reader stops the old one. */
void milter_agent_set_reader (MilterAgent *agent, MilterReader *reader);
MilterReader *milter_agent_get_reader (MilterAgent *agent);
/* Takes a reference. The previous writer is flushed first; a failure there
 * is logged as [agent][error][set-writer][auto-flush]. */
void milter_agent_set_writer (MilterAgent *agent, MilterWriter *writer);
MilterWriter *milter_agent_get_writer (MilterAgent *agent);

/* Convenience: reader and writer on one connected socket (the agent owns
 * and closes fd). */
void milter_agent_set_fd (MilterAgent *agent, gint fd);

/* A finished agent (after "finished") ready for a new session on fd, as
 * a new agent after milter_agent_set_fd() on the same loop: the reader
 * and writer are kept and moved to fd, the session id is cleared, the
 * writing timeout and max pending size are kept. FALSE, and nothing
 * done, when the agent has not finished or has no reader and writer.
 * For owners that run many sessions (the multi-thread client): a new
 * agent costs about a command's worth of allocations. */
gboolean milter_agent_reuse (MilterAgent *agent, gint fd);

/* Starts reading. */
gboolean milter_agent_start (MilterAgent *agent, GError **error);
/* Stops reading without closing (e.g. to pause a peer). */
void milter_agent_stop_reading (MilterAgent *agent);
/* Reading starts again unless back-pressure holds it; then it starts
 * once the writer has drained. */
gboolean milter_agent_resume_reading (MilterAgent *agent, GError **error);
/* TRUE while back-pressure holds reading. */
gboolean milter_agent_is_reading_paused (MilterAgent *agent);

/* Unsent bytes above which reading pauses; 0 (default): never pause.
 * Only for an agent that answers what it reads: one that must read
 * replies while it writes (the server context) would deadlock a peer
 * that writes too. */
void milter_agent_set_max_pending_size (MilterAgent *agent, gsize size);
gsize milter_agent_get_max_pending_size (MilterAgent *agent);
/* Seconds queued output may wait with no byte taken by the peer before
 * the session fails; 0: no limit (default). Applies to the current
 * writer and any set later. */
void milter_agent_set_writing_timeout (MilterAgent *agent, gdouble seconds);
gdouble milter_agent_get_writing_timeout (MilterAgent *agent);

/* The reused buffer that encoders append packets to; emptied by send. */
GByteArray *milter_agent_get_output_buffer (MilterAgent *agent);
/* Writes what the output buffer holds (one write) and empties it. */
gboolean milter_agent_send (MilterAgent *agent, GError **error);
/* Writes raw bytes (already encoded). */
gboolean milter_agent_write (MilterAgent *agent,
                             const guint8 *data,
                             gsize size,
                             GError **error);
gboolean milter_agent_flush (MilterAgent *agent, GError **error);

/* Stops reading, shuts down reader and writer; "finished" follows once
 * what is buffered has been written (see above). Safe to call more than
 * once. */
void milter_agent_shutdown (MilterAgent *agent);
/* TRUE from milter_agent_shutdown() on: nothing more can be sent. */
gboolean milter_agent_is_shut_down (MilterAgent *agent);
/* TRUE once "finished" has been emitted. */
gboolean milter_agent_is_finished (MilterAgent *agent);

G_END_DECLS

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

  /* Decode bytes read from the peer. FALSE with error set on bad input. */
  gboolean (*decode) (MilterAgent *agent,
                      const guint8 *data,
                      gsize size,
                      GError **error);
  /* End of input: FALSE with error set if it ended inside a packet. */
  gboolean (*decode_end) (MilterAgent *agent, GError **error);

  /* Signals. */
  void (*error) (MilterAgent *agent, GError *error);
  void (*finished) (MilterAgent *agent);

  gpointer padding[8];
};

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

/* Starts reading. */
gboolean milter_agent_start (MilterAgent *agent, GError **error);
/* Stops reading without closing (e.g. to pause a peer). */
void milter_agent_stop_reading (MilterAgent *agent);
gboolean milter_agent_resume_reading (MilterAgent *agent, GError **error);

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

/* Flushes what is buffered, shuts down reader and writer, emits
 * "finished" once. Safe to call more than once. */
void milter_agent_shutdown (MilterAgent *agent);
gboolean milter_agent_is_shut_down (MilterAgent *agent);

G_END_DECLS

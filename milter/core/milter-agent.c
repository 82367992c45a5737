/*
 * milter-agent - one peer of a milter conversation: reader, writer, codec
 *
 * The agent only moves bytes and reports; what the bytes mean is the
 * subclass's decode function. Every signal emission holds a reference, so
 * a handler may drop the last outside reference to the agent.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include <milter/core/milter-logger.h>
#include <milter/core/milter-agent.h>
#include <milter/core/milter-stream-private.h>

typedef struct {
  MilterEventLoop *loop;
  MilterReader *reader;
  MilterWriter *writer;
  GByteArray *output;
  gsize output_peak;        /* the most output held (for reuse) */
  guint64 session_id;
  gint owned_fd;
  gsize max_pending_size;   /* 0 (default): no back-pressure */
  gdouble writing_timeout;  /* 0: none */
  gboolean reading_wanted;  /* started and not stopped by the owner */
  gboolean reading_paused;  /* stopped while the writer holds too much */
  gboolean shut_down;
  gboolean draining;        /* shut down, the writer still emptying */
  gboolean finished;        /* "finished" emitted */
  gboolean failed;
} MilterAgentPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (MilterAgent, milter_agent, G_TYPE_OBJECT)

enum {
  SIGNAL_ERROR,
  SIGNAL_FINISHED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static guint64 session_id_counter;

guint64
milter_agent_next_session_id (void)
{
  return __atomic_add_fetch (&session_id_counter, 1, __ATOMIC_RELAXED);
}

static void finish (MilterAgent *agent);

/* The class handler of "error" (the agent's or a subclass's own): the
 * subclass's error() vfunc, then the session is over: nothing written
 * is waited for any more. A class handler rather than a per-instance
 * connect_after, which cost a signal connection per session; it runs
 * after the normal handlers, so "finished" follows them. */
static void
run_error (MilterAgent *agent, GError *error)
{
  MilterAgentClass *klass = MILTER_AGENT_GET_CLASS (agent);
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  if (klass->error)
    klass->error (agent, error);
  priv->failed = TRUE;
  if (priv->draining)
    finish (agent);
}

static void
milter_agent_init (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  /* Grows to the largest reply group once; idle connections stay small. */
  priv->output = g_byte_array_sized_new (64);
  priv->owned_fd = -1;
}

static void
detach_reader (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  if (!priv->reader)
    return;
  milter_reader_stop (priv->reader);
  milter_reader_set_flow_func (priv->reader, NULL, NULL, NULL);
  milter_reader_set_event_funcs (priv->reader, NULL, NULL, NULL);
  g_clear_object (&priv->reader);
}

static void
detach_writer (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  if (!priv->writer)
    return;
  milter_writer_set_event_funcs (priv->writer, NULL, NULL, NULL);
  g_clear_object (&priv->writer);
}

static void
milter_agent_dispose (GObject *object)
{
  MilterAgent *agent = MILTER_AGENT (object);
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  detach_reader (agent);
  detach_writer (agent);
  if (priv->owned_fd >= 0) {
    close (priv->owned_fd);
    priv->owned_fd = -1;
  }
  g_clear_object (&priv->loop);
  G_OBJECT_CLASS (milter_agent_parent_class)->dispose (object);
}

static void
milter_agent_finalize (GObject *object)
{
  MilterAgentPrivate *priv =
    milter_agent_get_instance_private (MILTER_AGENT (object));

  g_byte_array_unref (priv->output);
  G_OBJECT_CLASS (milter_agent_parent_class)->finalize (object);
}

static void
milter_agent_class_init (MilterAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = milter_agent_dispose;
  object_class->finalize = milter_agent_finalize;

  /**
   * MilterAgent::error:
   * @agent: the agent
   * @error: what failed (reading, writing or decoding)
   *
   * The session with this peer is over; "finished" follows.
   */
  signals[SIGNAL_ERROR] =
    g_signal_new_class_handler ("error", G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST, G_CALLBACK (run_error),
                                NULL, NULL, NULL, G_TYPE_NONE, 1,
                                G_TYPE_ERROR);
  /**
   * MilterAgent::finished:
   * @agent: the agent
   *
   * Emitted once, when the agent has shut down (peer closed, shutdown
   * called, or after "error") and what it had written has left: at
   * shutdown itself when nothing was queued, otherwise once the writer
   * has drained or failed (at the latest after the writing timeout, or
   * MILTER_AGENT_DEFAULT_DRAIN_TIMEOUT when none is set). The
   * descriptor of milter_agent_set_fd() is closed just before.
   */
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  G_STRUCT_OFFSET (MilterAgentClass, finished), NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

/* Reports a failure once per agent and ends the session. */
static void
fail (MilterAgent *agent, GError *error)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  if (priv->failed)
    return;
  priv->failed = TRUE;
  g_object_ref (agent);
  g_signal_emit (agent, signals[SIGNAL_ERROR], 0, error);
  milter_agent_shutdown (agent);
  g_object_unref (agent);
}

static void
reader_flow (MilterReader *reader, const guint8 *data, gsize size,
             gpointer user_data)
{
  MilterAgent *agent = user_data;
  MilterAgentClass *klass = MILTER_AGENT_GET_CLASS (agent);
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);
  g_autoptr (GError) error = NULL;

  if (priv->failed || priv->shut_down || !klass->decode)
    return;
  g_object_ref (agent);
  if (!klass->decode (agent, data, size, &error)) {
    milter_error (priv->session_id, "[agent][error][decode] %s",
                  error ? error->message : "decoder failed");
    if (priv->reader)
      milter_reader_stop (priv->reader);
    fail (agent, error);
  }
  g_object_unref (agent);
}

static void
reader_finished (MilterReader *reader, gpointer user_data)
{
  MilterAgent *agent = user_data;
  MilterAgentClass *klass = MILTER_AGENT_GET_CLASS (agent);
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);
  g_autoptr (GError) error = NULL;

  g_object_ref (agent);
  if (!priv->failed && klass->decode_end && !klass->decode_end (agent, &error)) {
    milter_error (priv->session_id, "[agent][error][decode] %s",
                  error ? error->message : "input ended inside a packet");
    fail (agent, error);
  } else {
    milter_agent_shutdown (agent);
  }
  g_object_unref (agent);
}

static void
reader_error (MilterReader *reader, GError *error, gpointer user_data)
{
  MilterAgent *agent = user_data;
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  milter_error (priv->session_id, "[agent][error][reader] %s", error->message);
  fail (agent, error);
}

static void
writer_error (MilterWriter *writer, GError *error, gpointer user_data)
{
  MilterAgent *agent = user_data;
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_object_ref (agent);
  if (!priv->failed && !priv->finished) {
    milter_error (priv->session_id, "[agent][error][writer] %s",
                  error->message);
    /* "error" also ends a drain (run_error). */
    fail (agent, error);
  }
  /* What was queued is lost: nothing more to wait for. */
  if (priv->draining)
    finish (agent);
  g_object_unref (agent);
}

/* The writer has emptied: the session can end, or the peer may send
 * again; then the subclass hears of it. */
static void
writer_flushed (MilterWriter *writer, gpointer user_data)
{
  MilterAgent *agent = user_data;
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);
  MilterAgentClass *klass = MILTER_AGENT_GET_CLASS (agent);
  g_autoptr (GError) error = NULL;

  (void) writer;
  g_object_ref (agent);
  if (priv->draining) {
    finish (agent);
  } else if (priv->reading_paused) {
    priv->reading_paused = FALSE;
    if (priv->reading_wanted && priv->reader && !priv->shut_down &&
        !milter_reader_start (priv->reader, &error)) {
      milter_error (priv->session_id, "[agent][error][reader] %s",
                    error->message);
      fail (agent, error);
    }
  }
  if (klass->flushed)
    klass->flushed (agent);
  g_object_unref (agent);
}

/* Back-pressure: a peer that sends faster than it reads our replies is
 * not read until they have left, so its session's memory stays bounded. */
static void
check_pending (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  if (priv->max_pending_size == 0 || priv->reading_paused || !priv->reader ||
      !priv->writer ||
      milter_writer_get_pending_size (priv->writer) <= priv->max_pending_size)
    return;
  priv->reading_paused = TRUE;
  milter_reader_stop (priv->reader);
}

void
milter_agent_set_event_loop (MilterAgent *agent, MilterEventLoop *loop)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_if_fail (MILTER_IS_AGENT (agent));
  g_set_object (&priv->loop, loop);
}

MilterEventLoop *
milter_agent_get_event_loop (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), NULL);
  return priv->loop;
}

void
milter_agent_set_session_id (MilterAgent *agent, guint64 session_id)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_if_fail (MILTER_IS_AGENT (agent));
  priv->session_id = session_id;
  if (priv->reader)
    milter_reader_set_session_id (priv->reader, session_id);
  if (priv->writer)
    milter_writer_set_session_id (priv->writer, session_id);
}

guint64
milter_agent_get_session_id (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), 0);
  return priv->session_id;
}

void
milter_agent_set_reader (MilterAgent *agent, MilterReader *reader)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_if_fail (MILTER_IS_AGENT (agent));
  if (reader == priv->reader)
    return;
  if (reader)
    g_object_ref (reader);
  detach_reader (agent);
  priv->reader = reader;
  if (!reader)
    return;
  milter_reader_set_session_id (reader, priv->session_id);
  milter_reader_set_flow_func (reader, reader_flow, agent, NULL);
  milter_reader_set_event_funcs (reader, reader_finished, reader_error, agent);
}

MilterReader *
milter_agent_get_reader (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), NULL);
  return priv->reader;
}

void
milter_agent_set_writer (MilterAgent *agent, MilterWriter *writer)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_if_fail (MILTER_IS_AGENT (agent));
  if (writer == priv->writer)
    return;
  if (writer)
    g_object_ref (writer);
  /* What was written to the old destination must reach it before the
   * agent talks through the new one. */
  if (priv->writer) {
    g_autoptr (GError) error = NULL;

    if (!milter_writer_flush (priv->writer, &error))
      milter_error (priv->session_id, "[agent][error][set-writer][auto-flush] %s",
                    error ? error->message : "flush failed");
  }
  detach_writer (agent);
  priv->writer = writer;
  if (!writer)
    return;
  milter_writer_set_session_id (writer, priv->session_id);
  milter_writer_set_timeout (writer, priv->writing_timeout);
  milter_writer_set_event_funcs (writer, writer_flushed, writer_error, agent);
}

MilterWriter *
milter_agent_get_writer (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), NULL);
  return priv->writer;
}

void
milter_agent_set_fd (MilterAgent *agent, gint fd)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);
  g_autoptr (MilterReader) reader = NULL;
  g_autoptr (MilterWriter) writer = NULL;

  g_return_if_fail (MILTER_IS_AGENT (agent));
  g_return_if_fail (priv->loop != NULL);
  reader = milter_reader_new (priv->loop, fd);
  writer = milter_writer_new (priv->loop, fd);
  milter_agent_set_reader (agent, reader);
  milter_agent_set_writer (agent, writer);
  if (priv->owned_fd >= 0 && priv->owned_fd != fd)
    close (priv->owned_fd);
  priv->owned_fd = fd;
}

gboolean
milter_agent_reuse (MilterAgent *agent, gint fd)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), FALSE);
  if (!priv->finished || !priv->reader || !priv->writer)
    return FALSE;
  _milter_reader_reuse (priv->reader, fd);
  _milter_writer_reuse (priv->writer, fd);
  /* A drain may have set one of its own. */
  milter_writer_set_timeout (priv->writer, priv->writing_timeout);
  /* The same array: the subclass may keep a pointer to it. */
  _milter_byte_array_reuse (priv->output, &priv->output_peak);
  priv->owned_fd = fd;
  priv->reading_wanted = FALSE;
  priv->reading_paused = FALSE;
  priv->shut_down = FALSE;
  priv->draining = FALSE;
  priv->finished = FALSE;
  priv->failed = FALSE;
  milter_agent_set_session_id (agent, 0);
  return TRUE;
}

gboolean
milter_agent_start (MilterAgent *agent, GError **error)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (priv->reader != NULL, FALSE);
  priv->reading_wanted = TRUE;
  if (priv->reading_paused)
    return TRUE;
  return milter_reader_start (priv->reader, error);
}

void
milter_agent_stop_reading (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_if_fail (MILTER_IS_AGENT (agent));
  priv->reading_wanted = FALSE;
  if (priv->reader)
    milter_reader_stop (priv->reader);
}

gboolean
milter_agent_resume_reading (MilterAgent *agent, GError **error)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), FALSE);
  if (!priv->reader || priv->shut_down)
    return TRUE;
  priv->reading_wanted = TRUE;
  if (priv->reading_paused || milter_reader_is_watching (priv->reader))
    return TRUE;
  return milter_reader_start (priv->reader, error);
}

gboolean
milter_agent_is_reading_paused (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), FALSE);
  return priv->reading_paused;
}

void
milter_agent_set_max_pending_size (MilterAgent *agent, gsize size)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_if_fail (MILTER_IS_AGENT (agent));
  priv->max_pending_size = size;
  check_pending (agent);
}

gsize
milter_agent_get_max_pending_size (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), 0);
  return priv->max_pending_size;
}

void
milter_agent_set_writing_timeout (MilterAgent *agent, gdouble seconds)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_if_fail (MILTER_IS_AGENT (agent));
  g_return_if_fail (seconds >= 0);
  priv->writing_timeout = seconds;
  if (priv->writer)
    milter_writer_set_timeout (priv->writer, seconds);
}

gdouble
milter_agent_get_writing_timeout (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), 0);
  return priv->writing_timeout;
}

GByteArray *
milter_agent_get_output_buffer (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), NULL);
  return priv->output;
}

static gboolean
check_writable (MilterAgent *agent, GError **error)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  if (priv->writer && !priv->shut_down)
    return TRUE;
  g_set_error (error, MILTER_WRITER_ERROR, MILTER_WRITER_ERROR_CLOSED,
               "session %" G_GUINT64_FORMAT ": %s", priv->session_id,
               priv->writer ? "the agent is shut down" : "the agent has no writer");
  return FALSE;
}

/* Writes (data != NULL) or flushes through the writer. A failure ends the
 * session as an asynchronous one would; the caller still gets the error to
 * decide what it means for its state. */
static gboolean
write_or_flush (MilterAgent *agent, const guint8 *data, gsize size, GError **error)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);
  g_autoptr (GError) local_error = NULL;
  gboolean ok;

  if (!check_writable (agent, error))
    return FALSE;
  ok = data ? milter_writer_write (priv->writer, data, size, &local_error)
            : milter_writer_flush (priv->writer, &local_error);
  if (!ok) {
    if (!priv->failed && local_error) {
      milter_error (priv->session_id, "[agent][error][writer] %s",
                    local_error->message);
      fail (agent, local_error);
    }
    g_propagate_error (error, g_steal_pointer (&local_error));
  } else {
    check_pending (agent);
  }
  return ok;
}

gboolean
milter_agent_send (MilterAgent *agent, GError **error)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);
  gboolean ok;

  g_return_val_if_fail (MILTER_IS_AGENT (agent), FALSE);
  if (priv->output->len == 0)
    return TRUE;
  ok = write_or_flush (agent, priv->output->data, priv->output->len, error);
  priv->output_peak = MAX (priv->output_peak, priv->output->len);
  g_byte_array_set_size (priv->output, 0);
  return ok;
}

gboolean
milter_agent_write (MilterAgent *agent, const guint8 *data, gsize size,
                    GError **error)
{
  g_return_val_if_fail (MILTER_IS_AGENT (agent), FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  if (size == 0)
    return TRUE;
  return write_or_flush (agent, data, size, error);
}

gboolean
milter_agent_flush (MilterAgent *agent, GError **error)
{
  g_return_val_if_fail (MILTER_IS_AGENT (agent), FALSE);
  return write_or_flush (agent, NULL, 0, error);
}

/* The end of a shutdown, once nothing written is left to wait for:
 * close an owned descriptor, "finished". Runs once. */
static void
finish (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  if (priv->finished)
    return;
  priv->finished = TRUE;
  priv->draining = FALSE;
  g_object_ref (agent);
  /* After an error: what is left is not wanted, and the writer must not
   * watch a descriptor about to be closed (its number may be reused). */
  if (priv->writer && milter_writer_get_pending_size (priv->writer) > 0)
    milter_writer_abandon (priv->writer);
  if (priv->owned_fd >= 0) {
    close (priv->owned_fd);
    priv->owned_fd = -1;
  }
  /* Once per session: without handlers, the class's own at once (the
   * emission machinery costs about as much as a command). */
  if (g_signal_has_handler_pending (agent, signals[SIGNAL_FINISHED], 0, TRUE))
    g_signal_emit (agent, signals[SIGNAL_FINISHED], 0);
  else if (MILTER_AGENT_GET_CLASS (agent)->finished)
    MILTER_AGENT_GET_CLASS (agent)->finished (agent);
  g_object_unref (agent);
}

void
milter_agent_shutdown (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_if_fail (MILTER_IS_AGENT (agent));
  if (priv->shut_down)
    return;
  priv->shut_down = TRUE;
  g_object_ref (agent);
  /* Reader and writer log their own shutdown failures; the agent only
   * makes sure both run and that an owned descriptor is closed once. */
  if (priv->reader) {
    milter_reader_stop (priv->reader);
    milter_reader_shutdown (priv->reader, NULL);
  }
  if (priv->writer)
    milter_writer_shutdown (priv->writer, NULL);
  /* A peer may send its last commands (end-of-message and quit) in one
   * go and read our replies only afterwards: closing now would drop what
   * the kernel has not taken yet. The writer half-closes once it has
   * drained ("flushed") or gives up ("error"), bounded by the writing
   * timeout; only then is the descriptor closed. */
  if (priv->writer && !priv->failed &&
      milter_writer_get_pending_size (priv->writer) > 0) {
    priv->draining = TRUE;
    if (milter_writer_get_timeout (priv->writer) <= 0)
      milter_writer_set_timeout (priv->writer,
                                 MILTER_AGENT_DEFAULT_DRAIN_TIMEOUT);
  } else {
    finish (agent);
  }
  g_object_unref (agent);
}

gboolean
milter_agent_is_finished (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), TRUE);
  return priv->finished;
}

gboolean
milter_agent_is_shut_down (MilterAgent *agent)
{
  MilterAgentPrivate *priv = milter_agent_get_instance_private (agent);

  g_return_val_if_fail (MILTER_IS_AGENT (agent), TRUE);
  return priv->shut_down;
}

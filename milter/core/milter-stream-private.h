/*
 * milter-stream-private - unchecked accessors for the reader and the writer
 *
 * DESCRIPTION
 *   The public accessors check their argument's type, which for a
 *   subclass is a walk of the type tree: the reader and the writer ask
 *   several times per command for what they already know is theirs.
 *   Not exported from the library.
 */
#pragma once

#include <milter/core/milter-stream.h>
#include <milter/core/milter-reader.h>
#include <milter/core/milter-writer.h>
#include <milter/core/milter-byte-array-private.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL guint _milter_stream_watch_id (MilterStream *stream);
G_GNUC_INTERNAL gint _milter_stream_fd (MilterStream *stream);
/* A stopped stream on another descriptor of the same loop, as new. */
G_GNUC_INTERNAL void _milter_stream_reuse (MilterStream *stream, gint fd);
/* Each for a reader or writer that is stopped and holds nothing: ready
 * for fd as a new one would be, with its owner's functions kept. */
G_GNUC_INTERNAL void _milter_reader_reuse (MilterReader *reader, gint fd);
G_GNUC_INTERNAL void _milter_writer_reuse (MilterWriter *writer, gint fd);

G_END_DECLS

/*
 * milter-byte-array-private - emptying a reused buffer without keeping a big session's memory
 *
 * DESCRIPTION
 *   Reused objects (milter_agent_reuse(), a decoder's reset) empty their
 *   buffers for the next session, but must not hand it what one big
 *   session made them grow to (a replaced body, a 1 MiB chunk). Each
 *   such buffer records the most it held; emptying frees the memory when
 *   that was over MILTER_REUSE_KEEP_BYTES. Not exported from the library.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MILTER_REUSE_KEEP_BYTES (64 * 1024)

/* Empties array, freeing its memory if *peak (the most it held) was over
 * MILTER_REUSE_KEEP_BYTES; *peak starts again from 0. */
static inline void
_milter_byte_array_reuse (GByteArray *array, gsize *peak)
{
  if (*peak > MILTER_REUSE_KEEP_BYTES)
    g_free (g_byte_array_steal (array, NULL));
  else
    g_byte_array_set_size (array, 0);
  *peak = 0;
}

G_END_DECLS

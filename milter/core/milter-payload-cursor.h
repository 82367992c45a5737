/*
 * milter-payload-cursor - bounds-checked reads over one packet payload
 *
 * SYNOPSIS
 *   #include <milter/core/milter-payload-cursor.h>   (internal to core)
 *
 *   MilterPayloadCursor cursor;
 *   milter_payload_cursor_init (&cursor, payload, size);
 *   const guint8 *milter_payload_cursor_take (&cursor, n);
 *   gboolean milter_payload_cursor_read_uint8 (&cursor, &byte);
 *   gboolean milter_payload_cursor_read_uint16 (&cursor, &value);
 *   gboolean milter_payload_cursor_read_uint32 (&cursor, &value);
 *   gboolean milter_payload_cursor_read_string (&cursor, &string);
 *   gsize milter_payload_cursor_left (&cursor);
 *
 * DESCRIPTION
 *   The one reader under the command and reply decoders. Every read checks
 *   the bytes left first and either consumes its field or leaves the
 *   position where it was and returns FALSE, so a hostile payload can at
 *   worst produce an error, never an over-read. Integers are big-endian.
 *   Strings are returned in place: a read only checks that a NUL ends the
 *   string inside the payload.
 *
 *   The functions are static inline: they sit on the decode hot path and
 *   are not part of any library's ABI.
 *
 * DIAGNOSTICS
 *   None: each decoder words its own errors (they name its packets), from
 *   the position and milter_payload_cursor_left().
 */
#pragma once

#include <string.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const guint8 *data;
  gsize size;
  gsize position;
} MilterPayloadCursor;

/* data may be NULL when size is 0: no read then does pointer arithmetic
 * on it, since every read checks the bytes left first. */
static inline void
milter_payload_cursor_init (MilterPayloadCursor *cursor,
                            const guint8 *data,
                            gsize size)
{
  cursor->data = data;
  cursor->size = size;
  cursor->position = 0;
}

static inline gsize
milter_payload_cursor_left (const MilterPayloadCursor *cursor)
{
  return cursor->size - cursor->position;
}

/* The next n bytes, consumed; NULL (nothing consumed) if fewer are left. */
static inline const guint8 *
milter_payload_cursor_take (MilterPayloadCursor *cursor, gsize n)
{
  const guint8 *p;

  if (milter_payload_cursor_left (cursor) < n)
    return NULL;
  p = cursor->data + cursor->position;
  cursor->position += n;
  return p;
}

static inline gboolean
milter_payload_cursor_read_uint8 (MilterPayloadCursor *cursor, guint8 *value)
{
  const guint8 *p = milter_payload_cursor_take (cursor, 1);

  if (p)
    *value = p[0];
  return p != NULL;
}

static inline gboolean
milter_payload_cursor_read_uint16 (MilterPayloadCursor *cursor, guint16 *value)
{
  const guint8 *p = milter_payload_cursor_take (cursor, 2);

  if (p)
    *value = (guint16) (((guint) p[0] << 8) | (guint) p[1]);
  return p != NULL;
}

static inline gboolean
milter_payload_cursor_read_uint32 (MilterPayloadCursor *cursor, guint32 *value)
{
  const guint8 *p = milter_payload_cursor_take (cursor, 4);

  if (p)
    *value = ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
             ((guint32) p[2] << 8) | (guint32) p[3];
  return p != NULL;
}

/* FALSE if no NUL ends a string here (also when nothing is left). */
static inline gboolean
milter_payload_cursor_read_string (MilterPayloadCursor *cursor,
                                   const gchar **string)
{
  const guint8 *start;
  const guint8 *nul;

  if (milter_payload_cursor_left (cursor) == 0)
    return FALSE;
  start = cursor->data + cursor->position;
  nul = memchr (start, '\0', milter_payload_cursor_left (cursor));
  if (!nul)
    return FALSE;
  *string = (const gchar *) start;
  cursor->position += (gsize) (nul - start) + 1;
  return TRUE;
}

/* TRUE if the payload's last byte is a NUL: libmilter's check for
 * strings it reads from a payload's end. */
static inline gboolean
milter_payload_cursor_ends_with_nul (const MilterPayloadCursor *cursor)
{
  return cursor->size > 0 && cursor->data[cursor->size - 1] == '\0';
}

G_END_DECLS

/*
 * milter-packet-writer - append length-prefixed milter packets to a buffer
 *
 * SYNOPSIS
 *   #include <milter/core/milter-packet-writer.h>   (internal to core)
 *
 *   guint8 *p = milter_packet_writer_begin (out, type, payload_size);
 *   p = milter_packet_put_uint32 (p, value);
 *   p = milter_packet_put_uint16 (p, value);
 *   p = milter_packet_put_bytes (p, data, size);
 *   p = milter_packet_put_string (p, string, length);
 *   void milter_packet_writer_empty (out, type);
 *   void milter_packet_writer_strings (out, type, index, first, rest);
 *
 * DESCRIPTION
 *   The one packet builder under the command and reply encoders. A packet
 *   is written the same way whatever its kind: the caller measures the
 *   payload, begin() grows the buffer once by length field + type byte +
 *   payload and writes the first two, and the put functions copy the
 *   fields into place, each returning where the next one goes. Nothing is
 *   staged in a temporary buffer and the buffer is grown once per packet.
 *
 *   milter_packet_writer_strings() covers every packet made of an optional
 *   uint32 (index != NULL) and then NUL-terminated strings: first, then
 *   rest[] up to its first NULL (rest may be NULL).
 *
 *   The functions are static inline: they sit on the encode hot path and
 *   are not part of any library's ABI.
 *
 * DIAGNOSTICS
 *   begin() returns NULL (g_return_val_if_fail) when out is NULL or the
 *   packet cannot be represented (a length over 32 bits or a buffer over
 *   G_MAXUINT bytes); nothing is written then.
 */
#pragma once

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>

G_BEGIN_DECLS

static inline guint8 *
milter_packet_put_uint32 (guint8 *p, guint32 value)
{
  p[0] = (guint8) (value >> 24);
  p[1] = (guint8) (value >> 16);
  p[2] = (guint8) (value >> 8);
  p[3] = (guint8) value;
  return p + 4;
}

static inline guint8 *
milter_packet_put_uint16 (guint8 *p, guint16 value)
{
  p[0] = (guint8) (value >> 8);
  p[1] = (guint8) value;
  return p + 2;
}

static inline guint8 *
milter_packet_put_bytes (guint8 *p, const void *data, gsize size)
{
  if (size > 0)
    memcpy (p, data, size);
  return p + size;
}

/* A string with its NUL, whose length the caller measured. */
static inline guint8 *
milter_packet_put_string (guint8 *p, const gchar *string, gsize length)
{
  p = milter_packet_put_bytes (p, string, length);
  *p = '\0';
  return p + 1;
}

/* Appends the length field and type byte and returns where the payload
 * goes, or NULL if the packet cannot be represented. */
static inline guint8 *
milter_packet_writer_begin (GByteArray *out, guint8 type, gsize payload_size)
{
  guint old_length;
  guint8 *p;

  g_return_val_if_fail (out != NULL, NULL);
  /* The length field counts the type byte; GByteArray's length is a guint. */
  g_return_val_if_fail (payload_size < G_MAXUINT32 - MILTER_PACKET_HEADER_SIZE,
                        NULL);
  g_return_val_if_fail (payload_size + 1 + MILTER_PACKET_HEADER_SIZE <=
                        (gsize) (G_MAXUINT - out->len), NULL);

  old_length = out->len;
  g_byte_array_set_size (out,
                         old_length + MILTER_PACKET_HEADER_SIZE + 1 +
                         (guint) payload_size);
  p = milter_packet_put_uint32 (out->data + old_length,
                                (guint32) payload_size + 1);
  *p = type;
  return p + 1;
}

static inline void
milter_packet_writer_empty (GByteArray *out, guint8 type)
{
  milter_packet_writer_begin (out, type, 0);
}

/* Lengths of the first few strings are kept so that each is measured once;
 * longer argument lists are measured again while copying. */
#define MILTER_PACKET_WRITER_KEPT_LENGTHS 8

static inline void
milter_packet_writer_strings (GByteArray *out,
                              guint8 type,
                              const guint32 *index,
                              const gchar *first,
                              const gchar *const *rest)
{
  gsize lengths[MILTER_PACKET_WRITER_KEPT_LENGTHS];
  gsize payload_size = index ? 4 : 0;
  gsize first_length;
  guint8 *p;
  gsize i;

  g_return_if_fail (first != NULL);
  first_length = strlen (first);
  payload_size += first_length + 1;
  for (i = 0; rest && rest[i]; i++) {
    gsize length = strlen (rest[i]);

    if (i < MILTER_PACKET_WRITER_KEPT_LENGTHS)
      lengths[i] = length;
    payload_size += length + 1;
  }
  p = milter_packet_writer_begin (out, type, payload_size);
  if (!p)
    return;
  if (index)
    p = milter_packet_put_uint32 (p, *index);
  p = milter_packet_put_string (p, first, first_length);
  for (i = 0; rest && rest[i]; i++)
    p = milter_packet_put_string (p, rest[i],
                                  i < MILTER_PACKET_WRITER_KEPT_LENGTHS
                                    ? lengths[i] : strlen (rest[i]));
}

G_END_DECLS

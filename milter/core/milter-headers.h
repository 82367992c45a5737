/*
 * milter-headers - an ordered header list with milter modification rules
 *
 * SYNOPSIS
 *   MilterHeaders *milter_headers_new (void);
 *   MilterHeaders *milter_headers_copy (const MilterHeaders *headers);
 *   void milter_headers_free (MilterHeaders *headers);
 *   gboolean milter_headers_add (headers, name, value, &error);
 *   gboolean milter_headers_insert (headers, index, name, value, &error);
 *   gboolean milter_headers_change (headers, name, index, value, &error);
 *   gboolean milter_headers_delete (headers, name, index, &error);
 *   const MilterHeader *milter_headers_get_nth (headers, n);
 *   guint milter_headers_length (headers);
 *   const gchar *milter_headers_find (headers, name, index);
 *   gboolean milter_headers_equal (a, b);
 *   gchar *milter_headers_to_string (headers);
 *   void milter_headers_foreach (headers, func, user_data);
 *
 * DESCRIPTION
 *   The header section of one message, in order, duplicates kept. The
 *   modification operations follow the milter protocol's replies, so the
 *   manager can apply a child's edits to its own copy exactly as the MTA
 *   would apply them to the message:
 *
 *   add       add-header ('h'): append at the end.
 *   insert    insert-header ('i'): index is 0-based over all headers;
 *             an index past the end appends.
 *   change    change-header ('m'): index is 1-based among the headers
 *             with that name, names compared case-insensitively. An empty
 *             or NULL value deletes that occurrence. When there is no such
 *             occurrence and the value is non-empty, the header is appended
 *             (as Sendmail does). Index 0 means 1 (see milter-headers.c).
 *   delete    change with an empty value.
 *
 *   Values are stored as given (no unfolding, no trimming); a NULL value
 *   to add or insert is stored as "".
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_HEADERS_ERROR: a NULL or empty name, or a name
 *   with a colon, space or ASCII control character (it would corrupt the
 *   message when written out). The list is unchanged after an error.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MILTER_HEADERS_ERROR (milter_headers_error_quark ())
GQuark milter_headers_error_quark (void);

typedef enum {
  MILTER_HEADERS_ERROR_INVALID_NAME
} MilterHeadersError;

typedef struct {
  gchar *name;
  gchar *value;
} MilterHeader;

typedef struct _MilterHeaders MilterHeaders;

typedef void (*MilterHeaderFunc) (const gchar *name,
                                  const gchar *value,
                                  gpointer user_data);

#define MILTER_TYPE_HEADERS (milter_headers_get_type ())
GType milter_headers_get_type (void);

MilterHeaders *milter_headers_new (void);
MilterHeaders *milter_headers_copy (const MilterHeaders *headers);
void milter_headers_free (MilterHeaders *headers);

/* Validates a header name as the operations below do. */
gboolean milter_headers_check_name (const gchar *name, GError **error);

gboolean milter_headers_add (MilterHeaders *headers,
                             const gchar *name,
                             const gchar *value,
                             GError **error);
gboolean milter_headers_insert (MilterHeaders *headers,
                                guint index,
                                const gchar *name,
                                const gchar *value,
                                GError **error);
gboolean milter_headers_change (MilterHeaders *headers,
                                const gchar *name,
                                guint index,
                                const gchar *value,
                                GError **error);
gboolean milter_headers_delete (MilterHeaders *headers,
                                const gchar *name,
                                guint index,
                                GError **error);

/* n is 0-based over all headers; NULL when out of range. */
const MilterHeader *milter_headers_get_nth (const MilterHeaders *headers,
                                            guint n);
guint milter_headers_length (const MilterHeaders *headers);
/* The value of the index-th (1-based, 0 means 1) header named name,
 * compared case-insensitively; NULL when there is none. */
const gchar *milter_headers_find (const MilterHeaders *headers,
                                  const gchar *name,
                                  guint index);
/* Same headers in the same order; names and values compared exactly. */
gboolean milter_headers_equal (const MilterHeaders *a,
                               const MilterHeaders *b);
/* "Name: value\n" per header, for tests and debug logs. */
gchar *milter_headers_to_string (const MilterHeaders *headers);
void milter_headers_foreach (const MilterHeaders *headers,
                             MilterHeaderFunc func,
                             gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterHeaders, milter_headers_free)

G_END_DECLS

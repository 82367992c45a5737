/*
 * milter-headers - an ordered header list with milter modification rules
 *
 * The list is a GPtrArray of individually allocated MilterHeader, so
 * insert and delete move pointers only. Messages carry tens of headers,
 * so the linear scans of change and find cost nothing worth indexing.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-headers.h>

G_DEFINE_QUARK (milter-headers-error-quark, milter_headers_error)

struct _MilterHeaders {
  GPtrArray *list;  /* of MilterHeader *, owned */
};

G_DEFINE_BOXED_TYPE (MilterHeaders, milter_headers,
                     milter_headers_copy, milter_headers_free)

static MilterHeader *
header_new (const gchar *name, const gchar *value)
{
  MilterHeader *header = g_new (MilterHeader, 1);

  header->name = g_strdup (name);
  header->value = g_strdup (value ? value : "");
  return header;
}

static void
header_free (gpointer data)
{
  MilterHeader *header = data;

  g_free (header->name);
  g_free (header->value);
  g_free (header);
}

MilterHeaders *
milter_headers_new (void)
{
  MilterHeaders *headers = g_new (MilterHeaders, 1);

  headers->list = g_ptr_array_new_with_free_func (header_free);
  return headers;
}

MilterHeaders *
milter_headers_copy (const MilterHeaders *headers)
{
  MilterHeaders *copy = milter_headers_new ();
  guint i;

  for (i = 0; i < headers->list->len; i++) {
    const MilterHeader *header = g_ptr_array_index (headers->list, i);
    g_ptr_array_add (copy->list, header_new (header->name, header->value));
  }
  return copy;
}

void
milter_headers_free (MilterHeaders *headers)
{
  if (!headers)
    return;
  g_ptr_array_unref (headers->list);
  g_free (headers);
}

gboolean
milter_headers_check_name (const gchar *name, GError **error)
{
  const guchar *p;

  if (!name || !name[0]) {
    g_set_error (error, MILTER_HEADERS_ERROR,
                 MILTER_HEADERS_ERROR_INVALID_NAME, "header name is empty");
    return FALSE;
  }
  /* RFC 5322 field names are printable ASCII without ':'. Bytes >= 0x80
   * are let through: MTAs pass such headers on, and refusing them here
   * would make a whole message unprocessable. */
  for (p = (const guchar *) name; *p; p++) {
    if (*p == ':' || *p <= ' ' || *p == 0x7f) {
      g_set_error (error, MILTER_HEADERS_ERROR,
                   MILTER_HEADERS_ERROR_INVALID_NAME,
                   "invalid header name '%s': byte 0x%02x at offset %u "
                   "is not allowed",
                   name, *p, (guint) (p - (const guchar *) name));
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
milter_headers_add (MilterHeaders *headers,
                    const gchar *name,
                    const gchar *value,
                    GError **error)
{
  if (!milter_headers_check_name (name, error))
    return FALSE;
  g_ptr_array_add (headers->list, header_new (name, value));
  return TRUE;
}

gboolean
milter_headers_insert (MilterHeaders *headers,
                       guint index,
                       const gchar *name,
                       const gchar *value,
                       GError **error)
{
  if (!milter_headers_check_name (name, error))
    return FALSE;
  /* Both Sendmail and Postfix append when the index is past the end. */
  if (index >= headers->list->len)
    g_ptr_array_add (headers->list, header_new (name, value));
  else
    g_ptr_array_insert (headers->list, (gint) index, header_new (name, value));
  return TRUE;
}

/* Position in the list of the index-th (1-based) header named name, or -1.
 * Index 0 is taken as 1: Sendmail counts occurrences down with
 * "--index <= 0", so 0 hits the first one, and milters written against
 * Sendmail send 0 expecting exactly that. */
static gint
position_of (const MilterHeaders *headers, const gchar *name, guint index)
{
  guint i;
  guint seen = 0;

  if (index == 0)
    index = 1;
  for (i = 0; i < headers->list->len; i++) {
    const MilterHeader *header = g_ptr_array_index (headers->list, i);

    if (g_ascii_strcasecmp (header->name, name) != 0)
      continue;
    seen++;
    if (seen == index)
      return (gint) i;
  }
  return -1;
}

gboolean
milter_headers_change (MilterHeaders *headers,
                       const gchar *name,
                       guint index,
                       const gchar *value,
                       GError **error)
{
  gint position;
  gboolean delete = (!value || !value[0]);

  if (!milter_headers_check_name (name, error))
    return FALSE;
  position = position_of (headers, name, index);
  if (position < 0) {
    /* Sendmail adds the header when the occurrence does not exist;
     * deleting a missing header is a no-op everywhere. */
    if (!delete)
      g_ptr_array_add (headers->list, header_new (name, value));
    return TRUE;
  }
  if (delete) {
    g_ptr_array_remove_index (headers->list, (guint) position);
  } else {
    MilterHeader *header = g_ptr_array_index (headers->list, position);

    g_free (header->value);
    header->value = g_strdup (value);
  }
  return TRUE;
}

gboolean
milter_headers_delete (MilterHeaders *headers,
                       const gchar *name,
                       guint index,
                       GError **error)
{
  return milter_headers_change (headers, name, index, NULL, error);
}

const MilterHeader *
milter_headers_get_nth (const MilterHeaders *headers, guint n)
{
  if (n >= headers->list->len)
    return NULL;
  return g_ptr_array_index (headers->list, n);
}

guint
milter_headers_length (const MilterHeaders *headers)
{
  return headers->list->len;
}

const gchar *
milter_headers_find (const MilterHeaders *headers,
                     const gchar *name,
                     guint index)
{
  gint position;

  if (!name)
    return NULL;
  position = position_of (headers, name, index);
  if (position < 0)
    return NULL;
  return ((const MilterHeader *) g_ptr_array_index (headers->list,
                                                    position))->value;
}

gboolean
milter_headers_equal (const MilterHeaders *a, const MilterHeaders *b)
{
  guint i;

  if (a == b)
    return TRUE;
  if (!a || !b || a->list->len != b->list->len)
    return FALSE;
  for (i = 0; i < a->list->len; i++) {
    const MilterHeader *x = g_ptr_array_index (a->list, i);
    const MilterHeader *y = g_ptr_array_index (b->list, i);

    if (strcmp (x->name, y->name) != 0 || strcmp (x->value, y->value) != 0)
      return FALSE;
  }
  return TRUE;
}

gchar *
milter_headers_to_string (const MilterHeaders *headers)
{
  GString *string = g_string_new (NULL);
  guint i;

  for (i = 0; i < headers->list->len; i++) {
    const MilterHeader *header = g_ptr_array_index (headers->list, i);

    g_string_append_printf (string, "%s: %s\n", header->name, header->value);
  }
  return g_string_free (string, FALSE);
}

void
milter_headers_foreach (const MilterHeaders *headers,
                        MilterHeaderFunc func,
                        gpointer user_data)
{
  guint i;

  for (i = 0; i < headers->list->len; i++) {
    const MilterHeader *header = g_ptr_array_index (headers->list, i);

    func (header->name, header->value, user_data);
  }
}

/*
 * milter-manager-message-store - the message in flight: headers and body
 *
 * The body lives in exactly one place at a time: a GByteArray, or an
 * unlinked file. The file is opened for appending, so a write always
 * lands at its end whatever a reader did, and read through an
 * unbuffered binary GIOChannel: a position, then a read, each failure
 * told apart (the log catalogue has rows for a failed encoding setup, a
 * failed seek and a failed read). Nothing goes through a user-space
 * buffer: the MTA's chunks are large enough that a copy would only add
 * work.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-headers.h>
#include <milter/manager/milter-manager-error.h>
#include <milter/manager/milter-manager-message-store.h>

struct _MilterManagerMessageStore {
  gsize threshold;
  gchar *temporary_directory;
  MilterHeaders *headers;
  MilterHeaders *original_headers;
  GByteArray *memory;     /* the body while it is small */
  gint fd;                /* the body once it is large, else -1 */
  GIOChannel *channel;    /* reads fd */
  guint64 body_size;
  gboolean body_replaced;
  GByteArray *read_buffer;
};

MilterManagerMessageStore *
milter_manager_message_store_new (gsize threshold,
                                  const gchar *temporary_directory)
{
  MilterManagerMessageStore *store = g_new0 (MilterManagerMessageStore, 1);

  store->threshold = threshold;
  store->temporary_directory =
    g_strdup (temporary_directory ? temporary_directory : g_get_tmp_dir ());
  store->headers = milter_headers_new ();
  store->memory = g_byte_array_new ();
  store->fd = -1;
  store->read_buffer = g_byte_array_new ();
  return store;
}

static void
drop_body (MilterManagerMessageStore *store)
{
  g_clear_pointer (&store->channel, g_io_channel_unref);
  if (store->fd >= 0) {
    close (store->fd);
    store->fd = -1;
  }
  /* A new array rather than a resize: a large body's memory goes back. */
  g_byte_array_unref (store->memory);
  store->memory = g_byte_array_new ();
  store->body_size = 0;
}

void
milter_manager_message_store_free (MilterManagerMessageStore *store)
{
  if (!store)
    return;
  drop_body (store);
  g_byte_array_unref (store->memory);
  g_byte_array_unref (store->read_buffer);
  milter_headers_free (store->headers);
  milter_headers_free (store->original_headers);
  g_free (store->temporary_directory);
  g_free (store);
}

MilterHeaders *
milter_manager_message_store_get_headers (MilterManagerMessageStore *store)
{
  return store->headers;
}

void
milter_manager_message_store_keep_original_headers (MilterManagerMessageStore *store)
{
  milter_headers_free (store->original_headers);
  store->original_headers = milter_headers_copy (store->headers);
}

const MilterHeaders *
milter_manager_message_store_get_original_headers (MilterManagerMessageStore *store)
{
  return store->original_headers;
}

static gboolean
write_all (MilterManagerMessageStore *store,
           const guint8 *data,
           gsize size,
           GError **error)
{
  while (size > 0) {
    gssize written = write (store->fd, data, size);

    if (written < 0) {
      gint saved_errno = errno;

      if (saved_errno == EINTR)
        continue;
      g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_BODY_WRITE,
                   "failed to write the message body to a temporary file "
                   "in %s: %s", store->temporary_directory,
                   g_strerror (saved_errno));
      return FALSE;
    }
    store->body_size += (guint64) written;
    data += written;
    size -= (gsize) written;
  }
  return TRUE;
}

/* Creates the unlinked file and moves the in-memory body into it. */
static gboolean
move_to_file (MilterManagerMessageStore *store, GError **error)
{
  g_autofree gchar *template =
    g_build_filename (store->temporary_directory,
                      "milter-manager-body-XXXXXX", NULL);
  gint fd = g_mkstemp_full (template, O_RDWR | O_APPEND | O_CLOEXEC, 0600);
  gint saved_errno = errno;
  g_autoptr (GByteArray) memory = NULL;

  if (fd < 0) {
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_BODY_OPEN,
                 "failed to create a temporary file for the message body "
                 "in %s: %s", store->temporary_directory,
                 g_strerror (saved_errno));
    return FALSE;
  }
  /* Unlinked before anything is written: nothing to clean up later. */
  if (g_unlink (template) != 0) {
    saved_errno = errno;
    close (fd);
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_BODY_OPEN,
                 "failed to unlink the temporary body file %s: %s",
                 template, g_strerror (saved_errno));
    return FALSE;
  }

  /* Binary and unbuffered: the channel only positions and reads. */
  GIOChannel *channel = g_io_channel_unix_new (fd);
  GError *channel_error = NULL;
  if (g_io_channel_set_encoding (channel, NULL, &channel_error) != G_IO_STATUS_NORMAL) {
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_BODY_ENCODING,
                 "failed to make the temporary body file binary: %s",
                 channel_error ? channel_error->message : "unknown error");
    g_clear_error (&channel_error);
    g_io_channel_unref (channel);
    close (fd);
    return FALSE;
  }
  g_io_channel_set_buffered (channel, FALSE);

  memory = g_steal_pointer (&store->memory);
  store->memory = g_byte_array_new ();
  store->fd = fd;
  store->channel = channel;
  store->body_size = 0;
  return write_all (store, memory->data, memory->len, error);
}

gboolean
milter_manager_message_store_append_body (MilterManagerMessageStore *store,
                                          const gchar *data,
                                          gsize size,
                                          GError **error)
{
  if (size == 0)
    return TRUE;
  if (store->fd < 0 && store->memory->len + size > store->threshold &&
      !move_to_file (store, error))
    return FALSE;
  if (store->fd >= 0)
    return write_all (store, (const guint8 *) data, size, error);
  g_byte_array_append (store->memory, (const guint8 *) data, (guint) size);
  store->body_size += size;
  return TRUE;
}

void
milter_manager_message_store_replace_body (MilterManagerMessageStore *store)
{
  drop_body (store);
  store->body_replaced = TRUE;
}

static const gchar *
read_file (MilterManagerMessageStore *store,
           guint64 offset,
           gsize max_size,
           gsize *size,
           GError **error)
{
  g_autoptr (GError) channel_error = NULL;
  gsize done = 0;

  g_byte_array_set_size (store->read_buffer, (guint) MAX (max_size, 1));
  if (g_io_channel_seek_position (store->channel, (gint64) offset, G_SEEK_SET,
                                  &channel_error) != G_IO_STATUS_NORMAL) {
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_BODY_SEEK,
                 "failed to find byte %" G_GUINT64_FORMAT " of the message body "
                 "in its temporary file: %s", offset,
                 channel_error ? channel_error->message : "unknown error");
    return NULL;
  }
  while (done < max_size) {
    gsize n = 0;
    GIOStatus status = g_io_channel_read_chars (store->channel,
                                                (gchar *) store->read_buffer->data + done,
                                                max_size - done, &n, &channel_error);
    done += n;
    if (status == G_IO_STATUS_EOF)
      break;
    if (status == G_IO_STATUS_ERROR) {
      g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_BODY_READ,
                   "failed to read the message body back from its "
                   "temporary file: %s", channel_error->message);
      return NULL;
    }
  }
  *size = done;
  return (const gchar *) store->read_buffer->data;
}

const gchar *
milter_manager_message_store_read_body (MilterManagerMessageStore *store,
                                        guint64 offset,
                                        gsize max_size,
                                        gsize *size,
                                        GError **error)
{
  guint64 left = offset < store->body_size ? store->body_size - offset : 0;

  max_size = (gsize) MIN ((guint64) max_size, left);
  if (store->fd >= 0)
    return read_file (store, offset, max_size, size, error);
  *size = max_size;
  if (max_size == 0)
    return "";
  return (const gchar *) store->memory->data + offset;
}

guint64
milter_manager_message_store_get_body_size (MilterManagerMessageStore *store)
{
  return store->body_size;
}

gboolean
milter_manager_message_store_is_body_replaced (MilterManagerMessageStore *store)
{
  return store->body_replaced;
}

gboolean
milter_manager_message_store_is_body_in_file (MilterManagerMessageStore *store)
{
  return store->fd >= 0;
}

gsize
milter_manager_message_store_get_memory_size (MilterManagerMessageStore *store)
{
  return store->memory->len;
}

void
milter_manager_message_store_reset (MilterManagerMessageStore *store)
{
  drop_body (store);
  store->body_replaced = FALSE;
  milter_headers_free (store->headers);
  store->headers = milter_headers_new ();
  g_clear_pointer (&store->original_headers, milter_headers_free);
}

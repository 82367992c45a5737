/*
 * client-test-mta - a scripted MTA side for the client tests
 *
 * SYNOPSIS
 *   See client-test-mta.h.
 *
 * DESCRIPTION
 *   Non-blocking descriptor, poll(2) with a short timeout, a reply decoder.
 *
 * DIAGNOSTICS
 *   None beyond return values.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-reply-decoder.h>
#include <milter/core/milter-socket.h>

#include "client-test-mta.h"

struct _ClientTestMta {
  gint fd;
  gboolean closed;
  GByteArray *output;
  gsize written;
  MilterReplyDecoder *decoder;
  GPtrArray *replies;
};

ClientTestMta *
client_test_mta_new (gint fd)
{
  ClientTestMta *mta = g_new0 (ClientTestMta, 1);

  mta->fd = fd;
  milter_socket_set_nonblocking (fd, TRUE, NULL);
  mta->output = g_byte_array_new ();
  mta->decoder = milter_reply_decoder_new (64 * 1024 * 1024);
  mta->replies = g_ptr_array_new_with_free_func (g_free);
  return mta;
}

ClientTestMta *
client_test_mta_connect (const gchar *spec_text, GError **error)
{
  g_autoptr (MilterConnectionSpec) spec = NULL;
  gint fd;
  struct pollfd poll_fd;

  spec = milter_connection_spec_parse (spec_text, error);
  if (!spec)
    return NULL;
  fd = milter_socket_connect (spec, error);
  if (fd < 0)
    return NULL;
  poll_fd.fd = fd;
  poll_fd.events = POLLOUT;
  poll (&poll_fd, 1, 5000);
  if (!milter_socket_finish_connect (fd, error)) {
    close (fd);
    return NULL;
  }
  return client_test_mta_new (fd);
}

GByteArray *
client_test_mta_output (ClientTestMta *mta)
{
  return mta->output;
}

static gboolean
collect (const MilterReply *reply, gpointer user_data, GError **error)
{
  ClientTestMta *mta = user_data;

  (void) error;
  g_ptr_array_add (mta->replies, milter_reply_to_string (reply));
  return TRUE;
}

gboolean
client_test_mta_pump (ClientTestMta *mta,
                      MilterEventLoop *loop,
                      guint n_replies,
                      guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint8 buffer[65536];

  while (g_get_monotonic_time () < deadline) {
    struct pollfd poll_fd = { mta->fd, POLLIN, 0 };
    gboolean busy = FALSE;

    if (mta->written < mta->output->len && !mta->closed) {
      gssize n = send (mta->fd, mta->output->data + mta->written,
                       mta->output->len - mta->written, MSG_NOSIGNAL);
      if (n > 0) {
        mta->written += (gsize) n;
        busy = TRUE;
      } else if (n == -1 && errno != EAGAIN && errno != EINTR) {
        mta->closed = TRUE;
      }
      if (mta->written == mta->output->len) {
        g_byte_array_set_size (mta->output, 0);
        mta->written = 0;
      }
    }
    if (mta->replies->len >= n_replies && mta->output->len == 0)
      return TRUE;
    if (mta->closed)
      return mta->replies->len >= n_replies;
    if (loop) {
      while (milter_event_loop_iterate (loop, FALSE))
        busy = TRUE;
    }
    if (poll (&poll_fd, 1, loop ? (busy ? 0 : 1) : 10) > 0) {
      gssize n = recv (mta->fd, buffer, sizeof (buffer), 0);

      if (n > 0) {
        if (!milter_reply_decoder_feed (mta->decoder, buffer, (gsize) n,
                                        collect, mta, NULL))
          return FALSE;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        mta->closed = TRUE;
      }
    }
  }
  return FALSE;
}

guint
client_test_mta_n_replies (ClientTestMta *mta)
{
  return mta->replies->len;
}

const gchar *
client_test_mta_reply (ClientTestMta *mta, guint index)
{
  if (index >= mta->replies->len)
    return NULL;
  return mta->replies->pdata[index];
}

gchar *
client_test_mta_dump (ClientTestMta *mta)
{
  g_ptr_array_add (mta->replies, NULL);
  g_autofree gchar *dump = g_strjoinv ("\n", (gchar **) mta->replies->pdata);
  g_ptr_array_remove_index (mta->replies, mta->replies->len - 1);
  return g_steal_pointer (&dump);
}

gboolean
client_test_mta_is_closed (ClientTestMta *mta)
{
  return mta->closed;
}

gint
client_test_mta_get_fd (ClientTestMta *mta)
{
  return mta->fd;
}

void
client_test_mta_close (ClientTestMta *mta)
{
  if (mta->fd >= 0)
    close (mta->fd);
  mta->fd = -1;
  mta->closed = TRUE;
}

void
client_test_mta_free (ClientTestMta *mta)
{
  if (!mta)
    return;
  client_test_mta_close (mta);
  g_byte_array_unref (mta->output);
  milter_reply_decoder_free (mta->decoder);
  g_ptr_array_unref (mta->replies);
  g_free (mta);
}

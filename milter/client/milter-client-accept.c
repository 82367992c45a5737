/*
 * milter-client-accept - watching the listening socket and accept(2)
 *
 * SYNOPSIS
 *   void _milter_client_update_accept_watch (MilterClient *client);
 *   void _milter_client_stop_accepting (MilterClient *client);
 *   void _milter_client_fail_run (MilterClient *client, error);
 *
 * DESCRIPTION
 *   The listening socket is watched only while
 *   milter_client_accept_allowed() says so; the decision is taken again
 *   whenever a session starts or finishes and when a suspension ends. A
 *   wake-up accepts up to MILTER_CLIENT_ACCEPT_BURST connections. When
 *   accept(2) fails for lack of descriptors or memory (EMFILE, ENFILE,
 *   ENOBUFS, ENOMEM) the watch is dropped for suspend-time seconds, so
 *   the loop never spins on a socket it cannot serve; errors that concern
 *   one connection are logged and skipped; anything else ends the run.
 *
 * DIAGNOSTICS
 *   [client][accept][suspend], [client][accept][resume] (warnings),
 *   [client][error][accept] (warning), [client][watch][error].
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/core/milter-socket.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>

static gboolean accept_ready (gint fd, GIOCondition condition,
                              gpointer user_data);

void
_milter_client_fail_run (MilterClient *self, const GError *error)
{
  if (!self->run_error)
    self->run_error = g_error_copy (error);
  milter_event_loop_quit (self->loop);
}

static gboolean
resume_accepting (gpointer user_data)
{
  MilterClient *self = user_data;

  self->suspend_timer = 0;
  self->suspended = FALSE;
  milter_warning (0, "[client][accept][resume] accepting connections again "
                  "(%u sessions running)",
                  milter_client_get_n_processing_sessions (self));
  _milter_client_update_accept_watch (self);
  return G_SOURCE_REMOVE;
}

static void
suspend_accepting (MilterClient *self, gint error_number)
{
  self->suspended = TRUE;
  milter_warning (0, "[client][accept][suspend] %s: not accepting for %.3gs "
                  "(%u sessions running)", g_strerror (error_number),
                  self->suspend_time,
                  milter_client_get_n_processing_sessions (self));
  self->suspend_timer = milter_event_loop_add_timeout (self->loop,
                                                       self->suspend_time,
                                                       resume_accepting,
                                                       self, NULL);
}

void
_milter_client_update_accept_watch (MilterClient *self)
{
  gboolean wanted;

  if (!self->loop || self->listen_fd < 0 || !self->accepting)
    return;
  wanted = milter_client_accept_allowed (milter_client_get_n_processing_sessions (self),
                                         self->max_connections,
                                         self->suspended);
  if (wanted && !self->accept_watch) {
    self->accept_watch = milter_event_loop_watch_io (self->loop,
                                                     self->listen_fd,
                                                     G_IO_IN, accept_ready,
                                                     self, NULL);
    if (!self->accept_watch) {
      g_autoptr (GError) error =
        g_error_new (MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_WATCH,
                     "cannot watch the listening socket %d",
                     self->listen_fd);
      milter_error (0, "[client][watch][error] %s", error->message);
      _milter_client_fail_run (self, error);
    }
  } else if (!wanted && self->accept_watch) {
    milter_event_loop_remove (self->loop, self->accept_watch);
    self->accept_watch = 0;
  }
}

/* Errors of accept(2) that concern one connection, not the socket. */
static gboolean
accept_error_is_transient (gint error_number)
{
  switch (error_number) {
  case ECONNABORTED:
  case EPROTO:
  case EPERM:
  case ENETDOWN:
  case ENOPROTOOPT:
  case EHOSTDOWN:
  case ENONET:
  case EHOSTUNREACH:
  case EOPNOTSUPP:
  case ENETUNREACH:
  case ETIMEDOUT:
    return TRUE;
  default:
    return FALSE;
  }
}

/* Sockets accepted from one listener share its family and type, and
 * Linux copies the listener's TCP_NODELAY (which milter_socket_prepare()
 * set) to them: whether each connection needs a setsockopt() is learnt
 * from the first one, not with up to three system calls per connection. */
static void
learn_nodelay (MilterClient *self, gint listen_fd, gint client_fd)
{
  gint value = 0;
  socklen_t length = sizeof (value);

  if (!milter_socket_nodelay_needed (client_fd, &self->nodelay_needed, NULL))
    return;
  if (self->nodelay_needed &&
      getsockopt (client_fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) == 0 &&
      value)
    self->nodelay_needed = FALSE;  /* inherited */
  self->nodelay_fd = listen_fd;
}

static gboolean
accept_ready (gint fd, GIOCondition condition, gpointer user_data)
{
  MilterClient *self = user_data;

  if (!(condition & G_IO_IN) &&
      (condition & (G_IO_ERR | G_IO_HUP | G_IO_NVAL))) {
    g_autoptr (GError) error =
      g_error_new (MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_WATCH,
                   "the listening socket %d reported %s%s%s", fd,
                   (condition & G_IO_ERR) ? "error " : "",
                   (condition & G_IO_HUP) ? "hang-up " : "",
                   (condition & G_IO_NVAL) ? "invalid-descriptor" : "");
    milter_error (0, "[client][watch][error] %s", error->message);
    self->accept_watch = 0;
    _milter_client_fail_run (self, error);
    return G_SOURCE_REMOVE;
  }

  for (guint i = 0; i < MILTER_CLIENT_ACCEPT_BURST; i++) {
    gint client_fd;

    if (!milter_client_accept_allowed (milter_client_get_n_processing_sessions (self),
                                       self->max_connections,
                                       self->suspended)) {
      self->accept_watch = 0;
      return G_SOURCE_REMOVE;
    }
    client_fd = accept4 (fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client_fd == -1) {
      gint error_number = errno;

      if (error_number == EAGAIN || error_number == EWOULDBLOCK)
        return G_SOURCE_CONTINUE;
      if (error_number == EINTR)
        continue;
      if (error_number == EMFILE || error_number == ENFILE ||
          error_number == ENOBUFS || error_number == ENOMEM) {
        self->accept_watch = 0;
        suspend_accepting (self, error_number);
        return G_SOURCE_REMOVE;
      }
      milter_warning (0, "[client][error][accept] %s",
                      g_strerror (error_number));
      if (accept_error_is_transient (error_number))
        continue;
      {
        g_autoptr (GError) error =
          g_error_new (MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_ACCEPT,
                       "accept failed: %s", g_strerror (error_number));
        self->accept_watch = 0;
        _milter_client_fail_run (self, error);
      }
      return G_SOURCE_REMOVE;
    }
    if (self->nodelay_fd != fd)
      learn_nodelay (self, fd, client_fd);
    if (self->nodelay_needed)
      milter_socket_enable_nodelay (client_fd, NULL);
    _milter_client_start_session (self, client_fd);
  }
  return G_SOURCE_CONTINUE;
}

/* Drops the watch and any suspension (end of a run, shutdown, cleanup). */
void
_milter_client_stop_accepting (MilterClient *self)
{
  if (self->accept_watch && self->loop)
    milter_event_loop_remove (self->loop, self->accept_watch);
  self->accept_watch = 0;
  if (self->suspend_timer && self->loop)
    milter_event_loop_remove (self->loop, self->suspend_timer);
  self->suspend_timer = 0;
  self->suspended = FALSE;
}

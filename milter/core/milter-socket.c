/*
 * milter-socket - descriptor set-up, listen, accept and connect helpers
 *
 * DESCRIPTION
 *   Plain system calls; see milter-socket.h for the rules they keep.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <gio/gio.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-socket.h>

G_DEFINE_QUARK (milter-socket-error-quark, milter_socket_error)

static gboolean
set_errno_error (GError **error, gint code, const gchar *what)
{
  gint saved_errno = errno;

  if (code == MILTER_SOCKET_ERROR_FAILED &&
      (saved_errno == EMFILE || saved_errno == ENFILE))
    code = MILTER_SOCKET_ERROR_NO_DESCRIPTORS;
  g_set_error (error, MILTER_SOCKET_ERROR, code, "%s: %s", what,
               g_strerror (saved_errno));
  errno = saved_errno;
  return FALSE;
}

gboolean
milter_socket_needs_nodelay (gint family, gint type)
{
  return (family == AF_INET || family == AF_INET6) && type == SOCK_STREAM;
}

gboolean
milter_socket_set_nonblocking (gint fd, gboolean nonblocking, GError **error)
{
  gint flags = fcntl (fd, F_GETFL);
  gint wanted;

  if (flags == -1)
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to get descriptor status flags");
  wanted = nonblocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && fcntl (fd, F_SETFL, wanted) == -1)
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to set O_NONBLOCK");
  return TRUE;
}

gboolean
milter_socket_set_cloexec (gint fd, GError **error)
{
  gint flags = fcntl (fd, F_GETFD);

  if (flags == -1)
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to get descriptor flags");
  if (!(flags & FD_CLOEXEC) && fcntl (fd, F_SETFD, flags | FD_CLOEXEC) == -1)
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to set FD_CLOEXEC");
  return TRUE;
}

gboolean
milter_socket_nodelay_needed (gint fd, gboolean *needed, GError **error)
{
  struct sockaddr_storage address;
  socklen_t length = sizeof (address);
  gint type = 0;
  socklen_t type_length = sizeof (type);

  *needed = FALSE;
  if (getsockname (fd, (struct sockaddr *) &address, &length) == -1) {
    if (errno == ENOTSOCK)
      return TRUE;
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to get socket address");
  }
  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &type_length) == -1)
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to get socket type");
  *needed = milter_socket_needs_nodelay (address.ss_family, type);
  return TRUE;
}

gboolean
milter_socket_enable_nodelay (gint fd, GError **error)
{
  gint on = 1;

  if (setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof (on)) == -1)
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to set TCP_NODELAY");
  return TRUE;
}

gboolean
milter_socket_set_tcp_nodelay (gint fd, GError **error)
{
  gboolean needed;

  if (!milter_socket_nodelay_needed (fd, &needed, error))
    return FALSE;
  return !needed || milter_socket_enable_nodelay (fd, error);
}

gboolean
milter_socket_prepare (gint fd, GError **error)
{
  return milter_socket_set_nonblocking (fd, TRUE, error) &&
    milter_socket_set_cloexec (fd, error) &&
    milter_socket_set_tcp_nodelay (fd, error);
}

gboolean
milter_socket_pair (gint fds[2], GError **error)
{
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                  fds) == -1)
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to create a socket pair");
  return TRUE;
}

/* A new non-blocking, close-on-exec socket for spec's address. */
static gint
open_socket (const MilterConnectionSpec *spec,
             struct sockaddr_storage *address,
             socklen_t *length,
             GError **error)
{
  gint family;
  gint fd;

  if (!milter_connection_spec_to_native (spec, address, length, error))
    return -1;
  family = address->ss_family;
  fd = socket (family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd == -1) {
    set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                     "failed to create a socket");
    return -1;
  }
  if (milter_socket_needs_nodelay (family, SOCK_STREAM)) {
    gint on = 1;

    if (setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof (on)) == -1) {
      set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                       "failed to set TCP_NODELAY");
      close (fd);
      return -1;
    }
  }
  return fd;
}

static gint
fail_spec (gint fd, const MilterConnectionSpec *spec, const gchar *what,
           GError **error)
{
  gint saved_errno = errno;
  g_autofree gchar *text = milter_connection_spec_to_string (spec);

  close (fd);
  g_set_error (error, MILTER_SOCKET_ERROR,
               (saved_errno == EMFILE || saved_errno == ENFILE) ?
               MILTER_SOCKET_ERROR_NO_DESCRIPTORS : MILTER_SOCKET_ERROR_FAILED,
               "failed to %s %s: %s", what, text, g_strerror (saved_errno));
  return -1;
}

gint
milter_socket_bind (const MilterConnectionSpec *spec,
                    guint unix_mode,
                    GError **error)
{
  struct sockaddr_storage address;
  socklen_t length = 0;
  gint fd;
  gint result;

  g_return_val_if_fail (spec != NULL, -1);

  fd = open_socket (spec, &address, &length, error);
  if (fd == -1)
    return -1;
  if (spec->type != MILTER_CONNECTION_SPEC_TYPE_UNIX) {
    gint on = 1;

    /* Restarting must not wait for TIME_WAIT connections to expire. */
    if (setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof (on)) == -1)
      return fail_spec (fd, spec, "set SO_REUSEADDR for", error);
  }
  if (spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX && unix_mode != 0) {
    /* bind(2) creates the file with 0777 & ~umask: a chmod afterwards
     * would leave a moment with the umask's permissions. */
    mode_t old_umask = umask (~unix_mode & 0777);

    result = bind (fd, (struct sockaddr *) &address, length);
    umask (old_umask);
  } else {
    result = bind (fd, (struct sockaddr *) &address, length);
  }
  if (result == -1)
    return fail_spec (fd, spec, "bind to", error);
  return fd;
}

gint
milter_socket_listen (const MilterConnectionSpec *spec,
                      gint backlog,
                      GError **error)
{
  gint fd = milter_socket_bind (spec, 0, error);

  if (fd == -1)
    return -1;
  if (listen (fd, backlog) == -1)
    return fail_spec (fd, spec, "listen on", error);
  return fd;
}

/* ---- unix socket paths ---- */

MilterSocketUnixAction
milter_socket_unix_path_action (MilterSocketUnixPath found,
                                gboolean remove_stale)
{
  switch (found) {
  case MILTER_SOCKET_UNIX_PATH_ABSENT:
    return MILTER_SOCKET_UNIX_BIND;
  case MILTER_SOCKET_UNIX_PATH_STALE:
    /* Not removing: bind(2) then fails with EADDRINUSE, as asked. */
    return remove_stale ? MILTER_SOCKET_UNIX_REMOVE_THEN_BIND :
      MILTER_SOCKET_UNIX_BIND;
  case MILTER_SOCKET_UNIX_PATH_LIVE:
    return MILTER_SOCKET_UNIX_REFUSE_IN_USE;
  case MILTER_SOCKET_UNIX_PATH_NOT_SOCKET:
  default:
    return MILTER_SOCKET_UNIX_REFUSE_NOT_SOCKET;
  }
}

static gboolean
set_path_error (GError **error, gint code, const gchar *path,
                const gchar *what)
{
  gint saved_errno = errno;

  g_set_error (error, MILTER_SOCKET_ERROR, code, "%s '%s': %s", what, path,
               g_strerror (saved_errno));
  errno = saved_errno;
  return FALSE;
}

/* Whether somebody listens on the socket at path. */
static gboolean
probe_listener (const gchar *path, gboolean *live, GError **error)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  gint fd;
  gint result;

  if (strlen (path) >= sizeof (address.sun_path)) {
    errno = ENAMETOOLONG;
    return set_path_error (error, MILTER_SOCKET_ERROR_FAILED, path,
                           "cannot probe");
  }
  strcpy (address.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd == -1)
    return set_path_error (error, MILTER_SOCKET_ERROR_FAILED, path,
                           "cannot probe");
  do {
    result = connect (fd, (struct sockaddr *) &address, sizeof (address));
  } while (result == -1 && errno == EINTR);
  /* A full listen queue (EAGAIN) still means a listener. */
  if (result == 0 || errno == EINPROGRESS || errno == EAGAIN) {
    *live = TRUE;
  } else if (errno == ECONNREFUSED) {
    *live = FALSE;
  } else {
    set_path_error (error, MILTER_SOCKET_ERROR_FAILED, path, "cannot probe");
    close (fd);
    return FALSE;
  }
  close (fd);
  return TRUE;
}

gboolean
milter_socket_probe_unix_path (const gchar *path,
                               MilterSocketUnixPath *found,
                               GError **error)
{
  struct stat status;
  gboolean live = FALSE;

  g_return_val_if_fail (path != NULL && found != NULL, FALSE);

  if (lstat (path, &status) == -1) {
    if (errno != ENOENT)
      return set_path_error (error, MILTER_SOCKET_ERROR_FAILED, path,
                             "cannot look at");
    *found = MILTER_SOCKET_UNIX_PATH_ABSENT;
    return TRUE;
  }
  if (!S_ISSOCK (status.st_mode)) {
    *found = MILTER_SOCKET_UNIX_PATH_NOT_SOCKET;
    return TRUE;
  }
  if (!probe_listener (path, &live, error))
    return FALSE;
  *found = live ? MILTER_SOCKET_UNIX_PATH_LIVE : MILTER_SOCKET_UNIX_PATH_STALE;
  return TRUE;
}

gboolean
milter_socket_clear_unix_path (const gchar *path,
                               gboolean remove_stale,
                               GError **error)
{
  MilterSocketUnixPath found;

  if (!milter_socket_probe_unix_path (path, &found, error))
    return FALSE;
  switch (milter_socket_unix_path_action (found, remove_stale)) {
  case MILTER_SOCKET_UNIX_BIND:
    return TRUE;
  case MILTER_SOCKET_UNIX_REMOVE_THEN_BIND:
    if (unlink (path) == -1 && errno != ENOENT)
      return set_path_error (error, MILTER_SOCKET_ERROR_FAILED, path,
                             "cannot remove the stale socket");
    return TRUE;
  case MILTER_SOCKET_UNIX_REFUSE_IN_USE:
    g_set_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_IN_USE,
                 "'%s' is in use (something listens on it): not "
                 "removed", path);
    return FALSE;
  case MILTER_SOCKET_UNIX_REFUSE_NOT_SOCKET:
  default:
    g_set_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_NOT_SOCKET,
                 "'%s' exists and is not a socket: not removed", path);
    return FALSE;
  }
}

static void
file_id_from_stat (const struct stat *status, MilterSocketFileId *id)
{
  id->device = (guint64) status->st_dev;
  id->inode = (guint64) status->st_ino;
  id->change_sec = (gint64) status->st_ctim.tv_sec;
  id->change_nsec = (gint64) status->st_ctim.tv_nsec;
}

gboolean
milter_socket_identify_unix_path (const gchar *path,
                                  MilterSocketFileId *id,
                                  GError **error)
{
  struct stat status;

  g_return_val_if_fail (path != NULL && id != NULL, FALSE);

  if (lstat (path, &status) == -1)
    return set_path_error (error, MILTER_SOCKET_ERROR_FAILED, path,
                           "cannot look at");
  if (!S_ISSOCK (status.st_mode)) {
    g_set_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_NOT_SOCKET,
                 "'%s' is not a socket", path);
    return FALSE;
  }
  file_id_from_stat (&status, id);
  return TRUE;
}

gboolean
milter_socket_remove_unix_path (const gchar *path,
                                const MilterSocketFileId *id,
                                GError **error)
{
  struct stat status;
  MilterSocketFileId found;

  g_return_val_if_fail (path != NULL && id != NULL, FALSE);

  if (lstat (path, &status) == -1) {
    if (errno == ENOENT)
      return TRUE;
    return set_path_error (error, MILTER_SOCKET_ERROR_FAILED, path,
                           "cannot look at");
  }
  file_id_from_stat (&status, &found);
  if (!S_ISSOCK (status.st_mode) || found.device != id->device ||
      found.inode != id->inode || found.change_sec != id->change_sec ||
      found.change_nsec != id->change_nsec) {
    g_set_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_REPLACED,
                 "'%s' is no longer the socket this process created: "
                 "left in place", path);
    return FALSE;
  }
  if (unlink (path) == -1 && errno != ENOENT)
    return set_path_error (error, MILTER_SOCKET_ERROR_FAILED, path,
                           "cannot remove");
  return TRUE;
}

gint
milter_socket_accept (gint listen_fd, GError **error)
{
  gint fd;

  /* accept4(2) would save the fcntl calls but needs _GNU_SOURCE, which
   * configure does not define. */
  do {
    fd = accept (listen_fd, NULL, NULL);
  } while (fd == -1 && errno == EINTR);
  if (fd == -1) {
    set_errno_error (error,
                     (errno == EAGAIN || errno == EWOULDBLOCK) ?
                     MILTER_SOCKET_ERROR_AGAIN : MILTER_SOCKET_ERROR_FAILED,
                     "failed to accept a connection");
    return -1;
  }
  if (!milter_socket_prepare (fd, error)) {
    close (fd);
    return -1;
  }
  return fd;
}

gint
milter_socket_connect (const MilterConnectionSpec *spec, GError **error)
{
  struct sockaddr_storage address;
  socklen_t length = 0;
  gint fd;
  gint result;

  g_return_val_if_fail (spec != NULL, -1);

  fd = open_socket (spec, &address, &length, error);
  if (fd == -1)
    return -1;
  do {
    result = connect (fd, (struct sockaddr *) &address, length);
  } while (result == -1 && errno == EINTR);
  /* EINPROGRESS: wait for writability, then look at SO_ERROR. (EAGAIN
   * from a unix socket means its listen queue is full: a failure.) */
  if (result == -1 && errno != EINPROGRESS)
    return fail_spec (fd, spec, "connect to", error);
  return fd;
}

gboolean
milter_socket_finish_connect (gint fd, GError **error)
{
  gint socket_error = 0;
  socklen_t length = sizeof (socket_error);

  if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) == -1)
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to get the connection status");
  if (socket_error != 0) {
    errno = socket_error;
    return set_errno_error (error, MILTER_SOCKET_ERROR_FAILED,
                            "failed to connect");
  }
  return TRUE;
}

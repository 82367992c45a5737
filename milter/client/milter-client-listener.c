/*
 * milter-client-listener - the listening socket of MilterClient
 *
 * SYNOPSIS
 *   gboolean _milter_client_listen (MilterClient *client, master, &error);
 *   gboolean _milter_client_close_listener (client, remove_file, &error);
 *
 * DESCRIPTION
 *   A unix socket path is only ever replaced when it is a socket nobody
 *   listens on (a crashed milter's), and only with
 *   remove-unix-socket-on-create; a live socket or anything else at the
 *   path (a file, a directory, a symbolic link) makes the start fail with
 *   an error naming the path (milter_socket_clear_unix_path() has the
 *   rule). The socket file gets its mode at bind(2) (so no moment with the
 *   umask's permissions) and its group before listen(2) (so nobody
 *   connects before it has it). On close the file is removed, with
 *   remove-unix-socket-on-close, only while it is still the socket bound
 *   here: whatever replaced it is left alone and reported.
 *
 * DIAGNOSTICS
 *   MILTER_CLIENT_ERROR_UNIX_SOCKET ([client][error][unix]) for the path
 *   and its mode and group, MILTER_CLIENT_ERROR_LISTEN
 *   ([client][prepare][listen][error], or
 *   [client][workers][run][listen][error] in the master) for bind(2) and
 *   listen(2); [client][unix][error] when the file cannot be removed on
 *   close or is no longer ours.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-socket.h>
#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>
#include <milter/client/milter-client-process.h>

/* Which step of listening failed: it chooses the catalogued tag. The
 * error itself is passed up with its own domain and code. */
typedef enum {
  LISTEN_FAILED_PREPARE,
  LISTEN_FAILED_UNIX,
  LISTEN_FAILED_LISTEN
} ListenFailure;

static gboolean
fail (ListenFailure *failure, ListenFailure kind, GError **error,
      GError *cause)
{
  *failure = kind;
  g_propagate_error (error, cause);
  return FALSE;
}

/* The group of the new socket file; lchown: a link put there is not
 * followed. */
static gboolean
set_unix_socket_group (MilterClient *self, const gchar *path, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gid_t gid;

  if (!self->unix_group)
    return TRUE;
  if (!milter_client_find_group (self->unix_group, &gid, &local_error)) {
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "cannot change group of '%s': ", path);
    return FALSE;
  }
  if (lchown (path, (uid_t) -1, gid) == -1) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_UNIX_SOCKET,
                 "cannot change group of '%s' to %s: %s", path,
                 self->unix_group, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/* The group, and the identity the file is removed by: taken again after
 * chown(2), which changes it. */
static gboolean
finish_unix_socket (MilterClient *self, const gchar *path, gboolean *ours,
                    GError **error)
{
  g_autoptr (GError) local_error = NULL;

  *ours = milter_socket_identify_unix_path (path, &self->unix_id,
                                            &local_error);
  if (!*ours) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  if (!set_unix_socket_group (self, path, error))
    return FALSE;
  if (self->unix_group &&
      !milter_socket_identify_unix_path (path, &self->unix_id, &local_error)) {
    *ours = FALSE;
    g_propagate_error (error, g_steal_pointer (&local_error));
    return FALSE;
  }
  return TRUE;
}

static gboolean
listen_socket (MilterClient *self, ListenFailure *failure, GError **error)
{
  g_autoptr (MilterConnectionSpec) spec = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree gchar *path = NULL;
  gboolean is_unix;
  gboolean ours = FALSE;
  gint fd;

  if (self->listen_fd >= 0)
    return TRUE;
  spec = milter_connection_spec_parse (milter_client_get_connection_spec (self),
                                       &local_error);
  if (!spec)
    return fail (failure, LISTEN_FAILED_PREPARE, error,
                 g_steal_pointer (&local_error));
  is_unix = spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX;
  if (is_unix) {
    /* Absolute: daemonizing changes the working directory. */
    path = g_canonicalize_filename (spec->path, NULL);
    if (!milter_socket_clear_unix_path (path,
                                        self->remove_unix_socket_on_create,
                                        &local_error))
      return fail (failure, LISTEN_FAILED_UNIX, error,
                   g_steal_pointer (&local_error));
  }
  fd = milter_socket_bind (spec, is_unix ? self->unix_socket_mode : 0,
                           &local_error);
  if (fd < 0)
    return fail (failure, LISTEN_FAILED_LISTEN, error,
                 g_steal_pointer (&local_error));
  if (is_unix && !finish_unix_socket (self, path, &ours, &local_error)) {
    close (fd);
    if (ours)
      milter_socket_remove_unix_path (path, &self->unix_id, NULL);
    return fail (failure, LISTEN_FAILED_UNIX, error,
                 g_steal_pointer (&local_error));
  }
  if (listen (fd, SOMAXCONN) == -1) {
    *failure = LISTEN_FAILED_LISTEN;
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_LISTEN,
                 "failed to listen on %s: %s",
                 milter_client_get_connection_spec (self), g_strerror (errno));
    close (fd);
    if (is_unix)
      milter_socket_remove_unix_path (path, &self->unix_id, NULL);
    return FALSE;
  }
  if (is_unix) {
    g_free (self->unix_path);
    self->unix_path = g_steal_pointer (&path);
  }
  self->listen_fd = fd;
  self->nodelay_fd = -1;  /* another listener: learn again */
  return TRUE;
}

/* Listens, or logs the failure with the tag of the step that failed
 * (master: the multi-worker master's tag for a listen failure). */
gboolean
_milter_client_listen (MilterClient *self, gboolean master, GError **error)
{
  ListenFailure failure = LISTEN_FAILED_PREPARE;
  GError *local_error = NULL;

  if (listen_socket (self, &failure, &local_error))
    return TRUE;
  if (failure == LISTEN_FAILED_UNIX)
    milter_error (0, "[client][error][unix] %s", local_error->message);
  else if (master)
    milter_error (0, "[client][workers][run][listen][error] %s",
                  local_error->message);
  else if (failure == LISTEN_FAILED_LISTEN)
    milter_error (0, "[client][prepare][listen][error] %s",
                  local_error->message);
  else
    milter_error (0, "[client][prepare][error] %s", local_error->message);
  g_propagate_error (error, local_error);
  return FALSE;
}

gboolean
_milter_client_close_listener (MilterClient *self, gboolean remove_file,
                               GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean success = TRUE;

  if (self->listen_fd >= 0) {
    close (self->listen_fd);
    self->listen_fd = -1;
    self->nodelay_fd = -1;  /* another listener: learn again */
  }
  if (remove_file && self->unix_path && self->remove_unix_socket_on_close &&
      !milter_socket_remove_unix_path (self->unix_path, &self->unix_id,
                                       &local_error)) {
    milter_error (0, "[client][unix][error] %s", local_error->message);
    g_propagate_error (error, g_steal_pointer (&local_error));
    success = FALSE;
  }
  g_clear_pointer (&self->unix_path, g_free);
  return success;
}

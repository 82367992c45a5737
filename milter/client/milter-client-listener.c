/*
 * milter-client-listener - the listening socket of MilterClient
 *
 * SYNOPSIS
 *   gboolean _milter_client_listen (MilterClient *client, GError **error);
 *   gboolean _milter_client_close_listener (client, remove_file, &error);
 *   void _milter_client_log_listen_error (error, master);
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

static gboolean
unix_socket_error (GError **error, const GError *cause)
{
  g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_UNIX_SOCKET,
               "%s", cause->message);
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
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_UNIX_SOCKET,
                 "cannot change group of '%s': %s", path,
                 local_error->message);
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
  if (!*ours)
    return unix_socket_error (error, local_error);
  if (!set_unix_socket_group (self, path, error))
    return FALSE;
  if (self->unix_group &&
      !milter_socket_identify_unix_path (path, &self->unix_id, &local_error)) {
    *ours = FALSE;
    return unix_socket_error (error, local_error);
  }
  return TRUE;
}

gboolean
_milter_client_listen (MilterClient *self, GError **error)
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
  if (!spec) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_SPEC, "%s",
                 local_error->message);
    return FALSE;
  }
  is_unix = spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX;
  if (is_unix) {
    /* Absolute: daemonizing changes the working directory. */
    path = g_canonicalize_filename (spec->path, NULL);
    if (!milter_socket_clear_unix_path (path,
                                        self->remove_unix_socket_on_create,
                                        &local_error))
      return unix_socket_error (error, local_error);
  }
  fd = milter_socket_bind (spec, is_unix ? self->unix_socket_mode : 0,
                           &local_error);
  if (fd < 0) {
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_LISTEN, "%s",
                 local_error->message);
    return FALSE;
  }
  if (is_unix && !finish_unix_socket (self, path, &ours, error)) {
    close (fd);
    if (ours)
      milter_socket_remove_unix_path (path, &self->unix_id, NULL);
    return FALSE;
  }
  if (listen (fd, SOMAXCONN) == -1) {
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

/* Logs a listen failure with the tag of its kind. */
void
_milter_client_log_listen_error (const GError *error, gboolean master)
{
  if (g_error_matches (error, MILTER_CLIENT_ERROR,
                       MILTER_CLIENT_ERROR_UNIX_SOCKET))
    milter_error (0, "[client][error][unix] %s", error->message);
  else if (master)
    milter_error (0, "[client][workers][run][listen][error] %s",
                  error->message);
  else if (g_error_matches (error, MILTER_CLIENT_ERROR,
                            MILTER_CLIENT_ERROR_LISTEN))
    milter_error (0, "[client][prepare][listen][error] %s", error->message);
  else
    milter_error (0, "[client][prepare][error] %s", error->message);
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
    g_set_error (error, MILTER_CLIENT_ERROR, MILTER_CLIENT_ERROR_CLEANUP,
                 "%s", local_error->message);
    success = FALSE;
  }
  g_clear_pointer (&self->unix_path, g_free);
  return success;
}

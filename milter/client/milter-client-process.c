/*
 * milter-client-process - PID file, daemonizing and dropping privileges
 *
 * SYNOPSIS
 *   gboolean milter_client_pid_file_save (path, &error);
 *   gboolean milter_client_pid_file_remove (path, &error);
 *   gboolean milter_client_daemonize (&error);
 *   gboolean milter_client_switch_user (user, group, &error);
 *   gboolean milter_client_find_group (group, &gid, &error);
 *
 * DESCRIPTION
 *   See milter-client-process.h.
 *
 * DIAGNOSTICS
 *   MILTER_CLIENT_PROCESS_ERROR, see the header.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/client/milter-client-process.h>

G_DEFINE_QUARK (milter-client-process-error-quark, milter_client_process_error)

gboolean
milter_client_pid_file_save (const gchar *path, GError **error)
{
  g_autofree gchar *contents = g_strdup_printf ("%d\n", (gint) getpid ());
  g_autoptr (GError) local_error = NULL;

  if (!g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                 &local_error)) {
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "cannot save PID file: ");
    return FALSE;
  }
  return TRUE;
}

gboolean
milter_client_pid_file_remove (const gchar *path, GError **error)
{
  if (g_unlink (path) == 0 || errno == ENOENT)
    return TRUE;
  g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
               MILTER_CLIENT_PROCESS_ERROR_PID_FILE,
               "cannot remove PID file '%s': %s", path, g_strerror (errno));
  return FALSE;
}

gboolean
milter_client_daemonize (GError **error)
{
  if (daemon (0, 0) == -1) {
    g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                 MILTER_CLIENT_PROCESS_ERROR_DAEMON,
                 "cannot daemonize: %s", g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

gboolean
milter_client_find_group (const gchar *group, gid_t *gid, GError **error)
{
  struct group *entry;

  errno = 0;
  entry = getgrnam (group);
  if (!entry) {
    g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                 MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_GROUP,
                 "unknown group '%s'%s%s", group, errno ? ": " : "",
                 errno ? g_strerror (errno) : "");
    return FALSE;
  }
  *gid = entry->gr_gid;
  return TRUE;
}

gboolean
milter_client_switch_user (const gchar *user,
                           const gchar *group,
                           GError **error)
{
  struct passwd *entry = NULL;
  gid_t gid;

  if (geteuid () != 0 || (!user && !group))
    return TRUE;

  if (user) {
    errno = 0;
    entry = getpwnam (user);
    if (!entry) {
      g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                   MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_USER,
                   "unknown user '%s'%s%s", user, errno ? ": " : "",
                   errno ? g_strerror (errno) : "");
      return FALSE;
    }
    gid = entry->pw_gid;
  }
  if (group && !milter_client_find_group (group, &gid, error))
    return FALSE;

  /* Group first: after setuid we could no longer change it. */
  if (setgid (gid) == -1) {
    g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                 MILTER_CLIENT_PROCESS_ERROR_PRIVILEGE,
                 "cannot change group to %u: %s", (guint) gid,
                 g_strerror (errno));
    return FALSE;
  }
  if (!entry) {
    if (setgroups (1, &gid) == -1) {
      g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                   MILTER_CLIENT_PROCESS_ERROR_PRIVILEGE,
                   "cannot set supplementary groups: %s", g_strerror (errno));
      return FALSE;
    }
    return TRUE;
  }
  if (initgroups (entry->pw_name, gid) == -1 || setuid (entry->pw_uid) == -1) {
    g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                 MILTER_CLIENT_PROCESS_ERROR_PRIVILEGE,
                 "cannot change user to '%s': %s", user, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/*
 * milter-client-process - PID file, daemonizing and dropping privileges
 *
 * SYNOPSIS
 *   MilterClientPidFile *milter_client_pid_file_acquire (path, &error);
 *   gboolean milter_client_pid_file_update (pid_file, &error);
 *   gboolean milter_client_pid_file_release (pid_file, &error);
 *   void milter_client_pid_file_abandon (pid_file);
 *   pid_t milter_client_pid_file_parse (contents);
 *   gboolean milter_client_pid_file_may_take_over (locked, holder, self, alive);
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
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/client/milter-client-process.h>

G_DEFINE_QUARK (milter-client-process-error-quark, milter_client_process_error)

/* ---- the PID file ---- */

struct _MilterClientPidFile {
  gchar *path;
  /* Read-only, holding the flock(2): what makes the file ours. */
  gint fd;
};

pid_t
milter_client_pid_file_parse (const gchar *contents)
{
  const gchar *p = contents;
  gchar *end = NULL;
  gint64 value;

  if (!p)
    return 0;
  while (g_ascii_isspace (*p))
    p++;
  if (!g_ascii_isdigit (*p))
    return 0;
  errno = 0;
  value = g_ascii_strtoll (p, &end, 10);
  if (errno != 0 || value <= 0 || value > G_MAXINT32)
    return 0;
  while (g_ascii_isspace (*end))
    end++;
  return *end == '\0' ? (pid_t) value : 0;
}

gboolean
milter_client_pid_file_may_take_over (gboolean locked_elsewhere,
                                      pid_t holder,
                                      pid_t self,
                                      gboolean holder_alive)
{
  if (locked_elsewhere)
    return FALSE;
  if (holder <= 0 || holder == self)
    return TRUE;
  return !holder_alive;
}

static gboolean
process_is_alive (pid_t pid)
{
  /* EPERM: it exists, it is only somebody else's. */
  return pid > 0 && (kill (pid, 0) == 0 || errno == EPERM);
}

static gboolean
set_pid_file_error (GError **error, const gchar *path, const gchar *what)
{
  gint saved_errno = errno;

  g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
               MILTER_CLIENT_PROCESS_ERROR_PID_FILE,
               "cannot %s PID file '%s': %s", what, path,
               g_strerror (saved_errno));
  return FALSE;
}

static gboolean
same_file (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The PID the file at fd names (0: none or unreadable). */
static pid_t
read_holder (gint fd)
{
  gchar buffer[32];
  gssize n = pread (fd, buffer, sizeof (buffer) - 1, 0);

  if (n <= 0)
    return 0;
  buffer[n] = '\0';
  return milter_client_pid_file_parse (buffer);
}

/* Opens and locks the file at path; -1 with error set, or -2 to try
 * again (the path changed under us or belonged to somebody else). */
static gint
open_and_lock (const gchar *path, GError **error)
{
  struct stat opened, now;
  pid_t holder;
  /* O_NONBLOCK: a FIFO put there must not hang the start. */
  gint fd = open (path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
                  O_CLOEXEC, 0644);

  if (fd == -1)
    return set_pid_file_error (error, path, "open"), -1;
  if (fstat (fd, &opened) == -1) {
    set_pid_file_error (error, path, "look at");
    close (fd);
    return -1;
  }
  if (!S_ISREG (opened.st_mode)) {
    close (fd);
    g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                 MILTER_CLIENT_PROCESS_ERROR_PID_FILE,
                 "PID file '%s' is not a regular file", path);
    return -1;
  }
  if (flock (fd, LOCK_EX | LOCK_NB) == -1) {
    gint saved_errno = errno;

    holder = read_holder (fd);
    close (fd);
    errno = saved_errno;
    if (saved_errno != EWOULDBLOCK)
      return set_pid_file_error (error, path, "lock"), -1;
    if (holder > 0)
      g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                   MILTER_CLIENT_PROCESS_ERROR_PID_FILE,
                   "PID file '%s' is locked by the running process %d",
                   path, (gint) holder);
    else
      g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                   MILTER_CLIENT_PROCESS_ERROR_PID_FILE,
                   "PID file '%s' is locked by a running process", path);
    return -1;
  }
  /* The previous holder may have removed it between open and lock. */
  if (lstat (path, &now) == -1 || !same_file (&opened, &now)) {
    close (fd);
    return -2;
  }
  holder = read_holder (fd);
  if (!milter_client_pid_file_may_take_over (FALSE, holder, getpid (),
                                             process_is_alive (holder))) {
    close (fd);
    g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
                 MILTER_CLIENT_PROCESS_ERROR_PID_FILE,
                 "PID file '%s' names the running process %d: is another "
                 "instance running? (remove the file if not)", path,
                 (gint) holder);
    return -1;
  }
  /* A file of another user (left by an older version that wrote it after
   * dropping privileges) is made anew: that user must not keep write
   * access to what we write. */
  if (opened.st_uid != geteuid ()) {
    if (unlink (path) == -1) {
      set_pid_file_error (error, path, "replace");
      close (fd);
      return -1;
    }
    close (fd);
    return -2;
  }
  return fd;
}

MilterClientPidFile *
milter_client_pid_file_acquire (const gchar *path, GError **error)
{
  MilterClientPidFile *pid_file;
  gint fd = -2;

  g_return_val_if_fail (path != NULL, NULL);

  for (guint attempt = 0; attempt < 3 && fd == -2; attempt++)
    fd = open_and_lock (path, error);
  if (fd == -2) {
    errno = EAGAIN;
    set_pid_file_error (error, path, "lock");
  }
  if (fd < 0)
    return NULL;
  pid_file = g_new0 (MilterClientPidFile, 1);
  pid_file->path = g_strdup (path);
  pid_file->fd = fd;
  if (!milter_client_pid_file_update (pid_file, error)) {
    /* Ours (locked, checked): an empty or partial file is not kept. */
    unlink (path);
    milter_client_pid_file_abandon (pid_file);
    return NULL;
  }
  return pid_file;
}

gboolean
milter_client_pid_file_update (MilterClientPidFile *pid_file, GError **error)
{
  g_autofree gchar *contents = NULL;
  struct stat locked, opened;
  gsize length;
  gint fd;
  gboolean written;

  g_return_val_if_fail (pid_file != NULL, FALSE);

  contents = g_strdup_printf ("%d\n", (gint) getpid ());
  length = strlen (contents);
  /* A descriptor of its own for writing, closed at once: the one kept
   * (for the lock) stays read-only. */
  fd = open (pid_file->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd == -1)
    return set_pid_file_error (error, pid_file->path, "write");
  if (fstat (fd, &opened) == -1 || fstat (pid_file->fd, &locked) == -1 ||
      !same_file (&opened, &locked)) {
    close (fd);
    errno = ESTALE;
    return set_pid_file_error (error, pid_file->path, "write");
  }
  written = ftruncate (fd, 0) == 0 &&
            write (fd, contents, length) == (gssize) length;
  if (!written) {
    set_pid_file_error (error, pid_file->path, "write");
    close (fd);
    return FALSE;
  }
  if (close (fd) == -1)
    return set_pid_file_error (error, pid_file->path, "write");
  return TRUE;
}

const gchar *
milter_client_pid_file_get_path (MilterClientPidFile *pid_file)
{
  g_return_val_if_fail (pid_file != NULL, NULL);
  return pid_file->path;
}

void
milter_client_pid_file_abandon (MilterClientPidFile *pid_file)
{
  if (!pid_file)
    return;
  close (pid_file->fd);
  g_free (pid_file->path);
  g_free (pid_file);
}

gboolean
milter_client_pid_file_release (MilterClientPidFile *pid_file, GError **error)
{
  struct stat locked, now;
  gboolean ours;
  gboolean success = TRUE;

  g_return_val_if_fail (pid_file != NULL, FALSE);

  if (lstat (pid_file->path, &now) == -1) {
    if (errno != ENOENT)
      success = set_pid_file_error (error, pid_file->path, "look at");
    milter_client_pid_file_abandon (pid_file);
    return success;
  }
  ours = fstat (pid_file->fd, &locked) == 0 && same_file (&locked, &now) &&
         read_holder (pid_file->fd) == getpid ();
  /* Unlinked while still locked: nobody takes over a file on its way out. */
  if (ours && unlink (pid_file->path) == -1 && errno != ENOENT)
    success = set_pid_file_error (error, pid_file->path, "remove");
  milter_client_pid_file_abandon (pid_file);
  return success;
}

/* ---- daemon(3) ---- */

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

/* ---- user and group ---- */

static gboolean
set_switch_error (GError **error, const gchar *user, const gchar *group,
                  const gchar *reason)
{
  g_set_error (error, MILTER_CLIENT_PROCESS_ERROR,
               MILTER_CLIENT_PROCESS_ERROR_PRIVILEGE,
               "cannot switch to %s '%s': %s", user ? "user" : "group",
               user ? user : group, reason);
  return FALSE;
}

gboolean
milter_client_switch_user (const gchar *user,
                           const gchar *group,
                           GError **error)
{
  struct passwd *entry = NULL;
  uid_t uid = 0;
  gid_t gid;

  if (!user && !group)
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
    uid = entry->pw_uid;
    gid = entry->pw_gid;
  }
  if (group && !milter_client_find_group (group, &gid, error))
    return FALSE;

  if (geteuid () != 0) {
    /* Already what was asked for: nothing to switch. */
    if ((!user || (uid == getuid () && uid == geteuid ())) &&
        gid == getgid () && gid == getegid ())
      return TRUE;
    {
      g_autofree gchar *reason =
        g_strdup_printf ("only root can, and this process runs as uid %u",
                         (guint) geteuid ());
      return set_switch_error (error, user, group, reason);
    }
  }

  /* Group first: after setuid we could no longer change it. */
  if (setgid (gid) == -1)
    return set_switch_error (error, user, group, g_strerror (errno));
  if (!entry) {
    if (setgroups (1, &gid) == -1)
      return set_switch_error (error, user, group, g_strerror (errno));
    return TRUE;
  }
  if (initgroups (entry->pw_name, gid) == -1 || setuid (uid) == -1)
    return set_switch_error (error, user, group, g_strerror (errno));
  /* A drop that could be undone is no drop. */
  if (uid != 0 && setuid (0) != -1)
    return set_switch_error (error, user, group, "root could be regained");
  return TRUE;
}

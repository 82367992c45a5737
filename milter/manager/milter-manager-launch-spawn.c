/*
 * milter-manager-launch-spawn.c - user lookup, command-line split and
 * the fork/switch/exec of a launched program. See
 * milter-manager-launch-spawn.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include <milter/manager/milter-manager-launch-spawn.h>

G_DEFINE_QUARK (milter-manager-launch-spawn-error-quark,
                milter_manager_launch_spawn_error)

gboolean
milter_manager_launch_credentials_lookup (const gchar *user_name,
                                          MilterManagerLaunchCredentials *credentials,
                                          GError **error)
{
  glong size = sysconf (_SC_GETPW_R_SIZE_MAX);
  g_autofree gchar *buffer = NULL;
  struct passwd entry;
  struct passwd *found = NULL;
  gint n_groups = 16;
  gint result;

  memset (credentials, 0, sizeof (*credentials));
  if (!user_name)
    return TRUE;
  if (size <= 0)
    size = 1024;
  /* Grow on ERANGE: an entry never fails for its size (defect 4). */
  for (;;) {
    buffer = g_realloc (buffer, (gsize) size);
    result = getpwnam_r (user_name, &entry, buffer, (gsize) size, &found);
    if (result != ERANGE || size > 1024 * 1024)
      break;
    size *= 2;
  }
  if (!found) {
    if (result != 0)
      g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR,
                   MILTER_MANAGER_LAUNCH_SPAWN_ERROR_NO_USER,
                   "No password entry: %s: %s", user_name, g_strerror (result));
    else
      g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR,
                   MILTER_MANAGER_LAUNCH_SPAWN_ERROR_NO_USER,
                   "No password entry: %s", user_name);
    return FALSE;
  }
  credentials->user_name = g_strdup (user_name);
  credentials->uid = entry.pw_uid;
  credentials->gid = entry.pw_gid;
  credentials->groups = g_new (gid_t, n_groups);
  while (getgrouplist (user_name, entry.pw_gid, credentials->groups,
                       &n_groups) == -1)
    credentials->groups = g_renew (gid_t, credentials->groups, n_groups);
  credentials->n_groups = n_groups;
  return TRUE;
}

void
milter_manager_launch_credentials_clear (MilterManagerLaunchCredentials *credentials)
{
  g_clear_pointer (&credentials->user_name, g_free);
  g_clear_pointer (&credentials->groups, g_free);
  credentials->n_groups = 0;
}

gchar **
milter_manager_launch_split (const gchar *command_line, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) argv = NULL;
  gchar *path;

  if (!g_shell_parse_argv (command_line, NULL, &argv, &local_error)) {
    g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR,
                 MILTER_MANAGER_LAUNCH_SPAWN_ERROR_COMMAND,
                 "Command string has invalid character(s): %s: %s",
                 command_line, local_error->message);
    return NULL;
  }
  path = g_find_program_in_path (argv[0]);
  if (!path) {
    g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR,
                 MILTER_MANAGER_LAUNCH_SPAWN_ERROR_SPAWN,
                 "%s: %s", argv[0],
                 strchr (argv[0], '/') ? "not an executable file" :
                 "not found in PATH");
    return NULL;
  }
  g_free (argv[0]);
  argv[0] = path;
  return g_steal_pointer (&argv);
}

/* ---- the new process ------------------------------------------------------ */

typedef struct {
  gint step;   /* MilterManagerLaunchSpawnError code */
  gint error_number;
} Report;

/* Async-signal-safe only from here to exec. */
static void G_GNUC_NORETURN
child_fail (gint report_fd, gint step)
{
  Report report = { step, errno };
  ssize_t written G_GNUC_UNUSED = write (report_fd, &report, sizeof (report));

  _exit (127);
}

static void G_GNUC_NORETURN
child_run (const gchar *const *argv,
           const MilterManagerLaunchCredentials *credentials,
           gint report_fd, gint out_fd, gint err_fd)
{
  sigset_t all;

  setsid ();
  /* Ignored dispositions and the mask survive exec: the launcher's must
   * not become the milter's. */
  signal (SIGHUP, SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
  signal (SIGINT, SIG_DFL);
  signal (SIGTERM, SIG_DFL);
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  if (dup2 (out_fd, STDOUT_FILENO) == -1 || dup2 (err_fd, STDERR_FILENO) == -1)
    child_fail (report_fd, MILTER_MANAGER_LAUNCH_SPAWN_ERROR_SPAWN);
  if (credentials->user_name) {
    /* Group, groups, user: once the user is switched, the others can no
     * longer be. */
    if (setgid (credentials->gid) == -1)
      child_fail (report_fd, MILTER_MANAGER_LAUNCH_SPAWN_ERROR_GROUP);
    if (setgroups ((size_t) credentials->n_groups, credentials->groups) == -1)
      child_fail (report_fd, MILTER_MANAGER_LAUNCH_SPAWN_ERROR_GROUPS);
    if (setuid (credentials->uid) == -1)
      child_fail (report_fd, MILTER_MANAGER_LAUNCH_SPAWN_ERROR_USER);
  }
  execv (argv[0], (gchar **) argv);
  child_fail (report_fd, MILTER_MANAGER_LAUNCH_SPAWN_ERROR_SPAWN);
}

static void
set_report_error (const Report *report, const gchar *const *argv,
                  const MilterManagerLaunchCredentials *credentials,
                  GError **error)
{
  const gchar *reason = g_strerror (report->error_number);

  switch (report->step) {
  case MILTER_MANAGER_LAUNCH_SPAWN_ERROR_GROUP:
    g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR, report->step,
                 "failed to change GID: %u: %s", (guint) credentials->gid, reason);
    break;
  case MILTER_MANAGER_LAUNCH_SPAWN_ERROR_GROUPS:
    g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR, report->step,
                 "failed to initialize group access: %s:%u: %s",
                 credentials->user_name, (guint) credentials->gid, reason);
    break;
  case MILTER_MANAGER_LAUNCH_SPAWN_ERROR_USER:
    g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR, report->step,
                 "failed to change UID: %u: %s", (guint) credentials->uid, reason);
    break;
  default:
    g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR,
                 MILTER_MANAGER_LAUNCH_SPAWN_ERROR_SPAWN,
                 "%s: %s", argv[0], reason);
    break;
  }
}

static void
close_pair (gint fds[2])
{
  for (gint i = 0; i < 2; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  fds[0] = fds[1] = -1;
}

gboolean
milter_manager_launch_spawn (const gchar *const *argv,
                             const MilterManagerLaunchCredentials *credentials,
                             MilterManagerLaunchChild *child,
                             GError **error)
{
  gint report[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
  Report outcome;
  gssize n;
  pid_t pid;

  if (pipe2 (report, O_CLOEXEC) == -1 || pipe2 (out, O_CLOEXEC) == -1 ||
      pipe2 (err, O_CLOEXEC) == -1) {
    g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR,
                 MILTER_MANAGER_LAUNCH_SPAWN_ERROR_SPAWN,
                 "%s: pipe: %s", argv[0], g_strerror (errno));
    close_pair (report);
    close_pair (out);
    close_pair (err);
    return FALSE;
  }
  pid = fork ();
  if (pid == 0)
    child_run (argv, credentials, report[1], out[1], err[1]);
  close (report[1]);
  close (out[1]);
  close (err[1]);
  if (pid == -1) {
    g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR,
                 MILTER_MANAGER_LAUNCH_SPAWN_ERROR_SPAWN,
                 "%s: fork: %s", argv[0], g_strerror (errno));
    close (report[0]);
    close (out[0]);
    close (err[0]);
    return FALSE;
  }
  /* Returns at once: the exec closes the pipe, or a report comes. */
  do
    n = read (report[0], &outcome, sizeof (outcome));
  while (n == -1 && errno == EINTR);
  close (report[0]);
  if (n == (gssize) sizeof (outcome)) {
    close (out[0]);
    close (err[0]);
    while (waitpid (pid, NULL, 0) == -1 && errno == EINTR)
      ;
    set_report_error (&outcome, argv, credentials, error);
    return FALSE;
  }
  g_unix_set_fd_nonblocking (out[0], TRUE, NULL);
  g_unix_set_fd_nonblocking (err[0], TRUE, NULL);
  child->pid = pid;
  child->stdout_fd = out[0];
  child->stderr_fd = err[0];
  return TRUE;
}

/*
 * milter-manager-launch-spawn - start one program as a given user, for
 * the process launcher (launcher.md §4 steps 3-6)
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-launch-spawn.h>
 *
 *   MilterManagerLaunchCredentials credentials;
 *   milter_manager_launch_credentials_lookup ("nobody", &credentials, &error);
 *   argv = milter_manager_launch_split (command_line, &error);
 *   milter_manager_launch_spawn (argv, &credentials, &child, &error);
 *   milter_manager_launch_credentials_clear (&credentials);
 *
 * DESCRIPTION
 *   lookup() finds the user's UID, primary GID and supplementary groups
 *   (getpwnam_r with a buffer sized by sysconf and grown on ERANGE, then
 *   getgrouplist: the list initgroups(3) would set). A NULL user means no
 *   switch: the program runs as the launcher's user.
 *
 *   split() splits a command line like a shell word list (quotes and
 *   backslashes; no expansion, globbing, redirection or pipes) and
 *   resolves the first word through PATH (a word with a slash is used
 *   as it is), so "milter-test-client -s inet:1@[127.0.0.1]" works
 *   (launcher.md §6 defect 4).
 *
 *   spawn() forks; the new process starts its own session (the launched
 *   milter is a service, not part of the manager's terminal job),
 *   restores the default signal dispositions the launcher changed, sets
 *   the group, then the supplementary groups, then the user - in that
 *   order - and executes the program with stdout and stderr on pipes
 *   the caller reads. Only async-signal-safe calls run between fork and
 *   exec (the launcher's loop may have a GLib worker thread): everything
 *   that reads a database was done by lookup(). If any switch or the
 *   exec fails, the program is NOT run (the original ran it anyway,
 *   possibly as root: launcher.md §6 defect 1): the new process writes
 *   the failed step and errno into a close-on-exec pipe and exits 127;
 *   spawn() reads that pipe until the exec closes it, so it returns only
 *   once the outcome is known, and reaps a process that failed.
 *
 * DIAGNOSTICS
 *   MILTER_MANAGER_LAUNCH_SPAWN_ERROR:
 *     NO_USER   "No password entry: USER" (": REASON" for a lookup error)
 *     COMMAND   "Command string has invalid character(s): LINE: REASON"
 *               (unbalanced quotes, an empty line)
 *     GROUP     "failed to change GID: GID: REASON"
 *     GROUPS    "failed to initialize group access: NAME:GID: REASON"
 *     USER      "failed to change UID: UID: REASON"
 *     SPAWN     "PROGRAM: REASON" (program not found, pipe, fork, exec)
 *   The launcher prefixes GROUP, GROUPS, USER and SPAWN errors with
 *   "Couldn't start new process: LINE: " when it replies.
 *   Nothing is logged here: the launcher logs (it knows the request).
 */
#pragma once

#include <sys/types.h>

#include <glib.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_LAUNCH_SPAWN_ERROR (milter_manager_launch_spawn_error_quark ())
GQuark milter_manager_launch_spawn_error_quark (void);

typedef enum {
  MILTER_MANAGER_LAUNCH_SPAWN_ERROR_NO_USER,
  MILTER_MANAGER_LAUNCH_SPAWN_ERROR_COMMAND,
  MILTER_MANAGER_LAUNCH_SPAWN_ERROR_GROUP,
  MILTER_MANAGER_LAUNCH_SPAWN_ERROR_GROUPS,
  MILTER_MANAGER_LAUNCH_SPAWN_ERROR_USER,
  MILTER_MANAGER_LAUNCH_SPAWN_ERROR_SPAWN
} MilterManagerLaunchSpawnError;

typedef struct {
  gchar *user_name;    /* NULL: no switch */
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  gint n_groups;
} MilterManagerLaunchCredentials;

typedef struct {
  GPid pid;
  gint stdout_fd;      /* non-blocking, close-on-exec; the caller closes */
  gint stderr_fd;
} MilterManagerLaunchChild;

gboolean milter_manager_launch_credentials_lookup (const gchar *user_name,
                                                   MilterManagerLaunchCredentials *credentials,
                                                   GError **error);
void milter_manager_launch_credentials_clear (MilterManagerLaunchCredentials *credentials);

/* argv with argv[0] the program's path. (transfer full) */
gchar **milter_manager_launch_split (const gchar *command_line, GError **error);

gboolean milter_manager_launch_spawn (const gchar *const *argv,
                                      const MilterManagerLaunchCredentials *credentials,
                                      MilterManagerLaunchChild *child,
                                      GError **error);

G_END_DECLS

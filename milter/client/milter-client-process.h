/*
 * milter-client-process - PID file, daemonizing and dropping privileges
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-process.h>
 *
 *   gboolean milter_client_pid_file_save (const gchar *path, GError **error);
 *   gboolean milter_client_pid_file_remove (const gchar *path, GError **error);
 *   gboolean milter_client_daemonize (GError **error);
 *   gboolean milter_client_switch_user (const gchar *user, const gchar *group,
 *                                       GError **error);
 *   gboolean milter_client_find_group (const gchar *group, gid_t *gid,
 *                                      GError **error);
 *
 * DESCRIPTION
 *   The process-level chores of a milter daemon. pid_file_save writes
 *   "PID\n" through a temporary file in the same directory, so a reader
 *   never sees a half-written file. pid_file_remove treats an already
 *   missing file as removed.
 *
 *   daemonize detaches from the terminal with daemon(3): the parent exits,
 *   the child continues in a new session with the working directory "/"
 *   and standard input and output on /dev/null (standard error too, so log
 *   to a file or syslog).
 *
 *   switch_user changes the group (group, or the user's primary group)
 *   and then the user, with the user's supplementary groups, only when the
 *   process runs as root; otherwise it does nothing and succeeds, so the
 *   same command line works for root and for an unprivileged test run.
 *   group alone (without user) changes only the group.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_CLIENT_PROCESS_ERROR and name the file, user or
 *   group with strerror(3) text.
 */
#pragma once

#include <sys/types.h>

#include <glib.h>

G_BEGIN_DECLS

#define MILTER_CLIENT_PROCESS_ERROR (milter_client_process_error_quark ())
GQuark milter_client_process_error_quark (void);

typedef enum {
  MILTER_CLIENT_PROCESS_ERROR_PID_FILE,
  MILTER_CLIENT_PROCESS_ERROR_DAEMON,
  MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_USER,
  MILTER_CLIENT_PROCESS_ERROR_UNKNOWN_GROUP,
  MILTER_CLIENT_PROCESS_ERROR_PRIVILEGE
} MilterClientProcessError;

gboolean milter_client_pid_file_save (const gchar *path, GError **error);
gboolean milter_client_pid_file_remove (const gchar *path, GError **error);
gboolean milter_client_daemonize (GError **error);
gboolean milter_client_switch_user (const gchar *user,
                                    const gchar *group,
                                    GError **error);
gboolean milter_client_find_group (const gchar *group,
                                   gid_t *gid,
                                   GError **error);

G_END_DECLS

/*
 * milter-client-process - PID file, daemonizing and dropping privileges
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-process.h>
 *
 *   MilterClientPidFile *milter_client_pid_file_acquire (const gchar *path,
 *                                                        GError **error);
 *   gboolean milter_client_pid_file_update (pid_file, &error);
 *   gboolean milter_client_pid_file_release (pid_file, &error);
 *   void milter_client_pid_file_abandon (pid_file);
 *   pid_t milter_client_pid_file_parse (const gchar *contents);
 *   gboolean milter_client_pid_file_may_take_over (locked, holder, self,
 *                                                  holder_alive);
 *   gboolean milter_client_daemonize (GError **error);
 *   gboolean milter_client_switch_user (const gchar *user, const gchar *group,
 *                                       GError **error);
 *   gboolean milter_client_find_group (const gchar *group, gid_t *gid,
 *                                      GError **error);
 *
 * DESCRIPTION
 *   The process-level chores of a milter daemon.
 *
 *   The PID file: acquire() opens (or creates, mode 0644) the file, locks
 *   it with flock(2) and writes "PID\n". It refuses, leaving the file as
 *   it is, when another process holds the lock or the file names another
 *   process that is alive (one that wrote it without a lock); a file of a
 *   process that has ended is taken over. may_take_over() is that rule,
 *   parse() reads a PID. The lock lives as long as the returned object's
 *   descriptor, which is read-only: after a privilege drop the process
 *   cannot rewrite the file through it. Acquire as root, before dropping
 *   privileges; update() rewrites the PID after daemonizing. release()
 *   removes the file only while it is still ours (the file we locked,
 *   holding our PID), then frees; abandon() frees without touching the
 *   file (a forked worker, whose master keeps the lock).
 *
 *   daemonize detaches from the terminal with daemon(3): the parent exits,
 *   the child continues in a new session with the working directory "/"
 *   and standard input and output on /dev/null (standard error too, so log
 *   to a file or syslog).
 *
 *   switch_user changes the group (group, or the user's primary group)
 *   and then the user, with the user's supplementary groups; group alone
 *   (without user) changes only the group. Only root can: asked by
 *   another user it fails (a daemon told to drop privileges must not run
 *   with others than it was told), unless the process already is that
 *   user and group. Unknown names are errors for anybody.
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

typedef struct _MilterClientPidFile MilterClientPidFile;

MilterClientPidFile *milter_client_pid_file_acquire (const gchar *path,
                                                     GError **error);
gboolean milter_client_pid_file_update (MilterClientPidFile *pid_file,
                                        GError **error);
/* Frees pid_file whatever the result. */
gboolean milter_client_pid_file_release (MilterClientPidFile *pid_file,
                                         GError **error);
void milter_client_pid_file_abandon (MilterClientPidFile *pid_file);
const gchar *milter_client_pid_file_get_path (MilterClientPidFile *pid_file);
/* The PID in "PID\n" (surrounding blanks allowed); 0 if none. */
pid_t milter_client_pid_file_parse (const gchar *contents);
/* Whether self may take over a PID file naming holder (0: none). */
gboolean milter_client_pid_file_may_take_over (gboolean locked_elsewhere,
                                               pid_t holder,
                                               pid_t self,
                                               gboolean holder_alive);
gboolean milter_client_daemonize (GError **error);
gboolean milter_client_switch_user (const gchar *user,
                                    const gchar *group,
                                    GError **error);
gboolean milter_client_find_group (const gchar *group,
                                   gid_t *gid,
                                   GError **error);

G_END_DECLS

/*
 * milter-manager-process-launcher - the privileged helper's side of the
 * launcher pipes: reads launch requests, starts the programs, replies
 * (launcher.md §4)
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-process-launcher.h>
 *
 *   launcher = milter_manager_process_launcher_new (loop, command_fd, reply_fd);
 *   milter_manager_process_launcher_set_finished_func (launcher, func, data);
 *   milter_manager_process_launcher_start (launcher, &error);
 *   ... the loop runs until the command pipe ends ...
 *   milter_manager_process_launcher_free (launcher);
 *
 *   status = milter_manager_process_launcher_main (command_fd, reply_fd,
 *                                                  detach, syslog_facility);
 *
 * DESCRIPTION
 *   For each "launch" request read from command_fd: refuse a command line
 *   whose earlier process is still running ("already launched"), look
 *   the user up, split the command line, and spawn it as that user
 *   (milter-manager-launch-spawn.h: group, groups, user; a failed switch
 *   does not run the program). One reply per request on reply_fd, in
 *   request order: "success" once the program was executed, "error"
 *   with the reason otherwise. The program's stdout and stderr are read
 *   and logged line by line at debug, with its PID as the session part;
 *   the launcher reaps it through the loop's child watch and forgets it,
 *   so the same command line can be launched again.
 *
 *   A request that cannot be decoded is logged and all further input is
 *   ignored (no reply): the daemon is the only writer, so such input
 *   means the pipe is not ours to trust. End of input on command_fd
 *   calls the finished function (the daemon and its workers have gone).
 *   Both descriptors are owned by the launcher and closed by free().
 *
 *   main() is the helper process after the daemon's fork: a GLib loop
 *   (whatever manager.event_loop_backend says: the helper is not on the
 *   sessions' hot path), syslog under the ident
 *   milter-manager-process-launcher when a facility is given, standard
 *   I/O on /dev/null when detach is set, SIGHUP ignored (the daemon's
 *   reload signal to the process group must not stop it). It returns
 *   the process's exit status: 0 after end of input, 1 if it could not
 *   start.
 *
 * DIAGNOSTICS (log-catalogue.tsv, module manager)
 *   error [launcher][error][launch] LINE@USER: MESSAGE     a refused or
 *         failed request (USER is "NULL" without a user)
 *   error [launcher][error][child][authority][group] failed to change GID: ...
 *   error [launcher][error][child][authority][groups] failed to initialize group access: ...
 *   error [launcher][error][child][authority][user] failed to change UID: ...
 *         the switch that failed (logged before the launch error)
 *   error [launcher][error][write] LINE@USER: MESSAGE     the reply could
 *         not be written
 *   error [process-launcher][error][start] MESSAGE        the pipes could
 *         not be watched (main() exits 1)
 *   error [process-launcher][error] failed to detach IO: MESSAGE
 *   error [agent][error][decode] MESSAGE                  undecodable input
 *   debug [launcher][launch] LINE@USER, [launcher][start] LINE,
 *         [launcher][child][authority][not-set|group|groups|user] ...,
 *         [PID] [launcher][output] TEXT, [PID] [launcher][error] TEXT,
 *         [launcher][finish][success] LINE,
 *         [launcher][finish][failure] STATUS: LINE (killed by a signal
 *         too: the original logged nothing then)
 *   The authority lines are logged by the launcher from the new process's
 *   report, not from the new process itself (which may only make
 *   async-signal-safe calls before exec).
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-event-loop.h>

G_BEGIN_DECLS

typedef struct _MilterManagerProcessLauncher MilterManagerProcessLauncher;

typedef void (*MilterManagerProcessLauncherFinishedFunc) (MilterManagerProcessLauncher *launcher,
                                                          gpointer user_data);

MilterManagerProcessLauncher *milter_manager_process_launcher_new (MilterEventLoop *loop,
                                                                   gint command_fd,
                                                                   gint reply_fd);
void milter_manager_process_launcher_set_finished_func (MilterManagerProcessLauncher *launcher,
                                                        MilterManagerProcessLauncherFinishedFunc func,
                                                        gpointer user_data);
gboolean milter_manager_process_launcher_start (MilterManagerProcessLauncher *launcher,
                                                GError **error);
/* Programs started and still running. */
guint milter_manager_process_launcher_get_n_running (MilterManagerProcessLauncher *launcher);
void milter_manager_process_launcher_free (MilterManagerProcessLauncher *launcher);

gint milter_manager_process_launcher_main (gint command_fd,
                                           gint reply_fd,
                                           gboolean detach,
                                           const gchar *syslog_facility);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerProcessLauncher, milter_manager_process_launcher_free)

G_END_DECLS

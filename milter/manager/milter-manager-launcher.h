/*
 * milter-manager-launcher - the daemon's side of the launcher pipes:
 * asks the process launcher to start a child milter, reads its replies,
 * holds off repeated launches and tells the waiting sessions when to
 * retry their connection (launcher.md §2, with §6 defects 2, 3 and 5
 * fixed)
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-launcher.h>
 *
 *   launcher = milter_manager_launcher_new (command_fd, reply_fd);
 *   milter_manager_launcher_attach (launcher, loop);     once the loop exists
 *   id = milter_manager_launcher_launch (launcher, egg, session_id, bound,
 *                                        ready_func, data);
 *   milter_manager_launcher_cancel (launcher, id);       the session went away
 *   g_object_unref (launcher);
 *
 *   line = milter_manager_launcher_command_line (command, options);
 *   action = milter_manager_launcher_decide (state, since_last, hold_off,
 *                                            last_failed);
 *   delay = milter_manager_launcher_next_probe_delay (previous);
 *
 * DESCRIPTION
 *   One object per daemon, shared by every session (through the
 *   configuration). A launch is keyed by the command line and user: the
 *   first session that needs it writes the request; sessions that need
 *   it while it is requested, being probed, or within the hold-off after
 *   it (MILTER_MANAGER_LAUNCHER_HOLD_OFF seconds) only wait for it, so a
 *   burst of sessions starts one process; within the hold-off after a
 *   failed launch a session fails at once with that launch's message. Replies come back in request
 *   order and are matched to their launch. "success" (and "already
 *   launched": someone else started it) starts a probe: the milter's
 *   connection spec is connected at growing intervals (50 ms doubling up
 *   to 500 ms) and the probe connection closed at once, for at most the
 *   bound the first waiter gave (its connection timeout and retry
 *   interval); then every waiter is called with ready TRUE and retries
 *   its own connection once. An "error" reply is logged here and the
 *   waiters are called with ready FALSE and the message. Nothing blocks:
 *   the writes are non-blocking and everything else is loop callbacks.
 *
 *   End of file on the reply pipe means the process launcher died; it
 *   cannot be restarted (the daemon no longer has the privileges it was
 *   forked with), so launching is off from then on, said once at error
 *   level, and waiters are called with ready FALSE.
 *
 *   command_line(): COMMAND, or "COMMAND OPTIONS" when options are set.
 *   decide() is the rule for a new waiter; next_probe_delay() the probe's
 *   schedule.
 *
 * DIAGNOSTICS (log-catalogue.tsv, module manager)
 *   error [children][error][start-child][flush] NAME: MESSAGE   the
 *         request could not be sent (write() gathers it, flush() makes
 *         the system call: e.g. EPIPE once the launcher is gone); the
 *         waiter is not added and the caller gives up the child
 *   error [children][error][start-child][write] NAME: MESSAGE   the
 *         writer refused it (it failed before: a later request of the
 *         same loop turn, before end of file on the reply pipe is seen)
 *   Ours: error [manager][launcher][reply][error] LINE@USER: MESSAGE (an
 *   "error" or "failure" reply), error [manager][launcher][exited] (the
 *   process launcher is gone), debug [children][start-child] [ID]
 *   LINE@USER (a request written) and [children][start-child][hold-off]
 *   [ID] LINE@USER (joined an earlier launch).
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>
#include <milter/manager/milter-manager-egg.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_LAUNCHER_HOLD_OFF 30.0
#define MILTER_MANAGER_LAUNCHER_FIRST_PROBE_DELAY 0.05
#define MILTER_MANAGER_LAUNCHER_MAX_PROBE_DELAY 0.5

#define MILTER_MANAGER_TYPE_LAUNCHER (milter_manager_launcher_get_type ())
G_DECLARE_FINAL_TYPE (MilterManagerLauncher, milter_manager_launcher,
                      MILTER_MANAGER, LAUNCHER, GObject)

/* ready: retry the connection now; FALSE: the launch failed (message). */
typedef void (*MilterManagerLauncherReadyFunc) (gboolean ready,
                                                const gchar *message,
                                                gpointer user_data);

typedef enum {
  MILTER_MANAGER_LAUNCH_STATE_IDLE,       /* never launched, or done */
  MILTER_MANAGER_LAUNCH_STATE_REQUESTED,  /* written, no reply yet */
  MILTER_MANAGER_LAUNCH_STATE_PROBING     /* replied, waiting for the socket */
} MilterManagerLaunchState;

typedef enum {
  MILTER_MANAGER_LAUNCH_ACTION_SEND,      /* write a request */
  MILTER_MANAGER_LAUNCH_ACTION_WAIT,      /* join the launch in progress */
  MILTER_MANAGER_LAUNCH_ACTION_PROBE,     /* held off after a success: probe
                                             again, no request */
  MILTER_MANAGER_LAUNCH_ACTION_REFUSE     /* held off after a failure: fail at
                                             once with its message */
} MilterManagerLaunchAction;

/* since_last: seconds since the last launch's reply, < 0 if none;
 * last_failed: that reply was an error. */
MilterManagerLaunchAction milter_manager_launcher_decide (MilterManagerLaunchState state,
                                                          gdouble since_last,
                                                          gdouble hold_off,
                                                          gboolean last_failed);
gdouble milter_manager_launcher_next_probe_delay (gdouble previous);
/* (transfer full); NULL without a command. */
gchar *milter_manager_launcher_command_line (const gchar *command,
                                             const gchar *options);

/* Takes both descriptors (closed when the object goes). */
MilterManagerLauncher *milter_manager_launcher_new (gint command_fd, gint reply_fd);
void milter_manager_launcher_attach (MilterManagerLauncher *launcher,
                                     MilterEventLoop *loop);
/* Attached and its process launcher alive. */
gboolean milter_manager_launcher_is_available (MilterManagerLauncher *launcher);
/* 0 when nothing could be asked (logged); the ready func is then never
 * called. Otherwise it is called exactly once, from the loop, unless
 * cancelled first. bound: seconds the socket probe may take. */
guint milter_manager_launcher_launch (MilterManagerLauncher *launcher,
                                      MilterManagerEgg *egg,
                                      guint64 session_id,
                                      gdouble bound,
                                      MilterManagerLauncherReadyFunc func,
                                      gpointer user_data);
void milter_manager_launcher_cancel (MilterManagerLauncher *launcher, guint id);
/* Requests written so far (for tests and statistics). */
guint milter_manager_launcher_get_n_requests (MilterManagerLauncher *launcher);

G_END_DECLS

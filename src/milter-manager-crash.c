/*
 * milter-manager-crash - on SIGSEGV or SIGABRT, the stack trace into the
 * log before the process dies (log catalogue: the stack-trace rows)
 *
 * SYNOPSIS
 *   milter_manager_crash_handler_install ();
 *
 * DESCRIPTION
 *   The handler writes the trace with backtrace_symbols_fd(3) into a
 *   pipe and logs each line of it at critical level, untagged, then lets
 *   the signal take its default action (a core file where enabled), so
 *   the master restarts a dead worker as before. The first backtrace(3)
 *   is made at install time: it loads libgcc, which must not happen in
 *   the handler. A pipe rather than the log directly, because the
 *   logger's format needs each line as a string.
 *
 * DIAGNOSTICS
 *   critical [SEGV] unable to open pipe for collecting stack trace
 *   critical [ABORT] unable to open pipe for collecting stack trace
 *   critical FRAME   one line per stack frame
 */
#include "config.h"

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <milter/core/milter-logger.h>
#include "src/milter-manager-daemon.h"

#define MAX_FRAMES 64

/* Read in the handler: no allocation there. */
static gchar trace_buffer[16 * 1024];

static void
log_trace_lines (gint fd)
{
  gsize used = 0;
  gssize size;

  while (used < sizeof (trace_buffer) - 1 &&
         (size = read (fd, trace_buffer + used, sizeof (trace_buffer) - 1 - used)) > 0)
    used += (gsize) size;
  trace_buffer[used] = '\0';
  for (gchar *line = trace_buffer, *end; *line; line = end + 1) {
    end = strchr (line, '\n');
    if (!end) {
      milter_critical (0, "%s", line);
      break;
    }
    *end = '\0';
    milter_critical (0, "%s", line);
  }
}

static void
on_crash (gint number)
{
  const gchar *name = number == SIGSEGV ? "SEGV" : "ABORT";
  void *frames[MAX_FRAMES];
  gint fds[2];

  if (pipe2 (fds, O_CLOEXEC) == -1) {
    milter_critical (0, "[%s] unable to open pipe for collecting stack trace", name);
  } else {
    /* Non-blocking: a trace longer than the pipe is cut, never hangs. */
    fcntl (fds[1], F_SETFL, O_NONBLOCK);
    backtrace_symbols_fd (frames, backtrace (frames, MAX_FRAMES), fds[1]);
    close (fds[1]);
    log_trace_lines (fds[0]);
    close (fds[0]);
  }
  signal (number, SIG_DFL);
  raise (number);
}

void
milter_manager_crash_handler_install (void)
{
  static const gint crash_signals[] = { SIGSEGV, SIGABRT };
  struct sigaction action = { 0 };
  void *frame;

  backtrace (&frame, 1);
  action.sa_handler = on_crash;
  sigemptyset (&action.sa_mask);
  /* A crash inside the handler gets the default action at once. */
  action.sa_flags = (gint) SA_RESETHAND;
  for (gsize i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    sigaction (crash_signals[i], &action, NULL);
}

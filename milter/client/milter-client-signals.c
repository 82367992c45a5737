/*
 * milter-client-signals - SIGTERM and SIGINT end milter_client_run()
 *
 * SYNOPSIS
 *   void _milter_client_signals_install (MilterClient *client, state);
 *   void _milter_client_signals_uninstall (state);
 *
 * DESCRIPTION
 *   With handle-signals on, the handler writes the signal number to a
 *   self-pipe that the accepting loop watches; the loop then calls
 *   milter_client_shutdown(). Only the first running client of a process
 *   installs the handlers (there is one pipe per process). The previous
 *   dispositions come back when the run ends.
 *
 * DIAGNOSTICS
 *   None.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include <milter/client/milter-client.h>
#include <milter/client/milter-client-private.h>

static gint signal_pipe_write_fd = -1;

static void
on_signal (gint signal_number)
{
  guint8 byte = (guint8) signal_number;
  gint saved_errno = errno;

  if (signal_pipe_write_fd >= 0 &&
      write (signal_pipe_write_fd, &byte, 1) == -1) {
    /* Nothing to do: a full pipe already holds a wake-up. */
  }
  errno = saved_errno;
}

static gboolean
signal_received (gint fd, GIOCondition condition, gpointer user_data)
{
  guint8 buffer[16];

  (void) condition;
  while (read (fd, buffer, sizeof (buffer)) > 0)
    ;
  milter_client_shutdown (user_data);
  return G_SOURCE_CONTINUE;
}

void
_milter_client_signals_install (MilterClient *self,
                                MilterClientSignalState *state)
{
  struct sigaction action;

  state->pipe[0] = state->pipe[1] = -1;
  state->watch = 0;
  state->loop = NULL;
  if (!self->handle_signals || signal_pipe_write_fd >= 0 ||
      pipe2 (state->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
    return;
  state->loop = self->loop;
  state->watch = milter_event_loop_watch_io (self->loop, state->pipe[0],
                                             G_IO_IN, signal_received, self,
                                             NULL);
  signal_pipe_write_fd = state->pipe[1];
  memset (&action, 0, sizeof (action));
  action.sa_handler = on_signal;
  sigemptyset (&action.sa_mask);
  sigaction (SIGTERM, &action, &state->old_term);
  sigaction (SIGINT, &action, &state->old_int);
}

void
_milter_client_signals_uninstall (MilterClientSignalState *state)
{
  if (state->pipe[0] < 0)
    return;
  sigaction (SIGTERM, &state->old_term, NULL);
  sigaction (SIGINT, &state->old_int, NULL);
  signal_pipe_write_fd = -1;
  if (state->watch)
    milter_event_loop_remove (state->loop, state->watch);
  close (state->pipe[0]);
  close (state->pipe[1]);
}

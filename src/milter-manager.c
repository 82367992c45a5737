/*
 * milter-manager - the milter manager daemon: one milter for the MTA,
 * the configured child milters behind it
 *
 * SYNOPSIS
 *   milter-manager [--config-dir=DIR] [--show-config] [--version]
 *                  [milter options, see --help-all]
 *
 * DESCRIPTION
 *   Parses the command line (milter-manager-command-line.c) and runs the
 *   start-up sequence (milter-manager-startup.c); SIGHUP reloads
 *   (milter-manager-reload.c, milter-manager-signals.c). See
 *   doc/milter-manager.md and milter-manager(1).
 *
 * EXIT STATUS
 *   0 after a normal run or --show-config; 1 when the configuration
 *   cannot be loaded or the start fails; 2 for a bad command line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "src/milter-manager-daemon.h"

int
main (int argc, char **argv)
{
  MilterManagerDaemon daemon;
  g_autoptr (GError) error = NULL;
  gint status;

  milter_manager_daemon_init (&daemon);
  milter_manager_command_line_init (&daemon.command_line);
  if (!milter_manager_command_line_parse (&daemon.command_line, &argc, &argv, &error)) {
    g_printerr ("milter-manager: %s\nTry 'milter-manager --help-all' for the options.\n",
                error->message);
    milter_manager_daemon_clear (&daemon);
    return 2;
  }
  status = milter_manager_daemon_start (&daemon);
  milter_manager_daemon_clear (&daemon);
  return status;
}

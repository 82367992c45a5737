/*
 * milter-test-client-flags - flag names in the test clients' output
 *
 * SYNOPSIS
 *   #include "milter-test-client-flags.h"
 *
 *   milter_test_client_append_actions (string, actions);
 *   milter_test_client_append_steps (string, steps);
 *
 * DESCRIPTION
 *   milter-test-client and milter-test-client-libmilter print the MTA's
 *   offer as the original's tools do ("negotiate: version=<6>,
 *   action=<add-headers|...>, step=<no-connect|...>"): its names (the
 *   GLib enum nicks of its MilterActionFlags and MilterStepFlags) joined
 *   by "|" in bit order, then bits without a name as
 *   "(unknown flags: TYPE:0xN)".
 *
 * DIAGNOSTICS
 *   None.
 */
#pragma once

#include <glib.h>

void milter_test_client_append_actions (GString *out, guint32 actions);
void milter_test_client_append_steps (GString *out, guint32 steps);

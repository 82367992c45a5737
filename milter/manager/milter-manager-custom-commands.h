/*
 * milter-manager-custom-commands - the rule that keeps the controller
 * from introducing commands: a custom configuration document (controller
 * set-configuration) may only repeat the command of a milter as the
 * configuration in use has it (controller.md §7 #6)
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-custom-commands.h>
 *
 *   if (!milter_manager_custom_commands_check (xml, size, configuration, &error))
 *     ... refuse the document ...
 *
 * DESCRIPTION
 *   In privilege mode the launcher runs a milter's command (as root, or
 *   as milter.user_name) when the milter cannot be reached; a command
 *   stored through the controller socket would be a way from "can
 *   connect to the socket" to "runs programs as root". So a document may
 *   carry <command> and <command-options> for a milter (get-configuration
 *   prints them, and a round trip must work) only when the command line
 *   they make, taken with what the custom loader keeps when an element
 *   is absent, is the one that milter already has. Commands belong in
 *   milter-manager.conf, which only its owner can change.
 *
 *   The document is read with GMarkup for this check only (the loader
 *   itself is the Ruby one); something GMarkup cannot read is refused.
 *
 * DIAGNOSTICS
 *   MILTER_MANAGER_ERROR_INVALID_VALUE naming the milter, or G_MARKUP_ERROR
 *   (prefixed) for a document it cannot read.
 */
#pragma once

#include <glib.h>

#include <milter/manager/milter-manager-configuration.h>

G_BEGIN_DECLS

gboolean milter_manager_custom_commands_check (const gchar *xml,
                                               gsize size,
                                               MilterManagerConfiguration *configuration,
                                               GError **error);

G_END_DECLS

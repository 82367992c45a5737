/*
 * milter-manager-egg - one configured child milter (a define_milter entry)
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-egg.h>
 *
 *   MilterManagerEgg *egg = milter_manager_egg_new ("spamd");
 *   milter_manager_egg_set_connection_spec (egg, "inet:7357@[127.0.0.1]",
 *                                           &error);
 *   milter_manager_egg_set_fallback_status (egg, MILTER_STATUS_REJECT,
 *                                           &error);
 *   milter_manager_egg_set_reading_timeout (egg, 10.0, &error);
 *   if (milter_manager_egg_check_hatchable (egg, session_id, &error))
 *     ... create this session's child from the egg ...
 *
 * DESCRIPTION
 *   The settings of one child milter (configuration.md §3.8), from which
 *   every session creates its own child. Defaults: enabled, no
 *   connection spec, fallback status accept, not in evaluation mode,
 *   timeouts 297 s (connection), 7 s (writing), 7 s (reading) and 297 s
 *   (end-of-message): the server library's defaults minus a 3-second
 *   margin, so the manager gives up on a child before the MTA gives up
 *   on the manager. No description, conditions, command, command
 *   options or user name.
 *
 *   Setters that can refuse a value take a GError and leave the old
 *   value in place when they do: a connection spec core cannot parse,
 *   a fallback status other than accept, temporary-failure, reject and
 *   discard, a timeout that is not a positive finite number of seconds.
 *   A NULL spec unsets it. Applicable conditions are kept by name, in
 *   order, and resolved when a session starts.
 *
 *   check_hatchable() is asked when a session creates its children
 *   (manager-behaviour.md §1.1): an egg without a connection spec is
 *   skipped for that session.
 *
 *   The name is a construct-only property, "name".
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_MANAGER_ERROR: INVALID_CONNECTION_SPEC (core's
 *   message, prefixed), INVALID_VALUE, NO_CONNECTION_SPEC. Log rows
 *   (log-catalogue.tsv, module manager):
 *     error [egg][error][set-spec] MSG: NAME   a spec that does not parse
 *     error [egg][error] must set connection spec: NAME
 *                                              check_hatchable() without one
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-status.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_EGG_DEFAULT_CONNECTION_TIMEOUT 297.0
#define MILTER_MANAGER_EGG_DEFAULT_WRITING_TIMEOUT 7.0
#define MILTER_MANAGER_EGG_DEFAULT_READING_TIMEOUT 7.0
#define MILTER_MANAGER_EGG_DEFAULT_END_OF_MESSAGE_TIMEOUT 297.0

#define MILTER_MANAGER_TYPE_EGG (milter_manager_egg_get_type ())
G_DECLARE_FINAL_TYPE (MilterManagerEgg, milter_manager_egg,
                      MILTER_MANAGER, EGG, GObject)

MilterManagerEgg *milter_manager_egg_new (const gchar *name);
const gchar *milter_manager_egg_get_name (MilterManagerEgg *egg);

void milter_manager_egg_set_description (MilterManagerEgg *egg,
                                         const gchar *description);
const gchar *milter_manager_egg_get_description (MilterManagerEgg *egg);
void milter_manager_egg_set_enabled (MilterManagerEgg *egg, gboolean enabled);
gboolean milter_manager_egg_is_enabled (MilterManagerEgg *egg);

gboolean milter_manager_egg_set_connection_spec (MilterManagerEgg *egg,
                                                 const gchar *spec,
                                                 GError **error);
/* The spec in core's canonical form, or NULL. */
const gchar *milter_manager_egg_get_connection_spec (MilterManagerEgg *egg);
const MilterConnectionSpec *
milter_manager_egg_get_parsed_connection_spec (MilterManagerEgg *egg);

gboolean milter_manager_egg_set_fallback_status (MilterManagerEgg *egg,
                                                 MilterStatus status,
                                                 GError **error);
MilterStatus milter_manager_egg_get_fallback_status (MilterManagerEgg *egg);
void milter_manager_egg_set_evaluation_mode (MilterManagerEgg *egg,
                                             gboolean evaluation_mode);
gboolean milter_manager_egg_is_evaluation_mode (MilterManagerEgg *egg);

gboolean milter_manager_egg_set_connection_timeout (MilterManagerEgg *egg,
                                                    gdouble seconds,
                                                    GError **error);
gdouble milter_manager_egg_get_connection_timeout (MilterManagerEgg *egg);
gboolean milter_manager_egg_set_writing_timeout (MilterManagerEgg *egg,
                                                 gdouble seconds,
                                                 GError **error);
gdouble milter_manager_egg_get_writing_timeout (MilterManagerEgg *egg);
gboolean milter_manager_egg_set_reading_timeout (MilterManagerEgg *egg,
                                                 gdouble seconds,
                                                 GError **error);
gdouble milter_manager_egg_get_reading_timeout (MilterManagerEgg *egg);
gboolean milter_manager_egg_set_end_of_message_timeout (MilterManagerEgg *egg,
                                                        gdouble seconds,
                                                        GError **error);
gdouble milter_manager_egg_get_end_of_message_timeout (MilterManagerEgg *egg);

/* names: NULL-terminated, NULL for none; replaces the list. */
void milter_manager_egg_set_applicable_conditions (MilterManagerEgg *egg,
                                                   const gchar *const *names);
void milter_manager_egg_add_applicable_condition (MilterManagerEgg *egg,
                                                  const gchar *name);
/* NULL-terminated, never NULL. */
const gchar *const *
milter_manager_egg_get_applicable_conditions (MilterManagerEgg *egg);

void milter_manager_egg_set_command (MilterManagerEgg *egg,
                                     const gchar *command);
const gchar *milter_manager_egg_get_command (MilterManagerEgg *egg);
void milter_manager_egg_set_command_options (MilterManagerEgg *egg,
                                             const gchar *options);
const gchar *milter_manager_egg_get_command_options (MilterManagerEgg *egg);
void milter_manager_egg_set_user_name (MilterManagerEgg *egg,
                                       const gchar *user_name);
const gchar *milter_manager_egg_get_user_name (MilterManagerEgg *egg);

/* session_id: for the log line's "[SESSION]" part (0: none). */
gboolean milter_manager_egg_check_hatchable (MilterManagerEgg *egg,
                                             guint64 session_id,
                                             GError **error);

G_END_DECLS

/*
 * milter-manager-configuration - the settings manager sessions read, and
 * the ordered list of eggs
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-configuration.h>
 *
 *   MilterManagerConfiguration *configuration =
 *     milter_manager_configuration_new ();
 *   milter_manager_configuration_set_fallback_status (configuration,
 *                                                     MILTER_STATUS_REJECT,
 *                                                     &error);
 *   milter_manager_configuration_add_egg (configuration, egg);
 *   GPtrArray *eggs = milter_manager_configuration_get_eggs (configuration);
 *   milter_manager_configuration_clear (configuration);
 *
 * DESCRIPTION
 *   What one MTA session needs from the configuration: the
 *   manager-level items of configuration.md §3.4 that sessions read,
 *   and the child milters (eggs) in the order their children are
 *   driven. A session holds a reference for its lifetime; a reload
 *   builds a new object, so a running session never sees a change.
 *
 *   Items and defaults (configuration.md §3.4):
 *     fallback_status                 accept
 *     fallback_status_at_disconnect   temporary-failure
 *     packet_buffer_size              0 (no buffering), bytes
 *     chunk_size                      65535, 1-65535; 0 sets the default
 *                                     (the DSL's nil)
 *     connection_check_interval       0 (no checking), seconds
 *   Items of ours, for what the original fixes in code:
 *     body_memory_threshold           5 MiB: the body stays in memory up
 *                                     to this many bytes (§4.2)
 *     temporary_directory             NULL: the system's, g_get_tmp_dir()
 *     connection_retry_interval       5 s: the delay before the one
 *                                     retry of a failed connect (D19)
 *     negotiation_timeout             25 s: how long the negotiate reply
 *                                     waits for late children before
 *                                     dropping them (D19; below
 *                                     Postfix's 30 s command timeout)
 *   The fallback statuses accept accept, temporary-failure, reject and
 *   discard only; the seconds must be positive; chunk_size at most
 *   65535. A refused value leaves the old one in place.
 *
 *   Connection checkers (define_connection_checker): set_connection_checker()
 *   adds one by name (the same name replaces it); every
 *   connection_check_interval seconds, while a session waits for a child's
 *   reply, check_connection() asks each; one FALSE means the SMTP client is
 *   gone (manager-behaviour.md §5). clear() removes them.
 *
 *   Eggs: add_egg() appends a new name; an egg with a name already in
 *   the list replaces the old one at its position (configuration.md §6
 *   quirk 1, suggested fix: redefinition keeps the order).
 *   remove_egg() and find_egg() go by name. get_eggs() is the list, not
 *   to be modified. clear() is the reload's "clear": every item back to
 *   its default and no eggs.
 *
 *   Applicable conditions (milter-manager-applicable-condition.h):
 *   add_applicable_condition() keeps one per name (the same name
 *   replaces it); eggs name theirs and each session resolves the names
 *   when it creates its children. clear() removes them.
 *
 * DIAGNOSTICS
 *   Setters fail with MILTER_MANAGER_ERROR_INVALID_VALUE, naming the
 *   item ("manager.chunk_size") and the value.
 */
#pragma once

#include <glib-object.h>

#include <milter/client/milter-client-context.h>
#include <milter/core/milter-status.h>
#include <milter/manager/milter-manager-applicable-condition.h>
#include <milter/manager/milter-manager-egg.h>
#include <milter/manager/milter-manager-launcher.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_CONFIGURATION_DEFAULT_FALLBACK_STATUS MILTER_STATUS_ACCEPT
#define MILTER_MANAGER_CONFIGURATION_DEFAULT_FALLBACK_STATUS_AT_DISCONNECT \
  MILTER_STATUS_TEMPORARY_FAILURE
#define MILTER_MANAGER_CONFIGURATION_DEFAULT_CHUNK_SIZE 65535
#define MILTER_MANAGER_CONFIGURATION_DEFAULT_BODY_MEMORY_THRESHOLD \
  ((gsize) 5 * 1024 * 1024)
#define MILTER_MANAGER_CONFIGURATION_DEFAULT_CONNECTION_RETRY_INTERVAL 5.0
#define MILTER_MANAGER_CONFIGURATION_DEFAULT_NEGOTIATION_TIMEOUT 25.0

#define MILTER_MANAGER_TYPE_CONFIGURATION (milter_manager_configuration_get_type ())
G_DECLARE_FINAL_TYPE (MilterManagerConfiguration, milter_manager_configuration,
                      MILTER_MANAGER, CONFIGURATION, GObject)

MilterManagerConfiguration *milter_manager_configuration_new (void);
void milter_manager_configuration_clear (MilterManagerConfiguration *configuration);

gboolean milter_manager_configuration_set_fallback_status (MilterManagerConfiguration *configuration,
                                                           MilterStatus status,
                                                           GError **error);
MilterStatus milter_manager_configuration_get_fallback_status (MilterManagerConfiguration *configuration);
gboolean milter_manager_configuration_set_fallback_status_at_disconnect (MilterManagerConfiguration *configuration,
                                                                         MilterStatus status,
                                                                         GError **error);
MilterStatus milter_manager_configuration_get_fallback_status_at_disconnect (MilterManagerConfiguration *configuration);

void milter_manager_configuration_set_packet_buffer_size (MilterManagerConfiguration *configuration,
                                                          gsize size);
gsize milter_manager_configuration_get_packet_buffer_size (MilterManagerConfiguration *configuration);
gboolean milter_manager_configuration_set_chunk_size (MilterManagerConfiguration *configuration,
                                                      guint size,
                                                      GError **error);
guint milter_manager_configuration_get_chunk_size (MilterManagerConfiguration *configuration);
void milter_manager_configuration_set_connection_check_interval (MilterManagerConfiguration *configuration,
                                                                 guint seconds);
guint milter_manager_configuration_get_connection_check_interval (MilterManagerConfiguration *configuration);

void milter_manager_configuration_set_body_memory_threshold (MilterManagerConfiguration *configuration,
                                                             gsize bytes);
gsize milter_manager_configuration_get_body_memory_threshold (MilterManagerConfiguration *configuration);
void milter_manager_configuration_set_temporary_directory (MilterManagerConfiguration *configuration,
                                                           const gchar *directory);
/* NULL: the system's. */
const gchar *milter_manager_configuration_get_temporary_directory (MilterManagerConfiguration *configuration);
gboolean milter_manager_configuration_set_connection_retry_interval (MilterManagerConfiguration *configuration,
                                                                     gdouble seconds,
                                                                     GError **error);
gdouble milter_manager_configuration_get_connection_retry_interval (MilterManagerConfiguration *configuration);
gboolean milter_manager_configuration_set_negotiation_timeout (MilterManagerConfiguration *configuration,
                                                               gdouble seconds,
                                                               GError **error);
gdouble milter_manager_configuration_get_negotiation_timeout (MilterManagerConfiguration *configuration);

/* FALSE: the SMTP client of the session on context is gone. */
typedef gboolean (*MilterManagerConnectionChecker) (MilterClientContext *context,
                                                    gpointer user_data);
void milter_manager_configuration_set_connection_checker (MilterManagerConfiguration *configuration,
                                                          const gchar *name,
                                                          MilterManagerConnectionChecker checker,
                                                          gpointer user_data,
                                                          GDestroyNotify destroy);
/* TRUE when there is no checker or every one says the client is there. */
gboolean milter_manager_configuration_check_connection (MilterManagerConfiguration *configuration,
                                                        MilterClientContext *context);

/* The configuration takes a reference. */
void milter_manager_configuration_add_egg (MilterManagerConfiguration *configuration,
                                           MilterManagerEgg *egg);
/* TRUE if an egg of that name was there. */
gboolean milter_manager_configuration_remove_egg (MilterManagerConfiguration *configuration,
                                                  const gchar *name);
/* (transfer none) (nullable) */
MilterManagerEgg *milter_manager_configuration_find_egg (MilterManagerConfiguration *configuration,
                                                         const gchar *name);
/* (transfer none) (element-type MilterManagerEgg): in driving order. */
GPtrArray *milter_manager_configuration_get_eggs (MilterManagerConfiguration *configuration);

/* The launcher sessions ask to start a child that cannot be connected
 * (milter-manager-launcher.h); NULL (the default) when privilege mode
 * is off. Takes a reference; not reset by clear(). */
void milter_manager_configuration_set_launcher (MilterManagerConfiguration *configuration,
                                                MilterManagerLauncher *launcher);
MilterManagerLauncher *milter_manager_configuration_get_launcher (MilterManagerConfiguration *configuration);
/* Applicable conditions by name (eggs name theirs); the configuration
 * takes a reference and replaces one of the same name. */
void milter_manager_configuration_add_applicable_condition (MilterManagerConfiguration *configuration,
                                                            MilterManagerApplicableCondition *condition);
/* (transfer none) (nullable) */
MilterManagerApplicableCondition *
milter_manager_configuration_find_applicable_condition (MilterManagerConfiguration *configuration,
                                                        const gchar *name);

G_END_DECLS

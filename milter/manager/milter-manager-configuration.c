/*
 * milter-manager-configuration - the settings manager sessions read, and
 * the ordered list of eggs
 *
 * The items are fields reset together by one function, so that new()
 * and clear() cannot disagree on a default.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-status.h>
#include <milter/manager/milter-manager-configuration.h>
#include <milter/manager/milter-manager-egg.h>
#include <milter/manager/milter-manager-error.h>
#include <milter/manager/milter-manager-setting-rules.h>

struct _MilterManagerConfiguration {
  GObject parent_instance;
  MilterStatus fallback_status;
  MilterStatus fallback_status_at_disconnect;
  gsize packet_buffer_size;
  guint chunk_size;
  guint connection_check_interval;
  gsize body_memory_threshold;
  gchar *temporary_directory;
  gdouble connection_retry_interval;
  gdouble negotiation_timeout;
  GPtrArray *eggs;  /* of MilterManagerEgg *, owned */
  GPtrArray *checkers;  /* of Checker *, owned */
  /* The daemon's, in privilege mode; not an item: clear() keeps it. */
  MilterManagerLauncher *launcher;
  GHashTable *conditions;  /* name -> MilterManagerApplicableCondition, owned */
};

typedef struct {
  gchar *name;
  MilterManagerConnectionChecker func;
  gpointer user_data;
  GDestroyNotify destroy;
} Checker;

static void
checker_free (gpointer data)
{
  Checker *checker = data;

  if (checker->destroy)
    checker->destroy (checker->user_data);
  g_free (checker->name);
  g_free (checker);
}

G_DEFINE_FINAL_TYPE (MilterManagerConfiguration, milter_manager_configuration,
                     G_TYPE_OBJECT)

static void
reset_items (MilterManagerConfiguration *configuration)
{
  configuration->fallback_status =
    MILTER_MANAGER_CONFIGURATION_DEFAULT_FALLBACK_STATUS;
  configuration->fallback_status_at_disconnect =
    MILTER_MANAGER_CONFIGURATION_DEFAULT_FALLBACK_STATUS_AT_DISCONNECT;
  configuration->packet_buffer_size = 0;
  configuration->chunk_size = MILTER_MANAGER_CONFIGURATION_DEFAULT_CHUNK_SIZE;
  configuration->connection_check_interval = 0;
  configuration->body_memory_threshold =
    MILTER_MANAGER_CONFIGURATION_DEFAULT_BODY_MEMORY_THRESHOLD;
  g_clear_pointer (&configuration->temporary_directory, g_free);
  configuration->connection_retry_interval =
    MILTER_MANAGER_CONFIGURATION_DEFAULT_CONNECTION_RETRY_INTERVAL;
  configuration->negotiation_timeout =
    MILTER_MANAGER_CONFIGURATION_DEFAULT_NEGOTIATION_TIMEOUT;
}

static void
milter_manager_configuration_init (MilterManagerConfiguration *configuration)
{
  reset_items (configuration);
  configuration->eggs = g_ptr_array_new_with_free_func (g_object_unref);
  configuration->checkers = g_ptr_array_new_with_free_func (checker_free);
  configuration->conditions =
    g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                           (GDestroyNotify) milter_manager_applicable_condition_unref);
}

static void
finalize (GObject *object)
{
  MilterManagerConfiguration *configuration =
    MILTER_MANAGER_CONFIGURATION (object);

  g_free (configuration->temporary_directory);
  g_ptr_array_unref (configuration->eggs);
  g_ptr_array_unref (configuration->checkers);
  g_clear_object (&configuration->launcher);
  g_hash_table_unref (configuration->conditions);
  G_OBJECT_CLASS (milter_manager_configuration_parent_class)->finalize (object);
}

static void
milter_manager_configuration_class_init (MilterManagerConfigurationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = finalize;
}

MilterManagerConfiguration *
milter_manager_configuration_new (void)
{
  return g_object_new (MILTER_MANAGER_TYPE_CONFIGURATION, NULL);
}

void
milter_manager_configuration_clear (MilterManagerConfiguration *configuration)
{
  reset_items (configuration);
  g_ptr_array_set_size (configuration->eggs, 0);
  g_ptr_array_set_size (configuration->checkers, 0);
  g_hash_table_remove_all (configuration->conditions);
}

void
milter_manager_configuration_set_connection_checker (MilterManagerConfiguration *configuration,
                                                     const gchar *name,
                                                     MilterManagerConnectionChecker func,
                                                     gpointer user_data,
                                                     GDestroyNotify destroy)
{
  Checker *checker = g_new0 (Checker, 1);

  checker->name = g_strdup (name);
  checker->func = func;
  checker->user_data = user_data;
  checker->destroy = destroy;
  for (guint i = 0; i < configuration->checkers->len; i++) {
    Checker *old = g_ptr_array_index (configuration->checkers, i);

    if (g_str_equal (old->name, name)) {
      /* Redefining a name replaces it in place. */
      checker_free (old);
      g_ptr_array_index (configuration->checkers, i) = checker;
      return;
    }
  }
  g_ptr_array_add (configuration->checkers, checker);
}

gboolean
milter_manager_configuration_check_connection (MilterManagerConfiguration *configuration,
                                               MilterClientContext *context)
{
  for (guint i = 0; i < configuration->checkers->len; i++) {
    Checker *checker = g_ptr_array_index (configuration->checkers, i);

    if (!checker->func (context, checker->user_data))
      return FALSE;
  }
  return TRUE;
}

gboolean
milter_manager_configuration_set_fallback_status (MilterManagerConfiguration *configuration,
                                                  MilterStatus status,
                                                  GError **error)
{
  if (!milter_manager_setting_check_fallback_status ("manager.fallback_status",
                                                     status, error))
    return FALSE;
  configuration->fallback_status = status;
  return TRUE;
}

MilterStatus
milter_manager_configuration_get_fallback_status (MilterManagerConfiguration *configuration)
{
  return configuration->fallback_status;
}

gboolean
milter_manager_configuration_set_fallback_status_at_disconnect (MilterManagerConfiguration *configuration,
                                                                MilterStatus status,
                                                                GError **error)
{
  if (!milter_manager_setting_check_fallback_status (
        "manager.fallback_status_at_disconnect", status, error))
    return FALSE;
  configuration->fallback_status_at_disconnect = status;
  return TRUE;
}

MilterStatus
milter_manager_configuration_get_fallback_status_at_disconnect (MilterManagerConfiguration *configuration)
{
  return configuration->fallback_status_at_disconnect;
}

void
milter_manager_configuration_set_packet_buffer_size (MilterManagerConfiguration *configuration,
                                                     gsize size)
{
  configuration->packet_buffer_size = size;
}

gsize
milter_manager_configuration_get_packet_buffer_size (MilterManagerConfiguration *configuration)
{
  return configuration->packet_buffer_size;
}

gboolean
milter_manager_configuration_set_chunk_size (MilterManagerConfiguration *configuration,
                                             guint size,
                                             GError **error)
{
  if (size > MILTER_MANAGER_CONFIGURATION_DEFAULT_CHUNK_SIZE) {
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE,
                 "manager.chunk_size must be 1-%d: %u",
                 MILTER_MANAGER_CONFIGURATION_DEFAULT_CHUNK_SIZE, size);
    return FALSE;
  }
  configuration->chunk_size =
    size ? size : MILTER_MANAGER_CONFIGURATION_DEFAULT_CHUNK_SIZE;
  return TRUE;
}

guint
milter_manager_configuration_get_chunk_size (MilterManagerConfiguration *configuration)
{
  return configuration->chunk_size;
}

void
milter_manager_configuration_set_connection_check_interval (MilterManagerConfiguration *configuration,
                                                            guint seconds)
{
  configuration->connection_check_interval = seconds;
}

guint
milter_manager_configuration_get_connection_check_interval (MilterManagerConfiguration *configuration)
{
  return configuration->connection_check_interval;
}

void
milter_manager_configuration_set_body_memory_threshold (MilterManagerConfiguration *configuration,
                                                        gsize bytes)
{
  configuration->body_memory_threshold = bytes;
}

gsize
milter_manager_configuration_get_body_memory_threshold (MilterManagerConfiguration *configuration)
{
  return configuration->body_memory_threshold;
}

void
milter_manager_configuration_set_temporary_directory (MilterManagerConfiguration *configuration,
                                                      const gchar *directory)
{
  gchar *copy = g_strdup (directory);

  g_free (configuration->temporary_directory);
  configuration->temporary_directory = copy;
}

const gchar *
milter_manager_configuration_get_temporary_directory (MilterManagerConfiguration *configuration)
{
  return configuration->temporary_directory;
}

gboolean
milter_manager_configuration_set_connection_retry_interval (MilterManagerConfiguration *configuration,
                                                            gdouble seconds,
                                                            GError **error)
{
  if (!milter_manager_setting_check_seconds ("manager.connection_retry_interval",
                                             seconds, error))
    return FALSE;
  configuration->connection_retry_interval = seconds;
  return TRUE;
}

gdouble
milter_manager_configuration_get_connection_retry_interval (MilterManagerConfiguration *configuration)
{
  return configuration->connection_retry_interval;
}

gboolean
milter_manager_configuration_set_negotiation_timeout (MilterManagerConfiguration *configuration,
                                                      gdouble seconds,
                                                      GError **error)
{
  if (!milter_manager_setting_check_seconds ("manager.negotiation_timeout",
                                             seconds, error))
    return FALSE;
  configuration->negotiation_timeout = seconds;
  return TRUE;
}

gdouble
milter_manager_configuration_get_negotiation_timeout (MilterManagerConfiguration *configuration)
{
  return configuration->negotiation_timeout;
}

static gint
egg_position (MilterManagerConfiguration *configuration, const gchar *name)
{
  for (guint i = 0; i < configuration->eggs->len; i++) {
    MilterManagerEgg *egg = g_ptr_array_index (configuration->eggs, i);

    if (g_strcmp0 (milter_manager_egg_get_name (egg), name) == 0)
      return (gint) i;
  }
  return -1;
}

void
milter_manager_configuration_add_egg (MilterManagerConfiguration *configuration,
                                      MilterManagerEgg *egg)
{
  gint position = egg_position (configuration,
                                milter_manager_egg_get_name (egg));

  g_object_ref (egg);
  if (position < 0) {
    g_ptr_array_add (configuration->eggs, egg);
    return;
  }
  /* Redefinition keeps the list order (configuration.md §6, quirk 1). */
  g_object_unref (g_ptr_array_index (configuration->eggs, position));
  g_ptr_array_index (configuration->eggs, position) = egg;
}

gboolean
milter_manager_configuration_remove_egg (MilterManagerConfiguration *configuration,
                                         const gchar *name)
{
  gint position = egg_position (configuration, name);

  if (position < 0)
    return FALSE;
  g_ptr_array_remove_index (configuration->eggs, (guint) position);
  return TRUE;
}

MilterManagerEgg *
milter_manager_configuration_find_egg (MilterManagerConfiguration *configuration,
                                       const gchar *name)
{
  gint position = egg_position (configuration, name);

  return position < 0 ? NULL : g_ptr_array_index (configuration->eggs,
                                                  position);
}

GPtrArray *
milter_manager_configuration_get_eggs (MilterManagerConfiguration *configuration)
{
  return configuration->eggs;
}

void
milter_manager_configuration_set_launcher (MilterManagerConfiguration *configuration,
                                           MilterManagerLauncher *launcher)
{
  if (launcher)
    g_object_ref (launcher);
  g_clear_object (&configuration->launcher);
  configuration->launcher = launcher;
}

MilterManagerLauncher *
milter_manager_configuration_get_launcher (MilterManagerConfiguration *configuration)
{
  return configuration->launcher;
}

void
milter_manager_configuration_add_applicable_condition (MilterManagerConfiguration *configuration,
                                                       MilterManagerApplicableCondition *condition)
{
  /* The key is the condition's own name: it lives as long as the value. */
  g_hash_table_replace (configuration->conditions,
                        (gpointer) milter_manager_applicable_condition_get_name (condition),
                        milter_manager_applicable_condition_ref (condition));
}

MilterManagerApplicableCondition *
milter_manager_configuration_find_applicable_condition (MilterManagerConfiguration *configuration,
                                                        const gchar *name)
{
  return g_hash_table_lookup (configuration->conditions, name);
}

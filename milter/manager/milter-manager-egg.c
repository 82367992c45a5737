/*
 * milter-manager-egg - one configured child milter (a define_milter entry)
 *
 * A plain settings holder: the session code reads it when it creates a
 * child; nothing here does I/O. Value checks are the setting rules'.
 */
#include "config.h"

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-status.h>
#include <milter/manager/milter-manager-egg.h>
#include <milter/manager/milter-manager-error.h>
#include <milter/manager/milter-manager-setting-rules.h>

struct _MilterManagerEgg {
  GObject parent_instance;
  gchar *name;
  gchar *description;
  gboolean enabled;
  MilterConnectionSpec *spec;
  gchar *spec_string;
  MilterStatus fallback_status;
  gboolean evaluation_mode;
  gdouble connection_timeout;
  gdouble writing_timeout;
  gdouble reading_timeout;
  gdouble end_of_message_timeout;
  GPtrArray *applicable_conditions;  /* of gchar *, NULL-terminated */
  gchar *command;
  gchar *command_options;
  gchar *user_name;
};

G_DEFINE_FINAL_TYPE (MilterManagerEgg, milter_manager_egg, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static void
milter_manager_egg_init (MilterManagerEgg *egg)
{
  egg->enabled = TRUE;
  egg->fallback_status = MILTER_STATUS_ACCEPT;
  egg->connection_timeout = MILTER_MANAGER_EGG_DEFAULT_CONNECTION_TIMEOUT;
  egg->writing_timeout = MILTER_MANAGER_EGG_DEFAULT_WRITING_TIMEOUT;
  egg->reading_timeout = MILTER_MANAGER_EGG_DEFAULT_READING_TIMEOUT;
  egg->end_of_message_timeout =
    MILTER_MANAGER_EGG_DEFAULT_END_OF_MESSAGE_TIMEOUT;
  egg->applicable_conditions = g_ptr_array_new_null_terminated (0, g_free,
                                                                TRUE);
}

static void
finalize (GObject *object)
{
  MilterManagerEgg *egg = MILTER_MANAGER_EGG (object);

  g_free (egg->name);
  g_free (egg->description);
  milter_connection_spec_free (egg->spec);
  g_free (egg->spec_string);
  g_ptr_array_unref (egg->applicable_conditions);
  g_free (egg->command);
  g_free (egg->command_options);
  g_free (egg->user_name);
  G_OBJECT_CLASS (milter_manager_egg_parent_class)->finalize (object);
}

static void
set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  MilterManagerEgg *egg = MILTER_MANAGER_EGG (object);

  switch (id) {
  case PROP_NAME:
    egg->name = g_value_dup_string (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    break;
  }
}

static void
get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  MilterManagerEgg *egg = MILTER_MANAGER_EGG (object);

  switch (id) {
  case PROP_NAME:
    g_value_set_string (value, egg->name);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    break;
  }
}

static void
milter_manager_egg_class_init (MilterManagerEggClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = finalize;
  object_class->set_property = set_property;
  object_class->get_property = get_property;

  /**
   * MilterManagerEgg:name:
   *
   * The name given to define_milter; the children's log lines show it.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

MilterManagerEgg *
milter_manager_egg_new (const gchar *name)
{
  return g_object_new (MILTER_MANAGER_TYPE_EGG, "name", name, NULL);
}

const gchar *
milter_manager_egg_get_name (MilterManagerEgg *egg)
{
  return egg->name;
}

static void
replace_string (gchar **field, const gchar *value)
{
  gchar *copy = g_strdup (value);

  g_free (*field);
  *field = copy;
}

void
milter_manager_egg_set_description (MilterManagerEgg *egg,
                                    const gchar *description)
{
  replace_string (&egg->description, description);
}

const gchar *
milter_manager_egg_get_description (MilterManagerEgg *egg)
{
  return egg->description;
}

void
milter_manager_egg_set_enabled (MilterManagerEgg *egg, gboolean enabled)
{
  egg->enabled = enabled;
}

gboolean
milter_manager_egg_is_enabled (MilterManagerEgg *egg)
{
  return egg->enabled;
}

gboolean
milter_manager_egg_set_connection_spec (MilterManagerEgg *egg,
                                        const gchar *spec,
                                        GError **error)
{
  g_autoptr (GError) parse_error = NULL;
  MilterConnectionSpec *parsed;

  if (!spec) {
    g_clear_pointer (&egg->spec, milter_connection_spec_free);
    g_clear_pointer (&egg->spec_string, g_free);
    return TRUE;
  }
  parsed = milter_connection_spec_parse (spec, &parse_error);
  if (!parsed) {
    milter_error (0, "[egg][error][set-spec] %s: %s",
                  parse_error->message, egg->name);
    g_set_error (error, MILTER_MANAGER_ERROR,
                 MILTER_MANAGER_ERROR_INVALID_CONNECTION_SPEC,
                 "milter.connection_spec of %s: %s",
                 egg->name, parse_error->message);
    return FALSE;
  }
  milter_connection_spec_free (egg->spec);
  egg->spec = parsed;
  g_free (egg->spec_string);
  egg->spec_string = milter_connection_spec_to_string (parsed);
  return TRUE;
}

const gchar *
milter_manager_egg_get_connection_spec (MilterManagerEgg *egg)
{
  return egg->spec_string;
}

const MilterConnectionSpec *
milter_manager_egg_get_parsed_connection_spec (MilterManagerEgg *egg)
{
  return egg->spec;
}

gboolean
milter_manager_egg_set_fallback_status (MilterManagerEgg *egg,
                                        MilterStatus status,
                                        GError **error)
{
  if (!milter_manager_setting_check_fallback_status ("milter.fallback_status",
                                                     status, error))
    return FALSE;
  egg->fallback_status = status;
  return TRUE;
}

MilterStatus
milter_manager_egg_get_fallback_status (MilterManagerEgg *egg)
{
  return egg->fallback_status;
}

void
milter_manager_egg_set_evaluation_mode (MilterManagerEgg *egg,
                                        gboolean evaluation_mode)
{
  egg->evaluation_mode = evaluation_mode;
}

gboolean
milter_manager_egg_is_evaluation_mode (MilterManagerEgg *egg)
{
  return egg->evaluation_mode;
}

static gboolean
set_seconds (gdouble *field, const gchar *item, gdouble seconds,
             GError **error)
{
  if (!milter_manager_setting_check_seconds (item, seconds, error))
    return FALSE;
  *field = seconds;
  return TRUE;
}

gboolean
milter_manager_egg_set_connection_timeout (MilterManagerEgg *egg,
                                           gdouble seconds,
                                           GError **error)
{
  return set_seconds (&egg->connection_timeout, "milter.connection_timeout",
                      seconds, error);
}

gdouble
milter_manager_egg_get_connection_timeout (MilterManagerEgg *egg)
{
  return egg->connection_timeout;
}

gboolean
milter_manager_egg_set_writing_timeout (MilterManagerEgg *egg,
                                        gdouble seconds,
                                        GError **error)
{
  return set_seconds (&egg->writing_timeout, "milter.writing_timeout",
                      seconds, error);
}

gdouble
milter_manager_egg_get_writing_timeout (MilterManagerEgg *egg)
{
  return egg->writing_timeout;
}

gboolean
milter_manager_egg_set_reading_timeout (MilterManagerEgg *egg,
                                        gdouble seconds,
                                        GError **error)
{
  return set_seconds (&egg->reading_timeout, "milter.reading_timeout",
                      seconds, error);
}

gdouble
milter_manager_egg_get_reading_timeout (MilterManagerEgg *egg)
{
  return egg->reading_timeout;
}

gboolean
milter_manager_egg_set_end_of_message_timeout (MilterManagerEgg *egg,
                                               gdouble seconds,
                                               GError **error)
{
  return set_seconds (&egg->end_of_message_timeout,
                      "milter.end_of_message_timeout", seconds, error);
}

gdouble
milter_manager_egg_get_end_of_message_timeout (MilterManagerEgg *egg)
{
  return egg->end_of_message_timeout;
}

void
milter_manager_egg_set_applicable_conditions (MilterManagerEgg *egg,
                                              const gchar *const *names)
{
  g_ptr_array_set_size (egg->applicable_conditions, 0);
  for (; names && *names; names++)
    g_ptr_array_add (egg->applicable_conditions, g_strdup (*names));
}

void
milter_manager_egg_add_applicable_condition (MilterManagerEgg *egg,
                                             const gchar *name)
{
  g_return_if_fail (name != NULL);
  g_ptr_array_add (egg->applicable_conditions, g_strdup (name));
}

const gchar *const *
milter_manager_egg_get_applicable_conditions (MilterManagerEgg *egg)
{
  static const gchar *const none[] = {NULL};

  /* An empty null-terminated array may have no storage yet. */
  if (!egg->applicable_conditions->pdata)
    return none;
  return (const gchar *const *) egg->applicable_conditions->pdata;
}

void
milter_manager_egg_set_command (MilterManagerEgg *egg, const gchar *command)
{
  replace_string (&egg->command, command);
}

const gchar *
milter_manager_egg_get_command (MilterManagerEgg *egg)
{
  return egg->command;
}

void
milter_manager_egg_set_command_options (MilterManagerEgg *egg,
                                        const gchar *options)
{
  replace_string (&egg->command_options, options);
}

const gchar *
milter_manager_egg_get_command_options (MilterManagerEgg *egg)
{
  return egg->command_options;
}

void
milter_manager_egg_set_user_name (MilterManagerEgg *egg,
                                  const gchar *user_name)
{
  replace_string (&egg->user_name, user_name);
}

const gchar *
milter_manager_egg_get_user_name (MilterManagerEgg *egg)
{
  return egg->user_name;
}

gboolean
milter_manager_egg_check_hatchable (MilterManagerEgg *egg,
                                    guint64 session_id,
                                    GError **error)
{
  if (egg->spec)
    return TRUE;
  milter_error (session_id, "[egg][error] must set connection spec: %s",
                egg->name);
  g_set_error (error, MILTER_MANAGER_ERROR,
               MILTER_MANAGER_ERROR_NO_CONNECTION_SPEC,
               "must set connection spec: %s", egg->name);
  return FALSE;
}

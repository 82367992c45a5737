/*
 * milter-manager-ruby-configuration - load, dump and export a
 * configuration through Milter::Manager::Embedded (binding/ruby/lib).
 *
 * The C side holds the Ruby Configuration object in a small struct whose
 * VALUE is registered with Ruby's GC for as long as the struct lives.
 */
#include "config.h"

#include "binding/ruby/milter-manager-ruby-configuration.h"
#include "binding/ruby/milter-manager-ruby-private.h"
#include <milter/core/milter-logger.h>

struct _MilterManagerRubyConfiguration {
  VALUE model;
};

gchar **
milter_manager_ruby_configuration_build_load_path (const gchar *config_dir,
                                                   const gchar *env_dir,
                                                   const gchar *builtin_dir)
{
  GPtrArray *directories = g_ptr_array_new ();
  if (config_dir && *config_dir)
    g_ptr_array_add (directories, g_strdup (config_dir));
  if (env_dir && *env_dir)
    g_ptr_array_add (directories, g_strdup (env_dir));
  if (builtin_dir && *builtin_dir)
    g_ptr_array_add (directories, g_strdup (builtin_dir));
  g_ptr_array_add (directories, NULL);
  return (gchar **) g_ptr_array_free (directories, FALSE);
}

gchar **
milter_manager_ruby_configuration_default_load_path (const gchar *config_dir)
{
  return milter_manager_ruby_configuration_build_load_path (config_dir,
                                                            g_getenv ("MILTER_MANAGER_CONFIG_DIR"),
                                                            MILTER_MANAGER_CONFIG_DIR);
}

static VALUE
string_value (const gchar *text)
{
  return rb_str_new_cstr (text);
}

MilterManagerRubyConfiguration *
milter_manager_ruby_configuration_load (const gchar *const *directories,
                                        gchar **error_file,
                                        guint *error_line,
                                        GError **error)
{
  if (!milter_manager_ruby_init (error))
    return NULL;

  VALUE list = rb_ary_new ();
  for (gsize i = 0; directories && directories[i]; i++)
    rb_ary_push (list, string_value (directories[i]));

  VALUE result;
  if (!milter_manager_ruby_call (milter_manager_ruby_embedded_module (), "load",
                                 &result, error, 1, list))
    return NULL;

  /* [configuration, nil] or [nil, [message, file, line]] (embedded.rb) */
  VALUE model = rb_ary_entry (result, 0);
  VALUE problem = rb_ary_entry (result, 1);
  if (!NIL_P (problem)) {
    VALUE message = rb_ary_entry (problem, 0);
    VALUE file = rb_ary_entry (problem, 1);
    VALUE line = rb_ary_entry (problem, 2);
    g_set_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION,
                 "%.*s", (int) RSTRING_LEN (message), RSTRING_PTR (message));
    if (error_file && RB_TYPE_P (file, T_STRING))
      *error_file = g_strndup (RSTRING_PTR (file), (gsize) RSTRING_LEN (file));
    if (error_line && RB_TYPE_P (file, T_STRING) && FIXNUM_P (line))
      *error_line = (guint) FIX2LONG (line);
    return NULL;
  }

  MilterManagerRubyConfiguration *configuration = g_new0 (MilterManagerRubyConfiguration, 1);
  configuration->model = model;
  rb_gc_register_address (&configuration->model);
  return configuration;
}

/* The few value types an override has (milter-manager-command-line.c). */
static VALUE
override_value (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return string_value (g_variant_get_string (value, NULL));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    return LL2NUM (g_variant_get_int64 (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_variant_get_boolean (value) ? Qtrue : Qfalse;
  return Qnil;
}

gboolean
milter_manager_ruby_configuration_override (MilterManagerRubyConfiguration *configuration,
                                            GVariant *overrides,
                                            GError **error)
{
  GVariantIter iter;
  const gchar *key;
  GVariant *value;
  VALUE hash = rb_hash_new ();

  g_variant_iter_init (&iter, overrides);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    rb_hash_aset (hash, string_value (key), override_value (value));

  VALUE problem;
  if (!milter_manager_ruby_call (milter_manager_ruby_embedded_module (), "override",
                                 &problem, error, 2, configuration->model, hash))
    return FALSE;
  /* nil or MESSAGE (embedded.rb) */
  if (!NIL_P (problem)) {
    g_set_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION,
                 "%.*s", (int) RSTRING_LEN (problem), RSTRING_PTR (problem));
    return FALSE;
  }
  return TRUE;
}

gchar **
milter_manager_ruby_configuration_run_hooks (MilterManagerRubyConfiguration *configuration,
                                             MilterManagerRubyHooks hooks,
                                             GError **error)
{
  VALUE problems;
  const gchar *method = hooks == MILTER_MANAGER_RUBY_HOOKS_MAINTAINED ?
    "maintain" : "event_loop_created";
  if (!milter_manager_ruby_call (milter_manager_ruby_embedded_module (), method,
                                 &problems, error, 1, configuration->model))
    return NULL;
  GPtrArray *messages = g_ptr_array_new ();
  for (long i = 0; RB_TYPE_P (problems, T_ARRAY) && i < RARRAY_LEN (problems); i++) {
    VALUE message = rb_ary_entry (problems, i);
    if (RB_TYPE_P (message, T_STRING))
      g_ptr_array_add (messages, g_strndup (RSTRING_PTR (message),
                                            (gsize) RSTRING_LEN (message)));
  }
  g_ptr_array_add (messages, NULL);
  return (gchar **) g_ptr_array_free (messages, FALSE);
}

gchar *
milter_manager_ruby_configuration_dump (MilterManagerRubyConfiguration *configuration,
                                        GError **error)
{
  VALUE text;
  if (!milter_manager_ruby_call (milter_manager_ruby_embedded_module (), "dump",
                                 &text, error, 1, configuration->model))
    return NULL;
  return g_strndup (RSTRING_PTR (text), (gsize) RSTRING_LEN (text));
}

GVariant *
milter_manager_ruby_configuration_to_variant (MilterManagerRubyConfiguration *configuration,
                                              GError **error)
{
  VALUE data;
  if (!milter_manager_ruby_call (milter_manager_ruby_embedded_module (), "to_h",
                                 &data, error, 1, configuration->model))
    return NULL;
  return g_variant_ref_sink (milter_manager_ruby_value_to_variant (data));
}

/* nil or MESSAGE (embedded.rb's clear and dispose) into error. */
static gboolean
clear_succeeded (VALUE problem, GError **error)
{
  if (NIL_P (problem))
    return TRUE;
  g_set_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_RUBY,
               "%.*s", (int) RSTRING_LEN (problem), RSTRING_PTR (problem));
  return FALSE;
}

gboolean
milter_manager_ruby_configuration_clear (GError **error)
{
  VALUE problem;
  if (!milter_manager_ruby_init (error) ||
      !milter_manager_ruby_call (milter_manager_ruby_embedded_module (), "clear",
                                 &problem, error, 0))
    return FALSE;
  return clear_succeeded (problem, error);
}

VALUE
milter_manager_ruby_configuration_get_model (MilterManagerRubyConfiguration *configuration)
{
  return configuration->model;
}

void
milter_manager_ruby_configuration_free (MilterManagerRubyConfiguration *configuration)
{
  g_autoptr (GError) error = NULL;
  VALUE problem;

  if (!configuration)
    return;
  if (!milter_manager_ruby_call (milter_manager_ruby_embedded_module (), "dispose",
                                 &problem, &error, 1, configuration->model) ||
      !clear_succeeded (problem, &error))
    milter_error (0, "[configuration][dispose][clear][error] %s", error->message);
  rb_gc_unregister_address (&configuration->model);
  g_free (configuration);
}

/*
 * milter-manager-config-dump - load a configuration the way the daemon
 * does and print its --show-config text (a test helper).
 *
 * SYNOPSIS
 *   milter-manager-config-dump [--config-dir=DIR] [--variant]
 *
 * The load path is DIR, $MILTER_MANAGER_CONFIG_DIR, then the built-in
 * directory. --variant prints the model (to_variant) instead. On a
 * configuration error the message (FILE:LINE: ...) goes to standard
 * error and the exit status is 1.
 */
#include "config.h"

#include <stdio.h>

#include "binding/ruby/milter-manager-ruby-configuration.h"

int
main (int argc, char **argv)
{
  g_autofree gchar *config_dir = NULL;
  gboolean variant = FALSE;
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "config-dir", 'c', 0, G_OPTION_ARG_FILENAME, &config_dir,
      "Prepend DIR to the configuration load path", "DIR" },
    { "variant", 0, 0, G_OPTION_ARG_NONE, &variant,
      "Print the model as a GVariant instead of --show-config", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("milter-manager-config-dump: %s\n", error->message);
    return 2;
  }

  if (!milter_manager_ruby_init (&error)) {
    g_printerr ("milter-manager-config-dump: %s\n", error->message);
    return 1;
  }
  g_auto (GStrv) path = milter_manager_ruby_configuration_default_load_path (config_dir);
  g_autoptr (MilterManagerRubyConfiguration) configuration =
    milter_manager_ruby_configuration_load ((const gchar *const *) path, NULL, NULL, &error);
  if (!configuration) {
    g_printerr ("milter-manager-config-dump: %s\n", error->message);
    return 1;
  }
  if (variant) {
    g_autoptr (GVariant) model = milter_manager_ruby_configuration_to_variant (configuration, &error);
    if (!model) {
      g_printerr ("milter-manager-config-dump: %s\n", error->message);
      return 1;
    }
    g_autofree gchar *text = g_variant_print (model, TRUE);
    printf ("%s\n", text);
    return 0;
  }
  g_autofree gchar *text = milter_manager_ruby_configuration_dump (configuration, &error);
  if (!text) {
    g_printerr ("milter-manager-config-dump: %s\n", error->message);
    return 1;
  }
  fputs (text, stdout);
  return 0;
}

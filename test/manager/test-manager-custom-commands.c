/*
 * test-manager-custom-commands - a custom document may repeat a
 * milter's command, never bring a new one (controller.md §7 #6)
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/manager/milter-manager-custom-commands.h>
#include <milter/manager/milter-manager-egg.h>
#include <milter/manager/milter-manager-error.h>

#define M(body) "<configuration><milters><milter>" body "</milter></milters></configuration>"

static void
test_commands (void)
{
  static const struct {
    const gchar *xml;
    gboolean accepted;
  } cases[] = {
    { "<configuration/>", TRUE },
    { M ("<name>new</name><connection-spec>inet:1@[127.0.0.1]</connection-spec>"), TRUE },
    /* The round trip of get-configuration. */
    { M ("<name>clamav</name><command>/usr/bin/systemctl</command>"
         "<command-options>start clamav</command-options>"), TRUE },
    { M ("<name>clamav</name><command>/usr/bin/systemctl</command>"), TRUE },
    { M ("<name>clamav</name><enabled>false</enabled>"), TRUE },
    { M ("<name>clamav</name><command>/bin/sh</command>"), FALSE },
    { M ("<name>clamav</name><command-options>-c id</command-options>"), FALSE },
    { M ("<name>clamav</name><command>/usr/bin/systemctl</command>"
         "<command-options></command-options>"), FALSE },
    { M ("<name>new</name><command>/bin/sh</command>"), FALSE },
    { M ("<name>plain</name><command></command>"), FALSE },
    { M ("<command>/bin/sh</command><name>clamav</name>"), FALSE },
    /* Elsewhere than in a milter: not a command (the loader refuses it). */
    { "<configuration><command>/bin/sh</command></configuration>", TRUE },
    { "<configuration><milters><milter><name>a</name></milter>"
      "<milter><name>b</name><command>x</command></milter></milters></configuration>", FALSE },
  };
  g_autoptr (MilterManagerConfiguration) configuration = milter_manager_configuration_new ();
  g_autoptr (MilterManagerEgg) clamav = milter_manager_egg_new ("clamav");
  g_autoptr (MilterManagerEgg) plain = milter_manager_egg_new ("plain");

  milter_manager_egg_set_command (clamav, "/usr/bin/systemctl");
  milter_manager_egg_set_command_options (clamav, "start clamav");
  milter_manager_configuration_add_egg (configuration, clamav);
  milter_manager_configuration_add_egg (configuration, plain);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    gboolean ok = milter_manager_custom_commands_check (cases[i].xml, strlen (cases[i].xml),
                                                        configuration, &error);
    if (cases[i].accepted) {
      g_assert_no_error (error);
      g_assert_true (ok);
    } else {
      g_assert_false (ok);
      g_assert_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE);
      g_assert_nonnull (strstr (error->message, "does not take a new command"));
    }
  }
}

static void
test_unreadable (void)
{
  g_autoptr (MilterManagerConfiguration) configuration = milter_manager_configuration_new ();
  g_autoptr (GError) error = NULL;
  static const gchar xml[] = "<configuration><milters>";

  g_assert_false (milter_manager_custom_commands_check (xml, sizeof (xml) - 1, configuration,
                                                        &error));
  g_assert_true (error->domain == G_MARKUP_ERROR);
  g_assert_true (g_str_has_prefix (error->message, "cannot check the commands: "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/custom-commands/commands", test_commands);
  g_test_add_func ("/manager/custom-commands/unreadable", test_unreadable);
  return g_test_run ();
}

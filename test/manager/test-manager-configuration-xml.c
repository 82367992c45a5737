/*
 * test-manager-configuration-xml - the get-configuration document
 * (controller.md §5.1): exact text for a table of configurations.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/manager/milter-manager-configuration-xml.h>
#include <milter/manager/milter-manager-egg.h>

static void
test_empty (void)
{
  g_autoptr (MilterManagerConfiguration) configuration = milter_manager_configuration_new ();
  g_autofree gchar *xml = milter_manager_configuration_to_xml (configuration, NULL, 0, -1, NULL);
  g_assert_cmpstr (xml, ==, "<configuration>\n</configuration>\n");
}

static void
test_full (void)
{
  g_autoptr (MilterManagerConfiguration) configuration = milter_manager_configuration_new ();
  g_autoptr (MilterManagerEgg) clamav = milter_manager_egg_new ("clamav-milter");
  g_autoptr (MilterManagerEgg) spam = milter_manager_egg_new ("spam<&>");
  g_autoptr (GHashTable) stopped = g_hash_table_new (g_str_hash, g_str_equal);
  static const gchar *const conditions[] = { "Remote Network", "S25R", NULL };
  static const MilterManagerXmlCondition defined[] = {
    { "Remote Network", "Apply milter only if connected from remote network" },
    { "S25R", NULL },
  };

  g_assert_true (milter_manager_egg_set_connection_spec (clamav, "unix:/run/clamav/c.ctl", NULL));
  milter_manager_egg_set_command (clamav, "/usr/bin/systemctl");
  milter_manager_egg_set_command_options (clamav, "start clamav-milter");
  milter_manager_egg_set_applicable_conditions (clamav, conditions);
  milter_manager_egg_set_description (spam, "a \"quoted\" one");
  milter_manager_egg_set_enabled (spam, FALSE);
  milter_manager_egg_set_evaluation_mode (spam, TRUE);
  g_assert_true (milter_manager_egg_set_fallback_status (spam, MILTER_STATUS_REJECT, NULL));
  milter_manager_configuration_add_egg (configuration, clamav);
  milter_manager_configuration_add_egg (configuration, spam);

  g_autofree gchar *xml = milter_manager_configuration_to_xml (configuration, defined, 2,
                                                               1767225600, NULL);
  g_assert_cmpstr (xml, ==,
                   "<configuration>\n"
                   "  <last-modified>1767225600</last-modified>\n"
                   "  <applicable-conditions>\n"
                   "    <applicable-condition>\n"
                   "      <name>Remote Network</name>\n"
                   "      <description>Apply milter only if connected from remote network</description>\n"
                   "    </applicable-condition>\n"
                   "    <applicable-condition>\n"
                   "      <name>S25R</name>\n"
                   "    </applicable-condition>\n"
                   "  </applicable-conditions>\n"
                   "  <milters>\n"
                   "    <milter>\n"
                   "      <name>clamav-milter</name>\n"
                   "      <enabled>true</enabled>\n"
                   "      <fallback-status>accept</fallback-status>\n"
                   "      <evaluation-mode>false</evaluation-mode>\n"
                   "      <connection-spec>unix:/run/clamav/c.ctl</connection-spec>\n"
                   "      <command>/usr/bin/systemctl</command>\n"
                   "      <command-options>start clamav-milter</command-options>\n"
                   "      <applicable-conditions>\n"
                   "        <applicable-condition>Remote Network</applicable-condition>\n"
                   "        <applicable-condition>S25R</applicable-condition>\n"
                   "      </applicable-conditions>\n"
                   "    </milter>\n"
                   "    <milter>\n"
                   "      <name>spam&lt;&amp;&gt;</name>\n"
                   "      <description>a &quot;quoted&quot; one</description>\n"
                   "      <enabled>false</enabled>\n"
                   "      <fallback-status>reject</fallback-status>\n"
                   "      <evaluation-mode>true</evaluation-mode>\n"
                   "    </milter>\n"
                   "  </milters>\n"
                   "</configuration>\n");

  /* A milter stopped by stop-child is still configured as enabled. */
  milter_manager_egg_set_enabled (clamav, FALSE);
  g_hash_table_add (stopped, (gpointer) "clamav-milter");
  g_autofree gchar *again = milter_manager_configuration_to_xml (configuration, NULL, 0, -1,
                                                                 stopped);
  g_assert_nonnull (strstr (again, "<name>clamav-milter</name>\n      <enabled>true</enabled>"));
  g_assert_null (strstr (again, "<last-modified>"));
  g_assert_null (strstr (again, "  <applicable-conditions>\n    <applicable-condition>\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/configuration-xml/empty", test_empty);
  g_test_add_func ("/manager/configuration-xml/full", test_full);
  return g_test_run ();
}

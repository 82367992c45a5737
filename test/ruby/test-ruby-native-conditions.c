/*
 * test-ruby-native-conditions - S25R and Remote Network from the bundled
 * applicable-conditions files become native engine conditions
 * (milter-manager-builtin-conditions.c) and decide what the Ruby helpers
 * decide: the host table of test/ruby/test-s25r.rb and a table of client
 * addresses, with the bundled settings and with lists of one's own; a
 * list holding a block, or a regular expression outside the syntax Ruby
 * and PCRE share, keeps the Ruby stopper.
 */
#include "config.h"

#include <glib/gstdio.h>

#include <milter/manager/milter-manager-builtin-conditions.h>
#include <milter/manager/milter-manager-configuration.h>

#include "binding/ruby/milter-manager-ruby-configuration.h"
#include "test/ruby/ruby-test-env.h"

static gchar *work_dir;

/* The conditions of a configuration that loads the two bundled files,
 * then TEXT. */
static MilterManagerConfiguration *
conditions_of (const gchar *text)
{
  g_autofree gchar *conf_dir = g_build_filename (g_getenv ("top_srcdir") ?
                                                 g_getenv ("top_srcdir") : ".",
                                                 "conf", "applicable-conditions", NULL);
  g_autofree gchar *content =
    g_strdup_printf ("load(\"%s/s25r.conf\")\nload(\"%s/remote-network.conf\")\n%s",
                     conf_dir, conf_dir, text);
  g_autofree gchar *path = g_build_filename (work_dir, "milter-manager.conf", NULL);
  g_assert_true (g_file_set_contents (path, content, -1, NULL));
  const gchar *directories[] = { work_dir, NULL };
  g_autoptr (GError) error = NULL;
  MilterManagerRubyConfiguration *ruby =
    milter_manager_ruby_configuration_load (directories, NULL, NULL, &error);
  g_assert_no_error (error);
  MilterManagerConfiguration *configuration = milter_manager_configuration_new ();
  g_assert_true (milter_manager_ruby_configuration_add_conditions (ruby, configuration, &error));
  g_assert_no_error (error);
  milter_manager_ruby_configuration_free (ruby);
  return configuration;
}

/* Ruby conditions have a batch function; native ones do not. */
static gboolean
is_native (MilterManagerApplicableCondition *condition)
{
  return milter_manager_applicable_condition_get_batch (condition) == NULL;
}

static gboolean
stop_at_connect (MilterManagerApplicableCondition *condition, const gchar *host,
                 MilterFamily family, const gchar *address)
{
  MilterManagerStopperEvent event = {
    .stage = MILTER_SERVER_STATE_CONNECT, .host = host, .family = family,
    .port = 2525, .address = address
  };
  /* The native stoppers do not look at the context. */
  return milter_manager_applicable_condition_stop (condition, NULL, &event);
}

static void
test_s25r_default_lists (void)
{
  /* test/ruby/test-s25r.rb's HOSTS: host, family, stopped? */
  static const struct {
    const gchar *host;
    MilterFamily family;
    gboolean stopped;
  } rows[] = {
    { "mail.example.com", MILTER_FAMILY_INET, TRUE },
    { "mx1.example.com", MILTER_FAMILY_INET, TRUE },
    { "example.com", MILTER_FAMILY_INET, TRUE },
    { "unknown", MILTER_FAMILY_INET, FALSE },
    { "[192.0.2.1]", MILTER_FAMILY_INET, FALSE },
    { "[]", MILTER_FAMILY_INET, TRUE },
    { "a1b2.example.com", MILTER_FAMILY_INET, FALSE },
    { "192-0-2-1.dsl.example.net", MILTER_FAMILY_INET, FALSE },
    { "host12345.example.com", MILTER_FAMILY_INET, FALSE },
    { "host1234.example.com", MILTER_FAMILY_INET, TRUE },
    { "h.1x.example.co.jp", MILTER_FAMILY_INET, FALSE },
    { "12.34.example.ne.jp", MILTER_FAMILY_INET, FALSE },
    { "12.example.com", MILTER_FAMILY_INET, TRUE },
    { "x1.a2-3.example.com", MILTER_FAMILY_INET, FALSE },
    { "x1.y2.example.co.jp", MILTER_FAMILY_INET, FALSE },
    { "x1.y2.example.com", MILTER_FAMILY_INET, TRUE },
    { "dhcp-host7.example.com", MILTER_FAMILY_INET, FALSE },
    { "dialup12.example.com", MILTER_FAMILY_INET, FALSE },
    { "ppp3.example.com", MILTER_FAMILY_INET, FALSE },
    { "ADSL3.example.com", MILTER_FAMILY_INET, FALSE },
    { "vdsl42.example.com", MILTER_FAMILY_INET, FALSE },
    { "dsl.example.com", MILTER_FAMILY_INET, TRUE },
    { "mydsl1.example.com", MILTER_FAMILY_INET, TRUE },
    { "mail-12345.google.com", MILTER_FAMILY_INET, TRUE },
    { "a12-34.smtp-out.amazonses.com", MILTER_FAMILY_INET, TRUE },
    { "o12345.sendgrid.net", MILTER_FAMILY_INET, TRUE },
    { "mail12345.mg.gitlab.com", MILTER_FAMILY_INET, TRUE },
    { "mail-12345.slack.com", MILTER_FAMILY_INET, TRUE },
    { "mail12345.obsmtp.com", MILTER_FAMILY_INET, TRUE },
    { "host12345.google.com.example.net", MILTER_FAMILY_INET, FALSE },
    { "host12345.example.com", MILTER_FAMILY_INET6, TRUE },
    { "unknown", MILTER_FAMILY_UNIX, TRUE },
    { "unknown", MILTER_FAMILY_UNKNOWN, TRUE },
  };
  g_autoptr (MilterManagerConfiguration) configuration = conditions_of ("");
  MilterManagerApplicableCondition *s25r =
    milter_manager_configuration_find_applicable_condition (configuration, "S25R");
  g_assert_nonnull (s25r);
  g_assert_true (is_native (s25r));
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    g_assert_cmpint (stop_at_connect (s25r, rows[i].host, rows[i].family, "192.0.2.1"), ==,
                     rows[i].stopped);
}

static void
test_s25r_own_lists (void)
{
  g_autoptr (MilterManagerConfiguration) configuration =
    conditions_of ("s25r.add_whitelist(/\\Adynamic-ok\\./i)\n"
                   "s25r.add_blacklist(\"static.example.com\")\n"
                   "s25r.add_blacklist(/\\.pool\\.example\\.net\\z/)\n"
                   "s25r.only_check_ipv4 = false\n");
  MilterManagerApplicableCondition *s25r =
    milter_manager_configuration_find_applicable_condition (configuration, "S25R");
  g_assert_true (is_native (s25r));
  g_assert_true (stop_at_connect (s25r, "DYNAMIC-OK.host12345.example.com", MILTER_FAMILY_INET, NULL));
  g_assert_false (stop_at_connect (s25r, "static.example.com", MILTER_FAMILY_INET, NULL));
  g_assert_false (stop_at_connect (s25r, "a.pool.example.net", MILTER_FAMILY_INET6, NULL));
  g_assert_true (stop_at_connect (s25r, "a.pool.example.net.org", MILTER_FAMILY_INET, NULL));
}

static void
test_s25r_stays_ruby (void)
{
  static const gchar *texts[] = {
    "s25r.add_whitelist { |host| host.end_with?(\".test\") }\n",
    "s25r.add_blacklist(/\\h{4}/)\n",
    "s25r.add_blacklist(/(?m)a.b/)\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++) {
    g_autoptr (MilterManagerConfiguration) configuration = conditions_of (texts[i]);
    MilterManagerApplicableCondition *s25r =
      milter_manager_configuration_find_applicable_condition (configuration, "S25R");
    g_assert_false (is_native (s25r));
    /* Remote Network is still native: each helper decides for itself. */
    g_assert_true (is_native (milter_manager_configuration_find_applicable_condition
                              (configuration, "Remote Network")));
  }
}

typedef struct {
  MilterFamily family;
  const gchar *address;
  gboolean stopped;
} AddressRow;

static void
check_addresses (MilterManagerApplicableCondition *condition, const AddressRow *rows, gsize n)
{
  g_assert_true (is_native (condition));
  for (gsize i = 0; i < n; i++) {
    if (stop_at_connect (condition, "host.example", rows[i].family, rows[i].address) !=
        rows[i].stopped)
      g_error ("%s: expected %s", rows[i].address, rows[i].stopped ? "stopped" : "applied");
  }
}

static void
test_remote_network_default (void)
{
  static const AddressRow rows[] = {
    { MILTER_FAMILY_INET, "192.0.2.1", FALSE },
    { MILTER_FAMILY_INET, "127.0.0.1", TRUE },
    { MILTER_FAMILY_INET, "10.9.8.7", TRUE },
    { MILTER_FAMILY_INET, "172.16.0.1", TRUE },
    { MILTER_FAMILY_INET, "172.31.255.255", TRUE },
    { MILTER_FAMILY_INET, "172.32.0.1", FALSE },
    { MILTER_FAMILY_INET, "192.168.3.4", TRUE },
    { MILTER_FAMILY_INET, "169.254.1.1", FALSE },
    { MILTER_FAMILY_INET6, "::1", TRUE },
    { MILTER_FAMILY_INET6, "fe80::1", TRUE },
    { MILTER_FAMILY_INET6, "febf::1", TRUE },
    { MILTER_FAMILY_INET6, "fec0::1", FALSE },
    { MILTER_FAMILY_INET6, "fc00::1", FALSE },
    { MILTER_FAMILY_INET6, "2001:db8::1", FALSE },
    { MILTER_FAMILY_INET6, "::ffff:10.0.0.1", FALSE },
    { MILTER_FAMILY_UNIX, "/run/mta.sock", TRUE },
    { MILTER_FAMILY_UNKNOWN, NULL, TRUE },
    { MILTER_FAMILY_INET, "not-an-address", TRUE },
  };
  g_autoptr (MilterManagerConfiguration) configuration = conditions_of ("");
  check_addresses (milter_manager_configuration_find_applicable_condition (configuration,
                                                                          "Remote Network"),
                   rows, G_N_ELEMENTS (rows));
}

static void
test_remote_network_lists (void)
{
  static const AddressRow rows[] = {
    { MILTER_FAMILY_INET, "192.0.2.5", TRUE },
    { MILTER_FAMILY_INET, "192.0.3.5", FALSE },
    { MILTER_FAMILY_INET, "10.1.2.3", FALSE },     /* the remote list wins */
    { MILTER_FAMILY_INET, "10.2.0.1", TRUE },
    { MILTER_FAMILY_INET, "198.51.100.7", TRUE },  /* a single address */
    { MILTER_FAMILY_INET6, "::ffff:192.0.2.9", TRUE },
    { MILTER_FAMILY_INET6, "2001:db8:1::5", TRUE },
    { MILTER_FAMILY_INET6, "2001:db9::5", FALSE },
    { MILTER_FAMILY_INET6, "fe80::2", FALSE },     /* remote list again */
  };
  g_autoptr (MilterManagerConfiguration) configuration =
    conditions_of ("remote_network.add_local_address(\"192.0.2.0/24\")\n"
                   "remote_network.add_local_address(\"198.51.100.7\")\n"
                   "remote_network.add_local_address(\"2001:db8::/32\")\n"
                   "remote_network.add_remote_address(\"10.1.0.0/16\")\n"
                   "remote_network.add_remote_address(\"fe80::2/128\")\n");
  check_addresses (milter_manager_configuration_find_applicable_condition (configuration,
                                                                          "Remote Network"),
                   rows, G_N_ELEMENTS (rows));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  milter_test_use_tree_ruby_library ();
  work_dir = g_dir_make_tmp ("milter-native-XXXXXX", NULL);
  g_assert_nonnull (work_dir);
  g_test_add_func ("/ruby/native-conditions/s25r/default-lists", test_s25r_default_lists);
  g_test_add_func ("/ruby/native-conditions/s25r/own-lists", test_s25r_own_lists);
  g_test_add_func ("/ruby/native-conditions/s25r/stays-ruby", test_s25r_stays_ruby);
  g_test_add_func ("/ruby/native-conditions/remote-network/default", test_remote_network_default);
  g_test_add_func ("/ruby/native-conditions/remote-network/lists", test_remote_network_lists);
  int status = g_test_run ();
  g_autofree gchar *path = g_build_filename (work_dir, "milter-manager.conf", NULL);
  g_remove (path);
  g_rmdir (work_dir);
  return status;
}

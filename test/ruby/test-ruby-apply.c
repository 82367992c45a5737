/*
 * test-ruby-apply - the configuration model into C objects
 * (binding/ruby/milter-manager-ruby-apply.c): one table of models in
 * GVariant text form with the value each must leave in the daemon
 * settings, the configuration or an egg, one table of refused models,
 * the log level words, and a real load through Ruby with command-line
 * style overrides (milter_manager_ruby_configuration_override).
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "binding/ruby/milter-manager-ruby-apply.h"
#include "binding/ruby/milter-manager-ruby-configuration.h"
#include "test/ruby/ruby-test-env.h"
#include "milter/manager/milter-manager-error.h"

/* One value of the applied objects as text, by its DSL name. */
static gchar *
describe (MilterManagerDaemonSettings *s, MilterManagerConfiguration *c, const gchar *key)
{
#define STR(field) return g_strdup (s->field ? s->field : "nil")
#define NUM(value) return g_strdup_printf ("%u", (guint) (value))
#define BOOL(value) return g_strdup ((value) ? "true" : "false")
  if (g_str_equal (key, "package.platform")) STR (package_platform);
  if (g_str_equal (key, "package.options")) STR (package_options);
  if (g_str_equal (key, "security.privilege_mode")) BOOL (s->privilege_mode);
  if (g_str_equal (key, "security.effective_user")) STR (effective_user);
  if (g_str_equal (key, "security.effective_group")) STR (effective_group);
  if (g_str_equal (key, "log.level"))
    return s->log_level_set ? milter_log_level_to_string (s->log_levels) : g_strdup ("default");
  if (g_str_equal (key, "log.path")) STR (log_path);
  if (g_str_equal (key, "log.use_syslog")) BOOL (s->use_syslog);
  if (g_str_equal (key, "log.syslog_facility")) STR (syslog_facility);
  if (g_str_equal (key, "manager.connection_spec")) STR (connection_spec);
  if (g_str_equal (key, "manager.unix_socket_mode")) return g_strdup_printf ("0%o", s->unix_socket_mode);
  if (g_str_equal (key, "manager.unix_socket_group")) STR (unix_socket_group);
  if (g_str_equal (key, "manager.remove_unix_socket_on_create")) BOOL (s->remove_unix_socket_on_create);
  if (g_str_equal (key, "manager.remove_unix_socket_on_close")) BOOL (s->remove_unix_socket_on_close);
  if (g_str_equal (key, "manager.daemon")) BOOL (s->daemon);
  if (g_str_equal (key, "manager.pid_file")) STR (pid_file);
  if (g_str_equal (key, "manager.maintenance_interval")) NUM (s->maintenance_interval);
  if (g_str_equal (key, "manager.suspend_time_on_unacceptable")) NUM (s->suspend_time_on_unacceptable);
  if (g_str_equal (key, "manager.max_connections")) NUM (s->max_connections);
  if (g_str_equal (key, "manager.max_file_descriptors")) NUM (s->max_file_descriptors);
  if (g_str_equal (key, "manager.custom_configuration_directory")) STR (custom_configuration_directory);
  if (g_str_equal (key, "manager.event_loop_backend")) STR (event_loop_backend);
  if (g_str_equal (key, "manager.n_workers")) NUM (s->n_workers);
  if (g_str_equal (key, "manager.max_pending_finished_sessions")) NUM (s->max_pending_finished_sessions);
  if (g_str_equal (key, "manager.fallback_status"))
    return g_strdup (milter_status_to_string (milter_manager_configuration_get_fallback_status (c)));
  if (g_str_equal (key, "manager.fallback_status_at_disconnect"))
    return g_strdup (milter_status_to_string
                     (milter_manager_configuration_get_fallback_status_at_disconnect (c)));
  if (g_str_equal (key, "manager.packet_buffer_size")) NUM (milter_manager_configuration_get_packet_buffer_size (c));
  if (g_str_equal (key, "manager.chunk_size")) NUM (milter_manager_configuration_get_chunk_size (c));
  if (g_str_equal (key, "manager.connection_check_interval"))
    NUM (milter_manager_configuration_get_connection_check_interval (c));
  if (g_str_equal (key, "controller.connection_spec")) STR (controller_connection_spec);
  if (g_str_equal (key, "controller.unix_socket_mode")) return g_strdup_printf ("0%o", s->controller_unix_socket_mode);
  if (g_str_equal (key, "controller.unix_socket_group")) STR (controller_unix_socket_group);
  if (g_str_equal (key, "controller.remove_unix_socket_on_create"))
    BOOL (s->controller_remove_unix_socket_on_create);
  if (g_str_equal (key, "controller.remove_unix_socket_on_close"))
    BOOL (s->controller_remove_unix_socket_on_close);

  /* "milters" (names in order) and "milter.ITEM" of the first egg */
  GPtrArray *eggs = milter_manager_configuration_get_eggs (c);
  if (g_str_equal (key, "milters")) {
    GString *names = g_string_new (NULL);
    for (guint i = 0; i < eggs->len; i++)
      g_string_append_printf (names, "%s%s", i ? "," : "",
                              milter_manager_egg_get_name (eggs->pdata[i]));
    return g_string_free (names, FALSE);
  }
  MilterManagerEgg *e = eggs->len ? eggs->pdata[0] : NULL;
  g_assert_nonnull (e);
#define ESTR(getter) { const gchar *v = getter (e); return g_strdup (v ? v : "nil"); }
#define EDBL(getter) return g_strdup_printf ("%.1f", getter (e))
  if (g_str_equal (key, "milter.connection_spec")) ESTR (milter_manager_egg_get_connection_spec);
  if (g_str_equal (key, "milter.description")) ESTR (milter_manager_egg_get_description);
  if (g_str_equal (key, "milter.enabled")) BOOL (milter_manager_egg_is_enabled (e));
  if (g_str_equal (key, "milter.fallback_status"))
    return g_strdup (milter_status_to_string (milter_manager_egg_get_fallback_status (e)));
  if (g_str_equal (key, "milter.evaluation_mode")) BOOL (milter_manager_egg_is_evaluation_mode (e));
  if (g_str_equal (key, "milter.applicable_conditions"))
    return g_strjoinv (",", (gchar **) milter_manager_egg_get_applicable_conditions (e));
  if (g_str_equal (key, "milter.command")) ESTR (milter_manager_egg_get_command);
  if (g_str_equal (key, "milter.command_options")) ESTR (milter_manager_egg_get_command_options);
  if (g_str_equal (key, "milter.user_name")) ESTR (milter_manager_egg_get_user_name);
  if (g_str_equal (key, "milter.connection_timeout")) EDBL (milter_manager_egg_get_connection_timeout);
  if (g_str_equal (key, "milter.writing_timeout")) EDBL (milter_manager_egg_get_writing_timeout);
  if (g_str_equal (key, "milter.reading_timeout")) EDBL (milter_manager_egg_get_reading_timeout);
  if (g_str_equal (key, "milter.end_of_message_timeout")) EDBL (milter_manager_egg_get_end_of_message_timeout);
  g_error ("unknown key %s", key);
  return NULL;
}

static MilterManagerConfiguration *
apply_text (const gchar *text, MilterManagerDaemonSettings **settings, GError **error)
{
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GVariant) model = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL,
                                                &parse_error);
  g_assert_no_error (parse_error);
  return milter_manager_ruby_apply (model, settings, error);
}

#define M(body) "{'milters': <[<{'name': <'a'>" body "}>]>}"

static void
test_items (void)
{
  static const struct {
    const gchar *model, *key, *expected;
  } cases[] = {
    /* defaults: an empty model */
    { "@a{sv} {}", "manager.unix_socket_mode", "0660" },
    { "@a{sv} {}", "log.level", "default" },
    { "@a{sv} {}", "log.use_syslog", "true" },
    { "@a{sv} {}", "log.syslog_facility", "mail" },
    { "@a{sv} {}", "manager.maintenance_interval", "10" },
    { "@a{sv} {}", "manager.suspend_time_on_unacceptable", "5" },
    { "@a{sv} {}", "manager.event_loop_backend", "glib" },
    { "@a{sv} {}", "manager.fallback_status", "accept" },
    { "@a{sv} {}", "manager.fallback_status_at_disconnect", "temporary-failure" },
    { "@a{sv} {}", "manager.chunk_size", "65535" },
    { "@a{sv} {}", "controller.remove_unix_socket_on_close", "true" },
    { "@a{sv} {}", "milters", "" },
    /* every daemon item */
    { "{'package': <{'platform': <'debian'>}>}", "package.platform", "debian" },
    { "{'package': <{'options': <'prefix=/usr'>}>}", "package.options", "prefix=/usr" },
    { "{'security': <{'privilege_mode': <true>}>}", "security.privilege_mode", "true" },
    { "{'security': <{'effective_user': <'mm'>}>}", "security.effective_user", "mm" },
    { "{'security': <{'effective_group': <'mail'>}>}", "security.effective_group", "mail" },
    { "{'log': <{'level': <'error|statistics'>}>}", "log.level", "error|statistics" },
    { "{'log': <{'level': <'none'>}>}", "log.level", "none" },
    { "{'log': <{'level': <'message|trace'>}>}", "log.level", "info|debug" },
    { "{'log': <{'level': <'default'>}>}", "log.level", "default" },
    { "{'log': <{'path': <'/tmp/x.log'>}>}", "log.path", "/tmp/x.log" },
    { "{'log': <{'path': <@mv nothing>}>}", "log.path", "nil" },
    { "{'log': <{'use_syslog': <false>}>}", "log.use_syslog", "false" },
    { "{'log': <{'syslog_facility': <'local4'>}>}", "log.syslog_facility", "local4" },
    { "{'manager': <{'connection_spec': <'unix:/tmp/s'>}>}", "manager.connection_spec", "unix:/tmp/s" },
    { "{'manager': <{'unix_socket_mode': <int64 384>}>}", "manager.unix_socket_mode", "0600" },
    { "{'manager': <{'unix_socket_group': <'mail'>}>}", "manager.unix_socket_group", "mail" },
    { "{'manager': <{'remove_unix_socket_on_create': <false>}>}",
      "manager.remove_unix_socket_on_create", "false" },
    { "{'manager': <{'remove_unix_socket_on_close': <false>}>}",
      "manager.remove_unix_socket_on_close", "false" },
    { "{'manager': <{'daemon': <true>}>}", "manager.daemon", "true" },
    { "{'manager': <{'pid_file': <'/run/mm.pid'>}>}", "manager.pid_file", "/run/mm.pid" },
    { "{'manager': <{'maintenance_interval': <int64 0>}>}", "manager.maintenance_interval", "0" },
    { "{'manager': <{'suspend_time_on_unacceptable': <int64 9>}>}",
      "manager.suspend_time_on_unacceptable", "9" },
    { "{'manager': <{'max_connections': <int64 7>}>}", "manager.max_connections", "7" },
    { "{'manager': <{'max_file_descriptors': <int64 4096>}>}", "manager.max_file_descriptors", "4096" },
    { "{'manager': <{'custom_configuration_directory': <'/var/mm'>}>}",
      "manager.custom_configuration_directory", "/var/mm" },
    { "{'manager': <{'event_loop_backend': <'libev'>}>}", "manager.event_loop_backend", "libev" },
    { "{'manager': <{'n_workers': <int64 3>}>}", "manager.n_workers", "3" },
    { "{'manager': <{'max_pending_finished_sessions': <int64 8>}>}",
      "manager.max_pending_finished_sessions", "8" },
    { "{'manager': <{'fallback_status': <'reject'>}>}", "manager.fallback_status", "reject" },
    { "{'manager': <{'fallback_status_at_disconnect': <'discard'>}>}",
      "manager.fallback_status_at_disconnect", "discard" },
    { "{'manager': <{'packet_buffer_size': <int64 4096>}>}", "manager.packet_buffer_size", "4096" },
    { "{'manager': <{'chunk_size': <int64 1024>}>}", "manager.chunk_size", "1024" },
    { "{'manager': <{'connection_check_interval': <int64 30>}>}",
      "manager.connection_check_interval", "30" },
    { "{'controller': <{'connection_spec': <'inet:10026'>}>}", "controller.connection_spec", "inet:10026" },
    { "{'controller': <{'unix_socket_mode': <int64 432>}>}", "controller.unix_socket_mode", "0660" },
    { "{'controller': <{'unix_socket_group': <'adm'>}>}", "controller.unix_socket_group", "adm" },
    { "{'controller': <{'remove_unix_socket_on_create': <false>}>}",
      "controller.remove_unix_socket_on_create", "false" },
    { "{'controller': <{'remove_unix_socket_on_close': <false>}>}",
      "controller.remove_unix_socket_on_close", "false" },
    /* every define_milter item */
    { M (""), "milter.connection_spec", "nil" },
    { M (", 'connection_spec': <'inet:2929@[127.0.0.1]'>"), "milter.connection_spec",
      "inet:2929@127.0.0.1" },
    { M (", 'description': <'spam'>"), "milter.description", "spam" },
    { M (", 'enabled': <false>"), "milter.enabled", "false" },
    { M (", 'fallback_status': <'temporary-failure'>"), "milter.fallback_status", "temporary-failure" },
    { M (", 'evaluation_mode': <true>"), "milter.evaluation_mode", "true" },
    { M (", 'applicable_conditions': <[<'S25R'>, <'Trust'>]>"), "milter.applicable_conditions",
      "S25R,Trust" },
    { M (", 'command': <'/usr/sbin/m'>"), "milter.command", "/usr/sbin/m" },
    { M (", 'command_options': <'-f -p x'>"), "milter.command_options", "-f -p x" },
    { M (", 'user_name': <'nobody'>"), "milter.user_name", "nobody" },
    { M (", 'connection_timeout': <12.5>"), "milter.connection_timeout", "12.5" },
    { M (", 'writing_timeout': <3.0>"), "milter.writing_timeout", "3.0" },
    { M (", 'reading_timeout': <int64 4>"), "milter.reading_timeout", "4.0" },
    { M (", 'end_of_message_timeout': <200.0>"), "milter.end_of_message_timeout", "200.0" },
    { M (""), "milter.writing_timeout", "7.0" },
    /* order is list order */
    { "{'milters': <[<{'name': <'z'>}>, <{'name': <'a'>}>, <{'name': <'m'>}>]>}", "milters", "z,a,m" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (MilterManagerDaemonSettings) settings = NULL;
    g_autoptr (MilterManagerConfiguration) configuration =
      apply_text (cases[i].model, &settings, &error);
    g_assert_no_error (error);
    g_autofree gchar *value = describe (settings, configuration, cases[i].key);
    if (g_strcmp0 (value, cases[i].expected) != 0)
      g_test_fail_printf ("case %" G_GSIZE_FORMAT " %s: %s, expected %s", i, cases[i].key,
                          value, cases[i].expected);
  }
}

static void
test_refused (void)
{
  static const struct {
    const gchar *model, *message;
    gboolean setter;       /* refused by a C setter: MILTER_MANAGER_ERROR */
  } cases[] = {
    { "{'manager': <{'n_workers': <'3'>}>}",
      "manager.n_workers should be an integer 0..4294967295 but was '3'", FALSE },
    { "{'manager': <{'n_workers': <int64 -1>}>}",
      "manager.n_workers should be an integer 0..4294967295 but was -1", FALSE },
    { "{'manager': <{'daemon': <'yes'>}>}", "manager.daemon should be true or false but was 'yes'", FALSE },
    { "{'log': <{'path': <int64 1>}>}", "log.path should be a string or nil but was 1", FALSE },
    { "{'log': <{'level': <'loud'>}>}", "log.level: ", FALSE },
    { "{'manager': <{'fallback_status': <'maybe'>}>}",
      "manager.fallback_status should be a status but was maybe", FALSE },
    { "{'manager': <{'fallback_status': <'continue'>}>}", "manager.fallback_status: ", TRUE },
    { "{'manager': <{'chunk_size': <int64 70000>}>}", "manager.chunk_size: ", TRUE },
    { "{'milters': <[<{'description': <'x'>}>]>}", "milter.name is missing", FALSE },
    { M (", 'connection_spec': <'nowhere:1'>"), "milter[a].connection_spec: ", TRUE },
    { M (", 'reading_timeout': <-1.0>"), "milter[a].reading_timeout: ", TRUE },
    { M (", 'reading_timeout': <'7'>"), "milter[a].reading_timeout should be a number", FALSE },
    { M (", 'fallback_status': <'skip'>"), "milter[a].fallback_status: ", TRUE },
    { M (", 'enabled': <int64 1>"), "milter[a].enabled should be true or false", FALSE },
    { M (", 'applicable_conditions': <[<int64 1>]>"),
      "milter.applicable_conditions should be an array of names", FALSE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (MilterManagerDaemonSettings) settings = NULL;
    g_autoptr (MilterManagerConfiguration) configuration =
      apply_text (cases[i].model, &settings, &error);
    g_assert_null (configuration);
    g_assert_null (settings);
    g_assert_nonnull (error);
    if (cases[i].setter)
      g_assert_true (error->domain == MILTER_MANAGER_ERROR);
    else if (!g_str_has_prefix (cases[i].message, "log.level"))
      g_assert_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_CONFIGURATION);
    if (!g_str_has_prefix (error->message, cases[i].message))
      g_test_fail_printf ("case %" G_GSIZE_FORMAT ": '%s' does not start with '%s'", i,
                          error->message, cases[i].message);
  }
}

static void
test_log_levels (void)
{
  static const struct {
    const gchar *text;
    MilterLogLevelFlags expected;
    gboolean valid;
  } cases[] = {
    { "error", MILTER_LOG_LEVEL_ERROR, TRUE },
    { "critical|error|warning|message|statistics",
      MILTER_LOG_LEVEL_DEFAULT | MILTER_LOG_LEVEL_INFO | MILTER_LOG_LEVEL_STATISTICS, TRUE },
    { "trace", MILTER_LOG_LEVEL_DEBUG, TRUE },
    { "none", 0, TRUE },
    { "all", MILTER_LOG_LEVEL_ALL, TRUE },
    { "error|bogus", 0, FALSE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    MilterLogLevelFlags levels = 0;
    g_autoptr (GError) error = NULL;
    gboolean valid = milter_manager_ruby_apply_log_levels (cases[i].text, &levels, &error);
    g_assert_cmpint (valid, ==, cases[i].valid);
    if (valid)
      g_assert_cmphex (levels, ==, cases[i].expected);
  }
}

/* The whole chain: files -> Ruby -> model -> objects. */
static void
test_loaded (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("milter-apply-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "milter-manager.conf", NULL);
  g_assert_true (g_file_set_contents (path,
                                      "manager.connection_spec = \"unix:/tmp/mm.sock\"\n"
                                      "manager.fallback_status = \"reject\"\n"
                                      "log.level = \"error|message\"\n"
                                      "define_milter(\"second\") do |milter|\n"
                                      "  milter.connection_spec = \"inet:2000@localhost\"\n"
                                      "end\n"
                                      "define_milter(\"first\") do |milter|\n"
                                      "  milter.connection_spec = \"inet:2001@[127.0.0.1]\"\n"
                                      "  milter.reading_timeout = 3\n"
                                      "  milter.command_options = [\"-x\", \"a b\"]\n"
                                      "end\n", -1, NULL));
  const gchar *load_path[] = { dir, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterManagerRubyConfiguration) ruby =
    milter_manager_ruby_configuration_load (load_path, NULL, NULL, &error);
  g_assert_no_error (error);

  /* The command line's kind of values, over the file's. */
  g_autoptr (GVariant) overrides =
    g_variant_parse (G_VARIANT_TYPE_VARDICT,
                     "{'manager.n_workers': <int64 2>, "
                     "'manager.daemon': <true>, "
                     "'log.path': <@mv nothing>, "
                     "'security.effective_user': <'nobody'>}",
                     NULL, NULL, NULL);
  g_assert_true (milter_manager_ruby_configuration_override (ruby, overrides, &error));
  g_assert_no_error (error);
  g_autofree gchar *dump = milter_manager_ruby_configuration_dump (ruby, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (dump, "# default\nmanager.n_workers = 2\n"));
  g_assert_nonnull (strstr (dump, "# default\nsecurity.effective_user = \"nobody\"\n"));

  static const gchar *const refused[][2] = {
    { "{'manager.n_workers': <int64 1001>}", "manager.n_workers should be" },
    { "{'manager.no_such_item': <int64 1>}", "unknown item manager.no_such_item" },
    { "{'nowhere.n_workers': <int64 1>}", "unknown section in nowhere.n_workers" },
    { "{'manager.connection_spec': <'bogus'>}", "manager.connection_spec should be" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++) {
    g_autoptr (GError) override_error = NULL;
    g_autoptr (GVariant) bad = g_variant_parse (G_VARIANT_TYPE_VARDICT, refused[i][0], NULL,
                                                NULL, NULL);
    g_assert_false (milter_manager_ruby_configuration_override (ruby, bad, &override_error));
    g_assert_error (override_error, MILTER_MANAGER_RUBY_ERROR,
                    MILTER_MANAGER_RUBY_ERROR_CONFIGURATION);
    g_assert_true (g_str_has_prefix (override_error->message, refused[i][1]));
  }

  g_autoptr (GVariant) model = milter_manager_ruby_configuration_to_variant (ruby, &error);
  g_assert_no_error (error);
  g_autoptr (MilterManagerDaemonSettings) settings = NULL;
  g_autoptr (MilterManagerConfiguration) configuration =
    milter_manager_ruby_apply (model, &settings, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (settings->connection_spec, ==, "unix:/tmp/mm.sock");
  g_assert_cmpuint (settings->n_workers, ==, 2);
  g_assert_true (settings->daemon);
  g_assert_cmpstr (settings->effective_user, ==, "nobody");
  g_assert_true (settings->log_level_set);
  g_assert_cmphex (settings->log_levels, ==, MILTER_LOG_LEVEL_ERROR | MILTER_LOG_LEVEL_INFO);
  g_assert_cmpint (milter_manager_configuration_get_fallback_status (configuration), ==,
                   MILTER_STATUS_REJECT);
  GPtrArray *eggs = milter_manager_configuration_get_eggs (configuration);
  g_assert_cmpuint (eggs->len, ==, 2);
  g_assert_cmpstr (milter_manager_egg_get_name (eggs->pdata[0]), ==, "second");
  MilterManagerEgg *first = eggs->pdata[1];
  g_assert_cmpstr (milter_manager_egg_get_name (first), ==, "first");
  g_assert_cmpfloat (milter_manager_egg_get_reading_timeout (first), ==, 3.0);
  g_assert_cmpstr (milter_manager_egg_get_command_options (first), ==, "-x a\\ b");
  g_assert_nonnull (milter_manager_egg_get_connection_spec (first));

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  milter_test_use_tree_ruby_library ();

  g_test_add_func ("/ruby/apply/items", test_items);
  g_test_add_func ("/ruby/apply/refused", test_refused);
  g_test_add_func ("/ruby/apply/log-levels", test_log_levels);
  g_test_add_func ("/ruby/apply/loaded", test_loaded);
  return g_test_run ();
}

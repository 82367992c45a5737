/*
 * test-manager-launcher - the daemon's side of the launcher pipes: the
 * rules (launch decision with hold-off, probe schedule, command line)
 * as tables, and the catalogued rows of a request that cannot be
 * written ([children][error][start-child][write] and [flush])
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-egg.h>
#include <milter/manager/milter-manager-launcher.h>
#include <test/lib/milter-test-log.h>

static void
test_decide (void)
{
  static const struct {
    MilterManagerLaunchState state;
    gdouble since_last;
    gboolean last_failed;
    MilterManagerLaunchAction expected;
  } cases[] = {
    { MILTER_MANAGER_LAUNCH_STATE_IDLE, -1, FALSE, MILTER_MANAGER_LAUNCH_ACTION_SEND },
    { MILTER_MANAGER_LAUNCH_STATE_IDLE, 0, FALSE, MILTER_MANAGER_LAUNCH_ACTION_PROBE },
    { MILTER_MANAGER_LAUNCH_STATE_IDLE, 29.9, FALSE, MILTER_MANAGER_LAUNCH_ACTION_PROBE },
    { MILTER_MANAGER_LAUNCH_STATE_IDLE, 29.9, TRUE, MILTER_MANAGER_LAUNCH_ACTION_REFUSE },
    { MILTER_MANAGER_LAUNCH_STATE_IDLE, 30, FALSE, MILTER_MANAGER_LAUNCH_ACTION_SEND },
    { MILTER_MANAGER_LAUNCH_STATE_IDLE, 30, TRUE, MILTER_MANAGER_LAUNCH_ACTION_SEND },
    { MILTER_MANAGER_LAUNCH_STATE_REQUESTED, -1, FALSE, MILTER_MANAGER_LAUNCH_ACTION_WAIT },
    { MILTER_MANAGER_LAUNCH_STATE_REQUESTED, 100, TRUE, MILTER_MANAGER_LAUNCH_ACTION_WAIT },
    { MILTER_MANAGER_LAUNCH_STATE_PROBING, 1, FALSE, MILTER_MANAGER_LAUNCH_ACTION_WAIT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_manager_launcher_decide (cases[i].state, cases[i].since_last,
                                                     30.0, cases[i].last_failed),
                     ==, cases[i].expected);
}

static void
test_probe_delay (void)
{
  static const gdouble cases[][2] = {
    { 0, 0.05 }, { -1, 0.05 }, { 0.05, 0.1 }, { 0.2, 0.4 }, { 0.4, 0.5 }, { 0.5, 0.5 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpfloat_with_epsilon (milter_manager_launcher_next_probe_delay (cases[i][0]),
                                    cases[i][1], 1e-9);
}

static void
test_command_line (void)
{
  static const gchar *cases[][3] = {
    { "/etc/init.d/clamav-milter", NULL, "/etc/init.d/clamav-milter" },
    { "/etc/init.d/clamav-milter", "", "/etc/init.d/clamav-milter" },
    { "/etc/init.d/clamav-milter", "start", "/etc/init.d/clamav-milter start" },
    { "systemctl", "start 'a b'", "systemctl start 'a b'" },
    { NULL, "start", NULL },
    { "", "start", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *line = milter_manager_launcher_command_line (cases[i][0], cases[i][1]);

    g_assert_cmpstr (line, ==, cases[i][2]);
  }
}

static void
never_called (gboolean ready, const gchar *message, gpointer user_data)
{
  (void) ready;
  (void) message;
  (void) user_data;
  g_assert_not_reached ();
}

static MilterManagerEgg *
egg_with_command (const gchar *name, const gchar *options)
{
  MilterManagerEgg *egg = milter_manager_egg_new (name);

  g_assert_true (milter_manager_egg_set_connection_spec (egg, "unix:/nonexistent/x.sock", NULL));
  milter_manager_egg_set_command (egg, "/bin/true");
  milter_manager_egg_set_command_options (egg, options);
  return egg;
}

typedef struct {
  MilterEventLoop *loop;
  MilterManagerLauncher *launcher;
  gint command_read;
  gint reply_write;
  MilterTestLogCapture *capture;
} Fixture;

static void
fixture_setup (Fixture *fixture, gconstpointer data)
{
  gint command[2], reply[2];

  (void) data;
  fixture->capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  fixture->loop = milter_event_loop_new_by_name ("glib", NULL);
  g_assert_cmpint (pipe (command), ==, 0);
  g_assert_cmpint (pipe (reply), ==, 0);
  fixture->command_read = command[0];
  fixture->reply_write = reply[1];
  fixture->launcher = milter_manager_launcher_new (command[1], reply[0]);
}

static void
fixture_teardown (Fixture *fixture, gconstpointer data)
{
  (void) data;
  g_object_unref (fixture->launcher);
  if (fixture->command_read >= 0)
    close (fixture->command_read);
  close (fixture->reply_write);
  g_object_unref (fixture->loop);
  milter_test_log_capture_stop (fixture->capture);
}

static void
test_not_attached (Fixture *fixture, gconstpointer data)
{
  g_autoptr (MilterManagerEgg) egg = egg_with_command ("a", NULL);

  (void) data;
  g_assert_false (milter_manager_launcher_is_available (fixture->launcher));
  g_assert_cmpuint (milter_manager_launcher_launch (fixture->launcher, egg, 1, 1.0,
                                                    never_called, NULL), ==, 0);
}

/* Nobody reads the command pipe any more: the flush fails, and a
 * later request finds the writer failed. */
static void
test_send_errors (Fixture *fixture, gconstpointer data)
{
  g_autoptr (MilterManagerEgg) first = egg_with_command ("clamav", "--first");
  g_autoptr (MilterManagerEgg) second = egg_with_command ("spamd", "--second");

  (void) data;
  milter_manager_launcher_attach (fixture->launcher, fixture->loop);
  g_assert_true (milter_manager_launcher_is_available (fixture->launcher));
  close (fixture->command_read);
  fixture->command_read = -1;
  g_assert_cmpuint (milter_manager_launcher_launch (fixture->launcher, first, 3, 1.0,
                                                    never_called, NULL), ==, 0);
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_ERROR, 3,
                             "[children][error][start-child][flush] clamav: ");
  g_assert_cmpuint (milter_manager_launcher_launch (fixture->launcher, second, 4, 1.0,
                                                    never_called, NULL), ==, 0);
  milter_test_assert_logged (fixture->capture, MILTER_LOG_LEVEL_ERROR, 4,
                             "[children][error][start-child][write] spamd: ");
  g_assert_cmpuint (milter_manager_launcher_get_n_requests (fixture->launcher), ==, 0);
}

/* End of file on the reply pipe: launching is off, said once. */
static void
test_launcher_gone (Fixture *fixture, gconstpointer data)
{
  g_autoptr (MilterManagerEgg) egg = egg_with_command ("spamd", NULL);

  (void) data;
  milter_manager_launcher_attach (fixture->launcher, fixture->loop);
  close (fixture->reply_write);
  fixture->reply_write = open ("/dev/null", O_WRONLY);
  for (gint i = 0; i < 100 && milter_manager_launcher_is_available (fixture->launcher); i++)
    milter_event_loop_iterate (fixture->loop, TRUE);
  g_assert_false (milter_manager_launcher_is_available (fixture->launcher));
  g_assert_cmpuint (milter_test_log_capture_count (fixture->capture, MILTER_LOG_LEVEL_ERROR,
                                                   "[manager][launcher][exited]"), ==, 1);
  g_assert_cmpuint (milter_manager_launcher_launch (fixture->launcher, egg, 1, 1.0,
                                                    never_called, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/launcher/decide", test_decide);
  g_test_add_func ("/manager/launcher/probe-delay", test_probe_delay);
  g_test_add_func ("/manager/launcher/command-line", test_command_line);
  g_test_add ("/manager/launcher/not-attached", Fixture, NULL, fixture_setup,
              test_not_attached, fixture_teardown);
  g_test_add ("/manager/launcher/send-errors", Fixture, NULL, fixture_setup,
              test_send_errors, fixture_teardown);
  g_test_add ("/manager/launcher/launcher-gone", Fixture, NULL, fixture_setup,
              test_launcher_gone, fixture_teardown);
  return g_test_run ();
}

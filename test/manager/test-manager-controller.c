/*
 * test-manager-controller - the controller socket on both event-loop
 * backends: unix and inet listening (mode, stale socket, removal on
 * close), several commands per connection answered in order in one
 * write, several clients at once, a malformed packet (error reply, then
 * closed; the others unaffected), and the [controller][error]... rows:
 * listen, unix, accept, watch, write (one per reply word).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-socket.h>
#include <milter/manager/milter-manager-controller.h>
#include "test/lib/milter-test-log.h"
#include "test/lib/milter-test-net.h"

typedef struct {
  MilterEventLoop *loop;
  MilterManagerController *controller;
  gchar *directory;
  gchar *path;
  gchar *spec;
  guint n_handled;
} Fixture;

/* The handler: each command's own reply word, naming what it got. */
static MilterManagerControlWord
handle (MilterManagerControlWord command, const guint8 *payload, gsize size, GString *reply,
        gpointer user_data)
{
  Fixture *fixture = user_data;
  fixture->n_handled++;
  g_string_append_printf (reply, "%s:", milter_manager_control_word_to_string (command));
  g_string_append_len (reply, (const gchar *) payload, (gssize) size);
  switch (command) {
  case MILTER_MANAGER_CONTROL_RELOAD:
    g_string_truncate (reply, 0);
    return MILTER_MANAGER_CONTROL_REPLY_SUCCESS;
  case MILTER_MANAGER_CONTROL_GET_CONFIGURATION:
    return MILTER_MANAGER_CONTROL_REPLY_CONFIGURATION;
  case MILTER_MANAGER_CONTROL_GET_STATUS:
    return MILTER_MANAGER_CONTROL_REPLY_STATUS;
  default:
    return MILTER_MANAGER_CONTROL_REPLY_ERROR;
  }
}

static void
setup (Fixture *fixture, gconstpointer data)
{
  fixture->loop = milter_event_loop_new_by_name (data, NULL);
  g_assert_nonnull (fixture->loop);
  fixture->directory = g_dir_make_tmp ("test-controller-XXXXXX", NULL);
  fixture->path = g_build_filename (fixture->directory, "ctl.sock", NULL);
  fixture->spec = g_strdup_printf ("unix:%s", fixture->path);
  fixture->controller = milter_manager_controller_new (fixture->loop, handle, fixture);
  fixture->n_handled = 0;
}

static void
teardown (Fixture *fixture, gconstpointer data)
{
  (void) data;
  milter_manager_controller_free (fixture->controller);
  g_unlink (fixture->path);
  g_rmdir (fixture->directory);
  g_free (fixture->path);
  g_free (fixture->spec);
  g_free (fixture->directory);
  g_object_unref (fixture->loop);
}

static gboolean
listen_on (Fixture *fixture, const gchar *spec, guint mode, gboolean remove_on_close,
           GError **error)
{
  MilterManagerControllerSocket socket = {
    .connection_spec = spec, .unix_socket_mode = mode, .unix_socket_group = NULL,
    .remove_unix_socket_on_create = TRUE, .remove_unix_socket_on_close = remove_on_close,
  };
  return milter_manager_controller_listen (fixture->controller, &socket, error);
}

static gint
connect_to (const gchar *spec_text)
{
  g_autoptr (MilterConnectionSpec) spec = milter_connection_spec_parse (spec_text, NULL);
  gint fd = milter_socket_connect (spec, NULL);
  g_assert_cmpint (fd, >=, 0);
  return fd;
}

static void
send_all (gint fd, const guint8 *data, gsize size)
{
  while (size > 0) {
    gssize n = send (fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINPROGRESS)) {
      g_usleep (1000);
      continue;
    }
    g_assert_cmpint (n, >, 0);
    data += n;
    size -= (gsize) n;
  }
}

static void
send_command (gint fd, MilterManagerControlWord word, const gchar *payload)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  milter_manager_control_encode_command (out, word, (const guint8 *) payload,
                                         payload ? strlen (payload) : 0);
  send_all (fd, out->data, out->len);
}

typedef struct {
  GPtrArray *replies;     /* "word:payload" */
} Replies;

static gboolean
collect (MilterManagerControlWord word, const guint8 *payload, gsize size, gpointer user_data,
         GError **error)
{
  Replies *replies = user_data;
  (void) error;
  g_ptr_array_add (replies->replies,
                   g_strdup_printf ("%s=%.*s", milter_manager_control_word_to_string (word),
                                    (gint) size, (const gchar *) payload));
  return TRUE;
}

/* Runs the loop until fd has given n replies (eof: and then end of
 * input); bounded. Returns the replies. */
static GPtrArray *
read_replies (Fixture *fixture, gint fd, guint n, gboolean eof)
{
  g_autoptr (MilterManagerControlDecoder) decoder =
    milter_manager_control_decoder_new (MILTER_MANAGER_CONTROL_DECODE_REPLIES, 0);
  Replies replies = { g_ptr_array_new_with_free_func (g_free) };
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  gboolean closed = FALSE;

  while (g_get_monotonic_time () < deadline && (replies.replies->len < n || (eof && !closed))) {
    guint8 buffer[4096];
    milter_event_loop_iterate (fixture->loop, FALSE);
    gssize size = recv (fd, buffer, sizeof (buffer), MSG_DONTWAIT);
    if (size == 0) {
      closed = TRUE;
      break;
    }
    if (size < 0) {
      if (errno != EAGAIN && errno != ENOTCONN)
        g_error ("recv: %s", g_strerror (errno));
      g_usleep (1000);
      continue;
    }
    g_assert_true (milter_manager_control_decoder_feed (decoder, buffer, (gsize) size, collect,
                                                        &replies, NULL));
  }
  g_assert_cmpuint (replies.replies->len, ==, n);
  if (eof)
    g_assert_true (closed);
  return replies.replies;
}

static void
iterate_for (Fixture *fixture, gdouble seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end) {
    if (!milter_event_loop_iterate (fixture->loop, FALSE))
      g_usleep (1000);
  }
}

/* Runs the loop until a row with tags is captured (bounded). */
static void
wait_logged (Fixture *fixture, MilterTestLogCapture *capture, const gchar *tags)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ERROR, tags) == 0 &&
         g_get_monotonic_time () < deadline)
    iterate_for (fixture, 0.01);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0, tags);
}

/* One command on a new connection: its reply is expected. */
static void
expect_reply (Fixture *fixture, const gchar *spec, MilterManagerControlWord command,
              const gchar *expected)
{
  gint fd = connect_to (spec);
  send_command (fd, command, NULL);
  g_autoptr (GPtrArray) replies = read_replies (fixture, fd, 1, FALSE);
  g_assert_cmpstr (replies->pdata[0], ==, expected);
  close (fd);
}


static void
test_unix_socket (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  GStatBuf info;

  (void) data;
  /* A stale socket (nobody listens) is replaced. */
  gint stale = socket (AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  g_strlcpy (address.sun_path, fixture->path, sizeof (address.sun_path));
  g_assert_cmpint (bind (stale, (struct sockaddr *) &address, sizeof (address)), ==, 0);
  close (stale);
  g_assert_true (listen_on (fixture, fixture->spec, 0640, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (fixture->path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0640);
  milter_manager_controller_close (fixture->controller);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));

  /* remove_unix_socket_on_close = false: left there. */
  g_assert_true (listen_on (fixture, fixture->spec, 0600, FALSE, &error));
  milter_manager_controller_close (fixture->controller);
  g_assert_true (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

/* Three commands in one write: three replies, in order, in one read;
 * then a second batch on the same connection. */
static void
test_several_commands (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  (void) data;
  g_assert_true (listen_on (fixture, fixture->spec, 0600, TRUE, NULL));
  gint fd = connect_to (fixture->spec);
  milter_manager_control_encode_command (out, MILTER_MANAGER_CONTROL_GET_STATUS, NULL, 0);
  milter_manager_control_encode_command (out, MILTER_MANAGER_CONTROL_STOP_CHILD,
                                         (const guint8 *) "x", 1);
  milter_manager_control_encode_command (out, MILTER_MANAGER_CONTROL_RELOAD, NULL, 0);
  send_all (fd, out->data, out->len);
  g_autoptr (GPtrArray) replies = read_replies (fixture, fd, 3, FALSE);
  g_assert_cmpstr (replies->pdata[0], ==, "status=get-status:");
  g_assert_cmpstr (replies->pdata[1], ==, "error=stop-child:x");
  g_assert_cmpstr (replies->pdata[2], ==, "success=");
  send_command (fd, MILTER_MANAGER_CONTROL_GET_CONFIGURATION, NULL);
  g_autoptr (GPtrArray) more = read_replies (fixture, fd, 1, FALSE);
  g_assert_cmpstr (more->pdata[0], ==, "configuration=get-configuration:");
  /* The client closes: the connection is freed. */
  close (fd);
  iterate_for (fixture, 0.1);
  g_assert_cmpuint (milter_manager_controller_get_n_connections (fixture->controller), ==, 0);
}

/* Two clients, the second answered while the first is half-way
 * through a packet. */
static void
test_several_clients (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree gchar *spec = milter_test_free_inet_spec ();

  (void) data;
  g_assert_true (listen_on (fixture, spec, 0, TRUE, NULL));
  gint first = connect_to (spec);
  gint second = connect_to (spec);
  milter_manager_control_encode_command (out, MILTER_MANAGER_CONTROL_SET_CONFIGURATION,
                                         (const guint8 *) "<configuration/>", 16);
  send_all (first, out->data, 10);
  iterate_for (fixture, 0.05);
  send_command (second, MILTER_MANAGER_CONTROL_GET_STATUS, NULL);
  g_autoptr (GPtrArray) second_replies = read_replies (fixture, second, 1, FALSE);
  g_assert_cmpstr (second_replies->pdata[0], ==, "status=get-status:");
  send_all (first, out->data + 10, out->len - 10);
  g_autoptr (GPtrArray) first_replies = read_replies (fixture, first, 1, FALSE);
  g_assert_cmpstr (first_replies->pdata[0], ==, "error=set-configuration:<configuration/>");
  g_assert_cmpuint (milter_manager_controller_get_n_connections (fixture->controller), ==, 2);
  close (first);
  close (second);
}

/* inet6: served like the others (skipped without IPv6 loopback). */
static void
test_inet6 (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *spec = g_strdup_printf ("inet6:%u@[::1]", milter_test_free_port ());

  (void) data;
  if (!listen_on (fixture, spec, 0, TRUE, &error)) {
    g_test_skip (error->message);
    return;
  }
  expect_reply (fixture, spec, MILTER_MANAGER_CONTROL_RELOAD, "success=");
}

/* §7 #7: a malformed packet after a good one: the good one's reply, an
 * error naming the problem, then the connection is closed. The next
 * client is served. */
static void
test_malformed (Fixture *fixture, gconstpointer data)
{
  static const guint8 junk[] = { 0, 0, 0, 5, 'j', 'u', 'n', 'k', 0 };

  (void) data;
  g_assert_true (listen_on (fixture, fixture->spec, 0600, TRUE, NULL));
  gint fd = connect_to (fixture->spec);
  send_command (fd, MILTER_MANAGER_CONTROL_GET_STATUS, NULL);
  send_all (fd, junk, sizeof (junk));
  send_command (fd, MILTER_MANAGER_CONTROL_RELOAD, NULL);
  g_autoptr (GPtrArray) replies = read_replies (fixture, fd, 2, TRUE);
  g_assert_cmpstr (replies->pdata[0], ==, "status=get-status:");
  g_assert_cmpstr (replies->pdata[1], ==, "error=unexpected command was received: junk");
  g_assert_cmpuint (fixture->n_handled, ==, 1);
  close (fd);

  static const guint8 no_nul[] = { 0, 0, 0, 6, 'r', 'e', 'l', 'o', 'a', 'd' };
  fd = connect_to (fixture->spec);
  send_all (fd, no_nul, sizeof (no_nul));
  g_autoptr (GPtrArray) again = read_replies (fixture, fd, 1, TRUE);
  g_assert_cmpstr (again->pdata[0], ==, "error=control command isn't terminated by NULL");
  close (fd);

  expect_reply (fixture, fixture->spec, MILTER_MANAGER_CONTROL_RELOAD, "success=");
}

/* The client is gone when the reply is written: the row of that reply. */
static void
test_write_errors (Fixture *fixture, gconstpointer data)
{
  static const struct {
    MilterManagerControlWord command;
    const gchar *payload;
    const gchar *tags;
  } cases[] = {
    { MILTER_MANAGER_CONTROL_RELOAD, NULL, "[controller][error][write][success]" },
    { MILTER_MANAGER_CONTROL_STOP_CHILD, "x", "[controller][error][write][error]" },
    { MILTER_MANAGER_CONTROL_GET_CONFIGURATION, NULL,
      "[controller][error][write][configuration]" },
    { MILTER_MANAGER_CONTROL_GET_STATUS, NULL, "[controller][error][write][status]" },
  };

  (void) data;
  g_assert_true (listen_on (fixture, fixture->spec, 0600, TRUE, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
    gint fd = connect_to (fixture->spec);
    send_command (fd, cases[i].command, cases[i].payload);
    close (fd);
    wait_logged (fixture, capture, cases[i].tags);
    iterate_for (fixture, 0.02);
    g_assert_cmpuint (milter_manager_controller_get_n_connections (fixture->controller), ==, 0);
  }
}

static void
test_listen_errors (Fixture *fixture, gconstpointer data)
{
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  g_autoptr (GError) error = NULL;

  (void) data;
  g_assert_false (listen_on (fixture, "unix:/nonexistent-directory/ctl.sock", 0600, TRUE,
                             &error));
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_FAILED);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0, "[controller][error][listen]");
  g_clear_error (&error);

  /* A TCP port in use. */
  g_autofree gchar *spec = milter_test_free_inet_spec ();
  g_autoptr (MilterConnectionSpec) parsed = milter_connection_spec_parse (spec, NULL);
  gint busy = milter_socket_listen (parsed, 1, NULL);
  g_assert_cmpint (busy, >=, 0);
  milter_test_log_capture_clear (capture);
  g_assert_false (listen_on (fixture, spec, 0, TRUE, &error));
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0, "[controller][error][listen]");
  close (busy);
  g_clear_error (&error);

  /* Not a socket at the path: refused, left alone. */
  g_assert_true (g_file_set_contents (fixture->path, "keep", -1, NULL));
  milter_test_log_capture_clear (capture);
  g_assert_false (listen_on (fixture, fixture->spec, 0600, TRUE, &error));
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_NOT_SOCKET);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0, "[controller][error][unix]");
  g_assert_true (g_file_test (fixture->path, G_FILE_TEST_IS_REGULAR));
  g_unlink (fixture->path);
  g_clear_error (&error);

  /* A group that does not exist: refused, the socket file removed. */
  MilterManagerControllerSocket socket = {
    .connection_spec = fixture->spec, .unix_socket_mode = 0600,
    .unix_socket_group = "no-such-group-milter-test",
    .remove_unix_socket_on_create = TRUE, .remove_unix_socket_on_close = FALSE,
  };
  milter_test_log_capture_clear (capture);
  g_assert_false (milter_manager_controller_listen (fixture->controller, &socket, &error));
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0, "[controller][error][unix]");
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (milter_manager_controller_get_listen_fd (fixture->controller), ==, -1);
}

/* accept(2) out of descriptors: the row, a pause (one row, no spin),
 * then connections are served again. */
static void
test_accept_error (Fixture *fixture, gconstpointer data)
{
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  struct rlimit saved, limited;

  (void) data;
  g_assert_true (listen_on (fixture, fixture->spec, 0600, TRUE, NULL));
  gint fd = connect_to (fixture->spec);
  send_command (fd, MILTER_MANAGER_CONTROL_GET_STATUS, NULL);
  /* The lowest free descriptor: with the limit there, none is left. */
  gint lowest = dup (0);
  close (lowest);
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  limited = saved;
  limited.rlim_cur = (rlim_t) lowest;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limited), ==, 0);
  wait_logged (fixture, capture, "[controller][error][accept]");
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  g_assert_cmpuint (milter_test_log_capture_count (capture, MILTER_LOG_LEVEL_ERROR,
                                                   "[controller][error][accept]"), ==, 1);
  /* The listener stays: a new client is served after the pause. (The
   * one that met the failure may have been dropped: under valgrind,
   * which only simulates the limit, accept(2) took it first.) */
  expect_reply (fixture, fixture->spec, MILTER_MANAGER_CONTROL_GET_STATUS,
                "status=get-status:");
  close (fd);
}

/* The listening socket hung up (shut down under it): the row, and the
 * listener is dropped. */
static void
test_watch_error (Fixture *fixture, gconstpointer data)
{
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  g_autofree gchar *spec = milter_test_free_inet_spec ();

  (void) data;
  g_assert_true (listen_on (fixture, spec, 0, TRUE, NULL));
  shutdown (milter_manager_controller_get_listen_fd (fixture->controller), SHUT_RDWR);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (milter_manager_controller_get_listen_fd (fixture->controller) >= 0 &&
         g_get_monotonic_time () < deadline)
    iterate_for (fixture, 0.01);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_ERROR, 0, "[controller][error][watch]");
  g_assert_cmpint (milter_manager_controller_get_listen_fd (fixture->controller), ==, -1);
}

static void
add (const gchar *name, void (*test) (Fixture *, gconstpointer))
{
  static const gchar *const backends[] = { "glib", "libev" };
  for (guint i = 0; i < G_N_ELEMENTS (backends); i++) {
    g_autofree gchar *path = g_strdup_printf ("/manager/controller/%s/%s", backends[i], name);
    g_test_add (path, Fixture, backends[i], setup, test, teardown);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  add ("unix-socket", test_unix_socket);
  add ("several-commands", test_several_commands);
  add ("several-clients", test_several_clients);
  add ("inet6", test_inet6);
  add ("malformed", test_malformed);
  add ("write-errors", test_write_errors);
  add ("listen-errors", test_listen_errors);
  add ("accept-error", test_accept_error);
  add ("watch-error", test_watch_error);
  return g_test_run ();
}

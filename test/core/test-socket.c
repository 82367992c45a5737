/*
 * test-socket - descriptor set-up, listen, accept and connect helpers
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-socket.h>

static void
test_needs_nodelay (void)
{
  static const struct {
    gint family;
    gint type;
    gboolean expected;
  } cases[] = {
    { AF_INET, SOCK_STREAM, TRUE },
    { AF_INET6, SOCK_STREAM, TRUE },
    { AF_UNIX, SOCK_STREAM, FALSE },
    { AF_INET, SOCK_DGRAM, FALSE },
    { AF_INET6, SOCK_DGRAM, FALSE },
    { AF_UNIX, SOCK_DGRAM, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_socket_needs_nodelay (cases[i].family,
                                                  cases[i].type), ==,
                     cases[i].expected);
}

static void
assert_prepared (gint fd)
{
  g_assert_cmpint (fcntl (fd, F_GETFL) & O_NONBLOCK, !=, 0);
  g_assert_cmpint (fcntl (fd, F_GETFD) & FD_CLOEXEC, !=, 0);
}

static gboolean
has_nodelay (gint fd)
{
  gint value = 0;
  socklen_t length = sizeof (value);

  g_assert_cmpint (getsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &value,
                               &length), ==, 0);
  return value != 0;
}

static void
test_prepare (void)
{
  g_autoptr (GError) error = NULL;
  gint fds[2];
  gint tcp = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  g_assert_true (milter_socket_prepare (fds[0], &error));
  g_assert_no_error (error);
  assert_prepared (fds[0]);
  g_assert_true (milter_socket_set_nonblocking (fds[0], FALSE, &error));
  g_assert_cmpint (fcntl (fds[0], F_GETFL) & O_NONBLOCK, ==, 0);

  g_assert_cmpint (tcp, >=, 0);
  g_assert_false (has_nodelay (tcp));
  g_assert_true (milter_socket_prepare (tcp, &error));
  assert_prepared (tcp);
  g_assert_true (has_nodelay (tcp));

  close (fds[0]);
  close (fds[1]);
  close (tcp);
  g_assert_false (milter_socket_prepare (tcp, &error));
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_FAILED);
}

static void
test_pair (void)
{
  g_autoptr (GError) error = NULL;
  gint fds[2];
  gchar c = 0;

  g_assert_true (milter_socket_pair (fds, &error));
  g_assert_no_error (error);
  assert_prepared (fds[0]);
  assert_prepared (fds[1]);
  g_assert_cmpint (write (fds[0], "x", 1), ==, 1);
  g_assert_cmpint (read (fds[1], &c, 1), ==, 1);
  g_assert_cmpint (c, ==, 'x');
  close (fds[0]);
  close (fds[1]);
}

static void
wait_writable (gint fd)
{
  struct pollfd pfd = { fd, POLLOUT, 0 };

  g_assert_cmpint (poll (&pfd, 1, 5000), ==, 1);
}

/* Listens on spec, connects, accepts; checks every socket's set-up. */
static void
round_trip (const gchar *text, gboolean tcp)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterConnectionSpec) spec = milter_connection_spec_parse (text,
                                                                       &error);
  gint listen_fd, client_fd, server_fd;

  g_assert_no_error (error);
  listen_fd = milter_socket_listen (spec, 16, &error);
  g_assert_no_error (error);
  g_assert_cmpint (listen_fd, >=, 0);
  assert_prepared (listen_fd);

  /* Nothing pending yet. */
  g_assert_cmpint (milter_socket_accept (listen_fd, &error), ==, -1);
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_AGAIN);
  g_clear_error (&error);

  client_fd = milter_socket_connect (spec, &error);
  g_assert_no_error (error);
  g_assert_cmpint (client_fd, >=, 0);
  assert_prepared (client_fd);
  wait_writable (client_fd);
  g_assert_true (milter_socket_finish_connect (client_fd, &error));
  g_assert_no_error (error);

  do {
    g_clear_error (&error);
    server_fd = milter_socket_accept (listen_fd, &error);
  } while (server_fd == -1 &&
           g_error_matches (error, MILTER_SOCKET_ERROR,
                            MILTER_SOCKET_ERROR_AGAIN));
  g_assert_no_error (error);
  assert_prepared (server_fd);
  if (tcp) {
    g_assert_true (has_nodelay (client_fd));
    g_assert_true (has_nodelay (server_fd));
  }
  close (server_fd);
  close (client_fd);
  close (listen_fd);
}

static guint16
free_tcp_port (void)
{
  struct sockaddr_in address = { 0 };
  socklen_t length = sizeof (address);
  gint fd = socket (AF_INET, SOCK_STREAM, 0);

  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof (address)),
                   ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &address, &length),
                   ==, 0);
  close (fd);
  return ntohs (address.sin_port);
}

static void
test_tcp (void)
{
  g_autofree gchar *text = g_strdup_printf ("inet:%u@127.0.0.1",
                                            free_tcp_port ());

  round_trip (text, TRUE);
}

static void
test_unix (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("milter-socket-XXXXXX", &error);
  g_autofree gchar *path = g_build_filename (dir, "milter.sock", NULL);
  g_autofree gchar *text = g_strdup_printf ("unix:%s", path);

  g_assert_no_error (error);
  round_trip (text, FALSE);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_connect_refused (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterConnectionSpec) spec =
    milter_connection_spec_parse ("unix:/nonexistent/milter.sock", &error);

  g_assert_no_error (error);
  g_assert_cmpint (milter_socket_connect (spec, &error), ==, -1);
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "/nonexistent/milter.sock"));
}

static void
test_listen_in_use (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = g_strdup_printf ("inet:%u@127.0.0.1",
                                            free_tcp_port ());
  g_autoptr (MilterConnectionSpec) spec = milter_connection_spec_parse (text,
                                                                       &error);
  gint fd = milter_socket_listen (spec, 1, &error);

  g_assert_no_error (error);
  g_assert_cmpint (milter_socket_listen (spec, 1, &error), ==, -1);
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, g_strerror (EADDRINUSE)));
  close (fd);
}

/* The rule: what to do about what is at a unix socket path. */
static void
test_unix_path_action (void)
{
  static const struct {
    MilterSocketUnixPath found;
    gboolean remove_stale;
    MilterSocketUnixAction expected;
  } cases[] = {
    { MILTER_SOCKET_UNIX_PATH_ABSENT, TRUE, MILTER_SOCKET_UNIX_BIND },
    { MILTER_SOCKET_UNIX_PATH_ABSENT, FALSE, MILTER_SOCKET_UNIX_BIND },
    { MILTER_SOCKET_UNIX_PATH_STALE, TRUE,
      MILTER_SOCKET_UNIX_REMOVE_THEN_BIND },
    { MILTER_SOCKET_UNIX_PATH_STALE, FALSE, MILTER_SOCKET_UNIX_BIND },
    { MILTER_SOCKET_UNIX_PATH_LIVE, TRUE, MILTER_SOCKET_UNIX_REFUSE_IN_USE },
    { MILTER_SOCKET_UNIX_PATH_LIVE, FALSE, MILTER_SOCKET_UNIX_REFUSE_IN_USE },
    { MILTER_SOCKET_UNIX_PATH_NOT_SOCKET, TRUE,
      MILTER_SOCKET_UNIX_REFUSE_NOT_SOCKET },
    { MILTER_SOCKET_UNIX_PATH_NOT_SOCKET, FALSE,
      MILTER_SOCKET_UNIX_REFUSE_NOT_SOCKET },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_socket_unix_path_action (cases[i].found,
                                                     cases[i].remove_stale),
                     ==, cases[i].expected);
}

/* probe, clear, identify and remove on the real kinds of path. */
static void
test_unix_path_probe (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("milter-socket-XXXXXX", &error);
  g_autofree gchar *path = g_build_filename (dir, "milter.sock", NULL);
  g_autofree gchar *moved = g_build_filename (dir, "moved.sock", NULL);
  g_autofree gchar *text = g_strdup_printf ("unix:%s", path);
  g_autoptr (MilterConnectionSpec) spec = milter_connection_spec_parse (text,
                                                                       &error);
  MilterSocketUnixPath found;
  MilterSocketFileId id, other;
  gint fd;

  g_assert_no_error (error);
  g_assert_true (milter_socket_probe_unix_path (path, &found, &error));
  g_assert_cmpint (found, ==, MILTER_SOCKET_UNIX_PATH_ABSENT);

  fd = milter_socket_listen (spec, 4, &error);
  g_assert_no_error (error);
  g_assert_true (milter_socket_probe_unix_path (path, &found, &error));
  g_assert_cmpint (found, ==, MILTER_SOCKET_UNIX_PATH_LIVE);
  g_assert_false (milter_socket_clear_unix_path (path, TRUE, &error));
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_IN_USE);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  g_assert_true (milter_socket_identify_unix_path (path, &id, &error));
  close (fd);

  /* Closed without removing: stale. Kept unless removal is allowed. */
  g_assert_true (milter_socket_probe_unix_path (path, &found, &error));
  g_assert_cmpint (found, ==, MILTER_SOCKET_UNIX_PATH_STALE);
  g_assert_true (milter_socket_clear_unix_path (path, FALSE, &error));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (milter_socket_clear_unix_path (path, TRUE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* A new socket at the path is not the one identified before (the old
   * one is renamed away so that its inode number stays taken). */
  fd = milter_socket_bind (spec, 0600, &error);
  g_assert_no_error (error);
  g_assert_true (milter_socket_identify_unix_path (path, &id, &error));
  g_assert_cmpint (g_rename (path, moved), ==, 0);
  close (fd);
  fd = milter_socket_bind (spec, 0600, &error);
  g_assert_no_error (error);
  g_assert_true (milter_socket_identify_unix_path (path, &other, &error));
  g_assert_false (milter_socket_remove_unix_path (path, &id, &error));
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_REPLACED);
  g_clear_error (&error);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (milter_socket_remove_unix_path (path, &other, &error));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* Already gone is fine. */
  g_assert_true (milter_socket_remove_unix_path (path, &other, &error));
  close (fd);
  g_unlink (moved);

  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
  g_assert_true (milter_socket_probe_unix_path (path, &found, &error));
  g_assert_cmpint (found, ==, MILTER_SOCKET_UNIX_PATH_NOT_SOCKET);
  g_assert_false (milter_socket_clear_unix_path (path, TRUE, &error));
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_NOT_SOCKET);
  g_clear_error (&error);
  g_assert_false (milter_socket_identify_unix_path (path, &id, &error));
  g_assert_error (error, MILTER_SOCKET_ERROR, MILTER_SOCKET_ERROR_NOT_SOCKET);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/io/socket/needs-nodelay", test_needs_nodelay);
  g_test_add_func ("/io/socket/prepare", test_prepare);
  g_test_add_func ("/io/socket/pair", test_pair);
  g_test_add_func ("/io/socket/tcp", test_tcp);
  g_test_add_func ("/io/socket/unix", test_unix);
  g_test_add_func ("/io/socket/connect-refused", test_connect_refused);
  g_test_add_func ("/io/socket/listen-in-use", test_listen_in_use);
  g_test_add_func ("/io/socket/unix-path/action", test_unix_path_action);
  g_test_add_func ("/io/socket/unix-path/probe", test_unix_path_probe);

  return g_test_run ();
}

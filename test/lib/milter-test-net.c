/*
 * milter-test-net - loopback addresses for tests
 */
#include "config.h"

#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "test/lib/milter-test-net.h"

guint
milter_test_free_port (void)
{
  struct sockaddr_in address = { 0 };
  socklen_t length = sizeof (address);
  gint fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof (address)), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &address, &length), ==, 0);
  close (fd);
  return ntohs (address.sin_port);
}

gchar *
milter_test_free_inet_spec (void)
{
  return g_strdup_printf ("inet:%u@127.0.0.1", milter_test_free_port ());
}

/*
 * milter-test-net - loopback addresses for tests
 *
 * SYNOPSIS
 *   guint milter_test_free_port (void);
 *   gchar *milter_test_free_inet_spec (void);
 *
 * DESCRIPTION
 *   A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked
 *   it for a socket bound to port 0, then closed), and the libmilter-style
 *   connection spec "inet:PORT@127.0.0.1" for it. Tests never use a fixed
 *   port.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint milter_test_free_port (void);
gchar *milter_test_free_inet_spec (void);

G_END_DECLS

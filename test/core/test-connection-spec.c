/*
 * test-connection-spec - connection spec parsing, canonical form and
 * conversion to socket addresses
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include <milter/core/milter-connection-spec.h>

#define UNIX MILTER_CONNECTION_SPEC_TYPE_UNIX
#define INET MILTER_CONNECTION_SPEC_TYPE_INET
#define INET6 MILTER_CONNECTION_SPEC_TYPE_INET6

typedef struct {
  const gchar *text;
  MilterConnectionSpecType type;
  const gchar *path;
  const gchar *host;
  guint16 port;
  const gchar *canonical;
} ValidCase;

static const ValidCase valid_cases[] = {
  /* unix */
  {"unix:/var/run/milter.sock", UNIX, "/var/run/milter.sock", NULL, 0,
   "unix:/var/run/milter.sock"},
  {"local:/var/run/milter.sock", UNIX, "/var/run/milter.sock", NULL, 0,
   "unix:/var/run/milter.sock"},
  {"unix:milter.sock", UNIX, "milter.sock", NULL, 0, "unix:milter.sock"},
  {"local:./run/m.sock", UNIX, "./run/m.sock", NULL, 0, "unix:./run/m.sock"},
  {"UNIX:/tmp/a", UNIX, "/tmp/a", NULL, 0, "unix:/tmp/a"},
  {"Local:/tmp/a", UNIX, "/tmp/a", NULL, 0, "unix:/tmp/a"},
  {"unix:/tmp/with:colon@at", UNIX, "/tmp/with:colon@at", NULL, 0,
   "unix:/tmp/with:colon@at"},
  {"unix:/tmp/with space", UNIX, "/tmp/with space", NULL, 0,
   "unix:/tmp/with space"},
  /* inet, libmilter form */
  {"inet:10025", INET, NULL, NULL, 10025, "inet:10025"},
  {"inet:1", INET, NULL, NULL, 1, "inet:1"},
  {"inet:65535", INET, NULL, NULL, 65535, "inet:65535"},
  {"inet:010025", INET, NULL, NULL, 10025, "inet:10025"},
  {"INET:10025", INET, NULL, NULL, 10025, "inet:10025"},
  {"inet:10025@localhost", INET, NULL, "localhost", 10025,
   "inet:10025@localhost"},
  {"inet:10025@mail.example.com", INET, NULL, "mail.example.com", 10025,
   "inet:10025@mail.example.com"},
  {"inet:10025@mail-1.example_x.com.", INET, NULL, "mail-1.example_x.com.",
   10025, "inet:10025@mail-1.example_x.com."},
  {"inet:10025@127.0.0.1", INET, NULL, "127.0.0.1", 10025,
   "inet:10025@127.0.0.1"},
  {"inet:10025@[127.0.0.1]", INET, NULL, "127.0.0.1", 10025,
   "inet:10025@127.0.0.1"},
  {"inet:10025@0.0.0.0", INET, NULL, "0.0.0.0", 10025, "inet:10025@0.0.0.0"},
  /* inet6, libmilter form */
  {"inet6:10025", INET6, NULL, NULL, 10025, "inet6:10025"},
  {"inet6:10025@[::1]", INET6, NULL, "::1", 10025, "inet6:10025@[::1]"},
  {"inet6:10025@::1", INET6, NULL, "::1", 10025, "inet6:10025@[::1]"},
  {"inet6:10025@[0:0:0:0:0:0:0:1]", INET6, NULL, "::1", 10025,
   "inet6:10025@[::1]"},
  {"inet6:10025@[2001:DB8::25]", INET6, NULL, "2001:db8::25", 10025,
   "inet6:10025@[2001:db8::25]"},
  {"inet6:10025@[::ffff:127.0.0.1]", INET6, NULL, "::ffff:127.0.0.1", 10025,
   "inet6:10025@[::ffff:127.0.0.1]"},
  {"inet6:10025@localhost", INET6, NULL, "localhost", 10025,
   "inet6:10025@localhost"},
  {"Inet6:25", INET6, NULL, NULL, 25, "inet6:25"},
  /* Postfix form */
  {"inet:localhost:10025", INET, NULL, "localhost", 10025,
   "inet:10025@localhost"},
  {"inet:127.0.0.1:10025", INET, NULL, "127.0.0.1", 10025,
   "inet:10025@127.0.0.1"},
  {"inet:[127.0.0.1]:10025", INET, NULL, "127.0.0.1", 10025,
   "inet:10025@127.0.0.1"},
  {"inet:[::1]:10025", INET6, NULL, "::1", 10025, "inet6:10025@[::1]"},
  {"inet6:[::1]:10025", INET6, NULL, "::1", 10025, "inet6:10025@[::1]"},
  {"inet6:localhost:10025", INET6, NULL, "localhost", 10025,
   "inet6:10025@localhost"},
};

typedef struct {
  const gchar *text;
  MilterConnectionSpecError code;
  const gchar *message;   /* substring of the error message */
} InvalidCase;

static const InvalidCase invalid_cases[] = {
  {"", MILTER_CONNECTION_SPEC_ERROR_INVALID_FORMAT,
   "connection spec is empty (expected unix:, local:, inet: or inet6:)"},
  {"/var/run/milter.sock", MILTER_CONNECTION_SPEC_ERROR_INVALID_FORMAT,
   "invalid connection spec '/var/run/milter.sock': missing protocol"},
  {"10025", MILTER_CONNECTION_SPEC_ERROR_INVALID_FORMAT, "missing protocol"},
  {"tcp:10025", MILTER_CONNECTION_SPEC_ERROR_UNKNOWN_PROTOCOL,
   "unknown protocol 'tcp' in connection spec 'tcp:10025' "
   "(expected unix:, local:, inet: or inet6:)"},
  {":10025", MILTER_CONNECTION_SPEC_ERROR_UNKNOWN_PROTOCOL,
   "unknown protocol ''"},
  {"inet4:10025", MILTER_CONNECTION_SPEC_ERROR_UNKNOWN_PROTOCOL,
   "unknown protocol 'inet4'"},
  {" inet:10025", MILTER_CONNECTION_SPEC_ERROR_UNKNOWN_PROTOCOL,
   "unknown protocol ' inet'"},
  /* paths */
  {"unix:", MILTER_CONNECTION_SPEC_ERROR_INVALID_PATH,
   "invalid connection spec 'unix:': empty path"},
  {"local:", MILTER_CONNECTION_SPEC_ERROR_INVALID_PATH, "empty path"},
  {"unix:/" "0123456789012345678901234567890123456789"
   "0123456789012345678901234567890123456789"
   "012345678901234567890123456789",
   MILTER_CONNECTION_SPEC_ERROR_INVALID_PATH,
   "path is 111 bytes long, a unix socket path can hold at most 107"},
  /* ports */
  {"inet:", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "invalid connection spec 'inet:': missing port"},
  {"inet6:", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT, "missing port"},
  {"inet:@localhost", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "invalid connection spec 'inet:@localhost': missing port"},
  {"inet:localhost:", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "missing port"},
  {"inet:[::1]:", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT, "missing port"},
  {"inet:[::1]", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "missing port after ']'"},
  {"inet:99999@localhost", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "invalid connection spec 'inet:99999@localhost': "
   "port 99999 is out of range 1-65535"},
  {"inet:65536", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port 65536 is out of range 1-65535"},
  {"inet:0", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port 0 is out of range 1-65535"},
  {"inet:00000", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port 00000 is out of range"},
  {"inet:99999999999999999999999", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port 99999999999999999999999 is out of range 1-65535"},
  {"inet:smtp@localhost", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port 'smtp' is not a decimal number (service names are not supported)"},
  {"inet:localhost", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port 'localhost' is not a decimal number"},
  {"inet:-1", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port '-1' is not a decimal number"},
  {"inet:+25", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port '+25' is not a decimal number"},
  {"inet: 25", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port ' 25' is not a decimal number"},
  {"inet:10025abc", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "unexpected 'abc' after port 10025"},
  {"inet:10025 @localhost", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "unexpected ' ' after port 10025"},
  {"inet:10025]", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "unexpected ']' after port 10025"},
  {"inet:localhost:25x", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "unexpected 'x' after port 25"},
  {"inet:localhost:70000", MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
   "port 70000 is out of range"},
  /* hosts */
  {"inet:10025@", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "invalid connection spec 'inet:10025@': empty host after '@'"},
  {"inet::10025", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, "empty host"},
  {"inet:10025@[127.0.0.1", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "unbalanced brackets in host '[127.0.0.1'"},
  {"inet:10025@127.0.0.1]", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "unbalanced brackets in host '127.0.0.1]'"},
  {"inet6:10025@[::1]x", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "unexpected 'x' after ']' in host '[::1]x'"},
  {"inet6:10025@[]", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "'' in brackets is not an IP address"},
  {"inet:10025@[localhost]", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "'localhost' in brackets is not an IP address"},
  {"inet:10025@[1.2.3.256]", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "'1.2.3.256' in brackets is not an IP address"},
  {"inet:[::1:10025", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "unbalanced brackets in '[::1:10025'"},
  {"inet:::1]:10025", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "unbalanced brackets in '::1]:10025'"},
  {"inet:[::1]10025", MILTER_CONNECTION_SPEC_ERROR_INVALID_FORMAT,
   "expected ':' after ']', not '10025'"},
  {"inet:::1:10025", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "IPv6 address '::1' must be in brackets: [::1]:PORT"},
  {"inet6:::1", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "must be in brackets"},
  {"inet6:10025@127.0.0.1", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "invalid connection spec 'inet6:10025@127.0.0.1': "
   "IPv4 address '127.0.0.1' in an inet6: spec (use inet:)"},
  {"inet6:10025@[127.0.0.1]", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "IPv4 address '127.0.0.1' in an inet6: spec"},
  {"inet6:[127.0.0.1]:10025", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "IPv4 address '127.0.0.1' in an inet6: spec"},
  {"inet:10025@[::1]", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "IPv6 address '::1' in an inet: spec (use inet6:)"},
  {"inet:10025@::1", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "IPv6 address '::1' in an inet: spec"},
  {"inet:10025@mail example.com", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "host 'mail example.com' is neither an IP address nor a host name"},
  {"inet:10025@host:25", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "host 'host:25' is neither"},
  {"inet:10025@a/b", MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
   "host 'a/b' is neither"},
};

static void
test_valid (gconstpointer data)
{
  const ValidCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterConnectionSpec) spec = NULL;
  g_autoptr (MilterConnectionSpec) again = NULL;
  g_autofree gchar *canonical = NULL;
  g_autofree gchar *canonical_again = NULL;

  spec = milter_connection_spec_parse (c->text, &error);
  g_assert_no_error (error);
  g_assert_nonnull (spec);
  g_assert_cmpint (spec->type, ==, c->type);
  g_assert_cmpstr (spec->path, ==, c->path);
  g_assert_cmpstr (spec->host, ==, c->host);
  g_assert_cmpuint (spec->port, ==, c->port);
  canonical = milter_connection_spec_to_string (spec);
  g_assert_cmpstr (canonical, ==, c->canonical);

  /* The canonical form parses back to the same spec. */
  again = milter_connection_spec_parse (canonical, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->type, ==, spec->type);
  g_assert_cmpstr (again->path, ==, spec->path);
  g_assert_cmpstr (again->host, ==, spec->host);
  g_assert_cmpuint (again->port, ==, spec->port);
  canonical_again = milter_connection_spec_to_string (again);
  g_assert_cmpstr (canonical_again, ==, canonical);
}

static void
test_invalid (gconstpointer data)
{
  const InvalidCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterConnectionSpec) spec =
    milter_connection_spec_parse (c->text, &error);

  g_assert_null (spec);
  g_assert_error (error, MILTER_CONNECTION_SPEC_ERROR, (gint) c->code);
  if (!strstr (error->message, c->message))
    g_error ("message '%s' lacks '%s'", error->message, c->message);
}

static void
test_null (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_null (milter_connection_spec_parse (NULL, &error));
  g_assert_error (error, MILTER_CONNECTION_SPEC_ERROR,
                  MILTER_CONNECTION_SPEC_ERROR_INVALID_FORMAT);
}

static void
test_longest_unix_path (void)
{
  g_autofree gchar *path = g_strnfill (107, 'p');
  g_autofree gchar *text = g_strconcat ("unix:", path, NULL);
  g_autofree gchar *too_long = g_strconcat ("unix:x", path, NULL);
  g_autoptr (MilterConnectionSpec) spec = NULL;
  g_autoptr (GError) error = NULL;

  spec = milter_connection_spec_parse (text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (spec->path, ==, path);
  g_assert_null (milter_connection_spec_parse (too_long, &error));
  g_assert_error (error, MILTER_CONNECTION_SPEC_ERROR,
                  MILTER_CONNECTION_SPEC_ERROR_INVALID_PATH);
}

static void
test_copy_and_boxed (void)
{
  g_autoptr (MilterConnectionSpec) spec =
    milter_connection_spec_parse ("inet6:10025@[::1]", NULL);
  g_autoptr (MilterConnectionSpec) copy = milter_connection_spec_copy (spec);
  MilterConnectionSpec *boxed;

  g_assert_true (copy != spec);
  g_assert_true (copy->host != spec->host);
  g_assert_cmpint (copy->type, ==, INET6);
  g_assert_cmpstr (copy->host, ==, "::1");
  g_assert_cmpuint (copy->port, ==, 10025);
  boxed = g_boxed_copy (MILTER_TYPE_CONNECTION_SPEC, spec);
  g_assert_cmpstr (boxed->host, ==, "::1");
  g_boxed_free (MILTER_TYPE_CONNECTION_SPEC, boxed);
}

static GSocketAddress *
address_of (const gchar *text, GError **error)
{
  g_autoptr (MilterConnectionSpec) spec =
    milter_connection_spec_parse (text, NULL);

  g_assert_nonnull (spec);
  return milter_connection_spec_to_socket_address (spec, error);
}

typedef struct {
  const gchar *text;
  GSocketFamily family;
  const gchar *address;
  guint16 port;
} InetAddressCase;

static const InetAddressCase inet_address_cases[] = {
  {"inet:10025@127.0.0.1", G_SOCKET_FAMILY_IPV4, "127.0.0.1", 10025},
  {"inet:localhost:25", G_SOCKET_FAMILY_IPV4, "127.0.0.1", 25},
  {"inet6:10025@[::1]", G_SOCKET_FAMILY_IPV6, "::1", 10025},
  {"inet:[::1]:10026", G_SOCKET_FAMILY_IPV6, "::1", 10026},
  {"inet:10025", G_SOCKET_FAMILY_IPV4, "0.0.0.0", 10025},
  {"inet6:65535", G_SOCKET_FAMILY_IPV6, "::", 65535},
};

static void
test_inet_address (gconstpointer data)
{
  const InetAddressCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address = address_of (c->text, &error);
  g_autofree gchar *address_text = NULL;
  GInetAddress *inet;

  g_assert_no_error (error);
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (address));
  g_assert_cmpint (g_socket_address_get_family (address), ==, c->family);
  g_assert_cmpuint (g_inet_socket_address_get_port (
                      G_INET_SOCKET_ADDRESS (address)), ==, c->port);
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  address_text = g_inet_address_to_string (inet);
  g_assert_cmpstr (address_text, ==, c->address);
}

static void
test_unix_address (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address =
    address_of ("local:/run/milter/test.sock", &error);

  g_assert_no_error (error);
  g_assert_true (G_IS_UNIX_SOCKET_ADDRESS (address));
  g_assert_cmpstr (g_unix_socket_address_get_path (
                     G_UNIX_SOCKET_ADDRESS (address)), ==,
                   "/run/milter/test.sock");
  g_assert_cmpint (g_unix_socket_address_get_address_type (
                     G_UNIX_SOCKET_ADDRESS (address)), ==,
                   G_UNIX_SOCKET_ADDRESS_PATH);
}

static void
test_localhost_address (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address =
    address_of ("inet:10025@localhost", &error);
  GInetAddress *inet;

  g_assert_no_error (error);
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (address));
  g_assert_cmpint (g_socket_address_get_family (address), ==,
                   G_SOCKET_FAMILY_IPV4);
  g_assert_cmpuint (g_inet_socket_address_get_port (
                      G_INET_SOCKET_ADDRESS (address)), ==, 10025);
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  g_assert_true (g_inet_address_get_is_loopback (inet));
}

static void
test_unresolvable_address (void)
{
  g_autoptr (GError) error = NULL;
  /* .invalid never resolves (RFC 6761). */
  g_autoptr (GSocketAddress) address =
    address_of ("inet:10025@no-such-host.invalid", &error);

  g_assert_null (address);
  /* The resolver's error, passed up with its domain and code. */
  g_assert_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message,
                            "host 'no-such-host.invalid' in connection spec "
                            "'inet:10025@no-such-host.invalid'"));
}

static void
test_family_mismatch_address (void)
{
  /* Built by hand: parse would have refused it. */
  MilterConnectionSpec spec = {INET6, NULL, (gchar *) "127.0.0.1", 25};
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address =
    milter_connection_spec_to_socket_address (&spec, &error);

  g_assert_null (address);
  g_assert_error (error, MILTER_CONNECTION_SPEC_ERROR,
                  MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST);
}

/* to_native gives the bytes (and length) GIO's route gives: the fast
 * path for unix paths and numeric addresses, GIO for names. */
static const gchar *const native_cases[] = {
  "unix:/tmp/milter.sock",
  "unix:relative/milter.sock",
  "inet:10025",
  "inet:10025@127.0.0.1",
  "inet:10025@192.0.2.7",
  "inet6:10025",
  "inet6:10025@[::1]",
  "inet6:10025@[2001:db8::1]",
  "inet:10025@localhost",
};

static void
test_native (gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterConnectionSpec) spec =
    milter_connection_spec_parse (data, &error);
  g_autoptr (GSocketAddress) socket_address = NULL;
  struct sockaddr_storage native;
  struct sockaddr_storage expected;
  socklen_t length = 0;
  gsize expected_length;

  g_assert_no_error (error);
  socket_address = milter_connection_spec_to_socket_address (spec, &error);
  g_assert_no_error (error);
  memset (&expected, 0, sizeof (expected));
  expected_length = (gsize) g_socket_address_get_native_size (socket_address);
  g_assert_true (g_socket_address_to_native (socket_address, &expected,
                                             sizeof (expected), &error));
  g_assert_true (milter_connection_spec_to_native (spec, &native, &length,
                                                   &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, expected_length);
  g_assert_cmpmem (&native, length, &expected, expected_length);
}

/* A host that does not resolve fails with the resolver's error, as
 * to_socket_address does. */
static void
test_native_unresolvable (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MilterConnectionSpec) spec =
    milter_connection_spec_parse ("inet:10025@no-such-host.invalid", &error);
  struct sockaddr_storage native;
  socklen_t length = 0;

  g_assert_no_error (error);
  g_assert_false (milter_connection_spec_to_native (spec, &native, &length,
                                                    &error));
  g_assert_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (valid_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/connection-spec/valid/%u", i);
    g_test_add_data_func (path, &valid_cases[i], test_valid);
  }
  for (i = 0; i < G_N_ELEMENTS (invalid_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/connection-spec/invalid/%u", i);
    g_test_add_data_func (path, &invalid_cases[i], test_invalid);
  }
  for (i = 0; i < G_N_ELEMENTS (inet_address_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/connection-spec/socket-address/inet/%u", i);
    g_test_add_data_func (path, &inet_address_cases[i], test_inet_address);
  }
  for (i = 0; i < G_N_ELEMENTS (native_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/connection-spec/native/%u", i);
    g_test_add_data_func (path, native_cases[i], test_native);
  }
  g_test_add_func ("/core/connection-spec/native/unresolvable",
                   test_native_unresolvable);
  g_test_add_func ("/core/connection-spec/null", test_null);
  g_test_add_func ("/core/connection-spec/longest-unix-path",
                   test_longest_unix_path);
  g_test_add_func ("/core/connection-spec/copy-and-boxed",
                   test_copy_and_boxed);
  g_test_add_func ("/core/connection-spec/socket-address/unix",
                   test_unix_address);
  g_test_add_func ("/core/connection-spec/socket-address/localhost",
                   test_localhost_address);
  g_test_add_func ("/core/connection-spec/socket-address/unresolvable",
                   test_unresolvable_address);
  g_test_add_func ("/core/connection-spec/socket-address/family-mismatch",
                   test_family_mismatch_address);
  return g_test_run ();
}

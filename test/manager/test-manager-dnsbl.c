/*
 * test-manager-dnsbl - DNS blocklist lookups (milter-manager-dnsbl.c):
 * the pure rules on tables (zones and expected answers, query names, the
 * query's bytes, answers, resolv.conf), then real lookups over UDP on
 * loopback against a name server of our own in the same event loop
 * (listed, not listed, an answer outside the expected network, a zone
 * that never answers, several zones at once, a refused server, cancel),
 * on both event-loop backends.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <milter/manager/milter-manager-dnsbl.h>
#include <milter/manager/milter-manager-error.h>
#include "test/lib/milter-test-log.h"

/* ---- pure rules ------------------------------------------------------------ */

static void
test_zone_parse (void)
{
  static const struct {
    const gchar *name, *expected;
    gboolean ok;
    guint32 address;
    guint prefix;
  } rows[] = {
    { "zen.spamhaus.org", "127.0.0.10/31", TRUE, 0x7f00000a, 31 },
    { "bl.spamcop.net", "127.0.0.2", TRUE, 0x7f000002, 32 },
    { "any.test", NULL, TRUE, 0, 0 },
    { "any.test", "127.0.0.0/0", TRUE, 0x7f000000, 0 },
    { "bad.test", "127.0.0.1/33", FALSE, 0, 0 },
    { "bad.test", "::1", FALSE, 0, 0 },
    { "bad.test", "localhost", FALSE, 0, 0 },
    { "", NULL, FALSE, 0, 0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
    MilterManagerDnsblZone zone;
    g_autoptr (GError) error = NULL;
    gboolean ok = milter_manager_dnsbl_zone_parse (rows[i].name, rows[i].expected, &zone, &error);
    g_assert_cmpint (ok, ==, rows[i].ok);
    if (!ok) {
      g_assert_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE);
      continue;
    }
    g_assert_cmpstr (zone.name, ==, rows[i].name);
    g_assert_cmpint (zone.has_expected, ==, rows[i].expected != NULL);
    g_assert_cmphex (zone.expected, ==, rows[i].address);
    g_assert_cmpuint (zone.expected_prefix, ==, rows[i].prefix);
  }
}

static void
test_zone_matches (void)
{
  static const struct {
    const gchar *expected;
    guint32 answers[2];
    guint n;
    gboolean listed;
  } rows[] = {
    { NULL, { 0 }, 0, FALSE },
    { NULL, { 0x7f000004 }, 1, TRUE },
    { "127.0.0.10/31", { 0x7f00000b }, 1, TRUE },
    { "127.0.0.10/31", { 0x7f00000a }, 1, TRUE },
    { "127.0.0.10/31", { 0x7f00000c }, 1, FALSE },
    { "127.0.0.10/31", { 0x7f000004, 0x7f00000b }, 2, TRUE },
    { "127.0.0.2", { 0x7f000002 }, 1, TRUE },
    { "127.0.0.2", { 0x7f000003 }, 1, FALSE },
    { "127.0.0.2", { 0 }, 0, FALSE },
    { "0.0.0.0/0", { 0x0a000001 }, 1, TRUE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
    MilterManagerDnsblZone zone;
    g_assert_true (milter_manager_dnsbl_zone_parse ("z.test", rows[i].expected, &zone, NULL));
    g_assert_cmpint (milter_manager_dnsbl_zone_matches (&zone, rows[i].answers, rows[i].n),
                     ==, rows[i].listed);
  }
}

static void
test_query_name (void)
{
  g_autofree gchar *name = milter_manager_dnsbl_query_name (0xc0000201, "bl.test");
  g_assert_cmpstr (name, ==, "1.2.0.192.bl.test");
}

static void
test_encode_query (void)
{
  static const guint8 expected[] = {
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    1, 'a', 2, 'b', 'c', 0, 0x00, 0x01, 0x00, 0x01
  };
  guint8 buffer[512];
  g_assert_cmpuint (milter_manager_dns_encode_query (0x1234, "a.bc", buffer, sizeof (buffer),
                                                     NULL), ==, sizeof (expected));
  g_assert_cmpmem (buffer, sizeof (expected), expected, sizeof (expected));
  /* An absolute name gives the same bytes. */
  g_assert_cmpuint (milter_manager_dns_encode_query (0x1234, "a.bc.", buffer, sizeof (buffer),
                                                     NULL), ==, sizeof (expected));
  g_assert_cmpmem (buffer, sizeof (expected), expected, sizeof (expected));

  g_autofree gchar *long_label = g_strnfill (64, 'x');
  const gchar *bad[] = { "", "a..b", ".a", long_label };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_cmpuint (milter_manager_dns_encode_query (1, bad[i], buffer, sizeof (buffer),
                                                       &error), ==, 0);
    g_assert_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE);
  }
  g_assert_cmpuint (milter_manager_dns_encode_query (1, "a.bc", buffer, 20, NULL), ==, 0);
}

/* An answer to query 0x1234 for "a.bc": RCODE, then records. */
static gsize
answer_packet (guint8 *packet, guint8 rcode, guint n_records, const guint8 *records,
               gsize records_size)
{
  static const guint8 head[] = {
    0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    1, 'a', 2, 'b', 'c', 0, 0x00, 0x01, 0x00, 0x01
  };
  memcpy (packet, head, sizeof (head));
  packet[3] = (guint8) (0x80 | rcode);
  packet[7] = (guint8) n_records;
  memcpy (packet + sizeof (head), records, records_size);
  return sizeof (head) + records_size;
}

#define A_RECORD(a, b, c, d) \
  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0x00, 0x04, a, b, c, d

static void
test_parse_answers (void)
{
  static const guint8 two_a[] = { A_RECORD (127, 0, 0, 2), A_RECORD (127, 0, 0, 11) };
  static const guint8 cname_then_a[] = {
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0, 0, 0, 60, 0x00, 0x04, 1, 'x', 0xc0, 0x0c,
    A_RECORD (10, 0, 0, 1)
  };
  static const guint8 truncated[] = { 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0x00, 0x04, 127 };
  guint8 packet[512];
  guint32 addresses[4];
  gsize size;

  size = answer_packet (packet, 0, 2, two_a, sizeof (two_a));
  g_assert_cmpint (milter_manager_dns_parse_answers (packet, size, 0x1234, addresses, 4, NULL), ==, 2);
  g_assert_cmphex (addresses[0], ==, 0x7f000002);
  g_assert_cmphex (addresses[1], ==, 0x7f00000b);
  /* At most max addresses. */
  g_assert_cmpint (milter_manager_dns_parse_answers (packet, size, 0x1234, addresses, 1, NULL), ==, 1);

  size = answer_packet (packet, 0, 2, cname_then_a, sizeof (cname_then_a));
  g_assert_cmpint (milter_manager_dns_parse_answers (packet, size, 0x1234, addresses, 4, NULL), ==, 1);
  g_assert_cmphex (addresses[0], ==, 0x0a000001);

  size = answer_packet (packet, 3, 0, NULL, 0);   /* NXDOMAIN */
  g_assert_cmpint (milter_manager_dns_parse_answers (packet, size, 0x1234, addresses, 4, NULL), ==, 0);
  size = answer_packet (packet, 0, 0, NULL, 0);   /* no record of the type */
  g_assert_cmpint (milter_manager_dns_parse_answers (packet, size, 0x1234, addresses, 4, NULL), ==, 0);

  struct {
    guint8 rcode;
    const guint8 *records;
    gsize records_size;
    guint16 id;
    gsize cut;
  } bad[] = {
    { 2, NULL, 0, 0x1234, 0 },                            /* SERVFAIL */
    { 0, two_a, sizeof (two_a), 0x4321, 0 },              /* another id */
    { 0, truncated, sizeof (truncated), 0x1234, 0 },      /* cut record */
    { 0, two_a, sizeof (two_a), 0x1234, 30 },             /* cut packet */
    { 0, NULL, 0, 0x1234, 11 },                           /* no header */
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    size = answer_packet (packet, bad[i].rcode, bad[i].records ? 2 : 0, bad[i].records,
                          bad[i].records_size);
    if (bad[i].cut)
      size = bad[i].cut;
    g_assert_cmpint (milter_manager_dns_parse_answers (packet, size, bad[i].id, addresses, 4,
                                                       &error), ==, -1);
    g_assert_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_DNS);
  }
  /* A query is not an answer. */
  size = answer_packet (packet, 0, 0, NULL, 0);
  packet[2] = 0x01;
  g_assert_cmpint (milter_manager_dns_parse_answers (packet, size, 0x1234, addresses, 4, NULL), ==, -1);
}

static void
test_resolv_conf (void)
{
  static const struct {
    const gchar *text, *server;
  } rows[] = {
    { "# a comment\nsearch example.test\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n", "10.0.0.1" },
    { "nameserver\t::1\n", "::1" },
    { "  nameserver   192.0.2.53  \n", "192.0.2.53" },
    { "nameserver not-an-address\nnameserver 10.9.9.9\n", "10.9.9.9" },
    { "options ndots:2\n", NULL },
    { "", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
    g_autofree gchar *server = milter_manager_dns_name_server_from_resolv_conf (rows[i].text);
    g_assert_cmpstr (server, ==, rows[i].server);
  }
}

/* ---- a name server of our own ------------------------------------------------ */

typedef struct {
  const gchar *name;
  /* "nx", "silent", or comma-separated IPv4 answers. */
  const gchar *answer;
} Entry;

typedef struct {
  MilterEventLoop *loop;
  gint fd;
  guint watch;
  guint16 port;
  const Entry *entries;
  guint n_queries;
  /* the lookup's result */
  gboolean done;
  gchar *listed;
  gint64 done_at;
} Server;

static gchar *
question_name (const guint8 *packet, gsize size, gsize *end)
{
  GString *name = g_string_new (NULL);
  gsize at = 12;
  while (at < size && packet[at] != 0 && at + 1 + packet[at] <= size) {
    if (name->len)
      g_string_append_c (name, '.');
    g_string_append_len (name, (const gchar *) packet + at + 1, packet[at]);
    at += 1 + (gsize) packet[at];
  }
  *end = at + 1 + 4;
  return g_string_free (name, FALSE);
}

static gboolean
on_query (gint fd, GIOCondition condition, gpointer user_data)
{
  Server *server = user_data;
  guint8 packet[512], reply[512];
  struct sockaddr_storage from;
  socklen_t from_length = sizeof (from);
  gsize end;

  (void) condition;
  gssize size = recvfrom (fd, packet, sizeof (packet), 0, (struct sockaddr *) &from, &from_length);
  if (size < 12)
    return G_SOURCE_CONTINUE;
  server->n_queries++;
  g_autofree gchar *name = question_name (packet, (gsize) size, &end);
  const gchar *answer = "nx";
  for (const Entry *entry = server->entries; entry && entry->name; entry++)
    if (g_str_equal (entry->name, name))
      answer = entry->answer;
  if (g_str_equal (answer, "silent"))
    return G_SOURCE_CONTINUE;

  memcpy (reply, packet, end);
  reply[2] = 0x81;
  reply[3] = g_str_equal (answer, "nx") ? 0x83 : 0x80;
  gsize at = end;
  guint n = 0;
  g_auto (GStrv) addresses = g_str_equal (answer, "nx") ? g_new0 (gchar *, 1) :
    g_strsplit (answer, ",", -1);
  for (gchar **address = addresses; *address; address++, n++) {
    static const guint8 head[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4 };
    struct in_addr in;
    g_assert_true (inet_pton (AF_INET, *address, &in) == 1);
    memcpy (reply + at, head, sizeof (head));
    memcpy (reply + at + sizeof (head), &in, 4);
    at += sizeof (head) + 4;
  }
  reply[6] = 0;
  reply[7] = (guint8) n;
  g_assert_cmpint (sendto (fd, reply, at, 0, (struct sockaddr *) &from, from_length), ==, (gssize) at);
  return G_SOURCE_CONTINUE;
}

static void
server_start (Server *server, const gchar *backend, const Entry *entries)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t length = sizeof (address);

  memset (server, 0, sizeof (*server));
  server->loop = milter_event_loop_new_by_name (backend, NULL);
  g_assert_nonnull (server->loop);
  server->entries = entries;
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  server->fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (bind (server->fd, (struct sockaddr *) &address, sizeof (address)), ==, 0);
  g_assert_cmpint (getsockname (server->fd, (struct sockaddr *) &address, &length), ==, 0);
  server->port = ntohs (address.sin_port);
  server->watch = milter_event_loop_watch_io (server->loop, server->fd, G_IO_IN, on_query,
                                              server, NULL);
}

static void
server_stop (Server *server)
{
  milter_event_loop_remove (server->loop, server->watch);
  close (server->fd);
  g_clear_object (&server->loop);
  g_free (server->listed);
}

static void
on_done (const gchar *listed_zone, gpointer user_data)
{
  Server *server = user_data;
  g_assert_false (server->done);
  server->done = TRUE;
  server->listed = g_strdup (listed_zone);
  server->done_at = g_get_monotonic_time ();
}

static gboolean
on_give_up (gpointer user_data)
{
  (void) user_data;
  g_assert_not_reached ();
  return G_SOURCE_REMOVE;
}

static MilterManagerDnsblLookup *
start_lookup (Server *server, const gchar *address, const gchar *const *zones, gdouble timeout)
{
  MilterManagerDnsblZone parsed[8];
  guint n = 0;
  guint32 client;
  struct in_addr in;
  g_autofree gchar *name_server = g_strdup_printf ("127.0.0.1:%u", server->port);

  g_assert_true (inet_pton (AF_INET, address, &in) == 1);
  client = ntohl (in.s_addr);
  for (; zones[n]; n++) {
    g_auto (GStrv) parts = g_strsplit (zones[n], "=", 2);
    g_assert_true (milter_manager_dnsbl_zone_parse (parts[0], parts[1], &parsed[n], NULL));
  }
  g_autoptr (GError) error = NULL;
  MilterManagerDnsblLookup *lookup =
    milter_manager_dnsbl_lookup_start (server->loop, name_server, client, parsed, n, timeout,
                                       on_done, server, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lookup);
  /* Never answered from inside start. */
  g_assert_false (server->done);
  return lookup;
}

static void
run_until_done (Server *server)
{
  guint give_up = milter_event_loop_add_timeout (server->loop, 10, on_give_up, NULL, NULL);
  while (!server->done)
    milter_event_loop_iterate (server->loop, TRUE);
  milter_event_loop_remove (server->loop, give_up);
}

static const Entry entries[] = {
  { "2.0.0.127.listed.test", "127.0.0.2" },
  { "2.0.0.127.other.test", "127.0.0.5" },
  { "2.0.0.127.silent.test", "silent" },
  { "2.0.0.127.silent2.test", "silent" },
  { "2.0.0.127.range.test", "127.0.0.4,127.0.0.11" },
  { NULL, NULL },
};

static gdouble
seconds_since (gint64 start, gint64 end)
{
  return (gdouble) (end - start) / G_USEC_PER_SEC;
}

static void
test_lookup (gconstpointer data)
{
  static const struct {
    const gchar *address;
    const gchar *zones[4];
    const gchar *listed;
    gdouble timeout;
    gdouble at_least, at_most;
    guint n_queries;
  } rows[] = {
    /* listed; any answer counts without an expected value */
    { "127.0.0.2", { "listed.test", NULL }, "listed.test", 5, 0, 1, 1 },
    { "127.0.0.2", { "listed.test=127.0.0.2", NULL }, "listed.test", 5, 0, 1, 1 },
    /* an answer outside the expected address */
    { "127.0.0.2", { "other.test=127.0.0.2", NULL }, NULL, 5, 0, 1, 1 },
    { "127.0.0.2", { "range.test=127.0.0.10/31", NULL }, "range.test", 5, 0, 1, 1 },
    /* not listed anywhere: NXDOMAIN, at once */
    { "127.0.0.9", { "listed.test", "other.test", NULL }, NULL, 5, 0, 1, 2 },
    /* a zone that never answers: not listed after the timeout */
    { "127.0.0.2", { "silent.test", NULL }, NULL, 0.3, 0.3, 2, 1 },
    /* zones in parallel: the listing one answers while the silent waits */
    { "127.0.0.2", { "silent.test", "listed.test", NULL }, "listed.test", 5, 0, 1, 2 },
    /* two silent zones: both asked at once, one timeout for both */
    { "127.0.0.2", { "silent.test", "silent2.test", NULL }, NULL, 0.4, 0.4, 2, 2 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
    Server server;
    server_start (&server, data, entries);
    gint64 start = g_get_monotonic_time ();
    start_lookup (&server, rows[i].address, rows[i].zones, rows[i].timeout);
    run_until_done (&server);
    gdouble elapsed = seconds_since (start, server.done_at);
    g_assert_cmpstr (server.listed, ==, rows[i].listed);
    g_assert_cmpfloat (elapsed, >=, rows[i].at_least - 0.01);
    g_assert_cmpfloat (elapsed, <=, rows[i].at_most);
    g_assert_cmpuint (server.n_queries, ==, rows[i].n_queries);
    server_stop (&server);
  }
}

static guint
count_descriptors (void)
{
  guint n = 0;
  DIR *directory = opendir ("/proc/self/fd");
  g_assert_nonnull (directory);
  while (readdir (directory))
    n++;
  closedir (directory);
  return n;
}

static void
test_cancel (gconstpointer data)
{
  Server server;
  const gchar *zones[] = { "silent.test", "silent2.test", NULL };
  server_start (&server, data, entries);
  guint before = count_descriptors ();
  MilterManagerDnsblLookup *lookup = start_lookup (&server, "127.0.0.2", zones, 0.2);
  g_assert_cmpuint (count_descriptors (), ==, before + 2);
  milter_manager_dnsbl_lookup_cancel (lookup);
  g_assert_cmpuint (count_descriptors (), ==, before);
  /* Past the timeout: no callback after a cancel. */
  gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < until)
    milter_event_loop_iterate (server.loop, FALSE);
  g_assert_false (server.done);
  server_stop (&server);
}

/* Nobody on the port: the refusal comes back at once, not listed. */
static void
test_refused (gconstpointer data)
{
  Server server;
  const gchar *zones[] = { "listed.test", NULL };
  g_autoptr (MilterTestLogCapture) capture = milter_test_log_capture_start (MILTER_LOG_LEVEL_ALL);
  server_start (&server, data, entries);
  milter_event_loop_remove (server.loop, server.watch);
  close (server.fd);
  server.fd = socket (AF_INET, SOCK_DGRAM, 0);
  gint64 start = g_get_monotonic_time ();
  start_lookup (&server, "127.0.0.2", zones, 5);
  run_until_done (&server);
  g_assert_null (server.listed);
  g_assert_cmpfloat (seconds_since (start, server.done_at), <, 1);
  milter_test_assert_logged (capture, MILTER_LOG_LEVEL_DEBUG, 0, "[dnsbl][error] listed.test: ");
  server_stop (&server);
}

static void
test_bad_name_server (void)
{
  g_autoptr (MilterEventLoop) loop = milter_event_loop_new_by_name ("glib", NULL);
  MilterManagerDnsblZone zone;
  g_assert_true (milter_manager_dnsbl_zone_parse ("z.test", NULL, &zone, NULL));
  const gchar *bad[] = { "not-an-address", "10.0.0.1:99999", "" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_assert_null (milter_manager_dnsbl_lookup_start (loop, bad[i], 0x7f000002, &zone, 1, 1,
                                                      on_done, NULL, &error));
    g_assert_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/dnsbl/zone-parse", test_zone_parse);
  g_test_add_func ("/manager/dnsbl/zone-matches", test_zone_matches);
  g_test_add_func ("/manager/dnsbl/query-name", test_query_name);
  g_test_add_func ("/manager/dnsbl/encode-query", test_encode_query);
  g_test_add_func ("/manager/dnsbl/parse-answers", test_parse_answers);
  g_test_add_func ("/manager/dnsbl/resolv-conf", test_resolv_conf);
  g_test_add_func ("/manager/dnsbl/bad-name-server", test_bad_name_server);
  const gchar *backends[] = { "glib", "libev" };
  for (gsize i = 0; i < G_N_ELEMENTS (backends); i++) {
    g_autofree gchar *lookup = g_strdup_printf ("/manager/dnsbl/%s/lookup", backends[i]);
    g_autofree gchar *cancel = g_strdup_printf ("/manager/dnsbl/%s/cancel", backends[i]);
    g_autofree gchar *refused = g_strdup_printf ("/manager/dnsbl/%s/refused", backends[i]);
    g_test_add_data_func (lookup, backends[i], test_lookup);
    g_test_add_data_func (cancel, backends[i], test_cancel);
    g_test_add_data_func (refused, backends[i], test_refused);
  }
  return g_test_run ();
}

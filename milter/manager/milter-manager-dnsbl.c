/*
 * milter-manager-dnsbl - DNS blocklist lookups on the event loop; see
 * milter-manager-dnsbl.h.
 *
 * Our own small stub resolver rather than getaddrinfo_a or GResolver:
 * both run lookups in threads of their own, which the libev backend
 * cannot wait on, and a blocklist needs only one query type. Each zone's
 * query has its own connected UDP socket, so the kernel drops datagrams
 * from anyone but the name server, and a random query id guards the rest.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-dnsbl.h>
#include <milter/manager/milter-manager-error.h>

#define DNS_HEADER_SIZE 12
#define DNS_TYPE_A 1
#define DNS_CLASS_IN 1
#define DNS_RCODE_NXDOMAIN 3
#define DNS_PORT 53
#define MAX_PACKET 1232
#define MAX_ANSWERS 16

/* ---- pure rules ---------------------------------------------------------- */

/* WHAT: VALUE as an invalid-value error. */
static gboolean
invalid (GError **error, const gchar *what, const gchar *value)
{
  g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE,
               "%s: %s", what, value);
  return FALSE;
}

static gboolean
parse_ipv4 (const gchar *text, guint32 *address)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (text);
  if (!inet || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV4)
    return FALSE;
  const guint8 *bytes = g_inet_address_to_bytes (inet);
  *address = ((guint32) bytes[0] << 24) | ((guint32) bytes[1] << 16) |
             ((guint32) bytes[2] << 8) | bytes[3];
  return TRUE;
}

gboolean
milter_manager_dnsbl_zone_parse (const gchar *name, const gchar *expected,
                                 MilterManagerDnsblZone *zone, GError **error)
{
  memset (zone, 0, sizeof (*zone));
  if (!name || !*name || strlen (name) > MILTER_MANAGER_DNSBL_MAX_NAME - 16)
    return invalid (error, "invalid DNSBL zone", name ? name : "(none)");
  g_strlcpy (zone->name, name, sizeof (zone->name));
  if (!expected)
    return TRUE;

  g_auto (GStrv) parts = g_strsplit (expected, "/", 2);
  guint64 prefix = 32;
  if (parts[1] && (!g_ascii_string_to_unsigned (parts[1], 10, 0, 32, &prefix, NULL)))
    return invalid (error, "invalid expected DNSBL answer (ADDRESS or ADDRESS/BITS)",
                    expected);
  if (!parse_ipv4 (parts[0], &zone->expected))
    return invalid (error, "invalid expected DNSBL answer (ADDRESS or ADDRESS/BITS)",
                    expected);
  zone->has_expected = TRUE;
  zone->expected_prefix = (guint) prefix;
  return TRUE;
}

gboolean
milter_manager_dnsbl_zone_matches (const MilterManagerDnsblZone *zone,
                                   const guint32 *addresses, guint n_addresses)
{
  if (!zone->has_expected)
    return n_addresses > 0;
  guint32 mask = zone->expected_prefix == 0 ? 0 :
    (guint32) (0xffffffffu << (32 - zone->expected_prefix));
  for (guint i = 0; i < n_addresses; i++)
    if ((addresses[i] & mask) == (zone->expected & mask))
      return TRUE;
  return FALSE;
}

gchar *
milter_manager_dnsbl_query_name (guint32 address, const gchar *zone)
{
  return g_strdup_printf ("%u.%u.%u.%u.%s", address & 0xff, (address >> 8) & 0xff,
                          (address >> 16) & 0xff, address >> 24, zone);
}

gsize
milter_manager_dns_encode_query (guint16 id, const gchar *name, guint8 *buffer,
                                 gsize size, GError **error)
{
  gsize length = strlen (name);
  /* Header, labels (one length byte each and the root), type, class. */
  if (length == 0 || length > 253 || DNS_HEADER_SIZE + length + 2 + 4 > size) {
    invalid (error, "DNS name too long or empty", name);
    return 0;
  }
  memset (buffer, 0, DNS_HEADER_SIZE);
  buffer[0] = (guint8) (id >> 8);
  buffer[1] = (guint8) id;
  buffer[2] = 0x01;          /* RD: recursion desired */
  buffer[5] = 1;             /* QDCOUNT */
  gsize at = DNS_HEADER_SIZE;
  for (const gchar *label = name; *label;) {
    const gchar *dot = strchr (label, '.');
    gsize label_length = dot ? (gsize) (dot - label) : strlen (label);
    if (label_length == 0 || label_length > 63) {
      invalid (error, "invalid DNS name", name);
      return 0;
    }
    buffer[at++] = (guint8) label_length;
    memcpy (buffer + at, label, label_length);
    at += label_length;
    label += label_length + (dot ? 1 : 0);
    if (dot && !*label)
      break;                 /* a trailing dot: already absolute */
  }
  buffer[at++] = 0;
  buffer[at++] = 0;
  buffer[at++] = DNS_TYPE_A;
  buffer[at++] = 0;
  buffer[at++] = DNS_CLASS_IN;
  return at;
}

static gboolean
skip_name (const guint8 *packet, gsize size, gsize *at)
{
  /* Labels up to the root or a compression pointer (which ends it). */
  for (guint n = 0; n < 128 && *at < size; n++) {
    guint8 length = packet[*at];
    if (length == 0) {
      (*at)++;
      return TRUE;
    }
    if ((length & 0xc0) == 0xc0) {
      if (*at + 2 > size)
        return FALSE;
      *at += 2;
      return TRUE;
    }
    if (length & 0xc0)
      return FALSE;
    *at += 1 + (gsize) length;
  }
  return FALSE;
}

static guint16
read16 (const guint8 *bytes)
{
  return (guint16) ((bytes[0] << 8) | bytes[1]);
}

static gint
bad_answer (GError **error, const gchar *why)
{
  g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_DNS,
               "not a DNS answer to our query: %s", why);
  return -1;
}

gint
milter_manager_dns_parse_answers (const guint8 *packet, gsize size, guint16 id,
                                  guint32 *addresses, guint max, GError **error)
{
  if (size < DNS_HEADER_SIZE)
    return bad_answer (error, "shorter than a header");
  if (read16 (packet) != id)
    return bad_answer (error, "another query id");
  if (!(packet[2] & 0x80))
    return bad_answer (error, "a query, not a response");
  guint rcode = packet[3] & 0x0f;
  if (rcode == DNS_RCODE_NXDOMAIN)
    return 0;
  if (rcode != 0) {
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_DNS,
                 "the name server answered with error code %u", rcode);
    return -1;
  }
  guint n_questions = read16 (packet + 4);
  guint n_answers = read16 (packet + 6);
  gsize at = DNS_HEADER_SIZE;
  for (guint i = 0; i < n_questions; i++) {
    if (!skip_name (packet, size, &at) || at + 4 > size)
      return bad_answer (error, "truncated question");
    at += 4;
  }
  guint n = 0;
  for (guint i = 0; i < n_answers; i++) {
    if (!skip_name (packet, size, &at) || at + 10 > size)
      return bad_answer (error, "truncated answer");
    guint type = read16 (packet + at), klass = read16 (packet + at + 2);
    gsize length = read16 (packet + at + 8);
    at += 10;
    if (at + length > size)
      return bad_answer (error, "truncated record data");
    /* CNAMEs and the like are skipped: only the A records count. */
    if (type == DNS_TYPE_A && klass == DNS_CLASS_IN && length == 4 && n < max)
      addresses[n++] = ((guint32) packet[at] << 24) | ((guint32) packet[at + 1] << 16) |
                       ((guint32) packet[at + 2] << 8) | packet[at + 3];
    at += length;
  }
  return (gint) n;
}

gchar *
milter_manager_dns_name_server_from_resolv_conf (const gchar *text)
{
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  for (gchar **line = lines; *line; line++) {
    g_auto (GStrv) words = g_strsplit_set (g_strstrip (*line), " \t", -1);
    const gchar *first[2] = { NULL, NULL };
    guint n = 0;
    for (gchar **word = words; *word && n < 2; word++)
      if (**word)
        first[n++] = *word;
    if (n == 2 && g_str_equal (first[0], "nameserver") && g_hostname_is_ip_address (first[1]))
      return g_strdup (first[1]);
  }
  return NULL;
}

/* ---- the lookup ------------------------------------------------------------ */

typedef struct {
  MilterManagerDnsblLookup *lookup;
  guint index;
  gint fd;
  guint watch;
  guint16 id;
} Query;

struct _MilterManagerDnsblLookup {
  MilterEventLoop *loop;
  MilterManagerDnsblZone *zones;
  Query *queries;
  guint n_queries;
  guint n_pending;
  guint timeout_id;
  guint idle_id;
  MilterManagerDnsblDone done;
  gpointer user_data;
};

static void
close_query (MilterManagerDnsblLookup *lookup, Query *query)
{
  if (query->watch)
    milter_event_loop_remove (lookup->loop, query->watch);
  query->watch = 0;
  if (query->fd >= 0) {
    close (query->fd);
    lookup->n_pending--;
  }
  query->fd = -1;
}

static void
lookup_free (MilterManagerDnsblLookup *lookup)
{
  for (guint i = 0; i < lookup->n_queries; i++)
    close_query (lookup, &lookup->queries[i]);
  if (lookup->timeout_id)
    milter_event_loop_remove (lookup->loop, lookup->timeout_id);
  if (lookup->idle_id)
    milter_event_loop_remove (lookup->loop, lookup->idle_id);
  g_object_unref (lookup->loop);
  g_free (lookup->queries);
  g_free (lookup->zones);
  g_free (lookup);
}

/* The one call of done; the lookup is gone afterwards. */
static void
finish (MilterManagerDnsblLookup *lookup, const MilterManagerDnsblZone *listed)
{
  MilterManagerDnsblDone done = lookup->done;
  gpointer user_data = lookup->user_data;
  gchar name[MILTER_MANAGER_DNSBL_MAX_NAME + 1] = "";

  if (listed)
    g_strlcpy (name, listed->name, sizeof (name));
  lookup_free (lookup);
  done (listed ? name : NULL, user_data);
}

static gboolean
on_answer (gint fd, GIOCondition condition, gpointer user_data)
{
  Query *query = user_data;
  MilterManagerDnsblLookup *lookup = query->lookup;
  const MilterManagerDnsblZone *zone = &lookup->zones[query->index];
  guint8 packet[MAX_PACKET];
  guint32 addresses[MAX_ANSWERS];
  g_autoptr (GError) error = NULL;
  gint n = -1;

  (void) condition;
  gssize size = recv (fd, packet, sizeof (packet), 0);
  if (size < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  /* A stray datagram (another id, not a response): keep waiting. */
  if (size >= 0 && (size < 3 || read16 (packet) != query->id || !(packet[2] & 0x80)))
    return G_SOURCE_CONTINUE;
  if (size < 0)
    g_set_error (&error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_DNS,
                 "receiving the answer: %s", g_strerror (errno));
  else
    n = milter_manager_dns_parse_answers (packet, (gsize) size, query->id,
                                          addresses, MAX_ANSWERS, &error);
  if (n < 0)
    milter_debug (0, "[dnsbl][error] %s: %s", zone->name, error->message);

  query->watch = 0;              /* removed by returning FALSE */
  close_query (lookup, query);
  if (n > 0 && milter_manager_dnsbl_zone_matches (zone, addresses, (guint) n))
    finish (lookup, zone);
  else if (lookup->n_pending == 0)
    finish (lookup, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer user_data)
{
  MilterManagerDnsblLookup *lookup = user_data;

  lookup->timeout_id = 0;
  for (guint i = 0; i < lookup->n_queries; i++)
    if (lookup->queries[i].fd >= 0)
      milter_debug (0, "[dnsbl][timeout] %s", lookup->zones[i].name);
  finish (lookup, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_nothing_sent (gpointer user_data)
{
  MilterManagerDnsblLookup *lookup = user_data;

  lookup->idle_id = 0;
  finish (lookup, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
name_server_address (const gchar *name_server, struct sockaddr_storage *address,
                     socklen_t *length, GError **error)
{
  g_autofree gchar *from_file = NULL;
  if (!name_server) {
    g_autofree gchar *text = NULL;
    if (g_file_get_contents ("/etc/resolv.conf", &text, NULL, NULL))
      from_file = milter_manager_dns_name_server_from_resolv_conf (text);
    name_server = from_file ? from_file : "127.0.0.1";
  }
  g_autoptr (GSocketConnectable) connectable =
    g_network_address_parse (name_server, DNS_PORT, NULL);
  const gchar *host = connectable ?
    g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)) : NULL;
  g_autoptr (GInetAddress) inet = host ? g_inet_address_new_from_string (host) : NULL;
  if (!inet)
    return invalid (error, "invalid DNS name server (ADDRESS[:PORT], [IPV6]:PORT)",
                    name_server);
  g_autoptr (GSocketAddress) socket_address =
    g_inet_socket_address_new (inet, g_network_address_get_port (G_NETWORK_ADDRESS (connectable)));
  *length = (socklen_t) g_socket_address_get_native_size (socket_address);
  return g_socket_address_to_native (socket_address, address, sizeof (*address), error);
}

static gboolean
send_query (MilterManagerDnsblLookup *lookup, Query *query, guint32 client_address,
            const struct sockaddr_storage *server, socklen_t server_length, GError **error)
{
  guint8 packet[MAX_PACKET];
  g_autofree gchar *name =
    milter_manager_dnsbl_query_name (client_address, lookup->zones[query->index].name);
  gsize size = milter_manager_dns_encode_query (query->id, name, packet, sizeof (packet), error);
  if (size == 0)
    return FALSE;
  gint fd = socket (server->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (const struct sockaddr *) server, server_length) < 0 ||
      send (fd, packet, size, 0) != (gssize) size) {
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_DNS,
                 "sending the query for %s: %s", name, g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return FALSE;
  }
  query->fd = fd;
  lookup->n_pending++;
  query->watch = milter_event_loop_watch_io (lookup->loop, fd, G_IO_IN | G_IO_ERR | G_IO_HUP,
                                             on_answer, query, NULL);
  return TRUE;
}

MilterManagerDnsblLookup *
milter_manager_dnsbl_lookup_start (MilterEventLoop *loop, const gchar *name_server,
                                   guint32 client_address,
                                   const MilterManagerDnsblZone *zones, guint n_zones,
                                   gdouble timeout, MilterManagerDnsblDone done,
                                   gpointer user_data, GError **error)
{
  struct sockaddr_storage server;
  socklen_t server_length = 0;

  g_return_val_if_fail (MILTER_IS_EVENT_LOOP (loop) && done, NULL);
  if (!name_server_address (name_server, &server, &server_length, error))
    return NULL;

  MilterManagerDnsblLookup *lookup = g_new0 (MilterManagerDnsblLookup, 1);
  lookup->loop = g_object_ref (loop);
  lookup->zones = g_memdup2 (zones, sizeof (*zones) * n_zones);
  lookup->queries = g_new0 (Query, n_zones);
  lookup->n_queries = n_zones;
  lookup->done = done;
  lookup->user_data = user_data;
  for (guint i = 0; i < n_zones; i++) {
    Query *query = &lookup->queries[i];
    g_autoptr (GError) send_error = NULL;

    query->lookup = lookup;
    query->index = i;
    query->fd = -1;
    query->id = (guint16) g_random_int_range (0, 0x10000);
    if (!send_query (lookup, query, client_address, &server, server_length, &send_error))
      milter_debug (0, "[dnsbl][error] %s: %s", zones[i].name, send_error->message);
  }
  /* done is never called from inside start. */
  if (lookup->n_pending == 0)
    lookup->idle_id = milter_event_loop_add_idle (loop, on_nothing_sent, lookup, NULL);
  else
    lookup->timeout_id = milter_event_loop_add_timeout (loop, timeout, on_timeout, lookup, NULL);
  return lookup;
}

void
milter_manager_dnsbl_lookup_cancel (MilterManagerDnsblLookup *lookup)
{
  if (lookup)
    lookup_free (lookup);
}

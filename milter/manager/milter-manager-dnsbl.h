/*
 * milter-manager-dnsbl - DNS blocklist lookups that never block the event
 * loop (applicable-conditions.md §5.8)
 *
 * SYNOPSIS
 *   MilterManagerDnsblZone zones[2];
 *   milter_manager_dnsbl_zone_parse ("zen.spamhaus.org", "127.0.0.10/31", &zones[0], &error);
 *   milter_manager_dnsbl_zone_parse ("bl.spamcop.net", "127.0.0.2", &zones[1], &error);
 *   MilterManagerDnsblLookup *lookup =
 *     milter_manager_dnsbl_lookup_start (loop, NULL, client_ipv4, zones, 2, 5.0,
 *                                        on_done, data, &error);
 *   ...  on_done (listed_zone_or_NULL, data) is called once, from the loop
 *   milter_manager_dnsbl_lookup_cancel (lookup);   before that, if needed
 *
 * DESCRIPTION
 *   The client's IPv4 address, reversed, is looked up (type A) under
 *   every zone at once, each query on its own UDP socket watched by the
 *   event loop. The client is listed as soon as one zone's answer
 *   matches: any address when the zone has no expected value, else an
 *   address inside the expected address or network. A zone that does not
 *   answer within the timeout counts as "not listed", so a dead resolver
 *   costs the session at most the timeout and never stalls other
 *   sessions.
 *
 *   The name server is "ADDRESS" or "ADDRESS:PORT" ("[ADDRESS]:PORT" for
 *   IPv6); NULL takes the first nameserver of /etc/resolv.conf (else
 *   127.0.0.1), port 53.
 *
 *   The DNS message rules (query encoding, answer parsing, matching,
 *   resolv.conf) are pure functions, declared here for their tests.
 *
 * DIAGNOSTICS
 *   MILTER_MANAGER_ERROR_INVALID_VALUE for a bad zone, expected value or
 *   name server; MILTER_MANAGER_ERROR_DNS for a socket that cannot be
 *   made or an undecodable answer (a lookup then counts as not listed).
 *   debug [dnsbl][timeout] ZONE, [dnsbl][error] ZONE: WHY.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-event-loop.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_DNSBL_MAX_NAME 255

typedef struct {
  gchar name[MILTER_MANAGER_DNSBL_MAX_NAME + 1];
  gboolean has_expected;
  guint32 expected;        /* host order */
  guint expected_prefix;   /* 0..32 */
} MilterManagerDnsblZone;

gboolean milter_manager_dnsbl_zone_parse (const gchar *name,
                                          const gchar *expected,
                                          MilterManagerDnsblZone *zone,
                                          GError **error);
gboolean milter_manager_dnsbl_zone_matches (const MilterManagerDnsblZone *zone,
                                            const guint32 *addresses,
                                            guint n_addresses);

/* "4.3.2.1.ZONE" for 1.2.3.4 (address in host order). */
gchar *milter_manager_dnsbl_query_name (guint32 address, const gchar *zone);
/* A recursive query for NAME type A class IN into buffer: its size, or 0
 * (with error) when NAME is not a valid domain name or does not fit. */
gsize milter_manager_dns_encode_query (guint16 id,
                                       const gchar *name,
                                       guint8 *buffer,
                                       gsize size,
                                       GError **error);
/* The A records of an answer to query ID (host order) into addresses (at
 * most max): their number, 0 for a name that does not exist or has no
 * such record, -1 (with error) for a packet that is not such an answer. */
gint milter_manager_dns_parse_answers (const guint8 *packet,
                                       gsize size,
                                       guint16 id,
                                       guint32 *addresses,
                                       guint max,
                                       GError **error);
/* The first "nameserver" of a resolv.conf text, or NULL. */
gchar *milter_manager_dns_name_server_from_resolv_conf (const gchar *text);

typedef struct _MilterManagerDnsblLookup MilterManagerDnsblLookup;
typedef void (*MilterManagerDnsblDone) (const gchar *listed_zone, gpointer user_data);

MilterManagerDnsblLookup *
milter_manager_dnsbl_lookup_start (MilterEventLoop *loop,
                                   const gchar *name_server,
                                   guint32 client_address,
                                   const MilterManagerDnsblZone *zones,
                                   guint n_zones,
                                   gdouble timeout,
                                   MilterManagerDnsblDone done,
                                   gpointer user_data,
                                   GError **error);
void milter_manager_dnsbl_lookup_cancel (MilterManagerDnsblLookup *lookup);

G_END_DECLS

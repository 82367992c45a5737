/*
 * milter-connection-spec - parse and format milter socket specs
 *
 * SYNOPSIS
 *   MilterConnectionSpec *milter_connection_spec_parse (const gchar *text,
 *                                                      &error);
 *   MilterConnectionSpec *milter_connection_spec_copy (spec);
 *   void milter_connection_spec_free (MilterConnectionSpec *spec);
 *   gchar *milter_connection_spec_to_string (spec);
 *   GSocketAddress *milter_connection_spec_to_socket_address (spec, &error);
 *   gboolean milter_connection_spec_to_native (spec, &address, &length,
 *                                              &error);
 *
 * DESCRIPTION
 *   A connection spec names where a milter listens. Accepted forms:
 *
 *   unix:PATH, local:PATH       a unix socket; PATH absolute or relative
 *   inet:PORT                   IPv4, any address
 *   inet:PORT@HOST              libmilter form; HOST a name or an IPv4
 *   inet:PORT@[ADDR]            address, brackets optional
 *   inet6:PORT                  IPv6, any address
 *   inet6:PORT@HOST             HOST a name or an IPv6 address,
 *   inet6:PORT@[ADDR]           brackets optional
 *   inet:HOST:PORT              Postfix form; an IPv6 address must be in
 *   inet:[ADDR]:PORT            brackets and makes the spec inet6, since
 *                               Postfix's inet: means any family
 *
 *   Protocol names are case-insensitive. PORT is decimal, 1-65535; service
 *   names ("smtp") are refused, so that a spec means the same on every
 *   host whatever its /etc/services says.
 *
 *   to_string gives the canonical libmilter form: "unix:PATH",
 *   "inet:PORT[@HOST]", "inet6:PORT[@HOST]", IPv6 addresses in brackets,
 *   IPv4 addresses without. Addresses are stored normalised ("::1", not
 *   "0:0:0:0:0:0:0:1") and without brackets; host names as written.
 *
 *   to_socket_address turns a spec into an address to bind or connect to;
 *   to_native into the sockaddr itself, the same bytes, without the GIO
 *   objects for a unix path or a numeric address (a connection per child
 *   per session is made from it).
 *   A host name is resolved synchronously (see the .c file).
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_CONNECTION_SPEC_ERROR and quote the spec, e.g.
 *   "invalid connection spec 'inet:99999@localhost': port 99999 is out of
 *   range 1-65535": an empty spec or no protocol, an unknown protocol, an
 *   empty or too long path, a missing, non-numeric or out-of-range port,
 *   text after the port, an empty host, unbalanced brackets, an address of
 *   the wrong family; from to_socket_address, a host that does not resolve
 *   to an address of the spec's family.
 */
#pragma once

#include <sys/socket.h>

#include <gio/gio.h>

G_BEGIN_DECLS

#define MILTER_CONNECTION_SPEC_ERROR (milter_connection_spec_error_quark ())
GQuark milter_connection_spec_error_quark (void);

typedef enum {
  MILTER_CONNECTION_SPEC_ERROR_INVALID_FORMAT,
  MILTER_CONNECTION_SPEC_ERROR_UNKNOWN_PROTOCOL,
  MILTER_CONNECTION_SPEC_ERROR_INVALID_PATH,
  MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT,
  MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
  MILTER_CONNECTION_SPEC_ERROR_RESOLVE_FAILED
} MilterConnectionSpecError;

typedef enum {
  MILTER_CONNECTION_SPEC_TYPE_UNIX,
  MILTER_CONNECTION_SPEC_TYPE_INET,
  MILTER_CONNECTION_SPEC_TYPE_INET6
} MilterConnectionSpecType;

typedef struct {
  MilterConnectionSpecType type;
  gchar *path;    /* unix only */
  gchar *host;    /* inet and inet6; NULL means any address */
  guint16 port;   /* inet and inet6 */
} MilterConnectionSpec;

#define MILTER_TYPE_CONNECTION_SPEC (milter_connection_spec_get_type ())
GType milter_connection_spec_get_type (void);

MilterConnectionSpec *milter_connection_spec_parse (const gchar *text,
                                                    GError **error);
MilterConnectionSpec *
milter_connection_spec_copy (const MilterConnectionSpec *spec);
void milter_connection_spec_free (MilterConnectionSpec *spec);
gchar *milter_connection_spec_to_string (const MilterConnectionSpec *spec);
gboolean milter_connection_spec_to_native (const MilterConnectionSpec *spec,
                                           struct sockaddr_storage *address,
                                           socklen_t *length,
                                           GError **error);
GSocketAddress *
milter_connection_spec_to_socket_address (const MilterConnectionSpec *spec,
                                          GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterConnectionSpec,
                               milter_connection_spec_free)

G_END_DECLS

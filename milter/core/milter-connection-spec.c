/*
 * milter-connection-spec - parse and format milter socket specs
 *
 * Parsing is a pure function of the text: split off the protocol, then
 * the inet part into port and host text (libmilter's PORT@HOST or
 * Postfix's HOST:PORT), then check each piece on its own so that every
 * error can say which piece is wrong.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <glib.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include <milter/core/milter-connection-spec.h>

G_DEFINE_QUARK (milter-connection-spec-error-quark, milter_connection_spec_error)

G_DEFINE_BOXED_TYPE (MilterConnectionSpec, milter_connection_spec,
                     milter_connection_spec_copy, milter_connection_spec_free)

#define EXPECTED_PROTOCOLS "expected unix:, local:, inet: or inet6:"

/* Longest path a sockaddr_un can hold, leaving room for the NUL. */
#define MAX_UNIX_PATH_LENGTH (sizeof (((struct sockaddr_un *) NULL)->sun_path) - 1)

static void
spec_error (GError **error, MilterConnectionSpecError code, const gchar *text,
            const gchar *format, ...) G_GNUC_PRINTF (4, 5);

static void
spec_error (GError **error, MilterConnectionSpecError code, const gchar *text,
            const gchar *format, ...)
{
  g_autofree gchar *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, MILTER_CONNECTION_SPEC_ERROR, code,
               "invalid connection spec '%s': %s", text, detail);
}

static const gchar *
protocol_name (MilterConnectionSpecType type)
{
  switch (type) {
  case MILTER_CONNECTION_SPEC_TYPE_UNIX:
    return "unix";
  case MILTER_CONNECTION_SPEC_TYPE_INET:
    return "inet";
  case MILTER_CONNECTION_SPEC_TYPE_INET6:
    return "inet6";
  default:
    return "unknown";
  }
}

static gboolean
parse_port (const gchar *text, const gchar *port, gsize length,
            guint16 *result, GError **error)
{
  g_autofree gchar *port_text = g_strndup (port, length);
  gsize digits = 0;
  guint64 value = 0;

  if (length == 0) {
    spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT, text,
                "missing port");
    return FALSE;
  }
  while (digits < length && g_ascii_isdigit (port[digits])) {
    /* Saturate: the range check below reports the text anyway. */
    if (value <= 65535)
      value = value * 10 + (guint64) (port[digits] - '0');
    digits++;
  }
  if (digits == 0) {
    spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT, text,
                "port '%s' is not a decimal number (service names are not "
                "supported)", port_text);
    return FALSE;
  }
  if (digits < length) {
    g_autofree gchar *number = g_strndup (port, digits);

    spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT, text,
                "unexpected '%s' after port %s", port_text + digits, number);
    return FALSE;
  }
  if (value < 1 || value > 65535) {
    spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT, text,
                "port %s is out of range 1-65535", port_text);
    return FALSE;
  }
  *result = (guint16) value;
  return TRUE;
}

static gboolean
is_host_name_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_';
}

/* Checks host text (brackets allowed) and stores the host without
 * brackets, addresses normalised. allow_ipv6_in_inet is Postfix's
 * family-agnostic inet:; it turns *type into inet6. */
static gboolean
parse_host (const gchar *text, const gchar *host, gsize length,
            MilterConnectionSpecType *type, gboolean allow_ipv6_in_inet,
            gchar **result, GError **error)
{
  g_autofree gchar *host_text = g_strndup (host, length);
  g_autofree gchar *inner = NULL;
  g_autoptr (GInetAddress) address = NULL;
  gboolean bracketed = FALSE;
  gsize i;

  if (length == 0) {
    spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                "empty host");
    return FALSE;
  }
  if (host[0] == '[') {
    const gchar *close = memchr (host, ']', length);

    if (!close) {
      spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                  "unbalanced brackets in host '%s'", host_text);
      return FALSE;
    }
    if (close != host + length - 1) {
      spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                  "unexpected '%s' after ']' in host '%s'",
                  host_text + (close - host) + 1, host_text);
      return FALSE;
    }
    inner = g_strndup (host + 1, length - 2);
    bracketed = TRUE;
  } else {
    if (memchr (host, ']', length) || memchr (host, '[', length)) {
      spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                  "unbalanced brackets in host '%s'", host_text);
      return FALSE;
    }
    inner = g_strdup (host_text);
  }

  address = g_inet_address_new_from_string (inner);
  if (!address) {
    if (bracketed) {
      spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                  "'%s' in brackets is not an IP address", inner);
      return FALSE;
    }
    for (i = 0; inner[i]; i++) {
      if (!is_host_name_char (inner[i])) {
        spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                    "host '%s' is neither an IP address nor a host name",
                    inner);
        return FALSE;
      }
    }
    *result = g_steal_pointer (&inner);
    return TRUE;
  }

  switch (g_inet_address_get_family (address)) {
  case G_SOCKET_FAMILY_IPV4:
    if (*type == MILTER_CONNECTION_SPEC_TYPE_INET6) {
      spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                  "IPv4 address '%s' in an inet6: spec (use inet:)", inner);
      return FALSE;
    }
    break;
  case G_SOCKET_FAMILY_IPV6:
    if (*type == MILTER_CONNECTION_SPEC_TYPE_INET) {
      if (!allow_ipv6_in_inet) {
        /* libmilter's inet: is AF_INET only. */
        spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                    "IPv6 address '%s' in an inet: spec (use inet6:)", inner);
        return FALSE;
      }
      *type = MILTER_CONNECTION_SPEC_TYPE_INET6;
    }
    break;
  case G_SOCKET_FAMILY_INVALID:
  case G_SOCKET_FAMILY_UNIX:
  default:
    spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                "'%s' is not an IP address", inner);
    return FALSE;
  }
  *result = g_inet_address_to_string (address);
  return TRUE;
}

static MilterConnectionSpec *
parse_unix (const gchar *text, const gchar *path, GError **error)
{
  MilterConnectionSpec *spec;
  gsize length = strlen (path);

  if (length == 0) {
    spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_PATH, text,
                "empty path");
    return NULL;
  }
  /* A longer path would be truncated silently by some systems. */
  if (length > MAX_UNIX_PATH_LENGTH) {
    spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_PATH, text,
                "path is %" G_GSIZE_FORMAT " bytes long, a unix socket path "
                "can hold at most %" G_GSIZE_FORMAT,
                length, (gsize) MAX_UNIX_PATH_LENGTH);
    return NULL;
  }
  spec = g_new0 (MilterConnectionSpec, 1);
  spec->type = MILTER_CONNECTION_SPEC_TYPE_UNIX;
  spec->path = g_strdup (path);
  return spec;
}

static MilterConnectionSpec *
parse_inet (const gchar *text, const gchar *rest,
            MilterConnectionSpecType type, GError **error)
{
  g_autoptr (MilterConnectionSpec) spec = g_new0 (MilterConnectionSpec, 1);
  const gchar *at = strchr (rest, '@');
  const gchar *port = rest;
  gsize port_length = strlen (rest);
  const gchar *host = NULL;
  gsize host_length = 0;
  gboolean postfix_form = FALSE;

  if (at) {
    /* libmilter: PORT@HOST */
    port_length = (gsize) (at - rest);
    host = at + 1;
    host_length = strlen (host);
    if (host_length == 0) {
      spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                  "empty host after '@'");
      return NULL;
    }
  } else if (rest[0] == '[') {
    /* Postfix: [ADDR]:PORT */
    const gchar *close = strchr (rest, ']');

    if (!close) {
      spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                  "unbalanced brackets in '%s'", rest);
      return NULL;
    }
    if (close[1] != ':') {
      if (close[1])
        spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_FORMAT, text,
                    "expected ':' after ']', not '%s'", close + 1);
      else
        spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_PORT, text,
                    "missing port after ']'");
      return NULL;
    }
    host = rest;
    host_length = (gsize) (close - rest) + 1;
    port = close + 2;
    port_length = strlen (port);
    postfix_form = TRUE;
  } else if (strchr (rest, ':')) {
    /* Postfix: HOST:PORT */
    const gchar *colon = strrchr (rest, ':');

    host = rest;
    host_length = (gsize) (colon - rest);
    port = colon + 1;
    port_length = strlen (port);
    postfix_form = TRUE;
    if (memchr (host, ']', host_length)) {
      spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                  "unbalanced brackets in '%s'", rest);
      return NULL;
    }
    if (memchr (host, ':', host_length)) {
      g_autofree gchar *host_text = g_strndup (host, host_length);

      spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST, text,
                  "IPv6 address '%s' must be in brackets: [%s]:PORT",
                  host_text, host_text);
      return NULL;
    }
  }

  spec->type = type;
  if (!parse_port (text, port, port_length, &spec->port, error))
    return NULL;
  if (host &&
      !parse_host (text, host, host_length, &spec->type, postfix_form,
                   &spec->host, error))
    return NULL;
  return g_steal_pointer (&spec);
}

MilterConnectionSpec *
milter_connection_spec_parse (const gchar *text, GError **error)
{
  const gchar *colon;
  g_autofree gchar *protocol = NULL;

  if (!text || !text[0]) {
    g_set_error (error, MILTER_CONNECTION_SPEC_ERROR,
                 MILTER_CONNECTION_SPEC_ERROR_INVALID_FORMAT,
                 "connection spec is empty (" EXPECTED_PROTOCOLS ")");
    return NULL;
  }
  colon = strchr (text, ':');
  if (!colon) {
    spec_error (error, MILTER_CONNECTION_SPEC_ERROR_INVALID_FORMAT, text,
                "missing protocol (" EXPECTED_PROTOCOLS ")");
    return NULL;
  }
  protocol = g_strndup (text, (gsize) (colon - text));
  if (g_ascii_strcasecmp (protocol, "unix") == 0 ||
      g_ascii_strcasecmp (protocol, "local") == 0)
    return parse_unix (text, colon + 1, error);
  if (g_ascii_strcasecmp (protocol, "inet") == 0)
    return parse_inet (text, colon + 1, MILTER_CONNECTION_SPEC_TYPE_INET,
                       error);
  if (g_ascii_strcasecmp (protocol, "inet6") == 0)
    return parse_inet (text, colon + 1, MILTER_CONNECTION_SPEC_TYPE_INET6,
                       error);
  g_set_error (error, MILTER_CONNECTION_SPEC_ERROR,
               MILTER_CONNECTION_SPEC_ERROR_UNKNOWN_PROTOCOL,
               "unknown protocol '%s' in connection spec '%s' ("
               EXPECTED_PROTOCOLS ")", protocol, text);
  return NULL;
}

MilterConnectionSpec *
milter_connection_spec_copy (const MilterConnectionSpec *spec)
{
  MilterConnectionSpec *copy = g_new0 (MilterConnectionSpec, 1);

  copy->type = spec->type;
  copy->path = g_strdup (spec->path);
  copy->host = g_strdup (spec->host);
  copy->port = spec->port;
  return copy;
}

void
milter_connection_spec_free (MilterConnectionSpec *spec)
{
  if (!spec)
    return;
  g_free (spec->path);
  g_free (spec->host);
  g_free (spec);
}

gchar *
milter_connection_spec_to_string (const MilterConnectionSpec *spec)
{
  if (spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX)
    return g_strconcat ("unix:", spec->path ? spec->path : "", NULL);
  if (!spec->host)
    return g_strdup_printf ("%s:%u", protocol_name (spec->type), spec->port);
  /* Only an IPv6 address contains ':'; brackets keep it readable. */
  if (strchr (spec->host, ':'))
    return g_strdup_printf ("%s:%u@[%s]", protocol_name (spec->type),
                            spec->port, spec->host);
  return g_strdup_printf ("%s:%u@%s", protocol_name (spec->type),
                          spec->port, spec->host);
}

/* Resolves a host name synchronously. This blocks, which is acceptable
 * only because specs are turned into addresses at start-up and on
 * reload, never in the event loop. */
static GInetAddress *
resolve (const MilterConnectionSpec *spec, GSocketFamily family,
         GError **error)
{
  g_autoptr (GResolver) resolver = g_resolver_get_default ();
  g_autoptr (GError) lookup_error = NULL;
  g_autofree gchar *text = milter_connection_spec_to_string (spec);
  GList *addresses;
  GList *node;
  GInetAddress *found = NULL;

  addresses = g_resolver_lookup_by_name_with_flags (
    resolver, spec->host,
    family == G_SOCKET_FAMILY_IPV4 ? G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY
                                   : G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY,
    NULL, &lookup_error);
  if (!addresses) {
    if (lookup_error)
      g_propagate_prefixed_error (error, g_steal_pointer (&lookup_error),
                                  "cannot resolve host '%s' in connection "
                                  "spec '%s': ", spec->host, text);
    else
      g_set_error (error, MILTER_CONNECTION_SPEC_ERROR,
                   MILTER_CONNECTION_SPEC_ERROR_RESOLVE_FAILED,
                   "cannot resolve host '%s' in connection spec '%s': "
                   "no address", spec->host, text);
    return NULL;
  }
  /* The flags should already restrict the family; check anyway, since a
   * custom resolver may ignore them. */
  for (node = addresses; node; node = node->next) {
    if (g_inet_address_get_family (node->data) == family) {
      found = g_object_ref (node->data);
      break;
    }
  }
  g_resolver_free_addresses (addresses);
  if (!found)
    g_set_error (error, MILTER_CONNECTION_SPEC_ERROR,
                 MILTER_CONNECTION_SPEC_ERROR_RESOLVE_FAILED,
                 "host '%s' in connection spec '%s' has no %s address",
                 spec->host, text,
                 family == G_SOCKET_FAMILY_IPV4 ? "IPv4" : "IPv6");
  return found;
}

GSocketAddress *
milter_connection_spec_to_socket_address (const MilterConnectionSpec *spec,
                                          GError **error)
{
  g_autoptr (GInetAddress) address = NULL;
  GSocketFamily family;

  if (spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX)
    return g_unix_socket_address_new (spec->path);

  family = spec->type == MILTER_CONNECTION_SPEC_TYPE_INET6
    ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4;
  if (!spec->host) {
    address = g_inet_address_new_any (family);
  } else {
    address = g_inet_address_new_from_string (spec->host);
    if (address && g_inet_address_get_family (address) != family) {
      /* Only a spec built by hand gets here; parse refuses it. */
      g_autofree gchar *text = milter_connection_spec_to_string (spec);

      g_set_error (error, MILTER_CONNECTION_SPEC_ERROR,
                   MILTER_CONNECTION_SPEC_ERROR_INVALID_HOST,
                   "address '%s' does not match the family of connection "
                   "spec '%s'", spec->host, text);
      return NULL;
    }
    if (!address)
      address = resolve (spec, family, error);
    if (!address)
      return NULL;
  }
  return g_inet_socket_address_new (address, spec->port);
}

gboolean
milter_connection_spec_to_native (const MilterConnectionSpec *spec,
                                  struct sockaddr_storage *address,
                                  socklen_t *length,
                                  GError **error)
{
  g_autoptr (GSocketAddress) socket_address = NULL;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (address != NULL && length != NULL, FALSE);

  memset (address, 0, sizeof (*address));
  if (spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX) {
    struct sockaddr_un *un = (struct sockaddr_un *) address;

    /* parse refuses longer paths; GIO's size is the whole struct. */
    if (strlen (spec->path) < sizeof (un->sun_path)) {
      un->sun_family = AF_UNIX;
      strcpy (un->sun_path, spec->path);
      *length = (socklen_t) sizeof (*un);
      return TRUE;
    }
  } else if (spec->type == MILTER_CONNECTION_SPEC_TYPE_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *) address;

    /* The any address is all zeros. */
    if (!spec->host || inet_pton (AF_INET, spec->host, &in->sin_addr) == 1) {
      in->sin_family = AF_INET;
      in->sin_port = htons (spec->port);
      *length = (socklen_t) sizeof (*in);
      return TRUE;
    }
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) address;

    if (!spec->host ||
        inet_pton (AF_INET6, spec->host, &in6->sin6_addr) == 1) {
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons (spec->port);
      *length = (socklen_t) sizeof (*in6);
      return TRUE;
    }
  }
  /* A host name to resolve (or a spec built by hand): through GIO. */
  memset (address, 0, sizeof (*address));
  socket_address = milter_connection_spec_to_socket_address (spec, error);
  if (!socket_address)
    return FALSE;
  *length = (socklen_t) g_socket_address_get_native_size (socket_address);
  return g_socket_address_to_native (socket_address, address,
                                     sizeof (*address), error);
}

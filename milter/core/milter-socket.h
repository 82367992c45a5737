/*
 * milter-socket - descriptor set-up, listen, accept and connect helpers
 *
 * SYNOPSIS
 *   gboolean milter_socket_prepare (gint fd, GError **error);
 *   gboolean milter_socket_set_nonblocking (gint fd, gboolean nonblocking,
 *                                           GError **error);
 *   gboolean milter_socket_set_cloexec (gint fd, GError **error);
 *   gboolean milter_socket_set_tcp_nodelay (gint fd, GError **error);
 *   gboolean milter_socket_needs_nodelay (gint family, gint type);
 *   gboolean milter_socket_pair (gint fds[2], GError **error);
 *   gint milter_socket_listen (const MilterConnectionSpec *spec, gint backlog,
 *                              GError **error);
 *   gint milter_socket_accept (gint listen_fd, GError **error);
 *   gint milter_socket_connect (const MilterConnectionSpec *spec,
 *                               GError **error);
 *   gboolean milter_socket_finish_connect (gint fd, GError **error);
 *
 * DESCRIPTION
 *   Every descriptor the milter code reads or writes is non-blocking and
 *   close-on-exec (child milters must not inherit sessions), and every
 *   TCP socket has TCP_NODELAY: a reply goes out in one write, and Nagle
 *   would hold the next small write back for the peer's delayed ACK
 *   (~40 ms on loopback). milter_socket_prepare() does all of this for
 *   an fd from elsewhere; the functions below that create descriptors
 *   do it themselves. milter_socket_needs_nodelay() is the rule.
 *
 *   milter_socket_listen() binds with SO_REUSEADDR for TCP; an existing
 *   unix socket file is not removed (that is the caller's policy).
 *   milter_socket_connect() starts a non-blocking connect: when it returns
 *   a descriptor the connection may still be in progress; wait until it is
 *   writable, then call milter_socket_finish_connect() for the outcome.
 *   A host name in a spec is resolved synchronously.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_SOCKET_ERROR and carry strerror(3) text:
 *   AGAIN (accept: no pending connection), NO_DESCRIPTORS (EMFILE/ENFILE:
 *   out of descriptors, so the caller can suspend accepting), FAILED
 *   (anything else), and SPEC errors from the connection spec are passed
 *   through as they are.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-connection-spec.h>

G_BEGIN_DECLS

#define MILTER_SOCKET_ERROR (milter_socket_error_quark ())
GQuark milter_socket_error_quark (void);

typedef enum {
  MILTER_SOCKET_ERROR_FAILED,
  MILTER_SOCKET_ERROR_AGAIN,
  MILTER_SOCKET_ERROR_NO_DESCRIPTORS
} MilterSocketError;

gboolean milter_socket_needs_nodelay (gint family, gint type);

gboolean milter_socket_set_nonblocking (gint fd,
                                        gboolean nonblocking,
                                        GError **error);
gboolean milter_socket_set_cloexec (gint fd, GError **error);
/* Does nothing (successfully) for a socket that is not TCP. */
gboolean milter_socket_set_tcp_nodelay (gint fd, GError **error);
gboolean milter_socket_prepare (gint fd, GError **error);

/* A connected AF_UNIX stream pair, both ends prepared. */
gboolean milter_socket_pair (gint fds[2], GError **error);

gint milter_socket_listen (const MilterConnectionSpec *spec,
                           gint backlog,
                           GError **error);
gint milter_socket_accept (gint listen_fd, GError **error);
gint milter_socket_connect (const MilterConnectionSpec *spec, GError **error);
gboolean milter_socket_finish_connect (gint fd, GError **error);

G_END_DECLS

/*
 * milter-socket - descriptor set-up, listen, accept and connect helpers
 *
 * SYNOPSIS
 *   gboolean milter_socket_prepare (gint fd, GError **error);
 *   gboolean milter_socket_set_nonblocking (gint fd, gboolean nonblocking,
 *                                           GError **error);
 *   gboolean milter_socket_set_cloexec (gint fd, GError **error);
 *   gboolean milter_socket_set_tcp_nodelay (gint fd, GError **error);
 *   gboolean milter_socket_nodelay_needed (gint fd, &needed, &error);
 *   gboolean milter_socket_enable_nodelay (gint fd, GError **error);
 *   gboolean milter_socket_needs_nodelay (gint family, gint type);
 *   gboolean milter_socket_pair (gint fds[2], GError **error);
 *   gint milter_socket_listen (const MilterConnectionSpec *spec, gint backlog,
 *                              GError **error);
 *   gint milter_socket_bind (const MilterConnectionSpec *spec, guint unix_mode,
 *                            GError **error);
 *   MilterSocketUnixAction milter_socket_unix_path_action (found,
 *                                                          remove_stale);
 *   gboolean milter_socket_probe_unix_path (path, &found, &error);
 *   gboolean milter_socket_clear_unix_path (path, remove_stale, &error);
 *   gboolean milter_socket_identify_unix_path (path, &id, &error);
 *   gboolean milter_socket_remove_unix_path (path, &id, &error);
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
 *   milter_socket_bind() is its first half, for a caller with something
 *   to do between bind(2) and listen(2) (set a unix socket's group while
 *   nobody can connect yet). With a unix_mode, the socket file is created
 *   with exactly that mode: the umask is set for the bind(2) call, so the
 *   file never exists with other permissions. (The umask is the
 *   process's: bind before starting threads that create files.)
 *
 *   A unix socket path is only ever removed when it is a socket: what is
 *   there is probed (lstat(2), and connect(2) to a socket) and
 *   milter_socket_unix_path_action() is the rule: a socket nobody listens
 *   on (stale) is removed when the caller allows it; a live socket and
 *   anything that is not a socket (file, directory, symbolic link) are
 *   refused. milter_socket_clear_unix_path() applies it. On close,
 *   milter_socket_remove_unix_path() removes the path only while it is
 *   still the socket identify_unix_path() recorded after bind (same
 *   device, inode and change time; identify after the last chown):
 *   whatever replaced it is not ours.
 *   milter_socket_connect() starts a non-blocking connect: when it returns
 *   a descriptor the connection may still be in progress; wait until it is
 *   writable, then call milter_socket_finish_connect() for the outcome.
 *   A host name in a spec is resolved synchronously.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_SOCKET_ERROR and carry strerror(3) text:
 *   AGAIN (accept: no pending connection), NO_DESCRIPTORS (EMFILE/ENFILE:
 *   out of descriptors, so the caller can suspend accepting), IN_USE (a
 *   live socket at a unix path), NOT_SOCKET (something else there),
 *   REPLACED (the path is no longer our socket), FAILED (anything else);
 *   unix path errors name the path, and SPEC errors from the connection spec are passed
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
  MILTER_SOCKET_ERROR_NO_DESCRIPTORS,
  MILTER_SOCKET_ERROR_IN_USE,
  MILTER_SOCKET_ERROR_NOT_SOCKET,
  MILTER_SOCKET_ERROR_REPLACED
} MilterSocketError;

/* What is at a unix socket path. */
typedef enum {
  MILTER_SOCKET_UNIX_PATH_ABSENT,
  /* A socket nobody listens on (its owner ended without removing it). */
  MILTER_SOCKET_UNIX_PATH_STALE,
  MILTER_SOCKET_UNIX_PATH_LIVE,
  /* A file, directory, symbolic link, ...: never ours to remove. */
  MILTER_SOCKET_UNIX_PATH_NOT_SOCKET
} MilterSocketUnixPath;

/* What to do about it before bind(2). */
typedef enum {
  MILTER_SOCKET_UNIX_BIND,
  MILTER_SOCKET_UNIX_REMOVE_THEN_BIND,
  MILTER_SOCKET_UNIX_REFUSE_IN_USE,
  MILTER_SOCKET_UNIX_REFUSE_NOT_SOCKET
} MilterSocketUnixAction;

/* The file a unix socket was bound to. The change time is part of it:
 * file systems reuse a removed file's inode number at once. */
typedef struct {
  guint64 device;
  guint64 inode;
  gint64 change_sec;
  gint64 change_nsec;
} MilterSocketFileId;

gboolean milter_socket_needs_nodelay (gint family, gint type);

gboolean milter_socket_set_nonblocking (gint fd,
                                        gboolean nonblocking,
                                        GError **error);
gboolean milter_socket_set_cloexec (gint fd, GError **error);
/* Does nothing (successfully) for a socket that is not TCP. */
gboolean milter_socket_set_tcp_nodelay (gint fd, GError **error);
/* *needed: whether fd is a TCP socket (one that wants TCP_NODELAY); a
 * descriptor that is no socket does not. Sockets accepted from one
 * listener share its answer, so an accept loop asks once. */
gboolean milter_socket_nodelay_needed (gint fd, gboolean *needed,
                                       GError **error);
/* TCP_NODELAY on fd, which must be a TCP socket. */
gboolean milter_socket_enable_nodelay (gint fd, GError **error);
gboolean milter_socket_prepare (gint fd, GError **error);

/* A connected AF_UNIX stream pair, both ends prepared. */
gboolean milter_socket_pair (gint fds[2], GError **error);

gint milter_socket_listen (const MilterConnectionSpec *spec,
                           gint backlog,
                           GError **error);
/* Bound, not listening; unix_mode 0 leaves the umask alone. */
gint milter_socket_bind (const MilterConnectionSpec *spec,
                         guint unix_mode,
                         GError **error);

MilterSocketUnixAction milter_socket_unix_path_action (MilterSocketUnixPath found,
                                                       gboolean remove_stale);
gboolean milter_socket_probe_unix_path (const gchar *path,
                                        MilterSocketUnixPath *found,
                                        GError **error);
/* Probes path and applies the rule; TRUE when bind(2) may go ahead. */
gboolean milter_socket_clear_unix_path (const gchar *path,
                                        gboolean remove_stale,
                                        GError **error);
/* The socket file at path (an error when it is not a socket). */
gboolean milter_socket_identify_unix_path (const gchar *path,
                                           MilterSocketFileId *id,
                                           GError **error);
/* Removes path if it is still the socket id; an absent path is fine. */
gboolean milter_socket_remove_unix_path (const gchar *path,
                                         const MilterSocketFileId *id,
                                         GError **error);

gint milter_socket_accept (gint listen_fd, GError **error);
gint milter_socket_connect (const MilterConnectionSpec *spec, GError **error);
gboolean milter_socket_finish_connect (gint fd, GError **error);

G_END_DECLS

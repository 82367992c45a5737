/*
 * milter-manager-controller - the controller socket: listens, serves any
 * number of connections, decodes commands and writes the replies
 * (controller.md §1-§4, §7)
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-controller.h>
 *
 *   MilterManagerController *controller =
 *     milter_manager_controller_new (loop, handle, user_data);
 *   MilterManagerControllerSocket socket = {
 *     .connection_spec = "unix:/run/milter-manager/controller.sock",
 *     .unix_socket_mode = 0660, .unix_socket_group = NULL,
 *     .remove_unix_socket_on_create = TRUE, .remove_unix_socket_on_close = TRUE,
 *   };
 *   milter_manager_controller_listen (controller, &socket, &error);
 *   ...
 *   milter_manager_controller_free (controller);  (closes and unlinks)
 *
 * DESCRIPTION
 *   Created once the event loop exists (the original set it up before,
 *   and its controller never listened). The socket is made with core's
 *   rules, as the client library's listener does: a unix path is
 *   replaced only when it is a stale socket and remove_unix_socket_on_
 *   create allows it; the file gets its mode at bind(2) and its group
 *   before listen(2); on close it is removed, with remove_unix_socket_
 *   on_close, only while it is still the socket bound here.
 *
 *   Every connection is served on its own in the event loop; several
 *   commands may come in one read or on one connection: each gets one
 *   reply, in order, and the replies of one read go out in one write.
 *   The handler makes the reply (word and payload) of each command; it
 *   runs in the loop's thread and may take its time (a reload does).
 *   A packet that cannot be decoded gets an "error" reply naming the
 *   problem, then the connection is closed (§7 #7); nothing else is
 *   affected. When the client closes, the replies still owed are
 *   written, then the connection is freed.
 *
 *   Running out of descriptors at accept(2) suspends accepting for half
 *   a second (the listener stays). A client that stops reading its
 *   replies for a minute is dropped (writer timeout).
 *
 * DIAGNOSTICS (log-catalogue.tsv, module manager)
 *   error [controller][error][listen]   bind(2)/listen(2) failed (also the
 *         error returned by listen(), MILTER_SOCKET_ERROR or
 *         MILTER_MANAGER_CONTROLLER_ERROR_LISTEN)
 *   error [controller][error][unix]     the unix socket's path, group or
 *         mode could not be set, or its file could not be removed on close
 *   error [controller][error][accept]   accept(2) failed
 *   error [controller][error][watch]    the listening socket reported an
 *         error or hang-up: it is dropped
 *   error [controller][error][start]    a connection's reader could not start
 *   error [controller][error][write][success|error|configuration|status]
 *         writing that reply failed
 *   debug [controller][accept] FD: SPEC             a connection
 *   debug [control-command-decoder][WORD] SIZE      a command decoded
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-event-loop.h>
#include <milter/manager/milter-manager-control-codec.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_CONTROLLER_ERROR (milter_manager_controller_error_quark ())
GQuark milter_manager_controller_error_quark (void);

typedef enum {
  MILTER_MANAGER_CONTROLLER_ERROR_LISTEN,
  MILTER_MANAGER_CONTROLLER_ERROR_UNIX_SOCKET
} MilterManagerControllerError;

typedef struct {
  const gchar *connection_spec;
  guint unix_socket_mode;
  const gchar *unix_socket_group;     /* NULL: the process's */
  gboolean remove_unix_socket_on_create;
  gboolean remove_unix_socket_on_close;
} MilterManagerControllerSocket;

typedef struct _MilterManagerController MilterManagerController;

/* Returns the reply word (success, failure, error, configuration or
 * status) and appends its payload to reply. */
typedef MilterManagerControlWord (*MilterManagerControllerHandler) (MilterManagerControlWord command,
                                                                    const guint8 *payload,
                                                                    gsize payload_size,
                                                                    GString *reply,
                                                                    gpointer user_data);

MilterManagerController *milter_manager_controller_new (MilterEventLoop *loop,
                                                        MilterManagerControllerHandler handle,
                                                        gpointer user_data);
/* Logs its failure too ([controller][error][listen] or [...][unix]). */
gboolean milter_manager_controller_listen (MilterManagerController *controller,
                                           const MilterManagerControllerSocket *socket,
                                           GError **error);
/* The listening descriptor (-1 when none). */
gint milter_manager_controller_get_listen_fd (MilterManagerController *controller);
guint milter_manager_controller_get_n_connections (MilterManagerController *controller);
/* Stops listening (removing the unix socket file as configured) and
 * closes every connection. */
void milter_manager_controller_close (MilterManagerController *controller);
void milter_manager_controller_free (MilterManagerController *controller);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerController, milter_manager_controller_free)

G_END_DECLS

/*
 * milter-libmilter-main - smfi_register, the settings, smfi_main and smfi_stop
 *
 * SYNOPSIS
 *   smfi_setconn ("inet:10025@127.0.0.1");
 *   smfi_register (desc);
 *   smfi_opensocket (true);     (optional: bind before dropping privileges)
 *   smfi_main ();               (until smfi_stop() or a signal)
 *
 * DESCRIPTION
 *   The process-wide part of the libmilter API, on MilterClient. As in
 *   libmilter, the settings are plain process state (one milter per
 *   process) and smfi_main() blocks: it runs MilterClient's multi-thread
 *   runner on the socket smfi_opensocket() bound, so sessions run on its
 *   session pool (libmilter's worker-pool model: a session takes a
 *   thread only while a callback runs) and a callback that blocks holds
 *   up its own session only.
 *
 *   Stopping: smfi_stop(), from any thread, and SIGHUP, SIGTERM and SIGINT
 *   (blocked in smfi_main's thread, so in every thread started after it,
 *   and taken by a thread of ours with sigwait(2), as libmilter does)
 *   make a stop pipe readable. The accepting loop then stops accepting
 *   and has each session ended once its callback in progress has
 *   returned (xxfi_abort if a message was in progress, then
 *   xxfi_close); smfi_main() returns MI_SUCCESS when the last session is
 *   over. libmilter itself returns within 5 s and leaves sessions to the
 *   process's exit.
 *
 *   smfi_setdbg() sets the levels of the shared logger (standard error).
 *
 *   Connection specs: libmilter's "unix:PATH", "local:PATH", a bare path,
 *   "inet:PORT[@HOST]", "inet6:PORT[@HOST]". A unix socket file is
 *   removed at the end while it is still ours; smfi_opensocket(true)
 *   removes a stale one first (a live one is never taken over).
 *
 * DIAGNOSTICS
 *   MI_FAILURE as libmilter: smfi_register with an unknown xxfi_version,
 *   smfi_setconn with NULL or "", smfi_setbacklog below 1, smfi_main or
 *   smfi_opensocket before smfi_register/smfi_setconn or when the socket
 *   cannot be set up; logged as [libmilter][register][error],
 *   [libmilter][socket][error] and [libmilter][main][error].
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-socket.h>
#include <milter/client/milter-client.h>
#include <libmilter/milter-libmilter-private.h>
#include <libmilter/milter-libmilter-rules.h>

/* libmilter's defaults: seconds of silence, and the listen backlog. */
#define DEFAULT_TIMEOUT 7210
#define DEFAULT_BACKLOG SOMAXCONN

static GMutex state_lock;
static struct smfiDesc registered;
static gboolean is_registered;
static gchar *connection_spec;
static int timeout_seconds = DEFAULT_TIMEOUT;
static int backlog = DEFAULT_BACKLOG;
static size_t max_data_size = MILTER_MAX_DATA_SIZE;

/* The socket of smfi_opensocket, and its file while it is ours. */
static gint listen_fd = -1;
static gchar *unix_path;
static MilterSocketFileId unix_id;

static gint stop_pipe[2] = { -1, -1 };

const struct smfiDesc *
_milter_libmilter_desc (void)
{
  return is_registered ? &registered : NULL;
}

int
smfi_register (struct smfiDesc desc)
{
  const char *name = desc.xxfi_name ? desc.xxfi_name : "Unknown";

  if (!milter_libmilter_version_supported (desc.xxfi_version)) {
    milter_error (0, "[libmilter][register][error] %s: version mismatch "
                  "application: %d != milter: %d", name, desc.xxfi_version,
                  (int) SMFI_VERSION);
    return MI_FAILURE;
  }
  g_mutex_lock (&state_lock);
  if (is_registered)
    g_free (registered.xxfi_name);
  registered = desc;
  registered.xxfi_name = g_strdup (name);
  is_registered = TRUE;
  g_mutex_unlock (&state_lock);
  return MI_SUCCESS;
}

int
smfi_setconn (char *spec)
{
  if (!spec || !*spec)
    return MI_FAILURE;
  g_mutex_lock (&state_lock);
  g_free (connection_spec);
  /* libmilter reads a spec without a protocol as a unix socket path. */
  connection_spec = strchr (spec, ':') ? g_strdup (spec) :
                    g_strconcat ("unix:", spec, NULL);
  g_mutex_unlock (&state_lock);
  return MI_SUCCESS;
}

int
smfi_settimeout (int seconds)
{
  timeout_seconds = seconds;
  return MI_SUCCESS;
}

int
smfi_setbacklog (int n)
{
  if (n <= 0)
    return MI_FAILURE;
  backlog = n;
  return MI_SUCCESS;
}

/* libmilter's debug output is our logger's: 0 the default levels, from
 * 1 info and statistics too, from 6 (libmilter's per-command tracing)
 * debug as well. */
int
smfi_setdbg (int level)
{
  MilterLogLevelFlags levels = MILTER_LOG_LEVEL_DEFAULT;

  if (level >= 1)
    levels |= MILTER_LOG_LEVEL_INFO | MILTER_LOG_LEVEL_STATISTICS;
  if (level >= 6)
    levels |= MILTER_LOG_LEVEL_DEBUG;
  milter_logger_set_levels (levels);
  return MI_SUCCESS;
}

size_t
_milter_libmilter_set_max_data_size (size_t size)
{
  size_t previous;

  g_mutex_lock (&state_lock);
  previous = max_data_size;
  max_data_size = size;
  g_mutex_unlock (&state_lock);
  return previous;
}

size_t
smfi_setmaxdatasize (size_t size)
{
  return _milter_libmilter_set_max_data_size (size);
}

int
smfi_version (unsigned int *major, unsigned int *minor,
              unsigned int *patch_level)
{
  if (major)
    *major = SM_LM_VRS_MAJOR (SMFI_VERSION);
  if (minor)
    *minor = SM_LM_VRS_MINOR (SMFI_VERSION);
  if (patch_level)
    *patch_level = SM_LM_VRS_PLVL (SMFI_VERSION);
  return MI_SUCCESS;
}

/* ---- stopping ---- */

static gpointer
make_stop_pipe (gpointer data)
{
  (void) data;
  if (pipe2 (stop_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
    g_error ("libmilter: cannot create the stop pipe: %s", g_strerror (errno));
  return NULL;
}

gint
_milter_libmilter_stop_fd (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, make_stop_pipe, NULL);
  return stop_pipe[0];
}

/* Async-signal-safe once the pipe exists; the byte is never read, so
 * every loop watching the pipe sees it. */
static void
request_stop (void)
{
  static const char byte = 's';

  _milter_libmilter_stop_fd ();
  if (write (stop_pipe[1], &byte, 1) == -1) {
    /* Full: a stop is already pending. */
  }
}

int
smfi_stop (void)
{
  request_stop ();
  return MI_SUCCESS;
}

static gpointer
signal_thread (gpointer data)
{
  sigset_t *signals = data;
  int number;

  for (;;) {
    if (sigwait (signals, &number) == 0)
      request_stop ();
  }
  return NULL;
}

/* libmilter's signal handling: the signals are blocked here (and so in
 * every thread made from now on) and one thread takes them. */
static void
start_signal_thread (void)
{
  static sigset_t signals;
  static gsize started;

  if (!g_once_init_enter (&started))
    return;
  sigemptyset (&signals);
  sigaddset (&signals, SIGHUP);
  sigaddset (&signals, SIGTERM);
  sigaddset (&signals, SIGINT);
  pthread_sigmask (SIG_BLOCK, &signals, NULL);
  _milter_libmilter_stop_fd ();
  g_thread_unref (g_thread_new ("smfi-signals", signal_thread, &signals));
  g_once_init_leave (&started, 1);
}

/* ---- the socket ---- */

static gboolean
open_socket (gboolean remove_stale, GError **error)
{
  g_autoptr (MilterConnectionSpec) spec = NULL;
  g_autofree gchar *path = NULL;
  gint fd;

  if (listen_fd >= 0)
    return TRUE;
  spec = milter_connection_spec_parse (connection_spec, error);
  if (!spec)
    return FALSE;
  if (spec->type == MILTER_CONNECTION_SPEC_TYPE_UNIX) {
    path = g_canonicalize_filename (spec->path, NULL);
    if (!milter_socket_clear_unix_path (path, remove_stale, error))
      return FALSE;
  }
  fd = milter_socket_listen (spec, backlog, error);
  if (fd < 0)
    return FALSE;
  if (path && !milter_socket_identify_unix_path (path, &unix_id, error)) {
    close (fd);
    return FALSE;
  }
  listen_fd = fd;
  unix_path = g_steal_pointer (&path);
  return TRUE;
}

static void
close_socket (void)
{
  g_autoptr (GError) error = NULL;

  if (listen_fd >= 0)
    close (listen_fd);
  listen_fd = -1;
  if (unix_path &&
      !milter_socket_remove_unix_path (unix_path, &unix_id, &error))
    milter_error (0, "[libmilter][socket][error] %s", error->message);
  g_clear_pointer (&unix_path, g_free);
}

int
smfi_opensocket (bool remove_stale)
{
  g_autoptr (GError) error = NULL;
  gboolean opened;

  if (!is_registered || !connection_spec)
    return MI_FAILURE;
  g_mutex_lock (&state_lock);
  opened = open_socket (remove_stale, &error);
  g_mutex_unlock (&state_lock);
  if (!opened) {
    milter_error (0, "[libmilter][socket][error] %s: %s",
                  registered.xxfi_name, error->message);
    return MI_FAILURE;
  }
  return MI_SUCCESS;
}

/* ---- running ---- */

static gboolean
stop_requested (gint fd, GIOCondition condition, gpointer user_data)
{
  (void) fd;
  (void) condition;
  milter_client_shutdown (user_data);
  _milter_libmilter_stop_sessions ();
  return G_SOURCE_REMOVE;
}

int
smfi_main (void)
{
  g_autoptr (MilterClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainContext) main_context = NULL;
  GSource *stop_source;
  gboolean success;

  if (!is_registered)
    return MI_FAILURE;
  signal (SIGPIPE, SIG_IGN);
  if (!connection_spec) {
    milter_error (0, "[libmilter][main][error] %s: missing connection "
                  "information", registered.xxfi_name);
    return MI_FAILURE;
  }
  start_signal_thread ();
  if (smfi_opensocket (false) != MI_SUCCESS)
    return MI_FAILURE;

  client = milter_client_new ();
  milter_client_set_connection_spec (client, connection_spec, NULL);
  milter_client_set_multi_thread (client, TRUE);
  /* The session layer attaches through the context's event table only
   * (milter-libmilter-session.c): finished contexts can be reused. */
  milter_client_set_reuse_contexts (client, TRUE);
  milter_client_set_handle_signals (client, FALSE);
  milter_client_set_session_timeout (client,
                                     timeout_seconds > 0 ? timeout_seconds : 0);
  g_signal_connect (client, "connection-established",
                    G_CALLBACK (_milter_libmilter_session_start), NULL);
  /* The accepting loop is the glib backend on this thread's default
   * context (milter_event_loop_new_by_name). */
  main_context = g_main_context_ref_thread_default ();
  stop_source = g_unix_fd_source_new (_milter_libmilter_stop_fd (), G_IO_IN);
  g_source_set_callback (stop_source, G_SOURCE_FUNC (stop_requested),
                         client, NULL);
  g_source_attach (stop_source, main_context);

  success = milter_client_run_worker (client, listen_fd, &error);
  g_source_destroy (stop_source);
  g_source_unref (stop_source);
  g_mutex_lock (&state_lock);
  close_socket ();
  g_mutex_unlock (&state_lock);
  if (!success) {
    milter_error (0, "[libmilter][main][error] %s: %s", registered.xxfi_name,
                  error->message);
    return MI_FAILURE;
  }
  return MI_SUCCESS;
}

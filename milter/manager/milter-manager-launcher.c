/*
 * milter-manager-launcher.c - launch requests, replies, hold-off and the
 * socket probe on the daemon's side. See milter-manager-launcher.h.
 */
#include "config.h"

#include <unistd.h>

#include <glib-unix.h>

#include <milter/core/milter-connection-spec.h>
#include <milter/core/milter-logger.h>
#include <milter/core/milter-reader.h>
#include <milter/core/milter-socket.h>
#include <milter/core/milter-writer.h>
#include <milter/manager/milter-manager-launch-protocol.h>
#include <milter/manager/milter-manager-launcher.h>

/* ---- rules ---------------------------------------------------------------- */

MilterManagerLaunchAction
milter_manager_launcher_decide (MilterManagerLaunchState state,
                                gdouble since_last,
                                gdouble hold_off,
                                gboolean last_failed)
{
  if (state != MILTER_MANAGER_LAUNCH_STATE_IDLE)
    return MILTER_MANAGER_LAUNCH_ACTION_WAIT;
  if (since_last < 0 || since_last >= hold_off)
    return MILTER_MANAGER_LAUNCH_ACTION_SEND;
  return last_failed ? MILTER_MANAGER_LAUNCH_ACTION_REFUSE :
                       MILTER_MANAGER_LAUNCH_ACTION_PROBE;
}

gdouble
milter_manager_launcher_next_probe_delay (gdouble previous)
{
  if (previous <= 0)
    return MILTER_MANAGER_LAUNCHER_FIRST_PROBE_DELAY;
  return MIN (previous * 2, MILTER_MANAGER_LAUNCHER_MAX_PROBE_DELAY);
}

gchar *
milter_manager_launcher_command_line (const gchar *command, const gchar *options)
{
  if (!command || !command[0])
    return NULL;
  if (options && options[0])
    return g_strconcat (command, " ", options, NULL);
  return g_strdup (command);
}

/* ---- state ------------------------------------------------------------------ */

typedef struct {
  guint id;
  guint64 session_id;
  MilterManagerLauncherReadyFunc func;
  gpointer user_data;
} Waiter;

typedef struct {
  MilterManagerLauncher *launcher;
  gchar *key;
  gchar *command_line;
  gchar *user_name;
  MilterConnectionSpec *spec;
  MilterManagerLaunchState state;
  gint64 replied_at;        /* monotonic, 0: never */
  gchar *failure;           /* the last reply's error message, NULL: success */
  guint refuse_idle;        /* REFUSE: the waiters are failed from the loop */
  GPtrArray *waiters;       /* Waiter */
  /* The probe. */
  gint64 probe_deadline;
  gdouble probe_delay;
  guint probe_timer;
  guint probe_watch;
  gint probe_fd;
} Launch;

struct _MilterManagerLauncher {
  GObject parent_instance;
  MilterEventLoop *loop;
  gint command_fd;
  gint reply_fd;
  MilterWriter *writer;
  MilterReader *reader;
  MilterManagerLaunchDecoder *decoder;
  GByteArray *out;
  GHashTable *launches;     /* key -> Launch */
  GQueue pending;           /* Launch awaiting a reply, in request order */
  guint next_id;
  guint n_requests;
  gboolean dead;
};

G_DEFINE_TYPE (MilterManagerLauncher, milter_manager_launcher, G_TYPE_OBJECT)

static void
stop_probe (Launch *launch)
{
  MilterEventLoop *loop = launch->launcher->loop;

  if (launch->probe_timer)
    milter_event_loop_remove (loop, launch->probe_timer);
  if (launch->probe_watch)
    milter_event_loop_remove (loop, launch->probe_watch);
  if (launch->refuse_idle)
    milter_event_loop_remove (loop, launch->refuse_idle);
  launch->probe_timer = launch->probe_watch = launch->refuse_idle = 0;
  if (launch->probe_fd >= 0)
    close (launch->probe_fd);
  launch->probe_fd = -1;
}

static void
launch_free (gpointer data)
{
  Launch *launch = data;

  stop_probe (launch);
  g_ptr_array_unref (launch->waiters);
  g_free (launch->failure);
  g_free (launch->key);
  g_free (launch->command_line);
  g_free (launch->user_name);
  g_clear_pointer (&launch->spec, milter_connection_spec_free);
  g_free (launch);
}

/* Calls every waiter once; a waiter may start a new launch from its
 * callback, so the list is taken first. */
static void
notify (Launch *launch, gboolean ready, const gchar *message)
{
  g_autoptr (GPtrArray) waiters = launch->waiters;

  launch->waiters = g_ptr_array_new_with_free_func (g_free);
  launch->state = MILTER_MANAGER_LAUNCH_STATE_IDLE;
  for (guint i = 0; i < waiters->len; i++) {
    Waiter *waiter = g_ptr_array_index (waiters, i);

    waiter->func (ready, message, waiter->user_data);
  }
}

/* ---- the probe -------------------------------------------------------------- */

static gboolean probe_cb (gpointer user_data);

static void
probe_again (Launch *launch)
{
  gint64 now = g_get_monotonic_time ();

  if (launch->probe_fd >= 0)
    close (launch->probe_fd);
  launch->probe_fd = -1;
  if (now >= launch->probe_deadline) {
    /* Out of time: the sessions try once anyway, and fail as usual. */
    notify (launch, TRUE, NULL);
    return;
  }
  launch->probe_delay = milter_manager_launcher_next_probe_delay (launch->probe_delay);
  launch->probe_timer = milter_event_loop_add_timeout (launch->launcher->loop,
                                                       launch->probe_delay,
                                                       probe_cb, launch, NULL);
}

static gboolean
probe_connected_cb (gint fd, GIOCondition condition, gpointer user_data)
{
  Launch *launch = user_data;

  (void) condition;
  launch->probe_watch = 0;
  if (milter_socket_finish_connect (fd, NULL)) {
    close (launch->probe_fd);
    launch->probe_fd = -1;
    notify (launch, TRUE, NULL);
  } else {
    probe_again (launch);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
probe_cb (gpointer user_data)
{
  Launch *launch = user_data;

  launch->probe_timer = 0;
  launch->probe_fd = launch->spec ? milter_socket_connect (launch->spec, NULL) : -1;
  if (launch->probe_fd < 0) {
    probe_again (launch);
    return G_SOURCE_REMOVE;
  }
  launch->probe_watch = milter_event_loop_watch_io (launch->launcher->loop,
                                                    launch->probe_fd, G_IO_OUT,
                                                    probe_connected_cb, launch, NULL);
  if (!launch->probe_watch)
    probe_again (launch);
  return G_SOURCE_REMOVE;
}

static void
start_probe (Launch *launch, gdouble bound)
{
  launch->state = MILTER_MANAGER_LAUNCH_STATE_PROBING;
  launch->probe_deadline = g_get_monotonic_time () + (gint64) (bound * G_USEC_PER_SEC);
  launch->probe_delay = 0;
  launch->probe_timer = milter_event_loop_add_timeout (launch->launcher->loop, 0,
                                                       probe_cb, launch, NULL);
}

/* ---- replies ---------------------------------------------------------------- */

static void
fail_all (MilterManagerLauncher *launcher, const gchar *message)
{
  GHashTableIter iter;
  gpointer value;

  g_queue_clear (&launcher->pending);
  g_hash_table_iter_init (&iter, launcher->launches);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    stop_probe (value);
    notify (value, FALSE, message);
  }
}

static void
set_dead (MilterManagerLauncher *launcher)
{
  if (launcher->dead)
    return;
  launcher->dead = TRUE;
  milter_error (0, "[manager][launcher][exited] the process launcher is gone: "
                "child milters are no longer launched");
  fail_all (launcher, "the process launcher is gone");
}

static gboolean
on_reply (const MilterManagerLaunchRequest *unused,
          const MilterManagerLaunchReply *reply,
          gpointer user_data, GError **error)
{
  MilterManagerLauncher *launcher = user_data;
  Launch *launch = g_queue_pop_head (&launcher->pending);

  (void) unused;
  (void) error;
  if (!launch)
    return TRUE;
  launch->replied_at = g_get_monotonic_time ();
  g_clear_pointer (&launch->failure, g_free);
  if (reply->type == MILTER_MANAGER_LAUNCH_REPLY_SUCCESS ||
      g_str_has_prefix (reply->message, "already launched: ")) {
    start_probe (launch, (gdouble) (launch->probe_deadline - launch->replied_at) /
                         G_USEC_PER_SEC);
    return TRUE;
  }
  milter_error (0, "[manager][launcher][reply][error] %s@%s: %s",
                launch->command_line,
                launch->user_name ? launch->user_name : "[current-user]",
                reply->message);
  launch->failure = g_strdup (reply->message);
  notify (launch, FALSE, reply->message);
  return TRUE;
}

static void
reply_flow (MilterReader *reader, const guint8 *data, gsize size, gpointer user_data)
{
  MilterManagerLauncher *launcher = user_data;
  g_autoptr (GError) error = NULL;

  (void) reader;
  if (!milter_manager_launch_decoder_feed (launcher->decoder, data, size, on_reply,
                                           launcher, &error)) {
    milter_error (0, "[manager][launcher][reply][error] %s", error->message);
    milter_reader_stop (reader);
    set_dead (launcher);
  }
}

static void
reply_finished (MilterReader *reader, gpointer user_data)
{
  (void) reader;
  set_dead (user_data);
}

static void
reply_error (MilterReader *reader, GError *error, gpointer user_data)
{
  (void) reader;
  (void) error;
  set_dead (user_data);
}

static void
writer_error (MilterWriter *writer, GError *error, gpointer user_data)
{
  (void) writer;
  (void) error;
  set_dead (user_data);
}

/* ---- requests --------------------------------------------------------------- */

static gboolean
send_request (MilterManagerLauncher *launcher, Launch *launch, const gchar *name,
              guint64 session_id)
{
  g_autoptr (GError) error = NULL;

  g_byte_array_set_size (launcher->out, 0);
  milter_manager_launch_request_encode (launcher->out, launch->command_line,
                                        launch->user_name);
  if (!milter_writer_write (launcher->writer, launcher->out->data,
                            launcher->out->len, &error)) {
    milter_error (session_id, "[children][error][start-child][write] %s: %s",
                  name, error->message);
    return FALSE;
  }
  if (!milter_writer_flush (launcher->writer, &error)) {
    milter_error (session_id, "[children][error][start-child][flush] %s: %s",
                  name, error->message);
    return FALSE;
  }
  milter_debug (session_id, "[children][start-child] [%s] %s@%s", name,
                launch->command_line,
                launch->user_name ? launch->user_name : "[current-user]");
  launcher->n_requests++;
  launch->state = MILTER_MANAGER_LAUNCH_STATE_REQUESTED;
  g_queue_push_tail (&launcher->pending, launch);
  return TRUE;
}

static Launch *
find_launch (MilterManagerLauncher *launcher, MilterManagerEgg *egg,
             const gchar *command_line)
{
  const gchar *user = milter_manager_egg_get_user_name (egg);
  g_autofree gchar *key = g_strdup_printf ("%s\n%s", command_line, user ? user : "");
  const MilterConnectionSpec *spec = milter_manager_egg_get_parsed_connection_spec (egg);
  Launch *launch = g_hash_table_lookup (launcher->launches, key);

  if (!launch) {
    launch = g_new0 (Launch, 1);
    launch->launcher = launcher;
    launch->key = g_steal_pointer (&key);
    launch->command_line = g_strdup (command_line);
    launch->user_name = g_strdup (user);
    launch->waiters = g_ptr_array_new_with_free_func (g_free);
    launch->probe_fd = -1;
    g_hash_table_insert (launcher->launches, launch->key, launch);
  }
  /* The spec to probe is the latest egg's (a reload may change it). */
  g_clear_pointer (&launch->spec, milter_connection_spec_free);
  launch->spec = spec ? milter_connection_spec_copy (spec) : NULL;
  return launch;
}

static gboolean
refuse_cb (gpointer user_data)
{
  Launch *launch = user_data;

  launch->refuse_idle = 0;
  notify (launch, FALSE, launch->failure);
  return G_SOURCE_REMOVE;
}

guint
milter_manager_launcher_launch (MilterManagerLauncher *launcher,
                                MilterManagerEgg *egg,
                                guint64 session_id,
                                gdouble bound,
                                MilterManagerLauncherReadyFunc func,
                                gpointer user_data)
{
  const gchar *name = milter_manager_egg_get_name (egg);
  g_autofree gchar *command_line =
    milter_manager_launcher_command_line (milter_manager_egg_get_command (egg),
                                          milter_manager_egg_get_command_options (egg));
  Launch *launch;
  Waiter *waiter;
  gdouble since_last;

  if (!command_line || !milter_manager_launcher_is_available (launcher))
    return 0;
  launch = find_launch (launcher, egg, command_line);
  since_last = launch->replied_at ?
    (gdouble) (g_get_monotonic_time () - launch->replied_at) / G_USEC_PER_SEC : -1;
  switch (milter_manager_launcher_decide (launch->state, since_last,
                                          MILTER_MANAGER_LAUNCHER_HOLD_OFF,
                                          launch->failure != NULL)) {
  case MILTER_MANAGER_LAUNCH_ACTION_SEND:
    if (!send_request (launcher, launch, name, session_id))
      return 0;
    /* The reply's probe gets what is left of this bound. */
    launch->probe_deadline = g_get_monotonic_time () + (gint64) (bound * G_USEC_PER_SEC);
    break;
  case MILTER_MANAGER_LAUNCH_ACTION_PROBE:
    milter_debug (session_id, "[children][start-child][hold-off] [%s] %s@%s", name,
                  launch->command_line,
                  launch->user_name ? launch->user_name : "[current-user]");
    start_probe (launch, bound);
    break;
  case MILTER_MANAGER_LAUNCH_ACTION_REFUSE:
    if (!launch->refuse_idle)
      launch->refuse_idle = milter_event_loop_add_idle (launcher->loop, refuse_cb,
                                                        launch, NULL);
    /* fall through */
  case MILTER_MANAGER_LAUNCH_ACTION_WAIT:
    milter_debug (session_id, "[children][start-child][hold-off] [%s] %s@%s", name,
                  launch->command_line,
                  launch->user_name ? launch->user_name : "[current-user]");
    break;
  }
  waiter = g_new0 (Waiter, 1);
  waiter->id = ++launcher->next_id;
  waiter->session_id = session_id;
  waiter->func = func;
  waiter->user_data = user_data;
  g_ptr_array_add (launch->waiters, waiter);
  return waiter->id;
}

void
milter_manager_launcher_cancel (MilterManagerLauncher *launcher, guint id)
{
  GHashTableIter iter;
  gpointer value;

  if (!id)
    return;
  g_hash_table_iter_init (&iter, launcher->launches);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Launch *launch = value;

    for (guint i = 0; i < launch->waiters->len; i++) {
      Waiter *waiter = g_ptr_array_index (launch->waiters, i);

      if (waiter->id == id) {
        g_ptr_array_remove_index (launch->waiters, i);
        return;
      }
    }
  }
}

guint
milter_manager_launcher_get_n_requests (MilterManagerLauncher *launcher)
{
  return launcher->n_requests;
}

/* ---- object ------------------------------------------------------------------ */

static void
milter_manager_launcher_init (MilterManagerLauncher *launcher)
{
  launcher->command_fd = launcher->reply_fd = -1;
  launcher->decoder = milter_manager_launch_decoder_new (MILTER_MANAGER_LAUNCH_REPLIES);
  launcher->out = g_byte_array_new ();
  launcher->launches = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, launch_free);
  g_queue_init (&launcher->pending);
}

static void
milter_manager_launcher_dispose (GObject *object)
{
  MilterManagerLauncher *launcher = MILTER_MANAGER_LAUNCHER (object);

  g_queue_clear (&launcher->pending);
  /* Probes use the loop: they go before it. */
  g_hash_table_remove_all (launcher->launches);
  if (launcher->reader) {
    milter_reader_set_event_funcs (launcher->reader, NULL, NULL, NULL);
    milter_reader_shutdown (launcher->reader, NULL);
  }
  if (launcher->writer) {
    milter_writer_set_event_funcs (launcher->writer, NULL, NULL, NULL);
    milter_writer_shutdown (launcher->writer, NULL);
  }
  g_clear_object (&launcher->reader);
  g_clear_object (&launcher->writer);
  g_clear_object (&launcher->loop);
  G_OBJECT_CLASS (milter_manager_launcher_parent_class)->dispose (object);
}

static void
milter_manager_launcher_finalize (GObject *object)
{
  MilterManagerLauncher *launcher = MILTER_MANAGER_LAUNCHER (object);

  /* Not attached: the descriptors were never handed to a stream. */
  if (launcher->command_fd >= 0)
    close (launcher->command_fd);
  if (launcher->reply_fd >= 0)
    close (launcher->reply_fd);
  g_hash_table_unref (launcher->launches);
  milter_manager_launch_decoder_free (launcher->decoder);
  g_byte_array_unref (launcher->out);
  G_OBJECT_CLASS (milter_manager_launcher_parent_class)->finalize (object);
}

static void
milter_manager_launcher_class_init (MilterManagerLauncherClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = milter_manager_launcher_dispose;
  G_OBJECT_CLASS (klass)->finalize = milter_manager_launcher_finalize;
}

MilterManagerLauncher *
milter_manager_launcher_new (gint command_fd, gint reply_fd)
{
  MilterManagerLauncher *launcher = g_object_new (MILTER_MANAGER_TYPE_LAUNCHER, NULL);

  launcher->command_fd = command_fd;
  launcher->reply_fd = reply_fd;
  return launcher;
}

void
milter_manager_launcher_attach (MilterManagerLauncher *launcher, MilterEventLoop *loop)
{
  g_return_if_fail (!launcher->loop);
  launcher->loop = g_object_ref (loop);
  g_unix_set_fd_nonblocking (launcher->command_fd, TRUE, NULL);
  g_unix_set_fd_nonblocking (launcher->reply_fd, TRUE, NULL);
  launcher->writer = milter_writer_new (loop, launcher->command_fd);
  milter_writer_set_close_on_shutdown (launcher->writer, TRUE);
  milter_writer_set_event_funcs (launcher->writer, NULL, writer_error, launcher);
  /* write() gathers a request, flush() sends it in one system call. */
  milter_writer_set_packet_buffer_size (launcher->writer,
                                        2 * MILTER_MANAGER_LAUNCH_MAX_PACKET_SIZE);
  launcher->reader = milter_reader_new (loop, launcher->reply_fd);
  milter_reader_set_close_on_shutdown (launcher->reader, TRUE);
  milter_reader_set_flow_func (launcher->reader, reply_flow, launcher, NULL);
  milter_reader_set_event_funcs (launcher->reader, reply_finished, reply_error,
                                 launcher);
  launcher->command_fd = launcher->reply_fd = -1;
  if (!milter_reader_start (launcher->reader, NULL))
    set_dead (launcher);
}

gboolean
milter_manager_launcher_is_available (MilterManagerLauncher *launcher)
{
  return launcher && launcher->loop && !launcher->dead;
}

/*
 * milter-manager-process-launcher.c - the helper's request loop, its
 * running programs and their output. See
 * milter-manager-process-launcher.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include <milter/core/milter-logger.h>
#include <milter/core/milter-reader.h>
#include <milter/core/milter-writer.h>
#include <milter/manager/milter-manager-launch-protocol.h>
#include <milter/manager/milter-manager-launch-spawn.h>
#include <milter/manager/milter-manager-process-launcher.h>

struct _MilterManagerProcessLauncher {
  MilterEventLoop *loop;
  MilterReader *reader;
  MilterWriter *writer;
  MilterManagerLaunchDecoder *decoder;
  gboolean decode_failed;
  GByteArray *out;
  /* command line -> Running, while its process runs */
  GHashTable *running;
  /* Output: one per open stdout/stderr pipe of a launched program; a
   * pipe may outlive its process (a daemon that forked keeps it). */
  GPtrArray *outputs;
  MilterManagerProcessLauncherFinishedFunc finished;
  gpointer finished_data;
};

typedef struct {
  MilterManagerProcessLauncher *launcher;
  gchar *command_line;
  GPid pid;
  guint watch_id;
} Running;

typedef struct {
  MilterManagerProcessLauncher *launcher;
  MilterReader *reader;
  GPid pid;
  gboolean is_stderr;
} Output;

static void
running_free (gpointer data)
{
  Running *running = data;

  if (running->watch_id)
    milter_event_loop_remove (running->launcher->loop, running->watch_id);
  g_free (running->command_line);
  g_free (running);
}

static void
output_free (gpointer data)
{
  Output *output = data;

  milter_reader_set_event_funcs (output->reader, NULL, NULL, NULL);
  milter_reader_shutdown (output->reader, NULL);
  g_object_unref (output->reader);
  g_free (output);
}

/* ---- a launched program's output and exit ---------------------------------- */

static void
output_flow (MilterReader *reader, const guint8 *data, gsize size,
             gpointer user_data)
{
  Output *output = user_data;
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_auto (GStrv) lines = NULL;

  (void) reader;
  g_strchomp (text);
  lines = g_strsplit (text, "\n", -1);
  for (gsize i = 0; lines[i]; i++) {
    if (output->is_stderr)
      milter_debug ((guint64) output->pid, "[launcher][error] %s", lines[i]);
    else
      milter_debug ((guint64) output->pid, "[launcher][output] %s", lines[i]);
  }
}

static void
output_ended (Output *output)
{
  /* Frees output (and its reader, which is in its callback: safe, the
   * reader allows unref from its handlers). */
  g_ptr_array_remove_fast (output->launcher->outputs, output);
}

static void
output_finished (MilterReader *reader, gpointer user_data)
{
  (void) reader;
  output_ended (user_data);
}

static void
output_error (MilterReader *reader, GError *error, gpointer user_data)
{
  (void) reader;
  (void) error;
  output_ended (user_data);
}

static void
watch_output (MilterManagerProcessLauncher *launcher, GPid pid, gint fd,
              gboolean is_stderr)
{
  Output *output = g_new0 (Output, 1);

  output->launcher = launcher;
  output->pid = pid;
  output->is_stderr = is_stderr;
  output->reader = milter_reader_new (launcher->loop, fd);
  milter_reader_set_close_on_shutdown (output->reader, TRUE);
  milter_reader_set_flow_func (output->reader, output_flow, output, NULL);
  milter_reader_set_event_funcs (output->reader, output_finished, output_error,
                                 output);
  g_ptr_array_add (launcher->outputs, output);
  if (!milter_reader_start (output->reader, NULL))
    g_ptr_array_remove_fast (launcher->outputs, output);
}

static void
child_exited (GPid pid, gint status, gpointer user_data)
{
  Running *running = user_data;
  MilterManagerProcessLauncher *launcher = running->launcher;

  (void) pid;
  running->watch_id = 0;
  if (WIFEXITED (status))
    milter_debug (0, "[launcher][finish][success] %s", running->command_line);
  else
    milter_debug (0, "[launcher][finish][failure] %d: %s", status,
                  running->command_line);
  /* Forgotten: the same command line may be launched again. */
  g_hash_table_remove (launcher->running, running->command_line);
}

/* ---- requests ---------------------------------------------------------------- */

static void
log_authority (const MilterManagerLaunchCredentials *credentials)
{
  if (!credentials->user_name) {
    milter_debug (0, "[launcher][child][authority][not-set]");
    return;
  }
  milter_debug (0, "[launcher][child][authority][group] %u", (guint) credentials->gid);
  milter_debug (0, "[launcher][child][authority][groups] %s:%u",
                credentials->user_name, (guint) credentials->gid);
  milter_debug (0, "[launcher][child][authority][user] %u", (guint) credentials->uid);
}

static void
log_authority_error (const GError *error)
{
  if (error->domain != MILTER_MANAGER_LAUNCH_SPAWN_ERROR)
    return;
  switch (error->code) {
  case MILTER_MANAGER_LAUNCH_SPAWN_ERROR_GROUP:
    milter_error (0, "[launcher][error][child][authority][group] %s", error->message);
    break;
  case MILTER_MANAGER_LAUNCH_SPAWN_ERROR_GROUPS:
    milter_error (0, "[launcher][error][child][authority][groups] %s", error->message);
    break;
  case MILTER_MANAGER_LAUNCH_SPAWN_ERROR_USER:
    milter_error (0, "[launcher][error][child][authority][user] %s", error->message);
    break;
  default:
    break;
  }
}

/* Steps 2-5 of launcher.md §4; the reply's error is the message. */
static gboolean
launch (MilterManagerProcessLauncher *launcher,
        const MilterManagerLaunchRequest *request,
        GError **error)
{
  MilterManagerLaunchCredentials credentials;
  MilterManagerLaunchChild child;
  g_auto (GStrv) argv = NULL;
  g_autoptr (GError) local_error = NULL;
  Running *running;
  gboolean ok;

  if (g_hash_table_contains (launcher->running, request->command_line)) {
    g_set_error (error, MILTER_MANAGER_LAUNCH_SPAWN_ERROR,
                 MILTER_MANAGER_LAUNCH_SPAWN_ERROR_SPAWN,
                 "already launched: %s", request->command_line);
    return FALSE;
  }
  if (!milter_manager_launch_credentials_lookup (request->user_name, &credentials,
                                                 error))
    return FALSE;
  argv = milter_manager_launch_split (request->command_line, &local_error);
  ok = argv && milter_manager_launch_spawn ((const gchar *const *) argv,
                                            &credentials, &child, &local_error);
  if (ok)
    log_authority (&credentials);
  milter_manager_launch_credentials_clear (&credentials);
  if (!ok) {
    log_authority_error (local_error);
    if (local_error->code == MILTER_MANAGER_LAUNCH_SPAWN_ERROR_COMMAND)
      g_propagate_error (error, g_steal_pointer (&local_error));
    else
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "Couldn't start new process: %s: ",
                                  request->command_line);
    return FALSE;
  }
  milter_debug (0, "[launcher][start] %s", request->command_line);
  running = g_new0 (Running, 1);
  running->launcher = launcher;
  running->command_line = g_strdup (request->command_line);
  running->pid = child.pid;
  g_hash_table_replace (launcher->running, running->command_line, running);
  running->watch_id = milter_event_loop_watch_child (launcher->loop, child.pid,
                                                     child_exited, running, NULL);
  watch_output (launcher, child.pid, child.stdout_fd, FALSE);
  watch_output (launcher, child.pid, child.stderr_fd, TRUE);
  return TRUE;
}

static void
reply (MilterManagerProcessLauncher *launcher,
       const MilterManagerLaunchRequest *request,
       MilterManagerLaunchReplyType type, const gchar *message)
{
  g_autoptr (GError) error = NULL;

  g_byte_array_set_size (launcher->out, 0);
  milter_manager_launch_reply_encode (launcher->out, type, message);
  if (!milter_writer_write (launcher->writer, launcher->out->data,
                            launcher->out->len, &error))
    milter_error (0, "[launcher][error][write] %s@%s: %s", request->command_line,
                  request->user_name ? request->user_name : "NULL",
                  error->message);
}

static gboolean
on_request (const MilterManagerLaunchRequest *request,
            const MilterManagerLaunchReply *unused,
            gpointer user_data, GError **error)
{
  MilterManagerProcessLauncher *launcher = user_data;
  g_autoptr (GError) launch_error = NULL;

  (void) unused;
  (void) error;
  milter_debug (0, "[launcher][launch] %s@%s", request->command_line,
                request->user_name ? request->user_name : "[current-user]");
  if (launch (launcher, request, &launch_error)) {
    reply (launcher, request, MILTER_MANAGER_LAUNCH_REPLY_SUCCESS, NULL);
    return TRUE;
  }
  milter_error (0, "[launcher][error][launch] %s@%s: %s", request->command_line,
                request->user_name ? request->user_name : "NULL",
                launch_error->message);
  reply (launcher, request, MILTER_MANAGER_LAUNCH_REPLY_ERROR,
         launch_error->message);
  return TRUE;
}

static void
command_flow (MilterReader *reader, const guint8 *data, gsize size,
              gpointer user_data)
{
  MilterManagerProcessLauncher *launcher = user_data;
  g_autoptr (GError) error = NULL;

  (void) reader;
  if (launcher->decode_failed)
    return;
  if (!milter_manager_launch_decoder_feed (launcher->decoder, data, size,
                                           on_request, launcher, &error)) {
    launcher->decode_failed = TRUE;
    milter_error (0, "[agent][error][decode] %s", error->message);
  }
}

static void
command_finished (MilterReader *reader, gpointer user_data)
{
  MilterManagerProcessLauncher *launcher = user_data;

  (void) reader;
  if (launcher->finished)
    launcher->finished (launcher, launcher->finished_data);
}

static void
command_error (MilterReader *reader, GError *error, gpointer user_data)
{
  (void) error;
  command_finished (reader, user_data);
}

/* ---- public ------------------------------------------------------------------ */

MilterManagerProcessLauncher *
milter_manager_process_launcher_new (MilterEventLoop *loop,
                                     gint command_fd,
                                     gint reply_fd)
{
  MilterManagerProcessLauncher *launcher = g_new0 (MilterManagerProcessLauncher, 1);

  launcher->loop = g_object_ref (loop);
  g_unix_set_fd_nonblocking (command_fd, TRUE, NULL);
  g_unix_set_fd_nonblocking (reply_fd, TRUE, NULL);
  launcher->reader = milter_reader_new (loop, command_fd);
  milter_reader_set_close_on_shutdown (launcher->reader, TRUE);
  milter_reader_set_flow_func (launcher->reader, command_flow, launcher, NULL);
  milter_reader_set_event_funcs (launcher->reader, command_finished,
                                 command_error, launcher);
  launcher->writer = milter_writer_new (loop, reply_fd);
  milter_writer_set_close_on_shutdown (launcher->writer, TRUE);
  launcher->decoder = milter_manager_launch_decoder_new (MILTER_MANAGER_LAUNCH_REQUESTS);
  launcher->out = g_byte_array_new ();
  launcher->running = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             running_free);
  launcher->outputs = g_ptr_array_new_with_free_func (output_free);
  return launcher;
}

void
milter_manager_process_launcher_set_finished_func (MilterManagerProcessLauncher *launcher,
                                                   MilterManagerProcessLauncherFinishedFunc func,
                                                   gpointer user_data)
{
  launcher->finished = func;
  launcher->finished_data = user_data;
}

gboolean
milter_manager_process_launcher_start (MilterManagerProcessLauncher *launcher,
                                       GError **error)
{
  return milter_reader_start (launcher->reader, error);
}

guint
milter_manager_process_launcher_get_n_running (MilterManagerProcessLauncher *launcher)
{
  return g_hash_table_size (launcher->running);
}

void
milter_manager_process_launcher_free (MilterManagerProcessLauncher *launcher)
{
  if (!launcher)
    return;
  milter_reader_set_event_funcs (launcher->reader, NULL, NULL, NULL);
  milter_reader_shutdown (launcher->reader, NULL);
  g_object_unref (launcher->reader);
  milter_writer_shutdown (launcher->writer, NULL);
  g_object_unref (launcher->writer);
  /* Running programs go on; only our watches on them end. */
  g_hash_table_unref (launcher->running);
  g_ptr_array_unref (launcher->outputs);
  milter_manager_launch_decoder_free (launcher->decoder);
  g_byte_array_unref (launcher->out);
  g_object_unref (launcher->loop);
  g_free (launcher);
}

/* ---- the helper process --------------------------------------------------------- */

static gboolean
detach_io (GError **error)
{
  gint null = open ("/dev/null", O_RDWR);

  if (null == -1) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 "/dev/null: %s", g_strerror (errno));
    return FALSE;
  }
  for (gint fd = 0; fd <= 2; fd++) {
    if (fd != null && dup2 (null, fd) == -1) {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "dup2: %s", g_strerror (errno));
      close (null);
      return FALSE;
    }
  }
  if (null > 2)
    close (null);
  return TRUE;
}

static void
quit_loop (MilterManagerProcessLauncher *launcher, gpointer user_data)
{
  (void) launcher;
  milter_event_loop_quit (user_data);
}

gint
milter_manager_process_launcher_main (gint command_fd,
                                      gint reply_fd,
                                      gboolean detach,
                                      const gchar *syslog_facility)
{
  g_autoptr (MilterEventLoop) loop = NULL;
  g_autoptr (MilterManagerProcessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;

  signal (SIGHUP, SIG_IGN);
  if (syslog_facility &&
      !milter_logger_set_syslog ("milter-manager-process-launcher",
                                 syslog_facility, &error)) {
    milter_warning (0, "[process-launcher][syslog][error] %s", error->message);
    g_clear_error (&error);
  }
  if (detach && !detach_io (&error)) {
    milter_error (0, "[process-launcher][error] failed to detach IO: %s",
                  error->message);
    return 1;
  }
  loop = milter_event_loop_new_by_name ("glib", &error);
  if (!loop) {
    milter_error (0, "[process-launcher][error][start] %s", error->message);
    return 1;
  }
  launcher = milter_manager_process_launcher_new (loop, command_fd, reply_fd);
  milter_manager_process_launcher_set_finished_func (launcher, quit_loop, loop);
  if (!milter_manager_process_launcher_start (launcher, &error)) {
    milter_error (0, "[process-launcher][error][start] %s", error->message);
    return 1;
  }
  milter_event_loop_run (loop);
  return 0;
}

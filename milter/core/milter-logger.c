/*
 * milter-logger - the one logger shared by every module
 *
 * SYNOPSIS
 *   milter_error (session_id, "[reader][error][read] %s", message);
 *   milter_logger_set_levels (levels);  milter_logger_get_levels ();
 *   milter_log_level_parse (text, &levels, &error);
 *   milter_log_level_to_string (levels);  milter_log_level_name (level);
 *   milter_logger_set_stderr (enabled);  milter_logger_get_stderr ();
 *   milter_logger_set_file (path, &error);  milter_logger_reopen (&error);
 *   milter_logger_set_syslog (identity, facility, &error);
 *   milter_logger_unset_syslog ();
 *   milter_log_syslog_facility_parse (name, &facility, &error);
 *   milter_log_level_syslog_priority (level);
 *   milter_logger_add_handler (handler, user_data, destroy);
 *   milter_logger_remove_handler (id);
 *   milter_logger_reset ();
 *
 * DESCRIPTION
 *   A line is formatted once per call into a per-thread buffer that is
 *   reused, so logging normally does not allocate. Standard error and the
 *   log file get
 *
 *     2026-11-23T23:59:59.123456Z error: [42] [reader][error][read] ...
 *
 *   (UTC timestamp, level name, then the line) written with a single
 *   write(2), so processes appending to one file never interleave within a
 *   line. syslog and handlers get the line without timestamp and level.
 *
 *   The enabled levels live in the atomic milter_logger_enabled_levels so
 *   the macros check them without a lock. Outputs and handlers are guarded
 *   by one recursive mutex: a handler may itself log without deadlocking,
 *   and once milter_logger_remove_handler returns the handler is not
 *   running and will not run again.
 *
 *   Control characters in the formatted message (peer data: a CR or LF in
 *   a header value) are escaped (milter-log-escape.h): one call is one
 *   line in every output.
 *
 *   ENVIRONMENT: MILTER_LOG_LEVEL (e.g. "all", "error|statistics") is read
 *   when the library is loaded and sets the start levels, which are also
 *   what milter_logger_reset restores. An invalid value is reported on
 *   standard error and the default levels are kept.
 *
 * DIAGNOSTICS
 *   MILTER_LOGGER_ERROR_INVALID_LEVEL names the word that is not a level,
 *   MILTER_LOGGER_ERROR_INVALID_FACILITY the unknown facility,
 *   MILTER_LOGGER_ERROR_OPEN the file that cannot be opened and why.
 *   Failures to write a log line are ignored: there is nowhere to report
 *   them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include <milter/core/milter-log-escape.h>
#include <milter/core/milter-logger.h>

G_DEFINE_QUARK (milter-logger-error-quark, milter_logger_error)

gint milter_logger_enabled_levels = MILTER_LOG_LEVEL_DEFAULT;

/* Levels at start: the default, or MILTER_LOG_LEVEL. */
static MilterLogLevelFlags start_levels = MILTER_LOG_LEVEL_DEFAULT;

/* A per-thread buffer that grew beyond this is dropped after use so one
 * huge line does not pin memory for the thread's lifetime. */
#define MILTER_LOGGER_BUFFER_KEEP_MAX (64 * 1024)

static const struct {
  MilterLogLevelFlags level;
  const gchar *name;
  gint priority;
} level_table[] = {
  {MILTER_LOG_LEVEL_CRITICAL, "critical", LOG_CRIT},
  {MILTER_LOG_LEVEL_ERROR, "error", LOG_ERR},
  {MILTER_LOG_LEVEL_WARNING, "warning", LOG_WARNING},
  {MILTER_LOG_LEVEL_INFO, "info", LOG_INFO},
  {MILTER_LOG_LEVEL_DEBUG, "debug", LOG_DEBUG},
  {MILTER_LOG_LEVEL_STATISTICS, "statistics", LOG_INFO},
  {MILTER_LOG_LEVEL_PROFILE, "profile", LOG_INFO},
};

static const struct {
  const gchar *name;
  gint facility;
} facility_table[] = {
  /* The set milter-manager.conf's log.syslog_facility accepts. */
  {"mail", LOG_MAIL},
  {"daemon", LOG_DAEMON},
  {"user", LOG_USER},
  {"authpriv", LOG_AUTHPRIV},
  {"cron", LOG_CRON},
  {"kern", LOG_KERN},
  {"lpr", LOG_LPR},
  {"news", LOG_NEWS},
  {"uucp", LOG_UUCP},
  {"local0", LOG_LOCAL0},
  {"local1", LOG_LOCAL1},
  {"local2", LOG_LOCAL2},
  {"local3", LOG_LOCAL3},
  {"local4", LOG_LOCAL4},
  {"local5", LOG_LOCAL5},
  {"local6", LOG_LOCAL6},
  {"local7", LOG_LOCAL7},
};

typedef struct {
  guint id;
  MilterLogHandler func;
  gpointer user_data;
  GDestroyNotify destroy;
} HandlerEntry;

/* Output state; all guarded by output_mutex. */
static GRecMutex output_mutex;
static gboolean stderr_enabled = TRUE;
static gint file_fd = -1;
static gchar *file_path;
static gboolean syslog_opened;
/* openlog() keeps the pointer, so the identity must outlive the log. */
static gchar *syslog_identity;
static GArray *handlers;
static guint next_handler_id = 1;

typedef struct {
  GString *buffer;
  gboolean busy;
} ThreadBuffer;

static void
thread_buffer_free (gpointer data)
{
  ThreadBuffer *thread_buffer = data;

  g_string_free (thread_buffer->buffer, TRUE);
  g_free (thread_buffer);
}

static GPrivate thread_buffer_key = G_PRIVATE_INIT (thread_buffer_free);

__attribute__ ((constructor)) static void
milter_logger_init_from_environment (void)
{
  const gchar *text = g_getenv ("MILTER_LOG_LEVEL");
  MilterLogLevelFlags levels;
  g_autoptr (GError) error = NULL;

  if (!text || !text[0])
    return;
  if (!milter_log_level_parse (text, &levels, &error)) {
    fprintf (stderr, "milter-logger: MILTER_LOG_LEVEL ignored: %s\n",
             error->message);
    return;
  }
  start_levels = levels;
  g_atomic_int_set (&milter_logger_enabled_levels, (gint) levels);
}

void
milter_logger_set_levels (MilterLogLevelFlags levels)
{
  g_atomic_int_set (&milter_logger_enabled_levels,
                    (gint) (levels & MILTER_LOG_LEVEL_ALL));
}

MilterLogLevelFlags
milter_logger_get_levels (void)
{
  return (MilterLogLevelFlags) g_atomic_int_get (&milter_logger_enabled_levels);
}

/* One word of a level expression, already stripped, to its flags. */
static gboolean
level_word_parse (const gchar *word, MilterLogLevelFlags *levels)
{
  if (g_ascii_strcasecmp (word, "default") == 0) {
    *levels = MILTER_LOG_LEVEL_DEFAULT;
    return TRUE;
  }
  if (g_ascii_strcasecmp (word, "none") == 0) {
    *levels = MILTER_LOG_LEVEL_NONE;
    return TRUE;
  }
  if (g_ascii_strcasecmp (word, "all") == 0) {
    *levels = MILTER_LOG_LEVEL_ALL;
    return TRUE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS (level_table); i++) {
    if (g_ascii_strcasecmp (word, level_table[i].name) == 0) {
      *levels = level_table[i].level;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
milter_log_level_parse (const gchar *text,
                        MilterLogLevelFlags *levels,
                        GError **error)
{
  g_auto (GStrv) words = NULL;
  MilterLogLevelFlags result = MILTER_LOG_LEVEL_NONE;

  if (!text) {
    g_set_error (error, MILTER_LOGGER_ERROR, MILTER_LOGGER_ERROR_INVALID_LEVEL,
                 "log level is missing");
    return FALSE;
  }
  words = g_strsplit (text, "|", -1);
  for (gsize i = 0; words[i]; i++) {
    MilterLogLevelFlags word_levels;
    gchar *word = g_strstrip (words[i]);

    if (!level_word_parse (word, &word_levels)) {
      g_set_error (error, MILTER_LOGGER_ERROR,
                   MILTER_LOGGER_ERROR_INVALID_LEVEL,
                   "invalid log level \"%s\" in \"%s\": expected default, "
                   "none, all, critical, error, warning, info, debug, "
                   "statistics or profile, joined by '|'", word, text);
      return FALSE;
    }
    result |= word_levels;
  }
  /* g_strsplit gives no words for "", which must not mean "none". */
  if (!words[0]) {
    g_set_error (error, MILTER_LOGGER_ERROR, MILTER_LOGGER_ERROR_INVALID_LEVEL,
                 "invalid log level \"\": empty");
    return FALSE;
  }
  if (levels)
    *levels = result;
  return TRUE;
}

gchar *
milter_log_level_to_string (MilterLogLevelFlags levels)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (level_table); i++) {
    if (!(levels & level_table[i].level))
      continue;
    if (text->len > 0)
      g_string_append_c (text, '|');
    g_string_append (text, level_table[i].name);
  }
  if (text->len == 0)
    g_string_append (text, "none");
  return g_string_free (text, FALSE);
}

const gchar *
milter_log_level_name (MilterLogLevelFlags level)
{
  for (gsize i = 0; i < G_N_ELEMENTS (level_table); i++) {
    if (level == level_table[i].level)
      return level_table[i].name;
  }
  return NULL;
}

gint
milter_log_level_syslog_priority (MilterLogLevelFlags level)
{
  for (gsize i = 0; i < G_N_ELEMENTS (level_table); i++) {
    if (level == level_table[i].level)
      return level_table[i].priority;
  }
  return LOG_INFO;
}

gboolean
milter_log_syslog_facility_parse (const gchar *name,
                                  gint *facility,
                                  GError **error)
{
  if (!name)
    name = "mail";
  for (gsize i = 0; i < G_N_ELEMENTS (facility_table); i++) {
    if (g_ascii_strcasecmp (name, facility_table[i].name) == 0) {
      if (facility)
        *facility = facility_table[i].facility;
      return TRUE;
    }
  }
  g_set_error (error, MILTER_LOGGER_ERROR, MILTER_LOGGER_ERROR_INVALID_FACILITY,
               "invalid syslog facility \"%s\": expected mail, daemon, user "
               "or local0 .. local7", name);
  return FALSE;
}

/* Appends without the temporary string g_string_append_vprintf makes:
 * formats into the spare capacity, growing once if it does not fit. */
static void G_GNUC_PRINTF (2, 0)
buffer_append_vprintf (GString *buffer, const gchar *format, va_list args)
{
  gsize old_len = buffer->len;
  gsize space = buffer->allocated_len - old_len;
  va_list copy;
  int needed;

  va_copy (copy, args);
  needed = vsnprintf (buffer->str + old_len, space, format, copy);
  va_end (copy);
  if (needed < 0) {
    buffer->str[old_len] = '\0';
    return;
  }
  if ((gsize) needed >= space) {
    g_string_set_size (buffer, old_len + (gsize) needed);
    vsnprintf (buffer->str + old_len, (gsize) needed + 1, format, args);
  }
  buffer->len = old_len + (gsize) needed;
}

static void G_GNUC_PRINTF (2, 3)
buffer_append_printf (GString *buffer, const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  buffer_append_vprintf (buffer, format, args);
  va_end (args);
}

static void
buffer_append_timestamp (GString *buffer)
{
  struct timespec now;
  struct tm tm;

  clock_gettime (CLOCK_REALTIME, &now);
  gmtime_r (&now.tv_sec, &tm);
  buffer_append_printf (buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec,
                        (long) (now.tv_nsec / 1000));
}

/* One write(2) in practice; the loop only covers signals and pipes that
 * take part of a long line. */
static void
write_all (gint fd, const gchar *data, gsize size)
{
  while (size > 0) {
    ssize_t written = write (fd, data, size);

    if (written < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    data += written;
    size -= (gsize) written;
  }
}

static void
emit (MilterLogLevelFlags level,
      guint64 session_id,
      GString *buffer,
      gsize line_offset)
{
  const gchar *line = buffer->str + line_offset;

  g_rec_mutex_lock (&output_mutex);
  /* A file replaces standard error unless standard error was turned back
   * on after the file was set. */
  if (file_fd >= 0)
    write_all (file_fd, buffer->str, buffer->len);
  if (stderr_enabled)
    write_all (STDERR_FILENO, buffer->str, buffer->len);

  /* syslog and handlers take the line without the newline. */
  buffer->str[buffer->len - 1] = '\0';
  if (syslog_opened)
    syslog (milter_log_level_syslog_priority (level), "%s", line);
  if (handlers) {
    for (guint i = 0; i < handlers->len; i++) {
      HandlerEntry *entry = &g_array_index (handlers, HandlerEntry, i);

      entry->func (level, session_id, line, entry->user_data);
    }
  }
  g_rec_mutex_unlock (&output_mutex);
}

void
milter_logger_logv (MilterLogLevelFlags level,
                    guint64 session_id,
                    const gchar *format,
                    va_list args)
{
  ThreadBuffer *thread_buffer;
  GString *buffer;
  gboolean nested;
  const gchar *name;
  gsize line_offset;
  gsize message_offset;

  if (!milter_log_is_enabled (level))
    return;

  thread_buffer = g_private_get (&thread_buffer_key);
  if (!thread_buffer) {
    thread_buffer = g_new0 (ThreadBuffer, 1);
    thread_buffer->buffer = g_string_sized_new (256);
    g_private_set (&thread_buffer_key, thread_buffer);
  }
  /* A handler that logs would otherwise overwrite the line being emitted. */
  nested = thread_buffer->busy;
  if (nested) {
    buffer = g_string_sized_new (256);
  } else {
    buffer = thread_buffer->buffer;
    thread_buffer->busy = TRUE;
    g_string_truncate (buffer, 0);
  }

  name = milter_log_level_name (level);
  buffer_append_timestamp (buffer);
  buffer_append_printf (buffer, "%s: ", name ? name : "unknown");
  line_offset = buffer->len;
  if (session_id != 0)
    buffer_append_printf (buffer, "[%" G_GUINT64_FORMAT "] ", session_id);
  /* Peer data in the message must not start a line of its own. */
  message_offset = buffer->len;
  buffer_append_vprintf (buffer, format, args);
  milter_log_escape_controls (buffer, message_offset);
  g_string_append_c (buffer, '\n');

  emit (level, session_id, buffer, line_offset);

  if (nested) {
    g_string_free (buffer, TRUE);
  } else {
    if (buffer->allocated_len > MILTER_LOGGER_BUFFER_KEEP_MAX) {
      g_string_free (buffer, TRUE);
      thread_buffer->buffer = g_string_sized_new (256);
    }
    thread_buffer->busy = FALSE;
  }
}

void
milter_logger_log (MilterLogLevelFlags level,
                   guint64 session_id,
                   const gchar *format,
                   ...)
{
  va_list args;

  va_start (args, format);
  milter_logger_logv (level, session_id, format, args);
  va_end (args);
}

void
milter_logger_set_stderr (gboolean enabled)
{
  g_rec_mutex_lock (&output_mutex);
  stderr_enabled = enabled;
  g_rec_mutex_unlock (&output_mutex);
}

gboolean
milter_logger_get_stderr (void)
{
  gboolean enabled;

  g_rec_mutex_lock (&output_mutex);
  enabled = stderr_enabled;
  g_rec_mutex_unlock (&output_mutex);
  return enabled;
}

static gint
log_file_open (const gchar *path, GError **error)
{
  gint fd;

  do {
    fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int saved_errno = errno;

    g_set_error (error, MILTER_LOGGER_ERROR, MILTER_LOGGER_ERROR_OPEN,
                 "cannot open log file \"%s\": %s",
                 path, g_strerror (saved_errno));
  }
  return fd;
}

/* path NULL closes the file and goes back to standard error. */
gboolean
milter_logger_set_file (const gchar *path, GError **error)
{
  gint fd = -1;
  gint old_fd;
  gchar *old_path;

  if (path) {
    fd = log_file_open (path, error);
    if (fd < 0)
      return FALSE;
  }
  g_rec_mutex_lock (&output_mutex);
  old_fd = file_fd;
  old_path = file_path;
  file_fd = fd;
  file_path = g_strdup (path);
  stderr_enabled = (path == NULL);
  g_rec_mutex_unlock (&output_mutex);

  if (old_fd >= 0)
    close (old_fd);
  g_free (old_path);
  return TRUE;
}

/* Opens the path again (e.g. after logrotate renamed the file); on failure
 * the old descriptor is kept so lines are not lost. */
gboolean
milter_logger_reopen (GError **error)
{
  g_autofree gchar *path = NULL;
  gint fd;
  gint old_fd;

  g_rec_mutex_lock (&output_mutex);
  path = g_strdup (file_path);
  g_rec_mutex_unlock (&output_mutex);
  if (!path)
    return TRUE;

  fd = log_file_open (path, error);
  if (fd < 0)
    return FALSE;

  g_rec_mutex_lock (&output_mutex);
  /* The file may have been changed meanwhile; keep the newer setting. */
  if (g_strcmp0 (file_path, path) != 0) {
    g_rec_mutex_unlock (&output_mutex);
    close (fd);
    return TRUE;
  }
  old_fd = file_fd;
  file_fd = fd;
  g_rec_mutex_unlock (&output_mutex);
  if (old_fd >= 0)
    close (old_fd);
  return TRUE;
}

gboolean
milter_logger_set_syslog (const gchar *identity,
                          const gchar *facility,
                          GError **error)
{
  gint facility_value;
  gchar *old_identity;

  if (!milter_log_syslog_facility_parse (facility, &facility_value, error))
    return FALSE;

  g_rec_mutex_lock (&output_mutex);
  if (syslog_opened)
    closelog ();
  old_identity = syslog_identity;
  syslog_identity = g_strdup (identity);
  openlog (syslog_identity, LOG_PID, facility_value);
  syslog_opened = TRUE;
  g_rec_mutex_unlock (&output_mutex);
  g_free (old_identity);
  return TRUE;
}

void
milter_logger_unset_syslog (void)
{
  g_rec_mutex_lock (&output_mutex);
  if (syslog_opened)
    closelog ();
  syslog_opened = FALSE;
  g_clear_pointer (&syslog_identity, g_free);
  g_rec_mutex_unlock (&output_mutex);
}

guint
milter_logger_add_handler (MilterLogHandler handler,
                           gpointer user_data,
                           GDestroyNotify destroy)
{
  HandlerEntry entry;

  g_return_val_if_fail (handler != NULL, 0);

  g_rec_mutex_lock (&output_mutex);
  if (!handlers)
    handlers = g_array_new (FALSE, FALSE, sizeof (HandlerEntry));
  entry.id = next_handler_id++;
  if (next_handler_id == 0)
    next_handler_id = 1;
  entry.func = handler;
  entry.user_data = user_data;
  entry.destroy = destroy;
  g_array_append_val (handlers, entry);
  g_rec_mutex_unlock (&output_mutex);
  return entry.id;
}

void
milter_logger_remove_handler (guint handler_id)
{
  HandlerEntry removed = {0};
  gboolean found = FALSE;

  g_rec_mutex_lock (&output_mutex);
  for (guint i = 0; handlers && i < handlers->len; i++) {
    if (g_array_index (handlers, HandlerEntry, i).id == handler_id) {
      removed = g_array_index (handlers, HandlerEntry, i);
      g_array_remove_index (handlers, i);
      found = TRUE;
      break;
    }
  }
  g_rec_mutex_unlock (&output_mutex);
  /* Outside the lock: a destroy notify may log or take its own locks. */
  if (found && removed.destroy)
    removed.destroy (removed.user_data);
}

void
milter_logger_reset (void)
{
  GArray *old_handlers;
  gint old_fd;

  milter_logger_unset_syslog ();

  g_rec_mutex_lock (&output_mutex);
  old_handlers = handlers;
  handlers = NULL;
  old_fd = file_fd;
  file_fd = -1;
  g_clear_pointer (&file_path, g_free);
  stderr_enabled = TRUE;
  g_rec_mutex_unlock (&output_mutex);

  if (old_fd >= 0)
    close (old_fd);
  if (old_handlers) {
    for (guint i = 0; i < old_handlers->len; i++) {
      HandlerEntry *entry = &g_array_index (old_handlers, HandlerEntry, i);

      if (entry->destroy)
        entry->destroy (entry->user_data);
    }
    g_array_unref (old_handlers);
  }
  milter_logger_set_levels (start_levels);
}

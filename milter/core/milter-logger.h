/*
 * milter-logger - the one logger shared by every module
 *
 * SYNOPSIS
 *   milter_error (session_id, "[reader][error][read] %s", error->message);
 *   milter_statistics (0, "[sessions][finished] %u(+%u) %u", total, delta, processing);
 *   milter_logger_set_levels (MILTER_LOG_LEVEL_DEFAULT);
 *
 * DESCRIPTION
 *   A log line is "[SESSION] [tag1][tag2]... MESSAGE". The caller writes the
 *   tags and message as one printf format that starts with the tags, so each
 *   catalogued tag list stands in the source as one literal an administrator
 *   can grep for; the logger adds the "[SESSION] " part when session_id is
 *   not 0. Server-module lines put "[MILTER-NAME] " after the tags.
 *
 *   Control characters in the formatted message are escaped (CR as \r,
 *   LF as \n, see milter-log-escape.h), so peer data cannot start a new
 *   log line: one call is one line.
 *
 *   The level check is an atomic read done by the macros before any
 *   argument is evaluated or formatted: a disabled level costs one branch.
 *
 *   Outputs: standard error (default), a file, syslog (facility mail by
 *   default), and handlers added by the program or by tests. All entry
 *   points are thread safe. Standard error and the file get
 *   "2026-11-23T23:59:59.123456Z error: [42] [reader][error][read] ..."
 *   (UTC time, level name, line), one write(2) per line; syslog and
 *   handlers get the line alone.
 *
 * ENVIRONMENT
 *   MILTER_LOG_LEVEL (same syntax as milter_log_level_parse, e.g. "all")
 *   is read when the library loads and sets the start levels, which
 *   milter_logger_reset restores. An invalid value is reported on
 *   standard error and ignored.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_LOGGER_ERROR: an unknown level or facility name,
 *   a log file that cannot be opened.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MILTER_LOGGER_ERROR (milter_logger_error_quark ())
GQuark milter_logger_error_quark (void);

typedef enum {
  MILTER_LOGGER_ERROR_INVALID_LEVEL,
  MILTER_LOGGER_ERROR_INVALID_FACILITY,
  MILTER_LOGGER_ERROR_OPEN
} MilterLoggerError;

typedef enum {
  MILTER_LOG_LEVEL_NONE = 0,
  MILTER_LOG_LEVEL_CRITICAL = 1 << 0,
  MILTER_LOG_LEVEL_ERROR = 1 << 1,
  MILTER_LOG_LEVEL_WARNING = 1 << 2,
  MILTER_LOG_LEVEL_INFO = 1 << 3,
  MILTER_LOG_LEVEL_DEBUG = 1 << 4,
  MILTER_LOG_LEVEL_STATISTICS = 1 << 5,
  MILTER_LOG_LEVEL_PROFILE = 1 << 6
} MilterLogLevelFlags;

#define MILTER_LOG_LEVEL_DEFAULT \
  ((MilterLogLevelFlags) (MILTER_LOG_LEVEL_CRITICAL | MILTER_LOG_LEVEL_ERROR | \
                          MILTER_LOG_LEVEL_WARNING))
#define MILTER_LOG_LEVEL_ALL ((MilterLogLevelFlags) 0x7F)

/* Enabled levels; read through milter_log_is_enabled(). */
extern gint milter_logger_enabled_levels;

static inline gboolean
milter_log_is_enabled (MilterLogLevelFlags level)
{
  return (g_atomic_int_get (&milter_logger_enabled_levels) & (gint) level) != 0;
}

void milter_logger_set_levels (MilterLogLevelFlags levels);
MilterLogLevelFlags milter_logger_get_levels (void);

/* "default", "none", "all", a level name, or names joined by '|'
 * (e.g. "error|statistics"); case-insensitive, spaces ignored. */
gboolean milter_log_level_parse (const gchar *text,
                                 MilterLogLevelFlags *levels,
                                 GError **error);
/* "critical|error|warning"-style text for levels; "none" for 0. */
gchar *milter_log_level_to_string (MilterLogLevelFlags levels);
/* The name of a single level ("error"). */
const gchar *milter_log_level_name (MilterLogLevelFlags level);

/* Formats and writes one line. Use the macros below instead: they skip
 * formatting when the level is disabled. session_id 0 means no session. */
void milter_logger_log (MilterLogLevelFlags level,
                        guint64 session_id,
                        const gchar *format,
                        ...) G_GNUC_PRINTF (3, 4);
void milter_logger_logv (MilterLogLevelFlags level,
                         guint64 session_id,
                         const gchar *format,
                         va_list args) G_GNUC_PRINTF (3, 0);

#define milter_log(level, session_id, ...)                          \
  G_STMT_START {                                                    \
    if (G_UNLIKELY (milter_log_is_enabled (level)))                 \
      milter_logger_log ((level), (session_id), __VA_ARGS__);       \
  } G_STMT_END
#define milter_critical(session_id, ...) \
  milter_log (MILTER_LOG_LEVEL_CRITICAL, session_id, __VA_ARGS__)
#define milter_error(session_id, ...) \
  milter_log (MILTER_LOG_LEVEL_ERROR, session_id, __VA_ARGS__)
#define milter_warning(session_id, ...) \
  milter_log (MILTER_LOG_LEVEL_WARNING, session_id, __VA_ARGS__)
#define milter_info(session_id, ...) \
  milter_log (MILTER_LOG_LEVEL_INFO, session_id, __VA_ARGS__)
#define milter_debug(session_id, ...) \
  milter_log (MILTER_LOG_LEVEL_DEBUG, session_id, __VA_ARGS__)
#define milter_statistics(session_id, ...) \
  milter_log (MILTER_LOG_LEVEL_STATISTICS, session_id, __VA_ARGS__)
#define milter_profile(session_id, ...) \
  milter_log (MILTER_LOG_LEVEL_PROFILE, session_id, __VA_ARGS__)

/* Outputs. Standard error is on by default; a file replaces it. */
void milter_logger_set_stderr (gboolean enabled);
gboolean milter_logger_get_stderr (void);
gboolean milter_logger_set_file (const gchar *path, GError **error);
/* Reopen the file after rotation (e.g. on SIGHUP). */
gboolean milter_logger_reopen (GError **error);
/* facility: "mail" (default when NULL), "daemon", "user", "authpriv", "cron",
 * "kern", "lpr", "news", "uucp", "local0".."local7". */
gboolean milter_logger_set_syslog (const gchar *identity,
                                   const gchar *facility,
                                   GError **error);
void milter_logger_unset_syslog (void);
/* Facility name to LOG_MAIL etc.; NULL means "mail". */
gboolean milter_log_syslog_facility_parse (const gchar *name,
                                           gint *facility,
                                           GError **error);
/* syslog priority of a single level: LOG_CRIT ... LOG_DEBUG;
 * statistics and profile map to LOG_INFO. */
gint milter_log_level_syslog_priority (MilterLogLevelFlags level);

/* line is the whole formatted line, "[SESSION] " part included, no newline. */
typedef void (*MilterLogHandler) (MilterLogLevelFlags level,
                                  guint64 session_id,
                                  const gchar *line,
                                  gpointer user_data);
guint milter_logger_add_handler (MilterLogHandler handler,
                                 gpointer user_data,
                                 GDestroyNotify destroy);
void milter_logger_remove_handler (guint handler_id);

/* Back to the start state: default levels, standard error only, no
 * handlers, syslog and file closed. */
void milter_logger_reset (void);

G_END_DECLS

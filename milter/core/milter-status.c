/*
 * milter-status - the result of a milter event, and how results combine
 *
 * Names and ranks live in one table indexed by the enum so that adding a
 * status means adding one row.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-status.h>

G_DEFINE_QUARK (milter-status-parse-error-quark, milter_status_parse_error)

G_DEFINE_ENUM_TYPE (MilterStatus, milter_status,
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_NOT_CHANGE, "not-change"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_CONTINUE, "continue"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_ACCEPT, "accept"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_REJECT, "reject"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_TEMPORARY_FAILURE, "temporary-failure"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_DISCARD, "discard"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_SKIP, "skip"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_PROGRESS, "progress"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_PASS, "pass"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_STOP, "stop"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_ERROR, "error"),
  G_DEFINE_ENUM_VALUE (MILTER_STATUS_DEFAULT, "default"))

static const struct {
  const gchar *name;
  gint rank;          /* higher wins; the order is argued in the header */
  gboolean final;
} status_table[MILTER_STATUS_COUNT] = {
  [MILTER_STATUS_NOT_CHANGE] = {"not-change", 0, FALSE},
  [MILTER_STATUS_DEFAULT] = {"default", 1, FALSE},
  [MILTER_STATUS_PROGRESS] = {"progress", 2, FALSE},
  [MILTER_STATUS_STOP] = {"stop", 3, TRUE},
  [MILTER_STATUS_PASS] = {"pass", 4, TRUE},
  [MILTER_STATUS_ACCEPT] = {"accept", 5, TRUE},
  [MILTER_STATUS_SKIP] = {"skip", 6, FALSE},
  [MILTER_STATUS_CONTINUE] = {"continue", 7, FALSE},
  [MILTER_STATUS_ERROR] = {"error", 8, TRUE},
  [MILTER_STATUS_TEMPORARY_FAILURE] = {"temporary-failure", 9, TRUE},
  [MILTER_STATUS_REJECT] = {"reject", 10, TRUE},
  [MILTER_STATUS_DISCARD] = {"discard", 11, TRUE},
};

static gboolean
status_is_valid (MilterStatus status)
{
  return (guint) status < MILTER_STATUS_COUNT;
}

const gchar *
milter_status_to_string (MilterStatus status)
{
  return status_is_valid (status) ? status_table[status].name : NULL;
}

gboolean
milter_status_from_string (const gchar *string,
                           MilterStatus *status,
                           GError **error)
{
  g_autofree gchar *name = NULL;

  if (!string)
    string = "";
  name = g_ascii_strdown (string, -1);
  g_strstrip (name);
  g_strdelimit (name, "_", '-');

  /* Sendmail's and Postfix's configuration spelling. */
  if (strcmp (name, "tempfail") == 0) {
    *status = MILTER_STATUS_TEMPORARY_FAILURE;
    return TRUE;
  }
  for (guint i = 0; i < MILTER_STATUS_COUNT; i++) {
    if (strcmp (name, status_table[i].name) == 0) {
      *status = (MilterStatus) i;
      return TRUE;
    }
  }
  g_set_error (error, MILTER_STATUS_PARSE_ERROR,
               MILTER_STATUS_PARSE_ERROR_UNKNOWN_NAME,
               "unknown status '%s'", string);
  return FALSE;
}

MilterStatus
milter_status_from_reply_type (guint8 reply)
{
  switch (reply) {
  case MILTER_REPLY_CONTINUE: return MILTER_STATUS_CONTINUE;
  case MILTER_REPLY_ACCEPT: return MILTER_STATUS_ACCEPT;
  case MILTER_REPLY_REJECT: return MILTER_STATUS_REJECT;
  case MILTER_REPLY_TEMPORARY_FAILURE: return MILTER_STATUS_TEMPORARY_FAILURE;
  case MILTER_REPLY_DISCARD: return MILTER_STATUS_DISCARD;
  case MILTER_REPLY_SKIP: return MILTER_STATUS_SKIP;
  case MILTER_REPLY_PROGRESS: return MILTER_STATUS_PROGRESS;
  /* Shutdown is answered with 421; Sendmail reads connection-failure as a
   * temporary failure too (Postfix calls it a protocol error, which lands
   * on its default action, normally tempfail as well). */
  case MILTER_REPLY_SHUTDOWN: return MILTER_STATUS_TEMPORARY_FAILURE;
  case MILTER_REPLY_CONNECTION_FAILURE: return MILTER_STATUS_TEMPORARY_FAILURE;
  default:
    return milter_reply_type_is_valid (reply) ? MILTER_STATUS_NOT_CHANGE
                                              : MILTER_STATUS_ERROR;
  }
}

MilterStatus
milter_status_from_reply_code (guint code)
{
  if (code >= 400 && code <= 499)
    return MILTER_STATUS_TEMPORARY_FAILURE;
  if (code >= 500 && code <= 599)
    return MILTER_STATUS_REJECT;
  return MILTER_STATUS_ERROR;
}

gboolean
milter_status_is_final (MilterStatus status)
{
  return status_is_valid (status) && status_table[status].final;
}

gint
milter_status_rank (MilterStatus status)
{
  return status_is_valid (status) ? status_table[status].rank : -1;
}

MilterStatus
milter_status_merge (MilterStatus a, MilterStatus b)
{
  return milter_status_rank (b) > milter_status_rank (a) ? b : a;
}

MilterStatus
milter_status_merge_all (const MilterStatus *statuses, guint n)
{
  MilterStatus merged = MILTER_STATUS_NOT_CHANGE;

  for (guint i = 0; i < n; i++)
    merged = milter_status_merge (merged, statuses[i]);
  return merged;
}

gboolean
milter_status_reply_code_matches (MilterStatus status, guint code)
{
  switch (status) {
  case MILTER_STATUS_TEMPORARY_FAILURE:
    return code >= 400 && code <= 499;
  case MILTER_STATUS_REJECT:
    return code >= 500 && code <= 599;
  default:
    return FALSE;
  }
}

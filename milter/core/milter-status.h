/*
 * milter-status - the result of a milter event, and how results combine
 *
 * SYNOPSIS
 *   #include <milter/core/milter-status.h>
 *
 *   const gchar *milter_status_to_string (status);
 *   gboolean milter_status_from_string (string, &status, &error);
 *   MilterStatus milter_status_from_reply_type (reply);
 *   MilterStatus milter_status_from_reply_code (code);
 *   gboolean milter_status_is_final (status);
 *   gint milter_status_rank (status);
 *   MilterStatus milter_status_merge (a, b);
 *   MilterStatus milter_status_merge_all (statuses, n);
 *   gboolean milter_status_reply_code_matches (status, code);
 *
 * DESCRIPTION
 *   A MilterStatus is what a milter (or the manager) answered for an event,
 *   plus a few values the project needs around that: NOT_CHANGE (no status
 *   yet; 0, so zeroed memory means it), PASS (implicit accept: the child
 *   was never asked or left without a verdict), STOP (the child's
 *   processing was aborted part-way, e.g. by an applicable condition),
 *   ERROR (the child failed; callers turn it into the child's
 *   fallback_status) and DEFAULT (let the library pick its default
 *   answer). Names are those of the log catalogue: "temporary-failure",
 *   "not-change", ...
 *
 *   Ranking, most important first:
 *
 *     discard > reject > temporary-failure > error > continue > skip >
 *     accept > pass > stop > progress > default > not-change
 *
 *   The six protocol verdicts are ordered as the manager combines its
 *   children (see architecture.md). The others sit where they do no harm:
 *   error sits above continue so that an unresolved failure is never
 *   hidden by a child that merely continues, but below the explicit
 *   refusals, which are decisions; callers should still turn ERROR into
 *   fallback_status before merging. pass and stop count as accept, so they
 *   rank just under it: an explicit accept is what gets logged when present.
 *   progress, default and not-change decide nothing and only win against
 *   each other; not-change is the identity of milter_status_merge().
 *
 *   milter_status_from_reply_type() maps a reply byte: 'c' 'a' 'r' 't' 'd'
 *   's' 'p' to their statuses; '4' (shutdown, a 421) and 'f' (connection
 *   failure, as Sendmail reads it) to TEMPORARY_FAILURE; replies that carry
 *   no status ('y' reply-code, 'O' and the modification replies) to
 *   NOT_CHANGE; bytes that are not replies to ERROR. A 'y' reply's status
 *   is for the caller to take from its code, for example with
 *   milter_status_from_reply_code() (4xx temporary-failure, 5xx reject,
 *   anything else ERROR).
 *
 *   milter_status_is_final() is TRUE for statuses after which the milter
 *   gets no more events for the message: accept, reject,
 *   temporary-failure, discard, pass, stop and error. At
 *   envelope-recipient, reject and temporary-failure apply to that
 *   recipient only; that exception is the caller's.
 *
 *   milter_status_reply_code_matches() is the rule for passing on a custom
 *   reply: a 4xx code only with TEMPORARY_FAILURE, a 5xx code only with
 *   REJECT, nothing else.
 *
 * DIAGNOSTICS
 *   milter_status_from_string() fails with MILTER_STATUS_PARSE_ERROR_UNKNOWN_NAME.
 *   (The domain is not called MILTER_STATUS_ERROR: that name is the ERROR
 *   status.) milter_status_to_string() returns NULL for a value outside the
 *   enum; milter_status_rank() returns -1 for it, so any real status beats it.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MILTER_STATUS_PARSE_ERROR (milter_status_parse_error_quark ())
GQuark milter_status_parse_error_quark (void);

typedef enum {
  MILTER_STATUS_PARSE_ERROR_UNKNOWN_NAME
} MilterStatusParseError;

typedef enum {
  MILTER_STATUS_NOT_CHANGE,
  MILTER_STATUS_CONTINUE,
  MILTER_STATUS_ACCEPT,
  MILTER_STATUS_REJECT,
  MILTER_STATUS_TEMPORARY_FAILURE,
  MILTER_STATUS_DISCARD,
  MILTER_STATUS_SKIP,
  MILTER_STATUS_PROGRESS,
  MILTER_STATUS_PASS,
  MILTER_STATUS_STOP,
  MILTER_STATUS_ERROR,
  MILTER_STATUS_DEFAULT
} MilterStatus;
#define MILTER_STATUS_COUNT (MILTER_STATUS_DEFAULT + 1)

/* GEnum, for properties such as fallback-status; nicks are the names. */
#define MILTER_TYPE_STATUS (milter_status_get_type ())
GType milter_status_get_type (void) G_GNUC_CONST;

const gchar *milter_status_to_string (MilterStatus status);
/* Case-insensitive; "_" reads as "-"; "tempfail" is temporary-failure. */
gboolean milter_status_from_string (const gchar *string,
                                    MilterStatus *status,
                                    GError **error);
MilterStatus milter_status_from_reply_type (guint8 reply);
MilterStatus milter_status_from_reply_code (guint code);
gboolean milter_status_is_final (MilterStatus status);
gint milter_status_rank (MilterStatus status);
MilterStatus milter_status_merge (MilterStatus a, MilterStatus b);
/* NOT_CHANGE for n == 0. */
MilterStatus milter_status_merge_all (const MilterStatus *statuses, guint n);
gboolean milter_status_reply_code_matches (MilterStatus status, guint code);

G_END_DECLS

/*
 * milter-manager-reply-rules - how children's replies become the MTA's reply
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-reply-rules.h>
 *
 *   MilterStatus milter_manager_reply_rules_count (stage, status,
 *                                                  fallback_status,
 *                                                  evaluation_mode);
 *   gboolean milter_manager_reply_rules_is_neutralised (status,
 *                                                       evaluation_mode);
 *   MilterStatus milter_manager_reply_rules_combine (stage, counted, n);
 *   MilterManagerChildEffect milter_manager_reply_rules_child_effect
 *                              (stage, status, evaluation_mode);
 *   gboolean milter_manager_reply_rules_aborts_all (stage, merged);
 *   MilterManagerDelivery milter_manager_reply_rules_delivery (stage,
 *                                                              effective,
 *                                                              &counted);
 *
 *   MilterStatus milter_manager_reply_code_status (text);
 *   MilterStatus milter_manager_reply_codes_add (codes, text, &error);
 *   const gchar *milter_manager_reply_codes_lookup (codes, status);
 *   void milter_manager_reply_codes_clear (codes);
 *
 *   void milter_manager_reply_rules_child_offer (mta_offer, &offer);
 *   gboolean milter_manager_reply_rules_child_option (offer, reply,
 *                                                     &effective, &error);
 *   void milter_manager_reply_rules_negotiate_reply (mta_offer, children,
 *                                                    n, &reply);
 *   MilterMacrosRequests *milter_manager_reply_rules_negotiate_macros
 *                           (reply, children_requests, n);
 *
 * DESCRIPTION
 *   The pure rules of one manager session (manager-behaviour.md). A stage
 *   is a MilterServerState: the command the children are answering. The
 *   children and leader objects hold the state and do the I/O; every
 *   decision is taken here.
 *
 *   Counting (§2.2, §7, applicable-conditions.md §1.1): a child's reply
 *   counts as its own status, except: error counts as the child's
 *   fallback_status (evaluation mode does not neutralise it); in
 *   evaluation mode reject, temporary-failure and discard count as accept
 *   (is_neutralised() says when, so the caller can log
 *   [children][evaluation]); a child stopped by an applicable condition
 *   counts as accept, except at envelope-recipient, where the child was
 *   not shown the recipient but keeps its part in the message, so it
 *   counts as continue, and in a state without
 *   stoppers (negotiate, unknown), where it counts as temporary-failure;
 *   pass counts as accept; progress and default count as nothing.
 *
 *   Combining (§2.3, §4.1, §4.5): the counted statuses merge by rank,
 *   discard > reject > temporary-failure > continue > skip > accept, and
 *   any status beats "none yet" (MILTER_STATUS_NOT_CHANGE, returned when
 *   nothing was counted: the caller then applies manager.fallback_status
 *   once, D2). The MTA is never sent skip (it gets continue) and pass or
 *   stop read as accept.
 *
 *   Effect on the child (§2.4, §4.1, §4.4, with D8 and D18 fixed):
 *
 *   stage           continue  accept   reject/tempfail  discard  skip
 *   negotiate       invalid   invalid  invalid          invalid  invalid
 *   connect, helo   stays     quits    quits            invalid  invalid
 *   envelope-from   stays     leaves   leaves           leaves   invalid
 *   data            stays     leaves   leaves           leaves   invalid
 *   env.-recipient  stays     leaves   rejects rcpt     leaves   invalid
 *   unknown         stays     stays    stays            invalid  invalid
 *   header, e-o-h   stays     leaves   ends message     ends     invalid
 *   body            stays     leaves   ends message     ends     skips body
 *   end-of-message  leaves    leaves   ends message     ends     invalid
 *
 *   "quits": sent quit, out of the connection; "leaves": out of this
 *   message (at end-of-message, continue and accept both finish the
 *   child's part and hand over to the next child); "ends message": the
 *   MTA gets that status and everybody is aborted; "invalid": log
 *   [children][error][invalid-state], send quit, the status still
 *   counts. In evaluation mode the effect is the real reply's (the child
 *   quits at connect, leaves at envelope-from, rejects the recipient in
 *   its own view), except at the message stages, where a neutralised
 *   reply makes only that child leave the message (D8). A stopped child
 *   quits at connect and helo, stays at envelope-recipient, leaves the
 *   message elsewhere (it is sent abort) and is invalid at negotiate and
 *   unknown. Error drops the child. Progress and no status leave it where
 *   it is.
 *
 *   aborts_all() is the effect of the merged status on everybody (§2.4):
 *   at envelope-from, data and the message stages a merged reject,
 *   temporary-failure or discard aborts every child of the message; at
 *   envelope-recipient only discard does; at connect, helo and unknown
 *   nothing does.
 *
 *   delivery() (§2.6) says whether a command goes to a child with its
 *   effective option: NO_* for the stage, or DATA to a child of version
 *   below 4, means it is not sent and counts as continue at once (skip
 *   for NO_BODY); NR_* means it is sent and counts as continue without
 *   waiting; otherwise it is sent and the reply awaited. Negotiate and
 *   end-of-message are always sent and awaited.
 *
 *   Reply codes (§2.5 with D3 and D7 fixed): a 'y' reply counts as
 *   temporary-failure when its text starts with '4', as reject otherwise
 *   (reply_code_status()). A MilterManagerReplyCodes holds the codes of
 *   one reply to the MTA: add() checks the text as it arrives (core's
 *   milter_reply_code_parse: code 400-599, extended code of the same
 *   class) and keeps the last valid text of each class; an invalid text
 *   is refused with the parser's error and counts by its first digit,
 *   so the MTA gets the plain r or t. lookup() gives the text to send
 *   with the merged status: a 4xx text with temporary-failure, a 5xx
 *   text with reject, NULL (send the plain status) otherwise. The caller
 *   clears the codes once the reply is sent, so no code outlives its
 *   reply. An evaluation child's code is not added (it counts as accept).
 *
 *   Negotiation (§1.2, §1.3 with D13, D14 and D15 fixed): each child is
 *   offered the MTA's own offer with the version capped at 6, always the
 *   unmodified offer. A child's effective option is its version, offer ∧
 *   reply for actions and steps; a reply version above the offer's is
 *   refused (MILTER_MANAGER_ERROR_NEWER_VERSION, "unsupported newer
 *   version is requested: OFFER < CHILD"). The reply to the MTA is core's
 *   milter_option_merge_children() then milter_option_reply_to_mta() over
 *   the children's effective options: version min(MTA, 6), actions the
 *   MTA offered ∧ the union of the children's (D14), no NO_* flag, SKIP,
 *   RCPT_REJ and HDR_LEADSPC if offered and asked by one child; never an
 *   NR_* flag (D13): the manager answers every command, since a live
 *   child's verdict must be able to reach the MTA at any header or body
 *   chunk. With no child, the actions and steps are 0 (the leader closes
 *   the MTA connection instead, D1). The macro lists (negotiate_macros)
 *   are, per stage, the union of the children's lists, but no list at
 *   all for a stage where one child sent none (D15), and none at all
 *   unless the reply keeps MILTER_ACTION_SET_SYMBOL_LIST.
 *
 * DIAGNOSTICS
 *   child_option() fails with MILTER_MANAGER_ERROR_NEWER_VERSION;
 *   reply_codes_add() with the MILTER_REPLY_CODE_ERROR of the parser,
 *   prefixed. Everything else only decides.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-macros-requests.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-status.h>
#include <milter/server/milter-server-reply-rules.h>

G_BEGIN_DECLS

typedef enum {
  MILTER_MANAGER_CHILD_EFFECT_STAYS,
  MILTER_MANAGER_CHILD_EFFECT_SKIPS_BODY,
  MILTER_MANAGER_CHILD_EFFECT_REJECTS_RECIPIENT,
  MILTER_MANAGER_CHILD_EFFECT_LEAVES_MESSAGE,
  MILTER_MANAGER_CHILD_EFFECT_QUITS,
  MILTER_MANAGER_CHILD_EFFECT_ENDS_MESSAGE,
  MILTER_MANAGER_CHILD_EFFECT_INVALID_STATE,
  MILTER_MANAGER_CHILD_EFFECT_DROPPED
} MilterManagerChildEffect;

typedef enum {
  MILTER_MANAGER_DELIVERY_SEND,
  MILTER_MANAGER_DELIVERY_SEND_NO_REPLY,
  MILTER_MANAGER_DELIVERY_NOT_SENT
} MilterManagerDelivery;

MilterStatus milter_manager_reply_rules_count (MilterServerState stage,
                                               MilterStatus status,
                                               MilterStatus fallback_status,
                                               gboolean evaluation_mode);
gboolean milter_manager_reply_rules_is_neutralised (MilterStatus status,
                                                    gboolean evaluation_mode);
/* D21: with RCPT_REJ granted to the MTA, a recipient it already rejected
 * comes marked by {rcpt_mailer} "error" (rcpt_mailer nullable). Such a
 * recipient goes only to children that negotiated RCPT_REJ. */
gboolean milter_manager_reply_rules_is_rejected_recipient (MilterStepFlags granted,
                                                           const gchar *rcpt_mailer);
/* counted: results of milter_manager_reply_rules_count(). */
MilterStatus milter_manager_reply_rules_combine (MilterServerState stage,
                                                 const MilterStatus *counted,
                                                 guint n_counted);
/* status: the child's real reply (a 'y' as reply_code_status() reads it). */
MilterManagerChildEffect
milter_manager_reply_rules_child_effect (MilterServerState stage,
                                         MilterStatus status,
                                         gboolean evaluation_mode);
gboolean milter_manager_reply_rules_aborts_all (MilterServerState stage,
                                                MilterStatus merged);
/* counted (nullable): what the child counts as at once; NOT_CHANGE for
 * DELIVERY_SEND. */
MilterManagerDelivery
milter_manager_reply_rules_delivery (MilterServerState stage,
                                     const MilterOption *effective,
                                     MilterStatus *counted);

typedef struct {
  gchar *temporary_failure;  /* last valid 4xx text of this reply, or NULL */
  gchar *reject;             /* last valid 5xx text of this reply, or NULL */
} MilterManagerReplyCodes;
#define MILTER_MANAGER_REPLY_CODES_INIT { NULL, NULL }

MilterStatus milter_manager_reply_code_status (const gchar *text);
/* Returns the status the reply counts as, also on error. */
MilterStatus milter_manager_reply_codes_add (MilterManagerReplyCodes *codes,
                                             const gchar *text,
                                             GError **error);
const gchar *milter_manager_reply_codes_lookup (const MilterManagerReplyCodes *codes,
                                                MilterStatus status);
void milter_manager_reply_codes_clear (MilterManagerReplyCodes *codes);

void milter_manager_reply_rules_child_offer (const MilterOption *mta_offer,
                                             MilterOption *offer);
gboolean milter_manager_reply_rules_child_option (const MilterOption *offer,
                                                  const MilterOption *reply,
                                                  MilterOption *effective,
                                                  GError **error);
/* children: the effective options of the children that negotiated. */
void milter_manager_reply_rules_negotiate_reply (const MilterOption *mta_offer,
                                                 const MilterOption *children,
                                                 guint n_children,
                                                 MilterOption *reply);
/* children_requests[i] NULL: that child sent no lists. Returns NULL when
 * no stage gets a list. */
MilterMacrosRequests *
milter_manager_reply_rules_negotiate_macros (const MilterOption *reply,
                                             const MilterMacrosRequests *const *children_requests,
                                             guint n_children);

G_END_DECLS

/*
 * milter-manager-reply-rules - how children's replies become the MTA's reply
 *
 * Written as switches over the stage and the status rather than as one
 * big table, so that each row of the specification's tables reads as one
 * case here. Ranking is core's milter_status_merge(); the negotiation
 * reply is core's option rules plus the manager's own masking.
 */
#include "config.h"

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-macros-requests.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply-code.h>
#include <milter/core/milter-status.h>
#include <milter/manager/milter-manager-error.h>
#include <milter/manager/milter-manager-reply-rules.h>

static gboolean
is_refusal (MilterStatus status)
{
  return status == MILTER_STATUS_REJECT ||
         status == MILTER_STATUS_TEMPORARY_FAILURE ||
         status == MILTER_STATUS_DISCARD;
}

static gboolean
is_message_stage (MilterServerState stage)
{
  switch (stage) {
  case MILTER_SERVER_STATE_HEADER:
  case MILTER_SERVER_STATE_END_OF_HEADER:
  case MILTER_SERVER_STATE_BODY:
  case MILTER_SERVER_STATE_END_OF_MESSAGE:
    return TRUE;
  default:
    return FALSE;
  }
}

gboolean
milter_manager_reply_rules_is_neutralised (MilterStatus status,
                                           gboolean evaluation_mode)
{
  return evaluation_mode && is_refusal (status);
}

#define STAYS MILTER_MANAGER_CHILD_EFFECT_STAYS
#define SKIPS MILTER_MANAGER_CHILD_EFFECT_SKIPS_BODY
#define REJECTS_RCPT MILTER_MANAGER_CHILD_EFFECT_REJECTS_RECIPIENT
#define LEAVES MILTER_MANAGER_CHILD_EFFECT_LEAVES_MESSAGE
#define QUITS MILTER_MANAGER_CHILD_EFFECT_QUITS
#define ENDS MILTER_MANAGER_CHILD_EFFECT_ENDS_MESSAGE
#define INVALID MILTER_MANAGER_CHILD_EFFECT_INVALID_STATE

/* The table of the header, one row per stage that takes verdicts; any
 * other stage (negotiate included) finds every verdict invalid. */
typedef struct {
  MilterServerState stage;
  MilterManagerChildEffect on_continue;
  MilterManagerChildEffect on_accept;
  MilterManagerChildEffect on_refusal;  /* reject, temporary-failure */
  MilterManagerChildEffect on_discard;
  MilterManagerChildEffect on_skip;
  /* Stopped by an applicable condition (applicable-conditions.md §1.1). */
  MilterManagerChildEffect on_stop;
} StageEffects;

static const StageEffects stage_effects[] = {
  /* stage                    c      a       r/t     d        s        stop */
  {MILTER_SERVER_STATE_CONNECT,
                              STAYS, QUITS,  QUITS,  INVALID, INVALID, QUITS},
  {MILTER_SERVER_STATE_HELO,  STAYS, QUITS,  QUITS,  INVALID, INVALID, QUITS},
  {MILTER_SERVER_STATE_ENVELOPE_FROM,
                              STAYS, LEAVES, LEAVES, LEAVES,  INVALID, LEAVES},
  {MILTER_SERVER_STATE_DATA,  STAYS, LEAVES, LEAVES, LEAVES,  INVALID, LEAVES},
  {MILTER_SERVER_STATE_ENVELOPE_RECIPIENT,
                              STAYS, LEAVES, REJECTS_RCPT,
                                                     LEAVES,  INVALID, STAYS},
  /* D18: a/r/t answer that command only. */
  {MILTER_SERVER_STATE_UNKNOWN,
                              STAYS, STAYS,  STAYS,  INVALID, INVALID, INVALID},
  {MILTER_SERVER_STATE_HEADER,
                              STAYS, LEAVES, ENDS,   ENDS,    INVALID, LEAVES},
  {MILTER_SERVER_STATE_END_OF_HEADER,
                              STAYS, LEAVES, ENDS,   ENDS,    INVALID, LEAVES},
  {MILTER_SERVER_STATE_BODY,  STAYS, LEAVES, ENDS,   ENDS,    SKIPS,   LEAVES},
  {MILTER_SERVER_STATE_END_OF_MESSAGE,
                              LEAVES, LEAVES, ENDS,  ENDS,    INVALID, LEAVES},
};

/* status: continue, accept, reject, temporary-failure, discard, skip or
 * stop. */
static MilterManagerChildEffect
verdict_effect (MilterServerState stage, MilterStatus status)
{
  for (guint i = 0; i < G_N_ELEMENTS (stage_effects); i++) {
    const StageEffects *row = &stage_effects[i];

    if (row->stage != stage)
      continue;
    switch (status) {
    case MILTER_STATUS_STOP:
      return row->on_stop;
    case MILTER_STATUS_CONTINUE:
      return row->on_continue;
    case MILTER_STATUS_ACCEPT:
      return row->on_accept;
    case MILTER_STATUS_REJECT:
    case MILTER_STATUS_TEMPORARY_FAILURE:
      return row->on_refusal;
    case MILTER_STATUS_DISCARD:
      return row->on_discard;
    case MILTER_STATUS_SKIP:
      return row->on_skip;
    default:
      return INVALID;
    }
  }
  return INVALID;
}

/* What a stop counts as follows from what it does: out of the connection
 * or the message is an accept; at envelope-recipient the child was not
 * shown that recipient but stays in the message, so it counts as
 * continue: it cannot refuse the recipient, and the MTA must not be told
 * "accept" (nor get the fallback for want of an answer) while the child
 * still takes part; where no stopper runs, a stop is a fault, counted as
 * a temporary failure. */
static MilterStatus
stop_counts_as (MilterServerState stage)
{
  switch (verdict_effect (stage, MILTER_STATUS_STOP)) {
  case MILTER_MANAGER_CHILD_EFFECT_STAYS:
    return MILTER_STATUS_CONTINUE;
  case MILTER_MANAGER_CHILD_EFFECT_INVALID_STATE:
    return MILTER_STATUS_TEMPORARY_FAILURE;
  default:
    return MILTER_STATUS_ACCEPT;
  }
}

MilterStatus
milter_manager_reply_rules_count (MilterServerState stage,
                                  MilterStatus status,
                                  MilterStatus fallback_status,
                                  gboolean evaluation_mode)
{
  if (milter_manager_reply_rules_is_neutralised (status, evaluation_mode))
    return MILTER_STATUS_ACCEPT;
  switch (status) {
  case MILTER_STATUS_ERROR:
    return fallback_status;
  case MILTER_STATUS_STOP:
    return stop_counts_as (stage);
  case MILTER_STATUS_PASS:
    return MILTER_STATUS_ACCEPT;
  case MILTER_STATUS_PROGRESS:
  case MILTER_STATUS_DEFAULT:
    return MILTER_STATUS_NOT_CHANGE;
  default:
    return status;
  }
}

MilterStatus
milter_manager_reply_rules_combine (MilterServerState stage,
                                    const MilterStatus *counted,
                                    guint n_counted)
{
  MilterStatus merged = milter_status_merge_all (counted, n_counted);

  switch (merged) {
  case MILTER_STATUS_SKIP:
    /* A skip ends one child's body only; the MTA must go on sending. */
    return MILTER_STATUS_CONTINUE;
  case MILTER_STATUS_PASS:
  case MILTER_STATUS_STOP:
    return MILTER_STATUS_ACCEPT;
  default:
    return merged;
  }
}

MilterManagerChildEffect
milter_manager_reply_rules_child_effect (MilterServerState stage,
                                         MilterStatus status,
                                         gboolean evaluation_mode)
{
  switch (status) {
  case MILTER_STATUS_ERROR:
    return MILTER_MANAGER_CHILD_EFFECT_DROPPED;
  case MILTER_STATUS_NOT_CHANGE:
  case MILTER_STATUS_PROGRESS:
  case MILTER_STATUS_DEFAULT:
    return MILTER_MANAGER_CHILD_EFFECT_STAYS;
  case MILTER_STATUS_PASS:
    return verdict_effect (stage, MILTER_STATUS_ACCEPT);
  default:
    break;
  }
  /* D8: in evaluation mode, a refusal at a message stage takes only this
   * child out, as an accept would; the next child carries on. */
  if (is_message_stage (stage) &&
      milter_manager_reply_rules_is_neutralised (status, evaluation_mode))
    return verdict_effect (stage, MILTER_STATUS_ACCEPT);
  return verdict_effect (stage, status);
}

gboolean
milter_manager_reply_rules_aborts_all (MilterServerState stage,
                                       MilterStatus merged)
{
  switch (stage) {
  case MILTER_SERVER_STATE_ENVELOPE_FROM:
  case MILTER_SERVER_STATE_DATA:
  case MILTER_SERVER_STATE_HEADER:
  case MILTER_SERVER_STATE_END_OF_HEADER:
  case MILTER_SERVER_STATE_BODY:
  case MILTER_SERVER_STATE_END_OF_MESSAGE:
    return is_refusal (merged);
  case MILTER_SERVER_STATE_ENVELOPE_RECIPIENT:
    /* A refused recipient is that recipient only; discard is the message. */
    return merged == MILTER_STATUS_DISCARD;
  default:
    return FALSE;
  }
}

typedef struct {
  MilterServerState stage;
  MilterStepFlags no_event;
  MilterStepFlags no_reply;
} StageSteps;

static const StageSteps stage_steps[] = {
  {MILTER_SERVER_STATE_CONNECT, MILTER_STEP_NO_CONNECT,
   MILTER_STEP_NO_REPLY_CONNECT},
  {MILTER_SERVER_STATE_HELO, MILTER_STEP_NO_HELO, MILTER_STEP_NO_REPLY_HELO},
  {MILTER_SERVER_STATE_ENVELOPE_FROM, MILTER_STEP_NO_ENVELOPE_FROM,
   MILTER_STEP_NO_REPLY_ENVELOPE_FROM},
  {MILTER_SERVER_STATE_ENVELOPE_RECIPIENT, MILTER_STEP_NO_ENVELOPE_RECIPIENT,
   MILTER_STEP_NO_REPLY_ENVELOPE_RECIPIENT},
  {MILTER_SERVER_STATE_DATA, MILTER_STEP_NO_DATA, MILTER_STEP_NO_REPLY_DATA},
  {MILTER_SERVER_STATE_UNKNOWN, MILTER_STEP_NO_UNKNOWN,
   MILTER_STEP_NO_REPLY_UNKNOWN},
  {MILTER_SERVER_STATE_HEADER, MILTER_STEP_NO_HEADERS,
   MILTER_STEP_NO_REPLY_HEADER},
  {MILTER_SERVER_STATE_END_OF_HEADER, MILTER_STEP_NO_END_OF_HEADER,
   MILTER_STEP_NO_REPLY_END_OF_HEADER},
  {MILTER_SERVER_STATE_BODY, MILTER_STEP_NO_BODY, MILTER_STEP_NO_REPLY_BODY},
};

gboolean
milter_manager_reply_rules_is_rejected_recipient (MilterStepFlags granted,
                                                  const gchar *rcpt_mailer)
{
  return (granted & MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED) && rcpt_mailer &&
         g_str_equal (rcpt_mailer, "error");
}

MilterManagerDelivery
milter_manager_reply_rules_delivery (MilterServerState stage,
                                     const MilterOption *effective,
                                     MilterStatus *counted)
{
  MilterManagerDelivery delivery = MILTER_MANAGER_DELIVERY_SEND;
  MilterStatus status = MILTER_STATUS_NOT_CHANGE;

  for (guint i = 0; i < G_N_ELEMENTS (stage_steps); i++) {
    if (stage_steps[i].stage != stage)
      continue;
    /* DATA exists from protocol version 4 on. */
    if ((effective->steps & stage_steps[i].no_event) ||
        (stage == MILTER_SERVER_STATE_DATA && effective->version < 4)) {
      delivery = MILTER_MANAGER_DELIVERY_NOT_SENT;
      status = stage == MILTER_SERVER_STATE_BODY ?
        MILTER_STATUS_SKIP : MILTER_STATUS_CONTINUE;
    } else if (effective->steps & stage_steps[i].no_reply) {
      delivery = MILTER_MANAGER_DELIVERY_SEND_NO_REPLY;
      status = MILTER_STATUS_CONTINUE;
    }
    break;
  }
  if (counted)
    *counted = status;
  return delivery;
}

MilterStatus
milter_manager_reply_code_status (const gchar *text)
{
  if (text && text[0] == '4')
    return MILTER_STATUS_TEMPORARY_FAILURE;
  return MILTER_STATUS_REJECT;
}

MilterStatus
milter_manager_reply_codes_add (MilterManagerReplyCodes *codes,
                                const gchar *text,
                                GError **error)
{
  MilterStatus status = milter_manager_reply_code_status (text);
  g_autoptr (MilterReplyCode) parsed = NULL;
  GError *parse_error = NULL;
  gchar **slot;

  parsed = milter_reply_code_parse (text ? text : "", &parse_error);
  if (!parsed) {
    /* D3: refused on arrival, so the MTA still gets a plain r/t. */
    g_propagate_prefixed_error (error, parse_error,
                                "invalid reply code text '%s': ",
                                text ? text : "");
    return status;
  }
  slot = status == MILTER_STATUS_TEMPORARY_FAILURE ?
    &codes->temporary_failure : &codes->reject;
  g_free (*slot);
  *slot = g_strdup (text);
  return status;
}

const gchar *
milter_manager_reply_codes_lookup (const MilterManagerReplyCodes *codes,
                                   MilterStatus status)
{
  switch (status) {
  case MILTER_STATUS_TEMPORARY_FAILURE:
    return codes->temporary_failure;
  case MILTER_STATUS_REJECT:
    return codes->reject;
  default:
    return NULL;
  }
}

void
milter_manager_reply_codes_clear (MilterManagerReplyCodes *codes)
{
  g_clear_pointer (&codes->temporary_failure, g_free);
  g_clear_pointer (&codes->reject, g_free);
}

void
milter_manager_reply_rules_child_offer (const MilterOption *mta_offer,
                                        MilterOption *offer)
{
  *offer = *mta_offer;
  offer->version = MIN (mta_offer->version, MILTER_PROTOCOL_VERSION_MAX);
}

gboolean
milter_manager_reply_rules_child_option (const MilterOption *offer,
                                         const MilterOption *reply,
                                         MilterOption *effective,
                                         GError **error)
{
  if (reply->version > offer->version) {
    g_set_error (error, MILTER_MANAGER_ERROR,
                 MILTER_MANAGER_ERROR_NEWER_VERSION,
                 "unsupported newer version is requested: "
                 "%" G_GUINT32_FORMAT " < %" G_GUINT32_FORMAT,
                 offer->version, reply->version);
    return FALSE;
  }
  milter_option_init (effective, reply->version,
                      offer->actions & reply->actions,
                      offer->steps & reply->steps);
  return TRUE;
}

void
milter_manager_reply_rules_negotiate_reply (const MilterOption *mta_offer,
                                            const MilterOption *children,
                                            guint n_children,
                                            MilterOption *reply)
{
  MilterOption merged;

  milter_option_merge_children (children, n_children, &merged);
  milter_option_reply_to_mta (mta_offer, &merged, reply);
  /* D13: see the header. */
  reply->steps &= ~MILTER_STEP_NO_REPLY_MASK;
}

MilterMacrosRequests *
milter_manager_reply_rules_negotiate_macros (const MilterOption *reply,
                                             const MilterMacrosRequests *const *children_requests,
                                             guint n_children)
{
  g_autoptr (MilterMacrosRequests) merged = NULL;

  if (n_children == 0 || !(reply->actions & MILTER_ACTION_SET_SYMBOL_LIST))
    return NULL;

  merged = milter_macros_requests_new ();
  for (guint stage = 0; stage < MILTER_MACRO_STAGE_COUNT; stage++) {
    gboolean every_child_listed = TRUE;

    for (guint i = 0; i < n_children && every_child_listed; i++) {
      const MilterMacrosRequests *requests = children_requests[i];

      every_child_listed =
        requests && milter_macros_requests_get (requests, stage)[0] != NULL;
    }
    /* D15: a child without a list wants the MTA's defaults for it. */
    if (!every_child_listed)
      continue;
    for (guint i = 0; i < n_children; i++) {
      const gchar *const *names =
        milter_macros_requests_get (children_requests[i], stage);

      for (; *names; names++)
        milter_macros_requests_add (merged, stage, *names);
    }
  }
  if (milter_macros_requests_is_empty (merged))
    return NULL;
  return g_steal_pointer (&merged);
}

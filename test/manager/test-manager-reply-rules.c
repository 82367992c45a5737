/*
 * test-manager-reply-rules - counting, combining, per-stage effects,
 * delivery, reply codes and negotiation of the manager (tables from
 * manager-behaviour.md §1.3, §2.3-§2.6, §4.1, §4.4, §7 and §9)
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

#define NEG MILTER_SERVER_STATE_NEGOTIATE
#define CON MILTER_SERVER_STATE_CONNECT
#define HELO MILTER_SERVER_STATE_HELO
#define FROM MILTER_SERVER_STATE_ENVELOPE_FROM
#define RCPT MILTER_SERVER_STATE_ENVELOPE_RECIPIENT
#define DATA MILTER_SERVER_STATE_DATA
#define UNK MILTER_SERVER_STATE_UNKNOWN
#define HDR MILTER_SERVER_STATE_HEADER
#define EOH MILTER_SERVER_STATE_END_OF_HEADER
#define BODY MILTER_SERVER_STATE_BODY
#define EOM MILTER_SERVER_STATE_END_OF_MESSAGE

#define NONE MILTER_STATUS_NOT_CHANGE
#define C MILTER_STATUS_CONTINUE
#define A MILTER_STATUS_ACCEPT
#define R MILTER_STATUS_REJECT
#define T MILTER_STATUS_TEMPORARY_FAILURE
#define D MILTER_STATUS_DISCARD
#define S MILTER_STATUS_SKIP
#define P MILTER_STATUS_PROGRESS
#define PASS MILTER_STATUS_PASS
#define STOP MILTER_STATUS_STOP
#define ERR MILTER_STATUS_ERROR

static gchar *
case_name (const gchar *what, MilterServerState stage, guint i)
{
  return g_strdup_printf ("%s case %u at %s", what, i,
                          milter_server_state_to_string (stage));
}

/* §2.2, §7, applicable-conditions §1.1 */
typedef struct {
  MilterServerState stage;
  MilterStatus status;
  MilterStatus fallback;
  gboolean evaluation;
  MilterStatus expected;
} CountCase;

static const CountCase count_cases[] = {
  {FROM, C, A, FALSE, C},
  {FROM, A, R, FALSE, A},
  {FROM, R, A, FALSE, R},
  {HDR, S, A, FALSE, S},
  /* errors and timeouts count as the fallback, even in evaluation mode */
  {FROM, ERR, A, FALSE, A},
  {FROM, ERR, T, FALSE, T},
  {EOM, ERR, R, TRUE, R},
  {EOM, ERR, D, FALSE, D},
  /* evaluation mode: refusals count as accept, the rest as themselves */
  {CON, R, A, TRUE, A},
  {RCPT, T, A, TRUE, A},
  {EOM, D, A, TRUE, A},
  {DATA, C, A, TRUE, C},
  {BODY, S, A, TRUE, S},
  {HELO, A, A, TRUE, A},
  /* stopped by a condition */
  {CON, STOP, A, FALSE, A},
  {FROM, STOP, T, FALSE, A},
  /* the child keeps its part in the message: continue, not nothing */
  {RCPT, STOP, A, FALSE, C},
  {DATA, STOP, A, FALSE, A},
  {BODY, STOP, A, FALSE, A},
  {UNK, STOP, A, FALSE, T},
  {NEG, STOP, A, FALSE, T},
  /* non-verdicts */
  {HDR, PASS, R, FALSE, A},
  {BODY, P, A, FALSE, NONE},
  {BODY, MILTER_STATUS_DEFAULT, A, FALSE, NONE},
  {CON, NONE, R, FALSE, NONE},
};

static void
test_count (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (count_cases); i++) {
    const CountCase *c = &count_cases[i];
    g_autofree gchar *name = case_name ("count", c->stage, i);

    g_test_message ("%s", name);
    g_assert_cmpstr (milter_status_to_string (
                       milter_manager_reply_rules_count (c->stage, c->status,
                                                         c->fallback,
                                                         c->evaluation)),
                     ==, milter_status_to_string (c->expected));
  }
}

static void
test_is_neutralised (void)
{
  g_assert_true (milter_manager_reply_rules_is_neutralised (R, TRUE));
  g_assert_true (milter_manager_reply_rules_is_neutralised (T, TRUE));
  g_assert_true (milter_manager_reply_rules_is_neutralised (D, TRUE));
  g_assert_false (milter_manager_reply_rules_is_neutralised (R, FALSE));
  g_assert_false (milter_manager_reply_rules_is_neutralised (A, TRUE));
  g_assert_false (milter_manager_reply_rules_is_neutralised (C, TRUE));
  g_assert_false (milter_manager_reply_rules_is_neutralised (ERR, TRUE));
}

/* D21 */
static void
test_is_rejected_recipient (void)
{
  static const struct {
    MilterStepFlags granted;
    const gchar *rcpt_mailer;
    gboolean expected;
  } cases[] = {
    {MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED, "error", TRUE},
    {MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED, "local", FALSE},
    {MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED, NULL, FALSE},
    {MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED | MILTER_STEP_SKIP, "error", TRUE},
    {MILTER_STEP_SKIP, "error", FALSE},
    {0, "error", FALSE},
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_manager_reply_rules_is_rejected_recipient (
                       cases[i].granted, cases[i].rcpt_mailer), ==,
                     cases[i].expected);
}

/* §2.3 for the envelope stages, §4.1/§4.5 for the message stages */
#define MAX_CHILDREN 4
typedef struct {
  MilterServerState stage;
  guint n;
  MilterStatus counted[MAX_CHILDREN];
  MilterStatus expected;
} CombineCase;

static const CombineCase combine_cases[] = {
  /* none yet */
  {CON, 0, {0}, NONE},
  {EOM, 0, {0}, NONE},
  {RCPT, 2, {NONE, NONE}, NONE},
  /* all continue, or continue mixed with accept/stop: c */
  {CON, 2, {C, C}, C},
  {HELO, 3, {C, A, C}, C},
  {FROM, 2, {A, C}, C},
  {RCPT, 2, {C, A}, C},          /* envelope-recipient-accept */
  {DATA, 2, {C, NONE}, C},
  {UNK, 1, {C}, C},
  {EOM, 2, {C, A}, C},
  /* all accept or stopped: a */
  {CON, 2, {A, A}, A},
  {FROM, 1, {A}, A},
  {RCPT, 2, {A, A}, A},          /* envelope-recipient-accept-all */
  {DATA, 2, {A, STOP}, A},
  {HDR, 2, {A, A}, A},           /* header-stop-all */
  {EOM, 2, {A, PASS}, A},
  /* a temporary-failure beats continue and accept */
  {CON, 3, {C, T, A}, T},
  {RCPT, 2, {T, C}, T},
  {EOM, 2, {A, T}, T},
  /* a reject beats temporary-failure */
  {FROM, 2, {R, A}, R},          /* envelope-from-reject-and-accept */
  {HELO, 3, {T, R, C}, R},
  {BODY, 2, {R, T}, R},
  /* a discard beats everything */
  {FROM, 2, {R, D}, D},          /* envelope-from-reject-and-discard */
  {RCPT, 3, {T, D, C}, D},
  {EOM, 3, {A, R, D}, D},
  /* skip: continue for the MTA, never s; skip beats accept */
  {BODY, 1, {S}, C},
  {BODY, 2, {S, A}, C},
  {BODY, 2, {S, C}, C},
  {EOM, 2, {S, A}, C},
};

static void
test_combine (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (combine_cases); i++) {
    const CombineCase *c = &combine_cases[i];
    g_autofree gchar *name = case_name ("combine", c->stage, i);

    g_test_message ("%s", name);
    g_assert_cmpstr (milter_status_to_string (
                       milter_manager_reply_rules_combine (c->stage,
                                                           c->counted, c->n)),
                     ==, milter_status_to_string (c->expected));
  }
}

#define STAYS MILTER_MANAGER_CHILD_EFFECT_STAYS
#define SKIPS MILTER_MANAGER_CHILD_EFFECT_SKIPS_BODY
#define RCPT_REJ MILTER_MANAGER_CHILD_EFFECT_REJECTS_RECIPIENT
#define LEAVES MILTER_MANAGER_CHILD_EFFECT_LEAVES_MESSAGE
#define QUITS MILTER_MANAGER_CHILD_EFFECT_QUITS
#define ENDS MILTER_MANAGER_CHILD_EFFECT_ENDS_MESSAGE
#define INVALID MILTER_MANAGER_CHILD_EFFECT_INVALID_STATE
#define DROPPED MILTER_MANAGER_CHILD_EFFECT_DROPPED

/* §2.4, §4.1, §4.4, §7, applicable-conditions §1.1; D8 and D18 fixed */
typedef struct {
  MilterServerState stage;
  MilterStatus status;
  gboolean evaluation;
  MilterManagerChildEffect expected;
} EffectCase;

static const EffectCase effect_cases[] = {
  /* negotiate takes no verdict */
  {NEG, C, FALSE, INVALID}, {NEG, A, FALSE, INVALID},
  {NEG, R, FALSE, INVALID}, {NEG, D, FALSE, INVALID},
  /* connect / helo: a/r/t quit the child; d is invalid */
  {CON, C, FALSE, STAYS}, {CON, A, FALSE, QUITS}, {CON, R, FALSE, QUITS},
  {CON, T, FALSE, QUITS}, {CON, D, FALSE, INVALID}, {CON, S, FALSE, INVALID},
  {HELO, C, FALSE, STAYS}, {HELO, A, FALSE, QUITS}, {HELO, R, FALSE, QUITS},
  {HELO, T, FALSE, QUITS}, {HELO, D, FALSE, INVALID},
  /* envelope-from / data: a/r/t/d take the child out of the message */
  {FROM, C, FALSE, STAYS}, {FROM, A, FALSE, LEAVES}, {FROM, R, FALSE, LEAVES},
  {FROM, T, FALSE, LEAVES}, {FROM, D, FALSE, LEAVES}, {FROM, S, FALSE, INVALID},
  {DATA, C, FALSE, STAYS}, {DATA, A, FALSE, LEAVES}, {DATA, R, FALSE, LEAVES},
  {DATA, T, FALSE, LEAVES}, {DATA, D, FALSE, LEAVES},
  /* envelope-recipient: r/t for that recipient only */
  {RCPT, C, FALSE, STAYS}, {RCPT, A, FALSE, LEAVES},
  {RCPT, R, FALSE, RCPT_REJ}, {RCPT, T, FALSE, RCPT_REJ},
  {RCPT, D, FALSE, LEAVES}, {RCPT, S, FALSE, INVALID},
  /* unknown: a/r/t answer that command only (D18); d invalid */
  {UNK, C, FALSE, STAYS}, {UNK, A, FALSE, STAYS}, {UNK, R, FALSE, STAYS},
  {UNK, T, FALSE, STAYS}, {UNK, D, FALSE, INVALID},
  /* header / end-of-header / body: the live child */
  {HDR, C, FALSE, STAYS}, {HDR, A, FALSE, LEAVES}, {HDR, R, FALSE, ENDS},
  {HDR, T, FALSE, ENDS}, {HDR, D, FALSE, ENDS}, {HDR, S, FALSE, INVALID},
  {EOH, C, FALSE, STAYS}, {EOH, A, FALSE, LEAVES}, {EOH, R, FALSE, ENDS},
  {EOH, D, FALSE, ENDS},
  {BODY, C, FALSE, STAYS}, {BODY, S, FALSE, SKIPS}, {BODY, A, FALSE, LEAVES},
  {BODY, R, FALSE, ENDS}, {BODY, T, FALSE, ENDS}, {BODY, D, FALSE, ENDS},
  /* end-of-message: c and a both hand over; refusals end the message */
  {EOM, C, FALSE, LEAVES}, {EOM, A, FALSE, LEAVES}, {EOM, R, FALSE, ENDS},
  {EOM, T, FALSE, ENDS}, {EOM, D, FALSE, ENDS}, {EOM, S, FALSE, INVALID},
  /* evaluation mode: the real reply's control flow at envelope stages */
  {CON, R, TRUE, QUITS}, {HELO, T, TRUE, QUITS},
  {FROM, R, TRUE, LEAVES}, {DATA, D, TRUE, LEAVES},
  {RCPT, R, TRUE, RCPT_REJ}, {RCPT, T, TRUE, RCPT_REJ},
  /* ... and only this child out at the message stages (D8) */
  {HDR, R, TRUE, LEAVES}, {EOH, T, TRUE, LEAVES}, {BODY, D, TRUE, LEAVES},
  {EOM, R, TRUE, LEAVES}, {EOM, C, TRUE, LEAVES}, {BODY, C, TRUE, STAYS},
  /* stopped by a condition */
  {CON, STOP, FALSE, QUITS}, {HELO, STOP, FALSE, QUITS},
  {FROM, STOP, FALSE, LEAVES}, {RCPT, STOP, FALSE, STAYS},
  {DATA, STOP, FALSE, LEAVES}, {HDR, STOP, FALSE, LEAVES},
  {BODY, STOP, FALSE, LEAVES}, {EOM, STOP, FALSE, LEAVES},
  {UNK, STOP, FALSE, INVALID}, {NEG, STOP, FALSE, INVALID},
  /* failures drop the child; non-verdicts leave it in place */
  {CON, ERR, FALSE, DROPPED}, {EOM, ERR, TRUE, DROPPED},
  {BODY, P, FALSE, STAYS}, {EOM, P, FALSE, STAYS}, {RCPT, NONE, FALSE, STAYS},
  {HDR, PASS, FALSE, LEAVES},
};

static void
test_child_effect (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (effect_cases); i++) {
    const EffectCase *c = &effect_cases[i];
    g_autofree gchar *name = case_name ("effect", c->stage, i);

    g_test_message ("%s", name);
    g_assert_cmpint (milter_manager_reply_rules_child_effect (c->stage,
                                                              c->status,
                                                              c->evaluation),
                     ==, c->expected);
  }
}

/* §2.4 "abort all" */
typedef struct {
  MilterServerState stage;
  MilterStatus merged;
  gboolean expected;
} AbortCase;

static const AbortCase abort_cases[] = {
  {CON, R, FALSE}, {CON, D, FALSE}, {HELO, T, FALSE}, {UNK, R, FALSE},
  {FROM, C, FALSE}, {FROM, A, FALSE}, {FROM, R, TRUE}, {FROM, T, TRUE},
  {FROM, D, TRUE},
  {RCPT, R, FALSE}, {RCPT, T, FALSE}, {RCPT, C, FALSE}, {RCPT, D, TRUE},
  {DATA, R, TRUE}, {DATA, T, TRUE}, {DATA, D, TRUE}, {DATA, A, FALSE},
  {HDR, R, TRUE}, {EOH, T, TRUE}, {BODY, D, TRUE}, {BODY, C, FALSE},
  {EOM, R, TRUE}, {EOM, T, TRUE}, {EOM, D, TRUE}, {EOM, A, FALSE},
  {EOM, C, FALSE}, {EOM, NONE, FALSE},
};

static void
test_aborts_all (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (abort_cases); i++) {
    const AbortCase *c = &abort_cases[i];
    g_autofree gchar *name = case_name ("abort", c->stage, i);

    g_test_message ("%s", name);
    g_assert_cmpint (milter_manager_reply_rules_aborts_all (c->stage,
                                                            c->merged),
                     ==, c->expected);
  }
}

#define SEND MILTER_MANAGER_DELIVERY_SEND
#define NO_REPLY MILTER_MANAGER_DELIVERY_SEND_NO_REPLY
#define NOT_SENT MILTER_MANAGER_DELIVERY_NOT_SENT

/* §2.6 */
typedef struct {
  MilterServerState stage;
  guint32 version;
  MilterStepFlags steps;
  MilterManagerDelivery expected;
  MilterStatus counted;
} DeliveryCase;

static const DeliveryCase delivery_cases[] = {
  {NEG, 6, MILTER_STEP_ALL, SEND, NONE},
  {CON, 6, 0, SEND, NONE},
  {CON, 6, MILTER_STEP_NO_CONNECT, NOT_SENT, C},
  {CON, 6, MILTER_STEP_NO_REPLY_CONNECT, NO_REPLY, C},
  {CON, 6, MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_REPLY_CONNECT, NOT_SENT, C},
  {CON, 6, MILTER_STEP_NO_HELO, SEND, NONE},
  {HELO, 6, MILTER_STEP_NO_HELO, NOT_SENT, C},
  {HELO, 6, MILTER_STEP_NO_REPLY_HELO, NO_REPLY, C},
  {FROM, 6, MILTER_STEP_NO_ENVELOPE_FROM, NOT_SENT, C},
  {FROM, 6, MILTER_STEP_NO_REPLY_ENVELOPE_FROM, NO_REPLY, C},
  {RCPT, 6, MILTER_STEP_NO_ENVELOPE_RECIPIENT, NOT_SENT, C},
  {RCPT, 6, MILTER_STEP_NO_REPLY_ENVELOPE_RECIPIENT, NO_REPLY, C},
  {DATA, 6, MILTER_STEP_NO_DATA, NOT_SENT, C},
  {DATA, 6, MILTER_STEP_NO_REPLY_DATA, NO_REPLY, C},
  {DATA, 4, 0, SEND, NONE},
  /* DATA exists from version 4 on; unknown is sent whatever the version */
  {DATA, 3, 0, NOT_SENT, C},
  {DATA, 2, MILTER_STEP_NO_REPLY_DATA, NOT_SENT, C},
  {UNK, 2, 0, SEND, NONE},
  {UNK, 6, MILTER_STEP_NO_UNKNOWN, NOT_SENT, C},
  {UNK, 6, MILTER_STEP_NO_REPLY_UNKNOWN, NO_REPLY, C},
  {HDR, 6, MILTER_STEP_NO_HEADERS, NOT_SENT, C},
  {HDR, 6, MILTER_STEP_NO_REPLY_HEADER, NO_REPLY, C},
  {EOH, 6, MILTER_STEP_NO_END_OF_HEADER, NOT_SENT, C},
  {EOH, 6, MILTER_STEP_NO_REPLY_END_OF_HEADER, NO_REPLY, C},
  /* NO_BODY counts as skip */
  {BODY, 6, MILTER_STEP_NO_BODY, NOT_SENT, S},
  {BODY, 6, MILTER_STEP_NO_REPLY_BODY, NO_REPLY, C},
  {BODY, 6, MILTER_STEP_NO_HEADERS, SEND, NONE},
  {EOM, 6, MILTER_STEP_ALL, SEND, NONE},
};

static void
test_delivery (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (delivery_cases); i++) {
    const DeliveryCase *c = &delivery_cases[i];
    g_autofree gchar *name = case_name ("delivery", c->stage, i);
    MilterOption effective;
    MilterStatus counted = ERR;

    g_test_message ("%s", name);
    milter_option_init (&effective, c->version, MILTER_ACTION_NONE, c->steps);
    g_assert_cmpint (milter_manager_reply_rules_delivery (c->stage, &effective,
                                                          &counted),
                     ==, c->expected);
    g_assert_cmpstr (milter_status_to_string (counted), ==,
                     milter_status_to_string (c->counted));
  }
}

/* §2.5 with D3 and D7 fixed: the texts of one reply, in arrival order,
 * and what goes out with the merged status. */
#define MAX_TEXTS 3
typedef struct {
  const gchar *texts[MAX_TEXTS];
  MilterStatus counted[MAX_TEXTS];
  gboolean valid[MAX_TEXTS];
  MilterStatus sent;
  const gchar *expected;
} ReplyCodeCase;

static const ReplyCodeCase reply_code_cases[] = {
  {{"550 5.1.1 unknown"}, {R}, {TRUE}, R, "550 5.1.1 unknown"},
  {{"451 4.7.1 later"}, {T}, {TRUE}, T, "451 4.7.1 later"},
  /* a code is used only when its class matches the status sent (D7) */
  {{"451 4.7.1 later"}, {T}, {TRUE}, R, NULL},
  {{"550 5.7.1 no"}, {R}, {TRUE}, T, NULL},
  {{"550 5.7.1 no"}, {R}, {TRUE}, C, NULL},
  {{"550 5.7.1 no"}, {R}, {TRUE}, D, NULL},
  /* the last code of the matching class wins */
  {{"550 5.7.1 first", "554 5.7.1 second"}, {R, R}, {TRUE, TRUE}, R,
   "554 5.7.1 second"},
  {{"451 4.0.0 t", "550 5.0.0 r"}, {T, R}, {TRUE, TRUE}, R, "550 5.0.0 r"},
  {{"550 5.0.0 r", "451 4.0.0 t"}, {R, T}, {TRUE, TRUE}, R, "550 5.0.0 r"},
  {{"550 5.0.0 r", "451 4.0.0 t"}, {R, T}, {TRUE, TRUE}, T, "451 4.0.0 t"},
  /* invalid texts are refused on arrival (D3) and count by first digit */
  {{"554 3.7.1 bad class"}, {R}, {FALSE}, R, NULL},
  {{"250 ok"}, {R}, {FALSE}, R, NULL},
  {{"354 go on"}, {R}, {FALSE}, R, NULL},
  {{"499x"}, {T}, {FALSE}, T, NULL},
  {{"600 5.0.0 no"}, {R}, {FALSE}, R, NULL},
  {{"garbage"}, {R}, {FALSE}, R, NULL},
  {{""}, {R}, {FALSE}, R, NULL},
  /* an invalid text does not displace a valid one */
  {{"550 5.0.0 kept", "554 3.7.1 bad"}, {R, R}, {TRUE, FALSE}, R,
   "550 5.0.0 kept"},
  /* multi-line text */
  {{"550-5.7.1 a\r\n550 5.7.1 b"}, {R}, {TRUE}, R,
   "550-5.7.1 a\r\n550 5.7.1 b"},
};

static void
test_reply_codes (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (reply_code_cases); i++) {
    const ReplyCodeCase *c = &reply_code_cases[i];
    MilterManagerReplyCodes codes = MILTER_MANAGER_REPLY_CODES_INIT;

    g_test_message ("reply code case %u", i);
    for (guint j = 0; j < MAX_TEXTS && c->texts[j]; j++) {
      g_autoptr (GError) error = NULL;
      MilterStatus status =
        milter_manager_reply_codes_add (&codes, c->texts[j], &error);

      g_assert_cmpstr (milter_status_to_string (status), ==,
                       milter_status_to_string (c->counted[j]));
      g_assert_cmpstr (milter_status_to_string (status), ==,
                       milter_status_to_string (
                         milter_manager_reply_code_status (c->texts[j])));
      if (c->valid[j])
        g_assert_no_error (error);
      else
        g_assert_true (error && error->domain == MILTER_REPLY_CODE_ERROR);
    }
    g_assert_cmpstr (milter_manager_reply_codes_lookup (&codes, c->sent), ==,
                     c->expected);
    milter_manager_reply_codes_clear (&codes);
    /* cleared: nothing outlives its reply (D7) */
    g_assert_null (milter_manager_reply_codes_lookup (&codes, R));
    g_assert_null (milter_manager_reply_codes_lookup (&codes, T));
  }
}

/* §1.2 */
static void
test_child_offer_and_option (void)
{
  MilterOption mta, offer, reply, effective;
  g_autoptr (GError) error = NULL;

  milter_option_init (&mta, 7, MILTER_ACTION_ALL, MILTER_STEP_ALL);
  milter_manager_reply_rules_child_offer (&mta, &offer);
  g_assert_cmpuint (offer.version, ==, 6);
  g_assert_cmphex (offer.actions, ==, MILTER_ACTION_ALL);
  g_assert_cmphex (offer.steps, ==, MILTER_STEP_ALL);

  milter_option_init (&mta, 2, MILTER_ACTION_ADD_HEADERS, MILTER_STEP_NO_BODY);
  milter_manager_reply_rules_child_offer (&mta, &offer);
  g_assert_true (milter_option_equal (&offer, &mta));

  /* offer ∧ reply; a flag the MTA did not offer is dropped */
  milter_option_init (&offer, 6, MILTER_ACTION_ADD_HEADERS |
                      MILTER_ACTION_CHANGE_BODY,
                      MILTER_STEP_NO_CONNECT | MILTER_STEP_SKIP);
  milter_option_init (&reply, 4, MILTER_ACTION_ADD_HEADERS |
                      MILTER_ACTION_QUARANTINE,
                      MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_REPLY_HEADER);
  g_assert_true (milter_manager_reply_rules_child_option (&offer, &reply,
                                                          &effective, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (effective.version, ==, 4);
  g_assert_cmphex (effective.actions, ==, MILTER_ACTION_ADD_HEADERS);
  g_assert_cmphex (effective.steps, ==, MILTER_STEP_NO_CONNECT);

  /* a newer version than offered is refused */
  milter_option_init (&offer, 4, MILTER_ACTION_ALL, MILTER_STEP_ALL);
  milter_option_init (&reply, 6, 0, 0);
  g_assert_false (milter_manager_reply_rules_child_option (&offer, &reply,
                                                           &effective, &error));
  g_assert_error (error, MILTER_MANAGER_ERROR,
                  MILTER_MANAGER_ERROR_NEWER_VERSION);
  g_assert_cmpstr (error->message, ==,
                   "unsupported newer version is requested: 4 < 6");
}

/* §1.3 with D13 and D14 fixed */
typedef struct {
  const gchar *name;
  MilterOption mta;
  guint n;
  MilterOption children[3];
  MilterOption expected;
} NegotiateCase;

#define OPT(v, a, s) {(v), (MilterActionFlags) (a), (MilterStepFlags) (s)}

static const NegotiateCase negotiate_cases[] = {
  /* worked example 8: NR_HDR is no longer granted (D13) and actions
   * are the children's, not the MTA's whole offer (D14) */
  {"example 8", OPT (6, 0x1FF, 0x1FFFFF), 2,
   {OPT (6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_HEADERS,
         MILTER_STEP_NO_CONNECT | MILTER_STEP_SKIP | MILTER_STEP_NO_REPLY_HEADER),
    OPT (2, MILTER_ACTION_CHANGE_BODY,
         MILTER_STEP_NO_BODY | MILTER_STEP_NO_REPLY_HEADER)},
   OPT (6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_HEADERS |
        MILTER_ACTION_CHANGE_BODY, MILTER_STEP_SKIP)},
  /* version: min(MTA, 6) whatever the children say */
  {"version", OPT (2, 0x0F, 0x3F), 1, {OPT (6, 0, 0)}, OPT (2, 0, 0)},
  {"version above 6", OPT (7, 0x1FF, 0x1FFFFF), 1, {OPT (2, 0, 0)},
   OPT (6, 0, 0)},
  /* an action the MTA did not offer never reaches it (D14) */
  {"actions masked", OPT (6, MILTER_ACTION_ADD_HEADERS, 0x1FFFFF), 2,
   {OPT (6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_FROM, 0),
    OPT (6, MILTER_ACTION_QUARANTINE, 0)},
   OPT (6, MILTER_ACTION_ADD_HEADERS, 0)},
  /* no NO_* even when every child asks */
  {"no NO_*", OPT (6, 0x1FF, 0x1FFFFF), 2,
   {OPT (6, 0, MILTER_STEP_NO_HELO | MILTER_STEP_NO_BODY),
    OPT (6, 0, MILTER_STEP_NO_HELO | MILTER_STEP_NO_BODY)},
   OPT (6, 0, 0)},
  /* no NR_* even when every child asks and the MTA offers (D13) */
  {"no NR_*", OPT (6, 0x1FF, 0x1FFFFF), 2,
   {OPT (6, 0, MILTER_STEP_NO_REPLY_HEADER | MILTER_STEP_NO_REPLY_BODY),
    OPT (6, 0, MILTER_STEP_NO_REPLY_HEADER | MILTER_STEP_NO_REPLY_BODY)},
   OPT (6, 0, 0)},
  /* SKIP, RCPT_REJ, HDR_LEADSPC: offered and asked by one child */
  {"positive flags", OPT (6, 0x1FF, 0x1FFFFF), 2,
   {OPT (6, 0, MILTER_STEP_SKIP),
    OPT (6, 0, MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED |
         MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE)},
   OPT (6, 0, MILTER_STEP_SKIP | MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED |
        MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE)},
  {"positive flags not offered", OPT (6, 0x1FF, MILTER_STEP_NO_BODY), 1,
   {OPT (6, 0, MILTER_STEP_SKIP | MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE)},
   OPT (6, 0, 0)},
  /* no child: nothing granted, the MTA's NR_* offer not echoed (D13) */
  {"no child", OPT (6, 0x1FF, 0x1FFFFF), 0, {OPT (0, 0, 0)}, OPT (6, 0, 0)},
};

static void
test_negotiate_reply (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (negotiate_cases); i++) {
    const NegotiateCase *c = &negotiate_cases[i];
    MilterOption reply;
    g_autofree gchar *got = NULL;
    g_autofree gchar *expected = NULL;

    g_test_message ("negotiate: %s", c->name);
    milter_manager_reply_rules_negotiate_reply (&c->mta, c->children, c->n,
                                                &reply);
    got = milter_option_to_string (&reply);
    expected = milter_option_to_string (&c->expected);
    g_assert_cmpstr (got, ==, expected);
  }
}

/* §1.3 symbol lists, D15 fixed */
static MilterMacrosRequests *
requests_new (const gchar *connect, const gchar *helo)
{
  MilterMacrosRequests *requests = milter_macros_requests_new ();

  milter_macros_requests_set_from_string (requests,
                                          MILTER_MACRO_STAGE_CONNECT, connect);
  milter_macros_requests_set_from_string (requests,
                                          MILTER_MACRO_STAGE_HELO, helo);
  return requests;
}

static void
test_negotiate_macros (void)
{
  g_autoptr (MilterMacrosRequests) a = requests_new ("j {daemon_name}", "i");
  g_autoptr (MilterMacrosRequests) b = requests_new ("{daemon_name} _", NULL);
  g_autoptr (MilterMacrosRequests) merged = NULL;
  const MilterMacrosRequests *both[] = {a, b};
  const MilterMacrosRequests *with_none[] = {a, NULL};
  MilterOption reply = OPT (6, MILTER_ACTION_SET_SYMBOL_LIST, 0);
  MilterOption reply_without = OPT (6, MILTER_ACTION_ADD_HEADERS, 0);
  g_autofree gchar *connect = NULL;
  g_autofree gchar *helo = NULL;

  /* union per stage; the helo stage, listed by one child only, gets no
   * list at all (D15) */
  merged = milter_manager_reply_rules_negotiate_macros (&reply, both, 2);
  g_assert_nonnull (merged);
  connect = milter_macros_requests_to_string (merged,
                                              MILTER_MACRO_STAGE_CONNECT);
  helo = milter_macros_requests_to_string (merged, MILTER_MACRO_STAGE_HELO);
  g_assert_cmpstr (connect, ==, "j {daemon_name} _");
  g_assert_cmpstr (helo, ==, "");
  g_clear_pointer (&merged, milter_macros_requests_free);

  /* one child alone: its own lists */
  merged = milter_manager_reply_rules_negotiate_macros (&reply, both, 1);
  g_assert_nonnull (merged);
  g_clear_pointer (&helo, g_free);
  helo = milter_macros_requests_to_string (merged, MILTER_MACRO_STAGE_HELO);
  g_assert_cmpstr (helo, ==, "i");
  g_clear_pointer (&merged, milter_macros_requests_free);

  /* a child that sent no lists at all: no list for any stage */
  g_assert_null (milter_manager_reply_rules_negotiate_macros (&reply,
                                                              with_none, 2));
  /* the MTA did not grant set-symbol-list: no lists */
  g_assert_null (milter_manager_reply_rules_negotiate_macros (&reply_without,
                                                              both, 2));
  /* no child */
  g_assert_null (milter_manager_reply_rules_negotiate_macros (&reply, NULL, 0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/reply-rules/count", test_count);
  g_test_add_func ("/manager/reply-rules/is-neutralised", test_is_neutralised);
  g_test_add_func ("/manager/reply-rules/is-rejected-recipient",
                   test_is_rejected_recipient);
  g_test_add_func ("/manager/reply-rules/combine", test_combine);
  g_test_add_func ("/manager/reply-rules/child-effect", test_child_effect);
  g_test_add_func ("/manager/reply-rules/aborts-all", test_aborts_all);
  g_test_add_func ("/manager/reply-rules/delivery", test_delivery);
  g_test_add_func ("/manager/reply-rules/reply-codes", test_reply_codes);
  g_test_add_func ("/manager/reply-rules/child-offer-and-option",
                   test_child_offer_and_option);
  g_test_add_func ("/manager/reply-rules/negotiate-reply",
                   test_negotiate_reply);
  g_test_add_func ("/manager/reply-rules/negotiate-macros",
                   test_negotiate_macros);
  return g_test_run ();
}

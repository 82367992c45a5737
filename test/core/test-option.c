/*
 * test-option - flag names, and the three negotiation rules of milter-option
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-option.h>

#define SENDMAIL_ACTIONS MILTER_ACTION_ALL
#define SENDMAIL_STEPS MILTER_STEP_ALL
#define UNKNOWN_STEP ((MilterStepFlags) (1 << 24))

static void
assert_option (const MilterOption *actual, const MilterOption *expected)
{
  if (!milter_option_equal (actual, expected)) {
    g_autofree gchar *a = milter_option_to_string (actual);
    g_autofree gchar *e = milter_option_to_string (expected);

    g_test_message ("expected: %s", e);
    g_test_message ("actual:   %s", a);
    g_test_fail ();
  }
}

/* --- flag names ---------------------------------------------------------- */

typedef struct {
  guint32 flags;
  const gchar *expected;
} FlagsToStringCase;

static const FlagsToStringCase action_to_string_cases[] = {
  {0, "none"},
  {MILTER_ACTION_ADD_HEADERS, "add-headers"},
  {MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_BODY, "add-headers|change-body"},
  {MILTER_ACTION_QUARANTINE | MILTER_ACTION_ADD_HEADERS, "add-headers|quarantine"},
  {MILTER_ACTION_ALL,
   "add-headers|change-body|add-recipient|delete-recipient|change-headers|"
   "quarantine|change-from|add-recipient-with-arguments|set-symbol-list"},
  {0x400, "0x400"},
  {MILTER_ACTION_CHANGE_FROM | 0x80000000u, "change-from|0x80000000"},
};

static const FlagsToStringCase step_to_string_cases[] = {
  {0, "none"},
  {MILTER_STEP_NO_CONNECT | MILTER_STEP_SKIP, "no-connect|skip"},
  {MILTER_STEP_VERSION2_DEFAULT,
   "no-connect|no-helo|no-envelope-from|no-envelope-recipient|no-body|no-headers"},
  {MILTER_STEP_NO_REPLY_HEADER | MILTER_STEP_NO_REPLY_BODY,
   "no-reply-header|no-reply-body"},
  {MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED |
   MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE,
   "envelope-recipient-rejected|header-value-with-leading-space"},
  {MILTER_STEP_MAX_DATA_SIZE_256K | MILTER_STEP_MAX_DATA_SIZE_1M,
   "max-data-size-256k|max-data-size-1m"},
  {UNKNOWN_STEP | MILTER_STEP_NO_DATA, "no-data|0x1000000"},
};

static void
test_action_flags_to_string (gconstpointer data)
{
  const FlagsToStringCase *c = data;
  g_autofree gchar *actual = milter_action_flags_to_string (c->flags);

  g_assert_cmpstr (actual, ==, c->expected);
}

static void
test_step_flags_to_string (gconstpointer data)
{
  const FlagsToStringCase *c = data;
  g_autofree gchar *actual = milter_step_flags_to_string (c->flags);

  g_assert_cmpstr (actual, ==, c->expected);
}

static void
test_option_to_string (void)
{
  MilterOption option;
  g_autofree gchar *string = NULL;

  milter_option_init (&option, 6,
                      MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_BODY,
                      MILTER_STEP_NO_CONNECT | MILTER_STEP_SKIP);
  string = milter_option_to_string (&option);
  g_assert_cmpstr (string, ==,
                   "version=6 actions=add-headers|change-body steps=no-connect|skip");
}

typedef struct {
  const gchar *string;
  gboolean ok;
  guint32 expected;
} FlagsFromStringCase;

static const FlagsFromStringCase action_from_string_cases[] = {
  {"add-headers|quarantine", TRUE,
   MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_QUARANTINE},
  {" Add-Headers | QUARANTINE ", TRUE,
   MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_QUARANTINE},
  {"add_recipient_with_arguments", TRUE, MILTER_ACTION_ADD_RECIPIENT_WITH_ARGS},
  {"change-from|change-from", TRUE, MILTER_ACTION_CHANGE_FROM},
  {"", TRUE, 0},
  {"   ", TRUE, 0},
  {"none", TRUE, 0},
  {"0x3", TRUE, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_BODY},
  {"16|add-headers", TRUE, MILTER_ACTION_CHANGE_HEADERS | MILTER_ACTION_ADD_HEADERS},
  {"bogus", FALSE, 0},
  {"add-headers|bogus", FALSE, 0},
  {"add-headers||quarantine", FALSE, 0},
  {"add-headers,quarantine", FALSE, 0},
  {"no-connect", FALSE, 0},
  {"0x1z", FALSE, 0},
  {"0x100000000", FALSE, 0},
};

static const FlagsFromStringCase step_from_string_cases[] = {
  {"no-connect|skip", TRUE, MILTER_STEP_NO_CONNECT | MILTER_STEP_SKIP},
  {"NO_REPLY_BODY | header-value-with-leading-space", TRUE,
   MILTER_STEP_NO_REPLY_BODY | MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE},
  {"max-data-size-1m", TRUE, MILTER_STEP_MAX_DATA_SIZE_1M},
  {"none", TRUE, 0},
  {"0x3f", TRUE, MILTER_STEP_VERSION2_DEFAULT},
  {"add-headers", FALSE, 0},
  {"no-conect", FALSE, 0},
  {"|", FALSE, 0},
};

static void
test_action_flags_from_string (gconstpointer data)
{
  const FlagsFromStringCase *c = data;
  g_autoptr (GError) error = NULL;
  MilterActionFlags actions = (MilterActionFlags) 0xdead;
  gboolean ok = milter_action_flags_from_string (c->string, &actions, &error);

  g_assert_cmpint (ok, ==, c->ok);
  if (c->ok) {
    g_assert_no_error (error);
    g_assert_cmphex (actions, ==, c->expected);
  } else {
    g_assert_error (error, MILTER_OPTION_ERROR, MILTER_OPTION_ERROR_UNKNOWN_FLAG);
    g_assert_cmphex (actions, ==, 0xdead);
  }
}

static void
test_step_flags_from_string (gconstpointer data)
{
  const FlagsFromStringCase *c = data;
  g_autoptr (GError) error = NULL;
  MilterStepFlags steps = (MilterStepFlags) 0xdead;
  gboolean ok = milter_step_flags_from_string (c->string, &steps, &error);

  g_assert_cmpint (ok, ==, c->ok);
  if (c->ok) {
    g_assert_no_error (error);
    g_assert_cmphex (steps, ==, c->expected);
  } else {
    g_assert_error (error, MILTER_OPTION_ERROR, MILTER_OPTION_ERROR_UNKNOWN_FLAG);
    g_assert_cmphex (steps, ==, 0xdead);
  }
}

static void
test_flags_from_string_names_the_flag (void)
{
  g_autoptr (GError) error = NULL;
  MilterActionFlags actions = 0;

  g_assert_false (milter_action_flags_from_string ("add-headers| Bogus-Flag ",
                                                   &actions, &error));
  g_assert_nonnull (strstr (error->message, "Bogus-Flag"));
}

/* Every single bit prints to a name that parses back to the bit. */
static void
test_flags_round_trip (void)
{
  for (guint bit = 0; bit < 32; bit++) {
    guint32 flag = 1u << bit;
    g_autofree gchar *action_name = milter_action_flags_to_string (flag);
    g_autofree gchar *step_name = milter_step_flags_to_string (flag);
    MilterActionFlags actions = 0;
    MilterStepFlags steps = 0;

    g_assert_true (milter_action_flags_from_string (action_name, &actions, NULL));
    g_assert_cmphex (actions, ==, flag);
    g_assert_true (milter_step_flags_from_string (step_name, &steps, NULL));
    g_assert_cmphex (steps, ==, flag);
  }
}

static void
test_equal (void)
{
  MilterOption a, b;

  milter_option_init (&a, 6, MILTER_ACTION_ADD_HEADERS, MILTER_STEP_SKIP);
  b = a;
  g_assert_true (milter_option_equal (&a, &b));
  b.version = 5;
  g_assert_false (milter_option_equal (&a, &b));
  b = a;
  b.actions |= MILTER_ACTION_QUARANTINE;
  g_assert_false (milter_option_equal (&a, &b));
  b = a;
  b.steps |= MILTER_STEP_NO_HELO;
  g_assert_false (milter_option_equal (&a, &b));
}

static void
test_boxed_copy (void)
{
  MilterOption option;
  g_autoptr (MilterOption) copy = NULL;

  milter_option_init (&option, 4, MILTER_ACTION_CHANGE_FROM, MILTER_STEP_NO_DATA);
  copy = g_boxed_copy (MILTER_TYPE_OPTION, &option);
  g_assert_true (copy != &option);
  g_assert_true (milter_option_equal (copy, &option));
}

/* --- merge of children's answers ---------------------------------------- */

typedef struct {
  const gchar *name;
  guint n_children;
  MilterOption children[3];
  MilterOption expected;
} MergeCase;

static const MergeCase merge_cases[] = {
  {"no-children", 0, {{0}}, {0, 0, 0}},
  {"one-child-as-is", 1,
   {{6, MILTER_ACTION_ADD_HEADERS,
     MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_REPLY_HELO | MILTER_STEP_SKIP}},
   {6, MILTER_ACTION_ADD_HEADERS,
    MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_REPLY_HELO | MILTER_STEP_SKIP}},
  {"one-child-unknown-step-dropped", 1,
   {{2, 0x400, MILTER_STEP_NO_BODY | UNKNOWN_STEP}},
   {2, 0x400, MILTER_STEP_NO_BODY}},
  {"one-child-data-size", 1,
   {{6, 0, MILTER_STEP_MAX_DATA_SIZE_1M}},
   {6, 0, MILTER_STEP_MAX_DATA_SIZE_1M}},
  {"conflicting-no-event", 2,
   {{6, 0, MILTER_STEP_NO_BODY | MILTER_STEP_NO_HEADERS},
    {6, 0, MILTER_STEP_NO_HEADERS}},
   {6, 0, MILTER_STEP_NO_HEADERS}},
  {"conflicting-no-reply", 2,
   {{6, 0, MILTER_STEP_NO_REPLY_CONNECT | MILTER_STEP_NO_REPLY_BODY},
    {6, 0, MILTER_STEP_NO_REPLY_BODY | MILTER_STEP_NO_REPLY_HEADER}},
   {6, 0, MILTER_STEP_NO_REPLY_BODY}},
  {"three-children", 3,
   {{2, MILTER_ACTION_ADD_HEADERS,
     MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_HELO | MILTER_STEP_SKIP |
     MILTER_STEP_NO_REPLY_BODY | MILTER_STEP_NO_REPLY_HEADER |
     MILTER_STEP_MAX_DATA_SIZE_256K | MILTER_STEP_MAX_DATA_SIZE_1M},
    {6, MILTER_ACTION_QUARANTINE,
     MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_HELO |
     MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED | MILTER_STEP_NO_REPLY_BODY |
     MILTER_STEP_NO_REPLY_HEADER | MILTER_STEP_MAX_DATA_SIZE_256K},
    {4, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_FROM,
     MILTER_STEP_NO_CONNECT | MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE |
     MILTER_STEP_NO_REPLY_BODY | MILTER_STEP_MAX_DATA_SIZE_256K}},
   {6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_QUARANTINE | MILTER_ACTION_CHANGE_FROM,
    MILTER_STEP_NO_CONNECT | MILTER_STEP_SKIP |
    MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED |
    MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE | MILTER_STEP_NO_REPLY_BODY |
    MILTER_STEP_MAX_DATA_SIZE_256K}},
  {"three-children-one-wants-everything", 3,
   {{6, 0, MILTER_STEP_NO_EVENT_MASK | MILTER_STEP_NO_REPLY_MASK},
    {6, 0, MILTER_STEP_NO_EVENT_MASK | MILTER_STEP_NO_REPLY_MASK},
    {6, MILTER_ACTION_CHANGE_BODY, MILTER_STEP_NONE}},
   {6, MILTER_ACTION_CHANGE_BODY, MILTER_STEP_NONE}},
  {"identical-children", 2,
   {{6, MILTER_ACTION_ALL, MILTER_STEP_ALL},
    {6, MILTER_ACTION_ALL, MILTER_STEP_ALL}},
   {6, MILTER_ACTION_ALL, MILTER_STEP_ALL}},
};

static void
test_merge_children (gconstpointer data)
{
  const MergeCase *c = data;
  MilterOption reversed[3];
  MilterOption merged;

  memset (&merged, 0xff, sizeof (merged));
  milter_option_merge_children (c->children, c->n_children, &merged);
  assert_option (&merged, &c->expected);

  /* The merge must not depend on the order children answered in. */
  for (guint i = 0; i < c->n_children; i++)
    reversed[i] = c->children[c->n_children - 1 - i];
  memset (&merged, 0xff, sizeof (merged));
  milter_option_merge_children (reversed, c->n_children, &merged);
  assert_option (&merged, &c->expected);
}

/* --- reply towards the MTA ---------------------------------------------- */

typedef struct {
  const gchar *name;
  MilterOption offer;
  MilterOption merged;
  MilterOption expected;
} ReplyCase;

static const ReplyCase reply_cases[] = {
  {"sendmail-drops-no-event",
   {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS},
   {6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_QUARANTINE,
    MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_BODY | MILTER_STEP_NO_REPLY_HELO |
    MILTER_STEP_SKIP},
   {6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_QUARANTINE,
    MILTER_STEP_NO_REPLY_HELO | MILTER_STEP_SKIP}},
  {"actions-limited-to-offer",
   {2, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_BODY,
    MILTER_STEP_VERSION2_DEFAULT},
   {6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_QUARANTINE, 0},
   {2, MILTER_ACTION_ADD_HEADERS, 0}},
  {"version-capped-at-6",
   {8, SENDMAIL_ACTIONS, SENDMAIL_STEPS},
   {6, 0, 0},
   {6, 0, 0}},
  {"version-follows-mta-not-children",
   {4, SENDMAIL_ACTIONS, SENDMAIL_STEPS},
   {6, 0, 0},
   {4, 0, 0}},
  {"positive-not-offered-dropped",
   {6, SENDMAIL_ACTIONS,
    MILTER_STEP_VERSION2_DEFAULT | MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED},
   {6, 0, MILTER_STEP_SKIP | MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED |
    MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE},
   {6, 0, MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED}},
  {"offered-but-not-asked",
   {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS},
   {6, MILTER_ACTION_NONE, MILTER_STEP_NONE},
   {6, MILTER_ACTION_NONE, MILTER_STEP_NONE}},
  {"no-reply-not-offered-dropped",
   {6, SENDMAIL_ACTIONS, MILTER_STEP_NO_REPLY_BODY},
   {6, 0, MILTER_STEP_NO_REPLY_BODY | MILTER_STEP_NO_REPLY_HEADER},
   {6, 0, MILTER_STEP_NO_REPLY_BODY}},
  {"zero-actions-read-as-version2",
   {2, 0, 0},
   {6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_BODY |
    MILTER_ACTION_QUARANTINE, MILTER_STEP_NO_REPLY_HELO | MILTER_STEP_SKIP},
   {2, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_BODY, 0}},
  {"data-size-both-offered-and-asked",
   {6, SENDMAIL_ACTIONS,
    SENDMAIL_STEPS | MILTER_STEP_MAX_DATA_SIZE_256K | MILTER_STEP_MAX_DATA_SIZE_1M},
   {6, 0, MILTER_STEP_MAX_DATA_SIZE_1M},
   {6, 0, MILTER_STEP_MAX_DATA_SIZE_1M}},
  {"data-size-not-offered",
   {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS},
   {6, 0, MILTER_STEP_MAX_DATA_SIZE_256K},
   {6, 0, 0}},
  {"no-children-answered",
   {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS},
   {0, 0, 0},
   {6, 0, 0}},
};

static void
test_reply_to_mta (gconstpointer data)
{
  const ReplyCase *c = data;
  MilterOption reply;

  memset (&reply, 0xff, sizeof (reply));
  milter_option_reply_to_mta (&c->offer, &c->merged, &reply);
  assert_option (&reply, &c->expected);
  g_assert_cmphex (reply.steps & MILTER_STEP_NO_EVENT_MASK, ==, 0);
}

/* Merge then reply, as the manager does: the end-to-end of the two rules. */
static void
test_merge_then_reply (void)
{
  const MilterOption children[] = {
    {6, MILTER_ACTION_ADD_HEADERS, MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_REPLY_HELO},
    {2, MILTER_ACTION_CHANGE_BODY, MILTER_STEP_NO_CONNECT | MILTER_STEP_SKIP},
  };
  const MilterOption offer = {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS};
  const MilterOption expected = {6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_CHANGE_BODY,
                                 MILTER_STEP_SKIP};
  MilterOption merged, reply;

  milter_option_merge_children (children, G_N_ELEMENTS (children), &merged);
  milter_option_reply_to_mta (&offer, &merged, &reply);
  assert_option (&reply, &expected);
}

/* --- libmilter-style negotiation ---------------------------------------- */

typedef struct {
  const gchar *name;
  MilterOption offer;
  MilterOption wants;
  gint error_code;          /* -1: success */
  MilterOption expected;
  const gchar *message_part;
} NegotiateCase;

static const NegotiateCase negotiate_cases[] = {
  {"sendmail-full-offer",
   {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS},
   {6, MILTER_ACTION_ADD_HEADERS, MILTER_STEP_NO_CONNECT | MILTER_STEP_SKIP},
   -1, {6, MILTER_ACTION_ADD_HEADERS, MILTER_STEP_NO_CONNECT | MILTER_STEP_SKIP}, NULL},
  {"version-1-refused",
   {1, SENDMAIL_ACTIONS, SENDMAIL_STEPS}, {6, 0, 0},
   MILTER_OPTION_ERROR_VERSION_TOO_OLD, {0}, "1"},
  {"version-0-refused",
   {0, SENDMAIL_ACTIONS, SENDMAIL_STEPS}, {6, 0, 0},
   MILTER_OPTION_ERROR_VERSION_TOO_OLD, {0}, NULL},
  {"version-2-zero-flags-read-as-defaults",
   {2, 0, 0},
   {6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_DELETE_RECIPIENT,
    MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_HEADERS},
   -1, {2, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_DELETE_RECIPIENT,
        MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_HEADERS}, NULL},
  {"version-3-kept",
   {3, SENDMAIL_ACTIONS, SENDMAIL_STEPS}, {6, 0, 0}, -1, {3, 0, 0}, NULL},
  {"version-capped-at-6",
   {10, SENDMAIL_ACTIONS, SENDMAIL_STEPS}, {2, 0, 0}, -1, {6, 0, 0}, NULL},
  {"action-beyond-default",
   {6, 0, SENDMAIL_STEPS}, {6, MILTER_ACTION_QUARANTINE, 0},
   MILTER_OPTION_ERROR_ACTIONS_NOT_OFFERED, {0}, "quarantine"},
  {"actions-missing-named-together",
   {6, MILTER_ACTION_VERSION2_DEFAULT, SENDMAIL_STEPS},
   {6, MILTER_ACTION_ADD_HEADERS | MILTER_ACTION_QUARANTINE | MILTER_ACTION_CHANGE_FROM, 0},
   MILTER_OPTION_ERROR_ACTIONS_NOT_OFFERED, {0}, ": quarantine|change-from ("},
  {"positive-step-not-offered",
   {6, SENDMAIL_ACTIONS, 0}, {6, 0, MILTER_STEP_SKIP},
   MILTER_OPTION_ERROR_STEPS_NOT_OFFERED, {0}, "skip"},
  /* libmilter answers a no-reply event itself: the wish is dropped. */
  {"no-reply-step-not-offered-dropped",
   {6, SENDMAIL_ACTIONS, MILTER_STEP_VERSION2_DEFAULT},
   {6, 0, MILTER_STEP_NO_CONNECT | MILTER_STEP_NO_REPLY_CONNECT},
   -1, {6, 0, MILTER_STEP_NO_CONNECT}, NULL},
  {"no-reply-header-to-0x7f-offer-dropped",
   {6, MILTER_ACTION_ALL, 0x7F}, {6, 0, MILTER_STEP_NO_REPLY_HEADER},
   -1, {6, 0, 0}, NULL},
  {"all-no-reply-steps-to-v2-offer-dropped",
   {2, 0, 0}, {6, 0, MILTER_STEP_NO_REPLY_MASK | MILTER_STEP_NO_HELO},
   -1, {2, 0, MILTER_STEP_NO_HELO}, NULL},
  {"no-reply-step-offered-kept",
   {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS},
   {6, 0, MILTER_STEP_NO_REPLY_HEADER | MILTER_STEP_NO_REPLY_BODY},
   -1, {6, 0, MILTER_STEP_NO_REPLY_HEADER | MILTER_STEP_NO_REPLY_BODY}, NULL},
  /* Older MTAs have no data or unknown event to switch off. */
  {"no-data-not-offered-dropped",
   {6, SENDMAIL_ACTIONS, MILTER_STEP_ALL & ~MILTER_STEP_NO_DATA},
   {6, 0, MILTER_STEP_NO_DATA | MILTER_STEP_NO_BODY},
   -1, {6, 0, MILTER_STEP_NO_BODY}, NULL},
  {"no-unknown-to-v2-offer-dropped",
   {2, 0, MILTER_STEP_VERSION2_DEFAULT},
   {6, 0, MILTER_STEP_NO_UNKNOWN | MILTER_STEP_NO_DATA}, -1, {2, 0, 0}, NULL},
  /* Other event switches cannot be faked: refused, as libmilter does. */
  {"no-event-step-not-offered",
   {6, SENDMAIL_ACTIONS, MILTER_STEP_ALL & ~MILTER_STEP_NO_HEADERS},
   {6, 0, MILTER_STEP_NO_HEADERS},
   MILTER_OPTION_ERROR_STEPS_NOT_OFFERED, {0}, "no-headers"},
  {"undefined-action-bits-never-echoed",
   {6, 0xFFFFFFFF, SENDMAIL_STEPS},
   {6, MILTER_ACTION_ADD_HEADERS | 0x80000200, 0},
   -1, {6, MILTER_ACTION_ADD_HEADERS, 0}, NULL},
  {"undefined-action-bits-not-offered-ignored",
   {6, MILTER_ACTION_ADD_HEADERS, SENDMAIL_STEPS},
   {6, MILTER_ACTION_ADD_HEADERS | 0x40000000, 0},
   -1, {6, MILTER_ACTION_ADD_HEADERS, 0}, NULL},
  {"data-size-not-offered-dropped",
   {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS},
   {6, 0, MILTER_STEP_NO_HELO | MILTER_STEP_MAX_DATA_SIZE_256K},
   -1, {6, 0, MILTER_STEP_NO_HELO}, NULL},
  {"data-size-offered-kept",
   {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS | MILTER_STEP_MAX_DATA_SIZE_1M},
   {6, 0, MILTER_STEP_MAX_DATA_SIZE_1M},
   -1, {6, 0, MILTER_STEP_MAX_DATA_SIZE_1M}, NULL},
  {"nothing-wanted",
   {6, SENDMAIL_ACTIONS, SENDMAIL_STEPS}, {0, 0, 0}, -1, {6, 0, 0}, NULL},
};

static void
test_negotiate (gconstpointer data)
{
  const NegotiateCase *c = data;
  g_autoptr (GError) error = NULL;
  const MilterOption untouched = {0xdead, 0xbeef, 0xcafe};
  MilterOption result = untouched;
  gboolean ok = milter_option_negotiate (&c->offer, &c->wants, &result, &error);

  if (c->error_code < 0) {
    g_assert_no_error (error);
    g_assert_true (ok);
    assert_option (&result, &c->expected);
  } else {
    g_assert_false (ok);
    g_assert_error (error, MILTER_OPTION_ERROR, c->error_code);
    assert_option (&result, &untouched);
    if (c->message_part && !strstr (error->message, c->message_part)) {
      g_test_message ("message '%s' lacks '%s'", error->message, c->message_part);
      g_test_fail ();
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (action_to_string_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/option/action-to-string/%u", i);
    g_test_add_data_func (path, &action_to_string_cases[i], test_action_flags_to_string);
  }
  for (guint i = 0; i < G_N_ELEMENTS (step_to_string_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/option/step-to-string/%u", i);
    g_test_add_data_func (path, &step_to_string_cases[i], test_step_flags_to_string);
  }
  for (guint i = 0; i < G_N_ELEMENTS (action_from_string_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/option/action-from-string/%u", i);
    g_test_add_data_func (path, &action_from_string_cases[i], test_action_flags_from_string);
  }
  for (guint i = 0; i < G_N_ELEMENTS (step_from_string_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/option/step-from-string/%u", i);
    g_test_add_data_func (path, &step_from_string_cases[i], test_step_flags_from_string);
  }
  g_test_add_func ("/core/option/from-string-names-flag", test_flags_from_string_names_the_flag);
  g_test_add_func ("/core/option/flags-round-trip", test_flags_round_trip);
  g_test_add_func ("/core/option/to-string", test_option_to_string);
  g_test_add_func ("/core/option/equal", test_equal);
  g_test_add_func ("/core/option/boxed-copy", test_boxed_copy);

  for (guint i = 0; i < G_N_ELEMENTS (merge_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/option/merge-children/%s",
                                              merge_cases[i].name);
    g_test_add_data_func (path, &merge_cases[i], test_merge_children);
  }
  for (guint i = 0; i < G_N_ELEMENTS (reply_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/option/reply-to-mta/%s",
                                              reply_cases[i].name);
    g_test_add_data_func (path, &reply_cases[i], test_reply_to_mta);
  }
  g_test_add_func ("/core/option/merge-then-reply", test_merge_then_reply);
  for (guint i = 0; i < G_N_ELEMENTS (negotiate_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/core/option/negotiate/%s",
                                              negotiate_cases[i].name);
    g_test_add_data_func (path, &negotiate_cases[i], test_negotiate);
  }

  return g_test_run ();
}

/*
 * milter-option - negotiation values (version, actions, steps) and their rules
 *
 * The rules are pure functions over plain values; the manager, the server
 * and the client call them and do the I/O. Flag names are kept in one
 * table per flag set so that printing and parsing cannot drift apart.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-option.h>

G_DEFINE_QUARK (milter-option-error-quark, milter_option_error)

G_DEFINE_BOXED_TYPE (MilterOption, milter_option,
                     milter_option_copy, milter_option_free)

typedef struct {
  guint32 bit;
  const gchar *name;
} FlagName;

static const FlagName action_names[] = {
  {MILTER_ACTION_ADD_HEADERS, "add-headers"},
  {MILTER_ACTION_CHANGE_BODY, "change-body"},
  {MILTER_ACTION_ADD_RECIPIENT, "add-recipient"},
  {MILTER_ACTION_DELETE_RECIPIENT, "delete-recipient"},
  {MILTER_ACTION_CHANGE_HEADERS, "change-headers"},
  {MILTER_ACTION_QUARANTINE, "quarantine"},
  {MILTER_ACTION_CHANGE_FROM, "change-from"},
  {MILTER_ACTION_ADD_RECIPIENT_WITH_ARGS, "add-recipient-with-arguments"},
  {MILTER_ACTION_SET_SYMBOL_LIST, "set-symbol-list"},
  {0, NULL}
};

static const FlagName step_names[] = {
  {MILTER_STEP_NO_CONNECT, "no-connect"},
  {MILTER_STEP_NO_HELO, "no-helo"},
  {MILTER_STEP_NO_ENVELOPE_FROM, "no-envelope-from"},
  {MILTER_STEP_NO_ENVELOPE_RECIPIENT, "no-envelope-recipient"},
  {MILTER_STEP_NO_BODY, "no-body"},
  {MILTER_STEP_NO_HEADERS, "no-headers"},
  {MILTER_STEP_NO_END_OF_HEADER, "no-end-of-header"},
  {MILTER_STEP_NO_REPLY_HEADER, "no-reply-header"},
  {MILTER_STEP_NO_UNKNOWN, "no-unknown"},
  {MILTER_STEP_NO_DATA, "no-data"},
  {MILTER_STEP_SKIP, "skip"},
  {MILTER_STEP_ENVELOPE_RECIPIENT_REJECTED, "envelope-recipient-rejected"},
  {MILTER_STEP_NO_REPLY_CONNECT, "no-reply-connect"},
  {MILTER_STEP_NO_REPLY_HELO, "no-reply-helo"},
  {MILTER_STEP_NO_REPLY_ENVELOPE_FROM, "no-reply-envelope-from"},
  {MILTER_STEP_NO_REPLY_ENVELOPE_RECIPIENT, "no-reply-envelope-recipient"},
  {MILTER_STEP_NO_REPLY_DATA, "no-reply-data"},
  {MILTER_STEP_NO_REPLY_UNKNOWN, "no-reply-unknown"},
  {MILTER_STEP_NO_REPLY_END_OF_HEADER, "no-reply-end-of-header"},
  {MILTER_STEP_NO_REPLY_BODY, "no-reply-body"},
  {MILTER_STEP_HEADER_VALUE_WITH_LEADING_SPACE, "header-value-with-leading-space"},
  {MILTER_STEP_MAX_DATA_SIZE_256K, "max-data-size-256k"},
  {MILTER_STEP_MAX_DATA_SIZE_1M, "max-data-size-1m"},
  {0, NULL}
};

MilterOption *
milter_option_copy (const MilterOption *option)
{
  return g_memdup2 (option, sizeof (*option));
}

void
milter_option_free (MilterOption *option)
{
  g_free (option);
}

void
milter_option_init (MilterOption *option,
                    guint32 version,
                    MilterActionFlags actions,
                    MilterStepFlags steps)
{
  option->version = version;
  option->actions = actions;
  option->steps = steps;
}

gboolean
milter_option_equal (const MilterOption *a, const MilterOption *b)
{
  return a->version == b->version &&
         a->actions == b->actions &&
         a->steps == b->steps;
}

static gchar *
flags_to_string (const FlagName *names, guint32 flags)
{
  GString *string;
  guint32 rest = flags;

  if (flags == 0)
    return g_strdup ("none");

  string = g_string_new (NULL);
  for (const FlagName *entry = names; entry->name; entry++) {
    if (!(flags & entry->bit))
      continue;
    if (string->len > 0)
      g_string_append_c (string, '|');
    g_string_append (string, entry->name);
    rest &= ~entry->bit;
  }
  /* Bits a newer peer may send: shown, not lost, so logs stay truthful. */
  if (rest != 0) {
    if (string->len > 0)
      g_string_append_c (string, '|');
    g_string_append_printf (string, "0x%" G_GINT32_MODIFIER "x", rest);
  }
  return g_string_free (string, FALSE);
}

gchar *
milter_action_flags_to_string (MilterActionFlags actions)
{
  return flags_to_string (action_names, (guint32) actions);
}

gchar *
milter_step_flags_to_string (MilterStepFlags steps)
{
  return flags_to_string (step_names, (guint32) steps);
}

gchar *
milter_option_to_string (const MilterOption *option)
{
  g_autofree gchar *actions = milter_action_flags_to_string (option->actions);
  g_autofree gchar *steps = milter_step_flags_to_string (option->steps);

  return g_strdup_printf ("version=%" G_GUINT32_FORMAT " actions=%s steps=%s",
                          option->version, actions, steps);
}

/* One "|"-separated token, already stripped and lowered, '_' as '-'. */
static gboolean
flag_token_to_bits (const FlagName *names, const gchar *token, guint32 *bits)
{
  if (strcmp (token, "none") == 0) {
    *bits = 0;
    return TRUE;
  }
  for (const FlagName *entry = names; entry->name; entry++) {
    if (strcmp (token, entry->name) == 0) {
      *bits = entry->bit;
      return TRUE;
    }
  }
  if (g_ascii_isdigit (token[0])) {
    gchar *end = NULL;
    guint64 value = g_ascii_strtoull (token, &end, 0);

    if (end && *end == '\0' && end != token && value <= G_MAXUINT32) {
      *bits = (guint32) value;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
flags_from_string (const FlagName *names,
                   const gchar *kind,
                   const gchar *string,
                   guint32 *flags,
                   GError **error)
{
  g_auto (GStrv) tokens = NULL;
  g_autofree gchar *stripped = NULL;
  guint32 result = 0;

  if (!string)
    string = "";
  stripped = g_strstrip (g_strdup (string));
  if (stripped[0] == '\0') {
    *flags = 0;
    return TRUE;
  }

  tokens = g_strsplit (stripped, "|", -1);
  for (gchar **token = tokens; *token; token++) {
    g_autofree gchar *name = g_ascii_strdown (g_strstrip (*token), -1);
    guint32 bits = 0;

    g_strdelimit (name, "_", '-');
    if (!flag_token_to_bits (names, name, &bits)) {
      g_set_error (error, MILTER_OPTION_ERROR, MILTER_OPTION_ERROR_UNKNOWN_FLAG,
                   "unknown %s flag '%s' in '%s'", kind, *token, string);
      return FALSE;
    }
    result |= bits;
  }
  *flags = result;
  return TRUE;
}

gboolean
milter_action_flags_from_string (const gchar *string,
                                 MilterActionFlags *actions,
                                 GError **error)
{
  guint32 flags = 0;

  if (!flags_from_string (action_names, "action", string, &flags, error))
    return FALSE;
  *actions = (MilterActionFlags) flags;
  return TRUE;
}

gboolean
milter_step_flags_from_string (const gchar *string,
                               MilterStepFlags *steps,
                               GError **error)
{
  guint32 flags = 0;

  if (!flags_from_string (step_names, "step", string, &flags, error))
    return FALSE;
  *steps = (MilterStepFlags) flags;
  return TRUE;
}

void
milter_option_merge_children (const MilterOption *children,
                              guint n_children,
                              MilterOption *merged)
{
  const MilterStepFlags and_mask =
    MILTER_STEP_NO_EVENT_MASK | MILTER_STEP_NO_REPLY_MASK |
    MILTER_STEP_MAX_DATA_SIZE_MASK;
  guint32 version = 0;
  guint32 actions = 0;
  guint32 and_steps = and_mask;
  guint32 or_steps = 0;

  if (n_children == 0) {
    /* See the header: "nothing asked" is the safe empty result. */
    milter_option_init (merged, 0, MILTER_ACTION_NONE, MILTER_STEP_NONE);
    return;
  }

  for (guint i = 0; i < n_children; i++) {
    version = MAX (version, children[i].version);
    actions |= children[i].actions;
    and_steps &= children[i].steps;
    or_steps |= children[i].steps & MILTER_STEP_POSITIVE_MASK;
  }
  milter_option_init (merged, version, (MilterActionFlags) actions,
                      (MilterStepFlags) ((and_steps & and_mask) | or_steps));
}

/* libmilter's reading of an old MTA's zero fields. */
static void
effective_offer (const MilterOption *offer,
                 MilterActionFlags *actions,
                 MilterStepFlags *steps)
{
  *actions = offer->actions ? offer->actions : MILTER_ACTION_VERSION2_DEFAULT;
  *steps = offer->steps ? offer->steps : MILTER_STEP_VERSION2_DEFAULT;
}

void
milter_option_reply_to_mta (const MilterOption *mta_offer,
                            const MilterOption *children_merged,
                            MilterOption *reply)
{
  const MilterStepFlags kept_mask =
    MILTER_STEP_POSITIVE_MASK | MILTER_STEP_NO_REPLY_MASK |
    MILTER_STEP_MAX_DATA_SIZE_MASK;
  MilterActionFlags offered_actions;
  MilterStepFlags offered_steps;

  effective_offer (mta_offer, &offered_actions, &offered_steps);
  milter_option_init (reply,
                      MIN (mta_offer->version, MILTER_PROTOCOL_VERSION_MAX),
                      children_merged->actions & offered_actions,
                      children_merged->steps & offered_steps & kept_mask);
}

gboolean
milter_option_negotiate (const MilterOption *mta_offer,
                         const MilterOption *milter_wants,
                         MilterOption *result,
                         GError **error)
{
  MilterActionFlags offered_actions;
  MilterStepFlags offered_steps;
  MilterActionFlags actions;
  MilterActionFlags missing_actions;
  MilterStepFlags missing_steps;
  MilterStepFlags steps;

  if (mta_offer->version < MILTER_PROTOCOL_VERSION_MIN) {
    g_set_error (error, MILTER_OPTION_ERROR, MILTER_OPTION_ERROR_VERSION_TOO_OLD,
                 "MTA protocol version %" G_GUINT32_FORMAT
                 " is older than the oldest supported (%d)",
                 mta_offer->version, MILTER_PROTOCOL_VERSION_MIN);
    return FALSE;
  }

  effective_offer (mta_offer, &offered_actions, &offered_steps);

  /* Bits the protocol does not define mean nothing to the MTA: never
   * echoed, whatever the MTA offered. */
  actions = milter_wants->actions & MILTER_ACTION_ALL;
  missing_actions = actions & ~offered_actions;
  if (missing_actions) {
    g_autofree gchar *missing = milter_action_flags_to_string (missing_actions);
    g_autofree gchar *offered = milter_action_flags_to_string (offered_actions);

    g_set_error (error, MILTER_OPTION_ERROR,
                 MILTER_OPTION_ERROR_ACTIONS_NOT_OFFERED,
                 "MTA does not offer the actions the milter needs: %s "
                 "(offered: %s)", missing, offered);
    return FALSE;
  }

  /* Wishes the library can do without are dropped, not refused: see the
   * header. */
  steps = milter_wants->steps;
  steps &= ~(MILTER_OPTION_DROPPABLE_STEPS & ~offered_steps);
  missing_steps = steps & ~offered_steps;
  if (missing_steps) {
    g_autofree gchar *missing = milter_step_flags_to_string (missing_steps);
    g_autofree gchar *offered = milter_step_flags_to_string (offered_steps);

    g_set_error (error, MILTER_OPTION_ERROR,
                 MILTER_OPTION_ERROR_STEPS_NOT_OFFERED,
                 "MTA does not offer the protocol steps the milter needs: %s "
                 "(offered: %s)", missing, offered);
    return FALSE;
  }

  milter_option_init (result,
                      MIN (mta_offer->version, MILTER_PROTOCOL_VERSION_MAX),
                      actions, steps);
  return TRUE;
}

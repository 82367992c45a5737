/*
 * milter-option - negotiation values (version, actions, steps) and their rules
 *
 * SYNOPSIS
 *   #include <milter/core/milter-option.h>
 *
 *   void milter_option_init (option, version, actions, steps);
 *   gboolean milter_option_equal (a, b);
 *   gchar *milter_option_to_string (option);
 *   gchar *milter_action_flags_to_string (actions);
 *   gchar *milter_step_flags_to_string (steps);
 *   gboolean milter_action_flags_from_string (string, &actions, &error);
 *   gboolean milter_step_flags_from_string (string, &steps, &error);
 *
 *   void milter_option_merge_children (children, n_children, &merged);
 *   void milter_option_reply_to_mta (mta_offer, children_merged, &reply);
 *   gboolean milter_option_negotiate (mta_offer, milter_wants, &result, &error);
 *
 * DESCRIPTION
 *   A MilterOption is the payload of a negotiate command or reply: a
 *   protocol version, action flags (SMFIF_*) and step flags (SMFIP_*). It is
 *   a plain value; copy it by assignment.
 *
 *   The three rules:
 *
 *   milter_option_merge_children() combines the negotiate replies of a
 *   session's child milters into what the manager needs from the MTA.
 *   Version: the highest child version. Actions: OR. "Don't send this
 *   event" (MILTER_STEP_NO_EVENT_MASK) and "don't expect a reply"
 *   (MILTER_STEP_NO_REPLY_MASK) flags: AND, since the manager must see an
 *   event or wait for its reply as soon as one child needs it. Positive
 *   flags (MILTER_STEP_POSITIVE_MASK): OR. The data-size flags
 *   (MILTER_STEP_MAX_DATA_SIZE_256K/1M): AND, so that a large chunk taken
 *   from the MTA can go to every child unchanged. Step bits this project
 *   does not know are dropped (their polarity is unknown); unknown action
 *   bits are OR'ed like the others and filtered by the MTA's offer later.
 *   With n_children == 0 the result is all zero (version 0, no actions, no
 *   steps): "nothing asked", which makes the manager expect every event and
 *   every reply, the safe default; version 0 lets the caller see that no
 *   child answered.
 *
 *   milter_option_reply_to_mta() computes the manager's negotiate reply to
 *   the MTA. Version: min(MTA version, 6). Actions: children's actions that
 *   the MTA offered. No "don't send" flag: the manager asks for every event
 *   (it needs the whole session for logging and for children that join
 *   later). Positive, no-reply and data-size flags: kept only if the MTA
 *   offered them and children_merged has them. An MTA offer of 0 actions
 *   reads as MILTER_ACTION_VERSION2_DEFAULT and of 0 steps as
 *   MILTER_STEP_VERSION2_DEFAULT, as libmilter reads it.
 *
 *   milter_option_negotiate() is libmilter's rule, applied by a milter
 *   library answering an MTA: MTA version below 2 fails; 0 actions read as
 *   0x0F and 0 steps as 0x3F; version min(6, MTA version) (the milter's own
 *   version field is not consulted: libmilter always answers that);
 *   action bits the protocol does not define are dropped from the wishes
 *   (never echoed); failure if the milter needs an action the MTA did not
 *   offer, or a step the MTA did not offer that the milter cannot do
 *   without; otherwise the milter's actions and steps. Like libmilter, the
 *   wishes in MILTER_OPTION_DROPPABLE_STEPS are dropped, not refused, when
 *   the MTA does not offer them: a no-reply step (the library then answers
 *   the event with continue itself), no-data and no-unknown (older MTAs
 *   lack them; the milter gets those events after all) and the data-size
 *   flags (the milter gets standard-size chunks). The caller finds what
 *   was dropped by comparing its wishes with the result.
 *
 *   Flag names, for logs and configuration: actions add-headers,
 *   change-body, add-recipient, delete-recipient, change-headers,
 *   quarantine, change-from, add-recipient-with-arguments, set-symbol-list;
 *   steps no-connect, no-helo, no-envelope-from, no-envelope-recipient,
 *   no-body, no-headers, no-end-of-header, no-reply-header, no-unknown,
 *   no-data, skip, envelope-recipient-rejected, no-reply-connect,
 *   no-reply-helo, no-reply-envelope-from, no-reply-envelope-recipient,
 *   no-reply-data, no-reply-unknown, no-reply-end-of-header, no-reply-body,
 *   header-value-with-leading-space, max-data-size-256k, max-data-size-1m.
 *   Flags are joined by "|"; no flag is "none"; bits without a name are
 *   written in hex ("0x40000000"). Parsing accepts the same, in any case,
 *   with spaces around names and "_" for "-", and numbers (0x.., decimal).
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_OPTION_ERROR: UNKNOWN_FLAG (a name that is not a
 *   flag, quoted in the message), VERSION_TOO_OLD, ACTIONS_NOT_OFFERED and
 *   STEPS_NOT_OFFERED (the message names the missing flags and the offer).
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-protocol.h>

G_BEGIN_DECLS

#define MILTER_OPTION_ERROR (milter_option_error_quark ())
GQuark milter_option_error_quark (void);

typedef enum {
  MILTER_OPTION_ERROR_UNKNOWN_FLAG,
  MILTER_OPTION_ERROR_VERSION_TOO_OLD,
  MILTER_OPTION_ERROR_ACTIONS_NOT_OFFERED,
  MILTER_OPTION_ERROR_STEPS_NOT_OFFERED
} MilterOptionError;

/* The experimental data-size flags, merged like no-reply flags. */
#define MILTER_STEP_MAX_DATA_SIZE_MASK \
  ((MilterStepFlags) (MILTER_STEP_MAX_DATA_SIZE_256K | MILTER_STEP_MAX_DATA_SIZE_1M))

/* Step wishes milter_option_negotiate() drops when the MTA lacks them. */
#define MILTER_OPTION_DROPPABLE_STEPS \
  ((MilterStepFlags) (MILTER_STEP_NO_REPLY_MASK | MILTER_STEP_NO_DATA | \
                      MILTER_STEP_NO_UNKNOWN | MILTER_STEP_MAX_DATA_SIZE_MASK))

typedef struct {
  guint32 version;
  MilterActionFlags actions;
  MilterStepFlags steps;
} MilterOption;

/* Boxed, for signals and GValues. */
#define MILTER_TYPE_OPTION (milter_option_get_type ())
GType milter_option_get_type (void) G_GNUC_CONST;
MilterOption *milter_option_copy (const MilterOption *option);
void milter_option_free (MilterOption *option);

void milter_option_init (MilterOption *option,
                         guint32 version,
                         MilterActionFlags actions,
                         MilterStepFlags steps);
gboolean milter_option_equal (const MilterOption *a, const MilterOption *b);
/* "version=6 actions=add-headers|change-body steps=no-connect|skip" */
gchar *milter_option_to_string (const MilterOption *option);

gchar *milter_action_flags_to_string (MilterActionFlags actions);
gchar *milter_step_flags_to_string (MilterStepFlags steps);
/* "add-headers|quarantine"; "" and "none" are 0. On failure *actions is
 * left unchanged. */
gboolean milter_action_flags_from_string (const gchar *string,
                                          MilterActionFlags *actions,
                                          GError **error);
gboolean milter_step_flags_from_string (const gchar *string,
                                        MilterStepFlags *steps,
                                        GError **error);

void milter_option_merge_children (const MilterOption *children,
                                   guint n_children,
                                   MilterOption *merged);
void milter_option_reply_to_mta (const MilterOption *mta_offer,
                                 const MilterOption *children_merged,
                                 MilterOption *reply);
gboolean milter_option_negotiate (const MilterOption *mta_offer,
                                  const MilterOption *milter_wants,
                                  MilterOption *result,
                                  GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterOption, milter_option_free)

G_END_DECLS

/*
 * milter-test-client-flags - flag names in the test clients' output
 *
 * See milter-test-client-flags.h.
 */
#include "config.h"

#include "milter-test-client-flags.h"

static const gchar *const action_nicks[] = {
  "add-headers", "change-body", "add-envelope-recipient",
  "delete-envelope-recipient", "change-headers", "quarantine",
  "change-envelope-from", "add-envelope-recipient-with-parameters",
  "set-symbol-list",
};

static const gchar *const step_nicks[] = {
  "no-connect", "no-helo", "no-envelope-from", "no-envelope-recipient",
  "no-body", "no-headers", "no-end-of-header", "no-reply-header",
  "no-unknown", "no-data", "skip", "envelope-recipient-rejected",
  "no-reply-connect", "no-reply-helo", "no-reply-envelope-from",
  "no-reply-envelope-recipient", "no-reply-data", "no-reply-unknown",
  "no-reply-end-of-header", "no-reply-body",
  "header-value-with-leading-space",
};

static void
append_flag_names (GString *out, guint32 flags, const gchar *const *nicks,
                   guint n_nicks, const gchar *type_name)
{
  gsize start = out->len;
  guint32 unknown = flags;

  for (guint i = 0; i < n_nicks; i++) {
    if (!(flags & (1u << i)))
      continue;
    if (out->len > start)
      g_string_append_c (out, '|');
    g_string_append (out, nicks[i]);
    unknown &= ~(1u << i);
  }
  if (unknown) {
    if (out->len > start)
      g_string_append_c (out, ' ');
    g_string_append_printf (out, "(unknown flags: %s:0x%x)", type_name, unknown);
  }
}

void
milter_test_client_append_actions (GString *out, guint32 actions)
{
  append_flag_names (out, actions, action_nicks, G_N_ELEMENTS (action_nicks),
                     "MilterActionFlags");
}

void
milter_test_client_append_steps (GString *out, guint32 steps)
{
  append_flag_names (out, steps, step_nicks, G_N_ELEMENTS (step_nicks),
                     "MilterStepFlags");
}

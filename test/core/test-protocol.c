/*
 * test-protocol - the names of protocol bytes and the one macro-stage table
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-command.h>

/* Every command byte: its place among the macro commands (-1: none), its
 * negotiate-reply stage (-1: none) and that stage's name. */
typedef struct {
  guint8 command;
  gint index;
  gint stage;
  const gchar *stage_name;
} MacroRow;

static const MacroRow macro_rows[] = {
  {'C', 0, MILTER_MACRO_STAGE_CONNECT, "connect"},
  {'H', 1, MILTER_MACRO_STAGE_HELO, "helo"},
  {'M', 2, MILTER_MACRO_STAGE_ENVELOPE_FROM, "envelope-from"},
  {'R', 3, MILTER_MACRO_STAGE_ENVELOPE_RECIPIENT, "envelope-recipient"},
  {'T', 4, MILTER_MACRO_STAGE_DATA, "data"},
  {'N', 5, MILTER_MACRO_STAGE_END_OF_HEADER, "end-of-header"},
  {'E', 6, MILTER_MACRO_STAGE_END_OF_MESSAGE, "end-of-message"},
  {'U', 7, -1, NULL},
  /* Tolerated, after the protocol's eight. */
  {'L', 8, -1, NULL},
  {'B', 9, -1, NULL},
  {'O', -1, -1, NULL},
  {'D', -1, -1, NULL},
  {'A', -1, -1, NULL},
  {'Q', -1, -1, NULL},
  {'K', -1, -1, NULL},
  {'c', -1, -1, NULL},
  {0, -1, -1, NULL},
};

static void
test_macro_row (gconstpointer data)
{
  const MacroRow *row = data;
  MilterMacroStage stage = (MilterMacroStage) 99;

  g_assert_cmpint (milter_macro_command_index (row->command), ==, row->index);
  g_assert_cmpint (milter_command_is_macro_stage (row->command), ==,
                   row->index >= 0);
  if (row->index >= 0)
    g_assert_cmpint (milter_macro_command_at ((guint) row->index), ==,
                     row->command);
  g_assert_cmpint (milter_macro_stage_from_command (row->command, &stage), ==,
                   row->stage >= 0);
  if (row->stage < 0)
    return;
  g_assert_cmpint (stage, ==, row->stage);
  g_assert_cmpint (milter_macro_stage_to_command (stage), ==, row->command);
  g_assert_cmpstr (milter_macro_stage_to_string (stage), ==, row->stage_name);
  stage = (MilterMacroStage) 99;
  g_assert_true (milter_macro_stage_from_string (row->stage_name, &stage));
  g_assert_cmpint (stage, ==, row->stage);
}

/* The table has no holes: every stage has a command, every position one. */
static void
test_macro_table_complete (void)
{
  MilterMacroStage stage;

  for (guint i = 0; i < MILTER_MACRO_STAGE_COUNT; i++)
    g_assert_cmpint (milter_macro_stage_to_command ((MilterMacroStage) i), !=, 0);
  for (guint i = 0; i < MILTER_MACRO_COMMAND_COUNT_TOLERATED; i++)
    g_assert_cmpint (milter_macro_command_index (milter_macro_command_at (i)),
                     ==, (gint) i);
  g_assert_cmpint (milter_macro_command_at (MILTER_MACRO_COMMAND_COUNT_TOLERATED),
                   ==, 0);
  g_assert_null (milter_macro_stage_to_string ((MilterMacroStage) MILTER_MACRO_STAGE_COUNT));
  g_assert_cmpint (milter_macro_stage_to_command ((MilterMacroStage) -1), ==, 0);
  g_assert_false (milter_macro_stage_from_string ("unknown", &stage));
  g_assert_false (milter_macro_stage_from_string ("header", &stage));
  g_assert_false (milter_macro_stage_from_string ("", &stage));
  g_assert_false (milter_macro_stage_from_string (NULL, &stage));
}

/* Which packets are their type byte alone, over every byte value. */
static void
test_bare_types (void)
{
  static const gchar bare_commands[] = "TNAQK";
  static const gchar bare_replies[] = "cartdsp4f";

  for (guint b = 1; b < 256; b++) {
    gboolean command = strchr (bare_commands, (gint) b) != NULL;
    gboolean reply = strchr (bare_replies, (gint) b) != NULL;

    g_assert_cmpint (milter_command_type_is_bare ((guint8) b), ==, command);
    g_assert_cmpint (milter_reply_type_is_bare ((guint8) b), ==, reply);
    /* Only known types are bare. */
    if (command)
      g_assert_true (milter_command_type_is_valid ((guint8) b));
    if (reply)
      g_assert_true (milter_reply_type_is_valid ((guint8) b));
  }
  g_assert_false (milter_command_type_is_bare (0));
  g_assert_false (milter_reply_type_is_bare (0));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (macro_rows); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/protocol/macro-command/0x%02x", macro_rows[i].command);

    g_test_add_data_func (path, &macro_rows[i], test_macro_row);
  }
  g_test_add_func ("/core/protocol/macro-table-complete", test_macro_table_complete);
  g_test_add_func ("/core/protocol/bare-types", test_bare_types);
  return g_test_run ();
}

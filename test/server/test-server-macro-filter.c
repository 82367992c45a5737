/*
 * test-server-macro-filter - which macros go to a milter before a command
 */
#include "config.h"

#include <glib.h>
#include <glib-object.h>

#include <milter/core/milter-macros-requests.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-protocol.h>
#include <milter/server/milter-server-macro-filter.h>

#define SYMLIST MILTER_ACTION_SET_SYMBOL_LIST

typedef struct {
  const gchar *label;
  gboolean negotiated;     /* FALSE: no negotiate reply yet (NULL) */
  guint32 version;
  MilterActionFlags actions;
  /* The milter's lists: connect, envelope-from, end-of-header. */
  const gchar *connect_list;
  const gchar *from_list;
  const gchar *eoh_list;
  guint8 command;
  const gchar *name;
  gboolean expected;
} FilterCase;

static const FilterCase filter_cases[] = {
  /* No filter without a negotiated version-6 set-symbol-list milter. */
  { "not-negotiated", FALSE, 0, 0, "j", NULL, NULL, 'C', "_", TRUE },
  { "v6-without-symlist", TRUE, 6, MILTER_ACTION_ADD_HEADERS, "j", NULL, NULL,
    'C', "_", TRUE },
  { "v5-with-symlist", TRUE, 5, SYMLIST, "j", NULL, NULL, 'C', "_", TRUE },
  { "v2-with-symlist", TRUE, 2, SYMLIST, "j", NULL, NULL, 'C', "_", TRUE },
  /* Filtered: only the names listed for the stage. */
  { "listed", TRUE, 6, SYMLIST, "j _", NULL, NULL, 'C', "j", TRUE },
  { "listed-second", TRUE, 6, SYMLIST, "j _", NULL, NULL, 'C', "_", TRUE },
  { "not-listed", TRUE, 6, SYMLIST, "j _", NULL, NULL, 'C', "{daemon_name}",
    FALSE },
  { "other-actions-too", TRUE, 6, SYMLIST | MILTER_ACTION_ADD_HEADERS,
    "j", NULL, NULL, 'C', "v", FALSE },
  /* Braced and bare spellings are the same macro; case matters. */
  { "braced-asked-bare-sent", TRUE, 6, SYMLIST, "{j}", NULL, NULL, 'C', "j",
    TRUE },
  { "bare-asked-braced-sent", TRUE, 6, SYMLIST, NULL, "auth_type", NULL, 'M',
    "{auth_type}", TRUE },
  { "case-differs", TRUE, 6, SYMLIST, NULL, "i", NULL, 'M', "I", FALSE },
  /* Each stage has its own list; a stage without one gets everything. */
  { "other-stage-listed", TRUE, 6, SYMLIST, "j", NULL, NULL, 'M', "i", TRUE },
  { "from-listed", TRUE, 6, SYMLIST, "j", "{mail_addr}", NULL, 'M',
    "{mail_addr}", TRUE },
  { "from-not-listed", TRUE, 6, SYMLIST, "j", "{mail_addr}", NULL, 'M', "j",
    FALSE },
  { "end-of-header-stage", TRUE, 6, SYMLIST, NULL, NULL, "i", 'N', "j", FALSE },
  { "end-of-header-listed", TRUE, 6, SYMLIST, NULL, NULL, "i", 'N', "i", TRUE },
  { "helo-unlisted-stage", TRUE, 6, SYMLIST, "j", "i", "i", 'H', "{tls_version}",
    TRUE },
  { "end-of-message-unlisted-stage", TRUE, 6, SYMLIST, "j", "i", "i", 'E', "x",
    TRUE },
  /* Commands without a stage (header, body, unknown) always get theirs. */
  { "header-no-stage", TRUE, 6, SYMLIST, "j", "i", "i", 'L', "x", TRUE },
  { "body-no-stage", TRUE, 6, SYMLIST, "j", "i", "i", 'B', "x", TRUE },
  { "unknown-no-stage", TRUE, 6, SYMLIST, "j", "i", "i", 'U', "x", TRUE },
  /* An empty list is no list: everything goes. */
  { "empty-list", TRUE, 6, SYMLIST, "", NULL, NULL, 'C', "j", TRUE },
  { "blank-list", TRUE, 6, SYMLIST, "  ", NULL, NULL, 'C', "j", TRUE },
};

static void
test_filter (gconstpointer data)
{
  const FilterCase *c = data;
  g_autoptr (MilterMacrosRequests) requests = milter_macros_requests_new ();
  MilterOption option;

  milter_option_init (&option, c->version, c->actions, 0);
  milter_macros_requests_set_from_string (requests, MILTER_MACRO_STAGE_CONNECT,
                                          c->connect_list);
  milter_macros_requests_set_from_string (requests,
                                          MILTER_MACRO_STAGE_ENVELOPE_FROM,
                                          c->from_list);
  milter_macros_requests_set_from_string (requests,
                                          MILTER_MACRO_STAGE_END_OF_HEADER,
                                          c->eoh_list);
  g_assert_cmpint (milter_server_macro_is_wanted (c->negotiated ? &option : NULL,
                                                  requests, c->command,
                                                  c->name), ==, c->expected);
}

/* No requests object (the caller has none yet): nothing is filtered. */
static void
test_no_requests (void)
{
  MilterOption option;

  milter_option_init (&option, 6, SYMLIST, 0);
  g_assert_true (milter_server_macro_is_wanted (&option, NULL, 'C', "j"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (filter_cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/server/macro-filter/%s", filter_cases[i].label);

    g_test_add_data_func (path, &filter_cases[i], test_filter);
  }
  g_test_add_func ("/server/macro-filter/no-requests", test_no_requests);
  return g_test_run ();
}

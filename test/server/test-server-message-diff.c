/*
 * test-server-message-diff - the --output-message sections, case by case
 *
 * Each case builds the message as sent and the same message after a
 * milter's edits (as a list of operations) and compares the whole text.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-headers.h>
#include <milter/server/milter-server-message.h>
#include <milter/server/milter-server-message-diff.h>

#define ENVELOPE "Envelope:------------------------------\n"
#define HEADER "Header:--------------------------------\n"
#define BODY "Body:----------------------------------\n"
#define SENDER "  MAIL FROM:<sender@example.com>\n"
#define RECEIVER "  RCPT TO:<receiver@example.org>\n"
#define FROM_TO "  From: <sender@example.com>\n  To: <receiver@example.org>\n"

typedef struct {
  const gchar *name;
  /* Edits, '|'-separated: "add N:V", "insert I N:V", "change N I V",
   * "delete N I", "from A", "rcpt+ A", "rcpt- A", "body TEXT". */
  const gchar *edits;
  gboolean color;
  const gchar *expected;
} DiffCase;

static const DiffCase diff_cases[] = {
  { "unchanged", "", FALSE,
    ENVELOPE SENDER RECEIVER HEADER FROM_TO BODY "Hi.\r\n\n" },
  { "header-added", "add X-Added:yes", FALSE,
    ENVELOPE SENDER RECEIVER HEADER FROM_TO "+ X-Added: yes\n"
    BODY "Hi.\r\n\n" },
  { "header-inserted-first", "insert 0 X-First:1", FALSE,
    ENVELOPE SENDER RECEIVER HEADER "+ X-First: 1\n" FROM_TO
    BODY "Hi.\r\n\n" },
  /* A changed value matches no original: added, and the old one is left
   * over, removed (the original tool's order). */
  { "header-changed", "change To 1 <other@example.org>", FALSE,
    ENVELOPE SENDER RECEIVER HEADER "  From: <sender@example.com>\n"
    "+ To: <other@example.org>\n- To: <receiver@example.org>\n"
    BODY "Hi.\r\n\n" },
  /* Both reappear later on the other side, names differ: the result's
   * counts as added, and the original's is left over. */
  { "headers-moved", "delete From 1|add From:<sender@example.com>", FALSE,
    ENVELOPE SENDER RECEIVER HEADER "+ To: <receiver@example.org>\n"
    "  From: <sender@example.com>\n- To: <receiver@example.org>\n"
    BODY "Hi.\r\n\n" },
  { "header-deleted", "delete From 1", FALSE,
    ENVELOPE SENDER RECEIVER HEADER "- From: <sender@example.com>\n"
    "  To: <receiver@example.org>\n" BODY "Hi.\r\n\n" },
  { "header-folded", "add X-Folded:one\n\ttwo", FALSE,
    ENVELOPE SENDER RECEIVER HEADER FROM_TO "+ X-Folded: one\n+ \ttwo\n"
    BODY "Hi.\r\n\n" },
  { "header-empty-value", "add X-Empty:", FALSE,
    ENVELOPE SENDER RECEIVER HEADER FROM_TO "+ X-Empty:\n" BODY "Hi.\r\n\n" },
  { "envelope-changed",
    "from <new@example.com>|rcpt- <receiver@example.org>|rcpt+ <a@example.net>|"
    "rcpt+ <b@example.net>", FALSE,
    ENVELOPE "- MAIL FROM:<sender@example.com>\n+ MAIL FROM:<new@example.com>\n"
    "- RCPT TO:<receiver@example.org>\n+ RCPT TO:<a@example.net>\n"
    "+ RCPT TO:<b@example.net>\n" HEADER FROM_TO BODY "Hi.\r\n\n" },
  { "recipient-removed", "rcpt- <receiver@example.org>", FALSE,
    ENVELOPE SENDER "- RCPT TO:<receiver@example.org>\n" HEADER FROM_TO
    BODY "Hi.\r\n\n" },
  { "body-replaced", "body New body.\r\n", FALSE,
    ENVELOPE SENDER RECEIVER HEADER FROM_TO BODY "New body.\r\n\n" },
  /* An empty replacement shows the body as sent, as the original does. */
  { "body-replaced-empty", "body ", FALSE,
    ENVELOPE SENDER RECEIVER HEADER FROM_TO BODY "Hi.\r\n\n" },
  { "color", "add X-Added:yes|delete From 1", TRUE,
    ENVELOPE SENDER RECEIVER HEADER
    "\033[01;31m- From: <sender@example.com>\033[00m\n"
    "  To: <receiver@example.org>\n"
    "\033[01;32m+ X-Added: yes\033[00m\n" BODY "Hi.\r\n\n" },
  { "charset", "add Content-Type:text/plain; charset=\"ISO-8859-1\"|body caf\xe9\n",
    FALSE,
    ENVELOPE SENDER RECEIVER HEADER FROM_TO
    "+ Content-Type: text/plain; charset=\"ISO-8859-1\"\n"
    BODY "caf\xc3\xa9\n\n" },
  { "charset-unknown", "add Content-Type:text/plain; charset=no-such-set", FALSE,
    NULL },
};

static void
apply_edit (MilterServerMessage *message, const gchar *edit)
{
  const gchar *space = strchr (edit, ' ');
  g_autofree gchar *verb = g_strndup (edit, space ? (gsize) (space - edit) : strlen (edit));
  const gchar *rest = space ? space + 1 : "";

  if (strcmp (verb, "add") == 0 || strcmp (verb, "insert") == 0) {
    gboolean insert = verb[0] == 'i';
    gchar *end = NULL;
    guint index = insert ? (guint) g_ascii_strtoull (rest, &end, 10) : 0;
    const gchar *pair = insert ? end + 1 : rest;
    const gchar *colon = strchr (pair, ':');
    g_autofree gchar *name = g_strndup (pair, (gsize) (colon - pair));

    if (insert)
      g_assert_true (milter_headers_insert (message->headers, index, name,
                                            colon + 1, NULL));
    else
      g_assert_true (milter_headers_add (message->headers, name, colon + 1, NULL));
  } else if (strcmp (verb, "change") == 0 || strcmp (verb, "delete") == 0) {
    g_auto (GStrv) parts = g_strsplit (rest, " ", 3);
    guint index = (guint) g_ascii_strtoull (parts[1], NULL, 10);

    if (verb[0] == 'c')
      g_assert_true (milter_headers_change (message->headers, parts[0], index,
                                            parts[2], NULL));
    else
      g_assert_true (milter_headers_delete (message->headers, parts[0], index,
                                            NULL));
  } else if (strcmp (verb, "from") == 0) {
    milter_server_message_set_from (message, rest);
  } else if (strcmp (verb, "rcpt+") == 0) {
    milter_server_message_add_recipient (message, rest);
  } else if (strcmp (verb, "rcpt-") == 0) {
    g_assert_true (milter_server_message_delete_recipient (message, rest));
  } else if (strcmp (verb, "body") == 0) {
    milter_server_message_replace_body (message, (const guint8 *) rest,
                                        strlen (rest));
  } else {
    g_assert_not_reached ();
  }
}

static MilterServerMessage *
sent_message (void)
{
  static const gchar text[] =
    "From: <sender@example.com>\nTo: <receiver@example.org>\n\nHi.\n";
  MilterServerMessage *message =
    milter_server_message_parse (text, strlen (text), NULL);

  milter_server_message_set_from (message, "<sender@example.com>");
  milter_server_message_add_recipient (message, "<receiver@example.org>");
  return message;
}

static void
test_diff (gconstpointer data)
{
  const DiffCase *test = data;
  g_autoptr (MilterServerMessage) original = sent_message ();
  g_autoptr (MilterServerMessage) result = sent_message ();
  g_auto (GStrv) edits = g_strsplit (test->edits, "|", -1);
  g_autoptr (GString) out = g_string_new (NULL);

  for (gsize i = 0; edits[i]; i++) {
    if (edits[i][0])
      apply_edit (result, edits[i]);
  }
  milter_server_message_diff (out, original, result, test->color);
  if (test->expected) {
    g_assert_cmpstr (out->str, ==, test->expected);
  } else {
    /* A charset GLib cannot convert from: the error, then the body. */
    g_assert_nonnull (strstr (out->str, BODY "Error:---------------------------------\n"));
    g_assert_true (g_str_has_suffix (out->str,
                                     "---------------------------------------\n"
                                     "Hi.\r\n\n"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (diff_cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/server/message-diff/%s",
                                              diff_cases[i].name);

    g_test_add_data_func (path, &diff_cases[i], test_diff);
  }
  return g_test_run ();
}

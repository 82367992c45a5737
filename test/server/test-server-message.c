/*
 * test-server-message - parsing a mail file, applying edits, formatting
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-headers.h>
#include <milter/server/milter-server-message.h>

static void
test_parse (void)
{
  static const struct {
    const gchar *text;
    const gchar *headers;   /* milter_headers_to_string */
    const gchar *body;
  } cases[] = {
    { "Subject: hi\nFrom: a@b\n\nline 1\nline 2\n",
      "Subject: hi\nFrom: a@b\n", "line 1\r\nline 2\r\n" },
    { "Subject: hi\r\n\r\nbody\r\n", "Subject: hi\n", "body\r\n" },
    { "Subject:no-space\n\nx", "Subject: no-space\n", "x" },
    { "Subject: a\n  folded\n\tagain\nX: y\n\n",
      "Subject: a\n  folded\n\tagain\nX: y\n", "" },
    { "Subject: only headers\n", "Subject: only headers\n", "" },
    { "\nbody only\n", "", "body only\r\n" },
    { "", "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (MilterServerMessage) message =
      milter_server_message_parse (cases[i].text, strlen (cases[i].text), &error);
    g_autofree gchar *headers = NULL;

    g_assert_no_error (error);
    headers = milter_headers_to_string (message->headers);
    g_assert_cmpstr (headers, ==, cases[i].headers);
    g_assert_cmpmem (message->body->data, message->body->len,
                     cases[i].body, strlen (cases[i].body));
  }
}

static void
test_parse_errors (void)
{
  static const struct {
    const gchar *text;
    gint code;
    gboolean from_headers;
  } cases[] = {
    { "no colon here\n\n", MILTER_SERVER_MESSAGE_ERROR_INVALID_HEADER },
    { " continued\n\n", MILTER_SERVER_MESSAGE_ERROR_INVALID_CONTINUATION },
    /* The header list's own verdict is passed up with its domain. */
    { "Bad Name: x\n\n", MILTER_HEADERS_ERROR_INVALID_NAME, TRUE },
    { ": empty name\n\n", MILTER_HEADERS_ERROR_INVALID_NAME, TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    GQuark domain = cases[i].from_headers ? MILTER_HEADERS_ERROR
                                          : MILTER_SERVER_MESSAGE_ERROR;
    MilterServerMessage *message =
      milter_server_message_parse (cases[i].text, strlen (cases[i].text), &error);

    g_assert_null (message);
    g_assert_error (error, domain, cases[i].code);
  }
}

static void
test_recipients (void)
{
  g_autoptr (MilterServerMessage) message = milter_server_message_new ();

  milter_server_message_add_recipient (message, "<a@example.net>");
  milter_server_message_add_recipient (message, "b@example.net");
  milter_server_message_add_recipient (message, "<a@example.net>");
  g_assert_cmpuint (message->recipients->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (message->recipients, 1), ==, "<b@example.net>");
  g_assert_true (milter_server_message_delete_recipient (message, "a@example.net"));
  g_assert_cmpuint (message->recipients->len, ==, 1);
  g_assert_false (milter_server_message_delete_recipient (message, "<c@example.net>"));
  g_assert_cmpuint (message->recipients->len, ==, 1);
}

static void
test_replace_body (void)
{
  g_autoptr (MilterServerMessage) message = milter_server_message_new ();

  g_byte_array_append (message->body, (const guint8 *) "old", 3);
  milter_server_message_replace_body (message, (const guint8 *) "new ", 4);
  milter_server_message_replace_body (message, (const guint8 *) "body", 4);
  g_assert_cmpmem (message->body->data, message->body->len, "new body", 8);
}

static void
test_format (void)
{
  const gchar *text = "From: a@example.com\nSubject: s\n\nhello\nworld\n";
  g_autoptr (MilterServerMessage) message =
    milter_server_message_parse (text, strlen (text), NULL);
  g_autofree gchar *formatted = NULL;

  milter_server_message_set_from (message, "a@example.com");
  milter_server_message_add_recipient (message, "<x@example.net>");
  milter_server_message_add_recipient (message, "<y@example.net>");
  milter_server_message_set_quarantine (message, "suspicious");
  g_assert_true (milter_headers_insert (message->headers, 0, "X-First", "1", NULL));
  g_assert_true (milter_headers_delete (message->headers, "Subject", 1, NULL));
  formatted = milter_server_message_format (message);
  g_assert_cmpstr (formatted, ==,
                   "envelope-from: <a@example.com>\n"
                   "envelope-recipient: <x@example.net>\n"
                   "envelope-recipient: <y@example.net>\n"
                   "quarantine: suspicious\n"
                   "------------------------------\n"
                   "X-First: 1\n"
                   "From: a@example.com\n"
                   "\n"
                   "hello\nworld\n");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/message/parse", test_parse);
  g_test_add_func ("/server/message/parse-errors", test_parse_errors);
  g_test_add_func ("/server/message/recipients", test_recipients);
  g_test_add_func ("/server/message/replace-body", test_replace_body);
  g_test_add_func ("/server/message/format", test_format);
  return g_test_run ();
}

/*
 * test-headers - header list: add, insert, change, delete as the milter
 * protocol defines them, plus the read-only helpers
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-headers.h>

typedef enum {
  OP_END,
  OP_ADD,
  OP_INSERT,
  OP_CHANGE,
  OP_DELETE
} OpType;

typedef struct {
  OpType type;
  const gchar *name;
  guint index;
  const gchar *value;
} Op;

#define MAX_OPS 8

typedef struct {
  const gchar *label;
  Op ops[MAX_OPS];          /* run in order up to OP_END */
  const gchar *expected;    /* milter_headers_to_string () afterwards */
  gint failing_op;          /* 0-based op that must fail, -1: none */
} Case;

/* Every case starts from this list. */
static const Op initial[] = {
  {OP_ADD, "From", 0, "a@example.com"},
  {OP_ADD, "Received", 0, "by one"},
  {OP_ADD, "Subject", 0, "hello"},
  {OP_ADD, "Received", 0, "by two"},
  {OP_END, NULL, 0, NULL}
};
#define INITIAL "From: a@example.com\nReceived: by one\nSubject: hello\n" \
                "Received: by two\n"

static const Case cases[] = {
  {"nothing", {{OP_END, NULL, 0, NULL}}, INITIAL, -1},
  {"add-appends",
   {{OP_ADD, "X-Spam", 0, "no"}, {OP_ADD, "X-Spam", 0, "yes"}},
   INITIAL "X-Spam: no\nX-Spam: yes\n", -1},
  {"add-null-value-is-empty",
   {{OP_ADD, "X-Empty", 0, NULL}},
   INITIAL "X-Empty: \n", -1},
  {"add-keeps-value-verbatim",
   {{OP_ADD, "X-Folded", 0, " a\r\n\tb "}},
   INITIAL "X-Folded:  a\r\n\tb \n", -1},
  {"insert-at-0-prepends",
   {{OP_INSERT, "Return-Path", 0, "<a@example.com>"}},
   "Return-Path: <a@example.com>\n" INITIAL, -1},
  {"insert-in-middle",
   {{OP_INSERT, "X-Mid", 2, "m"}},
   "From: a@example.com\nReceived: by one\nX-Mid: m\nSubject: hello\n"
   "Received: by two\n", -1},
  {"insert-at-length-appends",
   {{OP_INSERT, "X-End", 4, "e"}},
   INITIAL "X-End: e\n", -1},
  {"insert-past-end-appends",
   {{OP_INSERT, "X-End", 1000, "e"}},
   INITIAL "X-End: e\n", -1},
  {"insert-max-index-appends",
   {{OP_INSERT, "X-End", G_MAXUINT, "e"}},
   INITIAL "X-End: e\n", -1},
  {"change-first-occurrence",
   {{OP_CHANGE, "Received", 1, "by ONE"}},
   "From: a@example.com\nReceived: by ONE\nSubject: hello\n"
   "Received: by two\n", -1},
  {"change-second-occurrence",
   {{OP_CHANGE, "Received", 2, "by TWO"}},
   "From: a@example.com\nReceived: by one\nSubject: hello\n"
   "Received: by TWO\n", -1},
  {"change-index-0-is-1",
   {{OP_CHANGE, "Received", 0, "zero"}},
   "From: a@example.com\nReceived: zero\nSubject: hello\n"
   "Received: by two\n", -1},
  {"change-name-case-insensitive",
   {{OP_CHANGE, "sUBJECT", 1, "bye"}},
   "From: a@example.com\nReceived: by one\nSubject: bye\n"
   "Received: by two\n", -1},
  {"change-keeps-original-name-case",
   {{OP_CHANGE, "RECEIVED", 2, "x"}},
   "From: a@example.com\nReceived: by one\nSubject: hello\n"
   "Received: x\n", -1},
  {"change-missing-name-appends",
   {{OP_CHANGE, "X-New", 1, "v"}},
   INITIAL "X-New: v\n", -1},
  {"change-out-of-range-index-appends",
   {{OP_CHANGE, "Received", 3, "by three"}},
   INITIAL "Received: by three\n", -1},
  {"change-empty-value-deletes",
   {{OP_CHANGE, "Received", 1, ""}},
   "From: a@example.com\nSubject: hello\nReceived: by two\n", -1},
  {"change-null-value-deletes",
   {{OP_CHANGE, "Received", 2, NULL}},
   "From: a@example.com\nReceived: by one\nSubject: hello\n", -1},
  {"change-empty-value-missing-is-noop",
   {{OP_CHANGE, "X-None", 1, ""}},
   INITIAL, -1},
  {"delete-second-then-first",
   {{OP_DELETE, "received", 2, NULL}, {OP_DELETE, "Received", 1, NULL}},
   "From: a@example.com\nSubject: hello\n", -1},
  {"delete-first-twice-removes-both",
   /* after the first delete the second Received is the first one */
   {{OP_DELETE, "Received", 1, NULL}, {OP_DELETE, "Received", 1, NULL}},
   "From: a@example.com\nSubject: hello\n", -1},
  {"delete-index-0-is-1",
   {{OP_DELETE, "From", 0, NULL}},
   "Received: by one\nSubject: hello\nReceived: by two\n", -1},
  {"delete-out-of-range-is-noop",
   {{OP_DELETE, "Received", 3, NULL}, {OP_DELETE, "X-None", 1, NULL}},
   INITIAL, -1},
  {"delete-all-then-add",
   {{OP_DELETE, "From", 1, NULL}, {OP_DELETE, "Received", 1, NULL},
    {OP_DELETE, "Subject", 1, NULL}, {OP_DELETE, "Received", 1, NULL},
    {OP_ADD, "X-Only", 0, "1"}},
   "X-Only: 1\n", -1},
  {"insert-then-change-counts-new-duplicate",
   {{OP_INSERT, "Received", 0, "by zero"},
    {OP_CHANGE, "Received", 1, "by ZERO"},
    {OP_CHANGE, "Received", 3, "by TWO"}},
   "Received: by ZERO\nFrom: a@example.com\nReceived: by one\n"
   "Subject: hello\nReceived: by TWO\n", -1},
  {"name-with-8bit-bytes-accepted",
   {{OP_ADD, "X-\xc3\xa9t\xc3\xa9", 0, "v"}},
   INITIAL "X-\xc3\xa9t\xc3\xa9: v\n", -1},
  /* Invalid names: the op fails and the list is left as it was. */
  {"add-empty-name-fails",
   {{OP_ADD, "", 0, "v"}}, INITIAL, 0},
  {"add-null-name-fails",
   {{OP_ADD, NULL, 0, "v"}}, INITIAL, 0},
  {"add-colon-in-name-fails",
   {{OP_ADD, "X-Bad:", 0, "v"}}, INITIAL, 0},
  {"add-space-in-name-fails",
   {{OP_ADD, "X Bad", 0, "v"}}, INITIAL, 0},
  {"add-control-in-name-fails",
   {{OP_ADD, "X-\tBad", 0, "v"}}, INITIAL, 0},
  {"add-del-in-name-fails",
   {{OP_ADD, "X-\x7f", 0, "v"}}, INITIAL, 0},
  {"insert-empty-name-fails",
   {{OP_INSERT, "", 0, "v"}}, INITIAL, 0},
  {"change-empty-name-fails",
   {{OP_CHANGE, "", 1, "v"}}, INITIAL, 0},
  {"delete-empty-name-fails",
   {{OP_DELETE, "", 1, NULL}}, INITIAL, 0},
  {"failure-after-success-keeps-earlier-ops",
   {{OP_ADD, "X-A", 0, "a"}, {OP_CHANGE, "Bad Name", 1, "v"}},
   INITIAL "X-A: a\n", 1},
};

static gboolean
run_op (MilterHeaders *headers, const Op *op, GError **error)
{
  switch (op->type) {
  case OP_ADD:
    return milter_headers_add (headers, op->name, op->value, error);
  case OP_INSERT:
    return milter_headers_insert (headers, op->index, op->name, op->value,
                                  error);
  case OP_CHANGE:
    return milter_headers_change (headers, op->name, op->index, op->value,
                                  error);
  case OP_DELETE:
    return milter_headers_delete (headers, op->name, op->index, error);
  case OP_END:
  default:
    g_assert_not_reached ();
  }
  return FALSE;
}

static MilterHeaders *
initial_headers (void)
{
  MilterHeaders *headers = milter_headers_new ();
  guint i;

  for (i = 0; initial[i].type != OP_END; i++)
    g_assert_true (run_op (headers, &initial[i], NULL));
  return headers;
}

static void
test_operations (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (MilterHeaders) headers = initial_headers ();
  g_autofree gchar *result = NULL;
  guint i;

  for (i = 0; i < MAX_OPS && c->ops[i].type != OP_END; i++) {
    g_autoptr (GError) error = NULL;
    gboolean ok = run_op (headers, &c->ops[i], &error);

    if ((gint) i == c->failing_op) {
      g_assert_false (ok);
      g_assert_error (error, MILTER_HEADERS_ERROR,
                      MILTER_HEADERS_ERROR_INVALID_NAME);
      break;
    }
    g_assert_no_error (error);
    g_assert_true (ok);
  }
  if (c->failing_op >= 0)
    g_assert_cmpint ((gint) i, ==, c->failing_op);
  result = milter_headers_to_string (headers);
  g_assert_cmpstr (result, ==, c->expected);
}

static void
test_error_message (void)
{
  g_autoptr (MilterHeaders) headers = milter_headers_new ();
  g_autoptr (GError) error = NULL;

  g_assert_false (milter_headers_add (headers, "X:Y", "v", &error));
  g_assert_error (error, MILTER_HEADERS_ERROR,
                  MILTER_HEADERS_ERROR_INVALID_NAME);
  g_assert_nonnull (strstr (error->message, "'X:Y'"));
  g_assert_nonnull (strstr (error->message, "0x3a"));
  g_clear_error (&error);
  g_assert_false (milter_headers_add (headers, "", "v", &error));
  g_assert_cmpstr (error->message, ==, "header name is empty");
  g_assert_cmpuint (milter_headers_length (headers), ==, 0);
}

typedef struct {
  const gchar *name;
  guint index;
  const gchar *expected;   /* NULL: not found */
} FindCase;

static const FindCase find_cases[] = {
  {"From", 1, "a@example.com"},
  {"from", 1, "a@example.com"},
  {"FROM", 0, "a@example.com"},
  {"Received", 1, "by one"},
  {"Received", 2, "by two"},
  {"Received", 3, NULL},
  {"Received", G_MAXUINT, NULL},
  {"Subject", 2, NULL},
  {"X-None", 1, NULL},
  {"", 1, NULL},
  {NULL, 1, NULL},
};

static void
test_find (void)
{
  g_autoptr (MilterHeaders) headers = initial_headers ();
  guint i;

  for (i = 0; i < G_N_ELEMENTS (find_cases); i++) {
    const FindCase *c = &find_cases[i];

    g_test_message ("find %s #%u", c->name ? c->name : "(null)", c->index);
    g_assert_cmpstr (milter_headers_find (headers, c->name, c->index), ==,
                     c->expected);
  }
}

static void
test_get_nth_and_length (void)
{
  g_autoptr (MilterHeaders) headers = initial_headers ();
  const MilterHeader *header;

  g_assert_cmpuint (milter_headers_length (headers), ==, 4);
  header = milter_headers_get_nth (headers, 0);
  g_assert_nonnull (header);
  g_assert_cmpstr (header->name, ==, "From");
  g_assert_cmpstr (header->value, ==, "a@example.com");
  header = milter_headers_get_nth (headers, 3);
  g_assert_nonnull (header);
  g_assert_cmpstr (header->value, ==, "by two");
  g_assert_null (milter_headers_get_nth (headers, 4));
  g_assert_null (milter_headers_get_nth (headers, G_MAXUINT));
}

static void
test_copy_and_equal (void)
{
  g_autoptr (MilterHeaders) a = initial_headers ();
  g_autoptr (MilterHeaders) b = milter_headers_copy (a);
  g_autoptr (MilterHeaders) empty1 = milter_headers_new ();
  g_autoptr (MilterHeaders) empty2 = milter_headers_new ();
  g_autofree gchar *string_a = NULL;

  g_assert_true (milter_headers_equal (a, b));
  g_assert_true (milter_headers_equal (b, a));
  g_assert_true (milter_headers_equal (empty1, empty2));
  g_assert_false (milter_headers_equal (a, empty1));
  g_assert_false (milter_headers_equal (a, NULL));
  g_assert_true (milter_headers_equal (NULL, NULL));

  /* The copy is deep: changing it leaves the original alone. */
  g_assert_true (milter_headers_change (b, "Subject", 1, "changed", NULL));
  g_assert_false (milter_headers_equal (a, b));
  g_assert_cmpstr (milter_headers_find (a, "Subject", 1), ==, "hello");
  string_a = milter_headers_to_string (a);
  g_assert_cmpstr (string_a, ==, INITIAL);

  /* Name case matters for equality (it is what gets written out). */
  g_clear_pointer (&b, milter_headers_free);
  b = milter_headers_copy (a);
  g_assert_true (milter_headers_change (b, "subject", 1, "", NULL));
  g_assert_true (milter_headers_insert (b, 2, "subject", "hello", NULL));
  g_assert_false (milter_headers_equal (a, b));

  /* Same pairs, different order. */
  g_clear_pointer (&b, milter_headers_free);
  b = milter_headers_copy (a);
  g_assert_true (milter_headers_delete (b, "From", 1, NULL));
  g_assert_true (milter_headers_add (b, "From", "a@example.com", NULL));
  g_assert_false (milter_headers_equal (a, b));
}

static void
test_boxed (void)
{
  g_autoptr (MilterHeaders) a = initial_headers ();
  MilterHeaders *b;

  g_assert_true (G_TYPE_IS_BOXED (MILTER_TYPE_HEADERS));
  b = g_boxed_copy (MILTER_TYPE_HEADERS, a);
  g_assert_true (b != a);
  g_assert_true (milter_headers_equal (a, b));
  g_boxed_free (MILTER_TYPE_HEADERS, b);
}

static void
collect (const gchar *name, const gchar *value, gpointer user_data)
{
  g_string_append_printf (user_data, "[%s=%s]", name, value);
}

static void
test_foreach (void)
{
  g_autoptr (MilterHeaders) headers = initial_headers ();
  g_autoptr (GString) seen = g_string_new (NULL);
  g_autoptr (MilterHeaders) empty = milter_headers_new ();

  milter_headers_foreach (headers, collect, seen);
  g_assert_cmpstr (seen->str, ==,
                   "[From=a@example.com][Received=by one][Subject=hello]"
                   "[Received=by two]");
  g_string_truncate (seen, 0);
  milter_headers_foreach (empty, collect, seen);
  g_assert_cmpstr (seen->str, ==, "");
}

static void
test_to_string_empty (void)
{
  g_autoptr (MilterHeaders) headers = milter_headers_new ();
  g_autofree gchar *string = milter_headers_to_string (headers);

  g_assert_cmpstr (string, ==, "");
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path =
      g_strdup_printf ("/core/headers/operations/%s", cases[i].label);
    g_test_add_data_func (path, &cases[i], test_operations);
  }
  g_test_add_func ("/core/headers/error-message", test_error_message);
  g_test_add_func ("/core/headers/find", test_find);
  g_test_add_func ("/core/headers/get-nth-and-length", test_get_nth_and_length);
  g_test_add_func ("/core/headers/copy-and-equal", test_copy_and_equal);
  g_test_add_func ("/core/headers/boxed", test_boxed);
  g_test_add_func ("/core/headers/foreach", test_foreach);
  g_test_add_func ("/core/headers/to-string-empty", test_to_string_empty);
  return g_test_run ();
}

/*
 * test-status-reply - which reply packet answers an event with a status
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/core/milter-status.h>
#include <milter/core/milter-status-reply.h>

typedef struct {
  const gchar *name;
  MilterStatus status;
  MilterCommandType command;
  MilterStepFlags steps;
  const gchar *reply_code;
  MilterReplyType expected;
} ReplyCase;

#define BODY MILTER_COMMAND_BODY
#define HELO MILTER_COMMAND_HELO
#define SKIP MILTER_STEP_SKIP

static const ReplyCase reply_cases[] = {
  {"accept", MILTER_STATUS_ACCEPT, HELO, 0, NULL, MILTER_REPLY_ACCEPT},
  {"pass-is-accept", MILTER_STATUS_PASS, HELO, 0, NULL, MILTER_REPLY_ACCEPT},
  {"stop-is-accept", MILTER_STATUS_STOP, HELO, 0, NULL, MILTER_REPLY_ACCEPT},
  {"accept-ignores-code", MILTER_STATUS_ACCEPT, HELO, 0, "550 no", MILTER_REPLY_ACCEPT},
  {"reject", MILTER_STATUS_REJECT, HELO, 0, NULL, MILTER_REPLY_REJECT},
  {"reject-5xx-code", MILTER_STATUS_REJECT, HELO, 0, "550 5.7.1 no", MILTER_REPLY_REPLY_CODE},
  {"reject-4xx-code-not-sent", MILTER_STATUS_REJECT, HELO, 0, "451 later", MILTER_REPLY_REJECT},
  {"temporary-failure", MILTER_STATUS_TEMPORARY_FAILURE, HELO, 0, NULL,
   MILTER_REPLY_TEMPORARY_FAILURE},
  {"temporary-failure-4xx-code", MILTER_STATUS_TEMPORARY_FAILURE, HELO, 0,
   "451 4.7.1 later", MILTER_REPLY_REPLY_CODE},
  {"temporary-failure-5xx-code-not-sent", MILTER_STATUS_TEMPORARY_FAILURE, HELO,
   0, "550 no", MILTER_REPLY_TEMPORARY_FAILURE},
  {"error-is-temporary-failure", MILTER_STATUS_ERROR, HELO, 0, NULL,
   MILTER_REPLY_TEMPORARY_FAILURE},
  {"error-4xx-code", MILTER_STATUS_ERROR, HELO, 0, "421 bye", MILTER_REPLY_REPLY_CODE},
  {"error-5xx-code-not-sent", MILTER_STATUS_ERROR, HELO, 0, "554 no",
   MILTER_REPLY_TEMPORARY_FAILURE},
  {"discard", MILTER_STATUS_DISCARD, BODY, 0, NULL, MILTER_REPLY_DISCARD},
  {"discard-ignores-code", MILTER_STATUS_DISCARD, HELO, 0, "550 no", MILTER_REPLY_DISCARD},
  {"skip-at-body", MILTER_STATUS_SKIP, BODY, SKIP, NULL, MILTER_REPLY_SKIP},
  {"skip-not-negotiated", MILTER_STATUS_SKIP, BODY, 0, NULL, MILTER_REPLY_CONTINUE},
  {"skip-not-at-body", MILTER_STATUS_SKIP, HELO, SKIP, NULL, MILTER_REPLY_CONTINUE},
  {"continue", MILTER_STATUS_CONTINUE, HELO, 0, NULL, MILTER_REPLY_CONTINUE},
  {"continue-ignores-code", MILTER_STATUS_CONTINUE, HELO, 0, "550 no", MILTER_REPLY_CONTINUE},
  {"default", MILTER_STATUS_DEFAULT, HELO, 0, NULL, MILTER_REPLY_CONTINUE},
  {"not-change", MILTER_STATUS_NOT_CHANGE, HELO, 0, NULL, MILTER_REPLY_CONTINUE},
  {"progress", MILTER_STATUS_PROGRESS, BODY, SKIP, NULL, MILTER_REPLY_CONTINUE},
  {"code-without-number", MILTER_STATUS_REJECT, HELO, 0, "no", MILTER_REPLY_REJECT},
};

static void
test_reply_type (gconstpointer data)
{
  const ReplyCase *c = data;

  g_assert_cmpint (milter_status_reply_type (c->status, c->command, c->steps,
                                             c->reply_code), ==, c->expected);
}

/* The encoder appends exactly the packet the rule chose. */
static void
test_encode (gconstpointer data)
{
  const ReplyCase *c = data;
  g_autoptr (GByteArray) actual = g_byte_array_new ();
  g_autoptr (GByteArray) expected = g_byte_array_new ();

  g_byte_array_append (actual, (const guint8 *) "x", 1);
  g_byte_array_append (expected, (const guint8 *) "x", 1);
  milter_reply_encode_status (actual, c->status, c->command, c->steps,
                              c->reply_code);
  if (c->expected == MILTER_REPLY_REPLY_CODE) {
    milter_reply_encode_reply_code (expected, c->reply_code);
  } else {
    MilterReply reply = {.type = c->expected};

    milter_reply_encode (expected, &reply);
  }
  g_assert_cmpmem (actual->data, actual->len, expected->data, expected->len);
}

typedef struct {
  const gchar *text;
  MilterStatus expected;
} TextCase;

static const TextCase text_cases[] = {
  {"451 4.7.1 later", MILTER_STATUS_TEMPORARY_FAILURE},
  {"421", MILTER_STATUS_TEMPORARY_FAILURE},
  {"550 5.7.1 no", MILTER_STATUS_REJECT},
  {"5", MILTER_STATUS_REJECT},
  {"250 ok", MILTER_STATUS_ERROR},
  {"", MILTER_STATUS_ERROR},
  {NULL, MILTER_STATUS_ERROR},
};

static void
test_from_reply_text (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (text_cases); i++)
    g_assert_cmpint (milter_status_from_reply_text (text_cases[i].text), ==,
                     text_cases[i].expected);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (reply_cases); i++) {
    g_autofree gchar *type_path =
      g_strdup_printf ("/core/status-reply/type/%s", reply_cases[i].name);
    g_autofree gchar *encode_path =
      g_strdup_printf ("/core/status-reply/encode/%s", reply_cases[i].name);

    g_test_add_data_func (type_path, &reply_cases[i], test_reply_type);
    g_test_add_data_func (encode_path, &reply_cases[i], test_encode);
  }
  g_test_add_func ("/core/status-reply/from-reply-text", test_from_reply_text);
  return g_test_run ();
}

/*
 * test-client-context-modifications - the end-of-message edits, driven by a scripted MTA
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-command-encoder.h>
#include <milter/client/milter-client-context.h>

#include "../lib/milter-test-log.h"
#include "client-test-mta.h"
#include "client-test-session.h"

/* For the write-failure tests: the calls after the failure fail too. */
static MilterStatus
modify_all_unchecked (MilterClientContext *context, gconstpointer chunk,
                      guint64 size, gpointer user_data)
{
  static guint8 body[150000];

  (void) chunk;
  (void) size;
  (void) user_data;
  milter_client_context_add_header (context, "X-Add", "1", NULL);
  milter_client_context_change_from (context, "<new@example>", "SIZE=1", NULL);
  milter_client_context_add_recipient (context, "<r1@example>", NULL, NULL);
  milter_client_context_replace_body (context, body, sizeof (body), NULL);
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
modify_all (MilterClientContext *context, gconstpointer chunk, guint64 size,
            gpointer user_data)
{
  guint8 *body = g_malloc (150000);

  (void) chunk;
  (void) size;
  (void) user_data;
  memset (body, 'x', 150000);
  g_assert_true (milter_client_context_add_header (context, "X-Add", "1", NULL));
  g_assert_true (milter_client_context_insert_header (context, 0, "X-Ins", "2",
                                                      NULL));
  g_assert_true (milter_client_context_change_header (context, "Subject", 1,
                                                      "new", NULL));
  g_assert_true (milter_client_context_delete_header (context, "X-Old", 1,
                                                      NULL));
  g_assert_true (milter_client_context_change_from (context, "<new@example>",
                                                    "SIZE=1", NULL));
  g_assert_true (milter_client_context_add_recipient (context, "<r1@example>",
                                                      NULL, NULL));
  g_assert_true (milter_client_context_add_recipient (context, "<r2@example>",
                                                      "NOTIFY=NEVER", NULL));
  g_assert_true (milter_client_context_delete_recipient (context,
                                                         "<bob@example.net>",
                                                         NULL));
  g_assert_true (milter_client_context_replace_body (context, body, 150000,
                                                     NULL));
  g_assert_true (milter_client_context_quarantine (context, "suspicious",
                                                   NULL));
  g_free (body);
  return MILTER_STATUS_CONTINUE;
}

/* What modify_all's end-of-message sends, in order. */
static const gchar *const modify_all_replies[] = {
  "add-header", "insert-header index=0", "change-header index=1",
  "change-header index=1", "change-from",
  "add-recipient recipient=\"<r1@example>\"",
  "add-recipient-with-arguments", "delete-recipient", "replace-body size=65535",
  "replace-body size=65535", "replace-body size=18930", "quarantine",
  "continue",
};

/* Runs a session whose end-of-message calls modify_all, waits for all
 * its replies and returns how many write(2) calls they took. */
static guint64
run_modify_all (Fixture *f)
{
  MilterWriter *writer;
  guint64 n_syscalls;

  request_option (f, MILTER_ACTION_ALL, 0);
  g_signal_connect (f->context, "end-of-message", G_CALLBACK (modify_all), f);
  start_session (f);
  writer = milter_agent_get_writer (MILTER_AGENT (f->context));
  n_syscalls = milter_writer_get_n_syscalls (writer);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  pump (f, 4 + G_N_ELEMENTS (modify_all_replies));
  return milter_writer_get_n_syscalls (writer) - n_syscalls;
}

static void
test_modifications (Fixture *f, gconstpointer data)
{
  guint64 n_writes;

  (void) data;
  n_writes = run_modify_all (f);
  for (guint i = 0; i < G_N_ELEMENTS (modify_all_replies); i++)
    assert_reply (f, 4 + i, modify_all_replies[i]);
  /* The whole group in one write (the socket pair takes 200 KB at once). */
  g_assert_cmpuint (n_writes, ==, 1);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_STATISTICS, SESSION,
                             "[reply][end-of-message][quarantine]");
}

static MilterStatus
modify_too_early (MilterClientContext *context, const gchar *fqdn,
                  gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  (void) fqdn;
  (void) user_data;
  g_assert_false (milter_client_context_add_header (context, "X", "1", &error));
  g_assert_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                  MILTER_CLIENT_CONTEXT_ERROR_INVALID_STATE);
  return MILTER_STATUS_CONTINUE;
}

static MilterStatus
modify_not_negotiated (MilterClientContext *context, gconstpointer chunk,
                       guint64 size, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  (void) chunk;
  (void) size;
  (void) user_data;
  g_assert_false (milter_client_context_change_from (context, "<a@b>", NULL,
                                                     &error));
  g_assert_error (error, MILTER_CLIENT_CONTEXT_ERROR,
                  MILTER_CLIENT_CONTEXT_ERROR_NOT_NEGOTIATED);
  g_assert_true (milter_client_context_add_header (context, "X", "1", NULL));
  return MILTER_STATUS_CONTINUE;
}

static void
test_modification_rules (Fixture *f, gconstpointer data)
{
  (void) data;
  request_option (f, MILTER_ACTION_ADD_HEADERS, 0);
  g_signal_connect (f->context, "helo", G_CALLBACK (modify_too_early), f);
  g_signal_connect (f->context, "end-of-message",
                    G_CALLBACK (modify_not_negotiated), f);
  encode_session_start (f);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  pump (f, 6);
  assert_reply (f, 4, "add-header");
  assert_reply (f, 5, "continue");
}

/* The peer goes away while end-of-message writes its modifications:
 * where the write fails depends on the packet buffer. */
typedef struct {
  gsize packet_buffer_size;     /* 0: the default */
  const gchar *logged;
} ModifyErrorCase;

static const ModifyErrorCase end_of_message_flush_error = {
  0, "[client][error][reply-on-end-of-message][flush]",
};
static const ModifyErrorCase buffered_packets_error = {
  100, "[client][error][buffered-packets][write]",
};

static void
test_modify_error (Fixture *f, gconstpointer data)
{
  const ModifyErrorCase *test_case = data;

  if (test_case->packet_buffer_size > 0)
    milter_client_context_set_packet_buffer_size (f->context,
                                                  test_case->packet_buffer_size);
  request_option (f, MILTER_ACTION_ALL, 0);
  g_signal_connect (f->context, "end-of-message",
                    G_CALLBACK (modify_all_unchecked), f);
  start_session (f);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  close_peer_and_wait (f);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, SESSION,
                             test_case->logged);
}

static void
test_packet_buffer_size (Fixture *f, gconstpointer data)
{
  guint64 n_writes;

  (void) data;
  milter_client_context_set_packet_buffer_size (f->context, 1000);
  n_writes = run_modify_all (f);
  assert_reply (f, 16, "continue");
  /* Written as the queue passed 1000 bytes: the body chunks went early. */
  g_assert_cmpuint (n_writes, >, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD_DATA CONTEXT_TEST_ADD
#define ADD(path, func) CONTEXT_TEST_ADD (path, NULL, func)
  ADD ("modifications/all-in-one-write", test_modifications);
  ADD ("modifications/rules", test_modification_rules);
  ADD ("modifications/packet-buffer-size", test_packet_buffer_size);
  ADD_DATA ("error/end-of-message-flush", &end_of_message_flush_error,
            test_modify_error);
  ADD_DATA ("error/buffered-packets", &buffered_packets_error,
            test_modify_error);
#undef ADD_DATA
#undef ADD
  return g_test_run ();
}

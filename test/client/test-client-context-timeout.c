/*
 * test-client-context-timeout - a silent or stalled MTA's session is closed
 */
#include "config.h"

#include <glib.h>

#include <milter/core/milter-command-encoder.h>
#include <milter/client/milter-client-context.h>

#include "../lib/milter-test-log.h"
#include "client-test-mta.h"
#include "client-test-session.h"

/* Short enough for a quick test, long enough for a loaded machine to
 * pump a reply well within it. */
#define SHORT_TIMEOUT 0.3

static void
test_default (Fixture *f, gconstpointer data)
{
  (void) data;
  g_assert_cmpfloat (milter_client_context_get_timeout (f->context), ==,
                     7210.0);
}

/* Runs the loop for seconds (the MTA side reads what comes). */
static void
run_for (Fixture *f, gdouble seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!f->finished && g_get_monotonic_time () < end)
    client_test_mta_pump (f->mta, f->loop, G_MAXUINT, 10);
}

static void
test_idle_closed (Fixture *f, gconstpointer data)
{
  (void) data;
  milter_client_context_set_timeout (f->context, SHORT_TIMEOUT);
  negotiate (f);
  pump (f, 1);
  wait_finished (f);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, SESSION,
                             "[client][error][timeout]");
}

/* An MTA that keeps talking keeps its session, however long in all. */
static void
test_activity_keeps_session (Fixture *f, gconstpointer data)
{
  (void) data;
  milter_client_context_set_timeout (f->context, SHORT_TIMEOUT);
  start_session (f);
  for (guint i = 0; i < 6; i++) {
    run_for (f, SHORT_TIMEOUT / 3);
    milter_command_encode_envelope_recipient (out (f), "<r@example>", NULL);
    pump (f, 5 + i);
  }
  g_assert_false (f->finished);
  wait_finished (f);
}

static void
test_zero_disables (Fixture *f, gconstpointer data)
{
  (void) data;
  milter_client_context_set_timeout (f->context, SHORT_TIMEOUT);
  milter_client_context_set_timeout (f->context, 0);
  negotiate (f);
  pump (f, 1);
  run_for (f, SHORT_TIMEOUT * 2);
  g_assert_false (f->finished);
}

/* While the milter's own code works on a deferred reply, the MTA waits
 * for us: that is not idleness. */
static gboolean
reply_late (gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_true (milter_client_context_reply_to_event (f->context,
                                                       f->deferred_id,
                                                       MILTER_STATUS_ACCEPT,
                                                       NULL));
  return G_SOURCE_REMOVE;
}

static void
test_deferred_reply_not_idle (Fixture *f, gconstpointer data)
{
  (void) data;
  milter_client_context_set_timeout (f->context, SHORT_TIMEOUT);
  send_deferred_end_of_message (f);
  wait_deferred (f, 0);
  milter_event_loop_add_timeout (f->loop, SHORT_TIMEOUT * 2, reply_late, f,
                                 NULL);
  expect_reply (f, 4, "accept");
  g_assert_false (f->finished);
}

/* The MTA stops reading: a reply larger than the socket buffers stays
 * pending in the writer, and the session is closed. */
static MilterStatus
replace_huge_body (MilterClientContext *context, gconstpointer chunk,
                   guint64 size, gpointer user_data)
{
  const gsize body_size = 8 * 1024 * 1024;
  g_autofree guint8 *body = g_malloc0 (body_size);

  (void) chunk;
  (void) size;
  (void) user_data;
  g_assert_true (milter_client_context_replace_body (context, body, body_size,
                                                     NULL));
  return MILTER_STATUS_ACCEPT;
}

static void
test_stalled_write_closed (Fixture *f, gconstpointer data)
{
  gint64 deadline;

  (void) data;
  request_option (f, MILTER_ACTION_CHANGE_BODY, 0);
  g_signal_connect (f->context, "end-of-message",
                    G_CALLBACK (replace_huge_body), f);
  start_session (f);
  milter_client_context_set_timeout (f->context, SHORT_TIMEOUT);
  milter_command_encode_end_of_message (out (f), NULL, 0);
  /* Send the command, then read nothing more. */
  client_test_mta_pump (f->mta, NULL, 0, 50);
  deadline = g_get_monotonic_time () + TIMEOUT * 1000;
  while (!f->finished && g_get_monotonic_time () < deadline)
    milter_event_loop_iterate (f->loop, TRUE);
  g_assert_true (f->finished);
  milter_test_assert_logged (f->capture, MILTER_LOG_LEVEL_ERROR, SESSION,
                             "[agent][error][writer] timed out writing");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/client/context/timeout/" path, Fixture, NULL, setup, func, \
              teardown)
  ADD ("default", test_default);
  ADD ("idle-closed", test_idle_closed);
  ADD ("activity-keeps-session", test_activity_keeps_session);
  ADD ("zero-disables", test_zero_disables);
  ADD ("deferred-reply-not-idle", test_deferred_reply_not_idle);
  ADD ("stalled-write-closed", test_stalled_write_closed);
#undef ADD
  return g_test_run ();
}

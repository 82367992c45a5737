/*
 * client-test-session - a client context on a socket pair, driven by a scripted MTA
 *
 * SYNOPSIS
 *   #include "client-test-session.h"
 *
 *   g_test_add (path, Fixture, data, setup, test_func, teardown);
 *   start_recorded_session (f);         (negotiate .. envelope-from)
 *   milter_command_encode_data (out (f));
 *   expect_reply (f, 4, "continue");
 *
 * DESCRIPTION
 *   The fixture shared by the client context tests: setup() connects a
 *   context (session id SESSION, GLib loop) to a ClientTestMta; the test
 *   appends commands to out (f) and pumps. connect_all() records every
 *   event in f->events ("helo NAME;", "abort;", "close;" ...); the knobs
 *   in Fixture choose what the recording handlers answer.
 *
 * DIAGNOSTICS
 *   The helpers assert; a failing one dumps the replies so far.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-event-loop.h>
#include <milter/client/milter-client-context.h>

#include "../lib/milter-test-log.h"
#include "client-test-mta.h"

G_BEGIN_DECLS

/* The context's session id; the bound of every wait (ms). */
#define SESSION 42
#define TIMEOUT 5000

/* Registers a test on the fixture, under /client/context/. */
#define CONTEXT_TEST_ADD(path, data, func) \
  g_test_add ("/client/context/" path, Fixture, data, setup, func, teardown)

typedef struct {
  MilterEventLoop *loop;
  MilterClientContext *context;
  ClientTestMta *mta;
  MilterTestLogCapture *capture;
  gboolean finished;
  GString *events;
  /* Per-test knobs. */
  MilterStepFlags steps;
  MilterActionFlags actions;
  MilterStatus status_at_rcpt;
  MilterStatus status_at_header;
  gboolean defer_eom;
  gboolean defer_from;
  /* The event id of the last deferred event. */
  guint64 deferred_id;
  gboolean skip_body;
} Fixture;

void setup (Fixture *f, gconstpointer data);
void teardown (Fixture *f, gconstpointer data);
GByteArray *out (Fixture *f);
void pump (Fixture *f, guint n_replies);
void assert_reply (Fixture *f, guint index, const gchar *prefix);
void wait_finished (Fixture *f);
void assert_protocol_error (Fixture *f, guint n_replies, guint timeout_ms);
void negotiate (Fixture *f);
/* The milter's negotiate handler asks for these (and two macro lists). */
void request_option (Fixture *f, MilterActionFlags actions,
                     MilterStepFlags steps);
void connect_all (Fixture *f);
void encode_session_start (Fixture *f);
void start_session (Fixture *f);
void start_recorded_session (Fixture *f);
void expect_reply (Fixture *f, guint index, const gchar *prefix);
void expect_recipient_reply (Fixture *f, guint index, const gchar *address,
                             const gchar *prefix);
void send_deferred_end_of_message (Fixture *f);
void wait_deferred (Fixture *f, guint64 old_id);
void close_peer_and_wait (Fixture *f);

G_END_DECLS

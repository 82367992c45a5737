/*
 * server-test-fake - a scripted fake milter and a runner for the server tests
 *
 * SYNOPSIS
 *   ServerTestFake *server_test_fake_new (void);
 *   void server_test_fake_add (fake, kind, command, bytes, count);
 *   void server_test_fake_expect (fake, command);
 *   GByteArray *server_test_fake_send_buffer (fake);   (append with encoders)
 *   void server_test_fake_negotiate (fake, version, actions, steps);
 *   void server_test_fake_negotiate_with_lists (fake, steps, lists, n_lists);
 *   void server_test_fake_answer (fake, command, reply);
 *   void server_test_fake_answers (fake, "Cc Hc Ea");
 *   void server_test_fake_expect_quit (fake);
 *   void server_test_fake_start (fake);
 *   void server_test_fake_join (fake);
 *   void server_test_fake_free (fake);
 *
 *   void server_test_runner_init (runner, backend, spec, plan);
 *   void server_test_runner_run (runner);
 *   void server_test_runner_clear (runner);
 *   guint64 server_test_runner_session (runner);
 *
 *   void server_test_add_both (name, func);
 *   void server_test_add_both_data (name, data, func);
 *
 * DESCRIPTION
 *   The fake milter is a thread with blocking I/O on a unix socket that
 *   follows a script: expect a command, send prepared reply bytes, close,
 *   hang. It records the commands it received, body and end-of-message
 *   payload sizes, define-macro packets and header packets.
 *
 *   The runner drives a server context through a plan of events, one per
 *   "continue" (O C H M R T U L N B E A Q K; e: end-of-message carrying
 *   the body), and records every signal in runner->events.
 *
 *   server_test_add_both() registers a test once per event loop backend
 *   ("glib", "libev") as /server/context/BACKEND/NAME with the backend name
 *   as data; server_test_add_both_data() passes a ServerTestParam holding
 *   the backend and a case instead, so a table's cases each get their own
 *   path.
 *
 * DIAGNOSTICS
 *   Setup failures and a run past GUARD seconds fail the test (g_assert).
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-option.h>
#include <milter/core/milter-reply-encoder.h>
#include <milter/server/milter-server-context.h>

G_BEGIN_DECLS

#define SERVER_TEST_NAME "fake-milter"

typedef enum {
  SERVER_TEST_STEP_EXPECT,      /* read packets until one with this command */
  SERVER_TEST_STEP_SEND,        /* write bytes */
  SERVER_TEST_STEP_CLOSE,       /* close the connection */
  SERVER_TEST_STEP_SHUT_READ,   /* shutdown(SHUT_RD): our writes then fail */
  SERVER_TEST_STEP_DRAIN,       /* read and drop until end of input (a hang) */
  SERVER_TEST_STEP_SLEEP,       /* milliseconds */
  SERVER_TEST_STEP_READ_BYTES   /* read this many bytes, whatever they are */
} ServerTestStepKind;

typedef struct {
  gchar *spec;         /* where the context connects */
  GThread *thread;
  GString *commands;   /* command bytes received, in order */
  gsize body_bytes;    /* body payload received */
  gsize eom_bytes;     /* end-of-message payload received */
  GString *macros;     /* define-macro packets: "C j=v _=w;" per packet */
  GString *headers;    /* header packets: "Name=<value>;" per packet */
  /* private */
  gchar *dir;
  gchar *path;
  gint listen_fd;
  GArray *steps;
} ServerTestFake;

ServerTestFake *server_test_fake_new (void);
void server_test_fake_add (ServerTestFake *fake, ServerTestStepKind kind,
                           guint8 command, GByteArray *bytes, gsize count);
void server_test_fake_expect (ServerTestFake *fake, guint8 command);
GByteArray *server_test_fake_send_buffer (ServerTestFake *fake);
void server_test_fake_negotiate (ServerTestFake *fake, guint32 version,
                                 MilterActionFlags actions,
                                 MilterStepFlags steps);
void server_test_fake_negotiate_with_lists (ServerTestFake *fake,
                                            MilterStepFlags steps,
                                            const MilterReplyMacroList *lists,
                                            gsize n_lists);
void server_test_fake_answer (ServerTestFake *fake, guint8 command,
                              guint8 reply);
void server_test_fake_answers (ServerTestFake *fake, const gchar *pairs);
void server_test_fake_expect_quit (ServerTestFake *fake);
void server_test_fake_start (ServerTestFake *fake);
void server_test_fake_join (ServerTestFake *fake);
void server_test_fake_free (ServerTestFake *fake);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ServerTestFake, server_test_fake_free)

typedef struct {
  MilterEventLoop *loop;
  MilterServerContext *context;
  const gchar *plan;
  guint next;
  GString *events;
  GError *error;
  gboolean finished;
  const guint8 *body;
  gsize body_size;
  MilterOption offer;
  gboolean stop_after_verdict;   /* a verdict jumps to the plan's quit */
} ServerTestRunner;

void server_test_runner_init (ServerTestRunner *runner, const gchar *backend,
                              const gchar *spec, const gchar *plan);
void server_test_runner_run (ServerTestRunner *runner);
void server_test_runner_clear (ServerTestRunner *runner);
guint64 server_test_runner_session (ServerTestRunner *runner);

typedef struct {
  const gchar *backend;
  gconstpointer data;
} ServerTestParam;

void server_test_add_both (const gchar *name, GTestDataFunc func);
void server_test_add_both_data (const gchar *name, gconstpointer data,
                                GTestDataFunc func);

G_END_DECLS

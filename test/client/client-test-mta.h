/*
 * client-test-mta - a scripted MTA side for the client tests
 *
 * SYNOPSIS
 *   ClientTestMta *client_test_mta_new (gint fd);
 *   ClientTestMta *client_test_mta_connect (const gchar *spec, GError **error);
 *   GByteArray *client_test_mta_output (mta);   (append with the encoders)
 *   gboolean client_test_mta_pump (mta, loop, n_replies, timeout_ms);
 *   const gchar *client_test_mta_reply (mta, index);
 *   void client_test_mta_close (mta);
 *   void client_test_mta_free (mta);
 *
 * DESCRIPTION
 *   The test appends command packets to the output buffer; pump() writes
 *   them and reads replies until n_replies have arrived in all, the peer
 *   closed, or timeout_ms passed. With a loop, pump() also iterates that
 *   loop without blocking, so one thread can be both MTA and milter; with
 *   NULL it only polls its descriptor (for an MTA in a thread of its own).
 *   Replies are kept as milter_reply_to_string() lines.
 *
 * DIAGNOSTICS
 *   pump() returns FALSE on timeout or a decode error.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-event-loop.h>

G_BEGIN_DECLS

typedef struct _ClientTestMta ClientTestMta;

ClientTestMta *client_test_mta_new (gint fd);
ClientTestMta *client_test_mta_connect (const gchar *spec, GError **error);
GByteArray *client_test_mta_output (ClientTestMta *mta);
gboolean client_test_mta_pump (ClientTestMta *mta,
                               MilterEventLoop *loop,
                               guint n_replies,
                               guint timeout_ms);
guint client_test_mta_n_replies (ClientTestMta *mta);
const gchar *client_test_mta_reply (ClientTestMta *mta, guint index);
/* All replies joined by "\n". */
gchar *client_test_mta_dump (ClientTestMta *mta);
gboolean client_test_mta_is_closed (ClientTestMta *mta);
gint client_test_mta_get_fd (ClientTestMta *mta);
void client_test_mta_close (ClientTestMta *mta);
void client_test_mta_free (ClientTestMta *mta);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClientTestMta, client_test_mta_free)

G_END_DECLS

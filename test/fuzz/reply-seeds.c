/*
 * reply-seeds - seed inputs for fuzz-reply-decoder
 *
 * SYNOPSIS
 *   void milter_fuzz_write_reply_seeds (const gchar *directory);
 *
 * DESCRIPTION
 *   Writes one file per reply kind into directory, named reply-NAME.bin,
 *   each holding valid packets built with milter-reply-encoder, so that a
 *   fuzzer starts from every branch of the reply decoder. One more seed,
 *   reply-group.bin, holds the replies of a typical end-of-message.
 *
 * DIAGNOSTICS
 *   A file that cannot be written is reported with g_warning() and
 *   skipped; the directory is created if missing.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply.h>
#include <milter/core/milter-reply-encoder.h>

#include "test/fuzz/fuzz-seeds.h"

static void
write_seed (const gchar *directory, const gchar *name, GByteArray *buffer)
{
  g_autofree gchar *file_name = g_strdup_printf ("reply-%s.bin", name);

  milter_fuzz_write_seed (directory, file_name, buffer);
}

void
milter_fuzz_write_reply_seeds (const gchar *directory)
{
  static const MilterReplyMacroList macro_lists[] = {
    {MILTER_MACRO_STAGE_CONNECT, "j {daemon_name} {daemon_addr} v _"},
    {MILTER_MACRO_STAGE_ENVELOPE_FROM, "i {auth_type} {mail_addr}"},
    {MILTER_MACRO_STAGE_ENVELOPE_RECIPIENT, "i {rcpt_addr}"},
    {MILTER_MACRO_STAGE_END_OF_HEADER, "i"},
  };
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  g_autofree guint8 *body = g_malloc (MILTER_CHUNK_SIZE + 100);
  gsize i;

  if (g_mkdir_with_parents (directory, 0755) != 0)
    g_warning ("cannot create fuzz seed directory %s", directory);
  for (i = 0; i < MILTER_CHUNK_SIZE + 100; i++)
    body[i] = (guint8) ("body line\r\n"[i % 11]);

  milter_reply_encode_negotiate (buffer, 2, MILTER_ACTION_VERSION2_DEFAULT,
                                         MILTER_STEP_VERSION2_DEFAULT, NULL, 0);
  write_seed (directory, "negotiate-v2", buffer);
  milter_reply_encode_negotiate (buffer, 6, MILTER_ACTION_ALL,
                                         MILTER_STEP_SKIP, macro_lists,
                                         G_N_ELEMENTS (macro_lists));
  write_seed (directory, "negotiate-v6", buffer);
  milter_reply_encode_continue (buffer);
  write_seed (directory, "continue", buffer);
  milter_reply_encode_accept (buffer);
  write_seed (directory, "accept", buffer);
  milter_reply_encode_reject (buffer);
  write_seed (directory, "reject", buffer);
  milter_reply_encode_temporary_failure (buffer);
  write_seed (directory, "temporary-failure", buffer);
  milter_reply_encode_discard (buffer);
  write_seed (directory, "discard", buffer);
  milter_reply_encode_skip (buffer);
  write_seed (directory, "skip", buffer);
  milter_reply_encode_progress (buffer);
  write_seed (directory, "progress", buffer);
  milter_reply_encode_shutdown (buffer);
  write_seed (directory, "shutdown", buffer);
  milter_reply_encode_connection_failure (buffer);
  write_seed (directory, "connection-failure", buffer);
  milter_reply_encode_reply_code (buffer, "550 5.7.1 Rejected");
  milter_reply_encode_reply_code (buffer,
                                          "451-4.7.1 Greylisted\r\n"
                                          "451 4.7.1 Try again later");
  write_seed (directory, "reply-code", buffer);
  milter_reply_encode_add_header (buffer, "X-Spam-Flag", "YES");
  write_seed (directory, "add-header", buffer);
  milter_reply_encode_insert_header (buffer, 0, "Received", "by milter");
  write_seed (directory, "insert-header", buffer);
  milter_reply_encode_change_header (buffer, 1, "Subject", "[SPAM] hi");
  milter_reply_encode_delete_header (buffer, 2, "X-Old");
  write_seed (directory, "change-header", buffer);
  milter_reply_encode_add_recipient (buffer, "<a@example.org>", NULL);
  write_seed (directory, "add-recipient", buffer);
  milter_reply_encode_add_recipient (buffer, "<b@example.org>",
                                             "NOTIFY=NEVER");
  write_seed (directory, "add-recipient-with-args", buffer);
  milter_reply_encode_delete_recipient (buffer, "<c@example.org>");
  write_seed (directory, "delete-recipient", buffer);
  milter_reply_encode_change_from (buffer, "<s@example.org>", NULL);
  milter_reply_encode_change_from (buffer, "<s@example.org>", "SIZE=100");
  write_seed (directory, "change-from", buffer);
  milter_reply_encode_replace_body (buffer, body, MILTER_CHUNK_SIZE + 100);
  write_seed (directory, "replace-body", buffer);
  milter_reply_encode_quarantine (buffer, "virus found");
  write_seed (directory, "quarantine", buffer);

  milter_reply_encode_progress (buffer);
  milter_reply_encode_add_header (buffer, "X-Virus", "clean");
  milter_reply_encode_replace_body (buffer, body, 100);
  milter_reply_encode_continue (buffer);
  write_seed (directory, "group", buffer);
}

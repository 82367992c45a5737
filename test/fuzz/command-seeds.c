/*
 * command-seeds - seed corpus for fuzz-command-decoder
 *
 * SYNOPSIS
 *   void milter_fuzz_write_command_seeds (const gchar *directory);
 *
 * DESCRIPTION
 *   Writes one file per command kind into directory (which must exist),
 *   named command-<kind>, each holding a few valid packets built with the
 *   command encoder, plus command-session with a whole SMTP session. The
 *   fuzzer starts from valid framing and mutates fields from there, which
 *   reaches the payload checks far sooner than random bytes do.
 *
 * DIAGNOSTICS
 *   A file that cannot be written is reported with g_warning and skipped.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-command-encoder.h>

#include "test/fuzz/fuzz-seeds.h"

static void
write_seed (const gchar *directory, const gchar *kind, GByteArray *packets)
{
  g_autofree gchar *file_name = g_strdup_printf ("command-%s", kind);

  milter_fuzz_write_seed (directory, file_name, packets);
}

static void
encode_macros (GByteArray *out)
{
  static const gchar *const connect_names[] = {"j", "{daemon_name}", "{daemon_addr}", "v", "_"};
  static const gchar *const connect_values[] = {
    "mx.example.org", "mx.example.org", "192.0.2.25", "Postfix 3.7.11",
    "client.example.com [198.51.100.7]"};
  static const gchar *const from_names[] = {"i", "{auth_type}", "{mail_addr}"};
  static const gchar *const from_values[] = {"4Q1Zxy2kLmz9", "PLAIN", "a@example.org"};
  static const gchar *const eom_names[] = {"i"};
  static const gchar *const eom_values[] = {"4Q1Zxy2kLmz9"};

  milter_command_encode_define_macro (out, MILTER_COMMAND_CONNECT, connect_names,
                                      connect_values, G_N_ELEMENTS (connect_names));
  milter_command_encode_define_macro (out, MILTER_COMMAND_ENVELOPE_FROM, from_names,
                                      from_values, G_N_ELEMENTS (from_names));
  milter_command_encode_define_macro (out, MILTER_COMMAND_END_OF_MESSAGE, eom_names,
                                      eom_values, G_N_ELEMENTS (eom_names));
  milter_command_encode_define_macro (out, MILTER_COMMAND_DATA, NULL, NULL, 0);
}

static void
encode_connects (GByteArray *out)
{
  milter_command_encode_connect (out, "client.example.com", MILTER_FAMILY_INET, 25,
                                 "198.51.100.7");
  milter_command_encode_connect (out, "v6.example.com", MILTER_FAMILY_INET6, 587,
                                 "IPv6:2001:db8::7");
  milter_command_encode_connect (out, "localhost", MILTER_FAMILY_UNIX, 0,
                                 "/var/run/milter.sock");
  milter_command_encode_connect (out, "unknown", MILTER_FAMILY_UNKNOWN, 0, NULL);
}

void
milter_fuzz_write_command_seeds (const gchar *directory)
{
  static const gchar *const from_args[] = {"SIZE=1024", "BODY=8BITMIME", "AUTH=<>", NULL};
  static const gchar *const rcpt_args[] = {"NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;b@example.net", NULL};
  static const gchar body[] =
    "Hello,\r\n\r\nthis is a test message.\r\n.. a dot-stuffed line\r\n";
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *big = g_malloc (MILTER_CHUNK_SIZE);
  gsize i;

  g_return_if_fail (directory != NULL);

  for (i = 0; i < MILTER_CHUNK_SIZE; i++)
    big[i] = (i % 78 == 76) ? '\r' : (i % 78 == 77) ? '\n' : (guint8) ('a' + i % 26);

  milter_command_encode_negotiate (out, 6, MILTER_ACTION_ALL, MILTER_STEP_ALL);
  milter_command_encode_negotiate (out, 2, MILTER_ACTION_NONE, MILTER_STEP_NONE);
  milter_command_encode_negotiate (out, 6, MILTER_ACTION_ALL,
                                   MILTER_STEP_ALL | MILTER_STEP_MAX_DATA_SIZE_1M);
  write_seed (directory, "negotiate", out);

  encode_macros (out);
  write_seed (directory, "define-macro", out);

  encode_connects (out);
  write_seed (directory, "connect", out);

  milter_command_encode_helo (out, "client.example.com");
  milter_command_encode_helo (out, "[198.51.100.7]");
  milter_command_encode_helo (out, "");
  write_seed (directory, "helo", out);

  milter_command_encode_envelope_from (out, "<a@example.org>", from_args);
  milter_command_encode_envelope_from (out, "<>", NULL);
  write_seed (directory, "envelope-from", out);

  milter_command_encode_envelope_recipient (out, "<b@example.net>", rcpt_args);
  milter_command_encode_envelope_recipient (out, "<postmaster>", NULL);
  write_seed (directory, "envelope-recipient", out);

  milter_command_encode_data (out);
  milter_command_encode_data (out);
  write_seed (directory, "data", out);

  milter_command_encode_header (out, "From", " a@example.org");
  milter_command_encode_header (out, "Subject", "=?UTF-8?B?w6k=?=");
  milter_command_encode_header (out, "X-Empty", "");
  write_seed (directory, "header", out);

  milter_command_encode_end_of_header (out);
  write_seed (directory, "end-of-header", out);

  milter_command_encode_body (out, (const guint8 *) body, strlen (body));
  milter_command_encode_body (out, big, MILTER_CHUNK_SIZE);
  milter_command_encode_body (out, NULL, 0);
  write_seed (directory, "body", out);

  milter_command_encode_end_of_message (out, NULL, 0);
  milter_command_encode_end_of_message (out, (const guint8 *) body, strlen (body));
  write_seed (directory, "end-of-message", out);

  milter_command_encode_unknown (out, "HELP");
  milter_command_encode_unknown (out, "XCLIENT ADDR=192.0.2.1");
  write_seed (directory, "unknown", out);

  milter_command_encode_abort (out);
  milter_command_encode_quit (out);
  milter_command_encode_quit_new_connection (out);
  write_seed (directory, "abort-quit", out);

  /* A whole session, as Postfix would send it. */
  milter_command_encode_negotiate (out, 6, MILTER_ACTION_ALL, MILTER_STEP_ALL);
  encode_macros (out);
  encode_connects (out);
  milter_command_encode_helo (out, "client.example.com");
  milter_command_encode_envelope_from (out, "<a@example.org>", from_args);
  milter_command_encode_envelope_recipient (out, "<b@example.net>", rcpt_args);
  milter_command_encode_data (out);
  milter_command_encode_header (out, "Subject", " hello");
  milter_command_encode_end_of_header (out);
  milter_command_encode_body (out, (const guint8 *) body, strlen (body));
  milter_command_encode_end_of_message (out, NULL, 0);
  milter_command_encode_abort (out);
  milter_command_encode_quit_new_connection (out);
  milter_command_encode_quit (out);
  write_seed (directory, "session", out);
}

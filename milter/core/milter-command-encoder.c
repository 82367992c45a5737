/*
 * milter-command-encoder - append MTA-to-milter command packets to a buffer
 *
 * SYNOPSIS
 *   void milter_command_encode_helo (GByteArray *out, const gchar *fqdn);
 *   gsize milter_command_encode_body (GByteArray *out, const guint8 *data, gsize size);
 *   ... (see milter-command-encoder.h)
 *
 * DESCRIPTION
 *   Packets are built by the shared packet writer (milter-packet-writer.h):
 *   the payload is measured, the buffer grown once, and the fields copied
 *   straight from the caller's strings into place.
 *
 * DIAGNOSTICS
 *   Only g_return_if_fail on programming errors; nothing is written then.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-protocol.h>
#include <milter/core/milter-command.h>
#include <milter/core/milter-command-encoder.h>
#include <milter/core/milter-packet-writer.h>

void
milter_command_encode_negotiate (GByteArray *out,
                                 guint32 version,
                                 MilterActionFlags actions,
                                 MilterStepFlags steps)
{
  guint8 *p;

  g_return_if_fail (out != NULL);

  p = milter_packet_writer_begin (out, MILTER_COMMAND_NEGOTIATE, 12);
  if (!p)
    return;
  p = milter_packet_put_uint32 (p, version);
  p = milter_packet_put_uint32 (p, (guint32) actions);
  milter_packet_put_uint32 (p, (guint32) steps);
}

void
milter_command_encode_define_macro (GByteArray *out,
                                    guint8 stage_command,
                                    const gchar *const *names,
                                    const gchar *const *values,
                                    guint n)
{
  gsize payload_size = 1;
  guint8 *p;
  guint i;

  g_return_if_fail (out != NULL);
  g_return_if_fail (n == 0 || (names != NULL && values != NULL));
  for (i = 0; i < n; i++) {
    g_return_if_fail (names[i] != NULL && values[i] != NULL);
    payload_size += strlen (names[i]) + 1 + strlen (values[i]) + 1;
  }

  p = milter_packet_writer_begin (out, MILTER_COMMAND_DEFINE_MACRO, payload_size);
  if (!p)
    return;
  *p++ = stage_command;
  for (i = 0; i < n; i++) {
    p = milter_packet_put_string (p, names[i], strlen (names[i]));
    p = milter_packet_put_string (p, values[i], strlen (values[i]));
  }
}

void
milter_command_encode_connect (GByteArray *out,
                               const gchar *host,
                               MilterFamily family,
                               guint16 port,
                               const gchar *address)
{
  gsize host_length, address_length = 0;
  guint8 *p;

  g_return_if_fail (out != NULL);
  g_return_if_fail (host != NULL);
  g_return_if_fail (family == MILTER_FAMILY_UNKNOWN || family == MILTER_FAMILY_UNIX ||
                    family == MILTER_FAMILY_INET || family == MILTER_FAMILY_INET6);
  g_return_if_fail (family == MILTER_FAMILY_UNKNOWN || address != NULL);

  host_length = strlen (host);
  /* Sendmail and Postfix send neither port nor address for 'U'. */
  if (family != MILTER_FAMILY_UNKNOWN)
    address_length = strlen (address);
  p = milter_packet_writer_begin (out, MILTER_COMMAND_CONNECT,
                                  host_length + 2 +
                                  (family != MILTER_FAMILY_UNKNOWN
                                     ? 2 + address_length + 1 : 0));
  if (!p)
    return;
  p = milter_packet_put_string (p, host, host_length);
  *p++ = (guint8) family;
  if (family != MILTER_FAMILY_UNKNOWN) {
    p = milter_packet_put_uint16 (p, port);
    milter_packet_put_string (p, address, address_length);
  }
}

void
milter_command_encode_helo (GByteArray *out, const gchar *fqdn)
{
  milter_packet_writer_strings (out, MILTER_COMMAND_HELO, NULL, fqdn, NULL);
}

void
milter_command_encode_envelope_from (GByteArray *out,
                                     const gchar *address,
                                     const gchar *const *esmtp_args)
{
  milter_packet_writer_strings (out, MILTER_COMMAND_ENVELOPE_FROM, NULL,
                                address, esmtp_args);
}

void
milter_command_encode_envelope_recipient (GByteArray *out,
                                          const gchar *address,
                                          const gchar *const *esmtp_args)
{
  milter_packet_writer_strings (out, MILTER_COMMAND_ENVELOPE_RECIPIENT, NULL,
                                address, esmtp_args);
}

void
milter_command_encode_data (GByteArray *out)
{
  milter_packet_writer_empty (out, MILTER_COMMAND_DATA);
}

void
milter_command_encode_header (GByteArray *out,
                              const gchar *name,
                              const gchar *value)
{
  const gchar *rest[] = {value, NULL};

  g_return_if_fail (out != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);

  milter_packet_writer_strings (out, MILTER_COMMAND_HEADER, NULL, name, rest);
}

void
milter_command_encode_end_of_header (GByteArray *out)
{
  milter_packet_writer_empty (out, MILTER_COMMAND_END_OF_HEADER);
}

gsize
milter_command_encode_body (GByteArray *out, const guint8 *data, gsize size)
{
  gsize taken = MIN (size, (gsize) MILTER_CHUNK_SIZE);
  guint8 *p;

  g_return_val_if_fail (out != NULL, 0);
  g_return_val_if_fail (data != NULL || size == 0, 0);

  p = milter_packet_writer_begin (out, MILTER_COMMAND_BODY, taken);
  if (!p)
    return 0;
  milter_packet_put_bytes (p, data, taken);
  return taken;
}

void
milter_command_encode_end_of_message (GByteArray *out,
                                      const guint8 *data,
                                      gsize size)
{
  guint8 *p;

  g_return_if_fail (out != NULL);
  g_return_if_fail (data != NULL || size == 0);

  p = milter_packet_writer_begin (out, MILTER_COMMAND_END_OF_MESSAGE, size);
  if (p)
    milter_packet_put_bytes (p, data, size);
}

void
milter_command_encode_unknown (GByteArray *out, const gchar *command)
{
  milter_packet_writer_strings (out, MILTER_COMMAND_UNKNOWN, NULL, command, NULL);
}

void
milter_command_encode_abort (GByteArray *out)
{
  milter_packet_writer_empty (out, MILTER_COMMAND_ABORT);
}

void
milter_command_encode_quit (GByteArray *out)
{
  milter_packet_writer_empty (out, MILTER_COMMAND_QUIT);
}

void
milter_command_encode_quit_new_connection (GByteArray *out)
{
  milter_packet_writer_empty (out, MILTER_COMMAND_QUIT_NEW_CONNECTION);
}

void
milter_command_encode (GByteArray *out, const MilterCommand *command)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (command != NULL);

  switch (command->type) {
  case MILTER_COMMAND_NEGOTIATE:
    milter_command_encode_negotiate (out, command->negotiate.version,
                                     command->negotiate.actions,
                                     command->negotiate.steps);
    break;
  case MILTER_COMMAND_DEFINE_MACRO:
    milter_command_encode_define_macro (out, command->define_macro.stage_command,
                                        command->define_macro.names,
                                        command->define_macro.values,
                                        command->define_macro.n_macros);
    break;
  case MILTER_COMMAND_CONNECT:
    milter_command_encode_connect (out, command->connect.host,
                                   command->connect.family,
                                   command->connect.port,
                                   command->connect.address);
    break;
  case MILTER_COMMAND_HELO:
    milter_command_encode_helo (out, command->helo.fqdn);
    break;
  case MILTER_COMMAND_ENVELOPE_FROM:
  case MILTER_COMMAND_ENVELOPE_RECIPIENT:
    g_return_if_fail (command->envelope.argc >= 1 && command->envelope.argv != NULL);
    milter_packet_writer_strings (out, (guint8) command->type, NULL,
                                  command->envelope.argv[0],
                                  command->envelope.argv + 1);
    break;
  case MILTER_COMMAND_HEADER:
    milter_command_encode_header (out, command->header.name, command->header.value);
    break;
  case MILTER_COMMAND_BODY:
    {
      const guint8 *data = command->body.data;
      gsize left = command->body.size;

      gsize taken;

      /* An empty body packet is written back as one, too. */
      do {
        taken = milter_command_encode_body (out, data, left);
        data += taken;
        left -= taken;
      } while (left > 0 && taken > 0);
    }
    break;
  case MILTER_COMMAND_END_OF_MESSAGE:
    milter_command_encode_end_of_message (out, command->body.data, command->body.size);
    break;
  case MILTER_COMMAND_UNKNOWN:
    milter_command_encode_unknown (out, command->unknown.command);
    break;
  default:
    g_return_if_fail (milter_command_type_is_bare ((guint8) command->type));
    milter_packet_writer_empty (out, (guint8) command->type);
    break;
  }
}

/*
 * milter-command-encoder - append MTA-to-milter command packets to a buffer
 *
 * SYNOPSIS
 *   void milter_command_encode_helo (GByteArray *out, const gchar *fqdn);
 *   gsize milter_command_encode_body (GByteArray *out, const guint8 *data, gsize size);
 *   ... (see milter-command-encoder.h)
 *
 * DESCRIPTION
 *   A packet is written in place: a length placeholder and the command
 *   byte first, the fields appended straight from the caller's strings,
 *   then the length is patched. No field is measured twice and nothing is
 *   staged in a temporary buffer.
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

static guint
begin_packet (GByteArray *out, guint8 type)
{
  static const guint8 placeholder[MILTER_PACKET_HEADER_SIZE] = {0, 0, 0, 0};
  guint start = out->len;

  g_byte_array_append (out, placeholder, sizeof (placeholder));
  g_byte_array_append (out, &type, 1);
  return start;
}

static void
end_packet (GByteArray *out, guint start)
{
  guint32 length = out->len - start - MILTER_PACKET_HEADER_SIZE;
  guint8 *p = out->data + start;

  p[0] = (guint8) (length >> 24);
  p[1] = (guint8) (length >> 16);
  p[2] = (guint8) (length >> 8);
  p[3] = (guint8) length;
}

static void
append_uint32 (GByteArray *out, guint32 value)
{
  guint8 bytes[4];

  bytes[0] = (guint8) (value >> 24);
  bytes[1] = (guint8) (value >> 16);
  bytes[2] = (guint8) (value >> 8);
  bytes[3] = (guint8) value;
  g_byte_array_append (out, bytes, sizeof (bytes));
}

static void
append_string (GByteArray *out, const gchar *string)
{
  /* The terminating NUL is part of the field. */
  g_byte_array_append (out, (const guint8 *) string, (guint) strlen (string) + 1);
}

static void
encode_empty (GByteArray *out, guint8 type)
{
  end_packet (out, begin_packet (out, type));
}

static void
encode_strings (GByteArray *out, guint8 type, const gchar *first,
                const gchar *const *rest)
{
  guint start = begin_packet (out, type);
  guint i;

  append_string (out, first);
  for (i = 0; rest && rest[i]; i++)
    append_string (out, rest[i]);
  end_packet (out, start);
}

void
milter_command_encode_negotiate (GByteArray *out,
                                 guint32 version,
                                 MilterActionFlags actions,
                                 MilterStepFlags steps)
{
  guint start;

  g_return_if_fail (out != NULL);

  start = begin_packet (out, MILTER_COMMAND_NEGOTIATE);
  append_uint32 (out, version);
  append_uint32 (out, (guint32) actions);
  append_uint32 (out, (guint32) steps);
  end_packet (out, start);
}

void
milter_command_encode_define_macro (GByteArray *out,
                                    guint8 stage_command,
                                    const gchar *const *names,
                                    const gchar *const *values,
                                    guint n)
{
  guint start, i;

  g_return_if_fail (out != NULL);
  g_return_if_fail (n == 0 || (names != NULL && values != NULL));
  for (i = 0; i < n; i++)
    g_return_if_fail (names[i] != NULL && values[i] != NULL);

  start = begin_packet (out, MILTER_COMMAND_DEFINE_MACRO);
  g_byte_array_append (out, &stage_command, 1);
  for (i = 0; i < n; i++) {
    append_string (out, names[i]);
    append_string (out, values[i]);
  }
  end_packet (out, start);
}

void
milter_command_encode_connect (GByteArray *out,
                               const gchar *host,
                               MilterFamily family,
                               guint16 port,
                               const gchar *address)
{
  guint start;
  guint8 bytes[2];

  g_return_if_fail (out != NULL);
  g_return_if_fail (host != NULL);
  g_return_if_fail (family == MILTER_FAMILY_UNKNOWN || family == MILTER_FAMILY_UNIX ||
                    family == MILTER_FAMILY_INET || family == MILTER_FAMILY_INET6);
  g_return_if_fail (family == MILTER_FAMILY_UNKNOWN || address != NULL);

  start = begin_packet (out, MILTER_COMMAND_CONNECT);
  append_string (out, host);
  bytes[0] = (guint8) family;
  g_byte_array_append (out, bytes, 1);
  if (family != MILTER_FAMILY_UNKNOWN) {
    bytes[0] = (guint8) (port >> 8);
    bytes[1] = (guint8) port;
    g_byte_array_append (out, bytes, 2);
    append_string (out, address);
  }
  end_packet (out, start);
}

void
milter_command_encode_helo (GByteArray *out, const gchar *fqdn)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (fqdn != NULL);

  encode_strings (out, MILTER_COMMAND_HELO, fqdn, NULL);
}

void
milter_command_encode_envelope_from (GByteArray *out,
                                     const gchar *address,
                                     const gchar *const *esmtp_args)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (address != NULL);

  encode_strings (out, MILTER_COMMAND_ENVELOPE_FROM, address, esmtp_args);
}

void
milter_command_encode_envelope_recipient (GByteArray *out,
                                          const gchar *address,
                                          const gchar *const *esmtp_args)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (address != NULL);

  encode_strings (out, MILTER_COMMAND_ENVELOPE_RECIPIENT, address, esmtp_args);
}

void
milter_command_encode_data (GByteArray *out)
{
  g_return_if_fail (out != NULL);

  encode_empty (out, MILTER_COMMAND_DATA);
}

void
milter_command_encode_header (GByteArray *out,
                              const gchar *name,
                              const gchar *value)
{
  guint start;

  g_return_if_fail (out != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);

  start = begin_packet (out, MILTER_COMMAND_HEADER);
  append_string (out, name);
  append_string (out, value);
  end_packet (out, start);
}

void
milter_command_encode_end_of_header (GByteArray *out)
{
  g_return_if_fail (out != NULL);

  encode_empty (out, MILTER_COMMAND_END_OF_HEADER);
}

gsize
milter_command_encode_body (GByteArray *out, const guint8 *data, gsize size)
{
  guint start;
  gsize taken = MIN (size, (gsize) MILTER_CHUNK_SIZE);

  g_return_val_if_fail (out != NULL, 0);
  g_return_val_if_fail (data != NULL || size == 0, 0);

  start = begin_packet (out, MILTER_COMMAND_BODY);
  if (taken > 0)
    g_byte_array_append (out, data, (guint) taken);
  end_packet (out, start);
  return taken;
}

void
milter_command_encode_end_of_message (GByteArray *out,
                                      const guint8 *data,
                                      gsize size)
{
  guint start;

  g_return_if_fail (out != NULL);
  g_return_if_fail (data != NULL || size == 0);
  /* The length field counts the command byte too. */
  g_return_if_fail (size < G_MAXUINT32);

  start = begin_packet (out, MILTER_COMMAND_END_OF_MESSAGE);
  if (size > 0)
    g_byte_array_append (out, data, (guint) size);
  end_packet (out, start);
}

void
milter_command_encode_unknown (GByteArray *out, const gchar *command)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (command != NULL);

  encode_strings (out, MILTER_COMMAND_UNKNOWN, command, NULL);
}

void
milter_command_encode_abort (GByteArray *out)
{
  g_return_if_fail (out != NULL);

  encode_empty (out, MILTER_COMMAND_ABORT);
}

void
milter_command_encode_quit (GByteArray *out)
{
  g_return_if_fail (out != NULL);

  encode_empty (out, MILTER_COMMAND_QUIT);
}

void
milter_command_encode_quit_new_connection (GByteArray *out)
{
  g_return_if_fail (out != NULL);

  encode_empty (out, MILTER_COMMAND_QUIT_NEW_CONNECTION);
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
    encode_strings (out, (guint8) command->type, command->envelope.argv[0],
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
  case MILTER_COMMAND_DATA:
  case MILTER_COMMAND_END_OF_HEADER:
  case MILTER_COMMAND_ABORT:
  case MILTER_COMMAND_QUIT:
  case MILTER_COMMAND_QUIT_NEW_CONNECTION:
    encode_empty (out, (guint8) command->type);
    break;
  default:
    g_return_if_reached ();
  }
}

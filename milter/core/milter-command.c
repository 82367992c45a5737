/*
 * milter-command - describe a decoded command; the macro-stage rule
 *
 * SYNOPSIS
 *   gchar *milter_command_to_string (const MilterCommand *command);
 *   gboolean milter_command_is_macro_stage (guint8 stage_command);
 *
 * DESCRIPTION
 *   The description format is part of the test contract (decoded streams
 *   are compared through it), so change it only together with the tests.
 *
 * DIAGNOSTICS
 *   None: every byte value prints, nothing fails.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-escape.h>
#include <milter/core/milter-protocol.h>
#include <milter/core/milter-command.h>

/* Bodies print only their start: a 64 KiB chunk in a debug line helps no one. */
#define BODY_PREVIEW_SIZE 64

/*
 * The stage byte of a define-macro command names the command the macros
 * come with. The guide's list is C H M R T N E U. L (header) and B (body)
 * are tolerated as well: an MTA that attaches macros to header or body
 * events does no harm, since the macros are only stored for the next
 * command, whereas refusing them would end the whole session. Anything
 * else (negotiate, abort, quit, garbage) is refused.
 */
gboolean
milter_command_is_macro_stage (guint8 stage_command)
{
  return milter_macro_command_index (stage_command) >= 0;
}

static void
append_string (GString *out, const gchar *string)
{
  if (!string) {
    g_string_append (out, "(null)");
    return;
  }
  milter_escape_append (out, (const guint8 *) string, strlen (string));
}

static guint64
fnv1a64 (const guint8 *data, gsize size)
{
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  gsize i;

  for (i = 0; i < size; i++) {
    hash ^= data[i];
    hash *= G_GUINT64_CONSTANT (0x100000001b3);
  }
  return hash;
}

static const gchar *
family_to_string (MilterFamily family)
{
  switch (family) {
  case MILTER_FAMILY_UNKNOWN: return "unknown";
  case MILTER_FAMILY_UNIX: return "unix";
  case MILTER_FAMILY_INET: return "inet";
  case MILTER_FAMILY_INET6: return "inet6";
  default: return "invalid";
  }
}

static void
append_body (GString *out, const guint8 *data, gsize size)
{
  gsize shown = MIN (size, (gsize) BODY_PREVIEW_SIZE);

  g_string_append_printf (out, " size=%" G_GSIZE_FORMAT, size);
  if (size == 0)
    return;
  g_string_append_printf (out, " fnv1a=%016" G_GINT64_MODIFIER "x data=",
                          fnv1a64 (data, size));
  milter_escape_append (out, data, shown);
  if (shown < size)
    g_string_append (out, "...");
}

gchar *
milter_command_to_string (const MilterCommand *command)
{
  GString *out;
  const gchar *name;
  guint i;

  g_return_val_if_fail (command != NULL, NULL);

  out = g_string_new (NULL);
  name = milter_command_type_to_string ((guint8) command->type);
  if (name)
    g_string_append (out, name);
  else
    g_string_append_printf (out, "invalid-command(0x%02x)", (guint) command->type);

  switch (command->type) {
  case MILTER_COMMAND_NEGOTIATE:
    g_string_append_printf (out, " version=%u actions=0x%08x steps=0x%08x",
                            command->negotiate.version,
                            (guint) command->negotiate.actions,
                            (guint) command->negotiate.steps);
    break;
  case MILTER_COMMAND_DEFINE_MACRO:
    if (command->define_macro.stage_command >= 0x20 &&
        command->define_macro.stage_command < 0x7f)
      g_string_append_printf (out, " stage='%c'", command->define_macro.stage_command);
    else
      g_string_append_printf (out, " stage=0x%02x", command->define_macro.stage_command);
    g_string_append (out, " macros={");
    for (i = 0; i < command->define_macro.n_macros; i++) {
      if (i > 0)
        g_string_append (out, ", ");
      append_string (out, command->define_macro.names[i]);
      g_string_append_c (out, '=');
      append_string (out, command->define_macro.values[i]);
    }
    g_string_append_c (out, '}');
    break;
  case MILTER_COMMAND_CONNECT:
    g_string_append (out, " host=");
    append_string (out, command->connect.host);
    g_string_append_printf (out, " family=%s", family_to_string (command->connect.family));
    if (command->connect.family != MILTER_FAMILY_UNKNOWN) {
      g_string_append_printf (out, " port=%u address=", (guint) command->connect.port);
      append_string (out, command->connect.address);
    }
    break;
  case MILTER_COMMAND_HELO:
    g_string_append (out, " fqdn=");
    append_string (out, command->helo.fqdn);
    break;
  case MILTER_COMMAND_ENVELOPE_FROM:
  case MILTER_COMMAND_ENVELOPE_RECIPIENT:
    g_string_append (out, " argv=[");
    for (i = 0; i < command->envelope.argc; i++) {
      if (i > 0)
        g_string_append (out, ", ");
      append_string (out, command->envelope.argv[i]);
    }
    g_string_append_c (out, ']');
    break;
  case MILTER_COMMAND_HEADER:
    g_string_append (out, " name=");
    append_string (out, command->header.name);
    g_string_append (out, " value=");
    append_string (out, command->header.value);
    break;
  case MILTER_COMMAND_BODY:
  case MILTER_COMMAND_END_OF_MESSAGE:
    append_body (out, command->body.data, command->body.size);
    break;
  case MILTER_COMMAND_UNKNOWN:
    g_string_append (out, " command=");
    append_string (out, command->unknown.command);
    break;
  default:
    /* The bare commands (milter_command_type_is_bare()) have no fields. */
    break;
  }
  return g_string_free (out, FALSE);
}

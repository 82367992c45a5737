/*
 * milter-reply - one decoded milter reply, described as one line of text
 *
 * The description is meant to be compared in tests, so its format is fixed
 * and every byte of a field is shown unambiguously.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <milter/core/milter-escape.h>
#include <milter/core/milter-protocol.h>
#include <milter/core/milter-reply.h>

/* How much of a replace-body chunk the description shows. */
#define BODY_PREVIEW_SIZE 32

const gchar *
milter_reply_get_name (const MilterReply *reply)
{
  const gchar *name = milter_reply_type_to_string ((guint8) reply->type);

  return name ? name : "invalid";
}

static void
append_field (GString *string, const gchar *key, const gchar *value)
{
  g_string_append_printf (string, " %s=", key);
  /* Only a hand-built reply can lack a string; say so rather than crash. */
  if (!value)
    g_string_append (string, "NULL");
  else
    milter_escape_append (string, (const guint8 *) value, strlen (value));
}

/* FNV-1a: cheap, stable across platforms, enough to tell chunks apart. */
static guint32
fnv1a (const guint8 *data, gsize size)
{
  guint32 hash = 2166136261u;
  gsize i;

  for (i = 0; i < size; i++) {
    hash ^= data[i];
    hash *= 16777619u;
  }
  return hash;
}

gchar *
milter_reply_to_string (const MilterReply *reply)
{
  GString *string = g_string_new (milter_reply_get_name (reply));
  gsize i;

  switch (reply->type) {
  case MILTER_REPLY_NEGOTIATE:
    g_string_append_printf (string, " version=%u actions=0x%08x steps=0x%08x",
                            reply->negotiate.version, reply->negotiate.actions,
                            reply->negotiate.steps);
    if (reply->negotiate.n_macro_lists > 0) {
      g_string_append (string, " macros={");
      for (i = 0; i < reply->negotiate.n_macro_lists; i++) {
        const MilterReplyMacroList *list = &reply->negotiate.macro_lists[i];
        const gchar *stage = milter_macro_stage_to_string (list->stage);

        if (i > 0)
          g_string_append_c (string, ' ');
        if (stage)
          g_string_append_printf (string, "%s:", stage);
        else
          g_string_append_printf (string, "%u:", (guint) list->stage);
        milter_escape_append (string, (const guint8 *) list->names,
                        list->names ? strlen (list->names) : 0);
      }
      g_string_append_c (string, '}');
    }
    break;
  case MILTER_REPLY_REPLY_CODE:
    append_field (string, "text", reply->reply_code.text);
    break;
  case MILTER_REPLY_INSERT_HEADER:
  case MILTER_REPLY_CHANGE_HEADER:
    g_string_append_printf (string, " index=%u", reply->header.index);
    /* fall through */
  case MILTER_REPLY_ADD_HEADER:
    append_field (string, "name", reply->header.name);
    append_field (string, "value", reply->header.value);
    break;
  case MILTER_REPLY_ADD_RECIPIENT:
  case MILTER_REPLY_ADD_RECIPIENT_WITH_ARGS:
  case MILTER_REPLY_DELETE_RECIPIENT:
    append_field (string, "recipient", reply->recipient.recipient);
    if (reply->recipient.args)
      append_field (string, "args", reply->recipient.args);
    break;
  case MILTER_REPLY_CHANGE_FROM:
    append_field (string, "from", reply->change_from.from);
    if (reply->change_from.args)
      append_field (string, "args", reply->change_from.args);
    break;
  case MILTER_REPLY_REPLACE_BODY:
    g_string_append_printf (string, " size=%" G_GSIZE_FORMAT " fnv1a=%08x data=",
                            reply->replace_body.size,
                            fnv1a (reply->replace_body.data,
                                   reply->replace_body.size));
    milter_escape_append (string, reply->replace_body.data,
                    MIN (reply->replace_body.size, BODY_PREVIEW_SIZE));
    if (reply->replace_body.size > BODY_PREVIEW_SIZE)
      g_string_append (string, "...");
    break;
  case MILTER_REPLY_QUARANTINE:
    append_field (string, "reason", reply->quarantine.reason);
    break;
  default:
    /* The bare replies (milter_reply_type_is_bare()) have no fields. */
    break;
  }
  return g_string_free (string, FALSE);
}

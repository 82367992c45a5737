/*
 * milter-reply - one decoded milter reply (milter to MTA), as a view
 *
 * SYNOPSIS
 *   gchar *milter_reply_to_string (const MilterReply *reply);
 *   const gchar *milter_reply_get_name (const MilterReply *reply);
 *
 * DESCRIPTION
 *   MilterReply is a plain struct tagged by its MilterReplyType. The reply
 *   decoder fills it with pointers into the packet it decoded (no copy), so
 *   a MilterReply and everything it points to is valid only during the
 *   decoder's callback; copy what must outlive it. Every string member is
 *   NUL-terminated inside the packet.
 *
 *   Which member of the union is set, by type:
 *     NEGOTIATE                      negotiate
 *     REPLY_CODE                     reply_code
 *     ADD_HEADER, INSERT_HEADER,
 *     CHANGE_HEADER                  header (index is 0 for ADD_HEADER;
 *                                    an empty value for CHANGE_HEADER
 *                                    deletes the header)
 *     ADD_RECIPIENT,
 *     ADD_RECIPIENT_WITH_ARGS,
 *     DELETE_RECIPIENT               recipient (args NULL unless WITH_ARGS)
 *     CHANGE_FROM                    change_from (args NULL if absent)
 *     REPLACE_BODY                   replace_body (one chunk)
 *     QUARANTINE                     quarantine
 *     the others                     none: they carry no data
 *
 *   milter_reply_to_string() gives a stable one-line description for tests
 *   and debug logs: the reply's name, then its fields as key=value with
 *   strings quoted and escaped (\r, \n, \t, \", \\, \xHH). A replace-body
 *   chunk shows its size, an FNV-1a hash and at most its first 32 bytes.
 *
 * DIAGNOSTICS
 *   None: these functions only describe a reply that was decoded.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-protocol.h>

G_BEGIN_DECLS

/* One entry of a v6 negotiate reply's macro lists. */
typedef struct {
  MilterMacroStage stage;
  /* Space-separated macro names, e.g. "j {daemon_name} v". */
  const gchar *names;
} MilterReplyMacroList;

typedef struct {
  MilterReplyType type;
  union {
    struct {
      guint32 version;
      guint32 actions;          /* MilterActionFlags as sent */
      guint32 steps;            /* MilterStepFlags as sent */
      /* In packet order; repeated stages are passed on as sent. */
      const MilterReplyMacroList *macro_lists;
      gsize n_macro_lists;
    } negotiate;
    struct {
      /* Unchecked SMTP text; see milter-reply-code.h. */
      const gchar *text;
    } reply_code;
    struct {
      guint32 index;
      const gchar *name;
      const gchar *value;
    } header;
    struct {
      const gchar *recipient;
      const gchar *args;
    } recipient;
    struct {
      const gchar *from;
      const gchar *args;
    } change_from;
    struct {
      const guint8 *data;
      gsize size;
    } replace_body;
    struct {
      const gchar *reason;
    } quarantine;
  };
} MilterReply;

/* The protocol name of the reply's type ("negotiate-reply", "continue"...). */
const gchar *milter_reply_get_name (const MilterReply *reply);

/**
 * milter_reply_to_string:
 * @reply: a decoded reply
 *
 * Returns: (transfer full): a one-line description, e.g.
 *   `insert-header index=0 name="X-Spam" value="yes"`.
 */
gchar *milter_reply_to_string (const MilterReply *reply);

G_END_DECLS

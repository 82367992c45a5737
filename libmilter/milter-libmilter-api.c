/*
 * milter-libmilter-api - the smfi_* functions a callback calls
 *
 * SYNOPSIS
 *   smfi_getsymval (ctx, "{mail_addr}");
 *   smfi_setreply (ctx, "550", "5.7.1", "rejected");
 *   smfi_addheader (ctx, "X-Scanned", "yes");       (in xxfi_eom)
 *   smfi_setpriv (ctx, data);  smfi_getpriv (ctx);
 *
 * DESCRIPTION
 *   Each function checks its arguments as libmilter does, then acts on
 *   the session's MilterClientContext. Modifications (headers, envelope,
 *   body, quarantine) are allowed only in xxfi_eom and only with their
 *   action negotiated (the context checks both); they leave with the
 *   end-of-message reply, in one write. smfi_progress is written at
 *   once. smfi_setsymlist records a stage's macro list for the
 *   negotiation (call it in xxfi_negotiate); each stage once.
 *
 * DIAGNOSTICS
 *   MI_FAILURE for what libmilter refuses (NULL or empty names and
 *   addresses, negative indexes, reply codes other than 4xx/5xx,
 *   malformed enhanced codes, CR or LF in reply text, more than 32
 *   lines), for a modification outside end-of-message or without its
 *   action, and when the session is over.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <libmilter/milter-libmilter-private.h>
#include <libmilter/milter-libmilter-rules.h>

static int
result (gboolean success)
{
  return success ? MI_SUCCESS : MI_FAILURE;
}

char *
smfi_getsymval (SMFICTX *ctx, char *name)
{
  if (!ctx || !name || !*name)
    return NULL;
  return (char *) milter_client_context_get_macro (ctx->context, name);
}

int
smfi_setreply (SMFICTX *ctx, char *rcode, char *xcode, char *message)
{
  if (!ctx || !milter_libmilter_reply_code_valid (rcode) ||
      (xcode && !milter_libmilter_enhanced_code_length (xcode)) ||
      (message && !milter_libmilter_reply_text_valid (message)))
    return MI_FAILURE;
  return result (milter_client_context_set_reply (ctx->context,
                                                  (guint) atoi (rcode), xcode,
                                                  message, NULL));
}

int
smfi_setmlreply (SMFICTX *ctx, const char *rcode, const char *xcode, ...)
{
  const gchar *lines[MILTER_LIBMILTER_MAX_REPLY_LINES + 1];
  const char *line;
  guint n = 0;
  va_list args;

  if (!ctx || !milter_libmilter_reply_code_valid (rcode) ||
      (xcode && !milter_libmilter_enhanced_code_length (xcode)))
    return MI_FAILURE;
  va_start (args, xcode);
  while ((line = va_arg (args, const char *)) != NULL) {
    if (n == MILTER_LIBMILTER_MAX_REPLY_LINES ||
        !milter_libmilter_reply_text_valid (line))
      break;
    lines[n++] = line;
  }
  va_end (args);
  if (line)
    return MI_FAILURE;
  lines[n] = NULL;
  /* Without an enhanced code libmilter writes the class's generic one. */
  if (!xcode)
    xcode = rcode[0] == '4' ? "4.0.0" : "5.0.0";
  return result (milter_client_context_set_multiline_reply (ctx->context,
                                                            (guint) atoi (rcode),
                                                            xcode, lines,
                                                            NULL));
}

int
smfi_addheader (SMFICTX *ctx, char *name, char *value)
{
  if (!ctx || !name || !*name || !value)
    return MI_FAILURE;
  return result (milter_client_context_add_header (ctx->context, name, value,
                                                   NULL));
}

int
smfi_insheader (SMFICTX *ctx, int index, char *name, char *value)
{
  if (!ctx || index < 0 || !name || !*name || !value)
    return MI_FAILURE;
  return result (milter_client_context_insert_header (ctx->context,
                                                      (guint32) index, name,
                                                      value, NULL));
}

int
smfi_chgheader (SMFICTX *ctx, char *name, int index, char *value)
{
  if (!ctx || index < 0 || !name || !*name)
    return MI_FAILURE;
  /* A NULL or empty value deletes the header. */
  if (!value || !*value)
    return result (milter_client_context_delete_header (ctx->context, name,
                                                        (guint32) index,
                                                        NULL));
  return result (milter_client_context_change_header (ctx->context, name,
                                                      (guint32) index, value,
                                                      NULL));
}

int
smfi_chgfrom (SMFICTX *ctx, char *from, char *args)
{
  if (!ctx || !from || !*from)
    return MI_FAILURE;
  return result (milter_client_context_change_from (ctx->context, from, args,
                                                    NULL));
}

int
smfi_addrcpt (SMFICTX *ctx, char *recipient)
{
  if (!ctx || !recipient || !*recipient)
    return MI_FAILURE;
  return result (milter_client_context_add_recipient (ctx->context, recipient,
                                                      NULL, NULL));
}

int
smfi_addrcpt_par (SMFICTX *ctx, char *recipient, char *args)
{
  if (!ctx || !recipient || !*recipient)
    return MI_FAILURE;
  /* libmilter sends '2' (which needs SMFIF_ADDRCPT_PAR) even without
   * arguments: an empty argument list does the same. */
  return result (milter_client_context_add_recipient (ctx->context, recipient,
                                                      args ? args : "",
                                                      NULL));
}

int
smfi_delrcpt (SMFICTX *ctx, char *recipient)
{
  if (!ctx || !recipient || !*recipient)
    return MI_FAILURE;
  return result (milter_client_context_delete_recipient (ctx->context,
                                                         recipient, NULL));
}

int
smfi_replacebody (SMFICTX *ctx, unsigned char *body, int size)
{
  if (!ctx || size < 0 || (!body && size > 0))
    return MI_FAILURE;
  return result (milter_client_context_replace_body (ctx->context, body,
                                                     (gsize) size, NULL));
}

int
smfi_quarantine (SMFICTX *ctx, char *reason)
{
  if (!ctx || !reason || !*reason)
    return MI_FAILURE;
  return result (milter_client_context_quarantine (ctx->context, reason,
                                                   NULL));
}

int
smfi_progress (SMFICTX *ctx)
{
  if (!ctx)
    return MI_FAILURE;
  return result (milter_client_context_progress (ctx->context, NULL));
}

int
smfi_setpriv (SMFICTX *ctx, void *data)
{
  if (!ctx)
    return MI_FAILURE;
  ctx->private_data = data;
  return MI_SUCCESS;
}

void *
smfi_getpriv (SMFICTX *ctx)
{
  return ctx ? ctx->private_data : NULL;
}

int
smfi_setsymlist (SMFICTX *ctx, int stage, char *macros)
{
  /* libmilter 8.17 takes "" too (an empty list; see doc/libmilter.md). */
  if (!ctx || !macros || stage < SMFIM_FIRST ||
      stage > SMFIM_LAST || ctx->symbol_lists[stage])
    return MI_FAILURE;
  ctx->symbol_lists[stage] = g_strdup (macros);
  return MI_SUCCESS;
}

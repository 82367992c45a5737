/*
 * milter-reply-code - parse and format the SMTP text of a reply-code reply
 *
 * SYNOPSIS
 *   MilterReplyCode *milter_reply_code_parse (const gchar *text, GError **error);
 *   void milter_reply_code_free (MilterReplyCode *reply_code);
 *   gchar *milter_reply_code_format (guint code, const gchar *extended_code,
 *                                    const gchar * const *lines, GError **error);
 *   gboolean milter_reply_code_is_extended_code (const gchar *text);
 *
 * DESCRIPTION
 *   A milter's 'y' reply carries SMTP reply text such as
 *   "550 5.7.1 text" or, over several lines,
 *   "550-5.7.1 first\r\n550 5.7.1 last". These pure functions turn that
 *   text into a MilterReplyCode (the 3-digit code, the optional enhanced
 *   status code "X.Y.Z" of RFC 3463, and the lines of human text) and back.
 *   The reply decoder checks only the framing of the text; whoever acts on
 *   the reply checks the text here.
 *
 *   Parsing accepts a bare LF between lines as well as CRLF, and one line
 *   break at the very end; formatting always writes CRLF and no final break.
 *   The enhanced code, when present, must be on every line and the same on
 *   every line (RFC 2034 requires it on each line).
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_REPLY_CODE_ERROR and name the offending line
 *   (1-based): empty text, a line that does not start with 3 digits and
 *   ' ' or '-', a class other than 4 or 5, lines with different codes, a
 *   line other than the last without '-' or the last with '-', an enhanced
 *   code whose class differs from the code's or from another line's, a
 *   malformed enhanced code (format), CR or LF inside a line.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MILTER_REPLY_CODE_ERROR (milter_reply_code_error_quark ())
GQuark milter_reply_code_error_quark (void);

typedef enum {
  MILTER_REPLY_CODE_ERROR_EMPTY,
  /* Not 3 digits followed by ' ', '-' or the end of the line. */
  MILTER_REPLY_CODE_ERROR_INVALID_CODE,
  /* The first digit is not 4 or 5. */
  MILTER_REPLY_CODE_ERROR_INVALID_CLASS,
  /* Lines of one reply with different codes. */
  MILTER_REPLY_CODE_ERROR_CODE_MISMATCH,
  /* A line before the last without '-'. */
  MILTER_REPLY_CODE_ERROR_MISSING_CONTINUATION,
  /* The last line with '-'. */
  MILTER_REPLY_CODE_ERROR_UNEXPECTED_CONTINUATION,
  /* The enhanced code's class differs from the code's, or lines differ. */
  MILTER_REPLY_CODE_ERROR_EXTENDED_CODE_MISMATCH,
  /* An extended code given to format that is not "X.Y.Z". */
  MILTER_REPLY_CODE_ERROR_INVALID_EXTENDED_CODE,
  /* CR or LF inside a line (format), or a CR not followed by LF (parse). */
  MILTER_REPLY_CODE_ERROR_LINE_BREAK
} MilterReplyCodeError;

typedef struct {
  /* 400..599. */
  guint code;
  /* "X.Y.Z" with X equal to code / 100, or NULL. */
  gchar *extended_code;
  /* NULL-terminated, at least one (possibly empty) line of text. */
  gchar **lines;
} MilterReplyCode;

/**
 * milter_reply_code_parse:
 * @text: NUL-terminated reply text as the milter sent it
 * @error: return location for an error in MILTER_REPLY_CODE_ERROR
 *
 * Returns: (transfer full): the parsed reply, or NULL with @error set.
 */
MilterReplyCode *milter_reply_code_parse (const gchar *text, GError **error);
void milter_reply_code_free (MilterReplyCode *reply_code);

/**
 * milter_reply_code_format:
 * @code: 400..599
 * @extended_code: (nullable): "X.Y.Z" whose X is the class of @code
 * @lines: (nullable): NULL-terminated lines without CR or LF; NULL or an
 *   empty array gives one line without text
 * @error: return location for an error in MILTER_REPLY_CODE_ERROR
 *
 * Returns: (transfer full): the text for a reply-code reply, lines joined
 *   by CRLF, or NULL with @error set.
 */
gchar *milter_reply_code_format (guint code,
                                 const gchar *extended_code,
                                 const gchar * const *lines,
                                 GError **error);

/* Whether text is exactly an enhanced status code "D.D{1,3}.D{1,3}". */
gboolean milter_reply_code_is_extended_code (const gchar *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterReplyCode, milter_reply_code_free)

G_END_DECLS

/*
 * milter-esmtp - ESMTP parameters and envelope paths
 *
 * SYNOPSIS
 *   GPtrArray *milter_esmtp_parse_arguments (const gchar *text, &error);
 *   GPtrArray *milter_esmtp_parse_argv (const gchar * const *argv, &error);
 *   MilterEsmtpArgument *milter_esmtp_parse_argument (argument, &error);
 *   const MilterEsmtpArgument *milter_esmtp_arguments_lookup (arguments,
 *                                                            keyword);
 *   gchar *milter_esmtp_arguments_to_string (arguments);
 *   gchar *milter_esmtp_strip_address (const gchar *path);
 *   gchar *milter_esmtp_quote_address (const gchar *address);
 *
 * DESCRIPTION
 *   The MAIL FROM and RCPT TO parameters ("SIZE=1000 BODY=8BITMIME RET")
 *   reach us in two shapes: the milter protocol sends envelope-from and
 *   envelope-recipient as an argv (the path first, then one ESMTP
 *   parameter per string), and the add-recipient-with-arguments and
 *   change-from replies carry them as one space-separated string. Both
 *   parse into the same array of MilterEsmtpArgument (keyword, value),
 *   value NULL for a parameter without '='.
 *
 *   The grammar is RFC 5321's esmtp-param: the keyword starts with a
 *   letter or digit, then letters, digits and '-'; the value, when '=' is
 *   present, is one or more printable US-ASCII characters other than '='
 *   (RFC 6531's UTF-8 values are not accepted). In text form parameters
 *   are separated by one or more spaces; leading and trailing spaces are
 *   ignored and empty text gives an empty array. Case is kept as received;
 *   lookup compares keywords case-insensitively, as SMTP does.
 *
 *   strip_address removes the angle brackets around a path ("<a@b>" ->
 *   "a@b", "<>" -> ""); quote_address adds them. Both leave anything else
 *   as it is: a path is not otherwise validated here.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_ESMTP_ERROR and quote the offending parameter
 *   (escaped): an empty argv element, a bad keyword, a bad or empty value.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MILTER_ESMTP_ERROR (milter_esmtp_error_quark ())
GQuark milter_esmtp_error_quark (void);

typedef enum {
  MILTER_ESMTP_ERROR_EMPTY_ARGUMENT,
  MILTER_ESMTP_ERROR_INVALID_KEYWORD,
  MILTER_ESMTP_ERROR_INVALID_VALUE
} MilterEsmtpError;

typedef struct {
  gchar *keyword;
  gchar *value;  /* NULL when the parameter has no '=' */
} MilterEsmtpArgument;

MilterEsmtpArgument *milter_esmtp_argument_new (const gchar *keyword,
                                                const gchar *value);
void milter_esmtp_argument_free (MilterEsmtpArgument *argument);

/* One parameter, "KEYWORD" or "KEYWORD=VALUE". */
MilterEsmtpArgument *milter_esmtp_parse_argument (const gchar *argument,
                                                  GError **error);
/* The arrays returned hold MilterEsmtpArgument and free them; NULL on
 * error. text may be NULL (no parameters). */
GPtrArray *milter_esmtp_parse_arguments (const gchar *text, GError **error);
/* argv is NULL-terminated and holds the parameters only (not the path). */
GPtrArray *milter_esmtp_parse_argv (const gchar * const *argv,
                                    GError **error);

/* The first parameter with that keyword (case-insensitive), or NULL. */
const MilterEsmtpArgument *
milter_esmtp_arguments_lookup (const GPtrArray *arguments,
                               const gchar *keyword);
/* Back to "K1=V1 K2" form; "" for no parameters. */
gchar *milter_esmtp_arguments_to_string (const GPtrArray *arguments);

gchar *milter_esmtp_strip_address (const gchar *path);
gchar *milter_esmtp_quote_address (const gchar *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterEsmtpArgument, milter_esmtp_argument_free)

G_END_DECLS

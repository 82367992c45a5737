/*
 * milter-manager-error - the GError domain of the manager library
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-error.h>
 *
 *   g_set_error (error, MILTER_MANAGER_ERROR,
 *                MILTER_MANAGER_ERROR_INVALID_VALUE, "...");
 *
 * DESCRIPTION
 *   One domain for every failure the manager library itself reports:
 *   configuration values refused by a setter, an egg that cannot be
 *   used for a session, a child's negotiate reply that cannot be
 *   accepted, a child's reply-code text that is not valid, and the
 *   message store's temporary-file failures. Errors from lower modules
 *   that pass through unchanged keep their own domain; these codes are
 *   for decisions made here.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_ERROR (milter_manager_error_quark ())
GQuark milter_manager_error_quark (void);

typedef enum {
  /* A connection spec that core's parser refuses; the message quotes it. */
  MILTER_MANAGER_ERROR_INVALID_CONNECTION_SPEC,
  /* A setting outside its range or set of allowed values. */
  MILTER_MANAGER_ERROR_INVALID_VALUE,
  /* An egg without a connection spec cannot hatch a child. */
  MILTER_MANAGER_ERROR_NO_CONNECTION_SPEC,
  /* A child's negotiate reply asks for a newer version than offered. */
  MILTER_MANAGER_ERROR_NEWER_VERSION,
  /* A child's reply-code text is not a valid SMTP reply. */
  MILTER_MANAGER_ERROR_INVALID_REPLY_CODE,
  /* The message store's temporary body file: create, write, read. */
  MILTER_MANAGER_ERROR_BODY_OPEN,
  MILTER_MANAGER_ERROR_BODY_WRITE,
  MILTER_MANAGER_ERROR_BODY_READ,
  /* A DNS blocklist query could not be sent or its answer decoded. */
  MILTER_MANAGER_ERROR_DNS
} MilterManagerError;

G_END_DECLS

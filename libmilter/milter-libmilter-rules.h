/*
 * milter-libmilter-rules - libmilter's decisions, as pure functions
 *
 * SYNOPSIS
 *   #include <libmilter/milter-libmilter-rules.h>
 *
 *   MilterStatus milter_libmilter_status (int sfsistat);
 *   gboolean milter_libmilter_version_supported (int xxfi_version);
 *   guint32 milter_libmilter_callback_steps (const struct smfiDesc *desc);
 *   void milter_libmilter_read_offer (&offer, xxfi_version, &read);
 *   gboolean milter_libmilter_choose (&choice, &result);
 *   gboolean milter_libmilter_reply_code_valid (const char *rcode);
 *   gsize milter_libmilter_enhanced_code_length (const char *xcode);
 *   gboolean milter_libmilter_reply_text_valid (const char *text);
 *
 * DESCRIPTION
 *   What libmilter 8.17 decides, so that a milter behaves the same on
 *   this library: the status a callback's sfsistat means; which
 *   xxfi_version values smfi_register() takes; the "don't send" steps
 *   a milter gets for the callbacks it leaves NULL; how the MTA's offer
 *   is read (0 actions mean SMFI_V1_ACTS, 0 steps SMFI_V1_PROT; the
 *   data-size bits are the library's, given to milters built with
 *   SMFI_VERSION_MDS only); and the actions and steps a milter asks
 *   for after its xxfi_negotiate (SMFIS_ALL_OPTS: everything offered;
 *   SMFIS_CONTINUE: what it wrote; anything else refuses; without the
 *   callback: xxfi_flags and the callback steps; no-reply steps the
 *   MTA lacks are faked, so not asked for). The reply-text checks are
 *   smfi_setreply's: a 4xx or 5xx code of three digits, an optional
 *   enhanced code "C.D.D" (C 2, 4 or 5, D one to three digits), text
 *   without CR or LF of at most MILTER_LIBMILTER_MAX_REPLY_LENGTH.
 *
 * DIAGNOSTICS
 *   None: each function returns its answer.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-status.h>
#include <libmilter/mfapi.h>

G_BEGIN_DECLS

#define MILTER_LIBMILTER_VERSION_MDS 0x01000002
/* Text of one reply line, as libmilter limits it. */
#define MILTER_LIBMILTER_MAX_REPLY_LENGTH 980
/* Lines of a multi-line reply. */
#define MILTER_LIBMILTER_MAX_REPLY_LINES 32
/* The no-reply steps the library can fake when the MTA lacks them. */
#define MILTER_LIBMILTER_FAKEABLE_STEPS \
  ((guint32) (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | \
              SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_HDR | SMFIP_NR_EOH | \
              SMFIP_NR_BODY))

typedef struct {
  guint32 actions;
  guint32 steps;
  /* The data-size bit the library takes (SMFIP_MDS_*), or 0. */
  guint32 internal;
} MilterLibmilterOffer;

typedef struct {
  /* The MTA's offer, read. */
  MilterLibmilterOffer offer;
  /* xxfi_flags and milter_libmilter_callback_steps() of the milter. */
  guint32 flags;
  guint32 callback_steps;
  /* Whether xxfi_negotiate was called; its result and what it wrote. */
  gboolean negotiated;
  int result;
  guint32 wanted_actions;
  guint32 wanted_steps;
} MilterLibmilterChoice;

typedef struct {
  guint32 actions;
  guint32 steps;
} MilterLibmilterWants;

MilterStatus milter_libmilter_status (int status);
gboolean milter_libmilter_version_supported (int version);
guint32 milter_libmilter_callback_steps (const struct smfiDesc *desc);
void milter_libmilter_read_offer (guint32 actions, guint32 steps,
                                  int xxfi_version,
                                  MilterLibmilterOffer *offer);
/* FALSE: the milter refused (xxfi_negotiate's result). */
gboolean milter_libmilter_choose (const MilterLibmilterChoice *choice,
                                  MilterLibmilterWants *wants);
gboolean milter_libmilter_reply_code_valid (const char *rcode);
gsize milter_libmilter_enhanced_code_length (const char *xcode);
gboolean milter_libmilter_reply_text_valid (const char *text);

G_END_DECLS

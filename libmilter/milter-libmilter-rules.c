/*
 * milter-libmilter-rules - libmilter's decisions, as pure functions
 *
 * See milter-libmilter-rules.h. Each function is a table in
 * test/libmilter/test-libmilter-rules.c.
 */
#include "config.h"

#include <string.h>

#include <libmilter/milter-libmilter-rules.h>

MilterStatus
milter_libmilter_status (int status)
{
  switch (status) {
  case SMFIS_REJECT:
    return MILTER_STATUS_REJECT;
  case SMFIS_DISCARD:
    return MILTER_STATUS_DISCARD;
  case SMFIS_ACCEPT:
    return MILTER_STATUS_ACCEPT;
  case SMFIS_TEMPFAIL:
    return MILTER_STATUS_TEMPORARY_FAILURE;
  case SMFIS_SKIP:
    return MILTER_STATUS_SKIP;
  case SMFIS_CONTINUE:
  case SMFIS_NOREPLY:
  default:
    /* NOREPLY is honoured by the no-reply steps it goes with; an
     * undefined value gets libmilter nowhere either (it sends nothing
     * and the MTA times out): continue keeps the session alive. */
    return MILTER_STATUS_CONTINUE;
  }
}

/* libmilter takes its own major.minor and the old plain versions 2 to 4. */
gboolean
milter_libmilter_version_supported (int version)
{
  if (version == 2 || version == 3 || version == 4)
    return TRUE;
  return SM_LM_VRS_MAJOR (version) == SM_LM_VRS_MAJOR (SMFI_VERSION) &&
         SM_LM_VRS_MINOR (version) == SM_LM_VRS_MINOR (SMFI_VERSION);
}

guint32
milter_libmilter_callback_steps (const struct smfiDesc *desc)
{
  guint32 steps = 0;

  if (!desc->xxfi_connect)
    steps |= SMFIP_NOCONNECT;
  if (!desc->xxfi_helo)
    steps |= SMFIP_NOHELO;
  if (!desc->xxfi_envfrom)
    steps |= SMFIP_NOMAIL;
  if (!desc->xxfi_envrcpt)
    steps |= SMFIP_NORCPT;
  if (!desc->xxfi_header)
    steps |= SMFIP_NOHDRS;
  if (!desc->xxfi_eoh)
    steps |= SMFIP_NOEOH;
  if (!desc->xxfi_body)
    steps |= SMFIP_NOBODY;
  /* The fields did not exist before these versions. */
  if (desc->xxfi_version <= 3 || !desc->xxfi_data)
    steps |= SMFIP_NODATA;
  if (desc->xxfi_version <= 2 || !desc->xxfi_unknown)
    steps |= SMFIP_NOUNKNOWN;
  return steps;
}

void
milter_libmilter_read_offer (guint32 actions, guint32 steps, int xxfi_version,
                             MilterLibmilterOffer *offer)
{
  offer->actions = actions ? actions : (guint32) SMFI_V1_ACTS;
  offer->internal = 0;
  if (!steps) {
    steps = (guint32) SMFI_V1_PROT;
  } else if (xxfi_version >= MILTER_LIBMILTER_VERSION_MDS) {
    /* A milter built for larger packets may get them; an older one
     * might rely on the 64 KiB limit. */
    if (steps & SMFIP_MDS_1M)
      offer->internal = (guint32) SMFIP_MDS_1M;
    else if (steps & SMFIP_MDS_256K)
      offer->internal = (guint32) SMFIP_MDS_256K;
  }
  offer->steps = (steps & ~(guint32) SMFI_INTERNAL) | offer->internal;
}

gboolean
milter_libmilter_choose (const MilterLibmilterChoice *choice,
                         MilterLibmilterWants *wants)
{
  const MilterLibmilterOffer *offer = &choice->offer;
  guint32 steps;

  if (!choice->negotiated) {
    wants->actions = choice->flags;
    steps = choice->callback_steps;
  } else if (choice->result == SMFIS_ALL_OPTS) {
    wants->actions = offer->actions;
    steps = choice->callback_steps | (offer->steps & SMFIP_SKIP);
  } else if (choice->result == SMFIS_CONTINUE) {
    wants->actions = choice->wanted_actions;
    steps = choice->wanted_steps;
    /* What the library can fake is not asked of an MTA without it. */
    steps &= ~(MILTER_LIBMILTER_FAKEABLE_STEPS & ~offer->steps);
  } else {
    return FALSE;
  }
  wants->steps = (steps & ~(guint32) SMFI_INTERNAL) | offer->internal;
  return TRUE;
}

gboolean
milter_libmilter_reply_code_valid (const char *rcode)
{
  return rcode && strlen (rcode) == 3 &&
         (rcode[0] == '4' || rcode[0] == '5') &&
         g_ascii_isdigit (rcode[1]) && g_ascii_isdigit (rcode[2]);
}

/* Digits (1 to 3) at text, followed by end; their count or 0. */
static gsize
code_part (const char *text, char end)
{
  gsize n = 0;

  while (n < 3 && g_ascii_isdigit (text[n]))
    n++;
  return n > 0 && text[n] == end ? n : 0;
}

gsize
milter_libmilter_enhanced_code_length (const char *xcode)
{
  gsize first, second;

  if (!xcode || !(xcode[0] == '2' || xcode[0] == '4' || xcode[0] == '5') ||
      xcode[1] != '.')
    return 0;
  first = code_part (xcode + 2, '.');
  if (!first)
    return 0;
  second = code_part (xcode + 2 + first + 1, '\0');
  return second ? 2 + first + 1 + second : 0;
}

gboolean
milter_libmilter_reply_text_valid (const char *text)
{
  return !strpbrk (text, "\r\n") &&
         strlen (text) <= MILTER_LIBMILTER_MAX_REPLY_LENGTH;
}

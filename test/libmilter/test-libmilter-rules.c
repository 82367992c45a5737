/*
 * test-libmilter-rules - libmilter's decisions (libmilter/milter-libmilter-rules.c)
 *
 * Tables of cases, each from libmilter 8.17's behaviour.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include <libmilter/milter-libmilter-rules.h>

static void
test_status (void)
{
  static const struct {
    int status;
    MilterStatus expected;
  } cases[] = {
    { SMFIS_CONTINUE, MILTER_STATUS_CONTINUE },
    { SMFIS_REJECT, MILTER_STATUS_REJECT },
    { SMFIS_DISCARD, MILTER_STATUS_DISCARD },
    { SMFIS_ACCEPT, MILTER_STATUS_ACCEPT },
    { SMFIS_TEMPFAIL, MILTER_STATUS_TEMPORARY_FAILURE },
    { SMFIS_NOREPLY, MILTER_STATUS_CONTINUE },
    { SMFIS_SKIP, MILTER_STATUS_SKIP },
    { 5, MILTER_STATUS_CONTINUE },
    { -1, MILTER_STATUS_CONTINUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_libmilter_status (cases[i].status), ==,
                     cases[i].expected);
}

static void
test_version_supported (void)
{
  static const struct {
    int version;
    gboolean expected;
  } cases[] = {
    { 1, FALSE }, { 2, TRUE }, { 3, TRUE }, { 4, TRUE }, { 5, FALSE },
    { 0x01000000, TRUE }, { 0x01000001, TRUE }, { 0x01000002, TRUE },
    { 0x01000100, FALSE }, { 0x02000001, FALSE }, { 0, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (milter_libmilter_version_supported (cases[i].version),
                     ==, cases[i].expected);
}

static sfsistat
any (SMFICTX *ctx)
{
  (void) ctx;
  return SMFIS_CONTINUE;
}

static void
test_callback_steps (void)
{
  struct smfiDesc all = {
    .xxfi_version = SMFI_VERSION,
    .xxfi_connect = (void *) any, .xxfi_helo = (void *) any,
    .xxfi_envfrom = (void *) any, .xxfi_envrcpt = (void *) any,
    .xxfi_header = (void *) any, .xxfi_eoh = any, .xxfi_body = (void *) any,
    .xxfi_eom = any, .xxfi_unknown = (void *) any, .xxfi_data = any,
  };
  struct smfiDesc eom_only = { .xxfi_version = SMFI_VERSION,
                               .xxfi_eom = any };
  struct smfiDesc old = all;

  g_assert_cmphex (milter_libmilter_callback_steps (&all), ==, 0);
  /* The body fixture: only end-of-message. */
  g_assert_cmphex (milter_libmilter_callback_steps (&eom_only), ==, 0x37f);
  old.xxfi_version = 3;
  g_assert_cmphex (milter_libmilter_callback_steps (&old), ==, SMFIP_NODATA);
  old.xxfi_version = 2;
  g_assert_cmphex (milter_libmilter_callback_steps (&old), ==,
                   SMFIP_NODATA | SMFIP_NOUNKNOWN);
}

static void
test_read_offer (void)
{
  static const struct {
    guint32 actions, steps;
    int version;
    guint32 expected_actions, expected_steps, internal;
  } cases[] = {
    { 0, 0, SMFI_VERSION, 0x0F, 0x3F, 0 },
    { 0x1FF, 0x1FFFFF, SMFI_VERSION, 0x1FF, 0x1FFFFF, 0 },
    /* Data sizes are offered only to milters built for them. */
    { 0x1FF, 0x301FFFFF, SMFI_VERSION, 0x1FF, 0x1FFFFF, 0 },
    { 0x1FF, 0x301FFFFF, 0x01000002, 0x1FF, 0x201FFFFF, SMFIP_MDS_1M },
    { 0x1FF, 0x101FFFFF, 0x01000002, 0x1FF, 0x101FFFFF, SMFIP_MDS_256K },
    { 0x1FF, 0x401FFFFF, 0x01000002, 0x1FF, 0x1FFFFF, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    MilterLibmilterOffer offer;

    milter_libmilter_read_offer (cases[i].actions, cases[i].steps,
                                 cases[i].version, &offer);
    g_assert_cmphex (offer.actions, ==, cases[i].expected_actions);
    g_assert_cmphex (offer.steps, ==, cases[i].expected_steps);
    g_assert_cmphex (offer.internal, ==, cases[i].internal);
  }
}

static void
test_choose (void)
{
  static const struct {
    const char *name;
    MilterLibmilterChoice choice;
    gboolean ok;
    guint32 actions, steps;
  } cases[] = {
    { "no callback: flags and callback steps",
      { { 0x1FF, 0x1FFFFF, 0 }, 0x22, 0x37f, FALSE, 0, 0, 0 },
      TRUE, 0x22, 0x37f },
    { "all options: every action offered, skip if offered",
      { { 0x1FF, 0x1FFFFF, 0 }, 0x1, 0x10, TRUE, SMFIS_ALL_OPTS, 0, 0 },
      TRUE, 0x1FF, 0x410 },
    { "all options without skip offered",
      { { 0x3F, 0x7F, 0 }, 0x1, 0x10, TRUE, SMFIS_ALL_OPTS, 0, 0 },
      TRUE, 0x3F, 0x10 },
    { "continue: what the callback wrote",
      { { 0x1FF, 0x1FFFFF, 0 }, 0x1, 0, TRUE, SMFIS_CONTINUE, 0x11, 0x1080 },
      TRUE, 0x11, 0x1080 },
    { "continue: fakeable no-reply steps the MTA lacks are not asked",
      { { 0x3F, 0xFF, 0 }, 0, 0, TRUE, SMFIS_CONTINUE, 0x1, 0x1000 | 0x80 },
      TRUE, 0x1, 0x80 },
    { "continue: data size added, stray internal bits dropped",
      { { 0x1FF, 0x201FFFFF, SMFIP_MDS_1M }, 0, 0, TRUE, SMFIS_CONTINUE, 0,
        0x40000000 }, TRUE, 0, SMFIP_MDS_1M },
    { "reject refuses",
      { { 0x1FF, 0x1FFFFF, 0 }, 0, 0, TRUE, SMFIS_REJECT, 0, 0 },
      FALSE, 0, 0 },
    { "tempfail refuses",
      { { 0x1FF, 0x1FFFFF, 0 }, 0, 0, TRUE, SMFIS_TEMPFAIL, 0, 0 },
      FALSE, 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    MilterLibmilterWants wants = { 0xdead, 0xbeef };
    gboolean ok = milter_libmilter_choose (&cases[i].choice, &wants);

    g_test_message ("%s", cases[i].name);
    g_assert_cmpint (ok, ==, cases[i].ok);
    if (!ok)
      continue;
    g_assert_cmphex (wants.actions, ==, cases[i].actions);
    g_assert_cmphex (wants.steps, ==, cases[i].steps);
  }
}

static void
test_reply_checks (void)
{
  static const struct {
    const char *rcode;
    gboolean ok;
  } codes[] = {
    { "550", TRUE }, { "451", TRUE }, { "250", FALSE }, { "55", FALSE },
    { "5500", FALSE }, { "5a0", FALSE }, { "", FALSE }, { NULL, FALSE },
  };
  static const struct {
    const char *xcode;
    gsize length;
  } xcodes[] = {
    { "5.7.1", 5 }, { "4.123.456", 9 }, { "2.0.0", 5 }, { "3.0.0", 0 },
    { "5.7", 0 }, { "5..1", 0 }, { "5.1234.1", 0 }, { "5.7.1 ", 0 },
    { "x", 0 }, { NULL, 0 },
  };
  static const struct {
    const char *text;
    gboolean ok;
  } texts[] = {
    { "fine", TRUE }, { "", TRUE }, { "a\rb", FALSE }, { "a\nb", FALSE },
  };
  g_autofree char *long_text = g_strnfill (MILTER_LIBMILTER_MAX_REPLY_LENGTH, 'x');
  g_autofree char *too_long = g_strnfill (MILTER_LIBMILTER_MAX_REPLY_LENGTH + 1,
                                          'x');

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    g_assert_cmpint (milter_libmilter_reply_code_valid (codes[i].rcode), ==,
                     codes[i].ok);
  for (guint i = 0; i < G_N_ELEMENTS (xcodes); i++)
    g_assert_cmpuint (milter_libmilter_enhanced_code_length (xcodes[i].xcode),
                      ==, xcodes[i].length);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    g_assert_cmpint (milter_libmilter_reply_text_valid (texts[i].text), ==,
                     texts[i].ok);
  g_assert_true (milter_libmilter_reply_text_valid (long_text));
  g_assert_false (milter_libmilter_reply_text_valid (too_long));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/libmilter/rules/status", test_status);
  g_test_add_func ("/libmilter/rules/version-supported", test_version_supported);
  g_test_add_func ("/libmilter/rules/callback-steps", test_callback_steps);
  g_test_add_func ("/libmilter/rules/read-offer", test_read_offer);
  g_test_add_func ("/libmilter/rules/choose", test_choose);
  g_test_add_func ("/libmilter/rules/reply-checks", test_reply_checks);
  return g_test_run ();
}

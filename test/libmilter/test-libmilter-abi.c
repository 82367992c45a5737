/*
 * test-libmilter-abi - our libmilter headers have libmilter 8.17's binary interface
 *
 * The expected numbers are written here from libmilter 8.17's
 * documentation and wire protocol, not taken from Sendmail's header (which
 * this unit does not include): a milter compiled against either header
 * must find the same layout and constants in either library.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

#include <libmilter/mfapi.h>

static void
test_desc_layout (void)
{
  /* x86-64 LP64: char *, int (+4 padding), unsigned long, 13 pointers. */
  g_assert_cmpuint (offsetof (struct smfiDesc, xxfi_name), ==, 0);
  g_assert_cmpuint (offsetof (struct smfiDesc, xxfi_version), ==,
                    sizeof (char *));
  g_assert_cmpuint (offsetof (struct smfiDesc, xxfi_flags), ==,
                    sizeof (char *) + sizeof (long));
  g_assert_cmpuint (offsetof (struct smfiDesc, xxfi_connect), ==,
                    sizeof (char *) + 2 * sizeof (long));
#define SLOT(field, n) \
  g_assert_cmpuint (offsetof (struct smfiDesc, field), ==, \
                    sizeof (char *) + 2 * sizeof (long) + (n) * sizeof (void *))
  SLOT (xxfi_connect, 0);
  SLOT (xxfi_helo, 1);
  SLOT (xxfi_envfrom, 2);
  SLOT (xxfi_envrcpt, 3);
  SLOT (xxfi_header, 4);
  SLOT (xxfi_eoh, 5);
  SLOT (xxfi_body, 6);
  SLOT (xxfi_eom, 7);
  SLOT (xxfi_abort, 8);
  SLOT (xxfi_close, 9);
  SLOT (xxfi_unknown, 10);
  SLOT (xxfi_data, 11);
  SLOT (xxfi_negotiate, 12);
#undef SLOT
  g_assert_cmpuint (sizeof (struct smfiDesc), ==,
                    sizeof (char *) + 2 * sizeof (long) + 13 * sizeof (void *));
#if defined(__x86_64__)
  g_assert_cmpuint (sizeof (struct smfiDesc), ==, 128);
#endif
  g_assert_cmpuint (sizeof (sfsistat), ==, sizeof (int));
  g_assert_cmpuint (sizeof (_SOCK_ADDR), ==, sizeof (struct sockaddr));
}

static const struct {
  const char *name;
  long value;
  long expected;
} constants[] = {
#define C(name, expected) { #name, (long) (name), expected }
  C (SMFI_VERSION, 0x01000001), C (MI_SUCCESS, 0), C (MI_FAILURE, -1),
  C (SMFIS_CONTINUE, 0), C (SMFIS_REJECT, 1), C (SMFIS_DISCARD, 2),
  C (SMFIS_ACCEPT, 3), C (SMFIS_TEMPFAIL, 4), C (SMFIS_NOREPLY, 7),
  C (SMFIS_SKIP, 8), C (SMFIS_ALL_OPTS, 10),
  C (SMFIF_NONE, 0), C (SMFIF_ADDHDRS, 0x1), C (SMFIF_CHGBODY, 0x2),
  C (SMFIF_MODBODY, 0x2), C (SMFIF_ADDRCPT, 0x4), C (SMFIF_DELRCPT, 0x8),
  C (SMFIF_CHGHDRS, 0x10), C (SMFIF_QUARANTINE, 0x20),
  C (SMFIF_CHGFROM, 0x40), C (SMFIF_ADDRCPT_PAR, 0x80),
  C (SMFIF_SETSYMLIST, 0x100),
  C (SMFIM_NOMACROS, -1), C (SMFIM_FIRST, 0), C (SMFIM_CONNECT, 0),
  C (SMFIM_HELO, 1), C (SMFIM_ENVFROM, 2), C (SMFIM_ENVRCPT, 3),
  C (SMFIM_DATA, 4), C (SMFIM_EOM, 5), C (SMFIM_EOH, 6), C (SMFIM_LAST, 6),
  C (SMFIP_NOCONNECT, 0x1), C (SMFIP_NOHELO, 0x2), C (SMFIP_NOMAIL, 0x4),
  C (SMFIP_NORCPT, 0x8), C (SMFIP_NOBODY, 0x10), C (SMFIP_NOHDRS, 0x20),
  C (SMFIP_NOEOH, 0x40), C (SMFIP_NR_HDR, 0x80), C (SMFIP_NOHREPL, 0x80),
  C (SMFIP_NOUNKNOWN, 0x100), C (SMFIP_NODATA, 0x200),
  C (SMFIP_SKIP, 0x400), C (SMFIP_RCPT_REJ, 0x800),
  C (SMFIP_NR_CONN, 0x1000), C (SMFIP_NR_HELO, 0x2000),
  C (SMFIP_NR_MAIL, 0x4000), C (SMFIP_NR_RCPT, 0x8000),
  C (SMFIP_NR_DATA, 0x10000), C (SMFIP_NR_UNKN, 0x20000),
  C (SMFIP_NR_EOH, 0x40000), C (SMFIP_NR_BODY, 0x80000),
  C (SMFIP_HDR_LEADSPC, 0x100000), C (SMFIP_MDS_256K, 0x10000000),
  C (SMFIP_MDS_1M, 0x20000000),
  C (SMFI_V1_ACTS, 0xF), C (SMFI_V2_ACTS, 0x3F), C (SMFI_CURR_ACTS, 0x1FF),
  C (SMFI_V1_PROT, 0x3F), C (SMFI_V2_PROT, 0x7F),
  C (SMFI_CURR_PROT, 0x1FFFFF), C (SMFI_INTERNAL, 0x70000000),
  C (SMFI_PROT_VERSION, 6), C (MILTER_LEN_BYTES, 4), C (MILTER_OPTLEN, 12),
  C (MILTER_CHUNK_SIZE, 65535), C (MILTER_MAX_DATA_SIZE, 65535),
  C (SMFIA_UNKNOWN, 'U'), C (SMFIA_UNIX, 'L'), C (SMFIA_INET, '4'),
  C (SMFIA_INET6, '6'),
  C (SMFIC_ABORT, 'A'), C (SMFIC_BODY, 'B'), C (SMFIC_CONNECT, 'C'),
  C (SMFIC_MACRO, 'D'), C (SMFIC_BODYEOB, 'E'), C (SMFIC_HELO, 'H'),
  C (SMFIC_QUIT_NC, 'K'), C (SMFIC_HEADER, 'L'), C (SMFIC_MAIL, 'M'),
  C (SMFIC_EOH, 'N'), C (SMFIC_OPTNEG, 'O'), C (SMFIC_QUIT, 'Q'),
  C (SMFIC_RCPT, 'R'), C (SMFIC_DATA, 'T'), C (SMFIC_UNKNOWN, 'U'),
  C (SMFIR_ADDRCPT, '+'), C (SMFIR_DELRCPT, '-'), C (SMFIR_ADDRCPT_PAR, '2'),
  C (SMFIR_SHUTDOWN, '4'), C (SMFIR_ACCEPT, 'a'), C (SMFIR_REPLBODY, 'b'),
  C (SMFIR_CONTINUE, 'c'), C (SMFIR_DISCARD, 'd'), C (SMFIR_CHGFROM, 'e'),
  C (SMFIR_CONN_FAIL, 'f'), C (SMFIR_ADDHEADER, 'h'),
  C (SMFIR_INSHEADER, 'i'), C (SMFIR_SETSYMLIST, 'l'),
  C (SMFIR_CHGHEADER, 'm'), C (SMFIR_PROGRESS, 'p'),
  C (SMFIR_QUARANTINE, 'q'), C (SMFIR_REJECT, 'r'), C (SMFIR_SKIP, 's'),
  C (SMFIR_TEMPFAIL, 't'), C (SMFIR_REPLYCODE, 'y'),
#undef C
};

static void
test_constants (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (constants); i++) {
    if (constants[i].value != constants[i].expected)
      g_error ("%s is 0x%lx, libmilter's is 0x%lx", constants[i].name,
               constants[i].value, constants[i].expected);
  }
}

static void
test_version (void)
{
  unsigned int major = 0, minor = 9, patch = 0;

  g_assert_cmpint (smfi_version (&major, &minor, &patch), ==, MI_SUCCESS);
  /* Debian's libmilter 8.17 answers 1.0.1. */
  g_assert_cmpuint (major, ==, 1);
  g_assert_cmpuint (minor, ==, 0);
  g_assert_cmpuint (patch, ==, 1);
  g_assert_cmpint (smfi_version (NULL, NULL, NULL), ==, MI_SUCCESS);
}

/* The process-wide setters, with libmilter's results. */
static void
test_settings (void)
{
  g_assert_cmpint (smfi_setconn (NULL), ==, MI_FAILURE);
  g_assert_cmpint (smfi_setconn (""), ==, MI_FAILURE);
  g_assert_cmpint (smfi_setconn ("inet:10025@127.0.0.1"), ==, MI_SUCCESS);
  g_assert_cmpint (smfi_setbacklog (0), ==, MI_FAILURE);
  g_assert_cmpint (smfi_setbacklog (-1), ==, MI_FAILURE);
  g_assert_cmpint (smfi_setbacklog (5), ==, MI_SUCCESS);
  g_assert_cmpint (smfi_setdbg (3), ==, MI_SUCCESS);
  g_assert_cmpint (smfi_setdbg (0), ==, MI_SUCCESS);
  g_assert_cmpint (smfi_settimeout (10), ==, MI_SUCCESS);
  g_assert_cmpuint (smfi_setmaxdatasize (0), ==, 65535);
  g_assert_cmpuint (smfi_setmaxdatasize (1000), ==, 0);
  g_assert_cmpuint (smfi_setmaxdatasize (65535), ==, 1000);
}

static void
test_register (void)
{
  struct smfiDesc desc;

  memset (&desc, 0, sizeof (desc));
  desc.xxfi_name = "test";
  /* Before registering, smfi_main and smfi_opensocket fail. */
  g_assert_cmpint (smfi_main (), ==, MI_FAILURE);
  g_assert_cmpint (smfi_opensocket (false), ==, MI_FAILURE);
  desc.xxfi_version = 0x02000000;
  g_assert_cmpint (smfi_register (desc), ==, MI_FAILURE);
  desc.xxfi_version = 1;
  g_assert_cmpint (smfi_register (desc), ==, MI_FAILURE);
  for (int v = 2; v <= 4; v++) {
    desc.xxfi_version = v;
    g_assert_cmpint (smfi_register (desc), ==, MI_SUCCESS);
  }
  desc.xxfi_version = SMFI_VERSION;
  g_assert_cmpint (smfi_register (desc), ==, MI_SUCCESS);
  desc.xxfi_version = 0x01000002;  /* built with _FFR_MDS_NEGOTIATE */
  g_assert_cmpint (smfi_register (desc), ==, MI_SUCCESS);
}

/* The in-callback functions refuse a NULL context as libmilter does. */
static void
test_null_context (void)
{
  g_assert_null (smfi_getsymval (NULL, "i"));
  g_assert_null (smfi_getpriv (NULL));
  g_assert_cmpint (smfi_setpriv (NULL, NULL), ==, MI_FAILURE);
  g_assert_cmpint (smfi_setreply (NULL, "550", NULL, "x"), ==, MI_FAILURE);
  g_assert_cmpint (smfi_setmlreply (NULL, "550", NULL, "x", NULL), ==,
                   MI_FAILURE);
  g_assert_cmpint (smfi_addheader (NULL, "X", "y"), ==, MI_FAILURE);
  g_assert_cmpint (smfi_chgheader (NULL, "X", 1, "y"), ==, MI_FAILURE);
  g_assert_cmpint (smfi_insheader (NULL, 0, "X", "y"), ==, MI_FAILURE);
  g_assert_cmpint (smfi_chgfrom (NULL, "<a@b>", NULL), ==, MI_FAILURE);
  g_assert_cmpint (smfi_addrcpt (NULL, "<a@b>"), ==, MI_FAILURE);
  g_assert_cmpint (smfi_addrcpt_par (NULL, "<a@b>", NULL), ==, MI_FAILURE);
  g_assert_cmpint (smfi_delrcpt (NULL, "<a@b>"), ==, MI_FAILURE);
  g_assert_cmpint (smfi_replacebody (NULL, (unsigned char *) "x", 1), ==,
                   MI_FAILURE);
  g_assert_cmpint (smfi_quarantine (NULL, "r"), ==, MI_FAILURE);
  g_assert_cmpint (smfi_progress (NULL), ==, MI_FAILURE);
  g_assert_cmpint (smfi_setsymlist (NULL, SMFIM_CONNECT, "j"), ==,
                   MI_FAILURE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/libmilter/abi/desc-layout", test_desc_layout);
  g_test_add_func ("/libmilter/abi/constants", test_constants);
  g_test_add_func ("/libmilter/abi/version", test_version);
  g_test_add_func ("/libmilter/abi/settings", test_settings);
  g_test_add_func ("/libmilter/abi/register", test_register);
  g_test_add_func ("/libmilter/abi/null-context", test_null_context);
  return g_test_run ();
}

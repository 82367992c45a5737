/*
 * libmilter-api - libmilter test milter that records what each smfi_* call returns
 *
 * SYNOPSIS
 *   cc -o libmilter-api libmilter-api.c -lmilter -pthread
 *   LIBMILTER_API_LOG=FILE ./libmilter-api inet:PORT@127.0.0.1
 *
 * DESCRIPTION
 *   Calls the libmilter API the right and the wrong way at each stage and
 *   appends one line per call to LIBMILTER_API_LOG: "STAGE CALL -> 0" or
 *   "-> -1" (MI_SUCCESS, MI_FAILURE), macro values, the callback order.
 *   Built once against Sendmail's libmilter and once against ours, the two
 *   logs must be identical (test/integration/libmilter-api.sh).
 *   xxfi_negotiate asks for ADDHDRS and CHGHDRS only, so at end-of-message
 *   body, recipient, sender and quarantine changes must fail; header
 *   changes outside end-of-message must fail; argument checks of
 *   smfi_setreply, smfi_setmlreply, smfi_insheader, smfi_chgheader,
 *   smfi_setsymlist as libmilter's. The second session also asks for
 *   SMFIF_SETSYMLIST, so its envelope-from macros are only the listed
 *   ones. Written for this project's tests.
 *
 * DIAGNOSTICS
 *   Exits 1 without LIBMILTER_API_LOG or when smfi_main fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

static FILE *out;
static int sessions;  /* negotiations so far; sessions come one by one */

#define CALL(stage, expr) \
    do { \
        int r_ = (expr); \
        fprintf(out, "%s %s -> %d\n", stage, #expr, r_); \
        fflush(out); \
    } while (0)

static void
symval(SMFICTX *ctx, const char *stage, const char *name)
{
    const char *v = smfi_getsymval(ctx, (char *)name);

    fprintf(out, "%s symval %s = %s\n", stage, name, v ? v : "(null)");
    fflush(out);
}

static sfsistat
api_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
              unsigned long f2, unsigned long f3, unsigned long *pf0,
              unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    fprintf(out, "negotiate actions=0x%lx steps=0x%lx f2=%lu f3=%lu "
            "preset actions=0x%lx steps=0x%lx\n", f0, f1, f2, f3, *pf0, *pf1);
    CALL("negotiate", smfi_setsymlist(ctx, SMFIM_ENVFROM, "{mail_addr} i"));
    CALL("negotiate", smfi_setsymlist(ctx, SMFIM_ENVFROM, "{mail_addr}"));
    CALL("negotiate", smfi_setsymlist(ctx, 7, "i"));
    CALL("negotiate", smfi_setsymlist(ctx, -1, "i"));
    CALL("negotiate", smfi_setsymlist(ctx, SMFIM_CONNECT, NULL));
    /* The second session asks for the lists to take effect. */
    *pf0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS | (++sessions == 2 ? SMFIF_SETSYMLIST : 0);
    fprintf(out, "negotiate session %d\n", sessions);
    *pf1 = 0;
    *pf2 = *pf3 = 0;
    return SMFIS_CONTINUE;
}

static sfsistat
api_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    fprintf(out, "connect host=%s family=%d\n", host, addr ? addr->sa_family : -1);
    symval(ctx, "connect", "j");
    symval(ctx, "connect", "{j}");
    symval(ctx, "connect", "{daemon_name}");
    symval(ctx, "connect", "{client_test}");
    symval(ctx, "connect", "nosuch");
    CALL("connect", smfi_getpriv(ctx) == NULL);
    CALL("connect", smfi_setpriv(ctx, ctx));
    CALL("connect", smfi_getpriv(ctx) == ctx);
    CALL("connect", smfi_addheader(ctx, "X-Early", "no"));
    CALL("connect", smfi_progress(ctx));
    return SMFIS_CONTINUE;
}

static sfsistat
api_helo(SMFICTX *ctx, char *name)
{
    fprintf(out, "helo %s\n", name);
    CALL("helo", smfi_setreply(ctx, "550", "5.7.1", "fine"));
    CALL("helo", smfi_setreply(ctx, "450", NULL, NULL));
    CALL("helo", smfi_setreply(ctx, "250", NULL, "no"));
    CALL("helo", smfi_setreply(ctx, "55", NULL, "no"));
    CALL("helo", smfi_setreply(ctx, "5500", NULL, "no"));
    CALL("helo", smfi_setreply(ctx, NULL, NULL, "no"));
    CALL("helo", smfi_setreply(ctx, "550", "5.7", "no"));
    CALL("helo", smfi_setreply(ctx, "550", "6.7.1", "no"));
    CALL("helo", smfi_setreply(ctx, "550", NULL, "a\r\nb"));
    CALL("helo", smfi_setmlreply(ctx, "550", "5.7.1", "one", "two", NULL));
    CALL("helo", smfi_setmlreply(ctx, "550", NULL, "one", NULL));
    CALL("helo", smfi_setmlreply(ctx, "350", NULL, "one", NULL));
    CALL("helo", smfi_setmlreply(ctx, "550", NULL, "a\nb", NULL));
    return SMFIS_CONTINUE;
}

static sfsistat
api_envfrom(SMFICTX *ctx, char **argv)
{
    for (int i = 0; argv[i]; i++)
        fprintf(out, "envfrom argv[%d]=%s\n", i, argv[i]);
    symval(ctx, "envfrom", "{mail_addr}");
    symval(ctx, "envfrom", "{mail_test}");
    symval(ctx, "envfrom", "{client_test}");
    CALL("envfrom", smfi_getpriv(ctx) == ctx);
    CALL("envfrom", smfi_chgfrom(ctx, "<x@example.test>", NULL));
    return SMFIS_CONTINUE;
}

static sfsistat
api_envrcpt(SMFICTX *ctx, char **argv)
{
    fprintf(out, "envrcpt argv[0]=%s\n", argv[0]);
    CALL("envrcpt", smfi_addrcpt(ctx, "<y@example.test>"));
    return SMFIS_CONTINUE;
}

static sfsistat
api_header(SMFICTX *ctx, char *name, char *value)
{
    fprintf(out, "header %s: %s\n", name, value);
    CALL("header", smfi_chgheader(ctx, name, 1, "x"));
    return SMFIS_CONTINUE;
}

static sfsistat
api_eoh(SMFICTX *ctx)
{
    fprintf(out, "eoh\n");
    CALL("eoh", smfi_insheader(ctx, 0, "X-Early", "no"));
    return SMFIS_CONTINUE;
}

static sfsistat
api_body(SMFICTX *ctx, unsigned char *chunk, size_t size)
{
    fprintf(out, "body %zu\n", size);
    CALL("body", smfi_replacebody(ctx, chunk, (int)size));
    return SMFIS_CONTINUE;
}

static sfsistat
api_eom(SMFICTX *ctx)
{
    fprintf(out, "eom\n");
    CALL("eom", smfi_addheader(ctx, "X-Added", "yes"));
    CALL("eom", smfi_addheader(ctx, NULL, "yes"));
    CALL("eom", smfi_addheader(ctx, "", "yes"));
    CALL("eom", smfi_addheader(ctx, "X-Null", NULL));
    CALL("eom", smfi_insheader(ctx, 0, "X-Inserted", "first"));
    CALL("eom", smfi_insheader(ctx, -1, "X-Inserted", "no"));
    CALL("eom", smfi_chgheader(ctx, "Subject", 1, "changed"));
    CALL("eom", smfi_chgheader(ctx, "Subject", -1, "no"));
    CALL("eom", smfi_chgheader(ctx, "X-Gone", 1, NULL));
    CALL("eom", smfi_chgheader(ctx, NULL, 1, "no"));
    CALL("eom", smfi_replacebody(ctx, (unsigned char *)"new\r\n", 5));
    CALL("eom", smfi_replacebody(ctx, NULL, 5));
    CALL("eom", smfi_addrcpt(ctx, "<y@example.test>"));
    CALL("eom", smfi_addrcpt_par(ctx, "<y@example.test>", "NOTIFY=NEVER"));
    CALL("eom", smfi_delrcpt(ctx, "<bob@example.net>"));
    CALL("eom", smfi_chgfrom(ctx, "<x@example.test>", NULL));
    CALL("eom", smfi_quarantine(ctx, "no"));
    CALL("eom", smfi_progress(ctx));
    CALL("eom", smfi_getpriv(ctx) == ctx);
    return SMFIS_ACCEPT;
}

static sfsistat
api_abort(SMFICTX *ctx)
{
    (void)ctx;
    fprintf(out, "abort\n");
    return SMFIS_CONTINUE;
}

static sfsistat
api_close(SMFICTX *ctx)
{
    fprintf(out, "close priv-set=%d\n", smfi_getpriv(ctx) != NULL);
    fflush(out);
    smfi_setpriv(ctx, NULL);
    return SMFIS_CONTINUE;
}

static sfsistat
api_data(SMFICTX *ctx)
{
    (void)ctx;
    fprintf(out, "data\n");
    return SMFIS_CONTINUE;
}

static struct smfiDesc api_desc = {
    .xxfi_name = "libmilter-api",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS,
    .xxfi_connect = api_connect,
    .xxfi_helo = api_helo,
    .xxfi_envfrom = api_envfrom,
    .xxfi_envrcpt = api_envrcpt,
    .xxfi_header = api_header,
    .xxfi_eoh = api_eoh,
    .xxfi_body = api_body,
    .xxfi_eom = api_eom,
    .xxfi_abort = api_abort,
    .xxfi_close = api_close,
    .xxfi_data = api_data,
    .xxfi_negotiate = api_negotiate,
};

int
main(int argc, char **argv)
{
    const char *log = getenv("LIBMILTER_API_LOG");

    if (argc != 2 || !log) {
        fprintf(stderr, "usage: LIBMILTER_API_LOG=FILE %s CONNECTION-SPEC\n", argv[0]);
        return 2;
    }
    out = fopen(log, "a");
    if (!out || smfi_setconn(argv[1]) == MI_FAILURE ||
        smfi_register(api_desc) == MI_FAILURE)
        return 1;
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}

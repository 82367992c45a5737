/*
 * libmilter-body - libmilter test milter that replaces the body and quarantines
 *
 * SYNOPSIS
 *   cc -o libmilter-body libmilter-body.c -lmilter -pthread
 *   ./libmilter-body inet:PORT@127.0.0.1 | unix:/path
 *
 * DESCRIPTION
 *   Registers only an end-of-message callback, so libmilter switches off
 *   (SMFIP_NO*) connect, helo, envelope-from/-recipient, headers,
 *   end-of-header and body. Actions requested: CHGBODY | QUARANTINE.
 *   At end-of-message it sends, in this order, then accept:
 *     replace-body  "replaced body\r\n" (15 bytes, one 'b' packet)
 *     quarantine    "test quarantine"
 *   Written for this project's integration tests (not derived from any
 *   sample milter).
 *
 * DIAGNOSTICS
 *   Start, each end-of-message and stop are logged on stderr. Exits 1 if the
 *   connection spec is refused or libmilter cannot start; exits after
 *   SIGTERM (libmilter takes up to ~5 s to leave smfi_main()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

static const char replaced_body[] = "replaced body\r\n";

static sfsistat
body_eom(SMFICTX *ctx)
{
    if (smfi_replacebody(ctx, (unsigned char *)replaced_body,
                         (int)strlen(replaced_body)) != MI_SUCCESS) {
        fprintf(stderr, "libmilter-body: smfi_replacebody failed\n");
        return SMFIS_TEMPFAIL;
    }
    if (smfi_quarantine(ctx, "test quarantine") != MI_SUCCESS) {
        fprintf(stderr, "libmilter-body: smfi_quarantine failed\n");
        return SMFIS_TEMPFAIL;
    }
    fprintf(stderr, "libmilter-body: eom: body replaced, quarantined\n");
    return SMFIS_ACCEPT;
}

static struct smfiDesc body_desc = {
    .xxfi_name = "libmilter-body",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_CHGBODY | SMFIF_QUARANTINE,
    .xxfi_eom = body_eom,
};

int
main(int argc, char **argv)
{
    int status;

    if (argc != 2) {
        fprintf(stderr, "usage: %s CONNECTION-SPEC\n", argv[0]);
        return 2;
    }
    if (smfi_setconn(argv[1]) == MI_FAILURE) {
        fprintf(stderr, "libmilter-body: bad connection spec %s\n", argv[1]);
        return 1;
    }
    if (smfi_register(body_desc) == MI_FAILURE) {
        fprintf(stderr, "libmilter-body: smfi_register failed\n");
        return 1;
    }
    fprintf(stderr, "libmilter-body: listening on %s\n", argv[1]);
    status = smfi_main();
    fprintf(stderr, "libmilter-body: stopped (%d)\n", status);
    return status == MI_SUCCESS ? 0 : 1;
}

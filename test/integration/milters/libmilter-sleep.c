/*
 * libmilter-sleep - libmilter test milter whose helo callback blocks
 *
 * SYNOPSIS
 *   cc -o libmilter-sleep libmilter-sleep.c -lmilter -pthread
 *   ./libmilter-sleep inet:PORT@127.0.0.1 | unix:/path
 *
 * DESCRIPTION
 *   A helo name "sleep-N" makes xxfi_helo sleep N seconds with sleep(3),
 *   blocking its thread as a real milter blocks on DNS or a scanner;
 *   "stop" calls smfi_stop() from the callback; any other name continues
 *   at once. End-of-message accepts and adds
 *   "X-Helo: NAME" (SMFIF_ADDHDRS), so the name kept in the session's
 *   private data shows that each session saw its own. Every callback
 *   writes "helo NAME" / "eom NAME" on stderr (flushed), which tests
 *   poll for. Written for this project's integration tests.
 *
 * DIAGNOSTICS
 *   Exits 1 if the connection spec is refused or smfi_main fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static sfsistat
sleep_helo(SMFICTX *ctx, char *name)
{
    char *copy = strdup(name);

    free(smfi_getpriv(ctx));
    smfi_setpriv(ctx, copy);
    fprintf(stderr, "helo %s\n", name);
    fflush(stderr);
    if (strncmp(name, "sleep-", 6) == 0)
        sleep((unsigned int)atoi(name + 6));
    if (strcmp(name, "stop") == 0 && smfi_stop() != MI_SUCCESS)
        return SMFIS_TEMPFAIL;
    return SMFIS_CONTINUE;
}

static sfsistat
sleep_eom(SMFICTX *ctx)
{
    char *name = smfi_getpriv(ctx);

    fprintf(stderr, "eom %s\n", name ? name : "?");
    fflush(stderr);
    if (name && smfi_addheader(ctx, "X-Helo", name) != MI_SUCCESS)
        return SMFIS_TEMPFAIL;
    return SMFIS_ACCEPT;
}

static sfsistat
sleep_close(SMFICTX *ctx)
{
    free(smfi_getpriv(ctx));
    smfi_setpriv(ctx, NULL);
    return SMFIS_CONTINUE;
}

static struct smfiDesc sleep_desc = {
    .xxfi_name = "libmilter-sleep",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS,
    .xxfi_helo = sleep_helo,
    .xxfi_eom = sleep_eom,
    .xxfi_close = sleep_close,
};

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CONNECTION-SPEC\n", argv[0]);
        return 2;
    }
    if (smfi_setconn(argv[1]) == MI_FAILURE ||
        smfi_register(sleep_desc) == MI_FAILURE)
        return 1;
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}

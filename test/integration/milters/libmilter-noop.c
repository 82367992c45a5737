/*
 * libmilter-noop - libmilter milter that continues everywhere, for benchmarks
 *
 * SYNOPSIS
 *   cc -O2 -o libmilter-noop libmilter-noop.c -lmilter -pthread
 *   ./libmilter-noop inet:PORT@127.0.0.1 | unix:/path
 *
 * DESCRIPTION
 *   Every callback is registered (connect, helo, envelope-from,
 *   envelope-recipient, data, unknown, header, end-of-header, body) and
 *   answers continue; end-of-message answers accept. No actions are
 *   requested and no xxfi_negotiate is set, so libmilter asks the MTA for
 *   every step with a reply: the worst case a manager has to relay, which is
 *   what a benchmark child should cost. It does no work per event and does
 *   not log per message.
 *
 *   With LIBMILTER_NOOP_BODY_LOG=PATH in the environment it also sums up
 *   the body it received, so a test can check what arrived at the milter
 *   rather than the MTA side's own copy: at end-of-message it appends
 *   "BYTES CHUNKS FNV1A" (the body's size, the number of body callbacks,
 *   its 32-bit FNV-1a hash in hex) as one line to PATH.
 *
 * DIAGNOSTICS
 *   Start and stop are logged on stderr. Exits 1 if the connection spec is
 *   refused; exits after SIGTERM (libmilter takes up to ~5 s).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libmilter/mfapi.h>

static sfsistat
noop_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    (void)ctx; (void)host; (void)addr;
    return SMFIS_CONTINUE;
}

static sfsistat
noop_helo(SMFICTX *ctx, char *name)
{
    (void)ctx; (void)name;
    return SMFIS_CONTINUE;
}

static sfsistat
noop_envelope(SMFICTX *ctx, char **argv)
{
    (void)ctx; (void)argv;
    return SMFIS_CONTINUE;
}

static sfsistat
noop_header(SMFICTX *ctx, char *name, char *value)
{
    (void)ctx; (void)name; (void)value;
    return SMFIS_CONTINUE;
}

static sfsistat
noop_step(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_CONTINUE;
}

static const char *body_log;

typedef struct {
    unsigned long long bytes;
    unsigned long chunks;
    uint32_t hash;
} BodySum;

static BodySum *
body_sum(SMFICTX *ctx)
{
    BodySum *sum = smfi_getpriv(ctx);

    if (!sum) {
        sum = calloc(1, sizeof(*sum));
        if (!sum)
            return NULL;
        sum->hash = 2166136261u;
        smfi_setpriv(ctx, sum);
    }
    return sum;
}

static void
body_sum_free(SMFICTX *ctx)
{
    free(smfi_getpriv(ctx));
    smfi_setpriv(ctx, NULL);
}

static sfsistat
noop_body(SMFICTX *ctx, unsigned char *chunk, size_t size)
{
    BodySum *sum;

    if (!body_log || !(sum = body_sum(ctx)))
        return SMFIS_CONTINUE;
    sum->bytes += size;
    sum->chunks++;
    for (size_t i = 0; i < size; i++)
        sum->hash = (sum->hash ^ chunk[i]) * 16777619u;
    return SMFIS_CONTINUE;
}

static sfsistat
noop_abort(SMFICTX *ctx)
{
    if (body_log)
        body_sum_free(ctx);
    return SMFIS_CONTINUE;
}

static sfsistat
noop_unknown(SMFICTX *ctx, const char *command)
{
    (void)ctx; (void)command;
    return SMFIS_CONTINUE;
}

static sfsistat
noop_eom(SMFICTX *ctx)
{
    if (body_log) {
        BodySum *sum = body_sum(ctx);
        FILE *log = fopen(body_log, "a");

        if (sum && log)
            fprintf(log, "%llu %lu %08x\n", sum->bytes, sum->chunks,
                    (unsigned) sum->hash);
        if (log)
            fclose(log);
        body_sum_free(ctx);
    }
    return SMFIS_ACCEPT;
}

static struct smfiDesc noop_desc = {
    .xxfi_name = "libmilter-noop",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = 0,
    .xxfi_connect = noop_connect,
    .xxfi_helo = noop_helo,
    .xxfi_envfrom = noop_envelope,
    .xxfi_envrcpt = noop_envelope,
    .xxfi_header = noop_header,
    .xxfi_eoh = noop_step,
    .xxfi_body = noop_body,
    .xxfi_eom = noop_eom,
    .xxfi_abort = noop_abort,
    .xxfi_close = noop_abort,
    .xxfi_unknown = noop_unknown,
    .xxfi_data = noop_step,
};

int
main(int argc, char **argv)
{
    int status;

    if (argc != 2) {
        fprintf(stderr, "usage: %s CONNECTION-SPEC\n", argv[0]);
        return 2;
    }
    body_log = getenv("LIBMILTER_NOOP_BODY_LOG");
    if (smfi_setconn(argv[1]) == MI_FAILURE) {
        fprintf(stderr, "libmilter-noop: bad connection spec %s\n", argv[1]);
        return 1;
    }
    if (smfi_register(noop_desc) == MI_FAILURE) {
        fprintf(stderr, "libmilter-noop: smfi_register failed\n");
        return 1;
    }
    fprintf(stderr, "libmilter-noop: listening on %s\n", argv[1]);
    status = smfi_main();
    fprintf(stderr, "libmilter-noop: stopped (%d)\n", status);
    return status == MI_SUCCESS ? 0 : 1;
}

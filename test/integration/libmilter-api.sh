#!/bin/sh
# libmilter-api.sh - every smfi_* call returns on our libmilter what it returns on Sendmail's
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-api.sh
#
# DESCRIPTION
#   Builds test/integration/milters/libmilter-api.c twice, against
#   Sendmail's libmilter (libmilter-dev) and against ours, and sends each
#   the same session from milter-test-server (its default macros and one
#   more per stage; not a second value for a defined name: libmilter
#   takes the first definition in a packet, we the last), one recipient,
#   three headers, a body. The milter logs the callbacks in order, what
#   xxfi_negotiate is offered, macro values and the result of every
#   smfi_* call made the right and the wrong way (modifications outside
#   end-of-message or without their action, bad reply codes, bad
#   indexes, NULL arguments). Two sessions: the second asks for
#   SMFIF_SETSYMLIST, so the macro list set with smfi_setsymlist takes
#   effect ({mail_test} is not sent then). The two logs must be identical, and so must
#   milter-test-server's output (the modifications that took effect).
#   Prints TAP; skipped without libmilter-dev.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

if ! it_have_pkgs libmilter-dev; then
    tap_skip_all "not installed: $IT_MISSING"
fi
it_init
tap_plan 4
SERVER=$top_builddir/src/milter-test-server

for flavour in sendmail ours; do
    if [ $flavour = ours ]; then IT_LIBMILTER=ours; else IT_LIBMILTER=; fi
    if it_build_c_milter "$IT_DIR/milters/libmilter-api.c" "$IT_WORK/api-$flavour" \
        2>"$IT_WORK/cc-$flavour.log"; then
        tap_ok "libmilter-api builds on $flavour's libmilter"
    else
        tap_not_ok "libmilter-api builds on $flavour's libmilter"
        tap_diag_file "$IT_WORK/cc-$flavour.log"
        continue
    fi
    port=$(it_free_port)
    it_start "api-$flavour" env LIBMILTER_API_LOG="$IT_WORK/$flavour.calls" \
        "$IT_WORK/api-$flavour" "inet:$port@127.0.0.1"
    pid=$IT_PID
    it_wait_port "$port" 10 "$pid"
    for session in 1 2; do
        "$SERVER" --all-timeouts 30 -s "inet:$port@127.0.0.1" --output-message \
            --connect-macro '{client_test}:connect-value' \
            --envelope-from-macro '{mail_test}:from-value' \
            -f '<alice@example.test>' -r '<bob@example.net>' \
            -h 'From:<alice@example.test>' -h 'Subject:hi' -h 'X-Gone:1' -b 'Hello.' \
            2>&1 | grep -v '^elapsed-time: ' >>"$IT_WORK/$flavour.server"
    done
    it_stop "$pid"
done
IT_LIBMILTER=

if [ -s "$IT_WORK/sendmail.calls" ] && cmp -s "$IT_WORK/sendmail.calls" "$IT_WORK/ours.calls"; then
    tap_ok "the same callbacks, offers, macros and smfi_* results ($(wc -l <"$IT_WORK/ours.calls") lines)"
else
    tap_not_ok "the same callbacks, offers, macros and smfi_* results"
    diff -u "$IT_WORK/sendmail.calls" "$IT_WORK/ours.calls" | sed 's/^/# /'
fi
if [ -s "$IT_WORK/sendmail.server" ] && cmp -s "$IT_WORK/sendmail.server" "$IT_WORK/ours.server"; then
    tap_ok "the same modifications reach the MTA"
else
    tap_not_ok "the same modifications reach the MTA"
    diff -u "$IT_WORK/sendmail.server" "$IT_WORK/ours.server" | sed 's/^/# /'
fi
tap_done

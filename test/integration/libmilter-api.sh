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
#   Then test/integration/milters/raw-mta-flows.py ends sessions the other
#   ways (EOF in the middle of a message, abort then a second message,
#   a protocol version libmilter refuses): the
#   milter's logs (xxfi_abort, xxfi_close, what each callback saw) and the
#   replies must be the same on both libraries too.
#   A third build, on our headers and linked with Sendmail's library, must
#   give the same results too (the ABI seen from the other side).
#   Prints TAP; skipped without libmilter-dev.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

if ! it_have_pkgs libmilter-dev; then
    tap_skip_all "not installed: $IT_MISSING"
fi
it_init
tap_plan 7
SERVER=$top_builddir/src/milter-test-server

# cross: our headers, Sendmail's library (the ABI the other way round).
build() { # FLAVOUR
    case $1 in
    sendmail) IT_LIBMILTER= it_build_c_milter "$IT_DIR/milters/libmilter-api.c" "$IT_WORK/api-$1" ;;
    ours) IT_LIBMILTER=ours it_build_c_milter "$IT_DIR/milters/libmilter-api.c" "$IT_WORK/api-$1" ;;
    cross) ${CC:-cc} -O2 -Wall -Wextra -I"$top_srcdir" -o "$IT_WORK/api-$1" \
        "$IT_DIR/milters/libmilter-api.c" -lmilter -pthread &&
        ldd "$IT_WORK/api-$1" | grep -q 'libmilter.so.1.0.1 => /lib/' ;;
    esac
}

for flavour in sendmail ours cross; do
    if build $flavour 2>"$IT_WORK/cc-$flavour.log"; then
        tap_ok "libmilter-api builds ($flavour)"
    else
        tap_not_ok "libmilter-api builds ($flavour)"
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
    # Sessions that end otherwise: each flow waits for the milter's
    # xxfi_close before the next one, so the log keeps one order.
    # (Not quit-new-connection: Debian's libmilter 8.17 then neither calls
    # xxfi_close nor answers the next connect, so the MTA would hang; we
    # do what libmilter's engine describes: xxfi_close, then a new
    # session on the same connection.)
    for flow in eof abort old; do
        closes=$(grep -c '^close ' "$IT_WORK/$flavour.calls")
        expect=$((closes + 1))
        echo "flow $flow" >>"$IT_WORK/$flavour.flows"
        "$IT_PYTHON" "$IT_DIR/milters/raw-mta-flows.py" "$port" $flow \
            >>"$IT_WORK/$flavour.flows" 2>&1
        i=0
        while [ "$(grep -c '^close ' "$IT_WORK/$flavour.calls")" -lt $expect ] && [ $i -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
    done
    it_stop "$pid"
done
IT_LIBMILTER=

if [ -s "$IT_WORK/sendmail.calls" ] && cmp -s "$IT_WORK/sendmail.calls" "$IT_WORK/cross.calls" &&
    cmp -s "$IT_WORK/sendmail.server" "$IT_WORK/cross.server"; then
    tap_ok "built on our headers, linked with Sendmail's library: the same results"
else
    tap_not_ok "built on our headers, linked with Sendmail's library: the same results"
    diff -u "$IT_WORK/sendmail.calls" "$IT_WORK/cross.calls" | sed 's/^/# /'
fi
tap_check_same "the same callbacks, offers, macros and smfi_* results" \
    "$IT_WORK/sendmail.calls" "$IT_WORK/ours.calls"
tap_check_same "the same replies when sessions end by EOF, abort, an old version" \
    "$IT_WORK/sendmail.flows" "$IT_WORK/ours.flows"
tap_check_same "the same modifications reach the MTA" \
    "$IT_WORK/sendmail.server" "$IT_WORK/ours.server"
tap_done

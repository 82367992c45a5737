#!/bin/sh
# libmilter-test-client.sh - milter-test-client-libmilter prints what milter-test-client prints
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-test-client.sh
#
# DESCRIPTION
#   Sends the same session (connect and envelope-from macros, two
#   recipients, a header, a body) from milter-test-server to
#   milter-test-client and to milter-test-client-libmilter (on our
#   libmilter). The event lines must be the same, in the same order, and
#   each macro milter-test-client shows must be shown by the libmilter
#   twin for the same event (the twin asks smfi_getsymval for well-known
#   names, so it may show more, e.g. "i" at every message stage). Then
#   --no-report-request prints nothing, --version prints the version and
#   --report-memory-profile prints one "memory: RSS=N KiB" line per
#   session. Prints TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

it_init
tap_plan 5
SERVER=$top_builddir/src/milter-test-server
TWIN=$top_builddir/src/milter-test-client-libmilter
PLAIN=$top_builddir/src/milter-test-client

# run NAME PROGRAM [OPTIONS]: one session against PROGRAM; output in NAME.out.
run() {
    _name=$1
    shift
    _port=$(it_free_port)
    it_start "$_name" "$@" -s "inet:$_port@127.0.0.1"
    _pid=$IT_PID
    it_wait_port "$_port" 10 "$_pid"
    "$SERVER" --all-timeouts 30 -s "inet:$_port@127.0.0.1" \
        --connect-macro 'j:mx.example.test' --envelope-from-macro '{mail_addr}:alice@example.test' \
        -f '<alice@example.test>' -r '<bob@example.net>' -r '<carol@example.net>' \
        -h 'From:<alice@example.test>' -b 'Hello.' >"$IT_WORK/$_name.server" 2>&1
    it_stop "$_pid"
    cp "$IT_WORK/$_name.log" "$IT_WORK/$_name.out"
}

run plain "$PLAIN"
run twin "$TWIN"
grep -v -e '^macros:$' -e '^  ' "$IT_WORK/plain.out" >"$IT_WORK/plain.events"
grep -v -e '^macros:$' -e '^  ' -e '^memory: ' "$IT_WORK/twin.out" >"$IT_WORK/twin.events"
tap_check_same "the same events in the same order" \
    "$IT_WORK/plain.events" "$IT_WORK/twin.events"

# EVENT-LINE<TAB>MACRO for every macro shown.
macros() {
    awk '/^macros:$/ { next } /^  / { print event "\t" substr($0, 3); next } { event = $0 }' "$1" | sort
}
macros "$IT_WORK/plain.out" >"$IT_WORK/plain.macros"
macros "$IT_WORK/twin.out" >"$IT_WORK/twin.macros"
missing=$(comm -23 "$IT_WORK/plain.macros" "$IT_WORK/twin.macros")
if [ -s "$IT_WORK/plain.macros" ] && [ -z "$missing" ] &&
    grep -q "^connect: .*	j=mx.example.test$" "$IT_WORK/twin.macros"; then
    tap_ok "every macro milter-test-client shows, at the same event"
else
    tap_not_ok "every macro milter-test-client shows, at the same event"
    tap_diag "missing: $missing"
fi

run quiet "$TWIN" --no-report-request
tap_check "--no-report-request prints nothing" test ! -s "$IT_WORK/quiet.out"
tap_check "--version prints the version" test "$("$TWIN" --version)" = "$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")"
run memory "$TWIN" --no-report-request --report-memory-profile
if [ "$(grep -c '^memory: RSS=[0-9][0-9]* KiB$' "$IT_WORK/memory.out")" -eq 1 ]; then
    tap_ok "--report-memory-profile prints the RSS after the session"
else
    tap_not_ok "--report-memory-profile prints the RSS after the session"
    tap_diag_file "$IT_WORK/memory.out"
fi
tap_done

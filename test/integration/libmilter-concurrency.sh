#!/bin/sh
# libmilter-concurrency.sh - on our libmilter a blocking callback holds up its own session only
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-concurrency.sh
#
# DESCRIPTION
#   Builds test/integration/milters/libmilter-sleep.c against our headers
#   and library. Session A says "HELO sleep-4", so the milter's xxfi_helo
#   blocks its thread in sleep(3) for 4 s; while it sleeps, session B
#   ("HELO fast") must complete within 2 s with its own X-Helo header
#   (per-session private data), and A must still be running then; A then
#   completes with "X-Helo: sleep-4". Then, on a unix socket, SIGTERM
#   while a callback sleeps 3 s: the milter must exit within 3 + 3 s
#   with status 0 (smfi_main returns once the callback has returned) and
#   its socket file must be gone. SIGHUP and SIGINT stop it too (exit 0),
#   and so does smfi_stop() called from a callback ("HELO stop"). Prints
#   TAP.
#
# DIAGNOSTICS
#   Failures show the milter's log and milter-test-server's output.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

it_init
tap_plan 9
SERVER=$top_builddir/src/milter-test-server
MILTER=$IT_WORK/libmilter-sleep
it_use_our_libmilter

now() {
    date +%s.%N
}

# wait_log FILE TEXT SECS: bounded poll for a line in a log.
wait_log() {
    _ticks=$(($3 * 10))
    while [ $_ticks -gt 0 ]; do
        grep -qx "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        _ticks=$((_ticks - 1))
    done
    return 1
}

session() { # SPEC HELO OUT
    "$SERVER" --all-timeouts 30 -s "$1" --helo-fqdn "$2" --output-message \
        -h 'From:<sender@example.com>' -b 'body' >"$3" 2>&1
}

if ! it_build_c_milter "$IT_DIR/milters/libmilter-sleep.c" "$MILTER" 2>"$IT_WORK/cc.log"; then
    tap_diag_file "$IT_WORK/cc.log"
    for t in 1 2 3 4 5 6; do tap_not_ok "libmilter-sleep did not build"; done
    tap_done
fi
tap_ok "libmilter-sleep builds on our headers and loads our library"

port=$(it_free_port)
it_start milter "$MILTER" "inet:$port@127.0.0.1"
milter_pid=$IT_PID
it_wait_port "$port" 10 "$milter_pid"

session "inet:$port@127.0.0.1" sleep-4 "$IT_WORK/a.out" &
a_pid=$!
if wait_log "$IT_WORK/milter.log" "helo sleep-4" 10; then
    start=$(now)
    session "inet:$port@127.0.0.1" fast "$IT_WORK/b.out"
    b_status=$?
    end=$(now)
    a_running=no
    it_alive "$a_pid" && a_running=yes
    elapsed=$(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }')
    if [ "$b_status" -eq 0 ] && grep -q '^+ X-Helo: fast$' "$IT_WORK/b.out" &&
        awk -v e="$elapsed" 'BEGIN { exit !(e < 2) }' && [ $a_running = yes ]; then
        tap_ok "session B completed in ${elapsed}s while A's callback slept"
    else
        tap_not_ok "session B completed in ${elapsed}s while A's callback slept (status $b_status, A running: $a_running)"
        tap_diag_file "$IT_WORK/b.out"
        tap_diag_file "$IT_WORK/milter.log"
    fi
else
    tap_not_ok "session A reached xxfi_helo"
    tap_diag_file "$IT_WORK/milter.log"
fi
wait "$a_pid"
a_status=$?
if [ "$a_status" -eq 0 ] && grep -q '^+ X-Helo: sleep-4$' "$IT_WORK/a.out"; then
    tap_ok "session A completed after its callback returned, with its own private data"
else
    tap_not_ok "session A completed after its callback returned, with its own private data"
    tap_diag_file "$IT_WORK/a.out"
fi
tap_check "the milter exits after SIGTERM" it_stop "$milter_pid"

# SIGTERM while a callback blocks.
sock=$IT_WORK/sleep.sock
it_start milter2 "$MILTER" "unix:$sock"
milter_pid=$IT_PID
it_wait_unix "$sock" 10 "$milter_pid"
session "unix:$sock" sleep-3 "$IT_WORK/c.out" &
c_pid=$!
wait_log "$IT_WORK/milter2.log" "helo sleep-3" 10
start=$(now)
kill -TERM "$milter_pid"
IT_STOP_WAIT=6 it_stop "$milter_pid"
stopped=$?
end=$(now)
elapsed=$(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }')
if [ "$stopped" -eq 0 ] && [ "$IT_STATUS" -eq 0 ]; then
    tap_ok "SIGTERM during a sleeping callback: smfi_main returned 0 after ${elapsed}s"
else
    tap_not_ok "SIGTERM during a sleeping callback: smfi_main returned 0 (status $IT_STATUS after ${elapsed}s)"
    tap_diag_file "$IT_WORK/milter2.log"
fi
wait "$c_pid"
tap_check "the unix socket file is removed" test ! -e "$sock"

# stop_by NAME HOW: start the milter, stop it by HOW (a signal name, or
# "callback" for smfi_stop() in xxfi_helo); it must exit 0.
stop_by() {
    _port=$(it_free_port)
    it_start "$1" "$MILTER" "inet:$_port@127.0.0.1"
    _pid=$IT_PID
    it_wait_port "$_port" 10 "$_pid"
    if [ "$2" = callback ]; then
        session "inet:$_port@127.0.0.1" stop "$IT_WORK/$1.out"
    else
        kill -"$2" "$_pid"
    fi
    # It must go by itself (it_stop would send SIGTERM).
    _ticks=50
    while it_alive "$_pid" && [ $_ticks -gt 0 ]; do
        sleep 0.1
        _ticks=$((_ticks - 1))
    done
    _gone=no
    it_alive "$_pid" || _gone=yes
    it_stop "$_pid"
    [ $_gone = yes ] && [ "$IT_STATUS" -eq 0 ]
}
tap_check "SIGHUP stops smfi_main (exit 0)" stop_by hup HUP
tap_check "SIGINT stops smfi_main (exit 0)" stop_by int INT
tap_check "smfi_stop() in a callback stops smfi_main (exit 0)" stop_by callback callback
tap_done

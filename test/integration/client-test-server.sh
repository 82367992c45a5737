#!/bin/sh
# client-test-server.sh - milter-test-server drives milter-test-client over
# unix and inet sockets, with both event loop backends, in single-thread,
# multi-thread and multi-worker (--n-workers 2) mode: one session whose
# result is checked (status, added header, the body), then 300 sessions
# 16 at a time without a failure; a killed worker is replaced; a file
# that is not a socket at the socket path and a PID file of a live
# process make the start fail. Needs nothing outside this tree.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
B=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
TEST_CLIENT=$B/src/milter-test-client
TEST_SERVER=$B/src/milter-test-server

[ -x "$TEST_SERVER" ] || tap_skip_all "milter-test-server is not built"
tap_plan 31

n=0
for socket in unix inet; do
    for backend in glib libev; do
        for runner in single-thread multi-thread workers; do
            n=$((n + 1))
            case $runner in
            single-thread) extra= ;;
            multi-thread) extra=--multi-thread ;;
            workers) extra="--n-workers 2" ;;
            esac
            if [ $socket = unix ]; then
                spec=unix:$IT_WORK/milter-$n.sock
            else
                spec=inet:$(it_free_port)@127.0.0.1
            fi
            name="$socket $backend $runner"
            # shellcheck disable=SC2086
            it_start "client-$n" "$TEST_CLIENT" -s "$spec" --quiet \
                --event-loop-backend $backend $extra \
                --add-header "X-Runner:$runner" --reply envelope-recipient=continue
            pid=$IT_PID
            if [ $socket = unix ]; then
                it_wait_unix "$IT_WORK/milter-$n.sock" 10 "$pid"
            else
                spec_port=${spec#inet:}
                it_wait_port "${spec_port%@*}" 10 "$pid"
            fi
            "$TEST_SERVER" -s "$spec" -f '<alice@example.test>' -r '<bob@example.net>' \
                -h 'Subject:test' -b 'hello' --output-message \
                --event-loop-backend $backend >"$IT_WORK/one-$n.out" 2>&1
            rc=$?
            grep -q '^status: accept' "$IT_WORK/one-$n.out" &&
                grep -q "^+ X-Runner: $runner$" "$IT_WORK/one-$n.out"
            tap_result $((rc + $?)) "$name: one session, header added" ||
                tap_diag_file "$IT_WORK/one-$n.out"
            "$TEST_SERVER" -s "$spec" --n-sessions 300 --concurrency 16 \
                --event-loop-backend $backend >"$IT_WORK/load-$n.out" 2>&1
            rc=$?
            grep -q '^failed: 0$' "$IT_WORK/load-$n.out" &&
                grep -q '^status-accept: 300$' "$IT_WORK/load-$n.out"
            tap_result $((rc + $?)) "$name: 300 sessions, 16 at a time" ||
                tap_diag_file "$IT_WORK/load-$n.out"
        done
    done
done

# A dying worker is replaced and the socket keeps serving.
it_start workers "$TEST_CLIENT" -s "unix:$IT_WORK/w.sock" --quiet --n-workers 2
WPID=$IT_PID
it_wait_unix "$IT_WORK/w.sock" 10 "$WPID"
# Bounded polls: both workers up, then the victim reaped and replaced.
i=0
while [ "$(pgrep -P "$WPID" | wc -l)" != 2 ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
victim=$(pgrep -P "$WPID" | head -1)
[ -n "$victim" ] && kill -KILL "$victim"
# A worker that lived less than a second is restarted after one.
i=0
while [ $i -lt 30 ]; do
    sleep 0.1
    i=$((i + 1))
    now=$(pgrep -P "$WPID" | tr '\n' ' ')
    ! it_alive "$victim" && [ "$(echo $now | wc -w)" = 2 ] &&
        ! echo " $now" | grep -q " $victim " && break
done
tap_check "the killed worker $victim is gone" sh -c "! kill -0 $victim 2>/dev/null"
tap_check "a killed worker is restarted (was $victim, now $now)" \
    test "$(echo $now | wc -w)" = 2
"$TEST_SERVER" -s "unix:$IT_WORK/w.sock" --n-sessions 100 --concurrency 8 >"$IT_WORK/w.out" 2>&1
tap_check "the workers serve 100 sessions after the restart" grep -q '^failed: 0$' "$IT_WORK/w.out"
it_stop "$WPID"
tap_check "the master stops cleanly on SIGTERM and removes the socket" \
    test "$IT_STATUS" = 0 -a ! -e "$IT_WORK/w.sock"

# What is at a unix socket path and is not a socket is refused, named in
# the error and left alone; so is a PID file of a live process.
printf 'precious\n' >"$IT_WORK/not-a-socket"
timeout 10 "$TEST_CLIENT" -s "unix:$IT_WORK/not-a-socket" --quiet >"$IT_WORK/nas.out" 2>&1
rc=$?
tap_check "a regular file at the socket path: start fails, naming it" \
    sh -c "[ $rc = 1 ] && grep -q 'not-a-socket.*not a socket' '$IT_WORK/nas.out'" ||
    tap_diag_file "$IT_WORK/nas.out"
tap_check "a regular file at the socket path is kept" \
    test "$(cat "$IT_WORK/not-a-socket")" = precious
echo $$ >"$IT_WORK/live.pid"
timeout 10 "$TEST_CLIENT" -s "unix:$IT_WORK/p.sock" --quiet --pid-file "$IT_WORK/live.pid" \
    >"$IT_WORK/pid.out" 2>&1
rc=$?
tap_check "a PID file of a live process: start fails, file kept, no socket left" \
    sh -c "[ $rc = 1 ] && [ \"\$(cat '$IT_WORK/live.pid')\" = $$ ] && [ ! -e '$IT_WORK/p.sock' ] &&
        grep -q 'pid-file' '$IT_WORK/pid.out'" ||
    tap_diag_file "$IT_WORK/pid.out"

tap_done

#!/bin/sh
# client-test-server.sh - milter-test-server drives milter-test-client over
# unix and inet sockets, with both event loop backends, in single-thread,
# multi-thread and multi-worker (--n-workers 2) mode: one session whose
# result is checked (status, added header, the body), then 300 sessions
# 16 at a time without a failure. Needs nothing outside this tree.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
B=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
TEST_CLIENT=$B/src/milter-test-client
TEST_SERVER=$B/src/milter-test-server

[ -x "$TEST_SERVER" ] || tap_skip_all "milter-test-server is not built"
tap_plan 27

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
sleep 0.3
victim=$(pgrep -P "$WPID" | head -1)
[ -n "$victim" ] && kill -KILL "$victim"
# A worker that lived less than a second is restarted after one.
i=0
while [ $i -lt 30 ]; do
    sleep 0.1
    i=$((i + 1))
    now=$(pgrep -P "$WPID" | tr '\n' ' ')
    [ "$(echo $now | wc -w)" = 2 ] && ! echo " $now" | grep -q " $victim " && break
done
tap_check "a killed worker is restarted (was $victim, now $now)" \
    test "$(echo $now | wc -w)" = 2
"$TEST_SERVER" -s "unix:$IT_WORK/w.sock" --n-sessions 100 --concurrency 8 >"$IT_WORK/w.out" 2>&1
tap_check "the workers serve 100 sessions after the restart" grep -q '^failed: 0$' "$IT_WORK/w.out"
it_stop "$WPID"
tap_check "the master stops cleanly on SIGTERM and removes the socket" \
    test "$IT_STATUS" = 0 -a ! -e "$IT_WORK/w.sock"

tap_done

#!/bin/sh
# agent-drain.sh - an MTA that sends end-of-message and quit (or its end
# of input) in one go and reads only afterwards gets every reply from the
# real milter-test-client: the whole 8 MB replace-body, then the final
# reply, then a clean end of stream. Unix and inet sockets, both event
# loop backends, single- and multi-thread runners. Needs nothing outside
# this tree but python3.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
B=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
TEST_CLIENT=$B/src/milter-test-client
SIZE=8000000

[ -x "$TEST_CLIENT" ] || tap_skip_all "milter-test-client is not built"
[ -x "$IT_PYTHON" ] || tap_skip_all "no $IT_PYTHON"
tap_plan 16

n=0
for socket in unix inet; do
    for backend in glib libev; do
        for runner in single-thread multi-thread; do
            n=$((n + 1))
            extra=
            [ $runner = multi-thread ] && extra=--multi-thread
            if [ $socket = unix ]; then
                spec=unix:$IT_WORK/milter-$n.sock
            else
                spec=inet:$(it_free_port)@127.0.0.1
            fi
            # shellcheck disable=SC2086
            it_start "client-$n" "$TEST_CLIENT" -s "$spec" --quiet \
                --event-loop-backend $backend $extra \
                --replace-body-size=$SIZE
            pid=$IT_PID
            if [ $socket = unix ]; then
                it_wait_unix "$IT_WORK/milter-$n.sock" 10 "$pid"
            else
                spec_port=${spec#inet:}
                it_wait_port "${spec_port%@*}" 10 "$pid"
            fi
            for ending in quit end-of-input; do
                flag=
                [ $ending = end-of-input ] && flag=--no-quit
                out=$IT_WORK/burst-$n-$ending.out
                # shellcheck disable=SC2086
                "$IT_PYTHON" "$IT_DIR/burst-mta.py" $flag "$spec" >"$out" 2>&1
                rc=$?
                grep -q "^b [0-9]* $SIZE\$" "$out" &&
                    grep -q '^final a$' "$out" && grep -q '^end clean$' "$out"
                tap_result $((rc + $?)) \
                    "$socket $backend $runner: $ending after end-of-message, all replies arrive" ||
                    tap_diag_file "$out"
            done
            it_stop "$pid"
        done
    done
done
tap_done

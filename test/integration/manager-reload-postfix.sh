#!/bin/sh
# manager-reload-postfix.sh - a SIGHUP reload of milter-manager during a
# Postfix run loses no session (issue 10, "Proof behind real MTAs")
#
# smtp-load.py (MM_N messages, 500, 20 sessions in parallel) -> private
# Postfix -> milter-manager with one child (pymilter-header.py, X-Pymilter).
# After a third of the messages the configuration gains a second child
# (milter-test-client adding X-Second) and the manager gets SIGHUP. Every
# message must be delivered (none refused, none lost); every one carries
# X-Pymilter; the sessions that started after the reload carry X-Second
# too (at least the last third), those in flight finish with the old
# configuration (no X-Second, no error); the manager logs the reload.
# Needs root (Postfix's master).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
. "$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)/test/integration/manager-mta-lib.sh"
it_init
mm_init
MM_N=${MM_N:-500}

it_have_pkgs postfix python3-milter || tap_skip_all "missing package: $IT_MISSING"
[ "$(id -u)" = 0 ] || tap_skip_all "Postfix's master must run as root"
[ -x "$MM" ] || tap_skip_all "milter-manager is not built"
tap_plan 6

PYM_PORT=$(it_free_port)
SECOND_PORT=$(it_free_port)
mm_pymilter_start "$PYM_PORT"
it_start second "$MM_B/src/milter-test-client" -s "inet:$SECOND_PORT@127.0.0.1" --quiet \
    --add-header 'X-Second:added'
SECOND_PID=$IT_PID
it_wait_port "$PYM_PORT" 15 "$PYM_PID" && it_wait_port "$SECOND_PORT" 10 "$SECOND_PID"
mm_milter pymilter "inet:$PYM_PORT@[127.0.0.1]"
mm_write_conf
mm_start_chain

mm_load_start "$MM_N"
mm_sink_wait $((MM_N / 3)) 60
mm_milter second "inet:$SECOND_PORT@[127.0.0.1]"
mm_write_conf
kill -HUP "$MM_PID"
at_reload=$(mm_sink_n)
wait "$LOAD_PID"
mm_sink_wait "$MM_N" 30
tap_diag "$MM_N messages in 20 sessions: $(echo "$(date +%s.%N) - $t0" | bc) s; SIGHUP after $at_reload"

grep -q 'info: \[manager\]\[reload\]\[success\] configuration reloaded: milters: \[pymilter, second\]' "$MM_LOG"
tap_result $? "the manager logged the reload with both milters" || tap_diag "$(grep reload "$MM_LOG")"
d=$(grep -c ' delivered ' "$IT_WORK/load.out")
n=$(mm_sink_n)
[ "$d" = "$MM_N" ] && [ "$n" = "$MM_N" ] && it_alive "$MM_PID"
tap_result $? "no session lost: $d of $MM_N delivered, $n at the sink, the manager alive" ||
    grep -v ' delivered ' "$IT_WORK/load.out" | head -5 | sed 's/^/# /'
p=$(mm_sink_count_with 'X-Pymilter: added')
tap_check "every message carries X-Pymilter ($p)" test "$p" = "$MM_N"
s=$(mm_sink_count_with 'X-Second: added')
[ "$s" -ge $((MM_N / 3)) ] && [ "$s" -le $((MM_N - at_reload)) ]
tap_result $? "the sessions after the reload carry X-Second ($s; between $((MM_N / 3)) and $((MM_N - at_reload)))"
grep -E ' (error|critical): ' "$MM_LOG" | head -5 >"$IT_WORK/mm-errors"
tap_check "the manager logged no error" test ! -s "$IT_WORK/mm-errors" || tap_diag_file "$IT_WORK/mm-errors"
tap_done

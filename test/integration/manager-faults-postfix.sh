#!/bin/sh
# manager-faults-postfix.sh - milter-manager behind Postfix under random
# child faults (issue 10, "Under random child faults")
#
# smtp-load.py (MM_N messages, 2,000 by default, 20 sessions in parallel) ->
# private Postfix -> milter-manager -> fault-milter.py (first; a fault per
# session drawn from MM_SEED: crash, hang, garbage, a reply invalid for
# the state, a doubled reply, a multi-line 550; fallback accept) and
# pymilter-header.py (second, never fails) -> smtp-sink. The fault child's
# process is also killed (SIGKILL) after a third of the run and started
# again. Checks: every message ends delivered, rejected or tempfailed with
# an SMTP reply, none lost; the manager survives; no session lasts as long
# as Postfix's own milter timeouts (30 s) and Postfix logs no milter
# timeout; every delivered message carries X-Pymilter, and X-Fault when
# the fault child sent it in that session (it logs per Message-Id);
# every rejection is the child's multi-line 550.
# Needs root (Postfix's master).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
. "$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)/test/integration/manager-mta-lib.sh"
it_init
mm_init
MM_N=${MM_N:-2000}
MM_SEED=${MM_SEED:-$(date +%s)}

it_have_pkgs postfix python3-milter || tap_skip_all "missing package: $IT_MISSING"
[ "$(id -u)" = 0 ] || tap_skip_all "Postfix's master must run as root"
[ -x "$MM" ] || tap_skip_all "milter-manager is not built"
tap_plan 8
tap_diag "seed $MM_SEED (MM_SEED=$MM_SEED to replay)"

FAULT_PORT=$(it_free_port)
PYM_PORT=$(it_free_port)
FAULT_LOG=$IT_WORK/fault-sessions.log
start_fault() {
    it_start fault "$IT_PYTHON" "$IT_DIR/milters/fault-milter.py" \
        "inet:$FAULT_PORT@127.0.0.1" "$MM_SEED-$1" "$FAULT_LOG"
    FAULT_PID=$IT_PID
    it_wait_port "$FAULT_PORT" 10 "$FAULT_PID"
}
start_fault 1
mm_pymilter_start "$PYM_PORT"
it_wait_port "$PYM_PORT" 15 "$PYM_PID"
mm_milter fault "inet:$FAULT_PORT@[127.0.0.1]"
mm_milter pymilter "inet:$PYM_PORT@[127.0.0.1]"
mm_write_conf
mm_start_chain

mm_load_start "$MM_N"
mm_sink_wait $((MM_N / 4)) 120
kill -KILL "$FAULT_PID"
wait "$FAULT_PID" 2>/dev/null
start_fault 2
restarted=$?
wait "$LOAD_PID"
mm_wait_quiet "$SINK" 15
tap_diag "$MM_N messages in 20 sessions: $(echo "$(date +%s.%N) - $t0" | bc) s"
tap_check "the fault child was killed and restarted on its port" test "$restarted" = 0

it_alive "$MM_PID"
tap_result $? "the manager survives" || tap_diag_file "$IT_WORK/mm.log"

awk '{ n[$2]++ } END { for (k in n) printf "%s %d; ", k, n[k] }' "$IT_WORK/load.out" >"$IT_WORK/outcomes"
bad=$(grep -v -c -E '^[0-9]+ (delivered|rejected|tempfailed) ' "$IT_WORK/load.out")
lines=$(wc -l <"$IT_WORK/load.out")
[ "$lines" = "$MM_N" ] && [ "$bad" = 0 ]
tap_result $? "every message delivered, rejected or tempfailed with a reply ($(cat "$IT_WORK/outcomes")$lines lines)" ||
    grep -v -E ' (delivered|rejected|tempfailed) ' "$IT_WORK/load.out" | head -5 | sed 's/^/# /'

d=$(grep -c ' delivered ' "$IT_WORK/load.out")
n=$(mm_sink_n)
tap_check "none lost: $d delivered, $n at the sink, none left in Postfix's queue" \
    test "$d" = "$n" -a "$(mm_postfix_queued)" = 0

# Rejections only come from the multi-line reply; Postfix passes the
# child's last line as the final one.
r_bad=$(grep ' rejected ' "$IT_WORK/load.out" | grep -v -c 'RCPT=550|5.7.1_fault_line_two$')
tap_check "every rejection is the child's multi-line 550 ($r_bad other)" test "$r_bad" = 0 ||
    grep ' rejected ' "$IT_WORK/load.out" | grep -v 'fault_line_two' | head -3 | sed 's/^/# /'

slow=$(awk '$3 >= 25 { n++ } END { print n + 0 }' "$IT_WORK/load.out")
max=$(awk '$3 > m { m = $3 } END { print m + 0 }' "$IT_WORK/load.out")
timeouts=$(grep -c -i 'milter.*time.*out' "$PF/maillog")
[ "$slow" = 0 ] && [ "$timeouts" = 0 ]
tap_result $? "no session waited for Postfix's milter timeout (longest ${max} s; $timeouts Postfix milter timeouts)" ||
    grep -i 'milter.*time.*out' "$PF/maillog" | head -3 | sed 's/^/# /'

# Each delivered message: X-Pymilter always; X-Fault iff the fault child
# sent it for that Message-Id (a child that failed leaves none).
"$IT_PYTHON" - "$SINK" "$FAULT_LOG" >"$IT_WORK/headers.out" <<'EOF'
import os, re, sys
sink, log = sys.argv[1], sys.argv[2]
sent = {}
for line in open(log):
    f = line.split()
    if len(f) == 5 and f[3] != "-":
        sent[f[3]] = (f[1], f[4] == "1")
problems = 0
for name in os.listdir(sink):
    text = open(os.path.join(sink, name), errors="replace").read()
    head = text.split("\n\n", 1)[0]
    mid = re.search(r"^Message-Id: (\S+)", head, re.M | re.I).group(1)
    fault, header_sent = sent.get(mid, ("unseen", False))
    has_p = "\nX-Pymilter: added\n" in head + "\n"
    n_fault = len(re.findall(r"^X-Fault: ", head, re.M))
    ok_fault = (n_fault == 1 and "\nX-Fault: ok\n" in head + "\n") if header_sent else n_fault == 0
    if not has_p or not ok_fault:
        problems += 1
        if problems <= 5:
            print("%s: fault %s header_sent %s X-Pymilter %s X-Fault %d" % (mid, fault, header_sent, has_p, n_fault))
print("%d problems in %d messages" % (problems, len(os.listdir(sink))))
sys.exit(1 if problems else 0)
EOF
tap_result $? "every delivered message has the header of each child that did not fail ($(tail -1 "$IT_WORK/headers.out"))" ||
    tap_diag "$(head -5 "$IT_WORK/headers.out")"

awk '{ n[$2]++ } END { for (k in n) printf "%s %d; ", k, n[k] }' "$FAULT_LOG" >"$IT_WORK/faults"
tap_diag "fault child sessions: $(cat "$IT_WORK/faults")"
tap_done

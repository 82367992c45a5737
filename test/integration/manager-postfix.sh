#!/bin/sh
# manager-postfix.sh - milter-manager behind a real Postfix with three real
# children (issue 10, "Proof behind real MTAs", Postfix)
#
# smtp-source -> private Postfix -> milter-manager (unix socket) ->
#   pymilter-header.py (adds X-Pymilter: added),
#   opendkim (signs d=example.test),
#   milter-test-client --reply-recipient '2bob@*=reject' (one recipient)
# -> smtp-sink. Each message has two recipients, bob@ and 2bob@ (smtp-source
# -r 2).
# 1. MM_N messages (500), 20 sessions in parallel: every one arrives at the
#    sink for bob@ only, with X-Pymilter and a DKIM-Signature that verifies
#    against the test key; Postfix answered every 2bob@ with the child's
#    550 (its log has one milter-reject per message); nothing else lost.
# 2. The same while the pymilter child is killed (SIGKILL) after a third
#    of the messages: its fallback (accept) applies, so every message is
#    still delivered signed, the 2bob@ recipients still get 550, and the
#    messages delivered after the kill miss only X-Pymilter; the sink
#    count plus the messages the SMTP client saw refused (4xx/5xx at
#    MAIL/DATA) is MM_N: none lost.
# Needs root (Postfix's master). Skips only when a package is missing.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
. "$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)/test/integration/manager-mta-lib.sh"
it_init
mm_init
MM_N=${MM_N:-500}
TEST_CLIENT=$MM_B/src/milter-test-client

it_have_pkgs postfix python3-milter opendkim opendkim-tools python3-cryptography ||
    tap_skip_all "missing package: $IT_MISSING"
[ "$(id -u)" = 0 ] || tap_skip_all "Postfix's master must run as root"
[ -x "$MM" ] || tap_skip_all "milter-manager is not built"
tap_plan 15

PYM_PORT=$(it_free_port)
REJ_PORT=$(it_free_port)
mm_pymilter_start "$PYM_PORT"
it_start rejector "$TEST_CLIENT" -s "inet:$REJ_PORT@127.0.0.1" --quiet \
    --reply-recipient '<2bob@*=reject' --reply-code '550 5.7.1 2bob refused by rejector'
REJ_PID=$IT_PID
mm_opendkim_start && it_wait_port "$PYM_PORT" 15 "$PYM_PID" &&
    it_wait_port "$REJ_PORT" 10 "$REJ_PID"
tap_result $? "children listen: pymilter, opendkim, milter-test-client" ||
    { tap_diag_file "$IT_WORK/pymilter.log"; tap_diag_file "$IT_WORK/opendkim.log"; }

mm_milter pymilter "inet:$PYM_PORT@[127.0.0.1]"
mm_milter opendkim "inet:$DKIM_PORT@[127.0.0.1]"
mm_milter rejector "inet:$REJ_PORT@[127.0.0.1]"
mm_write_conf
mm_start
tap_result $? "milter-manager listens on $MM_SOCK" || tap_diag_file "$IT_WORK/mm.log"
mm_sink_start && mm_postfix_start
tap_result $? "smtp-sink and the private Postfix listen" ||
    { tap_diag_file "$IT_WORK/pf-setup.log"; tap_diag_file "$IT_WORK/master.log"; }

LOAD=$IT_DIR/smtp-load.py
fresh_sink() {
    rm -rf "$SINK" && mkdir -p "$SINK" && chmod 1777 "$SINK"
    : >"$PF/maillog"
}
rejects() { # milter-rejects of 2bob@ by the child's reply, in Postfix's log
    grep -c 'milter-reject: RCPT from .*: 550 5.7.1 2bob refused by rejector; .* to=<2bob@example.net>' "$PF/maillog"
}
only_bob() { # messages at the sink whose only recipient is bob@
    find "$SINK" -type f -exec grep -L '^X-Rcpt-Args: <2bob@example.net>' {} + |
        xargs grep -l "^X-Rcpt-Args: <bob@example.net>" | wc -l
}
outcomes() { # FILE: "delivered D rejected R tempfailed T error E lines L"
    awk '{ n[$2]++ } END { printf "delivered %d rejected %d tempfailed %d error %d lines %d",
        n["delivered"], n["rejected"], n["tempfailed"], n["error"], NR }' "$1"
}
secs() { echo "$(date +%s.%N) - $1" | bc; }

# ---- 1a. smtp-source, all children up, one recipient ---------------------
fresh_sink
t0=$(date +%s.%N)
smtp-source -s 20 -m "$MM_N" -l 2048 -f alice@example.test -t bob@example.net \
    "127.0.0.1:$SMTPD_PORT" >"$IT_WORK/source.log" 2>&1
mm_sink_wait "$MM_N" 60
tap_diag "smtp-source: $MM_N messages in 20 sessions: $(secs "$t0") s"
n=$(mm_sink_n)
tap_check "smtp-source: $MM_N messages delivered, none lost ($n)" test "$n" = "$MM_N" ||
    { tap_diag_file "$IT_WORK/source.log"; tail -20 "$PF/maillog" | sed 's/^/# /'; }
n=$(mm_sink_count_with 'X-Pymilter: added')
tap_check "smtp-source: every message has X-Pymilter ($n)" test "$n" = "$MM_N"
mm_dkim_verify "$SINK"/* >"$IT_WORK/source-dkim.log"
tap_result $? "smtp-source: every message has a DKIM-Signature that verifies ($(tail -1 "$IT_WORK/source-dkim.log"))" ||
    tap_diag "$(head -5 "$IT_WORK/source-dkim.log")"

# ---- 1b. two recipients, one refused by a child --------------------------
# smtp-source gives up at the first refused recipient, so smtp-load.py
# (20 sessions in parallel too) sends these and records every reply.
fresh_sink
t0=$(date +%s.%N)
"$IT_PYTHON" "$LOAD" "127.0.0.1:$SMTPD_PORT" "$MM_N" 20 "$IT_WORK/all.out" bob@example.net 2bob@example.net
mm_sink_wait "$MM_N" 60
tap_diag "two recipients: $MM_N messages in 20 sessions: $(secs "$t0") s"
o=$(outcomes "$IT_WORK/all.out")
good=$(grep -c ' delivered [0-9.]* MAIL=250;RCPT=250;RCPT=550|5.7.1_2bob_refused_by_rejector;DATA=250$' "$IT_WORK/all.out")
[ "$good" = "$MM_N" ]
tap_result $? "two recipients: 2bob@ got the child's 550 and the message was accepted, every session ($good; $o)" ||
    tap_diag "$(grep -v ' delivered ' "$IT_WORK/all.out" | head -5)"
n=$(mm_sink_n)
b=$(only_bob)
r=$(rejects)
[ "$n" = "$MM_N" ] && [ "$b" = "$MM_N" ] && [ "$r" = "$MM_N" ]
tap_result $? "two recipients: $n at the sink, for bob@ alone ($b); Postfix logged $r milter-rejects"
h=$(mm_sink_count_with 'X-Pymilter: added')
mm_dkim_verify "$SINK"/* >"$IT_WORK/all-dkim.log"
[ $? = 0 ] && [ "$h" = "$MM_N" ]
tap_result $? "two recipients: every message has X-Pymilter ($h) and a valid signature ($(tail -1 "$IT_WORK/all-dkim.log"))"

# ---- 2. the pymilter child killed in the middle --------------------------
fresh_sink
t0=$(date +%s.%N)
"$IT_PYTHON" "$LOAD" "127.0.0.1:$SMTPD_PORT" "$MM_N" 20 "$IT_WORK/kill.out" bob@example.net 2bob@example.net &
LOAD_PID=$!
mm_sink_wait $((MM_N / 3)) 60
kill -KILL "$PYM_PID"
killed_at=$(mm_sink_n)
wait "$LOAD_PID"
mm_wait_quiet "$SINK" 10
tap_diag "killed: $MM_N messages in 20 sessions: $(secs "$t0") s, pymilter killed after $killed_at"
it_alive "$MM_PID"
tap_result $? "killed: the manager survives the child's death"
o=$(outcomes "$IT_WORK/kill.out")
n=$(mm_sink_n)
d=$(grep -c ' delivered ' "$IT_WORK/kill.out")
bad=$(grep -v -E ' (delivered|rejected|tempfailed) ' "$IT_WORK/kill.out" | wc -l)
[ "$(wc -l <"$IT_WORK/kill.out")" = "$MM_N" ] && [ "$bad" = 0 ] && [ "$d" = "$n" ]
tap_result $? "killed: every message delivered, rejected or tempfailed with a reply ($o), none lost ($n at the sink)" ||
    { grep -v ' delivered ' "$IT_WORK/kill.out" | head -5 | sed 's/^/# /'; grep -v milter-reject "$PF/maillog" | grep -i milter | tail -10 | sed 's/^/# /'; }
# When the pymilter child dies while the manager streams it the headers,
# the next child (opendkim) takes over: every message is still signed.
mm_dkim_verify "$SINK"/* >"$IT_WORK/kill-dkim.log"
tap_result $? "killed: every delivered message is signed ($(tail -1 "$IT_WORK/kill-dkim.log"))" ||
    { tap_diag "$(head -3 "$IT_WORK/kill-dkim.log")"; tap_diag "$(grep 'still waiting' "$MM_LOG" | head -3)"; }
with=$(mm_sink_count_with 'X-Pymilter: added')
[ "$with" -lt "$n" ] && [ "$with" -ge $((killed_at - 20)) ] && [ "$d" = "$MM_N" ]
tap_result $? "killed: fallback accept: all delivered ($d), X-Pymilter only before the kill ($with)"
r=$(rejects)
b=$(only_bob)
[ "$r" = "$MM_N" ] && [ "$b" = "$n" ]
tap_result $? "killed: 2bob@ still got 550 in every session ($r), bob@ alone delivered ($b)"

grep -E ' (error|critical): ' "$MM_LOG" | grep -v 'pymilter\|still waiting' | head -5 >"$IT_WORK/mm-errors"
tap_check "the manager logged no error but the dead child's" test ! -s "$IT_WORK/mm-errors" ||
    tap_diag_file "$IT_WORK/mm-errors"
tap_done

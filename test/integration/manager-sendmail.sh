#!/bin/sh
# manager-sendmail.sh - milter-manager behind a private Sendmail 8.17
# (issue 10, "Proof behind real MTAs", Sendmail)
#
# swaks -> sendmail -bD (manager-setup-sendmail.sh, queue-only) ->
# milter-manager (inet: Sendmail refuses a unix socket under /tmp) -> pymilter-header.py (X-Pymilter), milter-test-client
# rejecting <reject@*> with 550 and adding X-Second. Checks: MM_N (20)
# messages are queued, each qf file with both children's headers; the
# rejected recipient gets 550 from Sendmail; after a SIGHUP adding a child
# that rejects at end-of-message, the DATA gets 550 and nothing is queued.
# Needs root; Sendmail's .debs are fetched with apt-get download the first
# time (skipped when that fails).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
. "$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)/test/integration/manager-mta-lib.sh"
it_init
mm_init
MM_N=${MM_N:-20}
TEST_CLIENT=$MM_B/src/milter-test-client

it_have_pkgs python3-milter swaks m4 || tap_skip_all "missing package: $IT_MISSING"
[ "$(id -u)" = 0 ] || tap_skip_all "Sendmail's daemon must run as root"
[ -x "$MM" ] || tap_skip_all "milter-manager is not built"

PYM_PORT=$(it_free_port)
SECOND_PORT=$(it_free_port)
EOM_PORT=$(it_free_port)
SM_PORT=$(it_free_port)
MM_PORT=$(it_free_port)
mm_pymilter_start "$PYM_PORT"
it_start second "$TEST_CLIENT" -s "inet:$SECOND_PORT@127.0.0.1" --quiet \
    --reply-recipient '<reject@*=reject' --reply-code '550 5.7.1 refused by second' \
    --add-header 'X-Second:added'
SECOND_PID=$IT_PID
it_start eom "$TEST_CLIENT" -s "inet:$EOM_PORT@127.0.0.1" --quiet \
    --reply end-of-message=reject --reply-code '550 5.7.1 refused at end of message'
EOM_PID=$IT_PID
mm_milter pymilter "inet:$PYM_PORT@[127.0.0.1]"
mm_milter second "inet:$SECOND_PORT@[127.0.0.1]"
mm_write_conf
SM=$IT_WORK/sendmail
if ! it_wait_port "$PYM_PORT" 15 "$PYM_PID" || ! it_wait_port "$SECOND_PORT" 10 "$SECOND_PID" ||
    ! it_wait_port "$EOM_PORT" 10 "$EOM_PID" || ! mm_start; then
    tap_plan 1
    tap_not_ok "children and milter-manager listen"
    tap_diag_file "$IT_WORK/mm.log"
    tap_done
fi
SM_PID=$(bash "$IT_DIR/manager-setup-sendmail.sh" "$SM" "$SM_PORT" "inet:$MM_PORT@127.0.0.1" 2>"$IT_WORK/sm-setup.log")
[ -n "$SM_PID" ] || tap_skip_all "Sendmail could not be set up: $(tail -1 "$IT_WORK/sm-setup.log")"
it_adopt_pid "$SM_PID"
tap_plan 6
it_wait_port "$SM_PORT" 30 "$SM_PID"
tap_result $? "a private Sendmail listens with milter-manager as its filter" ||
    { tap_diag_file "$SM/sendmail.out"; tap_diag_file "$IT_WORK/sm-setup.log"; }

send() { # OUT TO [SWAKS-ARG...]
    _out=$1
    _to=$2
    shift 2
    swaks --server "127.0.0.1:$SM_PORT" --from alice@example.test --to "$_to" \
        --header "Subject: sendmail test" --body 'hello' "$@" >"$IT_WORK/$_out" 2>&1
}
qf_n() { find "$SM/queue" -name 'qf*' | wc -l; }

i=0
failed=0
while [ $i -lt "$MM_N" ]; do
    i=$((i + 1))
    send "ok-$i.log" "bob$i@example.net" || failed=$((failed + 1))
done
q=$(qf_n)
[ "$failed" = 0 ] && [ "$q" = "$MM_N" ]
tap_result $? "$MM_N messages accepted and queued ($q qf files, $failed failed)" ||
    tap_diag_file "$IT_WORK/ok-1.log"
both=$(grep -l 'X-Pymilter: added' "$SM"/queue/qf* 2>/dev/null | xargs grep -l 'X-Second: added' | wc -l)
tap_check "every queued message has both children's headers ($both)" test "$both" = "$MM_N" ||
    tap_diag "$(grep '^H' "$(find "$SM/queue" -name 'qf*' | head -1)")"

send reject.log reject@example.net
grep -q '<\*\* *550 5.7.1 .*refused by second' "$IT_WORK/reject.log" && [ "$(qf_n)" = "$MM_N" ]
tap_result $? "a recipient rejected by a child: 550 from Sendmail, nothing queued" ||
    tap_diag_file "$IT_WORK/reject.log"

mm_milter eom "inet:$EOM_PORT@[127.0.0.1]"
mm_write_conf
kill -HUP "$MM_PID"
# Bounded poll for the reload's success row (not a sleep).
t=0
until grep -q '\[manager\]\[reload\]\[success\]' "$MM_LOG" || [ $t -ge 100 ]; do
    sleep 0.1
    t=$((t + 1))
done
send eom.log carol@example.net
grep -q '<\*\* *550 5.7.1 refused at end of message' "$IT_WORK/eom.log" && [ "$(qf_n)" = "$MM_N" ]
tap_result $? "an end-of-message reject (child added by SIGHUP): 550 after DATA, nothing queued" ||
    tap_diag_file "$IT_WORK/eom.log"

it_alive "$MM_PID" && ! grep -E ' (error|critical): ' "$MM_LOG" | grep -q .
tap_result $? "the manager is alive and logged no error" ||
    tap_diag "$(grep -E ' (error|critical): ' "$MM_LOG" | head -3)"
# Sendmail's SMTP children are not ours: stop them (by parent PID) first.
for p in $(ps -o pid= --ppid "$SM_PID"); do kill -TERM "$p" 2>/dev/null; done
tap_done

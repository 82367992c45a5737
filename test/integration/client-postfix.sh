#!/bin/sh
# client-postfix.sh - a private Postfix with milters written on
# libmilter-client as smtpd_milters.
#
# 1. milter-header-client (inet, single-thread): 200 messages sent by
#    smtp-source (10 in parallel) reach smtp-sink, each with the milter's
#    header; a recipient the milter rejects gives the SMTP client a 5xx.
# 2. milter-test-client on a unix socket (mode 0660, group postfix) with
#    --n-workers 2: 50 messages, each with its header.
# Needs root (Postfix's master). Skips only when a package is missing.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
B=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
TEST_CLIENT=$B/src/milter-test-client
HEADER_CLIENT=$B/test/client/milters/milter-header-client

it_have_pkgs postfix swaks || tap_skip_all "missing package: $IT_MISSING"
[ "$(id -u)" = 0 ] || tap_skip_all "Postfix's master must run as root"
tap_plan 8

it_postfix_dirs

# The master (started with it_start) stops its Postfix on SIGTERM from
# lib.sh's exit trap, like every other process of the test.

wait_sink() { # N: wait until N messages arrived (60 s at most)
    _i=0
    while [ "$(ls "$SINK" | wc -l)" -lt "$1" ] && [ $_i -lt 600 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    [ "$(ls "$SINK" | wc -l)" -ge "$1" ]
}

count_with() { # HEADER-LINE: messages in the sink carrying it
    grep -l -x -F "$1" "$SINK"/* 2>/dev/null | wc -l
}

it_start milter "$HEADER_CLIENT" -s "inet:$MILTER_PORT@127.0.0.1" \
    --reject-recipient reject@ --header 'X-Milter-Client:passed'
MILTER_PID=$IT_PID
it_start sink smtp-sink -u nobody -d "$SINK/%H%M%S." -c "127.0.0.1:$SINK_PORT" 100
PF=$PF SMTPD_PORT=$SMTPD_PORT SINK_PORT=$SINK_PORT \
    MILTER="inet:127.0.0.1:$MILTER_PORT" \
    "$IT_DIR/client-setup-postfix.sh" >"$IT_WORK/setup.log" 2>&1
tap_result $? "private Postfix instance set up" || tap_diag_file "$IT_WORK/setup.log"
it_start master /usr/lib/postfix/sbin/master -c "$PF/etc" -d
it_wait_port "$MILTER_PORT" 10 "$MILTER_PID" && it_wait_port "$SINK_PORT" 10 &&
    it_wait_port "$SMTPD_PORT" 20
tap_result $? "milter, smtp-sink and smtpd listen"

swaks --server "127.0.0.1:$SMTPD_PORT" --from alice@example.test \
    --to bob@example.net --header 'Subject: one' --body 'hello' \
    >"$IT_WORK/swaks-ok.log" 2>&1
wait_sink 1
tap_check "one message delivered with X-Milter-Client" test "$(count_with 'X-Milter-Client: passed')" = 1 ||
    { tap_diag_file "$IT_WORK/swaks-ok.log"; tap_diag_file "$PF/maillog"; }

swaks --server "127.0.0.1:$SMTPD_PORT" --from alice@example.test \
    --to reject@example.net >"$IT_WORK/swaks-reject.log" 2>&1
tap_check "the rejected recipient got 550 5.7.1 from the milter" \
    grep -q '<\*\* *550 5.7.1 recipient rejected by milter-header-client' "$IT_WORK/swaks-reject.log" ||
    tap_diag_file "$IT_WORK/swaks-reject.log"

rm -f "$SINK"/*
smtp-source -c -l 2048 -m 200 -s 10 -f alice@example.test -t bob@example.net \
    "127.0.0.1:$SMTPD_PORT" >"$IT_WORK/source.log" 2>&1
wait_sink 200
n=$(count_with 'X-Milter-Client: passed')
tap_check "200 messages (10 in parallel) delivered, each with the milter's header ($n)" test "$n" = 200 ||
    { tap_diag_file "$IT_WORK/source.log"; tail -20 "$PF/maillog" | sed 's/^/# /'; }

# Round 2: unix socket with mode and group, two worker processes.
it_start workers "$TEST_CLIENT" -s "unix:$IT_WORK/milter.sock" --quiet \
    --unix-socket-mode 0660 --unix-socket-group postfix --n-workers 2 \
    --add-header 'X-Test-Client:workers'
WORKERS_PID=$IT_PID
it_wait_unix "$IT_WORK/milter.sock" 10 "$WORKERS_PID"
tap_check "unix socket has mode 0660 and group postfix" \
    test "$(stat -c '%a %G' "$IT_WORK/milter.sock")" = "660 postfix"
script -qec "postconf -c $PF/etc -e smtpd_milters=unix:$IT_WORK/milter.sock" /dev/null >/dev/null
script -qec "postfix -c $PF/etc reload" /dev/null >/dev/null
# Bounded poll, not a sleep: probe messages until one goes through the
# new milter (smtpd processes started before the reload used the old one).
rm -f "$SINK"/*
i=0
while [ "$(count_with 'X-Test-Client: workers')" = 0 ] && [ $i -lt 20 ]; do
    smtp-source -c -l 100 -m 1 -s 1 -f probe@example.test -t bob@example.net \
        "127.0.0.1:$SMTPD_PORT" >/dev/null 2>&1
    wait_sink $((i + 1)) >/dev/null
    i=$((i + 1))
done
rm -f "$SINK"/*
smtp-source -c -l 1024 -m 50 -s 10 -f alice@example.test -t bob@example.net \
    "127.0.0.1:$SMTPD_PORT" >"$IT_WORK/source2.log" 2>&1
wait_sink 50
n=$(count_with 'X-Test-Client: workers')
tap_check "50 messages through milter-test-client --n-workers 2 on a unix socket ($n)" test "$n" = 50 ||
    { tap_diag_file "$IT_WORK/source2.log"; tail -20 "$PF/maillog" | sed 's/^/# /'; }
it_stop "$WORKERS_PID"
tap_check "workers stopped on SIGTERM, socket removed" \
    test "$IT_STATUS" = 0 -a ! -e "$IT_WORK/milter.sock"

tap_done

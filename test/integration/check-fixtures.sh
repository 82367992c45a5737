#!/bin/sh
# check-fixtures.sh - verify the real third-party milter peers used by the integration tests
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/check-fixtures.sh
#
# DESCRIPTION
#   Starts every fixture milter of test/integration/milters/ on its own free
#   loopback port, then checks its behaviour from the MTA side twice: with
#   miltertest and the Lua scripts in test/integration/miltertest/ (eom_check
#   of each modification), and with test/integration/milter-probe.py, whose
#   printed replies are compared exactly (reply texts, header indexes, the
#   raw body, negotiated version, flags). Sendmail::PMilter is checked with
#   milter-probe.py only: miltertest cannot read its replies (see
#   milters/pmilter-three-writes.pl). Finally every milter is sent SIGTERM
#   and must exit within 10 s. Fixtures whose Debian packages are missing
#   are skipped. Output is TAP with a trailing plan.
#
# DIAGNOSTICS
#   On a failure the miltertest/probe output and the milter's log follow as
#   "# " lines. Exit status 1 if any test failed. IT_KEEP=1 keeps the work dir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/test/integration/lib.sh"
it_init

MILTERS=$IT_DIR/milters
LUADIR=$IT_DIR/miltertest
PROBE=$IT_DIR/milter-probe.py
PY=/usr/bin/python3
STARTED=

diag_logs() {
    for _log in "$@"; do
        if [ -f "$_log" ]; then
            tap_diag "--- $(basename "$_log")"
            tap_diag_file "$_log"
        fi
    done
}

# start NAME PORT CMD...: start a milter, check it listens.
start() {
    _name=$1
    _port=$2
    shift 2
    it_start "$_name" "$@"
    eval "PID_$(echo "$_name" | tr -c 'a-zA-Z0-9\n' _)=\$IT_PID"
    STARTED="$STARTED $_name"
    if it_wait_port "$_port" 15 "$IT_PID" 2>"$IT_WORK/$_name.wait"; then
        tap_ok "$_name: listening on 127.0.0.1:$_port"
    else
        tap_not_ok "$_name: listening on 127.0.0.1:$_port"
        diag_logs "$IT_WORK/$_name.wait" "$IT_WORK/$_name.log"
    fi
}

# miltertest NAME PORT: run miltertest/NAME.lua; its "ok - ..." lines become tests.
run_miltertest() {
    _name=$1
    _log=$IT_WORK/$_name.miltertest.log
    stdbuf -o0 miltertest -D SOCK="inet:$2@127.0.0.1" -D LUADIR="$LUADIR" \
        -s "$LUADIR/$_name.lua" >"$_log" 2>&1
    _status=$?
    while IFS= read -r _line; do
        case $_line in
        "ok - "*) tap_ok "$_name: miltertest: ${_line#ok - }" ;;
        "not ok - "*) tap_not_ok "$_name: miltertest: ${_line#not ok - }" ;;
        esac
    done <"$_log"
    if [ $_status -eq 0 ]; then
        tap_ok "$_name: miltertest script completed"
    else
        tap_not_ok "$_name: miltertest script completed (exit $_status)"
        diag_logs "$_log" "$IT_WORK/$_name.log"
    fi
}

# probe NAME PORT [PROBE-ARGS...] <<EXPECTED: run milter-probe.py, compare exactly.
probe() {
    _name=$1
    _port=$2
    shift 2
    cat >"$IT_WORK/$_name.probe.expected"
    "$PY" "$PROBE" "$@" "inet:$_port@127.0.0.1" >"$IT_WORK/$_name.probe.out" 2>&1
    _status=$?
    if [ $_status -eq 0 ] &&
        diff -u "$IT_WORK/$_name.probe.expected" "$IT_WORK/$_name.probe.out" >"$IT_WORK/$_name.probe.diff"; then
        tap_ok "$_name: milter-probe replies as expected"
    else
        tap_not_ok "$_name: milter-probe replies as expected (exit $_status)"
        diag_logs "$IT_WORK/$_name.probe.diff" "$IT_WORK/$_name.probe.out" "$IT_WORK/$_name.log"
    fi
}

skip_fixture() {
    tap_skip "$1: missing package(s): $IT_MISSING"
}

# ---- pymilter -------------------------------------------------------------
if it_have_pkgs python3-milter miltertest; then
    port=$(it_free_port)
    start pymilter-modify "$port" "$PY" "$MILTERS/pymilter-modify.py" "inet:$port@127.0.0.1"
    run_miltertest pymilter-modify "$port"
    probe pymilter-modify "$port" -r '<reject@example.net>' -r '<bob@example.net>' \
        -r '<deleted@example.net>' -H 'From:alice@example.test' -H 'Subject:hello' \
        -H 'Subject:second' <<'EOF'
negotiate -> O version=6 actions=0x1d steps=0x753
mail <alice@example.test> -> c
rcpt <reject@example.net> -> y 550 5.7.1 rejected by pymilter-modify
rcpt <bob@example.net> -> c
rcpt <deleted@example.net> -> c
header From -> c
header Subject -> c
header Subject -> c
eom -> h X-Pymilter: added
eom -> m 1 Subject: [tagged] hello
eom -> + <added@example.net>
eom -> - <deleted@example.net>
eom -> a
EOF
else
    skip_fixture pymilter-modify
fi

# ---- libmilter (C) --------------------------------------------------------
if it_have_pkgs libmilter-dev miltertest; then
    for name in libmilter-body libmilter-noop; do
        if it_build_c_milter "$MILTERS/$name.c" "$IT_WORK/$name" 2>"$IT_WORK/$name.cc.log"; then
            tap_ok "$name: compiles with -lmilter -pthread"
        else
            tap_not_ok "$name: compiles with -lmilter -pthread"
            diag_logs "$IT_WORK/$name.cc.log"
        fi
    done

    port=$(it_free_port)
    start libmilter-body "$port" "$IT_WORK/libmilter-body" "inet:$port@127.0.0.1"
    run_miltertest libmilter-body "$port"
    probe libmilter-body "$port" <<'EOF'
negotiate -> O version=6 actions=0x22 steps=0x37f
eom -> b b'replaced body\r\n'
eom -> q test quarantine
eom -> a
EOF

    port=$(it_free_port)
    start libmilter-noop "$port" "$IT_WORK/libmilter-noop" "inet:$port@127.0.0.1"
    run_miltertest libmilter-noop "$port"
    probe libmilter-noop "$port" --messages 2 <<'EOF'
negotiate -> O version=6 actions=0x0 steps=0x0
connect -> c
helo -> c
mail <alice@example.test> -> c
rcpt <bob@example.net> -> c
data -> c
header From -> c
header Subject -> c
eoh -> c
body -> c
eom -> a
mail <alice@example.test> -> c
rcpt <bob@example.net> -> c
data -> c
header From -> c
header Subject -> c
eoh -> c
body -> c
eom -> a
EOF
else
    skip_fixture "libmilter-body, libmilter-noop"
fi

# ---- Sendmail::PMilter ----------------------------------------------------
if it_have_pkgs libsendmail-pmilter-perl; then
    port=$(it_free_port)
    start pmilter-three-writes "$port" perl "$MILTERS/pmilter-three-writes.pl" "inet:$port@127.0.0.1"
    probe pmilter-three-writes "$port" --connections 2 --after-quit 2 <<'EOF'
connection 1
negotiate -> O version=2 actions=0x1 steps=0x7a
connect -> c
mail <alice@example.test> -> c
eom -> h X-PMilter: yes
eom -> c
after-quit -> c
connection 2
negotiate -> O version=2 actions=0x1 steps=0x7a
connect -> c
mail <alice@example.test> -> c
eom -> h X-PMilter: yes
eom -> c
after-quit -> c
EOF
else
    skip_fixture pmilter-three-writes
fi

# ---- raw protocol version 2 -----------------------------------------------
if it_have_pkgs miltertest; then
    port=$(it_free_port)
    start raw-v2-milter "$port" "$PY" "$MILTERS/raw-v2-milter.py" "inet:$port@127.0.0.1"
    run_miltertest raw-v2-milter "$port"
    probe raw-v2-milter "$port" --connections 2 <<'EOF'
connection 1
negotiate -> O version=2 actions=0x1 steps=0x0
connect -> c
helo -> c
mail <alice@example.test> -> c
rcpt <bob@example.net> -> c
header From -> c
header Subject -> c
eoh -> c
body -> c
eom -> h X-Version: 2
eom -> a
connection 2
negotiate -> O version=2 actions=0x1 steps=0x0
connect -> c
helo -> c
mail <alice@example.test> -> c
rcpt <bob@example.net> -> c
header From -> c
header Subject -> c
eoh -> c
body -> c
eom -> h X-Version: 2
eom -> a
EOF
else
    skip_fixture raw-v2-milter
fi

# ---- OpenDKIM -------------------------------------------------------------
if it_have_pkgs opendkim opendkim-tools miltertest; then
    port=$(it_free_port)
    if pid=$(sh "$MILTERS/opendkim-start.sh" "$IT_WORK" "$port" 2>"$IT_WORK/opendkim-start.err"); then
        it_adopt_pid "$pid"
        PID_opendkim=$pid
        STARTED="$STARTED opendkim"
        if it_wait_port "$port" 15 "$pid" 2>"$IT_WORK/opendkim.wait"; then
            tap_ok "opendkim: listening on 127.0.0.1:$port"
        else
            tap_not_ok "opendkim: listening on 127.0.0.1:$port"
            diag_logs "$IT_WORK/opendkim.wait" "$IT_WORK/opendkim.log"
        fi
    else
        tap_not_ok "opendkim: opendkim-start.sh"
        diag_logs "$IT_WORK/opendkim-start.err"
    fi
    run_miltertest opendkim "$port"
    "$PY" "$PROBE" -H 'From:alice@example.test' -H 'Subject:dkim' "inet:$port@127.0.0.1" \
        >"$IT_WORK/opendkim.probe.out" 2>&1
    if grep -q '^eom -> i 0 DKIM-Signature:  v=1; a=rsa-sha256; c=relaxed/simple; d=example.test; s=test;$' \
        "$IT_WORK/opendkim.probe.out" && tail -n 1 "$IT_WORK/opendkim.probe.out" | grep -qx 'eom -> a'; then
        tap_ok "opendkim: milter-probe sees insert-header 0 DKIM-Signature, then accept"
    else
        tap_not_ok "opendkim: milter-probe sees insert-header 0 DKIM-Signature, then accept"
        diag_logs "$IT_WORK/opendkim.probe.out"
    fi
else
    skip_fixture opendkim
fi

# ---- shutdown: SIGTERM to all at once, each must exit within 10 s -----------
for name in $STARTED; do
    eval "pid=\$PID_$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)"
    it_alive "$pid" && kill -TERM "$pid"
done
for name in $STARTED; do
    eval "pid=\$PID_$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)"
    tap_check "$name: exits after SIGTERM" it_stop "$pid"
done

tap_done

#!/bin/sh
# server-milters.sh - milter-test-server against real third-party milters
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/server-milters.sh
#
# DESCRIPTION
#   Starts each test milter of test/integration/milters on loopback and runs
#   src/milter-test-server against it, comparing the status and the
#   --output-message text exactly (only the elapsed-time line, which varies,
#   is dropped):
#     pymilter-modify.py (python3-milter): header added and changed,
#       recipients added and deleted, one recipient refused with 550;
#     libmilter-body.c (libmilter-dev): body replaced and quarantined, for
#       bodies of 1, 65535, 65536 bytes and 10 MiB; 100 recipients;
#     pmilter-three-writes.pl (libsendmail-pmilter-perl): each reply packet
#       in three writes, version 2, a reply after quit (logged as the
#       catalogued [server][reply][quitted] warning);
#     raw-v2-milter.py: a milter that negotiates protocol version 2 (no data
#       command may reach it), over a unix socket and with libev.
#   Prints TAP. A group is skipped only when its Debian package is missing.
#
# DIAGNOSTICS
#   On a mismatch the expected and actual outputs are shown as TAP comments.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

it_init
SERVER=$top_builddir/src/milter-test-server
MILTERS=$IT_DIR/milters

# Runs milter-test-server; stdout without the elapsed-time line in
# $IT_WORK/NAME.out, the status in $RUN_STATUS.
run_server() {
    _name=$1
    shift
    "$SERVER" --all-timeouts 60 "$@" >"$IT_WORK/$_name.raw" 2>"$IT_WORK/$_name.err"
    RUN_STATUS=$?
    grep -v '^elapsed-time: [0-9.]* seconds$' "$IT_WORK/$_name.raw" >"$IT_WORK/$_name.out"
}

# check_output DESC NAME EXPECTED-TEXT
check_output() {
    printf '%s' "$3" >"$IT_WORK/$2.expected"
    if [ "$RUN_STATUS" -eq 0 ] && cmp -s "$IT_WORK/$2.expected" "$IT_WORK/$2.out" &&
        grep -q '^elapsed-time: [0-9.]* seconds$' "$IT_WORK/$2.raw"; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        tap_diag "exit status $RUN_STATUS; expected:"
        tap_diag_file "$IT_WORK/$2.expected"
        tap_diag "actual:"
        tap_diag_file "$IT_WORK/$2.raw"
        tap_diag_file "$IT_WORK/$2.err"
    fi
}

# start_milter NAME SPEC CMD... ; waits until it listens.
start_milter() {
    _name=$1
    _spec=$2
    shift 2
    it_start "$_name" "$@" "$_spec"
    case $_spec in
    unix:*) it_wait_unix "${_spec#unix:}" 15 "$IT_PID" ;;
    *) _port=${_spec#inet:}; it_wait_port "${_port%@*}" 15 "$IT_PID" ;;
    esac || {
        tap_diag_file "$IT_WORK/$_name.log"
        return 1
    }
}

# ---- pymilter ---------------------------------------------------------------

if it_have_pkgs python3-milter; then
    port=$(it_free_port)
    if start_milter pymilter "inet:$port@127.0.0.1" "$IT_PYTHON" "$MILTERS/pymilter-modify.py"; then
        run_server pymilter -s "inet:$port@127.0.0.1" --output-message \
            -f '<sender@example.com>' -r '<kept@example.net>' \
            -r '<reject@example.net>' -r '<deleted@example.net>' \
            -h 'From:<sender@example.com>' -h 'Subject:hello' -b 'Hi there.'
        check_output "pymilter: headers added and changed, recipients added, deleted and refused" pymilter \
'status: accept
refused-recipient: <reject@example.net> reject 550 5.7.1 rejected by pymilter-modify
envelope-from: <sender@example.com>
envelope-recipient: <kept@example.net>
envelope-recipient: <added@example.net>
------------------------------
From: <sender@example.com>
Subject: [tagged] hello
X-Pymilter: added

Hi there.
'
        run_server pymilter-all-refused -s "inet:$port@127.0.0.1" -r '<reject@example.net>'
        check_output "pymilter: the only recipient refused" pymilter-all-refused \
'status: reject
'
    else
        tap_not_ok "pymilter: milter did not start"
        tap_not_ok "pymilter: milter did not start"
    fi
else
    tap_skip "python3-milter is not installed: $IT_MISSING"
    tap_skip "python3-milter is not installed: $IT_MISSING"
fi

# ---- libmilter: replaced body, quarantine, body sizes, 100 recipients --------

expected_body_output() {
    printf 'status: accept\nenvelope-from: <sender@example.com>\n'
    printf 'envelope-recipient: <%s>\n' "$@"
    printf 'quarantine: test quarantine\n------------------------------\n'
    printf 'From: <sender@example.com>\nTo: <receiver@example.org>\nSubject: test\n\nreplaced body\n'
}

if it_have_pkgs libmilter-dev; then
    if it_build_c_milter "$MILTERS/libmilter-body.c" "$IT_WORK/libmilter-body" \
        >"$IT_WORK/build-body.log" 2>&1; then
        port=$(it_free_port)
        if start_milter libmilter-body "inet:$port@127.0.0.1" "$IT_WORK/libmilter-body"; then
            for size in 1 65535 65536 10485760; do
                head -c "$size" /dev/zero | tr '\0' 'x' >"$IT_WORK/body-$size"
                {
                    printf 'From: <sender@example.com>\nTo: <receiver@example.org>\nSubject: test\n\n'
                    cat "$IT_WORK/body-$size"
                } >"$IT_WORK/mail-$size"
                run_server "body-$size" -s "inet:$port@127.0.0.1" --output-message \
                    -m "$IT_WORK/mail-$size"
                check_output "libmilter: body of $size bytes replaced and quarantined" "body-$size" \
                    "$(expected_body_output receiver@example.org)
"
            done
            set --
            i=1
            while [ $i -le 100 ]; do
                set -- "$@" -r "<rcpt$i@example.net>"
                i=$((i + 1))
            done
            run_server recipients -s "inet:$port@127.0.0.1" --output-message \
                -h 'From:<sender@example.com>' -h 'To:<receiver@example.org>' -h 'Subject:test' "$@"
            i=1
            addresses=
            while [ $i -le 100 ]; do
                addresses="$addresses rcpt$i@example.net"
                i=$((i + 1))
            done
            # shellcheck disable=SC2086
            check_output "libmilter: 100 recipients" recipients \
                "$(expected_body_output $addresses)
"
        else
            for t in 1 2 3 4 5; do tap_not_ok "libmilter: milter did not start"; done
        fi
    else
        tap_diag_file "$IT_WORK/build-body.log"
        for t in 1 2 3 4 5; do tap_not_ok "libmilter: test milter did not build"; done
    fi
    # The body milter switches the body step off; the no-op milter takes
    # every chunk, so it sees the body cut at 65535 bytes.
    if it_build_c_milter "$MILTERS/libmilter-noop.c" "$IT_WORK/libmilter-noop" \
        >"$IT_WORK/build-noop.log" 2>&1; then
        port=$(it_free_port)
        if start_milter libmilter-noop "inet:$port@127.0.0.1" "$IT_WORK/libmilter-noop"; then
            for size in 1 65535 65536 10485760; do
                run_server "noop-$size" -s "inet:$port@127.0.0.1" --output-message \
                    -m "$IT_WORK/mail-$size"
                {
                    printf 'status: accept\nenvelope-from: <sender@example.com>\n'
                    printf 'envelope-recipient: <receiver@example.org>\n------------------------------\n'
                    printf 'From: <sender@example.com>\nTo: <receiver@example.org>\nSubject: test\n\n'
                    cat "$IT_WORK/body-$size"
                    echo
                } >"$IT_WORK/noop-$size.expected"
                if [ "$RUN_STATUS" -eq 0 ] && cmp -s "$IT_WORK/noop-$size.expected" "$IT_WORK/noop-$size.out"; then
                    tap_ok "libmilter no-op: body of $size bytes sent in chunks and accepted"
                else
                    tap_not_ok "libmilter no-op: body of $size bytes sent in chunks and accepted"
                    tap_diag_file "$IT_WORK/noop-$size.err"
                fi
            done
        else
            for t in 1 2 3 4; do tap_not_ok "libmilter no-op: milter did not start"; done
        fi
    else
        tap_diag_file "$IT_WORK/build-noop.log"
        for t in 1 2 3 4; do tap_not_ok "libmilter no-op: test milter did not build"; done
    fi
else
    for t in 1 2 3 4 5 6 7 8 9; do tap_skip "libmilter-dev is not installed: $IT_MISSING"; done
fi

# ---- Sendmail::PMilter: replies in three writes -------------------------------

if it_have_pkgs libsendmail-pmilter-perl; then
    port=$(it_free_port)
    if start_milter pmilter "inet:$port@127.0.0.1" perl "$MILTERS/pmilter-three-writes.pl"; then
        run_server pmilter -s "inet:$port@127.0.0.1" --output-message -v
        check_output "Sendmail::PMilter: header added, replies in pieces" pmilter \
'status: pass
envelope-from: <sender@example.com>
envelope-recipient: <receiver@example.org>
------------------------------
From: <sender@example.com>
To: <receiver@example.org>
Subject: test
X-PMilter: yes

This is a test.
'
        tap_check "Sendmail::PMilter: the continue it sends after quit is the catalogued warning" \
            grep -q 'warning: \[[0-9]*\] \[server\]\[reply\]\[quitted\]\[quit\]\[continue\] \[milter\]' \
            "$IT_WORK/pmilter.err"
    else
        tap_not_ok "Sendmail::PMilter: milter did not start"
        tap_not_ok "Sendmail::PMilter: milter did not start"
    fi
else
    tap_skip "libsendmail-pmilter-perl is not installed: $IT_MISSING"
    tap_skip "libsendmail-pmilter-perl is not installed: $IT_MISSING"
fi

# ---- a version-2 milter -----------------------------------------------------

sock=$IT_WORK/v2.sock
if start_milter raw-v2 "unix:$sock" "$IT_PYTHON" "$IT_DIR/milters/raw-v2-milter.py"; then
    for backend in glib libev; do
        run_server "v2-$backend" -s "unix:$sock" --event-loop-backend "$backend" \
            --output-message --name raw-v2 --unknown HELP
        check_output "version-2 milter ($backend): accepted, header added" "v2-$backend" \
'status: accept
envelope-from: <sender@example.com>
envelope-recipient: <receiver@example.org>
------------------------------
From: <sender@example.com>
To: <receiver@example.org>
Subject: test
X-Version: 2

This is a test.
'
    done
    # Neither data (v4) nor unknown (v3) may reach a version-2 milter.
    # The milter logs each command by its byte: T is data, U unknown.
    if grep -q '\] [TU] (' "$IT_WORK/raw-v2.log" ||
        ! grep -q '\] H (' "$IT_WORK/raw-v2.log"; then
        tap_not_ok "version-2 milter got no data or unknown command"
        tap_diag_file "$IT_WORK/raw-v2.log"
    else
        tap_ok "version-2 milter got no data or unknown command"
    fi
else
    for t in 1 2 3; do tap_not_ok "version-2 milter did not start"; done
fi

tap_done

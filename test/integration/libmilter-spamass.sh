#!/bin/sh
# libmilter-spamass.sh - Debian's spamass-milter gives the same result on our libmilter as on Sendmail's
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-spamass.sh
#
# DESCRIPTION
#   spamd is not installed here: test/integration/milters/fake-spamd.py
#   answers spamc (run by spamass-milter) as spamd does for a spam. The
#   unmodified /usr/sbin/spamass-milter runs once on Sendmail's libmilter
#   and once with our build tree's libmilter first in LD_LIBRARY_PATH
#   (/proc/PID/maps must show ours); milter-test-server sends each the
#   same message. Both outputs must be equal and carry the X-Spam-Flag
#   and X-Spam-Status headers spamass-milter adds; both milters must exit
#   after SIGTERM. Prints TAP; skipped without spamass-milter.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

if ! it_have_pkgs spamass-milter; then
    tap_skip_all "not installed: $IT_MISSING"
fi
it_init
tap_plan 7
SERVER=$top_builddir/src/milter-test-server

spamd_port=$(it_free_port)
it_start spamd "$IT_PYTHON" "$IT_DIR/milters/fake-spamd.py" "$spamd_port"
tap_check "fake spamd listens" it_wait_port "$spamd_port" 10 "$IT_PID"

for flavour in sendmail ours; do
    port=$(it_free_port)
    if [ $flavour = ours ]; then
        it_start "spamass-$flavour" env LD_LIBRARY_PATH="$(it_our_libmilter_path)" \
            /usr/sbin/spamass-milter -p "inet:$port@127.0.0.1" -- -d 127.0.0.1 -p "$spamd_port"
    else
        it_start "spamass-$flavour" /usr/sbin/spamass-milter -p "inet:$port@127.0.0.1" \
            -- -d 127.0.0.1 -p "$spamd_port"
    fi
    pid=$IT_PID
    eval "pid_$flavour=\$pid"
    if ! it_wait_port "$port" 15 "$pid"; then
        tap_diag_file "$IT_WORK/spamass-$flavour.log"
    fi
    if [ $flavour = ours ]; then
        if it_loads_our_libmilter "$pid"; then
            tap_ok "spamass-milter runs on our libmilter.so.1.0.1 (/proc/$pid/maps)"
        else
            tap_not_ok "spamass-milter runs on our libmilter.so.1.0.1 (/proc/$pid/maps)"
            grep milter "/proc/$pid/maps" | sed 's/^/# /'
        fi
    fi
    "$SERVER" --all-timeouts 30 -s "inet:$port@127.0.0.1" --output-message \
        -f '<sender@example.com>' -r '<receiver@example.org>' \
        -h 'From:<sender@example.com>' -h 'Subject:offer' -b 'Buy now.' \
        2>&1 | grep -v '^elapsed-time: ' >"$IT_WORK/$flavour.out"
    if grep -q '^+ X-Spam-Flag: YES$' "$IT_WORK/$flavour.out" &&
        grep -q '^+ X-Spam-Status: Yes, score=20.0 required=5.0$' "$IT_WORK/$flavour.out"; then
        tap_ok "on $flavour's libmilter: X-Spam-Flag and X-Spam-Status added"
    else
        tap_not_ok "on $flavour's libmilter: X-Spam-Flag and X-Spam-Status added"
        tap_diag_file "$IT_WORK/$flavour.out"
        tap_diag_file "$IT_WORK/spamass-$flavour.log"
    fi
done
if cmp -s "$IT_WORK/sendmail.out" "$IT_WORK/ours.out"; then
    tap_ok "the same output on both libraries"
else
    tap_not_ok "the same output on both libraries"
    diff -u "$IT_WORK/sendmail.out" "$IT_WORK/ours.out" | sed 's/^/# /'
fi
kill -TERM "$pid_sendmail" "$pid_ours" 2>/dev/null
tap_check "spamass-milter on Sendmail's libmilter exits after SIGTERM" it_stop "$pid_sendmail"
tap_check "spamass-milter on ours exits after SIGTERM" it_stop "$pid_ours"
tap_done

#!/bin/sh
# libmilter-postfix.sh - Debian's opendkim on our libmilter, behind a private Postfix
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-postfix.sh
#
# DESCRIPTION
#   Starts the unmodified /usr/sbin/opendkim (milters/opendkim-start.sh:
#   signer for example.test, 127.0.0.0/8 internal) with our build tree's
#   libmilter first in LD_LIBRARY_PATH, checks /proc/PID/maps, and puts it
#   in a private Postfix as smtpd_milters (client-setup-postfix.sh:
#   milter failures answer 4xx, so a broken milter cannot pass). smtp-source
#   sends 100 messages from alice@example.test, 10 sessions in parallel;
#   every message reaching smtp-sink must carry a DKIM-Signature for
#   d=example.test, s=test. Needs root (Postfix's master); skips only when
#   a package is missing.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"
it_init

it_have_pkgs postfix opendkim opendkim-tools || tap_skip_all "missing package: $IT_MISSING"
[ "$(id -u)" = 0 ] || tap_skip_all "Postfix's master must run as root"
tap_plan 5

it_postfix_dirs

if pid=$(LD_LIBRARY_PATH=$(it_our_libmilter_path) \
    sh "$IT_DIR/milters/opendkim-start.sh" "$IT_WORK" "$MILTER_PORT" 2>"$IT_WORK/opendkim-start.err"); then
    it_adopt_pid "$pid"
else
    tap_diag_file "$IT_WORK/opendkim-start.err"
    pid=0
fi
if [ "$pid" != 0 ] && it_wait_port "$MILTER_PORT" 15 "$pid" && it_loads_our_libmilter "$pid"; then
    tap_ok "opendkim listens on our libmilter.so.1.0.1 (/proc/$pid/maps)"
else
    tap_not_ok "opendkim listens on our libmilter.so.1.0.1"
    tap_diag_file "$IT_WORK/opendkim.log"
fi

it_start sink smtp-sink -u nobody -d "$SINK/%H%M%S." -c "127.0.0.1:$SINK_PORT" 100
PF=$PF SMTPD_PORT=$SMTPD_PORT SINK_PORT=$SINK_PORT \
    MILTER="inet:127.0.0.1:$MILTER_PORT" \
    "$IT_DIR/client-setup-postfix.sh" >"$IT_WORK/setup.log" 2>&1
tap_result $? "private Postfix instance set up" || tap_diag_file "$IT_WORK/setup.log"
it_start master /usr/lib/postfix/sbin/master -c "$PF/etc" -d
it_wait_port "$SINK_PORT" 10 && it_wait_port "$SMTPD_PORT" 20
tap_result $? "smtp-sink and smtpd listen"

wait_sink() { # N: wait until N messages arrived (60 s at most)
    _i=0
    while [ "$(ls "$SINK" | wc -l)" -lt "$1" ] && [ $_i -lt 600 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
}

smtp-source -c -l 1024 -m 100 -s 10 -f alice@example.test -t bob@example.net \
    -S 'signed by opendkim on our libmilter' \
    "127.0.0.1:$SMTPD_PORT" >"$IT_WORK/source.log" 2>&1
wait_sink 100
n=$(grep -l '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=example.test; s=test;' \
    "$SINK"/* 2>/dev/null | wc -l)
total=$(ls "$SINK" | wc -l)
if [ "$n" = 100 ] && [ "$total" = 100 ]; then
    tap_ok "100 messages (10 sessions in parallel) delivered, each signed"
else
    tap_not_ok "100 messages (10 sessions in parallel) delivered, each signed ($n of $total)"
    tap_diag_file "$IT_WORK/source.log"
    tail -20 "$PF/maillog" 2>/dev/null | sed 's/^/# /'
    tap_diag_file "$IT_WORK/opendkim.log"
fi
tap_check "opendkim exits after SIGTERM" it_stop "$pid"
tap_done

#!/bin/sh
# server-opendkim.sh - milter-test-server against OpenDKIM signing a message
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/server-opendkim.sh
#
# DESCRIPTION
#   Generates a key with opendkim-genkey, starts opendkim in the foreground
#   as a signer for example.com on loopback (configuration on standard
#   input: opendkim refuses configuration files under /tmp), and sends it a
#   message from 127.0.0.1 (an internal host, so opendkim signs). The
#   status must be accept and the output message must be the one sent with
#   a DKIM-Signature header for d=example.com, s=test inserted at the top.
#   With IT_LIBMILTER=ours (test/integration/libmilter-opendkim.sh) the
#   same unmodified opendkim binary runs on our libmilter (LD_LIBRARY_PATH
#   puts the build tree's libmilter.so.1.0.1 first), and /proc/PID/maps
#   must show ours loaded and Sendmail's not; then 40 sessions at
#   concurrency 8 must all pass, and opendkim must exit after SIGTERM.
#   Prints TAP; skipped only when opendkim or opendkim-tools is missing.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

if ! it_have_pkgs opendkim opendkim-tools; then
    tap_skip_all "not installed: $IT_MISSING"
fi

it_init
if [ "${IT_LIBMILTER:-}" = ours ]; then
    tap_plan 6
    LD_LIBRARY_PATH=$(it_our_libmilter_path)
    export LD_LIBRARY_PATH
else
    tap_plan 3
fi
SERVER=$top_builddir/src/milter-test-server

if ! opendkim-genkey -D "$IT_WORK" -d example.com -s test >"$IT_WORK/genkey.log" 2>&1; then
    tap_diag_file "$IT_WORK/genkey.log"
    tap_not_ok "opendkim-genkey made a key"
    tap_not_ok "opendkim started"
    tap_not_ok "message signed"
    tap_done
fi
tap_ok "opendkim-genkey made a key"

port=$(it_free_port)
cat >"$IT_WORK/opendkim.conf" <<EOF
Domain example.com
Selector test
KeyFile $IT_WORK/test.private
Socket inet:$port@127.0.0.1
Mode s
Canonicalization relaxed/simple
RequireSafeKeys no
Syslog no
Background no
InternalHosts 127.0.0.1
EOF
it_start opendkim sh -c 'exec opendkim -f -x /dev/stdin <"$1"' sh "$IT_WORK/opendkim.conf"
if ! it_wait_port "$port" 15 "$IT_PID"; then
    tap_diag_file "$IT_WORK/opendkim.log"
    tap_not_ok "opendkim started"
    tap_not_ok "message signed"
    tap_done
fi
tap_ok "opendkim started"
opendkim_pid=$IT_PID
if [ "${IT_LIBMILTER:-}" = ours ]; then
    tap_check_our_libmilter opendkim "$opendkim_pid"
fi

"$SERVER" --all-timeouts 60 -s "inet:$port@127.0.0.1" --output-message \
    --connect-address 'inet:2525@[127.0.0.1]' \
    --end-of-message-macro 'i:4XYZ123' \
    -f '<sender@example.com>' -r '<receiver@example.org>' \
    -h 'From:<sender@example.com>' -h 'To:<receiver@example.org>' \
    -h 'Subject:signed' -b 'Signed body.' \
    >"$IT_WORK/out.raw" 2>"$IT_WORK/out.err"
status=$?
# The signature's value holds a timestamp and a signature: check its tags
# and replace it by a placeholder; everything else must match exactly.
sed -e '/^elapsed-time: /d' \
    -e 's/^+ DKIM-Signature: .*/+ DKIM-Signature: SIGNATURE/' \
    -e '/^+ [[:space:]]/d' "$IT_WORK/out.raw" | awk '{ print }' >"$IT_WORK/out"
cat >"$IT_WORK/expected" <<'EOF'
status: accept

Envelope:------------------------------
  MAIL FROM:<sender@example.com>
  RCPT TO:<receiver@example.org>
Header:--------------------------------
+ DKIM-Signature: SIGNATURE
  From: <sender@example.com>
  To: <receiver@example.org>
  Subject: signed
Body:----------------------------------
Signed body.
EOF
if [ "$status" -eq 0 ] && cmp -s "$IT_WORK/expected" "$IT_WORK/out" &&
    grep -q '^+ DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=example.com;' "$IT_WORK/out.raw" &&
    grep -q 's=test;' "$IT_WORK/out.raw"; then
    tap_ok "message signed: DKIM-Signature inserted, status accept"
else
    tap_not_ok "message signed: DKIM-Signature inserted, status accept"
    tap_diag "exit status $status; output:"
    tap_diag_file "$IT_WORK/out.raw"
    tap_diag_file "$IT_WORK/out.err"
    tap_diag_file "$IT_WORK/opendkim.log"
fi
if [ "${IT_LIBMILTER:-}" = ours ]; then
    "$SERVER" --all-timeouts 60 -s "inet:$port@127.0.0.1" \
        --connect-address 'inet:2525@[127.0.0.1]' \
        -f '<sender@example.com>' -r '<receiver@example.org>' \
        -h 'From:<sender@example.com>' -h 'Subject:load' -b 'Load.' \
        --n-sessions 40 --concurrency 8 >"$IT_WORK/load.out" 2>&1
    if grep -q '^failed: 0$' "$IT_WORK/load.out"; then
        tap_ok "40 sessions at concurrency 8 pass"
    else
        tap_not_ok "40 sessions at concurrency 8 pass"
        tap_diag_file "$IT_WORK/load.out"
    fi
    tap_check "opendkim exits after SIGTERM" it_stop "$opendkim_pid"
fi
tap_done

#!/bin/sh
# libmilter-opendmarc.sh - Debian's opendmarc gives the same verdicts and Authentication-Results on our libmilter as on Sendmail's
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-opendmarc.sh
#
# DESCRIPTION
#   opendmarc looks up _dmarc.DOMAIN TXT records through the system's
#   resolver and has no option for another name server. So the test makes
#   a private mount and network namespace (unshare, as root): its own
#   loopback, and a resolv.conf of ours (nameserver 127.0.0.1) bound over
#   /etc/resolv.conf inside the namespace only; there our name server
#   (dns-server.py on port 53) publishes "v=DMARC1; p=reject" for
#   example.test and nothing else. Nothing leaves the machine and nothing
#   system-wide changes. The unmodified /usr/sbin/opendmarc (private
#   configuration: AuthservID mx.test, RejectFailures) runs in that
#   namespace on a unix socket in the work directory, once on Sendmail's
#   libmilter and once with our build tree's libmilter first in
#   LD_LIBRARY_PATH (/proc/PID/maps must show ours). milter-test-server,
#   outside, sends each three messages from a TEST-NET client: From
#   example.test with a trusted "dkim=pass header.d=example.test" result
#   (accepted, "dmarc=pass (p=reject dis=none)" added), From example.test
#   without one (rejected 550 5.7.1 by the domain's policy), and From
#   example.net, which has no policy (accepted, "dmarc=none"). The name
#   server must have been asked; the outputs must be equal on both
#   libraries, and both milters must exit after SIGTERM. Prints TAP;
#   skipped without opendmarc, or without root and unshare.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

if ! it_have_pkgs opendmarc iproute2; then
    tap_skip_all "not installed: $IT_MISSING"
fi
if [ "$(id -u)" != 0 ] || ! unshare --mount --net true 2>/dev/null; then
    tap_skip_all "needs root and unshare --mount --net for a private resolver"
fi
it_init
tap_plan 16
W=$IT_WORK

printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$W/resolv.conf"
it_start dns unshare --mount --net sh -c \
    'ip link set lo up && mount --bind "$1" /etc/resolv.conf && exec "$2" "$3" --port 53 "$4"' \
    sh "$W/resolv.conf" "$IT_PYTHON" "$IT_DIR/dns-server.py" '_dmarc.example.test=txt:v=DMARC1; p=reject'
dns_pid=$IT_PID
if it_wait_grep "$W/dns.log" '^listening 53$' 10; then
    tap_ok "our name server listens on port 53 in a private namespace"
else
    tap_not_ok "our name server listens on port 53 in a private namespace"
    tap_diag_file "$W/dns.log"
fi

# A unix socket belongs to the network namespace it was made in:
# /proc/PID/net/unix of a process there lists it.
listens_in_namespace() {
    awk -v p="$1" '$4 == "00010000" && $NF == p { f = 1 } END { exit !f }' "/proc/$dns_pid/net/unix"
}

for lib in sendmail ours; do
    on="on Sendmail's libmilter"
    [ $lib = ours ] && on="on our libmilter"
    socket=$W/opendmarc-$lib.sock
    cat >"$W/opendmarc-$lib.conf" <<EOF
Socket local:$socket
AuthservID mx.test
TrustedAuthservIDs mx.test
RejectFailures true
Syslog false
Background false
AutoRestart false
EOF
    it_start_on $lib "opendmarc-$lib" nsenter --net="/proc/$dns_pid/ns/net" \
        --mount="/proc/$dns_pid/ns/mnt" /usr/sbin/opendmarc -f -c "$W/opendmarc-$lib.conf"
    pid=$IT_PID
    eval "pid_$lib=\$pid"
    if it_poll 15 listens_in_namespace "$socket"; then
        tap_ok "opendmarc $on listens"
    else
        tap_not_ok "opendmarc $on listens"
        tap_diag_file "$W/opendmarc-$lib.log"
    fi
    [ $lib = ours ] && tap_check_our_libmilter opendmarc "$pid"
    set -- --connect-address 'inet:2525@[192.0.2.10]' -r '<receiver@example.org>'
    it_test_server "$W/$lib.pass" "unix:$socket" "$@" -f '<sender@example.test>' \
        -h 'Authentication-Results:mx.test; dkim=pass header.d=example.test' \
        -h 'From:<sender@example.test>' -h 'Subject:signed' -b 'Hello.'
    it_test_server "$W/$lib.fail" "unix:$socket" "$@" -f '<sender@example.test>' \
        -h 'From:<sender@example.test>' -h 'Subject:forged' -b 'Hello.'
    it_test_server "$W/$lib.none" "unix:$socket" "$@" -f '<sender@example.net>' \
        -h 'From:<sender@example.net>' -h 'Subject:no policy' -b 'Hello.'
    if grep -qx 'status: accept' "$W/$lib.pass" &&
        grep -qx '+ Authentication-Results: mx.test; dmarc=pass (p=reject dis=none) header.from=example.test' \
            "$W/$lib.pass"; then
        tap_ok "$on: aligned DKIM: accepted with dmarc=pass"
    else
        tap_not_ok "$on: aligned DKIM: accepted with dmarc=pass"
        tap_diag_file "$W/$lib.pass.raw"
    fi
    if grep -qx 'status: reject \[550\]<5.7.1>(rejected by DMARC policy for example.test)' "$W/$lib.fail"; then
        tap_ok "$on: no aligned result: rejected by example.test's p=reject"
    else
        tap_not_ok "$on: no aligned result: rejected by example.test's p=reject"
        tap_diag_file "$W/$lib.fail.raw"
    fi
    if grep -qx 'status: accept' "$W/$lib.none" &&
        grep -qx '+ Authentication-Results: mx.test; dmarc=none (p=none dis=none) header.from=example.net' \
            "$W/$lib.none"; then
        tap_ok "$on: a domain without policy: accepted with dmarc=none"
    else
        tap_not_ok "$on: a domain without policy: accepted with dmarc=none"
        tap_diag_file "$W/$lib.none.raw"
    fi
done
tap_check "opendmarc asked our name server for _dmarc.example.test and _dmarc.example.net" \
    sh -c 'grep -qx "query _dmarc.example.test" "$1" && grep -qx "query _dmarc.example.net" "$1"' \
    sh "$W/dns.log"
# shellcheck disable=SC2154 # set by eval above
tap_check_both_libs opendmarc "$pid_sendmail" "$pid_ours" pass fail none
tap_done

#!/bin/sh
# libmilter-clamav.sh - Debian's clamav-milter with a real clamd gives the same results on our libmilter as on Sendmail's
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-clamav.sh
#
# DESCRIPTION
#   clamd (clamav-daemon) runs in the foreground with a private clamd.conf
#   on a unix socket in the work directory; its only database is a
#   signature of our own (an .ndb body pattern written here: no downloaded
#   signatures, no freshclam). The unmodified /usr/sbin/clamav-milter runs
#   with a private configuration (OnInfected Reject, AddHeader Replace)
#   once on Sendmail's libmilter and once with our build tree's libmilter
#   first in LD_LIBRARY_PATH (/proc/PID/maps must show ours).
#   milter-test-server sends each a clean message (accepted, with
#   X-Virus-Scanned and "X-Virus-Status: Clean"), one with the pattern in
#   its body and one with it in a base64 attachment (clamd must decode the
#   MIME part), both rejected with 550 5.7.1 naming our signature. The
#   outputs must be equal on both libraries and both milters must exit
#   after SIGTERM. Waits are bounded polls. Prints TAP; skipped only
#   without clamav-milter or clamav-daemon.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

if ! it_have_pkgs clamav-milter clamav-daemon; then
    tap_skip_all "not installed: $IT_MISSING"
fi
it_init
tap_plan 15
W=$IT_WORK
SIGNATURE=MilterManager.Test.Signature
PATTERN='milter manager test pattern: not a virus, a signature of our own'

# An .ndb line is NAME:TARGET:OFFSET:HEX; target 0 is any file, offset *
# anywhere in it.
mkdir -p "$W/db" "$W/tmp"
printf '%s:0:*:%s\n' "$SIGNATURE" "$(printf '%s' "$PATTERN" | od -An -tx1 | tr -d ' \n')" \
    >"$W/db/milter-manager-test.ndb"
cat >"$W/clamd.conf" <<EOF
LocalSocket $W/clamd.sock
Foreground yes
DatabaseDirectory $W/db
TemporaryDirectory $W/tmp
LogFile $W/clamd-file.log
LogFileUnlock yes
SelfCheck 0
EOF
it_start clamd clamd -c "$W/clamd.conf"
clamd_pid=$IT_PID
if it_wait_unix "$W/clamd.sock" 30 "$clamd_pid" && grep -q '^Loaded 1 signatures' "$W/clamd-file.log"; then
    tap_ok "clamd loads our one signature and listens on its unix socket"
else
    tap_not_ok "clamd loads our one signature and listens on its unix socket"
    tap_diag_file "$W/clamd.log"
    tap_diag_file "$W/clamd-file.log"
fi

attachment=$(printf '%s\n' "$PATTERN" | base64)
for lib in sendmail ours; do
    on="on Sendmail's libmilter"
    [ $lib = ours ] && on="on our libmilter"
    port=$(it_free_port)
    cat >"$W/clamav-milter-$lib.conf" <<EOF
MilterSocket inet:$port@127.0.0.1
ClamdSocket unix:$W/clamd.sock
Foreground yes
TemporaryDirectory $W/tmp
OnClean Accept
OnInfected Reject
OnFail Defer
RejectMsg Rejected: %v found
AddHeader Replace
ReportHostname milter.test
LogFile $W/clamav-milter-$lib-file.log
LogFileUnlock yes
LogInfected Basic
EOF
    it_start_on $lib "clamav-milter-$lib" /usr/sbin/clamav-milter -c "$W/clamav-milter-$lib.conf"
    pid=$IT_PID
    eval "pid_$lib=\$pid"
    if it_wait_port "$port" 15 "$pid"; then
        tap_ok "clamav-milter $on listens"
    else
        tap_not_ok "clamav-milter $on listens"
        tap_diag_file "$W/clamav-milter-$lib.log"
        tap_diag_file "$W/clamav-milter-$lib-file.log"
    fi
    [ $lib = ours ] && tap_check_our_libmilter clamav-milter "$pid"
    set -- -f '<sender@example.com>' -r '<receiver@example.org>' -h 'From:<sender@example.com>'
    it_test_server "$W/$lib.clean" "inet:$port@127.0.0.1" "$@" -h 'Subject:clean' \
        -b 'Nothing to see here.'
    it_test_server "$W/$lib.body" "inet:$port@127.0.0.1" "$@" -h 'Subject:in the body' \
        -b "Look: $PATTERN"
    it_test_server "$W/$lib.attachment" "inet:$port@127.0.0.1" "$@" -h 'Subject:attached' \
        -h 'MIME-Version:1.0' -h 'Content-Type:multipart/mixed; boundary="part"' \
        -b "--part
Content-Type: text/plain

See the attachment.
--part
Content-Type: application/octet-stream; name=\"a.bin\"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=\"a.bin\"

$attachment
--part--"
    if grep -qx 'status: accept' "$W/$lib.clean" &&
        grep -qx '+ X-Virus-Scanned: clamav-milter [0-9.]* at milter.test' "$W/$lib.clean" &&
        grep -qx '+ X-Virus-Status: Clean' "$W/$lib.clean"; then
        tap_ok "$on: the clean message is accepted with X-Virus-Scanned and X-Virus-Status: Clean"
    else
        tap_not_ok "$on: the clean message is accepted with X-Virus-Scanned and X-Virus-Status: Clean"
        tap_diag_file "$W/$lib.clean.raw"
    fi
    for message in body attachment; do
        if grep -qx "status: reject \\[550\\]<5.7.1>(Rejected: $SIGNATURE.UNOFFICIAL found)" \
            "$W/$lib.$message"; then
            tap_ok "$on: our pattern in the $message is rejected, 550 5.7.1 naming $SIGNATURE"
        else
            tap_not_ok "$on: our pattern in the $message is rejected, 550 5.7.1 naming $SIGNATURE"
            tap_diag_file "$W/$lib.$message.raw"
        fi
    done
done
# shellcheck disable=SC2154 # set by eval above
tap_check_both_libs clamav-milter "$pid_sendmail" "$pid_ours" clean body attachment
tap_done

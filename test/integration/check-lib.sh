#!/bin/sh
# check-lib.sh - TAP test of test/integration/lib.sh itself
#
# SYNOPSIS
#   top_srcdir=SRC sh test/integration/check-lib.sh
#
# DESCRIPTION
#   Exercises the helpers with plain python3 listeners: free ports are
#   distinct and bindable, readiness waits succeed on a listening TCP port or
#   unix socket and fail fast (with a message) when the process died, it_stop
#   ends a TERM-obeying process and falls back to SIGKILL for one that
#   ignores TERM, and the EXIT trap of a nested shell stops what it started
#   and removes its work directory; it_start_on gives only the "ours" run
#   our libmilter's LD_LIBRARY_PATH; tap_check_same passes equal files and
#   fails different ones with their diff. Needs only /usr/bin/python3.
#   Runs in ~3 s.
#
# DIAGNOSTICS
#   TAP on stdout; exit 1 if any test failed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top_srcdir/test/integration/lib.sh"
it_init
tap_plan 14

LISTEN_TCP='import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)'
LISTEN_UNIX='import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(60)'

p1=$(it_free_port)
p2=$(it_free_port)
case $p1$p2 in
*[!0-9]*) tap_not_ok "it_free_port prints port numbers ($p1, $p2)" ;;
*) tap_result "$([ "$p1" -ne "$p2" ] && [ "$p1" -gt 0 ] && echo 0 || echo 1)" \
    "it_free_port prints two distinct ports ($p1, $p2)" ;;
esac

it_start tcp "$IT_PYTHON" -c "$LISTEN_TCP" "$p1"
tcp_pid=$IT_PID
tap_check "it_wait_port sees 127.0.0.1:$p1 listening" it_wait_port "$p1" 10 "$tcp_pid"
tap_check "it_alive is true for a running process" it_alive "$tcp_pid"

it_start unix "$IT_PYTHON" -c "$LISTEN_UNIX" "$IT_WORK/s.sock"
tap_check "it_wait_unix sees the socket listening" it_wait_unix "$IT_WORK/s.sock" 10 "$IT_PID"
tap_check "it_stop ends a process that obeys SIGTERM" it_stop "$IT_PID"

it_start dead sh -c 'exit 3'
dead_pid=$IT_PID
start=$(date +%s)
it_wait_port "$p2" 10 "$dead_pid" 2>"$IT_WORK/wait.err"
status=$?
elapsed=$(($(date +%s) - start))
tap_result "$([ $status -ne 0 ] && [ $elapsed -lt 5 ] && echo 0 || echo 1)" \
    "it_wait_port fails at once when the process died (${elapsed}s)"
tap_check "... with a message naming the process" grep -q "process $dead_pid exited before listening" "$IT_WORK/wait.err"
tap_result "$(it_alive "$dead_pid" && echo 1 || echo 0)" "it_alive is false for an exited (zombie) child"

IT_STOP_WAIT=1
it_start stubborn sh -c "trap '' TERM; : >'$IT_WORK/stubborn.ready'; while :; do sleep 1; done"
stubborn=$IT_PID
# Bounded poll: SIGTERM is ignored only once the trap is set.
i=0
while [ ! -e "$IT_WORK/stubborn.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
it_stop "$stubborn" 2>"$IT_WORK/stop.err"
status=$?
tap_result "$([ $status -eq 1 ] && ! it_alive "$stubborn" && echo 0 || echo 1)" \
    "it_stop kills a process that ignores SIGTERM and returns 1"
IT_STOP_WAIT=10

# A nested test shell: its EXIT trap must stop its listener and remove its dir.
p3=$(it_free_port)
top_srcdir=$top_srcdir sh -c '
    . "$top_srcdir/test/integration/lib.sh"
    it_init
    echo "$IT_WORK" >"$1/nested.work"
    it_start l "$IT_PYTHON" -c "$2" "$3"
    echo "$IT_PID" >"$1/nested.pid"
    it_wait_port "$3" 10 "$IT_PID"
    exit 0' nested "$IT_WORK" "$LISTEN_TCP" "$p3" </dev/null
nested_pid=$(cat "$IT_WORK/nested.pid")
tap_result "$(! it_alive "$nested_pid" && [ ! -d "$(cat "$IT_WORK/nested.work")" ] && echo 0 || echo 1)" \
    "EXIT trap stops started processes and removes the work dir"

it_start_on ours env-ours sh -c 'echo "${LD_LIBRARY_PATH-unset}"'
ours_pid=$IT_PID
(unset LD_LIBRARY_PATH; it_start_on sendmail env-sendmail sh -c 'echo "${LD_LIBRARY_PATH-unset}"'; wait "$IT_PID")
wait "$ours_pid"
tap_result "$([ "$(cat "$IT_WORK/env-ours.log")" = "$(it_our_libmilter_path)" ] &&
    [ "$(cat "$IT_WORK/env-sendmail.log")" = unset ] && echo 0 || echo 1)" \
    "it_start_on: our libmilter's directories first in LD_LIBRARY_PATH for ours only"

printf 'a\nb\n' >"$IT_WORK/same1"
printf 'a\nb\n' >"$IT_WORK/same2"
printf 'a\nc\n' >"$IT_WORK/other"
tap_check_same "tap_check_same passes equal files" "$IT_WORK/same1" "$IT_WORK/same2"
# In a subshell: the failure it reports must not count here.
differ=$(IT_TAP_N=0; tap_check_same "D" "$IT_WORK/same1" "$IT_WORK/other")
tap_result "$(printf '%s\n' "$differ" | head -n 1 | grep -qx 'not ok 1 - D' &&
    printf '%s\n' "$differ" | grep -qx '# +c' && echo 0 || echo 1)" \
    "tap_check_same fails different files and shows their diff"

it_stop_all
tap_result "$(it_alive "$tcp_pid" && echo 1 || echo 0)" "it_stop_all stops the remaining processes"

tap_done

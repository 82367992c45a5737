#!/bin/sh
# manager-launcher.sh - child milters started on demand (launcher.md):
# the real daemon, started as root with security.privilege_mode, forks
# the process launcher; an egg whose command is milter-test-client
# (found through PATH) as user nobody is not running. A burst of
# sessions through the manager (milter-test-server as the MTA) gets it
# started ONCE, as nobody, and every session answered by it; a later
# session goes through the running child. The same for a child on TCP
# (its connect fails in the loop, not at once). A child whose user does not
# exist is not started: the launcher's error reaches the daemon's log
# and the session goes on with the child's fallback. The start-up rows
# of the launcher's pipes are provoked with manager.max_file_descriptors.
# When the process launcher dies the daemon says launching is off, and
# sessions go on; it exits with the daemon.
# Processes are stopped by PID; waits are bounded polls.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
S=$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)
B=$(cd "${top_builddir:-$S}" && pwd)
MM=$B/src/milter-manager
TEST_SERVER=$B/src/milter-test-server
[ -x "$MM" ] || tap_skip_all "milter-manager is not built"
[ "$(id -u)" = 0 ] || tap_skip_all "needs root (privilege mode)"
id nobody >/dev/null 2>&1 || tap_skip_all "no user nobody"
MILTER_MANAGER_RUBYLIB=$S/binding/ruby/lib:$B/binding/ruby/lib
MILTER_MANAGER_CONFIG_DIR=$S/conf
unset MILTER_LOG_LEVEL
# The launcher searches PATH for the command's program.
PATH=$B/src:$PATH
# Detection (defaults/PLATFORM.conf) sees an empty system: the chain is
# the test's own, whatever milters this machine has installed.
MILTER_MANAGER_DETECTION_ROOT=$IT_WORK/no-installed-milters
export MILTER_MANAGER_DETECTION_ROOT MILTER_MANAGER_RUBYLIB MILTER_MANAGER_CONFIG_DIR PATH
W=$IT_WORK
# nobody's milter makes its socket and PID file here.
chmod 755 "$W"
mkdir -p "$W/run" && chmod 777 "$W/run"
tap_plan 15
port=$(it_free_port)

poll() { it_poll "$@"; }
has_line() { it_has_line "$@"; }
wait_grep() { it_wait_grep "$@"; }
count() { grep -c -- "$2" "$1" 2>/dev/null; }
conf() { mkdir -p "$1" && cat >"$1/milter-manager.conf"; }
session() { # session OUT: one session through the manager
    "$TEST_SERVER" -s "unix:$W/manager.sock" -f '<alice@example.test>' \
        -r '<bob@example.net>' -h 'Subject: launch' -b 'hello' --output-message >"$1" 2>&1
}

conf "$W/conf" <<CONF
security.privilege_mode = true
manager.connection_spec = "unix:$W/manager.sock"
log.use_syslog = false
define_milter("on-demand") do |milter|
  milter.connection_spec = "unix:$W/run/child.sock"
  milter.command = "milter-test-client"
  milter.command_options = ["-s", "unix:$W/run/child.sock", "--pid-file", "$W/run/child.pid",
                            "--add-header", "X-Launched:yes"]
  milter.user_name = "nobody"
  milter.fallback_status = "reject"
end
define_milter("on-demand-tcp") do |milter|
  milter.connection_spec = "inet:$port@127.0.0.1"
  milter.command = "milter-test-client"
  milter.command_options = ["-s", "inet:$port@127.0.0.1", "--pid-file", "$W/run/tcp.pid",
                            "--add-header", "X-Launched-TCP:yes"]
  milter.user_name = "nobody"
end
define_milter("no-such-user") do |milter|
  milter.connection_spec = "unix:$W/run/missing.sock"
  milter.command = "milter-test-client"
  milter.command_options = "-s unix:$W/run/missing.sock"
  milter.user_name = "no-such-user-42"
end
CONF

it_start manager "$MM" --config-dir "$W/conf" --log-level=all --log-path "$W/manager.log"
manager=$IT_PID
it_wait_unix "$W/manager.sock" 15 "$manager"
tap_result $? "the daemon starts in privilege mode" || tap_diag_file "$W/manager.log"

helper=$(pgrep -P "$manager" | head -n 1)
[ -n "$helper" ] && [ "$(stat -c %u "/proc/$helper")" = 0 ] &&
    has_line "$W/manager.log" '\[manager\]\[process-launcher\]\[pipe\] command:<[0-9]*:[0-9]*>, reply:<[0-9]*:[0-9]*>'
tap_result $? "the process launcher is forked before the privilege drop and runs as root" ||
    tap_diag_file "$W/manager.log"

# ---- a burst of sessions while the child is not running -------------------
i=0
pids=
while [ $i -lt 5 ]; do
    i=$((i + 1))
    session "$W/burst-$i.out" &
    pids="$pids $!"
done
failed=0
for p in $pids; do
    wait "$p" || failed=1
done
[ $failed = 0 ] && [ -s "$W/run/child.pid" ]
tap_result $? "the sessions of a burst all finish and the child milter was started" ||
    { tap_diag_file "$W/burst-1.out"; tap_diag_file "$W/manager.log"; }
child=$(cat "$W/run/child.pid" 2>/dev/null)
[ -n "$child" ] && it_adopt_pid "$child"
tcp_child=$(cat "$W/run/tcp.pid" 2>/dev/null)
[ -n "$tcp_child" ] && it_adopt_pid "$tcp_child"

answered=0
for i in 1 2 3 4 5; do
    grep -q '^status: accept' "$W/burst-$i.out" && grep -q '^ *+ *X-Launched: yes' "$W/burst-$i.out" &&
        grep -q '^ *+ *X-Launched-TCP: yes' "$W/burst-$i.out" && answered=$((answered + 1))
done
[ "$answered" = 5 ]
tap_result $? "every session of the burst was answered by both started children (unix and TCP: their headers added)" ||
    { tap_diag_file "$W/burst-1.out"; tap_diag "answered: $answered"; }

[ "$(count "$W/manager.log" '\[launcher\]\[start\] milter-test-client -s unix:')" = 1 ] &&
    [ "$(count "$W/manager.log" '\[children\]\[start-child\] \[on-demand\]')" = 1 ] &&
    [ "$(pgrep -c -u nobody -f "$W/run/child.sock")" = 1 ] &&
    [ "$(count "$W/manager.log" '\[launcher\]\[start\] milter-test-client -s inet:')" = 1 ] &&
    [ "$(count "$W/manager.log" '\[children\]\[start-child\] \[on-demand-tcp\]')" = 1 ]
tap_result $? "a burst starts one process per milter: one request, one start, one running child" ||
    { grep -e 'start-child' -e 'launcher\]' "$W/manager.log" | tap_diag_file /dev/stdin; }

[ -n "$child" ] && [ "$(stat -c %u "/proc/$child")" = "$(id -u nobody)" ] &&
    [ "$(stat -c %g "/proc/$child")" = "$(id -g nobody)" ]
tap_result $? "the child runs as milter.user_name (nobody), group switched too" ||
    tap_diag "child $child: $(stat -c '%u:%g' "/proc/$child" 2>&1)"

has_line "$W/manager.log" 'debug.*\[launcher\]\[child\]\[authority\]\[user\]' &&
    has_line "$W/manager.log" '\[children\]\[start-child\]\[hold-off\] \['
# Held off: a session that joins a launch in progress (timing-dependent),
# or any later one within the hold-off after no-such-user's failure.
tap_result $? "debug: the switches and the held-off sessions are logged" ||
    tap_diag_file "$W/manager.log"

# ---- the launcher's error reaches the daemon --------------------------------
has_line "$W/manager.log" '\[launcher\]\[error\]\[launch\] milter-test-client -s unix:[^ ]*missing.sock@no-such-user-42: No password entry: no-such-user-42' &&
    has_line "$W/manager.log" '\[manager\]\[launcher\]\[reply\]\[error\] milter-test-client -s unix:[^ ]*missing.sock@no-such-user-42: No password entry: no-such-user-42' &&
    has_line "$W/manager.log" '\[children\]\[error\]\[connection\] \[[0-9]*\] not launched: No password entry: no-such-user-42: no-such-user'
tap_result $? "a user that does not exist: nothing started, the reply logged on the daemon's side" ||
    tap_diag_file "$W/manager.log"
[ ! -e "$W/run/missing.sock" ]
tap_result $? "the child with the unknown user was not run"

# ---- later sessions go through the running child ----------------------------
session "$W/later.out" && grep -q '^ *+ *X-Launched: yes' "$W/later.out" &&
    grep -q '^ *+ *X-Launched-TCP: yes' "$W/later.out" &&
    [ "$(count "$W/manager.log" '\[launcher\]\[start\] milter-test-client')" = 2 ]
tap_result $? "a later session passes through the running child, nothing launched again, the failed launch held off" ||
    tap_diag_file "$W/later.out"

# ---- the process launcher dies ----------------------------------------------
[ -n "$tcp_child" ] && it_stop "$tcp_child"
kill -KILL "$helper"
wait_grep "$W/manager.log" 'error: \[manager\]\[launcher\]\[exited\]'
tap_result $? "the daemon notices the launcher's death: launching is off (error)" ||
    tap_diag_file "$W/manager.log"
# (The unix child dies too once it writes to the stdout the launcher
# read: SIGPIPE. Its fallback, reject, answers.)
session "$W/after-death.out" && grep -q '^status: ' "$W/after-death.out" &&
    ! grep -q 'X-Launched-TCP' "$W/after-death.out" &&
    [ "$(count "$W/manager.log" '\[launcher\]\[start\] milter-test-client')" = 2 ] &&
    has_line "$W/manager.log" "\[children\]\[start-child\]\[skip\] \[[0-9]*\] on-demand-tcp: launcher isn't available"
tap_result $? "then a session goes on without the child that is gone, nothing launched (debug: launcher isn't available)" ||
    { tap_diag_file "$W/after-death.out"; tap_diag_file "$W/manager.log"; }
it_stop "$manager"
[ "$IT_STATUS" = 0 ]
tap_result $? "the daemon stops normally after it" || tap_diag "status $IT_STATUS"
[ -n "$child" ] && it_stop "$child"

# ---- the process launcher ends with the daemon ------------------------------
conf "$W/plain" <<CONF
security.privilege_mode = true
manager.connection_spec = "unix:$W/plain.sock"
log.use_syslog = false
CONF
it_start plain "$MM" --config-dir "$W/plain"
plain=$IT_PID
it_wait_unix "$W/plain.sock" 15 "$plain"
helper=$(pgrep -P "$plain" | head -n 1)
it_stop "$plain"
[ -n "$helper" ] && [ "$IT_STATUS" = 0 ] && poll 10 sh -c "! kill -0 $helper 2>/dev/null"
tap_result $? "the process launcher exits when the daemon has stopped" ||
    tap_diag "helper ${helper:-none} still there"

# ---- the pipes cannot be created -------------------------------------------
# Descriptors in use at that point: measured by a daemon that fails later.
conf "$W/nofd" <<CONF
security.privilege_mode = true
manager.connection_spec = "unix:$W/nofd.sock"
log.use_syslog = false
manager.max_file_descriptors = 4
CONF
"$MM" --config-dir "$W/nofd" >"$W/nofd.out" 2>&1
rc=$?
[ $rc != 0 ] && has_line "$W/nofd.out" 'failed to create pipe for launcher command: Too many open files' &&
    has_line "$W/nofd.out" ' error: failed to create pipe for launcher command' 
tap_result $? "no descriptor left: 'failed to create pipe for launcher command' (error), start-up fails" ||
    tap_diag_file "$W/nofd.out"
tap_done

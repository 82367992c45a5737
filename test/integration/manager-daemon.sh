#!/bin/sh
# manager-daemon.sh - the milter-manager daemon as a program: its command
# line (--help, --help-all, --version, refused values), --show-config of
# the bundled configuration and of a test one (exact text), configuration
# errors naming FILE:LINE, start on a unix socket in the work directory
# and on a free inet port with a session through it (milter-test-server),
# the PID file, SIGHUP reload (a new configuration, a failed one keeping
# the old), SIGUSR1 reopening the log file, SIGTERM removing socket and
# PID file, and the catalogued start-up rows (failed to listen, failed to
# drop privilege, RLIMIT_NOFILE, the custom configuration directory, the
# effective user's lookup failing and its custom directory in the load path,
# the stack trace of a crash),
# each with its level. Waits are bounded polls.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
S=$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)
B=$(cd "${top_builddir:-$S}" && pwd)
MM=$B/src/milter-manager
TEST_SERVER=$B/src/milter-test-server
[ -x "$MM" ] || tap_skip_all "milter-manager is not built"
MILTER_MANAGER_RUBYLIB=$S/binding/ruby/lib:$B/binding/ruby/lib
MILTER_MANAGER_CONFIG_DIR=$S/conf
unset MILTER_LOG_LEVEL
# Detection (defaults/PLATFORM.conf) sees an empty system: the chain is
# the test's own, whatever milters this machine has installed.
MILTER_MANAGER_DETECTION_ROOT=$IT_WORK/no-installed-milters
export MILTER_MANAGER_DETECTION_ROOT MILTER_MANAGER_RUBYLIB MILTER_MANAGER_CONFIG_DIR
FIXTURES=$S/test/daemon/fixtures
W=$IT_WORK
tap_plan 49

poll() { it_poll "$@"; }
has_line() { it_has_line "$@"; }
has_lines() { [ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ]; }
wait_grep() { it_wait_grep "$@"; }
# wait_count FILE PATTERN N [SECS]: until N lines match.
wait_count() { poll "${4:-10}" has_lines "$1" "$2" "$3"; }
# start_daemon NAME SOCKET ARG...: milter-manager ARG... in the background
# (output in $W/NAME.log, PID in $pid), then wait until SOCKET listens.
start_daemon() {
    _name=$1
    _socket=$2
    shift 2
    it_start "$_name" "$MM" "$@"
    pid=$IT_PID
    it_wait_unix "$_socket" 15 "$pid"
}
conf() { # conf DIR: write stdin as DIR/milter-manager.conf
    mkdir -p "$1" && cat >"$1/milter-manager.conf"
}
session() { # session SPEC OUT
    "$TEST_SERVER" -s "$1" -f '<alice@example.test>' -r '<bob@example.net>' \
        -h 'Subject: test' -b 'hello' >"$2" 2>&1 && grep -q '^status: ' "$2"
}

# ---- command line --------------------------------------------------------
"$MM" --version >"$W/version.out" 2>&1
rc=$?
version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$S/configure.ac")
[ $rc -eq 0 ] && [ "$(cat "$W/version.out")" = "milter-manager $version" ]
tap_result $? "--version prints 'milter-manager VERSION' and exits 0" || tap_diag_file "$W/version.out"

"$MM" --help >"$W/help.out" 2>&1
rc=$?
options=$(grep -o -- ' --[a-z-]*' "$W/help.out" | grep -v -- '--help' | tr -d ' ' | tr '\n' ' ')
[ $rc -eq 0 ] && [ "$options" = "--config-dir --show-config --version " ]
tap_result $? "--help lists only --config-dir, --show-config and --version" ||
    tap_diag "got: $options"

"$MM" --help-all >"$W/help-all.out" 2>&1
missing=
for o in config-dir show-config version connection-spec log-level log-path verbose quiet \
    syslog syslog-facility daemon no-daemon user user-id user-name group group-id \
    group-name unix-socket-group unix-socket-mode n-workers event-loop-backend \
    packet-buffer-size pid-file max-pending-finished-sessions; do
    grep -q -- "--$o[= ]" "$W/help-all.out" || missing="$missing --$o"
done
[ -z "$missing" ]
tap_result $? "--help-all lists every option of configuration.md §5" || tap_diag "missing:$missing"

"$MM" --n-workers=1001 >"$W/bad.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q '^milter-manager: --n-workers: at most 1000, not 1001$' "$W/bad.out"
tap_result $? "a bad option value: its message and exit status 2" || tap_diag_file "$W/bad.out"

"$MM" --no-such-option >"$W/unknown.out" 2>&1
[ $? -eq 2 ] && grep -q 'Unknown option --no-such-option' "$W/unknown.out"
tap_result $? "an unknown option: exit status 2" || tap_diag_file "$W/unknown.out"

"$MM" --socket-group-name=root -s "unix:/nonexistent-dir/x.sock" >"$W/deprecated.out" 2>&1
grep -q ' warning: \[manager\]\[option\]\[deprecated\] --socket-group-name is deprecated' "$W/deprecated.out"
tap_result $? "--socket-group-name: [manager][option][deprecated] warning" ||
    tap_diag_file "$W/deprecated.out"

# ---- --show-config -------------------------------------------------------
"$MM" --show-config >"$W/bundled.out" 2>"$W/bundled.err"
rc=$?
if grep -q '^package.platform = "debian"$' "$W/bundled.out"; then
    sed "s|$S/conf|@CONFDIR@|; s|^package.platform = .*|package.platform = @PLATFORM@|" \
        "$W/bundled.out" >"$W/bundled.txt"
    [ $rc -eq 0 ] && diff -u "$FIXTURES/bundled-show-config.txt" "$W/bundled.txt" >"$W/bundled.diff"
    tap_result $? "--show-config of the bundled configuration: exact text" ||
        tap_diag_file "$W/bundled.diff"
else
    tap_skip "the bundled --show-config fixture is Debian's (platform debian)"
fi

fixture_dir=$(cd "$FIXTURES/show-config" && pwd -P)
"$MM" -c "$fixture_dir" --show-config >"$W/show.out" 2>"$W/show.err"
rc=$?
sed "s|$fixture_dir|@DIR@|; s|^package.platform = .*|package.platform = @PLATFORM@|" \
    "$W/show.out" >"$W/show.txt"
[ $rc -eq 0 ] && diff -u "$FIXTURES/show-config.txt" "$W/show.txt" >"$W/show.diff"
tap_result $? "--show-config of a test configuration: exact text, exit 0" ||
    tap_diag_file "$W/show.diff"

"$MM" -c "$fixture_dir" --show-config -s inet:2999@127.0.0.1 --n-workers=2 \
    --log-level=error >"$W/show-override.out" 2>&1
rc=$?
[ $rc -eq 0 ] &&
    grep -A1 -x '# default' "$W/show-override.out" | grep -qx 'manager.connection_spec = "inet:2999@127.0.0.1"' &&
    grep -A1 -x '# default' "$W/show-override.out" | grep -qx 'manager.n_workers = 2' &&
    grep -A1 -x '# default' "$W/show-override.out" | grep -qx 'log.level = "error"'
tap_result $? "--show-config shows command-line overrides under '# default'" ||
    tap_diag_file "$W/show-override.out"

# ---- configuration errors ------------------------------------------------
conf "$W/bad-value" <<'EOF'
# line 1
manager.max_connections = 3
manager.fallback_status = "sometimes"
EOF
"$MM" -c "$W/bad-value" -s "unix:$W/never.sock" >"$W/bad-value.out" 2>&1
rc=$?
[ $rc -eq 1 ] &&
    grep -q "^milter-manager: $W/bad-value/milter-manager.conf:3: manager.fallback_status should be one of" "$W/bad-value.out" &&
    grep -q " error: \[configuration\]\[load\]\[error\] $W/bad-value/milter-manager.conf:3: " "$W/bad-value.out" &&
    [ ! -e "$W/never.sock" ]
tap_result $? "an invalid value: FILE:LINE in the message, [configuration][load][error], exit 1" ||
    tap_diag_file "$W/bad-value.out"
grep -q " error: \[manager\]\[configuration\]\[reload\]\[command-line-load-path\]\[error\] $W/bad-value/" "$W/bad-value.out"
tap_result $? "with --config-dir: [manager][configuration][reload][command-line-load-path][error]" ||
    tap_diag_file "$W/bad-value.out"

conf "$W/syntax" <<'EOF'
manager.max_connections = 3
define_milter("x") do |milter|
  milter.connection_spec = "inet:1@[127.0.0.1]"
EOF
"$MM" -c "$W/syntax" --show-config >"$W/syntax.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^milter-manager: .*$W/syntax/milter-manager.conf:[0-9]*" "$W/syntax.out" &&
    ! grep -q '^manager.max_connections' "$W/syntax.out"
tap_result $? "a Ruby syntax error: FILE:LINE named, exit 1, no dump, no crash" ||
    tap_diag_file "$W/syntax.out"

mkdir -p "$W/custom"
echo 'manager.max_connections = 2' >"$W/custom/milter-manager.conf"
printf '<configuration>\n  <manager>\n    <bad\n' >"$W/custom/milter-manager.custom.conf"
"$MM" -c "$W/custom" --show-config >"$W/custom.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q " error: \[configuration\]\[load\]\[custom\]\[error\] $W/custom/milter-manager.custom.conf: invalid XML" "$W/custom.out"
tap_result $? "a broken milter-manager.custom.conf: [configuration][load][custom][error], exit 1" ||
    tap_diag_file "$W/custom.out"

# ---- running: unix socket, PID file, reload, signals ---------------------
# The milters of run_conf are all one real child: a session through the
# manager needs a child that negotiates (with none, the MTA connection is
# closed, D1).
CHILD_PORT=$(it_free_port)
it_start child "$B/src/milter-test-client" -s "inet:$CHILD_PORT@127.0.0.1" --quiet
it_wait_port "$CHILD_PORT" 10 "$IT_PID" || tap_diag_file "$W/child.log"
run_conf() { # run_conf DIR SOCK LOG MILTERS LEVEL
    conf "$1" <<EOF
manager.connection_spec = "unix:$2"
manager.unix_socket_mode = 0600
log.path = "$3"
log.level = "$5"
log.use_syslog = false
$(for m in $4; do printf 'define_milter("%s") do |milter|\n  milter.connection_spec = "inet:%s@[127.0.0.1]"\nend\n' "$m" "$CHILD_PORT"; done)
EOF
}
sock=$W/run/mm.sock
log=$W/run/mm.log
run_conf "$W/run" "$sock" "$log" "a" "error|warning|info"
start_daemon daemon "$sock" -c "$W/run" --pid-file "$W/run/mm.pid"
tap_result $? "starts and listens on the unix socket of manager.connection_spec" ||
    tap_diag_file "$W/daemon.log"
mode=$(stat -c %a "$sock" 2>/dev/null)
[ "$mode" = 600 ]
tap_result $? "the socket has manager.unix_socket_mode (600, got $mode)"
wait_grep "$W/run/mm.pid" . 5
[ "$(cat "$W/run/mm.pid" 2>/dev/null)" = "$pid" ]
tap_result $? "the PID file holds the daemon's PID"
"$MM" -c "$W/run" -s "unix:$W/second.sock" --pid-file "$W/run/mm.pid" >"$W/second.out" 2>&1
rc=$?
# (the file's log.path: the second daemon logs there too)
[ $rc -eq 1 ] && grep -q ' error: failed to start milter-manager process: PID file' "$log" &&
    [ "$(cat "$W/run/mm.pid")" = "$pid" ] && [ ! -e "$W/second.sock" ]
tap_result $? "a second daemon on the same PID file: 'failed to start milter-manager process:' (error), exit 1, the file kept" ||
    tap_diag_file "$log"
session "unix:$sock" "$W/session-unix.out"
tap_result $? "a session through the unix socket (milter-test-server)" ||
    tap_diag_file "$W/session-unix.out"

run_conf "$W/run" "$sock" "$log" "a b" "error|warning|info"
kill -HUP "$pid"
wait_grep "$log" ' info: \[manager\]\[reload\]\[success\] configuration reloaded: milters: \[a, b\]'
tap_result $? "SIGHUP reloads: the new milter list is logged" || tap_diag_file "$log"

conf "$W/run" <<'EOF'
log.level = "none"
manager.max_connections = "many"
EOF
kill -HUP "$pid"
wait_grep "$log" " error: \[manager\]\[reload\]\[signal\]\[error\] $W/run/milter-manager.conf:2: manager.max_connections"
tap_result $? "a failed reload: [manager][reload][signal][error] naming FILE:LINE" || tap_diag_file "$log"
kill -HUP "$pid"
wait_count "$log" '\[manager\]\[reload\]\[signal\]\[error\]' 2
rc=$?
it_alive "$pid" && [ $rc -eq 0 ] && grep -q " error: \[configuration\]\[load\]\[error\] $W/run/milter-manager.conf:2" "$log"
tap_result $? "the old configuration stays (its log level too: log.level = none never applied)" ||
    tap_diag_file "$log"
session "unix:$sock" "$W/session-after.out"
tap_result $? "sessions still served after the failed reload" || tap_diag_file "$W/session-after.out"

# The configuration is still the broken one: a reload only logs its
# error, into whatever file the logger has open, so the line lands in the
# new file only if SIGUSR1 reopened it.
mv "$log" "$log.1"
kill -USR1 "$pid"
kill -HUP "$pid"
wait_grep "$log" '\[manager\]\[reload\]\[signal\]\[error\]'
tap_result $? "SIGUSR1 reopens the log file (a new file after rotation)" || tap_diag_file "$log.1"

# A session in flight when SIGTERM comes: it finishes first; a new
# connection meanwhile is closed at once; then the daemon exits 0.
cat >"$W/hold.py" <<'EOF'
import os, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
negotiate = b"O" + struct.pack(">III", 6, 0x1FF, 0x1FFFFF)
s.sendall(struct.pack(">I", len(negotiate)) + negotiate)
s.recv(4096)
open(sys.argv[2], "w").write("negotiated\n")
deadline = time.time() + 20
while not os.path.exists(sys.argv[3]) and time.time() < deadline:
    time.sleep(0.05)
s.sendall(struct.pack(">I", 1) + b"Q")
s.close()
EOF
"$IT_PYTHON" "$W/hold.py" "$sock" "$W/held" "$W/release" &
holder=$!
it_adopt_pid "$holder"
wait_grep "$W/held" negotiated
kill -TERM "$pid"
wait_grep "$log" ' info: \[manager\]\[stop\] stopping: 1 sessions in flight finish first'
rc=$?
session "unix:$sock" "$W/during-stop.out"
during=$?
[ $rc -eq 0 ] && [ $during -ne 0 ] && it_alive "$pid"
tap_result $? "SIGTERM with a session in flight: the daemon waits for it; a new connection is closed" ||
    tap_diag_file "$log"
: >"$W/release"
poll 10 sh -c "! kill -0 $pid 2>/dev/null"
it_stop "$pid"
st=$IT_STATUS
[ $st -eq 0 ] && [ ! -e "$sock" ] && [ ! -e "$W/run/mm.pid" ]
tap_result $? "SIGTERM: exit 0, socket and PID file removed (status $st)"

# ---- inet, command-line override -----------------------------------------
run_conf "$W/run" "$sock" "$log" "c" "error|warning|info"
port=$(it_free_port)
it_start inet "$MM" -c "$W/run" -s "inet:$port@127.0.0.1" --log-path=- "--log-level=error|info"
pid=$IT_PID
it_wait_port "$port" 15 "$pid"
tap_result $? "-s inet:PORT@127.0.0.1 overrides manager.connection_spec" || tap_diag_file "$W/inet.log"
[ ! -e "$sock" ]
tap_result $? "the configuration's unix socket is not created"
session "inet:$port@127.0.0.1" "$W/session-inet.out"
tap_result $? "a session through the inet socket" || tap_diag_file "$W/session-inet.out"
# The file now says: log nothing, to $log.inet. The command line's
# --log-level and --log-path=- must win after the reload too, so the
# success line shows on standard error and $log.inet stays empty.
run_conf "$W/run" "$sock" "$log.inet" "d" "none"
kill -HUP "$pid"
wait_grep "$W/inet.log" ' info: \[manager\]\[reload\]\[success\] configuration reloaded: milters: \[d\]'
rc=$?
[ $rc -eq 0 ] && [ ! -s "$log.inet" ]
tap_result $? "command-line --log-level and --log-path=- are re-applied after a reload" ||
    tap_diag_file "$W/inet.log"
it_stop "$pid"
[ $IT_STATUS -eq 0 ]
tap_result $? "SIGTERM on the inet daemon: exit 0"

# ---- workers, libev, socket group from the file ---------------------------
group=$(id -gn)
conf "$W/workers" <<EOF
log.use_syslog = false
manager.connection_spec = "unix:$W/workers.sock"
manager.n_workers = 2
log.level = "+info"
manager.event_loop_backend = "libev"
manager.unix_socket_group = "$group"
EOF
start_daemon workers "$W/workers.sock" -c "$W/workers"
# The workers are forked after listening.
two_workers() { [ "$(ps -o pid= --ppid "$pid" | wc -l)" -ge 2 ]; }
poll 10 two_workers
n_children=$(ps -o pid= --ppid "$pid" | wc -l)
session "unix:$W/workers.sock" "$W/session-workers.out"
rc=$?
[ $rc -eq 0 ] && [ "$n_children" -eq 2 ] && [ "$(stat -c %G "$W/workers.sock")" = "$group" ]
tap_result $? "manager.n_workers = 2 (got $n_children workers), libev, unix_socket_group: a session" ||
    tap_diag_file "$W/workers.log"
# SIGHUP to the master reaches every worker; each reloads its own copy.
echo 'define_milter("w1") { |m| m.connection_spec = "inet:10025@127.0.0.1" }' \
    >>"$W/workers/milter-manager.conf"
kill -HUP "$pid"
wait_count "$W/workers.log" ' info: \[manager\]\[reload\]\[success\] configuration reloaded: milters: \[w1\]' 2
tap_result $? "with workers, SIGHUP to the master: both workers reload" ||
    tap_diag_file "$W/workers.log"
n_after=$(ps -o pid= --ppid "$pid" | wc -l)
[ "$n_after" -eq 2 ] && kill -0 "$pid"
tap_result $? "with workers, the master and its 2 workers survive SIGHUP (got $n_after)"
it_stop "$pid"
[ $IT_STATUS -eq 0 ] && [ ! -e "$W/workers.sock" ]
tap_result $? "SIGTERM stops the master and its workers: exit 0, socket removed"

# ---- syslog facilities of log.syslog_facility -----------------------------
facility_bad=
for facility in authpriv cron kern lpr news uucp local5; do
    conf "$W/facility" <<EOF
log.use_syslog = true
log.syslog_facility = "$facility"
EOF
    "$MM" -c "$W/facility" -s "unix:$W/no-such-dir/f.sock" >"$W/facility.out" 2>&1
    grep -q 'syslog_facility' "$W/facility.out" && facility_bad="$facility_bad $facility"
    grep -q ' error: failed to listen: ' "$W/facility.out" || facility_bad="$facility_bad $facility"
done
[ -z "$facility_bad" ]
tap_result $? "every log.syslog_facility of the language is accepted by the logger" ||
    tap_diag "refused:$facility_bad"

# ---- Ruby hooks -----------------------------------------------------------
conf "$W/hooks" <<'EOF'
log.use_syslog = false
manager.maintenance_interval = 1
manager.event_loop_created { |loop| raise "loop hook failed" }
manager.maintained { raise "maintenance hook failed" }
manager.maintained { $stderr.puts "second maintained hook ran" }
EOF
start_daemon hooks "$W/hooks.sock" -c "$W/hooks" -s "unix:$W/hooks.sock"
grep -q ' error: \[configuration\]\[event-loop-created\]\[error\] loop hook failed' "$W/hooks.log"
tap_result $? "a raising event_loop_created hook: [configuration][event-loop-created][error]" ||
    tap_diag_file "$W/hooks.log"
session "unix:$W/hooks.sock" "$W/session-hooks.out"
wait_grep "$W/hooks.log" ' error: \[configuration\]\[maintain\]\[error\] maintenance hook failed' &&
    wait_grep "$W/hooks.log" 'second maintained hook ran'
tap_result $? "maintenance after a session: [configuration][maintain][error], the next hook still runs" ||
    tap_diag_file "$W/hooks.log"
it_stop "$pid"

# ---- start-up rows -------------------------------------------------------
conf "$W/plain" <<'EOF'
log.use_syslog = false
EOF
"$MM" -c "$W/plain" -s "unix:$W/no-such-dir/mm.sock" >"$W/listen.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q ' error: failed to listen: ' "$W/listen.out"
tap_result $? "a socket that cannot be made: 'failed to listen' (error), exit 1" ||
    tap_diag_file "$W/listen.out"

conf "$W/fd" <<'EOF'
log.use_syslog = false
manager.max_file_descriptors = 2000000000
EOF
start_daemon fd "$W/fd.sock" -c "$W/fd" -s "unix:$W/fd.sock"
grep -q ' error: failed to set limit for RLIMIT_NOFILE: ' "$W/fd.log"
tap_result $? "an impossible manager.max_file_descriptors: 'failed to set limit for RLIMIT_NOFILE' (error)" ||
    tap_diag_file "$W/fd.log"
it_stop "$pid"

conf "$W/fd2" <<'EOF'
log.use_syslog = false
manager.max_file_descriptors = 1234
EOF
start_daemon fd2 "$W/fd2.sock" -c "$W/fd2" -s "unix:$W/fd2.sock"
grep -q '^Max open files *1234 *1234 ' "/proc/$pid/limits"
tap_result $? "manager.max_file_descriptors sets RLIMIT_NOFILE soft and hard" ||
    tap_diag "$(grep 'open files' "/proc/$pid/limits")"
it_stop "$pid"

# ---- a crash: the stack trace into the log --------------------------------
gone() { ! it_alive "$1"; }
it_start segv sh -c 'ulimit -c 0; exec "$0" "$@"' "$MM" -c "$W/plain" -s "unix:$W/segv.sock"
pid=$IT_PID
it_wait_unix "$W/segv.sock" 15 "$pid"
kill -SEGV "$pid"
poll 10 gone "$pid"
wait "$pid" 2>/dev/null
rc=$?
n_frames=$(grep -c ' critical: .*milter-manager.*(.*)\[0x[0-9a-f]*\]$' "$W/segv.log")
[ $rc -eq 139 ] && [ "$n_frames" -ge 2 ] && grep -q ' critical: .*(milter_client_run+0x' "$W/segv.log"
tap_result $? "SIGSEGV: each stack frame logged at critical level, then the default action (rc $rc, $n_frames frames)" ||
    tap_diag_file "$W/segv.log"
# No descriptor left below the limit: the trace's pipe cannot be made.
it_start abort sh -c 'ulimit -c 0; exec "$0" "$@"' "$MM" -c "$W/plain" -s "unix:$W/abort.sock"
pid=$IT_PID
it_wait_unix "$W/abort.sock" 15 "$pid"
lowest_free=$(ls "/proc/$pid/fd" | sort -n | awk 'BEGIN { n = 0 } $1 == n { n++ } END { print n }')
prlimit --pid "$pid" --nofile="$lowest_free:$lowest_free"
kill -ABRT "$pid"
poll 10 gone "$pid"
wait "$pid" 2>/dev/null
rc=$?
[ $rc -eq 134 ] &&
    grep -q ' critical: \[ABORT\] unable to open pipe for collecting stack trace$' "$W/abort.log"
tap_result $? "SIGABRT with no descriptor free: '[ABORT] unable to open pipe for collecting stack trace' (critical)" ||
    tap_diag_file "$W/abort.log"

if [ "$(id -u)" = 0 ]; then
    "$MM" -c "$W/plain" -s "unix:$W/priv.sock" -u no-such-user-mm >"$W/priv.out" 2>&1
    rc=$?
    [ $rc -eq 1 ] && grep -q ' error: failed to drop privilege: ' "$W/priv.out"
    tap_result $? "an unknown effective user: 'failed to drop privilege' (error), exit 1" ||
        tap_diag_file "$W/priv.out"
    grep -q ' error: failed to find password entry for effective user: no-such-user-mm' "$W/priv.out"
    tap_result $? "'failed to find password entry for effective user' (error)" ||
        tap_diag_file "$W/priv.out"
    home=$(getent passwd nobody | cut -d: -f6)
    if [ ! -e "$home" ]; then
        chmod 755 "$W"
        it_start nobody "$MM" -c "$W/plain" -s "unix:$W/nobody.sock" -u nobody
        pid=$IT_PID
        it_wait_unix "$W/nobody.sock" 15 "$pid"
        grep -q " error: failed to create custom configuration directory: $home/.milter-manager: " "$W/nobody.log"
        tap_result $? "-u nobody (home $home missing): 'failed to create custom configuration directory' (error)" ||
            tap_diag_file "$W/nobody.log"
        user=$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')
        [ "$user" = nobody ]
        tap_result $? "-u nobody: the daemon runs as nobody (got '$user')"
        it_stop "$pid"
        chmod 700 "$W"
    else
        tap_skip "nobody's home $home exists"
        tap_skip "nobody's home $home exists"
    fi
    conf "$W/root-user" <<EOF
log.use_syslog = false
security.effective_user = "nobody"
manager.pid_file = "$W/root-user.pid"
EOF
    chmod 755 "$W"
    it_start root-user "$MM" -c "$W/root-user" -s "unix:$W/root-user.sock"
    pid=$IT_PID
    it_wait_unix "$W/root-user.sock" 15 "$pid"
    user=$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')
    owner=$(stat -c %U "$W/root-user.pid" 2>/dev/null)
    [ "$user" = nobody ] && [ "$owner" = root ]
    tap_result $? "security.effective_user: runs as nobody, PID file written by root before the drop" ||
        tap_diag "user '$user', PID file owner '$owner'"
    it_stop "$pid"
    chmod 700 "$W"
else
    for i in 1 2 3 4 5 6; do tap_skip "not root"; done
fi

# ---- the effective user's lookup, in a private mount namespace ------------
# Our own /etc/passwd (a user whose home is in the work directory) or an
# unreadable one (the memory file of a process: reads fail with EIO) is
# bound over the system's only inside the namespace.
if [ "$(id -u)" = 0 ] && unshare --mount true 2>/dev/null; then
    mkdir -p "$W/home/.milter-manager"
    printf '<configuration>\n  <milter>\n' >"$W/home/.milter-manager/milter-manager.custom.conf"
    { cat /etc/passwd; echo "mmtest:x:65534:65534::$W/home:/usr/sbin/nologin"; } >"$W/passwd"
    unshare --mount sh -c 'mount --bind "$1" /etc/passwd && exec "$2" -u mmtest -c "$3" --show-config' \
        sh "$W/passwd" "$MM" "$W/plain" >"$W/custom-user.out" 2>&1
    rc=$?
    [ $rc -eq 1 ] &&
        grep -q " error: \[manager\]\[reload\]\[custom-load-path\]\[error\] $W/home/.milter-manager/milter-manager.custom.conf: invalid XML" "$W/custom-user.out"
    tap_result $? "a broken custom file in the effective user's directory: [manager][reload][custom-load-path][error], exit 1" ||
        tap_diag_file "$W/custom-user.out"
    printf 'passwd: files\ngroup: files\n' >"$W/nsswitch.conf"
    unshare --mount sh -c 'sleep 60 & s=$!
        mount --bind "$1" /etc/nsswitch.conf && mount --bind /proc/$s/mem /etc/passwd &&
            "$2" -u daemon -c "$3" -s "unix:$4"; kill $s' \
        sh "$W/nsswitch.conf" "$MM" "$W/plain" "$W/eio.sock" >"$W/eio.out" 2>&1
    grep -q ' error: failed to get password entry for effective user: daemon: Input/output error' "$W/eio.out"
    tap_result $? "an unreadable /etc/passwd: 'failed to get password entry for effective user' (error) with the reason" ||
        tap_diag_file "$W/eio.out"
else
    tap_skip "needs root and unshare --mount"
    tap_skip "needs root and unshare --mount"
fi
tap_done

#!/bin/sh
# manager-controller.sh - the controller socket of a running milter-manager
# driven by milter-manager-control (controller.md, doc/controller.md):
# unix and inet sockets (mode, removal at shutdown), status with real
# numbers after sessions through the manager to a milter-test-client
# child, get-configuration, reload (a new child that the next session
# uses; a broken configuration refused with its reason, the old one
# kept), set-configuration (valid: saved, applied by the next reload;
# invalid and non-XML: refused, nothing saved; unsavable: the save row),
# stop-child, reloads during 1000 sessions (none lost), several
# clients at once, several commands on one
# connection, a malformed packet, the libev backend, a controller that
# cannot listen, and the [controller] log rows with their levels.
# Waits are bounded polls.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
S=$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)
B=$(cd "${top_builddir:-$S}" && pwd)
MM=$B/src/milter-manager
CTL=$B/src/milter-manager-control
TEST_SERVER=$B/src/milter-test-server
[ -x "$MM" ] && [ -x "$CTL" ] || tap_skip_all "milter-manager or milter-manager-control is not built"
MILTER_MANAGER_RUBYLIB=$S/binding/ruby/lib:$B/binding/ruby/lib
unset MILTER_LOG_LEVEL MILTER_MANAGER_CONFIG_DIR
export MILTER_MANAGER_RUBYLIB
W=$IT_WORK
tap_plan 43

session() { # session SPEC OUT
    "$TEST_SERVER" -s "$1" -f '<alice@example.test>' -r '<bob@example.net>' \
        -h 'Subject: test' -b 'hello' >"$2" 2>&1 && grep -q '^status: ' "$2"
}
# value FILE KEY: the value of "KEY: value" in a status output.
value() { sed -n "s/^$2: //p" "$1"; }

CHILD_PORT=$(it_free_port)
it_start child "$B/src/milter-test-client" -s "inet:$CHILD_PORT@127.0.0.1" --quiet
it_wait_port "$CHILD_PORT" 10 "$IT_PID" || tap_diag_file "$W/child.log"

D=$W/conf
SOCK=$W/mm.sock
CSOCK=$W/ctl.sock
LOG=$W/mm.log
# write_conf MILTERS [EXTRA]: the daemon's configuration.
write_conf() {
    mkdir -p "$D"
    {
        echo "manager.connection_spec = \"unix:$SOCK\""
        echo "controller.connection_spec = \"unix:$CSOCK\""
        echo "controller.unix_socket_mode = 0600"
        echo "log.path = \"$LOG\""
        echo 'log.level = "all"'
        echo 'log.use_syslog = false'
        for m in $1; do
            printf 'define_milter("%s") do |milter|\n  milter.connection_spec = "inet:%s@[127.0.0.1]"\nend\n' \
                "$m" "$CHILD_PORT"
        done
        echo "${2:-}"
    } >"$D/milter-manager.conf"
}
write_conf "a"
it_start daemon "$MM" -c "$D"
pid=$IT_PID
it_wait_unix "$SOCK" 15 "$pid" && it_wait_unix "$CSOCK" 15 "$pid"
tap_result $? "the daemon listens on controller.connection_spec (unix) once its loop exists" ||
    tap_diag_file "$W/daemon.log"
mode=$(stat -c %a "$CSOCK" 2>/dev/null)
[ "$mode" = 600 ]
tap_result $? "the controller socket has controller.unix_socket_mode (600, got $mode)"

"$CTL" -c "$D" status >"$W/status0.out" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(value "$W/status0.out" sessions.finished)" = 0 ] &&
    [ "$(value "$W/status0.out" milter.a.sessions)" = 0 ] &&
    [ "$(value "$W/status0.out" milter.a.state)" = enabled ] &&
    [ "$(value "$W/status0.out" configuration.last-reload)" = none ] &&
    grep -q '^uptime: [0-9]*\.[0-9]*$' "$W/status0.out" &&
    grep -q '^started-at: 20[0-9-]*T[0-9:]*Z$' "$W/status0.out"
tap_result $? "status (socket from the configuration): uptime, no session yet, milter a enabled" ||
    tap_diag_file "$W/status0.out"
grep -q ' debug: \[controller\]\[accept\] [0-9]*: unix:' "$LOG" &&
    grep -q ' debug: \[control-command-decoder\]\[get-status\]' "$LOG"
tap_result $? "[controller][accept] and [control-command-decoder][get-status] (debug)" ||
    tap_diag_file "$LOG"

ok=0
for i in 1 2 3; do session "unix:$SOCK" "$W/session$i.out" && ok=$((ok + 1)); done
"$CTL" -s "unix:$CSOCK" status >"$W/status1.out" 2>&1
results=0
for r in pass accept reject temporary-failure discard abort other; do
    results=$((results + $(value "$W/status1.out" "sessions.results.$r")))
done
[ $ok -eq 3 ] && [ "$(value "$W/status1.out" sessions.finished)" = 3 ] && [ $results -eq 3 ] &&
    [ "$(value "$W/status1.out" sessions.in-progress)" = 0 ] &&
    [ "$(value "$W/status1.out" milter.a.sessions)" = 3 ] &&
    [ "$(value "$W/status1.out" milter.a.errors)" = 0 ] &&
    [ "$(value "$W/status1.out" milter.a.latency.connect.count)" = 3 ] &&
    [ "$(value "$W/status1.out" milter.a.latency.end-of-message.count)" = 3 ] &&
    grep -q '^milter\.a\.latency\.connect\.p99: 0\.[0-9]*$' "$W/status1.out"
tap_result $? "status after 3 sessions: 3 finished, results add up, milter a: 3 sessions, latencies per stage" ||
    tap_diag_file "$W/status1.out"

"$CTL" -s "unix:$CSOCK" get-configuration >"$W/config1.xml" 2>&1
rc=$?
[ $rc -eq 0 ] && head -n1 "$W/config1.xml" | grep -qx '<configuration>' &&
    grep -qx '      <name>a</name>' "$W/config1.xml" &&
    grep -qx "      <connection-spec>inet:$CHILD_PORT@127.0.0.1</connection-spec>" "$W/config1.xml" &&
    ! grep -q '<last-modified>' "$W/config1.xml"
tap_result $? "get-configuration: the XML of the live configuration" || tap_diag_file "$W/config1.xml"

# ---- reload ----------------------------------------------------------------
write_conf "a b"
"$CTL" -s "unix:$CSOCK" reload >"$W/reload1.out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -qx 'reload: done' "$W/reload1.out" &&
    grep -q ' info: \[manager\]\[reload\]\[success\] configuration reloaded: milters: \[a, b\]' "$LOG"
tap_result $? "reload: done; the SIGHUP routine's success row names the new milters" ||
    tap_diag_file "$W/reload1.out"
session "unix:$SOCK" "$W/session4.out"
"$CTL" -s "unix:$CSOCK" status >"$W/status2.out" 2>&1
[ "$(value "$W/status2.out" milter.b.sessions)" = 1 ] &&
    [ "$(value "$W/status2.out" milter.a.sessions)" = 4 ] &&
    [ "$(value "$W/status2.out" configuration.last-reload)" = success ]
tap_result $? "the next session uses the child the reload added; status: last reload success" ||
    tap_diag_file "$W/status2.out"

write_conf "a b" 'manager.max_connections = "many"'
"$CTL" -s "unix:$CSOCK" reload >"$W/reload2.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^milter-manager-control: reload: error: $D/milter-manager.conf:.*manager.max_connections" "$W/reload2.out"
tap_result $? "a broken configuration: reload answers error with FILE:LINE and the reason, exit 1" ||
    tap_diag_file "$W/reload2.out"
grep -q " error: \[controller\]\[reload\]\[error\] $D/milter-manager.conf:" "$LOG"
tap_result $? "[controller][reload][error] (error)" || tap_diag_file "$LOG"
"$CTL" -s "unix:$CSOCK" status >"$W/status3.out" 2>&1
session "unix:$SOCK" "$W/session5.out" &&
    [ "$(value "$W/status3.out" configuration.last-reload)" = error ] &&
    grep -q '^configuration.last-reload-error: .*manager.max_connections' "$W/status3.out" &&
    "$CTL" -s "unix:$CSOCK" get-configuration | grep -qx '      <name>b</name>'
tap_result $? "the old configuration stays (sessions, milter b); status: last reload error and why" ||
    tap_diag_file "$W/status3.out"
write_conf "a b"
# Command-line overrides and syslog settings are re-applied (the SIGHUP
# routine): shown by a daemon below started with -s.

# ---- set-configuration ------------------------------------------------------
cat >"$W/custom.xml" <<EOF
<configuration>
  <milters>
    <milter>
      <name>c</name>
      <connection-spec>inet:$CHILD_PORT@[127.0.0.1]</connection-spec>
    </milter>
  </milters>
</configuration>
EOF
"$CTL" -s "unix:$CSOCK" set-configuration "$W/custom.xml" >"$W/set1.out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -qx "set-configuration: saved to $D/milter-manager.custom.conf: reload to apply it" "$W/set1.out" &&
    cmp -s "$W/custom.xml" "$D/milter-manager.custom.conf"
tap_result $? "set-configuration: saved verbatim as DIR/milter-manager.custom.conf; the reply says to reload" ||
    tap_diag_file "$W/set1.out"
"$CTL" -s "unix:$CSOCK" get-configuration >"$W/config2.xml"
! grep -q '<name>c</name>' "$W/config2.xml" && grep -q '^  <last-modified>[0-9]*</last-modified>$' "$W/config2.xml"
tap_result $? "not applied before a reload (but <last-modified> shows the file)" || tap_diag_file "$W/config2.xml"
"$CTL" -s "unix:$CSOCK" reload >/dev/null 2>&1 &&
    "$CTL" -s "unix:$CSOCK" get-configuration >"$W/config3.xml" &&
    grep -qx '      <name>c</name>' "$W/config3.xml" && session "unix:$SOCK" "$W/session6.out" &&
    "$CTL" -s "unix:$CSOCK" status >"$W/status4.out" && [ "$(value "$W/status4.out" milter.c.sessions)" = 1 ]
tap_result $? "after reload: milter c in the configuration and in the next session" ||
    tap_diag_file "$W/status4.out"

# refused NAME PATTERN DESCRIPTION: set-configuration of $W/NAME (stdin
# when NAME ends in .stdin) exits 1 with PATTERN and saves nothing.
refused() {
    if [ "${1%.stdin}" != "$1" ]; then
        "$CTL" -s "unix:$CSOCK" set-configuration - <"$W/$1" >"$W/$1.out" 2>&1
    else
        "$CTL" -s "unix:$CSOCK" set-configuration "$W/$1" >"$W/$1.out" 2>&1
    fi
    _rc=$?
    [ $_rc -eq 1 ] && grep -q "$2" "$W/$1.out" && cmp -s "$W/saved.xml" "$D/milter-manager.custom.conf"
    tap_result $? "$3" || tap_diag_file "$W/$1.out"
}
# Documents that would not load, or would give a milter a command:
# refused with the reason, the saved file untouched.
cp "$D/milter-manager.custom.conf" "$W/saved.xml"
printf '<configuration>\n  <bogus/>\n</configuration>\n' >"$W/bad.xml"
refused bad.xml '^milter-manager-control: set-configuration: error: invalid custom configuration: milter-manager.custom.conf: unexpected element: /configuration/bogus' \
    "invalid XML (unexpected element): refused with the reason, the saved file untouched"
printf '<configuration>\n  <milters>\n    <milter>\n      <name>d</name>\n      <fallback-status>sometimes</fallback-status>\n    </milter>\n  </milters>\n</configuration>\n' >"$W/bad2.stdin"
refused bad2.stdin 'invalid custom configuration: .*fallback_status' \
    "an invalid value (from standard input): refused, nothing saved"
echo 'define_milter("x")' >"$W/ruby.conf"
refused ruby.conf 'invalid custom configuration: not XML' \
    "not XML: refused (a load would silently ignore it)"
printf '<configuration>\n  <milters>\n    <milter>\n      <name>a</name>\n      <command>/bin/sh</command>\n      <command-options>-c id</command-options>\n    </milter>\n  </milters>\n</configuration>\n' >"$W/command.xml"
refused command.xml "invalid custom configuration: milter 'a': the controller does not take a new command" \
    "a new command for a milter: refused (the launcher would run it as root), nothing saved"
"$CTL" -s "unix:$CSOCK" set-configuration "$W/missing.xml" >"$W/set5.out" 2>&1
[ $? -eq 2 ] && grep -q "^milter-manager-control: $W/missing.xml: " "$W/set5.out"
tap_result $? "a FILE that cannot be read: exit 2" || tap_diag_file "$W/set5.out"

# ---- stop-child -------------------------------------------------------------
"$CTL" -s "unix:$CSOCK" stop-child a >"$W/stop1.out" 2>&1
rc=$?
"$CTL" -s "unix:$CSOCK" status >"$W/status5.out"
session "unix:$SOCK" "$W/session7.out"
"$CTL" -s "unix:$CSOCK" status >"$W/status6.out"
[ $rc -eq 0 ] && grep -qx 'stop-child: a: out of new sessions until the next reload' "$W/stop1.out" &&
    [ "$(value "$W/status6.out" milter.a.state)" = stopped ] &&
    [ "$(value "$W/status6.out" milter.a.sessions)" = "$(value "$W/status5.out" milter.a.sessions)" ] &&
    [ "$(value "$W/status6.out" milter.b.sessions)" = $(($(value "$W/status5.out" milter.b.sessions) + 1)) ]
tap_result $? "stop-child a: the next session goes to the others only; status says stopped" ||
    tap_diag_file "$W/status6.out"
"$CTL" -s "unix:$CSOCK" get-configuration | grep -A1 -x '      <name>a</name>' | grep -qx '      <enabled>true</enabled>'
tap_result $? "get-configuration still shows a as configured (enabled)"
"$CTL" -s "unix:$CSOCK" stop-child nobody >"$W/stop2.out" 2>&1
[ $? -eq 1 ] && grep -q "error: no enabled milter named 'nobody'" "$W/stop2.out"
tap_result $? "stop-child of an unknown milter: error, exit 1" || tap_diag_file "$W/stop2.out"
"$CTL" -s "unix:$CSOCK" reload >/dev/null 2>&1
"$CTL" -s "unix:$CSOCK" status >"$W/status7.out"
[ "$(value "$W/status7.out" milter.a.state)" = enabled ]
tap_result $? "the next reload brings a back" || tap_diag_file "$W/status7.out"

# ---- reloads while sessions run ---------------------------------------------
"$CTL" -s "unix:$CSOCK" status >"$W/before-load.out"
: >"$W/reloads.out"
( "$TEST_SERVER" -s "unix:$SOCK" --n-sessions 1000 --concurrency 8 >"$W/load.out" 2>&1
  echo $? >"$W/load.done" ) &
it_adopt_pid $!
reloads=0
while [ ! -e "$W/load.done" ] && [ $reloads -lt 200 ]; do
    "$CTL" -s "unix:$CSOCK" reload >>"$W/reloads.out" 2>&1 && reloads=$((reloads + 1))
done
it_poll 60 test -e "$W/load.done"
"$CTL" -s "unix:$CSOCK" status >"$W/after-load.out"
finished=$(($(value "$W/after-load.out" sessions.finished) - $(value "$W/before-load.out" sessions.finished)))
[ "$(cat "$W/load.done")" = 0 ] && grep -qx 'failed: 0' "$W/load.out" && [ $reloads -ge 2 ] &&
    [ $finished -eq 1000 ] && ! grep -qv '^reload: done$' "$W/reloads.out"
tap_result $? "$reloads controller reloads during 1000 sessions (8 at a time): none lost, status counts all 1000 ($finished)" ||
    { tap_diag_file "$W/load.out"; tap_diag_file "$W/reloads.out"; }

# ---- several clients, several commands, malformed input ----------------------
cat >"$W/client.py" <<'EOF'
import socket, struct, sys
def packet(word, payload=b""):
    body = word.encode() + b"\0" + payload
    return struct.pack(">I", len(body)) + body
def replies(s, n):
    data = b""
    out = []
    while True:
        while len(data) >= 4 and len(data) >= 4 + struct.unpack(">I", data[:4])[0]:
            size = struct.unpack(">I", data[:4])[0]
            body, data = data[4:4 + size], data[4 + size:]
            word, _, payload = body.partition(b"\0")
            out.append(word.decode() + "=" + payload.decode(errors="replace").split("\n")[0])
        if len(out) >= n and n >= 0:
            return out
        chunk = s.recv(65536)
        if not chunk:
            out.append("EOF")
            return out
        data += chunk
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
if sys.argv[2] == "batch":
    s.sendall(packet("get-status") + packet("stop-child", b"nobody") + packet("get-configuration"))
    print("\n".join(replies(s, 3)))
else:
    s.sendall(packet("get-status") + struct.pack(">I", 5) + b"junk\0" + packet("reload"))
    print("\n".join(replies(s, -1)))
EOF
"$IT_PYTHON" "$W/client.py" "$CSOCK" batch >"$W/batch.out" 2>&1
[ "$(cut -d= -f1 "$W/batch.out" | tr '\n' ' ')" = "status error configuration " ]
tap_result $? "three commands in one write: three replies, in order" || tap_diag_file "$W/batch.out"
"$IT_PYTHON" "$W/client.py" "$CSOCK" junk >"$W/junk.out" 2>&1
[ "$(cat "$W/junk.out" | tr '\n' '|')" = "status=uptime: $(sed -n 1p "$W/junk.out" | sed 's/^status=uptime: //')|error=unexpected command was received: junk|EOF|" ]
tap_result $? "a malformed packet: the reply before it, then error with the reason, then closed (reload not run)" ||
    tap_diag_file "$W/junk.out"
it_alive "$pid" && session "unix:$SOCK" "$W/session8.out" && "$CTL" -s "unix:$CSOCK" status >/dev/null
tap_result $? "the daemon is unaffected: sessions and controller still served"

n=0
for i in 1 2 3 4 5 6; do
    "$CTL" -s "unix:$CSOCK" status >"$W/many$i.out" 2>&1 &
    eval "p$i=\$!"
done
for i in 1 2 3 4 5 6; do
    eval "wait \$p$i" && grep -q '^uptime: ' "$W/many$i.out" && n=$((n + 1))
done
[ $n -eq 6 ]
tap_result $? "six clients at once: every one answered ($n)"

# The saved file's directory refuses it (a directory in the way): the
# save row, nothing saved further on the load path.
rm -f "$D/milter-manager.custom.conf"
mkdir "$D/milter-manager.custom.conf"
"$CTL" -s "unix:$CSOCK" set-configuration "$W/custom.xml" >"$W/set6.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "error: failed to save custom configuration file: can't find writable custom configuration file in \[\"$D/milter-manager.custom.conf\"(" "$W/set6.out" &&
    grep -q " error: \[controller\]\[error\]\[save\] failed to save custom configuration file" "$LOG"
tap_result $? "a file that cannot be saved: error with the original's text, [controller][error][save] (error)" ||
    tap_diag_file "$W/set6.out"
rmdir "$D/milter-manager.custom.conf"

# The socket file replaced behind the daemon: not removed at shutdown.
rm -f "$CSOCK"
echo keep >"$CSOCK"
it_stop "$pid"
[ $IT_STATUS -eq 0 ] && [ "$(cat "$CSOCK")" = keep ] && [ ! -e "$SOCK" ] &&
    grep -q ' error: \[controller\]\[error\]\[unix\] ' "$LOG"
tap_result $? "at shutdown a replaced socket file is left alone: [controller][error][unix] (error)" ||
    tap_diag_file "$LOG"
rm -f "$CSOCK"

write_conf "a b"
it_start daemon2 "$MM" -c "$D"
pid=$IT_PID
it_wait_unix "$CSOCK" 15 "$pid"
it_stop "$pid"
[ $IT_STATUS -eq 0 ] && [ ! -e "$CSOCK" ]
tap_result $? "SIGTERM: the controller socket is removed (remove_unix_socket_on_close)"

"$CTL" -s "unix:$CSOCK" status >"$W/down.out" 2>&1
[ $? -eq 3 ] && grep -q "^milter-manager-control: unix:$CSOCK: " "$W/down.out"
tap_result $? "no daemon: a clear message, exit 3" || tap_diag_file "$W/down.out"

# ---- inet, libev, command-line override re-applied by reload ---------------
CPORT=$(it_free_port)
MPORT=$(it_free_port)
DEAD_PORT=$(it_free_port)
SLOW_PORT=$(it_free_port)
it_start slow "$B/src/milter-test-client" -s "inet:$SLOW_PORT@127.0.0.1" --quiet --sleep=helo=3
it_wait_port "$SLOW_PORT" 10 "$IT_PID" || tap_diag_file "$W/slow.log"
write_conf "a" "controller.connection_spec = \"inet:$CPORT@127.0.0.1\"
manager.event_loop_backend = \"libev\"
define_milter(\"dead\") do |milter|
  milter.connection_spec = \"inet:$DEAD_PORT@[127.0.0.1]\"
end
define_milter(\"slow\") do |milter|
  milter.connection_spec = \"inet:$SLOW_PORT@[127.0.0.1]\"
  milter.reading_timeout = 0.5
end"
: >"$LOG"
it_start inet "$MM" -c "$D" -s "inet:$MPORT@127.0.0.1" "--log-level=error|warning|info"
pid=$IT_PID
it_wait_port "$CPORT" 15 "$pid" && it_wait_port "$MPORT" 15 "$pid"
tap_result $? "controller on inet:PORT@127.0.0.1 (libev backend)" || tap_diag_file "$W/inet.log"
session "inet:$MPORT@127.0.0.1" "$W/session9.out"
"$CTL" -c "$D" status >"$W/status8.out" 2>&1
[ "$(value "$W/status8.out" milter.a.sessions)" = 1 ] && [ "$(value "$W/status8.out" sessions.finished)" = 1 ] &&
    [ "$(value "$W/status8.out" milter.a.errors)" = 0 ] && [ "$(value "$W/status8.out" milter.a.timeouts)" = 0 ] &&
    [ "$(value "$W/status8.out" milter.dead.errors)" = 1 ] && [ "$(value "$W/status8.out" milter.dead.timeouts)" = 0 ] &&
    [ "$(value "$W/status8.out" milter.slow.timeouts)" = 1 ] && [ "$(value "$W/status8.out" milter.slow.errors)" = 0 ] &&
    [ "$(value "$W/status8.out" milter.slow.latency.connect.count)" = 1 ]
tap_result $? "status over inet (spec from the configuration, libev): a refused child counts an error, a slow one a timeout" ||
    tap_diag_file "$W/status8.out"
"$CTL" -s "inet:$CPORT@127.0.0.1" reload >"$W/reload3.out" 2>&1
rc=$?
# The file says log.level = "all"; the command line's level must win
# after this reload too: no debug row from the next connection.
"$CTL" -s "inet:$CPORT@127.0.0.1" status >/dev/null 2>&1
[ $rc -eq 0 ] && session "inet:$MPORT@127.0.0.1" "$W/session10.out" &&
    grep -q ' info: \[manager\]\[reload\]\[success\]' "$LOG" && ! grep -q ' debug: ' "$LOG"
tap_result $? "reload over the controller re-applies the command line (--log-level beats the file's level)" ||
    tap_diag_file "$LOG"
"$IT_PYTHON" - "$CPORT" >"$W/inet-junk.out" 2>&1 <<'EOF'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(struct.pack(">I", 6) + b"reload")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data[4:].replace(b"\0", b"|").decode())
EOF
grep -qx "error|control command isn't terminated by NULL" "$W/inet-junk.out" && it_alive "$pid"
tap_result $? "libev: a packet without NUL gets error and the connection is closed" ||
    tap_diag_file "$W/inet-junk.out"
it_stop "$pid"

# ---- failures at start-up ---------------------------------------------------
write_conf "a" "controller.connection_spec = \"unix:$W/no-such-dir/ctl.sock\""
it_start badctl "$MM" -c "$D"
pid=$IT_PID
it_wait_unix "$SOCK" 15 "$pid"
it_wait_grep "$LOG" 'failed to listen controller socket:'
session "unix:$SOCK" "$W/session11.out" &&
    grep -q ' error: failed to listen controller socket: ' "$LOG" &&
    grep -q ' error: \[controller\]\[error\]\[listen\] ' "$LOG"
tap_result $? "a controller socket that cannot be made: 'failed to listen controller socket:' and [controller][error][listen] (error); sessions still served" ||
    tap_diag_file "$LOG"
it_stop "$pid"

write_conf "a" "controller.connection_spec = nil"
it_start noctl "$MM" -c "$D"
pid=$IT_PID
it_wait_unix "$SOCK" 15 "$pid"
it_wait_grep "$LOG" '\[controller\]\[disabled\]'
grep -q " info: \[controller\]\[disabled\] connection spec isn't specified" "$LOG"
tap_result $? "no controller.connection_spec: [controller][disabled] (info)" || tap_diag_file "$LOG"
"$CTL" -c "$D" status >"$W/noctl.out" 2>&1
[ $? -eq 3 ] && grep -q 'no controller socket: the configuration has no controller' "$W/noctl.out"
tap_result $? "milter-manager-control without -s and no controller configured: says so, exit 3" ||
    tap_diag_file "$W/noctl.out"
it_stop "$pid"

write_conf "a" "manager.n_workers = 2"
it_start workers "$MM" -c "$D"
pid=$IT_PID
it_wait_unix "$SOCK" 15 "$pid"
it_wait_grep "$LOG" '\[controller\]\[disabled\] not available'
grep -q ' warning: \[controller\]\[disabled\] not available with manager.n_workers > 0' "$LOG" &&
    [ ! -e "$CSOCK" ]
tap_result $? "with manager.n_workers > 0: no controller, a warning says so" || tap_diag_file "$LOG"
it_stop "$pid"

# ---- the command line of milter-manager-control -----------------------------
"$CTL" --help >"$W/help.out" 2>&1
[ $? -eq 0 ] && grep -q 'set-configuration FILE' "$W/help.out" && grep -q -- '--connection-spec' "$W/help.out"
tap_result $? "--help lists the commands and options, exit 0" || tap_diag_file "$W/help.out"
"$CTL" >"$W/none.out" 2>&1
rc1=$?
"$CTL" frobnicate >"$W/unknown.out" 2>&1
rc2=$?
"$CTL" stop-child >"$W/noarg.out" 2>&1
rc3=$?
[ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] && [ $rc3 -eq 2 ] && grep -q 'unknown command: frobnicate' "$W/unknown.out" &&
    grep -q 'stop-child needs NAME' "$W/noarg.out"
tap_result $? "no command, an unknown one, a missing argument: exit 2 with a message"
"$CTL" -s "inet:99999@127.0.0.1" status >"$W/badspec.out" 2>&1
[ $? -eq 3 ]
tap_result $? "an invalid -s: exit 3" || tap_diag_file "$W/badspec.out"

tap_done

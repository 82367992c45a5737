#!/bin/sh
# Quick start, part one: installs what is missing, builds, and runs
# milter-manager in the foreground with the bundled configuration (conf/)
# plus one demo child milter (milter-test-client adding a header), both on
# unix sockets in $BUILD_DIR/run/. Nothing outside the build directory is
# touched: the demo child is defined in an overlay directory given with
# --config-dir, which holds only milter-manager.local.conf (the bundled
# milter-manager.conf loads it last). Ctrl-C stops both.
# Extra arguments go to milter-manager (e.g. -v, --show-config).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
"$top/scripts/deps.sh" build
"$top/scripts/build.sh"

run=$build/run
mkdir -p "$run"
manager_socket=$run/milter-manager.sock
child_socket=$run/demo-child.sock
cat >"$run/milter-manager.local.conf" <<EOF
# Written by scripts/run.sh: the demo set-up (overlay of conf/).
manager.connection_spec = "unix:$manager_socket"
manager.pid_file = "$run/milter-manager.pid"
log.use_syslog = false
# The milters detected on this system (defaults/PLATFORM.conf) take part
# when they are running, but the demo never starts them.
security.privilege_mode = false
define_milter("demo-header") do |milter|
  milter.description = "milter-test-client adding X-Milter-Manager-Demo"
  milter.connection_spec = "unix:$child_socket"
end
EOF

# The uninstalled tree: the Ruby library and the bundled configuration.
MILTER_MANAGER_RUBYLIB=$top/binding/ruby/lib:$build/binding/ruby/lib
MILTER_MANAGER_CONFIG_DIR=$top/conf
export MILTER_MANAGER_RUBYLIB MILTER_MANAGER_CONFIG_DIR

child_pid=
manager_pid=
stop() {
  trap - INT TERM EXIT
  [ -n "$manager_pid" ] && kill "$manager_pid" 2>/dev/null && wait "$manager_pid" 2>/dev/null
  [ -n "$child_pid" ] && kill "$child_pid" 2>/dev/null && wait "$child_pid" 2>/dev/null
  rm -f "$child_socket"
  exit 0
}
trap stop INT TERM EXIT

rm -f "$child_socket"
"$build/src/milter-test-client" -s "unix:$child_socket" --quiet \
  --add-header "X-Milter-Manager-Demo:passed" &
child_pid=$!
"$build/src/milter-manager" --config-dir="$run" "$@" &
manager_pid=$!

# Bounded wait for the socket (or for the daemon to give up).
i=0
while [ ! -S "$manager_socket" ] && kill -0 "$manager_pid" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
if [ ! -S "$manager_socket" ]; then
  wait "$manager_pid" 2>/dev/null || true
  manager_pid=
  echo "milter-manager did not start (see the messages above)" >&2
  exit 1
fi

cat <<EOF

milter-manager (PID $manager_pid) listens on unix:$manager_socket
  configuration: $top/conf/milter-manager.conf + $run/milter-manager.local.conf
  demo child:    milter-test-client on unix:$child_socket (adds X-Milter-Manager-Demo)
Send a test message through it (in another terminal):
  $build/src/milter-test-server -s unix:$manager_socket -f '<alice@example.test>' -r '<bob@example.net>' -h 'Subject: hello' -b 'Hi Bob.' --output-message
Reload the configuration: kill -HUP $manager_pid    Stop: Ctrl-C
EOF
wait "$manager_pid" || true
manager_pid=
stop

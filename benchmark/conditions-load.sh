#!/bin/sh
# conditions-load.sh - what applicable conditions cost: sessions/s through
# the real daemon (src/milter-manager) with two no-op children, first
# without conditions, then with S25R and Remote Network (the bundled
# applicable-conditions/*.conf) on both children, then with a condition
# of Ruby blocks (connect and helo stoppers that never stop: what a
# Ruby stopper costs, run off the event loop), at concurrency 1 and 8.
#
# SYNOPSIS
#   benchmark/conditions-load.sh      (from the build directory, after
#                                      make all check_PROGRAMS)
#   N_SESSIONS=3000 REPEAT=5 benchmark/conditions-load.sh
#
# DESCRIPTION
#   The children are test/client/milters/milter-noop-client (libev) on
#   unix sockets; the MTA side is milter-test-server on a unix socket,
#   its client a remote address with a dynamic-looking host name, so
#   neither S25R nor Remote Network stops a child: both children run every
#   stage, and the conditions' cost is all that differs. Each figure is the best of REPEAT runs
#   (default 3) by sessions/s; the ratio is with/without. The two runs of
#   a concurrency are interleaved, so drift of a shared machine hits both.
#
# DIAGNOSTICS
#   A failed run prints FAILED and its output on stderr.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/test/integration/lib.sh"
it_init
S=$(cd "$top_srcdir" && pwd)
B=${top_builddir:-$(pwd)}
MM=$B/src/milter-manager
SERVER=$B/src/milter-test-server
NOOP=$B/test/client/milters/milter-noop-client
N=${N_SESSIONS:-2000}
REPEAT=${REPEAT:-3}
MILTER_MANAGER_RUBYLIB=$S/binding/ruby/lib:$B/binding/ruby/lib
unset MILTER_LOG_LEVEL MILTER_MANAGER_CONFIG_DIR
export MILTER_MANAGER_RUBYLIB
for p in "$MM" "$SERVER" "$NOOP"; do
    [ -x "$p" ] || { echo "build $p first (make all check_PROGRAMS)"; exit 1; }
done
W=$IT_WORK

for name in a b; do
    it_start "child-$name" "$NOOP" -s "unix:$W/$name.sock" --event-loop-backend libev
    it_wait_unix "$W/$name.sock" 10 "$IT_PID" || exit 1
done

# daemon NAME CONDITIONS: a daemon in $W/NAME with both children carrying
# CONDITIONS (a Ruby array literal); sets DAEMON_PID.
daemon() {
    mkdir -p "$W/$1"
    cat >"$W/$1/milter-manager.conf" <<CONF
manager.connection_spec = "unix:$W/$1.sock"
manager.event_loop_backend = "libev"
log.use_syslog = false
log.level = "critical"
load("$S/conf/applicable-conditions/s25r.conf")
load("$S/conf/applicable-conditions/remote-network.conf")
define_applicable_condition("Ruby") do |condition|
  condition.define_connect_stopper { |context, host, address| host == "never" }
  condition.define_helo_stopper { |context, fqdn| fqdn == "never" }
end
define_milter("a") do |milter|
  milter.connection_spec = "unix:$W/a.sock"
  milter.applicable_conditions = $2
end
define_milter("b") do |milter|
  milter.connection_spec = "unix:$W/b.sock"
  milter.applicable_conditions = $2
end
CONF
    it_start "daemon-$1" "$MM" -c "$W/$1"
    DAEMON_PID=$IT_PID
    it_wait_unix "$W/$1.sock" 15 "$DAEMON_PID" || exit 1
}

daemon plain '[]'
daemon conditions '["S25R", "Remote Network"]'
daemon ruby '["Ruby"]'

rate() { # rate NAME CONCURRENCY -> sessions/s of one run
    "$SERVER" -s "unix:$W/$1.sock" --n-sessions "$N" --concurrency "$2" \
        --connect-host=p1234-ipad56.example.ne.jp --connect-address='inet:2525@[198.51.100.7]' \
        >"$W/run.out" 2>&1 || { sed 's/^/#   /' "$W/run.out" >&2; echo FAILED; return; }
    sed -n 's/^sessions-per-second: //p' "$W/run.out"
}
better() { awk -v a="$1" -v b="$2" 'BEGIN { print (b + 0 > a + 0) ? b : a }'; }

echo "# sessions/s through milter-manager, 2 no-op children, $N sessions, best of $REPEAT"
printf '%-12s %14s %18s %8s %14s %8s\n' concurrency "no conditions" "S25R+Remote Net" ratio "Ruby stoppers" ratio
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }'; }
for c in 1 8; do
    plain=0
    with=0
    ruby=0
    for try in $(seq "$REPEAT"); do
        plain=$(better "$plain" "$(rate plain "$c")")
        with=$(better "$with" "$(rate conditions "$c")")
        ruby=$(better "$ruby" "$(rate ruby "$c")")
    done
    printf '%-12s %14s %18s %8s %14s %8s\n' "$c" "$plain" "$with" "$(ratio "$plain" "$with")" \
        "$ruby" "$(ratio "$plain" "$ruby")"
done

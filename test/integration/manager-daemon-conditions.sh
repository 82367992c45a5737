#!/bin/sh
# manager-daemon-conditions.sh - applicable conditions through the real
# daemon (src/milter-manager): a condition in milter-manager.conf stops
# one child at connect while the other takes part, its statistics row
# says stop; after SIGHUP a redefined condition applies to new sessions.
# A condition redefined between two milters (configuration.md §6 quirk 2:
# the original left the milter defined before it with the old object)
# is the new one for both; --show-config lists it once with the old
# description. A Ruby stopper that sleeps 2 s in one session does not
# hold another session started beside it (stoppers run off the event
# loop). Waits are bounded polls.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
S=$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)
B=$(cd "${top_builddir:-$S}" && pwd)
MM=$B/src/milter-manager
[ -x "$MM" ] || tap_skip_all "milter-manager is not built"
MILTER_MANAGER_RUBYLIB=$S/binding/ruby/lib:$B/binding/ruby/lib
unset MILTER_LOG_LEVEL MILTER_MANAGER_CONFIG_DIR
export MILTER_MANAGER_RUBYLIB
W=$IT_WORK
tap_plan 11

wait_grep() { # wait_grep FILE PATTERN: until FILE has a matching line (10 s)
    _ticks=100
    while [ $_ticks -gt 0 ]; do
        grep -Eq -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        _ticks=$((_ticks - 1))
    done
    return 1
}
for name in a b; do
    it_start "child-$name" "$B/src/milter-test-client" -s "unix:$W/$name.sock"
    it_wait_unix "$W/$name.sock" 10 "$IT_PID" || tap_diag "child $name did not listen"
done
conf_head() { # the daemon's own settings
    cat <<CONF
manager.connection_spec = "unix:$W/mm.sock"
log.path = "$W/mm.log"
log.level = "all"
log.use_syslog = false
CONF
}
write_conf() { # write_conf STOPPER-BODY [HELO-STOPPER-BODY]
    { conf_head; cat <<CONF; } > "$W/milter-manager.conf"
define_applicable_condition("Chosen") do |condition|
  condition.description = "test"
  condition.define_connect_stopper { |context, host, address| $1 }
  condition.define_helo_stopper { |context, fqdn| ${2:-false} }
end
define_milter("a") do |milter|
  milter.connection_spec = "unix:$W/a.sock"
  milter.applicable_conditions = ["Chosen"]
end
define_milter("b") { |milter| milter.connection_spec = "unix:$W/b.sock" }
CONF
}
write_conf 'context.name == "a" && address.ipv4?'
it_start daemon "$MM" -c "$W"
pid=$IT_PID
it_wait_unix "$W/mm.sock" 15 "$pid"
tap_result $? "the daemon starts with a condition" || tap_diag_file "$W/daemon.log"

"$B/src/milter-test-server" -s "unix:$W/mm.sock" > "$W/first.out" 2>&1
grep -q '^status: accept$' "$W/first.out" &&
    wait_grep "$W/child-b.log" '^end-of-message$' &&
    ! grep -q '^connect: ' "$W/child-a.log"
tap_result $? "child a is stopped at connect, b takes part, the MTA gets accept" ||
    { tap_diag_file "$W/first.out"; tap_diag_file "$W/child-a.log"; }
wait_grep "$W/mm.log" 'statistics: \[milter\]\[end\]\[connect\]\[stop\]\[[0-9.e-]+\]\([0-9]+\): a$'
tap_result $? "the statistics row [milter][end][connect][stop]" || tap_diag_file "$W/mm.log"

write_conf 'false'
kill -HUP "$pid"
wait_grep "$W/mm.log" '\[manager\]\[reload\]\[success\]'
tap_result $? "SIGHUP reloads the redefined condition" || tap_diag_file "$W/mm.log"
"$B/src/milter-test-server" -s "unix:$W/mm.sock" > "$W/second.out" 2>&1
grep -q '^status: accept$' "$W/second.out" && wait_grep "$W/child-a.log" '^end-of-message$'
tap_result $? "after the reload child a takes part" ||
    { tap_diag_file "$W/second.out"; tap_diag_file "$W/child-a.log"; }

# Redefinition: the old stopper (connect) would stop a at once; the new
# one (helo) stops a, defined before it, and b, defined after it.
{ conf_head; cat <<CONF; } > "$W/milter-manager.conf"
define_applicable_condition("Chosen") do |condition|
  condition.description = "old"
  condition.define_connect_stopper { |context, host, address| true }
end
define_milter("a") do |milter|
  milter.connection_spec = "unix:$W/a.sock"
  milter.applicable_conditions = ["Chosen"]
end
define_applicable_condition("Chosen") do |condition|
  condition.define_helo_stopper { |context, fqdn| true }
end
define_milter("b") do |milter|
  milter.connection_spec = "unix:$W/b.sock"
  milter.applicable_conditions = ["Chosen"]
end
CONF
"$MM" -c "$W" --show-config > "$W/redefined.conf" 2>&1
[ "$(grep -c '^define_applicable_condition("Chosen")' "$W/redefined.conf")" = 1 ] &&
    grep -A3 '^define_applicable_condition("Chosen")' "$W/redefined.conf" |
        grep -q '^  condition.description = "old"$'
tap_result $? "--show-config: the redefined condition once, with the old description" ||
    tap_diag_file "$W/redefined.conf"
reloads=$(grep -c '\[manager\]\[reload\]\[success\]' "$W/mm.log")
kill -HUP "$pid"
reloaded() { [ "$(grep -c '\[manager\]\[reload\]\[success\]' "$W/mm.log")" -gt "$reloads" ]; }
it_poll 10 reloaded
tap_result $? "SIGHUP reloads the configuration with the redefinition" || tap_diag_file "$W/mm.log"
from=$(($(wc -l < "$W/mm.log") + 1))
"$B/src/milter-test-server" -s "unix:$W/mm.sock" > "$W/third.out" 2>&1
stats() { tail -n "+$from" "$W/mm.log" | grep -Eq "statistics: \[milter\]\[end\]\[$1\]\[stop\]\[[0-9.e-]+\]\([0-9]+\): $2\$"; }
grep -q '^status: accept$' "$W/third.out" &&
    it_poll 10 stats helo a && it_poll 10 stats helo b &&
    ! stats connect a && ! stats connect b
tap_result $? "a (defined before the redefinition) and b (after) both stop at helo" ||
    { tap_diag_file "$W/third.out"; tap_diag_file "$W/mm.log"; }

# A slow Ruby stopper holds only its own session.
write_conf 'false' 'sleep(2) if fqdn == "slow.example"; false'
reloads=$(grep -c '\[manager\]\[reload\]\[success\]' "$W/mm.log")
kill -HUP "$pid"
it_poll 10 reloaded || tap_diag "the reload was not logged"
now() { date +%s.%N; }
t0=$(now)
"$B/src/milter-test-server" -s "unix:$W/mm.sock" --helo-fqdn slow.example > "$W/slow.out" 2>&1 &
slow_pid=$!
sleep 0.2
"$B/src/milter-test-server" -s "unix:$W/mm.sock" > "$W/quick.out" 2>&1
t_quick=$(now)
wait "$slow_pid"
t_slow=$(now)
quick=$(awk -v a="$t0" -v b="$t_quick" 'BEGIN { printf "%.2f", b - a }')
slow=$(awk -v a="$t0" -v b="$t_slow" 'BEGIN { printf "%.2f", b - a }')
tap_diag "the quick session ended after ${quick} s, the slow one after ${slow} s"
grep -q '^status: accept$' "$W/quick.out" && grep -q '^status: accept$' "$W/slow.out" &&
    awk -v q="$quick" -v s="$slow" 'BEGIN { exit !(q < 1.2 && s >= 2.0) }'
tap_result $? "a session beside one whose Ruby stopper sleeps 2 s is not held" ||
    { tap_diag_file "$W/quick.out"; tap_diag_file "$W/slow.out"; }
grep -Eq '\[[0-9]+\] \[server\]\[stop-on-helo\]\[start\] \[[0-9]+\] a: Chosen' "$W/mm.log"
tap_result $? "the [server][stop-on-helo][start] row" || tap_diag_file "$W/mm.log"

it_stop "$pid"
! grep -q 'stopper\]\[error\]\|jobs\]\[error\]' "$W/mm.log"
tap_result $? "no stopper failed" || tap_diag_file "$W/mm.log"
tap_done

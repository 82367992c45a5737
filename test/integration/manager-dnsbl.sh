#!/bin/sh
# manager-dnsbl.sh - the DNSBL conditions through the real daemon
# (src/milter-manager) with the bundled dnsbl.conf, against a name server
# of our own on loopback (test/integration/dns-server.py): a listed
# client reaches only the "DNSBL Listed" child, a clean one only the
# "Not DNSBL Listed" child, a zone that never answers makes the client
# clean after dnsbl.timeout, and while one session waits for it another
# session passes at once (the lookup never holds the event loop); an
# IPv6 client is not looked up. Waits are bounded polls.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
S=$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)
B=$(cd "${top_builddir:-$S}" && pwd)
MM=$B/src/milter-manager
TEST_SERVER=$B/src/milter-test-server
[ -x "$MM" ] || tap_skip_all "milter-manager is not built"
MILTER_MANAGER_RUBYLIB=$S/binding/ruby/lib:$B/binding/ruby/lib
unset MILTER_LOG_LEVEL MILTER_MANAGER_CONFIG_DIR
export MILTER_MANAGER_RUBYLIB
W=$IT_WORK
tap_plan 8

it_start dns "$IT_PYTHON" "$S/test/integration/dns-server.py" \
    2.0.0.127.bl.test=127.0.0.2 3.0.0.127.bl.test=127.0.0.99 9.0.0.10.slow.test=silent
it_poll 10 grep -q '^listening ' "$W/dns.log" || tap_diag_file "$W/dns.log"
DNS_PORT=$(sed -n 's/^listening //p' "$W/dns.log")
for name in listed clean; do
    it_start "child-$name" "$B/src/milter-test-client" -s "unix:$W/$name.sock"
    it_wait_unix "$W/$name.sock" 10 "$IT_PID" || tap_diag "child $name did not listen"
done
cat > "$W/milter-manager.conf" <<CONF
manager.connection_spec = "unix:$W/mm.sock"
log.path = "$W/mm.log"
log.level = "all"
log.use_syslog = false
load("$S/conf/applicable-conditions/dnsbl.conf")
dnsbl.name_server = "127.0.0.1:$DNS_PORT"
dnsbl.timeout = 1
dnsbl.add_service("bl.test", "127.0.0.2")
dnsbl.add_service("slow.test")
define_milter("listed") do |milter|
  milter.connection_spec = "unix:$W/listed.sock"
  milter.applicable_conditions = ["DNSBL Listed"]
end
define_milter("clean") do |milter|
  milter.connection_spec = "unix:$W/clean.sock"
  milter.applicable_conditions = ["Not DNSBL Listed"]
end
CONF
it_start mm "$MM" -c "$W"
mm=$IT_PID
it_wait_unix "$W/mm.sock" 15 "$mm"
tap_result $? "the daemon starts with the bundled dnsbl.conf" || tap_diag_file "$W/mm.log"

session() { # session OUT ADDRESS: one session from a client at ADDRESS
    "$TEST_SERVER" -s "unix:$W/mm.sock" --connect-host=client.example \
        --connect-address="$2" >"$1" 2>&1
}
got_connect() { # got_connect CHILD ADDRESS-TEXT
    grep -F "connect: host=<client.example>, address=<$2>" "$W/child-$1.log" >/dev/null
}

session "$W/listed.out" 'inet:2525@[127.0.0.2]'
got_connect listed 'inet:2525@[127.0.0.2]' && ! got_connect clean 'inet:2525@[127.0.0.2]' &&
    grep -q '^status: accept' "$W/listed.out"
tap_result $? "a client listed in bl.test (127.0.0.2): only the 'DNSBL Listed' child takes part" ||
    { tap_diag_file "$W/listed.out"; tap_diag_file "$W/mm.log"; }

session "$W/other.out" 'inet:2525@[127.0.0.3]'
got_connect clean 'inet:2525@[127.0.0.3]' && ! got_connect listed 'inet:2525@[127.0.0.3]'
tap_result $? "an answer outside the expected address (127.0.0.99): not listed" ||
    tap_diag_file "$W/mm.log"

# The slow zone holds its session for dnsbl.timeout; meanwhile another
# session passes at once.
start=$(date +%s.%N)
session "$W/slow.out" 'inet:2525@[10.0.0.9]' &
slow=$!
it_poll 10 grep -q '^query 9.0.0.10.slow.test$' "$W/dns.log"
fast_start=$(date +%s.%N)
session "$W/fast.out" 'inet:2525@[192.0.2.7]'
fast_end=$(date +%s.%N)
wait "$slow"
end=$(date +%s.%N)
fast=$(echo "$fast_end - $fast_start" | bc)
slow_elapsed=$(echo "$end - $start" | bc)
got_connect clean 'inet:2525@[192.0.2.7]' && ! got_connect listed 'inet:2525@[192.0.2.7]' &&
    [ "$(echo "$fast < 0.9" | bc)" = 1 ]
tap_result $? "while a session waits for a silent zone, another passes at once (${fast}s)" ||
    tap_diag_file "$W/mm.log"
got_connect clean 'inet:2525@[10.0.0.9]' && ! got_connect listed 'inet:2525@[10.0.0.9]' &&
    [ "$(echo "$slow_elapsed >= 0.9" | bc)" = 1 ] && grep -q '^status: accept' "$W/slow.out"
tap_result $? "a zone that never answers: not listed after dnsbl.timeout (${slow_elapsed}s)" ||
    { tap_diag_file "$W/slow.out"; tap_diag_file "$W/mm.log"; }

# Every zone was asked once for each IPv4 client (the two conditions share
# the lookup): the 4 default
# zones too.
n_queries=$(grep -c '^query ' "$W/dns.log")
session "$W/v6.out" 'inet6:2525@[2001:db8::1]'
got_connect clean 'inet6:2525@[2001:db8::1]' && ! got_connect listed 'inet6:2525@[2001:db8::1]' &&
    [ "$(grep -c '^query ' "$W/dns.log")" = "$n_queries" ] && [ "$n_queries" = 24 ]
tap_result $? "an IPv6 client is not looked up and not listed ($n_queries queries: 4 IPv4 clients, 6 zones, one lookup shared by the 2 conditions)" ||
    { tap_diag_file "$W/dns.log"; tap_diag_file "$W/mm.log"; }

grep -q ' debug: \[dnsbl\]\[listed\] DNSBL Listed: 127.0.0.2 in bl.test$' "$W/mm.log" &&
    grep -q ' debug: \[dnsbl\]\[timeout\] slow.test$' "$W/mm.log"
tap_result $? "debug rows: [dnsbl][listed] with the zone, [dnsbl][timeout] for the silent zone" ||
    tap_diag_file "$W/mm.log"

it_stop "$mm"
[ $IT_STATUS -eq 0 ]
tap_result $? "the daemon stops cleanly"
tap_done

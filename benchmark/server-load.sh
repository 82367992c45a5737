#!/bin/sh
# server-load.sh - milter-test-server load mode against the libmilter no-op milter
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh benchmark/server-load.sh [N-SESSIONS]
#
# DESCRIPTION
#   Builds test/integration/milters/libmilter-noop.c, starts it on loopback
#   and runs `milter-test-server --n-sessions N --concurrency C` for C = 1,
#   8 and 64 (N defaults to 5000). For each it prints sessions/s, p50 and p99
#   latency, and the CPU seconds (user + system, from /proc/PID/stat) used
#   by milter-test-server and by the milter during that run, so one can see
#   that the driver is not the bottleneck.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

N=${1:-5000}
it_init
SERVER=$top_builddir/src/milter-test-server
it_build_c_milter "$IT_DIR/milters/libmilter-noop.c" "$IT_WORK/noop" || exit 1
port=$(it_free_port)
it_start noop "$IT_WORK/noop" "inet:$port@127.0.0.1"
MILTER_PID=$IT_PID
it_wait_port "$port" 15 "$MILTER_PID" || exit 1
TICKS=$(getconf CLK_TCK)

# utime + stime of PID (fields 14 and 15 of /proc/PID/stat), in ticks.
cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

printf '%-12s %10s %10s %10s %12s %12s\n' concurrency sessions/s p50-ms p99-ms server-cpu-s milter-cpu-s
for c in 1 8 64; do
    before=$(cpu_ticks "$MILTER_PID")
    "$SERVER" -s "inet:$port@127.0.0.1" --n-sessions "$N" --concurrency "$c" \
        >"$IT_WORK/load-$c.out" 2>"$IT_WORK/load-$c.err" &
    server_pid=$!
    # Sample the driver's CPU time just before it exits.
    server_ticks=0
    while it_alive "$server_pid"; do
        t=$(cpu_ticks "$server_pid" 2>/dev/null) && server_ticks=$t
        sleep 0.05
    done
    wait "$server_pid"
    after=$(cpu_ticks "$MILTER_PID")
    rate=$(sed -n 's/^sessions-per-second: //p' "$IT_WORK/load-$c.out")
    p50=$(sed -n 's/^latency-p50: \([0-9.]*\) ms/\1/p' "$IT_WORK/load-$c.out")
    p99=$(sed -n 's/^latency-p99: \([0-9.]*\) ms/\1/p' "$IT_WORK/load-$c.out")
    printf '%-12s %10s %10s %10s %12s %12s\n' "$c" "$rate" "$p50" "$p99" \
        "$(awk -v t="$server_ticks" -v h="$TICKS" 'BEGIN { printf "%.2f", t / h }')" \
        "$(awk -v t="$((after - before))" -v h="$TICKS" 'BEGIN { printf "%.2f", t / h }')"
    grep -q '^failed: 0$' "$IT_WORK/load-$c.out" || cat "$IT_WORK/load-$c.err" >&2
done

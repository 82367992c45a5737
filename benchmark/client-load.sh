#!/bin/sh
# client-load.sh - sessions per second of a no-op milter on libmilter-client
# against the same no-op milter on Sendmail's libmilter, and resident
# memory per idle connection.
#
# SYNOPSIS
#   benchmark/client-load.sh            (from the build directory, after
#                                        make all check_PROGRAMS)
#   N_SESSIONS=20000 benchmark/client-load.sh
#
# DESCRIPTION
#   milter-test-server's load mode (libev loop, inet on loopback) runs
#   N_SESSIONS sessions (default 10000) at concurrency 1, 8 and 64 against:
#     libmilter      test/integration/milters/libmilter-noop.c
#     ours glib      test/client/milters/milter-noop-client, glib loop
#     ours libev     the same, libev loop
#     ours glib -w2  the same with --n-workers 2 (and libev -w2)
#   and prints sessions/s with the ratio ours/libmilter. Then the same
#   milters at concurrency 1 through benchmark/milter-session-driver, a
#   blocking driver that shares no code with the project (inet and unix
#   sockets, whole session up to the milter's close), N_ROUNDS (default 5)
#   rounds in which the milters take turns. Then it opens
#   1,000 connections (each negotiated, then idle) to each milter and
#   prints the growth of its resident set size per connection.
#
# DIAGNOSTICS
#   Needs libmilter-dev (to build the reference milter) and /usr/bin/python3
#   (to hold the idle connections); says so and exits 1 without them.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/test/integration/lib.sh"
it_init
B=${top_builddir:-$(pwd)}
SERVER=$B/src/milter-test-server
OURS=$B/test/client/milters/milter-noop-client
N=${N_SESSIONS:-10000}
ulimit -n 4096 2>/dev/null

[ -x "$SERVER" ] && [ -x "$OURS" ] || { echo "build milter-test-server and milter-noop-client first"; exit 1; }
it_have_pkgs libmilter-dev || { echo "missing package: $IT_MISSING"; exit 1; }
it_build_c_milter "$IT_DIR/milters/libmilter-noop.c" "$IT_WORK/libmilter-noop" || exit 1

start_milter() { # KIND PORT [SPEC]: sets MILTER_PID
    spec=${3:-inet:$2@127.0.0.1}
    case $1 in
    libmilter) it_start "m-$2" "$IT_WORK/libmilter-noop" "$spec" ;;
    glib) it_start "m-$2" "$OURS" -s "$spec" --event-loop-backend glib ;;
    libev) it_start "m-$2" "$OURS" -s "$spec" --event-loop-backend libev ;;
    glib-w2) it_start "m-$2" "$OURS" -s "$spec" --event-loop-backend glib --n-workers 2 ;;
    libev-w2) it_start "m-$2" "$OURS" -s "$spec" --event-loop-backend libev --n-workers 2 ;;
    esac
    MILTER_PID=$IT_PID
    case $spec in
    unix:*) i=0; while [ ! -S "${spec#unix:}" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done ;;
    *) it_wait_port "$2" 10 "$MILTER_PID" ;;
    esac
}

rate() { # PORT CONCURRENCY: prints sessions/s
    "$SERVER" -s "inet:$1@127.0.0.1" --event-loop-backend libev \
        --n-sessions "$N" --concurrency "$2" >"$IT_WORK/load.out" 2>&1
    if ! grep -q '^failed: 0$' "$IT_WORK/load.out"; then
        echo "FAILED"
        sed 's/^/#   /' "$IT_WORK/load.out" >&2
        return
    fi
    sed -n 's/^sessions-per-second: //p' "$IT_WORK/load.out"
}

echo "milter-test-server load mode, $N sessions per run, inet loopback, $(nproc) CPUs"
printf '%-16s %14s %14s %14s\n' milter c=1 c=8 c=64
for kind in libmilter glib libev glib-w2 libev-w2; do
    port=$(it_free_port)
    start_milter $kind "$port"
    line=$(printf '%-16s' "$kind")
    for c in 1 8 64; do
        r=$(rate "$port" $c)
        if [ $kind = libmilter ]; then
            eval "base_$c=\$r"
            line="$line $(printf '%14s' "$r")"
        else
            eval "b=\$base_$c"
            ratio=$(awk -v a="$r" -v b="$b" 'BEGIN { if (b > 0 && a > 0) printf "%.2f", a / b; else print "-" }')
            line="$line $(printf '%14s' "$r (${ratio}x)")"
        fi
    done
    echo "$line"
    it_stop "$MILTER_PID"
done

# The independent blocking driver at concurrency 1. The three milters
# take turns within each round, so that a burst of load from elsewhere on
# the machine hits all of them alike; the ratio is the median over the
# rounds of ours/libmilter in the same round.
DRIVER=$B/benchmark/milter-session-driver
ROUNDS=${N_ROUNDS:-5}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
if [ -x "$DRIVER" ] || (cd "$B" && make -s benchmark/milter-session-driver >/dev/null 2>&1); then
    echo
    echo "benchmark/milter-session-driver (blocking, concurrency 1), $N sessions, $ROUNDS alternating rounds"
    echo "sessions/s and p50 of the whole session: medians; ratio: median of per-round ours/libmilter"
    for family in inet unix; do
        : >"$IT_WORK/driver-$family.txt"
        for round in $(seq "$ROUNDS"); do
            for kind in libmilter glib libev; do
                port=$(it_free_port)
                spec=inet:$port@127.0.0.1
                [ $family = unix ] && spec=unix:$IT_WORK/driver-$port.sock
                start_milter $kind "$port" "$spec"
                "$DRIVER" "$spec" "$N" >"$IT_WORK/driver.out"
                it_stop "$MILTER_PID"
                awk -v r="$round" -v k="$kind" '/^sessions-per-second:/ { s = $2 } /latency-p50:/ { p = $2 } END { print r, k, s + 0, p + 0 }' "$IT_WORK/driver.out" >>"$IT_WORK/driver-$family.txt"
            done
        done
        printf '%-6s %-10s %12s %10s %8s\n' "$family" milter sessions/s p50-ms ratio
        for kind in libmilter glib libev; do
            sps=$(awk -v k=$kind '$2 == k { print $3 }' "$IT_WORK/driver-$family.txt" | median)
            p50=$(awk -v k=$kind '$2 == k { print $4 }' "$IT_WORK/driver-$family.txt" | median)
            ratio=$(awk -v k=$kind '$2 == "libmilter" { b[$1] = $3 } $2 == k { a[$1] = $3 } END { for (r in a) if (b[r] > 0) print a[r] / b[r] }' "$IT_WORK/driver-$family.txt" | median)
            printf '%-6s %-10s %12.1f %10.3f %7.2fx\n' "$family" "$kind" "$sps" "$p50" "$ratio"
        done
    done
fi

# Resident memory per idle connection.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/benchmark/idle-rss.sh"
echo
echo "resident memory per idle connection (1000 connections, negotiated)"
for kind in libmilter glib libev; do
    port=$(it_free_port)
    start_milter $kind "$port"
    idle_rss "$kind" "$MILTER_PID" "$port"
    it_stop "$MILTER_PID"
done

#!/bin/sh
# libmilter-load.sh - one no-op milter source on Sendmail's libmilter and on ours
#
# SYNOPSIS
#   benchmark/libmilter-load.sh        (from the build directory, after make)
#   N_SESSIONS=5000 N_ROUNDS=3 benchmark/libmilter-load.sh
#
# DESCRIPTION
#   Builds test/integration/milters/libmilter-noop.c twice: against
#   Sendmail's libmilter (libmilter-dev) and against our libmilter/
#   (headers and libmilter.so.1.0.1). milter-test-server's load mode
#   (libev loop) runs N_SESSIONS sessions (default 10000: shorter runs
#   are at the mercy of the machine's swings) at concurrency 1, 8 and 64,
#   over TCP on loopback and over a unix socket; each figure is the
#   median of N_ROUNDS rounds (default 5) in which the two milters take
#   turns, the one to go first alternating, and the ratio is
#   ours/libmilter. Then each milter holds
#   1000 idle negotiated connections and the growth of its resident set
#   (smaps_rollup) per connection is printed.
#
# DIAGNOSTICS
#   Needs libmilter-dev and /usr/bin/python3; says so and exits 1 without.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/test/integration/lib.sh"
it_init
top_builddir=${top_builddir:-$(pwd)}
SERVER=$top_builddir/src/milter-test-server
N=${N_SESSIONS:-10000}
ROUNDS=${N_ROUNDS:-5}
ulimit -n 4096 2>/dev/null

[ -x "$SERVER" ] && [ -f "$top_builddir/libmilter/.libs/libmilter.so.1.0.1" ] ||
    { echo "build first (make)"; exit 1; }
it_have_pkgs libmilter-dev || { echo "missing package: $IT_MISSING"; exit 1; }
IT_LIBMILTER= it_build_c_milter "$IT_DIR/milters/libmilter-noop.c" "$IT_WORK/noop-libmilter" || exit 1
IT_LIBMILTER=ours
it_build_c_milter "$IT_DIR/milters/libmilter-noop.c" "$IT_WORK/noop-ours" || exit 1
IT_LIBMILTER=

start() { # KIND SPEC: sets PID
    it_start "m-$1" env LIBMILTER_NOOP_BODY_LOG=/dev/null "$IT_WORK/noop-$1" "$2"
    PID=$IT_PID
    case $2 in
    unix:*) it_wait_unix "${2#unix:}" 10 "$PID" ;;
    *) _p=${2#inet:}; it_wait_port "${_p%@*}" 10 "$PID" ;;
    esac
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "libmilter-noop.c, milter-test-server load mode, $N sessions, median of $ROUNDS rounds, $(nproc) CPUs"
printf '%-6s %-4s %14s %14s %7s\n' family c libmilter ours ratio
: >"$IT_WORK/rates"
for round in $(seq "$ROUNDS"); do
    for family in inet unix; do
        if [ $((round % 2)) = 1 ]; then kinds="libmilter ours"; else kinds="ours libmilter"; fi
        for kind in $kinds; do
            if [ $family = inet ]; then spec=inet:$(it_free_port)@127.0.0.1; else spec=unix:$IT_WORK/$kind-$round.sock; fi
            start $kind "$spec"
            for c in 1 8 64; do
                "$SERVER" -s "$spec" --event-loop-backend libev --n-sessions "$N" \
                    --concurrency $c >"$IT_WORK/load.out" 2>&1
                if grep -q '^failed: 0$' "$IT_WORK/load.out"; then
                    r=$(sed -n 's/^sessions-per-second: //p' "$IT_WORK/load.out")
                else
                    r=0
                fi
                echo "$round $family $c $kind $r" >>"$IT_WORK/rates"
            done
            it_stop "$PID"
        done
    done
done
for family in inet unix; do
    for c in 1 8 64; do
        a=$(awk -v f=$family -v c=$c '$2 == f && $3 == c && $4 == "libmilter" { print $5 }' "$IT_WORK/rates" | median)
        b=$(awk -v f=$family -v c=$c '$2 == f && $3 == c && $4 == "ours" { print $5 }' "$IT_WORK/rates" | median)
        awk -v f=$family -v c=$c -v a="$a" -v b="$b" \
            'BEGIN { printf "%-6s %-4s %14.1f %14.1f %6.2fx\n", f, c, a, b, (a > 0 ? b / a : 0) }'
    done
done

. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/benchmark/idle-rss.sh"
echo
echo "resident memory per idle connection (1000 connections, negotiated)"
for kind in libmilter ours; do
    port=$(it_free_port)
    start $kind "inet:$port@127.0.0.1"
    idle_rss "$kind" "$PID" "$port"
    it_stop "$PID"
done

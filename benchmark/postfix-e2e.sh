#!/bin/sh
# postfix-e2e.sh - end to end through a real Postfix: Postfix alone, Postfix's
# own chain of two milters, and milter-manager in front of the same two
# (issue 10, "Measured")
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh benchmark/postfix-e2e.sh   (as root)
#   E2E_N=200 E2E_ROUNDS=1 E2E_RSS_SESSIONS=2000 sh benchmark/postfix-e2e.sh
#
# DESCRIPTION
#   Two children on unix sockets in the work directory:
#   test/integration/milters/pymilter-header.py (adds X-Pymilter) and
#   test/integration/milters/libmilter-noop.c (continues everywhere).
#   Three private Postfix instances (client-setup-postfix.sh), all relaying
#   to one smtp-sink:
#     alone     smtpd_milters empty
#     chain     smtpd_milters = unix:PYMILTER unix:NOOP (Postfix's own chain)
#     manager   smtpd_milters = unix:MANAGER, src/milter-manager with the
#               same two children in the same order
#   Load, one instance at a time: `smtp-source -c -l E2E_SIZE (5000)
#   -m E2E_N (1000) -s E2E_PAR (10)`, one message per SMTP session; the time
#   runs from its start until smtp-sink holds all E2E_N messages (polled
#   every 0.1 s). Each setup is run E2E_ROUNDS times (3), interleaved; the
#   median msg/s is printed, with every round's figure, and the ratio
#   manager/chain of the medians.
#   Then the daemon's resident memory (VmRSS, /proc/PID/status): at start,
#   after the Postfix rounds, and after E2E_RSS_SESSIONS (10,000) more
#   sessions from `milter-test-server --n-sessions N --concurrency 10`
#   straight at the daemon's socket (each a whole session with a small
#   body, through both children).
#   Figures are noisy on a shared machine: compare runs taken together.
#
# DIAGNOSTICS
#   Needs root, postfix, python3-milter and libmilter-dev; says so and exits
#   1 without them. A round whose messages do not all arrive within 120 s
#   prints FAILED and exits 1; set IT_KEEP=1 to keep the work directory
#   (logs: mm.log, pf-*/maillog, *.log).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
. "$top_srcdir/test/integration/lib.sh"
. "$top_srcdir/test/integration/manager-mta-lib.sh"

N=${E2E_N:-1000}
SIZE=${E2E_SIZE:-5000}
PAR=${E2E_PAR:-10}
ROUNDS=${E2E_ROUNDS:-3}
RSS_SESSIONS=${E2E_RSS_SESSIONS:-10000}

if [ "$(id -u)" != 0 ]; then
    echo "postfix-e2e.sh: needs root (Postfix's master)" >&2
    exit 1
fi
if ! it_have_pkgs postfix python3-milter libmilter-dev; then
    echo "postfix-e2e.sh: missing packages: $IT_MISSING" >&2
    exit 1
fi

it_init
mm_init
MM_LOG_LEVEL="error|warning"

# ---- children and manager ------------------------------------------------

PYM_SOCK=$IT_WORK/pym.sock
NOOP_SOCK=$IT_WORK/noop.sock
it_build_c_milter "$IT_DIR/milters/libmilter-noop.c" "$IT_WORK/libmilter-noop" || exit 1
it_start pymilter "$IT_PYTHON" "$IT_DIR/milters/pymilter-header.py" \
    "unix:$PYM_SOCK" X-Pymilter added
PYM_PID=$IT_PID
# libmilter makes its socket with the process's umask; smtpd (user postfix)
# must be able to connect to it.
it_start noop sh -c 'umask 000; exec "$0" "$@"' "$IT_WORK/libmilter-noop" "unix:$NOOP_SOCK"
NOOP_PID=$IT_PID
it_wait_unix "$PYM_SOCK" 20 "$PYM_PID" || exit 1
it_wait_unix "$NOOP_SOCK" 20 "$NOOP_PID" || exit 1

mm_milter pymilter "unix:$PYM_SOCK"
mm_milter noop "unix:$NOOP_SOCK"
mm_write_conf
mm_start || { cat "$MM_LOG" "$IT_WORK/mm.log" >&2; exit 1; }
mm_sink_start || exit 1

rss_kb() {
    sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}
RSS_START=$(rss_kb "$MM_PID")

# ---- three Postfix instances ---------------------------------------------

# pf_start NAME MILTERS: a Postfix in $IT_WORK/pf-NAME; its smtpd port is
# stored in $IT_WORK/pf-NAME.port. An empty MILTERS means no milter.
pf_start() {
    _pf=$IT_WORK/pf-$1
    _port=$(it_free_port) || return 1
    PF=$_pf SMTPD_PORT=$_port SINK_PORT=$SINK_PORT MILTER=${2:-none} \
        "$IT_DIR/client-setup-postfix.sh" >"$IT_WORK/pf-$1-setup.log" 2>&1 || {
        cat "$IT_WORK/pf-$1-setup.log" >&2
        return 1
    }
    if [ -z "$2" ]; then
        postconf -c "$_pf/etc" -e 'smtpd_milters =' || return 1
    fi
    it_start "master-$1" /usr/lib/postfix/sbin/master -c "$_pf/etc" -d
    it_wait_port "$_port" 20 "$IT_PID" || return 1
    echo "$_port" >"$IT_WORK/pf-$1.port"
}

pf_start alone "" || exit 1
pf_start chain "unix:$PYM_SOCK unix:$NOOP_SOCK" || exit 1
pf_start manager "unix:$MM_SOCK" || exit 1

# run_one NAME: one load run through pf-NAME; prints msg/s.
run_one() {
    find "$SINK" -mindepth 1 -delete
    _port=$(cat "$IT_WORK/pf-$1.port")
    _t0=$(date +%s.%N)
    smtp-source -c -l "$SIZE" -m "$N" -s "$PAR" -f a@example.test -t b@example.net \
        "127.0.0.1:$_port" >"$IT_WORK/source-$1.log" 2>&1
    if ! mm_sink_wait "$N" 120; then
        echo "FAILED: $1: $(mm_sink_n) of $N messages arrived" >&2
        tail -n 20 "$IT_WORK/source-$1.log" "$IT_WORK/pf-$1/maillog" >&2
        return 1
    fi
    _t1=$(date +%s.%N)
    awk -v n="$N" -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}

median() {
    tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "# $N messages of $SIZE bytes, $PAR in parallel, $ROUNDS round(s); unix sockets"
R_alone= R_chain= R_manager=
r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    for s in alone chain manager; do
        rate=$(run_one $s) || exit 1
        eval "R_$s=\"\$R_$s $rate\""
    done
done
# Every manager message must have passed the pymilter child.
if [ "$(mm_sink_count_with 'X-Pymilter: added')" != "$N" ]; then
    echo "FAILED: manager: $(mm_sink_count_with 'X-Pymilter: added') of $N carry X-Pymilter" >&2
    exit 1
fi

printf '%-10s %10s   %s\n' setup msg/s rounds
for s in alone chain manager; do
    eval "rounds=\$R_$s"
    eval "M_$s=$(echo "$rounds" | median)"
    eval "printf '%-10s %10s  %s\n' $s \"\$M_$s\" \"\$rounds\""
done
awk -v m="$M_manager" -v c="$M_chain" 'BEGIN { printf "manager/chain: %.2f\n", m / c }'

# ---- resident memory -----------------------------------------------------

RSS_E2E=$(rss_kb "$MM_PID")
"$top_builddir/src/milter-test-server" -s "unix:$MM_SOCK" --n-sessions "$RSS_SESSIONS" \
    --concurrency 10 >"$IT_WORK/rss-load.out" 2>"$IT_WORK/rss-load.err"
if ! grep -q '^failed: 0$' "$IT_WORK/rss-load.out"; then
    echo "FAILED: milter-test-server load:" >&2
    cat "$IT_WORK/rss-load.out" "$IT_WORK/rss-load.err" >&2
    exit 1
fi
RSS_END=$(rss_kb "$MM_PID")
echo "daemon VmRSS: start ${RSS_START} kB, after $((ROUNDS * N)) Postfix sessions ${RSS_E2E} kB," \
    "after $RSS_SESSIONS more milter-test-server sessions ${RSS_END} kB" \
    "($(sed -n 's/^sessions-per-second: //p' "$IT_WORK/rss-load.out") sessions/s)"

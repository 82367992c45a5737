#!/bin/sh
# engine-load.sh - the manager engine (test/manager/milter-manager-engine-server)
# with no-op children against the same drivers straight to one child:
# sessions/s and latency, parallel helo latency, memory with a 1 GiB body
# and per held-open session.
#
# SYNOPSIS
#   benchmark/engine-load.sh       (from the build directory, after
#                                   make all check_PROGRAMS benchmarks)
#   N_SESSIONS=5000 REPEAT=5 BACKENDS=libev CHILD=ours SECTIONS="rate helo" \
#       benchmark/engine-load.sh
#
# DESCRIPTION
#   rate    Two no-op children (CHILD=libmilter, the default:
#           test/integration/milters/libmilter-noop.c; CHILD=ours:
#           test/client/milters/milter-noop-client on libev). For unix
#           sockets and for TCP on loopback (every hop of the family), for
#           each engine event-loop backend in BACKENDS (default "libev
#           glib"): `milter-test-server --n-sessions N --concurrency C` at
#           C = 1, 8, 64 through the engine and straight to the first
#           child; then benchmark/milter-session-driver (blocking,
#           concurrency 1, no code shared with the project) the same two
#           ways. Each figure is the best of REPEAT runs (default 3) by
#           sessions/s, with that run's p50/p99; the ratio is engine/direct.
#   helo    Three milter-test-client children each answering helo after
#           50 ms: the p50 of a whole session through the engine (expected
#           about 50 ms plus a direct session, not 150).
#   body    One 1 GiB body (HEADER + 16,384 chunks of 65,535 bytes) through
#           the engine with two CHILD=ours children, from a small Python
#           MTA that streams it; prints the engine's peak resident set
#           (VmHWM) before and after. The temporary body file goes to the
#           work directory; nothing is written to disk for the MTA's copy.
#   hold    HOLD sessions (default 9,900) opened by a Python holder,
#           each negotiated (so each has its child connected) and then
#           idle, through the engine with ONE child (ours, libev): the
#           engine needs one descriptor per session plus one per child per
#           session, and the hard limit here is `ulimit -Hn`. Prints the
#           growth of the engine's resident set per session.
#   SECTIONS selects (default "rate helo body hold").
#
#   Figures are noisy on a shared machine: compare ratios of runs taken
#   together, and repeat.
#
# DIAGNOSTICS
#   Needs libmilter-dev (for CHILD=libmilter) and /usr/bin/python3; says so
#   and exits 1 without them. A failed load run prints FAILED and its output
#   on stderr.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/test/integration/lib.sh"
it_init
B=${top_builddir:-$(pwd)}
SERVER=$B/src/milter-test-server
ENGINE=$B/test/manager/milter-manager-engine-server
OURS=$B/test/client/milters/milter-noop-client
SCRIPTED=$B/src/milter-test-client
DRIVER=$B/benchmark/milter-session-driver
N=${N_SESSIONS:-3000}
REPEAT=${REPEAT:-3}
BACKENDS=${BACKENDS:-libev glib}
CHILD=${CHILD:-libmilter}
SECTIONS=${SECTIONS:-rate helo body hold}
HOLD=${HOLD:-9900}
ulimit -n "$(ulimit -Hn)" 2>/dev/null

for p in "$SERVER" "$ENGINE" "$OURS" "$SCRIPTED" "$DRIVER"; do
    [ -x "$p" ] || { echo "build $p first (make all check_PROGRAMS benchmarks)"; exit 1; }
done
[ -x "$IT_PYTHON" ] || { echo "missing /usr/bin/python3"; exit 1; }
if [ "$CHILD" = libmilter ]; then
    it_have_pkgs libmilter-dev || { echo "missing package: $IT_MISSING"; exit 1; }
    it_build_c_milter "$IT_DIR/milters/libmilter-noop.c" "$IT_WORK/libmilter-noop" || exit 1
fi

# ---- helpers --------------------------------------------------------------

# spec FAMILY NAME: a fresh listening spec of FAMILY (unix or inet).
spec() {
    case $1 in
    unix) echo "unix:$IT_WORK/$2.sock" ;;
    *) echo "inet:$(it_free_port)@127.0.0.1" ;;
    esac
}

# wait_spec SPEC PID: until SPEC listens.
wait_spec() {
    case $1 in
    unix:*) it_wait_unix "${1#unix:}" 15 "$2" ;;
    inet:*) p=${1#inet:}; it_wait_port "${p%@*}" 15 "$2" ;;
    esac
}

# start_child KIND SPEC [ARG...]: sets CHILD_PID.
start_child() {
    kind=$1
    s=$2
    shift 2
    case $kind in
    libmilter) it_start "child-$$-$(date +%s%N)" "$IT_WORK/libmilter-noop" "$s" ;;
    ours) it_start "child-$(date +%s%N)" "$OURS" -s "$s" --event-loop-backend libev ;;
    scripted) it_start "child-$(date +%s%N)" "$SCRIPTED" -s "$s" -q "$@" ;;
    esac
    CHILD_PID=$IT_PID
    wait_spec "$s" "$CHILD_PID" || exit 1
}

# start_engine BACKEND SPEC CHILD-SPEC...: sets ENGINE_PID.
start_engine() {
    backend=$1
    s=$2
    shift 2
    set -- $(i=0; for c in "$@"; do i=$((i + 1)); echo "--milter=child$i=$c"; done)
    it_start "engine-$(date +%s%N)" "$ENGINE" -s "$s" --event-loop-backend "$backend" \
        --temporary-directory "$IT_WORK" --log-level critical "$@"
    ENGINE_PID=$IT_PID
    wait_spec "$s" "$ENGINE_PID" || exit 1
}

# best_of CMD [ARG...]: the best of REPEAT runs of CMD (a driver printing
# sessions-per-second, latency-p50 and latency-p99) by sessions/s, as
# "RATE P50 P99" (ms); "FAILED - -" and its output on stderr if a run
# failed.
best_of() {
    best="0 - -"
    for try in $(seq "$REPEAT"); do
        if ! "$@" >"$IT_WORK/run.out" 2>&1 || grep -q '^failed: [1-9]' "$IT_WORK/run.out"; then
            sed 's/^/#   /' "$IT_WORK/run.out" >&2
            echo "FAILED - -"
            return
        fi
        r=$(sed -n 's/^sessions-per-second: //p' "$IT_WORK/run.out")
        p50=$(sed -n 's/^latency-p50: \([0-9.]*\) ms/\1/p' "$IT_WORK/run.out")
        p99=$(sed -n 's/^latency-p99: \([0-9.]*\) ms/\1/p' "$IT_WORK/run.out")
        best=$(echo "$best" | awk -v r="$r" -v a="$p50" -v b="$p99" \
            '{ if (r + 0 > $1 + 0) print r, a, b; else print }')
    done
    echo "$best"
}

# load SPEC C: milter-test-server's load mode at concurrency C.
load() {
    best_of "$SERVER" -s "$1" --event-loop-backend libev --n-sessions "$N" \
        --concurrency "$2"
}

# drive SPEC: benchmark/milter-session-driver (concurrency 1).
drive() {
    best_of "$DRIVER" "$1" "$N"
}

# row LABEL "RATE P50 P99" [DIRECT-RATE]
row() {
    echo "$2" | awk -v l="$1" -v d="${3:-}" '{
        ratio = (d != "" && d + 0 > 0 && $1 + 0 > 0) ? sprintf("%.2fx", $1 / d) : "";
        printf "  %-40s %9s/s  p50 %8s ms  p99 %8s ms  %s\n", l, $1, $2, $3, ratio }'
}

# rss_kb PID: resident set from smaps_rollup (exact, unlike VmRSS).
rss_kb() {
    awk '/^Rss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null
}

# cpu_ticks PID: utime + stime (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
TICKS=$(getconf CLK_TCK)

hwm_kb() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# ---- sessions per second ----------------------------------------------------

if echo "$SECTIONS" | grep -qw rate; then
    echo "sessions/s through the engine (2 no-op $CHILD children) and straight to one child;"
    echo "$N sessions per run, best of $REPEAT, $(nproc) CPUs shared: noisy"
    for family in unix inet; do
        c1=$(spec $family c1)
        c2=$(spec $family c2)
        start_child "$CHILD" "$c1"
        pid1=$CHILD_PID
        start_child "$CHILD" "$c2"
        pid2=$CHILD_PID
        echo
        echo "$family sockets"
        for c in 1 8 64; do
            direct=$(load "$c1" $c)
            row "direct c=$c (milter-test-server)" "$direct"
            eval "direct_$c=\${direct%% *}"
        done
        ddirect=$(drive "$c1")
        row "direct c=1 (session-driver)" "$ddirect"
        for backend in $BACKENDS; do
            e=$(spec $family engine)
            start_engine "$backend" "$e" "$c1" "$c2"
            for c in 1 8 64; do
                eval "d=\$direct_$c"
                t0=$(cpu_ticks "$ENGINE_PID")
                r=$(load "$e" $c)
                t1=$(cpu_ticks "$ENGINE_PID")
                row "engine $backend c=$c (milter-test-server)" "$r" "$d"
                awk -v t="$((t1 - t0))" -v h="$TICKS" -v n="$((N * REPEAT))" \
                    'BEGIN { printf "    engine CPU (user+system): %.3f ms per session\n", t / h * 1000 / n }'
            done
            row "engine $backend c=1 (session-driver)" "$(drive "$e")" "${ddirect%% *}"
            it_stop "$ENGINE_PID"
            [ $family = unix ] && rm -f "${e#unix:}"
        done
        # libmilter takes seconds to leave after SIGTERM: signal both first.
        kill -TERM "$pid1" "$pid2" 2>/dev/null
        it_stop "$pid1"
        it_stop "$pid2"
    done
    echo
fi

# ---- three children sleeping 50 ms at helo ---------------------------------

if echo "$SECTIONS" | grep -qw helo; then
    echo "3 children each answering helo after 50 ms (unix sockets), p50 of a session:"
    specs=
    pids=
    for i in 1 2 3; do
        s=$(spec unix helo$i)
        start_child scripted "$s" --sleep helo=0.05
        specs="$specs $s"
        pids="$pids $CHILD_PID"
    done
    direct=$(N=50 REPEAT=1 load "$(echo $specs | cut -d' ' -f1)" 1)
    row "direct to one child" "$direct"
    for backend in $BACKENDS; do
        e=$(spec unix helo-engine)
        # shellcheck disable=SC2086
        start_engine "$backend" "$e" $specs
        r=$(N=50 REPEAT=1 load "$e" 1)
        row "engine $backend, 3 children" "$r"
        echo "$r" | awk '{ printf "    -> %.1f ms per session: %s\n", $2,
            ($2 + 0 < 100) ? "parallel (about 50, not 150)" : "NOT parallel" }'
        it_stop "$ENGINE_PID"
        rm -f "${e#unix:}"
    done
    for p in $pids; do it_stop "$p"; done
    echo
fi

# ---- a 1 GiB body ----------------------------------------------------------

cat >"$IT_WORK/mta.py" <<'PY'
# A streaming MTA: one session with a body of N_CHUNKS x 65535 bytes.
import socket, struct, sys
spec, n_chunks = sys.argv[1], int(sys.argv[2])
if spec.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(spec[5:])
else:
    port, host = spec[5:].split("@")
    s = socket.create_connection((host, int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def send(cmd, payload=b""):
    s.sendall(struct.pack(">Ic", len(payload) + 1, cmd) + payload)
def reply():
    head = b""
    while len(head) < 4:
        b = s.recv(4 - len(head))
        if not b:
            sys.exit("closed")
        head += b
    n = struct.unpack(">I", head)[0]
    body = b""
    while len(body) < n:
        b = s.recv(n - len(body))
        if not b:
            sys.exit("closed")
        body += b
    return body[:1]
# No step flags offered: every event gets a reply.
send(b"O", struct.pack(">III", 6, 0x1FF, 0))
reply()
connect = b"mx.example.net\x004" + struct.pack(">H", 50443) + b"127.0.0.1\x00"
for cmd, payload in ((b"C", connect),
                     (b"H", b"delian\x00"), (b"M", b"<a@example.com>\x00"),
                     (b"R", b"<b@example.org>\x00"), (b"T", b""),
                     (b"L", b"Subject\x00big\x00"), (b"N", b"")):
    send(cmd, payload)
    r = reply()
    if r not in (b"c", b"a"):
        sys.exit("unexpected %r to %r" % (r, cmd))
chunk = b"x" * 65533 + b"\r\n"
for i in range(n_chunks):
    send(b"B", chunk)
    r = reply()
    if r not in (b"c", b"s"):
        sys.exit("unexpected %r to body" % r)
send(b"E")
while True:
    r = reply()
    if r in (b"a", b"c", b"r", b"t", b"d"):
        break
send(b"Q")
print("done", r.decode())
PY

if echo "$SECTIONS" | grep -qw body; then
    echo "a 1 GiB body (16384 x 65535 bytes) through the engine, 2 no-op children (ours), unix sockets:"
    df -h "$IT_WORK" | sed 's/^/  /'
    c1=$(spec unix body1)
    c2=$(spec unix body2)
    start_child ours "$c1"
    pid1=$CHILD_PID
    start_child ours "$c2"
    pid2=$CHILD_PID
    for backend in $BACKENDS; do
        e=$(spec unix body-engine)
        start_engine "$backend" "$e" "$c1" "$c2"
        before=$(hwm_kb "$ENGINE_PID")
        start=$(date +%s.%N)
        out=$("$IT_PYTHON" "$IT_WORK/mta.py" "$e" 16384 2>&1)
        end=$(date +%s.%N)
        after=$(hwm_kb "$ENGINE_PID")
        left=$(find "$IT_WORK" -maxdepth 1 -type f ! -name '*.log' ! -name '*.py' ! -name '*.out' ! -name '.*' ! -name 'libmilter-noop' | wc -l)
        awk -v b="$backend" -v x="$before" -v y="$after" -v o="$out" -v s="$start" -v e="$end" -v l="$left" \
            'BEGIN { printf "  engine %-6s VmHWM %7d kB idle, %7d kB after the 1 GiB session (%s, %.1f s); files left in the temporary directory: %d\n", b, x, y, o, e - s, l }'
        it_stop "$ENGINE_PID"
        rm -f "${e#unix:}"
    done
    it_stop "$pid1"
    it_stop "$pid2"
    echo
fi

# ---- resident memory per held-open session ---------------------------------

cat >"$IT_WORK/hold.py" <<'PY'
# Opens N sessions to the engine, negotiates each, then holds them open.
import socket, struct, sys
spec, n = sys.argv[1], int(sys.argv[2])
negotiate = struct.pack(">IcIII", 13, b"O", 6, 0x1FF, 0)
conns = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(spec[5:])
    s.sendall(negotiate)
    conns.append(s)
ok = 0
for s in conns:
    if s.recv(4096)[4:5] == b"O":
        ok += 1
print("ready", ok, flush=True)
sys.stdin.read()
PY

if echo "$SECTIONS" | grep -qw hold; then
    echo "resident memory per session, $HOLD sessions negotiated and held open, 1 child (ours, libev),"
    echo "unix sockets, fd limit $(ulimit -n) (the engine needs 2 descriptors per session with 1 child):"
    c1=$(spec unix hold1)
    start_child ours "$c1"
    pid1=$CHILD_PID
    for backend in $BACKENDS; do
        e=$(spec unix hold-engine)
        start_engine "$backend" "$e" "$c1"
        # One session first, so that one-time allocations are not counted.
        N=1 REPEAT=1 load "$e" 1 >/dev/null
        before=$(rss_kb "$ENGINE_PID")
        rm -f "$IT_WORK/hold.fifo"
        mkfifo "$IT_WORK/hold.fifo"
        "$IT_PYTHON" "$IT_WORK/hold.py" "$e" "$HOLD" <"$IT_WORK/hold.fifo" >"$IT_WORK/hold.out" 2>&1 &
        holder=$!
        exec 9>"$IT_WORK/hold.fifo"
        i=0
        while ! grep -q ready "$IT_WORK/hold.out" && it_alive $holder && [ $i -lt 1200 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        after=$(rss_kb "$ENGINE_PID")
        ready=$(sed -n 's/^ready //p' "$IT_WORK/hold.out")
        exec 9>&-
        wait $holder
        awk -v b="$backend" -v x="$before" -v y="$after" -v n="${ready:-0}" \
            'BEGIN { printf "  engine %-6s %8d kB before, %8d kB with %d sessions negotiated: %.1f kB per session\n", b, x, y, n, (n > 0) ? (y - x) / n : 0 }'
        [ "${ready:-0}" = "$HOLD" ] || sed 's/^/#   /' "$IT_WORK/hold.out" >&2
        it_stop "$ENGINE_PID"
        rm -f "${e#unix:}"
    done
    it_stop "$pid1"
fi

# idle-rss.sh - sourced by the load benchmarks: resident memory per idle connection
#
# SYNOPSIS
#   . "$top_srcdir/benchmark/idle-rss.sh"     (after lib.sh's it_init)
#   idle_rss KIND PID PORT [N]
#   idle_hold_start PORT N; ...; idle_hold_stop
#
# DESCRIPTION
#   Opens N (default 1000) connections to the milter PID listening on
#   127.0.0.1:PORT, negotiates on each, holds them idle and prints
#   "KIND  B kB before, A kB with N connections: X kB per connection".
#   The resident set is read from smaps_rollup of PID and its children:
#   VmRSS in /proc/PID/status lags for processes with many threads
#   (per-thread counters are folded in lazily), which would flatter a
#   thread per connection.
#
# DIAGNOSTICS
#   Needs /usr/bin/python3.

idle_rss_kb() { # PID (and its children): total resident set in kB
    _total=0
    for _p in $1 $(pgrep -P "$1"); do
        _v=$(awk '/^Rss:/ { print $2 }' "/proc/$_p/smaps_rollup" 2>/dev/null)
        _total=$((_total + ${_v:-0}))
    done
    echo $_total
}

# Holds N negotiated connections to 127.0.0.1:PORT open (a python3
# process, $IDLE_HOLDER) until idle_hold_stop; returns once all have
# been answered (1 if they were not within 30 s).
idle_hold_start() { # PORT N
    [ -f "$IT_WORK/hold.py" ] || cat >"$IT_WORK/hold.py" <<'PY'
import socket, struct, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
negotiate = struct.pack(">IcIII", 13, b"O", 6, 0x1FF, 0x1FFFFF)
conns = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(negotiate)
    conns.append(s)
for s in conns:
    s.recv(4096)
print("ready", flush=True)
sys.stdin.read()
PY
    mkfifo "$IT_WORK/hold-$1"
    : >"$IT_WORK/hold-$1.out"
    /usr/bin/python3 "$IT_WORK/hold.py" "$1" "$2" <"$IT_WORK/hold-$1" >"$IT_WORK/hold-$1.out" 2>&1 &
    IDLE_HOLDER=$!
    exec 9>"$IT_WORK/hold-$1"
    _i=0
    while ! grep -q ready "$IT_WORK/hold-$1.out" && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
    grep -q ready "$IT_WORK/hold-$1.out"
}

idle_hold_stop() {
    exec 9>&-
    wait "$IDLE_HOLDER"
}

idle_rss() { # KIND PID PORT [N]
    _n=${4:-1000}
    sleep 0.2
    _before=$(idle_rss_kb "$2")
    idle_hold_start "$3" "$_n"
    sleep 0.2
    _after=$(idle_rss_kb "$2")
    idle_hold_stop
    awk -v k="$1" -v a="$_after" -v b="$_before" -v n="$_n" \
        'BEGIN { printf "%-16s %8d kB before, %8d kB with %d connections: %.1f kB per connection\n", k, b, a, n, (a - b) / n }'
}

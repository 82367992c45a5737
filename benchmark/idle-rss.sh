# idle-rss.sh - sourced by the load benchmarks: resident memory per idle connection
#
# SYNOPSIS
#   . "$top_srcdir/benchmark/idle-rss.sh"     (after lib.sh's it_init)
#   idle_rss KIND PID PORT [N]
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

idle_rss() { # KIND PID PORT [N]
    _n=${4:-1000}
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
    sleep 0.2
    _before=$(idle_rss_kb "$2")
    mkfifo "$IT_WORK/hold-$3"
    /usr/bin/python3 "$IT_WORK/hold.py" "$3" "$_n" <"$IT_WORK/hold-$3" >"$IT_WORK/hold-$3.out" 2>&1 &
    _holder=$!
    exec 9>"$IT_WORK/hold-$3"
    _i=0
    while ! grep -q ready "$IT_WORK/hold-$3.out" && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
    sleep 0.2
    _after=$(idle_rss_kb "$2")
    exec 9>&-
    wait $_holder
    awk -v k="$1" -v a="$_after" -v b="$_before" -v n="$_n" \
        'BEGIN { printf "%-16s %8d kB before, %8d kB with %d connections: %.1f kB per connection\n", k, b, a, n, (a - b) / n }'
}

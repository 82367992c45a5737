#!/bin/sh
# libmilter-idle.sh - on our libmilter an idle connection takes no thread
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-idle.sh
#
# DESCRIPTION
#   Builds test/integration/milters/libmilter-noop.c against our headers
#   and library and holds 200 negotiated connections to it, idle. The
#   milter must then have fewer than 20 threads (a thread per session
#   would be over 200) and its resident set must have grown by less than
#   16 kB per connection (a thread per session costs about 39 kB with
#   Debian 12's GLib); a whole session on a new connection must still
#   complete while they are held; after SIGTERM the milter exits 0.
#   Prints TAP.
#
# DIAGNOSTICS
#   Failures show the figures and the milter's log; needs /usr/bin/python3.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"
. "$top_srcdir/benchmark/idle-rss.sh"

it_init
tap_plan 5
SERVER=$top_builddir/src/milter-test-server
MILTER=$IT_WORK/libmilter-noop
N=200
it_use_our_libmilter

[ -x /usr/bin/python3 ] || tap_skip_all "no /usr/bin/python3"
if ! it_build_c_milter "$IT_DIR/milters/libmilter-noop.c" "$MILTER" 2>"$IT_WORK/cc.log"; then
    tap_diag_file "$IT_WORK/cc.log"
    for t in 1 2 3 4 5; do tap_not_ok "libmilter-noop did not build"; done
    tap_done
fi
tap_ok "libmilter-noop builds on our headers and loads our library"

port=$(it_free_port)
spec="inet:$port@127.0.0.1"
it_start milter "$MILTER" "$spec"
milter_pid=$IT_PID
it_wait_port "$port" 10 "$milter_pid"
# One session first: what the first session allocates once is not per
# connection.
"$SERVER" -s "$spec" >"$IT_WORK/first.out" 2>&1

before=$(idle_rss_kb "$milter_pid")
idle_hold_start "$port" "$N"
held=$?
after=$(idle_rss_kb "$milter_pid")
threads=$(ls "/proc/$milter_pid/task" | wc -l)
if [ $held -eq 0 ] && [ "$threads" -lt 20 ]; then
    tap_ok "$N idle connections: $threads threads"
else
    tap_not_ok "$N idle connections: $threads threads"
    tap_diag_file "$IT_WORK/hold-$port.out"
fi
per=$(awk -v a="$after" -v b="$before" -v n=$N 'BEGIN { printf "%.1f", (a - b) / n }')
if awk -v p="$per" 'BEGIN { exit !(p < 16) }'; then
    tap_ok "resident set: $per kB per idle connection"
else
    tap_not_ok "resident set: $per kB per idle connection ($before kB before, $after kB after)"
fi
if "$SERVER" -s "$spec" >"$IT_WORK/while.out" 2>&1 && grep -q '^status: accept$' "$IT_WORK/while.out"; then
    tap_ok "a new session completes while they are held"
else
    tap_not_ok "a new session completes while they are held"
    tap_diag_file "$IT_WORK/while.out"
fi
idle_hold_stop
if it_stop "$milter_pid" && [ "$IT_STATUS" -eq 0 ]; then
    tap_ok "the milter exits 0 after SIGTERM"
else
    tap_not_ok "the milter exits 0 after SIGTERM (status $IT_STATUS)"
    tap_diag_file "$IT_WORK/milter.log"
fi
tap_done

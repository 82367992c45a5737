# lib.sh - shared POSIX sh helpers for integration tests against real milter peers
#
# SYNOPSIS
#   . "$top_srcdir/test/integration/lib.sh"
#   it_init                       create $IT_WORK (private, removed on exit), set $IT_DIR
#   it_free_port                  print a free TCP port on 127.0.0.1
#   it_start NAME CMD [ARG...]    run CMD in the background, output to $IT_WORK/NAME.log,
#                                 PID in $IT_PID (do not call inside $(...))
#   it_adopt_pid PID              stop PID (started elsewhere) on exit too
#   it_wait_port PORT [SECS] [PID]   wait until 127.0.0.1:PORT (or [::]:PORT) listens
#   it_wait_unix PATH [SECS] [PID]   wait until unix socket PATH listens
#   it_poll SECS CMD [ARG...]     run CMD every 0.1 s until it succeeds (bounded)
#   it_wait_grep FILE PATTERN [SECS]  until FILE has a line matching PATTERN
#   it_alive PID                  true while PID runs (zombies count as dead)
#   it_stop PID                   TERM, wait up to $IT_STOP_WAIT s (10), then KILL
#   it_stop_all                   it_stop every recorded PID, in parallel
#   it_build_c_milter SRC OUT     cc SRC -lmilter -pthread -o OUT (Sendmail's
#                                 libmilter; our libmilter/ when $IT_LIBMILTER
#                                 is "ours", see it_use_our_libmilter)
#   it_use_our_libmilter          build C milters against our libmilter/
#                                 headers and library from now on
#   it_our_libmilter_path         the LD_LIBRARY_PATH that makes a Debian
#                                 milter binary load our libmilter
#   it_loads_our_libmilter PID    true if PID mapped our libmilter.so.1.0.1
#                                 and not Sendmail's (/proc/PID/maps)
#   it_start_on LIB NAME CMD [ARG...]  it_start; with LIB "ours", CMD (a
#                                 Debian milter binary) gets our libmilter
#                                 first in LD_LIBRARY_PATH, with "sendmail"
#                                 it runs as it is
#   it_test_server OUT SPEC [ARG...]  milter-test-server --output-message
#                                 against SPEC; its output without the
#                                 elapsed-time line into OUT
#   it_have_pkgs PKG...           true if all Debian packages are installed;
#                                 missing ones are listed in $IT_MISSING
#   it_run_log NAME CMD [ARG...]  run CMD in the foreground, output to $IT_WORK/NAME.log
#   tap_plan N | tap_ok DESC | tap_not_ok DESC | tap_result STATUS DESC
#   tap_check DESC CMD [ARG...] | tap_skip REASON | tap_skip_all REASON
#   tap_check_our_libmilter WHAT PID  it_loads_our_libmilter as a TAP check
#   tap_check_same DESC FILE1 FILE2   the files are equal, FILE1 not empty
#                                 (else their diff)
#   tap_check_both_libs NAME PID_SENDMAIL PID_OURS MESSAGE...
#                                 one milter NAME run on both libraries:
#                                 $IT_WORK/sendmail.MESSAGE equals
#                                 $IT_WORK/ours.MESSAGE for each MESSAGE,
#                                 then both exit after SIGTERM
#   tap_diag TEXT | tap_diag_file FILE | tap_done
#
# DESCRIPTION
#   Everything lives under one private work directory made by mktemp (mode 0700;
#   chmod it yourself if a peer running as another user, e.g. Postfix's smtpd,
#   must reach a unix socket in it) and only loopback is used; nothing
#   system-wide is touched. The EXIT trap stops every process started with
#   it_start or adopted with it_adopt_pid, then removes the work directory
#   (kept when IT_KEEP=1, for debugging).
#   Processes are stopped in parallel because libmilter-based milters need up
#   to ~5 s to leave smfi_main() after SIGTERM.
#   tap_plan may be called first or, for a trailing plan, after the last test
#   (tap_done prints a trailing plan if none was printed).
#
# DIAGNOSTICS
#   Failures of the helpers are reported on stderr as "# lib.sh: ..." lines and
#   with a non-zero return status. tap_done exits 1 if any test failed.

IT_TAP_N=0
IT_TAP_FAILED=0
IT_TAP_PLANNED=
IT_STOP_WAIT=${IT_STOP_WAIT:-10}
IT_PYTHON=${IT_PYTHON:-/usr/bin/python3}

it__err() {
    echo "# lib.sh: $*" >&2
}

# ---- work directory and cleanup ------------------------------------------

it__cleanup() {
    _it_status=$?
    trap - EXIT
    if [ -n "${IT_WORK:-}" ] && [ -d "$IT_WORK" ]; then
        it_stop_all
        if [ "${IT_KEEP:-0}" = 1 ]; then
            echo "# work dir kept: $IT_WORK" >&2
        else
            rm -rf "$IT_WORK"
        fi
    fi
    exit $_it_status
}

it_init() {
    IT_DIR=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration
    IT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/milter-it.XXXXXX") || {
        it__err "mktemp -d failed"
        exit 1
    }
    : >"$IT_WORK/.pids"
    : >"$IT_WORK/.ports"
    trap it__cleanup EXIT
    # A signal must still run the EXIT trap so that no peer is left behind.
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export IT_WORK IT_DIR
}

# ---- ports ----------------------------------------------------------------

# Binding port 0 lets the kernel choose; the port is free when we read it,
# racing only with other programs binding in the next milliseconds. Ports
# already handed out in this run are refused, because the kernel may hand the
# same one out again once our probe socket is closed.
it_free_port() {
    _it_try=0
    while [ $_it_try -lt 20 ]; do
        _it_try=$((_it_try + 1))
        if [ -x "$IT_PYTHON" ]; then
            _it_port=$("$IT_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') || return 1
        else
            _it_port=$(perl -MIO::Socket::INET -e \
                'print IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)->sockport, "\n"') ||
                return 1
        fi
        if ! grep -qx "$_it_port" "$IT_WORK/.ports" 2>/dev/null; then
            echo "$_it_port" >>"$IT_WORK/.ports"
            echo "$_it_port"
            return 0
        fi
    done
    it__err "no free port found"
    return 1
}

# ---- bounded polls ------------------------------------------------------

# it_poll SECS CMD ARG...: run CMD every 0.1 s until it succeeds, for at
# most SECS (whole) seconds.
it_poll() {
    _it_poll_ticks=$(($1 * 10))
    shift
    while [ $_it_poll_ticks -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        _it_poll_ticks=$((_it_poll_ticks - 1))
    done
    return 1
}
# it_has_line FILE PATTERN: FILE has a line matching PATTERN (grep).
it_has_line() { grep -q -- "$2" "$1" 2>/dev/null; }
# it_wait_grep FILE PATTERN [SECS]: until FILE has such a line.
it_wait_grep() { it_poll "${3:-10}" it_has_line "$1" "$2"; }

# ---- processes ------------------------------------------------------------

it_start() {
    _it_name=$1
    shift
    "$@" >"$IT_WORK/$_it_name.log" 2>&1 </dev/null &
    IT_PID=$!
    echo "$IT_PID" >>"$IT_WORK/.pids"
}

it_adopt_pid() {
    echo "$1" >>"$IT_WORK/.pids"
}

# kill -0 succeeds on a zombie (our child that exited but was not waited
# for), so look at the process state where /proc exists.
it_alive() {
    if [ -r "/proc/$1/stat" ]; then
        _it_state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
        [ -n "$_it_state" ] && [ "$_it_state" != Z ]
    elif [ -d /proc/self ]; then
        return 1
    else
        kill -0 "$1" 2>/dev/null
    fi
}

# Waits up to SECS (whole) seconds for PIDs to end.
it__wait_gone() {
    _it_secs=$1
    shift
    _it_ticks=$((_it_secs * 10))
    while [ $_it_ticks -gt 0 ]; do
        _it_any=
        for _it_p in "$@"; do
            it_alive "$_it_p" && _it_any=1
        done
        [ -z "$_it_any" ] && return 0
        sleep 0.1
        _it_ticks=$((_it_ticks - 1))
    done
    return 1
}

it__forget_pid() {
    if [ -f "$IT_WORK/.pids" ]; then
        grep -vx "$1" "$IT_WORK/.pids" >"$IT_WORK/.pids.new"
        mv "$IT_WORK/.pids.new" "$IT_WORK/.pids"
    fi
}

# Returns 0 if PID ended after SIGTERM (or was already gone), 1 if it had to
# be killed. IT_STATUS holds its exit status when it was our child.
it_stop() {
    _it_pid=$1
    _it_rc=0
    if it_alive "$_it_pid"; then
        kill -TERM "$_it_pid" 2>/dev/null
        if ! it__wait_gone "$IT_STOP_WAIT" "$_it_pid"; then
            it__err "PID $_it_pid did not exit within ${IT_STOP_WAIT}s of SIGTERM; sending SIGKILL"
            kill -KILL "$_it_pid" 2>/dev/null
            it__wait_gone 5 "$_it_pid"
            _it_rc=1
        fi
    fi
    wait "$_it_pid" 2>/dev/null
    # shellcheck disable=SC2034 # for callers
    IT_STATUS=$?
    it__forget_pid "$_it_pid"
    return $_it_rc
}

it_stop_all() {
    [ -f "$IT_WORK/.pids" ] || return 0
    _it_pids=$(cat "$IT_WORK/.pids")
    [ -n "$_it_pids" ] || return 0
    for _it_p in $_it_pids; do
        it_alive "$_it_p" && kill -TERM "$_it_p" 2>/dev/null
    done
    # shellcheck disable=SC2086
    if ! it__wait_gone "$IT_STOP_WAIT" $_it_pids; then
        for _it_p in $_it_pids; do
            if it_alive "$_it_p"; then
                it__err "PID $_it_p ignored SIGTERM for ${IT_STOP_WAIT}s; sending SIGKILL"
                kill -KILL "$_it_p" 2>/dev/null
            fi
        done
    fi
    for _it_p in $_it_pids; do
        wait "$_it_p" 2>/dev/null
    done
    : >"$IT_WORK/.pids"
}

# ---- readiness ------------------------------------------------------------

it__fail_wait() {
    _it_what=$1
    _it_pid=$2
    if [ -n "$_it_pid" ] && ! it_alive "$_it_pid"; then
        it__err "$_it_what: process $_it_pid exited before listening"
    else
        it__err "$_it_what: not listening after ${3}s"
    fi
    return 1
}

# Reads /proc/net/tcp{,6} instead of connecting: a probe connection would be
# a session the milter under test sees and logs.
it_wait_port() {
    _it_port=$1
    _it_secs=${2:-10}
    _it_pid=${3:-}
    _it_hex=$(printf '%04X' "$_it_port")
    _it_ticks=$((_it_secs * 10))
    while [ $_it_ticks -gt 0 ]; do
        if cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
            awk -v p=":$_it_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }'; then
            return 0
        fi
        if [ -n "$_it_pid" ] && ! it_alive "$_it_pid"; then
            break
        fi
        sleep 0.1
        _it_ticks=$((_it_ticks - 1))
    done
    it__fail_wait "TCP port $_it_port" "$_it_pid" "$_it_secs"
}

# A listening unix socket has the __SO_ACCEPTCON flag (00010000) in /proc/net/unix.
it_wait_unix() {
    _it_path=$1
    _it_secs=${2:-10}
    _it_pid=${3:-}
    _it_ticks=$((_it_secs * 10))
    while [ $_it_ticks -gt 0 ]; do
        if [ -S "$_it_path" ] &&
            awk -v p="$_it_path" '$4 == "00010000" && $NF == p { f = 1 } END { exit !f }' /proc/net/unix; then
            return 0
        fi
        if [ -n "$_it_pid" ] && ! it_alive "$_it_pid"; then
            break
        fi
        sleep 0.1
        _it_ticks=$((_it_ticks - 1))
    done
    it__fail_wait "unix socket $_it_path" "$_it_pid" "$_it_secs"
}

# it_postfix_dirs: PF (a private Postfix's directory) and SINK (mode
# 1777, for the sink's mail) in the work directory, which Postfix's
# daemons (user postfix) must be able to cross (0711), and free ports in
# SMTPD_PORT, SINK_PORT and MILTER_PORT.
it_postfix_dirs() {
    PF=$IT_WORK/postfix
    SINK=$IT_WORK/sink
    mkdir -p "$SINK"
    chmod 1777 "$SINK"
    chmod 0711 "$IT_WORK"
    SMTPD_PORT=$(it_free_port)
    SINK_PORT=$(it_free_port)
    MILTER_PORT=$(it_free_port)
}

# ---- building and packages ------------------------------------------------

# With IT_LIBMILTER=ours the same sources are compiled against our
# headers (they come first in the include path) and linked with our
# libmilter.so.1.0.1 of the build tree (found by rpath).
it_build_c_milter() {
    if [ "${IT_LIBMILTER:-}" = ours ]; then
        _it_libs=${top_builddir:-.}/libmilter/.libs
        _it_libs=$(cd "$_it_libs" && pwd) || return 1
        ${CC:-cc} -O2 -Wall -Wextra -I"${top_srcdir:-.}" -o "$2" "$1" \
            -L"$_it_libs" -l:libmilter.so.1.0.1 -Wl,-rpath,"$_it_libs" -pthread || return 1
        # The program must load ours, not Sendmail's.
        ldd "$2" | grep -q "libmilter.so.1.0.1 => $_it_libs/libmilter.so.1.0.1 " || {
            it__err "$2 does not load $_it_libs/libmilter.so.1.0.1"
            return 1
        }
    else
        ${CC:-cc} -O2 -Wall -Wextra -o "$2" "$1" -lmilter -pthread
    fi
}

it_use_our_libmilter() {
    IT_LIBMILTER=ours
    export IT_LIBMILTER
}

it_our_libmilter_path() {
    _it_b=$(cd "${top_builddir:-.}" && pwd) || return 1
    echo "$_it_b/libmilter/.libs:$_it_b/milter/client/.libs:$_it_b/milter/core/.libs"
}

it_loads_our_libmilter() {
    _it_b=$(cd "${top_builddir:-.}" && pwd) || return 1
    grep -q " $_it_b/libmilter/.libs/libmilter.so.1.0.1\$" "/proc/$1/maps" &&
        ! grep -v " $_it_b/" "/proc/$1/maps" | grep -q '/libmilter\.so'
}

it_start_on() {
    _it_lib=$1
    _it_name=$2
    shift 2
    if [ "$_it_lib" = ours ]; then
        it_start "$_it_name" env LD_LIBRARY_PATH="$(it_our_libmilter_path)" "$@"
    else
        it_start "$_it_name" "$@"
    fi
}

it_test_server() {
    _it_out=$1
    _it_spec=$2
    shift 2
    "${top_builddir:-.}/src/milter-test-server" --all-timeouts 30 -s "$_it_spec" \
        --output-message "$@" >"$_it_out.raw" 2>&1
    grep -v '^elapsed-time: ' "$_it_out.raw" >"$_it_out"
}

it_have_pkgs() {
    IT_MISSING=
    for _it_pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$_it_pkg" 2>/dev/null | grep -q 'install ok installed' ||
            IT_MISSING="$IT_MISSING $_it_pkg"
    done
    IT_MISSING=${IT_MISSING# }
    [ -z "$IT_MISSING" ]
}

it_run_log() {
    _it_name=$1
    shift
    "$@" >"$IT_WORK/$_it_name.log" 2>&1 </dev/null
}

# ---- TAP ------------------------------------------------------------------

tap_plan() {
    IT_TAP_PLANNED=$1
    echo "1..$1"
}

tap_ok() {
    IT_TAP_N=$((IT_TAP_N + 1))
    echo "ok $IT_TAP_N - $*"
}

tap_not_ok() {
    IT_TAP_N=$((IT_TAP_N + 1))
    IT_TAP_FAILED=$((IT_TAP_FAILED + 1))
    echo "not ok $IT_TAP_N - $*"
}

tap_result() {
    _it_st=$1
    shift
    if [ "$_it_st" -eq 0 ]; then tap_ok "$@"; else tap_not_ok "$@"; fi
}

tap_check() {
    _it_desc=$1
    shift
    "$@"
    tap_result $? "$_it_desc"
}

tap_check_our_libmilter() {
    if it_loads_our_libmilter "$2"; then
        tap_ok "$1 runs on our libmilter.so.1.0.1 (/proc/$2/maps)"
    else
        tap_not_ok "$1 runs on our libmilter.so.1.0.1 (/proc/$2/maps)"
        grep milter "/proc/$2/maps" | sed 's/^/# /'
    fi
}

tap_check_same() {
    if [ -s "$2" ] && cmp -s "$2" "$3"; then
        tap_ok "$1"
    else
        tap_not_ok "$1"
        diff -u "$2" "$3" | sed 's/^/# /'
    fi
}

# The two are signalled together: Sendmail's libmilter takes up to 5 s to
# leave smfi_main().
tap_check_both_libs() {
    _it_name=$1
    _it_pid_sendmail=$2
    _it_pid_ours=$3
    shift 3
    for _it_m in "$@"; do
        tap_check_same "the same output for the $_it_m message on both libraries" \
            "$IT_WORK/sendmail.$_it_m" "$IT_WORK/ours.$_it_m"
    done
    kill -TERM "$_it_pid_sendmail" "$_it_pid_ours" 2>/dev/null
    tap_check "$_it_name on Sendmail's libmilter exits after SIGTERM" it_stop "$_it_pid_sendmail"
    tap_check "$_it_name on ours exits after SIGTERM" it_stop "$_it_pid_ours"
}

tap_skip() {
    IT_TAP_N=$((IT_TAP_N + 1))
    echo "ok $IT_TAP_N # SKIP $*"
}

tap_skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

tap_diag() {
    printf '%s\n' "$*" | sed 's/^/# /'
}

tap_diag_file() {
    [ -f "$1" ] && sed 's/^/# /' "$1"
}

tap_done() {
    [ -n "$IT_TAP_PLANNED" ] || echo "1..$IT_TAP_N"
    if [ -n "$IT_TAP_PLANNED" ] && [ "$IT_TAP_PLANNED" -ne "$IT_TAP_N" ]; then
        tap_diag "planned $IT_TAP_PLANNED tests but ran $IT_TAP_N"
        exit 1
    fi
    [ "$IT_TAP_FAILED" -eq 0 ] || exit 1
    exit 0
}

# run-scenarios.sh - the manager engine's scenario suite (TAP)
#
# SYNOPSIS
#   sh test/manager/run-scenarios.sh [SCENARIO-FILE...]
#
# DESCRIPTION
#   Each test/manager/scenarios/*.scenario file is one session through the
#   engine (test/manager/milter-manager-engine-server) with real child
#   processes, run once per event-loop backend (glib, libev). A scenario
#   is a list of lines, '#' starts a comment:
#
#     child NAME [ARG...]     a milter-test-client with ARGs (replies per
#                             event, modifications, --sleep ...); "child
#                             NAME --absent" starts nothing (refused)
#     rawchild NAME [ARG...]  test/manager/raw-child.py with ARGs: a child
#                             that breaks the protocol on purpose
#     blackhole NAME          a TCP listener whose accept queue is full,
#                             so a connect to it never completes
#     milter NAME ITEMS       the engine's --milter items for NAME
#                             (fallback=STATUS,evaluation,reading-timeout=S,
#                             conditions=A+B)
#     ruby TEXT               a line of the engine's milter-manager.conf
#                             (applicable conditions, loaded by the Ruby
#                             binding with --config-dir)
#     engine ARG...           more engine options
#     mta ARG...              milter-test-server's options (the MTA side)
#     probe ARG...            the MTA side is test/integration/milter-probe.py
#                             with ARGs instead (abort, quit-new-connection)
#     miltertest SCRIPT       the MTA side is miltertest running
#                             test/manager/miltertest/SCRIPT (skipped when
#                             miltertest is not installed)
#     body-size BYTES         the MTA sends a generated body of BYTES
#     mta-prints REGEX        a line of the MTA's output matches (grep -E)
#     mta-lacks REGEX         no line of it does
#     mta-count N REGEX       exactly N lines of it match
#     child-got NAME REGEX    a line of child NAME's event printout matches
#     child-lacks NAME REGEX  none does
#     child-count NAME N REGEX  exactly N lines match
#     log-has REGEX           a line of the engine's log matches
#     log-lacks REGEX         no line of it does
#     log-before REGEX1 REGEX2
#                             the engine's log has both, the first line
#                             matching REGEX1 before the first matching REGEX2
#     log-row LEVEL SESSION REGEX
#                             a line at LEVEL whose session prefix is
#                             [SESSION] ("-": no prefix) is "REGEX..."
#     max-rss-kib N           the engine's peak resident set stays below N
#
#   Each expectation is one TAP test.
#
# DIAGNOSTICS
#   On a failure the outputs are shown as TAP diagnostics.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
S=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
ENGINE=$B/test/manager/milter-manager-engine-server
# The Ruby library of the tree for the conditions' configuration.
MILTER_MANAGER_RUBYLIB="$S/binding/ruby/lib:$B/binding/ruby/lib"
export MILTER_MANAGER_RUBYLIB
TEST_CLIENT=$B/src/milter-test-client
TEST_SERVER=$B/src/milter-test-server
[ -x "$ENGINE" ] || tap_skip_all "milter-manager-engine-server is not built"

if [ $# -gt 0 ]; then
    scenarios="$*"
else
    scenarios=$(ls "$S"/test/manager/scenarios/*.scenario)
fi

# Splits a line into words the way sh does, keeping quoted strings.
run_scenario() {
    file=$1 backend=$2 tag=$3
    dir=$IT_WORK/$tag
    mkdir -p "$dir"
    engine_args= mta_args= body_size= probe= miltertest=
    pids=
    # First pass: children and options.
    while IFS= read -r line; do
        case $line in ''|'#'*) continue ;; esac
        set -f
        eval "set -- $line"
        set +f
        kind=$1; shift
        case $kind in
        child)
            name=$1; shift
            spec=unix:$dir/$name.sock
            # Nothing of a same-named child of an earlier scenario stays.
            eval "items_$name= spec_$name= pid_$name="
            echo "$name" >> "$dir/children"
            if [ "${1:-}" != --absent ]; then
                it_start "$tag-$name" "$TEST_CLIENT" -s "$spec" \
                    --event-loop-backend "$backend" "$@"
                pids="$pids $IT_PID"
                cp /dev/null "$dir/$name.out"
                eval "pid_$name=$IT_PID"
                it_wait_unix "$dir/$name.sock" 10 "$IT_PID" || tap_diag "child $name did not listen"
            fi
            ;;
        rawchild)
            name=$1; shift
            eval "items_$name= spec_$name= pid_$name="
            echo "$name" >> "$dir/children"
            it_start "$tag-$name" "$IT_PYTHON" "$S/test/manager/raw-child.py" \
                -s "unix:$dir/$name.sock" "$@"
            pids="$pids $IT_PID"
            eval "pid_$name=$IT_PID"
            it_wait_unix "$dir/$name.sock" 10 "$IT_PID" || tap_diag "child $name did not listen"
            ;;
        blackhole)
            name=$1
            eval "items_$name= pid_$name="
            echo "$name" >> "$dir/children"
            port=$(it_free_port)
            eval "spec_$name=inet:$port@127.0.0.1"
            it_start "$tag-$name" "$IT_PYTHON" "$S/test/manager/raw-child.py" \
                -s "inet:$port@127.0.0.1" --full-backlog
            pids="$pids $IT_PID"
            # Not it_wait_port: a probe connection would take the queue.
            i=0
            while [ $i -lt 100 ] && ! grep -q '^listening$' "$IT_WORK/$tag-$name.log"; do
                sleep 0.1; i=$((i + 1))
            done
            ;;
        probe) probe=1; for a in "$@"; do printf '%s\n' "$a"; done >> "$dir/mta-args" ;;
        miltertest) miltertest=$1 ;;
        milter) eval "items_$1=,\$2" ;;
        engine) engine_args="$engine_args $*" ;;
        mta) for a in "$@"; do printf '%s\n' "$a"; done >> "$dir/mta-args" ;;
        body-size) body_size=$1 ;;
        ruby)
            mkdir -p "$dir/conf"
            printf '%s\n' "$1" >> "$dir/conf/milter-manager.conf"
            ;;
        esac
    done < "$file"
    [ -f "$dir/conf/milter-manager.conf" ] && engine_args="$engine_args --config-dir $dir/conf"
    milters=
    if [ -f "$dir/children" ]; then
        while read -r name; do
            eval "items=\$items_$name spec=\${spec_$name:-unix:$dir/$name.sock}"
            milters="$milters --milter=$name=$spec$items"
        done < "$dir/children"
    fi
    # shellcheck disable=SC2086
    it_start "$tag-engine" "$ENGINE" -s "unix:$dir/engine.sock" \
        --event-loop-backend "$backend" --log-level=all \
        --log-path "$dir/engine.log" $milters $engine_args
    engine_pid=$IT_PID
    it_wait_unix "$dir/engine.sock" 10 "$engine_pid" || tap_diag "engine did not listen"
    set --
    if [ -f "$dir/mta-args" ]; then
        while IFS= read -r a; do set -- "$@" "$a"; done < "$dir/mta-args"
    fi
    if [ -n "$body_size" ]; then
        "$IT_PYTHON" -c "import sys
n=int(sys.argv[1]); line=b'x'*78+b'\r\n'
out=sys.stdout.buffer
out.write(b'From: <a@example.com>\r\nTo: <b@example.org>\r\nSubject: big\r\n\r\n')
while n>0:
    chunk=line*min(n//80+1, 8192)
    out.write(chunk[:n]); n-=min(n,len(chunk))" "$body_size" > "$dir/mail"
        set -- "$@" --mail-file "$dir/mail"
    fi
    if [ -n "$miltertest" ]; then
        stdbuf -o0 miltertest -D "SOCK=unix:$dir/engine.sock" \
            -D "LUADIR=$S/test/integration/miltertest" \
            -s "$S/test/manager/miltertest/$miltertest" > "$dir/mta.out" 2>&1
        echo "miltertest exit $?" >> "$dir/mta.out"
    elif [ -n "$probe" ]; then
        "$IT_PYTHON" "$S/test/integration/milter-probe.py" "$@" \
            "unix:$dir/engine.sock" > "$dir/mta.out" 2>&1
        echo "probe exit $?" >> "$dir/mta.out"
    else
        "$TEST_SERVER" -s "unix:$dir/engine.sock" --all-timeouts=20 "$@" \
            > "$dir/mta.out" 2>&1
    fi
    # Every child has finished its session (or never had one).
    for name in $(cat "$dir/children" 2>/dev/null); do
        eval "pid=\${pid_$name:-}"
        [ -n "$pid" ] || continue
        i=0
        while [ $i -lt 50 ] && ! grep -q 'finished' "$IT_WORK/$tag-$name.log" 2>/dev/null; do
            sleep 0.1; i=$((i + 1))
        done
    done
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$engine_pid/status" 2>/dev/null)
    it_stop "$engine_pid"
    for pid in $pids; do it_stop "$pid"; done
    for name in $(cat "$dir/children" 2>/dev/null); do
        cp "$IT_WORK/$tag-$name.log" "$dir/$name.out" 2>/dev/null || :
    done
    # Second pass: expectations.
    while IFS= read -r line; do
        case $line in ''|'#'*) continue ;; esac
        set -f
        eval "set -- $line"
        set +f
        kind=$1; shift
        desc="$tag: $kind $*"
        case $kind in
        mta-prints) grep -Eq -- "$1" "$dir/mta.out"; check_result $? ;;
        mta-lacks) ! grep -Eq -- "$1" "$dir/mta.out"; check_result $? ;;
        mta-count) [ "$(grep -Ec -- "$2" "$dir/mta.out")" = "$1" ]; check_result $? ;;
        child-got) grep -Eq -- "$2" "$dir/$1.out"; check_result $? ;;
        child-lacks) ! grep -Eq -- "$2" "$dir/$1.out"; check_result $? ;;
        child-count) [ "$(grep -Ec -- "$3" "$dir/$1.out")" = "$2" ]; check_result $? ;;
        log-has) grep -Eq -- "$1" "$dir/engine.log"; check_result $? ;;
        log-lacks) ! grep -Eq -- "$1" "$dir/engine.log"; check_result $? ;;
        log-before)
            a=$(grep -En -- "$1" "$dir/engine.log" | head -n 1 | cut -d: -f1)
            b=$(grep -En -- "$2" "$dir/engine.log" | head -n 1 | cut -d: -f1)
            [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; check_result $? ;;
        log-row)
            if [ "$2" = - ]; then prefix=; else prefix="\\[$2\\] "; fi
            grep -Eq -- "^[^ ]+ $1: $prefix$3" "$dir/engine.log"; check_result $? ;;
        max-rss-kib) [ -n "$rss" ] && [ "$rss" -lt "$1" ]; check_result $? ;;
        esac
    done < "$file"
}

check_result() {
    if [ "$1" = 0 ]; then
        tap_ok "$desc"
    else
        tap_not_ok "$desc"
        tap_diag "mta:"; tap_diag_file "$dir/mta.out"
        for n in $(cat "$dir/children" 2>/dev/null); do
            tap_diag "child $n:"; tap_diag_file "$dir/$n.out"
        done
        tap_diag "engine log (tail):"
        tail -n 30 "$dir/engine.log" > "$dir/engine.tail" 2>/dev/null
        tap_diag_file "$dir/engine.tail"
        [ -n "${rss:-}" ] && tap_diag "engine peak RSS: $rss KiB"
    fi
}

k=0
have_miltertest=
command -v miltertest >/dev/null 2>&1 && have_miltertest=1
for file in $scenarios; do
    if [ -z "$have_miltertest" ] && grep -q '^miltertest ' "$file"; then
        tap_skip "$(basename "$file" .scenario): miltertest is not installed"
        continue
    fi
    for backend in glib libev; do
        k=$((k + 1))
        run_scenario "$file" "$backend" "$(basename "$file" .scenario)-$backend"
    done
done
tap_done

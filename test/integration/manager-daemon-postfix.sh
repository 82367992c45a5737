#!/bin/sh
# manager-daemon-postfix.sh - milter-manager as the smtpd_milters of a private
# Postfix: its unix socket (mode 0660, group postfix, from the
# configuration) is reachable by smtpd, messages pass (Postfix's
# milter_default_action is tempfail, so a broken manager cannot pass by
# accident), and SIGHUP reloads during a run of smtp-source lose no
# message. Until the leader/children engine lands the manager answers
# continue without driving its child (milter-test-client adding a
# header is defined and running, for when it does).
# Needs root (Postfix's master). Skips only when a package is missing.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
S=$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)
B=$(cd "${top_builddir:-$S}" && pwd)
MM=$B/src/milter-manager
TEST_CLIENT=$B/src/milter-test-client

it_have_pkgs postfix || tap_skip_all "missing package: $IT_MISSING"
[ "$(id -u)" = 0 ] || tap_skip_all "Postfix's master must run as root"
[ -x "$MM" ] || tap_skip_all "milter-manager is not built"
tap_plan 7
MILTER_MANAGER_RUBYLIB=$S/binding/ruby/lib:$B/binding/ruby/lib
MILTER_MANAGER_CONFIG_DIR=$S/conf
# Detection (defaults/PLATFORM.conf) sees an empty system: the chain is
# the test's own, whatever milters this machine has installed.
MILTER_MANAGER_DETECTION_ROOT=$IT_WORK/no-installed-milters
export MILTER_MANAGER_DETECTION_ROOT MILTER_MANAGER_RUBYLIB MILTER_MANAGER_CONFIG_DIR

PF=$IT_WORK/postfix
SINK=$IT_WORK/sink
MM_DIR=$IT_WORK/manager
mkdir -p "$SINK" "$MM_DIR"
chmod 1777 "$SINK"
# smtpd (user postfix) must reach the manager's socket.
chmod 0711 "$IT_WORK" "$MM_DIR"
SMTPD_PORT=$(it_free_port)
SINK_PORT=$(it_free_port)
SOCK=$MM_DIR/milter-manager.sock

wait_sink() { # N: wait until N messages arrived (60 s at most)
    _i=0
    while [ "$(ls "$SINK" | wc -l)" -lt "$1" ] && [ $_i -lt 600 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    [ "$(ls "$SINK" | wc -l)" -ge "$1" ]
}

# The overlay: the bundled milter-manager.conf loads this last.
local_conf() { # N_CHILDREN
    {
        echo "manager.connection_spec = \"unix:$SOCK\""
        echo 'manager.unix_socket_mode = 0660'
        echo 'manager.unix_socket_group = "postfix"'
        echo "log.path = \"$MM_DIR/milter-manager.log\""
        echo 'log.level = "error|warning|info"'
        echo 'log.use_syslog = false'
        i=0
        while [ $i -lt "$1" ]; do
            i=$((i + 1))
            printf 'define_milter("child-%s") do |milter|\n  milter.connection_spec = "unix:%s"\nend\n' \
                "$i" "$MM_DIR/child.sock"
        done
    } >"$MM_DIR/milter-manager.local.conf"
}

it_start child "$TEST_CLIENT" -s "unix:$MM_DIR/child.sock" --quiet \
    --add-header 'X-Manager-Child:passed'
local_conf 1
it_start manager "$MM" --config-dir="$MM_DIR"
MM_PID=$IT_PID
it_wait_unix "$SOCK" 15 "$MM_PID"
tap_check "milter-manager listens, socket mode 0660 group postfix" \
    test "$(stat -c '%a %G' "$SOCK" 2>/dev/null)" = "660 postfix" ||
    tap_diag_file "$IT_WORK/manager.log"

it_start sink smtp-sink -u nobody -d "$SINK/%H%M%S." -c "127.0.0.1:$SINK_PORT" 100
PF=$PF SMTPD_PORT=$SMTPD_PORT SINK_PORT=$SINK_PORT MILTER="unix:$SOCK" \
    "$IT_DIR/client-setup-postfix.sh" >"$IT_WORK/setup.log" 2>&1
tap_result $? "private Postfix instance set up" || tap_diag_file "$IT_WORK/setup.log"
it_start master /usr/lib/postfix/sbin/master -c "$PF/etc" -d
it_wait_port "$SINK_PORT" 10 && it_wait_port "$SMTPD_PORT" 20
tap_result $? "smtp-sink and smtpd listen"

smtp-source -c -l 2048 -m 100 -s 10 -f alice@example.test -t bob@example.net \
    "127.0.0.1:$SMTPD_PORT" >"$IT_WORK/source.log" 2>&1
wait_sink 100
n=$(ls "$SINK" | wc -l)
tap_check "100 messages (10 in parallel) through Postfix -> milter-manager -> smtp-sink ($n)" \
    test "$n" = 100 || { tap_diag_file "$IT_WORK/source.log"; tail -20 "$PF/maillog" | sed 's/^/# /'; }

# Reloads (adding a child each time) while 200 messages go through.
rm -f "$SINK"/*
smtp-source -c -l 2048 -m 200 -s 20 -f alice@example.test -t bob@example.net \
    "127.0.0.1:$SMTPD_PORT" >"$IT_WORK/source-reload.log" 2>&1 &
source_pid=$!
it_adopt_pid "$source_pid"
for children in 2 3 4 5; do
    local_conf $children
    kill -HUP "$MM_PID"
    _i=0   # bounded: wait for this reload's line before the next one
    while ! grep -q "configuration reloaded: milters: \[child-1.*child-$children\]" \
        "$MM_DIR/milter-manager.log" 2>/dev/null && [ $_i -lt 100 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
done
wait "$source_pid"
source_status=$?
wait_sink 200
n=$(ls "$SINK" | wc -l)
reloads=$(grep -c 'configuration reloaded' "$MM_DIR/milter-manager.log")
[ $source_status -eq 0 ] && [ "$n" = 200 ] && [ "$reloads" -ge 4 ]
tap_result $? "4 SIGHUP reloads during 200 messages: none lost ($n delivered, $reloads reloads)" ||
    { tap_diag_file "$IT_WORK/source-reload.log"; tail -20 "$PF/maillog" | sed 's/^/# /'; }

warnings=$(grep -c 'warning:.*milter' "$PF/maillog" 2>/dev/null)
tap_check "Postfix logged no milter warning (${warnings:-0})" test "${warnings:-0}" = 0 ||
    grep 'warning:.*milter' "$PF/maillog" | tail -5 | sed 's/^/# /'

it_stop "$MM_PID"
tap_check "milter-manager stops on SIGTERM: exit 0, socket removed" \
    test "$IT_STATUS" = 0 -a ! -e "$SOCK"
tap_done

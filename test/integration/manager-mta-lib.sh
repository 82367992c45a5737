# manager-mta-lib.sh - milter-manager behind a real MTA: shared helpers
#
# SYNOPSIS
#   . "$top_srcdir/test/integration/lib.sh"
#   . "$top_srcdir/test/integration/manager-mta-lib.sh"
#   it_init; mm_init
#   mm_milter NAME SPEC [RUBY-LINE...]    add a child to the configuration
#   mm_write_conf                         write $MM_CONF_DIR/milter-manager.conf
#   mm_start                              start the manager on $MM_SOCK or
#                                         127.0.0.1:$MM_PORT if set ($MM_PID)
#   mm_postfix_start                      private Postfix in front of it ($PF)
#   mm_start_chain                        manager, sink and Postfix: one TAP result
#   mm_pymilter_start PORT                pymilter adding X-Pymilter ($PYM_PID)
#   mm_load_start N                       smtp-load.py, 20 in parallel, in the
#                                         background ($LOAD_PID, $t0)
#   mm_sink_start                         smtp-sink into $SINK ($SINK_PORT)
#   mm_sink_wait N [SECS]                 until N messages arrived
#   mm_sink_count_with HEADER-LINE        messages in $SINK carrying it
#   mm_wait_quiet DIR [SECS]              until DIR stops growing
#   mm_opendkim_start                     opendkim signer ($DKIM_PORT, $DKIM_KEY)
#   mm_dkim_verify FILE...                every message signed with $DKIM_KEY
#   mm_postfix_sessions                   "connect disconnect" counts of smtpd
#
# DESCRIPTION
#   The manager is the real daemon, src/milter-manager, run in the
#   foreground with a configuration directory of the test's own
#   (--config-dir) listening on a unix socket in the work directory, which
#   Postfix's smtpd (user postfix) must reach: the work directory is made
#   0711 and the socket 0666. The children are listed with mm_milter before
#   mm_write_conf; each gets short timeouts (MM_CHILD_TIMEOUT, 5 s) so the
#   manager answers long before Postfix's own milter_command_timeout (30 s)
#   when a child hangs.
#   Postfix is set up by client-setup-postfix.sh (relay to smtp-sink,
#   milter_default_action = tempfail), its log in $PF/maillog.
#
# DIAGNOSTICS
#   The helpers return non-zero on failure; the manager's log is
#   $IT_WORK/mm.log (log.level $MM_LOG_LEVEL).
MM_S=$(cd "${top_srcdir:-$(dirname "$0")/../..}" && pwd)
MM_B=$(cd "${top_builddir:-$MM_S}" && pwd)
MM=$MM_B/src/milter-manager
MM_CHILD_TIMEOUT=${MM_CHILD_TIMEOUT:-5}
MM_LOG_LEVEL=${MM_LOG_LEVEL:-error|warning|info|statistics}
MILTER_MANAGER_RUBYLIB=$MM_S/binding/ruby/lib:$MM_B/binding/ruby/lib
export MILTER_MANAGER_RUBYLIB
unset MILTER_LOG_LEVEL

mm_init() {
    chmod 0711 "$IT_WORK"
    MM_CONF_DIR=$IT_WORK/mm-conf
    MM_SOCK=$IT_WORK/mm.sock
    MM_LOG=$IT_WORK/mm.log
    MM_MILTERS=$IT_WORK/mm-milters.rb
    mkdir -p "$MM_CONF_DIR"
    : >"$MM_MILTERS"
}

mm_milter() {
    _mm_name=$1
    _mm_spec=$2
    shift 2
    {
        printf 'define_milter("%s") do |milter|\n' "$_mm_name"
        printf '  milter.connection_spec = "%s"\n' "$_mm_spec"
        printf '  milter.connection_timeout = %s\n' "$MM_CHILD_TIMEOUT"
        printf '  milter.writing_timeout = %s\n' "$MM_CHILD_TIMEOUT"
        printf '  milter.reading_timeout = %s\n' "$MM_CHILD_TIMEOUT"
        printf '  milter.end_of_message_timeout = %s\n' "$MM_CHILD_TIMEOUT"
        for _mm_line in "$@"; do
            printf '  milter.%s\n' "$_mm_line"
        done
        printf 'end\n'
    } >>"$MM_MILTERS"
}

mm_write_conf() {
    {
        cat <<EOF
security.privilege_mode = false
log.use_syslog = false
log.path = "$MM_LOG"
log.level = "$MM_LOG_LEVEL"
manager.connection_spec = "$(mm_spec)"
manager.unix_socket_mode = 0666
manager.fallback_status = "temporary-failure"
EOF
        cat "$MM_MILTERS"
    } >"$MM_CONF_DIR/milter-manager.conf.new"
    mv "$MM_CONF_DIR/milter-manager.conf.new" "$MM_CONF_DIR/milter-manager.conf"
}

# The manager listens on $MM_SOCK, or on 127.0.0.1:$MM_PORT when set
# (Sendmail refuses a unix socket under a world-writable /tmp).
mm_spec() {
    if [ -n "${MM_PORT:-}" ]; then echo "inet:$MM_PORT@127.0.0.1"; else echo "unix:$MM_SOCK"; fi
}

# The one place that says how the manager process is started.
mm_start() {
    it_start mm "$MM" --config-dir "$MM_CONF_DIR"
    MM_PID=$IT_PID
    if [ -n "${MM_PORT:-}" ]; then
        it_wait_port "$MM_PORT" 20 "$MM_PID"
    else
        it_wait_unix "$MM_SOCK" 20 "$MM_PID"
    fi
}

mm_sink_start() {
    SINK=$IT_WORK/sink
    mkdir -p "$SINK"
    chmod 1777 "$SINK"
    SINK_PORT=$(it_free_port)
    it_start sink smtp-sink -u nobody -d "$SINK/%M." -c "127.0.0.1:$SINK_PORT" 200
    SINK_PID=$IT_PID
    it_wait_port "$SINK_PORT" 10 "$SINK_PID"
}

mm_postfix_start() {
    PF=$IT_WORK/postfix
    SMTPD_PORT=$(it_free_port)
    PF=$PF SMTPD_PORT=$SMTPD_PORT SINK_PORT=$SINK_PORT MILTER="unix:$MM_SOCK" \
        "$IT_DIR/client-setup-postfix.sh" >"$IT_WORK/pf-setup.log" 2>&1 || return 1
    it_start master /usr/lib/postfix/sbin/master -c "$PF/etc" -d
    PF_PID=$IT_PID
    it_wait_port "$SMTPD_PORT" 20 "$PF_PID"
}

mm_start_chain() {
    mm_start && mm_sink_start && mm_postfix_start
    tap_result $? "children, milter-manager, smtp-sink and Postfix listen" ||
        { tap_diag_file "$IT_WORK/mm.log"; tap_diag_file "$IT_WORK/pf-setup.log"; }
}

mm_pymilter_start() {
    it_start pymilter "$IT_PYTHON" "$IT_DIR/milters/pymilter-header.py" \
        "inet:$1@127.0.0.1" X-Pymilter added
    PYM_PID=$IT_PID
}

mm_load_start() {
    t0=$(date +%s.%N)
    "$IT_PYTHON" "$IT_DIR/smtp-load.py" "127.0.0.1:$SMTPD_PORT" "$1" 20 "$IT_WORK/load.out" &
    LOAD_PID=$!
}

mm_sink_n() {
    find "$SINK" -type f | wc -l
}

mm_sink_wait() {
    _mm_ticks=$((${2:-120} * 10))
    while [ "$(mm_sink_n)" -lt "$1" ] && [ $_mm_ticks -gt 0 ]; do
        sleep 0.1
        _mm_ticks=$((_mm_ticks - 1))
    done
    [ "$(mm_sink_n)" -ge "$1" ]
}

# Until the number of files in DIR has not changed for 2 s (SECS at most):
# used when the expected count is unknown (faults).
mm_wait_quiet() {
    _mm_ticks=$((${2:-120} * 10))
    _mm_last=-1
    _mm_same=0
    while [ $_mm_ticks -gt 0 ] && [ $_mm_same -lt 20 ]; do
        _mm_now=$(find "$1" -type f | wc -l)
        if [ "$_mm_now" = "$_mm_last" ]; then _mm_same=$((_mm_same + 1)); else _mm_same=0; fi
        _mm_last=$_mm_now
        sleep 0.1
        _mm_ticks=$((_mm_ticks - 1))
    done
}

mm_sink_count_with() {
    find "$SINK" -type f -exec grep -l -x -F "$1" {} + 2>/dev/null | wc -l
}

mm_opendkim_start() {
    DKIM_PORT=$(it_free_port)
    DKIM_PID=$(sh "$IT_DIR/milters/opendkim-start.sh" "$IT_WORK" "$DKIM_PORT") || return 1
    it_adopt_pid "$DKIM_PID"
    DKIM_KEY=$IT_WORK/opendkim/test.txt
    it_wait_port "$DKIM_PORT" 15 "$DKIM_PID"
}

mm_dkim_verify() {
    "$IT_PYTHON" "$IT_DIR/milters/dkim-verify.py" "$DKIM_KEY" "$@"
}

# Postfix queue state: messages still in its queue (none may be left).
mm_postfix_queued() {
    find "$PF/spool/incoming" "$PF/spool/active" "$PF/spool/deferred" \
        "$PF/spool/maildrop" -type f 2>/dev/null | wc -l
}

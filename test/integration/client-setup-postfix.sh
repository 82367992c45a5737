#!/bin/sh
# client-setup-postfix.sh - a private, throw-away Postfix instance for the
# client integration tests.
#
# SYNOPSIS
#   PF=DIR SMTPD_PORT=N SINK_PORT=N MILTER=SPEC client-setup-postfix.sh
#
# DESCRIPTION
#   Writes DIR/etc/main.cf and DIR/etc/master.cf for a Postfix that listens
#   with smtpd on 127.0.0.1:SMTPD_PORT, passes every message through the
#   milter at MILTER (Postfix syntax: inet:HOST:PORT or unix:PATH), and
#   relays everything to 127.0.0.1:SINK_PORT (an smtp-sink). Queue and data
#   directories are under DIR; nothing system-wide is touched. A milter
#   failure makes Postfix answer 4xx (milter_default_action = tempfail), so
#   a broken milter cannot pass the tests by accident. Start the instance
#   with "/usr/lib/postfix/sbin/master -c DIR/etc -d" (as root).
#
# DIAGNOSTICS
#   Exits non-zero when a variable is missing or "postfix check" fails.
set -eu
: "${PF:?}" "${SMTPD_PORT:?}" "${SINK_PORT:?}" "${MILTER:?}"
mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
chown root:root "$PF" "$PF/etc" "$PF/spool"
chown postfix:postfix "$PF/data"
cat >"$PF/etc/main.cf" <<MAIN
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.client-test.invalid
mydomain = client-test.invalid
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$SINK_PORT
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtputf8_enable = no
biff = no
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
default_process_limit = 50
smtpd_milters = $MILTER
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = 60s
MAIN
cat >"$PF/etc/master.cf" <<MASTER
127.0.0.1:$SMTPD_PORT inet n - n - 20 smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
MASTER
# postfix(1) logs to syslog unless standard error is a terminal.
script -qec "postfix -c $PF/etc set-permissions" /dev/null >/dev/null
script -qec "postfix -c $PF/etc check" /dev/null

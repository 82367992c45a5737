#!/usr/bin/env bash
# (The project recipe ../shared/recipes/setup_sendmail.sh, kept here so the
# test suite does not depend on it; SENDMAIL_CACHE defaults under /var/tmp so
# the download is done once per machine.)
# manager-setup-sendmail.sh WORKDIR SMTP_PORT FILTER_SPEC [FILTER_SPEC...]
# Starts a private Sendmail 8.17 (Debian's sendmail-bin, which conflicts with postfix,
# so it is downloaded and unpacked, not installed) as `sendmail -bD` on 127.0.0.1:SMTP_PORT,
# with one INPUT_MAIL_FILTER per FILTER_SPEC (e.g. inet:10025@127.0.0.1 or unix:/path),
# applied in the given order. Messages are queued, not delivered: WORKDIR/queue/qf* hold
# the headers as the milters left them. Prints the daemon's PID on stdout; stop it with
# kill PID (stop its SMTP children by --ppid first). Run as root.
# Pitfalls handled here: the binary is copied without its setgid bit (else LD_LIBRARY_PATH
# is ignored); a private mount namespace binds WORKDIR/resolv.conf and WORKDIR/hosts
# (else Sendmail waits 60 s to qualify its own host name without DNS).
set -eu
work=${1:?usage: setup_sendmail.sh WORKDIR SMTP_PORT FILTER_SPEC...}; port=${2:?}; shift 2
[ $# -ge 1 ] || { echo "setup_sendmail.sh: give at least one filter spec" >&2; exit 2; }
cache=${SENDMAIL_CACHE:-/var/tmp/milter-manager-sendmail}
if [ ! -x "$cache/root/usr/libexec/sendmail/sendmail" ]; then
  rm -rf "$cache"; mkdir -p "$cache/debs" "$cache/root"
  command -v m4 >/dev/null || apt-get install -y -qq m4 >/dev/null
  (cd "$cache/debs" && apt-get download sendmail-bin sendmail-base sendmail-cf libwrap0) >/dev/null
  for d in "$cache"/debs/*.deb; do dpkg -x "$d" "$cache/root"; done
fi
mkdir -p "$work/queue" "$work/bin"; chmod 755 "$work"; chmod 700 "$work/queue"
install -m 0755 "$cache/root/usr/libexec/sendmail/sendmail" "$work/bin/sendmail"
libs=$cache/root/usr/lib/x86_64-linux-gnu:$cache/root/lib/x86_64-linux-gnu
cf=$cache/root/usr/share/sendmail/cf
printf 'hosts files\naliases files\n' > "$work/service.switch"
printf '127.0.0.1 localhost\n127.0.0.1 mx.sendmail.test %s\n::1 localhost\n' "$(uname -n)" > "$work/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$work/resolv.conf"
filters=""; i=0
for spec in "$@"; do
  i=$((i+1))
  filters="${filters}INPUT_MAIL_FILTER(\`f$i', \`S=$spec, F=T, T=C:10s;S:30s;R:30s;E:5m')dnl
"
done
cat > "$work/sendmail.mc" <<MC
divert(-1)
divert(0)dnl
include(\`$cf/m4/cf.m4')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.sendmail.test')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confSERVICE_SWITCH_FILE', \`$work/service.switch')dnl
define(\`confHOSTS_FILE', \`$work/hosts')dnl
define(\`QUEUE_DIR', \`$work/queue')dnl
define(\`confPID_FILE', \`$work/sendmail.pid')dnl
define(\`STATUS_FILE', \`$work/statistics')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confCW_FILE', \`')dnl
define(\`confDELIVERY_MODE', \`queueonly')dnl
define(\`confDONT_BLAME_SENDMAIL', \`GroupWritableDirPathSafe,ForwardFileInUnsafeDirPath')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confMILTER_LOG_LEVEL', \`14')dnl
define(\`confMILTER_MACROS_ENVFROM', \`i, {auth_type}, {auth_authen}, {mail_addr}')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA')dnl
${filters}MAILER(\`local')dnl
MAILER(\`smtp')dnl
MC
m4 "$work/sendmail.mc" > "$work/sendmail.cf"
LD_LIBRARY_PATH=$libs unshare -m /bin/bash -c \
  "mount --bind '$work/resolv.conf' /etc/resolv.conf && mount --bind '$work/hosts' /etc/hosts && exec '$work/bin/sendmail' -bD -C '$work/sendmail.cf' -L sm-test" \
  > "$work/sendmail.out" 2>&1 &
echo $!

#!/bin/sh
# opendkim-start.sh - start a private OpenDKIM signer on loopback for tests
#
# SYNOPSIS
#   sh opendkim-start.sh WORKDIR PORT        (prints the opendkim PID on stdout)
#
# DESCRIPTION
#   Generates an RSA key with opendkim-genkey (domain example.test, selector
#   test) into WORKDIR/opendkim/, writes WORKDIR/opendkim/opendkim.conf and
#   starts `opendkim -f` in the background, listening on
#   inet:PORT@127.0.0.1, logging (stdout/stderr) to WORKDIR/opendkim.log.
#   The caller stops it by the printed PID (libmilter-based: up to ~5 s after
#   SIGTERM); it is not the caller's child, so `wait` cannot reap it.
#
#   Signing needs no DNS. A message is signed when its From: header domain is
#   example.test and the client address given at connect is internal:
#   InternalHosts is 127.0.0.0/8 and 192.0.2.0/24 (TEST-NET-1, which
#   miltertest scripts and milter-probe.py use). The header is inserted at
#   the top (insert-header 'i', index 0) as
#     DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=example.test; s=test; ...
#   The configuration is handed over on stdin (-x /dev/stdin) because
#   opendkim refuses a configuration file whose path it considers unsafe,
#   which includes anything under /tmp; RequireSafeKeys no lets it read the
#   key from there.
#
# DIAGNOSTICS
#   Exits 1 with a message on stderr if the key cannot be generated or
#   opendkim dies at once (its log is shown); 2 on usage errors.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 WORKDIR PORT" >&2
    exit 2
fi
work=$1
port=$2
dir=$work/opendkim
mkdir -p "$dir" || exit 1

if ! opendkim-genkey -D "$dir" -d example.test -s test >"$dir/genkey.log" 2>&1; then
    echo "opendkim-start.sh: opendkim-genkey failed:" >&2
    cat "$dir/genkey.log" >&2
    exit 1
fi

cat >"$dir/opendkim.conf" <<EOF
Mode                s
Domain              example.test
Selector            test
KeyFile             $dir/test.private
Socket              inet:$port@127.0.0.1
RequireSafeKeys     no
InternalHosts       127.0.0.0/8,192.0.2.0/24
Canonicalization    relaxed/simple
SignatureAlgorithm  rsa-sha256
Syslog              no
Background          no
AutoRestart         no
UMask               022
EOF

opendkim -f -x /dev/stdin <"$dir/opendkim.conf" >"$work/opendkim.log" 2>&1 &
pid=$!
sleep 0.2
if ! kill -0 "$pid" 2>/dev/null; then
    echo "opendkim-start.sh: opendkim exited at once:" >&2
    cat "$work/opendkim.log" >&2
    exit 1
fi
echo "$pid"

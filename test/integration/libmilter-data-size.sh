#!/bin/sh
# libmilter-data-size.sh - larger data packets (SMFIP_MDS_*) only for milters built for them
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-data-size.sh
#
# DESCRIPTION
#   test/integration/milters/libmilter-noop.c on our library, built twice:
#   as usual (SMFI_VERSION 0x01000001) and with -D_FFR_MDS_NEGOTIATE=1
#   (SMFI_VERSION_MDS). A raw MTA offers SMFIP_MDS_1M (and 256K): the MDS
#   build's negotiate reply asks for SMFIP_MDS_1M, the plain build's asks
#   for no data-size flag, as libmilter decides; the MDS build then takes
#   a body chunk of 300000 bytes (continue, and its body log counts the
#   bytes). Prints TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"
it_init
tap_plan 5
it_use_our_libmilter

cat >"$IT_WORK/mta.py" <<'PY'
import socket, struct, sys
port, offer_steps, chunk = int(sys.argv[1]), int(sys.argv[2], 0), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
def send(cmd, data=b""):
    s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)
def recv():
    head = b""
    while len(head) < 4:
        head += s.recv(4 - len(head))
    n = struct.unpack(">I", head)[0]
    data = b""
    while len(data) < n:
        data += s.recv(n - len(data))
    return data
send(b"O", struct.pack(">III", 6, 0x1FF, offer_steps))
reply = recv()
print("steps=0x%x" % struct.unpack(">III", reply[1:13])[2])
if chunk:
    for cmd, data in ((b"C", b"client.example\0" + b"4" + struct.pack(">H", 25) + b"192.0.2.1\0"),
                      (b"H", b"client.example\0"), (b"M", b"<a@example.test>\0"),
                      (b"R", b"<b@example.net>\0"), (b"T", b""),
                      (b"L", b"From\0a@example.test\0"), (b"N", b""),
                      (b"B", b"x" * chunk)):
        send(cmd, data)
        print("%s -> %s" % (cmd.decode(), recv()[:1].decode()))
    send(b"E")
    print("E -> %s" % recv()[:1].decode())
send(b"Q")
PY

for flavour in plain mds; do
    flags=
    [ $flavour = mds ] && flags=-D_FFR_MDS_NEGOTIATE=1
    CC="${CC:-cc} $flags" it_build_c_milter "$IT_DIR/milters/libmilter-noop.c" "$IT_WORK/noop-$flavour" \
        2>"$IT_WORK/cc-$flavour.log" || tap_diag_file "$IT_WORK/cc-$flavour.log"
done

port=$(it_free_port)
it_start plain "$IT_WORK/noop-plain" "inet:$port@127.0.0.1"
plain_pid=$IT_PID
it_wait_port "$port" 10 "$plain_pid"
"$IT_PYTHON" "$IT_WORK/mta.py" "$port" 0x301FFFFF 0 >"$IT_WORK/plain.out" 2>&1
tap_check "plain build: no data-size step asked for (steps=0x0)" grep -qx 'steps=0x0' "$IT_WORK/plain.out" ||
    tap_diag_file "$IT_WORK/plain.out"

port=$(it_free_port)
it_start mds env LIBMILTER_NOOP_BODY_LOG="$IT_WORK/body.log" "$IT_WORK/noop-mds" "inet:$port@127.0.0.1"
mds_pid=$IT_PID
it_wait_port "$port" 10 "$mds_pid"
"$IT_PYTHON" "$IT_WORK/mta.py" "$port" 0x301FFFFF 0 >"$IT_WORK/mds.out" 2>&1
tap_check "MDS build offered 1M and 256K: asks for SMFIP_MDS_1M (steps=0x20000000)" \
    grep -qx 'steps=0x20000000' "$IT_WORK/mds.out" || tap_diag_file "$IT_WORK/mds.out"
"$IT_PYTHON" "$IT_WORK/mta.py" "$port" 0x101FFFFF 0 >"$IT_WORK/mds256.out" 2>&1
tap_check "MDS build offered 256K: asks for SMFIP_MDS_256K (steps=0x10000000)" \
    grep -qx 'steps=0x10000000' "$IT_WORK/mds256.out" || tap_diag_file "$IT_WORK/mds256.out"
"$IT_PYTHON" "$IT_WORK/mta.py" "$port" 0x301FFFFF 300000 >"$IT_WORK/chunk.out" 2>&1
tap_check "a 300000-byte body chunk is taken (continue), end-of-message accepted" \
    sh -c "grep -qx 'B -> c' '$IT_WORK/chunk.out' && grep -qx 'E -> a' '$IT_WORK/chunk.out'" ||
    tap_diag_file "$IT_WORK/chunk.out"
it_stop "$mds_pid"
tap_check "the milter got the 300000 bytes in one chunk" grep -q '^300000 1 ' "$IT_WORK/body.log" ||
    tap_diag_file "$IT_WORK/body.log"
tap_done

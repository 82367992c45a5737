#!/usr/bin/python3
# raw-v2-milter.py - milter protocol version 2 peer written with the standard library only
#
# SYNOPSIS
#   /usr/bin/python3 raw-v2-milter.py inet:PORT@HOST | unix:/path
#
# DESCRIPTION
#   Speaks the wire protocol directly (socket, struct), to have a child that
#   negotiates like an old milter: the negotiate reply is always
#     version 2, actions 0x01 (ADDHDRS), steps 0
#   whatever the MTA offered. Every command that expects a reply (connect,
#   helo, envelope-from/-recipient, data, unknown, header, end-of-header,
#   body) gets continue; macro and abort get nothing; end-of-message gets
#     add-header "X-Version: 2", then accept
#   sent with one send() so that Nagle cannot delay the second packet. quit
#   closes the connection; quit-new-connection ('K') keeps it for the next
#   session. Connections are served one after the other (not concurrently),
#   as many as come.
#
#   Two environment variables make it misbehave for the tool's tests:
#   RAW_V2_CONNECT_REPLY_CODE=TEXT answers connect with that reply-code
#   text instead of continue; RAW_V2_HOLD_AFTER_QUIT=SECONDS keeps the
#   connection open that long after quit.
#
# DIAGNOSTICS
#   One line per command on stderr. A malformed packet or an unknown command
#   is logged and closes that connection only. Exits 0 on SIGTERM, 2 on a bad
#   connection spec.
import os
import signal
import socket
import struct
import sys
import time

REPLY_NEEDED = set(b"CHMRTULNB")
CONNECT_REPLY_CODE = os.environ.get("RAW_V2_CONNECT_REPLY_CODE")
HOLD_AFTER_QUIT = float(os.environ.get("RAW_V2_HOLD_AFTER_QUIT", "0"))


def log(*args):
    print("raw-v2-milter:", *args, file=sys.stderr, flush=True)


def listen(spec):
    kind, _, rest = spec.partition(":")
    if kind == "inet" and "@" in rest:
        port, _, host = rest.partition("@")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, int(port)))
    elif kind in ("unix", "local") and rest.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(rest)
    else:
        raise ValueError("connection spec must be inet:PORT@HOST or unix:/path: " + spec)
    sock.listen(64)
    return sock


def packet(command, data=b""):
    return struct.pack(">I", len(data) + 1) + command + data


def read_exact(conn, size):
    chunks = []
    while size > 0:
        chunk = conn.recv(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def serve(conn, number):
    while True:
        header = read_exact(conn, 5)
        if header is None:
            log("[%d] EOF" % number)
            return
        length, command = struct.unpack(">IB", header)
        if length < 1 or length > 1024 * 1024 + 1:
            log("[%d] bad packet length %d" % (number, length))
            return
        data = read_exact(conn, length - 1)
        if data is None:
            log("[%d] EOF inside a packet" % number)
            return
        name = chr(command)
        if name == "O":
            if len(data) < 12:
                log("[%d] short negotiate packet" % number)
                return
            version, actions, steps = struct.unpack(">III", data[:12])
            log("[%d] negotiate: MTA offers version %d actions 0x%x steps 0x%x" %
                (number, version, actions, steps))
            conn.sendall(packet(b"O", struct.pack(">III", 2, 0x01, 0)))
        elif name == "E":
            log("[%d] end-of-message" % number)
            conn.sendall(packet(b"h", b"X-Version\x002\x00") + packet(b"a"))
        elif name == "C" and CONNECT_REPLY_CODE is not None:
            log("[%d] C: reply code %s" % (number, CONNECT_REPLY_CODE))
            conn.sendall(packet(b"y", CONNECT_REPLY_CODE.encode() + b"\x00"))
        elif command in REPLY_NEEDED:
            log("[%d] %s (%d bytes)" % (number, name, len(data)))
            conn.sendall(packet(b"c"))
        elif name in ("D", "A", "K"):
            log("[%d] %s (no reply)" % (number, name))
        elif name == "Q":
            log("[%d] quit" % number)
            time.sleep(HOLD_AFTER_QUIT)
            return
        else:
            log("[%d] unknown command 0x%02x, closing" % (number, command))
            return


def main():
    if len(sys.argv) != 2:
        print("usage: raw-v2-milter.py CONNECTION-SPEC", file=sys.stderr)
        return 2
    try:
        server = listen(sys.argv[1])
    except (ValueError, OSError) as error:
        log(error)
        return 2
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    log("listening on", sys.argv[1])
    number = 0
    try:
        while True:
            conn, _ = server.accept()
            number += 1
            with conn:
                try:
                    serve(conn, number)
                except OSError as error:
                    log("[%d] %s" % (number, error))
    finally:
        log("stopped")
        server.close()
        if sys.argv[1].startswith(("unix:", "local:")):
            try:
                os.unlink(sys.argv[1].partition(":")[2])
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

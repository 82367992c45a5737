#!/usr/bin/python3
# burst-mta.py - an MTA side that writes a whole session before reading
#
# SYNOPSIS
#   /usr/bin/python3 burst-mta.py [--no-quit] inet:PORT@HOST | unix:/path
#
# DESCRIPTION
#   Writes negotiate (v6, every action, no step flags), connect, helo,
#   mail, rcpt, data, one header, end-of-header, one body chunk,
#   end-of-message and quit in one sendall(), and only afterwards reads
#   every reply until end of file. An MTA may do this
#   (nothing in the protocol makes it wait between end-of-message and
#   quit), and it is what exposes replies dropped when a milter closes
#   while its own output is still queued. With --no-quit it sends no quit
#   but half-closes instead: the session ends by end of input.
#
#   Prints one summary line per reply kind, in the order first seen,
#   "KIND COUNT BYTES" (BYTES: payload bytes, packet headers excluded),
#   then "final KIND" for the last packet and "end clean" if the stream
#   ended on a packet boundary ("end truncated N" otherwise).
#
# DIAGNOSTICS
#   Exit 0 when the stream ended cleanly, 1 otherwise (timeout: 30 s
#   without data), 2 on usage errors.
import socket
import struct
import sys


def packet(command, payload=b""):
    return struct.pack(">I", len(payload) + 1) + command + payload


def connect(spec):
    if spec.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(spec[len("unix:"):])
        return sock
    if spec.startswith("inet:") and "@" in spec:
        port, host = spec[len("inet:"):].split("@", 1)
        return socket.create_connection((host, int(port)))
    print("usage: burst-mta.py [--no-quit] inet:PORT@HOST | unix:/path",
          file=sys.stderr)
    sys.exit(2)


def session(quit):
    data = packet(b"O", struct.pack(">III", 6, 0x1ff, 0))
    data += packet(b"C", b"client.test\0" + b"4" + struct.pack(">H", 4567) +
                   b"192.0.2.1\0")
    data += packet(b"H", b"client.test\0")
    data += packet(b"M", b"<alice@example.test>\0")
    data += packet(b"R", b"<bob@example.net>\0")
    data += packet(b"T")
    data += packet(b"L", b"Subject\0burst\0")
    data += packet(b"N")
    data += packet(b"B", b"hello\r\n")
    data += packet(b"E")
    if quit:
        data += packet(b"Q")
    return data


def main(argv):
    args = argv[1:]
    quit = True
    if args and args[0] == "--no-quit":
        quit = False
        args = args[1:]
    if len(args) != 1:
        print("usage: burst-mta.py [--no-quit] SPEC", file=sys.stderr)
        return 2
    sock = connect(args[0])
    sock.sendall(session(quit))
    if not quit:
        sock.shutdown(socket.SHUT_WR)
    sock.settimeout(30)
    received = bytearray()
    try:
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            received += chunk
    except OSError as error:
        print("burst-mta: %s after %d bytes" % (error, len(received)),
              file=sys.stderr)
        return 1
    kinds, order, offset, last = {}, [], 0, None
    while offset + 4 <= len(received):
        (length,) = struct.unpack(">I", received[offset:offset + 4])
        if length == 0 or offset + 4 + length > len(received):
            break
        kind = chr(received[offset + 4])
        if kind not in kinds:
            kinds[kind] = [0, 0]
            order.append(kind)
        kinds[kind][0] += 1
        kinds[kind][1] += length - 1
        last = kind
        offset += 4 + length
    for kind in order:
        print("%s %d %d" % (kind, kinds[kind][0], kinds[kind][1]))
    print("final %s" % last)
    if offset == len(received):
        print("end clean")
        return 0
    print("end truncated %d" % (len(received) - offset))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

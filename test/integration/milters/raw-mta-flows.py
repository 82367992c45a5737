#!/usr/bin/python3
"""raw-mta-flows - an MTA side that ends sessions in the ways libmilter must handle

SYNOPSIS
    /usr/bin/python3 raw-mta-flows.py PORT FLOW

DESCRIPTION
    Speaks the milter protocol to 127.0.0.1:PORT, reading a reply after
    each command that has one (the milter must ask for no no-reply step),
    and ends the session by FLOW:
      eof        negotiate, connect, helo, mail, rcpt, then close the
                 socket in the middle of the message
      abort      ... rcpt, abort, a second message (mail, rcpt), quit
      old        negotiate with protocol version 1 (refused), then wait
                 for the milter to close
    Prints one line per reply ("C -> c"), progress replies skipped. Written for this project's
    tests (test/integration/libmilter-api.sh).

DIAGNOSTICS
    Exits 1 when the milter closes before a reply.
"""
import socket
import struct
import sys


def main():
    port, flow = int(sys.argv[1]), sys.argv[2]
    s = socket.create_connection(("127.0.0.1", port))

    def send(cmd, data=b""):
        s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def recv():
        # Progress replies ('p') come before the reply they announce.
        while True:
            reply = recv_packet()
            if reply is None or reply[:1] != b"p":
                return reply

    def recv_packet():
        data = b""
        while len(data) < 4:
            more = s.recv(4 - len(data))
            if not more:
                return None
            data += more
        n = struct.unpack(">I", data)[0]
        body = b""
        while len(body) < n:
            more = s.recv(n - len(body))
            if not more:
                return None
            body += more
        return body

    def ask(cmd, data=b""):
        send(cmd, data)
        reply = recv()
        if reply is None:
            print("%s -> closed" % cmd.decode())
            sys.exit(1)
        print("%s -> %s" % (cmd.decode(), reply[:1].decode()))

    connect = b"client.example\0" + b"4" + struct.pack(">H", 4321) + b"192.0.2.7\0"
    version = 1 if flow == "old" else 6
    send(b"O", struct.pack(">III", version, 0x1FF, 0x1FFFFF))
    if flow == "old":
        print("O -> %s" % ("closed" if recv() is None else "reply"))
        return
    recv()
    ask(b"C", connect)
    ask(b"H", b"client.example\0")
    ask(b"M", b"<alice@example.test>\0")
    ask(b"R", b"<bob@example.net>\0")
    if flow == "eof":
        s.close()
        return
    send(b"A")
    ask(b"M", b"<carol@example.test>\0")
    ask(b"R", b"<dave@example.net>\0")
    send(b"Q")


if __name__ == "__main__":
    main()

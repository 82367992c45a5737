#!/usr/bin/python3
"""fake-spamd - a stand-in for spamd that calls every message spam

SYNOPSIS
    /usr/bin/python3 fake-spamd.py PORT

DESCRIPTION
    Listens on 127.0.0.1:PORT and answers spamc's PROCESS request (what
    spamass-milter runs) as spamd does for a spam: "SPAMD/1.1 0 EX_OK",
    "Spam: True ; 20.0 / 5.0" and the message with "X-Spam-Flag: YES" and
    "X-Spam-Status: Yes, score=20.0 required=5.0" put before its headers,
    body unchanged. Only so that spamass-milter's header changes can be
    tested without SpamAssassin's rules (spamd is not installed here).
    Written for this project's tests.

DIAGNOSTICS
    One "request ..." line per request on stderr.
"""
import socket
import sys
import threading


def handle(conn):
    stream = conn.makefile("rb")
    request = stream.readline()
    length = 0
    while True:
        line = stream.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    message = stream.read(length)
    eol = b"\r\n" if b"\r\n" in message else b"\n"
    added = (b"X-Spam-Flag: YES" + eol +
             b"X-Spam-Status: Yes, score=20.0 required=5.0" + eol)
    out = added + message
    sys.stderr.write("request %r\n" % request)
    sys.stderr.flush()
    conn.sendall(b"SPAMD/1.1 0 EX_OK\r\nContent-length: %d\r\n"
                 b"Spam: True ; 20.0 / 5.0\r\n\r\n" % len(out) + out)
    conn.close()


def main():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", int(sys.argv[1])))
    server.listen(16)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()

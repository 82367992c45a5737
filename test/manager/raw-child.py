#!/usr/bin/python3
# raw-child.py - a child milter that misbehaves on purpose, for the scenarios
#
# SYNOPSIS
#   python3 raw-child.py -s unix:PATH [--version N] [--actions N] [--steps N]
#       [--receive-buffer BYTES] [--at EVENT=ACTION[;ACTION...]]...
#   python3 raw-child.py -s inet:PORT@127.0.0.1 --full-backlog
#
# DESCRIPTION
#   milter-test-client (on the client library) cannot break the protocol:
#   its library refuses a reply code whose class does not match, a reply
#   that is wrong for the state, or a negotiation above version 6. This
#   child speaks the wire format itself (standard library only), so a
#   scenario can script exactly the bytes a broken milter sends.
#
#   Events: negotiate connect helo envelope-from envelope-recipient data
#   unknown header end-of-header body end-of-message abort quit
#   quit-new-connection. Each received command prints one line: its event
#   name, "header: <NAME: VALUE>" and "body: <N bytes>" with details,
#   "macro: STAGE" for a macro packet; "finished" when the connection ends.
#   By default negotiate is answered with --version (6), --actions (0x1ff)
#   and --steps (0); every other event but abort, macro and quit gets 'c'.
#   --at replaces that answer with ACTIONs, in order:
#     C:TEXT   a packet of command byte C and data TEXT + NUL
#              (e.g. "y:554 3.7.1 bad", "h:X-A\0v"; "\0" is a NUL)
#     C        a packet of command byte C and no data (e.g. "c", "f", "4")
#     silent   no answer
#     garbage  an undecodable packet (length 0)
#     close    close the connection at once (a crash)
#     stall    stop reading and answering, keep the connection open (with
#              --receive-buffer BYTES small, the manager's writes block)
#     exit     exit the process at once
#   The Nth --at for the same event counts from the first time, so
#   "--at body=c --at body=close" answers the first chunk and dies at the
#   second.
#
#   --full-backlog listens on TCP with a backlog of 0 and fills the accept
#   queue with its own connections, never accepting: the kernel then drops
#   further SYNs, so a connect neither completes nor fails (a connection
#   timeout). It prints "listening" once the queue is full.
#
# DIAGNOSTICS
#   Exit 0 on SIGTERM; 2 on a usage error.
import argparse
import os
import signal
import socket
import struct
import sys

EVENTS = {
    b"O": "negotiate", b"C": "connect", b"H": "helo", b"M": "envelope-from",
    b"R": "envelope-recipient", b"T": "data", b"U": "unknown",
    b"L": "header", b"N": "end-of-header", b"B": "body",
    b"E": "end-of-message", b"A": "abort", b"Q": "quit",
    b"K": "quit-new-connection", b"D": "macro",
}
SILENT_BY_DEFAULT = {"abort", "macro", "quit", "quit-new-connection"}


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def packet(command, data=b""):
    return struct.pack("!I", len(data) + 1) + command + data


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def describe(event, data):
    if event == "header":
        parts = data.rstrip(b"\0").split(b"\0")
        value = parts[1] if len(parts) > 1 else b""
        return "header: <%s: %s>" % (parts[0].decode(errors="replace"),
                                     value.decode(errors="replace"))
    if event == "body":
        return "body: <%d bytes>" % len(data)
    if event == "macro":
        return "macro: %s" % EVENTS.get(data[:1], "?")
    return event


def perform(conn, actions, event, options):
    """Sends the answer; returns False when the connection must end."""
    if actions is None:
        if event == "negotiate":
            conn.sendall(packet(b"O", struct.pack("!III", options.version,
                                                  options.actions,
                                                  options.steps)))
        elif event in ("quit", "quit-new-connection"):
            return event != "quit"
        elif event not in SILENT_BY_DEFAULT:
            conn.sendall(packet(b"c"))
        return True
    for action in actions.split(";"):
        if action == "silent":
            continue
        if action == "garbage":
            conn.sendall(struct.pack("!I", 0))
        elif action == "close":
            return False
        elif action == "stall":
            while True:
                signal.pause()
        elif action == "exit":
            os._exit(0)
        elif len(action) >= 2 and action[1] == ":":
            text = action[2:].replace("\\0", "\0").encode()
            conn.sendall(packet(action[0].encode(), text + b"\0"))
        else:
            conn.sendall(packet(action[0].encode()))
    return True


def serve(conn, options):
    seen = {}
    try:
        while True:
            head = read_exact(conn, 4)
            if head is None:
                break
            (length,) = struct.unpack("!I", head)
            body = read_exact(conn, length) if length else b""
            if not body:
                break
            event = EVENTS.get(body[:1], "command-" + body[:1].decode(errors="replace"))
            say(describe(event, body[1:]))
            n = seen.get(event, 0)
            seen[event] = n + 1
            scripted = options.at.get(event, [])
            actions = scripted[min(n, len(scripted) - 1)] if scripted else None
            if not perform(conn, actions, event, options):
                break
    except OSError:
        pass
    conn.close()
    say("finished")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-s", "--connection-spec", required=True)
    parser.add_argument("--version", type=int, default=6)
    parser.add_argument("--actions", type=lambda t: int(t, 0), default=0x1FF)
    parser.add_argument("--steps", type=lambda t: int(t, 0), default=0)
    parser.add_argument("--at", action="append", default=[])
    parser.add_argument("--receive-buffer", type=int, default=0)
    parser.add_argument("--full-backlog", action="store_true")
    options = parser.parse_args()
    at = {}
    for item in options.at:
        event, _, actions = item.partition("=")
        at.setdefault(event, []).append(actions)
    options.at = at
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if options.full_backlog:
        port, _, host = options.connection_spec[len("inet:"):].partition("@")
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind((host, int(port)))
        server.listen(0)
        fillers = []
        for _ in range(2):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex((host, int(port)))
            fillers.append(filler)
        say("listening")
        while True:
            signal.pause()
    if not options.connection_spec.startswith("unix:"):
        parser.error("only unix:PATH is supported")
    path = options.connection_spec[len("unix:"):]
    if os.path.exists(path):
        os.unlink(path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if options.receive_buffer:
        # Inherited by the accepted connection.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, options.receive_buffer)
    server.bind(path)
    server.listen(16)
    while True:
        conn, _ = server.accept()
        serve(conn, options)


if __name__ == "__main__":
    main()

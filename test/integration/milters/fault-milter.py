#!/usr/bin/python3
# fault-milter.py - a child milter with a random fault per session
#
# SYNOPSIS
#   /usr/bin/python3 fault-milter.py inet:PORT@127.0.0.1 SEED LOG [FAULT...]
#
# DESCRIPTION
#   Speaks the milter wire protocol itself (standard library only), one
#   thread per connection, protocol version 6, actions ADDHDRS, every step
#   on, every reply expected. Each connection (session) draws, from a
#   random.Random seeded with SEED and the session's number, one FAULT
#   (default: all of them, "ok" weighted so half the sessions are ok) and
#   one stage among envelope-from, envelope-recipient, header, body and
#   end-of-message where it strikes:
#     ok         answers continue everywhere and at end-of-message adds
#                "X-Fault: ok" and accepts
#     crash      closes the connection at the stage, owing the reply
#     hang       never answers the stage (the manager's timeout must act)
#     garbage    answers the stage with an undecodable packet (length 0)
#     wrong      answers with a reply invalid for the state (an add-header
#                before end-of-message, a negotiate reply after it)
#     double     answers continue twice at envelope-from, then behaves ok
#                (the header is still added)
#     multiline  rejects the recipient with a multi-line 550 reply
#                ("550-5.7.1 fault line one" / "550 5.7.1 fault line two")
#   Whatever happens, LOG gets one line per session once its Message-Id
#   header was seen or the session ended: "SESSION FAULT STAGE MESSAGE-ID
#   HEADER-SENT" (HEADER-SENT 1 when X-Fault was sent at end-of-message,
#   with the accept), so a test can tell for each delivered message
#   whether this child failed in its session.
#
# DIAGNOSTICS
#   Exit 0 on SIGTERM; 2 on usage errors.
import random
import signal
import socket
import struct
import sys
import threading

STAGES = {b"M": "envelope-from", b"R": "envelope-recipient", b"L": "header",
          b"B": "body", b"E": "end-of-message"}
FAULTS = ["crash", "hang", "garbage", "wrong", "double", "multiline"]
lock = threading.Lock()


def packet(command, data=b""):
    return struct.pack("!I", len(data) + 1) + command + data


def read_packet(conn):
    head = b""
    while len(head) < 4:
        chunk = conn.recv(4 - len(head))
        if not chunk:
            return None, None
        head += chunk
    (n,) = struct.unpack("!I", head)
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None, None
        data += chunk
    return data[:1], data[1:]


def choose(seed, number, faults):
    rng = random.Random("%s-%d" % (seed, number))
    fault = rng.choice(["ok"] * len(faults) + faults)
    stage = rng.choice(list(STAGES.values()))
    if fault == "double":
        stage = "envelope-from"
    if fault == "multiline":
        stage = "envelope-recipient"
    return fault, stage


def serve(conn, number, seed, faults, log):
    fault, stage = choose(seed, number, faults)
    message_id = "-"
    header_sent = 0
    logged = False

    def record():
        with lock:
            log.write("%d %s %s %s %d\n" % (number, fault, stage, message_id, header_sent))
            log.flush()

    try:
        while True:
            command, data = read_packet(conn)
            if command is None:
                break
            if command == b"O":
                conn.sendall(packet(b"O", struct.pack("!III", 6, 0x01, 0)))
                continue
            if command in (b"D", b"A"):
                continue
            if command in (b"Q", b"K"):
                break
            name = STAGES.get(command)
            if command == b"L":
                field, _, value = data.partition(b"\0")
                if field.lower() == b"message-id":
                    message_id = value.rstrip(b"\0").decode(errors="replace").strip()
            if name == stage and fault != "ok":
                if fault == "crash":
                    break
                if fault == "hang":
                    # Keep reading (and ignoring) until the manager gives up.
                    while read_packet(conn)[0] is not None:
                        pass
                    break
                if fault == "garbage":
                    conn.sendall(struct.pack("!I", 0))
                    continue
                if fault == "wrong":
                    if command == b"E":
                        conn.sendall(packet(b"O", struct.pack("!III", 6, 1, 0)))
                    else:
                        conn.sendall(packet(b"h", b"X-Fault\0wrong\0"))
                    continue
                if fault == "double":
                    conn.sendall(packet(b"c") + packet(b"c"))
                    continue
                if fault == "multiline":
                    conn.sendall(packet(b"y", b"550-5.7.1 fault line one\r\n"
                                              b"550 5.7.1 fault line two\0"))
                    continue
            if command == b"E":
                conn.sendall(packet(b"h", b"X-Fault\0ok\0") + packet(b"a"))
                header_sent = 1
                record()
                logged = True
                continue
            conn.sendall(packet(b"c"))
    except OSError:
        pass
    finally:
        if not logged:
            record()
        conn.close()


def main():
    if len(sys.argv) < 4 or not sys.argv[1].startswith("inet:"):
        print("usage: fault-milter.py inet:PORT@HOST SEED LOG [FAULT...]", file=sys.stderr)
        sys.exit(2)
    port, _, host = sys.argv[1][5:].partition("@")
    seed = sys.argv[2]
    log = open(sys.argv[3], "a")
    faults = sys.argv[4:] or FAULTS
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((host or "127.0.0.1", int(port)))
    server.listen(128)
    number = 0
    while True:
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        number += 1
        threading.Thread(target=serve, args=(conn, number, seed, faults, log),
                         daemon=True).start()


if __name__ == "__main__":
    main()

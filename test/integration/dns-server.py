#!/usr/bin/python3
# dns-server.py - a name server of our own for the DNSBL tests
#
# SYNOPSIS
#   python3 dns-server.py NAME=ANSWER...
#
# DESCRIPTION
#   Listens on UDP 127.0.0.1 on a free port and prints "listening PORT".
#   A query (type A) for NAME gets ANSWER: comma-separated IPv4
#   addresses, "silent" (no answer at all) or "nx" (NXDOMAIN, also for
#   every name not given). Each query received is printed as
#   "query NAME". Standard library only.
#
# DIAGNOSTICS
#   Exit 0 on SIGTERM; 2 on a usage error.
import signal
import socket
import struct
import sys


def question_name(packet):
    labels, at = [], 12
    while at < len(packet) and packet[at] != 0:
        length = packet[at]
        labels.append(packet[at + 1:at + 1 + length].decode("ascii", "replace"))
        at += 1 + length
    return ".".join(labels), at + 1 + 4


def main():
    answers = {}
    for argument in sys.argv[1:]:
        name, separator, answer = argument.partition("=")
        if not separator:
            sys.stderr.write("usage: dns-server.py NAME=ANSWER...\n")
            sys.exit(2)
        answers[name.lower()] = answer
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    print("listening %d" % server.getsockname()[1], flush=True)
    while True:
        packet, client = server.recvfrom(512)
        if len(packet) < 12:
            continue
        name, end = question_name(packet)
        print("query %s" % name, flush=True)
        answer = answers.get(name.lower(), "nx")
        if answer == "silent":
            continue
        addresses = [] if answer == "nx" else answer.split(",")
        flags = 0x8183 if answer == "nx" else 0x8180
        reply = packet[:2] + struct.pack("!HHHHH", flags, 1, len(addresses), 0, 0) + packet[12:end]
        for address in addresses:
            reply += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(address)
        server.sendto(reply, client)


if __name__ == "__main__":
    main()

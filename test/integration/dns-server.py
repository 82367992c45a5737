#!/usr/bin/python3
# dns-server.py - a name server of our own for the DNSBL and DMARC tests
#
# SYNOPSIS
#   python3 dns-server.py [--port PORT] NAME=ANSWER...
#
# DESCRIPTION
#   Listens on UDP 127.0.0.1 on PORT (default: a free port) and prints
#   "listening PORT". A query (type A) for NAME gets ANSWER: comma-separated
#   IPv4 addresses, "silent" (no answer at all) or "nx" (NXDOMAIN, also for
#   every name not given). ANSWER "txt:TEXT" answers a TXT query with TEXT
#   (at most 255 bytes) and any other type with no record. Each query
#   received is printed as "query NAME". Standard library only.
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


def txt_reply(packet, end, text):
    """The reply to the query PACKET (question ending at END): one TXT
    record holding TEXT if the query asks for TXT, no record otherwise."""
    asks_txt = packet[end - 4:end - 2] == struct.pack("!H", 16)
    reply = packet[:2] + struct.pack("!HHHHH", 0x8180, 1, int(asks_txt), 0, 0) + packet[12:end]
    if asks_txt:
        reply += struct.pack("!HHHIHB", 0xC00C, 16, 1, 60, len(text) + 1, len(text)) + text
    return reply


def main():
    answers = {}
    arguments = sys.argv[1:]
    port = 0
    if arguments[:1] == ["--port"] and len(arguments) > 1 and arguments[1].isdigit():
        port = int(arguments[1])
        arguments = arguments[2:]
    for argument in arguments:
        name, separator, answer = argument.partition("=")
        if not separator:
            sys.stderr.write("usage: dns-server.py [--port PORT] NAME=ANSWER...\n")
            sys.exit(2)
        answers[name.lower()] = answer
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", port))
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
        if answer.startswith("txt:"):
            server.sendto(txt_reply(packet, end, answer[4:].encode()), client)
            continue
        addresses = [] if answer == "nx" else answer.split(",")
        flags = 0x8183 if answer == "nx" else 0x8180
        reply = packet[:2] + struct.pack("!HHHHH", flags, 1, len(addresses), 0, 0) + packet[12:end]
        for address in addresses:
            reply += struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(address)
        server.sendto(reply, client)


if __name__ == "__main__":
    main()

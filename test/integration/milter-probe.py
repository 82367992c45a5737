#!/usr/bin/python3
# milter-probe.py - minimal MTA side of the milter protocol that prints every reply
#
# SYNOPSIS
#   /usr/bin/python3 milter-probe.py [-f FROM] [-r RCPT]... [-H 'Name:value']...
#       [-b BODY] [--version N] [--actions N] [--steps N] [--messages N]
#       [--connections N] [--after-quit SECONDS] [--abort-at STEP]
#       [--quit-new-connection] [--skip-data] [--rejected-rcpt ADDR]...
#       [--big-header NAME:SIZE]... [--ignore-accept] inet:PORT@HOST | unix:/path
#
# DESCRIPTION
#   Standard library only. Why it exists next to miltertest: miltertest reads
#   the 5-byte packet header with a single read(2) and fails ("read(3):
#   returned 4, expected 5") when a milter writes the length and the command
#   separately, as Sendmail::PMilter does; and miltertest cannot show the text
#   of a reply-code packet sent before end-of-message. This client reads with
#   full-length loops and prints one line per reply packet, in a stable form
#   meant for exact comparison:
#     negotiate -> O version=2 actions=0x1 steps=0x0
#     rcpt <reject@example.net> -> y 550 5.7.1 rejected by pymilter-modify
#     eom -> h X-Name: value | i IDX X-Name: value | m IDX Name: value
#            + <rcpt> | 2 <rcpt> ARGS | - <rcpt> | e <from> [ARGS]
#            b 'python repr of the bytes' | q reason | y text | a | c | ...
#     after-quit -> c           (only with --after-quit, if the milter sends one)
#   Header values go with one leading space when the milter negotiated
#   SMFIP_HDR_LEADSPC, as Sendmail sends them then.
#   Steps the milter switched off in negotiation (SMFIP_NO*) are not sent;
#   for no-reply steps (SMFIP_NR_*) no reply is awaited. The transaction is:
#   connect (client.test, 192.0.2.1:4567), helo client.test, mail FROM,
#   each rcpt, data (both versions >= 4), headers, end-of-header, body, end-of-message.
#   Macros: j, {daemon_name} at connect; i=PROBE<n> at mail, data and eom.
#   --messages N repeats the message part on one connection (after the first
#   message, the next starts at mail); --connections N repeats everything on
#   new connections, one after the other. A message ends early when a reply
#   ends it (accept, reject, discard, tempfail, reply-code outside rcpt).
#   --abort-at STEP (mail, rcpt, data, header, eoh, body) sends abort right
#   after that step of each connection's first message (printed "abort");
#   the next message, if any, runs in full. --quit-new-connection keeps one
#   socket for all --connections: between them it sends quit-new-connection
#   ('K', printed "quit-new-connection") and starts again at connect.
#   --rejected-rcpt ADDR (repeatable) sends ADDR after the -r recipients as
#   a recipient the MTA rejected, if SMFIP_RCPT_REJ was negotiated.
#   --big-header NAME:SIZE (repeatable) adds a header of SIZE bytes of "x"
#   after the -H ones (too big for the command line).
#   --ignore-accept goes on after an accept before end-of-message as if it
#   were continue (a careless MTA, to reach a manager's no-milter-left path).
#   --skip-data never sends DATA, as an MTA does that negotiates version 4
#   or later but predates the DATA command.
#
# DIAGNOSTICS
#   Exit 0 when every transaction ran to quit, 1 on a protocol error, EOF or
#   timeout (10 s per reply), with a message on stderr; 2 on usage errors.
import argparse
import select
import socket
import struct
import sys

NOCONNECT, NOHELO, NOMAIL, NORCPT, NOBODY, NOHDRS, NOEOH = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40
NR_HDR, NODATA, RCPT_REJ, LEADSPC = 0x80, 0x200, 0x800, 0x100000
NR_CONN, NR_HELO, NR_MAIL, NR_RCPT, NR_DATA, NR_EOH, NR_BODY = (
    0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x40000, 0x80000)
# Reply bytes that come before the final reply of a step (progress included).
MODIFICATIONS = set(b"him+2-ebqp")
MESSAGE_ENDERS = set(b"ardty4f")


class ProbeError(Exception):
    pass


def split_nul(data):
    return data.rstrip(b"\0").split(b"\0")


def text(data):
    return data.decode("utf-8", "backslashreplace")


def describe(command, data):
    """One stable line for a reply packet."""
    c = chr(command)
    if c == "O":
        version, actions, steps = struct.unpack(">III", data[:12])
        line = "O version=%d actions=0x%x steps=0x%x" % (version, actions, steps)
        if len(data) > 12:
            line += " macros=" + repr(data[12:])
        return line
    if c in "h":
        name, value = (split_nul(data) + [b""])[:2]
        return "h %s: %s" % (text(name), text(value))
    if c in "im":
        index = struct.unpack(">I", data[:4])[0]
        name, value = (split_nul(data[4:]) + [b""])[:2]
        return "%s %d %s: %s" % (c, index, text(name), text(value))
    if c in "+-eq2y":
        return (c + " " + " ".join(text(p) for p in split_nul(data))).rstrip()
    if c == "b":
        return "b " + repr(data)
    return c if not data else c + " " + repr(data)


class Session:
    def __init__(self, spec, timeout):
        kind, _, rest = spec.partition(":")
        if kind == "inet" and "@" in rest:
            port, _, host = rest.partition("@")
            self.sock = socket.create_connection((host, int(port)), timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        elif kind in ("unix", "local"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(rest)
        else:
            raise ProbeError("bad connection spec " + spec)
        self.version = 0
        self.steps = 0
        self.ignore_accept = False

    def send(self, command, data=b""):
        self.sock.sendall(struct.pack(">I", len(data) + 1) + command.encode() + data)

    def read_exact(self, size):
        chunks = []
        while size > 0:
            try:
                chunk = self.sock.recv(size)
            except socket.timeout:
                raise ProbeError("timeout waiting for a reply")
            if not chunk:
                raise ProbeError("EOF from the milter")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def read_packet(self):
        length, command = struct.unpack(">IB", self.read_exact(5))
        if length < 1:
            raise ProbeError("bad packet length 0")
        return command, self.read_exact(length - 1)

    def step(self, label, command, data, off_flag, nr_flag):
        """Sends one step unless switched off; returns the final reply byte or None."""
        if self.steps & off_flag:
            return None
        self.send(command, data)
        if self.steps & nr_flag:
            return None
        while True:
            reply, payload = self.read_packet()
            print("%s -> %s" % (label, describe(reply, payload)), flush=True)
            if reply not in MODIFICATIONS:
                # --ignore-accept: go on as if it were continue.
                if reply == ord("a") and self.ignore_accept:
                    return ord("c")
                return reply

    def eom(self):
        self.send("E")
        while True:
            reply, payload = self.read_packet()
            print("eom -> %s" % describe(reply, payload), flush=True)
            if reply not in MODIFICATIONS:
                return reply

    def after_quit(self, seconds):
        ready, _, _ = select.select([self.sock], [], [], seconds)
        if not ready:
            return
        try:
            reply, payload = self.read_packet()
        except ProbeError:
            return
        print("after-quit -> %s" % describe(reply, payload), flush=True)

    def close(self):
        self.sock.close()


def cstr(s):
    return s.encode() + b"\0"


def macro(session, stage, *pairs):
    session.send("D", stage.encode() + b"".join(cstr(p) for p in pairs))


def run_message(session, args, number, abort_at=None):
    def ended(reply, step=None):
        if step is not None and step == abort_at:
            session.send("A")
            print("abort", flush=True)
            return True
        return reply is not None and reply in MESSAGE_ENDERS

    macro(session, "M", "i", "PROBE%d" % number)
    if ended(session.step("mail " + args.sender, "M", cstr(args.sender), NOMAIL, NR_MAIL), "mail"):
        return
    accepted = 0
    for rcpt in args.rcpt:
        reply = session.step("rcpt " + rcpt, "R", cstr(rcpt), NORCPT, NR_RCPT)
        # A reject or reply-code at rcpt refuses only that recipient.
        if reply is None or reply in b"c":
            accepted += 1
        elif reply in b"ad":
            return
    # Recipients the MTA rejected itself go only when SMFIP_RCPT_REJ was
    # negotiated, marked as Sendmail marks them ({rcpt_mailer} "error").
    for rcpt in args.rejected_rcpt:
        if session.steps & RCPT_REJ:
            macro(session, "R", "{rcpt_mailer}", "error")
            session.step("rejected rcpt " + rcpt, "R", cstr(rcpt), NORCPT, NR_RCPT)
    if ended(None, "rcpt"):
        return
    if accepted == 0:
        session.send("A")
        print("abort (no recipient accepted)", flush=True)
        return
    # DATA exists from protocol version 4 on, for both sides.
    if min(args.version, session.version) >= 4 and not args.skip_data:
        macro(session, "T", "i", "PROBE%d" % number)
        if ended(session.step("data", "T", b"", NODATA, NR_DATA), "data"):
            return
    for header in args.header:
        name, _, value = header.partition(":")
        # With HDR_LEADSPC the value goes as it stands after the colon.
        value = " " + value.lstrip() if session.steps & LEADSPC else value.lstrip()
        reply = session.step("header " + name, "L", cstr(name) + cstr(value), NOHDRS, NR_HDR)
        if ended(reply):
            return
    if ended(None, "header"):
        return
    if ended(session.step("eoh", "N", b"", NOEOH, NR_EOH), "eoh"):
        return
    body = args.body.encode().replace(b"\\r\\n", b"\r\n")
    if body and ended(session.step("body", "B", body, NOBODY, NR_BODY), "body"):
        return
    macro(session, "E", "i", "PROBE%d" % number)
    session.eom()


def run_connection(args, first_message, session=None, last=True):
    if session is None:
        session = Session(args.spec, args.timeout)
        session.ignore_accept = args.ignore_accept
        session.send("O", struct.pack(">III", args.version, args.actions, args.steps))
        reply, payload = session.read_packet()
        print("negotiate -> %s" % describe(reply, payload), flush=True)
        if chr(reply) != "O":
            session.close()
            raise ProbeError("negotiate answered with %r" % chr(reply))
        session.version, _, session.steps = struct.unpack(">III", payload[:12])
    try:
        macro(session, "C", "j", "mta.test.invalid", "{daemon_name}", "probe")
        address = cstr("client.test") + b"4" + struct.pack(">H", 4567) + cstr("192.0.2.1")
        reply = session.step("connect", "C", address, NOCONNECT, NR_CONN)
        if reply is None or reply in b"c":
            reply = session.step("helo", "H", cstr("client.test"), NOHELO, NR_HELO)
            if reply is None or reply in b"c":
                for n in range(args.messages):
                    run_message(session, args, first_message + n,
                                args.abort_at if n == 0 else None)
        if not last:
            session.send("K")
            print("quit-new-connection", flush=True)
            return session
        session.send("Q")
        if args.after_quit > 0:
            session.after_quit(args.after_quit)
    except BaseException:
        session.close()
        raise
    session.close()
    return None


def main():
    parser = argparse.ArgumentParser(description="milter protocol probe (MTA side)")
    parser.add_argument("spec")
    parser.add_argument("-f", dest="sender", default="<alice@example.test>")
    parser.add_argument("-r", dest="rcpt", action="append", default=[])
    parser.add_argument("-H", dest="header", action="append", default=[])
    parser.add_argument("-b", dest="body", default="hello\\r\\n",
                        help="body; the two characters \\r\\n stand for CRLF")
    parser.add_argument("--version", type=int, default=6)
    parser.add_argument("--actions", type=lambda s: int(s, 0), default=0x1FF)
    parser.add_argument("--steps", type=lambda s: int(s, 0), default=0x1FFFFF)
    parser.add_argument("--messages", type=int, default=1)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--after-quit", type=float, default=0)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--abort-at", choices=["mail", "rcpt", "data", "header", "eoh", "body"])
    parser.add_argument("--quit-new-connection", action="store_true")
    parser.add_argument("--skip-data", action="store_true")
    parser.add_argument("--rejected-rcpt", action="append", default=[])
    parser.add_argument("--big-header", action="append", default=[])
    parser.add_argument("--ignore-accept", action="store_true")
    args = parser.parse_args()
    if not args.rcpt:
        args.rcpt = ["<bob@example.net>"]
    if not args.header:
        args.header = ["From:alice@example.test", "Subject:probe"]
    for big in args.big_header:
        name, _, size = big.partition(":")
        args.header.append(name + ":" + "x" * int(size))
    try:
        session = None
        for n in range(args.connections):
            if args.connections > 1:
                print("connection %d" % (n + 1), flush=True)
            last = n == args.connections - 1 or not args.quit_new_connection
            session = run_connection(args, n * args.messages + 1, session, last)
    except (ProbeError, OSError, struct.error) as error:
        print("milter-probe: %s" % error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

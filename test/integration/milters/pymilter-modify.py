#!/usr/bin/python3
# pymilter-modify.py - pymilter (python3-milter) test milter that edits headers and recipients
#
# SYNOPSIS
#   /usr/bin/python3 pymilter-modify.py inet:PORT@127.0.0.1 | unix:/path
#
# DESCRIPTION
#   envelope-recipient: <reject@example.net> (case-insensitive, brackets
#     optional) is rejected with "550 5.7.1 rejected by pymilter-modify"
#     (reply packet 'y'); every other recipient gets continue.
#   end-of-message, in this order, then accept:
#     add-header     X-Pymilter: added
#     change-header  Subject #1 -> "[tagged] " + first Subject's value
#                    (only when the message had a Subject header)
#     add-recipient  <added@example.net>
#     delete-recipient <deleted@example.net>  (always, whether or not it was
#                    a recipient, so the expected edits do not depend on input)
#   Actions registered: ADDHDRS CHGHDRS ADDRCPT DELRCPT (0x1d; set_flags()
#   alone is not enough, pymilter's negotiate would request all the MTA
#   offers, so negotiate() is narrowed below). pymilter switches off
#   (SMFIP_NO*) every step whose callback is not overridden here: connect, helo,
#   data, end-of-header, body and unknown are not sent by a conforming MTA.
#   Runs on libmilter (pymilter wraps it), so it negotiates like libmilter and
#   needs up to ~5 s to exit after SIGTERM.
#
# DIAGNOSTICS
#   One line per callback on stderr, prefixed with the connection number.
import sys

import Milter

REJECT_RCPT = "reject@example.net"
ADD_RCPT = "<added@example.net>"
DEL_RCPT = "<deleted@example.net>"
ACTIONS = Milter.ADDHDRS | Milter.CHGHDRS | Milter.ADDRCPT | Milter.DELRCPT


def bare(address):
    return address.strip().strip("<>").lower()


class Modify(Milter.Base):
    def __init__(self):
        self.id = Milter.uniqueID()
        self.subject = None

    def log(self, *args):
        print("[%d]" % self.id, *args, file=sys.stderr, flush=True)

    def negotiate(self, opts):
        # pymilter's own negotiate answers with every action the MTA offered,
        # whatever set_flags() said; ask for ours only.
        result = super().negotiate(opts)
        if result == Milter.CONTINUE:
            opts[0] = self._actions = opts[0] & ACTIONS
        return result

    def envfrom(self, sender, *params):
        self.log("mail", sender, params)
        self.subject = None
        return Milter.CONTINUE

    def envrcpt(self, rcpt, *params):
        if bare(rcpt) == REJECT_RCPT:
            self.log("rcpt", rcpt, "-> 550 5.7.1")
            self.setreply("550", "5.7.1", "rejected by pymilter-modify")
            return Milter.REJECT
        self.log("rcpt", rcpt, "-> continue")
        return Milter.CONTINUE

    def header(self, name, value):
        if self.subject is None and name.lower() == "subject":
            self.subject = value
        return Milter.CONTINUE

    def eom(self):
        self.log("eom subject=%r" % (self.subject,))
        self.addheader("X-Pymilter", "added")
        if self.subject is not None:
            self.chgheader("Subject", 1, "[tagged] " + self.subject)
        self.addrcpt(ADD_RCPT)
        self.delrcpt(DEL_RCPT)
        return Milter.ACCEPT

    def abort(self):
        self.log("abort")
        return Milter.CONTINUE

    def close(self):
        self.log("close")
        return Milter.CONTINUE


def main():
    if len(sys.argv) != 2:
        print("usage: pymilter-modify.py CONNECTION-SPEC", file=sys.stderr)
        return 2
    Milter.factory = Modify
    Milter.set_flags(ACTIONS)
    print("pymilter-modify listening on", sys.argv[1], file=sys.stderr, flush=True)
    Milter.runmilter("pymilter-modify", sys.argv[1], 240)
    print("pymilter-modify stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

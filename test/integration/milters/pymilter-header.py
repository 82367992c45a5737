#!/usr/bin/python3
# pymilter-header.py - pymilter (python3-milter) child that adds one header
#
# SYNOPSIS
#   /usr/bin/python3 pymilter-header.py SPEC NAME VALUE
#       SPEC: inet:PORT@127.0.0.1 or unix:/path (made with umask 000)
#
# DESCRIPTION
#   At end-of-message adds the header NAME: VALUE and accepts. Only
#   end-of-message is overridden, so pymilter switches every other step off
#   (SMFIP_NO*) and the MTA side sends envelope, headers and body only as
#   far as its protocol needs. Actions: ADDHDRS alone (pymilter's own
#   negotiate would grant all the MTA offers, so negotiate() narrows it).
#   libmilter's thread pool serves parallel sessions.
#
# DIAGNOSTICS
#   libmilter's own messages on stderr; exits 0 when libmilter's main loop
#   ends (SIGTERM: up to ~5 s).
import os
import sys

import Milter


class Header(Milter.Base):
    name = "X-Pymilter"
    value = "added"

    def negotiate(self, opts):
        result = super().negotiate(opts)
        if result == Milter.CONTINUE:
            opts[0] &= Milter.ADDHDRS
        return result

    def eom(self):
        self.addheader(self.name, self.value)
        return Milter.ACCEPT


def main():
    if len(sys.argv) != 4:
        print("usage: pymilter-header.py SPEC NAME VALUE", file=sys.stderr)
        sys.exit(2)
    Header.name, Header.value = sys.argv[2], sys.argv[3]
    os.umask(0)
    Milter.factory = Header
    Milter.set_flags(Milter.ADDHDRS)
    Milter.runmilter("pymilter-header", sys.argv[1], 60)


if __name__ == "__main__":
    main()

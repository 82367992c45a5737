#!/usr/bin/perl
# pmilter-three-writes.pl - Sendmail::PMilter test milter whose replies arrive in pieces
#
# SYNOPSIS
#   perl pmilter-three-writes.pl inet:PORT@127.0.0.1 | unix:/path
#
# DESCRIPTION
#   At end-of-message adds the header "X-PMilter: yes" and answers continue
#   (not accept: libmilter-based children answer accept, so this one covers
#   an end-of-message 'c'). Actions requested: ADDHDRS.
#
#   Why this peer: Sendmail::PMilter::Context::write_packet() (module
#   version 1.00, libsendmail-pmilter-perl 1.00-1.2) sends every reply packet
#   with three syswrite() calls on the socket: the 4-byte length, the 1-byte
#   command, then the data; replace-body packets are written the same way.
#   Each syswrite() is its own write(2), so the MTA side often gets the
#   length and the command in separate reads (miltertest, which reads the
#   5-byte header with one read(2), fails on it: "read(3): returned 4,
#   expected 5"). Observed with
#     strace -f -e trace=write perl pmilter-three-writes.pl inet:PORT@127.0.0.1
#   for one transaction driven by milter-probe.py (fd 4 is the connection):
#     write(4, "\0\0\0\r", 4)   write(4, "O", 1)  write(4, "\0\0\0\2\0\0\0\1\0\0\0z", 12)
#     write(4, "\0\0\0\1", 4)   write(4, "c", 1)  write(4, "", 0)       connect
#     write(4, "\0\0\0\1", 4)   write(4, "c", 1)  write(4, "", 0)       mail
#     write(4, "\0\0\0\17", 4)  write(4, "h", 1)  write(4, "X-PMilter\0yes\0", 14)
#     write(4, "\0\0\0\1", 4)   write(4, "c", 1)  write(4, "", 0)       eom
#     write(4, "\0\0\0\1", 4)   write(4, "c", 1)  write(4, "", 0)       after quit
#   (a packet without data still costs a third, empty, write).
#
#   Other behaviour of the module worth knowing when it is a child:
#   - negotiate: always answers version 2, actions = ours & the MTA's,
#     steps = SMFIP_NOHELO|NORCPT|NOBODY|NOHDRS|NOEOH (0x7A) here because only
#     eom is registered (it keeps connect and envelope-from on and knows no
#     flag above 0x40).
#   - after quit (or EOF) it writes one more packet, a 'c' (continue), before
#     closing; an unknown command (e.g. 'K', quit-new-connection, which a v2
#     milter never gets from a conforming MTA) makes it answer 't' and close.
#   - default "postfork" dispatcher: one child process per connection; the
#     parent is the PID to stop, SIGTERM ends it at once (children finish
#     their connection). PMILTER_DISPATCHER=sequential serves one at a time.
#
# DIAGNOSTICS
#   Start and each end-of-message are logged on stderr; exits 1 if the
#   connection spec cannot be bound.
use strict;
use warnings;

use Sendmail::PMilter qw(:all);

die "usage: $0 CONNECTION-SPEC\n" unless @ARGV == 1;
my $spec = $ARGV[0];

$| = 1;
$SIG{TERM} = sub { print STDERR "pmilter-three-writes: SIGTERM, exiting\n"; exit 0; };

my $milter = Sendmail::PMilter->new;
$milter->set_listen(64);
$milter->setconn($spec) or die "pmilter-three-writes: cannot listen on $spec\n";
$milter->register(
    'pmilter-three-writes',
    {
        eom => sub {
            my $ctx = shift;
            $ctx->addheader('X-PMilter', 'yes');
            print STDERR "pmilter-three-writes[$$]: eom: X-PMilter added\n";
            return SMFIS_CONTINUE;
        },
    },
    SMFIF_ADDHDRS
);
print STDERR "pmilter-three-writes: listening on $spec\n";
$milter->main();

#!/bin/sh
# libmilter-opendkim.sh - Debian's opendkim binary on our libmilter signs a message
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-opendkim.sh
#
# DESCRIPTION
#   server-opendkim.sh with IT_LIBMILTER=ours: the unmodified opendkim,
#   linked with Sendmail's libmilter.so.1.0.1, started with our build
#   tree's libmilter first in LD_LIBRARY_PATH; /proc/PID/maps must show
#   ours loaded. Prints TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
IT_LIBMILTER=ours
export IT_LIBMILTER
exec sh "$top_srcdir/test/integration/server-opendkim.sh"

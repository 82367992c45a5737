#!/bin/sh
# libmilter-server-milters.sh - milter-test-server against the fixture milters built on our library, as server-milters.sh
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-server-milters.sh
#
# DESCRIPTION
#   Runs server-milters.sh with IT_LIBMILTER=ours: it_build_c_milter (lib.sh)
#   compiles test/integration/milters/libmilter-*.c against libmilter/'s
#   headers, links them with the build tree's libmilter.so.1.0.1 and
#   checks with ldd that they load it. Every other check is server-milters.sh's
#   own, unchanged: the same results as on Sendmail's libmilter. Prints
#   TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
IT_LIBMILTER=ours
export IT_LIBMILTER
exec sh "$top_srcdir/test/integration/server-milters.sh"

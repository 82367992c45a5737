#!/bin/sh
# libmilter-fixtures.sh - the fixture milters (libmilter-*.c) built on our headers and library pass check-fixtures.sh's checks
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-fixtures.sh
#
# DESCRIPTION
#   Runs check-fixtures.sh with IT_LIBMILTER=ours: it_build_c_milter (lib.sh)
#   compiles test/integration/milters/libmilter-*.c against libmilter/'s
#   headers, links them with the build tree's libmilter.so.1.0.1 and
#   checks with ldd that they load it. Every other check is check-fixtures.sh's
#   own, unchanged: the same results as on Sendmail's libmilter. Prints
#   TAP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
IT_LIBMILTER=ours
export IT_LIBMILTER
exec sh "$top_srcdir/test/integration/check-fixtures.sh"

#!/bin/sh
# Runs a test program under valgrind's memcheck: any memory error or
# definite leak makes it exit 99, which the TAP driver reports as ERROR.
# GLib's own suppressions cover its one-time allocations; ours cover
# glibc's resolver cache and GLib helper threads alive at exit.
# Uninstalled programs are libtool wrapper scripts: `libtool --mode=execute`
# puts the real binary under valgrind instead of the shell.
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-.}
glib_supp=/usr/share/glib-2.0/valgrind/glib.supp
set -- valgrind --quiet --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite \
  --suppressions="$srcdir/test/valgrind.supp" \
  $( [ -f "$glib_supp" ] && echo "--suppressions=$glib_supp" ) "$@"
export G_SLICE=always-malloc G_DEBUG=gc-friendly
# Under valgrind a program runs some 20 times slower: a longer time limit.
: "${MILTER_TEST_TIME_LIMIT:=1800}"
export MILTER_TEST_TIME_LIMIT
if [ -x "$builddir/libtool" ]; then
  set -- "$builddir/libtool" --mode=execute "$@"
fi
exec sh "$srcdir/test/time-limit.sh" "$@"

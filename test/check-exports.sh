#!/bin/sh
# TAP test: each shared library exports only what its installed headers
# declare. The headers are run through the preprocessor (so symbols that
# G_DECLARE_* and similar macros declare count), and every defined dynamic
# symbol of the library must be one of the identifiers they declare. An
# internal function without G_GNUC_INTERNAL (or static) fails this test.
#
# Environment: top_srcdir, top_builddir (set by make check), CC (default
# cc), MILTER_PUBLIC_HEADERS_core/_client/_server (the installed headers,
# paths relative to top_srcdir; set by make check from the *_include_HEADERS
# variables).
set -u
srcdir=${top_srcdir:?}
builddir=${top_builddir:?}
cc=${CC:-cc}
work=$(mktemp -d "${TMPDIR:-/tmp}/check-exports-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cflags=$(pkg-config --cflags glib-2.0 gobject-2.0 gio-2.0)

echo "1..3"
n=0
for lib in core client server; do
  n=$((n + 1))
  so="$builddir/milter/$lib/.libs/libmilter-$lib.so"
  eval "headers=\${MILTER_PUBLIC_HEADERS_$lib:-}"
  if [ ! -f "$so" ]; then
    echo "ok $n - libmilter-$lib exports # SKIP no shared library (static build?)"
    continue
  fi
  if [ -z "$headers" ]; then
    echo "not ok $n - libmilter-$lib exports: MILTER_PUBLIC_HEADERS_$lib is not set"
    continue
  fi
  : > "$work/$lib.c"
  for header in $headers; do
    echo "#include <$header>" >> "$work/$lib.c"
  done
  if ! "$cc" -E -I"$srcdir" -I"$builddir" $cflags "$work/$lib.c" \
       > "$work/$lib.i" 2> "$work/$lib.err"; then
    echo "not ok $n - libmilter-$lib exports: its headers do not preprocess"
    sed 's/^/# /' "$work/$lib.err"
    continue
  fi
  grep -v '^#' "$work/$lib.i" | grep -o '[A-Za-z_][A-Za-z0-9_]*' | sort -u \
    > "$work/$lib.declared"
  # Defined dynamic symbols; the linker's own markers are not ours.
  nm -D --defined-only "$so" | awk '{ print $NF }' |
    grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$' | sort -u \
    > "$work/$lib.exported"
  comm -23 "$work/$lib.exported" "$work/$lib.declared" > "$work/$lib.extra"
  count=$(wc -l < "$work/$lib.exported")
  if [ -s "$work/$lib.extra" ]; then
    echo "not ok $n - libmilter-$lib exports symbols no installed header declares"
    sed 's/^/# /' "$work/$lib.extra"
  else
    echo "ok $n - libmilter-$lib exports only its public API ($count symbols)"
  fi
done

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
#
# The libmilter-compatible library (libmilter/libmilter.so.1.0.1) must
# export exactly the 26 smfi_* functions Debian's libmilter 8.17 exports
# (listed here; compared with Debian's library too when it is installed),
# nothing of the milter libraries it is built on, and have the soname
# libmilter.so.1.0.1.
set -u
srcdir=${top_srcdir:?}
builddir=${top_builddir:?}
cc=${CC:-cc}
work=$(mktemp -d "${TMPDIR:-/tmp}/check-exports-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cflags=$(pkg-config --cflags glib-2.0 gobject-2.0 gio-2.0)

echo "1..5"
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

# ---- libmilter.so.1.0.1 ----------------------------------------------------
so="$builddir/libmilter/.libs/libmilter.so.1.0.1"
printf '%s\n' smfi_addheader smfi_addrcpt smfi_addrcpt_par smfi_chgfrom \
  smfi_chgheader smfi_delrcpt smfi_getpriv smfi_getsymval smfi_insheader \
  smfi_main smfi_opensocket smfi_progress smfi_quarantine smfi_register \
  smfi_replacebody smfi_setbacklog smfi_setconn smfi_setdbg \
  smfi_setmaxdatasize smfi_setmlreply smfi_setpriv smfi_setreply \
  smfi_setsymlist smfi_settimeout smfi_stop smfi_version > "$work/smfi.expected"
debian=/usr/lib/x86_64-linux-gnu/libmilter.so.1.0.1
if [ ! -f "$so" ]; then
  echo "ok 4 - libmilter.so.1.0.1 exports # SKIP no shared library (static build?)"
  echo "ok 5 - libmilter.so.1.0.1 soname # SKIP no shared library (static build?)"
else
  nm -D --defined-only "$so" | awk '{ print $NF }' |
    grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$' | sort -u \
    > "$work/smfi.exported"
  if [ -f "$debian" ]; then
    nm -D --defined-only "$debian" | awk '{ print $NF }' | grep '^smfi_' |
      sort -u > "$work/smfi.debian"
  else
    cp "$work/smfi.expected" "$work/smfi.debian"
  fi
  if cmp -s "$work/smfi.expected" "$work/smfi.exported" &&
     cmp -s "$work/smfi.debian" "$work/smfi.exported"; then
    echo "ok 4 - libmilter.so.1.0.1 exports exactly the 26 smfi_* functions of Debian's libmilter"
  else
    echo "not ok 4 - libmilter.so.1.0.1 exports exactly the 26 smfi_* functions of Debian's libmilter"
    diff "$work/smfi.expected" "$work/smfi.exported" | sed 's/^/# /'
    diff "$work/smfi.debian" "$work/smfi.exported" | sed 's/^/# debian: /'
  fi
  soname=$(objdump -p "$so" | awk '$1 == "SONAME" { print $2 }')
  if [ "$soname" = libmilter.so.1.0.1 ]; then
    echo "ok 5 - libmilter.so.1.0.1 has the soname libmilter.so.1.0.1"
  else
    echo "not ok 5 - libmilter.so.1.0.1 has the soname libmilter.so.1.0.1 (got '$soname')"
  fi
fi

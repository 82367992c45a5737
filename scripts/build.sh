#!/bin/sh
# Configures (once) and builds the tree out of source in $BUILD_DIR (default _build).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
cd "$top"
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q --prefix="$build/install" --enable-werror
make -s -j"$(nproc)" all

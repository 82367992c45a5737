#!/bin/sh
# Builds (if needed) and runs the I/O benchmark (agents vs raw read/write); prints its figures.
# Usage: benchmark/run-codec.sh [--round-trips N] [--megabytes M]
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
"$top/scripts/build.sh" >/dev/null
make -s -C "$build" benchmark/milter-io-benchmark
exec "$build/benchmark/milter-io-benchmark" "$@"

#!/bin/sh
# Builds (if needed) and runs the codec benchmark; prints its figures.
# Usage: benchmark/run-codec.sh [--seconds S]
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
"$top/scripts/build.sh" >/dev/null
make -s -C "$build" benchmark/milter-codec-benchmark
exec "$build/benchmark/milter-codec-benchmark" "$@"

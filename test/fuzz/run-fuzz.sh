#!/bin/sh
# TAP test: builds each decoder fuzz target with clang's libFuzzer, seeds it
# with valid packets from our encoders and runs it for MILTER_FUZZ_SECONDS
# (default 30) seconds. A crash, leak, sanitizer report or round-trip
# mismatch fails the test; the number of executions is printed.
set -u
seconds=${MILTER_FUZZ_SECONDS:-30}
srcdir=${top_srcdir:?}
builddir=${top_builddir:?}
cc=${FUZZ_CC:-}
targets="command reply"
work="$builddir/test/fuzz/work"
mkdir -p "$work"

echo "1..2"
n=0
if [ -z "$cc" ] || [ "$cc" = no ]; then
  for target in $targets; do
    n=$((n + 1)); echo "ok $n - fuzz $target decoder # SKIP clang not found (apt-get install clang libclang-rt-14-dev)"
  done
  exit 0
fi
glib_cflags=$(pkg-config --cflags glib-2.0)
glib_libs=$(pkg-config --libs glib-2.0)
for target in $targets; do
  n=$((n + 1))
  binary="$work/fuzz-$target-decoder"
  log="$work/fuzz-$target-decoder.log"
  if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
       -I"$srcdir" -I"$builddir" $glib_cflags \
       "$srcdir/test/fuzz/fuzz-$target-decoder.c" \
       "$srcdir/milter/core/milter-protocol.c" \
       "$srcdir/milter/core/milter-packet-decoder.c" \
       "$srcdir"/milter/core/milter-$target*.c \
       $glib_libs -o "$binary" >"$log" 2>&1; then
    echo "not ok $n - fuzz $target decoder: build failed"; sed 's/^/# /' "$log"; continue
  fi
  corpus="$work/corpus-$target"
  "$builddir/test/fuzz/make-seeds" "$target" "$corpus" || { echo "not ok $n - seeds"; continue; }
  if "$binary" -max_total_time="$seconds" -max_len=140000 -rss_limit_mb=2048 \
       -timeout=10 -print_final_stats=1 -artifact_prefix="$work/crash-$target-" \
       "$corpus" >"$log" 2>&1; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
    echo "ok $n - fuzz $target decoder: ${runs:-?} executions in ${seconds}s, no crash"
  else
    echo "not ok $n - fuzz $target decoder crashed; reproducer in $work"
    tail -n 40 "$log" | sed 's/^/# /'
  fi
done

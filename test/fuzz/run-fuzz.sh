#!/bin/sh
# TAP test: builds each fuzz target with clang's libFuzzer, seeds it with
# valid packets from our encoders and runs it for MILTER_FUZZ_SECONDS
# (default 30) seconds. Targets: the command and reply decoders, and a
# client context fed a command stream in memory. A crash, leak, sanitizer
# report or failed check fails the test; the number of executions is
# printed.
set -u
seconds=${MILTER_FUZZ_SECONDS:-30}
srcdir=${top_srcdir:?}
builddir=${top_builddir:?}
cc=${FUZZ_CC:-}
targets="command-decoder reply-decoder client-context"
work="$builddir/test/fuzz/work"
mkdir -p "$work"

echo "1..3"
n=0
if [ -z "$cc" ] || [ "$cc" = no ]; then
  for target in $targets; do
    n=$((n + 1)); echo "ok $n - fuzz $target # SKIP clang not found (apt-get install clang libclang-rt-14-dev)"
  done
  exit 0
fi
glib_modules="glib-2.0 gobject-2.0 gio-2.0 gio-unix-2.0"
glib_cflags=$(pkg-config --cflags $glib_modules)
glib_libs=$(pkg-config --libs $glib_modules)
for target in $targets; do
  n=$((n + 1))
  binary="$work/fuzz-$target"
  log="$work/fuzz-$target.log"
  # The sources each target needs, and the seeds it starts from.
  case $target in
    command-decoder|reply-decoder)
      codec=${target%-decoder}
      seeds=$codec
      sources="$srcdir/milter/core/milter-protocol.c $srcdir/milter/core/milter-packet-decoder.c"
      sources="$sources $(ls "$srcdir"/milter/core/milter-$codec*.c)"
      extra_libs= ;;
    client-context)
      seeds=command
      sources="$(ls "$srcdir"/milter/core/*.c) $srcdir/milter/client/milter-client-state.c"
      sources="$sources $(ls "$srcdir"/milter/client/milter-client-context*.c)"
      extra_libs=-lev ;;
  esac
  if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
       -I"$srcdir" -I"$builddir" $glib_cflags \
       "$srcdir/test/fuzz/fuzz-$target.c" $sources \
       $glib_libs $extra_libs -o "$binary" >"$log" 2>&1; then
    echo "not ok $n - fuzz $target: build failed"; sed 's/^/# /' "$log"; continue
  fi
  corpus="$work/corpus-$target"
  "$builddir/test/fuzz/make-seeds" "$seeds" "$corpus" || { echo "not ok $n - seeds"; continue; }
  if "$binary" -max_total_time="$seconds" -max_len=140000 -rss_limit_mb=2048 \
       -timeout=10 -print_final_stats=1 -artifact_prefix="$work/crash-$target-" \
       "$corpus" >"$log" 2>&1; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
    echo "ok $n - fuzz $target: ${runs:-?} executions in ${seconds}s, no crash"
  else
    echo "not ok $n - fuzz $target crashed; reproducer in $work"
    tail -n 40 "$log" | sed 's/^/# /'
  fi
done

#!/bin/sh
# TAP test: builds each fuzz target with clang's libFuzzer, seeds it with
# valid packets from our encoders and runs it for MILTER_FUZZ_SECONDS
# (default 30) seconds. Targets: the command and reply decoders, a client
# context fed a command stream in memory and a server context fed replies
# in memory, and the launcher pipes' decoder. A crash, leak, sanitizer
# report or failed check fails the test; the number of executions is
# printed.
set -u
seconds=${MILTER_FUZZ_SECONDS:-30}
srcdir=${top_srcdir:?}
builddir=${top_builddir:?}
cc=${FUZZ_CC:-}
targets="command reply"
work="$builddir/test/fuzz/work"
mkdir -p "$work"

echo "1..5"
n=0
if [ -z "$cc" ] || [ "$cc" = no ]; then
  for target in command-decoder reply-decoder client-context server-context launch-decoder; do
    n=$((n + 1)); echo "ok $n - fuzz $target # SKIP clang not found (apt-get install clang libclang-rt-14-dev)"
  done
  exit 0
fi
glib_cflags=$(pkg-config --cflags glib-2.0 gobject-2.0 gio-2.0 gio-unix-2.0)
glib_libs=$(pkg-config --libs glib-2.0 gobject-2.0 gio-2.0)

# fuzz NAME SEEDS SOURCE... [-lLIB...]: build with libFuzzer, run, print TAP.
# SEEDS is the make-seeds corpus kind, or "" for none.
fuzz() {
  name=$1
  seeds=$2
  shift 2
  n=$((n + 1))
  binary="$work/fuzz-$name"
  log="$work/fuzz-$name.log"
  if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
       -I"$srcdir" -I"$builddir" $glib_cflags "$@" $glib_libs -o "$binary" >"$log" 2>&1; then
    echo "not ok $n - fuzz $name: build failed"; sed 's/^/# /' "$log"; return
  fi
  corpus="$work/corpus-$name"
  mkdir -p "$corpus"
  if [ -n "$seeds" ]; then
    "$builddir/test/fuzz/make-seeds" "$seeds" "$corpus" || { echo "not ok $n - seeds"; return; }
  fi
  if "$binary" -max_total_time="$seconds" -max_len=140000 -rss_limit_mb=2048 \
       -timeout=10 -print_final_stats=1 -artifact_prefix="$work/crash-$name-" \
       "$corpus" >"$log" 2>&1; then
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
    echo "ok $n - fuzz $name: ${runs:-?} executions in ${seconds}s, no crash"
  else
    echo "not ok $n - fuzz $name crashed; reproducer in $work"
    tail -n 40 "$log" | sed 's/^/# /'
  fi
}

for target in $targets; do
  fuzz "$target-decoder" "$target" \
    "$srcdir/test/fuzz/fuzz-$target-decoder.c" \
    "$srcdir/milter/core/milter-protocol.c" \
    "$srcdir/milter/core/milter-packet-decoder.c" \
    "$srcdir"/milter/core/milter-$target*.c
done
# A whole client context, fed a command stream in memory.
fuzz client-context command \
  "$srcdir/test/fuzz/fuzz-client-context.c" \
  "$srcdir"/milter/core/*.c "$srcdir/milter/client/milter-client-state.c" \
  "$srcdir"/milter/client/milter-client-context*.c \
  "$builddir/milter/client/milter-client-marshal.c" -lev
# A whole server context, fed replies in memory (seeded with valid replies).
fuzz server-context reply \
  "$srcdir/test/fuzz/fuzz-server-context.c" \
  "$srcdir"/milter/core/*.c "$srcdir"/milter/server/*.c -lev
# The launcher pipes' codec (launcher.md §3), both directions.
fuzz launch-decoder launch \
  "$srcdir/test/fuzz/fuzz-launch-decoder.c" \
  "$srcdir/milter/manager/milter-manager-launch-protocol.c" \
  "$srcdir/milter/core/milter-protocol.c" \
  "$srcdir/milter/core/milter-packet-decoder.c"

#!/bin/sh
# TAP test: builds each fuzz target with clang's libFuzzer, seeds it with
# valid packets from our encoders and runs it for MILTER_FUZZ_SECONDS
# (default 30) seconds. Targets: the command and reply decoders, the
# controller's codec (seeded with one packet of each word), a client
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
IT_PYTHON=${IT_PYTHON:-/usr/bin/python3}
work="$builddir/test/fuzz/work"
mkdir -p "$work"

echo "1..6"
n=0
if [ -z "$cc" ] || [ "$cc" = no ]; then
  for target in command-decoder reply-decoder client-context server-context launch-decoder \
      control-decoder; do
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

# The controller's codec: the first byte picks commands (even) or replies (odd).
control_corpus="$work/corpus-control-decoder"
mkdir -p "$control_corpus"
i=0
for word in set-configuration get-configuration reload get-status stop-child; do
  i=$((i + 1))
  "$IT_PYTHON" -c 'import struct, sys
w = sys.argv[1].encode() + b"\0" + (b"x" if sys.argv[1] in ("stop-child", "set-configuration") else b"")
sys.stdout.buffer.write(b"\0" + struct.pack(">I", len(w)) + w)' "$word" >"$control_corpus/seed-command-$i"
done
for word in success failure error configuration status; do
  i=$((i + 1))
  "$IT_PYTHON" -c 'import struct, sys
w = sys.argv[1].encode() + b"\0text"
sys.stdout.buffer.write(b"\1" + struct.pack(">I", len(w)) + w)' "$word" >"$control_corpus/seed-reply-$i"
done
fuzz control-decoder "" \
  "$srcdir/test/fuzz/fuzz-control-decoder.c" \
  "$srcdir/milter/core/milter-protocol.c" \
  "$srcdir/milter/core/milter-packet-decoder.c" \
  "$srcdir/milter/manager/milter-manager-control-codec.c"

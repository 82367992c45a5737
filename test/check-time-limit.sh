#!/bin/sh
# TAP test of test/time-limit.sh: a program that hangs is stopped within
# the limit and reported as a failure; one that finishes keeps its status.
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
wrapper="$srcdir/test/time-limit.sh"
echo "1..3"

start=$(date +%s)
MILTER_TEST_TIME_LIMIT=2 sh "$wrapper" sleep 60 >/dev/null
status=$?
elapsed=$(( $(date +%s) - start ))
if [ $status -eq 99 ] && [ $elapsed -lt 20 ]; then
  echo "ok 1 - a hanging program is stopped (status $status after ${elapsed}s)"
else
  echo "not ok 1 - a hanging program is stopped (status $status after ${elapsed}s)"
fi

MILTER_TEST_TIME_LIMIT=20 sh "$wrapper" sh -c 'exit 3'
status=$?
if [ $status -eq 3 ]; then echo "ok 2 - exit status passes through"
else echo "not ok 2 - exit status passes through (got $status)"; fi

out=$(MILTER_TEST_TIME_LIMIT=20 sh "$wrapper" echo "ok 3 - output passes through")
echo "$out"

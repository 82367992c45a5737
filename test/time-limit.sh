#!/bin/sh
# Runs one test program under a wall-clock limit, so that a hang fails the
# test (the TAP driver reports the non-zero exit as ERROR) instead of
# stalling `make check`. The limit is MILTER_TEST_TIME_LIMIT seconds
# (default 600); the program gets SIGTERM, then SIGKILL 10 s later.
# timeout(1) (without --foreground) signals its whole process group, so
# daemons a test forked are stopped too.
limit=${MILTER_TEST_TIME_LIMIT:-600}
timeout --kill-after=10 "$limit" "$@"
status=$?
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
  echo "Bail out! $* exceeded its time limit of $limit s"
  exit 99
fi
exit $status

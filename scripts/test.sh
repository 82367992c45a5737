#!/bin/sh
# The whole test suite: installs what is missing, builds, runs `make check`
# (unit tests, fuzz runs) and ends with one line "N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
"$top/scripts/deps.sh" test || exit 1
"$top/scripts/build.sh" || { echo "0 passed, 1 failed"; exit 1; }
cd "$build"
find . -name '*.trs' -delete
make -s -j"$(nproc)" check >check.out 2>&1
status=$?
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):|^# ' check.out | grep -v '^PASS:' || true
[ $status -eq 0 ] || { echo "make check failed; see $build/test-suite.log"; cat test-suite.log 2>/dev/null | tail -n 80; }
# Count individual test cases from the TAP driver's result files.
passed=$(cat $(find . -name '*.trs') /dev/null | grep -c '^:test-result: PASS')
failed=$(cat $(find . -name '*.trs') /dev/null | grep -Ec '^:test-result: (FAIL|ERROR|XPASS)')
skipped=$(cat $(find . -name '*.trs') /dev/null | grep -c '^:test-result: SKIP')
[ $status -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

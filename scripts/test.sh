#!/bin/sh
# The whole test suite: installs what is missing, builds, then runs
#   1. `make check`: unit tests (GTest), fuzz runs and integration tests;
#   2. the unit tests again under valgrind (memory errors, definite leaks).
# Ends with one line "N passed, N failed, N skipped": N counts test cases of
# pass 1; a program failing under valgrind adds one failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
jobs=$(nproc)

"$top/scripts/deps.sh" test || { echo "0 passed, 1 failed"; exit 1; }
"$top/scripts/build.sh" || { echo "0 passed, 1 failed"; exit 1; }
cd "$build" || exit 1

# automake's summary: "# PASS:  N" and friends.
summary() { v=$(sed -n "s/^# $1: *\([0-9]*\)\$/\1/p" "$2" | tail -n 1); echo "${v:-0}"; }
report_failures() {
  grep -E '^(FAIL|ERROR|XPASS):' "$1" || true
  [ -f test-suite.log ] && sed -n '/^FAIL:\|^ERROR:/,/^$/p' test-suite.log | tail -n 60
}

echo "== make check"
make -j"$jobs" check >check.out 2>&1
check_status=$?
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR|XPASS):' check.out
grep -E '^SKIP:' check.out || true
[ $check_status -eq 0 ] || report_failures check.out
passed=$(summary PASS check.out); skipped=$(summary SKIP check.out)
failed=$(( $(summary FAIL check.out) + $(summary ERROR check.out) + $(summary XPASS check.out) ))
# make failed before any test ran (e.g. a build error): that is a failure.
[ $check_status -eq 0 ] || [ $failed -gt 0 ] || failed=1

echo "== unit tests under valgrind"
unit_tests=$(make -s print-unit-tests)
make -j"$jobs" check TESTS="$unit_tests" LOG_COMPILER="$top/test/valgrind.sh" \
  TEST_SUITE_LOG=valgrind-suite.log >valgrind.out 2>&1
valgrind_status=$?
valgrind_bad=$(( $(summary FAIL valgrind.out) + $(summary ERROR valgrind.out) ))
[ $valgrind_status -eq 0 ] || [ $valgrind_bad -gt 0 ] || valgrind_bad=1
if [ $valgrind_bad -gt 0 ]; then
  report_failures valgrind.out
  [ -f valgrind-suite.log ] && tail -n 60 valgrind-suite.log
fi
echo "valgrind: $(echo $unit_tests | wc -w) programs, $valgrind_bad failed"
failed=$((failed + valgrind_bad))

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]

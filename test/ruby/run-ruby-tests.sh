#!/bin/sh
# TAP test: the Ruby test-unit suite of the configuration language
# (test/ruby/test-*.rb), one TAP line per test. Needs ruby and the
# test-unit gem (Debian: ruby, which bundles test-unit).
set -u
srcdir=${top_srcdir:?}
builddir=${top_builddir:?}
ruby=${RUBY:-ruby}
if ! "$ruby" -e 'require "test-unit"' 2>/dev/null; then
  echo "1..0 # SKIP ruby with test-unit not found (apt-get install ruby)"
  exit 0
fi
MILTER_MANAGER_CONFIG_DUMP="$builddir/test/ruby/milter-manager-config-dump"
MILTER_MANAGER_PROGRAM="$builddir/src/milter-manager"
MILTER_MANAGER_RUBYLIB="$srcdir/binding/ruby/lib:$builddir/binding/ruby/lib"
export MILTER_MANAGER_CONFIG_DUMP MILTER_MANAGER_PROGRAM MILTER_MANAGER_RUBYLIB
exec "$ruby" "$srcdir/test/ruby/run-test.rb" "$@"

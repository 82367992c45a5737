#!/bin/sh
# Installs the Debian 12 packages the project needs that are missing.
# Usage: scripts/deps.sh build|test      (run as root; apt-get update once)
set -e
BUILD="build-essential autoconf automake libtool pkg-config libglib2.0-dev libev-dev ruby ruby-dev"
TEST="$BUILD clang libclang-rt-14-dev valgrind"
case "${1:-build}" in
  build) want="$BUILD" ;;
  test) want="$TEST" ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac
missing=""
for package in $want; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing packages:$missing (run as root, or: apt-get install$missing)" >&2
  exit 1
fi
echo "installing:$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null

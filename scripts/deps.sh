#!/bin/sh
# Installs the Debian 12 packages the project needs that are missing.
# Usage: scripts/deps.sh build|test      (run as root; apt-get update once)
set -e
BUILD="build-essential autoconf automake libtool pkg-config libglib2.0-dev libev-dev ruby ruby-dev"
# Tests also drive real programs: Postfix, miltertest and real milters;
# python3-cryptography checks DKIM signatures offline, m4 builds the private
# Sendmail's configuration (its .debs are fetched by apt-get download);
# clamav-milter scans with clamav-daemon's clamd, spamass-milter asks
# spamd (spamassassin brings its default rules), and opendmarc is one more
# Debian milter run on our libmilter.
TEST="$BUILD clang libclang-rt-14-dev valgrind python3 perl \
  postfix miltertest libmilter-dev python3-milter libsendmail-pmilter-perl \
  opendkim opendkim-tools clamav-milter clamav-daemon spamass-milter spamd \
  spamassassin opendmarc swaks iproute2 strace \
  python3-cryptography m4 bc procps"
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
# Postfix asks questions on install; answer them so it installs unattended
# and leaves the system's mail configuration alone.
if command -v debconf-set-selections >/dev/null; then
  printf '%s\n' \
    "postfix postfix/main_mailer_type select No configuration" \
    "postfix postfix/mailname string test.invalid" | debconf-set-selections
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null

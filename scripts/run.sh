#!/bin/sh
# Quick start, part one: installs what is missing, builds, and runs the program.
# The milter-manager daemon is not built yet; until it is, this runs the
# nearest working program, milter-packet-dump, on a sample MTA-to-milter
# session (negotiate, connect, helo, mail, rcpt, header, body, end, quit).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
"$top/scripts/deps.sh" build
"$top/scripts/build.sh"
# One session as Postfix would send it; lengths count the command byte.
printf '\0\0\0\015O\0\0\0\006\0\0\001\377\0\037\377\377'\
'\0\0\0\035Cmx.client.test\0004\000\031192.0.2.1\0'\
'\0\0\0\015Hclient.test\0'\
'\0\0\0\037M<alice@example.test>\0SIZE=512\0'\
'\0\0\0\023R<bob@example.net>\0'\
'\0\0\0\017LSubject\0hello\0'\
'\0\0\0\001N'\
'\0\0\0\012BHi Bob.\r\n'\
'\0\0\0\001E'\
'\0\0\0\001Q' | "$build/src/milter-packet-dump" "$@"

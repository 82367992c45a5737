#!/bin/sh
# client-miltertest.sh - miltertest (the MTA side) against milters written
# on libmilter-client: milter-test-client and test/client/milters/*.
#
# Every event, protocol 6 with per-stage macro lists, 100 recipients, a
# 10 MiB body, no-reply steps, each end-of-message modification checked
# with mt.eom_check, a reply code. Skips (TAP SKIP) only when miltertest
# is not installed.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/test/integration/lib.sh"
it_init
B=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
LUA=$IT_DIR/miltertest
TEST_CLIENT=$B/src/milter-test-client
HEADER_CLIENT=$B/test/client/milters/milter-header-client

it_have_pkgs miltertest || tap_skip_all "missing package: $IT_MISSING"
tap_plan 12

run_miltertest() { # NAME SCRIPT -D ... : output in $IT_WORK/NAME.mt
    _name=$1
    _script=$2
    shift 2
    stdbuf -o0 miltertest "$@" -s "$LUA/$_script" >"$IT_WORK/$_name.mt" 2>&1
    _rc=$?
    [ $_rc -eq 0 ] || { tap_diag "miltertest $_name exited $_rc"; tap_diag_file "$IT_WORK/$_name.mt"; }
    return $_rc
}

# A 10 MiB body of 76-character lines.
head -c 8000000 /dev/urandom | base64 -w 76 | head -c 10485760 >"$IT_WORK/body"

# 1-3: every event through milter-test-client (glib), with macro lists.
it_start events "$TEST_CLIENT" -s "unix:$IT_WORK/events.sock" \
    --request-macros 'connect=j {daemon_name} _' \
    --request-macros 'envelope-from=i {mail_addr}' \
    --request-macros 'envelope-recipient={rcpt_addr}'
EVENTS_PID=$IT_PID
it_wait_unix "$IT_WORK/events.sock" 10 "$EVENTS_PID"
tap_check "milter-test-client: every event, v6 macro lists, 100 recipients, 10 MiB body" \
    run_miltertest events client-events.lua -D "SOCK=unix:$IT_WORK/events.sock" \
    -D NRCPT=100 -D "BODY=$IT_WORK/body"
it_stop "$EVENTS_PID"
L=$IT_WORK/events.log
n_rcpt=$(grep -c '^envelope-recipient: <<rcpt[0-9]*@example.net>>$' "$L")
# The body as printed ("body: <CHUNK>" per chunk; base64 has no '>'),
# put together again, must be the file miltertest sent.
"$IT_PYTHON" -c '
import re, sys
log = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b"".join(re.findall(rb"^body: <([^>]*)>\n", log, re.M)))
' "$L" "$IT_WORK/events.body"
tap_check "milter-test-client saw 100 recipients and the whole body ($n_rcpt recipients)" \
    sh -c "test '$n_rcpt' = 100 && cmp -s '$IT_WORK/body' '$IT_WORK/events.body'"
tap_check "milter-test-client printed each event and its macros as the original" \
    "$IT_PYTHON" -c '
import sys
log = open(sys.argv[1]).read()
for expected in [
    "negotiate: version=<6>, action=<",
    "connect: host=<client.test>, address=<",
    "\n  {daemon_name}=mt\n  j=mt.test.invalid\n",
    "envelope-from: <<alice@example.test>>\nmacros:\n  i=QID42\n  {mail_addr}=alice@example.test\n",
    "envelope-recipient: <<rcpt100@example.net>>\nmacros:\n  {rcpt_addr}=rcpt100@example.net\n",
    "\nend-of-message\n",
]:
    if expected not in log:
        sys.exit("missing: %r" % expected)
' "$L"

# 4: no-reply header step, libev backend, inet socket.
PORT=$(it_free_port)
it_start nr "$TEST_CLIENT" -s "inet:$PORT@127.0.0.1" --event-loop-backend libev \
    --steps no-reply-header
NR_PID=$IT_PID
it_wait_port "$PORT" 10 "$NR_PID"
tap_check "no-reply-header negotiated and honoured (libev, inet)" \
    run_miltertest nr client-events.lua -D "SOCK=inet:$PORT@127.0.0.1" -D NRHDR=1 \
    -D NRCPT=3 -D "BODY=$IT_WORK/body"
it_stop "$NR_PID"

# 5-6: multi-thread runner.
it_start mt "$TEST_CLIENT" -s "unix:$IT_WORK/mt.sock" --multi-thread --quiet
MT_PID=$IT_PID
it_wait_unix "$IT_WORK/mt.sock" 10 "$MT_PID"
tap_check "multi-thread runner: every event" \
    run_miltertest mt1 client-events.lua -D "SOCK=unix:$IT_WORK/mt.sock" -D NRCPT=10 \
    -D "BODY=$IT_WORK/body"
tap_check "multi-thread runner: a second session" \
    run_miltertest mt2 client-events.lua -D "SOCK=unix:$IT_WORK/mt.sock" -D NRCPT=1
it_stop "$MT_PID"

# 7-8: every modification, checked with mt.eom_check.
it_start mods "$TEST_CLIENT" -s "unix:$IT_WORK/mods.sock" --progress \
    --add-header X-Added:yes --insert-header 0:X-Inserted:first \
    --change-header Subject:1:changed --delete-header X-Remove:1 \
    --add-recipient '<added@example.net>' --delete-recipient '<bob@example.net>' \
    --replace-body "$(printf 'replaced body\r')
" --quarantine 'held for review'
MODS_PID=$IT_PID
it_wait_unix "$IT_WORK/mods.sock" 10 "$MODS_PID"
tap_check "modifications: add/insert/change/delete header, add/delete recipient, replace body, quarantine" \
    run_miltertest mods client-modifications.lua -D "SOCK=unix:$IT_WORK/mods.sock" -D CHECK=all
tap_check "each modification was checked" \
    test "$(grep -c '^OK: ' "$IT_WORK/mods.mt")" = 8
it_stop "$MODS_PID"

# 9: reply code at end-of-message.
it_start reject "$TEST_CLIENT" -s "unix:$IT_WORK/reject.sock" \
    --reply end-of-message=reject --reply-code '550 5.7.1 go away'
REJECT_PID=$IT_PID
it_wait_unix "$IT_WORK/reject.sock" 10 "$REJECT_PID"
tap_check "reject with a reply code" \
    run_miltertest reject client-modifications.lua -D "SOCK=unix:$IT_WORK/reject.sock" -D CHECK=reject
it_stop "$REJECT_PID"

# 10-12: the small test milter on the library.
PORT=$(it_free_port)
it_start header "$HEADER_CLIENT" -s "inet:$PORT@127.0.0.1" --reject-recipient reject@
HEADER_PID=$IT_PID
it_wait_port "$PORT" 10 "$HEADER_PID"
tap_check "milter-header-client: every event, 100 recipients, 10 MiB body" \
    run_miltertest header-events client-events.lua -D "SOCK=inet:$PORT@127.0.0.1" \
    -D NRCPT=100 -D "BODY=$IT_WORK/body"
tap_check "milter-header-client: header added, recipient rejected with a reply code" \
    run_miltertest header-mods client-modifications.lua -D "SOCK=inet:$PORT@127.0.0.1" -D CHECK=header
it_stop "$HEADER_PID"
tap_check "milter-header-client stopped cleanly on SIGTERM" test "$IT_STATUS" = 0

tap_done

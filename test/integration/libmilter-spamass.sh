#!/bin/sh
# libmilter-spamass.sh - Debian's spamass-milter with a real spamd gives the same results on our libmilter as on Sendmail's
#
# SYNOPSIS
#   top_srcdir=SRC top_builddir=BUILD sh test/integration/libmilter-spamass.sh
#
# DESCRIPTION
#   spamd (packages spamd and spamassassin) runs in the foreground on a
#   unix socket in the work directory with the rules Debian ships in
#   /usr/share/spamassassin (no sa-update), local tests only (-L: no DNS),
#   no user configuration (-x), and a site configuration directory of our
#   own instead of /etc/spamassassin: a .pre loading the Check plugin and
#   the eval plugins, and a local.cf without Bayes, with report_safe 0
#   (spam keeps its body, so outputs hold no random MIME boundary) and
#   without the X-Spam-Report header (its rule lines come in Perl's
#   random hash order). spamd, started by root, reads it as nobody, so the
#   work directory is made 0711. The unmodified /usr/sbin/spamass-milter
#   (spamc -U SOCKET) runs once on Sendmail's libmilter and once with our
#   build tree's libmilter first in LD_LIBRARY_PATH (/proc/PID/maps must
#   show ours). milter-test-server
#   sends each a plain message (X-Spam-Status: No) and one with the GTUBE
#   test string, generated here (X-Spam-Flag: YES, GTUBE among the tests).
#   Both outputs must be equal on both libraries and both milters must
#   exit after SIGTERM. Waits are bounded polls. Prints TAP; skipped only
#   without spamass-milter, spamd or spamassassin.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/test/integration/lib.sh"

if ! it_have_pkgs spamass-milter spamd spamassassin spamc; then
    tap_skip_all "not installed: $IT_MISSING"
fi
it_init
tap_plan 10
W=$IT_WORK

# Started by root, spamd reads its configuration as nobody: the work
# directory must let it through (its files stay readable only).
chmod 0711 "$W"
mkdir -p "$W/site" "$W/home"
cat >"$W/site/init.pre" <<'EOF'
loadplugin Mail::SpamAssassin::Plugin::Check
loadplugin Mail::SpamAssassin::Plugin::HeaderEval
loadplugin Mail::SpamAssassin::Plugin::BodyEval
loadplugin Mail::SpamAssassin::Plugin::MIMEEval
EOF
cat >"$W/site/local.cf" <<'EOF'
use_bayes 0
bayes_auto_learn 0
report_safe 0
remove_header all Report
EOF
it_start spamd /usr/sbin/spamd -x -L -C /usr/share/spamassassin --siteconfigpath="$W/site" \
    --socketpath="$W/spamd.sock" -m 2 --min-children=1 -H "$W/home" -s stderr
if it_wait_unix "$W/spamd.sock" 60 "$IT_PID"; then
    tap_ok "spamd listens on its unix socket"
else
    tap_not_ok "spamd listens on its unix socket"
    tap_diag_file "$W/spamd.log"
fi

# GTUBE, the public test string every SpamAssassin knows, built from its
# parts here.
gtube="XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
for lib in sendmail ours; do
    on="on Sendmail's libmilter"
    [ $lib = ours ] && on="on our libmilter"
    port=$(it_free_port)
    it_start_on $lib "spamass-$lib" /usr/sbin/spamass-milter -p "inet:$port@127.0.0.1" \
        -- -U "$W/spamd.sock"
    pid=$IT_PID
    eval "pid_$lib=\$pid"
    it_wait_port "$port" 15 "$pid" || tap_diag_file "$W/spamass-$lib.log"
    [ $lib = ours ] && tap_check_our_libmilter spamass-milter "$pid"
    set -- -f '<sender@example.com>' -r '<receiver@example.org>' -h 'From:<sender@example.com>'
    it_test_server "$W/$lib.ham" "inet:$port@127.0.0.1" "$@" -h 'Subject:tomorrow' \
        -b 'See you tomorrow.'
    it_test_server "$W/$lib.spam" "inet:$port@127.0.0.1" "$@" -h 'Subject:offer' \
        -b "Buy now. $gtube"
    if grep -q '^+ X-Spam-Status: No, score=' "$W/$lib.ham" && ! grep -q '^+ X-Spam-Flag:' "$W/$lib.ham"; then
        tap_ok "$on: the plain message gets X-Spam-Status: No"
    else
        tap_not_ok "$on: the plain message gets X-Spam-Status: No"
        tap_diag_file "$W/$lib.ham.raw"
        tap_diag_file "$W/spamass-$lib.log"
    fi
    if grep -q '^+ X-Spam-Flag: YES$' "$W/$lib.spam" &&
        grep -q '^+ X-Spam-Status: Yes, score=1[0-9][0-9][0-9]\.[0-9] required=5\.0 tests=GTUBE,' "$W/$lib.spam"; then
        tap_ok "$on: GTUBE gets X-Spam-Flag: YES and X-Spam-Status: Yes (tests=GTUBE,...)"
    else
        tap_not_ok "$on: GTUBE gets X-Spam-Flag: YES and X-Spam-Status: Yes (tests=GTUBE,...)"
        tap_diag_file "$W/$lib.spam.raw"
        tap_diag_file "$W/spamass-$lib.log"
    fi
done
# shellcheck disable=SC2154 # set by eval above
tap_check_both_libs spamass-milter "$pid_sendmail" "$pid_ours" ham spam
tap_done

#!/usr/bin/env bash
# End-to-end checks of --report-html, rendered by headless Chromium (Debian's
# chromium package): the page renders with its tables, its numbers equal the
# text report's for the same run (tests/e2e/html-compare.py), it references
# nothing outside itself, wire strings holding HTML are shown as text, and
# the file is created like --json FILE (0600, never through a symlink);
# mail policies (critical first) and tunnelled servers are listed.
#   html.sh BINARY TMPDIR [--screenshot FILE]
# With --screenshot, the screenshot of the report of pcaps/mixed-mail.pcapng
# and pcaps/smtp-auth-plain-cleartext.pcap is also copied to FILE (that is how
# docs/report-html.png is made).
set -u
bin=$1 tmp=$2/html
shot_to=
[ "${3:-}" = --screenshot ] && shot_to=${4:?--screenshot FILE}
case $shot_to in ""|/*) ;; *) shot_to=$PWD/$shot_to ;; esac
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
case $tmp in /*) ;; *) tmp=$PWD/$tmp ;; esac
export TZ=GMT0 LC_ALL=C HOME=$tmp/home
fails=0
fail() { echo "FAIL html: $*"; fails=$((fails + 1)); }
rm -rf "$tmp"
mkdir -p "$tmp/home"
if ! command -v chromium >/dev/null; then
	echo "FAIL html: chromium is not installed (tools/install-deps.sh installs it)"
	exit 1
fi

# chromium MODE FILE OUT: MODE dump (the DOM after loading) or shot (PNG).
chromium_run() {
	local mode=$1 file=$2 out=$3
	local flags=(--headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile"
		--no-first-run --disable-background-networking)
	if [ "$mode" = dump ]; then
		timeout 120 chromium "${flags[@]}" --dump-dom "file://$file" >"$out" 2>"$tmp/chromium.err"
	else
		timeout 120 chromium "${flags[@]}" --window-size=1100,1700 --hide-scrollbars \
			--screenshot="$out" "file://$file" >/dev/null 2>"$tmp/chromium.err"
	fi
}

# check NAME ARGS...: one run with --report-html, then the page's checks.
check() {
	local name=$1
	shift
	local page="$tmp/$name.html"
	"$bin" -q "$@" --report-html "$page" >"$tmp/$name.txt" 2>"$tmp/$name.err" ||
		{ fail "$name: exit status $?"; return; }
	[ "$(stat -c %a "$page")" = 600 ] || fail "$name: the report is mode $(stat -c %a "$page"), not 0600"
	# Nothing outside the file: no URL or file named in a tag or in the
	# style sheet, no script. (Text may say anything: it is escaped.)
	local refs='https?:|//|src=|href=|url\(|@import|<script|<link|<iframe|<object|<embed|<img|<base|<meta http'
	if { grep -o '<[^>]*>' "$page"; sed -n 's/.*<style>\(.*\)<\/style>.*/\1/p' "$page"; } |
		grep -Eiq "$refs"; then
		fail "$name: the page references something outside itself or holds a script:"
		grep -o '<[^>]*>' "$page" | grep -Ei "$refs" | head -3
	fi
	chromium_run dump "$page" "$tmp/$name.dom" || { fail "$name: chromium --dump-dom failed"; head -3 "$tmp/chromium.err"; return; }
	for id in totals ports servers clients; do
		grep -q "<table id=\"$id\">" "$tmp/$name.dom" || fail "$name: no table '$id' in the rendered page"
	done
	grep -q '<svg id="timeline-chart"' "$tmp/$name.dom" || fail "$name: no chart of the sessions over time"
	python3 "$here/html-compare.py" "$tmp/$name.dom" "$tmp/$name.txt" >"$tmp/$name.cmp" ||
		{ fail "$name: the page's numbers differ from the text report's"; head -5 "$tmp/$name.cmp"; }
}

# From the top of the tree, so that the page names the captures as the
# README does.
cd "$top" || exit 1
check mixed -r pcaps/mixed-mail.pcapng -r pcaps/smtp-auth-plain-cleartext.pcap
chromium_run shot "$tmp/mixed.html" "$tmp/mixed.png" || fail "chromium --screenshot failed"
[ "$(head -c 8 "$tmp/mixed.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	fail "the screenshot is not a PNG"
[ -n "$shot_to" ] && cp "$tmp/mixed.png" "$shot_to"

# Every bundled capture in one run: the biggest tables (IPv6 servers,
# wrapped rows in the text report).
all=()
for f in "$top"/pcaps/*.pcap "$top"/pcaps/*.pcapng; do
	[ -f "$f" ] && all+=(-r "$f")
done
check all "${all[@]}"

# Mail policies and tunnels: a stripped delivery to a DANE- and
# MTA-STS-protected MX (--policy: mode enforce) and a real VXLAN capture
# (whose cleartext RCPT TO is tlswatch.test too: a third critical alert).
check policy -r pcaps/policy-dane-strip.pcap -r pcaps/tunnel-vxlan-smtp.pcap \
	--policy tests/e2e/policy-enforce.list
if [ -f "$tmp/policy.dom" ]; then
	grep -q '<tr class="crit" id="critical"><th>Critical: mail policy violated</th><td class="n">3</td></tr>' "$tmp/policy.dom" ||
		fail "policy: no critical line in the totals"
	grep -q '<table id="policies">' "$tmp/policy.dom" || fail "policy: no table of mail policies"
	grep -q '<tr class="crit"><td>127.0.0.25:25</td><td>tlswatch.test</td><td>enforce</td><td>yes</td><td class="n">1</td><td class="n">1</td></tr>' "$tmp/policy.dom" ||
		fail "policy: the violated server is not in the policies table"
	# The critical kinds lead the alerts table.
	sed -n '/<table id="alerts">/,/<\/table>/p' "$tmp/policy.dom" | grep -o '<tr[^>]*><td>[a-z-]*</td><td>[a-z]*</td>' |
		head -2 | grep -c 'class="crit".*critical' | grep -q '^2$' ||
		fail "policy: the critical alerts do not lead the alerts table"
	grep -q '<tr><td>192.0.2.1:25</td><td>smtp</td><td class="n">2</td><td class="n">2</td><td>vxlan</td></tr>' "$tmp/policy.dom" ||
		fail "tunnel: the VXLAN server is not in the tunnelled traffic table"
fi
if [ -f "$tmp/mixed.dom" ]; then
	grep -Eq 'id="(policies|tunnels|critical)"' "$tmp/mixed.dom" &&
		fail "mixed: policy or tunnel tables without a policy or a tunnel"
fi

# The comparison can fail: one number changed in the per-port table (one
# the text report has too) is found.
if [ -f "$tmp/all.dom" ]; then
	perl -0pe 's/(<table id="ports".*?<td class="n">)(\d+)(<\/td>)/$1 . ($2 + 6) . $3/se' \
		"$tmp/all.dom" >"$tmp/bad.dom"
	cmp -s "$tmp/all.dom" "$tmp/bad.dom" && fail "no number to change in the per-port table"
	python3 "$here/html-compare.py" "$tmp/bad.dom" "$tmp/all.txt" >/dev/null &&
		fail "html-compare.py did not see a changed number"
fi

# Hostile wire strings: user names and an SNI holding markup are text.
python3 "$here/gen-hostile-html.py" "$tmp/hostile.pcap" || fail "gen-hostile-html.py failed"
check hostile -r "$tmp/hostile.pcap"
if [ -f "$tmp/hostile.dom" ]; then
	grep -q '<td>&lt;script&gt;alert("pop3")&lt;/script&gt;</td>' "$tmp/hostile.dom" ||
		fail "hostile: the <script> user name is not shown as text"
	grep -q "<td>&lt;img src=x onerror=alert(1)&gt;&amp;amp;'</td>" "$tmp/hostile.dom" ||
		fail "hostile: the <img> user name is not shown as text"
	grep -Eq '<script|<img' "$tmp/hostile.dom" && fail "hostile: markup from the wire in the rendered page"
	grep -q 'secret-html' "$tmp/hostile.html" && fail "hostile: a login secret is in the report"
fi
# A hostile source name (the capture's file name) is escaped too.
cp "$tmp/hostile.pcap" "$tmp/<b>x.pcap"
"$bin" -q -r "$tmp/<b>x.pcap" --report-html "$tmp/name.html" >/dev/null 2>&1 || fail "hostile name: exit status"
grep -q '<b>x.pcap' "$tmp/name.html" && fail "the capture's name is not escaped"

# Created like --json FILE: a symlink is refused, an existing file replaced.
ln -s "$tmp/target" "$tmp/link.html"
if "$bin" -q -r "$top/pcaps/mixed-mail.pcapng" --report-html "$tmp/link.html" >/dev/null 2>"$tmp/link.err"; then
	fail "--report-html through a symlink was accepted"
fi
[ -e "$tmp/target" ] && fail "--report-html wrote through a symlink"
grep -q 'symbolic link' "$tmp/link.err" || fail "no message for the symlink: $(cat "$tmp/link.err")"
printf 'old contents that are longer than nothing\n' >"$tmp/old.html"
"$bin" -q -r "$top/pcaps/mixed-mail.pcapng" --report-html "$tmp/old.html" >/dev/null 2>&1
grep -q 'old contents' "$tmp/old.html" && fail "an existing report file was not replaced"
head -1 "$tmp/old.html" | grep -q '<!DOCTYPE html>' || fail "the replaced report does not start with its doctype"

# A failed write is exit status 2 with one message, like --json FILE.
rc=0
"$bin" -q -r "$top/pcaps/mixed-mail.pcapng" --report-html /dev/full >/dev/null 2>"$tmp/full.err" || rc=$?
[ $rc -eq 2 ] || fail "a failed write of the report: exit status $rc, not 2"
grep -q '^tlswatch: --report-html /dev/full: write error' "$tmp/full.err" ||
	fail "a failed write of the report: no message ($(head -1 "$tmp/full.err"))"

[ $fails -eq 0 ] && echo "html: rendered in chromium, numbers equal to the text report's, self-contained, escaped"
[ $fails -eq 0 ]

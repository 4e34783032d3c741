#!/usr/bin/env bash
# tests/e2e/cli.sh BINARY TMPDIR - the command line a tcpdump user brings:
# options and filter words in any order, several files after one -r, -F,
# -c, -w, -n, -l, -v, -s 0, -r -, --report, --local-time, and a capture read
# from a FIFO analysed as it arrives (not when the pipe closes).
set -u
bin=$1 tmp=$2/cli
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
fails=0 checks=0
mkdir -p "$tmp"
fail() { echo "FAIL cli: $*"; fails=$((fails + 1)); }
check() { checks=$((checks + 1)); }

# waitfor FILE PATTERN SECONDS: polls until FILE has a line matching
# PATTERN; false when SECONDS passed without one.
waitfor() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -le $end ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ---- a FIFO fed slowly: the record comes while the writer holds it open ----
for cap in smtp-auth-plain-cleartext.pcap mixed-mail.pcapng; do
	check
	fifo=$tmp/fifo.$cap rel=$tmp/release.$cap out=$tmp/fifo.$cap.json
	rm -f "$fifo" "$rel" "$out"
	mkfifo "$fifo"
	python3 "$here/slow-writer.py" "$top/pcaps/$cap" "$fifo" "$rel" >"$tmp/writer.$cap.out" &
	wpid=$!
	"$bin" -q -r "$fifo" --json "$out" >/dev/null 2>"$tmp/fifo.$cap.err" &
	tpid=$!
	if ! waitfor "$out" '"type":"session"' 30; then
		fail "$cap through a FIFO: no session record while the writer kept the FIFO open"
	elif [ -e "$rel" ] || ! kill -0 $wpid 2>/dev/null; then
		fail "$cap through a FIFO: the writer was gone before the record came"
	fi
	touch "$rel"
	wait $wpid
	wait $tpid || fail "$cap through a FIFO: exit status $?"
	grep -q written "$tmp/writer.$cap.out" || fail "$cap: the writer did not write everything"
done

# ---- SIGINT while waiting on a FIFO: the run ends with its report ----
for cap in smtp-auth-plain-cleartext.pcap mixed-mail.pcapng; do
	check
	fifo=$tmp/int.$cap rel=$tmp/int-release.$cap out=$tmp/int.$cap.txt
	rm -f "$fifo" "$rel" "$out"
	mkfifo "$fifo"
	python3 "$here/slow-writer.py" "$top/pcaps/$cap" "$fifo" "$rel" >/dev/null &
	wpid=$!
	"$bin" -q -l -r "$fifo" >"$out" 2>"$tmp/int.$cap.err" &
	tpid=$!
	waitfor "$out" '^#1 ' 30 || fail "$cap: no session line through the FIFO before SIGINT"
	kill -INT $tpid
	wait $tpid
	rc=$?
	[ $rc = 0 ] || fail "$cap: SIGINT while reading a FIFO: exit $rc: $(head -2 "$tmp/int.$cap.err")"
	grep -q '^Per port:' "$out" || fail "$cap: SIGINT while reading a FIFO: no report"
	touch "$rel"
	wait $wpid
done

P=$top/pcaps
mixed=$P/mixed-mail.pcapng
# ports PRINTS: the PORT column of the per-port table of a text report.
ports() { sed -n '/^Per port:/,/^$/p' "$1" | awk 'NR > 2 && NF { print $1 }' | paste -sd, -; }

# ---- the filter before, between and after the options ----
check
"$bin" 'tcp port 465' -r "$mixed" --report summary >"$tmp/perm1.txt" 2>&1 || fail "filter first: exit $?"
[ "$(ports "$tmp/perm1.txt")" = 465/tcp ] || fail "filter before -r: ports '$(ports "$tmp/perm1.txt")'"
check
"$bin" -r "$mixed" tcp port 465 -q --report summary >"$tmp/perm2.txt" 2>&1 || fail "options after: exit $?"
[ "$(ports "$tmp/perm2.txt")" = 465/tcp ] || fail "options after the filter: ports '$(ports "$tmp/perm2.txt")'"
check
"$bin" -q -r "$mixed" -- tcp port 465 >/dev/null 2>&1 || fail "'--' before the filter: exit $?"

# ---- several files after one -r (a shell glob), a filter after them ----
check
"$bin" -q -r "$P/imap-login.pcap" "$P/pop3-user-pass.pcap" >"$tmp/two.txt" 2>"$tmp/two.err" ||
	fail "-r a.pcap b.pcap: exit $?: $(head -2 "$tmp/two.err")"
[ "$(ports "$tmp/two.txt")" = 110/tcp,143/tcp ] || fail "-r a.pcap b.pcap read '$(ports "$tmp/two.txt")'"
check
"$bin" -q -r "$P/imap-login.pcap" "$P/pop3-user-pass.pcap" tcp port 110 >"$tmp/two-f.txt" 2>&1 ||
	fail "-r a b FILTER: exit $?"
[ "$(ports "$tmp/two-f.txt")" = 110/tcp ] || fail "-r a b 'tcp port 110' read '$(ports "$tmp/two-f.txt")'"
check
"$bin" -q -r "$P/imap-login.pcap" "$P/README.md" >/dev/null 2>"$tmp/notcap.err" &&
	fail "a file that is no capture after -r was not taken for a (bad) filter"
grep -q "bad filter" "$tmp/notcap.err" || fail "no 'bad filter' message: $(head -2 "$tmp/notcap.err")"

# ---- -F FILE ----
check
printf '# only implicit TLS on 465\ntcp port 465 # smtps\n' >"$tmp/f.bpf"
"$bin" -r "$mixed" -F "$tmp/f.bpf" --report summary >"$tmp/F.txt" 2>&1 || fail "-F: exit $?"
[ "$(ports "$tmp/F.txt")" = 465/tcp ] || fail "-F: ports '$(ports "$tmp/F.txt")'"
check
"$bin" -r "$mixed" -F "$tmp/f.bpf" tcp >/dev/null 2>"$tmp/F2.err" && fail "-F with a filter too was accepted"
grep -q 'a filter was also given' "$tmp/F2.err" || fail "-F and FILTER: message '$(cat "$tmp/F2.err")'"
check
"$bin" -r "$mixed" -F "$tmp/missing.bpf" >/dev/null 2>&1; [ $? = 2 ] || fail "-F missing file: not exit 2"

# ---- -c COUNT and -w FILE ----
check
rm -f "$tmp/c5.pcap"
"$bin" -r "$mixed" -c 5 -w "$tmp/c5.pcap" -v --report summary >/dev/null 2>"$tmp/c5.err" || fail "-c -w: exit $?"
grep -q 'mixed-mail.pcapng: 5 packets read' "$tmp/c5.err" || fail "-c 5 did not stop at 5: $(cat "$tmp/c5.err")"
"$bin" -r "$tmp/c5.pcap" -v --report summary >/dev/null 2>"$tmp/c5r.err" || fail "-w file unreadable: exit $?"
grep -q 'c5.pcap: 5 packets read' "$tmp/c5r.err" || fail "-w file has not 5 packets: $(cat "$tmp/c5r.err")"
check
[ "$(stat -c %a "$tmp/c5.pcap")" = 600 ] || fail "-w file mode $(stat -c %a "$tmp/c5.pcap"), not 600"
for cap in mixed-mail.pcapng downgrade-smtp-strip.pcap; do
	check
	"$bin" -q -r "$P/$cap" -w "$tmp/all.pcap" >"$tmp/orig.txt" 2>&1 || fail "-w $cap: exit $?"
	"$bin" -q -r "$tmp/all.pcap" >"$tmp/copy.txt" 2>&1 || fail "reading -w's copy of $cap: exit $?"
	cmp -s "$tmp/orig.txt" "$tmp/copy.txt" || fail "-w's copy of $cap does not give the same report"
done
check
echo keep >"$tmp/target"
ln -sf "$tmp/target" "$tmp/link.pcap"
"$bin" -q -r "$mixed" -w "$tmp/link.pcap" >/dev/null 2>"$tmp/wlink.err" && fail "-w through a symlink was accepted"
[ "$(cat "$tmp/target")" = keep ] || fail "-w wrote through a symlink"
check
"$bin" -q -r "$mixed" -w - >/dev/null 2>&1; [ $? = 2 ] || fail "-w - (stdout, where the report goes) not refused"

# ---- -n, -s 0, -l, -r -: accepted, the same report ----
"$bin" -q -r "$mixed" >"$tmp/plain.txt" 2>&1
for opts in "-n" "-s 0" "-l" "-n -l -s 0"; do
	check
	# shellcheck disable=SC2086
	"$bin" -q $opts -r "$mixed" >"$tmp/opt.txt" 2>&1 || fail "$opts: exit $?"
	cmp -s "$tmp/plain.txt" "$tmp/opt.txt" || fail "$opts changed the report"
done
check
"$bin" -q -r - <"$mixed" >"$tmp/stdin.txt" 2>&1 || fail "-r - : exit $?"
cmp -s "$tmp/plain.txt" "$tmp/stdin.txt" || fail "-r - (stdin) gives another report"

# ---- -v ----
check
"$bin" -q -v -r "$P/imap-login.pcap" >/dev/null 2>"$tmp/v.err" || fail "-v: exit $?"
grep -q 'reading from file .*imap-login.pcap, link-type EN10MB, snapshot length [0-9]' "$tmp/v.err" ||
	fail "-v: no 'reading from file' line: $(cat "$tmp/v.err")"
grep -q 'imap-login.pcap: [0-9]* packets read; 1 sessions so far' "$tmp/v.err" ||
	fail "-v: no packet count: $(cat "$tmp/v.err")"

# ---- -D ----
check
if "$bin" -D >"$tmp/D.txt" 2>"$tmp/D.err"; then
	grep -q '^1\.' "$tmp/D.txt" || fail "-D: no numbered list: $(head -3 "$tmp/D.txt")"
	grep -q '^[0-9]*\.lo ' "$tmp/D.txt" || fail "-D: no loopback listed: $(cat "$tmp/D.txt")"
else
	grep -q 'tlswatch: -D' "$tmp/D.err" || fail "-D failed without a message"
fi

# ---- --local-time ----
check
TZ=GMT0 "$bin" -q -r "$P/imap-login.pcap" >"$tmp/utc.txt" 2>&1
TZ=CET-1 "$bin" -q -r "$P/imap-login.pcap" >"$tmp/utc2.txt" 2>&1
TZ=CET-1 "$bin" -q --local-time -r "$P/imap-login.pcap" >"$tmp/local.txt" 2>&1
TZ=CET-1 "$bin" -q --local-time -r "$P/imap-login.pcap" --json - >"$tmp/local.json" 2>&1
grep -q '^#1  2026-11-25T08:12:19.205913Z ' "$tmp/utc.txt" || fail "UTC time: $(head -1 "$tmp/utc.txt")"
cmp -s "$tmp/utc.txt" "$tmp/utc2.txt" || fail "TZ changed the report without --local-time"
grep -q '^#1  2026-11-25T09:12:19.205913+01:00 ' "$tmp/local.txt" || fail "--local-time: $(head -1 "$tmp/local.txt")"
grep -q '"ts_first":"2026-11-25T08:12:19.205913Z"' "$tmp/local.json" || fail "--local-time changed JSON"

# ---- --local-time on the dashboard (tmux gives it a terminal) ----
if command -v tmux >/dev/null; then
	sock=tlswatch-cli-$$
	T() { tmux -L "$sock" -f /dev/null "$@"; }
	screen_has() { T capture-pane -p -t "$1" 2>/dev/null | grep -q "$2"; }
	# Session "keep" holds the server up: when the first dashboard quits,
	# the server must not be exiting under the next new-session (it was,
	# now and then: "server exited unexpectedly"), as in tui.sh.
	T new-session -d -s keep -x 20 -y 5 -- sleep 100000 || fail "tmux: cannot start"
	for mode in utc local; do
		check
		want='08:12:19' opt=
		[ $mode = local ] && want='09:12:19' opt=--local-time
		T new-session -d -s $mode -x 100 -y 30 -- env TZ=CET-1 "$bin" --tui $opt \
			-r "$P/imap-login.pcap" || { fail "tmux: cannot start"; continue; }
		end=$((SECONDS + 30))
		until screen_has $mode "^$want " || [ $SECONDS -gt $end ]; do sleep 0.05; done
		screen_has $mode "^$want " ||
			fail "dashboard ($mode): no session at $want: $(T capture-pane -p -t $mode | sed -n 6,9p)"
		T send-keys -t $mode q
	done
	T kill-server 2>/dev/null
fi

# ---- --report ----
check
"$bin" -q -r "$mixed" --report alerts >"$tmp/ra.txt" 2>&1 || fail "--report alerts: exit $?"
[ -s "$tmp/ra.txt" ] || fail "--report alerts printed nothing for mixed-mail"
grep -qv '^  ' "$tmp/ra.txt" && fail "--report alerts printed more than alert lines: $(grep -v '^  ' "$tmp/ra.txt" | head -2)"
grep -c '^  [a-z]' "$tmp/ra.txt" >"$tmp/ra.n"
grep -q "^Alerts: $(cat "$tmp/ra.n")\$" "$tmp/plain.txt" || fail "--report alerts: not every alert of the full report"
check
"$bin" -q -r "$P/smtps-465.pcap" --report alerts >"$tmp/ra0.txt" 2>&1 || fail "--report alerts: exit $?"
[ -s "$tmp/ra0.txt" ] && fail "--report alerts printed something without alerts: $(head -2 "$tmp/ra0.txt")"
check
"$bin" -q -r "$mixed" --report summary >"$tmp/rs.txt" 2>&1 || fail "--report summary: exit $?"
grep -q '^#' "$tmp/rs.txt" && fail "--report summary listed sessions"
grep -q '^  [a-z]* *[a-z-]* *session #' "$tmp/rs.txt" && fail "--report summary listed alerts"
grep -q '^Per server:' "$tmp/rs.txt" && grep -q '^Alerts: ' "$tmp/rs.txt" || fail "--report summary: no tables"
check
"$bin" -q -r "$mixed" --report problems >"$tmp/rp.txt" 2>&1 || fail "--report problems: exit $?"
grep -q '^Per port:' "$tmp/rp.txt" && fail "--report problems printed the tables"
grep -A1 '^#' "$tmp/rp.txt" | grep -q 'implicit-tls\|  starttls' && ! grep -q 'alerts=' "$tmp/rp.txt" &&
	fail "--report problems listed a session without a problem"
[ "$(grep -c '^#' "$tmp/rp.txt")" -lt "$(grep -c '^#' "$tmp/plain.txt")" ] ||
	fail "--report problems listed every session"
[ "$(grep -c '^#' "$tmp/rp.txt")" -gt 0 ] || fail "--report problems listed no session"
check
"$bin" --report bogus -r "$mixed" >/dev/null 2>&1; [ $? = 2 ] || fail "--report bogus: not exit 2"

# ---- the README's --fail-on example: the alerts, and exit 1 ----
check
"$bin" -q -r "$P/smtp-auth-plain-cleartext.pcap" --report alerts --fail-on cleartext-login,upgrade-refused \
	>"$tmp/failon.txt" 2>&1
rc=$?
[ $rc = 1 ] || fail "README --fail-on example: exit $rc, not 1"
grep -qE '^  high +cleartext-login ' "$tmp/failon.txt" || fail "README --fail-on example: no alert line"
grep -q '^#\|^Per ' "$tmp/failon.txt" && fail "README --fail-on example printed more than the alerts"

# ---- -l: a session line reaches a file as soon as it is known ----
# A regular file replayed slowly: without -l standard output (a file) is
# block-buffered and the lines come at the end; with -l the first session's
# line is there while the replay still runs.
check
out=$tmp/l.txt
rm -f "$out"
"$bin" -q -l --replay-speed 0.1 -r "$mixed" >"$out" 2>/dev/null &
tpid=$!
if ! waitfor "$out" '^#1 ' 30; then
	fail "-l: no session line while the replay ran"
elif ! kill -0 $tpid 2>/dev/null; then
	fail "-l: the replay ended before the first line came (too fast to tell)"
fi
kill -INT $tpid 2>/dev/null
wait $tpid

# ---- -l against the output buffer: lines before a cut file's error ----
# Standard output to a pipe is written through a large buffer, flushed at
# the end of each capture file; -l keeps a write per line. A file cut in
# the middle: with -l the sessions finished before the cut are on the pipe
# before the error about the cut, without -l they come after it.
check
mm=$top/pcaps/mixed-mail.pcapng
head -c $(($(stat -c %s "$mm") / 2 + 7)) "$mm" >"$tmp/cut.pcapng"
"$bin" -l -r "$tmp/cut.pcapng" 2>&1 | cat >"$tmp/l-order.txt"
first=$(grep -n -m1 '^#1 ' "$tmp/l-order.txt" | cut -d: -f1)
errl=$(grep -n -m1 'cut short' "$tmp/l-order.txt" | cut -d: -f1)
[ -n "$first" ] && [ -n "$errl" ] && [ "$first" -lt "$errl" ] ||
	fail "-l: the first session line did not come before the error about the cut"
check
"$bin" -r "$tmp/cut.pcapng" 2>&1 | cat >"$tmp/buf-order.txt"
first=$(grep -n -m1 '^#1 ' "$tmp/buf-order.txt" | cut -d: -f1)
errl=$(grep -n -m1 'cut short' "$tmp/buf-order.txt" | cut -d: -f1)
[ -n "$first" ] && [ -n "$errl" ] && [ "$errl" -lt "$first" ] ||
	fail "without -l: the report was not buffered to the end of the file"

# ---- --help fits a terminal of 80 columns --------------------------------
# A label too long for the help column puts its text on the next line.
check
long=$("$bin" --help | awk 'length > 80 { print NR ": " $0 }')
[ -z "$long" ] || fail "--help has lines over 80 columns: $long"
check
"$bin" --help | grep -A1 -- '^      --established-timeout S$' | tail -n 1 | grep -q '^ \{25\}seconds of silence' ||
	fail "--help: a long label's text does not start on the next line at column 26"

echo "cli: $checks checks, $fails failed"
[ $fails -eq 0 ]

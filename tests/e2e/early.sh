#!/usr/bin/env bash
# End-to-end test: an alert is raised when its evidence is seen, not when
# its session ends (issue 14, docs/alerts.md "When an alert is raised").
#
#   tests/e2e/early.sh BINARY [TMPDIR]
#
# pcaps/imap-login-idle.pcap is a real Dovecot session: LOGIN in cleartext,
# answered OK, then the client idles before it logs out. The capture is cut
# before the first FIN and fed through a FIFO the test keeps open, with
# timeouts far beyond the capture, so the session stays open as far as
# tlswatch can tell. While the writer still holds the FIFO, the
# cleartext-login alert must reach --json, --alert-exec and syslog; the
# session record must not have been written. Then the rest of the capture
# is written and the FIFO closed: the session record follows, listing the
# alert, and no output got the alert twice. Once with one thread, once with
# --threads 2. Every wait polls with an overall limit; none is the pass
# condition by itself.
set -u
bin=${1:?usage: early.sh BINARY [TMPDIR]}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export TZ=GMT0 LC_ALL=C
unset TLSWATCH_SYSLOG_SOCKET
tmp=$(mktemp -d "${2:-/tmp}/early.XXXXXX")
pcap=$top/pcaps/imap-login-idle.pcap
listener_pid=
tw_pid=
pass=0 fail=0
LIMIT_S=60 # overall limit of each wait (a loaded machine is slow, never this slow)

cleanup() {
	exec 7>&- 2>/dev/null
	[ -n "$tw_pid" ] && kill "$tw_pid" 2>/dev/null && wait "$tw_pid" 2>/dev/null
	if [ -n "$listener_pid" ]; then
		kill "$listener_pid" 2>/dev/null
		wait "$listener_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL early $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | cut -c1-240 | head -20; done
	fail=$((fail + 1))
}

# count PATTERN FILE: lines of FILE that match (0 when FILE is missing).
count() { if [ -f "$2" ]; then grep -c -- "$1" "$2"; else echo 0; fi; }
first_line() { [ -f "$2" ] && grep -n -- "$1" "$2" | head -1 | cut -d: -f1; }

# wait_for SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds
# or the time is up (then returns 1).
wait_for() {
	local until=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$until" ] && return 1
		sleep 0.05
	done
	return 0
}

# while_running COMMAND...: COMMAND, or give up at once when tlswatch is gone
# (what it has not written by then it will not write).
while_running() {
	"$@" && return 0
	if ! kill -0 "$tw_pid" 2>/dev/null; then
		"$@" && return 0
		return 2
	fi
	return 1
}

# wait_open SECONDS COMMAND...: wait_for, while tlswatch runs.
wait_open() {
	local until=$(($(date +%s) + $1)) rc
	shift
	while :; do
		while_running "$@"
		rc=$?
		[ $rc -eq 0 ] && return 0
		[ $rc -eq 2 ] && return 1
		[ "$(date +%s)" -ge "$until" ] && return 1
		sleep 0.05
	done
}

if [ ! -f "$pcap" ]; then
	echo "FAIL early: missing capture pcaps/imap-login-idle.pcap"
	exit 1
fi

# The capture in two: the packets before the first FIN or RST, and the rest.
"$here/split-at-fin.py" "$pcap" "$tmp/part1.pcap" "$tmp/part2.bin"
[ -s "$tmp/part1.pcap" ] || { echo "FAIL early: cannot cut the capture"; exit 1; }

# A syslog socket that writes one line per message.
cat >"$tmp/listener.py" <<'EOF'
import socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).replace(b"\n", b"\\n") + b"\n")
EOF
sock=$tmp/log.sock
python3 "$tmp/listener.py" "$sock" "$tmp/syslog.msgs" &
listener_pid=$!
wait_for 10 test -S "$sock" || { echo "FAIL early: the syslog listener did not start"; exit 1; }

# The records of the whole capture read as a file, for reference.
"$bin" -q -r "$pcap" --json - 2>/dev/null | grep -E '"type":"(alert|session)"' |
	sed 's/,"sensor":.*//' >"$tmp/ref.records"
if [ "$(count '"kind":"cleartext-login"' "$tmp/ref.records")" -ne 1 ]; then
	bad "reference: one cleartext-login alert expected" "$tmp/ref.records"
	exit 1
fi

json_alert_seen() { [ "$(count '"kind":"cleartext-login"' "$1")" -ge 1 ]; }
exec_seen() { [ "$(cat "$tmp"/exec.* 2>/dev/null | grep -c '"kind":"cleartext-login"')" -ge 1 ]; }
syslog_seen() { [ "$(($(count ' cleartext-login \[' "$tmp/syslog.msgs") - $1))" -ge 1 ]; }
tw_gone() { ! kill -0 "$tw_pid" 2>/dev/null; }

# run_open NAME ARGS...: the test, with these extra options.
run_open() {
	local name=$1 out=$tmp/$1.json syslog_before
	shift
	rm -f "$tmp/fifo" "$tmp"/exec.*
	mkfifo "$tmp/fifo"
	syslog_before=$(count ' cleartext-login \[' "$tmp/syslog.msgs")
	TLSWATCH_SYSLOG_SOCKET=$sock "$bin" -q -r "$tmp/fifo" --json "$out" \
		--idle-timeout 604800 --established-timeout 604800 --syslog \
		--alert-exec "cat > $tmp/exec.\$\$" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	tw_pid=$!
	# Read-write: never blocks, and the FIFO stays open for writing.
	exec 7<>"$tmp/fifo"
	cat "$tmp/part1.pcap" >&7

	if wait_open $LIMIT_S json_alert_seen "$out"; then ok; else
		bad "$name: no cleartext-login alert in --json while the session is open" "$out" "$tmp/$name.err"
	fi
	if wait_open $LIMIT_S exec_seen; then ok; else
		bad "$name: --alert-exec did not get the alert while the session is open" "$tmp/$name.err"
	fi
	if wait_open $LIMIT_S syslog_seen "$syslog_before"; then ok; else
		bad "$name: syslog did not get the alert while the session is open" "$tmp/syslog.msgs"
	fi
	# Still reading, and the session not reported: it is open.
	if ! tw_gone; then ok; else bad "$name: tlswatch ended before the FIFO was closed" "$tmp/$name.err"; fi
	if [ "$(count '"type":"session"' "$out")" -eq 0 ]; then ok; else
		bad "$name: a session record was written before the session ended" "$out"
	fi

	cat "$tmp/part2.bin" >&7
	exec 7>&-
	if wait_for $LIMIT_S tw_gone; then ok; else
		bad "$name: tlswatch did not end after the FIFO was closed" "$tmp/$name.err"
		kill "$tw_pid" 2>/dev/null
	fi
	wait "$tw_pid" 2>/dev/null
	tw_pid=

	# The session record follows the alert, lists it, and nothing is twice.
	local n_alert n_session first_alert first_session
	n_alert=$(count '"kind":"cleartext-login"' "$out")
	n_session=$(count '"type":"session"' "$out")
	if [ "$n_alert" -eq 1 ] && [ "$n_session" -eq 1 ]; then ok; else
		bad "$name: $n_alert cleartext-login alerts and $n_session session records (1 and 1 expected)" "$out"
	fi
	first_alert=$(first_line '"kind":"cleartext-login"' "$out")
	first_session=$(first_line '"type":"session"' "$out")
	if [ -n "$first_alert" ] && [ -n "$first_session" ] && [ "$first_alert" -lt "$first_session" ]; then ok; else
		bad "$name: the alert does not come before its session record" "$out"
	fi
	if grep -s '"type":"session"' "$out" | grep -q '"alerts":\["cleartext-login"'; then ok; else
		bad "$name: the session record does not list cleartext-login" "$out"
	fi
	if grep -s '"type":"session"' "$out" | grep -q '"end":"fin"'; then ok; else
		bad "$name: the session did not end with its FIN" "$out"
	fi
	# The same records as the capture read from a file.
	grep -sE '"type":"(alert|session)"' "$out" | sed 's/,"sensor":.*//' >"$tmp/$name.records"
	if cmp -s "$tmp/ref.records" "$tmp/$name.records"; then ok; else
		diff "$tmp/ref.records" "$tmp/$name.records" >"$tmp/$name.diff"
		bad "$name: records differ from the capture read as a file" "$tmp/$name.diff"
	fi
	local n_exec n_syslog
	n_exec=$(cat "$tmp"/exec.* 2>/dev/null | grep -c '"kind":"cleartext-login"')
	n_syslog=$(($(count ' cleartext-login \[' "$tmp/syslog.msgs") - syslog_before))
	if [ "$n_exec" -eq 1 ] && [ "$n_syslog" -eq 1 ]; then ok; else
		bad "$name: --alert-exec got the alert $n_exec times, syslog $n_syslog times (once each expected)" "$tmp/syslog.msgs"
	fi
	if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$tmp/$name.err"; then
		bad "$name: sanitizer report" "$tmp/$name.err"
	fi
}

run_open single
run_open threads --threads 2

# --evidence: an alert raised while the session was open names the file
# only with --show-secrets, and that file is there once the session ended.
for threads in 1 2; do
	rm -rf "$tmp/ev" "$tmp/ev.json" && mkdir -m 700 "$tmp/ev"
	"$bin" -q -r "$top/pcaps/downgrade-imap-refuse.pcap" --evidence "$tmp/ev" --show-secrets \
		--threads $threads --json "$tmp/ev.json" >/dev/null 2>&1
	named=$(sed -n 's/.*"type":"alert","kind":"upgrade-refused".*"pcap":"\([^"]*\)".*/\1/p' "$tmp/ev.json")
	if [ -n "$named" ] && [ -s "$named" ]; then ok; else
		bad "--evidence --threads $threads: the early upgrade-refused alert names no file, or a missing one ($named)" "$tmp/ev.json"
	fi
done

echo "early: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

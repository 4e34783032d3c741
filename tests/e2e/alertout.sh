#!/usr/bin/env bash
# End-to-end tests of the alert outputs with the real binary (docs/alerts.md):
#
#   --syslog   against a real syslog socket: a python3 listener bound to a
#              temporary unix datagram socket, named by TLSWATCH_SYSLOG_SOCKET;
#              checks the priority, the structured data, one message per alert
#              and that no password from pcaps/README.md ever reaches it.
#   --alert-exec  one JSON line per alert on the command's stdin, the same
#              object as the --json alert record; slow commands run in
#              parallel, a full queue drops and counts, overdue commands are
#              terminated, failures are counted, the command's stdout never
#              mixes with --json -.
#
#   tests/e2e/alertout.sh BINARY
#
# Everything runs on unix sockets and pipes in a temporary directory; the
# listener is stopped by its PID; commands are checked to be gone at the end.
set -u
bin=${1:?usage: alertout.sh BINARY}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export TZ=GMT0 LC_ALL=C
unset TLSWATCH_SYSLOG_SOCKET
tmp=$(mktemp -d)
listener_pid=
pass=0 fail=0

cleanup() {
	if [ -n "$listener_pid" ]; then
		kill "$listener_pid" 2>/dev/null
		wait "$listener_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL alertout $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | head -20; done
	fail=$((fail + 1))
}

# The passwords of pcaps/README.md, plain and as they travel (base64).
secrets=(AlicePass2024 FtpAlice2024 ServerPass2024 CarolPass2024 BobPass2024 WrongPass999 'Pass" 2024' 'Pass\" 2024' 'Pass\\" 2024'
	AGFsaWNlAEFsaWNlUGFzczIwMjQ= QWxpY2VQYXNzMjAyNA== AGFsaWNlAFdyb25nUGFzczk5OQ==
	YWxpY2U6QWxpY2VQYXNzMjAyNA== YWxpY2U6V3JvbmdQYXNzOTk5)

# no_secret NAME FILE...: fails NAME when any password appears in the files.
no_secret() {
	local name=$1 s
	shift
	for s in "${secrets[@]}"; do
		if grep -qF -- "$s" "$@"; then
			bad "$name: a password ($s) appears in the output"
			return
		fi
	done
	ok
}

# no_sanitizer NAME FILE: a sanitizer report or crash fails NAME.
no_sanitizer() {
	if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error|Segmentation' "$2"; then
		bad "$1: sanitizer or crash report" "$2"
	fi
}

now_ms() { date +%s%3N; }

smtp=$top/pcaps/smtp-auth-plain-cleartext.pcap
all=()
# The core and login captures (a fixed set: the timing checks below size
# their limits from its alert count; the downgrade captures would only make
# the runs longer).
for f in "$top"/pcaps/*.pcap "$top"/pcaps/*.pcapng; do
	case $(basename "$f") in downgrade-*) continue ;; esac
	[ -f "$f" ] && all+=(-r "$f")
done
if [ ! -f "$smtp" ]; then
	echo "FAIL alertout: missing capture pcaps/smtp-auth-plain-cleartext.pcap"
	exit 1
fi

# The alert records --json writes, as the reference for both outputs.
"$bin" -q -r "$smtp" --json - 2>/dev/null | grep '"type":"alert"' >"$tmp/smtp.alerts"
"$bin" -q "${all[@]}" --json - 2>/dev/null | grep '"type":"alert"' >"$tmp/all.alerts"
n_smtp=$(wc -l <"$tmp/smtp.alerts")
n_all=$(wc -l <"$tmp/all.alerts")
if [ "$n_smtp" -lt 1 ] || [ "$n_all" -lt 6 ]; then
	echo "FAIL alertout: the captures raise too few alerts ($n_smtp, $n_all) to test with"
	exit 1
fi

# ---------------------------------------------------------------- syslog
cat >"$tmp/listener.py" <<'EOF'
# Receives syslog datagrams on a unix socket; one line per message in OUT.
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
for _ in $(seq 1 100); do
	[ -S "$sock" ] && break
	sleep 0.05
done
if [ ! -S "$sock" ]; then
	echo "FAIL alertout: the syslog listener did not start"
	exit 1
fi

# run_syslog NAME ARGS...: runs the binary against the listener and leaves the
# messages it sent in $tmp/NAME.msgs.
run_syslog() {
	local name=$1 before rc=0
	shift
	before=$(wc -l <"$tmp/syslog.msgs" 2>/dev/null || echo 0)
	TLSWATCH_SYSLOG_SOCKET=$sock "$bin" -q "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	sleep 0.2 # datagrams are queued when send returns; let python write them out
	tail -n +"$((before + 1))" "$tmp/syslog.msgs" >"$tmp/$name.msgs"
	no_sanitizer "$name" "$tmp/$name.err"
	return $rc
}

if run_syslog syslog-default -r "$smtp" --syslog; then ok; else bad "syslog-default: exit status" "$tmp/syslog-default.err"; fi
n=$(wc -l <"$tmp/syslog-default.msgs")
if [ "$n" -eq "$n_smtp" ]; then ok; else bad "syslog-default: $n messages for $n_smtp alerts" "$tmp/syslog-default.msgs"; fi
# authpriv (10) * 8 + warning (4) = 84 for the high-severity cleartext login,
# in RFC 5424 by default (rsyslog.sh has a real rsyslog parse it).
sd='\[tlswatch@32473 kind="cleartext-login" severity="high" session="[0-9]+" flow_id="[0-9]+" community_id="1:[A-Za-z0-9+/]{27}=" ts="[0-9T:.Z-]+" transport="tcp" client="127\.0\.0\.1:[0-9]+" server="127\.0\.0\.3:587" service="smtp"\] cleartext-login from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.3:587 \(smtp\): smtp PLAIN user=alice$'
if grep -Eq '^<84>1 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z [!-~]+ tlswatch [0-9]+ cleartext-login '"$sd" "$tmp/syslog-default.msgs"; then
	ok
else
	bad "syslog-default: no well-formed RFC 5424 cleartext-login message" "$tmp/syslog-default.msgs"
fi
# The syslog(3) socket format on request, with the same SD-ELEMENT.
run_syslog syslog-3164 -r "$smtp" --syslog --syslog-format rfc3164
if grep -Eq '^<84>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} tlswatch\[[0-9]+\]: '"$sd" "$tmp/syslog-3164.msgs"; then
	ok
else
	bad "syslog-3164: no well-formed cleartext-login message" "$tmp/syslog-3164.msgs"
fi
# authpriv + info (6) = 86 for the low-severity finding.
if grep -q '^<86>.*kind="auth-offered-in-cleartext" severity="low"' "$tmp/syslog-default.msgs"; then ok; else bad "syslog-default: low severity is not LOG_INFO" "$tmp/syslog-default.msgs"; fi
no_secret syslog-default "$tmp/syslog-default.msgs" "$tmp/syslog-default.err"

# Even --show-secrets never sends a secret to syslog: alerts carry none.
run_syslog syslog-show-secrets -r "$smtp" --syslog --show-secrets
no_secret syslog-show-secrets "$tmp/syslog-show-secrets.msgs"

# A facility by name: local3 (19) * 8 + warning (4) = 156.
run_syslog syslog-local3 -r "$smtp" --syslog=local3
if grep -q '^<156>.*kind="cleartext-login"' "$tmp/syslog-local3.msgs"; then ok; else bad "syslog-local3: wrong priority" "$tmp/syslog-local3.msgs"; fi

# Every capture: one message per alert, none with a secret.
run_syslog syslog-all "${all[@]}" --syslog
n=$(wc -l <"$tmp/syslog-all.msgs")
if [ "$n" -eq "$n_all" ]; then ok; else bad "syslog-all: $n messages for $n_all alerts" "$tmp/syslog-all.err"; fi
no_secret syslog-all "$tmp/syslog-all.msgs"

kill "$listener_pid" 2>/dev/null
wait "$listener_pid" 2>/dev/null
listener_pid=

# An unknown facility is a usage error; so is a socket nobody listens on.
rc=0
"$bin" -q -r "$smtp" --syslog=kernel >/dev/null 2>"$tmp/bad-facility.err" || rc=$?
if [ $rc -eq 2 ] && grep -q 'facility' "$tmp/bad-facility.err"; then ok; else bad "syslog-bad-facility: exit $rc" "$tmp/bad-facility.err"; fi
rc=0
TLSWATCH_SYSLOG_SOCKET=$tmp/nobody.sock "$bin" -q -r "$smtp" --syslog >/dev/null 2>"$tmp/no-socket.err" || rc=$?
if [ $rc -eq 2 ] && grep -q 'nobody.sock' "$tmp/no-socket.err"; then ok; else bad "syslog-no-socket: exit $rc" "$tmp/no-socket.err"; fi

# ---------------------------------------------------------------- alert-exec
# exec_report FILE: "ALERTS RAN SUCCEEDED FAILED DROPPED" from the finish line.
exec_report() {
	sed -nE 's/^tlswatch: --alert-exec: ([0-9]+) alerts: ([0-9]+) commands ran, ([0-9]+) succeeded, ([0-9]+) failed, ([0-9]+) dropped$/\1 \2 \3 \4 \5/p' "$1"
}

# json_check NAME FILE: every line is one JSON alert record with its fields.
json_check() {
	if python3 - "$2" >"$tmp/$1.jsoncheck" 2>&1 <<'EOF'; then ok; else bad "$1: invalid alert JSON" "$tmp/$1.jsoncheck"; fi
import json, sys
n = 0
for line in open(sys.argv[1]):
    a = json.loads(line)
    assert a["type"] == "alert", a
    for k in ("kind", "severity", "session", "ts", "server_ip", "server_port", "service", "evidence"):
        assert k in a, (k, a)
    assert a["severity"] in ("low", "medium", "high", "critical"), a
    assert isinstance(a["session"], int) and isinstance(a["server_port"], int), a
    n += 1
assert n > 0
EOF
}

# 1. One command per alert, its stdin the very record --json writes.
: >"$tmp/exec1.lines"
rc=0
"$bin" -q "${all[@]}" --alert-exec "cat >> '$tmp/exec1.lines'" >"$tmp/exec1.out" 2>"$tmp/exec1.err" || rc=$?
no_sanitizer exec-basic "$tmp/exec1.err"
if [ $rc -eq 0 ]; then ok; else bad "exec-basic: exit $rc" "$tmp/exec1.err"; fi
if diff <(sort "$tmp/all.alerts") <(sort "$tmp/exec1.lines") >"$tmp/exec1.diff"; then
	ok
else
	bad "exec-basic: the commands' input differs from the --json alert records" "$tmp/exec1.diff"
fi
json_check exec-basic "$tmp/exec1.lines"
no_secret exec-basic "$tmp/exec1.lines" "$tmp/exec1.err"
if [ "$(exec_report "$tmp/exec1.err")" = "$n_all $n_all $n_all 0 0" ]; then ok; else bad "exec-basic: report" "$tmp/exec1.err"; fi

# 2. The command's stdout goes to stderr: --json - stays pure JSON Lines.
rc=0
"$bin" -q -r "$smtp" --json - --alert-exec 'cat; echo not-json' >"$tmp/exec2.out" 2>"$tmp/exec2.err" || rc=$?
if [ $rc -eq 0 ] && ! grep -q 'not-json' "$tmp/exec2.out" && grep -q 'not-json' "$tmp/exec2.err" &&
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/exec2.out"; then
	ok
else
	bad "exec-stdout: the command's output mixed with --json -" "$tmp/exec2.out" "$tmp/exec2.err"
fi

# 3. Slow commands run side by side: sleep 2 for every alert takes a wave of
#    2 s per 8 alerts, not alerts x 2 s; all of them complete. The end-of-run
#    budget (--alert-exec-timeout) covers the waves, however many captures
#    pcaps/ holds.
: >"$tmp/exec3.lines"
t0=$(now_ms)
rc=0
"$bin" -q "${all[@]}" --alert-exec "sleep 2; cat >> '$tmp/exec3.lines'" --alert-exec-max 8 \
	--alert-exec-timeout $(((n_all + 7) / 8 * 2 + 5)) >/dev/null 2>"$tmp/exec3.err" || rc=$?
dt=$(($(now_ms) - t0))
no_sanitizer exec-slow "$tmp/exec3.err"
n=$(wc -l <"$tmp/exec3.lines")
# Waves of 8 (integer division on purpose), 2 s each, plus 3 s of slack.
# shellcheck disable=SC2017
want_ms=$(((n_all + 7) / 8 * 2000 + 3000))
if [ $rc -eq 0 ] && [ "$n" -eq "$n_all" ] && [ "$dt" -lt "$want_ms" ]; then
	ok
else
	bad "exec-slow: exit $rc, $n of $n_all lines, $dt ms (limit $want_ms)" "$tmp/exec3.err"
fi
json_check exec-slow "$tmp/exec3.lines"

# 4. One at a time and a queue of one: the rest is dropped and counted, and
#    the run takes two commands' time, not alerts x 2 s.
: >"$tmp/exec4.lines"
t0=$(now_ms)
rc=0
"$bin" -q "${all[@]}" --alert-exec "sleep 2; cat >> '$tmp/exec4.lines'" --alert-exec-max 1 \
	--alert-exec-queue 1 >/dev/null 2>"$tmp/exec4.err" || rc=$?
dt=$(($(now_ms) - t0))
no_sanitizer exec-drop "$tmp/exec4.err"
n=$(wc -l <"$tmp/exec4.lines")
if [ $rc -eq 0 ] && [ "$n" -eq 2 ] && [ "$dt" -lt 7000 ] &&
	[ "$(exec_report "$tmp/exec4.err")" = "$n_all 2 2 0 $((n_all - 2))" ] &&
	grep -q 'queue is full' "$tmp/exec4.err"; then
	ok
else
	bad "exec-drop: exit $rc, $n lines, $dt ms; report: $(exec_report "$tmp/exec4.err")" "$tmp/exec4.err"
fi

# 5. Failing commands are counted, and do not change the exit status.
rc=0
"$bin" -q -r "$smtp" --alert-exec 'cat >/dev/null; exit 3' >/dev/null 2>"$tmp/exec5.err" || rc=$?
if [ $rc -eq 0 ] && [ "$(exec_report "$tmp/exec5.err")" = "$n_smtp $n_smtp 0 $n_smtp 0" ] &&
	grep -q 'exited with status 3' "$tmp/exec5.err"; then
	ok
else
	bad "exec-fail: exit $rc" "$tmp/exec5.err"
fi

# 6. Commands that hang are terminated after --alert-exec-timeout, queued ones
#    dropped, and nothing is left running.
marker="sleep 29.$$"
t0=$(now_ms)
rc=0
"$bin" -q "${all[@]}" --alert-exec "$marker" --alert-exec-max 2 \
	--alert-exec-timeout 1 >/dev/null 2>"$tmp/exec6.err" || rc=$?
dt=$(($(now_ms) - t0))
read -r a ran ok_n failed dropped <<<"$(exec_report "$tmp/exec6.err")"
if [ $rc -eq 0 ] && [ "$dt" -lt 6000 ] && [ "${ran:-0}" -ge 2 ] && [ "${ok_n:-1}" -eq 0 ] &&
	[ $((ok_n + failed + dropped)) -eq "$n_all" ] && [ "${a:-0}" -eq "$n_all" ]; then
	ok
else
	bad "exec-timeout: exit $rc, $dt ms" "$tmp/exec6.err"
fi
sleep 0.2
if pgrep -f "$marker" >/dev/null; then
	bad "exec-timeout: commands still running after tlswatch exited"
else
	ok
fi

# 7. Bad options are usage errors.
for args in "--alert-exec-max 0" "--alert-exec-max x" "--alert-exec-timeout 0"; do
	rc=0
	# shellcheck disable=SC2086
	"$bin" -q -r "$smtp" --alert-exec true $args >/dev/null 2>"$tmp/exec7.err" || rc=$?
	if [ $rc -eq 2 ]; then ok; else bad "exec-bad-option '$args': exit $rc" "$tmp/exec7.err"; fi
done
rc=0
"$bin" -q -r "$smtp" --alert-exec '' >/dev/null 2>"$tmp/exec8.err" || rc=$?
if [ $rc -eq 2 ] && grep -q 'empty command' "$tmp/exec8.err"; then ok; else bad "exec-empty-command: exit $rc" "$tmp/exec8.err"; fi

echo "alertout: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# End-to-end tests: runs the real binary over the captures in pcaps/ and
# compares what a user sees (the text report, and the JSON Lines without the
# internal `stats` record) with the golden files in tests/e2e/expected/.
#
#   tests/e2e/run.sh BINARY            run every test in TESTLIST
#   tests/e2e/run.sh BINARY --update   rewrite the golden files (then review the diff!)
#   tests/e2e/run.sh BINARY --only NAME  only the TESTLIST lines named NAME
#                                      (text and json), nothing else
#
# TESTLIST lines: NAME PCAP FORMAT [OPTIONS...]   (FORMAT: text | json)
set -u
bin=${1:?usage: run.sh BINARY [--update | --only NAME]}
update=${2:-}
only=
if [ "$update" = --only ]; then
	only=${3:?usage: run.sh BINARY --only NAME}
	update=
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
abs_bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
export TZ=GMT0 LC_ALL=C
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_one() {
	local name=$1 pcap=$2 format=$3
	shift 3
	local exp="$here/expected/$name.$format" out="$tmp/$name.$format" rc=0
	if [ ! -f "$top/pcaps/$pcap" ]; then
		echo "FAIL $name: missing capture pcaps/$pcap"
		fail=$((fail + 1))
		return
	fi
	# JSON records name the sensor and the file: a fixed name, and the path
	# relative to the top of the tree, keep the golden files the same on
	# every machine.
	if [ "$format" = json ]; then
		(cd "$top" && "$abs_bin" -q -r "pcaps/$pcap" --json - --sensor-name e2e "$@") \
			>"$out.raw" 2>"$tmp/$name.err" || rc=$?
		grep -v '"type":"stats"' "$out.raw" >"$out" || true
	else
		"$bin" -q -r "$top/pcaps/$pcap" "$@" >"$out" 2>"$tmp/$name.err" || rc=$?
	fi
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: exit status $rc"; sed 's/^/  /' "$tmp/$name.err" | head -5
		fail=$((fail + 1))
		return
	fi
	if [ "$update" = --update ]; then
		cp "$out" "$exp"
		pass=$((pass + 1))
		return
	fi
	if [ ! -f "$exp" ]; then
		echo "FAIL $name: no golden file ($exp); run with --update and review"
		fail=$((fail + 1))
	elif diff -u "$exp" "$out" >"$tmp/$name.diff"; then
		pass=$((pass + 1))
	else
		echo "FAIL $name: output differs from $exp"
		head -40 "$tmp/$name.diff" | sed 's/^/  /'
		fail=$((fail + 1))
	fi
}

while read -r name pcap format opts; do
	case "$name" in ''|'#'*) continue ;; esac
	[ -z "$only" ] || [ "$name" = "$only" ] || continue
	# shellcheck disable=SC2086
	run_one "$name" "$pcap" "$format" $opts
done <"$here/TESTLIST"

if [ -n "$only" ]; then
	echo "e2e --only $only: $pass passed, $fail failed"
	[ $pass -gt 0 ] && [ $fail -eq 0 ]
	exit
fi

# Every capture must get the verdicts pcaps/README.md states (verdicts.tsv).
while IFS=$'\t' read -r pcap want; do
	case "$pcap" in ''|'#'*) continue ;; esac
	got=$("$bin" -q -r "$top/pcaps/$pcap" --json - 2>/dev/null |
		sed -n 's/.*"type":"session".*"service":"\([^"]*\)","verdict":"\([^"]*\)","reason":\("[^"]*"\|null\).*/\1 \2 \3/p' |
		tr -d '"' | sed 's/ null$//' | sort | paste -sd, -)
	if [ "$got" = "$want" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL verdicts $pcap: want '$want' got '$got'"
		fail=$((fail + 1))
	fi
done <"$here/verdicts.tsv"

# suite SCRIPT ARGS...: one script of its own, counted as one check. A script
# still running after SUITE_TIMEOUT seconds (900 unless told) is killed with
# its process group and fails by name: a hang must never hold the run.
suite() {
	local rc=0 limit=${SUITE_TIMEOUT:-900}
	timeout -k 10 "$limit" "$@" || rc=$?
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "FAIL $(basename "$1"): still running after $limit s, killed"
	fi
	if [ $rc -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

# Bad input, exit codes and redaction.
suite "$here/badinput.sh" "$bin" "$tmp"

suite "$here/alertout.sh" "$bin"

# RFC 5424 syslog parsed by a real rsyslogd of the test's own.
suite "$here/rsyslog.sh" "$bin"

# --json redis://...: a real redis-server in a namespace of the test's own.
suite "$here/redis.sh" "$bin" "$tmp"

# --json-spool: what Redis could not take kept on disk and sent later.
suite "$here/spool.sh" "$bin" "$tmp"

# --state redis://: two sensors judging as one through a real redis-server.
suite "$here/shared.sh" "$bin" "$tmp"

# --cluster: the dashboard of two sensors read back from the shared Redis.
suite "$here/cluster-tui.sh" "$bin" "$tmp"

# --state redis://: learned mail policies shared between two sensors.
suite "$here/shared-policy.sh" "$bin" "$tmp"

# --state redis://: cert-changed across sensors (servers' certificates shared).
suite "$here/shared-cert.sh" "$bin" "$tmp"

# Service life: SIGHUP reopens --json, append, --stats-interval, the unit.
suite "$here/service.sh" "$bin"

# Alerts raised while their session is open (a capture fed through a FIFO).
suite "$here/early.sh" "$bin" "$tmp"

suite "$here/threads.sh" "$bin" "$tmp"

suite "$here/features.sh" "$bin" "$tmp"

# Learned mail policies carried to the next run by --state FILE.
suite "$here/policy-state.sh" "$bin" "$tmp"

# Event identifiers: community_id equal to tshark's, flow ids stable.
suite "$here/flowid.sh" "$bin" "$tmp"

# UDP flows as sessions (a generated capture).
suite "$here/udp.sh" "$bin" "$tmp"

# Tunnelled sessions equal untunnelled ones; broken tunnels are counted.
suite "$here/tunnels.sh" "$bin" "$tmp"

# Captures cut by a short snapshot length.
suite "$here/snaplen.sh" "$bin" "$tmp"

# The text report within 80 columns; the client and user views add up.
suite "$here/views.sh" "$bin" "$tmp"

# --report-html rendered in headless Chromium.
suite "$here/html.sh" "$bin" "$tmp"

# The command line of a tcpdump user: options, -w, -F, pipes, report modes.
suite "$here/cli.sh" "$bin" "$tmp"

# Hostile captures of the hardening findings (tests/hostile/).
suite "$here/../hostile/run.sh" "$bin" "$tmp"

echo "e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]

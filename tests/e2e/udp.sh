#!/usr/bin/env bash
# tests/e2e/udp.sh BINARY TMPDIR - UDP flows become sessions: a generated
# capture (tests/e2e/gen-udp.py) read with one thread and with two.
# Checks: transport "udp" in session records and port rows, "53/udp" in the
# text report, the client picked by port when the server speaks first,
# DNS read by its parser (cleartext/no-tls-protocol, its counts and
# question), an unknown exchange
# (unknown/unrecognized), text on 853/udp (plaintext-on-tls-port), the UDP
# idle timeout splitting a flow silent for two minutes (not with
# --udp-timeout 300), and the same output with --threads 2.
set -u
bin=$1 tmp=$2/udp
here=$(cd "$(dirname "$0")" && pwd)
fails=0 checks=0
mkdir -p "$tmp"
fail() { echo "FAIL udp: $*"; fails=$((fails + 1)); }
python3 "$here/gen-udp.py" "$tmp" || { echo "FAIL udp: generator"; exit 1; }
pcap=$tmp/udp-flows.pcap

"$bin" -q -r "$pcap" --json - >"$tmp/one.json" 2>"$tmp/one.err" || fail "exit $? ($(head -3 "$tmp/one.err"))"
"$bin" -q -r "$pcap" --json - --threads 2 >"$tmp/two.json" 2>&1 || fail "--threads 2: exit $?"
"$bin" -q -r "$pcap" >"$tmp/one.txt" 2>&1 || fail "text report: exit $?"

expect() { # DESCRIPTION REGEX [FILE]
	checks=$((checks + 1))
	grep -Eq -- "$2" "${3:-$tmp/one.json}" || fail "$1: no line matches /$2/"
}
expect "DNS query and answer" '"transport":"udp","client_ip":"10.0.0.1","client_port":40001,"server_ip":"10.0.0.53","server_port":53,"service":"dns","verdict":"cleartext","reason":"no-tls-protocol".*"packets":2'
expect "DNS counts and question" '"client_port":40001,.*"dns":\{"queries":1,"responses":1,"answers":1,"qtype":"A","qname":"mail.example.org"\}'
expect "an answer without its query: the client by port" '"client_port":40005,"server_ip":"10.0.0.53","server_port":53,.*"bytes_c2s":0,"bytes_s2c":45'
expect "unknown exchange" '"transport":"udp","client_ip":"10.0.0.1","client_port":40002,"server_ip":"10.0.0.9","server_port":40003,"service":"unknown","verdict":"unknown","reason":"unrecognized"'
expect "text on 853/udp" '"server_port":853,"service":"dns","verdict":"downgraded","reason":"plaintext-on-tls-port"'
expect "its alert" '"type":"alert","kind":"plaintext-on-tls-port".*"server_port":853'
expect "port row" '"type":"port","transport":"udp","port":53,"service":"dns","sessions":2'
expect "stats" '"tcp_packets":0,"udp_packets":8,'
expect "text report port label" '^  53/udp +dns +2 ' "$tmp/one.txt"
checks=$((checks + 1))
n=$(grep -c '"client_port":40004,.*"server_port":9999' "$tmp/one.json")
[ "$n" = 2 ] || fail "a flow silent for 120 s must be two sessions (UDP idle timeout 60 s), got $n"
checks=$((checks + 1))
grep -q '"client_port":40004,.*"end":"idle"' "$tmp/one.json" || fail "the first of them must end idle"
checks=$((checks + 1))
n=$("$bin" -q -r "$pcap" --json - --udp-timeout 300 | grep -c '"client_port":40004,.*"server_port":9999')
[ "$n" = 1 ] || fail "--udp-timeout 300 must keep the flow silent for 120 s one session, got $n"
checks=$((checks + 1))
"$bin" -q -r "$pcap" --udp-timeout 0 >/dev/null 2>"$tmp/err0" && fail "--udp-timeout 0 accepted"
grep -q 'udp-timeout' "$tmp/err0" || fail "--udp-timeout 0: no message naming the option"
checks=$((checks + 1))
cmp -s "$tmp/one.json" "$tmp/two.json" || fail "--threads 2 differs: $(diff "$tmp/one.json" "$tmp/two.json" | head -5)"

if [ $fails -eq 0 ]; then
	echo "udp: $checks checks passed"
else
	exit 1
fi

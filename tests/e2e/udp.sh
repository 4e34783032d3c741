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
# Then the UDP flow cap on a small DNS flood (udp-flood.pcap: 20,000
# spoofed sources, one query each, an IMAPS session open throughout) under
# --max-udp-flows 500: the evictions counted in the stats record and each
# evicted flow still reported, at most 500 UDP flows at once, the TLS
# session untouched, the port rows and the text report's tables complete;
# without the cap nothing is evicted.
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

# ---- the UDP flow cap under a flood (functional, not timed) ----
flood=$tmp/udp-flood.pcap
"$bin" -q -r "$flood" --json - --max-udp-flows 500 >"$tmp/flood.json" 2>"$tmp/flood.err" ||
	fail "flood: exit $? ($(head -3 "$tmp/flood.err"))"
"$bin" -q -r "$flood" --max-udp-flows 500 >"$tmp/flood.txt" 2>&1 || fail "flood, text report: exit $?"
stat_json() { # FILE KEY: a counter of the stats record
	sed -n 's/.*"type":"stats",.*"'"$2"'":\([0-9]*\).*/\1/p' "$1" | tail -1
}
expect "flood: a UDP flow per source" '"type":"stats".*"udp_flows_created":20000,' "$tmp/flood.json"
checks=$((checks + 1))
evicted=$(stat_json "$tmp/flood.json" udp_flows_evicted)
[ "${evicted:-0}" -gt 0 ] || fail "flood: 20,000 UDP flows under --max-udp-flows 500, udp_flows_evicted '${evicted}'"
checks=$((checks + 1))
n=$(grep -c '"transport":"udp",.*"end":"evicted"' "$tmp/flood.json")
[ "$n" = "${evicted:-x}" ] || fail "flood: $n sessions ended evicted, the stats say ${evicted}"
checks=$((checks + 1))
n=$(stat_json "$tmp/flood.json" flows_evicted)
[ "${n:-0}" -ge "${evicted:-1}" ] || fail "flood: flows_evicted ${n} below udp_flows_evicted ${evicted}"
checks=$((checks + 1))
n=$(stat_json "$tmp/flood.json" udp_flows_max_concurrent)
[ "${n:-0}" -gt 0 ] && [ "${n:-0}" -le 500 ] || fail "flood: udp_flows_max_concurrent ${n}, cap 500"
checks=$((checks + 1))
n=$(grep -c '"type":"session",.*"transport":"udp"' "$tmp/flood.json")
[ "$n" = 20000 ] || fail "flood: every query must still be a session, got $n"
expect "flood: the TLS session is not evicted" '"client_port":40993,"server_ip":"10.0.0.143","server_port":993,.*"verdict":"implicit-tls".*"end":"fin"' "$tmp/flood.json"
expect "flood: port row 53/udp" '"type":"port","transport":"udp","port":53,"service":"dns","sessions":20000,' "$tmp/flood.json"
expect "flood: port row 993/tcp" '"type":"port","transport":"tcp","port":993,"service":"imap","sessions":1,' "$tmp/flood.json"
expect "flood: server row" '"type":"server","server_ip":"10.0.0.53","server_port":53,"transport":"udp"' "$tmp/flood.json"
expect "flood: text sessions" '10\.100\.78\.31:[0-9]+ > 10\.0\.0\.53:53 +dns' "$tmp/flood.txt"
expect "flood: text per-port table" '^Per port:' "$tmp/flood.txt"
expect "flood: text port row" '^  53/udp +dns +20000 ' "$tmp/flood.txt"
expect "flood: text port row 993" '^  993/tcp +imap +1 ' "$tmp/flood.txt"
checks=$((checks + 1))
"$bin" -q -r "$flood" --json - | grep '"type":"stats"' >"$tmp/flood-nocap.json"
n=$(stat_json "$tmp/flood-nocap.json" udp_flows_evicted)
[ "$n" = 0 ] || fail "flood: 20,000 UDP flows within the default cap, udp_flows_evicted '$n'"
checks=$((checks + 1))
"$bin" -q -r "$flood" --max-udp-flows 0 >/dev/null 2>"$tmp/err0" && fail "--max-udp-flows 0 accepted"
grep -q 'max-udp-flows' "$tmp/err0" || fail "--max-udp-flows 0: no message naming the option"

if [ $fails -eq 0 ]; then
	echo "udp: $checks checks passed"
else
	exit 1
fi

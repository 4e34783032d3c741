#!/usr/bin/env bash
# Learned mail policies kept in --state FILE (docs/indicators.md, "Mail
# policies"): each policy capture split in two runs, the DNS answers
# ('port 53') in run 1 and the SMTP sessions ('tcp port 25') in run 2 with
# the same state file, gives the same mta-sts-violation and dane-violation
# alerts as one run over the whole capture, the sessions' policy source
# "state"; without the state file run 2 raises none. Facts expired before
# run 2 began are dropped; a malformed policy line is named and the rest
# loads.
#   policy-state.sh BINARY TMPDIR
set -u
bin=$1
tmp=$2/policy-state
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
fails=0
fail() { echo "FAIL policy-state: $*"; fails=$((fails + 1)); }
rm -rf "$tmp"
mkdir -p "$tmp"

# The policy alerts of a JSON lines file, one per line, without what differs
# between runs (session numbers, the capture's name): kind, severity, the
# endpoints, the evidence.
alerts() {
	python3 - "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "alert" and r["kind"] in ("mta-sts-violation", "dane-violation"):
        print(r["kind"], r["severity"], r["client_ip"], r["client_port"], r["server_ip"],
              r["server_port"], r["evidence"])
EOF
}
# The policy sources of the sessions that have a policy, one per line.
sources() {
	python3 - "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "session" and r.get("policy"):
        print(r["policy"]["source"])
EOF
}

for cap in policy-dane-strip policy-swaks-strip; do
	pcap="$top/pcaps/$cap.pcap"
	st="$tmp/$cap.state"
	"$bin" -q -r "$pcap" --json "$tmp/$cap.whole.jsonl" >/dev/null 2>&1 || fail "$cap: whole run"
	alerts "$tmp/$cap.whole.jsonl" >"$tmp/$cap.whole.alerts"
	[ -s "$tmp/$cap.whole.alerts" ] || fail "$cap: no policy alert over the whole capture"
	"$bin" -q -r "$pcap" --state "$st" 'port 53' >/dev/null 2>"$tmp/$cap.r1.err" || fail "$cap: run 1"
	[ -s "$tmp/$cap.r1.err" ] && fail "$cap: run 1 said: $(cat "$tmp/$cap.r1.err")"
	head -1 "$st" | grep -qx 'tlswatch-state 2' || fail "$cap: state file is not version 2"
	grep -q '^policy mx tlswatch.test mail.tlswatch.test ' "$st" || fail "$cap: state lacks the MX"
	grep -q '^policy addr mail.tlswatch.test 4 127.0.0.25 ' "$st" || fail "$cap: state lacks the MX address"
	grep -q '^policy tlsa mail.tlswatch.test 25 ad ' "$st" || fail "$cap: state lacks the validated TLSA"
	# Run 2 without the state: the SMTP part alone knows no policy.
	"$bin" -q -r "$pcap" --json "$tmp/$cap.alone.jsonl" 'tcp port 25' >/dev/null 2>&1 || fail "$cap: run 2 alone"
	[ -n "$(alerts "$tmp/$cap.alone.jsonl")" ] && fail "$cap: the SMTP part alone raised a policy alert"
	cp "$st" "$tmp/$cap.state.run1"
	"$bin" -q -r "$pcap" --state "$st" --json "$tmp/$cap.r2.jsonl" 'tcp port 25' >/dev/null 2>"$tmp/$cap.r2.err" ||
		fail "$cap: run 2"
	[ -s "$tmp/$cap.r2.err" ] && fail "$cap: run 2 said: $(cat "$tmp/$cap.r2.err")"
	alerts "$tmp/$cap.r2.jsonl" >"$tmp/$cap.r2.alerts"
	cmp -s "$tmp/$cap.whole.alerts" "$tmp/$cap.r2.alerts" ||
		fail "$cap: run 2 with the state raised other policy alerts than the whole capture: $(diff "$tmp/$cap.whole.alerts" "$tmp/$cap.r2.alerts")"
	[ "$(sources "$tmp/$cap.r2.jsonl" | sort -u)" = state ] ||
		fail "$cap: run 2's policy sources are '$(sources "$tmp/$cap.r2.jsonl" | sort -u | tr '\n' ' ')', not state"
	[ "$(sources "$tmp/$cap.whole.jsonl" | sort -u)" = dns ] || fail "$cap: the whole run's policy source is not dns"
	# Run 2 keeps the facts for the next run.
	grep -q '^policy tlsa mail.tlswatch.test 25 ad ' "$st" || fail "$cap: run 2 did not save the facts again"
done

# Expired: the facts of run 1 with their expiry moved to when they were
# learned (a TTL of 0) are dropped when run 2 begins, and not saved again.
cap=policy-swaks-strip
pcap="$top/pcaps/$cap.pcap"
st="$tmp/expired.state"
awk '$1 == "policy" { $(NF-1) = $NF } { print }' "$tmp/$cap.state.run1" >"$st"
grep -q '^policy ' "$st" || fail "expired: no policy line to age"
"$bin" -q -r "$pcap" --state "$st" --json "$tmp/expired.jsonl" --stats 'tcp port 25' >/dev/null 2>"$tmp/expired.err" ||
	fail "expired: run exit"
[ -z "$(alerts "$tmp/expired.jsonl")" ] || fail "expired: facts past their TTL still raised a policy alert"
grep -Eq 'policy_facts_expired +5$' "$tmp/expired.err" || fail "expired: not counted ($(grep policy_facts "$tmp/expired.err"))"
grep -q '^policy ' "$st" && fail "expired: facts past their TTL were saved again"

# A malformed policy line: named with what is wrong, the other lines loaded,
# the file kept as .bad when the new state replaces it.
st="$tmp/bad.state"
awk '{ print } NR == 2 { print "policy tlsa mail.tlswatch.test 99999 ad 1 0" }' "$tmp/$cap.state.run1" >"$st"
"$bin" -q -r "$pcap" --state "$st" --json "$tmp/bad.jsonl" 'tcp port 25' >/dev/null 2>"$tmp/bad.err" || fail "bad line: run exit"
grep -q "state file $st: line 3 is not valid: policy tlsa: bad port or ad|noad (1 bad line skipped, 0 servers, 0 certificates and 5 other lines loaded" "$tmp/bad.err" ||
	fail "bad line: message is '$(cat "$tmp/bad.err")'"
alerts "$tmp/bad.jsonl" >"$tmp/bad.alerts"
cmp -s "$tmp/$cap.whole.alerts" "$tmp/bad.alerts" || fail "bad line: the other lines did not give the same alerts"
grep -q '99999' "$st.bad" || fail "bad line: the file with the bad line was not kept as .bad"

# A version 1 state file (servers only) still loads.
printf 'tlswatch-state 1\nserver 4 127.0.0.1 25 smtp offered 1\n' >"$tmp/v1.state"
"$bin" -q -r "$pcap" --state "$tmp/v1.state" --stats 'tcp port 25' >/dev/null 2>"$tmp/v1.err" || fail "v1: run exit"
grep -q 'state file' "$tmp/v1.err" && fail "v1: $(grep 'state file' "$tmp/v1.err")"
grep -Eq 'state_servers_loaded +1$' "$tmp/v1.err" || fail "v1: the server line was not loaded"
head -1 "$tmp/v1.state" | grep -qx 'tlswatch-state 2' || fail "v1: not saved as version 2"

if [ $fails -eq 0 ]; then
	echo "policy-state: all checks passed"
fi
[ $fails -eq 0 ]

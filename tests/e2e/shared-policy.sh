#!/usr/bin/env bash
# --state redis://: learned mail policies shared between sensors, against a
# real redis-server (started here inside a network namespace of the test's
# own, on its loopback; tests/e2e/redis-lib.sh). The capture is
# pcaps/policy-swaks-strip.pcap (real unbound with a signed zone, swaks to
# the MX through the project's proxy stripping STARTTLS): sensor tap-a sees
# only the DNS answers ('port 53'), sensor tap-b only the stripped SMTP
# sessions ('tcp port 25'), as two taps on two links would.
#   - tap-b alone: no policy alert -- the shared state makes the difference;
#   - tap-a, then tap-b: tap-b raises the mta-sts-violation and
#     dane-violation alerts one sensor seeing everything raises, its
#     sessions' policy source "shared"; each fact is in Redis under the
#     documented key, its value the fact's line, its TTL the DNS TTL;
#   - tap-b running first (subscribed), tap-a after: the facts reach it
#     through the channel while it runs, with the same alerts; a plain
#     subscriber of tlswatch:offers (what a sensor of an earlier release
#     reads as offers) sees none of them: they have tlswatch:policies.
#   shared-policy.sh BINARY TMPDIR
set -u
bin=$1 tmp=$2/shared-policy
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
pass=0 fails=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL shared-policy: $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | head -20; done
	fails=$((fails + 1))
}
done_() {
	echo "shared-policy: $pass passed, $fails failed"
	[ "$fails" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ] || ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null ||
	! command -v tcpdump >/dev/null; then
	echo "shared-policy: skipped (needs root for a network namespace, redis-server, redis-tools, tcpdump)"
	exit 0
fi
rm -rf "$tmp"
mkdir -p "$tmp"
ns=tlsw-shpol-$$
port=6397
url=redis://127.0.0.1:$port
redis_pid=
tw_pid=
sub_pid=
cleanup() {
	exec 3>&- 2>/dev/null
	for p in $tw_pid $sub_pid $redis_pid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
. "$here/redis-lib.sh"
redis_ns_up shared-policy
# The value of one counter in the closing stats record of a --json file.
stat() { grep '"type":"stats"' "$1" | tail -n 1 | sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p"; }
# The policy alerts of a --json file without what differs between runs.
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
# The policy sources of the sessions that have a policy.
sources() {
	python3 - "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "session" and r.get("policy"):
        print(r["policy"]["source"])
EOF
}

cap=$top/pcaps/policy-swaks-strip.pcap
tcpdump -r "$cap" -w "$tmp/a.pcap" 'port 53' 2>/dev/null
tcpdump -r "$cap" -w "$tmp/b.pcap" 'tcp port 25' 2>/dev/null
"$bin" -q -r "$cap" --json "$tmp/one.json" >/dev/null 2>&1
alerts "$tmp/one.json" >"$tmp/one.alerts"
[ "$(grep -c . "$tmp/one.alerts")" = 3 ] && ok || bad "one sensor over the whole capture: want 3 policy alerts" "$tmp/one.alerts"

start_redis
mxkey='tlswatch:policy:{tlswatch.test}:mx:mail.tlswatch.test'
# The TLSA key names its association (usage 3, selector 1, SHA-256 and the
# 64 hex digits of the receiver's key hash): found by its prefix below.
tlsapat='tlswatch:policy:{mail.tlswatch.test}:tlsa:25:3:1:1:*'

# ---- tap-b alone: nothing shared yet
N "$bin" -q -r "$tmp/b.pcap" --sensor-name tap-b --state "$url" --json "$tmp/b0.json" >/dev/null 2>"$tmp/b0.err"
[ -z "$(alerts "$tmp/b0.json")" ] && ok || bad "tap-b alone raised a policy alert: the test proves nothing" "$tmp/b0.json"

# ---- tap-a, then tap-b
N "$bin" -q -r "$tmp/a.pcap" --sensor-name tap-a --state "$url" --json "$tmp/a.json" >/dev/null 2>"$tmp/a.err"
[ "$(stat "$tmp/a.json" shared_policy_sent)" = 5 ] && [ "$(stat "$tmp/a.json" shared_policy_dropped)" = 0 ] && ok ||
	bad "tap-a: want shared_policy_sent 5 (mx, addr, sts, tlsrpt, tlsa), 0 dropped" "$tmp/a.json" "$tmp/a.err"
case $(cli get "$mxkey") in "policy mx tlswatch.test mail.tlswatch.test "*) ok ;; *) bad "no $mxkey holding the MX fact line" ;; esac
tlsakey=$(cli --scan --pattern "$tlsapat")
[ "$(printf '%s\n' "$tlsakey" | grep -c .)" = 1 ] && [ ${#tlsakey} = $((${#tlsapat} - 1 + 64)) ] && ok ||
	bad "want one key $tlsapat with 64 hex digits, got '$tlsakey'"
case $(cli get "$tlsakey") in "policy tlsa mail.tlswatch.test 25 ad "*) ok ;; *) bad "no $tlsakey holding the validated TLSA" ;; esac
ttl=$(cli ttl "$tlsakey")
[ "$ttl" -gt 3000 ] && [ "$ttl" -le 3600 ] && ok || bad "the TLSA key's TTL is '$ttl', want the DNS TTL (3600 s)"
[ "$(cli --scan --pattern 'tlswatch:policy:*' | grep -c .)" = 5 ] && ok || bad "want 5 policy keys: $(cli --scan --pattern 'tlswatch:policy:*' | tr '\n' ' ')"
N "$bin" -q -r "$tmp/b.pcap" --sensor-name tap-b --state "$url" --json "$tmp/b1.json" >/dev/null 2>"$tmp/b1.err"
alerts "$tmp/b1.json" >"$tmp/b1.alerts"
cmp -s "$tmp/one.alerts" "$tmp/b1.alerts" && ok ||
	bad "tap-b after tap-a: other policy alerts than one sensor over everything" "$tmp/b1.alerts" "$tmp/b1.err"
[ "$(sources "$tmp/b1.json" | sort -u)" = shared ] && ok || bad "tap-b after tap-a: policy sources '$(sources "$tmp/b1.json" | sort -u | tr '\n' ' ')', want shared"
[ "$(stat "$tmp/b1.json" shared_policy_loaded)" = 5 ] && [ "$(stat "$tmp/b1.json" shared_hits)" = 2 ] && ok ||
	bad "tap-b after tap-a: want shared_policy_loaded 5, shared_hits 2" "$tmp/b1.json"

# ---- tap-b first, subscribed; tap-a's facts arrive through the channel.
for k in $(cli --scan --pattern 'tlswatch:policy:*'); do cli del "$k" >/dev/null; done
mkfifo "$tmp/fifo"
# What an earlier release's sensor would read as offers.
ip netns exec "$ns" stdbuf -oL redis-cli -p "$port" --raw SUBSCRIBE tlswatch:offers >"$tmp/offers.sub" 2>&1 &
sub_pid=$!
ip netns exec "$ns" "$bin" -q -r "$tmp/fifo" --sensor-name tap-b --state "$url" --json "$tmp/b2.json" >/dev/null 2>"$tmp/b2.err" &
tw_pid=$!
exec 3>"$tmp/fifo"
head -c 24 "$tmp/b.pcap" >&3 # the file header: tap-b starts
# (tap-b subscribes to both channels with one SUBSCRIBE)
if wait_until '[ "$(cli pubsub numsub tlswatch:offers | tail -n 1)" = 2 ]' 100; then
	N "$bin" -q -r "$tmp/a.pcap" --sensor-name tap-a --state "$url" --json "$tmp/a2.json" >/dev/null 2>&1
	# tap-a wrote and announced its facts before it ended; tap-b's thread
	# takes the announcements as Redis delivers them (as offers, shared.sh).
	tail -c +25 "$tmp/b.pcap" >&3
	exec 3>&-
	wait "$tw_pid"
	tw_pid=
	alerts "$tmp/b2.json" >"$tmp/b2.alerts"
	cmp -s "$tmp/one.alerts" "$tmp/b2.alerts" && ok ||
		bad "tap-b subscribed before tap-a: other policy alerts than one sensor" "$tmp/b2.alerts" "$tmp/b2.err"
	[ "$(stat "$tmp/b2.json" shared_policy_loaded)" = 0 ] && [ "$(stat "$tmp/b2.json" shared_policy_received)" = 5 ] &&
		ok || bad "tap-b subscribed before tap-a: want 0 facts loaded, 5 received" "$tmp/b2.json"
	# A marker published last shows the subscriber read everything before it.
	cli publish tlswatch:offers end-of-test >/dev/null
	if wait_until 'grep -qx end-of-test "$tmp/offers.sub"' 50; then
		! grep -q '^policy ' "$tmp/offers.sub" && ok ||
			bad "policy facts announced on tlswatch:offers: earlier sensors take them for offers" "$tmp/offers.sub"
	else
		bad "the plain subscriber of tlswatch:offers read nothing" "$tmp/offers.sub"
	fi
	kill "$sub_pid" 2>/dev/null
	wait "$sub_pid" 2>/dev/null
	sub_pid=
else
	bad "tap-b never subscribed to tlswatch:offers" "$tmp/b2.err"
	exec 3>&-
fi
done_

#!/usr/bin/env bash
# --state redis://...: two sensors judging as one, against a real
# redis-server (Debian's, started here inside a network namespace of the
# test's own, on its loopback). The capture is pcaps/downgrade-smtp-strip.pcap
# (real Postfix and swaks, the project's proxy stripping STARTTLS): sensor
# tap-a sees only the session where the server offered STARTTLS, sensor
# tap-b only the stripped one, as two taps on two links would.
#   - tap-b alone: cleartext (it has never seen the offer) -- the shared
#     state is what makes the difference;
#   - tap-a then tap-b, sharing Redis: tap-b's session is downgraded/
#     capability-stripped, as one sensor seeing both reports it, its alert
#     naming tap-a; the offer is in Redis under the documented key;
#   - tap-b running first (subscribed), tap-a after: the offer reaches it
#     through the channel while it runs;
#   - tap-b judging its session before tap-a's offer arrives: a late
#     capability-stripped alert about it, naming tap-a;
#   - Redis down at start: a warning, local judgement, exit 0, counted;
#   - Redis killed while a sensor runs and started again: the offer it
#     learnt meanwhile is sent after the reconnection, none lost;
#   - a bad URL is a usage error (exit 2).
#   shared.sh BINARY TMPDIR
set -u
bin=$1 tmp=$2/shared
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
pass=0 fails=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL shared: $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | head -20; done
	fails=$((fails + 1))
}
done_() {
	echo "shared: $pass passed, $fails failed"
	[ "$fails" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ] || ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null ||
	! command -v tcpdump >/dev/null; then
	echo "shared: skipped (needs root for a network namespace, redis-server, redis-tools, tcpdump)"
	exit 0
fi
rm -rf "$tmp"
mkdir -p "$tmp"
ns=tlsw-shared-$$
port=6398
url=redis://127.0.0.1:$port
redis_pid=
tw_pid=
cleanup() {
	exec 3>&- 2>/dev/null
	for p in $tw_pid $redis_pid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
. "$here/redis-lib.sh"
redis_ns_up shared
# The value of one counter in the closing stats record of a --json file.
stat() { grep '"type":"stats"' "$1" | tail -n 1 | sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p"; }
# The verdict/reason of the session record in a --json file (one session).
verdict() { grep '"type":"session"' "$1" | sed -n 's/.*"verdict":"\([a-z-]*\)","reason":"\([a-z-]*\)".*/\1\/\2/p'; }

cap=$top/pcaps/downgrade-smtp-strip.pcap
# Session #1 (client port 48850): STARTTLS offered, upgraded. Session #3
# (48856): the proxy stripped the offer. Each tap's own capture:
tcpdump -r "$cap" -w "$tmp/a.pcap" 'tcp port 48850' 2>/dev/null
tcpdump -r "$cap" -w "$tmp/b.pcap" 'tcp port 48856' 2>/dev/null
"$bin" -q -r "$cap" --json "$tmp/one.json" --json-truncate >/dev/null 2>&1
want=$(grep '"type":"session"' "$tmp/one.json" | grep '"client_port":48856' |
	sed -n 's/.*"verdict":"\([a-z-]*\)","reason":"\([a-z-]*\)".*/\1\/\2/p')
if [ "$want" = downgraded/capability-stripped ]; then ok; else bad "one sensor over the whole capture: '$want', want downgraded/capability-stripped"; fi

start_redis
key='tlswatch:offer:{4/127.0.0.10/25/tcp}'

# ---- tap-b alone: nothing shared yet
N "$bin" -q -r "$tmp/b.pcap" --sensor-name tap-b --state "$url" --json "$tmp/b0.json" >/dev/null 2>"$tmp/b0.err"
got=$(verdict "$tmp/b0.json")
case $got in cleartext/*) ok ;; *) bad "tap-b alone: '$got', want cleartext" "$tmp/b0.err" ;; esac
[ "$(stat "$tmp/b0.json" shared_hits)" = 0 ] && ok || bad "tap-b alone: shared_hits not 0" "$tmp/b0.json"

# ---- tap-a, then tap-b, sharing Redis
N "$bin" -q -r "$tmp/a.pcap" --sensor-name tap-a --state "$url" --json "$tmp/a.json" >/dev/null 2>"$tmp/a.err"
[ "$(stat "$tmp/a.json" shared_sent)" = 1 ] && ok || bad "tap-a: shared_sent not 1" "$tmp/a.json" "$tmp/a.err"
[ "$(cli hget "$key" sensor)" = tap-a ] && [ "$(cli hget "$key" service)" = smtp ] &&
	[ -n "$(cli hget "$key" first)" ] && ok || bad "tap-a: no $key with sensor tap-a, service smtp in Redis"
ttl=$(cli ttl "$key")
[ "$ttl" -gt 2500000 ] && [ "$ttl" -le 2592000 ] && ok || bad "tap-a: the key's TTL is '$ttl', want 30 days"
N "$bin" -q -r "$tmp/b.pcap" --sensor-name tap-b --state "$url" --json "$tmp/b1.json" >"$tmp/b1.txt" 2>"$tmp/b1.err"
got=$(verdict "$tmp/b1.json")
[ "$got" = "$want" ] && ok || bad "tap-b after tap-a: '$got', want '$want' (as one sensor)" "$tmp/b1.err"
grep '"type":"alert"' "$tmp/b1.json" | grep '"kind":"capability-stripped"' | grep -q 'seen by sensor tap-a (shared state)' &&
	ok || bad "tap-b after tap-a: no capability-stripped alert naming tap-a" "$tmp/b1.json"
[ "$(stat "$tmp/b1.json" shared_loaded)" = 1 ] && [ "$(stat "$tmp/b1.json" shared_hits)" = 1 ] &&
	ok || bad "tap-b after tap-a: want shared_loaded 1, shared_hits 1" "$tmp/b1.json"

# ---- --cluster: the two sensors' summary, read from Redis, is the summary
# one sensor prints over the whole capture (for the server they share).
N "$bin" -q -r "$tmp/a.pcap" --sensor-name tap-a --state "$url?prefix=cl" --json "$tmp/ca.json" >/dev/null 2>&1
N "$bin" -q -r "$tmp/b.pcap" --sensor-name tap-b --state "$url?prefix=cl" --json "$tmp/cb.json" >/dev/null 2>&1
N "$bin" --cluster "$url?prefix=cl" >"$tmp/cluster.txt" 2>"$tmp/cluster.err"
row() { sed -n '/^Per server:/,/^$/p' "$1" | grep "^  127.0.0.10:25 " | tr -s ' '; }
want_row=$(row <("$bin" -q -r "$cap"))
if [ -n "$want_row" ] && [ "$(row "$tmp/cluster.txt")" = "$want_row" ]; then ok; else
	bad "--cluster: the server's row is '$(row "$tmp/cluster.txt")', one sensor says '$want_row'" "$tmp/cluster.txt" "$tmp/cluster.err"
fi
grep -q '^Cluster redis://127.0.0.1:6398 prefix cl: 2 sessions to 1 servers from tap-a tap-b$' "$tmp/cluster.txt" &&
	grep -q '^  127.0.0.10:25 *tap-a,tap-b$' "$tmp/cluster.txt" && ok || bad "--cluster: no header or sensors line" "$tmp/cluster.txt"
[ "$(stat "$tmp/cb.json" shared_sessions_counted)" = 1 ] && ok || bad "--cluster: tap-b did not count its session" "$tmp/cb.json"
rc=0
"$bin" --cluster "$url" -r "$cap" >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] && ok || bad "--cluster with -r: exit $rc, want 2"

# ---- tls-fallback across sensors: the failed handshakes pass tap-a, the
# cleartext retries tap-b (pcaps/downgrade-smtp-tls-fallback.pcap: real
# Postfix behind the project's proxy breaking the handshakes).
fb=$top/pcaps/downgrade-smtp-tls-fallback.pcap
tcpdump -r "$fb" -w "$tmp/fa.pcap" 'tcp port 45101 or tcp port 44337' 2>/dev/null
tcpdump -r "$fb" -w "$tmp/fb.pcap" 'tcp port 50741 or tcp port 39955' 2>/dev/null
retries() { grep '"type":"session"' "$1" | sed -n 's/.*"verdict":"\([a-z-]*\)","reason":"\([a-z-]*\)".*/\1\/\2/p' | sort | uniq -c | tr -s ' '; }
N "$bin" -q -r "$tmp/fb.pcap" --json "$tmp/fb0.json" >/dev/null 2>&1
case $(retries "$tmp/fb0.json") in *downgraded/tls-fallback*) bad "the cleartext retries alone are already tls-fallback: the test proves nothing" ;; *) ok ;; esac
N "$bin" -q -r "$tmp/fa.pcap" --sensor-name tap-a --state "$url?prefix=fb" --json "$tmp/fa.json" >/dev/null 2>&1
N "$bin" -q -r "$tmp/fb.pcap" --sensor-name tap-b --state "$url?prefix=fb" --json "$tmp/fb1.json" >/dev/null 2>&1
[ "$(retries "$tmp/fb1.json")" = " 2 downgraded/tls-fallback" ] && ok ||
	bad "tls-fallback across sensors: '$(retries "$tmp/fb1.json")', want both retries downgraded/tls-fallback" "$tmp/fb1.json"
grep '"kind":"tls-fallback"' "$tmp/fb1.json" | grep -q 'as seen by sensor tap-a (shared state)' && ok ||
	bad "tls-fallback across sensors: the alert does not name tap-a" "$tmp/fb1.json"
[ -n "$(cli --scan --pattern 'fb:fail:{4/*/25/tcp}:*' | head -1)" ] && ok || bad "no fb:fail:{...}:CLIENT key in Redis"
ttl=$(cli ttl "$(cli --scan --pattern 'fb:fail:*' | head -1)")
[ "$ttl" -gt 0 ] && [ "$ttl" -le 360 ] && ok || bad "a failure's TTL is '$ttl', want the fallback window (300 s) + 60"

# ---- tap-b first, subscribed; tap-a's offer arrives through the channel.
# tap-b waits on a FIFO; it is subscribed once Redis counts a subscriber.
cli del "$key" >/dev/null
mkfifo "$tmp/fifo"
ip netns exec "$ns" "$bin" -q -r "$tmp/fifo" --sensor-name tap-b --state "$url" --json "$tmp/b2.json" >/dev/null 2>"$tmp/b2.err" &
tw_pid=$!
exec 3>"$tmp/fifo"
head -c 24 "$tmp/b.pcap" >&3 # the file header: tap-b starts
if wait_until '[ "$(cli pubsub numsub tlswatch:offers | tail -n 1)" = 1 ]' 100; then
	N "$bin" -q -r "$tmp/a.pcap" --sensor-name tap-a --state "$url" --json "$tmp/a2.json" >/dev/null 2>&1
	tail -c +25 "$tmp/b.pcap" >&3
	exec 3>&-
	wait "$tw_pid"
	tw_pid=
	got=$(verdict "$tmp/b2.json")
	[ "$got" = "$want" ] && ok || bad "tap-b subscribed before tap-a: '$got', want '$want'" "$tmp/b2.err"
	[ "$(stat "$tmp/b2.json" shared_loaded)" = 0 ] && [ "$(stat "$tmp/b2.json" shared_received)" = 1 ] &&
		ok || bad "tap-b subscribed before tap-a: want 0 offers loaded, 1 received" "$tmp/b2.json"
else
	bad "tap-b never subscribed to tlswatch:offers" "$tmp/b2.err"
	exec 3>&-
fi

# ---- tap-b judges its session first, tap-a's offer arrives afterwards:
# the cleartext session's record stays as written, and a late
# capability-stripped alert about it names tap-a, as when one sensor sees
# the offer after the stripped session. tap-b's run goes on (the FIFO stays
# open) until the alert is in its output.
cli del "$key" >/dev/null
rm -f "$tmp/fifo"
mkfifo "$tmp/fifo"
ip netns exec "$ns" "$bin" -q -r "$tmp/fifo" --sensor-name tap-b --state "$url" --json "$tmp/b4.json" \
	--stats-interval 1 >/dev/null 2>"$tmp/b4.err" &
tw_pid=$!
exec 3>"$tmp/fifo"
cat "$tmp/b.pcap" >&3
if wait_until '[ "$(cli pubsub numsub tlswatch:offers | tail -n 1)" = 1 ]' 100 &&
	wait_until 'grep -q "\"type\":\"session\"" "$tmp/b4.json"' 100; then
	case $(verdict "$tmp/b4.json") in cleartext/*) ok ;; *) bad "late: tap-b's session before the offer is not cleartext" "$tmp/b4.json" ;; esac
	N "$bin" -q -r "$tmp/a.pcap" --sensor-name tap-a --state "$url" --json "$tmp/a4.json" >/dev/null 2>&1
	# A packet a second later (tap-b's own last one, its time moved on):
	# tap-b's clock ticks and it looks at what arrived.
	python3 - "$tmp/b.pcap" >&3 <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, last = 24, None
while off + 16 <= len(data):
    n = struct.unpack_from("<I", data, off + 8)[0]
    last = (off, n)
    off += 16 + n
o, n = last
sec, usec, incl, orig = struct.unpack_from("<IIII", data, o)
sys.stdout.buffer.write(struct.pack("<IIII", sec + 2, usec, incl, orig) + data[o + 16:o + 16 + n])
PY
	if wait_until 'grep "\"type\":\"alert\"" "$tmp/b4.json" | grep -q "seen by sensor tap-a (shared state, announced later)"' 100; then
		ok
	else
		bad "late: no capability-stripped alert naming tap-a after the offer arrived" "$tmp/b4.json" "$tmp/b4.err"
	fi
	exec 3>&-
	wait "$tw_pid"
	tw_pid=
	grep '"type":"alert"' "$tmp/b4.json" | grep '"kind":"capability-stripped"' |
		grep -q '"session":1,' && ok || bad "late: the alert does not name tap-b's session" "$tmp/b4.json"
	case $(verdict "$tmp/b4.json") in cleartext/*) ok ;; *) bad "late: the session record changed" "$tmp/b4.json" ;; esac
	[ "$(stat "$tmp/b4.json" shared_arrivals_lost)" = 0 ] && ok || bad "late: arrivals lost" "$tmp/b4.json"
else
	bad "late: tap-b never subscribed or never wrote its session" "$tmp/b4.err" "$tmp/b4.json"
	exec 3>&-
fi

# ---- prefix= keeps sensors groups apart
N "$bin" -q -r "$tmp/b.pcap" --state "$url?prefix=other" --json "$tmp/b3.json" >/dev/null 2>&1
case $(verdict "$tmp/b3.json") in cleartext/*) ok ;; *) bad "prefix=other saw the offer kept under tlswatch:" ;; esac

# ---- a bad URL: usage error
rc=0
"$bin" -q -r "$tmp/b.pcap" --state 'redis://127.0.0.1:0' >/dev/null 2>"$tmp/badurl.err" || rc=$?
[ $rc -eq 2 ] && grep -q 'bad port' "$tmp/badurl.err" && ok || bad "bad URL: exit $rc" "$tmp/badurl.err"
rc=0
"$bin" -q -r "$tmp/b.pcap" --state 'rediss://127.0.0.1' >/dev/null 2>"$tmp/tls.err" || rc=$?
[ $rc -eq 2 ] && grep -q 'hiredis' "$tmp/tls.err" && ok || bad "rediss://: exit $rc" "$tmp/tls.err"

# ---- Redis down for the whole run: warned, judged locally, counted
stop_redis
rc=0
N "$bin" --cluster "$url" >/dev/null 2>"$tmp/cdown.err" || rc=$?
[ $rc -eq 2 ] && grep -q 'cluster redis://127.0.0.1:6398' "$tmp/cdown.err" && ok || bad "--cluster, Redis down: exit $rc" "$tmp/cdown.err"
rc=0
N "$bin" -q -r "$tmp/a.pcap" --state "$url" --json "$tmp/down.json" >/dev/null 2>"$tmp/down.err" || rc=$?
[ $rc -eq 0 ] && grep -q 'cannot connect or read the shared state' "$tmp/down.err" && ok ||
	bad "Redis down: exit $rc or no warning" "$tmp/down.err"
# The offer and the session's count: both dropped, and a few connection
# attempts (back-off), not a busy loop.
[ "$(stat "$tmp/down.json" shared_dropped)" = 2 ] && [ "$(stat "$tmp/down.json" shared_sent)" = 0 ] &&
	[ "$(stat "$tmp/down.json" shared_errors)" -le 12 ] &&
	ok || bad "Redis down: want the offer and the session count dropped, at most 12 attempts" "$tmp/down.json"

# ---- Redis killed mid-run and started again: the offer learnt while it
# was down is sent after the reconnection.
start_redis
rm -f "$tmp/fifo"
mkfifo "$tmp/fifo"
ip netns exec "$ns" "$bin" -q -r "$tmp/fifo" --sensor-name tap-a --state "$url" --json "$tmp/f.json" >/dev/null 2>"$tmp/f.err" &
tw_pid=$!
exec 3>"$tmp/fifo"
head -c 24 "$tmp/a.pcap" >&3
if wait_until '[ "$(cli pubsub numsub tlswatch:offers | tail -n 1)" = 1 ]' 100; then
	stop_redis
	tail -c +25 "$tmp/a.pcap" >&3 # the session, judged while Redis is down
	start_redis
	if wait_until '[ "$(cli hget "$key" sensor)" = tap-a ]' 100; then ok; else bad "the offer learnt while Redis was down never reached it"; fi
	exec 3>&-
	wait "$tw_pid"
	tw_pid=
	[ "$(stat "$tmp/f.json" shared_sent)" = 1 ] && [ "$(stat "$tmp/f.json" shared_dropped)" = 0 ] &&
		[ "$(stat "$tmp/f.json" shared_reconnects)" -ge 1 ] && ok ||
		bad "Redis restarted: want 1 sent, 0 dropped, a reconnection" "$tmp/f.json"
else
	bad "tap-a never subscribed" "$tmp/f.err"
	exec 3>&-
fi
done_

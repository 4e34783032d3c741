#!/usr/bin/env bash
# --state redis://: cert-changed across sensors, against a real redis-server
# (started here inside a network namespace of the test's own, on its
# loopback; tests/e2e/redis-lib.sh). The captures are real Postfix
# deliveries over TLS 1.2 to the same two servers (127.0.0.25:25, the MX,
# and 127.0.0.1:25, its relay): pcaps/policy-dane-tls12.pcap with their own
# certificates, pcaps/policy-dane-badcert.pcap with other ones (an
# intercepting proxy's on the MX).
#   - tap-b alone on badcert: no cert-changed -- the shared state makes the
#     difference;
#   - tap-a on tls12, then tap-b on badcert: tap-b raises cert-changed on
#     both servers, naming tap-a and the time it saw them; each certificate
#     is in Redis under the documented key, its value and TTL as documented;
#   - tap-a, then tap-b, both on tls12 (the same certificates): no
#     cert-changed, and tap-b writes nothing (no news);
#   - tap-b running first (subscribed), tap-a after: the certificates reach
#     it through the channel while it runs;
#   - values in Redis that are not certificates are skipped;
#   - Redis down: warned, judged with this sensor's own records (a change
#     within its run is still raised), lookups and writes counted;
#   - --state FILE: the certificate carried to the next run as before.
#   shared-cert.sh BINARY TMPDIR
set -u
bin=$1 tmp=$2/shared-cert
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
pass=0 fails=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL shared-cert: $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | head -20; done
	fails=$((fails + 1))
}
done_() {
	echo "shared-cert: $pass passed, $fails failed"
	[ "$fails" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ] || ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	echo "shared-cert: skipped (needs root for a network namespace, redis-server, redis-tools)"
	exit 0
fi
rm -rf "$tmp"
mkdir -p "$tmp"
ns=tlsw-shcert-$$
port=6395
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
redis_ns_up shared-cert
# The value of one counter in the closing stats record of a --json file.
stat() { grep '"type":"stats"' "$1" | tail -n 1 | sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p"; }
# The cert-changed alerts of a --json file: server and evidence, sorted.
changed() {
	grep '"type":"alert"' "$1" | grep '"kind":"cert-changed"' |
		sed -n 's/.*"server_ip":"\([^"]*\)","server_port":\([0-9]*\),.*"evidence":"\([^"]*\)".*/\1:\2 \3/p' | sort
}

good=$top/pcaps/policy-dane-tls12.pcap
other=$top/pcaps/policy-dane-badcert.pcap
mx='{4/127.0.0.25/25/tcp}'
relay='{4/127.0.0.1/25/tcp}'
mx_good=08d8ebbff4c066d187a124365b3fc93d0e1c2df4705f2f6ab1f879a0cc3720c1

start_redis

# ---- tap-b alone: nothing shared yet
N "$bin" -q -r "$other" --sensor-name tap-b --state "$url" --json "$tmp/b0.json" >/dev/null 2>"$tmp/b0.err"
[ -z "$(changed "$tmp/b0.json")" ] && ok || bad "tap-b alone: cert-changed with nothing to compare" "$tmp/b0.json"
[ "$(stat "$tmp/b0.json" shared_cert_sent)" = 2 ] && ok || bad "tap-b alone: shared_cert_sent not 2" "$tmp/b0.json" "$tmp/b0.err"
cli flushdb >/dev/null

# ---- tap-a on tls12, then tap-b on badcert, sharing Redis
N "$bin" -q -r "$good" --sensor-name tap-a --state "$url" --json "$tmp/a.json" >/dev/null 2>"$tmp/a.err"
[ "$(stat "$tmp/a.json" shared_cert_sent)" = 2 ] && [ "$(stat "$tmp/a.json" shared_cert_dropped)" = 0 ] &&
	ok || bad "tap-a: want shared_cert_sent 2, dropped 0" "$tmp/a.json" "$tmp/a.err"
v=$(cli get "tlswatch:cert:$mx")
[[ $v =~ ^$mx_good\ self\ [0-9]{16}\ tap-a\ mail\.tlswatch\.test$ ]] && ok ||
	bad "tap-a: tlswatch:cert:$mx is '$v', want '$mx_good self LAST tap-a mail.tlswatch.test'"
[ -n "$(cli get "tlswatch:cert:$relay")" ] && ok || bad "tap-a: no tlswatch:cert:$relay"
ttl=$(cli ttl "tlswatch:cert:$mx")
[ "$ttl" -gt 2500000 ] && [ "$ttl" -le 2592000 ] && ok || bad "tap-a: the key's TTL is '$ttl', want 30 days (the offers')"
N "$bin" -q -r "$other" --sensor-name tap-b --state "$url" --json "$tmp/b1.json" >/dev/null 2>"$tmp/b1.err"
got=$(changed "$tmp/b1.json")
want="127.0.0.1:25 certificate sha256 567b5f48bb5c85e3... (issuer mail.tlswatch.test) replaces 08d8ebbff4c066d1... (issuer mail.tlswatch.test) seen by sensor tap-a at 2026-12-03T16:13:29Z (shared state)
127.0.0.25:25 certificate sha256 3b30ea966e97c722... (issuer mail.tlswatch.test) replaces 08d8ebbff4c066d1... (issuer mail.tlswatch.test) seen by sensor tap-a at 2026-12-03T16:13:29Z (shared state)"
[ "$got" = "$want" ] && ok || bad "tap-b after tap-a: cert-changed is '$got', want both servers naming tap-a" "$tmp/b1.json" "$tmp/b1.err"
# (shared_hits counts the sessions judged with tap-a's DNS answers too)
[ "$(stat "$tmp/b1.json" shared_cert_loaded)" = 2 ] && [ "$(stat "$tmp/b1.json" shared_hits)" -ge 2 ] &&
	[ "$(stat "$tmp/b1.json" shared_cert_sent)" = 2 ] && [ "$(stat "$tmp/b1.json" shared_cert_unchecked)" = 0 ] &&
	ok || bad "tap-b after tap-a: want shared_cert_loaded 2, shared_hits 2 or more, shared_cert_sent 2, unchecked 0" "$tmp/b1.json"
case $(cli get "tlswatch:cert:$mx") in 3b30ea966e97c722*' tap-b mail.tlswatch.test') ok ;;
*) bad "tap-b's certificate did not replace tap-a's in Redis: '$(cli get "tlswatch:cert:$mx")'" ;; esac

# ---- the same certificates on both sensors: no alert, no write
N "$bin" -q -r "$good" --sensor-name tap-a --state "$url?prefix=same" --json "$tmp/sa.json" >/dev/null 2>&1
N "$bin" -q -r "$good" --sensor-name tap-b --state "$url?prefix=same" --json "$tmp/sb.json" >/dev/null 2>"$tmp/sb.err"
[ -z "$(changed "$tmp/sb.json")" ] && ok || bad "tap-b with tap-a's certificates: cert-changed" "$tmp/sb.json"
[ "$(stat "$tmp/sb.json" shared_cert_loaded)" = 2 ] && [ "$(stat "$tmp/sb.json" shared_cert_sent)" = 0 ] &&
	ok || bad "tap-b with tap-a's certificates: want 2 loaded, none sent (no news)" "$tmp/sb.json" "$tmp/sb.err"
case $(cli get "same:cert:$mx") in *' tap-a mail.tlswatch.test') ok ;; *) bad "same:cert:$mx rewritten by tap-b" ;; esac

# ---- tap-b first, subscribed; tap-a's certificates arrive through the
# channel. tap-b waits on a FIFO; it is subscribed once Redis counts a
# subscriber of live:certs. Redis sends an announcement to the subscribers
# before it answers the PUBLISH, so tap-b has it before tap-a ends.
mkfifo "$tmp/fifo"
ip netns exec "$ns" "$bin" -q -r "$tmp/fifo" --sensor-name tap-b --state "$url?prefix=live" --json "$tmp/b2.json" >/dev/null 2>"$tmp/b2.err" &
tw_pid=$!
exec 3>"$tmp/fifo"
head -c 24 "$other" >&3 # the file header: tap-b starts
if wait_until '[ "$(cli pubsub numsub live:certs | tail -n 1)" = 1 ]' 100; then
	N "$bin" -q -r "$good" --sensor-name tap-a --state "$url?prefix=live" --json "$tmp/a2.json" >/dev/null 2>&1
	tail -c +25 "$other" >&3
	exec 3>&-
	wait "$tw_pid"
	tw_pid=
	[ "$(changed "$tmp/b2.json" | grep -c 'seen by sensor tap-a at')" = 2 ] && ok ||
		bad "tap-b subscribed before tap-a: want 2 cert-changed naming tap-a" "$tmp/b2.json" "$tmp/b2.err"
	[ "$(stat "$tmp/b2.json" shared_cert_loaded)" = 0 ] && [ "$(stat "$tmp/b2.json" shared_cert_received)" = 2 ] &&
		ok || bad "tap-b subscribed before tap-a: want 0 certificates loaded, 2 received" "$tmp/b2.json"
else
	bad "tap-b never subscribed to live:certs" "$tmp/b2.err"
	exec 3>&-
fi

# ---- values that are not certificates: skipped, never judged with
cli set "junk:cert:$mx" "not a certificate" >/dev/null
cli set "junk:cert:$relay" "$mx_good self 12x tap-a CA" >/dev/null
cli set "junk:cert:{4/127.0.0.25/25/tcp" "$mx_good self 1 tap-a CA" >/dev/null
cli set "junk:cert:{999.0.0.1/25/tcp}" "$mx_good self 1 tap-a CA" >/dev/null
cli hset "junk:cert:{4/127.0.0.2/25/tcp}" sha256 "$mx_good" >/dev/null
N "$bin" -q -r "$other" --sensor-name tap-b --state "$url?prefix=junk" --json "$tmp/j.json" >/dev/null 2>"$tmp/j.err"
[ -z "$(changed "$tmp/j.json")" ] && [ "$(stat "$tmp/j.json" shared_cert_loaded)" = 0 ] &&
	[ "$(stat "$tmp/j.json" shared_errors)" = 0 ] && ok ||
	bad "junk in Redis: want no cert-changed, nothing loaded, no error" "$tmp/j.json" "$tmp/j.err"

# ---- Redis down for the whole run: warned, judged locally, counted
stop_redis
rc=0
N "$bin" -q -r "$good" -r "$other" --sensor-name tap-b --state "$url" --json "$tmp/down.json" >/dev/null 2>"$tmp/down.err" || rc=$?
[ $rc -eq 0 ] && grep -q 'cannot connect or read the shared state' "$tmp/down.err" && ok ||
	bad "Redis down: exit $rc or no warning" "$tmp/down.err"
[ "$(changed "$tmp/down.json" | grep -c 'seen in session #')" = 2 ] && ok ||
	bad "Redis down: want the two changes within the run, judged locally" "$tmp/down.json"
[ "$(stat "$tmp/down.json" shared_cert_unchecked)" = 4 ] && [ "$(stat "$tmp/down.json" shared_cert_dropped)" = 4 ] &&
	[ "$(stat "$tmp/down.json" shared_cert_sent)" = 0 ] && ok ||
	bad "Redis down: want 4 lookups unchecked, 4 certificates dropped" "$tmp/down.json"

# ---- --state FILE: as before, the certificate carried to the next run
"$bin" -q -r "$good" --state "$tmp/state" --json "$tmp/f1.json" >/dev/null 2>&1
"$bin" -q -r "$other" --state "$tmp/state" --json "$tmp/f2.json" >/dev/null 2>&1
[ -z "$(changed "$tmp/f1.json")" ] && [ "$(changed "$tmp/f2.json" | grep -c 'seen in an earlier run (--state)$')" = 2 ] &&
	ok || bad "--state FILE: want the two changes named as an earlier run's" "$tmp/f2.json"
grep -q "^cert 4 127.0.0.25 25 3b30ea966e97c722" "$tmp/state" && ok || bad "--state FILE: no cert line" "$tmp/state"
done_

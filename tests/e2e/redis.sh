#!/usr/bin/env bash
# End-to-end checks of --json redis://... against a real redis-server (Debian's
# redis-server, started here inside a network namespace of the test's own, on
# its loopback: nothing outside the namespace is touched):
#   - mode=list: LRANGE holds exactly the lines --json - prints, in order,
#     in both JSON styles;
#   - mode=channel: a real subscriber (redis-cli SUBSCRIBE) gets them all;
#   - mode=stream: XRANGE holds them, one entry each, field "json";
#   - a bad URL is a usage error; Redis down for the whole run: exit status 2,
#     every record counted as not delivered, nothing hangs;
#   - Redis killed and restarted in the middle of a run (the capture comes
#     through a FIFO): the records made while it was down wait in the queue
#     and arrive after the restart; none lost, a reconnection counted.
#   redis.sh BINARY TMPDIR
set -u
bin=$1 tmp=$2/redis
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
pass=0 fails=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL redis: $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | head -20; done
	fails=$((fails + 1))
}
done_() {
	echo "redis: $pass passed, $fails failed"
	[ "$fails" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ] || ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	echo "redis: skipped (needs root for a network namespace, and redis-server, redis-tools)"
	exit 0
fi
rm -rf "$tmp"
mkdir -p "$tmp"
ns=tlsw-redis-$$
port=6399
redis_pid=
sub_pid=
tw_pid=
cleanup() {
	for p in $tw_pid $sub_pid $redis_pid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
. "$here/redis-lib.sh"
redis_ns_up redis

smtp=$top/pcaps/smtp-auth-plain-cleartext.pcap
imap=$top/pcaps/imap-login.pcap
start_redis

# --- list, both styles -------------------------------------------------------
for style in tlswatch eve; do
	"$bin" -r "$smtp" -r "$imap" --json-style "$style" --json - >"$tmp/want-$style" 2>/dev/null
	N "$bin" -r "$smtp" -r "$imap" --json-style "$style" \
		--json "redis://127.0.0.1:$port/tw-$style?mode=list" >/dev/null 2>"$tmp/list.err"
	rc=$?
	cli LRANGE "tw-$style" 0 -1 >"$tmp/got-$style"
	if [ $rc -eq 0 ] && [ -s "$tmp/want-$style" ] && cmp -s "$tmp/want-$style" "$tmp/got-$style"; then
		ok
	else
		bad "list ($style): exit $rc, LRANGE differs from --json -" "$tmp/list.err"
		diff "$tmp/want-$style" "$tmp/got-$style" | head -5
	fi
done

# --- channel: a real subscriber ---------------------------------------------
ip netns exec "$ns" redis-cli -p "$port" --raw SUBSCRIBE tw-chan >"$tmp/sub.out" 2>&1 &
sub_pid=$!
wait_until '[ "$(cli PUBSUB NUMSUB tw-chan | tail -n 1)" = 1 ]' 100 || bad "the subscriber did not subscribe"
N "$bin" -r "$smtp" -r "$imap" --json "redis://127.0.0.1:$port/tw-chan?mode=channel" >/dev/null 2>"$tmp/chan.err"
rc=$?
n_want=$(wc -l <"$tmp/want-tlswatch")
wait_until '[ "$(grep -c "^{" "$tmp/sub.out")" -ge "$n_want" ]' 100
kill "$sub_pid" 2>/dev/null
wait "$sub_pid" 2>/dev/null
sub_pid=
if [ $rc -eq 0 ] && cmp -s "$tmp/want-tlswatch" <(grep '^{' "$tmp/sub.out"); then ok; else
	bad "channel: exit $rc, the subscriber got other lines than --json -" "$tmp/chan.err" "$tmp/sub.out"
fi

# --- stream ------------------------------------------------------------------
N "$bin" -r "$smtp" -r "$imap" --json "redis://127.0.0.1:$port/0/tw-stream?mode=stream&maxlen=1000" \
	>/dev/null 2>"$tmp/stream.err"
rc=$?
cli XRANGE tw-stream - + | grep '^{' >"$tmp/got-stream"
if [ $rc -eq 0 ] && [ "$(cli XLEN tw-stream)" = "$n_want" ] && cmp -s "$tmp/want-tlswatch" "$tmp/got-stream" &&
	[ "$(cli XRANGE tw-stream - + COUNT 1 | sed -n 2p)" = json ]; then ok; else
	bad "stream: exit $rc, XLEN $(cli XLEN tw-stream) (want $n_want) or entries differ" "$tmp/stream.err"
fi

# --- bad URLs ----------------------------------------------------------------
for url in 'redis://127.0.0.1' 'redis://127.0.0.1:0/k' 'redis://127.0.0.1/k?mode=queue' \
	'redis://127.0.0.1/k?maxlen=5' 'redis:///k'; do
	"$bin" -r "$smtp" --json "$url" >/dev/null 2>"$tmp/badurl.err"
	rc=$?
	if [ $rc -eq 2 ] && grep -q "tlswatch: --json redis://" "$tmp/badurl.err"; then ok; else
		bad "bad URL '$url': exit $rc" "$tmp/badurl.err"
	fi
done

# --- Redis down for the whole run -------------------------------------------
stop_redis
start=$(date +%s)
N "$bin" -r "$smtp" --json "redis://127.0.0.1:$port/tw-down" --stats >/dev/null 2>"$tmp/down.err"
rc=$?
took=$(($(date +%s) - start))
n_smtp=$("$bin" -r "$smtp" --json - 2>/dev/null | wc -l)
if [ $rc -eq 2 ] && grep -q "records not delivered" "$tmp/down.err" &&
	grep -Eq "^  redis_queued +$n_smtp$" "$tmp/down.err" && grep -Eq '^  redis_sent +0$' "$tmp/down.err" &&
	[ "$took" -lt 30 ]; then ok; else
	bad "Redis down: exit $rc after $took s; want 2, '$n_smtp records not delivered' counted" "$tmp/down.err"
fi

# --- Redis killed and restarted in the middle of a run ----------------------
# The first capture's sessions reach Redis; Redis goes; the second
# capture's records wait in the queue; Redis comes back (empty: no
# persistence) and gets them.
start_redis
mkfifo "$tmp/fifo"
python3 - "$imap" "$tmp/part2" <<'EOF'
import sys
open(sys.argv[2], "wb").write(open(sys.argv[1], "rb").read()[24:])  # packets only
EOF
"$bin" -r "$smtp" --json - 2>/dev/null | grep -E '"type":"(session|alert)"' >"$tmp/part1.want"
ip netns exec "$ns" "$bin" -r "$tmp/fifo" --stats --json "redis://127.0.0.1:$port/tw-fault" \
	>/dev/null 2>"$tmp/fault.err" &
tw_pid=$!
exec 3>"$tmp/fifo"
cat "$smtp" >&3
n1=$(wc -l <"$tmp/part1.want")
wait_until '[ "$(cli LLEN tw-fault)" -ge "$n1" ]' 150 || bad "the first capture's records did not reach Redis"
cli LRANGE tw-fault 0 -1 >"$tmp/part1.got"
stop_redis
cat "$tmp/part2" >&3
# tlswatch has read the whole second capture (its IMAP session ended there,
# so its records are made and wait) before Redis comes back.
total=$(($(stat -c %s "$smtp") + $(stat -c %s "$tmp/part2")))
wait_until '[ "$(awk "/^rchar/ {print \$2}" /proc/$tw_pid/io 2>/dev/null)" -ge "$total" ]' 150 ||
	bad "tlswatch did not read the second capture"
start_redis
exec 3>&-
wait "$tw_pid"
rc=$?
tw_pid=
cli LRANGE tw-fault 0 -1 >"$tmp/part2.got"
# Sessions and alerts as from the files (the closing records of a pipe are
# stamped with the clock, not the last packet), and as many records in all.
"$bin" -r "$smtp" -r "$imap" --json - 2>/dev/null >"$tmp/fault.all"
cat "$tmp/part1.got" "$tmp/part2.got" | grep '^{' >"$tmp/fault.got.all"
sessions() { grep -E '"type":"(session|alert)"' "$1" | sed -E 's/,"file":"[^"]*"//'; }
if [ $rc -eq 0 ] && cmp -s <(sessions "$tmp/fault.all") <(sessions "$tmp/fault.got.all") &&
	[ "$(wc -l <"$tmp/fault.all")" = "$(wc -l <"$tmp/fault.got.all")" ] &&
	grep -Eq '^  redis_reconnects +[1-9]' "$tmp/fault.err" && grep -Eq '^  redis_errors +[1-9]' "$tmp/fault.err"; then ok; else
	bad "restart: exit $rc; the records before and after the restart differ from --json -, or no reconnection counted" "$tmp/fault.err"
	diff <(sessions "$tmp/fault.all") <(sessions "$tmp/fault.got.all") | head -5
fi
done_

#!/usr/bin/env bash
# bench/scale-out.sh BINARY - what one Redis takes from several sensors
# (docs/scale-out.md; `make bench-scale`). A redis-server of its own in a
# network namespace of its own (nothing else is touched):
#   1. memory per tracked server: N offers written in tlswatch's key layout
#      (HSETNX first, HMSET service sensor last, EXPIRE), INFO's used_memory
#      before and after;
#   2. Redis's capacity for events: redis-benchmark with 1, 4 and 16
#      connections (one per simulated sensor), pipelined as tlswatch's
#      sender pipelines, records of the size of a session record, RPUSH
#      (mode=list) and PUBLISH (mode=channel);
#   3. real sensors: 1 and 2 tlswatch processes over a session-dense capture
#      with --json redis://.../events and --state redis://, against the same
#      runs with --json to a file: records per second, as a ratio.
# Environment: SCALE_SERVERS [100000]  SCALE_DENSE_MB [60]  SCALE_BENCH_N [200000]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:?usage: bench/scale-out.sh path/to/tlswatch}")
SERVERS=${SCALE_SERVERS:-100000}
DENSE_MB=${SCALE_DENSE_MB:-60}
BENCH_N=${SCALE_BENCH_N:-200000}
OUT=bench/out
mkdir -p "$OUT"
[ "$(id -u)" -eq 0 ] || { echo "scale-out: needs root (a network namespace)" >&2; exit 2; }
tools/install-deps.sh redis-server redis-tools >/dev/null
tmp=$(mktemp -d)
ns=tlsw-scale-$$
port=6396
redis_pid=
cleanup() {
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
cli() { ip netns exec "$ns" redis-cli -p "$port" "$@"; }
ip netns exec "$ns" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$tmp" --daemonize no >"$tmp/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do [ "$(cli ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
echo "redis: $(cli info server | grep -m1 redis_version | tr -d '\r')"

# ---- 1. memory per tracked server -----------------------------------------
used() { cli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
before=$(used)
python3 - "$SERVERS" >"$tmp/offers.txt" <<'EOF'
import sys
n = int(sys.argv[1])
def cmd(*a):
    out = "*%d\r\n" % len(a)
    for x in a:
        out += "$%d\r\n%s\r\n" % (len(x.encode()), x)
    return out
w = sys.stdout.write
for i in range(n):
    k = "tlswatch:offer:{4/10.%d.%d.%d/25/tcp}" % (i >> 16 & 255, i >> 8 & 255, i & 255)
    w(cmd("HSETNX", k, "first", "1764657000000000"))
    w(cmd("HMSET", k, "service", "smtp", "sensor", "mx-sensor-%d" % (i % 8), "last", "1764657000000000"))
    w(cmd("EXPIRE", k, "2592000"))
EOF
cli --pipe <"$tmp/offers.txt" >/dev/null
after=$(used)
per=$(((after - before) / SERVERS))
echo "memory: $SERVERS servers' offers take $(((after - before) / 1024)) KiB: $per bytes per server"

# ---- 2. Redis's capacity for events ----------------------------------------
rec=$("$BIN" -q -r pcaps/smtp-starttls-tls13.pcap --json - --sensor-name mx-sensor-1 | grep -m1 '"type":"session"' | wc -c)
echo "events: a session record is $rec bytes; redis-benchmark -n $BENCH_N -d $rec -P 64"
printf '%-10s %8s %14s %14s\n' sensors pipeline 'RPUSH/s' 'PUBLISH/s'
for c in 1 4 16; do
	r=()
	for t in rpush publish; do
		if [ $t = publish ]; then
			# redis-benchmark's own PUBLISH: no -t; a command line of its own
			line=$(ip netns exec "$ns" redis-benchmark -p "$port" -n "$BENCH_N" -c "$c" -P 64 -q \
				PUBLISH tlswatch:events "$(head -c "$rec" /dev/zero | tr '\0' x)" 2>/dev/null | tr '\r' '\n' | grep -m1 'requests per second')
		else
			line=$(ip netns exec "$ns" redis-benchmark -p "$port" -n "$BENCH_N" -c "$c" -P 64 -d "$rec" -q -t rpush 2>/dev/null |
				tr '\r' '\n' | grep -m1 'requests per second')
		fi
		r+=("$(echo "$line" | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p')")
	done
	printf '%-10s %8s %14s %14s\n' "$c" 64 "${r[0]}" "${r[1]}"
	cli del __rand_int__ mylist >/dev/null
done

# ---- 3. real sensors ---------------------------------------------------------
if [ ! -x "$OUT/gen-pcap" ] || [ bench/gen-pcap.c -nt "$OUT/gen-pcap" ]; then
	cc -std=c11 -D_GNU_SOURCE -O2 -o "$OUT/gen-pcap" bench/gen-pcap.c -lpcap -lm
fi
dense=$OUT/scale-dense-${DENSE_MB}M.pcap
[ -s "$dense" ] || "$OUT/gen-pcap" dense "$dense" "$DENSE_MB" pcaps >/dev/null
cat "$dense" >/dev/null # page cache
now() { date +%s.%N; }
# sensors K SINK: K tlswatch processes in parallel over the capture; prints
# the wall seconds.
sensors() {
	local k=$1 sink=$2 t0 pids=()
	t0=$(now)
	for i in $(seq 1 "$k"); do
		if [ "$sink" = redis ]; then
			ip netns exec "$ns" "$BIN" -q -r "$dense" --sensor-name "s$i" --no-ndpi \
				--state "redis://127.0.0.1:$port" \
				--json "redis://127.0.0.1:$port/tlswatch-events?mode=list" >/dev/null 2>"$tmp/s$i.err" &
		else
			"$BIN" -q -r "$dense" --sensor-name "s$i" --no-ndpi --json "$tmp/s$i.json" \
				--json-truncate >/dev/null 2>"$tmp/s$i.err" &
		fi
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || { echo "scale-out: a sensor failed:" >&2; cat "$tmp"/s*.err >&2; exit 1; }; done
	echo "$(now) - $t0" | bc -l
}
printf '\n%-8s %10s %12s %12s %10s\n' sensors records 'file rec/s' 'redis rec/s' 'ratio'
for k in 1 2; do
	cli del tlswatch-events >/dev/null
	tf=$(sensors "$k" file)
	n=$(cat "$tmp"/s*.json | wc -l)
	tr=$(sensors "$k" redis)
	nr=$(cli llen tlswatch-events)
	[ "$nr" -eq "$n" ] || echo "scale-out: $nr records in Redis, $n in the files" >&2
	printf '%-8s %10s %12.0f %12.0f %10.2f\n' "$k" "$nr" "$(echo "$n / $tf" | bc -l)" \
		"$(echo "$nr / $tr" | bc -l)" "$(echo "($nr / $tr) / ($n / $tf)" | bc -l)"
	rm -f "$tmp"/s*.json
done
echo "redis used_memory now: $(($(used) / 1024 / 1024)) MiB"

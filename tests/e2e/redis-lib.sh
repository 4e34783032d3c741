# Sourced by the tests that need a real redis-server (redis.sh, shared.sh):
# a network namespace of the test's own ($ns) with its loopback up, and a
# redis-server in it on $port, its files in $tmp. The sourcing script sets
# ns, port and tmp, and defines bad and done_; it calls redis_ns_up once
# (which skips the whole test where no namespace can be made).
redis_pid=
# (background jobs run ip netns exec themselves: it execs, so $! is the
# process itself, not a subshell)
N() { ip netns exec "$ns" "$@"; }
cli() { N redis-cli -p "$port" --raw "$@"; }

redis_ns_up() {
	ip netns add "$ns" 2>/dev/null || { echo "$1: skipped (cannot create a network namespace)"; exit 0; }
	ip -n "$ns" link set lo up
}
start_redis() {
	ip netns exec "$ns" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
		--daemonize no >>"$tmp/redis.log" 2>&1 3>&- &
	redis_pid=$!
	for _ in $(seq 1 100); do
		[ "$(cli ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	bad "redis-server did not answer PING" "$tmp/redis.log"
	done_
}
stop_redis() {
	kill "$redis_pid" 2>/dev/null
	wait "$redis_pid" 2>/dev/null
	redis_pid=
}
# Polls (at most $2 tenths of a second) until the command in $1 succeeds.
wait_until() {
	for _ in $(seq 1 "$2"); do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}

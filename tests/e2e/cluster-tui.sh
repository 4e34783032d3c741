#!/usr/bin/env bash
# tlswatch --cluster redis://... as a dashboard, end to end: a real
# redis-server in a network namespace of the test's own (redis-lib.sh), two
# sensors with --state redis:// over two captures (tap-a over
# pcaps/mixed-mail.pcapng, tap-b over pcaps/downgrade-smtp-strip.pcap), and
# the dashboard run in a detached tmux pane on a private socket, its screen
# read back with capture-pane (as tests/e2e/tui.sh does: no fixed sleeps,
# the screen is polled until it shows what is awaited).
#   - the sensors append their sessions and alerts to PREFIX:sessions and
#     PREFIX:alerts (counted in shared_feed_sent);
#   - the dashboard's header names the cluster and its two sensors; the
#     sessions of both sensors are listed with a SENSOR column; the
#     capability-stripped alert of tap-b is in the alerts panel, its
#     SENSOR column naming tap-b;
#   - the servers view (v) shows the rows of `--cluster URL --report
#     summary`'s "Per server:" table, the same numbers;
#   - `/ sensor:tap-a` keeps tap-a's sessions only;
#   - Redis killed while it runs: the header says so; started again: the
#     dashboard goes on and shows a third sensor's sessions as they come;
#   - q gives the terminal back (exit 0, alternate screen left);
#   - Redis down at start: a message and exit 2, before the screen is
#     taken;
#   - feed=N bounds a sensor's stream (XADD MAXLEN ~: N entries and at most
#     a stream node more).
#   cluster-tui.sh BINARY TMPDIR
set -u
bin=$1 tmp=$2/cluster-tui
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
pass=0 fails=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL cluster-tui: $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | head -40; done
	fails=$((fails + 1))
}
done_() {
	echo "cluster-tui: $pass passed, $fails failed"
	[ "$fails" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ] || ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null ||
	! command -v tmux >/dev/null; then
	echo "cluster-tui: skipped (needs root for a network namespace, redis-server, redis-tools, tmux)"
	exit 0
fi
rm -rf "$tmp"
mkdir -p "$tmp"
ns=tlsw-cltui-$$
port=6399
url=redis://127.0.0.1:$port
curl_=$url'?prefix=ct'
sock=tlsw-cltui-$$
redis_pid=
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null
	[ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
. "$here/redis-lib.sh"
redis_ns_up cluster-tui
shot() {
	screen >"$tmp/shot"
	echo "$tmp/shot"
}
stat() { grep '"type":"stats"' "$1" | tail -n 1 | sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p"; }

# ---- tmux, as tests/e2e/tui.sh drives it
T() { tmux -L "$sock" -f /dev/null "$@"; }
screen() { T capture-pane -p -t tui; }
wait_for() {
	local pat=$1 limit=$((${2:-10} * 10)) i=0
	while [ $i -lt $limit ]; do
		screen | grep -qE -- "$pat" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
pane() {
	T has-session -t keep 2>/dev/null ||
		T new-session -d -s keep -x 20 -y 5 -- sleep 100000 || return 1
	T kill-session -t tui 2>/dev/null
	T new-session -d -s tui -x "$1" -y "$2" -- env PS1='tui$ ' bash --norc --noprofile || return 1
	T set-option -t tui status off >/dev/null
	wait_for '^tui\$' 5
}
run() {
	T send-keys -t tui -l "clear; $1; echo EXIT=\$?"
	T send-keys -t tui Enter
}
send() {
	local pat=${*: -1}

	T send-keys -t tui "${@:1:$#-1}"
	wait_for "$pat" 5
}

# ---- Redis down at start: said before the screen is taken, exit 2
pane 120 40 || { bad "cannot start tmux"; done_; }
run "ip netns exec $ns '$bin' --cluster '$curl_' --tui 2>'$tmp/down.err'"
if wait_for '^EXIT=' 10 && screen | grep -q '^EXIT=2$' &&
	grep -q "^tlswatch: --cluster redis://127.0.0.1:$port: " "$tmp/down.err"; then ok; else
	bad "Redis down at start: want a message and exit 2" "$tmp/down.err"
	screen | tail -3
fi

start_redis
# ---- two sensors
N "$bin" -q -r "$top/pcaps/mixed-mail.pcapng" --sensor-name tap-a --state "$curl_" \
	--json "$tmp/a.json" >/dev/null 2>&1
N "$bin" -q -r "$top/pcaps/downgrade-smtp-strip.pcap" --sensor-name tap-b --state "$curl_" \
	--json "$tmp/b.json" >/dev/null 2>&1
sa=$(grep -c '"type":"session"' "$tmp/a.json") sb=$(grep -c '"type":"session"' "$tmp/b.json")
aa=$(grep -c '"type":"alert"' "$tmp/a.json") ab=$(grep -c '"type":"alert"' "$tmp/b.json")
[ "$(stat "$tmp/a.json" shared_feed_sent)" = $((sa + aa)) ] &&
	[ "$(stat "$tmp/b.json" shared_feed_sent)" = $((sb + ab)) ] &&
	[ "$(stat "$tmp/b.json" shared_feed_dropped)" = 0 ] && ok ||
	bad "the sensors did not send every session and alert to the feed" "$tmp/a.json"
[ "$(cli xlen ct:sessions)" = $((sa + sb)) ] && [ "$(cli xlen ct:alerts)" = $((aa + ab)) ] && ok ||
	bad "ct:sessions holds $(cli xlen ct:sessions) entries, want $((sa + sb)); ct:alerts $(cli xlen ct:alerts), want $((aa + ab))"
cli xrange ct:sessions - + COUNT 1 | grep -q '^session sensor=tap-a ' && ok ||
	bad "the first entry of ct:sessions is not a session record of tap-a"
N "$bin" --cluster "$curl_" --report summary >"$tmp/report.txt" 2>&1

# ---- the dashboard
pane 120 40
run "ip netns exec $ns '$bin' --cluster '$curl_'"
if wait_for 'cluster redis://127.0.0.1:'$port' prefix ct: 2 sensors' 10 &&
	wait_for 'capability-stripped' 5; then ok; else
	bad "no header naming the cluster and its 2 sensors, or no alert"
	screen | head -5
fi
screen >"$tmp/main"
grep -qE '^TIME +SENSOR +CLIENT +SERVER' "$tmp/main" && ok || bad "no SENSOR column" "$tmp/main"
[ "$(grep -cE '^[0-9:]{8} tap-a ' "$tmp/main")" = "$sa" ] &&
	[ "$(grep -cE '^[0-9:]{8} tap-b ' "$tmp/main")" = "$sb" ] && ok ||
	bad "want $sa sessions of tap-a and $sb of tap-b listed" "$tmp/main"
grep -qE '^[0-9:]{8} tap-b +127\.0\.0\.1:48856 +127\.0\.0\.10:25 +smtp +! downgraded/capability-stripped' "$tmp/main" &&
	ok || bad "tap-b's stripped session is not listed as downgraded" "$tmp/main"
grep -qE '^[0-9:]{8} ! high +capability-stripped +#[0-9]+ +127\.0\.0\.10:25 +tap-b +STARTTLS not offered' "$tmp/main" &&
	ok || bad "no capability-stripped alert in the alerts panel" "$tmp/main"

# The servers view: the rows of the text summary's "Per server:" table.
servers_text() {
	awk '/^Per server:/ { on = 1; next }
		on && /^  SERVER/ { next }
		on && /^  [0-9\[][^ ]* / { print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12; next }
		on { exit }' "$1" | sort
}
servers_screen() {
	screen | awk '/^SERVER +SERVICE/ { on = 1; next }
		on && /^[0-9\[][^ ]* / { print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12; next }
		on { exit }' | sort
}
if send v '^Servers '; then
	servers_screen >"$tmp/servers.screen"
	servers_text "$tmp/report.txt" >"$tmp/servers.text"
	if [ -s "$tmp/servers.text" ] && diff -u "$tmp/servers.text" "$tmp/servers.screen" >"$tmp/servers.diff"; then ok; else
		bad "the servers view differs from --report summary's Per server table" "$tmp/servers.diff" "$tmp/report.txt"
	fi
	send v '^> Sessions' || bad "v did not go back"
else
	bad "v did not open the servers view"
fi

# The filter: one sensor's sessions.
T send-keys -t tui /
T send-keys -t tui -l 'sensor:tap-a'
if send Enter "Sessions  $sa shown / $((sa + sb)) seen .*filter: sensor:tap-a"; then
	screen >"$tmp/filtered"
	[ "$(grep -cE '^[0-9:]{8} tap-a ' "$tmp/filtered")" = "$sa" ] &&
		! grep -qE '^[0-9:]{8} tap-b ' "$tmp/filtered" && ok || bad "sensor:tap-a lists other sessions" "$tmp/filtered"
	send Escape "Sessions  $((sa + sb)) shown" || bad "Esc did not clear the filter"
else
	bad "/ sensor:tap-a did not filter" "$(shot)"
fi

# Redis lost while running: said in the header; back: a third sensor's
# sessions arrive.
stop_redis
wait_for 'REDIS LOST' 10 && ok || bad "Redis killed: the header does not say so" "$(shot)"
start_redis
N "$bin" -q -r "$top/pcaps/downgrade-imap-strip.pcap" --sensor-name tap-c --state "$curl_" \
	--json "$tmp/c.json" >/dev/null 2>&1
if wait_for "prefix ct: 1 sensor" 10 && wait_for '^[0-9:]{8} tap-c ' 10; then ok; else
	bad "after Redis came back: no tap-c session, or the header still says lost" "$(shot)"
fi
screen | grep -q 'REDIS LOST' && bad "the header still says REDIS LOST" "$(shot)" || ok

# q gives the terminal back.
T send-keys -t tui q
if wait_for '^EXIT=[0-9]+' 10 && screen | grep -q '^EXIT=0$' &&
	[ "$(T display -p -t tui '#{alternate_on}#{cursor_flag}#{keypad_cursor_flag}')" = "010" ]; then ok; else
	bad "q did not restore the terminal" "$(shot)"
fi

# --tui without a terminal: the text summary, unchanged.
N "$bin" --cluster "$curl_" --tui >"$tmp/notty.txt" 2>"$tmp/notty.err"
grep -q '^Per server:' "$tmp/notty.txt" && grep -q 'stdout is not a terminal' "$tmp/notty.err" && ok ||
	bad "--cluster --tui without a terminal: want a warning and the text summary" "$tmp/notty.err"

# ---- feed=N bounds a sensor's stream
cli config set stream-node-max-entries 4 >/dev/null
caps=("$top"/pcaps/downgrade-*.pcap)
args=()
for c in "${caps[@]}"; do args+=(-r "$c"); done
N "$bin" -q "${args[@]}" --sensor-name tap-d --state "$url?prefix=bound&feed=20" --json "$tmp/d.json" >/dev/null 2>&1
sd=$(grep -c '"type":"session"' "$tmp/d.json")
len=$(cli xlen bound:sessions)
if [ "$sd" -gt 40 ] && [ "$len" -ge 20 ] && [ "$len" -le 24 ]; then ok; else
	bad "feed=20: bound:sessions holds '$len' entries after $sd sessions, want 20 to 24"
fi
N "$bin" -q -r "$top/pcaps/mixed-mail.pcapng" --state "$url?prefix=nofeed&feed=0" >/dev/null 2>&1
[ "$(cli exists nofeed:sessions)" = 0 ] && ok || bad "feed=0 still wrote nofeed:sessions"

done_

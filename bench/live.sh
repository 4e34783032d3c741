#!/usr/bin/env bash
# bench/live.sh BINARY - live capture: what the kernel drops for tlswatch -i
# and for tcpdump -i on the same packets (docs/performance.md, "Live capture:
# replay onto a veth pair"; `make bench-live`, never part of `make check`).
#
# Generates the session-dense capture (bench/gen-pcap.c, as `make bench`
# does; kept in bench/out/live/ while the generator, the templates in pcaps/
# and the size are unchanged), makes a network namespace of its own holding
# a veth pair (nothing is sent anywhere else), and for each rate and each
# tlswatch configuration (one thread, --threads 2) replays the capture with
# tcpreplay onto one end while tcpdump -w /dev/null and tlswatch capture on
# the other end at the same time, with the same -B. Each capturer is started
# and waited for until it says "listening on" (the packet socket and its ring
# exist from then on); after the replay the script waits until the receiving
# veth counted its last packet and both capturers stopped using CPU (their
# rings are drained), then stops them with SIGINT by PID and reads libpcap's
# pcap_stats from what they print at the end: tcpdump's "packets received by
# filter" / "dropped by kernel", tlswatch's "packets received by filter,
# ... dropped by kernel" line (the same numbers as --stats' pcap_received
# and pcap_dropped) and --stats' packets (what it analysed). Prints a table
# and writes it to bench/out/live/results.csv.
#
# Environment (defaults in brackets):
#   LIVE_DENSE_MB [200]        size of the replayed session-dense capture, MiB
#   LIVE_RATES [topspeed 200 1000]  tcpreplay --topspeed, or --mbps RATE
#   LIVE_RUNS [2]              replays per rate and configuration
#   LIVE_CONFIGS [1t 2t]       tlswatch one thread, --threads 2
#   LIVE_BUFFER_KIB [2048]     -B of both tools (libpcap's default size)
#   LIVE_TCPDUMP_OPTS []       more tcpdump options (e.g. --immediate-mode)
#   LIVE_TLSWATCH_OPTS []      more tlswatch options (e.g. -s 1600)
#   LIVE_INSTALL [1]           0: never install tcpreplay (fail if missing)
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${1:?usage: bench/live.sh path/to/tlswatch}
[ -x "$BIN" ] || { echo "bench-live: $BIN is not an executable" >&2; exit 2; }
BIN=$(realpath "$BIN")
DENSE_MB=${LIVE_DENSE_MB:-200}
RATES=${LIVE_RATES:-topspeed 200 1000}
RUNS=${LIVE_RUNS:-2}
CONFIGS=${LIVE_CONFIGS:-1t 2t}
BUF=${LIVE_BUFFER_KIB:-2048}
read -r -a TD_OPTS <<<"${LIVE_TCPDUMP_OPTS:-}"
read -r -a TW_OPTS <<<"${LIVE_TLSWATCH_OPTS:-}"
OUT=bench/out/live # a directory of its own: bench/run.sh prunes bench/out/*.pcap
mkdir -p "$OUT"

die() { echo "bench-live: $*" >&2; exit 1; }
say() { printf '\n== %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-live: needs root (a network namespace, packet sockets)" >&2; exit 2; }

# ---- tools ---------------------------------------------------------------
if ! have tcpreplay || ! have tcpdump; then
	[ "${LIVE_INSTALL:-1}" = 1 ] || die "missing tcpreplay or tcpdump (apt-get install tcpreplay tcpdump)"
	tools/install-deps.sh tcpreplay tcpdump ||
		die "could not install tcpreplay/tcpdump: apt-get install tcpreplay tcpdump"
	have tcpreplay && have tcpdump || die "still missing tcpreplay or tcpdump"
fi

# ---- the capture (as bench/run.sh makes it) -------------------------------
WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers"
if [ ! -x "$OUT/gen-pcap" ] || [ bench/gen-pcap.c -nt "$OUT/gen-pcap" ]; then
	# shellcheck disable=SC2046,SC2086
	${CC:-cc} -std=c11 -D_GNU_SOURCE $WARN -O2 -g $(pkg-config --cflags libpcap 2>/dev/null) \
		-o "$OUT/gen-pcap" bench/gen-pcap.c $(pkg-config --libs libpcap 2>/dev/null || echo -lpcap) -lm
fi
key=$({ "$OUT/gen-pcap" --version; cat bench/gen-pcap.c; for f in $(ls pcaps/*.pcap pcaps/*.pcapng | LC_ALL=C sort); do
	cat "$f"; done; } | sha256sum | cut -c1-10)
CAP=$OUT/dense-${DENSE_MB}M-$key.pcap
for f in "$OUT"/*.pcap; do
	[ -e "$f" ] && [ "$f" != "$CAP" ] && { echo "bench-live: removing stale $f"; rm -f "$f"; }
done
if [ -s "$CAP" ]; then
	echo "bench-live: reusing $CAP"
else
	say "generating $CAP"
	"$OUT/gen-pcap" dense "$CAP" "$DENSE_MB" pcaps
fi
cat "$CAP" >/dev/null # tcpreplay reads it from the page cache
if have capinfos; then
	PACKETS=$(capinfos -M -c "$CAP" | sed -n 's/^Number of packets: *\([0-9]*\).*/\1/p')
else
	PACKETS=$(tcpdump -nr "$CAP" 2>/dev/null | wc -l)
fi

# ---- the namespace ---------------------------------------------------------
ns=tlsw-blive-$$
tx=tlwlt$$ # tcpreplay sends here ...
rx=tlwlr$$ # ... the capturers listen here
tmp=$(mktemp -d /tmp/tlswatch-bench-live.XXXXXX)
pids=()
cleanup() {
	local p
	set +e # a killed child's status must not end the cleanup
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns" || die "cannot create a network namespace"
ip -n "$ns" link add "$tx" type veth peer name "$rx" || die "cannot create a veth pair"
# The capture holds a few IPv6 frames of 1534 bytes (a template recorded with
# a larger MTU): the MTU leaves room for them, and stays near 1500 since
# libpcap sizes TPACKET_V2's ring slots from it. No IPv6 on the pair: the
# kernel's own router solicitations would be counted along.
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
for d in "$tx" "$rx"; do
	ip -n "$ns" link set "$d" mtu 1600 up
done
for _ in $(seq 1 50); do
	ip -n "$ns" link show "$rx" | grep -q LOWER_UP && break
	sleep 0.1
done
ip -n "$ns" link show "$rx" | grep -q LOWER_UP || die "the veth pair did not come up"
counter() { ip netns exec "$ns" cat "/sys/class/net/$1/statistics/$2"; }

# ---- one replay ------------------------------------------------------------
# wait_ready PID ERRFILE NAME: until NAME prints "listening on" (its packet
# socket and ring are set up: every packet from now on is counted).
wait_ready() {
	local _
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || { cat "$2" >&2; die "$3 exited at start"; }
		grep -q 'listening on' "$2" && return 0
		sleep 0.1
	done
	die "$3 did not say 'listening on' within 10 s"
}
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# settle PIDS...: until the receiving veth's packet count stands still and
# the capturers are idle (at most 2 clock ticks of CPU, all threads, per half
# second: tlswatch --threads 2 uses about 3 % of a core on a quiet link)
# for two seconds: the last packet has arrived and been read. Two seconds,
# not less: tcpdump's TPACKET_V3 ring hands over a partly filled block only
# when its timeout (1 s) expires. Bounded: 120 s.
settle() {
	local prev=() now=() _ i still=0 busy
	for _ in $(seq 1 240); do
		now=("$(counter "$rx" rx_packets)")
		for i in "$@"; do now+=("$(cpu_of "$i")"); done
		busy=0
		if [ ${#prev[@]} -eq 0 ] || [ "${now[0]}" != "${prev[0]}" ]; then
			busy=1
		else
			for ((i = 1; i < ${#now[@]}; i++)); do
				[ $((now[i] - prev[i])) -gt 2 ] && busy=1
			done
		fi
		if [ $busy = 0 ]; then
			still=$((still + 1))
			[ $still -ge 4 ] && return 0
		else
			still=0
		fi
		prev=("${now[@]}")
		sleep 0.5
	done
	echo "bench-live: WARNING the capturers were still busy 120 s after the replay" >&2
}
# stop PID: SIGINT, then wait (bounded: 60 s; the report of tlswatch comes
# after the capture stops).
stop() {
	local _
	kill -INT "$1"
	for _ in $(seq 1 600); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && { kill -KILL "$1"; die "PID $1 did not exit within 60 s of SIGINT"; }
	wait "$1" || echo "bench-live: WARNING PID $1 exited with status $?" >&2
}

CSV=$OUT/results.csv
rm -rf "$OUT/logs"
mkdir -p "$OUT/logs" # what each tool and tcpreplay printed, per replay
echo "rate,run,config,replay_mbps,replay_pps,sent,send_failed,arrived,tool,received,processed,dropped,ifdropped,drop_pct" >"$CSV"
# replay RATE RUN CONFIG: one replay with tcpdump and tlswatch CONFIG at once;
# two rows of the CSV.
replay() {
	local rate=$1 run=$2 conf=$3 td tw rx0 sent failed mbps pps arrived opt=("${TW_OPTS[@]}")
	[ "$conf" = 2t ] && opt+=(--threads 2)
	ip netns exec "$ns" tcpdump -n -i "$rx" -B "$BUF" "${TD_OPTS[@]}" -w /dev/null \
		>"$tmp/td.out" 2>"$tmp/td.err" &
	td=$!
	pids+=("$td")
	ip netns exec "$ns" "$BIN" -i "$rx" --no-tui -B "$BUF" "${opt[@]}" --stats --json /dev/null \
		>"$tmp/tw.out" 2>"$tmp/tw.err" &
	tw=$!
	pids+=("$tw")
	wait_ready "$td" "$tmp/td.err" tcpdump
	wait_ready "$tw" "$tmp/tw.err" "tlswatch $conf"
	rx0=$(counter "$rx" rx_packets)
	local speed=(--mbps "$rate") rp
	[ "$rate" = topspeed ] && speed=(--topspeed)
	# in the background, waited for: a signal to the script is handled at once
	ip netns exec "$ns" tcpreplay -i "$tx" "${speed[@]}" "$CAP" >"$tmp/rep.out" 2>&1 &
	rp=$!
	pids+=("$rp")
	wait "$rp" || { cat "$tmp/rep.out" >&2; die "tcpreplay failed"; }
	settle "$td" "$tw"
	arrived=$(($(counter "$rx" rx_packets) - rx0))
	stop "$td"
	stop "$tw"
	pids=()
	for f in rep td tw; do cp "$tmp/$f".* "$OUT/logs/"; done
	for f in "$OUT"/logs/{rep.out,td.err,td.out,tw.err,tw.out}; do
		mv "$f" "${f%.*}-$rate-$run-$conf.${f##*.}"
	done
	sent=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$tmp/rep.out")
	failed=$(sed -n 's/.*Failed packets: *\([0-9]*\).*/\1/p' "$tmp/rep.out")
	read -r mbps pps < <(sed -n 's/.*Rated: *[0-9.]* Bps, *\([0-9.]*\) Mbps, *\([0-9.]*\) pps.*/\1 \2/p' "$tmp/rep.out")
	# tcpdump: "N packets captured", "N packets received by filter",
	# "N packets dropped by kernel" (and "N packets dropped by interface"
	# where libpcap knows it)
	local t_cap t_rcv t_drop t_if w_rcv w_drop w_if w_pk
	t_cap=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$tmp/td.err")
	t_rcv=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter.*/\1/p' "$tmp/td.err")
	t_drop=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$tmp/td.err")
	t_if=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by interface.*/\1/p' "$tmp/td.err")
	read -r w_rcv w_drop w_if < <(sed -n 's/^tlswatch: \([0-9]*\) packets received by filter, \([0-9]*\) dropped by kernel, \([0-9]*\) dropped by interface.*/\1 \2 \3/p' "$tmp/tw.err")
	w_pk=$(awk '$1 == "packets" { print $2; exit }' "$tmp/tw.err")
	[ -n "$t_rcv" ] && [ -n "$w_rcv" ] || { cat "$tmp/td.err" "$tmp/tw.err" >&2; die "no drop counters printed"; }
	# What a tool read plus what the kernel dropped for it is what arrived:
	# otherwise a counter is wrong (or the ring was not drained).
	[ $((t_cap + t_drop)) -eq "$arrived" ] ||
		echo "bench-live: NOTE tcpdump: captured $t_cap + dropped $t_drop != $arrived arrived" >&2
	[ $((w_pk + w_drop)) -eq "$arrived" ] ||
		echo "bench-live: NOTE tlswatch $conf: packets $w_pk + dropped $w_drop != $arrived arrived" >&2
	row() { # row TOOL RECEIVED PROCESSED DROPPED IFDROPPED
		awk -v r="$rate" -v n="$run" -v c="$conf" -v m="$mbps" -v p="$pps" -v s="$sent" \
			-v f="${failed:-0}" -v a="$arrived" -v t="$1" -v rc="$2" -v pk="$3" -v d="$4" -v i="${5:-0}" \
			'BEGIN { printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.2f\n", r, n, c, m, p, s, f, a,
				t, rc, pk, d, i, (rc > 0 ? 100 * d / rc : 0) }' >>"$CSV"
	}
	row tcpdump "$t_rcv" "$t_cap" "$t_drop" "$t_if"
	row "tlswatch-$conf" "$w_rcv" "$w_pk" "$w_drop" "$w_if"
	tail -2 "$CSV" | awk -F, '{ printf "bench-live: %-8s run %s: %7s Mbit/s %8s pps  %-12s received %8s dropped %8s (%5.2f %%)\n",
		$1, $2, $4, $5, $9, $10, $12, $14 }' >&2
}

say "replaying $CAP ($PACKETS packets) onto $tx -> $rx in $ns; -B $BUF KiB for both; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "tcpdump: $(tcpdump --version 2>&1 | head -1), $(tcpdump --version 2>&1 | sed -n 's/^libpcap version \([^ ]*\).*/libpcap \1/p')${TD_OPTS[*]:+, options ${TD_OPTS[*]}}"
echo "tlswatch: $BIN, $("$BIN" --version 2>&1 | head -1), -B $BUF --stats --json /dev/null${TW_OPTS[*]:+ ${TW_OPTS[*]}} (and --threads 2 for 2t)"
echo "tcpreplay: $(tcpreplay --version 2>&1 | head -1)"
for rate in $RATES; do
	for run in $(seq 1 "$RUNS"); do
		for conf in $CONFIGS; do
			replay "$rate" "$run" "$conf"
		done
	done
done

say "results (received = libpcap's ps_recv, which counts the kernel's drops too; drop % = dropped / received)"
awk -F, 'NR == 1 { printf "%-9s %3s %9s %9s %-12s %9s %9s %9s %7s\n", "rate", "run", "Mbit/s", "pps",
		"tool", "received", "processed", "dropped", "drop %"; next }
	{ printf "%-9s %3s %9s %9s %-12s %9s %9s %9s %7.2f\n", $1 == "topspeed" ? $1 : $1 " Mb/s", $2,
		$4, $5, $9, $10, $11, $12, $14 }' "$CSV"
echo "(Mbit/s, pps: what tcpreplay achieved; each tlswatch row and the tcpdump row above it"
echo " captured the same replay at the same time; CSV: $CSV; logs: $OUT/logs/)"

#!/usr/bin/env bash
# bench/run.sh BINARY - the benchmark of `make bench` (docs/performance.md).
#
# Builds the capture generator and the bare libpcap loop, generates the
# captures once (bench/out/, reused while the generator, the templates in
# pcaps/ and the size are unchanged), installs the tools it compares against
# when missing, then on the big capture, from the page cache, takes the
# median wall time of several runs and the peak RSS of: the bare loop,
# tcpdump -w /dev/null, ndpiReader, tshark with a STARTTLS display filter and
# tlswatch (one thread, and --threads 2, whose output must be the same).
# Prints a table, writes it to bench/out/results.csv, prints
# tlswatch's --stats, runs the flood tests (1M SYN-only flows, heavy
# reordering; fails if tlswatch's peak RSS exceeds the bound derived from its
# caps or a cap is hit without its counter moving) and a first profile.
# The udp-flood profile (a DNS flood from 1M spoofed sources, gen-pcap
# udpflood) gets the same table, then tlswatch's peak RSS and UDP flow
# counters with the default caps, a small --max-udp-flows and a short
# --udp-timeout (fails if the UDP cap is exceeded, an eviction is not
# counted or the RSS passes its bound).
#
# Environment (defaults in brackets):
#   BENCH_SIZE_MB [1100]     size of the bulk-heavy capture (main), MiB
#   BENCH_DENSE_MB [600]     size of the session-dense capture (dense), MiB
#   BENCH_UDP_SOURCES [1000000]  spoofed sources of the DNS flood (udp-flood)
#   BENCH_PROFILES [main dense udp-flood]  which captures get the table
#   BENCH_UDP_SMALL_CAP [4096]  the small --max-udp-flows of udp-flood
#   BENCH_BASELINE           another tlswatch binary, measured as row 'baseline'
#                            (before/after in the same run)
#   BENCH_RUNS [5]           runs per tool (median); BENCH_TSHARK_RUNS [3]
#   BENCH_TOOLS              [bare bare-1m tcpdump ndpiReader tshark tlswatch tlswatch-json
#                            tlswatch-text tlswatch-2t tlswatch-2tj]; tshark runs on main only
#                            unless BENCH_TSHARK_ALL=1
#   BENCH_SYN_FLOWS [1000000]  BENCH_REORDER_MB [300]
#   BENCH_FLOOD [1]  BENCH_PROFILE [1]  BENCH_PROFILE_MB [200] (callgrind slice)
#   BENCH_BASE_MB [64] BENCH_FLOW_BYTES [3584] BENCH_OOO_MB [64]: the RSS bound
#   BENCH_MEMCAP_MB [512]: tlswatch's default --memcap, which caps the flows' share
#   BENCH_UDP_FLOW_BYTES [4096]: ... per UDP flow held (udp-flood)
#   BENCH_INSTALL [1]        0: never install packages (skip missing tools)
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${1:?usage: bench/run.sh path/to/tlswatch}
[ -x "$BIN" ] || { echo "bench: $BIN is not an executable" >&2; exit 2; }
BIN=$(realpath "$BIN")

OUT=bench/out
SIZE_MB=${BENCH_SIZE_MB:-1100}
DENSE_MB=${BENCH_DENSE_MB:-600}
UDP_SOURCES=${BENCH_UDP_SOURCES:-1000000}
PROFILES=${BENCH_PROFILES:-main dense udp-flood}
UDP_SMALL_CAP=${BENCH_UDP_SMALL_CAP:-4096}
BASELINE=${BENCH_BASELINE:-}
RUNS=${BENCH_RUNS:-5}
TSHARK_RUNS=${BENCH_TSHARK_RUNS:-3}
TOOLS=${BENCH_TOOLS:-bare bare-1m tcpdump ndpiReader tshark tlswatch tlswatch-json tlswatch-text tlswatch-2t tlswatch-2tj}
[ -n "$BASELINE" ] && { TOOLS="$TOOLS baseline"; BASELINE=$(realpath "$BASELINE"); }
SYN_FLOWS=${BENCH_SYN_FLOWS:-1000000}
REORDER_MB=${BENCH_REORDER_MB:-300}
PROFILE_MB=${BENCH_PROFILE_MB:-200}
DO_FLOOD=${BENCH_FLOOD:-1}
DO_PROFILE=${BENCH_PROFILE:-1}
BASE_MB=${BENCH_BASE_MB:-64}
FLOW_BYTES=${BENCH_FLOW_BYTES:-3584}
MEMCAP_MB=${BENCH_MEMCAP_MB:-512}
UDP_FLOW_BYTES=${BENCH_UDP_FLOW_BYTES:-4096}
OOO_MB=${BENCH_OOO_MB:-64}
DEFAULT_MAX_FLOWS=262144
DEFAULT_MAX_UDP_FLOWS=65536
STARTTLS_FILTER='smtp.req.command == "STARTTLS" or imap.request contains "STARTTLS" or pop.request.command == "STLS"'

mkdir -p "$OUT"
say() { printf '\n== %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---- tools ---------------------------------------------------------------
pkgs=(tshark libndpi-bin hyperfine time)
[ "$DO_PROFILE" = 1 ] && pkgs+=(valgrind linux-perf)
if [ "${BENCH_INSTALL:-1}" = 1 ]; then
	if ! have tshark; then
		# wireshark-common asks whether non-root users may capture: no.
		sudo=""
		[ "$(id -u)" -ne 0 ] && sudo=sudo
		echo 'wireshark-common wireshark-common/install-setuid boolean false' |
			$sudo debconf-set-selections
	fi
	tools/install-deps.sh "${pkgs[@]}" ||
		echo "bench: could not install some tools; those are skipped" >&2
fi

# ---- build ---------------------------------------------------------------
WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers"
CCFLAGS="-std=c11 -D_GNU_SOURCE $WARN -O2 -g $(pkg-config --cflags libpcap 2>/dev/null)"
PCAP_LIBS=$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
for prog in gen-pcap bare-loop; do
	if [ ! -x "$OUT/$prog" ] || [ "bench/$prog.c" -nt "$OUT/$prog" ]; then
		${CC:-cc} $CCFLAGS -o "$OUT/$prog" "bench/$prog.c" $PCAP_LIBS -lm
	fi
done

# ---- captures (generated once; the name carries what they depend on) -----
key=$({ "$OUT/gen-pcap" --version; cat bench/gen-pcap.c; for f in $(ls pcaps/*.pcap pcaps/*.pcapng | LC_ALL=C sort); do
	cat "$f"; done; } | sha256sum | cut -c1-10)
MAIN=$OUT/main-${SIZE_MB}M-$key.pcap
DENSE=$OUT/dense-${DENSE_MB}M-$key.pcap
SLICE=$OUT/main-${PROFILE_MB}M-$key.pcap
REORDER=$OUT/reorder-${REORDER_MB}M-$key.pcap
SYNFLOOD=$OUT/synflood-${SYN_FLOWS}-$key.pcap
UDPFLOOD=$OUT/udpflood-${UDP_SOURCES}-$key.pcap
wanted=("$MAIN" "$DENSE" "$UDPFLOOD")
[ "$DO_FLOOD" = 1 ] && wanted+=("$REORDER" "$SYNFLOOD")
[ "$DO_PROFILE" = 1 ] && wanted+=("$SLICE")
rm -f "$OUT"/*.pcap.tmp # left by an interrupted generation
for f in "$OUT"/*.pcap; do # captures of another generator version or size
	[ -e "$f" ] || continue
	keep=0
	for w in "${wanted[@]}"; do [ "$f" = "$w" ] && keep=1; done
	[ $keep = 1 ] || { echo "bench: removing stale $f"; rm -f "$f"; }
done
gen() { # gen FILE ARGS...
	local f=$1
	shift
	if [ -s "$f" ]; then
		echo "bench: reusing $f"
	else
		say "generating $f"
		"$OUT/gen-pcap" "$@"
	fi
}
for prof in $PROFILES; do
	case $prof in
	main) gen "$MAIN" main "$MAIN" "$SIZE_MB" pcaps ;;
	dense) gen "$DENSE" dense "$DENSE" "$DENSE_MB" pcaps ;;
	udp-flood) gen "$UDPFLOOD" udpflood "$UDPFLOOD" "$UDP_SOURCES" pcaps ;;
	*) echo "bench: unknown profile $prof" >&2; exit 2 ;;
	esac
done
[ "$DO_FLOOD" = 1 ] && gen "$REORDER" reorder "$REORDER" "$REORDER_MB" pcaps
[ "$DO_FLOOD" = 1 ] && gen "$SYNFLOOD" synflood "$SYNFLOOD" "$SYN_FLOWS"
[ "$DO_PROFILE" = 1 ] && gen "$SLICE" main "$SLICE" "$PROFILE_MB" pcaps

# ---- measuring -----------------------------------------------------------
stat_of() { # stat_of FILE NAME: a counter from tlswatch --stats
	awk -v n="$2" '$1 == n { print $2; exit }' "$1"
}

# measure NAME RUNS CMD...: median wall and CPU (user + system) seconds and
# the peak RSS (KiB) of RUNS runs; sets WALL, CPU and RSS; the last run's
# stdout is kept in $OUT/out-NAME.txt.
measure() {
	local name=$1 runs=$2
	shift 2
	local rssf=$OUT/rss-$name.txt
	rm -f "$rssf"
	if have hyperfine; then
		local q=() a
		for a in "$@"; do q+=("$(printf '%q' "$a")"); done
		hyperfine -N --style basic --runs "$runs" --export-json "$OUT/hyperfine-$name.json" \
			--output="$OUT/out-$name.txt" \
			"/usr/bin/time -a -o $rssf -f '%M %U %S' ${q[*]}" >"$OUT/hyperfine-$name.log" 2>&1 ||
			{ cat "$OUT/hyperfine-$name.log" >&2; return 1; }
		WALL=$(awk -F'[:,]' '/"median"/ { gsub(/ /, "", $2); print $2; exit }' \
			"$OUT/hyperfine-$name.json")
	else
		local i t0 t1 times=()
		for ((i = 0; i < runs; i++)); do
			t0=$(date +%s.%N)
			/usr/bin/time -a -o "$rssf" -f '%M %U %S' "$@" >"$OUT/out-$name.txt" 2>/dev/null
			t1=$(date +%s.%N)
			times+=("$(echo "$t1 - $t0" | bc -l)")
		done
		WALL=$(printf '%s\n' "${times[@]}" | median)
	fi
	RSS=$(awk 'NF == 3 && $1 ~ /^[0-9]+$/ { print $1 }' "$rssf" | sort -n | tail -1)
	CPU=$(awk 'NF == 3 && $1 ~ /^[0-9]+$/ { print $2 + $3 }' "$rssf" | median)
}
median() { # the median of the numbers on stdin
	sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

CSV=$OUT/results.csv
echo "profile,tool,runs,wall_s,cpu_s,MB_per_s,packets_per_s,sessions_per_s,peak_rss_MB,ratio_to_bare,cpu_ratio_to_bare,cpu_us_per_session,cpu_ns_per_packet" >"$CSV"
# run_tool NAME RUNS CMD...: one row of the current profile's table; MB/s,
# packets/s and sessions/s from the wall time, the costs from the CPU time.
# same_as_one_thread ARGS...: tlswatch with ARGS must say exactly what one
# thread says (stats aside) on $CAP. Each worker has half the caps, so on
# the flood, whose UDP flows would pass them, flows end by a short idle
# timeout instead.
same_as_one_thread() {
	local same=()
	[ "$PROF" = udp-flood ] && same=(--udp-timeout 2)
	"$BIN" -q -r "$CAP" --json - "${same[@]}" | grep -v '"type":"stats"' | md5sum >"$OUT/out-1t.md5"
	"$BIN" -q -r "$CAP" --json - "${same[@]}" "$@" | grep -v '"type":"stats"' |
		md5sum >"$OUT/out-nt.md5"
	if cmp -s "$OUT/out-1t.md5" "$OUT/out-nt.md5"; then
		echo "bench: $* output identical to one thread on $CAP" >&2
	else
		echo "bench: FAIL $* output differs from one thread on $CAP" >&2
		fail=1
	fi
}

run_tool() {
	local name=$1 runs=$2
	shift 2
	echo "bench: $PROF $name x$runs: $*" >&2
	if ! measure "$name" "$runs" "$@"; then
		echo "bench: $name failed; left out of the table" >&2
		return 0
	fi
	[ "$name" = bare ] && { BARE_WALL=$WALL; BARE_CPU=$CPU; }
	awk -v pr="$PROF" -v n="$name" -v r="$runs" -v w="$WALL" -v c="$CPU" -v b="$FILE_BYTES" \
		-v p="$PACKETS" -v s="$SESSIONS" -v rss="$RSS" -v bw="${BARE_WALL:-0}" \
		-v bc="${BARE_CPU:-0}" 'BEGIN {
		printf "%s,%s,%d,%.3f,%.3f,%.1f,%.0f,%.0f,%.1f,%s,%s,%.2f,%.0f\n", pr, n, r, w, c,
			b / 1e6 / w, p / w, s / w, rss / 1024,
			(bw > 0 ? sprintf("%.3f", bw / w) : ""), (bc > 0 && c > 0 ? sprintf("%.3f", bc / c) : ""),
			c * 1e6 / s, c * 1e9 / p }' >>"$CSV"
}

print_table() { # print_table CSV PROFILE
	awk -F, -v pr="$2" 'NR == 1 { printf "%-14s %4s %7s %7s %7s %9s %9s %7s %9s %6s %6s %8s %7s\n",
		"tool", "runs", "wall s", "CPU s", "MB/s", "packets/s", "sess/s", "RSS MB", "", "x bare",
		"(CPU)", "us/sess", "ns/pkt"; next }
		$1 == pr { printf "%-14s %4s %7.3f %7.3f %7.1f %9.0f %9.0f %7.1f %9s %6s %6s %8.2f %7.0f\n",
			$2, $3, $4, $5, $6, $7, $8, $9, "", $10, $11, $12, $13 }' "$1"
}

# udp_memory: tlswatch on the DNS flood with the default caps, a small UDP
# cap and a short UDP idle timeout: peak RSS and the UDP flow counters.
# The RSS bound is BASE_MB + max-udp-flows x UDP_FLOW_BYTES (the UDP flows are
# the only flows that pile up here); the memory per UDP flow is read from
# the RSS difference between the default and the small cap.
udp_memory() {
	local name mf sf rss bound k v
	local -A rss_of conc_of
	say "UDP flood: memory and UDP flow counters ($UDP_SOURCES sources; bound ${BASE_MB} MiB + max-udp-flows x ${UDP_FLOW_BYTES} B)"
	UCSV=$OUT/udp-flood.csv
	echo "run,max_udp_flows,udp_timeout_s,cpu_s,peak_rss_MB,bound_MB,udp_flows_created,udp_flows_evicted,udp_flows_idle_timeout,udp_flows_max_concurrent,flows_evicted,memory_max_bytes,sessions" >"$UCSV"
	printf '%-14s %7s %5s %7s %8s %8s %9s %9s %9s %9s %9s\n' run max-udp udp-t "CPU s" "RSS MB" "bound" created evicted idle "peak live" "mem B/flow"
	for run in "default $DEFAULT_MAX_UDP_FLOWS 60" "small-cap $UDP_SMALL_CAP 60" "udp-timeout-5 $DEFAULT_MAX_UDP_FLOWS 5"; do
		read -r name mf ut <<<"$run"
		sf=$OUT/stats-udp-$name.txt
		/usr/bin/time -o "$OUT/rss-udp-$name.txt" -f '%M %U %S' "$BIN" -q -r "$UDPFLOOD" --json /dev/null --stats \
			--max-udp-flows "$mf" --udp-timeout "$ut" >/dev/null 2>"$sf"
		read -r rss cpu_u cpu_s < <(grep -E '^[0-9]+ ' "$OUT/rss-udp-$name.txt" | tail -1)
		bound=$(awk -v b="$BASE_MB" -v m="$mf" -v fb="$UDP_FLOW_BYTES" 'BEGIN { printf "%.0f", b + m * fb / 1048576 }')
		printf '%-14s %7s %5s %7.2f %8.1f %8s %9s %9s %9s %9s %9.0f\n' "$name" "$mf" "$ut" \
			"$(awk -v a="$cpu_u" -v b="$cpu_s" 'BEGIN { print a + b }')" "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" \
			"$bound" "$(stat_of "$sf" udp_flows_created)" "$(stat_of "$sf" udp_flows_evicted)" \
			"$(stat_of "$sf" udp_flows_idle_timeout)" "$(stat_of "$sf" udp_flows_max_concurrent)" \
			"$(awk -v m="$(stat_of "$sf" memory_max_bytes)" -v n="$(stat_of "$sf" flows_max_concurrent)" 'BEGIN { print n ? m / n : 0 }')"
		echo "$name,$mf,$ut,$(awk -v a="$cpu_u" -v b="$cpu_s" 'BEGIN { print a + b }'),$(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }'),$bound,$(stat_of "$sf" udp_flows_created),$(stat_of "$sf" udp_flows_evicted),$(stat_of "$sf" udp_flows_idle_timeout),$(stat_of "$sf" udp_flows_max_concurrent),$(stat_of "$sf" flows_evicted),$(stat_of "$sf" memory_max_bytes),$(stat_of "$sf" sessions)" >>"$UCSV"
		rss_of[$name]=$rss
		conc_of[$name]=$(stat_of "$sf" udp_flows_max_concurrent)
		if [ $((rss / 1024)) -gt "$bound" ]; then
			echo "bench: FAIL udp-flood $name: peak RSS $((rss / 1024)) MiB exceeds the bound $bound MiB" >&2
			fail=1
		fi
		v=$(stat_of "$sf" udp_flows_max_concurrent)
		if [ "${v:-0}" -gt "$mf" ]; then
			echo "bench: FAIL udp-flood $name: $v UDP flows at once, more than --max-udp-flows $mf" >&2
			fail=1
		fi
		if [ "$name" != udp-timeout-5 ] && [ "$UDP_SOURCES" -gt "$mf" ]; then
			nonzero "$sf" udp_flows_evicted "$UDP_SOURCES sources exceed --max-udp-flows $mf"
		fi
		[ "$name" = udp-timeout-5 ] && nonzero "$sf" udp_flows_idle_timeout "queries stay unanswered past --udp-timeout 5"
		# every UDP flow ends one way or the other, and is counted
		k=$(awk '$1 == "udp_flows_created" { c = $2 } $1 == "udp_flows_evicted" { e = $2 }
			$1 == "udp_flows_idle_timeout" { i = $2 } END { print c - e - i }' "$sf")
		[ "$k" -ge 0 ] && [ "$k" -le "$mf" ] || {
			echo "bench: FAIL udp-flood $name: created - evicted - idle = $k, not within 0..$mf (open at the end)" >&2
			fail=1
		}
	done
	awk -v a="${rss_of[default]}" -v b="${rss_of[small-cap]}" -v n="${conc_of[default]}" -v m="${conc_of[small-cap]}" 'BEGIN {
		if (n > m) printf "peak RSS per UDP flow held (default - small cap): %.0f B = (%.1f - %.1f MB) / (%d - %d flows)\n",
			(a - b) * 1024 / (n - m), a / 1024, b / 1024, n, m }'
	echo "(mem B/flow: tlswatch's own accounting, memory_max_bytes / flows_max_concurrent; CSV: $UCSV)"
}
nonzero() { # nonzero STATS "COUNTER [COUNTER...]" WHY: fails when their sum is 0
	local k v sum=0
	for k in $2; do
		v=$(stat_of "$1" "$k")
		sum=$((sum + ${v:-0}))
	done
	if [ "$sum" -eq 0 ]; then
		echo "bench: FAIL $2: 0 although $3" >&2
		fail=1
	fi
}

fail=0
for PROF in $PROFILES; do
	case $PROF in
	main) CAP=$MAIN ;;
	dense) CAP=$DENSE ;;
	udp-flood) CAP=$UDPFLOOD ;;
	esac
	say "capture $PROF"
	cat "$CAP" >/dev/null # warm-up read: every tool reads from the page cache
	read -r _ PACKETS _ CAPBYTES < <("$OUT/bare-loop" "$CAP")
	FILE_BYTES=$(stat -c %s "$CAP")
	STATS=$OUT/tlswatch-stats-$PROF.txt
	"$BIN" -q -r "$CAP" --json /dev/null --stats >/dev/null 2>"$STATS"
	[ "$PROF" = main ] && cp "$STATS" "$OUT/tlswatch-stats.txt"
	SESSIONS=$(stat_of "$STATS" sessions)
	echo "$CAP: $FILE_BYTES bytes, $PACKETS packets, $SESSIONS sessions (tlswatch's count)"
	if [ "$PROF" = main ] && [ "$SIZE_MB" -ge 1024 ] && [ "$FILE_BYTES" -lt 1073741824 ]; then
		echo "bench: $CAP is smaller than 1 GiB" >&2
		exit 1
	fi
	BARE_WALL="" BARE_CPU=""
	say "tools on $PROF (median of runs, page cache warm; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ))"
	for t in $TOOLS; do
		case $t in
		bare) run_tool bare "$RUNS" "$OUT/bare-loop" "$CAP" ;;
		# the same loop through the 1 MiB stdio buffer tlswatch reads files
		# with: the floor for tlswatch's own way of reading
		bare-1m) run_tool bare-1m "$RUNS" "$OUT/bare-loop" -b 1048576 "$CAP" ;;
		tcpdump)
			have tcpdump && run_tool tcpdump "$RUNS" tcpdump -r "$CAP" -w /dev/null ;;
		ndpiReader)
			if have ndpiReader; then
				# the summary (not -q) says how many packets it read: checked below
				run_tool ndpiReader "$RUNS" ndpiReader -i "$CAP"
				n=$(sed -n 's/.*IP packets: *\([0-9]*\) *of \([0-9]*\) packets total.*/\2/p' \
					"$OUT/out-ndpiReader.txt" | tail -1)
				[ "$n" = "$PACKETS" ] ||
					echo "bench: WARNING ndpiReader read ${n:-?} of $PACKETS packets" >&2
			fi ;;
		tshark)
			if have tshark && { [ "$PROF" = main ] || [ "${BENCH_TSHARK_ALL:-0}" = 1 ]; }; then
				run_tool tshark "$TSHARK_RUNS" tshark -n -r "$CAP" -Y "$STARTTLS_FILTER"
				echo "bench: tshark matched $(wc -l <"$OUT/out-tshark.txt") STARTTLS/STLS commands" >&2
			fi ;;
		# the output modes: the text report and JSON to files, each alone
		# and both (the JSON to /dev/null: its formatting without the write)
		tlswatch) run_tool tlswatch "$RUNS" "$BIN" -q -r "$CAP" --json /dev/null ;;
		tlswatch-json) run_tool tlswatch-json "$RUNS" "$BIN" -q -r "$CAP" --json - ;;
		tlswatch-text) run_tool tlswatch-text "$RUNS" "$BIN" -q -r "$CAP" ;;
		baseline) run_tool baseline "$RUNS" "$BASELINE" -q -r "$CAP" --json /dev/null ;;
		# two workers, the judge where the CPUs allow (on 2 CPUs the
		# reading thread) and on a thread of its own
		tlswatch-2t)
			run_tool tlswatch-2t "$RUNS" "$BIN" -q -r "$CAP" --json /dev/null --threads 2
			same_as_one_thread --threads 2 ;;
		tlswatch-2tj)
			run_tool tlswatch-2tj "$RUNS" "$BIN" -q -r "$CAP" --json /dev/null --threads 2 \
				--judge-thread
			same_as_one_thread --threads 2 --judge-thread ;;
		*) echo "bench: unknown tool $t" >&2 ;;
		esac
	done
	say "results $PROF ($CAP, $((FILE_BYTES / 1000000)) MB, $PACKETS packets, $SESSIONS sessions)"
	print_table "$CSV" "$PROF"
	echo "(MB = 10^6 bytes of capture file; x bare = bare loop time / tool time (wall, CPU);"
	echo " us/sess, ns/pkt: the tool's CPU time per tlswatch session, per packet; CSV: $CSV)"
	echo "(tlswatch: text report to a file and JSON to /dev/null; tlswatch-json: --json - alone,"
	echo " to a file; tlswatch-text: the text report alone, to a file)"

	say "tlswatch --stats on $PROF"
	grep -E '^ +(packets|tcp_packets|udp_packets|stray|late|flows_|udp_flows_|memory_|sessions|alerts |bypassed|parser_cap|ndpi_|segments_|stream_gap|reasm_)' \
		"$STATS" || cat "$STATS"
	[ "$PROF" = udp-flood ] && udp_memory
done

# ---- floods --------------------------------------------------------------
if [ "$DO_FLOOD" = 1 ]; then
	say "flood tests (bound: ${BASE_MB} MiB + the lesser of max_flows x ${FLOW_BYTES} B and the ${MEMCAP_MB} MiB memcap + ${OOO_MB} MiB out-of-order cap)"
	FCSV=$OUT/flood.csv
	echo "capture,max_flows,wall_s,MB_per_s,packets_per_s,peak_rss_MB,bound_MB,flows_evicted,flows_max_concurrent,reasm_stream_cap_hits,reasm_global_cap_hits,stream_gaps" >"$FCSV"
	flood() { # flood NAME FILE MAX_FLOWS [OPTIONS...]
		local name=$1 f=$2 mf=$3
		shift 3
		local sf=$OUT/stats-$name.txt t0 t1 wall rss bound pk
		cat "$f" >/dev/null
		t0=$(date +%s.%N)
		/usr/bin/time -o "$OUT/rss-$name.txt" -f %M "$BIN" -q -r "$f" --json /dev/null --stats "$@" \
			>/dev/null 2>"$sf"
		t1=$(date +%s.%N)
		wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		rss=$(grep -E '^[0-9]+$' "$OUT/rss-$name.txt" | tail -1)
		pk=$(stat_of "$sf" packets)
		bound=$(awk -v b="$BASE_MB" -v m="$mf" -v fb="$FLOW_BYTES" -v o="$OOO_MB" -v mc="$MEMCAP_MB" \
			'BEGIN { f = m * fb / 1048576; if (f > mc) f = mc; printf "%.0f", b + f + o }')
		printf '%-24s max-flows %-7s %7.3f s %8.1f MB/s %9.0f packets/s  peak RSS %7.1f MB (bound %s MB)\n' \
			"$name" "$mf" "$wall" "$(awk -v s="$(stat -c %s "$f")" -v w="$wall" 'BEGIN { print s / 1e6 / w }')" \
			"$(awk -v p="$pk" -v w="$wall" 'BEGIN { print p / w }')" "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "$bound"
		local k
		for k in flows_created flows_evicted flows_evicted_memcap flows_max_concurrent \
			flows_open_at_end sessions sessions_without_payload \
			segments_out_of_order segments_retransmitted stream_gaps stream_gap_bytes \
			reasm_stream_cap_hits reasm_global_cap_hits; do
			printf '    %-24s %s\n' "$k" "$(stat_of "$sf" $k)"
		done
		echo "$name,$mf,$wall,$(awk -v s="$(stat -c %s "$f")" -v w="$wall" 'BEGIN { printf "%.1f", s / 1e6 / w }'),$(awk -v p="$pk" -v w="$wall" 'BEGIN { printf "%.0f", p / w }'),$(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }'),$bound,$(stat_of "$sf" flows_evicted),$(stat_of "$sf" flows_max_concurrent),$(stat_of "$sf" reasm_stream_cap_hits),$(stat_of "$sf" reasm_global_cap_hits),$(stat_of "$sf" stream_gaps)" >>"$FCSV"
		if [ $((rss / 1024)) -gt "$bound" ]; then
			echo "bench: FAIL $name: peak RSS $((rss / 1024)) MiB exceeds the bound $bound MiB" >&2
			fail=1
		fi
		if [ "$(stat_of "$sf" flows_max_concurrent)" -gt "$mf" ]; then
			echo "bench: FAIL $name: more than $mf flows at once" >&2
			fail=1
		fi
		FLOOD_STATS=$sf
	}
	flood synflood-default "$SYNFLOOD" $DEFAULT_MAX_FLOWS
	# With the default caps the memcap binds first (a half-open flow keeps
	# its whole record, about 3.2 kB): evictions for either cap count.
	[ "$SYN_FLOWS" -gt $DEFAULT_MAX_FLOWS ] &&
		nonzero "$FLOOD_STATS" "flows_evicted flows_evicted_memcap" \
			"$SYN_FLOWS flows exceed --max-flows $DEFAULT_MAX_FLOWS"
	flood synflood-100k "$SYNFLOOD" 100000 --max-flows 100000
	[ "$SYN_FLOWS" -gt 100000 ] &&
		nonzero "$FLOOD_STATS" flows_evicted "$SYN_FLOWS flows exceed --max-flows 100000"
	flood reorder-default "$REORDER" $DEFAULT_MAX_FLOWS
	nonzero "$FLOOD_STATS" reasm_stream_cap_hits "segments held back by more than 256 KiB"
	nonzero "$FLOOD_STATS" stream_gaps "segments were never captured"
	flood reorder-100k "$REORDER" 100000 --max-flows 100000
	echo "(CSV: $FCSV)"
fi

# ---- profile -------------------------------------------------------------
if [ "$DO_PROFILE" = 1 ]; then
	say "profile"
	if have perf && perf stat -e instructions true 2>&1 | grep -q '[0-9] *instructions'; then
		perf stat -e instructions,cycles,task-clock -o "$OUT/perf-stat.txt" \
			"$BIN" -q -r "$MAIN" --json /dev/null >/dev/null 2>&1 || true
	elif have perf; then
		echo "perf: no hardware counters here (instructions <not supported>); task-clock and cpu-clock sampling"
		perf stat -e task-clock,page-faults,context-switches -o "$OUT/perf-stat.txt" \
			"$BIN" -q -r "$MAIN" --json /dev/null >/dev/null 2>&1 || true
	fi
	if have perf; then
		grep -vE '^\s*$|^#' "$OUT/perf-stat.txt" || true
		if perf record -q -e cpu-clock -F 2000 -o "$OUT/perf.data" \
			"$BIN" -q -r "$MAIN" --json /dev/null >/dev/null 2>&1; then
			perf report -i "$OUT/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null |
				grep -vE '^#|^\s*$' | awk 'NR <= 30' >"$OUT/profile-perf.txt"
			echo "perf record -e cpu-clock, $MAIN (self time, top 30; $OUT/profile-perf.txt):"
			cat "$OUT/profile-perf.txt"
		fi
	fi
	# the session-dense capture: where the per-session cost goes
	if have perf && [ -s "$DENSE" ] && perf record -q -e cpu-clock -F 2000 -o "$OUT/perf-dense.data" \
		"$BIN" -q -r "$DENSE" --json /dev/null >/dev/null 2>&1; then
		perf report -i "$OUT/perf-dense.data" --stdio --no-children --sort dso,symbol 2>/dev/null |
			grep -vE '^#|^\s*$' | awk 'NR <= 30' >"$OUT/profile-perf-dense.txt"
		echo
		echo "perf record -e cpu-clock, $DENSE (self time, top 30; $OUT/profile-perf-dense.txt):"
		cat "$OUT/profile-perf-dense.txt"
	fi
	if have valgrind && have callgrind_annotate; then
		echo
		echo "callgrind on $SLICE (instructions, exclusive; $OUT/profile-callgrind.txt):"
		valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
			"$BIN" -q -r "$SLICE" --json /dev/null >/dev/null 2>"$OUT/callgrind.log" || true
		callgrind_annotate --inclusive=no "$OUT/callgrind.out" 2>/dev/null |
			sed -n '/PROGRAM TOTALS/,$p' | grep -vE '^-+$|^\s*$|^Ir' | awk 'NR <= 31' \
			>"$OUT/profile-callgrind.txt"
		cat "$OUT/profile-callgrind.txt"
		callgrind_annotate --inclusive=yes "$OUT/callgrind.out" 2>/dev/null |
			sed -n '/PROGRAM TOTALS/,$p' | grep -vE '^-+$|^\s*$|^Ir' | awk 'NR <= 41' \
			>"$OUT/profile-callgrind-inclusive.txt"
		# the fixed start-up cost (nDPI's tables), to read the slice's profile against
		valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind-startup.out" \
			"$BIN" -q -r pcaps/smtp-no-starttls.pcap --json /dev/null >/dev/null 2>&1 || true
		echo "start-up alone (one 21-packet capture): $(callgrind_annotate "$OUT/callgrind-startup.out" \
			2>/dev/null | awk '/PROGRAM TOTALS/ { print $1; exit }') instructions"
	fi
fi

[ $fail = 0 ] || { echo "bench: FAILED (see above)" >&2; exit 1; }
echo
echo "bench: done"

# shellcheck shell=bash
# tools/lab/capture.sh — capture helpers for the tlswatch capture lab, sourced
# by tools/lab/record-lib.sh for the recorders tools/record-*.sh (bash). One
# capture runs at a time:
#
#   cap_server_filter ADDR PORT                           filter for one server endpoint
#   cap_start FILE IFACE FILTER [extra tcpdump options]   tcpdump -U --immediate-mode
#   cap_start_dumpcap FILE IFACE FILTER                   dumpcap (pcapng)
#   cap_stop                                              flush, SIGINT, wait
#   cap_verify FILE SESSIONS                              completeness check (counts)
#   cap_verify_streams FILE SESSIONS                      completeness check (per stream)
#
# Both capturers get a 64 MiB kernel buffer: in immediate mode libpcap uses
# fixed-size ring slots of the snapshot length, and the default 2 MiB ring
# then holds only a few packets, so loopback bursts were dropped (seen as
# "packets dropped by kernel" and holes in the TCP sequence space).
#
# cap_start returns once the capturer reports that it listens, so no packet
# of the session that follows is missed. cap_stop waits a moment for the
# last FIN/ACK, then sends SIGINT to the capturer's PID and waits for it.

CAP_PID=""
CAP_ERR=""

# Capture filter for exactly one server endpoint (address and port): both
# directions of its connections, nothing of other ports on that address.
cap_server_filter()
{
	local addr=$1 port=$2
	echo "tcp and ((dst host $addr and dst port $port) or (src host $addr and src port $port))"
}

# Waits until FILE contains the regex PATTERN (the capturer's "listening" line).
cap_wait_for()
{
	local file=$1 pattern=$2 tries=0
	until grep -qE "$pattern" "$file" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 100 ] || ! kill -0 "$CAP_PID" 2>/dev/null; then
			echo "capture: capturer did not start:" >&2
			cat "$file" >&2
			return 1
		fi
		sleep 0.1
	done
}

cap_start()
{
	local file=$1 iface=$2 filter=$3
	shift 3
	CAP_ERR=$file.err
	tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$iface" "$@" -w "$file" "$filter" \
		2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
}

cap_start_dumpcap()
{
	local file=$1 iface=$2 filter=$3
	CAP_ERR=$file.err
	dumpcap -i "$iface" -B 64 -f "$filter" -w "$file" 2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" "^Capturing on"
	# dumpcap says "Capturing on" before it opens the device; it writes the
	# pcapng header (section and interface blocks) once the device is open.
	local tries=0
	until [ -s "$file" ]; do
		tries=$((tries + 1))
		if [ $tries -ge 100 ]; then
			echo "capture: dumpcap did not create $file" >&2
			return 1
		fi
		sleep 0.1
	done
}

cap_stop()
{
	[ -n "$CAP_PID" ] || return 0
	sleep 0.5
	kill -INT "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
	CAP_PID=""
}

# Checks that FILE holds SESSIONS complete TCP sessions: exactly SESSIONS
# initial SYNs, and at least two FIN or RST per session (both sides closed,
# or one closed and the other was reset: swaks closes TLS sessions without a
# close_notify, so the server's late close_notify is answered with a RST);
# the capturer reported no kernel drop, and (when tshark is installed) no
# hole in any TCP stream.
cap_verify()
{
	local file=$1 sessions=$2 text syn fin rst
	text=$(tcpdump -nr "$file" 2>/dev/null)
	syn=$(grep -c 'Flags \[S\],' <<<"$text" || true)
	fin=$(grep -cE 'Flags \[[^]]*F[^]]*\]' <<<"$text" || true)
	rst=$(grep -cE 'Flags \[[^]]*R[^]]*\]' <<<"$text" || true)
	if [ "$syn" -ne "$sessions" ] || [ "$fin" -lt "$sessions" ] ||
		[ $((fin + rst)) -lt $((2 * sessions)) ]; then
		echo "capture: $file: expected $sessions sessions, found $syn SYN, $fin FIN, $rst RST" >&2
		return 1
	fi
	cap_check_drops "$file" && cap_check_holes "$file"
}

# Checks FILE stream by stream (with tshark): SESSIONS TCP sessions, each
# with one SYN, its first packet, and ended by a FIN from both sides or by a
# RST (an attack often ends a session with a single reset, and vsftpd ends
# some sessions so: cap_verify's two FIN/RST per session would refuse them);
# then no kernel drop and no hole in a stream, as cap_verify.
cap_verify_streams()
{
	local file=$1 sessions=$2 report
	report=$(tshark -n -r "$file" -T fields -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport \
		-e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset 2>/dev/null |
		awk -F'\t' -v want="$sessions" '
			{ s = $1; side = $2 $3 ":" $4 }
			!(s in seen) { seen[s] = 1; first[s] = ($5 == 1 && $6 == 0) }
			$5 == 1 && $6 == 0 { syn[s]++; client[s] = side }
			$7 == 1 { if (side == client[s]) cfin[s] = 1; else sfin[s] = 1 }
			$8 == 1 { rst[s] = 1 }
			END {
				n = 0
				for (s in seen) {
					n++
					if (syn[s] != 1 || !first[s]) print "stream " s ": " syn[s] + 0 " SYN, first packet no SYN"
					else if (!rst[s] && !(cfin[s] && sfin[s])) print "stream " s ": not closed"
				}
				if (n != want) print n " TCP sessions, " want " expected"
			}')
	if [ -n "$report" ]; then
		echo "capture: $file: $report" >&2
		return 1
	fi
	cap_check_drops "$file" && cap_check_holes "$file"
}

# Fails when the capturer of FILE (its stderr in FILE.err) reported packets
# dropped by the kernel or the interface.
cap_check_drops()
{
	local file=$1
	if grep -qE '(^|[^0-9])[1-9][0-9]* packets dropped by kernel|dropped on interface.*: [0-9]+/[1-9]' \
		"$file.err" 2>/dev/null; then
		echo "capture: $file: the capturer dropped packets:" >&2
		cat "$file.err" >&2
		return 1
	fi
}

# Fails when tshark (if installed) sees a hole in a TCP stream of FILE.
cap_check_holes()
{
	local file=$1 holes
	command -v tshark >/dev/null || return 0
	holes=$(tshark -n -r "$file" -Y 'tcp.analysis.lost_segment or tcp.analysis.ack_lost_segment' \
		2>/dev/null | wc -l)
	if [ "$holes" -ne 0 ]; then
		echo "capture: $file: $holes packets next to a hole in a TCP stream" >&2
		return 1
	fi
}

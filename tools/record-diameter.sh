#!/usr/bin/env bash
# tools/record-diameter.sh — records the Diameter captures in pcaps/
# (diameter-*.pcap) from two real freeDiameterd peers (Debian's
# freediameter 1.2.1, the daemon in freediameterd), one connecting to the
# other over TCP. Must run as root (or through sudo).
#
#   tools/record-diameter.sh              record every capture of this set
#   tools/record-diameter.sh NAME...      only these (e.g. diameter-inband-tls)
#   tools/record-diameter.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-diameter-rec), --no-install.
#
# The network: as tools/record-radius.sh, two network namespaces of this
# script's own joined by a veth pair (MAC addresses 02:00:00:00:38:01 and
# :02), TEST-NET-1 addresses, no route anywhere else. The responder
# "peer2.tlswatch.test" is 192.0.2.1 and listens on 3868 (cleartext, and
# the RFC 3588 in-band upgrade) and 5868 (TLS from the first byte, RFC
# 6733); the initiator "peer1.tlswatch.test" is 192.0.2.2 and connects to
# it. Both have certificates made here with openssl at every run (a CA of
# the run, RSA 2048): freeDiameter wants TLS_Cred even when a peer is
# No_TLS. Each capture starts both daemons afresh with configurations
# written here (freeDiameter.conf syntax: ConnectPeer with No_TLS,
# TLS_old_method, port; TwTimer 6 s, the smallest, so a watchdog exchange
# is in the captures that stay in cleartext), waits for what the capture
# must show in the initiator's log, stops the initiator (SIGTERM: it sends
# DPR, waits for DPA, closes), then the responder, by PID. The responder's
# own entry for the initiator points to port 3999, where nothing listens:
# freeDiameter accepts a CER only from a peer it knows, and that entry's
# connection attempts (SYN, RST) are outside the capture filter.
#   diameter-inband-tls       3868: CER and CEA both with Inband-Security-Id
#                             TLS, Result-Code 2001, then TLS (the
#                             initiator's ClientHello): starttls
#   diameter-cleartext        3868, No_TLS on both sides: the CER lists
#                             NO_INBAND_SECURITY, the CEA none; DWR/DWA,
#                             DPR/DPA in the clear: cleartext
#   diameter-tls-5868         5868: TLS from the first byte, CER/CEA inside
#                             (RFC 6733): implicit-tls
#   diameter-inband-refused   3868: the initiator offers TLS in-band
#                             (TLS_old_method), the responder has it as
#                             No_TLS: the CEA (2001) lists no TLS. freeDiameter
#                             1.2.1's initiator starts its TLS handshake all
#                             the same, the responder reads the ClientHello
#                             as a bad Diameter header and closes, the
#                             initiator aborts (an assertion in p_psm.c):
#                             downgraded/upgrade-refused
#   diameter-plaintext-on-5868  the initiator with No_TLS to 5868: its CER
#                             in the clear on the TLS port, which the
#                             responder's TLS handshake rejects:
#                             plaintext-on-tls-port
# Diameter over SCTP is not recorded: these kernels have no SCTP module;
# tools/record-sctp.sh carries these captures over SCTP (generated).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-diameter-rec
MARKER=.tlswatch-diameter

NS_SRV=tlswatch-diam-srv
NS_CLI=tlswatch-diam-cli
VETH_SRV=tlsw-diam-srv
VETH_CLI=tlsw-diam-cli
MAC_SRV=02:00:00:00:38:01
MAC_CLI=02:00:00:00:38:02
SRV_ADDR=192.0.2.1
CLI_ADDR=192.0.2.2
NS_MADE=0
P1_PID=""
P2_PID=""

CAPTURES=(diameter-inband-tls diameter-cleartext diameter-tls-5868 diameter-inband-refused
	diameter-plaintext-on-5868)

PACKAGES=(freediameter freediameter-extensions openssl tcpdump tshark iproute2)

# ---------------------------------------------------------------- peers

# peer_conf NAME ADDR PEER PEER_ADDR OPTIONS: writes ROOT/NAME.conf, a
# freeDiameter.conf for NAME.tlswatch.test on ADDR (ports 3868 and 5868)
# with one ConnectPeer for PEER.tlswatch.test at PEER_ADDR with OPTIONS
# (freeDiameter's peer flags and its port).
peer_conf()
{
	local name=$1 addr=$2 peer=$3 peer_addr=$4 opts=$5
	cat >"$ROOT/$name.conf" <<-EOF
		Identity = "$name.tlswatch.test";
		Realm = "tlswatch.test";
		Port = 3868;
		SecPort = 5868;
		ListenOn = "$addr";
		No_SCTP;
		No_IPv6;
		TcTimer = 30;
		TwTimer = 6;
		TLS_Cred = "$ROOT/tls/$name.pem", "$ROOT/tls/$name.key";
		TLS_CA = "$ROOT/tls/ca.pem";
		ConnectPeer = "$peer.tlswatch.test" { ConnectTo = "$peer_addr"; $opts };
	EOF
}

# make_certs: a CA of this run and a certificate for each peer, signed by
# it, in ROOT/tls.
make_certs()
{
	local d=$ROOT/tls p
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj /CN=ca.tlswatch.test \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
	for p in peer1 peer2; do
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$p.tlswatch.test" \
			-keyout "$d/$p.key" -out "$d/$p.csr" 2>/dev/null
		openssl x509 -req -in "$d/$p.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 7 -out "$d/$p.pem" 2>/dev/null
	done
}

# peers_run FILE PORT P1_OPTS P2_OPTS WAIT_REGEX [SECONDS]: one capture:
# tcpdump on the initiator's veth for PORT, the responder (P2_OPTS for its
# entry of the initiator), the initiator (P1_OPTS), until the initiator's
# log matches WAIT_REGEX (or it exits); SECONDS more (default 0.5), then
# both stopped by PID. The peers' logs go to $WORK/$CUR.log.
peers_run()
{
	local file=$1 port=$2 p1_opts=$3 p2_opts=$4 regex=$5 extra=${6:-0.5}
	peer_conf peer2 "$SRV_ADDR" peer1 "$CLI_ADDR" "$p2_opts port = 3999;"
	peer_conf peer1 "$CLI_ADDR" peer2 "$SRV_ADDR" "$p1_opts port = $port;"
	CAP_ERR=$file.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file" "tcp and host $SRV_ADDR and port $port" 2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
	: >"$WORK/p1.log"
	: >"$WORK/p2.log"
	ip netns exec "$NS_SRV" freeDiameterd -c "$ROOT/peer2.conf" >"$WORK/p2.log" 2>&1 &
	P2_PID=$!
	wait_listen_ns "$SRV_ADDR:3868" "$SRV_ADDR:5868" ||
		{ cat "$WORK/p2.log" >&2; die "$CUR: the responder does not listen"; }
	ip netns exec "$NS_CLI" freeDiameterd -c "$ROOT/peer1.conf" >"$WORK/p1.log" 2>&1 &
	P1_PID=$!
	wait_until -p "$P1_PID" grep -qE -e "$regex" "$WORK/p1.log" || true
	sleep "$extra"
	peer_stop P1_PID
	peer_stop P2_PID
	cap_stop
	cat "$WORK/p1.log" "$WORK/p2.log" >>"$WORK/$CUR.log"
	grep -qE -e "$regex" "$WORK/p1.log" || client_die "the initiator's log lacks /$regex/"
}

# wait_listen_ns ADDR:PORT...: wait_listen inside the responder's namespace.
wait_listen_ns()
{
	local want
	for want in "$@"; do
		wait_until -p "$P2_PID" sh -c "ip netns exec $NS_SRV ss -ltnH | awk '{print \$4}' | grep -qxF $want" ||
			return 1
	done
}

# peer_stop VAR: stops the freeDiameterd whose PID is in the variable VAR
# (SIGTERM; SIGKILL after WAIT_TIMEOUT s) and clears VAR. freeDiameterd
# runs as the direct child of `ip netns exec`, which execs it.
peer_stop()
{
	local var=$1 pid
	pid=${!var}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait_gone freeDiameterd "$pid"
	wait "$pid" 2>/dev/null || true
	printf -v "$var" '%s' ""
}

# ---------------------------------------------------------------- captures

rec_diameter-inband-tls()
{
	peers_run "$1" 3868 "TLS_old_method;" "TLS_old_method;" "'STATE_OPEN_HANDSHAKE'.*'STATE_OPEN'" 1
}

rec_diameter-cleartext()
{
	# TwTimer 6: a DWR about 6 s after the capabilities exchange.
	peers_run "$1" 3868 "No_TLS;" "No_TLS;" "-> 'STATE_OPEN'" 8
}

rec_diameter-tls-5868()
{
	peers_run "$1" 5868 "" "" "-> 'STATE_OPEN'" 1
}

rec_diameter-inband-refused()
{
	peers_run "$1" 3868 "TLS_old_method;" "No_TLS;" "TLS handshake|Assertion|gnutls_handshake" 1
}

rec_diameter-plaintext-on-5868()
{
	peers_run "$1" 5868 "No_TLS;" "" "ZOMBIE|closed|Connection refused|CLOSED" 1
}

# ---------------------------------------------------------------- checks

# verify_capture NAME FILE: one complete TCP session, and what tshark's
# Diameter dissector reads in the clear.
verify_capture()
{
	local name=$1 file=$2 diam
	cap_verify_streams "$file" 1 || return 1
	diam=$(tshark -n -r "$file" -d tcp.port==5868,diameter -Y diameter \
		-T fields -e diameter.cmd.code -e diameter.flags.request -e diameter.Inband-Security-Id \
		2>/dev/null | sort -u | paste -sd' ')
	case $name in
	diameter-inband-tls) grep -q '257.*1.*1' <<<"$diam" && ! grep -q '^280\|[^0-9]280' <<<"$diam" ;;
	diameter-cleartext) grep -q '280' <<<"$diam" && grep -q '282' <<<"$diam" ;;
	diameter-tls-5868) [ -z "$diam" ] ;;
	diameter-inband-refused) grep -q '257' <<<"$diam" ;;
	diameter-plaintext-on-5868) grep -q '257' <<<"$diam" ;;
	esac || {
		log "$name: the Diameter messages in the clear are not as expected: $diam"
		return 1
	}
}

# ---------------------------------------------------------------- lab

install_deps()
{
	install_packages "${PACKAGES[@]}"
}

ns_exists()
{
	ip netns list | awk '{print $1}' | grep -qxF -- "$1"
}

ns_up()
{
	local ns
	for ns in "$NS_SRV" "$NS_CLI"; do
		ns_exists "$ns" && die "network namespace $ns exists (another run, or a run that was killed):" \
			"remove it with: ip netns del $ns"
	done
	NS_MADE=1
	ip netns add "$NS_SRV"
	ip netns add "$NS_CLI"
	ip link add "$VETH_SRV" type veth peer name "$VETH_CLI"
	ip link set "$VETH_SRV" netns "$NS_SRV"
	ip link set "$VETH_CLI" netns "$NS_CLI"
	ip -n "$NS_SRV" link set "$VETH_SRV" address "$MAC_SRV"
	ip -n "$NS_CLI" link set "$VETH_CLI" address "$MAC_CLI"
	for ns in "$NS_SRV" "$NS_CLI"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_SRV" addr add "$SRV_ADDR/24" dev "$VETH_SRV"
	ip -n "$NS_CLI" addr add "$CLI_ADDR/24" dev "$VETH_CLI"
	ip -n "$NS_SRV" link set "$VETH_SRV" up
	ip -n "$NS_CLI" link set "$VETH_CLI" up
}

start_servers()
{
	claim_root
	rm -rf "${ROOT:?}/tls" "$ROOT"/*.conf
	make_certs
	ns_up
}

stop_servers()
{
	peer_stop P1_PID
	peer_stop P2_PID
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS_SRV" 2>/dev/null || true
		ip netns del "$NS_CLI" 2>/dev/null || true
		NS_MADE=0
	fi
	[ -f "$ROOT/$MARKER" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

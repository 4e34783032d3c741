#!/usr/bin/env bash
# tools/record-stun.sh — records the STUN/TURN captures in pcaps/ (stun-*.pcap,
# turn-*.pcap) from Debian's coturn (turnserver) answering its own clients,
# turnutils_stunclient and turnutils_uclient. Must run as root (or through
# sudo).
#
#   tools/record-stun.sh              record every capture of this set
#   tools/record-stun.sh NAME...      only these (e.g. turn-allocate-tcp)
#   tools/record-stun.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-stun-rec), --no-install.
#
# The network: as tools/record-radius.sh, two network namespaces of this
# script's own joined by a veth pair (MAC addresses 02:00:00:00:34:01 and
# :02), TEST-NET-1 addresses, no route anywhere else. The server is
# 192.0.2.1, the client 192.0.2.2. One turnserver (foreground, no
# configuration file, its user database in the private root) listens on
# 3478 (UDP and TCP, cleartext) and 5349 (DTLS and TLS, and cleartext
# too: coturn tells them apart by their first bytes) with the long-term
# credential mechanism, the realm "tlswatch.test" and the user alice
# ("AlicePass2024"), and a self-signed certificate made with openssl at
# start. The TURN peer is turnutils_peer on 192.0.2.1:3480 in the server
# namespace: relayed data goes over its loopback, never on the veth.
# Captures (one client run each; the capture holds only ports 3478 and
# 5349 of the server):
#   stun-binding-3478          turnutils_stunclient: a Binding request and
#                              its response over UDP
#   stun-plaintext-on-5349     the same Binding in the clear on 5349/udp:
#                              plaintext-on-tls-port
#   turn-allocate-udp          turnutils_uclient -u alice -w AlicePass2024
#                              over UDP: Allocate, 401, Allocate with
#                              credentials, success, Refresh,
#                              CreatePermission, ChannelBind, ChannelData
#   turn-allocate-tcp          the same over TCP (-t): messages framed back
#                              to back in the stream
#   turn-allocate-wrong-password  turnutils_uclient -w WrongPass999 over
#                              UDP: every Allocate with credentials answered
#                              401, the client gives up
#   turn-dtls-5349             turnutils_uclient -S over UDP: DTLS on 5349
#   turn-tls-5349              turnutils_uclient -S -t: TLS on 5349
# uclient runs are cut short (-n 2 messages of -l 40 bytes, one client, no
# RTCP allocation).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-stun-rec

NS_SRV=tlswatch-stun-srv
NS_CLI=tlswatch-stun-cli
VETH_SRV=tlsw-stun-srv
VETH_CLI=tlsw-stun-cli
MAC_SRV=02:00:00:00:34:01
MAC_CLI=02:00:00:00:34:02
CLIENT_ADDR=192.0.2.2
SRV_ADDR=192.0.2.1
PEER_PORT=3480
REALM=tlswatch.test
USER_NAME=alice
USER_PASS=AlicePass2024
NS_MADE=0
SRV_PID=""
PEER_PID=""

CAPTURES=(stun-binding-3478 stun-plaintext-on-5349 turn-allocate-udp turn-allocate-tcp
	turn-allocate-wrong-password turn-dtls-5349 turn-tls-5349)

PACKAGES=(coturn openssl tcpdump tshark iproute2)

# ---------------------------------------------------------------- clients

# A client in the client namespace: lab_cli PROGRAM ARG...
lab_cli()
{
	run_client timeout 30 ip netns exec "$NS_CLI" "$@"
}

# turnutils_uclient, short: one client, two 40-byte messages, no RTCP
# allocation, the peer in the server namespace. lab_uclient [FLAG...]
lab_uclient()
{
	lab_cli turnutils_uclient -n 2 -m 1 -l 40 -c -e "$SRV_ADDR" -r "$PEER_PORT" "$@" "$SRV_ADDR"
}

# tcpdump on the client's end of the veth: UDP and TCP of one server port.
ns_cap_start()
{
	local file=$1 port=$2
	CAP_ERR=$file.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file" "host $SRV_ADDR and port $port" 2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
}

# ---------------------------------------------------------------- captures

rec_stun-binding-3478()
{
	ns_cap_start "$1" 3478
	lab_cli turnutils_stunclient "$SRV_ADDR"
	cap_stop
	expect_log 'UDP reflexive addr'
}

rec_stun-plaintext-on-5349()
{
	ns_cap_start "$1" 5349
	lab_cli turnutils_stunclient -p 5349 "$SRV_ADDR"
	cap_stop
	expect_log 'UDP reflexive addr'
}

rec_turn-allocate-udp()
{
	ns_cap_start "$1" 3478
	lab_uclient -u "$USER_NAME" -w "$USER_PASS"
	cap_stop
	expect_log 'Total lost packets 0 '
}

rec_turn-allocate-tcp()
{
	ns_cap_start "$1" 3478
	lab_uclient -t -u "$USER_NAME" -w "$USER_PASS"
	cap_stop
	expect_log 'Total lost packets 0 '
}

# uclient exits with 255 after the refusals: that is the expected end.
rec_turn-allocate-wrong-password()
{
	ns_cap_start "$1" 3478
	if timeout 30 ip netns exec "$NS_CLI" turnutils_uclient -n 2 -m 1 -l 40 -c -e "$SRV_ADDR" \
		-r "$PEER_PORT" -u "$USER_NAME" -w WrongPass999 "$SRV_ADDR" >>"$WORK/$CUR.log" 2>&1; then
		cap_stop
		client_die "the allocation succeeded with a wrong password"
	fi
	cap_stop
	expect_log 'Cannot complete Allocation'
}

rec_turn-dtls-5349()
{
	ns_cap_start "$1" 5349
	lab_uclient -S -u "$USER_NAME" -w "$USER_PASS"
	cap_stop
	expect_log 'Total transmit time'
}

rec_turn-tls-5349()
{
	ns_cap_start "$1" 5349
	lab_uclient -S -t -u "$USER_NAME" -w "$USER_PASS"
	cap_stop
	expect_log 'Total transmit time'
}

# ---------------------------------------------------------------- checks

# verify_capture NAME FILE: the STUN messages tshark reads in the file (in
# the clear), or the DTLS/TLS handshakes.
verify_capture()
{
	local name=$1 file=$2 n
	case $name in
	turn-dtls-5349)
		n=$(tshark -n -r "$file" -Y 'dtls.handshake.type == 1' 2>/dev/null | wc -l)
		[ "$n" -ge 1 ] ;;
	turn-tls-5349)
		n=$(tshark -n -r "$file" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
		[ "$n" -ge 1 ] ;;
	*)
		n=$(tshark -n -r "$file" -d udp.port==5349,stun -Y stun 2>/dev/null | wc -l)
		case $name in
		stun-binding-3478 | stun-plaintext-on-5349) [ "$n" -eq 2 ] ;;
		*) [ "$n" -ge 4 ] ;;
		esac ;;
	esac || {
		log "$name: $n STUN messages or handshakes: not as expected"
		return 1
	}
}

# ---------------------------------------------------------------- server

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
	ip netns exec "$NS_SRV" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$NS_CLI" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$NS_SRV" addr add "$SRV_ADDR/24" dev "$VETH_SRV"
	ip -n "$NS_CLI" addr add "$CLIENT_ADDR/24" dev "$VETH_CLI"
	ip -n "$NS_SRV" link set lo up
	ip -n "$NS_CLI" link set lo up
	ip -n "$NS_SRV" link set "$VETH_SRV" up
	ip -n "$NS_CLI" link set "$VETH_CLI" up
}

# A Binding to 3478 is answered.
stun_answers()
{
	ip netns exec "$NS_CLI" timeout 5 turnutils_stunclient "$SRV_ADDR" 2>&1 | grep -q 'reflexive addr'
}

start_servers()
{
	[ -d "$ROOT" ] && [ ! -f "$ROOT/.tlswatch-stun" ] && die "$ROOT exists and is not ours"
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	touch "$ROOT/.tlswatch-stun"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=turn.$REALM" \
		-keyout "$ROOT/key.pem" -out "$ROOT/cert.pem" 2>/dev/null
	ns_up
	ip netns exec "$NS_SRV" turnserver -n --no-cli --lt-cred-mech --realm "$REALM" \
		--user "$USER_NAME:$USER_PASS" --userdb "$ROOT/turndb" \
		--listening-ip "$SRV_ADDR" --relay-ip "$SRV_ADDR" \
		--cert "$ROOT/cert.pem" --pkey "$ROOT/key.pem" --no-rfc5780 \
		--pidfile "$ROOT/turnserver.pid" --log-file "$ROOT/turnserver.log" --simple-log \
		>"$ROOT/turnserver.out" 2>&1 &
	SRV_PID=$!
	ip netns exec "$NS_SRV" turnutils_peer -L "$SRV_ADDR" -p "$PEER_PORT" >"$ROOT/peer.log" 2>&1 &
	PEER_PID=$!
	wait_until stun_answers || true
	pid_alive "$SRV_PID" || { cat "$ROOT/turnserver.out" >&2 || true; die "turnserver did not start"; }
	pid_alive "$PEER_PID" || { cat "$ROOT/peer.log" >&2 || true; die "turnutils_peer did not start"; }
	stun_answers || { cat "$ROOT/turnserver.out" >&2 || true; die "turnserver does not answer"; }
}

stop_servers()
{
	local pid
	for pid in "$PEER_PID" "$SRV_PID"; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	PEER_PID=""
	SRV_PID=""
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS_SRV" 2>/dev/null || true
		ip netns del "$NS_CLI" 2>/dev/null || true
		NS_MADE=0
	fi
	[ -f "$ROOT/.tlswatch-stun" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

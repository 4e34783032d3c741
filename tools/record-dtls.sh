#!/usr/bin/env bash
# tools/record-dtls.sh — records the DTLS captures in pcaps/ (dtls-*.pcap)
# from Debian's OpenSSL 3 (openssl s_server -dtls and s_client -dtls; no
# Debian service of this set speaks DTLS on its own port). Must run as root
# (or through sudo).
#
#   tools/record-dtls.sh              record every capture of this set
#   tools/record-dtls.sh NAME...      only these (e.g. dtls-853)
#   tools/record-dtls.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-dtls-rec), --no-install.
#
# The network: as tools/record-dns.sh, two network namespaces of this
# script's own joined by a veth pair (MAC addresses 02:00:00:00:d7:01 and
# :02), TEST-NET-1 addresses, no route anywhere else. The server is
# 192.0.2.1, the client 192.0.2.2. Each capture starts one s_server for one
# connection (-naccept 1) on its UDP port, runs one s_client that sends a
# line and ends, and stops the server by PID:
#   dtls-4433          DTLS 1.2 on a port of no service, handshake completes
#   dtls-853           DTLS 1.2 on 853/udp (DNS over DTLS, RFC 8094)
#   dtls-2083          DTLS 1.2 on 2083/udp (RADIUS over DTLS, RFC 7360)
#   dtls-alert         the client does not trust the certificate: its fatal
#                      alert (unknown_ca) in the clear, no application data
#   dtls-no-answer     a ClientHello to a port where nothing listens (the
#                      ICMP port unreachable is not captured: UDP only)
# The certificate (dtls.tlswatch.test) is fresh from tools/lab/gen-cert.sh.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-dtls-rec
SERVER_NAME=dtls.tlswatch.test

NS_SRV=tlswatch-dtls-srv
NS_CLI=tlswatch-dtls-cli
VETH_SRV=tlsw-dtls-srv
VETH_CLI=tlsw-dtls-cli
MAC_SRV=02:00:00:00:d7:01
MAC_CLI=02:00:00:00:d7:02
CLIENT_ADDR=192.0.2.2
SRV_ADDR=192.0.2.1
NS_MADE=0
SRV_PID=""

CAPTURES=(dtls-4433 dtls-853 dtls-2083 dtls-alert dtls-no-answer)

PACKAGES=(openssl tcpdump tshark iproute2)

ns_cap_start()
{
	local file=$1 port=$2
	CAP_ERR=$file.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file" "udp and host $SRV_ADDR and port $port" 2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
}

# srv_start PORT: one s_server for one DTLS 1.2 connection; it sends a
# line a second after it starts and closes at the end of its input (three
# seconds), so both sides send application data.
srv_start()
{
	{ sleep 1.5; echo "hello from the server"; sleep 1.5; } |
		ip netns exec "$NS_SRV" openssl s_server -dtls1_2 -naccept 1 -quiet \
			-accept "$SRV_ADDR:$1" -cert "$ROOT/tls/cert.pem" -key "$ROOT/tls/key.pem" \
			>>"$WORK/$CUR.srv" 2>&1 &
	SRV_PID=$!
	wait_until srv_listening "$1" || client_die "s_server did not start"
}

srv_listening()
{
	ip netns exec "$NS_SRV" ss -Hlun "sport = :$1" | grep -q "$SRV_ADDR"
}

srv_stop()
{
	[ -n "$SRV_PID" ] || return 0
	kill "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=""
}

# client PORT [s_client options...]: sends a line, waits for the echo
# time, ends (stdin closed: s_client sends its close_notify).
client()
{
	local port=$1
	shift
	{ echo "hello over DTLS"; sleep 1; } | timeout 20 ip netns exec "$NS_CLI" \
		openssl s_client -dtls1_2 -connect "$SRV_ADDR:$port" -servername "$SERVER_NAME" \
		-quiet "$@" >>"$WORK/$CUR.log" 2>&1 || true
}

session()
{
	local file=$1 port=$2
	shift 2
	ns_cap_start "$file" "$port"
	srv_start "$port"
	client "$port" -CAfile "$ROOT/tls/cert.pem" -verify_return_error "$@"
	srv_stop
	cap_stop
}

rec_dtls-4433() { session "$1" 4433; }
rec_dtls-853() { session "$1" 853; }
rec_dtls-2083() { session "$1" 2083; }

rec_dtls-alert()
{
	ns_cap_start "$1" 4434
	srv_start 4434
	# The system's CAs do not include the lab's self-signed certificate.
	client 4434 -CAfile /etc/ssl/certs/ca-certificates.crt -verify_return_error
	srv_stop
	cap_stop
}

rec_dtls-no-answer()
{
	ns_cap_start "$1" 4435
	{ echo "hello"; sleep 1; } | timeout 5 ip netns exec "$NS_CLI" \
		openssl s_client -dtls1_2 -connect "$SRV_ADDR:4435" -servername "$SERVER_NAME" \
		-quiet >>"$WORK/$CUR.log" 2>&1 || true
	cap_stop
}

# verify_capture NAME FILE: what Wireshark's DTLS dissector sees.
verify_capture()
{
	local name=$1 file=$2 port ch sh app alert s2c
	port=$(tshark -n -r "$file" -T fields -e udp.dstport 2>/dev/null | head -1)
	ch=$(tshark -n -r "$file" -d "udp.port==$port,dtls" -Y 'dtls.handshake.type == 1' 2>/dev/null | wc -l)
	sh=$(tshark -n -r "$file" -d "udp.port==$port,dtls" -Y 'dtls.handshake.type == 2' 2>/dev/null | wc -l)
	app=$(tshark -n -r "$file" -d "udp.port==$port,dtls" -Y 'dtls.record.content_type == 23' 2>/dev/null | wc -l)
	alert=$(tshark -n -r "$file" -d "udp.port==$port,dtls" -Y 'dtls.record.content_type == 21' 2>/dev/null | wc -l)
	s2c=$(tshark -n -r "$file" -Y "udp.srcport == $port" 2>/dev/null | wc -l)
	case $name in
	dtls-alert) [ "$ch" -ge 1 ] && [ "$sh" -ge 1 ] && [ "$alert" -ge 1 ] && [ "$app" -eq 0 ] ;;
	dtls-no-answer) [ "$ch" -ge 1 ] && [ "$s2c" -eq 0 ] ;;
	*) [ "$ch" -ge 1 ] && [ "$sh" -ge 1 ] && [ "$app" -ge 2 ] ;;
	esac || {
		log "$name: $ch ClientHello, $sh ServerHello, $app application data, $alert alerts, $s2c from the server"
		return 1
	}
}

install_deps()
{
	install_packages "${PACKAGES[@]}"
}

ns_exists()
{
	ip netns list | awk '{print $1}' | grep -qxF -- "$1"
}

start_servers()
{
	local ns
	[ -d "$ROOT" ] && [ ! -f "$ROOT/.tlswatch-dtls" ] && die "$ROOT exists and is not ours"
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	touch "$ROOT/.tlswatch-dtls"
	"$LAB/gen-cert.sh" "$ROOT/tls" "$SERVER_NAME"
	for ns in "$NS_SRV" "$NS_CLI"; do
		ns_exists "$ns" && die "network namespace $ns exists: remove it with: ip netns del $ns"
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
	for ns in "$NS_SRV" "$NS_CLI"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_SRV" link set "$VETH_SRV" up
	ip -n "$NS_CLI" link set "$VETH_CLI" up
}

stop_servers()
{
	srv_stop
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS_SRV" 2>/dev/null || true
		ip netns del "$NS_CLI" 2>/dev/null || true
		NS_MADE=0
	fi
	[ -f "$ROOT/.tlswatch-dtls" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

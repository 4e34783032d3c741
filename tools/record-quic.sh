#!/usr/bin/env bash
# tools/record-quic.sh — records the QUIC captures in pcaps/ (quic-*.pcap)
# from Debian 12's ngtcp2 examples (ngtcp2-server's gtlsserver and
# ngtcp2-client's gtlsclient, ngtcp2 0.12 over GnuTLS, QUIC v1, HTTP/3)
# and kdig +quic (knot-dnsutils 3.2.6: DNS over QUIC, RFC 9250). Must run
# as root (or through sudo).
#
#   tools/record-quic.sh              record every capture of this set
#   tools/record-quic.sh NAME...      only these
#   tools/record-quic.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-quic-rec), --no-install.
#
# The network: as tools/record-dtls.sh, two network namespaces of this
# script's own on a veth pair (MAC addresses 02:00:00:00:71:01 and :02),
# TEST-NET-1 addresses, no route anywhere else; server 192.0.2.1, client
# 192.0.2.2:
#   quic-443          gtlsclient GET / from gtlsserver on 443/udp: a whole
#                     QUIC v1 handshake (ALPN h3, SNI quic.tlswatch.test)
#   quic-doq-no-answer  kdig +quic to 853/udp where nothing listens: the
#                     client's Initials (ALPN doq) and nothing back
# The certificate (quic.tlswatch.test) is fresh from tools/lab/gen-cert.sh.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-quic-rec
SERVER_NAME=quic.tlswatch.test

NS_SRV=tlswatch-quic-srv
NS_CLI=tlswatch-quic-cli
VETH_SRV=tlsw-quic-srv
VETH_CLI=tlsw-quic-cli
MAC_SRV=02:00:00:00:71:01
MAC_CLI=02:00:00:00:71:02
CLIENT_ADDR=192.0.2.2
SRV_ADDR=192.0.2.1
NS_MADE=0
SRV_PID=""

CAPTURES=(quic-443 quic-doq-no-answer)

PACKAGES=(ngtcp2-server ngtcp2-client knot-dnsutils openssl tcpdump tshark iproute2)

ns_cap_start()
{
	local file=$1 port=$2
	CAP_ERR=$file.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file" "udp and host $SRV_ADDR and port $port" 2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
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

rec_quic-443()
{
	mkdir -p "$ROOT/htdocs"
	echo "tlswatch QUIC lab" >"$ROOT/htdocs/index.html"
	ns_cap_start "$1" 443
	ip netns exec "$NS_SRV" gtlsserver -q -d "$ROOT/htdocs" "$SRV_ADDR" 443 \
		"$ROOT/tls/key.pem" "$ROOT/tls/cert.pem" >>"$WORK/$CUR.srv" 2>&1 </dev/null &
	SRV_PID=$!
	wait_until srv_listening 443 || client_die "gtlsserver did not start"
	run_client timeout 20 ip netns exec "$NS_CLI" gtlsclient -q --exit-on-all-streams-close \
		--sni="$SERVER_NAME" "$SRV_ADDR" 443 "https://$SERVER_NAME/index.html"
	sleep 0.5
	srv_stop
	cap_stop
}

rec_quic-doq-no-answer()
{
	ns_cap_start "$1" 853
	timeout 10 ip netns exec "$NS_CLI" kdig +quic +time=2 +retry=0 @"$SRV_ADDR" -p 853 \
		mail.tlswatch.test A >>"$WORK/$CUR.log" 2>&1 || true
	cap_stop
}

# verify_capture NAME FILE: what Wireshark's QUIC dissector sees (it
# decrypts Initials itself).
verify_capture()
{
	local name=$1 file=$2 ch sh s2c
	ch=$(tshark -n -r "$file" -d udp.port==853,quic -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
	sh=$(tshark -n -r "$file" -Y 'tls.handshake.type == 2' 2>/dev/null | wc -l)
	s2c=$(tshark -n -r "$file" -Y "ip.src == $SRV_ADDR" 2>/dev/null | wc -l)
	case $name in
	quic-443) [ "$ch" -ge 1 ] && [ "$sh" -ge 1 ] ;;
	quic-doq-no-answer) [ "$ch" -ge 1 ] && [ "$s2c" -eq 0 ] ;;
	esac || {
		log "$name: $ch ClientHello, $sh ServerHello, $s2c packets from the server"
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
	[ -d "$ROOT" ] && [ ! -f "$ROOT/.tlswatch-quic" ] && die "$ROOT exists and is not ours"
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	touch "$ROOT/.tlswatch-quic"
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
	[ -f "$ROOT/.tlswatch-quic" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

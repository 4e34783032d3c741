#!/usr/bin/env bash
# tools/record-sip.sh — records the SIP captures in pcaps/ (sip-*.pcap) from
# SIPp (Debian's sip-tester) on both sides: a registrar of the lab's own
# scenario (tools/lab/sip/reg-uas.xml: a 401 digest challenge, then the
# digest checked against alice's password with SIPp's verifyauth: 200 or
# 403) and SIPp's built-in UAS answering an INVITE; the clients are SIPp
# with tools/lab/sip/reg-uac.xml and the built-in UAC. Must run as root (or
# through sudo).
#
#   tools/record-sip.sh              record every capture of this set
#   tools/record-sip.sh NAME...      only these (e.g. sip-invite-5060)
#   tools/record-sip.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-sip-rec), --no-install.
#
# The network: as tools/record-dns.sh, two network namespaces of this
# script's own joined by a veth pair (MAC addresses 02:00:00:00:50:01 and
# :02), TEST-NET-1 addresses, no route anywhere else. The server is
# 192.0.2.1, the client 192.0.2.2. Each capture starts its own SIPp server
# on 192.0.2.1 over UDP and stops it by PID; each client call has a local
# port of its own (40001 ...), so each is a session of its own:
#   sip-register-5060   REGISTER as alice: 401 challenge, then the digest
#                       with "AlicePass2024": 200; again with
#                       "WrongPass999": 403
#   sip-invite-5060     an INVITE to bob (From: sipp): 180, 200, ACK, BYE, 200
#   sip-plaintext-on-5061   the accepted REGISTER on 5061/udp, the port of
#                       SIP over TLS, in the clear: plaintext-on-tls-port
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-sip-rec

NS_SRV=tlswatch-sip-srv
NS_CLI=tlswatch-sip-cli
VETH_SRV=tlsw-sip-srv
VETH_CLI=tlsw-sip-cli
MAC_SRV=02:00:00:00:50:01
MAC_CLI=02:00:00:00:50:02
CLIENT_ADDR=192.0.2.2
SRV_ADDR=192.0.2.1
NS_MADE=0
SRV_PID=""

CAPTURES=(sip-register-5060 sip-invite-5060 sip-plaintext-on-5061)

PACKAGES=(sip-tester tcpdump tshark iproute2)

# ---------------------------------------------------------------- peers

# sip_server PORT SIPP-ARG...: a SIPp server on 192.0.2.1:PORT/udp, its
# screen and logs in the private root.
sip_server()
{
	local port=$1
	shift
	(cd "$ROOT" && exec ip netns exec "$NS_SRV" sipp "$@" -i "$SRV_ADDR" -p "$port" -t u1 \
		-nostdin -trace_err -error_file "$ROOT/uas-$port.err" >"$ROOT/uas-$port.out" 2>&1) &
	SRV_PID=$!
	wait_until -p "$SRV_PID" sip_listening "$port" || die "sipp server on $port did not start"
}

sip_listening()
{
	ip netns exec "$NS_SRV" ss -Hlun "sport = :$1" | grep -q "$SRV_ADDR"
}

sip_server_stop()
{
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=""
	fi
}

# lab_sip ARG...: one SIPp client call from 192.0.2.2; it must complete.
lab_sip()
{
	run_client timeout 30 ip netns exec "$NS_CLI" sipp "$@" -i "$CLIENT_ADDR" -t u1 -m 1 \
		-nostdin -timeout 20 -timeout_error
}

ns_cap_start()
{
	local file=$1 port=$2
	CAP_ERR=$file.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file" "udp and host $SRV_ADDR and port $port" 2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
}

# ---------------------------------------------------------------- captures

rec_sip-register-5060()
{
	sip_server 5060 -sf "$LAB/sip/reg-uas.xml"
	ns_cap_start "$1" 5060
	lab_sip -sf "$LAB/sip/reg-uac.xml" -s alice -au alice -ap AlicePass2024 -p 40001 "$SRV_ADDR:5060"
	lab_sip -sf "$LAB/sip/reg-uac.xml" -s alice -au alice -ap WrongPass999 -p 40002 "$SRV_ADDR:5060"
	cap_stop
	sip_server_stop
}

rec_sip-invite-5060()
{
	sip_server 5060 -sn uas
	ns_cap_start "$1" 5060
	lab_sip -sn uac -s bob -d 200 -p 40003 "$SRV_ADDR:5060"
	cap_stop
	sip_server_stop
}

rec_sip-plaintext-on-5061()
{
	sip_server 5061 -sf "$LAB/sip/reg-uas.xml"
	ns_cap_start "$1" 5061
	lab_sip -sf "$LAB/sip/reg-uac.xml" -s alice -au alice -ap AlicePass2024 -p 40004 "$SRV_ADDR:5061"
	cap_stop
	sip_server_stop
}

# ---------------------------------------------------------------- checks

# verify_capture NAME FILE: the SIP status lines tshark reads in the file.
verify_capture()
{
	local name=$1 file=$2 codes
	codes=$(tshark -n -r "$file" -d udp.port==5061,sip -Y 'sip.Status-Code' -T fields \
		-e sip.Status-Code 2>/dev/null | tr '\n' ' ')
	case $name in
	sip-register-5060) [ "$codes" = "401 200 401 403 " ] ;;
	sip-invite-5060) grep -q '180 200 200' <<<"$codes" ;;
	sip-plaintext-on-5061) [ "$codes" = "401 200 " ] ;;
	esac || {
		log "$name: status codes '$codes': not as expected"
		return 1
	}
}

# ---------------------------------------------------------------- setup

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

start_servers()
{
	[ -d "$ROOT" ] && [ ! -f "$ROOT/.tlswatch-sip" ] && die "$ROOT exists and is not ours"
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	touch "$ROOT/.tlswatch-sip"
	ns_up
}

stop_servers()
{
	sip_server_stop
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS_SRV" 2>/dev/null || true
		ip netns del "$NS_CLI" 2>/dev/null || true
		NS_MADE=0
	fi
	[ -f "$ROOT/.tlswatch-sip" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

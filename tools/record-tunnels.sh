#!/usr/bin/env bash
# tools/record-tunnels.sh — records the tunnel captures in pcaps/ (tunnel-*).
# Must run as root (network namespaces, veth and VXLAN devices).
#
#   tools/record-tunnels.sh              record (and generate) every capture
#   tools/record-tunnels.sh --real       only the real VXLAN capture
#   tools/record-tunnels.sh --generated  only the generated ones
#
# Options: --out DIR (default pcaps/).
#
# Real (tunnel-vxlan-smtp.pcap): two network namespaces of this script's own
# joined by a veth pair (the underlay, 198.51.100.1 server and .2 client,
# TEST-NET-2, fixed MACs 02:00:00:00:47:01 and :02), and on top of it a
# kernel VXLAN device in each (VNI 42, UDP 4789; the overlay 192.0.2.1 and
# .2, TEST-NET-1, fixed MACs 02:00:00:00:42:01 and :02). Nothing has a route
# anywhere else. A real Postfix (tools/lab/lab.sh --profile smtp) listens on
# the overlay address; swaks delivers one mail with STARTTLS and one in the
# clear (the server offers STARTTLS, the client does not ask: cleartext /
# not-requested). tcpdump records the client's underlay veth, so the file
# holds the encapsulated frames: outer Ethernet, IPv4, UDP 4789, VXLAN, inner
# Ethernet, IPv4, TCP.
#
# Generated (tunnel-*-generated.pcap): this machine's kernel has no GRE,
# ERSPAN, Geneve or MPLS (see /work/shared/LAB.md), so tools/tunnel-encap.py
# wraps every frame of a real capture, pcaps/smtp-starttls-tls13.pcap (swaks
# and Postfix on loopback, tools/record-pcaps.sh), in each tunnel's RFC
# framing: the inner bytes are the real ones, only the outer headers are
# written by the project.
#
# Everything started here is stopped by PID, the namespaces are deleted on
# exit, and the lab's private root is removed.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/pcaps
DO_REAL=1
DO_GEN=1

NS_SRV=tlsw-tun-srv
NS_CLI=tlsw-tun-cli
VETH_SRV=tlsw-tun-s
VETH_CLI=tlsw-tun-c
UNDER_SRV=198.51.100.1
UNDER_CLI=198.51.100.2
OVER_SRV=192.0.2.1
OVER_CLI=192.0.2.2
VNI=42

GEN_SOURCE=smtp-starttls-tls13.pcap
GEN_KINDS=(gre gretap erspan1 erspan2 erspan3 vxlan geneve mpls mpls-pw mpls-in-udp gre-in-udp)

NS_MADE=0
CAP_PID=""
TMP=""
LAB_ROOT=""

log()
{
	echo "record-tunnels: $*" >&2
}

die()
{
	log "$*"
	exit 1
}

cleanup()
{
	local rc=$?
	if [ -n "$CAP_PID" ] && kill -0 "$CAP_PID" 2>/dev/null; then
		kill -KILL "$CAP_PID" 2>/dev/null || true
		wait "$CAP_PID" 2>/dev/null || true
	fi
	if [ -n "$LAB_ROOT" ] && [ -e "$LAB_ROOT/.tlswatch-lab" ]; then
		ip netns exec "$NS_SRV" "$REPO/tools/lab/lab.sh" stop "$LAB_ROOT" >/dev/null 2>&1 ||
			"$REPO/tools/lab/lab.sh" stop "$LAB_ROOT" >/dev/null 2>&1 || rc=1
	fi
	if [ $NS_MADE -eq 1 ]; then
		ip netns del "$NS_CLI" 2>/dev/null || true
		ip netns del "$NS_SRV" 2>/dev/null || true
	fi
	[ -n "$TMP" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$TMP"
	exit $rc
}

ensure_packages()
{
	local missing=() p
	for p in postfix swaks libnet-ssleay-perl openssl tcpdump iproute2 python3; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	"$REPO/tools/install-deps.sh" "${missing[@]}" >&2
}

wait_up()
{
	local ns=$1 dev=$2 _
	for _ in $(seq 1 50); do
		ip -n "$ns" link show "$dev" | grep -q LOWER_UP && return 0
		sleep 0.1
	done
	die "$dev in $ns did not come up"
}

make_network()
{
	ip link add vxlan-probe type vxlan id 1 dstport 4789 2>/dev/null ||
		die "this kernel cannot make a VXLAN device"
	ip link del vxlan-probe
	ip netns add "$NS_SRV"
	NS_MADE=1
	ip netns add "$NS_CLI"
	ip link add "$VETH_SRV" address 02:00:00:00:47:01 type veth peer name "$VETH_CLI" \
		address 02:00:00:00:47:02
	ip link set "$VETH_SRV" netns "$NS_SRV"
	ip link set "$VETH_CLI" netns "$NS_CLI"
	ip -n "$NS_SRV" addr add "$UNDER_SRV/24" dev "$VETH_SRV"
	ip -n "$NS_CLI" addr add "$UNDER_CLI/24" dev "$VETH_CLI"
	ip -n "$NS_SRV" link set lo up
	ip -n "$NS_CLI" link set lo up
	ip -n "$NS_SRV" link set "$VETH_SRV" up
	ip -n "$NS_CLI" link set "$VETH_CLI" up
	# The overlay: one VXLAN device per side, each pointing at the other's
	# underlay address (no multicast, no learning needed).
	ip -n "$NS_SRV" link add vx0 address 02:00:00:00:42:01 type vxlan id $VNI dstport 4789 \
		local "$UNDER_SRV" remote "$UNDER_CLI" dev "$VETH_SRV"
	ip -n "$NS_CLI" link add vx0 address 02:00:00:00:42:02 type vxlan id $VNI dstport 4789 \
		local "$UNDER_CLI" remote "$UNDER_SRV" dev "$VETH_CLI"
	ip -n "$NS_SRV" addr add "$OVER_SRV/24" dev vx0
	ip -n "$NS_CLI" addr add "$OVER_CLI/24" dev vx0
	ip -n "$NS_SRV" link set vx0 up
	ip -n "$NS_CLI" link set vx0 up
	wait_up "$NS_SRV" "$VETH_SRV"
	wait_up "$NS_CLI" "$VETH_CLI"
	wait_up "$NS_SRV" vx0
	wait_up "$NS_CLI" vx0
}

cap_start()
{
	local file=$1 _
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -n -i "$VETH_CLI" -w "$file" \
		"udp port 4789" 2>"$TMP/tcpdump.err" &
	CAP_PID=$!
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$TMP/tcpdump.err" 2>/dev/null && return 0
		kill -0 "$CAP_PID" 2>/dev/null || { cat "$TMP/tcpdump.err" >&2; die "tcpdump exited"; }
		sleep 0.1
	done
	die "tcpdump did not start"
}

cap_stop()
{
	local _
	sleep 0.5
	kill -INT "$CAP_PID"
	for _ in $(seq 1 100); do
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$CAP_PID" 2>/dev/null && kill -KILL "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=""
}

swaks_send()
{
	ip netns exec "$NS_CLI" swaks --server "$OVER_SRV" --port 25 --helo client.tlswatch.test \
		--from sender@client.tlswatch.test --to alice@tlswatch.test \
		--header "Subject: tlswatch tunnel capture" --body "a mail through VXLAN" \
		--timeout 10 "$@" >>"$TMP/swaks.log" 2>&1 || { cat "$TMP/swaks.log" >&2; die "swaks $*"; }
}

record_real()
{
	local name=tunnel-vxlan-smtp.pcap
	make_network
	LAB_ROOT=$TMP/lab
	ip netns exec "$NS_SRV" "$REPO/tools/lab/lab.sh" start "$LAB_ROOT" --profile smtp \
		--smtp-addr "$OVER_SRV" 2>"$TMP/lab.log" || { cat "$TMP/lab.log" >&2; die "postfix did not start"; }
	cap_start "$TMP/$name"
	swaks_send --tls --tls-sni mail.tlswatch.test
	swaks_send
	cap_stop
	ip netns exec "$NS_SRV" "$REPO/tools/lab/lab.sh" stop "$LAB_ROOT" >/dev/null
	# The file must hold VXLAN with SMTP inside, in the clear and upgraded.
	if command -v tshark >/dev/null; then
		tshark -r "$TMP/$name" -Y 'vxlan && smtp.req' -T fields -e smtp.command_line \
			2>/dev/null | grep -q STARTTLS || die "$name: no STARTTLS inside VXLAN"
		tshark -r "$TMP/$name" -Y 'vxlan && tls.handshake.type == 1' 2>/dev/null |
			grep -q . || die "$name: no ClientHello inside VXLAN"
	fi
	install -m 0644 "$TMP/$name" "$OUT/$name"
	log "wrote $OUT/$name"
}

record_generated()
{
	local k name
	[ -r "$REPO/pcaps/$GEN_SOURCE" ] || die "no pcaps/$GEN_SOURCE to wrap"
	for k in "${GEN_KINDS[@]}"; do
		name=tunnel-$k-smtp-generated.pcap
		python3 "$REPO/tools/tunnel-encap.py" "$k" "$REPO/pcaps/$GEN_SOURCE" "$TMP/$name"
		install -m 0644 "$TMP/$name" "$OUT/$name"
		log "wrote $OUT/$name (generated from pcaps/$GEN_SOURCE)"
	done
}

main()
{
	while [ $# -gt 0 ]; do
		case "$1" in
		--real) DO_GEN=0 ;;
		--generated) DO_REAL=0 ;;
		--out)
			OUT=$(cd "$2" && pwd)
			shift
			;;
		*) die "usage: tools/record-tunnels.sh [--real|--generated] [--out DIR]" ;;
		esac
		shift
	done
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	TMP=$(mktemp -d /tmp/tlswatch-tunnels.XXXXXX)
	chmod 0755 "$TMP"
	if [ $DO_GEN -eq 1 ]; then
		record_generated
	fi
	if [ $DO_REAL -eq 1 ]; then
		[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
		ensure_packages
		record_real
	fi
}

main "$@"

#!/usr/bin/env bash
# tools/record-dns.sh — records the DNS captures in pcaps/ (dns-*.pcap,
# dot-853.pcap) from Debian's unbound answering from local zone data, asked
# by dig (bind9-dnsutils) and kdig (knot-dnsutils, DNS over TLS with +tls).
# Must run as root (or through sudo).
#
#   tools/record-dns.sh              record every capture of this set
#   tools/record-dns.sh NAME...      only these (e.g. dot-853)
#   tools/record-dns.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-dns-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, no service started).
#
# The network: two network namespaces of this script's own, a server side
# and a client side, joined by a veth pair (real Ethernet framing, fixed
# MAC addresses 02:00:00:00:53:01 and :02), addresses from TEST-NET-1
# (RFC 5737) and no route anywhere else: nothing the lab sends can leave the
# pair, and unbound, which has only its local zone, never recurses.
#
# Servers, in the server namespace, each an unbound of its own (foreground,
# no chroot, no privilege drop, config and pid file in the private root):
#   192.0.2.1:53 (udp, tcp)  the zone tlswatch.test (A, AAAA, MX, TXT of
#                            _mta-sts, TLSA of _25._tcp.mail)
#   192.0.2.1:853 (tcp)      the same over TLS (tls-port; RFC 7858)
#   192.0.2.3:853 (udp, tcp) the same zone in the clear on the DoT port: a
#                            misconfigured resolver, plaintext-on-tls-port
# The client is 192.0.2.2. The certificate (dns.tlswatch.test) is fresh
# from tools/lab/gen-cert.sh.
#
# Each capture is one rec_NAME function: tcpdump on the client's veth
# (inside the client namespace) for one server address and port, UDP and
# TCP, the clients, stop. verify_capture checks with tshark that the file
# holds what its name says (queries and answers in the clear, or a TLS
# handshake and no DNS in the clear) before it is moved into pcaps/. Bytes
# differ between runs (ids, ports, keys); content does not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-dns-rec
SERVER_NAME=dns.tlswatch.test

NS_SRV=tlswatch-dns-srv
NS_CLI=tlswatch-dns-cli
VETH_SRV=tlsw-dns-srv
VETH_CLI=tlsw-dns-cli
MAC_SRV=02:00:00:00:53:01
MAC_CLI=02:00:00:00:53:02
CLIENT_ADDR=192.0.2.2
DNS_ADDR=192.0.2.1   # unbound: 53 in the clear, 853 TLS
PLAIN_ADDR=192.0.2.3 # unbound: 853 in the clear
NS_MADE=0
declare -A PIDS=()

CAPTURES=(dns-udp-53 dns-tcp-53 dot-853 dns-plaintext-on-853)

PACKAGES=(unbound bind9-dnsutils knot-dnsutils openssl tcpdump tshark iproute2)

# ---------------------------------------------------------------- clients

# dig or kdig in the client namespace: lab_dig PROGRAM ARG...
lab_dig()
{
	run_client timeout 30 ip netns exec "$NS_CLI" "$@"
}

ns_cap_start()
{
	local file=$1 addr=$2 port=$3
	CAP_ERR=$file.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file" "(tcp or udp) and ((dst host $addr and dst port $port) or (src host $addr and src port $port))" \
		2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
}

# ---------------------------------------------------------------- captures

# Plain DNS over UDP: one dig per question (each its own socket, so its own
# session), A, AAAA, MX, TXT, TLSA and a name that does not exist.
rec_dns-udp-53()
{
	ns_cap_start "$1" "$DNS_ADDR" 53
	lab_dig dig +norecurse +time=3 +tries=1 @"$DNS_ADDR" mail.tlswatch.test A
	lab_dig dig +time=3 +tries=1 @"$DNS_ADDR" mail.tlswatch.test AAAA
	lab_dig dig +time=3 +tries=1 @"$DNS_ADDR" tlswatch.test MX
	lab_dig dig +time=3 +tries=1 @"$DNS_ADDR" _mta-sts.tlswatch.test TXT
	lab_dig kdig +time=3 +retry=0 @"$DNS_ADDR" _25._tcp.mail.tlswatch.test TLSA
	lab_dig dig +time=3 +tries=1 @"$DNS_ADDR" nosuch.tlswatch.test A
	cap_stop
}

# Plain DNS over TCP: several questions on one connection (dig +keepopen),
# and kdig's own.
rec_dns-tcp-53()
{
	ns_cap_start "$1" "$DNS_ADDR" 53
	lab_dig dig +tcp +keepopen +time=3 +tries=1 @"$DNS_ADDR" tlswatch.test MX \
		mail.tlswatch.test A _25._tcp.mail.tlswatch.test TLSA
	lab_dig kdig +tcp +time=3 +retry=0 @"$DNS_ADDR" _mta-sts.tlswatch.test TXT
	cap_stop
}

# DNS over TLS (RFC 7858) with kdig: a TLS handshake first, then the query.
rec_dot-853()
{
	ns_cap_start "$1" "$DNS_ADDR" 853
	lab_dig kdig +tls +tls-ca="$ROOT/tls/cert.pem" +tls-hostname="$SERVER_NAME" +time=3 +retry=0 \
		@"$DNS_ADDR" -p 853 mail.tlswatch.test A
	lab_dig kdig +tls +time=3 +retry=0 @"$DNS_ADDR" -p 853 tlswatch.test MX
	cap_stop
}

# Plain DNS on the DoT port, over UDP and over TCP.
rec_dns-plaintext-on-853()
{
	ns_cap_start "$1" "$PLAIN_ADDR" 853
	lab_dig dig +time=3 +tries=1 @"$PLAIN_ADDR" -p 853 mail.tlswatch.test A
	lab_dig dig +tcp +time=3 +tries=1 @"$PLAIN_ADDR" -p 853 tlswatch.test MX
	cap_stop
}

# ---------------------------------------------------------------- checks

# verify_capture NAME FILE: what the capture must hold, read by tshark.
verify_capture()
{
	local name=$1 file=$2 q r tls
	q=$(tshark -n -r "$file" -d tcp.port==853,dns -d udp.port==853,dns \
		-Y 'dns.flags.response == 0' 2>/dev/null | wc -l)
	r=$(tshark -n -r "$file" -d tcp.port==853,dns -d udp.port==853,dns \
		-Y 'dns.flags.response == 1' 2>/dev/null | wc -l)
	tls=$(tshark -n -r "$file" -d tcp.port==853,tls -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
	case $name in
	dns-udp-53) [ "$q" -eq 6 ] && [ "$r" -eq 6 ] && [ "$tls" -eq 0 ] ;;
	dns-tcp-53) [ "$q" -eq 4 ] && [ "$r" -eq 4 ] && [ "$tls" -eq 0 ] ;;
	dns-plaintext-on-853) [ "$q" -eq 2 ] && [ "$r" -eq 2 ] && [ "$tls" -eq 0 ] ;;
	dot-853)
		q=$(tshark -n -r "$file" -Y dns 2>/dev/null | wc -l)
		[ "$tls" -eq 2 ] && [ "$q" -eq 0 ] ;;
	esac || {
		log "$name: $q queries, $r responses, $tls ClientHello in the clear: not as expected"
		return 1
	}
}

# ---------------------------------------------------------------- servers

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
	ip -n "$NS_SRV" addr add "$DNS_ADDR/24" dev "$VETH_SRV"
	ip -n "$NS_SRV" addr add "$PLAIN_ADDR/24" dev "$VETH_SRV"
	ip -n "$NS_CLI" addr add "$CLIENT_ADDR/24" dev "$VETH_CLI"
	ip -n "$NS_SRV" link set lo up
	ip -n "$NS_CLI" link set lo up
	ip -n "$NS_SRV" link set "$VETH_SRV" up
	ip -n "$NS_CLI" link set "$VETH_CLI" up
}

# The zone, the same for every instance.
zone_conf()
{
	cat <<-'EOF'
		local-zone: "tlswatch.test." static
		local-data: "tlswatch.test. 300 IN SOA ns.tlswatch.test. hostmaster.tlswatch.test. 1 3600 600 86400 300"
		local-data: "tlswatch.test. 300 IN MX 10 mail.tlswatch.test."
		local-data: "mail.tlswatch.test. 300 IN A 192.0.2.25"
		local-data: "mail.tlswatch.test. 300 IN AAAA 2001:db8::25"
		local-data: "dns.tlswatch.test. 300 IN A 192.0.2.1"
		local-data: '_mta-sts.tlswatch.test. 300 IN TXT "v=STSv1; id=20260101T000000;"'
		local-data: "_25._tcp.mail.tlswatch.test. 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	EOF
}

# unbound_conf NAME: the configuration of instance NAME on stdout.
unbound_conf()
{
	cat <<-EOF
		server:
		    chroot: ""
		    username: ""
		    directory: "$ROOT"
		    pidfile: "$ROOT/$1.pid"
		    use-syslog: no
		    logfile: "$ROOT/$1.log"
		    do-ip6: no
		    do-daemonize: no
		    access-control: 192.0.2.0/24 allow
		    module-config: "iterator"
		    num-threads: 1
	EOF
	if [ "$1" = tls ]; then
		cat <<-EOF
			    interface: $DNS_ADDR@53
			    interface: $DNS_ADDR@853
			    tls-port: 853
			    tls-service-key: "$ROOT/tls/key.pem"
			    tls-service-pem: "$ROOT/tls/cert.pem"
		EOF
	else
		echo "    interface: $PLAIN_ADDR@853"
	fi
	zone_conf | sed 's/^/    /'
	printf 'remote-control:\n    control-enable: no\n'
}

start_servers()
{
	local inst
	[ -d "$ROOT" ] && [ ! -f "$ROOT/.tlswatch-dns" ] && die "$ROOT exists and is not ours"
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	touch "$ROOT/.tlswatch-dns"
	"$LAB/gen-cert.sh" "$ROOT/tls" "$SERVER_NAME"
	chmod 0644 "$ROOT/tls/key.pem"
	ns_up
	for inst in tls plain; do
		unbound_conf "$inst" >"$ROOT/$inst.conf"
		unbound-checkconf "$ROOT/$inst.conf" >/dev/null || die "unbound-checkconf $inst.conf failed"
		ip netns exec "$NS_SRV" unbound -d -c "$ROOT/$inst.conf" >"$ROOT/$inst.out" 2>&1 &
		PIDS[$inst]=$!
	done
	wait_until dns_listening || true
	for inst in tls plain; do
		pid_alive "${PIDS[$inst]}" || { cat "$ROOT/$inst.out" "$ROOT/$inst.log" >&2 || true; die "unbound $inst did not start"; }
	done
}

# Both instances listen: TLS on 192.0.2.1:853, the clear one on .3:853.
dns_listening()
{
	local l
	l=$(ip netns exec "$NS_SRV" ss -Hltn "sport = :853")
	grep -q "$DNS_ADDR" <<<"$l" && grep -q "$PLAIN_ADDR" <<<"$l"
}

stop_servers()
{
	local inst
	for inst in "${!PIDS[@]}"; do
		kill "${PIDS[$inst]}" 2>/dev/null || true
		wait "${PIDS[$inst]}" 2>/dev/null || true
	done
	PIDS=()
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS_SRV" 2>/dev/null || true
		ip netns del "$NS_CLI" 2>/dev/null || true
		NS_MADE=0
	fi
	[ -f "$ROOT/.tlswatch-dns" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

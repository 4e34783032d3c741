#!/usr/bin/env bash
# tools/record-snmp.sh — records the SNMP captures in pcaps/ (snmp-*.pcap)
# from Debian's net-snmp: snmpd answering snmpget/snmpwalk (package snmp),
# and snmptrap. Must run as root (or through sudo).
#
#   tools/record-snmp.sh              record every capture of this set
#   tools/record-snmp.sh NAME...      only these (e.g. snmp-v3-161)
#   tools/record-snmp.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-snmp-rec), --no-install.
#
# The network: as tools/record-dns.sh, two network namespaces of this
# script's own joined by a veth pair (MAC addresses 02:00:00:00:a1:01 and
# :02), TEST-NET-1 addresses, no route anywhere else. The server is
# 192.0.2.1, the client 192.0.2.2. One snmpd (foreground, its own
# configuration and persistent directory in the private root, no
# privilege drop) listens on 192.0.2.1:161/udp, on 192.0.2.1:161/tcp
# (RFC 3430), in the clear on 192.0.2.1:10161/udp, the SNMP-over-(D)TLS
# port (RFC 6353), and with TLS on 192.0.2.1:10161/tcp (net-snmp's tlstcp
# transport and its Transport Security Model). Its
# credentials (documented in pcaps/README.md):
#   community "tlswatch-ro" (read-only, v1 and v2c)
#   USM users (v3): "noauth" (noAuthNoPriv), "authonly" (authNoPriv, SHA,
#   "authpass-lab1"), "authpriv" (authPriv, SHA "authpass-lab2", AES
#   "privpass-lab2")
#   TSM (v3 over TLS): the manager's certificate (CN "manager", by a lab CA
#   made with openssl at record time) maps to the securityName "tlsuser"
#   (read-only); net-snmp 5.9.3 offers and accepts TLS 1.0 only, whose
#   signatures OpenSSL 3 refuses below security level 0, so both sides
#   set tlsAlgorithms DEFAULT:@SECLEVEL=0
# Captures (each client command is its own socket, so its own session):
#   snmp-v2c-161        v2c get and walk, v1 get, all with the right
#                       community; a v2c get with a wrong community, which
#                       snmpd drops without an answer
#   snmp-v3-161         v3 gets: noAuthNoPriv, authNoPriv, authPriv, and an
#                       unknown user (usmStatsUnknownUserNames report)
#   snmp-trap-162       snmptrap: a v2c trap and a v1 trap to 192.0.2.1:162
#                       (no receiver runs: a trap is never answered, and
#                       only UDP is captured, not the ICMP unreachable)
#   snmp-plaintext-on-10161   a v2c get in the clear on the port of SNMP
#                       over DTLS: plaintext-on-tls-port
#   snmp-v2c-tcp-161    SNMP over TCP (RFC 3430; tcp:192.0.2.1:161), each
#                       command its own connection: a v2c get and a v2c
#                       walk with the right community, a v2c get with a
#                       wrong community (unanswered; the client gives up
#                       and closes)
#   snmp-tls-10161      SNMP over TLS (RFC 6353; tls:192.0.2.1:10161), each
#                       command its own connection: a v3 get and a v3
#                       walk as "tlsuser" with the manager's certificate
#   snmp-dtls-10161     SNMP over DTLS (RFC 6353; dtlsudp:192.0.2.1:10161),
#                       each command its own DTLS session: a v3 get and a
#                       v3 walk as "tlsuser" with the manager's certificate.
#                       10161/udp is the main snmpd's plaintext listener,
#                       so for this capture that snmpd is stopped and a
#                       second one (same identities, agentAddress dtlsudp
#                       only) answers; the main one is started again after
# OIDs are numeric (Debian ships no MIB files).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-snmp-rec

NS_SRV=tlswatch-snmp-srv
NS_CLI=tlswatch-snmp-cli
VETH_SRV=tlsw-snmp-srv
VETH_CLI=tlsw-snmp-cli
MAC_SRV=02:00:00:00:a1:01
MAC_CLI=02:00:00:00:a1:02
CLIENT_ADDR=192.0.2.2
SRV_ADDR=192.0.2.1
NS_MADE=0
SRV_PID=""

CAPTURES=(snmp-v2c-161 snmp-v3-161 snmp-trap-162 snmp-plaintext-on-10161 snmp-v2c-tcp-161
	snmp-tls-10161 snmp-dtls-10161)

PACKAGES=(snmpd snmp openssl tcpdump tshark iproute2)

SYSDESCR=1.3.6.1.2.1.1.1.0
SYSTEM=1.3.6.1.2.1.1

# ---------------------------------------------------------------- clients

# An SNMP client in the client namespace, no MIBs, one try: lab_snmp PROGRAM ARG...
# Its configuration path is the private root's (the TLS settings and
# certificates; nothing else is set there).
lab_snmp()
{
	run_client timeout 30 ip netns exec "$NS_CLI" env MIBS= MIBDIRS=/nonexistent \
		SNMPCONFPATH="$ROOT/client" SNMP_PERSISTENT_DIR="$ROOT/client-persist" \
		"$1" -On -t 2 -r 0 "${@:2}"
}

# The same for a request that gets no answer (a wrong community): it must fail.
lab_snmp_unanswered()
{
	if timeout 30 ip netns exec "$NS_CLI" env MIBS= MIBDIRS=/nonexistent "$1" -On -t 2 -r 0 \
		"${@:2}" >>"$WORK/$CUR.log" 2>&1; then
		client_die "$1 ${*:2}: answered, but should not have been"
	fi
}

# The filter keeps the IP fragments after the first too (they carry no
# port): a DTLS flight with a certificate chain outgrows the MTU.
ns_cap_start()
{
	local file=$1 port=$2 l4=${3:-udp}
	CAP_ERR=$file.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file" "host $SRV_ADDR and (($l4 and port $port) or (ip[6:2] & 0x1fff != 0))" \
		2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
}

# ---------------------------------------------------------------- captures

rec_snmp-v2c-161()
{
	ns_cap_start "$1" 161
	lab_snmp snmpget -v2c -c tlswatch-ro "$SRV_ADDR" "$SYSDESCR"
	lab_snmp snmpwalk -v2c -c tlswatch-ro "$SRV_ADDR" "$SYSTEM"
	lab_snmp snmpget -v1 -c tlswatch-ro "$SRV_ADDR" "$SYSDESCR"
	lab_snmp_unanswered snmpget -v2c -c wrong-community "$SRV_ADDR" "$SYSDESCR"
	cap_stop
	expect_log 'tlswatch lab agent'
}

rec_snmp-v3-161()
{
	ns_cap_start "$1" 161
	lab_snmp snmpget -v3 -l noAuthNoPriv -u noauth "$SRV_ADDR" "$SYSDESCR"
	lab_snmp snmpget -v3 -l authNoPriv -u authonly -a SHA -A authpass-lab1 "$SRV_ADDR" "$SYSDESCR"
	lab_snmp snmpget -v3 -l authPriv -u authpriv -a SHA -A authpass-lab2 -x AES -X privpass-lab2 \
		"$SRV_ADDR" "$SYSDESCR"
	lab_snmp_unanswered snmpget -v3 -l noAuthNoPriv -u nosuchuser "$SRV_ADDR" "$SYSDESCR"
	cap_stop
	[ "$(grep -c 'tlswatch lab agent' "$WORK/$CUR.log")" -eq 3 ] ||
		client_die "not every v3 get was answered"
	expect_log 'Unknown user name'
}

rec_snmp-trap-162()
{
	ns_cap_start "$1" 162
	lab_snmp snmptrap -v2c -c tlswatch-trap "$SRV_ADDR" '' 1.3.6.1.6.3.1.1.5.1
	lab_snmp snmptrap -v1 -c tlswatch-trap "$SRV_ADDR" 1.3.6.1.4.1.32473 "$CLIENT_ADDR" 0 0 ''
	cap_stop
}

rec_snmp-plaintext-on-10161()
{
	ns_cap_start "$1" 10161
	lab_snmp snmpget -v2c -c tlswatch-ro "$SRV_ADDR:10161" "$SYSDESCR"
	cap_stop
	expect_log 'tlswatch lab agent'
}

rec_snmp-v2c-tcp-161()
{
	ns_cap_start "$1" 161 tcp
	lab_snmp snmpget -v2c -c tlswatch-ro "tcp:$SRV_ADDR:161" "$SYSDESCR"
	lab_snmp snmpwalk -v2c -c tlswatch-ro "tcp:$SRV_ADDR:161" "$SYSTEM"
	lab_snmp_unanswered snmpget -v2c -c wrong-community "tcp:$SRV_ADDR:161" "$SYSDESCR"
	cap_stop
	[ "$(grep -c 'tlswatch lab agent' "$WORK/$CUR.log")" -eq 2 ] || client_die "not two answers"
}

rec_snmp-tls-10161()
{
	local tls=(-v3 -l authPriv -u tlsuser -T our_identity=manager -T their_identity=snmpd
		-T trust_cert=ca)
	ns_cap_start "$1" 10161 tcp
	lab_snmp snmpget "${tls[@]}" "tls:$SRV_ADDR:10161" "$SYSDESCR"
	lab_snmp snmpwalk "${tls[@]}" "tls:$SRV_ADDR:10161" "$SYSTEM"
	cap_stop
	[ "$(grep -c 'tlswatch lab agent' "$WORK/$CUR.log")" -eq 2 ] || client_die "not two answers"
}

# The DTLS listener needs 10161/udp, which the main snmpd holds in the
# clear: a DTLS-only snmpd answers for this capture, then the main one
# comes back for the others.
rec_snmp-dtls-10161()
{
	local tls=(-v3 -l authPriv -u tlsuser -T our_identity=manager -T their_identity=snmpd
		-T trust_cert=ca)
	snmpd_stop
	snmpd_start "$ROOT/snmpd-dtls.conf" snmpd_dtls_answers
	ns_cap_start "$1" 10161
	lab_snmp snmpget "${tls[@]}" "dtlsudp:$SRV_ADDR:10161" "$SYSDESCR"
	lab_snmp snmpwalk "${tls[@]}" "dtlsudp:$SRV_ADDR:10161" "$SYSTEM"
	cap_stop
	snmpd_stop
	snmpd_start "$ROOT/snmpd.conf" snmpd_answers
	[ "$(grep -c 'tlswatch lab agent' "$WORK/$CUR.log")" -eq 2 ] || client_die "not two answers"
}

# ---------------------------------------------------------------- checks

# verify_capture NAME FILE: the SNMP messages tshark reads in the file.
verify_capture()
{
	local name=$1 file=$2 n
	n=$(tshark -n -r "$file" -d udp.port==10161,snmp -d tcp.port==161,snmp -Y snmp 2>/dev/null | wc -l)
	case $name in
	snmp-v2c-161) [ "$n" -ge 8 ] ;;
	snmp-v3-161) [ "$n" -ge 8 ] ;;
	snmp-trap-162) [ "$n" -eq 2 ] ;;
	snmp-plaintext-on-10161) [ "$n" -eq 2 ] ;;
	snmp-v2c-tcp-161) [ "$n" -ge 8 ] && cap_verify "$file" 3 ;;
	snmp-tls-10161)
		cap_verify "$file" 2 &&
			[ "$(tshark -n -r "$file" -d tcp.port==10161,tls -Y 'tls.handshake.type == 2' 2>/dev/null |
				wc -l)" -eq 2 ]
		;;
	snmp-dtls-10161)
		# Two DTLS sessions (a ServerHello each, from the agent's port)
		# and application data both ways; no SNMP in the clear.
		[ "$(tshark -n -r "$file" -d udp.port==10161,dtls -Y 'dtls.handshake.type == 2' 2>/dev/null |
			wc -l)" -eq 2 ] &&
			[ "$(tshark -n -r "$file" -d udp.port==10161,dtls -Y 'dtls.record.content_type == 23' \
				2>/dev/null | wc -l)" -ge 4 ] &&
			[ "$(tshark -n -r "$file" -Y snmp 2>/dev/null | wc -l)" -eq 0 ]
		;;
	esac || {
		log "$name: $n SNMP messages: not as expected"
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

snmpd_conf()
{
	cat <<-EOF
		agentAddress udp:$SRV_ADDR:161,tcp:$SRV_ADDR:161,udp:$SRV_ADDR:10161,tlstcp:$SRV_ADDR:10161
		sysDescr tlswatch lab agent
		sysLocation tlswatch lab
		sysContact lab@tlswatch.test
		rocommunity tlswatch-ro 192.0.2.0/24
		createUser noauth
		createUser authonly SHA "authpass-lab1"
		createUser authpriv SHA "authpass-lab2" AES "privpass-lab2"
		rouser noauth noauth
		rouser authonly auth
		rouser authpriv priv
		[snmp] tlsAlgorithms DEFAULT:@SECLEVEL=0
		[snmp] localCert snmpd
		[snmp] trustCert ca
		certSecName 10 --sha256 $(cert_sha256 "$ROOT/server/tls/certs/manager.crt") --sn tlsuser
		rouser -s tsm tlsuser authPriv
	EOF
}

# The DTLS-only agent of snmp-dtls-10161: the same identities and users,
# the one listener dtlsudp:192.0.2.1:10161.
snmpd_dtls_conf()
{
	snmpd_conf | sed "1s/.*/agentAddress dtlsudp:$SRV_ADDR:10161/"
}

# cert_sha256 FILE: the certificate's SHA-256 fingerprint in hex, as
# net-snmp's certSecName takes it.
cert_sha256()
{
	openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :
}

# The TLS identities, made at record time: a lab CA, the agent's
# certificate ("snmpd", for 192.0.2.1) and the manager's ("manager"), in
# net-snmp's layout (tls/certs, tls/private, tls/ca-certs) under each
# side's configuration path: $ROOT/server and $ROOT/client.
snmp_certs()
{
	local d=$ROOT/ca side
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=tlswatch lab SNMP CA" \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$SRV_ADDR" -keyout "$d/snmpd.key" \
		-out "$d/snmpd.csr" 2>/dev/null
	openssl x509 -req -in "$d/snmpd.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 30 -extfile <(printf 'subjectAltName=IP:%s\n' "$SRV_ADDR") -out "$d/snmpd.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=manager" -keyout "$d/manager.key" \
		-out "$d/manager.csr" 2>/dev/null
	openssl x509 -req -in "$d/manager.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 30 -out "$d/manager.crt" 2>/dev/null
	for side in server client; do
		mkdir -p "$ROOT/$side/tls/certs" "$ROOT/$side/tls/private" "$ROOT/$side/tls/ca-certs"
		cp "$d/ca.crt" "$ROOT/$side/tls/ca-certs/"
		cp "$d/snmpd.crt" "$d/manager.crt" "$ROOT/$side/tls/certs/"
	done
	install -m 600 "$d/snmpd.key" "$ROOT/server/tls/private/"
	install -m 600 "$d/manager.key" "$ROOT/client/tls/private/"
	echo 'tlsAlgorithms DEFAULT:@SECLEVEL=0' >"$ROOT/client/snmp.conf"
}

# snmpd answers a v2c get.
snmpd_answers()
{
	ip netns exec "$NS_CLI" env MIBS= MIBDIRS=/nonexistent snmpget -On -t 1 -r 0 -v2c \
		-c tlswatch-ro "$SRV_ADDR" "$SYSDESCR" >/dev/null 2>&1
}

# The DTLS-only snmpd answers a v3 get over DTLS as tlsuser.
snmpd_dtls_answers()
{
	ip netns exec "$NS_CLI" env MIBS= MIBDIRS=/nonexistent SNMPCONFPATH="$ROOT/client" \
		SNMP_PERSISTENT_DIR="$ROOT/client-persist" snmpget -On -t 1 -r 0 -v3 -l authPriv \
		-u tlsuser -T our_identity=manager -T their_identity=snmpd -T trust_cert=ca \
		"dtlsudp:$SRV_ADDR:10161" "$SYSDESCR" >/dev/null 2>&1
}

# snmpd_start CONF CHECK: snmpd in the server namespace with CONF, until
# CHECK (a function) sees it answer.
snmpd_start()
{
	ip netns exec "$NS_SRV" env SNMP_PERSISTENT_DIR="$ROOT/persist" MIBS= MIBDIRS=/nonexistent \
		SNMPCONFPATH="$ROOT/server" \
		snmpd -f -Lf "$ROOT/snmpd.log" -C -c "$1" -p "$ROOT/snmpd.pid" &
	SRV_PID=$!
	wait_until "$2" || true
	pid_alive "$SRV_PID" || { cat "$ROOT/snmpd.log" >&2 || true; die "snmpd did not start"; }
	"$2" || { cat "$ROOT/snmpd.log" >&2 || true; die "snmpd does not answer"; }
}

snmpd_stop()
{
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=""
	fi
}

start_servers()
{
	[ -d "$ROOT" ] && [ ! -f "$ROOT/.tlswatch-snmp" ] && die "$ROOT exists and is not ours"
	rm -rf "$ROOT"
	mkdir -p "$ROOT/persist" "$ROOT/client-persist"
	touch "$ROOT/.tlswatch-snmp"
	snmp_certs
	snmpd_conf >"$ROOT/snmpd.conf"
	snmpd_dtls_conf >"$ROOT/snmpd-dtls.conf"
	ns_up
	snmpd_start "$ROOT/snmpd.conf" snmpd_answers
}

stop_servers()
{
	snmpd_stop
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS_SRV" 2>/dev/null || true
		ip netns del "$NS_CLI" 2>/dev/null || true
		NS_MADE=0
	fi
	[ -f "$ROOT/.tlswatch-snmp" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

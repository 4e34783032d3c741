#!/usr/bin/env bash
# tools/record-sip.sh — records the SIP captures in pcaps/ (sip-*.pcap).
# Over UDP, SIPp (Debian's sip-tester) on both sides: a registrar of the
# lab's own scenario (tools/lab/sip/reg-uas.xml: a 401 digest challenge,
# then the digest checked against alice's password with SIPp's verifyauth:
# 200 or 403) and SIPp's built-in UAS answering an INVITE; the clients are
# SIPp with tools/lab/sip/reg-uac.xml and the built-in UAC. Over TCP and
# TLS (Debian's SIPp has no TLS), kamailio with its tls module
# (kamailio-tls-modules) as the registrar, with a configuration of this
# script's own (the same challenge, password and answers, through the auth
# module's www_challenge and pv_www_authenticate), and sipsak's usrloc mode
# as the client. Must run as root (or through sudo).
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
# on 192.0.2.1 over UDP, or kamailio on 192.0.2.1:5060/tcp and
# 192.0.2.1:5061/tls, and stops it by PID; each client call has a local
# port of its own (40001 ...), so each is a session of its own:
#   sip-register-5060   REGISTER as alice: 401 challenge, then the digest
#                       with "AlicePass2024": 200; again with
#                       "WrongPass999": 403
#   sip-invite-5060     an INVITE to bob (From: sipp): 180, 200, ACK, BYE, 200
#   sip-plaintext-on-5061   the accepted REGISTER on 5061/udp, the port of
#                       SIP over TLS, in the clear: plaintext-on-tls-port
#   sip-register-tcp-5060   sipsak -U over TCP to kamailio: REGISTER as
#                       alice, 401, the digest of "AlicePass2024": 200; a
#                       second connection with "WrongPass999": 403
#   sip-tls-5061        the accepted REGISTER over TLS 1.2 to kamailio
#                       (sipsak checks the server's certificate, for
#                       192.0.2.1 and sip.tlswatch.test, against a CA made
#                       with openssl at record time in the private root).
#                       TLS 1.2 because sipsak 0.9.8.1 reads no reply after
#                       a TLS 1.3 handshake with kamailio (its session
#                       ticket): kamailio's method is "TLSv1.2"
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

CAPTURES=(sip-register-5060 sip-invite-5060 sip-plaintext-on-5061 sip-register-tcp-5060 sip-tls-5061)

PACKAGES=(sip-tester kamailio kamailio-tls-modules sipsak openssl tcpdump tshark iproute2)

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

# make_certs: a CA, and kamailio's key and certificate for 192.0.2.1 and
# sip.tlswatch.test it issues, in $ROOT/tls (RSA 2048, 30 days).
make_certs()
{
	local d=$ROOT/tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=tlswatch lab SIP CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>>"$ROOT/openssl.log"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=sip.tlswatch.test" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>>"$ROOT/openssl.log"
	printf 'subjectAltName=DNS:sip.tlswatch.test,IP:%s\nextendedKeyUsage=serverAuth\n' "$SRV_ADDR" \
		>"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 30 -extfile "$d/server.ext" -out "$d/server.pem" 2>>"$ROOT/openssl.log"
}

# The registrar: REGISTER without credentials gets a digest challenge
# (realm tlswatch.test, no qop); alice with the right digest 200, anyone
# else or a wrong digest 403; other requests 200, ACK nothing.
kamailio_conf()
{
	cat <<-EOF
		#!KAMAILIO
		debug=2
		log_stderror=yes
		children=1
		tcp_children=1
		enable_tls=yes
		auto_aliases=no
		dns=no
		rev_dns=no
		listen=tcp:$SRV_ADDR:5060
		listen=tls:$SRV_ADDR:5061
		loadmodule "sl.so"
		loadmodule "pv.so"
		loadmodule "auth.so"
		loadmodule "textops.so"
		loadmodule "tls.so"
		modparam("tls", "config", "$ROOT/kamailio-tls.cfg")

		request_route {
			if (is_method("ACK")) exit;
			if (!is_method("REGISTER")) {
				sl_send_reply("200", "OK");
				exit;
			}
			if (!is_present_hf("Authorization")) {
				www_challenge("tlswatch.test", "0");
				exit;
			}
			if (\$au != "alice" || !pv_www_authenticate("tlswatch.test", "AlicePass2024", "0")) {
				sl_send_reply("403", "Forbidden");
				exit;
			}
			append_to_reply("Contact: \$ct;expires=15\r\n");
			sl_send_reply("200", "OK");
			exit;
		}
	EOF
}

kamailio_tls_conf()
{
	cat <<-EOF
		[server:default]
		method = TLSv1.2
		verify_certificate = no
		require_certificate = no
		private_key = $ROOT/tls/server.key
		certificate = $ROOT/tls/server.pem
	EOF
}

kamailio_listening()
{
	ip netns exec "$NS_SRV" ss -Hltn "sport = :5060" | grep -q "$SRV_ADDR" &&
		ip netns exec "$NS_SRV" ss -Hltn "sport = :5061" | grep -q "$SRV_ADDR"
}

# kamailio_start: kamailio in the foreground (-DD), logging to the private
# root; stopped by sip_server_stop.
kamailio_start()
{
	[ -f "$ROOT/tls/ca.pem" ] || make_certs
	mkdir -p "$ROOT/run"
	kamailio_conf >"$ROOT/kamailio.cfg"
	kamailio_tls_conf >"$ROOT/kamailio-tls.cfg"
	ip netns exec "$NS_SRV" kamailio -DD -E -f "$ROOT/kamailio.cfg" -P "$ROOT/run/kamailio.pid" \
		-Y "$ROOT/run" -w "$ROOT" >"$ROOT/kamailio.out" 2>&1 &
	SRV_PID=$!
	wait_until -p "$SRV_PID" kamailio_listening ||
		{ tail -n 20 "$ROOT/kamailio.out" >&2 || true; die "kamailio did not start"; }
}

# lab_sipsak LOCAL-PORT ARG...: one sipsak usrloc run (REGISTER as alice)
# from 192.0.2.2:LOCAL-PORT; it must succeed.
lab_sipsak()
{
	local lport=$1
	shift
	run_client timeout 30 ip netns exec "$NS_CLI" sipsak -U -i -vv -s "sip:alice@$SRV_ADDR" \
		-H "$CLIENT_ADDR" --local-ip="$CLIENT_ADDR" --auth-username=alice -l "$lport" "$@"
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
		-w "$file" "(tcp or udp) and host $SRV_ADDR and port $port" 2>"$CAP_ERR" &
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

rec_sip-register-tcp-5060()
{
	kamailio_start
	ns_cap_start "$1" 5060
	lab_sipsak 40005 --transport tcp -r 5060 -a AlicePass2024
	expect_fail 'SIP/2.0 403' ip netns exec "$NS_CLI" timeout 30 sipsak -U -i -vv -s "sip:alice@$SRV_ADDR" \
		-H "$CLIENT_ADDR" --local-ip="$CLIENT_ADDR" --auth-username=alice -l 40006 --transport tcp -r 5060 -a WrongPass999
	cap_stop
	sip_server_stop
}

rec_sip-tls-5061()
{
	kamailio_start
	ns_cap_start "$1" 5061
	lab_sipsak 40007 --transport tls -r 5061 --tls-ca-cert="$ROOT/tls/ca.pem" -a AlicePass2024
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
	sip-register-tcp-5060) [ "$codes" = "401 200 401 403 " ] ;;
	sip-tls-5061) # encrypted: one ClientHello, one ServerHello, data both ways
		[ "$(tshark -n -r "$file" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)" -eq 1 ] &&
			[ "$(tshark -n -r "$file" -Y 'tls.handshake.type == 2' 2>/dev/null | wc -l)" -eq 1 ] &&
			[ "$(tshark -n -r "$file" -Y 'tls.app_data and tcp.srcport == 5061' 2>/dev/null | wc -l)" -ge 1 ] ;;
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

#!/usr/bin/env bash
# tools/record-syslog.sh — records the syslog captures in pcaps/
# (syslog-*.pcap): Debian's logger (bsdutils) sending RFC 5424 and RFC 3164
# messages to Debian's rsyslogd (imudp, imtcp), and a second rsyslogd
# forwarding over TLS (omfwd with the gtls stream driver of rsyslog-gnutls,
# RFC 5425), and openssl s_server -dtls and s_client -dtls carrying syslog
# over DTLS (RFC 6012: Debian 12's rsyslog 8.2302 has no DTLS transport,
# and no other Debian syslog daemon speaks it). Must run as root (or
# through sudo).
#
#   tools/record-syslog.sh              record every capture of this set
#   tools/record-syslog.sh NAME...      only these (e.g. syslog-tcp-514)
#   tools/record-syslog.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-syslog-rec), --no-install.
#
# The network: as tools/record-dns.sh, two network namespaces of this
# script's own joined by a veth pair (MAC addresses 02:00:00:00:51:01 and
# :02), TEST-NET-1 addresses, no route anywhere else. The server is
# 192.0.2.1, the client 192.0.2.2. One rsyslogd (foreground, its own
# configuration, pid file and work directory in the private root, no
# /dev/log) listens on 192.0.2.1:514 udp and tcp and, in the clear, on
# 192.0.2.1:6514/udp (the port of syslog over DTLS, RFC 6012), and over
# TLS on 192.0.2.1:6514/tcp (imtcp with the gtls driver, mode 1, anonymous
# clients; its certificate for syslog.tlswatch.test is issued by a CA made
# with openssl at record time in the private root); what it receives goes
# to a file the recorder checks. Captures:
#   syslog-udp-514            logger --udp: one RFC 5424 message, one RFC 3164
#   syslog-tcp-514            logger --tcp: three RFC 5424 messages with
#                             octet counting (RFC 6587 3.4.1) on one
#                             connection, then one RFC 3164 line (3.4.2)
#   syslog-plaintext-on-6514  logger --udp, RFC 5424, to 6514/udp in the clear
#   syslog-tls-6514           three messages handed by logger to a second
#                             rsyslogd in the client's namespace (imudp on
#                             127.0.0.1:10514), which forwards them over TLS
#                             (omfwd, gtls, x509/name: it checks the server's
#                             name against the lab CA) on one connection;
#                             that rsyslogd is stopped before the capture
#                             ends, so the connection is closed in it
#   syslog-dtls-6514          syslog over DTLS on 6514/udp: rsyslogd is
#                             stopped (it holds 6514/udp in the clear) and
#                             openssl s_server -dtls, with rsyslogd's
#                             certificate and key, takes the port for one
#                             connection; openssl s_client -dtls checks the
#                             certificate against the lab CA and the name,
#                             then sends two RFC 5424 messages, each in a
#                             DTLS record of its own and framed as RFC 6012
#                             says (octet counting, "LEN SP MSG", as RFC
#                             5425), the second once s_server has printed
#                             the first; then it ends its input: s_client
#                             sends its close_notify and both exit.
#                             rsyslogd is started again after
# The capture filter keeps IP fragments after the first (they carry no port),
# as tools/record-snmp.sh does for its DTLS flights.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-syslog-rec

NS_SRV=tlswatch-syslog-srv
NS_CLI=tlswatch-syslog-cli
VETH_SRV=tlsw-slog-srv
VETH_CLI=tlsw-slog-cli
MAC_SRV=02:00:00:00:51:01
MAC_CLI=02:00:00:00:51:02
CLIENT_ADDR=192.0.2.2
SRV_ADDR=192.0.2.1
NS_MADE=0
SRV_PID=""
FWD_PID=""
DTLS_SRV_PID=""
DTLS_CLI_PID=""
DTLS_IN=""
SERVER_NAME=syslog.tlswatch.test

CAPTURES=(syslog-udp-514 syslog-tcp-514 syslog-plaintext-on-6514 syslog-tls-6514 syslog-dtls-6514)

PACKAGES=(rsyslog rsyslog-gnutls openssl bsdutils tcpdump tshark iproute2)

# ---------------------------------------------------------------- clients

# logger in the client namespace, as host "lab-client": lab_logger ARG...
lab_logger()
{
	run_client timeout 30 ip netns exec "$NS_CLI" logger --server "$SRV_ADDR" -t tlswatch-lab "$@"
}

# The server's file holds a message with TEXT.
received()
{
	grep -qF -- "$1" "$ROOT/received.log" 2>/dev/null
}

expect_received()
{
	wait_until received "$1" || client_die "rsyslogd did not receive '$1'"
}

ns_cap_start()
{
	local file=$1 port=$2
	CAP_ERR=$file.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file" "host $SRV_ADDR and (((tcp or udp) and port $port) or (ip[6:2] & 0x1fff != 0))" \
		2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
}

# ---------------------------------------------------------------- captures

rec_syslog-udp-514()
{
	ns_cap_start "$1" 514
	lab_logger --udp --port 514 --rfc5424 -p auth.notice "udp 5424 lab message"
	lab_logger --udp --port 514 --rfc3164 -p user.info "udp 3164 lab message"
	expect_received "udp 3164 lab message"
	cap_stop
}

rec_syslog-tcp-514()
{
	ns_cap_start "$1" 514
	printf '%s\n' "tcp 5424 lab message one" "tcp 5424 lab message two" "tcp 5424 lab message three" |
		run_client timeout 30 ip netns exec "$NS_CLI" logger --server "$SRV_ADDR" -t tlswatch-lab \
			--tcp --port 514 --rfc5424 --octet-count
	lab_logger --tcp --port 514 --rfc3164 "tcp 3164 lab message"
	expect_received "tcp 3164 lab message"
	cap_stop
	[ "$(grep -c 'tcp 5424 lab message' "$ROOT/received.log")" -eq 3 ] ||
		client_die "rsyslogd did not receive the three counted messages"
}

rec_syslog-plaintext-on-6514()
{
	ns_cap_start "$1" 6514
	lab_logger --udp --port 6514 --rfc5424 "udp 5424 on the dtls port"
	expect_received "udp 5424 on the dtls port"
	cap_stop
}

rec_syslog-tls-6514()
{
	local i
	ns_cap_start "$1" 6514
	forwarder_start
	for i in one two three; do
		run_client timeout 30 ip netns exec "$NS_CLI" logger --server 127.0.0.1 --udp --port 10514 \
			-t tlswatch-lab --rfc5424 "tls 5424 lab message $i"
	done
	expect_received "tls 5424 lab message three"
	forwarder_stop
	cap_stop
	[ "$(grep -c 'tls 5424 lab message' "$ROOT/received.log")" -eq 3 ] ||
		client_die "rsyslogd did not receive the three messages over TLS"
}

# dtls_frame TEXT: an RFC 5424 message from lab-client with TEXT, framed by
# its length in octets (RFC 6012's SYSLOG-FRAME: MSG-LEN SP SYSLOG-MSG).
dtls_frame()
{
	local msg
	msg="<38>1 $(date -u +%Y-%m-%dT%H:%M:%S.%6NZ) lab-client tlswatch-lab $$ - - $1"
	printf '%d %s' "${#msg}" "$msg"
}

# The s_server of syslog-dtls-6514 has printed (received) TEXT.
dtls_received()
{
	grep -qF -- "$1" "$WORK/$CUR.srv" 2>/dev/null
}

dtls_listening()
{
	ip netns exec "$NS_SRV" ss -Hlun "sport = :6514" | grep -q "$SRV_ADDR"
}

# s_server's input is a FIFO it holds open both ways itself: no end of
# input, so it stays until the client closes (-naccept 1: then it exits).
dtls_srv_start()
{
	mkfifo "$WORK/$CUR.srv-in"
	ip netns exec "$NS_SRV" openssl s_server -dtls -naccept 1 -quiet -accept "$SRV_ADDR:6514" \
		-cert "$ROOT/tls/server.pem" -key "$ROOT/tls/server.key" \
		0<>"$WORK/$CUR.srv-in" >"$WORK/$CUR.srv" 2>&1 &
	DTLS_SRV_PID=$!
	wait_until -p "$DTLS_SRV_PID" dtls_listening ||
		{ cat "$WORK/$CUR.srv" >&2 || true; client_die "s_server -dtls did not start"; }
}

# s_client reads its input from a FIFO this script writes into (fd
# DTLS_IN): each write is one read, so one DTLS record; closing the FIFO
# is the end of its input (-no_ign_eof: it then sends close_notify).
dtls_cli_start()
{
	mkfifo "$WORK/$CUR.cli-in"
	exec {DTLS_IN}<>"$WORK/$CUR.cli-in"
	timeout 30 ip netns exec "$NS_CLI" openssl s_client -dtls -connect "$SRV_ADDR:6514" \
		-servername "$SERVER_NAME" -CAfile "$ROOT/tls/ca.pem" -verify_return_error \
		-verify_hostname "$SERVER_NAME" -quiet -no_ign_eof \
		<"$WORK/$CUR.cli-in" >>"$WORK/$CUR.log" 2>&1 {DTLS_IN}>&- &
	DTLS_CLI_PID=$!
}

# dtls_send TEXT: one framed message, then wait until s_server has it.
dtls_send()
{
	dtls_frame "$1" >&"$DTLS_IN"
	wait_until -p "$DTLS_CLI_PID" dtls_received "$1" || client_die "s_server did not receive '$1'"
}

# dtls_stop: closes the client's input, waits for it and the server to
# exit (by PID; killed after WAIT_TIMEOUT s).
dtls_stop()
{
	if [ -n "$DTLS_IN" ]; then
		exec {DTLS_IN}>&-
		DTLS_IN=""
	fi
	wait_pids "$DTLS_CLI_PID" "$DTLS_SRV_PID"
	DTLS_CLI_PID=""
	DTLS_SRV_PID=""
}

rec_syslog-dtls-6514()
{
	rm -f "$WORK/$CUR.srv-in" "$WORK/$CUR.cli-in" "$WORK/$CUR.srv"
	rsyslogd_stop
	ns_cap_start "$1" 6514
	dtls_srv_start
	dtls_cli_start
	dtls_send "dtls 5424 lab message one"
	dtls_send "dtls 5424 lab message two"
	dtls_stop
	cap_stop
	rsyslogd_start
	grep -q '^DONE' "$WORK/$CUR.log" || client_die "s_client did not end its connection"
}

# ---------------------------------------------------------------- checks

# verify_capture NAME FILE: the syslog messages tshark reads in the file.
verify_capture()
{
	local name=$1 file=$2 n
	n=$(tshark -n -r "$file" -d udp.port==6514,syslog -Y syslog 2>/dev/null | wc -l)
	case $name in
	syslog-udp-514) [ "$n" -eq 2 ] ;;
	syslog-tcp-514) # tshark reads 514/tcp as rsh: count the segments with data
		n=$(tshark -n -r "$file" -Y 'tcp.dstport == 514 and tcp.len > 0' 2>/dev/null | wc -l)
		[ "$n" -ge 2 ] ;;
	syslog-plaintext-on-6514) [ "$n" -eq 1 ] ;;
	syslog-dtls-6514) # a DTLS handshake, two messages, the close_notify; no syslog in the clear
		[ "$(tshark -n -r "$file" -d udp.port==6514,dtls -Y 'dtls.handshake.type == 1' 2>/dev/null |
			wc -l)" -ge 1 ] &&
			[ "$(tshark -n -r "$file" -d udp.port==6514,dtls -Y 'dtls.handshake.type == 2' \
				2>/dev/null | wc -l)" -eq 1 ] &&
			[ "$(tshark -n -r "$file" -d udp.port==6514,dtls -Y 'dtls.record.content_type == 23' \
				2>/dev/null | wc -l)" -eq 2 ] &&
			[ "$(tshark -n -r "$file" -d udp.port==6514,dtls -Y 'dtls.record.content_type == 21' \
				2>/dev/null | wc -l)" -ge 1 ] &&
			! grep -qaF 'lab message' "$file" ;;
	syslog-tls-6514) # a ClientHello, a ServerHello, application data both ways
		n=$(tshark -n -r "$file" -d tcp.port==6514,tls -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
		[ "$n" -eq 1 ] &&
			[ "$(tshark -n -r "$file" -d tcp.port==6514,tls -Y 'tls.handshake.type == 2' 2>/dev/null | wc -l)" -eq 1 ] &&
			[ "$(tshark -n -r "$file" -d tcp.port==6514,tls -Y 'tls.app_data' 2>/dev/null | wc -l)" -ge 1 ] ;;
	esac || {
		log "$name: $n syslog messages: not as expected"
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

# make_certs: a CA, and the server's key and certificate for
# syslog.tlswatch.test it issues, in $ROOT/tls (RSA 2048, 30 days).
make_certs()
{
	local d=$ROOT/tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=tlswatch lab syslog CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>>"$ROOT/openssl.log"
	openssl req -newkey rsa:2048 -nodes -subj "/CN=syslog.tlswatch.test" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>>"$ROOT/openssl.log"
	printf 'subjectAltName=DNS:syslog.tlswatch.test\nextendedKeyUsage=serverAuth\n' >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 30 -extfile "$d/server.ext" -out "$d/server.pem" 2>>"$ROOT/openssl.log"
}

rsyslog_conf()
{
	cat <<-EOF
		global(workDirectory="$ROOT/work"
		       defaultNetstreamDriverCAFile="$ROOT/tls/ca.pem"
		       defaultNetstreamDriverCertFile="$ROOT/tls/server.pem"
		       defaultNetstreamDriverKeyFile="$ROOT/tls/server.key")
		module(load="imudp")
		module(load="imtcp")
		input(type="imudp" address="$SRV_ADDR" port="514")
		input(type="imtcp" address="$SRV_ADDR" port="514")
		input(type="imudp" address="$SRV_ADDR" port="6514")
		input(type="imtcp" address="$SRV_ADDR" port="6514" streamDriver.name="gtls"
		      streamDriver.mode="1" streamDriver.authMode="anon")
		*.* action(type="omfile" file="$ROOT/received.log")
	EOF
}

# The sending rsyslogd of syslog-tls-6514: what arrives on 127.0.0.1:10514
# goes over TLS to the server, whose name it checks.
forwarder_conf()
{
	cat <<-EOF
		global(workDirectory="$ROOT/fwd-work"
		       defaultNetstreamDriverCAFile="$ROOT/tls/ca.pem")
		module(load="imudp")
		input(type="imudp" address="127.0.0.1" port="10514")
		*.* action(type="omfwd" target="$SRV_ADDR" port="6514" protocol="tcp"
		           streamDriver="gtls" streamDriverMode="1" streamDriverAuthMode="x509/name"
		           streamDriverPermittedPeers="syslog.tlswatch.test")
	EOF
}

rsyslog_listening()
{
	ip netns exec "$NS_SRV" ss -Hltn "sport = :514" | grep -q "$SRV_ADDR" &&
		ip netns exec "$NS_SRV" ss -Hltn "sport = :6514" | grep -q "$SRV_ADDR"
}

forwarder_listening()
{
	ip netns exec "$NS_CLI" ss -Hlun "sport = :10514" | grep -q 127.0.0.1
}

forwarder_start()
{
	mkdir -p "$ROOT/fwd-work"
	forwarder_conf >"$ROOT/forwarder.conf"
	ip netns exec "$NS_CLI" rsyslogd -n -f "$ROOT/forwarder.conf" -i "$ROOT/forwarder.pid" \
		>"$ROOT/forwarder.out" 2>&1 &
	FWD_PID=$!
	wait_until -p "$FWD_PID" forwarder_listening ||
		{ cat "$ROOT/forwarder.out" >&2 || true; client_die "the forwarding rsyslogd did not start"; }
}

forwarder_stop()
{
	if [ -n "$FWD_PID" ]; then
		kill "$FWD_PID" 2>/dev/null || true
		wait "$FWD_PID" 2>/dev/null || true
		FWD_PID=""
	fi
}

rsyslogd_start()
{
	ip netns exec "$NS_SRV" rsyslogd -n -f "$ROOT/rsyslog.conf" -i "$ROOT/rsyslogd.pid" \
		>>"$ROOT/rsyslogd.out" 2>&1 &
	SRV_PID=$!
	wait_until -p "$SRV_PID" rsyslog_listening || { cat "$ROOT/rsyslogd.out" >&2 || true; die "rsyslogd did not start"; }
}

rsyslogd_stop()
{
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=""
	fi
}

start_servers()
{
	[ -d "$ROOT" ] && [ ! -f "$ROOT/.tlswatch-syslog" ] && die "$ROOT exists and is not ours"
	rm -rf "$ROOT"
	mkdir -p "$ROOT/work"
	touch "$ROOT/.tlswatch-syslog"
	make_certs
	rsyslog_conf >"$ROOT/rsyslog.conf"
	ns_up
	rsyslogd_start
}

stop_servers()
{
	forwarder_stop
	dtls_stop
	rsyslogd_stop
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS_SRV" 2>/dev/null || true
		ip netns del "$NS_CLI" 2>/dev/null || true
		NS_MADE=0
	fi
	[ -f "$ROOT/.tlswatch-syslog" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

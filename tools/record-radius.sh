#!/usr/bin/env bash
# tools/record-radius.sh — records the RADIUS captures in pcaps/ (radius-*.pcap)
# from Debian's FreeRADIUS 3 answering radtest and radclient
# (freeradius-utils), directly or through radsecproxy, which forwards them
# over TCP and TLS. Must run as root (or through sudo).
#
#   tools/record-radius.sh              record every capture of this set
#   tools/record-radius.sh NAME...      only these (e.g. radius-acct-1813)
#   tools/record-radius.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-radius-rec), --no-install.
#
# The network: as tools/record-dns.sh, two network namespaces of this
# script's own joined by a veth pair (MAC addresses 02:00:00:00:18:01 and
# :02), TEST-NET-1 addresses, no route anywhere else. The server is
# 192.0.2.1, the client 192.0.2.2. One freeradius (foreground, a copy of
# Debian's configuration in the private root, no privilege drop) answers
# on 1812 (auth) and 1813 (accounting), and in the clear on 2083/udp, the
# port of RADIUS over DTLS (RFC 7360), through a virtual server of its own.
# The client 192.0.2.0/24 shares the secret "tlswatch-radius-secret"; the
# users file knows alice ("AlicePass2024") and bob ("BobPass2024").
# Captures (each client command is its own socket, so its own session):
#   radius-access-1812        radtest PAP alice (Access-Accept), PAP alice
#                             with "WrongPass999" (Access-Reject), CHAP bob
#                             (Access-Accept)
#   radius-acct-1813          radclient: an Accounting-Request Start for
#                             alice and its Accounting-Response
#   radius-plaintext-on-2083  radtest PAP alice on 2083/udp in the clear:
#                             plaintext-on-tls-port
#   radsec-2083               RadSec (RFC 6614): radtest PAP alice
#                             (Access-Accept) and PAP alice with
#                             "WrongPass999" (Access-Reject) to radsecproxy
#                             on 127.0.0.1:1812/udp in the client
#                             namespace, which forwards both over one TLS
#                             connection to freeradius's tls listener on
#                             192.0.2.1:2083/tcp (client certificate
#                             required, secret "radsec")
#   radius-tcp-1812           RADIUS over TCP (RFC 6613): the same two
#                             radtests through radsecproxy, forwarded over
#                             one TCP connection to freeradius's tcp
#                             listener on 192.0.2.1:1812/tcp
#   radius-dtls-2083          RADIUS over DTLS (RFC 7360): the same two
#                             radtests through radsecproxy, forwarded over
#                             one DTLS session to 192.0.2.1:2083/udp (secret
#                             "radius/dtls"). FreeRADIUS 3.2 has no DTLS
#                             listener: a second radsecproxy in the server
#                             namespace terminates DTLS (client certificate
#                             required) and forwards over UDP to
#                             freeradius on 192.0.2.1:1812. 2083/udp is
#                             freeradius's plaintext listener, so for this
#                             capture freeradius runs without that site,
#                             and with it again after
# For those three, radsecproxy runs in the client namespace: the leg it
# forwards crosses the veth pair, radtest's UDP leg is on the client
# namespace's loopback; each is captured on its own interface and the two
# files are merged by packet time (mergecap). Certificates (a lab CA, the
# server's for 192.0.2.1, the proxy's client certificate) are made with
# openssl at record time in the private root.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-radius-rec

NS_SRV=tlswatch-radius-srv
NS_CLI=tlswatch-radius-cli
VETH_SRV=tlsw-rad-srv
VETH_CLI=tlsw-rad-cli
MAC_SRV=02:00:00:00:18:01
MAC_CLI=02:00:00:00:18:02
CLIENT_ADDR=192.0.2.2
SRV_ADDR=192.0.2.1
SECRET=tlswatch-radius-secret
NS_MADE=0
SRV_PID=""

RADSEC_SECRET=radsec # RFC 6614 2.3: the shared secret of RadSec
PROXY_PID=""
LO_CAP_PID=""

RADDTLS_SECRET=radius/dtls # RFC 7360 2.1
SRV_PROXY_PID=""

CAPTURES=(radius-access-1812 radius-acct-1813 radius-plaintext-on-2083 radsec-2083 radius-tcp-1812
	radius-dtls-2083)

PACKAGES=(freeradius freeradius-utils radsecproxy openssl tcpdump tshark wireshark-common iproute2)

# ---------------------------------------------------------------- clients

# A RADIUS client in the client namespace: lab_rad PROGRAM ARG...
lab_rad()
{
	run_client timeout 30 ip netns exec "$NS_CLI" "$@"
}

# radtest whose answer must be an Access-Reject (radtest then fails).
lab_rad_reject()
{
	if timeout 30 ip netns exec "$NS_CLI" "$@" >>"$WORK/$CUR.log" 2>&1; then
		client_die "$*: accepted, but should have been rejected"
	fi
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

rec_radius-access-1812()
{
	ns_cap_start "$1" 1812
	lab_rad radtest -x alice AlicePass2024 "$SRV_ADDR" 0 "$SECRET"
	lab_rad_reject radtest -x alice WrongPass999 "$SRV_ADDR" 0 "$SECRET"
	lab_rad radtest -x -t chap bob BobPass2024 "$SRV_ADDR" 0 "$SECRET"
	cap_stop
	[ "$(grep -c 'Received Access-Accept' "$WORK/$CUR.log")" -eq 2 ] || client_die "not two Access-Accepts"
	expect_log 'Received Access-Reject'
}

rec_radius-acct-1813()
{
	ns_cap_start "$1" 1813
	lab_rad sh -c "printf '%s\n' 'User-Name = \"alice\"' 'Acct-Status-Type = Start' \
		'Acct-Session-Id = \"tlswatch-lab-1\"' 'NAS-IP-Address = $CLIENT_ADDR' |
		radclient -x $SRV_ADDR:1813 acct $SECRET"
	cap_stop
	expect_log 'Received Accounting-Response'
}

rec_radius-plaintext-on-2083()
{
	ns_cap_start "$1" 2083
	lab_rad radtest -x alice AlicePass2024 "$SRV_ADDR:2083" 0 "$SECRET"
	cap_stop
	expect_log 'Received Access-Accept'
}

# Through radsecproxy: a capture of the forwarded leg on the veth pair (TCP,
# or UDP for DTLS, to 192.0.2.1:PORT) and one of radtest's UDP leg on the
# client namespace's loopback, merged into FILE. The proxy (radsecproxy.conf
# NAME) runs only for this capture, so its connection opens and closes
# inside it. Over UDP the filter keeps trailing IP fragments too.
proxied_radius()
{
	local file=$1 conf=$2 port=$3 l4=${4:-tcp} filter
	filter="tcp and host $SRV_ADDR and port $port"
	[ "$l4" = udp ] && filter="host $SRV_ADDR and ((udp and port $port) or (ip[6:2] & 0x1fff != 0))"
	CAP_ERR=$file.veth.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file.veth" "$filter" 2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i lo \
		-w "$file.lo" "udp and host 127.0.0.1 and port 1812" 2>"$file.lo.err" &
	LO_CAP_PID=$!
	cap_wait_for "$file.lo.err" '^(tcpdump: )?listening on'
	proxy_start "$conf"
	lab_rad radtest -x alice AlicePass2024 127.0.0.1 0 "$SECRET"
	lab_rad_reject radtest -x alice WrongPass999 127.0.0.1 0 "$SECRET"
	proxy_stop
	[ "$l4" = udp ] || wait_until server_closed "$file.veth" "$SRV_ADDR.$port" || true
	kill -INT "$LO_CAP_PID" 2>/dev/null || true
	wait "$LO_CAP_PID" 2>/dev/null || true
	LO_CAP_PID=""
	cap_stop
	mergecap -F pcap -w "$file" "$file.veth" "$file.lo"
	rm -f "$file.veth" "$file.lo" "$file.lo.err"
	expect_log 'Received Access-Accept'
	expect_log 'Received Access-Reject'
}

# The server closed its side of the connection (tcpdump -U has written it).
server_closed()
{
	tcpdump -nr "$1" 2>/dev/null | grep -qE "IP $2 > .*Flags \[[^]]*[FR]"
}

rec_radsec-2083()
{
	proxied_radius "$1" radsecproxy-tls.conf 2083
}

rec_radius-tcp-1812()
{
	proxied_radius "$1" radsecproxy-tcp.conf 1812
}

# The DTLS server is a radsecproxy on 192.0.2.1:2083/udp, where freeradius
# has its plaintext listener: freeradius runs without that site for this
# capture (the DTLS server forwards to its 1812), then with it again.
rec_radius-dtls-2083()
{
	radius_stop
	mv "$ROOT/raddb/sites-enabled/tlswatch-2083" "$ROOT/tlswatch-2083.off"
	radius_start
	srv_proxy_start
	proxied_radius "$1" radsecproxy-dtls.conf 2083 udp
	srv_proxy_stop
	radius_stop
	mv "$ROOT/tlswatch-2083.off" "$ROOT/raddb/sites-enabled/tlswatch-2083"
	radius_start
}

# ---------------------------------------------------------------- checks

# The proxied captures: four RADIUS packets on the UDP leg, and one
# complete TCP connection to the server's PORT: on 2083 with a TLS server
# hello that tshark reads, on 1812 with four RADIUS packets in it (one a
# segment, as radsecproxy and freeradius write them; tshark reads RADIUS
# over UDP only).
radius_proxied_ok()
{
	local file=$1 port=$2 udp
	udp=$(tshark -n -r "$file" -Y 'radius && udp' 2>/dev/null | wc -l)
	[ "$udp" -eq 4 ] || return 1
	if [ "$port" = 2083/udp ]; then
		# One DTLS session: a server hello, application data both ways
		# (the four forwarded packets), no RADIUS in the clear on 2083.
		[ "$(tshark -n -r "$file" -d udp.port==2083,dtls -Y 'dtls.handshake.type == 2' 2>/dev/null |
			wc -l)" -eq 1 ] &&
			[ "$(tshark -n -r "$file" -d udp.port==2083,dtls \
				-Y 'udp.port == 2083 && dtls.record.content_type == 23' 2>/dev/null | wc -l)" -ge 4 ] &&
			[ "$(tshark -n -r "$file" -Y 'udp.port == 2083 && radius' 2>/dev/null | wc -l)" -eq 0 ]
		return
	fi
	cap_verify "$file" 1 || return 1
	if [ "$port" = 1812 ]; then
		[ "$(tshark -n -r "$file" -Y 'tcp.port == 1812 && tcp.len >= 20' 2>/dev/null | wc -l)" -eq 4 ]
		return
	fi
	[ "$(tshark -n -r "$file" -d tcp.port==2083,tls -Y 'tls.handshake.type == 2' 2>/dev/null | wc -l)" -ge 1 ]
}

# verify_capture NAME FILE: the RADIUS packets tshark reads in the file.
verify_capture()
{
	local name=$1 file=$2 n
	n=$(tshark -n -r "$file" -d udp.port==2083,radius -Y radius 2>/dev/null | wc -l)
	case $name in
	radius-access-1812) [ "$n" -eq 6 ] ;;
	radius-acct-1813) [ "$n" -eq 2 ] ;;
	radius-plaintext-on-2083) [ "$n" -eq 2 ] ;;
	radsec-2083) radius_proxied_ok "$file" 2083 ;;
	radius-tcp-1812) radius_proxied_ok "$file" 1812 ;;
	radius-dtls-2083) radius_proxied_ok "$file" 2083/udp ;;
	esac || {
		log "$name: $n RADIUS packets: not as expected"
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

# As record-dns.sh's, but IPv6 stays on in the server namespace: Debian's
# default site also listens on ::.
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
	ip netns exec "$NS_CLI" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$NS_SRV" addr add "$SRV_ADDR/24" dev "$VETH_SRV"
	ip -n "$NS_CLI" addr add "$CLIENT_ADDR/24" dev "$VETH_CLI"
	ip -n "$NS_SRV" link set lo up
	ip -n "$NS_CLI" link set lo up
	ip -n "$NS_SRV" link set "$VETH_SRV" up
	ip -n "$NS_CLI" link set "$VETH_CLI" up
}

# The lab's changes to a copy of Debian's /etc/freeradius/3.0.
radius_conf()
{
	local d=$ROOT/raddb
	cp -a /etc/freeradius/3.0/. "$d/"
	sed -i -e 's/^\([[:space:]]*\)\(user\|group\) = freerad/\1#\2 = freerad/' \
		-e "s|^logdir = .*|logdir = $ROOT/log|" -e "s|^run_dir = .*|run_dir = $ROOT/run|" \
		"$d/radiusd.conf"
	cat >>"$d/clients.conf" <<-EOF
		client tlswatch-lab {
			ipaddr = 192.0.2.0/24
			secret = $SECRET
		}
	EOF
	{
		echo 'alice Cleartext-Password := "AlicePass2024"'
		echo 'bob Cleartext-Password := "BobPass2024"'
		cat "$d/mods-config/files/authorize"
	} >"$d/authorize.new"
	mv "$d/authorize.new" "$d/mods-config/files/authorize"
	cat >"$d/sites-enabled/tlswatch-2083" <<-EOF
		server tlswatch-2083 {
			listen {
				type = auth
				ipaddr = $SRV_ADDR
				port = 2083
			}
			authorize {
				files
				pap
			}
			authenticate {
				Auth-Type PAP {
					pap
				}
			}
		}
	EOF
}

# The lab's certificates, made at record time: a CA, the server's for its
# address, the proxy's client certificate.
radius_certs()
{
	local d=$ROOT/certs
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=tlswatch lab RADIUS CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$SRV_ADDR" -keyout "$d/server.key" \
		-out "$d/server.csr" 2>/dev/null
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 30 -extfile <(printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$SRV_ADDR") \
		-out "$d/server.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=radsecproxy.tlswatch.test" -keyout "$d/client.key" \
		-out "$d/client.csr" 2>/dev/null
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 30 -extfile <(printf 'extendedKeyUsage=clientAuth\n') -out "$d/client.pem" 2>/dev/null
}

# freeradius's RadSec (tls on 2083/tcp) and RADIUS/TCP (1812/tcp)
# listeners, each with its own clients (a client's proto must match).
radius_stream_conf()
{
	cat >"$ROOT/raddb/sites-enabled/tlswatch-stream" <<-EOF
		clients tlswatch-radsec {
			client tlswatch-proxy-tls {
				ipaddr = 192.0.2.0/24
				proto = tls
				secret = $RADSEC_SECRET
			}
		}
		clients tlswatch-tcp {
			client tlswatch-proxy-tcp {
				ipaddr = 192.0.2.0/24
				proto = tcp
				secret = $SECRET
			}
		}
		server tlswatch-stream {
			listen {
				type = auth
				ipaddr = $SRV_ADDR
				port = 2083
				proto = tcp
				clients = tlswatch-radsec
				tls {
					private_key_file = $ROOT/certs/server.key
					certificate_file = $ROOT/certs/server.pem
					ca_file = $ROOT/certs/ca.pem
					fragment_size = 8192
					cipher_list = "DEFAULT"
					tls_min_version = "1.2"
					tls_max_version = "1.3"
					cache {
						enable = no
					}
					require_client_cert = yes
					verify {
					}
				}
			}
			listen {
				type = auth
				ipaddr = $SRV_ADDR
				port = 1812
				proto = tcp
				clients = tlswatch-tcp
			}
			authorize {
				files
				pap
			}
			authenticate {
				Auth-Type PAP {
					pap
				}
			}
		}
	EOF
}

# radsecproxy's configurations (in the client namespace): radtest's UDP on
# 127.0.0.1:1812 in, to freeradius over TLS (radsecproxy-tls.conf) or TCP
# (radsecproxy-tcp.conf) out.
proxy_conf()
{
	local type=$1 port=$2 secret=$3
	cat <<-EOF
		ListenUDP 127.0.0.1:1812
		LogLevel 3
		LogDestination file://$ROOT/log/radsecproxy-$type.log
		PidFile $ROOT/run/radsecproxy.pid
		client localhost {
			host 127.0.0.1
			type udp
			secret $SECRET
		}
		tls lab {
			CACertificateFile $ROOT/certs/ca.pem
			CertificateFile $ROOT/certs/client.pem
			CertificateKeyFile $ROOT/certs/client.key
		}
		server freeradius {
			host $SRV_ADDR
			port $port
			type $type
			secret $secret
	EOF
	[ "$type" = tls ] || [ "$type" = dtls ] && printf '	tls lab
'
	cat <<-EOF
			StatusServer off
		}
		realm * {
			server freeradius
		}
	EOF
}

# The DTLS server of radius-dtls-2083, in the server namespace: DTLS on
# 192.0.2.1:2083 in (the proxy's client certificate required), UDP to
# freeradius on 192.0.2.1:1812 out (as a client of 192.0.2.0/24).
srv_proxy_conf()
{
	cat <<-EOF
		ListenDTLS $SRV_ADDR:2083
		LogLevel 3
		LogDestination file://$ROOT/log/radsecproxy-dtls-server.log
		PidFile $ROOT/run/radsecproxy-dtls-server.pid
		tls lab {
			CACertificateFile $ROOT/certs/ca.pem
			CertificateFile $ROOT/certs/server.pem
			CertificateKeyFile $ROOT/certs/server.key
		}
		client lab-proxy {
			host 192.0.2.0/24
			type dtls
			secret $RADDTLS_SECRET
			tls lab
			CertificateNameCheck off
		}
		server freeradius {
			host $SRV_ADDR
			port 1812
			type udp
			secret $SECRET
			StatusServer off
		}
		realm * {
			server freeradius
		}
	EOF
}

srv_proxy_listening()
{
	ip netns exec "$NS_SRV" ss -Hnul 'sport = :2083' | grep -qF "$SRV_ADDR"
}

srv_proxy_start()
{
	ip netns exec "$NS_SRV" radsecproxy -f -c "$ROOT/radsecproxy-dtls-server.conf" >>"$WORK/$CUR.log" 2>&1 &
	SRV_PROXY_PID=$!
	wait_until -p "$SRV_PROXY_PID" srv_proxy_listening || client_die "the DTLS radsecproxy did not start"
}

srv_proxy_stop()
{
	[ -n "$SRV_PROXY_PID" ] || return 0
	kill "$SRV_PROXY_PID" 2>/dev/null || true
	wait "$SRV_PROXY_PID" 2>/dev/null || true
	SRV_PROXY_PID=""
}

proxy_listening()
{
	ip netns exec "$NS_CLI" ss -Hnul 'sport = :1812' | grep -q 127.0.0.1
}

proxy_start()
{
	ip netns exec "$NS_CLI" radsecproxy -f -c "$ROOT/$1" >>"$WORK/$CUR.log" 2>&1 &
	PROXY_PID=$!
	wait_until -p "$PROXY_PID" proxy_listening || client_die "radsecproxy did not start"
}

proxy_stop()
{
	[ -n "$PROXY_PID" ] || return 0
	kill "$PROXY_PID" 2>/dev/null || true
	wait "$PROXY_PID" 2>/dev/null || true
	PROXY_PID=""
}

# freeradius answers a Status-Server? radtest is simpler: alice is accepted.
radius_answers()
{
	ip netns exec "$NS_CLI" radtest alice AlicePass2024 "$SRV_ADDR" 0 "$SECRET" >/dev/null 2>&1
}

start_servers()
{
	[ -d "$ROOT" ] && [ ! -f "$ROOT/.tlswatch-radius" ] && die "$ROOT exists and is not ours"
	rm -rf "$ROOT"
	mkdir -p "$ROOT/raddb" "$ROOT/log" "$ROOT/run"
	touch "$ROOT/.tlswatch-radius"
	radius_conf
	radius_certs
	radius_stream_conf
	proxy_conf tls 2083 "$RADSEC_SECRET" >"$ROOT/radsecproxy-tls.conf"
	proxy_conf tcp 1812 "$SECRET" >"$ROOT/radsecproxy-tcp.conf"
	proxy_conf dtls 2083 "$RADDTLS_SECRET" >"$ROOT/radsecproxy-dtls.conf"
	srv_proxy_conf >"$ROOT/radsecproxy-dtls-server.conf"
	ns_up
	radius_start
}

radius_start()
{
	ip netns exec "$NS_SRV" freeradius -f -d "$ROOT/raddb" -l "$ROOT/log/radius.log" &
	SRV_PID=$!
	wait_until radius_answers || true
	pid_alive "$SRV_PID" || { cat "$ROOT/log/radius.log" >&2 || true; die "freeradius did not start"; }
	radius_answers || { cat "$ROOT/log/radius.log" >&2 || true; die "freeradius does not answer"; }
}

radius_stop()
{
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=""
	fi
}

stop_servers()
{
	proxy_stop
	srv_proxy_stop
	if [ -n "$LO_CAP_PID" ]; then
		kill -INT "$LO_CAP_PID" 2>/dev/null || true
		wait "$LO_CAP_PID" 2>/dev/null || true
		LO_CAP_PID=""
	fi
	radius_stop
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS_SRV" 2>/dev/null || true
		ip netns del "$NS_CLI" 2>/dev/null || true
		NS_MADE=0
	fi
	[ -f "$ROOT/.tlswatch-radius" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

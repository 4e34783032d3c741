#!/usr/bin/env bash
# tools/record-radius.sh — records the RADIUS captures in pcaps/ (radius-*.pcap)
# from Debian's FreeRADIUS 3 answering radtest and radclient
# (freeradius-utils). Must run as root (or through sudo).
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
# RadSec itself (TLS/DTLS, radsecproxy) is not recorded here: a DTLS
# session on 2083 is judged as any (tools/record-dtls.sh's dtls-2083).
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

CAPTURES=(radius-access-1812 radius-acct-1813 radius-plaintext-on-2083)

PACKAGES=(freeradius freeradius-utils tcpdump tshark iproute2)

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

# ---------------------------------------------------------------- checks

# verify_capture NAME FILE: the RADIUS packets tshark reads in the file.
verify_capture()
{
	local name=$1 file=$2 n
	n=$(tshark -n -r "$file" -d udp.port==2083,radius -Y radius 2>/dev/null | wc -l)
	case $name in
	radius-access-1812) [ "$n" -eq 6 ] ;;
	radius-acct-1813) [ "$n" -eq 2 ] ;;
	radius-plaintext-on-2083) [ "$n" -eq 2 ] ;;
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
	ns_up
	ip netns exec "$NS_SRV" freeradius -f -d "$ROOT/raddb" -l "$ROOT/log/radius.log" &
	SRV_PID=$!
	wait_until radius_answers || true
	pid_alive "$SRV_PID" || { cat "$ROOT/log/radius.log" >&2 || true; die "freeradius did not start"; }
	radius_answers || { cat "$ROOT/log/radius.log" >&2 || true; die "freeradius does not answer"; }
}

stop_servers()
{
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=""
	fi
	if [ "$NS_MADE" = 1 ]; then
		ip netns del "$NS_SRV" 2>/dev/null || true
		ip netns del "$NS_CLI" 2>/dev/null || true
		NS_MADE=0
	fi
	[ -f "$ROOT/.tlswatch-radius" ] && rm -rf "$ROOT"
	return 0
}

recorder_main "$@"

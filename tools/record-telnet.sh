#!/usr/bin/env bash
# tools/record-telnet.sh — records the Telnet captures in pcaps/ (telnet-*.pcap,
# telnets-992.pcap) from Debian's telnetd-ssl (in.telnetd, SSLtelnet
# 0.17.41) and telnet-ssl, and, for the START_TLS option that no Debian
# package speaks, from the project's own START_TLS client and server
# (tools/lab/telnet/starttls.py: telnet-start-tls is generated, both peers
# the project's, and labelled so in pcaps/README.md;
# telnet-start-tls-refused is that client against the real in.telnetd).
# Must run as root (or through sudo).
#
#   tools/record-telnet.sh              record every capture of this set
#   tools/record-telnet.sh NAME...      only these (e.g. telnet-ssl)
#   tools/record-telnet.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-telnet-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, no service started;
# note that telnetd-ssl's own postinst adds a telnet line to
# /etc/inetd.conf, which this script never uses).
#
# The network: two network namespaces of this script's own, a server side
# and a client side, joined by a veth pair (real Ethernet framing, fixed
# MAC addresses 02:00:00:00:23:01 and :02), addresses from TEST-NET-1
# (RFC 5737) and no route anywhere else: nothing the lab sends can leave
# the pair. telnet-ssl turns TLS on only for a server that is not
# localhost, which loopback could not give.
#
# Servers, in the server namespace (tools/lab/telnet/inetd.sh: socat as a
# private inetd, forking Debian's in.telnetd as the user telnetd-ssl for
# each connection, in mount and UTS namespaces of its own):
#   192.0.2.1:23   in.telnetd: TLS through AUTHENTICATION (SEND lists SSL)
#   192.0.2.1:992  in.telnetd -z ssl: implicit TLS
#   192.0.2.3:23   in.telnetd -z nossl: no TLS (an empty SEND list)
#   192.0.2.4:23   tools/lab/telnet/starttls.py server (START_TLS), one
#                  connection per capture
# The client is 192.0.2.2. The certificate (telnet.tlswatch.test) is fresh
# from tools/lab/gen-cert.sh.
#
# The lab user tlsw-alice (password AlicePass2024, a free uid from 64000
# up, shell /bin/sh, home in the private root) exists only for these
# servers: the machine's passwd, shadow and group are copied into the
# private root, the user added there, and the copies are bound over /etc's
# inside the servers' mount namespace. /etc is never written, no user is
# created on the machine, and the copies are deleted when the servers stop.
# Logins go through Debian's own /bin/login and PAM (/etc/pam.d/login as
# shipped); utmp, wtmp, btmp and the MOTD PAM builds go to a tmpfs of the
# namespace.
#
# Each capture is one rec_NAME function: tcpdump on the client's veth
# (inside the client namespace) with a filter on the server's address and
# port, one client (tools/lab/clients/telnetclient.py driving telnet-ssl on
# a pseudo-terminal, typing one character at a time), stop. The file must
# hold one complete TCP session (cap_verify) and each side's bytes must be
# what the name says (check_streams below: the option exchange, where TLS
# begins, what is and is not in the clear) before it is moved into the
# output directory. The servers are stopped by PID from the EXIT trap, the
# namespaces deleted. Bytes differ between runs (keys, timestamps, ports);
# content does not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-telnet-rec
MARKER=.tlswatch-telnet
DEB_PYTHON=/usr/bin/python3
SERVER_NAME=telnet.tlswatch.test

NS_SRV=tlswatch-telnet-srv
NS_CLI=tlswatch-telnet-cli
VETH_SRV=tlsw-tn-srv
VETH_CLI=tlsw-tn-cli
MAC_SRV=02:00:00:00:23:01
MAC_CLI=02:00:00:00:23:02
CLIENT_ADDR=192.0.2.2
TLS_ADDR=192.0.2.1   # in.telnetd: AUTHENTICATION SSL on 23, -z ssl on 992
NOTLS_ADDR=192.0.2.3 # in.telnetd -z nossl
STLS_ADDR=192.0.2.4  # tools/lab/telnet/starttls.py
TELNET_PORT=23
TELNETS_PORT=992
NS_MADE=0
STLS_PID=""
declare -A PIDS=()

# Lab user; documented in pcaps/README.md.
LAB_USER=tlsw-alice
ALICE_PW=AlicePass2024
WRONG_PW=WrongPass999

CAPTURES=(
	telnet-cleartext-login telnet-login-failed telnet-ssl-declined telnet-ssl telnets-992
	telnet-plaintext-on-992 telnet-start-tls telnet-start-tls-refused
)

PACKAGES=(telnetd-ssl telnet-ssl socat python3 openssl tcpdump tshark iproute2 util-linux)

# ---------------------------------------------------------------- clients
# run_client: tools/lab/record-lib.sh.

# telnet-ssl through tools/lab/clients/telnetclient.py, in the client
# namespace: ADDR PORT and its options.
lab_telnet()
{
	run_client timeout 90 ip netns exec "$NS_CLI" "$DEB_PYTHON" "$LAB/clients/telnetclient.py" "$@"
}

# The project's START_TLS client (tools/lab/telnet/starttls.py) against
# ADDR: stls_client ADDR [--expect-refusal].
stls_client()
{
	local addr=$1
	shift
	run_client timeout 60 ip netns exec "$NS_CLI" "$DEB_PYTHON" "$LAB/telnet/starttls.py" client \
		"$addr" "$TELNET_PORT" --cafile "$ROOT/tls/cert.pem" --name "$SERVER_NAME" \
		--user "$LAB_USER" --password "$ALICE_PW" "$@"
}

# The project's START_TLS server (one connection) and client. The
# server's output goes to the client log.
stls_session()
{
	rm -f "$WORK/stls.ready"
	ip netns exec "$NS_SRV" "$DEB_PYTHON" "$LAB/telnet/starttls.py" server "$STLS_ADDR" \
		"$TELNET_PORT" --cert "$ROOT/tls/cert.pem" --key "$ROOT/tls/key.pem" \
		--user "$LAB_USER" --password "$ALICE_PW" --ready "$WORK/stls.ready" \
		>>"$WORK/$CUR.log" 2>&1 </dev/null &
	STLS_PID=$!
	wait_until -p "$STLS_PID" test -f "$WORK/stls.ready" || client_die "the START_TLS server did not start"
	stls_client "$STLS_ADDR"
	wait "$STLS_PID" || client_die "the START_TLS server failed"
	STLS_PID=""
}

# tcpdump on the client's veth, inside the client namespace, for one server
# endpoint: ns_cap_start FILE ADDR PORT (cap_stop stops it: ip netns exec
# execs tcpdump, so CAP_PID is tcpdump's).
ns_cap_start()
{
	local file=$1 addr=$2 port=$3
	CAP_ERR=$file.err
	ip netns exec "$NS_CLI" tcpdump -Z root -U --immediate-mode -B 65536 -n -i "$VETH_CLI" \
		-w "$file" "$(cap_server_filter "$addr" "$port")" 2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
}

# ------------------------------------------------------------------ Telnet

# in.telnetd without TLS (-z nossl: AUTHENTICATION with an empty SEND
# list), telnet-ssl as it comes (it would take TLS if offered): the login
# prompt, tlsw-alice typed, the password typed, the MOTD, "$ ", exit.
rec_telnet-cleartext-login()
{
	ns_cap_start "$1" "$NOTLS_ADDR" "$TELNET_PORT"
	lab_telnet "$NOTLS_ADDR" "$TELNET_PORT" --user "$LAB_USER" --password "$ALICE_PW" \
		--cafile "$ROOT/tls/cert.pem"
	cap_stop
}

# The same with the wrong password: "Login incorrect", the next login
# prompt, then telnet-ssl's escape and quit.
rec_telnet-login-failed()
{
	ns_cap_start "$1" "$NOTLS_ADDR" "$TELNET_PORT"
	lab_telnet "$NOTLS_ADDR" "$TELNET_PORT" --user "$LAB_USER" --password "$WRONG_PW" \
		--cafile "$ROOT/tls/cert.pem" --expect-fail
	cap_stop
}

# in.telnetd offering SSL (SEND SSL), telnet-ssl -z nossl declining it
# (IS NULL): the login in cleartext although TLS was offered.
rec_telnet-ssl-declined()
{
	ns_cap_start "$1" "$TLS_ADDR" "$TELNET_PORT"
	lab_telnet "$TLS_ADDR" "$TELNET_PORT" --nossl --user "$LAB_USER" --password "$ALICE_PW"
	cap_stop
}

# The in-band upgrade of telnetd-ssl and telnet-ssl: DO/WILL
# AUTHENTICATION, SEND SSL, IS SSL START, REPLY SSL ACCEPT, TLS (the
# certificate checked), then the whole login inside TLS.
rec_telnet-ssl()
{
	ns_cap_start "$1" "$TLS_ADDR" "$TELNET_PORT"
	lab_telnet "$TLS_ADDR" "$TELNET_PORT" --user "$LAB_USER" --password "$ALICE_PW" \
		--cafile "$ROOT/tls/cert.pem"
	cap_stop
}

# in.telnetd -z ssl and telnet-ssl -z ssl: TLS from the first byte.
rec_telnets-992()
{
	ns_cap_start "$1" "$TLS_ADDR" "$TELNETS_PORT"
	lab_telnet "$TLS_ADDR" "$TELNETS_PORT" --ssl --user "$LAB_USER" --password "$ALICE_PW" \
		--cafile "$ROOT/tls/cert.pem"
	cap_stop
}

# telnet-ssl -z nossl to the TLS-only port, negotiating options as on 23
# (port "-992"): its IAC WILL/DO in the clear; in.telnetd's TLS accept
# fails ("wrong version number"), it sends nothing and resets the
# connection ten seconds later; the client waits for that.
rec_telnet-plaintext-on-992()
{
	ns_cap_start "$1" "$TLS_ADDR" "$TELNETS_PORT"
	lab_telnet "$TLS_ADDR" "$TELNETS_PORT" --nossl --negotiate
	cap_stop
}

# Generated (tools/lab/telnet/starttls.py): DO START_TLS, WILL START_TLS,
# FOLLOWS from the server, FOLLOWS from the client and its ClientHello,
# TLS 1.3 (SNI telnet.tlswatch.test), the login inside TLS.
rec_telnet-start-tls()
{
	ns_cap_start "$1" "$STLS_ADDR" "$TELNET_PORT"
	stls_session
	cap_stop
}

# The project's START_TLS client asks Debian's in.telnetd (-z nossl),
# which has no START_TLS option: WILL START_TLS is answered by DONT
# START_TLS (RFC 855's refusal of an unknown option); the client declines
# the server's other proposals and logs in in cleartext (whole lines, CR
# LF).
rec_telnet-start-tls-refused()
{
	ns_cap_start "$1" "$NOTLS_ADDR" "$TELNET_PORT"
	stls_client "$NOTLS_ADDR" --expect-refusal
	cap_stop
}

# ------------------------------------------------------- content checks

server_port()
{
	case "$1" in
	telnets-992 | telnet-plaintext-on-992) echo "$TELNETS_PORT" ;;
	*) echo "$TELNET_PORT" ;;
	esac
}

# Each side's bytes in order (tshark's TCP payloads): the negotiation the
# name says, where TLS (a handshake record, 0x16 0x03) begins, and what is
# and is not in the clear. For telnet-start-tls, Wireshark's own Telnet
# dissector, which follows START_TLS, must find the ClientHello after the
# two FOLLOWS: a reading of the exchange independent of tlswatch's.
check_streams()
{
	local name=$1 file=$2 port client server hello
	port=$(server_port "$name")
	client=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.dstport == $port" \
		-T fields -e tcp.payload 2>/dev/null | tr -d ':\n')
	server=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.srcport == $port" \
		-T fields -e tcp.payload 2>/dev/null | tr -d ':\n')
	hello=$(tshark -n -r "$file" -d "tcp.port==$port,telnet" -Y 'tls.handshake.type == 1' \
		2>/dev/null | wc -l)
	"$DEB_PYTHON" - "$name" "$client" "$server" "$hello" <<-'EOF' >&2
		import sys
		name, c, s = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
		hello = int(sys.argv[4])
		IAC = b"\xff"
		TLS = b"\x16\x03"
		SEND_SSL = IAC + b"\xfa\x25\x01\x07\x00" + IAC + b"\xf0"
		SEND_NONE = IAC + b"\xfa\x25\x01" + IAC + b"\xf0"
		IS_NULL = IAC + b"\xfa\x25\x00\x00\x00" + IAC + b"\xf0"
		IS_SSL = IAC + b"\xfa\x25\x00\x07\x00\x01" + IAC + b"\xf0"
		ACCEPT = IAC + b"\xfa\x25\x02\x07\x00\x02" + IAC + b"\xf0"
		FOLLOWS = IAC + b"\xfa\x2e\x01" + IAC + b"\xf0"
		ok = True
		def fail(msg):
		    global ok
		    print("record-telnet: %s: %s" % (name, msg))
		    ok = False
		def has(side, data, *words):
		    for w in words:
		        if w not in data:
		            fail("%s does not send %r" % (side, w))
		def lacks(side, data, *words):
		    for w in words:
		        if w in data:
		            fail("%s sends %r in the clear" % (side, w))
		def tls_after(side, data, marker):
		    i = data.find(marker)
		    if i < 0 or not data[i + len(marker):].startswith(TLS):
		        fail("%s: no TLS record right after %r" % (side, marker))
		    return data[:i + len(marker)]
		user, good, bad = b"tlsw-alice", b"AlicePass2024", b"WrongPass999"
		if name in ("telnet-cleartext-login", "telnet-login-failed", "telnet-ssl-declined"):
		    has("server", s, SEND_SSL if name == "telnet-ssl-declined" else SEND_NONE,
		        b"telnet.tlswatch.test login: ", b"Password: ")
		    has("client", c, IS_NULL, user + b"\r\x00")
		    lacks("client", c, IS_SSL)
		    lacks("server", s, TLS)
		    if name == "telnet-login-failed":
		        has("client", c, bad + b"\r\x00")
		        has("server", s, b"Login incorrect")
		        lacks("server", s, b"Welcome to the tlswatch telnet lab.")
		    else:
		        has("client", c, good + b"\r\x00", b"exit")
		        has("server", s, b"Welcome to the tlswatch telnet lab.", b"$ ")
		elif name == "telnet-ssl":
		    has("server", s, SEND_SSL)
		    clear_c = tls_after("client", c, IS_SSL)
		    clear_s = tls_after("server", s, ACCEPT)
		    lacks("client", clear_c, user, good)
		    lacks("server", clear_s, b"login:", b"Password")
		elif name == "telnets-992":
		    if not c.startswith(TLS) or not s.startswith(TLS):
		        fail("not TLS from the first byte: %r / %r" % (c[:8], s[:8]))
		elif name == "telnet-plaintext-on-992":
		    if not c.startswith(IAC + b"\xfb") or TLS in c:
		        fail("the client's first bytes are not its option negotiation: %r" % c[:8])
		    if s:
		        fail("the server sent %d bytes; it sends nothing after a failed accept" % len(s))
		elif name == "telnet-start-tls":
		    if not s.startswith(IAC + b"\xfd\x2e") or not c.startswith(IAC + b"\xfb\x2e"):
		        fail("not DO START_TLS / WILL START_TLS first: %r / %r" % (s[:6], c[:6]))
		    clear_c = tls_after("client", c, FOLLOWS)
		    clear_s = tls_after("server", s, FOLLOWS)
		    lacks("client", clear_c, user, good)
		    lacks("server", clear_s, b"login:")
		    if hello != 1:
		        fail("Wireshark finds %d ClientHello after START_TLS, not 1" % hello)
		elif name == "telnet-start-tls-refused":
		    has("server", s, IAC + b"\xfe\x2e", b"login: ", b"Password: ",
		        b"Welcome to the tlswatch telnet lab.")
		    lacks("server", s, IAC + b"\xfd\x2e")
		    has("client", c, IAC + b"\xfb\x2e", user + b"\r\n", good + b"\r\n")
		    lacks("server", s, FOLLOWS, TLS)
		    lacks("client", c, FOLLOWS, TLS)
		sys.exit(0 if ok else 1)
	EOF
}

# One complete TCP session, and the streams as the name says. In
# telnet-plaintext-on-992 in.telnetd gives up on the client ten seconds
# after its failed TLS accept and closes with the client's bytes unread:
# the kernel ends the session with a single RST (cap_verify_streams takes
# that as an end).
verify_capture()
{
	if [ "$1" = telnet-plaintext-on-992 ]; then
		cap_verify_streams "$2" 1 && check_streams "$1" "$2"
	else
		cap_verify "$2" 1 && check_streams "$1" "$2"
	fi
}

# ------------------------------------------------------------ namespaces

ns_exists()
{
	ip netns list | awk '{print $1}' | grep -qxF -- "$1"
}

# The two namespaces and the veth pair between them; refuses to start when
# a namespace of that name exists (another run, or one that was killed:
# `ip netns del` it).
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
	# No IPv6 on the pair: the kernel's own router and neighbour
	# solicitations stay out of the way.
	ip netns exec "$NS_SRV" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$NS_CLI" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$NS_SRV" addr add "$TLS_ADDR/24" dev "$VETH_SRV"
	ip -n "$NS_SRV" addr add "$NOTLS_ADDR/24" dev "$VETH_SRV"
	ip -n "$NS_SRV" addr add "$STLS_ADDR/24" dev "$VETH_SRV"
	ip -n "$NS_CLI" addr add "$CLIENT_ADDR/24" dev "$VETH_CLI"
	ip -n "$NS_SRV" link set lo up
	ip -n "$NS_CLI" link set lo up
	ip -n "$NS_SRV" link set "$VETH_SRV" up
	ip -n "$NS_CLI" link set "$VETH_CLI" up
}

# Deletes the namespaces this run made (the veth pair goes with them).
ns_down()
{
	local ns rc=0
	[ $NS_MADE -eq 1 ] || return 0
	NS_MADE=0
	for ns in "$NS_SRV" "$NS_CLI"; do
		if ns_exists "$ns"; then
			ip netns del "$ns" || { log "could not delete network namespace $ns"; rc=1; }
		fi
	done
	return $rc
}

# Waits until every ADDR:PORT listens in the server namespace.
ns_wait_listen()
{
	local want tries=0 missing have
	while :; do
		missing=()
		have=$(ip netns exec "$NS_SRV" ss -ltnH | awk '{print $4}')
		for want in "$@"; do
			grep -qxF -- "$want" <<<"$have" || missing+=("$want")
		done
		[ ${#missing[@]} -eq 0 ] && return 0
		tries=$((tries + 1))
		[ $tries -lt 100 ] || { log "not listening after 10 s: ${missing[*]}"; return 1; }
		sleep 0.1
	done
}

# ---------------------------------------------------------------- servers

# The first uid (and gid) from 64000 up that the machine does not use.
free_uid()
{
	local uid
	for uid in $(seq 64000 64999); do
		if ! awk -F: -v u="$uid" '$3 == u {found = 1} END {exit !found}' /etc/passwd /etc/group; then
			echo "$uid"
			return 0
		fi
	done
	die "no free uid between 64000 and 64999"
}

# The private root: the certificate (its key readable by telnetd-ssl),
# passwd, shadow and group with the lab user, its home, the texts
# in.telnetd and login show.
prepare_root()
{
	local uid
	# shellcheck disable=SC2119  # no server instances to check (socat writes no pid file)
	claim_root
	rm -rf "${ROOT:?}/tls" "${ROOT:?}/etc" "${ROOT:?}/home" "${ROOT:?}"/*.log
	mkdir -p "$ROOT/etc/update-motd.d" "$ROOT/home"
	"$LAB/gen-cert.sh" "$ROOT/tls" "$SERVER_NAME"
	chown telnetd-ssl "$ROOT/tls/key.pem"
	id "$LAB_USER" >/dev/null 2>&1 && die "the machine has a user $LAB_USER; the lab's would shadow it"
	uid=$(free_uid)
	cp /etc/passwd /etc/shadow /etc/group "$ROOT/etc/"
	printf '%s:x:%s:%s:tlswatch lab user:%s:/bin/sh\n' "$LAB_USER" "$uid" "$uid" \
		"$ROOT/home/$LAB_USER" >>"$ROOT/etc/passwd"
	printf '%s:%s:19700:0:99999:7:::\n' "$LAB_USER" "$(openssl passwd -6 "$ALICE_PW")" \
		>>"$ROOT/etc/shadow"
	printf '%s:x:%s:\n' "$LAB_USER" "$uid" >>"$ROOT/etc/group"
	chown root:shadow "$ROOT/etc/shadow"
	chmod 0640 "$ROOT/etc/shadow"
	chmod 0644 "$ROOT/etc/passwd" "$ROOT/etc/group"
	install -d -m 0700 -o "$uid" -g "$uid" "$ROOT/home/$LAB_USER"
	printf 'tlswatch telnet lab\n' >"$ROOT/etc/issue.net"
	printf 'Welcome to the tlswatch telnet lab.\n' >"$ROOT/etc/motd"
	chmod 0644 "$ROOT/etc/issue.net" "$ROOT/etc/motd"
	write_hosts "$ROOT/etc/hosts" "$SERVER_NAME"
}

# One in.telnetd instance behind tools/lab/telnet/inetd.sh:
# inetd_start NAME ADDR PORT [in.telnetd option...]. The chain ip netns
# exec, unshare, sh, socat execs all the way: $! is socat's pid.
inetd_start()
{
	local name=$1 addr=$2 port=$3
	shift 3
	ip netns exec "$NS_SRV" unshare --mount --uts -- /bin/sh "$LAB/telnet/inetd.sh" "$ROOT" \
		"$addr" "$port" "$@" >"$ROOT/$name.log" 2>&1 </dev/null &
	PIDS[$name]=$!
}

start_servers()
{
	check_tools
	prepare_root
	ns_up
	inetd_start tls23 "$TLS_ADDR" "$TELNET_PORT"
	inetd_start tls992 "$TLS_ADDR" "$TELNETS_PORT" -z ssl
	inetd_start notls23 "$NOTLS_ADDR" "$TELNET_PORT" -z nossl
	if ! ns_wait_listen "$TLS_ADDR:$TELNET_PORT" "$TLS_ADDR:$TELNETS_PORT" \
		"$NOTLS_ADDR:$TELNET_PORT"; then
		cat "$ROOT"/*.log >&2
		die "in.telnetd's inetd did not start (see $ROOT/*.log)"
	fi
	log "telnetd-ssl $(dpkg-query -W -f='${Version}' telnetd-ssl 2>/dev/null || echo '?') started:" \
		"$TLS_ADDR:$TELNET_PORT (AUTHENTICATION SSL), $TLS_ADDR:$TELNETS_PORT (implicit TLS)," \
		"$NOTLS_ADDR:$TELNET_PORT (no TLS) [socat pids ${PIDS[*]}]"
}

# The START_TLS server if one still runs, each socat by PID (only if it is
# a socat; SIGTERM, then the telnetd and login sessions it forked: every
# descendant is waited for, SIGKILL after 10 s), the namespaces, and the
# private user database.
stop_servers()
{
	local name pid masters=() rc=0
	if [ -n "$STLS_PID" ]; then
		kill -TERM "$STLS_PID" 2>/dev/null || true
		wait "$STLS_PID" 2>/dev/null || true
		STLS_PID=""
	fi
	for name in "${!PIDS[@]}"; do
		pid=${PIDS[$name]}
		pid_alive "$pid" || continue
		if pid_is "$pid" socat; then
			masters+=("$pid")
		else
			log "pid $pid of $name is $(cat "/proc/$pid/comm" 2>/dev/null), not socat; not touching it"
		fi
	done
	PIDS=()
	stop_masters TERM "telnetd-ssl lab" ${masters[@]+"${masters[@]}"} || rc=1
	ns_down || rc=1
	rm -rf "${ROOT:?}/etc" "${ROOT:?}/home"
	return $rc
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main (and the servers' above).

install_deps()
{
	install_packages "${PACKAGES[@]}"
}

check_tools()
{
	local t
	[ -x /usr/sbin/in.telnetd ] || die "/usr/sbin/in.telnetd missing (Debian package telnetd-ssl)"
	[ -x /usr/bin/telnet-ssl ] || die "/usr/bin/telnet-ssl missing (Debian package telnet-ssl)"
	for t in socat tcpdump tshark openssl ip ss unshare; do
		command -v "$t" >/dev/null || die "$t missing"
	done
	id telnetd-ssl >/dev/null 2>&1 || die "no user telnetd-ssl (created by telnetd-ssl)"
	"$DEB_PYTHON" -c 'import pty, ssl' 2>/dev/null || die "$DEB_PYTHON has no pty or ssl module"
}

recorder_main "$@"

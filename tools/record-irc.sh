#!/usr/bin/env bash
# tools/record-irc.sh — records the IRC captures in pcaps/ (irc-*.pcap,
# ircs-6697.pcap) from a real InspIRCd 3 from Debian (inspircd 3.15:
# /usr/sbin/inspircd --nofork), started by this script as its own instances
# with a configuration in a private root (never /etc/inspircd, never
# Debian's own service), and a real client library (python3-irc, the `irc`
# library, through tools/lab/clients/ircclient.py), all on loopback. Must
# run as root (or through sudo).
#
#   tools/record-irc.sh              record every capture of this set
#   tools/record-irc.sh NAME...      only these (e.g. irc-starttls)
#   tools/record-irc.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-irc-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, without starting
# Debian's own inspircd).
#
# Servers (tools/lab/inspircd/*.conf.in, rendered into ROOT/irc-NAME/, one
# inspircd --nofork per instance as the irc system user; this script holds
# each one's PID):
#   "tls"    127.0.0.1:6667  plaintext; modules ssl_gnutls, starttls, cap:
#                            CAP LS lists "tls", STARTTLS is answered 670
#            127.0.0.1:6697  implicit TLS (sslprofile "lab")
#                            Certificate for irc.tlswatch.test from
#                            tools/lab/gen-cert.sh. Connect class for
#                            127.0.0.1 with the server password
#                            ServerPass2024 (PASS).
#   "notls"  127.0.0.2:6667  no TLS module: CAP LS lists no "tls"; the
#                            starttls module without a TLS provider answers
#                            STARTTLS with 691. No server password.
# No SASL: InspIRCd's sasl module only relays the exchange to a services
# server (Atheme or Anope, linked to InspIRCd as a server), which this lab
# does not run; and no NickServ either, so `PRIVMSG NickServ :IDENTIFY ...`
# is answered 401 (the password still crossed the wire).
# Nothing resolves a name: the connect classes say resolvehostnames="no",
# no ident or DNSBL module is loaded, InspIRCd's resolver points at
# 127.0.0.1, and the client gets addresses (the name irc.tlswatch.test goes
# only into SNI and the certificate check). A tcpdump on every interface
# watches for DNS (ports 53, 5353, 5355) from before the servers start to
# after they stop: any packet there fails the run.
#
# Each capture is one rec_NAME function: tcpdump on lo with a filter on the
# server's address and port, one client, stop. The file must hold one
# complete TCP session (SYN to FIN, cap_verify from tools/lab/capture.sh) and
# show in cleartext what its name says (check_content below) before it is
# moved into the output directory. Both inspircd are stopped by PID (SIGINT)
# from the EXIT trap, which then checks with `ss -ltnp` that nothing of theirs still
# listens. Bytes differ between runs (keys, timestamps, ports); content does
# not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/capture.sh
. "$LAB/capture.sh"

OUT=$REPO/pcaps
ROOT=/tmp/tlswatch-irc-rec
MARKER=.tlswatch-irc
INSTALL=1
WORK=""
CUR=""
# python3-irc is a Debian package: Debian's python, not whatever python3 is
# first in PATH.
DEB_PYTHON=/usr/bin/python3
IRCD=/usr/sbin/inspircd
IRC_USER=irc
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
DNS_PID=""
DNS_FILE=""
TRIES=3

TLS_ADDR=127.0.0.1  # instance "tls": 6667 (STARTTLS) and 6697 (TLS)
NOTLS_ADDR=127.0.0.2  # instance "notls": 6667, no TLS
IRC_PORT=6667
IRCS_PORT=6697
CERT_NAME=irc.tlswatch.test
CHANNEL='#tlswatch'
INSTANCES=(tls notls)
declare -A PIDS=()

# Lab secrets; documented in pcaps/README.md.
SERVER_PW=ServerPass2024
WRONG_PW=WrongPass999
ALICE_PW=AlicePass2024

CAPTURES=(
	irc-starttls irc-pass-cleartext irc-pass-failed irc-nickserv-identify ircs-6697
	irc-starttls-refused
)

PACKAGES=(inspircd python3 python3-irc openssl tcpdump tshark iproute2 util-linux)

log()
{
	echo "record-irc: $*" >&2
}

die()
{
	log "$*"
	exit 1
}

# ---------------------------------------------------------------- clients

# Runs tools/lab/clients/ircclient.py (python3-irc) with a clean
# environment; the passwords go in IRC_PASSWORD (the server password, PASS)
# and NICKSERV_PASSWORD, never on a command line. Its output goes to
# $WORK/$CUR.log (CUR = current capture). A client that fails ends the whole
# run (the EXIT trap stops everything).
#   lab_irc SERVER_PASSWORD NICKSERV_PASSWORD ircclient.py-options...
lab_irc()
{
	local pw=$1 nspw=$2 rc=0 envs=()
	shift 2
	[ -z "$pw" ] || envs+=("IRC_PASSWORD=$pw")
	[ -z "$nspw" ] || envs+=("NICKSERV_PASSWORD=$nspw")
	env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C.UTF-8 ${envs[@]+"${envs[@]}"} \
		timeout 60 "$DEB_PYTHON" "$LAB/clients/ircclient.py" --servername "$CERT_NAME" \
		--cafile "$ROOT/tls/cert.pem" --nick alice --user alice --realname Alice "$@" \
		>>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		cat "$WORK/$CUR.log" >&2
		log "$CUR: client failed (exit status $rc)"
		exit 1
	fi
}

# Capture filter for exactly one server endpoint (address and port).
server_filter()
{
	local addr=$1 port=$2
	echo "tcp and ((dst host $addr and dst port $port) or (src host $addr and src port $port))"
}

# ------------------------------------------------------------ captures

# CAP LS 302 (the server lists "tls"), STARTTLS, 670, TLS 1.3 (SNI
# irc.tlswatch.test); then PASS, NICK, USER, CAP END, registration (001 ..
# end of MOTD), JOIN #tlswatch, PRIVMSG, QUIT all inside TLS.
rec_irc-starttls()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$IRC_PORT")"
	lab_irc "$SERVER_PW" "" --addr "$TLS_ADDR" --port "$IRC_PORT" --tls starttls \
		--join "$CHANNEL"
	cap_stop
}

# The same server and client without STARTTLS although "tls" is listed:
# CAP LS 302, PASS ServerPass2024, NICK, USER, CAP END, 001, JOIN, PRIVMSG,
# QUIT, all in cleartext.
rec_irc-pass-cleartext()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$IRC_PORT")"
	lab_irc "$SERVER_PW" "" --addr "$TLS_ADDR" --port "$IRC_PORT" --join "$CHANNEL"
	cap_stop
}

# The wrong server password: no connect class matches, InspIRCd 3 answers
# `ERROR :Closing link: (alice@127.0.0.1) [Access denied by configuration]`
# (it sends no 464) and closes.
rec_irc-pass-failed()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$IRC_PORT")"
	lab_irc "$WRONG_PW" "" --addr "$TLS_ADDR" --port "$IRC_PORT" --expect-fail
	cap_stop
}

# Cleartext registration (PASS as the class requires), then
# `PRIVMSG NickServ :IDENTIFY alice AlicePass2024`: 401 No such nick.
rec_irc-nickserv-identify()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$IRC_PORT")"
	lab_irc "$SERVER_PW" "$ALICE_PW" --addr "$TLS_ADDR" --port "$IRC_PORT" --identify alice
	cap_stop
}

# Implicit TLS on 6697 (SNI irc.tlswatch.test); CAP LS, PASS, NICK, USER,
# CAP END, registration, JOIN, PRIVMSG, QUIT inside.
rec_ircs-6697()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$IRCS_PORT")"
	lab_irc "$SERVER_PW" "" --addr "$TLS_ADDR" --port "$IRCS_PORT" --tls implicit \
		--join "$CHANNEL"
	cap_stop
}

# STARTTLS as the first command (no CAP LS), to the instance without TLS:
# `691 * :STARTTLS is not enabled`; the client goes on in cleartext: NICK,
# USER, registration, QUIT.
rec_irc-starttls-refused()
{
	cap_start "$1" lo "$(server_filter "$NOTLS_ADDR" "$IRC_PORT")"
	lab_irc "" "" --addr "$NOTLS_ADDR" --port "$IRC_PORT" --tls starttls --no-cap \
		--expect-refusal
	cap_stop
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line (non-printable bytes are dots in tcpdump -A):
# the cleartext part says what the name says, and nothing that belongs
# inside TLS is in the clear.
content_rules()
{
	case "$1" in
	irc-starttls)
		cat <<-'EOF'
			+CAP LS 302
			+:irc.tlswatch.test CAP * LS :inspircd.org/poison inspircd.org/standard-replies tls
			+STARTTLS
			+:irc.tlswatch.test 670 * :STARTTLS successful, go ahead with TLS handshake
			+irc.tlswatch.test
			-PASS
			-ServerPass2024
			-NICK alice
			-USER alice
			-CAP END
			-001 alice
			-#tlswatch
			-hello from the tlswatch lab
			-QUIT
			-Closing link
		EOF
		;;
	irc-pass-cleartext)
		cat <<-'EOF'
			+CAP LS 302
			+:irc.tlswatch.test CAP * LS :inspircd.org/poison inspircd.org/standard-replies tls
			+PASS ServerPass2024
			+NICK alice
			+USER alice 0 * :Alice
			+CAP END
			+:irc.tlswatch.test 001 alice :Welcome to the tlswatch IRC Network alice!alice@127.0.0.1
			+JOIN #tlswatch
			+:alice!alice@127.0.0.1 JOIN :#tlswatch
			+PRIVMSG #tlswatch :hello from the tlswatch lab
			+QUIT :bye
			+ERROR :Closing link: (alice@127.0.0.1) [Quit: bye]
			-STARTTLS
			-:STARTTLS successful
			-WrongPass
		EOF
		;;
	irc-pass-failed)
		cat <<-'EOF'
			+CAP LS 302
			+:irc.tlswatch.test CAP * LS :inspircd.org/poison inspircd.org/standard-replies tls
			+PASS WrongPass999
			+NICK alice
			+USER alice 0 * :Alice
			+CAP END
			+ERROR :Closing link: (alice@127.0.0.1) [Access denied by configuration]
			-ServerPass2024
			-001 alice
			-STARTTLS
			-QUIT
		EOF
		;;
	irc-nickserv-identify)
		cat <<-'EOF'
			+CAP LS 302
			+:irc.tlswatch.test CAP * LS :inspircd.org/poison inspircd.org/standard-replies tls
			+PASS ServerPass2024
			+NICK alice
			+USER alice 0 * :Alice
			+:irc.tlswatch.test 001 alice :Welcome
			+PRIVMSG NickServ :IDENTIFY alice AlicePass2024
			+:irc.tlswatch.test 401 alice NickServ :No such nick
			+QUIT :bye
			+ERROR :Closing link: (alice@127.0.0.1) [Quit: bye]
			-STARTTLS
			-JOIN
		EOF
		;;
	ircs-6697)
		cat <<-'EOF'
			+irc.tlswatch.test
			-CAP LS
			-PASS
			-ServerPass2024
			-NICK alice
			-USER alice
			-001 alice
			-#tlswatch
			-QUIT
			-Closing link
		EOF
		;;
	irc-starttls-refused)
		cat <<-'EOF'
			+STARTTLS
			+:notls.tlswatch.test 691 * :STARTTLS is not enabled
			+NICK alice
			+USER alice 0 * :Alice
			+:notls.tlswatch.test 001 alice :Welcome
			+QUIT :bye
			+ERROR :Closing link: (alice@127.0.0.1) [Quit: bye]
			-CAP LS
			-PASS
			-:STARTTLS successful
			-irc.tlswatch.test
		EOF
		;;
	esac
}

check_content()
{
	local name=$1 file=$2 text rule ok=0
	text=$(tcpdump -nr "$file" -A 2>/dev/null)
	while IFS= read -r rule; do
		[ -n "$rule" ] || continue
		case "$rule" in
		+*)
			grep -qF -- "${rule#+}" <<<"$text" ||
				{ log "$name: expected in cleartext, not found: ${rule#+}"; ok=1; }
			;;
		-*)
			! grep -qF -- "${rule#-}" <<<"$text" ||
				{ log "$name: must not be in cleartext, found: ${rule#-}"; ok=1; }
			;;
		esac
	done < <(content_rules "$name")
	check_streams "$name" "$file" || ok=1
	return $ok
}

# Each side's bytes in order (tshark's TCP payloads; skipped without
# tshark): where the cleartext ends and TLS (a handshake record, 0x16 0x03)
# begins. irc-starttls: the client sends exactly `CAP LS 302`, `STARTTLS`,
# then its ClientHello; the server's cleartext ends with the 670 line, then
# its ServerHello. ircs-6697: both sides start with TLS. The others: no TLS
# record at the start of any line, only printable text, CR and LF.
check_streams()
{
	local name=$1 file=$2 client server
	command -v tshark >/dev/null || return 0
	client=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.srcport != $(server_port "$name")" \
		-T fields -e tcp.payload 2>/dev/null | tr -d ':\n')
	server=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.srcport == $(server_port "$name")" \
		-T fields -e tcp.payload 2>/dev/null | tr -d ':\n')
	"$DEB_PYTHON" - "$name" "$client" "$server" <<-'EOF' >&2
		import sys
		name, c, s = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
		TLS = b"\x16\x03"
		def text(b):
		    return all(32 <= x < 127 or x in (13, 10) for x in b)
		def fail(msg):
		    print("record-irc: %s: %s" % (name, msg))
		    sys.exit(1)
		if name == "irc-starttls":
		    head = b"CAP LS 302\r\nSTARTTLS\r\n"
		    if not c.startswith(head + TLS):
		        fail("client: not CAP LS 302, STARTTLS, ClientHello: %r" % c[:40])
		    i = s.find(b" 670 ")
		    j = s.find(b"\r\n", i) + 2
		    if i < 0 or not text(s[:j]) or not s[j:].startswith(TLS):
		        fail("server: not text up to 670, then ServerHello: %r" % s[:j + 4])
		elif name == "ircs-6697":
		    if not c.startswith(TLS) or not s.startswith(TLS):
		        fail("not TLS from the first byte: %r / %r" % (c[:8], s[:8]))
		else:
		    if not text(c) or not text(s):
		        fail("a side sent bytes that are not IRC text")
		    first = b"STARTTLS\r\n" if name == "irc-starttls-refused" else b"CAP LS 302\r\n"
		    if not c.startswith(first):
		        fail("client's first line is not %r: %r" % (first, c[:40]))
	EOF
}

server_port()
{
	case "$1" in
	ircs-6697) echo "$IRCS_PORT" ;;
	*) echo "$IRC_PORT" ;;
	esac
}

# ---------------------------------------------------------------- servers

inst_dir()
{
	echo "$ROOT/irc-$1"
}

alive()
{
	local st
	st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# PID of a live inspircd from a pid file, if any.
pidfile_ircd()
{
	local f=$1 pid
	[ -r "$f" ] || return 0
	pid=$(tr -dc '0-9' <"$f")
	[ -n "$pid" ] && alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = inspircd ] &&
		echo "$pid"
	return 0
}

# Live processes running Debian's inspircd binary, one PID a line.
ircd_pids()
{
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$IRCD" ] && alive "${p#/proc/}" && echo "${p#/proc/}"
	done
	return 0
}

# Waits until every ADDR:PORT given is in LISTEN state.
wait_listen()
{
	local want tries=0 missing have
	while :; do
		missing=()
		have=$(ss -ltnH | awk '{print $4}')
		for want in "$@"; do
			grep -qxF -- "$want" <<<"$have" || missing+=("$want")
		done
		[ ${#missing[@]} -eq 0 ] && return 0
		tries=$((tries + 1))
		[ $tries -lt 100 ] || { log "not listening after 10 s: ${missing[*]}"; return 1; }
		sleep 0.1
	done
}

# Refuses to start when anything (Debian's own inspircd, another run of this
# script, any other program) already listens on 6667 or 6697 on one of the
# lab's addresses or on a wildcard address.
check_ports_free()
{
	local busy
	busy=$(ss -ltnpH | awk -v p1="$IRC_PORT" -v p2="$IRCS_PORT" -v a1="$TLS_ADDR" -v a2="$NOTLS_ADDR" '{
		n = split($4, p, ":"); port = p[n]; addr = substr($4, 1, length($4) - length(port) - 1)
		if ((port == p1 || port == p2) &&
		    (addr == a1 || addr == a2 || addr == "0.0.0.0" || addr == "*" || addr == "[::]" || addr == "[::ffff:0.0.0.0]"))
			print
	}')
	[ -z "$busy" ] || die "port $IRC_PORT or $IRCS_PORT already in use on $TLS_ADDR/$NOTLS_ADDR (stop that first):
$busy"
}

# On a machine with AppArmor, Debian's profile usr.sbin.inspircd confines
# /usr/sbin/inspircd to /etc/inspircd and /run/inspircd: it could not read
# the private root. This script does not work around the profile; it says so.
check_apparmor()
{
	local f=/sys/kernel/security/apparmor/profiles
	[ -r "$f" ] || return 0
	if grep -q "^$IRCD (enforce)" "$f"; then
		die "AppArmor confines $IRCD (profile usr.sbin.inspircd, enforce mode) to /etc/inspircd;" \
			"it cannot read $ROOT. Put it in complain mode for the recording" \
			"(aa-complain $IRCD, from apparmor-utils) and back afterwards (aa-enforce $IRCD)."
	fi
}

prepare_root()
{
	case "$ROOT" in
	/*) ;;
	*) die "--root must be an absolute path: $ROOT" ;;
	esac
	[ "$ROOT" != / ] || die "refusing --root /"
	if [ -d "$ROOT" ] && [ -n "$(ls -A "$ROOT")" ] && [ ! -e "$ROOT/$MARKER" ]; then
		die "$ROOT exists, is not empty and is not a root of this script (no $MARKER)"
	fi
	local i
	for i in "${INSTANCES[@]}"; do
		[ -z "$(pidfile_ircd "$(inst_dir "$i")/inspircd.pid")" ] ||
			die "inspircd $i already running in $ROOT; stop it first"
	done
	mkdir -p "$ROOT"
	chmod 0755 "$ROOT"
	touch "$ROOT/$MARKER"
	rm -rf "${ROOT:?}/tls" "$ROOT/irc-tls" "$ROOT/irc-notls"
	# The client's copy of the certificate (--cafile) stays root's.
	"$LAB/gen-cert.sh" "$ROOT/tls" "$CERT_NAME"
	mkdir -p "$WORK/home"
}

# Renders one instance's configuration and starts it:
#   inst_start NAME ADDR
inst_start()
{
	local name=$1 addr=$2 dir pid tries=0 f
	dir=$(inst_dir "$name")
	mkdir -p "$dir/tls" "$dir/data"
	for f in common.conf inspircd-"$name".conf; do
		sed -e "s|@DIR@|$dir|g" -e "s|@ADDR@|$addr|g" "$LAB/inspircd/$f.in" \
			>"$dir/${f/inspircd-$name/inspircd}"
	done
	cp "$LAB/inspircd/motd.txt" "$dir/motd.txt"
	# The server's key must belong to the server's user, mode 0600.
	install -m 0644 -o "$IRC_USER" "$ROOT/tls/cert.pem" "$dir/tls/cert.pem"
	install -m 0600 -o "$IRC_USER" "$ROOT/tls/key.pem" "$dir/tls/key.pem"
	chown -R "$IRC_USER:" "$dir"
	chmod 0750 "$dir"
	# setpriv execs inspircd: $! is inspircd's PID (--nofork: it stays
	# this shell's child).
	(cd "$dir" && exec env -i PATH=/usr/bin:/bin HOME="$dir" LC_ALL=C \
		setpriv --reuid="$IRC_USER" --regid="$IRC_USER" --init-groups -- \
		"$IRCD" --nofork --config "$dir/inspircd.conf") >"$dir/inspircd.out" 2>&1 </dev/null &
	pid=$!
	PIDS[$name]=$pid
	until grep -q 'InspIRCd is now running' "$dir/inspircd.out" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 100 ] || ! alive "$pid"; then
			cat "$dir/inspircd.out" "$dir/ircd.log" >&2 2>/dev/null || true
			die "inspircd $name did not start (see $dir/inspircd.out, $dir/ircd.log)"
		fi
		sleep 0.1
	done
}

start_servers()
{
	check_ports_free
	check_apparmor
	prepare_root
	inst_start tls "$TLS_ADDR"
	inst_start notls "$NOTLS_ADDR"
	wait_listen "$TLS_ADDR:$IRC_PORT" "$TLS_ADDR:$IRCS_PORT" "$NOTLS_ADDR:$IRC_PORT"
	log "$("$IRCD" --version 2>/dev/null | head -n1) started: $TLS_ADDR:$IRC_PORT (STARTTLS)," \
		"$TLS_ADDR:$IRCS_PORT (TLS, $CERT_NAME), $NOTLS_ADDR:$IRC_PORT (no TLS)" \
		"[pids ${PIDS[tls]} ${PIDS[notls]}]"
}

# SIGINT to each inspircd this script started, by PID (only if it still is
# an inspircd), waits for it (SIGKILL by PID after 10 s), reaps it, then
# checks that none of them still listens. Not SIGTERM: InspIRCd 3.15.0-1
# from Debian ends its SIGTERM shutdown in a segmentation fault (and a core
# file) once ssl_gnutls is loaded, after it has unloaded its modules.
# It does not handle SIGINT, which ends it at once; by then no client is
# connected and it keeps no database, so nothing is lost.
stop_servers()
{
	local name pid pids=() left p tries=0 rc=0
	for name in "${!PIDS[@]}"; do
		pid=${PIDS[$name]}
		alive "$pid" || continue
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != inspircd ]; then
			log "pid $pid of instance $name is not an inspircd; not touching it"
			continue
		fi
		pids+=("$pid")
	done
	local all=("${PIDS[@]}")
	PIDS=()
	if [ ${#pids[@]} -gt 0 ]; then
		kill -INT "${pids[@]}" 2>/dev/null || true
		while :; do
			left=()
			for p in "${pids[@]}"; do
				alive "$p" && left+=("$p")
			done
			[ ${#left[@]} -eq 0 ] && break
			tries=$((tries + 1))
			if [ $tries -ge 100 ]; then
				log "still alive after 10 s, SIGKILL: ${left[*]}"
				kill -KILL "${left[@]}" 2>/dev/null || true
				sleep 0.2
				break
			fi
			sleep 0.1
		done
	fi
	for p in ${all[@]+"${all[@]}"}; do
		wait "$p" 2>/dev/null || true
		if alive "$p"; then
			log "pid $p still running after stop"
			rc=1
		elif ss -ltnpH | grep -q "pid=$p,"; then
			log "pid $p still listens after stop"
			rc=1
		fi
	done
	[ ${#all[@]} -eq 0 ] || log "inspircd stopped (${#pids[@]} running, pids ${all[*]})"
	return $rc
}

# ------------------------------------------------------------ DNS watch

# tcpdump on every interface for DNS, mDNS and LLMNR while servers and
# clients run: the lab must send no query anywhere (another program on the
# machine may, and would fail the run too: re-run then).
dns_watch_start()
{
	local tries=0
	DNS_FILE=$WORK/dns.pcap
	tcpdump -Z root -U --immediate-mode -n -i any -w "$DNS_FILE" \
		'port 53 or port 5353 or port 5355' 2>"$DNS_FILE.err" &
	DNS_PID=$!
	until grep -qE '^(tcpdump: )?listening on' "$DNS_FILE.err" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 100 ] || ! kill -0 "$DNS_PID" 2>/dev/null; then
			cat "$DNS_FILE.err" >&2
			DNS_PID=""
			die "the DNS watch (tcpdump -i any) did not start"
		fi
		sleep 0.1
	done
}

# Any packet written, or matched by the filter (a packet still in the ring
# when tcpdump stops is counted there, not written), fails the run.
dns_watch_stop()
{
	local seen matched
	[ -n "$DNS_PID" ] || return 0
	sleep 0.5
	kill -INT "$DNS_PID" 2>/dev/null || true
	wait "$DNS_PID" 2>/dev/null || true
	DNS_PID=""
	seen=$(tcpdump -nr "$DNS_FILE" 2>/dev/null || true)
	matched=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} received by filter.*/\1/p' "$DNS_FILE.err")
	if [ -n "$seen" ] || [ "${matched:-0}" -gt 0 ]; then
		log "DNS packets were seen while the lab ran (${matched:-?} matched; something resolved a name):"
		[ -z "$seen" ] || echo "$seen" >&2
		return 1
	fi
	log "no DNS packet on any interface while the lab ran"
}

# ---------------------------------------------------------------- driver

cleanup()
{
	local rc=$?
	cap_stop
	stop_servers || rc=1
	dns_watch_stop || rc=1
	restore_policy_rc
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit $rc
}

# Debian starts a package's service when it is installed; inspircd's
# default configuration listens on 127.0.0.1:6667. While installing, a
# policy-rc.d of our own (only when there is none) keeps every service from
# starting.
restore_policy_rc()
{
	if [ $POLICY_RC_OURS -eq 1 ] && grep -q 'tlswatch record-irc' "$POLICY_RC" 2>/dev/null; then
		rm -f "$POLICY_RC"
	fi
	POLICY_RC_OURS=0
}

# Stops, by PID, an inspircd that the install started after all (a
# policy-rc.d that was already there and allowed it).
stop_debian_ircd()
{
	local pid=$1 tries=0
	log "the inspircd package started Debian's inspircd (pid $pid); stopping it"
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$pid"; do
		tries=$((tries + 1))
		[ $tries -lt 100 ] || { kill -KILL "$pid" 2>/dev/null || true; break; }
		sleep 0.1
	done
}

install_deps()
{
	local p missing=() before after
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	log "installing ${missing[*]}"
	if [ ! -e "$POLICY_RC" ]; then
		printf '#!/bin/sh\n# tlswatch record-irc: no service starts during its apt-get install\nexit 101\n' \
			>"$POLICY_RC"
		chmod 0755 "$POLICY_RC"
		POLICY_RC_OURS=1
	fi
	before=$(ircd_pids)
	export DEBIAN_FRONTEND=noninteractive
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" \
		>"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log" >&2; die "apt-get install failed: ${missing[*]}"; }
	restore_policy_rc
	after=$(ircd_pids)
	for p in $after; do
		grep -qx "$p" <<<"$before" || stop_debian_ircd "$p"
	done
}

check_tools()
{
	local t
	[ -x "$IRCD" ] || die "$IRCD missing (Debian package inspircd)"
	for t in m_ssl_gnutls m_starttls m_cap; do
		[ -e "/usr/lib/inspircd/modules/$t.so" ] || die "InspIRCd module $t missing (package inspircd)"
	done
	for t in tcpdump setpriv openssl ss; do
		command -v "$t" >/dev/null || die "$t missing"
	done
	"$DEB_PYTHON" -W ignore -c 'import irc.client, irc.connection, ssl' 2>/dev/null ||
		die "$DEB_PYTHON has no irc library (Debian package python3-irc) or no ssl"
	id "$IRC_USER" >/dev/null 2>&1 || die "no user $IRC_USER (Debian's base-passwd has it)"
}

record_one()
{
	local name=$1 file tmp try
	file=$name.pcap
	tmp=$WORK/$file
	CUR=$name
	for try in $(seq "$TRIES"); do
		: >"$WORK/$name.log"
		rm -f "$tmp"
		log "recording $file"
		"rec_$name" "$tmp"
		if cap_verify "$tmp" 1 && check_content "$name" "$tmp"; then
			mv "$tmp" "$OUT/$file"
			chmod 0644 "$OUT/$file"
			return 0
		fi
		log "$name: capture incomplete or not as expected (try $try of $TRIES)"
	done
	cat "$WORK/$name.log" >&2
	cp "$tmp" "/tmp/tlswatch-rec-failed-$file"
	log "$name: giving up; last capture kept as /tmp/tlswatch-rec-failed-$file"
	return 1
}

main()
{
	local names=() n argv=("$@")
	while [ $# -gt 0 ]; do
		case "$1" in
		--out) OUT=${2:?}; shift 2 ;;
		--root) ROOT=${2:?}; shift 2 ;;
		--no-install) INSTALL=0; shift ;;
		--list) printf '%s\n' "${CAPTURES[@]}"; exit 0 ;;
		-h | --help) sed -n '2,50p' "$0"; exit 0 ;;
		-*) log "unknown option: $1"; exit 2 ;;
		*) names+=("$1"); shift ;;
		esac
	done
	[ ${#names[@]} -gt 0 ] || names=("${CAPTURES[@]}")
	for n in "${names[@]}"; do
		declare -F "rec_$n" >/dev/null || { log "unknown capture: $n (see --list)"; exit 2; }
	done
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { log "must run as root"; exit 2; }
		exec sudo -E "$0" "${argv[@]}"
	fi
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	WORK=$(mktemp -d /tmp/tlswatch-rec.XXXXXX)
	[ $INSTALL -eq 0 ] || install_deps
	check_tools
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	dns_watch_start
	start_servers
	for n in "${names[@]}"; do
		record_one "$n"
	done
	log "recorded ${#names[@]} captures into $OUT"
}

main "$@"

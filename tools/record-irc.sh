#!/usr/bin/env bash
# tools/record-irc.sh — records the IRC captures in pcaps/ (irc-*.pcap,
# ircs-6697.pcap, downgrade-irc-*.pcap through tools/lab/mitm.py) from a
# real InspIRCd 3 from Debian (inspircd 3.15:
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
# complete TCP session (SYN to FIN, cap_verify from tools/lab/capture.sh),
# show in cleartext what its name says (content_rules below) and start each
# side's bytes as it should (check_streams) before it is moved into the
# output directory. Both inspircd are stopped by PID (SIGINT) from the EXIT
# trap, which then checks with `ss -ltnp` that nothing of theirs still
# listens. What all recorders share (driver, logging, processes, private
# root, packages, DNS watch) is tools/lab/record-lib.sh. Bytes differ between runs (keys, timestamps, ports); content does
# not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-irc-rec
MARKER=.tlswatch-irc
# python3-irc is a Debian package: Debian's python, not whatever python3 is
# first in PATH.
DEB_PYTHON=/usr/bin/python3
IRCD=/usr/sbin/inspircd
IRC_USER=irc

TLS_ADDR=127.0.0.1  # instance "tls": 6667 (STARTTLS) and 6697 (TLS)
NOTLS_ADDR=127.0.0.2  # instance "notls": 6667, no TLS
IRC_PORT=6667
IRCS_PORT=6697
CERT_NAME=irc.tlswatch.test
CHANNEL='#tlswatch'
# The man in the middle (tools/lab/mitm.py, record-lib.sh's proxied) listens
# here and relays to the instance "tls"; both sides are in the
# downgrade-irc-* captures.
MITM_ADDR=127.0.0.30
PYTHON=$DEB_PYTHON
INSTANCES=(tls notls)
declare -A PIDS=()

# Lab secrets; documented in pcaps/README.md.
SERVER_PW=ServerPass2024
WRONG_PW=WrongPass999
ALICE_PW=AlicePass2024

CAPTURES=(
	irc-starttls irc-pass-cleartext irc-pass-failed irc-nickserv-identify ircs-6697
	irc-starttls-refused
	downgrade-irc-strip downgrade-irc-refuse downgrade-irc-accept-no-tls
	downgrade-irc-response-injection
)

PACKAGES=(inspircd python3 python3-irc openssl tcpdump tshark iproute2 util-linux)

# ---------------------------------------------------------------- clients

# run_client: tools/lab/record-lib.sh.

# tools/lab/clients/ircclient.py (python3-irc) with a clean environment
# (within 60 s); the passwords go in IRC_PASSWORD (the server password,
# PASS) and NICKSERV_PASSWORD, never on a command line.
#   irc_env SERVER_PASSWORD NICKSERV_PASSWORD ircclient.py-options...
irc_env()
{
	local pw=$1 nspw=$2 envs=()
	shift 2
	[ -z "$pw" ] || envs+=("IRC_PASSWORD=$pw")
	[ -z "$nspw" ] || envs+=("NICKSERV_PASSWORD=$nspw")
	env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C.UTF-8 ${envs[@]+"${envs[@]}"} \
		timeout 60 "$DEB_PYTHON" "$LAB/clients/ircclient.py" --servername "$CERT_NAME" \
		--cafile "$ROOT/tls/cert.pem" --nick alice --user alice --realname Alice "$@"
}

# irc_env through run_client: a client that fails ends the whole run.
lab_irc()
{
	run_client irc_env "$@"
}

# ------------------------------------------------------------ captures

# CAP LS 302 (the server lists "tls"), STARTTLS, 670, TLS 1.3 (SNI
# irc.tlswatch.test); then PASS, NICK, USER, CAP END, registration (001 ..
# end of MOTD), JOIN #tlswatch, PRIVMSG, QUIT all inside TLS.
rec_irc-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$IRC_PORT")"
	lab_irc "$SERVER_PW" "" --addr "$TLS_ADDR" --port "$IRC_PORT" --tls starttls \
		--join "$CHANNEL"
	cap_stop
}

# The same server and client without STARTTLS although "tls" is listed:
# CAP LS 302, PASS ServerPass2024, NICK, USER, CAP END, 001, JOIN, PRIVMSG,
# QUIT, all in cleartext.
rec_irc-pass-cleartext()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$IRC_PORT")"
	lab_irc "$SERVER_PW" "" --addr "$TLS_ADDR" --port "$IRC_PORT" --join "$CHANNEL"
	cap_stop
}

# The wrong server password: no connect class matches, InspIRCd 3 answers
# `ERROR :Closing link: (alice@127.0.0.1) [Access denied by configuration]`
# (it sends no 464) and closes.
rec_irc-pass-failed()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$IRC_PORT")"
	lab_irc "$WRONG_PW" "" --addr "$TLS_ADDR" --port "$IRC_PORT" --expect-fail
	cap_stop
}

# Cleartext registration (PASS as the class requires), then
# `PRIVMSG NickServ :IDENTIFY alice AlicePass2024`: 401 No such nick.
rec_irc-nickserv-identify()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$IRC_PORT")"
	lab_irc "$SERVER_PW" "$ALICE_PW" --addr "$TLS_ADDR" --port "$IRC_PORT" --identify alice
	cap_stop
}

# Implicit TLS on 6697 (SNI irc.tlswatch.test); CAP LS, PASS, NICK, USER,
# CAP END, registration, JOIN, PRIVMSG, QUIT inside.
rec_ircs-6697()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$IRCS_PORT")"
	lab_irc "$SERVER_PW" "" --addr "$TLS_ADDR" --port "$IRCS_PORT" --tls implicit \
		--join "$CHANNEL"
	cap_stop
}

# STARTTLS as the first command (no CAP LS), to the instance without TLS:
# `691 * :STARTTLS is not enabled`; the client goes on in cleartext: NICK,
# USER, registration, QUIT.
rec_irc-starttls-refused()
{
	cap_start "$1" lo "$(cap_server_filter "$NOTLS_ADDR" "$IRC_PORT")"
	lab_irc "" "" --addr "$NOTLS_ADDR" --port "$IRC_PORT" --tls starttls --no-cap \
		--expect-refusal
	cap_stop
}

# ------------------------------------------------------------ downgrades
# Through the proxy, with python3-irc as an opportunistic client (STARTTLS
# when CAP LS lists "tls", cleartext when it is missing or refused; PASS
# either way). No mask: "tls" masked is "XXX" (mitm.py refuses it).

lab_irc_victim()
{
	lab_irc "$SERVER_PW" "" --addr "$MITM_ADDR" --port "$IRC_PORT" --tls starttls --opportunistic \
		--join "$CHANNEL"
}

# A first session through unchanged (STARTTLS, TLS), then a second whose
# CAP LS lost "tls": the client registers with PASS in cleartext.
rec_downgrade-irc-strip()
{
	proxied irc $IRC_PORT $TLS_ADDR:$IRC_PORT pass,strip 2 "$1"
	lab_irc_victim
	lab_irc_victim
	proxied_end
	expect_log 'tls: TLSv1.3'
	expect_log 'STARTTLS not offered'
}

# The proxy answers STARTTLS with InspIRCd's 691; the client goes on in
# cleartext.
rec_downgrade-irc-refuse()
{
	proxied irc $IRC_PORT $TLS_ADDR:$IRC_PORT refuse 1 "$1"
	lab_irc_victim
	proxied_end
	expect_log 'STARTTLS refused \(691\)'
}

# The proxy says 670 itself and swallows the ClientHello; InspIRCd, which
# got only CAP LS, closes the unregistered link after its registration
# timeout (20 s) with an ERROR line that the proxy relays: the victim's
# handshake fails on it.
rec_downgrade-irc-accept-no-tls()
{
	proxied irc $IRC_PORT $TLS_ADDR:$IRC_PORT accept-no-tls 1 "$1"
	expect_fail 'SSL|ssl' irc_env "$SERVER_PW" "" --addr "$MITM_ADDR" --port "$IRC_PORT" \
		--tls starttls --opportunistic
	proxied_end
}

# ":irc.tlswatch.test NOTICE * :injected" after InspIRCd's 670, in the same
# segment: the library reads both lines before the socket is wrapped, and
# the session goes on in TLS.
rec_downgrade-irc-response-injection()
{
	proxied irc $IRC_PORT $TLS_ADDR:$IRC_PORT inject-response 1 "$1"
	lab_irc_victim
	proxied_end
	expect_log 'tls: TLSv1.3'
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line (check_cleartext; non-printable bytes are dots
# in tcpdump -A):
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
	downgrade-irc-strip | downgrade-irc-refuse)
		cat <<-'EOF'
			+:irc.tlswatch.test CAP * LS :inspircd.org/poison inspircd.org/standard-replies
			+PASS ServerPass2024
			+:irc.tlswatch.test 001 alice :Welcome to the tlswatch IRC Network alice!alice@127.0.0.30
			+PRIVMSG #tlswatch :hello from the tlswatch lab
		EOF
		[ "$1" != downgrade-irc-refuse ] || echo '+:irc.tlswatch.test 691 * :STARTTLS is not enabled'
		;;
	downgrade-irc-accept-no-tls)
		cat <<-'EOF'
			+:irc.tlswatch.test 670 * :STARTTLS successful, go ahead with TLS handshake
			+ERROR :Closing link:
			+[Registration timeout]
			-ServerPass2024
		EOF
		;;
	downgrade-irc-response-injection)
		cat <<-'EOF'
			+:irc.tlswatch.test 670 * :STARTTLS successful, go ahead with TLS handshake
			+:irc.tlswatch.test NOTICE * :injected
			-ServerPass2024
		EOF
		;;
	esac
}

# One complete TCP session, the content rules and each side's bytes; through
# the proxy two sessions per victim connection (an attack may end one with
# a reset) and the content rules.
verify_capture()
{
	case "$1" in
	downgrade-irc-strip) cap_verify_streams "$2" 4 && check_cleartext "$1" "$2" < <(content_rules "$1") ;;
	downgrade-*) cap_verify_streams "$2" 2 && check_cleartext "$1" "$2" < <(content_rules "$1") ;;
	*)
		cap_verify "$2" 1 && check_cleartext "$1" "$2" < <(content_rules "$1") &&
			check_streams "$1" "$2"
		;;
	esac
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

# The pid of instance NAME while it runs: the one this script started, or
# (before that, for claim_root) the one its pid file names.
inst_pid()
{
	local pid=${PIDS[$1]:-}
	if [ -n "$pid" ]; then
		pid_alive "$pid" && echo "$pid"
		return 0
	fi
	pidfile_pid "$(inst_dir "$1")/inspircd.pid" inspircd
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
	claim_root "${INSTANCES[@]}"
	rm -rf "${ROOT:?}/tls" "$ROOT/irc-tls" "$ROOT/irc-notls"
	# The client's copy of the certificate (--cafile) stays root's.
	"$LAB/gen-cert.sh" "$ROOT/tls" "$CERT_NAME"
	mkdir -p "$WORK/home"
}

# Renders one instance's configuration and starts it:
#   inst_start NAME ADDR
inst_start()
{
	local name=$1 addr=$2 dir pid f
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
	if ! wait_until -p "$pid" grep -qs 'InspIRCd is now running' "$dir/inspircd.out"; then
		cat "$dir/inspircd.out" "$dir/ircd.log" >&2 2>/dev/null || true
		die "inspircd $name did not start (see $dir/inspircd.out, $dir/ircd.log)"
	fi
}

start_servers()
{
	check_tools
	# Refuses to start when anything (Debian's own inspircd, another run of
	# this script) already listens on 6667 or 6697, on any address.
	check_ports_free --hint "Debian's own: invoke-rc.d inspircd stop" "$IRC_PORT" "$IRCS_PORT"
	check_apparmor
	# DNS, mDNS and LLMNR on every interface while the servers run: the lab
	# must not ask any resolver; any packet fails the run.
	dns_watch_start 'port 53 or port 5353 or port 5355' strict
	prepare_root
	inst_start tls "$TLS_ADDR"
	inst_start notls "$NOTLS_ADDR"
	wait_listen "$TLS_ADDR:$IRC_PORT" "$TLS_ADDR:$IRCS_PORT" "$NOTLS_ADDR:$IRC_PORT" ||
		die "inspircd is not listening"
	log "$("$IRCD" --version 2>/dev/null | head -n1) started: $TLS_ADDR:$IRC_PORT (STARTTLS)," \
		"$TLS_ADDR:$IRCS_PORT (TLS, $CERT_NAME), $NOTLS_ADDR:$IRC_PORT (no TLS)" \
		"[pids ${PIDS[tls]} ${PIDS[notls]}]"
}

# SIGINT to each inspircd this script started, by PID (only if it still is
# an inspircd), waits for it (SIGKILL by PID after 10 s), reaps it, then
# checks that none of them still listens (stop_masters). Not SIGTERM:
# InspIRCd 3.15.0-1 from Debian ends its SIGTERM shutdown in a segmentation
# fault (and a core file) once ssl_gnutls is loaded, after it has unloaded
# its modules. It does not handle SIGINT, which ends it at once; by then no
# client is connected and it keeps no database, so nothing is lost.
stop_servers()
{
	local masters
	mapfile -t masters < <(instance_masters inspircd "${!PIDS[@]}")
	PIDS=()
	stop_masters INT inspircd "${masters[@]}"
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main (and the servers' above).

# Live processes running Debian's inspircd binary, one PID a line.
ircd_pids()
{
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$IRCD" ] && pid_alive "${p#/proc/}" && echo "${p#/proc/}"
	done
	return 0
}

# Debian starts a package's service when it is installed; inspircd's
# default configuration listens on 127.0.0.1:6667. install_packages keeps
# every service from starting (policy-rc.d); an inspircd that starts all the
# same (a policy-rc.d that was already there and allowed it) is stopped by
# PID.
install_deps()
{
	local p before after
	before=$(ircd_pids)
	install_packages "${PACKAGES[@]}"
	after=$(ircd_pids)
	for p in $after; do
		grep -qx "$p" <<<"$before" && continue
		log "the inspircd package started Debian's inspircd (pid $p); stopping it"
		kill -TERM "$p" 2>/dev/null || true
		wait_gone "Debian's inspircd" "$p"
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

recorder_main "$@"

#!/usr/bin/env bash
# tools/record-nntp.sh — records the NNTP captures in pcaps/ (nntp-*.pcap,
# nntps-563.pcap) from real INN 2.7 daemons from Debian (inn2: nnrpd, the
# reader server, and innd, the transit server), started by this script as
# its own instances with a configuration in a private root (never
# /etc/news), and a real client (Python's standard nntplib through
# tools/lab/clients/nntpclient.py), all on loopback. Must run as root (or
# through sudo).
#
#   tools/record-nntp.sh              record every capture of this set
#   tools/record-nntp.sh NAME...      only these (e.g. nntp-starttls)
#   tools/record-nntp.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-nntp-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, without starting
# Debian's own innd).
#
# Servers (tools/lab/inn/*, one inn.conf per INN instance, through INNCONF):
#   nnrpd -D -S  127.0.0.1:563  implicit TLS (NNTPS)
#   nnrpd -D     127.0.0.1:119  STARTTLS and AUTHINFO USER (and SASL) offered
#   innd         127.0.0.2:119  no TLS: INN's transit server, which has none
#                               (nnrpd always offers STARTTLS, whatever its
#                               configuration); AUTHINFO USER/PASS for its
#                               peer 127.0.0.1 (incoming.conf)
# nnrpd takes the lab's user alice from a crypt() password file checked by
# ckpasswd (readers.conf), innd the same password from incoming.conf; both
# allow the login before TLS. nnrpd spools posted articles (-o) instead of
# handing them to an innd, so every capture has the same content whatever
# the order. A fresh certificate for news.tlswatch.test comes from
# tools/lab/gen-cert.sh.
# Each daemon and each INN tool the script runs (tdx-util, makedbz, ctlinnd)
# runs in UTS and mount namespaces of its own: host name news.tlswatch.test
# (a name with a dot: INN asks no resolver for its own name), and a private
# /etc/hosts bound over the real one inside the namespace only; inn.conf sets
# domain, fromhost, pathhost and server, nnrpd runs with -n (no reverse
# look-up of clients), and the client gets addresses, never names (the name
# only for SNI and the certificate check). A tcpdump on every interface
# watches for DNS (ports 53, 5353, 5355) from before the servers start to
# after they stop: any packet there fails the run.
#
# Each capture is one rec_NAME function: tcpdump on lo with a filter on the
# server's address and port, one client, stop. The file must hold complete
# TCP sessions (SYN to FIN, cap_verify from tools/lab/capture.sh) and show
# in cleartext what its name says (check_content below) before it is moved
# into the output directory. The daemons are stopped by PID from the EXIT
# trap (innd first with `ctlinnd shutdown`), which then checks with
# `ss -ltnp` that nothing of theirs still listens. Bytes differ between
# runs (keys, timestamps, ports, nnrpd's recommended Message-ID); content
# does not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-nntp-rec
MARKER=.tlswatch-nntp
# nntplib is in the standard library of Debian's python3 (3.11); not whatever
# python3 is first in PATH.
DEB_PYTHON=/usr/bin/python3
INN_BIN=/usr/lib/news/bin
NEWS_USER=news
NEWS_GROUP=news
SERVER_NAME=news.tlswatch.test

TLS_ADDR=127.0.0.1  # nnrpd: STARTTLS on 119, implicit TLS on 563
NOTLS_ADDR=127.0.0.2  # innd: no TLS
NNTP_PORT=119
NNTPS_PORT=563
# The man in the middle (tools/lab/mitm.py, record-lib.sh's proxied) listens
# here and relays to nnrpd on TLS_ADDR; both sides are in the downgrade-nntp-*
# captures.
MITM_ADDR=127.0.0.30
PYTHON=$DEB_PYTHON
INSTANCES=(nnrpd nnrpd-563 innd)
STARTED=()

# Lab user; documented in pcaps/README.md.
ALICE_PW=AlicePass2024
WRONG_PW=WrongPass999

CAPTURES=(
	nntp-starttls nntp-authinfo-cleartext nntp-login-failed nntp-no-starttls nntps-563
	nntp-post
	downgrade-nntp-strip downgrade-nntp-mask downgrade-nntp-refuse downgrade-nntp-accept-no-tls
	downgrade-nntp-response-injection
)

# libsasl2-modules: the SASL mechanisms nnrpd lists (a Recommends of
# libsasl2-2, installed explicitly so that CAPABILITIES is the same on every
# machine).
PACKAGES=(inn2 libsasl2-modules python3 openssl tcpdump tshark iproute2 util-linux)

# ---------------------------------------------------------------- clients
# run_client: tools/lab/record-lib.sh.

# nntplib through tools/lab/clients/nntpclient.py: ADDR PORT and options;
# user alice, the lab's CA file and server name (SNI) for TLS.
lab_nntp()
{
	local addr=$1 port=$2
	shift 2
	run_client timeout 60 "$DEB_PYTHON" "$LAB/clients/nntpclient.py" "$addr" "$port" \
		--name "$SERVER_NAME" --cafile "$ROOT/tls/cert.pem" --user alice "$@"
}

# ------------------------------------------------------------------ NNTP

# nnrpd: greeting, CAPABILITIES (STARTTLS, AUTHINFO USER SASL), STARTTLS,
# 382, TLS 1.3, then inside TLS CAPABILITIES, AUTHINFO USER/PASS, 281,
# CAPABILITIES, LIST, GROUP tlswatch.lab, QUIT.
rec_nntp-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$NNTP_PORT")"
	lab_nntp "$TLS_ADDR" "$NNTP_PORT" --password "$ALICE_PW" --starttls --group tlswatch.lab
	cap_stop
}

# nnrpd, no STARTTLS although offered: AUTHINFO USER alice, 381, AUTHINFO
# PASS, 281, CAPABILITIES, LIST, GROUP tlswatch.lab, QUIT in cleartext.
rec_nntp-authinfo-cleartext()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$NNTP_PORT")"
	lab_nntp "$TLS_ADDR" "$NNTP_PORT" --password "$ALICE_PW" --group tlswatch.lab
	cap_stop
}

# The same with the wrong password: 481 Authentication failed, QUIT.
rec_nntp-login-failed()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$NNTP_PORT")"
	lab_nntp "$TLS_ADDR" "$NNTP_PORT" --password "$WRONG_PW" --expect-fail
	cap_stop
}

# innd (no TLS at all): CAPABILITIES without STARTTLS (AUTHINFO USER),
# AUTHINFO USER/PASS, 281, CAPABILITIES, LIST, QUIT, all in cleartext.
rec_nntp-no-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$NOTLS_ADDR" "$NNTP_PORT")"
	lab_nntp "$NOTLS_ADDR" "$NNTP_PORT" --password "$ALICE_PW"
	cap_stop
}

# nnrpd -S: TLS from the first byte (SNI news.tlswatch.test), then the
# greeting, CAPABILITIES, AUTHINFO, LIST, QUIT inside TLS.
rec_nntps-563()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$NNTPS_PORT")"
	lab_nntp "$TLS_ADDR" "$NNTPS_PORT" --password "$ALICE_PW" --tls
	cap_stop
}

# nnrpd, cleartext login, then POST: 340, a small article, ".", 240
# (spooled by nnrpd -o), QUIT.
rec_nntp-post()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$NNTP_PORT")"
	lab_nntp "$TLS_ADDR" "$NNTP_PORT" --password "$ALICE_PW" --post
	cap_stop
}

# ------------------------------------------------------------ downgrades
# Through the proxy, with nntplib as an opportunistic client (STARTTLS when
# listed, cleartext when it is missing or refused).

lab_nntp_victim()
{
	lab_nntp $MITM_ADDR $NNTP_PORT --password "$ALICE_PW" --starttls --opportunistic "$@"
}

# A first session through unchanged (STARTTLS, TLS), then a second whose
# CAPABILITIES lost STARTTLS: nntplib logs in in cleartext.
rec_downgrade-nntp-strip()
{
	proxied nntp $NNTP_PORT $TLS_ADDR:$NNTP_PORT pass,strip 2 "$1"
	lab_nntp_victim
	lab_nntp_victim
	proxied_end
	expect_log 'tls: TLSv1.3'
	expect_log 'STARTTLS not offered'
}

# STARTTLS overwritten with XXXXXXXX in CAPABILITIES.
rec_downgrade-nntp-mask()
{
	proxied nntp $NNTP_PORT $TLS_ADDR:$NNTP_PORT mask 1 "$1"
	lab_nntp_victim
	proxied_end
	expect_log 'STARTTLS not offered'
}

# The proxy answers STARTTLS with 580; nntplib logs in in cleartext.
rec_downgrade-nntp-refuse()
{
	proxied nntp $NNTP_PORT $TLS_ADDR:$NNTP_PORT refuse 1 "$1"
	lab_nntp_victim
	proxied_end
	expect_log 'STARTTLS refused: 580'
}

# The proxy says 382 itself and answers the ClientHello with nnrpd's
# "500 What?": nntplib's handshake fails.
rec_downgrade-nntp-accept-no-tls()
{
	proxied nntp $NNTP_PORT $TLS_ADDR:$NNTP_PORT accept-no-tls 1 "$1"
	expect_fail 'SSL|ssl' lab_nntp_victim_raw
	proxied_end
}

# "200 injected" after nnrpd's 382, in the same segment: nntplib drops the
# buffered line when it wraps the socket, and the session goes on in TLS.
rec_downgrade-nntp-response-injection()
{
	proxied nntp $NNTP_PORT $TLS_ADDR:$NNTP_PORT inject-response 1 "$1"
	lab_nntp_victim
	proxied_end
	expect_log 'tls: TLSv1.3'
}

# lab_nntp_victim without run_client (for expect_fail).
lab_nntp_victim_raw()
{
	timeout 60 "$DEB_PYTHON" "$LAB/clients/nntpclient.py" $MITM_ADDR $NNTP_PORT \
		--name "$SERVER_NAME" --cafile "$ROOT/tls/cert.pem" --user alice \
		--password "$ALICE_PW" --starttls --opportunistic
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line (check_cleartext): the cleartext part says what
# the name says, and nothing that belongs inside TLS is in the clear.
# nntplib sends AUTHINFO in lower case.
content_rules()
{
	case "$1" in
	nntp-starttls)
		cat <<-'EOF'
			+200 news.tlswatch.test InterNetNews NNRP server INN
			+CAPABILITIES
			+AUTHINFO USER
			+STARTTLS
			+382 Begin TLS negotiation now
			+news.tlswatch.test
			-authinfo user
			-AlicePass2024
			-281 Authentication
			-215 Newsgroups
			-tlswatch.lab
		EOF
		;;
	nntp-authinfo-cleartext)
		cat <<-'EOF'
			+200 news.tlswatch.test InterNetNews NNRP server INN
			+CAPABILITIES
			+AUTHINFO USER
			+STARTTLS
			+authinfo user alice
			+381 Enter password
			+authinfo pass AlicePass2024
			+281 Authentication succeeded
			+215 Newsgroups in form "group high low status"
			+tlswatch.lab 0000000000 0000000001 y
			+GROUP tlswatch.lab
			+211 0 1 0 tlswatch.lab
			+QUIT
			+205 Bye!
			-382 Begin TLS
		EOF
		;;
	nntp-login-failed)
		cat <<-'EOF'
			+STARTTLS
			+AUTHINFO USER
			+authinfo user alice
			+381 Enter password
			+authinfo pass WrongPass999
			+481 Authentication failed
			+205 Bye!
			-281 Authentication
			-382 Begin TLS
		EOF
		;;
	nntp-no-starttls)
		cat <<-'EOF'
			+200 news.tlswatch.test InterNetNews server INN
			+ready (transit mode)
			+CAPABILITIES
			+AUTHINFO USER
			+authinfo user alice
			+381 Enter password
			+authinfo pass AlicePass2024
			+281 Authentication succeeded
			+215 Newsgroups in form "group high low status"
			+tlswatch.lab 0000000000 0000000001 y
			+205 Bye!
			-STARTTLS
		EOF
		;;
	nntps-563)
		cat <<-'EOF'
			+news.tlswatch.test
			-InterNetNews
			-CAPABILITIES
			-authinfo
			-AlicePass2024
			-tlswatch.lab
		EOF
		;;
	downgrade-nntp-strip | downgrade-nntp-mask | downgrade-nntp-refuse)
		cat <<-'EOF'
			+authinfo pass AlicePass2024
			+281 Authentication succeeded
		EOF
		[ "$1" != downgrade-nntp-mask ] || echo '+XXXXXXXX'
		[ "$1" != downgrade-nntp-refuse ] || echo '+580 Can not initiate TLS negotiation'
		;;
	downgrade-nntp-accept-no-tls)
		cat <<-'EOF'
			+382 Begin TLS negotiation now
			+500 What?
			-AlicePass2024
		EOF
		;;
	downgrade-nntp-response-injection)
		cat <<-'EOF'
			+382 Begin TLS negotiation now
			+200 injected
			-AlicePass2024
		EOF
		;;
	nntp-post)
		cat <<-'EOF'
			+STARTTLS
			+authinfo user alice
			+authinfo pass AlicePass2024
			+281 Authentication succeeded
			+POST
			+340 Ok, recommended Message-ID
			+Newsgroups: tlswatch.lab
			+Subject: tlswatch lab
			+Message-ID: <lab@client.tlswatch.test>
			+small test article
			+240 Article received <lab@client.tlswatch.test>
			+205 Bye!
			-382 Begin TLS
		EOF
		;;
	esac
}

# One complete TCP session (two per victim connection through the proxy),
# and the content rules.
verify_capture()
{
	case "$1" in
	downgrade-nntp-strip) cap_verify_streams "$2" 4 ;;
	downgrade-*) cap_verify_streams "$2" 2 ;; # an attack may end with a reset
	*) cap_verify "$2" 1 ;;
	esac && check_cleartext "$1" "$2" < <(content_rules "$1")
}

# ------------------------------------------------------------ namespaces

# Runs a command in UTS and mount namespaces of its own (when the kernel
# allows them): host name news.tlswatch.test and the private root's hosts
# file bound over /etc/hosts, seen by that command only (ns_cmd).
lab_ns()
{
	ns_cmd "$SERVER_NAME" "$ROOT/hosts"
	"${NS_CMD[@]}" "$@"
}

# An INN tool as the news user with the given inn.conf: as_news CONF CMD...
as_news()
{
	local conf=$1
	shift
	lab_ns env INNCONF="$conf" setpriv --reuid "$NEWS_USER" --regid "$NEWS_GROUP" --init-groups "$@"
}

# ---------------------------------------------------------------- servers

# inn.conf of an instance; pid file of an instance.
inst_conf()
{
	case "$1" in
	innd) echo "$ROOT/etc/inn-innd.conf" ;;
	*) echo "$ROOT/etc/inn-nnrpd.conf" ;;
	esac
}

inst_pidfile()
{
	case "$1" in
	innd) echo "$ROOT/run-innd/innd.pid" ;;
	nnrpd) echo "$ROOT/run-nnrpd/nnrpd.pid" ;;
	nnrpd-563) echo "$ROOT/run-nnrpd/nnrpd-$NNTPS_PORT.pid" ;;
	esac
}

inst_comm()
{
	case "$1" in
	innd) echo innd ;;
	*) echo nnrpd ;;
	esac
}

# The pid of an instance from its pid file, while it runs (the daemons
# detach, so their parent is init, which may reap them late: pid_alive).
inst_pid()
{
	pidfile_pid "$(inst_pidfile "$1")"
}

# Writes a template with the private root's values: render SRC DST RUN BIND NOREADER
render()
{
	sed -e "s|@ROOT@|$ROOT|g" -e "s|@RUN@|$3|g" -e "s|@BIND@|$4|g" -e "s|@NOREADER@|$5|g" \
		-e "s|@PASSWORD@|$ALICE_PW|g" "$1" >"$2"
}

prepare_root()
{
	local g flag d
	claim_root "${INSTANCES[@]}"
	rm -rf "${ROOT:?}/tls" "${ROOT:?}/etc" "${ROOT:?}/db" "${ROOT:?}/spool" "${ROOT:?}/log" \
		"${ROOT:?}/run-nnrpd" "${ROOT:?}/run-innd" "${ROOT:?}/filter" "${ROOT:?}/http" \
		"${ROOT:?}/hosts"
	for d in etc db log run-nnrpd run-innd filter http spool/articles spool/overview \
		spool/incoming/tmp spool/outgoing spool/archive; do
		mkdir -p "$ROOT/$d"
	done
	"$LAB/gen-cert.sh" "$ROOT/tls" "$SERVER_NAME"
	write_hosts "$ROOT/hosts" "$SERVER_NAME"

	render "$LAB/inn/inn.conf.in" "$ROOT/etc/inn-nnrpd.conf" "$ROOT/run-nnrpd" "$TLS_ADDR" false
	render "$LAB/inn/inn.conf.in" "$ROOT/etc/inn-innd.conf" "$ROOT/run-innd" "$NOTLS_ADDR" true
	render "$LAB/inn/readers.conf.in" "$ROOT/etc/readers.conf" - - -
	render "$LAB/inn/incoming.conf.in" "$ROOT/etc/incoming.conf" - - -
	cp "$LAB/inn/newsfeeds" "$LAB/inn/storage.conf" "$ROOT/etc/"
	cp "$LAB/inn/active" "$LAB/inn/newsgroups" "$ROOT/db/"
	: >"$ROOT/db/active.times"
	: >"$ROOT/db/history"
	# alice's password for ckpasswd -f: SHA-512 crypt, a fresh salt each run.
	printf 'alice:%s\n' "$(openssl passwd -6 "$ALICE_PW")" >"$ROOT/etc/newsusers"
	chown -R "$NEWS_USER:$NEWS_GROUP" "$ROOT/tls" "$ROOT/etc" "$ROOT/db" "$ROOT/spool" \
		"$ROOT/log" "$ROOT/run-nnrpd" "$ROOT/run-innd" "$ROOT/filter" "$ROOT/http"
	chmod 0600 "$ROOT/tls/key.pem" "$ROOT/etc/newsusers" "$ROOT/etc/incoming.conf"

	# The overview index of each group (nnrpd opens it before the greeting)
	# and an empty history database (innd).
	while read -r g _ _ flag; do
		as_news "$ROOT/etc/inn-nnrpd.conf" "$INN_BIN/tdx-util" -c -f "$flag" -n "$g" ||
			die "tdx-util could not create group $g"
	done <"$ROOT/db/active"
	(cd "$ROOT/db" && as_news "$ROOT/etc/inn-innd.conf" "$INN_BIN/makedbz" -i -o) ||
		die "makedbz could not create the history database"
}

# nnrpd as a standalone daemon (-D): it binds as root, then runs as news,
# detaches and writes its pid file. -n: no reverse look-up of clients; -o:
# posted articles are spooled, not handed to innd.
start_nnrpd()
{
	local name=$1
	shift
	STARTED+=("$name")
	lab_ns env INNCONF="$(inst_conf "$name")" "$INN_BIN/nnrpd" -D -n -o "$@" ||
		die "nnrpd $name did not start"
}

# innd as news (it refuses root); innbind (setuid root) binds port 119 for
# it. It detaches and writes its pid file.
start_innd()
{
	STARTED+=(innd)
	as_news "$(inst_conf innd)" "$INN_BIN/innd" || die "innd did not start"
}

start_servers()
{
	check_tools
	ns_available || log "no UTS/mount namespaces here: INN runs with the machine's host name" \
		"(inn.conf still names the server; the DNS watch tells if anything was asked)"
	# Refuses to start when anything (Debian's own innd, another run of this
	# script) already listens on a port this set needs, on any address.
	check_ports_free --hint "Debian's own: invoke-rc.d inn2 stop" "$NNTP_PORT" "$NNTPS_PORT"
	# DNS, mDNS and LLMNR on every interface while the servers run: the lab
	# must not ask any resolver off the machine; any packet fails the run.
	dns_watch_start 'port 53 or port 5353 or port 5355' strict
	prepare_root
	start_nnrpd nnrpd -b "$TLS_ADDR" -p "$NNTP_PORT"
	start_nnrpd nnrpd-563 -S -b "$TLS_ADDR" -p "$NNTPS_PORT"
	start_innd
	wait_listen "$TLS_ADDR:$NNTP_PORT" "$TLS_ADDR:$NNTPS_PORT" "$NOTLS_ADDR:$NNTP_PORT"
	log "INN $(dpkg-query -W -f='${Version}' inn2 2>/dev/null || echo '?') started:" \
		"nnrpd $TLS_ADDR:$NNTP_PORT (STARTTLS), nnrpd -S $TLS_ADDR:$NNTPS_PORT (implicit TLS)," \
		"innd $NOTLS_ADDR:$NNTP_PORT (no TLS)"
}

# innd first with `ctlinnd shutdown` (its own way; it does not act on
# SIGTERM at once), then SIGTERM to each daemon by PID (from its pid file,
# only if it is what it should be), waits for it and its children (SIGKILL
# by PID after 10 s), then checks that none of them still listens
# (stop_masters).
stop_servers()
{
	local name pid masters=()
	for name in "${STARTED[@]}"; do
		pid=$(instance_masters "$(inst_comm "$name")" "$name")
		[ -n "$pid" ] || continue
		masters+=("$pid")
		if [ "$name" = innd ]; then
			as_news "$(inst_conf innd)" "$INN_BIN/ctlinnd" -s -t 10 shutdown "tlswatch lab done" ||
				log "ctlinnd shutdown failed; innd gets SIGTERM"
		fi
	done
	STARTED=()
	stop_masters TERM INN "${masters[@]}"
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main (and the servers' above).

# Debian's innd, if it runs (its pid file, and the process is an innd).
debian_innd_pid()
{
	pidfile_pid /run/news/innd.pid innd
}

# Stops Debian's innd by its PID if the install started it after all.
stop_debian_innd()
{
	local pid=$1
	log "the inn2 package started Debian's innd (pid $pid); stopping it"
	setpriv --reuid "$NEWS_USER" --regid "$NEWS_GROUP" --init-groups \
		"$INN_BIN/ctlinnd" -s -t 10 shutdown "tlswatch record-nntp" || kill -TERM "$pid" 2>/dev/null || true
	wait_gone "Debian's innd" "$pid"
}

# Debian starts a package's service when it is installed; its innd would
# listen on every address, port 119 included: install_packages keeps every
# service from starting (policy-rc.d), and an innd that starts all the same
# is stopped.
install_deps()
{
	local before after hosts
	before=$(debian_innd_pid)
	# inn2's postinst runs innconfval, which fails ("hostname does not resolve
	# or domain not set in inn.conf") on a machine whose name has no domain,
	# and then asks `hostname --fqdn`. So apt-get runs with the host name
	# news.tlswatch.test in a UTS namespace of its own, a copy of /etc/hosts
	# naming it bound over /etc/hosts in a mount namespace of its own
	# (APT_PREFIX): the package configures, /etc/news is left as Debian ships
	# it, and that name is never asked of DNS. Without namespaces, inn2 needs
	# a host name with a domain to configure.
	hosts=$WORK/install-hosts
	cp /etc/hosts "$hosts"
	printf '127.0.1.1\t%s\n' "$SERVER_NAME" >>"$hosts"
	chmod 0644 "$hosts"
	ns_cmd "$SERVER_NAME" "$hosts"
	APT_PREFIX=("${NS_CMD[@]}")
	install_packages "${PACKAGES[@]}"
	after=$(debian_innd_pid)
	if [ -n "$after" ] && [ "$after" != "$before" ]; then
		stop_debian_innd "$after"
	fi
}

check_tools()
{
	local t
	for t in nnrpd innd ctlinnd tdx-util makedbz auth/passwd/ckpasswd; do
		[ -x "$INN_BIN/$t" ] || die "$INN_BIN/$t missing (Debian package inn2)"
	done
	for t in tcpdump setpriv openssl ss; do
		command -v "$t" >/dev/null || die "$t missing"
	done
	"$DEB_PYTHON" -W ignore -c 'import nntplib, ssl' 2>/dev/null ||
		die "$DEB_PYTHON has no nntplib or ssl (Debian 12's python3 3.11 has both)"
	id "$NEWS_USER" >/dev/null 2>&1 || die "no user $NEWS_USER (created by inn2)"
}

recorder_main "$@"

#!/usr/bin/env bash
# tools/record-sieve-lmtp.sh — records the ManageSieve and LMTP captures in
# pcaps/ (sieve-*.pcap, lmtp-*.pcap) from a real Dovecot 2.3 with Pigeonhole
# from Debian (dovecot-managesieved, dovecot-lmtpd, dovecot-sieve), started
# by this script as its own instances with a configuration in a private root
# (never /etc), and real clients (sieve-connect, python3-sievelib through
# tools/lab/clients/sieveclient.py, swaks), all on loopback. Must run as root
# (or through sudo).
#
#   tools/record-sieve-lmtp.sh              record every capture of this set
#   tools/record-sieve-lmtp.sh NAME...      only these (e.g. sieve-starttls)
#   tools/record-sieve-lmtp.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-sieve-lmtp-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, without starting
# Debian's own dovecot service).
#
# Servers (tools/lab/dovecot/sieve-lmtp.conf.in, one instance each):
#   dovecot "tlswatch-sieve"        127.0.0.1:4190 ManageSieve, STARTTLS offered
#                                   127.0.0.1:24   LMTP, STARTTLS offered
#   dovecot "tlswatch-sieve-nossl"  127.0.0.2:4190 ManageSieve, ssl = no
# Both allow PLAIN/LOGIN in cleartext (disable_plaintext_auth = no), take the
# lab's users (tools/lab/dovecot/users) and a fresh certificate from
# tools/lab/gen-cert.sh, and share one mail root where alice's Sieve script
# "tlswatch-lab" is stored and active before the first capture (so that every
# capture has the same content whatever the order). LMTP runs it on delivery.
# Each instance runs in UTS and mount namespaces of its own: host name
# mail.tlswatch.test, and a private /etc/hosts bound over the real one inside
# the namespace only, which answers Dovecot's look-up of its own name (no DNS
# query leaves the machine; /etc is never written). The clients get
# addresses, never names (sieve-connect --nosrv: no SRV look-up).
#
# Each capture is one rec_NAME function: tcpdump on lo with a filter on the
# server's address and port, one client, stop. The file must hold complete
# TCP sessions (SYN to FIN, cap_verify from tools/lab/capture.sh) and show
# in cleartext what its name says (check_content below) before it is moved
# into the output directory. Both Dovecot instances are stopped by PID from
# the EXIT trap, which then checks with `ss -ltnp` that nothing of theirs
# still listens. Bytes differ between runs (keys, timestamps, ports,
# Dovecot's session ids); content does not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-sieve-lmtp-rec
MARKER=.tlswatch-sieve-lmtp
# sievelib is a Debian package: Debian's python, not whatever python3 is first in PATH.
DEB_PYTHON=/usr/bin/python3
MAIL_UID=65534
MAIL_GID=65534

TLS_ADDR=127.0.0.1  # instance with ssl = yes: ManageSieve and LMTP
NOSSL_ADDR=127.0.0.2  # instance with ssl = no: ManageSieve only
SIEVE_PORT=4190
LMTP_PORT=24
# The man in the middle of the downgrade-sieve-* captures (tools/lab/mitm.py,
# record-lib.sh's proxied) listens here and relays to the TLS instance.
MITM_ADDR=127.0.0.30
PYTHON=$DEB_PYTHON
INSTANCES=(tls nossl)
STARTED=()

# Lab users (tools/lab/dovecot/users); documented in pcaps/README.md.
ALICE_PW=AlicePass2024
WRONG_PW=WrongPass999

CAPTURES=(
	sieve-starttls sieve-cleartext-login sieve-login-failed sieve-no-starttls
	lmtp-starttls lmtp-cleartext
	downgrade-sieve-strip downgrade-sieve-mask downgrade-sieve-refuse
	downgrade-sieve-accept-no-tls downgrade-sieve-response-injection
)

PACKAGES=(dovecot-core dovecot-managesieved dovecot-sieve dovecot-lmtpd sieve-connect
	python3 python3-sievelib swaks libnet-ssleay-perl libio-socket-inet6-perl openssl
	tcpdump tshark iproute2 util-linux)

# ---------------------------------------------------------------- clients
# run_client: tools/lab/record-lib.sh.

# sieve-connect (it always sends STARTTLS when the server offers it) with the
# lab's CA file and name; runs the commands of file $1 (--exec), the
# password comes on fd 5. --nosrv: no DNS look-up, ever.
lab_sieve_connect()
{
	local server=$1 cmds=$2
	shift 2
	run_client timeout 30 sieve-connect --nosrv --server "$server" --port "$SIEVE_PORT" \
		--user alice --passwordfd 5 --authmech PLAIN \
		--tlscafile "$ROOT/tls/cert.pem" --tlshostname mail.tlswatch.test \
		"$@" --exec "$cmds" 5<<<"$ALICE_PW"
}

# python3-sievelib: AUTHENTICATE "PLAIN" "<base64>" without STARTTLS.
lab_sieveclient()
{
	run_client timeout 30 "$DEB_PYTHON" "$LAB/clients/sieveclient.py" "$@"
}

# ------------------------------------------------------------ downgrades
# Through the proxy, with sievelib as an opportunistic client (STARTTLS when
# listed and accepted, else AUTHENTICATE in cleartext).

lab_sieve_victim()
{
	lab_sieveclient $MITM_ADDR "$SIEVE_PORT" --user alice --password "$ALICE_PW" \
		--opportunistic
}

# The first session through unchanged (STARTTLS, TLS), the second without
# "STARTTLS" in the greeting: the login goes in cleartext.
rec_downgrade-sieve-strip()
{
	proxied sieve "$SIEVE_PORT" "$TLS_ADDR:$SIEVE_PORT" pass,strip 2 "$1"
	lab_sieve_victim
	lab_sieve_victim
	proxied_end
	expect_log 'tls: TLSv1'
	expect_log 'STARTTLS not offered'
}

rec_downgrade-sieve-mask()
{
	proxied sieve "$SIEVE_PORT" "$TLS_ADDR:$SIEVE_PORT" mask 1 "$1"
	lab_sieve_victim
	proxied_end
	expect_log 'STARTTLS not offered'
}

# The proxy answers STARTTLS as Dovecot without TLS does.
rec_downgrade-sieve-refuse()
{
	proxied sieve "$SIEVE_PORT" "$TLS_ADDR:$SIEVE_PORT" refuse 1 "$1"
	lab_sieve_victim
	proxied_end
	expect_log 'STARTTLS refused'
}

# The proxy says OK to STARTTLS and answers the ClientHello with Dovecot's
# reply to garbage: sievelib's handshake fails.
rec_downgrade-sieve-accept-no-tls()
{
	proxied sieve "$SIEVE_PORT" "$TLS_ADDR:$SIEVE_PORT" accept-no-tls 1 "$1"
	expect_fail 'SSL|ssl' "$DEB_PYTHON" "$LAB/clients/sieveclient.py" $MITM_ADDR "$SIEVE_PORT" \
		--user alice --password "$ALICE_PW" --opportunistic
	proxied_end
}

# 'OK "injected"' in the segment of the go-ahead: sievelib keeps it, takes
# it inside TLS as the end of the capability list, finds no SASL and gives up.
rec_downgrade-sieve-response-injection()
{
	proxied sieve "$SIEVE_PORT" "$TLS_ADDR:$SIEVE_PORT" inject-response 1 "$1"
	expect_fail 'SASL not supported' "$DEB_PYTHON" "$LAB/clients/sieveclient.py" $MITM_ADDR \
		"$SIEVE_PORT" --user alice --password "$ALICE_PW" --opportunistic
	proxied_end
}

# swaks with the lab's fixed identity and a tiny message, LMTP; extra args follow.
lab_swaks_lmtp()
{
	run_client timeout 30 swaks --protocol LMTP --server "$TLS_ADDR" --port "$LMTP_PORT" \
		"${SWAKS_ARGS[@]}" "$@"
}

# ----------------------------------------------------------- ManageSieve

# sieve-connect: capabilities (STARTTLS listed), STARTTLS, OK, TLS 1.3, then
# (encrypted) capabilities again, AUTHENTICATE PLAIN, PUTSCRIPT, SETACTIVE,
# LISTSCRIPTS, LOGOUT.
rec_sieve-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$SIEVE_PORT")"
	lab_sieve_connect "$TLS_ADDR" "$ROOT/sieve/starttls.cmds"
	cap_stop
}

# sievelib, no STARTTLS although offered: AUTHENTICATE "PLAIN" "..." in
# cleartext, OK "Logged in.", LISTSCRIPTS, LOGOUT.
rec_sieve-cleartext-login()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$SIEVE_PORT")"
	lab_sieveclient "$TLS_ADDR" "$SIEVE_PORT" --user alice --password "$ALICE_PW"
	cap_stop
}

# The same with the wrong password: NO "Authentication failed." (after
# Dovecot's 2 s failure delay), LOGOUT.
rec_sieve-login-failed()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$SIEVE_PORT")"
	lab_sieveclient "$TLS_ADDR" "$SIEVE_PORT" --user alice --password "$WRONG_PW" --expect-fail
	cap_stop
}

# sieve-connect to the instance without ssl: no STARTTLS in the
# capabilities; --clearchan lets it go on in cleartext (it sends the PLAIN
# initial response as a literal: AUTHENTICATE "PLAIN" {28+}), LISTSCRIPTS, LOGOUT.
rec_sieve-no-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$NOSSL_ADDR" "$SIEVE_PORT")"
	lab_sieve_connect "$NOSSL_ADDR" "$ROOT/sieve/list.cmds" --clearchan
	cap_stop
}

# ------------------------------------------------------------------ LMTP

# swaks --tls: LHLO (lists STARTTLS), STARTTLS, 220, TLS 1.3, then LHLO,
# MAIL, RCPT, DATA, QUIT encrypted; Dovecot delivers to alice's INBOX.
rec_lmtp-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LMTP_PORT")"
	lab_swaks_lmtp --tls --tls-sni mail.tlswatch.test
	cap_stop
}

# swaks without --tls: LHLO lists STARTTLS, the mail goes in cleartext.
rec_lmtp-cleartext()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LMTP_PORT")"
	lab_swaks_lmtp
	cap_stop
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line (check_cleartext): the cleartext part says what
# the name says, and nothing that belongs inside TLS is in the clear.
content_rules()
{
	case "$1" in
	downgrade-sieve-strip | downgrade-sieve-mask | downgrade-sieve-refuse)
		cat <<-'EOF'
			+AUTHENTICATE "PLAIN"
			+OK "Logged in."
		EOF
		[ "$1" != downgrade-sieve-mask ] || echo '+"XXXXXXXX"'
		[ "$1" != downgrade-sieve-refuse ] || echo "+NO \"TLS support isn't enabled.\""
		;;
	downgrade-sieve-accept-no-tls)
		cat <<-'EOF'
			+OK "Begin TLS negotiation now."
			+NO "Error in MANAGESIEVE command received by server."
			-AUTHENTICATE
		EOF
		;;
	downgrade-sieve-response-injection)
		cat <<-'EOF'
			+OK "Begin TLS negotiation now."
			+OK "injected"
			-AUTHENTICATE
		EOF
		;;
	sieve-starttls)
		cat <<-'EOF'
			+"IMPLEMENTATION" "Dovecot (Debian) Pigeonhole"
			+"STARTTLS"
			+OK "mail.tlswatch.test ready (tlswatch-lab)"
			+STARTTLS
			+OK "Begin TLS negotiation now."
			-AUTHENTICATE
			-PUTSCRIPT
			-Logged in
		EOF
		;;
	sieve-cleartext-login)
		cat <<-'EOF'
			+"STARTTLS"
			+"SASL" "PLAIN LOGIN"
			+AUTHENTICATE "PLAIN" "AGFsaWNlAEFsaWNlUGFzczIwMjQ="
			+OK "Logged in."
			+LISTSCRIPTS
			+"tlswatch-lab" ACTIVE
			+LOGOUT
			+OK "Logout completed."
			-Begin TLS
		EOF
		;;
	sieve-login-failed)
		cat <<-'EOF'
			+"STARTTLS"
			+AUTHENTICATE "PLAIN" "AGFsaWNlAFdyb25nUGFzczk5OQ=="
			+NO "Authentication failed."
			+LOGOUT
			-Logged in
			-Begin TLS
		EOF
		;;
	sieve-no-starttls)
		cat <<-'EOF'
			+"SASL" "PLAIN LOGIN"
			+AUTHENTICATE "PLAIN" {28+}
			+AGFsaWNlAEFsaWNlUGFzczIwMjQ=
			+OK "Logged in."
			+LISTSCRIPTS
			+"tlswatch-lab" ACTIVE
			+LOGOUT
			-STARTTLS
		EOF
		;;
	lmtp-starttls)
		cat <<-'EOF'
			+220 mail.tlswatch.test mail.tlswatch.test ready (tlswatch-lab)
			+LHLO client.tlswatch.test
			+250 STARTTLS
			+220 2.0.0 Begin TLS negotiation now.
			-MAIL FROM
			-Saved
		EOF
		;;
	lmtp-cleartext)
		cat <<-'EOF'
			+LHLO client.tlswatch.test
			+250 STARTTLS
			+MAIL FROM:<sender@client.tlswatch.test>
			+RCPT TO:<alice@tlswatch.test>
			+Subject: tlswatch lab
			+Saved
			+221 2.0.0 Bye
			-Begin TLS
		EOF
		;;
	esac
}

# One complete TCP session (two per victim connection through the proxy,
# where an attack may end with a reset), and the content rules.
verify_capture()
{
	case "$1" in
	downgrade-sieve-strip) cap_verify_streams "$2" 4 ;;
	downgrade-*) cap_verify_streams "$2" 2 ;;
	*) cap_verify "$2" 1 ;;
	esac && check_cleartext "$1" "$2" < <(content_rules "$1")
}

# ---------------------------------------------------------------- servers

inst_dir()
{
	echo "$ROOT/dovecot-$1"
}

# The pid of instance $1's master from its pid file, while it runs.
inst_pid()
{
	pidfile_pid "$(inst_dir "$1")/run/master.pid"
}

prepare_root()
{
	claim_root "${INSTANCES[@]}"
	rm -rf "$ROOT/tls" "$ROOT/mail" "$ROOT/sieve" "$ROOT/dovecot-tls" "$ROOT/dovecot-nossl" "$ROOT/users" \
		"$ROOT/hosts"
	"$LAB/gen-cert.sh" "$ROOT/tls"
	install -m 0640 -o root -g dovecot "$LAB/dovecot/users" "$ROOT/users"
	write_hosts "$ROOT/hosts" mail.tlswatch.test

	# alice's Sieve script, stored and active before the first capture.
	mkdir -p "$ROOT/sieve" "$ROOT/mail/alice/sieve"
	cat >"$ROOT/sieve/tlswatch-lab.sieve" <<-'EOF'
		require "fileinto";
		# tlswatch capture lab: keep the lab's test messages in INBOX.
		if header :contains "subject" "tlswatch lab" {
		  keep;
		  stop;
		}
	EOF
	cp "$ROOT/sieve/tlswatch-lab.sieve" "$ROOT/mail/alice/sieve/tlswatch-lab.sieve"
	ln -s sieve/tlswatch-lab.sieve "$ROOT/mail/alice/.dovecot.sieve"
	chown -R -h "$MAIL_UID:$MAIL_GID" "$ROOT/mail"
	# sieve-connect command files (--exec).
	printf 'upload %s tlswatch-lab\nactivate tlswatch-lab\nlist\nquit\n' \
		"$ROOT/sieve/tlswatch-lab.sieve" >"$ROOT/sieve/starttls.cmds"
	printf 'list\nquit\n' >"$ROOT/sieve/list.cmds"
}

# Starts one instance: inst_start NAME ADDR SSL PROTOCOLS
inst_start()
{
	local name=$1 addr=$2 ssl=$3 protocols=$4 dir
	dir=$(inst_dir "$name")
	mkdir -p "$dir/run" "$dir/state"
	chmod 0755 "$dir" "$dir/run"
	sed -e "s|@DOV@|$dir|g" -e "s|@TLS@|$ROOT/tls|g" -e "s|@MAIL@|$ROOT/mail|g" \
		-e "s|@MAIL_UID@|$MAIL_UID|g" -e "s|@MAIL_GID@|$MAIL_GID|g" -e "s|@USERS@|$ROOT/users|g" \
		-e "s|@LISTEN@|$addr|g" -e "s|@INSTANCE@|tlswatch-sieve-$name|g" -e "s|@SSL@|$ssl|g" \
		-e "s|@PROTOCOLS@|$protocols|g" "$LAB/dovecot/sieve-lmtp.conf.in" >"$dir/dovecot.conf"
	STARTED+=("$name")
	# As tools/lab/lab.sh: its own UTS namespace named mail.tlswatch.test
	# when allowed, so the recording machine's name is in no greeting. Dovecot
	# resolves its host name when it starts: a mount namespace of its own with
	# a private /etc/hosts (bind mount, seen by Dovecot only) answers that, so
	# no DNS query leaves the machine.
	ns_cmd mail.tlswatch.test "$ROOT/hosts"
	"${NS_CMD[@]}" dovecot -c "$dir/dovecot.conf" || die "dovecot $name did not start (see $dir/dovecot.log)"
}

start_servers()
{
	# Refuses to start when anything (Debian's own dovecot, another run of
	# this script) already listens on a port this set needs, on any address.
	check_ports_free "$SIEVE_PORT" "$LMTP_PORT"
	prepare_root
	inst_start tls "$TLS_ADDR" yes "sieve lmtp"
	inst_start nossl "$NOSSL_ADDR" no "sieve"
	wait_listen "$TLS_ADDR:$SIEVE_PORT" "$TLS_ADDR:$LMTP_PORT" "$NOSSL_ADDR:$SIEVE_PORT"
	log "dovecot $(dovecot --version | cut -d' ' -f1) started: ManageSieve $TLS_ADDR:$SIEVE_PORT" \
		"(STARTTLS), LMTP $TLS_ADDR:$LMTP_PORT (STARTTLS), ManageSieve $NOSSL_ADDR:$SIEVE_PORT (no TLS)"
}

# SIGTERM to each master by PID (from its pid file, only if it is a dovecot),
# waits for it and its children (SIGKILL by PID after 10 s), then checks
# that none of them still listens (stop_masters).
stop_servers()
{
	local masters
	mapfile -t masters < <(instance_masters dovecot "${STARTED[@]}")
	STARTED=()
	stop_masters TERM dovecot "${masters[@]}"
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main (and the servers' above).

# Debian's own dovecot would listen on every address, 4190 included:
# install_packages keeps it from starting (policy-rc.d).
install_deps()
{
	install_packages "${PACKAGES[@]}"
}

recorder_main "$@"

#!/usr/bin/env bash
# tools/record-downgrades.sh — records pcaps/downgrade-*.pcap: downgrade,
# stripping and injection attacks made by a real man-in-the-middle
# (tools/lab/mitm.py) between real clients (swaks, curl, openssl s_client,
# Python's poplib, a Postfix that relays with opportunistic TLS) and the real
# servers of the capture lab (tools/lab/lab.sh), all on loopback. Also the
# STARTTLS command injection made by a raw client (tools/lab/inject-client.py)
# straight to the lab's servers. Must run as root (or through sudo).
#
#   tools/record-downgrades.sh              record every capture of this set
#   tools/record-downgrades.sh NAME...      only these (e.g. downgrade-smtp-strip)
#   tools/record-downgrades.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (lab root, default
# /tmp/tlswatch-lab-downgrades), --no-install (skip tools/install-deps.sh).
#
# Addresses: the proxy listens on 127.0.0.10 (ports 25, 143, 110, 465) and
# connects to the lab's servers (127.0.0.1:25/143/110) from 127.0.0.10 too,
# so the filter `tcp and host 127.0.0.10` records both sides of it: the
# victim's connection (127.0.0.1 or 127.0.0.20 -> 127.0.0.10) and the
# proxy's connection to the server (127.0.0.10 -> 127.0.0.1). The relaying
# Postfix of downgrade-smtp-tls-fallback sends from 127.0.0.20.
#
# Each capture is one rec_NAME function: it starts tcpdump, the proxy (one
# mode per connection, exiting after the expected number of connections),
# runs the client(s), waits for the proxy to finish and stops the capture.
# The file is then checked for complete TCP sessions (cap_verify_streams)
# before it is moved into the output directory. Everything this script
# starts (lab, proxy, relaying Postfix, tcpdump) is stopped by PID from the
# EXIT trap. pcaps/README.md ("Downgrade and injection captures") says what
# each capture holds and what tlswatch must report for it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-lab-downgrades
WORK_TEMPLATE=/tmp/tlswatch-rec-dg.XXXXXX
PYTHON=${PYTHON:-python3}
MITM_ADDR=127.0.0.10
RELAY_ADDR=127.0.0.20
SERVER_ADDR=127.0.0.1  # the lab's servers: upstream of the proxy (proxied, record-lib.sh)
SENDER=""
SENDER_PID=""
ALICE_PW=AlicePass2024

CAPTURES=(
	downgrade-smtp-strip downgrade-smtp-strip-late downgrade-smtp-mask downgrade-smtp-mask-command
	downgrade-smtp-refuse downgrade-smtp-accept-no-tls downgrade-smtp-tls-fallback
	downgrade-smtp-tls-fallback-no-tls
	downgrade-smtp-response-injection downgrade-smtp-command-injection
	downgrade-smtp-command-injection-split downgrade-smtp-465-plaintext
	downgrade-smtp-weak-tls
	downgrade-imap-strip downgrade-imap-mask downgrade-imap-refuse
	downgrade-imap-accept-no-tls downgrade-imap-response-injection
	downgrade-imap-preauth downgrade-imap-command-injection
	downgrade-pop3-strip downgrade-pop3-mask downgrade-pop3-refuse
	downgrade-pop3-accept-no-tls downgrade-pop3-response-injection
)

# ---------------------------------------------------------------- clients
# run_client and expect_fail (CMD must fail: the victim noticed the attack,
# or the attack broke the session as planned): tools/lab/record-lib.sh.

# swaks as in tools/record-pcaps.sh (SWAKS_ARGS), as an opportunistic
# client: it uses STARTTLS when offered and goes on in cleartext when
# STARTTLS is missing or refused (--tls-optional).
victim_swaks()
{
	run_client swaks "${SWAKS_ARGS[@]}" --server $MITM_ADDR --port 25 \
		--tls-optional --tls-sni mail.tlswatch.test
}

# curl with --ssl is opportunistic too: STARTTLS/STLS when offered, the
# login in cleartext when it is not (or is refused). PLAIN, so the password
# crosses the wire as in pcaps/imap-authenticate-plain-sasl-ir.pcap.
curl_args()
{
	local proto=$1 port=$2
	echo "-sS -v --max-time 20 --ssl -k --resolve mail.tlswatch.test:$port:$MITM_ADDR"
	echo "--login-options AUTH=PLAIN -u alice:$ALICE_PW $proto://mail.tlswatch.test:$port/"
}

victim_curl()
{
	# shellcheck disable=SC2046
	run_client curl $(curl_args "$@")
}

victim_curl_fails()
{
	local pattern=$1
	shift
	# shellcheck disable=SC2046
	expect_fail "$pattern" curl $(curl_args "$@")
}

# ------------------------------------------------- relaying Postfix (sender)

# A second, private Postfix with an SMTP client: it relays everything to
# [127.0.0.10]:25 (the proxy) with opportunistic TLS, from 127.0.0.20. No DNS,
# no local delivery, no listener: only the proxy can be reached. Mail whose
# Subject starts with "tlswatch fallback" is put on hold when it arrives, so
# that it has waited longer than minimal_backoff_time (1 s) when it is
# released: then Postfix retries without TLS right after a failed handshake
# (otherwise the first attempt is deferred and only a later one falls back).
sender_start()
{
	local dir=$SENDER
	[ -z "$SENDER_PID" ] || return 0
	mkdir -p "$dir/etc" "$dir/spool" "$dir/data"
	chmod 0755 "$WORK" "$dir"
	chown postfix:postfix "$dir/data"
	cat >"$dir/etc/main.cf" <<-EOF
		# tlswatch capture lab: relaying Postfix for downgrade-smtp-tls-fallback
		compatibility_level = 3.6
		queue_directory = $dir/spool
		data_directory = $dir/data
		daemon_directory = /usr/lib/postfix/sbin
		command_directory = /usr/sbin
		meta_directory = /etc/postfix
		shlib_directory = /usr/lib/postfix
		mail_owner = postfix
		setgid_group = postdrop
		maillog_file = $dir/maillog
		maillog_file_prefixes = $dir
		myhostname = client.tlswatch.test
		mydomain = client.tlswatch.test
		myorigin = \$mydomain
		mydestination =
		inet_interfaces = loopback-only
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		biff = no
		alias_maps =
		alias_database =
		local_transport = error:lab: local delivery disabled
		default_transport = smtp
		relay_transport = smtp
		relayhost = [$MITM_ADDR]:25
		smtp_bind_address = $RELAY_ADDR
		smtp_helo_name = client.tlswatch.test
		smtp_dns_support_level = disabled
		smtp_tls_security_level = may
		smtp_tls_loglevel = 1
		smtp_connection_cache_on_demand = no
		minimal_backoff_time = 1s
		maximal_backoff_time = 2s
		queue_run_delay = 1s
		header_checks = regexp:$dir/etc/header_checks
	EOF
	echo '/^Subject: tlswatch fallback/ HOLD queued long enough for a plaintext fallback' \
		>"$dir/etc/header_checks"
	cat >"$dir/etc/master.cf" <<-'EOF'
		# tlswatch capture lab: relaying Postfix, internal services and the SMTP client only
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		tlsmgr    unix  -       -       n       1000?   1       tlsmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		flush     unix  n       -       n       1000?   0       flush
		proxymap  unix  -       -       n       -       -       proxymap
		showq     unix  n       -       n       -       -       showq
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		smtp      unix  -       -       n       -       -       smtp
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
	touch "$dir/maillog"
	postfix -c "$dir/etc" start >"$dir/start.log" 2>&1 ||
		{ cat "$dir/start.log" "$dir/maillog" >&2; die "the relaying postfix did not start"; }
	wait_until test -s "$dir/spool/pid/master.pid" || die "the relaying postfix wrote no pid file"
	SENDER_PID=$(tr -dc '0-9' <"$dir/spool/pid/master.pid")
}

# Stops the relaying postfix (its master by PID, if it still is one, with
# all its children).
sender_stop()
{
	local pid=$SENDER_PID
	SENDER_PID=""
	if [ -n "$pid" ] && pid_is "$pid" master; then
		stop_masters TERM "relaying postfix" "$pid"
	fi
}

sender_submit()
{
	printf '%s\n' "From: sender@client.tlswatch.test" "To: alice@tlswatch.test" \
		"Subject: tlswatch fallback" "Message-Id: <fallback@client.tlswatch.test>" "" \
		"small test message" |
		sendmail -C "$SENDER/etc" -f sender@client.tlswatch.test alice@tlswatch.test
}

# True once the relaying postfix holds the message (queue id marked "!").
sender_on_hold()
{
	postqueue -c "$SENDER/etc" -p | grep -q '^[0-9A-F]*!'
}

# --------------------------------------------------------------- SMTP set

rec_downgrade-smtp-strip()
{
	proxied smtp 25 $SERVER_ADDR:25 pass,strip 2 "$1"
	victim_swaks
	victim_swaks
	proxied_end
	grep -q 'Host did not advertise STARTTLS' "$WORK/$CUR.log" ||
		die "$CUR: the second session was not stripped"
}

# The stripped session first, the clean one after it: the evidence that the
# first session was stripped arrives after it has been reported.
rec_downgrade-smtp-strip-late()
{
	proxied smtp 25 $SERVER_ADDR:25 strip,pass 2 "$1"
	victim_swaks
	victim_swaks
	proxied_end
}

rec_downgrade-smtp-mask()
{
	proxied smtp 25 $SERVER_ADDR:25 mask 1 "$1"
	victim_swaks
	proxied_end
}

rec_downgrade-smtp-mask-command()
{
	proxied smtp 25 $SERVER_ADDR:25 mask-command 1 "$1"
	victim_swaks
	proxied_end
}

rec_downgrade-smtp-refuse()
{
	proxied smtp 25 $SERVER_ADDR:25 refuse 1 "$1"
	victim_swaks
	proxied_end
}

rec_downgrade-smtp-accept-no-tls()
{
	proxied smtp 25 $SERVER_ADDR:25 accept-no-tls 1 "$1"
	expect_fail 'wrong version number' swaks "${SWAKS_ARGS[@]}" --server $MITM_ADDR --port 25 \
		--tls-optional --tls-sni mail.tlswatch.test
	proxied_end
}

rec_downgrade-smtp-tls-fallback()
{
	sender_fallback break-tls "$1"
}

# The same, but the proxy says 220 to STARTTLS itself and answers the
# ClientHello in cleartext (issue 10: the broken upgrade is the failed
# attempt the cleartext retry falls back from).
rec_downgrade-smtp-tls-fallback-no-tls()
{
	sender_fallback accept-no-tls "$1"
}

# sender_fallback MODE FILE: the relaying Postfix's held mail is released
# through the proxy, whose first connection has MODE and the second passes.
sender_fallback()
{
	sender_start
	proxied smtp 25 $SERVER_ADDR:25 "$1",pass 2 "$2"
	run_client sender_submit
	wait_until sender_on_hold || die "$CUR: the message was not put on hold"
	sleep 2
	run_client postsuper -c "$SENDER/etc" -H ALL
	run_client postqueue -c "$SENDER/etc" -f
	proxied_end
	cat "$SENDER/maillog" >>"$WORK/$CUR.log"
	if ! grep -q 'Cannot start TLS: handshake failure' "$SENDER/maillog" ||
		! grep -q 'status=sent' "$SENDER/maillog"; then
		cat "$SENDER/maillog" >&2
		die "$CUR: postfix did not fall back to plaintext after the failed handshake"
	fi
	: >"$SENDER/maillog"
}

# swaks keeps the injected line and takes it as the answer to its EHLO
# inside TLS, so every later answer is one behind and the DATA fails.
rec_downgrade-smtp-response-injection()
{
	proxied smtp 25 $SERVER_ADDR:25 inject-response 1 "$1"
	expect_fail '<~  250 injected' swaks "${SWAKS_ARGS[@]}" --server $MITM_ADDR --port 25 \
		--tls-optional --tls-sni mail.tlswatch.test
	proxied_end
}

# Straight to the lab's postfix, no proxy: postfix discards the pipelined RSET.
rec_downgrade-smtp-command-injection()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 25'
	run_client "$PYTHON" "$LAB/inject-client.py" --server 127.0.0.1 --port 25
	cap_stop
}

# The RSET in its own segment is discarded only when postfix read it
# together with STARTTLS; when postfix read STARTTLS alone, the RSET is read
# by its TLS engine and the handshake fails (exit status 4): try again.
rec_downgrade-smtp-command-injection-split()
{
	local try rc
	for try in 1 2 3 4 5 6 7 8 9 10; do
		cap_start "$1" lo 'tcp and host 127.0.0.1 and port 25'
		rc=0
		"$PYTHON" "$LAB/inject-client.py" --server 127.0.0.1 --port 25 --split \
			>>"$WORK/$CUR.log" 2>&1 || rc=$?
		cap_stop
		[ $rc -eq 0 ] && return 0
		[ $rc -eq 4 ] || client_die "inject-client failed (exit status $rc)"
		log "$CUR: postfix read the RSET after STARTTLS alone (try $try); again"
		rm -f "$1"
	done
	die "$CUR: the race never went the planned way"
}

# A cleartext SMTP listener on the implicit-TLS port 465 (the proxy relays
# 127.0.0.10:465 to the lab's 127.0.0.1:25), and a client that speaks
# cleartext to it.
rec_downgrade-smtp-465-plaintext()
{
	proxied smtp 465 $SERVER_ADDR:25 pass 1 "$1"
	run_client swaks "${SWAKS_ARGS[@]}" --server $MITM_ADDR --port 465
	proxied_end
}

# The proxy terminates the victim's STARTTLS itself with TLS 1.0 and an
# anonymous suite; the victim is a legacy client that accepts both.
rec_downgrade-smtp-weak-tls()
{
	printf '%s\r\n' "EHLO client.tlswatch.test" "MAIL FROM:<sender@client.tlswatch.test>" \
		"RCPT TO:<alice@tlswatch.test>" "DATA" "Subject: tlswatch lab" "" \
		"small test message" "." "QUIT" >"$WORK/weak-tls.txt"
	proxied smtp 25 $SERVER_ADDR:25 weak-tls 1 "$1"
	run_client openssl s_client -starttls smtp -name client.tlswatch.test \
		-connect $MITM_ADDR:25 -servername mail.tlswatch.test -tls1 -cipher 'ALL:@SECLEVEL=0' \
		-quiet -nocommands <"$WORK/weak-tls.txt"
	proxied_end
	grep -q '^250 2.0.0 Ok: queued' "$WORK/$CUR.log" || client_die "the mail did not go through"
}

# --------------------------------------------------------------- IMAP set

rec_downgrade-imap-strip()
{
	proxied imap 143 $SERVER_ADDR:143 pass,strip 2 "$1"
	victim_curl imap 143
	victim_curl imap 143
	proxied_end
}

rec_downgrade-imap-mask()
{
	proxied imap 143 $SERVER_ADDR:143 mask 1 "$1"
	victim_curl imap 143
	proxied_end
}

rec_downgrade-imap-refuse()
{
	proxied imap 143 $SERVER_ADDR:143 refuse 1 "$1"
	victim_curl imap 143
	proxied_end
}

rec_downgrade-imap-accept-no-tls()
{
	proxied imap 143 $SERVER_ADDR:143 accept-no-tls 1 "$1"
	victim_curl_fails 'wrong version number' imap 143
	proxied_end
}

# curl (since 7.79, CVE-2021-22947) refuses a reply pipelined behind the
# go-ahead: it hangs up before its ClientHello.
rec_downgrade-imap-response-injection()
{
	proxied imap 143 $SERVER_ADDR:143 inject-response 1 "$1"
	victim_curl_fails 'Weird server reply' imap 143
	proxied_end
}

# curl believes the PREAUTH greeting: no STARTTLS, no login; the real
# server (not logged in) refuses the LIST that follows.
rec_downgrade-imap-preauth()
{
	proxied imap 143 $SERVER_ADDR:143 preauth 1 "$1"
	victim_curl_fails 'PREAUTH connection, already authenticated' imap 143
	proxied_end
}

# Straight to the lab's dovecot: it hands the pipelined "b NOOP" to its TLS
# engine, which fails; the connection is closed (exit status 4).
rec_downgrade-imap-command-injection()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 143'
	expect_fail 'TLS handshake failed' "$PYTHON" "$LAB/inject-client.py" --proto imap \
		--server 127.0.0.1 --port 143
	cap_stop
}

# --------------------------------------------------------------- POP3 set

rec_downgrade-pop3-strip()
{
	proxied pop3 110 $SERVER_ADDR:110 pass,strip 2 "$1"
	victim_curl pop3 110
	victim_curl pop3 110
	proxied_end
}

rec_downgrade-pop3-mask()
{
	proxied pop3 110 $SERVER_ADDR:110 mask 1 "$1"
	victim_curl pop3 110
	proxied_end
}

rec_downgrade-pop3-refuse()
{
	proxied pop3 110 $SERVER_ADDR:110 refuse 1 "$1"
	victim_curl pop3 110
	proxied_end
}

rec_downgrade-pop3-accept-no-tls()
{
	proxied pop3 110 $SERVER_ADDR:110 accept-no-tls 1 "$1"
	victim_curl_fails 'wrong version number' pop3 110
	proxied_end
}

# Python's poplib drops what it had buffered when it starts TLS: the
# injected line is lost and the session goes on inside TLS.
rec_downgrade-pop3-response-injection()
{
	proxied pop3 110 $SERVER_ADDR:110 inject-response 1 "$1"
	run_client "$PYTHON" "$LAB/clients/mailclient.py" pop3 $MITM_ADDR 110 --tls stls \
		--user alice --password "$ALICE_PW"
	proxied_end
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main.

# Number of TCP sessions in a capture: both sides of the proxy, per victim
# connection; one for the captures without a proxy.
capture_sessions()
{
	case "$1" in
	*-strip | *-strip-late | *-tls-fallback | *-tls-fallback-no-tls) echo 4 ;;
	*-command-injection | *-command-injection-split) echo 1 ;;
	*) echo 2 ;;
	esac
}

# One SYN per session, each ended by a FIN from both sides or by a RST (an
# attack often ends a session with a single reset).
verify_capture()
{
	cap_verify_streams "$2" "$(capture_sessions "$1")"
}

install_deps()
{
	mail_lab_install
}

start_servers()
{
	SENDER=$WORK/sender
	mail_lab_start
}

stop_servers()
{
	local rc=0
	sender_stop || rc=1
	mail_lab_stop || rc=1
	return $rc
}

recorder_main "$@"

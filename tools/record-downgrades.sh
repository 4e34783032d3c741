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
# The file is then checked for complete TCP sessions (dg_verify) before it
# is moved into the output directory. Everything this script
# starts (lab, proxy, relaying Postfix, tcpdump) is stopped by PID from the
# EXIT trap. pcaps/README.md ("Downgrade and injection captures") says what
# each capture holds and what tlswatch must report for it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/capture.sh
. "$LAB/capture.sh"

OUT=$REPO/pcaps
ROOT=/tmp/tlswatch-lab-downgrades
INSTALL=1
WORK=""
LAB_STARTED=0
PYTHON=${PYTHON:-python3}
MITM_ADDR=127.0.0.10
RELAY_ADDR=127.0.0.20
MITM_PID=""
SENDER=""
SENDER_PID=""
ALICE_PW=AlicePass2024

CAPTURES=(
	downgrade-smtp-strip downgrade-smtp-strip-late downgrade-smtp-mask downgrade-smtp-mask-command
	downgrade-smtp-refuse downgrade-smtp-accept-no-tls downgrade-smtp-tls-fallback
	downgrade-smtp-response-injection downgrade-smtp-command-injection
	downgrade-smtp-command-injection-split downgrade-smtp-465-plaintext
	downgrade-smtp-weak-tls
	downgrade-imap-strip downgrade-imap-mask downgrade-imap-refuse
	downgrade-imap-accept-no-tls downgrade-imap-response-injection
	downgrade-imap-preauth downgrade-imap-command-injection
	downgrade-pop3-strip downgrade-pop3-mask downgrade-pop3-refuse
	downgrade-pop3-accept-no-tls downgrade-pop3-response-injection
)

log()
{
	echo "record-downgrades: $*" >&2
}

# ---------------------------------------------------------------- clients

# Runs a client; its output goes to $WORK/$CUR.log. A failing client ends
# the run (the EXIT trap stops everything).
run_client()
{
	local rc=0
	"$@" >>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		cat "$WORK/$CUR.log" >&2
		log "$CUR: client failed (exit status $rc): $1"
		exit 1
	fi
}

# expect_fail REGEX CMD...: CMD must fail and its output match REGEX (the
# victim noticed the attack, or the attack broke the session as planned).
expect_fail()
{
	local pattern=$1 rc=0
	shift
	"$@" >>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -eq 0 ] || ! grep -qE "$pattern" "$WORK/$CUR.log"; then
		cat "$WORK/$CUR.log" >&2
		log "$CUR: expected a failure matching /$pattern/ (exit status $rc): $1"
		exit 1
	fi
}

# swaks as in tools/record-pcaps.sh, as an opportunistic client: it uses
# STARTTLS when offered and goes on in cleartext when STARTTLS is missing
# or refused (--tls-optional).
swaks_args=(--helo client.tlswatch.test --from sender@client.tlswatch.test --to alice@tlswatch.test
	--header "Subject: tlswatch lab" --header "Message-Id: <lab@client.tlswatch.test>"
	--body "small test message")

victim_swaks()
{
	run_client swaks "${swaks_args[@]}" --server $MITM_ADDR --port 25 \
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

# ---------------------------------------------------------------- proxy

# mitm_start PROTO LISTEN_PORT UPSTREAM_PORT MODES COUNT
mitm_start()
{
	local proto=$1 lport=$2 uport=$3 modes=$4 count=$5 tries=0
	rm -f "$WORK/mitm.ready"
	"$PYTHON" "$LAB/mitm.py" --listen "$MITM_ADDR:$lport" --upstream "127.0.0.1:$uport" \
		--proto "$proto" --modes "$modes" --count "$count" --timeout 60 \
		--ready "$WORK/mitm.ready" >>"$WORK/$CUR.mitm.log" 2>&1 &
	MITM_PID=$!
	until [ -f "$WORK/mitm.ready" ]; do
		tries=$((tries + 1))
		if [ $tries -ge 100 ] || ! kill -0 "$MITM_PID" 2>/dev/null; then
			cat "$WORK/$CUR.mitm.log" >&2
			log "$CUR: the proxy did not start"
			exit 1
		fi
		sleep 0.1
	done
}

# Waits for the proxy to exit on its own (it has handled COUNT connections),
# then checks how it went; after 60 s it is stopped by PID.
mitm_wait()
{
	local tries=0 rc=0
	[ -n "$MITM_PID" ] || return 0
	while kill -0 "$MITM_PID" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 600 ]; then
			log "$CUR: the proxy is still running after 60 s; stopping it"
			kill -TERM "$MITM_PID" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	wait "$MITM_PID" || rc=$?
	MITM_PID=""
	cat "$WORK/$CUR.mitm.log" >>"$WORK/$CUR.log"
	if [ $rc -ne 0 ] || grep -q 'Traceback' "$WORK/$CUR.mitm.log"; then
		cat "$WORK/$CUR.mitm.log" >&2
		log "$CUR: the proxy failed (exit status $rc)"
		exit 1
	fi
}

mitm_stop()
{
	[ -n "$MITM_PID" ] || return 0
	kill -TERM "$MITM_PID" 2>/dev/null || true
	wait "$MITM_PID" 2>/dev/null || true
	MITM_PID=""
}

# One proxied capture: proxied PROTO LPORT UPSTREAM MODES COUNT FILE, then the
# caller runs the clients and calls proxied_end.
proxied()
{
	local proto=$1 lport=$2 uport=$3 modes=$4 count=$5 file=$6
	cap_start "$file" lo "tcp and host $MITM_ADDR"
	mitm_start "$proto" "$lport" "$uport" "$modes" "$count"
}

proxied_end()
{
	mitm_wait
	cap_stop
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
	local dir=$SENDER tries=0
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
		{ cat "$dir/start.log" "$dir/maillog" >&2; log "the relaying postfix did not start"; exit 1; }
	until [ -s "$dir/spool/pid/master.pid" ]; do
		tries=$((tries + 1))
		[ $tries -lt 100 ] || { log "the relaying postfix wrote no pid file"; exit 1; }
		sleep 0.1
	done
	SENDER_PID=$(tr -dc '0-9' <"$dir/spool/pid/master.pid")
}

# All descendants of a pid, from /proc.
descendants()
{
	local parent=$1 p ppid
	for p in /proc/[0-9]*; do
		ppid=$(awk '/^PPid:/ {print $2}' "$p/status" 2>/dev/null) || continue
		if [ "$ppid" = "$parent" ]; then
			echo "${p#/proc/}"
			descendants "${p#/proc/}"
		fi
	done
}

sender_stop()
{
	local all p left tries=0
	[ -n "$SENDER_PID" ] || return 0
	if [ "$(cat "/proc/$SENDER_PID/comm" 2>/dev/null)" != master ]; then
		SENDER_PID=""
		return 0
	fi
	mapfile -t all < <(echo "$SENDER_PID"; descendants "$SENDER_PID")
	kill -TERM "$SENDER_PID" 2>/dev/null || true
	while :; do
		left=()
		for p in "${all[@]}"; do
			kill -0 "$p" 2>/dev/null && left+=("$p")
		done
		[ ${#left[@]} -eq 0 ] && break
		tries=$((tries + 1))
		if [ $tries -ge 100 ]; then
			log "relaying postfix still alive after 10 s, SIGKILL: ${left[*]}"
			kill -KILL "${left[@]}" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	SENDER_PID=""
}

sender_submit()
{
	printf '%s\n' "From: sender@client.tlswatch.test" "To: alice@tlswatch.test" \
		"Subject: tlswatch fallback" "Message-Id: <fallback@client.tlswatch.test>" "" \
		"small test message" |
		sendmail -C "$SENDER/etc" -f sender@client.tlswatch.test alice@tlswatch.test
}

# --------------------------------------------------------------- SMTP set

rec_downgrade-smtp-strip()
{
	proxied smtp 25 25 pass,strip 2 "$1"
	victim_swaks
	victim_swaks
	proxied_end
	grep -q 'Host did not advertise STARTTLS' "$WORK/$CUR.log" ||
		{ log "$CUR: the second session was not stripped"; exit 1; }
}

# The stripped session first, the clean one after it: the evidence that the
# first session was stripped arrives after it has been reported.
rec_downgrade-smtp-strip-late()
{
	proxied smtp 25 25 strip,pass 2 "$1"
	victim_swaks
	victim_swaks
	proxied_end
}

rec_downgrade-smtp-mask()
{
	proxied smtp 25 25 mask 1 "$1"
	victim_swaks
	proxied_end
}

rec_downgrade-smtp-mask-command()
{
	proxied smtp 25 25 mask-command 1 "$1"
	victim_swaks
	proxied_end
}

rec_downgrade-smtp-refuse()
{
	proxied smtp 25 25 refuse 1 "$1"
	victim_swaks
	proxied_end
}

rec_downgrade-smtp-accept-no-tls()
{
	proxied smtp 25 25 accept-no-tls 1 "$1"
	expect_fail 'wrong version number' swaks "${swaks_args[@]}" --server $MITM_ADDR --port 25 \
		--tls-optional --tls-sni mail.tlswatch.test
	proxied_end
}

rec_downgrade-smtp-tls-fallback()
{
	local tries=0
	sender_start
	proxied smtp 25 25 break-tls,pass 2 "$1"
	run_client sender_submit
	until postqueue -c "$SENDER/etc" -p | grep -q '^[0-9A-F]*!'; do
		tries=$((tries + 1))
		[ $tries -lt 100 ] || { log "$CUR: the message was not put on hold"; exit 1; }
		sleep 0.1
	done
	sleep 2
	run_client postsuper -c "$SENDER/etc" -H ALL
	run_client postqueue -c "$SENDER/etc" -f
	proxied_end
	cat "$SENDER/maillog" >>"$WORK/$CUR.log"
	if ! grep -q 'Cannot start TLS: handshake failure' "$SENDER/maillog" ||
		! grep -q 'status=sent' "$SENDER/maillog"; then
		cat "$SENDER/maillog" >&2
		log "$CUR: postfix did not fall back to plaintext after the failed handshake"
		exit 1
	fi
	: >"$SENDER/maillog"
}

# swaks keeps the injected line and takes it as the answer to its EHLO
# inside TLS, so every later answer is one behind and the DATA fails.
rec_downgrade-smtp-response-injection()
{
	proxied smtp 25 25 inject-response 1 "$1"
	expect_fail '<~  250 injected' swaks "${swaks_args[@]}" --server $MITM_ADDR --port 25 \
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
		if [ $rc -ne 4 ]; then
			cat "$WORK/$CUR.log" >&2
			log "$CUR: inject-client failed (exit status $rc)"
			exit 1
		fi
		log "$CUR: postfix read the RSET after STARTTLS alone (try $try); again"
		rm -f "$1"
	done
	log "$CUR: the race never went the planned way"
	exit 1
}

# A cleartext SMTP listener on the implicit-TLS port 465 (the proxy relays
# 127.0.0.10:465 to the lab's 127.0.0.1:25), and a client that speaks
# cleartext to it.
rec_downgrade-smtp-465-plaintext()
{
	proxied smtp 465 25 pass 1 "$1"
	run_client swaks "${swaks_args[@]}" --server $MITM_ADDR --port 465
	proxied_end
}

# The proxy terminates the victim's STARTTLS itself with TLS 1.0 and an
# anonymous suite; the victim is a legacy client that accepts both.
rec_downgrade-smtp-weak-tls()
{
	printf '%s\r\n' "EHLO client.tlswatch.test" "MAIL FROM:<sender@client.tlswatch.test>" \
		"RCPT TO:<alice@tlswatch.test>" "DATA" "Subject: tlswatch lab" "" \
		"small test message" "." "QUIT" >"$WORK/weak-tls.txt"
	proxied smtp 25 25 weak-tls 1 "$1"
	run_client openssl s_client -starttls smtp -name client.tlswatch.test \
		-connect $MITM_ADDR:25 -servername mail.tlswatch.test -tls1 -cipher 'ALL:@SECLEVEL=0' \
		-quiet -nocommands <"$WORK/weak-tls.txt"
	proxied_end
	grep -q '^250 2.0.0 Ok: queued' "$WORK/$CUR.log" ||
		{ cat "$WORK/$CUR.log" >&2; log "$CUR: the mail did not go through"; exit 1; }
}

# --------------------------------------------------------------- IMAP set

rec_downgrade-imap-strip()
{
	proxied imap 143 143 pass,strip 2 "$1"
	victim_curl imap 143
	victim_curl imap 143
	proxied_end
}

rec_downgrade-imap-mask()
{
	proxied imap 143 143 mask 1 "$1"
	victim_curl imap 143
	proxied_end
}

rec_downgrade-imap-refuse()
{
	proxied imap 143 143 refuse 1 "$1"
	victim_curl imap 143
	proxied_end
}

rec_downgrade-imap-accept-no-tls()
{
	proxied imap 143 143 accept-no-tls 1 "$1"
	victim_curl_fails 'wrong version number' imap 143
	proxied_end
}

# curl (since 7.79, CVE-2021-22947) refuses a reply pipelined behind the
# go-ahead: it hangs up before its ClientHello.
rec_downgrade-imap-response-injection()
{
	proxied imap 143 143 inject-response 1 "$1"
	victim_curl_fails 'Weird server reply' imap 143
	proxied_end
}

# curl believes the PREAUTH greeting: no STARTTLS, no login; the real
# server (not logged in) refuses the LIST that follows.
rec_downgrade-imap-preauth()
{
	proxied imap 143 143 preauth 1 "$1"
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
	proxied pop3 110 110 pass,strip 2 "$1"
	victim_curl pop3 110
	victim_curl pop3 110
	proxied_end
}

rec_downgrade-pop3-mask()
{
	proxied pop3 110 110 mask 1 "$1"
	victim_curl pop3 110
	proxied_end
}

rec_downgrade-pop3-refuse()
{
	proxied pop3 110 110 refuse 1 "$1"
	victim_curl pop3 110
	proxied_end
}

rec_downgrade-pop3-accept-no-tls()
{
	proxied pop3 110 110 accept-no-tls 1 "$1"
	victim_curl_fails 'wrong version number' pop3 110
	proxied_end
}

# Python's poplib drops what it had buffered when it starts TLS: the
# injected line is lost and the session goes on inside TLS.
rec_downgrade-pop3-response-injection()
{
	proxied pop3 110 110 inject-response 1 "$1"
	run_client "$PYTHON" "$LAB/clients/mailclient.py" pop3 $MITM_ADDR 110 --tls stls \
		--user alice --password "$ALICE_PW"
	proxied_end
}

# ---------------------------------------------------------------- driver

# Checks that FILE holds SESSIONS complete TCP sessions: one SYN each, each
# ended by a FIN from both sides or by a RST (an attack often ends a session
# with a single reset: tools/lab/capture.sh's cap_verify wants two FIN/RST
# per session, so it is not used here); no kernel drop, no hole in a stream.
dg_verify()
{
	local file=$1 sessions=$2 report
	report=$(tshark -n -r "$file" -Y 'tcp.flags.syn == 1 or tcp.flags.fin == 1 or tcp.flags.reset == 1' \
		-T fields -e tcp.stream -e ip.src -e tcp.srcport -e tcp.flags.syn -e tcp.flags.ack \
		-e tcp.flags.fin -e tcp.flags.reset 2>/dev/null |
		awk -v want="$sessions" '
			{ s = $1; side = $2 ":" $3; seen[s] = 1 }
			$4 == 1 && $5 == 0 { syn[s]++; client[s] = side }
			$6 == 1 { if (side == client[s]) cfin[s] = 1; else sfin[s] = 1 }
			$7 == 1 { rst[s] = 1 }
			END {
				n = 0
				for (s in seen) {
					n++
					if (syn[s] != 1) print "stream " s ": " syn[s] + 0 " SYN"
					else if (!rst[s] && !(cfin[s] && sfin[s])) print "stream " s ": not closed"
				}
				if (n != want) print n " TCP sessions, " want " expected"
			}')
	if [ -n "$report" ]; then
		echo "capture: $file: $report" >&2
		return 1
	fi
	if grep -qE '(^|[^0-9])[1-9][0-9]* packets dropped by kernel' "$file.err" 2>/dev/null; then
		echo "capture: $file: the capturer dropped packets:" >&2
		cat "$file.err" >&2
		return 1
	fi
	if [ "$(tshark -n -r "$file" -Y 'tcp.analysis.lost_segment or tcp.analysis.ack_lost_segment' \
		2>/dev/null | wc -l)" -ne 0 ]; then
		echo "capture: $file: a hole in a TCP stream" >&2
		return 1
	fi
}

# Number of TCP sessions in a capture: both sides of the proxy, per victim
# connection; one for the captures without a proxy.
capture_sessions()
{
	case "$1" in
	*-strip | *-strip-late | *-tls-fallback) echo 4 ;;
	*-command-injection | *-command-injection-split) echo 1 ;;
	*) echo 2 ;;
	esac
}

cleanup()
{
	local rc=$?
	cap_stop
	mitm_stop
	sender_stop
	if [ $LAB_STARTED -eq 1 ]; then
		"$LAB/lab.sh" stop "$ROOT" || rc=1
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit $rc
}

install_deps()
{
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	"$REPO/tools/install-deps.sh" postfix dovecot-imapd dovecot-pop3d swaks \
		libnet-ssleay-perl libio-socket-inet6-perl openssl curl tcpdump tshark \
		python3 iproute2
}

record_one()
{
	local name=$1 file tmp try
	file=$name.pcap
	tmp=$WORK/$file
	CUR=$name
	for try in 1 2 3; do
		: >"$WORK/$name.log"
		: >"$WORK/$name.mitm.log"
		rm -f "$tmp"
		log "recording $file"
		"rec_$name" "$tmp"
		if dg_verify "$tmp" "$(capture_sessions "$name")"; then
			mv "$tmp" "$OUT/$file"
			chmod 0644 "$OUT/$file"
			return 0
		fi
		log "$name: capture incomplete (try $try of 3)"
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
		-h | --help) sed -n '2,31p' "$0"; exit 0 ;;
		-*) log "unknown option: $1"; exit 2 ;;
		*) names+=("${1%.pcap}"); shift ;;
		esac
	done
	[ ${#names[@]} -gt 0 ] || names=("${CAPTURES[@]}")
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { log "must run as root"; exit 2; }
		exec sudo -E "$0" "${argv[@]}"
	fi
	for n in "${names[@]}"; do
		declare -F "rec_$n" >/dev/null || { log "unknown capture: $n (see --list)"; exit 2; }
	done
	[ $INSTALL -eq 0 ] || install_deps
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	WORK=$(mktemp -d /tmp/tlswatch-rec-dg.XXXXXX)
	SENDER=$WORK/sender
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	"$LAB/lab.sh" start "$ROOT"
	LAB_STARTED=1
	for n in "${names[@]}"; do
		record_one "$n"
	done
	log "recorded ${#names[@]} captures into $OUT"
}

main "$@"

#!/usr/bin/env bash
# tools/record-policy.sh — records the mail policy captures in pcaps/
# (policy-*.pcap): a real DNSSEC-validating resolver answering for a
# DNSSEC-signed zone that publishes MX, A, _mta-sts TXT, _smtp._tls TXT
# and TLSA records; a real sending Postfix with DANE
# (smtp_tls_security_level = dane, smtp_dns_support_level = dnssec) that
# asks that resolver and delivers to a real receiving Postfix, through the
# project's man in the middle (tools/lab/mitm.py); and swaks, sending after
# dig asked the same resolver. Must run as root.
#
#   tools/record-policy.sh              record every capture of this set
#   tools/record-policy.sh NAME...      only these
#   tools/record-policy.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-policy-rec), --no-install.
#
# The network: one network namespace of this script's own
# (tlswatch-policy), only its loopback interface, so every process of the
# lab (the resolver, both MTAs, the proxy) sees one interface and one
# capture on it holds the sender's DNS questions and answers and both
# sides of its SMTP session. Nothing can leave the namespace.
#
#   127.0.0.53:53   unbound: resolver, validator (module-config "validator
#                   iterator"), the zone tlswatch.test as an auth-zone for
#                   upstream (it is resolved and validated as if fetched
#                   from an authority, with the zone's KSK as trust anchor:
#                   the AD bit of its answers is real)
#   127.0.0.1:25    receiving Postfix (tools/lab/lab.sh --profile smtp)
#   127.0.0.25:25   mitm.py (mail.tlswatch.test, the domain's MX) relaying
#                   to 127.0.0.1:25: "pass", "strip" (STARTTLS removed) or
#                   "swap-cert" (an intercepting proxy: it terminates the
#                   client's TLS with a certificate of its own, self-signed
#                   for mail.tlswatch.test with another key than the
#                   receiver's, made per run, and makes its own TLS
#                   session with the receiver after the receiver's 220)
#   127.0.0.2       the sending Postfix (no listener; smtp(8) client bound
#                   here), its resolv.conf "nameserver 127.0.0.53" bound
#                   over /etc/resolv.conf in a mount namespace of its own
#   127.0.0.80:443  mta-sts.tlswatch.test (policy-sts-strip only): openssl
#                   s_server -WWW, TLS 1.2, serving
#                   /.well-known/mta-sts.txt (mode enforce, mx
#                   mail.tlswatch.test) with a certificate signed by a CA
#                   made per run
#   127.0.0.1:8461  mta-sts-daemon (postfix-mta-sts-resolver; policy-sts-strip
#                   only), with the sender's resolv.conf and that CA as
#                   SSL_CERT_FILE; the sender asks it through
#                   smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix
#
# The zone (signed with ldns-signzone, ECDSA P-256 keys made per run):
#   tlswatch.test MX 10 mail.tlswatch.test.
#   mail.tlswatch.test A 127.0.0.25
#   _mta-sts.tlswatch.test TXT "v=STSv1; id=20260101T000000;"
#   _smtp._tls.tlswatch.test TXT "v=TLSRPTv1; rua=mailto:tlsrpt@tlswatch.test"
#   _25._tcp.mail.tlswatch.test TLSA 3 1 1 <SHA-256 of the receiver's key>
#   mta-sts.tlswatch.test A 127.0.0.80
#
# Captures:
#   policy-dane-starttls   Postfix delivers through the proxy in "pass":
#                          DANE-verified STARTTLS, mail delivered
#   policy-dane-strip      the proxy strips STARTTLS: the DANE sender
#                          refuses to go on in cleartext (QUIT, mail
#                          deferred) — the policy working, the attack seen
#   policy-swaks-strip     dig asks for MX, A, TLSA, the _mta-sts and
#                          _smtp._tls TXT (AD set), then swaks
#                          (no policy of its own) sends through the
#                          stripping proxy: mail transferred in cleartext
#
# TLS 1.2 captures (the sending Postfix with smtp_tls_protocols and
# smtp_tls_mandatory_protocols excluding TLS 1.3, swaks with
# --tls-protocol tlsv1_2, the proxy's TLS at most 1.2 on both legs), so the
# server's Certificate message is in clear on the wire:
#   policy-dane-tls12      as policy-dane-starttls in TLS 1.2: the
#                          certificate matches the TLSA 3 1 1 record,
#                          DANE-verified, mail delivered
#   policy-dane-badcert    the proxy in "swap-cert": the DANE sender gets the
#                          proxy's certificate, which matches no TLSA
#                          record ("no matching DANE TLSA records"); it
#                          completes the handshake, sends QUIT in TLS, its
#                          close_notify and FIN (mail deferred, "Server
#                          certificate not verified"); the proxy relays the
#                          QUIT to the receiver over its own TLS session
#   policy-swaks-badcert   the look-ups of policy-swaks-strip, then swaks
#                          (STARTTLS, TLS 1.2, no certificate check) sends
#                          through "swap-cert": the mail goes through the
#                          interceptor, two TLS 1.2 sessions with two
#                          certificates in the capture
#   policy-swaks-wrongcert as policy-swaks-badcert, but the proxy's
#                          certificate names another host
#                          (other.example.net) and expired in 2020 (made
#                          with faketime): what a careless interceptor, or
#                          a neglected server, shows
#   policy-sts-strip       the sender with MTA-STS instead of DANE (security
#                          level "may", policies from mta-sts-daemon): the
#                          daemon asks for _mta-sts TXT and mta-sts A, fetches
#                          the policy over HTTPS (SNI mta-sts.tlswatch.test,
#                          TLS 1.2), answers "secure match=mail.tlswatch.test";
#                          the proxy strips STARTTLS and Postfix refuses to go
#                          on in cleartext (QUIT, mail deferred)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/capture.sh
. "$LAB/capture.sh"

OUT=$REPO/pcaps
ROOT=/tmp/tlswatch-policy-rec
INSTALL=1
NS=tlswatch-policy
RESOLVER=127.0.0.53
MX_ADDR=127.0.0.25
RECV_ADDR=127.0.0.1
SEND_ADDR=127.0.0.2
PYTHON=${PYTHON:-python3}
CAPTURES=(policy-dane-starttls policy-dane-strip policy-swaks-strip
	policy-dane-tls12 policy-dane-badcert policy-swaks-badcert policy-sts-strip
	policy-swaks-wrongcert)
# The captures whose sender is limited to TLS 1.2 (and checked for it).
TLS12_CAPTURES=" policy-dane-tls12 policy-dane-badcert policy-swaks-badcert policy-sts-strip policy-swaks-wrongcert "
# The captures whose sender takes MTA-STS policies from mta-sts-daemon.
STS_CAPTURES=" policy-sts-strip "
STS_ADDR=127.0.0.80
STS_WEB_PID=""
STS_DAEMON_PID=""
PACKAGES=(unbound ldnsutils bind9-dnsutils postfix swaks tcpdump tshark openssl python3 iproute2 faketime
	postfix-mta-sts-resolver)
NS_MADE=0
UNBOUND_PID=""
MITM_PID=""
CAP_PID=""
SENDER_STARTED=0
RECEIVER_STARTED=0

log() { echo "record-policy: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# A command in the namespace. Background ones are started as
# "${NSX[@]}" CMD... &: nsenter execs CMD (ip netns exec forks, and so does
# a shell function run in the background), so $! is CMD's own pid.
NSX=(nsenter --net="/run/netns/$NS")
nsx() { "${NSX[@]}" "$@"; }

install_deps()
{
	local p missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	"$REPO/tools/install-deps.sh" "${missing[@]}"
}

# ---------------------------------------------------------------- the zone

make_zone()
{
	local z=$ROOT/zone spki ksk zsk
	mkdir -p "$z"
	spki=$(openssl x509 -in "$ROOT/lab/tls/cert.pem" -noout -pubkey |
		openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
	cat >"$z/tlswatch.test.zone" <<-EOF
		\$ORIGIN tlswatch.test.
		\$TTL 3600
		@ IN SOA ns.tlswatch.test. hostmaster.tlswatch.test. 1 3600 600 86400 300
		@ IN NS ns.tlswatch.test.
		ns IN A $RESOLVER
		@ IN MX 10 mail.tlswatch.test.
		mail IN A $MX_ADDR
		_mta-sts IN TXT "v=STSv1; id=20260101T000000;"
		_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@tlswatch.test"
		_25._tcp.mail IN TLSA 3 1 1 $spki
		mta-sts IN A $STS_ADDR
	EOF
	(
		cd "$z"
		ksk=$(ldns-keygen -a ECDSAP256SHA256 -k tlswatch.test)
		zsk=$(ldns-keygen -a ECDSAP256SHA256 tlswatch.test)
		ldns-signzone -n tlswatch.test.zone "$ksk" "$zsk" >/dev/null
		# The KSK as the resolver's trust anchor.
		cp "$ksk.key" anchor.key
	)
	[ -s "$z/tlswatch.test.zone.signed" ] || die "ldns-signzone made no signed zone"
}

unbound_conf()
{
	cat <<-EOF
		server:
		    chroot: ""
		    username: ""
		    directory: "$ROOT"
		    pidfile: "$ROOT/unbound.pid"
		    use-syslog: no
		    logfile: "$ROOT/unbound.log"
		    do-ip6: no
		    do-daemonize: no
		    interface: $RESOLVER@53
		    access-control: 127.0.0.0/8 allow
		    module-config: "validator iterator"
		    trust-anchor-file: "$ROOT/zone/anchor.key"
		    val-log-level: 2
		    # test. is answered NXDOMAIN by default (RFC 6761): not here.
		    local-zone: "test." nodefault
		    num-threads: 1
		auth-zone:
		    name: "tlswatch.test"
		    zonefile: "$ROOT/zone/tlswatch.test.zone.signed"
		    for-downstream: no
		    for-upstream: yes
		remote-control:
		    control-enable: no
	EOF
}

# ---------------------------------------------------------------- the sender

sender_conf()
{
	local pfx=$ROOT/sender
	mkdir -p "$pfx/etc" "$pfx/spool" "$pfx/data"
	chown postfix:postfix "$pfx/data"
	cat >"$pfx/etc/main.cf" <<-EOF
		# tools/record-policy.sh: the sending MTA, DANE for every destination.
		compatibility_level = 3.6
		queue_directory = $pfx/spool
		data_directory = $pfx/data
		daemon_directory = /usr/lib/postfix/sbin
		command_directory = /usr/sbin
		meta_directory = /etc/postfix
		shlib_directory = /usr/lib/postfix
		mail_owner = postfix
		setgid_group = postdrop
		maillog_file = $pfx/maillog
		maillog_file_prefixes = $pfx
		myhostname = client.tlswatch.test
		mydomain = client.tlswatch.test
		myorigin = \$myhostname
		mydestination =
		inet_interfaces = loopback-only
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		smtp_bind_address = $SEND_ADDR
		alias_maps =
		alias_database =
		smtputf8_enable = no
		biff = no
		smtp_dns_support_level = dnssec
		smtp_tls_security_level = dane
		smtp_tls_loglevel = 1
		# The probe asks the root zone, which the lab's resolver cannot
		# reach; the answers it needs are validated all the same.
		dnssec_probe =
		smtp_connection_cache_on_demand = no
		smtp_address_preference = ipv4
		relay_transport = smtp
		default_transport = smtp
	EOF
	{
		cat "$LAB/postfix/services.cf"
		echo "smtp      unix  -       -       n       -       -       smtp"
	} >"$pfx/etc/master.cf"
	printf 'nameserver %s\noptions edns0 trust-ad\n' "$RESOLVER" >"$pfx/resolv.conf"
	printf '127.0.0.1\tlocalhost\n%s\tclient.tlswatch.test\n' "$SEND_ADDR" >"$pfx/hosts"
	chmod 0644 "$pfx/resolv.conf" "$pfx/hosts"
	touch "$pfx/maillog"
}

# sender_tls12 on: the sending Postfix offers TLS 1.2 only (its server's
# Certificate message then goes in clear); off: Postfix's defaults, as the
# captures before these were recorded with.
sender_tls12()
{
	local etc=$ROOT/sender/etc
	if [ "$1" = on ]; then
		postconf -c "$etc" -e "smtp_tls_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3" \
			"smtp_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3"
	else
		postconf -c "$etc" -X smtp_tls_protocols smtp_tls_mandatory_protocols
	fi
}

# sender_sts on: the sending Postfix takes each destination's TLS policy
# from mta-sts-daemon (socketmap, RFC 8461 policies) at security level
# "may"; off: DANE for every destination, as sender_conf wrote it.
sender_sts()
{
	local etc=$ROOT/sender/etc
	if [ "$1" = on ]; then
		postconf -c "$etc" -e "smtp_tls_security_level = may" \
			"smtp_tls_policy_maps = socketmap:inet:127.0.0.1:8461:postfix"
	else
		postconf -c "$etc" -e "smtp_tls_security_level = dane"
		postconf -c "$etc" -X smtp_tls_policy_maps
	fi
}

# Runs a command as the sender: the namespace, its resolv.conf and hosts.
sender_cmd()
{
	local pfx=$ROOT/sender
	nsx unshare --mount sh -c \
		'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"' \
		sh "$pfx/resolv.conf" "$pfx/hosts" "$@"
}

sender_start()
{
	sender_cmd postfix -c "$ROOT/sender/etc" start >"$ROOT/sender/start.log" 2>&1 ||
		{ cat "$ROOT/sender/start.log" >&2; die "the sending postfix did not start"; }
	SENDER_STARTED=1
}

sender_stop()
{
	[ $SENDER_STARTED -eq 1 ] || return 0
	SENDER_STARTED=0
	local pid
	pid=$(tr -dc '0-9' <"$ROOT/sender/spool/pid/master.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = master ]; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
}

# sender_send: one message to alice@tlswatch.test into the sender's queue,
# and a flush; waits until the queue is empty or the message was deferred.
sender_send()
{
	local pfx=$ROOT/sender
	sender_cmd postsuper -c "$pfx/etc" -d ALL >/dev/null 2>&1 || true
	printf 'Subject: tlswatch lab\nMessage-Id: <policy@client.tlswatch.test>\n\nsmall test message\n' |
		sender_cmd sendmail -C "$pfx/etc" -f sender@client.tlswatch.test alice@tlswatch.test
	sender_cmd postqueue -c "$pfx/etc" -f || true
}

# ---------------------------------------------------------------- the rest

mitm_start()
{
	local modes=$1 dir=${2:-$ROOT/mitm-tls} cert=()
	rm -f "$ROOT/mitm.ready"
	[ "$modes" = swap-cert ] && cert=(--cert "$dir/cert.pem" --key "$dir/key.pem")
	"${NSX[@]}" "$PYTHON" "$LAB/mitm.py" --listen "$MX_ADDR:25" --upstream "$RECV_ADDR:25" \
		--proto smtp --modes "$modes" --count 1 --timeout 60 "${cert[@]}" \
		--ready "$ROOT/mitm.ready" >>"$ROOT/mitm.log" 2>&1 &
	MITM_PID=$!
	for _ in $(seq 100); do
		[ -f "$ROOT/mitm.ready" ] && return 0
		sleep 0.1
	done
	cat "$ROOT/mitm.log" >&2
	die "the proxy did not start"
}

# Waits for the proxy to exit after its connection (60 s at most).
mitm_wait()
{
	[ -n "$MITM_PID" ] || return 0
	for _ in $(seq 600); do
		kill -0 "$MITM_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM "$MITM_PID" 2>/dev/null || true
	wait "$MITM_PID" 2>/dev/null || true
	MITM_PID=""
}

capture_start()
{
	local file=$1
	# The sender's DNS (to and from the resolver) and both sides of the
	# proxy; not the resolver's own look-ups (it has none: auth-zone).
	CAP_ERR=$file.err
	"${NSX[@]}" tcpdump -Z root -U --immediate-mode -B 65536 -n -i lo -w "$file" \
		"(host $RESOLVER and port 53) or (tcp port 25) or (host $STS_ADDR and tcp port 443)" \
		2>"$CAP_ERR" &
	CAP_PID=$!
	cap_wait_for "$CAP_ERR" '^(tcpdump: )?listening on'
}

# Stops the capture (SIGTERM: a background job of a script ignores SIGINT).
capture_stop()
{
	[ -n "$CAP_PID" ] || return 0
	sleep 0.5
	kill -TERM "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
	CAP_PID=""
}

# Waits until the sender's log says what became of the message.
sender_wait_log()
{
	local what=$1
	for _ in $(seq 300); do
		grep -qE "$what" "$ROOT/sender/maillog" && return 0
		sleep 0.1
	done
	tail -20 "$ROOT/sender/maillog" >&2
	die "the sending postfix did not log /$what/"
}

rec_policy-dane-starttls()
{
	: >"$ROOT/sender/maillog"
	capture_start "$1"
	mitm_start pass
	sender_send
	sender_wait_log 'status=sent'
	grep -q 'Verified TLS connection established' "$ROOT/sender/maillog" ||
		die "policy-dane-starttls: the sender did not verify the receiver by DANE"
	mitm_wait
	capture_stop
}

rec_policy-dane-strip()
{
	: >"$ROOT/sender/maillog"
	capture_start "$1"
	mitm_start strip
	sender_send
	sender_wait_log 'status=deferred'
	grep -q 'TLS is required, but was not offered' "$ROOT/sender/maillog" ||
		die "policy-dane-strip: the sender did not refuse the stripped session"
	mitm_wait
	capture_stop
	sender_cmd postsuper -c "$ROOT/sender/etc" -d ALL >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- MTA-STS

# The policy's web server (mta-sts.tlswatch.test, 127.0.0.80:443): a CA of
# the run's own, which mta-sts-daemon trusts (SSL_CERT_FILE), a certificate
# it signed, and the policy file (mode enforce, the MX).
sts_prepare()
{
	local d=$ROOT/sts
	mkdir -p "$d/www/.well-known"
	(
		umask 077
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
			-subj "/O=tlswatch capture lab/CN=tlswatch lab CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" \
			-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
		openssl req -new -newkey rsa:2048 -nodes -sha256 \
			-subj "/O=tlswatch capture lab/CN=mta-sts.tlswatch.test" \
			-keyout "$d/key.pem" -out "$d/req.pem" 2>/dev/null
		printf '%s\n' "subjectAltName=DNS:mta-sts.tlswatch.test" "basicConstraints=CA:FALSE" \
			"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
			>"$d/ext.cnf"
		openssl x509 -req -in "$d/req.pem" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
			-days 3650 -sha256 -extfile "$d/ext.cnf" -out "$d/cert.pem" 2>/dev/null
	)
	chmod 0644 "$d/ca.pem" "$d/cert.pem"
	printf 'version: STSv1\r\nmode: enforce\r\nmx: mail.tlswatch.test\r\nmax_age: 86400\r\n' \
		>"$d/www/.well-known/mta-sts.txt"
	cat >"$d/mta-sts-daemon.yml" <<-EOF
		host: 127.0.0.1
		port: 8461
		reuse_port: true
		shutdown_timeout: 5
		cache:
		  type: internal
		  options:
		    cache_size: 100
		default_zone:
		  strict_testing: false
		  timeout: 4
	EOF
}

# Waits until something listens on ADDR:PORT in the namespace.
wait_listen()
{
	for _ in $(seq 100); do
		nsx ss -Hltn "sport = :$2" | grep -qF "$1:$2" && return 0
		sleep 0.1
	done
	return 1
}

sts_start()
{
	local d=$ROOT/sts
	# openssl s_server -WWW: GET /PATH answered with the file (text/plain).
	"${NSX[@]}" --wd="$d/www" openssl s_server -quiet -accept "$STS_ADDR:443" -WWW -tls1_2 \
		-cert "$d/cert.pem" -key "$d/key.pem" >"$d/web.log" 2>&1 &
	STS_WEB_PID=$!
	wait_listen "$STS_ADDR" 443 || { cat "$d/web.log" >&2; die "the policy's web server did not start"; }
	# The daemon as the sender: its resolver, the lab's CA.
	"${NSX[@]}" unshare --mount sh -c \
		'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"' \
		sh "$ROOT/sender/resolv.conf" "$ROOT/sender/hosts" \
		env SSL_CERT_FILE="$d/ca.pem" mta-sts-daemon -c "$d/mta-sts-daemon.yml" -v debug \
		-l "$d/daemon.log" >"$d/daemon.out" 2>&1 &
	STS_DAEMON_PID=$!
	wait_listen 127.0.0.1 8461 || { cat "$d/daemon.out" "$d/daemon.log" >&2; die "mta-sts-daemon did not start"; }
}

sts_stop()
{
	local pid
	for pid in "$STS_DAEMON_PID" "$STS_WEB_PID"; do
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	STS_DAEMON_PID=""
	STS_WEB_PID=""
	return 0
}

rec_policy-sts-strip()
{
	: >"$ROOT/sender/maillog"
	sts_prepare
	capture_start "$1"
	sts_start
	mitm_start strip
	sender_send
	sender_wait_log 'status=deferred'
	grep -q 'TLS is required, but was not offered' "$ROOT/sender/maillog" ||
		die "policy-sts-strip: the sender did not refuse the stripped session"
	grep -q 'OK secure match=mail.tlswatch.test' "$ROOT/sts/daemon.log" ||
		grep -qi 'enforce' "$ROOT/sts/daemon.log" ||
		{ cat "$ROOT/sts/daemon.log" >&2; die "policy-sts-strip: mta-sts-daemon gave no enforce policy"; }
	mitm_wait
	capture_stop
	sts_stop
	sender_cmd postsuper -c "$ROOT/sender/etc" -d ALL >/dev/null 2>&1 || true
}

# dig_policy NAME: the look-ups a sender of tlswatch.test makes (MX, A,
# TLSA, the _mta-sts and _smtp._tls TXT), answers validated (AD set).
dig_policy()
{
	local q
	: >"$ROOT/dig.log"
	for q in "tlswatch.test MX" "mail.tlswatch.test A" "_25._tcp.mail.tlswatch.test TLSA" \
		"_mta-sts.tlswatch.test TXT" "_smtp._tls.tlswatch.test TXT"; do
		# shellcheck disable=SC2086
		nsx dig +dnssec +time=3 +tries=1 @"$RESOLVER" $q >>"$ROOT/dig.log"
	done
	grep -q 'flags: qr rd ra ad' "$ROOT/dig.log" || die "$1: no AD bit from the resolver"
}

rec_policy-swaks-strip()
{
	capture_start "$1"
	mitm_start strip
	dig_policy policy-swaks-strip
	nsx swaks --server "$MX_ADDR:25" --helo client.tlswatch.test --from sender@client.tlswatch.test \
		--to alice@tlswatch.test --header "Subject: tlswatch lab" --body "small test message" \
		>"$ROOT/swaks.log" 2>&1 || { cat "$ROOT/swaks.log" >&2; die "swaks failed"; }
	mitm_wait
	capture_stop
}

rec_policy-dane-tls12()
{
	: >"$ROOT/sender/maillog"
	capture_start "$1"
	mitm_start pass
	sender_send
	sender_wait_log 'status=sent'
	grep -q 'Verified TLS connection established to .*TLSv1.2 ' "$ROOT/sender/maillog" ||
		die "policy-dane-tls12: the sender did not verify the receiver by DANE in TLS 1.2"
	mitm_wait
	capture_stop
}

rec_policy-dane-badcert()
{
	: >"$ROOT/sender/maillog"
	capture_start "$1"
	mitm_start swap-cert
	sender_send
	sender_wait_log 'status=deferred'
	if ! grep -q 'server certificate verification failed for .*no matching DANE TLSA records' \
		"$ROOT/sender/maillog" ||
		! grep -q 'Untrusted TLS connection established to .*TLSv1.2 ' "$ROOT/sender/maillog" ||
		! grep -q 'status=deferred (Server certificate not verified)' "$ROOT/sender/maillog"; then
		die "policy-dane-badcert: the sender did not refuse the proxy's certificate by DANE"
	fi
	mitm_wait
	capture_stop
	sender_cmd postsuper -c "$ROOT/sender/etc" -d ALL >/dev/null 2>&1 || true
}

# swaks_intercepted NAME [CERTDIR]: the look-ups of policy-swaks-strip,
# then swaks (STARTTLS, TLS 1.2, no certificate check) through the proxy in
# "swap-cert" with the certificate in CERTDIR.
swaks_intercepted()
{
	local name=$1
	mitm_start swap-cert "${2:-$ROOT/mitm-tls}"
	dig_policy "$name"
	nsx swaks --server "$MX_ADDR:25" --helo client.tlswatch.test --from sender@client.tlswatch.test \
		--to alice@tlswatch.test --header "Subject: tlswatch lab" --body "small test message" \
		--tls --tls-protocol tlsv1_2 >"$ROOT/swaks.log" 2>&1 ||
		{ cat "$ROOT/swaks.log" >&2; die "swaks failed"; }
	grep -q 'TLS started with cipher TLSv1.2' "$ROOT/swaks.log" ||
		{ cat "$ROOT/swaks.log" >&2; die "$name: swaks did not use TLS 1.2"; }
	mitm_wait
}

rec_policy-swaks-badcert()
{
	capture_start "$1"
	swaks_intercepted policy-swaks-badcert
	capture_stop
}

rec_policy-swaks-wrongcert()
{
	capture_start "$1"
	swaks_intercepted policy-swaks-wrongcert "$ROOT/mitm-wrong"
	capture_stop
}

verify_capture()
{
	local name=$1 file=$2 ad smtp
	ad=$(tshark -n -r "$file" -Y 'dns.flags.response == 1 && dns.flags.authenticated == 1' 2>/dev/null | wc -l)
	smtp=$(tshark -n -r "$file" -Y 'smtp.req.command == "EHLO"' 2>/dev/null | wc -l)
	[ "$ad" -ge 3 ] && [ "$smtp" -ge 2 ] || {
		log "$name: $ad validated answers, $smtp EHLO: not as expected"
		return 1
	}
	case $TLS12_CAPTURES in *" $name "*) ;; *) return 0 ;; esac
	# TLS 1.2 chosen by every ServerHello (no supported_versions picking
	# 1.3), and a Certificate message in clear.
	local hello12 hello cert
	hello=$(tshark -n -r "$file" -Y 'tls.handshake.type == 2' 2>/dev/null | wc -l)
	hello12=$(tshark -n -r "$file" -Y 'tls.handshake.type == 2 && tls.handshake.version == 0x0303 &&
		!tls.handshake.extensions.supported_version' 2>/dev/null | wc -l)
	cert=$(tshark -n -r "$file" -Y 'tls.handshake.type == 11' 2>/dev/null | wc -l)
	if [ "$hello" -lt 1 ] || [ "$hello12" -ne "$hello" ] || [ "$cert" -lt 1 ]; then
		log "$name: $hello ServerHello, $hello12 of them TLS 1.2, $cert Certificate: not as expected"
		return 1
	fi
}

# ---------------------------------------------------------------- driver

start_all()
{
	ip netns list | awk '{print $1}' | grep -qxF "$NS" &&
		die "network namespace $NS exists (a killed run?): ip netns del $NS"
	[ -d "$ROOT" ] && [ ! -f "$ROOT/.tlswatch-policy" ] && die "$ROOT exists and is not ours"
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	chmod 0755 "$ROOT"
	touch "$ROOT/.tlswatch-policy"
	ip netns add "$NS"
	NS_MADE=1
	nsx ip link set lo up
	nsx "$LAB/lab.sh" start "$ROOT/lab" --profile smtp --smtp-addr "$RECV_ADDR"
	RECEIVER_STARTED=1
	make_zone
	unbound_conf >"$ROOT/unbound.conf"
	unbound-checkconf "$ROOT/unbound.conf" >/dev/null || die "unbound-checkconf failed"
	"${NSX[@]}" unbound -d -c "$ROOT/unbound.conf" >"$ROOT/unbound.out" 2>&1 &
	UNBOUND_PID=$!
	for _ in $(seq 100); do
		nsx ss -Hlun "sport = :53" | grep -q "$RESOLVER" && break
		sleep 0.1
	done
	kill -0 "$UNBOUND_PID" 2>/dev/null || { cat "$ROOT/unbound.out" "$ROOT/unbound.log" >&2; die "unbound did not start"; }
	sender_conf
	sender_start
	# The proxy's certificate for swap-cert: its own key, made per run.
	"$LAB/gen-cert.sh" "$ROOT/mitm-tls" mail.tlswatch.test
	# ... and one for another host, valid only in January 2020.
	mkdir -p "$ROOT/mitm-wrong"
	(umask 077 && faketime '2020-01-01 00:00:00' openssl req -x509 -newkey rsa:2048 -nodes \
		-days 30 -sha256 -subj "/O=tlswatch capture lab/CN=other.example.net" \
		-addext "subjectAltName=DNS:other.example.net" -keyout "$ROOT/mitm-wrong/key.pem" \
		-out "$ROOT/mitm-wrong/cert.pem" 2>/dev/null) || die "cannot make the expired certificate"
	chmod 0644 "$ROOT/mitm-wrong/cert.pem"
}

stop_all()
{
	set +e
	log "stopping the lab"
	capture_stop
	[ -n "$MITM_PID" ] && { kill -TERM "$MITM_PID" 2>/dev/null; wait "$MITM_PID" 2>/dev/null; }
	sts_stop
	sender_stop
	if [ -n "$UNBOUND_PID" ]; then
		kill -TERM "$UNBOUND_PID" 2>/dev/null
		wait "$UNBOUND_PID" 2>/dev/null
		UNBOUND_PID=""
	fi
	if [ $RECEIVER_STARTED -eq 1 ]; then
		nsx "$LAB/lab.sh" stop "$ROOT/lab" >/dev/null
		RECEIVER_STARTED=0
	fi
	if [ $NS_MADE -eq 1 ]; then
		ip netns del "$NS"
		NS_MADE=0
	fi
	[ -f "$ROOT/.tlswatch-policy" ] && [ -z "${KEEP_ROOT:-}" ] && rm -rf "$ROOT"
	return 0
}

main()
{
	local names=() n tmp
	while [ $# -gt 0 ]; do
		case $1 in
		--list) printf '%s\n' "${CAPTURES[@]}"; return 0 ;;
		--out) OUT=$2; shift ;;
		--root) ROOT=$2; shift ;;
		--no-install) INSTALL=0 ;;
		-*) die "unknown option $1" ;;
		*) names+=("$1") ;;
		esac
		shift
	done
	[ ${#names[@]} -gt 0 ] || names=("${CAPTURES[@]}")
	[ "$(id -u)" = 0 ] || die "must run as root"
	[ $INSTALL -eq 0 ] || install_deps
	trap stop_all EXIT
	start_all
	for n in "${names[@]}"; do
		declare -F "rec_$n" >/dev/null || die "no capture $n (--list)"
		tmp=$ROOT/$n.pcap
		log "recording $n"
		# A fresh sender each time: smtp(8) caches TLSA answers, and a
		# capture must hold every look-up its session depends on.
		sender_stop
		case $TLS12_CAPTURES in
		*" $n "*) sender_tls12 on ;;
		*) sender_tls12 off ;;
		esac
		case $STS_CAPTURES in
		*" $n "*) sender_sts on ;;
		*) sender_sts off ;;
		esac
		sender_start
		"rec_$n" "$tmp"
		verify_capture "$n" "$tmp" || die "$n: not recorded as it must be"
		mkdir -p "$OUT"
		cp "$tmp" "$OUT/$n.pcap"
		log "wrote $OUT/$n.pcap"
	done
}

main "$@"

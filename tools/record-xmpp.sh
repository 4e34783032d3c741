#!/usr/bin/env bash
# tools/record-xmpp.sh — records the XMPP captures in pcaps/ (xmpp-*.pcap,
# xmpps-5223.pcap, downgrade-xmpp-*.pcap through tools/lab/mitm.py) from
# real Prosody 0.12 servers from Debian (prosody:
# `prosody -F --config FILE`), started by this script as its own instances
# with a configuration in a private root (never /etc/prosody, never
# Debian's own service), and a real client library (slixmpp from Debian,
# python3-slixmpp, through tools/lab/clients/xmppclient.py), all on
# loopback. Must run as root (or through sudo).
#
#   tools/record-xmpp.sh              record every capture of this set
#   tools/record-xmpp.sh NAME...      only these (e.g. xmpp-starttls)
#   tools/record-xmpp.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-xmpp-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, without starting
# Debian's own prosody).
#
# Servers (tools/lab/prosody/prosody.cfg.lua.in rendered into
# ROOT/xmpp-NAME/prosody.cfg.lua, one prosody process per instance as the
# prosody system user, in the foreground: this script holds each one's
# PID). Each serves the XMPP domain tlswatch.test on c2s only (no s2s, no
# components, no HTTP, no admin socket) and has the lab's user alice,
# created in its own data directory with `prosodyctl --config FILE adduser`
# (the password on its standard input, never a command line):
#   "tls"       127.0.0.1:5222  STARTTLS offered without <required/>; SASL
#                               SCRAM-SHA-1 and PLAIN offered and accepted in
#                               the clear (allow_unencrypted_plain_auth)
#               127.0.0.1:5223  XEP-0368 direct TLS
#   "required"  127.0.0.3:5222  STARTTLS offered with <required/> (Prosody's
#                               default); no SASL offered before TLS
#   "notls"     127.0.0.2:5222  no TLS context (its `ssl` names certificate
#                               files that do not exist: Prosody would
#                               otherwise make one without a certificate
#                               and offer STARTTLS all the same): no
#                               <starttls/> offered, a <starttls/> sent
#                               anyway is answered <failure/> and the stream
#                               closed; SCRAM-SHA-1 and PLAIN in the clear
# The certificate (tlswatch.test, tools/lab/gen-cert.sh) is the tls and
# required instances' own copy in ROOT/xmpp-NAME/certs/tlswatch.test.crt
# and .key, where Prosody looks for it by the host's name; the client
# checks it against the lab's file. Nothing resolves a name: the client is
# given the address (its JID's domain only goes into the stream header, SNI
# and the certificate check) and Prosody's c2s looks nothing up. A tcpdump
# on every interface watches for DNS (ports 53, 5353, 5355) from before the
# servers start to after they stop: any packet there fails the run.
#
# Each capture is one rec_NAME function: tcpdump on lo with a filter on the
# server's address and port, one client, stop. The file must hold one
# complete TCP session (SYN to FIN or RST, cap_verify from
# tools/lab/capture.sh), show in cleartext what its name says and nothing
# that belongs inside TLS (content_rules below), and each side's bytes must
# start as they should (check_streams) before it is moved into the output
# directory. Each prosody is stopped by PID (SIGTERM) from the EXIT trap,
# which then checks with `ss -ltnp` that nothing of theirs still listens.
# Bytes differ between runs (keys, nonces, stream ids, resources,
# timestamps, ports); content does not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-xmpp-rec
MARKER=.tlswatch-xmpp
# python3-slixmpp is a Debian package: Debian's python, not whatever python3
# is first in PATH.
DEB_PYTHON=/usr/bin/python3
PROSODY=/usr/bin/prosody
PROSODYCTL=/usr/bin/prosodyctl
PROSODY_USER=prosody
PROSODY_COMM=lua5.4 # Prosody is a Lua script: its process is the interpreter
DOMAIN=tlswatch.test
STARTED=()

TLS_ADDR=127.0.0.1      # STARTTLS (optional) on 5222, direct TLS on 5223
NOTLS_ADDR=127.0.0.2    # no TLS
REQUIRED_ADDR=127.0.0.3 # STARTTLS required
XMPP_PORT=5222
XMPPS_PORT=5223
# The man in the middle (tools/lab/mitm.py, record-lib.sh's proxied) listens
# here and relays to the instance "tls"; both sides are in the
# downgrade-xmpp-* captures.
MITM_ADDR=127.0.0.30
PYTHON=$DEB_PYTHON
MESSAGE="hello from the tlswatch lab"

# Lab secrets; documented in pcaps/README.md.
ALICE_PW=AlicePass2024
WRONG_PW=WrongPass999

CAPTURES=(
	xmpp-starttls xmpp-starttls-required xmpps-5223 xmpp-login-not-requested
	xmpp-login-no-starttls xmpp-scram-login-no-starttls xmpp-login-failed
	xmpp-starttls-refused xmpp-starttls-command-injection
	downgrade-xmpp-strip downgrade-xmpp-mask downgrade-xmpp-refuse downgrade-xmpp-accept-no-tls
	downgrade-xmpp-response-injection
)

PACKAGES=(prosody python3 python3-slixmpp openssl tcpdump tshark iproute2 util-linux)

# ---------------------------------------------------------------- clients

# slixmpp through tools/lab/clients/xmppclient.py with a clean environment,
# the password in XMPP_PASSWORD (never a command line): PASSWORD ADDR PORT
# and xmppclient.py's options; JID alice@tlswatch.test, the lab's CA file.
lab_xmpp()
{
	local pw=$1 addr=$2 port=$3
	shift 3
	run_client env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C.UTF-8 XMPP_PASSWORD="$pw" \
		timeout 60 "$DEB_PYTHON" "$LAB/clients/xmppclient.py" --addr "$addr" --port "$port" \
		--jid "alice@$DOMAIN" --cafile "$ROOT/tls/cert.pem" "$@"
}

# ------------------------------------------------------------------ XMPP

# The tls instance: stream header, features (<starttls/>, SCRAM-SHA-1 and
# PLAIN), <starttls/>, <proceed/>, TLS 1.3 (SNI tlswatch.test); inside it
# the stream restart, SASL, resource binding, presence, roster, a message
# to alice herself and back, </stream:stream>.
rec_xmpp-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$XMPP_PORT")"
	lab_xmpp "$ALICE_PW" "$TLS_ADDR" "$XMPP_PORT" --message "$MESSAGE"
	cap_stop
}

# The required instance: the features offer only <starttls><required/>
# (no SASL before TLS); then as in xmpp-starttls.
rec_xmpp-starttls-required()
{
	cap_start "$1" lo "$(cap_server_filter "$REQUIRED_ADDR" "$XMPP_PORT")"
	lab_xmpp "$ALICE_PW" "$REQUIRED_ADDR" "$XMPP_PORT" --message "$MESSAGE"
	cap_stop
}

# The tls instance's direct TLS port: TLS from the first byte, then the
# whole session inside.
rec_xmpps-5223()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$XMPPS_PORT")"
	lab_xmpp "$ALICE_PW" "$TLS_ADDR" "$XMPPS_PORT" --tls implicit --message "$MESSAGE"
	cap_stop
}

# The tls instance, STARTTLS offered but not used: SASL PLAIN in the clear
# (<auth mechanism="PLAIN">AGFsaWNlAEFsaWNlUGFzczIwMjQ=</auth>),
# <success/>, the stream restart, binding, presence, roster, the message,
# all in cleartext.
rec_xmpp-login-not-requested()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$XMPP_PORT")"
	lab_xmpp "$ALICE_PW" "$TLS_ADDR" "$XMPP_PORT" --tls none --mech PLAIN --message "$MESSAGE"
	cap_stop
}

# The notls instance (no <starttls/> in its features): the same PLAIN login
# and session in cleartext.
rec_xmpp-login-no-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$NOTLS_ADDR" "$XMPP_PORT")"
	lab_xmpp "$ALICE_PW" "$NOTLS_ADDR" "$XMPP_PORT" --tls none --mech PLAIN --message "$MESSAGE"
	cap_stop
}

# The notls instance with SCRAM-SHA-1 (no reusable secret on the wire: the
# client-first message names the user), then the session in cleartext.
rec_xmpp-scram-login-no-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$NOTLS_ADDR" "$XMPP_PORT")"
	lab_xmpp "$ALICE_PW" "$NOTLS_ADDR" "$XMPP_PORT" --tls none --mech SCRAM-SHA-1
	cap_stop
}

# The tls instance, PLAIN in the clear with the wrong password:
# <failure><not-authorized/>, the client closes the stream.
rec_xmpp-login-failed()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$XMPP_PORT")"
	lab_xmpp "$WRONG_PW" "$TLS_ADDR" "$XMPP_PORT" --tls none --mech PLAIN --expect-fail
	cap_stop
}

# The notls instance, a client that insists on TLS: <starttls/> although
# not offered, <failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>, and the
# server closes the stream.
rec_xmpp-starttls-refused()
{
	cap_start "$1" lo "$(cap_server_filter "$NOTLS_ADDR" "$XMPP_PORT")"
	lab_xmpp "$ALICE_PW" "$NOTLS_ADDR" "$XMPP_PORT" --starttls-unoffered
	cap_stop
}

# The tls instance, <starttls/> and an <iq type='get' id='injected'> ping
# in one write (CVE-2011-0411's pattern). Prosody 0.12 answers <proceed/>,
# reads the injected bytes as the first bytes of a new stream and answers,
# in the same segment and in the clear, a new stream header with an
# <invalid-namespace/> stream error, and closes. slixmpp reports the
# garbage after <proceed/> as a not-well-formed stream error, in the clear;
# the client starts no TLS (xmppclient.py --inject-after-starttls), and
# Prosody resets the connection on the client's late bytes. Prosody did
# not execute the injected ping: it never answered it.
rec_xmpp-starttls-command-injection()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$XMPP_PORT")"
	lab_xmpp "$ALICE_PW" "$TLS_ADDR" "$XMPP_PORT" --inject-after-starttls
	cap_stop
}

# ------------------------------------------------------------ downgrades
# Through the proxy (127.0.0.30:5222, relaying to the instance "tls"), with
# slixmpp as it comes as the victim: STARTTLS when the features offer it,
# and when they do not, SASL in the clear all the same with the best
# mechanism it allows there (SCRAM-SHA-1: slixmpp's unencrypted_scram is on
# by default, its unencrypted_plain off), then the session and the message.

lab_xmpp_victim()
{
	lab_xmpp "$ALICE_PW" "$MITM_ADDR" "$XMPP_PORT" --message "$MESSAGE" "$@"
}

# A first session through unchanged (STARTTLS, TLS), then a second whose
# features lost <starttls/>: SCRAM-SHA-1, the session and the message in
# cleartext.
rec_downgrade-xmpp-strip()
{
	proxied xmpp $XMPP_PORT $TLS_ADDR:$XMPP_PORT pass,strip 2 "$1"
	lab_xmpp_victim
	expect_log 'tls: TLSv1.3'
	lab_xmpp_victim
	proxied_end
	expect_log 'removed from the features'
}

# The features' <starttls/> becomes <XXXXXXXX .../>, an element the client
# does not know: it goes on as in the stripped session.
rec_downgrade-xmpp-mask()
{
	proxied xmpp $XMPP_PORT $TLS_ADDR:$XMPP_PORT mask 1 "$1"
	lab_xmpp_victim
	proxied_end
	expect_log 'masked in the features'
}

# The proxy answers <starttls/> with Prosody's <failure/> and stream close
# itself; slixmpp ends its stream, which the proxy relays to Prosody.
rec_downgrade-xmpp-refuse()
{
	proxied xmpp $XMPP_PORT $TLS_ADDR:$XMPP_PORT refuse 1 "$1"
	lab_xmpp "$ALICE_PW" "$MITM_ADDR" "$XMPP_PORT" --expect-refusal
	proxied_end
	expect_log 'refusing the upgrade'
}

# The proxy says <proceed/> itself and answers the ClientHello with
# Prosody's answer to a stream that is not XML (a stream header and a
# not-well-formed stream error); the victim's handshake fails on it.
rec_downgrade-xmpp-accept-no-tls()
{
	proxied xmpp $XMPP_PORT $TLS_ADDR:$XMPP_PORT accept-no-tls 1 "$1"
	lab_xmpp "$ALICE_PW" "$MITM_ADDR" "$XMPP_PORT" --expect-tls-failure
	proxied_end
	expect_log 'TLS handshake failed'
}

# A <message> of the proxy's in the segment of Prosody's <proceed/>:
# slixmpp parses it with the go-ahead, before TLS starts, and the session
# goes on in TLS.
rec_downgrade-xmpp-response-injection()
{
	proxied xmpp $XMPP_PORT $TLS_ADDR:$XMPP_PORT inject-response 1 "$1"
	lab_xmpp_victim
	proxied_end
	expect_log 'tls: TLSv1.3'
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line (check_cleartext): the cleartext part says what
# the name says, and nothing that belongs inside TLS is in the clear.
# slixmpp writes double quotes, Prosody single ones; Prosody lists its
# features in no fixed order.
content_rules()
{
	local hdr="<stream:stream to='$DOMAIN' xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client'"
	case "$1" in
	xmpp-starttls | xmpp-starttls-required)
		echo "+$hdr"
		echo "+<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\" />"
		echo "+<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
		if [ "$1" = xmpp-starttls-required ]; then
			echo "+<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
			echo "-<mechanism>"
		else
			echo "+<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
			echo "+<mechanism>PLAIN</mechanism>"
		fi
		cat <<-EOF
			-<auth
			-<success
			-<bind
			-alice@$DOMAIN
			-$MESSAGE
		EOF
		;;
	xmpps-5223)
		cat <<-EOF
			-<stream
			-<auth
			-alice@$DOMAIN
			-$MESSAGE
		EOF
		;;
	xmpp-login-not-requested | xmpp-login-no-starttls)
		echo "+$hdr"
		if [ "$1" = xmpp-login-not-requested ]; then
			echo "+<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
		else
			echo "-<starttls"
		fi
		cat <<-EOF
			+<mechanism>PLAIN</mechanism>
			+<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">AGFsaWNlAEFsaWNlUGFzczIwMjQ=</auth>
			+<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>
			+<jid>alice@$DOMAIN/
			+<body>$MESSAGE</body>
			+</stream:stream>
			-<proceed
		EOF
		;;
	xmpp-scram-login-no-starttls)
		cat <<-EOF
			+$hdr
			+<mechanism>SCRAM-SHA-1</mechanism>
			+<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">
			+<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>
			+<response xmlns="urn:ietf:params:xml:ns:xmpp-sasl">
			+<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>
			+<jid>alice@$DOMAIN/
			-<starttls
			-mechanism="PLAIN"
		EOF
		;;
	xmpp-login-failed)
		cat <<-EOF
			+$hdr
			+<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
			+<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">AGFsaWNlAFdyb25nUGFzczk5OQ==</auth>
			+<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/>
			-<success
			-<proceed
			-AlicePass2024
		EOF
		;;
	xmpp-starttls-refused)
		cat <<-EOF
			+$hdr
			+<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
			+<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
			-<proceed
			-<auth
		EOF
		;;
	xmpp-starttls-command-injection)
		cat <<-EOF
			+$hdr
			+<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><iq type='get' id='injected'><ping xmlns='urn:xmpp:ping'/></iq>
			+<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><?xml version='1.0'?><stream:stream
			+<invalid-namespace xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>
			-<auth
			-<success
		EOF
		;;
	downgrade-xmpp-strip | downgrade-xmpp-mask)
		# Prosody lists its features in no fixed order: the stripped
		# list is checked by the proxy's log (rec_downgrade-xmpp-strip).
		if [ "$1" = downgrade-xmpp-mask ]; then
			echo "+<XXXXXXXX xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
			echo "-<proceed"
		else
			echo "+<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
		fi
		cat <<-EOF
			+<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">
			+<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>
			+<body>$MESSAGE</body>
			-mechanism="PLAIN"
		EOF
		;;
	downgrade-xmpp-refuse)
		cat <<-EOF
			+<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls" />
			+<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>
			-<proceed
			-<auth
		EOF
		;;
	downgrade-xmpp-accept-no-tls)
		cat <<-EOF
			+<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls" />
			+<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
			+<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>
			-<auth
		EOF
		;;
	downgrade-xmpp-response-injection)
		cat <<-EOF
			+<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message from='$DOMAIN'><body>injected</body></message>
			-<auth
			-$MESSAGE
		EOF
		;;
	esac
}

# Each side's bytes in order (tshark's TCP payloads; skipped without
# tshark): where the cleartext ends and TLS (a handshake record, 0x16 0x03)
# begins. xmpp-starttls and xmpp-starttls-required: the client's text ends
# with <starttls .../>, then its ClientHello; the server's with <proceed/>,
# then its ServerHello. xmpps-5223: both sides start with TLS. The others:
# only printable text, CR and LF on both sides, the client's stream header
# first.
check_streams()
{
	local name=$1 file=$2 port=$XMPP_PORT client server
	command -v tshark >/dev/null || return 0
	[ "$name" != xmpps-5223 ] || port=$XMPPS_PORT
	client=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.dstport == $port" -T fields \
		-e tcp.payload 2>/dev/null | tr -d ':\n')
	server=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.srcport == $port" -T fields \
		-e tcp.payload 2>/dev/null | tr -d ':\n')
	"$DEB_PYTHON" - "$name" "$client" "$server" <<-'EOF' >&2
		import sys
		name, c, s = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
		TLS = b"\x16\x03"
		def text(b):
		    return all(32 <= x < 127 or x in (13, 10) for x in b)
		def fail(msg):
		    print("record-xmpp: %s: %s" % (name, msg))
		    sys.exit(1)
		if name in ("xmpp-starttls", "xmpp-starttls-required"):
		    tail = b'<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls" />'
		    i = c.find(tail) + len(tail)
		    if i < len(tail) or not text(c[:i]) or not c[i:].startswith(TLS):
		        fail("client: not text up to <starttls/>, then ClientHello: %r" % c[:i + 4])
		    tail = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
		    j = s.find(tail) + len(tail)
		    if j < len(tail) or not text(s[:j]) or not s[j:].startswith(TLS):
		        fail("server: not text up to <proceed/>, then ServerHello: %r" % s[:j + 4])
		elif name == "xmpps-5223":
		    if not c.startswith(TLS) or not s.startswith(TLS):
		        fail("not TLS from the first byte: %r / %r" % (c[:8], s[:8]))
		else:
		    if not text(c) or not text(s):
		        fail("a side sent bytes that are not XMPP text")
		    if not c.startswith(b"<stream:stream to="):
		        fail("the client's first bytes are not its stream header: %r" % c[:40])
	EOF
}

# One complete TCP session, the content rules and the streams; through the
# proxy, two TCP sessions per victim connection and the content rules.
verify_capture()
{
	local name=$1 file=$2 ok=0
	case "$name" in
	downgrade-xmpp-strip)
		cap_verify_streams "$file" 4 && check_cleartext "$name" "$file" < <(content_rules "$name")
		return
		;;
	downgrade-*)
		cap_verify_streams "$file" 2 && check_cleartext "$name" "$file" < <(content_rules "$name")
		return
		;;
	esac
	cap_verify "$file" 1 || return 1
	check_cleartext "$name" "$file" < <(content_rules "$name") || ok=1
	check_streams "$name" "$file" || ok=1
	return $ok
}

# ---------------------------------------------------------------- servers

inst_dir()
{
	echo "$ROOT/xmpp-$1"
}

# The pid of an instance from its pid file, while it runs.
inst_pid()
{
	pidfile_pid "$(inst_dir "$1")/prosody.pid"
}

prepare_root()
{
	claim_root tls required notls
	rm -rf "${ROOT:?}/tls" "$ROOT/xmpp-tls" "$ROOT/xmpp-required" "$ROOT/xmpp-notls"
	# The client's copy of the certificate (--cafile) stays root's.
	"$LAB/gen-cert.sh" "$ROOT/tls" "$DOMAIN"
	mkdir -p "$WORK/home"
}

# As the prosody system user, with a clean environment: as_prosody DIR CMD...
as_prosody()
{
	local dir=$1
	shift
	(cd "$dir" && exec env -i PATH=/usr/bin:/bin HOME="$dir" LC_ALL=C.UTF-8 \
		setpriv --reuid="$PROSODY_USER" --regid="$PROSODY_USER" --init-groups -- "$@")
}

# Renders one instance's configuration, creates alice in its data
# directory and starts it:
#   inst_start NAME ADDR TLS(yes|no) DIRECT_TLS_PORTS REQUIRE ALLOW_PLAIN
inst_start()
{
	local name=$1 addr=$2 tls=$3 direct=$4 require=$5 plain=$6 dir pid ssl
	dir=$(inst_dir "$name")
	mkdir -p "$dir/data" "$dir/certs"
	if [ "$tls" = yes ]; then
		ssl="-- the certificate: certs/$DOMAIN.crt and .key"
	else
		ssl="ssl = { certificate = \"$dir/certs/absent.crt\"; key = \"$dir/certs/absent.key\" }"
	fi
	sed -e "s|@SSL@|$ssl|g" -e "s|@DIR@|$dir|g" -e "s|@ADDR@|$addr|g" \
		-e "s|@DIRECT_TLS_PORTS@|$direct|g" -e "s|@REQUIRE_ENCRYPTION@|$require|g" \
		-e "s|@ALLOW_PLAIN@|$plain|g" "$LAB/prosody/prosody.cfg.lua.in" >"$dir/prosody.cfg.lua"
	if [ "$tls" = yes ]; then
		# The key must belong to the server's user, mode 0600.
		install -m 0644 -o "$PROSODY_USER" "$ROOT/tls/cert.pem" "$dir/certs/$DOMAIN.crt"
		install -m 0600 -o "$PROSODY_USER" "$ROOT/tls/key.pem" "$dir/certs/$DOMAIN.key"
	fi
	chown -R "$PROSODY_USER:" "$dir"
	chmod 0750 "$dir"
	printf '%s\n%s\n' "$ALICE_PW" "$ALICE_PW" |
		as_prosody "$dir" "$PROSODYCTL" --config "$dir/prosody.cfg.lua" adduser "alice@$DOMAIN" \
			>"$dir/adduser.log" 2>&1 ||
		{ cat "$dir/adduser.log" >&2; die "prosodyctl adduser failed for $name"; }
	[ -f "$dir/data/tlswatch%2etest/accounts/alice.dat" ] || die "no account alice in $name"
	STARTED+=("$name")
	# setpriv, env and prosody's #! line exec in turn: $! is the Lua
	# interpreter running Prosody, in the foreground (-F).
	as_prosody "$dir" "$PROSODY" -F --config "$dir/prosody.cfg.lua" >"$dir/prosody.out" 2>&1 \
		</dev/null &
	pid=$!
	if ! wait_until -p "$pid" test -s "$dir/prosody.pid"; then
		cat "$dir/prosody.out" "$dir/prosody.log" >&2 2>/dev/null || true
		die "prosody $name did not start (see $dir/prosody.log)"
	fi
}

start_servers()
{
	check_tools
	# Refuses to start when anything (Debian's own prosody, another run of
	# this script) already listens on 5222 or 5223, on any address.
	check_ports_free --hint "Debian's own: invoke-rc.d prosody stop" "$XMPP_PORT" "$XMPPS_PORT"
	# DNS, mDNS and LLMNR on every interface while the servers run: the lab
	# must not ask any resolver; any packet fails the run.
	dns_watch_start 'port 53 or port 5353 or port 5355' strict
	prepare_root
	inst_start tls "$TLS_ADDR" yes "{ $XMPPS_PORT }" false true
	inst_start required "$REQUIRED_ADDR" yes "{ }" true false
	inst_start notls "$NOTLS_ADDR" no "{ }" false true
	wait_listen "$TLS_ADDR:$XMPP_PORT" "$TLS_ADDR:$XMPPS_PORT" "$REQUIRED_ADDR:$XMPP_PORT" \
		"$NOTLS_ADDR:$XMPP_PORT"
	log "Prosody $(dpkg-query -W -f='${Version}' prosody 2>/dev/null || echo '?') started:" \
		"$TLS_ADDR:$XMPP_PORT (STARTTLS), $TLS_ADDR:$XMPPS_PORT (direct TLS)," \
		"$REQUIRED_ADDR:$XMPP_PORT (STARTTLS required), $NOTLS_ADDR:$XMPP_PORT (no TLS)"
}

# SIGTERM to each prosody by PID (from its pid file, only if it is what it
# should be), waits for it (SIGKILL by PID after 10 s), then checks that
# none of them still listens (stop_masters).
stop_servers()
{
	local masters
	mapfile -t masters < <(instance_masters "$PROSODY_COMM" "${STARTED[@]}")
	STARTED=()
	stop_masters TERM prosody "${masters[@]}"
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main (and the servers' above).

# Debian starts a package's service when it is installed; prosody's would
# listen on 5222 and 5269 on every address. install_packages keeps every
# service from starting (policy-rc.d); check_ports_free refuses to run
# next to one that runs all the same.
install_deps()
{
	install_packages "${PACKAGES[@]}"
}

check_tools()
{
	local t
	for t in "$PROSODY" "$PROSODYCTL"; do
		[ -x "$t" ] || die "$t missing (Debian package prosody)"
	done
	for t in tcpdump setpriv openssl ss; do
		command -v "$t" >/dev/null || die "$t missing"
	done
	"$DEB_PYTHON" -W ignore -c 'import slixmpp, ssl' 2>/dev/null ||
		die "$DEB_PYTHON has no slixmpp (Debian package python3-slixmpp) or no ssl"
	# The proxy's XML framing, whatever the reads (downgrade-xmpp-*).
	"$PYTHON" -B "$LAB/mitm.py" --self-test || die "tools/lab/mitm.py --self-test failed"
	id "$PROSODY_USER" >/dev/null 2>&1 || die "no user $PROSODY_USER (created by prosody)"
}

recorder_main "$@"

#!/usr/bin/env bash
# tools/record-http.sh — records the HTTP captures in pcaps/ (http-*.pcap,
# https-443.pcap) from a real Apache 2.4 from Debian (apache2: the binary
# /usr/sbin/apache2 with a configuration of its own in a private root, never
# /etc/apache2, never Debian's service) and a real client (curl), plus the
# RFC 2817 upgrade, which no Debian server or client implements, from the
# project's lab server and client (tools/lab/httpupgrade.py,
# tools/lab/clients/httpclient.py: Python's socket and ssl modules; labelled
# "project lab server/client, no real peer exists" in pcaps/README.md), all
# on loopback. Must run as root (or through sudo).
#
#   tools/record-http.sh              record every capture of this set
#   tools/record-http.sh NAME...      only these (e.g. http-basic-auth-login)
#   tools/record-http.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-http-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, without starting
# Debian's own apache2).
#
# Servers:
#   apache2 (tools/lab/apache/apache2.conf.in, rendered into ROOT/apache/,
#   `apache2 -f ROOT/apache/apache2.conf -k start`, its PID from its
#   PidFile), in UTS and mount namespaces of its own whose /etc/hosts names
#   www.tlswatch.test (ns_cmd: the proxy's CONNECT looks that name up there,
#   no DNS query leaves the machine):
#     127.0.0.1:80    HTTP; /private/ needs Basic credentials (alice)
#     127.0.0.1:443   HTTPS, certificate for www.tlswatch.test from
#                     tools/lab/gen-cert.sh
#     127.0.0.1:3128  forward proxy: CONNECT to port 443 after Basic proxy
#                     credentials (alice)
#   tools/lab/httpupgrade.py on 127.0.0.2:80, started for one connection per
#   capture: --mode upgrade (101, then TLS), refuse (426 as the offer, then
#   the request for TLS answered 400 and the connection goes on in
#   cleartext) or ignore (no RFC 2817 at all).
# Clients get numeric addresses (curl --resolve; the name goes only into
# Host, SNI and the certificate check). A tcpdump on every interface watches
# for DNS (ports 53, 5353, 5355) while the lab runs: any packet there fails
# the run.
#
# Each capture is one rec_NAME function: tcpdump on lo with a filter on the
# server's address and port, one client, stop. The file must hold one
# complete TCP session (SYN to FIN, cap_verify from tools/lab/capture.sh)
# and show in cleartext what its name says (check_cleartext below) before it
# is moved into the output directory. apache2 is stopped by PID (SIGTERM)
# from the EXIT trap, which then checks with `ss -ltnp` that nothing of its
# still listens. Bytes differ between runs (keys, dates, ports); content
# does not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-http-rec
MARKER=.tlswatch-http
# The lab server and client use only the standard library; Debian's python.
DEB_PYTHON=/usr/bin/python3
APACHE=/usr/sbin/apache2

WEB_ADDR=127.0.0.1 # apache2: 80, 443, 3128
LAB_ADDR=127.0.0.2 # tools/lab/httpupgrade.py: 80
HTTP_PORT=80
HTTPS_PORT=443
PROXY_PORT=3128
CERT_NAME=www.tlswatch.test
LAB_PID=""
STARTED=0

# Lab secrets; documented in pcaps/README.md.
ALICE_PW=AlicePass2024
WRONG_PW=WrongPass999

CAPTURES=(
	http-no-auth http-basic-auth-login http-basic-auth-login-failed https-443
	http-plaintext-on-443 http-proxy-connect http-upgrade-tls http-upgrade-refused
	http-upgrade-ignored
)

PACKAGES=(apache2 apache2-utils curl python3 openssl tcpdump tshark iproute2 util-linux)

# ---------------------------------------------------------------- clients

# curl with the lab's name pinned to its address, the lab certificate as
# the only trust anchor, no proxy from the environment (env -i), no
# ~/.curlrc (-q).
#   lab_curl_to PORT ARG...
lab_curl_to()
{
	local port=$1
	shift
	run_client env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C.UTF-8 \
		curl -q -sS -v --max-time 20 --cacert "$ROOT/tls/cert.pem" \
		--resolve "$CERT_NAME:$port:$WEB_ADDR" "$@"
}

# The lab server for one connection (--mode MODE and more options), then
# its client (httpclient.py options); the server must exit by itself.
#   lab_upgrade "SERVER OPTIONS" CLIENT OPTIONS...
lab_upgrade()
{
	local server_opts=$1 rc=0
	shift
	rm -f "$WORK/lab.ready"
	# shellcheck disable=SC2086  # the server's options are words
	env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 HTTP_LAB_PASSWORD="$ALICE_PW" \
		"$DEB_PYTHON" "$LAB/httpupgrade.py" --listen "$LAB_ADDR:$HTTP_PORT" \
		--cert "$ROOT/tls/cert.pem" --key "$ROOT/tls/key.pem" --count 1 --timeout 30 \
		--ready "$WORK/lab.ready" $server_opts >>"$WORK/$CUR.log" 2>&1 &
	LAB_PID=$!
	wait_until -p "$LAB_PID" test -f "$WORK/lab.ready" || client_die "the lab server did not start"
	run_client env -i PATH=/usr/bin:/bin LC_ALL=C.UTF-8 HTTP_PASSWORD="$ALICE_PW" \
		timeout 30 "$DEB_PYTHON" "$LAB/clients/httpclient.py" --addr "$LAB_ADDR" \
		--port "$HTTP_PORT" --host "$CERT_NAME" --cafile "$ROOT/tls/cert.pem" "$@"
	wait "$LAB_PID" || rc=$?
	LAB_PID=""
	[ $rc -eq 0 ] || client_die "the lab server failed (exit status $rc)"
}

# ------------------------------------------------------------ captures

# curl GET / : 200, the public page; no credentials, no Upgrade header.
rec_http-no-auth()
{
	cap_start "$1" lo "$(cap_server_filter "$WEB_ADDR" "$HTTP_PORT")"
	lab_curl_to "$HTTP_PORT" "http://$CERT_NAME/"
	cap_stop
}

# curl -u alice:AlicePass2024 GET /private/ : Basic credentials sent at
# once (curl's default), 200.
rec_http-basic-auth-login()
{
	cap_start "$1" lo "$(cap_server_filter "$WEB_ADDR" "$HTTP_PORT")"
	lab_curl_to "$HTTP_PORT" -u "alice:$ALICE_PW" "http://$CERT_NAME/private/"
	cap_stop
}

# The same with WrongPass999: 401 with the Basic challenge.
rec_http-basic-auth-login-failed()
{
	cap_start "$1" lo "$(cap_server_filter "$WEB_ADDR" "$HTTP_PORT")"
	lab_curl_to "$HTTP_PORT" -u "alice:$WRONG_PW" "http://$CERT_NAME/private/"
	grep -q '< HTTP/1.1 401' "$WORK/$CUR.log" || client_die "no 401"
	cap_stop
}

# https:// to 443: TLS 1.3 (SNI www.tlswatch.test, ALPN http/1.1), the
# Basic credentials and the 200 inside.
rec_https-443()
{
	cap_start "$1" lo "$(cap_server_filter "$WEB_ADDR" "$HTTPS_PORT")"
	lab_curl_to "$HTTPS_PORT" --http1.1 -u "alice:$ALICE_PW" "https://$CERT_NAME/private/"
	cap_stop
}

# http:// to the TLS port, with the credentials: mod_ssl answers
# "400 Bad Request" in the clear ("speaking plain HTTP to an SSL-enabled
# server port") and closes; the password has crossed the wire.
rec_http-plaintext-on-443()
{
	cap_start "$1" lo "$(cap_server_filter "$WEB_ADDR" "$HTTPS_PORT")"
	lab_curl_to "$HTTPS_PORT" -u "alice:$ALICE_PW" "http://$CERT_NAME:$HTTPS_PORT/private/"
	grep -q '< HTTP/1.1 400' "$WORK/$CUR.log" || client_die "no 400"
	cap_stop
}

# curl through the proxy: CONNECT www.tlswatch.test:443 without
# credentials (--proxy-anyauth), 407 with the Basic challenge, CONNECT
# again with Proxy-Authorization, "HTTP/1.0 200 Connection Established"
# (mod_proxy_connect answers in HTTP/1.0), then TLS 1.3 to apache's 443 through
# the tunnel, the page's Basic credentials inside it.
rec_http-proxy-connect()
{
	cap_start "$1" lo "$(cap_server_filter "$WEB_ADDR" "$PROXY_PORT")"
	lab_curl_to "$HTTPS_PORT" --http1.1 --proxy "http://$WEB_ADDR:$PROXY_PORT" --proxy-anyauth \
		--proxy-user "alice:$ALICE_PW" -u "alice:$ALICE_PW" "https://$CERT_NAME/private/"
	cap_stop
}

# GET /private/ : 426 Upgrade Required (Upgrade: TLS/1.0, HTTP/1.1);
# OPTIONS * with Upgrade: TLS/1.0 : 101 Switching Protocols; TLS 1.3 on the
# same connection (SNI www.tlswatch.test); the OPTIONS response, then GET
# /private/ with the Basic credentials and its 200, inside TLS.
rec_http-upgrade-tls()
{
	cap_start "$1" lo "$(cap_server_filter "$LAB_ADDR" "$HTTP_PORT")"
	lab_upgrade "--mode upgrade" --probe --expect switch
	cap_stop
}

# The same 426, then OPTIONS * with Upgrade: TLS/1.0 answered "400 Bad
# Request" (the server refuses what it demanded: what a man in the middle
# that keeps the connection in the clear would answer); the client goes on
# in cleartext: GET /private/ with the Basic credentials, 200.
rec_http-upgrade-refused()
{
	cap_start "$1" lo "$(cap_server_filter "$LAB_ADDR" "$HTTP_PORT")"
	lab_upgrade "--mode refuse --refuse-status 400" --probe --expect refuse
	cap_stop
}

# A server without RFC 2817: OPTIONS * with Upgrade: TLS/1.0 answered 200
# (the header ignored, no 426 and no Upgrade header anywhere); the client
# goes on in cleartext with its credentials. Not a refusal: nothing offered.
rec_http-upgrade-ignored()
{
	cap_start "$1" lo "$(cap_server_filter "$LAB_ADDR" "$HTTP_PORT")"
	lab_upgrade "--mode ignore" --expect ignore
	cap_stop
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line (check_cleartext; non-printable bytes are dots
# in tcpdump -A): the cleartext part says what the name says, and nothing
# that belongs inside TLS is in the clear. YWxpY2U6QWxpY2VQYXNzMjAyNA== is
# alice:AlicePass2024, YWxpY2U6V3JvbmdQYXNzOTk5 alice:WrongPass999.
content_rules()
{
	case "$1" in
	http-no-auth)
		cat <<-'EOF'
			+GET / HTTP/1.1
			+Host: www.tlswatch.test
			+HTTP/1.1 200 OK
			+public page of the tlswatch lab
			-Authorization
			-Upgrade
		EOF
		;;
	http-basic-auth-login)
		cat <<-'EOF'
			+GET /private/ HTTP/1.1
			+Authorization: Basic YWxpY2U6QWxpY2VQYXNzMjAyNA==
			+HTTP/1.1 200 OK
			+private page of the tlswatch lab
			-401
		EOF
		;;
	http-basic-auth-login-failed)
		cat <<-'EOF'
			+GET /private/ HTTP/1.1
			+Authorization: Basic YWxpY2U6V3JvbmdQYXNzOTk5
			+HTTP/1.1 401 Unauthorized
			+WWW-Authenticate: Basic realm="tlswatch lab"
			-private page of the tlswatch lab
		EOF
		;;
	https-443)
		cat <<-'EOF'
			+www.tlswatch.test
			+http/1.1
			-GET /private/
			-Authorization
			-YWxpY2U6QWxpY2VQYXNzMjAyNA==
			-HTTP/1.1 200
			-private page
		EOF
		;;
	http-plaintext-on-443)
		cat <<-'EOF'
			+GET /private/ HTTP/1.1
			+Authorization: Basic YWxpY2U6QWxpY2VQYXNzMjAyNA==
			+HTTP/1.1 400 Bad Request
			+speaking plain HTTP to an SSL-enabled server port
			-private page of the tlswatch lab
		EOF
		;;
	http-proxy-connect)
		cat <<-'EOF'
			+CONNECT www.tlswatch.test:443 HTTP/1.1
			+HTTP/1.1 407 Proxy Authentication Required
			+Proxy-Authenticate: Basic realm="tlswatch lab proxy"
			+Proxy-Authorization: Basic YWxpY2U6QWxpY2VQYXNzMjAyNA==
			+HTTP/1.0 200 Connection Established
			+www.tlswatch.test
			-GET /private/
			-private page
		EOF
		;;
	http-upgrade-tls)
		cat <<-'EOF'
			+GET /private/ HTTP/1.1
			+HTTP/1.1 426 Upgrade Required
			+Upgrade: TLS/1.0, HTTP/1.1
			+OPTIONS * HTTP/1.1
			+Upgrade: TLS/1.0
			+HTTP/1.1 101 Switching Protocols
			+www.tlswatch.test
			-Authorization
			-YWxpY2U6QWxpY2VQYXNzMjAyNA==
			-Allow: GET
			-private page
		EOF
		;;
	http-upgrade-refused)
		cat <<-'EOF'
			+HTTP/1.1 426 Upgrade Required
			+Upgrade: TLS/1.0, HTTP/1.1
			+OPTIONS * HTTP/1.1
			+Upgrade: TLS/1.0
			+HTTP/1.1 400 Bad Request
			+Authorization: Basic YWxpY2U6QWxpY2VQYXNzMjAyNA==
			+private page of the tlswatch lab
			-101 Switching
		EOF
		;;
	http-upgrade-ignored)
		cat <<-'EOF'
			+OPTIONS * HTTP/1.1
			+Upgrade: TLS/1.0
			+Allow: GET, HEAD, OPTIONS
			+Authorization: Basic YWxpY2U6QWxpY2VQYXNzMjAyNA==
			+private page of the tlswatch lab
			-Upgrade Required
			-Upgrade: TLS/1.0, HTTP/1.1
			-101 Switching
		EOF
		;;
	esac
}

# One complete TCP session and the content rules; the upgraded one must
# switch exactly after the 101's header block (tshark's TCP payloads).
verify_capture()
{
	local name=$1 file=$2 ok=0
	cap_verify "$file" 1 || return 1
	check_cleartext "$name" "$file" < <(content_rules "$name") || ok=1
	[ "$name" != http-upgrade-tls ] || check_switch "$file" || ok=1
	return $ok
}

# Each side's bytes in order: the client's cleartext ends with OPTIONS's
# header block and its ClientHello follows; the server's ends with the
# 101's header block and its ServerHello follows.
check_switch()
{
	local file=$1 client server
	command -v tshark >/dev/null || return 0
	client=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.dstport == $HTTP_PORT" -T fields \
		-e tcp.payload 2>/dev/null | tr -d ':\n')
	server=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.srcport == $HTTP_PORT" -T fields \
		-e tcp.payload 2>/dev/null | tr -d ':\n')
	"$DEB_PYTHON" - "$client" "$server" <<-'EOF' >&2
		import sys
		c, s = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
		TLS = b"\x16\x03"
		i = c.find(b"OPTIONS * HTTP/1.1\r\n")
		j = c.find(b"\r\n\r\n", i) + 4
		if i < 0 or not c[j:].startswith(TLS):
		    sys.exit("record-http: http-upgrade-tls: client: no ClientHello after OPTIONS: %r" % c[j:j + 8])
		i = s.find(b"HTTP/1.1 101 ")
		j = s.find(b"\r\n\r\n", i) + 4
		if i < 0 or not s[j:].startswith(TLS):
		    sys.exit("record-http: http-upgrade-tls: server: no ServerHello after the 101: %r" % s[j:j + 8])
	EOF
}

# ---------------------------------------------------------------- servers

inst_pid()
{
	pidfile_pid "$ROOT/apache/run/apache2.pid" apache2
}

# True once apache2 has written its pid file (and runs).
apache_ready()
{
	[ -n "$(inst_pid apache)" ]
}

prepare_root()
{
	local d=$ROOT/apache
	claim_root apache
	rm -rf "$ROOT/tls" "$d"
	"$LAB/gen-cert.sh" "$ROOT/tls" "$CERT_NAME"
	mkdir -p "$d/run" "$d/logs" "$d/htdocs/private" "$d/tls" "$WORK/home"
	install -m 0644 "$ROOT/tls/cert.pem" "$d/tls/cert.pem"
	install -m 0600 "$ROOT/tls/key.pem" "$d/tls/key.pem"
	echo "public page of the tlswatch lab" >"$d/htdocs/index.html"
	echo "private page of the tlswatch lab" >"$d/htdocs/private/index.html"
	# The password on standard input, never on a command line.
	printf '%s\n' "$ALICE_PW" | htpasswd -i -B -c "$d/htpasswd" alice 2>/dev/null
	chmod 0644 "$d/htpasswd"
	sed -e "s|@ROOT@|$d|g" -e "s|@ADDR@|$WEB_ADDR|g" "$LAB/apache/apache2.conf.in" \
		>"$d/apache2.conf"
	write_hosts "$d/hosts" "$CERT_NAME"
}

start_servers()
{
	[ -x "$APACHE" ] || die "no $APACHE (package apache2)"
	check_ports_free --hint "systemctl stop apache2" "$HTTP_PORT" "$HTTPS_PORT" "$PROXY_PORT"
	dns_watch_start 'port 53 or port 5353 or port 5355' strict
	prepare_root
	ns_cmd "$CERT_NAME" "$ROOT/apache/hosts"
	STARTED=1
	"${NS_CMD[@]}" env -i PATH=/usr/sbin:/usr/bin:/bin LC_ALL=C \
		"$APACHE" -f "$ROOT/apache/apache2.conf" -k start >"$ROOT/apache/start.log" 2>&1 ||
		{ cat "$ROOT/apache/start.log" "$ROOT/apache/logs/error.log" >&2 2>/dev/null; die "apache2 did not start"; }
	if ! wait_until apache_ready; then
		cat "$ROOT/apache/logs/error.log" >&2 2>/dev/null
		die "apache2 wrote no pid file"
	fi
	wait_listen -p "$(inst_pid apache)" "$WEB_ADDR:$HTTP_PORT" "$WEB_ADDR:$HTTPS_PORT" \
		"$WEB_ADDR:$PROXY_PORT" || die "apache2 does not listen"
	log "$("$APACHE" -v | head -n1) started: $WEB_ADDR:$HTTP_PORT, :$HTTPS_PORT ($CERT_NAME)," \
		":$PROXY_PORT (proxy)"
}

# SIGTERM to apache2 by PID (from its pid file, only if it is an apache2),
# waits for it and its children, then checks that none of them still
# listens (stop_masters). A lab server left by an interrupted capture is
# stopped by its PID.
stop_servers()
{
	local masters=()
	if [ -n "$LAB_PID" ]; then
		kill -TERM "$LAB_PID" 2>/dev/null || true
		wait "$LAB_PID" 2>/dev/null || true
		LAB_PID=""
	fi
	[ $STARTED -eq 1 ] || return 0
	STARTED=0
	mapfile -t masters < <(instance_masters apache2 apache)
	stop_masters TERM apache2 "${masters[@]}"
}

# ---------------------------------------------------------------- driver

# Debian starts apache2 when it is installed; install_packages keeps every
# service from starting (policy-rc.d), this script never touches it.
install_deps()
{
	install_packages "${PACKAGES[@]}"
}

recorder_main "$@"

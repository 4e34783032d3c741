#!/usr/bin/env bash
# tools/record-ldap.sh — records the LDAP captures in pcaps/ (ldap-*.pcap,
# ldaps-*.pcap) from a real OpenLDAP slapd 2.5 from Debian, started by this
# script as its own instances with a slapd.conf and an mdb database in a
# private root (never /etc/ldap), and real clients (ldapsearch from
# ldap-utils, python3-ldap3 through tools/lab/clients/ldapclient.py), all on
# loopback. Must run as root (or through sudo).
#
#   tools/record-ldap.sh                    record every capture of this set
#   tools/record-ldap.sh NAME...            only these (e.g. ldap-starttls)
#   tools/record-ldap.sh --list             list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-ldap-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, without configuring or
# starting Debian's own slapd: debconf slapd/no_configuration, policy-rc.d).
#
# Servers (tools/lab/slapd/slapd.conf.in, one /usr/sbin/slapd each, in the
# foreground with -d so that this script holds its PID):
#   slapd "tls"    127.0.0.1:389   LDAP, StartTLS (tools/lab/slapd/tls.conf.in)
#                  127.0.0.1:636   ldaps, implicit TLS
#                  127.0.0.1:3268  LDAP as on a global catalog port (StartTLS
#                                  possible, not used)
#   slapd "notls"  127.0.0.2:389   LDAP, no TLS configured at all: StartTLS is
#                                  answered with protocolError (2) "unsupported
#                                  extended operation", as by a server that
#                                  does not know StartTLS
# Both serve dc=tlswatch,dc=test from tools/lab/slapd/base.ldif.in (loaded
# with slapadd before slapd starts; no rootpw, nothing is written over the
# wire), where uid=alice,ou=people,dc=tlswatch,dc=test has the userPassword
# AlicePass2024 stored as is: the SASL PLAIN check goes through Cyrus SASL's
# auxprop, which compares the stored value with the password and so fails
# on a {SSHA} hash. The ACLs let alice bind and everyone read everything but
# userPassword, which nobody reads (alice: =xw). Simple binds and SASL PLAIN
# are allowed in cleartext (sasl-secprops none). The certificate is a fresh
# one from tools/lab/gen-cert.sh for ldap.tlswatch.test (SAN IP 127.0.0.1,
# so clients check it against the address). Each slapd runs in UTS and mount
# namespaces of its own (host name ldap.tlswatch.test, a private /etc/hosts
# bound over the real one inside the namespace only) so that its start-up
# look-up of its own name is answered locally. Clients get addresses, never
# names; the recorder watches port 53 on every interface for the whole run
# and warns of any DNS query seen.
#
# Each capture is one rec_NAME function: tcpdump on lo with a filter on the
# server's address and port, one client, stop. The file must hold one
# complete TCP session (SYN to FIN/RST, cap_verify from tools/lab/capture.sh)
# and show in cleartext what its name says (check_content below: strings in
# `tcpdump -A`, and with tshark the exact list of LDAP messages in the clear:
# message id, protocolOp, bind DN and method, result code) before it is
# moved into the output directory. Both slapd are stopped by PID from the
# EXIT trap, which then checks with `ss -ltnp` that nothing of theirs still
# listens. Bytes differ between runs (keys, timestamps, ports); content does
# not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-ldap-rec
MARKER=.tlswatch-ldap
# ldap3 is a Debian package: Debian's python, not whatever python3 is first in PATH.
DEB_PYTHON=/usr/bin/python3
SLAPD=/usr/sbin/slapd

TLS_ADDR=127.0.0.1  # instance with TLS: StartTLS on 389 and 3268, ldaps on 636
NOTLS_ADDR=127.0.0.2  # instance without any TLS
LDAP_PORT=389
LDAPS_PORT=636
GC_PORT=3268
INSTANCES=(tls notls)
declare -A PIDS=()
STARTED=()

# Lab directory; documented in pcaps/README.md.
SUFFIX=dc=tlswatch,dc=test
ALICE_DN=uid=alice,ou=people,$SUFFIX
ALICE_PW=AlicePass2024
WRONG_PW=WrongPass999
STARTTLS_OID=1.3.6.1.4.1.1466.20037

CAPTURES=(
	ldap-starttls ldaps-636 ldap-simple-bind-cleartext ldap-bind-failed ldap-anonymous
	ldap-starttls-refused ldap-python-ldap3 ldap-gc-3268 ldap-sasl-plain
	ldap-rootdse-offered-login ldap-rootdse-not-offered-login
)

# libsasl2-modules: the PLAIN mechanism, for slapd and ldapsearch.
PACKAGES=(slapd ldap-utils libsasl2-modules python3 python3-ldap3 openssl tcpdump tshark
	iproute2 util-linux)
# slapd's postinst would write a configuration under /etc/ldap.
DEBCONF_EXTRA=('slapd slapd/no_configuration boolean true')

# ---------------------------------------------------------------- clients
# run_client: tools/lab/record-lib.sh.

# ldap_env CMD...: runs CMD (within 30 s) with HOME and the working
# directory in the private root, so no ~/.ldaprc or ./ldaprc of the caller
# changes what it sends; TLS checks the lab's certificate (CA file, name =
# the address, SAN IP 127.0.0.1).
ldap_env()
{
	(cd "$ROOT/home" && exec env HOME="$ROOT/home" LDAPTLS_CACERT="$ROOT/tls/cert.pem" \
		LDAPTLS_REQCERT=demand timeout 30 "$@")
}

# ldapsearch URI [options]: a subtree search of the suffix, all attributes.
lab_ldapsearch()
{
	local uri=$1
	shift
	run_client ldap_env ldapsearch -H "$uri" -o nettimeout=10 -b "$SUFFIX" "$@"
}

# The same, where the bind must fail: ldapsearch exits 49 (invalidCredentials).
lab_ldapsearch_fail()
{
	local uri=$1 rc=0
	shift
	ldap_env ldapsearch -H "$uri" -o nettimeout=10 -b "$SUFFIX" "$@" >>"$WORK/$CUR.log" 2>&1 || rc=$?
	[ $rc -eq 49 ] || client_die "ldapsearch exit status $rc, expected 49 (invalid credentials)"
}

# python3-ldap3: StartTLS, simple bind, search, unbind.
lab_ldapclient()
{
	run_client ldap_env "$DEB_PYTHON" "$LAB/clients/ldapclient.py" "$@"
}

# ------------------------------------------------------------- captures

# ldapsearch -ZZ: StartTLS extended request, success, TLS 1.3; the simple
# bind, the search and the unbind inside TLS.
rec_ldap-starttls()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR" -ZZ -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# ldaps: TLS from the first byte, the bind inside.
rec_ldaps-636()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LDAPS_PORT")"
	lab_ldapsearch "ldaps://$TLS_ADDR" -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# No -Z: the simple bind with the password in cleartext, success, search, unbind.
rec_ldap-simple-bind-cleartext()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR" -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# The wrong password: invalidCredentials (49); ldapsearch unbinds and exits.
rec_ldap-bind-failed()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch_fail "ldap://$TLS_ADDR" -x -D "$ALICE_DN" -w "$WRONG_PW"
	cap_stop
}

# Anonymous simple bind (empty name and password), search, unbind.
rec_ldap-anonymous()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR" -x
	cap_stop
}

# -Z (not -ZZ) to the instance without TLS: StartTLS, protocolError (2)
# "unsupported extended operation" (slapd without a TLS context does not
# register the StartTLS extended operation at all), and ldapsearch goes on
# in cleartext.
rec_ldap-starttls-refused()
{
	cap_start "$1" lo "$(cap_server_filter "$NOTLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$NOTLS_ADDR" -Z -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# python3-ldap3: start_tls(), then bind, search and unbind inside TLS.
rec_ldap-python-ldap3()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapclient "$TLS_ADDR" "$LDAP_PORT" --user "$ALICE_DN" --password "$ALICE_PW" \
		--base "$SUFFIX" --starttls --cafile "$ROOT/tls/cert.pem"
	cap_stop
}

# A simple bind in cleartext to the global catalog port.
rec_ldap-gc-3268()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$GC_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR:$GC_PORT" -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# SASL PLAIN in cleartext (-O none: no security properties, so the client
# library allows PLAIN without TLS); one round: the credentials are
# "\0alice\0AlicePass2024". libldap looks up the name of 127.0.0.1 for
# SASL (answered by /etc/hosts).
rec_ldap-sasl-plain()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR" -Y PLAIN -O none -U alice -w "$ALICE_PW"
	cap_stop
}

# python3-ldap3 reads the root DSE first (supportedExtension lists StartTLS)
# and binds in cleartext anyway: offered, not requested.
rec_ldap-rootdse-offered-login()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapclient "$TLS_ADDR" "$LDAP_PORT" --user "$ALICE_DN" --password "$ALICE_PW" \
		--base "$SUFFIX" --root-dse
	cap_stop
	expect_log 'server offers StartTLS: True'
}

# The same against the instance without TLS: its root DSE lists no StartTLS.
rec_ldap-rootdse-not-offered-login()
{
	cap_start "$1" lo "$(cap_server_filter "$NOTLS_ADDR" "$LDAP_PORT")"
	lab_ldapclient "$NOTLS_ADDR" "$LDAP_PORT" --user "$ALICE_DN" --password "$ALICE_PW" \
		--base "$SUFFIX" --root-dse
	cap_stop
	expect_log 'server offers StartTLS: False'
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line (check_cleartext); "=LINE" lines are the exact list, in order, of
# the LDAP messages tshark decodes in the clear (see ldap_messages), and
# "tls" says that a TLS ServerHello must be there.
content_rules()
{
	case "$1" in
	ldap-starttls)
		cat <<-EOF
			+$STARTTLS_OID
			-$ALICE_PW
			-uid=alice
			-tlswatch capture lab
			tls
			=1 extendedReq $STARTTLS_OID
			=1 extendedResp 0
		EOF
		;;
	ldaps-636)
		cat <<-EOF
			-$ALICE_PW
			-uid=alice
			-dc=tlswatch
			tls
		EOF
		;;
	ldap-simple-bind-cleartext | ldap-gc-3268)
		cat <<-EOF
			+$ALICE_DN
			+$ALICE_PW
			+tlswatch capture lab
			+alice@tlswatch.test
			-$STARTTLS_OID
			=1 bindRequest simple $ALICE_DN
			=1 bindResponse 0
			=2 searchRequest $SUFFIX
			=2 searchResEntry $SUFFIX
			=2 searchResEntry ou=people,$SUFFIX
			=2 searchResEntry $ALICE_DN
			=2 searchResDone 0
			=3 unbindRequest
		EOF
		;;
	ldap-rootdse-offered-login | ldap-rootdse-not-offered-login)
		# The root DSE read (msg 1), then the cleartext bind, search, unbind.
		cat <<-EOF
			+supportedExtension
			+$ALICE_DN
			+$ALICE_PW
			+tlswatch capture lab
			=1 searchRequest
			=1 searchResEntry
			=1 searchResDone 0
			=2 bindRequest simple $ALICE_DN
			=2 bindResponse 0
			=3 searchRequest $SUFFIX
			=3 searchResEntry $SUFFIX
			=3 searchResEntry ou=people,$SUFFIX
			=3 searchResEntry $ALICE_DN
			=3 searchResDone 0
			=4 unbindRequest
		EOF
		if [ "$1" = ldap-rootdse-offered-login ]; then
			echo "+$STARTTLS_OID"
		else
			echo "-$STARTTLS_OID"
		fi
		;;
	ldap-bind-failed)
		cat <<-EOF
			+$ALICE_DN
			+$WRONG_PW
			-$ALICE_PW
			-tlswatch capture lab
			=1 bindRequest simple $ALICE_DN
			=1 bindResponse 49
			=2 unbindRequest
		EOF
		;;
	ldap-anonymous)
		cat <<-EOF
			+tlswatch capture lab
			-$ALICE_PW
			-$STARTTLS_OID
			=1 bindRequest simple -
			=1 bindResponse 0
			=2 searchRequest $SUFFIX
			=2 searchResEntry $SUFFIX
			=2 searchResEntry ou=people,$SUFFIX
			=2 searchResEntry $ALICE_DN
			=2 searchResDone 0
			=3 unbindRequest
		EOF
		;;
	ldap-starttls-refused)
		cat <<-EOF
			+$STARTTLS_OID
			+unsupported extended operation
			+$ALICE_DN
			+$ALICE_PW
			+tlswatch capture lab
			=1 extendedReq $STARTTLS_OID
			=1 extendedResp 2
			=2 bindRequest simple $ALICE_DN
			=2 bindResponse 0
			=3 searchRequest $SUFFIX
			=3 searchResEntry $SUFFIX
			=3 searchResEntry ou=people,$SUFFIX
			=3 searchResEntry $ALICE_DN
			=3 searchResDone 0
			=4 unbindRequest
		EOF
		;;
	ldap-python-ldap3)
		cat <<-EOF
			+$STARTTLS_OID
			-$ALICE_PW
			-uid=alice
			-tlswatch capture lab
			tls
			=1 extendedReq $STARTTLS_OID
			=1 extendedResp 0
		EOF
		;;
	ldap-sasl-plain)
		cat <<-EOF
			+PLAIN
			+.alice.$ALICE_PW
			+tlswatch capture lab
			-$STARTTLS_OID
			=1 bindRequest sasl PLAIN
			=1 bindResponse 0
			=2 searchRequest $SUFFIX
			=2 searchResEntry $SUFFIX
			=2 searchResEntry ou=people,$SUFFIX
			=2 searchResEntry $ALICE_DN
			=2 searchResDone 0
			=3 unbindRequest
		EOF
		;;
	esac
}

# tshark_on FILE PORT [tshark options]: tshark -n -r FILE, decoding the
# capture's server port as LDAP when it is a cleartext one (389 and 3268 are
# tshark's defaults anyway); not for ldaps (636 is TLS from the first byte:
# its bytes decoded as LDAP would be garbage).
tshark_on()
{
	local file=$1 port=$2 da=()
	shift 2
	[ "$port" = "$LDAPS_PORT" ] || da=(-d "tcp.port==$port,ldap")
	tshark -n -r "$file" "${da[@]}" "$@" 2>/dev/null
}

# One line per LDAP message tshark decodes in the clear, in order:
#   MSGID OP [requestName | resultCode | simple NAME | sasl MECH | DN]
# (an empty bind name is "-"). Messages split over segments are shown once,
# reassembled; TLS payload is not decoded.
ldap_messages()
{
	local file=$1 port=$2
	tshark_on "$file" "$port" -V -Y ldap | awk '
		function flush() {
			if (id == "") return
			line = id " " op
			if (op == "extendedReq") line = line " " oid
			else if (rc != "") line = line " " rc
			else if (op == "bindRequest") line = line " " auth " " (auth == "sasl" ? mech : (name == "" ? "-" : name))
			else if (dn != "") line = line " " dn
			print line
			id = ""; op = ""; oid = ""; rc = ""; auth = ""; mech = ""; name = ""; dn = ""
		}
		/^ *LDAPMessage / { flush(); next }
		/^ *messageID: / { id = $2; next }
		/^ *protocolOp: / { op = $2; next }
		/^ *requestName: / { oid = $2; next }
		/^ *resultCode: / { rc = $NF; gsub(/[()]/, "", rc); next }
		/^ *authentication: / { auth = $2; next }
		/^ *mechanism: / { mech = $2; next }
		/^ *name: / { sub(/^ *name: ?/, ""); name = $0; next }
		/^ *(baseObject|objectName): / { sub(/^ *[a-zA-Z]+: ?/, ""); dn = $0; next }
		/^(Frame|Lightweight)/ { next }
		END { flush() }'
}

# Per frame with LDAP in the clear: how many messages, and whether one was
# reassembled from several segments (for pcaps/README.md).
segment_summary()
{
	local file=$1 port=$2
	tshark_on "$file" "$port" -Y ldap -T fields -E occurrence=a \
		-E aggregator=, -e frame.number -e tcp.srcport -e tcp.len -e ldap.messageID \
		-e ldap.protocolOp -e tcp.segment | awk -F'\t' -v port="$port" '
		{ n = split($4, m, ","); s = ($6 == "" ? "" : ", reassembled from frames " $6)
		  printf "  frame %s %s: %s bytes, %d message(s) (id %s, protocolOp %s)%s\n",
			$1, ($2 == port ? "server" : "client"), $3, n, $4, $5, s }'
}

check_content()
{
	local name=$1 file=$2 port=$3 rule ok=0 want="" got
	check_cleartext "$name" "$file" < <(content_rules "$name") || ok=1
	while IFS= read -r rule; do
		case "$rule" in
		=*)
			want+="${rule#=}"$'\n'
			;;
		tls)
			if command -v tshark >/dev/null &&
				[ "$(tshark_on "$file" "$port" -Y 'tls.handshake.type == 2' | wc -l)" -ne 1 ]; then
				log "$name: expected one TLS ServerHello"
				ok=1
			fi
			;;
		esac
	done < <(content_rules "$name")
	command -v tshark >/dev/null || return $ok
	got=$(ldap_messages "$file" "$port")
	if [ "$got" != "${want%$'\n'}" ]; then
		log "$name: LDAP messages in the clear are not as expected; expected:"
		printf '%s' "$want" | sed 's/^/    /' >&2
		log "found:"
		sed 's/^/    /' <<<"$got" >&2
		ok=1
	fi
	return $ok
}

# ---------------------------------------------------------------- servers

inst_dir()
{
	echo "$ROOT/slapd-$1"
}

# The pid of instance $1 from its pid file, only while that is a running slapd.
inst_pid()
{
	pidfile_pid "$(inst_dir "$1")/run/slapd.pid" slapd
}

prepare_root()
{
	claim_root "${INSTANCES[@]}"
	rm -rf "${ROOT:?}/tls" "${ROOT:?}/home" "$ROOT/hosts" "$ROOT/base.ldif" "$ROOT/slapd-tls" "$ROOT/slapd-notls"
	mkdir -p "$ROOT/home"
	"$LAB/gen-cert.sh" "$ROOT/tls" ldap.tlswatch.test
	write_hosts "$ROOT/hosts" ldap.tlswatch.test
	sed -e "s|@ALICE_PW@|$ALICE_PW|g" "$LAB/slapd/base.ldif.in" >"$ROOT/base.ldif"
}

# Writes the configuration of instance $1 (TLS: yes or no) and loads its
# database with slapadd (offline, before slapd starts).
inst_config()
{
	local name=$1 tls=$2 dir tlsline
	dir=$(inst_dir "$name")
	mkdir -p "$dir/run" "$dir/db"
	if [ "$tls" = yes ]; then
		sed -e "s|@TLS@|$ROOT/tls|g" "$LAB/slapd/tls.conf.in" >"$dir/tls.conf"
		tlsline="include		$dir/tls.conf"
	else
		tlsline="# No TLS in this instance: StartTLS gets protocolError (2), unsupported."
	fi
	sed -e "s|@DIR@|$dir|g" -e "s|@SUFFIX@|$SUFFIX|g" -e "s|^@TLS@\$|$tlsline|" \
		"$LAB/slapd/slapd.conf.in" >"$dir/slapd.conf"
	slaptest -f "$dir/slapd.conf" -u >"$dir/slaptest.log" 2>&1 ||
		{ cat "$dir/slaptest.log" >&2; die "slapd $name: configuration rejected"; }
	slapadd -q -f "$dir/slapd.conf" -l "$ROOT/base.ldif" >"$dir/slapadd.log" 2>&1 ||
		{ cat "$dir/slapadd.log" >&2; die "slapd $name: slapadd failed"; }
}

# Starts one instance in the foreground (-d stats: its log on stderr, to
# slapd.log; no fork, so $! is slapd itself): inst_start NAME URLS...
inst_start()
{
	local name=$1 dir urls
	shift
	urls="$*"
	dir=$(inst_dir "$name")
	# As tools/record-sieve-lmtp.sh: its own UTS namespace named
	# ldap.tlswatch.test when allowed, and a mount namespace with a private
	# /etc/hosts (bind mount, seen by slapd only) that answers slapd's
	# look-up of its own name, so no DNS query leaves the machine. NS_CMD
	# execs slapd: $! is slapd's pid.
	ns_cmd ldap.tlswatch.test "$ROOT/hosts"
	"${NS_CMD[@]}" "$SLAPD" -f "$dir/slapd.conf" -h "$urls" -d stats 2>"$dir/slapd.log" &
	PIDS[$name]=$!
	STARTED+=("$name")
}

start_servers()
{
	[ -x "$SLAPD" ] || die "$SLAPD not found (install slapd, or run without --no-install)"
	# Port 53 on every interface for the whole run: a warning for any DNS
	# query seen (other programs on the machine may send some).
	dns_watch_start 'port 53'
	# Refuses to start when anything (Debian's own slapd, another run of this
	# script) already listens on a port this set needs, on any address.
	check_ports_free "$LDAP_PORT" "$LDAPS_PORT" "$GC_PORT"
	prepare_root
	inst_config tls yes
	inst_config notls no
	inst_start tls "ldap://$TLS_ADDR:$LDAP_PORT/" "ldaps://$TLS_ADDR:$LDAPS_PORT/" \
		"ldap://$TLS_ADDR:$GC_PORT/"
	inst_start notls "ldap://$NOTLS_ADDR:$LDAP_PORT/"
	wait_listen "$TLS_ADDR:$LDAP_PORT" "$TLS_ADDR:$LDAPS_PORT" "$TLS_ADDR:$GC_PORT" \
		"$NOTLS_ADDR:$LDAP_PORT" || {
		tail -n 20 "$(inst_dir tls)/slapd.log" "$(inst_dir notls)/slapd.log" >&2
		die "slapd did not start"
	}
	log "slapd $("$SLAPD" -VV 2>&1 | sed -n 's/.*slapd \([0-9][^ ]*\) .*/\1/p') started" \
		"(pids ${PIDS[tls]} ${PIDS[notls]}): $TLS_ADDR:$LDAP_PORT (StartTLS)," \
		"$TLS_ADDR:$LDAPS_PORT (ldaps), $TLS_ADDR:$GC_PORT, $NOTLS_ADDR:$LDAP_PORT (no TLS)"
}

# SIGTERM to each slapd by the PID this script holds (only if it still is a
# slapd), waits for it (SIGKILL by PID after 10 s), then checks that it no
# longer listens (stop_masters).
stop_servers()
{
	local name pid pids=()
	for name in "${STARTED[@]}"; do
		pid=${PIDS[$name]:-}
		[ -n "$pid" ] || continue
		if pid_is "$pid" slapd; then
			pids+=("$pid")
		elif kill -0 "$pid" 2>/dev/null; then
			log "pid $pid of instance $name is not a slapd; not touching it"
		fi
	done
	STARTED=()
	stop_masters TERM slapd "${pids[@]}"
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main (and the servers' above).

# Debian starts a package's service when it is installed, and slapd's
# postinst would also write a configuration under /etc/ldap: debconf's
# slapd/no_configuration (DEBCONF_EXTRA) skips that, and install_packages
# keeps every service from starting (policy-rc.d).
install_deps()
{
	install_packages "${PACKAGES[@]}"
}

# The server port of a capture (for tshark's decode-as).
capture_port()
{
	case "$1" in
	ldaps-636) echo "$LDAPS_PORT" ;;
	ldap-gc-3268) echo "$GC_PORT" ;;
	*) echo "$LDAP_PORT" ;;
	esac
}

# One complete TCP session and the content rules; then, for
# pcaps/README.md, the LDAP messages in the clear per frame.
verify_capture()
{
	local name=$1 file=$2 port
	port=$(capture_port "$name")
	cap_verify "$file" 1 && check_content "$name" "$file" "$port" || return 1
	if command -v tshark >/dev/null; then
		log "$name: LDAP in the clear, per frame:"
		segment_summary "$file" "$port" >&2
	fi
}

recorder_main "$@"

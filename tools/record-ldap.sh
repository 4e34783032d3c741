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
# shellcheck source=tools/lab/capture.sh
. "$LAB/capture.sh"

OUT=$REPO/pcaps
ROOT=/tmp/tlswatch-ldap-rec
MARKER=.tlswatch-ldap
INSTALL=1
WORK=""
CUR=""
# ldap3 is a Debian package: Debian's python, not whatever python3 is first in PATH.
DEB_PYTHON=/usr/bin/python3
SLAPD=/usr/sbin/slapd
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
DNS_PID=""

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
)

# libsasl2-modules: the PLAIN mechanism, for slapd and ldapsearch.
PACKAGES=(slapd ldap-utils libsasl2-modules python3 python3-ldap3 openssl tcpdump tshark
	iproute2 util-linux)

log()
{
	echo "record-ldap: $*" >&2
}

die()
{
	log "$*"
	exit 1
}

# ---------------------------------------------------------------- clients

# Runs a client; its output goes to $WORK/$CUR.log (CUR = current capture).
# A client that fails ends the whole run (the EXIT trap stops everything).
# Clients run with HOME and the working directory in the private root, so
# no ~/.ldaprc or ./ldaprc of the caller changes what they send; TLS checks
# the lab's certificate (CA file, name = the address, SAN IP 127.0.0.1).
run_client()
{
	local rc=0
	(cd "$ROOT/home" && env HOME="$ROOT/home" LDAPTLS_CACERT="$ROOT/tls/cert.pem" \
		LDAPTLS_REQCERT=demand "$@") >>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		cat "$WORK/$CUR.log" >&2
		log "$CUR: client failed (exit status $rc): $1"
		exit 1
	fi
}

# ldapsearch URI [options]: a subtree search of the suffix, all attributes.
lab_ldapsearch()
{
	local uri=$1
	shift
	run_client timeout 30 ldapsearch -H "$uri" -o nettimeout=10 -b "$SUFFIX" "$@"
}

# The same, where the bind must fail: ldapsearch exits 49 (invalidCredentials).
lab_ldapsearch_fail()
{
	local uri=$1 rc=0
	shift
	(cd "$ROOT/home" && env HOME="$ROOT/home" timeout 30 ldapsearch -H "$uri" -o nettimeout=10 \
		-b "$SUFFIX" "$@") >>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -ne 49 ]; then
		cat "$WORK/$CUR.log" >&2
		log "$CUR: ldapsearch exit status $rc, expected 49 (invalid credentials)"
		exit 1
	fi
}

# python3-ldap3: StartTLS, simple bind, search, unbind.
lab_ldapclient()
{
	run_client timeout 30 "$DEB_PYTHON" "$LAB/clients/ldapclient.py" "$@"
}

# Capture filter for exactly one server endpoint (address and port).
server_filter()
{
	local addr=$1 port=$2
	echo "tcp and ((dst host $addr and dst port $port) or (src host $addr and src port $port))"
}

# ------------------------------------------------------------- captures

# ldapsearch -ZZ: StartTLS extended request, success, TLS 1.3; the simple
# bind, the search and the unbind inside TLS.
rec_ldap-starttls()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR" -ZZ -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# ldaps: TLS from the first byte, the bind inside.
rec_ldaps-636()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$LDAPS_PORT")"
	lab_ldapsearch "ldaps://$TLS_ADDR" -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# No -Z: the simple bind with the password in cleartext, success, search, unbind.
rec_ldap-simple-bind-cleartext()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR" -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# The wrong password: invalidCredentials (49); ldapsearch unbinds and exits.
rec_ldap-bind-failed()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch_fail "ldap://$TLS_ADDR" -x -D "$ALICE_DN" -w "$WRONG_PW"
	cap_stop
}

# Anonymous simple bind (empty name and password), search, unbind.
rec_ldap-anonymous()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR" -x
	cap_stop
}

# -Z (not -ZZ) to the instance without TLS: StartTLS, protocolError (2)
# "unsupported extended operation" (slapd without a TLS context does not
# register the StartTLS extended operation at all), and ldapsearch goes on
# in cleartext.
rec_ldap-starttls-refused()
{
	cap_start "$1" lo "$(server_filter "$NOTLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$NOTLS_ADDR" -Z -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# python3-ldap3: start_tls(), then bind, search and unbind inside TLS.
rec_ldap-python-ldap3()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapclient "$TLS_ADDR" "$LDAP_PORT" --user "$ALICE_DN" --password "$ALICE_PW" \
		--base "$SUFFIX" --starttls --cafile "$ROOT/tls/cert.pem"
	cap_stop
}

# A simple bind in cleartext to the global catalog port.
rec_ldap-gc-3268()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$GC_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR:$GC_PORT" -x -D "$ALICE_DN" -w "$ALICE_PW"
	cap_stop
}

# SASL PLAIN in cleartext (-O none: no security properties, so the client
# library allows PLAIN without TLS); one round: the credentials are
# "\0alice\0AlicePass2024". libldap looks up the name of 127.0.0.1 for
# SASL (answered by /etc/hosts).
rec_ldap-sasl-plain()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$LDAP_PORT")"
	lab_ldapsearch "ldap://$TLS_ADDR" -Y PLAIN -O none -U alice -w "$ALICE_PW"
	cap_stop
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line; "=LINE" lines are the exact list, in order, of
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
	local name=$1 file=$2 port=$3 text rule ok=0 want got
	text=$(tcpdump -nr "$file" -A 2>/dev/null)
	want=""
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
	local f pid
	f=$(inst_dir "$1")/run/slapd.pid
	[ -r "$f" ] || return 0
	pid=$(tr -dc '0-9' <"$f")
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = slapd ] && echo "$pid"
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

# Refuses to start when anything (Debian's own slapd, another run of this
# script) already listens on a port this set needs, on any address.
check_ports_free()
{
	local busy
	busy=$(ss -ltnpH | awk -v a="$LDAP_PORT" -v b="$LDAPS_PORT" -v c="$GC_PORT" \
		'{ n = split($4, p, ":"); if (p[n] == a || p[n] == b || p[n] == c) print }')
	[ -z "$busy" ] || die "port $LDAP_PORT, $LDAPS_PORT or $GC_PORT already in use (stop that first):
$busy"
}

prepare_root()
{
	case "$ROOT" in
	/*) ;;
	*) die "--root must be an absolute path: $ROOT" ;;
	esac
	[ "$ROOT" != / ] || die "refusing --root /"
	case "$ROOT/" in
	/etc/*) die "refusing --root under /etc: $ROOT" ;;
	esac
	if [ -d "$ROOT" ] && [ -n "$(ls -A "$ROOT")" ] && [ ! -e "$ROOT/$MARKER" ]; then
		die "$ROOT exists, is not empty and is not a root of this script (no $MARKER)"
	fi
	local i
	for i in "${INSTANCES[@]}"; do
		[ -z "$(inst_pid "$i")" ] || die "slapd $i already running in $ROOT; stop it first"
	done
	mkdir -p "$ROOT"
	chmod 0755 "$ROOT"
	touch "$ROOT/$MARKER"
	rm -rf "${ROOT:?}/tls" "${ROOT:?}/home" "$ROOT/hosts" "$ROOT/base.ldif" "$ROOT/slapd-tls" "$ROOT/slapd-notls"
	mkdir -p "$ROOT/home"
	"$LAB/gen-cert.sh" "$ROOT/tls" ldap.tlswatch.test
	printf '127.0.0.1\tldap.tlswatch.test localhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		>"$ROOT/hosts"
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
	# look-up of its own name, so no DNS query leaves the machine.
	if unshare --uts --mount true 2>/dev/null; then
		unshare --uts --mount sh -c \
			'hostname ldap.tlswatch.test && mount --bind "$2" /etc/hosts && exec "$3" -f "$1" -h "$4" -d stats' \
			sh "$dir/slapd.conf" "$ROOT/hosts" "$SLAPD" "$urls" 2>"$dir/slapd.log" &
	else
		"$SLAPD" -f "$dir/slapd.conf" -h "$urls" -d stats 2>"$dir/slapd.log" &
	fi
	PIDS[$name]=$!
	STARTED+=("$name")
}

start_servers()
{
	check_ports_free
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
# longer listens.
stop_servers()
{
	local name pid pids=() left p tries=0 rc=0
	for name in "${STARTED[@]}"; do
		pid=${PIDS[$name]:-}
		[ -n "$pid" ] || continue
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != slapd ]; then
			kill -0 "$pid" 2>/dev/null && log "pid $pid of instance $name is not a slapd; not touching it"
			continue
		fi
		pids+=("$pid")
	done
	STARTED=()
	[ ${#pids[@]} -gt 0 ] || return 0
	kill -TERM "${pids[@]}" 2>/dev/null || true
	while :; do
		left=()
		for p in "${pids[@]}"; do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = slapd ] && left+=("$p")
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
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
		if ss -ltnpH | grep -q "pid=$p,"; then
			log "pid $p still listens after stop"
			rc=1
		fi
	done
	log "slapd stopped (pids ${pids[*]})"
	return $rc
}

# ------------------------------------------------------------ DNS watch

# tcpdump on every interface for port 53 while servers and clients run: the
# lab must not send a DNS query anywhere (other programs on the machine may,
# so this warns and shows the queries rather than failing).
dns_watch_start()
{
	tcpdump -Z root -n -U -i any -w "$WORK/dns.pcap" 'port 53' 2>"$WORK/dns.err" &
	DNS_PID=$!
	local tries=0
	until grep -q 'listening on' "$WORK/dns.err" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 50 ] || ! kill -0 "$DNS_PID" 2>/dev/null; then
			log "DNS watch did not start (no check of DNS queries):"
			cat "$WORK/dns.err" >&2
			DNS_PID=""
			return 0
		fi
		sleep 0.1
	done
}

dns_watch_stop()
{
	[ -n "$DNS_PID" ] || return 0
	kill -INT "$DNS_PID" 2>/dev/null || true
	wait "$DNS_PID" 2>/dev/null || true
	DNS_PID=""
	local seen
	seen=$(tcpdump -nr "$WORK/dns.pcap" 2>/dev/null || true)
	if [ -n "$seen" ]; then
		log "WARNING: DNS traffic on the machine during the run (this lab sends none itself):"
		echo "$seen" >&2
	else
		log "no DNS query during the run"
	fi
}

# ---------------------------------------------------------------- driver

cleanup()
{
	local rc=$?
	cap_stop
	stop_servers || rc=1
	dns_watch_stop
	restore_policy_rc
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit $rc
}

# Debian starts a package's service when it is installed, and slapd's
# postinst would also write a configuration under /etc/ldap: debconf's
# slapd/no_configuration skips that, and while installing a policy-rc.d of
# our own (only when there is none) keeps every service from starting.
restore_policy_rc()
{
	if [ $POLICY_RC_OURS -eq 1 ] && grep -q 'tlswatch record-ldap' "$POLICY_RC" 2>/dev/null; then
		rm -f "$POLICY_RC"
	fi
	POLICY_RC_OURS=0
}

install_deps()
{
	local p missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	log "installing ${missing[*]}"
	if [ ! -e "$POLICY_RC" ]; then
		printf '#!/bin/sh\n# tlswatch record-ldap: no service starts during its apt-get install\nexit 101\n' \
			>"$POLICY_RC"
		chmod 0755 "$POLICY_RC"
		POLICY_RC_OURS=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	debconf-set-selections <<-'EOF'
		slapd slapd/no_configuration boolean true
		wireshark-common wireshark-common/install-setuid boolean false
	EOF
	apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	restore_policy_rc
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

record_one()
{
	local name=$1 file tmp try port
	file=$name.pcap
	tmp=$WORK/$file
	port=$(capture_port "$name")
	CUR=$name
	for try in 1 2 3; do
		: >"$WORK/$name.log"
		rm -f "$tmp"
		log "recording $file"
		"rec_$name" "$tmp"
		if cap_verify "$tmp" 1 && check_content "$name" "$tmp" "$port"; then
			if command -v tshark >/dev/null; then
				log "$name: LDAP in the clear, per frame:"
				segment_summary "$tmp" "$port" >&2
			fi
			mv "$tmp" "$OUT/$file"
			chmod 0644 "$OUT/$file"
			return 0
		fi
		log "$name: capture incomplete or not as expected (try $try of 3)"
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
		-h | --help) sed -n '2,53p' "$0"; exit 0 ;;
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
	[ $INSTALL -eq 0 ] || install_deps
	[ -x "$SLAPD" ] || die "$SLAPD not found (install slapd, or run without --no-install)"
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	WORK=$(mktemp -d /tmp/tlswatch-rec.XXXXXX)
	dns_watch_start
	start_servers
	for n in "${names[@]}"; do
		record_one "$n"
	done
	log "recorded ${#names[@]} captures into $OUT in ${SECONDS} s"
}

main "$@"

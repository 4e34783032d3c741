#!/usr/bin/env bash
# tools/record-mysql.sh — records the MySQL captures in pcaps/ (mysql-*.pcap)
# from a real MariaDB 10.11 from Debian 12 (mariadb-server: mariadb-install-db
# and /usr/sbin/mariadbd, not the mariadb service, never Debian's datadir
# /var/lib/mysql), started by this script as its own servers in a private
# root, and real clients (the mariadb command-line client, on libmariadb;
# python3-pymysql through tools/lab/clients/mysqlclient.py), all on
# loopback. Must run as root (or through sudo).
#
#   tools/record-mysql.sh              record every capture of this set
#   tools/record-mysql.sh NAME...      only these (e.g. mysql-ssl)
#   tools/record-mysql.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-mysql-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, without starting
# Debian's own server).
#
# Servers (tools/lab/mariadb/mariadbd.cnf.in, the only option file each
# reads: `mariadbd --defaults-file=ROOT/db-NAME/mariadbd.cnf`; a fresh
# mariadb-install-db in ROOT/db-NAME/data on every run; run in the
# foreground as the mysql system user, so the recorder holds each PID):
#   tls    127.0.0.1:3306  ssl-cert/ssl-key (a certificate for
#                          db.tlswatch.test): the Handshake has CLIENT_SSL
#   nossl  127.0.0.2:3306  skip-ssl: the Handshake has no CLIENT_SSL
# Users (tools/lab/mariadb/users.sql, both servers, host 127.0.0.1 only):
# alice (mysql_native_password) and carol (PAM, service tlswatch-mysql, the
# password asked for with an AuthSwitchRequest to mysql_clear_password:
# pam-use-cleartext-plugin). PAM uses no Unix account and nothing in /etc:
# each mariadbd runs in a mount namespace of its own where ROOT/pam.d
# (tools/lab/mariadb/pam.conf.in) is bind-mounted on /etc/pam.d; pam_exec
# hands carol's password to tools/lab/mariadb/pam-check-password.sh, which
# compares it with a SHA-512 crypt in ROOT/pam/passwd. Database tlswatch.
# Nothing resolves a name: skip-name-resolve, IP addresses in every grant
# and on every client command line (no SNI: the clients connect to an IP
# address). A tcpdump on every interface for ports 53, 5353 and 5355 runs
# from before the first mariadb-install-db to after the servers stop; any
# packet there fails the run.
#
# Each capture is one rec_NAME function: tcpdump on lo with a filter on the
# server's address and port, one client, stop. The file must hold one
# complete TCP session (SYN to FIN or RST, no drop, no hole: cap_verify from
# tools/lab/capture.sh), show in cleartext what its name says (check_content,
# on `tcpdump -A`) and, with tshark, have the Handshake and response it
# should (check_handshake: CLIENT_SSL offered or not, requested or not, user,
# plugins, error code) before it is moved into the output directory. Both
# servers are stopped by PID (SIGTERM, a clean shutdown) from the EXIT trap,
# which then checks with `ss -ltnp` that nothing of theirs still listens.
# Bytes differ between runs (keys, nonces, scrambles, thread ids, ports);
# content does not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/capture.sh
. "$LAB/capture.sh"

OUT=$REPO/pcaps
ROOT=/tmp/tlswatch-mysql-rec
MARKER=.tlswatch-mysql
INSTALL=1
WORK=""
CUR=""
# pymysql is a Debian package: Debian's python, not whatever python3 is first in PATH.
DEB_PYTHON=/usr/bin/python3
MARIADBD=/usr/sbin/mariadbd
DB_USER=mysql
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
# Tries per capture: a capture that is incomplete or not as expected is made
# again (none has needed a second try so far).
TRIES=3
DNS_PID=""
DNS_FILE=""

TLS_ADDR=127.0.0.1  # server with TLS (CLIENT_SSL offered)
NOSSL_ADDR=127.0.0.2  # server with skip-ssl
MY_PORT=3306
CERT_NAME=db.tlswatch.test
PAM_SERVICE=tlswatch-mysql
INSTANCES=(tls nossl)
STARTED=()
declare -A SERVER_PID=()

# Lab users (tools/lab/mariadb/users.sql); documented in pcaps/README.md.
ALICE_PW=AlicePass2024
CAROL_PW=CarolPass2024
WRONG_PW=WrongPass999

CAPTURES=(
	mysql-ssl mysql-native-cleartext mysql-login-failed mysql-no-ssl
	mysql-clear-password
)

PACKAGES=(mariadb-server mariadb-client python3 python3-pymysql openssl
	tcpdump tshark iproute2 util-linux mount libpam-modules)

log()
{
	echo "record-mysql: $*" >&2
}

die()
{
	log "$*"
	exit 1
}

# ---------------------------------------------------------------- clients

# Runs a client with a clean environment (no ~/.my.cnf, no MYSQL_* variables
# of the caller; HOME is an empty directory); the password goes in MYSQL_PWD
# (never on a command line). Its output goes to $WORK/$CUR.log (CUR =
# current capture). A client that fails ends the whole run (the EXIT trap
# stops everything).
#   run_client PASSWORD COMMAND...
run_client()
{
	local pw=$1 rc=0
	shift
	env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C.UTF-8 MYSQL_PWD="$pw" \
		timeout 30 "$@" >>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		cat "$WORK/$CUR.log" >&2
		log "$CUR: client failed (exit status $rc): $1"
		exit 1
	fi
}

# The mariadb client (libmariadb): --no-defaults (no option file at all),
# TCP to a numeric address, database tlswatch, `SELECT 1`, COM_QUIT.
#   lab_mariadb PASSWORD ADDR USER [more mariadb options]
lab_mariadb()
{
	local pw=$1 addr=$2 user=$3
	shift 3
	run_client "$pw" mariadb --no-defaults --protocol=TCP --host="$addr" --port="$MY_PORT" \
		--user="$user" --database=tlswatch --connect-timeout=10 --batch \
		--skip-column-names "$@" --execute="SELECT 1"
}

# The mariadb client with a wrong password: it must fail with ERROR 1045
# (exit status 1).
#   lab_mariadb_fail PASSWORD ADDR USER [more mariadb options]
lab_mariadb_fail()
{
	local pw=$1 addr=$2 user=$3 rc=0
	shift 3
	env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C.UTF-8 MYSQL_PWD="$pw" \
		timeout 30 mariadb --no-defaults --protocol=TCP --host="$addr" --port="$MY_PORT" \
		--user="$user" --database=tlswatch --connect-timeout=10 --batch \
		--skip-column-names "$@" --execute="SELECT 1" >>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -ne 1 ] || ! grep -q '^ERROR 1045 (28000): Access denied for user' "$WORK/$CUR.log"; then
		cat "$WORK/$CUR.log" >&2
		log "$CUR: mariadb did not fail as expected (exit status $rc)"
		exit 1
	fi
}

# python3-pymysql: one connection, autocommit, `SELECT 1`, COM_QUIT.
#   lab_mysqlclient PASSWORD ADDR USER [mysqlclient.py options]
lab_mysqlclient()
{
	local pw=$1 addr=$2 user=$3
	shift 3
	run_client "$pw" "$DEB_PYTHON" "$LAB/clients/mysqlclient.py" --host "$addr" \
		--port "$MY_PORT" --user "$user" "$@"
}

# Capture filter for exactly one server endpoint (address and port).
server_filter()
{
	local addr=$1 port=$2
	echo "tcp and ((dst host $addr and dst port $port) or (src host $addr and src port $port))"
}

# ------------------------------------------------------------ captures

# mariadb --ssl to the TLS server, the certificate checked (--ssl-ca,
# --ssl-verify-server-cert: its subjectAltName has IP:127.0.0.1): Handshake
# (CLIENT_SSL), SSLRequest (32 bytes, CLIENT_SSL), TLS 1.3; the
# HandshakeResponse41 (alice, mysql_native_password), OK, `SELECT 1`,
# COM_QUIT all inside TLS. No SNI (the host is an IP address).
rec_mysql-ssl()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$MY_PORT")"
	lab_mariadb "$ALICE_PW" "$TLS_ADDR" alice --ssl --ssl-ca="$ROOT/tls/cert.pem" \
		--ssl-verify-server-cert
	cap_stop
}

# mariadb --skip-ssl to the TLS server: the Handshake offers CLIENT_SSL, the
# client answers with the HandshakeResponse41 at once (no CLIENT_SSL): user
# alice, database tlswatch, the 20-byte mysql_native_password scramble; OK,
# `SELECT 1`, COM_QUIT, all in cleartext.
rec_mysql-native-cleartext()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$MY_PORT")"
	lab_mariadb "$ALICE_PW" "$TLS_ADDR" alice --skip-ssl
	cap_stop
}

# The same with the wrong password: ERR 1045 (28000), the server closes.
rec_mysql-login-failed()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$MY_PORT")"
	lab_mariadb_fail "$WRONG_PW" "$TLS_ADDR" alice --skip-ssl
	cap_stop
}

# mariadb --ssl (the client's default, without --ssl-verify-server-cert) to
# the server with skip-ssl: its Handshake has no CLIENT_SSL, and the client
# goes on in cleartext (HandshakeResponse41 without CLIENT_SSL, alice,
# mysql_native_password), OK, `SELECT 1`, COM_QUIT.
rec_mysql-no-ssl()
{
	cap_start "$1" lo "$(server_filter "$NOSSL_ADDR" "$MY_PORT")"
	lab_mariadb "$ALICE_PW" "$NOSSL_ADDR" alice --ssl
	cap_stop
}

# mysqlclient.py (pymysql) --no-ssl as carol to the TLS server: the
# HandshakeResponse41 names mysql_native_password (the server's default),
# the server answers with an AuthSwitchRequest to mysql_clear_password
# (carol is a PAM user), the client sends `CarolPass2024\0` in the clear,
# PAM (pam_exec) accepts it, OK, `SELECT 1`, COM_QUIT.
rec_mysql-clear-password()
{
	cap_start "$1" lo "$(server_filter "$TLS_ADDR" "$MY_PORT")"
	lab_mysqlclient "$CAROL_PW" "$TLS_ADDR" carol --no-ssl
	cap_stop
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line (non-printable bytes are dots in tcpdump -A):
# the cleartext part says what the name says, and nothing that belongs
# inside TLS is in the clear.
content_rules()
{
	case "$1" in
	# TLS 1.3: the certificate (db.tlswatch.test) is encrypted too.
	mysql-ssl)
		cat <<-'EOF'
			+5.5.5-10.11.
			+mysql_native_password
			-alice
			-tlswatch
			-AlicePass2024
			-SELECT 1
			-libmariadb
		EOF
		;;
	mysql-native-cleartext)
		cat <<-'EOF'
			+5.5.5-10.11.
			+alice.
			+tlswatch.mysql_native_password.
			+libmariadb._pid.
			+SELECT 1
			-AlicePass2024
			-WrongPass999
			-mysql_clear_password
			-Access denied
		EOF
		;;
	mysql-login-failed)
		cat <<-'EOF'
			+alice.
			+tlswatch.mysql_native_password.
			+#28000Access denied for user 'alice'@'127.0.0.1' (using password: YES)
			-WrongPass999
			-AlicePass2024
			-SELECT 1
		EOF
		;;
	mysql-no-ssl)
		cat <<-'EOF'
			+5.5.5-10.11.
			+alice.
			+tlswatch.mysql_native_password.
			+libmariadb._pid.
			+SELECT 1
			-AlicePass2024
			-mysql_clear_password
		EOF
		;;
	mysql-clear-password)
		cat <<-'EOF'
			+carol.
			+tlswatch.mysql_native_password.
			+_client_name.pymysql
			+mysql_clear_password
			+CarolPass2024.
			+SELECT 1
			-Access denied
		EOF
		;;
	esac
}

check_content()
{
	local name=$1 file=$2 text rule ok=0
	text=$(tcpdump -nr "$file" -A 2>/dev/null)
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
		esac
	done < <(content_rules "$name")
	check_handshake "$name" "$file" || ok=1
	return $ok
}

# What the Handshake and the client's answer say, with tshark (skipped
# without it; one tshark run over the packets with a payload): CLIENT_SSL
# (0x0800) in the server's and in the client's first capability flags, the
# user, the plugin names (server default, client's, AuthSwitchRequest), the
# ERR code; and the client's first payload: an SSLRequest is 36 bytes
# (header 20 00 00 01, 32 bytes), followed by a TLS record (16 03); otherwise
# a HandshakeResponse41 (sequence id 1).
check_handshake()
{
	local name=$1 file=$2 scaps ccaps facts want
	command -v tshark >/dev/null || return 0
	facts=$(tshark -n -r "$file" -Y 'tcp.len > 0' -T fields -E separator='|' -E occurrence=f \
		-e tcp.dstport -e tcp.payload -e mysql.caps.server -e mysql.caps.client \
		-e mysql.auth_plugin -e mysql.user -e mysql.client_auth_plugin \
		-e mysql.auth_switch_request.name -e mysql.error_code 2>/dev/null |
		awk -F'|' -v port="$MY_PORT" '
			BEGIN { split("- - scaps ccaps server_plugin user client_plugin switch error", key, " ") }
			{
				if ($1 == port) {
					c++
					p = $2
					gsub(":", "", p)
					if (c == 1) sreq = (p ~ /^20000001[0-9a-f]{64}$/)
					if (c == 2) tls = (p ~ /^1603/)
				}
				for (i = 3; i <= 9; i++)
					if (!(i in val) && $i != "") val[i] = $i
			}
			END {
				printf "%s %s sslrequest=%d tls=%d", val[3], val[4], sreq, tls
				for (i = 5; i <= 9; i++) printf " %s=%s", key[i], val[i]
				print ""
			}')
	read -r scaps ccaps facts <<<"$facts"
	if [[ ! $scaps =~ ^0x[0-9a-f]{4}$ ]] || [[ ! $ccaps =~ ^0x[0-9a-f]{4}$ ]]; then
		log "$name: no MySQL Handshake and response found by tshark"
		return 1
	fi
	facts="server_ssl=$(((scaps & 0x800) != 0)) client_ssl=$(((ccaps & 0x800) != 0)) $facts"
	case "$name" in
	mysql-ssl)
		want="server_ssl=1 client_ssl=1 sslrequest=1 tls=1 server_plugin=mysql_native_password"
		want+=" user= client_plugin= switch= error="
		;;
	mysql-native-cleartext | mysql-no-ssl)
		want="server_ssl=$([ "$name" = mysql-no-ssl ] && echo 0 || echo 1) client_ssl=0"
		want+=" sslrequest=0 tls=0 server_plugin=mysql_native_password user=alice"
		want+=" client_plugin=mysql_native_password switch= error="
		;;
	mysql-login-failed)
		want="server_ssl=1 client_ssl=0 sslrequest=0 tls=0 server_plugin=mysql_native_password"
		want+=" user=alice client_plugin=mysql_native_password switch= error=1045"
		;;
	mysql-clear-password)
		want="server_ssl=1 client_ssl=0 sslrequest=0 tls=0 server_plugin=mysql_native_password"
		want+=" user=carol client_plugin=mysql_native_password switch=mysql_clear_password error="
		;;
	esac
	if [ "$facts" != "$want" ]; then
		log "$name: Handshake not as expected (server caps $scaps, client caps $ccaps):"
		log "  seen: $facts"
		log "  want: $want"
		return 1
	fi
	echo "$name: server caps $scaps, client caps $ccaps: $facts" >"$WORK/$name.handshake"
}

# ---------------------------------------------------------------- servers

inst_dir()
{
	echo "$ROOT/db-$1"
}

alive()
{
	kill -0 "$1" 2>/dev/null
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

# Refuses to start when anything (Debian's own mariadb, another run of this
# script) already listens on port 3306, on any address.
check_ports_free()
{
	local busy
	busy=$(ss -ltnpH | awk -v a="$MY_PORT" '{ n = split($4, p, ":"); if (p[n] == a) print }')
	[ -z "$busy" ] || die "port $MY_PORT already in use (stop that first):
$busy"
}

check_tools()
{
	local t
	[ -x "$MARIADBD" ] || die "$MARIADBD missing (Debian package mariadb-server)"
	[ -x /usr/lib/mysql/plugin/auth_pam_tool_dir/auth_pam_tool ] ||
		die "MariaDB's PAM helper auth_pam_tool missing (Debian package mariadb-server)"
	[ -n "$(find /lib /usr/lib -path '*/security/pam_exec.so' -print -quit 2>/dev/null)" ] ||
		die "pam_exec.so missing (Debian package libpam-modules)"
	for t in mariadb-install-db mariadb tcpdump setpriv unshare mount openssl ss; do
		command -v "$t" >/dev/null || die "$t missing"
	done
	"$DEB_PYTHON" -c 'import pymysql, ssl' 2>/dev/null ||
		die "$DEB_PYTHON has no pymysql (Debian package python3-pymysql)"
	id "$DB_USER" >/dev/null 2>&1 || die "no system user $DB_USER (created by mariadb-server)"
	unshare --mount true 2>/dev/null ||
		die "no mount namespaces here: carol's PAM service cannot be given to mariadbd without" \
			"writing /etc/pam.d; record the others by name or run where unshare --mount works"
}

prepare_root()
{
	case "$ROOT" in
	/*) ;;
	*) die "--root must be an absolute path: $ROOT" ;;
	esac
	[ "$ROOT" != / ] || die "refusing --root /"
	if [ -d "$ROOT" ] && [ -n "$(ls -A "$ROOT")" ] && [ ! -e "$ROOT/$MARKER" ]; then
		die "$ROOT exists, is not empty and is not a root of this script (no $MARKER)"
	fi
	local i pid
	for i in "${INSTANCES[@]}"; do
		pid=$(tr -dc '0-9' 2>/dev/null <"$(inst_dir "$i")/run/mariadbd.pid" || true)
		if [ -n "$pid" ] && alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mariadbd ]; then
			die "mariadbd $i already running in $ROOT (pid $pid); stop it first"
		fi
	done
	mkdir -p "$ROOT"
	chmod 0755 "$ROOT"
	touch "$ROOT/$MARKER"
	rm -rf "$ROOT/tls" "$ROOT/pam" "$ROOT/pam.d" "$ROOT/db-tls" "$ROOT/db-nossl"
	# The clients' copy of the certificate (--ssl-ca) stays root's.
	"$LAB/gen-cert.sh" "$ROOT/tls" "$CERT_NAME"
	# PAM: the service file (bind-mounted on /etc/pam.d for mariadbd only),
	# the checker, and carol's SHA-512 crypt with a new salt. pam_exec runs
	# the checker with auth_pam_tool's real user, mysql: the crypt file is
	# mysql's, mode 0600.
	mkdir -p "$ROOT/pam" "$ROOT/pam.d"
	chmod 0755 "$ROOT/pam" "$ROOT/pam.d"
	install -m 0755 "$LAB/mariadb/pam-check-password.sh" "$ROOT/pam/check-password"
	printf 'carol:%s\n' "$(printf '%s\n' "$CAROL_PW" | openssl passwd -6 -stdin)" >"$ROOT/pam/passwd"
	chown "$DB_USER:" "$ROOT/pam/passwd"
	chmod 0600 "$ROOT/pam/passwd"
	sed -e "s|@CHECK@|$ROOT/pam/check-password|g" -e "s|@PASSWD@|$ROOT/pam/passwd|g" \
		"$LAB/mariadb/pam.conf.in" >"$ROOT/pam.d/$PAM_SERVICE"
	chmod 0644 "$ROOT/pam.d/$PAM_SERVICE"
	mkdir -p "$WORK/home"
}

# Creates one server's option file and datadir: inst_init NAME ADDR (both
# servers at once, in the background: mariadb-install-db takes a few seconds).
inst_init()
{
	local name=$1 addr=$2 dir tls_opts
	dir=$(inst_dir "$name")
	mkdir -p "$dir/tls" "$dir/run"
	if [ "$name" = tls ]; then
		# The server's key must belong to the server's user, mode 0600.
		install -m 0644 -o "$DB_USER" "$ROOT/tls/cert.pem" "$dir/tls/cert.pem"
		install -m 0600 -o "$DB_USER" "$ROOT/tls/key.pem" "$dir/tls/key.pem"
		tls_opts="ssl-cert = $dir/tls/cert.pem\nssl-key = $dir/tls/key.pem\ntls-version = TLSv1.2,TLSv1.3"
	else
		tls_opts="skip-ssl"
	fi
	sed -e "s|@DATADIR@|$dir/data|g" -e "s|@SOCKET@|$dir/run/mysqld.sock|g" \
		-e "s|@PIDFILE@|$dir/run/mariadbd.pid|g" -e "s|@LISTEN@|$addr|g" \
		-e "s|@TLS_OPTIONS@|$tls_opts|g" "$LAB/mariadb/mariadbd.cnf.in" >"$dir/mariadbd.cnf"
	chmod 0644 "$dir/mariadbd.cnf"
	chown "$DB_USER:" "$dir" "$dir/tls" "$dir/run"
	chmod 0700 "$dir" "$dir/run"
	# --skip-name-resolve: no resolveip of the machine's name (root@HOSTNAME
	# is still made from `hostname`; users.sql removes it).
	(cd "$ROOT" && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME="$ROOT" \
		mariadb-install-db --defaults-file="$dir/mariadbd.cnf" --user="$DB_USER" \
		--auth-root-authentication-method=normal --skip-name-resolve --skip-test-db) \
		>"$dir/install-db.log" 2>&1 ||
		{ cat "$dir/install-db.log" >&2; die "mariadb-install-db for $name failed"; }
	# mariadb-install-db can say nothing wrong and exit 0 with no datadir
	# (an option file it cannot read): check.
	[ -d "$dir/data/mysql" ] ||
		{ cat "$dir/install-db.log" >&2; die "mariadb-install-db for $name made no $dir/data/mysql"; }
}

# Starts one server and creates its users: inst_start NAME
inst_start()
{
	local name=$1 dir pid tries=0
	dir=$(inst_dir "$name")
	STARTED+=("$name")
	# unshare (a mount namespace: ROOT/pam.d on /etc/pam.d), sh, setpriv and
	# mariadbd each exec the next: $! is mariadbd's PID.
	# shellcheck disable=SC2016 # sh expands them
	(cd "$ROOT" && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME="$ROOT" \
		unshare --mount --propagation private -- /bin/sh -c \
		'mount --bind "$1" /etc/pam.d && exec setpriv --reuid="$2" --regid="$2" --init-groups -- "$3" --defaults-file="$4"' \
		sh "$ROOT/pam.d" "$DB_USER" "$MARIADBD" "$dir/mariadbd.cnf") \
		>"$dir/mariadbd.log" 2>&1 </dev/null &
	pid=$!
	SERVER_PID[$name]=$pid
	until [ -S "$dir/run/mysqld.sock" ] && [ "$(tr -dc '0-9' 2>/dev/null <"$dir/run/mariadbd.pid")" = "$pid" ]; do
		tries=$((tries + 1))
		if [ $tries -ge 300 ] || ! alive "$pid"; then
			cat "$dir/mariadbd.log" >&2
			die "mariadbd $name did not start (see $dir/mariadbd.log)"
		fi
		sleep 0.1
	done
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mariadbd ] || die "pid $pid of $name is not mariadbd"
	mariadb --no-defaults --protocol=SOCKET --socket="$dir/run/mysqld.sock" --user=root --batch \
		<"$LAB/mariadb/users.sql" >"$dir/users.log" 2>&1 ||
		{ cat "$dir/users.log" >&2; die "creating the users in $name failed"; }
}

start_servers()
{
	local tls_job nossl_job tls_rc=0 nossl_rc=0
	prepare_root
	inst_init tls "$TLS_ADDR" &
	tls_job=$!
	inst_init nossl "$NOSSL_ADDR" &
	nossl_job=$!
	# Both finish before anything is judged: nothing is left running.
	wait "$tls_job" || tls_rc=$?
	wait "$nossl_job" || nossl_rc=$?
	[ $((tls_rc + nossl_rc)) -eq 0 ] || die "preparing the servers failed"
	inst_start tls
	inst_start nossl
	wait_listen "$TLS_ADDR:$MY_PORT" "$NOSSL_ADDR:$MY_PORT"
	log "$("$MARIADBD" --version | sed 's/ *for debian.*//') started:" \
		"$TLS_ADDR:$MY_PORT (pid ${SERVER_PID[tls]}, TLS, $CERT_NAME)," \
		"$NOSSL_ADDR:$MY_PORT (pid ${SERVER_PID[nossl]}, skip-ssl)"
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

# SIGTERM (a clean shutdown) to each mariadbd by the PID this script holds
# (only if it is a mariadbd), waits for it and its children (auth_pam_tool;
# SIGKILL by PID after 30 s), then checks that none of them still listens.
stop_servers()
{
	local name pid masters=() all=() left p tries=0 rc=0
	for name in "${STARTED[@]}"; do
		pid=${SERVER_PID[$name]:-}
		if [ -z "$pid" ] || ! alive "$pid"; then
			continue
		fi
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != mariadbd ]; then
			log "pid $pid of server $name is not a mariadbd; not touching it"
			continue
		fi
		masters+=("$pid")
		all+=("$pid")
		mapfile -t -O ${#all[@]} all < <(descendants "$pid")
	done
	STARTED=()
	[ ${#masters[@]} -gt 0 ] || return 0
	kill -TERM "${masters[@]}" 2>/dev/null || true
	while :; do
		left=()
		for p in "${all[@]}"; do
			alive "$p" && left+=("$p")
		done
		[ ${#left[@]} -eq 0 ] && break
		tries=$((tries + 1))
		if [ $tries -ge 300 ]; then
			log "still alive after 30 s, SIGKILL: ${left[*]}"
			kill -KILL "${left[@]}" 2>/dev/null || true
			sleep 0.2
			break
		fi
		sleep 0.1
	done
	# Reap the servers (children of this shell).
	for p in "${masters[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for p in "${all[@]}"; do
		if ss -ltnpH | grep -q "pid=$p,"; then
			log "pid $p still listens after stop"
			rc=1
		fi
		if alive "$p"; then
			log "pid $p still runs after stop"
			rc=1
		fi
	done
	log "mariadbd stopped (${#masters[@]} servers, ${#all[@]} processes)"
	return $rc
}

# ------------------------------------------------------------- DNS watch

# A tcpdump on every interface for DNS, mDNS and LLMNR while the servers
# run: the lab must not ask any resolver off the machine.
dns_watch_start()
{
	local tries=0
	DNS_FILE=$WORK/dns.pcap
	tcpdump -Z root -U --immediate-mode -n -i any -w "$DNS_FILE" \
		'port 53 or port 5353 or port 5355' 2>"$DNS_FILE.err" &
	DNS_PID=$!
	until grep -qE '^(tcpdump: )?listening on' "$DNS_FILE.err" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 100 ] || ! alive "$DNS_PID"; then
			cat "$DNS_FILE.err" >&2
			DNS_PID=""
			die "the DNS watch (tcpdump -i any) did not start"
		fi
		sleep 0.1
	done
}

# Any packet written, or matched by the filter (a packet still in the ring
# when tcpdump stops is counted there, not written), fails the run.
dns_watch_stop()
{
	local seen matched
	[ -n "$DNS_PID" ] || return 0
	sleep 0.5
	kill -INT "$DNS_PID" 2>/dev/null || true
	wait "$DNS_PID" 2>/dev/null || true
	DNS_PID=""
	seen=$(tcpdump -nr "$DNS_FILE" 2>/dev/null || true)
	matched=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} received by filter.*/\1/p' "$DNS_FILE.err")
	if [ -n "$seen" ] || [ "${matched:-0}" -gt 0 ]; then
		log "DNS packets were seen while the lab ran (${matched:-?} matched; something resolved a name):"
		[ -z "$seen" ] || echo "$seen" >&2
		return 1
	fi
	log "no DNS packet on any interface while the lab ran"
}

# ---------------------------------------------------------------- driver

cleanup()
{
	local rc=$?
	cap_stop
	stop_servers || rc=1
	dns_watch_stop || rc=1
	restore_policy_rc
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit $rc
}

# Debian starts a package's service when it is installed; mariadb-server
# would start its own server on /var/lib/mysql, listening on
# 127.0.0.1:3306. While installing, a policy-rc.d of our own (only when
# there is none) keeps every service from starting (the datadir is still
# created, and left stopped; this script never touches it).
restore_policy_rc()
{
	if [ $POLICY_RC_OURS -eq 1 ] && grep -q 'tlswatch record-mysql' "$POLICY_RC" 2>/dev/null; then
		rm -f "$POLICY_RC"
	fi
	POLICY_RC_OURS=0
}

# PIDs of the MariaDB/MySQL servers running now, from /proc.
server_pids()
{
	local p c
	for p in /proc/[0-9]*; do
		c=$(cat "$p/comm" 2>/dev/null) || continue
		case "$c" in
		mariadbd | mysqld | mariadbd-safe | mysqld_safe) echo "${p#/proc/}" ;;
		esac
	done | sort -n
}

# Stops, by PID, the servers that the install started after all (a
# policy-rc.d that was already there and lets services start).
stop_new_servers()
{
	local before=$1 after p new=() tries=0
	after=$(server_pids)
	for p in $after; do
		grep -qxF "$p" <<<"$before" || new+=("$p")
	done
	[ ${#new[@]} -gt 0 ] || return 0
	log "the install started a MariaDB server (pid ${new[*]}); stopping it"
	kill -TERM "${new[@]}" 2>/dev/null || true
	for p in "${new[@]}"; do
		while alive "$p"; do
			tries=$((tries + 1))
			if [ $tries -ge 300 ]; then
				kill -KILL "$p" 2>/dev/null || true
				break
			fi
			sleep 0.1
		done
	done
}

install_deps()
{
	local p missing=() before
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	log "installing ${missing[*]}"
	if [ ! -e "$POLICY_RC" ]; then
		printf '#!/bin/sh\n# tlswatch record-mysql: no service starts during its apt-get install\nexit 101\n' \
			>"$POLICY_RC"
		chmod 0755 "$POLICY_RC"
		POLICY_RC_OURS=1
	fi
	before=$(server_pids)
	export DEBIAN_FRONTEND=noninteractive
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" \
		>"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log" >&2; die "apt-get install failed: ${missing[*]}"; }
	restore_policy_rc
	stop_new_servers "$before"
}

record_one()
{
	local name=$1 file tmp try
	file=$name.pcap
	tmp=$WORK/$file
	CUR=$name
	for try in $(seq "$TRIES"); do
		: >"$WORK/$name.log"
		rm -f "$tmp"
		log "recording $file"
		"rec_$name" "$tmp"
		if cap_verify "$tmp" 1 && check_content "$name" "$tmp"; then
			mv "$tmp" "$OUT/$file"
			chmod 0644 "$OUT/$file"
			return 0
		fi
		log "$name: capture incomplete or not as expected (try $try of $TRIES)"
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
		-h | --help) sed -n '2,50p' "$0"; exit 0 ;;
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
	WORK=$(mktemp -d /tmp/tlswatch-rec.XXXXXX)
	[ $INSTALL -eq 0 ] || install_deps
	check_tools
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	check_ports_free
	dns_watch_start
	start_servers
	for n in "${names[@]}"; do
		record_one "$n"
	done
	for n in "${names[@]}"; do
		[ ! -s "$WORK/$n.handshake" ] || log "$(cat "$WORK/$n.handshake")"
	done
	log "recorded ${#names[@]} captures into $OUT"
}

main "$@"

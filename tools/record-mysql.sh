#!/usr/bin/env bash
# tools/record-mysql.sh — records the MySQL captures in pcaps/ (mysql-*.pcap,
# downgrade-mysql-strip.pcap through tools/lab/mitm.py) from a real MariaDB
# 10.11 from Debian 12 (mariadb-server: mariadb-install-db
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
# tools/lab/capture.sh), show in cleartext what its name says (content_rules,
# on `tcpdump -A`) and, with tshark, have the Handshake and response it
# should (check_handshake: CLIENT_SSL offered or not, requested or not, user,
# plugins, error code) before it is moved into the output directory. Both
# servers are stopped by PID (SIGTERM, a clean shutdown) from the EXIT trap,
# which then checks with `ss -ltnp` that nothing of theirs still listens.
# Bytes differ between runs (keys, nonces, scrambles, thread ids, ports);
# content does not. What all recorders share (driver, logging, processes,
# private root, packages, DNS watch) is tools/lab/record-lib.sh.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-mysql-rec
MARKER=.tlswatch-mysql
# pymysql is a Debian package: Debian's python, not whatever python3 is first in PATH.
DEB_PYTHON=/usr/bin/python3
MARIADBD=/usr/sbin/mariadbd
DB_USER=mysql
# mariadb-install-db, a start and a clean shutdown take a few seconds each:
# wait up to 30 s (record-lib.sh's wait_until, wait_listen, wait_gone).
WAIT_TIMEOUT=30

TLS_ADDR=127.0.0.1  # server with TLS (CLIENT_SSL offered)
NOSSL_ADDR=127.0.0.2  # server with skip-ssl
MY_PORT=3306
# The man in the middle (tools/lab/mitm.py, record-lib.sh's proxied) listens
# here and relays to the server "tls"; both sides are in the
# downgrade-mysql-* captures. The servers know alice from this address too
# (proxy_users).
MITM_ADDR=127.0.0.30
PYTHON=$DEB_PYTHON
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
	downgrade-mysql-strip
)

PACKAGES=(mariadb-server mariadb-client python3 python3-pymysql openssl
	tcpdump tshark iproute2 util-linux mount libpam-modules)

# ---------------------------------------------------------------- clients
# run_client: tools/lab/record-lib.sh.

# Runs a client (within 30 s) with a clean environment (no ~/.my.cnf, no
# MYSQL_* variables of the caller; HOME is an empty directory); the password
# goes in MYSQL_PWD (never on a command line).
#   my_env PASSWORD COMMAND...
my_env()
{
	local pw=$1
	shift
	env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C.UTF-8 MYSQL_PWD="$pw" timeout 30 "$@"
}

# The mariadb client (libmariadb): --no-defaults (no option file at all),
# TCP to a numeric address, database tlswatch, `SELECT 1`, COM_QUIT.
#   mariadb_cmd PASSWORD ADDR USER [more mariadb options]
mariadb_cmd()
{
	local pw=$1 addr=$2 user=$3
	shift 3
	my_env "$pw" mariadb --no-defaults --protocol=TCP --host="$addr" --port="$MY_PORT" \
		--user="$user" --database=tlswatch --connect-timeout=10 --batch \
		--skip-column-names "$@" --execute="SELECT 1"
}

# mariadb_cmd through run_client: a client that fails ends the whole run.
lab_mariadb()
{
	run_client mariadb_cmd "$@"
}

# mariadb_cmd with a wrong password: it must fail with ERROR 1045 (exit
# status 1).
lab_mariadb_fail()
{
	local rc=0
	mariadb_cmd "$@" >>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -ne 1 ] || ! grep -q '^ERROR 1045 (28000): Access denied for user' "$WORK/$CUR.log"; then
		client_die "mariadb did not fail as expected (exit status $rc)"
	fi
}

# python3-pymysql: one connection, autocommit, `SELECT 1`, COM_QUIT.
#   lab_mysqlclient PASSWORD ADDR USER [mysqlclient.py options]
lab_mysqlclient()
{
	local pw=$1 addr=$2 user=$3
	shift 3
	run_client my_env "$pw" "$DEB_PYTHON" "$LAB/clients/mysqlclient.py" --host "$addr" \
		--port "$MY_PORT" --user "$user" "$@"
}

# ------------------------------------------------------------ captures

# mariadb --ssl to the TLS server, the certificate checked (--ssl-ca,
# --ssl-verify-server-cert: its subjectAltName has IP:127.0.0.1): Handshake
# (CLIENT_SSL), SSLRequest (32 bytes, CLIENT_SSL), TLS 1.3; the
# HandshakeResponse41 (alice, mysql_native_password), OK, `SELECT 1`,
# COM_QUIT all inside TLS. No SNI (the host is an IP address).
rec_mysql-ssl()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$MY_PORT")"
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
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$MY_PORT")"
	lab_mariadb "$ALICE_PW" "$TLS_ADDR" alice --skip-ssl
	cap_stop
}

# The same with the wrong password: ERR 1045 (28000), the server closes.
rec_mysql-login-failed()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$MY_PORT")"
	lab_mariadb_fail "$WRONG_PW" "$TLS_ADDR" alice --skip-ssl
	cap_stop
}

# mariadb --ssl (the client's default, without --ssl-verify-server-cert) to
# the server with skip-ssl: its Handshake has no CLIENT_SSL, and the client
# goes on in cleartext (HandshakeResponse41 without CLIENT_SSL, alice,
# mysql_native_password), OK, `SELECT 1`, COM_QUIT.
rec_mysql-no-ssl()
{
	cap_start "$1" lo "$(cap_server_filter "$NOSSL_ADDR" "$MY_PORT")"
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
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$MY_PORT")"
	lab_mysqlclient "$CAROL_PW" "$TLS_ADDR" carol --no-ssl
	cap_stop
}

# ------------------------------------------------------------ downgrades

# Through the proxy (127.0.0.30:3306, relaying from 127.0.0.30 to the
# server "tls"), the mariadb client with --ssl and no certificate check:
# libmariadb sends an SSLRequest when the Handshake has CLIENT_SSL and
# goes on in cleartext when it has not (as in mysql-no-ssl). The first
# connection goes through unchanged (TLS); in the second the proxy clears
# CLIENT_SSL in the Handshake, and the HandshakeResponse41 (alice, the
# mysql_native_password scramble), `SELECT 1` and COM_QUIT cross in
# cleartext.
rec_downgrade-mysql-strip()
{
	proxied mysql $MY_PORT $TLS_ADDR:$MY_PORT pass,strip 2 "$1"
	lab_mariadb "$ALICE_PW" "$MITM_ADDR" alice --ssl
	lab_mariadb "$ALICE_PW" "$MITM_ADDR" alice --ssl
	proxied_end
	expect_log 'CLIENT_SSL cleared'
}

# ------------------------------------------------------- content checks

# What `tcpdump -nr FILE -A` must (+) and must not (-) show of each capture,
# one fixed string per line (check_cleartext; non-printable bytes are dots
# in tcpdump -A):
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
	downgrade-mysql-strip)
		# Session 1 (TLS): nothing of alice's in the clear there; the
		# stripped session shows her login and query twice (both sides).
		cat <<-'EOF'
			+5.5.5-10.11.
			+alice.
			+tlswatch.mysql_native_password.
			+SELECT 1
			-AlicePass2024
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

# One complete TCP session, the content rules and the Handshake; through
# the proxy, two TCP sessions per victim connection and the content rules.
verify_capture()
{
	case "$1" in
	downgrade-mysql-strip)
		cap_verify_streams "$2" 4 && check_cleartext "$1" "$2" < <(content_rules "$1")
		;;
	*)
		cap_verify "$2" 1 && check_cleartext "$1" "$2" < <(content_rules "$1") &&
			check_handshake "$1" "$2"
		;;
	esac
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
	log "$name: server caps $scaps, client caps $ccaps: $facts"
}

# ---------------------------------------------------------------- servers

inst_dir()
{
	echo "$ROOT/db-$1"
}

# The pid of server NAME while it runs: the one this script started, or
# (before that, for claim_root) the one its pid file names.
inst_pid()
{
	local pid=${SERVER_PID[$1]:-}
	if [ -n "$pid" ]; then
		pid_alive "$pid" && echo "$pid"
		return 0
	fi
	pidfile_pid "$(inst_dir "$1")/run/mariadbd.pid" mariadbd
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
	claim_root "${INSTANCES[@]}"
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

# True once server NAME, started as PID, has made its socket and written
# PID into its pid file: inst_ready NAME PID
inst_ready()
{
	local dir
	dir=$(inst_dir "$1")
	[ -S "$dir/run/mysqld.sock" ] && [ "$(tr -dc '0-9' 2>/dev/null <"$dir/run/mariadbd.pid")" = "$2" ]
}

# Starts one server and creates its users: inst_start NAME
inst_start()
{
	local name=$1 dir pid
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
	if ! wait_until -p "$pid" inst_ready "$name" "$pid"; then
		cat "$dir/mariadbd.log" >&2
		die "mariadbd $name did not start (see $dir/mariadbd.log)"
	fi
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = mariadbd ] || die "pid $pid of $name is not mariadbd"
	mariadb --no-defaults --protocol=SOCKET --socket="$dir/run/mysqld.sock" --user=root --batch \
		<"$LAB/mariadb/users.sql" >"$dir/users.log" 2>&1 ||
		{ cat "$dir/users.log" >&2; die "creating the users in $name failed"; }
	proxy_users "$dir"
}

# alice from the proxy's address too (the downgrade captures: the server
# sees the proxy, 127.0.0.30, as her host), with the same password and
# grant as users.sql gives her from 127.0.0.1.
proxy_users()
{
	local dir=$1
	mariadb --no-defaults --protocol=SOCKET --socket="$dir/run/mysqld.sock" --user=root --batch \
		>>"$dir/users.log" 2>&1 <<-EOF ||
		CREATE USER 'alice'@'$MITM_ADDR'
			IDENTIFIED VIA mysql_native_password USING PASSWORD('$ALICE_PW');
		GRANT SELECT ON tlswatch.* TO 'alice'@'$MITM_ADDR';
	EOF
		{ cat "$dir/users.log" >&2; die "creating alice@$MITM_ADDR failed"; }
}

start_servers()
{
	local tls_job nossl_job tls_rc=0 nossl_rc=0
	check_tools
	# Refuses to start when anything (Debian's own mariadb, another run of
	# this script) already listens on port 3306, on any address.
	check_ports_free "$MY_PORT"
	# DNS, mDNS and LLMNR on every interface while the servers run: the lab
	# must not ask any resolver; any packet fails the run.
	dns_watch_start 'port 53 or port 5353 or port 5355' strict
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
	wait_listen "$TLS_ADDR:$MY_PORT" "$NOSSL_ADDR:$MY_PORT" || die "mariadbd is not listening"
	log "$("$MARIADBD" --version | sed 's/ *for debian.*//') started:" \
		"$TLS_ADDR:$MY_PORT (pid ${SERVER_PID[tls]}, TLS, $CERT_NAME)," \
		"$NOSSL_ADDR:$MY_PORT (pid ${SERVER_PID[nossl]}, skip-ssl)"
}

# SIGTERM (a clean shutdown) to each mariadbd by the PID this script holds
# (only if it is a mariadbd), waits for it and its children (auth_pam_tool;
# SIGKILL by PID after 30 s), reaps it, then checks that none of them still
# listens (stop_masters).
stop_servers()
{
	local masters
	mapfile -t masters < <(instance_masters mariadbd "${STARTED[@]}")
	STARTED=()
	stop_masters TERM mariadbd "${masters[@]}"
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main (and the servers' above).

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

# Debian starts a package's service when it is installed; mariadb-server
# would start its own server on /var/lib/mysql, listening on
# 127.0.0.1:3306. install_packages keeps every service from starting
# (policy-rc.d; the datadir is still created, and left stopped; this script
# never touches it); a server that starts all the same (a policy-rc.d that
# was already there and lets services start) is stopped by PID.
install_deps()
{
	local before p new=()
	before=$(server_pids)
	install_packages "${PACKAGES[@]}"
	for p in $(server_pids); do
		grep -qxF "$p" <<<"$before" || new+=("$p")
	done
	[ ${#new[@]} -gt 0 ] || return 0
	log "the install started a MariaDB server (pid ${new[*]}); stopping it"
	kill -TERM "${new[@]}" 2>/dev/null || true
	wait_gone "the install's MariaDB server" "${new[@]}"
}

recorder_main "$@"

#!/usr/bin/env bash
# tools/record-postgres.sh — records the PostgreSQL captures in pcaps/
# (postgres-*.pcap, downgrade-postgres-*.pcap through tools/lab/mitm.py)
# from a real PostgreSQL 15 from Debian (postgresql-15:
# initdb and postgres from /usr/lib/postgresql/15/bin, not the pg_wrapper,
# not pg_ctlcluster), started by this
# script as its own instances in a private root (never /etc, never Debian's
# own cluster), and real clients (psql, python3-psycopg2 through
# tools/lab/clients/pgclient.py; both are libpq), all on loopback. Must run
# as root (or through sudo).
#
#   tools/record-postgres.sh              record every capture of this set
#   tools/record-postgres.sh NAME...      only these (e.g. postgres-ssl)
#   tools/record-postgres.sh --list       list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (private root, default
# /tmp/tlswatch-postgres-rec), --no-install (install nothing; otherwise the
# missing Debian packages are installed with apt-get, without starting
# Debian's own cluster).
#
# Servers (tools/lab/postgres/postgresql.conf.in, one instance each, a fresh
# initdb in ROOT/pg-NAME/data on every run, run as the postgres system user):
#   "tlswatch-pg-tls"    127.0.0.1:5432 ssl = on (certificate for
#                        db.tlswatch.test), pg_hba-tls.conf
#   "tlswatch-pg-nossl"  127.0.0.2:5432 ssl = off, pg_hba-nossl.conf
# Roles (tools/lab/postgres/roles.sql): alice and carol with SCRAM secrets,
# bob with an md5 secret; database tlswatch. pg_hba.conf chooses the method
# per user: over TLS SCRAM; without TLS alice `password` (the password in the
# clear), bob `md5`, carol `scram-sha-256`. Each instance has its Unix socket
# in the private root (peer authentication, used only to create the roles).
# Nothing resolves a name: the servers listen on numeric addresses and log
# none, the clients get hostaddr (the name db.tlswatch.test goes only into
# SNI and the certificate check) and gssencmode=disable (no Kerberos, no
# GSSENCRequest), so no DNS query leaves the machine.
#
# Each capture is one rec_NAME function: tcpdump on lo with a filter on the
# server's address and port, one client, stop. The file must hold one
# complete TCP session (SYN to FIN, cap_verify from tools/lab/capture.sh) and
# show in cleartext what its name says (check_content below) before it is
# moved into the output directory. Both postmasters are stopped by PID from
# the EXIT trap, which then checks with `ss -ltnp` that nothing of theirs
# still listens. Bytes differ between runs (keys, salts, nonces, timestamps,
# ports, backend keys); content does not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-postgres-rec
MARKER=.tlswatch-postgres
# psycopg2 is a Debian package: Debian's python, not whatever python3 is first in PATH.
DEB_PYTHON=/usr/bin/python3
PG_USER=postgres
PG_BIN=""
# Tries per capture: postgres-ssl loses a race about one time in five (see
# rec_postgres-ssl); 5 tries make a failed run unlikely.
TRIES=5

TLS_ADDR=127.0.0.1  # instance with ssl = on
NOSSL_ADDR=127.0.0.2  # instance with ssl = off
PG_PORT=5432
# The man in the middle (tools/lab/mitm.py, record-lib.sh's proxied) listens
# here and relays, from this address, to the instance "tlswatch-pg-tls"
# (whose pg_hba.conf admits 127.0.0.0/8); both sides are in the
# downgrade-postgres-* captures.
MITM_ADDR=127.0.0.30
# openssl s_server standing in for a PostgreSQL 17 with direct TLS
# (rec_postgres-direct-tls-openssl).
DIRECT_ADDR=127.0.0.3
PYTHON=$DEB_PYTHON
CERT_NAME=db.tlswatch.test
INSTANCES=(tls nossl)
STARTED=()

# Lab roles (tools/lab/postgres/roles.sql); documented in pcaps/README.md.
ALICE_PW=AlicePass2024
BOB_PW=BobPass2024
CAROL_PW=CarolPass2024
WRONG_PW=WrongPass999

CAPTURES=(
	postgres-ssl postgres-ssl-refused postgres-cleartext-password
	postgres-login-failed postgres-md5 postgres-scram postgres-direct-tls-openssl
	downgrade-postgres-refuse downgrade-postgres-accept-no-tls
)

PACKAGES=(postgresql postgresql-client python3 python3-psycopg2 openssl
	tcpdump tshark iproute2 util-linux)

# ---------------------------------------------------------------- clients
# run_client: tools/lab/record-lib.sh.

# Runs a client (within 30 s) with a clean environment (no ~/.psqlrc,
# ~/.pgpass, ~/.postgresql or PG* variables of the caller); the password
# goes in PGPASSWORD (never on a command line).
#   pg_env PASSWORD COMMAND...
pg_env()
{
	local pw=$1
	shift
	env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C.UTF-8 PGCLIENTENCODING=UTF8 \
		PGPASSWORD="$pw" timeout 30 "$@"
}

# A libpq connection string: lab_conninfo ADDR USER SSLMODE [more key=value].
# hostaddr: no name is resolved; host: the name for SNI and the certificate.
lab_conninfo()
{
	local addr=$1 user=$2 sslmode=$3
	shift 3
	echo "host=$CERT_NAME hostaddr=$addr port=$PG_PORT user=$user dbname=tlswatch" \
		"sslmode=$sslmode gssencmode=disable sslrootcert=$ROOT/tls/cert.pem connect_timeout=10 $*"
}

# psql (libpq): one connection, `SELECT 1`, Terminate.
#   lab_psql PASSWORD ADDR USER SSLMODE
lab_psql()
{
	local pw=$1
	shift
	run_client pg_env "$pw" psql -X -w -A -t -v ON_ERROR_STOP=1 -d "$(lab_conninfo "$@")" -c 'SELECT 1'
}

# psql with a wrong password: it must fail with 28P01 (psql's exit status 2).
#   lab_psql_fail PASSWORD ADDR USER SSLMODE
lab_psql_fail()
{
	local pw=$1 rc=0
	shift
	pg_env "$pw" psql -X -w -A -t -d "$(lab_conninfo "$@")" -c 'SELECT 1' >>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -ne 2 ] || ! grep -q 'password authentication failed for user' "$WORK/$CUR.log"; then
		client_die "psql did not fail as expected (exit status $rc)"
	fi
}

# python3-psycopg2: one connection, autocommit, `SELECT 1`, close.
#   lab_pgclient PASSWORD ADDR USER SSLMODE [pgclient.py options]
lab_pgclient()
{
	local pw=$1 addr=$2 user=$3 sslmode=$4
	shift 4
	run_client pg_env "$pw" "$DEB_PYTHON" "$LAB/clients/pgclient.py" --hostaddr "$addr" \
		--host "$CERT_NAME" --user "$user" --sslmode "$sslmode" \
		--sslrootcert "$ROOT/tls/cert.pem" "$@"
}

# ------------------------------------------------------------ captures

# psql sslmode=require: SSLRequest, 'S', TLS 1.3 (SNI db.tlswatch.test,
# a HelloRetryRequest for secp256r1: the server's ssl_ecdh_curve is
# prime256v1); StartupMessage, SCRAM login, SELECT 1, Terminate all inside
# TLS. libpq sends its close_notify and closes (FIN); the server's
# close_notify, coming after that, is answered with a RST. When the server's
# close_notify comes first (about one time in five), libpq's close is a RST
# alone, without a FIN: cap_verify rejects that and the capture is made again.
rec_postgres-ssl()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$PG_PORT")"
	lab_psql "$ALICE_PW" "$TLS_ADDR" alice require
	cap_stop
}

# psycopg2 sslmode=prefer to the instance with ssl = off: SSLRequest, 'N',
# then on the same connection the StartupMessage, AuthenticationCleartextPassword,
# the PasswordMessage, AuthenticationOk, SELECT 1, Terminate in cleartext.
rec_postgres-ssl-refused()
{
	cap_start "$1" lo "$(cap_server_filter "$NOSSL_ADDR" "$PG_PORT")"
	lab_pgclient "$ALICE_PW" "$NOSSL_ADDR" alice prefer
	cap_stop
}

# psql sslmode=disable although the server has ssl = on: StartupMessage
# (alice), AuthenticationCleartextPassword (R 3), PasswordMessage,
# AuthenticationOk, SELECT 1, Terminate.
rec_postgres-cleartext-password()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$PG_PORT")"
	lab_psql "$ALICE_PW" "$TLS_ADDR" alice disable
	cap_stop
}

# The same with the wrong password: ErrorResponse 28P01, the server closes.
rec_postgres-login-failed()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$PG_PORT")"
	lab_psql_fail "$WRONG_PW" "$TLS_ADDR" alice disable
	cap_stop
}

# psycopg2 sslmode=disable as bob (md5 secret, hba md5):
# AuthenticationMD5Password (R 5, salt), PasswordMessage "md5<hash>".
rec_postgres-md5()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$PG_PORT")"
	lab_pgclient "$BOB_PW" "$TLS_ADDR" bob disable
	cap_stop
}

# psycopg2 sslmode=disable as carol (hba scram-sha-256): AuthenticationSASL
# (R 10, SCRAM-SHA-256 only: no TLS, no -PLUS), SASLInitialResponse,
# R 11 (continue), SASLResponse, R 12 (final), AuthenticationOk.
rec_postgres-scram()
{
	cap_start "$1" lo "$(cap_server_filter "$TLS_ADDR" "$PG_PORT")"
	lab_pgclient "$CAROL_PW" "$TLS_ADDR" carol disable
	cap_stop
}

# PostgreSQL 17's direct TLS (libpq's sslnegotiation=direct): TLS from the
# first byte, ALPN "postgresql" required, no SSLRequest. Debian 12 ships
# PostgreSQL 15 and libpq 15, which cannot do it, so openssl s_server (the
# lab certificate, -alpn postgresql) and s_client (SNI db.tlswatch.test,
# ALPN postgresql, the certificate checked) stand in for both ends; inside
# TLS the client sends a StartupMessage 3.0 for alice, which s_server
# prints. The wire shows what a PostgreSQL 17 pair would show before the
# encryption: a TLS 1.3 ClientHello with that SNI and ALPN on 5432.
rec_postgres-direct-tls-openssl()
{
	local in_fd
	cap_start "$1" lo "$(cap_server_filter "$DIRECT_ADDR" "$PG_PORT")"
	# s_server's input is a FIFO it holds open both ways: no end of input,
	# so it stays until the client closes (-naccept 1: then it exits).
	mkfifo "$WORK/$CUR.srv-in" "$WORK/$CUR.cli-in"
	openssl s_server -naccept 1 -quiet -accept "$DIRECT_ADDR:$PG_PORT" -alpn postgresql \
		-cert "$ROOT/tls/cert.pem" -key "$ROOT/tls/key.pem" \
		0<>"$WORK/$CUR.srv-in" >"$WORK/$CUR.srv" 2>&1 &
	DIRECT_SRV_PID=$!
	wait_listen -p "$DIRECT_SRV_PID" "$DIRECT_ADDR:$PG_PORT" ||
		{ cat "$WORK/$CUR.srv" >&2 || true; direct_stop; client_die "s_server did not start"; }
	# s_client reads a FIFO this script writes into; closing it is the end
	# of its input (-no_ign_eof: close_notify, then it exits).
	exec {in_fd}<>"$WORK/$CUR.cli-in"
	timeout 30 openssl s_client -connect "$DIRECT_ADDR:$PG_PORT" -servername "$CERT_NAME" \
		-alpn postgresql -CAfile "$ROOT/tls/cert.pem" -verify_return_error \
		-verify_hostname "$CERT_NAME" -quiet -no_ign_eof \
		<"$WORK/$CUR.cli-in" >>"$WORK/$CUR.log" 2>&1 {in_fd}>&- &
	DIRECT_CLI_PID=$!
	"$DEB_PYTHON" -c 'import struct, sys
p = b"user\0alice\0database\0tlswatch\0application_name\0openssl\0\0"
sys.stdout.buffer.write(struct.pack("!II", 8 + len(p), 196608) + p)' >&"$in_fd"
	wait_until -p "$DIRECT_CLI_PID" grep -aq 'application_name' "$WORK/$CUR.srv" ||
		{
			cat "$WORK/$CUR.log" "$WORK/$CUR.srv" >&2 || true
			exec {in_fd}>&-
			direct_stop
			client_die "s_server did not receive the StartupMessage"
		}
	exec {in_fd}>&-
	direct_stop
	cap_stop
}

# Waits for s_client and s_server to exit (wait_pids, record-lib.sh).
direct_stop()
{
	wait_pids "${DIRECT_CLI_PID:-}" "${DIRECT_SRV_PID:-}"
	DIRECT_CLI_PID=""
	DIRECT_SRV_PID=""
}

# ------------------------------------------------------------ downgrades
# Through the proxy (127.0.0.30:5432), psql with sslmode=prefer (libpq's
# default): TLS when the server answers the SSLRequest with S, cleartext
# on the same connection when it answers N, and when the TLS handshake
# fails after S, a new connection without SSLRequest.

# The proxy answers the SSLRequest with N itself and never forwards it;
# libpq sends its StartupMessage on the same connection, which the proxy
# relays: the server (TLS on, but the connection is not TLS) asks for
# alice's password in the clear (hostnossl ... password) and gets it.
rec_downgrade-postgres-refuse()
{
	proxied postgres $PG_PORT $TLS_ADDR:$PG_PORT refuse 1 "$1"
	lab_psql "$ALICE_PW" "$MITM_ADDR" alice prefer
	proxied_end
	expect_log 'refusing the upgrade'
}

# The proxy answers the SSLRequest with S itself and the ClientHello with
# an ErrorResponse (cleartext where the ServerHello should be), then closes
# the victim's side; libpq's handshake fails and, sslmode=prefer, it
# connects again without SSLRequest: that second connection goes through
# (StartupMessage, alice's password in the clear, SELECT 1).
rec_downgrade-postgres-accept-no-tls()
{
	proxied postgres $PG_PORT $TLS_ADDR:$PG_PORT accept-no-tls 2 "$1"
	lab_psql "$ALICE_PW" "$MITM_ADDR" alice prefer
	proxied_end
	expect_log 'accepting the upgrade'
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
	postgres-ssl)
		cat <<-'EOF'
			+db.tlswatch.test
			-application_name
			-alice
			-database
			-SCRAM-SHA-256
			-SELECT 1
			-server_version
		EOF
		;;
	postgres-ssl-refused)
		cat <<-'EOF'
			+user.alice.database.tlswatch.
			+AlicePass2024.
			+server_version.15.
			+SELECT 1.
			-WrongPass
			-db.tlswatch.test
		EOF
		;;
	postgres-cleartext-password)
		cat <<-'EOF'
			+user.alice.database.tlswatch.
			+application_name.psql.
			+AlicePass2024.
			+server_version.15.
			+SELECT 1.
			-db.tlswatch.test
		EOF
		;;
	postgres-login-failed)
		cat <<-'EOF'
			+user.alice.database.tlswatch.
			+WrongPass999.
			+SFATAL
			+C28P01
			+password authentication failed for user "alice"
			-AlicePass2024
			-server_version
			-SELECT 1
		EOF
		;;
	downgrade-postgres-refuse | downgrade-postgres-accept-no-tls)
		cat <<-'EOF'
			+user.alice.database.tlswatch.
			+AlicePass2024.
			+server_version.15.
			+SELECT 1.
		EOF
		[ "$1" != downgrade-postgres-accept-no-tls ] ||
			echo '+SFATAL.VFATAL.C08P01.Minvalid length of startup packet'
		;;
	postgres-direct-tls-openssl)
		cat <<-'EOF'
			+db.tlswatch.test
			+postgresql
			-alice
			-database
			-application_name
		EOF
		;;
	postgres-md5)
		cat <<-'EOF'
			+user.bob.database.tlswatch.
			+md5
			+server_version.15.
			+SELECT 1.
			-BobPass2024
			-SCRAM-SHA-256
		EOF
		;;
	postgres-scram)
		cat <<-'EOF'
			+user.carol.database.tlswatch.
			+SCRAM-SHA-256..
			+n,,n=,r=
			+c=biws,r=
			+server_version.15.
			+SELECT 1.
			-SCRAM-SHA-256-PLUS
			-CarolPass2024
		EOF
		;;
	esac
}

# One complete TCP session, the content rules and the first bytes; through
# the proxy, two TCP sessions per victim connection and the content rules.
verify_capture()
{
	local name=$1 file=$2 ok=0
	case "$name" in
	downgrade-postgres-refuse)
		cap_verify_streams "$file" 2 && check_cleartext "$name" "$file" < <(content_rules "$name")
		return
		;;
	downgrade-postgres-accept-no-tls)
		# the broken connection (victim side only: the proxy's upstream
		# connection carried nothing), the retry on both sides
		cap_verify_streams "$file" 4 && check_cleartext "$name" "$file" < <(content_rules "$name")
		return
		;;
	esac
	cap_verify "$file" 1 || return 1
	check_cleartext "$name" "$file" < <(content_rules "$name") || ok=1
	check_first_bytes "$name" "$file" || ok=1
	return $ok
}

# The client's first 8 bytes (int32 length, int32 code) and, after an
# SSLRequest, the server's one-byte answer, from the TCP payloads in order
# (tshark's fields; skipped without tshark). SSLRequest is 00000008 04d2162f
# (80877103), a StartupMessage 3.0 is LLLLLLLL 00030000; never a
# GSSENCRequest (04d21630).
check_first_bytes()
{
	local name=$1 file=$2 client server want_c want_s
	command -v tshark >/dev/null || return 0
	client=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.dstport == $PG_PORT" -T fields \
		-e tcp.payload 2>/dev/null | tr -d ':\n')
	server=$(tshark -n -r "$file" -Y "tcp.len > 0 and tcp.srcport == $PG_PORT" -T fields \
		-e tcp.payload 2>/dev/null | tr -d ':\n')
	case "$name" in
	postgres-ssl) want_c=0000000804d2162f16; want_s=53 ;;
	postgres-ssl-refused) want_c=0000000804d2162f........00030000; want_s=4e52 ;;
	postgres-direct-tls-openssl) want_c=16030[13]; want_s=160303 ;;
	*) want_c=........00030000; want_s=52 ;;
	esac
	if ! grep -qE "^$want_c" <<<"$client"; then
		log "$name: client's first bytes are not as expected ($want_c): ${client:0:40}"
		return 1
	fi
	if ! grep -qE "^$want_s" <<<"$server"; then
		log "$name: server's first bytes are not as expected ($want_s): ${server:0:40}"
		return 1
	fi
	if grep -q '^........04d21630' <<<"$client"; then
		log "$name: a GSSENCRequest was sent"
		return 1
	fi
}

# ---------------------------------------------------------------- servers

inst_dir()
{
	echo "$ROOT/pg-$1"
}

# The postmaster's PID from its postmaster.pid, if it runs.
inst_pid()
{
	pidfile_pid "$(inst_dir "$1")/data/postmaster.pid"
}

# Runs a command as the postgres system user, in the private root, with a
# clean environment.
as_pg()
(
	cd "$ROOT" && exec env -i PATH="$PG_BIN:/usr/bin:/bin" HOME="$ROOT" LC_ALL=C.UTF-8 \
		setpriv --reuid="$PG_USER" --regid="$PG_USER" --init-groups -- "$@"
)

# The PostgreSQL binaries of Debian's package (not the pg_wrapper in
# /usr/bin): the highest version installed, 15 on Debian 12.
find_pg_bin()
{
	local d
	while IFS= read -r d; do
		[ -x "$d/initdb" ] && [ -x "$d/postgres" ] && PG_BIN=$d
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
	[ -n "$PG_BIN" ] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (package postgresql)"
	getent passwd "$PG_USER" >/dev/null || die "no system user $PG_USER (package postgresql-common)"
}

prepare_root()
{
	claim_root "${INSTANCES[@]}"
	rm -rf "$ROOT/tls" "$ROOT/pg-tls" "$ROOT/pg-nossl"
	# The clients' copy of the certificate (sslrootcert) stays root's.
	"$LAB/gen-cert.sh" "$ROOT/tls" "$CERT_NAME"
	mkdir -p "$WORK/home"
}

# True once instance $1 has written its pid file and made its socket.
inst_ready()
{
	[ -n "$(inst_pid "$1")" ] && [ -S "$(inst_dir "$1")/run/.s.PGSQL.$PG_PORT" ]
}

# Creates and starts one instance: inst_start NAME ADDR SSL
inst_start()
{
	local name=$1 addr=$2 ssl=$3 dir pid
	dir=$(inst_dir "$name")
	mkdir -p "$dir/tls" "$dir/run"
	# The server's key must belong to the server's user, mode 0600.
	install -m 0644 -o "$PG_USER" "$ROOT/tls/cert.pem" "$dir/tls/cert.pem"
	install -m 0600 -o "$PG_USER" "$ROOT/tls/key.pem" "$dir/tls/key.pem"
	chown "$PG_USER:" "$dir" "$dir/tls" "$dir/run"
	chmod 0700 "$dir" "$dir/run"
	as_pg initdb -D "$dir/data" -U postgres --auth-local=peer --auth-host=reject \
		--encoding=UTF8 --locale=C --no-instructions >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb for $name failed"; }
	sed -e "s|@INSTANCE@|tlswatch-pg-$name|g" -e "s|@LISTEN@|$addr|g" \
		-e "s|@SOCKDIR@|$dir/run|g" -e "s|@SSL@|$ssl|g" -e "s|@TLS@|$dir/tls|g" \
		"$LAB/postgres/postgresql.conf.in" >"$dir/data/postgresql.conf"
	install -m 0600 -o "$PG_USER" "$LAB/postgres/pg_hba-$name.conf" "$dir/data/pg_hba.conf"
	STARTED+=("$name")
	# The postmaster's PID is read from its postmaster.pid (inst_pid).
	as_pg postgres -D "$dir/data" >"$dir/postgres.log" 2>&1 </dev/null &
	pid=$!
	if ! wait_until -p "$pid" inst_ready "$name"; then
		cat "$dir/postgres.log" >&2
		die "postgres $name did not start (see $dir/postgres.log)"
	fi
	as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$PG_PORT" -U postgres -d postgres \
		-f - <"$LAB/postgres/roles.sql" >"$dir/roles.log" 2>&1 ||
		{ cat "$dir/roles.log" >&2; die "creating the roles in $name failed"; }
}

start_servers()
{
	find_pg_bin
	# Refuses to start when anything (Debian's own cluster, another run of
	# this script) already listens on port 5432, on any address.
	check_ports_free "$PG_PORT"
	prepare_root
	inst_start tls "$TLS_ADDR" on
	inst_start nossl "$NOSSL_ADDR" off
	wait_listen "$TLS_ADDR:$PG_PORT" "$NOSSL_ADDR:$PG_PORT"
	log "$("$PG_BIN/postgres" --version) started: $TLS_ADDR:$PG_PORT (ssl = on," \
		"$CERT_NAME), $NOSSL_ADDR:$PG_PORT (ssl = off)"
}

# SIGINT (fast shutdown) to each postmaster by PID (from its postmaster.pid,
# only if it is a postgres), waits for it and its children (SIGKILL by PID
# after 10 s), reaps the postmasters (children of this shell), then checks
# that none of them still listens (stop_masters).
stop_servers()
{
	local masters
	mapfile -t masters < <(instance_masters postgres "${STARTED[@]}")
	STARTED=()
	stop_masters INT postgres "${masters[@]}"
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main (and the servers' above).

# Debian starts a package's service when it is installed; the postgresql
# package would create and start its own cluster "15/main" on localhost:5432.
# install_packages keeps every service from starting (policy-rc.d; the
# cluster is still created, and left stopped; this script never touches it).
install_deps()
{
	install_packages "${PACKAGES[@]}"
}

recorder_main "$@"

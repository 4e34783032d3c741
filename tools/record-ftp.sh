#!/usr/bin/env bash
# tools/record-ftp.sh — records pcaps/ftp-*.pcap, pcaps/ftps-*.pcap and
# pcaps/downgrade-ftp-*.pcap from a real FTP server (vsftpd from Debian, own
# instances configured in a private root, never in /etc) and real clients
# (Python's ftplib through tools/lab/clients/ftpclient.py, lftp, curl), all on
# loopback. The downgrade captures go through the lab's man-in-the-middle
# (tools/lab/mitm.py --proto ftp); the command injection comes from the raw
# client tools/lab/inject-client.py. Must run as root (or through sudo).
#
#   tools/record-ftp.sh                 record every capture of this set
#   tools/record-ftp.sh NAME...         only these (e.g. ftps-990)
#   tools/record-ftp.sh --list          list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (lab root, default
# /tmp/tlswatch-lab-ftp), --no-install (skip tools/install-deps.sh).
#
# Servers (configs: tools/lab/vsftpd/common.conf.in + one file each):
#   127.0.0.21:21   FTP, AUTH TLS offered in FEAT, cleartext logins allowed
#   127.0.0.21:990  FTPS, implicit TLS
#   127.0.0.22:21   FTP without TLS, anonymous logins allowed
#   [::1]:21        FTP, AUTH TLS offered (as 127.0.0.21:21), over IPv6
# Passive data ports 40000-40009, 40200-40209, 40300-40309, 40100-40109;
# active-mode data comes from port 20. The login is the local user ftpalice
# (password FtpAlice2024, created with useradd -m when missing, password
# set with chpasswd on every run) through PAM (/etc/pam.d/vsftpd of the
# package); anonymous is vsftpd's own. The certificate (tools/lab/gen-cert.sh)
# is for ftp.tlswatch.test; ftpclient.py sends that name as SNI (lftp sends
# the address it was given).
#
# The proxy listens on 127.0.0.30 (ports 21 and 990; not record-downgrades.sh's
# 127.0.0.10, so both recorders can run at once) and connects to vsftpd from
# 127.0.0.30 too, data connections included, so `tcp and host 127.0.0.30`
# records both sides of each attack. The other captures filter on
# the server's address (data connections use dynamic ports; the IPv6 one adds
# the ports, as ::1 is shared).
#
# Each capture is one rec_NAME function: it starts tcpdump, runs the client
# (and the proxy), stops the capture; the file is then checked
# (verify_capture: the expected number of TCP sessions, each from its SYN to
# a FIN from both sides or a RST, no kernel drop, no hole in a stream; then
# what must and
# must not be in the cleartext payload) before it is moved into the output
# directory. Everything started here (vsftpd, proxy, tcpdump) is stopped by
# PID from the EXIT trap, and `ss -ltnp` must then show none of it.
# pcaps/README.md ("FTP captures") says what each capture holds and what
# tlswatch must report for it.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-lab-ftp
WORK_TEMPLATE=/tmp/tlswatch-rec-ftp.XXXXXX
ROOT_READY=0
PYTHON=${PYTHON:-python3}
MARKER=.tlswatch-ftp-lab

TLS_ADDR=127.0.0.21
PLAIN_ADDR=127.0.0.22
MITM_ADDR=127.0.0.30

# Lab logins; documented in pcaps/README.md.
FTP_USER=ftpalice
FTP_PW=FtpAlice2024
WRONG_PW=WrongPass999
ANON_PW=guest@client.tlswatch.test
SNI=ftp.tlswatch.test

# vsftpd instances: name, address:port as `ss` prints it.
INSTANCES=(ftp-tls:127.0.0.21:21 ftps-implicit:127.0.0.21:990 ftp-plain:127.0.0.22:21
	'ftp-tls-ipv6:[::1]:21')
declare -A VSFTPD_PID=()

FTP_CAPTURES=(
	ftp-auth-tls-passive ftp-auth-tls-prot-c ftp-cleartext-login ftp-login-failed
	ftp-no-tls ftps-990 ftp-active-eprt ftp-ipv6-epsv ftp-anonymous
)
DOWNGRADE_CAPTURES=(
	downgrade-ftp-strip downgrade-ftp-mask downgrade-ftp-refuse
	downgrade-ftp-command-injection downgrade-ftp-response-injection
	downgrade-ftp-accept-no-tls downgrade-ftp-990-plaintext
)
CAPTURES=("${FTP_CAPTURES[@]}" "${DOWNGRADE_CAPTURES[@]}")

# ---------------------------------------------------------------- clients
# run_client, expect_fail, expect_log and lab_curl: tools/lab/record-lib.sh.

ftpclient()
{
	run_client "$PYTHON" "$LAB/clients/ftpclient.py" --sni "$SNI" "$@"
}

# lftp 4.9 with its defaults (ftp:ssl-allow yes, ftp:ssl-force no: it tries
# AUTH TLS and goes on in cleartext when that is refused), the lab's
# self-signed certificate accepted, one try only (no reconnection), a
# private HOME so that nothing of root's is read or written.
lftp_cmd()
{
	mkdir -p "$WORK/lftp-home"
	HOME=$WORK/lftp-home lftp -d -c "set ssl:verify-certificate no; set net:max-retries 1; \
set net:timeout 10; set cmd:fail-exit yes; set xfer:clobber yes; $1"
}

# ---------------------------------------------------------------- vsftpd

# Substitutes @ROOT@ and @NAME@ in the lab's vsftpd templates.
vsftpd_conf()
{
	local name=$1
	cat "$LAB/vsftpd/common.conf.in" "$LAB/vsftpd/$name.conf.in" |
		sed -e "s|@ROOT@|$ROOT|g" -e "s|@NAME@|$name|g"
}

vsftpd_start()
{
	local name=$1 addr=$2 pid
	vsftpd_conf "$name" >"$ROOT/$name.conf"
	: >"$ROOT/$name.log"
	vsftpd "$ROOT/$name.conf" >"$ROOT/$name.out" 2>&1 &
	pid=$!
	VSFTPD_PID[$name]=$pid
	if ! wait_listen -p "$pid" "$addr"; then
		cat "$ROOT/$name.out" >&2
		ss -ltnp >&2
		# Debian's own vsftpd service (started by the package where an init
		# system runs) listens on [::]:21, which takes port 21 of every
		# address: it is not ours to stop.
		die "vsftpd $name did not listen on $addr (another FTP server on port ${addr##*:}? \
e.g. the vsftpd service of the package: systemctl stop vsftpd)"
	fi
}

# Stops every vsftpd started here (by PID, each with its session
# processes: stop_masters) and checks that none of them still listens.
vsftpd_stop_all()
{
	local name pid pids=()
	for name in "${!VSFTPD_PID[@]}"; do
		pid=${VSFTPD_PID[$name]}
		if pid_is "$pid" vsftpd; then
			pids+=("$pid")
		fi
	done
	VSFTPD_PID=()
	stop_masters TERM vsftpd "${pids[@]}"
}

# The lab root: a private directory (marker file), world-readable so that the
# local user and vsftpd's anonymous user can reach their chroot directories,
# which belong to root and are read-only (vsftpd refuses a writable chroot).
lab_prepare()
{
	# shellcheck disable=SC2119  # no server instances to check (no pid files)
	claim_root
	ROOT_READY=1
	rm -rf "$ROOT/files" "$ROOT/anon" "$ROOT/empty" "$ROOT/tls"
	mkdir -p "$ROOT/files" "$ROOT/anon" "$ROOT/empty"
	chmod 0755 "$ROOT" "$ROOT/files" "$ROOT/anon" "$ROOT/empty"
	"$LAB/gen-cert.sh" "$ROOT/tls" "$SNI"
	printf 'small test file\n' >"$ROOT/files/readme.txt"
	printf 'small test file\n' >"$ROOT/anon/readme.txt"
	chmod 0644 "$ROOT/files/readme.txt" "$ROOT/anon/readme.txt"
	# A fixed date, so that the listings are the same in every recording.
	touch -d '2024-01-01 12:00:00 UTC' "$ROOT/files/readme.txt" "$ROOT/anon/readme.txt"
}

# The lab's local user: created when missing, its password set every time.
# PAM (pam_shells, pam_listfile with /etc/ftpusers) wants a shell listed in
# /etc/shells and the user not listed in /etc/ftpusers.
lab_user()
{
	[ -f /etc/pam.d/vsftpd ] || die "/etc/pam.d/vsftpd is missing (install the vsftpd package)"
	if ! id -u "$FTP_USER" >/dev/null 2>&1; then
		log "creating the local user $FTP_USER"
		useradd -m -s /bin/sh -c 'tlswatch capture lab FTP user' "$FTP_USER"
	fi
	echo "$FTP_USER:$FTP_PW" | chpasswd
	if grep -qx "$FTP_USER" /etc/ftpusers 2>/dev/null; then
		die "$FTP_USER is listed in /etc/ftpusers"
	fi
}

# The lab (hook of tools/lab/record-lib.sh's recorder_main): the root, the
# local user, every vsftpd instance, and one login to check PAM.
start_servers()
{
	local i name addr
	lab_prepare
	lab_user
	for i in "${INSTANCES[@]}"; do
		name=${i%%:*}
		addr=${i#*:}
		vsftpd_start "$name" "$addr"
	done
	# One login outside any capture: a PAM problem shows here, with its cause.
	CUR=preflight
	: >"$WORK/$CUR.log"
	if ! "$PYTHON" "$LAB/clients/ftpclient.py" $PLAIN_ADDR 21 --user "$FTP_USER" --password "$FTP_PW" \
		>>"$WORK/$CUR.log" 2>&1; then
		cat "$WORK/$CUR.log" "$ROOT/ftp-plain.log" >&2
		die "$FTP_USER cannot log in to vsftpd (PAM: /etc/pam.d/vsftpd, /etc/shells, /etc/ftpusers)"
	fi
	log "vsftpd started: ${INSTANCES[*]}"
}

# ------------------------------------------------------------ FTP set

# FEAT, AUTH TLS, PBSZ 0, PROT P, USER/PASS, PASV LIST, PASV RETR: the data
# connections are TLS (resuming the control connection's session).
rec_ftp-auth-tls-passive()
{
	cap_start "$1" lo "tcp and host $TLS_ADDR"
	ftpclient $TLS_ADDR 21 --feat --tls auth --prot P --user "$FTP_USER" --password "$FTP_PW" \
		--transfer pasv:list --transfer pasv:retr
	cap_stop
	expect_log 'data TLS TLSv1.3 .*session reused: True'
}

# The same with PROT C: the control connection is encrypted, the data not.
rec_ftp-auth-tls-prot-c()
{
	cap_start "$1" lo "tcp and host $TLS_ADDR"
	ftpclient $TLS_ADDR 21 --feat --tls auth --prot C --user "$FTP_USER" --password "$FTP_PW" \
		--transfer pasv:list --transfer pasv:retr
	cap_stop
}

# AUTH TLS offered, never used: FEAT, USER/PASS, PASV LIST, PASV RETR, PORT RETR.
rec_ftp-cleartext-login()
{
	cap_start "$1" lo "tcp and host $TLS_ADDR"
	ftpclient $TLS_ADDR 21 --feat --user "$FTP_USER" --password "$FTP_PW" \
		--transfer pasv:list --transfer pasv:retr --transfer port:retr
	cap_stop
}

# vsftpd answers a wrong password with 530 after its 1 s delay.
rec_ftp-login-failed()
{
	cap_start "$1" lo "tcp and host $TLS_ADDR"
	ftpclient $TLS_ADDR 21 --feat --user "$FTP_USER" --password "$WRONG_PW" --expect-fail
	cap_stop
}

rec_ftp-no-tls()
{
	cap_start "$1" lo "tcp and host $PLAIN_ADDR"
	ftpclient $PLAIN_ADDR 21 --feat --user "$FTP_USER" --password "$FTP_PW" --transfer pasv:retr
	cap_stop
}

# Implicit TLS on 990: the handshake first, then greeting, PBSZ 0, PROT P,
# USER/PASS, PASV LIST, PASV RETR, all inside TLS.
rec_ftps-990()
{
	cap_start "$1" lo "tcp and host $TLS_ADDR"
	ftpclient $TLS_ADDR 990 --tls implicit --prot P --user "$FTP_USER" --password "$FTP_PW" \
		--transfer pasv:list --transfer pasv:retr
	cap_stop
	expect_log 'data TLS TLSv1.3 .*session reused: True'
}

# Active mode with EPRT (RFC 2428) over IPv4: the server connects from port 20.
rec_ftp-active-eprt()
{
	cap_start "$1" lo "tcp and host $TLS_ADDR"
	ftpclient $TLS_ADDR 21 --feat --user "$FTP_USER" --password "$FTP_PW" \
		--transfer eprt:list --transfer eprt:retr
	cap_stop
}

# IPv6: EPSV LIST, then EPRT RETR (|2|::1|port|).
rec_ftp-ipv6-epsv()
{
	cap_start "$1" lo 'tcp and host ::1 and (port 21 or port 20 or portrange 40100-40109)'
	ftpclient ::1 21 --feat --user "$FTP_USER" --password "$FTP_PW" \
		--transfer epsv:list --transfer eprt:retr
	cap_stop
}

rec_ftp-anonymous()
{
	cap_start "$1" lo "tcp and host $PLAIN_ADDR"
	ftpclient $PLAIN_ADDR 21 --feat --user anonymous --password "$ANON_PW" \
		--transfer pasv:list --transfer pasv:retr
	cap_stop
}

# ------------------------------------------------------------ downgrade set

# Modes pass,strip: the first session goes through unchanged (AUTH TLS,
# login inside TLS, no transfer: the proxy cannot relay data connections it
# cannot see announced); the second has the AUTH TLS line removed from FEAT,
# and the opportunistic ftpclient.py logs in and lists in cleartext.
rec_downgrade-ftp-strip()
{
	proxied ftp 21 $TLS_ADDR:21 pass,strip 2 "$1"
	ftpclient $MITM_ADDR 21 --feat --tls auth --opportunistic --user "$FTP_USER" --password "$FTP_PW"
	ftpclient $MITM_ADDR 21 --feat --tls auth --opportunistic --user "$FTP_USER" --password "$FTP_PW" \
		--transfer pasv:list
	proxied_end
	expect_log 'TLS up: TLSv1.3'
	expect_log 'does not offer AUTH TLS; going on in cleartext'
}

rec_downgrade-ftp-mask()
{
	proxied ftp 21 $TLS_ADDR:21 mask 1 "$1"
	ftpclient $MITM_ADDR 21 --feat --tls auth --opportunistic --user "$FTP_USER" --password "$FTP_PW" \
		--transfer pasv:list
	proxied_end
	expect_log ' XXXX XXX'
	expect_log 'does not offer AUTH TLS; going on in cleartext'
}

# The proxy answers AUTH TLS with 534 itself; lftp goes on in cleartext
# (ftp:ssl-force no), lists and fetches the file.
rec_downgrade-ftp-refuse()
{
	proxied ftp 21 $TLS_ADDR:21 refuse 1 "$1"
	run_client lftp_cmd "open -u $FTP_USER,$FTP_PW ftp://$MITM_ADDR; ls; get readme.txt -o $WORK/readme.txt"
	proxied_end
	expect_log '<--- 534 Request denied for policy reasons'
	expect_log '<--- 230 Login successful'
}

# Straight to vsftpd, no proxy: AUTH TLS\r\nUSER x\r\n in one segment.
# vsftpd reads the pipelined USER x as the start of the TLS handshake, says
# "500 OOPS: ... wrong version number" in cleartext and closes.
rec_downgrade-ftp-command-injection()
{
	cap_start "$1" lo "tcp and host $TLS_ADDR"
	expect_fail 'TLS handshake failed' "$PYTHON" "$LAB/inject-client.py" --proto ftp \
		--server $TLS_ADDR --port 21 --sni "$SNI"
	cap_stop
}

# "200 injected" appended to vsftpd's 234; lftp drops what it had buffered
# when it starts TLS and goes on inside TLS (PWD, NOOP).
rec_downgrade-ftp-response-injection()
{
	proxied ftp 21 $TLS_ADDR:21 inject-response 1 "$1"
	run_client lftp_cmd "open -u $FTP_USER,$FTP_PW ftp://$MITM_ADDR; quote NOOP"
	proxied_end
	expect_log '<--- 230 Login successful'
	! grep -q 'injected' "$WORK/$CUR.log" || client_die "lftp took the injected line"
}

# The proxy answers AUTH TLS with 234 itself and lftp's ClientHello with
# vsftpd's text for garbage; lftp's handshake fails and it gives up.
rec_downgrade-ftp-accept-no-tls()
{
	proxied ftp 21 $TLS_ADDR:21 accept-no-tls 1 "$1"
	expect_fail 'gnutls_handshake' lftp_cmd "open -u $FTP_USER,$FTP_PW ftp://$MITM_ADDR; quote NOOP"
	proxied_end
}

# A cleartext FTP server on the implicit-TLS port 990 (the proxy relays
# 127.0.0.30:990 to vsftpd's 127.0.0.21:21); curl speaks cleartext FTP to it
# and lists the directory (EPSV, relayed by the proxy).
rec_downgrade-ftp-990-plaintext()
{
	proxied ftp 990 $TLS_ADDR:21 pass 1 "$1"
	lab_curl -u "$FTP_USER:$FTP_PW" "ftp://$MITM_ADDR:990/"
	proxied_end
	expect_log 'readme\.txt'
}

# ---------------------------------------------------------------- checks

# Number of TCP sessions: control connections plus one per transfer; through
# the proxy every connection is there twice (victim side, server side).
capture_sessions()
{
	case "$1" in
	ftp-auth-tls-passive | ftp-auth-tls-prot-c | ftps-990 | ftp-active-eprt | ftp-ipv6-epsv | \
		ftp-anonymous) echo 3 ;;
	ftp-cleartext-login) echo 4 ;;
	ftp-no-tls) echo 2 ;;
	ftp-login-failed | downgrade-ftp-command-injection) echo 1 ;;
	downgrade-ftp-strip | downgrade-ftp-refuse) echo 6 ;;
	downgrade-ftp-mask | downgrade-ftp-990-plaintext) echo 4 ;;
	downgrade-ftp-response-injection | downgrade-ftp-accept-no-tls) echo 2 ;;
	*) echo 0 ;;
	esac
}

# What the payload must (+) and must not (-) contain, or how many times (=N,
# then a space), as fixed strings in the text of payload_text: one line per TCP segment between two '|', CR and LF
# written \r and \n, other bytes outside ASCII as '.'; so '|AUTH TLS\r\n|' is
# a segment that holds only that command, ' AUTH TLS\r\n' the FEAT line.
capture_payload()
{
	case "$1" in
	ftp-auth-tls-passive)
		printf '%s\n' '+ AUTH TLS\r\n' '+|AUTH TLS\r\n|' '+|234 Proceed with negotiation.\r\n|' \
			'-USER' "-$FTP_PW" '-small test file' '-readme.txt' ;;
	ftp-auth-tls-prot-c)
		printf '%s\n' '+|AUTH TLS\r\n|' '+|234 Proceed with negotiation.\r\n|' '-USER' "-$FTP_PW" \
			'+|small test file\n|' '+ readme.txt\r\n' ;;
	ftp-cleartext-login)
		printf '%s\n' '+ AUTH TLS\r\n' '-|AUTH' "+|PASS $FTP_PW\r\n|" '+|230 Login successful.\r\n|' \
			'+|227 Entering Passive Mode (127,0,0,21,' '+|PORT 127,0,0,1,' '+|small test file\n|' ;;
	ftp-login-failed)
		printf '%s\n' '+ AUTH TLS\r\n' "+|PASS $WRONG_PW\r\n|" '+|530 Login incorrect.\r\n|' ;;
	ftp-no-tls)
		printf '%s\n' '+|211-Features:\r\n' '-AUTH' "+|PASS $FTP_PW\r\n|" '+|230 Login successful.\r\n|' \
			'+|small test file\n|' ;;
	ftps-990)
		printf '%s\n' '-220' '-USER' "-$FTP_PW" '-small test file' ;;
	ftp-active-eprt)
		printf '%s\n' '+|EPRT |1|127.0.0.1|' '+|200 EPRT command successful.' "+|PASS $FTP_PW\r\n|" \
			'+|small test file\n|' ;;
	ftp-ipv6-epsv)
		printf '%s\n' '+|229 Entering Extended Passive Mode (|||401' '+|EPRT |2|::1|' \
			"+|PASS $FTP_PW\r\n|" '+|small test file\n|' ;;
	ftp-anonymous)
		printf '%s\n' '+|USER anonymous\r\n|' "+|PASS $ANON_PW\r\n|" '+|230 Login successful.\r\n|' \
			'+|small test file\n|' ;;
	downgrade-ftp-strip)
		printf '%s\n' '=3  AUTH TLS\r\n' '=2 |AUTH TLS\r\n|' '+|234 Proceed with negotiation.\r\n|' \
			"+|PASS $FTP_PW\r\n|" '+|227 Entering Passive Mode (127,0,0,30,' \
			'+|227 Entering Passive Mode (127,0,0,21,' '+ readme.txt\r\n' ;;
	downgrade-ftp-mask)
		printf '%s\n' '=1  XXXX XXX\r\n' '=1  AUTH TLS\r\n' '-|AUTH' "+|PASS $FTP_PW\r\n|" \
			'+ readme.txt\r\n' ;;
	downgrade-ftp-refuse)
		printf '%s\n' '+|AUTH TLS\r\n|' '+|534 Request denied for policy reasons.\r\n|' \
			"+|PASS $FTP_PW\r\n|" '+|small test file\n|' '=1 |AUTH TLS\r\n|' '-234' ;;
	downgrade-ftp-command-injection)
		printf '%s\n' '+|AUTH TLS\r\nUSER x\r\n|' '+|234 Proceed with negotiation.\r\n' '+500 OOPS: ' ;;
	downgrade-ftp-response-injection)
		printf '%s\n' '+|234 Proceed with negotiation.\r\n200 injected\r\n|' \
			'+|234 Proceed with negotiation.\r\n|' "-$FTP_PW" ;;
	downgrade-ftp-accept-no-tls)
		printf '%s\n' '+|234 Proceed with negotiation.\r\n|' \
			'+|530 Please login with USER and PASS.\r\n|' '=1 |AUTH TLS\r\n|' "-$FTP_PW" ;;
	downgrade-ftp-990-plaintext)
		printf '%s\n' "+|USER $FTP_USER\r\n|" "+|PASS $FTP_PW\r\n|" \
			'+|229 Entering Extended Passive Mode (|||' '+ readme.txt\r\n' ;;
	esac
}

# The payload of FILE as text, one line per TCP segment (see capture_payload).
payload_text()
{
	tshark -n -r "$1" -Y 'tcp.len > 0' -T fields -e tcp.payload 2>/dev/null |
		"$PYTHON" -c '
import sys
for line in sys.stdin:
    data = bytes.fromhex(line.strip().replace(":", ""))
    text = "".join("\\r" if c == 13 else "\\n" if c == 10 else chr(c) if 32 <= c < 127 else "."
                   for c in data)
    print("|%s|" % text)
'
}

# Checks that FILE holds the capture's complete TCP sessions, each from its
# SYN to a FIN from both sides or a RST (vsftpd ends some sessions with a
# reset, see pcaps/README.md; cap_verify_streams), then the payload checks
# (capture_payload).
verify_capture()
{
	local name=$1 file=$2 text want count n
	cap_verify_streams "$file" "$(capture_sessions "$name")" || return 1
	text=$(payload_text "$file")
	while IFS= read -r want; do
		[ -n "$want" ] || continue
		case "$want" in
		+*)
			grep -qF -- "${want#+}" <<<"$text" ||
				{ echo "capture: $file: payload lacks '${want#+}'" >&2; return 1; } ;;
		-*)
			! grep -qF -- "${want#-}" <<<"$text" ||
				{ echo "capture: $file: payload has '${want#-}'" >&2; return 1; } ;;
		=*)
			n=${want%% *}
			count=$(grep -oF -- "${want#* }" <<<"$text" | wc -l)
			[ "$count" = "${n#=}" ] ||
				{ echo "capture: $file: '${want#* }' in $count segments, ${n#=} expected" >&2
					return 1; } ;;
		esac
	done < <(capture_payload "$name")
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main (and verify_capture above).

install_deps()
{
	"$REPO/tools/install-deps.sh" vsftpd lftp curl openssl tcpdump tshark python3 iproute2 passwd
}

stop_servers()
{
	local rc=0
	vsftpd_stop_all || rc=1
	if [ $ROOT_READY -eq 1 ]; then
		rm -rf "$ROOT/files" "$ROOT/anon" "$ROOT/empty" "$ROOT/tls"
	fi
	return $rc
}

recorder_main "$@"

#!/usr/bin/env bash
# tools/record-pcaps.sh — re-records the captures in pcaps/ from real servers
# (Postfix and Dovecot from Debian, started by tools/lab/lab.sh in a private
# root) and real clients (swaks, openssl s_client, curl, Python's imaplib and
# poplib), all on loopback. Must run as root (or through sudo).
#
#   tools/record-pcaps.sh                 record every capture
#   tools/record-pcaps.sh NAME...         record only these (e.g. imaps-993)
#   tools/record-pcaps.sh --list          list the capture names
#
# Options: --out DIR (default pcaps/), --root DIR (lab root, default
# /tmp/tlswatch-lab-rec), --no-install (skip tools/install-deps.sh).
#
# Each capture is one function rec_NAME below: it starts a capture with a
# filter on exactly that session's addresses and port, runs one client,
# stops the capture, and the script checks that every TCP session in the
# file is complete (SYN to FIN) before moving it into the output directory.
# pcaps/README.md documents each capture and its expected tlswatch verdict.
# Bytes differ between runs (keys, timestamps, ports); content does not.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$REPO/tools/lab
# shellcheck source=tools/lab/record-lib.sh
. "$LAB/record-lib.sh"

ROOT=/tmp/tlswatch-lab-rec
PYTHON=${PYTHON:-python3}

# Lab users (tools/lab/dovecot/users); documented in pcaps/README.md.
ALICE_PW=AlicePass2024
BOB_PW='Bob "Pass" 2024'
WRONG_PW=WrongPass999

# Captures of the first set, then the login set (issue: cleartext login alerts).
BASE_CAPTURES=(
	smtp-starttls-tls12 smtp-starttls-tls13 smtp-starttls-not-used smtp-no-starttls
	smtps-465 submission-587-auth smtp-2525 smtp-ipv6-starttls
	smtp-starttls-handshake-fails
	imap-starttls imap-cleartext imaps-993
	pop3-stls pop3-cleartext pop3s-995
	pop3-stls-sll imap-starttls-sll2 mixed-mail
)
LOGIN_CAPTURES=(
	smtp-auth-plain-cleartext smtp-auth-login-cleartext smtp-auth-cram-md5
	smtp-auth-plain-failed
	imap-login imap-authenticate-plain-sasl-ir imap-login-failed
	pop3-user-pass pop3-auth-plain
	imap-starttls-login pop3-stls-user-pass smtp-starttls-auth-login
	pop3-user-pass-no-capa pop3-capa-then-no-capa imap-login-idle
)
CAPTURES=("${BASE_CAPTURES[@]}" "${LOGIN_CAPTURES[@]}")

# ---------------------------------------------------------------- clients
# run_client, expect_fail and lab_curl: tools/lab/record-lib.sh.

# swaks with the lab's fixed identity and a tiny message; extra args follow.
lab_swaks()
{
	run_client swaks "${SWAKS_ARGS[@]}" "$@"
}

lab_mailclient()
{
	run_client "$PYTHON" "$LAB/clients/mailclient.py" "$@"
}

# ----------------------------------------------------------- first set

rec_smtp-starttls-tls12()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 25'
	lab_swaks --server 127.0.0.1 --port 25 --tls --tls-protocol tlsv1_2 --tls-sni mail.tlswatch.test
	cap_stop
}

rec_smtp-starttls-tls13()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 25'
	lab_swaks --server 127.0.0.1 --port 25 --tls --tls-protocol tlsv1_3 --tls-sni mail.tlswatch.test
	cap_stop
}

rec_smtp-starttls-not-used()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 25'
	lab_swaks --server 127.0.0.1 --port 25
	cap_stop
}

rec_smtp-no-starttls()
{
	cap_start "$1" lo 'tcp and host 127.0.0.2 and port 25'
	lab_swaks --server 127.0.0.2 --port 25
	cap_stop
}

rec_smtps-465()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 465'
	lab_swaks --server 127.0.0.1 --port 465 --tls-on-connect --tls-sni mail.tlswatch.test
	cap_stop
}

rec_submission-587-auth()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 587'
	lab_swaks --server 127.0.0.1 --port 587 --tls --tls-sni mail.tlswatch.test \
		--auth PLAIN --auth-user alice --auth-password "$ALICE_PW"
	cap_stop
}

rec_smtp-2525()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 2525'
	lab_swaks --server 127.0.0.1 --port 2525 --tls --tls-sni mail.tlswatch.test
	cap_stop
}

rec_smtp-ipv6-starttls()
{
	cap_start "$1" lo 'tcp and host ::1 and port 25'
	lab_swaks --server ::1 --port 25 --tls --tls-sni mail.tlswatch.test
	cap_stop
}

# The lab's postfix requires TLS >= 1.2; a TLS 1.0-only ClientHello after
# STARTTLS/220 gets a protocol_version alert and the server hangs up.
# 127.0.0.4 is a server no other capture talks to (no look-alike fallback).
rec_smtp-starttls-handshake-fails()
{
	cap_start "$1" lo 'tcp and host 127.0.0.4 and port 25'
	expect_fail 'alert protocol version' openssl s_client -starttls smtp -name client.tlswatch.test \
		-connect 127.0.0.4:25 -servername mail.tlswatch.test \
		-tls1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null
	cap_stop
}

rec_imap-starttls()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 143'
	lab_mailclient imap 127.0.0.1 143 --tls starttls
	cap_stop
}

rec_imap-cleartext()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 143'
	lab_mailclient imap 127.0.0.1 143 --user alice --password "$ALICE_PW"
	cap_stop
}

rec_imaps-993()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 993'
	lab_mailclient imap 127.0.0.1 993 --tls implicit --user alice --password "$ALICE_PW"
	cap_stop
}

rec_pop3-stls()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 110'
	lab_mailclient pop3 127.0.0.1 110 --tls stls
	cap_stop
}

rec_pop3-cleartext()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 110'
	lab_mailclient pop3 127.0.0.1 110 --user alice --password "$ALICE_PW"
	cap_stop
}

rec_pop3s-995()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 995'
	lab_mailclient pop3 127.0.0.1 995 --tls implicit --user alice --password "$ALICE_PW"
	cap_stop
}

# Linux cooked capture v1 (DLT_LINUX_SLL) from the "any" pseudo-interface.
rec_pop3-stls-sll()
{
	cap_start "$1" any 'tcp and host 127.0.0.1 and port 110' -y LINUX_SLL
	lab_mailclient pop3 127.0.0.1 110 --tls stls
	cap_stop
}

# Linux cooked capture v2 (DLT_LINUX_SLL2) from the "any" pseudo-interface.
rec_imap-starttls-sll2()
{
	cap_start "$1" any 'tcp and host 127.0.0.1 and port 143' -y LINUX_SLL2
	lab_mailclient imap 127.0.0.1 143 --tls starttls
	cap_stop
}

# Several sessions in one pcapng written by dumpcap (6 sessions, in order).
rec_mixed-mail()
{
	cap_start_dumpcap "$1" lo \
		'tcp and (host 127.0.0.1 or host 127.0.0.2) and (port 25 or port 465 or port 993 or port 110)'
	lab_swaks --server 127.0.0.1 --port 25 --tls --tls-sni mail.tlswatch.test
	lab_swaks --server 127.0.0.1 --port 25
	lab_swaks --server 127.0.0.2 --port 25
	lab_swaks --server 127.0.0.1 --port 465 --tls-on-connect --tls-sni mail.tlswatch.test
	lab_mailclient imap 127.0.0.1 993 --tls implicit --user alice --password "$ALICE_PW"
	lab_mailclient pop3 127.0.0.1 110 --tls stls --user alice --password "$ALICE_PW"
	cap_stop
}

# ----------------------------------------------------------- login set
# 127.0.0.3:587 offers STARTTLS but also allows AUTH in cleartext
# (smtpd_tls_auth_only=no), so these clients authenticate without TLS.

rec_smtp-auth-plain-cleartext()
{
	cap_start "$1" lo 'tcp and host 127.0.0.3 and port 587'
	lab_swaks --server 127.0.0.3 --port 587 --auth PLAIN --auth-user alice --auth-password "$ALICE_PW"
	cap_stop
}

rec_smtp-auth-login-cleartext()
{
	cap_start "$1" lo 'tcp and host 127.0.0.3 and port 587'
	lab_swaks --server 127.0.0.3 --port 587 --auth LOGIN --auth-user alice --auth-password "$ALICE_PW"
	cap_stop
}

rec_smtp-auth-cram-md5()
{
	cap_start "$1" lo 'tcp and host 127.0.0.3 and port 587'
	lab_swaks --server 127.0.0.3 --port 587 --auth CRAM-MD5 --auth-user alice --auth-password "$ALICE_PW"
	cap_stop
}

rec_smtp-auth-plain-failed()
{
	cap_start "$1" lo 'tcp and host 127.0.0.3 and port 587'
	expect_fail '535 5\.7\.8' swaks --helo client.tlswatch.test --from sender@client.tlswatch.test \
		--to alice@tlswatch.test --server 127.0.0.3 --port 587 \
		--auth PLAIN --auth-user alice --auth-password "$WRONG_PW"
	cap_stop
}

rec_imap-login()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 143'
	lab_mailclient imap 127.0.0.1 143 --user bob --password "$BOB_PW"
	cap_stop
}

rec_imap-authenticate-plain-sasl-ir()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 143'
	lab_curl --resolve mail.tlswatch.test:143:127.0.0.1 --login-options AUTH=PLAIN --sasl-ir \
		-u "alice:$ALICE_PW" imap://mail.tlswatch.test:143/
	cap_stop
}

rec_imap-login-failed()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 143'
	lab_mailclient imap 127.0.0.1 143 --user alice --password "$WRONG_PW" --expect-fail
	cap_stop
}

rec_pop3-user-pass()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 110'
	lab_mailclient pop3 127.0.0.1 110 --user bob --password "$BOB_PW"
	cap_stop
}

# A login, then IDLE: 4 seconds in which neither side says anything (the
# tests shorten tlswatch's idle timeout to see that the session is not split).
rec_imap-login-idle()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 143'
	lab_mailclient imap 127.0.0.1 143 --user alice --password "$ALICE_PW" --idle 4
	cap_stop
}

# A client that never asks for the capabilities: whether the server offers
# STLS is not in this session (offer-unseen) ...
rec_pop3-user-pass-no-capa()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 110'
	lab_mailclient pop3 127.0.0.1 110 --no-capa --user alice --password "$ALICE_PW"
	cap_stop
}

# ... unless another session showed it (not-requested).
rec_pop3-capa-then-no-capa()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 110'
	lab_mailclient pop3 127.0.0.1 110
	lab_mailclient pop3 127.0.0.1 110 --no-capa --user alice --password "$ALICE_PW"
	cap_stop
}

rec_pop3-auth-plain()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 110'
	lab_curl --resolve mail.tlswatch.test:110:127.0.0.1 --login-options AUTH=PLAIN \
		-u "alice:$ALICE_PW" pop3://mail.tlswatch.test:110/
	cap_stop
}

rec_imap-starttls-login()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 143'
	lab_mailclient imap 127.0.0.1 143 --tls starttls --user alice --password "$ALICE_PW"
	cap_stop
}

rec_pop3-stls-user-pass()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 110'
	lab_mailclient pop3 127.0.0.1 110 --tls stls --user alice --password "$ALICE_PW"
	cap_stop
}

rec_smtp-starttls-auth-login()
{
	cap_start "$1" lo 'tcp and host 127.0.0.1 and port 587'
	lab_swaks --server 127.0.0.1 --port 587 --tls --tls-sni mail.tlswatch.test \
		--auth LOGIN --auth-user alice --auth-password "$ALICE_PW"
	cap_stop
}

# ---------------------------------------------------------------- driver
# Hooks of tools/lab/record-lib.sh's recorder_main.

# File name and number of TCP sessions of a capture.
capture_file()
{
	case "$1" in
	mixed-mail) echo "$1.pcapng" ;;
	*) echo "$1.pcap" ;;
	esac
}

capture_sessions()
{
	case "$1" in
	mixed-mail) echo 6 ;;
	pop3-capa-then-no-capa) echo 2 ;;
	*) echo 1 ;;
	esac
}

verify_capture()
{
	cap_verify "$2" "$(capture_sessions "$1")"
}

install_deps()
{
	mail_lab_install
}

start_servers()
{
	mail_lab_start
}

stop_servers()
{
	mail_lab_stop
}

recorder_main "$@"

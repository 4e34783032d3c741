# shellcheck shell=bash
# tools/lab/record-lib.sh — what the capture recorders tools/record-*.sh
# share. Each of them sets REPO and LAB, then sources this file (which
# sources tools/lab/capture.sh for the cap_* helpers):
#
#   REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
#   LAB=$REPO/tools/lab
#   # shellcheck source=tools/lab/record-lib.sh
#   . "$LAB/record-lib.sh"
#
# A recorder has one function rec_NAME FILE per capture, lists the names in
# the array CAPTURES, sets ROOT (the default of --root), defines the hooks
# below and ends with `recorder_main "$@"`:
#
#   install_deps              installs what it needs (skipped with --no-install)
#   start_servers             starts its servers (after install_deps)
#   stop_servers              stops them, from the EXIT trap; also runs when
#                             start_servers did not run or stopped half-way
#   verify_capture NAME FILE  true when FILE is complete and holds what the
#                             capture NAME must hold
#   capture_file NAME         optional: the file name (default NAME.pcap)
#   inst_pid NAME             for claim_root and instance_masters: the pid of
#                             the running master of the server instance NAME
#
# Here: logging (log, die), the driver (recorder_main, record_one,
# recorder_cleanup), clients (run_client, expect_fail, ...), the mail lab of
# tools/lab/lab.sh, the man-in-the-middle tools/lab/mitm.py (proxied ...),
# waiting for and stopping processes by PID, the private root, namespaces
# with a private /etc/hosts, package installation without starting services
# (policy-rc.d), and the DNS watch.

# shellcheck source=tools/lab/capture.sh
. "$LAB/capture.sh"

# Settings; a recorder may change them after sourcing this file.
OUT=$REPO/pcaps                         # --out
INSTALL=1                               # 0 with --no-install
TRIES=3                                 # recordings of one capture before giving up
WAIT_TIMEOUT=10                         # seconds wait_until, wait_listen and wait_gone wait
WORK_TEMPLATE=/tmp/tlswatch-rec.XXXXXX  # mktemp template of the work directory
POLICY_RC=/usr/sbin/policy-rc.d
DEBCONF_EXTRA=()                        # debconf selections install_packages adds
APT_PREFIX=()                           # command prefix of install_packages' apt-get install

# State.
REC_NAME=$(basename "$0" .sh)           # log prefix and policy-rc.d tag, e.g. record-ldap
WORK=""                                 # work directory: client logs, captures in progress
CUR=""                                  # name of the capture being recorded
LAB_STARTED=0
MITM_PID=""
DNS_PID=""
DNS_FILE=""
DNS_STRICT=0
POLICY_RC_OURS=0
# shellcheck disable=SC2034  # set by ns_cmd, used by the recorders
NS_CMD=()

# swaks' options for the lab's fixed identity and tiny message (the
# recorders add the server, TLS and AUTH options).
# shellcheck disable=SC2034  # used by the recorders
SWAKS_ARGS=(--helo client.tlswatch.test --from sender@client.tlswatch.test --to alice@tlswatch.test
	--header "Subject: tlswatch lab" --header "Message-Id: <lab@client.tlswatch.test>"
	--body "small test message")

# ---------------------------------------------------------------- logging

# log MESSAGE...: MESSAGE on stderr after the recorder's name (REC_NAME).
log()
{
	echo "$REC_NAME: $*" >&2
}

# die MESSAGE...: logs MESSAGE and ends the run (exit 1; the EXIT trap stops
# what was started).
die()
{
	log "$*"
	exit 1
}

# usage: prints the recorder's help, the comment block at the top of $0.
usage()
{
	sed -n '2,/^[^#]/{/^#/p}' "$0"
}

# ---------------------------------------------------------------- driver

# recorder_main ARG...: the command line of every recorder:
#   [--out DIR] [--root DIR] [--no-install] [--list] [-h|--help] [NAME[.pcap]...]
# Checks the names (rec_NAME must exist; none given: all of CAPTURES), runs
# itself again through sudo when not root, sets the EXIT trap
# (recorder_cleanup), makes the work directory (WORK, from WORK_TEMPLATE),
# calls install_deps (unless --no-install) and start_servers, then
# record_one for each name. Sets OUT (made absolute), ROOT, INSTALL, WORK.
recorder_main()
{
	local names=() n argv=("$@") t0
	while [ $# -gt 0 ]; do
		case "$1" in
		--out) OUT=${2:?}; shift 2 ;;
		--root) ROOT=${2:?}; shift 2 ;;
		--no-install) INSTALL=0; shift ;;
		--list) printf '%s\n' "${CAPTURES[@]}"; exit 0 ;;
		-h | --help) usage; exit 0 ;;
		-*) log "unknown option: $1"; exit 2 ;;
		*) names+=("${1%.pcap}"); shift ;;
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
	t0=$SECONDS
	trap recorder_cleanup EXIT
	trap 'exit 130' INT TERM
	WORK=$(mktemp -d "$WORK_TEMPLATE")
	[ $INSTALL -eq 0 ] || install_deps
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	start_servers
	for n in "${names[@]}"; do
		record_one "$n"
	done
	log "recorded ${#names[@]} captures into $OUT in $((SECONDS - t0)) s"
}

# record_one NAME: records the capture NAME (rec_NAME FILE) into WORK, up to
# TRIES times until verify_capture NAME FILE accepts it, and moves it into
# OUT; returns 1 when every try failed (the last file is kept in /tmp). Sets
# CUR; the clients' output of a try is in $WORK/NAME.log.
record_one()
{
	local name=$1 file tmp try
	file=$name.pcap
	if declare -F capture_file >/dev/null; then
		file=$(capture_file "$name")
	fi
	tmp=$WORK/$file
	CUR=$name
	for try in $(seq "$TRIES"); do
		: >"$WORK/$name.log"
		rm -f "$tmp"
		log "recording $file"
		"rec_$name" "$tmp"
		if verify_capture "$name" "$tmp"; then
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

# recorder_cleanup: the EXIT trap. Stops the capture, the proxy, the
# servers (stop_servers) and the DNS watch, removes our policy-rc.d and the
# work directory; exits with the run's status, or 1 when something could
# not be stopped cleanly (or the strict DNS watch saw a packet).
recorder_cleanup()
{
	local rc=$?
	cap_stop
	mitm_stop
	stop_servers || rc=1
	dns_watch_stop || rc=1
	restore_policy_rc
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit $rc
}

# ---------------------------------------------------------------- clients

# client_die MESSAGE...: shows the client log of the current capture
# ($WORK/$CUR.log) and ends the run with "CUR: MESSAGE".
client_die()
{
	cat "$WORK/$CUR.log" >&2
	die "$CUR: $*"
}

# expect_log REGEX: the clients' log of the capture ($WORK/$CUR.log) must
# match REGEX, else the run ends.
expect_log()
{
	grep -qE "$1" "$WORK/$CUR.log" || client_die "the client log lacks /$1/"
}

# run_client CMD...: runs CMD (a program or a function) with its output
# appended to $WORK/$CUR.log. A CMD that fails ends the whole run (the EXIT
# trap stops everything), also when called where set -e does not apply.
run_client()
{
	local rc=0
	"$@" >>"$WORK/$CUR.log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || client_die "client failed (exit status $rc): $1"
}

# expect_fail REGEX CMD...: runs CMD as run_client does, but CMD must fail
# and $WORK/$CUR.log then match the extended regex REGEX (the expected
# failure: the victim noticed the attack, the server refused); otherwise
# the run ends.
expect_fail()
{
	local pattern=$1 rc=0
	shift
	"$@" >>"$WORK/$CUR.log" 2>&1 || rc=$?
	if [ $rc -eq 0 ] || ! grep -qE "$pattern" "$WORK/$CUR.log"; then
		client_die "expected a failure matching /$pattern/ (exit status $rc): $1"
	fi
}

# lab_curl ARG...: curl (verbose, at most 20 s) through run_client.
lab_curl()
{
	run_client curl -sS -v --max-time 20 "$@"
}

# check_cleartext NAME FILE: checks the rules on stdin, one a line, against
# what `tcpdump -nr FILE -A` shows: "+STRING" must be there, "-STRING" must
# not (fixed strings); other lines are the caller's. Logs each rule that
# fails (NAME: the capture) and returns 1 if one did.
check_cleartext()
{
	local name=$1 file=$2 text rule ok=0
	text=$(tcpdump -nr "$file" -A 2>/dev/null)
	while IFS= read -r rule; do
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
	done
	return $ok
}

# ---------------------------------------------------------------- mail lab

# mail_lab_install: installs (tools/install-deps.sh) the mail lab's servers
# (Postfix unconfigured: debconf) and the clients the mail captures use.
mail_lab_install()
{
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	"$REPO/tools/install-deps.sh" postfix dovecot-imapd dovecot-pop3d swaks \
		libnet-ssleay-perl libio-socket-inet6-perl openssl curl tcpdump wireshark-common tshark \
		python3 iproute2
}

# mail_lab_start: starts the mail lab of tools/lab/lab.sh (Postfix and
# Dovecot on loopback) in ROOT; sets LAB_STARTED.
mail_lab_start()
{
	"$LAB/lab.sh" start "$ROOT"
	LAB_STARTED=1
}

# mail_lab_stop: stops the mail lab if mail_lab_start started it; returns
# the status of `lab.sh stop` (1 when something still listens). Reads and
# resets LAB_STARTED.
mail_lab_stop()
{
	[ $LAB_STARTED -eq 1 ] || return 0
	LAB_STARTED=0
	"$LAB/lab.sh" stop "$ROOT"
}

# ---------------------------------------------------------------- proxy

# mitm_start PROTO LISTEN_PORT UPSTREAM MODES COUNT: starts the lab's
# man-in-the-middle (tools/lab/mitm.py, with PYTHON) on
# MITM_ADDR:LISTEN_PORT, relaying to UPSTREAM (ADDR:PORT) from MITM_ADDR,
# with the next of the comma-separated MODES for each connection; it exits
# after COUNT connections (60 s at most). Its output goes to
# $WORK/$CUR.mitm.log. Returns once it is ready; sets MITM_PID.
mitm_start()
{
	local proto=$1 lport=$2 upstream=$3 modes=$4 count=$5
	rm -f "$WORK/mitm.ready"
	"$PYTHON" "$LAB/mitm.py" --listen "$MITM_ADDR:$lport" --upstream "$upstream" \
		--proto "$proto" --modes "$modes" --count "$count" --timeout 60 \
		--ready "$WORK/mitm.ready" >>"$WORK/$CUR.mitm.log" 2>&1 &
	MITM_PID=$!
	if ! wait_until -p "$MITM_PID" test -f "$WORK/mitm.ready"; then
		cat "$WORK/$CUR.mitm.log" >&2
		die "$CUR: the proxy did not start"
	fi
}

# mitm_wait: waits for the proxy to exit on its own (it has handled COUNT
# connections, and their data connections); after 60 s it is stopped by
# PID. Appends its log to the client log; a proxy that failed ends the run.
# Reads and clears MITM_PID.
mitm_wait()
{
	local tries=0 rc=0
	[ -n "$MITM_PID" ] || return 0
	while kill -0 "$MITM_PID" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 600 ]; then
			log "$CUR: the proxy is still running after 60 s; stopping it"
			kill -TERM "$MITM_PID" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	wait "$MITM_PID" || rc=$?
	MITM_PID=""
	cat "$WORK/$CUR.mitm.log" >>"$WORK/$CUR.log"
	if [ $rc -ne 0 ] || grep -q 'Traceback' "$WORK/$CUR.mitm.log"; then
		cat "$WORK/$CUR.mitm.log" >&2
		die "$CUR: the proxy failed (exit status $rc)"
	fi
}

# mitm_stop: stops the proxy by PID (SIGTERM) if it still runs; clears
# MITM_PID.
mitm_stop()
{
	[ -n "$MITM_PID" ] || return 0
	kill -TERM "$MITM_PID" 2>/dev/null || true
	wait "$MITM_PID" 2>/dev/null || true
	MITM_PID=""
}

# proxied PROTO LISTEN_PORT UPSTREAM MODES COUNT FILE: one proxied capture:
# starts the capture of FILE (every packet to or from MITM_ADDR: both sides
# of the proxy) and the proxy (mitm_start); the caller then runs the
# clients and calls proxied_end.
proxied()
{
	local proto=$1 lport=$2 upstream=$3 modes=$4 count=$5 file=$6
	: >"$WORK/$CUR.mitm.log"
	cap_start "$file" lo "tcp and host $MITM_ADDR"
	mitm_start "$proto" "$lport" "$upstream" "$modes" "$count"
}

# proxied_end: waits for the proxy (mitm_wait), then stops the capture.
proxied_end()
{
	mitm_wait
	cap_stop
}

# ---------------------------------------------------------------- processes

# wait_until [-p PID] CMD...: runs CMD every 0.1 s until it succeeds (returns
# 0); returns 1 after WAIT_TIMEOUT s, or as soon as PID (when given) has
# exited.
wait_until()
{
	local pid="" tries=0
	if [ "${1:-}" = -p ]; then
		pid=$2
		shift 2
	fi
	until "$@"; do
		tries=$((tries + 1))
		if [ $tries -ge $((WAIT_TIMEOUT * 10)) ] || { [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; }; then
			return 1
		fi
		sleep 0.1
	done
}

# not_listening PID ADDR:PORT...: prints each ADDR:PORT (as ss prints it:
# 127.0.0.1:25, [::1]:21) that is not in LISTEN state; owned by PID, unless
# PID is "-".
not_listening()
{
	local pid=$1 have want
	shift
	if [ "$pid" = - ]; then
		have=$(ss -ltnH | awk '{print $4}')
	else
		have=$(ss -ltnpH | awk -v p="pid=$pid," 'index($0, p) {print $4}')
	fi
	for want in "$@"; do
		grep -qxF -- "$want" <<<"$have" || echo "$want"
	done
}

# all_listening PID ADDR:PORT...: true when not_listening prints nothing.
all_listening()
{
	[ -z "$(not_listening "$@")" ]
}

# wait_listen [-p PID] ADDR:PORT...: waits until every ADDR:PORT is in
# LISTEN state (owned by PID with -p); logs the missing ones and returns 1
# after WAIT_TIMEOUT s, or as soon as PID has exited.
wait_listen()
{
	local pid=- wait_opt=() missing
	if [ "${1:-}" = -p ]; then
		pid=$2
		wait_opt=(-p "$pid")
		shift 2
	fi
	wait_until "${wait_opt[@]}" all_listening "$pid" "$@" && return 0
	missing=$(not_listening "$pid" "$@" | paste -sd' ')
	if [ "$pid" != - ] && ! kill -0 "$pid" 2>/dev/null; then
		log "not listening: $missing (pid $pid has exited)"
	else
		log "not listening after $WAIT_TIMEOUT s: $missing"
	fi
	return 1
}

# descendants PID: prints the pid of every descendant of PID (children,
# their children, ...), from /proc.
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

# pid_alive PID: true if the process exists and is not a zombie (a daemon's
# parent is init, which may reap it late).
pid_alive()
{
	local st
	st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# pid_exited PID: true once PID has gone (or is a zombie).
pid_exited()
{
	! pid_alive "$1"
}

# wait_pids PID...: waits for each of the PIDs (children of this shell, an
# empty one skipped) to exit, killing one still there after WAIT_TIMEOUT s,
# and reaps it.
wait_pids()
{
	local pid
	for pid in "$@"; do
		[ -n "$pid" ] || continue
		wait_until pid_exited "$pid" || kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# pid_is PID COMM: true if the process PID is a COMM (/proc/PID/comm).
pid_is()
{
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

# pidfile_pid FILE [COMM]: prints the pid on the first line of FILE if that
# process is alive (pid_alive) and, with COMM, is a COMM (pid_is); nothing
# otherwise. Always returns 0.
pidfile_pid()
{
	local file=$1 comm=${2:-} pid
	[ -r "$file" ] || return 0
	pid=$(head -n1 "$file" | tr -dc '0-9')
	if [ -n "$pid" ] && pid_alive "$pid" && { [ -z "$comm" ] || pid_is "$pid" "$comm"; }; then
		echo "$pid"
	fi
	return 0
}

# wait_gone WHAT PID...: waits until none of the PIDs is alive (pid_alive);
# after WAIT_TIMEOUT s SIGKILLs those left (logged, WHAT names them) and
# waits 0.2 s.
wait_gone()
{
	local what=$1 left p tries=0
	shift
	while :; do
		left=()
		for p in "$@"; do
			pid_alive "$p" && left+=("$p")
		done
		[ ${#left[@]} -eq 0 ] && return 0
		tries=$((tries + 1))
		if [ $tries -ge $((WAIT_TIMEOUT * 10)) ]; then
			log "$what still alive after $WAIT_TIMEOUT s, SIGKILL: ${left[*]}"
			kill -KILL "${left[@]}" 2>/dev/null || true
			sleep 0.2
			return 0
		fi
		sleep 0.1
	done
}

# instance_masters COMM NAME...: prints the pid of the running master of
# each server instance NAME (inst_pid NAME, a function of the recorder) that
# is a COMM process; one that is something else is logged and left out.
instance_masters()
{
	local comm=$1 name pid
	shift
	for name in "$@"; do
		pid=$(inst_pid "$name")
		[ -n "$pid" ] || continue
		if pid_is "$pid" "$comm"; then
			echo "$pid"
		else
			log "pid $pid of instance $name is $(cat "/proc/$pid/comm" 2>/dev/null), not $comm;" \
				"not touching it"
		fi
	done
}

# stop_masters SIGNAL WHAT PID...: stops servers by the PIDs of their master
# processes (which the caller has checked are what they should be): SIGNAL
# (TERM, INT, ...) to each, then waits (wait_gone) for them and all their
# descendants (taken before the signal), reaps those that are children of
# this shell, and checks with ss that none of them still listens. Logs
# "WHAT stopped (N processes)"; returns 1 if one still listens. No PID:
# nothing to do.
stop_masters()
{
	local sig=$1 what=$2 all=() p rc=0
	shift 2
	[ $# -gt 0 ] || return 0
	for p in "$@"; do
		all+=("$p")
		mapfile -t -O ${#all[@]} all < <(descendants "$p")
	done
	kill -"$sig" "$@" 2>/dev/null || true
	wait_gone "$what" "${all[@]}"
	for p in "$@"; do
		wait "$p" 2>/dev/null || true
	done
	for p in "${all[@]}"; do
		if ss -ltnpH | grep -q "pid=$p,"; then
			log "$what pid $p still listens after stop"
			rc=1
		fi
	done
	log "$what stopped (${#all[@]} processes)"
	return $rc
}

# check_ports_free [--hint TEXT] PORT...: ends the run when anything (a
# service of the distribution, another run of a recorder) already listens
# on one of the TCP PORTs, on any address; the message lists the listeners
# and TEXT says how to stop them.
check_ports_free()
{
	local hint="" busy text="" i
	if [ "${1:-}" = --hint ]; then
		hint="; $2"
		shift 2
	fi
	busy=$(ss -ltnpH | awk -v ports=" $* " '{ n = split($4, p, ":"); if (index(ports, " " p[n] " ")) print }')
	[ -n "$busy" ] || return 0
	for ((i = 1; i <= $#; i++)); do
		if [ $i -eq 1 ]; then
			text=${!i}
		elif [ $i -eq $# ]; then
			text+=" or ${!i}"
		else
			text+=", ${!i}"
		fi
	done
	die "port $text already in use (stop that first$hint):
$busy"
}

# ---------------------------------------------------------------- private root

# claim_root [INSTANCE...]: checks ROOT (--root: an absolute path, not /,
# not under /etc; missing, empty, or marked as a root of this recorder by the
# file MARKER) and that no INSTANCE of the recorder's servers still runs
# there (inst_pid, a function of the recorder), then creates ROOT (mode
# 0755) and marks it. Reads ROOT and MARKER.
claim_root()
{
	local i
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
	for i in "$@"; do
		[ -z "$(inst_pid "$i")" ] || die "$i already running in $ROOT; stop it first"
	done
	mkdir -p "$ROOT"
	chmod 0755 "$ROOT"
	touch "$ROOT/$MARKER"
}

# ---------------------------------------------------------------- namespaces

# ns_available: true if UTS and mount namespaces can be made here (unshare).
ns_available()
{
	unshare --uts --mount true 2>/dev/null
}

# ns_cmd HOSTNAME HOSTS: sets the array NS_CMD to a command prefix that runs
# a command in UTS and mount namespaces of its own, with the host name
# HOSTNAME and the file HOSTS bound over /etc/hosts (for that command only:
# a server's look-up of its own name is answered there, no DNS query leaves
# the machine, /etc is never written). The prefix execs the command, so
# `"${NS_CMD[@]}" CMD... &` leaves CMD's own pid in $!. Where namespaces
# cannot be made NS_CMD is empty: CMD runs as it is.
ns_cmd()
{
	NS_CMD=()
	ns_available || return 0
	# $1, $2 and $@ are the inner sh's; NS_CMD is used by the recorders.
	# shellcheck disable=SC2016,SC2034
	NS_CMD=(unshare --uts --mount sh -c 'hostname "$1" && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"'
		sh "$1" "$2")
}

# write_hosts FILE NAME: writes FILE (mode 0644), a hosts file for ns_cmd:
# NAME and localhost on 127.0.0.1, the localhost names on ::1.
write_hosts()
{
	printf '127.0.0.1\t%s localhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$2" >"$1"
	chmod 0644 "$1"
}

# ---------------------------------------------------------------- packages

# install_packages PKG...: installs the Debian packages of PKG that are
# missing with apt-get (run through the command prefix APT_PREFIX; output in
# $WORK/apt.log, whose tail is shown when it fails, which ends the run).
# Debian starts a package's service when it is installed (a dovecot, slapd,
# postgresql or innd of its own on the ports the lab needs): while
# installing, a policy-rc.d of ours (only where there is none; tagged with
# REC_NAME, removed by restore_policy_rc, also from the EXIT trap) keeps
# every service from starting. debconf: wireshark-common without setuid,
# and the lines of DEBCONF_EXTRA. Sets POLICY_RC_OURS.
install_packages()
{
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	log "installing ${missing[*]}"
	if [ ! -e "$POLICY_RC" ]; then
		printf '#!/bin/sh\n# tlswatch %s: no service starts during its apt-get install\nexit 101\n' \
			"$REC_NAME" >"$POLICY_RC"
		chmod 0755 "$POLICY_RC"
		POLICY_RC_OURS=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	printf '%s\n' "wireshark-common wireshark-common/install-setuid boolean false" "${DEBCONF_EXTRA[@]}" |
		debconf-set-selections
	apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
	"${APT_PREFIX[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
		"${missing[@]}" >"$WORK/apt.log" 2>&1 ||
		{ tail -n 30 "$WORK/apt.log" >&2; die "apt-get install failed: ${missing[*]}"; }
	restore_policy_rc
}

# restore_policy_rc: removes the policy-rc.d install_packages wrote (only if
# it is still ours). Reads and resets POLICY_RC_OURS.
restore_policy_rc()
{
	if [ $POLICY_RC_OURS -eq 1 ] && grep -q "tlswatch $REC_NAME" "$POLICY_RC" 2>/dev/null; then
		rm -f "$POLICY_RC"
	fi
	POLICY_RC_OURS=0
}

# ---------------------------------------------------------------- DNS watch

# dns_watch_start FILTER [strict]: a tcpdump on every interface for FILTER
# (the DNS ports) into $WORK/dns.pcap while the lab runs; dns_watch_stop
# (from the EXIT trap) says what it saw. The lab itself must not ask any
# resolver. strict: the watch must start and any packet fails the run;
# otherwise (other programs on the machine may ask DNS) the watch is best
# effort and a packet only a warning. Sets DNS_PID, DNS_FILE, DNS_STRICT.
dns_watch_start()
{
	local filter=$1
	DNS_FILE=$WORK/dns.pcap
	DNS_STRICT=0
	[ "${2:-}" != strict ] || DNS_STRICT=1
	tcpdump -Z root -U --immediate-mode -n -i any -w "$DNS_FILE" "$filter" 2>"$DNS_FILE.err" &
	DNS_PID=$!
	wait_until -p "$DNS_PID" grep -sqE '^(tcpdump: )?listening on' "$DNS_FILE.err" && return 0
	cat "$DNS_FILE.err" >&2
	kill -INT "$DNS_PID" 2>/dev/null || true
	wait "$DNS_PID" 2>/dev/null || true
	DNS_PID=""
	[ $DNS_STRICT -eq 0 ] || die "the DNS watch (tcpdump -i any) did not start"
	log "the DNS watch (tcpdump -i any) did not start: no check of DNS queries"
}

# dns_watch_stop: stops the DNS watch (if it runs) and reports: any packet
# written, or matched by the filter (a packet still in the ring when
# tcpdump stops is counted there, not written), is shown; returns 1 then if
# the watch is strict. Clears DNS_PID.
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
	if [ -z "$seen" ] && [ "${matched:-0}" -eq 0 ]; then
		log "no DNS packet on any interface while the lab ran"
		return 0
	fi
	if [ $DNS_STRICT -eq 1 ]; then
		log "DNS packets were seen while the lab ran (${matched:-?} matched; something resolved a name):"
	else
		log "WARNING: DNS packets were seen on the machine while the lab ran" \
			"(${matched:-?} matched; the lab sends none itself):"
	fi
	[ -z "$seen" ] || echo "$seen" >&2
	return $DNS_STRICT
}

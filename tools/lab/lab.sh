#!/usr/bin/env bash
# tools/lab/lab.sh — starts and stops the tlswatch capture lab: a real Postfix
# 3.7 and a real Dovecot 2.3 from Debian's packages, configured in a private
# root directory (never in /etc), listening on loopback addresses only.
#
#   lab.sh start ROOT [--profile full|smtp] [--smtp-addr ADDR]
#   lab.sh stop ROOT
#   lab.sh status ROOT
#
# Profile "full" (default), everything on loopback:
#   postfix  127.0.0.1:25, [::1]:25   SMTP, STARTTLS offered
#            127.0.0.2:25             SMTP, STARTTLS not offered
#            127.0.0.4:25             SMTP, STARTTLS offered (failed-handshake capture only)
#            127.0.0.1:2525           SMTP, STARTTLS offered (non-standard port)
#            127.0.0.1:587            submission, STARTTLS, AUTH only inside TLS
#            127.0.0.3:587            submission, STARTTLS offered, AUTH allowed in cleartext
#            127.0.0.1:465            submissions, implicit TLS
#   dovecot  127.0.0.1 and ::1: imap 143 (STARTTLS), imaps 993, pop3 110 (STLS), pop3s 995
# Profile "smtp": only postfix, one STARTTLS relay on ADDR:25 (--smtp-addr,
# default 127.0.0.1); tests/live/run.sh uses it inside a network namespace.
#
# Users (dovecot passwd-file, also used by postfix through dovecot's auth
# socket): alice / AlicePass2024, bob / Bob "Pass" 2024.
# Mail is accepted for any user at tlswatch.test and discarded; anything else
# is refused (error transport). There is no SMTP client in master.cf.
#
# "stop" reads the pid files, sends SIGTERM to the two master processes, waits
# for them and all their children to exit (SIGKILL by PID after 10 s), and
# checks with `ss -ltnp` that none of them still listens.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MARKER=.tlswatch-lab

lab_die()
{
	echo "lab: $*" >&2
	exit 1
}

lab_log()
{
	echo "lab: $*" >&2
}

# Substitutes @NAME@ placeholders: lab_subst FILE NAME=VALUE ...
lab_subst()
{
	local file=$1 expr=() kv
	shift
	for kv in "$@"; do
		local k=${kv%%=*} v=${kv#*=}
		v=${v//\\/\\\\}
		v=${v//|/\\|}
		v=${v//&/\\&}
		expr+=(-e "s|@${k}@|${v}|g")
	done
	sed "${expr[@]}" "$file"
}

lab_pidfiles()
{
	local root=$1
	echo "$root/postfix/spool/pid/master.pid"
	echo "$root/dovecot/run/master.pid"
}

# Prints the pid in FILE when that process is alive, nothing otherwise.
lab_pid_alive()
{
	local file=$1 pid
	[ -r "$file" ] || return 0
	pid=$(tr -dc '0-9' <"$file")
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		echo "$pid"
	fi
}

# All descendants of a pid (children first level and deeper), from /proc.
lab_descendants()
{
	local parent=$1 p ppid
	for p in /proc/[0-9]*; do
		ppid=$(awk '/^PPid:/ {print $2}' "$p/status" 2>/dev/null) || continue
		if [ "$ppid" = "$parent" ]; then
			echo "${p#/proc/}"
			lab_descendants "${p#/proc/}"
		fi
	done
}

# Waits until every ADDR:PORT given is in LISTEN state (ss syntax: 127.0.0.1:25, [::1]:25).
lab_wait_listen()
{
	local want tries=0 missing
	while :; do
		missing=()
		local have
		have=$(ss -ltnH | awk '{print $4}')
		for want in "$@"; do
			grep -qxF -- "$want" <<<"$have" || missing+=("$want")
		done
		[ ${#missing[@]} -eq 0 ] && return 0
		tries=$((tries + 1))
		if [ $tries -ge 100 ]; then
			lab_log "not listening after 10 s: ${missing[*]}"
			return 1
		fi
		sleep 0.1
	done
}

lab_prepare_root()
{
	local root=$1
	case "$root" in
	/*) ;;
	*) lab_die "ROOT must be an absolute path: $root" ;;
	esac
	[ "$root" != / ] || lab_die "refusing ROOT=/"
	if [ -d "$root" ] && [ -n "$(ls -A "$root")" ] && [ ! -e "$root/$MARKER" ]; then
		lab_die "$root exists, is not empty and is not a lab root (no $MARKER)"
	fi
	mkdir -p "$root"
	chmod 0755 "$root"
	touch "$root/$MARKER"
	rm -rf "$root/postfix" "$root/dovecot" "$root/mail" "$root/tls"
}

lab_start_dovecot()
{
	local root=$1 dov=$1/dovecot
	mkdir -p "$dov/run" "$dov/state" "$root/mail"
	chmod 0755 "$dov" "$dov/run"
	chown 65534:65534 "$root/mail"
	install -m 0640 -o root -g dovecot "$LAB_DIR/dovecot/users" "$dov/users"
	lab_subst "$LAB_DIR/dovecot/dovecot.conf.in" DOV="$dov" TLS="$root/tls" MAIL="$root/mail" \
		MAIL_UID=65534 MAIL_GID=65534 LISTEN="127.0.0.1, ::1" >"$dov/dovecot.conf"
	# Dovecot puts the system host name into its CRAM-MD5 challenges; start it
	# in its own UTS namespace named mail.tlswatch.test when that is allowed.
	# At start it looks that name up: a private /etc/hosts (bind-mounted in
	# its own mount namespace, seen by Dovecot only) answers, so that no DNS
	# query leaves the machine.
	printf '127.0.0.1\tmail.tlswatch.test localhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		>"$dov/hosts"
	if unshare --uts --mount true 2>/dev/null; then
		unshare --uts --mount sh -c \
			'hostname mail.tlswatch.test && mount --bind "$2" /etc/hosts && exec dovecot -c "$1"' \
			sh "$dov/dovecot.conf" "$dov/hosts" ||
			lab_die "dovecot did not start (see $dov/dovecot.log)"
	elif unshare --uts true 2>/dev/null; then
		unshare --uts sh -c 'hostname mail.tlswatch.test && exec dovecot -c "$1"' sh "$dov/dovecot.conf" ||
			lab_die "dovecot did not start (see $dov/dovecot.log)"
	else
		dovecot -c "$dov/dovecot.conf" || lab_die "dovecot did not start (see $dov/dovecot.log)"
	fi
}

lab_start_postfix()
{
	local root=$1 profile=$2 addr=$3 pfx=$1/postfix inet
	mkdir -p "$pfx/etc" "$pfx/spool" "$pfx/data"
	chown postfix:postfix "$pfx/data"
	if [ "$profile" = full ]; then
		inet=loopback-only
		cat "$LAB_DIR/postfix/listeners-full.cf" "$LAB_DIR/postfix/services.cf" >"$pfx/etc/master.cf"
	else
		inet=$addr
		{
			lab_subst "$LAB_DIR/postfix/listeners-smtp.cf" SMTP_ADDR="$addr"
			cat "$LAB_DIR/postfix/services.cf"
		} >"$pfx/etc/master.cf"
	fi
	lab_subst "$LAB_DIR/postfix/main.cf.in" PFX="$pfx" TLS="$root/tls" \
		AUTH_SOCKET="$root/dovecot/run/auth-postfix" INET_INTERFACES="$inet" >"$pfx/etc/main.cf"
	touch "$pfx/maillog"
	# postfix-script creates the queue directories and checks permissions.
	postfix -c "$pfx/etc" start >"$pfx/start.log" 2>&1 ||
		{ cat "$pfx/start.log" >&2; lab_die "postfix did not start (see $pfx/maillog)"; }
}

lab_start()
{
	local root=$1 profile=$2 addr=$3 f
	for f in $(lab_pidfiles "$root"); do
		[ -z "$(lab_pid_alive "$f")" ] || lab_die "lab already running in $root (pid file $f); stop it first"
	done
	lab_prepare_root "$root"
	"$LAB_DIR/gen-cert.sh" "$root/tls"
	case "$profile" in
	full)
		lab_start_dovecot "$root"
		lab_start_postfix "$root" full ""
		lab_wait_listen 127.0.0.1:25 '[::1]:25' 127.0.0.2:25 127.0.0.4:25 127.0.0.1:2525 127.0.0.1:587 \
			127.0.0.3:587 127.0.0.1:465 127.0.0.1:143 127.0.0.1:993 127.0.0.1:110 \
			127.0.0.1:995 '[::1]:143' '[::1]:110'
		[ -S "$root/dovecot/run/auth-postfix" ] || lab_die "dovecot auth socket missing"
		;;
	smtp)
		lab_start_postfix "$root" smtp "$addr"
		case "$addr" in
		*:*) lab_wait_listen "[$addr]:25" ;;
		*) lab_wait_listen "$addr:25" ;;
		esac
		;;
	*) lab_die "unknown profile: $profile" ;;
	esac
	lab_log "started ($profile) in $root"
}

lab_stop()
{
	local root=$1 f pid pids=() all=() p left tries
	for f in $(lab_pidfiles "$root"); do
		pid=$(lab_pid_alive "$f")
		[ -n "$pid" ] || continue
		case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
		master | dovecot) ;;
		*)
			lab_log "pid $pid in $f is not a postfix/dovecot master; not touching it"
			continue
			;;
		esac
		pids+=("$pid")
		all+=("$pid")
		mapfile -t -O ${#all[@]} all < <(lab_descendants "$pid")
	done
	[ ${#pids[@]} -eq 0 ] && { lab_log "nothing running in $root"; return 0; }
	kill -TERM "${pids[@]}" 2>/dev/null || true
	tries=0
	while :; do
		left=()
		for p in "${all[@]}"; do
			kill -0 "$p" 2>/dev/null && left+=("$p")
		done
		[ ${#left[@]} -eq 0 ] && break
		tries=$((tries + 1))
		if [ $tries -ge 100 ]; then
			lab_log "still alive after 10 s, SIGKILL: ${left[*]}"
			kill -KILL "${left[@]}" 2>/dev/null || true
			sleep 0.2
			break
		fi
		sleep 0.1
	done
	local listening=""
	for p in "${all[@]}"; do
		if ss -ltnpH | grep -q "pid=$p,"; then
			listening+=" $p"
		fi
	done
	[ -z "$listening" ] || lab_die "processes still listening after stop:$listening"
	rm -f "$root/dovecot/run/master.pid"
	lab_log "stopped (${#all[@]} processes) in $root"
}

lab_status()
{
	local root=$1 f pid rc=1
	for f in $(lab_pidfiles "$root"); do
		pid=$(lab_pid_alive "$f")
		if [ -n "$pid" ]; then
			echo "running: pid $pid ($f)"
			rc=0
		fi
	done
	[ $rc -eq 0 ] || echo "not running"
	return $rc
}

lab_main()
{
	local cmd=${1:-} root=${2:-} profile=full addr=127.0.0.1
	[ -n "$cmd" ] && [ -n "$root" ] || lab_die "usage: lab.sh start|stop|status ROOT [--profile full|smtp] [--smtp-addr ADDR]"
	shift 2
	while [ $# -gt 0 ]; do
		case "$1" in
		--profile) profile=${2:?}; shift 2 ;;
		--smtp-addr) addr=${2:?}; shift 2 ;;
		*) lab_die "unknown option: $1" ;;
		esac
	done
	[ "$(id -u)" -eq 0 ] || lab_die "must run as root (servers bind privileged ports)"
	case "$cmd" in
	start) lab_start "$root" "$profile" "$addr" ;;
	stop) lab_stop "$root" ;;
	status) lab_status "$root" ;;
	*) lab_die "unknown command: $cmd" ;;
	esac
}

lab_main "$@"

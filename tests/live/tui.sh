#!/usr/bin/env bash
# tests/live/tui.sh BINARY - the dashboard on a live interface.
#
# Two network namespaces joined by a veth pair (10.231.1.1/30 server,
# 10.231.1.2/30 client: our own test hosts, nothing leaves the namespaces), a
# real Postfix offering STARTTLS on 10.231.1.1:25 in the server namespace
# (tools/lab/lab.sh --profile smtp), and `BINARY -i VETH` in the client
# namespace inside a detached tmux pane of 120x40: on a live interface with
# a terminal on stdout the dashboard opens by itself. Two mails are sent with
# swaks, one with --tls and one without; the screen must then show a
# `+ starttls` and a `~ cleartext/not-requested` session to 10.231.1.1:25, the
# 25/tcp port row with 2 sessions (1 starttls, 1 cleartext), libpcap's drop
# counter as a number, and `q` must stop the capture, give the terminal back
# and print the summary.
# Prints "SKIP: live tui test: REASON" and exits 0 when namespaces cannot be
# made or the lab packages cannot be installed. Everything started is
# stopped by PID (the tmux server through its private socket) and the
# namespaces are deleted on exit.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
if [ $# -ne 1 ]; then
	echo "usage: tests/live/tui.sh BINARY" >&2
	exit 2
fi
bin=$1
case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac

ns_srv=tlsw-tsrv-$$
ns_cli=tlsw-tcli-$$
veth_srv=tlts$$
veth_cli=tltc$$
srv_ip=10.231.1.1
cli_ip=10.231.1.2
sock=tlsw-live-tui-$$
tmp=""
lab_root=""
ns_made=0
tmux_up=0

skip()
{
	echo "SKIP: live tui test: $*"
	exit 0
}

fail()
{
	echo "FAIL: live tui test: $*"
	if [ $tmux_up -eq 1 ]; then
		echo "  screen:"
		T capture-pane -p -t tui 2>/dev/null | sed 's/^/  | /'
	fi
	exit 1
}

T()
{
	tmux -L "$sock" -f /dev/null "$@"
}

cleanup()
{
	local rc=$?
	if [ $tmux_up -eq 1 ]; then
		T kill-server 2>/dev/null
	fi
	if [ -n "$lab_root" ] && [ -e "$lab_root/.tlswatch-lab" ]; then
		ip netns exec "$ns_srv" "$top/tools/lab/lab.sh" stop "$lab_root" >/dev/null 2>&1 ||
			"$top/tools/lab/lab.sh" stop "$lab_root" >/dev/null 2>&1 || rc=1
	fi
	if [ $ns_made -eq 1 ]; then
		ip netns del "$ns_cli" 2>/dev/null
		ip netns del "$ns_srv" 2>/dev/null
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
	exit $rc
}

screen()
{
	T capture-pane -p -t tui
}

wait_for()
{
	local pat=$1 limit=$((${2:-10} * 10)) i=0
	while [ $i -lt $limit ]; do
		screen | grep -qE -- "$pat" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

ensure_packages()
{
	local missing=0 p
	for p in postfix swaks libnet-ssleay-perl openssl tmux; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing=1
	done
	[ $missing -eq 0 ] && return 0
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null
	"$top/tools/install-deps.sh" postfix swaks libnet-ssleay-perl openssl tmux >&2 ||
		skip "cannot install postfix/swaks/tmux"
}

make_namespaces()
{
	local _
	ip netns add "$ns_srv" 2>/dev/null || skip "cannot create a network namespace (need root / CAP_NET_ADMIN)"
	ns_made=1
	ip netns add "$ns_cli" || fail "cannot create the client namespace"
	ip link add "$veth_srv" type veth peer name "$veth_cli" || skip "cannot create a veth pair"
	ip link set "$veth_srv" netns "$ns_srv" || fail "moving $veth_srv"
	ip link set "$veth_cli" netns "$ns_cli" || fail "moving $veth_cli"
	ip -n "$ns_srv" addr add "$srv_ip/30" dev "$veth_srv" &&
		ip -n "$ns_srv" link set lo up &&
		ip -n "$ns_srv" link set "$veth_srv" up &&
		ip -n "$ns_cli" addr add "$cli_ip/30" dev "$veth_cli" &&
		ip -n "$ns_cli" link set lo up &&
		ip -n "$ns_cli" link set "$veth_cli" up || fail "configuring the veth pair"
	for _ in $(seq 1 50); do
		if ip -n "$ns_srv" link show "$veth_srv" | grep -q LOWER_UP &&
			ip -n "$ns_cli" link show "$veth_cli" | grep -q LOWER_UP; then
			return 0
		fi
		sleep 0.1
	done
	fail "the veth pair did not come up"
}

send_mail()
{
	ip netns exec "$ns_cli" swaks --server "$srv_ip" --port 25 "$@" \
		--helo client.tlswatch.test --from sender@client.tlswatch.test --to alice@tlswatch.test \
		--header "Subject: tlswatch live dashboard test" --body "small test message" --timeout 10 \
		>>"$tmp/swaks.log" 2>&1 || { cat "$tmp/swaks.log"; fail "swaks could not send the mail"; }
}

main()
{
	[ -x "$bin" ] || fail "no executable $bin"
	[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces need CAP_NET_ADMIN)"
	command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	make_namespaces
	ensure_packages
	tmp=$(mktemp -d /tmp/tlswatch-live-tui.XXXXXX)
	chmod 0755 "$tmp"
	lab_root=$tmp/lab
	ip netns exec "$ns_srv" "$top/tools/lab/lab.sh" start "$lab_root" --profile smtp \
		--smtp-addr "$srv_ip" 2>"$tmp/lab.log" || { cat "$tmp/lab.log"; fail "postfix did not start"; }

	T new-session -d -s tui -x 120 -y 40 -- env PS1='tui$ ' bash --norc --noprofile ||
		fail "cannot start tmux"
	tmux_up=1
	T set-option -t tui status off >/dev/null
	wait_for '^tui\$' 5 || fail "no shell in the tmux pane"
	# No --tui: a live interface with a terminal on stdout gets the dashboard.
	T send-keys -t tui -l "ip netns exec $ns_cli '$bin' -i $veth_cli; echo EXIT=\$?"
	T send-keys -t tui Enter
	wait_for 'tlswatch  running .*live '"$veth_cli" 10 || fail "the dashboard did not open"
	sleep 0.5

	send_mail --tls --tls-sni mail.tlswatch.test
	send_mail
	wait_for 'Sessions  2 shown / 2 seen' 15 || fail "the two sessions did not appear"
	screen >"$tmp/screen"
	grep -qE "^[0-9:]{8} .*$srv_ip:25 +smtp +\+ starttls +1\.[23]( |$)" "$tmp/screen" ||
		fail "no '+ starttls' row for $srv_ip:25"
	grep -qE "^[0-9:]{8} .*$srv_ip:25 +smtp +~ cleartext/not-requested( |$)" "$tmp/screen" ||
		fail "no '~ cleartext/not-requested' row for $srv_ip:25"
	grep -qE '^25/tcp +smtp +2 +0 +1 +1 +0 +0 +0 +0 ' "$tmp/screen" ||
		fail "the 25/tcp row does not say 2 sessions, 1 starttls, 1 cleartext"
	wait_for ' drops [0-9]' 5 || fail "libpcap's drop counter is not shown"
	wait_for 'sessions 0 open 2 closed' 5 || fail "the header does not count 0 open, 2 closed"
	echo "  the dashboard on $veth_cli:"
	screen | sed -n '1,16p' | sed 's/^/  | /'

	sleep 1.5 # idle: nothing wakes the capture but q itself
	T send-keys -t tui q
	wait_for '^EXIT=[0-9]+' 3 || fail "q did not stop the (idle) live capture within 3 s"
	screen | grep -q '^EXIT=0$' || fail "tlswatch exited with an error"
	[ "$(T display -p -t tui '#{alternate_on}#{cursor_flag}')" = "01" ] ||
		fail "the terminal was not restored"
	screen | grep -q '^Per port:' || fail "no summary after the dashboard"
	screen | grep -q 'packets received by filter' || fail "the live counters line is missing"
	echo "PASS: live tui test: the dashboard on $veth_cli showed starttls and cleartext sessions to $srv_ip:25; q restored the terminal"
}

main

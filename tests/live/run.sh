#!/usr/bin/env bash
# tests/live/run.sh — live-capture test of tlswatch on a real interface.
#
#   tests/live/run.sh BINARY        run tlswatch -i on the client's veth
#   tests/live/run.sh --tcpdump     the same harness with tcpdump in place of
#                                   tlswatch (checks the capture has STARTTLS)
#
# Creates two network namespaces joined by a veth pair (10.231.0.1/30 server,
# 10.231.0.2/30 client: our own test hosts, the traffic never leaves the
# namespaces), starts a real Postfix with STARTTLS on 10.231.0.1:25 in the
# server namespace (tools/lab/lab.sh --profile smtp), starts
# `BINARY -i VETH --no-tui -q --json OUT` in the client namespace, sends one
# mail with `swaks --tls` from the client namespace, stops tlswatch with
# SIGINT and checks that OUT has a session record with "verdict":"starttls",
# "service":"smtp" and "server_port":25. Then: a quiet link still ticks;
# --fanout splits twelve deliveries between two processes; two taps on two
# veths share a real redis-server and judge a stripped session as one sensor
# would (two_taps, below).
# Prints "SKIP: live netns test: REASON" and exits 0 when namespaces cannot
# be made (not root, no CAP_NET_ADMIN) or the lab packages cannot be
# installed. Everything started is stopped by PID and the namespaces are
# deleted on exit.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
mode=tlswatch
bin=""
case "${1:-}" in
--tcpdump) mode=tcpdump ;;
"") echo "usage: tests/live/run.sh BINARY | --tcpdump" >&2; exit 2 ;;
*) bin=$1 ;;
esac

ns_srv=tlsw-srv-$$
ns_cli=tlsw-cli-$$
ns_cli2=tlsw-cli2-$$
ns2_made=0
mitm_pid=""
redis_pid=""
veth_srv=tlws$$
veth_cli=tlwc$$
srv_ip=10.231.0.1
cli_ip=10.231.0.2
tmp=""
cap_pid=""
lab_root=""
ns_made=0

say()
{
	echo "live: $*" >&2
}

skip()
{
	echo "SKIP: live netns test: $*"
	exit 0
}

fail()
{
	echo "FAIL: live netns test: $*"
	exit 1
}

cleanup()
{
	local rc=$?
	if [ -n "$cap_pid" ] && kill -0 "$cap_pid" 2>/dev/null; then
		kill -KILL "$cap_pid" 2>/dev/null
		wait "$cap_pid" 2>/dev/null
	fi
	if [ -n "$lab_root" ] && [ -e "$lab_root/.tlswatch-lab" ]; then
		ip netns exec "$ns_srv" "$top/tools/lab/lab.sh" stop "$lab_root" >/dev/null 2>&1 ||
			"$top/tools/lab/lab.sh" stop "$lab_root" >/dev/null 2>&1 || rc=1
	fi
	for p in $mitm_pid $redis_pid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ $ns2_made -eq 1 ] && ip netns del "$ns_cli2" 2>/dev/null
	if [ $ns_made -eq 1 ]; then
		ip netns del "$ns_cli" 2>/dev/null
		ip netns del "$ns_srv" 2>/dev/null
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
	exit $rc
}

# The lab needs postfix and swaks (with TLS support); install them if missing.
ensure_packages()
{
	local missing=0 p
	for p in postfix swaks libnet-ssleay-perl openssl; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing=1
	done
	[ $missing -eq 0 ] && return 0
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null
	"$top/tools/install-deps.sh" postfix swaks libnet-ssleay-perl openssl >&2 ||
		skip "cannot install postfix/swaks"
}

make_namespaces()
{
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
	# Wait until both ends report carrier (bounded).
	local _
	for _ in $(seq 1 50); do
		if ip -n "$ns_srv" link show "$veth_srv" | grep -q LOWER_UP &&
			ip -n "$ns_cli" link show "$veth_cli" | grep -q LOWER_UP; then
			return 0
		fi
		sleep 0.1
	done
	fail "the veth pair did not come up"
}

# Waits until the capturer ($cap_pid) has a packet socket open in the client
# namespace; where ss cannot show it, goes on after 10 s. Fails if it exited.
wait_capturer()
{
	wait_capturer_in "$ns_cli"
}

wait_capturer_in()
{
	local _
	for _ in $(seq 1 100); do
		kill -0 "$cap_pid" 2>/dev/null || return 1
		if ip netns exec "$1" ss -0 -p 2>/dev/null | grep -q "pid=$cap_pid,"; then
			sleep 0.2
			return 0
		fi
		sleep 0.1
	done
	return 0
}

stop_capturer()
{
	local _
	kill -INT "$cap_pid" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$cap_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$cap_pid" 2>/dev/null; then
		kill -KILL "$cap_pid" 2>/dev/null
		wait "$cap_pid" 2>/dev/null
		cap_pid=""
		fail "$mode did not exit within 10 s of SIGINT"
	fi
	wait "$cap_pid"
	cap_rc=$?
	cap_pid=""
}

# One JSON line with all the wanted key/value pairs (spaces after ':' allowed).
json_has_session()
{
	grep -E '"type" *: *"session"' "$1" |
		grep -E '"verdict" *: *"starttls"' |
		grep -E '"service" *: *"smtp"' |
		grep -qE '"server_port" *: *25([^0-9]|$)'
}

# A link where nothing matches the filter: the run must still get its ticks
# (--stats-interval records here; idle expiry and the dashboard alike).
# A blocking libpcap read can wait in poll() until a packet comes (it did
# with immediate mode), so a quiet link froze the run; capture_next waits
# on the descriptor itself.
quiet_link_ticks()
{
	local q=$tmp/quiet.jsonl n=0 _
	ip netns exec "$ns_cli" "$bin" -i "$veth_cli" --no-tui -q --stats-interval 1 --json "$q" \
		'tcp port 9' >"$tmp/quiet.out" 2>"$tmp/quiet.err" &
	cap_pid=$!
	wait_capturer || { cat "$tmp/quiet.err"; fail "tlswatch exited on the quiet link"; }
	for _ in $(seq 1 150); do
		n=$(grep -c '"interval":1' "$q" 2>/dev/null)
		[ "${n:-0}" -ge 2 ] && break
		sleep 0.1
	done
	stop_capturer
	[ "${n:-0}" -ge 2 ] ||
		fail "no running stats record within 15 s on a quiet link: the capture blocked"
	echo "PASS: live netns test: a quiet $veth_cli still gives the run its ticks"
}

# --fanout: two tlswatch processes in one AF_PACKET fanout group share the
# veth, a third without the option sees everything. Twelve real deliveries
# (swaks, each from its own source port): each session lands whole in one
# of the two (the kernel hashes both directions of a flow alike: no
# midstream halves), both get some, and together they report exactly what
# the third reports. A group number in use with another mode is refused.
fanout_split()
{
	local a=$tmp/fa.jsonl b=$tmp/fb.jsonl c=$tmp/fc.jsonl pa pb pc i
	sessions() { grep -h '"type":"session"' "$@" | sed -n 's/.*"client_port":\([0-9]*\).*"server_port":25,.*"verdict":"\([a-z-]*\)".*"midstream":\(true\|false\).*/\1 \2 \3/p' | sort; }
	for f in a b c; do
		case $f in a | b) opt="--fanout 4242" ;; c) opt= ;; esac
		# shellcheck disable=SC2086
		ip netns exec "$ns_cli" "$bin" -i "$veth_cli" --no-tui -q $opt --json "$tmp/f$f.jsonl" \
			'tcp port 25' >"$tmp/f$f.out" 2>"$tmp/f$f.err" &
		cap_pid=$!
		wait_capturer || { cat "$tmp/f$f.err"; fail "--fanout: tlswatch $f exited at start"; }
		case $f in a) pa=$cap_pid ;; b) pb=$cap_pid ;; c) pc=$cap_pid ;; esac
	done
	for i in $(seq 1 12); do
		ip netns exec "$ns_cli" swaks --server "$srv_ip" --port 25 --tls --tls-sni mail.tlswatch.test \
			--helo client.tlswatch.test --from sender@client.tlswatch.test --to alice@tlswatch.test \
			--body "fanout $i" --timeout 10 >"$tmp/swaks-f.log" 2>&1 ||
			{ cat "$tmp/swaks-f.log"; fail "--fanout: swaks could not send mail $i"; }
	done
	sleep 1
	for cap_pid in $pa $pb $pc; do stop_capturer; done
	local na nb nc
	na=$(sessions "$a" | wc -l) nb=$(sessions "$b" | wc -l) nc=$(sessions "$c" | wc -l)
	[ "$nc" -eq 12 ] || fail "--fanout: the sensor outside the group saw $nc sessions, want 12"
	[ "$na" -gt 0 ] && [ "$nb" -gt 0 ] || fail "--fanout: the group did not split the flows ($na and $nb sessions)"
	diff <(sessions "$a" "$b") <(sessions "$c") >"$tmp/fanout.diff" ||
		{ cat "$tmp/fanout.diff"; fail "--fanout: the two members together do not report what one sensor does"; }
	! sessions "$a" "$b" | grep -q ' true$' || fail "--fanout: a member got half a flow (midstream)"
	# A group number another socket holds in another mode (load balancing,
	# from a python3 socket of its own) is refused with a clear error.
	ip netns exec "$ns_cli" python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
s.setsockopt(263, 18, 4243 | (1 << 16))  # SOL_PACKET, PACKET_FANOUT, group 4243, PACKET_FANOUT_LB
print("ready", flush=True)
time.sleep(60)' "$veth_cli" >"$tmp/lb.out" 2>&1 &
	local lb=$! rc=0
	for i in $(seq 1 100); do grep -q ready "$tmp/lb.out" && break; sleep 0.1; done
	grep -q ready "$tmp/lb.out" || { cat "$tmp/lb.out"; fail "--fanout: the other group member did not start"; }
	ip netns exec "$ns_cli" "$bin" -i "$veth_cli" --no-tui -q --fanout 4243 >/dev/null 2>"$tmp/fe.err" || rc=$?
	kill "$lb" 2>/dev/null
	wait "$lb" 2>/dev/null
	[ $rc -eq 2 ] && grep -q -- '--fanout 4243' "$tmp/fe.err" ||
		{ cat "$tmp/fe.err"; fail "--fanout into a group of another mode: exit $rc, want 2 with a message"; }
	echo "PASS: live netns test: --fanout split 12 sessions $na/$nb, as one sensor saw them"
}

# Two taps, one judgement (--state redis://): a second client namespace
# reaches the same Postfix (10.231.0.1:25) over a veth of its own, through a
# transparent interceptor in the server namespace (nft redirects port 25
# arriving on that veth to tools/lab/mitm.py in "strip" mode, which relays to
# Postfix over the namespace's loopback). Sensor tap-a watches the first
# veth, where swaks --tls is offered STARTTLS; tap-b watches the second,
# where swaks --tls-optional is stripped of it. Both share a real
# redis-server (in the server namespace): tap-b's session is downgraded/
# capability-stripped, its alert naming tap-a; tap-c on the same veth as
# tap-b without --state calls it cleartext/not-offered.
two_taps()
{
	local veth_bs=tlwbs$$ veth_bc=tlwbc$$ bs_ip=10.231.0.5 bc_ip=10.231.0.6
	local rport=6397 key='tlswatch:offer:{4/10.231.0.1/25/tcp}' i pa pb pc got
	command -v redis-server >/dev/null && command -v nft >/dev/null ||
		"$top/tools/install-deps.sh" redis-server redis-tools nftables >&2 ||
		fail "two taps: cannot install redis-server, redis-tools, nftables"
	ip netns add "$ns_cli2" || fail "two taps: cannot create the second client namespace"
	ns2_made=1
	ip link add "$veth_bs" type veth peer name "$veth_bc" || fail "two taps: no second veth pair"
	ip link set "$veth_bs" netns "$ns_srv" && ip link set "$veth_bc" netns "$ns_cli2" &&
		ip -n "$ns_srv" addr add "$bs_ip/30" dev "$veth_bs" &&
		ip -n "$ns_srv" link set "$veth_bs" up &&
		ip -n "$ns_cli2" addr add "$bc_ip/30" dev "$veth_bc" &&
		ip -n "$ns_cli2" link set lo up && ip -n "$ns_cli2" link set "$veth_bc" up &&
		ip -n "$ns_cli2" route add "$srv_ip/32" via "$bs_ip" ||
		fail "two taps: configuring the second veth pair"
	for i in $(seq 1 50); do
		ip -n "$ns_cli2" link show "$veth_bc" | grep -q LOWER_UP && break
		sleep 0.1
	done
	printf 'table ip tlswatch_test {\n chain pre { type nat hook prerouting priority -100; iifname "%s" tcp dport 25 redirect to :10025; }\n}\n' \
		"$veth_bs" | ip netns exec "$ns_srv" nft -f - || fail "two taps: nft could not load the redirect"
	ip netns exec "$ns_srv" python3 "$top/tools/lab/mitm.py" --listen "$bs_ip:10025" \
		--upstream "$srv_ip:25" --source "$srv_ip" --proto smtp --modes strip \
		--ready "$tmp/mitm.ready" >"$tmp/mitm.log" 2>&1 &
	mitm_pid=$!
	ip netns exec "$ns_srv" redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$tmp" --daemonize no >"$tmp/redis.log" 2>&1 &
	redis_pid=$!
	for i in $(seq 1 100); do
		[ -e "$tmp/mitm.ready" ] &&
			[ "$(ip netns exec "$ns_srv" redis-cli -p "$rport" ping 2>/dev/null)" = PONG ] && break
		sleep 0.1
	done
	[ -e "$tmp/mitm.ready" ] || { cat "$tmp/mitm.log"; fail "two taps: the interceptor did not start"; }
	[ "$(ip netns exec "$ns_srv" redis-cli -p "$rport" ping 2>/dev/null)" = PONG ] ||
		{ cat "$tmp/redis.log"; fail "two taps: redis-server did not answer PING"; }
	local url=redis://127.0.0.1:$rport
	for f in a b c; do
		case $f in
		a) dev=$veth_srv opt="--sensor-name tap-a --state $url" ;;
		b) dev=$veth_bs opt="--sensor-name tap-b --state $url" ;;
		c) dev=$veth_bs opt="--sensor-name tap-c" ;;
		esac
		# shellcheck disable=SC2086
		ip netns exec "$ns_srv" "$bin" -i "$dev" --no-tui -q $opt --json "$tmp/t$f.jsonl" \
			'tcp port 25' >"$tmp/t$f.out" 2>"$tmp/t$f.err" &
		cap_pid=$!
		wait_capturer_in "$ns_srv" || { cat "$tmp/t$f.err"; fail "two taps: tlswatch $f exited at start"; }
		case $f in a) pa=$cap_pid ;; b) pb=$cap_pid ;; c) pc=$cap_pid ;; esac
	done
	ip netns exec "$ns_cli" swaks --server "$srv_ip" --port 25 --tls --tls-sni mail.tlswatch.test \
		--helo client.tlswatch.test --from sender@client.tlswatch.test --to alice@tlswatch.test \
		--body "two taps: offered" --timeout 10 >"$tmp/swaks-a.log" 2>&1 ||
		{ cat "$tmp/swaks-a.log"; fail "two taps: swaks on the first veth could not send"; }
	# tap-a shares the offer when its session ends: wait for it in Redis.
	for i in $(seq 1 100); do
		[ "$(ip netns exec "$ns_srv" redis-cli -p "$rport" --raw hget "$key" sensor 2>/dev/null)" = tap-a ] && break
		sleep 0.1
	done
	[ "$(ip netns exec "$ns_srv" redis-cli -p "$rport" --raw hget "$key" sensor 2>/dev/null)" = tap-a ] ||
		{ cat "$tmp/ta.err"; fail "two taps: tap-a's offer did not reach Redis ($key)"; }
	ip netns exec "$ns_cli2" swaks --server "$srv_ip" --port 25 --tls-optional \
		--helo client2.tlswatch.test --from sender@client.tlswatch.test --to alice@tlswatch.test \
		--body "two taps: stripped" --timeout 10 >"$tmp/swaks-b.log" 2>&1 ||
		{ cat "$tmp/swaks-b.log"; fail "two taps: swaks on the second veth could not send"; }
	grep -q "^<-  250.STARTTLS" "$tmp/swaks-b.log" &&
		{ cat "$tmp/swaks-b.log"; fail "two taps: the interceptor did not strip STARTTLS"; }
	sleep 1
	for cap_pid in $pa $pb $pc; do stop_capturer; done
	verdict_of() { grep '"type":"session"' "$1" | grep "\"client_ip\":\"$2\"" |
		sed -n 's/.*"verdict":"\([a-z-]*\)","reason":"*\([a-z-]*\)"*,.*/\1\/\2/p'; }
	got=$(verdict_of "$tmp/ta.jsonl" "$cli_ip")
	[ "$got" = starttls/null ] ||
		{ cat "$tmp/ta.jsonl"; fail "two taps: tap-a saw '$got', want starttls"; }
	got=$(verdict_of "$tmp/tc.jsonl" "$bc_ip")
	[ "$got" = cleartext/not-offered ] ||
		{ cat "$tmp/tc.jsonl"; fail "two taps: tap-c (no shared state) saw '$got', want cleartext/not-offered"; }
	got=$(verdict_of "$tmp/tb.jsonl" "$bc_ip")
	[ "$got" = downgraded/capability-stripped ] ||
		{ cat "$tmp/tb.jsonl" "$tmp/tb.err"; fail "two taps: tap-b saw '$got', want downgraded/capability-stripped"; }
	grep '"type":"alert"' "$tmp/tb.jsonl" | grep '"kind":"capability-stripped"' |
		grep -q 'seen by sensor tap-a (shared state)' ||
		{ cat "$tmp/tb.jsonl"; fail "two taps: tap-b's alert does not name tap-a"; }
	kill "$mitm_pid" "$redis_pid" 2>/dev/null
	wait "$mitm_pid" "$redis_pid" 2>/dev/null
	mitm_pid="" redis_pid=""
	echo "PASS: live netns test: two taps sharing Redis: the offer on one veth, the stripped session on the other is capability-stripped (cleartext without the shared state)"
}

main()
{
	if [ "$mode" = tlswatch ]; then
		case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac
		[ -x "$bin" ] || fail "no executable $bin"
	fi
	[ "$(id -u)" -eq 0 ] || skip "not root (network namespaces need CAP_NET_ADMIN)"
	command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	make_namespaces
	ensure_packages
	tmp=$(mktemp -d /tmp/tlswatch-live.XXXXXX)
	chmod 0755 "$tmp"
	lab_root=$tmp/lab
	ip netns exec "$ns_srv" "$top/tools/lab/lab.sh" start "$lab_root" --profile smtp \
		--smtp-addr "$srv_ip" 2>"$tmp/lab.log" || { cat "$tmp/lab.log"; fail "postfix did not start"; }

	local out=$tmp/out.jsonl pcap=$tmp/live.pcap
	if [ "$mode" = tlswatch ]; then
		ip netns exec "$ns_cli" "$bin" -i "$veth_cli" --no-tui -q --json "$out" \
			>"$tmp/tlswatch.out" 2>"$tmp/tlswatch.err" &
	else
		ip netns exec "$ns_cli" tcpdump -Z root -U --immediate-mode -n -i "$veth_cli" -w "$pcap" \
			"tcp and host $srv_ip and port 25" 2>"$tmp/tlswatch.err" &
	fi
	cap_pid=$!
	wait_capturer || { cat "$tmp/tlswatch.err"; fail "$mode exited before the test traffic"; }

	ip netns exec "$ns_cli" swaks --server "$srv_ip" --port 25 --tls --tls-sni mail.tlswatch.test \
		--helo client.tlswatch.test --from sender@client.tlswatch.test --to alice@tlswatch.test \
		--header "Subject: tlswatch live test" --body "small test message" --timeout 10 \
		>"$tmp/swaks.log" 2>&1 || { cat "$tmp/swaks.log"; fail "swaks could not send the mail"; }
	sleep 1
	stop_capturer

	if [ "$mode" = tcpdump ]; then
		local text
		text=$(tcpdump -nr "$pcap" -A 2>/dev/null)
		if grep -q 'STARTTLS' <<<"$text" && grep -q '220 2.0.0 Ready to start TLS' <<<"$text" &&
			grep -q 'Flags \[S\],' <<<"$text"; then
			echo "PASS: live netns test (tcpdump): STARTTLS session to $srv_ip:25 captured on $veth_cli"
			return 0
		fi
		fail "the tcpdump capture lacks the STARTTLS session"
	fi
	if [ "$cap_rc" -ne 0 ]; then
		sed 's/^/  /' "$tmp/tlswatch.err" | head -20
		fail "tlswatch exited with status $cap_rc"
	fi
	[ -s "$out" ] || { sed 's/^/  /' "$tmp/tlswatch.err" | head -20; fail "tlswatch wrote no JSON to $out"; }
	if json_has_session "$out"; then
		echo "PASS: live netns test: tlswatch -i $veth_cli saw smtp/starttls to $srv_ip:25"
		quiet_link_ticks
		fanout_split
		two_taps
		return 0
	fi
	echo "  JSON written by tlswatch:"
	sed 's/^/  /' "$out" | head -20
	fail "no session record with verdict starttls, service smtp, server_port 25"
}

main

#!/usr/bin/env bash
# tests/live/cli.sh — the tcpdump options on a live interface: -i any, -B,
# -v, -w with -Z (the file opened before the privilege drop), -c and
# --immediate-mode.
#
#   tests/live/cli.sh BINARY
#
# Two network namespaces of its own joined by a veth pair (10.232.0.1/30
# server, 10.232.0.2/30 client: nothing leaves them). A small Python server
# in the server namespace greets in cleartext POP3 on port 995 (plaintext on
# the implicit-TLS port: an alert) and a client in the client namespace
# talks to it, while tlswatch captures in the client namespace:
# 1. `-i any -B 4096 -v -Z nobody -w FILE`: waits for its "listening on any,
#    link-type ..." line, then for the alert in --json; after SIGINT, exit 0,
#    FILE is a capture (mode 0600) that gives the same alert when read back.
# 2. `-i VETH -c 4 -v --immediate-mode`: ends by itself after 4 packets,
#    exit 0, with a report.
# Readiness is always a condition polled for, never a fixed wait. Prints
# "SKIP: ..." and exits 0 when namespaces cannot be made (not root).
set -uo pipefail

bin=${1:?usage: tests/live/cli.sh BINARY}
ns_srv=tlsw-clis-$$
ns_cli=tlsw-clic-$$
veth_srv=tlcs$$
veth_cli=tlcc$$
tmp=""
pid=""
made=0

fail()
{
	echo "FAIL: live cli: $*"
	[ -n "$tmp" ] && [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err"
	exit 1
}

cleanup()
{
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	if [ $made = 1 ]; then
		ip netns del "$ns_srv" 2>/dev/null
		ip netns del "$ns_cli" 2>/dev/null
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT

# poll SECONDS COMMAND...: true once COMMAND succeeds, false after SECONDS.
poll()
{
	local n=$(($1 * 20))
	shift
	for _ in $(seq 1 $n); do
		"$@" && return 0
		sleep 0.05 # poll: readiness is the command above
	done
	return 1
}

[ "$(id -u)" = 0 ] || { echo "SKIP: live cli: needs root (namespaces)"; exit 0; }
id nobody >/dev/null 2>&1 || { echo "SKIP: live cli: no user nobody"; exit 0; }
ip netns add "$ns_srv" 2>/dev/null || { echo "SKIP: live cli: cannot make a network namespace"; exit 0; }
made=1
ip netns add "$ns_cli" || fail "netns add"
ip link add "$veth_srv" netns "$ns_srv" type veth peer name "$veth_cli" netns "$ns_cli" ||
	fail "veth pair"
ip -n "$ns_srv" addr add 10.232.0.1/30 dev "$veth_srv" || fail "server address"
ip -n "$ns_cli" addr add 10.232.0.2/30 dev "$veth_cli" || fail "client address"
for ns in "$ns_srv" "$ns_cli"; do
	ip -n "$ns" link set lo up || fail "lo up"
done
ip -n "$ns_srv" link set "$veth_srv" up || fail "veth up"
ip -n "$ns_cli" link set "$veth_cli" up || fail "veth up"
link_up() { ip -n "$ns_cli" -br link show dev "$veth_cli" | grep -q ' UP '; }
poll 10 link_up || fail "the veth pair never came up"

tmp=$(mktemp -d /tmp/tlswatch-livecli.XXXXXX)
chmod 755 "$tmp"

# One cleartext POP3 exchange on port 995 from the client namespace.
exchange()
{
	ip netns exec "$ns_srv" python3 - "$tmp/ready" <<'EOF' &
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("10.232.0.1", 995))
srv.listen(1)
open(sys.argv[1], "w").close()
c, _ = srv.accept()
c.sendall(b"+OK POP3 ready\r\n")
buf = b""
while not buf.endswith(b"QUIT\r\n"):
    d = c.recv(100)
    if not d:
        break
    buf += d
c.sendall(b"+OK bye\r\n")
c.close()
EOF
	local spid=$!
	poll 10 test -e "$tmp/ready" || fail "the server did not start"
	rm -f "$tmp/ready"
	ip netns exec "$ns_cli" python3 - <<'EOF' || fail "the client failed"
import socket
cl = socket.create_connection(("10.232.0.1", 995))
f = cl.makefile("rb")
f.readline()
cl.sendall(b"QUIT\r\n")
f.readline()
cl.close()
EOF
	wait $spid || fail "the server failed"
}

# ---- 1. -i any -B -v -Z nobody -w ----
ip netns exec "$ns_cli" "$bin" -i any -B 4096 -v --no-tui -Z nobody -w "$tmp/live.pcap" \
	--json "$tmp/out.json" 'tcp port 995' >"$tmp/out" 2>"$tmp/err" &
pid=$!
poll 10 grep -q 'listening on any, link-type LINUX_SLL' "$tmp/err" ||
	fail "no 'listening on any, link-type LINUX_SLL...' line with -v"
exchange
poll 20 grep -q '"kind":"plaintext-on-tls-port"' "$tmp/out.json" ||
	fail "-i any: no plaintext-on-tls-port alert"
kill -INT "$pid"
wait "$pid"
rc=$?
pid=""
[ $rc = 0 ] || fail "-i any: exit $rc"
[ "$(stat -c %a "$tmp/live.pcap")" = 600 ] || fail "-w file mode $(stat -c %a "$tmp/live.pcap")"
"$bin" -q -r "$tmp/live.pcap" --json - >"$tmp/back.json" 2>"$tmp/err" || fail "-w file read back: exit $?"
grep -q '"kind":"plaintext-on-tls-port"' "$tmp/back.json" || fail "-w file read back: no alert"

# ---- 2. -c 4 (packets one by one): ends by itself ----
ip netns exec "$ns_cli" "$bin" -i "$veth_cli" -c 4 -v --immediate-mode --no-tui 'tcp port 995' \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
poll 10 grep -q 'listening on' "$tmp/err" || fail "-c: tlswatch never said it was listening"
exchange
poll 20 eval '! kill -0 '"$pid"' 2>/dev/null' || fail "-c 4: still running after the exchange"
wait "$pid"
rc=$?
pid=""
[ $rc = 0 ] || fail "-c 4: exit $rc"
grep -q '^Per port:' "$tmp/out" || fail "-c 4: no report"
grep -q ": 4 packets read;" "$tmp/err" || fail "-c 4: did not stop at 4 packets"
echo "live cli: -i any, -B, -v, -w with -Z, -c, --immediate-mode: passed"

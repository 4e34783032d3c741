#!/usr/bin/env bash
# tests/live/privdrop.sh — `-Z USER` with --evidence, --state and --json on a
# live interface (issue 14, finding 4: the evidence directory was created by
# root 0750 and the first alert then failed with Permission denied; the
# state file failed only at exit and was lost).
#
#   tests/live/privdrop.sh BINARY
#
# In a network namespace of its own (only its loopback is up: nothing leaves
# it), it starts `BINARY -i lo -Z nobody --evidence DIR --state FILE --json
# FILE`, waits for "listening on lo", then a small Python server on
# 127.0.0.1:995 greets in cleartext POP3 and a client talks to it:
# plaintext on the implicit-TLS port, an alert with no login secret, so its
# packets go to the evidence directory. After SIGINT: exit 0, the evidence
# file of the session exists and belongs to nobody, the state file
# was saved. Then a --state in a missing directory, and an --evidence
# directory of root's that nobody could not write, must fail at start
# (exit 2) before any packet. Prints "SKIP: ..." and exits 0 when namespaces
# cannot be made (not root) or there is no user nobody.
set -uo pipefail

bin=${1:?usage: tests/live/privdrop.sh BINARY}
ns=tlsw-priv-$$
tmp=""
pid=""
ns_made=0

fail()
{
	echo "FAIL: privdrop: $*"
	[ -n "$tmp" ] && [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err"
	exit 1
}

cleanup()
{
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ $ns_made = 1 ] && ip netns del "$ns" 2>/dev/null
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "SKIP: privdrop: needs root (-Z, namespaces)"; exit 0; }
id nobody >/dev/null 2>&1 || { echo "SKIP: privdrop: no user nobody"; exit 0; }
ip netns add "$ns" 2>/dev/null || { echo "SKIP: privdrop: cannot make a network namespace"; exit 0; }
ns_made=1
ip -n "$ns" link set lo up || fail "lo up in $ns"

tmp=$(mktemp -d /tmp/tlswatch-privdrop.XXXXXX)
chmod 755 "$tmp"
mkdir "$tmp/state"
chown nobody "$tmp/state"

# The evidence directory does not exist yet: tlswatch makes it, for nobody.
ip netns exec "$ns" "$bin" -i lo --no-tui -Z nobody --evidence "$tmp/ev" \
	--state "$tmp/state/servers" --json "$tmp/out.json" 'tcp port 995' \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 200); do
	grep -q 'listening on lo' "$tmp/err" && break
	kill -0 "$pid" 2>/dev/null || fail "tlswatch exited before listening"
	sleep 0.05 # poll: readiness is the condition above
done
grep -q 'listening on lo' "$tmp/err" || fail "tlswatch never said it was listening"

ip netns exec "$ns" python3 - <<'EOF' || fail "the lab exchange failed"
import socket, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 995))
srv.listen(1)
def serve():
    c, _ = srv.accept()
    c.sendall(b"+OK POP3 ready\r\n")
    buf = b""
    while not buf.endswith(b"QUIT\r\n"):
        d = c.recv(100)
        if not d:
            break
        buf += d
        if buf.endswith(b"CAPA\r\n"):
            c.sendall(b"+OK\r\nUSER\r\n.\r\n")
    c.sendall(b"+OK bye\r\n")
    c.close()
t = threading.Thread(target=serve)
t.start()
cl = socket.create_connection(("127.0.0.1", 995))
f = cl.makefile("rb")
f.readline()
cl.sendall(b"CAPA\r\n")
while f.readline() != b".\r\n":
    pass
cl.sendall(b"QUIT\r\n")
f.readline()
cl.close()
t.join()
EOF

# The session ends with its FIN; its record reaches the JSON file at once
# (its alert came before it, when the cleartext was seen; the evidence file
# is written at the session's end).
for _ in $(seq 1 200); do
	grep -q '"type":"session"' "$tmp/out.json" 2>/dev/null && break
	sleep 0.05 # poll: readiness is the condition above
done
kill -INT "$pid"
wait "$pid"
rc=$?
pid=""
[ $rc = 0 ] || fail "exit $rc"
grep -q 'Permission denied' "$tmp/err" && fail "a write failed after the privilege drop"
grep -q '"kind":"plaintext-on-tls-port"' "$tmp/out.json" || fail "no plaintext-on-tls-port alert"
# An early alert names its evidence file only with --show-secrets (a secret
# seen later would withhold the file): the file is the session's, in the
# directory.
ev=$(ls "$tmp/ev"/*.pcap 2>/dev/null | head -1)
[ -n "$ev" ] || fail "no evidence file in $tmp/ev"
[ -f "$ev" ] || fail "evidence file $ev missing"
[ "$(stat -c %U "$ev")" = nobody ] || fail "evidence file owned by $(stat -c %U "$ev"), not nobody"
[ "$(stat -c %U "$tmp/ev")" = nobody ] || fail "evidence directory owned by $(stat -c %U "$tmp/ev")"
[ -s "$tmp/state/servers" ] || fail "state file not saved"
grep -q '^tlswatch-state ' "$tmp/state/servers" || fail "state file has no header"

# A state file in a directory that does not exist: an error at start.
rc=0
ip netns exec "$ns" "$bin" -i lo --no-tui -Z nobody --state "$tmp/missing/servers" \
	'tcp port 995' >/dev/null 2>"$tmp/err2" || rc=$?
[ $rc = 2 ] || fail "--state in a missing directory: exit $rc, want 2"
grep -q 'listening on' "$tmp/err2" && fail "--state in a missing directory: it started listening"
grep -q -- '--state' "$tmp/err2" || fail "--state in a missing directory: the message does not name --state"
# An existing evidence directory of root's: nobody could not write there,
# so that too is an error at start, naming the fix.
mkdir "$tmp/rootdir"
rc=0
ip netns exec "$ns" "$bin" -i lo --no-tui -Z nobody --evidence "$tmp/rootdir" \
	'tcp port 995' >/dev/null 2>"$tmp/err3" || rc=$?
[ $rc = 2 ] || fail "--evidence in root's directory with -Z nobody: exit $rc, want 2"
grep -q 'chown' "$tmp/err3" || fail "--evidence in root's directory: the message does not say chown"
echo "privdrop: -Z nobody with --evidence, --state, --json: 11 checks passed"

#!/usr/bin/env bash
# --syslog against a real rsyslog (Debian's rsyslogd), in RFC 5424:
#
#   tests/e2e/rsyslog.sh BINARY
#
# The test starts an rsyslogd of its own (never the system one: no
# /dev/log, no system socket, no system configuration) with a configuration
# in a temporary directory: an imuxsock input on a socket there and an imudp
# input on 127.0.0.1 and a free port, both through the rsyslog.rfc5424
# parser and mmpstrucdata, which turns the STRUCTURED-DATA into JSON, written
# to a file. tlswatch sends the alerts of a set of captures to each input;
# every alert of the --json reference must come out of rsyslog with the same
# fields (kind, severity, session, flow_id, community_id, ts, transport,
# client, server, service, pcap), the right PRI, APP-NAME, PROCID and MSGID,
# and a message naming the client. IPv6 endpoints ("[::1\]:21") and an
# --evidence directory named with '"', '\' and ']' check the PARAM-VALUE
# escapes (RFC 5424 section 6.3.3) against rsyslog's own parser.
#
# rsyslogd is ready when its pidfile, its socket and its UDP port exist; it
# is stopped by its PID.
set -u
bin=${1:?usage: rsyslog.sh BINARY}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export TZ=GMT0 LC_ALL=C
unset TLSWATCH_SYSLOG_SOCKET
tmp=$(mktemp -d)
rs_pid=
pass=0 fail=0

cleanup() {
	if [ -n "$rs_pid" ]; then
		kill "$rs_pid" 2>/dev/null
		wait "$rs_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL rsyslog $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | head -20; done
	fail=$((fail + 1))
}

rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ ! -x "$rsyslogd" ]; then
	echo "FAIL rsyslog: rsyslogd not found (apt-get install rsyslog; tools/install-deps.sh does)"
	exit 1
fi

# wait_for SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

lines_at_least() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
udp_bound() { ss -Hlun "sport = :$1" 2>/dev/null | grep -q .; }

caps=()
for f in "$top"/pcaps/downgrade-*.pcap "$top"/pcaps/smtp-auth-plain-cleartext.pcap \
	"$top"/pcaps/ftp-ipv6-epsv.pcap "$top"/pcaps/imap-login.pcap; do
	[ -f "$f" ] && caps+=(-r "$f")
done
# '"', '\' and ']' in the --evidence directory reach the pcap PARAM-VALUE;
# each backslash comes before a character that needs one itself.
evdir=$tmp/'ev\"id\]e'
common=(-q "${caps[@]}" --evidence "$evdir")

"$bin" "${common[@]}" --json - 2>"$tmp/ref.err" | grep '"type":"alert"' >"$tmp/ref.alerts"
rm -rf "$evdir"
n_ref=$(wc -l <"$tmp/ref.alerts")
if [ "$n_ref" -lt 20 ] || ! grep -q '"client_ip":"::1"' "$tmp/ref.alerts" ||
	! grep -q '"pcap":' "$tmp/ref.alerts"; then
	bad "the captures raise too few alerts ($n_ref), none over IPv6 or none with a pcap" "$tmp/ref.err"
	exit 1
fi

port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sock=$tmp/log.sock
out=$tmp/rsyslog.jsonl
cat >"$tmp/rsyslog.conf" <<EOF
global(workDirectory="$tmp")
module(load="imuxsock" SysSock.Use="off")
module(load="imudp")
module(load="mmpstrucdata")
template(name="sdjson" type="string"
	string="{\"input\":\"%inputname%\",\"pri\":%pri%,\"hostname\":\"%hostname:::json%\",\"app\":\"%app-name:::json%\",\"procid\":\"%procid:::json%\",\"msgid\":\"%msgid:::json%\",\"sd\":%\$!rfc5424-sd%,\"msg\":\"%msg:::json%\"}\n")
ruleset(name="alerts" parser=["rsyslog.rfc5424"]) {
	action(type="mmpstrucdata")
	action(type="omfile" file="$out" template="sdjson")
}
input(type="imuxsock" Socket="$sock" UseSpecialParser="off" Ruleset="alerts")
input(type="imudp" Address="127.0.0.1" Port="$port" Ruleset="alerts")
EOF
"$rsyslogd" -n -f "$tmp/rsyslog.conf" -i "$tmp/rsyslogd.pid" >"$tmp/rsyslogd.log" 2>&1 &
rs_pid=$!
if ! wait_for 10 test -s "$tmp/rsyslogd.pid" || ! wait_for 10 test -S "$sock" ||
	! wait_for 10 udp_bound "$port"; then
	bad "rsyslogd did not start" "$tmp/rsyslogd.log"
	exit 1
fi
if [ "$(cat "$tmp/rsyslogd.pid")" = "$rs_pid" ]; then ok; else bad "rsyslogd's pidfile names another process"; fi

# check NAME INPUT FIRST: the records rsyslog wrote from line FIRST on, from
# INPUT, against the reference alerts.
check() {
	local name=$1 input=$2 first=$3
	tail -n +"$first" "$out" >"$tmp/$name.jsonl"
	if python3 - "$tmp/ref.alerts" "$tmp/$name.jsonl" "$input" "$name" >"$tmp/$name.check" 2>&1 <<'PY'; then ok; else bad "$name: rsyslog's records differ from the alerts" "$tmp/$name.check"; fi
import json, sys
ref_path, got_path, want_input, name = sys.argv[1:5]
levels = {"critical": 3, "high": 4, "medium": 5, "low": 6}
def endpoint(ip, port):
    return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)
want = []
for line in open(ref_path):
    a = json.loads(line)
    sd = {"kind": a["kind"], "severity": a["severity"], "session": str(a["session"]),
          "flow_id": str(a["flow_id"]), "community_id": a["community_id"], "ts": a["ts"],
          "transport": a["transport"],
          "client": endpoint(a["client_ip"], a["client_port"]),
          "server": endpoint(a["server_ip"], a["server_port"])}
    if a.get("service"):
        sd["service"] = a["service"]
    if a.get("pcap"):
        sd["pcap"] = a["pcap"]
    want.append((10 * 8 + levels[a["severity"]], sd, a["kind"]))
got = [json.loads(l) for l in open(got_path)]
errors = []
if len(got) != len(want):
    errors.append("%d records for %d alerts" % (len(got), len(want)))
procids = set()
for rec in got:
    if rec["input"] != want_input:
        errors.append("from input %s: %r" % (rec["input"], rec))
    if rec["app"] != "tlswatch" or not rec["procid"].isdigit() or rec["hostname"] in ("", "-"):
        errors.append("header: %r" % rec)
    procids.add(rec["procid"])
    sd = rec["sd"].get("tlswatch@32473")
    if sd is None or len(rec["sd"]) != 1:
        errors.append("no tlswatch@32473 element: %r" % rec)
        continue
    if rec["msgid"] != sd["kind"]:
        errors.append("MSGID %s for kind %s" % (rec["msgid"], sd["kind"]))
    if not rec["msg"].startswith("%s from %s to %s" % (sd["kind"], sd["client"], sd["server"])):
        errors.append("the message does not name the client: %r" % rec["msg"])
key = lambda p: json.dumps(p, sort_keys=True)
got_set = sorted(key((r["pri"], r["sd"].get("tlswatch@32473"), r["msgid"])) for r in got)
want_set = sorted(key(w) for w in want)
if got_set != want_set:
    missing = set(want_set) - set(got_set)
    extra = set(got_set) - set(want_set)
    errors.append("missing %d, unexpected %d" % (len(missing), len(extra)))
    errors.extend(["  want " + m for m in sorted(missing)[:3]])
    errors.extend(["  got  " + e for e in sorted(extra)[:3]])
if len(procids) != 1:
    errors.append("PROCIDs %r: one run, one process" % procids)
if errors:
    print("\n".join(errors[:20]))
    sys.exit(1)
print("%s: %d alerts parsed by rsyslog as sent" % (name, len(got)))
PY
}

# 1. The default target (here the test's socket through the environment, as
#    /dev/log would be) and the default format, RFC 5424.
rc=0
TLSWATCH_SYSLOG_SOCKET=$sock "$bin" "${common[@]}" --syslog >/dev/null 2>"$tmp/unix.err" || rc=$?
rm -rf "$evdir"
if [ $rc -eq 0 ]; then ok; else bad "unix: exit status $rc" "$tmp/unix.err"; fi
if wait_for 20 lines_at_least "$out" "$n_ref"; then ok; else bad "unix: rsyslog wrote $(wc -l <"$out" 2>/dev/null) of $n_ref records" "$tmp/rsyslogd.log"; fi
check unix imuxsock 1

# 2. UDP to 127.0.0.1 (RFC 5426: one message per datagram).
rc=0
"$bin" "${common[@]}" --syslog-to "udp:127.0.0.1:$port" >/dev/null 2>"$tmp/udp.err" || rc=$?
rm -rf "$evdir"
if [ $rc -eq 0 ]; then ok; else bad "udp: exit status $rc" "$tmp/udp.err"; fi
if wait_for 20 lines_at_least "$out" $((2 * n_ref)); then ok; else bad "udp: rsyslog wrote $(($(wc -l <"$out") - n_ref)) of $n_ref records" "$tmp/rsyslogd.log"; fi
check udp imudp $((n_ref + 1))

# 3. A bad target and RFC 3164 over UDP are start-up errors.
rc=0
"$bin" -q -r "$top/pcaps/smtp-auth-plain-cleartext.pcap" --syslog-to udp:nohostport >/dev/null 2>"$tmp/badtarget.err" || rc=$?
if [ $rc -eq 2 ] && grep -q 'udp:HOST:PORT' "$tmp/badtarget.err"; then ok; else bad "bad-target: exit $rc" "$tmp/badtarget.err"; fi
rc=0
"$bin" -q -r "$top/pcaps/smtp-auth-plain-cleartext.pcap" --syslog-to "udp:127.0.0.1:$port" --syslog-format rfc3164 >/dev/null 2>"$tmp/3164udp.err" || rc=$?
if [ $rc -eq 2 ] && grep -q 'rfc3164' "$tmp/3164udp.err"; then ok; else bad "rfc3164-over-udp: exit $rc" "$tmp/3164udp.err"; fi
rc=0
"$bin" -q -r "$top/pcaps/smtp-auth-plain-cleartext.pcap" --syslog-format rfc9999 >/dev/null 2>"$tmp/badformat.err" || rc=$?
if [ $rc -eq 2 ]; then ok; else bad "bad-format: exit $rc" "$tmp/badformat.err"; fi

kill "$rs_pid"
wait "$rs_pid" 2>/dev/null
rs_pid=
if grep -qi 'error' "$tmp/rsyslogd.log"; then bad "rsyslogd reported errors" "$tmp/rsyslogd.log"; else ok; fi

echo "rsyslog: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

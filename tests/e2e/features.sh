#!/usr/bin/env bash
# End-to-end checks of features beyond the golden outputs: secrets never
# leak without --show-secrets (in any output), --evidence files, --state
# across two runs and a corrupt state file, --fail-on.
#   features.sh BINARY TMPDIR
set -u
bin=$1 tmp=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
fails=0
fail() { echo "FAIL features: $*"; fails=$((fails + 1)); }

# The passwords documented in pcaps/README.md, as they cross the wire.
secrets=(AlicePass2024 tlswatch-radius-secret FtpAlice2024 ServerPass2024 CarolPass2024 BobPass2024 'Bob "Pass" 2024' WrongPass999 AGFsaWNlAEFsaWNlUGFzczIwMjQ= QWxpY2VQYXNzMjAyNA== AGFsaWNlAFdyb25nUGFzczk5OQ==
	YWxpY2U6QWxpY2VQYXNzMjAyNA== YWxpY2U6V3JvbmdQYXNzOTk5 tlswatch-ro tlswatch-trap wrong-community)
logins=()
# Every capture: a login of any protocol (an LDAP simple bind, a PostgreSQL
# password message, a MySQL clear password, IRC PASS ...) is covered.
for f in "$top"/pcaps/*.pcap "$top"/pcaps/*.pcapng; do
	[ -f "$f" ] && logins+=(-r "$f")
done
if [ ${#logins[@]} -eq 0 ]; then
	fail "no login captures in pcaps/"
else
	mkdir -p "$tmp/ev"
	"$bin" -q "${logins[@]}" --json "$tmp/s.jsonl" --stats --evidence "$tmp/ev" \
		--state "$tmp/s.state" >"$tmp/s.txt" 2>"$tmp/s.err" || fail "login run exit $?"
	grep -q cleartext-login "$tmp/s.txt" || fail "no cleartext-login alert in the text report"
	grep -q '"secret":"redacted"' "$tmp/s.jsonl" || fail "JSON secrets are not \"redacted\""
	grep -q 'secret=\*\*\*\*\*\*\*\*' "$tmp/s.txt" || fail "text secrets are not ********"
	# ... and every secret a protocol parser reads, whatever its protocol:
	# the ones the same captures show with --show-secrets.
	mapfile -t shown < <("$bin" -q "${logins[@]}" --show-secrets --json - 2>/dev/null |
		python3 -c 'import json, sys
seen = set()
for line in sys.stdin:
    for login in json.loads(line).get("logins") or []:
        if login.get("secret") not in (None, "none", "redacted"):
            seen.add(login["secret"])
print("\n".join(sorted(seen)))')
	[ ${#shown[@]} -ge 8 ] || fail "--show-secrets showed only ${#shown[@]} secrets"
	secrets+=("${shown[@]}")
	for sec in "${secrets[@]}"; do
		for out in "$tmp/s.txt" "$tmp/s.jsonl" "$tmp/s.err" "$tmp/s.state"; do
			if grep -qF -- "$sec" "$out" 2>/dev/null; then
				fail "secret '$sec' appears in $(basename "$out") without --show-secrets"
			fi
		done
		if grep -rqF -- "$sec" "$tmp/ev" 2>/dev/null; then
			fail "secret '$sec' appears in an --evidence file without --show-secrets"
		fi
	done
	grep -q 'evidence_withheld_secrets *[1-9]' "$tmp/s.err" || fail "evidence of login sessions was not withheld"
	# With --show-secrets they are shown, and said so on stderr.
	"$bin" -q "${logins[@]}" --show-secrets >"$tmp/show.txt" 2>"$tmp/show.err"
	grep -qF AlicePass2024 "$tmp/show.txt" || fail "--show-secrets does not show the password"
	grep -q 'show-secrets' "$tmp/show.err" || fail "--show-secrets is not announced on stderr"
fi

# --evidence: an alerted session's packets in a pcap named in the alert.
tls10="$top/pcaps/smtp-starttls-handshake-fails.pcap"
for f in "$top"/pcaps/downgrade-*.pcap; do
	[ -f "$f" ] || continue
	rm -rf "$tmp/ev2"; mkdir -p "$tmp/ev2"
	"$bin" -q -r "$f" --evidence "$tmp/ev2" --json "$tmp/ev2.jsonl" --json-truncate >/dev/null 2>&1
	# Every file named in an alert exists and holds that one session (a
	# cross-session alert such as capability-stripped cannot be reproduced
	# from one session's packets, so only the session is checked).
	sed -n 's/.*"type":"alert".*"session":\([0-9]*\),.*"pcap":"\([^"]*\)".*/\1 \2/p' "$tmp/ev2.jsonl" |
		sort -u | while read -r id p; do
		port=$(grep "\"type\":\"session\",\"id\":$id," "$tmp/ev2.jsonl" | sed -n 's/.*"client_port":\([0-9]*\),.*/\1/p')
		[ -s "$p" ] || { echo "FAIL features: evidence file $p named in an alert is missing"; continue; }
		got=$("$bin" -q -r "$p" --json - 2>/dev/null | grep -c "\"type\":\"session\".*\"client_port\":$port,")
		[ "$got" = 1 ] || echo "FAIL features: evidence file $p does not hold session $id"
	done >"$tmp/ev2.fails"
	[ -s "$tmp/ev2.fails" ] && { cat "$tmp/ev2.fails"; fails=$((fails + 1)); }
done
"$bin" -q -r "$tls10" --evidence /nonexistent/dir/x >/dev/null 2>"$tmp/everr" && fail "--evidence into a bad path accepted"
grep -q -- '--evidence /nonexistent/dir/x: No such file' "$tmp/everr" || fail "--evidence bad path message"

# Hardening finding 2: evidence names are predictable, so a local user could
# plant symlinks under them; root must never write through one. Every output
# file is created 0600; a symlink as --json FILE is refused; a directory that
# others may write to is refused.
strip="$top/pcaps/downgrade-smtp-strip.pcap"
rm -rf "$tmp/ev3"; mkdir -m 0700 "$tmp/ev3"
"$bin" -q -r "$strip" --evidence "$tmp/ev3" --json "$tmp/ev3.jsonl" >/dev/null 2>&1
names=$(cd "$tmp/ev3" && ls)
[ -n "$names" ] || fail "evidence: the strip capture wrote no file"
for n in $names; do
	[ "$(stat -c %a "$tmp/ev3/$n")" = 600 ] || fail "evidence file $n is not mode 0600"
done
[ "$(stat -c %a "$tmp/ev3.jsonl")" = 600 ] || fail "--json FILE is not created 0600"
rm -rf "$tmp/ev3"/*; echo precious >"$tmp/victim"
for n in $names; do ln -s "$tmp/victim" "$tmp/ev3/$n"; done
"$bin" -q -r "$strip" --evidence "$tmp/ev3" --stats >/dev/null 2>"$tmp/ev3.err"
[ "$(cat "$tmp/victim")" = precious ] || fail "evidence: a planted symlink was followed"
grep -q 'File exists' "$tmp/ev3.err" || fail "evidence: the refused file is not reported"
ln -sf "$tmp/victim" "$tmp/json-link"
rc=0; "$bin" -q -r "$strip" --json "$tmp/json-link" >/dev/null 2>"$tmp/jl.err" || rc=$?
{ [ "$rc" = 2 ] && grep -q 'symbolic link' "$tmp/jl.err"; } || fail "--json through a symlink not refused"
[ "$(cat "$tmp/victim")" = precious ] || fail "--json wrote through a symlink"
mkdir -m 0777 "$tmp/open-dir"; chmod 0777 "$tmp/open-dir"
rc=0; "$bin" -q -r "$strip" --evidence "$tmp/open-dir" >/dev/null 2>"$tmp/od.err" || rc=$?
{ [ "$rc" = 2 ] && grep -q 'writable by others' "$tmp/od.err"; } || fail "--evidence in a world-writable directory accepted"
rc=0; "$bin" -q -r "$strip" --state "$tmp/open-dir/s.state" >/dev/null 2>"$tmp/od.err" || rc=$?
{ [ "$rc" = 2 ] && grep -q 'writable by others' "$tmp/od.err"; } || fail "--state in a world-writable directory accepted"

# --state: written atomically with the servers that offered the upgrade;
# a corrupt state file is reported and ignored.
st="$tmp/run.state"
rm -f "$st"
"$bin" -q -r "$top/pcaps/smtp-starttls-not-used.pcap" --state "$st" >/dev/null 2>&1 || fail "state run 1"
grep -q '^server 4 127.0.0.1 25 smtp offered ' "$st" || fail "state file lacks the server that offered STARTTLS"
ls "$tmp"/run.state.tmp.* >/dev/null 2>&1 && fail "temporary state file left behind"
printf 'not a state file\n' >"$st"
rc=0; "$bin" -q -r "$top/pcaps/smtp-starttls-not-used.pcap" --state "$st" >/dev/null 2>"$tmp/st.err" || rc=$?
[ $rc -eq 0 ] || fail "corrupt state file is fatal (exit $rc)"
grep -q 'state ignored' "$tmp/st.err" || fail "corrupt state file not reported"
grep -q '^tlswatch-state 2' "$st" || fail "corrupt state file not replaced on save"
grep -q '^not a state file' "$st.bad" || fail "corrupt state file not kept as .bad"
# A FIFO as the state file neither blocks start-up nor is replaced (finding 7).
rm -f "$tmp/fifo.state"; mkfifo "$tmp/fifo.state"
rc=0; timeout 20 "$bin" -q -r "$top/pcaps/smtp-starttls-not-used.pcap" --state "$tmp/fifo.state" >/dev/null 2>"$tmp/st.err" || rc=$?
{ [ $rc -eq 2 ] && grep -q 'not a regular file' "$tmp/st.err" && [ -p "$tmp/fifo.state" ]; } ||
	fail "a FIFO as --state: exit $rc (want 2 after the run, the FIFO left alone)"

# --state across two runs: the offer seen in run 1 (the clean session of
# downgrade-smtp-strip through the proxy) makes the stripped session of run 2
# (alone in its run) capability-stripped; without the state it is not-offered.
strip="$top/pcaps/downgrade-smtp-strip.pcap"
st2="$tmp/strip.state"
rm -f "$st2"
"$bin" -q -r "$strip" --state "$st2" 'tcp port 48850' >/dev/null 2>&1 || fail "strip state run 1"
grep -q '^server 4 127.0.0.10 25 smtp offered ' "$st2" || fail "state run 1 did not remember 127.0.0.10:25"
"$bin" -q -r "$strip" --json - 'tcp port 48856' 2>/dev/null | grep -q '"verdict":"cleartext","reason":"not-offered"' ||
	fail "stripped session alone without state is not cleartext/not-offered"
"$bin" -q -r "$strip" --state "$st2" --json "$tmp/strip2.jsonl" 'tcp port 48856' >/dev/null 2>&1 ||
	fail "strip state run 2"
grep -q '"type":"session".*"verdict":"downgraded","reason":"capability-stripped"' "$tmp/strip2.jsonl" ||
	fail "run 2 with the state file did not judge the stripped session capability-stripped"
grep -q '"type":"alert","kind":"capability-stripped"' "$tmp/strip2.jsonl" ||
	fail "run 2 raised no capability-stripped alert"

# A settled (TLS) session is kept packed, with nDPI and without.
for opt in "" --no-ndpi; do
	n=$("$bin" -q -r "$top/pcaps/smtp-starttls-tls13.pcap" --json /dev/null --stats $opt 2>&1 >/dev/null |
		awk '$1 == "flows_packed" { print $2 }')
	[ "${n:-0}" -ge 1 ] || fail "no settled session packed ${opt:-with nDPI} (flows_packed '${n}')"
done

# Issue 14, finding 6: an established session silent past --idle-timeout
# (a real IMAP IDLE of 4 s, the timeout cut to 1 s) is one session, woken by
# DONE; with --established-timeout 1 as well it is cut in two, as it was
# before the dormant list existed.
idle=$top/pcaps/imap-login-idle.pcap
for thr in 1 2; do
	"$bin" -q -r "$idle" --idle-timeout 1 --threads $thr --stats >"$tmp/idle.txt" 2>"$tmp/idle.err" ||
		fail "idle run exit $?"
	[ "$(grep -c '^#' "$tmp/idle.txt")" = 1 ] || fail "IMAP IDLE past --idle-timeout was split (threads $thr)"
	grep -q 'cleartext/not-requested  login=LOGIN user=alice' "$tmp/idle.txt" ||
		fail "IMAP IDLE session lost its verdict or login (threads $thr)"
	awk '$1 == "flows_dormant" && $2 == 1 { d = 1 } $1 == "flows_resumed" && $2 == 1 { r = 1 }
		END { exit !(d && r) }' "$tmp/idle.err" || fail "flows_dormant/flows_resumed not 1 (threads $thr)"
done
"$bin" -q -r "$idle" --idle-timeout 1 --established-timeout 1 >"$tmp/idle2.txt" 2>/dev/null
[ "$(grep -c '^#' "$tmp/idle2.txt")" = 2 ] || fail "--established-timeout 1 did not end the IDLE session"

# Direct TLS names its service by ALPN on any port: the PostgreSQL 17
# direct-TLS capture moved from 5432 to 15432 (tcprewrite, from tcpreplay).
if command -v tcprewrite >/dev/null; then
	tcprewrite --portmap=5432:15432 --fixcsum -i "$top/pcaps/postgres-direct-tls-openssl.pcap" \
		-o "$tmp/pg15432.pcap" || fail "tcprewrite exit $?"
	"$bin" -q -r "$tmp/pg15432.pcap" >"$tmp/pg15432.txt" 2>&1 || fail "direct-TLS run exit $?"
	grep -q ':15432  postgres$' "$tmp/pg15432.txt" ||
		fail "direct TLS with ALPN postgresql on 15432 is not named postgres"
	grep -q 'alpn=postgresql' "$tmp/pg15432.txt" || fail "direct TLS: ALPN not shown"
else
	fail "tcprewrite (tcpreplay) is not installed: tools/install-deps.sh installs it"
fi

[ $fails -eq 0 ] && echo "features: all checks passed"
[ $fails -eq 0 ]

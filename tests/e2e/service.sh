#!/usr/bin/env bash
# Service life with the real binary (README "Running as a service"):
#
#   - SIGHUP reopens --json FILE (logrotate): a tlswatch reading a FIFO the
#     test feeds is rotated between two parts of a capture; every session
#     and alert record is in exactly one of the two files, none lost, none
#     twice, and the union equals a run over the whole capture;
#   - on a terminal (the dashboard or not), SIGHUP (the terminal went away)
#     ends the run with its report;
#   - --json FILE appends by default, --json-truncate empties it first;
#   - --stats-interval: paced by --replay-speed, at least two running stats
#     lines on stderr and stats records with "interval" (and "ts") in --json;
#   - docs/tlswatch.service passes systemd-analyze verify (skipped, saying
#     why, where systemd-analyze cannot run);
#   - make install puts the docs the man page names under share/doc/tlswatch
#     and make uninstall removes them.
#
#   tests/e2e/service.sh BINARY
#
# Readiness is read from the JSON file's contents and the process's state,
# never from a fixed wait; tlswatch is stopped by its PID.
set -u
bin=${1:?usage: service.sh BINARY}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export TZ=GMT0 LC_ALL=C
tmp=$(mktemp -d)
tw_pid=
pass=0 fail=0

cleanup() {
	exec 3>&- 2>/dev/null
	if [ -n "$tw_pid" ]; then
		kill "$tw_pid" 2>/dev/null
		wait "$tw_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL service $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | head -20; done
	fail=$((fail + 1))
}

# wait_for SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}
has_records() { [ -f "$1" ] && grep -Eq '"type":"(session|alert)"' "$1"; }
# The records less the source they name (a file read here, a pipe there).
records() { grep -Eh '"type":"(session|alert)"' "$@" | sed -E 's/,"(file|interface)":"[^"]*"//' | sort; }

# ---------------------------------------------------------------- SIGHUP
# Two parts of one capture stream: part1 (a pcap header and the packets of
# some captures), part2 (only packets, later in time), and whole = both.
part1=("$top"/pcaps/smtp-auth-plain-cleartext.pcap "$top"/pcaps/imap-login.pcap
	"$top"/pcaps/pop3-user-pass.pcap)
part2=("$top"/pcaps/ftp-cleartext-login.pcap "$top"/pcaps/downgrade-smtp-strip.pcap
	"$top"/pcaps/pop3-auth-plain.pcap)
python3 - "$tmp" "${#part1[@]}" "${part1[@]}" "${part2[@]}" <<'PY' || { echo "FAIL service: cannot build the stream"; exit 1; }
# Concatenates classic pcap files (same link type) into one stream, each
# capture shifted to start one second after the previous one ended.
import struct, sys
out, n1, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
header, parts, t_next = None, [b"", b""], 0
for i, path in enumerate(files):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, (path, hex(magic))
    if header is None:
        header = data[:24]
    assert data[20:24] == header[20:24], path + ": another link type"
    off, first = 24, None
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        t = sec * 1000000 + usec
        if first is None:
            first = t
        t = t - first + t_next
        last = t
        parts[i >= n1] += struct.pack("<IIII", t // 1000000, t % 1000000, incl, orig)
        parts[i >= n1] += data[off + 16:off + 16 + incl]
        off += 16 + incl
    t_next = last + 1000000
    if i == n1 - 1:
        # Non-IP frames (ethertype 0x88b5, local experimental) after part 1:
        # tlswatch reads a pipe through stdio, which holds back the end of
        # a part until more bytes come; 64 KiB of these push part 1 through.
        frame = b"\xff" * 6 + b"\x02" + b"\x00" * 5 + b"\x88\xb5" + b"\x00" * 1010
        for _ in range(64):
            t = last + 500000
            parts[0] += struct.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame))
            parts[0] += frame
open(out + "/part1", "wb").write(header + parts[0])
open(out + "/part2", "wb").write(parts[1])
open(out + "/whole.pcap", "wb").write(header + parts[0] + parts[1])
PY
"$bin" -q -r "$tmp/whole.pcap" --json "$tmp/ref.json" >/dev/null 2>"$tmp/ref.err"
records "$tmp/ref.json" >"$tmp/ref.records"
n_ref=$(wc -l <"$tmp/ref.records")
if [ "$n_ref" -lt 6 ]; then
	bad "the reference run has too few records ($n_ref)" "$tmp/ref.err"
	exit 1
fi

mkfifo "$tmp/in.fifo"
"$bin" -q -r "$tmp/in.fifo" --json "$tmp/out.json" >/dev/null 2>"$tmp/hup.err" &
tw_pid=$!
exec 3>"$tmp/in.fifo"
cat "$tmp/part1" >&3
if wait_for 20 has_records "$tmp/out.json"; then
	ok
	mv "$tmp/out.json" "$tmp/out.json.1"
	kill -HUP "$tw_pid"
	cat "$tmp/part2" >&3
	exec 3>&-
	wait "$tw_pid"
	rc=$?
	tw_pid=
	if [ $rc -eq 0 ]; then ok; else bad "hup: exit status $rc (SIGHUP must not end the run)" "$tmp/hup.err"; fi
	n1=$(records "$tmp/out.json.1" | wc -l)
	n2=$(records "$tmp/out.json" 2>/dev/null | wc -l)
	if [ "$n1" -ge 1 ] && [ "$n2" -ge 1 ]; then ok; else bad "hup: records not split across the files ($n1 before, $n2 after)" "$tmp/hup.err"; fi
	records "$tmp/out.json.1" "$tmp/out.json" >"$tmp/hup.records"
	if diff "$tmp/ref.records" "$tmp/hup.records" >"$tmp/hup.diff"; then ok; else bad "hup: records lost or duplicated across the rotation" "$tmp/hup.diff"; fi
	# The end-of-run records (port, server, stats) go to the new file.
	if grep -q '"type":"stats"' "$tmp/out.json" && ! grep -q '"type":"stats"' "$tmp/out.json.1"; then ok; else bad "hup: the closing records are not in the new file"; fi
	# Every line of both files is whole JSON.
	if python3 -c 'import json, sys; [json.loads(l) for f in sys.argv[1:] for l in open(f)]' "$tmp/out.json.1" "$tmp/out.json" 2>"$tmp/hup.json.err"; then ok; else bad "hup: a line was cut by the rotation" "$tmp/hup.json.err"; fi
else
	bad "hup: no record reached --json within 20 s of the first part" "$tmp/hup.err"
	exec 3>&-
fi

# A SIGHUP while the file cannot be opened again keeps writing to the old
# one: nothing is lost, one warning.
mkdir -p "$tmp/ro"
"$bin" -q -r "$tmp/in.fifo" --json "$tmp/ro/out.json" >/dev/null 2>"$tmp/hup2.err" &
tw_pid=$!
exec 3>"$tmp/in.fifo"
cat "$tmp/part1" >&3
if wait_for 20 has_records "$tmp/ro/out.json"; then
	mv "$tmp/ro/out.json" "$tmp/out2.json.1"
	rmdir "$tmp/ro"
	kill -HUP "$tw_pid"
	cat "$tmp/part2" >&3
	exec 3>&-
	wait "$tw_pid"
	rc=$?
	tw_pid=
	if [ $rc -eq 0 ] && grep -q 'cannot reopen --json' "$tmp/hup2.err" &&
		diff "$tmp/ref.records" <(records "$tmp/out2.json.1") >"$tmp/hup2.diff"; then
		ok
	else
		bad "hup-reopen-fails: exit $rc; records must all stay in the old file" "$tmp/hup2.err" "$tmp/hup2.diff"
	fi
else
	bad "hup-reopen-fails: no record reached --json" "$tmp/hup2.err"
	exec 3>&-
fi

# On a terminal, SIGHUP means the terminal went away: the run ends (with its
# report), as with SIGTERM, instead of living on unseen. script(1) gives it
# a terminal; tlswatch is ready once its SIGHUP handler is in place (bit 0
# of SigCgt in /proc/PID/status).
#
# script(1) starts its command through $SHELL -c (or /bin/sh): bash replaces
# itself with a lone command, dash does not, so the command says exec, and
# tlswatch is looked for among all of script's descendants, through /proc
# (neither pgrep nor $SHELL are taken for granted). Whatever happens, the
# whole tree is killed at the end: a dashboard left running waits for its q
# forever, and once held a CI run until its time ran out.
descendants() {
	local f pid ppid rest kids=() p
	for f in /proc/[0-9]*/stat; do
		{ read -r pid rest <"$f"; } 2>/dev/null || continue # gone meanwhile
		rest=${rest##*) }
		read -r _ ppid _ <<<"$rest"
		[ "$ppid" = "$1" ] && kids+=("$pid")
	done
	for p in "${kids[@]}"; do
		echo "$p"
		descendants "$p"
	done
}
tlswatch_under() {
	local p
	for p in $(descendants "$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$(basename "$bin" | cut -c1-15)" ] && { echo "$p"; return 0; }
	done
	return 1
}
hup_caught() {
	local p
	p=$(tlswatch_under "$1") || return 1
	[ $((0x$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null || echo 0) & 1)) -eq 1 ]
}
kill_tree() {
	local p
	for p in $(descendants "$1") "$1"; do kill -KILL "$p" 2>/dev/null; done
}
# hup_on_terminal NAME ARGS...
hup_on_terminal() {
	local name=$1 script_pid
	shift
	TERM=xterm script -qfec "exec '$bin' -r '$top/pcaps/imap-login.pcap' --replay-speed 0.02 $*" \
		"$tmp/$name.tty" </dev/null >/dev/null 2>&1 &
	script_pid=$!
	tty_ready() { hup_caught "$script_pid"; }
	script_done() { ! kill -0 "$script_pid" 2>/dev/null; }
	if wait_for 20 tty_ready; then
		kill -HUP "$(tlswatch_under "$script_pid")"
		if wait_for 20 script_done; then
			if grep -aq 'COMMAND_EXIT_CODE="0"' "$tmp/$name.tty" && grep -aq 'Per server:' "$tmp/$name.tty"; then ok; else bad "$name: no report or a bad exit status" "$tmp/$name.tty"; fi
		else
			bad "$name: SIGHUP did not end a run on a terminal"
		fi
	else
		bad "$name: the run did not start" "$tmp/$name.tty"
	fi
	kill_tree "$script_pid"
	wait "$script_pid" 2>/dev/null
}
if command -v script >/dev/null; then
	hup_on_terminal hup-tui --tui
	hup_on_terminal hup-terminal --no-tui
else
	echo "SKIP service: script(1) is missing; SIGHUP on a terminal not checked"
fi

# ---------------------------------------------------------------- append
smtp=$top/pcaps/smtp-auth-plain-cleartext.pcap
"$bin" -q -r "$smtp" --json "$tmp/a.json" >/dev/null 2>&1
n_one=$(wc -l <"$tmp/a.json")
"$bin" -q -r "$smtp" --json "$tmp/a.json" >/dev/null 2>&1
n_two=$(wc -l <"$tmp/a.json")
if [ "$n_one" -gt 0 ] && [ "$n_two" -eq $((2 * n_one)) ]; then ok; else bad "append: $n_one lines after one run, $n_two after two"; fi
"$bin" -q -r "$smtp" --json "$tmp/a.json" --json-truncate >/dev/null 2>&1
n_trunc=$(wc -l <"$tmp/a.json")
if [ "$n_trunc" -eq "$n_one" ]; then ok; else bad "json-truncate: $n_trunc lines, want $n_one"; fi
# Appending keeps the refusals: a symlink, a file with another hard link.
ln -s "$tmp/a.json" "$tmp/link.json"
ln "$tmp/a.json" "$tmp/hard.json"
rc=0
"$bin" -q -r "$smtp" --json "$tmp/link.json" >/dev/null 2>"$tmp/link.err" || rc=$?
if [ $rc -eq 2 ] && grep -q 'symbolic link' "$tmp/link.err"; then ok; else bad "append-symlink: exit $rc" "$tmp/link.err"; fi
rc=0
"$bin" -q -r "$smtp" --json "$tmp/hard.json" >/dev/null 2>"$tmp/hard.err" || rc=$?
if [ $rc -eq 2 ] && grep -q 'hard links' "$tmp/hard.err" && [ "$(wc -l <"$tmp/a.json")" -eq "$n_one" ]; then ok; else bad "append-hardlink: exit $rc" "$tmp/hard.err"; fi

# ---------------------------------------------------------------- stats
# imap-login.pcap lasts about 4 s: at 1.3x, 3 s of pacing, stats every second
# (two lines are due by 2 s, so the check has a second of slack).
rc=0
"$bin" -q -r "$top/pcaps/imap-login.pcap" --replay-speed 1.3 --stats-interval 1 \
	--json "$tmp/stats.json" >/dev/null 2>"$tmp/stats.err" || rc=$?
n_lines=$(grep -c '^tlswatch: stats [0-9T:.Z-]*: packets=[0-9]* .* sessions=[0-9]* ' "$tmp/stats.err")
n_recs=$(grep -c '^{"type":"stats","interval":1,"packets":.*"ts":"[0-9T:.Z-]*","sensor":' "$tmp/stats.json")
if [ $rc -eq 0 ] && [ "$n_lines" -ge 2 ] && [ "$n_recs" -eq "$n_lines" ]; then
	ok
else
	bad "stats-interval: exit $rc, $n_lines lines on stderr, $n_recs records" "$tmp/stats.err"
fi
# The running records come before the closing one (no "interval"), which
# stays last.
if tail -n 1 "$tmp/stats.json" | grep -q '^{"type":"stats","packets":'; then ok; else bad "stats-interval: the closing stats record is not last" "$tmp/stats.json"; fi
# Without the option: no running line.
"$bin" -q -r "$top/pcaps/imap-login.pcap" --replay-speed 4 >/dev/null 2>"$tmp/nostats.err"
if ! grep -q '^tlswatch: stats' "$tmp/nostats.err"; then ok; else bad "stats-interval: lines without the option" "$tmp/nostats.err"; fi
rc=0
"$bin" -q -r "$smtp" --stats-interval 0 >/dev/null 2>&1 || rc=$?
if [ $rc -eq 2 ]; then ok; else bad "stats-interval 0: exit $rc, want a usage error"; fi

# ---------------------------------------------------------------- systemd
unit=$top/docs/tlswatch.service
for want in '^User=tlswatch$' '^AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN$' \
	'^CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN$' '^NoNewPrivileges=yes$' \
	'^ExecReload=/bin/kill -HUP \$MAINPID$' '^EnvironmentFile=-/etc/default/tlswatch$'; do
	if grep -q "$want" "$unit"; then ok; else bad "unit: no line matching $want"; fi
done
if grep -q 'systemctl reload tlswatch' "$top/docs/tlswatch.logrotate"; then ok; else bad "logrotate: postrotate does not send SIGHUP"; fi
if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP service: systemd-analyze is not installed; docs/tlswatch.service not verified"
else
	# The unit names /usr/local/bin/tlswatch and man:tlswatch(1): verify it
	# against this binary and the man page of this tree.
	mkdir -p "$tmp/unit" "$tmp/man/man1"
	sed "s|/usr/local/bin/tlswatch|$bin|" "$unit" >"$tmp/unit/tlswatch.service"
	cp "$top/docs/tlswatch.1" "$tmp/man/man1/"
	rc=0
	MANPATH=$tmp/man systemd-analyze verify "$tmp/unit/tlswatch.service" >"$tmp/verify.all" 2>&1 || rc=$?
	# verify loads the machine's units too: their own warnings (Debian's
	# freeradius.service: "MemoryLimit=") say nothing about ours.
	grep -Ev '^/(lib|usr/lib|etc|run)/systemd/' "$tmp/verify.all" >"$tmp/verify.out" || true
	if grep -Eqi 'Failed to (connect|initialize|set up)|has not been booted|System has not been booted' "$tmp/verify.out"; then
		echo "SKIP service: systemd-analyze verify cannot run here: $(head -1 "$tmp/verify.out")"
	elif [ $rc -eq 0 ] && [ ! -s "$tmp/verify.out" ]; then
		ok
	else
		# Unknown keys are only warnings (exit 0): any message fails.
		bad "systemd-analyze verify docs/tlswatch.service (exit $rc)" "$tmp/verify.out"
	fi
fi

# ---------------------------------------------------------------- install
# -o: install the binary under test as it is, never rebuild it here.
if make -s -C "$top" -o "$bin" install DESTDIR="$tmp/root" PREFIX=/usr BUILD="$(dirname "$bin")" \
	>"$tmp/install.out" 2>&1; then
	missing=
	for f in tlswatch.service tlswatch.logrotate tlswatch.default alerts.md json-schema.md; do
		[ -f "$tmp/root/usr/share/doc/tlswatch/$f" ] || missing="$missing $f"
	done
	# Every file the man page's FILES section names is installed.
	named=$(sed -n '/^\.SH FILES/,/^\.SH /p' "$top/docs/tlswatch.1" | grep -E '^\.IR? ' |
		grep -oE '[A-Za-z0-9_-]+\.[A-Za-z0-9._-]+' | sort -u)
	for f in $named; do
		[ -f "$tmp/root/usr/share/doc/tlswatch/$f" ] || missing="$missing $f"
	done
	[ "$(echo "$named" | wc -w)" -ge 8 ] || missing="$missing (the FILES section names only: $named)"
	if [ -z "$missing" ]; then ok; else bad "install: missing$missing" "$tmp/install.out"; fi
	make -s -C "$top" uninstall DESTDIR="$tmp/root" PREFIX=/usr >>"$tmp/install.out" 2>&1
	left=$(find "$tmp/root" -type f | head -5)
	if [ -z "$left" ] && [ ! -d "$tmp/root/usr/share/doc/tlswatch" ]; then ok; else bad "uninstall: left $left" "$tmp/install.out"; fi
else
	bad "make install failed" "$tmp/install.out"
fi

echo "service: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

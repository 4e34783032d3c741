#!/usr/bin/env bash
# tests/e2e/cli.sh BINARY TMPDIR - the command line a tcpdump user brings:
# a capture read from a FIFO is analysed as it arrives (not when the pipe
# closes).
set -u
bin=$1 tmp=$2/cli
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
fails=0 checks=0
mkdir -p "$tmp"
fail() { echo "FAIL cli: $*"; fails=$((fails + 1)); }
check() { checks=$((checks + 1)); }

# waitfor FILE PATTERN SECONDS: polls until FILE has a line matching
# PATTERN; false when SECONDS passed without one.
waitfor() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -le $end ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ---- a FIFO fed slowly: the record comes while the writer holds it open ----
for cap in smtp-auth-plain-cleartext.pcap mixed-mail.pcapng; do
	check
	fifo=$tmp/fifo.$cap rel=$tmp/release.$cap out=$tmp/fifo.$cap.json
	rm -f "$fifo" "$rel" "$out"
	mkfifo "$fifo"
	python3 "$here/slow-writer.py" "$top/pcaps/$cap" "$fifo" "$rel" >"$tmp/writer.$cap.out" &
	wpid=$!
	"$bin" -q -r "$fifo" --json "$out" >/dev/null 2>"$tmp/fifo.$cap.err" &
	tpid=$!
	if ! waitfor "$out" '"type":"session"' 30; then
		fail "$cap through a FIFO: no session record while the writer kept the FIFO open"
	elif [ -e "$rel" ] || ! kill -0 $wpid 2>/dev/null; then
		fail "$cap through a FIFO: the writer was gone before the record came"
	fi
	touch "$rel"
	wait $wpid
	wait $tpid || fail "$cap through a FIFO: exit status $?"
	grep -q written "$tmp/writer.$cap.out" || fail "$cap: the writer did not write everything"
done

echo "cli: $checks checks, $fails failed"
[ $fails -eq 0 ]

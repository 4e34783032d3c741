#!/usr/bin/env bash
# Bad input gets one clear line on stderr and exit status 2, never a crash;
# what was analysed before an error is still reported. Also checks the exit
# status contract (--fail-on) and that secrets stay redacted.
#   badinput.sh BINARY TMPDIR
set -u
bin=$1 tmp=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
fails=0

# expect NAME STATUS STDERR-REGEX -- ARGS...
expect() {
	local name=$1 want=$2 re=$3
	shift 4
	local rc=0
	"$bin" "$@" >"$tmp/bad.out" 2>"$tmp/bad.err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL bad-input $name: exit $rc, want $want"; sed 's/^/  /' "$tmp/bad.err" | head -5
		fails=$((fails + 1))
	elif [ -n "$re" ] && ! grep -Eq -- "$re" "$tmp/bad.err"; then
		echo "FAIL bad-input $name: stderr does not match /$re/:"; sed 's/^/  /' "$tmp/bad.err" | head -5
		fails=$((fails + 1))
	elif grep -Eq 'AddressSanitizer|runtime error|Segmentation' "$tmp/bad.err"; then
		echo "FAIL bad-input $name: sanitizer or crash report"; head -20 "$tmp/bad.err"
		fails=$((fails + 1))
	fi
}

good=$(ls "$top"/pcaps/*.pcap 2>/dev/null | head -1)
: >"$tmp/empty.pcap"
head -c 4096 /dev/urandom >"$tmp/random.pcap"
mkdir -p "$tmp/adir"

expect no-source 2 'nothing to read' -- -q
expect missing-file 2 'No such file' -- -q -r "$tmp/does-not-exist.pcap"
expect empty-file 2 'tlswatch: .*empty.pcap' -- -q -r "$tmp/empty.pcap"
expect random-bytes 2 'tlswatch: .*random.pcap' -- -q -r "$tmp/random.pcap"
expect directory 2 'tlswatch: ' -- -q -r "$tmp/adir"
expect unknown-option 2 'Try' -- --no-such-option
expect bad-number 2 'expected a number' -- -q --max-flows abc -r x
expect bad-memcap 2 'expected a size' -- -q --memcap 12Q -r x
expect tiny-memcap 2 'at least 1M' -- -q --memcap 100K -r x
expect bad-fail-on 2 'unknown alert kind' -- -q --fail-on nonsense -r x
expect r-and-i 2 'cannot be combined' -- -q -r x -i lo
expect unknown-interface 2 'no such interface|No such device|doesn.t exist' -- -q -i tlswatch-nonexistent0
expect json-unwritable 2 '--json' -- -q -r "$good" --json /nonexistent-dir/out.jsonl
expect bad-filter 2 'bad filter' -- -q -r "$good" 'port port port'
expect help 0 '' -- --help
expect version 0 '' -- --version

if [ -n "$good" ]; then
	size=$(stat -c %s "$good")
	# Cut in the middle of the last packets: the sessions before the cut are
	# still reported, and the error is one line.
	head -c $((size - 50)) "$good" >"$tmp/truncated.pcap"
	expect truncated 2 'truncated|results up to this point' -- -q -r "$tmp/truncated.pcap"
	if ! grep -q '^#1 ' "$tmp/bad.out"; then
		echo "FAIL bad-input truncated: sessions before the cut were not reported"
		fails=$((fails + 1))
	fi
	# A later bad file does not lose the earlier good one.
	expect good-then-missing 2 'No such file' -- -q -r "$good" -r "$tmp/nope.pcap"
	grep -q '^#1 ' "$tmp/bad.out" || { echo "FAIL bad-input good-then-missing: report lost"; fails=$((fails + 1)); }
	# stdin
	rc=0; "$bin" -q -r - <"$good" >"$tmp/stdin.out" 2>&1 || rc=$?
	[ $rc -eq 0 ] && grep -q '^#1 ' "$tmp/stdin.out" || { echo "FAIL bad-input stdin: rc=$rc"; fails=$((fails + 1)); }
fi

# Hardening finding 5: a failed output is exit 2 with one clear line, and the
# run stops (here: the files after the failure are not read); a reader that
# closes the pipe early (head) ends the run without a message.
if [ -n "$good" ]; then
	expect json-dev-full 2 '^tlswatch: --json /dev/full: write error: No space left on device$' -- \
		-q -r "$good" --json /dev/full
	[ "$(wc -l <"$tmp/bad.err")" = 1 ] || { echo "FAIL bad-input json-dev-full: more than one line"; fails=$((fails + 1)); }
	rc=0; "$bin" -q -r "$good" >/dev/full 2>"$tmp/full.err" || rc=$?
	{ [ $rc -eq 2 ] && grep -q '^tlswatch: standard output: write error: No space left on device$' "$tmp/full.err"; } ||
		{ echo "FAIL bad-input stdout-dev-full: rc=$rc"; fails=$((fails + 1)); }
	many=(); for i in $(seq 40); do many+=(-r "$good"); done
	rc=0; "$bin" -q "${many[@]}" --json /dev/full --stats >/dev/null 2>"$tmp/many.err" || rc=$?
	one=$("$bin" -q -r "$good" --json /dev/null --stats 2>&1 >/dev/null | awk '$1 == "packets" {print $2}')
	got=$(awk '$1 == "packets" {print $2}' "$tmp/many.err")
	{ [ $rc -eq 2 ] && [ -n "$got" ] && [ "$got" -lt $((one * 40)) ]; } ||
		{ echo "FAIL bad-input json-dev-full-stops: rc=$rc, $got packets read of $((one * 40))"; fails=$((fails + 1)); }
	# About 200 KB of JSON, more than a pipe holds (64 KiB), so the writer
	# must meet the closed end.
	many=(); for i in $(seq 60); do many+=(-r "$top/pcaps/mixed-mail.pcapng"); done
	("$bin" -q --json - "${many[@]}" 2>"$tmp/pipe.err"; echo $? >"$tmp/pipe.rc") | head -c 10 >/dev/null
	{ [ "$(cat "$tmp/pipe.rc")" = 2 ] && [ ! -s "$tmp/pipe.err" ]; } ||
		{ echo "FAIL bad-input closed-pipe: rc=$(cat "$tmp/pipe.rc"), stderr: $(head -2 "$tmp/pipe.err")"; fails=$((fails + 1)); }
fi

# Found by AFL++ (make afl): a record whose seconds are 0xffffffff read as a
# time before 1970, near 2^64 microseconds; the per-port timeline wrapped and
# wrote out of bounds (SIGSEGV). It is 2106, and the cut record after it is
# the usual one-line error.
expect afl-ts-ffffffff 2 'results up to this point' -- -q -r "$top/tests/hostile/afl-ts-before-1970.pcap" --show-empty --no-ndpi
grep -q '^#1  2106-02-07T06:28:15' "$tmp/bad.out" ||
	{ echo "FAIL bad-input afl-ts-ffffffff: the first session is not dated 2106"; fails=$((fails + 1)); }

# Exit status 1 with --fail-on when such an alert was raised, 0 otherwise.
# The *login* captures first: ls sorts all its arguments together, and a
# *cleartext* one without a login (diameter-cleartext) would come first.
login=$({ ls "$top"/pcaps/*login*.pcap; ls "$top"/pcaps/*cleartext*.pcap; } 2>/dev/null | head -1)
if [ -n "$login" ]; then
	expect fail-on-any 1 '' -- -q -r "$login" --fail-on any
fi
tlsonly=$(ls "$top"/pcaps/imaps-993.pcap 2>/dev/null | head -1)
if [ -n "$tlsonly" ]; then
	expect fail-on-not-raised 0 '' -- -q -r "$tlsonly" --fail-on cleartext-login
fi

# Hostile packets: mutated copies of every capture never crash the analyzer.
case "${BUILD_DIR:-build}" in
/*) mut="$BUILD_DIR/tools/pcap-mutate" ;;
*) mut="$top/${BUILD_DIR:-build}/tools/pcap-mutate" ;;
esac
if [ ! -x "$mut" ]; then
	echo "FAIL bad-input: $mut is missing: the mutated-capture checks cannot run"
	fails=$((fails + 1))
else
	for p in "$top"/pcaps/*.pcap; do
		[ -f "$p" ] || continue
		for seed in 1 2 3; do
			"$mut" "$p" "$tmp/mut.pcap" "$seed" 2>/dev/null || continue
			rc=0; "$bin" -q -r "$tmp/mut.pcap" --json /dev/null >/dev/null 2>"$tmp/mut.err" || rc=$?
			if [ $rc -gt 2 ] || grep -Eq 'AddressSanitizer|runtime error' "$tmp/mut.err"; then
				echo "FAIL hostile: $(basename "$p") seed $seed: rc=$rc"; head -20 "$tmp/mut.err"
				fails=$((fails + 1))
			fi
		done
	done
fi

# Hardening finding 8: a pcapng file whose interfaces have different link
# types (Ethernet and Linux cooked, as dumpcap writes them) is read whole:
# each packet with its own link type, timestamps in each interface's
# resolution, a block of an unknown type skipped, a filter compiled per link
# type; a truncated copy is exit 2 with one line and keeps what came before.
multi="$tmp/multi-link.pcapng"
if python3 "$top/tests/hostile/pcapng_multi.py" "$multi" >"$tmp/multi.expect"; then
	expect pcapng-multi-link 0 '' -- -q -r "$multi" --json -
	multi_bad() { echo "FAIL bad-input pcapng-multi-link: $1"; fails=$((fails + 1)); }
	[ "$(grep -c '"type":"session"' "$tmp/bad.out")" = 2 ] || multi_bad "not two sessions"
	grep -q '"type":"alert","kind":"cleartext-login".*"server_port":25,' "$tmp/bad.out" ||
		multi_bad "no cleartext-login alert on port 25"
	while read -r port first last; do
		grep -q "\"ts_first\":\"$first\",\"ts_last\":\"$last\",.*\"server_port\":$port," "$tmp/bad.out" ||
			multi_bad "no session on port $port from $first to $last"
	done <"$tmp/multi.expect"
	expect pcapng-multi-link-filter 0 '' -- -q -r "$multi" --json - 'tcp port 587'
	{ [ "$(grep -c '"type":"session"' "$tmp/bad.out")" = 1 ] &&
		grep -q '"type":"session".*"server_port":587,' "$tmp/bad.out"; } ||
		{ echo "FAIL bad-input pcapng-multi-link-filter: 'tcp port 587' kept other sessions"; fails=$((fails + 1)); }
	size=$(stat -c %s "$multi")
	head -c $((size - 30)) "$multi" >"$tmp/multi-cut.pcapng"
	expect pcapng-multi-link-truncated 2 '^tlswatch: .*multi-cut.pcapng: truncated pcapng file' -- \
		-q -r "$tmp/multi-cut.pcapng" --json -
	[ "$(wc -l <"$tmp/bad.err")" = 1 ] ||
		{ echo "FAIL bad-input pcapng-multi-link-truncated: more than one line"; fails=$((fails + 1)); }
	grep -q '"type":"session".*"server_port":25,' "$tmp/bad.out" ||
		{ echo "FAIL bad-input pcapng-multi-link-truncated: the first session was lost"; fails=$((fails + 1)); }
else
	echo "FAIL bad-input pcapng-multi-link: the generator failed"; fails=$((fails + 1))
fi

[ $fails -eq 0 ] && echo "bad-input: all checks passed"
[ $fails -eq 0 ]

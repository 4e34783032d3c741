#!/usr/bin/env bash
# tests/e2e/threads.sh BINARY TMPDIR - --threads N says exactly what one
# thread says: the text report and the JSON Lines (all but the internal
# `stats` record) of every capture in pcaps/, of all of them read in one run
# (-r repeated: times jump back between files), and of that run with a 1 s
# idle timeout (flows expire in the middle, in every worker at once); each
# capture with 2 workers, the whole set with 2, 3 and 4, each judged on a
# thread of its own and on the reading thread. The counters a user reads in
# --stats agree too, and --evidence writes the same files.
set -u
bin=${1:?usage: threads.sh BINARY TMPDIR}
tmp=${2:?usage: threads.sh BINARY TMPDIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
export TZ=GMT0 LC_ALL=C
fails=0 checks=0
fail() { echo "FAIL threads: $*"; fails=$((fails + 1)); }

# same "N..." NAME ARGS...: compares the outputs of 1 and N threads for ARGS.
# Each N is followed by j (a judge thread: --judge-thread) or r (the
# reading thread judges: --no-judge-thread); the default depends on the
# CPUs, so both are asked for by name.
same() {
	local counts=$1 name=$2 c n opt
	shift 2
	"$bin" -q "$@" --json - 2>/dev/null | grep -v '"type":"stats"' >"$tmp/t1.json"
	"$bin" -q "$@" >"$tmp/t1.txt" 2>/dev/null
	[ -s "$tmp/t1.json" ] || fail "$name: no output with one thread"
	for c in $counts; do
		n=${c%[jr]}
		opt=--judge-thread
		[ "${c#"$n"}" = r ] && opt=--no-judge-thread
		checks=$((checks + 1))
		timeout -k 5 30 "$bin" -q "$@" --json - --threads $n $opt 2>/dev/null | grep -v '"type":"stats"' >"$tmp/tn.json"
		cmp -s "$tmp/t1.json" "$tmp/tn.json" || { fail "$name: JSON differs with --threads $n $opt";
			diff "$tmp/t1.json" "$tmp/tn.json" | head -6 | sed 's/^/  /'; }
		timeout -k 5 30 "$bin" -q "$@" --threads $n $opt >"$tmp/tn.txt" 2>/dev/null
		cmp -s "$tmp/t1.txt" "$tmp/tn.txt" || fail "$name: text differs with --threads $n $opt"
	done
}

all=()
for f in "$top"/pcaps/*.pcap "$top"/pcaps/*.pcapng; do
	same "2j 2r" "$(basename "$f")" -r "$f"
	all+=(-r "$f")
done
same "2j 3j 4j 2r 3r 4r" "all captures in one run" "${all[@]}"
same "2j 3j 4j 2r 3r 4r" "all captures, --idle-timeout 1" "${all[@]}" --idle-timeout 1

# Cases that once hung or differed (tests/e2e/gen-threads-cases.py says how).
mkdir -p "$tmp/cases"
if python3 "$(dirname "$0")/gen-threads-cases.py" "$tmp/cases"; then
	same "2j 2r" "stalled-floor (a worker idle before an unpublished batch)" -r "$tmp/cases/stalled-floor.pcap"
	# These flows carry no payload: --show-empty lists them (the cases are
	# about the flows' lifecycle).
	same "2j 2r" "time-back-idle (times going back, idle expiry)" -r "$tmp/cases/time-back-idle.pcap" \
		--idle-timeout 600 --show-empty
	same "2j 2r" "time-back-linger (times going back, lingering closed flows)" \
		-r "$tmp/cases/time-back-linger.pcap" --show-empty
	# Two TCP sessions; the UDP datagram that moves the clock is a session
	# of its own.
	n=$("$bin" -q -r "$tmp/cases/time-back-linger.pcap" --show-empty --json - 2>/dev/null |
		grep -c '"type":"session".*"transport":"tcp"')
	checks=$((checks + 1))
	[ "$n" = 2 ] || fail "time-back-linger: $n TCP sessions, want 2 (the late packet must be absorbed)"
	# The judge thread learns from DNS in packet order: the DANE record
	# read just before the stripped session's last packet counts for it,
	# read just after does not (asserted first with one thread, so that
	# the comparison can tell the two orders apart).
	for c in before:1 after:0; do
		n=$("$bin" -q -r "$tmp/cases/learn-${c%:*}-rst.pcap" --json - 2>/dev/null |
			grep -c '"type":"alert".*"kind":"dane-violation"')
		checks=$((checks + 1))
		[ "$n" = "${c#*:}" ] || fail "learn-${c%:*}-rst: $n dane-violation alerts, want ${c#*:}"
		same "2j 3j 2r" "learn-${c%:*}-rst (a DNS answer just ${c%:*} the session's end)" \
			-r "$tmp/cases/learn-${c%:*}-rst.pcap"
	done
else
	fail "gen-threads-cases.py failed"
fi

# The counters: packets, flows and sessions add up the same.
"$bin" -q "${all[@]}" --json /dev/null --stats 2>"$tmp/s1" >/dev/null
"$bin" -q "${all[@]}" --json /dev/null --stats --threads 3 --judge-thread 2>"$tmp/s3" >/dev/null
for k in packets tcp_packets flows_created flows_closed flows_open_at_end sessions alerts \
	segments_in_order segments_out_of_order segments_retransmitted stray_packets late_packets; do
	a=$(awk -v n="$k" '$1 == n { print $2 }' "$tmp/s1")
	b=$(awk -v n="$k" '$1 == n { print $2 }' "$tmp/s3")
	checks=$((checks + 1))
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "--stats $k: one thread '$a', three '$b'"
done

# --evidence: the same pcap files, byte for byte, written by the reader.
mkdir -p "$tmp/ev1" "$tmp/ev2"
"$bin" -q "${all[@]}" --evidence "$tmp/ev1" --show-secrets --json /dev/null >/dev/null 2>&1
"$bin" -q "${all[@]}" --evidence "$tmp/ev2" --show-secrets --json /dev/null --threads 2 --judge-thread >/dev/null 2>&1
(cd "$tmp/ev1" && md5sum -- *) >"$tmp/ev1.sums" 2>/dev/null
(cd "$tmp/ev2" && md5sum -- *) >"$tmp/ev2.sums" 2>/dev/null
checks=$((checks + 1))
[ -s "$tmp/ev1.sums" ] && cmp -s "$tmp/ev1.sums" "$tmp/ev2.sums" ||
	fail "--evidence files differ with --threads 2 ($(wc -l <"$tmp/ev1.sums") with one thread)"

# Bad values are usage errors.
for v in 0 65 x; do
	rc=0; "$bin" -q -r "$top/pcaps/smtp-no-starttls.pcap" --threads $v >/dev/null 2>"$tmp/err" || rc=$?
	checks=$((checks + 1))
	[ $rc -eq 2 ] && grep -q -- '--threads' "$tmp/err" || fail "--threads $v: exit $rc, not a usage error"
done

[ $fails -eq 0 ] && echo "threads: $checks checks passed"
[ $fails -eq 0 ]

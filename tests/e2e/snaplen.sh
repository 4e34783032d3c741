#!/usr/bin/env bash
# tests/e2e/snaplen.sh BINARY TMPDIR - payload cut by a short snapshot length
# is never read as absent payload: captures from pcaps/ cut to 96 bytes per
# packet (tests/e2e/cut-pcap.py, as `editcap -s 96` does) give unknown/gap
# for STARTTLS and implicit-TLS sessions whose handshake was cut, keep a
# verdict the session's first bytes decided (plaintext on 465), and end with
# a warning that counts the packets cut.
set -u
bin=$1 tmp=$2/snaplen
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
fails=0 checks=0
mkdir -p "$tmp"
fail() { echo "FAIL snaplen: $*"; fails=$((fails + 1)); }

verdicts() { # CAPTURE: "service verdict/reason" of each session, sorted
	python3 "$here/cut-pcap.py" 96 "$top/pcaps/$1.pcap" "$tmp/$1.pcap" || return 1
	"$bin" -q -r "$tmp/$1.pcap" --json - 2>"$tmp/$1.err" |
		sed -n 's/.*"service":"\([^"]*\)","verdict":"\([^"]*\)","reason":"\{0,1\}\([^",]*\).*/\1 \2\/\3/p' |
		sort | paste -sd, -
}
expect() { # CAPTURE WANT
	local got
	checks=$((checks + 1))
	got=$(verdicts "$1")
	[ "$got" = "$2" ] || fail "$1 cut to 96 bytes: want '$2', got '$got'"
}
expect smtp-starttls-tls12 "smtp unknown/gap"
expect imaps-993 "imap unknown/gap"
expect pop3s-995 "pop3 unknown/gap"
expect smtps-465 "smtp unknown/gap"
expect downgrade-smtp-465-plaintext "smtp downgraded/plaintext-on-tls-port,smtp unknown/gap"

checks=$((checks + 1))
grep -Eq '^tlswatch: warning: [0-9]+ packets were cut by the capture.s snapshot length' \
	"$tmp/imaps-993.err" || fail "no warning counting the packets cut: $(head -3 "$tmp/imaps-993.err")"
checks=$((checks + 1))
"$bin" -q -r "$top/pcaps/imaps-993.pcap" >/dev/null 2>"$tmp/whole.err"
grep -q 'snapshot length' "$tmp/whole.err" && fail "warning on a capture that was not cut"

if [ $fails -eq 0 ]; then
	echo "snaplen: $checks checks passed"
else
	exit 1
fi

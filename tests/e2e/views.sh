#!/usr/bin/env bash
# End-to-end checks of the text report's shape and of the per-client and
# per-user views: no line of the text report of any bundled capture (each
# alone, and all of them in one run) is wider than 80 columns unless --wide;
# --wide keeps each session on one line; the views add up to the per-port
# totals in the JSON Lines.
#   views.sh BINARY TMPDIR
set -u
bin=$1 tmp=$2/views
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export TZ=GMT0 LC_ALL=C
fails=0
fail() { echo "FAIL views: $*"; fails=$((fails + 1)); }
mkdir -p "$tmp"

# Prints the lines of FILE wider than 80 columns (a tab counts as 8).
too_wide() {
	awk '{ l = $0; gsub(/\t/, "        ", l); if (length(l) > 80) print FILENAME ":" NR ": " length(l) " columns" }' "$1"
}

all=()
n=0
for f in "$top"/pcaps/*.pcap "$top"/pcaps/*.pcapng; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	all+=(-r "$f")
	name=$(basename "$f")
	"$bin" -q -r "$f" >"$tmp/$name.txt" 2>/dev/null || fail "$name: exit status $?"
	wide=$(too_wide "$tmp/$name.txt")
	[ -z "$wide" ] || fail "$name: text report wider than 80 columns: $(echo "$wide" | head -3)"
done
[ $n -gt 0 ] || fail "no captures in pcaps/"

# Every capture in one run: the longest tables, many clients and users.
"$bin" -q "${all[@]}" >"$tmp/all.txt" 2>/dev/null || fail "all captures: exit status $?"
wide=$(too_wide "$tmp/all.txt")
[ -z "$wide" ] || fail "all captures: text report wider than 80 columns: $(echo "$wide" | head -3)"
grep -q '^Per client:$' "$tmp/all.txt" || fail "all captures: no per-client table"
grep -q '^Per user (cleartext logins):$' "$tmp/all.txt" || fail "all captures: no per-user table"

# --wide: one line per session (as many lines starting with '#' as session
# records), and the wide tables.
"$bin" -q "${all[@]}" --wide >"$tmp/wide.txt" 2>/dev/null || fail "--wide: exit status $?"
"$bin" -q "${all[@]}" --json - >"$tmp/all.jsonl" 2>/dev/null || fail "--json: exit status $?"
sessions=$(grep -c '"type":"session"' "$tmp/all.jsonl")
[ "$(grep -c '^#[0-9]' "$tmp/wide.txt")" = "$sessions" ] ||
	fail "--wide: $(grep -c '^#[0-9]' "$tmp/wide.txt") session lines for $sessions sessions"
[ -n "$(too_wide "$tmp/wide.txt")" ] || fail "--wide: no line is wider than 80 columns"
grep -q '^  PORT  *SERVICE  *SESSIONS  *IMPLICIT  *STARTTLS ' "$tmp/wide.txt" ||
	fail "--wide: not the wide per-port table"

# The views count every session and every cleartext login once.
sum() { grep "\"type\":\"$1\"" "$tmp/all.jsonl" | grep -o "\"$2\":[0-9]*" | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }'; }
[ "$(sum client sessions)" = "$(sum port sessions)" ] ||
	fail "client records count $(sum client sessions) sessions, port records $(sum port sessions)"
[ "$(sum client sessions)" = "$sessions" ] || fail "client records do not count every session"
[ "$(sum user cleartext_logins)" = "$(sum port cleartext_logins)" ] ||
	fail "user records count $(sum user cleartext_logins) logins, port records $(sum port cleartext_logins)"
[ "$(sum client cleartext_logins)" = "$(sum port cleartext_logins)" ] ||
	fail "client records count $(sum client cleartext_logins) logins, port records $(sum port cleartext_logins)"
# No secret in the views: the user records carry names only.
grep '"type":"user"' "$tmp/all.jsonl" | grep -q secret && fail "a user record holds a secret"

[ $fails -eq 0 ] && echo "views: $n captures within 80 columns, views add up"
[ $fails -eq 0 ]

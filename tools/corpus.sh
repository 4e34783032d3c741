#!/usr/bin/env bash
# Runs tlswatch over a directory of public captures (../shared/corpus/ndpi by
# default) and prints one line per capture with the verdict counts, then
# checks the expectations listed in tools/corpus-expect.tsv.
#   tools/corpus.sh BINARY [DIR]
# Exit status: 0 all good (or no corpus), 1 an expectation failed or a run
# crashed.
set -u
bin=${1:?usage: corpus.sh BINARY [DIR]}
dir=${2:-../shared/corpus/ndpi}
here=$(cd "$(dirname "$0")" && pwd)
export TZ=GMT0 LC_ALL=C
if [ ! -d "$dir" ]; then
	echo "corpus: $dir not found, skipped"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
printf '%-44s %5s %5s %5s %5s %5s %5s %5s %6s\n' CAPTURE SESS IMPL START CLEAR DOWNG FAIL UNKN ALERTS
for f in "$dir"/*.pcap "$dir"/*.pcapng; do
	[ -f "$f" ] || continue
	name=$(basename "$f")
	rc=0
	"$bin" -q -r "$f" --json - >"$tmp/$name.jsonl" 2>"$tmp/$name.err" || rc=$?
	if [ $rc -gt 2 ] || grep -Eq 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp/$name.err"; then
		echo "CRASH $name (exit $rc)"; head -20 "$tmp/$name.err"
		bad=1
		continue
	fi
	count() { grep -c "\"type\":\"session\".*\"verdict\":\"$1\"" "$tmp/$name.jsonl"; }
	printf '%-44s %5s %5s %5s %5s %5s %5s %5s %6s%s\n' "$name" \
		"$(grep -c '"type":"session"' "$tmp/$name.jsonl")" \
		"$(count implicit-tls)" "$(count starttls)" "$(count cleartext)" \
		"$(count downgraded)" "$(count tls-failed)" "$(count unknown)" \
		"$(grep -c '"type":"alert"' "$tmp/$name.jsonl")" \
		"$([ $rc -ne 0 ] && echo "  (exit $rc: $(head -1 "$tmp/$name.err"))")"
done

# Expectations: CAPTURE<TAB>WHAT<TAB>PATTERN[<TAB>EXCEPT] — WHAT is "all-sessions" (every
# session record matches PATTERN), "some-session" (at least one does),
# "no-session" (none does), "some-alert"/"no-alert" likewise for alerts.
echo
check_one() {
	local name=$1 what=$2 pattern=$3 j="$tmp/$1.jsonl" n ok=""
	[ -f "$j" ] || { echo "SKIP $name: not in corpus"; return; }
	case $what in
	all-sessions) n=$(grep '"type":"session"' "$j" | grep -vc -- "$pattern"); ok=$([ "$n" -eq 0 ] && echo y) ;;
	some-session) n=$(grep '"type":"session"' "$j" | grep -c -- "$pattern"); ok=$([ "$n" -gt 0 ] && echo y) ;;
	no-session) n=$(grep '"type":"session"' "$j" | grep -c -- "$pattern"); ok=$([ "$n" -eq 0 ] && echo y) ;;
	some-alert) n=$(grep '"type":"alert"' "$j" | grep -c -- "$pattern"); ok=$([ "$n" -gt 0 ] && echo y) ;;
	no-alert) n=$(grep '"type":"alert"' "$j" | grep -c -- "$pattern"); ok=$([ "$n" -eq 0 ] && echo y) ;;
	*) echo "FAIL corpus-expect: bad line: $name $what"; bad=1; return ;;
	esac
	if [ "$ok" = y ]; then
		echo "ok   $name $what $pattern"
	else
		echo "FAIL $name $what $pattern"
		bad=1
	fi
}
# A CAPTURE of '*' applies to every capture but those named in the optional
# fourth column (comma-separated), which their own lines then describe.
every() {
	local what=$1 pattern=$2 except=",$3," j name
	for j in "$tmp"/*.jsonl; do
		name=$(basename "$j" .jsonl)
		case "$except" in *",$name,"*) continue ;; esac
		check_one "$name" "$what" "$pattern"
	done
}
while IFS=$'\t' read -r name what pattern except; do
	case "$name" in ''|'#'*) continue ;; esac
	if [ "$name" = '*' ]; then
		out=$(every "$what" "$pattern" "${except:-}")
		grep -v '^ok ' <<<"$out" || true
		grep -q '^FAIL' <<<"$out" && bad=1
		echo "checked * $what $pattern${except:+ (except $except)}"
	else
		check_one "$name" "$what" "$pattern"
	fi
done <"$here/corpus-expect.tsv"
exit $bad

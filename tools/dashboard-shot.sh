#!/usr/bin/env bash
# tools/dashboard-shot.sh - a picture of the real dashboard: runs
# build/tlswatch --tui on bundled captures in a detached tmux pane of a fixed
# size (UTF-8 locale, colours), waits for the replay's final state (REPLAY
# DONE), optionally presses keys, captures the pane with its colours
# (tmux capture-pane -e -p), turns that into HTML (tools/ansi2html.py) and
# screenshots the page with headless Chromium (Debian's chromium package).
#
#   tools/dashboard-shot.sh [-o PNG] [-s COLSxLINES] [-k KEYS] [-w TEXT] [CAPTURE...]
#
#   -o PNG    where the picture goes (default docs/dashboard.png)
#   -s CxL    the terminal's size (default 100x32)
#   -k KEYS   keys to press once the replay is done, as tmux send-keys
#             takes them, space separated (e.g. "v" for the servers view)
#   -w TEXT   after the keys, wait until the screen shows TEXT (a grep -E
#             pattern) before the capture
#   CAPTURE   the captures to replay (default: the SMTP, IMAP and POP3
#             captures recorded the same day as pcaps/mixed-mail.pcapng:
#             cleartext, STARTTLS, implicit TLS, logins, and the downgrades
#             made through the project's MITM proxy, within half an hour)
#
# The README's picture is `tools/dashboard-shot.sh`; docs/dashboard.md's
# servers view is `tools/dashboard-shot.sh -o docs/dashboard-servers.png
# -k v -w '^Servers'`. The binary is built when missing; tmux and chromium
# are installed by tools/install-deps.sh when missing. The .ansi and .html
# made on the way are kept next to the picture's temporary copy in a
# directory that is removed on exit. Exit status 0 when the PNG was written.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=docs/dashboard.png size=100x32 keys= want=
while getopts 'o:s:k:w:' opt; do
	case $opt in
	o) out=$OPTARG ;;
	s) size=$OPTARG ;;
	k) keys=$OPTARG ;;
	w) want=$OPTARG ;;
	*)
		sed -n '2,28s/^# \{0,1\}//p' "$0" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
case $out in /*) ;; *) out=$PWD/$out ;; esac
cols=${size%x*} lines=${size#*x}
cd "$top"
for t in tmux chromium; do
	command -v $t >/dev/null || tools/install-deps.sh $t >&2
done
[ -x build/tlswatch ] || make -s build/tlswatch

# first_day CAPTURE: the UTC day of its first session.
first_day() {
	build/tlswatch -q --no-tui --no-ndpi -r "$1" 2>/dev/null |
		sed -n 's/^#[0-9]* *\([0-9-]*\)T.*/\1/p' | head -1
}
if [ $# -eq 0 ]; then
	day=$(first_day pcaps/mixed-mail.pcapng)
	for f in pcaps/mixed-mail.pcapng pcaps/smtp-*.pcap pcaps/submission-*.pcap \
		pcaps/imap*.pcap pcaps/pop3*.pcap pcaps/downgrade-smtp-*.pcap \
		pcaps/downgrade-imap-*.pcap pcaps/downgrade-pop3-*.pcap; do
		[ -f "$f" ] && [ "$(first_day "$f")" = "$day" ] && set -- "$@" "$f"
	done
	[ $# -gt 0 ] || {
		echo "dashboard-shot: no capture of pcaps/ to replay" >&2
		exit 1
	}
fi

tmp=$(mktemp -d)
sock=tlsw-shot-$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
	T kill-server 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# wait_for REGEX SECONDS: poll the pane until it shows REGEX.
wait_for() {
	local i=0
	while [ $i -lt $(($2 * 10)) ]; do
		T capture-pane -p -t shot | grep -qE -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "dashboard-shot: the screen never showed '$1':" >&2
	T capture-pane -p -t shot >&2
	return 1
}

args=()
for f in "$@"; do
	args+=(-r "$f")
done
# A fixed clock and locale: TZ for the times shown, UTF-8 for the
# sparkline's block characters; the pane's TERM is tmux's own.
T new-session -d -s shot -x "$cols" -y "$lines" -- \
	env TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 build/tlswatch -q "${args[@]}" --tui
T set-option -t shot status off >/dev/null
T set-option -t shot remain-on-exit on >/dev/null
wait_for 'REPLAY DONE' 60
if [ -n "$keys" ]; then
	# shellcheck disable=SC2086 # one key per word
	T send-keys -t shot $keys
	[ -z "$want" ] || wait_for "$want" 10
fi
# The frame after the last change: the dashboard redraws within 100 ms,
# and the elapsed time and rates no longer move once the replay is done.
prev= cur=$(T capture-pane -e -p -t shot)
for _ in $(seq 20); do
	sleep 0.2
	prev=$cur
	cur=$(T capture-pane -e -p -t shot)
	[ "$cur" = "$prev" ] && break
done
printf '%s\n' "$cur" >"$tmp/screen.ansi"
T send-keys -t shot q
python3 tools/ansi2html.py --cols "$cols" --title "tlswatch dashboard" <"$tmp/screen.ansi" >"$tmp/screen.html"

# The page is a <pre> of cols x lines cells: 15 px DejaVu Sans Mono is
# 9.03 px wide, lines 18.75 px, plus 12 px and 14 px of padding.
w=$(awk -v c="$cols" 'BEGIN { printf "%d", c * 9.04 + 28 + 0.5 }')
h=$(awk -v l="$lines" 'BEGIN { printf "%d", l * 18.75 + 24 + 0.5 }')
timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" \
	--no-first-run --disable-background-networking --hide-scrollbars \
	--window-size="$w,$h" --screenshot="$tmp/shot.png" "file://$tmp/screen.html" \
	>/dev/null 2>"$tmp/chromium.err" || {
	echo "dashboard-shot: chromium failed:" >&2
	head -5 "$tmp/chromium.err" >&2
	exit 1
}
[ "$(head -c 8 "$tmp/shot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || {
	echo "dashboard-shot: chromium wrote no PNG" >&2
	exit 1
}
mkdir -p "$(dirname "$out")"
cp "$tmp/shot.png" "$out"
echo "dashboard-shot: $out (${cols}x${lines}, $# captures)"

#!/usr/bin/env bash
# tests/e2e/tui.sh BINARY - the dashboard end to end, as a person would
# check it: the real binary runs in a detached tmux session of a fixed size
# on captures from pcaps/ (replay mode), keys are sent with send-keys and the
# screen is read back with capture-pane.
#
# Checks:
#  - for every capture in pcaps/: the per-port panel shows the same numbers
#    as the text report's "Per port:" table, and q gives the terminal back;
#    the same for all of them in one run with --threads 2 --judge-thread;
#  - on the richest capture: a cleartext session flagged with its marker,
#    the / filter narrowing the list, Enter opening the detail view (TLS
#    version, capability keywords), f (problems only), s (sort), p (pause),
#    ? (help), a window resize, a login's secret never on screen, q leaving
#    the alternate screen with the summary printed after it;
#  - 80x24 still shows the header, every port row and the key line;
#  - the servers view (v) at 80x24 on two captures: the same rows and
#    numbers as the text report's "Per server:" table, problems first, s
#    sorts, Enter lists the server's sessions; the sparkline row of the
#    encrypted share over time, in block characters under a UTF-8 locale
#    and in ASCII without one;
#  - NO_COLOR: no colour escapes, the markers still there;
#  - Ctrl-C, SIGTERM and q during a slow --replay-speed replay restore the
#    terminal; --replay-speed paces the replay;
#  - mail policies (a DANE- and MTA-STS-protected MX stripped, --policy):
#    the header's critical banner, the !! POLICY flag, critical alerts, c
#    (policy:violated) on and off, the detail's Mail policy, the servers
#    view's POLICY column, at 120x40 and 80x24 without colours; tunnels (a
#    real VXLAN capture): the TUNNEL column (sessions and servers), tunnel:vxlan, the detail's
#    chain; neither column when no session needs it;
#  - --tui without a terminal on stdout: a warning and the text report.
# Prints PASS/FAIL lines, exits 1 when anything failed. tmux runs on a
# private socket, killed on exit; it is installed when missing.
set -uo pipefail

if [ $# -ne 1 ]; then
	echo "usage: tests/e2e/tui.sh BINARY" >&2
	exit 2
fi
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$top" || exit 2

if ! command -v tmux >/dev/null; then
	tools/install-deps.sh tmux >&2 || true
fi
if ! command -v tmux >/dev/null; then
	echo "FAIL: tui: tmux is missing and could not be installed"
	exit 1
fi

sock=tlsw-tui-$$
tmp=$(mktemp -d)
fails=0
passes=0

cleanup()
{
	tmux -L "$sock" kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

pass()
{
	passes=$((passes + 1))
	echo "PASS: tui: $*"
}

fail()
{
	fails=$((fails + 1))
	echo "FAIL: tui: $*"
}

T()
{
	tmux -L "$sock" -f /dev/null "$@"
}

screen()
{
	T capture-pane -p -t tui
}

# wait_for REGEX [SECONDS]: until the screen shows it.
wait_for()
{
	local pat=$1 limit=$((${2:-10} * 10)) i=0
	while [ $i -lt $limit ]; do
		screen | grep -qE -- "$pat" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# A fresh pane of W x H with a plain shell; extra environment in $3. A
# session "keep" holds the tmux server up, so killing the previous pane
# never lets the server exit under the next new-session (it did, about one
# run in five: "server exited unexpectedly").
pane()
{
	T has-session -t keep 2>/dev/null ||
		T new-session -d -s keep -x 20 -y 5 -- sleep 100000 || return 1
	T kill-session -t tui 2>/dev/null
	T new-session -d -s tui -x "$1" -y "$2" -- \
		env ${3:-} PS1='tui$ ' bash --norc --noprofile || return 1
	T set-option -t tui status off >/dev/null
	wait_for '^tui\$' 5
}

# run CMD: types it in the pane, followed by an EXIT=status line.
run()
{
	T send-keys -t tui -l "clear; $1; echo EXIT=\$?"
	T send-keys -t tui Enter
}

keys()
{
	T send-keys -t tui "$@"
	sleep 0.3
}

# The terminal is back: the command ended with status 0, the alternate
# screen is left, the cursor visible and the keypad back in normal mode.
restored()
{
	wait_for '^EXIT=[0-9]+' 10 || return 1
	screen | grep -q '^EXIT=0$' || return 1
	[ "$(T display -p -t tui '#{alternate_on}#{cursor_flag}#{keypad_cursor_flag}')" = "010" ]
}

# Per-port rows of the dashboard: port service and the eight counts.
screen_ports()
{
	screen | awk '/^PORT +SERVICE/ { on = 1; next }
		on && /^[0-9]+\/(tcp|udp|sctp) / { print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10; next }
		on { exit }'
}

# The same rows from the text report.
text_ports()
{
	"$bin" -q --no-tui "$@" 2>/dev/null | awk '/^Per port:/ { on = 1; next }
		on && /^  PORT/ { next }
		on && /^  [0-9]+\/(tcp|udp|sctp) / { print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10; next }
		on { exit }'
}

shown_ports()
{
	screen | sed -n 's/^[> ] Ports  \([0-9]*\).*/\1/p' | head -1
}

# ---- every capture: the per-port numbers, and q -------------------------------
pane 120 40 || {
	fail "cannot start tmux"
	exit 1
}
n_caps=0
for f in pcaps/*.pcap pcaps/*.pcapng; do
	[ -e "$f" ] || continue
	n_caps=$((n_caps + 1))
	name=$(basename "$f")
	text_ports -r "$f" >"$tmp/text"
	run "'$bin' -q -r '$f' --tui"
	if ! wait_for 'REPLAY DONE' 10; then
		fail "$name: the replay did not reach its final state"
		screen | sed 's/^/    /' | head -12
		keys q
		restored >/dev/null
		continue
	fi
	screen_ports >"$tmp/screen"
	if [ "$(wc -l <"$tmp/screen")" != "$(shown_ports)" ]; then
		fail "$name: the ports panel shows $(wc -l <"$tmp/screen") of $(shown_ports) rows"
	elif diff -u "$tmp/text" "$tmp/screen" >"$tmp/diff"; then
		pass "$name: per-port numbers equal the text report ($(wc -l <"$tmp/text") ports)"
	else
		fail "$name: per-port numbers differ from the text report"
		sed 's/^/    /' "$tmp/diff"
	fi
	keys q
	if restored; then
		pass "$name: q exits and restores the terminal"
	else
		fail "$name: q did not restore the terminal"
	fi
done
[ $n_caps -gt 0 ] || fail "no capture in pcaps/"

# ---- the dashboard fed by a judge thread (--threads 2 --judge-thread) ------------
# The judge thread writes the dashboard's model while the reading thread
# draws it (under the output lock): the same numbers, and q still works.
all_caps=()
for f in pcaps/*.pcap pcaps/*.pcapng; do all_caps+=(-r "$f"); done
text_ports "${all_caps[@]}" >"$tmp/text"
run "'$bin' -q ${all_caps[*]} --threads 2 --judge-thread --tui"
if wait_for 'REPLAY DONE' 20; then
	# All the ports are counted in the panel's title; the rows that fit
	# are the text report's first ones.
	screen_ports >"$tmp/screen"
	head -n "$(wc -l <"$tmp/screen")" "$tmp/text" >"$tmp/text_top"
	if [ "$(shown_ports)" != "$(wc -l <"$tmp/text")" ] || [ ! -s "$tmp/screen" ]; then
		fail "--threads 2 --judge-thread: the panel counts $(shown_ports) ports, the text report $(wc -l <"$tmp/text")"
	elif diff -u "$tmp/text_top" "$tmp/screen" >"$tmp/diff"; then
		pass "--threads 2 --judge-thread: per-port numbers of all captures equal the text report ($(wc -l <"$tmp/screen") of $(wc -l <"$tmp/text") ports shown)"
	else
		fail "--threads 2 --judge-thread: per-port numbers differ from the text report"
		sed 's/^/    /' "$tmp/diff"
	fi
else
	fail "--threads 2 --judge-thread: the replay did not reach its final state"
	screen | sed 's/^/    /' | head -12
fi
keys q
if restored; then
	pass "--threads 2 --judge-thread: q exits and restores the terminal"
else
	fail "--threads 2 --judge-thread: q did not restore the terminal"
fi

# ---- the richest capture, key by key ---------------------------------------------
rich=pcaps/mixed-mail.pcapng
pane 120 40
run "'$bin' -q -r $rich --tui"
if wait_for 'REPLAY DONE' 10; then
	pass "mixed-mail: the replay stays open on its final state"
else
	fail "mixed-mail: no final state"
fi
screen >"$tmp/rich"
if grep -qE '^[0-9:]{8} .*~ cleartext/not-offered' "$tmp/rich"; then
	pass "mixed-mail: the cleartext session is flagged with ~"
else
	fail "mixed-mail: no flagged cleartext session"
fi
if grep -qE '^[0-9:]{8} .*\+ starttls +1\.3' "$tmp/rich"; then
	pass "mixed-mail: starttls sessions carry + and their TLS version"
else
	fail "mixed-mail: no + starttls row with its TLS version"
fi
if grep -q 'Sessions  6 shown / 6 seen' "$tmp/rich" && grep -q 'auth-offered-in-cleartext' "$tmp/rich"; then
	pass "mixed-mail: sessions and alerts panels are filled"
else
	fail "mixed-mail: sessions or alerts panel wrong"
fi

keys / p o r t : 4 6 5 Enter
screen >"$tmp/filtered"
rows=$(grep -cE '^[0-9:]{8} ' "$tmp/filtered")
if grep -q 'Sessions  1 shown / 6 seen.*filter: port:465' "$tmp/filtered" && [ "$rows" = 1 ] &&
	grep -qE '^[0-9:]{8} .*127\.0\.0\.1:465 ' "$tmp/filtered"; then
	pass "filter: / port:465 narrows the list to the one session"
else
	fail "filter: / port:465 did not narrow the list ($rows rows)"
fi
keys Escape
if screen | grep -q 'Sessions  6 shown / 6 seen'; then
	pass "filter: Esc clears it"
else
	fail "filter: Esc did not clear it"
fi

keys / p o p 3 Enter Enter
screen >"$tmp/detail"
if grep -q 'Details: session #' "$tmp/detail" && grep -q 'version       TLSv1.3' "$tmp/detail" &&
	grep -qE 'capabilities  .*STLS' "$tmp/detail" && grep -q 'accepted: "+OK' "$tmp/detail"; then
	pass "detail: Enter shows the TLS version, capability keywords and the upgrade answer"
else
	fail "detail: Enter did not show the session's details"
	sed 's/^/    /' "$tmp/detail" | head -30
fi
keys Escape Escape
keys f
if screen | grep -q 'Sessions  3 shown / 6 seen.*problems only'; then
	pass "f: problems only keeps the 2 cleartext sessions and the one with an alert"
else
	fail "f: problems only"
	screen | grep Sessions
fi
keys f s
if screen | grep -q 'sort: start time'; then
	pass "s: the sort cycles to start time"
else
	fail "s: no sort change"
fi
keys p
if screen | grep -q 'PAUSED'; then
	pass "p: the display says PAUSED"
else
	fail "p: not paused"
fi
keys p '?'
if screen | grep -q 'Filter words' && screen | grep -q 'Markers'; then
	pass "?: the help screen"
else
	fail "?: no help"
fi
keys Escape Tab Enter
if screen | grep -q 'Details: alert' && screen | grep -q 'Alert  ! low  auth-offered-in-cleartext'; then
	pass "Tab to the alerts, Enter: the alert's details"
else
	fail "alert details"
fi
keys Escape
T resize-window -t tui -x 100 -y 30
sleep 0.5
screen_ports >"$tmp/resized"
text_ports -r "$rich" >"$tmp/text"
if [ "$(screen | wc -l)" = 30 ] && screen | head -1 | grep -q '^ tlswatch  REPLAY DONE' &&
	diff -q "$tmp/text" "$tmp/resized" >/dev/null && screen | tail -1 | grep -q 'q quit'; then
	pass "resize to 100x30 redraws header, ports and key line"
else
	fail "resize did not redraw correctly"
	screen | sed 's/^/    /'
fi
keys q
if restored && screen | grep -q '^Per port:' && ! screen | grep -qE '^#[0-9]+ '; then
	pass "q: terminal restored, the summary printed after the dashboard (no session lines)"
else
	fail "q: terminal or summary wrong after exit"
	screen | sed 's/^/    /' | tail -15
fi

# ---- a login: the secret never appears ------------------------------------------------
login=pcaps/smtp-auth-plain-cleartext.pcap
secret=$("$bin" -q --no-tui --show-secrets -r $login 2>/dev/null | sed -n 's/.* secret=\([^ ]*\) .*/\1/p' | head -1)
pane 120 40
run "'$bin' -q -r $login --tui"
wait_for 'REPLAY DONE' 10
keys Enter
screen >"$tmp/login"
if [ -n "$secret" ] && grep -q 'user=alice secret=\*\*\*\*\*\*\*\* ' "$tmp/login" &&
	! grep -qF -- "$secret" "$tmp/login" && grep -q 'cleartext-login' "$tmp/login"; then
	pass "login: user shown, secret redacted as ********"
else
	fail "login: secret handling (secret='$secret')"
fi
keys q
restored >/dev/null

# ---- 80x24 --------------------------------------------------------------------------
pane 80 24
run "'$bin' -q -r $rich --tui"
wait_for 'REPLAY DONE' 10
screen >"$tmp/small"
screen_ports >"$tmp/small_ports"
text_ports -r "$rich" >"$tmp/text"
if head -1 "$tmp/small" | grep -q 'REPLAY DONE' && diff -q "$tmp/text" "$tmp/small_ports" >/dev/null &&
	grep -qE '~ cleartext' "$tmp/small" && tail -1 "$tmp/small" | grep -q 'q quit' &&
	grep -q 'Alerts  1 shown' "$tmp/small"; then
	pass "80x24: header, every port row, a cleartext session, alerts and the key line fit"
else
	fail "80x24 layout"
	sed 's/^/    /' "$tmp/small"
fi
cp "$tmp/small" "$tmp/screen-80x24.txt"
keys q
restored || fail "80x24: q did not restore the terminal"

# ---- the servers view and the sparkline ---------------------------------------------------
# Per-server rows of the servers view: the first twelve columns (server,
# service, the eight counts, ENC, UPG), in screen order.
screen_servers()
{
	screen | awk '/^SERVER +SERVICE/ { on = 1; next }
		on && /^[0-9\[][^ ]* / { print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12; next }
		on { exit }'
}

text_servers()
{
	"$bin" -q --no-tui "$@" 2>/dev/null | awk '/^Per server:/ { on = 1; next }
		on && /^  SERVER/ { next }
		on && /^  [0-9\[][^ ]* / { print $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12; next }
		on { exit }'
}

# Two captures: six servers over two seconds (two marks of the sparkline).
pane 80 24 LANG=C.UTF-8
run "'$bin' -q -r $rich -r $login --tui"
if wait_for 'REPLAY DONE' 10; then
	spark=$(screen | sed -n 3p)
	if printf '%s\n' "$spark" | grep -qE '^ Encrypted share (▆▁)  last 0%  all 57%  1 s a mark'; then
		pass "sparkline: the encrypted share over time in block characters (UTF-8)"
	else
		fail "sparkline: row 3 is '$spark'"
	fi
	keys v
	if wait_for '^Servers  6, 4 with problems  sort: problems first' 5; then
		screen_servers >"$tmp/servers"
		text_servers -r "$rich" -r "$login" >"$tmp/text_servers"
		if [ -s "$tmp/servers" ] && diff -u <(sort "$tmp/text_servers") <(sort "$tmp/servers") >"$tmp/diff"; then
			pass "servers: v shows every server with the text report's numbers ($(wc -l <"$tmp/servers") servers)"
		else
			fail "servers: rows differ from the text report's Per server table"
			sed 's/^/    /' "$tmp/diff"
		fi
		order=$(awk '{ printf "%s ", $1 }' "$tmp/servers")
		if [ "$order" = "127.0.0.3:587 127.0.0.2:25 127.0.0.1:25 127.0.0.1:110 127.0.0.1:465 127.0.0.1:993 " ]; then
			pass "servers: problems first (cleartext login, never offered, half cleartext, an alert, then clean)"
		else
			fail "servers: order '$order'"
		fi
		if grep -q '^127.0.0.3:587 smtp 1 0 0 1 0 0 0 1 0% yes$' "$tmp/servers" &&
			grep -q '^127.0.0.2:25 smtp 1 0 0 1 0 0 0 0 0% no$' "$tmp/servers" &&
			grep -q '^127.0.0.1:25 smtp 2 0 1 1 0 0 0 0 50% yes$' "$tmp/servers"; then
			pass "servers: the login, the upgrade not offered and the encrypted share are shown"
		else
			fail "servers: known rows missing"
			sed 's/^/    /' "$tmp/servers"
		fi
		if screen | tail -1 | grep -q 'Esc/v back' && screen | grep -q '^ UPG: upgrade offered?'; then
			pass "servers: 80x24 shows the key line and the UPG legend"
		else
			fail "servers: no key line or legend at 80x24"
		fi
	else
		fail "servers: v did not open the servers view"
		screen | sed 's/^/    /'
	fi
	keys s
	if wait_for 'sort: sessions' 5 && [ "$(screen_servers | head -1 | cut -d' ' -f1)" = 127.0.0.1:25 ]; then
		pass "servers: s sorts by sessions"
	else
		fail "servers: s did not sort by sessions"
	fi
	keys Enter
	if wait_for 'Sessions  2 shown / 7 seen.*filter: server:127\.0\.0\.1:25' 5; then
		pass "servers: Enter lists the server's sessions (filter server:127.0.0.1:25)"
	else
		fail "servers: Enter did not filter to the server"
		screen | sed 's/^/    /'
	fi
	keys v
	wait_for '^Servers  6' 5 || fail "servers: v did not open the view again"
	keys Escape
	if wait_for '^  Ports  5' 5 && ! screen | grep -q '^Servers  6'; then
		pass "servers: Esc goes back to the panels"
	else
		fail "servers: Esc did not go back"
	fi
else
	fail "servers: no final state"
fi
keys q
restored || fail "servers: q did not restore the terminal"

# Without a UTF-8 locale the marks are ASCII.
pane 80 24 "-u LANG -u LC_ALL -u LC_CTYPE"
run "'$bin' -q -r $rich -r $login --tui"
if wait_for 'REPLAY DONE' 10 &&
	screen | sed -n 3p | grep -qE '^ Encrypted share \+_  last 0%  all 57%  1 s a mark'; then
	pass "sparkline: ASCII marks without a UTF-8 locale"
else
	fail "sparkline: ASCII fallback: row 3 is '$(screen | sed -n 3p)'"
fi
keys q
restored >/dev/null

# ---- colours and NO_COLOR -------------------------------------------------------------
pane 120 40
run "'$bin' -q -r $rich --tui"
wait_for 'REPLAY DONE' 10
if T capture-pane -e -p -t tui | grep -qE $'\e\\[([0-9;]*;)?3[123]m'; then
	pass "colours: green/yellow/red are used"
else
	fail "colours: no colour escapes seen"
fi
keys q
restored >/dev/null
pane 120 40 NO_COLOR=1
run "'$bin' -q -r $rich --tui"
wait_for 'REPLAY DONE' 10
if ! T capture-pane -e -p -t tui | grep -qE $'\e\\[([0-9;]*;)?3[0-7]m' &&
	screen | grep -q '~ cleartext' && screen | grep -q '+ starttls'; then
	pass "NO_COLOR: no colours, markers still tell the verdicts apart"
else
	fail "NO_COLOR: colours used or markers missing"
fi
keys q
restored >/dev/null

# ---- stopping a slow replay: q, Ctrl-C, SIGTERM -----------------------------------------
for how in q C-c TERM; do
	pane 120 40
	run "'$bin' -q -r $rich --tui --replay-speed 0.02"
	if ! wait_for 'replaying' 5; then
		fail "$how: slow replay did not start"
		continue
	fi
	sleep 0.5
	case $how in
	TERM)
		pid=$(pgrep -P "$(T display -p -t tui '#{pane_pid}')" -f tlswatch | head -1)
		kill -TERM "$pid"
		;;
	*) T send-keys -t tui "$how" ;;
	esac
	if restored && screen | grep -q '^Per port:'; then
		pass "$how during a replay: stops, restores the terminal, prints the summary"
	else
		fail "$how during a replay"
		screen | sed 's/^/    /' | tail -8
	fi
done

# ---- --replay-speed paces the replay ----------------------------------------------------
# mixed-mail spans about 0.46 s of packet time: x0.1 takes about 4.6 s.
pane 120 40
start=$(date +%s.%N)
run "'$bin' -q -r $rich --tui --replay-speed 0.1"
wait_for 'REPLAY DONE' 20
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if awk -v t="$took" 'BEGIN { exit !(t > 3.5 && t < 12) }' && screen | grep -q 'replay x0.1'; then
	pass "--replay-speed 0.1: the replay took $took s at a tenth of the recorded pace"
else
	fail "--replay-speed 0.1 took $took s"
fi
keys q
restored >/dev/null

# ---- a session still open that raised an alert ------------------------------------------
# imap-login-idle cut before its FIN, through a FIFO kept open: the session
# is listed as open, with its alert, before it ends; then its record
# replaces the row.
if tests/e2e/split-at-fin.py pcaps/imap-login-idle.pcap "$tmp/idle1.pcap" "$tmp/idle2.bin" &&
	mkfifo "$tmp/idle.fifo"; then
	exec 8<>"$tmp/idle.fifo"
	pane 120 40
	run "'$bin' -q -r '$tmp/idle.fifo' --tui --idle-timeout 604800 --established-timeout 604800"
	cat "$tmp/idle1.pcap" >&8
	if wait_for 'imap +\? open' 20 && wait_for 'high +cleartext-login' 5; then
		pass "an open session that raised an alert is listed as open, with the alert"
	else
		fail "the open session or its alert is not shown"
		screen | sed 's/^/    /' | tail -12
	fi
	cat "$tmp/idle2.bin" >&8
	exec 8>&-
	if wait_for 'REPLAY DONE' 20 && wait_for 'cleartext/not-requested' 5 &&
		! screen | grep -qE 'imap +\? open'; then
		pass "when it ends, its record replaces the open row"
	else
		fail "the open row is not replaced by the session's record"
		screen | sed 's/^/    /' | tail -12
	fi
	keys q
	restored >/dev/null
else
	fail "cannot cut pcaps/imap-login-idle.pcap"
fi

# ---- mail policies and tunnels ------------------------------------------------------
# send KEY... REGEX: the keys, then until the screen shows REGEX (no fixed
# wait: the dashboard redraws on its own time).
send()
{
	local pat=${*: -1}

	T send-keys -t tui "${@:1:$#-1}"
	wait_for "$pat" 5
}

# A DANE- and MTA-STS-protected MX stripped by the man in the middle
# (tools/record-policy.sh), with the operator's policy (mode enforce).
pol="pcaps/policy-dane-strip.pcap --policy tests/e2e/policy-enforce.list"
pane 120 40
run "'$bin' -q -r $pol --tui"
if wait_for 'REPLAY DONE' 10; then
	screen >"$tmp/policy"
	if sed -n 2p "$tmp/policy" | grep -q '^ !! POLICY VIOLATED: 2 critical (c lists them)'; then
		pass "policy: the header leads with the critical alerts"
	else
		fail "policy: no banner on row 2: '$(sed -n 2p "$tmp/policy")'"
	fi
	if grep -qE '^TIME .* VERDICT +POLICY +TLS' "$tmp/policy" &&
		grep -qE '^[0-9:]{8} .*127\.0\.0\.25:25 +smtp +~ cleartext/not-offered +!! sts\+dane .*!2' "$tmp/policy" &&
		grep -qE '^[0-9:]{8} .*127\.0\.0\.1:25 +smtp +~ cleartext/not-requested *$' "$tmp/policy"; then
		pass "policy: the violating session is flagged !! sts+dane, the other has no flag"
	else
		fail "policy: no POLICY column or flag"
		grep -E '^(TIME|[0-9:]{8}) ' "$tmp/policy" | sed 's/^/    /'
	fi
	if grep -qE '^[0-9:]{8} !! critical +dane-violation +#4 ' "$tmp/policy" &&
		grep -qE '^[0-9:]{8} !! critical +mta-sts-violation +#4 ' "$tmp/policy"; then
		pass "policy: the alerts panel shows !! critical, not cut"
	else
		fail "policy: critical alerts not shown as such"
	fi
	if send c 'Sessions  1 shown / 5 seen.*filter: policy:violated'; then
		pass "c: only the sessions that violated a policy (filter policy:violated)"
	else
		fail "c: no policy:violated filter"
		screen | grep Sessions | sed 's/^/    /'
	fi
	if send Enter 'Mail policy  !! VIOLATED' &&
		screen | grep -q 'domain        tlswatch.test  (learned from file)' &&
		screen | grep -q 'mta-sts       enforce' && screen | grep -q 'dane          TLSA validated'; then
		pass "policy: the detail names the domain, where it was learned, MTA-STS mode and DANE"
	else
		fail "policy: detail without the policy"
		screen | sed 's/^/    /' | head -24
	fi
	send Escape '^> Sessions' >/dev/null
	if send c 'Sessions  5 shown / 5 seen  sort: newest *$'; then
		pass "c again: the filter word goes, the rest of the list comes back"
	else
		fail "c did not toggle the filter off"
	fi
	send / p o r t : 2 5 Enter 'filter: port:25' >/dev/null
	if send c 'filter: port:25 policy:violated' && send c 'filter: port:25 *$'; then
		pass "c keeps the other filter words"
	else
		fail "c with another filter word"
		screen | grep Sessions | sed 's/^/    /'
	fi
	send Escape 'Sessions  5 shown' >/dev/null
	if send v '^Servers  3' &&
		screen | grep -qE '^127\.0\.0\.25:25 +smtp( +[0-9]+){8} +0% +no !!1/1 sts\+dane tlswatch\.test' &&
		[ "$(screen_servers | head -1 | cut -d' ' -f1)" = 127.0.0.25:25 ]; then
		pass "servers: the policy-protected server shows !!1/1 sts+dane tlswatch.test, first"
	else
		fail "servers: no POLICY column"
		screen | sed 's/^/    /' | head -12
	fi
else
	fail "policy: no final state"
fi
T send-keys -t tui q
restored || fail "policy: q did not restore the terminal"

# The same at 80x24 and without colours: the flag and the banner stay.
pane 80 24 NO_COLOR=1
run "'$bin' -q -r $pol --tui"
if wait_for 'REPLAY DONE' 10 && screen | sed -n 2p | grep -q '^ !! POLICY VIOLATED: 2 critical' &&
	screen | grep -qE '^[0-9:]{8} .*~ cleartext/[a-z-]* +!! sts' &&
	screen | grep -qE '^!! critical +dane-violation'; then
	pass "policy: 80x24 without colours keeps the banner, the !! flag and the critical alerts"
else
	fail "policy: 80x24 without colours"
	screen | sed 's/^/    /'
fi
T send-keys -t tui q
restored || fail "policy 80x24: q did not restore the terminal"

# A real VXLAN capture: the TUNNEL column and the chain in the detail.
pane 120 40
run "'$bin' -q -r pcaps/tunnel-vxlan-smtp.pcap -r pcaps/smtp-starttls-tls13.pcap --tui"
if wait_for 'REPLAY DONE' 10; then
	screen >"$tmp/tunnel"
	if grep -qE '^TIME .* A +TUNNEL *$' "$tmp/tunnel" &&
		[ "$(grep -cE '^[0-9:]{8} .*192\.0\.2\.1:25 .* vxlan *$' "$tmp/tunnel")" = 2 ] &&
		grep -qE '^[0-9:]{8} .*127\.0\.0\.1:25 .*1\.3 *$' "$tmp/tunnel"; then
		pass "tunnel: the TUNNEL column names vxlan on the tunnelled sessions only"
	else
		fail "tunnel: no TUNNEL column"
		grep -E '^(TIME|[0-9:]{8}) ' "$tmp/tunnel" | sed 's/^/    /'
	fi
	if send / t u n n e l : v x l a n Enter 'Sessions  2 shown / 3 seen.*filter: tunnel:vxlan' &&
		send Enter 'tunnel        vxlan  \(outermost first\)'; then
		pass "tunnel: / tunnel:vxlan lists them, the detail shows the tunnel chain"
	else
		fail "tunnel: filter or detail"
		screen | sed 's/^/    /' | head -20
	fi
	send Escape 'Sessions  3 shown' >/dev/null
	if send v '^Servers  2' && screen | grep -qE '^SERVER .* UPG +TUNNEL' &&
		screen | grep -qE '^192\.0\.2\.1:25 +smtp( +[0-9]+){8} +[0-9]+% +yes +vxlan 2/2' &&
		screen | grep -qE '^127\.0\.0\.1:25 +smtp( +[0-9]+){8} +100% +yes +(\[|$)'; then
		pass "tunnel: the servers view's TUNNEL column says vxlan 2/2 on the tunnelled server only"
	else
		fail "tunnel: no TUNNEL column in the servers view"
		screen | sed 's/^/    /' | head -12
	fi
else
	fail "tunnel: no final state"
fi
T send-keys -t tui q
restored || fail "tunnel: q did not restore the terminal"

# Without policy or tunnel the columns are not there.
if ! grep -qE 'POLICY|TUNNEL' "$tmp/rich"; then
	pass "no POLICY or TUNNEL column when no session has one"
else
	fail "POLICY or TUNNEL column on mixed-mail"
fi

# ---- no terminal ------------------------------------------------------------------------
"$bin" -q -r $rich --tui >"$tmp/out" 2>"$tmp/err"
if grep -q 'stdout is not a terminal; using the text report' "$tmp/err" &&
	grep -qE '^#1 ' "$tmp/out" && grep -q '^Per port:' "$tmp/out"; then
	pass "--tui without a terminal: a warning and the text report"
else
	fail "--tui without a terminal"
fi
"$bin" -q -r $rich --tui --json - >"$tmp/out" 2>"$tmp/err"
if grep -q 'stdout carries the JSON Lines' "$tmp/err" && grep -q '"type":"session"' "$tmp/out"; then
	pass "--tui with --json -: a warning and the JSON Lines"
else
	fail "--tui with --json -"
fi

echo "tui: $passes passed, $fails failed"
[ $fails -eq 0 ]

#!/usr/bin/env bash
# End-to-end checks of --json redis://... --json-spool DIR against a real
# redis-server (started here inside a network namespace of the test's own,
# on its loopback: nothing outside the namespace is touched):
#   (a) Redis down for a whole run: exit status 2 as without a spool, every
#       record in the spool (the lines --json - prints) and counted; then,
#       Redis up, a second run over another capture sends the spooled
#       records first: the list holds exactly run one's records followed by
#       run two's, in order, none twice; an incomplete last line left in a
#       spool file (a crash in the middle of a write) is skipped and
#       counted, never sent; the delivered spool files are gone;
#   (b) Redis killed and restarted in the middle of a run: the records made
#       while it was down go to the spool and reach Redis after the restart,
#       before the newer ones; none lost (everything made is in Redis,
#       every record spooled was replayed);
#   (c) a spool directory writable by others, owned by another user, or a
#       symlink is refused with exit status 2, before anything is read;
#       --json-spool without --json redis:// is a usage error;
#   (e) Redis refusing writes with OOM (maxmemory): the records are kept in
#       the spool, not dropped, and sent once it takes writes again;
#   (h) a spool file that is not read (another user's: set aside) is left
#       in place, counted in json_spool_skipped_files and named, and the
#       exit status is 2 although everything else was delivered;
#   (d) past --json-spool-max the records are dropped and counted: spooled
#       and dropped add up to every record, the spool stays under its bound;
#   (f) a full disk (a small tmpfs): failed writes are counted and said, and
#       the files hold whole lines only;
#   (g) -Z nobody on a live interface: the spool is opened (made) before
#       the drop and written after it, nobody's files 0600; replayed by
#       the next run; a spool directory nobody could not write is refused.
#   spool.sh BINARY TMPDIR
set -u
bin=$1 tmp=$2/spool
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
pass=0 fails=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL spool: $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/  /' "$f" | head -20; done
	fails=$((fails + 1))
}
done_() {
	echo "spool: $pass passed, $fails failed"
	[ "$fails" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ] || ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null ||
	! command -v python3 >/dev/null; then
	echo "spool: skipped (needs root for a network namespace, redis-server, redis-tools, python3)"
	exit 0
fi
rm -rf "$tmp"
mkdir -p "$tmp"
chmod 700 "$tmp"
ns=tlsw-spool-$$
port=6398
redis_pid=
tw_pid=
cleanup() {
	for p in $tw_pid $redis_pid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
. "$here/redis-lib.sh"
redis_ns_up spool

smtp=$top/pcaps/smtp-auth-plain-cleartext.pcap
imap=$top/pcaps/imap-login.pcap
# stat NAME FILE: a counter of --stats.
stat_() { sed -n "s/^  $1  *\([0-9][0-9]*\)$/\1/p" "$2"; }
# The records of the spool files, oldest first.
spooled() { cat "$1"/spool-*.jsonl 2>/dev/null; }
# same A B: the two files hold the same JSON records, in the same order.
same() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
b = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
sys.exit(0 if a and a == b else 1)
EOF
}

# --- (a) Redis down for a whole run, then a second run delivers -------------
"$bin" -r "$smtp" --json - >"$tmp/a1.want" 2>/dev/null
"$bin" -r "$imap" --json - >"$tmp/a2.want" 2>/dev/null
n1=$(wc -l <"$tmp/a1.want")
N "$bin" -r "$smtp" --json "redis://127.0.0.1:$port/tw-a" --json-spool "$tmp/sa" --stats \
	>/dev/null 2>"$tmp/a1.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "kept in --json-spool $tmp/sa" "$tmp/a1.err" &&
	[ "$(stat_ json_spooled "$tmp/a1.err")" = "$n1" ] && [ "$(stat_ redis_sent "$tmp/a1.err")" = 0 ] &&
	[ "$(stat_ json_spool_dropped "$tmp/a1.err")" = 0 ] &&
	spooled "$tmp/sa" >"$tmp/a1.got" && cmp -s "$tmp/a1.want" "$tmp/a1.got" &&
	[ "$(stat -c %a "$tmp/sa")" = 700 ] && [ "$(stat -c %a "$tmp"/sa/spool-*.jsonl)" = 600 ]; then ok; else
	bad "(a) Redis down: exit $rc; want 2, the $n1 records in the spool (0600) and counted" "$tmp/a1.err"
fi
# A crash in the middle of a write leaves an incomplete last line.
printf '{"type":"session","cut short' >>"$(ls "$tmp"/sa/spool-*.jsonl | tail -n 1)"
start_redis
N "$bin" -r "$imap" --json "redis://127.0.0.1:$port/tw-a" --json-spool "$tmp/sa" --stats \
	>/dev/null 2>"$tmp/a2.err"
rc=$?
cli LRANGE tw-a 0 -1 >"$tmp/a.got"
cat "$tmp/a1.want" "$tmp/a2.want" >"$tmp/a.want"
if [ $rc -eq 0 ] && same "$tmp/a.want" "$tmp/a.got" && cmp -s "$tmp/a.want" "$tmp/a.got" &&
	[ "$(stat_ json_replayed "$tmp/a2.err")" = "$n1" ] &&
	[ "$(stat_ json_spool_partial "$tmp/a2.err")" = 1 ] &&
	[ "$(stat_ redis_sent "$tmp/a2.err")" = "$(wc -l <"$tmp/a.want")" ] &&
	[ -z "$(ls "$tmp/sa")" ] && ! grep -q 'cut short' "$tmp/a.got"; then ok; else
	bad "(a) second run: exit $rc; want run one's records then run two's, once each, the cut line skipped, the spool empty" \
		"$tmp/a2.err"
	diff "$tmp/a.want" "$tmp/a.got" | head -5
	ls -l "$tmp/sa"
fi

# --- (b) Redis killed and restarted in the middle of a run ------------------
# The first capture's records reach Redis; Redis goes; the second capture's
# session records go to the spool; Redis comes back (empty: no persistence)
# and gets them, then the closing records.
mkfifo "$tmp/fifo"
python3 - "$imap" "$tmp/part2" <<'EOF'
import sys
open(sys.argv[2], "wb").write(open(sys.argv[1], "rb").read()[24:])  # packets only
EOF
types='"type":"(session|alert)"'
p1=$(grep -cE "$types" "$tmp/a1.want")
p2=$(grep -cE "$types" "$tmp/a2.want")
cli DEL tw-b >/dev/null
ip netns exec "$ns" "$bin" -r "$tmp/fifo" --stats --json "redis://127.0.0.1:$port/tw-b" \
	--json-spool "$tmp/sb" >/dev/null 2>"$tmp/b.err" &
tw_pid=$!
# Read-write: the open never waits for a reader (a tlswatch that refused
# its options must fail the test, not hang it).
exec 3<>"$tmp/fifo"
cat "$smtp" >&3
wait_until '[ "$(cli LLEN tw-b)" -ge "$p1" ]' 150 || bad "(b) the first capture's records did not reach Redis"
cli LRANGE tw-b 0 -1 >"$tmp/b.got"
stop_redis
cat "$tmp/part2" >&3
wait_until '[ "$(spooled "$tmp/sb" | wc -l)" -ge "$p2" ]' 150 ||
	bad "(b) the second capture's records did not reach the spool while Redis was down" "$tmp/b.err"
[ -e "$tmp/sb" ] || { exec 3>&-; kill "$tw_pid" 2>/dev/null; }
start_redis
exec 3>&-
wait "$tw_pid"
rc=$?
tw_pid=
cli LRANGE tw-b 0 -1 >>"$tmp/b.got"
"$bin" -r "$smtp" -r "$imap" --json - 2>/dev/null >"$tmp/b.all"
sessions() { grep -E "$types" "$1" | sed -E 's/,"file":"[^"]*"//'; }
spooled_n=$(stat_ json_spooled "$tmp/b.err")
if [ $rc -eq 0 ] && cmp -s <(sessions "$tmp/b.all") <(sessions "$tmp/b.got") &&
	[ "$(wc -l <"$tmp/b.all")" = "$(wc -l <"$tmp/b.got")" ] &&
	[ "${spooled_n:-0}" -ge "$p2" ] && [ "$(stat_ json_replayed "$tmp/b.err")" = "$spooled_n" ] &&
	[ "$(stat_ redis_sent "$tmp/b.err")" = "$(wc -l <"$tmp/b.all")" ] &&
	[ "$(stat_ json_spool_dropped "$tmp/b.err")" = 0 ] && [ -z "$(ls "$tmp/sb")" ]; then ok; else
	bad "(b) restart: exit $rc; want every record in Redis, sessions in order, all spooled ones replayed" "$tmp/b.err"
	diff <(sessions "$tmp/b.all") <(sessions "$tmp/b.got") | head -5
fi
echo "spool (b): $(grep -E '^  (redis_|json_)' "$tmp/b.err" | tr -s ' ' | tr '\n' ' ')"

# --- (c) unsafe spool directories are refused --------------------------------
refused() { # refused WHAT DIR PATTERN
	"$bin" -r "$smtp" --json "redis://127.0.0.1:$port/tw-c" --json-spool "$2" >/dev/null 2>"$tmp/c.err"
	local rc=$?
	if [ $rc -eq 2 ] && grep -q -- "--json-spool $2: .*$3" "$tmp/c.err" && [ "$(cli LLEN tw-c)" = 0 ]; then ok; else
		bad "(c) $1: exit $rc, want 2 and '$3'" "$tmp/c.err"
	fi
}
mkdir -m 777 "$tmp/open"
refused "a directory writable by others" "$tmp/open" "writable by others"
mkdir -m 700 "$tmp/real"
ln -s "$tmp/real" "$tmp/link"
refused "a symlink" "$tmp/link" "symlink"
mkdir -m 700 "$tmp/theirs"
chown nobody "$tmp/theirs"
refused "another user's directory" "$tmp/theirs" "owned by another user"
"$bin" -r "$smtp" --json - --json-spool "$tmp/real" >/dev/null 2>"$tmp/c.err"
rc=$?
if [ $rc -eq 2 ] && grep -q -- "--json-spool keeps what --json redis://" "$tmp/c.err"; then ok; else
	bad "(c) --json-spool without --json redis://: exit $rc, want a usage error" "$tmp/c.err"
fi

# --- (e) Redis answering "not now" (OOM) --------------------------------------
# Past maxmemory Redis refuses every write with OOM: the records wait in the
# spool (not dropped as refused) and go once it takes writes again.
cli DEL tw-e >/dev/null
cli CONFIG SET maxmemory 1 >/dev/null
rm -f "$tmp/fifo"
mkfifo "$tmp/fifo"
ip netns exec "$ns" "$bin" -r "$tmp/fifo" --stats --json "redis://127.0.0.1:$port/tw-e" \
	--json-spool "$tmp/se" >/dev/null 2>"$tmp/e.err" &
tw_pid=$!
exec 3<>"$tmp/fifo"
cat "$smtp" >&3
wait_until '[ "$(spooled "$tmp/se" | wc -l)" -ge "$p1" ]' 150 ||
	bad "(e) the records refused with OOM did not reach the spool" "$tmp/e.err"
n_oom=$(cli LLEN tw-e)
cli CONFIG SET maxmemory 0 >/dev/null
exec 3>&-
wait "$tw_pid"
rc=$?
tw_pid=
cli LRANGE tw-e 0 -1 >"$tmp/e.got"
if [ $rc -eq 0 ] && [ "$n_oom" = 0 ] && cmp -s <(sessions "$tmp/a1.want") <(sessions "$tmp/e.got") &&
	[ "$(wc -l <"$tmp/e.got")" = "$n1" ] && [ "$(stat_ redis_dropped "$tmp/e.err")" = 0 ] &&
	[ "$(stat_ json_replayed "$tmp/e.err")" = "$(stat_ json_spooled "$tmp/e.err")" ] &&
	[ "$(stat_ json_spooled "$tmp/e.err")" -ge "$p1" ] && [ "$(stat_ redis_errors "$tmp/e.err")" -ge 1 ]; then ok; else
	bad "(e) OOM: exit $rc, $n_oom records taken while refusing; want all $n1 records after, none dropped" "$tmp/e.err"
fi
echo "spool (e): $(grep -E '^  (redis_|json_)' "$tmp/e.err" | tr -s ' ' | tr '\n' ' ')"

# --- (h) a spool file set aside ------------------------------------------------
# Another user's file under a spool name is not read: its records are not
# delivered, and the run must not look clean.
mkdir -m 700 "$tmp/sh"
aside=spool-00000000000000000001.jsonl
head -n 3 "$tmp/a1.want" >"$tmp/sh/$aside"
chown nobody "$tmp/sh/$aside"
cli DEL tw-h >/dev/null
N "$bin" -r "$smtp" --json "redis://127.0.0.1:$port/tw-h" --json-spool "$tmp/sh" --stats \
	>/dev/null 2>"$tmp/h.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(stat_ json_spool_skipped_files "$tmp/h.err")" = 1 ] &&
	grep -q -- "--json-spool $tmp/sh: 1 spool file set aside.*$aside" "$tmp/h.err" &&
	[ "$(cli LLEN tw-h)" = "$n1" ] && [ "$(wc -l <"$tmp/sh/$aside")" = 3 ] &&
	[ "$(stat -c %U "$tmp/sh/$aside")" = nobody ]; then ok; else
	bad "(h) a file set aside: exit $rc; want 2, json_spool_skipped_files 1, the file named and left in place" "$tmp/h.err"
fi

# --- (d) the size bound ------------------------------------------------------
stop_redis
"$bin" -r "$top"/pcaps/downgrade-*.pcap --json - 2>/dev/null >"$tmp/d.want"
nd=$(wc -l <"$tmp/d.want")
N "$bin" -r "$top"/pcaps/downgrade-*.pcap --json "redis://127.0.0.1:$port/tw-d" \
	--json-spool "$tmp/sd" --json-spool-max 64K --stats >/dev/null 2>"$tmp/d.err"
rc=$?
sp=$(stat_ json_spooled "$tmp/d.err")
dr=$(stat_ json_spool_dropped "$tmp/d.err")
size=$(cat "$tmp"/sd/spool-*.jsonl | wc -c)
if [ $rc -eq 2 ] && [ "${dr:-0}" -gt 0 ] && [ "${sp:-0}" -gt 0 ] && [ $((sp + dr)) = "$nd" ] &&
	[ "$size" -le 65536 ] && [ "$(stat_ json_spool_bytes "$tmp/d.err")" = "$size" ] &&
	[ "$(spooled "$tmp/sd" | wc -l)" = "$sp" ] && grep -q "$dr records not delivered" "$tmp/d.err"; then ok; else
	bad "(d) size bound: exit $rc, spooled $sp + dropped $dr of $nd records, $size bytes (at most 65536)" "$tmp/d.err"
fi
echo "spool (d): $nd records: json_spooled $sp, json_spool_dropped $dr, $size bytes in the spool"

# --- (f) a full disk -----------------------------------------------------------
# whole_lines FILE...: every file ends with a newline, every line is JSON.
whole_lines() {
	python3 - "$@" <<'EOF'
import json, sys
for name in sys.argv[1:]:
    data = open(name, "rb").read()
    if not data.endswith(b"\n"):
        sys.exit(1)
    for line in data.splitlines():
        json.loads(line)
EOF
}
# The spool on a 16 KiB tmpfs, mounted in a mount namespace of its own (gone
# with it): the failed writes are counted and said, and every file left
# holds whole lines only.
mkdir -m 700 "$tmp/full" "$tmp/full.copy"
N unshare -m --propagation private sh -c '
	dir=$1
	mount -t tmpfs -o size=16k,mode=0700 tlsw-spool "$dir" || exit 99
	shift
	"$@"
	rc=$?
	cp -p "$dir"/spool-*.jsonl "$dir.copy"/ 2>/dev/null
	exit $rc' sh "$tmp/full" "$bin" -r "$top"/pcaps/downgrade-*.pcap --json "redis://127.0.0.1:$port/tw-f" \
	--json-spool "$tmp/full" --stats >/dev/null 2>"$tmp/f.err"
rc=$?
sp=$(stat_ json_spooled "$tmp/f.err")
dr=$(stat_ json_spool_dropped "$tmp/f.err")
if [ $rc = 99 ]; then
	echo "spool (f): skipped (cannot mount a tmpfs)"
elif [ $rc -eq 2 ] && [ "${dr:-0}" -gt 0 ] && [ $((sp + dr)) = "$nd" ] &&
	[ "$(stat_ json_spool_errors "$tmp/f.err")" -gt 0 ] &&
	grep -q -- "--json-spool $tmp/full: write: No space left on device" "$tmp/f.err" &&
	[ "$(cat "$tmp"/full.copy/spool-*.jsonl | wc -l)" = "$sp" ] &&
	whole_lines "$tmp"/full.copy/spool-*.jsonl; then ok; else
	bad "(f) full disk: exit $rc, spooled $sp + dropped $dr of $nd; want the failed writes counted and said, whole lines only" "$tmp/f.err"
fi
echo "spool (f): $(grep -E '^  json_' "$tmp/f.err" | tr -s ' ' | tr '\n' ' ')"

# --- (g) -Z: the spool is written after privileges are dropped ----------------
# A live run on the namespace's loopback as nobody, Redis down: the spool
# directory (made now) is nobody's and so are its files, 0600; a second run
# as nobody, Redis up, replays them and removes them. A directory of root's
# that nobody could not write is refused at start.
# live NAME ARGS...: -i lo -Z nobody until "listening on lo", then SIGINT.
live() {
	local name=$1 pid
	shift
	ip netns exec "$ns" "$bin" -i lo --no-tui -Z nobody --stats "$@" >/dev/null 2>"$tmp/$name.err" &
	pid=$!
	tw_pid=$pid
	wait_until 'grep -q "listening on lo" "$tmp/$name.err" || ! kill -0 $pid 2>/dev/null' 100
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	tw_pid=
}
if id nobody >/dev/null 2>&1; then
	stop_redis
	live g1 --json "redis://127.0.0.1:$port/tw-g" --json-spool "$tmp/sg"
	n_g=$(stat_ json_spooled "$tmp/g1.err")
	if [ $rc -eq 2 ] && [ "$(stat -c %U:%a "$tmp/sg")" = nobody:700 ] && [ "${n_g:-0}" -gt 0 ] &&
		[ "$(stat -c %U:%a "$tmp"/sg/spool-*.jsonl)" = nobody:600 ] &&
		[ "$(spooled "$tmp/sg" | wc -l)" = "$n_g" ]; then ok; else
		bad "(g) -Z nobody, Redis down: exit $rc; want the spool and its files nobody's, 0700 and 0600" "$tmp/g1.err"
		ls -la "$tmp/sg"
	fi
	start_redis
	live g2 --json "redis://127.0.0.1:$port/tw-g" --json-spool "$tmp/sg"
	if [ $rc -eq 0 ] && [ "$(stat_ json_replayed "$tmp/g2.err")" = "$n_g" ] && [ -z "$(ls "$tmp/sg")" ] &&
		[ "$(cli LLEN tw-g)" = "$(stat_ redis_sent "$tmp/g2.err")" ]; then ok; else
		bad "(g) -Z nobody, Redis up: exit $rc; want the $n_g spooled records replayed, the files gone" "$tmp/g2.err"
	fi
	mkdir -m 700 "$tmp/rootdir"
	live g3 --json "redis://127.0.0.1:$port/tw-g" --json-spool "$tmp/rootdir"
	if [ $rc -eq 2 ] && grep -q -- "--json-spool $tmp/rootdir: .*chown the directory" "$tmp/g3.err" &&
		! grep -q "listening on" "$tmp/g3.err"; then ok; else
		bad "(g) -Z nobody with root's spool directory: exit $rc, want 2 at start" "$tmp/g3.err"
	fi
fi
done_

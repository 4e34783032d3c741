#!/usr/bin/env bash
# tests/e2e/tunnels.sh — traffic inside tunnels is judged as on the wire.
#
#   tests/e2e/tunnels.sh BINARY TMPDIR
#
# 1. Each pcaps/tunnel-*-smtp-generated.pcap is pcaps/smtp-starttls-tls13.pcap
#    wrapped by tools/tunnel-encap.py: its session record must be the
#    untunnelled one's, field for field (verdict, TLS facts, packets, bytes,
#    flow ids), plus "tunnel" naming the encapsulation; the same with
#    --threads 2. The original and its ERSPAN mirror merged in one capture
#    are one session.
# 2. Broken tunnels are counted, never lost: VXLAN without its I flag
#    (tunnel_malformed, tunnel_vxlan_errors), Geneve cut inside its header
#    (tunnel_truncated), GRE nested five deep (tunnel_too_deep), all in the
#    --stats report and the JSON stats record.
set -u
bin=${1:?usage: tunnels.sh BINARY TMPDIR}
tmp=${2:?usage: tunnels.sh BINARY TMPDIR}/tunnels
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
encap=$top/tools/tunnel-encap.py
case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac
fail=0
mkdir -p "$tmp"

say_fail()
{
	echo "FAIL tunnels: $*"
	fail=1
}

# The session records of a capture, without what names the file.
sessions()
{
	(cd "$top" && "$bin" -q -r "$1" --json - "${@:2}") | grep '"type":"session"' |
		sed 's/,"file":"[^"]*"//'
}

plain=$(sessions pcaps/smtp-starttls-tls13.pcap)
[ -n "$plain" ] || say_fail "no session in smtp-starttls-tls13.pcap"
for f in "$top"/pcaps/tunnel-*-smtp-generated.pcap; do
	name=$(basename "$f")
	kind=${name#tunnel-}
	kind=${kind%-smtp-generated.pcap}
	case "$kind" in
	gretap) want=gre ;;
	erspan*) want=erspan ;;
	mpls-pw) want=mpls ;;
	*) want=$kind ;;
	esac
	for threads in 1 2; do
		got=$(sessions "pcaps/$name" --threads "$threads")
		grep -q "\"tunnel\":\"$want\"" <<<"$got" ||
			say_fail "$name (--threads $threads): no \"tunnel\":\"$want\" in $got"
		if [ "$(sed "s/,\"tunnel\":\"$want\"//" <<<"$got")" != "$plain" ]; then
			say_fail "$name (--threads $threads): the session differs from the untunnelled one"
			diff <(echo "$plain" | tr ',' '\n') <(echo "$got" | tr ',' '\n') | head -10
		fi
	done
	"$bin" -q -r "$f" | grep -q "tunnel=$want" || say_fail "$name: the text report does not say tunnel=$want"
done

# A tap that sees a conversation and its ERSPAN mirror: one session (the
# inner 5-tuple is the key), the copies are retransmissions, same verdict.
if command -v mergecap >/dev/null; then
	mergecap -w "$tmp/mirror.pcap" "$top/pcaps/smtp-starttls-tls13.pcap" \
		"$top/pcaps/tunnel-erspan2-smtp-generated.pcap"
	"$bin" -q -r "$tmp/mirror.pcap" --stats >"$tmp/mirror.out" 2>"$tmp/mirror.stats" ||
		say_fail "mirror: exit $?"
	[ "$(grep -c '^#' "$tmp/mirror.out")" = 1 ] || say_fail "original + mirror: not one session"
	grep -q 'smtp  starttls' "$tmp/mirror.out" || say_fail "original + mirror: not starttls"
	[ "$(awk '$1 == "sessions" { print $2 }' "$tmp/mirror.stats")" = 1 ] ||
		say_fail "original + mirror: sessions counter is not 1"
else
	say_fail "mergecap (tshark's package) is not installed"
fi

# A counter's value in --stats output: stat FILE NAME
stat()
{
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

# Rewrites every frame of a pcap with a Python expression over `f` (bytes).
rewrite()
{
	python3 - "$1" "$2" "$3" <<'EOF'
import struct, sys
src, dst, expr = sys.argv[1:]
d = open(src, "rb").read()
out, off = [d[:24]], 24
while off + 16 <= len(d):
    sec, frac, incl, orig = struct.unpack("<IIII", d[off:off + 16])
    f = d[off + 16:off + 16 + incl]
    off += 16 + incl
    f = eval(expr)
    out.append(struct.pack("<IIII", sec, frac, len(f), orig) + f)
open(dst, "wb").write(b"".join(out))
EOF
}

src=$top/pcaps/smtp-starttls-tls13.pcap
n=$(python3 -c "import sys; d=open(sys.argv[1],'rb').read(); o=24; c=0
while o+16<=len(d): c+=1; o+=16+int.from_bytes(d[o+8:o+12],'little')
print(c)" "$src")

# VXLAN without the I flag: byte 14 + 20 + 8 is the flags.
python3 "$encap" vxlan "$src" "$tmp/vx.pcap"
rewrite "$tmp/vx.pcap" "$tmp/vx-noflag.pcap" 'f[:42] + b"\0" + f[43:]'
"$bin" -q -r "$tmp/vx-noflag.pcap" --stats >"$tmp/out" 2>"$tmp/stats" || say_fail "vx-noflag: exit $?"
[ "$(stat "$tmp/stats" tunnel_malformed)" = "$n" ] ||
	say_fail "VXLAN without I flag: tunnel_malformed=$(stat "$tmp/stats" tunnel_malformed), want $n"
[ "$(stat "$tmp/stats" tunnel_vxlan_errors)" = "$n" ] ||
	say_fail "VXLAN without I flag: tunnel_vxlan_errors=$(stat "$tmp/stats" tunnel_vxlan_errors), want $n"
grep -q '^#' "$tmp/out" && say_fail "VXLAN without I flag: a session was reported"
(cd "$tmp" && "$bin" -q -r vx-noflag.pcap --json -) | grep '"type":"stats"' |
	grep -q "\"tunnel_malformed\":$n,.*\"tunnel_vxlan_errors\":$n" ||
	say_fail "VXLAN without I flag: not in the JSON stats record"

# Geneve cut inside its options (the capture's snapshot, not the packet).
python3 "$encap" geneve "$src" "$tmp/gn.pcap"
rewrite "$tmp/gn.pcap" "$tmp/gn-cut.pcap" 'f[:14 + 20 + 8 + 10]'
"$bin" -q -r "$tmp/gn-cut.pcap" --stats >/dev/null 2>"$tmp/stats" || say_fail "gn-cut: exit $?"
[ "$(stat "$tmp/stats" tunnel_truncated)" = "$n" ] ||
	say_fail "Geneve cut: tunnel_truncated=$(stat "$tmp/stats" tunnel_truncated), want $n"
[ "$(stat "$tmp/stats" tunnel_geneve_errors)" = "$n" ] ||
	say_fail "Geneve cut: tunnel_geneve_errors=$(stat "$tmp/stats" tunnel_geneve_errors), want $n"

# GRE in GRE, five deep: one past the limit of four.
cp "$src" "$tmp/nest0.pcap"
for i in 1 2 3 4 5; do
	python3 "$encap" gre "$tmp/nest$((i - 1)).pcap" "$tmp/nest$i.pcap"
done
"$bin" -q -r "$tmp/nest4.pcap" --stats >"$tmp/out4" 2>"$tmp/stats" || say_fail "nest4: exit $?"
grep -q "tunnel=gre/gre/gre/gre" "$tmp/out4" || say_fail "four GRE levels: not decoded"
[ "$(stat "$tmp/stats" tunnel_gre_packets)" = "$((4 * n))" ] ||
	say_fail "four GRE levels: tunnel_gre_packets=$(stat "$tmp/stats" tunnel_gre_packets)"
"$bin" -q -r "$tmp/nest5.pcap" --stats >"$tmp/out5" 2>"$tmp/stats" || say_fail "nest5: exit $?"
[ "$(stat "$tmp/stats" tunnel_too_deep)" = "$n" ] ||
	say_fail "five GRE levels: tunnel_too_deep=$(stat "$tmp/stats" tunnel_too_deep), want $n"
grep -q '^#' "$tmp/out5" && say_fail "five GRE levels: a session was reported"

[ $fail -eq 0 ] && echo "PASS tunnels: tunnelled sessions equal untunnelled ones; broken tunnels counted"
exit $fail

#!/usr/bin/env bash
# tools/record-sctp.sh — makes the Diameter-over-SCTP captures in pcaps/
# (diameter-sctp-*-generated.pcap). This machine's kernel has no SCTP
# module (/work/shared/LAB.md), so no real peer can speak SCTP here: each
# capture is a real capture of this project carried over an SCTP
# association by tools/sctp-encap.py, which writes the RFC 9260 framing
# (handshake, DATA chunks with TSNs, SACKs, shutdown, CRC32c) around the
# real messages and never changes them. Needs python3 and, for the check,
# tshark; no root, no network.
#
#   tools/record-sctp.sh              make every capture of this set
#   tools/record-sctp.sh NAME...      only these (e.g. diameter-sctp-cleartext)
#   tools/record-sctp.sh --list       list the capture names
#   --out DIR                         where to write (default pcaps/)
#
# The sources are freeDiameter's TCP captures (tools/record-diameter.sh)
# and openssl's DTLS capture (tools/record-dtls.sh):
#   diameter-sctp-cleartext       diameter-cleartext.pcap, PPID 46, 3868; the
#                                 CER in two DATA fragments (B, then E) and
#                                 the DWA sent twice (a retransmission)
#   diameter-sctp-inband-tls      diameter-inband-tls.pcap: CER/CEA with
#                                 Inband-Security-Id TLS, then TLS records
#                                 (RFC 3588 in-band TLS over SCTP, RFC 3436)
#   diameter-sctp-inband-refused  diameter-inband-refused.pcap
#   diameter-sctp-plaintext-on-5868  diameter-plaintext-on-5868.pcap: a CER
#                                 in the clear on 5868, Diameter's DTLS port
#   diameter-sctp-dtls-5868       dtls-4433.pcap's DTLS 1.2 datagrams (openssl
#                                 s_client and s_server), one per user
#                                 message, PPID 47 (Diameter in DTLS, RFC
#                                 6083), on 5868
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$REPO/pcaps
ENCAP=$REPO/tools/sctp-encap.py
CAPTURES=(diameter-sctp-cleartext diameter-sctp-inband-tls diameter-sctp-inband-refused
	diameter-sctp-plaintext-on-5868 diameter-sctp-dtls-5868)

die() { echo "record-sctp: $*" >&2; exit 1; }

# make NAME: SOURCE and the encapsulator's options of capture NAME.
source_of()
{
	case "$1" in
	diameter-sctp-cleartext) echo "diameter-cleartext.pcap --split 1 --retransmit 2" ;;
	diameter-sctp-inband-tls) echo "diameter-inband-tls.pcap" ;;
	diameter-sctp-inband-refused) echo "diameter-inband-refused.pcap" ;;
	diameter-sctp-plaintext-on-5868) echo "diameter-plaintext-on-5868.pcap" ;;
	diameter-sctp-dtls-5868) echo "dtls-4433.pcap --ppid 47 --port 5868" ;;
	*) return 1 ;;
	esac
}

make_one()
{
	local name=$1 src opts tmp bad
	read -r src opts <<<"$(source_of "$name")" || die "unknown capture $name"
	[ -r "$REPO/pcaps/$src" ] || die "no pcaps/$src to carry over SCTP"
	tmp=$(mktemp "${TMPDIR:-/tmp}/record-sctp.XXXXXX")
	# shellcheck disable=SC2086  # opts are words
	python3 "$ENCAP" $opts "$REPO/pcaps/$src" "$tmp"
	if command -v tshark >/dev/null; then
		# Every checksum right, and what the capture must hold decoded.
		bad=$(tshark -o sctp.checksum:CRC32C -r "$tmp" -T fields -e sctp.checksum.status \
			2>/dev/null | grep -vc '^2$' || true)
		[ "$bad" = 0 ] || { rm -f "$tmp"; die "$name: $bad packets with a bad CRC32c"; }
		case "$name" in
		*dtls*) tshark -r "$tmp" -Y 'dtls.handshake.type == 1' 2>/dev/null | grep -q . ;;
		*) tshark -r "$tmp" -Y 'diameter.cmd.code == 257' 2>/dev/null | grep -q . ;;
		esac || { rm -f "$tmp"; die "$name: tshark decodes no handshake or CER in it"; }
	fi
	install -m 0644 "$tmp" "$OUT/$name-generated.pcap"
	rm -f "$tmp"
	echo "record-sctp: wrote $OUT/$name-generated.pcap (from pcaps/$src)"
}

names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=${2:?}; shift 2 ;;
	--list) printf '%s\n' "${CAPTURES[@]}"; exit 0 ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) names+=("${1%-generated.pcap}"); shift ;;
	esac
done
[ ${#names[@]} -gt 0 ] || names=("${CAPTURES[@]}")
mkdir -p "$OUT"
for n in "${names[@]}"; do
	make_one "${n%.pcap}"
done

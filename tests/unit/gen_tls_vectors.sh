#!/bin/bash
#
# gen_tls_vectors.sh - regenerates tests/unit/tls_vectors.h from real TLS
# handshakes made with openssl s_server / s_client on loopback.
#
# Each scenario starts one s_server -www on 127.0.0.1 (ports 24433 and up), runs one
# s_client against it with stdin at EOF (handshake, then close), and captures
# the conversation with tcpdump on lo. A small stdlib-only Python reader then
# pulls the TCP payload of each direction out of the pcap, in arrival order,
# and prints it as C arrays. Keys, randoms and the certificate change on every
# run, so the tests only check facts that are stable (versions, suites, SNI,
# ALPN, alerts, record structure).
#
# Needs root (tcpdump on lo), openssl, tcpdump and python3.
# Usage: tests/unit/gen_tls_vectors.sh [output]   (default tests/unit/tls_vectors.h)

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/tls_vectors.h}
work=$(mktemp -d)
port=24433
pids=()

cleanup()
{
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-subj /CN=tlswatch.test -days 30 2>/dev/null

# wait_for FILE PATTERN: waits (up to 5 s) until FILE contains PATTERN.
wait_for()
{
	for _ in $(seq 50); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "timeout waiting for '$2' in $1" >&2
	return 1
}

# scenario NAME "SERVER OPTIONS" "CLIENT OPTIONS"
scenario()
{
	local name=$1 sopts=$2 copts=$3

	tcpdump -i lo -U -n -w "$work/$name.pcap" "host 127.0.0.1 and tcp port $port" \
		2>"$work/$name.tcpdump" &
	local tpid=$!
	pids+=("$tpid")
	wait_for "$work/$name.tcpdump" "listening on"

	# shellcheck disable=SC2086
	openssl s_server -www -accept "127.0.0.1:$port" -naccept 1 -cert "$work/cert.pem" \
		-key "$work/key.pem" $sopts >"$work/$name.server" 2>&1 &
	local spid=$!
	pids+=("$spid")
	wait_for "$work/$name.server" "ACCEPT"

	# shellcheck disable=SC2086
	openssl s_client -connect "127.0.0.1:$port" $copts </dev/null >"$work/$name.client" 2>&1 ||
		true
	sleep 0.5
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	sleep 0.3
	kill -INT "$tpid" 2>/dev/null || true
	wait "$tpid" 2>/dev/null || true
	echo "$name $port" >>"$work/list"
	printf '%s\t%s\t%s\n' "$name" "$sopts" "$copts" >>"$work/opts"
	port=$((port + 1))
}

scenario tls13_sni_alpn "-alpn h2,http/1.1" \
	"-tls1_3 -servername www.example.test -alpn h2,http/1.1"
scenario tls13_hrr "-groups P-256" \
	"-tls1_3 -groups X25519:P-256 -servername hrr.example.test"
scenario tls12_ecdhe_gcm "-tls1_2 -alpn h2,http/1.1" \
	"-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -servername mail.example.test -alpn http/1.1"
scenario tls12_rsa_cbc "-tls1_2 -cipher AES128-SHA" "-tls1_2 -cipher AES128-SHA -noservername"
# This OpenSSL build has no 3DES/RC4/DES: the weak suite offered is anonymous.
scenario tls10_cbc_anon_offered "-tls1 -cipher ECDHE-RSA-AES128-SHA:@SECLEVEL=0" \
	"-tls1 -cipher ECDHE-RSA-AES128-SHA:AECDH-AES128-SHA:@SECLEVEL=0 -servername old.example.test"
scenario tls12_anon "-tls1_2 -nocert -cipher ADH-AES128-GCM-SHA256:@SECLEVEL=0" \
	"-tls1_2 -cipher ADH-AES128-GCM-SHA256:@SECLEVEL=0 -servername anon.example.test"
scenario tls12_handshake_failure "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384" \
	"-tls1_2 -cipher AES128-SHA -servername fail.example.test"

python3 - "$work" >"$out" <<'EOF'
import struct, sys

work = sys.argv[1]

def packets(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        raise SystemExit('%s: not a pcap file' % path)
    linktype = struct.unpack(e + 'I', data[20:24])[0]
    if linktype != 1:
        raise SystemExit('%s: linktype %d, expected Ethernet' % (path, linktype))
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl

def segments(path, port):
    """(dir, seq, payload) of every TCP segment with data; dir 0 = to port."""
    for frame in packets(path):
        if len(frame) < 14 or struct.unpack('>H', frame[12:14])[0] != 0x0800:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0f) * 4
        total = struct.unpack('>H', ip[2:4])[0]
        if ip[9] != 6:
            continue
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack('>HHI', tcp[:8])
        doff = (tcp[12] >> 4) * 4
        payload = tcp[doff:]
        if payload:
            yield (0 if dport == port else 1), seq, payload

def conversation(path, port):
    """In-order payload runs: consecutive bytes of one direction are merged."""
    nxt = [None, None]
    runs = []
    for d, seq, payload in segments(path, port):
        if nxt[d] is not None:
            skip = (nxt[d] - seq) & 0xffffffff
            if skip >= 0x80000000:
                raise SystemExit('%s: hole in direction %d' % (path, d))
            if skip >= len(payload):
                continue  # retransmission
            payload = payload[skip:]
            seq = (seq + skip) & 0xffffffff
        nxt[d] = (seq + len(payload)) & 0xffffffff
        if runs and runs[-1][0] == d:
            runs[-1][1].extend(payload)
        else:
            runs.append([d, bytearray(payload)])
    return runs

print('/*')
print(' * tls_vectors.h - real TLS conversations for test_tls.c.')
print(' *')
print(' * GENERATED by tests/unit/gen_tls_vectors.sh: do not edit. Each vector is the')
print(' * TCP payload of one openssl s_client <-> s_server conversation on 127.0.0.1')
print(' * (OpenSSL 3, self-signed RSA-2048 certificate), captured with tcpdump on lo')
print(' * and split into runs of consecutive bytes of one direction, in arrival order.')
print(' * The s_server / s_client options of each vector are in its comment.')
print(' */')
print('#ifndef TLSWATCH_TEST_TLS_VECTORS_H')
print('#define TLSWATCH_TEST_TLS_VECTORS_H')
print()
print('#include <stddef.h>')
print('#include <stdint.h>')
print()
print('#include "reasm.h"')
print()
print('struct tls_vec_step {')
print('\tenum dir dir;')
print('\tsize_t len;')
print('\tconst uint8_t *bytes;')
print('};')
print()
print('struct tls_vector {')
print('\tconst char *name;')
print('\tconst struct tls_vec_step *steps;')
print('\tsize_t n_steps;')
print('};')
print()

opts = {}
with open(work + '/opts') as f:
    for line in f:
        name, sopts, copts = line.rstrip('\n').split('\t')
        opts[name] = (sopts, copts)

names = []
with open(work + '/list') as f:
    for line in f:
        name, port = line.split()
        runs = conversation('%s/%s.pcap' % (work, name), int(port))
        names.append(name)
        print('/*')
        print(' * %s' % name)
        print(' * openssl s_server (-www -naccept 1 -cert -key)')
        print(' *   %s' % opts[name][0])
        print(' * openssl s_client (-connect, stdin at EOF)')
        print(' *   %s' % opts[name][1])
        print(' */')
        for i, (d, b) in enumerate(runs):
            print('static const uint8_t %s_%d[%d] = {' % (name, i, len(b)))
            for k in range(0, len(b), 12):
                print('\t' + ' '.join('0x%02x,' % x for x in b[k:k + 12]))
            print('};')
        print('static const struct tls_vec_step %s_steps[] = {' % name)
        for i, (d, b) in enumerate(runs):
            print('\t{ %s, sizeof(%s_%d), %s_%d },' %
                  ('DIR_C2S' if d == 0 else 'DIR_S2C', name, i, name, i))
        print('};')
        print()

print('static const struct tls_vector tls_vectors[] = {')
for name in names:
    print('\t{ "%s", %s_steps, sizeof(%s_steps) / sizeof(%s_steps[0]) },' %
          (name, name, name, name))
print('};')
print('#define TLS_N_VECTORS (sizeof(tls_vectors) / sizeof(tls_vectors[0]))')
print()
print('#endif')
EOF
# The project style (.clang-format next to the repository root), when available.
if command -v clang-format >/dev/null; then
	clang-format -i "$out"
fi
echo "wrote $out" >&2

#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, made from the project's own captures.

    seeds.py OUTDIR PCAP...

For each capture's TCP connections (Ethernet, Linux cooked v1/v2 or raw IP;
IPv4 and IPv6) the in-order payload of both directions becomes one input in
the [ctl][len][bytes] format of the session target (OUTDIR/conv/, after the
server port) and of the protocol and TLS targets (OUTDIR/stream/), and the
frames become one input of the engine target ([len-hi][len-lo][IP packet],
OUTDIR/engine/). Each UDP flow's datagrams, cut at 255 bytes, become one input
of the datagram targets in the same record format (OUTDIR/dgram/), and the
DNS messages of a capture one input of the policy target (mode byte 2, then
[len-hi][len-lo][message], OUTDIR/policy/). Small captures are copied whole
for the pcap target (OUTDIR/pcap/).
"""
import hashlib
import os
import shutil
import struct
import sys


def frames(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        return None, []
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    else:
        return None, []  # pcapng: the pcap target gets it whole
    link = struct.unpack(e + "I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return link, out


def ip_of(link, f):
    if link == 1:
        f = f[12:]
        while f[:2] in (b"\x81\x00", b"\x88\xa8"):
            f = f[4:]
        return f[2:] if f[:2] in (b"\x08\x00", b"\x86\xdd") else None
    if link == 113:
        return f[16:]
    if link == 276:
        return f[20:]
    if link in (101, 12, 228, 229):
        return f
    return None


def udp_of(ip):
    """((src, dst), sport, dport, payload) of an unfragmented UDP packet."""
    if not ip:
        return None
    v = ip[0] >> 4
    if v == 4:
        hl = (ip[0] & 15) * 4
        if ip[9] != 17 or struct.unpack("!H", ip[6:8])[0] & 0x3FFF:
            return None
        key_ips = (ip[12:16], ip[16:20])
        u = ip[hl:struct.unpack("!H", ip[2:4])[0]]
    elif v == 6:
        if ip[6] != 17:
            return None
        key_ips = (ip[8:24], ip[24:40])
        u = ip[40:]
    else:
        return None
    if len(u) < 8:
        return None
    sport, dport = struct.unpack("!HH", u[:4])
    return key_ips, sport, dport, u[8:]


def tcp_of(ip):
    if not ip:
        return None
    v = ip[0] >> 4
    if v == 4:
        hl = (ip[0] & 15) * 4
        if ip[9] != 6:
            return None
        key_ips = (ip[12:16], ip[16:20])
        t = ip[hl:struct.unpack("!H", ip[2:4])[0]]
    elif v == 6:
        if ip[6] != 6:
            return None
        key_ips = (ip[8:24], ip[24:40])
        t = ip[40:]
    else:
        return None
    if len(t) < 20:
        return None
    sport, dport, seq = struct.unpack("!HHI", t[:8])
    doff = (t[12] >> 4) * 4
    return key_ips, sport, dport, seq, t[13], t[doff:]


def main():
    out = sys.argv[1]
    for d in ("conv", "stream", "engine", "pcap", "dgram", "policy"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for path in sys.argv[2:]:
        if os.path.getsize(path) <= 65536:
            shutil.copy(path, os.path.join(out, "pcap", os.path.basename(path)))
        link, fr = frames(path)
        eng = bytearray()
        convs = {}
        udps = {}
        dns = bytearray(b"\x02")
        for f in fr:
            ip = ip_of(link, f) if link is not None else None
            if ip and len(eng) < 60000:
                eng += struct.pack("!H", len(ip)) + ip
            u = udp_of(ip)
            if u:
                (a, b), sp, dp, payload = u
                key, d = ((b, dp, a, sp), 1) if (b, dp, a, sp) in udps else ((a, sp, b, dp), 0)
                recs = udps.setdefault(key, bytearray())
                if len(recs) < 8000:
                    recs += bytes([d, min(len(payload), 255)]) + payload[:255]
                if 53 in (sp, dp) and len(dns) < 8000:
                    dns += struct.pack("!H", len(payload)) + payload
                continue
            t = tcp_of(ip)
            if not t:
                continue
            (a, b), sp, dp, seq, flags, payload = t
            fwd = (a, sp, b, dp)
            rev = (b, dp, a, sp)
            if flags & 0x02 and not flags & 0x10:
                convs[fwd] = {"port": dp, "recs": bytearray(), "seen": set()}
            c, d = (convs.get(fwd), 0) if fwd in convs else (convs.get(rev), 1)
            if not c or not payload or (d, seq) in c["seen"]:
                continue
            c["seen"].add((d, seq))
            for i in range(0, len(payload), 255):
                chunk = payload[i:i + 255]
                c["recs"] += bytes([d, len(chunk)]) + chunk
        if eng:
            h = hashlib.sha1(eng).hexdigest()[:16]
            open(os.path.join(out, "engine", h), "wb").write(eng)
        for recs in udps.values():
            h = hashlib.sha1(recs).hexdigest()[:16]
            open(os.path.join(out, "dgram", h), "wb").write(recs)
        if len(dns) > 1:
            h = hashlib.sha1(dns).hexdigest()[:16]
            open(os.path.join(out, "policy", h), "wb").write(dns)
        for c in convs.values():
            blob = struct.pack("!H", c["port"]) + bytes(c["recs"][:8000])
            h = hashlib.sha1(blob).hexdigest()[:16]
            open(os.path.join(out, "conv", h), "wb").write(blob)
            open(os.path.join(out, "stream", h), "wb").write(blob[2:])


if __name__ == "__main__":
    main()

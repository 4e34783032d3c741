#!/usr/bin/env python3
"""tools/tunnel-encap.py - wraps every packet of a real capture in a tunnel's
framing, for the encapsulations this machine's kernel cannot make (no GRE,
ERSPAN, Geneve or MPLS modules: see /work/shared/LAB.md and pcaps/README.md).

    tools/tunnel-encap.py KIND IN.pcap OUT.pcap

IN is a classic pcap of Ethernet frames (link type 1) recorded from real
peers; OUT holds the same frames, in the same order with the same
timestamps, each inside an outer Ethernet header and, for the IP-borne
tunnels, an outer IPv4 header between 198.51.100.1 and 198.51.100.2
(TEST-NET-2, RFC 5737: the sender of IN's first packet is behind .1). The
inner bytes are never changed. KIND is one of:

  gre          GRE (RFC 2784) with checksum, key and sequence number
               (RFC 2890) carrying the inner IPv4/IPv6 packet
  gretap       GRE carrying the inner Ethernet frame (protocol 0x6558)
  erspan1      ERSPAN type I: GRE 0x88be without sequence number, no header
  erspan2      ERSPAN type II: GRE 0x88be with sequence number, 8-byte header
  erspan3      ERSPAN type III: GRE 0x22eb, 12-byte header with the O bit
               and an 8-byte platform subheader
  vxlan        VXLAN (RFC 7348), UDP 4789, VNI 42, the inner Ethernet frame
  geneve       Geneve (RFC 8926), UDP 6081, one 8-byte option, the inner
               Ethernet frame (0x6558)
  mpls         ethertype 0x8847, a stack of 3 labels, the inner IP packet
  mpls-pw      ethertype 0x8847, 2 labels, the RFC 4385 control word and the
               inner Ethernet frame
  mpls-in-udp  MPLS-in-UDP (RFC 7510), UDP 6635, one label, the inner IP
  gre-in-udp   GRE-in-UDP (RFC 8086), UDP 4754, GRE carrying the inner IP

Written for tlswatch's tests; the framing follows the RFCs, nothing else.
"""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapio import csum, read_pcap  # noqa: E402

OUTER_MAC = (b"\x02\x00\x00\x00\x47\x01", b"\x02\x00\x00\x00\x47\x02")
OUTER_IP = (bytes([198, 51, 100, 1]), bytes([198, 51, 100, 2]))
KINDS = ("gre", "gretap", "erspan1", "erspan2", "erspan3", "vxlan", "geneve",
         "mpls", "mpls-pw", "mpls-in-udp", "gre-in-udp")


def inner_key(frame):
    """The inner packet's (source address, source port), to tell directions."""
    et = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if et == 0x0800:
        hl = (ip[0] & 15) * 4
        return ip[12:16], ip[hl:hl + 2]
    if et == 0x86DD:
        return ip[8:24], ip[40:42]
    return frame[6:12], b""


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF,
                      0x4000, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, payload):
    # The checksum is left 0: allowed for IPv4 tunnels (RFC 7348, 8086, 7510).
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def gre(proto, payload, seq=None, key=None, checksum=False):
    flags = (0x8000 if checksum else 0) | (0x2000 if key is not None else 0) | \
        (0x1000 if seq is not None else 0)
    opt = b""
    if checksum:
        opt += b"\0\0\0\0"
    if key is not None:
        opt += struct.pack("!I", key)
    if seq is not None:
        opt += struct.pack("!I", seq & 0xFFFFFFFF)
    hdr = struct.pack("!HH", flags, proto) + opt
    if checksum:
        c = csum(hdr + payload)
        hdr = hdr[:4] + struct.pack("!H", c) + hdr[6:]
    return hdr + payload


def mpls(labels, payload):
    out = b""
    for i, label in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (label << 12) | (bos << 8) | 64)
    return out + payload


def encap(kind, frame, side, n, sec, frac):
    src, dst = OUTER_IP[side], OUTER_IP[1 - side]
    inner_ip = frame[14:]
    inner_et = struct.unpack("!H", frame[12:14])[0]
    sport = 49152 + (zlib.crc32(frame[14:40]) % 16384)  # entropy, per flow-ish
    if kind == "gre":
        l4 = (47, gre(inner_et, inner_ip, seq=n, key=0x2A, checksum=True))
    elif kind == "gretap":
        l4 = (47, gre(0x6558, frame))
    elif kind == "erspan1":
        l4 = (47, gre(0x88BE, frame))
    elif kind == "erspan2":
        # ver 1, VLAN 0 | COS 0, En 0, T 0, session 7 | reserved, index 0
        hdr = struct.pack("!HHI", 0x1000, 7, 0)
        l4 = (47, gre(0x88BE, hdr + frame, seq=n))
    elif kind == "erspan3":
        # ver 2, VLAN 0 | BSO 0, T 0, session 7 | timestamp | SGT 0 |
        # P 0, FT 0 (Ethernet), HW ID 1, D 0, Gra 3, O 1; then the platform
        # subheader (platform id 3: upper timestamp bits, here the seconds).
        ts = (frac & 0xFFFFFFFF)
        last = (0 << 15) | (0 << 10) | (1 << 4) | (0 << 3) | (3 << 1) | 1
        hdr = struct.pack("!HHIHH", 0x2000, 7, ts, 0, last)
        plat = struct.pack("!II", (3 << 26), sec & 0xFFFFFFFF)
        l4 = (47, gre(0x22EB, hdr + plat + frame, seq=n))
    elif kind == "vxlan":
        l4 = (17, udp(src, dst, sport, 4789, struct.pack("!II", 0x08000000, 42 << 8) + frame))
    elif kind == "geneve":
        opt = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\x00\x00\x00\x2a"
        hdr = struct.pack("!BBHI", len(opt) // 4, 0, 0x6558, 42 << 8)
        l4 = (17, udp(src, dst, sport, 6081, hdr + opt + frame))
    elif kind == "mpls":
        return OUTER_MAC[1 - side] + OUTER_MAC[side] + b"\x88\x47" + \
            mpls([1000, 2000, 3000], inner_ip)
    elif kind == "mpls-pw":
        return OUTER_MAC[1 - side] + OUTER_MAC[side] + b"\x88\x47" + \
            mpls([1000, 3001], b"\0\0\0\0" + frame)
    elif kind == "mpls-in-udp":
        l4 = (17, udp(src, dst, sport, 6635, mpls([3000], inner_ip)))
    elif kind == "gre-in-udp":
        l4 = (17, udp(src, dst, sport, 4754, gre(inner_et, inner_ip)))
    else:
        raise ValueError(kind)
    pkt = ipv4(src, dst, l4[0], l4[1], n)
    if len(pkt) > 65535:
        sys.exit("frame %d: %d bytes do not fit an outer IPv4 packet" % (n, len(pkt)))
    return OUTER_MAC[1 - side] + OUTER_MAC[side] + b"\x08\x00" + pkt


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in KINDS:
        sys.exit("usage: tunnel-encap.py {%s} IN.pcap OUT.pcap" % ",".join(KINDS))
    kind, src, dst = sys.argv[1:]
    header, end, frames = read_pcap(src)
    first = inner_key(frames[0][2]) if frames else None
    out = [header[:16] + struct.pack(end + "II", 262144, 1)]
    for n, (sec, frac, frame) in enumerate(frames):
        side = 0 if inner_key(frame) == first else 1
        f = encap(kind, frame, side, n, sec, frac)
        out.append(struct.pack(end + "IIII", sec, frac, len(f), len(f)) + f)
    with open(dst, "wb") as fo:
        fo.write(b"".join(out))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generates the hostile captures of the hardening regression tests.

No real peer produces these packets (a client that switches from an SSLv2
hello to more bytes after a TLS 1.3 ServerHello, a login cut into IP
fragments, a SYN flood), so they are built here byte by byte: Ethernet,
IPv4/IPv6, TCP with consistent sequence numbers and checksums.

    gen.py OUTDIR      writes OUTDIR/<name>.pcap for every case below
"""
import os
import struct
import sys

MAC_C = b"\x02\x00\x00\x00\x00\x01"
MAC_S = b"\x02\x00\x00\x00\x00\x02"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ident=1, frag_off=0, more=False):
    flags = (0x2000 if more else 0) | (frag_off // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto,
                      0, bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(src, dst, sport, dport, seq, ack, flags, data=b""):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, 65535, 0, 0)
    pseudo = bytes(src) + bytes(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + data


def eth(frame_ip, to_server=True):
    dst, src = (MAC_S, MAC_C) if to_server else (MAC_C, MAC_S)
    return dst + src + b"\x08\x00" + frame_ip


class Pcap:
    def __init__(self):
        self.recs = []
        self.t = 1767225600.0  # 2026-01-01T00:00:00Z

    def add(self, frame, dt=0.001):
        self.t += dt
        self.recs.append((self.t, frame))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
            for t, frame in self.recs:
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
                f.write(frame)


class Tcp:
    """One TCP connection; c2s/s2c append segments with the right numbers."""

    def __init__(self, cap, cip, sip, cport, sport):
        self.cap, self.cip, self.sip, self.cport, self.sport = cap, cip, sip, cport, sport
        self.cseq, self.sseq = 1000, 5000

    def seg(self, to_server, flags, data=b"", ip_id=1):
        if to_server:
            t = tcp(self.cip, self.sip, self.cport, self.sport, self.cseq, self.sseq, flags, data)
            self.cap.add(eth(ip4(self.cip, self.sip, 6, t, ip_id), True))
            self.cseq += len(data) + (1 if flags & 0x03 else 0)
        else:
            t = tcp(self.sip, self.cip, self.sport, self.cport, self.sseq, self.cseq, flags, data)
            self.cap.add(eth(ip4(self.sip, self.cip, 6, t, ip_id), False))
            self.sseq += len(data) + (1 if flags & 0x03 else 0)

    def handshake(self):
        self.seg(True, 0x02)
        self.seg(False, 0x12)
        self.seg(True, 0x10)

    def c2s(self, data):
        self.seg(True, 0x18, data)

    def s2c(self, data):
        self.seg(False, 0x18, data)

    def close(self):
        self.seg(True, 0x11)
        self.seg(False, 0x11)
        self.seg(True, 0x10)


C = [10, 9, 0, 1]
S = [10, 9, 0, 2]


def tls13_server_hello():
    exts = struct.pack("!HHH", 0x002B, 2, 0x0304)
    body = struct.pack("!H", 0x0303) + b"\x42" * 32 + b"\x00" + struct.pack("!HB", 0x1301, 0)
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


def sslv2_client_hello():
    body = b"\x01" + struct.pack("!HHHH", 0x0301, 3, 0, 16) + b"\x00\x00\x2f" + b"\x44" * 16
    return struct.pack("!BB", 0x80, len(body)) + body


def case_sslv2_then_tls13_server_hello(cap):
    """Finding 1: nine packets that crashed tlswatch (NULL write in tls.c)."""
    t = Tcp(cap, C, S, 40001, 443)
    t.handshake()
    hello = sslv2_client_hello()
    t.c2s(hello[:9])
    t.s2c(tls13_server_hello())
    t.c2s(hello[9:])
    t.c2s(b"\x17\x03\x03\x00\x05hello")
    t.close()


def tls_client_hello(sni=b"mail.example.test"):
    name = struct.pack("!BH", 0, len(sni)) + sni
    sni_ext = struct.pack("!HHH", 0x0000, len(name) + 2, len(name)) + name
    vers = struct.pack("!HHB", 0x002B, 3, 2) + struct.pack("!H", 0x0304)
    exts = sni_ext + vers
    body = struct.pack("!H", 0x0303) + b"\x11" * 32 + b"\x00"
    body += struct.pack("!HH", 2, 0x1301) + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


CCS = b"\x14\x03\x03\x00\x01\x01"
APPDATA = b"\x17\x03\x03\x00\x08" + b"\xaa" * 8


def implicit_tls_session(cap, cport, sport=993):
    t = Tcp(cap, C, S, cport, sport)
    t.handshake()
    t.c2s(tls_client_hello())
    t.s2c(tls13_server_hello() + CCS + APPDATA)
    t.c2s(CCS + APPDATA)
    t.close()
    return t


def case_syn_flood_beside_one_tls_session(cap):
    """Finding 6: 1,000 spoofed SYNs must not be 1,000 sessions, nor pull the
    encrypted share of the port down to 0%."""
    implicit_tls_session(cap, 40100)
    for i in range(1000):
        src = [10, 66, i >> 8, i & 0xFF]
        t = Tcp(cap, src, S, 20000 + i, 993)
        t.seg(True, 0x02)


def case_fin_retransmitted_after_the_flow_was_forgotten(cap):
    """Finding 6: a server retransmits its last data with FIN for a minute,
    long after the flow was closed and forgotten: no new session."""
    t = implicit_tls_session(cap, 40200)
    for _ in range(4):
        t.sseq -= 9  # the same segment again
        cap.t += 20.0
        t.seg(False, 0x19, b"\x17\x03\x03\x00\x04abcd")


CASES = {
    "sslv2-then-tls13-server-hello": case_sslv2_then_tls13_server_hello,
    "syn-flood-beside-one-tls-session": case_syn_flood_beside_one_tls_session,
    "fin-retransmitted-after-the-flow-was-forgotten": case_fin_retransmitted_after_the_flow_was_forgotten,
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, fn in CASES.items():
        cap = Pcap()
        fn(cap)
        cap.write(os.path.join(out, name + ".pcap"))


if __name__ == "__main__":
    main()

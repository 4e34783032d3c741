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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from pcapio import csum  # noqa: E402

MAC_C = b"\x02\x00\x00\x00\x00\x01"
MAC_S = b"\x02\x00\x00\x00\x00\x02"


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


def tcp6(src, dst, sport, dport, seq, ack, flags, data=b""):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, 65535, 0, 0)
    pseudo = bytes(src) + bytes(dst) + struct.pack("!IxxxB", len(hdr) + len(data), 6)
    c = csum(pseudo + hdr + data)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + data


def ip6_frag(src, dst, nxt, payload, ident, offset, more):
    fh = struct.pack("!BBHI", nxt, 0, offset | (1 if more else 0), ident)
    return struct.pack("!IHBB16s16s", 6 << 28, len(fh) + len(payload), 44, 64, bytes(src),
                       bytes(dst)) + fh + payload


def eth6(frame_ip, to_server=True):
    dst, src = (MAC_S, MAC_C) if to_server else (MAC_C, MAC_S)
    return dst + src + b"\x86\xdd" + frame_ip


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

    def seg_fragments(self, to_server, flags, data, cuts, order=None, evil=None, v6=False):
        """One segment sent as IP fragments: cuts are the offsets (multiples
        of 8) where the IP payload is cut; order lists the fragments in the
        order they are sent; evil = (index, bytes) sends that fragment a
        first, with other bytes (the real one then overlaps and changes them)."""
        src, dst, sp, dp, seq, ack = (
            (self.cip, self.sip, self.cport, self.sport, self.cseq, self.sseq) if to_server else
            (self.sip, self.cip, self.sport, self.cport, self.sseq, self.cseq))
        if v6:
            t = tcp6(src, dst, sp, dp, seq, ack, flags, data)
        else:
            t = tcp(src, dst, sp, dp, seq, ack, flags, data)
        bounds = [0] + list(cuts) + [len(t)]
        frags = []
        for i in range(len(bounds) - 1):
            part = t[bounds[i]:bounds[i + 1]]
            more = i < len(bounds) - 2
            if v6:
                frags.append(ip6_frag(src, dst, 6, part, 0x1234, bounds[i], more))
            else:
                frags.append(ip4(src, dst, 6, part, 0x4242, bounds[i], more))
        sent = [frags[i] for i in (order or range(len(frags)))]
        if evil:
            i, other = evil
            part = bytes(other) + t[bounds[i] + len(other):bounds[i + 1]]
            more = i < len(bounds) - 2
            sent.insert(0, ip6_frag(src, dst, 6, part, 0x1234, bounds[i], more) if v6 else
                        ip4(src, dst, 6, part, 0x4242, bounds[i], more))
        for f in sent:
            self.cap.add(eth(f, to_server) if not v6 else eth6(f, to_server))
        if to_server:
            self.cseq += len(data) + (1 if flags & 0x03 else 0)
        else:
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


def smtp_login_in_fragments(cap, cport, **frag):
    """An SMTP session whose AUTH PLAIN segment is sent in IP fragments."""
    t = Tcp(cap, C, S, cport, 587)
    t.handshake()
    t.s2c(b"220 mail.example.test ESMTP\r\n")
    t.c2s(b"EHLO client.example.test\r\n")
    t.s2c(b"250-mail.example.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
    t.seg_fragments(True, 0x18, b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", **frag)
    t.s2c(b"235 2.7.0 Authentication successful\r\n")
    t.c2s(b"QUIT\r\n")
    t.s2c(b"221 2.0.0 Bye\r\n")
    t.close()


def case_login_in_ipv4_fragments(cap):
    """Finding 3: a cleartext AUTH PLAIN cut into three IPv4 fragments, sent
    out of order, must be seen like any other."""
    smtp_login_in_fragments(cap, 40300, cuts=[16, 32], order=[2, 0, 1])


def case_login_in_ipv6_fragments(cap):
    """Finding 3, IPv6: the same login in IPv6 fragments (fragment header)."""
    global C, S
    c4, s4 = C, S
    C = [0x20, 0x01, 0x0D, 0xB8] + [0] * 11 + [1]
    S = [0x20, 0x01, 0x0D, 0xB8] + [0] * 11 + [2]
    try:
        t = Tcp(cap, C, S, 40400, 587)
        for to_server, flags, data in [(True, 0x02, b""), (False, 0x12, b""), (True, 0x10, b"")]:
            t.seg_fragments(to_server, flags, data, cuts=[], v6=True)
        t.seg_fragments(False, 0x18, b"220 mail.example.test ESMTP\r\n", cuts=[], v6=True)
        t.seg_fragments(True, 0x18, b"EHLO c\r\n", cuts=[], v6=True)
        t.seg_fragments(False, 0x18, b"250-mail.example.test\r\n250 AUTH PLAIN\r\n", cuts=[],
                        v6=True)
        t.seg_fragments(True, 0x18, b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", cuts=[24],
                        order=[1, 0], v6=True)
        t.seg_fragments(False, 0x18, b"235 2.7.0 ok\r\n", cuts=[], v6=True)
    finally:
        C, S = c4, s4


def case_overlapping_fragments_change_the_login(cap):
    """Finding 3, evasion: a second copy of a fragment with other bytes. The
    datagram is dropped, so the segment is missing: the session must not be
    judged as if those bytes were absent (no silent cleartext verdict)."""
    smtp_login_in_fragments(cap, 40500, cuts=[16, 32], evil=(1, b"XXXXXXXX"))


def case_unrecognised_plaintext_on_an_implicit_tls_port(cap):
    """Finding 10: text no parser knows, on 993 where only TLS belongs."""
    t = Tcp(cap, C, S, 40600, 993)
    t.handshake()
    t.c2s(b"HELLO there, this is not TLS\r\n")
    t.s2c(b"whatever you say\r\n")
    t.close()


CASES = {
    "sslv2-then-tls13-server-hello": case_sslv2_then_tls13_server_hello,
    "syn-flood-beside-one-tls-session": case_syn_flood_beside_one_tls_session,
    "fin-retransmitted-after-the-flow-was-forgotten": case_fin_retransmitted_after_the_flow_was_forgotten,
    "login-in-ipv4-fragments": case_login_in_ipv4_fragments,
    "login-in-ipv6-fragments": case_login_in_ipv6_fragments,
    "overlapping-fragments-change-the-login": case_overlapping_fragments_change_the_login,
    "unrecognised-plaintext-on-an-implicit-tls-port": case_unrecognised_plaintext_on_an_implicit_tls_port,
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

#!/usr/bin/env python3
"""Generates the UDP capture of the transport tests (tests/e2e/udp.sh).

    gen-udp.py OUTDIR      writes OUTDIR/udp-flows.pcap and OUTDIR/udp-flood.pcap

Built byte by byte with the hostile generator's helpers (Ethernet, IPv4,
checksums): a DNS query and its answer on 53, an answer whose query was not
captured, an unknown binary exchange between two high ports, text sent to
the DNS-over-TLS/DTLS port 853, and one client that speaks, falls silent for
two minutes and speaks again.

udp-flood.pcap is a small DNS flood for the UDP flow cap: 20,000 spoofed
sources (10.100.0.0/16 upwards) each send one query to 10.0.0.53:53, every
fifth answered at once, while one implicit TLS session (IMAPS) stays open
from before the first query to after the last.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile"))
from gen import CCS, APPDATA, Pcap, Tcp, csum, eth, ip4  # noqa: E402
from gen import tls13_server_hello, tls_client_hello  # noqa: E402

C = [10, 0, 0, 1]
DNS = [10, 0, 0, 53]
PEER = [10, 0, 0, 9]


def udp(src, dst, sport, dport, data):
    hdr = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
    pseudo = bytes(src) + bytes(dst) + struct.pack("!BBH", 0, 17, 8 + len(data))
    c = csum(pseudo + hdr + data) or 0xFFFF
    return hdr[:6] + struct.pack("!H", c) + data


def send(cap, src, dst, sport, dport, data, dt=0.001, to_server=True):
    cap.add(eth(ip4(src, dst, 17, udp(src, dst, sport, dport, data)), to_server), dt)


def dns_query(qid, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)


def dns_answer(qid, name, addr):
    q = dns_query(qid, name)[12:]
    ans = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + bytes(addr)
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q + ans


def main(out):
    cap = Pcap()
    send(cap, C, DNS, 40001, 53, dns_query(0x1234, "mail.example.org"))
    send(cap, DNS, C, 53, 40001, dns_answer(0x1234, "mail.example.org", [192, 0, 2, 25]),
         to_server=False)
    # An answer first: the client is still the side on the high port.
    send(cap, DNS, C, 53, 40005, dns_answer(0x4321, "example.org", [192, 0, 2, 80]),
         to_server=False)
    send(cap, C, PEER, 40002, 40003, bytes([0x8F, 0x01, 0xFE, 0x00, 0x13, 0x37]) * 4)
    send(cap, PEER, C, 40003, 40002, bytes([0x8F, 0x02, 0xFE, 0x01]) * 4, to_server=False)
    send(cap, C, DNS, 40006, 853, b"HELLO this is not DTLS\r\n")
    send(cap, C, PEER, 40004, 9999, b"\x00\x01ping")
    send(cap, C, PEER, 40004, 9999, b"\x00\x02ping", dt=120.0)
    cap.write(os.path.join(out, "udp-flows.pcap"))


FLOOD_SOURCES = 20000


def flood(out):
    cap = Pcap()
    client, server = [10, 0, 0, 7], [10, 0, 0, 143]
    t = Tcp(cap, client, server, 40993, 993)
    t.handshake()
    t.c2s(tls_client_hello())
    t.s2c(tls13_server_hello() + CCS + APPDATA)
    for i in range(FLOOD_SOURCES):
        src = [10, 100 + (i >> 16), (i >> 8) & 0xFF, i & 0xFF]
        name = "x%05d.example.org" % i
        send(cap, src, DNS, 1024 + i % 60000, 53, dns_query(i & 0xFFFF, name), dt=0.0001)
        if i % 5 == 0:
            send(cap, DNS, src, 53, 1024 + i % 60000,
                 dns_answer(i & 0xFFFF, name, [192, 0, 2, 1]), dt=0.00001, to_server=False)
    t.c2s(CCS + APPDATA)
    t.close()
    cap.write(os.path.join(out, "udp-flood.pcap"))


if __name__ == "__main__":
    main(sys.argv[1])
    flood(sys.argv[1])

#!/usr/bin/env python3
"""Writes a pcapng file whose two interfaces have different link types.

Hardening finding 8: dumpcap writes one Interface Description Block per
interface, and their link types may differ; libpcap 1.10 stops at the second
one, so tlswatch read nothing past it (exit 2). This file has, in one
section (draft-ietf-opsawg-pcapng, little-endian):

  IDB 0  Ethernet (LINKTYPE_ETHERNET 1), default resolution (microseconds)
  IDB 1  Linux cooked (LINKTYPE_LINUX_SLL 113), if_tsresol 9 (nanoseconds)
         and if_tsoffset (seconds added to every timestamp)
  EPBs   an SMTP session on port 25 over interface 0: the server's EHLO
         reply lacks STARTTLS, the client logs in with AUTH PLAIN
         (alice/secret): a cleartext-login alert
  a block of a type no reader knows, between the two sessions
  EPBs   an SMTP session on port 587 over interface 1, in cleartext too;
         its timestamps have nanoseconds that must be cut, not rounded

Packets come from gen.py's builders (Ethernet/IPv4/TCP with consistent
sequence numbers and checksums); the SLL frames are those Ethernet frames
with the 16-byte cooked header in place of the Ethernet one.

    pcapng_multi.py OUT.pcapng

prints one line per session, "SERVER_PORT TS_FIRST TS_LAST", for the test to
compare: the times of the SYN and of the server's FIN (the session ends
there; the client's last ACK comes after it), as tlswatch's JSON writes
them (UTC, microseconds).
"""
import datetime
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113
START_NS = 1767225600 * 10**9  # 2026-01-01T00:00:00Z
TSOFFSET_S = 1767225600


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def shb():
    return block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(linktype, options=b""):
    if options:
        options += option(0, b"")
    return block(1, struct.pack("<HHI", linktype, 0, 262144) + options)


def epb(iface, ts, frame):
    body = struct.pack("<IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame))
    return block(6, body + frame)


def iso(ns):
    """tlswatch's JSON time: microseconds, cut (as libpcap cuts them)."""
    t = datetime.datetime.fromtimestamp(ns // 10**9, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (ns % 10**9 // 1000)


class Iface:
    """Collects one interface's packets, as gen.Pcap does, in nanoseconds.

    gen.Tcp hands it Ethernet frames; on a cooked interface the Ethernet
    header becomes a Linux SLL one (packet type 4, "sent by us", for the
    client's frames, 0 for the server's)."""

    def __init__(self, index, cooked, t_ns):
        self.index, self.cooked, self.t = index, cooked, t_ns
        self.recs = []

    def add(self, frame, dt=0.001):
        self.t += int(round(dt * 1e9))
        if self.cooked:
            from_client = frame[6:12] == gen.MAC_C
            sll = struct.pack("!HHH", 4 if from_client else 0, 1, 6) + frame[6:12] + b"\0\0"
            frame = sll + frame[12:]
        self.recs.append((self.t, frame))


def smtp_login_without_starttls(cap):
    t = gen.Tcp(cap, [10, 9, 0, 1], [10, 9, 0, 2], 40025, 25)
    t.handshake()
    t.s2c(b"220 mx.example.test ESMTP\r\n")
    t.c2s(b"EHLO client.example.test\r\n")
    t.s2c(b"250-mx.example.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
    t.c2s(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
    t.s2c(b"235 2.7.0 Authentication successful\r\n")
    t.c2s(b"QUIT\r\n")
    t.s2c(b"221 2.0.0 Bye\r\n")
    t.close()


def smtp_submission_in_cleartext(cap):
    t = gen.Tcp(cap, [10, 9, 0, 3], [10, 9, 0, 4], 40587, 587)
    t.handshake()
    t.s2c(b"220 submit.example.test ESMTP\r\n")
    t.c2s(b"EHLO laptop.example.test\r\n")
    t.s2c(b"250-submit.example.test\r\n250 8BITMIME\r\n")
    t.c2s(b"MAIL FROM:<bob@example.test>\r\n")
    t.s2c(b"250 2.1.0 Ok\r\n")
    t.c2s(b"RCPT TO:<carol@example.test>\r\n")
    t.s2c(b"250 2.1.5 Ok\r\n")
    t.c2s(b"DATA\r\n")
    t.s2c(b"354 End data with <CR><LF>.<CR><LF>\r\n")
    t.c2s(b"Subject: hello\r\n\r\nHello Carol.\r\n.\r\n")
    t.s2c(b"250 2.0.0 Ok: queued\r\n")
    t.c2s(b"QUIT\r\n")
    t.s2c(b"221 2.0.0 Bye\r\n")
    t.close()


def main():
    out = sys.argv[1]
    eth = Iface(0, False, START_NS)
    smtp_login_without_starttls(eth)
    # Nanoseconds that must not round up to the next microsecond.
    sll = Iface(1, True, START_NS + 500_000_000 + 999)
    smtp_submission_in_cleartext(sll)

    data = shb()
    data += idb(LINKTYPE_ETHERNET)
    data += idb(LINKTYPE_LINUX_SLL,
                option(2, b"any") + option(9, b"\x09") +
                option(14, struct.pack("<q", TSOFFSET_S)))
    for t, frame in eth.recs:
        data += epb(0, t // 1000, frame)  # interface 0 counts microseconds
    data += block(0x00000BAD, b"a block of a type no reader knows")
    for t, frame in sll.recs:
        data += epb(1, t - TSOFFSET_S * 10**9, frame)
    with open(out, "wb") as f:
        f.write(data)
    for port, cap in ((25, eth), (587, sll)):
        print(port, iso(cap.recs[0][0]), iso(cap.recs[-2][0]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""tools/sctp-encap.py - carries the messages of a real TCP or UDP capture
over an SCTP association (RFC 9260), for the transport this machine's
kernel does not have (no SCTP module: see /work/shared/LAB.md and
pcaps/README.md).

    tools/sctp-encap.py [options] IN.pcap OUT.pcap

IN is a classic pcap of Ethernet frames (link type 1) of one TCP connection
or one UDP conversation recorded from real peers. OUT is one SCTP
association between the same addresses and ports (--port changes the
server's), with the same Ethernet addresses and the timestamps of IN:

  - the four-way handshake (INIT, INIT ACK with a State Cookie, COOKIE
    ECHO, COOKIE ACK) at the time of IN's first packet;
  - the messages, each in a DATA chunk of stream 0 with the next TSN of its
    sender, at the time of the packet that completed it. Over TCP a message
    is a Diameter message (version 1 and the length of its header, read
    across segments); bytes that are not one (TLS records after an in-band
    upgrade) go as one message per segment, as RFC 3436 carries TLS. Over
    UDP a datagram is a message (RFC 6083: DTLS records). Each DATA chunk
    acknowledges what the peer sent before it with a SACK bundled ahead of
    it; the last message is acknowledged by a SACK of its own;
  - the end: SHUTDOWN, SHUTDOWN ACK, SHUTDOWN COMPLETE after IN's last
    packet.

The message bytes are never changed. The CRC32c of every packet is right
(tshark checks it with -o sctp.checksum:CRC32C). Options:

  --ppid N         payload protocol identifier of the DATA chunks (46:
                   Diameter, 47: Diameter over DTLS; default 46)
  --port N         the server's port in OUT (default: IN's)
  --split K        the client's K-th message (1-based) goes in two DATA
                   chunks, its first fragment (B flag) and the rest (E)
  --retransmit K   the client's K-th message is sent twice (the same TSN):
                   a retransmission, as a sender repeats unacknowledged DATA

Written for tlswatch's tests; the framing follows RFC 9260, nothing else.
"""
import argparse
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapio import csum, is_nano, read_pcap  # noqa: E402

# CRC32c (Castagnoli), reflected, as RFC 9260 appendix A computes it.
_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def read_frames(path):
    """[(microseconds, frame)] of a classic pcap of Ethernet frames."""
    header, _end, frames = read_pcap(path)
    div = 1000 if is_nano(header) else 1
    return [(sec * 1000000 + frac // div, frame) for sec, frac, frame in frames]


class Packet:
    """One IPv4 TCP or UDP packet of IN, decoded."""

    def __init__(self, ts, frame):
        self.ts = ts
        self.macs = (frame[6:12], frame[0:6])  # source, destination
        if struct.unpack("!H", frame[12:14])[0] != 0x0800:
            raise ValueError("not IPv4")
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        self.proto = ip[9]
        self.src, self.dst = ip[12:16], ip[16:20]
        l4 = ip[ihl:total]
        self.sport, self.dport = struct.unpack("!HH", l4[:4])
        if self.proto == 6:
            self.seq = struct.unpack("!I", l4[4:8])[0]
            self.flags = l4[13]
            self.payload = l4[(l4[12] >> 4) * 4:]
        elif self.proto == 17:
            self.payload = l4[8:]
        else:
            raise ValueError("neither TCP nor UDP")


def messages(pkts):
    """[(ts, from_client, bytes)] in IN's order; the client is the sender of
    the first SYN, else of the first packet."""
    first = next((p for p in pkts if p.proto == 6 and p.flags & 0x12 == 0x02), pkts[0])
    client = (first.src, first.sport)
    out = []
    if first.proto == 17:
        for p in pkts:
            if p.payload:
                out.append((p.ts, (p.src, p.sport) == client, p.payload))
        return client, out
    nxt, buf = {}, {True: b"", False: b""}
    for p in pkts:
        c2s = (p.src, p.sport) == client
        if p.flags & 0x02:
            nxt[c2s] = (p.seq + 1) & 0xFFFFFFFF
            continue
        if not p.payload or c2s not in nxt:
            continue
        skip = (nxt[c2s] - p.seq) & 0xFFFFFFFF
        if skip >= len(p.payload):
            continue  # a retransmission
        if skip > 0x7FFFFFFF:
            sys.exit("a gap in the TCP stream: IN is not a whole connection")
        data = p.payload[skip:]
        nxt[c2s] = (nxt[c2s] + len(data)) & 0xFFFFFFFF
        buf[c2s] += data
        while buf[c2s]:
            b = buf[c2s]
            if b[0] == 1 and len(b) >= 4:
                n = struct.unpack("!I", b[0:4])[0] & 0xFFFFFF
                if n >= 20:
                    if len(b) < n:
                        break  # the rest of the message is still to come
                    out.append((p.ts, c2s, b[:n]))
                    buf[c2s] = b[n:]
                    continue
            if len(b) < 4 and b[0] == 1:
                break
            out.append((p.ts, c2s, b))  # not Diameter: the segment as it came
            buf[c2s] = b""
    return client, out


def chunk(ctype, flags, value):
    n = 4 + len(value)
    return struct.pack("!BBH", ctype, flags, n) + value + b"\0" * (-n % 4)


class Assoc:
    def __init__(self, args, client, server, macs):
        self.args, self.client, self.server, self.macs = args, client, server, macs
        self.tag = {True: 0x1A2B3C4D, False: 0x5E6F7081}  # each side's Initiate Tag
        self.tsn = {True: 1000, False: 5000}  # each side's next TSN
        self.ssn = {True: 0, False: 0}
        self.unacked = {True: None, False: None}  # the peer's last TSN to SACK
        self.frames, self.ident = [], 1

    def send(self, ts, from_client, chunks, vtag=None):
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        if vtag is None:
            vtag = self.tag[not from_client]  # the receiver's tag
        body = b"".join(chunks)
        common = struct.pack("!HHII", src[1], dst[1], vtag, 0)
        crc = crc32c(common + body)
        sctp = common[:8] + struct.pack("<I", crc) + body
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(sctp), self.ident, 0x4000, 64,
                         132, 0, src[0], dst[0])
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        self.ident += 1
        smac, dmac = self.macs if from_client else self.macs[::-1]
        self.frames.append((ts, dmac + smac + b"\x08\x00" + ip + sctp))

    def sack(self, sender):
        """The SACK chunk the peer of `sender` owes it for the DATA it sent
        (the cumulative TSN), or None when nothing is due."""
        last = self.unacked[sender]
        if last is None:
            return None
        self.unacked[sender] = None
        return chunk(3, 0, struct.pack("!IIHH", last, 106496, 0, 0))

    def data(self, ts, c2s, msg, split=False, retransmit=False):
        pre = self.sack(not c2s)
        parts = [msg] if not split or len(msg) < 2 else [msg[:len(msg) // 2], msg[len(msg) // 2:]]
        sent = []
        for i, part in enumerate(parts):
            flags = (2 if i == 0 else 0) | (1 if i == len(parts) - 1 else 0)
            value = struct.pack("!IHHI", self.tsn[c2s], 0, self.ssn[c2s], self.args.ppid) + part
            c = chunk(0, flags, value)
            self.unacked[c2s] = self.tsn[c2s]
            self.tsn[c2s] = (self.tsn[c2s] + 1) & 0xFFFFFFFF
            self.send(ts, c2s, ([pre] if pre and i == 0 else []) + [c])
            sent.append(c)
            ts += 10
        self.ssn[c2s] = (self.ssn[c2s] + 1) & 0xFFFF
        if retransmit:
            for c in sent:
                ts += 200000  # the peer's SACK "lost": sent again after the RTO
                self.send(ts, c2s, [c])
        return ts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ppid", type=int, default=46)
    ap.add_argument("--port", type=int)
    ap.add_argument("--split", type=int, default=0)
    ap.add_argument("--retransmit", type=int, default=0)
    ap.add_argument("inp")
    ap.add_argument("out")
    args = ap.parse_args()

    pkts = []
    for ts, frame in read_frames(args.inp):
        try:
            pkts.append(Packet(ts, frame))
        except (ValueError, struct.error, IndexError):
            continue
    if not pkts:
        sys.exit("%s: no IPv4 TCP or UDP packet" % args.inp)
    client, msgs = messages(pkts)
    first = pkts[0]
    server = (first.dst, first.dport) if (first.src, first.sport) == client else \
        (first.src, first.sport)
    if args.port:
        server = (server[0], args.port)
    macs = first.macs if (first.src, first.sport) == client else first.macs[::-1]
    a = Assoc(args, client, server, macs)

    t = pkts[0].ts
    init = lambda c2s, extra=b"": struct.pack("!IIHHI", a.tag[c2s], 106496, 10, 65535,
                                                  a.tsn[c2s]) + extra
    a.send(t, True, [chunk(1, 0, init(True))], vtag=0)
    cookie = b"tlswatch-sctp-encap-state-cookie"
    a.send(t + 50, False, [chunk(2, 0, init(False, struct.pack("!HH", 7, 4 + len(cookie)) +
                                             cookie))])
    a.send(t + 100, True, [chunk(10, 0, cookie)])
    a.send(t + 150, False, [chunk(11, 0, b"")])

    t_last = t + 150
    n_client = 0
    for ts, c2s, msg in msgs:
        ts = max(ts, t_last + 10)
        if c2s:
            n_client += 1
        t_last = a.data(ts, c2s, msg, split=c2s and n_client == args.split,
                        retransmit=c2s and n_client == args.retransmit)
    t_end = max(t_last, pkts[-1].ts) + 100
    for c2s in (True, False):
        s = a.sack(c2s)
        if s:
            a.send(t_end, not c2s, [s])
            t_end += 50
    a.send(t_end, True, [chunk(7, 0, struct.pack("!I", (a.tsn[False] - 1) & 0xFFFFFFFF))])
    a.send(t_end + 50, False, [chunk(8, 0, b"")])
    a.send(t_end + 100, True, [chunk(14, 0, b"")])

    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, frame in a.frames:
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""tests/e2e/gen-threads-cases.py DIR - writes the captures that once made
--threads differ from one thread, or hang, for tests/e2e/threads.sh.

The flows are placed on purpose in worker 0 or worker 1 of --threads 2, so
this script mirrors the engine's choice: flow_key_hash() in src/flow.c and
`(hash * n) >> 32` in src/engine.c (par_dispatch). If those change, change
this too (the cases then still compare the outputs, but may no longer put
the flows where the bug was).

  stalled-floor.pcap  1200 SYN-only flows in worker 0 expire together (their
                      reports overflow its output ring), then one packet for
                      worker 1 and 5 MB for worker 0: worker 1 idled in front
                      of an unpublished batch and the reader waited for ever.
  time-back-idle.pcap a flow at t=1000 s (worker 1), one at t=500 s (worker 0),
                      a packet at t=1200 s, run with --idle-timeout 600: one
                      thread ends neither by idleness; workers expired the
                      second.
  time-back-linger.pcap two closed flows whose times go back; a late payload
                      packet 25.5 s later must be absorbed, not start a
                      midstream session.
  learn-before-rst.pcap, learn-after-rst.pcap: a DANE record read from DNS
                      just before / just after the packet that ends the
                      session it applies to: the judge thread must learn it
                      in packet order (a dane-violation alert, or none).
"""
import os
import struct
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(TOP, "tools"))
from pcapio import read_pcap  # noqa: E402

M32 = 0xFFFFFFFF


def mix(h, v):
    h ^= (v * 0x9E3779B1) & M32
    h = ((h << 13) | (h >> 19)) & M32
    return (h * 5 + 0xE6546B64) & M32


def endpoint_hash(addr, port):
    return mix(port, struct.unpack("<I", bytes(addr))[0])


def flow_hash(src, sport, dst, dport):
    a, b = endpoint_hash(src, sport), endpoint_hash(dst, dport)
    h = ((a ^ b) + min(a, b) * 31 + 6) & M32
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M32
    h ^= h >> 13
    return h


def worker_of(src, sport, dst, dport, n=2):
    return (flow_hash(src, sport, dst, dport) * n) >> 32


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


SYN, RST, PSH, ACK = 0x02, 0x04, 0x08, 0x10
ETH = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00"


def ipv4(src, dst, proto, body):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0, 64, proto, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return ETH + hdr + body


def tcp(src, sport, dst, dport, flags, seq=1, ack=0, payload=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return ipv4(src, dst, 6, seg + payload)


def udp(src=(10, 9, 9, 9), dst=(10, 9, 9, 8)):
    return ipv4(src, dst, 17, struct.pack("!HHHH", 53, 53, 8, 0))


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

    def put(self, t, frame):
        sec = int(t)
        usec = int(round((t - sec) * 1e6))
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


SERVER = (10, 0, 0, 2)


def clients(want):
    """Client endpoints to SERVER:25 that land in worker 0 or 1, as asked:
    want is a list of worker numbers; returns one (addr, port) each."""
    out, pools = [], {0: [], 1: []}
    need = {0: want.count(0), 1: want.count(1)}
    for a in range(1, 250):
        for port in range(1024, 60000):
            c = (10, 1, a, 1)
            w = worker_of(c, port, SERVER, 25)
            if len(pools[w]) < need[w]:
                pools[w].append((c, port))
            if all(len(pools[k]) >= need[k] for k in (0, 1)):
                break
        if all(len(pools[k]) >= need[k] for k in (0, 1)):
            break
    for w in want:
        out.append(pools[w].pop(0))
    return out


def stalled_floor(path):
    flows = clients([0] * 1201 + [1])
    p = Pcap(path)
    t = 10.0
    for c, port in flows[:1200]:
        p.put(t, tcp(c, port, SERVER, 25, SYN))
        t += 1e-6
    p.put(400.0, tcp(*flows[1201], SERVER, 25, SYN))  # expiry, then worker 1
    c, port = flows[1200]
    payload = b"x" * 65495
    seq = 1
    for i in range(80):
        p.put(400.001 + i * 1e-6, tcp(c, port, SERVER, 25, ACK | PSH, seq=seq, payload=payload))
        seq += len(payload)
    p.close()


def time_back_idle(path):
    x, y = clients([1, 0])
    p = Pcap(path)
    p.put(1000.0, tcp(*x, SERVER, 25, SYN))
    p.put(500.0, tcp(*y, SERVER, 25, SYN))
    p.put(1200.0, udp())
    p.close()


def time_back_linger(path):
    x, y = clients([1, 0])
    p = Pcap(path)
    p.put(1000.0, tcp(*x, SERVER, 25, SYN))
    p.put(1000.1, tcp(*x, SERVER, 25, RST))
    p.put(990.0, tcp(*y, SERVER, 25, SYN))
    p.put(990.1, tcp(*y, SERVER, 25, RST))
    p.put(1025.0, udp())
    p.put(1025.5, tcp(*y, SERVER, 25, ACK | PSH, seq=2, payload=b"EHLO x\r\n"))
    p.close()


def learn_order(d):
    """policy-dane-strip.pcap (recorded by tools/record-policy.sh) with
    its three DNS exchanges moved: before the last packet (the stripped
    session's RST), so that the DANE record is learnt before that session
    is judged, and after it, so that it is not. The times stay: the answers
    are as old as before."""
    hdr, end, frames = read_pcap(os.path.join(TOP, "pcaps", "policy-dane-strip.pcap"))
    recs = [struct.pack(end + "IIII", sec, frac, len(fr), len(fr)) + fr for sec, frac, fr in frames]
    dns, rest = recs[:6], recs[6:]
    with open(os.path.join(d, "learn-before-rst.pcap"), "wb") as f:
        f.write(hdr + b"".join(rest[:-1] + dns + rest[-1:]))
    with open(os.path.join(d, "learn-after-rst.pcap"), "wb") as f:
        f.write(hdr + b"".join(rest + dns))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen-threads-cases.py DIR")
    d = sys.argv[1]
    stalled_floor(os.path.join(d, "stalled-floor.pcap"))
    time_back_idle(os.path.join(d, "time-back-idle.pcap"))
    time_back_linger(os.path.join(d, "time-back-linger.pcap"))
    learn_order(d)


if __name__ == "__main__":
    main()

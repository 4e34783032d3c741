#!/usr/bin/env python3
"""Cuts every packet of a pcap file to SNAPLEN bytes, as `editcap -s` or a
capture with `-s SNAPLEN` would (the original length stays in the record).

    cut-pcap.py SNAPLEN IN.pcap OUT.pcap
"""
import struct
import sys


def main(snaplen, src, dst):
    d = open(src, "rb").read()
    magic = struct.unpack("<I", d[:4])[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out = bytearray(d[:16] + struct.pack(e + "I", snaplen) + d[20:24])
    off = 24
    while off + 16 <= len(d):
        sec, frac, incl, orig = struct.unpack(e + "IIII", d[off:off + 16])
        frame = d[off + 16:off + 16 + incl][:snaplen]
        off += 16 + incl
        out += struct.pack(e + "IIII", sec, frac, len(frame), orig) + frame
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])

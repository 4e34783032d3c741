#!/usr/bin/env python3
"""Splits an Ethernet pcap file before its first TCP FIN or RST: OUT1 is a
pcap file of the packets before it (the sessions still open), OUT2 the raw
records from it on, to be written after OUT1 into the same pipe.

    split-at-fin.py IN.pcap OUT1.pcap OUT2.bin
"""
import struct
import sys


def main(src, out1, out2):
    d = open(src, "rb").read()
    e = "<" if struct.unpack("<I", d[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    if struct.unpack(e + "I", d[20:24])[0] != 1:
        sys.exit("split-at-fin.py: Ethernet captures only")
    off = 24
    while off + 16 <= len(d):
        incl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
        frame = d[off + 16:off + 16 + incl]
        ip = frame[14:]
        if frame[12:14] == b"\x08\x00" and len(ip) > 20 and ip[9] == 6:
            tcp = ip[(ip[0] & 15) * 4:]
            if len(tcp) > 13 and tcp[13] & 0x05:  # FIN or RST
                break
        off += 16 + incl
    if off >= len(d):
        sys.exit("split-at-fin.py: no FIN or RST in " + src)
    open(out1, "wb").write(d[:off])
    open(out2, "wb").write(d[off:])


if __name__ == "__main__":
    main(*sys.argv[1:4])

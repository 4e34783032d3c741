"""tools/pcapio.py - what the project's capture generators share: reading a
classic pcap of Ethernet frames and the Internet checksum (RFC 1071).
Imported by tools/tunnel-encap.py, tools/sctp-encap.py,
tests/hostile/gen.py and tests/e2e/gen-threads-cases.py."""
import struct
import sys


def csum(data):
    """The ones' complement sum of RFC 1071 over data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def read_pcap(path):
    """(the 24-byte file header, its byte order "<" or ">", [(seconds,
    fraction, frame)]) of a classic pcap of Ethernet frames; exits with a
    message for anything else. The fraction is in microseconds, or in
    nanoseconds when is_nano(header)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit("%s: not a classic pcap file" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    if linktype != 1:
        sys.exit("%s: link type %d, only Ethernet (1) is read" % (path, linktype))
    off, frames = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        frames.append((sec, frac, data[off:off + incl]))
        off += incl
    return data[:24], end, frames


def is_nano(header):
    """Do the frames of a file with this header have nanosecond fractions?"""
    return header[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")

#!/usr/bin/env python3
"""samples/make/pcap_swap.py IN OUT: rewrites a libpcap file in the other byte order
(global header and every record header swapped; packet bytes untouched), the way a
big-endian host's libpcap would have written it. No writer on this (little-endian) machine
writes big-endian pcap. Made here, CC0."""
import struct
import sys

src, dst = sys.argv[1:3]
data = open(src, 'rb').read()
magic = data[:4]
le = magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1')
i, o = ('<', '>') if le else ('>', '<')
out = bytearray(struct.pack(o + 'IHHiIII', *struct.unpack_from(i + 'IHHiIII', data, 0)))
pos = 24
while pos < len(data):
    ts, frac, incl, orig = struct.unpack_from(i + 'IIII', data, pos)
    out += struct.pack(o + 'IIII', ts, frac, incl, orig) + data[pos + 16:pos + 16 + incl]
    pos += 16 + incl
open(dst, 'wb').write(bytes(out))

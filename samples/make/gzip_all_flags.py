#!/usr/bin/env python3
"""samples/make/gzip_all_flags.py IN OUT: writes a one-member gzip file (RFC 1952) with
FTEXT, FEXTRA, FNAME, FCOMMENT and FHCRC set. No standard tool writes FEXTRA/FCOMMENT/FHCRC
(GNU gzip and Python's gzip write only FNAME), so the header is written here field by field
and the body is raw deflate from zlib. Made here, CC0."""
import struct
import sys
import zlib

src, dst = sys.argv[1:3]
data = open(src, 'rb').read()
FTEXT, FHCRC, FEXTRA, FNAME, FCOMMENT = 1, 2, 4, 8, 16
flags = FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT
mtime = 1700000000
header = b'\x1f\x8b\x08' + bytes([flags]) + struct.pack('<I', mtime) + b'\x02\x03'  # XFL=2 (max), OS=3 (Unix)
# FEXTRA: XLEN, then sub-fields SI1 SI2 LEN(le16) data. 'us' is a made-up sub-field id.
sub = b'us' + struct.pack('<H', 5) + b'hello'
header += struct.pack('<H', len(sub)) + sub
header += b'hello.txt\0'                               # FNAME, latin-1, NUL-terminated
header += b'a comment, in latin-1: caf\xe9\0'           # FCOMMENT, latin-1, NUL-terminated
header += struct.pack('<H', zlib.crc32(header) & 0xffff)  # FHCRC: low 16 bits of the header's CRC-32
comp = zlib.compressobj(9, zlib.DEFLATED, -15)
body = comp.compress(data) + comp.flush()
trailer = struct.pack('<II', zlib.crc32(data), len(data) & 0xffffffff)
open(dst, 'wb').write(header + body + trailer)

#!/usr/bin/env python3
"""tests/oracle/gzip.py SAMPLE: expected values for formats/gzip.struct, as JSON.

Python's `gzip` module decompresses the member (the payload's CRC-32 and length are checked
against the trailer); the header fields come from RFC 1952 §2.3 offsets. Prints:
  method, flags (number), flag_names (text, hcrc, extra, name, comment in bit order), mtime,
  extra_flags, os, xlen, extra [{id, length, data (hex)}] (sub-fields), name, comment
  (latin-1 text), header_crc, header_size (offset of the deflate data), crc, isize (trailer,
  read at file size - 8), uncompressed_size (from decompression), compressed_size (deflate bytes).
Only the standard library."""
import os
import sys

# this file is named gzip.py: keep it from shadowing the standard library's gzip
sys.path = [p for p in sys.path if os.path.abspath(p or '.') != os.path.dirname(os.path.abspath(__file__))]

import gzip  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import zlib  # noqa: E402

FLAG_NAMES = ['text', 'hcrc', 'extra', 'name', 'comment']


def main(path):
    data = open(path, 'rb').read()
    assert data[:2] == b'\x1f\x8b'
    method, flags, mtime, xfl, os_ = struct.unpack_from('<BBIBB', data, 2)
    out = {'method': method, 'flags': flags,
           'flag_names': [n for i, n in enumerate(FLAG_NAMES) if flags >> i & 1],
           'mtime': mtime, 'extra_flags': xfl, 'os': os_}
    pos = 10
    if flags & 4:
        xlen, = struct.unpack_from('<H', data, pos)
        extra, subs, p = data[pos + 2:pos + 2 + xlen], [], 0
        while p + 4 <= len(extra):
            n, = struct.unpack_from('<H', extra, p + 2)
            subs.append({'id': extra[p:p + 2].decode('latin-1'), 'length': n, 'data': extra[p + 4:p + 4 + n].hex()})
            p += 4 + n
        out['xlen'], out['extra'] = xlen, subs
        pos += 2 + xlen
    if flags & 8:
        end = data.index(b'\0', pos)
        out['name'] = data[pos:end].decode('latin-1')
        pos = end + 1
    if flags & 16:
        end = data.index(b'\0', pos)
        out['comment'] = data[pos:end].decode('latin-1')
        pos = end + 1
    if flags & 2:
        out['header_crc'], = struct.unpack_from('<H', data, pos)
        assert out['header_crc'] == zlib.crc32(data[:pos]) & 0xFFFF, 'bad FHCRC'
        pos += 2
    out['header_size'] = pos
    out['crc'], out['isize'] = struct.unpack_from('<II', data, len(data) - 8)
    payload = gzip.decompress(data)
    out['uncompressed_size'] = len(payload)
    out['compressed_size'] = len(data) - 8 - pos
    assert zlib.crc32(payload) == out['crc'] and len(payload) & 0xFFFFFFFF == out['isize']
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))

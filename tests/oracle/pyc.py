#!/usr/bin/env python3
"""tests/oracle/pyc.py SAMPLE: expected values for formats/pyc.struct, as JSON.

The header layout of PEP 552 (Python ≥ 3.7: magic, flags, then mtime + source size or an
8-byte source hash), checked against `importlib.util.MAGIC_NUMBER` and, when the file is for
the running Python, against `importlib._bootstrap_external._classify_pyc` (the interpreter's
own header check) and `marshal.loads` of the code object. Prints:
  magic (hex of the 4 bytes), magic_number (the first two bytes, little-endian), flags,
  invalidation ("timestamp" | "unchecked-hash" | "checked-hash"), mtime and source_size
  (timestamp mode) or source_hash (hex, hash modes), code_offset (16),
  matches_running_python, code {name, filename, first_byte} (only when it matches).
Only the standard library."""
import importlib.util
import json
import marshal
import struct
import sys
from importlib import _bootstrap_external


def main(path):
    data = open(path, 'rb').read()
    assert data[2:4] == b'\r\n', 'not a pyc'
    magic_number, = struct.unpack_from('<H', data, 0)
    assert magic_number >= 3390, 'pre-3.7 pyc: no flags word (not covered by this oracle)'
    flags, = struct.unpack_from('<I', data, 4)
    out = {'magic': data[:4].hex(), 'magic_number': magic_number, 'flags': flags,
           'invalidation': 'timestamp' if flags == 0 else ('checked-hash' if flags & 2 else 'unchecked-hash')}
    if flags & 1:
        out['source_hash'] = data[8:16].hex()
    else:
        out['mtime'], out['source_size'] = struct.unpack_from('<II', data, 8)
    out['code_offset'] = 16
    out['matches_running_python'] = data[:4] == importlib.util.MAGIC_NUMBER
    if out['matches_running_python']:
        assert _bootstrap_external._classify_pyc(data, 'sample', {}) == flags
        code = marshal.loads(data[16:])
        out['code'] = {'name': code.co_name, 'filename': code.co_filename, 'first_byte': data[16]}
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))

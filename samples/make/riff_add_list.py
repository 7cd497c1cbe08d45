#!/usr/bin/env python3
"""samples/make/riff_add_list.py IN.wav OUT.wav {before-data|end} KEY=VALUE...

Adds a RIFF 'LIST' chunk of form type 'INFO' (one sub-chunk per KEY=VALUE, the value
NUL-terminated as the RIFF spec's ZSTR, each sub-chunk padded to even length) to a WAV
file written by a real writer (sox / Python's wave), either just before the 'data' chunk
or after the last chunk, and fixes the RIFF size. Made here, CC0. No standard tool on the
machine writes LIST/INFO (sox ignores --comment for WAV)."""
import struct
import sys


def chunks(body):
    pos = 0
    while pos + 8 <= len(body):
        cid, size = struct.unpack_from('<4sI', body, pos)
        end = pos + 8 + size + (size & 1)
        yield cid, body[pos:end]
        pos = end


def main():
    src, dst, where, *pairs = sys.argv[1:]
    data = open(src, 'rb').read()
    assert data[:4] == b'RIFF' and data[8:12] == b'WAVE'
    info = b'INFO'
    for pair in pairs:
        key, value = pair.split('=', 1)
        key = key.encode('ascii')
        assert len(key) == 4
        text = value.encode('ascii') + b'\0'
        info += struct.pack('<4sI', key, len(text)) + text + (b'\0' if len(text) & 1 else b'')
    lst = struct.pack('<4sI', b'LIST', len(info)) + info
    out = b''
    for cid, raw in chunks(data[12:]):
        if cid == b'data' and where == 'before-data':
            out += lst
        out += raw
    if where == 'end':
        out += lst
    out = b'RIFF' + struct.pack('<I', len(out) + 4) + b'WAVE' + out
    open(dst, 'wb').write(out)


main()

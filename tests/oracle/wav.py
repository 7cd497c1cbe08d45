#!/usr/bin/env python3
"""tests/oracle/wav.py SAMPLE: expected values for formats/wav.struct, as JSON.

Independent decoder: Python's `wave` module for PCM files (channels, rate, width, frames) and,
for every file, a RIFF chunk walk written from the RIFF spec (Microsoft "Multimedia Programming
Interface and Data Specifications 1.0", 1991); "RIFX" files are the same with big-endian integers.
Prints:
  magic (RIFF|RIFX), riff_size, form, chunks [{id, offset, size}] (offset of the chunk header, top level only),
  format_tag, format ("pcm", "ieee_float", "extensible", … or the number), channels, sample_rate,
  byte_rate, block_align, bits_per_sample, data_size, frames (data_size // block_align),
  info {KEY: text} from a LIST/INFO chunk (values without the trailing NUL), wave_module (what
  `wave` reports, or null where it refuses the format).
Only the standard library."""
import json
import struct
import sys
import wave

FORMATS = {1: 'pcm', 3: 'ieee_float', 6: 'alaw', 7: 'mulaw', 0xFFFE: 'extensible'}


def main(path):
    data = open(path, 'rb').read()
    assert data[:4] in (b'RIFF', b'RIFX'), 'not RIFF'
    e = '<' if data[:4] == b'RIFF' else '>'
    riff_size, = struct.unpack_from(e + 'I', data, 4)
    out = {'magic': data[:4].decode('ascii'), 'riff_size': riff_size, 'form': data[8:12].decode('ascii'), 'chunks': []}
    pos, end = 12, min(len(data), 8 + riff_size)
    while pos + 8 <= end:
        cid, size = struct.unpack_from(e + '4sI', data, pos)
        body = data[pos + 8:pos + 8 + size]
        out['chunks'].append({'id': cid.decode('latin-1'), 'offset': pos, 'size': size})
        if cid == b'fmt ':
            tag, ch, rate, brate, align, bits = struct.unpack_from(e + 'HHIIHH', body)
            out.update(format_tag=tag, format=FORMATS.get(tag, tag), channels=ch, sample_rate=rate,
                       byte_rate=brate, block_align=align, bits_per_sample=bits)
            if size >= 18:
                out['cb_size'], = struct.unpack_from(e + 'H', body, 16)
            if tag == 0xFFFE:
                valid, mask = struct.unpack_from(e + 'HI', body, 18)
                out.update(valid_bits_per_sample=valid, channel_mask=mask,
                           subformat=body[24:40].hex())
        elif cid == b'data':
            out['data_size'] = size
        elif cid == b'fact':
            out['fact_sample_length'], = struct.unpack_from(e + 'I', body)
        elif cid == b'LIST' and body[:4] == b'INFO':
            info, p = {}, 4
            while p + 8 <= len(body):
                k, n = struct.unpack_from(e + '4sI', body, p)
                info[k.decode('ascii')] = body[p + 8:p + 8 + n].rstrip(b'\0').decode('latin-1')
                p += 8 + n + (n & 1)
            out['info'] = info
        pos += 8 + size + (size & 1)          # chunks are padded to an even length
    out['frames'] = out['data_size'] // out['block_align']
    try:
        if e == '>':
            raise wave.Error('RIFX')           # wave reads only RIFF
        with wave.open(path, 'rb') as w:
            out['wave_module'] = {'channels': w.getnchannels(), 'sample_width': w.getsampwidth(),
                                  'framerate': w.getframerate(), 'frames': w.getnframes()}
            assert w.getnframes() == out['frames'] and w.getnchannels() == out['channels']
    except wave.Error:
        out['wave_module'] = None              # wave (3.11) reads only format 1
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))

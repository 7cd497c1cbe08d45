#!/usr/bin/env python3
"""tests/oracle/png.py SAMPLE: expected values for formats/png.struct, as JSON.

Chunk walk from the PNG spec (W3C PNG 2nd ed., §5.3: length u32be, type, data, CRC over type +
data) with every CRC checked by zlib.crc32, cross-checked against Pillow (`pip install
Pillow`) for the image size, mode and the decoded text. Prints:
  width, height, bit_depth, color_type, compression, filter, interlace,
  chunks [{type, offset, length, crc}] in file order (offset of the length field),
  text {keyword: text} from tEXt, ztxt {keyword: compression method} (the text is deflated),
  itxt [{keyword, compressed, language, translated}], plte_entries (0 without PLTE), trns
  (the tRNS chunk's bytes in hex, when present),
  idat_total (sum of IDAT lengths), pillow {size, mode, info_text}.
Only the standard library and Pillow."""
import json
import struct
import sys
import zlib

from PIL import Image


def main(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    out = {'chunks': [], 'text': {}, 'ztxt': {}, 'itxt': [], 'plte_entries': 0, 'idat_total': 0}
    pos = 8
    while pos < len(data):
        length, ctype = struct.unpack_from('>I4s', data, pos)
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack_from('>I', data, pos + 8 + length)
        assert crc == zlib.crc32(ctype + body), 'bad CRC in %r' % ctype
        out['chunks'].append({'type': ctype.decode('ascii'), 'offset': pos, 'length': length, 'crc': crc})
        if ctype == b'IHDR':
            w, h, bd, ct, cm, fm, il = struct.unpack('>IIBBBBB', body)
            out.update(width=w, height=h, bit_depth=bd, color_type=ct, compression=cm, filter=fm, interlace=il)
        elif ctype == b'PLTE':
            out['plte_entries'] = length // 3
        elif ctype == b'tRNS':
            out['trns'] = body.hex()
        elif ctype == b'IDAT':
            out['idat_total'] += length
        elif ctype == b'tEXt':
            k, v = body.split(b'\0', 1)
            out['text'][k.decode('latin-1')] = v.decode('latin-1')
        elif ctype == b'zTXt':
            k, rest = body.split(b'\0', 1)
            out['ztxt'][k.decode('latin-1')] = rest[0]
        elif ctype == b'iTXt':
            k, rest = body.split(b'\0', 1)
            flag, method = rest[0], rest[1]
            lang, rest = rest[2:].split(b'\0', 1)
            tkey, text = rest.split(b'\0', 1)
            out['itxt'].append({'keyword': k.decode('latin-1'), 'compressed': flag, 'method': method,
                                'language': lang.decode('ascii'), 'translated': tkey.decode('utf-8'),
                                'text': (zlib.decompress(text) if flag else text).decode('utf-8')})
        pos += 12 + length
        if ctype == b'IEND':
            break
    im = Image.open(path)
    im.load()
    out['pillow'] = {'size': list(im.size), 'mode': im.mode,
                     'info_text': {k: v for k, v in im.info.items() if isinstance(v, str)}}
    assert im.size == (out['width'], out['height'])
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))

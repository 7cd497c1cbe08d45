#!/usr/bin/env python3
"""tests/oracle/bmp.py SAMPLE: expected values for formats/bmp.struct, as JSON.

Pillow (`pip install Pillow`) decodes the image (size, mode, palette length, compression),
and the documented header offsets (BITMAPFILEHEADER, then BITMAPCOREHEADER / BITMAPINFOHEADER /
V4 / V5 by their size field) give the raw fields; the two are cross-checked. Prints:
  file_size, pixel_offset, header_size, header_kind (core|info|v2|v3|v4|v5), width, height
  (signed; negative = top-down), planes, bit_count, compression (number; absent for core),
  image_size, x_pels_per_meter, y_pels_per_meter, colors_used, colors_important, red_mask,
  green_mask, blue_mask, alpha_mask where the header or BI_BITFIELDS has them, cs_type (v4+), intent (v5+), palette_entries
  (colour table length in entries: 3-byte for core, 4-byte otherwise), pillow {size, mode}."""
import json
import struct
import sys

from PIL import Image

KINDS = {12: 'core', 40: 'info', 52: 'v2', 56: 'v3', 64: 'os2v2', 108: 'v4', 124: 'v5'}


def main(path):
    data = open(path, 'rb').read()
    assert data[:2] == b'BM'
    file_size, _r1, _r2, pixel_offset, header_size = struct.unpack_from('<IHHII', data, 2)
    out = {'file_size': file_size, 'pixel_offset': pixel_offset, 'header_size': header_size,
           'header_kind': KINDS.get(header_size, header_size)}
    h = 14
    if header_size == 12:
        w, hgt, planes, bits = struct.unpack_from('<HHHH', data, h + 4)
        out.update(width=w, height=hgt, planes=planes, bit_count=bits)
        entry = 3
    else:
        (w, hgt, planes, bits, comp, isize, xp, yp, used, imp) = struct.unpack_from('<iiHHIIiiII', data, h + 4)
        out.update(width=w, height=hgt, planes=planes, bit_count=bits, compression=comp,
                   image_size=isize, x_pels_per_meter=xp, y_pels_per_meter=yp, colors_used=used, colors_important=imp)
        entry = 4
        if header_size >= 52:
            r, g, b = struct.unpack_from('<III', data, h + 40)
            out.update(red_mask=r, green_mask=g, blue_mask=b)
            if header_size >= 56:
                out['alpha_mask'], = struct.unpack_from('<I', data, h + 52)
        elif comp in (3, 6):  # BI_BITFIELDS / BI_ALPHABITFIELDS after a 40-byte header
            n = 3 if comp == 3 else 4
            vals = struct.unpack_from('<%dI' % n, data, h + 40)
            out.update(zip(('red_mask', 'green_mask', 'blue_mask', 'alpha_mask'), vals))
        if header_size >= 108:
            out['cs_type'], = struct.unpack_from('<I', data, h + 56)
            out['cs_type_text'] = data[h + 56:h + 60][::-1].decode('latin-1')
        if header_size >= 124:
            out['intent'], out['profile_data'], out['profile_size'] = struct.unpack_from('<III', data, h + 108)
    table_start = 14 + header_size + (12 if header_size == 40 and out.get('compression') == 3 else 0)
    out['palette_entries'] = (pixel_offset - table_start) // entry if bits <= 8 else 0
    im = Image.open(path)
    out['pillow'] = {'size': list(im.size), 'mode': im.mode}
    assert im.size == (abs(out['width']), abs(out['height']))
    if im.mode == 'P':
        assert len(im.getpalette()) // 3 == out['palette_entries'], 'palette mismatch'
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))

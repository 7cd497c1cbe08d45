#!/usr/bin/env python3
"""tests/oracle/gif.py SAMPLE: expected values for formats/gif.struct, as JSON.

Block walk written from the GIF89a specification (header, logical screen descriptor, global
colour table, then extension (0x21) / image (0x2C) blocks with data sub-blocks up to the 0x3B
trailer), cross-checked against Pillow (`pip install Pillow`) for version, size, frame count,
loop and comment. Prints:
  version, width, height, gct_flag, color_resolution, sort_flag, gct_size (the 3-bit field),
  gct_entries (2^(gct_size+1), 0 when the flag is clear), background_index, aspect_ratio,
  blocks [{kind: "extension"|"image", offset, label (extensions), …}] in file order, where an
  extension has label and data_bytes (sum of its sub-block lengths) and, for 0xF9, the graphic
  control fields; an image has left, top, width, height, lct_flag, lct_size (the field),
  lct_entries, interlace, lzw_min_code_size, data_bytes;
  images (count of image blocks), comments [text], trailer_offset, pillow {…}.
Only the standard library and Pillow."""
import json
import struct
import sys

from PIL import Image


def sub_blocks(data, pos):
    chunks = []
    while data[pos]:
        chunks.append(data[pos + 1:pos + 1 + data[pos]])
        pos += 1 + data[pos]
    return b''.join(chunks), pos + 1


def main(path):
    data = open(path, 'rb').read()
    out = {'version': data[:6].decode('ascii')}
    w, h, packed, bg, aspect = struct.unpack_from('<HHBBB', data, 6)
    gct = bool(packed & 0x80)
    out.update(width=w, height=h, gct_flag=int(gct), color_resolution=(packed >> 4) & 7,
               sort_flag=(packed >> 3) & 1, gct_size=packed & 7,
               gct_entries=(2 << (packed & 7)) if gct else 0, background_index=bg, aspect_ratio=aspect)
    pos = 13 + 3 * out['gct_entries']
    blocks, comments = [], []
    while data[pos] != 0x3B:
        if data[pos] == 0x21:
            label = data[pos + 1]
            body, end = sub_blocks(data, pos + 2)
            b = {'kind': 'extension', 'offset': pos, 'label': label, 'data_bytes': len(body)}
            if label == 0xF9:
                p, delay, tidx = struct.unpack_from('<BHB', body)
                b.update(disposal=(p >> 2) & 7, user_input=(p >> 1) & 1, transparent_flag=p & 1,
                         delay=delay, transparent_index=tidx)
            elif label == 0xFE:
                comments.append(body.decode('latin-1'))
            elif label == 0xFF:
                b['application'] = data[pos + 3:pos + 14].decode('latin-1')
            blocks.append(b)
            pos = end
        elif data[pos] == 0x2C:
            left, top, iw, ih, p = struct.unpack_from('<HHHHB', data, pos + 1)
            lct = (2 << (p & 7)) if p & 0x80 else 0
            q = pos + 10 + 3 * lct
            lzw = data[q]
            body, end = sub_blocks(data, q + 1)
            blocks.append({'kind': 'image', 'offset': pos, 'left': left, 'top': top, 'width': iw,
                           'height': ih, 'lct_flag': p >> 7, 'lct_size': p & 7, 'lct_entries': lct,
                           'interlace': (p >> 6) & 1, 'lzw_min_code_size': lzw, 'data_bytes': len(body)})
            pos = end
        else:
            raise ValueError('unknown block 0x%02x at %d' % (data[pos], pos))
    out.update(blocks=blocks, images=sum(b['kind'] == 'image' for b in blocks), comments=comments,
               trailer_offset=pos)
    im = Image.open(path)
    out['pillow'] = {'version': im.info['version'].decode('ascii'), 'size': list(im.size),
                     'n_frames': getattr(im, 'n_frames', 1), 'loop': im.info.get('loop'),
                     'comment': im.info['comment'].decode('latin-1') if 'comment' in im.info else None}
    assert out['pillow']['n_frames'] == out['images'] and out['pillow']['version'] == out['version']
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))

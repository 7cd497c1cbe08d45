#!/usr/bin/env python3
"""tests/oracle/tar.py SAMPLE: expected values for formats/tar.struct, as JSON.

Every 512-byte header in the file, pax 'x'/'g' and GNU 'L'/'K' headers included, parsed by
Python's own `tarfile.TarInfo.frombuf` (which also verifies the checksum), walked from the
start the way tar does (header, data rounded up to 512, until a zero block); then
`tarfile.open` lists the real members, with pax and GNU long names applied. Prints:
  headers [{offset (of the header block), name, prefix (the raw ustar fields, cut at NUL),
  mode, uid, gid, size, mtime, chksum, typeflag (the character), linkname, magic, version
  (cut at the first NUL), uname, gname, devmajor, devminor, data_offset}],
  members [{path (with pax/GNU long names applied), size, mtime, typeflag, header_offset
  (where the member's headers start, pax/GNU ones included), data_offset, pax_headers}],
  end_offset (first zero block), file_size.
Only the standard library."""
import os
import sys

# tests/oracle/ holds a gzip.py: keep it from shadowing the standard library's gzip (tarfile uses it)
sys.path = [p for p in sys.path if os.path.abspath(p or '.') != os.path.dirname(os.path.abspath(__file__))]

import json  # noqa: E402
import tarfile  # noqa: E402

NO_DATA = set(b'123456')   # link, symlink, char, block, directory, fifo: no data


def cstr(field):
    return field.split(b'\0', 1)[0].decode('utf-8', 'surrogateescape')


def num(field):
    text = field.split(b'\0', 1)[0].strip(b' ')
    return int(text, 8) if text else 0


def main(path):
    data = open(path, 'rb').read()
    headers, pos = [], 0
    while pos + 512 <= len(data) and data[pos:pos + 512] != bytes(512):
        h = data[pos:pos + 512]
        ti = tarfile.TarInfo.frombuf(h, 'utf-8', 'surrogateescape')   # raises on a bad checksum
        typeflag = h[156]
        size = ti.size
        headers.append({'offset': pos, 'name': cstr(h[0:100]), 'prefix': cstr(h[345:500]) if h[257:263] == b'ustar\0' else '',
                        'mode': ti.mode, 'uid': ti.uid, 'gid': ti.gid, 'size': size, 'mtime': int(ti.mtime),
                        'chksum': num(h[148:156]), 'typeflag': chr(typeflag) if typeflag else '\0',
                        'linkname': cstr(h[157:257]), 'magic': cstr(h[257:263]), 'version': cstr(h[263:265]),
                        'uname': ti.uname, 'gname': ti.gname, 'devmajor': ti.devmajor, 'devminor': ti.devminor,
                        'data_offset': pos + 512})
        pos += 512 + (0 if typeflag in NO_DATA else (size + 511) // 512 * 512)
    members = []
    with tarfile.open(path, 'r:') as tf:
        for m in tf.getmembers():
            members.append({'path': m.name, 'size': m.size, 'mtime': int(m.mtime), 'typeflag': m.type.decode('ascii'),
                            'header_offset': m.offset, 'data_offset': m.offset_data, 'pax_headers': m.pax_headers})
    return {'headers': headers, 'members': members, 'end_offset': pos, 'file_size': len(data)}


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2, ensure_ascii=False))

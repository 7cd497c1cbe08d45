#!/usr/bin/env python3
"""tests/oracle/zip.py SAMPLE: expected values for formats/zip.struct, as JSON.

Python's `zipfile` reads the central directory and every local header (and decompresses each
entry, which checks its CRC-32); the end-of-central-directory fields come from APPNOTE 6.3.x
§4.3.16 at the offset of the last "PK\\5\\6". Prints:
  eocd_offset, disk, cd_disk, entries_on_disk, entries_total, cd_size, cd_offset, comment,
  entries [{filename, version_made_by (made_by_host << 8 | made_by_version), made_by_version,
  made_by_host, version_needed, flags, method, mod_time (MS-DOS time), mod_date
  (MS-DOS date), crc, compressed_size, uncompressed_size, extra (hex), comment, internal_attr,
  external_attr, local_header_offset, local_extra (hex), data_offset, data_descriptor (bool)}].
Only the standard library."""
import json
import struct
import sys
import zipfile


def main(path):
    data = open(path, 'rb').read()
    eocd = data.rfind(b'PK\x05\x06')
    disk, cd_disk, n_disk, n, cd_size, cd_off, clen = struct.unpack_from('<HHHHIIH', data, eocd + 4)
    out = {'eocd_offset': eocd, 'disk': disk, 'cd_disk': cd_disk, 'entries_on_disk': n_disk,
           'entries_total': n, 'cd_size': cd_size, 'cd_offset': cd_off, 'entries': []}
    with zipfile.ZipFile(path) as zf:
        out['comment'] = zf.comment.decode('cp437')
        assert zf.start_dir == cd_off and len(zf.infolist()) == n
        for i in zf.infolist():
            lh = i.header_offset
            assert data[lh:lh + 4] == b'PK\x03\x04'
            fnlen, xlen = struct.unpack_from('<HH', data, lh + 26)
            d, t = i.date_time[:3], i.date_time[3:]
            out['entries'].append({
                'filename': i.filename, 'version_made_by': i.create_version | (i.create_system << 8),
                'made_by_version': i.create_version, 'made_by_host': i.create_system,
                'version_needed': i.extract_version, 'flags': i.flag_bits, 'method': i.compress_type,
                'mod_time': (t[0] << 11) | (t[1] << 5) | (t[2] // 2),
                'mod_date': ((d[0] - 1980) << 9) | (d[1] << 5) | d[2],
                'crc': i.CRC, 'compressed_size': i.compress_size, 'uncompressed_size': i.file_size,
                'extra': i.extra.hex(), 'comment': i.comment.decode('cp437'),
                'internal_attr': i.internal_attr, 'external_attr': i.external_attr,
                'local_header_offset': lh, 'local_extra': data[lh + 30 + fnlen:lh + 30 + fnlen + xlen].hex(),
                'data_offset': lh + 30 + fnlen + xlen, 'data_descriptor': bool(i.flag_bits & 8)})
            assert len(zf.read(i)) == i.file_size
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))

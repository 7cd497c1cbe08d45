#!/usr/bin/env python3
"""tests/oracle/pcap.py SAMPLE: expected values for formats/pcap.struct, as JSON.

Written from the libpcap file format (draft-ietf-opsawg-pcap): the magic's byte order picks the
file's endianness (a1b2c3d4 = µs, a1b23c4d = ns, each in either order). Prints:
  magic (hex of the 4 bytes as stored), byte_order (little|big), precision (usec|nsec),
  version_major, version_minor, thiszone, sigfigs, snaplen, linktype,
  packets [{offset (of the record header), ts_sec, ts_usec or ts_nsec (by the magic), incl_len,
  orig_len}], packet_count.
Only the standard library."""
import json
import struct
import sys

MAGICS = {b'\xd4\xc3\xb2\xa1': ('<', 'usec'), b'\xa1\xb2\xc3\xd4': ('>', 'usec'),
          b'\x4d\x3c\xb2\xa1': ('<', 'nsec'), b'\xa1\xb2\x3c\x4d': ('>', 'nsec')}


def main(path):
    data = open(path, 'rb').read()
    e, prec = MAGICS[data[:4]]
    vmaj, vmin, zone, sigfigs, snaplen, linktype = struct.unpack_from(e + 'HHiIII', data, 4)
    out = {'magic': data[:4].hex(), 'byte_order': 'little' if e == '<' else 'big', 'precision': prec,
           'version_major': vmaj, 'version_minor': vmin, 'thiszone': zone, 'sigfigs': sigfigs,
           'snaplen': snaplen, 'linktype': linktype, 'packets': []}
    pos = 24
    while pos < len(data):
        ts, frac, incl, orig = struct.unpack_from(e + 'IIII', data, pos)
        assert pos + 16 + incl <= len(data), 'truncated packet'
        out['packets'].append({'offset': pos, 'ts_sec': ts, 'ts_usec' if prec == 'usec' else 'ts_nsec': frac,
                               'incl_len': incl, 'orig_len': orig})
        pos += 16 + incl
    out['packet_count'] = len(out['packets'])
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))

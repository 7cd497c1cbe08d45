#!/usr/bin/env python3
"""tests/oracle/sqlite.py SAMPLE: expected values for formats/sqlite.struct, as JSON.

SQLite itself (Python's `sqlite3`, read-only) answers the PRAGMAs; the rest of the 100-byte
database header comes from the documented offsets (sqlite.org/fileformat2.html §1.3), and the
two are cross-checked. Prints:
  page_size (65536 when stored as 1), write_version, read_version, reserved_space,
  max_payload_fraction, min_payload_fraction, leaf_payload_fraction, change_counter, page_count,
  freelist_trunk, freelist_count, schema_cookie, schema_format, default_cache_size,
  largest_root_page,
  text_encoding (1 utf8 / 2 utf16le / 3 utf16be), encoding_name (as PRAGMA encoding says),
  user_version, incremental_vacuum, application_id, version_valid_for, sqlite_version_number,
  first_page {type, first_freeblock, cell_count, cell_content_start, fragmented_free_bytes,
  right_child}
  (the b-tree header of page 1, after the 100-byte file header), tables [names],
  rows {table: [[rowid, column values…]]} as SQLite returns them (`SELECT rowid, *`). Two
  things differ from the stored records: an INTEGER PRIMARY KEY column is an alias of the rowid
  and is stored as NULL in the record, and a REAL with an integral value may be stored as an
  integer (serial type 1-6) and comes back as a float.
Only the standard library."""
import json
import sqlite3
import struct
import sys


def main(path):
    data = open(path, 'rb').read()
    assert data[:16] == b'SQLite format 3\0'
    ps, = struct.unpack_from('>H', data, 16)
    f = struct.unpack_from('>BBBBBB', data, 18)
    g = struct.unpack_from('>15I', data, 24)
    out = {'page_size': 65536 if ps == 1 else ps, 'write_version': f[0], 'read_version': f[1],
           'reserved_space': f[2], 'max_payload_fraction': f[3], 'min_payload_fraction': f[4],
           'leaf_payload_fraction': f[5],
           'change_counter': g[0], 'page_count': g[1], 'freelist_trunk': g[2], 'freelist_count': g[3],
           'schema_cookie': g[4], 'schema_format': g[5], 'default_cache_size': g[6],
           'largest_root_page': g[7], 'text_encoding': g[8], 'user_version': g[9],
           'incremental_vacuum': g[10], 'application_id': g[11]}
    out['version_valid_for'], out['sqlite_version_number'] = struct.unpack_from('>II', data, 92)
    t, fb, cells, start, frag = struct.unpack_from('>BHHHB', data, 100)
    out['first_page'] = {'type': t, 'first_freeblock': fb, 'cell_count': cells,
                         'cell_content_start': 65536 if start == 0 else start, 'fragmented_free_bytes': frag}
    if t in (2, 5):
        out['first_page']['right_child'], = struct.unpack_from('>I', data, 108)
    db = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
    q = lambda s: db.execute(s).fetchone()[0]
    out['encoding_name'] = q('PRAGMA encoding')
    out['tables'] = [r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table' ORDER BY rowid")]
    out['rows'] = {t: [list(r) for r in db.execute('SELECT rowid, * FROM "%s" ORDER BY rowid' % t.replace('"', '""'))]
                   for t in out['tables']}
    assert q('PRAGMA page_size') == out['page_size'] and q('PRAGMA page_count') == out['page_count']
    assert q('PRAGMA user_version') == out['user_version'] and q('PRAGMA application_id') == out['application_id']
    assert q('PRAGMA schema_version') == out['schema_cookie'] and q('PRAGMA freelist_count') == out['freelist_count']
    db.close()
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))

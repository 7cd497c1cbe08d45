#!/usr/bin/env python3
"""Columnar outputs read back by independent readers (tests/columnar.rs runs this).

Writes records of tests/columnar/all.struct (extremes, NaN and infinities, empty and non-ASCII
text, NUL bytes, absent `if` fields, enums, flags, nested structs, arrays), runs unstruct with
-o ndjson, csv, tsv, arrow and parquet, and reads them with Python's json and csv modules,
pyarrow and DuckDB. Every value of every reader must equal what this script packed, and the
NDJSON of the same run. Also Python struct strings (`-s`) against `struct.iter_unpack`.

pyarrow and DuckDB are skipped with a note when missing, unless UNSTRUCT_REQUIRE_ORACLES=1.
"""
import argparse
import csv
import io
import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
COLOR = {1: 'red', 2: 'green', 3: 'blue'}
PERMS = [(1, 'read'), (2, 'write'), (4, 'exec')]
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    if len(FAILURES) <= 30:
        print('MISMATCH:', msg)


# ---------------------------------------------------------------- the data

def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def f16(x):
    return struct.unpack('<e', struct.pack('<e', x))[0]


SPECIAL_F = [float('nan'), float('inf'), float('-inf'), -0.0, 5e-324, 1.7976931348623157e308, 0.1]
TEXTS = ['', 'héllo ✓ 日本', 'a,b', 'say "hi"', 'two\nlines', 'tab\there', 'cr\r', ' lead']


def make_records(rng, n):
    recs = []
    for k in range(n):
        special = k < 16
        has = rng.random() < 0.6 if not special else k % 2 == 0
        npts = rng.randint(0, 3) if k != 1 else 0
        color = rng.choice([1, 2, 3, 7]) if k != 2 else 9
        perms = rng.randint(0, 15)
        r = {
            'u': [0, 2**64 - 1, 2**63][k % 3] if special else rng.randint(0, 2**64 - 1),
            'i': [-2**63, 2**63 - 1, 0, -1][k % 4] if special else rng.randint(-2**63, 2**63 - 1),
            's8': [-128, 127][k % 2] if special else rng.randint(-128, 127),
            'w': [0, 2**24 - 1][k % 2] if special else rng.randint(0, 2**24 - 1),
            'f': SPECIAL_F[k % len(SPECIAL_F)] if special else rng.uniform(-1e6, 1e6),
            'g': f32([float('nan'), float('inf'), float('-inf'), 0.1][k % 4]) if special
            else f32(rng.uniform(-1e3, 1e3)),
            'h': f16([float('nan'), float('-inf'), 65504.0, 0.5][k % 4]) if special
            else f16(rng.uniform(-100, 100)),
            'ok': rng.random() < 0.5,
            'color': color,
            'perms': perms,
            'name': TEXTS[k % len(TEXTS)] if special else ''.join(
                rng.choice('abcxyzé日 ,"') for _ in range(rng.randint(0, 6))),
            'latin': bytes(rng.choice(b'abc\xe9\xff ') for _ in range(4)),
            'raw': b'\x00\x00\x00\x00' if k == 0 else bytes(rng.randrange(256) for _ in range(4)),
            'has': has,
            'extra': rng.randint(0, 65535) if has else None,
            'note': (TEXTS[k % len(TEXTS)] if special else 'n%d' % k) if has else None,
            'pt': {'x': rng.randint(-2**31, 2**31 - 1), 'y': rng.randint(-2**31, 2**31 - 1)},
            'pts': [{'x': rng.randint(-9, 9), 'y': rng.randint(-9, 9)} for _ in range(npts)],
            'vals': [rng.randint(0, 65535), rng.randint(0, 65535)],
            'hi': rng.randint(0, 7),
            'lo': rng.randint(0, 31),
        }
        recs.append(r)
    return recs


def pack(recs):
    out = bytearray()
    rows = []
    for r in recs:
        b = bytearray()
        b += struct.pack('<QqbI', r['u'], r['i'], r['s8'], r['w'])[:-1]
        b += struct.pack('<dfe', r['f'], r['g'], r['h'])
        b += struct.pack('<BBB', 1 if r['ok'] else 0, r['color'], r['perms'])
        b += r['name'].encode() + b'\0'
        b += r['latin'] + r['raw']
        b += struct.pack('<B', 1 if r['has'] else 0)
        if r['has']:
            b += struct.pack('<H', r['extra']) + r['note'].encode() + b'\0'
        b += struct.pack('<ii', r['pt']['x'], r['pt']['y'])
        b += struct.pack('<B', len(r['pts']))
        for p in r['pts']:
            b += struct.pack('<ii', p['x'], p['y'])
        b += struct.pack('<HH', *r['vals'])
        b += struct.pack('<B', r['hi'] << 5 | r['lo'])
        where = len(out) + len(b)
        out += b
        names = [n for bit, n in PERMS if r['perms'] & bit]
        rest = r['perms'] & ~7
        if rest:
            names.append(str(rest))
        rows.append({
            'u': r['u'], 'i': r['i'], 's8': r['s8'], 'w': r['w'], 'f': r['f'], 'g': r['g'],
            'h': r['h'], 'ok': r['ok'],
            'color': COLOR.get(r['color'], str(r['color'])),
            'perms': names,
            'name': r['name'], 'latin': r['latin'].decode('latin1'), 'raw': r['raw'],
            'has': 1 if r['has'] else 0, 'extra': r['extra'], 'note': r['note'],
            'pt': r['pt'], 'n': len(r['pts']), 'pts': r['pts'], 'vals': r['vals'], 'hi': r['hi'], 'lo': r['lo'],
            'twice': 2 * len(r['pts']), 'where': where,
        })
    return bytes(out), rows


# ---------------------------------------------------------------- comparing

def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return False
        a, b = float(a), float(b)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b or (a is None and b is None)


def compare(reader, got, want, cols=None):
    if len(got) != len(want):
        fail(f'{reader}: {len(got)} rows, expected {len(want)}')
        return
    for n, (g, w) in enumerate(zip(got, want)):
        for k in cols or w.keys():
            if k not in g:
                fail(f'{reader}: row {n} has no column {k}')
                return
            if not same(g[k], w[k]):
                fail(f'{reader}: row {n} column {k}: got {g[k]!r}, expected {w[k]!r}')


def json_float(v):
    if isinstance(v, str):
        return {'NaN': float('nan'), 'Infinity': float('inf'), '-Infinity': float('-inf')}[v]
    return float(v)


FLOATS = {'f', 'g', 'h'}
# written as the shortest text of the 32-bit value
F32S = {'g', 'h'}


def from_json(row):
    """A row of the NDJSON output in the canonical form (floats, bytes, enum text)."""
    out = dict(row)
    for k in FLOATS:
        out[k] = json_float(row[k])
        if k in F32S:
            out[k] = f32(out[k])
    out['raw'] = bytes.fromhex(row['raw'])
    out['color'] = str(row['color'])
    out['perms'] = [str(p) for p in row['perms']]
    for k in ('extra', 'note'):
        out.setdefault(k, None)
    return out


def run(args, *flags, stdin=None):
    p = subprocess.run([args.unstruct, *flags], input=stdin, capture_output=True)
    if p.returncode != 0:
        fail(f'unstruct {" ".join(flags)} exited {p.returncode}: {p.stderr.decode()}')
    return p.stdout


# ---------------------------------------------------------------- readers

def flatten(row):
    out = {}
    for k, v in row.items():
        if isinstance(v, dict) and k == 'pt':
            for kk, vv in v.items():
                out[f'{k}.{kk}'] = vv
        else:
            out[k] = v
    return out


INTS = {'u', 'i', 's8', 'w', 'has', 'n', 'extra', 'pt.x', 'pt.y', 'hi', 'lo', 'twice', 'where'}


def from_csv_text(text, sep):
    rows = list(csv.reader(io.StringIO(text, newline=''), delimiter=sep))
    header, body = rows[0], rows[1:]
    out = []
    for r in body:
        d = {}
        for k, s in zip(header, r):
            if k in INTS:
                d[k] = int(s) if s != '' else None
            elif k in FLOATS:
                d[k] = f32(float(s)) if k in F32S else float(s)
            elif k == 'ok':
                d[k] = {'true': True, 'false': False}[s]
            elif k == 'raw':
                d[k] = bytes.fromhex(s)
            elif k in ('perms', 'pts', 'vals'):
                d[k] = json.loads(s)
                if k == 'perms':
                    d[k] = [str(p) for p in d[k]]
            else:
                d[k] = s
        out.append(d)
    return header, out


def csv_want(rows):
    # Python's csv cannot tell a null from an empty string: both read as ''
    out = []
    for r in rows:
        f = flatten(r)
        if f['note'] is None:
            f['note'] = ''
        out.append(f)
    return out


def check_records(args, tmp, have_pa, have_duck):
    rng = random.Random(12)
    data, want = pack(make_records(rng, 400))
    path = os.path.join(tmp, 'all.bin')
    with open(path, 'wb') as f:
        f.write(data)
    desc = os.path.join(HERE, 'all.struct')
    base = ['-f', desc, '--records', 'rec', path]

    # NDJSON: the same values (its own check against the packed data)
    nd = [from_json(json.loads(l)) for l in run(args, *base, '-o', 'ndjson').splitlines()]
    compare('ndjson', nd, want)

    # CSV and TSV with Python's csv module
    flat_names = list(flatten(want[0]).keys())
    for style, sep in (('csv', ','), ('tsv', '\t')):
        text = run(args, *base, '-o', style).decode('utf-8')
        header, rows = from_csv_text(text, sep)
        if header != flat_names:
            fail(f'{style} header {header}, expected {flat_names}')
        compare(f'{style} (python csv)', rows, csv_want(want))
        compare(f'{style} vs ndjson', rows, csv_want(nd))

    arrow_path = os.path.join(tmp, 'all.arrow')
    pq_path = os.path.join(tmp, 'all.parquet')
    with open(arrow_path, 'wb') as f:
        f.write(run(args, *base, '-o', 'arrow'))
    run(args, *base, '-o', 'parquet', '-O', pq_path)

    if have_pa:
        import pyarrow as pa
        import pyarrow.parquet as pq
        with pa.ipc.open_stream(arrow_path) as r:
            t = r.read_all()
        check_schema(t.schema, 'arrow')
        compare('arrow (pyarrow)', t.to_pylist(), want)
        compare('arrow vs ndjson', t.to_pylist(), nd)
        t = pq.read_table(pq_path)
        check_schema(t.schema, 'parquet')
        compare('parquet (pyarrow)', t.to_pylist(), want)
        compare('parquet vs ndjson', t.to_pylist(), nd)
        if pq.ParquetFile(pq_path).metadata.num_rows != len(want):
            fail('parquet metadata row count')

    if have_duck:
        import duckdb
        con = duckdb.connect()
        rel = con.sql(f"select * from read_parquet('{pq_path}')")
        compare('parquet (duckdb)', duck_rows(rel), want)
        if have_pa:
            import pyarrow as pa
            with pa.ipc.open_stream(arrow_path) as r:
                arrow_table = r.read_all()
            rel = con.from_arrow(arrow_table)
            compare('arrow (duckdb)', duck_rows(rel), want)
        csv_path = os.path.join(tmp, 'all.csv')
        with open(csv_path, 'wb') as f:
            f.write(run(args, *base, '-o', 'csv'))
        # the sniffer finds the dialect; the types that text alone does not tell are given
        rel = con.sql(f"select * from read_csv('{csv_path}', header=true, "
                      "allow_quoted_nulls=false, types={'u': 'UBIGINT', 'g': 'FLOAT', "
                      "'h': 'FLOAT', 'extra': 'USMALLINT', 'note': 'VARCHAR'})")
        names = [d[0] for d in rel.description]
        got = [dict(zip(names, r)) for r in rel.fetchall()]
        # DuckDB reads an empty field as NULL, a quoted "" as an empty string
        want_d = [flatten(r) for r in want]
        compare('csv (duckdb)', got, want_d,
                cols=['u', 'i', 's8', 'w', 'f', 'g', 'h', 'ok', 'extra', 'name', 'note', 'color'])


def duck_rows(rel):
    names = [d[0] for d in rel.description]
    return [dict(zip(names, r)) for r in rel.fetchall()]


def check_schema(schema, what):
    import pyarrow as pa
    want = {
        'u': pa.uint64(), 'i': pa.int64(), 's8': pa.int8(), 'w': pa.uint32(),
        'f': pa.float64(), 'g': pa.float32(), 'h': pa.float32(), 'ok': pa.bool_(),
        'color': pa.dictionary(pa.int32(), pa.string()), 'perms': pa.list_(pa.string()),
        'name': pa.string(), 'latin': pa.string(), 'raw': pa.binary(), 'has': pa.uint8(),
        'extra': pa.uint16(), 'note': pa.string(),
        'pt': pa.struct([('x', pa.int32()), ('y', pa.int32())]), 'n': pa.uint8(),
        'pts': pa.list_(pa.struct([('x', pa.int32()), ('y', pa.int32())])),
        'vals': pa.list_(pa.uint16()), 'hi': pa.uint8(), 'lo': pa.uint8(),
        'twice': pa.int64(), 'where': pa.int64(),
    }
    got = {f.name: f.type for f in schema}
    if list(got) != list(want):
        fail(f'{what}: columns {list(got)}')
    for k, t in want.items():
        if k in got and got[k] != t:
            fail(f'{what}: column {k} is {got[k]}, expected {t}')


def check_struct_format(args, tmp, have_pa, have_duck):
    """A Python struct string: values against struct.iter_unpack, with and without names."""
    rng = random.Random(5)
    fmt = '<IhHd12sI'
    vals = []
    for k in range(300):
        vals.append((rng.randint(0, 2**32 - 1), rng.randint(-2**15, 2**15 - 1),
                     rng.randint(0, 2**16 - 1),
                     [float('nan'), float('inf'), 0.1][k % 3] if k < 3 else rng.random(),
                     bytes(rng.choice(b'ab c,"\n\x00') for _ in range(12)),
                     rng.randint(0, 2**32 - 1)))
    data = b''.join(struct.pack(fmt, *v) for v in vals)
    path = os.path.join(tmp, 'recs.bin')
    with open(path, 'wb') as f:
        f.write(data)
    names = ['id', 'temp', 'flags', 'value', 'name', 'count']
    # `s` is text up to the first NUL (unstruct's default for struct strings)
    want = [dict(zip(names, (a, b, c, d, e.split(b'\0')[0].decode(), g)))
            for a, b, c, d, e, g in struct.iter_unpack(fmt, data)]
    text = run(args, '-s', fmt, '--names', ','.join(names), path, '-o', 'csv').decode()
    rows = list(csv.DictReader(io.StringIO(text, newline='')))
    conv = {'id': int, 'temp': int, 'flags': int, 'value': float, 'name': str, 'count': int}
    compare('struct csv', [{k: conv[k](v) for k, v in r.items()} for r in rows], want)
    text = run(args, '-s', fmt, path, '-o', 'csv').decode()
    header = text.split('\r\n', 1)[0]
    if header != 'f0,f1,f2,f3,f4,f5':
        fail(f'unnamed struct csv header {header!r}')
    if have_pa:
        import pyarrow.parquet as pq
        pq_path = os.path.join(tmp, 'recs.parquet')
        run(args, '-s', fmt, '--names', ','.join(names), path, '-o', 'parquet', '-O', pq_path)
        compare('struct parquet (pyarrow)', pq.read_table(pq_path).to_pylist(), want)
        raw_path = os.path.join(tmp, 'raw.parquet')
        run(args, '-s', fmt, '--raw-bytes', path, '-o', 'parquet', '-O', raw_path)
        got = pq.read_table(raw_path).to_pylist()
        compare('struct --raw-bytes parquet', got,
                [dict(zip(['f0', 'f1', 'f2', 'f3', 'f4', 'f5'], v))
                 for v in struct.iter_unpack(fmt, data)])
    if have_duck:
        import duckdb
        pq_path = os.path.join(tmp, 'recs.parquet')
        if os.path.exists(pq_path):
            rel = duckdb.connect().sql(f"select * from read_parquet('{pq_path}')")
            compare('struct parquet (duckdb)', duck_rows(rel), want)


def check_parallel(args, tmp, have_pa):
    """Large files of fixed-size records are decoded on every core: the same output."""
    rng = random.Random(8)
    fmt = '<IhHd12sI'
    n = 200_000
    data = b''.join(struct.pack(fmt, i, rng.randint(-2**15, 2**15 - 1), i % 65536,
                                rng.random() * 1e6 - 5e5, b'n%d' % i, n - i) for i in range(n))
    path = os.path.join(tmp, 'big.bin')
    with open(path, 'wb') as f:
        f.write(data + b'\x01')
    names = 'id,temp,flags,value,name,count'
    base = ['-s', fmt, '--names', names, path, '--allow-remainder']
    one = run(args, *base, '--threads', '1', '-o', 'csv')
    two = run(args, *base, '--threads', '2', '-o', 'csv')
    if one != two:
        fail('csv differs between one thread and two')
    rows = list(csv.DictReader(io.StringIO(two.decode(), newline='')))
    want = list(struct.iter_unpack(fmt, data))
    if len(rows) != n:
        fail(f'parallel csv: {len(rows)} rows, expected {n}')
    for r, w in zip(rows[::997], want[::997]):
        got = (int(r['id']), int(r['temp']), int(r['flags']), float(r['value']),
               r['name'].encode(), int(r['count']))
        if got != (w[0], w[1], w[2], w[3], w[4].rstrip(b'\0'), w[5]):
            fail(f'parallel csv row {r} != {w}')
    # a bad record in the middle: the rows before it, then exit 1
    bad = os.path.join(tmp, 'bad.struct')
    with open(bad, 'w') as f:
        f.write('struct rec {\n  id: u32 valid _ != 150000\n  rest: bytes[28]\n}\n')
    for threads in ('1', '2'):
        p = subprocess.run([args.unstruct, '-f', bad, '--records', 'rec', path, '--allow-remainder',
                            '--threads', threads, '-o', 'csv'], capture_output=True)
        got = p.stdout.decode().count('\r\n') - 1
        if p.returncode != 1 or got != 150000:
            fail(f'--threads {threads}: a bad record 150000: exit {p.returncode}, {got} rows')
    if have_pa:
        import pyarrow.parquet as pq
        pq_path = os.path.join(tmp, 'big.parquet')
        run(args, *base, '-o', 'parquet', '-O', pq_path)
        t = pq.read_table(pq_path)
        cols = [t.column(c).to_pylist() for c in names.split(',')]
        got = list(zip(*cols))
        exp = [(a, b, c, d, e.rstrip(b'\0').decode(), g) for a, b, c, d, e, g in want]
        if got != exp:
            fail('parallel parquet differs from struct.iter_unpack')
        if len(pq.ParquetFile(pq_path).metadata.row_group(0).to_dict()) == 0:
            fail('parquet without row groups')


def check_errors(args, tmp, have_pa):
    """A bad record ends the run with exit 1 after every record before it is written."""
    rng = random.Random(3)
    data, want = pack(make_records(rng, 50))
    path = os.path.join(tmp, 'cut.bin')
    with open(path, 'wb') as f:
        f.write(data + b'\x01\x02\x03')
    desc = os.path.join(HERE, 'all.struct')
    p = subprocess.run([args.unstruct, '-f', desc, '--records', 'rec', path, '-o', 'csv'],
                       capture_output=True)
    if p.returncode != 1:
        fail(f'a truncated last record: exit {p.returncode}, expected 1')
    _, rows = from_csv_text(p.stdout.decode(), ',')
    compare('csv before a bad record', rows, csv_want(want))
    if have_pa:
        import pyarrow.parquet as pq
        pq_path = os.path.join(tmp, 'cut.parquet')
        p = subprocess.run([args.unstruct, '-f', desc, '--records', 'rec', path, '-o', 'parquet',
                            '-O', pq_path], capture_output=True)
        if p.returncode != 1:
            fail(f'parquet, truncated last record: exit {p.returncode}, expected 1')
        compare('parquet before a bad record', pq.read_table(pq_path).to_pylist(), want)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--unstruct', required=True)
    args = ap.parse_args()
    strict = os.environ.get('UNSTRUCT_REQUIRE_ORACLES') == '1'
    have = {}
    for mod in ('pyarrow', 'duckdb'):
        try:
            __import__(mod)
            have[mod] = True
        except ImportError:
            have[mod] = False
            if strict:
                print(f'FAIL: {mod} is not installed (UNSTRUCT_REQUIRE_ORACLES=1)')
                return 1
            print(f'note: {mod} is not installed: its checks are skipped (pip install {mod})')
    with tempfile.TemporaryDirectory() as tmp:
        check_records(args, tmp, have['pyarrow'], have['duckdb'])
        check_struct_format(args, tmp, have['pyarrow'], have['duckdb'])
        check_errors(args, tmp, have['pyarrow'])
        check_parallel(args, tmp, have['pyarrow'])
    if FAILURES:
        print(f'{len(FAILURES)} mismatches')
        return 1
    print('columnar outputs agree with the packed values, the NDJSON, Python csv'
          + (', pyarrow' if have['pyarrow'] else '') + (', DuckDB' if have['duckdb'] else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Columnar output of the records inside a file (`--select packets[*]`), read back by
Python's csv module and pyarrow (tests/columnar.rs runs this).

Packs a microsecond pcap with this script's own struct calls (several hundred packets of
varied lengths, large enough that rows fill more than one batch), runs unstruct with
`-f pcap --select 'packets[*]'` and `-o csv`, `-o arrow` and `-o parquet`, and compares every
value with what was packed. pyarrow is skipped with a note when missing, unless
UNSTRUCT_REQUIRE_ORACLES=1.
"""
import argparse
import csv
import io
import os
import random
import struct
import subprocess
import sys
import tempfile


def make_pcap(rng, n):
    out = bytearray(struct.pack('<IHHiIII', 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    rows = []
    for i in range(n):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 80)))
        ts_sec, ts_usec = 1_700_000_000 + i, rng.randrange(1_000_000)
        orig = len(data) + rng.randrange(3)
        rows.append({'offset': len(out), 'ts_sec': ts_sec, 'ts_usec': ts_usec,
                     'ts_nsec': None, 'incl_len': len(data), 'orig_len': orig,
                     'ifindex': None, 'protocol': None, 'pkt_type': None, 'data': data})
        out += struct.pack('<IIII', ts_sec, ts_usec, len(data), orig) + data
    return bytes(out), rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--unstruct', required=True)
    args = ap.parse_args()
    failures = []
    rng = random.Random(7)
    data, want = make_pcap(rng, 66_000)  # more than one 64 Ki-row batch
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'cap.pcap')
        with open(path, 'wb') as f:
            f.write(data)
        base = [args.unstruct, '-f', 'pcap', '--select', 'packets[*]', path]

        # CSV: a header row, then the packet fields; bytes as hex, absent fields empty
        text = subprocess.run(base + ['-o', 'csv'], check=True, capture_output=True).stdout
        rows = list(csv.reader(io.StringIO(text.decode())))
        cols = list(want[0].keys())
        if rows[0] != cols:
            failures.append(f'csv header {rows[0]} != {cols}')
        if len(rows) - 1 != len(want):
            failures.append(f'csv has {len(rows) - 1} rows, packed {len(want)}')
        for i, (got, w) in enumerate(zip(rows[1:], want)):
            exp = ['' if v is None else v.hex() if isinstance(v, bytes) else str(v)
                   for v in w.values()]
            if got != exp:
                failures.append(f'csv row {i}: {got} != {exp}')
                break

        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            if os.environ.get('UNSTRUCT_REQUIRE_ORACLES') == '1':
                raise
            print('note: pyarrow is not installed: the Arrow and Parquet checks are skipped')
            pa = None
        if pa is not None:
            ipc = subprocess.run(base + ['-o', 'arrow'], check=True, capture_output=True).stdout
            table = pa.ipc.open_stream(ipc).read_all()
            pq_path = os.path.join(tmp, 'cap.parquet')
            subprocess.run(base + ['-o', 'parquet', '-O', pq_path], check=True)
            for what, t in (('arrow', table), ('parquet', pq.read_table(pq_path))):
                if t.schema.field('ts_sec').type != pa.uint32() or \
                        t.schema.field('data').type != pa.binary():
                    failures.append(f'{what} schema: {t.schema}')
                got = t.to_pylist()
                if got != want:
                    bad = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w) \
                        if len(got) == len(want) else None
                    failures.append(f'{what}: {len(got)} rows, first difference at {bad}')
    for f in failures:
        print('MISMATCH:', f)
    print(f'{len(want)} packets checked' if not failures else f'{len(failures)} mismatches')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()

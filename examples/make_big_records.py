#!/usr/bin/env python3
"""examples/make_big_records.py: writes a set of record files for the Dask example in
docs/python.md, in the layout of examples/rec.struct ('<IhHd12sI', 32 bytes a record).

    python3 examples/make_big_records.py DIR [--files N] [--records M]

writes DIR/part-000.bin ... with M records each (default 8 files of 12.5M records: 3.2 GB).
Deterministic; needs numpy. Record i of file f has id = f*M + i, name 'sensor-<id % 1000>'.
"""
import argparse
import os

import numpy as np

DTYPE = np.dtype([("id", "<u4"), ("temp", "<i2"), ("flags", "<u2"), ("value", "<f8"),
                  ("name", "S12"), ("count", "<u4")])
CHUNK = 1 << 20


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--records", type=int, default=12_500_000)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    names = np.array([b"sensor-%d" % i for i in range(1000)], dtype="S12")
    for f in range(a.files):
        rng = np.random.default_rng(f)
        with open(os.path.join(a.dir, f"part-{f:03d}.bin"), "wb") as out:
            for lo in range(0, a.records, CHUNK):
                n = min(CHUNK, a.records - lo)
                ids = np.arange(f * a.records + lo, f * a.records + lo + n, dtype=np.uint64)
                r = np.zeros(n, dtype=DTYPE)
                r["id"] = ids.astype(np.uint32)
                r["temp"] = rng.integers(-400, 400, n, dtype=np.int16)
                r["flags"] = rng.integers(0, 4, n, dtype=np.uint16)
                r["value"] = np.round(rng.normal(0, 100, n), 2)
                r["name"] = names[ids % 1000]
                r["count"] = (ids % 100_000).astype(np.uint32)
                out.write(r.tobytes())


if __name__ == "__main__":
    main()

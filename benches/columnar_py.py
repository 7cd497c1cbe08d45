#!/usr/bin/env python3
"""The routes a Python user takes today from fixed-size records to Parquet and CSV, for
benches/compare.py: numpy.memmap with a structured dtype, then
  parquet: pyarrow.Table -> pyarrow.parquet.write_table (Snappy, as unstruct writes)
  csv:     polars.from_numpy -> DataFrame.write_csv
The 12-byte name becomes text (cut at the first NUL, as unstruct -s writes `s`).

Usage: columnar_py.py parquet|csv IN OUT
"""
import sys

import numpy as np

DTYPE = np.dtype([("id", "<u4"), ("temp", "<i2"), ("flags", "<u2"), ("value", "<f8"),
                  ("name", "S12"), ("count", "<u4")])


def main():
    mode, src, dst = sys.argv[1:4]
    mm = np.memmap(src, dtype=DTYPE, mode="r")
    if mode == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq
        cols = {n: pa.array(mm[n]) for n in DTYPE.names}
        # numpy's S12 drops trailing NULs; the names are ASCII, so binary casts to text
        cols["name"] = cols["name"].cast(pa.string())
        pq.write_table(pa.table(cols), dst, compression="snappy")
    elif mode == "csv":
        import polars as pl
        df = pl.from_numpy(mm)
        df = df.with_columns(pl.col("name").cast(pl.String))
        df.write_csv(dst)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""examples/dask_to_parquet.py: converts a set of record files to a Parquet dataset on a
Dask cluster with unstruct.dask.read_records, and says how fast it went.

    python3 examples/dask_to_parquet.py 'DIR/*.bin' OUT.parquet [--workers N]
    python3 examples/dask_to_parquet.py 'DIR/*.bin' OUT.parquet --scheduler tcp://host:8786

Without --scheduler it starts a LocalCluster of N worker processes (default 2) with one thread
each (and an Arrow thread pool of one). The records are examples/rec.struct's ('<IhHd12sI'); see docs/python.md.
"""
import argparse
import glob
import os
import shutil
import time

import unstruct
import unstruct.dask
from distributed import Client, LocalCluster

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", help="a glob of record files, e.g. 'big/*.bin'")
    ap.add_argument("out", help="the Parquet dataset's directory (replaced)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", help="address of a running Dask scheduler")
    ap.add_argument("--shard-mb", type=int, default=128, help="input per partition (MiB)")
    a = ap.parse_args()

    if a.scheduler:
        client, cluster = Client(a.scheduler), None
    else:
        # one core per worker: one task thread, and Arrow's thread pool (pandas conversion,
        # Parquet encoding) of one thread, as a cluster sized per core runs
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                               env={"OMP_NUM_THREADS": "1"}, dashboard_address=":0")
        client = Client(cluster)
    cores = sum(client.nthreads().values())

    d = unstruct.Descriptor.from_file(os.path.join(HERE, "rec.struct"))
    size = sum(os.path.getsize(p) for p in glob.glob(a.files))
    shutil.rmtree(a.out, ignore_errors=True)
    t = time.perf_counter()
    df = unstruct.dask.read_records(a.files, d, record="rec", shard_bytes=a.shard_mb << 20)
    df.to_parquet(a.out, write_index=False)
    secs = time.perf_counter() - t
    rows = size // d.record_size("rec")
    print(f"{rows:,} records ({size / 1e9:.2f} GB) in {df.npartitions} partitions "
          f"-> {a.out}: {secs:.1f} s, {rows / secs / 1e6:.2f} M records/s, "
          f"{rows / secs / cores / 1e6:.2f} M records/s per core ({cores} cores)")
    client.close()
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main()

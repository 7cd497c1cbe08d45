#!/usr/bin/env python3
"""Side-by-side throughput of the Python package against the fastest Python routes.

Run through benches/python_compare.sh, which sets up the environment. In one invocation:

- the benchmark's fixed records ('<IhHd12sI', 4M of them, 128 MB; --quick: 400k) to a
  pyarrow.Table with ``Descriptor.to_arrow`` (one thread, and every core), with numpy
  (``numpy.memmap`` with a structured dtype, columns to ``pyarrow.Table.from_arrays``, the
  ``name`` column as text), and with Kaitai Struct's generated Python parser (compiled from
  benches/fixed_records.ksy by kaitai-struct-compiler) into a pandas DataFrame, on the first 400k
  records (40k with --quick; the rate is per record, so the ratio holds);
- ``unstruct.dask.read_records(...).to_parquet(...)`` of the same file on a Dask
  LocalCluster of one worker and of two (one core each: one task thread and an Arrow thread
  pool of one), 16 MiB per partition; and of a set of four copies of it (512 MB) with the
  default partitioning (a partition per file).

Prints the median wall time of N runs, records per second and ratios, and checks that the
tables are equal (unstruct's and numpy's column by column; Kaitai's rows against
unstruct's).
"""
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("UNSTRUCT_BENCH_SHARED", os.path.join(ROOT, "..", "shared", "bench"))
QUICK = "--quick" in sys.argv
DATA = os.path.join(os.environ.get("UNSTRUCT_BENCH_DATA", "/tmp/unstruct-bench"),
                    "quick" if QUICK else "full")
RUNS = 3 if QUICK else 5
NFIXED, NVAR = (400_000, 100_000) if QUICK else (4_000_000, 1_000_000)
NKAITAI = 40_000 if QUICK else 400_000
NSET = 4  # files in the Dask file-set run
FMT = "<IhHd12sI"
NAMES = ["id", "temp", "flags", "value", "name", "count"]


def setup():
    marker = os.path.join(DATA, "done")
    if not os.path.exists(marker):
        # the same data as benches/compare.sh (it shares the directory)
        subprocess.run([sys.executable, os.path.join(SHARED, "gen_data.py"), DATA, "--fixed",
                        str(NFIXED), "--var", str(NVAR)], check=True, stdout=subprocess.DEVNULL)
        open(marker, "w").close()
    fixed = os.path.join(DATA, "fixed.bin")
    kfile = os.path.join(DATA, f"fixed_{NKAITAI}.kaitai.bin")
    if not os.path.exists(kfile):
        with open(fixed, "rb") as f, open(kfile, "wb") as o:
            o.write(f.read(32 * NKAITAI))
    return fixed, kfile


def kaitai_parser():
    """The generated parser's module, or None (with a note) without the compiler."""
    compiler = os.path.join(ROOT, "target", "kaitai-npm", "node_modules", "kaitai-struct-compiler")
    if not os.path.isdir(compiler) or not shutil.which("node"):
        print("note: no kaitai-struct-compiler (npm): the Kaitai route is left out", file=sys.stderr)
        return None
    import yaml
    out = os.path.join(ROOT, "target", "kaitai-py")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(ROOT, "benches", "fixed_records.ksy")) as f:
        ksy = yaml.safe_load(f)
    subprocess.run(["node", os.path.join(ROOT, "benches", "ksc_python.js"), compiler, out],
                   input=json.dumps(ksy).encode(), check=True)
    sys.path.insert(0, out)
    import fixed_records
    return fixed_records


def timed(fn, runs=RUNS):
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main():
    fixed, kfile = setup()
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    import unstruct
    import unstruct.dask

    d = unstruct.Descriptor.struct_format(FMT, names=NAMES)
    dtype = np.dtype([("id", "<u4"), ("temp", "<i2"), ("flags", "<u2"), ("value", "<f8"),
                      ("name", "S12"), ("count", "<u4")])
    cores = os.cpu_count() or 1

    def numpy_route():
        mm = np.memmap(fixed, dtype=dtype, mode="r")
        cols = [pa.array(mm[n]) for n in NAMES]
        cols[4] = cols[4].cast(pa.string())  # binary cut at the first NUL, checked as UTF-8
        return pa.Table.from_arrays(cols, names=NAMES)

    rows = []
    t1, tab1 = timed(lambda: d.to_arrow(fixed, threads=1))
    tn, tabn = timed(lambda: d.to_arrow(fixed))
    tnp, tabnp = timed(numpy_route)
    assert tab1.num_rows == tabn.num_rows == tabnp.num_rows == NFIXED
    for i in range(len(NAMES)):
        assert tab1.column(i).equals(tabnp.column(i)), NAMES[i]
        assert tabn.column(i).equals(tabnp.column(i)), NAMES[i]
    del tab1, tabn, tabnp
    rows += [("unstruct to_arrow, 1 thread", t1, NFIXED),
             (f"unstruct to_arrow, {cores} threads", tn, NFIXED),
             ("numpy.memmap + pyarrow", tnp, NFIXED)]

    kp = kaitai_parser()
    if kp is not None:
        def kaitai_route():
            recs = kp.FixedRecords.from_file(kfile).records
            return pd.DataFrame({n: [getattr(r, n) for r in recs] for n in NAMES})

        tk, df = timed(kaitai_route, runs=3)
        want = d.to_arrow(kfile, threads=1).to_pandas()
        assert df.to_dict("records") == want.to_dict("records")
        rows.append(("Kaitai generated Python parser + pandas", tk, NKAITAI))

    # variable-size records: the shards pass against a decode to Arrow (benches/var.struct)
    var = os.path.join(DATA, "var.bin")
    vd = unstruct.Descriptor.from_file(os.path.join(ROOT, "benches", "var.struct"))
    tvs, vshards = timed(lambda: vd.shards(var, n=2))
    tva, vtab = timed(lambda: vd.to_arrow(var, threads=1))
    assert vtab.num_rows == NVAR and len(vshards) == 2
    del vtab

    # Dask: the file to Parquet, 16 MiB per partition, on 1 and on 2 workers; then a set of
    # four such files (copies, 512 MB) with read_records' default partitioning (a partition
    # per file of up to 128 MiB), as the worked example in docs/python.md converts a file set
    from distributed import Client, LocalCluster
    outdir = "/dev/shm" if os.path.isdir("/dev/shm") else DATA
    fileset = os.path.join(DATA, "set")
    os.makedirs(fileset, exist_ok=True)
    for i in range(NSET):
        copy = os.path.join(fileset, f"part{i}.bin")
        if not os.path.exists(copy) or os.path.getsize(copy) != os.path.getsize(fixed):
            shutil.copyfile(fixed, copy)
    jobs = [("", lambda: unstruct.dask.read_records(fixed, d, shard_bytes=16 << 20), NFIXED),
            (f", {NSET} files", lambda: unstruct.dask.read_records(os.path.join(fileset, "*.bin"), d),
             NSET * NFIXED)]
    for workers in (1, 2):
        # one core per worker: one task thread, and Arrow's own thread pool (which
        # to_pandas and the Parquet writer use) of one thread, as a cluster sized per core
        # runs; otherwise one worker already spreads its Arrow work over both cores
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          env={"OMP_NUM_THREADS": "1"},
                          dashboard_address=":0", silence_logs=40) as cluster, Client(cluster):
            for label, frame, nrec in jobs:
                def convert():
                    out = tempfile.mkdtemp(prefix="unstruct-bench-parquet-", dir=outdir)
                    try:
                        frame().to_parquet(out, write_index=False)
                        return len(glob.glob(os.path.join(out, "*.parquet")))
                    finally:
                        shutil.rmtree(out, ignore_errors=True)
                convert()  # warm up: workers import the package
                td, parts = timed(convert, runs=3)
                rows.append((f"Dask to_parquet{label}, {workers} worker{'s' if workers > 1 else ''}",
                             td, nrec))

    base = {name: n / t for name, t, n in rows}
    np_rate = base["numpy.memmap + pyarrow"]
    k_rate = base.get("Kaitai generated Python parser + pandas")
    print(f"{NFIXED:,} fixed records ({NFIXED * 32 / 1e6:.0f} MB), median of {RUNS} runs "
          f"(Kaitai and Dask: 3), {cores} cores")
    print(f"{'job':44} {'median':>9} {'rec/s':>11} {'vs numpy':>9} {'vs Kaitai':>10}")
    for name, t, n in rows:
        rate = n / t
        vk = f"{rate / k_rate:9.1f}x" if k_rate else ""
        print(f"{name:44} {t:8.3f}s {rate / 1e6:8.2f} M/s {rate / np_rate:8.2f}x {vk}")
    print(f"variable-size records ({NVAR:,}): shards pass {tvs:.3f}s, to_arrow 1 thread "
          f"{tva:.3f}s ({NVAR / tva / 1e6:.2f} M rec/s): the pass takes {tvs / tva:.2f}x a decode")
    for label in ("", f", {NSET} files"):
        d1 = base.get(f"Dask to_parquet{label}, 1 worker")
        d2 = base.get(f"Dask to_parquet{label}, 2 workers")
        if d1 and d2:
            print(f"Dask{label or ', 1 file'}: 2 workers / 1 worker = {d2 / d1:.2f}x; "
                  f"per core {d2 / 2 / 1e6:.2f} M rec/s")


if __name__ == "__main__":
    main()

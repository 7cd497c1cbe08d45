#!/usr/bin/env python3
"""Side-by-side throughput of unstruct, CPython struct+json and the reference converter.

Run through benches/compare.sh. Prints, for each job, the median wall time of N runs, the
records per second, and the ratio to the reference converter's one-thread run measured in the
same invocation. Also checks that unstruct's output equals the reference's after parsing.
"""
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("UNSTRUCT_BENCH_SHARED", os.path.join(ROOT, "..", "shared", "bench"))
QUICK = "--quick" in sys.argv
DATA = os.path.join(os.environ.get("UNSTRUCT_BENCH_DATA", "/tmp/unstruct-bench"), "quick" if QUICK else "full")
RUNS = 3 if QUICK else 5
NFIXED, NVAR = (400_000, 100_000) if QUICK else (4_000_000, 1_000_000)
# --only columnar: just the columnar section (Parquet and CSV against the Python routes);
# --only stdin: just the fixed records from the mapped file and from a pipe
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def setup():
    for mod, pkg in (("numpy", "numpy"), ("pyarrow", "pyarrow"), ("polars", "polars")):
        try:
            __import__(mod)
        except ImportError:
            sh([sys.executable, "-m", "pip", "install", "-q", pkg])
    marker = os.path.join(DATA, "done")
    if not os.path.exists(marker):
        sh([sys.executable, os.path.join(SHARED, "gen_data.py"), DATA, "--fixed", str(NFIXED), "--var", str(NVAR)],
           stdout=subprocess.DEVNULL)
        open(marker, "w").close()
    sh(["cargo", "build", "--release", "-q"], cwd=ROOT)
    if ONLY in ("columnar", "stdin"):
        return
    sh(["cargo", "build", "--release", "-q", "--manifest-path", os.path.join(SHARED, "reference", "Cargo.toml"),
        "--target-dir", os.path.join(ROOT, "target", "reference")])


def timed(cmd, out):
    times = []
    for _ in range(RUNS):
        with open(out, "wb") as f:
            t = time.perf_counter()
            subprocess.run(cmd, stdout=f, check=True)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    setup()
    us = os.path.join(ROOT, "target", "release", "unstruct")
    ref = os.path.join(ROOT, "target", "reference", "release", "reference-converter")
    fixed, var = os.path.join(DATA, "fixed.bin"), os.path.join(DATA, "var.bin")
    names = "id,temp,flags,value,name,count"
    fixed_desc = os.path.join(ROOT, "benches", "fixed.struct")
    var_desc = os.path.join(ROOT, "benches", "var.struct")
    # the same layouts as Kaitai Struct specs: the same plan, so the same speed is expected
    fixed_ksy = os.path.join(ROOT, "benches", "fixed.ksy")
    var_ksy = os.path.join(ROOT, "benches", "var.ksy")
    # a file on tmpfs when there is one: the copy into the page cache is measured, the disk's
    # writeback of earlier runs (which makes timings swing by 2x) is not
    outdir = "/dev/shm" if os.path.isdir("/dev/shm") else DATA
    outfile = os.path.join(outdir, "unstruct-bench-out.ndjson")
    jobs = {
        "fixed": [
            ("reference 1 thread", [ref, fixed, "-"], True),
            ("reference 2 threads", [ref, "--threads", "2", fixed, "-"], False),
            ("unstruct -s, 1 thread", [us, "-s", "<IhHd12sI", "--names", names, "--threads", "1", fixed], False),
            ("unstruct -s, all cores", [us, "-s", "<IhHd12sI", "--names", names, fixed], False),
            ("unstruct -f, 1 thread", [us, "-f", fixed_desc, "--records", "rec", "--threads", "1", fixed], False),
            ("unstruct -f, all cores", [us, "-f", fixed_desc, "--records", "rec", fixed], False),
            ("unstruct -f .ksy, 1 thread", [us, "-f", fixed_ksy, "--records", "rec", "--threads", "1", fixed], False),
            ("unstruct -f .ksy, all cores", [us, "-f", fixed_ksy, "--records", "rec", fixed], False),
            ("unstruct stdin, 1 thread", ["sh", "-c", f"cat {fixed} | {us} -s '<IhHd12sI' --names {names} --threads 1 -"], False),
            ("unstruct stdin, all cores", ["sh", "-c", f"cat {fixed} | {us} -s '<IhHd12sI' --names {names} -"], False),
            ("CPython struct+json", [sys.executable, os.path.join(SHARED, "py_struct.py"), "fixed", fixed, "/dev/stdout"], False),
        ],
        "var": [
            ("reference 1 thread", [ref, "--var", var, "-"], True),
            ("unstruct -f", [us, "-f", var_desc, "--records", "rec", var], False),
            ("unstruct -f .ksy", [us, "-f", var_ksy, "--records", "rec", var], False),
            ("CPython struct+json", [sys.executable, os.path.join(SHARED, "py_struct.py"), "var", var, "/dev/stdout"], False),
        ],
    }
    counts = {"fixed": NFIXED, "var": NVAR}
    if ONLY == "columnar":
        jobs = {}
    if ONLY == "stdin":
        jobs = {"fixed": [r for r in jobs["fixed"] if r[1][0] == "sh" or r[0].startswith("unstruct -s")]}
    print(f"commit {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()}, "
          f"{RUNS} runs each, median wall time, {os.cpu_count()} cores")
    for layout, rows in jobs.items():
        n = counts[layout]
        for dest, label in (("/dev/null", "to /dev/null"), (outfile, f"to a file ({outfile})")):
            print(f"\n{layout} ({n:,} records) {label}")
            base = None
            took = {}
            for name, cmd, is_base in rows:
                if name.startswith("CPython") and dest != "/dev/null":
                    continue
                t = timed(cmd, dest)
                took[name] = t
                if is_base:
                    base = t
                ratio = base / t if base else float("nan")
                print(f"  {name:28s} {t:7.3f} s  {n / t / 1e6:6.2f} M rec/s  {ratio:5.2f}x reference")
            # records from a pipe relative to the same records from the mapped file
            for threads in ("1 thread", "all cores"):
                piped, mapped = took.get(f"unstruct stdin, {threads}"), took.get(f"unstruct -s, {threads}")
                if piped and mapped:
                    print(f"  stdin / mapped file (-s, {threads}): {mapped / piped:.2f}x")
            # .ksy speed relative to the same layout as .struct (1.00 = the same speed)
            for name in list(took):
                if ".ksy" in name:
                    struct_name = name.replace(" .ksy", "")
                    if struct_name in took:
                        print(f"  .ksy / .struct ({struct_name}): {took[struct_name] / took[name]:.2f}x")
    if os.path.exists(outfile):
        os.remove(outfile)
    if ONLY == "stdin":
        return
    columnar(us, fixed, names, outdir)
    if ONLY != "columnar":
        check_equal(us, ref, fixed, var, names, fixed_desc, var_desc, fixed_ksy, var_ksy)


def columnar(us, fixed, names, outdir):
    """The fixed records to Parquet and to CSV: unstruct against the route a Python user takes
    (numpy.memmap -> pyarrow.Table -> pyarrow.parquet.write_table with Snappy; the memmap
    -> polars -> write_csv), each writing a file on tmpfs."""
    py = os.path.join(ROOT, "benches", "columnar_py.py")
    upq, ppq = os.path.join(outdir, "unstruct-bench.parquet"), os.path.join(outdir, "python-bench.parquet")
    ucsv, pcsv = os.path.join(outdir, "unstruct-bench.csv"), os.path.join(outdir, "python-bench.csv")
    fmt = ["-s", "<IhHd12sI", "--names", names]
    sections = {
        "Parquet (Snappy)": [
            ("numpy memmap -> pyarrow", [sys.executable, py, "parquet", fixed, ppq], True),
            ("unstruct, 1 thread", [us, *fmt, "--threads", "1", fixed, "-o", "parquet", "-O", upq], False),
            ("unstruct, all cores", [us, *fmt, fixed, "-o", "parquet", "-O", upq], False),
        ],
        "CSV": [
            ("numpy memmap -> polars", [sys.executable, py, "csv", fixed, pcsv], True),
            ("unstruct, 1 thread", [us, *fmt, "--threads", "1", fixed, "-o", "csv", "-O", ucsv], False),
            ("unstruct, all cores", [us, *fmt, fixed, "-o", "csv", "-O", ucsv], False),
        ],
    }
    for title, rows in sections.items():
        print(f"\nfixed ({NFIXED:,} records) to {title}, a file on {outdir}")
        base = None
        for name, cmd, is_base in rows:
            t = timed(cmd, "/dev/null")
            if is_base:
                base = t
            print(f"  {name:28s} {t:7.3f} s  {NFIXED / t / 1e6:6.2f} M rec/s  {base / t:5.2f}x the Python route")
    # the same values both ways
    import csv
    import pyarrow.parquet as pq
    a, b = pq.read_table(upq), pq.read_table(ppq)
    assert a.column_names == b.column_names and a.num_rows == b.num_rows == NFIXED
    for c in a.column_names:
        assert a.column(c).equals(b.column(c).cast(a.schema.field(c).type)), c
    with open(ucsv, newline="") as f1, open(pcsv, newline="") as f2:
        r1, r2 = csv.reader(f1), csv.reader(f2)
        assert next(r1) == next(r2)
        for n, (x, y) in enumerate(zip(r1, r2)):
            if n % 101 == 0:
                assert x[:3] + x[4:] == y[:3] + y[4:] and float(x[3]) == float(y[3]), (x, y)
    for p in (upq, ppq, ucsv, pcsv):
        os.remove(p)
    print("\nParquet tables equal (pyarrow), CSV rows equal after parsing (every 101st row)")


def check_equal(us, ref, fixed, var, names, fixed_desc, var_desc, fixed_ksy, var_ksy):
    small_f = os.path.join(DATA, "fixed_small.bin")
    small_v = os.path.join(DATA, "var_small.bin")
    def lines(cmd):
        return [json.loads(l) for l in subprocess.run(cmd, capture_output=True, check=True).stdout.splitlines()]
    r = lines([ref, small_f, "-"])
    for cmd in ([us, "-s", "<IhHd12sI", "--names", names, small_f], [us, "-f", fixed_desc, "--records", "rec", small_f],
                [us, "-f", fixed_ksy, "--records", "rec", small_f]):
        assert lines(cmd) == r, f"output differs from the reference: {cmd}"
    rv = lines([ref, "--var", small_v, "-"])
    assert lines([us, "-f", var_desc, "--records", "rec", small_v]) == rv
    # var.ksy also writes `len` (Kaitai has no hidden fields)
    assert [{k: v for k, v in o.items() if k != "len"} for o in lines([us, "-f", var_ksy, "--records", "rec", small_v])] == rv
    print("\noutputs equal to the reference converter's after parsing (fixed and var)")


if __name__ == "__main__":
    main()

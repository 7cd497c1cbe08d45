#!/usr/bin/env python3
"""Side-by-side throughput of unstruct, CPython struct+json and the reference converter.

Run through benches/compare.sh. Prints, for each job, the median wall time of N runs, the
records per second, and the ratio to the reference converter's one-thread run measured in the
same invocation. Also checks that unstruct's output equals the reference's after parsing.
Then documents against records (the same records as one document, compact and pretty, on one
thread, with their ratio to records mode) and the bundled pcap and tar formats on large
generated inputs (MB/s), and the columnar outputs against the Python routes.
  --only documents | columnar: just that section
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
# --only stdin: just the fixed records from the mapped file and from a pipe;
# --only documents: just documents against records, and the bundled formats
ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def setup():
    needed = [("numpy", "numpy")] + ([] if ONLY == "documents" else [("pyarrow", "pyarrow"), ("polars", "polars")])
    for mod, pkg in needed:
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
    if ONLY in ("columnar", "stdin", "documents"):
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
    if ONLY in ("columnar", "documents"):
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
    if ONLY in (None, "documents"):
        documents(us, fixed, var, fixed_desc, var_desc)
        formats(us)
    if ONLY in (None, "columnar"):
        columnar(us, fixed, names, outdir)
    if ONLY is None:
        check_equal(us, ref, fixed, var, names, fixed_desc, var_desc, fixed_ksy, var_ksy)


def interleaved(cmds):
    """Median wall time of each command, output to /dev/null, the commands taking turns
    (run 1 of each, then run 2 of each, ...) so that a change in the machine's load falls
    on all of them alike."""
    times = [[] for _ in cmds]
    for _ in range(RUNS):
        for i, cmd in enumerate(cmds):
            with open("/dev/null", "wb") as f:
                t = time.perf_counter()
                subprocess.run(cmd, stdout=f, check=True)
                times[i].append(time.perf_counter() - t)
    return [statistics.median(t) for t in times]


def documents(us, fixed, var, fixed_desc, var_desc):
    """The bench's records as one document (`struct file { recs: rec[..] }`) against records
    mode, compact and pretty, one thread, to /dev/null. The ratio is the document's speed
    per input byte over records mode's (compact NDJSON): 1.00 = the same speed."""
    docs = {"fixed": os.path.join(ROOT, "benches", "fixed_doc.struct"),
            "var": os.path.join(ROOT, "benches", "var_doc.struct")}
    for layout, data, desc, n in (("fixed", fixed, fixed_desc, NFIXED), ("var", var, var_desc, NVAR)):
        size = os.path.getsize(data)
        rows = [
            ("records, compact (NDJSON)", [us, "-f", desc, "--records", "rec", "--threads", "1", data]),
            ("document, -o json", [us, "-f", docs[layout], "-o", "json", data]),
            ("records, -o pretty", [us, "-f", desc, "--records", "rec", "-o", "pretty", "--threads", "1", data]),
            ("document, -o pretty", [us, "-f", docs[layout], "-o", "pretty", data]),
        ]
        took = interleaved([cmd for _, cmd in rows])
        print(f"\ndocuments against records: {layout} ({n:,} records, {size / 1e6:.0f} MB), one thread, to /dev/null")
        for (name, _), t in zip(rows, took):
            print(f"  {name:28s} {t:7.3f} s  {size / t / 1e6:7.1f} MB/s  {took[0] / t:5.2f}x records")
        print(f"  document / records: compact {took[0] / took[1]:.2f}x, pretty {took[0] / took[3]:.2f}x "
              f"(pretty document / pretty records {took[2] / took[3]:.2f}x)")
    # the document holds the same values as the records
    small = os.path.join(DATA, "fixed_small.bin")
    recs = [json.loads(l) for l in subprocess.run([us, "-f", fixed_desc, "--records", "rec", small],
                                                    capture_output=True, check=True).stdout.splitlines()]
    for style in ("json", "pretty"):
        doc = json.loads(subprocess.run([us, "-f", docs["fixed"], "-o", style, small], capture_output=True,
                                        check=True).stdout)
        assert doc == {"recs": recs}, f"the document ({style}) differs from the records"
    print("  documents (json, pretty) equal to the records after parsing (fixed_small.bin)")


def make_pcap(path, total):
    """A little-endian microsecond pcap of Ethernet frames of 60 to 1514 random bytes, about
    `total` bytes in all (deterministic)."""
    import struct
    import numpy as np
    rng = np.random.default_rng(20240601)
    pool = rng.integers(0, 256, size=1 << 20, dtype=np.uint8).tobytes()
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    sizes = rng.integers(60, 1515, size=total // 700 + 1)
    i = 0
    while len(out) < total:
        n = int(sizes[i % len(sizes)])
        at = (i * 7919) % (len(pool) - n)
        out += struct.pack("<IIII", 1_700_000_000 + i // 1000, (i * 997) % 1_000_000, n, n)
        out += pool[at:at + n]
        i += 1
    with open(path, "wb") as f:
        f.write(out)
    return i


def make_tar(path, total):
    """A ustar archive (written by Python's tarfile) of files of 0 to 256 KiB of random
    bytes, about `total` bytes in all (deterministic)."""
    import io
    import tarfile
    import numpy as np
    rng = np.random.default_rng(20240602)
    pool = rng.integers(0, 256, size=1 << 20, dtype=np.uint8).tobytes()
    sizes = rng.integers(0, 256 << 10, size=total // (128 << 10) + 1)
    n, written = 0, 0
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        while written < total:
            size = int(sizes[n % len(sizes)])
            info = tarfile.TarInfo(f"data/dir{n % 17}/file-{n:06d}.bin")
            info.size, info.mtime, info.mode = size, 1_700_000_000 + n, 0o644
            info.uid, info.gid, info.uname, info.gname = 1000, 1000, "user", "group"
            at = (n * 7919) % (len(pool) - size)
            t.addfile(info, io.BytesIO(pool[at:at + size]))
            written += 512 + (size + 511) // 512 * 512
            n += 1
    return n


def formats(us):
    """The bundled pcap and tar formats on large generated inputs as whole-file documents,
    compact and pretty, to /dev/null: MB of input per second."""
    total = 12_800_000 if QUICK else 128_000_000
    inputs = []
    for name, make, unit in (("pcap", make_pcap, "packets"), ("tar", make_tar, "files")):
        path = os.path.join(DATA, f"big.{name}")
        marker = path + ".count"
        if not os.path.exists(marker):
            count = make(path, total)
            with open(marker, "w") as f:
                f.write(str(count))
        with open(marker) as f:
            count = int(f.read())
        inputs.append((name, path, f"{count:,} {unit}"))
    rows = [(f"{name}, -o {style}", path, what, [us, "-f", name, "-o", style, path])
            for name, path, what in inputs for style in ("json", "pretty")]
    took = interleaved([cmd for *_, cmd in rows])
    print("\nbundled formats as whole-file documents, to /dev/null")
    for (name, path, what, _), t in zip(rows, took):
        size = os.path.getsize(path)
        print(f"  {name:16s} {size / 1e6:5.0f} MB ({what:>15s}) {t:7.3f} s  {size / t / 1e6:7.1f} MB/s")


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

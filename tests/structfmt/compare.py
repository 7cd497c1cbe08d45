#!/usr/bin/env python3
"""Compare unstruct's output with the expectations written by gen_cases.py.

Usage:
  compare.py OUTDIR RESULTS.json [--max N] [--allow-missing]
  compare.py OUTDIR RESULTS.json --run UNSTRUCT [--max N]

RESULTS.json maps a case index (JSON object key, i.e. "0", "1", ...) to
{"exit": int, "stdout": str, "stderr": str} for the command

  unstruct -s FMT --raw-bytes --bytes hex OUTDIR/<file>

(for rejected formats there is no file: the command is run with the format
only, the caller picks any existing file, e.g. /dev/null). With --run UNSTRUCT
this script runs the binary itself for every case, writes RESULTS.json, then
compares.

Checks, for every case of OUTDIR/cases.json:
  * formats CPython rejects: exit code 2 and CPython's message (see the case's
    "error") somewhere in stderr;
  * valid formats: exit code 0, one NDJSON line (a JSON array) per record on
    stdout, as many values as CPython unpacks, and each value equal:
      ints   exactly (JSON integers; true/false are not ints),
      bools  true/false,
      s/p/c  hex string of exactly the bytes CPython returns,
      floats a JSON number that rounds (round-half-even, exactly, from its
             decimal text) to the expected bits at the item's width
             (e: binary16, f: binary32, d: binary64); -0 must keep its sign;
             NaN (any payload) must be the string "NaN", infinities the
             strings "Infinity" / "-Infinity". Bare NaN/Infinity tokens are
             not valid JSON and are reported.
Prints the first mismatches (fmt, input hex, expected, got, and a command to
reproduce) and a summary; exits 1 on any mismatch, 0 otherwise.
"""

import argparse
import json
import os
import shlex
import struct
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

FLOAT_FMT = {2: (5, 10), 4: (8, 23), 8: (11, 52)}
FLOAT_CODE = {2: "e", 4: "f", 8: "d"}


class NegZero(int):
    """The JSON integer -0 (keeps its sign for float slots)."""


class BareConstant:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<bare {self.name} token>"


def parse_int(text):
    return NegZero(0) if text.strip() == "-0" else int(text)


def loads(line):
    return json.loads(line, parse_float=Decimal, parse_int=parse_int, parse_constant=BareConstant)


# ---------------------------------------------------------------- floats


def nearest_bits(neg, q, width):
    """Bits of the binary16/32/64 value nearest to sign * q (q >= 0 Fraction),
    ties to even, overflowing to infinity like IEEE round-to-nearest."""
    eb, mb = FLOAT_FMT[width]
    bias = (1 << (eb - 1)) - 1
    sign = (1 << (eb + mb)) if neg else 0
    inf = ((1 << eb) - 1) << mb
    if q == 0:
        return sign
    n, d = q.numerator, q.denominator
    e = n.bit_length() - d.bit_length()  # 2^(e-1) < q < 2^(e+1)
    if (n < (d << e)) if e >= 0 else ((n << -e) < d):
        e -= 1  # now 2^e <= q < 2^(e+1)
    e = max(e, 1 - bias)
    shift = mb - e
    num, den = (n << shift, d) if shift >= 0 else (n, d << -shift)
    m, rem = divmod(num, den)
    if 2 * rem > den or (2 * rem == den and m & 1):
        m += 1
    if m >> (mb + 1):
        m >>= 1
        e += 1
    if m >> mb == 0:  # subnormal
        return sign | m
    biased = e + bias
    if biased >= (1 << eb) - 1:
        return sign | inf
    return sign | (biased << mb) | (m - (1 << mb))


def classify(bits, width):
    eb, mb = FLOAT_FMT[width]
    expo = (bits >> mb) & ((1 << eb) - 1)
    mant = bits & ((1 << mb) - 1)
    neg = bool(bits >> (eb + mb))
    if expo == (1 << eb) - 1:
        return ("nan", neg) if mant else ("inf", neg)
    return ("finite", neg)


def float_text(bits, width):
    v = struct.unpack(">" + FLOAT_CODE[width], bits.to_bytes(width, "big"))[0]
    return repr(v)


def check_float(exp_hex, got):
    width = len(exp_hex) // 2
    bits = int(exp_hex, 16)
    kind, neg = classify(bits, width)
    if kind == "nan":
        return None if got == "NaN" else 'expected "NaN"'
    if kind == "inf":
        want = "-Infinity" if neg else "Infinity"
        return None if got == want else f'expected "{want}"'
    if isinstance(got, bool) or not isinstance(got, (int, Decimal)):
        return "expected a JSON number"
    if isinstance(got, Decimal):
        if not got.is_finite():
            return "expected a finite JSON number"
        gneg = got.is_signed()
    else:
        gneg = got < 0 or isinstance(got, NegZero)
    gbits = nearest_bits(gneg, abs(Fraction(got)), width)
    if gbits != bits:
        return f"rounds to bits {gbits:0{2 * width}x} at width {width}, expected {exp_hex}"
    return None


# ---------------------------------------------------------------- values


def check_value(exp, got):
    if isinstance(exp, bool):
        if got is exp:
            return None
        return f"expected {json.dumps(exp)}"
    if isinstance(exp, int):
        if isinstance(got, int) and not isinstance(got, bool) and got == exp:
            return None
        return "expected this integer"
    if "b" in exp:
        if isinstance(got, str) and got.lower() == exp["b"]:
            return None
        return "expected hex string of these bytes"
    return check_float(exp["f"], got)


def show_expected(exp):
    if isinstance(exp, dict) and "f" in exp:
        width = len(exp["f"]) // 2
        return f"{float_text(int(exp['f'], 16), width)} (bits {exp['f']})"
    if isinstance(exp, dict):
        return f'"{exp["b"]}"'
    return json.dumps(exp)


def check_case(case, res):
    """None if OK, else (reason, detail lines)."""
    if res is None:
        return "not run", []
    code, out, err = res.get("exit"), res.get("stdout", ""), res.get("stderr", "")
    if case["error"] is None and case["size"] == 0:
        # like struct.iter_unpack, a record of size 0 cannot be repeated over the input
        case = dict(case, error="cannot iteratively unpack with a struct of length 0", error_type="struct.error")
    if case["error"] is not None:
        problems = []
        if code != 2:
            problems.append(f"exit code {code}, expected 2")
        if case["error"] not in err:
            problems.append("CPython's message not in stderr")
        if problems:
            return "; ".join(problems), [
                f"expected error: {case['error_type']}: {case['error']}",
                f"stderr: {err.strip()[:500]!r}",
                f"stdout: {out[:200]!r}",
            ]
        return None
    if code != 0:
        return f"exit code {code}, expected 0", [f"stderr: {err.strip()[:500]!r}"]
    lines = [ln for ln in out.split("\n") if ln.strip()]
    records = case["records"]
    if len(lines) != len(records):
        return f"{len(lines)} output lines, expected {len(records)} records", [f"stdout: {out[:300]!r}"]
    for r, (line, exp_rec) in enumerate(zip(lines, records)):
        try:
            got_rec = loads(line)
        except ValueError as e:
            return f"record {r}: invalid JSON ({e})", [f"line: {line[:300]!r}"]
        if not isinstance(got_rec, list):
            return f"record {r}: not a JSON array", [f"line: {line[:300]!r}"]
        if len(got_rec) != len(exp_rec):
            return f"record {r}: {len(got_rec)} values, expected {len(exp_rec)}", [
                f"expected: {json.dumps(exp_rec)[:300]}",
                f"got:      {line[:300]}",
            ]
        for v, (exp, got) in enumerate(zip(exp_rec, got_rec)):
            why = check_value(exp, got)
            if why:
                code_char = case["codes"][v] if v < len(case["codes"]) else "?"
                return f"record {r} value {v} ('{code_char}'): {why}", [
                    f"expected: {show_expected(exp)}",
                    f"got:      {got!r}",
                    f"record expected: {json.dumps(exp_rec)[:300]}",
                    f"record got:      {line[:300]}",
                ]
    return None


# ---------------------------------------------------------------- running


def shell_quote(arg):
    """Quote for bash; control characters use $'...' so the command stays on one line."""
    if all(c.isprintable() for c in arg):
        return shlex.quote(arg)
    out = []
    for c in arg:
        if c == "'" or c == "\\":
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else c)
    return "$'" + "".join(out) + "'"


def command(binary, outdir, case):
    path = os.path.join(outdir, case["file"]) if case["file"] else os.devnull
    return [binary, "-s", case["fmt"], "--raw-bytes", "--bytes", "hex", path]


def run_all(binary, outdir, cases):
    results = {}
    for case in cases:
        p = subprocess.run(command(binary, outdir, case), capture_output=True)
        results[str(case["index"])] = {
            "exit": p.returncode,
            "stdout": p.stdout.decode("utf-8", "replace"),
            "stderr": p.stderr.decode("utf-8", "replace"),
        }
    return results


def main(argv):
    ap = argparse.ArgumentParser(description="compare unstruct results with CPython's")
    ap.add_argument("outdir")
    ap.add_argument("results")
    ap.add_argument("--max", type=int, default=20, help="mismatches to print (default 20)")
    ap.add_argument("--allow-missing", action="store_true", help="cases without a result are not failures")
    ap.add_argument("--run", metavar="UNSTRUCT", help="run this binary on every case and write RESULTS first")
    args = ap.parse_args(argv[1:])

    with open(os.path.join(args.outdir, "cases.json")) as fh:
        cases = json.load(fh)
    meta = {}
    meta_path = os.path.join(args.outdir, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as fh:
            meta = json.load(fh)
    seed = meta.get("seed", "?")

    if args.run:
        results = run_all(args.run, args.outdir, cases)
        with open(args.results, "w") as fh:
            json.dump(results, fh)
    else:
        with open(args.results) as fh:
            results = json.load(fh)
    if isinstance(results, list):
        results = {str(i): r for i, r in enumerate(results)}

    failures = []
    missing = 0
    for case in cases:
        res = results.get(str(case["index"]))
        if res is None and args.allow_missing:
            missing += 1
            continue
        bad = check_case(case, res)
        if bad:
            failures.append((case, bad))

    binary = args.run or "unstruct"
    for case, (reason, details) in failures[: args.max]:
        data = b""
        if case["file"]:
            with open(os.path.join(args.outdir, case["file"]), "rb") as fh:
                data = fh.read()
        hexdata = data.hex()
        if len(hexdata) > 256:
            hexdata = hexdata[:256] + f"... ({len(data)} bytes)"
        tag = " [doc]" if case.get("doc") else ""
        print(f"--- case {case['index']}{tag} (seed {seed}): {reason}")
        print(f"fmt:   {case['fmt']!r}")
        if case["error"] is None:
            print(f"size:  {case['size']}  records: {case['k']}  codes: {''.join(case['codes'])[:80]}")
            print(f"input: {hexdata}")
        if case.get("note"):
            print(f"note:  {case['note']}")
        for line in details:
            print(line)
        print("run:   " + " ".join(shell_quote(a) for a in command(binary, args.outdir, case)))
    if len(failures) > args.max:
        print(f"... and {len(failures) - args.max} more mismatches")

    checked = len(cases) - missing
    nerr = sum(1 for c in cases if c["error"] is not None)
    print(
        f"seed {seed}: {checked - len(failures)}/{checked} cases OK "
        f"({len(failures)} mismatches, {nerr} rejected formats in total"
        + (f", {missing} without result" if missing else "")
        + ")"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

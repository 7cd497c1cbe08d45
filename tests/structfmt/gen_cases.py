#!/usr/bin/env python3
"""Generate differential test cases for unstruct's `-s FMT` (Python struct) mode.

Usage: gen_cases.py SEED N OUTDIR

Writes, using only the standard library and CPython's own `struct` module as
the oracle (the generator never computes a layout itself):

  OUTDIR/case_<i>.bin   input data of valid case i (k records of calcsize bytes)
  OUTDIR/cases.json     list of cases (see below), index i == position in list
  OUTDIR/meta.json      {"seed", "n", "python", "float_encoding", ...}

Each case is a dict:

  "index":   i (position in the list)
  "fmt":     the format string
  "file":    "case_<i>.bin", or null when CPython rejects the format
  "error":   str(exception) CPython raises for the format (struct.error, or
             UnicodeEncodeError for non-ASCII formats), or null
  "error_type": "struct.error" / "UnicodeEncodeError" / null
  "size":    struct.calcsize(fmt) (null for errors)
  "k":       number of records in the file
  "records": expected records, one list of encoded values per record
  "codes":   the format character of each value of a record (for reports)
  "doc":     true for the fixed cases taken from the struct documentation
  "note":    optional free text

Value encoding (lossless):
  ints   -> JSON ints
  bools  -> true / false
  floats -> {"f": HEX}: the raw IEEE 754 bits of the value at the item's own
            width (4 hex digits for 'e', 8 for 'f', 16 for 'd'), written
            big-endian, i.e. int.from_bytes(raw, order).to_bytes(w, 'big').hex()
            where raw are the input bytes. For every non-NaN value this equals
            struct.pack('>e' / '>f' / '>d', value).hex(); for NaNs it keeps the
            input's payload (repacking would not), and a NaN of any payload is
            expected to come out as "NaN".
  bytes  -> {"b": HEX} for s, p and c values: exactly the bytes CPython
            returns (lower-case hex).

Conventions / CPython 3.11 quirks handled here:
  * A format whose calcsize is 0 (e.g. "", "0h", "0s", "   ") cannot be used
    with struct.iter_unpack ("cannot iteratively unpack with a struct of length
    0"); such cases get an empty file, k = 0 and records = [].
  * Valid formats with a huge calcsize (only produced by the "big count"
    strategy, e.g. "9223372036854775807x") get an empty file, k = 0 and
    records = [] (iter_unpack of b'' yields nothing).
  * '0p' is never generated in valid cases: CPython 3.11 accepts the format but
    unpack raises "SystemError: Negative size passed to PyBytes_FromStringAndSize"
    (fixed in later versions, where it returns b'').
  * No format contains NUL (it cannot be passed on a command line).
"""

import functools
import json
import os
import random
import struct
import sys

NATIVE_CODES = "xcbB?hHiIlLqQnNefdspP"
STANDARD_CODES = "xcbB?hHiIlLqQefdsp"
PREFIXES = ["", "@", "=", "<", ">", "!"]
SPACES = " \t\n\r\x0b\x0c"
FLOAT_WIDTH = {"e": 2, "f": 4, "d": 8}
# Characters that are never valid format characters.
BAD_CHARS = "aAgGjJkKmMoOrRtTuUvVwWyYzZ#$%&*()-+_/.,;:[]{}|~'\"\\`^\x01\x1c\x1f\x7f"
NON_ASCII = ["é", "€", "😀", "ÿ", "\u0100", "é€"]
BIG_LIMIT = 1 << 20  # larger valid records get k = 0


def order_of(prefix):
    if prefix in ("<",):
        return "little"
    if prefix in (">", "!"):
        return "big"
    return sys.byteorder


# ---------------------------------------------------------------- formats


def rand_count(rng, code):
    r = rng.random()
    if r < 0.45:
        return ""
    if r < 0.55:
        return "0"
    if r < 0.62:
        return "1"
    if r < 0.90:
        return str(rng.randint(2, 5))
    if code in "spx":
        return str(rng.randint(6, 300))
    return str(rng.randint(6, 12))


def rand_space(rng):
    if rng.random() < 0.8:
        return ""
    if rng.random() < 0.7:
        return " " * rng.randint(1, 2)
    return "".join(rng.choice(SPACES) for _ in range(rng.randint(1, 3)))


def rand_valid_tokens(rng):
    """Return (prefix, [token strings]) of a (most likely) valid format."""
    prefix = rng.choice(PREFIXES)
    codes = NATIVE_CODES if prefix in ("", "@") else STANDARD_CODES
    n = rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 12]) if rng.random() < 0.97 else 0
    toks = []
    for _ in range(n):
        code = rng.choice(codes)
        cnt = rand_count(rng, code)
        if code == "p" and cnt == "0":
            cnt = "1"  # see module doc: '0p' crashes unpack in 3.11
        if cnt and rng.random() < 0.02:
            cnt = "0" + cnt  # leading zeros are fine
        toks.append(rand_space(rng) + cnt + code)
    if toks and rng.random() < 0.1:
        toks[-1] += rand_space(rng) or " "
    return prefix, toks


def rand_invalid(rng):
    """Return a format string that is meant to be rejected (CPython decides)."""
    prefix, toks = rand_valid_tokens(rng)
    kind = rng.randrange(9)
    if kind == 0:  # bad char somewhere
        toks.insert(rng.randint(0, len(toks)), rng.choice(["", "2"]) + rng.choice(BAD_CHARS))
    elif kind == 1:  # native-only code in standard mode
        prefix = rng.choice("=<>!")
        toks.insert(rng.randint(0, len(toks)), rng.choice(["", "", "0", "3"]) + rng.choice("nNP"))
    elif kind == 2:  # trailing count
        toks.append(rand_space(rng) + str(rng.choice([0, 1, 2, 7, 12345])))
    elif kind == 3:  # byte-order char not at the start
        where = rng.randint(0, len(toks))
        tok = rng.choice("@=<>!")
        if where == 0 and not prefix:
            tok = rng.choice(SPACES) + tok  # " <h": whitespace first
        toks.insert(where, rng.choice(["", "", "2"]) + tok)
    elif kind == 4:  # count overflowing Py_ssize_t
        digits = str(rng.randint(9223372036854775808, 10**rng.randint(19, 30)))
        toks.insert(rng.randint(0, len(toks)), digits + rng.choice(STANDARD_CODES + "z"))
    elif kind == 5:  # record too long
        code = rng.choice("hHiIlLqQefd")
        item = FLOAT_WIDTH.get(code) or struct.calcsize("<" + code)
        toks.insert(rng.randint(0, len(toks)), str((2**63) // item + rng.randint(0, 9)) + code)
        if rng.random() < 0.5:
            toks.append(str(2**63 - rng.randint(1, 3)) + rng.choice("xsp"))
    elif kind == 6:  # whitespace between count and code
        toks.insert(rng.randint(0, len(toks)), str(rng.randint(0, 9)) + rng.choice(SPACES) + rng.choice("bhiqs"))
    elif kind == 7:  # non-ASCII
        toks.insert(rng.randint(0, len(toks)), rng.choice(NON_ASCII))
    else:  # huge but valid pad/bytes counts, or just over the limit
        toks.insert(
            rng.randint(0, len(toks)),
            str(2**63 - 1 - rng.randint(0, 16)) + rng.choice("xsp"),
        )
    return prefix + "".join(toks)


def calcsize(fmt):
    """(size, None, None) or (None, message, exception type)."""
    try:
        return struct.calcsize(fmt), None, None
    except struct.error as e:
        return None, str(e), "struct.error"
    except UnicodeEncodeError as e:
        return None, str(e), "UnicodeEncodeError"


# ---------------------------------------------------------------- layout


def value_slots(fmt):
    """[(code, offset, width)] of the values of one record, via CPython only.

    The offset of an item is calcsize(prefix + text_before_item + '0' + code):
    a zero count still aligns, and s/p/c/x never align. The item boundaries
    are found by the trivial tokenisation of a valid format.
    """
    prefix = fmt[0] if fmt[:1] in ("@", "=", "<", ">", "!") else ""
    body = fmt[len(prefix):]
    slots = []
    i = 0
    while i < len(body):
        if body[i] in SPACES:
            i += 1
            continue
        start = i
        while body[i].isdigit():
            i += 1
        code = body[i]
        count = int(body[start:i]) if i > start else 1
        off = struct.calcsize(prefix + body[:start] + "0" + code)
        if code in "sp":
            slots.append((code, off, count))
        elif code != "x":
            w = struct.calcsize(prefix + code)
            slots.extend((code, off + j * w, w) for j in range(count))
        i += 1
    return slots


# ---------------------------------------------------------------- data


@functools.lru_cache(maxsize=None)
def special_values(code, width, order):
    """Interesting encodings for one value, in the given byte order."""
    out = [bytes(width), b"\xff" * width]
    if code in FLOAT_WIDTH:
        c = "<" + code if order == "little" else ">" + code
        for v in (1.0, -0.0, float("inf"), float("-inf"), float("nan"), 0.1, -2.5, 65504.0, 6e-08, 1e-40):
            try:
                out.append(struct.pack(c, v))
            except (OverflowError, struct.error):
                pass
        # NaN with payload / signalling NaN / -NaN / smallest subnormal / max finite
        expo = {2: 5, 4: 8, 8: 11}[width]
        mant = width * 8 - 1 - expo
        for b in (
            ((1 << expo) - 1) << mant | 1,  # sNaN
            1 << (width * 8 - 1) | ((1 << expo) - 1) << mant | (1 << (mant - 1)) | 5,  # -qNaN payload
            1,  # min subnormal
            (((1 << expo) - 2) << mant) | ((1 << mant) - 1),  # max finite
        ):
            out.append(b.to_bytes(width, order))
    elif code == "?":
        out += [b"\x01", b"\x02", b"\x80"]
    elif code in "spc":
        pass
    else:
        top = 1 << (width * 8 - 1)
        for v in (1, top, top - 1, top + 1, 0x80, 0x7F):
            out.append((v % (1 << (width * 8))).to_bytes(width, order))
    return tuple(out)


def rand_record(rng, size, slots, order):
    rec = bytearray(rng.randbytes(size))
    for code, off, width in slots:
        r = rng.random()
        if code == "p" and width > 0:
            if r < 0.6:
                rec[off] = rng.randint(0, min(width - 1, 255))  # length that fits
            elif r < 0.75:
                rec[off] = 255
        elif code in "s":
            if r < 0.1:
                rec[off:off + width] = bytes(width)
        elif r < 0.35 and width:
            rec[off:off + width] = rng.choice(special_values(code, width, order))
    return bytes(rec)


# ---------------------------------------------------------------- encoding


def encode_records(fmt, data, size, slots, order):
    records = []
    for r, values in enumerate(struct.iter_unpack(fmt, data)):
        if len(values) != len(slots):
            raise AssertionError(f"{fmt!r}: {len(values)} values, {len(slots)} slots")
        base = r * size
        enc = []
        for v, (code, off, width) in zip(values, slots):
            if code in FLOAT_WIDTH:
                raw = data[base + off:base + off + width]
                hexbits = int.from_bytes(raw, order).to_bytes(width, "big").hex()
                if v == v and struct.pack(">" + code, v).hex() != hexbits:
                    raise AssertionError(f"{fmt!r}: float slot mismatch at {off}")
                enc.append({"f": hexbits})
            elif isinstance(v, bool):
                enc.append(v)
            elif isinstance(v, int):
                enc.append(v)
            elif isinstance(v, bytes):
                enc.append({"b": v.hex()})
            else:
                raise AssertionError(f"unexpected value {v!r}")
        records.append(enc)
    return records


def make_case(index, fmt, outdir, rng=None, data=None, doc=False, note=None):
    size, err, etype = calcsize(fmt)
    case = {
        "index": index,
        "fmt": fmt,
        "file": None,
        "error": err,
        "error_type": etype,
        "size": size,
        "k": 0,
        "records": [],
        "codes": [],
        "doc": doc,
    }
    if note:
        case["note"] = note
    if err is not None:
        return case
    prefix = fmt[0] if fmt[:1] in ("@", "=", "<", ">", "!") else ""
    order = order_of(prefix)
    if size > BIG_LIMIT:
        slots = []
        data = b""
        case["note"] = "huge calcsize: empty input, no records"
    else:
        slots = value_slots(fmt)
        if data is None:
            k = rng.randint(1, 4) if size else 0
            data = b"".join(rand_record(rng, size, slots, order) for _ in range(k))
    case["codes"] = [c for c, _, _ in slots]
    if size == 0:
        data = b""
        case["note"] = "calcsize 0: iter_unpack impossible, empty input, no records"
    else:
        case["k"] = len(data) // size
        case["records"] = encode_records(fmt, data, size, slots, order)
    name = f"case_{index}.bin"
    with open(os.path.join(outdir, name), "wb") as fh:
        fh.write(data)
    case["file"] = name
    return case


# ---------------------------------------------------------------- doc cases

# (fmt, values to pack with CPython on this machine, note) - the examples in
# the `struct` documentation (3.11 and neighbours).
DOC_CASES = [
    (">bhl", (1, 2, 3), "pack('>bhl', 1, 2, 3) == b'\\x01\\x00\\x02\\x00\\x00\\x00\\x03'"),
    (">hhl", (1, 2, 3), "pack('>hhl', 1, 2, 3)"),
    ("hhl", (1, 2, 3), "pack('hhl', 1, 2, 3)"),
    ("<10sHHb", (b"raymond   ", 4658, 264, 8), "record = b'raymond   \\x32\\x12\\x08\\x01\\x08'"),
    ("@ci", (b"*", 0x12131415), "pack('@ci', b'*', 0x12131415); calcsize('@ci') == 8"),
    ("@ic", (0x12131415, b"*"), "pack('@ic', 0x12131415, b'*'); calcsize('@ic') == 5"),
    ("@ci", (b"#", 0x12131415), "pack('@ci', b'#', 0x12131415)"),
    ("@llh0l", (1, 2, 3), "'llh0l': pad bytes at the end"),
    ("llh0l", (1, 2, 3), "'llh0l' without prefix"),
    ("@lhl", (1, 2, 3), "len(pack('@lhl', 1, 2, 3)) == 24"),
    ("@llh", (1, 2, 3), "len(pack('@llh', 1, 2, 3)) == 18"),
    ("<qh6xq", (1, 2, 3), "pack('<qh6xq', 1, 2, 3) == pack('@lhl', 1, 2, 3)"),
    ("<qqh", (1, 2, 3), "pack('@llh', 1, 2, 3) == pack('<qqh', 1, 2, 3)"),
    ("<qqh6x", (1, 2, 3), "pack('@llh0l', 1, 2, 3) == pack('<qqh6x', 1, 2, 3)"),
    ("@ccc", (b"1", b"2", b"3"), "pack('@ccc', b'1', b'2', b'3')"),
    ("@3s", (b"123",), "pack('@3s', b'123')"),
    ("10s", (b"0123456789",), "'10s' is one 10-byte string"),
    ("10c", tuple(bytes([c]) for c in b"0123456789"), "'10c' is 10 characters"),
    ("0s", (b"",), "'0s' is a single empty string (calcsize 0)"),
    ("0c", (), "'0c' is 0 characters (calcsize 0)"),
    ("4h", (1, -2, 3, -4), "'4h' means exactly the same as 'hhhh'"),
    ("hhhh", (1, -2, 3, -4), "'hhhh'"),
    ("2h 2h", (1, -2, 3, -4), "whitespace between formats is ignored"),
    ("<5p", (b"abc",), "Pascal string"),
    ("<5p", (b"abcdefgh",), "Pascal string truncated to count-1"),
    ("<?", (True,), "bool"),
    ("<e", (1.5,), "half float"),
    ("<f", (3.14,), "float"),
    ("<d", (3.14,), "double"),
    ("!I", (0xDEADBEEF,), "network order"),
    ("=l", (-1,), "standard size long"),
    ("@P", (0x1234,), "void pointer"),
    ("@nN", (-5, 5), "ssize_t / size_t"),
]


def doc_cases(start, outdir):
    cases = []
    for j, (fmt, values, note) in enumerate(DOC_CASES):
        data = struct.pack(fmt, *values)
        cases.append(make_case(start + j, fmt, outdir, data=data, doc=True, note=note))
    # '?': any non-zero byte unpacks as True
    cases.append(make_case(start + len(cases), "4?", outdir, data=b"\x00\x01\x02\xff", doc=True,
                           note="any non-zero value will be True when unpacking"))
    cases.append(make_case(start + len(cases), "<4?", outdir, data=b"\x00\x01\x02\xff", doc=True,
                           note="any non-zero value will be True when unpacking"))
    # Pascal length byte larger than the field
    cases.append(make_case(start + len(cases), "<4p", outdir, data=b"\xffabc", doc=True,
                           note="p: at most count-1 bytes are returned"))
    # a few doc-style errors: a count and its format must not contain whitespace
    for fmt in ("3 h", "h3", ">n", "h<"):
        cases.append(make_case(start + len(cases), fmt, outdir, doc=True))
    return cases


# ---------------------------------------------------------------- main


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    seed, n, outdir = int(argv[1]), int(argv[2]), argv[3]
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        if rng.random() < 0.2:
            fmt = rand_invalid(rng)
        else:
            prefix, toks = rand_valid_tokens(rng)
            fmt = prefix + "".join(toks)
        cases.append(make_case(i, fmt, outdir, rng=rng))
    cases += doc_cases(len(cases), outdir)
    with open(os.path.join(outdir, "cases.json"), "w") as fh:
        json.dump(cases, fh, separators=(",", ":"))
    meta = {
        "seed": seed,
        "n": n,
        "total": len(cases),
        "python": sys.version,
        "byteorder": sys.byteorder,
        "float_encoding": "big-endian hex of the raw IEEE bits at the item's width",
        "command": "unstruct -s FMT --raw-bytes --bytes hex FILE",
    }
    with open(os.path.join(outdir, "meta.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
    nerr = sum(c["error"] is not None for c in cases)
    print(f"{len(cases)} cases ({nerr} rejected formats) written to {outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Shared fixtures: generated record files whose expected values come from CPython's struct."""
import os
import random
import struct

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, "samples")

FIXED_FMT = "<IhHd12sI"
FIXED_NAMES = ["id", "temp", "flags", "value", "name", "count"]

# Variable-size records: u16 length, that much UTF-8 text, NUL-terminated ASCII tag, u32be.
VAR_STRUCT = """endian little
struct rec {
    at:       = @offset
    _len:     u16
    text:     str[_len]
    tag:      strz ascii
    checksum: u32be
}
"""


def fixed_records(n, seed=1):
    """(bytes, expected rows) for n records of FIXED_FMT, values as CPython decodes them."""
    rnd = random.Random(seed)
    out, rows = [], []
    for i in range(n):
        name = "".join(rnd.choice("abcdefghXYZ019") for _ in range(rnd.randint(0, 11)))
        v = (i * 7 + 1, rnd.randint(-32768, 32767), rnd.randint(0, 65535),
             rnd.uniform(-1e6, 1e6), name.encode(), rnd.randint(0, 2**32 - 1))
        out.append(struct.pack(FIXED_FMT, *v))
    data = b"".join(out)
    for t in struct.iter_unpack(FIXED_FMT, data):
        row = dict(zip(FIXED_NAMES, t))
        row["name"] = row["name"].split(b"\0", 1)[0].decode()
        rows.append(row)
    return data, rows


WORDS = ["alpha", "beta", "café", "naïve", "日本語", "😀", 'say "hi"', "tab\there", "x"]


def var_records(n, seed=2, start=0):
    """(bytes, expected rows) for n records of VAR_STRUCT; `start` is the file offset of the
    first record (for `at`)."""
    rnd = random.Random(seed)
    parts, rows, at = [], [], start
    for _ in range(n):
        text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(0, 12)))
        tag = rnd.choice(["info", "warn", "", "sensor-a"])
        tb = text.encode()
        chk = rnd.randint(0, 2**32 - 1)
        rec = struct.pack("<H", len(tb)) + tb + tag.encode() + b"\0" + struct.pack(">I", chk)
        parts.append(rec)
        rows.append({"at": at, "text": text, "tag": tag, "checksum": chk})
        at += len(rec)
    return b"".join(parts), rows


@pytest.fixture
def tmpfile(tmp_path):
    def write(name, data):
        p = tmp_path / name
        p.write_bytes(data)
        return str(p)
    return write

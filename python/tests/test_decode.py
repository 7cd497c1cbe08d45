"""Descriptors and decoding to Python objects, checked against CPython's struct and wave."""
import math
import os
import pickle
import struct
import wave

import pytest

import unstruct
from conftest import FIXED_FMT, FIXED_NAMES, SAMPLES, VAR_STRUCT, fixed_records, var_records


def test_struct_format_records_equal_cpython(tmpfile):
    data, rows = fixed_records(500)
    d = unstruct.Descriptor.struct_format(FIXED_FMT, names=FIXED_NAMES)
    assert d.records(data) == rows
    # from a file (memory-mapped), a bytearray and a memoryview alike
    path = tmpfile("f.bin", data)
    assert d.records(path) == rows
    assert d.records(bytearray(data)) == rows
    assert d.records(memoryview(data)) == rows
    assert d.record_size() == struct.calcsize(FIXED_FMT)


def test_struct_format_without_names_gives_lists_and_raw_bytes():
    data = struct.pack("<bB?3s", -3, 250, True, b"a\0b")
    assert unstruct.Descriptor.struct_format("<bB?3s").records(data) == [[-3, 250, True, "a"]]
    raw = unstruct.Descriptor.struct_format("<bB?3s", raw_bytes=True).records(data)
    assert raw == [list(struct.unpack("<bB?3s", data))]
    assert isinstance(raw[0][3], bytes)


def test_exact_big_integers_and_floats():
    data = struct.pack("<QqfdQ", 2**64 - 1, -(2**63), 0.1, math.pi, 2**63)
    d = unstruct.Descriptor.struct_format("<QqfdQ", names=["a", "b", "c", "d", "e"])
    [r] = d.records(data)
    a, b, _, dd, e = struct.unpack("<QqfdQ", data)
    assert (r["a"], r["b"], r["d"], r["e"]) == (a, b, dd, e)
    assert type(r["a"]) is int
    # f32 values are the shortest decimal that reads back as the f32, as in the JSON output
    assert r["c"] == 0.1


def test_descriptor_text_and_bundled_format_match_wave():
    path = os.path.join(SAMPLES, "tone.wav")
    doc = unstruct.Descriptor.format("wav").decode(path)
    with wave.open(path) as w:
        fmt = [c for c in doc["chunks"] if c["id"] == "fmt "][0]["body"]
        assert fmt["channels"] == w.getnchannels()
        assert fmt["sample_rate"] == w.getframerate()
        assert fmt["bits_per_sample"] == 8 * w.getsampwidth()
        frames = w.readframes(w.getnframes())
    data = [c for c in doc["chunks"] if c["id"] == "data"][0]["body"]
    assert isinstance(data, bytes) and data == frames
    # the same descriptor as text, and as a file
    with open(os.path.join(os.path.dirname(SAMPLES), "formats", "wav.struct")) as f:
        text = f.read()
    assert unstruct.Descriptor(text).decode(path) == doc
    assert unstruct.Descriptor.from_file(
        os.path.join(os.path.dirname(SAMPLES), "formats", "wav.struct")).decode(path) == doc
    assert ("wav", ) == tuple(n for n, _ in unstruct.formats() if n == "wav")


def test_root_chooses_the_struct():
    d = unstruct.Descriptor("struct a {\n x: u8\n}\nstruct b {\n y: u16be\n}\n")
    assert d.structs == ["a", "b"]
    assert d.decode(b"\x01\x02") == {"x": 1}
    assert d.decode(b"\x01\x02", root="b") == {"y": 258}
    with pytest.raises(ValueError, match="did you mean `b`"):
        d.decode(b"\x01", root="bb")


def test_descriptor_error_has_line_column_message():
    with pytest.raises(unstruct.DescriptorError) as ei:
        unstruct.Descriptor("struct a {\n  b: u23\n}\n", name="x.struct")
    e = ei.value
    assert (e.file, e.line, e.column) == ("x.struct", 2, 6)
    assert e.message == "unknown type `u23`"
    assert e.help == "did you mean `u32`?"
    assert isinstance(e, unstruct.Error) and isinstance(e, ValueError)
    with pytest.raises(unstruct.DescriptorError) as ei:
        unstruct.Descriptor.struct_format("<hz")
    assert (ei.value.line, ei.value.column) == (1, 3)


def test_data_error_has_offset_and_path(tmpfile):
    d = unstruct.Descriptor(VAR_STRUCT)
    data, rows = var_records(20)
    bad = data + b"\xff\xff" + b"short"
    with pytest.raises(unstruct.DataError) as ei:
        d.records(bad)
    e = ei.value
    assert e.offset == len(data) + 2
    assert e.path == "rec[20].text"
    assert "need 65535 bytes" in e.message
    # the records before the error come with it
    assert e.records == rows
    with pytest.raises(unstruct.DataError) as ei:
        unstruct.Descriptor.format("wav").decode(b"RIFD....WAVE")
    assert ei.value.offset == 0 and ei.value.path == "wav.magic"


def test_records_skip_count_offset_and_on_error():
    data, rows = fixed_records(50)
    d = unstruct.Descriptor.struct_format(FIXED_FMT, names=FIXED_NAMES)
    assert d.records(data, skip=10, count=5) == rows[10:15]
    assert d.records(data, offset=32 * 3, length=32 * 4) == rows[3:7]
    vd = unstruct.Descriptor(VAR_STRUCT)
    vdata, vrows = var_records(10)
    got = vd.records(vdata + b"\x05\x00ab", on_error="skip")
    assert [r["text"] for r in got] == [r["text"] for r in vrows]


def test_pickle_round_trip(tmpfile):
    data, rows = fixed_records(5)
    for d in [unstruct.Descriptor.struct_format(FIXED_FMT, names=FIXED_NAMES),
              unstruct.Descriptor(VAR_STRUCT),
              unstruct.Descriptor.format("wav"),
              unstruct.Descriptor.from_file(tmpfile("v.struct", VAR_STRUCT.encode()))]:
        d2 = pickle.loads(pickle.dumps(d))
        assert d2.structs == d.structs and repr(d2) == repr(d)
    assert pickle.loads(pickle.dumps(
        unstruct.Descriptor.struct_format(FIXED_FMT, names=FIXED_NAMES))).records(data) == rows


def test_bad_arguments():
    d = unstruct.Descriptor.struct_format("<I")
    with pytest.raises(TypeError):
        d.records(12)
    with pytest.raises(FileNotFoundError):
        d.records("/nonexistent/file.bin")
    with pytest.raises(ValueError, match="past the end"):
        d.records(b"1234", offset=5)
    with pytest.raises(ValueError, match="no bundled format"):
        unstruct.Descriptor.format("wave")


KSY = """meta:
  id: fixed_records
  endian: le
seq:
  - id: records
    type: rec
    repeat: eos
types:
  rec:
    seq:
      - id: id
        type: u4
      - id: temp
        type: s2
      - id: flags
        type: u2
      - id: value
        type: f8
      - id: name
        type: strz
        size: 12
        encoding: ASCII
      - id: count
        type: u4
"""


def test_kaitai_struct_spec(tmpfile):
    data, rows = fixed_records(300)
    d = unstruct.Descriptor.ksy(KSY)
    assert d.decode(data) == {"records": rows}
    assert d.records(data, record="rec") == rows
    f = unstruct.Descriptor.from_file(tmpfile("fixed_records.ksy", KSY.encode()))
    assert f.to_arrow(data, record="rec").to_pylist() == rows
    assert pickle.loads(pickle.dumps(f)).records(data, record="rec") == rows
    with pytest.raises(unstruct.DescriptorError) as ei:
        unstruct.Descriptor.ksy(KSY.replace("type: u4\n", "type: u5\n", 1), name="bad.ksy")
    assert (ei.value.file, ei.value.line, ei.value.column) == ("bad.ksy", 12, 15)

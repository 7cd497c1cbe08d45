"""Arrow batches and tables, and shards, checked against CPython's struct."""
import pyarrow as pa
import pytest

import unstruct
from conftest import FIXED_FMT, FIXED_NAMES, VAR_STRUCT, fixed_records, var_records


def fixed_desc():
    return unstruct.Descriptor.struct_format(FIXED_FMT, names=FIXED_NAMES)


def test_schema_from_the_plan():
    s = fixed_desc().schema()
    assert s.names == FIXED_NAMES
    assert [str(t) for t in s.types] == ["uint32", "int16", "uint16", "double", "string",
                                         "uint32"]
    v = unstruct.Descriptor(VAR_STRUCT).schema()
    assert v.names == ["at", "text", "tag", "checksum"]


def test_to_arrow_equals_cpython(tmpfile):
    data, rows = fixed_records(3000)
    t = fixed_desc().to_arrow(tmpfile("f.bin", data))
    assert isinstance(t, pa.Table)
    assert t.to_pylist() == rows


def test_threads_do_not_change_the_table(tmpfile):
    # over 4 MiB, so that to_arrow splits the work; variable-size records too
    data, rows = fixed_records(140_000)
    path = tmpfile("f.bin", data)
    d = fixed_desc()
    one, two = d.to_arrow(path, threads=1), d.to_arrow(path, threads=2)
    assert one.equals(two)
    assert two.column("id").to_pylist() == [r["id"] for r in rows]
    vdata, vrows = var_records(90_000)
    vpath = tmpfile("v.bin", vdata)
    vd = unstruct.Descriptor(VAR_STRUCT)
    assert len(vdata) > 4 << 20
    t2 = vd.to_arrow(vpath, threads=2)
    assert t2.equals(vd.to_arrow(vpath, threads=1))
    assert t2.to_pylist() == vrows


def test_record_batches_iterates_lazily_and_reports_errors():
    data, rows = var_records(1000)
    d = unstruct.Descriptor(VAR_STRUCT)
    it = d.record_batches(data, batch_size=300)
    assert it.schema == d.schema()
    sizes = [b.num_rows for b in it]
    assert sizes == [300, 300, 300, 100]
    with pytest.raises(unstruct.DataError):
        list(d.record_batches(data + b"\xff\xff", batch_size=300))
    it = d.record_batches(data + b"\xff\xff", batch_size=600)
    assert next(it).num_rows == 600
    assert next(it).num_rows == 400
    with pytest.raises(unstruct.DataError) as ei:
        next(it)
    assert ei.value.offset == len(data) + 2


def test_offset_and_length_as_if_alone():
    data, rows = var_records(100)
    d = unstruct.Descriptor(VAR_STRUCT)
    start = rows[10]["at"]
    end = rows[20]["at"]
    t = d.to_arrow(data, offset=start, length=end - start)
    assert t.column("text").to_pylist() == [r["text"] for r in rows[10:20]]
    # `@offset` counts from `offset`, as the command line's --offset
    assert t.column("at").to_pylist() == [r["at"] - start for r in rows[10:20]]


def test_shards_cover_the_file_at_record_starts(tmpfile):
    vdata, vrows = var_records(5000)
    d = unstruct.Descriptor(VAR_STRUCT)
    starts = {r["at"] for r in vrows}
    sh = d.shards(vdata, n=6)
    assert len(sh) == 6
    assert sh[0][0] == 0 and sum(n for _, n in sh) == len(vdata)
    for (o, n), (o2, _) in zip(sh, sh[1:]):
        assert o + n == o2
    assert all(o in starts for o, _ in sh)
    # decoding each shard as if alone and joining gives every record
    texts = []
    for o, n in sh:
        texts += d.to_arrow(vdata, offset=o, length=n).column("text").to_pylist()
    assert texts == [r["text"] for r in vrows]
    # fixed-size records: whole records each
    fdata, _ = fixed_records(1001)
    assert fixed_desc().shards(tmpfile("f.bin", fdata), n=4) == [
        (0, 251 * 32), (251 * 32, 250 * 32), (501 * 32, 250 * 32), (751 * 32, 250 * 32)]


def test_columns_that_cannot_be_arrow_raise():
    with pytest.raises(unstruct.Error, match="wav.chunks.body"):
        unstruct.Descriptor.format("wav").schema()


def test_the_gil_is_released_while_decoding(tmpfile):
    """Another Python thread runs while to_arrow decodes: the longest pause it sees is a
    fraction of the decode (holding the GIL would stall it for all of it)."""
    import threading
    import time

    data, _ = fixed_records(20_000)
    path = tmpfile("big.bin", data * 12)  # 7.7 MB
    d = fixed_desc()
    stop = threading.Event()
    ticks = []

    def spin():
        while not stop.is_set():
            ticks.append(time.perf_counter())

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    table = d.to_arrow(path, threads=1)
    t1 = time.perf_counter()
    stop.set()
    t.join()
    assert table.num_rows == 240_000
    during = [x for x in ticks if t0 <= x <= t1]
    gaps = [b - a for a, b in zip([t0] + during, during + [t1])]
    assert max(gaps) < 0.5 * (t1 - t0), (max(gaps), t1 - t0)

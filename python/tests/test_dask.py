"""unstruct.dask on a LocalCluster with two workers: the dataframe equals the single-process
conversion row for row, and values equal CPython's struct."""
import os

import pandas as pd
import pytest

import unstruct
import unstruct.dask
from conftest import FIXED_FMT, FIXED_NAMES, VAR_STRUCT, fixed_records, var_records

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=40)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def assert_same_as_single_process(got, d, paths):
    """Row for row (and value for value) what decoding the files one after another in this
    process gives; Dask keeps text as its own string dtype."""
    one = pd.concat([d.to_arrow(p, threads=1).to_pandas() for p in paths], ignore_index=True)
    pd.testing.assert_frame_equal(got, one, check_dtype=False)
    assert got.to_dict("records") == one.to_dict("records")


def test_fixed_records_several_files(client, tmp_path):
    paths, expected = [], []
    for i, n in enumerate([1000, 1, 2500]):
        data, rows = fixed_records(n, seed=10 + i)
        p = tmp_path / f"part-{i}.bin"
        p.write_bytes(data)
        paths.append(str(p))
        expected += rows
    d = unstruct.Descriptor.struct_format(FIXED_FMT, names=FIXED_NAMES)
    # shard sizes that are not multiples of the record size: edges fall inside records
    ddf = unstruct.dask.read_records(str(tmp_path / "part-*.bin"), d, shard_bytes=1000)
    assert ddf.npartitions > 10
    got = ddf.compute().reset_index(drop=True)
    assert_same_as_single_process(got, d, paths)
    assert got.to_dict("records") == expected


def test_variable_records_several_files(client, tmp_path):
    paths, expected = [], []
    for i, n in enumerate([3000, 10, 1500]):
        data, rows = var_records(n, seed=20 + i)
        p = tmp_path / f"v{i}.bin"
        p.write_bytes(data)
        paths.append(str(p))
        expected += rows
    d = unstruct.Descriptor(VAR_STRUCT)
    ddf = unstruct.dask.read_records(paths, d, record="rec", shard_bytes=7777)
    parts = unstruct.dask.shard_plan(paths, d, "rec", shard_bytes=7777)
    assert ddf.npartitions == len(parts) > 6
    # shard edges are record starts, not the byte targets
    starts = {(p, r["at"]) for p, rows in zip(paths, [var_records(n, seed=20 + i)[1] for i, n in
                                                      enumerate([3000, 10, 1500])]) for r in rows}
    assert all((p, off) in starts for p, off, _, _ in parts)
    got = ddf.compute().reset_index(drop=True)
    assert_same_as_single_process(got, d, paths)
    # `@offset` is the offset in the file, as in one run over it
    assert got.to_dict("records") == expected


def test_to_parquet(client, tmp_path):
    data, rows = fixed_records(4000, seed=5)
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    d = unstruct.Descriptor.struct_format(FIXED_FMT, names=FIXED_NAMES)
    out = tmp_path / "out.parquet"
    unstruct.dask.read_records(str(p), d, shard_bytes=32 * 1000).to_parquet(str(out))
    import pyarrow.parquet as pq
    t = pq.read_table(str(out))
    assert sorted(os.listdir(out))[:1] == ["part.0.parquet"]
    assert t.num_rows == 4000
    assert t.drop_columns([c for c in t.column_names if c not in FIXED_NAMES]).to_pylist() == rows

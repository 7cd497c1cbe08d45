"""Record files as Dask dataframes: one partition per record-aligned shard of each file.

    import unstruct, unstruct.dask
    d = unstruct.Descriptor.from_file("sensor.struct")
    df = unstruct.dask.read_records("dumps/*.bin", d, record="rec")
    df.to_parquet("dumps.parquet")               # on whatever scheduler is active

Each file is split by ``Descriptor.shards`` (arithmetic for fixed-size records, one pass over
record starts for variable-size ones) into parts of about ``shard_bytes``; each partition is
decoded by ``unstruct`` on a worker (the file memory-mapped there: the workers must see the
same paths, as with any Dask reader of local files) straight into Arrow, then pandas. The
rows, in partition order, are those of decoding the files one after another in one process,
including ``@offset`` and ``@index`` values.
"""

from __future__ import annotations

import glob
import os
from typing import Optional, Sequence, Union

__all__ = ["read_records", "shard_plan"]

#: Default size of one partition's input: large enough that per-task overhead is small, small
#: enough that a partition's dataframe (a few times the input) fits a worker comfortably.
DEFAULT_SHARD_BYTES = 128 << 20


def _paths(paths: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]) -> list:
    if isinstance(paths, (str, os.PathLike)):
        p = os.fspath(paths)
        if glob.has_magic(p):
            found = sorted(glob.glob(p))
            if not found:
                raise FileNotFoundError(f"no file matches {p!r}")
            return found
        return [p]
    out = []
    for p in paths:
        out.extend(_paths(p))
    return out


def shard_plan(paths, descriptor, record: Optional[str] = None, *,
               shard_bytes: int = DEFAULT_SHARD_BYTES) -> list:
    """The partitions ``read_records`` makes: ``(path, offset, length, first_index)`` tuples,
    in order. Files are listed in the order given (a glob sorted by name)."""
    parts = []
    for path in _paths(paths):
        size = os.path.getsize(path)
        n = max(1, -(-size // max(1, shard_bytes)))
        for off, length, first in descriptor._shards(path, record=record, n=n):
            parts.append((path, off, length, first))
    return parts


class _ReadShard:
    """Decodes one part into pandas (a picklable callable for ``from_map``)."""

    def __init__(self, descriptor, record, batch_size):
        self.descriptor = descriptor
        self.record = record
        self.batch_size = batch_size

    def __call__(self, part):
        path, offset, length, first = part
        table = self.descriptor._read_shard(path, offset, length, first, record=self.record,
                                            batch_size=self.batch_size)
        return table.to_pandas()


def read_records(paths, descriptor, record: Optional[str] = None, *,
                 shard_bytes: int = DEFAULT_SHARD_BYTES, batch_size: int = 65536):
    """A ``dask.dataframe.DataFrame`` of the records of ``record`` (default: the root) in the
    files ``paths`` (a path, a glob such as ``"dumps/*.bin"``, or a list of them), one
    partition per record-aligned shard of about ``shard_bytes`` bytes.

    The columns and their types come from the descriptor (``Descriptor.schema``), so nothing
    is read to learn them. Rows keep file order; the index is a plain range per partition.
    """
    import dask.dataframe as dd

    parts = shard_plan(paths, descriptor, record, shard_bytes=shard_bytes)
    meta = descriptor.schema(record).empty_table().to_pandas()
    if not parts:
        return dd.from_pandas(meta, npartitions=1)
    return dd.from_map(_ReadShard(descriptor, record, batch_size), parts, meta=meta,
                       label="unstruct-read-records", enforce_metadata=False)

"""unstruct: decode binary files into Python objects, Arrow tables and Dask dataframes.

Describe a layout once, as a ``.struct`` descriptor or a Python ``struct`` format string, and
decode files (memory-mapped) or buffers with the same engine as the ``unstruct`` command::

    import unstruct
    d = unstruct.Descriptor.format("wav")
    doc = d.decode("samples/tone.wav")          # dicts, lists, ints, floats, str, bytes

    rec = unstruct.Descriptor.struct_format("<IhHd12sI",
                                            names=["id", "temp", "flags", "value", "name", "count"])
    table = rec.to_arrow("data.bin")             # a pyarrow.Table, columns from the plan
    for batch in rec.record_batches("data.bin", batch_size=65536):
        ...                                      # pyarrow.RecordBatch, one at a time
    rec.shards("data.bin", n=8)                  # record-aligned (offset, length) pairs

``unstruct.dask.read_records`` turns a set of record files into a Dask dataframe with one
partition per shard.
"""

from ._unstruct import DataError, Descriptor, DescriptorError, Error, formats

__all__ = ["Descriptor", "Error", "DescriptorError", "DataError", "formats"]

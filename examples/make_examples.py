#!/usr/bin/env python3
"""examples/make_examples.py: writes the record files that README.md and docs/ use, with
Python's struct (the layout of examples/rec.struct, '<IhHd12sI'):
  data.bin       four 32-byte records
  truncated.bin  the first record and 18 bytes of the second
Run from anywhere: python3 examples/make_examples.py"""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
rows = [
    (0, -40, 0, 0.0, b'sensor-0', 1000),
    (1, -33, 3, 1.25, b'sensor-1', 1001),
    (2, -12, 1, 2.5, b'sensor-2', 1002),
    (3, 21, 0, -0.5, b'sensor-3', 1003),
]
data = b''.join(struct.pack('<IhHd12sI', *r) for r in rows)
assert len(data) == 4 * 32
with open(os.path.join(here, 'data.bin'), 'wb') as f:
    f.write(data)
with open(os.path.join(here, 'truncated.bin'), 'wb') as f:
    f.write(data[:32 + 18])

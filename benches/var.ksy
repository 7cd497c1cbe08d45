# benches/var.ksy: the benchmark's variable-length layout, as benches/var.struct (Kaitai has
# no hidden fields, so `len` is written too)
meta:
  id: rec
  endian: le
seq:
  - id: len
    type: u2
  - id: text
    type: str
    size: len
    encoding: UTF-8
  - id: tag
    type: strz
    encoding: ASCII
  - id: checksum
    type: u4be

# benches/fixed_records.ksy: a file of the benchmark's fixed records ('<IhHd12sI') for Kaitai Struct,
# compiled to Python by kaitai-struct-compiler in benches/python_compare.sh
meta:
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

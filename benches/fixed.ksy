# benches/fixed.ksy: the benchmark's fixed layout ('<IhHd12sI'), as benches/fixed.struct
meta:
  id: rec
  endian: le
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

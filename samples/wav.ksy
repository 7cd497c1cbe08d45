# A small Kaitai Struct spec for RIFF/WAVE audio, decoded by `unstruct -f samples/wav.ksy`.
meta:
  id: wav
  endian: le
seq:
  - id: magic
    contents: RIFF
  - id: size
    type: u4
  - id: form
    contents: WAVE
  - id: chunks
    type: chunk
    repeat: eos
types:
  chunk:
    seq:
      - id: id
        type: str
        size: 4
        encoding: ASCII
      - id: len
        type: u4
      - id: body
        size: len
        type:
          switch-on: id
          cases:
            '"fmt "': fmt_body
      - id: pad
        size: len % 2
  fmt_body:
    seq:
      - id: format
        type: u2
        enum: wave_format
      - id: channels
        type: u2
      - id: sample_rate
        type: u4
      - id: byte_rate
        type: u4
      - id: block_align
        type: u2
      - id: bits_per_sample
        type: u2
    instances:
      bytes_per_sample:
        value: bits_per_sample / 8
enums:
  wave_format:
    1: pcm
    3: ieee_float
    0xfffe: extensible

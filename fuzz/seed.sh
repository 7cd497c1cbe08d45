#!/usr/bin/env bash
# Recreates the seed corpora in fuzz/corpus/<target>/ from the repository's own files:
# samples/*, formats/*.struct, the descriptors in tests/lang*.rs, and a few struct format
# strings. fuzz/corpus/ is git-ignored; libFuzzer adds what it finds to these directories.
# Usage: fuzz/seed.sh            (safe to rerun: seeds are overwritten, finds are kept)
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"
corpus="$fuzz/corpus"
mkdir -p "$corpus"/{descriptor,structfmt,formats,descriptor_data,select_path,columnar,ksy}

# The bundled formats in the order of unstruct::formats::ALL (build.rs sorts the paths).
mapfile -t formats < <(cd "$root/formats" && printf '%s\n' *.struct | LC_ALL=C sort)
index_of() { # format name -> its index in ALL
  local i
  for i in "${!formats[@]}"; do
    [ "${formats[$i]}" = "$1.struct" ] && { echo "$i"; return; }
  done
  echo "fuzz/seed.sh: no bundled format $1" >&2; exit 1
}
format_of() { # sample file name -> bundled format name (empty: none)
  case "$1" in
    *.wav) echo wav ;; *.bmp) echo bmp ;; *.png) echo png ;; *.gif) echo gif ;;
    *.gz) echo gzip ;; *.tar) echo tar ;; *.zip) echo zip ;; *.pcap) echo pcap ;;
    *.sqlite) echo sqlite ;; *.class) echo java_class ;; *.pyc) echo pyc ;;
    *.elf|*.o) echo elf ;; *) echo "" ;;
  esac
}

# descriptor: every bundled format and every descriptor written in tests/lang*.rs
for f in "$root"/formats/*.struct; do
  cp "$f" "$corpus/descriptor/fmt-$(basename "$f")"
done
python3 - "$corpus/descriptor" "$root"/tests/lang*.rs <<'PY'
import re, sys, pathlib
out = pathlib.Path(sys.argv[1])
src = "\n".join(pathlib.Path(p).read_text() for p in sorted(sys.argv[2:]))
n = 0
raw = [m.group(1) for m in re.finditer(r'r#"(.*?)"#', src, re.S)]
plain = [
    m.group(1).encode().decode("unicode_escape")
    for m in re.finditer(r'(?<![#\w])"((?:struct|enum|flags|endian|root|bits)\b(?:[^"\\]|\\.)*)"', src)
]
for text in raw + plain:
    if re.search(r'\b(struct|enum|flags)\b', text):
        (out / f"lang-{n:03}.struct").write_text(text)
        n += 1
print(f"descriptor: {n} descriptors from tests/lang*.rs")
PY

# formats: one byte picking the format, then a sample of that format
for s in "$root"/samples/*; do
  [ -f "$s" ] || continue
  name="$(format_of "$(basename "$s")")"
  [ -n "$name" ] || continue
  i="$(index_of "$name")"
  { printf "\\x$(printf %02x "$i")"; cat "$s"; } > "$corpus/formats/$(basename "$s")"
done

# descriptor_data: format text, 0xFF, sample
for s in "$root"/samples/*; do
  [ -f "$s" ] || continue
  name="$(format_of "$(basename "$s")")"
  [ -n "$name" ] || continue
  { cat "$root/formats/$name.struct"; printf '\xff'; cat "$s"; } \
    > "$corpus/descriptor_data/$(basename "$s")"
done
# the descriptors of tests/lang*.rs over a few bytes
for d in "$corpus"/descriptor/lang-*.struct; do
  { cat "$d"; printf '\xff\x01\x02\x03\x04\x05\x06\x07\x08ABCD\x00'; } \
    > "$corpus/descriptor_data/$(basename "$d" .struct)"
done
# and small hand-written pairs reaching records mode, bits, `at`, `until`, enums
seed_pair() { { printf '%s' "$2"; printf '\xff'; printf "$3"; } > "$corpus/descriptor_data/$1"; }
seed_pair rec 'struct r { a: u8; b: u16; s: str[2] }' '\x01\x02\x00ab\x03\x04\x00cd'
seed_pair bits 'struct r bits big { a: b3; b: b5; c: u8 }' '\xab\xcd\xef\x01'
seed_pair at 'struct r { n: u8; p: u8; x: u16 at p; rest: bytes[..] }' '\x02\x04\x00\x00\x34\x12'
seed_pair until 'struct r { xs: u8[..] until @ == 0; t: strz }' '\x01\x02\x00hi\x00'
seed_pair enum 'enum e: u8 { a = 1, b = 2 }
struct r { k: e; v: match k { e::a => u16, _ => bytes[..] } }' '\x01\x34\x12'

# structfmt: FORMAT \n NAMES \n DATA (see fuzz_targets/structfmt.rs)
seed_fmt() { { printf '%s\n' "$2"; printf "$3"; printf '\n'; printf "$4"; } > "$corpus/structfmt/$1"; }
seed_fmt ihhd '<IhHd12sI' 'id,temp,flags,value,name,count' '\x01\x00\x00\x00\xff\xff\x02\x00\x00\x00\x00\x00\x00\x00\xf0\x3fhello\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00'
seed_fmt native '@b0iq?xxP' 'a,b,c,d' '\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
seed_fmt pascal '>3p2c5sef' '_,a,b,c,d,e' '\x02hix\x41\x42abcde\x3c\x00\x3f\x80\x00\x00'
seed_fmt bytes '!4s' '' 'abcd'
seed_fmt raw '=hHlLnN' 'a,b,c,d,e,f\x03' '\x01\x02'
seed_fmt count '10x2i' '' '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00'
printf 'I h' > "$corpus/structfmt/bad-space"
printf '<\xe9' > "$corpus/structfmt/bad-nonascii"

# select_path: the paths of docs and tests, and a few near misses
i=0
for p in 'items[1].c' 'items[*].b[0]' 'tail' '.items[].c.y' '[0]' 'chunks[1].body' \
  'packets[*]' 'header.e_ident' 'items[' 'a..b' 'x[99999999999999999999]' 'items[*].c.x'; do
  printf '%s' "$p" > "$corpus/select_path/seed-$i"
  i=$((i + 1))
done

# columnar: the descriptor_data pairs, and the columnar tests' descriptor over a few records
cp "$corpus"/descriptor_data/* "$corpus/columnar/"
{ cat "$root/tests/columnar/all.struct"; printf '\xff'
  python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import check, random
data, _ = check.pack(check.make_records(random.Random(1), 6)); sys.stdout.buffer.write(data)' \
    "$root/tests/columnar"; } > "$corpus/columnar/all"

# ksy: the repository's .ksy specs, each with the sample it describes after a 0xff, and a
# few small specs that use the lowering's less common paths
for k in "$root"/samples/*.ksy; do
  base="$(basename "$k" .ksy)"
  data="$root/samples/tone.wav"
  { cat "$k"; printf '\xff'; head -c 256 "$data"; } > "$corpus/ksy/$base"
done
seed_ksy() { { printf '%s' "$2"; printf '\xff'; printf "$3"; } > "$corpus/ksy/$1"; }
seed_ksy term 'meta: {id: t, encoding: ASCII}
seq:
  - {id: a, terminator: 0x7c, consume: false}
  - {id: b, type: str, size: 4, terminator: 0x40, pad-right: 0x2b}
  - {id: c, type: strz}' 'ab|q@++xy\0'
seed_ksy switch 'meta: {id: s, endian: be}
seq:
  - {id: code, type: u1}
  - id: body
    type:
      switch-on: code
      cases: {1: u2, 2: rec, _: u4}
    repeat: expr
    repeat-expr: 2
types:
  rec:
    seq: [{id: x, type: b3}, {id: y, type: b5, enum: e}]
    enums: {e: {0: zero, 1: one}}
instances:
  at_two: {pos: 2, type: u1}
  v: {value: "code * 2 + at_two"}' '\x02\x21\x22\x33'
seed_ksy imports 'meta: {id: i, imports: [/common/x, ../y]}
seq: [{id: a, type: x}]' ''


for t in descriptor structfmt formats descriptor_data select_path columnar ksy; do
  echo "$t: $(find "$corpus/$t" -type f | wc -l) files"
done

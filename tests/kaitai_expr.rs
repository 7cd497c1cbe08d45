//! Kaitai expressions and names as published specs write them: a struct's field named
//! `length` or `size` (which wins over the method), parameters read as members, deep but
//! legitimate nesting, type arguments over several lines, unary plus, `24000.`, and encodings
//! by any WHATWG label. Each spec and its bytes are written here; the expected values are
//! worked out by hand from those bytes (the arithmetic is shown).

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{decode, desc_err};
use serde_json::{Value, json};
use unstruct::decode::{Options, decode_document};
use unstruct::emit::tree::TreeSink;

fn ksy(spec: &str, data: &[u8]) -> Value {
    let plan = unstruct::ksy::compile_str("test.ksy", spec, &[])
        .unwrap_or_else(|e| panic!("spec error:\n{e}"));
    let mut sink = TreeSink::default();
    decode_document(
        &plan,
        unstruct::Input::whole(data),
        Options::default(),
        &mut sink,
    )
    .unwrap_or_else(|e| panic!("data error: {e}"));
    sink.values.pop().expect("one document")
}

fn ksy_err(spec: &str) -> String {
    match unstruct::ksy::compile_str("test.ksy", spec, &[]) {
        Ok(_) => panic!("spec accepted:\n{spec}"),
        Err(e) => e.to_string(),
    }
}

/// `x.length` / `x.size`: a field of that name when x is a struct that has one; the length
/// of an array (elements), text (characters) or bytes (bytes) otherwise.
#[test]
fn length_and_size_fields_win_over_the_methods() {
    let spec = "\
meta:
  id: t
  encoding: UTF-8
seq:
  - id: recs
    type: rec
    repeat: expr
    repeat-expr: 2
  - id: name
    type: str
    size: 3
  - id: blob
    size: 2
types:
  rec:
    seq:
      - id: length
        type: u1
      - id: size
        type: u1
instances:
  n_recs:
    value: recs.size
  n_recs2:
    value: recs.length
  last_size:
    value: recs.last.size
  first_length:
    value: recs[0].length
  name_chars:
    value: name.length
  blob_len:
    value: blob.size
";
    // rec0: length 3, size 4; rec1: length 5, size 6; name "hé" (h, C3 A9); blob 2 bytes
    let v = ksy(spec, b"\x03\x04\x05\x06h\xc3\xa9\xaa\xbb");
    assert_eq!(v["n_recs"], 2);
    assert_eq!(v["n_recs2"], 2);
    assert_eq!(v["last_size"], 6);
    assert_eq!(v["first_length"], 3);
    assert_eq!(v["name_chars"], 2);
    assert_eq!(v["blob_len"], 2);
}

/// The same in the `.struct` language: `.length`/`.size` of arrays, text and bytes.
#[test]
fn length_and_size_of_arrays_text_and_bytes() {
    let desc = "\
struct rec {
    length: u8
    size: u8
}
struct t {
    xs: u8[3]
    t: str[3]
    b: bytes[2]
    r: rec
    a: = xs.length
    c: = t.size
    d: = b.length
    e: = r.size
}
root t
";
    let v = decode(desc, b"\x01\x02\x03h\xc3\xa9\xaa\xbb\x07\x09");
    assert_eq!(
        (&v["a"], &v["c"], &v["d"], &v["e"]),
        (&json!(3), &json!(2), &json!(2), &json!(9))
    );
    let e = desc_err("struct t { x: u8\n y: = x.length }");
    assert!(e.contains("needs a struct"), "{e}");
}

/// A parameter of a struct value reads like a field (`groups.last.multiplier`).
#[test]
fn parameters_read_as_members() {
    let spec = "\
meta:
  id: t
seq:
  - id: g
    type: group(_index * 10)
    repeat: expr
    repeat-expr: 2
types:
  group:
    params:
      - id: mult
        type: u1
    seq:
      - id: v
        type: u1
instances:
  last_mult:
    value: g.last.mult
  scaled:
    value: g[1].v * g[1].mult
";
    // g[1]: mult 1 * 10 = 10, v 7; 7 * 10 = 70
    let v = ksy(spec, b"\x05\x07");
    assert_eq!(v["last_mult"], 10);
    assert_eq!(v["scaled"], 70);
    let v = decode(
        "struct g(m) { v: u8 }\nstruct t { a: g(3)\n b: = a.m * a.v }\nroot t",
        b"\x04",
    );
    assert_eq!(v["b"], 12);
}

/// ULEB128 written the way specs spell it out: ten levels of `(… ? 0 : …)` nested in
/// parentheses. E5 8E 26 is 0x65 + (0x0E << 7) + (0x26 << 14) = 101 + 1792 + 622592.
#[test]
fn deep_but_legitimate_nesting() {
    let mut spec = String::from("meta:\n  id: t\nseq:\n");
    for k in 1..=10 {
        spec += &format!("  - id: b{k}\n    type: u1\n");
    }
    spec += "instances:\n  value:\n    value: >\n";
    let shifts = [0, 7, 14, 21, 28, 35, 42, 49, 56, 63];
    for k in 1..=9 {
        spec += &format!(
            "      ((b{k} % 128) << {}) + ((b{k} & 0x80 == 0) ? 0 :\n",
            shifts[k - 1]
        );
    }
    spec += &format!("      ((b10 % 128) << 63){}\n", ")".repeat(9));
    let v = ksy(&spec, b"\xe5\x8e\x26\0\0\0\0\0\0\0");
    assert_eq!(v["value"], 624_485);

    // a long left-associative chain is not nesting
    let chain = vec!["b1"; 127].join(" +\n      ");
    let spec = format!(
        "meta:\n  id: t\nseq:\n  - id: b1\n    type: u1\ninstances:\n  sum:\n    value: >\n      {chain}\n"
    );
    assert_eq!(ksy(&spec, b"\x03")["sum"], 381);

    // real nesting still has a limit, reported as an error
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    let e = ksy_err(&format!(
        "meta:\n  id: t\ninstances:\n  x:\n    value: '{deep}'\n"
    ));
    assert!(e.contains("nested too deeply"), "{e}");
}

/// `type: |` with the arguments over several lines (the block ends in a newline).
#[test]
fn type_arguments_over_several_lines() {
    let spec = "\
meta:
  id: t
seq:
  - id: p
    # the arguments on lines of their own
    type: |
      pair(
        1,
        2 + 3
      )
types:
  pair:
    params:
      - id: a
        type: u1
      - id: b
        type: u1
    seq:
      - id: x
        type: u1
    instances:
      sum:
        value: a + b + x
";
    // 1 + 5 + 9
    assert_eq!(ksy(spec, b"\x09")["p"]["sum"], 15);
}

/// Unary plus is the operand; `24000.` is a float with an empty fraction.
#[test]
fn unary_plus_and_trailing_dot_floats() {
    let spec = "\
meta:
  id: t
seq:
  - id: x
    type: s1
instances:
  magnitude:
    value: '(x < 0 ? -1 : +1) * x'
  plus:
    value: +x + +2
  scaled:
    value: x * 2.
  half:
    value: 3. / 2
";
    // x = -5: magnitude (-1) * (-5) = 5; plus -5 + 2 = -3; scaled -10.0; half 1.5
    let v = ksy(spec, b"\xfb");
    assert_eq!(v["magnitude"], 5);
    assert_eq!(v["plus"], -3);
    assert_eq!(v["scaled"], json!(-10.0));
    assert_eq!(v["half"], json!(1.5));
    let v = decode(
        "struct t { x: i8\n a: = +x * -1\n b: = x * 2.\n c: = [1, 2, 300][1..] }",
        b"\xfb",
    );
    assert_eq!(v["a"], 5);
    assert_eq!(v["b"], json!(-10.0));
    assert_eq!(v["c"], json!([2, 300]));
}

/// Encodings by WHATWG labels, case ignored. Windows-1252: 80 is €, 93 is “;
/// KOI8-R: C1 is а (U+0430), D0 is п (U+043F); EUC-KR A1 A1 is the ideographic space (U+3000).
#[test]
fn encodings_by_whatwg_labels() {
    let spec = "\
meta:
  id: t
seq:
  - id: a
    type: str
    size: 3
    encoding: windows-1252
  - id: b
    type: str
    size: 2
    encoding: KOI8-R
  - id: c
    type: str
    size: 2
    encoding: cp1252
  - id: d
    type: str
    size: 2
    encoding: EUC-KR
instances:
  a_chars:
    value: a.length
  b_text:
    value: b.to_s
";
    let v = ksy(spec, b"\x80\x93a\xc1\xd0\x80z\xa1\xa1");
    assert_eq!(v["a"], "\u{20ac}\u{201c}a");
    assert_eq!(v["b"], "\u{430}\u{43f}");
    assert_eq!(v["c"], "\u{20ac}z");
    assert_eq!(v["d"], "\u{3000}");
    assert_eq!(v["a_chars"], 3);
    assert_eq!(v["b_text"], "\u{430}\u{43f}");

    let v = decode(
        "struct t { a: str[2] windows1252\n b: str[1] koi8r\n r: bytes[1]\n c: = str(r, iso88592) }",
        b"\x80a\xc1\xa1",
    );
    // ISO-8859-2: A1 is Ą (U+0104)
    assert_eq!(
        (&v["a"], &v["b"], &v["c"]),
        (&json!("\u{20ac}a"), &json!("\u{430}"), &json!("\u{104}"))
    );
    let e = ksy_err(
        "meta:\n  id: t\nseq:\n  - id: a\n    type: str\n    size: 1\n    encoding: no-such-encoding\n",
    );
    assert!(e.contains("encoding `no-such-encoding`"), "{e}");
}

/// The `.struct` language's longest chain (128 operands) is checked by a loop too: it
/// compiles and decodes on a test thread's stack. 128 × 3 = 384.
#[test]
fn a_long_chain_in_the_struct_language() {
    let chain = vec!["b"; 128].join(" + ");
    let v = decode(&format!("struct t {{\n b: u8\n s: = {chain}\n}}"), &[3]);
    assert_eq!(v["s"], 384);
}

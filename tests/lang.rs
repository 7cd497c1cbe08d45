//! Integration tests of the descriptor language (`/work/shared/design/language.md`): every type,
//! modifier and expression form, descriptor errors with their positions, hostile data, and
//! records mode. Expected values are computed independently in the tests (bytes built with
//! `to_le_bytes`/`to_be_bytes`, numbers stated literally), never copied from the tool.
//!
//! `TreeSink` maps do not preserve key order; key order is tested through the CLI.

use serde_json::{Value, json};
use unstruct::decode::{Options, decode_document};
use unstruct::emit::tree::TreeSink;
use unstruct::error::DataErrorKind;
use unstruct::plan::Plan;
use unstruct::records::{RecordsConfig, run_slice};
use unstruct::{DataError, DescriptorError, Input};

// ------------------------------------------------------------------ helpers

fn compile(desc: &str) -> Plan {
    unstruct::lang::compile_str("test.struct", desc)
        .unwrap_or_else(|e| panic!("descriptor error:\n{e}"))
}

/// Decodes `data` with `desc` into a JSON tree; panics with the rendered error on failure.
fn decode(desc: &str, data: &[u8]) -> Value {
    let plan = compile(desc);
    let mut sink = TreeSink::default();
    if let Err(e) = decode_document(&plan, Input::whole(data), Options::default(), &mut sink) {
        panic!("data error: {e}");
    }
    assert_eq!(
        sink.values.len(),
        1,
        "one document expected: {:?}",
        sink.values
    );
    sink.values.pop().unwrap()
}

/// Expects decoding to fail with a data error and returns it.
fn data_err(desc: &str, data: &[u8]) -> DataError {
    data_err_opts(desc, data, Options::default())
}

fn data_err_opts(desc: &str, data: &[u8], opts: Options) -> DataError {
    let plan = compile(desc);
    let mut sink = TreeSink::default();
    match decode_document(&plan, Input::whole(data), opts, &mut sink) {
        Ok(_) => panic!("expected a data error, decoded {:?}", sink.values),
        Err(e) => e,
    }
}

/// Expects a descriptor error and returns it.
fn desc_err(desc: &str) -> DescriptorError {
    match unstruct::lang::compile_str("test.struct", desc) {
        Ok(_) => panic!("expected a descriptor error for:\n{desc}"),
        Err(e) => e,
    }
}

/// Checks a descriptor error's message (substring) and its 1-based line and column.
#[track_caller]
fn assert_desc_err(desc: &str, msg: &str, line_col: (usize, usize)) -> DescriptorError {
    let e = desc_err(desc);
    assert!(
        e.message.contains(msg),
        "message {:?} lacks {msg:?}\n{e}",
        e.message
    );
    assert_eq!(e.line_col(), line_col, "position of:\n{e}");
    // the rendering names the file, line and column and has a caret
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("test.struct:{}:{}: ", line_col.0, line_col.1)),
        "{shown}"
    );
    assert!(shown.contains('^'), "{shown}");
    e
}

/// Records mode over a slice: the values written and the result.
fn records(
    desc: &str,
    ty: &str,
    data: &[u8],
) -> (Vec<Value>, Result<unstruct::records::Summary, DataError>) {
    let plan = compile(desc);
    let sid = plan.struct_by_name(ty).expect("record type");
    let mut sink = TreeSink::default();
    let r = run_slice(
        &plan,
        sid,
        Input::whole(data),
        Options::default(),
        &RecordsConfig::default(),
        &mut sink,
        &mut |_, _, _| {},
    );
    let r = r.map_err(|e| match e {
        unstruct::records::RunError::Data(e) => e,
        other => panic!("not a data error: {other}"),
    });
    (sink.values, r)
}

/// Concatenates byte pieces.
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// ------------------------------------------------------------------ integers

#[test]
fn unsigned_integers_default_little_endian() {
    let d = "struct t { a: u8; b: u16; c: u24; d: u32; e: u64 }";
    let data = cat(&[
        &[0xfe],
        &0x1234u16.to_le_bytes(),
        &[0x56, 0x34, 0x12],
        &0xdead_beefu32.to_le_bytes(),
        &0x0102_0304_0506_0708u64.to_le_bytes(),
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"a": 254, "b": 4660, "c": 1193046, "d": 3735928559u32, "e": 72623859790382856u64})
    );
}

#[test]
fn signed_integers() {
    let d = "struct t { a: i8; b: i16; c: i24; d: i32; e: i64; f: i24 }";
    let data = cat(&[
        &(-2i8).to_le_bytes(),
        &(-300i16).to_le_bytes(),
        &[0xfe, 0xff, 0xff], // -2 as i24
        &(-70000i32).to_le_bytes(),
        &i64::MIN.to_le_bytes(),
        &[0xff, 0xff, 0x7f], // 8388607, the largest i24
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"a": -2, "b": -300, "c": -2, "d": -70000, "e": -9223372036854775808i64, "f": 8388607})
    );
}

#[test]
fn endian_suffixes_override_the_file_order() {
    let d =
        "endian big\nstruct t { a: u16; b: u16le; c: u32be; d: i16le; e: u24; f: u24le; g: f32le }";
    let data = cat(&[
        &0x0102u16.to_be_bytes(),
        &0x0304u16.to_le_bytes(),
        &0x0506_0708u32.to_be_bytes(),
        &(-2i16).to_le_bytes(),
        &[0x0a, 0x0b, 0x0c],
        &[0x0a, 0x0b, 0x0c],
        &1.5f32.to_le_bytes(),
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"a": 258, "b": 772, "c": 84281096, "d": -2, "e": 0x0a0b0c, "f": 0x0c0b0a, "g": 1.5})
    );
}

#[test]
fn file_endian_little_and_big() {
    let data = 0x1122_3344u32.to_le_bytes();
    assert_eq!(
        decode("endian little\nstruct t { x: u32 }", &data),
        json!({"x": 0x11223344})
    );
    assert_eq!(
        decode("endian big\nstruct t { x: u32 }", &data),
        json!({"x": 0x44332211})
    );
}

#[test]
fn struct_endian_big_is_inherited_by_nested_structs() {
    let d = "
endian little
struct t {
    a: u16
    b: be_part
    c: u16
}
struct be_part endian big {
    x: u16
    inner: plain
}
struct plain { y: u16 }
";
    let data = cat(&[
        &1u16.to_le_bytes(),
        &2u16.to_be_bytes(),
        &3u16.to_be_bytes(),
        &4u16.to_le_bytes(),
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"a": 1, "b": {"x": 2, "inner": {"y": 3}}, "c": 4})
    );
}

#[test]
fn endian_match_from_a_peek_elf_style() {
    // EI_DATA at offset 5: 1 = little, 2 = big; inherited by nested structs
    let d = "
struct elf {
    magic: [0x7f, 0x45, 0x4c, 0x46]
    class: u8
    data: u8
    header: header
}
struct header endian match (u8 at 5) { 1 => little, 2 => big } {
    type: u16
    sub: sub
}
struct sub { entry: u32 }
";
    let le = cat(&[
        &[0x7f, b'E', b'L', b'F', 1, 1],
        &2u16.to_le_bytes(),
        &0x1000u32.to_le_bytes(),
    ]);
    let be = cat(&[
        &[0x7f, b'E', b'L', b'F', 1, 2],
        &2u16.to_be_bytes(),
        &0x1000u32.to_be_bytes(),
    ]);
    let want = |data: u8| json!({"magic": "7f454c46", "class": 1, "data": data, "header": {"type": 2, "sub": {"entry": 4096}}});
    assert_eq!(decode(d, &le), want(1));
    assert_eq!(decode(d, &be), want(2));
    // neither arm: a data error naming the value
    let bad = cat(&[&[0x7f, b'E', b'L', b'F', 1, 3], &[0; 6]]);
    let e = data_err(d, &bad);
    assert!(
        matches!(&e.kind, DataErrorKind::NoArm(v) if v.starts_with("3 (the byte order of struct")),
        "{e}"
    );
    assert_eq!(e.path_string(), "elf.header");
}

#[test]
fn endian_match_on_a_parameter_and_root() {
    let d = "
struct t endian match (u8 at 0) { 0 => little, _ => big } {
    bo: u8
    x: u16
    y: part(bo)
}
struct part(order) endian match order { 0 => big, _ => little } { z: u16 }
";
    let data = cat(&[&[1], &0x0102u16.to_be_bytes(), &0x0304u16.to_le_bytes()]);
    assert_eq!(
        decode(d, &data),
        json!({"bo": 1, "x": 258, "y": {"z": 772}})
    );
}

#[test]
fn u64_above_2_53_is_exact() {
    let d = "struct t { a: u64; b: i64; c: = a + 1 }";
    let a: u64 = 0xffff_ffff_ffff_fff1; // 18446744073709551601
    let b: i64 = -(1 << 60) - 3; // -1152921504606846979
    let data = cat(&[&a.to_le_bytes(), &b.to_le_bytes()]);
    let v = decode(d, &data);
    assert_eq!(v["a"].as_u64(), Some(18446744073709551601));
    assert_eq!(v["b"].as_i64(), Some(-1152921504606846979));
    assert_eq!(v["c"].as_u64(), Some(18446744073709551602));
    // 2^53 + 1 is not representable as f64 and must survive
    let v = decode("struct t { a: u64 }", &((1u64 << 53) + 1).to_le_bytes());
    assert_eq!(v["a"].as_u64(), Some(9007199254740993));
}

// ------------------------------------------------------------------ floats and bool

#[test]
fn floats_f16_f32_f64() {
    let d = "struct t { a: f16; b: f32; c: f64; d: f16be; e: f32be; f: f64be; g: f16 }";
    let data = cat(&[
        &[0x00, 0x3c], // f16 1.0 (python: struct.pack('<e', 1.0))
        &0.1f32.to_le_bytes(),
        &(-2.25f64).to_le_bytes(),
        &[0xfb, 0xff], // f16 -65504 big-endian (python: struct.pack('>e', -65504))
        &3.5f32.to_be_bytes(),
        &1e300f64.to_be_bytes(),
        &[0x00, 0x38], // f16 0.5
    ]);
    // f32 values are written shortest for f32: 0.1f32 is "0.1", not 0.10000000149011612
    assert_eq!(
        decode(d, &data),
        json!({"a": 1.0, "b": 0.1, "c": -2.25, "d": -65504.0, "e": 3.5, "f": 1e300, "g": 0.5})
    );
}

#[test]
fn floats_nan_and_infinity() {
    let d = "struct t { a: f32; b: f64; c: f64; d: f16; e: f16 }";
    let data = cat(&[
        &f32::NAN.to_le_bytes(),
        &f64::INFINITY.to_le_bytes(),
        &f64::NEG_INFINITY.to_le_bytes(),
        &[0x00, 0x7c], // f16 +inf
        &[0x00, 0x7e], // f16 NaN
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"a": "NaN", "b": "Infinity", "c": "-Infinity", "d": "Infinity", "e": "NaN"})
    );
}

#[test]
fn float_comparisons_in_expressions() {
    // float literals do not exist: a float field is compared with integers
    let d = "struct t { x: f64; big: = x > 2; small: = x < 2; one: = x < 3 && x >= 2 }";
    assert_eq!(
        decode(d, &2.5f64.to_le_bytes()),
        json!({"x": 2.5, "big": true, "small": false, "one": true})
    );
}

#[test]
fn bool_is_one_byte() {
    let d = "struct t { a: bool; b: bool; c: bool; n: = a ? 1 : 2 }";
    assert_eq!(
        decode(d, &[0, 1, 0x80]),
        json!({"a": false, "b": true, "c": true, "n": 2})
    );
}

// ------------------------------------------------------------------ bit fields

#[test]
fn bit_fields_msb_first() {
    let d = "struct t { a: b3; b: b5; c: b4; d: b4; e: u8 }";
    // 0b101_11001: a = 0b101, b = 0b11001; 0xa5: c = 0xa, d = 0x5
    assert_eq!(
        decode(d, &[0b1011_1001, 0xa5, 0x7f]),
        json!({"a": 5, "b": 25, "c": 10, "d": 5, "e": 127})
    );
}

#[test]
fn bit_fields_bits_little() {
    let d = "struct t bits little { a: b3; b: b5; c: b12; d: b4 }";
    // LSB first: a = low 3 bits of 0b10111_001, b = the high 5
    // c = low 12 bits of 0xf234 read little-endian (0x34 then 0x?2) = 0x234, d = 0xf
    assert_eq!(
        decode(d, &[0b1011_1001, 0x34, 0xf2]),
        json!({"a": 1, "b": 23, "c": 0x234, "d": 15})
    );
}

#[test]
fn bit_field_as_bool_and_b64() {
    let d = "struct t { flag: b1 as bool; rest: b7; x: b4; y: b64; z: b4; off: b1 as bool }";
    let data = [
        0x85, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x1f, 0x00,
    ];
    assert_eq!(
        decode(d, &data),
        json!({"flag": true, "rest": 5, "x": 1, "y": 0x23456789abcdef01u64, "z": 15, "off": false})
    );
}

#[test]
fn byte_field_after_bits_starts_on_the_next_byte() {
    let d = "struct t { a: b3; e: u8; f: b2; g: u16 }";
    let data = cat(&[&[0xe0, 0x42, 0xc0], &0x0102u16.to_le_bytes()]);
    assert_eq!(decode(d, &data), json!({"a": 7, "e": 66, "f": 3, "g": 258}));
    // a struct ending in the middle of a byte: the next field of the parent starts on the next byte
    let d = "struct t { h: half; n: u8 }\nstruct half { x: b4 }";
    assert_eq!(decode(d, &[0xab, 0x07]), json!({"h": {"x": 10}, "n": 7}));
}

#[test]
fn byte_values_after_bits_are_read_from_the_next_byte() {
    // kept values (referenced later) and constants after a bit field
    let d = r#"struct t { a: b4; b: bytes[1]; c: = b == "\x42"; x: b4; s: str[1]; t: = s == "A"; y: b1; k: "K"; z: b1; n: u8; m: = n }"#;
    assert_eq!(
        decode(d, &[0xf0, 0x42, 0x00, b'A', 0x80, b'K', 0x00, 7]),
        json!({"a": 15, "b": "42", "c": true, "x": 0, "s": "A", "t": true, "y": 1, "k": "K", "z": 0, "n": 7, "m": 7})
    );
}

#[test]
fn bits_truncated() {
    let e = data_err("struct t { a: b4; b: b12 }", &[0xff]);
    assert!(matches!(e.kind, DataErrorKind::Truncated { .. }), "{e}");
    assert_eq!(e.path_string(), "t.b");
}

// ------------------------------------------------------------------ bytes and text

#[test]
fn bytes_fixed_and_rest() {
    let d = "struct t { a: bytes[3]; n: u8; b: bytes[n]; c: bytes[..] }";
    assert_eq!(
        decode(d, &[1, 2, 0xff, 2, 0xab, 0xcd, 0x00, 0x10]),
        json!({"a": "0102ff", "n": 2, "b": "abcd", "c": "0010"})
    );
    assert_eq!(decode("struct t { a: bytes[..] }", &[]), json!({"a": ""}));
}

#[test]
fn strings_fixed_z_and_zfixed() {
    let d =
        r#"struct t { a: str[5]; b: strz; c: strz[6]; d: strz[3]; e: str[6] trim " "; f: str[3] }"#;
    let data = cat(&[b"hello", b"abc\0", b"ab\0cd\0", b"xyz", b"ab    ", b"end"]);
    assert_eq!(
        decode(d, &data),
        json!({"a": "hello", "b": "abc", "c": "ab", "d": "xyz", "e": "ab", "f": "end"})
    );
}

#[test]
fn trim_with_multi_byte_pad_and_empty_result() {
    let d = r#"struct t { a: str[4] trim "\0"; b: str[3] trim " "; c: str[4] trim "ab" }"#;
    assert_eq!(
        decode(d, &cat(&[b"x\0\0\0", b"   ", b"abab"])),
        json!({"a": "x", "b": "", "c": ""})
    );
}

#[test]
fn text_encodings() {
    let d = "struct t {
        l: str[2] latin1
        a: str[3] ascii
        u16le: str[4] utf16le
        u16be: str[4] utf16be
        dos: str[2] cp437
        m: str[8] mutf8
        z16: strz utf16le
        e: str[2]
    }";
    let data = cat(&[
        &[0xe9, 0x41],                                     // "éA" in latin1
        b"abc",                                            // ascii
        &[b'h', 0, b'i', 0],                               // "hi" utf16le
        &[0, b'h', 0x00, 0xe9],                            // "hé" utf16be
        &[0x82, 0xdb],                                     // cp437: 0x82 'é', 0xdb '█'
        &[0xc0, 0x80, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], // mutf8: NUL, U+1F600 as surrogates
        &[b'o', 0, b'k', 0, 0, 0],                         // "ok" utf16le NUL-terminated
        "é".as_bytes(),
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"l": "éA", "a": "abc", "u16le": "hi", "u16be": "hé", "dos": "é█", "m": "\u{0}\u{1F600}", "z16": "ok", "e": "é"})
    );
}

#[test]
fn file_level_encoding() {
    let d = "encoding latin1\nstruct t { s: str[3]; u: str[2] utf8 }";
    assert_eq!(
        decode(d, &cat(&[&[0x63, 0x61, 0xe7], "ç".as_bytes()])),
        json!({"s": "caç", "u": "ç"})
    );
}

#[test]
fn invalid_text_is_an_error_with_offset() {
    let e = data_err("struct t { a: u8; s: str[3] }", &[1, b'a', 0xff, b'b']);
    assert_eq!(
        e.kind,
        DataErrorKind::BadText {
            encoding: "utf8",
            pos: 1,
            byte: 0xff
        }
    );
    assert_eq!(e.offset, 2);
    assert_eq!(e.path_string(), "t.s");
    let e = data_err("struct t { a: u8; s: str[2] ascii }", &[1, b'a', 0x80]);
    assert_eq!(
        e.kind,
        DataErrorKind::BadText {
            encoding: "ascii",
            pos: 1,
            byte: 0x80
        }
    );
    assert_eq!(e.offset, 2);
    // lossy decoding accepts it
    let plan = compile("struct t { s: str[3] }");
    let mut sink = TreeSink::default();
    let opts = Options {
        lossy: true,
        ..Options::default()
    };
    decode_document(&plan, Input::whole(&[b'a', 0xff, b'b']), opts, &mut sink).unwrap();
    assert_eq!(sink.values[0], json!({"s": "a\u{FFFD}b"}));
}

#[test]
fn strz_without_nul_is_an_error() {
    let e = data_err("struct t { a: u8; s: strz }", b"\x01abc");
    assert!(
        matches!(e.kind, DataErrorKind::NoTerminator { left: 3 }),
        "{e}"
    );
    assert_eq!(e.offset, 1);
    assert_eq!(e.path_string(), "t.s");
    // the NUL must be inside the region
    let e = data_err("struct t { s: strz size 3; rest: bytes[..] }", b"abc\0");
    assert!(
        matches!(e.kind, DataErrorKind::NoTerminator { left: 3 }),
        "{e}"
    );
    // strz inside a region that has the NUL
    assert_eq!(
        decode("struct t { s: strz size 4; n: u8 }", b"ab\0\0\x07"),
        json!({"s": "ab", "n": 7})
    );
}

#[test]
fn text_in_expressions() {
    let d = r#"struct t { id: str[4]; is_fmt: = id == "fmt "; not: = id != "data"; c: = id[0]; last: = id[-1]; n: = len(id) }"#;
    assert_eq!(
        decode(d, b"fmt "),
        json!({"id": "fmt ", "is_fmt": true, "not": true, "c": 102, "last": 32, "n": 4})
    );
    let d = r#"struct t { b: bytes[2]; eq: = b == "\x01\x02"; ne: = b != "\x01\x03"; x: = b[1] + 1; s: = "abc" }"#;
    assert_eq!(
        decode(d, &[1, 2]),
        json!({"b": "0102", "eq": true, "ne": true, "x": 3, "s": "abc"})
    );
}

// ------------------------------------------------------------------ constants

#[test]
fn constants_match() {
    let d = r#"struct t { magic: "MAGIC"; sig: [0x89, 0x50, 0x4e, 0x47]; esc: "\x01\0\n\t\\\""; n: u8 }"#;
    let data = cat(&[b"MAGIC", &[0x89, 0x50, 0x4e, 0x47], b"\x01\0\n\t\\\"", &[9]]);
    assert_eq!(
        decode(d, &data),
        json!({"magic": "MAGIC", "sig": "89504e47", "esc": "\u{1}\u{0}\n\t\\\"", "n": 9})
    );
}

#[test]
fn constants_mismatch() {
    let d = r#"struct t { a: u8; magic: "AB"; sig: [0x89, 0x50] }"#;
    let e = data_err(d, &[0, b'A', b'C', 0x89, 0x50]);
    assert_eq!(e.offset, 1);
    assert_eq!(e.path_string(), "t.magic");
    match &e.kind {
        DataErrorKind::Mismatch { expected, found } => {
            assert!(expected.contains("AB"), "{expected}");
            assert!(found.contains("AC"), "{found}");
        }
        k => panic!("expected Mismatch, got {k:?}"),
    }
    let e = data_err(d, &[0, b'A', b'B', 0x89, 0x51]);
    assert_eq!(e.offset, 3);
    assert_eq!(e.path_string(), "t.sig");
    assert!(matches!(e.kind, DataErrorKind::Mismatch { .. }), "{e}");
    // a constant cut short by the end of the input is a truncation
    let e = data_err(d, &[0, b'A']);
    assert!(
        matches!(e.kind, DataErrorKind::Truncated { need: 2, left: 1 }),
        "{e}"
    );
}

// ------------------------------------------------------------------ pad, align, names

#[test]
fn pad_and_align_relative_to_the_innermost_region() {
    let d = "
struct t {
    a: u8; _: pad[2]; b: u8
    _: align 4
    c: u8
    d: inner size 6   # a region from offset 5: align 4 inside it means offset 9
    e: inner          # no region: aligned to the start of the input (offset 12)
}
struct inner { x: u8; _: align 4; y: u8 }
";
    let data = [1, 0xee, 0xee, 2, 3, 4, 0xee, 0xee, 0xee, 5, 0xee, 6, 7];
    // a@0 pad b@3 | c@4 | d: x@5 pad y@9 (region ends at 11) | e: x@11 align y@12
    assert_eq!(
        decode(d, &data),
        json!({"a": 1, "b": 2, "c": 3, "d": {"x": 4, "y": 5}, "e": {"x": 6, "y": 7}})
    );
}

#[test]
fn align_at_a_multiple_skips_nothing() {
    let d = "struct t { a: u32; _: align 4; b: u8; _: align 2; c: u8 }";
    assert_eq!(
        decode(d, &[1, 0, 0, 0, 2, 0, 3]),
        json!({"a": 1, "b": 2, "c": 3})
    );
}

#[test]
fn skipped_and_hidden_fields() {
    let d = "
struct t {
    _: u8               # skipped
    _len: u8            # hidden but referenceable
    data: bytes[_len]
    _: u16
    _: pad[1]
    _tag: str[2]; twice: = _len * 2
}
";
    assert_eq!(
        decode(d, &[9, 2, 0xaa, 0xbb, 0, 0, 0, b'o', b'k']),
        json!({"data": "aabb", "twice": 4})
    );
}

#[test]
fn semicolons_and_comments() {
    let d = "# a comment before everything
endian little # after an item
struct t { # after the brace
    a: u8; b: u8 # after fields
    # a whole-line comment
    c: u8;
}
";
    assert_eq!(decode(d, &[1, 2, 3]), json!({"a": 1, "b": 2, "c": 3}));
}

// ------------------------------------------------------------------ structs

#[test]
fn struct_parameters() {
    let d = "
struct file {
    header: header
    entries: entry(header.version)[2]
}
struct header { version: u8 }
struct entry(v) { a: u8; b: u16 if v >= 2; vv: = v }
";
    let v2 = cat(&[&[2], &[1], &7u16.to_le_bytes(), &[3], &8u16.to_le_bytes()]);
    assert_eq!(
        decode(d, &v2),
        json!({"header": {"version": 2}, "entries": [{"a": 1, "b": 7, "vv": 2}, {"a": 3, "b": 8, "vv": 2}]})
    );
    let v1 = [1, 1, 3];
    assert_eq!(
        decode(d, &v1),
        json!({"header": {"version": 1}, "entries": [{"a": 1, "vv": 1}, {"a": 3, "vv": 1}]})
    );
}

#[test]
fn struct_value_as_a_parameter() {
    let d = "
struct t {
    h: head
    b: body(h, h.n + 1)
}
struct head { n: u8; kind: u8 }
struct body(hd, m) { data: bytes[hd.n]; k: = hd.kind; m2: = m }
";
    assert_eq!(
        decode(d, &[2, 9, 0xab, 0xcd]),
        json!({"h": {"n": 2, "kind": 9}, "b": {"data": "abcd", "k": 9, "m2": 3}})
    );
}

#[test]
fn nested_structs_and_member_chains() {
    let d = "
struct t { a: mid; x: = a.b.c * 10 }
struct mid { b: leaf }
struct leaf { c: u8 }
";
    assert_eq!(decode(d, &[4]), json!({"a": {"b": {"c": 4}}, "x": 40}));
}

#[test]
fn embedding_flat_keys_and_namespace() {
    let d = "
struct t {
    n: u8
    common
    data: bytes[len]     # `len` comes from the embedded struct
    total: = n + len + common_tag
}
struct common { len: u8; common_tag: u8 }
";
    assert_eq!(
        decode(d, &[1, 2, 3, 0xaa, 0xbb]),
        json!({"n": 1, "len": 2, "common_tag": 3, "data": "aabb", "total": 6})
    );
}

#[test]
fn embedding_with_arguments() {
    let d = "
struct t { n: u8; part(n) }
struct part(k) { items: u8[k] }
";
    assert_eq!(decode(d, &[2, 5, 6]), json!({"n": 2, "items": [5, 6]}));
}

#[test]
fn embedded_match_of_structs_bmp_dib_style() {
    let d = "
struct bmp {
    header_size: u32
    match header_size {
        12 => core_header
        40 => info_header
    }
    pixels_wide: = width * 2
}
struct core_header { width: u16; height: u16 }
struct info_header { width: i32; height: i32; planes: u16 }
";
    let core = cat(&[
        &12u32.to_le_bytes(),
        &3u16.to_le_bytes(),
        &4u16.to_le_bytes(),
    ]);
    assert_eq!(
        decode(d, &core),
        json!({"header_size": 12, "width": 3, "height": 4, "pixels_wide": 6})
    );
    let info = cat(&[
        &40u32.to_le_bytes(),
        &5i32.to_le_bytes(),
        &(-6i32).to_le_bytes(),
        &1u16.to_le_bytes(),
    ]);
    assert_eq!(
        decode(d, &info),
        json!({"header_size": 40, "width": 5, "height": -6, "planes": 1, "pixels_wide": 10})
    );
    let e = data_err(d, &99u32.to_le_bytes());
    assert_eq!(e.kind, DataErrorKind::NoArm("99".into()));
}

#[test]
fn embedding_key_clash_is_a_descriptor_error() {
    let d = "struct t {\n    width: u8\n    dims\n}\nstruct dims { width: u8; height: u8 }\n";
    assert_desc_err(d, "`width` clashes", (3, 5));
    let d = "struct t {\n    dims\n    width: u8\n}\nstruct dims { width: u8; height: u8 }\n";
    assert_desc_err(d, "`width` clashes", (3, 5));
}

#[test]
fn embedding_a_non_struct_is_a_descriptor_error() {
    assert_desc_err("struct t {\n  u8\n}\n", "must be a struct", (2, 3));
}

// ------------------------------------------------------------------ arrays

#[test]
fn counted_and_rest_arrays() {
    let d = "struct t { n: u8; a: u16[2]; b: u8[n]; c: u16[..] }";
    let data = cat(&[
        &[2],
        &1u16.to_le_bytes(),
        &2u16.to_le_bytes(),
        &[7, 8],
        &3u16.to_le_bytes(),
        &4u16.to_le_bytes(),
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"n": 2, "a": [1, 2], "b": [7, 8], "c": [3, 4]})
    );
    assert_eq!(
        decode("struct t { a: u8[0]; b: u32[..] }", &[]),
        json!({"a": [], "b": []})
    );
}

#[test]
fn rest_array_must_end_on_an_element_boundary() {
    let e = data_err("struct t { x: u8; xs: u16[..] }", &[0, 1, 0, 2, 0, 3]);
    assert!(
        matches!(e.kind, DataErrorKind::Truncated { need: 2, left: 1 }),
        "{e}"
    );
    assert_eq!(e.path_string(), "t.xs[2]");
    assert_eq!(e.offset, 5);
}

#[test]
fn until_png_iend_style() {
    let d = r#"
struct png {
    sig: [0x89, 0x50, 0x4e, 0x47]
    chunks: chunk[..] until _.type == "IEND"
}
struct chunk { len: u32be; type: str[4]; data: bytes[len] }
"#;
    let data = cat(&[
        &[0x89, 0x50, 0x4e, 0x47],
        &2u32.to_be_bytes(),
        b"IHDR",
        &[1, 2],
        &0u32.to_be_bytes(),
        b"IEND",
        b"trailing bytes are not an error",
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"sig": "89504e47", "chunks": [
            {"len": 2, "type": "IHDR", "data": "0102"},
            {"len": 0, "type": "IEND", "data": ""}
        ]})
    );
    // the region ends before the condition held
    let e = data_err(
        d,
        &cat(&[&[0x89, 0x50, 0x4e, 0x47], &0u32.to_be_bytes(), b"IDAT"]),
    );
    assert_eq!(e.kind, DataErrorKind::UntilEnd);
    assert_eq!(e.path_string(), "png.chunks");
}

#[test]
fn until_on_primitives() {
    let d = "struct t { xs: u8[..] until _ == 0; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[3, 2, 0, 9]),
        json!({"xs": [3, 2, 0], "rest": "09"})
    );
}

#[test]
fn while_with_index_and_peek() {
    let d = "struct t { xs: u8[..] while @index < 3; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[1, 2, 3, 4, 5]),
        json!({"xs": [1, 2, 3], "rest": "0405"})
    );
    // stops at the region end without error
    assert_eq!(decode(d, &[1, 2]), json!({"xs": [1, 2], "rest": ""}));
    // a sentinel checked before each element (the sentinel is not consumed)
    let d = "struct t { xs: u8[..] while (u8 at @offset) != 0; z: u8; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[7, 8, 0, 9]),
        json!({"xs": [7, 8], "z": 0, "rest": "09"})
    );
}

#[test]
fn multi_dimensional_arrays() {
    assert_eq!(
        decode("struct t { m: u8[2][3] }", &[1, 2, 3, 4, 5, 6]),
        json!({"m": [[1, 2, 3], [4, 5, 6]]})
    );
    // in bytes[n][c] the [n] belongs to the element: 3 elements of 2 bytes
    assert_eq!(
        decode("struct t { b: bytes[2][3] }", &[1, 2, 3, 4, 5, 6]),
        json!({"b": ["0102", "0304", "0506"]})
    );
    assert_eq!(
        decode("struct t { m: u16be[2][1][2] }", &[0, 1, 0, 2, 0, 3, 0, 4]),
        json!({"m": [[[1, 2]], [[3, 4]]]})
    );
    assert_eq!(
        decode("struct t { s: str[2][2] }", b"abcd"),
        json!({"s": ["ab", "cd"]})
    );
}

#[test]
fn each_size_per_element_regions() {
    let d = "
struct t {
    entsize: u8
    count: u8
    entries: entry[count] each size entsize
    after: u8
}
struct entry { a: u8; rest: bytes[..] }
";
    assert_eq!(
        decode(d, &[3, 2, 1, 0xaa, 0xbb, 2, 0xcc, 0xdd, 9]),
        json!({"entsize": 3, "count": 2, "entries": [{"a": 1, "rest": "aabb"}, {"a": 2, "rest": "ccdd"}], "after": 9})
    );
}

#[test]
fn each_at_with_index() {
    let d = "
struct t {
    offs: u8[3]
    items: u8[3] each at offs[@index]
    next: u8
}
";
    // offsets 6, 4, 5 point at values 60, 40, 50; the cursor does not move: next is data[3]
    assert_eq!(
        decode(d, &[6, 4, 5, 1, 40, 50, 60]),
        json!({"offs": [6, 4, 5], "items": [60, 40, 50], "next": 1})
    );
}

#[test]
fn each_if_holes_keep_their_index_java_constant_pool() {
    // Java's constant pool: entries 1..count-1; a Long (tag 5) or Double (tag 6) takes two
    // slots, the second one is a hole. The array's own name means the elements so far.
    let d = "
struct class {
    count: u16be
    pool: cp[count] each if @index > 0 && !((pool[@index - 1].tag ?? 0) == 5 || (pool[@index - 1].tag ?? 0) == 6)
    after: u8
}
struct cp {
    tag: u8
    value: match tag {
        5 | 6 => u64be
        1 => u16be
    }
}
";
    let data = cat(&[
        &5u16.to_be_bytes(), // slots 0..4: 0 hole, 1 u16, 2 long, 3 hole, 4 u16
        &[1],
        &7u16.to_be_bytes(),
        &[5],
        &0x0102_0304_0506_0708u64.to_be_bytes(),
        &[1],
        &9u16.to_be_bytes(),
        &[0xee],
    ]);
    // holes are neither decoded nor emitted
    assert_eq!(
        decode(d, &data),
        json!({"count": 5, "pool": [
            {"tag": 1, "value": 7},
            {"tag": 5, "value": 72623859790382856u64},
            {"tag": 1, "value": 9}
        ], "after": 238})
    );
    // a field of a hole is absent: without `??` that is a data error
    let strict = d
        .replace("(pool[@index - 1].tag ?? 0)", "pool[@index - 1].tag")
        .replace("@index > 0 &&", "@index > 1 &&");
    let e = data_err(&strict, &cat(&[&3u16.to_be_bytes(), &[0, 1, 0, 1, 0]]));
    assert!(matches!(e.kind, DataErrorKind::Absent(_)), "{e}");
    assert_eq!(e.path_string(), "class.pool[2]");
}

#[test]
fn each_if_hole_is_absent_when_indexed() {
    // a hole keeps its index: xs[1] is absent (?? gives the default), xs[2] is the second value
    let d =
        "struct t { xs: u8[3] each if @index != 1; a: = xs[1] ?? 99; b: = xs[2]; n: = len(xs) }";
    assert_eq!(
        decode(d, &[10, 20]),
        json!({"xs": [10, 20], "a": 99, "b": 20, "n": 3})
    );
}

#[test]
fn array_indexing_and_len() {
    let d = "struct t { xs: u8[4]; a: = xs[1]; b: = xs[-1]; c: = xs[-4]; n: = len(xs); s: = xs[0] + xs[3] }";
    assert_eq!(
        decode(d, &[5, 6, 7, 8]),
        json!({"xs": [5, 6, 7, 8], "a": 6, "b": 8, "c": 5, "n": 4, "s": 13})
    );
    let e = data_err("struct t { xs: u8[2]; a: = xs[2] }", &[1, 2]);
    assert_eq!(e.kind, DataErrorKind::IndexOut { index: 2, len: 2 });
    assert_eq!(e.path_string(), "t.a");
    let e = data_err("struct t { xs: u8[2]; a: = xs[-3] }", &[1, 2]);
    assert_eq!(e.kind, DataErrorKind::IndexOut { index: -3, len: 2 });
}

#[test]
fn array_of_structs_field_access() {
    let d = "
struct t { items: item[2]; first: = items[0].v; last: = items[-1].v }
struct item { v: u8 }
";
    assert_eq!(
        decode(d, &[3, 4]),
        json!({"items": [{"v": 3}, {"v": 4}], "first": 3, "last": 4})
    );
}

#[test]
fn array_own_name_means_elements_so_far() {
    // each element is the previous one plus its own byte (a running sum)
    let d = "
struct t { sums: acc[3] }
struct acc { d: u8; sum: = d + (@index > 0 ? parent.sums[@index - 1].sum : 0) }
";
    assert_eq!(
        decode(d, &[1, 2, 3]),
        json!({"sums": [{"d": 1, "sum": 1}, {"d": 2, "sum": 3}, {"d": 3, "sum": 6}]})
    );
    // in the array's own `while`
    let d = "struct t { xs: u8[..] while @index == 0 || xs[-1] != 0; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[4, 5, 0, 6]),
        json!({"xs": [4, 5, 0], "rest": "06"})
    );
}

// ------------------------------------------------------------------ match

#[test]
fn match_on_integer_literals() {
    let d = "
struct t {
    kind: u8
    body: match kind {
        1 => u8
        2 | 3 => u16
        0x10 => = kind * 2
        _ => bytes[..]
    }
}
";
    assert_eq!(decode(d, &[1, 7]), json!({"kind": 1, "body": 7}));
    assert_eq!(
        decode(d, &cat(&[&[3], &0x0102u16.to_le_bytes()])),
        json!({"kind": 3, "body": 258})
    );
    assert_eq!(decode(d, &[0x10]), json!({"kind": 16, "body": 32}));
    assert_eq!(decode(d, &[9, 1, 2]), json!({"kind": 9, "body": "0102"}));
}

#[test]
fn match_on_negative_and_comma_separated_arms() {
    let d = "struct t { k: i8; v: match k { -1 => = 100, 0 => = 0, _ => = 1 } }";
    assert_eq!(decode(d, &[0xff]), json!({"k": -1, "v": 100}));
    assert_eq!(decode(d, &[0]), json!({"k": 0, "v": 0}));
    assert_eq!(decode(d, &[5]), json!({"k": 5, "v": 1}));
}

#[test]
fn match_on_strings() {
    let d = r#"
struct t {
    id: str[4]
    body: match id {
        "fmt " => fmt
        "data" | "DATA" => bytes[2]
        _ => = 0
    }
}
struct fmt { channels: u16 }
"#;
    assert_eq!(
        decode(d, &cat(&[b"fmt ", &2u16.to_le_bytes()])),
        json!({"id": "fmt ", "body": {"channels": 2}})
    );
    assert_eq!(
        decode(d, &cat(&[b"DATA", &[1, 2]])),
        json!({"id": "DATA", "body": "0102"})
    );
    assert_eq!(decode(d, b"LIST"), json!({"id": "LIST", "body": 0}));
}

#[test]
fn match_on_enum_members() {
    let d = "
enum color: u8 { red = 1, green = 2, blue = 3 }
struct t {
    c: color
    v: match c {
        red => u8
        color::green | blue => u16
    }
    is_red: = c == color::red
}
";
    assert_eq!(
        decode(d, &[1, 9]),
        json!({"c": "red", "v": 9, "is_red": true})
    );
    assert_eq!(
        decode(d, &cat(&[&[2], &0x0304u16.to_le_bytes()])),
        json!({"c": "green", "v": 772, "is_red": false})
    );
    assert_eq!(
        decode(d, &cat(&[&[3], &5u16.to_le_bytes()])),
        json!({"c": "blue", "v": 5, "is_red": false})
    );
    // no arm matched (and no `_`): a data error naming the value
    let e = data_err(d, &[7, 0, 0]);
    assert_eq!(e.kind, DataErrorKind::NoArm("7".into()));
    assert_eq!(e.path_string(), "t.v");
    assert_eq!(e.offset, 1);
}

#[test]
fn match_arms_with_modifiers() {
    let d = "
struct t {
    k: u8
    v: match k {
        1 => bytes[..] size 2
        2 => u8 valid _ > 5
        _ => u8[2] if k == 3
    }
    end: u8
}
";
    assert_eq!(
        decode(d, &[1, 0xaa, 0xbb, 9]),
        json!({"k": 1, "v": "aabb", "end": 9})
    );
    assert_eq!(decode(d, &[2, 6, 9]), json!({"k": 2, "v": 6, "end": 9}));
    let e = data_err(d, &[2, 5, 9]);
    assert!(matches!(e.kind, DataErrorKind::Invalid { .. }), "{e}");
    assert_eq!(
        decode(d, &[3, 1, 2, 9]),
        json!({"k": 3, "v": [1, 2], "end": 9})
    );
}

#[test]
fn no_arm_is_a_data_error() {
    let e = data_err(
        "struct t { a: u8; k: u8; v: match k { 1 => u8 } }",
        &[0, 2, 0],
    );
    assert_eq!(e.kind, DataErrorKind::NoArm("2".into()));
    assert_eq!(e.path_string(), "t.v");
    assert_eq!(e.offset, 2);
    let e = data_err(
        r#"struct t { s: str[2]; v: match s { "ab" => u8 } }"#,
        b"xy\0",
    );
    match &e.kind {
        DataErrorKind::NoArm(v) => assert!(v.contains("xy"), "{v}"),
        k => panic!("{k:?}"),
    }
}

// ------------------------------------------------------------------ modifiers

#[test]
fn if_absent_fields_are_omitted() {
    let d = "struct t { flags: u8; ext: u16 if flags & 1; name: u8 if flags & 2; end: u8 }";
    assert_eq!(
        decode(d, &cat(&[&[1], &5u16.to_le_bytes(), &[9]])),
        json!({"flags": 1, "ext": 5, "end": 9})
    );
    assert_eq!(
        decode(d, &[2, 4, 9]),
        json!({"flags": 2, "name": 4, "end": 9})
    );
    assert_eq!(decode(d, &[0, 9]), json!({"flags": 0, "end": 9}));
}

#[test]
fn absent_field_reference_and_coalesce() {
    let d = "struct t { f: u8; x: u8 if f; y: = x ?? 42; z: = (x ?? 0) + 1 }";
    assert_eq!(decode(d, &[1, 7]), json!({"f": 1, "x": 7, "y": 7, "z": 8}));
    assert_eq!(decode(d, &[0]), json!({"f": 0, "y": 42, "z": 1}));
    // without `??` reading an absent field is a data error
    let e = data_err("struct t { f: u8; x: u8 if f; y: = x + 1 }", &[0]);
    assert!(matches!(e.kind, DataErrorKind::Absent(_)), "{e}");
    assert_eq!(e.path_string(), "t.y");
    // an absent field of a nested struct through `??`
    let d = "struct t { h: h; v: = h.x ?? 5 }\nstruct h { f: u8; x: u8 if f }";
    assert_eq!(decode(d, &[0]), json!({"h": {"f": 0}, "v": 5}));
}

#[test]
fn size_makes_a_region() {
    let d = "
struct t {
    n: u8
    body: inner size n
    after: u8
}
struct inner { a: u8; left: = @remaining; rest: bytes[..] }
";
    assert_eq!(
        decode(d, &[4, 1, 2, 3, 4, 9]),
        json!({"n": 4, "body": {"a": 1, "left": 3, "rest": "020304"}, "after": 9})
    );
    // the cursor moves past the whole region even when the inside consumed less
    let d = "struct t { n: u8; body: u8 size n; after: u8 }";
    assert_eq!(
        decode(d, &[3, 1, 2, 3, 9]),
        json!({"n": 3, "body": 1, "after": 9})
    );
    // on an array it bounds the whole array
    let d = "struct t { xs: u16[..] size 4; after: u8 }";
    assert_eq!(
        decode(d, &[1, 0, 2, 0, 9]),
        json!({"xs": [1, 2], "after": 9})
    );
    // a read past the region end is an error even though the input goes on
    let e = data_err("struct t { x: u32 size 2; y: u8 }", &[1, 2, 3, 4, 5]);
    assert!(
        matches!(e.kind, DataErrorKind::Truncated { need: 4, left: 2 }),
        "{e}"
    );
}

#[test]
fn size_larger_than_remaining_is_an_error() {
    let e = data_err("struct t { n: u8; body: bytes[..] size n }", &[10, 1, 2]);
    assert_eq!(e.kind, DataErrorKind::RegionTooLarge { size: 10, left: 2 });
    assert_eq!(e.path_string(), "t.body");
    assert_eq!(e.offset, 1);
}

#[test]
fn at_does_not_move_the_cursor() {
    let d = "
struct t {
    off: u8
    far: u16 at off
    next: u8
    tail: str[2] at @input_size - 2
    there: bytes[..] at 4 size 1
    last: u8
}
";
    let data = [4, 7, 8, 0xee, 0x34, 0x12, b'o', b'k'];
    assert_eq!(
        decode(d, &data),
        json!({"off": 4, "far": 0x1234, "next": 7, "tail": "ok", "there": "34", "last": 8})
    );
}

#[test]
fn at_a_struct_and_offsets_inside() {
    let d = "
struct t { p: u8; h: hdr at p; after: u8 }
struct hdr { pos: = @offset; a: u8; left: = @remaining }
";
    // `at` without `size`: the region runs to the end of the input
    assert_eq!(
        decode(d, &[3, 1, 0, 7, 8]),
        json!({"p": 3, "h": {"pos": 3, "a": 7, "left": 1}, "after": 1})
    );
}

#[test]
fn valid_assertions() {
    let d = "struct t { a: u8; v: u8 valid _ >= 2 && _ <= 4; s: str[2] valid _ == \"ok\" }";
    assert_eq!(
        decode(d, &[0, 3, b'o', b'k']),
        json!({"a": 0, "v": 3, "s": "ok"})
    );
    let e = data_err(d, &[0, 5, b'o', b'k']);
    assert!(
        matches!(&e.kind, DataErrorKind::Invalid { value, .. } if value == "5"),
        "{e}"
    );
    assert_eq!(e.offset, 1);
    assert_eq!(e.path_string(), "t.v");
    let e = data_err(d, &[0, 3, b'n', b'o']);
    assert!(matches!(e.kind, DataErrorKind::Invalid { .. }), "{e}");
    assert_eq!(e.offset, 2);
    assert_eq!(e.path_string(), "t.s");
    // valid may refer to earlier fields
    let d = "struct t { n: u8; m: u8 valid _ > n }";
    assert_eq!(decode(d, &[1, 2]), json!({"n": 1, "m": 2}));
    assert!(matches!(
        data_err(d, &[2, 2]).kind,
        DataErrorKind::Invalid { .. }
    ));
}

#[test]
fn struct_level_valid() {
    let d = "
struct t { p: pair; x: u8 }
struct pair valid _.lo <= _.hi { lo: u8; hi: u8 }
";
    assert_eq!(
        decode(d, &[1, 2, 3]),
        json!({"p": {"lo": 1, "hi": 2}, "x": 3})
    );
    let e = data_err(d, &[3, 2, 3]);
    assert!(matches!(e.kind, DataErrorKind::Invalid { .. }), "{e}");
    assert_eq!(e.path_string(), "t.p");
    // exactness of the root: `valid @remaining == 0`
    let d = "struct t valid @remaining == 0 { a: u8 }";
    assert_eq!(decode(d, &[1]), json!({"a": 1}));
    assert!(matches!(
        data_err(d, &[1, 2]).kind,
        DataErrorKind::Invalid { .. }
    ));
    // bare field names in a struct-level valid
    let d = "struct t valid lo < hi { lo: u8; hi: u8 }";
    assert_eq!(decode(d, &[1, 2]), json!({"lo": 1, "hi": 2}));
    assert!(matches!(
        data_err(d, &[2, 1]).kind,
        DataErrorKind::Invalid { .. }
    ));
}

#[test]
fn modifier_order_if_at_size_decode_valid() {
    // `if` false: `at` (outside the input) is never evaluated
    let d = "struct t { f: u8; x: u32 if f at 1000; y: u8 }";
    assert_eq!(decode(d, &[0, 5]), json!({"f": 0, "y": 5}));
    // `at` then `size`: the region starts at the `at` offset
    let d = "struct t { x: bytes[..] size 2 at 3; y: u8 }";
    assert_eq!(decode(d, &[9, 0, 0, 1, 2, 3]), json!({"x": "0102", "y": 9}));
    // `valid` sees the decoded value, after the region
    let d = "struct t { x: u8[..] size 2 valid len(_) == 2; y: u8 }";
    assert_eq!(decode(d, &[1, 2, 3]), json!({"x": [1, 2], "y": 3}));
    // modifiers may be written in any order; the meaning does not change
    let d = "struct t { f: u8; x: bytes[..] valid len(_) == 1 at 2 if f size 1; y: u8 }";
    assert_eq!(decode(d, &[1, 7, 8]), json!({"f": 1, "x": "08", "y": 7}));
}

// ------------------------------------------------------------------ expressions

#[test]
fn operator_precedence_like_c() {
    let d = "
struct t {
    a: = 1 + 2 * 3
    b: = 6 | 3 & 5
    c: = 1 << 2 + 1
    d: = 1 + 2 == 3
    e: = 2 ^ 3 | 4
    f: = 1 | 2 ^ 3
    g: = 1 == 1 || 0 && 0
    h: = 10 - 3 - 2
    i: = 100 / 10 / 5
    j: = -2 * 3
    k: = 1 << 3 > 4
    l: = 7 & 3 == 3
    m: = (1 + 2) * 3
    n: = 2 * 3 % 4
    o: = 5 > 3 == 1 < 2
    p: = 256 >> 2 >> 1
    q: = 1 + 2 < 4 && 2 | 1 == 3
}
";
    assert_eq!(
        decode(d, &[]),
        json!({
            "a": 7, "b": 7, "c": 8, "d": true, "e": 5, "f": 1, "g": true, "h": 5, "i": 2,
            "j": -6, "k": true, "l": 1, "m": 9, "n": 2, "o": true, "p": 32, "q": true
        })
    );
}

#[test]
fn unary_logical_and_conditional_operators() {
    let d = "
struct t {
    x: u8
    a: = !0
    b: = !x
    c: = ~0
    d: = -x
    e: = -7 / 2     # floored, as Python's -7 // 2 == -4
    f: = -7 % 2     # the divisor's sign, as Python's -7 % 2 == 1
    g: = x ? 10 : 20
    h: = 0 ? 1 : 0 ? 2 : 3
    i: = x > 1 && x < 5
    j: = x == 0 || x == 3
    k: = !(x == 3)
    l: = x != 3
    m: = x >= 3 && x <= 3
    n: = ~x & 0xff
    o: = x ^ 1
}
";
    assert_eq!(
        decode(d, &[3]),
        json!({
            "x": 3, "a": true, "b": false, "c": -1, "d": -3, "e": -4, "f": 1, "g": 10, "h": 3,
            "i": true, "j": true, "k": false, "l": false, "m": true, "n": 252, "o": 2
        })
    );
}

#[test]
fn short_circuit_operators() {
    // the right-hand sides would fail (division by zero, absent field) if evaluated
    let d = "
struct t {
    z: u8
    opt: u8 if z
    a: = z == 0 || 1 / z
    b: = z != 0 && 1 / z
    c: = z == 0 ? 7 : 1 / z
    d: = 5 ?? 1 / z
    e: = opt ?? 9
}
";
    assert_eq!(
        decode(d, &[0]),
        json!({"z": 0, "a": true, "b": false, "c": 7, "d": 5, "e": 9})
    );
}

#[test]
fn checked_arithmetic_overflow() {
    let e = data_err(
        "struct t { x: = 0xffffffffffffffff * 0xffffffffffffffff * 2 }",
        &[],
    );
    assert!(matches!(e.kind, DataErrorKind::Overflow { op: "*" }), "{e}");
    assert_eq!(e.path_string(), "t.x");
    // the same from data
    let d = "struct t { a: u64; b: = a * a * a }";
    let e = data_err(d, &u64::MAX.to_le_bytes());
    assert!(matches!(e.kind, DataErrorKind::Overflow { .. }), "{e}");
    // i128 is wider than u64: u64::MAX * 2 = 36893488147419103230 fits
    let d = "struct t { a: u64; b: = a * 2 > 0xffffffffffffffff; c: = a * 2 - a }";
    let v = decode(d, &u64::MAX.to_le_bytes());
    assert_eq!(v["b"], json!(true));
    assert_eq!(v["c"], json!(18446744073709551615u64));
    // (2^64 - 1)^2 > 2^127 - 1: does not fit
    let e = data_err("struct t { a: u64; b: = a * a }", &u64::MAX.to_le_bytes());
    assert!(matches!(e.kind, DataErrorKind::Overflow { op: "*" }), "{e}");
}

#[test]
fn division_by_zero_and_bad_shifts() {
    let e = data_err("struct t { x: u8; y: = 10 / x }", &[0]);
    assert_eq!(e.kind, DataErrorKind::DivByZero);
    assert_eq!(e.path_string(), "t.y");
    let e = data_err("struct t { x: u8; y: = 10 % x }", &[0]);
    assert_eq!(e.kind, DataErrorKind::DivByZero);
    let e = data_err("struct t { x: u8; y: = 1 << x }", &[64]);
    assert_eq!(e.kind, DataErrorKind::BadShift(64));
    let e = data_err("struct t { x: u8; y: = 1 >> x }", &[200]);
    assert_eq!(e.kind, DataErrorKind::BadShift(200));
    let e = data_err("struct t { x: i8; y: = 1 << x }", &[0xff]);
    assert_eq!(e.kind, DataErrorKind::BadShift(-1));
    // 63 is allowed, and the result is exact in i128
    assert_eq!(
        decode("struct t { x: u8; y: = 1 << x }", &[63])["y"],
        json!(9223372036854775808u64)
    );
    assert_eq!(decode("struct t { y: = -256 >> 4 }", &[])["y"], json!(-16));
}

#[test]
fn shift_left_is_checked_in_i128() {
    // 4 << 63 = 2^65: fits in i128, like 4 * 2^63
    let d = "struct t { a: = (4 << 63) == 4 * 0x8000000000000000; b: = (3 << 62) >> 62 }";
    assert_eq!(decode(d, &[]), json!({"a": true, "b": 3}));
    // a shift that loses bits of an i128 is an overflow
    let d = "struct t { a: = (0xffffffffffffffff << 63) << 63 }";
    assert!(matches!(
        data_err(d, &[]).kind,
        DataErrorKind::Overflow { op: "<<" }
    ));
}

#[test]
fn builtins() {
    let d = "
struct t {
    a: u8
    off: = @offset
    rem: = @remaining
    size: = @input_size
    items: item[2]
    inner: sub size 3
}
struct item { i: = @index; v: u8 }
struct sub { o: = @offset; r: = @remaining; x: u8; r2: = @remaining }
";
    assert_eq!(
        decode(d, &[0, 10, 11, 1, 2, 3, 4]),
        json!({
            "a": 0, "off": 1, "rem": 6, "size": 7,
            "items": [{"i": 0, "v": 10}, {"i": 1, "v": 11}],
            "inner": {"o": 3, "r": 3, "x": 1, "r2": 2}
        })
    );
}

#[test]
fn builtin_names_cannot_be_shadowed() {
    // a field called `offset` does not change `@offset`
    let d = "struct t { a: u8; offset: u8; x: = @offset + offset }";
    assert_eq!(decode(d, &[0, 5]), json!({"a": 0, "offset": 5, "x": 7}));
}

#[test]
fn parent_and_root() {
    let d = "
struct t { n: u8; c: child }
struct child { x: u8; g: grand }
struct grand { a: = parent.x; b: = root.n; d: bytes[root.n]; e: = parent.parent.n }
";
    assert_eq!(
        decode(d, &[2, 7, 0xaa, 0xbb]),
        json!({"n": 2, "c": {"x": 7, "g": {"a": 7, "b": 2, "d": "aabb", "e": 2}}})
    );
}

#[test]
fn functions() {
    let d = r#"
struct t {
    mode: str[8]
    m: = int(mode, 8)
    dec: str[3]
    d: = int(dec, 10)
    hex: str[2]
    h: = int(hex, 16)
    lo: = min(5, 3, 9)
    hi: = max(5, 3, 9)
    ab: = abs(-5)
    ab2: = abs(m - 500)
    n: = len(mode)
    at: = find("PK", 0, @input_size)
    last: = rfind("PK", 0, @input_size)
    none: = find("ZZ", 0, @input_size)
    bounded: = find("PK", 16, 21)
    before: = rfind("PK", 0, 19)
    cut: = find("PK", 0, 16)
    tail: bytes[..]
}
"#;
    let data = cat(&[b"0000644\0", b" 42", b"ff", b"xxPKxxPKx"]);
    // 0o644 = 420; "PK" at 15 and 19 (8 + 3 + 2 = 13 bytes before "xxPK...")
    assert_eq!(
        decode(d, &data),
        json!({
            "mode": "0000644\u{0}", "m": 420, "dec": " 42", "d": 42, "hex": "ff", "h": 255,
            "lo": 3, "hi": 9, "ab": 5, "ab2": 80, "n": 8, "at": 15, "last": 19, "none": -1,
            "bounded": 19, "before": 15, "cut": -1, "tail": "7878504b7878504b78"
        })
    );
}

#[test]
fn int_of_a_non_number_is_an_error() {
    let e = data_err("struct t { s: str[3]; n: = int(s, 8) }", b"12x");
    assert_eq!(
        e.kind,
        DataErrorKind::NotANumber {
            text: "12x".into(),
            base: 8
        }
    );
    let e = data_err("struct t { s: str[2]; n: = int(s, 8) }", b"19");
    assert!(matches!(e.kind, DataErrorKind::NotANumber { .. }), "{e}");
}

#[test]
fn crc32_function() {
    // python3 -c "import zlib; print(zlib.crc32(b'hello world'))"  -> 222957957
    // python3 -c "import zlib; print(zlib.crc32(b'IEND'))"         -> 2923585666
    let d = "
struct t {
    data: bytes[11]
    crc: u32be
    ok: = crc32(data) == crc
    c: = crc32(data)
    iend: = crc32(\"IEND\")
}
";
    let data = cat(&[b"hello world", &222957957u32.to_be_bytes()]);
    assert_eq!(
        decode(d, &data),
        json!({"data": "68656c6c6f20776f726c64", "crc": 222957957, "ok": true, "c": 222957957, "iend": 2923585666u32})
    );
    // as a `valid` check
    let d = "struct t { data: bytes[11]; crc: u32be valid _ == crc32(data) }";
    let mut bad = data.clone();
    bad[14] ^= 1;
    assert!(matches!(
        data_err(d, &bad).kind,
        DataErrorKind::Invalid { .. }
    ));
}

#[test]
fn peeks() {
    let d = "
struct t {
    a: = (u32be at 0)
    b: = (u16le at 1)
    c: = (bytes[2] at a - 0x010203fc)
    s: = (str[2] at 4)
    i: = (i8 at 3)
    f: = (f32be at 6) > 1
    n: = (bytes[2] at 0) == \"\\x01\\x02\"
    first: u8
}
";
    let data = cat(&[&[1, 2, 3, 0xff], b"ok", &2.0f32.to_be_bytes()]);
    assert_eq!(
        decode(d, &data),
        json!({"a": 0x010203ff, "b": 0x0302, "c": "ff6f", "s": "ok", "i": -1, "f": true, "n": true, "first": 1})
    );
    // a peek outside the input
    let e = data_err("struct t { a: = (u8 at 10) }", &[1]);
    assert_eq!(
        e.kind,
        DataErrorKind::AtOutside {
            target: 10,
            size: 1
        }
    );
    let e = data_err("struct t { a: = (u32 at 0) }", &[1]);
    assert!(
        matches!(e.kind, DataErrorKind::Truncated { need: 4, left: 1 }),
        "{e}"
    );
}

#[test]
fn casts_and_enums() {
    let d = "
enum color: u8 { red = 1, green = 2 }
enum big: u16be { one = 1, large = 0x1234 }
enum signed_e: i8 { minus = -1 }
struct t {
    k: u8
    name: = k as color
    raw: = k
    c: color
    unknown: color
    b: big
    s: signed_e
    back: = (k as color) == color::green
    num: = c + 0
}
";
    let data = cat(&[&[2, 1, 9], &0x1234u16.to_be_bytes(), &[0xff]]);
    assert_eq!(
        decode(d, &data),
        json!({"k": 2, "name": "green", "raw": 2, "c": "red", "unknown": 9, "b": "large", "s": "minus", "back": true, "num": 1})
    );
    // a cast of an unknown value is emitted as its number
    assert_eq!(
        decode(
            "enum e: u8 { a = 1 }\nstruct t { k: u8; n: = k as e }",
            &[5]
        ),
        json!({"k": 5, "n": 5})
    );
}

#[test]
fn flags() {
    let d = "
flags perm: u8 { r = 4, w = 2, x = 1 }
flags wide: u16be { lo = 1, hi = 0x8000 }
struct t { p: perm; q: perm; z: perm; w: wide; is_w: = p & perm::w }
";
    let data = cat(&[&[0x0f, 0x05, 0x00], &0x8001u16.to_be_bytes()]);
    assert_eq!(
        decode(d, &data),
        json!({"p": ["x", "w", "r", 8], "q": ["x", "r"], "z": [], "w": ["lo", "hi"], "is_w": 2})
    );
}

#[test]
fn keyword_after_a_complete_operand_ends_the_expression() {
    // `size size`: the modifier `size` applied to the field named `size`
    let d = "struct t { size: u8; body: bytes[..] size size; after: u8 }";
    assert_eq!(
        decode(d, &[2, 0xaa, 0xbb, 9]),
        json!({"size": 2, "body": "aabb", "after": 9})
    );
    // the same with other keywords as names
    let d = "struct t { at: u8; if: u8; valid: u8; x: u8 at at if if valid _ == valid; y: u8 }";
    assert_eq!(
        decode(d, &[4, 1, 7, 0xee, 7]),
        json!({"at": 4, "if": 1, "valid": 7, "x": 7, "y": 0xee})
    );
    // an expression ending in an operator continues on the next line
    let d = "struct t { a: u8; b: = a +\n   1 }";
    assert_eq!(decode(d, &[1]), json!({"a": 1, "b": 2}));
}

// ------------------------------------------------------------------ descriptor errors

#[test]
fn unknown_type_with_suggestion() {
    let e = assert_desc_err("struct t {\n    a: u23\n}\n", "unknown type `u23`", (2, 8));
    assert_eq!(e.help.as_deref(), Some("did you mean `u32`?"));
    let e = assert_desc_err(
        "struct t {\n    h: headr\n}\nstruct header { a: u8 }\n",
        "unknown type `headr`",
        (2, 8),
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `header`?"));
}

#[test]
fn unknown_name_with_suggestion() {
    let e = assert_desc_err(
        "struct t {\n    count: u8\n    xs: u8[cont]\n}\n",
        "unknown name `cont`",
        (3, 12),
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `count`?"));
    let e = assert_desc_err(
        "struct t {\n    a: = offset\n}\n",
        "unknown name `offset`",
        (2, 10),
    );
    assert!(e.help.as_deref().unwrap_or("").contains("@offset"), "{e}");
}

#[test]
fn reference_to_a_later_field() {
    assert_desc_err(
        "struct t {\n    xs: u8[n]\n    n: u8\n}\n",
        "`n` is declared later (line 3)",
        (2, 12),
    );
}

#[test]
fn duplicate_names() {
    assert_desc_err(
        "struct t {\n    a: u8\n    a: u16\n}\n",
        "`a` is declared twice",
        (3, 5),
    );
    assert_desc_err(
        "struct t { a: u8 }\nstruct t { b: u8 }\n",
        "`t` is declared twice",
        (2, 8),
    );
    assert_desc_err(
        "struct t { a: u8 }\nenum t: u8 { x = 1 }\n",
        "`t` is declared twice",
        (2, 6),
    );
    assert_desc_err(
        "enum e: u8 { x = 1, x = 2 }\nstruct t { a: u8 }\n",
        "member `x` is declared twice",
        (1, 21),
    );
    assert_desc_err(
        "struct t { a: u8; _h: u8; _h: u8 }\n",
        "`_h` is declared twice",
        (1, 27),
    );
}

#[test]
fn wrong_argument_count() {
    assert_desc_err(
        "struct t {\n    e: entry(1, 2)\n}\nstruct entry(v) { a: u8 }\n",
        "`entry` takes 1 argument(s), 2 given",
        (2, 8),
    );
    assert_desc_err(
        "struct t {\n    e: entry\n}\nstruct entry(v) { a: u8 }\n",
        "takes 1 argument(s), 0 given",
        (2, 8),
    );
    assert_desc_err(
        "struct t {\n    a: = min(1)\n}\n",
        "`min` takes an array (or bytes), or at least 2 values; this is an integer",
        (2, 14),
    );
    assert_desc_err(
        "struct t {\n    a: = len(1, 2)\n}\n",
        "`len` takes 1 argument(s), 2 given",
        (2, 10),
    );
}

#[test]
fn type_errors() {
    assert_desc_err(
        "struct t {\n    a: = \"abc\" + 1\n}\n",
        "expected an integer, this is text",
        (2, 10),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    a: = s == 1\n}\n",
        "cannot compare text with an integer",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    a: = s < 1\n}\n",
        "`<` compares numbers",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    a: u8[s]\n}\n",
        "expected an integer, this is text",
        (3, 11),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    a: u8 if s\n}\n",
        "a condition must be",
        (3, 14),
    );
    assert_desc_err(
        "struct t {\n    n: u8\n    a: = n.x\n}\n",
        "`.x` needs a struct",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    h: h\n    a: = h.y\n}\nstruct h { x: u8 }\n",
        "struct `h` has no field `y`",
        (3, 12),
    );
    assert_desc_err(
        "struct t {\n    n: u8\n    a: = n[0]\n}\n",
        "indexing needs an array",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    k: u8\n    v: match k { \"ab\" => u8 }\n}\n",
        "a string pattern cannot match an integer",
        (3, 18),
    );
    assert_desc_err(
        "struct t {\n    s: str[2]\n    v: match s { 1 => u8 }\n}\n",
        "an integer pattern cannot match text",
        (3, 18),
    );
}

#[test]
fn unknown_function_enum_and_member() {
    let e = assert_desc_err(
        "struct t {\n    a: = lenn(1)\n}\n",
        "unknown function `lenn`",
        (2, 10),
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `len`?"));
    let e = assert_desc_err(
        "enum color: u8 { red = 1 }\nstruct t {\n    a: = color::rad\n}\n",
        "unknown member of `color` `rad`",
        (3, 17),
    );
    assert_eq!(e.help.as_deref(), Some("did you mean `red`?"));
    assert_desc_err(
        "enum color: u8 { red = 1 }\nstruct t {\n    a: = colr::red\n}\n",
        "unknown enum `colr`",
        (3, 10),
    );
    assert_desc_err(
        "enum color: u8 { red = 1 }\nstruct t {\n    c: color\n    v: match c { rad => u8 }\n}\n",
        "unknown member of `color` `rad`",
        (4, 18),
    );
    assert_desc_err(
        "struct t {\n    k: u8\n    v: match k { red => u8 }\n}\n",
        "`red` is not a pattern here",
        (3, 18),
    );
    assert_desc_err(
        "struct t {\n    a: = 1 as colour\n}\n",
        "unknown enum or type `colour`",
        (2, 15),
    );
}

#[test]
fn this_outside_valid_and_until() {
    assert_desc_err(
        "struct t {\n    a: u8\n    b: = _ + 1\n}\n",
        "`_` means the value being checked",
        (3, 10),
    );
    assert_desc_err(
        "struct t {\n    a: u8 if _\n}\n",
        "`_` means the value being checked",
        (2, 14),
    );
}

#[test]
fn until_on_a_counted_array() {
    assert_desc_err(
        "struct t {\n    a: u8[3] until _ == 0\n}\n",
        "`until` and `while` go with `[..]`",
        (2, 8),
    );
    assert_desc_err(
        "struct t {\n    a: u8 until _ == 0\n}\n",
        "`until` applies to arrays",
        (2, 11),
    );
}

#[test]
fn syntax_errors() {
    assert_desc_err(
        "struct t {\n    a: \"abc\n}\n",
        "unterminated string",
        (2, 8),
    );
    assert_desc_err("struct t {\n    a: u8\n", "expected `}`", (3, 1));
    assert_desc_err(
        "struct t {\n    a: u8 u16\n}\n",
        "expected the end of the field",
        (2, 11),
    );
    assert_desc_err("struct t {\n    a: u8[\n}\n", "expected", (3, 1));
    assert_desc_err("strct t { a: u8 }\n", "expected `struct`", (1, 1));
    assert_desc_err("struct t {\n    a: = 1 +\n}\n", "expected", (3, 1));
    assert_desc_err(
        "struct t {\n    a: = \"\\q\"\n}\n",
        "unknown escape",
        (2, 11),
    );
    assert_desc_err(
        "struct t {\n    a: [1, 0x100]\n}\n",
        "byte values must be 0..255",
        (2, 12),
    );
}

#[test]
fn root_with_parameters() {
    // it loads (check, layout, translate); decoding it as the root is the error
    let e = data_err("struct t(v) {\n    a: u8\n}\n", &[1]);
    assert!(e.to_string().contains("takes parameters (`v`)"), "{e}");
    // `root NAME` chooses another struct
    assert_eq!(
        decode("struct e(v) { a: u8 }\nstruct t { b: u8 }\nroot t\n", &[1]),
        json!({"b": 1})
    );
}

#[test]
fn unknown_builtin() {
    assert_desc_err(
        "struct t {\n    a: = @foo\n}\n",
        "unknown builtin `@foo`",
        (2, 10),
    );
}

#[test]
fn other_descriptor_errors() {
    assert_desc_err(
        "struct t { a: u8 }\nroot x\n",
        "no struct named `x`",
        (2, 6),
    );
    assert_desc_err(
        "encoding latin2\nstruct t { a: u8 }\n",
        "unknown encoding `latin2`",
        (1, 10),
    );
    assert_desc_err("struct u8 { a: u8 }\n", "built-in type name", (1, 8));
    assert_desc_err(
        "struct t {\n    a: u8 each size 2\n}\n",
        "`each` modifiers apply to arrays",
        (2, 21),
    );
    assert_desc_err(
        "struct t {\n    a: enm\n}\nenum enm: f32 { a = 1 }\n",
        "base type must be an integer",
        (4, 11),
    );
    assert_desc_err(
        "struct t {\n    a: align 0\n}\n",
        "`align` needs a positive number",
        (2, 14),
    );
    assert_desc_err(
        "struct t {\n    a: u8 size 1 size 2\n}\n",
        "`size` given twice",
        (2, 18),
    );
}

// ------------------------------------------------------------------ hostile data

#[test]
fn huge_count_is_rejected_without_allocating() {
    let d = "struct t { n: u32; xs: u32[n] }";
    let data = cat(&[&u32::MAX.to_le_bytes(), &[0; 10]]);
    let start = std::time::Instant::now();
    let e = data_err(d, &data);
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
    assert!(
        matches!(
            e.kind,
            DataErrorKind::CountTooLarge {
                count: 4294967295,
                left: 10,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.path_string(), "t.xs");
    assert_eq!(e.offset, 4);
    // kept arrays (referenced later) too
    let d = "struct t { n: u32; xs: u8[n]; l: = len(xs) }";
    let e = data_err(d, &data);
    assert!(matches!(e.kind, DataErrorKind::CountTooLarge { .. }), "{e}");
    // elements of variable size count with their smallest size (here 1 byte: `k`)
    let d = "struct t { n: u32; xs: item[n]; l: = len(xs) }\nstruct item { k: u8; v: bytes[k] }";
    let e = data_err(d, &data);
    assert!(
        matches!(
            e.kind,
            DataErrorKind::CountTooLarge {
                count: 4294967295,
                need: 4294967295,
                left: 10
            }
        ),
        "{e}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    // huge lengths of bytes/str
    let e = data_err("struct t { n: u64; b: bytes[n] }", &u64::MAX.to_le_bytes());
    assert!(
        matches!(e.kind, DataErrorKind::Truncated { left: 0, .. }),
        "{e}"
    );
}

#[test]
fn at_outside_the_input() {
    let e = data_err("struct t { o: u32; x: u8 at o }", &100u32.to_le_bytes());
    assert_eq!(
        e.kind,
        DataErrorKind::AtOutside {
            target: 100,
            size: 4
        }
    );
    assert_eq!(e.path_string(), "t.x");
    let e = data_err("struct t { x: u8 at -1 }", &[1]);
    assert_eq!(
        e.kind,
        DataErrorKind::AtOutside {
            target: -1,
            size: 1
        }
    );
    // `at` exactly at the end is allowed, the read then fails
    let e = data_err("struct t { x: u8 at 1 }", &[1]);
    assert!(matches!(e.kind, DataErrorKind::Truncated { .. }), "{e}");
    let e = data_err("struct t { x: u8[2] each at 5 + @index }", &[1]);
    assert!(
        matches!(e.kind, DataErrorKind::AtOutside { target: 5, .. }),
        "{e}"
    );
    assert_eq!(e.path_string(), "t.x[0]");
}

#[test]
fn rest_array_without_progress() {
    let d = "struct t { xs: nothing[..] }\nstruct nothing { v: = 1 }";
    let e = data_err(d, &[1, 2]);
    assert_eq!(e.kind, DataErrorKind::NoProgress { index: 0 });
    let d = "struct t { xs: u8[..] each if 0 }";
    let e = data_err(d, &[1, 2]);
    assert!(matches!(e.kind, DataErrorKind::NoProgress { .. }), "{e}");
}

#[test]
fn deep_recursion_is_an_error_not_a_stack_overflow() {
    let d = "struct node { more: u8; next: node if more }";
    let data = vec![1u8; 100_000];
    let e = data_err(d, &data);
    assert!(matches!(e.kind, DataErrorKind::TooDeep(128)), "{e}");
    // a short chain is fine
    assert_eq!(
        decode(d, &[1, 1, 0]),
        json!({"more": 1, "next": {"more": 1, "next": {"more": 0}}})
    );
    // a recursion through `at` that never reads anything
    let d = "struct loop { next: loop at 0 }";
    let e = data_err(d, &[0]);
    assert!(matches!(e.kind, DataErrorKind::TooDeep(_)), "{e}");
    // arrays nested in recursion count too
    let d = "struct n { k: u8; kids: n[k] }";
    let e = data_err(d, &vec![1u8; 10_000]);
    assert!(matches!(e.kind, DataErrorKind::TooDeep(_)), "{e}");
    // a smaller limit
    let e = data_err_opts(
        "struct node { more: u8; next: node if more }",
        &[1; 20],
        Options {
            max_depth: 5,
            ..Options::default()
        },
    );
    assert_eq!(e.kind, DataErrorKind::TooDeep(5));
}

#[test]
fn value_budget() {
    let opts = Options {
        max_values: Some(10),
        ..Options::default()
    };
    let e = data_err_opts("struct t { xs: u8[..] }", &[0; 100], opts);
    assert_eq!(e.kind, DataErrorKind::Budget(10));
}

#[test]
fn truncated_input() {
    let e = data_err("struct t { a: u16; b: u32 }", &[1, 0, 2, 0]);
    assert_eq!(e.kind, DataErrorKind::Truncated { need: 4, left: 2 });
    assert_eq!(e.offset, 2);
    assert_eq!(e.path_string(), "t.b");
    assert_eq!(e.here, vec![2, 0]);
}

// ------------------------------------------------------------------ records mode

#[test]
fn records_several() {
    let d = "struct rec { i: = @index; a: u8; s: strz }";
    let (vals, r) = records(d, "rec", b"\x01ab\0\x02\0\x03xyz\0");
    let s = r.unwrap();
    assert_eq!(s.written, 3);
    assert_eq!(
        vals,
        vec![
            json!({"i": 0, "a": 1, "s": "ab"}),
            json!({"i": 1, "a": 2, "s": ""}),
            json!({"i": 2, "a": 3, "s": "xyz"})
        ]
    );
}

#[test]
fn records_truncated_last_variable_record() {
    let d = "struct rec { a: u8; s: strz }";
    let (vals, r) = records(d, "rec", b"\x01ab\0\x02cd\0\x03ef");
    let e = r.unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::NoTerminator { .. }), "{e}");
    assert_eq!(e.offset, 9);
    assert_eq!(e.path_string(), "rec[2].s");
    // every complete record was emitted first
    assert_eq!(
        vals,
        vec![json!({"a": 1, "s": "ab"}), json!({"a": 2, "s": "cd"})]
    );
}

#[test]
fn records_truncated_last_fixed_record() {
    let d = "struct rec { i: = @index; a: u16; b: u8 }";
    let data = cat(&[&1u16.to_le_bytes(), &[10], &2u16.to_le_bytes(), &[20], &[3]]);
    let (vals, r) = records(d, "rec", &data);
    let e = r.unwrap_err();
    assert_eq!(e.kind, DataErrorKind::Remainder { left: 1, size: 3 });
    assert_eq!(e.offset, 6);
    assert_eq!(e.path_string(), "rec[2]");
    assert_eq!(
        vals,
        vec![
            json!({"i": 0, "a": 1, "b": 10}),
            json!({"i": 1, "a": 2, "b": 20})
        ]
    );
}

#[test]
fn records_index_is_the_record_number_inside_arrays_too() {
    // inside an array of a record, @index is the element number; after it the record number
    let d = "struct rec { xs: elem[2]; r: = @index }\nstruct elem { e: = @index; v: u8 }";
    let (vals, r) = records(d, "rec", &[1, 2, 3, 4]);
    r.unwrap();
    assert_eq!(
        vals,
        vec![
            json!({"xs": [{"e": 0, "v": 1}, {"e": 1, "v": 2}], "r": 0}),
            json!({"xs": [{"e": 0, "v": 3}, {"e": 1, "v": 4}], "r": 1})
        ]
    );
}

// ------------------------------------------------------------------ error paths

#[test]
fn data_error_paths_wav_style() {
    let d = r#"
endian little
struct wav {
    magic:  "RIFF"
    size:   u32
    form:   "WAVE"
    chunks: chunk[..]
}
struct chunk {
    id:     str[4]
    size:   u32
    body:   match id {
        "fmt " => fmt_chunk
        _      => bytes[..]
    } size size
    _:      pad[size % 2] if @remaining > 0
}
enum wave_format: u16 { pcm = 1, ieee_float = 3 }
struct fmt_chunk {
    format:      wave_format
    channels:    u16
    sample_rate: u32
}
"#;
    let good_fmt = cat(&[
        b"fmt ",
        &8u32.to_le_bytes(),
        &1u16.to_le_bytes(),
        &2u16.to_le_bytes(),
        &44100u32.to_le_bytes(),
    ]);
    let data_chunk = cat(&[b"data", &3u32.to_le_bytes(), &[1, 2, 3], &[0]]);
    let whole = cat(&[
        b"RIFF",
        &0u32.to_le_bytes(),
        b"WAVE",
        &data_chunk,
        &good_fmt,
    ]);
    assert_eq!(
        decode(d, &whole),
        json!({"magic": "RIFF", "size": 0, "form": "WAVE", "chunks": [
            {"id": "data", "size": 3, "body": "010203"},
            {"id": "fmt ", "size": 8, "body": {"format": "pcm", "channels": 2, "sample_rate": 44100}}
        ]})
    );
    // the second chunk's region is too small for sample_rate
    let short_fmt = cat(&[
        b"fmt ",
        &6u32.to_le_bytes(),
        &3u16.to_le_bytes(),
        &2u16.to_le_bytes(),
        &[0x44, 0xac],
    ]);
    let bad = cat(&[
        b"RIFF",
        &0u32.to_le_bytes(),
        b"WAVE",
        &data_chunk,
        &short_fmt,
    ]);
    let e = data_err(d, &bad);
    assert_eq!(e.path_string(), "wav.chunks[1].body.sample_rate");
    assert_eq!(e.kind, DataErrorKind::Truncated { need: 4, left: 2 });
    // 12 (RIFF header) + 12 (data chunk with pad) + 8 (chunk header) + 4 (format, channels)
    assert_eq!(e.offset, 36);
    let shown = e.to_string();
    assert!(
        shown.contains("wav.chunks[1].body.sample_rate at offset 0x24 (36)"),
        "{shown}"
    );
}

#[test]
fn error_paths_through_embedding_and_arrays() {
    let d = "
struct t { n: u8; common; items: item[n] }
struct common { k: u8 valid _ == 1 }
struct item { a: u8 valid _ < 5; b: u16 }
";
    // embedded fields are named directly (the embedding has no name)
    let e = data_err(d, &[1, 2]);
    assert_eq!(e.path_string(), "t.k");
    assert_eq!(e.offset, 1);
    let e = data_err(d, &[2, 1, 0, 0, 0, 5, 0, 0]);
    assert_eq!(e.path_string(), "t.items[1].a");
    assert_eq!(e.offset, 5);
    // two items need 6 bytes; 5 are left: rejected before the first item
    let e = data_err(d, &[2, 1, 0, 0, 0, 5, 0]);
    assert_eq!(e.path_string(), "t.items");
    assert_eq!(e.offset, 2);
    assert!(
        matches!(
            e.kind,
            DataErrorKind::CountTooLarge {
                count: 2,
                need: 6,
                left: 5
            }
        ),
        "{e}"
    );
}

// ------------------------------------------------------------------ more edge cases

#[test]
fn embedded_match_arm_clashing_with_an_earlier_key() {
    let d = "struct t {\n    x: u8\n    k: u8\n    match k {\n        1 => a\n        2 => b\n    }\n}\nstruct a { x: u8 }\nstruct b { y: u8 }\n";
    assert_desc_err(d, "embedded field `x` clashes", (4, 5));
    // two embedded structs with a common key
    let d = "struct t {\n    a\n    b\n}\nstruct a { x: u8 }\nstruct b { x: u8 }\n";
    assert_desc_err(d, "embedded field `x` clashes", (3, 5));
}

#[test]
fn absent_values_in_functions_and_embedding() {
    // `len` of an absent array is absent, so `??` applies
    let d = "struct t { f: u8; xs: u8[2] if f; n: = len(xs) ?? 0 }";
    assert_eq!(decode(d, &[0]), json!({"f": 0, "n": 0}));
    assert_eq!(decode(d, &[1, 5, 6]), json!({"f": 1, "xs": [5, 6], "n": 2}));
    let d = "struct t { f: u8; s: bytes[2] if f; c: = crc32(s) ?? 1 }";
    assert_eq!(decode(d, &[0]), json!({"f": 0, "c": 1}));
    // an embedded struct behind `if`: its keys are omitted and its fields absent
    let d = "struct t { f: u8; opt if f; y: = a ?? 7 }\nstruct opt { a: u8 }";
    assert_eq!(decode(d, &[0]), json!({"f": 0, "y": 7}));
    assert_eq!(decode(d, &[1, 3]), json!({"f": 1, "a": 3, "y": 3}));
}

#[test]
fn until_and_while_see_the_array_itself() {
    let d = "struct t { xs: u8[..] until len(xs) == 3; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[1, 2, 3, 4]),
        json!({"xs": [1, 2, 3], "rest": "04"})
    );
    // records of a table whose entries refer to the previous entry
    let d = "struct t { xs: u16[..] while @index == 0 || xs[@index - 1] < 100 }";
    let data = cat(&[
        &5u16.to_le_bytes(),
        &200u16.to_le_bytes(),
        &7u16.to_le_bytes(),
    ]);
    assert_eq!(decode(d, &data), json!({"xs": [5, 200]}));
}

#[test]
fn own_name_is_not_visible_in_the_count() {
    // inside the count, the array does not exist yet: the name means nothing decoded before it
    assert_desc_err(
        "struct t {\n    xs: u8[len(xs)]\n    n: = len(xs)\n}\n",
        "`xs` is declared later",
        (2, 16),
    );
}

#[test]
fn valid_on_structs_and_matches() {
    let d = "struct t { h: hdr valid _.a == 1; m: match h.a { 1 => u8 } valid _ < 10 }\nstruct hdr { a: u8 }";
    assert_eq!(decode(d, &[1, 9]), json!({"h": {"a": 1}, "m": 9}));
    let e = data_err(d, &[2, 9]);
    assert!(matches!(e.kind, DataErrorKind::Invalid { .. }), "{e}");
    assert_eq!(e.path_string(), "t.h");
    let e = data_err(d, &[1, 10]);
    assert!(matches!(e.kind, DataErrorKind::Invalid { .. }), "{e}");
    assert_eq!(e.path_string(), "t.m");
}

#[test]
fn match_values_are_referenceable() {
    let d = "struct t { k: u8; v: match k { 1 => u8, 2 => u16be, _ => = 0 }; w: = v + 1 }";
    assert_eq!(decode(d, &[1, 4]), json!({"k": 1, "v": 4, "w": 5}));
    assert_eq!(decode(d, &[2, 1, 0]), json!({"k": 2, "v": 256, "w": 257}));
    assert_eq!(decode(d, &[3]), json!({"k": 3, "v": 0, "w": 1}));
}

#[test]
fn number_literal_forms() {
    let d = "struct t { a: = 0x1F; b: = 0b101; c: = 0o17; d: = 1_000; e: = 0xffff_ffff_ffff_ffff }";
    assert_eq!(
        decode(d, &[]),
        json!({"a": 31, "b": 5, "c": 15, "d": 1000, "e": 18446744073709551615u64})
    );
    assert_desc_err(
        "struct t {\n    a: = 0x1g\n}\n",
        "invalid digit `g`",
        (2, 10),
    );
    assert_desc_err(
        "struct t {\n    a: = 0x10000000000000000\n}\n",
        "number too large",
        (2, 10),
    );
}

#[test]
fn invalid_text_in_other_encodings() {
    let e = data_err("struct t { s: str[3] utf16le }", &[b'a', 0, b'b']);
    assert!(
        matches!(
            e.kind,
            DataErrorKind::BadText {
                encoding: "utf16le",
                ..
            }
        ),
        "{e}"
    );
    // a lone high surrogate
    let e = data_err("struct t { s: str[4] utf16be }", &[0xd8, 0x00, 0x00, 0x41]);
    assert!(
        matches!(
            e.kind,
            DataErrorKind::BadText {
                encoding: "utf16be",
                pos: 0,
                ..
            }
        ),
        "{e}"
    );
    // a raw NUL is not valid modified UTF-8
    let e = data_err("struct t { x: u8; s: str[2] mutf8 }", &[0, b'a', 0]);
    assert_eq!(
        e.kind,
        DataErrorKind::BadText {
            encoding: "mutf8",
            pos: 1,
            byte: 0
        }
    );
    assert_eq!(e.offset, 2);
}

#[test]
fn str_rest_and_zfixed_rest() {
    assert_eq!(
        decode("struct t { a: u8; s: str[..] }", b"\x01abc"),
        json!({"a": 1, "s": "abc"})
    );
    assert_eq!(
        decode("struct t { s: strz[..] }", b"ab\0cd"),
        json!({"s": "ab"})
    );
}

#[test]
fn peeks_of_text_and_computed_lengths() {
    let d = r#"struct t { n: u8; z: = (strz[4] at 1) == "ab"; b: = (bytes[n] at 1); s: = (str[n] at 1) }"#;
    assert_eq!(
        decode(d, b"\x02ab\0\0"),
        json!({"n": 2, "z": true, "b": "6162", "s": "ab"})
    );
}

#[test]
fn explicit_root() {
    let d = "struct a { x: u8 }\nstruct b { y: u16 }\n";
    let plan = unstruct::lang::compile(
        unstruct::lang::Source {
            name: "t".into(),
            text: d.into(),
            dir: None,
        },
        Some("b"),
        &unstruct::lang::DefaultResolver,
    )
    .unwrap();
    let mut sink = TreeSink::default();
    decode_document(&plan, Input::whole(&[1, 2]), Options::default(), &mut sink).unwrap();
    assert_eq!(sink.values, vec![json!({"y": 513})]);
}

#[test]
fn endian_native() {
    let d = "endian native\nstruct t { x: u16 }";
    let want = u16::from_ne_bytes([1, 2]);
    assert_eq!(decode(d, &[1, 2]), json!({"x": want}));
}

#[test]
fn pad_and_align_with_expressions() {
    let d = "struct t { n: u8; _: pad[n]; a: u8; _: align (n + 1); b: u8 }";
    // n = 2: pad 2 → a at 3; align 3 → b at 6
    assert_eq!(
        decode(d, &[2, 0, 0, 7, 0, 0, 8]),
        json!({"n": 2, "a": 7, "b": 8})
    );
    let e = data_err("struct t { n: u8; _: pad[n] }", &[5, 0]);
    assert!(
        matches!(e.kind, DataErrorKind::Truncated { need: 5, left: 1 }),
        "{e}"
    );
}

#[test]
fn embedded_fields_through_parent_and_root() {
    let d = "
struct t { common; c: child; d: = c.v + n }
struct common { n: u8; _h: u8 }
struct child { v: = parent.n + root.n + parent._h }
";
    assert_eq!(decode(d, &[3, 4]), json!({"n": 3, "c": {"v": 10}, "d": 13}));
}

#[test]
fn each_at_with_each_size_sqlite_pages_style() {
    let d = "
struct t { page_size: u8; pages: page[2] each at 1 + @index * page_size each size page_size }
struct page { first: u8; left: = @remaining }
";
    assert_eq!(
        decode(d, &[3, 10, 0, 0, 20, 0, 0]),
        json!({"page_size": 3, "pages": [{"first": 10, "left": 2}, {"first": 20, "left": 2}]})
    );
}

#[test]
fn flags_through_a_cast() {
    let d = "flags perm: u8 { r = 4, w = 2, x = 1 }\nstruct t { k: u8; p: = k as perm }";
    assert_eq!(decode(d, &[6]), json!({"k": 6, "p": ["w", "r"]}));
}

#[test]
fn peek_of_other_primitives() {
    let d =
        "struct t { h: = (f16 at 0) == 1; u: = (u24be at 2); s: = (i24 at 2); b: = (bool at 5) }";
    assert_eq!(
        decode(d, &[0x00, 0x3c, 0xff, 0xff, 0xfe, 0x01]),
        json!({"h": true, "u": 0xfffffe, "s": -65537, "b": true})
    );
}

// ------------------------------------------------------------------ extensions: leb128, ranges, sum

/// LEB128 examples from the DWARF specification (figure 22/23) and Wikipedia.
#[test]
fn leb128_integers() {
    let desc =
        "struct t {\n  a: uleb128\n  b: uleb128\n  c: sleb128\n  d: sleb128\n  e: sleb128\n}\n";
    let data = [0xe5, 0x8e, 0x26, 0x7f, 0x7f, 0x80, 0x7f, 0x02];
    assert_eq!(
        decode(desc, &data),
        json!({"a": 624485, "b": 127, "c": -1, "d": -128, "e": 2})
    );
    // u64::MAX takes ten bytes; an eleventh continuation byte is an overflow
    let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    assert_eq!(
        decode("struct t { a: uleb128 }", &max),
        json!({"a": u64::MAX})
    );
    let e = data_err("struct t { a: uleb128 }", &[0xff; 11]);
    assert!(matches!(e.kind, DataErrorKind::Overflow { .. }), "{e}");
    assert_eq!(e.offset, 0);
    let e = data_err("struct t { a: uleb128 }", &[0x80, 0x80]);
    assert!(matches!(e.kind, DataErrorKind::Truncated { .. }), "{e}");
}

#[test]
fn range_patterns() {
    let desc = "struct t {\n  k: u8\n  kind: match k { 0..=9 => = \"digit\", 10 | 11 => = \"ten\", 200..=255 => = \"high\", _ => = \"other\" }\n}\n";
    assert_eq!(decode(desc, &[0]), json!({"k": 0, "kind": "digit"}));
    assert_eq!(decode(desc, &[9]), json!({"k": 9, "kind": "digit"}));
    assert_eq!(decode(desc, &[11]), json!({"k": 11, "kind": "ten"}));
    assert_eq!(decode(desc, &[255]), json!({"k": 255, "kind": "high"}));
    assert_eq!(decode(desc, &[50]), json!({"k": 50, "kind": "other"}));
    let e = desc_err("struct t {\n  k: str[1]\n  v: match k { 1..=2 => u8 }\n}\n");
    assert!(e.message.contains("range pattern cannot match text"), "{e}");
    let e = desc_err("struct t {\n  k: u8\n  v: match k { 5..=2 => u8 }\n}\n");
    assert!(e.message.contains("empty range"), "{e}");
}

#[test]
fn sum_of_bytes() {
    // tar-style checksum: the sum of the header bytes
    let desc = "struct t {\n  data: bytes[4]\n  total: = sum(data)\n  ok: = sum(data) == 10\n}\n";
    assert_eq!(
        decode(desc, &[1, 2, 3, 4]),
        json!({"data": "01020304", "total": 10, "ok": true})
    );
    let e = desc_err("struct t {\n  a: u8\n  s: = sum(a)\n}\n");
    assert!(e.message.contains("argument 1 of `sum`"), "{e}");
}

/// A failed `valid` names its condition as written in the descriptor.
#[test]
fn valid_errors_show_the_condition() {
    let e = data_err("struct t {\n  a: u8 valid _ != 7\n}\n", &[7]);
    assert!(
        e.to_string()
            .contains("value 7 is not valid: `_ != 7` does not hold"),
        "{e}"
    );
    let e = data_err("struct t valid a <   b {\n  a: u8\n  b: u8\n}\n", &[5, 1]);
    assert!(e.to_string().contains("`a < b` does not hold"), "{e}");
}

// ------------------------------------------------------------------ writing descriptors

#[test]
fn field_continues_on_a_line_starting_with_an_operator_or_modifier() {
    let d = "struct t {
    n: u8
    big: = n > 1
          && n < 200
          || n == 255
    m: = n == 0 ? 1
              : n * 2
    data: bytes[..]
        size n
        if n < 200
    size: u8 if @remaining > 0
}";
    let data = [2u8, 0xaa, 0xbb, 7];
    assert_eq!(
        decode(d, &data),
        json!({"n": 2, "big": true, "m": 4, "data": "aabb", "size": 7})
    );
}

#[test]
fn match_arm_lines_are_not_continuations() {
    // a computed arm followed by an arm whose pattern starts with `-`
    let d = "struct t { x: i8; y: match x {
        1 => = x + 1
        -1 => = 0 - 1
        _ => u8
    } }";
    assert_eq!(decode(d, &[0xff]), json!({"x": -1, "y": -1}));
    assert_eq!(decode(d, &[1]), json!({"x": 1, "y": 2}));
}

#[test]
fn character_literals_in_expressions_and_patterns() {
    let d = r"struct t {
    k: u8 valid _ == 'P' || _ == '\x89'
    c: u8
    v: match c { 'a'..='z' => = 1, '\n' => = 2, '\'' => = 3, _ => = 0 }
}";
    assert_eq!(decode(d, b"Pq"), json!({"k": 80, "c": 113, "v": 1}));
    assert_eq!(decode(d, b"P\n"), json!({"k": 80, "c": 10, "v": 2}));
    assert_eq!(decode(d, b"P'"), json!({"k": 80, "c": 39, "v": 3}));
    assert_eq!(decode(d, b"\x89Z"), json!({"k": 137, "c": 90, "v": 0}));
    assert_desc_err(
        "struct t { x: u8 valid _ == 'ab' }",
        "one ASCII character",
        (1, 29),
    );
}

#[test]
fn end_of_field_error_names_the_usual_mistake() {
    for (desc, hint) in [
        (
            "struct t { x u32 }",
            "missing `:` after the field name? (`x: u32`)",
        ),
        ("struct t { x: u8, y: u8 }", "not `,`"),
        ("struct t { x: u8; y: u8 if x = 1 }", "write `==`"),
        (
            "struct t { x: unsigned int }",
            "`unsigned` is not a type here",
        ),
    ] {
        let e = desc_err(desc);
        assert!(e.message.contains("expected the end of the field"), "{e}");
        assert!(e.message.contains(hint), "{desc}: {e}");
    }
    for (desc, hint) in [
        ("struct t { x: uint32 }", "write `u32`"),
        ("struct t { x: u4 }", "write `u32`"),
        ("struct t { x: char[4] }", "`str[N]` or `strz` for text"),
    ] {
        let e = desc_err(desc);
        assert!(
            e.help.as_deref().is_some_and(|h| h.contains(hint)),
            "{desc}: {e}"
        );
    }
}

#[test]
fn peeks_of_any_type() {
    let d = "struct t {
    name:  = (strz at 4)
    hdr_b: = (hdr at 0).b
    second: = (u8[2] at 0)[1]
    upto0: = len((u8[..] until _ == 0 at 0))
    first: u8
}
struct hdr { a: u8; b: u16be }";
    let data = b"\x01\x02\x03\x00abc\x00";
    assert_eq!(
        decode(d, data),
        json!({
            "name": "abc",
            "hdr_b": u16::from_be_bytes([2, 3]),
            "second": 2,
            "upto0": 4,
            "first": 1
        })
    );
    // a peek reads without moving: the cursor is still at 0 for `first`
    let e = data_err("struct t { s: = (strz at 1) }", b"\x00ab");
    assert!(matches!(e.kind, DataErrorKind::NoTerminator { .. }), "{e}");
    // a struct that peeks itself stops at the depth limit
    let e = data_err("struct t { n: = (t at 0).n }", b"\x00");
    assert!(matches!(e.kind, DataErrorKind::TooDeep(_)), "{e}");
}

/// `b3le` / `b4be`: a bit field's own bit order, whatever the struct's; the order changes
/// only between bytes. Values stated from the bytes: 0xb3 = 0b1011_0011, 0x5c = 0b0101_1100.
#[test]
fn bit_fields_with_their_own_bit_order() {
    let d = "struct t {\n a: b3le\n b: b5le\n c: b4\n d: b4be\n e: b1le as bool\n}";
    // a = low 3 bits of 0xb3 = 0b011, b = the high 5 = 0b10110; c = high nibble of 0x5c
    // (MSB first, the struct's order) = 5, d = low nibble = 12; e = bit 0 of 0x01
    assert_eq!(
        decode(d, &[0xb3, 0x5c, 0x01]),
        json!({"a": 3, "b": 22, "c": 5, "d": 12, "e": true})
    );
    // in a `bits little` struct, `b4be` reads MSB first
    let d = "struct t bits little { a: b4; b: b4; c: b4be }";
    assert_eq!(decode(d, &[0xb3, 0x5c]), json!({"a": 3, "b": 11, "c": 5}));
    // switching the order inside a byte is an error
    let e = data_err("struct t {\n a: b3le\n b: b5\n}", &[0xb3]);
    assert!(e.to_string().contains("inside a byte"), "{e}");
}

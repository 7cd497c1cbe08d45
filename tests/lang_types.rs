//! The primitive types of the descriptor language: integers of every width, signedness and
//! byte order (including `endian match` and LEB128), floats and `bool`, bit fields and their
//! bit orders, bytes and text in each encoding, and constants. Expected values are computed
//! independently in the tests (bytes built with `to_le_bytes`/`to_be_bytes`, numbers stated
//! literally), never copied from the tool.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{cat, compile, data_err, decode};
use serde_json::json;
use unstruct::Input;
use unstruct::decode::{Options, decode_document};
use unstruct::emit::tree::TreeSink;
use unstruct::error::DataErrorKind;

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

#[test]
fn endian_native() {
    let d = "endian native\nstruct t { x: u16 }";
    let want = u16::from_ne_bytes([1, 2]);
    assert_eq!(decode(d, &[1, 2]), json!({"x": want}));
}

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

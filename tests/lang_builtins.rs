//! Built-in names and functions of the expression language: `@index`, `@offset`,
//! `@remaining`, `parent` and `root`, the functions (`int`, `crc32`, ...), peeks (`T at E`
//! inside an expression), casts to enums and flags. Expected values are computed
//! independently in the tests (bytes built with `to_le_bytes`/`to_be_bytes`, numbers stated
//! literally, checksums by CPython's zlib as the test notes).

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{cat, data_err, decode};
use serde_json::json;
use unstruct::error::DataErrorKind;

// ------------------------------------------------------------------ builtins, parent and root, functions

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
fn embedded_fields_through_parent_and_root() {
    let d = "
struct t { common; c: child; d: = c.v + n }
struct common { n: u8; _h: u8 }
struct child { v: = parent.n + root.n + parent._h }
";
    assert_eq!(decode(d, &[3, 4]), json!({"n": 3, "c": {"v": 10}, "d": 13}));
}

// ------------------------------------------------------------------ peeks

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
fn peeks_of_text_and_computed_lengths() {
    let d = r#"struct t { n: u8; z: = (strz[4] at 1) == "ab"; b: = (bytes[n] at 1); s: = (str[n] at 1) }"#;
    assert_eq!(
        decode(d, b"\x02ab\0\0"),
        json!({"n": 2, "z": true, "b": "6162", "s": "ab"})
    );
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

// ------------------------------------------------------------------ casts, enums and flags

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
fn flags_through_a_cast() {
    let d = "flags perm: u8 { r = 4, w = 2, x = 1 }\nstruct t { k: u8; p: = k as perm }";
    assert_eq!(decode(d, &[6]), json!({"k": 6, "p": ["w", "r"]}));
}

//! The expression language: floats, floored integer division, text and byte-string
//! operations (concatenation, ordering, slices, `str`, `reverse`, `len` in characters),
//! `min`/`max` over arrays, arrays emitted in full; and the integer operators (C precedence,
//! short-circuit, checked arithmetic, shifts), number and character literals, `sum`. Expected
//! values are computed by CPython in the test (the same expression in Python's own syntax)
//! or stated with the arithmetic shown.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{assert_desc_err, data_err, decode, desc_err, desc_error};
use serde_json::{Value, json};
use std::process::Command;
use unstruct::error::DataErrorKind;

/// Evaluates Python expressions (one per entry) with CPython and returns their JSON values;
/// None (with a note) when python3 is missing, unless UNSTRUCT_REQUIRE_ORACLES is set.
fn python(exprs: &[&str]) -> Option<Vec<Value>> {
    let prog = format!("import json\nprint(json.dumps([{}]))", exprs.join(", "));
    match Command::new("python3").arg("-c").arg(&prog).output() {
        Ok(out) if out.status.success() => {
            Some(serde_json::from_slice(&out.stdout).expect("python prints JSON"))
        }
        Ok(out) => panic!("python failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            assert!(
                std::env::var_os("UNSTRUCT_REQUIRE_ORACLES").is_none(),
                "python3 is required: {e}"
            );
            eprintln!("note: python3 not found, skipping the comparison");
            None
        }
    }
}

/// Decodes `data` with one computed field per `(unstruct, python)` pair and compares each
/// field with CPython's value of the Python expression (`x` and `y` are bound to the
/// descriptor's `x` and `y` fields, read as i8 from the data).
fn compare_with_python(data: &[u8], cases: &[(&str, &str)]) {
    let mut desc = String::from("struct t {\n    x: i8\n    y: i8\n");
    for (k, (e, _)) in cases.iter().enumerate() {
        desc += &format!("    v{k}: = {e}\n");
    }
    desc += "}\n";
    let got = decode(&desc, data);
    let [x, y] = [data[0] as i8, data[1] as i8];
    let py: Vec<String> = cases
        .iter()
        .map(|(_, p)| format!("(lambda x, y: {p})({x}, {y})"))
        .collect();
    let py: Vec<&str> = py.iter().map(String::as_str).collect();
    let Some(want) = python(&py) else { return };
    for (k, (e, p)) in cases.iter().enumerate() {
        assert_eq!(
            got[format!("v{k}")],
            want[k],
            "`{e}` (python: `{p}`) with x={x}, y={y}"
        );
    }
}

#[test]
fn integer_division_and_modulo_floor_like_python() {
    for data in [
        [7u8, 2],
        [0xf9, 2],
        [7, 0xfe],
        [0xf9, 0xfe],
        [6, 3],
        [0xfa, 3],
    ] {
        compare_with_python(
            &data,
            &[
                ("x / y", "x // y"),
                ("x % y", "x % y"),
                ("(x * 10) / y % 7", "(x * 10) // y % 7"),
            ],
        );
    }
}

#[test]
fn float_literals_and_arithmetic_promote_like_python() {
    for data in [[7u8, 2], [0xf9, 3], [1, 0xfc]] {
        compare_with_python(
            &data,
            &[
                ("1.5", "1.5"),
                ("2e3", "2e3"),
                ("x + 0.5", "x + 0.5"),
                ("x * 1.25 - y", "x * 1.25 - y"),
                ("x / 2.0", "x / 2.0"),
                ("x / 4.0 * y", "x / 4.0 * y"),
                ("-(x * 0.1)", "-(x * 0.1)"),
                ("x % 2.5", "x % 2.5"),
                ("abs(y * 1.5)", "abs(y * 1.5)"),
                ("int(x * 1.9)", "int(x * 1.9)"),
                ("x * 1.5 > y", "x * 1.5 > y"),
                ("min(x, y * 0.5)", "min(x, y * 0.5)"),
                ("max(x, y, 3)", "max(x, y, 3)"),
            ],
        );
    }
}

#[test]
fn float_division_by_zero_is_an_error() {
    let e = data_err("struct t { x: u8\n v: = 1.5 / x }", &[0]);
    assert!(e.to_string().contains("division by zero"), "{e}");
}

#[test]
fn a_range_in_brackets_is_not_a_float() {
    // `1..3` is a slice, `1.5` a float, `a.b` a member
    let v = decode(
        "struct t { b: bytes[4]\n s: = b[1..3]\n f: = 1.5 }",
        &[1, 2, 3, 4],
    );
    assert_eq!(v["s"], json!("0203"));
    assert_eq!(v["f"], json!(1.5));
}

#[test]
fn text_concatenation_str_and_int() {
    let d = b"ab\0\x07-42 ff";
    let v = decode(
        r#"struct t {
            a: str[2]
            _: pad[1]
            n: u8
            m: str[3]
            _: pad[1]
            h: str[2]
            joined: = a + "-" + str(n) + "/" + m
            back: = int(m) + int(h, 16)
            neg: = str(0 - n * 100)
            f: = str(n / 2.0)
        }"#,
        d,
    );
    assert_eq!(v["joined"], json!("ab-7/-42"));
    assert_eq!(v["back"], json!(-42 + 0xff));
    assert_eq!(v["neg"], json!("-700"));
    // python: repr(7 / 2.0)
    assert_eq!(v["f"], json!("3.5"));
}

#[test]
fn bytes_to_text_in_an_encoding() {
    // "Hé" in UTF-16LE: 48 00 e9 00; in latin1: 48 e9
    let v = decode(
        r#"struct t {
            u: bytes[4]
            l: bytes[2]
            a: = str(u, utf16le)
            b: = str(l, "latin1")
            same: = a == b
            n: = len(a)
            cat: = a + b
        }"#,
        &[0x48, 0, 0xe9, 0, 0x48, 0xe9],
    );
    assert_eq!(v["a"], json!("Hé"));
    assert_eq!(v["b"], json!("Hé"));
    assert_eq!(v["same"], json!(true));
    assert_eq!(v["n"], json!(2));
    assert_eq!(v["cat"], json!("HéHé"));
}

#[test]
fn invalid_text_from_bytes_is_an_error_at_its_offset() {
    let e = data_err(
        "struct t { _: u8\n b: bytes[2]\n s: = str(b, utf8) }",
        &[0, b'a', 0xff],
    );
    assert_eq!(e.offset, 2, "{e}");
}

#[test]
fn len_counts_characters_of_text_and_bytes_of_bytes() {
    // "añb" in UTF-8 is 61 c3 b1 62: 3 characters, 4 bytes
    let v = decode(
        "struct t { s: str[4]\n b: bytes[4] at 0\n n: = len(s)\n m: = len(b) }",
        "añb".as_bytes(),
    );
    assert_eq!(v["n"], json!(3));
    assert_eq!(v["m"], json!(4));
}

#[test]
fn slices_like_python() {
    let text = "héllo wörld";
    let data = text.as_bytes();
    let n = data.len();
    let v = decode(
        &format!(
            r#"struct t {{
                s: str[{n}]
                b: bytes[{n}] at 0
                a: u8[{n}] at 0
                s1: = s[1..4]
                s2: = s[-5..]
                s3: = s[..-6]
                s4: = s[4..2]
                b1: = b[1..3]
                b2: = b[-2..]
                a1: = a[2..5]
                rs: = reverse(s)
                rb: = reverse(b[0..3])
                ra: = reverse(a[0..3])
            }}"#
        ),
        data,
    );
    let Some(want) = python(&[
        "'héllo wörld'[1:4]",
        "'héllo wörld'[-5:]",
        "'héllo wörld'[:-6]",
        "'héllo wörld'[4:2]",
        "'héllo wörld'.encode()[1:3].hex()",
        "'héllo wörld'.encode()[-2:].hex()",
        "list('héllo wörld'.encode()[2:5])",
        "'héllo wörld'[::-1]",
        "'héllo wörld'.encode()[0:3][::-1].hex()",
        "list('héllo wörld'.encode()[0:3][::-1])",
    ]) else {
        return;
    };
    for (k, key) in ["s1", "s2", "s3", "s4", "b1", "b2", "a1", "rs", "rb", "ra"]
        .iter()
        .enumerate()
    {
        assert_eq!(v[key], want[k], "{key}");
    }
}

#[test]
fn text_and_bytes_order_byte_by_byte() {
    let v = decode(
        r#"struct t {
            a: str[3]
            b: str[3]
            c: bytes[2]
            d: bytes[2]
            lt: = a < b
            ge: = a >= b
            lit: = a < "abd"
            blt: = c < d
            bgt: = d > c
        }"#,
        b"abcabd\x01\xff\x02\x00",
    );
    assert_eq!(v["lt"], json!(true));
    assert_eq!(v["ge"], json!(false));
    assert_eq!(v["lit"], json!(true));
    assert_eq!(v["blt"], json!(true));
    assert_eq!(v["bgt"], json!(true));
}

#[test]
fn min_max_of_an_array_and_arrays_emitted_in_full() {
    // i16le values 5, -3, 9
    let v = decode(
        "struct t { a: i16[3]\n lo: = min(a)\n hi: = max(a)\n first: = a[0]\n last: = a[-1]\n all: = a\n tail: = a[1..] }",
        &[5, 0, 0xfd, 0xff, 9, 0],
    );
    assert_eq!(v["lo"], json!(-3));
    assert_eq!(v["hi"], json!(9));
    assert_eq!(v["first"], json!(5));
    assert_eq!(v["last"], json!(9));
    assert_eq!(v["all"], json!([5, -3, 9]));
    assert_eq!(v["tail"], json!([-3, 9]));
}

#[test]
fn type_errors_in_the_new_forms() {
    assert!(desc_err("struct t { a: u8\n s: = str(a, klingon) }").contains("unknown encoding"));
    assert!(desc_err("struct t { a: u8\n s: = reverse(a) }").contains("`reverse` needs"));
    assert!(desc_err("struct t { a: u8\n s: = a[1..2] }").contains("a slice needs"));
    assert!(desc_err("struct t { a: str[2]\n s: = a - 1.5 }").contains("expected an integer"));
}

#[test]
fn computed_text_is_bounded() {
    // every level doubles the text: 2^21 bytes pass the limit of 16 per input byte + 1,000,000
    // long before the nesting limit of 128
    let e = data_err(
        "root t\nstruct e(prev) {\n _s: = prev + prev\n next: e(_s) if len(_s) < 1 << 60\n}\nstruct t { x: e(\"ab\") }",
        &[0; 2],
    );
    assert!(e.to_string().contains("values"), "{e}");
}

#[test]
fn casts_to_types_name_the_type_and_keep_the_value() {
    // hdr.v = 7; `as f64` makes 7 a float: 7 / 2.0 = 3.5 and 7.0 / 2 = 3.5
    let v = decode(
        "struct t {\n hdr: h\n b: bytes[2]\n x: = hdr as h\n v: = x.v\n i: = v as u16\n \
         f: = (v as f64) / 2\n s: = b as bytes\n}\nstruct h { v: u8 }",
        &[7, 0xab, 0xcd],
    );
    assert_eq!(v["v"], json!(7));
    assert_eq!(v["i"], json!(7));
    assert_eq!(v["f"], json!(3.5));
    assert_eq!(v["s"], json!("abcd"));
    assert!(
        desc_err("struct t { a: u8\n b: = a as h }\nstruct h { v: u8 }").contains("needs a struct")
    );
    assert!(desc_err("struct t { a: u8\n b: = a as nothing }").contains("unknown enum or type"));
}

#[test]
fn sizeof_a_type() {
    // h: u8 + u32 + 2 bytes of bits (b3 + b12 = 15 bits) = 1 + 4 + 2 = 7; the lazy field
    // and the computed one take no bytes; u16 is 2
    let v = decode(
        "struct t {\n a: = sizeof(h)\n b: = sizeof(u16)\n}\n\
         struct h {\n x: u8\n y: u32\n p: b3\n q: b12\n z: = 1\n w: u8 at 0 lazy\n}",
        &[],
    );
    assert_eq!(v, json!({"a": 7, "b": 2}));
    assert!(
        desc_err("struct t { a: = sizeof(h) }\nstruct h { n: u8\n s: bytes[n] }")
            .contains("depends on the data")
    );
    assert!(desc_err("struct t { a: = sizeof(1) }").contains("one type name"));
}

#[test]
fn shift_jis_text() {
    // python: 'テスト'.encode('shift_jis') == b'\x83e\x83X\x83g'
    let v = decode(
        "struct t {\n s: str[6] sjis\n n: = len(s)\n b: bytes[6] at 0\n t: = str(b, sjis)\n}",
        b"\x83e\x83X\x83g",
    );
    assert_eq!(
        v,
        json!({"s": "テスト", "n": 3, "b": "836583588367", "t": "テスト"})
    );
    // 0x85 0x40 is not assigned in Shift_JIS (python: b'\x85\x40'.decode('shift_jis') fails)
    let e = data_err("struct t { _: u8\n s: str[2] sjis }", b"a\x85\x40");
    assert_eq!(e.offset, 1, "{e}");
}

#[test]
fn copies_of_arrays_are_bounded() {
    // every element reverses the whole 40,000-element array before it: 16 bytes per copied
    // element pass 16 per input byte + 1,000,000 after a few dozen elements
    let n = 40_000;
    let e = data_err(
        &format!(
            "struct t {{\n a: u8[{n}]\n xs: e[{n}] }}\nstruct e {{\n r: = reverse(parent.a)\n _: u8\n}}"
        ),
        &vec![0; 2 * n],
    );
    assert!(e.to_string().contains("values"), "{e}");
}

#[test]
fn array_literals_of_values_and_bytes() {
    // a = 0x05, b = 0xfe; the values follow from the literals themselves
    let v = decode(
        "struct t {\n a: u8\n b: u8\n ints: = [10, 500, a]\n fl: = [1.5, 2, -0.25]\n \
         strs: = [\"un\", \"deux\", \"trois\"]\n lo: = min(ints)\n hi: = max(strs)\n \
         flo: = min(fl)\n n: = len(strs)\n mid: = ints[1]\n rev: = reverse(ints)\n \
         lit: = [0x50, 0x4b]\n mk: = [a, b] as bytes\n eq: = mk == [5, 254]\n \
         nb: = len(mk)\n neg: = [-1, 2]\n}",
        &[5, 0xfe],
    );
    assert_eq!(v["ints"], json!([10, 500, 5]));
    assert_eq!(v["fl"], json!([1.5, 2, -0.25]));
    assert_eq!(v["strs"], json!(["un", "deux", "trois"]));
    assert_eq!(v["lo"], json!(5));
    // "un" > "trois" > "deux" byte by byte
    assert_eq!(v["hi"], json!("un"));
    assert_eq!(v["flo"], json!(-0.25));
    assert_eq!(v["n"], json!(3));
    assert_eq!(v["mid"], json!(500));
    assert_eq!(v["rev"], json!([5, 500, 10]));
    // bytes are written as hex
    assert_eq!(v["lit"], json!("504b"));
    assert_eq!(v["mk"], json!("05fe"));
    assert_eq!(v["eq"], json!(true));
    assert_eq!(v["nb"], json!(2));
    assert_eq!(v["neg"], json!([-1, 2]));
    let e = data_err("struct t { a: u16\n b: = [a] as bytes }", &[0x00, 0x01]);
    assert!(e.to_string().contains("256 is not a byte"), "{e}");
    assert!(desc_err("struct t { a: u8\n b: = [\"x\"] as bytes }").contains("expected an integer"));
}

#[test]
fn int_of_a_boolean_and_an_enum() {
    let v = decode(
        "enum e: u8 { a = 1, b = 7 }\nstruct t {\n x: e\n i: = int(x)\n t: = int(x == e::b)\n \
         f: = int(1 > 2)\n}",
        &[7],
    );
    assert_eq!(v["i"], json!(7));
    assert_eq!(v["t"], json!(1));
    assert_eq!(v["f"], json!(0));
}

// ------------------------------------------------------------------ integer operators and literals

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
fn sum_of_bytes() {
    // tar-style checksum: the sum of the header bytes
    let desc = "struct t {\n  data: bytes[4]\n  total: = sum(data)\n  ok: = sum(data) == 10\n}\n";
    assert_eq!(
        decode(desc, &[1, 2, 3, 4]),
        json!({"data": "01020304", "total": 10, "ok": true})
    );
    let e = desc_error("struct t {\n  a: u8\n  s: = sum(a)\n}\n");
    assert!(e.message.contains("argument 1 of `sum`"), "{e}");
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

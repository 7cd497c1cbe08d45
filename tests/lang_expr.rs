//! The expression language beyond integers: floats, floored integer division, text and
//! byte-string operations (concatenation, ordering, slices, `str`, `reverse`, `len` in
//! characters), `min`/`max` over arrays, arrays emitted in full. Expected values are computed
//! by CPython in the test (the same expression in Python's own syntax) or stated with the
//! arithmetic shown.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{data_err, decode, desc_err};
use serde_json::{Value, json};
use std::process::Command;

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

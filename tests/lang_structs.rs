//! Structs and their fields: parameters, nesting and member chains, embedding, an explicit
//! root, `pad` and `align`, `match` (literal, enum, string and range arms), the modifiers
//! `if`, `size`, `at` and `valid`, and how fields are written (semicolons, comments,
//! continuation lines). Expected values are computed independently in the tests (bytes
//! built with `to_le_bytes`/`to_be_bytes`, numbers stated literally).
//!
//! `TreeSink` maps do not preserve key order; key order is tested through the CLI.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{assert_desc_err, cat, data_err, decode, desc_error};
use serde_json::json;
use unstruct::Input;
use unstruct::decode::{Options, decode_document};
use unstruct::emit::tree::TreeSink;
use unstruct::error::DataErrorKind;

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

#[test]
fn embedded_match_arm_clashing_with_an_earlier_key() {
    let d = "struct t {\n    x: u8\n    k: u8\n    match k {\n        1 => a\n        2 => b\n    }\n}\nstruct a { x: u8 }\nstruct b { y: u8 }\n";
    assert_desc_err(d, "embedded field `x` clashes", (4, 5));
    // two embedded structs with a common key
    let d = "struct t {\n    a\n    b\n}\nstruct a { x: u8 }\nstruct b { x: u8 }\n";
    assert_desc_err(d, "embedded field `x` clashes", (3, 5));
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

#[test]
fn match_values_are_referenceable() {
    let d = "struct t { k: u8; v: match k { 1 => u8, 2 => u16be, _ => = 0 }; w: = v + 1 }";
    assert_eq!(decode(d, &[1, 4]), json!({"k": 1, "v": 4, "w": 5}));
    assert_eq!(decode(d, &[2, 1, 0]), json!({"k": 2, "v": 256, "w": 257}));
    assert_eq!(decode(d, &[3]), json!({"k": 3, "v": 0, "w": 1}));
}

#[test]
fn range_patterns() {
    let desc = "struct t {\n  k: u8\n  kind: match k { 0..=9 => = \"digit\", 10 | 11 => = \"ten\", 200..=255 => = \"high\", _ => = \"other\" }\n}\n";
    assert_eq!(decode(desc, &[0]), json!({"k": 0, "kind": "digit"}));
    assert_eq!(decode(desc, &[9]), json!({"k": 9, "kind": "digit"}));
    assert_eq!(decode(desc, &[11]), json!({"k": 11, "kind": "ten"}));
    assert_eq!(decode(desc, &[255]), json!({"k": 255, "kind": "high"}));
    assert_eq!(decode(desc, &[50]), json!({"k": 50, "kind": "other"}));
    let e = desc_error("struct t {\n  k: str[1]\n  v: match k { 1..=2 => u8 }\n}\n");
    assert!(e.message.contains("range pattern cannot match text"), "{e}");
    let e = desc_error("struct t {\n  k: u8\n  v: match k { 5..=2 => u8 }\n}\n");
    assert!(e.message.contains("empty range"), "{e}");
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

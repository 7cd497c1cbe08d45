//! `lazy` fields (Kaitai Struct's instances): decoded when first named, in the context of
//! the struct that declares them, or at their own place; written at their place; left out
//! when nothing names them and they fail. Expected values are stated with the arithmetic
//! shown.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{data_err, decode, desc_err};
use serde_json::json;

#[test]
fn an_earlier_field_names_a_lazy_field_declared_later() {
    // the length is the last byte of the input: 3, so the body is 01 02 03
    let v = decode(
        "struct t {\n body: bytes[n]\n n: u8 at @input_size - 1 lazy\n}",
        &[1, 2, 3, 3],
    );
    assert_eq!(v, json!({"body": "010203", "n": 3}));
}

#[test]
fn a_child_reads_a_parent_lazy_field_that_depends_on_later_data() {
    // the factor 10 is the last byte; each item's `scaled` is a * 10
    let v = decode(
        "struct t {\n items: item[2]\n factor: u8 at @input_size - 1 lazy\n}\n\
         struct item {\n a: u8\n scaled: = a * parent.factor\n}",
        &[2, 3, 10],
    );
    assert_eq!(
        v,
        json!({"items": [{"a": 2, "scaled": 20}, {"a": 3, "scaled": 30}], "factor": 10})
    );
}

#[test]
fn computed_lazy_fields_in_any_order() {
    // c = 5; b = c * 2 = 10; a = b + 1 = 11
    let v = decode(
        "struct t {\n c: u8\n a: = b + 1 lazy\n b: = c * 2 lazy\n}",
        &[5],
    );
    assert_eq!(v, json!({"c": 5, "a": 11, "b": 10}));
}

#[test]
fn a_failing_lazy_field_nothing_names_is_left_out() {
    let v = decode("struct t {\n x: u8\n far: u32 at 100 lazy\n}", &[7]);
    assert_eq!(v, json!({"x": 7}));
    let v = decode("struct t {\n x: u8\n q: = 10 / x lazy\n}", &[0]);
    assert_eq!(v, json!({"x": 0}));
}

#[test]
fn a_failing_lazy_field_that_is_named_fails_the_decode() {
    let e = data_err(
        "struct t {\n x: u8\n y: = far + 1\n far: u32 at 100 lazy\n}",
        &[7],
    );
    assert!(e.to_string().contains("100"), "{e}");
}

#[test]
fn struct_and_array_lazy_fields_are_written_in_full() {
    // header at offset 2: version 7, flags 0x0102 (little-endian 02 01)
    let v = decode(
        "struct t {\n v: = hdr.version * 2\n n: = offs[1]\n hdr: header at 2 lazy\n \
         offs: u8[2] at 0 lazy\n}\nstruct header {\n version: u8\n flags: u16\n}",
        &[4, 9, 7, 2, 1],
    );
    assert_eq!(
        v,
        json!({"v": 14, "n": 9, "hdr": {"version": 7, "flags": 0x0102}, "offs": [4, 9]})
    );
}

#[test]
fn children_read_a_struct_valued_lazy_field_of_their_parent() {
    // each element reads parent.hdr.k (k = 3 at offset 0): 1 * 3, 2 * 3
    let v = decode(
        "struct t {\n _: u8\n xs: e[2]\n hdr: h at 0 lazy\n}\nstruct h { k: u8 }\n\
         struct e {\n a: u8\n m: = a * parent.hdr.k\n}",
        &[3, 1, 2],
    );
    assert_eq!(
        v,
        json!({"xs": [{"a": 1, "m": 3}, {"a": 2, "m": 6}], "hdr": {"k": 3}})
    );
}

#[test]
fn a_lazy_field_decodes_in_its_own_structs_byte_order() {
    // the big-endian struct's lazy u16 at offset 0 is 0x0102 even when a little-endian
    // child names it first
    let v = decode(
        "struct t {\n inner: b\n}\nstruct b endian big {\n c: l\n w: u16 at 0 lazy\n}\n\
         struct l endian little {\n x: u8\n y: = parent.w\n}",
        &[1, 2],
    );
    assert_eq!(
        v,
        json!({"inner": {"c": {"x": 1, "y": 0x0102}, "w": 0x0102}})
    );
}

#[test]
fn a_lazy_field_that_names_itself_is_left_out() {
    let v = decode("struct t {\n a: = b lazy\n b: = a lazy\n c: u8\n}", &[1]);
    assert_eq!(v, json!({"c": 1}));
}

#[test]
fn lazy_needs_at_or_a_computed_value_and_a_field() {
    assert!(desc_err("struct t { a: u8 lazy }").contains("`lazy` applies to fields with `at`"));
    assert!(desc_err("struct t { a: u8[2] each at 0 lazy }").contains("`lazy` applies"));
    assert!(
        desc_err("struct t { a: match 1 { _ => u8 at 0 lazy } }")
            .contains("not to an element or an arm")
    );
    assert!(desc_err("struct t { a: = 1 lazy lazy }").contains("given twice"));
    assert!(desc_err("struct t { a: = 1 lazy\n a: u8 }").contains("declared twice"));
}

#[test]
fn fail_is_a_data_error_with_its_message_when_evaluated() {
    // x = 1, so the condition picks `fail`: the decode stops with the message
    let e = data_err(
        "struct t {\n x: u8\n y: = x == 1 ? fail(\"bad x\") : x\n}",
        &[1],
    );
    assert!(e.to_string().contains("bad x"), "{e}");
    // x = 2: `fail` is not evaluated and y is x
    let v = decode(
        "struct t {\n x: u8\n y: = x == 1 ? fail(\"bad x\") : x\n}",
        &[2],
    );
    assert_eq!(v, json!({"x": 2, "y": 2}));
    // a lazy field that fails and that nothing names is left out (Kaitai's instance in
    // an unknown encoding)
    let v = decode("struct t {\n x: u8\n z: = fail(\"unknown\") lazy\n}", &[3]);
    assert_eq!(v, json!({"x": 3}));
    let e = desc_err("struct t {\n x: u8\n y: = fail(x)\n}");
    assert!(e.contains("argument 1 of `fail`"), "{e}");
}

#[test]
fn a_lazy_field_of_its_own_struct_at_its_own_place_is_left_out_inside_itself() {
    // header is t at 1: code 0x41; its own header would be t at 1 again, inside itself, so
    // it is left out (and so is its `same`, which names it); the outer `same` is header
    let d = "struct t {\n code: u8\n header: t at 1 lazy\n same: = header lazy\n}";
    let v = decode(d, &[0x50, 0x41, 0x43]);
    assert_eq!(
        v,
        json!({"code": 0x50, "header": {"code": 0x41}, "same": {"code": 0x41}})
    );
    // named, it is an error that says so
    let d = "struct t {\n code: u8\n header: t at 1 lazy\n deep: = header.header.code\n}";
    let e = data_err(d, &[0x50, 0x41, 0x43]);
    assert!(e.to_string().contains("would contain itself"), "{e}");
}

#[test]
fn a_lazy_field_reads_its_own_struct_through_root() {
    // `root.hdr` while hdr is decoded: the hdr so far (n = 5), as Kaitai reads an instance
    // once the struct is there; 5 + 1 = 6
    let v = decode(
        "struct t { hdr: hdr }\nstruct hdr { n: u8\n m: = root.hdr.n + 1 lazy }",
        &[5],
    );
    assert_eq!(v, json!({"hdr": {"n": 5, "m": 6}}));
}

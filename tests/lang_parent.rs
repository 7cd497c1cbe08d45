//! `parent E` on a field: inside the struct the field decodes, `parent` is struct E
//! (Kaitai Struct's `parent:`). The input bytes are built field by field below; the
//! expected values restate them.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{decode, desc_err};
use serde_json::json;

#[test]
fn parent_modifier_says_what_parent_means_inside_the_struct() {
    // n = 2: `a` reads 2 bytes (aa bb) through its own parent `t`; `m.b` is decoded inside
    // `mid`, but `parent t` makes its `parent.n` t's n as well: cc dd
    let v = decode(
        "struct t {\n n: u8\n a: c\n m: mid\n}\n\
         struct mid {\n k: u8\n b: c parent parent\n}\n\
         struct c {\n d: bytes[parent.n]\n}",
        &[2, 0xaa, 0xbb, 9, 0xcc, 0xdd],
    );
    assert_eq!(
        v,
        json!({"n": 2, "a": {"d": "aabb"}, "m": {"k": 9, "b": {"d": "ccdd"}}})
    );
    // a struct that is not an enclosing one: hdr.n = 3, so `b.d` is the next 3 bytes
    let v = decode(
        "struct t {\n hdr: h\n b: c parent hdr\n}\nstruct h {\n n: u8\n}\n\
         struct c {\n d: bytes[parent.n]\n}",
        &[3, 1, 2, 3],
    );
    assert_eq!(v, json!({"hdr": {"n": 3}, "b": {"d": "010203"}}));
    // on every element of an array of structs: n = 1, two elements of one byte each
    let v = decode(
        "struct t {\n n: u8\n m: mid\n}\nstruct mid {\n b: c[2] parent parent\n}\n\
         struct c {\n d: bytes[parent.n]\n}",
        &[1, 7, 8],
    );
    assert_eq!(v, json!({"n": 1, "m": {"b": [{"d": "07"}, {"d": "08"}]}}));
}

#[test]
fn parent_modifier_needs_a_struct_field_and_a_struct_value() {
    let e = desc_err("struct t {\n x: u8 parent root\n}");
    assert!(
        e.contains("applies to a field that decodes a struct"),
        "{e}"
    );
    let e = desc_err("struct t {\n k: u8\n x: c parent k\n}\nstruct c {\n y: u8\n}");
    assert!(e.contains("`parent` needs a struct"), "{e}");
}

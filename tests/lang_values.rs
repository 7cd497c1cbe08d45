//! Computed fields whose value is a struct or an array of structs: written in full (as the
//! field they name is written) and readable by later expressions. The input bytes are built
//! field by field below; the expected values restate them.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::decode;
use serde_json::json;

/// `pt { x: u8, y: u16 le }` for each (x, y).
fn points(ps: &[(u8, u16)]) -> Vec<u8> {
    let mut d = Vec::new();
    for &(x, y) in ps {
        d.push(x);
        d.extend_from_slice(&y.to_le_bytes());
    }
    d
}

#[test]
fn a_struct_value_is_written_in_full_and_its_fields_read() {
    // a = (3, 0x0102), b = (9, 0x0304): b has the larger x, so `pick` is b and `py` its y
    let data = points(&[(3, 0x0102), (9, 0x0304)]);
    let v = decode(
        "struct t {\n a: pt\n b: pt\n pick: = a.x > b.x ? a : b\n py: = pick.y\n}\n\
         struct pt {\n x: u8\n y: u16le\n}",
        &data,
    );
    assert_eq!(
        v,
        json!({
            "a": {"x": 3, "y": 258},
            "b": {"x": 9, "y": 772},
            "pick": {"x": 9, "y": 772},
            "py": 772
        })
    );
}

#[test]
fn arrays_of_structs_and_their_elements_as_values() {
    let data = points(&[(1, 10), (2, 20), (3, 30)]);
    let v = decode(
        "struct t {\n pts: pt[3]\n all: = pts\n last: = pts[-1]\n mid: = pts[1..2]\n}\n\
         struct pt {\n x: u8\n y: u16le\n}",
        &data,
    );
    let p = |x: u8, y: u16| json!({"x": x, "y": y});
    assert_eq!(
        v,
        json!({
            "pts": [p(1, 10), p(2, 20), p(3, 30)],
            "all": [p(1, 10), p(2, 20), p(3, 30)],
            "last": p(3, 30),
            "mid": [p(2, 20)]
        })
    );
}

#[test]
fn a_struct_value_is_written_inside_the_structs_that_enclosed_it() {
    // n = 4; each item's `scaled` is v * parent.n: 2 * 4 = 8 and 5 * 4 = 20
    let v = decode(
        "struct t {\n n: u8\n items: item[2]\n last: = items[1]\n}\n\
         struct item {\n v: u8\n scaled: = v * parent.n\n}",
        &[4, 2, 5],
    );
    let it = |v: u8, s: u8| json!({"v": v, "scaled": s});
    assert_eq!(
        v,
        json!({"n": 4, "items": [it(2, 8), it(5, 20)], "last": it(5, 20)})
    );
}

#[test]
fn a_struct_that_contains_the_value_is_written_as_null() {
    // the root is still being decoded where `me` is written: it would contain itself
    let v = decode("struct t {\n a: u8\n me: = root\n}", &[7]);
    assert_eq!(v, json!({"a": 7, "me": null}));
}

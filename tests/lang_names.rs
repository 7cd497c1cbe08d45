//! Names with a meaning of their own: fields named `root` and `parent`, and a field's own
//! name in its `valid`. The expected values restate the bytes each test writes.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{data_err, decode};
use serde_json::json;

#[test]
fn fields_named_root_and_parent() {
    // written under their names; bare `root`/`parent` still mean the outer structs, and
    // `x.root` names the field of x: inner.root (7) + root.root (1)
    let desc = "struct t { root: u8; parent: u8; inner: inner; sum: = inner.root + root.root }
                struct inner { root: u8 }";
    assert_eq!(
        decode(desc, &[1, 2, 7]),
        json!({"root": 1, "parent": 2, "inner": {"root": 7}, "sum": 8})
    );
}

#[test]
fn a_field_named_in_its_own_valid_is_the_value_checked() {
    let desc = "struct t { kind: u8 valid kind == 3 || kind == 5; n: u16le valid n % 2 == 0 }";
    assert_eq!(decode(desc, &[5, 0x10, 0]), json!({"kind": 5, "n": 16}));
    data_err(desc, &[4, 0x10, 0]);
    data_err(desc, &[3, 0x11, 0]);
}

#[test]
fn a_parameter_read_from_outside() {
    // `r.k` is the argument r was decoded with: n (2)
    let desc = "struct t { n: u8; r: r(n); m: = r.k }\nstruct r(k) { x: u8[k] }";
    assert_eq!(
        decode(desc, &[2, 5, 6]),
        json!({"n": 2, "r": {"x": [5, 6]}, "m": 2})
    );
}

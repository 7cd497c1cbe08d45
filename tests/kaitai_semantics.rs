//! `.ksy` specs whose meaning goes beyond the syntax: names Kaitai gives a meaning of their
//! own, `valid` naming its field, `_sizeof`, top types with parameters. Expected values are
//! worked out by hand from the bytes each test writes.

use serde_json::{Value, json};
use unstruct::decode::{Options, decode_document};
use unstruct::emit::tree::TreeSink;
use unstruct::plan::Plan;
use unstruct::{DataError, Input};

fn compile(spec: &str) -> Plan {
    unstruct::ksy::compile_str("test.ksy", spec, &[]).unwrap_or_else(|e| panic!("spec error:\n{e}"))
}

fn run(spec: &str, data: &[u8]) -> Result<Value, DataError> {
    let plan = compile(spec);
    let mut sink = TreeSink::default();
    decode_document(&plan, Input::whole(data), Options::default(), &mut sink)?;
    Ok(sink.values.pop().expect("one document"))
}

fn decode(spec: &str, data: &[u8]) -> Value {
    run(spec, data).unwrap_or_else(|e| panic!("data error: {e}"))
}

#[test]
fn fields_named_root_and_parent_are_written_under_their_names() {
    // `_root`/`_parent` still mean the outer structs: `_parent.root` (1) + `_root.root` (1)
    // inside, `inner.root` (7) outside
    let spec = "
meta: {id: t, endian: le}
seq:
  - id: root
    type: u1
  - id: parent
    type: u1
  - id: inner
    type: inner
instances:
  inner_root:
    value: inner.root
types:
  inner:
    seq:
      - id: root
        type: u1
    instances:
      sum:
        value: _parent.root + _root.root
";
    assert_eq!(
        decode(spec, &[1, 2, 7]),
        json!({"root": 1, "parent": 2, "inner": {"root": 7, "sum": 2}, "inner_root": 7})
    );
    // the bare name is not read yet: rather an error than `_root` instead of the field
    let bare = spec.replace("_root.root\n", "_root.root + root\n");
    let err = unstruct::ksy::compile_str("test.ksy", &bare, &[])
        .map(|_| ())
        .expect_err("rejected")
        .to_string();
    assert!(err.contains("naming the field `root`"), "{err}");
}

#[test]
fn a_field_named_in_its_own_valid_is_the_value_checked() {
    let spec = "
meta: {id: t, endian: le}
seq:
  - id: kind
    type: u1
    valid:
      expr: kind == 3 or kind == 5
  - id: len
    type: u2
    valid:
      max: 0x100
      expr: len % 2 == 0
";
    // 5, then 0x0010: both hold
    assert_eq!(decode(spec, &[5, 0x10, 0]), json!({"kind": 5, "len": 16}));
    // 4 is neither 3 nor 5
    assert!(run(spec, &[4, 0x10, 0]).is_err());
    // 0x0011 is odd
    assert!(run(spec, &[3, 0x11, 0]).is_err());
}

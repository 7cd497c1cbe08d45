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

#[test]
fn sizeof_of_a_later_field_with_a_fixed_size() {
    // hdr (2 bytes: len_header = 6), body (6 - 2 - 1 = 3 bytes), then the 1-byte terminator
    let spec = "
meta: {id: t, endian: le}
seq:
  - id: hdr
    type: hdr
  - id: body
    size: hdr.len_header - hdr._sizeof - terminator._sizeof
  - id: terminator
    contents: [0x0d]
types:
  hdr:
    seq:
      - id: len_header
        type: u2
";
    assert_eq!(
        decode(spec, &[6, 0, 0xaa, 0xbb, 0xcc, 0x0d]),
        json!({"hdr": {"len_header": 6}, "body": "aabbcc", "terminator": "0d"})
    );
}

#[test]
fn sizeof_of_a_field_named_like_a_type() {
    // `tag` is both a field and a type whose size depends on the data: the field's size
    // (4, its `contents`) is meant
    let spec = "
meta: {id: t, endian: le}
seq:
  - id: len_data
    type: u1
  - id: tag
    contents: WEBP
  - id: payload
    size: len_data - tag._sizeof
types:
  tag:
    seq:
      - id: n
        type: u1
      - id: rest
        size: n
";
    assert_eq!(
        decode(spec, &[6, b'W', b'E', b'B', b'P', 1, 2]),
        json!({"len_data": 6, "tag": "57454250", "payload": "0102"})
    );
}

#[test]
fn sizeof_in_an_instance_position_needs_no_decode() {
    // the footer (op: u1, len_body: u2) sits 3 + 1 bytes before the end (the last byte is a
    // magic): `footer.op._sizeof` and `footer.len_body._sizeof` are read without decoding
    // `footer`, whose position depends on them
    let spec = "
meta: {id: t, endian: le}
seq:
  - id: data
    size-eos: true
instances:
  footer:
    pos: ofs_footer
    type: footer
  ofs_footer:
    value: _io.size - footer.op._sizeof - footer.len_body._sizeof - sizeof<magic>
types:
  footer:
    seq:
      - id: op
        type: u1
      - id: len_body
        type: u2
  magic:
    seq:
      - id: m
        type: u1
";
    // 8 bytes: the footer at 8 - 1 - 2 - 1 = 4: op 2, len_body 0x0105
    assert_eq!(
        decode(spec, &[9, 9, 9, 9, 2, 5, 1, 0xee]),
        json!({"data": "09090909020501ee", "footer": {"op": 2, "len_body": 0x105}, "ofs_footer": 4})
    );
}

#[test]
fn a_top_type_with_parameters_loads_and_is_decoded_with_arguments() {
    let dir = std::env::temp_dir().join(format!("unstruct-ksy-params-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let body = "
meta: {id: body}
params:
  - id: len_x
    type: u1
seq:
  - id: x
    size: len_x
";
    std::fs::write(dir.join("body.ksy"), body).expect("write body.ksy");
    // on its own it loads, and decoding it as the root says what it needs
    let plan = compile(body);
    let mut sink = TreeSink::default();
    let err = decode_document(&plan, Input::whole(&[1, 2]), Options::default(), &mut sink)
        .map(|_| ())
        .expect_err("no arguments");
    assert!(
        err.to_string().contains("takes parameters (`len_x`)"),
        "{err}"
    );
    // imported, it gets its argument: n = 2, then x of 2 bytes
    let main = "
meta: {id: top, imports: [body]}
seq:
  - id: n
    type: u1
  - id: b
    type: body(n)
";
    let plan = unstruct::ksy::compile(
        unstruct::lang::Source {
            name: "top.ksy".into(),
            text: main.into(),
            dir: Some(dir.clone()),
        },
        None,
        std::slice::from_ref(&dir),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut sink = TreeSink::default();
    decode_document(
        &plan,
        Input::whole(&[2, 0xab, 0xcd]),
        Options::default(),
        &mut sink,
    )
    .expect("decodes");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        sink.values.pop().expect("one document"),
        json!({"n": 2, "b": {"len_x": 2, "x": "abcd"}})
    );
}

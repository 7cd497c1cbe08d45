//! Arrays: counted, rest, `until` and `while` arrays, multi-dimensional arrays, per-element
//! `each size`/`each at`/`each if`, indexing and `len`, an array's own name inside its
//! elements; and records mode, where the input is a sequence of records. Expected values
//! are computed independently in the tests (bytes built with `to_le_bytes`/`to_be_bytes`,
//! numbers stated literally).

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{assert_desc_err, cat, compile, data_err, decode};
use serde_json::{Value, json};
use unstruct::decode::Options;
use unstruct::emit::tree::TreeSink;
use unstruct::error::DataErrorKind;
use unstruct::records::{RecordsConfig, run_slice};
use unstruct::{DataError, Input};

/// Records mode over a slice: the values written and the result.
fn records(
    desc: &str,
    ty: &str,
    data: &[u8],
) -> (Vec<Value>, Result<unstruct::records::Summary, DataError>) {
    let plan = compile(desc);
    let sid = plan.struct_by_name(ty).expect("record type");
    let mut sink = TreeSink::default();
    let r = run_slice(
        &plan,
        sid,
        Input::whole(data),
        Options::default(),
        &RecordsConfig::default(),
        &mut sink,
        &mut |_, _, _| {},
    );
    let r = r.map_err(|e| match e {
        unstruct::records::RunError::Data(e) => e,
        other => panic!("not a data error: {other}"),
    });
    (sink.values, r)
}

// ------------------------------------------------------------------ arrays

#[test]
fn counted_and_rest_arrays() {
    let d = "struct t { n: u8; a: u16[2]; b: u8[n]; c: u16[..] }";
    let data = cat(&[
        &[2],
        &1u16.to_le_bytes(),
        &2u16.to_le_bytes(),
        &[7, 8],
        &3u16.to_le_bytes(),
        &4u16.to_le_bytes(),
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"n": 2, "a": [1, 2], "b": [7, 8], "c": [3, 4]})
    );
    assert_eq!(
        decode("struct t { a: u8[0]; b: u32[..] }", &[]),
        json!({"a": [], "b": []})
    );
}

#[test]
fn rest_array_must_end_on_an_element_boundary() {
    let e = data_err("struct t { x: u8; xs: u16[..] }", &[0, 1, 0, 2, 0, 3]);
    assert!(
        matches!(e.kind, DataErrorKind::Truncated { need: 2, left: 1 }),
        "{e}"
    );
    assert_eq!(e.path_string(), "t.xs[2]");
    assert_eq!(e.offset, 5);
}

#[test]
fn until_png_iend_style() {
    let d = r#"
struct png {
    sig: [0x89, 0x50, 0x4e, 0x47]
    chunks: chunk[..] until _.type == "IEND"
}
struct chunk { len: u32be; type: str[4]; data: bytes[len] }
"#;
    let data = cat(&[
        &[0x89, 0x50, 0x4e, 0x47],
        &2u32.to_be_bytes(),
        b"IHDR",
        &[1, 2],
        &0u32.to_be_bytes(),
        b"IEND",
        b"trailing bytes are not an error",
    ]);
    assert_eq!(
        decode(d, &data),
        json!({"sig": "89504e47", "chunks": [
            {"len": 2, "type": "IHDR", "data": "0102"},
            {"len": 0, "type": "IEND", "data": ""}
        ]})
    );
    // the region ends before the condition held
    let e = data_err(
        d,
        &cat(&[&[0x89, 0x50, 0x4e, 0x47], &0u32.to_be_bytes(), b"IDAT"]),
    );
    assert_eq!(e.kind, DataErrorKind::UntilEnd);
    assert_eq!(e.path_string(), "png.chunks");
}

#[test]
fn until_on_primitives() {
    let d = "struct t { xs: u8[..] until _ == 0; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[3, 2, 0, 9]),
        json!({"xs": [3, 2, 0], "rest": "09"})
    );
}

#[test]
fn while_with_index_and_peek() {
    let d = "struct t { xs: u8[..] while @index < 3; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[1, 2, 3, 4, 5]),
        json!({"xs": [1, 2, 3], "rest": "0405"})
    );
    // stops at the region end without error
    assert_eq!(decode(d, &[1, 2]), json!({"xs": [1, 2], "rest": ""}));
    // a sentinel checked before each element (the sentinel is not consumed)
    let d = "struct t { xs: u8[..] while (u8 at @offset) != 0; z: u8; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[7, 8, 0, 9]),
        json!({"xs": [7, 8], "z": 0, "rest": "09"})
    );
}

#[test]
fn multi_dimensional_arrays() {
    assert_eq!(
        decode("struct t { m: u8[2][3] }", &[1, 2, 3, 4, 5, 6]),
        json!({"m": [[1, 2, 3], [4, 5, 6]]})
    );
    // in bytes[n][c] the [n] belongs to the element: 3 elements of 2 bytes
    assert_eq!(
        decode("struct t { b: bytes[2][3] }", &[1, 2, 3, 4, 5, 6]),
        json!({"b": ["0102", "0304", "0506"]})
    );
    assert_eq!(
        decode("struct t { m: u16be[2][1][2] }", &[0, 1, 0, 2, 0, 3, 0, 4]),
        json!({"m": [[[1, 2]], [[3, 4]]]})
    );
    assert_eq!(
        decode("struct t { s: str[2][2] }", b"abcd"),
        json!({"s": ["ab", "cd"]})
    );
}

#[test]
fn each_size_per_element_regions() {
    let d = "
struct t {
    entsize: u8
    count: u8
    entries: entry[count] each size entsize
    after: u8
}
struct entry { a: u8; rest: bytes[..] }
";
    assert_eq!(
        decode(d, &[3, 2, 1, 0xaa, 0xbb, 2, 0xcc, 0xdd, 9]),
        json!({"entsize": 3, "count": 2, "entries": [{"a": 1, "rest": "aabb"}, {"a": 2, "rest": "ccdd"}], "after": 9})
    );
}

#[test]
fn each_at_with_index() {
    let d = "
struct t {
    offs: u8[3]
    items: u8[3] each at offs[@index]
    next: u8
}
";
    // offsets 6, 4, 5 point at values 60, 40, 50; the cursor does not move: next is data[3]
    assert_eq!(
        decode(d, &[6, 4, 5, 1, 40, 50, 60]),
        json!({"offs": [6, 4, 5], "items": [60, 40, 50], "next": 1})
    );
}

#[test]
fn each_if_holes_keep_their_index_java_constant_pool() {
    // Java's constant pool: entries 1..count-1; a Long (tag 5) or Double (tag 6) takes two
    // slots, the second one is a hole. The array's own name means the elements so far.
    let d = "
struct class {
    count: u16be
    pool: cp[count] each if @index > 0 && !((pool[@index - 1].tag ?? 0) == 5 || (pool[@index - 1].tag ?? 0) == 6)
    after: u8
}
struct cp {
    tag: u8
    value: match tag {
        5 | 6 => u64be
        1 => u16be
    }
}
";
    let data = cat(&[
        &5u16.to_be_bytes(), // slots 0..4: 0 hole, 1 u16, 2 long, 3 hole, 4 u16
        &[1],
        &7u16.to_be_bytes(),
        &[5],
        &0x0102_0304_0506_0708u64.to_be_bytes(),
        &[1],
        &9u16.to_be_bytes(),
        &[0xee],
    ]);
    // holes are neither decoded nor emitted
    assert_eq!(
        decode(d, &data),
        json!({"count": 5, "pool": [
            {"tag": 1, "value": 7},
            {"tag": 5, "value": 72623859790382856u64},
            {"tag": 1, "value": 9}
        ], "after": 238})
    );
    // a field of a hole is absent: without `??` that is a data error
    let strict = d
        .replace("(pool[@index - 1].tag ?? 0)", "pool[@index - 1].tag")
        .replace("@index > 0 &&", "@index > 1 &&");
    let e = data_err(&strict, &cat(&[&3u16.to_be_bytes(), &[0, 1, 0, 1, 0]]));
    assert!(matches!(e.kind, DataErrorKind::Absent(_)), "{e}");
    assert_eq!(e.path_string(), "class.pool[2]");
}

#[test]
fn each_if_hole_is_absent_when_indexed() {
    // a hole keeps its index: xs[1] is absent (?? gives the default), xs[2] is the second value
    let d =
        "struct t { xs: u8[3] each if @index != 1; a: = xs[1] ?? 99; b: = xs[2]; n: = len(xs) }";
    assert_eq!(
        decode(d, &[10, 20]),
        json!({"xs": [10, 20], "a": 99, "b": 20, "n": 3})
    );
}

#[test]
fn array_indexing_and_len() {
    let d = "struct t { xs: u8[4]; a: = xs[1]; b: = xs[-1]; c: = xs[-4]; n: = len(xs); s: = xs[0] + xs[3] }";
    assert_eq!(
        decode(d, &[5, 6, 7, 8]),
        json!({"xs": [5, 6, 7, 8], "a": 6, "b": 8, "c": 5, "n": 4, "s": 13})
    );
    let e = data_err("struct t { xs: u8[2]; a: = xs[2] }", &[1, 2]);
    assert_eq!(e.kind, DataErrorKind::IndexOut { index: 2, len: 2 });
    assert_eq!(e.path_string(), "t.a");
    let e = data_err("struct t { xs: u8[2]; a: = xs[-3] }", &[1, 2]);
    assert_eq!(e.kind, DataErrorKind::IndexOut { index: -3, len: 2 });
}

#[test]
fn array_of_structs_field_access() {
    let d = "
struct t { items: item[2]; first: = items[0].v; last: = items[-1].v }
struct item { v: u8 }
";
    assert_eq!(
        decode(d, &[3, 4]),
        json!({"items": [{"v": 3}, {"v": 4}], "first": 3, "last": 4})
    );
}

#[test]
fn array_own_name_means_elements_so_far() {
    // each element is the previous one plus its own byte (a running sum)
    let d = "
struct t { sums: acc[3] }
struct acc { d: u8; sum: = d + (@index > 0 ? parent.sums[@index - 1].sum : 0) }
";
    assert_eq!(
        decode(d, &[1, 2, 3]),
        json!({"sums": [{"d": 1, "sum": 1}, {"d": 2, "sum": 3}, {"d": 3, "sum": 6}]})
    );
    // in the array's own `while`
    let d = "struct t { xs: u8[..] while @index == 0 || xs[-1] != 0; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[4, 5, 0, 6]),
        json!({"xs": [4, 5, 0], "rest": "06"})
    );
}

#[test]
fn until_and_while_see_the_array_itself() {
    let d = "struct t { xs: u8[..] until len(xs) == 3; rest: bytes[..] }";
    assert_eq!(
        decode(d, &[1, 2, 3, 4]),
        json!({"xs": [1, 2, 3], "rest": "04"})
    );
    // records of a table whose entries refer to the previous entry
    let d = "struct t { xs: u16[..] while @index == 0 || xs[@index - 1] < 100 }";
    let data = cat(&[
        &5u16.to_le_bytes(),
        &200u16.to_le_bytes(),
        &7u16.to_le_bytes(),
    ]);
    assert_eq!(decode(d, &data), json!({"xs": [5, 200]}));
}

#[test]
fn own_name_is_not_visible_in_the_count() {
    // inside the count, the array does not exist yet: the name means nothing decoded before it
    assert_desc_err(
        "struct t {\n    xs: u8[len(xs)]\n    n: = len(xs)\n}\n",
        "`xs` is declared later",
        (2, 16),
    );
}

#[test]
fn each_at_with_each_size_sqlite_pages_style() {
    let d = "
struct t { page_size: u8; pages: page[2] each at 1 + @index * page_size each size page_size }
struct page { first: u8; left: = @remaining }
";
    assert_eq!(
        decode(d, &[3, 10, 0, 0, 20, 0, 0]),
        json!({"page_size": 3, "pages": [{"first": 10, "left": 2}, {"first": 20, "left": 2}]})
    );
}

// ------------------------------------------------------------------ records mode

#[test]
fn records_several() {
    let d = "struct rec { i: = @index; a: u8; s: strz }";
    let (vals, r) = records(d, "rec", b"\x01ab\0\x02\0\x03xyz\0");
    let s = r.unwrap();
    assert_eq!(s.written, 3);
    assert_eq!(
        vals,
        vec![
            json!({"i": 0, "a": 1, "s": "ab"}),
            json!({"i": 1, "a": 2, "s": ""}),
            json!({"i": 2, "a": 3, "s": "xyz"})
        ]
    );
}

#[test]
fn records_truncated_last_variable_record() {
    let d = "struct rec { a: u8; s: strz }";
    let (vals, r) = records(d, "rec", b"\x01ab\0\x02cd\0\x03ef");
    let e = r.unwrap_err();
    assert!(matches!(e.kind, DataErrorKind::NoTerminator { .. }), "{e}");
    assert_eq!(e.offset, 9);
    assert_eq!(e.path_string(), "rec[2].s");
    // every complete record was emitted first
    assert_eq!(
        vals,
        vec![json!({"a": 1, "s": "ab"}), json!({"a": 2, "s": "cd"})]
    );
}

#[test]
fn records_truncated_last_fixed_record() {
    let d = "struct rec { i: = @index; a: u16; b: u8 }";
    let data = cat(&[&1u16.to_le_bytes(), &[10], &2u16.to_le_bytes(), &[20], &[3]]);
    let (vals, r) = records(d, "rec", &data);
    let e = r.unwrap_err();
    assert_eq!(e.kind, DataErrorKind::Remainder { left: 1, size: 3 });
    assert_eq!(e.offset, 6);
    assert_eq!(e.path_string(), "rec[2]");
    assert_eq!(
        vals,
        vec![
            json!({"i": 0, "a": 1, "b": 10}),
            json!({"i": 1, "a": 2, "b": 20})
        ]
    );
}

#[test]
fn records_index_is_the_record_number_inside_arrays_too() {
    // inside an array of a record, @index is the element number; after it the record number
    let d = "struct rec { xs: elem[2]; r: = @index }\nstruct elem { e: = @index; v: u8 }";
    let (vals, r) = records(d, "rec", &[1, 2, 3, 4]);
    r.unwrap();
    assert_eq!(
        vals,
        vec![
            json!({"xs": [{"e": 0, "v": 1}, {"e": 1, "v": 2}], "r": 0}),
            json!({"xs": [{"e": 0, "v": 3}, {"e": 1, "v": 4}], "r": 1})
        ]
    );
}

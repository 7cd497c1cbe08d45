//! Streams and sizes in the `.struct` language: `@io` (the current stream: a `size` region
//! is a stream of its own), `io(x)`, `at E in S`, stream values and parameters, `@size` and
//! `sizeof(x)` of values. Expected values are worked out by hand from the bytes (each
//! test says how), as Kaitai Struct's `_io`, `pos`/`io` and `_sizeof` define them.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{data_err, decode, desc_err};
use serde_json::json;

#[test]
fn io_pos_counts_from_the_region() {
    // pre = 1; body is bytes 1..7: a = 0x1234 (le), then the cursor is 2 bytes into the
    // region (3 into the input); the region holds 6 bytes; c = 0xddccbbaa ends it
    let v = decode(
        "struct t {\n pre: u8\n body: inner size 6\n}\n\
         struct inner {\n a: u16\n p: = @io.pos\n o: = @offset\n s: = @io.size\n n: = len(@io)\n \
         e: = @io.eof\n c: u32\n e2: = @io.eof\n}",
        &[1, 0x34, 0x12, 0xaa, 0xbb, 0xcc, 0xdd, 0xee],
    );
    assert_eq!(
        v,
        json!({"pre": 1, "body": {"a": 0x1234, "p": 2, "o": 3, "s": 6, "n": 6, "e": false,
               "c": 0xddcc_bbaa_u32, "e2": true}})
    );
}

#[test]
fn outside_regions_the_stream_is_the_input() {
    // 3 bytes: after `a` the cursor is at 1 of 3
    let v = decode(
        "struct t {\n a: u8\n p: = @io.pos\n s: = @io.size\n e: = @io.eof\n}",
        &[7, 8, 9],
    );
    assert_eq!(v, json!({"a": 7, "p": 1, "s": 3, "e": false}));
}

#[test]
fn eof_waits_for_the_bits_of_a_partly_read_byte() {
    // 0xab: 4 bits read of the last byte, so not at the end; `pos` counts that byte as read
    let v = decode(
        "struct t {\n a: b4\n e: = @io.eof\n p: = @io.pos\n b: b4\n e2: = @io.eof\n}",
        &[0xab],
    );
    assert_eq!(
        v,
        json!({"a": 0xa, "e": false, "p": 1, "b": 0xb, "e2": true})
    );
}

#[test]
fn at_in_a_stream() {
    // body is bytes 1..5; `at 2 in @io` is input byte 3 (12), plain `at 2` is input byte 2 (11)
    let v = decode(
        "struct t {\n skip: u8\n body: inner size 4\n}\n\
         struct inner {\n x: u8 at 2 in @io\n y: u8 at 2\n}",
        &[9, 10, 11, 12, 13],
    );
    assert_eq!(v, json!({"skip": 9, "body": {"x": 12, "y": 11}}));
    // b is bytes 3..6: 1 into it is input byte 4 (5)
    let desc = "struct t {\n a: blob size 3\n b: blob size 3\n v: u8 at 1 in io(b)\n \
                w: u8 at 0 in io(root)\n}\nstruct blob { k: u8 }";
    let v = decode(desc, &[1, 2, 3, 4, 5, 6]);
    assert_eq!(v, json!({"a": {"k": 1}, "b": {"k": 4}, "v": 5, "w": 1}));
}

#[test]
fn at_in_a_stream_ends_with_the_stream() {
    // b's region has 3 bytes: a u16 at 2 needs 2 but 1 is left, though the input has more
    let e = data_err(
        "struct t {\n a: blob size 3\n v: u16 at 2 in io(a)\n}\nstruct blob { k: u8 }",
        &[1, 2, 3, 4, 5, 6],
    );
    assert!(e.to_string().contains("need 2 bytes, only 1 left"), "{e}");
    let e = data_err(
        "struct t {\n a: blob size 3\n v: u8 at 4 in io(a)\n}\nstruct blob { k: u8 }",
        &[1, 2, 3, 4, 5, 6],
    );
    assert!(e.to_string().contains("outside"), "{e}");
}

#[test]
fn streams_are_values() {
    // flag 1 picks b (4 bytes), else a (2 bytes); the parameter's size sizes `buf`
    let desc = "struct t {\n flag: u8\n a: blob size 2\n b: blob size 4\n \
                s: = flag == 1 ? io(b) : io(a)\n n: = s.size\n p: user(s)\n}\n\
                struct blob { k: u8 }\nstruct user(st) { buf: bytes[st.size] }";
    let v = decode(desc, &[1, 10, 11, 20, 21, 22, 23, 0xaa, 0xbb, 0xcc, 0xdd]);
    assert_eq!(
        v,
        json!({"flag": 1, "a": {"k": 10}, "b": {"k": 20}, "s": {"offset": 3, "size": 4},
               "n": 4, "p": {"buf": "aabbccdd"}})
    );
    let v = decode(desc, &[0, 10, 11, 20, 21, 22, 23, 0xaa, 0xbb, 0xcc, 0xdd]);
    assert_eq!(v["n"], json!(2));
    assert_eq!(v["s"], json!({"offset": 1, "size": 2}));
    // io(x).pos: where x ended in its stream (k took 1 of the 4 bytes of b)
    let v = decode(
        "struct t {\n b: blob size 4\n p: = io(b).pos\n e: = io(b).eof\n}\nstruct blob { k: u8 }",
        &[1, 2, 3, 4],
    );
    assert_eq!(v, json!({"b": {"k": 1}, "p": 1, "e": false}));
}

#[test]
fn sizes_of_values() {
    // h: u8 + u32 = 5 bytes; sz: the same type in a region of 8; n: u16; 5 + 8 + 2 = 15
    let desc = "struct t {\n h: hdr\n sz: hdr size 8\n n: u16\n a: = sizeof(h)\n \
                b: = sizeof(sz)\n c: = sizeof(h.v)\n d: = sizeof(n)\n e: = @size\n \
                f: = sizeof(hdr)\n}\nstruct hdr { v: u8; w: u32 }";
    let data: Vec<u8> = (0..15).collect();
    let v = decode(desc, &data);
    assert_eq!(v["a"], json!(5));
    assert_eq!(v["b"], json!(8));
    assert_eq!(v["c"], json!(1));
    assert_eq!(v["d"], json!(2));
    assert_eq!(v["e"], json!(15));
    assert_eq!(v["f"], json!(5));
    // text and bytes: their length
    let v = decode(
        "struct t {\n s: strz\n b: bytes[3]\n x: = sizeof(s)\n y: = sizeof(b)\n}",
        b"abc\0xyz",
    );
    assert_eq!(v["x"], json!(3));
    assert_eq!(v["y"], json!(3));
}

#[test]
fn sizes_of_fields_that_need_no_decode() {
    // a field declared later, of a fixed size: body takes 4 - 1 = 3 bytes before the 1-byte
    // `end`; `tail` (at 6, lazy) is a u16 whose position depends on sizeof(tail.v)
    let desc = "struct t {\n n: u8\n body: bytes[n - sizeof(end)]\n end: u8\n \
                tail: pair at @input_size - sizeof(tail.v) - sizeof(tail.w) lazy\n}\n\
                struct pair { v: u8; w: u8 }";
    assert_eq!(
        decode(desc, &[4, 1, 2, 3, 0xff, 0, 7, 8]),
        json!({"n": 4, "body": "010203", "end": 255, "tail": {"v": 7, "w": 8}})
    );
    // a size that depends on the data cannot be known before the field is decoded
    assert!(desc_err("struct t {\n a: = sizeof(s)\n s: strz\n}").contains("declared later"));
}

#[test]
fn stream_errors() {
    assert!(desc_err("struct t { a: u8 in @io }").contains("goes with `at`"));
    assert!(desc_err("struct t { a: u8 at 0 in 3 }").contains("needs a stream"));
    assert!(desc_err("struct t { a: u8\n b: = io(a) }").contains("needs a struct"));
    assert!(desc_err("struct t { a: = @io.start }").contains("`pos`, `size` and `eof`"));
    assert!(desc_err("struct t { a: = sizeof(1) }").contains("one type name"));
}

#[test]
fn an_element_of_no_bytes_can_end_an_array_through_until() {
    // [1]: 3 bytes left, one taken; then 2 left, an empty element, and `until` holds;
    // without `until` holding, an element of no bytes is an error (it would repeat forever)
    let v = decode(
        "struct t {\n xs: bytes[@remaining > 2 ? 1 : 0][..] until len(_) == 0\n rest: bytes[..]\n}",
        &[1, 2, 3],
    );
    assert_eq!(v, json!({"xs": ["01", ""], "rest": "0203"}));
    let e = data_err(
        "struct t {\n xs: bytes[@remaining > 2 ? 1 : 0][..] until len(_) == 5\n}",
        &[1, 2, 3],
    );
    assert!(e.to_string().contains("no progress"), "{e}");
}

#[test]
fn first_and_last() {
    // arrays, bytes and text: their ends; a struct's fields of those names: the fields
    let v = decode(
        "struct t {\n a: u8[3]\n b: bytes[2]\n s: str[3]\n p: pair\n \
         x: = a.first + a.last\n y: = b.last\n z: = p.first - p.last\n}\n\
         struct pair { first: u8; last: u8 }",
        &[1, 2, 3, 0x10, 0x20, b'a', b'b', b'c', 9, 4],
    );
    assert_eq!(v["x"], json!(4));
    assert_eq!(v["y"], json!(0x20));
    assert_eq!(v["z"], json!(5));
}

#[test]
fn size_with_at_is_evaluated_where_the_field_is() {
    // after `a` the cursor is at 1: the region is 1 byte at 3 (8), not 3 bytes
    let v = decode(
        "struct t {\n a: u8\n b: bytes[..] at 3 size @offset\n}",
        &[5, 6, 7, 8, 9, 10, 11],
    );
    assert_eq!(v, json!({"a": 5, "b": "08"}));
}

//! The `process` modifier: XOR with an integer or bytes key, bit rotations, zlib and raw
//! deflate, per field and per element (`each process`). Compressed inputs are made by
//! CPython's zlib in the test; XOR and rotations are stated with the arithmetic shown.

#[path = "common/descriptor.rs"]
mod descriptor;

use descriptor::{compile, data_err, decode, desc_err};
use serde_json::json;
use std::process::Command;

/// CPython's output of a Python expression that yields bytes; None (with a note) when
/// python3 is missing, unless UNSTRUCT_REQUIRE_ORACLES is set.
fn python_bytes(expr: &str) -> Option<Vec<u8>> {
    let prog = format!("import sys, zlib\nsys.stdout.buffer.write({expr})");
    match Command::new("python3").arg("-c").arg(&prog).output() {
        Ok(out) if out.status.success() => Some(out.stdout),
        Ok(out) => panic!("python failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            assert!(
                std::env::var_os("UNSTRUCT_REQUIRE_ORACLES").is_none(),
                "python3 is required: {e}"
            );
            eprintln!("note: python3 not found, skipping");
            None
        }
    }
}

#[test]
fn xor_with_an_integer_key() {
    // "hi!" XOR 0xff: 0x68^0xff = 0x97, 0x69^0xff = 0x96, 0x21^0xff = 0xde
    let v = decode(
        "struct t { s: str[3] size 3 process xor(0xff)\n after: u8 }",
        &[0x97, 0x96, 0xde, 7],
    );
    assert_eq!(v, json!({"s": "hi!", "after": 7}));
}

#[test]
fn xor_with_a_bytes_key_from_a_field_repeats_the_key() {
    // key 01 02; 0x41^1 = 0x40, 0x42^2 = 0x40, 0x43^1 = 0x42 (the key repeats)
    let v = decode(
        "struct t { key: bytes[2]\n b: bytes[3] size 3 process xor(key) }",
        &[1, 2, 0x40, 0x40, 0x42],
    );
    assert_eq!(v, json!({"key": "0102", "b": "414243"}));
}

#[test]
fn rotations_left_and_right() {
    // 0x81 rol 1 = 0x03; 0x03 ror 1 = 0x81; rol 9 is rol 1
    let v = decode(
        "struct t { a: u8 size 1 process rol(1)\n b: u8 size 1 process ror(1)\n \
         c: u8 size 1 process rol(9) }",
        &[0x81, 0x03, 0x81],
    );
    assert_eq!(v, json!({"a": 0x03, "b": 0x81, "c": 0x03}));
}

#[test]
fn zlib_into_a_struct_and_the_rest_stays_in_place() {
    let Some(z) = python_bytes("zlib.compress(bytes([0x34, 0x12]) + b'inflated text')") else {
        return;
    };
    let mut data = vec![z.len() as u8];
    data.extend_from_slice(&z);
    data.push(0x2a);
    let v = decode(
        "struct t { n: u8\n body: inner size n process zlib\n after: u8 }\n\
         struct inner { a: u16\n s: str[..] }",
        &data,
    );
    assert_eq!(
        v,
        json!({"n": z.len(), "body": {"a": 0x1234, "s": "inflated text"}, "after": 0x2a})
    );
}

#[test]
fn raw_deflate_without_size_takes_the_rest_of_the_region() {
    let Some(z) = python_bytes(
        "(lambda c: c.compress(b'abcabcabc') + c.flush())(zlib.compressobj(wbits=-15))",
    ) else {
        return;
    };
    let v = decode("struct t { s: str[..] process deflate\n n: = len(s) }", &z);
    assert_eq!(v, json!({"s": "abcabcabc", "n": 9}));
}

#[test]
fn bad_compressed_data_is_an_error_at_the_region() {
    let e = data_err(
        "struct t { _: u8\n b: bytes[..] size 3 process zlib }",
        &[0, 1, 2, 3],
    );
    assert_eq!(e.offset, 1, "{e}");
    assert!(
        e.to_string()
            .contains("`process zlib`: bad compressed data"),
        "{e}"
    );
}

#[test]
fn decompression_is_bounded_by_the_value_limit() {
    // 20 MiB of zeros compress to about 20 KiB: far past 16 per input byte + 1,000,000
    let Some(z) = python_bytes("zlib.compress(bytes(20 << 20), 9)") else {
        return;
    };
    let e = data_err("struct t { b: bytes[..] process zlib }", &z);
    assert!(e.to_string().contains("after decompression"), "{e}");
}

#[test]
fn each_element_processed_with_its_index() {
    // element i is XORed with i + 1: [0x10^1, 0x10^1] -> 11 11, [0x20^2, 0x20^2] -> 22 22
    let v = decode(
        "struct t { xs: bytes[2][2] each size 2 each process xor(@index + 1) }",
        &[0x10, 0x10, 0x20, 0x20],
    );
    assert_eq!(v, json!({"xs": ["1111", "2222"]}));
}

#[test]
fn processed_fields_are_left_to_the_general_decoder() {
    let plan = compile("struct t { a: u8\n b: u8 size 1 process xor(1) }");
    assert!(plan.structs[0].flat.is_none() && !unstruct::decode::Programs::of(&plan).has_seq(0));
}

#[test]
fn process_errors_in_the_descriptor() {
    assert!(desc_err("struct t { a: bytes[..] process gzip }").contains("unknown process `gzip`"));
    assert!(
        desc_err("struct t { a: bytes[..] process zlib process zlib }").contains("given twice")
    );
    assert!(
        desc_err("struct t { a: u8\n b: bytes[..] process xor(a * 1.5) }").contains("key of `xor`")
    );
    assert!(desc_err("struct t { a: u8 each process zlib }").contains("apply to arrays"));
}

#[test]
fn a_struct_decoded_from_processed_bytes_is_a_value() {
    // fe fd XOR ff = 01 02: a is {x: 1, y: 2}; b = a.x + 1 = 2; c is a, written in full
    let d = "struct t {\n a: inner size 2 process xor(0xff)\n b: = a.x + 1\n c: = a\n}\n\
             struct inner {\n x: u8\n y: u8\n}";
    let v = decode(d, &[0xfe, 0xfd]);
    assert_eq!(
        v,
        json!({"a": {"x": 1, "y": 2}, "b": 2, "c": {"x": 1, "y": 2}})
    );
    // chosen by a condition between a plain and a processed struct: flag 1 picks the
    // processed one, 0x40 XOR 0x0f = 0x4f
    let d = "struct t {\n flag: u8\n p: inner size 2\n q: inner size 2 process xor(0x0f)\n \
             pick: = flag == 1 ? q : p\n px: = pick.x\n}\nstruct inner {\n x: u8\n y: u8\n}";
    let v = decode(d, &[1, 0x10, 0x20, 0x40, 0x50]);
    assert_eq!(v["pick"], json!({"x": 0x4f, "y": 0x5f}));
    assert_eq!(v["px"], json!(0x4f));
}

//! Regression tests for bugs found by fuzzing (`fuzz/`, see docs/fuzzing.md). Each test is
//! named after the bug and embeds the input that triggered it; each asserts a clean error
//! (or a bounded, valid result) where the bug panicked, hung or exhausted memory.

use std::sync::mpsc;
use std::time::Duration;

use unstruct::decode::{Input, Options};
use unstruct::emit::json::{JsonOptions, JsonWriter, Style};
use unstruct::error::DataErrorKind;
use unstruct::plan::Plan;
use unstruct::records::{self, RecordsConfig, Summary};
use unstruct::structfmt::{self, lower::NamesError, lower::StringMode};

/// Runs `f` on another thread and fails if it does not finish within `secs` seconds (the
/// bugs here were hangs; a regression must fail the test, not hang the suite).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("did not finish in time (hang regression)")
}

/// Records mode over the whole of `data` with the root struct, NDJSON into memory.
fn records(plan: Plan, data: &'static [u8]) -> (Result<Summary, unstruct::DataError>, Vec<u8>) {
    within(10, move || {
        let mut w = JsonWriter::new(
            Vec::new(),
            JsonOptions {
                style: Style::Ndjson,
                ..JsonOptions::default()
            },
        );
        let mut skip = |_: &unstruct::DataError, _: u64, _: u64| {};
        let r = records::run_slice(
            &plan,
            plan.root,
            Input::whole(data),
            Options::default(),
            &RecordsConfig::default(),
            &mut w,
            &mut skip,
        );
        // records written before an error are complete (the bad one is rewound)
        unstruct::emit::Sink::finish(&mut w).expect("into a Vec");
        let r = r.map_err(|e| match e {
            records::RunError::Data(e) => e,
            other => panic!("not a data error: {other}"),
        });
        (r, w.into_inner())
    })
}

/// fuzz target `structfmt`, input `=\na,b,c,\xff\xff\xffe,f\x03\n\x01\x02` (a timeout): a
/// record of zero bytes (the format `=`, or `struct r { }` as a descriptor) made the
/// fixed-layout fast path of records mode (`Decoder::raw_records`) write `{}`/`[]` forever
/// without advancing. `unstruct -f empty.struct --records r FILE` printed `{}` endlessly.
#[test]
fn zero_size_records_loop_forever() {
    let input: &[u8] = b"=\na,b,c,\xff\xff\xffe,f\x03\n\x01\x02";
    let fmt = &input[..1];
    let data: &'static [u8] = b"\x01\x02";
    let f = structfmt::parse_bytes(fmt).expect("`=` is a valid format");
    assert_eq!(f.size, 0);
    let plan = structfmt::lower::to_plan(&f, None, StringMode::Raw).expect("lowers");
    let (r, _) = records(plan, data);
    let e = r.expect_err("a zero-size record cannot be repeated");
    assert!(
        matches!(e.kind, DataErrorKind::NoProgress { index: 0 }),
        "{e}"
    );

    let plan = unstruct::lang::compile_str("empty.struct", "struct r { }").expect("compiles");
    let (r, out) = records(plan, data);
    let e = r.expect_err("a zero-size record cannot be repeated");
    assert!(matches!(e.kind, DataErrorKind::NoProgress { .. }), "{e}");
    assert!(out.len() < 100, "wrote {} bytes", out.len());
}

/// fuzz target `structfmt`, input `77777777e\nc,d,efe\ncd,\n,...` (an out-of-memory): a
/// repeat count makes one plan field per value, so `to_plan` of a 9-byte format tried to
/// build 77,777,777 fields (`unstruct -s 77777777e` aborted with "memory allocation of
/// 4294967296 bytes failed"). Now a format of more than `MAX_VALUES` values is an error.
#[test]
fn huge_repeat_count_exhausts_memory() {
    let input: &[u8] = b"77777777e\nc,d,efe\ncd,\n,\x13\x02h\0\0\0\0\0\0\0\0IIIIII\xb3\xa2";
    let fmt = &input[..9];
    let f = structfmt::parse_bytes(fmt).expect("valid in CPython too");
    assert_eq!(f.value_count(), 77_777_777);
    let e = within(10, move || {
        structfmt::lower::to_plan(&f, None, StringMode::Text).map(|_| ())
    })
    .expect_err("too many values");
    assert_eq!(e, NamesError::TooManyValues(77_777_777));
    // the limit itself still lowers
    let f = structfmt::parse(&format!("<{}B", structfmt::lower::MAX_VALUES)).unwrap();
    assert!(structfmt::lower::to_plan(&f, None, StringMode::Text).is_ok());
}

/// Decodes `data` with a descriptor as one document and in records mode (root struct);
/// returns the document's JSON (None if it failed) and every record written, each checked to
/// be valid JSON.
fn decode_both(
    descriptor: &str,
    data: &'static [u8],
) -> (Option<serde_json::Value>, Vec<serde_json::Value>) {
    let plan = unstruct::lang::compile_str("fuzz.struct", descriptor).expect("compiles");
    let mut w = JsonWriter::new(Vec::new(), JsonOptions::default());
    let doc =
        unstruct::decode::decode_document(&plan, Input::whole(data), Options::default(), &mut w)
            .ok()
            .map(|_| {
                use unstruct::emit::Sink;
                w.end_record().unwrap();
                w.finish().unwrap();
                let out = w.into_inner();
                serde_json::from_slice(&out).unwrap_or_else(|e| {
                    panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out))
                })
            });
    let (_, out) = records(plan, data);
    let recs = serde_json::Deserializer::from_slice(&out)
        .into_iter::<serde_json::Value>()
        .map(|v| {
            v.unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out)))
        })
        .collect();
    (doc, recs)
}

/// fuzz target `descriptor_data`, crash-56adbf3f… (a debug assertion in the JSON writer,
/// "two keys in a row"; invalid JSON in release builds): a *named* `pad`/`align` field wrote
/// its key and then no value, `{"n":1,"h":"a":50}`. The language says `pad` and `align`
/// are never emitted, so a named one is now skipped like `_`.
#[test]
fn named_pad_field_writes_key_without_value() {
    let input: &[u8] = b"struct t { n: u8; h: pad[n]; a: u8; _: align (n + 1); b: u8 }\xff\x0132\x02\x03\x04\x05struct\x06\x07\x08ABCD\x00";
    let split = input.iter().position(|&b| b == 0xff).unwrap();
    let text = std::str::from_utf8(&input[..split]).unwrap();
    let data: &'static [u8] = b"\x0132\x02\x03\x04\x05struct\x06\x07\x08ABCD\x00";
    assert_eq!(&input[split + 1..], data);
    let (doc, recs) = decode_both(text, data);
    assert_eq!(doc, Some(serde_json::json!({"n": 1, "a": 50, "b": 3})));
    assert_eq!(recs[0], serde_json::json!({"n": 1, "a": 50, "b": 3}));

    let (doc, recs) = decode_both(
        "struct t { n: u8; h: pad[n]; a: u8; i: align 2; b: u8 }",
        b"\x01\xee\x05\xee\x06",
    );
    assert_eq!(doc, Some(serde_json::json!({"n": 1, "a": 5, "b": 6})));
    assert_eq!(recs, [serde_json::json!({"n": 1, "a": 5, "b": 6})]);
}

/// Found while fixing the bug above: a `match` with a `pad`/`align` arm among arms that have
/// values wrote the field's key and, for that arm, no value. The arm now writes `null`.
#[test]
fn match_arm_of_pad_writes_key_without_value() {
    let d = "struct t { n: u8; x: match n { 1 => pad[1], 2 => align 4, _ => u8 }; a: u8 }";
    let (doc, _) = decode_both(d, b"\x01\xee\x07");
    assert_eq!(doc, Some(serde_json::json!({"n": 1, "x": null, "a": 7})));
    let (doc, _) = decode_both(d, b"\x02\xee\xee\xee\x07");
    assert_eq!(doc, Some(serde_json::json!({"n": 2, "x": null, "a": 7})));
    let (doc, _) = decode_both(d, b"\x03\x09\x07");
    assert_eq!(doc, Some(serde_json::json!({"n": 3, "x": 9, "a": 7})));
}

/// Found by the CPython differential test (`tests/structfmt.rs`) while the fixed-layout
/// writer was being compiled into ops: a record of padding only (`!x`) or with trailing
/// padding (`<Hx`) took the size of its last written field (0 or 2) instead of the
/// struct's, so `-s '!x'` wrote `[]` forever and `<Hx` read records at the wrong offsets.
#[test]
fn padding_counts_in_the_record_size() {
    let f = structfmt::parse("!x").unwrap();
    let plan = structfmt::lower::to_plan(&f, None, StringMode::Raw).unwrap();
    let (r, out) = records(plan, b"abc");
    assert_eq!(r.expect("three records").written, 3);
    assert_eq!(out, b"[]\n[]\n[]\n");

    let f = structfmt::parse("<Hx").unwrap();
    let plan = structfmt::lower::to_plan(&f, None, StringMode::Raw).unwrap();
    let (r, out) = records(plan, b"\x01\x00\xff\x02\x00\xff");
    assert_eq!(r.expect("two records").written, 2);
    assert_eq!(out, b"[1]\n[2]\n");

    let plan =
        unstruct::lang::compile_str("pad.struct", "struct r { _: pad[2] }").expect("compiles");
    let (r, out) = records(plan, b"abcd");
    assert_eq!(r.expect("two records").written, 2);
    assert_eq!(out, b"{}\n{}\n");
}

/// fuzz target `descriptor_data` (its compact-against-pretty check), crash-8da0b567…: a
/// record made of an unnamed constant (`_: "\n"`) took the compiled fixed-layout path,
/// which checked unwritten fields only for valid text, so records that did not hold the
/// constant were written as `{}` where the general decoder reports the mismatch.
#[test]
fn unwritten_constant_is_still_checked() {
    let plan =
        unstruct::lang::compile_str("c.struct", "struct r { _: \"\\n\" }").expect("compiles");
    let (r, out) = records(plan, b"\n\n.");
    let e = r.expect_err("the third byte is not the constant");
    assert!(e.to_string().contains("expected [0a]"), "{e}");
    assert_eq!(out, b"{}\n{}\n");
}

/// fuzz target `descriptor_data` (its compact-against-pretty check), crash-a85e5a64…: a
/// record of no bytes made only of computed fields (`struct t { y: = -256 >> 4 }`) was
/// written once by the sequence program before the records loop saw that it made no
/// progress, so compact output had one `{"y":-16}` more than the general decoder's before
/// the same "repeat makes no progress" error.
#[test]
fn zero_size_computed_record_is_not_written() {
    let plan =
        unstruct::lang::compile_str("t.struct", "struct t { y: = -256 >> 4 }").expect("compiles");
    let (r, out) = records(plan, b"\x01\x04");
    let e = r.expect_err("a record of no bytes cannot be repeated");
    assert!(matches!(e.kind, DataErrorKind::NoProgress { .. }), "{e}");
    assert_eq!(out, b"");
}

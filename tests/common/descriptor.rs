//! Compiling a descriptor and decoding a document into a JSON tree, for the tests of the
//! language's features.

#![allow(dead_code)]

use serde_json::Value;
use unstruct::decode::{Options, decode_document};
use unstruct::emit::tree::TreeSink;
use unstruct::plan::Plan;
use unstruct::{DataError, DescriptorError, Input};

pub fn compile(desc: &str) -> Plan {
    unstruct::lang::compile_str("test.struct", desc)
        .unwrap_or_else(|e| panic!("descriptor error:\n{e}"))
}

fn run(desc: &str, data: &[u8], opts: Options) -> Result<Value, DataError> {
    let plan = compile(desc);
    let mut sink = TreeSink::default();
    decode_document(&plan, Input::whole(data), opts, &mut sink)?;
    assert_eq!(
        sink.values.len(),
        1,
        "one document expected: {:?}",
        sink.values
    );
    Ok(sink.values.pop().expect("one document"))
}

/// Decodes `data` with `desc`; panics with the rendered error on failure.
pub fn decode(desc: &str, data: &[u8]) -> Value {
    run(desc, data, Options::default()).unwrap_or_else(|e| panic!("data error: {e}"))
}

/// Expects decoding to fail with a data error and returns it.
pub fn data_err(desc: &str, data: &[u8]) -> DataError {
    data_err_opts(desc, data, Options::default())
}

/// Expects decoding with `opts` to fail with a data error and returns it.
pub fn data_err_opts(desc: &str, data: &[u8], opts: Options) -> DataError {
    match run(desc, data, opts) {
        Ok(v) => panic!("expected a data error, decoded {v:?}"),
        Err(e) => e,
    }
}

/// Expects a descriptor error and returns it.
pub fn desc_error(desc: &str) -> DescriptorError {
    match unstruct::lang::compile_str("test.struct", desc) {
        Ok(_) => panic!("expected a descriptor error for:\n{desc}"),
        Err(e) => e,
    }
}

/// Expects a descriptor error and returns its text.
pub fn desc_err(desc: &str) -> String {
    desc_error(desc).to_string()
}

/// Checks a descriptor error's message (substring) and its 1-based line and column.
#[track_caller]
pub fn assert_desc_err(desc: &str, msg: &str, line_col: (usize, usize)) -> DescriptorError {
    let e = desc_error(desc);
    assert!(
        e.message.contains(msg),
        "message {:?} lacks {msg:?}\n{e}",
        e.message
    );
    assert_eq!(e.line_col(), line_col, "position of:\n{e}");
    // the rendering names the file, line and column and has a caret
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("test.struct:{}:{}: ", line_col.0, line_col.1)),
        "{shown}"
    );
    assert!(shown.contains('^'), "{shown}");
    e
}

/// Concatenates byte pieces.
pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

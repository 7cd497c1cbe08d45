//! Compiling a descriptor and decoding a document into a JSON tree, for the tests of the
//! language's features.

#![allow(dead_code)]

use serde_json::Value;
use unstruct::decode::{Options, decode_document};
use unstruct::emit::tree::TreeSink;
use unstruct::plan::Plan;
use unstruct::{DataError, Input};

pub fn compile(desc: &str) -> Plan {
    unstruct::lang::compile_str("test.struct", desc)
        .unwrap_or_else(|e| panic!("descriptor error:\n{e}"))
}

fn run(desc: &str, data: &[u8]) -> Result<Value, DataError> {
    let plan = compile(desc);
    let mut sink = TreeSink::default();
    decode_document(&plan, Input::whole(data), Options::default(), &mut sink)?;
    Ok(sink.values.pop().expect("one document"))
}

/// Decodes `data` with `desc`; panics with the rendered error on failure.
pub fn decode(desc: &str, data: &[u8]) -> Value {
    run(desc, data).unwrap_or_else(|e| panic!("data error: {e}"))
}

/// Expects decoding to fail with a data error and returns it.
pub fn data_err(desc: &str, data: &[u8]) -> DataError {
    match run(desc, data) {
        Ok(v) => panic!("expected a data error, decoded {v:?}"),
        Err(e) => e,
    }
}

/// Expects a descriptor error and returns its text.
pub fn desc_err(desc: &str) -> String {
    match unstruct::lang::compile_str("test.struct", desc) {
        Ok(_) => panic!("expected a descriptor error for:\n{desc}"),
        Err(e) => e.to_string(),
    }
}

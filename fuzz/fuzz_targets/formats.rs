//! Hostile data for the bundled formats: the first byte picks a format from
//! `unstruct::formats::ALL`, the rest is the input. Decoded as one document with the JSON
//! writer (compact), without and with `--offsets`, under the default limits. A decode must
//! end in a value or a `DataError`; a value must be valid JSON (the round-trip property).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use unstruct::decode::{Input, Options, decode_document};
use unstruct::emit::Sink;
use unstruct::emit::json::{JsonOptions, JsonWriter, Style};
use unstruct::plan::Plan;

fn plans() -> &'static [Plan] {
    static PLANS: OnceLock<Vec<Plan>> = OnceLock::new();
    PLANS.get_or_init(|| {
        unstruct::formats::ALL
            .iter()
            .map(|f| {
                unstruct::lang::compile_str(f.name, f.text)
                    .unwrap_or_else(|e| panic!("bundled format {} does not compile: {e}", f.name))
            })
            .collect()
    })
}

fn decode(plan: &Plan, data: &[u8], offsets: bool) {
    let mut w = JsonWriter::new(
        Vec::new(),
        JsonOptions {
            style: Style::Compact,
            offsets,
            ..JsonOptions::default()
        },
    );
    if decode_document(plan, Input::whole(data), Options::default(), &mut w).is_ok() {
        w.end_record().expect("end_record into a Vec");
        w.finish().expect("finish into a Vec");
        let out = w.into_inner();
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
            panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out));
        }
    } else {
        // what the CLI does with a failed document: write what was decoded
        let _ = w.finish();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let plans = plans();
    let plan = &plans[pick as usize % plans.len()];
    decode(plan, rest, false);
    decode(plan, rest, true);
});

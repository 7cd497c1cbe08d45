//! Hostile data for the bundled formats: the first byte picks a format from
//! `unstruct::formats::ALL`, the rest is the input. Decoded as one document with the JSON
//! writer (compact), without and with `--offsets`, and pretty, under the default limits. A
//! decode must end in a value or a `DataError`; a value must be valid JSON (the round-trip
//! property), and compact output (compiled paths for the structs they take) and pretty
//! output (the general decoder) must hold the same value or stop at the same error.
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

fn decode(
    plan: &Plan,
    data: &[u8],
    style: Style,
    offsets: bool,
) -> Result<serde_json::Value, String> {
    let mut w = JsonWriter::new(
        Vec::new(),
        JsonOptions {
            style,
            offsets,
            ..JsonOptions::default()
        },
    );
    match decode_document(plan, Input::whole(data), Options::default(), &mut w) {
        Ok(_) => {
            w.end_record().expect("end_record into a Vec");
            w.finish().expect("finish into a Vec");
            let out = w.into_inner();
            Ok(
                serde_json::from_slice::<serde_json::Value>(&out).unwrap_or_else(|e| {
                    panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out))
                }),
            )
        }
        Err(e) => {
            // what the CLI does with a failed document: write what was decoded
            let _ = w.finish();
            Err(e.to_string())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let plans = plans();
    let plan = &plans[pick as usize % plans.len()];
    let compact = decode(plan, rest, Style::Compact, false);
    decode(plan, rest, Style::Compact, true).ok();
    let pretty = decode(plan, rest, Style::Pretty, false);
    assert_eq!(compact, pretty, "compact and pretty documents differ");
});

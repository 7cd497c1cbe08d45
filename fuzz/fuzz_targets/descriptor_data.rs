//! A descriptor and data together: the input is split at the first 0xFF byte (never part
//! of UTF-8 text) into descriptor text and data. If the descriptor compiles, its root
//! struct decodes the data as one document and in records mode, with tight limits. Every
//! successful decode must be valid JSON, and both must give the same values and stop at
//! the same error whether the compiled fast paths (compact output) or the general decoder
//! (pretty output) do the work.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unstruct::decode::{Input, Options, decode_document};
use unstruct::emit::Sink;
use unstruct::emit::json::{JsonOptions, JsonWriter, Style};
use unstruct::records::{self, OnError, RecordsConfig};

const OPTS: Options = Options {
    max_depth: 64,
    max_values: Some(100_000),
    lossy: false,
};

fn check_json(out: &[u8]) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_slice(out)
        .into_iter::<serde_json::Value>()
        .map(|v| {
            v.unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(out)))
        })
        .collect()
}

fn writer(style: Style, offsets: bool) -> JsonWriter<Vec<u8>> {
    JsonWriter::new(
        Vec::new(),
        JsonOptions {
            style,
            offsets,
            ..JsonOptions::default()
        },
    )
}

fuzz_target!(|input: &[u8]| {
    let split = input.iter().position(|&b| b == 0xff).unwrap_or(input.len());
    let text = String::from_utf8_lossy(&input[..split]);
    let data = input.get(split + 1..).unwrap_or_default();
    let Ok(plan) = unstruct::lang::compile_str("fuzz.struct", &text) else {
        return;
    };
    // the last data byte (if any) varies the options: bit 0 `--offsets`, bit 1
    // `--allow-remainder`, bit 2 `--on-error skip`
    let flags = data.last().copied().unwrap_or(0);
    let offsets = flags & 1 != 0;

    // one document, compact (compiled paths for the structs they take) and pretty (the
    // general decoder): the same value, or the same error
    let mut docs = Vec::new();
    for style in [Style::Compact, Style::Pretty] {
        let mut w = writer(style, offsets);
        let r = decode_document(&plan, Input::whole(data), OPTS, &mut w);
        docs.push(
            r.map(|_| {
                w.end_record().expect("end_record into a Vec");
                w.finish().expect("finish into a Vec");
                check_json(&w.into_inner())
            })
            .map_err(|e| e.to_string()),
        );
    }
    assert_eq!(docs[0], docs[1], "compact and pretty documents differ");

    // records mode, compact (fast paths) and pretty (general decoder): the same values and
    // the same outcome
    let mut runs = Vec::new();
    for style in [Style::Ndjson, Style::Pretty] {
        let mut w = writer(style, offsets);
        let cfg = RecordsConfig {
            count: Some(1000),
            allow_remainder: flags & 2 != 0,
            on_error: if flags & 4 != 0 {
                OnError::Skip
            } else {
                OnError::Stop
            },
            ..RecordsConfig::default()
        };
        let mut skip = |_: &unstruct::DataError, _: u64, _: u64| {};
        // records written before an error are complete (a failed one is rewound), so the
        // output is valid NDJSON either way
        let r = records::run_slice(
            &plan,
            plan.root,
            Input::whole(data),
            OPTS,
            &cfg,
            &mut w,
            &mut skip,
        );
        w.finish().expect("finish into a Vec");
        let values = check_json(&w.into_inner());
        runs.push((values, r.map_err(|e| e.to_string())));
    }
    assert_eq!(runs[0], runs[1], "compact and pretty records mode differ");
});

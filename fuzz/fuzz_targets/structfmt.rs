//! Python struct format strings: `parse_bytes` on the raw bytes, `parse` on the text, then
//! lowering with fuzzer-chosen `--names` and string mode, and a records decode of the rest.
//!
//! Input layout: `FORMAT \n NAMES \n DATA`, NAMES split at `,`; each part may be missing.
//! The low bits of the last byte of NAMES pick: bit 0 names or not, bit 1 raw strings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unstruct::decode::{Input, Options};
use unstruct::emit::Sink;
use unstruct::emit::json::{JsonOptions, JsonWriter, Style};
use unstruct::records::{self, RecordsConfig};
use unstruct::structfmt::{self, lower::StringMode};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let fmt = parts.next().unwrap_or_default();
    let names_raw = parts.next();
    let payload = parts.next().unwrap_or_default();

    let from_bytes = structfmt::parse_bytes(fmt);
    if let Ok(text) = std::str::from_utf8(fmt) {
        let from_text = structfmt::parse(text);
        // the text and bytes forms agree on ASCII input
        if text.is_ascii() {
            assert_eq!(
                from_text.is_ok(),
                from_bytes.is_ok(),
                "parse vs parse_bytes"
            );
        }
        if let Ok(t) = &from_text {
            assert_eq!(structfmt::calcsize(text).ok(), Some(t.size));
        }
    }
    if let Err(e) = &from_bytes {
        let _ = (e.to_string(), e.pos(), e.python_exception());
    }
    let Ok(f) = from_bytes else { return };

    let flags = names_raw.and_then(|n| n.last().copied()).unwrap_or(0);
    let names: Option<Vec<String>> = match names_raw {
        Some(n) if flags & 1 == 0 => Some(
            String::from_utf8_lossy(n)
                .split(',')
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    };
    let mode = if flags & 2 != 0 {
        StringMode::Raw
    } else {
        StringMode::Text
    };
    let Ok(plan) = structfmt::lower::to_plan(&f, names.as_deref(), mode) else {
        return;
    };
    let opts = Options {
        max_depth: 64,
        max_values: Some(100_000),
        lossy: flags & 4 != 0,
    };
    let mut w = JsonWriter::new(
        Vec::new(),
        JsonOptions {
            style: Style::Ndjson,
            offsets: flags & 8 != 0,
            ..JsonOptions::default()
        },
    );
    let cfg = RecordsConfig {
        allow_remainder: true,
        ..RecordsConfig::default()
    };
    let mut skip = |_: &unstruct::DataError, _: u64, _: u64| {};
    // records written before an error are complete (a failed one is rewound), so the
    // output is valid NDJSON either way
    let _ = records::run_slice(
        &plan,
        plan.root,
        Input::whole(payload),
        opts,
        &cfg,
        &mut w,
        &mut skip,
    );
    w.finish().expect("finish into a Vec");
    let out = w.into_inner();
    for v in serde_json::Deserializer::from_slice(&out).into_iter::<serde_json::Value>() {
        if let Err(e) = v {
            panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out));
        }
    }
});

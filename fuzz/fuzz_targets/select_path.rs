//! `--select` paths: `select::parse` on any text never panics; a path that parses prints
//! (Display) as text that parses back to the same path; and the selection sink, run over a
//! decode of a small document with nested arrays and objects, writes only whole JSON values,
//! one per line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unstruct::decode::{Input, Options, decode_document};
use unstruct::emit::Sink;
use unstruct::emit::json::{JsonOptions, JsonWriter, Style};
use unstruct::lang::{self, DefaultResolver, Source};
use unstruct::select::{self, Select};

const DESC: &str = "struct top { n: u8\n items: item[n]\n tail: u16[2] }\n\
                    struct item { a: u8\n b: u8[a % 4]\n c: sub }\n\
                    struct sub { x: u8\n y: str[2] }\n";
const DATA: &[u8] = b"\x03\x05abc\x07xy\x02\x01\x02\x09zz\x01\x0d\x06ab\x11\x22\x33\x44";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(path) = select::parse(text) else {
        return;
    };
    let again = select::parse(&path.to_string()).expect("a printed path parses");
    assert_eq!(again, path, "print and parse round-trip");
    let source = Source {
        name: "fuzz".into(),
        text: DESC.into(),
        dir: None,
    };
    let plan = lang::compile(source, None, &DefaultResolver).expect("descriptor");
    for style in [Style::Compact, Style::Pretty] {
        let opts = JsonOptions {
            style,
            ..JsonOptions::DEFAULT
        };
        let mut w = JsonWriter::new(Vec::new(), opts);
        {
            let mut sel = Select::new(&mut w, &path);
            decode_document(&plan, Input::whole(DATA), Options::default(), &mut sel)
                .expect("the document decodes");
        }
        w.finish().expect("finish");
        let out = String::from_utf8(w.into_inner()).expect("utf-8");
        if style == Style::Compact {
            for line in out.lines() {
                serde_json::from_str::<serde_json::Value>(line).expect("a whole value per line");
            }
        } else {
            for v in serde_json::Deserializer::from_str(&out).into_iter::<serde_json::Value>() {
                v.expect("whole values");
            }
        }
    }
});

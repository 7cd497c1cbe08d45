//! Tests of the JSON writer.

use super::format::*;
use super::*;
use serde_json::{Value, json};

fn opts(style: Style) -> JsonOptions {
    JsonOptions {
        style,
        ..JsonOptions::default()
    }
}

fn run(o: JsonOptions, f: impl FnOnce(&mut JsonWriter<Vec<u8>>)) -> String {
    let mut w = JsonWriter::new(Vec::new(), o);
    f(&mut w);
    w.finish().unwrap();
    assert!(w.buffered().is_empty());
    String::from_utf8(w.into_inner()).expect("output is UTF-8")
}

fn compact(f: impl FnOnce(&mut JsonWriter<Vec<u8>>)) -> String {
    run(opts(Style::Compact), f)
}

/// Writes `v` as one string value and returns the output without the newline.
fn string_out(f: impl FnOnce(&mut JsonWriter<Vec<u8>>)) -> String {
    let s = compact(f);
    s.strip_suffix('\n').unwrap().to_string()
}

fn parse(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("invalid JSON {s:?}: {e}"))
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn key(k: &str) -> Vec<u8> {
    serde_json::to_vec(k).unwrap()
}

/// Drives a sink from a JSON value (numbers must be integers).
fn drive(w: &mut impl Sink, v: &Value) {
    match v {
        Value::Null => w.null(),
        Value::Bool(b) => w.bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => w.u64(u),
            (None, Some(i)) => w.i64(i),
            _ => w.f64(n.as_f64().unwrap()),
        },
        Value::String(s) => w.str(s),
        Value::Array(a) => {
            w.begin_array();
            a.iter().for_each(|x| drive(w, x));
            w.end_array();
        }
        Value::Object(m) => {
            w.begin_object();
            for (k, x) in m {
                w.key(&key(k));
                drive(w, x);
            }
            w.end_object();
        }
    }
}

fn random_value(r: &mut Rng, depth: u32) -> Value {
    let pick = if depth >= 4 { r.below(5) } else { r.below(8) };
    match pick {
        0 => Value::Null,
        1 => Value::Bool(r.below(2) == 1),
        2 => json!(r.next() >> r.below(64)),
        3 => json!((r.next() as i64) >> r.below(64)),
        4 => {
            let pool = [
                "", "a", "\"", "\\", "\n", "\u{1}", "\u{7f}", "é", "€", "𝄞", " x ",
            ];
            let n = r.below(5);
            Value::String(
                (0..n)
                    .map(|_| pool[r.below(pool.len() as u64) as usize])
                    .collect(),
            )
        }
        5 | 6 => {
            let n = r.below(4);
            Value::Array((0..n).map(|_| random_value(r, depth + 1)).collect())
        }
        _ => {
            let n = r.below(4);
            let mut m = serde_json::Map::new();
            for i in 0..n {
                m.insert(
                    format!("k{i}{}", ["", "\"q", "é"][r.below(3) as usize]),
                    random_value(r, depth + 1),
                );
            }
            Value::Object(m)
        }
    }
}

#[test]
fn scalars_compact() {
    let out = compact(|w| {
        w.begin_object();
        w.key(b"\"n\"");
        w.null();
        w.key(b"\"t\"");
        w.bool(true);
        w.key(b"\"f\"");
        w.bool(false);
        w.key(b"\"u\"");
        w.u64(u64::MAX);
        w.key(b"\"i\"");
        w.i64(i64::MIN);
        w.key(b"\"x\"");
        w.f64(1.5);
        w.key(b"\"y\"");
        w.f32(0.1);
        w.key(b"\"s\"");
        w.str("hi");
        w.key(b"\"a\"");
        w.begin_array();
        w.u64(1);
        w.i64(-2);
        w.end_array();
        w.end_object();
    });
    assert_eq!(
        out,
        "{\"n\":null,\"t\":true,\"f\":false,\"u\":18446744073709551615,\
             \"i\":-9223372036854775808,\"x\":1.5,\"y\":0.1,\"s\":\"hi\",\"a\":[1,-2]}\n"
    );
    parse(&out);
}

#[test]
fn integers_match_std() {
    let mut r = Rng(42);
    let check = |v: u64| {
        let mut b = Vec::new();
        push_u64(&mut b, v);
        assert_eq!(b, v.to_string().as_bytes());
        assert_eq!(decimal_len(v), b.len());
        let i = v as i64;
        assert_eq!(string_out(|w| w.i64(i)), i.to_string());
    };
    for p in 0..20 {
        let x = 10u64.pow(p);
        for v in [x - 1, x, x + 1, x.wrapping_mul(2), x / 2 + 7] {
            check(v);
        }
    }
    for v in [
        0,
        u64::MAX,
        u64::MAX - 1,
        1 << 63,
        (1 << 63) - 1,
        9_999,
        10_000,
        99_999_999,
    ] {
        check(v);
    }
    for _ in 0..100_000 {
        let v = r.next() >> r.below(64);
        check(v);
    }
}

#[test]
fn i128_extremes() {
    for v in [i128::MIN, i128::MAX, 0, -1, i128::from(u64::MAX) + 1] {
        let out = string_out(|w| w.i128(v));
        assert_eq!(out, v.to_string());
        assert_eq!(out.parse::<i128>().unwrap(), v);
    }
    assert_eq!(string_out(|w| w.u64(0)), "0");
    assert_eq!(string_out(|w| w.i64(i64::MAX)), i64::MAX.to_string());
}

#[test]
fn floats_special() {
    assert_eq!(string_out(|w| w.f64(f64::NAN)), "\"NaN\"");
    assert_eq!(string_out(|w| w.f64(f64::INFINITY)), "\"Infinity\"");
    assert_eq!(string_out(|w| w.f64(f64::NEG_INFINITY)), "\"-Infinity\"");
    assert_eq!(string_out(|w| w.f32(f32::NAN)), "\"NaN\"");
    assert_eq!(string_out(|w| w.f32(f32::INFINITY)), "\"Infinity\"");
    assert_eq!(string_out(|w| w.f32(f32::NEG_INFINITY)), "\"-Infinity\"");
    assert_eq!(string_out(|w| w.f32(0.1)), "0.1");
    assert_eq!(string_out(|w| w.f64(0.1)), "0.1");
    assert_eq!(
        string_out(|w| w.f64(f64::from(0.1f32))),
        "0.10000000149011612"
    );
    assert_eq!(string_out(|w| w.f64(1.0)), "1.0");
    assert_eq!(string_out(|w| w.f64(-0.0)), "-0.0");
    assert_eq!(string_out(|w| w.f64(1e16)), "1e+16");
    assert_eq!(string_out(|w| w.f64(5e-324)), "5e-324");
    for s in ["1e+16", "5e-324", "-0.0", "1.0"] {
        assert!(parse(s).is_number());
    }
}

#[test]
fn floats_round_trip() {
    let mut r = Rng(0x1234_5678_9abc_def1);
    let mut w = JsonWriter::new(Vec::new(), opts(Style::Compact));
    for i in 0..200_000u32 {
        let bits = r.next();
        // Mix fully random patterns with small exponents and integral values.
        let v = match i % 3 {
            0 => f64::from_bits(bits),
            1 => f64::from_bits(bits >> 2 | 0x3C00_0000_0000_0000),
            _ => ((bits >> 11) as f64) * if bits & 1 == 1 { -1.0 } else { 1.0 },
        };
        w.f64(v);
        let out = std::str::from_utf8(w.buffered()).unwrap();
        if v.is_finite() {
            let back: f64 = out.parse().unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{out}");
            if i % 64 == 0 {
                assert!(parse(out).is_number(), "{out}");
            }
        } else {
            assert!(parse(out).is_string());
        }
        w.jb.w.buf.clear();
        w.state = FIRST;

        let f = f32::from_bits(bits as u32);
        w.f32(f);
        let out = std::str::from_utf8(w.buffered()).unwrap();
        if f.is_finite() {
            let back: f32 = out.parse().unwrap();
            assert_eq!(back.to_bits(), f.to_bits(), "{out}");
            // shortest for f32: never longer than formatting the f32 itself
            assert!(out.len() <= format!("{f:?}").len() + 4, "{out} vs {f:?}");
            if i % 64 == 0 {
                assert!(parse(out).is_number(), "{out}");
            }
        } else {
            assert!(parse(out).is_string());
        }
        w.jb.w.buf.clear();
        w.state = FIRST;
    }
}

#[test]
fn escapes_every_ascii_char() {
    for b in 0u8..0x80 {
        let s = (b as char).to_string();
        let out = string_out(|w| w.str(&s));
        let expect = match b {
            b'"' => "\"\\\"\"".to_string(),
            b'\\' => "\"\\\\\"".to_string(),
            b'\n' => "\"\\n\"".to_string(),
            b'\r' => "\"\\r\"".to_string(),
            b'\t' => "\"\\t\"".to_string(),
            0x08 => "\"\\b\"".to_string(),
            0x0c => "\"\\f\"".to_string(),
            0..0x20 => format!("\"\\u{b:04x}\""),
            _ => format!("\"{}\"", b as char),
        };
        assert_eq!(out, expect, "byte {b:#x}");
        // serde_json writes the same escapes
        assert_eq!(out, serde_json::to_string(&s).unwrap());
        assert_eq!(parse(&out), Value::String(s.clone()));
        // also through text() and embedded in longer strings (SWAR path)
        let long = format!("abcdefghij{s}klmnopqrstuvwxyz{s}");
        let out = string_out(|w| w.text(long.as_bytes(), Encoding::Utf8, false));
        assert_eq!(out, serde_json::to_string(&long).unwrap());
    }
    assert_eq!(string_out(|w| w.str("\u{1f}\u{7f}")), "\"\\u001f\u{7f}\"");
}

#[test]
fn strings_random_match_serde() {
    let pool = [
        "a",
        "bc",
        "\"",
        "\\",
        "\n",
        "\u{0}",
        "\u{1b}",
        "\u{7f}",
        "é",
        "€",
        "𝄞",
        "        ",
        "0123456789",
    ];
    let mut r = Rng(99);
    for _ in 0..20_000 {
        let n = r.below(12);
        let s: String = (0..n)
            .map(|_| pool[r.below(pool.len() as u64) as usize])
            .collect();
        let expect = serde_json::to_string(&s).unwrap();
        assert_eq!(string_out(|w| w.str(&s)), expect);
        for (enc, lossy) in [(Encoding::Utf8, false), (Encoding::Utf8, true)] {
            assert_eq!(string_out(|w| w.text(s.as_bytes(), enc, lossy)), expect);
        }
        if s.is_ascii() {
            for lossy in [false, true] {
                assert_eq!(
                    string_out(|w| w.text(s.as_bytes(), Encoding::Ascii, lossy)),
                    expect
                );
                assert_eq!(
                    string_out(|w| w.text(s.as_bytes(), Encoding::Latin1, lossy)),
                    expect
                );
            }
        }
    }
}

#[test]
fn clean_string_is_copied() {
    let s = "x".repeat(1000) + "é€𝄞" + &"y".repeat(333);
    assert_eq!(string_out(|w| w.str(&s)), format!("\"{s}\""));
    assert_eq!(string_out(|w| w.str("")), "\"\"");
}

#[test]
fn lossy_utf8() {
    let raw = b"ok\xff\xfe mid \xe2\x82 end\xc3";
    let out = string_out(|w| w.text(raw, Encoding::Utf8, true));
    assert_eq!(
        parse(&out),
        Value::String(String::from_utf8_lossy(raw).into_owned())
    );
    assert_eq!(out, "\"ok\u{fffd}\u{fffd} mid \u{fffd} end\u{fffd}\"");
    let out = string_out(|w| w.text(b"a\x80\"\x01", Encoding::Ascii, true));
    assert_eq!(out, "\"a\u{fffd}\\\"\\u0001\"");
}

#[test]
fn encodings_match_decode_chars() {
    let pool: &[u8] = &[
        0x00, 0x01, 0x0a, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0xa0, 0xbd, 0xc0, 0xc3, 0xd8, 0xdc, 0xe2,
        0xed, 0xff,
    ];
    let mut r = Rng(7);
    for _ in 0..30_000 {
        let n = r.below(20) as usize;
        let raw: Vec<u8> = (0..n)
            .map(|_| pool[r.below(pool.len() as u64) as usize])
            .collect();
        for (_, enc) in Encoding::ALL {
            let mut expect = String::new();
            text::decode_chars(&raw, enc, |c| expect.push(c));
            let lossy = string_out(|w| w.text(&raw, enc, true));
            assert_eq!(
                parse(&lossy),
                Value::String(expect.clone()),
                "{enc:?} {raw:x?}"
            );
            assert_eq!(
                lossy,
                serde_json::to_string(&expect).unwrap(),
                "{enc:?} {raw:x?}"
            );
            if text::validate(&raw, enc).is_ok() {
                assert_eq!(
                    string_out(|w| w.text(&raw, enc, false)),
                    lossy,
                    "{enc:?} {raw:x?}"
                );
            }
        }
    }
}

#[test]
fn encodings_examples() {
    let t = |raw: &[u8], enc| string_out(|w| w.text(raw, enc, false));
    assert_eq!(
        t(b"caf\xe9 \xff\x01", Encoding::Latin1),
        "\"café ÿ\\u0001\""
    );
    assert_eq!(t(b"\xc9\xcd\xbb \x9b1", Encoding::Cp437), "\"╔═╗ ¢1\"");
    assert_eq!(t(b"a\x00\n\x00\xac\x20", Encoding::Utf16le), "\"a\\n€\"");
    assert_eq!(t(b"\x00\"\xd84\xdd\x1e", Encoding::Utf16be), "\"\\\"𝄞\"");
    assert_eq!(
        t(b"a\xc0\x80\xed\xa0\xbd\xed\xb8\x80", Encoding::Mutf8),
        "\"a\\u0000😀\""
    );
    assert_eq!(
        string_out(|w| w.text(b"a\x00b", Encoding::Mutf8, true)),
        "\"a\u{fffd}b\""
    );
}

#[test]
fn bytes_styles() {
    let data = [0x89u8, 0x50, 0x4e, 0x47, 0x00, 0xff];
    let with = |style, bytes: BytesStyle, b: &[u8]| {
        run(
            JsonOptions {
                style,
                bytes,
                offsets: false,
                ..JsonOptions::DEFAULT
            },
            |w| w.bytes(b),
        )
    };
    assert_eq!(
        with(Style::Compact, BytesStyle::Hex, &data),
        "\"89504e4700ff\"\n"
    );
    assert_eq!(with(Style::Compact, BytesStyle::Hex, &[]), "\"\"\n");
    let all: Vec<u8> = (0..=255).collect();
    let hex: String = all.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        with(Style::Compact, BytesStyle::Hex, &all),
        format!("\"{hex}\"\n")
    );
    assert_eq!(
        with(Style::Compact, BytesStyle::Base64, &data),
        "\"iVBORwD/\"\n"
    );
    assert_eq!(
        with(Style::Compact, BytesStyle::Base64, b"ab"),
        "\"YWI=\"\n"
    );
    assert_eq!(with(Style::Compact, BytesStyle::Base64, b"a"), "\"YQ==\"\n");
    assert_eq!(with(Style::Compact, BytesStyle::Base64, b""), "\"\"\n");
    assert_eq!(
        with(Style::Compact, BytesStyle::Array, &data),
        "[137,80,78,71,0,255]\n"
    );
    assert_eq!(with(Style::Compact, BytesStyle::Array, &[]), "[]\n");
    assert_eq!(
        with(Style::Pretty, BytesStyle::Array, &data),
        "[137, 80, 78, 71, 0, 255]\n"
    );
    assert_eq!(with(Style::Pretty, BytesStyle::Array, &[]), "[]\n");
    assert_eq!(
        with(Style::Pretty, BytesStyle::Hex, &data),
        "\"89504e4700ff\"\n"
    );
    let out = run(
        JsonOptions {
            style: Style::Pretty,
            bytes: BytesStyle::Array,
            offsets: false,
            ..JsonOptions::DEFAULT
        },
        |w| {
            w.begin_object();
            w.key(b"\"b\"");
            w.bytes(&[1, 2]);
            w.key(b"\"c\"");
            w.bytes(&[]);
            w.end_object();
        },
    );
    assert_eq!(out, "{\n  \"b\": [1, 2],\n  \"c\": []\n}\n");
    assert_eq!(parse(&out), json!({"b": [1, 2], "c": []}));
}

#[test]
fn pretty_exact() {
    let out = run(opts(Style::Pretty), |w| {
        w.begin_object();
        w.key(b"\"magic\"");
        w.str("PNG");
        w.key(b"\"size\"");
        w.u64(13);
        w.key(b"\"chunks\"");
        w.begin_array();
        w.begin_object();
        w.key(b"\"type\"");
        w.str("IHDR");
        w.key(b"\"crc\"");
        w.null();
        w.end_object();
        w.begin_array();
        w.end_array();
        w.begin_object();
        w.end_object();
        w.f32(1.5);
        w.end_array();
        w.key(b"\"empty\"");
        w.begin_object();
        w.end_object();
        w.end_object();
    });
    let expect = r#"{
  "magic": "PNG",
  "size": 13,
  "chunks": [
    {
      "type": "IHDR",
      "crc": null
    },
    [],
    {},
    1.5
  ],
  "empty": {}
}
"#;
    assert_eq!(out, expect);
    assert_eq!(
        parse(&out),
        json!({"magic": "PNG", "size": 13, "chunks": [{"type": "IHDR", "crc": null}, [], {}, 1.5], "empty": {}})
    );
}

#[test]
fn random_trees_match_serde() {
    let mut r = Rng(0xdead_beef);
    for _ in 0..3000 {
        let v = random_value(&mut r, 0);
        let c = compact(|w| drive(w, &v));
        assert_eq!(c, serde_json::to_string(&v).unwrap() + "\n");
        let p = run(opts(Style::Pretty), |w| drive(w, &v));
        assert_eq!(p, serde_json::to_string_pretty(&v).unwrap() + "\n");
        let n = run(opts(Style::Ndjson), |w| drive(w, &v));
        assert_eq!(n, c);
    }
}

#[test]
fn nested_empty_containers() {
    let v = json!([[], {}, [[]], [{}], {"a": {}}, {"b": [[], [{}]]}]);
    assert_eq!(
        compact(|w| drive(w, &v)),
        "[[],{},[[]],[{}],{\"a\":{}},{\"b\":[[],[{}]]}]\n"
    );
    assert_eq!(
        run(opts(Style::Pretty), |w| drive(w, &v)),
        serde_json::to_string_pretty(&v).unwrap() + "\n"
    );
    assert_eq!(run(opts(Style::Pretty), |w| drive(w, &json!({}))), "{}\n");
    assert_eq!(run(opts(Style::Pretty), |w| drive(w, &json!([]))), "[]\n");
}

#[test]
fn ndjson_lines() {
    for style in [Style::Ndjson, Style::Compact, Style::Pretty] {
        let mut w = JsonWriter::new(Vec::new(), opts(style));
        for i in 0..3u64 {
            w.begin_object();
            w.key(b"\"i\"");
            w.u64(i);
            w.key(b"\"s\"");
            w.begin_array();
            w.u64(i);
            w.end_array();
            w.end_object();
            w.end_record().unwrap();
        }
        w.u64(7); // a bare top-level scalar record
        w.end_record().unwrap();
        w.end_record().unwrap(); // no value since the last: no empty line
        w.finish().unwrap();
        w.finish().unwrap();
        let out = String::from_utf8(w.into_inner()).unwrap();
        if style == Style::Pretty {
            assert!(out.starts_with("{\n  \"i\": 0,\n  \"s\": [\n    0\n  ]\n}\n{\n  \"i\": 1,"));
            assert!(out.ends_with("}\n7\n"));
        } else {
            assert_eq!(
                out,
                "{\"i\":0,\"s\":[0]}\n{\"i\":1,\"s\":[1]}\n{\"i\":2,\"s\":[2]}\n7\n"
            );
            for line in out.lines() {
                parse(line);
            }
        }
    }
    // Records inside a top-level array: end_record writes no newline.
    let out = compact(|w| {
        w.begin_array();
        for i in 0..3 {
            w.u64(i);
            w.end_record().unwrap();
        }
        w.end_array();
    });
    assert_eq!(out, "[0,1,2]\n");
    // Top-level values without end_record are still separated.
    assert_eq!(
        compact(|w| {
            w.u64(1);
            w.u64(2);
        }),
        "1\n2\n"
    );
    assert_eq!(compact(|_| {}), "");
}

#[test]
fn offsets() {
    let o = JsonOptions {
        offsets: true,
        ..opts(Style::Compact)
    };
    let out = run(o, |w| {
        w.begin_object();
        w.key(b"\"magic\"");
        w.str("PNG");
        w.span(b"\"magic\"", 0, 4);
        w.key(b"\"hdr\"");
        w.begin_object();
        w.key(b"\"w\"");
        w.u64(640);
        w.span(b"\"w\"", 16, 4);
        w.key(b"\"none\"");
        w.begin_object();
        w.end_object();
        w.key(b"\"list\"");
        w.begin_array();
        w.begin_object();
        w.key(b"\"x\"");
        w.u64(1);
        w.span(b"\"x\"", 24, 1);
        w.end_object();
        w.end_array();
        w.span(b"\"list\"", 24, 1);
        w.end_object();
        w.span(b"\"hdr\"", 8, 100);
        w.key(b"\"nospan\"");
        w.bool(true);
        w.end_object();
    });
    assert_eq!(
        out,
        "{\"magic\":\"PNG\",\"hdr\":{\"w\":640,\"none\":{},\"list\":[{\"x\":1,\"@offsets\":{\"x\":[24,1]}}],\
             \"@offsets\":{\"w\":[16,4],\"list\":[24,1]}},\"nospan\":true,\
             \"@offsets\":{\"magic\":[0,4],\"hdr\":[8,100]}}\n"
    );
    parse(&out);

    // Without the option spans are ignored.
    let out = compact(|w| {
        w.begin_object();
        w.key(b"\"a\"");
        w.u64(1);
        w.span(b"\"a\"", 0, 1);
        w.end_object();
    });
    assert_eq!(out, "{\"a\":1}\n");

    // Pretty: one line per entry.
    let o = JsonOptions {
        offsets: true,
        ..opts(Style::Pretty)
    };
    let out = run(o, |w| {
        w.begin_object();
        w.key(b"\"a\"");
        w.u64(1);
        w.span(b"\"a\"", 0, 1);
        w.key(b"\"b\"");
        w.begin_object();
        w.key(b"\"c\"");
        w.u64(2);
        w.span(b"\"c\"", 1, 2);
        w.end_object();
        w.span(b"\"b\"", 1, u64::MAX);
        w.end_object();
        // span at top level (no open object) is ignored
        w.span(b"\"z\"", 0, 0);
    });
    let expect = r#"{
  "a": 1,
  "b": {
    "c": 2,
    "@offsets": {
      "c": [1, 2]
    }
  },
  "@offsets": {
    "a": [0, 1],
    "b": [1, 18446744073709551615]
  }
}
"#;
    assert_eq!(out, expect);

    // A span on an object that is otherwise empty, and reuse across records.
    let mut w = JsonWriter::new(
        Vec::new(),
        JsonOptions {
            offsets: true,
            ..opts(Style::Ndjson)
        },
    );
    for i in 0..3 {
        w.begin_object();
        w.span(b"\"k\"", i, 1);
        w.end_object();
        w.end_record().unwrap();
    }
    w.finish().unwrap();
    let out = String::from_utf8(w.into_inner()).unwrap();
    assert_eq!(
        out,
        "{\"@offsets\":{\"k\":[0,1]}}\n{\"@offsets\":{\"k\":[1,1]}}\n{\"@offsets\":{\"k\":[2,1]}}\n"
    );
}

/// Writes `{"i":i,"o":{"a":[i]}}` with spans, for the mark/rewind tests.
fn record(w: &mut JsonWriter<Vec<u8>>, i: u64) {
    w.begin_object();
    w.key(b"\"i\"");
    w.u64(i);
    w.span(b"\"i\"", i, 1);
    w.key(b"\"o\"");
    w.begin_object();
    w.key(b"\"a\"");
    w.begin_array();
    w.u64(i);
    w.end_array();
    w.span(b"\"a\"", i, 2);
    w.end_object();
    w.span(b"\"o\"", i, 3);
    w.end_object();
}

/// A record that fails half-way: containers left open, spans recorded.
fn broken(w: &mut JsonWriter<Vec<u8>>) {
    w.begin_object();
    w.key(b"\"i\"");
    w.u64(99);
    w.span(b"\"i\"", 99, 1);
    w.key(b"\"o\"");
    w.begin_object();
    w.key(b"\"a\"");
    w.begin_array();
    w.str("partial");
}

#[test]
fn mark_and_rewind_records() {
    for style in [Style::Ndjson, Style::Compact, Style::Pretty] {
        for offsets in [false, true] {
            let o = JsonOptions {
                style,
                offsets,
                ..JsonOptions::default()
            };
            let expect = run(o, |w| {
                for i in 0..3 {
                    record(w, i);
                    w.end_record().unwrap();
                }
            });
            let got = run(o, |w| {
                for i in 0..3 {
                    let m = w.mark();
                    broken(w);
                    w.rewind(m);
                    let m = w.mark();
                    record(w, i);
                    if i == 1 {
                        // a record that fails after completing its value
                        w.rewind(m);
                        let m2 = w.mark();
                        assert_eq!(m, m2);
                        record(w, i);
                    }
                    w.end_record().unwrap();
                }
                let m = w.mark();
                broken(w);
                w.rewind(m);
            });
            assert_eq!(got, expect, "{style:?} offsets={offsets}");
        }
    }
}

#[test]
fn mark_and_rewind_inside_array() {
    // Records wrapped in a top-level array (commas must be restored).
    let o = JsonOptions {
        offsets: true,
        ..opts(Style::Pretty)
    };
    let expect = run(o, |w| {
        w.begin_array();
        for i in 0..3 {
            record(w, i);
            w.end_record().unwrap();
        }
        w.end_array();
    });
    let got = run(o, |w| {
        w.begin_array();
        let m = w.mark();
        broken(w);
        w.rewind(m);
        for i in 0..3 {
            let m = w.mark();
            broken(w);
            w.rewind(m);
            record(w, i);
            w.end_record().unwrap();
        }
        let m = w.mark();
        broken(w);
        w.rewind(m);
        w.end_array();
    });
    assert_eq!(got, expect);
    parse(&got);
}

#[test]
fn no_flush_while_marked() {
    // A record bigger than the flush threshold stays buffered until end_record, so
    // the mark stays valid and rewinding leaves no output.
    let mut w = JsonWriter::new(Vec::new(), opts(Style::Ndjson));
    let s = "z".repeat(1000);
    let m = w.mark();
    w.begin_array();
    for _ in 0..2000 {
        w.begin_array();
        w.str(&s);
        w.end_array();
    }
    assert!(w.buffered().len() > FLUSH_AT);
    assert!(w.get_mut().is_empty());
    w.rewind(m);
    assert!(w.buffered().is_empty());
    // The same record completed: flushed by end_record.
    let m = w.mark();
    assert_eq!(m, 0);
    w.begin_array();
    for _ in 0..2000 {
        w.begin_array();
        w.str(&s);
        w.end_array();
    }
    w.end_array();
    assert!(w.get_mut().is_empty());
    w.end_record().unwrap();
    assert!(w.buffered().is_empty());
    assert!(!w.get_mut().is_empty());
    // Without a mark, end_array flushes again.
    w.begin_array();
    for _ in 0..2000 {
        w.begin_array();
        w.str(&s);
        w.end_array();
    }
    assert!(w.buffered().len() <= FLUSH_AT + 1100);
    w.end_array();
    w.finish().unwrap();
    let out = String::from_utf8(w.into_inner()).unwrap();
    assert_eq!(out.lines().count(), 2);
    for line in out.lines() {
        assert_eq!(parse(line).as_array().unwrap().len(), 2000);
    }
}

#[test]
fn take_buffered_keeps_capacity() {
    let mut w = JsonWriter::new(Vec::new(), opts(Style::Ndjson));
    w.begin_array();
    w.u64(1);
    w.end_array();
    w.end_record().unwrap();
    assert_eq!(w.buffered(), b"[1]\n");
    let cap = w.jb.w.buf.capacity();
    let mut into = b"x".to_vec();
    w.take_buffered(&mut into);
    assert_eq!(into, b"x[1]\n");
    assert!(w.buffered().is_empty());
    assert_eq!(w.jb.w.buf.capacity(), cap);
    w.u64(2);
    w.end_record().unwrap();
    w.take_buffered(&mut into);
    assert_eq!(into, b"x[1]\n2\n");
    w.finish().unwrap();
    assert!(w.get_mut().is_empty());
}

#[test]
fn flushes_past_threshold() {
    // Many records: the buffer stays bounded and data reaches the output early.
    let mut w = JsonWriter::new(Vec::new(), opts(Style::Ndjson));
    let s = "x".repeat(100);
    let mut max = 0;
    for i in 0..30_000u64 {
        w.begin_object();
        w.key(b"\"i\"");
        w.u64(i);
        w.key(b"\"s\"");
        w.str(&s);
        w.end_object();
        w.end_record().unwrap();
        max = max.max(w.buffered().len());
    }
    assert!(max <= FLUSH_AT + 200);
    assert!(!w.get_mut().is_empty());
    w.finish().unwrap();
    let out = String::from_utf8(w.into_inner()).unwrap();
    assert_eq!(out.lines().count(), 30_000);
    assert_eq!(parse(out.lines().nth(12345).unwrap())["i"], 12345);

    // One huge document: flushed at the end of nested containers.
    let mut w = JsonWriter::new(Vec::new(), opts(Style::Compact));
    w.begin_array();
    let mut max = 0;
    for i in 0..200_000u64 {
        w.begin_array();
        w.u64(i);
        w.end_array();
        max = max.max(w.buffered().len());
    }
    w.end_array();
    assert!(max <= FLUSH_AT + 64);
    w.finish().unwrap();
    let v = parse(std::str::from_utf8(&w.into_inner()).unwrap());
    assert_eq!(v.as_array().unwrap().len(), 200_000);
}

struct Failing {
    ok_bytes: usize,
    written: usize,
    flushes: usize,
}
impl Write for Failing {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.written + b.len() > self.ok_bytes {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "boom"));
        }
        self.written += b.len();
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.flushes += 1;
        Ok(())
    }
}

#[test]
fn io_errors_propagate() {
    // Error at finish.
    let mut w = JsonWriter::new(
        Failing {
            ok_bytes: 0,
            written: 0,
            flushes: 0,
        },
        opts(Style::Compact),
    );
    w.u64(1);
    let e = w.finish().unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(e.to_string(), "boom");
    assert_eq!(w.get_mut().flushes, 0);
    // Later calls keep failing with the same kind.
    assert_eq!(
        w.end_record().unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
    assert_eq!(w.finish().unwrap_err().kind(), io::ErrorKind::BrokenPipe);

    // Error in a flush from end_object: returned by the next end_record.
    let mut w = JsonWriter::new(
        Failing {
            ok_bytes: 0,
            written: 0,
            flushes: 0,
        },
        opts(Style::Ndjson),
    );
    let big = "y".repeat(FLUSH_AT + 1);
    w.begin_object();
    w.key(b"\"s\"");
    w.str(&big);
    w.end_object(); // flushes (and fails) here
    assert!(w.buffered().is_empty());
    w.begin_object();
    w.end_object();
    assert_eq!(w.end_record().unwrap_err().to_string(), "boom");
    // Nothing more is written, the buffer does not grow without bound.
    for _ in 0..3 {
        w.str(&big);
        assert!(w.end_record().is_err());
        assert!(w.buffered().len() < 100);
    }
    assert!(w.finish().is_err());
    assert_eq!(w.get_mut().written, 0);

    // Success path calls flush on the output.
    let mut w = JsonWriter::new(
        Failing {
            ok_bytes: 100,
            written: 0,
            flushes: 0,
        },
        opts(Style::Compact),
    );
    w.u64(12);
    w.finish().unwrap();
    assert_eq!(w.get_mut().written, 3);
    assert_eq!(w.get_mut().flushes, 1);
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "without a key")]
fn debug_checks_value_without_key() {
    let mut w = JsonWriter::new(Vec::new(), opts(Style::Compact));
    w.begin_object();
    w.u64(1);
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "end_array without an open array")]
fn debug_checks_mismatched_end() {
    let mut w = JsonWriter::new(Vec::new(), opts(Style::Compact));
    w.begin_object();
    w.end_array();
}

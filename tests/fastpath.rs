//! The compiled fixed-layout writer (`decode::flat`, used for compact and NDJSON output)
//! against the general decoder (used for pretty output and `--offsets`): random flat structs
//! of every fixed-size field type, random data biased towards awkward bytes (NUL, quotes,
//! control characters, non-ASCII, invalid UTF-8), decoded both ways. The JSON values, the
//! record counts and the errors must be the same.

use unstruct::decode::{Input, Options};
use unstruct::emit::Sink;
use unstruct::emit::json::{JsonOptions, JsonWriter, Style};
use unstruct::plan::Plan;
use unstruct::records::{self, RecordsConfig};

/// xorshift64*: a fixed sequence, so a failure names its case and replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

const ENUMS: &str = "enum color: u16 { red = 1, green = 2, a_rather_long_member_name_of_the_enum = 0x3a }\n\
                     enum small: i8 { minus = -1, zero = 0 }\n";

/// A random field type and the bytes it takes.
fn field_type(r: &mut Rng) -> (String, usize) {
    let order = *r.pick(&["", "", "le", "be"]);
    let n = 1 + r.below(20) as usize;
    match r.below(14) {
        0 => ("u8".into(), 1),
        1 => ("i8".into(), 1),
        2 => {
            let w = *r.pick(&[2usize, 3, 4, 8]);
            (format!("u{}{order}", w * 8), w)
        }
        3 => {
            let w = *r.pick(&[2usize, 3, 4, 8]);
            (format!("i{}{order}", w * 8), w)
        }
        4 => {
            let w = *r.pick(&[2usize, 4, 8]);
            (format!("f{}{order}", w * 8), w)
        }
        5 => ("bool".into(), 1),
        6 => (format!("bytes[{n}]"), n),
        7 => (format!("str[{n}]"), n),
        8 => (format!("strz[{n}]"), n),
        9 => (format!("strz[{n}] ascii"), n),
        10 => (format!("str[{n}] ascii"), n),
        11 => (format!("str[{n}] trim \" \""), n),
        12 => ("color".into(), 2),
        _ => (format!("pad[{n}]"), n),
    }
}

/// A random flat struct: its descriptor and its size.
fn descriptor(r: &mut Rng) -> (String, usize) {
    let endian = *r.pick(&["", "endian little\n", "endian big\n"]);
    let mut s = format!("{endian}{ENUMS}struct rec {{\n");
    let mut size = 0;
    for i in 0..1 + r.below(9) {
        let (ty, n) = field_type(r);
        // short and long keys (the writer copies prefixes of up to 16 bytes in one move),
        // and unnamed fields, which are not written but whose text is still checked
        let name = match r.below(6) {
            0 => "_".to_string(),
            1 => format!("a_field_name_longer_than_sixteen_bytes_{i}"),
            _ => format!("f{i}"),
        };
        s.push_str(&format!("  {name}: {ty}\n"));
        size += n;
    }
    s.push_str("}\n");
    (s, size)
}

/// Random bytes, mostly from a set that exercises every branch of the text writer.
fn data(r: &mut Rng, len: usize) -> Vec<u8> {
    const AWKWARD: &[u8] = b"\0\0\0\0 \"\\\n\x1f\x7f\x80\xc3\xa9\xe2\x82\xac\xff";
    (0..len)
        .map(|_| match r.below(10) {
            0 => *r.pick(AWKWARD),
            1 => r.next() as u8,
            _ => b'a' + r.below(26) as u8,
        })
        .collect()
}

/// Records mode over `data` in `style`; the output parsed, the count and the error text.
fn run(plan: &Plan, data: &[u8], style: Style) -> (Vec<serde_json::Value>, u64, Option<String>) {
    let mut w = JsonWriter::new(
        Vec::new(),
        JsonOptions {
            style,
            ..JsonOptions::default()
        },
    );
    let mut skip = |_: &unstruct::DataError, _: u64, _: u64| {};
    let r = records::run_slice(
        plan,
        plan.root,
        Input::whole(data),
        Options::default(),
        &RecordsConfig::default(),
        &mut w,
        &mut skip,
    );
    let _ = w.finish();
    let out = w.into_inner();
    let values = serde_json::Deserializer::from_slice(&out)
        .into_iter::<serde_json::Value>()
        .map(|v| {
            v.unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out)))
        })
        .collect();
    match r {
        Ok(s) => (values, s.written, None),
        Err(e) => (values, 0, Some(e.to_string())),
    }
}

#[test]
fn compiled_writer_matches_the_general_decoder() {
    let mut r = Rng(0x005e_ed0f_fa57_9a7e);
    let mut fast_records = 0;
    for case in 0..3000 {
        let (text, size) = descriptor(&mut r);
        let plan = unstruct::lang::compile_str("case.struct", &text)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{text}"));
        let root = &plan.structs[plan.root as usize];
        assert!(
            root.static_size == Some(size as u64),
            "case {case}: size {:?}, expected {size}\n{text}",
            root.static_size
        );
        let records = 1 + r.below(6) as usize;
        let bytes = data(&mut r, size * records);
        let (fast, n_fast, e_fast) = run(&plan, &bytes, Style::Ndjson);
        let (slow, n_slow, e_slow) = run(&plan, &bytes, Style::Pretty);
        assert_eq!(
            (&fast, n_fast, &e_fast),
            (&slow, n_slow, &e_slow),
            "case {case}: compact and pretty output differ\n{text}\ndata {bytes:02x?}"
        );
        if root.raw.is_some() {
            fast_records += fast.len();
        }
    }
    // the comparison is only worth something if the compiled writer did most of the work
    assert!(
        fast_records > 2000,
        "only {fast_records} records on the fast path"
    );
}

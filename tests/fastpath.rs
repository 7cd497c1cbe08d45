//! The compiled record writers (`decode::flat` for fixed layouts, `decode::seq` for plain
//! sequences with lengths from earlier fields; used for compact, NDJSON and pretty output)
//! against the general decoder (a writer that lends nothing to compiled programs, and the
//! only path for `--offsets` and integer styles): random structs of every field type they
//! take, random data biased towards awkward bytes (NUL, quotes, control characters,
//! non-ASCII, invalid UTF-8, lengths past the end), as records and inside documents at
//! every depth, decoded both ways in every output style. The output must be the same bytes,
//! the record counts and the errors the same.

use unstruct::decode::{Input, Options, Programs};
use unstruct::emit::json::{IntStyle, JsonOptions, JsonWriter, Style};
use unstruct::emit::{NoRecords, Sink};
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
    match r.below(15) {
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
        13 => ("\"a\"".into(), 1),
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

/// A JSON writer that lends nothing to compiled programs: everything it gets goes through
/// the general decoder, the reference the compiled paths must match byte for byte.
struct General(JsonWriter<Vec<u8>>);

impl Sink for General {
    type Out = NoRecords;
    fn begin_object(&mut self) {
        self.0.begin_object()
    }
    fn end_object(&mut self) {
        self.0.end_object()
    }
    fn begin_array(&mut self) {
        self.0.begin_array()
    }
    fn end_array(&mut self) {
        self.0.end_array()
    }
    fn key(&mut self, k: &[u8]) {
        self.0.key(k)
    }
    fn span(&mut self, k: &[u8], offset: u64, size: u64) {
        self.0.span(k, offset, size)
    }
    fn null(&mut self) {
        self.0.null()
    }
    fn bool(&mut self, v: bool) {
        self.0.bool(v)
    }
    fn u64(&mut self, v: u64) {
        self.0.u64(v)
    }
    fn i64(&mut self, v: i64) {
        self.0.i64(v)
    }
    fn i128(&mut self, v: i128) {
        self.0.i128(v)
    }
    fn f64(&mut self, v: f64) {
        self.0.f64(v)
    }
    fn f32(&mut self, v: f32) {
        self.0.f32(v)
    }
    fn text(&mut self, raw: &[u8], enc: unstruct::text::Encoding, lossy: bool) {
        self.0.text(raw, enc, lossy)
    }
    fn str(&mut self, s: &str) {
        self.0.str(s)
    }
    fn bytes(&mut self, b: &[u8]) {
        self.0.bytes(b)
    }
    fn end_record(&mut self) -> std::io::Result<()> {
        self.0.end_record()
    }
    fn finish(&mut self) -> std::io::Result<()> {
        self.0.finish()
    }
    fn failed(&self) -> bool {
        self.0.failed()
    }
    fn mark(&self) -> usize {
        self.0.mark()
    }
    fn rewind(&mut self, mark: usize) {
        self.0.rewind(mark)
    }
}

/// Which way values are written: through the compiled programs where they apply, or only
/// through the general decoder ([`General`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Compiled,
    General,
}

fn json_opts(style: Style) -> JsonOptions {
    JsonOptions {
        style,
        ..JsonOptions::default()
    }
}

/// Records mode over `data` with writer options `o` along `path`: the output, the count
/// and the error text.
fn records_out(
    plan: &Plan,
    data: &[u8],
    o: JsonOptions,
    path: Path,
) -> (Vec<u8>, u64, Option<String>) {
    fn go<S: Sink>(plan: &Plan, data: &[u8], w: &mut S) -> Result<u64, String> {
        let mut skip = |_: &unstruct::DataError, _: u64, _: u64| {};
        let r = records::run_slice(
            plan,
            plan.root,
            Input::whole(data),
            Options::default(),
            &RecordsConfig::default(),
            w,
            &mut skip,
        );
        let _ = w.finish();
        r.map(|s| s.written).map_err(|e| e.to_string())
    }
    let w = JsonWriter::new(Vec::new(), o);
    let (r, out) = match path {
        Path::Compiled => {
            let mut w = w;
            let r = go(plan, data, &mut w);
            (r, w.into_inner())
        }
        Path::General => {
            let mut w = General(w);
            let r = go(plan, data, &mut w);
            (r, w.0.into_inner())
        }
    };
    match r {
        Ok(n) => (out, n, None),
        Err(e) => (out, 0, Some(e)),
    }
}

/// The JSON values in `out`, one after another.
fn parse_all(out: &[u8]) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_slice(out)
        .into_iter::<serde_json::Value>()
        .map(|v| {
            v.unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(out)))
        })
        .collect()
}

/// Records mode over `data` in `style` through the compiled programs; the output parsed,
/// the count and the error text.
fn run(plan: &Plan, data: &[u8], style: Style) -> (Vec<serde_json::Value>, u64, Option<String>) {
    run_with(plan, data, style, IntStyle::Number)
}

/// [`run`] with integers written in `ints`.
fn run_with(
    plan: &Plan,
    data: &[u8],
    style: Style,
    ints: IntStyle,
) -> (Vec<serde_json::Value>, u64, Option<String>) {
    let o = JsonOptions {
        ints,
        ..json_opts(style)
    };
    let (out, n, e) = records_out(plan, data, o, Path::Compiled);
    (parse_all(&out), n, e)
}

/// Records mode with options `o`, through the compiled programs and through the general
/// decoder: the outputs must be the same bytes, the counts and errors the same. Returns the
/// output parsed.
fn same_records(
    plan: &Plan,
    data: &[u8],
    o: JsonOptions,
    what: &dyn Fn() -> String,
) -> Vec<serde_json::Value> {
    let fast = records_out(plan, data, o, Path::Compiled);
    let slow = records_out(plan, data, o, Path::General);
    if fast != slow {
        panic!(
            "{}: {o:?}: compiled and general output differ\ncompiled ({:?}, {:?}):\n{}\ngeneral ({:?}, {:?}):\n{}",
            what(),
            fast.1,
            fast.2,
            String::from_utf8_lossy(&fast.0),
            slow.1,
            slow.2,
            String::from_utf8_lossy(&slow.0)
        );
    }
    parse_all(&fast.0)
}

/// A random output style for a comparison: compact, NDJSON or pretty, any bytes style,
/// with `--offsets` now and then.
fn random_opts(r: &mut Rng) -> JsonOptions {
    use unstruct::emit::BytesStyle;
    JsonOptions {
        style: *r.pick(&[Style::Compact, Style::Ndjson, Style::Pretty, Style::Pretty]),
        bytes: *r.pick(&[BytesStyle::Hex, BytesStyle::Base64, BytesStyle::Array]),
        offsets: r.below(5) == 0,
        ..JsonOptions::default()
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
        let what = || format!("case {case}\n{text}\ndata {bytes:02x?}");
        let fast = same_records(&plan, &bytes, json_opts(Style::Ndjson), &what);
        let o = random_opts(&mut r);
        let styled = same_records(&plan, &bytes, o, &what);
        if !o.offsets && o.bytes == Default::default() {
            assert_eq!(fast, styled, "{}: compact and {o:?} differ", what());
        }
        if Programs::of(&plan).has_raw(plan.root) {
            fast_records += fast.len();
        }
    }
    // the comparison is only worth something if the compiled writer did most of the work
    assert!(
        fast_records > 2000,
        "only {fast_records} records on the fast path"
    );
}

/// One field of a random sequence struct: its declaration and a writer of plausible bytes
/// for it (lengths refer to the kept length fields `n0`, `n1`, whose values come first).
fn seq_field(r: &mut Rng, i: usize, lens: &mut Vec<(String, u8)>) -> (String, Vec<u8>) {
    let order = *r.pick(&["", "le", "be"]);
    let text = |r: &mut Rng, n: usize| -> Vec<u8> {
        let mut t = Vec::with_capacity(n);
        while t.len() < n {
            match r.below(12) {
                0 => t.push(*r.pick(b"\"\\\n\x01\0\x7f")),
                1 if n - t.len() >= 2 => t.extend_from_slice("é".as_bytes()),
                _ => t.push(b'a' + r.below(26) as u8),
            }
        }
        t
    };
    // a length: a constant, a kept field, or a small expression of one
    let len = |r: &mut Rng, lens: &[(String, u8)]| -> (String, usize) {
        if lens.is_empty() || r.below(4) == 0 {
            let n = r.below(6) as usize;
            return (n.to_string(), n);
        }
        let (name, v) = r.pick(lens).clone();
        match r.below(4) {
            0 => (format!("{name} - 1"), (v as usize).saturating_sub(1)),
            1 => (format!("{name} * 2 + 1"), v as usize * 2 + 1),
            _ => (name, v as usize),
        }
    };
    match r.below(12) {
        11 if !lens.is_empty() => {
            // floored division and modulo of negative values (computed in the program)
            let (name, _) = r.pick(lens).clone();
            let d = *r.pick(&["3", "-3", "2"]);
            (
                format!("q{i}: = ({name} - 4) / {d} * 10 + ({name} - 4) % {d}"),
                vec![],
            )
        }
        0 | 1 => {
            // a length field, kept for the fields after it
            let v = r.below(7) as u8;
            let name = format!("n{i}");
            lens.push((name.clone(), v));
            let (ty, bytes) = match r.below(3) {
                0 => ("u8".to_string(), vec![v]),
                1 => (
                    format!("u16{order}"),
                    if order == "be" {
                        vec![0, v]
                    } else {
                        vec![v, 0]
                    },
                ),
                _ => (
                    format!("u32{order}"),
                    if order == "be" {
                        vec![0, 0, 0, v]
                    } else {
                        vec![v, 0, 0, 0]
                    },
                ),
            };
            (format!("{name}: {ty}"), bytes)
        }
        2 => {
            let (l, n) = len(r, lens);
            (format!("s{i}: str[{l}]"), text(r, n))
        }
        3 => {
            let (l, n) = len(r, lens);
            (format!("s{i}: strz[{l}] ascii"), text(r, n))
        }
        4 => {
            let n = r.below(6) as usize;
            let mut t = text(r, n);
            t.retain(|&c| c != 0);
            t.push(0);
            (
                format!("c{i}: strz{}", if r.below(2) == 0 { " ascii" } else { "" }),
                t,
            )
        }
        5 => {
            let (l, n) = len(r, lens);
            (format!("b{i}: bytes[{l}]"), text(r, n))
        }
        6 => {
            let (l, n) = len(r, lens);
            (format!("_: pad[{l}]"), vec![7; n])
        }
        7 => (format!("x{i}: i16{order}"), vec![0x85, 0x01]),
        8 => (format!("f{i}: f64{order}"), 1.5f64.to_le_bytes().to_vec()),
        9 => (format!("e{i}: color"), vec![2, 0]),
        _ => (format!("u{i}: u24{order}"), vec![1, 2, 3]),
    }
}

#[test]
fn sequence_programs_match_the_general_decoder() {
    let mut r = Rng(0x0bad_c0de_1234_5678);
    let (mut fast_records, mut seq_cases) = (0, 0);
    for case in 0..3000 {
        let endian = *r.pick(&["", "endian big\n"]);
        let mut text = format!("{endian}{ENUMS}struct rec {{\n");
        let nfields = 1 + r.below(7) as usize;
        let mut lens = Vec::new();
        let mut fields = Vec::new();
        for i in 0..nfields {
            let (decl, bytes) = seq_field(&mut r, i, &mut lens);
            text.push_str(&format!("  {decl}\n"));
            fields.push(bytes);
        }
        text.push_str("}\n");
        let plan = unstruct::lang::compile_str("case.struct", &text)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{text}"));
        // records: the plausible bytes, now and then damaged, cut short at the end
        let mut bytes = Vec::new();
        for _ in 0..1 + r.below(6) {
            for f in &fields {
                bytes.extend_from_slice(f);
            }
        }
        if r.below(4) == 0 && !bytes.is_empty() {
            let at = r.below(bytes.len() as u64) as usize;
            bytes[at] = r.next() as u8;
        }
        if r.below(5) == 0 {
            bytes.truncate(bytes.len().saturating_sub(1 + r.below(3) as usize));
        }
        let what = || format!("case {case}\n{text}\ndata {bytes:02x?}");
        same_records(&plan, &bytes, json_opts(Style::Ndjson), &what);
        same_records(&plan, &bytes, random_opts(&mut r), &what);
        let (fast, n_fast, e_fast) = run(&plan, &bytes, Style::Ndjson);
        // integer styles: the general decoder's output is the sequence program's restyled
        if case % 4 == 0 {
            for ints in [IntStyle::Hex, IntStyle::BigAsString] {
                let (styled, n, e) = run_with(&plan, &bytes, Style::Ndjson, ints);
                let want: Vec<_> = fast.iter().map(|v| restyle(v, ints)).collect();
                assert_eq!(
                    (&styled, n, &e),
                    (&want, n_fast, &e_fast),
                    "case {case}: {ints:?}\n{text}\ndata {bytes:02x?}"
                );
            }
        }
        if Programs::of(&plan).has_seq(plan.root) {
            fast_records += fast.len();
            seq_cases += 1;
        }
    }
    eprintln!("{seq_cases} cases, {fast_records} records on the sequence path");
    assert!(
        seq_cases > 1000 && fast_records > 3000,
        "only {seq_cases} cases, {fast_records} records on the sequence path"
    );
}

/// Decodes `data` as one document with writer options `o` along `path`: the output, or the
/// error text.
fn document_out(plan: &Plan, data: &[u8], o: JsonOptions, path: Path) -> Result<Vec<u8>, String> {
    fn go<S: Sink>(plan: &Plan, data: &[u8], w: &mut S) -> Result<(), String> {
        unstruct::decode::decode_document(plan, Input::whole(data), Options::default(), w)
            .map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())
    }
    let w = JsonWriter::new(Vec::new(), o);
    match path {
        Path::Compiled => {
            let mut w = w;
            go(plan, data, &mut w)?;
            Ok(w.into_inner())
        }
        Path::General => {
            let mut w = General(w);
            go(plan, data, &mut w)?;
            Ok(w.0.into_inner())
        }
    }
}

/// Decodes `data` as one document in `style` through the compiled programs: the value
/// (parsed) or the error text.
fn document(plan: &Plan, data: &[u8], style: Style) -> Result<serde_json::Value, String> {
    let out = document_out(plan, data, json_opts(style), Path::Compiled)?;
    Ok(serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out))))
}

/// A document with writer options `o`, through the compiled programs and through the
/// general decoder: the same bytes or the same error. Returns the value, parsed.
fn same_document(
    plan: &Plan,
    data: &[u8],
    o: JsonOptions,
    what: &dyn Fn() -> String,
) -> Result<serde_json::Value, String> {
    let fast = document_out(plan, data, o, Path::Compiled);
    let slow = document_out(plan, data, o, Path::General);
    if fast != slow {
        let show = |r: &Result<Vec<u8>, String>| match r {
            Ok(b) => String::from_utf8_lossy(b).into_owned(),
            Err(e) => format!("error: {e}"),
        };
        panic!(
            "{}: {o:?}: compiled and general output differ\ncompiled:\n{}\ngeneral:\n{}",
            what(),
            show(&fast),
            show(&slow)
        );
    }
    let out = fast?;
    Ok(serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", String::from_utf8_lossy(&out))))
}

/// Structs with parameters, fields under `if`, computed fields and embedded structs, as the
/// elements of an array inside a document (`items: rec(m)[k]`): the sequence program, used
/// for each element the compact writer takes, against the general decoder.
#[test]
fn sequence_programs_in_documents_match_the_general_decoder() {
    let mut r = Rng(0x0d0c_0123_4567_89ab);
    let mut seq_cases = 0;
    for case in 0..2000 {
        let m = r.below(3) as u8;
        let k = 1 + r.below(4) as usize;
        let mut text = format!(
            "{ENUMS}struct doc {{\n  m: u8\n  items: rec(m)[{k}]\n  tail: u8\n}}\n\
             struct emb {{ p: u16; q: u8 }}\nstruct emb2 {{ s: strz; _: pad[1] }}\n\
             struct emb3 endian big {{ r: u16; emb }}\n\
             struct rec(m) {{\n"
        );
        let mut lens: Vec<(String, u8)> = Vec::new();
        let mut fields: Vec<Vec<u8>> = Vec::new();
        for i in 0..1 + r.below(7) as usize {
            // a condition on the parameter, known here, so the bytes can follow it
            let cond = match r.below(6) {
                0 | 1 => {
                    let op = *r.pick(&["==", "!=", "<", "<=", ">", ">="]);
                    Some((format!("m {op} {}", r.below(3)), None))
                }
                2 if !lens.is_empty() => Some(("n_any > 2".to_string(), Some(()))),
                3 => Some((format!("{} == m", r.below(3)), None)),
                _ => None,
            };
            let holds = |c: &str| -> bool {
                let w: Vec<&str> = c.split(' ').collect();
                let val = |t: &str| if t == "m" { m } else { t.parse().unwrap_or(0) };
                let (a, b) = (val(w[0]), val(w[2]));
                match w[1] {
                    "==" => a == b,
                    "!=" => a != b,
                    "<" => a < b,
                    "<=" => a <= b,
                    ">" => a > b,
                    _ => a >= b,
                }
            };
            let (decl, bytes) = match r.below(9) {
                0 => (format!("o{i}: = @offset"), vec![]),
                1 if !lens.is_empty() => {
                    let (name, _) = r.pick(&lens).clone();
                    (format!("d{i}: = {name} * 3 - 1"), vec![])
                }
                2 if !lens.is_empty() => {
                    let (name, _) = r.pick(&lens).clone();
                    (format!("t{i}: = {name} * 2 >= m + 3 && m != 2"), vec![])
                }
                3 => ("emb".to_string(), vec![5, 0, 6]),
                4 => ("emb2".to_string(), b"hi\0\0".to_vec()),
                5 => ("emb3".to_string(), vec![1, 2, 5, 0, 6]),
                _ => seq_field(&mut r, i, &mut lens),
            };
            match cond {
                // conditions on a length field's value are left unknown to the generator:
                // the decoders must agree whatever the data says
                Some((_, Some(()))) => {
                    let (name, v) = r.pick(&lens).clone();
                    text.push_str(&format!("  {decl} if {name} > 2\n"));
                    if v > 2 {
                        fields.push(bytes);
                    }
                }
                Some((c, None)) => {
                    text.push_str(&format!("  {decl} if {c}\n"));
                    if holds(&c) {
                        fields.push(bytes);
                    }
                }
                None => {
                    text.push_str(&format!("  {decl}\n"));
                    fields.push(bytes);
                }
            }
        }
        text.push_str("}\n");
        let plan = match unstruct::lang::compile_str("case.struct", &text) {
            Ok(p) => p,
            // a length field declared under a condition and then named: the checker may
            // reject some combinations; those are not this test's business
            Err(_) => continue,
        };
        let mut bytes = vec![m];
        for _ in 0..k {
            for f in &fields {
                bytes.extend_from_slice(f);
            }
        }
        bytes.push(9);
        if r.below(4) == 0 {
            let at = r.below(bytes.len() as u64) as usize;
            bytes[at] = r.next() as u8;
        }
        if r.below(6) == 0 {
            bytes.truncate(bytes.len().saturating_sub(1 + r.below(4) as usize));
        }
        let what = || format!("case {case}\n{text}\ndata {bytes:02x?}");
        let fast = same_document(&plan, &bytes, json_opts(Style::Compact), &what);
        let pretty = same_document(&plan, &bytes, json_opts(Style::Pretty), &what);
        assert_eq!(fast, pretty, "{}: compact and pretty differ", what());
        same_document(&plan, &bytes, random_opts(&mut r), &what).ok();
        let rec = plan.struct_by_name("rec").expect("rec");
        if Programs::of(&plan).has_seq(rec) && fast.is_ok() {
            seq_cases += 1;
        }
    }
    eprintln!("{seq_cases} documents decoded with sequence programs");
    assert!(
        seq_cases > 400,
        "only {seq_cases} documents with sequence programs"
    );
}

/// A struct the sequence program starts on and then hands back (a parameter that is a
/// float, which the program does not take): the separator the writer put before it must go,
/// or the array would read `[{..},,{..}]`.
#[test]
fn sequence_program_gives_back_a_struct_cleanly() {
    let text = "struct doc { f: f32; items: rec(f)[3] }\n\
                struct rec(f) { n: u8; a: u8 if f == 1; s: str[n] }\n";
    let plan = unstruct::lang::compile_str("abort.struct", text).expect("compiles");
    let rec = plan.struct_by_name("rec").expect("rec");
    assert!(Programs::of(&plan).has_seq(rec));
    let mut data = 1.0f32.to_le_bytes().to_vec();
    for _ in 0..3 {
        data.extend_from_slice(b"\x02\x07ab");
    }
    let fast = document(&plan, &data, Style::Compact).expect("decodes");
    assert_eq!(
        fast,
        document(&plan, &data, Style::Pretty).expect("decodes")
    );
    assert_eq!(
        fast["items"][2],
        serde_json::json!({"n": 2, "a": 7, "s": "ab"})
    );
}

/// Integers as the compiled writer writes them (JSON numbers), turned into hex strings as
/// Python's `hex()` writes them, or into strings outside ±(2^53-1).
fn restyle(v: &serde_json::Value, ints: IntStyle) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_u64() || n.is_i64() => {
            let i = n
                .as_i64()
                .map_or_else(|| i128::from(n.as_u64().unwrap_or(0)), i128::from);
            match ints {
                IntStyle::Hex if i < 0 => Value::String(format!("-{:#x}", -i)),
                IntStyle::Hex => Value::String(format!("{i:#x}")),
                IntStyle::BigAsString if i.unsigned_abs() > (1 << 53) - 1 => {
                    Value::String(i.to_string())
                }
                _ => v.clone(),
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| restyle(x, ints)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), restyle(x, ints)))
                .collect(),
        ),
        _ => v.clone(),
    }
}

/// `--ints hex` and `--big-ints string`: the compiled writers defer to the general decoder,
/// whose output must be the compiled writer's numbers restyled (fixed layouts here; the
/// sequence programs in `sequence_programs_match_the_general_decoder`).
#[test]
fn integer_styles_match_the_compiled_writers_numbers() {
    let mut r = Rng(0x1a75_0f4e_c0de);
    for case in 0..600 {
        let (text, size) = descriptor(&mut r);
        let plan = unstruct::lang::compile_str("case.struct", &text)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{text}"));
        let records = 1 + r.below(4) as usize;
        let bytes = data(&mut r, size * records);
        let (numbers, n, e) = run(&plan, &bytes, Style::Ndjson);
        for ints in [IntStyle::Hex, IntStyle::BigAsString] {
            for style in [Style::Ndjson, Style::Pretty] {
                let (styled, n2, e2) = run_with(&plan, &bytes, style, ints);
                let want: Vec<_> = numbers.iter().map(|v| restyle(v, ints)).collect();
                assert_eq!(
                    (&styled, n2, &e2),
                    (&want, n, &e),
                    "case {case}: {ints:?} {style:?}\n{text}\ndata {bytes:02x?}"
                );
            }
        }
    }
}

/// Arrays of fixed-layout structs inside a document (`recs: rec[k]`, `rec[..]`): each
/// element written by the compiled program when the compact writer takes it, against the
/// general decoder (pretty), including bad text and a short last element.
#[test]
fn fixed_layouts_in_documents_match_the_general_decoder() {
    let mut r = Rng(0x0a11_a7e5_0f0f_1a75);
    let mut raw_cases = 0;
    for case in 0..2000 {
        let (rec, size) = descriptor(&mut r);
        let (count, n) = match r.below(3) {
            0 => ("..".to_string(), 1 + r.below(5) as usize),
            _ => {
                let k = r.below(5) as usize;
                (k.to_string(), k)
            }
        };
        let text = format!("{rec}struct doc {{\n  h: u8\n  recs: rec[{count}]\n}}\n");
        let plan = unstruct::lang::compile_str("case.struct", &text)
            .map(|mut p| {
                p.root = p.struct_by_name("doc").expect("doc");
                p
            })
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{text}"));
        // sometimes a byte short, so the last element is the general path's to report
        let short = usize::from(r.below(8) == 0 && size * n > 0);
        let bytes = data(&mut r, 1 + size * n - short);
        let what = || format!("case {case}\n{text}\ndata {bytes:02x?}");
        let fast = same_document(&plan, &bytes, json_opts(Style::Compact), &what);
        let pretty = same_document(&plan, &bytes, json_opts(Style::Pretty), &what);
        assert_eq!(fast, pretty, "{}: compact and pretty differ", what());
        same_document(&plan, &bytes, random_opts(&mut r), &what).ok();
        let rec_id = plan.struct_by_name("rec").expect("rec");
        if Programs::of(&plan).has_raw(rec_id) && fast.is_ok() {
            raw_cases += 1;
        }
    }
    assert!(
        raw_cases > 300,
        "only {raw_cases} documents with fixed-layout programs"
    );
}

/// The Arrow builder behind a sink that lends it no columns: every record goes through the
/// general decoder, value by value.
struct GeneralOnly<'b>(&'b mut unstruct::columnar::BatchBuilder);

impl Sink for GeneralOnly<'_> {
    type Out = unstruct::emit::NoRecords;
    fn begin_object(&mut self) {
        self.0.begin_object()
    }
    fn end_object(&mut self) {
        self.0.end_object()
    }
    fn begin_array(&mut self) {
        self.0.begin_array()
    }
    fn end_array(&mut self) {
        self.0.end_array()
    }
    fn key(&mut self, k: &[u8]) {
        self.0.key(k)
    }
    fn span(&mut self, k: &[u8], o: u64, s: u64) {
        self.0.span(k, o, s)
    }
    fn null(&mut self) {
        self.0.null()
    }
    fn bool(&mut self, v: bool) {
        self.0.bool(v)
    }
    fn u64(&mut self, v: u64) {
        self.0.u64(v)
    }
    fn i64(&mut self, v: i64) {
        self.0.i64(v)
    }
    fn i128(&mut self, v: i128) {
        self.0.i128(v)
    }
    fn f64(&mut self, v: f64) {
        self.0.f64(v)
    }
    fn f32(&mut self, v: f32) {
        self.0.f32(v)
    }
    fn text(&mut self, raw: &[u8], enc: unstruct::text::Encoding, lossy: bool) {
        self.0.text(raw, enc, lossy)
    }
    fn str(&mut self, s: &str) {
        self.0.str(s)
    }
    fn bytes(&mut self, b: &[u8]) {
        self.0.bytes(b)
    }
    fn end_record(&mut self) -> std::io::Result<()> {
        self.0.end_record()
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Sink::finish(self.0)
    }
    fn mark(&self) -> usize {
        self.0.mark()
    }
    fn rewind(&mut self, mark: usize) {
        self.0.rewind(mark)
    }
}

/// Records mode into Arrow columns, through the column tier (`general` false) or value by
/// value: the batch (pretty-printed by Arrow's debug form), the summary and the error text.
fn columns_run(
    plan: &Plan,
    data: &[u8],
    opts: Options,
    cfg: &RecordsConfig,
    general: bool,
) -> (
    String,
    Option<records::Summary>,
    Option<String>,
    Vec<String>,
) {
    let mut b = unstruct::columnar::batch_builder(plan, plan.root).expect("columns");
    let mut skipped = Vec::new();
    let mut skip = |e: &unstruct::DataError, a: u64, z: u64| skipped.push(format!("{e} {a}..{z}"));
    let input = Input::whole(data);
    let r = if general {
        records::run_slice(
            plan,
            plan.root,
            input,
            opts,
            cfg,
            &mut GeneralOnly(&mut b),
            &mut skip,
        )
    } else {
        records::run_slice(plan, plan.root, input, opts, cfg, &mut b, &mut skip)
    };
    let batch = b.take_batch().expect("a batch");
    let shown = format!("{batch:?}");
    match r {
        Ok(s) => (shown, Some(s), None, skipped),
        Err(e) => (shown, None, Some(e.to_string()), skipped),
    }
}

/// The column tier (`decode/columns.rs`, used by -o csv/arrow/parquet and the Python
/// package's Arrow batches) against the general decoder writing into the same builder:
/// random fixed layouts of every field type, awkward data (invalid text, NaN bits, short
/// remainders), both error policies, record limits and value budgets. The batches (every
/// value, every null, the dictionaries), the summaries, the errors and the skipped ranges
/// must be the same.
#[test]
fn column_tier_matches_the_general_decoder() {
    use unstruct::records::OnError;
    let mut r = Rng(0x00c0_1a3b_5d7f_9e8c);
    let mut fast_records = 0;
    for case in 0..3000 {
        let (text, size) = descriptor(&mut r);
        let plan = unstruct::lang::compile_str("case.struct", &text)
            .unwrap_or_else(|e| panic!("case {case}: {e}\n{text}"));
        let records = 1 + r.below(40) as usize;
        let mut bytes = data(&mut r, size * records);
        // now and then a part of a record at the end
        if r.below(6) == 0 {
            let extra = 1 + r.below(size as u64) as usize;
            bytes.extend(data(&mut r, extra));
        }
        let cfg = RecordsConfig {
            skip: if r.below(8) == 0 { r.below(4) } else { 0 },
            count: if r.below(8) == 0 {
                Some(r.below(30))
            } else {
                None
            },
            on_error: if r.below(2) == 0 {
                OnError::Stop
            } else {
                OnError::Skip
            },
            allow_remainder: r.below(2) == 0,
        };
        let opts = Options {
            max_values: if r.below(10) == 0 {
                Some(r.below(60))
            } else {
                None
            },
            ..Options::default()
        };
        let fast = columns_run(&plan, &bytes, opts, &cfg, false);
        let slow = columns_run(&plan, &bytes, opts, &cfg, true);
        assert_eq!(
            fast, slow,
            "case {case}: the column tier and the general decoder differ\n{text}\n{cfg:?} \
             {opts:?}\ndata {bytes:02x?}"
        );
        if Programs::of(&plan).has_raw(plan.root) {
            fast_records += fast.1.map_or(0, |s| s.written);
        }
        // the batch iterator (the Python package's record_batches and to_arrow): the same
        // rows as the general decoder's run, then an error where that run has one (a part
        // of a record at the end is an error of its own kind in records mode)
        if cfg.skip == 0
            && cfg.count.is_none()
            && cfg.on_error == OnError::Stop
            && bytes.len().is_multiple_of(size)
        {
            let all = RecordsConfig {
                allow_remainder: false,
                ..RecordsConfig::default()
            };
            let slow = columns_run(&plan, &bytes, opts, &all, true);
            let mut it =
                unstruct::columnar::record_batches(&plan, plan.root, &bytes, opts, 1 << 20)
                    .expect("columns");
            let mut shown = None;
            let mut err = None;
            for b in it.by_ref() {
                match b {
                    Ok(b) => shown = Some(format!("{b:?}")),
                    Err(e) => err = Some(e.to_string()),
                }
            }
            // no batch: no rows (the general run's batch is empty then)
            if let Some(shown) = shown {
                assert_eq!(
                    shown, slow.0,
                    "case {case}: record_batches\n{text}\ndata {bytes:02x?}"
                );
            } else {
                assert!(
                    slow.0.contains("row_count: 0"),
                    "case {case}: record_batches gave no rows"
                );
            }
            assert_eq!(
                err.is_some(),
                slow.2.is_some(),
                "case {case}: {err:?} {:?}",
                slow.2
            );
        }
    }
    assert!(
        fast_records > 8000,
        "only {fast_records} records on the column tier"
    );
}
/// A member of a generated document struct.
#[derive(Clone, Copy, Debug)]
enum Member {
    Byte,
    /// One `rec` as a field's value.
    Rec,
    /// `rec[k]` (empty when 0).
    Arr(usize),
    /// `rec[r][c]`: an array of arrays.
    Grid(usize, usize),
    /// A struct of the next level.
    Sub(usize),
}

/// Compiled programs inside documents at every depth: arrays of `rec` (a fixed layout or a
/// sequence) at several depths, arrays of arrays, empty arrays, `rec` as a field's value and
/// a trailing `rec[..]`, in compact and pretty output, every bytes style, with and without
/// `--offsets`: the same bytes as the general decoder's.
#[test]
fn documents_at_every_depth_match_the_general_decoder() {
    use unstruct::emit::BytesStyle;
    let mut r = Rng(0x00d0_c5a7_de97_4501);
    let mut compiled = 0;
    for case in 0..500 {
        // the element: a random fixed layout, or a random sequence of fields
        let seq = r.below(3) == 0;
        let (rec_text, rec_bytes): (String, Vec<Vec<u8>>) = if seq {
            let mut text = "struct rec {\n".to_string();
            let mut lens = Vec::new();
            let mut fields = Vec::new();
            for i in 0..1 + r.below(5) as usize {
                let (decl, bytes) = seq_field(&mut r, i, &mut lens);
                text.push_str(&format!("  {decl}\n"));
                fields.push(bytes);
            }
            text.push_str("}\n");
            (text, fields)
        } else {
            let (text, size) = descriptor(&mut r);
            // (the descriptor's own header lines stay: endian and enums)
            (text, vec![vec![0; size]])
        };
        let levels = 1 + r.below(4) as usize;
        let mut structs: Vec<Vec<Member>> = Vec::new();
        for level in 0..levels {
            let mut ms = Vec::new();
            for _ in 0..1 + r.below(4) {
                ms.push(match r.below(6) {
                    0 => Member::Byte,
                    1 => Member::Rec,
                    2 | 3 => Member::Arr(r.below(4) as usize),
                    4 => Member::Grid(r.below(3) as usize, r.below(3) as usize),
                    _ if level + 1 < levels => Member::Sub(level + 1),
                    _ => Member::Arr(1),
                });
            }
            structs.push(ms);
        }
        let rest = r.below(3) == 0;
        let mut text = if seq {
            format!("{ENUMS}{rec_text}")
        } else {
            rec_text.clone()
        };
        for (i, ms) in structs.iter().enumerate() {
            text.push_str(&format!("struct l{i} {{\n"));
            for (k, m) in ms.iter().enumerate() {
                text.push_str(&match m {
                    Member::Byte => format!("  m{k}: u8\n"),
                    Member::Rec => format!("  m{k}: rec\n"),
                    Member::Arr(n) => format!("  m{k}: rec[{n}]\n"),
                    Member::Grid(a, b) => format!("  m{k}: rec[{a}][{b}]\n"),
                    Member::Sub(j) => format!("  m{k}: l{j}\n"),
                });
            }
            if i == 0 && rest {
                text.push_str("  rest: rec[..]\n");
            }
            text.push_str("}\n");
        }
        let plan = match unstruct::lang::compile_str("case.struct", &text) {
            Ok(mut p) => {
                p.root = p.struct_by_name("l0").expect("l0");
                p
            }
            Err(_) => continue,
        };
        // the bytes: each `rec` from its fields (sequences) or random (fixed layouts)
        let one = |r: &mut Rng| -> Vec<u8> {
            if seq {
                rec_bytes.concat()
            } else {
                data(r, rec_bytes[0].len())
            }
        };
        fn fill(
            structs: &[Vec<Member>],
            i: usize,
            r: &mut Rng,
            one: &dyn Fn(&mut Rng) -> Vec<u8>,
            out: &mut Vec<u8>,
        ) {
            for m in &structs[i] {
                let n = match *m {
                    Member::Byte => {
                        out.push(r.next() as u8);
                        0
                    }
                    Member::Rec => 1,
                    Member::Arr(n) => n,
                    Member::Grid(a, b) => a * b,
                    Member::Sub(j) => {
                        fill(structs, j, r, one, out);
                        0
                    }
                };
                for _ in 0..n {
                    out.extend(one(r));
                }
            }
        }
        let mut bytes = Vec::new();
        fill(&structs, 0, &mut r, &one, &mut bytes);
        if rest {
            for _ in 0..r.below(4) {
                bytes.extend(one(&mut r));
            }
        }
        // now and then damaged or cut short: the general path reports, both must agree
        if r.below(6) == 0 && !bytes.is_empty() {
            let at = r.below(bytes.len() as u64) as usize;
            bytes[at] = r.next() as u8;
        }
        if r.below(8) == 0 {
            bytes.truncate(bytes.len().saturating_sub(1 + r.below(3) as usize));
        }
        let what = || format!("case {case}\n{text}\ndata {bytes:02x?}");
        let mut values = Vec::new();
        for style in [Style::Compact, Style::Pretty] {
            for b in [BytesStyle::Hex, BytesStyle::Base64, BytesStyle::Array] {
                let o = JsonOptions {
                    style,
                    bytes: b,
                    offsets: r.below(4) == 0,
                    ..JsonOptions::default()
                };
                let v = same_document(&plan, &bytes, o, &what);
                if b == BytesStyle::Hex && !o.offsets {
                    values.push(v);
                }
            }
        }
        if values.len() == 2 {
            assert_eq!(
                values[0],
                values[1],
                "{}: compact and pretty differ",
                what()
            );
        }
        let rec = plan.struct_by_name("rec").expect("rec");
        let progs = Programs::of(&plan);
        if progs.has_raw(rec) || progs.has_seq(rec) {
            compiled += 1;
        }
    }
    assert!(
        compiled > 200,
        "only {compiled} cases with compiled programs"
    );
}

/// Struct strings without names (written as arrays: tuples) as records and inside a
/// document, in every style.
#[test]
fn tuples_match_the_general_decoder() {
    use unstruct::emit::BytesStyle;
    use unstruct::structfmt::{self, lower::StringMode};
    let mut r = Rng(0x7091_e5ee_d000_0001);
    for (i, fmt) in ["<IhHd12sI", ">bB?q", "<4sxH", "<d", "=3s2xi"]
        .iter()
        .enumerate()
    {
        let f = structfmt::parse(fmt).expect("format");
        for mode in [StringMode::Text, StringMode::Raw] {
            let plan = structfmt::lower::to_plan(&f, None, mode).expect("plan");
            let bytes = data(&mut r, f.size * (1 + i));
            for style in [Style::Compact, Style::Ndjson, Style::Pretty] {
                for b in [BytesStyle::Hex, BytesStyle::Base64, BytesStyle::Array] {
                    let o = JsonOptions {
                        style,
                        bytes: b,
                        ..JsonOptions::default()
                    };
                    same_records(&plan, &bytes, o, &|| format!("{fmt} {mode:?}"));
                }
            }
        }
    }
}

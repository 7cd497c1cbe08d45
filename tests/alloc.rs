//! Records mode allocates nothing per record.
//!
//! This file is its own test binary with a counting global allocator (every `alloc`,
//! `alloc_zeroed` and `realloc` call, from any thread). Each case decodes the same layout
//! with 1,000, 10,000 and 100,000 records (then 1,000 again) and requires the allocation
//! counts to be equal: whatever a run allocates (scratch frames, the stream buffer, worker
//! threads) must not depend on how many records it decodes. Equality, rather than "small",
//! is what catches amortised growth: a vector that grows with the records reallocates ~10
//! times for 1,000 records and ~17 times for 100,000.
//!
//! `run_stream` allocates per block of input rather than per record, so for it the count may
//! grow by a few allocations per MiB of input (and must be equal for equal inputs): once per
//! refill of its 4 MiB buffer (see the comment at the case).
//!
//! The JSON writer's buffer grows with its output until it reaches its flush size, so each
//! case first runs a warm-up decode of 100,000 records through the same writer; only the
//! decode calls after it are counted. The output goes to a writer that counts bytes (like
//! `io::sink()`, and allocation-free), and every case is checked for correct output first,
//! so that the counts are those of a decode that really wrote every record.
//!
//! Everything runs in one `#[test]` so that no other test thread allocates while counting.
//! Run with `--nocapture` to see the counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde_json::{Value, json};
use unstruct::decode::{Input, Options};
use unstruct::emit::json::{JsonOptions, JsonWriter, Style};
use unstruct::emit::{BytesStyle, Sink};
use unstruct::plan::{Plan, StructId};
use unstruct::records::{self, RecordsConfig};
use unstruct::structfmt::{self, lower::StringMode};

#[path = "memory/datagen.rs"]
mod datagen;

use datagen::{FIXED_FORMAT, FIXED_NAMES, FixedGen, VarGen};

// ------------------------------------------------------------------ counting allocator

struct Counting;

static CALLS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size.saturating_sub(layout.size()) as u64, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocation calls and bytes requested during one measured call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counts {
    calls: u64,
    bytes: u64,
}

fn counted<R>(f: impl FnOnce() -> R) -> (R, Counts) {
    let (c0, b0) = (CALLS.load(Relaxed), BYTES.load(Relaxed));
    let r = f();
    let (c1, b1) = (CALLS.load(Relaxed), BYTES.load(Relaxed));
    (
        r,
        Counts {
            calls: c1 - c0,
            bytes: b1 - b0,
        },
    )
}

// ------------------------------------------------------------------ output

/// Counts the bytes written; keeps them only when asked (never while counting).
#[derive(Default)]
struct Out {
    bytes: u64,
    keep: Option<Vec<u8>>,
}

impl Write for Out {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.bytes += b.len() as u64;
        if let Some(k) = &mut self.keep {
            k.extend_from_slice(b);
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const JSON: JsonOptions = JsonOptions {
    style: Style::Ndjson,
    bytes: BytesStyle::Hex,
    offsets: false,
    ..JsonOptions::DEFAULT
};

type Writer = JsonWriter<Out>;

/// One decode of a whole input; returns the number of records written.
type Run<'a> = Box<dyn FnMut(&mut Writer, &[u8]) -> u64 + 'a>;

fn no_skip() -> impl FnMut(&unstruct::DataError, u64, u64) {
    |e, a, b| panic!("unexpected skip {a}..{b}: {e}")
}

fn slice_run<'a>(plan: &'a Plan, sid: StructId, opts: Options) -> Run<'a> {
    let cfg = RecordsConfig::default();
    Box::new(move |w, data| {
        records::run_slice(plan, sid, Input::whole(data), opts, &cfg, w, &mut no_skip())
            .unwrap_or_else(|e| panic!("run_slice: {e}"))
            .written
    })
}

fn stream_run<'a>(plan: &'a Plan, sid: StructId) -> Run<'a> {
    let cfg = RecordsConfig::default();
    Box::new(move |w, data| {
        records::run_stream(
            plan,
            sid,
            io::Cursor::new(data),
            Options::default(),
            &cfg,
            w,
            &mut no_skip(),
        )
        .unwrap_or_else(|e| panic!("run_stream: {e}"))
        .written
    })
}

fn parallel_run<'a>(plan: &'a Plan, sid: StructId, threads: usize) -> Run<'a> {
    let cfg = RecordsConfig::default();
    let size = records::record_size(plan, sid).expect("fixed-size records");
    Box::new(move |w, data| {
        unstruct::parallel::run(
            plan,
            sid,
            size,
            Input::whole(data),
            Options::default(),
            &cfg,
            JSON,
            threads,
            w.get_mut(),
            &mut no_skip(),
        )
        .unwrap_or_else(|e| panic!("parallel::run: {e}"))
        .written
    })
}

/// The NDJSON a run writes for `data` (not counted).
fn output_of(run: &mut Run, data: &[u8]) -> Vec<u8> {
    let mut w = JsonWriter::new(
        Out {
            bytes: 0,
            keep: Some(Vec::new()),
        },
        JSON,
    );
    run(&mut w, data);
    w.finish().expect("finish");
    w.into_inner().keep.unwrap_or_default()
}

/// Parses NDJSON. serde_json's default float parsing may be off by one ulp, so the numbers
/// of `float_keys` (top-level members) are parsed again from their text with `f64::from_str`.
fn parse_lines(out: &[u8], float_keys: &[&str]) -> Vec<Value> {
    std::str::from_utf8(out)
        .expect("UTF-8 output")
        .lines()
        .map(|l| {
            let mut v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}"));
            for k in float_keys {
                let pat = format!("\"{k}\":");
                let at = l.find(&pat).unwrap_or_else(|| panic!("no {k} in {l:?}")) + pat.len();
                let text = &l[at..at + l[at..].find([',', '}']).unwrap_or(0)];
                let f: f64 = text.parse().unwrap_or_else(|e| panic!("{k} in {l:?}: {e}"));
                v[*k] = json!(f);
            }
            v
        })
        .collect()
}

// ------------------------------------------------------------------ plans and data

fn struct_plan() -> Plan {
    let f = structfmt::parse(FIXED_FORMAT).expect("format");
    let names: Vec<String> = FIXED_NAMES.iter().map(|s| s.to_string()).collect();
    structfmt::lower::to_plan(&f, Some(&names), StringMode::Text).expect("plan")
}

fn descriptor(name: &str, text: &str) -> Plan {
    unstruct::lang::compile_str(name, text).unwrap_or_else(|e| panic!("{name}:\n{e}"))
}

fn fixed_expected(n: usize) -> Vec<Value> {
    let mut g = FixedGen::default();
    (0..n)
        .map(|_| {
            let r = g.next_rec();
            json!({"id": r.id, "temp": r.temp, "flags": r.flags, "value": r.value,
                   "name": r.name, "count": r.count})
        })
        .collect()
}

fn var_expected(n: usize) -> Vec<Value> {
    let mut g = VarGen::default();
    (0..n)
        .map(|_| {
            let r = g.next_rec();
            json!({"text": r.text, "tag": r.tag, "checksum": r.checksum})
        })
        .collect()
}

/// Nested struct, enum (with unknown values), counted array of structs, `if` field, kept
/// values (`n`, `hue`, the array `pts` read back by a computed field), strz, bytes, f32.
const NESTED: &str = r#"
endian little
root rec

enum hue: u8 { red = 1, green = 2, blue = 3 }

struct point {
    x: i16
    y: i16be
}

struct rec {
    magic:  "R"
    hue:    hue
    n:      u8 valid _ <= 8
    pts:    point[n]
    bonus:  u32 if hue == hue::green
    origin: point
    label:  strz ascii
    raw:    bytes[3]
    scale:  f32
    last_x: = pts[-1].x if n > 0
    index:  = @index
}
"#;

/// `n` records of [`NESTED`] and the JSON expected for each.
fn nested(n: usize) -> (Vec<u8>, Vec<Value>) {
    const LABELS: &[&str] = &["", "a", "label", "x-y_z", "longer label text"];
    let mut rng = datagen::Rng::new(7);
    let (mut data, mut want) = (Vec::new(), Vec::new());
    for i in 0..n {
        let hue = [1u8, 2, 3, 7][rng.below(4) as usize];
        let count = rng.below(9) as usize;
        let pts: Vec<(i16, i16)> = (0..count)
            .map(|_| (rng.next_u64() as i16, rng.next_u64() as i16))
            .collect();
        let bonus = rng.next_u64() as u32;
        let origin = (rng.next_u64() as i16, rng.next_u64() as i16);
        let label = LABELS[rng.below(LABELS.len() as u64) as usize];
        let raw = [rng.next_u64() as u8, 0xab, rng.next_u64() as u8];
        let scale = rng.below(4000) as f32 * 0.25 - 500.0;

        data.push(b'R');
        data.push(hue);
        data.push(count as u8);
        for &(x, y) in &pts {
            data.extend_from_slice(&x.to_le_bytes());
            data.extend_from_slice(&y.to_be_bytes());
        }
        if hue == 2 {
            data.extend_from_slice(&bonus.to_le_bytes());
        }
        data.extend_from_slice(&origin.0.to_le_bytes());
        data.extend_from_slice(&origin.1.to_be_bytes());
        data.extend_from_slice(label.as_bytes());
        data.push(0);
        data.extend_from_slice(&raw);
        data.extend_from_slice(&scale.to_le_bytes());

        let mut v = serde_json::Map::new();
        v.insert("magic".into(), json!("R"));
        let hue_json = match hue {
            1 => json!("red"),
            2 => json!("green"),
            3 => json!("blue"),
            h => json!(h),
        };
        v.insert("hue".into(), hue_json);
        v.insert("n".into(), json!(count));
        let pts_json: Vec<Value> = pts.iter().map(|&(x, y)| json!({"x": x, "y": y})).collect();
        v.insert("pts".into(), json!(pts_json));
        if hue == 2 {
            v.insert("bonus".into(), json!(bonus));
        }
        v.insert("origin".into(), json!({"x": origin.0, "y": origin.1}));
        v.insert("label".into(), json!(label));
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        v.insert("raw".into(), json!(hex));
        v.insert("scale".into(), json!(scale as f64));
        if let Some(&(x, _)) = pts.last() {
            v.insert("last_x".into(), json!(x));
        }
        v.insert("index".into(), json!(i));
        want.push(Value::Object(v));
    }
    (data, want)
}

// ------------------------------------------------------------------ the measurement

const SMALL: usize = 1_000;
const MID: usize = 10_000;
const BIG: usize = 100_000;

/// What each measured run must satisfy.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The same count for every number of records.
    Equal,
    /// At most this many more allocations per MiB of input than for 1k records (per buffer
    /// refill, per chunk), and the same count for the same input: none per record.
    PerMib(u64),
}

struct Row {
    name: &'static str,
    expect: Expect,
    warm: Counts,
    /// (records, input bytes, counts) for SMALL, MID, BIG, SMALL again.
    runs: Vec<(usize, usize, Counts)>,
}

/// Warms a writer up with the big input, then counts runs of 1k, 10k, 100k and again 1k
/// records through it.
fn measure(name: &'static str, expect: Expect, mut run: Run, inputs: [&[u8]; 3]) -> Row {
    let [small, mid, big] = inputs;
    let mut w = JsonWriter::new(Out::default(), JSON);
    let (n, warm) = counted(|| run(&mut w, big));
    assert_eq!(n, BIG as u64, "{name}: warm-up records");
    let mut runs = Vec::new();
    for (want, data) in [(SMALL, small), (MID, mid), (BIG, big), (SMALL, small)] {
        let before = w.get_mut().bytes;
        let (n, c) = counted(|| run(&mut w, data));
        assert_eq!(n, want as u64, "{name}: records written");
        // every record was written out (at least `{}` and a newline per record)
        let out = w.get_mut().bytes - before;
        assert!(out >= 3 * want as u64, "{name}: {out} bytes of output");
        runs.push((want, data.len(), c));
    }
    Row {
        name,
        expect,
        warm,
        runs,
    }
}

/// Why a row fails, if it does.
fn verdict(r: &Row) -> Option<String> {
    let calls: Vec<u64> = r.runs.iter().map(|x| x.2.calls).collect();
    let [small, mid, big, again] = calls[..] else {
        unreachable!()
    };
    let bad = match r.expect {
        Expect::Equal => !(small == mid && mid == big && big == again),
        Expect::PerMib(k) => {
            let within = |i: usize| {
                let extra_mib = (r.runs[i].1 - r.runs[0].1).div_ceil(1 << 20) as u64;
                calls[i] <= small + k * extra_mib
            };
            !(small == again && within(1) && within(2))
        }
    };
    bad.then(|| {
        format!(
            "{}: {small} / {mid} / {big} / {again} allocations for {SMALL} / {MID} / {BIG} / {SMALL} records",
            r.name
        )
    })
}

#[test]
fn records_mode_allocates_nothing_per_record() {
    let fixed_small = datagen::fixed(SMALL);
    let fixed_big = datagen::fixed(BIG);
    let var_small = datagen::var(SMALL);
    let var_big = datagen::var(BIG);
    let (nested_small, _) = nested(SMALL);
    let (nested_big, _) = nested(BIG);
    let fixed_mid = datagen::fixed(MID);
    let var_mid = datagen::var(MID);
    let (nested_mid, nested_want) = nested(MID);

    let sfmt = struct_plan();
    let fdesc = descriptor("fixed.struct", include_str!("../benches/fixed.struct"));
    let vdesc = descriptor("var.struct", include_str!("../benches/var.struct"));
    let ndesc = descriptor("nested.struct", NESTED);
    let lossy = Options {
        lossy: true,
        ..Options::default()
    };
    let def = Options::default();

    // ---- the output is right (not counted)
    // each front end against values from the generator (10k records), then the other
    // drivers against run_slice byte for byte (100k records)
    let fixed_want = fixed_expected(MID);
    let var_want = var_expected(MID);
    let check = |name: &str, mut run: Run, data: &[u8], want: &[Value]| -> Vec<u8> {
        let out = output_of(&mut run, data);
        let floats: &[&str] = if name.contains("fixed") || name.contains("struct format") {
            &["value"]
        } else {
            &[]
        };
        let got = parse_lines(&out, floats);
        assert_eq!(got.len(), want.len(), "{name}: record count");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g, w, "{name}: record {i}");
        }
        out
    };
    let fixed_out = check(
        "struct format",
        slice_run(&sfmt, sfmt.root, def),
        &fixed_mid,
        &fixed_want,
    );
    assert_eq!(
        check(
            "struct format, lossy",
            slice_run(&sfmt, sfmt.root, lossy),
            &fixed_mid,
            &fixed_want
        ),
        fixed_out
    );
    assert_eq!(
        check(
            "fixed.struct",
            slice_run(&fdesc, fdesc.root, def),
            &fixed_mid,
            &fixed_want
        ),
        fixed_out
    );
    check(
        "var.struct",
        slice_run(&vdesc, vdesc.root, def),
        &var_mid,
        &var_want,
    );
    check(
        "nested",
        slice_run(&ndesc, ndesc.root, def),
        &nested_mid,
        &nested_want,
    );
    let fixed_out = output_of(&mut slice_run(&sfmt, sfmt.root, def), &fixed_big);
    let var_out = output_of(&mut slice_run(&vdesc, vdesc.root, def), &var_big);
    assert_eq!(
        output_of(&mut stream_run(&vdesc, vdesc.root), &var_big),
        var_out,
        "run_stream differs from run_slice"
    );
    assert_eq!(
        output_of(&mut parallel_run(&sfmt, sfmt.root, 2), &fixed_big),
        fixed_out,
        "parallel::run differs from run_slice"
    );

    // ---- the counts
    let fixed_in = [&fixed_small[..], &fixed_mid, &fixed_big];
    let var_in = [&var_small[..], &var_mid, &var_big];
    let rows = vec![
        measure(
            "(a) struct format '<IhHd12sI', run_slice",
            Expect::Equal,
            slice_run(&sfmt, sfmt.root, def),
            fixed_in,
        ),
        measure(
            "(a') the same, lossy (general path)",
            Expect::Equal,
            slice_run(&sfmt, sfmt.root, lossy),
            fixed_in,
        ),
        measure(
            "(b) benches/fixed.struct, run_slice",
            Expect::Equal,
            slice_run(&fdesc, fdesc.root, def),
            fixed_in,
        ),
        measure(
            "(c) benches/var.struct, run_slice",
            Expect::Equal,
            slice_run(&vdesc, vdesc.root, def),
            var_in,
        ),
        measure(
            "(d) nested/enum/array/if, run_slice",
            Expect::Equal,
            slice_run(&ndesc, ndesc.root, def),
            [&nested_small[..], &nested_mid, &nested_big],
        ),
        // run_stream builds (and drops) a truncation DataError, ~5 allocations, whenever a
        // record straddles the end of its 4 MiB buffer: once per refill.
        measure(
            "(e) benches/var.struct, run_stream",
            Expect::PerMib(8),
            stream_run(&vdesc, vdesc.root),
            var_in,
        ),
        // each worker keeps one writer and one chunk buffer sized up front, and the workers
        // take turns writing under a mutex: nothing is allocated per chunk or per record
        measure(
            "(f) struct format, parallel::run, 2 threads",
            Expect::Equal,
            parallel_run(&sfmt, sfmt.root, 2),
            fixed_in,
        ),
    ];

    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "allocation calls", "warm-up", "1k rec", "10k rec", "100k rec", "1k again"
    );
    for r in &rows {
        print!("{:<44} {:>9}", r.name, r.warm.calls);
        for (_, _, c) in &r.runs {
            print!(" {:>9}", c.calls);
        }
        println!();
    }
    println!("{:<44} {:>9}", "bytes requested, 1k rec / 100k rec", "");
    for r in &rows {
        println!(
            "{:<44} {:>9} / {}",
            r.name, r.runs[0].2.bytes, r.runs[2].2.bytes
        );
    }
    let bad: Vec<String> = rows.iter().filter_map(verdict).collect();
    assert!(
        bad.is_empty(),
        "allocations depend on the number of records:\n{}",
        bad.join("\n")
    );
}

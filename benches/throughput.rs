//! Throughput (input bytes per second) of the decoder and of the JSON writer.
//!
//! `cargo bench --bench throughput` (add `-- --quick` for a shorter run, or a filter such as
//! `-- decode_json`). The data is generated at start (tests/memory/datagen.rs, the layouts of
//! /work/shared/bench/gen_data.py): 1M fixed records (32 MB) and 200k var records (~19 MB).
//!
//! Groups:
//! - `decode_null`: records mode into a `NullSink`: the decoder alone (the general path: the
//!   fixed-layout fast path needs a JSON writer).
//! - `decode_json`: records mode into a `JsonWriter` over `io::sink()` (NDJSON): what the CLI
//!   does, without the pipe. Also `run_stream` (stdin) and `parallel::run` with 2 threads.
//! - `document`: whole-file decode of bundled formats (one JSON document), to compare the
//!   per-byte cost with records mode: a generated pcap of 100k packets, `samples/small.tar`,
//!   `samples/tiny.png`.
//! - `json_writer`: the writer alone, fed 1M fixed records' values through the `Sink` API;
//!   throughput counted as the 32 input bytes each record stands for.

use std::hint::black_box;
use std::io;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use unstruct::decode::{Input, Options, decode_document};
use unstruct::emit::json::{JsonOptions, JsonWriter, Style};
use unstruct::emit::{BytesStyle, NullSink, Sink};
use unstruct::plan::{Plan, StructId};
use unstruct::records::{self, RecordsConfig};
use unstruct::structfmt::{self, lower::StringMode};
use unstruct::text::Encoding;

#[path = "../tests/memory/datagen.rs"]
mod datagen;

const FIXED_RECORDS: usize = 1_000_000;
const VAR_RECORDS: usize = 200_000;
const PCAP_PACKETS: usize = 100_000;

const NDJSON: JsonOptions = JsonOptions {
    style: Style::Ndjson,
    bytes: BytesStyle::Hex,
    offsets: false,
    ..JsonOptions::DEFAULT
};

const COMPACT: JsonOptions = JsonOptions {
    style: Style::Compact,
    bytes: BytesStyle::Hex,
    offsets: false,
    ..JsonOptions::DEFAULT
};

fn no_skip(e: &unstruct::DataError, a: u64, b: u64) {
    panic!("unexpected skip {a}..{b}: {e}")
}

fn struct_plan() -> Plan {
    let f = structfmt::parse(datagen::FIXED_FORMAT).expect("format");
    let names: Vec<String> = datagen::FIXED_NAMES.iter().map(|s| s.to_string()).collect();
    structfmt::lower::to_plan(&f, Some(&names), StringMode::Text).expect("plan")
}

fn descriptor(name: &str, text: &str) -> Plan {
    unstruct::lang::compile_str(name, text).unwrap_or_else(|e| panic!("{name}:\n{e}"))
}

fn bundled(name: &str) -> Plan {
    let f = unstruct::formats::get(name).unwrap_or_else(|| panic!("no bundled format {name}"));
    descriptor(name, f.text)
}

/// Records mode over a slice; returns the records written.
fn records_slice<S: Sink>(plan: &Plan, sid: StructId, data: &[u8], sink: &mut S) -> u64 {
    records::run_slice(
        plan,
        sid,
        Input::whole(data),
        Options::default(),
        &RecordsConfig::default(),
        sink,
        &mut no_skip,
    )
    .expect("records")
    .written
}

/// A pcap file (µs, little-endian, Ethernet) of `n` packets of 40..=200 bytes.
fn pcap(n: usize) -> Vec<u8> {
    let mut rng = datagen::Rng::new(99);
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    for x in [0u32, 0, 65535, 1] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    for i in 0..n {
        let len = 40 + rng.below(161) as u32;
        for x in [
            1_700_000_000 + i as u32 / 1000,
            (i as u32 % 1000) * 1000,
            len,
            len,
        ] {
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.extend((0..len).map(|_| rng.next_u64() as u8));
    }
    v
}

/// Decodes `data` as one document with `plan` into compact JSON; returns the output size.
fn document(plan: &Plan, data: &[u8], w: &mut JsonWriter<Counter>) -> u64 {
    let before = w.get_mut().0;
    decode_document(plan, Input::whole(data), Options::default(), w).expect("document");
    w.end_record().expect("end");
    w.finish().expect("finish");
    w.get_mut().0 - before
}

/// Like `io::sink()`, counting the bytes.
#[derive(Default)]
struct Counter(u64);

impl io::Write for Counter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The values of a fixed record as the decoder would pass them to a sink.
struct Values {
    id: u64,
    temp: i64,
    flags: u64,
    value: f64,
    name: Vec<u8>,
    count: u64,
}

fn write_values<S: Sink>(w: &mut S, recs: &[Values]) {
    for r in recs {
        w.begin_object();
        w.key(b"\"id\"");
        w.u64(r.id);
        w.key(b"\"temp\"");
        w.i64(r.temp);
        w.key(b"\"flags\"");
        w.u64(r.flags);
        w.key(b"\"value\"");
        w.f64(r.value);
        w.key(b"\"name\"");
        w.text(&r.name, Encoding::Ascii, false);
        w.key(b"\"count\"");
        w.u64(r.count);
        w.end_object();
        w.end_record().expect("end_record");
    }
    w.finish().expect("finish");
}

fn bench(c: &mut Criterion) {
    let fixed = datagen::fixed(FIXED_RECORDS);
    let var = datagen::var(VAR_RECORDS);
    let pcap_data = pcap(PCAP_PACKETS);
    let tar_data: &[u8] = include_bytes!("../samples/small.tar");
    let png_data: &[u8] = include_bytes!("../samples/tiny.png");

    let sfmt = struct_plan();
    let fdesc = descriptor("fixed.struct", include_str!("fixed.struct"));
    let vdesc = descriptor("var.struct", include_str!("var.struct"));
    let (pcap_plan, tar_plan, png_plan) = (bundled("pcap"), bundled("tar"), bundled("png"));

    // sizes, and a check that every front end decodes every record
    let mut w = JsonWriter::new(Counter::default(), NDJSON);
    for (name, plan, data, n) in [
        ("fixed, struct format", &sfmt, &fixed, FIXED_RECORDS),
        ("fixed, fixed.struct", &fdesc, &fixed, FIXED_RECORDS),
        ("var, var.struct", &vdesc, &var, VAR_RECORDS),
    ] {
        let before = w.get_mut().0;
        assert_eq!(records_slice(plan, plan.root, data, &mut w), n as u64);
        eprintln!(
            "{name}: {n} records, {} input bytes, {} bytes of NDJSON",
            data.len(),
            w.get_mut().0 - before
        );
    }
    let mut dw = JsonWriter::new(Counter::default(), COMPACT);
    for (name, plan, data) in [
        ("pcap, generated", &pcap_plan, &pcap_data[..]),
        ("samples/small.tar", &tar_plan, tar_data),
        ("samples/tiny.png", &png_plan, png_data),
    ] {
        let out = document(plan, data, &mut dw);
        eprintln!("{name}: {} input bytes, {out} bytes of JSON", data.len());
    }

    // ---- the decoder alone
    let mut g = c.benchmark_group("decode_null");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Bytes(fixed.len() as u64));
    g.bench_function("fixed/struct-format", |b| {
        b.iter(|| records_slice(&sfmt, sfmt.root, black_box(&fixed), &mut NullSink))
    });
    g.bench_function("fixed/descriptor", |b| {
        b.iter(|| records_slice(&fdesc, fdesc.root, black_box(&fixed), &mut NullSink))
    });
    g.throughput(Throughput::Bytes(var.len() as u64));
    g.bench_function("var/descriptor", |b| {
        b.iter(|| records_slice(&vdesc, vdesc.root, black_box(&var), &mut NullSink))
    });
    g.finish();

    // ---- decoder and JSON writer
    let mut g = c.benchmark_group("decode_json");
    g.sampling_mode(SamplingMode::Flat);
    let mut w = JsonWriter::new(io::sink(), NDJSON);
    g.throughput(Throughput::Bytes(fixed.len() as u64));
    g.bench_function("fixed/struct-format", |b| {
        b.iter(|| records_slice(&sfmt, sfmt.root, black_box(&fixed), &mut w))
    });
    g.bench_function("fixed/descriptor", |b| {
        b.iter(|| records_slice(&fdesc, fdesc.root, black_box(&fixed), &mut w))
    });
    g.bench_function("fixed/struct-format-parallel-2", |b| {
        b.iter(|| {
            unstruct::parallel::run(
                &sfmt,
                sfmt.root,
                datagen::FIXED_SIZE as u64,
                Input::whole(black_box(&fixed)),
                Options::default(),
                &RecordsConfig::default(),
                NDJSON,
                2,
                &mut io::sink(),
                &mut no_skip,
            )
            .expect("parallel")
            .written
        })
    });
    g.throughput(Throughput::Bytes(var.len() as u64));
    g.bench_function("var/descriptor", |b| {
        b.iter(|| records_slice(&vdesc, vdesc.root, black_box(&var), &mut w))
    });
    g.bench_function("var/descriptor-stream", |b| {
        b.iter(|| {
            records::run_stream(
                &vdesc,
                vdesc.root,
                io::Cursor::new(black_box(&var[..])),
                Options::default(),
                &RecordsConfig::default(),
                &mut w,
                &mut no_skip,
            )
            .expect("stream")
            .written
        })
    });
    g.finish();

    // ---- whole documents
    let mut g = c.benchmark_group("document");
    g.sampling_mode(SamplingMode::Flat);
    for (name, plan, data) in [
        ("pcap-100k-packets", &pcap_plan, &pcap_data[..]),
        ("small.tar", &tar_plan, tar_data),
        ("tiny.png", &png_plan, png_data),
    ] {
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| document(plan, black_box(data), &mut dw))
        });
    }
    g.finish();

    // ---- the JSON writer alone
    let mut fixed_gen = datagen::FixedGen::default();
    let values: Vec<Values> = (0..FIXED_RECORDS)
        .map(|_| {
            let r = fixed_gen.next_rec();
            Values {
                id: r.id.into(),
                temp: r.temp.into(),
                flags: r.flags.into(),
                value: r.value,
                name: r.name.into_bytes(),
                count: r.count.into(),
            }
        })
        .collect();
    let mut g = c.benchmark_group("json_writer");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Bytes(
        (FIXED_RECORDS * datagen::FIXED_SIZE) as u64,
    ));
    let mut w = JsonWriter::new(io::sink(), NDJSON);
    g.bench_function("fixed-6-fields", |b| {
        b.iter(|| write_values(&mut w, black_box(&values)))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);

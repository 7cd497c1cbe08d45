//! Memory does not grow with the input: the `unstruct` binary decodes 128 MB of records in
//! records mode with a peak well under 32 MiB.
//!
//! The test spawns the binary, feeds it generated data (tests/memory/datagen.rs) and polls
//! `/proc/<pid>/status` every ~2 ms while it runs:
//! - streamed from stdin, the figure is `VmHWM`, the kernel's own high-water mark of the
//!   resident set (so sampling misses nothing but the last ~2 ms before exit);
//! - from a file, which unstruct memory-maps, resident file pages are page cache that the
//!   kernel reclaims at will, so the figure is the largest `RssAnon` sampled (heap, stacks,
//!   output buffers: the memory unstruct itself holds).
//!
//! Linux only (`/proc`). Output goes to /dev/null. Run with `--nocapture` to see the figures.

#![cfg(target_os = "linux")]

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

#[path = "memory/datagen.rs"]
mod datagen;

use datagen::{FIXED_FORMAT, FIXED_NAMES, FIXED_SIZE};

const LIMIT_KB: u64 = 32 << 10;
/// 4,000,000 fixed records, as gen_data.py's fixed.bin.
const FIXED_BYTES: usize = 128_000_000;
const VAR_BYTES: usize = 64_000_000;

/// Peaks seen in /proc/<pid>/status, in KiB.
#[derive(Debug, Default)]
struct Peak {
    hwm: u64,
    rss: u64,
    anon: u64,
    file: u64,
    samples: u64,
}

fn status_kb(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Samples the child's memory every ~2 ms until it exits.
fn watch(child: &mut Child) -> (ExitStatus, Peak) {
    let path = format!("/proc/{}/status", child.id());
    let mut p = Peak::default();
    loop {
        // a zombie's status has no Vm lines: those samples change nothing
        if let Ok(s) = std::fs::read_to_string(&path) {
            let get = |k| status_kb(&s, k).unwrap_or(0);
            p.hwm = p.hwm.max(get("VmHWM:"));
            p.rss = p.rss.max(get("VmRSS:"));
            p.anon = p.anon.max(get("RssAnon:"));
            p.file = p.file.max(get("RssFile:"));
            p.samples += 1;
        }
        if let Some(st) = child.try_wait().expect("wait for unstruct") {
            return (st, p);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Fills the chunk it is given with the next bytes for stdin; false at the end.
type Feed = Box<dyn FnMut(&mut Vec<u8>) -> bool + Send>;

fn unstruct(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_unstruct"));
    c.args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    c
}

fn fixed_args() -> Vec<String> {
    vec![
        "-s".into(),
        FIXED_FORMAT.into(),
        "--names".into(),
        FIXED_NAMES.join(","),
    ]
}

/// Runs `cmd`, writing `feed`'s chunks to its stdin from a thread (when given), and
/// returns the memory peaks. Fails when unstruct fails or writes to stderr.
fn run(what: &str, mut cmd: Command, feed: Option<Feed>) -> Peak {
    if feed.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn unstruct");
    let writer = feed.map(|mut next| {
        let mut stdin = child.stdin.take().expect("stdin");
        std::thread::spawn(move || {
            let mut chunk = Vec::with_capacity(1 << 20);
            let mut total = 0u64;
            while next(&mut chunk) {
                if stdin.write_all(&chunk).is_err() {
                    break; // unstruct exited early: its status tells why
                }
                total += chunk.len() as u64;
                chunk.clear();
            }
            total
        })
    });
    let mut stderr = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let (status, peak) = watch(&mut child);
    let fed = writer.map(|w| w.join().expect("writer thread"));
    let errors = errors.join().expect("stderr thread");
    assert!(
        status.success() && errors.is_empty(),
        "{what}: unstruct failed ({status}): {errors}"
    );
    println!(
        "{what}: {:.1} s, {} samples{}: VmHWM {:.1} MiB, max VmRSS {:.1} MiB, max RssAnon {:.1} MiB, max RssFile {:.1} MiB",
        start.elapsed().as_secs_f64(),
        peak.samples,
        fed.map_or(String::new(), |n| format!(", {n} bytes fed")),
        peak.hwm as f64 / 1024.0,
        peak.rss as f64 / 1024.0,
        peak.anon as f64 / 1024.0,
        peak.file as f64 / 1024.0,
    );
    assert!(peak.samples >= 10, "{what}: too few samples: {peak:?}");
    peak
}

/// Yields `total` bytes (rounded down to whole records) in chunks of the records of
/// `block`, which is generated once and repeated: the data need not be unique, and
/// generating 128 MB in a debug build would take longer than decoding it.
fn repeat_feed(block: Vec<u8>, total: usize) -> Feed {
    let mut left = total;
    Box::new(move |chunk| {
        let n = left.min(block.len());
        chunk.extend_from_slice(&block[..n]);
        left -= n;
        n > 0
    })
}

/// 128,000,000 bytes of fixed records in 1 MiB chunks (32,768 records).
fn fixed_feed(total: usize) -> Feed {
    repeat_feed(datagen::fixed((1 << 20) / FIXED_SIZE), total)
}

/// Var records, about 1 MiB a chunk (11,000 records), until at least `total` bytes.
fn var_feed(total: usize) -> Feed {
    let block = datagen::var(11_000);
    let total = total.div_ceil(block.len()) * block.len();
    repeat_feed(block, total)
}

/// Fixed-size records from stdin are decoded on every core (parallel::stream): a reader
/// thread, a few chunk buffers per worker.
#[test]
fn fixed_records_from_stdin() {
    let args = fixed_args();
    let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
    argv.push("-");
    let peak = run(
        "(a) 128 MB fixed records on stdin",
        unstruct(&argv),
        Some(fixed_feed(FIXED_BYTES)),
    );
    assert!(
        peak.hwm < LIMIT_KB,
        "peak RSS {} KiB is not below {LIMIT_KB} KiB",
        peak.hwm
    );
}

/// A temporary file that is removed on drop.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes 128 MB of fixed records to a temporary file and decodes it with `--threads N`
/// (2: parallel::run, as the CLI does on this project's 2-core machines; 1: run_slice).
/// The thread count is explicit because the parallel path holds a few MiB of buffers per
/// worker: bounded, but not independent of the machine's core count.
fn mapped_file(threads: &str) {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("memory-fixed-{}-{threads}.bin", std::process::id()));
    let tmp = TempFile(path);
    {
        let mut f = BufWriter::new(File::create(&tmp.0).expect("create temp file"));
        let mut next = fixed_feed(FIXED_BYTES);
        let mut chunk = Vec::new();
        while next(&mut chunk) {
            f.write_all(&chunk).expect("write temp file");
            chunk.clear();
        }
        f.flush().expect("write temp file");
    }
    assert_eq!(
        std::fs::metadata(&tmp.0).expect("temp file").len(),
        FIXED_BYTES as u64
    );
    let args = fixed_args();
    let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
    argv.extend(["--threads", threads, tmp.0.to_str().expect("UTF-8 path")]);
    let what = format!("(b) 128 MB fixed records from a file, --threads {threads}");
    let peak = run(&what, unstruct(&argv), None);
    assert!(
        peak.anon < LIMIT_KB,
        "{what}: peak anonymous memory {} KiB is not below {LIMIT_KB} KiB",
        peak.anon
    );
}

#[test]
fn fixed_records_from_a_mapped_file_2_threads() {
    mapped_file("2");
}

#[test]
fn fixed_records_from_a_mapped_file_1_thread() {
    mapped_file("1");
}

#[test]
fn var_records_from_stdin() {
    let desc = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/var.struct");
    let peak = run(
        "(c) 64 MB var records on stdin",
        unstruct(&["-f", desc, "--records", "rec", "-"]),
        Some(var_feed(VAR_BYTES)),
    );
    assert!(
        peak.hwm < LIMIT_KB,
        "peak RSS {} KiB is not below {LIMIT_KB} KiB",
        peak.hwm
    );
}

/// A pcap capture of `packets` records of 65,535 zero bytes each, written sparse (the packet
/// data are holes), so that a 1 GiB input costs neither disk nor time to make.
fn sparse_pcap(path: &std::path::Path, packets: u32) {
    use std::io::{Seek, SeekFrom};
    let mut f = BufWriter::new(File::create(path).expect("create pcap"));
    let mut head = Vec::new();
    for v in [0xa1b2c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        head.extend_from_slice(&v.to_le_bytes());
    }
    f.write_all(&head).expect("write");
    const LEN: u32 = 65535;
    for i in 0..packets {
        for v in [i, 0, LEN, LEN] {
            f.write_all(&v.to_le_bytes()).expect("write");
        }
        f.seek(SeekFrom::Current(LEN as i64)).expect("seek");
    }
    let end = f.stream_position().expect("position");
    let f = f.into_inner().expect("flush");
    f.set_len(end).expect("set length");
}

/// `--select 'packets[*]' -o ndjson` on a 1 GiB capture: one line per packet as it is
/// decoded, memory flat (the packets are never held together); and `view` on the same file.
#[test]
fn select_packets_of_a_1_gib_pcap() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("select-1g.pcap");
    let _tmp = TempFile(path.clone());
    // 16,385 packets of 65,551 bytes: just over 1 GiB
    sparse_pcap(&path, 16_385);
    assert!(std::fs::metadata(&path).expect("pcap").len() > 1 << 30);
    let file = path.to_str().expect("utf-8 path");
    let peak = run(
        "(e) --select 'packets[*]' -o ndjson, 1 GiB pcap",
        unstruct(&[
            "-f",
            "pcap",
            "--select",
            "packets[*]",
            "-o",
            "ndjson",
            "--bytes",
            "base64",
            file,
        ]),
        None,
    );
    assert!(
        peak.anon < LIMIT_KB,
        "--select: RssAnon {} KiB is not below {LIMIT_KB} KiB",
        peak.anon
    );
    let peak = run(
        "(f) view, 1 GiB pcap",
        unstruct(&["view", "-f", "pcap", file]),
        None,
    );
    assert!(
        peak.anon < LIMIT_KB,
        "view: RssAnon {} KiB is not below {LIMIT_KB} KiB",
        peak.anon
    );
}

/// A whole-file document that is an array of records (`struct file { recs: rec[..] }`,
/// 16 MB of fixed records: about 50 MB of compact JSON) in every output style: written as
/// it goes, anonymous memory under the limit; from stdin the input itself is held (a
/// document may look anywhere in it), and nothing more grows with it.
#[test]
fn documents_of_records_in_every_style() {
    const BYTES: usize = 16_000_000;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let data = TempFile(dir.join(format!("memory-doc-{}.bin", std::process::id())));
    let desc = TempFile(dir.join(format!("memory-doc-{}.struct", std::process::id())));
    std::fs::write(
        &desc.0,
        "endian little\nstruct file { recs: rec[..] }\n\
         struct rec { id: u32; temp: i16; flags: u16; value: f64; name: bytes[12]; count: u32 }\n",
    )
    .expect("write descriptor");
    {
        let mut f = BufWriter::new(File::create(&data.0).expect("create"));
        let mut next = fixed_feed(BYTES);
        let mut chunk = Vec::new();
        while next(&mut chunk) {
            f.write_all(&chunk).expect("write");
            chunk.clear();
        }
        f.flush().expect("write");
    }
    let (d, file) = (
        desc.0.to_str().expect("path"),
        data.0.to_str().expect("path"),
    );
    for extra in [
        &["-o", "json"][..],
        &["-o", "ndjson"],
        &["-o", "pretty"],
        &["-o", "json", "--offsets"],
        &["-o", "json", "--bytes", "base64"],
        &["-o", "json", "--bytes", "array"],
    ] {
        let mut argv = vec!["-f", d];
        argv.extend_from_slice(extra);
        argv.push(file);
        let what = format!(
            "(g) 16 MB array of records as a document, {}",
            extra.join(" ")
        );
        let peak = run(&what, unstruct(&argv), None);
        assert!(
            peak.anon < LIMIT_KB,
            "{what}: RssAnon {} KiB is not below {LIMIT_KB} KiB",
            peak.anon
        );
    }
    let what = "(h) 16 MB array of records as a document from stdin, -o json";
    let peak = run(
        what,
        unstruct(&["-f", d, "-o", "json", "-"]),
        Some(fixed_feed(BYTES)),
    );
    let limit = (BYTES as u64 >> 10) * 2 + LIMIT_KB;
    assert!(
        peak.hwm < limit,
        "{what}: VmHWM {} KiB is not below {limit} KiB (the input read, its copy while it grows, and the limit)",
        peak.hwm
    );
}

/// The bundled pcap format on a 128 MiB capture (sparse, generated) as a whole-file
/// document, compact and pretty: written as it goes.
#[test]
fn pcap_documents_in_every_style() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("memory-doc-{}.pcap", std::process::id()));
    let _tmp = TempFile(path.clone());
    sparse_pcap(&path, 2_048);
    let file = path.to_str().expect("utf-8 path");
    for extra in [
        &["-o", "json"][..],
        &["-o", "pretty"],
        &["-o", "json", "--offsets"],
    ] {
        let mut argv = vec!["-f", "pcap"];
        argv.extend_from_slice(extra);
        argv.push(file);
        let what = format!("(i) 128 MiB pcap as a document, {}", extra.join(" "));
        let peak = run(&what, unstruct(&argv), None);
        assert!(
            peak.anon < LIMIT_KB,
            "{what}: RssAnon {} KiB is not below {LIMIT_KB} KiB",
            peak.anon
        );
    }
}

/// A ustar archive of `entries` regular files of `size` zero bytes each, written sparse
/// (the file data are holes), ended by two zero blocks.
fn sparse_tar(path: &std::path::Path, entries: u32, size: u64) {
    use std::io::{Seek, SeekFrom};
    let mut f = BufWriter::new(File::create(path).expect("create tar"));
    for i in 0..entries {
        let mut h = [0u8; 512];
        let mut put = |at: usize, s: &[u8]| h[at..at + s.len()].copy_from_slice(s);
        put(0, format!("dir/file-{i:06}.bin").as_bytes());
        put(100, b"0000644\0");
        put(108, b"0001750\0");
        put(116, b"0001750\0");
        put(124, format!("{size:011o}\0").as_bytes());
        put(136, b"14712345670\0");
        put(148, b"        ");
        put(156, b"0");
        put(257, b"ustar\0");
        put(263, b"00");
        put(265, b"user");
        put(297, b"group");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        f.write_all(&h).expect("write");
        f.seek(SeekFrom::Current(size.div_ceil(512) as i64 * 512))
            .expect("seek");
    }
    f.write_all(&[0; 1024]).expect("write");
    let end = f.stream_position().expect("position");
    let f = f.into_inner().expect("flush");
    f.set_len(end).expect("set length");
}

/// The bundled tar format on a 128 MiB archive (2,048 files of 64 KiB, sparse, generated) as
/// a whole-file document in every output style: written as it goes.
#[test]
fn tar_documents_in_every_style() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("memory-doc-{}.tar", std::process::id()));
    let _tmp = TempFile(path.clone());
    sparse_tar(&path, 2_048, 64 << 10);
    assert!(std::fs::metadata(&path).expect("tar").len() > 128 << 20);
    let file = path.to_str().expect("utf-8 path");
    for extra in [
        &["-o", "json"][..],
        &["-o", "ndjson"],
        &["-o", "pretty"],
        &["-o", "json", "--offsets"],
        &["-o", "pretty", "--offsets"],
        &["-o", "json", "--bytes", "base64"],
        &["-o", "pretty", "--bytes", "array"],
    ] {
        let mut argv = vec!["-f", "tar"];
        argv.extend_from_slice(extra);
        argv.push(file);
        let what = format!("(j) 128 MiB tar as a document, {}", extra.join(" "));
        let peak = run(&what, unstruct(&argv), None);
        assert!(
            peak.anon < LIMIT_KB,
            "{what}: RssAnon {} KiB is not below {LIMIT_KB} KiB",
            peak.anon
        );
    }
}

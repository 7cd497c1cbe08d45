//! Fixed-size records from stdin (decoded in parallel from a reader thread's chunks) write
//! exactly what a run over a file of the same bytes writes: the same output, byte for byte,
//! the same error and exit status, the same `--on-error skip` ranges, for every thread count;
//! and the values are those of CPython's `struct`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "memory/datagen.rs"]
mod datagen;

use datagen::{FIXED_FORMAT, FIXED_NAMES, FIXED_SIZE};

/// Records per parallel chunk for 32-byte records (512 KiB of input).
const PER_CHUNK: usize = (512 << 10) / FIXED_SIZE;

/// '<IhHd12sI' as a descriptor, with an assertion that makes chosen records bad.
const DESC: &str = "endian little
struct rec {
    id:    u32 valid _ != 0xffffffff
    temp:  i16
    flags: u16
    value: f64
    name:  strz[12] ascii
    count: u32
}
";

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("unstruct-stdin-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, bytes).expect("write tmp");
    p
}

/// `unstruct ARGS FILE`.
fn from_file(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(args)
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .expect("unstruct runs")
}

/// `unstruct ARGS -` with `data` on stdin, written from another thread.
fn from_stdin(args: &[&str], data: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unstruct runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = data.to_vec();
    // unstruct may stop reading early (an error, --count): a failed write is not a failure
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("unstruct runs");
    feeder.join().expect("feeder");
    out
}

fn show(o: &Output) -> String {
    format!(
        "status {}, {} bytes out, stderr: {}",
        o.status,
        o.stdout.len(),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `args` over `data` from a file with 1 and 2 threads and from stdin with 1, 2, 3 and
/// 8 threads, requires every run to write the same as the file run with 2 threads, and
/// returns that run.
fn same_everywhere(what: &str, args: &[&str], data: &[u8]) -> Output {
    let file = write(&format!("{}.bin", what.replace(' ', "_")), data);
    let with = |threads: &str| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--threads", threads]);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let reference = from_file(&strs(&with("2")), &file);
    let one = from_file(&strs(&with("1")), &file);
    assert!(
        one.status == reference.status
            && one.stdout == reference.stdout
            && one.stderr == reference.stderr,
        "{what}: a file with 1 thread ({}) against 2 threads ({})",
        show(&one),
        show(&reference)
    );
    for threads in ["1", "2", "3", "8"] {
        let s = from_stdin(&strs(&with(threads)), data);
        assert_eq!(
            s.status,
            reference.status,
            "{what}, stdin with {threads} threads: {} against the file's {}",
            show(&s),
            show(&reference)
        );
        assert!(
            s.stdout == reference.stdout,
            "{what}, stdin with {threads} threads: the output differs from the file's ({} against {} bytes)",
            s.stdout.len(),
            reference.stdout.len()
        );
        assert_eq!(
            String::from_utf8_lossy(&s.stderr),
            String::from_utf8_lossy(&reference.stderr),
            "{what}, stdin with {threads} threads: stderr"
        );
    }
    let _ = std::fs::remove_file(file);
    reference
}

fn struct_args() -> Vec<String> {
    vec![
        "-s".into(),
        FIXED_FORMAT.into(),
        "--names".into(),
        FIXED_NAMES.join(","),
    ]
}

fn desc_args() -> Vec<String> {
    let d = write("rec.struct", DESC.as_bytes());
    vec![
        "-f".into(),
        d.display().to_string(),
        "--records".into(),
        "rec".into(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Makes record `i` of `data` bad for [`DESC`].
fn spoil(data: &mut [u8], i: usize) {
    data[i * FIXED_SIZE..i * FIXED_SIZE + 4].copy_from_slice(&[0xff; 4]);
}

fn lines(out: &[u8]) -> usize {
    out.iter().filter(|&&b| b == b'\n').count()
}

#[test]
fn stdin_writes_what_the_file_writes() {
    // more than 4 MiB (the file is decoded in parallel too), not a multiple of the chunk
    let n = PER_CHUNK * 10 + 1234;
    let data = datagen::fixed(n);
    let s = struct_args();
    let o = same_everywhere("plain", &strs(&s), &data);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(lines(&o.stdout), n);
    let d = desc_args();
    let o = same_everywhere("descriptor", &strs(&d), &data);
    assert_eq!(lines(&o.stdout), n);
    // exactly a multiple of the chunk, and a small input
    same_everywhere(
        "whole chunks",
        &strs(&s),
        &data[..PER_CHUNK * 9 * FIXED_SIZE],
    );
    same_everywhere("small", &strs(&s), &data[..100 * FIXED_SIZE]);
    same_everywhere("empty", &strs(&s), &[]);
    // --skip and --count, --offsets with --offset
    for extra in [
        &["--skip", "100"][..],
        &["--skip", "16400", "--count", "20000"],
        &["--count", "5"],
        &["--skip", "99999999"],
        &["--offset", "64", "--offsets"],
        &["--offset", "64", "--length", "1000000", "--offsets"],
        &["--bytes", "base64", "--ints", "hex"],
    ] {
        let mut a = strs(&s);
        a.extend_from_slice(extra);
        same_everywhere(&format!("plain {extra:?}"), &a, &data);
    }
}

#[test]
fn a_trailing_partial_record_is_the_same_error() {
    let n = PER_CHUNK * 9 + 77;
    let mut data = datagen::fixed(n);
    data.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7]);
    let s = struct_args();
    let o = same_everywhere("partial", &strs(&s), &data);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert_eq!(lines(&o.stdout), n);
    let err = String::from_utf8_lossy(&o.stderr);
    let at = n * FIXED_SIZE;
    assert!(err.contains(&format!("{at:#x}")), "{err}");
    // also when the partial record is all there is after --skip
    let mut a = strs(&s);
    a.extend(["--skip", "99999999"]);
    let o = same_everywhere("partial after skip", &a, &data);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(o.stdout.is_empty());
    // allowed, it is a note
    let mut a = strs(&s);
    a.push("--allow-remainder");
    let o = same_everywhere("partial allowed", &a, &data);
    assert!(o.status.success(), "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("7 trailing bytes"));
    // --count: an error only when the run reaches it
    let mut a = strs(&s);
    a.extend(["--count", "10"]);
    assert!(same_everywhere("partial count", &a, &data).status.success());
    let mut a = strs(&s);
    a.extend(["--count", "99999999"]);
    let o = same_everywhere("partial count past it", &a, &data);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
}

#[test]
fn bad_records_stop_or_are_skipped_as_from_the_file() {
    let n = PER_CHUNK * 9 + 500;
    let mut data = datagen::fixed(n);
    // runs of bad records inside chunks and across chunk boundaries, and at the end
    let bad = [
        0,
        1,
        PER_CHUNK - 1,
        PER_CHUNK,
        PER_CHUNK + 1,
        3 * PER_CHUNK - 1,
        50_000,
        5 * PER_CHUNK,
        n - 1,
    ];
    for &i in &bad {
        spoil(&mut data, i);
    }
    data.extend_from_slice(&[9; 5]);
    let d = desc_args();
    // the first bad record stops the run, after the records before it
    let o = same_everywhere("stop", &strs(&d), &data);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let mut a = strs(&d);
    a.extend(["--skip", "2"]);
    let o = same_everywhere("stop after skip", &a, &data);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(lines(&o.stdout), PER_CHUNK - 3);
    // skipped: one range per run of bad records, whatever the chunks
    let mut a = strs(&d);
    a.extend(["--on-error", "skip"]);
    let o = same_everywhere("skip", &a, &data);
    assert_eq!(o.status.code(), Some(1));
    let bad_records = bad.len() + 1;
    assert_eq!(lines(&o.stdout), n + 1 - bad_records);
    let err = String::from_utf8_lossy(&o.stderr);
    let ranges: Vec<(usize, usize)> = err
        .lines()
        .filter_map(|l| {
            let r = l.strip_prefix("unstruct: skipped bytes ")?;
            let (a, b) = r.split_once(' ')?.0.split_once("..")?;
            let hex = |s: &str| usize::from_str_radix(s.trim_start_matches("0x"), 16).ok();
            Some((hex(a)?, hex(b)?))
        })
        .collect();
    let z = FIXED_SIZE;
    let end = data.len();
    assert_eq!(
        ranges,
        [
            (0, 2 * z),
            ((PER_CHUNK - 1) * z, (PER_CHUNK + 2) * z),
            ((3 * PER_CHUNK - 1) * z, 3 * PER_CHUNK * z),
            (50_000 * z, 50_001 * z),
            (5 * PER_CHUNK * z, (5 * PER_CHUNK + 1) * z),
            ((n - 1) * z, end),
        ],
        "{err}"
    );
    assert!(
        err.contains(&format!("{bad_records} bad record position(s) skipped")),
        "{err}"
    );
}

#[test]
fn values_are_those_of_python_struct() {
    let data = datagen::fixed(300);
    let file = write("python.bin", &data);
    let py = Command::new("python3")
        .arg("-c")
        .arg(
            "import json, struct, sys
for r in struct.iter_unpack('<IhHd12sI', open(sys.argv[1], 'rb').read()):
    print(json.dumps(dict(zip(['id', 'temp', 'flags', 'value', 'name', 'count'],
        [r[0], r[1], r[2], r[3], r[4].split(b'\\0')[0].decode('ascii'), r[5]]))))",
        )
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let parse = |b: &[u8]| -> Vec<serde_json::Value> {
        String::from_utf8_lossy(b)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    };
    let expected = parse(&py.stdout);
    assert_eq!(expected.len(), 300);
    for args in [struct_args(), desc_args()] {
        for threads in ["1", "2"] {
            let mut a = strs(&args);
            a.extend(["--threads", threads]);
            let o = from_stdin(&a, &data);
            assert!(o.status.success(), "{}", show(&o));
            assert_eq!(parse(&o.stdout), expected, "{a:?}");
        }
    }
}

#[test]
fn a_closed_output_ends_the_run_at_once() {
    // an endless stream of records: the run ends only because its output is closed
    let mut child = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(strs(&struct_args()))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unstruct runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let block = datagen::fixed(PER_CHUNK);
    let feeder = std::thread::spawn(move || while stdin.write_all(&block).is_ok() {});
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).expect("some output");
    assert!(first.starts_with(b"{\"id\":"));
    drop(stdout);
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("unstruct went on after its output was closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err);
    assert!(status.success(), "{status}: {err}");
    feeder.join().expect("feeder");
}

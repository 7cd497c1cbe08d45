//! `unstruct shards`: record-aligned ranges whose runs, concatenated in order, equal one run
//! over the whole file. Record starts come from the generator that wrote the file.

use assert_cmd::Command;
use std::io::Write;

/// The assertion's stderr contains `text`.
fn stderr_has(a: &assert_cmd::assert::Assert, text: &str) {
    let err = String::from_utf8_lossy(&a.get_output().stderr);
    assert!(err.contains(text), "{err}");
}

fn unstruct() -> Command {
    Command::cargo_bin("unstruct").expect("binary")
}

fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("unstruct-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(name);
    std::fs::File::create(&p)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write tmp");
    p
}

/// Variable-size records: a length, that many bytes of text, a NUL-terminated tag.
const VAR: &str =
    "endian little\nstruct rec {\n    n: u16\n    text: str[n]\n    tag: strz ascii\n}\n";

/// `count` records of `VAR` and where each starts.
fn var_data(count: u32) -> (Vec<u8>, Vec<u64>) {
    let (mut v, mut starts) = (Vec::new(), Vec::new());
    let mut x = 12345u32;
    for i in 0..count {
        starts.push(v.len() as u64);
        x = x.wrapping_mul(1103515245).wrapping_add(12345);
        let text = "é".repeat((x >> 16) as usize % 40) + &i.to_string();
        v.extend_from_slice(&(text.len() as u16).to_le_bytes());
        v.extend_from_slice(text.as_bytes());
        v.extend_from_slice(format!("t{}", x % 97).as_bytes());
        v.push(0);
    }
    (v, starts)
}

/// Runs `unstruct shards` and parses its `--offset X --length Y` lines.
fn shard_lines(args: &[&str], file: &std::path::Path) -> Vec<(u64, u64)> {
    let out = unstruct()
        .arg("shards")
        .args(args)
        .arg(file)
        .assert()
        .success();
    String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            assert_eq!((w.len(), w[0], w[2]), (4, "--offset", "--length"), "{l}");
            (w[1].parse().expect("offset"), w[3].parse().expect("length"))
        })
        .collect()
}

/// The NDJSON of each shard, concatenated in order.
fn runs(args: &[&str], file: &std::path::Path, shards: &[(u64, u64)]) -> Vec<u8> {
    let mut all = Vec::new();
    for (o, l) in shards {
        let out = unstruct()
            .args(args)
            .args(["--offset", &o.to_string(), "--length", &l.to_string()])
            .arg(file)
            .assert()
            .success();
        all.extend_from_slice(&out.get_output().stdout);
    }
    all
}

fn whole(args: &[&str], file: &std::path::Path) -> Vec<u8> {
    let out = unstruct().args(args).arg(file).assert().success();
    out.get_output().stdout.clone()
}

#[test]
fn variable_records_split_at_record_starts() {
    let (data, starts) = var_data(5000);
    let d = tmp("var.struct", VAR.as_bytes());
    let f = tmp("var.bin", &data);
    let dargs = ["-f", d.to_str().expect("utf8"), "--records", "rec"];
    let mut args = dargs.to_vec();
    args.extend(["-n", "7"]);
    let shards = shard_lines(&args, &f);
    assert_eq!(shards.len(), 7);
    let mut at = 0;
    for &(o, l) in &shards {
        assert_eq!(o, at, "shards are contiguous");
        assert!(starts.binary_search(&o).is_ok(), "{o} is a record start");
        // about a seventh of the file each
        assert!(l.abs_diff(data.len() as u64 / 7) < 200, "{l}");
        at += l;
    }
    assert_eq!(at, data.len() as u64);
    let joined = runs(&dargs, &f, &shards);
    assert_eq!(joined, whole(&dargs, &f));
    assert_eq!(joined.iter().filter(|&&b| b == b'\n').count(), 5000);
}

#[test]
fn fixed_records_split_by_arithmetic() {
    // '<IhH' records: 8 bytes, 1001 of them and 3 trailing bytes
    let mut data = Vec::new();
    for i in 0..1001u32 {
        data.extend_from_slice(&i.to_le_bytes());
        data.extend_from_slice(&(-(i as i16)).to_le_bytes());
        data.extend_from_slice(&(i as u16 * 3).to_le_bytes());
    }
    let f = tmp("fixed.bin", &data);
    let dargs = ["-s", "<IhH", "--names", "a,b,c", "--threads", "1"];
    let mut args = dargs.to_vec();
    args.extend(["-n", "4"]);
    let shards = shard_lines(&args, &f);
    assert_eq!(
        shards,
        [(0, 2008), (2008, 2000), (4008, 2000), (6008, 2000)]
    );
    assert_eq!(runs(&dargs, &f, &shards), whole(&dargs, &f));

    // a trailing partial record is in the last shard, whose run reports it
    data.extend_from_slice(&[1, 2, 3]);
    let f = tmp("fixed-tail.bin", &data);
    let shards = shard_lines(&args, &f);
    assert_eq!(shards.last(), Some(&(6008, 2003)));
    let a = unstruct()
        .args(dargs)
        .args(["--offset", "6008", "--length", "2003"])
        .arg(&f)
        .assert()
        .code(1);
    stderr_has(&a, "3 bytes left after the last whole record");
}

#[test]
fn shards_within_offset_and_length_and_fewer_records() {
    let (data, starts) = var_data(10);
    let d = tmp("var10.struct", VAR.as_bytes());
    let f = tmp("var10.bin", &data);
    let ds = d.to_str().expect("utf8");
    // more shards than records: one record each
    let shards = shard_lines(&["-f", ds, "--records", "rec", "-n", "50"], &f);
    let offsets: Vec<u64> = shards.iter().map(|s| s.0).collect();
    assert_eq!(offsets, starts);
    // a range of the file: offsets stay offsets in the file
    let (o, l) = (starts[3], starts[8] - starts[3]);
    let shards = shard_lines(
        &[
            "-f",
            ds,
            "--records",
            "rec",
            "-n",
            "2",
            "--offset",
            &o.to_string(),
            "--length",
            &l.to_string(),
        ],
        &f,
    );
    assert_eq!(shards.first().map(|s| s.0), Some(starts[3]));
    let end = shards.last().map(|s| s.0 + s.1);
    assert_eq!(end, Some(starts[8]));
}

#[test]
fn a_bad_record_leaves_the_rest_in_the_last_shard() {
    let (mut data, starts) = var_data(1000);
    // record 600 claims more text than the file holds
    let at = starts[600] as usize;
    data[at..at + 2].copy_from_slice(&60000u16.to_le_bytes());
    let d = tmp("varbad.struct", VAR.as_bytes());
    let f = tmp("varbad.bin", &data);
    let ds = d.to_str().expect("utf8");
    let out = unstruct()
        .args(["shards", "-f", ds, "--records", "rec", "-n", "4"])
        .arg(&f)
        .assert()
        .success();
    stderr_has(&out, "rest of the input is one shard");
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let last = text.lines().last().expect("a shard");
    // the last shard starts at or before the bad record and runs to the end
    let w: Vec<u64> = last.split(' ').filter_map(|x| x.parse().ok()).collect();
    assert!(w[0] <= starts[600]);
    assert_eq!(w[0] + w[1], data.len() as u64);
}

#[test]
fn shards_needs_records_and_a_file() {
    let a = unstruct()
        .args(["shards", "-f", "wav", "samples/tone.wav"])
        .assert()
        .code(2);
    stderr_has(&a, "--records");
}

//! Columnar outputs (-o csv, tsv, arrow, parquet) read back by independent readers: Python's
//! csv module, pyarrow and DuckDB (tests/columnar/check.py), and their usage errors.

use std::process::Command;

fn unstruct(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("unstruct runs")
}

#[test]
fn columnar_outputs_match_independent_readers() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/tests/columnar/check.py"))
        .arg("--unstruct")
        .arg(env!("CARGO_BIN_EXE_unstruct"))
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "a columnar output disagrees with an independent reader:\n{report}"
    );
}

#[test]
fn open_types_name_the_field() {
    let dir = std::env::temp_dir().join(format!("unstruct-columnar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let desc = dir.join("open.struct");
    std::fs::write(
        &desc,
        "struct rec {\n  tag: u8\n  body: match tag { 1 => u32, _ => strz }\n}\n",
    )
    .unwrap();
    let data = dir.join("open.bin");
    std::fs::write(&data, [1u8, 0, 0, 0, 0]).unwrap();
    let (d, f) = (desc.to_str().unwrap(), data.to_str().unwrap());
    let out = unstruct(&["-f", d, "--records", "rec", f, "-o", "csv"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("`rec.body`"), "{err}");
    assert!(err.contains("u32 and text"), "{err}");
    assert!(
        err.contains("--select") && err.contains("-o ndjson"),
        "{err}"
    );
    // the same descriptor writes NDJSON
    let out = unstruct(&["-f", d, "--records", "rec", f]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"tag\":1,\"body\":0}\n"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn columnar_usage_errors() {
    let out = unstruct(&["-s", "<I", "-o", "parquet", "samples/tiny.bmp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-O FILE"));
    let out = unstruct(&["-f", "bmp", "-o", "csv", "samples/tiny.bmp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("records mode"));
    let out = unstruct(&["-s", "<I", "--offsets", "-o", "arrow", "samples/tiny.bmp"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn csv_of_stdin_streams() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(["-s", "<Hb", "--names", "a,b", "-o", "tsv", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut data = Vec::new();
    for i in 0..100_000u32 {
        data.extend_from_slice(&(i as u16).to_le_bytes());
        data.push((i % 256) as u8);
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "a\tb");
    assert_eq!(lines.len(), 100_002);
    for (i, l) in lines[1..100_001].iter().enumerate() {
        assert_eq!(*l, format!("{}\t{}", i as u16, (i % 256) as u8 as i8));
    }
}

/// `-o csv|arrow|parquet --select 'packets[*]'`: the rows are the records inside a file.
#[test]
fn records_inside_a_file_as_columns() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/tests/columnar/selected.py"))
        .arg("--unstruct")
        .arg(env!("CARGO_BIN_EXE_unstruct"))
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "columns of --select disagree:\n{report}"
    );
}

#[test]
fn select_paths_that_are_not_records() {
    for (path, says) in [
        ("packets", "`packets` is not a struct"),
        ("header", "has no field `header`"),
        ("packets[*].data", "`packets[*].data` is not a struct"),
        ("magic[*]", "`magic` is not an array"),
    ] {
        let out = unstruct(&[
            "-f",
            "pcap",
            "samples/nsec.pcap",
            "--select",
            path,
            "-o",
            "csv",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {err}");
        assert!(err.contains(says), "{path}: {err}");
    }
}

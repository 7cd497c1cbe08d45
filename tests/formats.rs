//! The bundled formats on real sample files, checked against independent decoders (Python's
//! wave, zipfile, tarfile, gzip, sqlite3, Pillow, readelf, javap …): see tests/oracle/.

use std::process::Command;

#[test]
fn bundled_formats_match_independent_decoders() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/tests/oracle/compare.py"))
        .arg("--unstruct")
        .arg(env!("CARGO_BIN_EXE_unstruct"))
        .current_dir(root)
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "unstruct disagrees with an independent decoder:\n{report}"
    );
}

/// The README's first command: a bundled format by name on a bundled sample, checked against
/// Python's `wave` module.
#[test]
fn bundled_format_by_name_matches_python_wave() {
    let root = env!("CARGO_MANIFEST_DIR");
    let sample = format!("{root}/samples/tone.wav");
    let out = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(["-f", "wav", &sample])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let py = Command::new("python3")
        .arg("-c")
        .arg("import sys, wave; w = wave.open(sys.argv[1]); print(w.getnchannels(), w.getframerate(), w.getsampwidth() * 8)")
        .arg(&sample)
        .output()
        .expect("python3 runs");
    let want: Vec<u64> = String::from_utf8_lossy(&py.stdout)
        .split_whitespace()
        .map(|s| s.parse().expect("number"))
        .collect();
    let chunks = v["chunks"].as_array().expect("chunks");
    let fmt = chunks
        .iter()
        .find(|c| c["id"] == "fmt ")
        .expect("a fmt chunk");
    let body = &fmt["body"];
    assert_eq!(
        [
            body["channels"].as_u64(),
            body["sample_rate"].as_u64(),
            body["bits_per_sample"].as_u64()
        ],
        [Some(want[0]), Some(want[1]), Some(want[2])]
    );
}

/// A damaged tar header is reported by `chksum_ok` (Python's tarfile rejects it outright).
#[test]
fn tar_checksum_detects_a_damaged_header() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut data = std::fs::read(format!("{root}/samples/small.tar")).expect("sample");
    data[0] ^= 0x20; // first byte of the first entry's name
    let path = std::env::temp_dir().join(format!("unstruct-damaged-{}.tar", std::process::id()));
    std::fs::write(&path, &data).expect("write");
    let py = Command::new("python3")
        .arg("-c")
        .arg("import sys, tarfile\ntry:\n    tarfile.TarInfo.frombuf(open(sys.argv[1], 'rb').read(512), 'utf-8', 'strict')\n    print('accepted')\nexcept tarfile.HeaderError as e:\n    print('rejected')")
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), "rejected");
    let out = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(["-f", "tar"])
        .arg(&path)
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["entries"][0]["chksum_ok"], serde_json::json!(false));
    assert_eq!(v["entries"][1]["chksum_ok"], serde_json::json!(true));
    let _ = std::fs::remove_file(&path);
}

//! Python struct format strings against CPython's own `struct` module: thousands of random
//! formats (every character, every byte order, counts, whitespace, invalid strings) and
//! random input, compared value by value, plus the examples of CPython's documentation.
//!
//! The seed is printed; rerun a failure with `UNSTRUCT_STRUCT_SEED=<seed> cargo test --test structfmt`.

use std::process::Command;

#[test]
fn struct_formats_agree_with_cpython() {
    let seed: u64 = std::env::var("UNSTRUCT_STRUCT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs() % 1_000_000)
        });
    let cases: usize = std::env::var("UNSTRUCT_STRUCT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    println!("struct format differential test: seed {seed}, {cases} cases");
    let dir =
        std::env::temp_dir().join(format!("unstruct-structfmt-{}-{seed}", std::process::id()));
    let root = env!("CARGO_MANIFEST_DIR");
    let gen_ok = Command::new("python3")
        .arg(format!("{root}/tests/structfmt/gen_cases.py"))
        .arg(seed.to_string())
        .arg(cases.to_string())
        .arg(&dir)
        .status()
        .expect("python3 runs");
    assert!(gen_ok.success(), "gen_cases.py failed (seed {seed})");
    let out = Command::new("python3")
        .arg(format!("{root}/tests/structfmt/compare.py"))
        .arg(&dir)
        .arg(dir.join("results.json"))
        .arg("--run")
        .arg(env!("CARGO_BIN_EXE_unstruct"))
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "unstruct disagrees with CPython's struct (seed {seed}):\n{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

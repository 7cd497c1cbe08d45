//! Kaitai Struct's formats gallery, loaded by the `.ksy` front end.
//!
//! The gallery is not part of the repository: `scripts/ksy-gallery.sh` fetches a pinned copy
//! into `target/ksy-gallery` (or the directory named by `UNSTRUCT_KSY_GALLERY`). Every `.ksy`
//! under it must pass `unstruct check -I GALLERY spec`, except the specs of `KNOWN_FAILURES`,
//! which must still fail (one that loads fails the test, so that the list shrinks as the
//! front end learns). With `UNSTRUCT_GALLERY_DOC=1` the count and the table of specs that do
//! not load are written into docs/kaitai.md.
//!
//! The repository's samples are also decoded with the gallery's specs and checked against the
//! independent decoders of tests/oracle/ (`tests/oracle/gallery.py`).
//!
//! Where the gallery is missing the tests skip with a note, unless
//! `UNSTRUCT_REQUIRE_ORACLES=1` (CI), which makes that a failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Specs of the gallery that `unstruct check` rejects, each with the reason (none today: a
/// spec that stops loading fails the test).
const KNOWN_FAILURES: &[(&str, &str)] = &[];

fn gallery() -> Option<PathBuf> {
    let dir = std::env::var_os("UNSTRUCT_KSY_GALLERY")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ksy-gallery"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("UNSTRUCT_REQUIRE_ORACLES").is_ok_and(|v| v == "1") {
        panic!(
            "Kaitai's formats gallery is missing at {} (scripts/ksy-gallery.sh fetches it)",
            dir.display()
        );
    }
    // not `eprintln!`: the test harness would hide the note in a passing run
    let _ = writeln!(
        std::io::stderr(),
        "note: skipping Kaitai's formats gallery: not found at {} (run scripts/ksy-gallery.sh, \
         or set UNSTRUCT_KSY_GALLERY)",
        dir.display()
    );
    None
}

/// Every `.ksy` under `dir`, as paths relative to it with `/` separators, sorted.
fn specs(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            specs(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "ksy") {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect();
            out.push(parts.join("/"));
        }
    }
}

#[test]
fn gallery_specs_load() {
    let Some(dir) = gallery() else { return };
    let mut all = Vec::new();
    specs(&dir, &dir, &mut all);
    all.sort();
    assert!(!all.is_empty(), "no .ksy under {}", dir.display());
    // (spec, first line of the error), one process per spec, on every core
    let check = |spec: &String| -> Option<(String, String)> {
        let out = Command::new(env!("CARGO_BIN_EXE_unstruct"))
            .arg("check")
            .arg("-I")
            .arg(&dir)
            .arg(spec)
            .current_dir(&dir)
            .output()
            .expect("run unstruct");
        if out.status.success() {
            return None;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or("").trim();
        let first = first.strip_prefix("unstruct: error: ").unwrap_or(first);
        // an imported spec is named by its path: keep it relative to the gallery
        Some((
            spec.clone(),
            first.replace(&format!("{}/", dir.display()), ""),
        ))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = all.len().div_ceil(threads);
    let mut failing: Vec<(String, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = all
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().filter_map(check).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a checking thread panicked"))
            .collect()
    });
    failing.sort();
    let loaded = all.len() - failing.len();
    let _ = writeln!(
        std::io::stderr(),
        "kaitai gallery: {loaded} of {} specs load",
        all.len()
    );
    let known = |s: &str| KNOWN_FAILURES.iter().find(|(k, _)| *k == s);
    let mut problems = Vec::new();
    for (spec, err) in &failing {
        println!("  does not load: {spec}: {err}");
        if known(spec).is_none() {
            problems.push(format!("{spec} does not load: {err}"));
        }
    }
    for (spec, _) in KNOWN_FAILURES {
        if !all.iter().any(|s| s == spec) {
            problems.push(format!(
                "{spec} is listed in KNOWN_FAILURES but not in the gallery"
            ));
        } else if !failing.iter().any(|(s, _)| s == spec) {
            problems.push(format!("{spec} loads now: remove it from KNOWN_FAILURES"));
        }
    }
    if std::env::var("UNSTRUCT_GALLERY_DOC").is_ok_and(|v| v == "1") {
        write_doc(loaded, all.len(), &failing);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Replaces the generated part of docs/kaitai.md (between the markers) with the table.
fn write_doc(loaded: usize, total: usize, failing: &[(String, String)]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/kaitai.md");
    let doc = std::fs::read_to_string(&path).expect("docs/kaitai.md");
    let (begin, end) = ("<!-- gallery:begin -->", "<!-- gallery:end -->");
    let (Some(a), Some(b)) = (doc.find(begin), doc.find(end)) else {
        panic!("docs/kaitai.md lacks the gallery markers");
    };
    let mut table = format!("{begin}\n**{loaded} of {total}** specs load.\n");
    if !failing.is_empty() {
        table.push_str("\n| spec | why it does not load | error |\n|---|---|---|\n");
    }
    for (spec, err) in failing {
        let why = KNOWN_FAILURES
            .iter()
            .find(|(k, _)| k == spec)
            .map_or("", |(_, w)| w);
        table.push_str(&format!(
            "| `{spec}` | {why} | {} |\n",
            err.replace('|', "\\|")
        ));
    }
    let out = format!("{}{table}{}", &doc[..a], &doc[b..]);
    std::fs::write(&path, out).expect("write docs/kaitai.md");
}

#[test]
fn samples_decoded_with_gallery_specs_match_independent_decoders() {
    let Some(dir) = gallery() else { return };
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/tests/oracle/gallery.py"))
        .arg("--unstruct")
        .arg(env!("CARGO_BIN_EXE_unstruct"))
        .arg("--gallery")
        .arg(&dir)
        .current_dir(root)
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    let _ = writeln!(
        std::io::stderr(),
        "kaitai gallery samples: {}",
        report.lines().last().unwrap_or("")
    );
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "a sample decoded with a gallery spec disagrees with an independent decoder:\n{report}"
    );
}

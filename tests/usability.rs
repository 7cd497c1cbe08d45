//! What a new user runs into: offsets with carving, integer styles, descriptor lookup,
//! flags that do not apply, and the bugs of issue 11 (each named after what went wrong).
//! Expected values come from Python (struct, zipfile, Pillow) or from the bytes themselves.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use serde_json::{Value, json};

fn unstruct() -> Command {
    Command::cargo_bin("unstruct").expect("binary")
}

/// A fresh directory for one test's files.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("unstruct-usability-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write tmp");
    p
}

/// Runs unstruct and returns (exit code, stdout, stderr).
fn run(args: &[&str], cwd: Option<&Path>) -> (i32, String, String) {
    let mut c = unstruct();
    c.args(args);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let out = c.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Runs a Python program (with `args`) and parses its stdout as JSON; `None` (with a note)
/// when python3 or a module it imports is missing, unless UNSTRUCT_REQUIRE_ORACLES=1.
fn python(code: &str, args: &[&str]) -> Option<Value> {
    let out = Std::new("python3").arg("-c").arg(code).args(args).output();
    let strict = std::env::var("UNSTRUCT_REQUIRE_ORACLES").is_ok_and(|v| v == "1");
    match out {
        Ok(o) if o.status.success() => Some(json_of(&String::from_utf8_lossy(&o.stdout))),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr).into_owned();
            if err.contains("ModuleNotFoundError") && !strict {
                eprintln!("note: skipped, a Python module is missing: {err}");
                return None;
            }
            panic!("python failed: {err}");
        }
        Err(e) if !strict => {
            eprintln!("note: skipped, no python3: {e}");
            None
        }
        Err(e) => panic!("python3 is required: {e}"),
    }
}

// ------------------------------------------------------------------ bugs of issue 11

/// `--offsets` after bit fields gave `"z":[0,0],"w":[0,2]`: the byte field after bit
/// fields starts on the next byte, and a bit field covers the byte it lies in.
#[test]
fn offsets_after_bit_fields() {
    let d = dir("bits");
    let desc = write(&d, "a.struct", b"struct a { z: b3; w: u8; k: u16 }\n");
    let data = [0xe0u8, 0x11, 0x22, 0x33];
    let input = write(&d, "a.bin", &data);
    let (code, out, err) = run(&["-f", s(&desc), "--offsets", s(&input)], None);
    assert_eq!(code, 0, "{err}");
    let v = json_of(&out);
    assert_eq!(v["z"], json!(data[0] >> 5));
    assert_eq!(v["w"], json!(data[1]));
    assert_eq!(v["k"], json!(u16::from_le_bytes([data[2], data[3]])));
    assert_eq!(
        v["@offsets"],
        json!({"z": [0, 1], "w": [1, 1], "k": [2, 2]})
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A ZIP64 archive behind a self-extractor's stub: the ZIP64 end record's stored offset is
/// off by the stub's length. Made and read by Python's zipfile.
#[test]
fn zip64_with_prefix_reads_like_zipfile() {
    let d = dir("zip64");
    let path = d.join("sfx.zip");
    let make = r#"
import io, json, sys, zipfile
zipfile.ZIP_FILECOUNT_LIMIT = 0      # makes ZipFile write the ZIP64 end record and locator
b = io.BytesIO()
with zipfile.ZipFile(b, 'w') as zf:
    zi = zipfile.ZipInfo('big.txt', (2023, 11, 14, 22, 13, 20))
    with zf.open(zi, 'w', force_zip64=True) as f:
        f.write(b'zip64 entry\n')
    zf.writestr(zipfile.ZipInfo('small.txt', (2023, 11, 14, 22, 13, 20)), b'hi\n')
open(sys.argv[1], 'wb').write(b'#!/bin/sh\necho self-extractor stub\nexit 0\n' + b.getvalue())
print('null')
"#;
    if python(make, &[s(&path)]).is_none() {
        return;
    }
    let read = r#"
import json, sys, zipfile
data = open(sys.argv[1], 'rb').read()
assert data.find(b'PK\x06\x06') > 0, 'no ZIP64 end record'
with zipfile.ZipFile(sys.argv[1]) as zf:
    print(json.dumps({'start_dir': zf.start_dir, 'entries': [
        {'name': i.filename, 'header_offset': i.header_offset, 'crc': i.CRC,
         'data': zf.read(i).hex()} for i in zf.infolist()]}))
"#;
    let Some(want) = python(read, &[s(&path)]) else {
        return;
    };
    let (code, out, err) = run(&["-f", "zip", s(&path)], None);
    assert_eq!(code, 0, "{err}");
    let got = json_of(&out);
    let entries = got["entries"].as_array().expect("entries");
    let want_entries = want["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), want_entries.len());
    assert_eq!(entries[0]["offset"], want["start_dir"]);
    for (g, w) in entries.iter().zip(want_entries) {
        assert_eq!(g["filename"], w["name"]);
        assert_eq!(g["crc"], w["crc"]);
        assert_eq!(g["local"]["offset"], w["header_offset"]);
        assert_eq!(g["local"]["data"], w["data"]);
    }
}

/// A GIF without its trailer byte (as Python 3.7's idlelib/Icons/minusnode.gif) failed with
/// "the region ended before the until condition held"; Pillow reads it.
#[test]
fn gif_without_trailer_is_read() {
    let d = dir("gif");
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = Vec::new();
    for sample in ["tiny.gif", "anim.gif"] {
        let bytes = std::fs::read(format!("{root}/samples/{sample}")).expect("sample");
        assert_eq!(bytes.last(), Some(&0x3b), "{sample} ends with its trailer");
        files.push(write(&d, sample, &bytes[..bytes.len() - 1]));
    }
    // the file that showed the bug, where the Python install has the trailerless version
    let idle = Std::new("python3")
        .args([
            "-c",
            "import idlelib, os; print(os.path.dirname(idlelib.__file__))",
        ])
        .output()
        .ok()
        .map(|o| {
            PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("Icons/minusnode.gif")
        });
    if let Some(p) = idle.filter(|p| p.exists()) {
        files.push(p);
    }
    for f in &files {
        let pillow = r#"
import json, sys
from PIL import Image
im = Image.open(sys.argv[1])
n = 0
try:
    while True:
        im.seek(n); im.load(); n += 1
except EOFError:
    pass
print(json.dumps({'size': list(im.size), 'frames': n}))
"#;
        let Some(want) = python(pillow, &[s(f)]) else {
            return;
        };
        let (code, out, err) = run(&["-f", "gif", s(f)], None);
        assert_eq!(code, 0, "{}: {err}", f.display());
        let v = json_of(&out);
        assert_eq!(
            json!([v["screen"]["width"], v["screen"]["height"]]),
            want["size"]
        );
        let images = v["blocks"]
            .as_array()
            .expect("blocks")
            .iter()
            .filter(|b| b["introducer"] == "image")
            .count();
        assert_eq!(json!(images), want["frames"], "{}", f.display());
    }
}

/// `import "png"` decoded png's structs in the importing file's byte order.
#[test]
fn imported_structs_keep_their_files_endian() {
    let d = dir("import");
    let desc = write(
        &d,
        "t.struct",
        b"endian little\nimport \"png\"\nstruct t { n: u32; c: chunk(0) }\n",
    );
    let mut data = vec![1, 0, 0, 0];
    data.extend_from_slice(&[0, 0, 0, 2, b'a', b'b', b'c', b'd', 7, 8, 0, 0, 0, 9]);
    let input = write(&d, "t.bin", &data);
    let (code, out, err) = run(&["-f", s(&desc), s(&input)], None);
    assert_eq!(code, 0, "{err}");
    let v = json_of(&out);
    assert_eq!(v["n"], json!(u32::from_le_bytes([1, 0, 0, 0])));
    assert_eq!(v["c"]["length"], json!(u32::from_be_bytes([0, 0, 0, 2])));
    assert_eq!(v["c"]["crc"], json!(u32::from_be_bytes([0, 0, 0, 9])));
}

/// A file named `png` in the current directory silently replaced the bundled format.
#[test]
fn bare_name_is_the_bundled_format() {
    let d = dir("cwd");
    write(&d, "png", b"struct x { a: u8 }\n");
    let sample = format!("{}/samples/tiny.png", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = run(&["-f", "png", &sample], Some(&d));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("`png` is the bundled format; write `./png`"),
        "{err}"
    );
    assert!(json_of(&out).get("chunks").is_some(), "{out}");
    let (code, out, _) = run(&["-f", "./png", &sample], Some(&d));
    assert_eq!(code, 0);
    assert_eq!(json_of(&out), json!({"a": 0x89}));
}

/// With `--max-depth 10000` (the most allowed) the error still said "raise with --max-depth".
#[test]
fn max_depth_hint_only_when_it_can_be_raised() {
    let d = dir("depth");
    let desc = write(&d, "n.struct", b"struct n { more: u8; next: n if more }\n");
    let input = write(&d, "n.bin", &[1u8; 20]);
    let (code, _, err) = run(&["-f", s(&desc), "--max-depth", "5", s(&input)], None);
    assert_eq!(code, 1);
    assert!(err.contains("(raise with --max-depth)"), "{err}");
    let input = write(&d, "deep.bin", &vec![1u8; 10_010]);
    let (code, _, err) = run(&["-f", s(&desc), "--max-depth", "10000", s(&input)], None);
    assert_eq!(code, 1);
    assert!(!err.contains("raise with"), "{err}");
    assert!(
        err.contains("10000 is the most that --max-depth allows"),
        "{err}"
    );
}

/// `--names 'a, b'` gave the key `" b"`; `--names` and `--raw-bytes` were ignored with `-f`.
#[test]
fn names_are_trimmed_and_struct_only_flags_rejected() {
    let d = dir("names");
    let input = write(&d, "ab.bin", b"ab");
    let (code, out, _) = run(&["-s", "<BB", "--names", "a, b", s(&input)], None);
    assert_eq!(code, 0);
    assert_eq!(json_of(&out), json!({"a": 97, "b": 98}));
    for flag in [&["--names", "a"][..], &["--raw-bytes"][..]] {
        let mut args = vec!["-f", "gif"];
        args.extend_from_slice(flag);
        args.push(s(&input));
        let (code, out, err) = run(&args, None);
        assert_eq!(code, 2, "{flag:?}");
        assert!(out.is_empty());
        assert!(err.contains("is for struct formats (-s/--struct)"), "{err}");
    }
}

/// `--root NAME` of a struct with parameters decoded and then failed with "`n` is absent";
/// now it is rejected before decoding, naming the parameters.
#[test]
fn root_with_parameters_is_rejected_before_decoding() {
    let d = dir("root");
    let desc = write(
        &d,
        "p.struct",
        b"struct top { a: r(1) }\nstruct r(n) { x: u8[n] }\n",
    );
    let input = write(&d, "p.bin", b"abc");
    let (code, out, err) = run(&["-f", s(&desc), "--root", "r", s(&input)], None);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("takes parameters (`n`)"), "{err}");
    // the descriptor itself is fine
    let (code, _, err) = run(&["check", s(&desc)], None);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["-f", s(&desc), "--records", "r", s(&input)], None);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("takes parameters"), "{err}");
}

// ------------------------------------------------------------------ offsets and integers

/// `--offsets` and errors give file offsets under `--offset` carving; `-N` counts from
/// the end.
#[test]
fn carving_reports_file_offsets() {
    let d = dir("carve");
    let desc = write(&d, "c.struct", b"struct c { a: u16; b: u32 }\n");
    let data: Vec<u8> = (0u8..16).collect();
    let input = write(&d, "c.bin", &data);
    for off in ["10", "-6"] {
        let (code, out, err) = run(
            &["-f", s(&desc), "--offsets", "--offset", off, s(&input)],
            None,
        );
        assert_eq!(code, 0, "{err}");
        let v = json_of(&out);
        assert_eq!(v["a"], json!(u16::from_le_bytes([10, 11])));
        assert_eq!(v["b"], json!(u32::from_le_bytes([12, 13, 14, 15])));
        assert_eq!(
            v["@offsets"],
            json!({"a": [10, 2], "b": [12, 4]}),
            "--offset {off}"
        );
    }
    let (code, _, err) = run(&["-f", s(&desc), "--offset", "-4", s(&input)], None);
    assert_eq!(code, 1);
    assert!(err.contains("c.b at offset 0xe (14)"), "{err}");
    assert!(
        err.contains("(byte 0x2 (2) of the --offset range)"),
        "{err}"
    );
}

/// `--ints hex` and `--big-ints string` in every tier: fixed records (compiled writer),
/// variable records (sequence programs) and struct format strings; expected from Python.
#[test]
fn integer_styles_in_every_tier() {
    let d = dir("ints");
    let values: [(u64, i64); 4] = [
        (0, 0),
        (255, -16),
        (1 << 53, -(1 << 53) + 1),
        (u64::MAX, i64::MIN),
    ];
    let mut data = Vec::new();
    for (u, i) in values {
        data.extend_from_slice(&u.to_le_bytes());
        data.extend_from_slice(&i.to_le_bytes());
    }
    let input = write(&d, "i.bin", &data);
    let fixed = write(&d, "f.struct", b"struct r { u: u64; i: i64 }\n");
    let var = write(
        &d,
        "v.struct",
        b"struct r { u: u64; i: i64; s: bytes[u % 1] }\n",
    );
    let oracle = r#"
import json, struct, sys
data = open(sys.argv[1], 'rb').read()
rows = list(struct.iter_unpack('<Qq', data))
big = lambda v: str(v) if abs(v) > 2**53 - 1 else v
print(json.dumps({'hex': [{'u': hex(u), 'i': hex(i)} for u, i in rows],
                  'big': [{'u': big(u), 'i': big(i)} for u, i in rows]}))
"#;
    let Some(want) = python(oracle, &[s(&input)]) else {
        return;
    };
    for (flag, key) in [
        (["--ints", "hex"], "hex"),
        (["--big-ints", "string"], "big"),
    ] {
        for desc in [&fixed, &var] {
            {
                let (code, out, err) = run(
                    &["-f", s(desc), "--records", "r", flag[0], flag[1], s(&input)],
                    None,
                );
                assert_eq!(code, 0, "{err}");
                let got: Vec<Value> = out.lines().map(json_of).collect();
                let want: Vec<Value> = want[key]
                    .as_array()
                    .expect("rows")
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        if desc == &var {
                            r["s"] = json!("");
                        }
                        r
                    })
                    .collect();
                assert_eq!(got, want, "{flag:?} {}", desc.display());
            }
        }
        let (code, out, err) = run(
            &["-s", "<Qq", "--names", "u,i", flag[0], flag[1], s(&input)],
            None,
        );
        assert_eq!(code, 0, "{err}");
        let got: Vec<Value> = out.lines().map(json_of).collect();
        assert_eq!(json!(got), want[key], "{flag:?} struct format");
    }
}

// ------------------------------------------------------------------ detection

/// `detect` names the bundled format of each sample by its magic, as the sample table of
/// the format tests (tests/oracle/run_all.py) names them; pcap by the magic numbers its byte
/// order match lists (all three samples: µs little-endian, µs big-endian, ns); formats
/// without constant leading bytes (zip, tar, pyc) are not guessed.
#[test]
fn detect_names_formats_by_magic() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (sample, want) in [
        ("tiny.png", Some("png")),
        ("anim.gif", Some("gif")),
        ("hello.gz", Some("gzip")),
        ("core.bmp", Some("bmp")),
        ("tone.wav", Some("wav")),
        ("Hello.class", Some("java_class")),
        ("tiny.sqlite", Some("sqlite")),
        ("hello-ppc.elf", Some("elf")),
        ("small.zip", None),
        ("tiny.pcap", Some("pcap")),
        ("tiny_be.pcap", Some("pcap")),
        ("nsec.pcap", Some("pcap")),
        ("small.tar", None),
    ] {
        let path = format!("{root}/samples/{sample}");
        let (code, out, err) = run(&["detect", &path], None);
        match want {
            Some(name) => {
                assert_eq!(code, 0, "{sample}: {err}");
                assert!(out.starts_with(&format!("{path}: {name} (")), "{out}");
                assert!(!out.contains("; or "), "{out}");
            }
            None => {
                assert_eq!(code, 1, "{sample}");
                assert_eq!(out, format!("{path}: no bundled format matches\n"));
            }
        }
    }
}

/// Without `-f`, the format is detected (and said); a data error on a file that another
/// bundled format accepts says which; `formats NAME` prints the descriptor.
#[test]
fn decoding_without_a_format_and_looks_like() {
    let root = env!("CARGO_MANIFEST_DIR");
    let png = format!("{root}/samples/tiny.png");
    let (code, out, err) = run(&[&png], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("decoding as `png` (detected by its magic"),
        "{err}"
    );
    let (_, want, _) = run(&["-f", "png", &png], None);
    assert_eq!(out, want);
    let gz = format!("{root}/samples/hello.gz");
    let (code, _, err) = run(&["-f", "gif", &gz], None);
    assert_eq!(code, 1);
    assert!(err.ends_with("; this looks like gzip (-f gzip)\n"), "{err}");
    let (code, out, _) = run(&["formats", "wav"], None);
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(format!("{root}/formats/wav.struct")).expect("wav");
    assert_eq!(out, text);
    let (code, _, err) = run(&[&format!("{root}/samples/README.md")], None);
    assert_eq!(code, 2);
    assert!(
        err.contains("matches no bundled format by its magic"),
        "{err}"
    );
}

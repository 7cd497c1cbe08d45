//! The `unstruct` command as users run it: flags, stdin, exit codes, output shapes, errors.

use assert_cmd::Command;
use serde_json::{Value, json};
use std::io::Write;

fn unstruct() -> Command {
    Command::cargo_bin("unstruct").expect("binary")
}

fn tmp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("unstruct-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(name);
    std::fs::File::create(&p)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write tmp");
    p
}

const REC: &str = "endian little\nstruct rec {\n    id: u32\n    temp: i16\n    name: strz[6]\n}\n";

/// Three records of `REC`: (id, temp, name).
fn rec_data() -> Vec<u8> {
    let mut v = Vec::new();
    for (id, temp, name) in [(1u32, -5i16, "ab"), (2, 300, "cdef"), (70000, 0, "")] {
        v.extend_from_slice(&id.to_le_bytes());
        v.extend_from_slice(&temp.to_le_bytes());
        let mut n = [0u8; 6];
        n[..name.len()].copy_from_slice(name.as_bytes());
        v.extend_from_slice(&n);
    }
    v
}

fn ndjson(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

#[test]
fn records_mode_writes_ndjson_in_declaration_order() {
    let d = tmp("rec.struct", REC.as_bytes());
    let f = tmp("rec.bin", &rec_data());
    let out = unstruct()
        .args(["-f"])
        .arg(&d)
        .args(["--records", "rec"])
        .arg(&f)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(
        text.lines().next(),
        Some(r#"{"id":1,"temp":-5,"name":"ab"}"#)
    );
    assert_eq!(
        ndjson(text.as_bytes()),
        vec![
            json!({"id": 1, "temp": -5, "name": "ab"}),
            json!({"id": 2, "temp": 300, "name": "cdef"}),
            json!({"id": 70000, "temp": 0, "name": ""})
        ]
    );
}

#[test]
fn records_from_stdin_skip_and_count() {
    let d = tmp("rec2.struct", REC.as_bytes());
    let out = unstruct()
        .args(["-f"])
        .arg(&d)
        .args(["--records", "rec", "--skip", "1", "--count", "1", "-"])
        .write_stdin(rec_data())
        .assert()
        .success();
    assert_eq!(
        ndjson(&out.get_output().stdout),
        vec![json!({"id": 2, "temp": 300, "name": "cdef"})]
    );
    let out = unstruct()
        .args(["-f"])
        .arg(&d)
        .args(["--records", "--skip", "2"])
        .write_stdin(rec_data())
        .assert()
        .success();
    assert_eq!(
        ndjson(&out.get_output().stdout),
        vec![json!({"id": 70000, "temp": 0, "name": ""})]
    );
}

#[test]
fn truncated_last_record_is_reported_after_complete_records() {
    let d = tmp("rec3.struct", REC.as_bytes());
    let mut data = rec_data();
    data.truncate(data.len() - 3);
    let f = tmp("rec3.bin", &data);
    for input in [Some(f.clone()), None] {
        let mut cmd = unstruct();
        cmd.args(["-f"]).arg(&d).args(["--records", "rec"]);
        match &input {
            Some(p) => cmd.arg(p),
            None => cmd.arg("-").write_stdin(data.clone()),
        };
        let out = cmd.assert().code(1);
        let o = out.get_output();
        assert_eq!(
            ndjson(&o.stdout).len(),
            2,
            "both complete records are written"
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("rec[2]"), "{err}");
        assert!(err.contains("0x18 (24)"), "{err}");
    }
}

#[test]
fn whole_document_output_styles() {
    let d = tmp("doc.struct", b"struct doc {\n  a: u8\n  b: bytes[2]\n}\n");
    let f = tmp("doc.bin", &[7, 0xab, 0xcd]);
    let compact = unstruct().args(["-f"]).arg(&d).arg(&f).assert().success();
    assert_eq!(
        String::from_utf8_lossy(&compact.get_output().stdout),
        "{\"a\":7,\"b\":\"abcd\"}\n"
    );
    let pretty = unstruct()
        .args(["-f"])
        .arg(&d)
        .args(["-o", "pretty"])
        .arg(&f)
        .assert()
        .success();
    assert_eq!(
        String::from_utf8_lossy(&pretty.get_output().stdout),
        "{\n  \"a\": 7,\n  \"b\": \"abcd\"\n}\n"
    );
    let b64 = unstruct()
        .args(["-f"])
        .arg(&d)
        .args(["--bytes", "base64"])
        .arg(&f)
        .assert()
        .success();
    assert_eq!(
        serde_json::from_slice::<Value>(&b64.get_output().stdout).ok(),
        Some(json!({"a": 7, "b": "q80="}))
    );
    let arr = unstruct()
        .args(["-f"])
        .arg(&d)
        .args(["--bytes", "array"])
        .arg(&f)
        .assert()
        .success();
    assert_eq!(
        serde_json::from_slice::<Value>(&arr.get_output().stdout).ok(),
        Some(json!({"a": 7, "b": [171, 205]}))
    );
}

#[test]
fn offsets_show_where_values_came_from() {
    let d = tmp(
        "off.struct",
        b"struct doc {\n  a: u8\n  inner: inner\n}\nstruct inner {\n  b: u16\n  c: bytes[3]\n}\n",
    );
    let f = tmp("off.bin", &[1, 2, 0, 3, 4, 5]);
    let out = unstruct()
        .args(["-f"])
        .arg(&d)
        .arg("--offsets")
        .arg(&f)
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    assert_eq!(
        v,
        json!({"a": 1, "inner": {"b": 2, "c": "030405", "@offsets": {"b": [1, 2], "c": [3, 3]}},
               "@offsets": {"a": [0, 1], "inner": [1, 5]}})
    );
}

#[test]
fn offset_and_length_carve_a_range() {
    let d = tmp(
        "carve.struct",
        b"struct x {\n  a: u16be\n  rest: bytes[..]\n}\n",
    );
    let f = tmp("carve.bin", &[9, 9, 0x01, 0x02, 0xaa, 0xbb, 0xcc]);
    let out = unstruct()
        .args(["-f"])
        .arg(&d)
        .args(["--offset", "2", "--length", "3"])
        .arg(&f)
        .assert()
        .success();
    assert_eq!(
        serde_json::from_slice::<Value>(&out.get_output().stdout).ok(),
        Some(json!({"a": 258, "rest": "aa"}))
    );
}

#[test]
fn data_errors_exit_1_with_offset_path_and_cause() {
    let d = tmp(
        "bad.struct",
        b"struct file {\n  magic: \"PK\"\n  n: u32\n}\n",
    );
    let f = tmp("bad.bin", b"PK\x01");
    let out = unstruct().args(["-f"]).arg(&d).arg(&f).assert().code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("file.n at offset 0x2 (2): need 4 bytes, only 1 left"),
        "{err}"
    );
    let f = tmp("bad2.bin", b"ZZ\x01\x00\x00\x00");
    let out = unstruct().args(["-f"]).arg(&d).arg(&f).assert().code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("file.magic at offset 0x0 (0): expected \"PK\", found \"ZZ\""),
        "{err}"
    );
}

#[test]
fn descriptor_errors_exit_2_with_line_col_and_caret() {
    let d = tmp("typo.struct", b"struct a {\n  x: u23\n}\n");
    let out = unstruct().arg("check").arg(&d).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("typo.struct:2:6: unknown type `u23`"), "{err}");
    assert!(err.contains("  x: u23\n"), "{err}");
    assert!(err.contains("^^^"), "{err}");
    assert!(err.contains("did you mean `u32`?"), "{err}");
    let good = tmp("good.struct", REC.as_bytes());
    unstruct().arg("check").arg(&good).assert().success();
}

#[test]
fn usage_errors_exit_2() {
    unstruct().arg("nothing.bin").assert().code(2);
    unstruct()
        .args(["-f", "no-such-format", "x.bin"])
        .assert()
        .code(2);
    unstruct()
        .args(["--definitely-not-a-flag"])
        .assert()
        .code(2);
    let d = tmp("u.struct", REC.as_bytes());
    unstruct()
        .args(["-f"])
        .arg(&d)
        .arg("/no/such/file")
        .assert()
        .code(2);
    unstruct()
        .args(["-f"])
        .arg(&d)
        .args(["--records", "nosuch"])
        .arg(&d)
        .assert()
        .code(2);
}

#[test]
fn layout_shows_static_offsets() {
    let d = tmp("layout.struct", REC.as_bytes());
    let out = unstruct().arg("layout").arg(&d).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("struct rec (12 bytes)"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["6", "6", "name:", "str"]),
        "{text}"
    );
}

#[test]
fn struct_mode_and_calcsize() {
    let mut data = Vec::new();
    data.extend_from_slice(&(-2i16).to_be_bytes());
    data.extend_from_slice(b"hi\0\0");
    let out = unstruct()
        .args(["-s", ">h4s", "-"])
        .write_stdin(data.clone())
        .assert()
        .success();
    assert_eq!(ndjson(&out.get_output().stdout), vec![json!([-2, "hi"])]);
    let out = unstruct()
        .args(["-s", ">h4s", "--names", "t,name", "-"])
        .write_stdin(data)
        .assert()
        .success();
    assert_eq!(
        ndjson(&out.get_output().stdout),
        vec![json!({"t": -2, "name": "hi"})]
    );
    let out = unstruct().args(["calcsize", "@bhiq"]).assert().success();
    assert_eq!(String::from_utf8_lossy(&out.get_output().stdout), "16\n");
    let out = unstruct().args(["calcsize", "<3"]).assert().code(2);
    assert!(
        String::from_utf8_lossy(&out.get_output().stderr)
            .contains("repeat count given without format specifier")
    );
}

#[test]
fn broken_pipe_is_not_an_error() {
    let d = tmp("pipe.struct", b"struct r { a: u8 }\n");
    let f = tmp("pipe.bin", &vec![1u8; 1 << 20]);
    let us = assert_cmd::cargo::cargo_bin("unstruct");
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' -f '{}' --records r '{}' | head -n 1 >/dev/null; exit ${{PIPESTATUS[0]}}",
            us.display(),
            d.display(),
            f.display()
        ))
        .status()
        .expect("bash");
    assert_eq!(status.code(), Some(0));
}

/// A full disk (Linux's `/dev/full`) is an error of every driver: mapped file on one thread
/// and on two, a variable-length layout, streamed stdin, and a whole-file document.
#[test]
fn write_errors_exit_2() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let fixed = tmp("full.struct", b"struct r { a: u32; b: f64 }\n");
    let var = tmp("full_var.struct", b"struct r { n: u8; s: str[n] }\n");
    // 8 MiB: large enough for the parallel driver
    let data = tmp("full.bin", &vec![3u8; 8 << 20]);
    let (fixed, var) = (fixed.display().to_string(), var.display().to_string());
    let runs: [&[&str]; 4] = [
        &["-f", &fixed, "--records", "r", "--threads", "1"],
        &["-f", &fixed, "--records", "r", "--threads", "2"],
        &["-f", &var, "--records", "r"],
        &["-f", &var],
    ];
    for args in runs {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("unstruct"))
            .args(args)
            .arg(&data)
            .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("No space left"), "{args:?}: {err}");
    }
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("unstruct"))
        .args(["-f", &fixed, "--records", "r", "-"])
        .stdin(std::fs::File::open(&data).expect("data"))
        .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stdin: {err}");
    assert!(err.contains("cannot write the output"), "stdin: {err}");
}

#[test]
fn formats_lists_bundled_formats() {
    let out = unstruct().arg("formats").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for name in ["wav", "png", "bmp"] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing from:\n{text}"
        );
    }
}

//! `--select PATH` and `--partial`: the values written are checked against Python's `wave`
//! and `struct` reading the same files; the JSON against Python's `json` (and `jq` where
//! installed). The error's own line on a terminal is checked on a pseudo-terminal.

#[path = "common/pty.rs"]
mod pty;

use serde_json::Value;
use std::process::{Command, Output};

fn unstruct(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run unstruct")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

/// Runs Python (the independent reader); None, with a note, where python3 is missing.
fn python(code: &str) -> Option<Value> {
    let out = match Command::new("python3")
        .args(["-c", code])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            assert!(
                std::env::var("UNSTRUCT_REQUIRE_ORACLES").as_deref() != Ok("1"),
                "python3 is required"
            );
            eprintln!("note: python3 not found, check skipped");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("python printed JSON"))
}

/// Python's json module reads `text` (and jq, when installed).
fn valid_json(text: &str) -> Value {
    if let Ok(mut jq) = Command::new("jq")
        .arg(".")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
    {
        use std::io::Write;
        jq.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        assert!(jq.wait().unwrap().success(), "jq cannot read {text}");
    }
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

const WAV_CHUNKS: &str = r#"
import json, struct
b = open('samples/tone.wav', 'rb').read()
i, out = 12, []
while i + 8 <= len(b):
    cid, size = struct.unpack('<4sI', b[i:i + 8])
    out.append([cid.decode(), size])
    i += 8 + size + size % 2
print(json.dumps(out))
"#;

#[test]
fn select_a_field_and_every_element() {
    let o = unstruct(&[
        "-f",
        "wav",
        "--select",
        "chunks[1].size",
        "samples/tone.wav",
    ]);
    assert!(o.status.success());
    let Some(want) = python(WAV_CHUNKS) else {
        return;
    };
    assert_eq!(stdout(&o), format!("{}\n", want[1][1]));
    let o = unstruct(&[
        "-f",
        "wav",
        "--select",
        "chunks[*].id",
        "-o",
        "ndjson",
        "samples/tone.wav",
    ]);
    let ids: Vec<Value> = stdout(&o).lines().map(valid_json).collect();
    let want_ids: Vec<Value> = want
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[0].clone())
        .collect();
    assert_eq!(ids, want_ids);
    // a struct: the fmt chunk's body, against Python's wave
    let o = unstruct(&[
        "-f",
        "wav",
        "--select",
        "chunks[0].body",
        "samples/tone.wav",
    ]);
    let body = valid_json(&stdout(&o));
    let w = python(
        "import wave,json; w=wave.open('samples/tone.wav'); \
         print(json.dumps([w.getnchannels(), w.getframerate(), w.getsampwidth()*8]))",
    )
    .unwrap();
    assert_eq!(
        [
            &body["channels"],
            &body["sample_rate"],
            &body["bits_per_sample"]
        ],
        [&w[0], &w[1], &w[2]]
    );
    // jq's spelling of every element, and a leading dot
    let o2 = unstruct(&["-f", "wav", "--select", ".chunks[].id", "samples/tone.wav"]);
    assert_eq!(stdout(&o2).lines().count(), 2);
}

#[test]
fn pcap_packets_as_ndjson_lines() {
    let o = unstruct(&[
        "-f",
        "pcap",
        "--select",
        "packets[*]",
        "-o",
        "ndjson",
        "samples/tiny.pcap",
    ]);
    assert!(o.status.success());
    let Some(want) = python(
        r#"
import json, struct
b = open('samples/tiny.pcap', 'rb').read()
i, out = 24, []
while i < len(b):
    s, us, incl, orig = struct.unpack('<IIII', b[i:i + 16])
    out.append([i, s, us, incl, b[i + 16:i + 16 + incl].hex()])
    i += 16 + incl
print(json.dumps(out))
"#,
    ) else {
        return;
    };
    let lines: Vec<Value> = stdout(&o).lines().map(valid_json).collect();
    assert_eq!(lines.len(), want.as_array().unwrap().len());
    for (l, w) in lines.iter().zip(want.as_array().unwrap()) {
        assert_eq!(
            [
                &l["offset"],
                &l["ts_sec"],
                &l["ts_usec"],
                &l["incl_len"],
                &l["data"]
            ],
            [&w[0], &w[1], &w[2], &w[3], &w[4]]
        );
    }
    // the same lines whether the packets take the compiled path (compact) or not (--offsets)
    let o = unstruct(&[
        "-f",
        "pcap",
        "--select",
        "packets[1]",
        "--offsets",
        "samples/tiny.pcap",
    ]);
    let v = valid_json(&stdout(&o));
    assert_eq!(v["ts_sec"], lines[1]["ts_sec"]);
    assert_eq!(
        v["@offsets"]["data"],
        serde_json::json!([w_off(&lines[1]) + 16, lines[1]["incl_len"]])
    );
}

fn w_off(v: &Value) -> u64 {
    v["offset"].as_u64().unwrap()
}

#[test]
fn partial_closes_the_json_with_an_error_member() {
    let o = unstruct(&[
        "-f",
        "wav",
        "--partial",
        "--length",
        "100",
        "samples/tone.wav",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = valid_json(&stdout(&o));
    let chunks = v["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0]["body"]["sample_rate"], 8000);
    // the data chunk was cut in its body: its header fields are there, the body is not
    assert_eq!(chunks[1]["size"], 1600);
    assert!(chunks[1].get("body").is_none());
    assert_eq!(
        chunks[1]["@error"],
        serde_json::json!({
            "message": "region of 1600 bytes does not fit, only 56 left",
            "offset": 44,
            "path": "wav.chunks[1].body"
        })
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("unstruct: error: wav.chunks[1].body at offset 0x2c"),
        "{err}"
    );
    // with --offset the error's offset is a file offset
    let o = unstruct(&[
        "-f",
        "wav",
        "--partial",
        "--offset",
        "0",
        "--length",
        "40",
        "samples/tone.wav",
    ]);
    let v = valid_json(&stdout(&o));
    assert_eq!(v["chunks"][1]["@error"]["offset"], 40);
}

#[test]
fn select_with_an_error_keeps_whole_values_only() {
    let o = unstruct(&[
        "-f",
        "wav",
        "--select",
        "chunks[*]",
        "--length",
        "100",
        "samples/tone.wav",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.ends_with('\n'));
    assert_eq!(valid_json(text.trim())["id"], "fmt ");
    let o = unstruct(&[
        "-f",
        "wav",
        "--select",
        "chunks[*]",
        "--partial",
        "--length",
        "100",
        "samples/tone.wav",
    ]);
    let lines: Vec<Value> = stdout(&o).lines().map(valid_json).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["@error"]["path"], "wav.chunks[1].body");
}

#[test]
fn select_errors() {
    let o = unstruct(&["-f", "wav", "--select", "chunks[7]", "samples/tone.wav"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--select found no value at this path"));
    assert!(o.stdout.is_empty());
    let o = unstruct(&["-f", "wav", "--select", "chunks[x]", "samples/tone.wav"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad path `chunks[x]`: unexpected `[`"),
        "{err}"
    );
    assert!(err.contains("at position 6"), "{err}");
    let o = unstruct(&["-s", "<I", "--select", "[0]", "samples/tone.wav"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--select is for a whole-file decode"));
    // an empty array under [*] is not an error
    let o = unstruct(&[
        "-f",
        "gif",
        "--select",
        "blocks[*].body.data[5]",
        "samples/tiny.gif",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty());
}

#[cfg(unix)]
#[test]
fn without_partial_the_error_has_its_own_line_on_a_terminal() {
    let s = pty::run(
        &["-f", "wav", "--length", "100", "samples/tone.wav"],
        &[("NO_COLOR", "1")],
        &[],
    );
    assert_eq!(s.status, 1);
    let text = s.plain();
    let err = text
        .lines()
        .find(|l| l.contains("unstruct: error:"))
        .expect("error line");
    assert!(
        err.starts_with("unstruct: error: wav.chunks[1].body"),
        "{text}"
    );
}

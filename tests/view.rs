//! `unstruct view` as a person sees it on a terminal (an 80-column pseudo-terminal), and in a
//! pipe. Field values are checked against the file's bytes read here and against Python's
//! `wave` and `struct` modules; colours against `--color` and `NO_COLOR`.

#![cfg(unix)]

#[path = "common/pty.rs"]
mod pty;

use std::collections::HashMap;
use std::process::Command;

const WAV: &str = "samples/tone.wav";

fn root(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// A line of the view split into its columns.
#[derive(Debug)]
struct Row {
    offset: u64,
    size: String,
    bytes: String,
    name: String,
    value: String,
}

/// Parses the view's lines (after the title) into rows; `field` starts at the column where
/// the title says `field`.
fn rows(text: &str) -> Vec<Row> {
    let mut lines = text.lines();
    let title = lines.next().expect("a title line");
    assert!(title.starts_with("offset"), "title: {title:?}");
    let field_col = title.find("field").expect("field column");
    let bytes_col = title.find("bytes").expect("bytes column");
    lines
        .filter(|l| !l.trim().is_empty() && !l.starts_with("unstruct:"))
        .map(|l| {
            let chars: Vec<char> = l.chars().collect();
            let col = |a: usize, b: usize| -> String {
                chars[a.min(chars.len())..b.min(chars.len())]
                    .iter()
                    .collect()
            };
            let head = col(0, bytes_col);
            let mut parts = head.split_whitespace();
            let off = parts.next().expect("offset");
            let size = parts.next().unwrap_or("").to_string();
            let offset = u64::from_str_radix(off.split('.').next().unwrap_or(off), 16)
                .unwrap_or_else(|_| panic!("offset in {l:?}"));
            let rest = col(field_col, chars.len());
            let (name, value) = match rest.split_once(": ") {
                Some((n, v)) => (n.trim().to_string(), v.to_string()),
                None => (rest.trim().to_string(), String::new()),
            };
            Row {
                offset,
                size,
                bytes: col(bytes_col, field_col).trim().to_string(),
                name,
                value,
            }
        })
        .collect()
}

fn python(code: &str) -> Option<String> {
    let out = Command::new("python3").args(["-c", code]).output().ok()?;
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn require_python() -> bool {
    if Command::new("python3").arg("-V").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("UNSTRUCT_REQUIRE_ORACLES").as_deref() != Ok("1"),
        "python3 is required"
    );
    eprintln!("note: python3 not found, view value checks skipped");
    false
}

#[test]
fn wav_on_a_terminal_shows_each_field_with_its_bytes() {
    let s = pty::run(&["view", "-f", "wav", WAV], &[], &["NO_COLOR"]);
    assert_eq!(s.status, 0, "{}", s.raw);
    let text = s.plain();
    // every line fits the 80-column terminal
    for l in text.lines() {
        assert!(l.chars().count() <= 80, "too wide: {l:?}");
    }
    let file = std::fs::read(root(WAV)).expect("sample");
    let rows = rows(&text);
    // the bytes column is the file's bytes at the offset, cut with `…` after 8
    for r in rows.iter().filter(|r| !r.bytes.is_empty()) {
        let n: usize = r.size.parse().expect("byte size");
        let shown: Vec<u8> = r
            .bytes
            .trim_end_matches('…')
            .split(' ')
            .map(|h| u8::from_str_radix(h, 16).expect("hex"))
            .collect();
        let at = r.offset as usize;
        assert_eq!(shown, file[at..at + n.min(8)], "bytes of {r:?}");
        assert_eq!(r.bytes.ends_with('…'), n > 8, "cut of {r:?}");
    }
    // names are indented by depth: fields of the fmt chunk's body under it
    let depth = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name) || l.contains(&format!(" {name}:")))
            .map(|l| {
                let f = &l[text.lines().next().unwrap().find("field").unwrap()..];
                f.len() - f.trim_start().len()
            })
    };
    assert!(depth("sample_rate") > depth("magic"));
    if !require_python() {
        return;
    }
    let want = python(&format!(
        "import wave,struct\n\
         w=wave.open({WAV:?}); b=open({WAV:?},'rb').read()\n\
         print(struct.unpack('<I',b[4:8])[0], w.getnchannels(), w.getframerate(), w.getsampwidth()*8, w.getnframes()*w.getsampwidth()*w.getnchannels())"
    ))
    .expect("python");
    let want: Vec<u64> = want
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let value = |name: &str| -> HashMap<u64, String> {
        rows.iter()
            .filter(|r| r.name == name)
            .map(|r| (r.offset, r.value.clone()))
            .collect()
    };
    let first = |name: &str| -> u64 {
        let v = value(name);
        let mut v: Vec<_> = v.into_iter().collect();
        v.sort();
        let s = &v.first().unwrap_or_else(|| panic!("no {name}")).1;
        s.split_whitespace().next().unwrap().parse().unwrap()
    };
    assert_eq!(first("size"), want[0]);
    assert_eq!(first("channels"), want[1]);
    assert_eq!(first("sample_rate"), want[2]);
    assert_eq!(first("bits_per_sample"), want[3]);
    // the data chunk's body: its size column is the number of bytes of audio
    let body = rows
        .iter()
        .rfind(|r| r.name == "body" && !r.value.is_empty())
        .expect("data body");
    assert_eq!(body.size.parse::<u64>().unwrap(), want[4]);
    // headers of structs and arrays give their span; the chunks array its count
    let chunks = rows.iter().find(|r| r.name.starts_with("chunks")).unwrap();
    assert_eq!(chunks.name, "chunks [2]");
    assert_eq!(chunks.offset, 12);
    assert_eq!(chunks.size.parse::<usize>().unwrap(), file.len() - 12);
}

#[test]
fn colours_on_a_terminal_never_in_a_pipe_or_with_no_color() {
    let esc = |s: &str| s.contains("\x1b[");
    let on = pty::run(&["view", "-f", "wav", WAV], &[], &["NO_COLOR"]);
    assert!(esc(&on.raw), "colours on a terminal");
    // magic "RIFF" is text: green (32), sample_rate an integer: cyan (36)
    assert!(on.raw.contains("\x1b[32m\"RIFF\""), "{}", on.raw);
    assert!(on.raw.contains("\x1b[36m8000 (0x1f40)"), "{}", on.raw);
    let no = pty::run(&["view", "-f", "wav", WAV], &[("NO_COLOR", "1")], &[]);
    assert!(!esc(&no.raw), "NO_COLOR");
    assert_eq!(no.plain(), on.plain(), "same text with and without colour");
    let never = pty::run(
        &["view", "--color", "never", "-f", "wav", WAV],
        &[],
        &["NO_COLOR"],
    );
    assert!(!esc(&never.raw));
    let always = pty::run(
        &["view", "--color", "always", "-f", "wav", WAV],
        &[("NO_COLOR", "1")],
        &[],
    );
    assert!(esc(&always.raw), "--color always wins over NO_COLOR");
    let pipe = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(["view", "-f", "wav", WAV])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    assert!(pipe.status.success());
    let text = String::from_utf8(pipe.stdout).unwrap();
    assert!(!esc(&text), "no colour in a pipe");
    assert_eq!(
        text,
        no.plain(),
        "a pipe gets the terminal's text (80 columns)"
    );
}

#[test]
fn data_error_is_shown_in_place_after_the_lines_before_it() {
    let s = pty::run(
        &["view", "-f", "wav", "--length", "100", WAV],
        &[("NO_COLOR", "1")],
        &[],
    );
    assert_eq!(s.status, 1);
    let text = s.plain();
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.last().unwrap();
    assert!(
        last.contains("error: wav.chunks[1].body: region of 1600 bytes does not fit, only 56 left"),
        "{text}"
    );
    // at the offset of the data chunk's body (0x2c), indented as its siblings
    assert!(last.starts_with("002c "), "{last}");
    let size = lines.iter().find(|l| l.contains("  size: 1600")).unwrap();
    assert_eq!(last.find("error:"), size.find("size:"));
    // said once on the terminal, and the lines before it are all there
    assert_eq!(text.matches("region of 1600 bytes").count(), 1);
    assert!(text.contains("sample_rate: 8000"));
    // in a pipe the error also goes to stderr for scripts
    let pipe = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(["view", "-f", "wav", "--length", "100", WAV])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(pipe.status.code(), Some(1));
    let err = String::from_utf8_lossy(&pipe.stderr);
    assert!(
        err.starts_with("unstruct: error: wav.chunks[1].body at offset 0x2c"),
        "{err}"
    );
}

fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("unstruct-view-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn bit_fields_show_their_bit_range() {
    let d = temp("bits.struct", b"struct a { z: b3\n w: u8\n k: u16 }\n");
    let f = temp("bits.bin", &[0xe0, 0x11, 0x22, 0x33]);
    let out = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .arg("view")
        .arg("-f")
        .arg(&d)
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows = rows(&text);
    let z = rows.iter().find(|r| r.name == "z").unwrap();
    // the first 3 bits of 0xe0 (most significant first): 0b111
    assert_eq!(
        (z.offset, z.size.as_str(), z.bytes.as_str()),
        (0, "3b", "11100000")
    );
    assert_eq!(z.value, (0xe0u8 >> 5).to_string());
    let w = rows.iter().find(|r| r.name == "w").unwrap();
    assert_eq!(
        (w.offset, w.size.as_str(), w.bytes.as_str()),
        (1, "1", "11")
    );
    let k = rows.iter().find(|r| r.name == "k").unwrap();
    assert_eq!((k.offset, k.size.as_str()), (2, "2"));
    let v = u16::from_le_bytes([0x22, 0x33]);
    assert_eq!(k.value, format!("{v} ({v:#x})"));
}

#[test]
fn long_arrays_fold_and_all_expands() {
    let d = temp("arr.struct", b"struct a { n: u8\n xs: u8[n] }\n");
    let mut data = vec![100u8];
    data.extend(0..100u8);
    let f = temp("arr.bin", &data);
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_unstruct"))
            .arg("view")
            .args(extra)
            .arg("-f")
            .arg(&d)
            .arg(&f)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let folded = run(&[]);
    let rows_f = rows(&folded);
    assert_eq!(
        rows_f.iter().filter(|r| r.name.starts_with('[')).count(),
        16
    );
    let fold = rows_f.iter().find(|r| r.name.starts_with('…')).unwrap();
    assert_eq!(fold.name, "… 84 more elements");
    assert_eq!((fold.offset, fold.size.as_str()), (1 + 16, "84"));
    let five = run(&["--elements", "5"]);
    assert!(five.contains("… 95 more elements"));
    let all = run(&["--all"]);
    let rows_a = rows(&all);
    let elems: Vec<&Row> = rows_a.iter().filter(|r| r.name.starts_with('[')).collect();
    assert_eq!(elems.len(), 100);
    for (i, r) in elems.iter().enumerate() {
        assert_eq!(r.name, format!("[{i}]"));
        assert_eq!(r.offset, 1 + i as u64);
        assert_eq!(r.value.split(' ').next().unwrap(), i.to_string());
    }
    assert!(!all.contains("more element"));
}

#[test]
fn struct_format_records_view_checked_with_python_struct() {
    if !require_python() {
        return;
    }
    let data: Vec<u8> = (0..21u8).map(|i| i.wrapping_mul(37)).collect();
    let f = temp("recs.bin", &data);
    let out = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(["view", "-s", "<hIb", "--names", "a,b,c"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let want = python(&format!(
        "import struct\nfor t in struct.iter_unpack('<hIb', open({:?},'rb').read()): print(*t)",
        f.display().to_string()
    ))
    .unwrap();
    let rows = rows(&text);
    let got: Vec<String> = rows
        .iter()
        .filter(|r| ["a", "b", "c"].contains(&r.name.as_str()))
        .map(|r| r.value.split(' ').next().unwrap().to_string())
        .collect();
    let want: Vec<String> = want.split_whitespace().map(String::from).collect();
    assert_eq!(got, want);
    // record i starts at 7 * i
    let starts: Vec<u64> = rows
        .iter()
        .filter(|r| r.name.starts_with('['))
        .map(|r| r.offset)
        .collect();
    assert_eq!(starts, [0, 7, 14]);
}

#[test]
fn a_header_too_long_to_wait_for_gets_a_closing_line() {
    let d = temp("long.struct", b"struct a { n: u16\n xs: u8[n] }\n");
    let mut data = 300u16.to_le_bytes().to_vec();
    data.extend((0..300u32).map(|i| i as u8));
    let f = temp("long.bin", &data);
    let out = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(["view", "--all", "-f"])
        .arg(&d)
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let all = rows(&text);
    // written before its size was known: `…`, and a closing line with the span and count
    let head = all.iter().find(|r| r.name == "xs").expect("xs header");
    assert_eq!((head.offset, head.size.as_str()), (2, "…"));
    let end = all
        .iter()
        .find(|r| r.name == "xs end [300]")
        .expect("closing line");
    assert_eq!((end.offset, end.size.as_str()), (2, "300"));
    assert_eq!(all.iter().filter(|r| r.name.starts_with('[')).count(), 300);
    // a short array waits: its header has its size
    let short = rows(
        &String::from_utf8(
            Command::new(env!("CARGO_BIN_EXE_unstruct"))
                .args(["view", "-f"])
                .arg(&d)
                .arg(&f)
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap(),
    );
    let head = short.iter().find(|r| r.name.starts_with("xs")).unwrap();
    assert_eq!(
        (head.name.as_str(), head.size.as_str()),
        ("xs [300]", "300")
    );
}

#[test]
fn values_from_processed_bytes_show_offsets_and_bytes_of_that_buffer() {
    let d = temp(
        "px.struct",
        b"struct a {\n n: u8\n body: inner size n process xor(0xff)\n tail: u8\n}\nstruct inner { x: u16be\n y: u8 }\n",
    );
    let raw = [0x03u8, 0xff, 0xfe, 0xfd, 0x07];
    let f = temp("px.bin", &raw);
    let out = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .arg("view")
        .arg("-f")
        .arg(&d)
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let decoded: Vec<u8> = raw[1..4].iter().map(|b| b ^ 0xff).collect();
    let x = text.lines().find(|l| l.contains(" x: ")).expect("x");
    assert!(x.starts_with("+0000 "), "{x}");
    assert!(
        x.contains(&format!("{:02x} {:02x} ", decoded[0], decoded[1])),
        "{x}"
    );
    assert!(x.ends_with(&format!(
        "x: {}",
        u16::from_be_bytes([decoded[0], decoded[1]])
    )));
    let y = text.lines().find(|l| l.contains(" y: ")).expect("y");
    assert!(y.starts_with("+0002 "), "{y}");
    // after the processed region, offsets are the file's again
    let tail = text.lines().find(|l| l.contains("tail: ")).expect("tail");
    assert!(tail.starts_with("0004 ") && tail.contains(" 07 "), "{tail}");
}

//! The progress bar, as a person sees it on a terminal (a pseudo-terminal): on stderr for a
//! run longer than a second whose output is not the terminal; never with `--quiet`, in a
//! pipe, for a short run, or when the output itself goes to the terminal. The runs that
//! should show a bar set `UNSTRUCT_PROGRESS_DELAY=0`, so that a fast machine, which decodes
//! the test file in less than a second, still shows it.

#![cfg(unix)]

#[path = "common/pty.rs"]
mod pty;

use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// A 96 MiB pcap of 1,536 packets of 65,535 zero bytes, written sparse.
fn big_pcap() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("progress.pcap");
    let mut f = BufWriter::new(std::fs::File::create(&path).expect("create"));
    for v in [0xa1b2c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        f.write_all(&v.to_le_bytes()).unwrap();
    }
    for i in 0..1536u32 {
        for v in [i, 0, 65535, 65535] {
            f.write_all(&v.to_le_bytes()).unwrap();
        }
        f.seek(SeekFrom::Current(65535)).unwrap();
    }
    let end = f.stream_position().unwrap();
    f.into_inner().unwrap().set_len(end).unwrap();
    path
}

#[test]
fn progress_bar_on_a_terminal_only_when_it_helps() {
    let pcap = big_pcap();
    let p = pcap.display();
    // a long run with the output in a file: the bar is drawn, then its line cleared
    let s = pty::run_shell(
        &format!("\"$UNSTRUCT\" -f pcap --select 'packets[*]' -o ndjson {p} > /dev/null"),
        &[("UNSTRUCT_PROGRESS_DELAY", "0")],
    );
    assert_eq!(s.status, 0, "{}", s.raw);
    let screen = s.plain();
    assert!(screen.contains("MiB/96.02 MiB"), "no bar: {:?}", &s.raw);
    assert!(screen.contains('%'));
    assert!(
        s.raw.ends_with("\x1b[2K"),
        "the bar's line is cleared at the end: {:?}",
        &s.raw[s.raw.len().saturating_sub(80)..]
    );
    // --quiet: nothing on the terminal
    let q = pty::run_shell(
        &format!("\"$UNSTRUCT\" -q -f pcap --select 'packets[*]' -o ndjson {p} > /dev/null"),
        &[("UNSTRUCT_PROGRESS_DELAY", "0")],
    );
    assert_eq!((q.status, q.raw.as_str()), (0, ""));
    // stderr in a pipe: no bar (stderr is read through cat, which writes it to the terminal)
    let piped = pty::run_shell(
        &format!("\"$UNSTRUCT\" -f pcap --select 'packets[*]' -o ndjson {p} 2>&1 >/dev/null | cat"),
        &[("UNSTRUCT_PROGRESS_DELAY", "0")],
    );
    assert_eq!(piped.raw, "", "no bar in a pipe");
    // the output on the terminal itself: no bar over it
    let shown = pty::run_shell(
        &format!("\"$UNSTRUCT\" -f pcap --select 'packets[1535].ts_sec' {p}"),
        &[("UNSTRUCT_PROGRESS_DELAY", "0")],
    );
    assert_eq!(shown.raw, "1535\n");
    // streamed stdin: its size is unknown, so a count of bytes instead of a bar
    let stream = pty::run_shell(
        &format!("cat {p} | \"$UNSTRUCT\" -s '<Q' - > /dev/null"),
        &[("UNSTRUCT_PROGRESS_DELAY", "0")],
    );
    assert_eq!(stream.status, 0, "{}", stream.raw);
    let screen = stream.plain();
    assert!(screen.contains(" MiB "), "no count: {:?}", &stream.raw);
    assert!(!screen.contains('%'));
    // a short run: no bar
    let short = pty::run_shell("\"$UNSTRUCT\" -f pcap samples/tiny.pcap > /dev/null", &[]);
    assert_eq!(short.raw, "");
    let _ = std::fs::remove_file(&pcap);
}

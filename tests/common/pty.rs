//! Runs the `unstruct` binary on a pseudo-terminal (80×24, as a person's terminal) and
//! returns what the screen received.

#![allow(dead_code)] // each test file uses part of it

use std::io::Read;
use std::process::Command;

/// What a run on a terminal printed (stdout and stderr both go to the terminal).
pub struct Screen {
    /// Everything received, `\r\n` turned into `\n`.
    pub raw: String,
    pub status: i32,
}

impl Screen {
    /// The text without ANSI escape sequences.
    pub fn plain(&self) -> String {
        strip_ansi(&self.raw)
    }
}

/// Removes `ESC [ … letter` sequences.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs unstruct with `args` on a terminal; `env` is set, `unset` removed, in the child.
pub fn run(args: &[&str], env: &[(&str, &str)], unset: &[&str]) -> Screen {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unstruct"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd.env("TERM", "xterm-256color");
    for k in unset {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd)
}

/// Runs a shell script on a terminal, with `$UNSTRUCT` the binary: `"$UNSTRUCT" … > file`
/// leaves only stderr on the terminal.
pub fn run_shell(script: &str, env: &[(&str, &str)]) -> Screen {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("UNSTRUCT", env!("CARGO_BIN_EXE_unstruct"))
        .env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd)
}

fn run_command(cmd: Command) -> Screen {
    let mut s = expectrl::Session::spawn(cmd).expect("spawn on a pty");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        // the terminal reports EIO once the child has closed it
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let status = match s.get_process().wait() {
        Ok(expectrl::process::unix::WaitStatus::Exited(_, code)) => code,
        other => panic!("unstruct did not exit normally: {other:?}"),
    };
    Screen {
        raw: String::from_utf8_lossy(&buf).replace("\r\n", "\n"),
        status,
    }
}

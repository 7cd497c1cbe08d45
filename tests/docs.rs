//! Every example in README.md and docs/*.md runs as written, from the repository's root, on
//! files in the repository (`samples/`, `formats/`, `examples/`, the last made by
//! `examples/make_examples.py`).
//!
//! In a fenced block, a line `$ COMMAND` is run by `sh` (all commands of a block in one
//! shell, so `echo $?` sees the command before it) and the lines after it, up to the next
//! `$` line or the end of the block, are its output: stdout and stderr, each line for line
//! (trailing spaces aside), in any interleaving of the two (as a terminal shows them). In a block without `$` lines, every line that starts
//! with `unstruct ` is run and must succeed. `cargo` lines are not run. The examples call the
//! `unstruct` built for these tests and `jq` (a note, and no check, where jq is missing,
//! unless UNSTRUCT_REQUIRE_ORACLES=1).

use std::path::Path;
use std::process::Command;

/// One fenced block's examples: (line number of the command, command, expected output).
type Example = (usize, String, Option<Vec<String>>);

fn blocks(text: &str) -> Vec<Vec<Example>> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut cur: Vec<Example> = Vec::new();
    let mut dollar = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            if in_block && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
            dollar = false;
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            if !dollar {
                cur.clear();
            }
            dollar = true;
            cur.push((n + 1, cmd.to_string(), Some(Vec::new())));
        } else if dollar {
            if let Some((_, _, Some(o))) = cur.last_mut() {
                o.push(line.trim_end().to_string());
            }
        } else if line.starts_with("unstruct ") {
            cur.push((n + 1, line.to_string(), None));
        }
    }
    out
}

/// Whether `want` is `a` and `b` merged, each in its own order.
fn interleaves(want: &[String], a: &[String], b: &[String]) -> bool {
    if want.len() != a.len() + b.len() {
        return false;
    }
    // ok[j]: want[..i+j] is a merge of a[..i] and b[..j], row by row over i
    let mut ok = vec![false; b.len() + 1];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            ok[j] = if i == 0 && j == 0 {
                true
            } else {
                let from_a = i > 0 && ok[j] && want[i + j - 1] == a[i - 1];
                let from_b = j > 0 && ok[j - 1] && want[i + j - 1] == b[j - 1];
                from_a || from_b
            };
        }
    }
    ok[b.len()]
}

#[test]
fn readme_and_docs_examples_run_as_written() {
    let root = env!("CARGO_MANIFEST_DIR");
    let bin = Path::new(env!("CARGO_BIN_EXE_unstruct"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let strict = std::env::var("UNSTRUCT_REQUIRE_ORACLES").is_ok_and(|v| v == "1");
    let have_jq = Command::new("jq").arg("--version").output().is_ok();
    assert!(have_jq || !strict, "jq is required for the docs' examples");
    let mut files = vec![format!("{root}/README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(format!("{root}/docs"))
        .expect("docs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| p.display().to_string())
        .collect();
    docs.sort();
    files.extend(docs);
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read doc");
        let name = file
            .strip_prefix(root)
            .unwrap_or(file)
            .trim_start_matches('/');
        for block in blocks(&text) {
            if !have_jq && block.iter().any(|(_, c, _)| c.contains("| jq")) {
                eprintln!("note: {name}: a block using jq is not checked (no jq)");
                continue;
            }
            // one shell per block; each command's stderr goes to a file of its own, and a
            // marker line with the status follows its stdout
            const MARK: &str = "@@unstruct-docs-example@@";
            let tmp = std::env::temp_dir().join(format!("unstruct-docs-{}", std::process::id()));
            std::fs::create_dir_all(&tmp).expect("tmp dir");
            let err_file = |k: usize| tmp.join(format!("stderr.{k}"));
            let mut script = String::new();
            for (k, (_, cmd, _)) in block.iter().enumerate() {
                script.push_str(&format!(
                    "{{ {cmd}\n}} 2>'{}'\n__s=$?; printf '\\n{MARK} %s\\n' $__s; (exit $__s)\n",
                    err_file(k).display()
                ));
            }
            let out = Command::new("sh")
                .arg("-c")
                .arg(&script)
                .current_dir(root)
                .env("PATH", &path)
                .env("NO_COLOR", "1")
                .output()
                .expect("sh runs");
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut results: Vec<(Vec<String>, Vec<String>, i32)> = Vec::new();
            let mut cur: Vec<String> = Vec::new();
            for l in text.lines() {
                if let Some(status) = l.strip_prefix(MARK) {
                    while cur.last().is_some_and(|l| l.is_empty()) {
                        cur.pop();
                    }
                    let k = results.len();
                    let err = std::fs::read_to_string(err_file(k)).unwrap_or_default();
                    let err = err.lines().map(|l| l.trim_end().to_string()).collect();
                    let status = status.trim().parse().unwrap_or(-1);
                    results.push((std::mem::take(&mut cur), err, status));
                } else {
                    cur.push(l.trim_end().to_string());
                }
            }
            let _ = std::fs::remove_dir_all(&tmp);
            for ((line, cmd, want), (got, err, status)) in block.iter().zip(results) {
                ran += 1;
                match want {
                    Some(want) => {
                        let mut want = want.clone();
                        while want.last().is_some_and(|l| l.is_empty()) {
                            want.pop();
                        }
                        // on a terminal stderr and a pipe's stdout interleave as they come:
                        // the documented lines are some interleaving of the two
                        if !interleaves(&want, &got, &err) {
                            let got: Vec<String> = got.into_iter().chain(err).collect();
                            failures.push(format!(
                                "{name}:{line}: $ {cmd}\n--- documented\n{}\n--- actual\n{}",
                                want.join("\n"),
                                got.join("\n")
                            ));
                        }
                    }
                    None if status != 0 => failures.push(format!(
                        "{name}:{line}: `{cmd}` exited with {status}:\n{}",
                        got.into_iter().chain(err).collect::<Vec<_>>().join("\n")
                    )),
                    None => {}
                }
            }
        }
    }
    assert!(ran > 20, "only {ran} examples found");
    assert!(
        failures.is_empty(),
        "{} of {ran} examples do not run as documented:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

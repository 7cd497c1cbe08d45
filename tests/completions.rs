//! Shell completions and the manual page, generated from the command-line definition.

use std::process::Command;

fn unstruct(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_unstruct"))
        .args(args)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("utf-8")
}

#[test]
fn completion_scripts() {
    let bash = unstruct(&["completions", "bash"]);
    assert!(bash.contains("complete -F _unstruct"), "{bash}");
    for word in [
        "view",
        "--select",
        "--partial",
        "--quiet",
        "completions",
        "--color",
    ] {
        assert!(bash.contains(word), "bash completes {word}");
    }
    // bash itself reads the script
    if let Ok(o) = Command::new("bash").args(["-n", "-c", &bash]).output() {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let zsh = unstruct(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef unstruct"));
    let fish = unstruct(&["completions", "fish"]);
    assert!(fish.contains("complete -c unstruct") && fish.contains("select"));
    // a closed pipe is not a panic
    let o = Command::new("sh")
        .args([
            "-c",
            "\"$0\" completions bash | head -c 1 >/dev/null",
            env!("CARGO_BIN_EXE_unstruct"),
        ])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
}

#[test]
fn manual_pages() {
    let page = unstruct(&["man"]);
    assert!(page.contains(".TH unstruct 1"), "{page}");
    assert!(page.contains("\\-\\-select") && page.contains("view"));
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("man");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    unstruct(&["man", "--dir", dir.to_str().unwrap()]);
    let view = std::fs::read_to_string(dir.join("unstruct-view.1")).expect("unstruct-view.1");
    assert!(view.contains(".TH unstruct-view 1") && view.contains("\\-\\-color"));
    // man renders it, where installed
    if let Ok(o) = Command::new("man")
        .arg("-l")
        .arg(dir.join("unstruct.1"))
        .env("MANPAGER", "cat")
        .output()
        && o.status.success()
    {
        assert!(String::from_utf8_lossy(&o.stdout).contains("unstruct"));
    }
}

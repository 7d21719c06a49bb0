//! `docs/writing-rules.md`, followed literally: every command in its `console` blocks runs
//! in order in a fresh folder, and what the tutorial shows under a command must appear in
//! what Concord prints, in the same order (`...` stands for lines left out; a line ending
//! in `...` is a prefix).

mod common;

use common::{concord, root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A command of the tutorial and the lines it shows below it.
struct Step {
    command: String,
    shown: Vec<String>,
}

fn steps(markdown: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_console = false;
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("```") {
            in_console = !in_console && line.trim() == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            let mut command = command.to_owned();
            if command.contains("<<'EOF'") {
                for body in lines.by_ref() {
                    command.push('\n');
                    command.push_str(body);
                    if body == "EOF" {
                        break;
                    }
                }
            }
            steps.push(Step {
                command,
                shown: Vec::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            step.shown.push(line.to_owned());
        }
    }
    steps
}

/// Whether every shown line appears, in order, among the printed lines.
fn shows(printed: &str, shown: &[String]) -> Result<(), String> {
    let mut printed = printed.lines();
    for want in shown.iter().filter(|l| l.trim() != "...") {
        let found = match want.strip_suffix("...") {
            Some(prefix) => printed.any(|l| l.starts_with(prefix)),
            None => printed.any(|l| l == want),
        };
        if !found {
            return Err(format!("missing, or out of order: {want}"));
        }
    }
    Ok(())
}

fn run(command: &str, dir: &Path, bin: &Path) -> String {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .args(["-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("bash runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_rule_writing_tutorial_works_as_written() {
    let markdown = std::fs::read_to_string(root().join("docs/writing-rules.md")).unwrap();
    let steps = steps(&markdown);
    assert!(steps.len() >= 15, "the tutorial's commands were found");
    let home = tempfile::tempdir().unwrap();
    let bin = concord().parent().unwrap().to_path_buf();
    let mut dir: PathBuf = home.path().to_path_buf();
    for step in &steps {
        if let Some(folder) = step.command.strip_prefix("cd ") {
            dir = dir.join(folder.trim());
            assert!(dir.is_dir(), "{}", step.command);
            continue;
        }
        let printed = run(&step.command, &dir, &bin);
        if let Err(problem) = shows(&printed, &step.shown) {
            panic!("`{}`: {problem}\n--- printed\n{printed}", step.command);
        }
    }
}

#[test]
fn the_matcher_holds_order_and_prefixes() {
    let printed = "a\nb c\nd\n";
    let want = |lines: &[&str]| lines.iter().map(|l| (*l).to_owned()).collect::<Vec<_>>();
    assert!(shows(printed, &want(&["a", "...", "d"])).is_ok());
    assert!(shows(printed, &want(&["b ...", "d"])).is_ok());
    assert!(shows(printed, &want(&["d", "a"])).is_err());
    assert!(shows(printed, &want(&["b"])).is_err());
}

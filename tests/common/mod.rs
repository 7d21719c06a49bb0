//! Helpers shared by the CLI tests: run the built binary in a folder and capture what a
//! user would see.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Exit code, stdout and stderr of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The whole run as one text, for snapshots.
    pub fn transcript(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

pub fn concord() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_concord"))
}

/// Runs `concord args…` in `dir`, without colour.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(concord())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the concord binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The repository root, where `policies/` and `tests/fixtures/` live.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The normative example of the format, as shipped in the fixtures.
pub fn normative_example() -> String {
    std::fs::read_to_string(root().join("tests/fixtures/format/workspace.yaml"))
        .expect("the normative example is in tests/fixtures")
}

/// The normative example with its first line equal to `old` replaced; panics if there is
/// none, so a test can never silently stop changing anything.
pub fn with_line_changed(old: &str, new: &str) -> String {
    let text = normative_example();
    let mut hits = 0;
    let changed: Vec<&str> = text
        .lines()
        .map(|line| {
            if line == old && hits == 0 {
                hits += 1;
                new
            } else {
                line
            }
        })
        .collect();
    assert_eq!(hits, 1, "`{old}` must be a line of the example");
    let mut out = changed.join("\n");
    out.push('\n');
    out
}

/// Line number (1-based) of the first line of `text` that contains `needle`.
pub fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("`{needle}` not found"))
}

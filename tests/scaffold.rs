//! `concord init` and `concord rules new`, and the proof that an analyst needs only the
//! binary: copied alone into an empty folder, it scaffolds a workspace, adds a rule, edits
//! it to fire, and sees the finding and a passing `rules test`.

mod common;

use common::{concord, run_in};
use std::path::Path;
use std::process::Command;

#[test]
fn init_makes_a_workspace_that_checks_clean_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["init", "ws"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.matches("created ").count(), 9, "{}", run.stdout);
    for file in [
        "concord.yaml",
        "agencies.yaml",
        "instruments.yaml",
        "README.md",
        "rules/fixtures/L001/fire.yaml",
    ] {
        assert!(dir.path().join("ws").join(file).is_file(), "{file}");
    }
    let validate = run_in(dir.path(), &["validate", "ws"]);
    assert_eq!(validate.code, 0, "{}", validate.stdout);
    let check = run_in(dir.path(), &["check", "ws"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert!(check.stdout.starts_with("0 findings"), "{}", check.stdout);
    let test = run_in(dir.path(), &["rules", "test", "ws/rules"]);
    assert_eq!(test.code, 0, "{}", test.stdout);

    std::fs::write(dir.path().join("ws/agencies.yaml"), "agencies: []\n").unwrap();
    let again = run_in(dir.path(), &["init", "ws"]);
    assert_eq!(again.code, 0);
    assert_eq!(again.stdout.matches("kept ").count(), 9, "{}", again.stdout);
    assert!(again.stdout.contains("nothing to do"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ws/agencies.yaml")).unwrap(),
        "agencies: []\n"
    );
}

#[test]
fn rules_new_scaffolds_a_rule_whose_fixtures_pass_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(
        dir.path(),
        &[
            "rules",
            "new",
            "L002",
            "long-horizon",
            "--category",
            "gap",
            "--dir",
            "mine",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rule = std::fs::read_to_string(dir.path().join("mine/L002-long-horizon.rhai")).unwrap();
    assert!(rule.starts_with(
        "//! id: L002\n//! name: long-horizon\n//! category: gap\n//! severity: medium\n"
    ));
    let test = run_in(dir.path(), &["rules", "test", "mine"]);
    assert_eq!(test.code, 0, "{}", test.stdout);
    assert!(
        test.stdout.contains("1 rules: 2 passed, 0 failed"),
        "{}",
        test.stdout
    );
    let doc = run_in(dir.path(), &["rules", "doc", "L002", "--rules", "mine"]);
    assert!(doc.stdout.contains("max_months"), "{}", doc.stdout);

    let again = run_in(
        dir.path(),
        &[
            "rules",
            "new",
            "L002",
            "other-name",
            "--category",
            "gap",
            "--dir",
            "mine",
        ],
    );
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("rule `L002` already exists"),
        "{}",
        again.stderr
    );
    let standard = run_in(
        dir.path(),
        &[
            "rules",
            "new",
            "GAP001",
            "mine",
            "--category",
            "gap",
            "--dir",
            "mine",
        ],
    );
    assert_eq!(standard.code, 2);
    assert!(
        standard.stderr.contains("standard library"),
        "{}",
        standard.stderr
    );
    for (id, name) in [("l2", "x"), ("L2", "Has Spaces"), ("L2", "../escape")] {
        let bad = run_in(dir.path(), &["rules", "new", id, name, "--category", "gap"]);
        assert_eq!(bad.code, 2, "{id} {name}");
        assert!(bad.stderr.starts_with("error: rule "), "{}", bad.stderr);
    }
    assert!(
        !dir.path().join("rules").exists(),
        "nothing written for bad names"
    );
}

/// Runs the copied binary with a clean environment: no cargo, no `CONCORD_RULES`.
fn alone(binary: &Path, dir: &Path, args: &[&str]) -> common::Run {
    let output = Command::new(binary)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .expect("the copied binary runs");
    common::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn the_binary_alone_scaffolds_writes_tests_and_runs_a_new_rule() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let binary = bin.join("concord");
    std::fs::copy(concord(), &binary).unwrap();

    let init = alone(&binary, dir.path(), &["init", "ws"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let list = alone(&binary, dir.path(), &["rules", "list"]);
    assert!(
        list.stdout.contains("GAP001"),
        "the standard library travels inside the binary"
    );
    let new = alone(
        &binary,
        dir.path(),
        &[
            "rules",
            "new",
            "L002",
            "long-horizon",
            "--category",
            "coordination",
            "--dir",
            "ws/rules",
        ],
    );
    assert_eq!(new.code, 0, "{}", new.stderr);

    let before = alone(&binary, dir.path(), &["check", "ws"]);
    assert_eq!(before.code, 0, "{}", before.stdout);
    assert!(!before.stdout.contains("L002"), "{}", before.stdout);

    // The analyst lowers the rule's threshold below the starter instruments' 21 months.
    let path = dir.path().join("ws/rules/L002-long-horizon.rhai");
    let rule = std::fs::read_to_string(&path).unwrap().replace("36", "12");
    std::fs::write(&path, rule).unwrap();

    let after = alone(&binary, dir.path(), &["check", "ws"]);
    assert_eq!(after.code, 0, "{}", after.stdout);
    assert_eq!(
        after.stdout.matches("medium[L002/long-horizon]").count(),
        2,
        "{}",
        after.stdout
    );
    assert!(
        after
            .stdout
            .contains("`appliance-tradein` runs for 21 months, longer than 12")
    );
    let test = alone(&binary, dir.path(), &["rules", "test", "ws/rules"]);
    assert_eq!(test.code, 0, "{}", test.stdout);
    assert!(
        test.stdout.contains("2 rules: 4 passed, 0 failed"),
        "{}",
        test.stdout
    );
    let standard = alone(
        &binary,
        dir.path(),
        &["rules", "test", "--select", "GAP001"],
    );
    assert_eq!(standard.code, 0, "{}", standard.stdout);
    assert!(
        standard.stdout.contains("<built-in>/fixtures/GAP001/"),
        "{}",
        standard.stdout
    );
}

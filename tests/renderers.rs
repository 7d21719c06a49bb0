//! Every renderer on the reference workspace, snapshotted: a change to any output format
//! shows up in review as a diff of what users would see.

mod common;

use common::{root, run_in};

fn snapshot(name: &str, args: &[&str], code: i32) {
    let run = run_in(&root(), args);
    assert_eq!(run.code, code, "{name}: {}", run.stderr);
    assert!(!run.stdout.is_empty(), "{name} printed nothing");
    insta::assert_snapshot!(name, run.stdout);
}

const TODAY: &str = "--today=2026-11-28";

#[test]
fn check_in_every_format() {
    for format in ["text", "json", "sarif", "junit", "github"] {
        snapshot(
            &format!("check_{format}"),
            &["check", "policies", "--format", format, TODAY],
            1,
        );
    }
}

#[test]
fn graph_in_every_format() {
    for format in ["dot", "mermaid", "json"] {
        snapshot(
            &format!("graph_{format}"),
            &["graph", "policies", "--format", format],
            0,
        );
    }
}

#[test]
fn diff_of_the_two_packages_in_every_format() {
    for format in ["text", "json", "markdown"] {
        snapshot(
            &format!("diff_{format}"),
            &[
                "diff",
                "policies",
                "--package",
                "renewal-tradein-2024",
                "--package",
                "dd-driven-upgrade-2023",
                "--format",
                format,
                TODAY,
            ],
            1,
        );
    }
}

//! The standard rule library: every rule of the specification ships, with a complete
//! header and both kinds of fixture, and every fixture passes. Also `rules list|doc|test`.

mod common;

use common::{root, run_in};
use concord::rules::fixtures;

#[test]
fn every_rule_has_a_header_and_fixtures_that_pass() {
    let report = fixtures::test(&[root().join("rules")], &[]);
    let mut problems: Vec<String> = report
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    problems.extend(
        report
            .incomplete
            .iter()
            .map(|(rule, kind)| format!("{rule} has no {kind} fixture")),
    );
    for r in report.results.iter().filter(|r| !r.passed()) {
        problems.push(format!(
            "{} {}: {:?} missing {:?} unexpected {:?}",
            r.rule, r.file, r.error, r.missing, r.unexpected
        ));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(report.rules >= 3);
}

/// The standard library as specified: every id must ship.
const SPECIFIED: [&str; 26] = [
    "GAP001", "GAP002", "GAP003", "GAP004", "GAP005", "GAP006", "GAP007", "OVL001", "OVL002",
    "OVL003", "OVL004", "CON001", "CON002", "CON003", "CON004", "CON005", "CON006", "CON007",
    "CRD001", "CRD002", "CRD003", "CRD004", "CRD005", "EVD001", "EVD002", "EVD003",
];

#[test]
fn every_specified_rule_ships() {
    let run = run_in(&root(), &["rules", "list", "--format", "json"]);
    let listed: Vec<String> = run
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    for id in SPECIFIED {
        assert!(
            listed.iter().any(|l| l == id),
            "{id} is missing from `rules list`"
        );
    }
}

#[test]
fn rules_list_names_every_rule_with_its_metadata() {
    let run = run_in(&root(), &["rules", "list", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rules = run.json();
    let rules = rules.as_array().unwrap();
    for rule in rules {
        for key in ["id", "name", "category", "severity", "summary", "file"] {
            assert!(rule[key].as_str().is_some_and(|v| !v.is_empty()), "{rule}");
        }
        let file = rule["file"].as_str().unwrap();
        assert!(file.contains(rule["id"].as_str().unwrap()), "{file}");
    }
}

#[test]
fn rules_doc_shows_a_rule_and_suggests_near_misses() {
    let run = run_in(&root(), &["rules", "doc", "GAP001"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("# GAP001 orphan-objective"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("## Why it matters"));
    let run = run_in(&root(), &["rules", "doc", "GAP01"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `GAP001`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_failing_fixture_is_reported_with_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r");
    std::fs::create_dir_all(rules.join("fixtures/X900")).unwrap();
    std::fs::copy(
        root().join("tests/fixtures/rules/X900-objective-without-indicator.rhai"),
        rules.join("X900-objective-without-indicator.rhai"),
    )
    .unwrap();
    std::fs::write(
        rules.join("fixtures/X900/fire.yaml"),
        "expect:\n  - [b]\nworkspace:\n  objectives:\n    - { id: a, name: A, domain: cross_cutting }\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("fixtures/X900/quiet.yaml"),
        "expect: []\nworkspace: {}\n",
    )
    .unwrap();
    let run = run_in(dir.path(), &["rules", "test", "r"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("expected but not found: [b]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("found but not expected: [a]"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_api_reference_is_fresh() {
    let path = root().join("docs/rule-api.md");
    let generated = concord::rules::api::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rule-api.md is stale: run `UPDATE_DOCS=1 cargo test --test rules`"
    );
}

#[test]
fn the_rule_pages_and_their_index_are_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(
        &root(),
        &["rules", "doc", "--write", dir.path().to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let committed = root().join("docs/rules");
    let names = |d: &std::path::Path| -> std::collections::BTreeSet<String> {
        std::fs::read_dir(d)
            .map(|e| {
                e.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        std::fs::create_dir_all(&committed).unwrap();
        for name in names(dir.path()) {
            std::fs::copy(dir.path().join(&name), committed.join(&name)).unwrap();
        }
    }
    let generated = names(dir.path());
    assert_eq!(generated.len(), 27, "26 rules and the index");
    assert_eq!(
        generated,
        names(&committed),
        "docs/rules is stale: run `UPDATE_DOCS=1 cargo test --test rules`"
    );
    for name in generated {
        let fresh = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        let kept = std::fs::read_to_string(committed.join(&name)).unwrap();
        assert!(
            fresh == kept,
            "docs/rules/{name} is stale: run `UPDATE_DOCS=1 cargo test --test rules`"
        );
    }
}
